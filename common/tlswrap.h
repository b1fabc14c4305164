/*
 * tlswrap.h - control-channel protection: tls-auth, tls-crypt, tls-crypt-v2
 * (doc §2.3-2.5, §5.2-5.6).
 *
 * A struct tlswrap is one peer's pair of directions: keys to send and to
 * receive, its send replay counter and its receive replay window.  The
 * server keeps one per peer, plus one shared instance for the stateless
 * path, which it uses only through the const calls (tlswrap_unwrap_peek,
 * tlswrap_wrap_stateless), so strangers never change it (P1).
 *
 * Input and output are the plain layout of doc §2.2 (wire.h parses it):
 * unwrapping turns a wrapped datagram into plain layout, wrapping the
 * reverse.  The first byte and the sender's session id stay in clear in
 * every mode.
 *
 * Receive order (P5, P10): authenticate first (HMAC, or decrypt then
 * HMAC), then the replay check, then commit the id to the window.  A
 * failure leaves no plaintext in `out` and must be answered with silence;
 * nothing here logs.
 *
 * Replay ids are (u32 id, u32 time) on the wire and time << 32 | id inside
 * (doc §5.3): a context's first send uses id 1 (or the next id set by
 * tlswrap_set_next_send_id) and time = wall clock seconds of that send.
 *
 * OpenSSL contexts are created by the init calls and released by
 * tlswrap_free(); no per-packet allocation on an initialised wrap.  The
 * const calls still use those contexts, so one tlswrap must not be used
 * from two threads at once.  Times: `now` is monotonic µs (mtime.h),
 * `wall_sec` is unix seconds, both passed in.
 *
 * Return convention: 0 or a negative ERR_* (err.h); predicates return bool.
 */
#ifndef OVPN_TLSWRAP_H
#define OVPN_TLSWRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "keyfile.h"
#include "replay.h"

enum tlswrap_mode {
	TLSWRAP_NONE = 0,
	TLSWRAP_AUTH,      /* tls-auth: HMAC of --auth, key-direction */
	TLSWRAP_CRYPT,     /* tls-crypt v1: AES-256-CTR + HMAC-SHA256 */
	TLSWRAP_CRYPT_V2,  /* tls-crypt with a per-client Kc (from WKc) */
};

enum {
	TLSWRAP_KEY_LEN = KEYFILE_STATIC_LEN,
	TLSWRAP_REPLAY_LEN = 8,          /* u32 id || u32 time */
	TLSWRAP_HMAC_MAX = 64,           /* SHA512 */
	TLSWRAP_CRYPT_TAG_LEN = 32,      /* HMAC-SHA256 */
	TLSWRAP_CRYPT_OVERHEAD = TLSWRAP_REPLAY_LEN + TLSWRAP_CRYPT_TAG_LEN,
	TLSWRAP_WKC_MAX = KEYFILE_WKC_MAX,
	TLSWRAP_WKC_MIN = KEYFILE_WKC_MIN,
	TLSWRAP_META_MAX = TLSWRAP_WKC_MAX - TLSWRAP_WKC_MIN,
	/* A 2.6 tls-crypt-v2 client that can do the stateless cookie exchange
	   starts its replay ids here (doc §4.4). */
	TLSWRAP_V2_COOKIE_BASE = 0x0F000000,
};

/* tls-crypt-v2 metadata types (doc §5.5): first byte of the metadata. */
enum { TLSWRAP_META_USER = 0x00, TLSWRAP_META_TIMESTAMP = 0x01 };

struct tlswrap {
	enum tlswrap_mode mode;
	size_t hmac_len;                 /* AUTH: digest size; CRYPT*: 32 */
	EVP_MAC_CTX *tx_mac, *rx_mac;    /* keyed HMAC, re-initialised per packet */
	EVP_CIPHER_CTX *tx_ctr, *rx_ctr; /* CRYPT*: keyed AES-256-CTR; else NULL */
	uint8_t key[TLSWRAP_KEY_LEN];    /* the 256-byte key (for dynamic tls-crypt) */
	uint32_t send_id;                /* last id sent; the next is send_id + 1 */
	uint32_t send_time;              /* 0 until the first send */
	struct replay rx;
};

