/*
 * sdnotify.h - systemd's readiness protocol (sd_notify(3)) without
 * libsystemd.
 *
 * systemd passes $NOTIFY_SOCKET, the address of a unix datagram socket
 * ("/path" or "@abstract"), and, when WatchdogSec= is set, $WATCHDOG_USEC
 * and $WATCHDOG_PID.  The daemon sends newline-separated VAR=value lines:
 *
 *   READY=1                               setup done (Type=notify)
 *   RELOADING=1 + MONOTONIC_USEC=<µs>     SIGHUP reload starts; send READY=1
 *                                         again when it is done
 *   STOPPING=1                            clean shutdown begins
 *   STATUS=<text>                         one line for `systemctl status`
 *   WATCHDOG=1                            alive, every watchdog_interval µs
 *
 * Without $NOTIFY_SOCKET every call is a successful no-op, so callers never
 * need to ask whether they run under systemd.  Sends never block (the
 * socket is non-blocking); a full socket gives ERR_AGAIN, which callers may
 * ignore: a lost STATUS or WATCHDOG is followed by the next one.
 */
#ifndef OVPN_SDNOTIFY_H
#define OVPN_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "log.h"   /* LOG_PRINTF */

#define SDNOTIFY_STATUS_MAX 256   /* STATUS= text beyond this is cut */

struct sdnotify {
	int fd;                        /* -1: not under systemd, sends are no-ops */
	struct sockaddr_un sa;
	socklen_t salen;
	uint64_t watchdog_interval;    /* µs between WATCHDOG=1; 0 = no watchdog */
};

/*
 * Pure: turn a $NOTIFY_SOCKET value into an address.  "/path" (strlen <
 * sizeof(sun_path)) or "@name" (abstract; name 1..sizeof(sun_path)-1 bytes).
 * Returns 0, ERR_INVAL (NULL, empty, "@" alone, relative path),
 * ERR_OVERFLOW (too long) or ERR_UNSUPPORTED (other schemes, e.g. "vsock:").
 */
int sdnotify_parse_addr(const char *s, struct sockaddr_un *sa, socklen_t *salen);

/*
 * Pure: the watchdog from $WATCHDOG_USEC and $WATCHDOG_PID (either may be
 * NULL = unset).  *interval gets half the timeout (what sd_watchdog_enabled(3)
 * recommends), or 0 when there is no watchdog for us: WATCHDOG_USEC unset,
 * or WATCHDOG_PID set and not `self`.  Returns 0, or ERR_MALFORMED (not a
 * plain decimal) / ERR_RANGE (0, or above 2^63 µs; a pid <= 0) with
 * *interval = 0.
 */
int sdnotify_parse_watchdog(const char *usec, const char *pid, pid_t self,
    uint64_t *interval);

/*
 * Set up *n from the three values (any may be NULL).  notify_socket NULL or
 * "" leaves n disabled and returns 0.  Opens a non-blocking, close-on-exec
 * datagram socket; the address is not checked until the first send, as
 * with libsystemd.  On error n is left disabled (fd -1, no watchdog) and
 * the code of the parse above, or ERR_SYS, is returned.
 */
int sdnotify_open(struct sdnotify *n, const char *notify_socket,
    const char *watchdog_usec, const char *watchdog_pid);

/*
 * sdnotify_open() with the environment, which it then clears (NOTIFY_SOCKET,
 * WATCHDOG_USEC, WATCHDOG_PID) so hooks we run cannot speak for us.  Call
 * once at startup, before any thread.
 */
int sdnotify_open_env(struct sdnotify *n);

void sdnotify_close(struct sdnotify *n);
bool sdnotify_enabled(const struct sdnotify *n);

/*
 * Send one datagram holding `msg` verbatim (VAR=value lines).  Returns 0
 * (also when disabled), ERR_INVAL (NULL, empty or over 4 KiB), ERR_AGAIN
 * (socket full) or ERR_SYS (errno set: ENOENT/ECONNREFUSED when systemd
 * is gone, ...).
 */
int sdnotify_send(const struct sdnotify *n, const char *msg);

int sdnotify_ready(const struct sdnotify *n);
/* monotonic_usec: now on CLOCK_MONOTONIC in µs, i.e. mtime_now(). */
int sdnotify_reloading(const struct sdnotify *n, uint64_t monotonic_usec);
int sdnotify_stopping(const struct sdnotify *n);
int sdnotify_watchdog(const struct sdnotify *n);
/*
 * STATUS=<text>.  Control characters in the formatted text (a newline
 * would start another assignment, e.g. a client name "x\nREADY=1") are
 * replaced by spaces; text beyond SDNOTIFY_STATUS_MAX bytes is cut.
 */
int sdnotify_status(const struct sdnotify *n, const char *fmt, ...) LOG_PRINTF(2, 3);

#endif
