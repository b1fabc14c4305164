/*
 * test_jparse.c - the strict JSON parser: valid documents and their tree,
 * every kind of malformed input (with the expected error class), limits,
 * truncation at every offset, error positions, a deterministic mutation
 * loop that must never crash (meant for the ASan build), and a cross-check
 * of accept/reject and of the decoded tree against python3's json module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "jparse.h"

static int
parse_str(const char *s, struct jparse_doc *doc, struct jparse_error *err)
{
	return jparse_parse(s, strlen(s), NULL, doc, err);
}

/* Parse and free; the return code only. */
static int
verdict(const void *s, size_t len)
{
	struct jparse_doc doc;
	struct jparse_error err;
	int r;

	r = jparse_parse(s, len, NULL, &doc, &err);
	if (r == 0)
		assert_non_null(doc.root);
	else
		assert_int_equal(err.code, r);
	jparse_free(&doc);
	return r;
}

static int
verdict_str(const char *s)
{
	return verdict(s, strlen(s));
}

static const char sample[] =
	"{\n"
	"  \"allow\": true,\n"
	"  \"deny\": false,\n"
	"  \"nothing\": null,\n"
	"  \"n\": -12.5e+3,\n"
	"  \"i\": 42,\n"
	"  \"s\": \"caf\\u00e9 \\ud83d\\ude00 \xc3\xa9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\n"
	"  \"arr\": [1, \"two\", [3, {}], [], {\"k\": \"v\"}],\n"
	"  \"obj\": {\"a\": {\"b\": {\"c\": [0]}}}\n"
	"}\n";

