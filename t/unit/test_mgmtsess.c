/*
 * test_mgmtsess.c - management session engine: password stage, line
 * discipline, tokenizer, client-auth blocks, reply and notification framing.
 *
 * Expected texts marked "2.6.14" were captured from the real OpenVPN 2.6.14
 * server (management on TCP with a password file, probed with a python
 * socket client in a network namespace, 2026-11-21).  Deliberate
 * differences from 2.6 are marked "ours".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "mgmtsess.h"

#define TITLE "OpenVPN 2.6.14-compatible ovpn-endpoint"
#define GREETING ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\n"
#define T0 MTIME_SEC(1000)

struct rec {
	struct mgmt_cmd cmds[32];
	char *argv0[32];
	int n;
};

/* Feed all of data; record the verbs returned. */
static void
feed_n(struct mgmtsess *s, const void *data, size_t len, uint64_t now, struct rec *rec)
{
	struct mgmt_cmd cmd;
	struct buf b;

	buf_init(&b, data, len);
	while (mgmtsess_input(s, &b, now, &cmd) == 1) {
		assert_true(rec != NULL && rec->n < 32);
		rec->cmds[rec->n++] = cmd;
	}
	assert_true(buf_empty(&b));
}

static void
feed(struct mgmtsess *s, const char *str, struct rec *rec)
{
	feed_n(s, str, strlen(str), T0, rec);
}

/* Take all pending output as a string. */
static char *
take(struct mgmtsess *s)
{
	const uint8_t *p;
	size_t len;
	char *out;

	p = mgmtsess_out(s, &len);
	out = malloc(len + 1);
	assert_non_null(out);
	memcpy(out, p, len);
	out[len] = '\0';
	mgmtsess_out_consume(s, len);
	return out;
}

static void
expect_out(struct mgmtsess *s, const char *want)
{
	char *got = take(s);

	assert_string_equal(got, want);
	free(got);
}

static struct mgmtsess *
open_nopw(void)
{
	struct mgmtsess_conf c = { .password = NULL, .title = TITLE };
	struct mgmtsess *s = mgmtsess_new(&c, T0);

	assert_non_null(s);
	expect_out(s, GREETING);
	return s;
}

static struct mgmtsess *
open_pw(void)
{
	struct mgmtsess_conf c = { .password = "sekrit", .title = TITLE };
	struct mgmtsess *s = mgmtsess_new(&c, T0);

	assert_non_null(s);
	expect_out(s, "ENTER PASSWORD:");
	return s;
}

static void
expect_contains(struct mgmtsess *s, const char *want)
{
	char *got = take(s);

	assert_non_null(strstr(got, want));
	free(got);
}

/* One command line in, exact output expected, no command for the owner. */
static void
expect_reply(struct mgmtsess *s, const char *in, const char *want)
{
	struct rec r = { .n = 0 };

	feed(s, in, &r);
	assert_int_equal(r.n, 0);
	expect_out(s, want);
}

/* ------------------------------------------------------------ password */

static void
test_greeting_nopw(void **state)
{
	struct mgmtsess *s = open_nopw();

	(void)state;
	assert_true(mgmtsess_authenticated(s));
	assert_true(mgmtsess_deadline(s) == MTIME_NEVER);
	mgmtsess_free(s);
}

static void
test_password_wrong_then_right(void **state)
{
	struct mgmtsess *s = open_pw();
	struct rec r = { .n = 0 };

	(void)state;
	/* replies are impossible before authentication */
	assert_int_equal(mgmtsess_success(s, "x"), 0);
	assert_int_equal(mgmtsess_notify(s, "INFO", "x"), 0);
	expect_out(s, "");

	feed(s, "wrong\n", &r);
	assert_int_equal(r.n, 0);
	expect_out(s, "ENTER PASSWORD:");     /* 2.6.14: no error text */
	assert_false(mgmtsess_authenticated(s));

	feed(s, "sekrit\n", &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cmds[0].verb, MGMT_V_AUTHENTICATED);
	/* 2.6.14 bytes */
	expect_out(s, "SUCCESS: password is correct\r\n" GREETING);
	assert_true(mgmtsess_authenticated(s));
	assert_true(mgmtsess_deadline(s) == MTIME_NEVER);
	mgmtsess_free(s);
}

static void
test_password_batching_and_crlf(void **state)
{
	struct mgmtsess *s = open_pw();
	struct rec r = { .n = 0 };

	(void)state;
	/* two wrong lines in one read: one prompt (2.6.14) */
	feed(s, "a\nb\n", &r);
	expect_out(s, "ENTER PASSWORD:");
	/* the third attempt may still succeed; CRLF works; pipelined command runs */
	feed(s, "sekrit\r\nversion\n", &r);
	assert_int_equal(r.n, 1);
	expect_out(s, "SUCCESS: password is correct\r\n" GREETING
	    "OpenVPN Version: " TITLE "\r\nManagement Version: 5\r\nEND\r\n");
	mgmtsess_free(s);

	/* empty line is a wrong password; partial lines wait; spaces count */
	s = open_pw();
	r.n = 0;
	feed(s, "\n", &r);
	expect_out(s, "ENTER PASSWORD:");
	feed(s, "sekri", &r);
	expect_out(s, "");
	feed(s, "t\n", &r);
	assert_int_equal(r.n, 1);
	expect_out(s, "SUCCESS: password is correct\r\n" GREETING);
	mgmtsess_free(s);

	s = open_pw();
	r.n = 0;
	feed(s, " sekrit\n", &r);
	feed(s, "sekrit \n", &r);
	assert_int_equal(r.n, 0);
	assert_false(mgmtsess_authenticated(s));
	mgmtsess_free(s);
}

