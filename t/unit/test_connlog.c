/*
 * test_connlog.c - connection log records: the AWS Client VPN field names,
 * order and value conventions (strings everywhere, "NA" when absent, UTC
 * "YYYY-MM-DD HH:MM:SS"), checked by python3's json parser; hostile
 * peer strings stay one valid line; the file writer appends whole lines,
 * survives a logrotate rename through connlog_reopen(), does not interleave
 * lines of concurrent processes; syslog output goes through syslog(3) with
 * our ident (captured by interposing the libc functions below).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "addr.h"
#include "connlog.h"
#include "err.h"

/* ---- syslog(3) interposed: the executable's definitions win over libc's ---- */
static char sl_ident[64], sl_msg[CONNLOG_LINE_MAX];
static int sl_facility, sl_pri, sl_calls;

void
openlog(const char *ident, int option, int facility)
{
	snprintf(sl_ident, sizeof(sl_ident), "%s", ident);
	sl_facility = facility;
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sl_msg, sizeof(sl_msg), fmt, ap);
	va_end(ap);
	sl_pri = pri;
	sl_calls++;
}

void
closelog(void)
{
}

/* ---- helpers ---- */

/* The AWS keys, in the order of the AWS examples, then ours. */
#define PY_KEYS \
    "K=[\"connection-log-type\",\"connection-attempt-status\",\"connection-reset-status\"," \
    "\"connection-attempt-failure-reason\",\"connection-id\",\"client-vpn-endpoint-id\"," \
    "\"transport-protocol\",\"connection-start-time\",\"connection-last-update-time\"," \
    "\"client-ip\",\"client-ip-v6\",\"common-name\",\"device-type\",\"device-ip\",\"port\"," \
    "\"ingress-bytes\",\"egress-bytes\",\"ingress-packets\",\"egress-packets\"," \
    "\"connection-end-time\",\"connection-duration-seconds\",\"username\"," \
    "\"client-openvpn-version\",\"failure-detail\",\"cipher\",\"peer-id\"]\n"

/*
 * Python checks every line: valid UTF-8, one JSON object, exactly our keys
 * in order, every value a string, times and numbers well-formed or "NA".
 * It prints each record back in canonical ASCII form, one per line.
 */
static const char PY_CHECK[] =
    "import json,re,sys\n"
    PY_KEYS
    "T=re.compile(r\"^(NA|\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)$\")\n"
    "N=re.compile(r\"^(NA|\\d+)$\")\n"
    "raw=sys.stdin.buffer.read().decode(\"utf-8\")\n"
    "assert raw.endswith(\"\\n\")\n"
    "for line in raw.split(\"\\n\")[:-1]:\n"
    "    d=json.loads(line)\n"
    "    assert list(d.keys())==K,list(d.keys())\n"
    "    assert all(type(v) is str for v in d.values())\n"
    "    for k in K:\n"
    "        if k.endswith(\"-time\"): assert T.match(d[k]),(k,d[k])\n"
    "        if k.endswith((\"-bytes\",\"-packets\",\"-seconds\",\"port\",\"peer-id\")): assert N.match(d[k]),(k,d[k])\n"
    "    print(json.dumps(d,ensure_ascii=True,separators=(\",\",\":\")))\n";

static int
run_py(const char *script, const void *in, size_t inlen, char *out, size_t cap)
{
	char path[] = "/tmp/test_connlog.XXXXXX", cmd[8192];
	FILE *p;
	size_t got = 0, r;
	int fd, st;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, in, inlen), (ssize_t)inlen);
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s", script, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (got + 1 < cap && (r = fread(out + got, 1, cap - 1 - got, p)) > 0)
		got += r;
	out[got] = '\0';
	st = pclose(p);
	unlink(path);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	return WEXITSTATUS(st);
}

/* Run PY_CHECK over text; skip the test if python3 is missing. */
static void
py_check(const char *text, size_t len, char *out, size_t cap)
{
	int rc = run_py(PY_CHECK, text, len, out, cap);

	if (rc < 0)
		skip();
	assert_int_equal(rc, 0);
}

static void
set_addr(struct addr *a, const char *s)
{
	assert_int_equal(addr_parse(s, a), 0);
}