static void
test_valid_tree(void **state)
{
	struct jparse_doc doc;
	struct jparse_error err;
	const struct jparse_value *v, *arr, *e;
	const char *s;
	size_t n;
	bool b;
	int64_t i;
	double d;

	(void)state;
	assert_int_equal(parse_str(sample, &doc, &err), 0);
	assert_true(jparse_is(doc.root, JPARSE_OBJECT));
	assert_int_equal(jparse_len(doc.root), 8);

	assert_int_equal(jparse_get_bool(jparse_obj_get(doc.root, "allow"), &b), 0);
	assert_true(b);
	assert_int_equal(jparse_get_bool(jparse_obj_get(doc.root, "deny"), &b), 0);
	assert_false(b);
	assert_true(jparse_is(jparse_obj_get(doc.root, "nothing"), JPARSE_NULL));
	assert_null(jparse_obj_get(doc.root, "missing"));
	assert_null(jparse_obj_get(doc.root, "allo"));

	v = jparse_obj_get(doc.root, "n");
	assert_true(jparse_is(v, JPARSE_NUMBER));
	assert_string_equal(v->str, "-12.5e+3");
	assert_int_equal(jparse_get_double(v, &d), 0);
	assert_true(d == -12500.0);
	assert_int_equal(jparse_get_i64(v, &i), ERR_MALFORMED);
	assert_int_equal(jparse_get_i64(jparse_obj_get(doc.root, "i"), &i), 0);
	assert_int_equal(i, 42);

	assert_int_equal(jparse_get_str(jparse_obj_get(doc.root, "s"), &s, &n), 0);
	assert_string_equal(s, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9 \"q\" \\ / \b\f\n\r\t");
	assert_int_equal(n, strlen(s));
	/* type mismatches */
	assert_int_equal(jparse_get_str(jparse_obj_get(doc.root, "i"), &s, NULL), ERR_MALFORMED);
	assert_int_equal(jparse_get_bool(jparse_obj_get(doc.root, "s"), &b), ERR_MALFORMED);
	assert_int_equal(jparse_get_i64(jparse_obj_get(doc.root, "s"), &i), ERR_MALFORMED);
	assert_int_equal(jparse_get_bool(NULL, &b), ERR_MALFORMED);

	arr = jparse_obj_get(doc.root, "arr");
	assert_int_equal(jparse_len(arr), 5);
	assert_int_equal(jparse_get_i64(jparse_arr_get(arr, 0), &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(jparse_get_str(jparse_arr_get(arr, 1), &s, NULL), 0);
	assert_string_equal(s, "two");
	assert_int_equal(jparse_len(jparse_arr_get(arr, 2)), 2);
	assert_int_equal(jparse_len(jparse_arr_get(jparse_arr_get(arr, 2), 1)), 0);
	assert_true(jparse_is(jparse_arr_get(jparse_arr_get(arr, 2), 1), JPARSE_OBJECT));
	assert_int_equal(jparse_len(jparse_arr_get(arr, 3)), 0);
	assert_true(jparse_is(jparse_arr_get(arr, 3), JPARSE_ARRAY));
	assert_null(jparse_first(jparse_arr_get(arr, 3)));
	assert_null(jparse_arr_get(arr, 5));
	assert_null(jparse_arr_get(doc.root, 0));	/* not an array */
	assert_null(jparse_arr_get(NULL, 0));
	assert_null(jparse_obj_get(arr, "k"));		/* not an object */
	e = jparse_obj_get(jparse_arr_get(arr, 4), "k");
	assert_int_equal(jparse_get_str(e, &s, NULL), 0);
	assert_string_equal(s, "v");
	assert_string_equal(e->key, "k");

	/* iteration sees the members in document order */
	n = 0;
	for (e = jparse_first(doc.root); e != NULL; e = jparse_next(e))
		n++;
	assert_int_equal(n, 8);
	assert_string_equal(jparse_first(doc.root)->key, "allow");

	v = jparse_obj_get(jparse_obj_get(jparse_obj_get(jparse_obj_get(doc.root, "obj"), "a"), "b"),
	    "c");
	assert_int_equal(jparse_len(v), 1);
	/* 1 root + 8 members + 5 arr elements + 2 + 1 ({"k"}) + 4 (obj chain) */
	assert_int_equal(doc.n_values, 21);
	jparse_free(&doc);
	jparse_free(&doc);	/* twice is harmless */
}

static void
test_scalars_at_top(void **state)
{
	struct jparse_doc doc;
	const char *s;
	size_t n;

	(void)state;
	assert_int_equal(verdict_str("0"), 0);
	assert_int_equal(verdict_str("-0"), 0);
	assert_int_equal(verdict_str(" \t\r\n true \t\r\n "), 0);
	assert_int_equal(verdict_str("null"), 0);
	assert_int_equal(verdict_str("\"\""), 0);
	assert_int_equal(verdict_str("1E5"), 0);
	assert_int_equal(verdict_str("1e-5"), 0);
	assert_int_equal(verdict_str("0.0"), 0);

	/* \u0000 is kept, counted, and refused by jparse_get_str() */
	assert_int_equal(parse_str("\"a\\u0000b\"", &doc, NULL), 0);
	assert_int_equal(doc.root->len, 3);
	assert_int_equal(memcmp(doc.root->str, "a\0b", 4), 0);
	assert_int_equal(jparse_get_str(doc.root, &s, &n), ERR_MALFORMED);
	jparse_free(&doc);

	/* noncharacters and the largest code point are valid UTF-8 */
	assert_int_equal(parse_str("\"\\uffff\\udbff\\udfff\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", &doc,
	    NULL), 0);
	assert_int_equal(doc.root->len, 14);
	assert_int_equal(memcmp(doc.root->str,
	    "\xef\xbf\xbf\xf4\x8f\xbf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf", 14), 0);
	jparse_free(&doc);
}

struct bad {
	const char *in;
	size_t len;		/* 0: strlen */
	int code;
};

static const struct bad bad_docs[] = {
	{ "", 0, ERR_TRUNC },
	{ "   ", 0, ERR_TRUNC },
	{ "{", 0, ERR_TRUNC },
	{ "[1,", 0, ERR_TRUNC },
	{ "\"abc", 0, ERR_TRUNC },
	{ "tru", 0, ERR_TRUNC },
	{ "-", 0, ERR_TRUNC },
	{ "1.", 0, ERR_TRUNC },
	{ "1e", 0, ERR_TRUNC },
	{ "1e+", 0, ERR_TRUNC },
	{ "\"\\u12", 0, ERR_TRUNC },
	{ "\"\\ud83d", 0, ERR_TRUNC },
	{ "\"\\ud83d\\", 0, ERR_TRUNC },
	{ "\"\xe2\x82", 0, ERR_TRUNC },
	/* numbers */
	{ "+1", 0, ERR_MALFORMED },
	{ "01", 0, ERR_MALFORMED },
	{ "-01", 0, ERR_MALFORMED },
	{ "00", 0, ERR_MALFORMED },
	{ "1.]", 0, ERR_MALFORMED },
	{ "[1.]", 0, ERR_MALFORMED },
	{ ".5", 0, ERR_MALFORMED },
	{ "1.e5", 0, ERR_MALFORMED },
	{ "-a", 0, ERR_MALFORMED },
	{ "--1", 0, ERR_MALFORMED },
	{ "0x10", 0, ERR_MALFORMED },
	{ "NaN", 0, ERR_MALFORMED },
	{ "-Infinity", 0, ERR_MALFORMED },
	{ "Infinity", 0, ERR_MALFORMED },
	{ "[1 2]", 0, ERR_MALFORMED },
	{ "1 2", 0, ERR_MALFORMED },
	/* literals */
	{ "True", 0, ERR_MALFORMED },
	{ "nul", 0, ERR_TRUNC },
	{ "nulL", 0, ERR_MALFORMED },
	{ "truex", 0, ERR_MALFORMED },
	{ "undefined", 0, ERR_MALFORMED },
	/* strings */
	{ "'a'", 0, ERR_MALFORMED },
	{ "\"a\nb\"", 0, ERR_MALFORMED },
	{ "\"a\tb\"", 0, ERR_MALFORMED },
	{ "\"\x1f\"", 0, ERR_MALFORMED },
	{ "\"a\0b\"", 5, ERR_MALFORMED },
	{ "\"\\x41\"", 0, ERR_MALFORMED },
	{ "\"\\a\"", 0, ERR_MALFORMED },
	{ "\"\\U0041\"", 0, ERR_MALFORMED },
	{ "\"\\u00g0\"", 0, ERR_MALFORMED },
	{ "\"\\u041\"", 0, ERR_MALFORMED },
	{ "\"\\'\"", 0, ERR_MALFORMED },
	{ "\"\\ud800\"", 0, ERR_MALFORMED },
	{ "\"\\udc00\"", 0, ERR_MALFORMED },
	{ "\"\\ud800\\u0041\"", 0, ERR_MALFORMED },
	{ "\"\\ud800\\ud800\"", 0, ERR_MALFORMED },
	{ "\"\\ud800x\"", 0, ERR_MALFORMED },
	{ "\"\\ud800\\n\"", 0, ERR_MALFORMED },
	/* invalid UTF-8 */
	{ "\"\x80\"", 0, ERR_MALFORMED },
	{ "\"\xc0\x80\"", 0, ERR_MALFORMED },
	{ "\"\xc1\xbf\"", 0, ERR_MALFORMED },
	{ "\"\xe0\x80\x80\"", 0, ERR_MALFORMED },
	{ "\"\xe0\x9f\xbf\"", 0, ERR_MALFORMED },
	{ "\"\xed\xa0\x80\"", 0, ERR_MALFORMED },
	{ "\"\xed\xbf\xbf\"", 0, ERR_MALFORMED },
	{ "\"\xf0\x80\x80\x80\"", 0, ERR_MALFORMED },
	{ "\"\xf4\x90\x80\x80\"", 0, ERR_MALFORMED },
	{ "\"\xf5\x80\x80\x80\"", 0, ERR_MALFORMED },
	{ "\"\xff\"", 0, ERR_MALFORMED },
	{ "\"\xe2\x82\"", 0, ERR_MALFORMED },
	{ "\"\xc3\"", 0, ERR_MALFORMED },
	/* structure */
	{ "[1,]", 0, ERR_MALFORMED },
	{ "[,1]", 0, ERR_MALFORMED },
	{ "{\"a\":1,}", 0, ERR_MALFORMED },
	{ "{\"a\" 1}", 0, ERR_MALFORMED },
	{ "{a:1}", 0, ERR_MALFORMED },
	{ "{1:1}", 0, ERR_MALFORMED },
	{ "{\"a\":1]", 0, ERR_MALFORMED },
	{ "[1}", 0, ERR_MALFORMED },
	{ "]", 0, ERR_MALFORMED },
	{ "}", 0, ERR_MALFORMED },
	{ ":", 0, ERR_MALFORMED },
	{ "{} {}", 0, ERR_MALFORMED },
	{ "{}x", 0, ERR_MALFORMED },
	{ "{}\0", 3, ERR_MALFORMED },
	{ "\0{}", 3, ERR_MALFORMED },
	{ "[/* c */]", 0, ERR_MALFORMED },
	/* whitespace RFC 8259 does not know */
	{ "\f{}", 0, ERR_MALFORMED },
	{ "\v{}", 0, ERR_MALFORMED },
	{ "{}\xc2\xa0", 0, ERR_MALFORMED },
	/* BOM */
	{ "\xef\xbb\xbf{}", 0, ERR_MALFORMED },
	{ " \xef\xbb\xbf{}", 0, ERR_MALFORMED },
	/* duplicates, also when spelt differently */
	{ "{\"a\":1,\"a\":1}", 0, ERR_MALFORMED },
	{ "{\"a\":1,\"b\":2,\"a\":3}", 0, ERR_MALFORMED },
	{ "{\"a\":1,\"\\u0061\":2}", 0, ERR_MALFORMED },
	{ "{\"x\":{\"k\":1,\"k\":[]}}", 0, ERR_MALFORMED },
	{ "{\"\":1,\"\":2}", 0, ERR_MALFORMED },
};

static void
test_malformed(void **state)
{
	size_t i, len;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		len = bad_docs[i].len != 0 ? bad_docs[i].len : strlen(bad_docs[i].in);
		r = verdict(bad_docs[i].in, len);
		if (r != bad_docs[i].code)
			fail_msg("doc %zu (%s): got %d, want %d", i, bad_docs[i].in, r,
			    bad_docs[i].code);
	}
	/* same key in different objects, and keys differing by case, are fine */
	assert_int_equal(verdict_str("{\"a\":1,\"b\":{\"a\":2},\"A\":3,\"c\":[{\"a\":1},{\"a\":1}]}"),
	    0);
}

static void
test_truncated_every_offset(void **state)
{
	size_t n, len = strlen(sample);
	char *copy;

	(void)state;
	/* Every proper prefix of a document that ends with its closing brace
	 * must say "truncated", never "malformed" nor success. */
	len--;	/* drop the final newline so the last prefix is the full document */
	for (n = 0; n < len; n++) {
		/* a fresh allocation of exactly n bytes so ASan sees any overread */
		copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, sample, n);
		if (verdict(copy, n) != ERR_TRUNC)
			fail_msg("prefix of %zu bytes not ERR_TRUNC", n);
		free(copy);
	}
	assert_int_equal(verdict(sample, len), 0);
}

