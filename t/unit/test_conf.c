/*
 * test_conf.c - the OpenVPN 2.6 config tokenizer and the table dispatcher.
 *
 * Expected token splits follow 2.6's parse_line() state machine (options.c),
 * including its quirks (comment after a backslash, quotes only at a token
 * start, lone backslash between tokens ignored).  Hostile input: unbalanced
 * quotes, trailing backslashes, NUL bytes, 100k-byte lines, 1000 tokens,
 * random bytes; plus a print/re-tokenize round trip over random tokens.
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

#include "conf.h"
#include "err.h"

/* ---- tokenizer ---- */

struct tok {
	char store[CONF_LINE_MAX * 4 + CONF_MAX_TOKENS + 1];
	const char *argv[CONF_MAX_TOKENS + 1];
	unsigned argc;
	const char *why;
};

static int
tokz(struct tok *t, const char *s)
{
	t->why = NULL;
	return conf_tokenize(s, strlen(s), t->store, sizeof(t->store), t->argv, &t->argc, &t->why);
}

/* Expect success and exactly the NULL-terminated list of tokens. */
static void
expect_tokens(const char *line, ...)
{
	struct tok t;
	va_list ap;
	const char *want;
	unsigned i = 0;

	assert_int_equal(tokz(&t, line), 0);
	va_start(ap, line);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_true(i < t.argc);
		assert_string_equal(t.argv[i], want);
		i++;
	}
	va_end(ap);
	assert_int_equal(t.argc, i);
	assert_null(t.argv[t.argc]);
}

static void
expect_tok_error(const char *line, const char *why_part)
{
	struct tok t;

	assert_int_equal(tokz(&t, line), ERR_CONFIG);
	assert_non_null(t.why);
	assert_non_null(strstr(t.why, why_part));
}

static void
test_tokens_basic(void **state)
{
	(void)state;
	expect_tokens("port 1194", "port", "1194", NULL);
	expect_tokens("  port\t\t1194  ", "port", "1194", NULL);
	expect_tokens("port 1194\r", "port", "1194", NULL);           /* CRLF */
	expect_tokens("a\vb\fc", "a", "b", "c", NULL);
	expect_tokens("", NULL);
	expect_tokens("   \t\r", NULL);
}

static void
test_tokens_comments(void **state)
{
	(void)state;
	expect_tokens("# port 1194", NULL);
	expect_tokens("; port 1194", NULL);
	expect_tokens("   ;x", NULL);
	expect_tokens("port 1194 # the port", "port", "1194", NULL);
	expect_tokens("port 1194 ;x", "port", "1194", NULL);
	/* inside a token, # and ; are ordinary */
	expect_tokens("port 1194;x", "port", "1194;x", NULL);
	expect_tokens("a#b", "a#b", NULL);
	/* 2.6 quirk: the comment check comes before the backslash check */
	expect_tokens("a \\#b c", "a", NULL);
	/* quoted # is data */
	expect_tokens("push \"# not a comment\"", "push", "# not a comment", NULL);
}

static void
test_tokens_quotes(void **state)
{
	(void)state;
	expect_tokens("push \"route 10.0.0.0 255.0.0.0\"", "push", "route 10.0.0.0 255.0.0.0", NULL);
	expect_tokens("x 'a b'", "x", "a b", NULL);
	/* backslash is literal inside single quotes */
	expect_tokens("x 'c:\\dir\\f'", "x", "c:\\dir\\f", NULL);
	/* a closing quote ends the token at once */
	expect_tokens("\"a\"b", "a", "b", NULL);
	expect_tokens("'a'\"b\"", "a", "b", NULL);
	/* quotes count only at a token start */
	expect_tokens("a\"b c\"", "a\"b", "c\"", NULL);
	expect_tokens("x \"\"", "x", "", NULL);
	expect_tokens("x ''", "x", "", NULL);
	expect_tokens("\"it's\"", "it's", NULL);
	expect_tokens("'say \"hi\"'", "say \"hi\"", NULL);
}

