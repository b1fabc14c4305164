/*
 * test_metrics.c - Prometheus text format 0.0.4 output, checked line by
 * line by a strict parser written from the format description
 * (prometheus.io/docs/instrumenting/exposition_formats; python3's
 * prometheus_client is not installed here), label and HELP escaping
 * round-tripped through that parser, names refused, sticky errors, bounded
 * buffers; and the scrape endpoint's HTTP decisions for good, partial,
 * malformed and oversized requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"

/*
 * The strict checker.  Every line must be a HELP, TYPE or sample line; the
 * input must be strict UTF-8 ending in '\n'; TYPE appears once per family
 * and before its samples; a HELP line is directly followed by the TYPE of
 * the same name; samples carry the open family's name (counter and gauge
 * have no suffixes) so a family's samples are contiguous; label names are
 * valid, not reserved, not repeated; values parse as Go floats.  It prints
 * what it understood as JSON: [families, samples].
 */
static const char PY_PROM[] =
    "import json,re,sys\n"
    "NAME=r\"[a-zA-Z_:][a-zA-Z0-9_:]*\"\n"
    "LNAME=r\"[a-zA-Z_][a-zA-Z0-9_]*\"\n"
    "VAL=r\"[+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN\"\n"
    "HELP=re.compile(r\"# HELP (\"+NAME+r\") ((?:[^\\\\\\n]|\\\\[\\\\n])*)\")\n"
    "TYPE=re.compile(r\"# TYPE (\"+NAME+r\") (counter|gauge)\")\n"
    "SAMP=re.compile(r\"(\"+NAME+r\")(?:[{](.*)[}])? (\"+VAL+r\")(?: -?[0-9]+)?\")\n"
    "LAB=re.compile(r\"(\"+LNAME+r\")=\\\"((?:[^\\\"\\\\\\n]|\\\\[\\\\\\\"n])*)\\\"(,|$)\")\n"
    "def unesc(s):\n"
    "    return re.sub(r\"\\\\(.)\",lambda m:{\"n\":\"\\n\"}.get(m.group(1),m.group(1)),s)\n"
    "raw=sys.stdin.buffer.read().decode(\"utf-8\")\n"
    "assert raw==\"\" or raw.endswith(\"\\n\"),\"no final newline\"\n"
    "fams=[];seen=set();cur=None;helpfor=None;out=[]\n"
    "for line in raw.split(\"\\n\")[:-1]:\n"
    "    m=HELP.fullmatch(line)\n"
    "    if m:\n"
    "        assert helpfor is None and m.group(1) not in seen,line\n"
    "        helpfor=(m.group(1),unesc(m.group(2)));continue\n"
    "    m=TYPE.fullmatch(line)\n"
    "    if m:\n"
    "        n=m.group(1);assert n not in seen,line\n"
    "        h=None\n"
    "        if helpfor is not None:\n"
    "            assert helpfor[0]==n,line;h=helpfor[1];helpfor=None\n"
    "        seen.add(n);cur=n;fams.append([n,m.group(2),h]);continue\n"
    "    assert helpfor is None,line\n"
    "    m=SAMP.fullmatch(line)\n"
    "    assert m,line\n"
    "    assert m.group(1)==cur,(\"sample outside its family\",line)\n"
    "    labs={};rest=m.group(2) or \"\"\n"
    "    while rest:\n"
    "        l=LAB.match(rest);assert l,(\"bad labels\",line)\n"
    "        assert l.group(1) not in labs and not l.group(1).startswith(\"__\"),line\n"
    "        labs[l.group(1)]=unesc(l.group(2));rest=rest[l.end():]\n"
    "    float(m.group(3))\n"
    "    out.append([m.group(1),labs,m.group(3)])\n"
    "print(json.dumps([fams,out],ensure_ascii=True,separators=(\",\",\":\")),end=\"\")\n";

static int
run_py(const char *script, const void *in, size_t inlen, char *out, size_t cap)
{
	char path[] = "/tmp/test_metrics.XXXXXX", cmd[8192];
	FILE *p;
	size_t got = 0, r;
	int fd, st;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, in, inlen), (ssize_t)inlen);
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s 2>/dev/null", script, path);
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

