/*
 * status.h - OpenVPN 2.6 status report text, versions 1, 2 and 3.
 *
 * A pure formatter: the caller takes a snapshot of its clients and routes
 * into struct status_snapshot, and this module turns it into exactly the
 * text OpenVPN 2.6.14 prints for `status N` on the management socket and
 * writes to its --status file (docs/management-interface.md §5).  The two
 * differ only in the line terminator: "\r\n" for management, "\n" for the
 * file (status_eol).
 *
 * Dates are local time, "YYYY-MM-DD HH:MM:SS", through localtime_r(), so
 * the output follows the process time zone (TZ) as 2.6's does.  The
 * "(time_t)" columns print the time truncated to unsigned 32 bits, as 2.6.
 *
 * Output goes line by line to a callback (status_write) or into one
 * malloc'd string (status_format).  There is no line-length limit: 2.6
 * stops the whole report at the first line over 511 characters, which would
 * leave a management client waiting for an END that never comes; we print
 * the line instead (the one deliberate difference).
 *
 * No I/O, no globals, no allocation except status_format()'s result and
 * the rare line that does not fit the 1 KiB stack buffer.
 */
#ifndef OVPN_STATUS_H
#define OVPN_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* What 2.6 prints in the cipher column before the data cipher is negotiated. */
#define STATUS_CIPHER_UNNEGOTIATED "BF-CBC"
/* 2.6's text for an unknown format number (a single line, no END). */
#define STATUS_ERR_BAD_VERSION "ERROR: bad status format version number"

enum status_eol {
	STATUS_EOL_CRLF,  /* management socket */
	STATUS_EOL_LF,    /* status file, SIGUSR2 dump */
};

/*
 * One connected client instance (one row of CLIENT LIST / CLIENT_LIST).
 * Strings are borrowed for the duration of the call.  NULL or "" common
 * name and username print as "UNDEF" (2.6's tls_common_name/tls_username);
 * NULL or "" virtual addresses print as empty columns (still
 * authenticating); a NULL cipher prints STATUS_CIPHER_UNNEGOTIATED.
 */
struct status_client {
	const char *cn;
	const char *real;       /* status_real_addr() text: "ip:port" or bare IPv6 */
	const char *vaddr4;
	const char *vaddr6;
	uint64_t bytes_rx;      /* link bytes received from this client */
	uint64_t bytes_tx;      /* link bytes sent to it */
	time_t connected_since; /* wall clock; 0 prints as snapshot `now` (2.6 quirk) */
	const char *username;
	uint64_t client_id;     /* management CID */
	uint32_t peer_id;
	const char *cipher;     /* e.g. "AES-256-GCM" */
};

/* One ROUTING TABLE row: an address or iroute subnet routed to a client. */
struct status_route {
	const char *vaddr;      /* "10.8.0.2", "fd00:8::1000", "10.77.0.0/16" */
	bool cached;            /* host route cached from an iroute: prints "C" after vaddr */
	const char *cn;         /* as status_client.cn */
	const char *real;
	time_t last_ref;        /* 0 prints as `now` */
};

struct status_snapshot {
	time_t now;                      /* wall clock of the report ("Updated", TIME) */
	const char *title;               /* TITLE line (v2/v3); NULL = "" */
	const struct status_client *clients;
	size_t nclients;
	const struct status_route *routes;
	size_t nroutes;
	int max_bcast_mcast_queue;
	bool dco_enabled;                /* v2/v3 "GLOBAL_STATS,dco_enabled,N" */
};

/*
 * Called once per output line; `line` holds `len` bytes including the line
 * terminator, not NUL-terminated.  Return 0 to continue or a negative ERR_*
 * to stop the report (that value is returned by status_write).
 */
typedef int (*status_emit_fn)(void *arg, const char *line, size_t len);

/*
 * Emit the report in format `version` (1, 2 or 3).  Any other version emits
 * the single line STATUS_ERR_BAD_VERSION (as 2.6 does) and returns
 * ERR_RANGE.  Returns 0, the callback's error, or ERR_NOMEM.
 *
 * String fields are printed as given except that control characters and
 * commas become '_', so no field can break a row or inject a line (2.6
 * remaps such characters at the source; callers should too).
 */
int status_write(const struct status_snapshot *snap, int version, enum status_eol eol,
    status_emit_fn emit, void *arg);

/*
 * Same, collected into one NUL-terminated malloc'd string that the caller
 * frees; *len excludes the NUL.  On ERR_RANGE *out holds the error line.
 * On ERR_NOMEM *out is NULL.
 */
int status_format(const struct status_snapshot *snap, int version, enum status_eol eol,
    char **out, size_t *len);

/*
 * The "Real Address" text 2.6 prints for a peer: "a.b.c.d:port" for IPv4
 * and IPv4-mapped IPv6 peers, the bare address without port for native
 * IPv6 peers.  Returns 0, ERR_OVERFLOW (cap too small; use
 * SOCKADDR_STR_MAX) or the addr_from_sockaddr() error.
 */
int status_real_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap);

#endif
