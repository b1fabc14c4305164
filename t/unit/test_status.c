/*
 * test_status.c - status report text, versions 1/2/3, byte for byte.
 *
 * Golden origins:
 * - "zero clients" texts were captured from the real OpenVPN 2.6.14 binary
 *   (server in a network namespace, `status`, `status 2`, `status 3` over
 *   the management socket, TZ=UTC) on 2026-11-21; only TITLE and times are
 *   substituted from the capture.
 * - "two clients" texts are docs/management-interface.md §5.1-5.3, which
 *   were recorded from 2.6.14 in UTC.
 * Every test sets TZ explicitly, so the machine's zone cannot matter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "addr.h"
#include "err.h"
#include "status.h"

#define TITLE_26 "OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]"

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int
setup_utc(void **state)
{
	(void)state;
	set_tz("UTC0");
	return 0;
}

static char *
fmt(const struct status_snapshot *s, int version, enum status_eol eol, int want_r)
{
	char *out = NULL;
	size_t len = 0;
	int r;

	r = status_format(s, version, eol, &out, &len);
	assert_int_equal(r, want_r);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
assert_text(const struct status_snapshot *s, int version, enum status_eol eol, const char *want)
{
	char *got = fmt(s, version, eol, 0);

	assert_string_equal(got, want);
	free(got);
}

/* ---- zero clients: real 2.6.14 capture (management, CRLF) ---- */

static const struct status_snapshot empty_snap = {
	.now = 1795299424, .title = TITLE_26, .max_bcast_mcast_queue = 0,
};

static void
test_v1_empty(void **state)
{
	(void)state;
	assert_text(&empty_snap, 1, STATUS_EOL_CRLF,
	    "OpenVPN CLIENT LIST\r\n"
	    "Updated,2026-11-21 22:17:04\r\n"
	    "Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since\r\n"
	    "ROUTING TABLE\r\n"
	    "Virtual Address,Common Name,Real Address,Last Ref\r\n"
	    "GLOBAL STATS\r\n"
	    "Max bcast/mcast queue length,0\r\n"
	    "END\r\n");
}

static void
test_v2_empty(void **state)
{
	(void)state;
	assert_text(&empty_snap, 2, STATUS_EOL_CRLF,
	    "TITLE," TITLE_26 "\r\n"
	    "TIME,2026-11-21 22:17:04,1795299424\r\n"
	    "HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,Virtual IPv6 Address,Bytes Received,Bytes Sent,Connected Since,Connected Since (time_t),Username,Client ID,Peer ID,Data Channel Cipher\r\n"
	    "HEADER,ROUTING_TABLE,Virtual Address,Common Name,Real Address,Last Ref,Last Ref (time_t)\r\n"
	    "GLOBAL_STATS,Max bcast/mcast queue length,0\r\n"
	    "GLOBAL_STATS,dco_enabled,0\r\n"
	    "END\r\n");
}

static void
test_v3_empty(void **state)
{
	(void)state;
	assert_text(&empty_snap, 3, STATUS_EOL_CRLF,
	    "TITLE\t" TITLE_26 "\r\n"
	    "TIME\t2026-11-21 22:17:04\t1795299424\r\n"
	    "HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tVirtual Address\tVirtual IPv6 Address\tBytes Received\tBytes Sent\tConnected Since\tConnected Since (time_t)\tUsername\tClient ID\tPeer ID\tData Channel Cipher\r\n"
	    "HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\tReal Address\tLast Ref\tLast Ref (time_t)\r\n"
	    "GLOBAL_STATS\tMax bcast/mcast queue length\t0\r\n"
	    "GLOBAL_STATS\tdco_enabled\t0\r\n"
	    "END\r\n");
}

/* ---- two clients: the doc's verified 2.6.14 output (status file, LF) ---- */

