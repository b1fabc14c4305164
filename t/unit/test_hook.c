/*
 * test_hook.c - operator scripts run for real (POSIX sh scripts in
 * t/data/hooks/): exit-code mapping, via-env/via-file, deadline with
 * SIGTERM and SIGKILL escalation, deferred auth through auth_control_file,
 * no inherited fds or environment, hostile client strings arriving as data,
 * exec failures, output capture limits, and the pure parsers.
 *
 * Waiting is always poll() on the hook's pidfd/pipe or an inotify fd, with
 * the hook's own deadline as the timeout; there is no sleep in this file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "hook.h"
#include "mtime.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "t/data"
#endif

/* No test may take longer than this, whatever goes wrong. */
#define GUARD MTIME_SEC(20)

static char tmpdir[HOOK_PATH_MAX];
static char hooks[PATH_MAX];

static int
setup(void **state)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/hooks", TEST_DATA_DIR);
	if (realpath(rel, hooks) == NULL)
		return -1;
	return hook_tmpdir_create("/tmp", tmpdir, sizeof(tmpdir));
}

static int
teardown(void **state)
{
	hook_tmpdir_remove(tmpdir);
	return 0;
}

static const char *
script(const char *name, const char *args)
{
	static char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "%s/%s%s%s", hooks, name, args ? " " : "", args ? args : "");
	return cmd;
}

/* Drive the hook as the event loop would: poll its fds until its deadline. */
static int
wait_hook(struct hook *h, struct hook_result *res, uint64_t t0, uint64_t *took)
{
	uint64_t start = mtime_now(), now, dl;
	struct pollfd p[2];
	int r, ms;

	for (;;) {
		now = mtime_now();
		if ((r = hook_poll(h, now, res)) != ERR_AGAIN)
			break;
		assert_true(now - start < GUARD);
		dl = hook_deadline(h);
		ms = dl == MTIME_NEVER ? 1000 : dl > now ? (int)((dl - now + 999) / 1000) : 0;
		p[0].fd = hook_fd(h);
		p[0].events = POLLIN;
		p[1].fd = hook_out_fd(h);
		p[1].events = POLLIN;
		assert_true(poll(p, 2, ms) >= 0 || errno == EINTR);
	}
	/* measured from t0, the `now` the deadline counts from (before the
	 * fork), not from when waiting began: spawning can be slow (ASan) */
	if (took != NULL)
		*took = mtime_now() - t0;
	return r;
}

/* Start, wait, return the status; res->out stays valid until hook_free. */
static enum hook_status
run(const char *cmd, const struct hook_env *env, size_t capture, bool deferred,
    uint64_t timeout, struct hook **hp, struct hook_result *res)
{
	struct hook_req req = {
		.command = cmd, .env = env, .now = mtime_now(), .timeout = timeout,
		.capture_max = capture, .allow_deferred = deferred,
	};
	struct hook *h;

	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, res, 0, NULL), 0);
	*hp = h;
	return res->status;
}

static enum hook_status
run_simple(const char *cmd, bool deferred, struct hook_result *out)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	enum hook_status st;

	hook_env_init(&env);
	st = run(cmd, &env, 0, deferred, 0, &h, &res);
	if (out != NULL)
		*out = res;
	hook_free(h);
	hook_env_free(&env);
	return st;
}

static void
test_exit_codes(void **state)
{
	struct hook_result res;

	assert_int_equal(run_simple(script("exit.sh", "0"), false, &res), HOOK_ALLOW);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(run_simple(script("exit.sh", "1"), false, &res), HOOK_DENY);
	assert_int_equal(res.exit_code, 1);
	assert_int_equal(run_simple(script("exit.sh", "3"), true, NULL), HOOK_DENY);
	assert_int_equal(run_simple(script("exit.sh", "255"), false, NULL), HOOK_DENY);
	/* 2 is "deferred" only where the hook type allows it */
	assert_int_equal(run_simple(script("exit.sh", "2"), true, NULL), HOOK_DEFERRED);
	assert_int_equal(run_simple(script("exit.sh", "2"), false, NULL), HOOK_DENY);
	/* death by signal is a denial */
	assert_int_equal(run_simple(script("signal.sh", NULL), false, &res), HOOK_DENY);
	assert_int_equal(res.signo, 9);
	assert_int_equal(res.exit_code, -1);
}

