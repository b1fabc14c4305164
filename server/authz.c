/*
 * authz.c - authorization rules (AWS Client VPN style, plus deny).
 *
 * Design.  Rules live in two places:
 *   - `rules`, an array of pointers in config order (authz_rule_at, index);
 *   - an lpm trie keyed by destination prefix whose value is the head of a
 *     singly linked list of every rule at that exact prefix, in config order.
 * A rule is allocated once and never moves, so the const pointers handed
 * out by authz_check/authz_rule_at stay valid until authz_free.
 *
 * Decision for (groups, d): lpm_matches gives the stored prefixes
 * containing d, longest first; the first prefix whose list holds a rule
 * that applies to the client decides.  Within that list an applicable deny
 * beats an applicable allow (lowest index first in each class).  Nothing
 * applicable at any prefix: AUTHZ_DEFAULT_DENY.  The match arrays are on
 * the stack (at most 129 prefixes contain an address), so the per-packet
 * path never allocates.
 *
 * Invariants: at most one rule per (prefix, subject) -- authz_add refuses
 * a second with ERR_EXISTS; every stored prefix is canonical; a rule's
 * group is -1 or an index below ngroups; a trie value is never an empty
 * list.
 *
 * authz_allowed_within recurses on a prefix P: the rules containing P give
 * one verdict for all of P; if no applicable rule lies strictly inside P,
 * P is uniform, otherwise both halves are examined.  Results are buffered
 * so that two halves that both turned out fully allowed are replaced by P
 * before anything is reported: what reaches fn is the set of maximal
 * aligned blocks, which is the fewest prefixes covering exactly the
 * allowed addresses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "err.h"
#include "lpm.h"

enum {
	MATCH_MAX = 129,      /* prefixes of one address: /0../128 */
	EXPLAIN_IGNORED = 3,  /* non-member rules named in an explanation */
	EXPLAIN_BUF = 768,
};

/* The public rule first, so a rule pointer is also its entry. */
struct entry {
	struct authz_rule r;
	struct entry *next;   /* next rule at the same prefix */
};

struct authz {
	struct lpm *trie;               /* prefix -> struct entry list */
	struct entry **rules;           /* config order */
	size_t nrules, caprules;
	char groups[AUTHZ_MAX_GROUPS][AUTHZ_GROUP_MAX];
	unsigned ngroups;
	uint64_t default_deny_hits;
};

struct authz *
authz_new(void)
{
	struct authz *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->trie = lpm_new()) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
authz_free(struct authz *a)
{
	size_t i;

	if (a == NULL)
		return;
	/* The trie only points at entries; the rules array owns them. */
	lpm_free(a->trie, NULL);
	for (i = 0; i < a->nrules; i++)
		free(a->rules[i]);
	free(a->rules);
	free(a);
}

/* --- groups ------------------------------------------------------------ */

static bool
group_name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return false;
	n = strlen(name);
	if (n == 0 || n > AUTHZ_GROUP_MAX - 1)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-')
			continue;
		return false;
	}
	return true;
}

/* Index of a known group, or -1. */
static int
group_find(const struct authz *a, const char *name)
{
	unsigned i;

	if (name == NULL)
		return -1;
	for (i = 0; i < a->ngroups; i++)
		if (strcmp(a->groups[i], name) == 0)
			return (int)i;
	return -1;
}

int
authz_group_add(struct authz *a, const char *name, unsigned *idx)
{
	int i;

	if (!group_name_ok(name))
		return ERR_INVAL;
	if ((i = group_find(a, name)) < 0) {
		if (a->ngroups >= AUTHZ_MAX_GROUPS)
			return ERR_FULL;
		i = (int)a->ngroups++;
		/* group_name_ok bounded the length */
		memcpy(a->groups[i], name, strlen(name) + 1);
	}
	if (idx != NULL)
		*idx = (unsigned)i;
	return 0;
}

uint64_t
authz_group_bit(const struct authz *a, const char *name)
{
	int i = group_find(a, name);

	return i < 0 ? 0 : UINT64_C(1) << i;
}

const char *
authz_group_name(const struct authz *a, unsigned idx)
{
	return idx < a->ngroups ? a->groups[idx] : NULL;
}

unsigned
authz_group_count(const struct authz *a)
{
	return a->ngroups;
}

/* --- rules ------------------------------------------------------------- */

static bool
prefix_ok(const struct prefix *p)
{
	return (p->a.family == AF_INET || p->a.family == AF_INET6) &&
	    p->len <= addr_bits(&p->a);
}

