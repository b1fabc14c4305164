/*
 * connlog.c - connection log records as AWS Client VPN style JSON lines.
 *
 * Design: connlog_format() is pure; it turns a plain struct into one line
 * through the JSON writer, which guarantees valid UTF-8, escaped control
 * characters and therefore no embedded newline.  The writer half only moves
 * finished lines: one write(2) per line on an O_APPEND descriptor (POSIX
 * makes the seek-and-write atomic, so concurrent writers, e.g. several
 * engine processes or a logrotate copytruncate, never split a line), or one
 * syslog(3) call.
 *
 * Invariants:
 *  - Every string field is cut to CONNLOG_FIELD_MAX bytes before escaping,
 *    at a UTF-8 boundary where possible; escaping grows a byte at most six
 *    times ("\u001f"), so the worst record is far below CONNLOG_LINE_MAX and
 *    formatting into such a buffer cannot fail.
 *  - Absent values are "NA" and every AWS value is a string, exactly as
 *    AWS writes them, so consumers of AWS logs parse ours unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "connlog.h"
#include "err.h"
#include "json.h"

#define NA "NA"
#define SYSLOG_IDENT "ovpn-endpoint"

/* Length of s to log: at most CONNLOG_FIELD_MAX, not splitting a sequence. */
static size_t
field_len(const char *s)
{
	size_t n = strnlen(s, CONNLOG_FIELD_MAX + 1), k;

	if (n <= CONNLOG_FIELD_MAX)
		return n;
	n = CONNLOG_FIELD_MAX;
	/* Back off over at most 3 continuation bytes to the lead byte. */
	for (k = 0; k < 3 && ((uint8_t)s[n] & 0xc0) == 0x80; k++)
		n--;
	if (((uint8_t)s[n] & 0xc0) == 0x80)
		n = CONNLOG_FIELD_MAX;	/* not UTF-8 anyway; the writer replaces it */
	return n;
}

static void
kv_text(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s == NULL || s[0] == '\0')
		json_str(j, NA);
	else
		json_strn(j, s, field_len(s));
}

static void
kv_u64(struct json *j, const char *key, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	json_kv_str(j, key, tmp);
}

/* AWS time: UTC "2020-03-26 20:37:15"; 0 and earlier are "NA". */
static void
kv_time(struct json *j, const char *key, time_t t)
{
	char tmp[32];
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		json_kv_str(j, key, NA);
		return;
	}
	json_kv_str(j, key, tmp);
}

static void
kv_addr(struct json *j, const char *key, const struct addr *a)
{
	char tmp[ADDR_STR_MAX];

	if (a->family == 0 || addr_format(a, tmp, sizeof(tmp)) != 0)
		json_kv_str(j, key, NA);
	else
		json_kv_str(j, key, tmp);
}

static const char *
status_text(enum connlog_status s)
{
	switch (s) {
	case CONNLOG_SUCCESSFUL:
		return "successful";
	case CONNLOG_FAILED:
		return "failed";
	case CONNLOG_STATUS_NA:
		break;
	}
	return NA;
}

/*
 * AWS: "the difference between connection-start-time and
 * connection-end-time"; its examples show "0" for a fresh connection and
 * "NA" when there is no start.  While a connection is up we measure to the
 * last update, so periodic records show the age.
 */
static void
kv_duration(struct json *j, const struct connlog_record *r)
{
	time_t until = r->end_time > 0 ? r->end_time : r->last_update_time;

	if (r->start_time <= 0) {
		json_kv_str(j, "connection-duration-seconds", NA);
		return;
	}
	kv_u64(j, "connection-duration-seconds",
	    until > r->start_time ? (uint64_t)(until - r->start_time) : 0);
}

