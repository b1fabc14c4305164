/*
 * test_pool.c - the subnet pool: bounds from `server NET MASK`, lowest-free
 * allocation, exhaustion, static reservation, release, and an allocation
 * sequence checked against a simple reference set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "addr.h"
#include "err.h"
#include "pool.h"

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, false, &p), 0);
	return p;
}

static struct addr
ad(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void
test_bounds(void **state)
{
	struct prefix p;
	struct pool pool;

	p = pfx("10.8.0.0/24");
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	{
		struct addr g = ad("10.8.0.1");
		assert_true(addr_eq(&pool.gateway, &g));
	}
	assert_int_equal(pool.size, 253);   /* .2 .. .254 */
	pool_free(&pool);

	p = pfx("10.8.0.0/30");
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), ERR_RANGE);
	p = pfx("10.0.0.0/15");
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), ERR_RANGE);
	p = pfx("fd00::/64");
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), ERR_RANGE);
	p = pfx("10.8.0.0/29");
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	assert_int_equal(pool.size, 5);
	pool_free(&pool);
}

static void
test_alloc_release(void **state)
{
	struct prefix p = pfx("10.8.0.0/29");
	struct pool pool;
	struct addr a, want;
	uint32_t idx;
	int i;

	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	for (i = 0; i < 5; i++) {
		char s[16];

		assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
		snprintf(s, sizeof(s), "10.8.0.%d", i + 2);
		want = ad(s);
		assert_true(addr_eq(&a, &want));
		assert_int_equal(idx, i);
	}
	assert_int_equal(pool_alloc(&pool, &a, &idx), ERR_FULL);
	assert_int_equal(pool.used, 5);
	want = ad("10.8.0.4");
	assert_int_equal(pool_release(&pool, &want), 0);
	assert_int_equal(pool_release(&pool, &want), ERR_NOTFOUND);
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	assert_true(addr_eq(&a, &want));
	/* gateway, network, broadcast and foreign addresses are not in the pool */
	want = ad("10.8.0.1");
	assert_false(pool_index(&pool, &want, &idx));
	want = ad("10.8.0.7");
	assert_false(pool_index(&pool, &want, &idx));
	want = ad("10.9.0.2");
	assert_int_equal(pool_release(&pool, &want), ERR_NOTFOUND);
	assert_int_equal(pool_reserve(&pool, &want, &idx), ERR_RANGE);
	pool_free(&pool);
}

static void
test_reserve(void **state)
{
	struct prefix p = pfx("10.8.0.0/24");
	struct pool pool;
	struct addr a, s = ad("10.8.0.2");
	uint32_t idx;

	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	assert_int_equal(pool_reserve(&pool, &s, &idx), 0);
	assert_int_equal(pool_reserve(&pool, &s, &idx), ERR_EXISTS);
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	s = ad("10.8.0.3");
	assert_true(addr_eq(&a, &s));
	pool_free(&pool);
}

/* Random alloc/release against a reference array across word boundaries. */
static void
test_against_reference(void **state)
{
	struct prefix p = pfx("10.8.0.0/22");
	struct pool pool;
	bool ref[1021];
	struct addr a;
	uint32_t idx, i;
	int step;

	memset(ref, 0, sizeof(ref));
	srand(7);
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	assert_int_equal(pool.size, 1021);
	for (step = 0; step < 20000; step++) {
		if (rand() % 3 != 0) {
			int r = pool_alloc(&pool, &a, &idx);
			uint32_t lowest = 0;

			while (lowest < pool.size && ref[lowest])
				lowest++;
			if (lowest == pool.size) {
				assert_int_equal(r, ERR_FULL);
				continue;
			}
			assert_int_equal(r, 0);
			assert_int_equal(idx, lowest);
			ref[idx] = true;
		} else {
			i = (uint32_t)rand() % pool.size;
			addr_from_v4(pool.first + i, &a);
			assert_int_equal(pool_release(&pool, &a), ref[i] ? 0 : ERR_NOTFOUND);
			ref[i] = false;
		}
	}
	for (i = 0, idx = 0; i < pool.size; i++)
		idx += ref[i];
	assert_int_equal(pool.used, idx);
	pool_free(&pool);
}

/* doc §13, verified on the wire with 2.6: net30 gives 10.8.0.6 (peer .5),
 * then 10.8.0.10 (peer .9); p2p gives 10.8.0.4, 10.8.0.5 (peer .1). */
