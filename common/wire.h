/*
 * wire.h - control packet codec, plain layout (doc §2.1, §2.2).
 *
 * Parsers are pure: they read only through struct buf, fill a caller struct
 * and keep no state.  tls-auth / tls-crypt unwrapping is a separate module
 * whose output is this plain layout.
 *
 * Return convention: 0 or a negative ERR_* (err.h); predicates return bool.
 */
#ifndef OVPN_WIRE_H
#define OVPN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

struct ctl_pkt {
	uint8_t opcode;
	uint8_t key_id;
	uint8_t sid[SESSION_ID_LEN];
	uint8_t n_acks;
	uint32_t acks[ACK_MAX_RX];
	bool has_rsid;                 /* true iff n_acks > 0 */
	uint8_t rsid[SESSION_ID_LEN];
	bool has_msgid;                /* false only for P_ACK_V1 */
	uint32_t msgid;
	struct buf payload;            /* view into the input, empty for P_ACK_V1 */
};

/* Early-negotiation TLV (doc §4.4). */
enum { EARLY_NEG_FLAGS = 0x0001, EARLY_NEG_FLAG_RESEND_WKC = 0x0001 };
/* Length of the TLV that wire_build_early_neg() writes. */
enum { EARLY_NEG_LEN = 6 };

/* Split the first byte of any packet (doc §1). */
uint8_t wire_opcode(uint8_t byte0);
uint8_t wire_key_id(uint8_t byte0);
/* The key id a renegotiation after key id k uses: 1..7, wrapping to 1, so 0
 * is never reused while a connection lives (doc §1). */
uint8_t wire_next_key_id(uint8_t k);
/* True for the control opcodes 2.6 accepts with key-method 2: 3,4,5,7,8,10,11. */
bool wire_is_control_opcode(uint8_t opcode);
/* True if all SESSION_ID_LEN bytes are zero (the "undefined" session id). */
bool wire_sid_is_zero(const uint8_t sid[SESSION_ID_LEN]);

/*
 * Parse a plain-layout control packet.  Pure; on error *out is untouched.
 * ERR_TRUNC if short; ERR_MALFORMED for n_acks > 8, an all-zero session id
 * or remote session id, or a P_ACK_V1 with bytes after the ack section;
 * ERR_UNSUPPORTED for opcodes 1/2 (key-method 1) and non-control opcodes.
 * out->payload points into pkt, which must outlive it.
 */
int wire_parse_ctl(const uint8_t *pkt, size_t len, struct ctl_pkt *out);

/*
 * Build a plain control packet, appended to w.  acks may be NULL when
 * n_acks == 0; rsid is required iff n_acks > 0.  For P_ACK_V1 msgid and
 * payload are not written.  ERR_INVAL for a non-control opcode, key_id > 7,
 * n_acks > ACK_MAX_RX, a missing or all-zero sid/rsid, or payload NULL with
 * plen > 0; ERR_OVERFLOW if w is too small.  On error w keeps its old length.
 */
int wire_build_ctl(struct wbuf *w, uint8_t opcode, uint8_t key_id, const uint8_t sid[SESSION_ID_LEN],
		   const uint32_t *acks, size_t n_acks, const uint8_t *rsid, uint32_t msgid,
		   const uint8_t *payload, size_t plen);

/*
 * Early-negotiation TLVs of a hard-reset payload (doc §4.4): u16 type,
 * u16 len, value; unknown types are skipped.  ERR_TRUNC if a TLV is cut
 * short (trailing bytes that do not form a TLV count as truncation);
 * ERR_MALFORMED if EARLY_NEG_FLAGS does not have length 2.  On success
 * sets *flags from type EARLY_NEG_FLAGS (0 if absent); payload is not consumed.
 */
int wire_parse_tlvs(const struct buf *payload, uint16_t *flags);
/* Append the EARLY_NEG_FLAGS TLV (EARLY_NEG_LEN bytes). ERR_OVERFLOW. */
int wire_build_early_neg(struct wbuf *w, uint16_t flags);

/*
 * Strict check of a client's initial packet for the stateless path
 * (security-promises P2): opcode HARD_RESET_CLIENT_V2 or V3, key_id 0,
 * n_acks == 0, msgid == 0, payload empty or exactly a valid TLV sequence
 * (no trailing junk).  p must come from wire_parse_ctl().
 */
bool wire_is_valid_initial(const struct ctl_pkt *p);

#endif
