/*
 * lpm.c - longest-prefix match: one binary path-compressed trie per family.
 *
 * Every node carries a canonical prefix (the bits it stands for, host bits
 * zero).  A node's children hold strictly longer prefixes inside its own,
 * and child[b] is the side whose bit at position node->len is b.  Runs of
 * single-child nodes are never stored (that is the path compression): a
 * node exists either because a prefix is stored there (val != NULL) or,
 * as a "glue" node with val == NULL, because two stored prefixes diverge
 * at that bit.
 *
 * Invariants:
 *  - every glue node has exactly two children;
 *  - along any root-to-leaf path, lengths strictly increase and each
 *    prefix contains the next.
 * With them the trie holds at most 2n - 1 nodes for n prefixes, whatever
 * sequence of inserts and removes built it, so memory cannot creep with
 * churn: remove() re-establishes the first invariant by unlinking the node
 * (if it has at most one child) and then folding a parent that became a
 * glue node with a single child.
 *
 * Reading: a lookup walks down from the root at most 33 or 129 steps,
 * checking that each node's bits match the address; nothing is allocated.
 * The pre-order walk (node, child 0, child 1) visits prefixes in address
 * order with shorter ones first for equal addresses, because a node's
 * canonical address is the lowest address of everything beneath it.
 * Recursion depth is bounded by the same 33/129.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lpm.h"

struct lpm_node {
	struct lpm_node *child[2];
	struct prefix p;   /* canonical */
	void *val;         /* NULL: glue node */
};

struct lpm {
	struct lpm_node *root[2];   /* [0] AF_INET, [1] AF_INET6 */
	size_t count;
};

/* Root slot index for a family, or -1 for one we do not store. */
static int
fam_index(uint8_t family)
{
	switch (family) {
	case AF_INET:
		return 0;
	case AF_INET6:
		return 1;
	default:
		return -1;
	}
}

/* Bit i (0 = most significant bit of b[0]). */
static unsigned
bit_at(const uint8_t *b, unsigned i)
{
	return (b[i >> 3] >> (7 - (i & 7))) & 1;
}