int
connlog_format(const struct connlog_record *r, char *out, size_t cap, size_t *len)
{
	struct json j;
	size_t n;
	int rc;

	json_init(&j, out, cap);
	json_obj_begin(&j);
	json_kv_str(&j, "connection-log-type",
	    r->type == CONNLOG_RESET ? "connection-reset" : "connection-attempt");
	json_kv_str(&j, "connection-attempt-status", status_text(r->status));
	json_kv_str(&j, "connection-reset-status", NA);
	kv_text(&j, "connection-attempt-failure-reason", r->failure_reason);
	kv_text(&j, "connection-id", r->connection_id);
	kv_text(&j, "client-vpn-endpoint-id", r->endpoint_id);
	kv_text(&j, "transport-protocol", r->transport);
	kv_time(&j, "connection-start-time", r->start_time);
	kv_time(&j, "connection-last-update-time", r->last_update_time);
	kv_addr(&j, "client-ip", &r->client_ip);
	kv_addr(&j, "client-ip-v6", &r->client_ip6);
	kv_text(&j, "common-name", r->common_name);
	kv_text(&j, "device-type", r->device_type);
	kv_addr(&j, "device-ip", &r->device_ip);
	if (r->port != 0)
		kv_u64(&j, "port", r->port);
	else
		json_kv_str(&j, "port", NA);
	kv_u64(&j, "ingress-bytes", r->ingress_bytes);
	kv_u64(&j, "egress-bytes", r->egress_bytes);
	kv_u64(&j, "ingress-packets", r->ingress_packets);
	kv_u64(&j, "egress-packets", r->egress_packets);
	kv_time(&j, "connection-end-time", r->end_time);
	kv_duration(&j, r);
	kv_text(&j, "username", r->username);
	/* ours, after every AWS field */
	kv_text(&j, "client-openvpn-version", r->client_version);
	kv_text(&j, "failure-detail", r->failure_detail);
	kv_text(&j, "cipher", r->cipher);
	if (r->has_peer_id)
		kv_u64(&j, "peer-id", r->peer_id);
	else
		json_kv_str(&j, "peer-id", NA);
	json_obj_end(&j);
	if ((rc = json_finish(&j)) != 0)
		return rc;
	json_data(&j, &n);
	if (cap - n < 2)	/* json_finish() proved n < cap */
		return ERR_OVERFLOW;
	out[n++] = '\n';
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

int
connlog_open(struct connlog *cl, const char *target)
{
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	if (target == NULL || target[0] == '\0')
		return ERR_INVAL;
	if (strcmp(target, "syslog") == 0) {
		/* LOG_NDELAY connects now, before any chroot hides /dev/log. */
		openlog(SYSLOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		cl->use_syslog = true;
		cl->is_open = true;
		return 0;
	}
	if ((cl->path = strdup(target)) == NULL)
		return ERR_NOMEM;
	cl->fd = open(cl->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (cl->fd < 0) {
		int saved = errno;

		free(cl->path);
		cl->path = NULL;
		errno = saved;
		return ERR_SYS;
	}
	cl->is_open = true;
	return 0;
}

int
connlog_write(struct connlog *cl, const struct connlog_record *r)
{
	char line[CONNLOG_LINE_MAX];
	size_t len;
	ssize_t n;
	int rc;

	if (!cl->is_open)
		return ERR_BADSTATE;
	if ((rc = connlog_format(r, line, sizeof(line), &len)) != 0)
		return rc;
	if (cl->use_syslog) {
		/* syslog adds its own framing; the newline is ours to drop. */
		syslog(LOG_INFO, "%.*s", (int)(len - 1), line);
		return 0;
	}
	do
		n = write(cl->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ERR_SYS;
	if ((size_t)n != len) {
		/*
		 * Only a full disk or a file size limit gives a short write on
		 * a regular file; retrying the tail could interleave.
		 */
		errno = ENOSPC;
		return ERR_SYS;
	}
	return 0;
}

int
connlog_reopen(struct connlog *cl)
{
	int fd;

	if (!cl->is_open)
		return ERR_BADSTATE;
	if (cl->use_syslog)
		return 0;
	fd = open(cl->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return ERR_SYS;
	close(cl->fd);
	cl->fd = fd;
	return 0;
}

void
connlog_close(struct connlog *cl)
{
	if (cl->is_open) {
		if (cl->use_syslog)
			closelog();
		else
			close(cl->fd);
	}
	free(cl->path);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}
