/*
 * test_replay.c - sliding replay window (doc §5.3, §8.4).
 *
 * A numbered table of {id, now, expected} steps in the style of WireGuard's
 * counter selftest (each accepted id is committed with replay_update), window
 * edges, id 0, huge jumps, bitmap aliasing at the 1024 boundary, the time
 * window, (time << 32 | id) control ids, and a long random run checked
 * against a trivial reference (a plain "seen" array).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "mtime.h"
#include "replay.h"

struct step {
	uint64_t id;
	uint64_t now;
	int expect;
};

#define OK 0
#define NO ERR_REPLAY

static void
run_table(struct replay *r, const struct step *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = replay_check(r, t[i].id, t[i].now);

		if (rc != t[i].expect)
			fail_msg("step %zu: id %llu: got %d, want %d", i + 1,
				 (unsigned long long)t[i].id, rc, t[i].expect);
		if (rc == 0)
			replay_update(r, t[i].id, t[i].now);
	}
}

static void
test_table_w64(void **state)
{
	/* window 64, no time limit */
	static const struct step t[] = {
		/*  1 */ { 0, 0, NO },
		/*  2 */ { 1, 0, OK },
		/*  3 */ { 1, 0, NO },
		/*  4 */ { 9, 0, OK },
		/*  5 */ { 8, 0, OK },
		/*  6 */ { 7, 0, OK },
		/*  7 */ { 7, 0, NO },
		/*  8 */ { 64, 0, OK },
		/*  9 */ { 1, 0, NO },     /* in window (63 behind), seen */
		/* 10 */ { 2, 0, OK },     /* 62 behind, unseen */
		/* 11 */ { 65, 0, OK },
		/* 12 */ { 2, 0, NO },
		/* 13 */ { 3, 0, OK },     /* 62 behind */
		/* 14 */ { 1, 0, NO },     /* 64 behind: just outside */
		/* 15 */ { 0, 0, NO },
		/* 16 */ { 1000, 0, OK },
		/* 17 */ { 937, 0, OK },   /* 63 behind: last id inside */
		/* 18 */ { 936, 0, NO },   /* 64 behind */
		/* 19 */ { 937, 0, NO },
		/* 20 */ { 999, 0, OK },
		/* 21 */ { 1000, 0, NO },  /* the highest itself */
		/* 22 */ { 1001, 0, OK },
		/* 23 */ { 937, 0, NO },   /* now 64 behind */
		/* 24 */ { 1000 + 5 * REPLAY_WINDOW_MAX, 0, OK },  /* huge jump */
		/* 25 */ { 1001, 0, NO },
		/* 26 */ { 1000 + 5 * REPLAY_WINDOW_MAX - 1, 0, OK },
		/* 27 */ { 1000 + 5 * REPLAY_WINDOW_MAX - 63, 0, OK },
		/* 28 */ { 1000 + 5 * REPLAY_WINDOW_MAX - 64, 0, NO },
		/* 29 */ { UINT64_C(1) << 32, 0, NO },  /* low 32 bits zero: id 0 of a series */
		/* 30 */ { (UINT64_C(1) << 32) + 1, 0, OK },
		/* 31 */ { UINT64_MAX, 0, OK },
		/* 32 */ { UINT64_MAX, 0, NO },
		/* 33 */ { UINT64_MAX - 1, 0, OK },
		/* 34 */ { UINT64_MAX - 63, 0, OK },
		/* 35 */ { UINT64_MAX - 64, 0, NO },
		/* 36 */ { 1, 0, NO },
	};
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, 64, 0), 0);
	run_table(&r, t, sizeof(t) / sizeof(t[0]));
}

static void
test_table_w1(void **state)
{
	/* window 1: only strictly increasing ids */
	static const struct step t[] = {
		/* 1 */ { 5, 0, OK },
		/* 2 */ { 5, 0, NO },
		/* 3 */ { 4, 0, NO },
		/* 4 */ { 7, 0, OK },
		/* 5 */ { 6, 0, NO },
		/* 6 */ { 8, 0, OK },
	};
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, 1, 0), 0);
	run_table(&r, t, sizeof(t) / sizeof(t[0]));
}

