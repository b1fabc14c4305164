/*
 * test_mgmt.c - the management server over real sockets and a real event
 * loop, with a fake daemon behind struct mgmt_ops.
 *
 * Clients are plain non-blocking sockets (unix in a temp dir, TCP on
 * 127.0.0.1 with an ephemeral port).  The loop is driven with
 * evloop_run_once() until the awaited bytes or EOF arrive, under an overall
 * bound; nothing sleeps.  Absence of output is proven by waiting for a later
 * reply on the same socket (output is ordered) or, for other sockets, by
 * draining them after the bytes the broadcast wrote synchronously.
 *
 * stderr (the log sink) is redirected to a file for every test so audit
 * lines can be checked; teardown passes everything that is not a log line
 * (cmocka's failure messages) back to the real stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>

#include "err.h"
#include "evloop.h"
#include "mgmt.h"
#include "mgmtsess.h"
#include "mtime.h"

#define GREETING ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\n"
#define PROMPT "ENTER PASSWORD:"
#define PW "s3cr3t-Pw"
#define BOUND MTIME_SEC(5)

struct cli {
	int fd;
	char buf[1 << 19];
	size_t len;
	bool eof;
};

struct fake {
	int nexec;
	enum mgmt_verb verb;
	bool json;
	uint64_t cid;
	uint32_t kid;
	int argc;
	char argv[MGMT_ARGV_MAX][MGMT_PARAM_MAX + 1];
	size_t nblock;
	char block0[256];
	int nauth;
	int nclosed;
	unsigned int closed_id;
	int nbytecount;
};

struct fx {
	char dir[64];
	char sock[100];
	char logpath[128];
	int saved_stderr;
	struct evloop loop;
	struct mgmt *m;
	struct fake f;
	struct mgmt_ops ops;
	struct cli c[20];
	int nc;
};

/* ---- fake daemon ---- */

static void
fake_exec(void *arg, struct mgmt_sess_ref *s, const struct mgmt_cmd *cmd)
{
	struct fake *f = arg;
	struct mgmtsess *ms = mgmt_session(s);
	int i;

	f->nexec++;
	f->verb = cmd->verb;
	f->json = cmd->json;
	f->cid = cmd->cid;
	f->kid = cmd->kid;
	f->argc = cmd->argc;
	for (i = 0; i < cmd->argc && i < MGMT_ARGV_MAX; i++)
		snprintf(f->argv[i], sizeof(f->argv[i]), "%s", cmd->argv[i]);
	f->nblock = cmd->nblock;
	f->block0[0] = '\0';
	if (cmd->nblock > 0)
		snprintf(f->block0, sizeof(f->block0), "%s", cmd->block[0]);
	switch (cmd->verb) {
	case MGMT_V_PID:
		mgmtsess_success(ms, "pid=%u", mgmt_session_id(s));
		break;
	case MGMT_V_CLIENT_KILL:
		mgmtsess_success(ms, "client-kill command succeeded");
		break;
	case MGMT_V_CLIENT_AUTH:
	case MGMT_V_CLIENT_AUTH_NT:
		mgmtsess_success(ms, "client-auth command succeeded");
		break;
	case MGMT_V_CLIENT_PENDING_AUTH:
		mgmtsess_success(ms, "client-pending-auth command succeeded");
		break;
	case MGMT_V_STATUS:
		mgmtsess_line(ms, "fake status json=%d", cmd->json);
		mgmtsess_end(ms);
		break;
	default:
		mgmtsess_error(ms, "fake: unhandled");
		break;
	}
}

static void
fake_authenticated(void *arg, struct mgmt_sess_ref *s)
{
	struct fake *f = arg;

	(void)s;
	f->nauth++;
}

static void
fake_closed(void *arg, struct mgmt_sess_ref *s)
{
	struct fake *f = arg;

	f->nclosed++;
	f->closed_id = mgmt_session_id(s);
}

