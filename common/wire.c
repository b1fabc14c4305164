/*
 * wire.c - control packet codec, plain layout (doc §2.1, §2.2, §4.4).
 *
 *   u8 opcode<<3|key_id, sid[8], u8 n, n x u32 ack, [rsid[8] if n > 0],
 *   [u32 message id unless P_ACK_V1], payload
 *
 * The parser reads only through struct buf and fills a local ctl_pkt that
 * is copied out on success, so a rejected packet never leaves half-filled
 * output.  Checks follow 2.6: at most ACK_MAX_RX acks, no zero session ids
 * (zero means "undefined" to the peer), nothing after the acks of a
 * P_ACK_V1.  The builder refuses to produce anything the parser would
 * reject, and checks the size before writing, so on failure the writer
 * keeps its old length.
 */
#include <string.h>

#include "err.h"
#include "wire.h"

uint8_t
wire_opcode(uint8_t byte0)
{
	return (uint8_t)(byte0 >> P_OPCODE_SHIFT);
}

uint8_t
wire_key_id(uint8_t byte0)
{
	return (uint8_t)(byte0 & P_KEY_ID_MASK);
}

uint8_t
wire_next_key_id(uint8_t k)
{
	return (uint8_t)(k >= 7 ? 1 : k + 1);
}

bool
wire_is_control_opcode(uint8_t opcode)
{
	switch (opcode) {
	case P_CONTROL_SOFT_RESET_V1:
	case P_CONTROL_V1:
	case P_ACK_V1:
	case P_CONTROL_HARD_RESET_CLIENT_V2:
	case P_CONTROL_HARD_RESET_SERVER_V2:
	case P_CONTROL_HARD_RESET_CLIENT_V3:
	case P_CONTROL_WKC_V1:
		return true;
	default:
		return false;
	}
}

bool
wire_sid_is_zero(const uint8_t sid[SESSION_ID_LEN])
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < SESSION_ID_LEN; i++)
		acc |= sid[i];
	return acc == 0;
}

int
wire_parse_ctl(const uint8_t *pkt, size_t len, struct ctl_pkt *out)
{
	struct ctl_pkt p;
	struct buf b;
	uint8_t byte0;
	size_t i;

	memset(&p, 0, sizeof(p));
	buf_init(&b, pkt, len);
	if (buf_get_u8(&b, &byte0) != 0)
		return ERR_TRUNC;
	p.opcode = wire_opcode(byte0);
	p.key_id = wire_key_id(byte0);
	/* Key-method 1 resets and data opcodes are not ours to parse here. */
	if (!wire_is_control_opcode(p.opcode))
		return ERR_UNSUPPORTED;

	if (buf_get_bytes(&b, p.sid, SESSION_ID_LEN) != 0)
		return ERR_TRUNC;
	if (wire_sid_is_zero(p.sid))
		return ERR_MALFORMED;

	if (buf_get_u8(&b, &p.n_acks) != 0)
		return ERR_TRUNC;
	if (p.n_acks > ACK_MAX_RX)
		return ERR_MALFORMED;
	for (i = 0; i < p.n_acks; i++) {
		if (buf_get_u32(&b, &p.acks[i]) != 0)
			return ERR_TRUNC;
	}
	if (p.n_acks > 0) {
		p.has_rsid = true;
		if (buf_get_bytes(&b, p.rsid, SESSION_ID_LEN) != 0)
			return ERR_TRUNC;
		if (wire_sid_is_zero(p.rsid))
			return ERR_MALFORMED;
	}

	if (p.opcode == P_ACK_V1) {
		/* An ACK has no message id and no payload; extra bytes are junk. */
		if (!buf_empty(&b))
			return ERR_MALFORMED;
		buf_init(&p.payload, NULL, 0);
	} else {
		p.has_msgid = true;
		if (buf_get_u32(&b, &p.msgid) != 0)
			return ERR_TRUNC;
		buf_get_rest(&b, &p.payload);
	}
	*out = p;
	return 0;
}

int
wire_build_ctl(struct wbuf *w, uint8_t opcode, uint8_t key_id, const uint8_t sid[SESSION_ID_LEN],
	       const uint32_t *acks, size_t n_acks, const uint8_t *rsid, uint32_t msgid,
	       const uint8_t *payload, size_t plen)
{
	size_t need, i;

	if (!wire_is_control_opcode(opcode) || key_id > P_KEY_ID_MASK)
		return ERR_INVAL;
	if (sid == NULL || wire_sid_is_zero(sid))
		return ERR_INVAL;
	if (n_acks > ACK_MAX_RX)
		return ERR_INVAL;
	if (n_acks > 0 && (acks == NULL || rsid == NULL || wire_sid_is_zero(rsid)))
		return ERR_INVAL;
	if (opcode != P_ACK_V1 && plen > 0 && payload == NULL)
		return ERR_INVAL;

	/* Size first, so a prior sticky overflow cannot be mistaken for ours
	   and a failure leaves no partial packet behind. */
	need = 1 + SESSION_ID_LEN + 1 + 4 * n_acks + (n_acks > 0 ? SESSION_ID_LEN : 0);
	if (opcode != P_ACK_V1) {
		if (plen > CTL_PKT_MAX)
			return ERR_OVERFLOW;
		need += 4 + plen;
	}
	if (need > wbuf_room(w)) {
		w->overflow = true;
		return ERR_OVERFLOW;
	}
	wbuf_put_u8(w, (uint8_t)(opcode << P_OPCODE_SHIFT | key_id));
	wbuf_put_bytes(w, sid, SESSION_ID_LEN);
	wbuf_put_u8(w, (uint8_t)n_acks);
	for (i = 0; i < n_acks; i++)
		wbuf_put_u32(w, acks[i]);
	if (n_acks > 0)
		wbuf_put_bytes(w, rsid, SESSION_ID_LEN);
	if (opcode != P_ACK_V1) {
		wbuf_put_u32(w, msgid);
		if (plen > 0)
			wbuf_put_bytes(w, payload, plen);
	}
	return 0;
}

int
wire_parse_tlvs(const struct buf *payload, uint16_t *flags)
{
	struct buf b = *payload;
	struct buf val;
	uint16_t type, len, f = 0;

	while (!buf_empty(&b)) {
		if (buf_get_u16(&b, &type) != 0 || buf_get_u16(&b, &len) != 0)
			return ERR_TRUNC;
		if (buf_get_sub(&b, len, &val) != 0)
			return ERR_TRUNC;
		if (type != EARLY_NEG_FLAGS)
			continue;	/* unknown types are skipped (doc §4.4) */
		if (len != 2 || buf_get_u16(&val, &f) != 0)
			return ERR_MALFORMED;
	}
	*flags = f;
	return 0;
}

int
wire_build_early_neg(struct wbuf *w, uint16_t flags)
{
	if (wbuf_room(w) < EARLY_NEG_LEN) {
		w->overflow = true;
		return ERR_OVERFLOW;
	}
	wbuf_put_u16(w, EARLY_NEG_FLAGS);
	wbuf_put_u16(w, 2);
	wbuf_put_u16(w, flags);
	return 0;
}

bool
wire_is_valid_initial(const struct ctl_pkt *p)
{
	uint16_t flags;

	if (p->opcode != P_CONTROL_HARD_RESET_CLIENT_V2 &&
	    p->opcode != P_CONTROL_HARD_RESET_CLIENT_V3)
		return false;
	if (p->key_id != 0 || p->n_acks != 0 || p->has_rsid)
		return false;
	if (!p->has_msgid || p->msgid != 0)
		return false;
	return wire_parse_tlvs(&p->payload, &flags) == 0;
}