static void
test_spawn_errors(void **state)
{
	struct hook_result res;
	struct hook_env env;
	struct hook_req req = { .now = 0, .env = &env };
	struct hook *h = NULL;
	char buf[256], why[256];

	/* a missing program is a denial with a clear reason */
	assert_int_equal(run_simple("/nonexistent/check-user --foo", false, &res), HOOK_ERROR);
	assert_int_equal(res.spawn_errno, ENOENT);
	hook_result_str(&res, "/nonexistent/check-user", buf, sizeof(buf));
	assert_non_null(strstr(buf, "/nonexistent/check-user"));
	assert_non_null(strstr(buf, "No such file"));
	/* not executable */
	assert_int_equal(run_simple("/etc/passwd", false, &res), HOOK_ERROR);
	assert_int_equal(res.spawn_errno, EACCES);
	assert_int_equal(run_simple(hooks, false, &res), HOOK_ERROR);
	assert_int_equal(res.spawn_errno, EACCES);

	/* commands that do not split */
	hook_env_init(&env);
	req.command = "";
	assert_int_equal(hook_start(&req, &h), ERR_CONFIG);
	req.command = "   # only a comment";
	assert_int_equal(hook_start(&req, &h), ERR_CONFIG);
	req.command = "/bin/true \"unterminated";
	assert_int_equal(hook_start(&req, &h), ERR_CONFIG);
	req.command = "/bin/true";
	req.capture_max = HOOK_OUT_MAX + 1;
	assert_int_equal(hook_start(&req, &h), ERR_INVAL);
	assert_null(h);
	hook_env_free(&env);

	/* startup check */
	assert_int_equal(hook_cmd_check(script("exit.sh", "0"), why, sizeof(why)), 0);
	assert_int_equal(hook_cmd_check("/nonexistent/x", why, sizeof(why)), ERR_CONFIG);
	assert_non_null(strstr(why, "No such file"));
	assert_int_equal(hook_cmd_check(hooks, why, sizeof(why)), ERR_CONFIG);
	assert_int_equal(hook_cmd_check("", why, sizeof(why)), ERR_CONFIG);
}

static void
test_argv_split(void **state)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	const char *extra[] = { "via file; $(x)", NULL };
	char cmd[PATH_MAX + 64];
	struct hook_req req = { .command = cmd, .env = &env, .capture_max = 4096 };

	hook_env_init(&env);
	/* OpenVPN parse_line rules: quotes group, backslash escapes a space */
	snprintf(cmd, sizeof(cmd), "%s/args.sh 'a b' \"c \\\"d\\\"\" e\\ f $HOME", hooks);
	req.extra_args = extra;
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.status, HOOK_ALLOW);
	assert_string_equal(res.out, "[a b]\n[c \"d\"]\n[e f]\n[$HOME]\n[via file; $(x)]\n");
	hook_free(h);
	hook_env_free(&env);
}

/* stdin: the request (AWS connect handler) reaches the script, then EOF;
 * without stdin_data the script reads /dev/null; oversized is refused */
static void
test_stdin(void **state)
{
	static char big[HOOK_STDIN_MAX + 1];
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .command = "/bin/cat", .env = &env, .capture_max = 4096,
		.stdin_data = "{\"connection-id\":\"x\"}\n", .stdin_len = 22 };

	(void)state;
	hook_env_init(&env);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.status, HOOK_ALLOW);
	assert_string_equal(res.out, "{\"connection-id\":\"x\"}\n");
	hook_free(h);
	req.stdin_data = NULL;
	req.stdin_len = 0;
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.out_len, 0);
	hook_free(h);
	req.stdin_data = big;
	req.stdin_len = sizeof(big);
	assert_int_equal(hook_start(&req, &h), ERR_SYS);
	hook_env_free(&env);
}

