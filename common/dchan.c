/*
 * dchan.c - one data-channel key slot: P_DATA_V1/V2 with AEAD (doc §7.4, §8).
 *
 *   V2: [op|kid][peer_id:3][pid:4][tag:16][ct]   AAD = first 8 bytes
 *   V1: [op|kid]           [pid:4][tag:16][ct]   AAD = pid only
 *   nonce = pid || implicit IV of the direction (aead.c)
 *
 * Design and invariants:
 * - The send id is pre-incremented, so the first packet carries id 1 and id
 *   0 is never sent (receivers refuse it).  It never wraps: once the next id
 *   would reach PACKET_ID_RENEG the slot refuses to send (ERR_RANGE), so a
 *   nonce is never reused under one key (P11).  An id is spent even if the
 *   seal fails, for the same reason.
 * - Receive order is replay pre-check, tag check, replay update: the window
 *   only moves for authenticated packets, so forgeries cannot push it
 *   forward (P10), and obvious replays cost no decryption.
 * - Every header byte is read through struct buf; the AAD, tag and
 *   ciphertext are sub-views of the packet, so no length can run past it.
 * - No allocation per packet; no logging (the caller rate-limits).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "dchan.h"
#include "err.h"

const uint8_t dchan_ping_msg[16] = {
	0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
	0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48,
};

const uint8_t dchan_occ_magic[16] = {
	0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
	0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c,
};

/* Offsets inside key2 (doc §7.4): keys[d] = cipher 64 || hmac 64. */
static const uint8_t *
key2_part(const uint8_t key2[KEY2_LEN], int dir, bool hmac)
{
	return key2 + (size_t)dir * 2 * KEY2_PART_LEN + (hmac ? KEY2_PART_LEN : 0);
}

int
dchan_key_init(struct dchan_key *k, const struct aead_info *alg, uint8_t key_id,
    const uint8_t key2[KEY2_LEN], bool is_server, uint32_t replay_window,
    uint64_t replay_time_us)
{
	/* The server sends with keys[1] and receives with keys[0]; the client the opposite. */
	int tx = is_server ? 1 : 0, rx = is_server ? 0 : 1;
	int rc;

	memset(k, 0, sizeof(*k));
	if (alg == NULL || key2 == NULL || key_id >= P_KEY_ID_COUNT)
		return ERR_INVAL;
	if (alg->key_len > KEY2_PART_LEN)
		return ERR_INVAL;
	if ((rc = replay_init(&k->rx_replay, replay_window, replay_time_us)) != 0)
		goto out;
	if ((rc = aead_dir_init(&k->enc, alg, key2_part(key2, tx, false),
	    key2_part(key2, tx, true), true)) != 0)
		goto out;
	if ((rc = aead_dir_init(&k->dec, alg, key2_part(key2, rx, false),
	    key2_part(key2, rx, true), false)) != 0)
		goto out;
	k->key_id = key_id;
	k->active = true;
out:
	if (rc != 0)
		dchan_key_free(k);
	return rc;
}

void
dchan_key_free(struct dchan_key *k)
{
	aead_dir_free(&k->enc);
	aead_dir_free(&k->dec);
	OPENSSL_cleanse(k, sizeof(*k));
}

int
dchan_parse_hdr(const uint8_t *pkt, size_t len, struct dchan_hdr *h)
{
	struct buf b;
	uint8_t opk;
	uint32_t peer_id = PEER_ID_NONE;

	buf_init(&b, pkt, len);
	if (buf_get_u8(&b, &opk) != 0)
		return ERR_TRUNC;
	switch (opk >> P_OPCODE_SHIFT) {
	case P_DATA_V1:
		break;
	case P_DATA_V2:
		if (buf_get_u24(&b, &peer_id) != 0)
			return ERR_TRUNC;
		break;
	default:
		return ERR_MALFORMED;
	}
	h->opcode = (uint8_t)(opk >> P_OPCODE_SHIFT);
	h->key_id = opk & P_KEY_ID_MASK;
	h->peer_id = peer_id;
	h->hdr_len = len - buf_left(&b);
	return 0;
}

static bool
is_gcm(const struct dchan_key *k)
{
	return k->enc.info != NULL && (k->enc.info->alg == AEAD_AES_128_GCM ||
	    k->enc.info->alg == AEAD_AES_256_GCM);
}

int
dchan_encrypt(struct dchan_key *k, bool v2, uint32_t peer_id, const uint8_t *pt, size_t n,
    struct wbuf *out)
{
	size_t start = out->len;
	size_t hdr_len = v2 ? DATA_V2_HDR_LEN : DATA_V1_HDR_LEN;
	uint8_t opcode = v2 ? P_DATA_V2 : P_DATA_V1;
	uint8_t *aad, *tag, *ct;
	uint32_t pid;
	int rc;

	if (!k->active)
		return ERR_BADSTATE;
	if (v2 && peer_id > PEER_ID_NONE)
		return ERR_INVAL;
	if (k->tx_pid >= PACKET_ID_RENEG - 1)
		return ERR_RANGE;
	/* Check room up front, so a short buffer spends no id and sets no flag. */
	if (wbuf_room(out) < hdr_len + PACKET_ID_LEN + AEAD_TAG_LEN ||
	    wbuf_room(out) - (hdr_len + PACKET_ID_LEN + AEAD_TAG_LEN) < n)
		return ERR_OVERFLOW;

