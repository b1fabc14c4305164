/*
 * srclimit.h - rate limits keyed by source address, then global (P3).
 *
 * Each source IP (port ignored: a spoofer picks ports freely) has a token
 * bucket in a fixed-size table; a global bucket caps the total.  A request is
 * allowed only if both have a token, and the per-source bucket is charged
 * first, so one noisy source spends its own budget and cannot drain the
 * global one that real clients share.  Spoofed floods from many addresses
 * can still take the global budget; that budget is sized so the work it
 * allows (one HMAC and one small datagram each) stays cheap.
 *
 * The table has a fixed number of slots and never allocates after init: a
 * new source evicts whatever shared its slot.  Eviction can only ever give a
 * source a fresh bucket, never take one away from a real client for longer
 * than one refill.  Pure: `now` is passed in.
 */
#ifndef OVPN_SRCLIMIT_H
#define OVPN_SRCLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct srclimit_slot {
	struct addr src;
	uint64_t last;      /* µs of last refill */
	uint64_t credit;    /* rate x µs; one request costs 1e6 */
};

struct srclimit {
	struct srclimit_slot *slots;
	uint32_t mask;
	uint64_t seed[2];
	uint32_t per_src_burst, per_src_rate;    /* tokens, tokens per second */
	uint32_t global_burst, global_rate;
	uint64_t global_last;
	uint64_t global_credit;
	uint64_t refused_src, refused_global;
};

/* slots is rounded up to a power of two. ERR_NOMEM, ERR_CRYPTO (seed). */
int srclimit_init(struct srclimit *l, uint32_t slots, uint32_t per_src_burst,
		  uint32_t per_src_rate, uint32_t global_burst, uint32_t global_rate);
void srclimit_free(struct srclimit *l);
/* May `src` be served now?  Charges one token from each bucket if so. */
bool srclimit_allow(struct srclimit *l, const struct addr *src, uint64_t now);

#endif
