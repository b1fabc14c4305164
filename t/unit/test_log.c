/*
 * test_log.c - verbosity mapping and the token-bucket limiter that guards
 * every log line a packet can trigger (P22), driven by a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "mtime.h"

static void
test_verb_mapping(void **state)
{
	assert_int_equal(log_level_from_verb(0), LL_ERR);
	assert_int_equal(log_level_from_verb(-3), LL_ERR);
	assert_int_equal(log_level_from_verb(1), LL_INFO);
	assert_int_equal(log_level_from_verb(3), LL_INFO);
	assert_int_equal(log_level_from_verb(4), LL_DEBUG);
	assert_int_equal(log_level_from_verb(11), LL_TRACE);
	log_setup("test", LL_WARN);
	assert_true(log_enabled(LL_ERR));
	assert_true(log_enabled(LL_WARN));
	assert_false(log_enabled(LL_INFO));
}

static void
test_burst_then_rate(void **state)
{
	struct log_rl rl;
	uint64_t now = MTIME_SEC(1000);
	unsigned i, allowed = 0;

	log_rl_init(&rl, 5, 2);
	for (i = 0; i < 100; i++)
		allowed += log_rl_allow(&rl, now);
	assert_int_equal(allowed, 5);
	assert_int_equal(rl.suppressed, 95);

	/* half a second buys exactly one line at 2 per second */
	now += MTIME_MSEC(500);
	assert_true(log_rl_allow(&rl, now));
	assert_false(log_rl_allow(&rl, now));

	/* a long silence refills to the burst, never beyond */
	now += MTIME_SEC(3600);
	for (i = 0, allowed = 0; i < 100; i++)
		allowed += log_rl_allow(&rl, now);
	assert_int_equal(allowed, 5);
}

/* Sustained flood: output is bounded by burst + rate x time. */
static void
test_flood_bound(void **state)
{
	struct log_rl rl;
	uint64_t now = MTIME_SEC(5);
	unsigned i, allowed = 0;

	log_rl_init(&rl, 10, 2);
	for (i = 0; i < 100000; i++) {
		now += 100;   /* 10,000 events a second for 10 s */
		allowed += log_rl_allow(&rl, now);
	}
	assert_true(allowed >= 10 + 2 * 10 - 1);
	assert_true(allowed <= 10 + 2 * 10 + 1);
}

/* A clock that goes backwards (it must not, but) never mints tokens. */
static void
test_clock_backwards(void **state)
{
	struct log_rl rl;
	unsigned i, allowed = 0;

	log_rl_init(&rl, 3, 1);
	for (i = 0; i < 10; i++)
		allowed += log_rl_allow(&rl, MTIME_SEC(100) - i);
	assert_int_equal(allowed, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verb_mapping),
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_flood_bound),
		cmocka_unit_test(test_clock_backwards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
