/*
 * test_json.c - the streaming JSON writer: exact output for every escape,
 * U+FFFD substitution of ill-formed UTF-8 checked against a table and
 * against Python's own decoder on pseudo-random bytes, grammar misuse and
 * depth refused with sticky errors, bounded output, and documents parsed
 * back by python3's json module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "err.h"
#include "json.h"

/*
 * Feed `in` to `python3 -c script` on stdin and collect its stdout into out
 * (NUL-terminated).  Returns the exit status, or -1 if python3 is missing.
 */
static int
run_py(const char *script, const void *in, size_t inlen, char *out, size_t cap)
{
	char path[] = "/tmp/test_json.XXXXXX", cmd[8192];
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

/* Re-serialise what python parsed, canonically, so we can compare text. */
static const char PY_CANON[] =
    "import json,sys\n"
    "d=sys.stdin.buffer.read().decode(\"utf-8\")\n"
    "print(json.dumps(json.loads(d),ensure_ascii=True,separators=(\",\",\":\")),end=\"\")\n";

static const char *
write_str(struct json *j, char *mem, size_t cap, const void *s, size_t n)
{
	json_init(j, mem, cap);
	assert_int_equal(json_strn(j, s, n), 0);
	assert_int_equal(json_finish(j), 0);
	return json_data(j, NULL);
}

static void
test_document(void **state)
{
	char mem[512], out[512];
	struct json j;
	size_t len;
	const char *want = "{\"a\":1,\"b\":[true,false,null,\"x\",-9223372036854775808,"
	    "18446744073709551615],\"c\":{},\"d\":[],\"e\":{\"f\":[[]]},\"g\":9223372036854775807}";

	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_str(&j, "x");
	json_i64(&j, INT64_MIN);
	json_u64(&j, UINT64_MAX);
	json_arr_end(&j);
	json_key(&j, "c");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "d");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_key(&j, "e");
	json_obj_begin(&j);
	json_key(&j, "f");
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_kv_i64(&j, "g", INT64_MAX);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	assert_string_equal(json_data(&j, &len), want);
	assert_int_equal(len, strlen(want));

	/* python parses it to the same structure (its canonical form is ours) */
	if (run_py(PY_CANON, want, strlen(want), out, sizeof(out)) < 0)
		skip();
	assert_string_equal(out, want);
}

static void
test_control_chars(void **state)
{
	static const char *short_form[] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
	};
	char mem[64], want[64];
	struct json j;
	uint8_t c;
	unsigned i;

	for (i = 0; i <= 0x7f; i++) {
		c = (uint8_t)i;
		if (i < 0x20 && i < sizeof(short_form) / sizeof(short_form[0]) &&
		    short_form[i] != NULL)
			snprintf(want, sizeof(want), "\"%s\"", short_form[i]);
		else if (i < 0x20 || i == 0x7f)
			snprintf(want, sizeof(want), "\"\\u%04x\"", i);
		else if (i == '"')
			snprintf(want, sizeof(want), "\"\\\"\"");
		else if (i == '\\')
			snprintf(want, sizeof(want), "\"\\\\\"");
		else
			snprintf(want, sizeof(want), "\"%c\"", i);
		assert_string_equal(write_str(&j, mem, sizeof(mem), &c, 1), want);
	}
	/* escapes in the middle of plain runs, and in keys */
	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	json_kv_str(&j, "k\"\n", "ab\x01" "cd\\e");
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	assert_string_equal(json_data(&j, NULL), "{\"k\\\"\\n\":\"ab\\u0001cd\\\\e\"}");
}