/* Parse with the strict checker; returns its exit status (0 = accepted). */
static int
prom_check(const void *text, size_t len, char *out, size_t cap)
{
	int rc = run_py(PY_PROM, text, len, out, cap);

	if (rc < 0)
		skip();
	return rc;
}

static void
test_exposition(void **state)
{
	static const char want[] =
	    "# HELP ovpn_peers Connected peers.\n"
	    "# TYPE ovpn_peers gauge\n"
	    "ovpn_peers 3\n"
	    "# HELP ovpn_rx_bytes_total Bytes received from clients.\n"
	    "# TYPE ovpn_rx_bytes_total counter\n"
	    "ovpn_rx_bytes_total{proto=\"udp\",listener=\"0\"} 18446744073709551615\n"
	    "ovpn_rx_bytes_total{proto=\"tcp\",listener=\"1\"} 0\n"
	    "# TYPE ovpn:load gauge\n"
	    "ovpn:load 0.25\n";
	static const char want_py[] =
	    "[[[\"ovpn_peers\",\"gauge\",\"Connected peers.\"],"
	    "[\"ovpn_rx_bytes_total\",\"counter\",\"Bytes received from clients.\"],"
	    "[\"ovpn:load\",\"gauge\",null]],"
	    "[[\"ovpn_peers\",{},\"3\"],"
	    "[\"ovpn_rx_bytes_total\",{\"proto\":\"udp\",\"listener\":\"0\"},\"18446744073709551615\"],"
	    "[\"ovpn_rx_bytes_total\",{\"proto\":\"tcp\",\"listener\":\"1\"},\"0\"],"
	    "[\"ovpn:load\",{},\"0.25\"]]]";
	struct metrics_label udp[] = { { "proto", "udp" }, { "listener", "0" } };
	struct metrics_label tcp[] = { { "proto", "tcp" }, { "listener", "1" } };
	uint8_t mem[1024];
	char out[2048];
	struct metrics m;
	const uint8_t *text;
	size_t len;

	metrics_init(&m, mem, sizeof(mem));
	assert_int_equal(metrics_family(&m, "ovpn_peers", METRICS_GAUGE, "Connected peers."), 0);
	assert_int_equal(metrics_sample_u64(&m, NULL, 0, 3), 0);
	assert_int_equal(metrics_family(&m, "ovpn_rx_bytes_total", METRICS_COUNTER,
	    "Bytes received from clients."), 0);
	assert_int_equal(metrics_sample_u64(&m, udp, 2, UINT64_MAX), 0);
	assert_int_equal(metrics_sample_u64(&m, tcp, 2, 0), 0);
	assert_int_equal(metrics_family(&m, "ovpn:load", METRICS_GAUGE, NULL), 0);
	assert_int_equal(metrics_sample_double(&m, NULL, 0, 0.25), 0);
	assert_int_equal(metrics_error(&m), 0);
	text = metrics_data(&m, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(text, want, len);

	assert_int_equal(prom_check(text, len, out, sizeof(out)), 0);
	assert_string_equal(out, want_py);
}

/* The checker itself must refuse what the format forbids. */
static void
test_checker_is_strict(void **state)
{
	static const char *bad[] = {
		"x 1",						/* no final newline */
		"x 1\n",					/* sample without TYPE */
		"# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx 2\n",	/* split family */
		"# TYPE x gauge\n# TYPE x gauge\n",		/* TYPE twice */
		"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",	/* repeated label */
		"# TYPE x gauge\nx{__a=\"1\"} 1\n",		/* reserved label */
		"# TYPE x gauge\nx{a=\"\\q\"} 1\n",		/* unknown escape */
		"# TYPE x gauge\nx{a=\"\"\"} 1\n",		/* raw quote */
		"# TYPE x gauge\nx one\n",			/* value */
		"# TYPE 1x gauge\n",				/* name */
		"# HELP x a\\q\n# TYPE x gauge\n",		/* HELP escape */
		"# TYPE x gauge\nx{a=\"\xff\"} 1\n",		/* not UTF-8 */
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(prom_check(bad[i], strlen(bad[i]), out, sizeof(out)), 0);
}

static void
test_escaping(void **state)
{
	static const char want_text[] =
	    "# HELP e_total back\\\\slash \"quoted\" and\\nnewline\n"
	    "# TYPE e_total counter\n"
	    "e_total{cn=\"a\\\\b\\\"c\\nd\",bad=\"\xef\xbf\xbd\xef\xbf\xbd x\xef\xbf\xbd\","
	    "ok=\"caf\xc3\xa9\",empty=\"\"} 1\n";
	static const char want_py[] =
	    "[[[\"e_total\",\"counter\",\"back\\\\slash \\\"quoted\\\" and\\nnewline\"]],"
	    "[[\"e_total\",{\"cn\":\"a\\\\b\\\"c\\nd\",\"bad\":\"\\ufffd\\ufffd x\\ufffd\","
	    "\"ok\":\"caf\\u00e9\",\"empty\":\"\"},\"1\"]]]";
	struct metrics_label l[] = {
		{ "cn", "a\\b\"c\nd" },
		{ "bad", "\xc0\xaf x\xe2\x82" },
		{ "ok", "caf\xc3\xa9" },
		{ "empty", NULL },
	};
	uint8_t mem[512];
	char out[1024];
	struct metrics m;
	const uint8_t *text;
	size_t len;

	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "e_total", METRICS_COUNTER, "back\\slash \"quoted\" and\nnewline");
	assert_int_equal(metrics_sample_u64(&m, l, 4, 1), 0);
	text = metrics_data(&m, &len);
	assert_int_equal(len, strlen(want_text));
	assert_memory_equal(text, want_text, len);
	assert_int_equal(prom_check(text, len, out, sizeof(out)), 0);
	assert_string_equal(out, want_py);
}

static void
test_names(void **state)
{
	static const char *good[] = { "a", "_", ":", "a:b_c9", "A_Z", "x_total", "__internal" };
	static const char *bad[] = { "", "1a", "a-b", "a b", "a.b", "caf\xc3\xa9", "a\n", "{a}" };
	static const char *lgood[] = { "a", "_a", "A9_z" };
	static const char *lbad[] = { "", "9a", "a:b", "__a", "__", "a-b", "a b" };
	char longname[METRICS_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(metrics_name_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(metrics_name_valid(bad[i]));
	for (i = 0; i < sizeof(lgood) / sizeof(lgood[0]); i++)
		assert_true(metrics_label_name_valid(lgood[i]));
	for (i = 0; i < sizeof(lbad) / sizeof(lbad[0]); i++)
		assert_false(metrics_label_name_valid(lbad[i]));
	assert_false(metrics_name_valid(NULL));
	assert_false(metrics_label_name_valid(NULL));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(metrics_name_valid(longname));
	longname[METRICS_NAME_MAX] = '\0';
	assert_true(metrics_name_valid(longname));
}

static void
test_misuse_is_sticky(void **state)
{
	struct metrics_label dup[] = { { "a", "1" }, { "a", "2" } };
	struct metrics_label reserved[] = { { "__name__", "x" } };
	struct metrics_label many[METRICS_MAX_LABELS + 1];
	char names[METRICS_MAX_LABELS + 1][8];
	uint8_t mem[256];
	struct metrics m;
	size_t i, len;

	/* a sample before any family */
	metrics_init(&m, mem, sizeof(mem));
	assert_int_equal(metrics_sample_u64(&m, NULL, 0, 1), ERR_BADSTATE);
	assert_int_equal(metrics_family(&m, "ok", METRICS_GAUGE, NULL), ERR_BADSTATE);
	metrics_data(&m, &len);
	assert_int_equal(len, 0);

	/* a bad family name writes nothing */
	metrics_init(&m, mem, sizeof(mem));
	assert_int_equal(metrics_family(&m, "bad-name", METRICS_GAUGE, "h"), ERR_INVAL);
	metrics_data(&m, &len);
	assert_int_equal(len, 0);
	metrics_init(&m, mem, sizeof(mem));
	assert_int_equal(metrics_family(&m, "t", (enum metrics_type)7, NULL), ERR_INVAL);

	/* label problems; output stops at the last good line */
	metrics_init(&m, mem, sizeof(mem));
	assert_int_equal(metrics_family(&m, "x", METRICS_GAUGE, NULL), 0);
	assert_int_equal(metrics_sample_u64(&m, dup, 2, 1), ERR_INVAL);
	assert_int_equal(metrics_sample_u64(&m, NULL, 0, 1), ERR_INVAL);
	assert_int_equal(metrics_error(&m), ERR_INVAL);
	metrics_data(&m, &len);
	assert_int_equal(len, strlen("# TYPE x gauge\n"));
	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "x", METRICS_GAUGE, NULL);
	assert_int_equal(metrics_sample_u64(&m, reserved, 1, 1), ERR_INVAL);
	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "x", METRICS_GAUGE, NULL);
	assert_int_equal(metrics_sample_u64(&m, NULL, 1, 1), ERR_INVAL);

	for (i = 0; i <= METRICS_MAX_LABELS; i++) {
		snprintf(names[i], sizeof(names[i]), "l%zu", i);
		many[i].name = names[i];
		many[i].value = "v";
	}
	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "x", METRICS_GAUGE, NULL);
	assert_int_equal(metrics_sample_u64(&m, many, METRICS_MAX_LABELS + 1, 1), ERR_INVAL);

	/* a family twice */
	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "x", METRICS_GAUGE, NULL);
	metrics_family(&m, "y", METRICS_GAUGE, NULL);
	assert_int_equal(metrics_family(&m, "x", METRICS_COUNTER, NULL), ERR_EXISTS);
}

