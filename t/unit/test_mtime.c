/*
 * test_mtime.c - the clock reads: monotonic time never goes back, is in
 * microseconds, and the unit macros agree with each other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "mtime.h"

static void
test_units(void **state)
{
	assert_true(MTIME_SEC(1) == UINT64_C(1000000));
	assert_true(MTIME_MSEC(1500) == MTIME_SEC(1) + MTIME_MSEC(500));
	assert_true(MTIME_NEVER > MTIME_SEC(UINT32_MAX));
}

static void
test_monotonic(void **state)
{
	uint64_t a, b;
	int i;

	a = mtime_now();
	for (i = 0; i < 100000; i++) {
		b = mtime_now();
		assert_true(b >= a);
		a = b;
	}
}

static void
test_wall_plausible(void **state)
{
	uint64_t w = mtime_wall_sec();
	time_t t = time(NULL);

	assert_true(w + 2 >= (uint64_t)t && w <= (uint64_t)t + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_wall_plausible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