static void
test_tokens_escapes(void **state)
{
	(void)state;
	expect_tokens("x a\\ b", "x", "a b", NULL);
	expect_tokens("x a\\\\b", "x", "a\\b", NULL);
	expect_tokens("x \"a\\\"b\"", "x", "a\"b", NULL);
	expect_tokens("x \"a\\\\b\"", "x", "a\\b", NULL);
	expect_tokens("x \\\"a", "x", "\"a", NULL);           /* escaped quote starts a bare token */
	expect_tokens("x \\ a", "x", "a", NULL);              /* escaped blank between tokens: dropped */
	expect_tokens("x \\", "x", NULL);                     /* lone trailing backslash between tokens */
	expect_tok_error("ca c:\\dir\\ca.crt", "bad backslash");
	expect_tok_error("x \\n", "bad backslash");
	expect_tok_error("x \"\\t\"", "bad backslash");
	expect_tok_error("x \\'a'", "bad backslash");
	expect_tok_error("port 1194\\", "ends with a backslash");
	expect_tok_error("x \"abc\\", "no closing quotation");
}

static void
test_tokens_unbalanced(void **state)
{
	(void)state;
	expect_tok_error("push \"route 10.0.0.0", "no closing quotation (\")");
	expect_tok_error("push 'route", "no closing single quotation");
	expect_tok_error("\"", "no closing quotation");
	expect_tok_error("a \"b\" \"c", "no closing quotation");
	/* an unbalanced quote after a comment is fine */
	expect_tokens("a # \"b", "a", NULL);
}

static void
test_tokens_nul(void **state)
{
	static const char line[] = "port 1194\0junk";
	static const char comment[] = "# x\0y";
	struct tok t;

	(void)state;
	assert_int_equal(conf_tokenize(line, sizeof(line) - 1, t.store, sizeof(t.store), t.argv,
	    &t.argc, &t.why), ERR_CONFIG);
	assert_non_null(strstr(t.why, "NUL"));
	assert_int_equal(t.argc, 0);
	assert_int_equal(conf_tokenize(comment, sizeof(comment) - 1, t.store, sizeof(t.store), t.argv,
	    &t.argc, &t.why), ERR_CONFIG);
	/* only `len` bytes are read: a NUL past it does not matter */
	assert_int_equal(conf_tokenize(line, 9, t.store, sizeof(t.store), t.argv, &t.argc, &t.why), 0);
	assert_int_equal(t.argc, 2);
}

static void
test_tokens_count(void **state)
{
	char line[8192];
	struct tok t;
	size_t off = 0;
	int i;

	(void)state;
	for (i = 0; i < CONF_MAX_TOKENS; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "t%d ", i);
	assert_int_equal(tokz(&t, line), 0);
	assert_int_equal(t.argc, CONF_MAX_TOKENS);
	assert_string_equal(t.argv[15], "t15");
	/* a comment after the last allowed token is fine */
	snprintf(line + off, sizeof(line) - off, "# more");
	assert_int_equal(tokz(&t, line), 0);
	/* a 17th token is an error, not silently dropped as in 2.6 */
	snprintf(line + off, sizeof(line) - off, "x");
	expect_tok_error(line, "too many tokens");
	/* 1000 tokens */
	for (off = 0, i = 0; i < 1000; i++)
		line[off++] = 'a', line[off++] = ' ';
	line[off] = '\0';
	expect_tok_error(line, "too many tokens");
}

static void
test_tokens_store_cap(void **state)
{
	char store[8];
	const char *argv[CONF_MAX_TOKENS + 1];
	unsigned argc;
	const char *why;

	(void)state;
	assert_int_equal(conf_tokenize("abc de", 6, store, sizeof(store), argv, &argc, &why), 0);
	assert_int_equal(conf_tokenize("abcdefgh", 8, store, sizeof(store), argv, &argc, &why),
	    ERR_CONFIG);
	/* exactly full: 7 bytes + NUL, or two tokens with their NULs */
	assert_int_equal(conf_tokenize("abcdefg", 7, store, sizeof(store), argv, &argc, &why), 0);
	assert_int_equal(conf_tokenize("abc def", 7, store, sizeof(store), argv, &argc, &why), 0);
	assert_string_equal(argv[1], "def");
	assert_int_equal(conf_tokenize("abc defg", 8, store, sizeof(store), argv, &argc, &why),
	    ERR_CONFIG);
}