static void
test_family_limit_and_growth(void **state)
{
	char name[32], *out;
	struct metrics_label l[1] = { { "peer", "client" } };
	struct metrics m;
	const uint8_t *text;
	size_t i, len;

	metrics_init_alloc(&m, 1 << 20);
	for (i = 0; i < METRICS_MAX_FAMILIES; i++) {
		snprintf(name, sizeof(name), "f%zu_total", i);
		assert_int_equal(metrics_family(&m, name, METRICS_COUNTER, "help"), 0);
		assert_int_equal(metrics_sample_u64(&m, l, 1, i), 0);
		assert_int_equal(metrics_sample_u64(&m, NULL, 0, i), 0);
	}
	text = metrics_data(&m, &len);
	assert_true(len > 4096);	/* grew past the first allocation */
	out = malloc(1 << 20);
	assert_non_null(out);
	assert_int_equal(prom_check(text, len, out, 1 << 20), 0);
	free(out);
	assert_int_equal(metrics_family(&m, "one_more", METRICS_GAUGE, NULL), ERR_FULL);
	metrics_free(&m);

	/* the growth limit is an overflow */
	metrics_init_alloc(&m, 100);
	metrics_family(&m, "x", METRICS_GAUGE, NULL);
	for (i = 0; i < 20 && metrics_error(&m) == 0; i++)
		metrics_sample_u64(&m, l, 1, i);
	assert_int_equal(metrics_error(&m), ERR_OVERFLOW);
	assert_true(m.w.cap <= 100);
	metrics_free(&m);
	metrics_free(&m);
}