static void
test_env_only_given(void **state)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	const char *p;
	size_t n = 0;

	setenv("OVPN_TEST_PARENT_SECRET", "leak", 1);
	hook_env_init(&env);
	assert_int_equal(hook_env_set(&env, "script_type", "client-connect"), 0);
	assert_int_equal(hook_env_set(&env, "A", "1"), 0);
	assert_int_equal(hook_env_set(&env, "A", "2"), 0);   /* replaces */
	assert_int_equal(hook_env_set(&env, "EMPTY", ""), 0);
	assert_string_equal(hook_env_get(&env, "A"), "2");
	assert_int_equal(run("/usr/bin/env -0", &env, 4096, false, 0, &h, &res), HOOK_ALLOW);
	/* env -0 prints NUL-terminated entries, in the order given */
	for (p = res.out; p < res.out + res.out_len; p += strlen(p) + 1) {
		if (n == 0)
			assert_string_equal(p, "script_type=client-connect");
		else if (n == 1)
			assert_string_equal(p, "A=2");
		else if (n == 2)
			assert_string_equal(p, "EMPTY=");
		else if (n == 3)
			assert_true(strncmp(p, "PATH=", 5) == 0 && strlen(p) > 5);
		n++;
	}
	assert_int_equal(n, 4);
	assert_null(memmem(res.out, res.out_len, "leak", 4));
	hook_free(h);

	/* a PATH given by the caller is the only PATH */
	assert_int_equal(hook_env_set(&env, "PATH", "/usr/bin"), 0);
	hook_env_unset(&env, "A");
	assert_null(hook_env_get(&env, "A"));
	assert_int_equal(run("/usr/bin/env", &env, 4096, false, 0, &h, &res), HOOK_ALLOW);
	assert_string_equal(res.out, "script_type=client-connect\nEMPTY=\nPATH=/usr/bin\n");
	hook_free(h);
	hook_env_free(&env);
	unsetenv("OVPN_TEST_PARENT_SECRET");
}

static void
test_env_checks(void **state)
{
	struct hook_env env;
	char *big;
	int i, r = 0;

	hook_env_init(&env);
	/* names are [A-Za-z_][A-Za-z0-9_]*: a client's peer-info name is checked */
	assert_int_equal(hook_env_set(&env, "", "x"), ERR_MALFORMED);
	assert_int_equal(hook_env_set(&env, "1X", "x"), ERR_MALFORMED);
	assert_int_equal(hook_env_set(&env, "A=B", "x"), ERR_MALFORMED);
	assert_int_equal(hook_env_set_client(&env, "IV_X Y", "x"), ERR_MALFORMED);
	assert_int_equal(hook_env_set_client(&env, "UV_\xc3\xa9", "x"), ERR_MALFORMED);
	assert_int_equal(hook_env_set_client(&env, "UV_ok_1", "x"), 0);

	/* client values: printable ASCII kept, everything else -> '_' */
	assert_int_equal(hook_env_set_client(&env, "common_name",
	    "a\tb\r\nc\x7f\x01\xc3\xa9 $(x) `y` '\"; z"), 0);
	assert_string_equal(hook_env_get(&env, "common_name"), "a_b__c____ $(x) `y` '\"; z");

	/* length cap: reject, never truncate */
	big = malloc(HOOK_CLIENT_VALUE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', HOOK_CLIENT_VALUE_MAX);
	big[HOOK_CLIENT_VALUE_MAX] = '\0';
	assert_int_equal(hook_env_set_client(&env, "IV_BIG", big), 0);
	big[HOOK_CLIENT_VALUE_MAX] = 'x';
	big[HOOK_CLIENT_VALUE_MAX + 1] = '\0';
	assert_int_equal(hook_env_set_client(&env, "IV_BIG2", big), ERR_RANGE);
	assert_null(hook_env_get(&env, "IV_BIG2"));
	free(big);

	/* the variable count and total size are bounded */
	for (i = 0; i < HOOK_ENV_MAX_VARS + 10 && r == 0; i++) {
		char name[32];

		snprintf(name, sizeof(name), "V%d", i);
		r = hook_env_set(&env, name, "v");
	}
	assert_int_equal(r, ERR_FULL);
	assert_int_equal(env.n, HOOK_ENV_MAX_VARS);
	hook_env_free(&env);
	assert_int_equal(env.n, 0);
}

static void
test_timeout(void **state)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .env = &env, .timeout = MTIME_MSEC(300) };
	uint64_t took;

	hook_env_init(&env);
	/* plain: SIGTERM at the deadline ends it */
	req.command = script("sleep.sh", NULL);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, req.now, &took), 0);
	assert_int_equal(res.status, HOOK_TIMEOUT);
	assert_true(took >= MTIME_MSEC(300));
	assert_true(took < MTIME_MSEC(300) + HOOK_KILL_GRACE);
	hook_free(h);

	/* SIGTERM ignored by the script and its child: SIGKILL after the grace */
	req.command = script("sleep.sh", "stubborn");
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, req.now, &took), 0);
	assert_int_equal(res.status, HOOK_TIMEOUT);
	assert_int_equal(res.signo, 9);
	assert_true(took >= MTIME_MSEC(300) + HOOK_KILL_GRACE);
	assert_true(took < MTIME_MSEC(300) + HOOK_KILL_GRACE + MTIME_SEC(2));
	hook_free(h);

	/* freeing a running hook kills it and does not hang */
	req.command = script("sleep.sh", "stubborn");
	req.now = mtime_now();
	req.timeout = 0;
	assert_int_equal(hook_start(&req, &h), 0);
	assert_true(hook_deadline(h) == req.now + HOOK_TIMEOUT_DEFAULT);
	took = mtime_now();
	hook_free(h);
	assert_true(mtime_now() - took < MTIME_SEC(2));
	hook_env_free(&env);
}