static const struct status_client two_clients[] = {
	{ .cn = "client1", .real = "192.0.2.2:40001", .vaddr4 = "10.8.0.2",
	  .vaddr6 = "fd00:8::1000", .bytes_rx = 2318, .bytes_tx = 2289,
	  .connected_since = 1795287614, .username = "alice", .client_id = 0,
	  .peer_id = 0, .cipher = "AES-256-GCM" },
	{ .cn = "client2", .real = "192.0.2.2:40002", .vaddr4 = "10.8.0.3",
	  .vaddr6 = "fd00:8::1001", .bytes_rx = 2395, .bytes_tx = 2327,
	  .connected_since = 1795287617, .username = "deferuser", .client_id = 1,
	  .peer_id = 1, .cipher = "AES-256-GCM" },
};

static const struct status_route two_routes[] = {
	{ .vaddr = "10.8.0.2", .cn = "client1", .real = "192.0.2.2:40001", .last_ref = 1795287614 },
	{ .vaddr = "10.8.0.3", .cn = "client2", .real = "192.0.2.2:40002", .last_ref = 1795287619 },
	{ .vaddr = "fd00:8::1000", .cn = "client1", .real = "192.0.2.2:40001", .last_ref = 1795287614 },
	{ .vaddr = "fd00:8::1001", .cn = "client2", .real = "192.0.2.2:40002", .last_ref = 1795287619 },
};

static void
test_v1_two(void **state)
{
	struct status_snapshot s = {
		.now = 1795287631, .title = TITLE_26, .clients = two_clients,
		.nclients = 2, .routes = two_routes, .nroutes = 4,
		.max_bcast_mcast_queue = 2,
	};

	(void)state;
	assert_text(&s, 1, STATUS_EOL_LF,
	    "OpenVPN CLIENT LIST\n"
	    "Updated,2026-11-21 19:00:31\n"
	    "Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since\n"
	    "client1,192.0.2.2:40001,2318,2289,2026-11-21 19:00:14\n"
	    "client2,192.0.2.2:40002,2395,2327,2026-11-21 19:00:17\n"
	    "ROUTING TABLE\n"
	    "Virtual Address,Common Name,Real Address,Last Ref\n"
	    "10.8.0.2,client1,192.0.2.2:40001,2026-11-21 19:00:14\n"
	    "10.8.0.3,client2,192.0.2.2:40002,2026-11-21 19:00:19\n"
	    "fd00:8::1000,client1,192.0.2.2:40001,2026-11-21 19:00:14\n"
	    "fd00:8::1001,client2,192.0.2.2:40002,2026-11-21 19:00:19\n"
	    "GLOBAL STATS\n"
	    "Max bcast/mcast queue length,2\n"
	    "END\n");
}

static const char v2_two[] =
    "TITLE," TITLE_26 "\n"
    "TIME,2026-11-21 19:00:32,1795287632\n"
    "HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,Virtual IPv6 Address,Bytes Received,Bytes Sent,Connected Since,Connected Since (time_t),Username,Client ID,Peer ID,Data Channel Cipher\n"
    "CLIENT_LIST,client1,192.0.2.2:40001,10.8.0.2,fd00:8::1000,2318,2289,2026-11-21 19:00:14,1795287614,alice,0,0,AES-256-GCM\n"
    "CLIENT_LIST,client2,192.0.2.2:40002,10.8.0.3,fd00:8::1001,2395,2327,2026-11-21 19:00:17,1795287617,deferuser,1,1,AES-256-GCM\n"
    "HEADER,ROUTING_TABLE,Virtual Address,Common Name,Real Address,Last Ref,Last Ref (time_t)\n"
    "ROUTING_TABLE,10.8.0.2,client1,192.0.2.2:40001,2026-11-21 19:00:14,1795287614\n"
    "ROUTING_TABLE,10.8.0.3,client2,192.0.2.2:40002,2026-11-21 19:00:19,1795287619\n"
    "ROUTING_TABLE,fd00:8::1000,client1,192.0.2.2:40001,2026-11-21 19:00:14,1795287614\n"
    "ROUTING_TABLE,fd00:8::1001,client2,192.0.2.2:40002,2026-11-21 19:00:19,1795287619\n"
    "GLOBAL_STATS,Max bcast/mcast queue length,2\n"
    "GLOBAL_STATS,dco_enabled,0\n"
    "END\n";