/* 2020-03-26 20:37:15 UTC, the time in the AWS documentation's example */
#define T0 ((time_t)1585255035)

static void
session_record(struct connlog_record *r)
{
	memset(r, 0, sizeof(*r));
	r->type = CONNLOG_ATTEMPT;
	r->status = CONNLOG_SUCCESSFUL;
	r->connection_id = "cvpn-connection-0000000000000001";
	r->endpoint_id = "vpn1";
	r->transport = "udp";
	r->start_time = T0;
	r->last_update_time = T0;
	set_addr(&r->client_ip, "10.8.0.2");
	set_addr(&r->client_ip6, "fd00::1000");
	r->common_name = "client1";
	r->device_type = "linux";
	set_addr(&r->device_ip, "198.51.100.7");
	r->port = 50096;
	r->client_version = "2.6.12";
	r->cipher = "AES-256-GCM";
	r->has_peer_id = true;
	r->peer_id = 7;
}

static void
test_successful_session(void **state)
{
	static const char want[] =
	    "{\"connection-log-type\":\"connection-attempt\","
	    "\"connection-attempt-status\":\"successful\","
	    "\"connection-reset-status\":\"NA\","
	    "\"connection-attempt-failure-reason\":\"NA\","
	    "\"connection-id\":\"cvpn-connection-0000000000000001\","
	    "\"client-vpn-endpoint-id\":\"vpn1\","
	    "\"transport-protocol\":\"udp\","
	    "\"connection-start-time\":\"2020-03-26 20:37:15\","
	    "\"connection-last-update-time\":\"2020-03-26 20:37:15\","
	    "\"client-ip\":\"10.8.0.2\","
	    "\"client-ip-v6\":\"fd00::1000\","
	    "\"common-name\":\"client1\","
	    "\"device-type\":\"linux\","
	    "\"device-ip\":\"198.51.100.7\","
	    "\"port\":\"50096\","
	    "\"ingress-bytes\":\"0\",\"egress-bytes\":\"0\","
	    "\"ingress-packets\":\"0\",\"egress-packets\":\"0\","
	    "\"connection-end-time\":\"NA\","
	    "\"connection-duration-seconds\":\"0\","
	    "\"username\":\"NA\","
	    "\"client-openvpn-version\":\"2.6.12\","
	    "\"failure-detail\":\"NA\","
	    "\"cipher\":\"AES-256-GCM\","
	    "\"peer-id\":\"7\"}\n";
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], out[CONNLOG_LINE_MAX];
	size_t len;

	session_record(&r);
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_string_equal(line, want);
	assert_int_equal(len, strlen(want));
	/* python reads the same thing back */
	py_check(line, len, out, sizeof(out));
	assert_string_equal(out, want);
}

static void
test_disconnect_record(void **state)
{
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], out[CONNLOG_LINE_MAX];
	size_t len;

	session_record(&r);
	r.type = CONNLOG_RESET;
	r.status = CONNLOG_STATUS_NA;
	r.username = "joe";
	r.last_update_time = T0 + 318;
	r.end_time = T0 + 318;
	r.ingress_bytes = 21017;
	r.egress_bytes = UINT64_MAX;
	r.ingress_packets = 330;
	r.egress_packets = 325;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	py_check(line, len, out, sizeof(out));
	assert_non_null(strstr(out, "\"connection-log-type\":\"connection-reset\","
	    "\"connection-attempt-status\":\"NA\","));
	assert_non_null(strstr(out, "\"ingress-bytes\":\"21017\","
	    "\"egress-bytes\":\"18446744073709551615\","
	    "\"ingress-packets\":\"330\",\"egress-packets\":\"325\","
	    "\"connection-end-time\":\"2020-03-26 20:42:33\","
	    "\"connection-duration-seconds\":\"318\",\"username\":\"joe\","));

	/* an active connection's periodic update measures to the last update */
	r.type = CONNLOG_ATTEMPT;
	r.end_time = 0;
	r.last_update_time = T0 + 60;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_non_null(strstr(line, "\"connection-end-time\":\"NA\","
	    "\"connection-duration-seconds\":\"60\","));
	/* a clock that stepped back never gives a negative duration */
	r.last_update_time = T0 - 5;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_non_null(strstr(line, "\"connection-duration-seconds\":\"0\","));
}

