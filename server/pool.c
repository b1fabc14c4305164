/*
 * pool.c - bitmap address pool.
 *
 * Invariants: `used` equals the number of set bits; bits past `size` in the
 * last word are never set; first + (size - 1) x step never passes the
 * broadcast address.  Index i is the address first + i x step, so a
 * tunnel address maps back to its index, and its peer, in O(1).  Allocation scans words for a zero bit, so the cost is size/64
 * word reads in the worst case (1024 for a /16), and only on connect.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pool.h"

enum { POOL_MIN_LEN = 16, POOL_MAX_LEN = 29 };

int
pool_init(struct pool *p, const struct prefix *net, enum topology t)
{
	uint32_t base, hosts;

	memset(p, 0, sizeof(*p));
	if (net->a.family != AF_INET || net->len < POOL_MIN_LEN || net->len > POOL_MAX_LEN)
		return ERR_RANGE;
	p->net = *net;
	prefix_canon(&p->net);
	base = addr_v4(&p->net.a);
	hosts = UINT32_C(1) << (32 - net->len);
	addr_from_v4(base + 1, &p->gateway);
	p->topology = t;
	switch (t) {
	case TOPO_SUBNET:
		p->first = base + 2;
		p->step = 1;
		p->size = hosts - 3;     /* network, gateway and broadcast are not handed out */
		break;
	case TOPO_NET30:
		p->first = base + 4 + 2;
		p->step = 4;
		p->size = hosts / 4 - 2; /* the first block is the server's, the last holds broadcast */
		break;
	case TOPO_P2P:
		p->first = base + 4;
		p->step = 1;
		p->size = hosts - 8;
		break;
	}
	if (p->size == 0)
		return ERR_RANGE;
	p->bits = calloc((p->size + 63) / 64, sizeof(uint64_t));
	if (p->bits == NULL)
		return ERR_NOMEM;
	return 0;
}

int
pool_add_ipv6(struct pool *p, const struct prefix *net6)
{
	uint64_t room;

	if (net6->a.family != AF_INET6 || net6->len < 64 || net6->len > 124)
		return ERR_RANGE;
	p->net6 = *net6;
	prefix_canon(&p->net6);
	addr_v6_add(&p->net6.a, 1, &p->gateway6);
	addr_v6_add(&p->net6.a, net6->len >= 112 ? 2 : 0x1000, &p->base6);
	/* addresses from base6 to the end of the prefix */
	room = net6->len == 64 ? UINT64_MAX : (UINT64_C(1) << (128 - net6->len)) -
	    (net6->len >= 112 ? 2 : 0x1000);
	if (room < p->size)
		return ERR_RANGE;
	p->has6 = true;
	return 0;
}

void
pool_addr6(const struct pool *p, uint32_t idx, struct addr *out)
{
	addr_v6_add(&p->base6, idx, out);
}

static bool
pool_index6(const struct pool *p, const struct addr *a, uint32_t *idx)
{
	uint64_t lo = 0, base = 0;
	unsigned i;

	if (!p->has6 || memcmp(a->b, p->base6.b, 8) != 0)
		return false;
	for (i = 8; i < 16; i++) {
		lo = lo << 8 | a->b[i];
		base = base << 8 | p->base6.b[i];
	}
	if (lo < base || lo - base >= p->size)
		return false;
	*idx = (uint32_t)(lo - base);
	return true;
}

void
pool_peer_addr(const struct pool *p, const struct addr *client, struct addr *out)
{
	if (p->topology == TOPO_NET30)
		addr_from_v4(addr_v4(client) - 1, out);
	else
		*out = p->gateway;
}

void
pool_free(struct pool *p)
{
	free(p->bits);
	p->bits = NULL;
	p->size = 0;
	p->used = 0;
}

bool
pool_index(const struct pool *p, const struct addr *a, uint32_t *idx)
{
	uint32_t v;

	if (a->family == AF_INET6)
		return pool_index6(p, a, idx);
	if (a->family != AF_INET || p->size == 0)
		return false;
	v = addr_v4(a);
	if (v < p->first || (v - p->first) % p->step != 0 || (v - p->first) / p->step >= p->size)
		return false;
	*idx = (v - p->first) / p->step;
	return true;
}

bool
pool_in_use(const struct pool *p, uint32_t idx)
{
	return idx < p->size && (p->bits[idx / 64] >> (idx % 64) & 1) != 0;
}

static void
pool_set(struct pool *p, uint32_t idx)
{
	p->bits[idx / 64] |= UINT64_C(1) << (idx % 64);
	p->used++;
}

int
pool_alloc_avoid(struct pool *p, bool (*avoid)(const struct addr *a, void *arg), void *arg,
		 struct addr *out, uint32_t *idx)
{
	uint32_t w, nwords = (p->size + 63) / 64;
	uint64_t free_bits;
	uint32_t i;

	for (w = 0; w < nwords; w++) {
		free_bits = ~p->bits[w];
		while (free_bits != 0) {
			i = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
			free_bits &= free_bits - 1;
			if (i >= p->size)
				return ERR_FULL;
			addr_from_v4(p->first + i * p->step, out);
			if (avoid != NULL && avoid(out, arg))
				continue;
			pool_set(p, i);
			*idx = i;
			return 0;
		}
	}
	return ERR_FULL;
}

int
pool_alloc(struct pool *p, struct addr *out, uint32_t *idx)
{
	return pool_alloc_avoid(p, NULL, NULL, out, idx);
}

int
pool_reserve(struct pool *p, const struct addr *a, uint32_t *idx)
{
	uint32_t i;

	if (!pool_index(p, a, &i))
		return ERR_RANGE;
	if (pool_in_use(p, i))
		return ERR_EXISTS;
	pool_set(p, i);
	*idx = i;
	return 0;
}

int
pool_release(struct pool *p, const struct addr *a)
{
	uint32_t i;

	if (!pool_index(p, a, &i) || !pool_in_use(p, i))
		return ERR_NOTFOUND;
	p->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
	p->used--;
	return 0;
}
