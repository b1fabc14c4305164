/*
 * test_lpm.c - the prefix trie: hand-picked cases (default route, host
 * routes, nesting, exact vs longest match, removal of inner and outer
 * nodes, argument errors), then a seeded random run of inserts and removes
 * in both families checked after every step against a linear-scan
 * reference kept in this file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "addr.h"
#include "err.h"
#include "lpm.h"

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

/* Distinct non-NULL values to store. */
static int V[16];

static void
test_default_and_host(void **state)
{
	struct lpm *t = lpm_new();
	struct prefix m, p;
	struct addr a;

	assert_non_null(t);
	assert_null(lpm_lookup(t, &(struct addr){ .family = AF_INET }, NULL));
	p = P("0.0.0.0/0");
	assert_int_equal(lpm_insert(t, &p, &V[0]), 0);
	p = P("::/0");
	assert_int_equal(lpm_insert(t, &p, &V[1]), 0);
	p = P("192.0.2.7/32");
	assert_int_equal(lpm_insert(t, &p, &V[2]), 0);
	p = P("2001:db8::7/128");
	assert_int_equal(lpm_insert(t, &p, &V[3]), 0);
	assert_int_equal(lpm_count(t), 4);

	a = A("192.0.2.7");
	assert_ptr_equal(lpm_lookup(t, &a, &m), &V[2]);
	assert_int_equal(m.len, 32);
	assert_true(addr_eq(&m.a, &a));
	a = A("192.0.2.8");
	assert_ptr_equal(lpm_lookup(t, &a, &m), &V[0]);
	assert_int_equal(m.len, 0);
	assert_int_equal(m.a.family, AF_INET);
	a = A("255.255.255.255");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[0]);
	a = A("2001:db8::7");
	assert_ptr_equal(lpm_lookup(t, &a, &m), &V[3]);
	assert_int_equal(m.len, 128);
	a = A("2001:db8::6");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[1]);
	a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[1]);

	/* Families never mix: the v4 default does not answer for v6. */
	p = P("::/0");
	assert_ptr_equal(lpm_remove(t, &p), &V[1]);
	a = A("2001:db8::6");
	assert_null(lpm_lookup(t, &a, NULL));
	a = A("::ffff:192.0.2.7");
	assert_null(lpm_lookup(t, &a, NULL));
	assert_int_equal(lpm_count(t), 3);
	lpm_free(t, NULL);
}

