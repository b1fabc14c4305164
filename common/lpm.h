/*
 * lpm.h - longest-prefix match over IPv4 and IPv6 prefixes: a binary
 * path-compressed (PATRICIA-style) trie per family, mapping each stored
 * prefix to one caller value.
 *
 * Used by the route table (rtable) and the authorization rules (authz), so
 * a packet's destination costs one walk of at most 33 or 129 nodes, never
 * a scan of every rule.  Lookups do not allocate and never modify the trie.
 *
 * Ownership: the trie stores the caller's value pointers and never
 * dereferences them; lpm_free() calls free_val (if not NULL) on each.
 * Prefixes are stored canonical (host bits cleared).  Not thread-safe:
 * one owner.
 */
#ifndef OVPN_LPM_H
#define OVPN_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct lpm;

/* NULL when out of memory. */
struct lpm *lpm_new(void);
/* Free every node; free_val(value) for each stored value when not NULL.  NULL t is allowed. */
void lpm_free(struct lpm *t, void (*free_val)(void *));

/* Store val under p (canonicalised first: host bits are ignored).
 * 0; ERR_EXISTS if p is already stored (nothing changes); ERR_INVAL for a
 * family other than AF_INET/AF_INET6, a length beyond the family's, or a
 * NULL val; ERR_NOMEM. */
int lpm_insert(struct lpm *t, const struct prefix *p, void *val);
/* Remove p; returns its value, or NULL if p was not stored. */
void *lpm_remove(struct lpm *t, const struct prefix *p);
/* The value stored under exactly p, or NULL. */
void *lpm_exact(const struct lpm *t, const struct prefix *p);
/* The value of the longest stored prefix containing a, or NULL; its
 * prefix in *matched when matched is not NULL. */
void *lpm_lookup(const struct lpm *t, const struct addr *a, struct prefix *matched);
/* Every stored prefix containing a, longest first: up to cap values into
 * vals (and their lengths into lens, when not NULL).  Returns how many
 * were found (which may exceed cap; only cap are written). */
size_t lpm_matches(const struct lpm *t, const struct addr *a, void **vals, uint8_t *lens,
		   size_t cap);
/* Call fn for each stored prefix inside `within` (itself included), in
 * address order and, for equal addresses, shorter first; `within` NULL
 * means every prefix of both families (IPv4 first).  fn returning non-zero
 * stops the walk and that value is returned; else 0.  fn must not modify
 * the trie. */
int lpm_walk(const struct lpm *t, const struct prefix *within,
	     int (*fn)(const struct prefix *p, void *val, void *arg), void *arg);
/* Number of stored prefixes (both families). */
size_t lpm_count(const struct lpm *t);

#endif
