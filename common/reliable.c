/*
 * reliable.c - control-channel reliability layer (doc §3).
 *
 * Send side.  Packets in flight always have ids in [oldest unacked,
 * tx_next) and that span is < REL_SEND_WINDOW (doc §3.2: a new id may be
 * sent only while next - oldest < 6), so at most 6 slots are in use.
 * Slots are found by search, not by id % 6: 2^32 is not a multiple of 6
 * or 12, so modulo indexing would collide across the id wrap.  A queued
 * packet is due at once; each time rel_tx_due() hands it out it is
 * rescheduled at now + timeout and the timeout doubles, which gives 2.6's
 * send times 0, 2, 6, 14, 30 s with tls-timeout 2 (doc §3.4).
 * Acks for REL_FAST_RETRANSMIT_ACKS ids above a pending packet, but below
 * tx_next (so only ids we really sent), make it due immediately.
 *
 * Receive side.  An id is in the window iff (id - rx_expected) mod 2^32 <
 * REL_RECV_WINDOW; at most 12 distinct ids qualify, one per rx slot.
 * Ids "below" (the half of the id space behind rx_expected) are replays:
 * acked again, never delivered.
 * Anything else is above the window and dropped without an ack, so the peer
 * retransmits once we have room.
 *
 * Acks.  Owed acks are kept without duplicates, oldest first, bounded by
 * REL_ACK_PENDING_MAX (the oldest is dropped: the peer will retransmit and
 * be acked again).  Sent acks enter an 8-entry MRU used as padding, which
 * is why a receiver must ignore acks it does not know.
 *
 * Invariant: a slot's payload is non-NULL only while the slot is used and
 * its len is > 0; so rel_free() can run at any time, twice.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mtime.h"
#include "reliable.h"

/* Cap on the doubled timeout, far beyond any hand-window, so it cannot wrap. */
#define REL_TIMEOUT_CAP MTIME_SEC(3600)

/* True if a comes before b modulo 2^32. */
static bool
id_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void
slot_clear_tx(struct rel_tx_slot *s)
{
	free(s->payload);
	memset(s, 0, sizeof(*s));
}

static void
slot_clear_rx(struct rel_rx_slot *s)
{
	free(s->payload);
	memset(s, 0, sizeof(*s));
}

static int
copy_payload(const uint8_t *payload, size_t len, uint8_t **out)
{
	*out = NULL;
	if (len == 0)
		return 0;
	if (payload == NULL)
		return ERR_INVAL;
	if ((*out = malloc(len)) == NULL)
		return ERR_NOMEM;
	memcpy(*out, payload, len);
	return 0;
}

void
rel_init(struct reliable *r, uint64_t initial_timeout_us)
{
	memset(r, 0, sizeof(*r));
	r->initial_timeout = initial_timeout_us > 0 ? initial_timeout_us : 1;
}

void
rel_free(struct reliable *r)
{
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++)
		slot_clear_tx(&r->tx[i]);
	for (i = 0; i < REL_RECV_WINDOW; i++)
		slot_clear_rx(&r->rx[i]);
}

static void
mru_push(struct reliable *r, uint32_t id)
{
	size_t i, n = r->n_ack_mru;

	/* Remove an older copy, then insert at the front. */
	for (i = 0; i < n; i++) {
		if (r->ack_mru[i] == id) {
			memmove(&r->ack_mru[i], &r->ack_mru[i + 1], (n - i - 1) * sizeof(r->ack_mru[0]));
			n--;
			break;
		}
	}
	if (n == REL_ACK_MRU)
		n--;
	memmove(&r->ack_mru[1], &r->ack_mru[0], n * sizeof(r->ack_mru[0]));
	r->ack_mru[0] = id;
	r->n_ack_mru = (uint8_t)(n + 1);
}

void
rel_skip_initial(struct reliable *r)
{
	r->tx_next = 1;
	r->rx_expected = 1;
	mru_push(r, 0);
}

/* ---- receive side ---- */