static void
test_invalid_utf8(void **state)
{
	static const struct {
		const char *in;
		const char *want;	/* inside the quotes */
	} v[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9" },			/* valid 2-byte */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },			/* valid 3-byte */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },		/* valid 4-byte */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
		{ "\x80", "\xef\xbf\xbd" },				/* lone continuation */
		{ "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong NUL */
		{ "\xc1\xbf", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xf0\x80\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate D800 */
		{ "\xed\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate DFFF */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },			/* U+D7FF is fine */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* > U+10FFFF */
		{ "\xf5\x80", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xfe\xff", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82", "\xef\xbf\xbd" },				/* truncated at end */
		{ "\xf0\x9f\x98", "\xef\xbf\xbd" },			/* truncated 4-byte */
		{ "\xe2\x82" "A", "\xef\xbf\xbd" "A" },			/* truncated mid-string */
		{ "\xe2(\xa1", "\xef\xbf\xbd(\xef\xbf\xbd" },
		{ "\xc3" "\"", "\xef\xbf\xbd\\\"" },			/* a quote ends the sequence */
		{ "\xe2\x80\xa8", "\\u2028" },				/* line separator */
		{ "\xe2\x80\xa9", "\\u2029" },				/* paragraph separator */
	};
	char mem[128], want[64];
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(want, sizeof(want), "\"%s\"", v[i].want);
		assert_string_equal(write_str(&j, mem, sizeof(mem), v[i].in, strlen(v[i].in)),
		    want);
	}
	/* an embedded NUL is data, not a terminator */
	assert_string_equal(write_str(&j, mem, sizeof(mem), "a\0b", 3), "\"a\\u0000b\"");
}

/*
 * Python's decode("utf-8", "replace") implements the same maximal-subpart
 * rule; on pseudo-random bytes (skewed towards lead and continuation bytes)
 * our output must parse to exactly what Python decodes.  Python also checks
 * that the output file as a whole is strict UTF-8 and that no line holds a
 * raw control character.
 */
static void
test_utf8_matches_python(void **state)
{
	static const char script[] =
	    "import json,sys\n"
	    "raw=sys.stdin.buffer.read()\n"
	    "n=0\n"
	    "for line in raw.decode(\"utf-8\").split(\"\\n\")[:-1]:\n"
	    "    h,d=line.split(\"\\t\")\n"
	    "    assert all(ord(c)>=32 and ord(c)!=127 for c in d),d\n"
	    "    assert json.loads(d)==bytes.fromhex(h).decode(\"utf-8\",\"replace\"),(h,d)\n"
	    "    n+=1\n"
	    "print(n,end=\"\")\n";
	static const uint8_t pick[] = { 0x00, 0x0a, 0x1f, 0x22, 0x41, 0x5c, 0x7f, 0x80,
		0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xed,
		0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff };
	enum { N = 2000, MAXLEN = 24 };
	char *text, mem[MAXLEN * 6 + 8], out[32];
	size_t off = 0, cap = (size_t)N * (MAXLEN * 2 + MAXLEN * 6 + 8);
	uint32_t x = 0x12345678;
	uint8_t s[MAXLEN];
	struct json j;
	unsigned i, k, n;
	int rc;

	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		n = (x >> 16) % (MAXLEN + 1);
		for (k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			s[k] = (x >> 8) & 1 ? pick[(x >> 16) % sizeof(pick)] : (uint8_t)(x >> 16);
		}
		for (k = 0; k < n; k++)
			off += (size_t)sprintf(text + off, "%02x", s[k]);
		text[off++] = '\t';
		write_str(&j, mem, sizeof(mem), s, n);
		off += (size_t)sprintf(text + off, "%s\n", json_data(&j, NULL));
	}
	rc = run_py(script, text, off, out, sizeof(out));
	free(text);
	if (rc < 0)
		skip();
	assert_int_equal(rc, 0);
	assert_int_equal(atoi(out), N);
}

static void
test_grammar_misuse(void **state)
{
	char mem[64];
	struct json j;

	/* a value where a key is due; the error sticks */
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_obj_begin(&j), 0);
	assert_int_equal(json_str(&j, "v"), ERR_BADSTATE);
	assert_int_equal(json_key(&j, "k"), ERR_BADSTATE);
	assert_int_equal(json_finish(&j), ERR_BADSTATE);
	assert_int_equal(json_error(&j), ERR_BADSTATE);

	/* two keys in a row */
	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	assert_int_equal(json_key(&j, "a"), 0);
	assert_int_equal(json_key(&j, "b"), ERR_BADSTATE);

	/* a key without a value before the end */
	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	json_key(&j, "a");
	assert_int_equal(json_obj_end(&j), ERR_BADSTATE);

	/* a key in an array, or at top level */
	json_init(&j, mem, sizeof(mem));
	json_arr_begin(&j);
	assert_int_equal(json_key(&j, "a"), ERR_BADSTATE);
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_key(&j, "a"), ERR_BADSTATE);

	/* mismatched and unbalanced ends */
	json_init(&j, mem, sizeof(mem));
	json_arr_begin(&j);
	assert_int_equal(json_obj_end(&j), ERR_BADSTATE);
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_arr_end(&j), ERR_BADSTATE);

	/* a second top-level value */
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_u64(&j, 1), 0);
	assert_int_equal(json_u64(&j, 2), ERR_BADSTATE);

	/* incomplete documents */
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_finish(&j), ERR_BADSTATE);
	json_init(&j, mem, sizeof(mem));
	json_arr_begin(&j);
	assert_int_equal(json_finish(&j), ERR_BADSTATE);

	/* NULL key */
	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	assert_int_equal(json_key(&j, NULL), ERR_INVAL);

	/* a NULL string value is null, and a bare scalar is a document */
	json_init(&j, mem, sizeof(mem));
	assert_int_equal(json_str(&j, NULL), 0);
	assert_int_equal(json_finish(&j), 0);
	assert_string_equal(json_data(&j, NULL), "null");
}

