/*
 * test_rtable.c - the route table: several origins on one prefix with the
 * preferred one active (shadowing, promotion on removal), bulk removal of
 * a peer's iroutes, longest-prefix lookup in both families, walk order,
 * the generation counter, error codes, and the kind/origin names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "err.h"
#include "rtable.h"

static struct prefix
P(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, true, &p), 0);
	return p;
}

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct rt_entry
E(const char *dst, enum rt_origin o, enum rt_target tg, unsigned net, uint32_t peer)
{
	struct rt_entry e;

	memset(&e, 0, sizeof(e));
	e.dst = P(dst);
	e.origin = o;
	e.target = tg;
	e.net = net;
	e.peer_id = peer;
	return e;
}

static void
test_shadow_and_promote(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry cfg = E("10.20.0.0/16", RT_ORIGIN_CONFIG, RT_TARGET_NET, 1, 0);
	struct rt_entry lrn = E("10.20.0.0/16", RT_ORIGIN_LEARNED, RT_TARGET_NET, 2, 0);
	const struct rt_entry *got;
	struct prefix p = P("10.20.0.0/16");
	struct addr a = A("10.20.3.4");

	assert_non_null(t);
	cfg.kind = RT_KIND_VPC;
	strcpy(cfg.desc, "prod vpc");
	lrn.gw = A("192.0.2.1");
	lrn.since = 1000;

	/* Learned first, then config: config still wins. */
	assert_int_equal(rt_add(t, &lrn), 0);
	got = rt_exact(t, &p);
	assert_non_null(got);
	assert_int_equal(got->origin, RT_ORIGIN_LEARNED);
	assert_int_equal(got->since, 1000);
	assert_true(addr_eq(&got->gw, &lrn.gw));
	assert_int_equal(rt_add(t, &cfg), 0);
	got = rt_lookup(t, &a);
	assert_non_null(got);
	assert_int_equal(got->origin, RT_ORIGIN_CONFIG);
	assert_int_equal(got->net, 1);
	assert_int_equal(got->kind, RT_KIND_VPC);
	assert_string_equal(got->desc, "prod vpc");
	assert_int_equal(rt_count(t), 2);

	/* Withdrawing the learned route leaves config active. */
	assert_int_equal(rt_del(t, &lrn), 0);
	got = rt_lookup(t, &a);
	assert_int_equal(got->origin, RT_ORIGIN_CONFIG);
	assert_int_equal(rt_count(t), 1);
	assert_int_equal(rt_del(t, &lrn), ERR_NOTFOUND);

	/* Back again; now deleting config promotes the learned one. */
	assert_int_equal(rt_add(t, &lrn), 0);
	assert_int_equal(rt_exact(t, &p)->origin, RT_ORIGIN_CONFIG);
	assert_int_equal(rt_del(t, &cfg), 0);
	got = rt_lookup(t, &a);
	assert_non_null(got);
	assert_int_equal(got->origin, RT_ORIGIN_LEARNED);
	assert_int_equal(got->net, 2);
	assert_int_equal(rt_del(t, &lrn), 0);
	assert_null(rt_lookup(t, &a));
	assert_null(rt_exact(t, &p));
	assert_int_equal(rt_count(t), 0);
	rt_free(t);
}

static void
test_preference_order(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry l1 = E("2001:db8:5::/48", RT_ORIGIN_LEARNED, RT_TARGET_NET, 1, 0);
	struct rt_entry l2 = E("2001:db8:5::/48", RT_ORIGIN_LEARNED, RT_TARGET_NET, 2, 0);
	struct rt_entry c7 = E("2001:db8:5::/48", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 7);
	struct rt_entry c8 = E("2001:db8:5::/48", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 8);
	struct prefix p = P("2001:db8:5::/48");

	/* Same origin: first come, first preferred. */
	assert_int_equal(rt_add(t, &l2), 0);
	assert_int_equal(rt_add(t, &l1), 0);
	assert_int_equal(rt_exact(t, &p)->net, 2);
	/* A client iroute beats learned, and the earlier client wins. */
	assert_int_equal(rt_add(t, &c8), 0);
	assert_int_equal(rt_add(t, &c7), 0);
	assert_int_equal(rt_exact(t, &p)->peer_id, 8);
	assert_int_equal(rt_del(t, &c8), 0);
	assert_int_equal(rt_exact(t, &p)->peer_id, 7);
	assert_int_equal(rt_del(t, &c7), 0);
	assert_int_equal(rt_exact(t, &p)->net, 2);
	assert_int_equal(rt_del(t, &l2), 0);
	assert_int_equal(rt_exact(t, &p)->net, 1);
	rt_free(t);
}