static void
test_password_three_strikes(void **state)
{
	struct mgmtsess *s = open_pw();
	struct rec r = { .n = 0 };

	(void)state;
	feed(s, "a\n", &r);
	feed(s, "b\n", &r);
	expect_out(s, "ENTER PASSWORD:ENTER PASSWORD:");
	assert_false(mgmtsess_closing(s));
	/* third wrong: closed silently, no prompt (2.6.14); the rest is ignored */
	feed(s, "c\nsekrit\nversion\n", &r);
	assert_int_equal(r.n, 0);
	expect_out(s, "");
	assert_true(mgmtsess_closing(s));
	assert_string_equal(mgmtsess_close_reason(s), "too many wrong passwords");
	assert_false(mgmtsess_authenticated(s));
	assert_true(mgmtsess_deadline(s) == MTIME_NEVER);
	mgmtsess_free(s);
}

static void
test_password_overlong_and_prefix(void **state)
{
	struct mgmtsess *s = open_pw();
	struct rec r = { .n = 0 };
	char big[3000];

	(void)state;
	/* a prefix or an extension of the password is wrong */
	feed(s, "sekri\n", &r);
	feed(s, "sekrit2\n", &r);
	expect_out(s, "ENTER PASSWORD:ENTER PASSWORD:");
	mgmtsess_free(s);

	s = open_pw();
	memset(big, 's', sizeof(big));
	feed_n(s, big, sizeof(big), T0, &r);
	feed(s, "\n", &r);
	expect_out(s, "ENTER PASSWORD:");
	feed(s, "sekrit\n", &r);
	assert_int_equal(r.n, 1);
	mgmtsess_free(s);
}

static void
test_password_timeout(void **state)
{
	struct mgmtsess_conf c = { .password = "pw", .title = TITLE,
		.auth_timeout = MTIME_SEC(10) };
	struct mgmtsess *s = mgmtsess_new(&c, T0);
	struct rec r = { .n = 0 };

	(void)state;
	assert_true(mgmtsess_deadline(s) == T0 + MTIME_SEC(10));
	expect_out(s, "ENTER PASSWORD:");
	/* trickling bytes do not move the deadline */
	feed_n(s, "p", 1, T0 + MTIME_SEC(9), &r);
	assert_true(mgmtsess_deadline(s) == T0 + MTIME_SEC(10));
	mgmtsess_tick(s, T0 + MTIME_SEC(10) - 1);
	assert_false(mgmtsess_closing(s));
	expect_out(s, "");
	mgmtsess_tick(s, T0 + MTIME_SEC(10));
	assert_true(mgmtsess_closing(s));
	assert_string_equal(mgmtsess_close_reason(s), "password timeout");
	/* ours: the reason, on a line of its own after the bare prompt */
	expect_out(s, "\r\nERROR: management password not entered in time\r\n");
	assert_true(mgmtsess_deadline(s) == MTIME_NEVER);
	/* the right password, too late */
	feed_n(s, "w\n", 2, T0 + MTIME_SEC(11), &r);
	assert_int_equal(r.n, 0);
	assert_false(mgmtsess_authenticated(s));
	mgmtsess_free(s);

	/* input that arrives after the deadline is refused the same way */
	s = mgmtsess_new(&c, T0);
	expect_out(s, "ENTER PASSWORD:");
	feed_n(s, "pw\n", 3, T0 + MTIME_SEC(60), &r);
	assert_int_equal(r.n, 0);
	assert_true(mgmtsess_closing(s));
	mgmtsess_free(s);

	/* default timeout */
	c.auth_timeout = 0;
	s = mgmtsess_new(&c, T0);
	assert_true(mgmtsess_deadline(s) == T0 + MGMT_AUTH_TIMEOUT);
	mgmtsess_free(s);

	/* no password: nothing to time out */
	c.password = NULL;
	s = mgmtsess_new(&c, T0);
	mgmtsess_tick(s, T0 + MTIME_SEC(100000));
	assert_false(mgmtsess_closing(s));
	mgmtsess_free(s);
}