static const struct status_snapshot two_snap = {
	.now = 1795287632, .title = TITLE_26, .clients = two_clients,
	.nclients = 2, .routes = two_routes, .nroutes = 4,
	.max_bcast_mcast_queue = 2,
};

static void
test_v2_two(void **state)
{
	(void)state;
	assert_text(&two_snap, 2, STATUS_EOL_LF, v2_two);
}

/* v3 is v2 with every separating comma a TAB; derive and compare. */
static void
test_v3_two(void **state)
{
	char want[sizeof(v2_two)];
	size_t i;

	(void)state;
	memcpy(want, v2_two, sizeof(want));
	for (i = 0; want[i] != '\0'; i++)
		if (want[i] == ',')
			want[i] = '\t';
	assert_text(&two_snap, 3, STATUS_EOL_LF, want);
	/* the doc's own example row, literally */
	{
		char *got = fmt(&two_snap, 3, STATUS_EOL_LF, 0);

		assert_non_null(strstr(got, "\nCLIENT_LIST\tclient1\t192.0.2.2:40001\t10.8.0.2\t"
		    "fd00:8::1000\t2318\t2289\t2026-11-21 19:00:14\t1795287614\talice\t0\t0\t"
		    "AES-256-GCM\n"));
		free(got);
	}
}

/* ---- one client, management line endings, the CRLF vs LF difference ---- */

static void
test_one_client_crlf_vs_lf(void **state)
{
	struct status_snapshot s = two_snap;
	char *crlf, *lf, *p, *q;

	(void)state;
	s.nclients = 1;
	s.nroutes = 1;
	crlf = fmt(&s, 2, STATUS_EOL_CRLF, 0);
	lf = fmt(&s, 2, STATUS_EOL_LF, 0);
	/* identical once every CR is removed; every LF is preceded by CR */
	for (p = q = crlf; *p != '\0'; p++) {
		if (*p == '\n')
			assert_true(p > crlf && p[-1] == '\r');
		if (*p != '\r')
			*q++ = *p;
	}
	*q = '\0';
	assert_string_equal(crlf, lf);
	assert_non_null(strstr(lf, "\nCLIENT_LIST,client1,"));
	assert_null(strstr(lf, "client2"));
	free(crlf);
	free(lf);
}

/* ---- UNDEF, empty virtual addresses, unnegotiated cipher, IPv6 peers ---- */

static void
test_undef_and_half_connected(void **state)
{
	struct status_client c = {
		.cn = NULL, .real = "2001:db8::2", .vaddr4 = NULL, .vaddr6 = "",
		.bytes_rx = 2066, .bytes_tx = 1804, .connected_since = 1795287617,
		.username = "", .client_id = 2, .peer_id = 0, .cipher = NULL,
	};
	struct status_route r = {
		.vaddr = "10.77.0.0/16", .cn = "", .real = "2001:db8::2",
		.last_ref = 1795287619,
	};
	struct status_route rc = {
		.vaddr = "10.77.1.9", .cached = true, .cn = "x", .real = "1.2.3.4:5",
		.last_ref = 1795287619,
	};
	struct status_route routes[2];
	struct status_snapshot s = {
		.now = 1795287632, .title = "t", .clients = &c, .nclients = 1,
		.routes = routes, .nroutes = 2,
	};
	char *got;

	(void)state;
	routes[0] = r;
	routes[1] = rc;
	got = fmt(&s, 2, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, "\nCLIENT_LIST,UNDEF,2001:db8::2,,,2066,1804,"
	    "2026-11-21 19:00:17,1795287617,UNDEF,2,0,BF-CBC\n"));
	assert_non_null(strstr(got, "\nROUTING_TABLE,10.77.0.0/16,UNDEF,2001:db8::2,"
	    "2026-11-21 19:00:19,1795287619\n"));
	assert_non_null(strstr(got, "\nROUTING_TABLE,10.77.1.9C,x,1.2.3.4:5,"));
	free(got);
	got = fmt(&s, 1, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, "\nUNDEF,2001:db8::2,2066,1804,2026-11-21 19:00:17\n"));
	assert_non_null(strstr(got, "\n10.77.1.9C,x,1.2.3.4:5,2026-11-21 19:00:19\n"));
	free(got);
}