static void
nest(char *buf, unsigned depth, char open, char close)
{
	memset(buf, open, depth);
	memset(buf + depth, close, depth);
	buf[2 * depth] = '\0';
}

static void
test_depth(void **state)
{
	char buf[256], obj[512];
	struct jparse_error err;
	struct jparse_doc doc;
	struct jparse_limits lim;
	size_t o = 0;
	unsigned i;

	(void)state;
	nest(buf, 32, '[', ']');
	assert_int_equal(verdict_str(buf), 0);
	nest(buf, 33, '[', ']');
	assert_int_equal(verdict_str(buf), ERR_RANGE);
	assert_int_equal(parse_str(buf, &doc, &err), ERR_RANGE);
	assert_int_equal(err.offset, 32);	/* the 33rd bracket */
	assert_string_equal(err.reason, "nesting too deep");

	/* objects count the same: {"a":{"a":...1}} */
	for (i = 0; i < 33; i++)
		o += (size_t)snprintf(obj + o, sizeof(obj) - o, "{\"a\":");
	o += (size_t)snprintf(obj + o, sizeof(obj) - o, "1");
	memset(obj + o, '}', 33);
	obj[o + 33] = '\0';
	assert_int_equal(verdict_str(obj), ERR_RANGE);
	obj[o + 32] = '\0';			/* 32 deep: drop one opener and one closer */
	assert_int_equal(verdict_str(obj + 5), 0);

	/* a caller's smaller limit; 1 = flat containers only */
	jparse_limits_default(&lim);
	lim.max_depth = 1;
	assert_int_equal(jparse_parse("[1,2]", 5, &lim, &doc, NULL), 0);
	jparse_free(&doc);
	assert_int_equal(jparse_parse("[[1]]", 5, &lim, &doc, NULL), ERR_RANGE);
	lim.max_depth = 0;
	assert_int_equal(jparse_parse("1", 1, &lim, &doc, NULL), 0);
	jparse_free(&doc);
	assert_int_equal(jparse_parse("[]", 2, &lim, &doc, NULL), ERR_RANGE);

	/* very deep input stops at the limit instead of recursing */
	{
		size_t big = 100000;
		char *deep = malloc(big);

		assert_non_null(deep);
		memset(deep, '[', big);
		lim.max_depth = JPARSE_DEPTH_MAX;
		lim.max_len = big;
		assert_int_equal(jparse_parse(deep, big, &lim, &doc, NULL), ERR_RANGE);
		free(deep);
	}
}