static void
test_new_rejects(void **state)
{
	char pw[MGMT_PASSWORD_MAX + 2];
	struct mgmtsess_conf c = { .password = pw, .title = NULL };
	struct mgmtsess *s;

	(void)state;
	memset(pw, 'x', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	assert_null(mgmtsess_new(&c, T0));
	pw[MGMT_PASSWORD_MAX] = '\0';
	s = mgmtsess_new(&c, T0);
	assert_non_null(s);
	mgmtsess_free(s);
	assert_null(mgmtsess_new(NULL, T0));
	mgmtsess_free(NULL);
}

/* ------------------------------------------------- built-in replies */

static void
test_builtin_replies(void **state)
{
	struct mgmtsess *s = open_nopw();
	char *got;

	(void)state;
	/* all 2.6.14 */
	expect_reply(s, "foo\n", "ERROR: unknown command, enter 'help' for more options\r\n");
	expect_reply(s, "version\n", "OpenVPN Version: " TITLE "\r\nManagement Version: 5\r\nEND\r\n");
	expect_reply(s, "version 3\n", "");
	assert_int_equal(mgmtsess_client_version(s), 3);
	expect_reply(s, "net\n", "ERROR: Sorry, this command is currently only implemented on Windows\r\n");
	expect_reply(s, "test 2\n",
	    "[0] The purpose of this command is to generate large amounts of output.\r\n"
	    "[1] The purpose of this command is to generate large amounts of output.\r\n");
	expect_reply(s, "test 0\n", "");
	expect_reply(s, "env-filter\n", "SUCCESS: env_filter_level=0\r\n");
	expect_reply(s, "env-filter 2\n", "SUCCESS: env_filter_level=2\r\n");
	assert_int_equal(mgmtsess_env_filter(s), 2);
	expect_reply(s, "kill\n", "ERROR: the 'kill' command requires 1 parameter\r\n");
	expect_reply(s, "client-deny 1\n",
	    "ERROR: the 'client-deny' command requires at least 3 parameters\r\n");
	expect_reply(s, "client-pending-auth 1 2 3\n",
	    "ERROR: the 'client-pending-auth' command requires 4 parameters\r\n");
	expect_reply(s, "log\n", "ERROR: the 'log' command requires at least 1 parameter\r\n");
	expect_reply(s, "echo\n", "ERROR: the 'echo' command requires at least 1 parameter\r\n");
	expect_reply(s, "bytecount\n", "ERROR: the 'bytecount' command requires 1 parameter\r\n");
	expect_reply(s, "client-auth-nt x 1\n", "ERROR: cannot parse CID\r\n");
	expect_reply(s, "client-auth 1 y\n", "ERROR: cannot parse KID\r\n");
	expect_reply(s, "client-kill abc\n", "ERROR: cannot parse CID\r\n");
	expect_reply(s, "client-pending-auth 1 2 WEB_AUTH::u soon\n", "ERROR: cannot parse TIMEOUT\r\n");
	/* client-side verbs: the doc's generic text (2.6.14 differs for some) */
	expect_reply(s, "username Auth x\n",
	    "ERROR: The 'username' command is not supported by the current daemon mode\r\n");
	expect_reply(s, "username\n", "ERROR: the 'username' command requires 2 parameters\r\n");
	expect_reply(s, "remote-entry-count\n",
	    "ERROR: The 'remote-entry-count' command is not supported by the current daemon mode\r\n");
	/* json wrapper (ours) */
	expect_reply(s, "json\n", "ERROR: the 'json' command requires at least 1 parameter\r\n");
	expect_reply(s, "json pid\n", "ERROR: the 'pid' command has no JSON form\r\n");
	expect_reply(s, "json nope\n", "ERROR: unknown command, enter 'help' for more options\r\n");
	expect_reply(s, "json explain a\n", "ERROR: the 'explain' command requires 2 parameters\r\n");
	/* test is capped (ours) */
	feed(s, "test 99999999\n", NULL);
	got = take(s);
	assert_non_null(strstr(got, "[9999] The purpose"));
	assert_null(strstr(got, "[10000]"));
	free(got);
	mgmtsess_free(s);
}

static void
test_help(void **state)
{
	struct mgmtsess *s = open_nopw();
	const char *cmds[] = { "status [n]", "client-auth CID KID", "client-deny CID KID R [CR]",
		"client-pending-auth CID KID EXTRA TIMEOUT", "routes [cn]",
		"authorizations [cn]", "pool ", "explain cn dest", "json cmd [args]",
		"bytecount n", "kill IP:port", "exit|quit", "env-filter [level]" };
	char *got, *p;
	size_t i;

	(void)state;
	feed(s, "help\n", NULL);
	got = take(s);
	assert_memory_equal(got, "Management Interface for " TITLE "\r\nCommands:\r\n",
	    strlen("Management Interface for " TITLE "\r\nCommands:\r\n"));
	assert_string_equal(got + strlen(got) - 7, "\r\nEND\r\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_non_null(strstr(got, cmds[i]));
	/* client-only commands are not advertised */
	assert_null(strstr(got, "username"));
	assert_null(strstr(got, "pk-sig"));
	/* every line ends CRLF, no bare LF */
	for (p = got; *p != '\0'; p++)
		if (*p == '\n')
			assert_true(p > got && p[-1] == '\r');
	free(got);
	mgmtsess_free(s);
}

static void
test_quit(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct rec r = { .n = 0 };

	(void)state;
	feed(s, "pid\nquit\npid\nhelp\n", &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cmds[0].verb, MGMT_V_PID);
	expect_out(s, "");                     /* 2.6.14: no reply to quit */
	assert_true(mgmtsess_closing(s));
	assert_string_equal(mgmtsess_close_reason(s), "quit");
	assert_int_equal(mgmtsess_success(s, "late"), 0);
	expect_out(s, "");
	mgmtsess_free(s);

	s = open_nopw();
	feed(s, "exit\n", NULL);
	assert_true(mgmtsess_closing(s));
	mgmtsess_free(s);
}

/* ------------------------------------------------------ tokenizer */

static void
test_tokenizer(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct rec r = { .n = 0 };
	struct mgmt_cmd *c;

	(void)state;
	feed(s, "client-deny 1 2 \"denied by test\" \"Your account is locked (test)\"\n", &r);
	assert_int_equal(r.n, 1);
	c = &r.cmds[0];
	assert_int_equal(c->verb, MGMT_V_CLIENT_DENY);
	assert_int_equal(c->argc, 5);
	assert_true(c->cid == 1);
	assert_int_equal(c->kid, 2);
	assert_string_equal(c->argv[3], "denied by test");
	assert_string_equal(c->argv[4], "Your account is locked (test)");
	assert_null(c->argv[5]);

	/* escapes: \\ \" and "\ ", single quotes literal, empty quoted token */
	r.n = 0;
	feed(s, "kill a\\ b \"x\\\"y\" 'c:\\dir' \\\\ \"\"\n", &r);
	assert_int_equal(r.n, 1);
	c = &r.cmds[0];
	assert_int_equal(c->argc, 6);
	assert_string_equal(c->argv[1], "a b");
	assert_string_equal(c->argv[2], "x\"y");
	assert_string_equal(c->argv[3], "c:\\dir");
	assert_string_equal(c->argv[4], "\\");
	assert_string_equal(c->argv[5], "");

	/* 2.6 sscanf semantics for numbers: sign and trailing junk accepted */
	r.n = 0;
	feed(s, "client-kill 12abc HALT\n", &r);
	assert_true(r.cmds[0].cid == 12);
	assert_string_equal(r.cmds[0].argv[2], "HALT");
	r.n = 0;
	feed(s, "client-pending-auth 3 1 \"WEB_AUTH::https://x/?a=b c\" 30\n", &r);
	c = &r.cmds[0];
	assert_int_equal(c->verb, MGMT_V_CLIENT_PENDING_AUTH);
	assert_true(c->cid == 3);
	assert_int_equal(c->kid, 1);
	assert_int_equal(c->timeout, 30);
	assert_string_equal(c->argv[3], "WEB_AUTH::https://x/?a=b c");

	/* more than 16 tokens: the rest is ignored, even an open quote */
	r.n = 0;
	feed(s, "state 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 \"open\n", &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cmds[0].argc, MGMT_ARGV_MAX);
	assert_string_equal(r.cmds[0].argv[15], "15");
	assert_null(r.cmds[0].argv[16]);

	/* NUL, TAB, DEL and CR vanish (2.6.14: "ver\0sion" is version) */
	r.n = 0;
	feed_n(s, "p\0i\x7f" "d\r\n", 7, T0, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cmds[0].verb, MGMT_V_PID);
	feed(s, "he\tlp\n", &r);
	expect_contains(s, "Management Interface for " TITLE "\r\n");

	/* empty, blank and comment lines get no reply at all (2.6.14) */
	expect_reply(s, "\n", "");
	expect_reply(s, "   \n", "");
	expect_reply(s, "# comment\n", "");
	expect_reply(s, "; comment\n", "");
	/* a comment after a verb just ends the tokens */
	expect_reply(s, "kill #x\n", "ERROR: the 'kill' command requires 1 parameter\r\n");
	mgmtsess_free(s);
}

static void
test_tokenizer_errors(void **state)
{
	struct mgmtsess *s = open_nopw();
	char line[400], want[400];

	(void)state;
	/* 2.6.14 texts */
	expect_reply(s, "echo \"abc\n", "ERROR: Options error: No closing quotation (\") in TCP:0\r\n");
	expect_reply(s, "echo 'abc\n", "ERROR: Options error: No closing single quotation (') in TCP:0\r\n");
	expect_reply(s, "echo abc\\\n", "ERROR: Options error: Residual parse state (2) in TCP:0\r\n");
	/* 2.6's short (ENABLE_SMALL) form of its bad-backslash warning */
	expect_reply(s, "echo a\\x\n", "ERROR: Options warning: Bad backslash ('\\') usage in TCP:0\r\n");
	expect_reply(s, "echo \"a\\x\"\n", "ERROR: Options warning: Bad backslash ('\\') usage in TCP:0\r\n");
	/* a 256-byte token is fine, 257 is not; the message shows 255 bytes */
	memset(line, 0, sizeof(line));
	memcpy(line, "kill ", 5);
	memset(line + 5, 'x', 256);
	strcat(line, "\n");
	{
		struct rec r = { .n = 0 };

		feed(s, line, &r);
		assert_int_equal(r.n, 1);
		assert_int_equal(strlen(r.cmds[0].argv[1]), 256);
	}
	memset(line, 0, sizeof(line));
	memcpy(line, "echo ", 5);
	memset(line + 5, 'x', 300);
	strcat(line, "\n");
	memset(want, 0, sizeof(want));
	strcpy(want, "ERROR: Options error: Parameter at TCP:0 is too long (256 chars max): ");
	memset(want + strlen(want), 'x', 255);
	strcat(want, "\r\n");
	expect_reply(s, line, want);
	mgmtsess_free(s);
}

/* ---------------------------------------------------- line discipline */

static void
test_line_limits(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct rec r = { .n = 0 };
	static char big[1024 * 1024 + 16];
	size_t n = 1024 * 1024;

	(void)state;
	/* 1023 bytes is the longest line; the token limit answers first */
	memcpy(big, "kill ", 5);
	memset(big + 5, 'y', 1018);
	big[1023] = '\n';
	feed_n(s, big, 1024, T0, &r);
	expect_out(s, "ERROR: Options error: Parameter at TCP:0 is too long (256 chars max): "
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n");
	/* a 1023-byte line of short tokens is accepted whole */
	memset(big, ' ', 1023);
	memcpy(big, "pid", 3);
	big[1023] = '\n';
	feed_n(s, big, 1024, T0, &r);
	assert_int_equal(r.n, 1);
	/* 1024 bytes: refused with one line (ours; 2.6 ran the tail as a command) */
	r.n = 0;
	memset(big, ' ', 1024);
	memcpy(big, "pid", 3);
	big[1024] = '\n';
	feed_n(s, big, 1025, T0, &r);
	assert_int_equal(r.n, 0);
	expect_out(s, "ERROR: input line too long (more than 1023 characters), ignored\r\n");

	/* 1 MB without a newline: nothing happens, memory stays bounded */
	memset(big, 'z', n);
	feed_n(s, big, n, T0, &r);
	expect_out(s, "");
	/* the newline ends it with one error; the session goes on */
	feed(s, "\nversion\n", &r);
	assert_int_equal(r.n, 0);
	expect_out(s, "ERROR: input line too long (more than 1023 characters), ignored\r\n"
	    "OpenVPN Version: " TITLE "\r\nManagement Version: 5\r\nEND\r\n");
	/* the tail of an overlong line never runs as a command */
	memset(big, 'a', 1500);
	memcpy(big + 1400, " quit", 5);
	big[1500] = '\n';
	feed_n(s, big, 1501, T0, &r);
	assert_false(mgmtsess_closing(s));
	expect_out(s, "ERROR: input line too long (more than 1023 characters), ignored\r\n");
	mgmtsess_free(s);
}

static void
test_pipelined_and_split(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct rec r = { .n = 0 };
	const char *in = "status 2\r\nfoo\nload-stats\n";
	size_t i;
	struct mgmt_cmd cmd;
	struct buf b;

	(void)state;
	/* byte at a time: same result as one write */
	for (i = 0; i < strlen(in); i++)
		feed_n(s, in + i, 1, T0, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.cmds[0].verb, MGMT_V_STATUS);
	assert_int_equal(r.cmds[1].verb, MGMT_V_LOAD_STATS);
	expect_out(s, "ERROR: unknown command, enter 'help' for more options\r\n");

	/* one write: input stops at each owner command, so replies keep their order */
	buf_init(&b, in, strlen(in));
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_int_equal(cmd.verb, MGMT_V_STATUS);
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.argv[1], "2");
	assert_false(cmd.json);
	mgmtsess_line(s, "reply to status");
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_int_equal(cmd.verb, MGMT_V_LOAD_STATS);
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 0);
	expect_out(s, "reply to status\r\nERROR: unknown command, enter 'help' for more options\r\n");

	/* argv points into the session: valid until the next input call */
	r.n = 0;
	feed(s, "json status 3\n", &r);
	assert_int_equal(r.n, 1);
	assert_true(r.cmds[0].json);
	assert_int_equal(r.cmds[0].verb, MGMT_V_STATUS);
	assert_string_equal(r.cmds[0].argv[0], "status");
	assert_string_equal(r.cmds[0].argv[1], "3");
	feed(s, "json explain client1 10.0.0.1\n", &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.cmds[1].verb, MGMT_V_EXPLAIN);
	assert_int_equal(r.cmds[1].argc, 3);
	assert_string_equal(r.cmds[1].argv[2], "10.0.0.1");
	mgmtsess_free(s);
}

/* ------------------------------------------------- client-auth blocks */

static void
test_client_auth_block(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct mgmt_cmd cmd;
	struct buf b;
	const char *in = "client-auth 0 1\npush \"route 10.77.0.0 255.255.0.0\"\n"
	    "ifconfig-push 10.8.0.9 255.255.255.0\nEND\nstatus 2\n";

	(void)state;
	/* 2.6.14: the block and the next command, pipelined in one write */
	buf_init(&b, in, strlen(in));
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_int_equal(cmd.verb, MGMT_V_CLIENT_AUTH);
	assert_true(cmd.cid == 0);
	assert_int_equal(cmd.kid, 1);
	assert_int_equal(cmd.argc, 3);
	assert_string_equal(cmd.argv[0], "client-auth");
	assert_int_equal(cmd.nblock, 2);
	assert_string_equal(cmd.block[0], "push \"route 10.77.0.0 255.255.0.0\"");
	assert_string_equal(cmd.block[1], "ifconfig-push 10.8.0.9 255.255.255.0");
	assert_null(cmd.block[2]);
	assert_false(mgmtsess_in_block(s));
	mgmtsess_success(s, "client-auth command succeeded");
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_int_equal(cmd.verb, MGMT_V_STATUS);
	assert_null(cmd.block);
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 0);
	expect_out(s, "SUCCESS: client-auth command succeeded\r\n");

	/* an empty block; CRLF on END; lines are not tokenized */
	in = "client-auth 4294967296 3\r\nEND\r\n";
	buf_init(&b, in, strlen(in));
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_true(cmd.cid == UINT64_C(4294967296));
	assert_int_equal(cmd.nblock, 0);
	assert_null(cmd.block[0]);

	/* a CID that does not parse starts no block: the lines are commands (2.6) */
	expect_reply(s, "client-auth x 1\npush foo\nEND\n",
	    "ERROR: cannot parse CID\r\n"
	    "ERROR: unknown command, enter 'help' for more options\r\n"
	    "ERROR: unknown command, enter 'help' for more options\r\n");

	/* inside a block, "quit", "END " and "end" are just lines */
	in = "client-auth 1 1\nquit\nEND \nend\n";
	buf_init(&b, in, strlen(in));
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 0);
	assert_true(mgmtsess_in_block(s));
	assert_false(mgmtsess_closing(s));
	buf_init(&b, "END\n", 4);
	assert_int_equal(mgmtsess_input(s, &b, T0, &cmd), 1);
	assert_int_equal(cmd.nblock, 3);
	assert_string_equal(cmd.block[0], "quit");
	assert_string_equal(cmd.block[1], "END ");
	mgmtsess_free(s);
}