/* xorshift32: deterministic, so a failure reproduces. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
test_tokens_random_bytes(void **state)
{
	char line[300];
	struct tok t;
	uint32_t seed = 0x2545F491;
	int iter;
	size_t i, len;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		len = rnd(&seed) % sizeof(line);
		for (i = 0; i < len; i++) {
			static const char alpha[] = "ab \t\r\"'\\#;<>-\0\x01\xff";
			line[i] = alpha[rnd(&seed) % (sizeof(alpha) - 1)];
		}
		t.argc = 99;
		if (conf_tokenize(line, len, t.store, sizeof(t.store), t.argv, &t.argc, &t.why) == 0) {
			assert_true(t.argc <= CONF_MAX_TOKENS);
			assert_null(t.argv[t.argc]);
			for (i = 0; i < t.argc; i++) {
				assert_true(t.argv[i] >= t.store);
				assert_true(t.argv[i] + strlen(t.argv[i]) < t.store + sizeof(t.store));
			}
		} else {
			assert_non_null(t.why);
			assert_int_equal(t.argc, 0);
		}
	}
}

/* conf_print_token() output must tokenize back to the same string. */
static void
roundtrip_token(const char *s)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	struct tok t;

	assert_non_null(f);
	fputs("x ", f);
	conf_print_token(f, s);
	fclose(f);
	assert_int_equal(tokz(&t, buf), 0);
	assert_int_equal(t.argc, 2);
	assert_string_equal(t.argv[1], s);
	free(buf);
}

static void
test_print_token_roundtrip(void **state)
{
	static const char *const fixed[] = {
		"", "plain", "a b", "\"", "'", "\\", "#x", ";x", "a#b", "<ca>", "c:\\dir\\f",
		"say \"hi\"", "tab\there", "cr\rhere", "\\\"", "'quoted'", "end\\",
	};
	char s[40];
	uint32_t seed = 12345;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		roundtrip_token(fixed[i]);
	for (i = 0; i < 5000; i++) {
		static const char alpha[] = "aZ09 \t\r\"'\\#;<>-:,.";
		n = rnd(&seed) % (sizeof(s) - 1);
		for (j = 0; j < n; j++)
			s[j] = alpha[rnd(&seed) % (sizeof(alpha) - 1)];
		s[n] = '\0';
		roundtrip_token(s);
	}
}

static void
test_print_token_bare(void **state)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	(void)state;
	conf_print_token(f, "AES-256-GCM:AES-128-GCM");
	fputc('|', f);
	conf_print_token(f, "route 10.0.0.0 255.0.0.0");
	fputc('|', f);
	conf_print_token(f, "a\"b\\c");
	fclose(f);
	assert_string_equal(buf, "AES-256-GCM:AES-128-GCM|\"route 10.0.0.0 255.0.0.0\"|\"a\\\"b\\\\c\"");
	free(buf);
}

/* ---- dispatcher ---- */

struct rec {
	int calls;
	char name[32];
	unsigned argc;
	char arg1[64];
	unsigned lineno;
	bool is_inline;
	char body[512];
	size_t len;
};

static int
h_rec(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct rec *r = ctx;

	(void)err;
	r->calls++;
	snprintf(r->name, sizeof(r->name), "%s", l->argv[0]);
	r->argc = l->argc;
	snprintf(r->arg1, sizeof(r->arg1), "%s", l->argc > 1 ? l->argv[1] : "");
	r->lineno = l->lineno;
	r->is_inline = l->is_inline;
	r->len = 0;
	if (l->is_inline) {
		assert_true(l->len < sizeof(r->body));
		assert_int_equal(strlen(l->data), l->len);
		memcpy(r->body, l->data, l->len + 1);
		r->len = l->len;
	}
	return 0;
}

static int
h_fail(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	(void)ctx;
	return conf_errf(err, l, "%s: '%s' is bad", l->argv[0], l->argv[1]);
}