static void
test_overflow_fixed(void **state)
{
	uint8_t mem[64];
	struct metrics m;
	size_t cap, len;
	int rc;

	/* full text: "# TYPE x gauge\nx{a=\"b\"} 1\n" = 26 bytes */
	for (cap = 0; cap <= 30; cap++) {
		memset(mem, 'Z', sizeof(mem));
		metrics_init(&m, mem, cap);
		metrics_family(&m, "x", METRICS_GAUGE, NULL);
		rc = metrics_sample_u64(&m, &(struct metrics_label){ "a", "b" }, 1, 1);
		metrics_data(&m, &len);
		assert_true(len <= cap);
		assert_int_equal(mem[cap], 'Z');
		assert_int_equal(rc, cap < 26 ? ERR_OVERFLOW : 0);
	}
}

static void
test_double_values(void **state)
{
	static const char want[] =
	    "# TYPE d gauge\n"
	    "d{v=\"nan\"} NaN\nd{v=\"pinf\"} +Inf\nd{v=\"ninf\"} -Inf\n"
	    "d{v=\"half\"} 0.5\nd{v=\"big\"} 1.0000000000000001e+300\nd{v=\"neg\"} -3\n";
	static const struct {
		const char *v;
		double d;
	} t[] = {
		{ "nan", NAN }, { "pinf", INFINITY }, { "ninf", -INFINITY },
		{ "half", 0.5 }, { "big", 1e300 }, { "neg", -3.0 },
	};
	uint8_t mem[512];
	char out[1024];
	struct metrics m;
	const uint8_t *text;
	size_t i, len;

	metrics_init(&m, mem, sizeof(mem));
	metrics_family(&m, "d", METRICS_GAUGE, NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(metrics_sample_double(&m,
		    &(struct metrics_label){ "v", t[i].v }, 1, t[i].d), 0);
	text = metrics_data(&m, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(text, want, len);
	assert_int_equal(prom_check(text, len, out, sizeof(out)), 0);
}

/* ---- HTTP ---- */

static int
decide(const char *req, size_t len)
{
	int status = -1, rc;

	rc = metrics_http_decide(req, len, &status);
	if (rc == ERR_AGAIN) {
		assert_int_equal(status, -1);
		return 0;
	}
	assert_int_equal(rc, 0);
	return status;
}

#define DECIDE(s) decide((s), sizeof(s) - 1)

static void
test_http_good(void **state)
{
	static const char *ok[] = {
		"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nUser-Agent: Prometheus/2.45.0\r\n"
		"Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
		"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
		"GET /metrics HTTP/1.0\r\n\r\n",
		"GET /metrics HTTP/1.0\n\n",
		"GET /metrics?name[]=x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
		"GET /metrics HTTP/1.0\r\n\r\ntrailing bytes are not read",
	};
	static const char *notfound[] = {
		"GET / HTTP/1.1\r\n\r\n",
		"GET /metricsx HTTP/1.1\r\n\r\n",
		"GET /metrics/ HTTP/1.1\r\n\r\n",
		"GET /Metrics HTTP/1.1\r\n\r\n",
		"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		"HEAD /metrics HTTP/1.1\r\n\r\n",
		"get /metrics HTTP/1.1\r\n\r\n",
		"GET http://h/metrics HTTP/1.1\r\n\r\n",
		"GET * HTTP/1.1\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(decide(ok[i], strlen(ok[i])), 200);
	for (i = 0; i < sizeof(notfound) / sizeof(notfound[0]); i++)
		assert_int_equal(decide(notfound[i], strlen(notfound[i])), 404);
}

/* Every proper prefix of a good request asks for more bytes. */
static void
test_http_partial(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	size_t n;

	for (n = 0; n < sizeof(req) - 1; n++)
		assert_int_equal(decide(req, n), 0);
	assert_int_equal(decide(req, sizeof(req) - 1), 200);
}

static void
test_http_bad(void **state)
{
	static const struct {
		const char *req;
		size_t len;
	} bad[] = {
#define B(s) { (s), sizeof(s) - 1 }
		B("GET /metrics HTTP/2.0\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\n"),		/* incomplete, see below */
		B("GET /metrics\r\n\r\n"),			/* HTTP/0.9 */
		B("GET  /metrics HTTP/1.1\r\n\r\n"),
		B("GET /metrics  HTTP/1.1\r\n\r\n"),
		B(" GET /metrics HTTP/1.1\r\n\r\n"),
		B("GET /metrics HTTP/1.1 \r\n\r\n"),
		B("GET /metrics http/1.1\r\n\r\n"),
		B("GET /met\x01rics HTTP/1.1\r\n\r\n"),
		B("GET /met\x7frics HTTP/1.1\r\n\r\n"),
		B("GET /m\xc3\xa9trics HTTP/1.1\r\n\r\n"),
		B("GET /metrics HTTP/1.1\0\r\n\r\n"),
		B("G\0T /metrics HTTP/1.1\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\r\n\r\n"),
		B("GET\t/metrics HTTP/1.1\r\n\r\n"),
		B("\r\nGET /metrics HTTP/1.1\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nHost\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\n: x\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nX: a\x01" "b\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nX: a\rb\r\n\r\n"),
		B("GET /metrics HTTP/1.1\r\nX(y): 1\r\n\r\n"),
#undef B
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 1) {
			/* a good request line alone is just incomplete */
			assert_int_equal(decide(bad[i].req, bad[i].len), 0);
			continue;
		}
		assert_int_equal(decide(bad[i].req, bad[i].len), 400);
	}
}

/* A bad line is refused as soon as it is complete, or can never complete. */
static void
test_http_early_400(void **state)
{
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00 };

	assert_int_equal(DECIDE("GET /metrics HTTP/9.9\r\n"), 400);
	assert_int_equal(DECIDE("GET /metrics HTTP/1.1\r\nbroken header\r\n"), 400);
	assert_int_equal(decide((const char *)tls, sizeof(tls)), 400);
	assert_int_equal(DECIDE("GET /\x01"), 400);
	assert_int_equal(DECIDE("GET /metrics HTTP/1.1\r\nX: \x02"), 400);
	/* but a partial line that may still be fine waits */
	assert_int_equal(DECIDE("GET /metrics HTTP/1.1\r\nX: caf\xc3"), 0);
	assert_int_equal(DECIDE("GET /metr"), 0);
}

static void
test_http_oversized(void **state)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nX-Pad: ";
	char *req;
	size_t total;

	req = malloc(3 * METRICS_HTTP_REQ_MAX);
	assert_non_null(req);
	/* exactly the cap, ending in the blank line: accepted */
	total = METRICS_HTTP_REQ_MAX;
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'p', total - (sizeof(head) - 1) - 4);
	memcpy(req + total - 4, "\r\n\r\n", 4);
	assert_int_equal(decide(req, total), 200);
	/* one byte more of padding: the end lies beyond the cap */
	memset(req + sizeof(head) - 1, 'p', total + 1 - (sizeof(head) - 1) - 4);
	memcpy(req + total + 1 - 4, "\r\n\r\n", 4);
	assert_int_equal(decide(req, total - 1), 0);	/* still waiting below the cap */
	assert_int_equal(decide(req, total), 400);
	assert_int_equal(decide(req, total + 1), 400);
	/* endless headers of good syntax */
	memset(req, 0, 3 * METRICS_HTTP_REQ_MAX);
	memcpy(req, head, sizeof(head) - 1);
	for (total = sizeof(head) - 1; total + 8 < 3 * METRICS_HTTP_REQ_MAX; total += 8)
		memcpy(req + total, "1\r\nX: aa", 8);
	assert_int_equal(decide(req, total), 400);
	free(req);
}