static void
test_client_auth_block_limits(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct rec r = { .n = 0 };
	char line[64];
	char *big;
	int i;

	(void)state;
	/* too many lines: swallowed until END, then one failure, no command */
	feed(s, "client-auth 5 1\n", &r);
	for (i = 0; i < MGMT_BLOCK_MAX_LINES + 10; i++) {
		snprintf(line, sizeof(line), "pid %d\n", i);
		feed(s, line, &r);
	}
	assert_int_equal(r.n, 0);
	expect_out(s, "");
	feed(s, "END\n", &r);
	assert_int_equal(r.n, 0);
	expect_out(s, "ERROR: client-auth command failed: directive block over 1024 lines "
	    "or 65536 bytes, or with an overlong line\r\n");
	assert_false(mgmtsess_in_block(s));
	feed(s, "pid\n", &r);
	assert_int_equal(r.n, 1);

	/* exactly the line cap is fine */
	r.n = 0;
	feed(s, "client-auth 5 1\n", &r);
	for (i = 0; i < MGMT_BLOCK_MAX_LINES; i++)
		feed(s, "push x\n", &r);
	feed(s, "END\n", &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cmds[0].nblock, MGMT_BLOCK_MAX_LINES);

	/* too many bytes, and an overlong line, fail the same way */
	r.n = 0;
	big = malloc(2048);
	assert_non_null(big);
	memset(big, 'p', 1000);
	big[1000] = '\n';
	feed(s, "client-auth 5 1\n", &r);
	for (i = 0; i < 70; i++)
		feed_n(s, big, 1001, T0, &r);
	feed(s, "END\n", &r);
	assert_int_equal(r.n, 0);
	expect_contains(s, "ERROR: client-auth command failed");
	memset(big, 'p', 2000);
	big[2000] = '\n';
	feed(s, "client-auth 5 1\n", &r);
	feed_n(s, big, 2001, T0, &r);
	feed(s, "END\n", &r);
	assert_int_equal(r.n, 0);
	expect_contains(s, "ERROR: client-auth command failed");

	/* a block never ended: 1 MB of lines is swallowed, memory bounded */
	feed(s, "client-auth 6 1\n", &r);
	for (i = 0; i < 1100; i++)
		feed_n(s, big, 1001, T0, &r);
	assert_true(mgmtsess_in_block(s));
	assert_int_equal(r.n, 0);
	expect_out(s, "");
	free(big);
	mgmtsess_free(s);
}

