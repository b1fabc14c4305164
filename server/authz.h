/*
 * authz.h - authorization rules: which clients may reach which destinations
 * (AWS Client VPN's authorization rules, plus explicit deny).
 *
 * A rule is a destination prefix, a subject (every client, or the members
 * of one group) and an action (allow or deny).  For a client and a
 * destination, the rules that apply are those for all clients and those
 * for the client's groups; among them the longest prefix containing the
 * destination decides, and at equal length deny beats allow.  No rule:
 * denied (default deny).
 *
 * Groups are interned: each distinct group name gets a bit, and a client's
 * membership is a uint64_t mask of those bits (AUTHZ_MAX_GROUPS names).
 * Names a client carries that no rule or setting mentions simply have no bit.
 *
 * The per-packet check is one longest-prefix walk (lpm.h), no allocation.
 * Rules carry hit counters; authz_check counts, authz_peek does not.
 */
#ifndef OVPN_AUTHZ_H
#define OVPN_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum { AUTHZ_MAX_GROUPS = 64, AUTHZ_GROUP_MAX = 64, AUTHZ_DESC_MAX = 64 };

enum authz_verdict {
	AUTHZ_DEFAULT_DENY = 0,   /* no rule applies */
	AUTHZ_ALLOW,
	AUTHZ_DENY,               /* a deny rule */
};

struct authz_rule {
	struct prefix dst;           /* canonical */
	int group;                   /* group index, -1 = all clients */
	bool deny;
	char desc[AUTHZ_DESC_MAX];   /* operator's description, "" if none */
	unsigned index;              /* position in config order, from 0 */
	uint64_t hits;               /* packets this rule decided */
};

struct authz;

/* NULL when out of memory. */
struct authz *authz_new(void);
void authz_free(struct authz *a);

/* The index of group `name`, adding it if new.  0; ERR_FULL beyond
 * AUTHZ_MAX_GROUPS names; ERR_INVAL for an empty name or one longer than
 * AUTHZ_GROUP_MAX - 1 or with characters outside [A-Za-z0-9._@-]. */
int authz_group_add(struct authz *a, const char *name, unsigned *idx);
/* The bit of a known group, or 0 when no rule or setting named it. */
uint64_t authz_group_bit(const struct authz *a, const char *name);
/* Name of group idx, or NULL. */
const char *authz_group_name(const struct authz *a, unsigned idx);
unsigned authz_group_count(const struct authz *a);

/* Add a rule (group NULL = all clients; a named group is added if new).
 * 0; ERR_EXISTS for a second rule with the same prefix and subject;
 * ERR_INVAL/ERR_FULL as for authz_group_add; ERR_NOMEM. */
int authz_add(struct authz *a, const struct prefix *dst, const char *group, bool deny,
	      const char *desc);

/* The verdict for a client with membership `groups` sending to dst; the
 * deciding rule in *rule (NULL for default deny) when rule is not NULL.
 * authz_check also counts the hit (on the rule, or the default-deny counter). */
enum authz_verdict authz_check(struct authz *a, uint64_t groups, const struct addr *dst,
			       const struct authz_rule **rule);
enum authz_verdict authz_peek(const struct authz *a, uint64_t groups, const struct addr *dst,
			      const struct authz_rule **rule);
uint64_t authz_default_deny_hits(const struct authz *a);

/* The exact part of `within` that a client with `groups` may reach, as the
 * fewest prefixes: fn is called for each, in address order.  Used to push
 * only the routes a client is authorized for.  At most `cap` prefixes are
 * produced; ERR_OVERFLOW if the answer needs more (nothing is reported in
 * that case beyond what fn already got).  fn returning non-zero stops and
 * that value is returned. */
int authz_allowed_within(const struct authz *a, uint64_t groups, const struct prefix *within,
			 unsigned cap, int (*fn)(const struct prefix *p, void *arg), void *arg);

/* One human line saying which rule decides for (groups, dst) and why,
 * e.g. "allowed by rule 2 (10.0.0.0/16 group engineering): longest matching
 * prefix" or "denied: no rule matches 8.8.8.8 (default deny)". */
int authz_explain(const struct authz *a, uint64_t groups, const struct addr *dst, char *out,
		  size_t cap);

/* Rules in config order. */
size_t authz_count(const struct authz *a);
const struct authz_rule *authz_rule_at(const struct authz *a, size_t i);
/* After a reload: give each rule of `to` the hit count of the identical
 * rule (prefix, group name, action) in `from`, so counters survive. */
void authz_carry_counters(struct authz *to, const struct authz *from);

#endif
