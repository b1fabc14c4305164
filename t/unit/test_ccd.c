/*
 * test_ccd.c - client-config-dir files: the CN must be a plain file name,
 * DIR/DEFAULT stands in for a missing DIR/CN, directives parse into the
 * struct, and bad files fail with FILE:LINE (the caller refuses the client).
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

#include "ccd.h"
#include "err.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
drop(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_ccd.XXXXXX");
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	drop("alice");
	drop("DEFAULT");
	return rmdir(dir);
}

static void
test_hostile_names(void **state)
{
	static const char *const bad[] = { "", ".", "..", ".hidden", "../etc", "a/b" };
	struct ccd c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ccd_load(dir, bad[i], &c, err, sizeof(err)), ERR_CONFIG);
}

static void
test_file_and_default(void **state)
{
	struct ccd c;
	char err[256];

	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), 0);
	assert_false(c.found);
	put("DEFAULT", "push \"route 172.16.0.0 255.255.0.0\"\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), 0);
	assert_true(c.found);
	assert_int_equal(c.n_push, 1);
	ccd_free(&c);
	put("alice", "# static\nifconfig-push 10.8.0.50 255.255.255.0\npush-reset\n"
	    "push \"dhcp-option DNS 10.8.0.1\"\npush \"route 10.9.0.0 255.255.0.0\"\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), 0);
	assert_true(c.found && c.has_ifconfig && c.push_reset && !c.disable);
	assert_int_equal(c.n_push, 2);
	assert_string_equal(c.push[1], "route 10.9.0.0 255.255.0.0");
	ccd_free(&c);
	put("alice", "disable\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), 0);
	assert_true(c.disable);
	ccd_free(&c);
}

static void
test_bad_files(void **state)
{
	struct ccd c;
	char err[256];
	char big[8192];
	size_t i, n = 0;

	put("alice", "ifconfig-push 10.8.0.50\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "alice:1:"));
	put("alice", "push \"a,b\"\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	put("alice", "iroute 10.20.0.0 255.255.0.0\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "not supported yet"));
	put("alice", "ifconfig-push fd00::1 255.255.255.0\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "push \"route 10.%zu.0.0 255.255.0.0\"\n", i);
	put("alice", big);
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "more than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_file_and_default),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