/* ------------------------------------------------------ output framing */

static void
test_reply_helpers(void **state)
{
	struct mgmtsess *s = open_nopw();

	(void)state;
	assert_int_equal(mgmtsess_success(s, "pid=%d", 12628), 0);
	assert_int_equal(mgmtsess_error(s, "common name '%s' not found", "nobody"), 0);
	assert_int_equal(mgmtsess_line(s, "1795287573,CONNECTED,SUCCESS,10.8.0.1,,,192.0.2.1,1194,"), 0);
	assert_int_equal(mgmtsess_end(s), 0);
	expect_out(s, "SUCCESS: pid=12628\r\nERROR: common name 'nobody' not found\r\n"
	    "1795287573,CONNECTED,SUCCESS,10.8.0.1,,,192.0.2.1,1194,\r\nEND\r\n");
	/* a value cannot add a line */
	mgmtsess_error(s, "common name '%s' not found", "x\r\nSUCCESS: y");
	expect_out(s, "ERROR: common name 'x__SUCCESS: y' not found\r\n");

	assert_int_equal(mgmtsess_raw(s, "A,b\tc\r\nEND\r\n", 12), 0);
	expect_out(s, "A,b\tc\r\nEND\r\n");
	assert_int_equal(mgmtsess_raw(s, "A\nEND\r\n", 7), ERR_MALFORMED);
	assert_int_equal(mgmtsess_raw(s, "A\r\nEND", 6), ERR_MALFORMED);
	assert_int_equal(mgmtsess_raw(s, "A\rB\r\n", 5), ERR_MALFORMED);
	assert_int_equal(mgmtsess_raw(s, "A\0B\r\n", 5), ERR_MALFORMED);
	expect_out(s, "");
	mgmtsess_free(s);
}