/* Window 1024 uses every bit: ids REPLAY_WINDOW_MAX apart share a bit, and
   advancing must clear the bits it passes so an old id never hides a new one. */
static void
test_alias_1024(void **state)
{
	static const struct step t[] = {
		/*  1 */ { 10, 0, OK },
		/*  2 */ { 12, 0, OK },
		/*  3 */ { 1034, 0, OK },  /* 10 + 1024: 10 is now outside */
		/*  4 */ { 10, 0, NO },
		/*  5 */ { 11, 0, OK },    /* exactly 1023 behind, and unseen ... */
		/*  6 */ { 11, 0, NO },    /* ... once */
		/*  7 */ { 1040, 0, OK },  /* passes 1035..1040: the bits of 11..16 */
		/*  8 */ { 1036, 0, OK },  /* below H, shares seen 12's bit: must be clear */
		/*  9 */ { 1035, 0, OK },  /* shares seen 11's bit */
		/* 10 */ { 1036, 0, NO },
		/* 11 */ { 1040 + 1024, 0, OK },  /* jump of exactly 1024 clears all */
		/* 12 */ { 1036 + 1024, 0, OK },  /* shares seen 1036's bit */
		/* 13 */ { 1036 + 1024, 0, NO },
		/* 14 */ { 1041, 0, OK },         /* 1023 behind */
		/* 15 */ { 1040, 0, NO },         /* 1024 behind */
	};
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, REPLAY_WINDOW_MAX, 0), 0);
	run_table(&r, t, sizeof(t) / sizeof(t[0]));
}

static void
test_time_window(void **state)
{
	static const struct step t[] = {
		/*  1 */ { 100, MTIME_SEC(0), OK },
		/*  2 */ { 99, MTIME_SEC(10), OK },
		/*  3 */ { 98, MTIME_SEC(15), OK },       /* exactly 15 s after 100 */
		/*  4 */ { 97, MTIME_SEC(15) + 1, NO },   /* too late */
		/*  5 */ { 101, MTIME_SEC(20), OK },      /* above: always fine */
		/*  6 */ { 97, MTIME_SEC(21), OK },       /* 101 is recent */
		/*  7 */ { 96, MTIME_SEC(36), NO },
		/*  8 */ { 150, MTIME_SEC(100), OK },
		/*  9 */ { 86, MTIME_SEC(100), NO },      /* time fine, 64 behind */
		/* 10 */ { 87, MTIME_SEC(100), OK },
		/* 11 */ { 148, 0, OK },                  /* clock before H's time: not "late" */
	};
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, 64, MTIME_SEC(15)), 0);
	run_table(&r, t, sizeof(t) / sizeof(t[0]));

	/* Time window 0: no time limit at all. */
	assert_int_equal(replay_init(&r, 64, 0), 0);
	replay_update(&r, 100, 0);
	assert_int_equal(replay_check(&r, 50, MTIME_SEC(1000000)), 0);
}

/* tls-auth/tls-crypt replay field as (time << 32 | id) (doc §5.3). */
static void
test_control_ids(void **state)
{
#define CID(t, i) (((uint64_t)(t) << 32) | (uint32_t)(i))
	static const struct step s[] = {
		/* 1 */ { CID(1700000000, 0), 0, NO },   /* id 0 in any series */
		/* 2 */ { CID(1700000000, 1), 0, OK },
		/* 3 */ { CID(1700000000, 3), 0, OK },
		/* 4 */ { CID(1700000000, 2), 0, OK },
		/* 5 */ { CID(1700000000, 2), 0, NO },
		/* 6 */ { CID(1700000001, 1), 0, OK },   /* later time: new series */
		/* 7 */ { CID(1700000000, 4), 0, NO },   /* earlier time: refused */
		/* 8 */ { CID(1700000001, 0xffffffff), 0, OK },
		/* 9 */ { CID(1699999999, 0xffffffff), 0, NO },
		/* 10 */ { CID(1700000001, 2), 0, NO },  /* far behind 0xffffffff */
	};
#undef CID
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, 64, MTIME_SEC(15)), 0);
	run_table(&r, s, sizeof(s) / sizeof(s[0]));
}