static int
h_silent(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	(void)ctx;
	(void)l;
	(void)err;
	return ERR_RANGE;
}

static int
h_port(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	uint16_t port;
	int r = conf_arg_port(l, 1, &port, err);

	if (r == 0)
		h_rec(ctx, dir, l, err);
	return r;
}

static int
h_num(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	uint32_t v;
	int r = conf_arg_u32(l, 1, 2, 100, &v, err);

	if (r == 0)
		h_rec(ctx, dir, l, err);
	return r;
}

static const struct conf_directive ttable[] = {
	{ "alpha",    0, 0,             CONF_SCOPE_SERVER, false, h_rec, NULL },
	{ "ca",       1, 1,             CONF_SCOPE_SERVER, true,  h_rec, NULL },
	{ "fail",     1, 1,             CONF_SCOPE_SERVER, false, h_fail, NULL },
	{ "multi",    1, CONF_ARGS_ANY, CONF_SCOPE_SERVER, false, h_rec, NULL },
	{ "num",      1, 1,             CONF_SCOPE_SERVER, false, h_num, NULL },
	{ "opt",      0, 2,             CONF_SCOPE_SERVER, false, h_rec, NULL },
	{ "port",     1, 1,             CONF_SCOPE_SERVER, false, h_port, NULL },
	{ "pushonly", 0, 0,             CONF_SCOPE_PUSH,   false, h_rec, NULL },
	{ "silent",   0, 0,             CONF_SCOPE_SERVER, false, h_silent, NULL },
};
#define NT (sizeof(ttable) / sizeof(ttable[0]))

static int
parse(const char *text, struct rec *r, struct conf_err *err)
{
	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	return conf_parse_buf(ttable, NT, CONF_SCOPE_SERVER, "t.conf", text, strlen(text), r, err);
}

static void
expect_parse_error(const char *text, const char *msg)
{
	struct rec r;
	struct conf_err e;

	assert_int_equal(parse(text, &r, &e), ERR_CONFIG);
	assert_string_equal(e.msg, msg);
}

static void
test_table_check(void **state)
{
	struct conf_directive bad[3];

	(void)state;
	assert_true(conf_table_check(ttable, NT));
	memcpy(bad, ttable, sizeof(bad));
	bad[1] = ttable[0];   /* duplicate */
	assert_false(conf_table_check(bad, 3));
	memcpy(bad, ttable, sizeof(bad));
	bad[0] = ttable[2];   /* out of order */
	assert_false(conf_table_check(bad, 3));
	memcpy(bad, ttable, sizeof(bad));
	bad[1].min_args = 3;  /* min > max */
	assert_false(conf_table_check(bad, 3));
	memcpy(bad, ttable, sizeof(bad));
	bad[2].handler = NULL;
	assert_false(conf_table_check(bad, 3));
}

static void
test_lookup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NT; i++)
		assert_ptr_equal(conf_lookup(ttable, NT, ttable[i].name), &ttable[i]);
	assert_null(conf_lookup(ttable, NT, "ALPHA"));
	assert_null(conf_lookup(ttable, NT, "alph"));
	assert_null(conf_lookup(ttable, NT, "zzz"));
	assert_null(conf_lookup(ttable, NT, ""));
	assert_null(conf_lookup(ttable, 0, "alpha"));
}

static void
test_dispatch_ok(void **state)
{
	struct rec r;
	struct conf_err e;

	(void)state;
	assert_int_equal(parse("# hi\n\nport 1194\n", &r, &e), 0);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.name, "port");
	assert_string_equal(r.arg1, "1194");
	assert_int_equal(r.lineno, 3);
	/* leading -- is dropped, as 2.6 bypass_doubledash() */
	assert_int_equal(parse("--port 1194", &r, &e), 0);
	assert_string_equal(r.name, "port");
	/* CRLF and no final newline */
	assert_int_equal(parse("alpha\r\nport 5000\r\nmulti a b c d", &r, &e), 0);
	assert_int_equal(r.calls, 3);
	assert_int_equal(r.argc, 5);
	/* UTF-8 BOM on line 1 */
	assert_int_equal(parse("\xEF\xBB\xBFport 1194\n", &r, &e), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(parse("opt\nopt a\nopt a b\n", &r, &e), 0);
	assert_int_equal(r.calls, 3);
}

