/*
 * dchan.h - one data-channel key slot and the AEAD P_DATA packet format (doc §8).
 *
 * Wire layout (doc §8.2):
 *   P_DATA_V2: [op|kid][peer_id:3][packet_id:4][tag:16][ciphertext]
 *   P_DATA_V1: [op|kid]           [packet_id:4][tag:16][ciphertext]
 *   nonce = packet_id || implicit IV;  AAD = header || packet_id (V2),
 *   packet_id only (V1: the opcode byte is not authenticated).
 *
 * A struct dchan_key owns its two aead_dir contexts; dchan_key_free()
 * releases and wipes them.  A zeroed struct dchan_key is a valid inactive
 * slot.  Packet ids start at 1 per key and direction and never wrap: the
 * sender refuses (ERR_RANGE) once the next id would reach PACKET_ID_RENEG,
 * and dchan_needs_rekey() warns well before that (P11).
 */
#ifndef OVPN_DCHAN_H
#define OVPN_DCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aead.h"
#include "buf.h"
#include "proto.h"
#include "replay.h"

/* Bytes a packet adds to its payload. */
enum {
	DCHAN_OVERHEAD_V1 = DATA_V1_HDR_LEN + PACKET_ID_LEN + AEAD_TAG_LEN,  /* 21 */
	DCHAN_OVERHEAD_V2 = DATA_V2_HDR_LEN + PACKET_ID_LEN + AEAD_TAG_LEN,  /* 24 */
};

/* Ask for a new key once the send id reaches this (16M packets before PACKET_ID_RENEG). */
#define DCHAN_PID_REKEY (PACKET_ID_RENEG - 0x01000000u)
/* AES-GCM: rekey at 2^35 blocks+packets, half of the 2^36 limit (doc §8.7). */
#define DCHAN_GCM_BLOCK_LIMIT (UINT64_C(1) << 35)

struct dchan_key {
	bool active;
	uint8_t key_id;
	struct aead_dir enc, dec;
	uint32_t tx_pid;               /* last packet id sent; first sent is 1 */
	struct replay rx_replay;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, rx_auth_fail, rx_replay_drop;
	uint64_t tx_blocks;            /* AES-GCM usage: 16-byte blocks + packets (doc §8.7) */
};

/*
 * key2 is the 256-byte key material (doc §7.4); is_server picks directions
 * (server encrypts with keys[1] = bytes 128..255, decrypts with keys[0]).
 * Cipher key = first key_len bytes of the cipher part, implicit IV = first 8
 * bytes of the hmac part.  key_id must be < P_KEY_ID_COUNT.  Returns 0,
 * ERR_INVAL (bad key_id or alg), ERR_RANGE (replay window outside
 * 1..REPLAY_WINDOW_MAX, from replay_init) or ERR_CRYPTO; on failure the slot
 * is left zeroed.  key2 is not retained.
 */
int dchan_key_init(struct dchan_key *k, const struct aead_info *alg, uint8_t key_id,
    const uint8_t key2[KEY2_LEN], bool is_server, uint32_t replay_window,
    uint64_t replay_time_us);
/* Free contexts, wipe everything, leave the slot zeroed.  Safe on a zeroed slot. */
void dchan_key_free(struct dchan_key *k);

struct dchan_hdr {
	uint8_t opcode;
	uint8_t key_id;
	uint32_t peer_id;   /* PEER_ID_NONE for V1 */
	size_t hdr_len;     /* 1 (V1) or 4 (V2) */
};

/* Parse the opcode/key-id/peer-id header.  Pure.  Returns 0, ERR_TRUNC, or
   ERR_MALFORMED when the opcode is not P_DATA_V1/P_DATA_V2. */
int dchan_parse_hdr(const uint8_t *pkt, size_t len, struct dchan_hdr *h);

/*
 * Encrypt payload pt[0..n) and append the whole packet to out:
 * [op|kid][peer_id:3 if v2][pid:4][tag:16][ct].  AAD = header||pid (V2), pid
 * only (V1).  Returns 0, ERR_BADSTATE (inactive slot), ERR_INVAL (peer_id does
 * not fit 24 bits), ERR_RANGE when the packet id would reach PACKET_ID_RENEG
 * (caller must rekey; ids never wrap), ERR_OVERFLOW (out too small; out is
 * then restored to its previous length and no id is used) or ERR_CRYPTO.
 * pt must not overlap out's memory.
 */
int dchan_encrypt(struct dchan_key *k, bool v2, uint32_t peer_id, const uint8_t *pt, size_t n,
    struct wbuf *out);

/*
 * Decrypt a full packet (header included) whose key_id the caller has used
 * to pick k.  Order: replay pre-check, open (tag), replay update, so forged
 * packets cannot move the window.  Returns 0 with *pt_len set, ERR_TRUNC
 * (shorter than header+pid+tag), ERR_MALFORMED (not P_DATA, or key id not
 * k's), ERR_BADSTATE (inactive slot), ERR_OVERFLOW (cap < ciphertext length;
 * pt needs len bytes of room to be safe), ERR_REPLAY (id 0, seen or too
 * old) or ERR_AUTH.  Counters rx_* are updated.
 */
int dchan_decrypt(struct dchan_key *k, const uint8_t *pkt, size_t len, uint64_t now,
    uint8_t *pt, size_t cap, size_t *pt_len);

/* Send id at DCHAN_PID_REKEY, or AES-GCM usage >= DCHAN_GCM_BLOCK_LIMIT. */
bool dchan_needs_rekey(const struct dchan_key *k);

/* In-band messages (doc §10): exact-content matches. */
extern const uint8_t dchan_ping_msg[16];
extern const uint8_t dchan_occ_magic[16];
enum { DCHAN_OCC_EXIT = 6 };
bool dchan_is_ping(const uint8_t *p, size_t n);
bool dchan_is_occ_exit(const uint8_t *p, size_t n);   /* OCC magic || 0x06, 17 bytes */

#endif