static void
test_http_head(void **state)
{
	static const char want200[] = "HTTP/1.0 200 OK\r\n"
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	    "Content-Length: 12345\r\nConnection: close\r\n\r\n";
	static const char want404[] = "HTTP/1.0 404 Not Found\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n";
	static const char want400[] = "HTTP/1.0 400 Bad Request\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
	uint8_t mem[METRICS_HTTP_HEAD_MAX];
	struct wbuf w;

	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(metrics_http_head(200, 12345, &w), 0);
	assert_int_equal(w.len, strlen(want200));
	assert_memory_equal(mem, want200, w.len);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(metrics_http_head(404, 999, &w), 0);
	assert_int_equal(w.len, strlen(want404));
	assert_memory_equal(mem, want404, w.len);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(metrics_http_head(400, 0, &w), 0);
	assert_int_equal(w.len, strlen(want400));
	assert_memory_equal(mem, want400, w.len);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(metrics_http_head(500, 0, &w), ERR_INVAL);
	assert_int_equal(w.len, 0);
	/* the largest head fits METRICS_HTTP_HEAD_MAX */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(metrics_http_head(200, SIZE_MAX, &w), 0);
	wbuf_init(&w, mem, 20);
	assert_int_equal(metrics_http_head(200, 1, &w), ERR_OVERFLOW);
	assert_true(w.overflow);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_checker_is_strict),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_misuse_is_sticky),
		cmocka_unit_test(test_family_limit_and_growth),
		cmocka_unit_test(test_overflow_fixed),
		cmocka_unit_test(test_double_values),
		cmocka_unit_test(test_http_good),
		cmocka_unit_test(test_http_partial),
		cmocka_unit_test(test_http_bad),
		cmocka_unit_test(test_http_early_400),
		cmocka_unit_test(test_http_oversized),
		cmocka_unit_test(test_http_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