static void
test_dispatch_errors(void **state)
{
	(void)state;
	expect_parse_error("alpha\n\nfrobnicate 1\n", "t.conf:3: unknown directive 'frobnicate'");
	expect_parse_error("port 1194 1195", "t.conf:1: 'port' takes 1 argument, got 2");
	expect_parse_error("port", "t.conf:1: 'port' takes 1 argument, got 0");
	expect_parse_error("alpha x", "t.conf:1: 'alpha' takes 0 arguments, got 1");
	expect_parse_error("opt a b c", "t.conf:1: 'opt' takes 0 to 2 arguments, got 3");
	expect_parse_error("multi", "t.conf:1: 'multi' takes at least 1 argument, got 0");
	expect_parse_error("port 99999", "t.conf:1: port: '99999' is not a port number (1-65535)");
	expect_parse_error("port 0", "t.conf:1: port: '0' is not a port number (1-65535)");
	expect_parse_error("port -1", "t.conf:1: port: '-1' is not a port number (1-65535)");
	expect_parse_error("port 12ab", "t.conf:1: port: '12ab' is not a port number (1-65535)");
	expect_parse_error("port \"\"", "t.conf:1: port: '' is not a port number (1-65535)");
	expect_parse_error("num 1", "t.conf:1: num: '1' is not a number (2-100)");
	expect_parse_error("num 101", "t.conf:1: num: '101' is not a number (2-100)");
	expect_parse_error("num 99999999999", "t.conf:1: num: '99999999999' is not a number (2-100)");
	expect_parse_error("num 4294967298", "t.conf:1: num: '4294967298' is not a number (2-100)");
	expect_parse_error("num +5", "t.conf:1: num: '+5' is not a number (2-100)");
	expect_parse_error("fail x", "t.conf:1: fail: 'x' is bad");
	expect_parse_error("silent", "t.conf:1: silent: invalid (value out of range)");
	expect_parse_error("pushonly", "t.conf:1: 'pushonly' is not allowed in a server config");
	expect_parse_error("Port 1194", "t.conf:1: unknown directive 'Port'");
	expect_parse_error("--", "t.conf:1: unknown directive '--'");
	expect_parse_error("alpha\n\xEF\xBB\xBFport 1", "t.conf:2: unknown directive '\xEF\xBB\xBFport'");
	expect_parse_error("x \"abc", "t.conf:1: no closing quotation (\")");
	expect_parse_error("alpha\nb\\q", "t.conf:2: bad backslash escape (only \\\\, \\\" and \\<space> are "
	    "allowed; write Windows paths with double backslashes)");
	/* control characters never reach the message */
	expect_parse_error("fr\x1b[31mob", "t.conf:1: unknown directive 'fr?[31mob'");
}

static void
test_dispatch_nul(void **state)
{
	static const char text[] = "alpha\nport 1194\0\n";
	struct rec r;
	struct conf_err e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_parse_buf(ttable, NT, CONF_SCOPE_SERVER, "t.conf", text, sizeof(text) - 1,
	    &r, &e), ERR_CONFIG);
	assert_string_equal(e.msg, "t.conf:2: NUL byte in line");
}

static void
test_long_lines(void **state)
{
	char *big = malloc(100001);
	struct conf_parser p;
	struct rec r;
	char line[CONF_LINE_MAX + 2];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	memset(&r, 0, sizeof(r));
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, big, 100000), ERR_CONFIG);
	assert_string_equal(p.err.msg, "t.conf:1: line is too long (100000 bytes, at most 256)");
	conf_parser_free(&p);

	/* exactly CONF_LINE_MAX is fine, one more is not */
	memset(line, ' ', sizeof(line));
	memcpy(line, "multi x", 7);
	line[CONF_LINE_MAX - 1] = 'y';
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, line, CONF_LINE_MAX), 0);
	assert_int_equal(r.argc, 3);
	assert_int_equal(conf_feed_line(&p, line, CONF_LINE_MAX + 1), ERR_CONFIG);
	assert_string_equal(p.err.msg, "t.conf:2: line is too long (257 bytes, at most 256)");
	conf_parser_free(&p);

	/* one long token filling the line */
	memset(line, 'z', sizeof(line));
	memcpy(line, "multi ", 6);
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, line, CONF_LINE_MAX), 0);
	assert_int_equal(strlen(r.arg1), sizeof(r.arg1) - 1);   /* rec truncates; parser did not */
	conf_parser_free(&p);

	/* inline bodies have no per-line cap, only the block cap */
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, "<ca>", 4), 0);
	assert_int_equal(conf_feed_line(&p, big, 100000), 0);
	conf_parser_free(&p);
	free(big);
}

