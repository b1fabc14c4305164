/*
 * srclimit.c - per-source then global token buckets.
 *
 * Credit is kept exactly, in rate x µs (a request costs 1e6), so frequent
 * calls lose nothing to rounding; elapsed time is clamped first so the
 * product cannot overflow.  A slot whose address differs is simply taken over and starts
 * with a full bucket.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mtime.h"
#include "srclimit.h"

int
srclimit_init(struct srclimit *l, uint32_t slots, uint32_t per_src_burst,
	      uint32_t per_src_rate, uint32_t global_burst, uint32_t global_rate)
{
	uint32_t n = 16;

	memset(l, 0, sizeof(*l));
	while (n < slots && n < (UINT32_C(1) << 24))
		n <<= 1;
	l->slots = calloc(n, sizeof(*l->slots));
	if (l->slots == NULL)
		return ERR_NOMEM;
	if (RAND_bytes((unsigned char *)l->seed, sizeof(l->seed)) != 1) {
		srclimit_free(l);
		return ERR_CRYPTO;
	}
	l->mask = n - 1;
	l->per_src_burst = per_src_burst;
	l->per_src_rate = per_src_rate;
	l->global_burst = global_burst;
	l->global_rate = global_rate;
	l->global_credit = (uint64_t)global_burst * MTIME_US_PER_SEC;
	return 0;
}

void
srclimit_free(struct srclimit *l)
{
	free(l->slots);
	l->slots = NULL;
}

static uint32_t
slot_of(const struct srclimit *l, const struct addr *a)
{
	uint64_t h = l->seed[0] ^ a->family;
	unsigned i;

	for (i = 0; i < sizeof(a->b); i++) {
		h ^= a->b[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= l->seed[1];
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return (uint32_t)h & l->mask;
}

/* Add the credit earned since *last, capped at burst. */
static uint64_t
refill(uint64_t credit, uint64_t *last, uint64_t now, uint32_t burst, uint32_t rate)
{
	uint64_t cap = (uint64_t)burst * MTIME_US_PER_SEC, dt;

	if (now <= *last)
		return credit;
	dt = now - *last;
	*last = now;
	if (dt > MTIME_SEC(3600))
		dt = MTIME_SEC(3600);
	credit += dt * rate;
	return credit > cap ? cap : credit;
}

bool
srclimit_allow(struct srclimit *l, const struct addr *src, uint64_t now)
{
	struct srclimit_slot *s = &l->slots[slot_of(l, src)];

	if (!addr_eq(&s->src, src)) {
		s->src = *src;
		s->last = now;
		s->credit = (uint64_t)l->per_src_burst * MTIME_US_PER_SEC;
	} else {
		s->credit = refill(s->credit, &s->last, now, l->per_src_burst, l->per_src_rate);
	}
	if (s->credit < MTIME_US_PER_SEC) {
		l->refused_src++;
		return false;
	}
	l->global_credit = refill(l->global_credit, &l->global_last, now, l->global_burst,
	    l->global_rate);
	if (l->global_credit < MTIME_US_PER_SEC) {
		l->refused_global++;
		return false;
	}
	s->credit -= MTIME_US_PER_SEC;
	l->global_credit -= MTIME_US_PER_SEC;
	return true;
}