/* ---- long names, huge counters, many clients ---- */

static void
test_long_cn_and_many_clients(void **state)
{
	enum { N = 5000 };
	struct status_client *cs;
	struct status_snapshot s = { .now = 1795287632, .title = "t" };
	char cn[3001];
	char *got, *p;
	size_t i, rows;

	(void)state;
	/* longer than 2.6's 511-character line and our 1 KiB stack buffer */
	memset(cn, 'a', sizeof(cn) - 1);
	cn[sizeof(cn) - 1] = '\0';
	cs = calloc(N, sizeof(*cs));
	assert_non_null(cs);
	for (i = 0; i < N; i++) {
		cs[i].cn = i == 0 ? cn : "c";
		cs[i].real = "192.0.2.9:1";
		cs[i].bytes_rx = UINT64_MAX;
		cs[i].bytes_tx = i;
		cs[i].connected_since = 1795287614;
		cs[i].client_id = UINT64_C(4294967295) + i;
		cs[i].peer_id = 0xffffff;
		cs[i].cipher = "CHACHA20-POLY1305";
	}
	s.clients = cs;
	s.nclients = N;
	got = fmt(&s, 3, STATUS_EOL_CRLF, 0);
	assert_non_null(strstr(got, cn));
	assert_non_null(strstr(got, "\t18446744073709551615\t0\t2026-11-21 19:00:14\t"
	    "1795287614\tUNDEF\t4294967295\t16777215\tCHACHA20-POLY1305\r\n"));
	for (rows = 0, p = got; (p = strstr(p, "\r\nCLIENT_LIST\t")) != NULL; p++)
		rows++;
	assert_int_equal(rows, N);
	assert_non_null(strstr(got, "\r\nEND\r\n"));
	free(got);
	free(cs);
}

/* ---- hostile field content cannot add lines or columns ---- */

static void
test_sanitize(void **state)
{
	struct status_client c = {
		.cn = "evil\r\nEND\r\n", .real = "1.2.3.4:5", .username = "a,b\tc",
		.cipher = "X", .connected_since = 1795287614,
	};
	struct status_snapshot s = {
		.now = 1795287632, .title = "two\nlines", .clients = &c, .nclients = 1,
	};
	char *got;

	(void)state;
	got = fmt(&s, 2, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, "TITLE,two_lines\n"));
	assert_non_null(strstr(got, "\nCLIENT_LIST,evil__END__,1.2.3.4:5,"));
	assert_non_null(strstr(got, ",a_b_c,"));
	/* an END line appears exactly once, at the end */
	assert_ptr_equal(strstr(got, "\nEND\n"), got + strlen(got) - 5);
	free(got);
}

/* ---- bad version: one ERROR line and no END ---- */

static void
test_bad_version(void **state)
{
	char *got;
	int v;

	(void)state;
	for (v = -1; v <= 5; v++) {
		if (v >= 1 && v <= 3)
			continue;
		got = fmt(&empty_snap, v, STATUS_EOL_CRLF, ERR_RANGE);
		assert_string_equal(got, "ERROR: bad status format version number\r\n");
		free(got);
	}
}

/* ---- time zone: dates follow TZ, time_t columns never do ---- */

static void
test_timezone(void **state)
{
	char *got;

	(void)state;
	/* POSIX TZ: "IST-5:30" is UTC+5:30, no DST */
	set_tz("IST-5:30");
	got = fmt(&two_snap, 2, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, "TIME,2026-11-22 00:30:32,1795287632\n"));
	assert_non_null(strstr(got, ",2026-11-22 00:30:14,1795287614,alice,"));
	free(got);

	set_tz("PST8");
	got = fmt(&two_snap, 1, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, "Updated,2026-11-21 11:00:32\n"));
	free(got);

	set_tz("UTC0");
	got = fmt(&two_snap, 2, STATUS_EOL_LF, 0);
	assert_string_equal(got, v2_two);
	free(got);
}