static void
test_sticky_error(void **state)
{
	struct conf_parser p;
	struct rec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, "nope", 4), ERR_CONFIG);
	assert_int_equal(conf_feed_line(&p, "alpha", 5), ERR_CONFIG);
	assert_int_equal(conf_finish(&p), ERR_CONFIG);
	assert_int_equal(r.calls, 0);
	assert_string_equal(p.err.msg, "t.conf:1: unknown directive 'nope'");
	conf_parser_free(&p);
}

static void
test_inline(void **state)
{
	struct rec r;
	struct conf_err e;

	(void)state;
	assert_int_equal(parse("alpha\n<ca>\n-----BEGIN X-----\r\n  abc \n-----END X-----\n</ca>\n",
	    &r, &e), 0);
	assert_int_equal(r.calls, 2);
	assert_string_equal(r.name, "ca");
	assert_true(r.is_inline);
	assert_int_equal(r.argc, 1);
	assert_int_equal(r.lineno, 2);
	/* verbatim, CR included */
	assert_string_equal(r.body, "-----BEGIN X-----\r\n  abc \n-----END X-----\n");

	/* close tag with leading blanks, trailing junk ignored (2.6), CRLF; line count goes on */
	assert_int_equal(parse("<ca>\r\nA\r\n \t</ca> trailing\r\nport 99\r\n", &r, &e), 0);
	assert_string_equal(r.name, "port");
	assert_int_equal(r.lineno, 4);
	/* --<ca> is the same tag after bypass_doubledash */
	assert_int_equal(parse("--<ca>\nA\n</ca>\n", &r, &e), 0);
	assert_string_equal(r.body, "A\n");
	/* empty body, nested tags are body text */
	assert_int_equal(parse("<ca>\n</ca>", &r, &e), 0);
	assert_int_equal(r.len, 0);
	assert_int_equal(parse("<ca>\n<cert>\n</cert>\n</ca>\n", &r, &e), 0);
	assert_string_equal(r.body, "<cert>\n</cert>\n");
	/* a wrong close tag does not close */
	assert_int_equal(parse("<ca>\n</cax>\n</c>\n</ca>\n", &r, &e), 0);
	assert_string_equal(r.body, "</cax>\n</c>\n");
}

static void
test_inline_errors(void **state)
{
	(void)state;
	expect_parse_error("alpha\n<ca>\nAAAA\n", "t.conf:2: inline <ca> block has no closing </ca>");
	expect_parse_error("<ca>\nAAAA\n</cert>\n", "t.conf:1: inline <ca> block has no closing </ca>");
	expect_parse_error("<port>\n1194\n</port>\n", "t.conf:1: 'port' cannot be given as an inline block");
	expect_parse_error("<nosuch>\nx\n</nosuch>\n", "t.conf:1: unknown directive 'nosuch'");
	expect_parse_error("<ca> x\n", "t.conf:1: inline tag '<ca>' must be alone on its line");
	expect_parse_error("</ca>\n", "t.conf:1: '</ca>' without an opening tag");
	expect_parse_error("<>\n", "t.conf:1: bad inline tag '<>'");
}

static void
test_inline_nul(void **state)
{
	static const char text[] = "<ca>\nA\0B\n</ca>\n";
	struct rec r;
	struct conf_err e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_parse_buf(ttable, NT, CONF_SCOPE_SERVER, "t.conf", text, sizeof(text) - 1,
	    &r, &e), ERR_CONFIG);
	assert_string_equal(e.msg, "t.conf:2: NUL byte in inline <ca> block");
}

