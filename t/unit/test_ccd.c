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
	put("alice", "iroute 10.20.0.0 255.0.255.0\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "contiguous"));
	put("alice", "iroute 0.0.0.0 0.0.0.0\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	put("alice", "iroute-ipv6 10.0.0.0/8\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	put("alice", "group \"a b\"\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	put("alice", "group ''\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	put("alice", "ifconfig-push fd00::1 255.255.255.0\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "push \"route 10.%zu.0.0 255.255.0.0\"\n", i);
	put("alice", big);
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "more than"));
}

/* iroutes (networks behind a client) and groups, and a hook's dynamic
 * file adding to what the ccd file gave */
static void
test_iroute_group(void **state)
{
	struct ccd c;
	char err[256], s[PREFIX_STR_MAX];
	static const char dyn[] = "group ops\niroute 172.20.0.0 255.255.255.0\n";

	put("alice", "iroute 10.20.1.7 255.255.0.0\niroute 10.30.0.5\niroute-ipv6 fd00:20::/48\n"
	    "group engineering\ngroup ops\ngroup engineering\n");
	assert_int_equal(ccd_load(dir, "alice", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_iroute, 3);
	prefix_format(&c.iroute[0], s, sizeof(s));
	assert_string_equal(s, "10.20.0.0/16");         /* host bits dropped, as 2.6 does */
	prefix_format(&c.iroute[1], s, sizeof(s));
	assert_string_equal(s, "10.30.0.5/32");
	prefix_format(&c.iroute[2], s, sizeof(s));
	assert_string_equal(s, "fd00:20::/48");
	assert_int_equal(c.n_groups, 2);                /* duplicates collapse */
	assert_string_equal(c.groups[0], "engineering");
	assert_string_equal(c.groups[1], "ops");
	assert_int_equal(ccd_load_buf("dyn", dyn, sizeof(dyn) - 1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_groups, 2);
	assert_int_equal(c.n_iroute, 4);
	assert_int_equal(ccd_load_buf("dyn", "bogus 1\n", 8, &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "dyn:1:"));
	ccd_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_file_and_default),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_iroute_group),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