static void
test_depth(void **state)
{
	char mem[256];
	struct json j;
	unsigned i;

	json_init(&j, mem, sizeof(mem));
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		assert_int_equal(json_arr_begin(&j), 0);
	assert_int_equal(json_arr_begin(&j), ERR_RANGE);
	assert_int_equal(json_obj_begin(&j), ERR_RANGE);
	assert_int_equal(json_arr_end(&j), ERR_RANGE);
	assert_int_equal(json_finish(&j), ERR_RANGE);
	/* nothing was written for the refused level */
	assert_int_equal(j.w.len, JSON_MAX_DEPTH);

	/* exactly the limit, mixed objects and arrays, closes cleanly */
	json_init(&j, mem, sizeof(mem));
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		if (i % 2 == 0)
			json_arr_begin(&j);
		else {
			json_obj_begin(&j);
			json_key(&j, "k");
		}
	}
	assert_int_equal(json_null(&j), 0);	/* the innermost object's value */
	for (i = JSON_MAX_DEPTH; i-- > 0;)
		assert_int_equal(i % 2 == 0 ? json_arr_end(&j) : json_obj_end(&j), 0);
	assert_int_equal(json_finish(&j), 0);
}

static void
test_overflow(void **state)
{
	char mem[40];
	struct json j;
	size_t cap;

	/* each cap below the full size fails, and never writes past cap */
	for (cap = 0; cap <= 20; cap++) {
		memset(mem, 'Z', sizeof(mem));
		json_init(&j, mem, cap);
		json_obj_begin(&j);
		json_kv_str(&j, "key", "a\nb");
		json_obj_end(&j);
		if (cap < 15) {
			assert_int_not_equal(json_finish(&j), 0);
			assert_int_equal(json_error(&j), ERR_OVERFLOW);
			assert_true(j.w.len <= cap);
		} else {
			/* 14 bytes of text plus the NUL */
			assert_int_equal(json_finish(&j), 0);
			assert_string_equal(mem, "{\"key\":\"a\\nb\"}");
		}
		assert_int_equal(mem[cap], 'Z');
	}
}

static void
test_alloc(void **state)
{
	char key[16], *big;
	struct json j;
	size_t len;
	unsigned i;

	json_init_alloc(&j, 1 << 20);
	json_obj_begin(&j);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		json_kv_u64(&j, key, i);
	}
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	json_data(&j, &len);
	assert_true(len > 5000 * 6);
	assert_int_equal(json_data(&j, NULL)[len], '\0');
	assert_memory_equal(json_data(&j, NULL) + len - 13, "\"k4999\":4999}", 13);
	json_free(&j);

	/* the growth limit is an overflow, like caller memory */
	big = malloc(3000);
	assert_non_null(big);
	memset(big, 'x', 2999);
	big[2999] = '\0';
	json_init_alloc(&j, 1000);
	assert_int_equal(json_str(&j, big), ERR_OVERFLOW);
	assert_true(j.w.cap <= 1000);
	json_free(&j);
	json_free(&j);
	free(big);
}

/* Hostile strings still make one parseable line with the same content. */
static void
test_python_roundtrip(void **state)
{
	static const char script[] =
	    "import json,sys\n"
	    "d=json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n"
	    "assert d[\"q\"]==\"\\\"\\\\/\\n\\r\\t\\u0000\\u001f\\u007f\",d\n"
	    "assert d[\"u\"]==\"\\u00e9\\ufffd\\ufffd\\U0001f600\\u2028\",d\n"
	    "assert d[\"n\"]==[-1,0,18446744073709551615,True,False,None]\n"
	    "assert d[\"o\"]=={\"\\ufffd\":{}}\n"
	    "print(\"ok\",end=\"\")\n";
	char mem[512], out[64];
	struct json j;
	const char *text;
	size_t len;
	int rc;

	json_init(&j, mem, sizeof(mem));
	json_obj_begin(&j);
	json_key(&j, "q");
	json_strn(&j, "\"\\/\n\r\t\0\x1f\x7f", 9);
	json_kv_str(&j, "u", "\xc3\xa9\xc0\xaf\xf0\x9f\x98\x80\xe2\x80\xa8");
	json_key(&j, "n");
	json_arr_begin(&j);
	json_i64(&j, -1);
	json_u64(&j, 0);
	json_u64(&j, UINT64_MAX);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_arr_end(&j);
	json_key(&j, "o");
	json_obj_begin(&j);
	json_key(&j, "\xff");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	text = json_data(&j, &len);
	assert_null(memchr(text, '\n', len));
	rc = run_py(script, text, len, out, sizeof(out));
	if (rc < 0)
		skip();
	assert_int_equal(rc, 0);
	assert_string_equal(out, "ok");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_matches_python),
		cmocka_unit_test(test_grammar_misuse),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_python_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
