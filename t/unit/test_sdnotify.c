/*
 * test_sdnotify.c - sd_notify without libsystemd: each message arrives as
 * exactly one datagram with exactly the bytes sd_notify(3) specifies, at a
 * filesystem or abstract socket; nothing happens without NOTIFY_SOCKET;
 * addresses and watchdog values outside the protocol are refused.
 *
 * The test plays systemd with its own bound datagram socket.  A datagram
 * is queued by the time sendto() returns, so receiving with MSG_DONTWAIT
 * needs no waiting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "sdnotify.h"

struct fixture {
	char dir[64];
	char path[128];
	int rfd;            /* our "systemd" */
};

static int
setup(void **state)
{
	static struct fixture f;
	struct sockaddr_un sa;
	int one = 1;

	snprintf(f.dir, sizeof(f.dir), "/tmp/sdnotify-XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	snprintf(f.path, sizeof(f.path), "%s/notify", f.dir);
	if ((f.rfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(f.path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, f.path, strlen(f.path) + 1);
	if (bind(f.rfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	/* as systemd does: it identifies the sender by its credentials */
	if (setsockopt(f.rfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close(f->rfd);
	unlink(f->path);
	rmdir(f->dir);
	return 0;
}

/* Next datagram, NUL-terminated; -1 when none is queued.  *pid = sender. */
static ssize_t
recv_one(int fd, char *buf, size_t len, pid_t *pid)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = { buf, len - 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = c.b;
	mh.msg_controllen = sizeof(c.b);
	if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) < 0)
		return -1;
	buf[n] = '\0';
	if (pid != NULL) {
		*pid = 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
				*pid = uc.pid;
			}
	}
	assert_false(mh.msg_flags & MSG_TRUNC);
	return n;
}

static void
expect_msg(int fd, const char *want)
{
	char buf[8192];
	pid_t pid;
	ssize_t n = recv_one(fd, buf, sizeof(buf), &pid);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(pid, getpid());
}

static void
expect_none(int fd)
{
	char buf[64];

	assert_int_equal(recv_one(fd, buf, sizeof(buf), NULL), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ---------------- address parsing ---------------- */

static void
test_parse_addr(void **state)
{
	struct sockaddr_un sa;
	socklen_t len;
	char s[sizeof(sa.sun_path) + 2];

	assert_int_equal(sdnotify_parse_addr("/run/systemd/notify", &sa, &len), 0);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_string_equal(sa.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);

	assert_int_equal(sdnotify_parse_addr("@abc", &sa, &len), 0);
	assert_int_equal(sa.sun_path[0], '\0');
	assert_memory_equal(sa.sun_path + 1, "abc", 3);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 4);   /* no NUL */

	/* longest path: 107 bytes + NUL; 108 bytes would leave no NUL */
	memset(s, 'a', sizeof(s));
	s[0] = '/';
	s[sizeof(sa.sun_path) - 1] = '\0';
	assert_int_equal(sdnotify_parse_addr(s, &sa, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_un));
	s[sizeof(sa.sun_path) - 1] = 'a';
	s[sizeof(sa.sun_path)] = '\0';
	assert_int_equal(sdnotify_parse_addr(s, &sa, &len), ERR_OVERFLOW);
	s[sizeof(sa.sun_path) + 1] = '\0';
	s[sizeof(sa.sun_path)] = 'a';
	assert_int_equal(sdnotify_parse_addr(s, &sa, &len), ERR_OVERFLOW);

	/* longest abstract name: 107 bytes after the NUL, filling sun_path */
	s[0] = '@';
	s[sizeof(sa.sun_path)] = '\0';
	assert_int_equal(sdnotify_parse_addr(s, &sa, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_un));
	s[sizeof(sa.sun_path)] = 'a';
	s[sizeof(sa.sun_path) + 1] = '\0';
	assert_int_equal(sdnotify_parse_addr(s, &sa, &len), ERR_OVERFLOW);

	assert_int_equal(sdnotify_parse_addr("", &sa, &len), ERR_INVAL);
	assert_int_equal(sdnotify_parse_addr(NULL, &sa, &len), ERR_INVAL);
	assert_int_equal(sdnotify_parse_addr("@", &sa, &len), ERR_INVAL);
	assert_int_equal(sdnotify_parse_addr("run/notify", &sa, &len), ERR_INVAL);
	assert_int_equal(sdnotify_parse_addr("vsock:2:1234", &sa, &len), ERR_UNSUPPORTED);
}

/* ---------------- watchdog ---------------- */

static void
test_parse_watchdog(void **state)
{
	uint64_t iv = 99;

	assert_int_equal(sdnotify_parse_watchdog(NULL, NULL, 100, &iv), 0);
	assert_true(iv == 0);
	assert_int_equal(sdnotify_parse_watchdog("30000000", NULL, 100, &iv), 0);
	assert_true(iv == 15000000);
	assert_int_equal(sdnotify_parse_watchdog("30000000", "100", 100, &iv), 0);
	assert_true(iv == 15000000);
	/* for another pid: not ours, no watchdog, no error */
	assert_int_equal(sdnotify_parse_watchdog("30000000", "101", 100, &iv), 0);
	assert_true(iv == 0);
	/* tiny values still give a usable interval */
	assert_int_equal(sdnotify_parse_watchdog("1", NULL, 100, &iv), 0);
	assert_true(iv == 1);
	assert_int_equal(sdnotify_parse_watchdog("9223372036854775808", NULL, 100, &iv), 0);
	assert_true(iv == UINT64_C(4611686018427387904));
}

static void
test_parse_watchdog_bad(void **state)
{
	static const struct { const char *usec, *pid; int rc; } bad[] = {
		{ "", NULL, ERR_MALFORMED },
		{ "0", NULL, ERR_RANGE },
		{ "-5", NULL, ERR_MALFORMED },
		{ "+5", NULL, ERR_MALFORMED },
		{ " 5", NULL, ERR_MALFORMED },
		{ "5 ", NULL, ERR_MALFORMED },
		{ "5s", NULL, ERR_MALFORMED },
		{ "0x10", NULL, ERR_MALFORMED },
		{ "infinity", NULL, ERR_MALFORMED },
		{ "9223372036854775809", NULL, ERR_RANGE },
		{ "18446744073709551615", NULL, ERR_RANGE },    /* USEC_INFINITY */
		{ "18446744073709551616", NULL, ERR_RANGE },    /* overflows */
		{ "99999999999999999999999", NULL, ERR_RANGE },
		{ "1000", "", ERR_MALFORMED },
		{ "1000", "abc", ERR_MALFORMED },
		{ "1000", "-1", ERR_MALFORMED },
		{ "1000", "0", ERR_RANGE },
		{ "1000", "4294967397", ERR_RANGE },   /* would truncate to pid 101 */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t iv = 99;

		assert_int_equal(sdnotify_parse_watchdog(bad[i].usec, bad[i].pid, 101, &iv),
		    bad[i].rc);
		assert_true(iv == 0);
	}
}

/* ---------------- sending ---------------- */

static void
test_unset_is_noop(void **state)
{
	struct sdnotify n;

	assert_int_equal(sdnotify_open(&n, NULL, "1000000", NULL), 0);
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(n.fd, -1);
	assert_true(n.watchdog_interval == 0);   /* nobody to send it to */
	assert_int_equal(sdnotify_ready(&n), 0);
	assert_int_equal(sdnotify_reloading(&n, 5), 0);
	assert_int_equal(sdnotify_stopping(&n), 0);
	assert_int_equal(sdnotify_watchdog(&n), 0);
	assert_int_equal(sdnotify_status(&n, "x %d", 1), 0);
	assert_int_equal(sdnotify_open(&n, "", NULL, NULL), 0);
	assert_false(sdnotify_enabled(&n));
	sdnotify_close(&n);
	sdnotify_close(&n);   /* idempotent */
}

static void
test_messages_exact(void **state)
{
	struct fixture *f = *state;
	struct sdnotify n;

	assert_int_equal(sdnotify_open(&n, f->path, "20000000", NULL), 0);
	assert_true(sdnotify_enabled(&n));
	assert_true(n.watchdog_interval == 10000000);
	assert_int_equal(sdnotify_ready(&n), 0);
	assert_int_equal(sdnotify_reloading(&n, UINT64_C(1234567890123)), 0);
	assert_int_equal(sdnotify_ready(&n), 0);
	assert_int_equal(sdnotify_watchdog(&n), 0);
	assert_int_equal(sdnotify_status(&n, "%u clients, %s", 3u, "pool 10.8.0.0/24"), 0);
	assert_int_equal(sdnotify_stopping(&n), 0);
	assert_int_equal(sdnotify_send(&n, "EXTEND_TIMEOUT_USEC=5000000"), 0);

	expect_msg(f->rfd, "READY=1");
	expect_msg(f->rfd, "RELOADING=1\nMONOTONIC_USEC=1234567890123");
	expect_msg(f->rfd, "READY=1");
	expect_msg(f->rfd, "WATCHDOG=1");
	expect_msg(f->rfd, "STATUS=3 clients, pool 10.8.0.0/24");
	expect_msg(f->rfd, "STOPPING=1");
	expect_msg(f->rfd, "EXTEND_TIMEOUT_USEC=5000000");
	expect_none(f->rfd);
	sdnotify_close(&n);
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(sdnotify_ready(&n), 0);
	expect_none(f->rfd);
}

/* A client-chosen string inside STATUS must not become READY=1 etc. */
static void
test_status_sanitised_and_capped(void **state)
{
	struct fixture *f = *state;
	char big[SDNOTIFY_STATUS_MAX * 2], want[SDNOTIFY_STATUS_MAX + 16];
	struct sdnotify n;

	assert_int_equal(sdnotify_open(&n, f->path, NULL, NULL), 0);
	assert_int_equal(sdnotify_status(&n, "cn=%s", "evil\nREADY=1\r\tx\x7f"), 0);
	expect_msg(f->rfd, "STATUS=cn=evil READY=1  x ");

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_status(&n, "%s", big), 0);
	snprintf(want, sizeof(want), "STATUS=%.*s", SDNOTIFY_STATUS_MAX, big);
	expect_msg(f->rfd, want);

	/* a cut inside a UTF-8 sequence drops the partial character */
	memset(big, 'z', SDNOTIFY_STATUS_MAX - 1);
	memcpy(big + SDNOTIFY_STATUS_MAX - 1, "\xc3\xb6tail", 7);
	assert_int_equal(sdnotify_status(&n, "%s", big), 0);
	snprintf(want, sizeof(want), "STATUS=%.*s", SDNOTIFY_STATUS_MAX - 1, big);
	expect_msg(f->rfd, want);

	/* exactly the cap: kept whole, UTF-8 included */
	memset(big, 'z', SDNOTIFY_STATUS_MAX - 2);
	memcpy(big + SDNOTIFY_STATUS_MAX - 2, "\xc3\xb6", 3);
	assert_int_equal(sdnotify_status(&n, "%s", big), 0);
	snprintf(want, sizeof(want), "STATUS=%.*s", SDNOTIFY_STATUS_MAX, big);
	expect_msg(f->rfd, want);
	expect_none(f->rfd);
	sdnotify_close(&n);
}

static void
test_abstract_socket(void **state)
{
	struct sockaddr_un sa;
	struct sdnotify n;
	char name[64], env[72];
	socklen_t len;
	int fd, one = 1;

	/* the pid keeps concurrent runs apart (abstract names are per netns) */
	snprintf(name, sizeof(name), "ovpn-sdnotify-test-%ld", (long)getpid());
	snprintf(env, sizeof(env), "@%s", name);
	assert_int_equal(sdnotify_parse_addr(env, &sa, &len), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);

	assert_int_equal(sdnotify_open(&n, env, NULL, NULL), 0);
	assert_int_equal(sdnotify_ready(&n), 0);
	expect_msg(fd, "READY=1");
	expect_none(fd);
	sdnotify_close(&n);

	/* the length is part of an abstract address: a socket bound with a
	 * trailing NUL counted is not the one "@name" means */
	close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len + 1), 0);
	assert_int_equal(sdnotify_open(&n, env, NULL, NULL), 0);
	assert_int_equal(sdnotify_ready(&n), ERR_SYS);
	assert_int_equal(errno, ECONNREFUSED);
	expect_none(fd);
	sdnotify_close(&n);
	close(fd);
}

static void
test_open_errors(void **state)
{
	struct fixture *f = *state;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct sdnotify n;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(sdnotify_open(&n, path, NULL, NULL), ERR_OVERFLOW);
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(sdnotify_ready(&n), 0);
	assert_int_equal(sdnotify_open(&n, "notify", NULL, NULL), ERR_INVAL);
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(sdnotify_open(&n, f->path, "soon", NULL), ERR_MALFORMED);
	assert_false(sdnotify_enabled(&n));
	assert_true(n.watchdog_interval == 0);
	assert_int_equal(sdnotify_open(&n, f->path, "0", NULL), ERR_RANGE);
	assert_false(sdnotify_enabled(&n));
	/* watchdog for another process: notify works, no watchdog */
	assert_int_equal(sdnotify_open(&n, f->path, "1000", "1"), 0);
	assert_true(sdnotify_enabled(&n));
	assert_true(n.watchdog_interval == 0);
	sdnotify_close(&n);
	expect_none(f->rfd);
}

static void
test_send_errors(void **state)
{
	struct fixture *f = *state;
	char gone[160], big[4098];
	struct sdnotify n;
	int i, rc = 0;

	/* systemd gone: the error surfaces, nothing blocks or crashes */
	snprintf(gone, sizeof(gone), "%s/absent", f->dir);
	assert_int_equal(sdnotify_open(&n, gone, NULL, NULL), 0);
	assert_int_equal(sdnotify_ready(&n), ERR_SYS);
	assert_int_equal(errno, ENOENT);
	sdnotify_close(&n);

	assert_int_equal(sdnotify_open(&n, f->path, NULL, NULL), 0);
	assert_int_equal(sdnotify_send(&n, NULL), ERR_INVAL);
	assert_int_equal(sdnotify_send(&n, ""), ERR_INVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_send(&n, big), ERR_INVAL);
	big[4096] = '\0';
	assert_int_equal(sdnotify_send(&n, big), 0);
	expect_msg(f->rfd, big);

	/* a receiver that does not read: the queue fills and we get ERR_AGAIN
	 * instead of blocking the event loop */
	for (i = 0; i < 100000 && (rc = sdnotify_watchdog(&n)) == 0; i++)
		;
	assert_int_equal(rc, ERR_AGAIN);
	assert_true(i > 0);
	while (i-- > 0)
		expect_msg(f->rfd, "WATCHDOG=1");
	expect_none(f->rfd);
	sdnotify_close(&n);
}

static void
test_open_env_clears(void **state)
{
	struct fixture *f = *state;
	struct sdnotify n;
	char pid[24];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("NOTIFY_SOCKET", f->path, 1), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "3000000", 1), 0);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(sdnotify_open_env(&n), 0);
	assert_true(sdnotify_enabled(&n));
	assert_true(n.watchdog_interval == 1500000);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
	assert_int_equal(sdnotify_ready(&n), 0);
	expect_msg(f->rfd, "READY=1");
	/* the socket does not leak into executed hooks */
	assert_true(fcntl(n.fd, F_GETFD) & FD_CLOEXEC);
	sdnotify_close(&n);

	/* unset: disabled, still cleared */
	assert_int_equal(sdnotify_open_env(&n), 0);
	assert_false(sdnotify_enabled(&n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_watchdog),
		cmocka_unit_test(test_parse_watchdog_bad),
		cmocka_unit_test(test_unset_is_noop),
		cmocka_unit_test(test_messages_exact),
		cmocka_unit_test(test_status_sanitised_and_capped),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_open_env_clears),
	};

	unsetenv("NOTIFY_SOCKET");
	return cmocka_run_group_tests_name("sdnotify", tests, setup, teardown);
}