static void
test_errors_and_generation(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry e = E("192.0.2.0/24", RT_ORIGIN_CONFIG, RT_TARGET_NET, 0, 0);
	struct rt_entry x;
	uint64_t g0, g;

	g0 = rt_generation(t);
	assert_int_equal(rt_add(t, &e), 0);
	g = rt_generation(t);
	assert_true(g > g0);

	/* Same identity (host bits ignored): refused, nothing changes. */
	x = e;
	x.dst = P("192.0.2.9/24");
	x.kind = RT_KIND_SITE;
	assert_int_equal(rt_add(t, &x), ERR_EXISTS);
	assert_int_equal(rt_generation(t), g);
	assert_int_equal(rt_count(t), 1);
	assert_int_equal(rt_exact(t, &e.dst)->kind, RT_KIND_NONE);

	/* Any identity field differing makes it a separate entry. */
	x = e;
	x.net = 1;
	assert_int_equal(rt_add(t, &x), 0);
	assert_true(rt_generation(t) > g);
	g = rt_generation(t);
	x = e;
	x.target = RT_TARGET_BLACKHOLE;
	assert_int_equal(rt_add(t, &x), 0);
	assert_int_equal(rt_count(t), 3);
	assert_true(rt_generation(t) > g);
	g = rt_generation(t);

	/* Misses do not count as changes. */
	x = e;
	x.origin = RT_ORIGIN_LEARNED;
	assert_int_equal(rt_del(t, &x), ERR_NOTFOUND);
	x = e;
	x.dst = P("192.0.2.0/25");
	assert_int_equal(rt_del(t, &x), ERR_NOTFOUND);
	x.dst = P("198.51.100.0/24");
	assert_int_equal(rt_del(t, &x), ERR_NOTFOUND);
	assert_int_equal(rt_generation(t), g);

	/* Bad prefixes. */
	x = e;
	x.dst.len = 33;
	assert_int_equal(rt_add(t, &x), ERR_INVAL);
	x.dst = P("2001:db8::/32");
	x.dst.len = 129;
	assert_int_equal(rt_add(t, &x), ERR_INVAL);
	memset(&x.dst, 0, sizeof(x.dst));
	assert_int_equal(rt_add(t, &x), ERR_INVAL);
	assert_int_equal(rt_del(t, &x), ERR_NOTFOUND);
	assert_int_equal(rt_count(t), 3);
	assert_int_equal(rt_generation(t), g);

	/* A desc without its NUL is cut, never read past. */
	x = E("203.0.113.0/24", RT_ORIGIN_CONFIG, RT_TARGET_NET, 0, 0);
	memset(x.desc, 'z', sizeof(x.desc));
	assert_int_equal(rt_add(t, &x), 0);
	assert_int_equal(strlen(rt_exact(t, &x.dst)->desc), RT_DESC_MAX - 1);

	assert_int_equal(rt_del(t, &e), 0);
	assert_true(rt_generation(t) > g);
	rt_free(t);
	rt_free(NULL);
}

static bool
is_peer(const struct rt_entry *e, void *arg)
{
	return e->target == RT_TARGET_CLIENT && e->peer_id == *(uint32_t *)arg;
}