/*
 * Initialisers.  Each overwrites *w entirely (it must not hold live
 * contexts: tlswrap_free it first) and sets the receive window to 2.6's
 * default (64 packets, 15 s).  ERR_NOMEM / ERR_CRYPTO; on error *w is
 * wiped and safe to tlswrap_free.
 */
int tlswrap_init_none(struct tlswrap *w);
/*
 * tls-auth.  key_direction: -1 (none: both directions keys[0].hmac), 0
 * (send keys[0], receive keys[1]) or 1 (the reverse), doc §5.2.  digest:
 * an OpenSSL digest name ("SHA1" is 2.6's default, "SHA256", "SHA512");
 * ERR_UNSUPPORTED for a digest longer than TLSWRAP_HMAC_MAX or unknown,
 * ERR_INVAL for another direction.
 */
int tlswrap_init_auth(struct tlswrap *w, const uint8_t key[TLSWRAP_KEY_LEN], int key_direction,
		      const char *digest);
/* tls-crypt v1: the server sends with keys[0], the client with keys[1] (doc §5.4). */
int tlswrap_init_crypt(struct tlswrap *w, const uint8_t key[TLSWRAP_KEY_LEN], bool is_server);
/*
 * tls-crypt-v2, client side (for our own client and for tests): tls-crypt
 * with Kc, replay ids starting at TLSWRAP_V2_COOKIE_BASE + 1 as 2.6 does.
 */
int tlswrap_init_v2_client(struct tlswrap *w, const struct keyfile_v2_client *ck);
/*
 * Dynamic tls-crypt (doc §5.6): tls-crypt with ekm XOR the original key of
 * `orig` if orig is non-NULL and not TLSWRAP_NONE (tls-auth, tls-crypt or
 * Kc), else ekm itself.  Its replay counter starts at 1.
 */
int tlswrap_init_dyn(struct tlswrap *w, const uint8_t ekm[TLSWRAP_KEY_LEN], const struct tlswrap *orig,
		     bool is_server);

/* Free the OpenSSL contexts and wipe *w.  Safe on a wiped or freed wrap. */
void tlswrap_free(struct tlswrap *w);

/* Bytes a wrapped packet has beyond its plain layout: 0, H + 8, or 40. */
size_t tlswrap_overhead(const struct tlswrap *w);

/*
 * Replay window for received packets: window in packets (1..REPLAY_WINDOW_MAX)
 * and time in µs, as replay_init().  Resets the window.  ERR_RANGE.
 */
int tlswrap_set_replay_window(struct tlswrap *w, uint32_t window, uint64_t time_us);

/*
 * Make the next send use replay id `next` (keeping the time series).  The
 * server calls it with 2 on a peer created after the stateless exchange,
 * whose first reply used id 1 (as 2.6 does).  ERR_RANGE for next == 0.
 */
int tlswrap_set_next_send_id(struct tlswrap *w, uint32_t next);

/*
 * Wrapped packet -> plain layout, appended to out.  ERR_TRUNC if shorter
 * than the wrapping's header; ERR_UNSUPPORTED if the opcode is not a
 * control opcode; ERR_AUTH if the HMAC fails; ERR_REPLAY if the id was seen
 * or is too old; ERR_OVERFLOW.  On error out keeps its old length (and any
 * bytes written past it are wiped).  NONE copies the packet unchanged
 * (there is no replay id).  For V3 / WKC_V1, pass only the part before the
 * WKc (tlswrap_wkc_split).
 */
int tlswrap_unwrap(struct tlswrap *w, const uint8_t *pkt, size_t len, uint64_t now, struct wbuf *out);
/* As tlswrap_unwrap, but only checks the replay window and records nothing. */
int tlswrap_unwrap_peek(const struct tlswrap *w, const uint8_t *pkt, size_t len, uint64_t now,
			struct wbuf *out);