static void
fake_bytecount(void *arg, struct mgmt_sess_ref *s)
{
	struct fake *f = arg;

	f->nbytecount++;
	mgmtsess_bytecount_cli(mgmt_session(s), 0, (uint64_t)f->nbytecount * 100, 200);
	mgmtsess_bytecount_cli(mgmt_session(s), 1, 7, 8);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	int fd;

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/test_mgmt.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->sock, sizeof(x->sock), "%s/mgmt.sock", x->dir);
	snprintf(x->logpath, sizeof(x->logpath), "%s/log", x->dir);
	assert_int_equal(evloop_init(&x->loop), 0);
	x->ops.arg = &x->f;
	x->ops.exec = fake_exec;
	x->ops.authenticated = fake_authenticated;
	x->ops.closed = fake_closed;
	x->ops.bytecount = fake_bytecount;
	fflush(stderr);
	x->saved_stderr = dup(STDERR_FILENO);
	fd = open(x->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0 && x->saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	*state = x;
	return 0;
}

static char *
read_log(struct fx *x)
{
	static char text[1 << 20];
	ssize_t n;
	int fd;

	text[0] = '\0';
	if ((fd = open(x->logpath, O_RDONLY)) < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	char *log, *line, *save = NULL;
	char path[160];
	int i;

	mgmt_close(x->m);
	for (i = 0; i < x->nc; i++)
		if (x->c[i].fd >= 0)
			close(x->c[i].fd);
	evloop_free(&x->loop);
	fflush(stderr);
	dup2(x->saved_stderr, STDERR_FILENO);
	close(x->saved_stderr);
	/* hand back what is not ours: cmocka's messages */
	log = read_log(x);
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "20", 2) != 0)
			fprintf(stderr, "%s\n", line);
	unlink(x->sock);
	unlink(x->logpath);
	snprintf(path, sizeof(path), "%s/plain", x->dir);
	unlink(path);
	rmdir(x->dir);
	free(x);
	return 0;
}

static void
open_unix(struct fx *x, const char *password)
{
	struct mgmt_conf conf = { .unix_path = x->sock, .password = password, .title = "T" };

	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
}

/* ---- clients ---- */

static struct cli *
cli_unix(struct fx *x)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cli *c = &x->c[x->nc++];

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", x->sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	return c;
}

static struct cli *
cli_tcp(struct fx *x)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct cli *c = &x->c[x->nc++];

	sin.sin_port = htons(mgmt_port(x->m));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	return c;
}

