/*
 * test_authz.c - authorization rules: longest prefix decides, deny beats
 * allow at equal length, group rules only for members, default deny,
 * counters, group interning, and authz_allowed_within checked both on
 * worked examples and against a brute-force scan of small address spaces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "authz.h"
#include "err.h"

static struct prefix
P(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, false, &p), 0);
	return p;
}

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void
add(struct authz *a, const char *pfx, const char *group, bool deny)
{
	struct prefix p = P(pfx);

	assert_int_equal(authz_add(a, &p, group, deny, NULL), 0);
}

static enum authz_verdict
peek(const struct authz *a, uint64_t groups, const char *dst, const struct authz_rule **r)
{
	struct addr d = A(dst);

	return authz_peek(a, groups, &d, r);
}

/* Collects allowed_within output as text, "p1 p2 ...". */
struct collect {
	char text[2048];
	struct prefix p[512];
	size_t n;
	int stop_after;   /* return 1 after this many, 0 = never */
};

static int
collect_cb(const struct prefix *p, void *arg)
{
	struct collect *c = arg;
	char s[PREFIX_STR_MAX];

	assert_true(c->n < 512);
	c->p[c->n++] = *p;
	assert_int_equal(prefix_format(p, s, sizeof(s)), 0);
	if (c->text[0] != '\0')
		strcat(c->text, " ");
	strcat(c->text, s);
	if (c->stop_after > 0 && (int)c->n == c->stop_after)
		return 1;
	return 0;
}

static int
within(const struct authz *a, uint64_t groups, const char *w, unsigned cap, struct collect *c)
{
	struct prefix p = P(w);

	memset(c, 0, sizeof(*c));
	return authz_allowed_within(a, groups, &p, cap, collect_cb, c);
}