static void
test_no_inherited_fds(void **state)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;
	char secret[HOOK_PATH_MAX + 16], pipename[64], *line, *save = NULL;
	int sfd, sv[2], ep, pp[2], opens = 0;
	struct stat st;

	/* things the daemon holds without CLOEXEC: a key file, a socket, an epoll fd */
	snprintf(secret, sizeof(secret), "%s/secret-key", tmpdir);
	sfd = open(secret, O_CREAT | O_RDWR, 0600);
	assert_true(sfd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ep = epoll_create(1);
	assert_true(ep >= 0);
	assert_int_equal(pipe(pp), 0);
	assert_int_equal(fstat(pp[0], &st), 0);
	snprintf(pipename, sizeof(pipename), "pipe:[%lu]", (unsigned long)st.st_ino);

	hook_env_init(&env);
	assert_int_equal(run(script("fds.sh", NULL), &env, 8192, false, 0, &h, &res), HOOK_ALLOW);
	for (line = strtok_r((char *)res.out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int fd = atoi(line);

		opens++;
		assert_null(strstr(line, "secret-key"));
		assert_null(strstr(line, "socket:"));
		assert_null(strstr(line, "anon_inode"));
		/* 0 and 1 are /dev/null and the capture pipe; 2 is the test's stderr */
		if (fd == 0)
			assert_non_null(strstr(line, "/dev/null"));
		if (fd == 1)
			assert_non_null(strstr(line, "pipe:"));
		/* fds above 2 are the shell's own (script, saved fds, $(...) pipes) */
		assert_null(strstr(line, pipename));
	}
	assert_true(opens >= 3);
	hook_free(h);
	hook_env_free(&env);
	close(sfd);
	close(sv[0]);
	close(sv[1]);
	close(ep);
	close(pp[0]);
	close(pp[1]);
	unlink(secret);
}

static void
test_hostile_strings(void **state)
{
	/* hostile username: command substitution, backticks, quotes, newlines */
	static const char user[] = "a$(reboot)`reboot`'\"\n;reboot #\r\\";
	static const char user_seen[] = "a$(reboot)`reboot`'\"_;reboot #_\\";
	static const char pass[] = "p w$(id)\x01\xff";
	static const char pass_seen[] = "p w$(id)__";
	struct hook_env env;
	struct hook_auth a;
	struct hook_result res;
	struct hook *h;
	char out[HOOK_PATH_MAX + 16], got[128];
	const char *p;
	int fd;
	ssize_t n;

	snprintf(out, sizeof(out), "%s/echo-out", tmpdir);
	hook_env_init(&env);
	assert_int_equal(hook_env_set(&env, "OUT", out), 0);
	assert_int_equal(hook_env_set_client(&env, "common_name", "cn$(x)"), 0);
	assert_int_equal(hook_env_set_client(&env, "IV_PLAT_VER", "`uname`\n"), 0);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, user, pass, &env), 0);
	assert_int_equal(run(script("echo.sh", NULL), &env, 4096, true, 0, &h, &res), HOOK_ALLOW);
	/* stdout: user \0 pass \0 cn \0 iv, byte for byte */
	p = res.out;
	assert_string_equal(p, user_seen);
	p += strlen(p) + 1;
	assert_string_equal(p, pass_seen);
	p += strlen(p) + 1;
	assert_string_equal(p, "cn$(x)");
	p += strlen(p) + 1;
	assert_string_equal(p, "`uname`_");
	/* and the file the script wrote */
	fd = open(out, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, got, sizeof(got));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(user_seen));
	assert_memory_equal(got, user_seen, strlen(user_seen));
	unlink(out);
	hook_free(h);
	hook_auth_cleanup(&a);
	hook_env_free(&env);
}