static void
test_nested_exact_vs_lpm(void **state)
{
	struct lpm *t = lpm_new();
	struct prefix p, m;
	struct addr a;
	void *vals[4];
	uint8_t lens[4];

	p = P("10.0.0.0/8");
	assert_int_equal(lpm_insert(t, &p, &V[0]), 0);
	p = P("10.1.0.0/16");
	assert_int_equal(lpm_insert(t, &p, &V[1]), 0);
	p = P("10.1.2.0/24");
	assert_int_equal(lpm_insert(t, &p, &V[2]), 0);
	p = P("10.1.3.0/24");
	assert_int_equal(lpm_insert(t, &p, &V[3]), 0);

	a = A("10.1.2.9");
	assert_ptr_equal(lpm_lookup(t, &a, &m), &V[2]);
	assert_int_equal(m.len, 24);
	a = A("10.1.4.9");
	assert_ptr_equal(lpm_lookup(t, &a, &m), &V[1]);
	assert_int_equal(m.len, 16);
	a = A("10.2.0.0");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[0]);
	a = A("11.0.0.0");
	assert_null(lpm_lookup(t, &a, NULL));

	/* Exact wants the very prefix, not a container; host bits ignored. */
	p = P("10.1.2.0/23");
	assert_null(lpm_exact(t, &p));
	p = P("10.1.2.0/25");
	assert_null(lpm_exact(t, &p));
	p = P("10.1.2.77/24");
	assert_ptr_equal(lpm_exact(t, &p), &V[2]);
	p = P("10.1.0.0/16");
	assert_ptr_equal(lpm_exact(t, &p), &V[1]);
	/* A glue node (10.1.2.0/23 joins the two /24) holds no value. */
	p = P("10.1.2.0/23");
	assert_null(lpm_exact(t, &p));

	a = A("10.1.2.9");
	assert_int_equal(lpm_matches(t, &a, vals, lens, 4), 3);
	assert_ptr_equal(vals[0], &V[2]);
	assert_ptr_equal(vals[1], &V[1]);
	assert_ptr_equal(vals[2], &V[0]);
	assert_int_equal(lens[0], 24);
	assert_int_equal(lens[1], 16);
	assert_int_equal(lens[2], 8);
	/* cap smaller than the count: the longest ones, true count back. */
	vals[1] = NULL;
	assert_int_equal(lpm_matches(t, &a, vals, NULL, 1), 3);
	assert_ptr_equal(vals[0], &V[2]);
	assert_null(vals[1]);
	assert_int_equal(lpm_matches(t, &a, NULL, NULL, 0), 3);

	/* Duplicate (even with other host bits) changes nothing. */
	p = P("10.1.2.5/24");
	assert_int_equal(lpm_insert(t, &p, &V[9]), ERR_EXISTS);
	p = P("10.1.2.0/24");
	assert_ptr_equal(lpm_exact(t, &p), &V[2]);
	assert_int_equal(lpm_count(t), 4);
	lpm_free(t, NULL);
}

static void
test_remove_inner_outer(void **state)
{
	struct lpm *t = lpm_new();
	struct prefix p;
	struct addr a;

	p = P("10.0.0.0/8");
	assert_int_equal(lpm_insert(t, &p, &V[0]), 0);
	p = P("10.1.0.0/16");
	assert_int_equal(lpm_insert(t, &p, &V[1]), 0);
	p = P("10.1.2.0/24");
	assert_int_equal(lpm_insert(t, &p, &V[2]), 0);

	/* Inner: 10.1/16 goes, 10.1.2/24 still answers, the /8 takes 10.1.9. */
	p = P("10.1.0.0/16");
	assert_ptr_equal(lpm_remove(t, &p), &V[1]);
	assert_null(lpm_remove(t, &p));
	a = A("10.1.2.1");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[2]);
	a = A("10.1.9.1");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[0]);

	/* Outer: the /8 goes, the /24 remains reachable. */
	p = P("10.0.0.0/8");
	assert_ptr_equal(lpm_remove(t, &p), &V[0]);
	a = A("10.1.2.1");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[2]);
	a = A("10.1.9.1");
	assert_null(lpm_lookup(t, &a, NULL));
	assert_int_equal(lpm_count(t), 1);

	/* Removing something never stored, or a glue position. */
	p = P("10.1.2.0/23");
	assert_null(lpm_remove(t, &p));
	p = P("10.1.2.0/25");
	assert_null(lpm_remove(t, &p));
	p = P("10.1.2.0/24");
	assert_ptr_equal(lpm_remove(t, &p), &V[2]);
	assert_int_equal(lpm_count(t), 0);
	a = A("10.1.2.1");
	assert_null(lpm_lookup(t, &a, NULL));

	/* Re-insert into the emptied trie, sibling leaves under a glue. */
	p = P("10.1.2.0/24");
	assert_int_equal(lpm_insert(t, &p, &V[2]), 0);
	p = P("10.1.3.0/24");
	assert_int_equal(lpm_insert(t, &p, &V[3]), 0);
	p = P("10.1.2.0/24");
	assert_ptr_equal(lpm_remove(t, &p), &V[2]);
	a = A("10.1.3.1");
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &V[3]);
	a = A("10.1.2.1");
	assert_null(lpm_lookup(t, &a, NULL));
	lpm_free(t, NULL);
}