static void
test_limits(void **state)
{
	struct jparse_limits lim;
	struct jparse_doc doc;
	struct jparse_error err;
	char *big;
	size_t i, n;

	(void)state;
	jparse_limits_default(&lim);
	lim.max_values = 3;
	assert_int_equal(jparse_parse("[1,2]", 5, &lim, &doc, NULL), 0);
	assert_int_equal(doc.n_values, 3);
	jparse_free(&doc);
	assert_int_equal(jparse_parse("[1,2,3]", 7, &lim, &doc, &err), ERR_RANGE);
	assert_string_equal(err.reason, "too many values");
	assert_null(doc.root);
	jparse_free(&doc);

	lim.max_values = JPARSE_VALUES_MAX;
	lim.max_len = 4;
	assert_int_equal(jparse_parse("[12]", 4, &lim, &doc, NULL), 0);
	jparse_free(&doc);
	assert_int_equal(jparse_parse("[123]", 5, &lim, &doc, &err), ERR_RANGE);
	assert_string_equal(err.reason, "input too large");

	/* default value cap: 4096 values fit, 4097 do not */
	n = 2 * 4096 + 2;
	big = malloc(n + 1);
	assert_non_null(big);
	big[0] = '[';
	for (i = 0; i < 4095; i++) {
		big[1 + 2 * i] = '0';
		big[2 + 2 * i] = ',';
	}
	big[1 + 2 * 4095 - 1] = ']';	/* [0,0,...,0] with 4095 zeros: 4096 values */
	assert_int_equal(verdict(big, 2 * 4095 + 1), 0);
	big[1 + 2 * 4095 - 1] = ',';
	big[1 + 2 * 4095] = '0';
	big[2 + 2 * 4095] = ']';
	assert_int_equal(verdict(big, 2 * 4096 + 1), ERR_RANGE);
	free(big);
}

