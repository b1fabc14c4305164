/*
 * pool.h - the client address pool (IPv4) for the three topologies of
 * `server NET MASK` (doc §13).
 *
 * A pool is a contiguous range of host addresses inside the client network,
 * tracked by a bitmap.  Every address has a stable index (its offset from the
 * first address), which the engine uses to map a tunnel address back to its
 * peer in O(1).  Allocation hands out the lowest free address, as 2.6 does,
 * so a restarted server gives the same first client the same address.
 *
 * Ownership: the pool owns its bitmap; pool_free() releases it.
 */
#ifndef OVPN_POOL_H
#define OVPN_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* doc §13: how `server NET MASK` hands out addresses */
enum topology { TOPO_NET30 = 0, TOPO_P2P, TOPO_SUBNET };

struct pool {
	struct prefix net;      /* the client network, e.g. 10.8.0.0/24 */
	struct addr gateway;    /* the server's own tunnel address (NET+1) */
	enum topology topology;
	uint32_t first;         /* host-order first address handed out */
	uint32_t step;          /* distance between addresses: 4 in net30, else 1 */
	uint32_t size;          /* number of addresses */
	uint32_t used;
	uint64_t *bits;         /* bit i set = first+i is taken */
	/* server-ipv6: client i also gets base6 + i, so both families share
	 * one index (2.6 hands the two out in parallel too) */
	bool has6;
	struct prefix net6;
	struct addr gateway6;   /* P+1 */
	struct addr base6;      /* P+0x1000, or P+2 for /112 and longer */
};

/* `server NET MASK`: the server takes NET+1 in every topology; clients get
 *   subnet  NET+2 .. broadcast-1, one address each;
 *   net30   one /30 block each from NET+4 to broadcast-4, the client on b+2
 *           and its point-to-point peer on b+1;
 *   p2p     NET+4 .. broadcast-4, one address each, peer NET+1.
 * ERR_RANGE if the network is longer than /29 (or leaves no client address)
 * or shorter than /16 (doc §13). */
int pool_init(struct pool *p, const struct prefix *net, enum topology t);
/* The address a client's tunnel points at (pushed as ifconfig's second
 * argument in net30 and p2p). */
void pool_peer_addr(const struct pool *p, const struct addr *client, struct addr *out);
void pool_free(struct pool *p);
/* Add IPv6 addresses from `server-ipv6 P/len` (64..124). ERR_RANGE if the
 * prefix has fewer addresses than the IPv4 pool. */
int pool_add_ipv6(struct pool *p, const struct prefix *net6);
/* The IPv6 address of pool index idx. */
void pool_addr6(const struct pool *p, uint32_t idx, struct addr *out);

/* Take the lowest free address. ERR_FULL when exhausted. */
int pool_alloc(struct pool *p, struct addr *out, uint32_t *idx);
/* The same, skipping free addresses for which avoid returns true (sticky
 * leases other clients hold: ifconfig-pool-persist).  ERR_FULL when every
 * free address is avoided too; the caller may then fall back to pool_alloc. */
int pool_alloc_avoid(struct pool *p, bool (*avoid)(const struct addr *a, void *arg), void *arg,
		     struct addr *out, uint32_t *idx);
/* Take a specific address (static assignment). ERR_RANGE outside the pool, ERR_EXISTS if taken. */
int pool_reserve(struct pool *p, const struct addr *a, uint32_t *idx);
/* Give an address back; releasing a free or foreign address is a no-op that returns ERR_NOTFOUND. */
int pool_release(struct pool *p, const struct addr *a);
/* Index of an address inside the pool range (taken or not); either family. */
bool pool_index(const struct pool *p, const struct addr *a, uint32_t *idx);
bool pool_in_use(const struct pool *p, uint32_t idx);

#endif