/*
 * Plain layout -> wrapped, appended to out, consuming the next replay id
 * (only on success).  ERR_TRUNC if plain is shorter than opcode and
 * session id; ERR_UNSUPPORTED for a non-control opcode; ERR_OVERFLOW (out
 * keeps its old length).  When the id space runs out a new time series
 * starts (time strictly greater than the previous one).
 */
int tlswrap_wrap(struct tlswrap *w, const uint8_t *plain, size_t len, uint64_t wall_sec, struct wbuf *out);
/*
 * As tlswrap_wrap with replay id 1 and time wall_sec, touching nothing in
 * w: the server's stateless reply to an initial packet (doc §4.3, P1).
 */
int tlswrap_wrap_stateless(const struct tlswrap *w, const uint8_t *plain, size_t len, uint64_t wall_sec,
			   struct wbuf *out);

/*
 * Read the replay id and time of a wrapped packet without any check or
 * state (for the stateless decision of doc §4.4).  ERR_TRUNC if too short,
 * ERR_INVAL for TLSWRAP_NONE.
 */
int tlswrap_peek_replay_id(const struct tlswrap *w, const uint8_t *pkt, size_t len, uint32_t *id,
			   uint32_t *time);
/* True if a tls-crypt-v2 client's replay id says it does the cookie exchange (doc §4.4). */
bool tlswrap_client_supports_cookie(uint32_t replay_packet_id);

/*
 * Length of a P_CONTROL_HARD_RESET_CLIENT_V3 / P_CONTROL_WKC_V1 datagram
 * without its trailing WKc.  ERR_UNSUPPORTED for other opcodes, ERR_TRUNC
 * if shorter than 1 + 2 bytes, ERR_MALFORMED if the WKc length (last two
 * bytes) is outside TLSWRAP_WKC_MIN..TLSWRAP_WKC_MAX or longer than the
 * datagram allows.
 */
int tlswrap_wkc_split(const uint8_t *pkt, size_t len, size_t *inner_len);

/*
 * tls-crypt-v2, server side: cut the WKc off a V3 / WKC_V1 datagram,
 * unwrap it with the server key (AES-256-CTR with IV = T[0..15], then
 * HMAC-SHA256 over u16 len || Kc || metadata, compared in constant time),
 * and initialise w as TLSWRAP_CRYPT_V2 server side with Kc.  *inner_len
 * is the length to hand to tlswrap_unwrap(_peek).  The metadata (type byte
 * first) is copied to meta if meta is non-NULL, and its length stored in
 * *meta_len if that is non-NULL.  Errors: those of tlswrap_wkc_split;
 * ERR_AUTH if the WKc does not authenticate (nothing is initialised);
 * ERR_OVERFLOW if meta_cap is too small; ERR_NOMEM / ERR_CRYPTO.  On error
 * *w is wiped (safe to tlswrap_free) and no key material is left behind.
 * As with the initialisers, *w must not hold live contexts.
 * Allocates the server-key contexts per call (only V3 / WKC_V1 packets).
 */
int tlswrap_v2_unwrap_wkc(const struct keyfile_v2_server *sk, const uint8_t *pkt, size_t len,
			  size_t *inner_len, struct tlswrap *w, uint8_t *meta, size_t meta_cap,
			  size_t *meta_len);

/*
 * Append the client's WKc (as read from its key file) to a wrapped packet:
 * what our client sends after a V3 or WKC_V1 packet.  ERR_MALFORMED for a
 * bad wkc_len, ERR_OVERFLOW.
 */
int tlswrap_append_wkc(const struct keyfile_v2_client *ck, struct wbuf *out);

/*
 * Build a WKc for Kc and metadata with the server key, as
 * `openvpn --genkey tls-crypt-v2-client` does (doc §5.5), into out.  For
 * tests and for ovpn-pki.  ERR_RANGE if the metadata makes it longer than
 * TLSWRAP_WKC_MAX; ERR_OVERFLOW; ERR_NOMEM / ERR_CRYPTO.
 */
int tlswrap_v2_make_wkc(const struct keyfile_v2_server *sk, const uint8_t kc[KEYFILE_V2_KC_LEN],
			const uint8_t *meta, size_t meta_len, struct wbuf *out);

#endif