static void
test_via_env(void **state)
{
	struct hook_env env;
	struct hook_auth a;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .env = &env, .capture_max = 8192, .allow_deferred = true };
	struct stat st;

	hook_env_init(&env);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, "alice", "s3cret", &env), 0);
	assert_string_equal(a.via_file, "");
	assert_null(hook_auth_args(&a)[0]);
	assert_string_equal(hook_env_get(&env, "username"), "alice");
	assert_string_equal(hook_env_get(&env, "password"), "s3cret");
	assert_string_equal(hook_env_get(&env, "script_type"), "user-pass-verify");
	assert_string_equal(hook_env_get(&env, "auth_control_file"), a.control_file);
	assert_string_equal(hook_env_get(&env, "auth_pending_file"), a.pending_file);
	assert_string_equal(hook_env_get(&env, "auth_failed_reason_file"), a.reason_file);
	assert_int_equal(stat(a.control_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 0);
	/* the auth files live in the private directory */
	assert_int_equal(strncmp(a.control_file, tmpdir, strlen(tmpdir)), 0);
	assert_int_equal(stat(tmpdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	req.command = "/usr/bin/env";
	req.extra_args = hook_auth_args(&a);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.status, HOOK_ALLOW);
	assert_non_null(strstr(res.out, "\nusername=alice\n"));
	assert_non_null(strstr(res.out, "\npassword=s3cret\n"));
	hook_free(h);
	hook_auth_cleanup(&a);
	assert_int_equal(stat(a.control_file, &st), -1);
	hook_env_free(&env);

	/* over-long credentials: refused, nothing left behind */
	{
		char *big = malloc(HOOK_CLIENT_VALUE_MAX + 2);

		assert_non_null(big);
		memset(big, 'x', HOOK_CLIENT_VALUE_MAX + 1);
		big[HOOK_CLIENT_VALUE_MAX + 1] = '\0';
		hook_env_init(&env);
		assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_FILE, big, "p", &env),
		    ERR_RANGE);
		assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, "u", big, &env),
		    ERR_RANGE);
		assert_int_equal(env.n, 0);
		hook_env_free(&env);
		free(big);
	}
}

static void
test_via_file(void **state)
{
	struct hook_env env;
	struct hook_auth a;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .env = &env, .capture_max = 8192, .allow_deferred = true };
	char path[HOOK_PATH_MAX];
	struct stat st;

	hook_env_init(&env);
	/* a newline in the password cannot forge a third line */
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_FILE, "bob", "pw\nline3", &env), 0);
	assert_null(hook_env_get(&env, "password"));
	assert_string_equal(hook_env_get(&env, "username"), "bob");
	assert_int_equal(strncmp(a.via_file, tmpdir, strlen(tmpdir)), 0);
	req.command = script("viafile.sh", NULL);
	req.extra_args = hook_auth_args(&a);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.status, HOOK_ALLOW);
	/* content, mode 0600, and the path is the one (last) argument */
	assert_string_equal(res.out, "bob\npw_line3\n--\n600\n1\n");
	snprintf(path, sizeof(path), "%s", a.via_file);
	assert_int_equal(stat(path, &st), 0);
	hook_auth_script_done(&a);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	hook_free(h);
	hook_auth_cleanup(&a);
	hook_env_free(&env);
}