static void
test_longest_prefix_wins(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;

	(void)state;
	add(a, "10.0.0.0/8", NULL, false);
	add(a, "10.1.0.0/16", NULL, true);
	add(a, "10.1.2.0/24", NULL, false);
	assert_int_equal(peek(a, 0, "10.9.9.9", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 0);
	assert_int_equal(peek(a, 0, "10.1.9.9", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 1);
	assert_int_equal(peek(a, 0, "10.1.2.3", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 2);
	assert_int_equal(peek(a, 0, "11.0.0.1", &r), AUTHZ_DEFAULT_DENY);
	assert_null(r);
	authz_free(a);
}

/* The contractors example: a deny for a group inside an allow for all. */
static void
test_deny_beats_shorter_allow(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;
	uint64_t con, eng;

	(void)state;
	add(a, "192.168.0.0/16", NULL, false);
	add(a, "192.168.99.0/24", "contractors", true);
	add(a, "10.0.0.0/8", "engineering", false);
	con = authz_group_bit(a, "contractors");
	eng = authz_group_bit(a, "engineering");
	assert_true(con != 0 && eng != 0 && con != eng);

	assert_int_equal(peek(a, con, "192.168.99.7", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 1);
	assert_int_equal(peek(a, con, "192.168.98.7", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 0);
	/* a non-member falls through to the /16 */
	assert_int_equal(peek(a, eng, "192.168.99.7", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 0);
	assert_int_equal(peek(a, 0, "192.168.99.7", NULL), AUTHZ_ALLOW);
	assert_int_equal(peek(a, con | eng, "192.168.99.7", NULL), AUTHZ_DENY);
	authz_free(a);
}

static void
test_deny_beats_allow_equal_length(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;
	uint64_t g1, g2;

	(void)state;
	/* allow configured first, so config order cannot be what decides */
	add(a, "10.0.0.0/24", "g1", false);
	add(a, "10.0.0.0/24", "g2", true);
	add(a, "10.0.1.0/24", "g1", false);
	add(a, "10.0.1.0/24", NULL, true);
	g1 = authz_group_bit(a, "g1");
	g2 = authz_group_bit(a, "g2");
	assert_int_equal(peek(a, g1, "10.0.0.1", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 0);
	assert_int_equal(peek(a, g2, "10.0.0.1", &r), AUTHZ_DENY);
	assert_int_equal(peek(a, g1 | g2, "10.0.0.1", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 1);
	assert_int_equal(peek(a, g1, "10.0.1.1", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 3);
	authz_free(a);
}

static void
test_group_rule_members_only(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;
	uint64_t eng, ops;

	(void)state;
	add(a, "10.0.0.0/16", "engineering", false);
	/* a longer rule for another group must not shadow it for non-members */
	add(a, "10.0.5.0/24", "ops", true);
	eng = authz_group_bit(a, "engineering");
	ops = authz_group_bit(a, "ops");
	assert_int_equal(peek(a, eng, "10.0.5.1", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 0);
	assert_int_equal(peek(a, ops, "10.0.5.1", NULL), AUTHZ_DENY);
	assert_int_equal(peek(a, ops, "10.0.6.1", NULL), AUTHZ_DEFAULT_DENY);
	assert_int_equal(peek(a, 0, "10.0.6.1", NULL), AUTHZ_DEFAULT_DENY);
	/* bits of groups no rule names change nothing */
	assert_int_equal(peek(a, ~(eng | ops), "10.0.6.1", NULL), AUTHZ_DEFAULT_DENY);
	assert_int_equal(authz_group_bit(a, "nobody"), 0);
	authz_free(a);
}

static void
test_default_deny(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r = (const void *)1;
	struct addr d = A("8.8.8.8");

	(void)state;
	/* empty rule set */
	assert_int_equal(authz_peek(a, ~UINT64_C(0), &d, &r), AUTHZ_DEFAULT_DENY);
	assert_null(r);
	add(a, "10.0.0.0/8", NULL, false);
	assert_int_equal(authz_peek(a, 0, &d, NULL), AUTHZ_DEFAULT_DENY);
	/* an IPv4 rule says nothing about IPv6 */
	d = A("::ffff:10.0.0.1");
	assert_int_equal(authz_peek(a, 0, &d, NULL), AUTHZ_DEFAULT_DENY);
	authz_free(a);
}

static void
test_ipv6(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;
	uint64_t g;

	(void)state;
	add(a, "2001:db8::/32", NULL, false);
	add(a, "2001:db8:dead::/48", "guests", true);
	add(a, "2001:db8:dead:beef::1/128", NULL, false);
	add(a, "::/0", NULL, true);
	add(a, "0.0.0.0/0", NULL, false);
	g = authz_group_bit(a, "guests");
	assert_int_equal(peek(a, g, "2001:db8:dead::5", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 1);
	assert_int_equal(peek(a, 0, "2001:db8:dead::5", NULL), AUTHZ_ALLOW);
	assert_int_equal(peek(a, g, "2001:db8:dead:beef::1", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 2);
	assert_int_equal(peek(a, g, "2001:db9::1", &r), AUTHZ_DENY);
	assert_int_equal(r->index, 3);
	assert_int_equal(peek(a, g, "192.0.2.1", &r), AUTHZ_ALLOW);
	assert_int_equal(r->index, 4);
	authz_free(a);
}

static void
test_hit_counters(void **state)
{
	struct authz *a = authz_new();
	const struct authz_rule *r;
	struct addr d;
	uint64_t con;
	int i;

	(void)state;
	add(a, "192.168.0.0/16", NULL, false);
	add(a, "192.168.99.0/24", "contractors", true);
	con = authz_group_bit(a, "contractors");

	d = A("192.168.99.1");
	for (i = 0; i < 5; i++)
		assert_int_equal(authz_peek(a, con, &d, NULL), AUTHZ_DENY);
	assert_true(authz_rule_at(a, 0)->hits == 0);
	assert_true(authz_rule_at(a, 1)->hits == 0);
	assert_true(authz_default_deny_hits(a) == 0);

	for (i = 0; i < 3; i++)
		assert_int_equal(authz_check(a, con, &d, &r), AUTHZ_DENY);
	assert_ptr_equal(r, authz_rule_at(a, 1));
	assert_true(authz_rule_at(a, 1)->hits == 3);
	/* a non-member's packet counts on the /16 */
	assert_int_equal(authz_check(a, 0, &d, &r), AUTHZ_ALLOW);
	assert_true(authz_rule_at(a, 0)->hits == 1);
	assert_true(authz_rule_at(a, 1)->hits == 3);
	assert_true(authz_default_deny_hits(a) == 0);

	d = A("172.16.0.1");
	assert_int_equal(authz_check(a, con, &d, &r), AUTHZ_DEFAULT_DENY);
	assert_null(r);
	assert_int_equal(authz_check(a, 0, &d, NULL), AUTHZ_DEFAULT_DENY);
	assert_int_equal(authz_peek(a, 0, &d, NULL), AUTHZ_DEFAULT_DENY);
	assert_true(authz_default_deny_hits(a) == 2);
	assert_true(authz_rule_at(a, 0)->hits == 1);
	assert_true(authz_rule_at(a, 1)->hits == 3);
	authz_free(a);
}

static void
test_within_examples(void **state)
{
	struct authz *a = authz_new();
	struct collect c;
	uint64_t con;

	(void)state;
	add(a, "192.168.0.0/16", NULL, false);
	add(a, "192.168.99.0/24", "contractors", true);
	con = authz_group_bit(a, "contractors");

	assert_int_equal(within(a, con, "192.168.0.0/16", 100, &c), 0);
	assert_string_equal(c.text,
	    "192.168.0.0/18 192.168.64.0/19 192.168.96.0/23 192.168.98.0/24 "
	    "192.168.100.0/22 192.168.104.0/21 192.168.112.0/20 192.168.128.0/17");
	assert_int_equal(within(a, 0, "192.168.0.0/16", 100, &c), 0);
	assert_string_equal(c.text, "192.168.0.0/16");
	/* wider than the rules: only what is allowed comes back */
	assert_int_equal(within(a, 0, "0.0.0.0/0", 100, &c), 0);
	assert_string_equal(c.text, "192.168.0.0/16");
	/* narrower than a rule */
	assert_int_equal(within(a, con, "192.168.98.0/23", 100, &c), 0);
	assert_string_equal(c.text, "192.168.98.0/24");
	assert_int_equal(within(a, con, "192.168.99.128/25", 100, &c), 0);
	assert_string_equal(c.text, "");
	assert_int_equal(within(a, con, "10.0.0.0/8", 100, &c), 0);
	assert_int_equal(c.n, 0);

	/* cap: exactly enough, one short, and a stopping callback */
	assert_int_equal(within(a, con, "192.168.0.0/16", 8, &c), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(within(a, con, "192.168.0.0/16", 7, &c), ERR_OVERFLOW);
	assert_int_equal(c.n, 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	{
		struct prefix w = P("192.168.0.0/16");

		assert_int_equal(authz_allowed_within(a, con, &w, 100, collect_cb, &c), 1);
	}
	assert_int_equal(c.n, 2);
	authz_free(a);

	a = authz_new();
	add(a, "10.0.0.0/16", NULL, false);
	assert_int_equal(within(a, 0, "0.0.0.0/0", 10, &c), 0);
	assert_string_equal(c.text, "10.0.0.0/16");
	/* a redundant allow inside an allow must not split the answer */
	add(a, "10.0.3.0/24", NULL, false);
	add(a, "10.0.4.0/24", "g", false);
	add(a, "10.0.4.0/25", "g", true);
	add(a, "10.0.4.0/26", "g", false);
	add(a, "10.0.4.64/26", "g", false);
	assert_int_equal(within(a, authz_group_bit(a, "g"), "0.0.0.0/0", 10, &c), 0);
	assert_string_equal(c.text, "10.0.0.0/16");
	assert_int_equal(within(a, 0, "10.0.0.0/8", 10, &c), 0);
	assert_string_equal(c.text, "10.0.0.0/16");
	authz_free(a);
}

static void
test_within_ipv6(void **state)
{
	struct authz *a = authz_new();
	struct collect c;
	uint64_t g;

	(void)state;
	add(a, "2001:db8::/32", NULL, false);
	add(a, "2001:db8:1::/48", "guests", true);
	add(a, "10.0.0.0/8", NULL, false);
	g = authz_group_bit(a, "guests");
	assert_int_equal(within(a, 0, "::/0", 10, &c), 0);
	assert_string_equal(c.text, "2001:db8::/32");
	assert_int_equal(within(a, g, "2001:db8::/46", 10, &c), 0);
	assert_string_equal(c.text, "2001:db8::/48 2001:db8:2::/47");
	assert_int_equal(within(a, g, "2001:db8::/32", 100, &c), 0);
	assert_int_equal(c.n, 16);   /* one block per level from /33 to /48 */
	assert_int_equal(c.p[0].len, 48);
	assert_int_equal(c.p[15].len, 33);
	/* a single address at the bottom of the recursion */
	add(a, "2001:db8:1::1/128", "guests", false);
	assert_int_equal(within(a, g, "2001:db8:1::/127", 10, &c), 0);
	assert_string_equal(c.text, "2001:db8:1::1/128");
	assert_int_equal(within(a, g, "2001:db8::/32", 200, &c), 0);
	assert_int_equal(c.n, 16 + 1);
	authz_free(a);
}

static void
test_within_bad_args(void **state)
{
	struct authz *a = authz_new();
	struct collect c;
	struct prefix w;

	(void)state;
	memset(&w, 0, sizeof(w));
	memset(&c, 0, sizeof(c));
	assert_int_equal(authz_allowed_within(a, 0, &w, 10, collect_cb, &c), ERR_INVAL);
	w = P("10.0.0.0/8");
	w.len = 33;
	assert_int_equal(authz_allowed_within(a, 0, &w, 10, collect_cb, &c), ERR_INVAL);
	/* host bits in `within` are ignored */
	add(a, "10.0.0.0/8", NULL, false);
	w = P("10.0.0.0/8");
	w.a.b[3] = 7;
	assert_int_equal(authz_allowed_within(a, 0, &w, 10, collect_cb, &c), 0);
	assert_string_equal(c.text, "10.0.0.0/8");
	/* cap 0: fine for an empty answer only */
	assert_int_equal(within(a, 0, "11.0.0.0/8", 0, &c), 0);
	assert_int_equal(within(a, 0, "10.0.0.0/8", 0, &c), ERR_OVERFLOW);
	authz_free(a);
}

/*
 * Random rules inside a 256-address space (10.0.0.0/24 or 2001:db8::/120),
 * with a few outside it; for every group mask, allowed_within must return
 * exactly the addresses authz_peek allows, as disjoint prefixes in
 * address order with no two mergeable siblings (which, for an exact
 * cover, means the fewest).
 */
static void
mk(const struct addr *base, unsigned off, unsigned len, struct prefix *p)
{
	p->a = *base;
	p->a.b[addr_bits(base) / 8 - 1] = (uint8_t)off;
	p->len = (uint8_t)len;
	prefix_canon(p);
}

static void
check_cover(const struct authz *a, uint64_t groups, const struct addr *base, unsigned wlen,
	    unsigned woff)
{
	unsigned bits = addr_bits(base), blen = bits - 8, i, j, k;
	struct prefix w;
	struct addr x;
	struct collect c;
	bool in;

	mk(base, woff, blen + wlen, &w);
	memset(&c, 0, sizeof(c));
	assert_int_equal(authz_allowed_within(a, groups, &w, 512, collect_cb, &c), 0);
	for (k = 0; k < c.n; k++) {
		assert_true(c.p[k].len >= w.len);
		assert_true(prefix_contains(&w, &c.p[k].a));
	}
	for (k = 1; k < c.n; k++) {
		const struct prefix *p = &c.p[k - 1], *q = &c.p[k];
		unsigned pend = p->a.b[bits / 8 - 1] + (1u << (bits - p->len)) - 1;
		struct prefix par = *p;

		/* ascending and disjoint (all differ only in the last byte) */
		assert_int_equal(memcmp(p->a.b, q->a.b, bits / 8 - 1), 0);
		assert_true(pend < q->a.b[bits / 8 - 1]);
		/* not two halves of one block */
		par.len--;
		prefix_canon(&par);
		if (p->len == q->len && prefix_contains(&par, &q->a))
			fail_msg("mergeable siblings at %u", k);
	}
	for (i = 0; i < 256; i++) {
		mk(base, i, bits, &w);
		x = w.a;
		in = false;
		for (j = 0; j < c.n; j++)
			if (prefix_contains(&c.p[j], &x))
				in = true;
		mk(base, woff, blen + wlen, &w);
		if (!prefix_contains(&w, &x)) {
			assert_false(in);
			continue;
		}
		if (in != (authz_peek(a, groups, &x, NULL) == AUTHZ_ALLOW))
			fail_msg("address offset %u: reported %d, peek disagrees", i, in);
	}
}

static void
random_round(const char *basestr, const char *outside, unsigned seed)
{
	static const char *gn[] = { "g0", "g1", "g2" };
	struct authz *a = authz_new();
	struct addr base = A(basestr);
	unsigned bits = addr_bits(&base), nrules, i, m, len;
	struct prefix p;
	int r;

	srand(seed);
	nrules = 1 + (unsigned)rand() % 12;
	for (i = 0; i < nrules; i++) {
		len = bits - 8 + (unsigned)rand() % 9;
		mk(&base, (unsigned)rand() % 256, len, &p);
		r = authz_add(a, &p, rand() % 3 == 0 ? NULL : gn[rand() % 3], rand() % 3 == 0,
		    NULL);
		assert_true(r == 0 || r == ERR_EXISTS);
	}
	/* sometimes an enclosing rule, which the space inherits */
	if (rand() % 2) {
		p = P(outside);
		assert_int_equal(authz_add(a, &p, rand() % 2 ? NULL : gn[0], rand() % 3 == 0, NULL), 0);
	}
	for (m = 0; m < 16; m++) {
		check_cover(a, m, &base, 0, 0);
		len = (unsigned)rand() % 9;
		check_cover(a, m, &base, len, (unsigned)rand() % 256);
	}
	authz_free(a);
}

static void
test_within_random_v4(void **state)
{
	unsigned s;

	(void)state;
	for (s = 1; s <= 400; s++)
		random_round("10.0.0.0", "10.0.0.0/16", s);
}

static void
test_within_random_v6(void **state)
{
	unsigned s;

	(void)state;
	for (s = 1; s <= 150; s++)
		random_round("2001:db8::", "2001:db8::/64", s);
}

static void
test_groups(void **state)
{
	struct authz *a = authz_new();
	char name[80];
	unsigned i, idx;
	struct prefix p = P("10.0.0.0/8");

	(void)state;
	assert_int_equal(authz_group_add(a, "", &idx), ERR_INVAL);
	assert_int_equal(authz_group_add(a, "a b", &idx), ERR_INVAL);
	assert_int_equal(authz_group_add(a, "a/b", &idx), ERR_INVAL);
	assert_int_equal(authz_group_add(a, "caf\xc3\xa9", &idx), ERR_INVAL);
	assert_int_equal(authz_group_add(a, NULL, &idx), ERR_INVAL);
	memset(name, 'x', 64);
	name[64] = '\0';
	assert_int_equal(authz_group_add(a, name, &idx), ERR_INVAL);
	assert_int_equal(authz_add(a, &p, name, false, NULL), ERR_INVAL);
	assert_int_equal(authz_group_count(a), 0);
	name[63] = '\0';
	assert_int_equal(authz_group_add(a, name, &idx), 0);
	assert_int_equal(idx, 0);
	assert_string_equal(authz_group_name(a, 0), name);
	assert_int_equal(authz_group_add(a, "Dev.Ops_1@corp-x", &idx), 0);
	assert_int_equal(idx, 1);
	/* interning: same name, same index; names are case-sensitive */
	assert_int_equal(authz_group_add(a, "Dev.Ops_1@corp-x", &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(authz_group_add(a, "dev.ops_1@corp-x", &idx), 0);
	assert_int_equal(idx, 2);
	for (i = 3; i < AUTHZ_MAX_GROUPS; i++) {
		snprintf(name, sizeof(name), "g%u", i);
		assert_int_equal(authz_group_add(a, name, &idx), 0);
		assert_int_equal(idx, i);
	}
	assert_int_equal(authz_group_count(a), 64);
	assert_true(authz_group_bit(a, "g63") == UINT64_C(1) << 63);
	assert_true(authz_group_bit(a, "g3") == UINT64_C(1) << 3);
	assert_int_equal(authz_group_add(a, "one-more", &idx), ERR_FULL);
	assert_int_equal(authz_add(a, &p, "one-more", false, NULL), ERR_FULL);
	assert_int_equal(authz_count(a), 0);
	/* known names still work when full */
	assert_int_equal(authz_group_add(a, "g10", &idx), 0);
	assert_int_equal(idx, 10);
	assert_int_equal(authz_add(a, &p, "g63", false, NULL), 0);
	assert_int_equal(authz_group_count(a), 64);
	assert_null(authz_group_name(a, 64));

	/* the top bit works end to end */
	{
		struct addr d = A("10.1.1.1");

		assert_int_equal(authz_peek(a, UINT64_C(1) << 63, &d, NULL), AUTHZ_ALLOW);
		assert_int_equal(authz_peek(a, (UINT64_C(1) << 63) - 1, &d, NULL),
		    AUTHZ_DEFAULT_DENY);
	}
	authz_free(a);
}

static void
test_add_errors(void **state)
{
	struct authz *a = authz_new();
	struct prefix p = P("10.0.0.0/16");
	const struct authz_rule *r;

	(void)state;
	assert_int_equal(authz_add(a, &p, NULL, false, "office"), 0);
	assert_int_equal(authz_add(a, &p, NULL, true, NULL), ERR_EXISTS);
	/* host bits are cleared, so this is the same prefix */
	p.a.b[3] = 9;
	assert_int_equal(authz_add(a, &p, NULL, false, NULL), ERR_EXISTS);
	assert_int_equal(authz_add(a, &p, "eng", true, NULL), 0);
	assert_int_equal(authz_add(a, &p, "eng", false, NULL), ERR_EXISTS);
	assert_int_equal(authz_add(a, &p, "ops", false, NULL), 0);
	assert_int_equal(authz_count(a), 3);
	assert_int_equal(authz_group_count(a), 2);
	/* same prefix, other family/length: distinct */
	p = P("10.0.0.0/17");
	assert_int_equal(authz_add(a, &p, NULL, false, NULL), 0);

	memset(&p, 0, sizeof(p));
	assert_int_equal(authz_add(a, &p, NULL, false, NULL), ERR_INVAL);
	p = P("10.0.0.0/8");
	p.len = 33;
	assert_int_equal(authz_add(a, &p, NULL, false, NULL), ERR_INVAL);
	p = P("::/0");
	p.len = 129;
	assert_int_equal(authz_add(a, &p, NULL, false, NULL), ERR_INVAL);
	/* a refused rule does not intern its new group */
	assert_int_equal(authz_add(a, &p, "newgroup", false, NULL), ERR_INVAL);
	assert_int_equal(authz_group_count(a), 2);
	assert_int_equal(authz_count(a), 4);

	r = authz_rule_at(a, 0);
	assert_string_equal(r->desc, "office");
	assert_int_equal(r->group, -1);
	assert_false(r->deny);
	r = authz_rule_at(a, 1);
	assert_int_equal(r->index, 1);
	assert_int_equal(r->group, 0);
	assert_true(r->deny);
	assert_int_equal(r->dst.a.b[3], 0);   /* stored canonical */
	assert_string_equal(r->desc, "");
	assert_null(authz_rule_at(a, 4));
	authz_free(a);
}

static void
test_desc_limits(void **state)
{
	struct authz *a = authz_new();
	struct prefix p = P("10.0.0.0/16");
	char d[200];

	(void)state;
	memset(d, 'd', sizeof(d) - 1);
	d[sizeof(d) - 1] = '\0';
	d[3] = '\n';
	assert_int_equal(authz_add(a, &p, NULL, false, d), 0);
	/* cut to fit, control characters made harmless for log lines */
	assert_int_equal(strlen(authz_rule_at(a, 0)->desc), AUTHZ_DESC_MAX - 1);
	assert_int_equal(authz_rule_at(a, 0)->desc[3], '?');
	authz_free(a);
}

static void
test_carry_counters(void **state)
{
	struct authz *old = authz_new(), *cur = authz_new();
	struct addr d;
	uint64_t con, eng;
	int i;

	(void)state;
	add(old, "192.168.0.0/16", NULL, false);
	add(old, "192.168.99.0/24", "contractors", true);
	add(old, "10.0.0.0/8", "engineering", false);
	add(old, "172.16.0.0/12", NULL, false);
	con = authz_group_bit(old, "contractors");
	eng = authz_group_bit(old, "engineering");
	d = A("192.168.99.1");
	for (i = 0; i < 4; i++)
		authz_check(old, con, &d, NULL);
	for (i = 0; i < 2; i++)
		authz_check(old, 0, &d, NULL);
	d = A("10.0.0.1");
	authz_check(old, eng, &d, NULL);
	d = A("172.16.0.1");
	authz_check(old, eng, &d, NULL);
	d = A("8.8.8.8");
	authz_check(old, eng, &d, NULL);
	authz_check(old, eng, &d, NULL);
	authz_check(old, eng, &d, NULL);

	/* new config: other order (so other group indices), one rule changed */
	add(cur, "10.0.0.0/8", "engineering", false);          /* same: 1 */
	add(cur, "192.168.99.0/24", "contractors", true);      /* same: 4 */
	add(cur, "192.168.0.0/16", NULL, false);               /* same: 2 */
	add(cur, "172.16.0.0/12", NULL, true);                 /* action changed: 0 */
	add(cur, "192.168.99.0/24", "engineering", true);      /* new: 0 */
	assert_int_equal(authz_group_bit(cur, "engineering"), 1);
	authz_carry_counters(cur, old);
	assert_true(authz_rule_at(cur, 0)->hits == 1);
	assert_true(authz_rule_at(cur, 1)->hits == 4);
	assert_true(authz_rule_at(cur, 2)->hits == 2);
	assert_true(authz_rule_at(cur, 3)->hits == 0);
	assert_true(authz_rule_at(cur, 4)->hits == 0);
	assert_true(authz_default_deny_hits(cur) == 3);
	/* the old set is untouched */
	assert_true(authz_rule_at(old, 1)->hits == 4);
	authz_free(old);
	authz_free(cur);
}

static void
explain(const struct authz *a, uint64_t groups, const char *dst, char *out, size_t cap)
{
	struct addr d = A(dst);

	assert_int_equal(authz_explain(a, groups, &d, out, cap), 0);
}

static void
test_explain(void **state)
{
	struct authz *a = authz_new();
	struct prefix p;
	struct addr d;
	char s[512];
	uint64_t con;

	(void)state;
	p = P("192.168.0.0/16");
	assert_int_equal(authz_add(a, &p, NULL, false, "office LAN"), 0);
	add(a, "192.168.99.0/24", "contractors", true);
	add(a, "10.0.0.0/16", "engineering", false);
	add(a, "10.0.0.0/16", NULL, true);
	con = authz_group_bit(a, "contractors");

	explain(a, 0, "192.168.1.1", s, sizeof(s));
	assert_string_equal(s, "allowed by rule 1 (192.168.0.0/16 all, allow, \"office LAN\") "
	    "for 192.168.1.1: longest matching prefix");
	explain(a, con, "192.168.99.5", s, sizeof(s));
	assert_string_equal(s, "denied by rule 2 (192.168.99.0/24 group contractors, deny) "
	    "for 192.168.99.5: longest matching prefix; client is in group contractors");
	/* a non-member is told which group rule passed it by */
	explain(a, 0, "192.168.99.5", s, sizeof(s));
	assert_string_equal(s, "allowed by rule 1 (192.168.0.0/16 all, allow, \"office LAN\") "
	    "for 192.168.99.5: longest matching prefix; not a member for "
	    "rule 2 (192.168.99.0/24 group contractors, deny)");
	/* equal length: deny over allow, both rules named */
	explain(a, authz_group_bit(a, "engineering"), "10.0.0.1", s, sizeof(s));
	assert_string_equal(s, "denied by rule 4 (10.0.0.0/16 all, deny) for 10.0.0.1: "
	    "longest matching prefix; deny beats allow at equal length over "
	    "rule 3 (10.0.0.0/16 group engineering, allow)");
	explain(a, 0, "8.8.8.8", s, sizeof(s));
	assert_string_equal(s, "denied: no rule matches 8.8.8.8 (default deny)");
	explain(a, 0, "2001:db8::1", s, sizeof(s));
	assert_string_equal(s, "denied: no rule matches 2001:db8::1 (default deny)");
	authz_free(a);

	a = authz_new();
	add(a, "10.0.0.0/8", "engineering", false);
	explain(a, 0, "10.1.1.1", s, sizeof(s));
	assert_string_equal(s, "denied: no rule for this client matches 10.1.1.1 (default deny); "
	    "not a member for rule 1 (10.0.0.0/8 group engineering, allow)");
	/*
	 * Two allows at one prefix are no tie to explain, and a shorter rule
	 * for another group cannot have mattered, so neither is named.
	 */
	add(a, "10.1.0.0/16", NULL, false);
	add(a, "10.1.0.0/16", "ops", false);
	add(a, "10.0.0.0/9", "contractors", true);
	explain(a, authz_group_bit(a, "ops"), "10.1.1.1", s, sizeof(s));
	assert_string_equal(s, "allowed by rule 2 (10.1.0.0/16 all, allow) for 10.1.1.1: "
	    "longest matching prefix");
	/* too small a buffer: error, nothing half-written */
	d = A("10.1.1.1");
	memset(s, 'z', sizeof(s));
	assert_int_equal(authz_explain(a, 0, &d, s, 20), ERR_OVERFLOW);
	assert_int_equal(s[0], 'z');
	/* explain never counts */
	assert_true(authz_rule_at(a, 0)->hits == 0);
	assert_true(authz_default_deny_hits(a) == 0);
	authz_free(a);
}

/* The verdict must agree with a linear scan of the rules in config order. */
static void
test_random_vs_linear(void **state)
{
	static const char *gn[] = { "a", "b", "c", "d" };
	unsigned s, i, j;

	(void)state;
	for (s = 1; s <= 200; s++) {
		struct authz *a = authz_new();
		struct addr base = A("10.0.0.0"), x;
		struct prefix p;

		srand(s * 7919);
		for (i = 0; i < 20; i++) {
			mk(&base, (unsigned)rand() % 256, 16 + (unsigned)rand() % 17, &p);
			(void)authz_add(a, &p, rand() % 2 ? NULL : gn[rand() % 4], rand() % 2, NULL);
		}
		for (j = 0; j < 64; j++) {
			uint64_t g = (uint64_t)rand() % 16;
			const struct authz_rule *got, *best = NULL;

			mk(&base, (unsigned)rand() % 256, 32, &p);
			x = p.a;
			for (i = 0; i < authz_count(a); i++) {
				const struct authz_rule *r = authz_rule_at(a, i);

				if (r->group >= 0 && !((g >> r->group) & 1))
					continue;
				if (!prefix_contains(&r->dst, &x))
					continue;
				if (best == NULL || r->dst.len > best->dst.len ||
				    (r->dst.len == best->dst.len && r->deny && !best->deny))
					best = r;
			}
			(void)authz_peek(a, g, &x, &got);
			assert_ptr_equal(got, best);
		}
		authz_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_prefix_wins),
		cmocka_unit_test(test_deny_beats_shorter_allow),
		cmocka_unit_test(test_deny_beats_allow_equal_length),
		cmocka_unit_test(test_group_rule_members_only),
		cmocka_unit_test(test_default_deny),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_hit_counters),
		cmocka_unit_test(test_within_examples),
		cmocka_unit_test(test_within_ipv6),
		cmocka_unit_test(test_within_bad_args),
		cmocka_unit_test(test_within_random_v4),
		cmocka_unit_test(test_within_random_v6),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_desc_limits),
		cmocka_unit_test(test_carry_counters),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_random_vs_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
