/*
 * connlog.h - the connection log: one JSON object per line, in the format
 * of AWS Client VPN connection logging, so existing parsers and dashboards
 * for it work unchanged.
 *
 * Format (docs.aws.amazon.com/vpn/latest/clientvpn-admin/connection-logging.html):
 * every AWS value is a JSON string, numbers included ("port": "50096",
 * "ingress-bytes": "0"); a value that is absent or not applicable is "NA";
 * times are UTC "YYYY-MM-DD HH:MM:SS".  Keys appear in the order of the AWS
 * examples:
 *   connection-log-type          "connection-attempt" | "connection-reset"
 *   connection-attempt-status    "successful" | "failed" | "NA"
 *   connection-reset-status      always "NA" (AWS: SAML "assertion-received")
 *   connection-attempt-failure-reason, connection-id, client-vpn-endpoint-id,
 *   transport-protocol, connection-start-time, connection-last-update-time,
 *   client-ip, client-ip-v6 (AWS spells it so in its examples), common-name,
 *   device-type, device-ip, port, ingress-bytes, egress-bytes,
 *   ingress-packets, egress-packets, connection-end-time,
 *   connection-duration-seconds, username
 * then fields of ours, appended after the AWS ones and also strings/"NA":
 *   client-openvpn-version (named as in AWS's client-connect handler input),
 *   failure-detail, cipher, peer-id.
 * AWS's posture-compliance-statuses and authorization-policy-evaluation are
 * not written: we have no such features.
 *
 * Ingress is what the client sent (AWS: "bytes sent by the client"), egress
 * what it received.  Peer-supplied strings (common-name, username,
 * device-type, client-openvpn-version, failure-detail) are cut to
 * CONNLOG_FIELD_MAX bytes; the JSON writer escapes them, so a record is
 * always exactly one line of valid UTF-8 JSON that fits CONNLOG_LINE_MAX.
 */
#ifndef OVPN_CONNLOG_H
#define OVPN_CONNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

enum {
	CONNLOG_FIELD_MAX = 128,	/* bytes kept of each string field */
	CONNLOG_LINE_MAX = 16384,	/* any record fits, newline and NUL included */
};

enum connlog_type {
	CONNLOG_ATTEMPT = 0,	/* "connection-attempt": a client tried to connect */
	CONNLOG_RESET,		/* "connection-reset": an established connection ended */
};

enum connlog_status {
	CONNLOG_STATUS_NA = 0,	/* "NA": the usual status of a reset record */
	CONNLOG_SUCCESSFUL,	/* "successful" */
	CONNLOG_FAILED,		/* "failed"; set failure_reason */
};

/*
 * One log record.  Plain data: every pointer is borrowed for the duration of
 * the call and may be NULL, and NULL or "" is written as "NA".  A time of 0
 * (or before 1970) is "NA"; an address with family 0 is "NA"; port 0 is "NA".
 * Zero-initialise, then fill in what is known.
 */
struct connlog_record {
	enum connlog_type type;
	enum connlog_status status;
	/* Short token, AWS style, e.g. "client-connect-failed"; see below. */
	const char *failure_reason;
	const char *failure_detail;	/* free text, ours */
	const char *connection_id;
	const char *endpoint_id;	/* client-vpn-endpoint-id: the server's name */
	const char *transport;		/* "udp" or "tcp" */
	time_t start_time;		/* wall clock, UTC seconds */
	time_t last_update_time;
	time_t end_time;
	struct addr client_ip;		/* tunnel IPv4 from the pool */
	struct addr client_ip6;		/* tunnel IPv6 from the pool */
	const char *common_name;
	const char *username;
	const char *device_type;	/* e.g. IV_PLAT: "linux", "win", "mac" */
	struct addr device_ip;		/* the client's public (outer) address */
	uint16_t port;			/* the client's outer source port */
	uint64_t ingress_bytes;		/* from the client */
	uint64_t egress_bytes;		/* to the client */
	uint64_t ingress_packets;
	uint64_t egress_packets;
	const char *client_version;	/* IV_VER */
	const char *cipher;		/* data channel cipher, e.g. "AES-256-GCM" */
	bool has_peer_id;
	uint32_t peer_id;
};

/*
 * Failure reasons used by the server.  The client-connect ones carry AWS's
 * meaning (its client connect handler is our connect hook); the others are
 * ours, in the same style.
 */
#define CONNLOG_REASON_HOOK_DENIED	"client-connect-failed"
#define CONNLOG_REASON_HOOK_TIMEOUT	"client-connect-handler-timed-out"
#define CONNLOG_REASON_HOOK_ERROR	"client-connect-handler-other-execution-error"
#define CONNLOG_REASON_HOOK_INVALID	"client-connect-handler-invalid-response"
#define CONNLOG_REASON_TLS		"tls-handshake-failed"
#define CONNLOG_REASON_CERT		"certificate-rejected"
#define CONNLOG_REASON_AUTH		"user-authentication-failed"
#define CONNLOG_REASON_POOL		"address-pool-exhausted"
#define CONNLOG_REASON_LIMIT		"connection-limit-reached"
#define CONNLOG_REASON_TIMEOUT		"handshake-timed-out"

/*
 * Format r as one JSON object followed by '\n' into out[0..cap), NUL
 * terminated; *len (if not NULL) gets the length without the NUL.
 * Returns 0, or ERR_OVERFLOW (out then holds nothing usable).  A buffer of
 * CONNLOG_LINE_MAX bytes never overflows.  Pure: no I/O, no clock.
 */
int connlog_format(const struct connlog_record *r, char *out, size_t cap, size_t *len);

/* A log destination: an append-only file, or syslog(3). */
struct connlog {
	bool is_open;
	bool use_syslog;
	int fd;			/* -1 for syslog */
	char *path;		/* owned; NULL for syslog */
};

/*
 * target is a file path, or the word "syslog" for syslog(3) with ident
 * "ovpn-endpoint", facility LOG_DAEMON, priority LOG_INFO.  A file is opened
 * O_WRONLY|O_APPEND|O_CREAT, mode 0640.  Returns 0, ERR_INVAL, ERR_NOMEM or
 * ERR_SYS (errno set).  On failure cl is left closed.
 */
int connlog_open(struct connlog *cl, const char *target);
/*
 * Append one record.  The line goes out in a single write(2) on an
 * O_APPEND descriptor, so lines from several processes never interleave.
 * Returns 0, ERR_BADSTATE if closed, ERR_SYS (errno set; a short write is
 * reported as ENOSPC) or ERR_OVERFLOW (cannot happen for valid records).
 */
int connlog_write(struct connlog *cl, const struct connlog_record *r);
/*
 * Reopen the file at the same path (after logrotate moved it; call on
 * SIGHUP).  The old descriptor is kept if the open fails.  A no-op for
 * syslog.  Returns 0, ERR_BADSTATE if closed, or ERR_SYS.
 */
int connlog_reopen(struct connlog *cl);
/* Close and free; safe on a closed or zeroed struct connlog. */
void connlog_close(struct connlog *cl);

#endif