/* Wait (inotify + poll) for the control file to be decided. */
static enum hook_status
wait_deferred(struct hook_auth *a)
{
	uint64_t start = mtime_now();
	enum hook_status st;
	struct pollfd p;
	int fd = hook_auth_watch(a);

	assert_true(fd >= 0);
	for (;;) {
		if (hook_deferred_poll(a, &st) == 0)
			return st;
		assert_true(mtime_now() - start < GUARD);
		p.fd = fd;
		p.events = POLLIN;
		assert_true(poll(&p, 1, 1000) >= 0 || errno == EINTR);
		hook_auth_watch_drain(a);
	}
}

static void
deferred_case(const char *verdict, enum hook_status want)
{
	struct hook_env env;
	struct hook_auth a;
	struct hook_result res;
	struct hook *h;
	enum hook_status st;
	char fifo[HOOK_PATH_MAX + 16];
	int fd;

	snprintf(fifo, sizeof(fifo), "%s/go", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	hook_env_init(&env);
	assert_int_equal(hook_env_set(&env, "VERDICT", verdict), 0);
	assert_int_equal(hook_env_set(&env, "GO", fifo), 0);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, "carol", "pw", &env), 0);
	/* the watch exists before the background job can write */
	assert_true(hook_auth_watch(&a) >= 0);
	assert_int_equal(run(script("deferred.sh", NULL), &env, 0, true, 0, &h, &res),
	    HOOK_DEFERRED);
	hook_free(h);
	/* the script has exited, but its job waits for our go */
	assert_int_equal(hook_deferred_poll(&a, &st), ERR_AGAIN);
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
	assert_int_equal(wait_deferred(&a), want);
	unlink(fifo);
	hook_auth_cleanup(&a);
	hook_env_free(&env);
}

static void
test_deferred(void **state)
{
	deferred_case("1", HOOK_ALLOW);
	deferred_case("0", HOOK_DENY);
	deferred_case("yes", HOOK_DENY);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_deferred_contents(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		int r;
		enum hook_status st;
	} cases[] = {
		{ "1", 1, 0, HOOK_ALLOW },
		{ "1\n", 2, 0, HOOK_ALLOW },
		{ "0", 1, 0, HOOK_DENY },
		{ "0\n", 2, 0, HOOK_DENY },
		{ "11", 2, 0, HOOK_DENY },
		{ "1\n\n", 3, 0, HOOK_DENY },
		{ "1 ", 2, 0, HOOK_DENY },
		{ " 1", 2, 0, HOOK_DENY },
		{ "1\r\n", 3, 0, HOOK_DENY },
		{ "2", 1, 0, HOOK_DENY },
		{ "\0", 1, 0, HOOK_DENY },
		{ "1\0", 2, 0, HOOK_DENY },
		{ "1\n1111111111111", 15, 0, HOOK_DENY },
	};
	struct hook_env env;
	struct hook_auth a;
	enum hook_status st;
	size_t i;
	char reason[64];

	hook_env_init(&env);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, "u", "p", &env), 0);
	assert_int_equal(hook_deferred_poll(&a, &st), ERR_AGAIN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = 0;
		write_file(a.control_file, cases[i].data, cases[i].len);
		assert_int_equal(hook_deferred_poll(&a, &st), cases[i].r);
		if (st != cases[i].st)
			fail_msg("case %zu: status %d, want %d", i, st, cases[i].st);
	}
	/* a control file replaced by a symlink or removed: deny */
	unlink(a.control_file);
	assert_int_equal(hook_deferred_poll(&a, &st), 0);
	assert_int_equal(st, HOOK_DENY);
	assert_int_equal(symlink("/etc/hostname", a.control_file), 0);
	assert_int_equal(hook_deferred_poll(&a, &st), 0);
	assert_int_equal(st, HOOK_DENY);

	/* failure reason: first line, printable, bounded */
	assert_int_equal(hook_auth_reason(&a, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "");
	write_file(a.reason_file, "bad \x01password\r\nsecond line", 26);
	assert_int_equal(hook_auth_reason(&a, reason, sizeof(reason)), 13);
	assert_string_equal(reason, "bad _password");
	assert_int_equal(hook_auth_reason(&a, reason, 4), 3);
	assert_string_equal(reason, "bad");
	hook_auth_cleanup(&a);
	hook_env_free(&env);
}