/* True when the first len bits of x and y are equal. */
static bool
bits_match(const uint8_t *x, const uint8_t *y, unsigned len)
{
	unsigned full = len >> 3, rest = len & 7;
	uint8_t mask;

	if (full != 0 && memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return ((x[full] ^ y[full]) & mask) == 0;
}

/* Number of leading bits x and y share, at most max. */
static unsigned
common_bits(const uint8_t *x, const uint8_t *y, unsigned max)
{
	unsigned i, n = 0;
	uint8_t d;

	for (i = 0; n < max; i++) {
		d = x[i] ^ y[i];
		if (d == 0) {
			n += 8;
			continue;
		}
		while ((d & 0x80) == 0) {
			d <<= 1;
			n++;
		}
		break;
	}
	return n < max ? n : max;
}

/*
 * Validate and canonicalise a caller's prefix.  Returns the family index,
 * or -1 for a bad family or a length beyond the family's width.
 */
static int
canon_key(const struct prefix *in, struct prefix *out)
{
	int fi;

	if (in == NULL || (fi = fam_index(in->a.family)) < 0)
		return -1;
	if (in->len > addr_bits(&in->a))
		return -1;
	*out = *in;
	prefix_canon(out);
	return fi;
}

static struct lpm_node *
node_new(const struct prefix *p, void *val)
{
	struct lpm_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->p = *p;
	n->val = val;
	return n;
}

struct lpm *
lpm_new(void)
{
	return calloc(1, sizeof(struct lpm));
}

static void
free_subtree(struct lpm_node *n, void (*free_val)(void *))
{
	if (n == NULL)
		return;
	free_subtree(n->child[0], free_val);
	free_subtree(n->child[1], free_val);
	if (n->val != NULL && free_val != NULL)
		free_val(n->val);
	free(n);
}

void
lpm_free(struct lpm *t, void (*free_val)(void *))
{
	if (t == NULL)
		return;
	free_subtree(t->root[0], free_val);
	free_subtree(t->root[1], free_val);
	free(t);
}

int
lpm_insert(struct lpm *t, const struct prefix *p, void *val)
{
	struct lpm_node **slot, *n, *nn, *glue;
	struct prefix key, gp;
	unsigned common;
	int fi;

	if (t == NULL || val == NULL || (fi = canon_key(p, &key)) < 0)
		return ERR_INVAL;

	slot = &t->root[fi];
	while ((n = *slot) != NULL) {
		common = common_bits(n->p.a.b, key.a.b,
		    n->p.len < key.len ? n->p.len : key.len);
		if (common == n->p.len && common == key.len) {
			/* Exactly this node: taken, or a glue node to fill. */
			if (n->val != NULL)
				return ERR_EXISTS;
			n->val = val;
			t->count++;
			return 0;
		}
		if (common == n->p.len) {
			/* n contains key: descend. */
			slot = &n->child[bit_at(key.a.b, n->p.len)];
			continue;
		}
		if (common == key.len) {
			/* key contains n: new node above it. */
			if ((nn = node_new(&key, val)) == NULL)
				return ERR_NOMEM;
			nn->child[bit_at(n->p.a.b, key.len)] = n;
			*slot = nn;
			t->count++;
			return 0;
		}
		/* They diverge at bit `common`: a glue node joins them. */
		gp = key;
		gp.len = (uint8_t)common;
		prefix_canon(&gp);
		if ((nn = node_new(&key, val)) == NULL)
			return ERR_NOMEM;
		if ((glue = node_new(&gp, NULL)) == NULL) {
			free(nn);
			return ERR_NOMEM;
		}
		glue->child[bit_at(key.a.b, common)] = nn;
		glue->child[bit_at(n->p.a.b, common)] = n;
		*slot = glue;
		t->count++;
		return 0;
	}
	if ((nn = node_new(&key, val)) == NULL)
		return ERR_NOMEM;
	*slot = nn;
	t->count++;
	return 0;
}

void *
lpm_remove(struct lpm *t, const struct prefix *p)
{
	struct lpm_node **slot, **pslot = NULL, *n, *parent, *rest;
	struct prefix key;
	void *val;
	int fi;

	if (t == NULL || (fi = canon_key(p, &key)) < 0)
		return NULL;

	slot = &t->root[fi];
	while ((n = *slot) != NULL && n->p.len < key.len) {
		if (!bits_match(n->p.a.b, key.a.b, n->p.len))
			return NULL;
		pslot = slot;
		slot = &n->child[bit_at(key.a.b, n->p.len)];
	}
	if (n == NULL || n->p.len != key.len || n->val == NULL ||
	    !bits_match(n->p.a.b, key.a.b, key.len))
		return NULL;

	val = n->val;
	n->val = NULL;
	t->count--;

	if (n->child[0] != NULL && n->child[1] != NULL)
		return val;     /* stays as a glue node */
	if (n->child[0] != NULL || n->child[1] != NULL) {
		/* One child takes its place; the parent keeps two children. */
		*slot = n->child[0] != NULL ? n->child[0] : n->child[1];
		free(n);
		return val;
	}
	/* A leaf: unlink, then fold a glue parent left with one child. */
	*slot = NULL;
	free(n);
	if (pslot != NULL) {
		parent = *pslot;
		if (parent->val == NULL) {
			rest = parent->child[0] != NULL ? parent->child[0] : parent->child[1];
			*pslot = rest;
			free(parent);
		}
	}
	return val;
}

void *
lpm_exact(const struct lpm *t, const struct prefix *p)
{
	const struct lpm_node *n;
	struct prefix key;
	int fi;

	if (t == NULL || (fi = canon_key(p, &key)) < 0)
		return NULL;
	for (n = t->root[fi]; n != NULL && n->p.len < key.len;
	    n = n->child[bit_at(key.a.b, n->p.len)]) {
		if (!bits_match(n->p.a.b, key.a.b, n->p.len))
			return NULL;
	}
	if (n == NULL || n->p.len != key.len || !bits_match(n->p.a.b, key.a.b, key.len))
		return NULL;
	return n->val;
}

/*
 * Collect the value nodes on a's path, shortest first, into path[] (room
 * for 129, the most a path can hold).  Returns how many.
 */
static size_t
match_path(const struct lpm *t, const struct addr *a, const struct lpm_node **path)
{
	const struct lpm_node *n;
	unsigned bits;
	size_t k = 0;
	int fi;

	if (t == NULL || a == NULL || (fi = fam_index(a->family)) < 0)
		return 0;
	bits = addr_bits(a);
	for (n = t->root[fi]; n != NULL; n = n->child[bit_at(a->b, n->p.len)]) {
		if (!bits_match(n->p.a.b, a->b, n->p.len))
			break;
		if (n->val != NULL)
			path[k++] = n;
		if (n->p.len >= bits)
			break;
	}
	return k;
}

void *
lpm_lookup(const struct lpm *t, const struct addr *a, struct prefix *matched)
{
	const struct lpm_node *n, *best = NULL;
	unsigned bits;
	int fi;

	if (t == NULL || a == NULL || (fi = fam_index(a->family)) < 0)
		return NULL;
	bits = addr_bits(a);
	for (n = t->root[fi]; n != NULL; n = n->child[bit_at(a->b, n->p.len)]) {
		if (!bits_match(n->p.a.b, a->b, n->p.len))
			break;
		if (n->val != NULL)
			best = n;
		if (n->p.len >= bits)
			break;
	}
	if (best == NULL)
		return NULL;
	if (matched != NULL)
		*matched = best->p;
	return best->val;
}

size_t
lpm_matches(const struct lpm *t, const struct addr *a, void **vals, uint8_t *lens,
    size_t cap)
{
	const struct lpm_node *path[129];
	size_t k, i;

	k = match_path(t, a, path);
	for (i = 0; i < k && i < cap; i++) {
		vals[i] = path[k - 1 - i]->val;
		if (lens != NULL)
			lens[i] = path[k - 1 - i]->p.len;
	}
	return k;
}

static int
walk_subtree(const struct lpm_node *n, int (*fn)(const struct prefix *, void *, void *),
    void *arg)
{
	int r;

	if (n == NULL)
		return 0;
	if (n->val != NULL && (r = fn(&n->p, n->val, arg)) != 0)
		return r;
	if ((r = walk_subtree(n->child[0], fn, arg)) != 0)
		return r;
	return walk_subtree(n->child[1], fn, arg);
}

int
lpm_walk(const struct lpm *t, const struct prefix *within,
    int (*fn)(const struct prefix *p, void *val, void *arg), void *arg)
{
	const struct lpm_node *n;
	struct prefix key;
	int fi, r;

	if (t == NULL || fn == NULL)
		return 0;
	if (within == NULL) {
		if ((r = walk_subtree(t->root[0], fn, arg)) != 0)
			return r;
		return walk_subtree(t->root[1], fn, arg);
	}
	if ((fi = canon_key(within, &key)) < 0)
		return ERR_INVAL;
	/*
	 * Skip the nodes shorter than `within` (none of them is inside it);
	 * the first node at least as long whose bits match heads the subtree
	 * of everything inside.
	 */
	for (n = t->root[fi]; n != NULL && n->p.len < key.len;
	    n = n->child[bit_at(key.a.b, n->p.len)]) {
		if (!bits_match(n->p.a.b, key.a.b, n->p.len))
			return 0;
	}
	if (n == NULL || !bits_match(n->p.a.b, key.a.b, key.len))
		return 0;
	return walk_subtree(n, fn, arg);
}

size_t
lpm_count(const struct lpm *t)
{
	return t != NULL ? t->count : 0;
}