/* A TLS handshake that failed: nothing but the outer address is known. */
static void
test_failed_tls_attempt(void **state)
{
	static const char want[] =
	    "{\"connection-log-type\":\"connection-attempt\","
	    "\"connection-attempt-status\":\"failed\","
	    "\"connection-reset-status\":\"NA\","
	    "\"connection-attempt-failure-reason\":\"tls-handshake-failed\","
	    "\"connection-id\":\"cvpn-connection-0000000000000002\","
	    "\"client-vpn-endpoint-id\":\"vpn1\","
	    "\"transport-protocol\":\"tcp\","
	    "\"connection-start-time\":\"NA\","
	    "\"connection-last-update-time\":\"2020-03-26 20:37:16\","
	    "\"client-ip\":\"NA\",\"client-ip-v6\":\"NA\","
	    "\"common-name\":\"NA\",\"device-type\":\"NA\","
	    "\"device-ip\":\"2001:db8::7\",\"port\":\"1194\","
	    "\"ingress-bytes\":\"0\",\"egress-bytes\":\"0\","
	    "\"ingress-packets\":\"0\",\"egress-packets\":\"0\","
	    "\"connection-end-time\":\"NA\","
	    "\"connection-duration-seconds\":\"NA\","
	    "\"username\":\"NA\",\"client-openvpn-version\":\"NA\","
	    "\"failure-detail\":\"certificate verify failed: unable to get local issuer certificate\","
	    "\"cipher\":\"NA\",\"peer-id\":\"NA\"}\n";
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], out[CONNLOG_LINE_MAX];
	size_t len;

	memset(&r, 0, sizeof(r));
	r.status = CONNLOG_FAILED;
	r.failure_reason = CONNLOG_REASON_TLS;
	r.failure_detail = "certificate verify failed: unable to get local issuer certificate";
	r.connection_id = "cvpn-connection-0000000000000002";
	r.endpoint_id = "vpn1";
	r.transport = "tcp";
	r.last_update_time = T0 + 1;
	r.common_name = "";	/* empty is absent, too */
	set_addr(&r.device_ip, "2001:db8::7");
	r.port = 1194;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_string_equal(line, want);
	py_check(line, len, out, sizeof(out));
	assert_string_equal(out, want);
}

/* The connect hook said no: the certificate was fine, so the name is known. */
static void
test_hook_denied(void **state)
{
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], out[CONNLOG_LINE_MAX];
	size_t len;

	session_record(&r);
	r.status = CONNLOG_FAILED;
	r.failure_reason = CONNLOG_REASON_HOOK_DENIED;
	r.failure_detail = "hook exit status 1";
	r.start_time = 0;
	r.client_ip.family = 0;
	r.client_ip6.family = 0;
	r.has_peer_id = false;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	py_check(line, len, out, sizeof(out));
	assert_non_null(strstr(out, "\"connection-attempt-status\":\"failed\","));
	assert_non_null(strstr(out,
	    "\"connection-attempt-failure-reason\":\"client-connect-failed\","));
	assert_non_null(strstr(out, "\"client-ip\":\"NA\",\"client-ip-v6\":\"NA\","
	    "\"common-name\":\"client1\","));
	assert_non_null(strstr(out, "\"failure-detail\":\"hook exit status 1\","));
	assert_non_null(strstr(out, "\"connection-duration-seconds\":\"NA\","));
	assert_non_null(strstr(out, "\"peer-id\":\"NA\"}"));
}

/*
 * Peer-chosen strings with quotes, newlines, controls, invalid UTF-8 and
 * U+2028 stay inside their field, on one line; very long ones are cut at
 * CONNLOG_FIELD_MAX without splitting a character.
 */