/* ---- a zero time prints as the report time (2.6 time_string(0)) ---- */

static void
test_zero_time_is_now(void **state)
{
	struct status_client c = { .cn = "z", .real = "1.1.1.1:1", .cipher = "X" };
	struct status_snapshot s = { .now = 1795287632, .title = "t", .clients = &c, .nclients = 1 };
	char *got;

	(void)state;
	got = fmt(&s, 2, STATUS_EOL_LF, 0);
	assert_non_null(strstr(got, ",2026-11-21 19:00:32,1795287632,UNDEF,"));
	free(got);
}

/* ---- the callback can stop the report ---- */

struct counter {
	int lines;
	int stop_at;
};

static int
count_cb(void *arg, const char *line, size_t len)
{
	struct counter *c = arg;

	assert_true(len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n');
	if (++c->lines == c->stop_at)
		return ERR_FULL;
	return 0;
}

static void
test_callback_stop(void **state)
{
	struct counter c = { 0, 3 };

	(void)state;
	assert_int_equal(status_write(&two_snap, 2, STATUS_EOL_CRLF, count_cb, &c), ERR_FULL);
	assert_int_equal(c.lines, 3);
	c.lines = 0;
	c.stop_at = -1;
	assert_int_equal(status_write(&two_snap, 2, STATUS_EOL_CRLF, count_cb, &c), 0);
	assert_int_equal(c.lines, 13);
	c.lines = 0;
	assert_int_equal(status_write(&two_snap, 1, STATUS_EOL_CRLF, count_cb, &c), 0);
	assert_int_equal(c.lines, 14);
}

/* ---- Real Address text ---- */

static void
test_real_addr(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char out[SOCKADDR_STR_MAX];

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40001);
	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	assert_int_equal(status_real_addr((struct sockaddr *)&sin, sizeof(sin), out, sizeof(out)), 0);
	assert_string_equal(out, "192.0.2.2:40001");
	assert_int_equal(status_real_addr((struct sockaddr *)&sin, sizeof(sin), out, 15), ERR_OVERFLOW);
	assert_int_equal(status_real_addr((struct sockaddr *)&sin, sizeof(sin), out, 16), 0);
	assert_int_equal(status_real_addr((struct sockaddr *)&sin, 4, out, sizeof(out)), ERR_TRUNC);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(1194);
	inet_pton(AF_INET6, "::ffff:198.51.100.7", &sin6.sin6_addr);
	assert_int_equal(status_real_addr((struct sockaddr *)&sin6, sizeof(sin6), out, sizeof(out)), 0);
	assert_string_equal(out, "198.51.100.7:1194");

	inet_pton(AF_INET6, "2001:db8::2", &sin6.sin6_addr);
	assert_int_equal(status_real_addr((struct sockaddr *)&sin6, sizeof(sin6), out, sizeof(out)), 0);
	assert_string_equal(out, "2001:db8::2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_v1_empty, setup_utc),
		cmocka_unit_test_setup(test_v2_empty, setup_utc),
		cmocka_unit_test_setup(test_v3_empty, setup_utc),
		cmocka_unit_test_setup(test_v1_two, setup_utc),
		cmocka_unit_test_setup(test_v2_two, setup_utc),
		cmocka_unit_test_setup(test_v3_two, setup_utc),
		cmocka_unit_test_setup(test_one_client_crlf_vs_lf, setup_utc),
		cmocka_unit_test_setup(test_undef_and_half_connected, setup_utc),
		cmocka_unit_test_setup(test_long_cn_and_many_clients, setup_utc),
		cmocka_unit_test_setup(test_sanitize, setup_utc),
		cmocka_unit_test_setup(test_bad_version, setup_utc),
		cmocka_unit_test_setup(test_timezone, setup_utc),
		cmocka_unit_test_setup(test_zero_time_is_now, setup_utc),
		cmocka_unit_test_setup(test_callback_stop, setup_utc),
		cmocka_unit_test_setup(test_real_addr, setup_utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