	pid = ++k->tx_pid;
	wbuf_put_u8(out, (uint8_t)(opcode << P_OPCODE_SHIFT | k->key_id));
	if (v2)
		wbuf_put_u24(out, peer_id);
	wbuf_put_u32(out, pid);
	tag = wbuf_reserve(out, AEAD_TAG_LEN);
	ct = wbuf_reserve(out, n);
	/* V2 authenticates the header and id, V1 only the id (doc §8.2). */
	aad = v2 ? wbuf_at(out, start, DATA_V2_HDR_LEN + PACKET_ID_LEN) :
	    wbuf_at(out, start + DATA_V1_HDR_LEN, PACKET_ID_LEN);
	if (out->overflow || tag == NULL || ct == NULL || aad == NULL) {
		rc = ERR_OVERFLOW;
		goto out;
	}
	rc = aead_seal(&k->enc, pid, aad, v2 ? DATA_V2_HDR_LEN + PACKET_ID_LEN : PACKET_ID_LEN,
	    pt, n, tag, ct);
	if (rc != 0)
		goto out;
	k->tx_packets++;
	k->tx_bytes += n;
	/* doc §8.7: usage counts plaintext blocks plus one per packet. */
	k->tx_blocks += (n + 15) / 16 + 1;
out:
	if (rc != 0)
		wbuf_truncate(out, start);
	return rc;
}

int
dchan_decrypt(struct dchan_key *k, const uint8_t *pkt, size_t len, uint64_t now,
    uint8_t *pt, size_t cap, size_t *pt_len)
{
	struct dchan_hdr h;
	struct buf b, aadv, tagv, ctv;
	uint32_t pid;
	int rc;

	if (!k->active)
		return ERR_BADSTATE;
	if ((rc = dchan_parse_hdr(pkt, len, &h)) != 0)
		return rc;
	if (h.key_id != k->key_id)
		return ERR_MALFORMED;

	buf_init(&b, pkt, len);
	if (h.opcode == P_DATA_V2) {
		/* AAD is header || pid, contiguous at the start. */
		if (buf_get_sub(&b, DATA_V2_HDR_LEN + PACKET_ID_LEN, &aadv) != 0)
			return ERR_TRUNC;
	} else {
		if (buf_skip(&b, DATA_V1_HDR_LEN) != 0 ||
		    buf_get_sub(&b, PACKET_ID_LEN, &aadv) != 0)
			return ERR_TRUNC;
	}
	if (buf_get_sub(&b, AEAD_TAG_LEN, &tagv) != 0)
		return ERR_TRUNC;
	buf_get_rest(&b, &ctv);

	/* Read the id from a copy of the AAD view; the view itself stays whole. */
	{
		struct buf idv = aadv;

		if (buf_skip(&idv, buf_left(&aadv) - PACKET_ID_LEN) != 0 ||
		    buf_get_u32(&idv, &pid) != 0)
			return ERR_TRUNC;
	}
	if (buf_left(&ctv) > cap)
		return ERR_OVERFLOW;

	if (replay_check(&k->rx_replay, pid, now) != 0) {
		k->rx_replay_drop++;
		return ERR_REPLAY;
	}
	rc = aead_open(&k->dec, pid, buf_cur(&aadv), buf_left(&aadv), buf_cur(&ctv),
	    buf_left(&ctv), buf_cur(&tagv), pt);
	if (rc != 0) {
		/* Never hand out unauthenticated plaintext. */
		if (buf_left(&ctv) > 0)
			memset(pt, 0, buf_left(&ctv));
		if (rc == ERR_AUTH)
			k->rx_auth_fail++;
		return rc;
	}
	replay_update(&k->rx_replay, pid, now);
	k->rx_packets++;
	k->rx_bytes += buf_left(&ctv);
	*pt_len = buf_left(&ctv);
	return 0;
}

bool
dchan_needs_rekey(const struct dchan_key *k)
{
	if (!k->active)
		return false;
	if (k->tx_pid >= DCHAN_PID_REKEY)
		return true;
	return is_gcm(k) && k->tx_blocks >= DCHAN_GCM_BLOCK_LIMIT;
}

bool
dchan_is_ping(const uint8_t *p, size_t n)
{
	return n == sizeof(dchan_ping_msg) && memcmp(p, dchan_ping_msg, n) == 0;
}

bool
dchan_is_occ_exit(const uint8_t *p, size_t n)
{
	struct buf b;
	uint8_t op;

	if (n != sizeof(dchan_occ_magic) + 1)
		return false;
	buf_init(&b, p, n);
	if (memcmp(buf_cur(&b), dchan_occ_magic, sizeof(dchan_occ_magic)) != 0)
		return false;
	if (buf_skip(&b, sizeof(dchan_occ_magic)) != 0 || buf_get_u8(&b, &op) != 0)
		return false;
	return op == DCHAN_OCC_EXIT;
}
