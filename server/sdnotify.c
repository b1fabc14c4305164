/*
 * sdnotify.c - sd_notify(3) over a plain unix datagram socket.
 *
 * Design: the environment is read once (sdnotify_open_env) and parsed by
 * pure functions; afterwards everything lives in struct sdnotify.  One
 * unconnected SOCK_DGRAM socket is opened at startup and each message is
 * one sendto() to the stored address, as libsystemd does: a connected
 * socket would break when systemd re-executes and recreates its socket,
 * and opening at startup means the later privilege drop and sandbox do not
 * matter (systemd's socket is world-writable; it identifies us by the
 * kernel-supplied SCM_CREDENTIALS, which needs nothing from us).
 *
 * Invariants: fd == -1 exactly when disabled; watchdog_interval is 0 when
 * disabled.  Nothing here blocks: MSG_DONTWAIT on every send.
 * The abstract-socket form ("@name") maps '@' to a leading NUL and the
 * address length counts exactly the name, no trailing NUL (systemd binds
 * it that way, so a different length would name a different socket).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sdnotify.h"

#define MSG_MAX 4096
#define WATCHDOG_USEC_MAX (UINT64_C(1) << 63)

int
sdnotify_parse_addr(const char *s, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t n;

	if (s == NULL || sa == NULL || salen == NULL || s[0] == '\0')
		return ERR_INVAL;
	n = strlen(s);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (s[0] == '@') {
		if (n == 1)
			return ERR_INVAL;
		if (n > sizeof(sa->sun_path))   /* '@' becomes the leading NUL */
			return ERR_OVERFLOW;
		memcpy(sa->sun_path + 1, s + 1, n - 1);
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
	}
	if (s[0] != '/')
		return strchr(s, ':') != NULL ? ERR_UNSUPPORTED : ERR_INVAL;
	if (n >= sizeof(sa->sun_path))
		return ERR_OVERFLOW;
	memcpy(sa->sun_path, s, n);
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow. */
static int
parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return ERR_MALFORMED;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return ERR_MALFORMED;
		d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return ERR_RANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int
sdnotify_parse_watchdog(const char *usec, const char *pid, pid_t self,
    uint64_t *interval)
{
	uint64_t u, p;
	int rc;

	*interval = 0;
	if (usec == NULL)
		return 0;
	if ((rc = parse_u64(usec, &u)) != 0)
		return rc;
	/* systemd itself rejects 0 and "infinity" (UINT64_MAX) */
	if (u == 0 || u > WATCHDOG_USEC_MAX)
		return ERR_RANGE;
	if (pid != NULL) {
		if ((rc = parse_u64(pid, &p)) != 0)
			return rc;
		if (p == 0 || p > INT32_MAX)
			return ERR_RANGE;
		/* meant for another process (we were forked from the main one) */
		if ((pid_t)p != self)
			return 0;
	}
	*interval = u / 2 > 0 ? u / 2 : 1;
	return 0;
}

static void
disable(struct sdnotify *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

int
sdnotify_open(struct sdnotify *n, const char *notify_socket,
    const char *watchdog_usec, const char *watchdog_pid)
{
	uint64_t wd;
	int rc;

	disable(n);
	if (notify_socket == NULL || notify_socket[0] == '\0')
		return 0;
	if ((rc = sdnotify_parse_addr(notify_socket, &n->sa, &n->salen)) != 0)
		goto fail;
	if ((rc = sdnotify_parse_watchdog(watchdog_usec, watchdog_pid, getpid(), &wd)) != 0)
		goto fail;
	if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		rc = ERR_SYS;
		goto fail;
	}
	n->watchdog_interval = wd;
	return 0;
fail:
	disable(n);
	return rc;
}

int
sdnotify_open_env(struct sdnotify *n)
{
	int rc;

	rc = sdnotify_open(n, getenv("NOTIFY_SOCKET"), getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"));
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return rc;
}

void
sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	disable(n);
}

bool
sdnotify_enabled(const struct sdnotify *n)
{
	return n->fd >= 0;
}

int
sdnotify_send(const struct sdnotify *n, const char *msg)
{
	size_t len;
	ssize_t r;

	if (msg == NULL || (len = strlen(msg)) == 0 || len > MSG_MAX)
		return ERR_INVAL;
	if (n->fd < 0)
		return 0;
	do
		r = sendto(n->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT,
		    (const struct sockaddr *)&n->sa, n->salen);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? ERR_AGAIN : ERR_SYS;
	return (size_t)r == len ? 0 : ERR_SYS;   /* datagrams go whole or not at all */
}

int
sdnotify_ready(const struct sdnotify *n)
{
	return sdnotify_send(n, "READY=1");
}

int
sdnotify_reloading(const struct sdnotify *n, uint64_t monotonic_usec)
{
	char m[64];

	snprintf(m, sizeof(m), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)monotonic_usec);
	return sdnotify_send(n, m);
}

int
sdnotify_stopping(const struct sdnotify *n)
{
	return sdnotify_send(n, "STOPPING=1");
}

int
sdnotify_watchdog(const struct sdnotify *n)
{
	return sdnotify_send(n, "WATCHDOG=1");
}

int
sdnotify_status(const struct sdnotify *n, const char *fmt, ...)
{
	static const char pfx[] = "STATUS=";
	char m[sizeof(pfx) - 1 + SDNOTIFY_STATUS_MAX + 1];
	size_t i, len;
	va_list ap;
	int w;

	if (n->fd < 0)
		return 0;
	memcpy(m, pfx, sizeof(pfx) - 1);
	va_start(ap, fmt);
	w = vsnprintf(m + sizeof(pfx) - 1, sizeof(m) - (sizeof(pfx) - 1), fmt, ap);
	va_end(ap);
	if (w < 0)
		return ERR_INVAL;
	len = strlen(m);
	/* systemd ignores a STATUS that is not valid UTF-8: do not leave half
	 * a character where the cut fell */
	if ((size_t)w > SDNOTIFY_STATUS_MAX) {
		while (len > sizeof(pfx) - 1 && ((unsigned char)m[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > sizeof(pfx) - 1 && (unsigned char)m[len - 1] >= 0xc0)
			len--;
		m[len] = '\0';
	}
	for (i = sizeof(pfx) - 1; i < len; i++)
		if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f)
			m[i] = ' ';
	return sdnotify_send(n, m);
}
