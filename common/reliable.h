/*
 * reliable.h - control-channel reliability layer (doc §3).
 *
 * One struct reliable per key_state carries both directions: the send
 * window (REL_SEND_WINDOW packets in flight, retransmitted with a doubling
 * timeout) and the receive window (REL_RECV_WINDOW ids buffered for
 * in-order delivery), plus the acks we owe the peer.
 *
 * Pure: no I/O, no clock; every time argument is monotonic µs (mtime.h).
 * Message ids are compared modulo 2^32.
 *
 * Memory: each queued (send) or buffered (receive) packet holds one malloc'd
 * copy of its payload, freed when acked or delivered.  When nothing is in
 * flight and nothing waits for delivery, the struct owns no heap memory.
 * The owner embeds the struct and must call rel_free() before dropping it.
 */
#ifndef OVPN_RELIABLE_H
#define OVPN_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum {
	REL_ACK_PENDING_MAX = 16, /* acks owed; the oldest is dropped beyond this */
	REL_ACK_MRU = 8,          /* recently sent acks repeated as padding (doc §3.3) */
};

struct rel_tx_slot {
	uint8_t *payload;       /* malloc'd copy, NULL when len == 0 */
	size_t len;
	uint64_t next_send;     /* due at this time */
	uint64_t timeout;       /* next interval; doubles after each send */
	uint32_t msgid;
	uint8_t opcode;
	uint8_t n_higher_acks;  /* acks seen for higher ids since last send */
	bool used;
};

struct rel_rx_slot {
	uint8_t *payload;       /* malloc'd copy, NULL when len == 0 */
	size_t len;
	uint32_t msgid;
	uint8_t opcode;
	bool used;
};

struct reliable {
	/* send side: in-flight packets, any free slot */
	struct rel_tx_slot tx[REL_SEND_WINDOW];
	uint32_t tx_next;       /* id of the next packet we queue */
	uint64_t initial_timeout;
	/* receive side: buffered packets, any free slot */
	struct rel_rx_slot rx[REL_RECV_WINDOW];
	uint32_t rx_expected;   /* next id to deliver */
	/* acks owed, oldest first */
	uint32_t ack_pending[REL_ACK_PENDING_MAX];
	uint8_t n_ack_pending;
	/* acks recently sent, newest first */
	uint32_t ack_mru[REL_ACK_MRU];
	uint8_t n_ack_mru;
};

/* Fresh state: next tx id 0, next expected rx id 0. */
void rel_init(struct reliable *r, uint64_t initial_timeout_us);
/* Frees buffered payloads and empties both windows; safe to call twice. */
void rel_free(struct reliable *r);
/*
 * Stateless start (doc §4.1), right after rel_init(): our id 0 counts as
 * sent and acked, the peer's id 0 as received and delivered: next tx id 1,
 * next expected rx id 1.  Id 0 is put in the ack MRU (our stateless reset
 * acked it), so it is repeated as padding like on the 2.6 wire ([1,0]).
 */
void rel_skip_initial(struct reliable *r);

enum rel_rx_result { REL_RX_NEW = 0, REL_RX_DUP = 1, REL_RX_OUTSIDE = 2 };
/*
 * Offer a received packet carrying a message id; the payload is copied.
 * Acks are queued for NEW and DUP (including ids below the window);
 * OUTSIDE (above the window) is dropped with no ack.  Returns a
 * rel_rx_result (>= 0) or ERR_NOMEM / ERR_OVERFLOW (len > CTL_PKT_MAX) /
 * ERR_INVAL (payload NULL with len > 0).  Nothing is queued on error.
 */
int rel_rx(struct reliable *r, uint8_t opcode, uint32_t msgid, const uint8_t *payload, size_t len);
/*
 * In-order delivery: the next message if it has arrived.  *payload may be
 * NULL when *len is 0.  Pointers valid until rel_rx_pop or rel_free.
 */
bool rel_rx_peek(const struct reliable *r, uint8_t *opcode, const uint8_t **payload, size_t *len);
/* Drop the message rel_rx_peek returned (no-op if none). */
void rel_rx_pop(struct reliable *r);

/*
 * Acks received from the peer: free acked send slots; a packet becomes due
 * at once after acks for REL_FAST_RETRANSMIT_ACKS higher (sent) ids.
 * Unknown/old ids are ignored (peers repeat recent acks).
 */
void rel_ack_rx(struct reliable *r, const uint32_t *acks, size_t n, uint64_t now);
/* A send slot is free. */
bool rel_tx_can_queue(const struct reliable *r);
/*
 * Copy and queue a packet for sending now; assigns the next message id.
 * ERR_FULL if the window is full, ERR_OVERFLOW if len > CTL_PKT_MAX,
 * ERR_INVAL (payload NULL with len > 0), ERR_NOMEM.  msgid_out may be NULL.
 */
int rel_tx_queue(struct reliable *r, uint8_t opcode, const uint8_t *payload, size_t len,
		 uint64_t now, uint32_t *msgid_out);

struct rel_out { uint8_t opcode; uint32_t msgid; const uint8_t *payload; size_t len; };
/*
 * Next queued packet due at `now` (new, retransmission or fast retransmit),
 * lowest msgid first; reschedules it at now + timeout and doubles the
 * timeout.  false if none due.  out->payload may be NULL when out->len is 0.
 * Pointers valid until the next call that changes r.
 */
bool rel_tx_due(struct reliable *r, uint64_t now, struct rel_out *out);
/* Make every unacked packet due now. */
void rel_tx_resend_all(struct reliable *r, uint64_t now);
/* Nothing unacked. */
bool rel_tx_idle(const struct reliable *r);

bool rel_acks_pending(const struct reliable *r);
/*
 * Take up to max acks to send: pending ones newest first; then, only if at
 * least one was pending, pad with recently sent acks (REL_ACK_MRU entries,
 * newest first) not already included (doc §3.3).  Taken pending acks move
 * to the MRU.  Returns the number written to out.
 */
size_t rel_take_acks(struct reliable *r, uint32_t *out, size_t max);
/* Earliest retransmit time, or MTIME_NEVER if nothing is in flight. */
uint64_t rel_next_deadline(const struct reliable *r);

#endif