static void
test_hostile_strings(void **state)
{
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], out[CONNLOG_LINE_MAX], user[4096], ver[200], *p;
	size_t len, i;

	session_record(&r);
	r.common_name = "evil\",\"common-name\":\"admin\"\n{\"x\":\"\r\x1b[31m\xc0\xaf\xed\xa0\x80\xe2\x80\xa8\\";
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	r.username = user;
	/* 127 ASCII bytes then a 2-byte character straddling the cut */
	memset(ver, 'v', CONNLOG_FIELD_MAX - 1);
	memcpy(ver + CONNLOG_FIELD_MAX - 1, "\xc3\xa9tail", 7);
	r.client_version = ver;
	r.device_type = "win\nINJECTED";
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	assert_null(memchr(line, '\r', len));
	py_check(line, len, out, sizeof(out));
	/* one record came back, with the fields where they belong */
	assert_int_equal(strchr(out, '\n') - out, (ptrdiff_t)strlen(out) - 1);
	assert_non_null(strstr(out, "\"common-name\":\"evil\\\",\\\"common-name\\\":\\\"admin\\\"\\n"
	    "{\\\"x\\\":\\\"\\r\\u001b[31m\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\u2028\\\\\","
	    "\"device-type\":\"win\\nINJECTED\","));
	p = strstr(out, "\"username\":\"");
	assert_non_null(p);
	p += strlen("\"username\":\"");
	for (i = 0; i < CONNLOG_FIELD_MAX; i++)
		assert_int_equal(p[i], 'u');
	assert_int_equal(p[CONNLOG_FIELD_MAX], '"');
	/* the cut backs off to before the 2-byte character: no U+FFFD */
	p = strstr(out, "\"client-openvpn-version\":\"");
	assert_non_null(p);
	p += strlen("\"client-openvpn-version\":\"");
	assert_int_equal(strspn(p, "v"), CONNLOG_FIELD_MAX - 1);
	assert_int_equal(p[CONNLOG_FIELD_MAX - 1], '"');
}

