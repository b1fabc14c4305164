/*
 * rtable.c - the route table: an lpm trie whose values are per-prefix
 * slots, each a small array of the entries claiming that prefix.
 *
 * Invariants:
 *  - every slot stored in the trie holds at least one entry, except in
 *    the middle of rt_del_where (see there);
 *  - a slot's array is kept in preference order, so e[0] is the active
 *    entry: ascending origin (config < client < learned), and among equal
 *    origins in order of arrival (a new entry goes after every entry of
 *    its own or a preferred origin).  Removal keeps the order, so the
 *    next entry is promoted without any further decision;
 *  - no two entries of a slot share the identity (origin, target, net,
 *    peer_id);
 *  - `count` is the sum of the slot sizes, and `gen` grows by one for
 *    every entry added or removed.
 *
 * Pointers returned by rt_lookup/rt_exact point into a slot's array and
 * stay valid only until the next change of the table.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lpm.h"
#include "rtable.h"

struct rt_slot {
	struct prefix dst;            /* the key it is stored under */
	struct rt_entry *e;
	size_t n, cap;
	struct rt_slot *next_empty;   /* rt_del_where's list of emptied slots */
};

struct rtable {
	struct lpm *lpm;
	size_t count;
	uint64_t gen;
};

static const char *const origin_names[] = {
	[RT_ORIGIN_CONFIG] = "config",
	[RT_ORIGIN_CLIENT] = "client",
	[RT_ORIGIN_LEARNED] = "learned",
};

static const char *const kind_names[] = {
	[RT_KIND_NONE] = "",
	[RT_KIND_VPC] = "vpc",
	[RT_KIND_PEERING] = "peering",
	[RT_KIND_SITE] = "site",
	[RT_KIND_INTERNET] = "internet",
};

static void
slot_free(void *v)
{
	struct rt_slot *s = v;

	free(s->e);
	free(s);
}

struct rtable *
rt_new(void)
{
	struct rtable *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->lpm = lpm_new()) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
rt_free(struct rtable *t)
{
	if (t == NULL)
		return;
	lpm_free(t->lpm, slot_free);
	free(t);
}

/* The identity rt_add/rt_del key on, besides the prefix. */
static bool
same_id(const struct rt_entry *a, const struct rt_entry *b)
{
	return a->origin == b->origin && a->target == b->target && a->net == b->net &&
	    a->peer_id == b->peer_id;
}

/* Valid prefix (family, length), canonicalised into *out. */
static bool
canon_dst(const struct prefix *in, struct prefix *out)
{
	if (in->a.family != AF_INET && in->a.family != AF_INET6)
		return false;
	if (in->len > addr_bits(&in->a))
		return false;
	*out = *in;
	prefix_canon(out);
	return true;
}

int
rt_add(struct rtable *t, const struct rt_entry *e)
{
	struct rt_slot *s, *fresh = NULL;
	struct rt_entry ne, *grown;
	size_t i, at, ncap;
	int r;

	if (t == NULL || e == NULL)
		return ERR_INVAL;
	/* The origin decides preference, so an unknown one has no place. */
	if ((unsigned)e->origin > RT_ORIGIN_LEARNED)
		return ERR_INVAL;
	ne = *e;
	if (!canon_dst(&e->dst, &ne.dst))
		return ERR_INVAL;
	ne.desc[sizeof(ne.desc) - 1] = '\0';

	if ((s = lpm_exact(t->lpm, &ne.dst)) == NULL) {
		if ((fresh = calloc(1, sizeof(*fresh))) == NULL)
			return ERR_NOMEM;
		fresh->dst = ne.dst;
		s = fresh;
	}
	for (i = 0; i < s->n; i++)
		if (same_id(&s->e[i], &ne))
			return ERR_EXISTS;   /* fresh is NULL here: s->n > 0 */
	if (s->n == s->cap) {
		ncap = s->cap != 0 ? s->cap * 2 : 2;
		if ((grown = realloc(s->e, ncap * sizeof(*grown))) == NULL) {
			r = ERR_NOMEM;
			goto out;
		}
		s->e = grown;
		s->cap = ncap;
	}
	if (fresh != NULL && (r = lpm_insert(t->lpm, &ne.dst, fresh)) != 0)
		goto out;
	/* After every entry it does not beat: stable within an origin. */
	for (at = 0; at < s->n && s->e[at].origin <= ne.origin; at++)
		;
	memmove(&s->e[at + 1], &s->e[at], (s->n - at) * sizeof(s->e[0]));
	s->e[at] = ne;
	s->n++;
	t->count++;
	t->gen++;
	return 0;
out:
	if (fresh != NULL)
		slot_free(fresh);
	return r;
}