static void
test_inline_cap(void **state)
{
	struct conf_parser p;
	struct rec r;
	char *line = malloc(65536);
	int i, rc = 0;

	(void)state;
	assert_non_null(line);
	memset(line, 'Q', 65536);
	memset(&r, 0, sizeof(r));
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, "<ca>", 4), 0);
	/* 16 lines of 65535 + '\n' = exactly 1 MiB, the most a body may hold */
	for (i = 0; i < 16 && rc == 0; i++)
		rc = conf_feed_line(&p, line, 65535);
	assert_int_equal(rc, 0);
	assert_int_equal(conf_feed_line(&p, "", 0), ERR_CONFIG);
	assert_string_equal(p.err.msg, "t.conf:1: inline <ca> block is larger than 1048576 bytes");
	conf_parser_free(&p);
	/* a single line as large as the cap */
	conf_parser_init(&p, ttable, NT, CONF_SCOPE_SERVER, "t.conf", &r);
	assert_int_equal(conf_feed_line(&p, "<ca>", 4), 0);
	free(line);
	line = malloc(CONF_INLINE_MAX);
	assert_non_null(line);
	memset(line, 'Q', CONF_INLINE_MAX);
	assert_int_equal(conf_feed_line(&p, line, CONF_INLINE_MAX), ERR_CONFIG);
	conf_parser_free(&p);
	free(line);
}

static void
test_parse_file(void **state)
{
	char path[] = "/tmp/test_conf_XXXXXX";
	static const char text[] = "alpha\n<ca>\nBODY\n</ca>\nport 1\n";
	struct rec r;
	struct conf_err e;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_parse_file(ttable, NT, CONF_SCOPE_SERVER, path, &r, &e), 0);
	assert_int_equal(r.calls, 3);
	assert_string_equal(r.name, "port");
	assert_int_equal(r.lineno, 5);
	unlink(path);
	assert_int_equal(conf_parse_file(ttable, NT, CONF_SCOPE_SERVER, path, &r, &e), ERR_CONFIG);
	assert_non_null(strstr(e.msg, ": cannot open: No such file or directory"));
	assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
	assert_int_equal(conf_parse_file(ttable, NT, CONF_SCOPE_SERVER, "/tmp", &r, &e), ERR_CONFIG);
	assert_string_equal(e.msg, "/tmp: not a regular file");
}

static void
test_errf(void **state)
{
	struct conf_err e;
	struct conf_line l;
	char big[2000];

	(void)state;
	memset(&l, 0, sizeof(l));
	l.file = "f.conf";
	l.lineno = 7;
	assert_int_equal(conf_errf(&e, &l, "x %d", 5), ERR_CONFIG);
	assert_string_equal(e.msg, "f.conf:7: x 5");
	assert_int_equal(conf_errf_file(&e, "f.conf", "whole"), ERR_CONFIG);
	assert_string_equal(e.msg, "f.conf: whole");
	/* long messages are cut at the buffer, never overflow it */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	conf_errf(&e, &l, "%s", big);
	assert_int_equal(strlen(e.msg), CONF_ERR_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_basic),
		cmocka_unit_test(test_tokens_comments),
		cmocka_unit_test(test_tokens_quotes),
		cmocka_unit_test(test_tokens_escapes),
		cmocka_unit_test(test_tokens_unbalanced),
		cmocka_unit_test(test_tokens_nul),
		cmocka_unit_test(test_tokens_count),
		cmocka_unit_test(test_tokens_store_cap),
		cmocka_unit_test(test_tokens_random_bytes),
		cmocka_unit_test(test_print_token_roundtrip),
		cmocka_unit_test(test_print_token_bare),
		cmocka_unit_test(test_table_check),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_dispatch_ok),
		cmocka_unit_test(test_dispatch_errors),
		cmocka_unit_test(test_dispatch_nul),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_inline_errors),
		cmocka_unit_test(test_inline_nul),
		cmocka_unit_test(test_inline_cap),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_errf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