static void
cli_send(struct cli *c, const char *s)
{
	assert_int_equal(send(c->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Take whatever the socket has now. */
static void
cli_drain(struct cli *c)
{
	ssize_t n;

	while (!c->eof && c->len < sizeof(c->buf) - 1) {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
		if (n == 0)
			c->eof = true;
		if (n <= 0)
			break;
		c->len += (size_t)n;
	}
	c->buf[c->len] = '\0';
}

/* Drive the loop until c has received text (or EOF with want_eof); bounded. */
static bool
pump_until(struct fx *x, struct cli *c, const char *text, bool want_eof, uint64_t bound)
{
	uint64_t end = mtime_now() + bound;

	for (;;) {
		cli_drain(c);
		if (text != NULL && strstr(c->buf, text) != NULL)
			return true;
		if (want_eof && c->eof)
			return true;
		if (c->eof || mtime_now() > end)
			return false;
		assert_int_equal(evloop_run_once(&x->loop, MTIME_MSEC(10)), 0);
	}
}

static bool
cli_wait(struct fx *x, struct cli *c, const char *text)
{
	return pump_until(x, c, text, false, BOUND);
}

static bool
cli_wait_eof(struct fx *x, struct cli *c)
{
	return pump_until(x, c, NULL, true, BOUND);
}

static void
cli_clear(struct cli *c)
{
	c->len = 0;
	c->buf[0] = '\0';
}

/* A few loop turns without waiting, so nothing pending is left undelivered. */
static void
spin(struct fx *x, int n)
{
	while (n-- > 0)
		assert_int_equal(evloop_run_once(&x->loop, 0), 0);
}

static struct cli *
cli_login(struct fx *x, bool tcp)
{
	struct cli *c = tcp ? cli_tcp(x) : cli_unix(x);

	assert_true(cli_wait(x, c, PROMPT));
	cli_send(c, PW "\n");
	assert_true(cli_wait(x, c, GREETING));
	cli_clear(c);
	return c;
}

/* ---- tests ---- */

static void
test_greeting_and_socket_file(void **state)
{
	struct fx *x = *state;
	struct cli *c;
	struct stat st;

	open_unix(x, NULL);
	assert_int_equal(mgmt_port(x->m), 0);
	assert_int_equal(lstat(x->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	c = cli_unix(x);
	assert_true(cli_wait(x, c, GREETING));
	/* no password: the greeting is the very first thing said */
	assert_string_equal(c->buf, GREETING);
	assert_int_equal(x->f.nauth, 1);
	assert_int_equal(mgmt_nsessions(x->m), 1);
	mgmt_close(x->m);
	x->m = NULL;
	assert_int_equal(x->f.nclosed, 1);
	assert_int_equal(lstat(x->sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(cli_wait_eof(x, c));
}

static void
test_socket_path_rules(void **state)
{
	struct fx *x = *state;
	struct mgmt_conf conf = { .unix_path = x->sock };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char plain[160];
	struct stat st;
	int fd, other;

	/* a stale socket (nobody listening) is replaced */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", x->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
	assert_int_equal(lstat(x->sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(cli_wait(x, cli_unix(x), GREETING));

	/* a live socket is not stale: a second server refuses to take it */
	other = 0;
	{
		struct mgmt *m2 = NULL;

		other = mgmt_open(&m2, &x->loop, &conf, &x->ops);
		assert_null(m2);
	}
	assert_int_equal(other, ERR_EXISTS);
	assert_int_equal(lstat(x->sock, &st), 0);
	mgmt_close(x->m);
	x->m = NULL;

	/* a socket replaced by someone else is not removed by our close */
	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
	unlink(x->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	mgmt_close(x->m);
	x->m = NULL;
	assert_int_equal(lstat(x->sock, &st), 0);
	close(fd);
	unlink(x->sock);

	/* a regular file is never removed */
	snprintf(plain, sizeof(plain), "%s/plain", x->dir);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	conf.unix_path = plain;
	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), ERR_EXISTS);
	assert_null(x->m);
	assert_int_equal(lstat(plain, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
}

static void
test_open_errors(void **state)
{
	struct fx *x = *state;
	struct mgmt_ops noexec = x->ops;
	struct mgmt_conf both = { .unix_path = x->sock, .ip = "127.0.0.1" };
	struct mgmt_conf none = { .password = "x" };
	struct mgmt_conf badip = { .ip = "127.0.0.300" };
	struct mgmt_conf ok = { .ip = "127.0.0.1" };
	struct mgmt_conf wide = { .ip = "0.0.0.0" };
	char longpw[MGMT_PASSWORD_MAX + 2];
	struct mgmt_conf pwlong = { .ip = "127.0.0.1", .password = longpw };
	struct mgmt *m = NULL;

	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	noexec.exec = NULL;
	assert_int_equal(mgmt_open(&m, &x->loop, &both, &x->ops), ERR_INVAL);
	assert_int_equal(mgmt_open(&m, &x->loop, &none, &x->ops), ERR_INVAL);
	assert_int_equal(mgmt_open(&m, &x->loop, &badip, &x->ops), ERR_INVAL);
	assert_int_equal(mgmt_open(&m, &x->loop, &ok, &noexec), ERR_INVAL);
	assert_int_equal(mgmt_open(&m, &x->loop, &pwlong, &x->ops), ERR_INVAL);
	assert_null(m);
	assert_null(strstr(read_log(x), "not a loopback"));
	assert_int_equal(mgmt_open(&m, &x->loop, &ok, &x->ops), 0);
	assert_true(mgmt_port(m) != 0);
	mgmt_close(m);
	assert_null(strstr(read_log(x), "not a loopback"));
	/* allowed, with a warning */
	assert_int_equal(mgmt_open(&m, &x->loop, &wide, &x->ops), 0);
	assert_non_null(strstr(read_log(x), "WARNING: management: listening on 0.0.0.0:"));
	assert_non_null(strstr(read_log(x), "not a loopback address"));
	mgmt_close(m);
}

static void
test_password_tcp(void **state)
{
	struct fx *x = *state;
	struct mgmt_conf conf = { .ip = "127.0.0.1", .password = PW, .title = "T" };
	struct cli *c;
	char *log;

	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
	c = cli_tcp(x);
	assert_true(cli_wait(x, c, PROMPT));
	assert_string_equal(c->buf, PROMPT);
	assert_int_equal(x->f.nauth, 0);
	/* commands before the password run nothing */
	cli_send(c, "pid\n");
	assert_true(cli_wait(x, c, PROMPT PROMPT));
	cli_send(c, PW "\n");
	assert_true(cli_wait(x, c, GREETING));
	assert_string_equal(c->buf, PROMPT PROMPT "SUCCESS: password is correct\r\n" GREETING);
	assert_int_equal(x->f.nauth, 1);
	assert_int_equal(x->f.nexec, 0);
	cli_send(c, "pid\n");
	assert_true(cli_wait(x, c, "SUCCESS: pid=1\r\n"));
	log = read_log(x);
	assert_non_null(strstr(log, "management: session 1 (127.0.0.1:"));
	assert_non_null(strstr(log, ") authenticated"));
	assert_non_null(strstr(log, "): pid\n"));
	/* neither the wrong nor the right password is logged; the early pid isn't either */
	assert_null(strstr(log, PW));
	assert_int_equal(x->f.nexec, 1);
}

static void
test_wrong_password_three_times(void **state)
{
	struct fx *x = *state;
	struct cli *c;

	open_unix(x, PW);
	c = cli_unix(x);
	assert_true(cli_wait(x, c, PROMPT));
	cli_send(c, "one\n");
	assert_true(cli_wait(x, c, PROMPT PROMPT));
	cli_send(c, "two\n");
	assert_true(cli_wait(x, c, PROMPT PROMPT PROMPT));
	cli_send(c, "three\n" PW "\n");
	assert_true(cli_wait_eof(x, c));
	assert_string_equal(c->buf, PROMPT PROMPT PROMPT);
	assert_int_equal(x->f.nauth, 0);
	spin(x, 3);
	assert_int_equal(mgmt_nsessions(x->m), 0);
	/* never announced, so never reported closed */
	assert_int_equal(x->f.nclosed, 0);
	assert_non_null(strstr(read_log(x), "closed: too many wrong passwords"));
}

static void
test_two_sessions(void **state)
{
	struct fx *x = *state;
	struct cli *a, *b;

	open_unix(x, PW);
	a = cli_login(x, false);
	b = cli_login(x, false);
	assert_int_equal(mgmt_nsessions(x->m), 2);
	cli_send(b, "pid\n");
	cli_send(a, "pid\n");
	assert_true(cli_wait(x, a, "\r\n"));
	assert_true(cli_wait(x, b, "\r\n"));
	assert_string_equal(a->buf, "SUCCESS: pid=1\r\n");
	assert_string_equal(b->buf, "SUCCESS: pid=2\r\n");
	/* one leaves, the other is unaffected */
	close(a->fd);
	a->fd = -1;
	cli_clear(b);
	cli_send(b, "pid\n");
	assert_true(cli_wait(x, b, "SUCCESS: pid=2\r\n"));
	spin(x, 3);
	assert_int_equal(mgmt_nsessions(x->m), 1);
	assert_int_equal(x->f.nclosed, 1);
	assert_int_equal(x->f.closed_id, 1);
	assert_null(mgmt_session_find(x->m, 1));
	assert_non_null(mgmt_session_find(x->m, 2));
	assert_int_equal(mgmt_session_id(mgmt_session_find(x->m, 2)), 2);
	assert_string_equal(mgmt_session_peer(mgmt_session_find(x->m, 2)), "unix");
}

static void
test_auth_timeout(void **state)
{
	struct fx *x = *state;
	struct mgmt_conf conf = { .unix_path = x->sock, .password = PW,
	    .auth_timeout = MTIME_MSEC(200) };
	struct cli *admin, *idle;
	uint64_t t0;

	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
	t0 = mtime_now();
	idle = cli_unix(x);
	admin = cli_login(x, false);
	assert_true(cli_wait(x, idle, PROMPT));
	assert_true(cli_wait_eof(x, idle));
	assert_true(mtime_now() - t0 >= MTIME_MSEC(200));
	assert_string_equal(idle->buf,
	    PROMPT "\r\nERROR: management password not entered in time\r\n");
	/* the admin, authenticated before the deadline, keeps working after it */
	cli_send(admin, "pid\n");
	assert_true(cli_wait(x, admin, "SUCCESS: pid=2\r\n"));
	assert_false(admin->eof);
	assert_int_equal(mgmt_nsessions(x->m), 1);
}

static void
test_dispatch_and_audit(void **state)
{
	struct fx *x = *state;
	struct cli *c;
	char *log;

	open_unix(x, NULL);
	c = cli_unix(x);
	assert_true(cli_wait(x, c, GREETING));
	cli_clear(c);

	cli_send(c, "client-kill 5 HALT\n");
	assert_true(cli_wait(x, c, "SUCCESS: client-kill command succeeded\r\n"));
	assert_int_equal(x->f.verb, MGMT_V_CLIENT_KILL);
	assert_int_equal(x->f.cid, 5);
	assert_int_equal(x->f.argc, 3);
	assert_string_equal(x->f.argv[2], "HALT");

	/* a block split over writes, and pipelined with a following command */
	cli_send(c, "client-auth 3 1\npush \"route 10.99.0.0 255.255.0.0\"\n");
	spin(x, 2);
	cli_send(c, "push \"auth-token SECRETTOKEN\"\nEND\nclient-kill 6 \"a b\"\n");
	assert_true(cli_wait(x, c, "SUCCESS: client-auth command succeeded\r\n"
	    "SUCCESS: client-kill command succeeded\r\n"));
	assert_int_equal(x->f.nexec, 3);

	cli_send(c, "client-auth-nt 3 1\n");
	assert_true(cli_wait(x, c, "SUCCESS: client-auth command succeeded\r\n"
	    "SUCCESS: client-kill command succeeded\r\nSUCCESS: client-auth command succeeded\r\n"));
	cli_send(c, "client-auth 3 1\npush \"route 10.99.0.0 255.255.0.0\"\nEND\n");
	assert_true(cli_wait(x, c, "succeeded\r\nSUCCESS: client-auth command succeeded\r\n"
	    "SUCCESS: client-auth command succeeded\r\n"));
	assert_int_equal(x->f.verb, MGMT_V_CLIENT_AUTH);
	assert_int_equal(x->f.cid, 3);
	assert_int_equal(x->f.kid, 1);
	assert_int_equal(x->f.nblock, 1);
	assert_string_equal(x->f.block0, "push \"route 10.99.0.0 255.255.0.0\"");
	cli_clear(c);

	cli_send(c, "client-pending-auth 4 2 WEB_AUTH::https://idp/x?state=SECRETSTATE 30\n");
	assert_true(cli_wait(x, c, "SUCCESS: client-pending-auth command succeeded\r\n"));
	assert_int_equal(x->f.verb, MGMT_V_CLIENT_PENDING_AUTH);
	assert_int_equal(x->f.argc, 5);

	cli_send(c, "json status 3\n");
	assert_true(cli_wait(x, c, "fake status json=1\r\nEND\r\n"));
	assert_int_equal(x->f.verb, MGMT_V_STATUS);
	assert_true(x->f.json);
	assert_string_equal(x->f.argv[0], "status");

	/* answered inside mgmtsess: never reaches exec */
	cli_send(c, "help\nbogus\npid\n");
	assert_true(cli_wait(x, c, "SUCCESS: pid=1\r\n"));
	assert_non_null(strstr(c->buf, "ERROR: unknown command"));
	assert_int_equal(x->f.verb, MGMT_V_PID);
	assert_int_equal(x->f.nexec, 8);

	log = read_log(x);
	assert_non_null(strstr(log, "management: session 1 (unix): client-kill 5 HALT\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): client-kill 6 \"a b\"\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): client-auth 3 1 (2 lines)\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): client-auth 3 1 (1 lines)\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): client-auth-nt 3 1\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): client-pending-auth 4 2 "
	    "(EXTRA, 41 bytes) 30\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): json status 3\n"));
	assert_non_null(strstr(log, "management: session 1 (unix): pid\n"));
	assert_null(strstr(log, "SECRET"));
	assert_null(strstr(log, "route 10.99"));
	assert_null(strstr(log, "): help"));
}

static void
test_broadcast_client(void **state)
{
	struct fx *x = *state;
	static const char *const vars[] = { "common_name=alice", "untrusted_ip=192.0.2.2",
	    "password=hunter2" };
	struct mgmt_env env = { .vars = vars, .nvars = 3, .n_clients = 1 };
	static const char want[] = ">CLIENT:CONNECT,7,1\r\n"
	    ">CLIENT:ENV,n_clients=1\r\n"
	    ">CLIENT:ENV,common_name=alice\r\n"
	    ">CLIENT:ENV,untrusted_ip=192.0.2.2\r\n"
	    ">CLIENT:ENV,password=hunter2\r\n"
	    ">CLIENT:ENV,END\r\n";
	struct cli *a, *b, *u;

	open_unix(x, PW);
	a = cli_login(x, false);
	u = cli_unix(x);
	assert_true(cli_wait(x, u, PROMPT));
	b = cli_login(x, false);
	mgmt_broadcast_client(x->m, MGMT_EV_CONNECT, 7, 1, NULL, &env);
	assert_true(cli_wait(x, a, ">CLIENT:ENV,END\r\n"));
	assert_true(cli_wait(x, b, ">CLIENT:ENV,END\r\n"));
	assert_string_equal(a->buf, want);
	assert_string_equal(b->buf, want);
	/* written synchronously to everyone: had u been included, it would be here */
	spin(x, 3);
	cli_drain(u);
	assert_string_equal(u->buf, PROMPT);
	assert_false(u->eof);
}

static void
test_log_history(void **state)
{
	struct fx *x = *state;
	struct mgmt_conf conf = { .unix_path = x->sock, .log_cache = 3 };
	struct cli *c, *quiet;

	assert_int_equal(mgmt_open(&x->m, &x->loop, &conf, &x->ops), 0);
	mgmt_broadcast_log(x->m, 1001, "I", "one");
	mgmt_broadcast_log(x->m, 1002, "", "two");
	mgmt_broadcast_log(x->m, 1003, "W", "three");
	mgmt_broadcast_log(x->m, 1004, "D", "four\nwith a newline");
	c = cli_unix(x);
	quiet = cli_unix(x);
	assert_true(cli_wait(x, c, GREETING));
	assert_true(cli_wait(x, quiet, GREETING));
	cli_clear(c);
	cli_clear(quiet);

	/* 2.6 order: p[1] then p[2]; the cache keeps the last three */
	cli_send(c, "log on all\n");
	assert_true(cli_wait(x, c, "END\r\n"));
	assert_string_equal(c->buf, "SUCCESS: real-time log notification set to ON\r\n"
	    "1002,,two\r\n1003,W,three\r\n1004,D,four_with a newline\r\nEND\r\n");
	cli_clear(c);
	mgmt_broadcast_log(x->m, 1005, "N", "five");
	assert_true(cli_wait(x, c, ">LOG:1005,N,five\r\n"));
	cli_clear(c);

	cli_send(c, "log 2\n");
	assert_true(cli_wait(x, c, "END\r\n"));
	assert_string_equal(c->buf, "1004,D,four_with a newline\r\n1005,N,five\r\nEND\r\n");
	cli_clear(c);

	cli_send(c, "log off\n");
	assert_true(cli_wait(x, c, "OFF\r\n"));
	mgmt_broadcast_log(x->m, 1006, "", "six");
	cli_send(c, "log foo\n");
	assert_true(cli_wait(x, c, "ERROR: log parameter must be 'on' or 'off' or some number n "
	    "or 'all'\r\n"));
	assert_null(strstr(c->buf, "six"));
	/* a session that never said `log on` got no live line at all */
	cli_send(quiet, "log 1\n");
	assert_true(cli_wait(x, quiet, "END\r\n"));
	assert_string_equal(quiet->buf, "1006,,six\r\nEND\r\n");
	assert_int_equal(x->f.nexec, 0);
}

static void
test_state_and_echo(void **state)
{
	struct fx *x = *state;
	struct cli *c;

	open_unix(x, NULL);
	c = cli_unix(x);
	assert_true(cli_wait(x, c, GREETING));
	cli_clear(c);
	cli_send(c, "state\n");
	assert_true(cli_wait(x, c, "END\r\n"));
	assert_string_equal(c->buf, "END\r\n");
	cli_clear(c);
	mgmt_broadcast_state(x->m, 1795287573, "CONNECTING,,,,,,");
	mgmt_broadcast_state(x->m, 1795287573, "CONNECTED,SUCCESS,10.8.0.1,,,192.0.2.1,1194,");
	cli_send(c, "state\n");
	assert_true(cli_wait(x, c, "END\r\n"));
	assert_string_equal(c->buf,
	    "1795287573,CONNECTED,SUCCESS,10.8.0.1,,,192.0.2.1,1194,\r\nEND\r\n");
	cli_clear(c);
	cli_send(c, "state all on\n");
	assert_true(cli_wait(x, c, "ON\r\n"));
	assert_string_equal(c->buf, "1795287573,CONNECTING,,,,,,\r\n"
	    "1795287573,CONNECTED,SUCCESS,10.8.0.1,,,192.0.2.1,1194,\r\nEND\r\n"
	    "SUCCESS: real-time state notification set to ON\r\n");
	cli_clear(c);
	mgmt_broadcast_state(x->m, 1795287600, "EXITING,SIGTERM,,,,,,");
	assert_true(cli_wait(x, c, ">STATE:1795287600,EXITING,SIGTERM,,,,,,\r\n"));
	cli_clear(c);
	cli_send(c, "echo all\necho on\n");
	assert_true(cli_wait(x, c, "ON\r\n"));
	assert_string_equal(c->buf, "END\r\nSUCCESS: real-time echo notification set to ON\r\n");
	assert_int_equal(x->f.nexec, 0);
}

static void
test_bytecount(void **state)
{
	struct fx *x = *state;
	struct cli *c;
	uint64_t t0;
	int n;

	open_unix(x, NULL);
	c = cli_unix(x);
	assert_true(cli_wait(x, c, GREETING));
	cli_clear(c);
	t0 = mtime_now();
	cli_send(c, "bytecount 1\n");
	assert_true(cli_wait(x, c, "SUCCESS: bytecount interval changed\r\n"));
	assert_true(cli_wait(x, c, ">BYTECOUNT_CLI:0,200,200\r\n"));
	assert_true(mtime_now() - t0 >= MTIME_SEC(2));
	assert_string_equal(c->buf, "SUCCESS: bytecount interval changed\r\n"
	    ">BYTECOUNT_CLI:0,100,200\r\n>BYTECOUNT_CLI:1,7,8\r\n"
	    ">BYTECOUNT_CLI:0,200,200\r\n>BYTECOUNT_CLI:1,7,8\r\n");
	cli_clear(c);
	cli_send(c, "bytecount 0\n");
	assert_true(cli_wait(x, c, "SUCCESS: bytecount interval changed\r\n"));
	n = x->f.nbytecount;
	/* a full interval and a bit passes without a report */
	assert_false(pump_until(x, c, ">BYTECOUNT", false, MTIME_MSEC(1200)));
	assert_int_equal(x->f.nbytecount, n);
	assert_int_equal(x->f.nexec, 0);
}

static void
test_too_many_sessions(void **state)
{
	struct fx *x = *state;
	struct cli *c[MGMT_MAX_SESSIONS], *extra;
	int i;

	open_unix(x, NULL);
	for (i = 0; i < MGMT_MAX_SESSIONS; i++) {
		c[i] = cli_unix(x);
		assert_true(cli_wait(x, c[i], GREETING));
	}
	assert_int_equal(mgmt_nsessions(x->m), MGMT_MAX_SESSIONS);
	extra = cli_unix(x);
	assert_true(cli_wait_eof(x, extra));
	assert_string_equal(extra->buf, "ERROR: too many management sessions\r\n");
	assert_int_equal(mgmt_nsessions(x->m), MGMT_MAX_SESSIONS);
	/* the others still work; once one leaves there is room again */
	cli_send(c[3], "pid\n");
	assert_true(cli_wait(x, c[3], "SUCCESS: pid=4\r\n"));
	cli_send(c[0], "quit\n");
	assert_true(cli_wait_eof(x, c[0]));
	spin(x, 3);
	assert_int_equal(mgmt_nsessions(x->m), MGMT_MAX_SESSIONS - 1);
	extra = cli_unix(x);
	assert_true(cli_wait(x, extra, GREETING));
	assert_int_equal(mgmt_nsessions(x->m), MGMT_MAX_SESSIONS);
}

static void
test_quit_and_half_close_flush(void **state)
{
	struct fx *x = *state;
	struct cli *a, *b;

	open_unix(x, NULL);
	a = cli_unix(x);
	b = cli_unix(x);
	assert_true(cli_wait(x, a, GREETING));
	assert_true(cli_wait(x, b, GREETING));
	cli_clear(a);
	cli_clear(b);
	/* replies queued before quit are delivered, then the socket closes */
	cli_send(a, "pid\ntest 3000\nquit\npid\n");
	assert_true(cli_wait_eof(x, a));
	assert_true(strncmp(a->buf, "SUCCESS: pid=1\r\n[0] ", 20) == 0);
	assert_non_null(strstr(a->buf, "[2999] The purpose"));
	assert_int_equal(strlen(strstr(a->buf, "[2999]")),
	    strlen("[2999] The purpose of this command is to generate large amounts of output.\r\n"));
	/* `echo status | nc -N`: the peer shuts its side and still gets the reply */
	cli_send(b, "pid\n");
	assert_int_equal(shutdown(b->fd, SHUT_WR), 0);
	assert_true(cli_wait_eof(x, b));
	assert_string_equal(b->buf, "SUCCESS: pid=2\r\n");
	spin(x, 3);
	assert_int_equal(mgmt_nsessions(x->m), 0);
	assert_int_equal(x->f.nclosed, 2);
}

static void
test_peer_not_reading(void **state)
{
	struct fx *x = *state;
	struct cli *slow, *ok;
	char text[1800];
	uint64_t t0;
	int i;

	open_unix(x, NULL);
	slow = cli_unix(x);
	ok = cli_unix(x);
	assert_true(cli_wait(x, slow, GREETING));
	assert_true(cli_wait(x, ok, GREETING));
	cli_send(slow, "log on\n");
	assert_true(cli_wait(x, slow, "ON\r\n"));
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	/* about 20 MB for a peer that takes nothing: past MGMT_OUT_MAX */
	for (i = 0; i < 11000 && mgmt_nsessions(x->m) == 2; i++)
		mgmt_broadcast_log(x->m, 1, "", text);
	assert_true(i * sizeof(text) > MGMT_OUT_MAX);
	assert_true(i * sizeof(text) < MGMT_OUT_MAX + 2 * sizeof(text) + (4 << 20));
	assert_int_equal(mgmt_nsessions(x->m), 1);
	spin(x, 3);
	assert_int_equal(x->f.nclosed, 1);
	assert_int_equal(x->f.closed_id, 1);
	assert_non_null(strstr(read_log(x), "session 1 (unix) closed: output queue full"));
	/* whatever the kernel buffered arrives, then EOF */
	t0 = mtime_now();
	while (!slow->eof && mtime_now() - t0 < BOUND) {
		cli_clear(slow);
		cli_drain(slow);
	}
	assert_true(slow->eof);
	cli_send(ok, "pid\n");
	assert_true(cli_wait(x, ok, "SUCCESS: pid=2\r\n"));
}

static void
address_fn(void *arg, struct mgmt_sess_ref *s)
{
	int *calls = arg;

	(*calls)++;
	mgmtsess_client_address(mgmt_session(s), 9, "10.8.0.2", true);
}

static void
test_foreach_and_flush(void **state)
{
	struct fx *x = *state;
	struct cli *a, *b, *u;
	struct mgmt_sess_ref *r;
	int calls = 0;

	open_unix(x, PW);
	a = cli_login(x, false);
	u = cli_unix(x);
	assert_true(cli_wait(x, u, PROMPT));
	b = cli_login(x, false);
	/* written outside exec, sent by mgmt_flush */
	r = mgmt_session_find(x->m, 1);
	assert_non_null(r);
	assert_null(mgmt_session_find(x->m, 99));
	mgmtsess_notify(mgmt_session(r), "NOTIFY", "info,remote-exit,EXIT");
	mgmt_flush(x->m, r);
	assert_true(cli_wait(x, a, ">NOTIFY:info,remote-exit,EXIT\r\n"));
	cli_clear(a);
	/* foreach reaches the authenticated sessions only */
	mgmt_foreach(x->m, address_fn, &calls);
	assert_int_equal(calls, 2);
	assert_true(cli_wait(x, a, ">CLIENT:ADDRESS,9,10.8.0.2,1\r\n"));
	assert_true(cli_wait(x, b, ">CLIENT:ADDRESS,9,10.8.0.2,1\r\n"));
	spin(x, 3);
	cli_drain(u);
	assert_string_equal(u->buf, PROMPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_greeting_and_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_path_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_three_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_and_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytecount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quit_and_half_close_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_not_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_and_flush, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
