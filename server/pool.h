/*
 * pool.h - the client address pool (IPv4, topology subnet).
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

struct pool {
	struct prefix net;      /* the client network, e.g. 10.8.0.0/24 */
	struct addr gateway;    /* the server's own tunnel address (NET+1) */
	uint32_t first;         /* host-order first address handed out */
	uint32_t size;          /* number of addresses */
	uint32_t used;
	uint64_t *bits;         /* bit i set = first+i is taken */
};

/* `server NET MASK` in topology subnet: gateway NET+1, pool NET+2 .. broadcast-1.
 * ERR_RANGE if the network is longer than /29 or shorter than /16 (doc §13). */
int pool_init_subnet(struct pool *p, const struct prefix *net);
void pool_free(struct pool *p);

/* Take the lowest free address. ERR_FULL when exhausted. */
int pool_alloc(struct pool *p, struct addr *out, uint32_t *idx);
/* Take a specific address (static assignment). ERR_RANGE outside the pool, ERR_EXISTS if taken. */
int pool_reserve(struct pool *p, const struct addr *a, uint32_t *idx);
/* Give an address back; releasing a free or foreign address is a no-op that returns ERR_NOTFOUND. */
int pool_release(struct pool *p, const struct addr *a);
/* Index of an address inside the pool range (taken or not). */
bool pool_index(const struct pool *p, const struct addr *a, uint32_t *idx);
bool pool_in_use(const struct pool *p, uint32_t idx);

#endif