static void
test_notifications(void **state)
{
	struct mgmtsess *s = open_nopw();

	(void)state;
	mgmtsess_bytecount_cli(s, 0, 2318, 2289);
	mgmtsess_client_address(s, 0, "10.8.0.2", true);
	mgmtsess_client_address(s, 0, "10.77.0.0/255.255.0.0", false);
	mgmtsess_notify(s, "HOLD", "Waiting for hold release:%d", 0);
	expect_out(s, ">BYTECOUNT_CLI:0,2318,2289\r\n>CLIENT:ADDRESS,0,10.8.0.2,1\r\n"
	    ">CLIENT:ADDRESS,0,10.77.0.0/255.255.0.0,0\r\n>HOLD:Waiting for hold release:0\r\n");

	/* >LOG only when subscribed */
	mgmtsess_log(s, 1795287615, "", "client1/192.0.2.2:40001 Data Channel: cipher 'AES-256-GCM', peer-id: 0");
	expect_out(s, "");
	mgmtsess_set_sub(s, MGMT_SUB_LOG, true);
	assert_true(mgmtsess_subscribed(s, MGMT_SUB_LOG));
	assert_false(mgmtsess_subscribed(s, MGMT_SUB_STATE));
	mgmtsess_log(s, 1795287615, "", "client1/192.0.2.2:40001 Data Channel: cipher 'AES-256-GCM', peer-id: 0");
	mgmtsess_log(s, 1795287616, "W", "two\nlines");
	expect_out(s, ">LOG:1795287615,,client1/192.0.2.2:40001 Data Channel: cipher 'AES-256-GCM', peer-id: 0\r\n"
	    ">LOG:1795287616,W,two_lines\r\n");
	mgmtsess_set_sub(s, MGMT_SUB_LOG, false);
	mgmtsess_log(s, 1, "", "x");
	expect_out(s, "");
	mgmtsess_free(s);
}