static void
test_del_where_peer(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry es[] = {
		E("10.9.0.0/24", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 5),
		E("10.9.1.0/24", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 5),
		E("2001:db8:9::/48", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 5),
		E("10.9.0.0/24", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 6),
		E("10.9.1.0/24", RT_ORIGIN_LEARNED, RT_TARGET_NET, 3, 0),
		E("10.9.2.0/24", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 6),
		E("10.9.3.0/24", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 5),
	};
	const struct rt_entry *got;
	uint32_t peer = 5;
	uint64_t g;
	size_t i;

	for (i = 0; i < sizeof(es) / sizeof(es[0]); i++)
		assert_int_equal(rt_add(t, &es[i]), 0);
	assert_int_equal(rt_count(t), 7);
	g = rt_generation(t);

	assert_int_equal(rt_del_where(t, is_peer, &peer), 4);
	assert_int_equal(rt_count(t), 3);
	assert_true(rt_generation(t) > g);
	g = rt_generation(t);

	/* Peer 6 (shadowed before) now owns 10.9.0/24; learned takes 10.9.1/24. */
	got = rt_lookup(t, &(struct addr){ .family = AF_INET, .b = { 10, 9, 0, 1 } });
	assert_non_null(got);
	assert_int_equal(got->peer_id, 6);
	got = rt_lookup(t, &(struct addr){ .family = AF_INET, .b = { 10, 9, 1, 1 } });
	assert_non_null(got);
	assert_int_equal(got->origin, RT_ORIGIN_LEARNED);
	assert_null(rt_lookup(t, &(struct addr){ .family = AF_INET, .b = { 10, 9, 3, 1 } }));
	got = rt_lookup(t, &(struct addr){ .family = AF_INET6,
	    .b = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } });
	assert_null(got);

	/* Nothing left for peer 5: no removal, no change. */
	assert_int_equal(rt_del_where(t, is_peer, &peer), 0);
	assert_int_equal(rt_generation(t), g);
	peer = 6;
	assert_int_equal(rt_del_where(t, is_peer, &peer), 2);
	assert_int_equal(rt_count(t), 1);
	/* The emptied prefixes are gone from the trie, not left as husks. */
	assert_null(rt_exact(t, &es[5].dst));
	assert_null(rt_exact(t, &es[0].dst));
	assert_int_equal(rt_del(t, &es[4]), 0);
	assert_int_equal(rt_count(t), 0);
	/* And the table is fully usable again. */
	assert_int_equal(rt_add(t, &es[0]), 0);
	assert_int_equal(rt_lookup(t, &es[0].dst.a)->peer_id, 5);
	rt_free(t);
}

static void
test_lookup_families(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry d4 = E("0.0.0.0/0", RT_ORIGIN_CONFIG, RT_TARGET_NET, 0, 0);
	struct rt_entry n4 = E("172.16.0.0/12", RT_ORIGIN_CONFIG, RT_TARGET_NET, 1, 0);
	struct rt_entry h4 = E("172.16.5.5/32", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 9);
	struct rt_entry n6 = E("fd00::/8", RT_ORIGIN_CONFIG, RT_TARGET_LOCAL, 0, 0);
	struct rt_entry h6 = E("fd00::5/128", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 9);
	struct addr a;

	assert_int_equal(rt_add(t, &d4), 0);
	assert_int_equal(rt_add(t, &n4), 0);
	assert_int_equal(rt_add(t, &h4), 0);
	assert_int_equal(rt_add(t, &n6), 0);
	assert_int_equal(rt_add(t, &h6), 0);

	a = A("172.16.5.5");
	assert_int_equal(rt_lookup(t, &a)->peer_id, 9);
	assert_int_equal(rt_lookup(t, &a)->dst.len, 32);
	a = A("172.16.5.6");
	assert_int_equal(rt_lookup(t, &a)->net, 1);
	a = A("8.8.8.8");
	assert_int_equal(rt_lookup(t, &a)->dst.len, 0);
	a = A("fd00::5");
	assert_int_equal(rt_lookup(t, &a)->target, RT_TARGET_CLIENT);
	a = A("fd00::6");
	assert_int_equal(rt_lookup(t, &a)->target, RT_TARGET_LOCAL);
	/* The v4 default does not cover v6. */
	a = A("2001:db8::1");
	assert_null(rt_lookup(t, &a));
	memset(&a, 0, sizeof(a));
	assert_null(rt_lookup(t, &a));
	rt_free(t);
}

struct seen {
	char dst[8][PREFIX_STR_MAX];
	enum rt_origin origin[8];
	bool active[8];
	size_t n, stop_at;
};

static int
seen_cb(const struct rt_entry *e, bool active, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	assert_int_equal(prefix_format(&e->dst, s->dst[s->n], PREFIX_STR_MAX), 0);
	s->origin[s->n] = e->origin;
	s->active[s->n] = active;
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at ? 42 : 0;
}