static void
ack_queue(struct reliable *r, uint32_t id)
{
	size_t i, n = r->n_ack_pending;

	for (i = 0; i < n; i++) {
		if (r->ack_pending[i] == id)
			return;
	}
	if (n == REL_ACK_PENDING_MAX) {
		memmove(&r->ack_pending[0], &r->ack_pending[1], (n - 1) * sizeof(r->ack_pending[0]));
		n--;
	}
	r->ack_pending[n] = id;
	r->n_ack_pending = (uint8_t)(n + 1);
}

/* Index of the buffered packet with this id, or -1. */
static int
rx_find(const struct reliable *r, uint32_t msgid)
{
	int i;

	for (i = 0; i < REL_RECV_WINDOW; i++) {
		if (r->rx[i].used && r->rx[i].msgid == msgid)
			return i;
	}
	return -1;
}

int
rel_rx(struct reliable *r, uint8_t opcode, uint32_t msgid, const uint8_t *payload, size_t len)
{
	struct rel_rx_slot *s = NULL;
	size_t i;
	uint32_t diff = msgid - r->rx_expected;
	int rc;

	if (len > CTL_PKT_MAX)
		return ERR_OVERFLOW;
	if (diff >= REL_RECV_WINDOW) {
		if (!id_before(msgid, r->rx_expected))
			return REL_RX_OUTSIDE;
		/* Already delivered: the peer lost our ack. */
		ack_queue(r, msgid);
		return REL_RX_DUP;
	}
	if (rx_find(r, msgid) >= 0) {
		ack_queue(r, msgid);
		return REL_RX_DUP;
	}
	/* Used slots all hold distinct in-window ids, so one is free. */
	for (i = 0; i < REL_RECV_WINDOW && s == NULL; i++) {
		if (!r->rx[i].used)
			s = &r->rx[i];
	}
	if (s == NULL)
		return ERR_FULL;
	if ((rc = copy_payload(payload, len, &s->payload)) != 0)
		return rc;
	s->len = len;
	s->msgid = msgid;
	s->opcode = opcode;
	s->used = true;
	ack_queue(r, msgid);
	return REL_RX_NEW;
}

bool
rel_rx_peek(const struct reliable *r, uint8_t *opcode, const uint8_t **payload, size_t *len)
{
	const struct rel_rx_slot *s;
	int i = rx_find(r, r->rx_expected);

	if (i < 0)
		return false;
	s = &r->rx[i];
	*opcode = s->opcode;
	*payload = s->payload;
	*len = s->len;
	return true;
}

void
rel_rx_pop(struct reliable *r)
{
	int i = rx_find(r, r->rx_expected);

	if (i < 0)
		return;
	slot_clear_rx(&r->rx[i]);
	r->rx_expected++;
}

/* ---- send side ---- */

/* Lowest id still in flight, or tx_next if none. */
static uint32_t
tx_oldest(const struct reliable *r)
{
	uint32_t oldest = r->tx_next;
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++) {
		if (r->tx[i].used && id_before(r->tx[i].msgid, oldest))
			oldest = r->tx[i].msgid;
	}
	return oldest;
}

void
rel_ack_rx(struct reliable *r, const uint32_t *acks, size_t n, uint64_t now)
{
	uint32_t oldest = tx_oldest(r);
	uint32_t span = r->tx_next - oldest;
	size_t i, j;

	for (i = 0; i < n; i++) {
		uint32_t id = acks[i];

		/* Only ids we have sent and not yet seen acked count; repeats
		   of forgotten ids and ids never sent are ignored. */
		if (id - oldest >= span)
			continue;
		for (j = 0; j < REL_SEND_WINDOW; j++) {
			struct rel_tx_slot *s = &r->tx[j];

			if (!s->used)
				continue;
			if (s->msgid == id) {
				slot_clear_tx(s);
			} else if (id_before(s->msgid, id)) {
				/* A later packet got through and this one did not. */
				if (s->n_higher_acks < UINT8_MAX)
					s->n_higher_acks++;
				if (s->n_higher_acks >= REL_FAST_RETRANSMIT_ACKS && s->next_send > now)
					s->next_send = now;
			}
		}
	}
}