/* A string literal and its length (embedded NULs included). */
#define S(lit) lit, sizeof(lit) - 1

static void
test_pending_parse(void **state)
{
	struct hook_pending p;
	char big[HOOK_PENDING_EXTRA_MAX + 32];
	int n;

	assert_int_equal(hook_pending_parse(S("300\nwebauth\nWEB_AUTH::https://x/y\n"), &p), 0);
	assert_int_equal(p.timeout, 300);
	assert_string_equal(p.method, "webauth");
	assert_string_equal(p.extra, "WEB_AUTH::https://x/y");
	/* no final newline, empty extra */
	assert_int_equal(hook_pending_parse(S("5\ncrtext\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\ncrtext\n\n"), &p), 0);
	assert_string_equal(p.extra, "");
	assert_int_equal(hook_pending_parse(S("5\nopenurl\nE"), &p), 0);
	assert_string_equal(p.extra, "E");
	/* hostile */
	assert_int_equal(hook_pending_parse(S(""), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("x\ncrtext\nE\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("-1\ncrtext\nE\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("0\ncrtext\nE\n"), &p), ERR_RANGE);
	assert_int_equal(hook_pending_parse(S("86401\ncrtext\nE\n"), &p), ERR_RANGE);
	assert_int_equal(hook_pending_parse(S("99999999999\ncrtext\nE\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\n\nE\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\nCR TEXT\nE\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\ncrtext\nE\x01\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\ncrtext\nE\nextra\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\ncrtext\nE\0\n"), &p), ERR_MALFORMED);
	assert_int_equal(hook_pending_parse(S("5\nabcdefghijklmnopqrstuvwxyzabcdef\nE\n"), &p),
	    ERR_RANGE);
	n = snprintf(big, sizeof(big), "5\ncrtext\n");
	memset(big + n, 'e', HOOK_PENDING_EXTRA_MAX + 1);
	assert_int_equal(hook_pending_parse(big, (size_t)n + HOOK_PENDING_EXTRA_MAX + 1, &p),
	    ERR_RANGE);
	assert_int_equal(hook_pending_parse(big, (size_t)n + HOOK_PENDING_EXTRA_MAX, &p), 0);
	assert_int_equal(strlen(p.extra), HOOK_PENDING_EXTRA_MAX);
}

static void
test_pending_read(void **state)
{
	struct hook_env env;
	struct hook_auth a;
	struct hook_pending p;

	hook_env_init(&env);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_ENV, "u", "p", &env), 0);
	assert_int_equal(hook_pending_read(&a, &p), ERR_AGAIN);
	write_file(a.pending_file, "60\nopenurl\nOPEN_URL:https://sso/x\n", 34);
	assert_int_equal(hook_pending_read(&a, &p), 0);
	assert_int_equal(p.timeout, 60);
	assert_string_equal(p.method, "openurl");
	assert_string_equal(p.extra, "OPEN_URL:https://sso/x");
	hook_auth_cleanup(&a);
	hook_env_free(&env);
}