static void
test_walk(void **state)
{
	struct rtable *t = rt_new();
	struct rt_entry es[] = {
		E("fd00::/8", RT_ORIGIN_CONFIG, RT_TARGET_LOCAL, 0, 0),
		E("10.1.0.0/16", RT_ORIGIN_LEARNED, RT_TARGET_NET, 1, 0),
		E("10.0.0.0/16", RT_ORIGIN_CONFIG, RT_TARGET_NET, 0, 0),
		E("10.0.0.0/8", RT_ORIGIN_CONFIG, RT_TARGET_NET, 0, 0),
		E("10.1.0.0/16", RT_ORIGIN_CLIENT, RT_TARGET_CLIENT, 0, 4),
		E("10.1.0.0/16", RT_ORIGIN_CONFIG, RT_TARGET_BLACKHOLE, 0, 0),
	};
	static const char *const want[] = { "10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16",
		"10.1.0.0/16", "10.1.0.0/16", "fd00::/8" };
	static const enum rt_origin worig[] = { RT_ORIGIN_CONFIG, RT_ORIGIN_CONFIG,
		RT_ORIGIN_CONFIG, RT_ORIGIN_CLIENT, RT_ORIGIN_LEARNED, RT_ORIGIN_CONFIG };
	static const bool wact[] = { true, true, true, false, false, true };
	struct seen s;
	size_t i;

	for (i = 0; i < sizeof(es) / sizeof(es[0]); i++)
		assert_int_equal(rt_add(t, &es[i]), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rt_walk(t, seen_cb, &s), 0);
	assert_int_equal(s.n, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(s.dst[i], want[i]);
		assert_int_equal(s.origin[i], worig[i]);
		assert_int_equal(s.active[i], wact[i]);
	}
	memset(&s, 0, sizeof(s));
	s.stop_at = 4;
	assert_int_equal(rt_walk(t, seen_cb, &s), 42);
	assert_int_equal(s.n, 4);
	rt_free(t);
}

static void
test_names(void **state)
{
	enum rt_kind k = RT_KIND_NONE;
	static const char *const bad[] = { "", "VPC", "vpc ", " vpc", "vp", "vpcs", "none",
		"internet\n", "peer" };
	size_t i;

	assert_int_equal(rt_kind_parse("vpc", &k), 0);
	assert_int_equal(k, RT_KIND_VPC);
	assert_int_equal(rt_kind_parse("peering", &k), 0);
	assert_int_equal(k, RT_KIND_PEERING);
	assert_int_equal(rt_kind_parse("site", &k), 0);
	assert_int_equal(k, RT_KIND_SITE);
	assert_int_equal(rt_kind_parse("internet", &k), 0);
	assert_int_equal(k, RT_KIND_INTERNET);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = RT_KIND_SITE;
		assert_int_equal(rt_kind_parse(bad[i], &k), ERR_INVAL);
		assert_int_equal(k, RT_KIND_SITE);
	}
	assert_int_equal(rt_kind_parse(NULL, &k), ERR_INVAL);

	/* Names round-trip through the parser. */
	for (k = RT_KIND_VPC; k <= RT_KIND_INTERNET; k++) {
		enum rt_kind back;

		assert_int_equal(rt_kind_parse(rt_kind_name(k), &back), 0);
		assert_int_equal(back, k);
	}
	assert_string_equal(rt_kind_name(RT_KIND_NONE), "");
	assert_string_equal(rt_kind_name(RT_KIND_PEERING), "peering");
	assert_string_equal(rt_origin_name(RT_ORIGIN_CONFIG), "config");
	assert_string_equal(rt_origin_name(RT_ORIGIN_CLIENT), "client");
	assert_string_equal(rt_origin_name(RT_ORIGIN_LEARNED), "learned");
	assert_non_null(rt_origin_name((enum rt_origin)99));
	assert_non_null(rt_kind_name((enum rt_kind)99));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_and_promote),
		cmocka_unit_test(test_preference_order),
		cmocka_unit_test(test_errors_and_generation),
		cmocka_unit_test(test_del_where_peer),
		cmocka_unit_test(test_lookup_families),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