static void
test_inval(void **state)
{
	struct lpm *t = lpm_new();
	struct prefix p;
	struct addr a;

	p = P("10.0.0.0/8");
	assert_int_equal(lpm_insert(t, &p, NULL), ERR_INVAL);
	assert_int_equal(lpm_insert(t, NULL, &V[0]), ERR_INVAL);
	assert_int_equal(lpm_insert(NULL, &p, &V[0]), ERR_INVAL);
	p.len = 33;
	assert_int_equal(lpm_insert(t, &p, &V[0]), ERR_INVAL);
	p = P("2001:db8::/32");
	p.len = 129;
	assert_int_equal(lpm_insert(t, &p, &V[0]), ERR_INVAL);
	memset(&p, 0, sizeof(p));
	assert_int_equal(lpm_insert(t, &p, &V[0]), ERR_INVAL);
	p.a.family = AF_UNIX;
	assert_int_equal(lpm_insert(t, &p, &V[0]), ERR_INVAL);
	assert_int_equal(lpm_count(t), 0);
	assert_null(lpm_exact(t, &p));
	assert_null(lpm_remove(t, &p));
	memset(&a, 0, sizeof(a));
	assert_null(lpm_lookup(t, &a, NULL));
	assert_int_equal(lpm_matches(t, &a, NULL, NULL, 0), 0);
	assert_int_equal(lpm_walk(t, &p, NULL, NULL), 0);
	assert_int_equal(lpm_count(NULL), 0);
	lpm_free(t, NULL);
	lpm_free(NULL, NULL);
}

struct collect {
	struct prefix p[64];
	void *v[64];
	size_t n;
	size_t stop_at;   /* return 7 at this many calls; 0 = never */
};

static int
collect_cb(const struct prefix *p, void *val, void *arg)
{
	struct collect *c = arg;

	c->p[c->n] = *p;
	c->v[c->n] = val;
	c->n++;
	return c->stop_at != 0 && c->n == c->stop_at ? 7 : 0;
}