static void
test_net30_and_p2p(void **state)
{
	struct prefix p = pfx("10.8.0.0/24");
	struct pool pool;
	struct addr a, peer, want;
	uint32_t idx;

	assert_int_equal(pool_init(&pool, &p, TOPO_NET30), 0);
	assert_int_equal(pool.size, 62);              /* 64 blocks less the first and last */
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	want = ad("10.8.0.6");
	assert_true(addr_eq(&a, &want));
	pool_peer_addr(&pool, &a, &peer);
	want = ad("10.8.0.5");
	assert_true(addr_eq(&peer, &want));
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	want = ad("10.8.0.10");
	assert_true(addr_eq(&a, &want));
	assert_int_equal(idx, 1);
	/* only b+2 of a block is a pool address */
	want = ad("10.8.0.9");
	assert_false(pool_index(&pool, &want, &idx));
	want = ad("10.8.0.250");
	assert_true(pool_index(&pool, &want, &idx));
	assert_int_equal(idx, 61);
	want = ad("10.8.0.254");
	assert_false(pool_index(&pool, &want, &idx));
	pool_free(&pool);
	/* a /29 has no net30 block left for clients */
	p = pfx("10.8.0.0/29");
	assert_int_equal(pool_init(&pool, &p, TOPO_NET30), ERR_RANGE);

	p = pfx("10.8.0.0/24");
	assert_int_equal(pool_init(&pool, &p, TOPO_P2P), 0);
	assert_int_equal(pool.size, 248);             /* .4 .. .251 */
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	want = ad("10.8.0.4");
	assert_true(addr_eq(&a, &want));
	pool_peer_addr(&pool, &a, &peer);
	want = ad("10.8.0.1");
	assert_true(addr_eq(&peer, &want));
	want = ad("10.8.0.251");
	assert_true(pool_index(&pool, &want, &idx));
	want = ad("10.8.0.252");
	assert_false(pool_index(&pool, &want, &idx));
	pool_free(&pool);
}

/* doc §13: server-ipv6 fd00:8::/64 gives fd00:8::1000, ::1001, ...; /112
 * and longer start at P+2; v6 addresses share the IPv4 index. */
static void
test_ipv6(void **state)
{
	struct prefix p = pfx("10.8.0.0/24"), p6;
	struct pool pool;
	struct addr a, a6, want;
	uint32_t idx, idx6;

	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	p6 = pfx("fd00:8::/64");
	assert_int_equal(pool_add_ipv6(&pool, &p6), 0);
	want = ad("fd00:8::1");
	assert_true(addr_eq(&pool.gateway6, &want));
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	assert_int_equal(pool_alloc(&pool, &a, &idx), 0);
	pool_addr6(&pool, idx, &a6);
	want = ad("fd00:8::1001");
	assert_true(addr_eq(&a6, &want));
	assert_true(pool_index(&pool, &a6, &idx6));
	assert_int_equal(idx6, idx);
	want = ad("fd00:8::fff");
	assert_false(pool_index(&pool, &want, &idx6));
	want = ad("fd00:9::1000");
	assert_false(pool_index(&pool, &want, &idx6));
	want = ad("fd00:8::1000:0:0:1000");
	assert_false(pool_index(&pool, &want, &idx6));
	pool_free(&pool);

	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	p6 = pfx("fd00:8::/112");
	assert_int_equal(pool_add_ipv6(&pool, &p6), 0);
	pool_addr6(&pool, 0, &a6);
	want = ad("fd00:8::2");
	assert_true(addr_eq(&a6, &want));
	pool_free(&pool);
	/* a /124 has 14 addresses left: not enough for 253 IPv4 clients */
	assert_int_equal(pool_init(&pool, &p, TOPO_SUBNET), 0);
	p6 = pfx("fd00:8::/124");
	assert_int_equal(pool_add_ipv6(&pool, &p6), ERR_RANGE);
	p6 = pfx("fd00:8::/60");
	assert_int_equal(pool_add_ipv6(&pool, &p6), ERR_RANGE);
	pool_free(&pool);
}

static bool
avoid_even(const struct addr *a, void *arg)
{
	(*(unsigned *)arg)++;
	return (addr_v4(a) & 1) == 0;
}

/* sticky leases: free addresses others hold are skipped until nothing else is left */
static void
test_alloc_avoid(void **state)
{
	struct pool p;
	struct prefix net;
	struct addr a;
	uint32_t idx, i;
	unsigned calls = 0;

	(void)state;
	assert_int_equal(prefix_parse("10.9.0.0/29", false, &net), 0);
	assert_int_equal(pool_init(&p, &net, TOPO_SUBNET), 0);   /* .2 .. .6 */
	assert_int_equal(pool_alloc_avoid(&p, avoid_even, &calls, &a, &idx), 0);
	assert_int_equal(addr_v4(&a) & 0xff, 3);
	assert_int_equal(pool_alloc_avoid(&p, avoid_even, &calls, &a, &idx), 0);
	assert_int_equal(addr_v4(&a) & 0xff, 5);
	assert_int_equal(pool_alloc_avoid(&p, avoid_even, &calls, &a, &idx), ERR_FULL);
	assert_true(calls > 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(pool_alloc(&p, &a, &idx), 0);
	assert_int_equal(pool_alloc_avoid(&p, NULL, NULL, &a, &idx), ERR_FULL);
	assert_int_equal(p.used, 5);
	pool_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_alloc_release),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_net30_and_p2p),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_alloc_avoid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