static void
test_capture_limits(void **state)
{
	struct hook_env env;
	struct hook_result res;
	struct hook *h;

	hook_env_init(&env);
	/* exactly the cap: fine */
	assert_int_equal(run(script("output.sh", "1000"), &env, 1000, false, 0, &h, &res),
	    HOOK_ALLOW);
	assert_int_equal(res.out_len, 1000);
	assert_false(res.out_truncated);
	hook_free(h);
	/* one more byte: denial, fail-closed */
	assert_int_equal(run(script("output.sh", "1001"), &env, 1000, false, 0, &h, &res),
	    HOOK_DENY);
	assert_true(res.out_truncated);
	assert_int_equal(res.out_len, 1000);
	hook_free(h);
	/* more than a pipe holds: the loop drains it, the script does not stall */
	assert_int_equal(run(script("output.sh", "200000"), &env, HOOK_OUT_MAX, false,
	    MTIME_SEC(10), &h, &res), HOOK_DENY);
	assert_true(res.out_truncated);
	assert_int_equal(res.out_len, HOOK_OUT_MAX);
	hook_free(h);
	/* without capture, output goes to /dev/null and does not matter */
	assert_int_equal(run(script("output.sh", "200000"), &env, 0, false, MTIME_SEC(10), &h,
	    &res), HOOK_ALLOW);
	assert_null(res.out);
	assert_int_equal(hook_out_fd(h), -1);
	hook_free(h);
	hook_env_free(&env);
}

static int
count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* P19: whatever way a hook ends, its fds and files are gone afterwards. */
static void
test_no_leaks(void **state)
{
	struct hook_env env;
	struct hook_auth a;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .env = &env, .capture_max = 100, .timeout = MTIME_MSEC(100) };
	int before = count_fds();

	assert_int_equal(run_simple(script("exit.sh", "0"), false, NULL), HOOK_ALLOW);
	assert_int_equal(run_simple("/nonexistent", false, NULL), HOOK_ERROR);
	hook_env_init(&env);
	assert_int_equal(hook_auth_prepare(&a, tmpdir, HOOK_VIA_FILE, "u", "p", &env), 0);
	assert_true(hook_auth_watch(&a) >= 0);
	req.command = script("sleep.sh", NULL);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
	assert_int_equal(res.status, HOOK_TIMEOUT);
	hook_free(h);
	req.now = mtime_now();
	assert_int_equal(hook_start(&req, &h), 0);
	hook_free(h);   /* still running */
	hook_auth_cleanup(&a);
	hook_env_free(&env);
	assert_int_equal(count_fds(), before);
}

static void
test_client_connect(void **state)
{
	static const struct {
		const char *mode;
		enum hook_status st;
	} cases[] = {
		{ "", HOOK_ALLOW }, { "1", HOOK_ALLOW }, { "2", HOOK_DEFERRED },
		{ "0", HOOK_DENY }, { "x", HOOK_DENY },
	};
	struct hook_env env;
	struct hook_connect c;
	struct hook_result res;
	struct hook *h;
	struct hook_req req = { .env = &env };
	enum hook_status st;
	char cfg[256];
	size_t len, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hook_env_init(&env);
		assert_int_equal(hook_env_set(&env, "MODE", cases[i].mode), 0);
		assert_int_equal(hook_env_set_client(&env, "common_name", "client1"), 0);
		assert_int_equal(hook_connect_prepare(&c, tmpdir, &env), 0);
		assert_string_equal(hook_env_get(&env, "client_connect_config_file"), c.config_file);
		req.command = script("connect.sh", NULL);
		req.extra_args = hook_connect_args(&c);
		req.now = mtime_now();
		assert_int_equal(hook_start(&req, &h), 0);
		assert_int_equal(wait_hook(h, &res, 0, NULL), 0);
		assert_int_equal(res.status, HOOK_ALLOW);
		hook_free(h);
		assert_int_equal(hook_connect_status(&c, &st), 0);
		assert_int_equal(st, cases[i].st);
		assert_int_equal(hook_connect_read_config(&c, cfg, sizeof(cfg), &len), 0);
		assert_string_equal(cfg, "push \"echo hello client1\"\n");
		/* a config larger than the caller's buffer is refused */
		assert_int_equal(hook_connect_read_config(&c, cfg, 8, &len), ERR_RANGE);
		hook_connect_cleanup(&c);
		hook_env_free(&env);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_spawn_errors),
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_env_only_given),
		cmocka_unit_test(test_env_checks),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_no_inherited_fds),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_via_env),
		cmocka_unit_test(test_via_file),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_deferred_contents),
		cmocka_unit_test(test_pending_parse),
		cmocka_unit_test(test_pending_read),
		cmocka_unit_test(test_capture_limits),
		cmocka_unit_test(test_client_connect),
		cmocka_unit_test(test_no_leaks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