static void
test_walk_known(void **state)
{
	static const char *const in[] = { "2001:db8:1::/48", "10.1.0.0/16", "::/0",
		"10.0.0.0/8", "10.0.0.0/16", "192.0.2.0/24", "10.0.0.0/24", "2001:db8::/32",
		"0.0.0.0/0", "10.1.2.3/32" };
	static const char *const want[] = { "0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16",
		"10.0.0.0/24", "10.1.0.0/16", "10.1.2.3/32", "192.0.2.0/24", "::/0",
		"2001:db8::/32", "2001:db8:1::/48" };
	struct lpm *t = lpm_new();
	struct collect c;
	struct prefix p, w;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		p = P(in[i]);
		assert_int_equal(lpm_insert(t, &p, &V[i]), 0);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(lpm_walk(t, NULL, collect_cb, &c), 0);
	assert_int_equal(c.n, 10);
	for (i = 0; i < c.n; i++) {
		p = P(want[i]);
		assert_int_equal(c.p[i].len, p.len);
		assert_true(addr_eq(&c.p[i].a, &p.a));
	}

	/* within 10.0.0.0/8: itself and everything under it, nothing else. */
	memset(&c, 0, sizeof(c));
	w = P("10.0.0.0/8");
	assert_int_equal(lpm_walk(t, &w, collect_cb, &c), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.p[0].len, 8);
	assert_int_equal(c.p[4].len, 32);
	/* within a non-stored prefix that sits above a branch. */
	memset(&c, 0, sizeof(c));
	w = P("10.0.0.0/15");
	assert_int_equal(lpm_walk(t, &w, collect_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.p[0].len, 16);
	/* within with nothing inside. */
	memset(&c, 0, sizeof(c));
	w = P("10.2.0.0/16");
	assert_int_equal(lpm_walk(t, &w, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
	memset(&c, 0, sizeof(c));
	w = P("2001:db8::/33");
	assert_int_equal(lpm_walk(t, &w, collect_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].len, 48);

	/* A non-zero return stops the walk and comes back. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	assert_int_equal(lpm_walk(t, NULL, collect_cb, &c), 7);
	assert_int_equal(c.n, 3);
	lpm_free(t, NULL);
}

static int freed;

static void
count_free(void *v)
{
	freed++;
	free(v);
}

static void
test_free_val(void **state)
{
	struct lpm *t = lpm_new();
	struct prefix p;
	int i;

	freed = 0;
	for (i = 0; i < 20; i++) {
		p = P(i % 2 ? "2001:db8::/32" : "10.0.0.0/8");
		p.len = (uint8_t)(p.len + i);
		assert_int_equal(lpm_insert(t, &p, malloc(1)), 0);
	}
	lpm_free(t, count_free);
	assert_int_equal(freed, 20);
}

/*
 * Pruning: the trie's shape depends only on the set of prefixes it holds,
 * so after any churn the heap in use must come back to exactly what the
 * same set needed before, and to the baseline when emptied.  Measured with
 * glibc's allocator statistics; skipped elsewhere.
 */
static void
test_churn_memory(void **state)
{
#ifdef __GLIBC__
	struct lpm *t = lpm_new();
	struct prefix p;
	size_t base, held;
	unsigned i, round;

	base = mallinfo2().uordblks;
	for (i = 0; i < 200; i++) {
		p = P("10.0.0.0/8");
		p.a.b[1] = (uint8_t)(i * 37);
		p.a.b[2] = (uint8_t)i;
		p.len = (uint8_t)(16 + i % 17);
		prefix_canon(&p);
		(void)lpm_insert(t, &p, &V[0]);
	}
	held = mallinfo2().uordblks;
	if (held <= base) {
		/* A replaced allocator (ASan, valgrind) reports nothing useful. */
		lpm_free(t, NULL);
		skip();
	}
	for (round = 0; round < 50; round++) {
		/* Extra prefixes that split existing glue and leaves, then go. */
		for (i = 0; i < 100; i++) {
			p = P("10.0.0.0/8");
			p.a.b[1] = (uint8_t)(i * 37 + round);
			p.a.b[2] = (uint8_t)(i ^ round);
			p.a.b[3] = (uint8_t)(i * round);
			p.len = (uint8_t)(9 + (i + round) % 24);
			prefix_canon(&p);
			if (lpm_insert(t, &p, &V[1]) == 0) {
				assert_ptr_equal(lpm_remove(t, &p), &V[1]);
			}
		}
		assert_int_equal(mallinfo2().uordblks, held);
	}
	/* Remove the original set: back to the empty trie's footprint. */
	for (i = 0; i < 200; i++) {
		p = P("10.0.0.0/8");
		p.a.b[1] = (uint8_t)(i * 37);
		p.a.b[2] = (uint8_t)i;
		p.len = (uint8_t)(16 + i % 17);
		prefix_canon(&p);
		(void)lpm_remove(t, &p);
	}
	assert_int_equal(lpm_count(t), 0);
	assert_int_equal(mallinfo2().uordblks, base);
	lpm_free(t, NULL);
#else
	skip();
#endif
}

/*
 * Randomised comparison against a linear scan.  Prefixes come from a few
 * base addresses with a handful of random bit flips, so many of them share
 * long leading runs and the trie branches deep; lengths are uniform.
 */
enum { REF_MAX = 4096, ROUNDS = 12000 };

struct ref {
	struct prefix p[REF_MAX];
	int *v[REF_MAX];
	size_t n;
};

/* xorshift64*, fixed seed: failures reproduce. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static struct addr bases[2][4];

static void
rand_addr(int fam, struct addr *a)
{
	unsigned bits = fam ? 128 : 32, i, flips, b;

	*a = bases[fam][rng() % 4];
	flips = (unsigned)(rng() % 4);
	for (i = 0; i < flips; i++) {
		b = (unsigned)(rng() % bits);
		a->b[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
	/* Sometimes a fully random address. */
	if (rng() % 16 == 0)
		for (i = 0; i < bits / 8; i++)
			a->b[i] = (uint8_t)rng();
}

static void
rand_prefix(int fam, struct prefix *p)
{
	unsigned bits = fam ? 128 : 32;

	rand_addr(fam, &p->a);
	p->len = (uint8_t)(rng() % (bits + 1));
	prefix_canon(p);
}

static bool
pfx_eq(const struct prefix *x, const struct prefix *y)
{
	return x->len == y->len && addr_eq(&x->a, &y->a);
}

static long
ref_find(const struct ref *r, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (pfx_eq(&r->p[i], p))
			return (long)i;
	return -1;
}

/* Order of the walk: family (v4 first), address, then length. */
static int
pfx_cmp(const struct prefix *x, const struct prefix *y)
{
	int c;

	if (x->a.family != y->a.family)
		return x->a.family == AF_INET ? -1 : 1;
	if ((c = memcmp(x->a.b, y->a.b, 16)) != 0)
		return c;
	return (int)x->len - (int)y->len;
}

static void
check_addr(const struct lpm *t, const struct ref *r, const struct addr *a)
{
	void *vals[130];
	uint8_t lens[130];
	int *want[130];
	uint8_t wlen[130];
	size_t i, j, k = 0, n;
	struct prefix m;
	void *got;

	/* Reference: every container, sorted longest first. */
	for (i = 0; i < r->n; i++) {
		if (!prefix_contains(&r->p[i], a))
			continue;
		for (j = k; j > 0 && wlen[j - 1] < r->p[i].len; j--) {
			want[j] = want[j - 1];
			wlen[j] = wlen[j - 1];
		}
		want[j] = r->v[i];
		wlen[j] = r->p[i].len;
		k++;
	}
	got = lpm_lookup(t, a, &m);
	if (k == 0) {
		assert_null(got);
	} else {
		assert_ptr_equal(got, want[0]);
		assert_int_equal(m.len, wlen[0]);
		assert_true(prefix_contains(&m, a));
	}
	n = lpm_matches(t, a, vals, lens, 130);
	assert_int_equal(n, k);
	for (i = 0; i < k; i++) {
		assert_ptr_equal(vals[i], want[i]);
		assert_int_equal(lens[i], wlen[i]);
	}
	if (k > 1) {
		assert_int_equal(lpm_matches(t, a, vals, lens, 1), k);
		assert_ptr_equal(vals[0], want[0]);
	}
}

struct walkcheck {
	const struct ref *r;
	const struct prefix *within;
	struct prefix last;
	size_t n;
};

static int
walkcheck_cb(const struct prefix *p, void *val, void *arg)
{
	struct walkcheck *w = arg;
	long i = ref_find(w->r, p);

	assert_true(i >= 0);
	assert_ptr_equal(w->r->v[i], val);
	if (w->within != NULL) {
		assert_int_equal(p->a.family, w->within->a.family);
		assert_true(p->len >= w->within->len);
		assert_true(prefix_contains(w->within, &p->a));
	}
	if (w->n > 0)
		assert_true(pfx_cmp(&w->last, p) < 0);
	w->last = *p;
	w->n++;
	return 0;
}

static void
check_walk(const struct lpm *t, const struct ref *r, const struct prefix *within)
{
	struct walkcheck w = { .r = r, .within = within };
	size_t i, want = 0;

	assert_int_equal(lpm_walk(t, within, walkcheck_cb, &w), 0);
	for (i = 0; i < r->n; i++)
		if (within == NULL || (r->p[i].a.family == within->a.family &&
		    r->p[i].len >= within->len && prefix_contains(within, &r->p[i].a)))
			want++;
	/* Strictly increasing and each one in the reference: same set. */
	assert_int_equal(w.n, want);
}

static void
test_random_vs_reference(void **state)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct lpm *t = lpm_new();
	struct prefix p;
	struct addr a;
	unsigned round, i;
	long at;
	int fam, *v, *got;

	assert_non_null(r);
	for (fam = 0; fam < 2; fam++)
		for (i = 0; i < 4; i++) {
			memset(&bases[fam][i], 0, sizeof(bases[fam][i]));
			bases[fam][i].family = fam ? AF_INET6 : AF_INET;
			for (unsigned j = 0; j < (fam ? 16u : 4u); j++)
				bases[fam][i].b[j] = (uint8_t)rng();
		}
	/* Two bases that differ in one late bit: deep shared paths. */
	bases[0][1] = bases[0][0];
	bases[0][1].b[3] ^= 0x04;
	bases[1][1] = bases[1][0];
	bases[1][1].b[13] ^= 0x10;

	for (round = 0; round < ROUNDS; round++) {
		fam = (int)(rng() % 2);
		rand_prefix(fam, &p);
		at = ref_find(r, &p);
		/* Grow for the first half, then drift toward removals. */
		if (rng() % 100 < (round < ROUNDS / 2 ? 70u : 35u) && r->n < REF_MAX) {
			v = malloc(sizeof(*v));
			assert_non_null(v);
			*v = (int)round;
			if (at >= 0) {
				assert_int_equal(lpm_insert(t, &p, v), ERR_EXISTS);
				free(v);
			} else {
				assert_int_equal(lpm_insert(t, &p, v), 0);
				r->p[r->n] = p;
				r->v[r->n] = v;
				r->n++;
			}
		} else {
			/* Remove one known half the time, else a random one. */
			if (r->n > 0 && rng() % 2 == 0) {
				at = (long)(rng() % r->n);
				p = r->p[at];
			}
			got = lpm_remove(t, &p);
			if (at < 0) {
				assert_null(got);
			} else {
				assert_ptr_equal(got, r->v[at]);
				free(got);
				r->n--;
				r->p[at] = r->p[r->n];
				r->v[at] = r->v[r->n];
			}
		}
		assert_int_equal(lpm_count(t), r->n);

		rand_addr(fam, &a);
		check_addr(t, r, &a);
		rand_prefix(fam, &p);
		at = ref_find(r, &p);
		if (at < 0)
			assert_null(lpm_exact(t, &p));
		else
			assert_ptr_equal(lpm_exact(t, &p), r->v[at]);
		if (r->n > 0) {
			i = (unsigned)(rng() % r->n);
			assert_ptr_equal(lpm_exact(t, &r->p[i]), r->v[i]);
			check_addr(t, r, &r->p[i].a);
		}
		if (round % 50 == 0) {
			check_walk(t, r, NULL);
			check_walk(t, r, &p);
		}
	}
	check_walk(t, r, NULL);

	/* Empty it completely: nothing must answer afterwards. */
	while (r->n > 0) {
		r->n--;
		assert_ptr_equal(lpm_remove(t, &r->p[r->n]), r->v[r->n]);
		free(r->v[r->n]);
		if (r->n % 64 == 0) {
			rand_addr(0, &a);
			check_addr(t, r, &a);
			rand_addr(1, &a);
			check_addr(t, r, &a);
		}
	}
	assert_int_equal(lpm_count(t), 0);
	check_walk(t, r, NULL);
	free(r);
	lpm_free(t, free);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_and_host),
		cmocka_unit_test(test_nested_exact_vs_lpm),
		cmocka_unit_test(test_remove_inner_outer),
		cmocka_unit_test(test_inval),
		cmocka_unit_test(test_walk_known),
		cmocka_unit_test(test_free_val),
		cmocka_unit_test(test_churn_memory),
		cmocka_unit_test(test_random_vs_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