static void
test_numbers(void **state)
{
	static const struct {
		const char *in;
		int ri64;
		int64_t i64;
		int ru64;
		uint64_t u64;
		int rd;
	} t[] = {
		{ "0", 0, 0, 0, 0, 0 },
		{ "-0", 0, 0, 0, 0, 0 },
		{ "9223372036854775807", 0, INT64_MAX, 0, INT64_MAX, 0 },
		{ "9223372036854775808", ERR_RANGE, 0, 0, (uint64_t)INT64_MAX + 1, 0 },
		{ "-9223372036854775808", 0, INT64_MIN, ERR_RANGE, 0, 0 },
		{ "-9223372036854775809", ERR_RANGE, 0, ERR_RANGE, 0, 0 },
		{ "18446744073709551615", ERR_RANGE, 0, 0, UINT64_MAX, 0 },
		{ "18446744073709551616", ERR_RANGE, 0, ERR_RANGE, 0, 0 },
		{ "-1", 0, -1, ERR_RANGE, 0, 0 },
		{ "1.0", ERR_MALFORMED, 0, ERR_MALFORMED, 0, 0 },
		{ "1e3", ERR_MALFORMED, 0, ERR_MALFORMED, 0, 0 },
		{ "1e999", ERR_MALFORMED, 0, ERR_MALFORMED, 0, ERR_RANGE },
		{ "-1e999", ERR_MALFORMED, 0, ERR_MALFORMED, 0, ERR_RANGE },
		{ "1e-999", ERR_MALFORMED, 0, ERR_MALFORMED, 0, 0 },
		{ "123456789012345678901234567890123456789012345678901234567890", ERR_RANGE, 0,
		  ERR_RANGE, 0, 0 },
	};
	struct jparse_doc doc;
	int64_t i64;
	uint64_t u64;
	double d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_str(t[i].in, &doc, NULL), 0);
		assert_string_equal(doc.root->str, t[i].in);
		assert_int_equal(jparse_get_i64(doc.root, &i64), t[i].ri64);
		if (t[i].ri64 == 0)
			assert_true(i64 == t[i].i64);
		assert_int_equal(jparse_get_u64(doc.root, &u64), t[i].ru64);
		if (t[i].ru64 == 0)
			assert_true(u64 == t[i].u64);
		assert_int_equal(jparse_get_double(doc.root, &d), t[i].rd);
		jparse_free(&doc);
	}
	/* a 5000-digit number is valid JSON; only the accessors refuse it */
	{
		char *huge = malloc(5001);

		assert_non_null(huge);
		memset(huge, '7', 5000);
		huge[5000] = '\0';
		assert_int_equal(parse_str(huge, &doc, NULL), 0);
		assert_int_equal(jparse_get_u64(doc.root, &u64), ERR_RANGE);
		assert_int_equal(jparse_get_double(doc.root, &d), ERR_RANGE);
		jparse_free(&doc);
		free(huge);
	}
	assert_int_equal(parse_str("0.5", &doc, NULL), 0);
	assert_int_equal(jparse_get_double(doc.root, &d), 0);
	assert_true(d == 0.5);
	jparse_free(&doc);
}