/* Drop entry i of s, keeping the order. */
static void
slot_drop(struct rt_slot *s, size_t i)
{
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(s->e[0]));
	s->n--;
}

int
rt_del(struct rtable *t, const struct rt_entry *e)
{
	struct rt_slot *s;
	struct prefix key;
	size_t i;

	if (t == NULL || e == NULL || !canon_dst(&e->dst, &key))
		return ERR_NOTFOUND;
	if ((s = lpm_exact(t->lpm, &key)) == NULL)
		return ERR_NOTFOUND;
	for (i = 0; i < s->n; i++)
		if (same_id(&s->e[i], e))
			break;
	if (i == s->n)
		return ERR_NOTFOUND;
	slot_drop(s, i);
	t->count--;
	t->gen++;
	if (s->n == 0) {
		(void)lpm_remove(t->lpm, &key);
		slot_free(s);
	}
	return 0;
}

struct del_where {
	struct rtable *t;
	bool (*pred)(const struct rt_entry *, void *);
	void *arg;
	unsigned removed;
	struct rt_slot *empty;
};

static int
del_where_cb(const struct prefix *p, void *val, void *arg)
{
	struct del_where *d = arg;
	struct rt_slot *s = val;
	size_t i = 0;

	while (i < s->n) {
		if (d->pred(&s->e[i], d->arg)) {
			slot_drop(s, i);
			d->removed++;
		} else {
			i++;
		}
	}
	if (s->n == 0) {
		s->next_empty = d->empty;
		d->empty = s;
	}
	return 0;
}

/*
 * The walk may not change the trie, but it may change the slots it hands
 * out: entries are dropped in place, and slots left empty are chained
 * through next_empty and unlinked from the trie once the walk is over.
 * No allocation, so nothing here can fail half-way.
 */
unsigned
rt_del_where(struct rtable *t, bool (*pred)(const struct rt_entry *e, void *arg), void *arg)
{
	struct del_where d = { .t = t, .pred = pred, .arg = arg };
	struct rt_slot *s;

	if (t == NULL || pred == NULL)
		return 0;
	(void)lpm_walk(t->lpm, NULL, del_where_cb, &d);
	while ((s = d.empty) != NULL) {
		d.empty = s->next_empty;
		(void)lpm_remove(t->lpm, &s->dst);
		slot_free(s);
	}
	t->count -= d.removed;
	t->gen += d.removed;
	return d.removed;
}

const struct rt_entry *
rt_lookup(const struct rtable *t, const struct addr *a)
{
	struct rt_slot *s;

	if (t == NULL || a == NULL || (s = lpm_lookup(t->lpm, a, NULL)) == NULL)
		return NULL;
	return &s->e[0];
}

const struct rt_entry *
rt_exact(const struct rtable *t, const struct prefix *p)
{
	struct rt_slot *s;

	if (t == NULL || p == NULL || (s = lpm_exact(t->lpm, p)) == NULL)
		return NULL;
	return &s->e[0];
}

struct walk_arg {
	int (*fn)(const struct rt_entry *, bool, void *);
	void *arg;
};

static int
walk_cb(const struct prefix *p, void *val, void *arg)
{
	struct walk_arg *w = arg;
	struct rt_slot *s = val;
	size_t i;
	int r;

	for (i = 0; i < s->n; i++)
		if ((r = w->fn(&s->e[i], i == 0, w->arg)) != 0)
			return r;
	return 0;
}

int
rt_walk(const struct rtable *t, int (*fn)(const struct rt_entry *e, bool active, void *arg),
    void *arg)
{
	struct walk_arg w = { .fn = fn, .arg = arg };

	if (t == NULL || fn == NULL)
		return 0;
	return lpm_walk(t->lpm, NULL, walk_cb, &w);
}

size_t
rt_count(const struct rtable *t)
{
	return t != NULL ? t->count : 0;
}

uint64_t
rt_generation(const struct rtable *t)
{
	return t != NULL ? t->gen : 0;
}

const char *
rt_origin_name(enum rt_origin o)
{
	if ((unsigned)o >= sizeof(origin_names) / sizeof(origin_names[0]))
		return "?";
	return origin_names[o];
}

const char *
rt_kind_name(enum rt_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[k];
}

int
rt_kind_parse(const char *s, enum rt_kind *out)
{
	unsigned k;

	if (s == NULL || *s == '\0')
		return ERR_INVAL;
	/* From 1: the empty name of RT_KIND_NONE is not a kind to ask for. */
	for (k = 1; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (enum rt_kind)k;
			return 0;
		}
	}
	return ERR_INVAL;
}