/* The largest record fits CONNLOG_LINE_MAX; a small buffer is refused. */
static void
test_worst_case_size(void **state)
{
	struct connlog_record r;
	char line[CONNLOG_LINE_MAX], ctl[CONNLOG_FIELD_MAX + 10], small[64];
	size_t len;

	memset(ctl, 0x01, sizeof(ctl) - 1);	/* escapes to 6 bytes each */
	ctl[sizeof(ctl) - 1] = '\0';
	session_record(&r);
	r.failure_reason = r.failure_detail = r.connection_id = r.endpoint_id = ctl;
	r.transport = r.common_name = r.username = r.device_type = ctl;
	r.client_version = r.cipher = ctl;
	set_addr(&r.client_ip6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	set_addr(&r.device_ip, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	r.ingress_bytes = r.egress_bytes = r.ingress_packets = r.egress_packets = UINT64_MAX;
	r.end_time = (time_t)253402300799;	/* 9999-12-31 23:59:59 */
	r.peer_id = UINT32_MAX;
	assert_int_equal(connlog_format(&r, line, sizeof(line), &len), 0);
	assert_true(len > 10 * 6 * CONNLOG_FIELD_MAX);
	assert_true(len + 4096 < sizeof(line));	/* margin for new fields */
	assert_non_null(strstr(line, "9999-12-31 23:59:59"));

	memset(small, 'Z', sizeof(small));
	assert_int_equal(connlog_format(&r, small, sizeof(small) - 1, &len), ERR_OVERFLOW);
	assert_int_equal(small[sizeof(small) - 1], 'Z');
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	assert_non_null(f);
	buf = malloc(1 << 22);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 22) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_file_and_reopen(void **state)
{
	char dir[] = "/tmp/test_connlog.XXXXXX", path[256], rotated[256], out[CONNLOG_LINE_MAX * 4];
	struct connlog cl;
	struct connlog_record r;
	struct stat st;
	char *text;
	size_t len;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/conn.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/conn.log.1", dir);
	session_record(&r);

	umask(022);
	assert_int_equal(connlog_open(&cl, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(connlog_write(&cl, &r), 0);
	r.peer_id = 8;
	assert_int_equal(connlog_write(&cl, &r), 0);

	/* logrotate: rename, then reopen makes a fresh file */
	assert_int_equal(rename(path, rotated), 0);
	r.peer_id = 9;
	assert_int_equal(connlog_write(&cl, &r), 0);	/* still the old file */
	assert_int_equal(connlog_reopen(&cl), 0);
	r.peer_id = 10;
	assert_int_equal(connlog_write(&cl, &r), 0);

	text = slurp(rotated, &len);
	assert_int_equal(count_lines(text), 3);
	py_check(text, len, out, sizeof(out));
	assert_non_null(strstr(out, "\"peer-id\":\"7\"}\n"));
	assert_non_null(strstr(out, "\"peer-id\":\"9\"}\n"));
	free(text);
	text = slurp(path, &len);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "\"peer-id\":\"10\"}\n"));
	free(text);

	/* a failed reopen keeps the old descriptor working */
	unlink(path);
	unlink(rotated);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(connlog_reopen(&cl), ERR_SYS);
	assert_int_equal(connlog_write(&cl, &r), 0);
	connlog_close(&cl);
	connlog_close(&cl);
	assert_int_equal(connlog_write(&cl, &r), ERR_BADSTATE);
	assert_int_equal(connlog_reopen(&cl), ERR_BADSTATE);
}

static void
test_open_errors(void **state)
{
	struct connlog cl;
	int fd0 = fcntl(0, F_GETFD);

	assert_int_equal(connlog_open(&cl, NULL), ERR_INVAL);
	assert_int_equal(connlog_open(&cl, ""), ERR_INVAL);
	assert_int_equal(connlog_open(&cl, "/nonexistent-dir-h6/x.log"), ERR_SYS);
	assert_false(cl.is_open);
	connlog_close(&cl);
	/* a zeroed struct closes without touching fd 0 */
	memset(&cl, 0, sizeof(cl));
	connlog_close(&cl);
	assert_int_equal(fcntl(0, F_GETFD), fd0);
}

/*
 * Several processes (each with its own descriptor, like separate engines)
 * append long lines at once; every line must come out whole.
 */
static void
test_concurrent_writers(void **state)
{
	enum { PROCS = 4, LINES = 300 };
	char path[] = "/tmp/test_connlog.XXXXXX", ver[CONNLOG_FIELD_MAX + 1], *text, *out;
	struct connlog_record r;
	struct connlog cl;
	pid_t pids[PROCS];
	size_t len;
	int fd, i, k, st;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] != 0)
			continue;
		/* child: ~5 KB lines, so a torn write would be visible */
		session_record(&r);
		memset(ver, 'a' + i, CONNLOG_FIELD_MAX);
		ver[CONNLOG_FIELD_MAX] = '\0';
		r.client_version = r.cipher = r.username = r.common_name = ver;
		r.failure_detail = "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10"
		    "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";
		if (connlog_open(&cl, path) != 0)
			_exit(1);
		for (k = 0; k < LINES; k++) {
			r.peer_id = (uint32_t)k;
			if (connlog_write(&cl, &r) != 0)
				_exit(2);
		}
		connlog_close(&cl);
		_exit(0);
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	text = slurp(path, &len);
	unlink(path);
	assert_int_equal(count_lines(text), PROCS * LINES);
	out = malloc(1 << 23);
	assert_non_null(out);
	py_check(text, len, out, 1 << 23);
	assert_int_equal(count_lines(out), PROCS * LINES);
	free(out);
	free(text);
}

static void
test_syslog(void **state)
{
	struct connlog cl;
	struct connlog_record r;

	session_record(&r);
	sl_calls = 0;
	assert_int_equal(connlog_open(&cl, "syslog"), 0);
	assert_string_equal(sl_ident, "ovpn-endpoint");
	assert_int_equal(sl_facility, LOG_DAEMON);
	assert_int_equal(connlog_write(&cl, &r), 0);
	assert_int_equal(sl_calls, 1);
	assert_int_equal(sl_pri, LOG_INFO);
	/* the same record, minus the newline syslog does not want */
	assert_int_equal(sl_msg[0], '{');
	assert_int_equal(sl_msg[strlen(sl_msg) - 1], '}');
	assert_null(strchr(sl_msg, '\n'));
	assert_non_null(strstr(sl_msg, "\"common-name\":\"client1\""));
	assert_int_equal(connlog_reopen(&cl), 0);
	connlog_close(&cl);
	assert_int_equal(connlog_write(&cl, &r), ERR_BADSTATE);
	assert_int_equal(sl_calls, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_successful_session),
		cmocka_unit_test(test_disconnect_record),
		cmocka_unit_test(test_failed_tls_attempt),
		cmocka_unit_test(test_hook_denied),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_worst_case_size),
		cmocka_unit_test(test_file_and_reopen),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_syslog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