bool
rel_tx_can_queue(const struct reliable *r)
{
	return r->tx_next - tx_oldest(r) < REL_SEND_WINDOW;
}

int
rel_tx_queue(struct reliable *r, uint8_t opcode, const uint8_t *payload, size_t len,
	     uint64_t now, uint32_t *msgid_out)
{
	struct rel_tx_slot *s = NULL;
	size_t i;
	int rc;

	if (len > CTL_PKT_MAX)
		return ERR_OVERFLOW;
	if (!rel_tx_can_queue(r))
		return ERR_FULL;
	/* The span rule leaves at most REL_SEND_WINDOW - 1 slots used here. */
	for (i = 0; i < REL_SEND_WINDOW && s == NULL; i++) {
		if (!r->tx[i].used)
			s = &r->tx[i];
	}
	if (s == NULL)
		return ERR_FULL;
	if ((rc = copy_payload(payload, len, &s->payload)) != 0)
		return rc;
	s->len = len;
	s->opcode = opcode;
	s->msgid = r->tx_next;
	s->next_send = now;
	s->timeout = r->initial_timeout;
	s->n_higher_acks = 0;
	s->used = true;
	if (msgid_out != NULL)
		*msgid_out = r->tx_next;
	r->tx_next++;
	return 0;
}

bool
rel_tx_due(struct reliable *r, uint64_t now, struct rel_out *out)
{
	struct rel_tx_slot *best = NULL;
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++) {
		struct rel_tx_slot *s = &r->tx[i];

		if (!s->used || s->next_send > now)
			continue;
		if (best == NULL || id_before(s->msgid, best->msgid))
			best = s;
	}
	if (best == NULL)
		return false;
	best->next_send = now + best->timeout;
	best->timeout = best->timeout >= REL_TIMEOUT_CAP / 2 ? REL_TIMEOUT_CAP : best->timeout * 2;
	best->n_higher_acks = 0;
	out->opcode = best->opcode;
	out->msgid = best->msgid;
	out->payload = best->payload;
	out->len = best->len;
	return true;
}

void
rel_tx_resend_all(struct reliable *r, uint64_t now)
{
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++) {
		if (r->tx[i].used && r->tx[i].next_send > now)
			r->tx[i].next_send = now;
	}
}

bool
rel_tx_idle(const struct reliable *r)
{
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++) {
		if (r->tx[i].used)
			return false;
	}
	return true;
}

uint64_t
rel_next_deadline(const struct reliable *r)
{
	uint64_t t = MTIME_NEVER;
	size_t i;

	for (i = 0; i < REL_SEND_WINDOW; i++) {
		if (r->tx[i].used && r->tx[i].next_send < t)
			t = r->tx[i].next_send;
	}
	return t;
}

/* ---- acks we send ---- */

bool
rel_acks_pending(const struct reliable *r)
{
	return r->n_ack_pending > 0;
}

size_t
rel_take_acks(struct reliable *r, uint32_t *out, size_t max)
{
	size_t n = 0, i, j, taken;

	/* Pending acks, newest first. */
	while (n < max && r->n_ack_pending > 0) {
		r->n_ack_pending--;
		out[n++] = r->ack_pending[r->n_ack_pending];
	}
	taken = n;
	if (taken == 0)
		return 0;
	/* Pad from the MRU as it was before this round (doc §3.3). */
	for (i = 0; i < r->n_ack_mru && n < max; i++) {
		bool dup = false;

		for (j = 0; j < taken; j++) {
			if (out[j] == r->ack_mru[i]) {
				dup = true;
				break;
			}
		}
		if (!dup)
			out[n++] = r->ack_mru[i];
	}
	/* Oldest taken first, so the newest ends up at the MRU front. */
	for (i = taken; i > 0; i--)
		mru_push(r, out[i - 1]);
	return n;
}