static const char *const env_vars[] = {
	"password=pass-a", "untrusted_port=40001", "untrusted_ip=192.0.2.2",
	"common_name=client1", "username=alice", "IV_VER=2.6.14",
	"X509_0_CN=client1", "X509_1_CN=Test-CA", "evil=a\r\n>CLIENT:CONNECT,9,9",
};
static const char *const peer_lines[] = {
	"UV_DEVICE_NAME=test-client1", "IV_SSO=webauth,crtext", "bad line", "=x",
};

static void
test_client_events(void **state)
{
	struct mgmtsess *s = open_nopw();
	struct mgmt_env env = { env_vars, 9, peer_lines, 4, 0 };

	(void)state;
	/* level 0: n_clients, then every variable, no raw peer info */
	mgmtsess_client_event(s, MGMT_EV_CONNECT, 0, 1, NULL, &env);
	expect_out(s, ">CLIENT:CONNECT,0,1\r\n>CLIENT:ENV,n_clients=0\r\n"
	    ">CLIENT:ENV,password=pass-a\r\n>CLIENT:ENV,untrusted_port=40001\r\n"
	    ">CLIENT:ENV,untrusted_ip=192.0.2.2\r\n>CLIENT:ENV,common_name=client1\r\n"
	    ">CLIENT:ENV,username=alice\r\n>CLIENT:ENV,IV_VER=2.6.14\r\n"
	    ">CLIENT:ENV,X509_0_CN=client1\r\n>CLIENT:ENV,X509_1_CN=Test-CA\r\n"
	    ">CLIENT:ENV,evil=a__>CLIENT:CONNECT,9,9\r\n>CLIENT:ENV,END\r\n");

	/* level 1: no n_clients; valid peer-info lines first; X509_* + the list */
	expect_reply(s, "env-filter 1\n", "SUCCESS: env_filter_level=1\r\n");
	mgmtsess_client_event(s, MGMT_EV_REAUTH, 0, 3, NULL, &env);
	expect_out(s, ">CLIENT:REAUTH,0,3\r\n>CLIENT:ENV,UV_DEVICE_NAME=test-client1\r\n"
	    ">CLIENT:ENV,IV_SSO=webauth,crtext\r\n>CLIENT:ENV,password=pass-a\r\n"
	    ">CLIENT:ENV,untrusted_ip=192.0.2.2\r\n>CLIENT:ENV,username=alice\r\n"
	    ">CLIENT:ENV,X509_0_CN=client1\r\n>CLIENT:ENV,X509_1_CN=Test-CA\r\n"
	    ">CLIENT:ENV,END\r\n");

	/* level 2: only the list (X509_0_CN is on it, X509_1_CN is not) */
	expect_reply(s, "env-filter 2\n", "SUCCESS: env_filter_level=2\r\n");
	mgmtsess_client_event(s, MGMT_EV_ESTABLISHED, 7, 0, NULL, &env);
	expect_out(s, ">CLIENT:ESTABLISHED,7\r\n>CLIENT:ENV,password=pass-a\r\n"
	    ">CLIENT:ENV,untrusted_ip=192.0.2.2\r\n>CLIENT:ENV,username=alice\r\n"
	    ">CLIENT:ENV,X509_0_CN=client1\r\n>CLIENT:ENV,END\r\n");

	/* level 3: no variables; 2.6 still prints raw peer info for CONNECT */
	expect_reply(s, "env-filter 3\n", "SUCCESS: env_filter_level=3\r\n");
	mgmtsess_client_event(s, MGMT_EV_DISCONNECT, 7, 0, NULL, &env);
	expect_out(s, ">CLIENT:DISCONNECT,7\r\n>CLIENT:ENV,END\r\n");
	mgmtsess_client_event(s, MGMT_EV_CR_RESPONSE, 3, 1, "ODY3NTMwOQ==", &env);
	expect_out(s, ">CLIENT:CR_RESPONSE,3,1,ODY3NTMwOQ==\r\n"
	    ">CLIENT:ENV,UV_DEVICE_NAME=test-client1\r\n>CLIENT:ENV,IV_SSO=webauth,crtext\r\n"
	    ">CLIENT:ENV,END\r\n");

	/* DISCONNECT never carries n_clients; a NULL env is an empty block */
	expect_reply(s, "env-filter\n", "SUCCESS: env_filter_level=0\r\n");
	env.nvars = 0;
	mgmtsess_client_event(s, MGMT_EV_DISCONNECT, 1, 0, NULL, &env);
	mgmtsess_client_event(s, MGMT_EV_DISCONNECT, 2, 0, NULL, NULL);
	expect_out(s, ">CLIENT:DISCONNECT,1\r\n>CLIENT:ENV,END\r\n"
	    ">CLIENT:DISCONNECT,2\r\n>CLIENT:ENV,END\r\n");
	assert_int_equal(mgmtsess_client_event(s, (enum mgmt_client_ev)99, 1, 0, NULL, NULL), ERR_INVAL);
	mgmtsess_free(s);
}

