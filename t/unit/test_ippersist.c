/*
 * test_ippersist.c - the ifconfig-pool-persist file: lines as OpenVPN 2.6
 * writes and reads them (src/openvpn/pool.c: ifconfig_pool_list() writes
 * "%s,%s,%s" with empty fields for an absent pool, ifconfig_pool_read()
 * splits on ','), hostile lines refused, atomic save.
 *
 * Files live in a mkdtemp() directory under TMPDIR (or /tmp), removed at
 * the end.  The read-only-directory test needs the kernel to refuse the
 * write: as root, CAP_DAC_OVERRIDE is dropped from the effective set for
 * the duration of that call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addr.h"
#include "err.h"
#include "ippersist.h"

static char tdir[256];

static void
path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tdir, name);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Whole file into a malloc'd NUL-terminated string. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static int
count_tmp_files(void)
{
	DIR *d = opendir(tdir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp.") != NULL)
			n++;
	closedir(d);
	return n;
}

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* ---- parsing ---- */

static void
test_parse_good(void **state)
{
	struct ipp_entry e;
	char err[96];
	struct addr x;

	(void)state;
	/* as 2.6 writes: v4 pool only (trailing comma), both, v6 only */
	assert_int_equal(ipp_parse_line("alice,10.8.0.2,", &e, err, sizeof(err)), 0);
	assert_string_equal(e.cn, "alice");
	x = A("10.8.0.2");
	assert_true(addr_eq(&e.v4, &x));
	assert_int_equal(e.v6.family, 0);

	assert_int_equal(ipp_parse_line("bob,10.8.0.3,fd00:8::1001", &e, err, sizeof(err)), 0);
	assert_string_equal(e.cn, "bob");
	x = A("fd00:8::1001");
	assert_true(addr_eq(&e.v6, &x));
	assert_int_equal(e.v4.family, AF_INET);

	assert_int_equal(ipp_parse_line("carol,,fd00:8::1002", &e, err, sizeof(err)), 0);
	assert_int_equal(e.v4.family, 0);
	assert_int_equal(e.v6.family, AF_INET6);

	/* 2.4-style two-field line is still read */
	assert_int_equal(ipp_parse_line("dave,10.8.0.4", &e, err, sizeof(err)), 0);
	assert_string_equal(e.cn, "dave");
	assert_int_equal(e.v6.family, 0);

	/* CN with spaces, dots, '@', UTF-8; exactly 64 bytes */
	assert_int_equal(ipp_parse_line("J. Doe @ \xc3\xa9x,10.8.0.5,", &e, err, sizeof(err)), 0);
	assert_string_equal(e.cn, "J. Doe @ \xc3\xa9x");
	assert_int_equal(ipp_parse_line(
	    "0123456789012345678901234567890123456789012345678901234567890123,10.8.0.6,",
	    &e, err, sizeof(err)), 0);
	assert_int_equal(strlen(e.cn), 64);

	/* blank and comment lines */
	assert_int_equal(ipp_parse_line("", &e, err, sizeof(err)), ERR_NOTFOUND);
	assert_int_equal(ipp_parse_line("   \t", &e, err, sizeof(err)), ERR_NOTFOUND);
	assert_int_equal(ipp_parse_line("# alice,10.8.0.2,", &e, err, sizeof(err)), ERR_NOTFOUND);
	assert_int_equal(ipp_parse_line(";x", &e, err, sizeof(err)), ERR_NOTFOUND);
}