static void
test_init_and_purity(void **state)
{
	struct replay r, copy;

	(void)state;
	assert_int_equal(replay_init(&r, 0, 0), ERR_RANGE);
	assert_int_equal(replay_init(&r, REPLAY_WINDOW_MAX + 1, 0), ERR_RANGE);
	assert_int_equal(replay_init(&r, UINT32_MAX, 0), ERR_RANGE);
	assert_int_equal(replay_init(&r, REPLAY_WINDOW_MAX, 0), 0);
	assert_int_equal(replay_init(&r, 64, MTIME_SEC(15)), 0);
	replay_update(&r, 10, 5);
	replay_update(&r, 8, 6);
	/* check never changes state, whatever it answers */
	memcpy(&copy, &r, sizeof(r));
	assert_int_equal(replay_check(&r, 9, 7), 0);
	assert_int_equal(replay_check(&r, 8, 7), ERR_REPLAY);
	assert_int_equal(replay_check(&r, 1000, 7), 0);
	assert_int_equal(replay_check(&r, 0, 7), ERR_REPLAY);
	assert_memory_equal(&copy, &r, sizeof(r));
	/* update of a refused id changes nothing either */
	replay_update(&r, 8, 7);
	replay_update(&r, 0, 7);
	assert_memory_equal(&copy, &r, sizeof(r));
}

/* Deterministic xorshift, so a failure reproduces. */
static uint64_t
rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Against a reference that remembers every id it ever accepted. */
static void
check_random(uint32_t window, uint64_t seed)
{
	enum { N_IDS = 40000, STEPS = 200000 };
	struct replay r;
	uint8_t *seen = calloc(N_IDS + 2048, 1);
	uint64_t s = seed, high = 0, base = 1;
	size_t i;

	assert_non_null(seen);
	assert_int_equal(replay_init(&r, window, 0), 0);
	for (i = 0; i < STEPS; i++) {
		uint64_t id, v = rng(&s);
		bool want;
		int rc;

		/* Mostly near the front, sometimes far behind, sometimes ahead. */
		switch (v % 8) {
		case 0:
			id = base + (v >> 8) % 2048;
			break;
		case 1:
			id = (v >> 8) % (base + 1);
			break;
		default:
			id = base > window ? base - window + (v >> 8) % (window + 4) : (v >> 8) % (window + 4);
			break;
		}
		if (id >= N_IDS + 2048)
			break;
		want = id != 0 && !seen[id] && (id > high || high - id < window);
		rc = replay_check(&r, id, 0);
		if ((rc == 0) != want)
			fail_msg("window %u step %zu id %llu high %llu: got %d", window, i,
				 (unsigned long long)id, (unsigned long long)high, rc);
		if (rc == 0) {
			replay_update(&r, id, 0);
			seen[id] = 1;
			if (id > high)
				high = id;
		}
		if (v % 3 == 0 && base < N_IDS)
			base++;
	}
	assert_true(high > N_IDS / 2);
	free(seen);
}

static void
test_random_vs_reference(void **state)
{
	(void)state;
	check_random(64, 0x9e3779b97f4a7c15u);
	check_random(1, 0x1234567u);
	check_random(100, 0xdeadbeefu);
	check_random(REPLAY_WINDOW_MAX, 0xc0ffeeu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_w64),
		cmocka_unit_test(test_table_w1),
		cmocka_unit_test(test_alias_1024),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_control_ids),
		cmocka_unit_test(test_init_and_purity),
		cmocka_unit_test(test_random_vs_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