static void
test_output_cap_and_consume(void **state)
{
	struct mgmtsess *s = open_nopw();
	const uint8_t *p;
	size_t len, total = 0;
	char chunk[1000];
	int r = 0;

	(void)state;
	mgmtsess_line(s, "abcdef");
	p = mgmtsess_out(s, &len);
	assert_int_equal(len, 8);
	mgmtsess_out_consume(s, 3);
	p = mgmtsess_out(s, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "def\r\n", 5);
	mgmtsess_out_consume(s, 100);
	mgmtsess_out(s, &len);
	assert_int_equal(len, 0);

	/* a peer that never reads: the queue stops at the cap and the session closes */
	memset(chunk, 'q', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	while (total <= MGMT_OUT_MAX + sizeof(chunk)) {
		r = mgmtsess_line(s, "%s", chunk);
		if (r != 0)
			break;
		total += sizeof(chunk) + 1;
	}
	assert_int_equal(r, ERR_FULL);
	assert_true(mgmtsess_closing(s));
	assert_string_equal(mgmtsess_close_reason(s), "output queue full");
	mgmtsess_out(s, &len);
	assert_true(len <= MGMT_OUT_MAX);
	assert_string_equal(mgmtsess_verb_name(MGMT_V_CLIENT_PENDING_AUTH), "client-pending-auth");
	assert_string_equal(mgmtsess_verb_name(MGMT_V_AUTHENTICATED), "");
	mgmtsess_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_nopw),
		cmocka_unit_test(test_password_wrong_then_right),
		cmocka_unit_test(test_password_batching_and_crlf),
		cmocka_unit_test(test_password_three_strikes),
		cmocka_unit_test(test_password_overlong_and_prefix),
		cmocka_unit_test(test_password_timeout),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_builtin_replies),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_quit),
		cmocka_unit_test(test_tokenizer),
		cmocka_unit_test(test_tokenizer_errors),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_pipelined_and_split),
		cmocka_unit_test(test_client_auth_block),
		cmocka_unit_test(test_client_auth_block_limits),
		cmocka_unit_test(test_reply_helpers),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_client_events),
		cmocka_unit_test(test_output_cap_and_consume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
