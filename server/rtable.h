/*
 * rtable.h - the endpoint's one route table: every destination the endpoint
 * can reach, whatever put it there (config, a learned kernel route, a
 * client's iroute), over IPv4 and IPv6, with longest-prefix match (lpm.h).
 *
 * Several origins may claim the same prefix (an endpoint-route and a BGP
 * route learned for it, say).  They are kept side by side and the most
 * preferred one is active: config before client before learned; among the
 * same origin, the earlier one.  Removing the active entry promotes the
 * next, so withdrawing a learned route never hides a configured one.
 *
 * The table drives the routes pushed to clients, the kernel routes in the
 * endpoint's routing table, the dispatch of packets from TUN to a client
 * behind which a site lives, and what the management socket shows.  It is
 * pure: `now` (wall seconds, for ages) comes from the caller.
 */
#ifndef OVPN_RTABLE_H
#define OVPN_RTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum rt_target {
	RT_TARGET_NET = 0,   /* a target network (index into the config's list) */
	RT_TARGET_LOCAL,     /* the client CIDR itself */
	RT_TARGET_CLIENT,    /* a connected client (its iroutes): peer id */
	RT_TARGET_BLACKHOLE, /* drop */
};

enum rt_origin {
	RT_ORIGIN_CONFIG = 0,
	RT_ORIGIN_CLIENT,    /* iroute of a connected client */
	RT_ORIGIN_LEARNED,   /* kernel route seen on a learn-routes device */
};

enum rt_kind {
	RT_KIND_NONE = 0,
	RT_KIND_VPC,
	RT_KIND_PEERING,
	RT_KIND_SITE,
	RT_KIND_INTERNET,
};

enum { RT_DESC_MAX = 64 };

struct rt_entry {
	struct prefix dst;          /* canonical */
	enum rt_target target;
	unsigned net;               /* RT_TARGET_NET: target network index */
	uint32_t peer_id;           /* RT_TARGET_CLIENT */
	enum rt_origin origin;
	enum rt_kind kind;
	struct addr gw;             /* next hop (learned routes), family 0 = none */
	uint64_t since;             /* wall seconds when it entered the table */
	char desc[RT_DESC_MAX];     /* operator's description, "" if none */
};

struct rtable;

/* NULL when out of memory. */
struct rtable *rt_new(void);
void rt_free(struct rtable *t);

/* Copy e into the table.  0; ERR_EXISTS when an entry with the same
 * prefix, origin, target, net and peer_id is present (nothing changes);
 * ERR_INVAL for a bad prefix; ERR_NOMEM.  `since` is taken from e. */
int rt_add(struct rtable *t, const struct rt_entry *e);
/* Remove the entry with e's prefix, origin, target, net and peer_id.
 * 0 or ERR_NOTFOUND. */
int rt_del(struct rtable *t, const struct rt_entry *e);
/* Remove every entry for which pred returns true (e.g. all of a peer's
 * iroutes, or all routes learned on one network).  Returns how many. */
unsigned rt_del_where(struct rtable *t, bool (*pred)(const struct rt_entry *e, void *arg),
		      void *arg);

/* The active entry of the longest prefix containing a, or NULL. */
const struct rt_entry *rt_lookup(const struct rtable *t, const struct addr *a);
/* The active entry for exactly p, or NULL. */
const struct rt_entry *rt_exact(const struct rtable *t, const struct prefix *p);
/* Every entry, in address order (IPv4 first), shorter prefixes first for
 * equal addresses, the active entry of a prefix before the ones it shadows.
 * fn returning non-zero stops the walk and that value is returned. */
int rt_walk(const struct rtable *t,
	    int (*fn)(const struct rt_entry *e, bool active, void *arg), void *arg);
/* Number of entries (active and shadowed). */
size_t rt_count(const struct rtable *t);
/* Increases with every change, so users can tell when to recompute. */
uint64_t rt_generation(const struct rtable *t);

const char *rt_origin_name(enum rt_origin o);   /* "config", "client", "learned" */
const char *rt_kind_name(enum rt_kind k);       /* "", "vpc", "peering", "site", "internet" */
/* "vpc" etc. into *out; ERR_INVAL for anything else. */
int rt_kind_parse(const char *s, enum rt_kind *out);

#endif