static bool
applies(const struct authz_rule *r, uint64_t groups)
{
	return r->group < 0 || ((groups >> r->group) & 1) != 0;
}

/*
 * The rule deciding among those stored at one prefix: the first applicable
 * deny, else the first applicable allow, else NULL.
 */
static struct entry *
pick(struct entry *head, uint64_t groups)
{
	struct entry *e, *allow = NULL;

	for (e = head; e != NULL; e = e->next) {
		if (!applies(&e->r, groups))
			continue;
		if (e->r.deny)
			return e;
		if (allow == NULL)
			allow = e;
	}
	return allow;
}

/* Printable copy of an operator's description, cut to fit. */
static void
copy_desc(char *dst, const char *src)
{
	size_t i = 0;

	if (src != NULL)
		for (; src[i] != '\0' && i < AUTHZ_DESC_MAX - 1; i++)
			dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

int
authz_add(struct authz *a, const struct prefix *dst, const char *group, bool deny,
	  const char *desc)
{
	struct prefix p;
	struct entry *head, *e, *t;
	struct entry **nv;
	int gi = -1, r;
	bool new_group = false;

	if (dst == NULL || !prefix_ok(dst))
		return ERR_INVAL;
	p = *dst;
	prefix_canon(&p);
	if (group != NULL) {
		if (!group_name_ok(group))
			return ERR_INVAL;
		if ((gi = group_find(a, group)) < 0) {
			if (a->ngroups >= AUTHZ_MAX_GROUPS)
				return ERR_FULL;
			new_group = true;
			gi = (int)a->ngroups;
		}
	}
	head = lpm_exact(a->trie, &p);
	for (t = head; t != NULL; t = t->next)
		if (t->r.group == gi)
			return ERR_EXISTS;

	if (a->nrules == a->caprules) {
		size_t nc = a->caprules == 0 ? 16 : a->caprules * 2;

		if ((nv = realloc(a->rules, nc * sizeof(*nv))) == NULL)
			return ERR_NOMEM;
		a->rules = nv;
		a->caprules = nc;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ERR_NOMEM;
	e->r.dst = p;
	e->r.group = gi;
	e->r.deny = deny;
	e->r.index = (unsigned)a->nrules;
	copy_desc(e->r.desc, desc);

	if (head == NULL) {
		if ((r = lpm_insert(a->trie, &p, e)) != 0) {
			free(e);
			return r;
		}
	} else {
		for (t = head; t->next != NULL; t = t->next)
			;
		t->next = e;
	}
	/* Nothing can fail from here on. */
	if (new_group)
		(void)authz_group_add(a, group, NULL);
	a->rules[a->nrules++] = e;
	return 0;
}

size_t
authz_count(const struct authz *a)
{
	return a->nrules;
}

const struct authz_rule *
authz_rule_at(const struct authz *a, size_t i)
{
	return i < a->nrules ? &a->rules[i]->r : NULL;
}

/* --- per-packet decision ---------------------------------------------- */

static struct entry *
decide(const struct authz *a, uint64_t groups, const struct addr *dst)
{
	void *vals[MATCH_MAX];
	size_t i, n;
	struct entry *e;

	n = lpm_matches(a->trie, dst, vals, NULL, MATCH_MAX);
	if (n > MATCH_MAX)
		n = MATCH_MAX;
	for (i = 0; i < n; i++)
		if ((e = pick(vals[i], groups)) != NULL)
			return e;
	return NULL;
}

static enum authz_verdict
verdict_of(const struct entry *e)
{
	if (e == NULL)
		return AUTHZ_DEFAULT_DENY;
	return e->r.deny ? AUTHZ_DENY : AUTHZ_ALLOW;
}

enum authz_verdict
authz_check(struct authz *a, uint64_t groups, const struct addr *dst,
	    const struct authz_rule **rule)
{
	struct entry *e = decide(a, groups, dst);

	if (e != NULL)
		e->r.hits++;
	else
		a->default_deny_hits++;
	if (rule != NULL)
		*rule = e != NULL ? &e->r : NULL;
	return verdict_of(e);
}

enum authz_verdict
authz_peek(const struct authz *a, uint64_t groups, const struct addr *dst,
	   const struct authz_rule **rule)
{
	struct entry *e = decide(a, groups, dst);

	if (rule != NULL)
		*rule = e != NULL ? &e->r : NULL;
	return verdict_of(e);
}

uint64_t
authz_default_deny_hits(const struct authz *a)
{
	return a->default_deny_hits;
}

/* --- allowed_within ---------------------------------------------------- */

struct within_ctx {
	const struct authz *a;
	uint64_t groups;
	struct prefix *out;     /* buffered results, address order */
	size_t n, cap;
	size_t limit;           /* give up once n passes this */
};

enum cover { COVER_NONE, COVER_ALL, COVER_SOME };

/* True when the rules that contain all of P allow it. */
static bool
allowed_over(const struct within_ctx *c, const struct prefix *p)
{
	void *vals[MATCH_MAX];
	uint8_t lens[MATCH_MAX];
	size_t i, n;
	struct entry *e;

	n = lpm_matches(c->a->trie, &p->a, vals, lens, MATCH_MAX);
	if (n > MATCH_MAX)
		n = MATCH_MAX;
	for (i = 0; i < n; i++) {
		/* p->a is canonical: a match no longer than p contains p */
		if (lens[i] > p->len)
			continue;
		if ((e = pick(vals[i], c->groups)) != NULL)
			return !e->r.deny;
	}
	return false;
}

struct inside_arg {
	uint8_t len;
	uint64_t groups;
};

static int
inside_cb(const struct prefix *p, void *val, void *arg)
{
	const struct inside_arg *ia = arg;
	const struct entry *e;

	if (p->len <= ia->len)
		return 0;
	for (e = val; e != NULL; e = e->next)
		if (applies(&e->r, ia->groups))
			return 1;
	return 0;
}

static int
push(struct within_ctx *c, const struct prefix *p)
{
	struct prefix *nv;
	size_t nc;

	if (c->n >= c->limit)
		return ERR_OVERFLOW;
	if (c->n == c->cap) {
		nc = c->cap == 0 ? 16 : c->cap * 2;
		if ((nv = realloc(c->out, nc * sizeof(*nv))) == NULL)
			return ERR_NOMEM;
		c->out = nv;
		c->cap = nc;
	}
	c->out[c->n++] = *p;
	return 0;
}

static void
set_bit(struct addr *x, unsigned bit)
{
	x->b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

/*
 * Cover of P; every block found is pushed, a fully allowed P as itself.
 * *res says which case P was, so the caller can fold two ALL halves.
 */
static int
cover(struct within_ctx *c, const struct prefix *p, enum cover *res)
{
	struct inside_arg ia = { p->len, c->groups };
	struct prefix half[2];
	enum cover hr[2];
	int r, i;

	if (p->len == addr_bits(&p->a) || lpm_walk(c->a->trie, p, inside_cb, &ia) == 0) {
		if (!allowed_over(c, p)) {
			*res = COVER_NONE;
			return 0;
		}
		*res = COVER_ALL;
		return push(c, p);
	}
	half[0] = *p;
	half[0].len++;
	half[1] = half[0];
	set_bit(&half[1].a, p->len);
	for (i = 0; i < 2; i++)
		if ((r = cover(c, &half[i], &hr[i])) != 0)
			return r;
	if (hr[0] == COVER_ALL && hr[1] == COVER_ALL) {
		/* the halves are the last two pushed: fold them into P */
		c->n -= 2;
		*res = COVER_ALL;
		return push(c, p);
	}
	*res = hr[0] == COVER_NONE && hr[1] == COVER_NONE ? COVER_NONE : COVER_SOME;
	return 0;
}

int
authz_allowed_within(const struct authz *a, uint64_t groups, const struct prefix *within,
		     unsigned cap, int (*fn)(const struct prefix *p, void *arg), void *arg)
{
	struct within_ctx c;
	struct prefix w;
	enum cover res;
	size_t i;
	int r;

	if (within == NULL || !prefix_ok(within) || fn == NULL)
		return ERR_INVAL;
	w = *within;
	prefix_canon(&w);
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.groups = groups;
	/*
	 * Halves awaiting their sibling are at most one per level of the
	 * recursion, so the buffer may hold up to 128 more than the answer.
	 */
	c.limit = (size_t)cap + MATCH_MAX;
	if ((r = cover(&c, &w, &res)) != 0)
		goto out;
	if (c.n > cap) {
		r = ERR_OVERFLOW;
		goto out;
	}
	for (i = 0; i < c.n; i++)
		if ((r = fn(&c.out[i], arg)) != 0)
			goto out;
	r = 0;
out:
	free(c.out);
	return r;
}

/* --- explain ----------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void
sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len) {
		s->overflow = true;
		return;
	}
	s->len += (size_t)n;
}

/* "rule 2 (10.0.0.0/16 group eng, allow, "desc")" */
static void
sb_rule(struct sbuf *s, const struct authz *a, const struct authz_rule *r)
{
	char ps[PREFIX_STR_MAX];

	if (prefix_format(&r->dst, ps, sizeof(ps)) != 0)
		snprintf(ps, sizeof(ps), "?");
	sb_printf(s, "rule %u (%s ", r->index + 1, ps);
	if (r->group < 0)
		sb_printf(s, "all");
	else
		sb_printf(s, "group %s", authz_group_name(a, (unsigned)r->group));
	sb_printf(s, ", %s", r->deny ? "deny" : "allow");
	if (r->desc[0] != '\0')
		sb_printf(s, ", \"%s\"", r->desc);
	sb_printf(s, ")");
}

/*
 * Longer-or-equal rules matching dst that the client is not a member for:
 * these are the groups that would have changed the answer.
 */
static void
sb_ignored(struct sbuf *s, const struct authz *a, void **vals, uint8_t *lens, size_t n,
	   uint8_t decided_len, uint64_t groups)
{
	const struct entry *e;
	size_t i;
	unsigned shown = 0, more = 0;

	for (i = 0; i < n && lens[i] >= decided_len; i++) {
		for (e = vals[i]; e != NULL; e = e->next) {
			if (applies(&e->r, groups))
				continue;
			if (shown == EXPLAIN_IGNORED) {
				more++;
				continue;
			}
			sb_printf(s, shown == 0 ? "; not a member for " : ", ");
			sb_rule(s, a, &e->r);
			shown++;
		}
	}
	if (more > 0)
		sb_printf(s, " and %u more", more);
}

int
authz_explain(const struct authz *a, uint64_t groups, const struct addr *dst, char *out,
	      size_t cap)
{
	char buf[EXPLAIN_BUF], as[ADDR_STR_MAX];
	struct sbuf s = { buf, sizeof(buf), 0, false };
	void *vals[MATCH_MAX];
	uint8_t lens[MATCH_MAX];
	struct entry *e = NULL, *other = NULL, *t;
	size_t i, n;

	if (out == NULL || cap == 0)
		return ERR_OVERFLOW;
	if (dst == NULL || addr_format(dst, as, sizeof(as)) != 0)
		return ERR_INVAL;
	n = lpm_matches(a->trie, dst, vals, lens, MATCH_MAX);
	if (n > MATCH_MAX)
		n = MATCH_MAX;
	for (i = 0; i < n; i++)
		if ((e = pick(vals[i], groups)) != NULL)
			break;

	if (e == NULL) {
		sb_printf(&s, "denied: no rule %smatches %s (default deny)",
		    n > 0 ? "for this client " : "", as);
		sb_ignored(&s, a, vals, lens, n, 0, groups);
	} else {
		/* An applicable rule of the other action at the same prefix. */
		for (t = vals[i]; t != NULL; t = t->next)
			if (t != e && applies(&t->r, groups) && t->r.deny != e->r.deny) {
				other = t;
				break;
			}
		sb_printf(&s, "%s by ", e->r.deny ? "denied" : "allowed");
		sb_rule(&s, a, &e->r);
		sb_printf(&s, " for %s: longest matching prefix", as);
		if (other != NULL) {
			sb_printf(&s, "; deny beats allow at equal length over ");
			sb_rule(&s, a, &other->r);
		}
		if (e->r.group >= 0)
			sb_printf(&s, "; client is in group %s",
			    authz_group_name(a, (unsigned)e->r.group));
		sb_ignored(&s, a, vals, lens, n, lens[i], groups);
	}
	if (s.overflow || s.len >= cap)
		return ERR_OVERFLOW;
	memcpy(out, buf, s.len + 1);
	return 0;
}

/* --- reload ------------------------------------------------------------ */

void
authz_carry_counters(struct authz *to, const struct authz *from)
{
	const struct entry *f;
	const char *gname;
	size_t i;

	for (i = 0; i < to->nrules; i++) {
		struct authz_rule *r = &to->rules[i]->r;

		gname = r->group < 0 ? NULL : authz_group_name(to, (unsigned)r->group);
		for (f = lpm_exact(from->trie, &r->dst); f != NULL; f = f->next) {
			const char *fg = f->r.group < 0 ? NULL :
			    authz_group_name(from, (unsigned)f->r.group);

			if (f->r.deny != r->deny)
				continue;
			if ((fg == NULL) != (gname == NULL))
				continue;
			if (fg != NULL && strcmp(fg, gname) != 0)
				continue;
			r->hits = f->r.hits;
			break;
		}
	}
	/* Default deny is not a rule, but its counter is just as useful. */
	to->default_deny_hits = from->default_deny_hits;
}