static void
test_error_position(void **state)
{
	struct jparse_doc doc;
	struct jparse_error err;

	(void)state;
	assert_int_equal(parse_str("{\n  \"a\": x}", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 9);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 8);
	assert_string_equal(err.reason, "unexpected character");

	assert_int_equal(parse_str("{\"a\":1,\n\"b\":2,\n\"a\":3}", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 1);
	assert_string_equal(err.reason, "duplicate key");

	assert_int_equal(parse_str("[1,\n", &doc, &err), ERR_TRUNC);
	assert_int_equal(err.offset, 4);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 1);

	assert_int_equal(parse_str("\"ab\\q\"", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 3);
	assert_string_equal(err.reason, "invalid escape");

	assert_int_equal(parse_str("\"ab\xc3(\"", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 3);
	assert_string_equal(err.reason, "invalid UTF-8");

	assert_int_equal(parse_str("{} x", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 3);
	assert_string_equal(err.reason, "trailing garbage after the document");

	assert_int_equal(parse_str("\xef\xbb\xbf[]", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 0);
	assert_string_equal(err.reason, "byte order mark not allowed");

	assert_int_equal(parse_str("[01]", &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 2);
	assert_string_equal(err.reason, "leading zero in number");
	jparse_free(&doc);
}

/* ---- deterministic mutation loop ---- */

static uint32_t
xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static const char fuzz_tokens[][8] = {
	"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "d83d", "\\udc00", "0", "-", ".", "e",
	"true", "null", " ", "\xc3", "\xa9", "\xed\xa0", "\xf4\x90", "\0",
};

/* One random edit of buf[0..*len) in place; cap is the buffer size. */
static void
mutate(uint8_t *buf, size_t *len, size_t cap, uint32_t *seed)
{
	size_t pos = *len > 0 ? xorshift(seed) % *len : 0, n, tl;
	const char *tok;

	switch (xorshift(seed) % 6) {
	case 0:		/* flip a bit */
		if (*len > 0)
			buf[pos] ^= (uint8_t)(1u << (xorshift(seed) % 8));
		break;
	case 1:		/* random byte */
		if (*len > 0)
			buf[pos] = (uint8_t)xorshift(seed);
		break;
	case 2:		/* delete a run */
		n = 1 + xorshift(seed) % 4;
		if (pos + n <= *len) {
			memmove(buf + pos, buf + pos + n, *len - pos - n);
			*len -= n;
		}
		break;
	case 3:		/* insert a token */
		tok = fuzz_tokens[xorshift(seed) % (sizeof(fuzz_tokens) / sizeof(fuzz_tokens[0]))];
		tl = tok[0] == '\0' ? 1 : strlen(tok);
		if (*len + tl <= cap) {
			memmove(buf + pos + tl, buf + pos, *len - pos);
			memcpy(buf + pos, tok, tl);
			*len += tl;
		}
		break;
	case 4:		/* truncate */
		*len = pos;
		break;
	default:	/* duplicate a run */
		n = 1 + xorshift(seed) % 16;
		if (pos + n <= *len && *len + n <= cap) {
			memmove(buf + pos + n, buf + pos, *len - pos);
			*len += n;
		}
		break;
	}
}

/* Walk a tree: types valid, counts consistent, strings terminated. */
static size_t
walk(const struct jparse_value *v)
{
	const struct jparse_value *c;
	size_t total = 1, kids = 0;

	assert_true(v->type >= JPARSE_NULL && v->type <= JPARSE_OBJECT);
	if (v->type == JPARSE_STRING || v->type == JPARSE_NUMBER)
		assert_int_equal(v->str[v->len], '\0');
	for (c = v->first; c != NULL; c = c->next) {
		kids++;
		if (v->type == JPARSE_OBJECT) {
			assert_non_null(c->key);
			assert_int_equal(c->key[c->key_len], '\0');
		}
		total += walk(c);
	}
	assert_int_equal(kids, v->n);
	return total;
}

static void
test_fuzz_mutations(void **state)
{
	uint8_t buf[1024], *copy;
	size_t len, slen = strlen(sample);
	struct jparse_doc doc;
	struct jparse_error err;
	uint32_t seed = 0x9e3779b9;
	unsigned it, k, accepted = 0, rejected = 0;
	int r;

	(void)state;
	for (it = 0; it < 30000; it++) {
		memcpy(buf, sample, slen);
		len = slen;
		for (k = 1 + xorshift(&seed) % 4; k > 0; k--)
			mutate(buf, &len, sizeof(buf), &seed);
		/* exact-size copy so an overread is an ASan error */
		copy = malloc(len > 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		r = jparse_parse(copy, len, NULL, &doc, &err);
		if (r == 0) {
			accepted++;
			assert_int_equal(walk(doc.root), doc.n_values);
		} else {
			rejected++;
			assert_true(r == ERR_TRUNC || r == ERR_MALFORMED || r == ERR_RANGE);
			assert_true(err.offset <= len);
			assert_non_null(err.reason);
			assert_true(err.line >= 1 && err.col >= 1);
		}
		jparse_free(&doc);
		free(copy);
	}
	/* the mutations must exercise both outcomes */
	assert_true(accepted > 100);
	assert_true(rejected > 100);
}

/* ---- cross-check against python3's json ---- */

/*
 * Python decodes the bytes as strict UTF-8, parses with json.loads (which
 * refuses control characters in strings and, with the hooks, NaN/Infinity
 * and duplicate keys), re-encodes each string as strict UTF-8 (refusing
 * lone surrogates) and prints a canonical form; numbers keep their text
 * through parse_int/parse_float.  Both sides must agree on accept/reject and
 * on the canonical form.
 */
static const char py_script[] =
	"import json,sys\n"
	"class N(str): pass\n"
	"def c(_): raise ValueError('constant')\n"
	"def pairs(p):\n"
	"    ks=[k for k,_ in p]\n"
	"    if len(set(ks))!=len(ks): raise ValueError('dup')\n"
	"    return ('o',p)\n"
	"def h(s): return s.encode('utf-8').hex()\n"
	"def canon(v):\n"
	"    if isinstance(v,tuple): return 'o{'+','.join(h(k)+':'+canon(x) for k,x in v[1])+'}'\n"
	"    if isinstance(v,list): return 'a['+','.join(canon(x) for x in v)+']'\n"
	"    if isinstance(v,N): return 'd'+str.__str__(v)+';'\n"
	"    if isinstance(v,str): return 's'+h(v)+';'\n"
	"    if v is True: return 't'\n"
	"    if v is False: return 'f'\n"
	"    if v is None: return 'n'\n"
	"    raise ValueError('type')\n"
	"for line in open(sys.argv[1]):\n"
	"    try:\n"
	"        t=bytes.fromhex(line.strip()).decode('utf-8')\n"
	"        v=json.loads(t,parse_int=N,parse_float=N,parse_constant=c,object_pairs_hook=pairs)\n"
	"        print('OK '+canon(v))\n"
	"    except (ValueError,UnicodeError,RecursionError):\n"
	"        print('ERR')\n";

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_init(struct sbuf *s)
{
	s->cap = 256;
	s->len = 0;
	s->p = calloc(1, s->cap);
	assert_non_null(s->p);
}

static void
sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		s->cap = s->cap * 2 + (size_t)n + 64;
		s->p = realloc(s->p, s->cap);
		assert_non_null(s->p);
	}
}

static void
sb_hex(struct sbuf *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_add(s, "%02x", (unsigned)(uint8_t)p[i]);
}

static void
canon(struct sbuf *s, const struct jparse_value *v)
{
	const struct jparse_value *c;

	switch (v->type) {
	case JPARSE_NULL:
		sb_add(s, "n");
		break;
	case JPARSE_BOOL:
		sb_add(s, v->b ? "t" : "f");
		break;
	case JPARSE_NUMBER:
		sb_add(s, "d%s;", v->str);
		break;
	case JPARSE_STRING:
		sb_add(s, "s");
		sb_hex(s, v->str, v->len);
		sb_add(s, ";");
		break;
	case JPARSE_ARRAY:
	case JPARSE_OBJECT:
		sb_add(s, v->type == JPARSE_ARRAY ? "a[" : "o{");
		for (c = v->first; c != NULL; c = c->next) {
			if (c != v->first)
				sb_add(s, ",");
			if (v->type == JPARSE_OBJECT) {
				sb_hex(s, c->key, c->key_len);
				sb_add(s, ":");
			}
			canon(s, c);
		}
		sb_add(s, v->type == JPARSE_ARRAY ? "]" : "}");
		break;
	}
}

static const char *const xcheck_docs[] = {
	"{}", "[]", "0", "-0", "1.5e-7", "\"\"", " [ 1 , 2 ] ", "{\"a\":[true,false,null]}",
	"\"\\u00e9\\ud83d\\ude00\\u0000\\uFFFF\"", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"",
	"{\"a\":1,\"b\":{\"a\":2}}", "12345678901234567890123456789", "1E+2", "1e-0",
	"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "{\"\\\"\\\\\\/\\b\\f\\n\\r\\t\":\"x\"}",
};

static void
test_python_crosscheck(void **state)
{
	struct sbuf in, mine;
	char path[] = "/tmp/test_jparse_XXXXXX", script[] = "/tmp/test_jparse_py_XXXXXX";
	char cmd[256], *line = NULL;
	uint8_t buf[1024];
	size_t i, k, len, cap = 0, ndocs = 0, slen = strlen(sample), linelen;
	struct jparse_doc doc;
	uint32_t seed = 12345;
	FILE *fp, *out;
	int fd, r, agree_ok = 0;
	const char *d;
	char **expect;

	(void)state;
	if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
		skip();
	expect = calloc(1000, sizeof(*expect));
	assert_non_null(expect);
	sb_init(&in);
	sb_init(&mine);

	/* the tables above, the sample, and mutations of the sample */
	for (i = 0; i < 1000; i++) {
		if (i < sizeof(xcheck_docs) / sizeof(xcheck_docs[0])) {
			d = xcheck_docs[i];
			len = strlen(d);
			memcpy(buf, d, len);
		} else if (i < sizeof(xcheck_docs) / sizeof(xcheck_docs[0]) +
		    sizeof(bad_docs) / sizeof(bad_docs[0])) {
			k = i - sizeof(xcheck_docs) / sizeof(xcheck_docs[0]);
			len = bad_docs[k].len != 0 ? bad_docs[k].len : strlen(bad_docs[k].in);
			memcpy(buf, bad_docs[k].in, len);
		} else {
			memcpy(buf, sample, slen);
			len = slen;
			for (k = 1 + xorshift(&seed) % 3; k > 0; k--)
				mutate(buf, &len, sizeof(buf), &seed);
		}
		if (len == 0)
			continue;	/* an empty line is not a document for the script */
		sb_hex(&in, (const char *)buf, len);
		sb_add(&in, "\n");
		mine.len = 0;
		mine.p[0] = '\0';
		r = jparse_parse(buf, len, NULL, &doc, NULL);
		if (r == 0) {
			sb_add(&mine, "OK ");
			canon(&mine, doc.root);
		} else {
			sb_add(&mine, "ERR");
		}
		jparse_free(&doc);
		expect[ndocs++] = strdup(mine.p);
	}

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, in.p, in.len), (ssize_t)in.len);
	close(fd);
	fd = mkstemp(script);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(py_script, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", script, path);
	out = popen(cmd, "r");
	assert_non_null(out);
	for (i = 0; i < ndocs; i++) {
		ssize_t got = getline(&line, &cap, out);

		assert_true(got > 0);
		linelen = (size_t)got;
		if (line[linelen - 1] == '\n')
			line[linelen - 1] = '\0';
		if (strcmp(line, expect[i]) != 0)
			fail_msg("doc %zu disagrees with python:\n  python: %s\n  jparse: %s", i,
			    line, expect[i]);
		if (strncmp(line, "OK", 2) == 0)
			agree_ok++;
		free(expect[i]);
	}
	assert_int_equal(pclose(out), 0);
	unlink(path);
	unlink(script);
	/* the set has both outcomes in quantity */
	assert_true(agree_ok > 50);
	assert_true((size_t)agree_ok < ndocs - 50);
	free(line);
	free(expect);
	free(in.p);
	free(mine.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_tree),
		cmocka_unit_test(test_scalars_at_top),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_fuzz_mutations),
		cmocka_unit_test(test_python_crosscheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