static void
test_parse_hostile(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "alice", "missing address field" },
		{ "alice,", "no address" },
		{ "alice,,", "no address" },
		{ ",10.8.0.2,", "empty common name" },
		{ "alice,10.8.0.2,fd00::1,x", "too many fields" },
		{ "a,b,10.8.0.2,", "too many fields" },      /* CN with a comma, as 2.6 writes it */
		{ "alice,10.8.0.256,", "bad IPv4 address" },
		{ "alice,10.8.0,", "bad IPv4 address" },
		{ "alice,010.8.0.2,", "bad IPv4 address" },
		{ "alice, 10.8.0.2,", "bad IPv4 address" },
		{ "alice,10.8.0.2 ,", "bad IPv4 address" },
		{ "alice,host.example,", "bad IPv4 address" },
		{ "alice,10.8.0.0/24,", "bad IPv4 address" },
		{ "alice,fd00::2,", "IPv6 address in the IPv4 field" },
		{ "alice,,10.8.0.2", "IPv4 address in the IPv6 field" },
		{ "alice,,fd00::g", "bad IPv6 address" },
		{ "alice,10.8.0.2,fd00:0:0:0:0:0:0:0:1", "bad IPv6 address" },
		{ "01234567890123456789012345678901234567890123456789012345678901234,10.8.0.2,",
		  "common name longer than 64 bytes" },
		{ "al\tice,10.8.0.2,", "control character in common name" },
		{ "al\rice,10.8.0.2,", "control character in common name" },
		{ "al\x7fice,10.8.0.2,", "control character in common name" },
	};
	struct ipp_entry e, keep;
	char err[96];
	char *big;
	size_t i;

	(void)state;
	memset(&keep, 0xa5, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = keep;
		assert_int_equal(ipp_parse_line(bad[i].line, &e, err, sizeof(err)), ERR_MALFORMED);
		assert_string_equal(err, bad[i].why);
		/* output untouched on failure */
		assert_memory_equal(&e, &keep, sizeof(e));
	}

	/* 100 kB lines: an enormous CN, an enormous address, endless commas */
	big = malloc(100 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'A', 100 * 1024);
	big[100 * 1024] = '\0';
	assert_int_equal(ipp_parse_line(big, &e, err, sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "missing address field");
	big[10] = ',';
	assert_int_equal(ipp_parse_line(big, &e, err, sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "bad IPv4 address");
	big[10 * 1024] = ',';
	assert_int_equal(ipp_parse_line(big, &e, err, sizeof(err)), ERR_MALFORMED);
	memset(big, ',', 100 * 1024);
	assert_int_equal(ipp_parse_line(big, &e, err, sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "empty common name");
	memset(big, 'B', 100 * 1024);
	big[100 * 1024 - 10] = ',';
	assert_int_equal(ipp_parse_line(big, &e, err, sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "common name longer than 64 bytes");
	free(big);

	/* a NULL or tiny err buffer is fine */
	assert_int_equal(ipp_parse_line("x", &e, NULL, 0), ERR_MALFORMED);
	assert_int_equal(ipp_parse_line("x", &e, err, 1), ERR_MALFORMED);
	assert_string_equal(err, "");
}

/* ---- table ---- */

static void
test_set_get_holder(void **state)
{
	struct ippersist p;
	const struct ipp_entry *e;
	struct addr a1 = A("10.8.0.2"), a2 = A("10.8.0.3"), s1 = A("fd00::2"), s2 = A("fd00::3");
	struct addr junk;

	(void)state;
	ipp_init(&p);
	assert_false(p.dirty);
	assert_null(ipp_get(&p, "alice"));
	assert_null(ipp_holder(&p, &a1));

	assert_int_equal(ipp_set(&p, "alice", &a1, &s1), 0);
	assert_true(p.dirty);
	e = ipp_get(&p, "alice");
	assert_non_null(e);
	assert_true(addr_eq(&e->v4, &a1));
	assert_true(addr_eq(&e->v6, &s1));
	assert_string_equal(ipp_holder(&p, &a1), "alice");
	assert_string_equal(ipp_holder(&p, &s1), "alice");
	assert_null(ipp_holder(&p, &a2));

	/* same again: nothing changed, stays clean */
	p.dirty = false;
	assert_int_equal(ipp_set(&p, "alice", &a1, &s1), 0);
	assert_false(p.dirty);
	/* stray bytes past the IPv4 length do not count as a change */
	junk = a1;
	junk.b[10] = 0x55;
	assert_int_equal(ipp_set(&p, "alice", &junk, &s1), 0);
	assert_false(p.dirty);
	/* v6 NULL: recorded as none */
	assert_int_equal(ipp_set(&p, "alice", &a1, NULL), 0);
	assert_true(p.dirty);
	assert_int_equal(ipp_get(&p, "alice")->v6.family, 0);
	assert_null(ipp_holder(&p, &s1));

	/* bob takes alice's IPv4: it moves, alice is left with nothing and goes */
	assert_int_equal(ipp_set(&p, "bob", &a2, &s2), 0);
	p.dirty = false;
	assert_int_equal(ipp_set(&p, "carol", &a1, NULL), 0);
	assert_true(p.dirty);
	assert_string_equal(ipp_holder(&p, &a1), "carol");
	assert_null(ipp_get(&p, "alice"));
	assert_int_equal(p.n, 2);

	/* carol takes only bob's IPv6: bob keeps his IPv4 */
	assert_int_equal(ipp_set(&p, "carol", &a1, &s2), 0);
	assert_string_equal(ipp_holder(&p, &s2), "carol");
	e = ipp_get(&p, "bob");
	assert_non_null(e);
	assert_true(addr_eq(&e->v4, &a2));
	assert_int_equal(e->v6.family, 0);

	/* refused: bad names, wrong families, no address at all */
	p.dirty = false;
	assert_int_equal(ipp_set(&p, "a,b", &a1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p, "", &a1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p, NULL, &a1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p, "a\nb", &a1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p, "#x", &a1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p,
	    "01234567890123456789012345678901234567890123456789012345678901234", &a1, NULL),
	    ERR_INVAL);
	assert_int_equal(ipp_set(&p, "dave", &s1, NULL), ERR_INVAL);
	assert_int_equal(ipp_set(&p, "dave", &a1, &a2), ERR_INVAL);
	assert_int_equal(ipp_set(&p, "dave", NULL, NULL), ERR_INVAL);
	assert_false(p.dirty);
	assert_string_equal(ipp_holder(&p, &a1), "carol");
	assert_null(ipp_holder(&p, NULL));
	memset(&junk, 0, sizeof(junk));
	assert_null(ipp_holder(&p, &junk));

	ipp_free(&p);
	assert_int_equal(p.n, 0);
	ipp_free(&p);   /* twice is harmless */
}

static void
test_many_entries(void **state)
{
	struct ippersist p;
	char cn[32];
	struct addr a;
	uint32_t i;

	(void)state;
	ipp_init(&p);
	for (i = 0; i < 1000; i++) {
		snprintf(cn, sizeof(cn), "client%u", (unsigned)i);
		addr_from_v4(0x0a080000u + 2 + i, &a);
		assert_int_equal(ipp_set(&p, cn, &a, NULL), 0);
	}
	assert_int_equal(p.n, 1000);
	addr_from_v4(0x0a080000u + 2 + 777, &a);
	assert_string_equal(ipp_holder(&p, &a), "client777");
	assert_non_null(ipp_get(&p, "client999"));
	ipp_free(&p);
}

/* ---- files ---- */

static void
test_save_format_and_round_trip(void **state)
{
	struct ippersist p, q;
	struct addr a1 = A("10.8.0.10"), a2 = A("10.8.0.3"), s2 = A("fd00:8::1001"),
	    s3 = A("fd00:8::1002");
	char path[300];
	struct stat st;
	char *s;
	size_t i;
	mode_t old;

	(void)state;
	path_in(path, sizeof(path), "ipp.txt");
	unlink(path);
	ipp_init(&p);
	assert_int_equal(ipp_set(&p, "zed", &a1, NULL), 0);
	assert_int_equal(ipp_set(&p, "bob", &a2, &s2), 0);
	assert_int_equal(ipp_set(&p, "carol", NULL, &s3), 0);
	assert_true(p.dirty);

	/* a permissive umask must not leak into the file's mode */
	old = umask(0);
	assert_int_equal(ipp_save(&p, path), 0);
	umask(old);
	assert_false(p.dirty);
	assert_int_equal(count_tmp_files(), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* byte for byte what 2.6 writes: both commas always, LF, address order */
	s = read_file(path);
	assert_string_equal(s,
	    "bob,10.8.0.3,fd00:8::1001\n"
	    "zed,10.8.0.10,\n"
	    "carol,,fd00:8::1002\n");
	free(s);

	ipp_init(&q);
	assert_int_equal(ipp_load(&q, path), 0);
	assert_false(q.dirty);
	assert_int_equal(q.n, p.n);
	for (i = 0; i < p.n; i++) {
		const struct ipp_entry *e = ipp_get(&q, p.e[i].cn);

		assert_non_null(e);
		assert_memory_equal(e, &p.e[i], sizeof(*e));
	}
	ipp_free(&q);

	/* an empty table writes an empty file */
	ipp_free(&p);
	ipp_init(&p);
	assert_int_equal(ipp_save(&p, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	ipp_free(&p);
	unlink(path);
}

static void
test_load_missing_and_mixed(void **state)
{
	static const char file[] =
	    "alice,10.8.0.2,\r\n"                       /* CRLF accepted */
	    "\n"
	    "# comment\n"
	    "bad line\n"
	    "mallory,fd00::9,\n"
	    "bob,10.8.0.3,fd00::3\n"
	    "x\0y,10.8.0.9,\n"                          /* NUL in a line */
	    "carol,10.8.0.2,\n"                         /* later line takes alice's */
	    "dave,,fd00::4";                            /* no final newline */
	struct ippersist p;
	struct addr a = A("10.8.0.2");
	char path[300], logpath[300], want[400], *big, *log;
	size_t n;
	int saved, fd, r;

	(void)state;
	path_in(path, sizeof(path), "missing.txt");
	unlink(path);
	ipp_init(&p);
	assert_int_equal(ipp_load(&p, path), 0);
	assert_int_equal(p.n, 0);
	assert_false(p.dirty);

	path_in(path, sizeof(path), "mixed.txt");
	write_file(path, file, sizeof(file) - 1);
	/* the log goes to stderr: catch it to check the FILE:LINE form */
	path_in(logpath, sizeof(logpath), "log.txt");
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	r = ipp_load(&p, path);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(r, 0);
	log = read_file(logpath);
	snprintf(want, sizeof(want), "%s:4: missing address field, skipped", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:5: IPv6 address in the IPv4 field, skipped", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:7: NUL byte in line, skipped", path);
	assert_non_null(strstr(log, want));
	free(log);
	assert_int_equal(p.n, 3);
	assert_false(p.dirty);
	assert_string_equal(ipp_holder(&p, &a), "carol");
	assert_null(ipp_get(&p, "alice"));
	assert_null(ipp_get(&p, "mallory"));
	assert_null(ipp_get(&p, "x"));
	assert_non_null(ipp_get(&p, "bob"));
	assert_non_null(ipp_get(&p, "dave"));
	ipp_free(&p);

	/* a 100 kB line among good ones is skipped without harm */
	n = 100 * 1024;
	big = malloc(n + 64);
	assert_non_null(big);
	memset(big, 'C', n);
	memcpy(big + n, ",10.8.0.7,\nerin,10.8.0.8,\n", 26);
	path_in(path, sizeof(path), "big.txt");
	write_file(path, big, n + 26);
	free(big);
	ipp_init(&p);
	assert_int_equal(ipp_load(&p, path), 0);
	assert_int_equal(p.n, 1);
	assert_non_null(ipp_get(&p, "erin"));
	ipp_free(&p);

	/* a path that exists but cannot be read as a file */
	ipp_init(&p);
	assert_int_equal(ipp_load(&p, tdir), ERR_SYS);
	ipp_free(&p);
}

/* Set or clear CAP_DAC_OVERRIDE (and READ_SEARCH) in the effective set.
 * false if the capability calls are unavailable. */
static bool
dac_override(bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	if (on)
		d[0].effective |= bits & d[0].permitted;
	else
		d[0].effective &= ~bits;
	return syscall(SYS_capset, &h, d) == 0;
}

static void
test_save_readonly_dir(void **state)
{
	struct ippersist p;
	struct addr a = A("10.8.0.2"), b = A("10.8.0.3");
	char sub[300], path[320], *s;
	bool dropped;
	int r, e;

	(void)state;
	path_in(sub, sizeof(sub), "ro");
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/ipp.txt", sub);
	ipp_init(&p);
	assert_int_equal(ipp_set(&p, "alice", &a, NULL), 0);
	assert_int_equal(ipp_save(&p, path), 0);

	assert_int_equal(ipp_set(&p, "bob", &b, NULL), 0);
	assert_true(p.dirty);
	assert_int_equal(chmod(sub, 0500), 0);
	dropped = geteuid() == 0 ? dac_override(false) : true;
	assert_true(dropped);
	errno = 0;
	r = ipp_save(&p, path);
	e = errno;
	if (geteuid() == 0)
		assert_true(dac_override(true));
	assert_int_equal(chmod(sub, 0700), 0);

	assert_int_equal(r, ERR_SYS);
	assert_int_equal(e, EACCES);
	assert_true(p.dirty);
	s = read_file(path);
	assert_string_equal(s, "alice,10.8.0.2,\n");
	free(s);

	/* and once writable again it goes through, leaving no temp file */
	assert_int_equal(ipp_save(&p, path), 0);
	s = read_file(path);
	assert_string_equal(s, "alice,10.8.0.2,\nbob,10.8.0.3,\n");
	free(s);
	{
		DIR *d = opendir(sub);
		struct dirent *de;
		int n = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		assert_int_equal(n, 1);
	}
	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/nope/ipp.txt", sub);
	errno = 0;
	assert_int_equal(ipp_save(&p, path), ERR_SYS);
	assert_int_equal(errno, ENOENT);
	assert_false(p.dirty);   /* clean since the save above; a failure leaves it */
	ipp_free(&p);
	snprintf(path, sizeof(path), "%s/ipp.txt", sub);
	unlink(path);
	rmdir(sub);
}

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tdir, sizeof(tdir), "%s/test_ipp.XXXXXX", t != NULL && t[0] != '\0' ? t : "/tmp");
	return mkdtemp(tdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_set_get_holder),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_save_format_and_round_trip),
		cmocka_unit_test(test_load_missing_and_mixed),
		cmocka_unit_test(test_save_readonly_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
