/*
 * tlswrap.c - tls-auth, tls-crypt and tls-crypt-v2 wrapping of control
 * packets (doc §2.3-2.5, §4.3-4.4, §5.2-5.6).
 *
 * Layouts, with P = opcode<<3|key_id, S = sender's session id, R = u32 id
 * || u32 time (replay), X = the rest of the plain layout (acks, msg id,
 * payload):
 *
 *   plain      P S X
 *   tls-auth   P S HMAC(R P S X) R X             HMAC of --auth, H bytes
 *   tls-crypt  P S R T CTR(Ke, T[0..15], X)      T = HMAC-SHA256(Ka, P S R X)
 *   v2 WKc     T' CTR(Ke', T'[0..15], Kc M) L    T' = HMAC-SHA256(Ka', L Kc M)
 *
 * Every MAC and cipher context is keyed once at init; per packet we only
 * re-initialise them (EVP_MAC_init / EVP_EncryptInit_ex2 with NULL key), so
 * an initialised wrap allocates nothing.  CTR is its own inverse, so each
 * direction needs one cipher context.
 *
 * Invariants: the receive path writes plaintext to `out` only into space it
 * checked beforehand, and on any failure wipes and drops it, so a caller
 * never sees bytes from an unauthenticated packet.  The replay window is
 * consulted only after authentication (otherwise a forged packet could
 * tell whether an id was seen) and changed only by tlswrap_unwrap().  The
 * send counter advances only on a successful wrap.  All wire reads go
 * through struct buf; headers we feed to the MAC are rebuilt from parsed
 * fields into small local arrays.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "err.h"
#include "mtime.h"
#include "proto.h"
#include "tlswrap.h"
#include "wire.h"

enum {
	PART_LEN = KEY2_PART_LEN,       /* cipher[64] or hmac[64] */
	DIR_LEN = 2 * PART_LEN,         /* keys[d] = cipher || hmac */
	CTR_KEY_LEN = 32,               /* AES-256 */
	CTR_IV_LEN = 16,
	HDR_LEN = 1 + SESSION_ID_LEN,   /* P S */
	CRYPT_AAD_LEN = HDR_LEN + TLSWRAP_REPLAY_LEN,
	WKC_LEN_FIELD = 2,
	/* Kc || metadata inside a WKc */
	WKC_PLAIN_MAX = TLSWRAP_WKC_MAX - TLSWRAP_CRYPT_TAG_LEN - WKC_LEN_FIELD,
};

/* A span for feeding several pieces to one MAC. */
struct span {
	const uint8_t *p;
	size_t n;
};

static const uint8_t *
key_part(const uint8_t key[TLSWRAP_KEY_LEN], int dir, bool hmac)
{
	/* The only arithmetic on the key array: fixed, in-bounds offsets. */
	return key + (size_t)dir * DIR_LEN + (hmac ? PART_LEN : 0);
}

static int
mac_new(const char *digest, const uint8_t *key, size_t klen, EVP_MAC_CTX **out)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return ERR_CRYPTO;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);     /* the context holds its own reference */
	if (ctx == NULL)
		return ERR_NOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, klen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return ERR_CRYPTO;
	}
	*out = ctx;
	return 0;
}

static int
mac_run(EVP_MAC_CTX *ctx, const struct span *parts, size_t n_parts, uint8_t *md, size_t md_len)
{
	size_t i, got = 0;

	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
		return ERR_CRYPTO;
	for (i = 0; i < n_parts; i++)
		if (parts[i].n > 0 && EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1)
			return ERR_CRYPTO;
	if (EVP_MAC_final(ctx, md, &got, TLSWRAP_HMAC_MAX) != 1 || got != md_len)
		return ERR_CRYPTO;
	return 0;
}

static int
ctr_new(const uint8_t key[CTR_KEY_LEN], EVP_CIPHER_CTX **out)
{
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int ok;

	if ((c = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL)) == NULL)
		return ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		EVP_CIPHER_free(c);
		return ERR_NOMEM;
	}
	ok = EVP_EncryptInit_ex2(ctx, c, key, NULL, NULL);
	EVP_CIPHER_free(c);
	if (ok != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return ERR_CRYPTO;
	}
	*out = ctx;
	return 0;
}

/* CTR with the whole 16-byte IV as the initial counter block (doc §2.4). */
static int
ctr_run(EVP_CIPHER_CTX *ctx, const uint8_t iv[CTR_IV_LEN], const uint8_t *in, uint8_t *out, size_t n)
{
	int got = 0;

	if (n > INT_MAX)
		return ERR_RANGE;
	if (EVP_EncryptInit_ex2(ctx, NULL, NULL, iv, NULL) != 1)
		return ERR_CRYPTO;
	if (n > 0 && (EVP_EncryptUpdate(ctx, out, &got, in, (int)n) != 1 || (size_t)got != n))
		return ERR_CRYPTO;
	return 0;
}

static int
init_common(struct tlswrap *w, enum tlswrap_mode mode)
{
	memset(w, 0, sizeof(*w));
	w->mode = mode;
	return replay_init(&w->rx, DEF_REPLAY_WINDOW, MTIME_SEC(DEF_REPLAY_TIME_S));
}

static int
init_failed(struct tlswrap *w, int r)
{
	tlswrap_free(w);
	return r;
}

void
tlswrap_free(struct tlswrap *w)
{
	EVP_MAC_CTX_free(w->tx_mac);
	EVP_MAC_CTX_free(w->rx_mac);
	EVP_CIPHER_CTX_free(w->tx_ctr);
	EVP_CIPHER_CTX_free(w->rx_ctr);
	OPENSSL_cleanse(w, sizeof(*w));
}

int
tlswrap_init_none(struct tlswrap *w)
{
	return init_common(w, TLSWRAP_NONE);
}

int
tlswrap_init_auth(struct tlswrap *w, const uint8_t key[TLSWRAP_KEY_LEN], int key_direction,
		  const char *digest)
{
	EVP_MD *md;
	int size, r, tx_dir, rx_dir;

	if ((r = init_common(w, TLSWRAP_AUTH)) != 0)
		return r;
	switch (key_direction) {
	case -1:
		tx_dir = 0;
		rx_dir = 0;
		break;
	case 0:
		tx_dir = 0;
		rx_dir = 1;
		break;
	case 1:
		tx_dir = 1;
		rx_dir = 0;
		break;
	default:
		return init_failed(w, ERR_INVAL);
	}
	if (digest == NULL || (md = EVP_MD_fetch(NULL, digest, NULL)) == NULL)
		return init_failed(w, ERR_UNSUPPORTED);
	size = EVP_MD_get_size(md);
	EVP_MD_free(md);
	if (size <= 0 || size > TLSWRAP_HMAC_MAX)
		return init_failed(w, ERR_UNSUPPORTED);
	w->hmac_len = (size_t)size;
	memcpy(w->key, key, TLSWRAP_KEY_LEN);
	/* HMAC keys are the first H bytes of the hmac part (doc §5.1). */
	if ((r = mac_new(digest, key_part(key, tx_dir, true), w->hmac_len, &w->tx_mac)) != 0 ||
	    (r = mac_new(digest, key_part(key, rx_dir, true), w->hmac_len, &w->rx_mac)) != 0)
		return init_failed(w, r);
	return 0;
}

static int
init_crypt_mode(struct tlswrap *w, const uint8_t key[TLSWRAP_KEY_LEN], bool is_server,
		enum tlswrap_mode mode)
{
	int r, tx_dir = is_server ? 0 : 1, rx_dir = is_server ? 1 : 0;

	if ((r = init_common(w, mode)) != 0)
		return r;
	w->hmac_len = TLSWRAP_CRYPT_TAG_LEN;
	memcpy(w->key, key, TLSWRAP_KEY_LEN);
	if ((r = mac_new("SHA256", key_part(key, tx_dir, true), 32, &w->tx_mac)) != 0 ||
	    (r = mac_new("SHA256", key_part(key, rx_dir, true), 32, &w->rx_mac)) != 0 ||
	    (r = ctr_new(key_part(key, tx_dir, false), &w->tx_ctr)) != 0 ||
	    (r = ctr_new(key_part(key, rx_dir, false), &w->rx_ctr)) != 0)
		return init_failed(w, r);
	return 0;
}

int
tlswrap_init_crypt(struct tlswrap *w, const uint8_t key[TLSWRAP_KEY_LEN], bool is_server)
{
	return init_crypt_mode(w, key, is_server, TLSWRAP_CRYPT);
}

int
tlswrap_init_v2_client(struct tlswrap *w, const struct keyfile_v2_client *ck)
{
	int r;

	if ((r = init_crypt_mode(w, ck->kc, false, TLSWRAP_CRYPT_V2)) != 0)
		return r;
	w->send_id = TLSWRAP_V2_COOKIE_BASE;
	return 0;
}

int
tlswrap_init_dyn(struct tlswrap *w, const uint8_t ekm[TLSWRAP_KEY_LEN], const struct tlswrap *orig,
		 bool is_server)
{
	uint8_t k[TLSWRAP_KEY_LEN];
	size_t i;
	int r;

	memcpy(k, ekm, sizeof(k));
	if (orig != NULL && orig->mode != TLSWRAP_NONE)
		for (i = 0; i < sizeof(k); i++)
			k[i] ^= orig->key[i];
	r = init_crypt_mode(w, k, is_server, TLSWRAP_CRYPT);
	OPENSSL_cleanse(k, sizeof(k));
	return r;
}

size_t
tlswrap_overhead(const struct tlswrap *w)
{
	switch (w->mode) {
	case TLSWRAP_AUTH:
		return w->hmac_len + TLSWRAP_REPLAY_LEN;
	case TLSWRAP_CRYPT:
	case TLSWRAP_CRYPT_V2:
		return TLSWRAP_CRYPT_OVERHEAD;
	default:
		return 0;
	}
}

int
tlswrap_set_replay_window(struct tlswrap *w, uint32_t window, uint64_t time_us)
{
	return replay_init(&w->rx, window, time_us);
}

int
tlswrap_set_next_send_id(struct tlswrap *w, uint32_t next)
{
	if (next == 0)
		return ERR_RANGE;
	w->send_id = next - 1;
	return 0;
}

bool
tlswrap_client_supports_cookie(uint32_t replay_packet_id)
{
	return (replay_packet_id & 0xFF000000u) == TLSWRAP_V2_COOKIE_BASE;
}

/* P S: the clear head every mode starts with. */
static int
get_head(struct buf *b, uint8_t *op, uint8_t sid[SESSION_ID_LEN])
{
	if (buf_get_u8(b, op) != 0 || buf_get_bytes(b, sid, SESSION_ID_LEN) != 0)
		return ERR_TRUNC;
	if (!wire_is_control_opcode(wire_opcode(*op)))
		return ERR_UNSUPPORTED;
	return 0;
}

static void
put_replay(uint8_t r[TLSWRAP_REPLAY_LEN], uint32_t id, uint32_t time)
{
	be_put_u32(r, id);
	be_put_u32(r + 4, time);
}

int
tlswrap_peek_replay_id(const struct tlswrap *w, const uint8_t *pkt, size_t len, uint32_t *id,
		       uint32_t *time)
{
	struct buf b;
	uint32_t i, t;

	if (w->mode == TLSWRAP_NONE)
		return ERR_INVAL;
	buf_init(&b, pkt, len);
	if (buf_skip(&b, HDR_LEN) != 0 ||
	    (w->mode == TLSWRAP_AUTH && buf_skip(&b, w->hmac_len) != 0) ||
	    buf_get_u32(&b, &i) != 0 || buf_get_u32(&b, &t) != 0)
		return ERR_TRUNC;
	*id = i;
	*time = t;
	return 0;
}

/* Wipe and drop whatever was appended to out after old_len. */
static int
drop_out(struct wbuf *out, size_t old_len, int r)
{
	uint8_t *p;

	if (out->len > old_len && (p = wbuf_at(out, old_len, out->len - old_len)) != NULL)
		OPENSSL_cleanse(p, out->len - old_len);
	wbuf_truncate(out, old_len);
	return r;
}

/*
 * Authenticate and unwrap into out; *rid gets time << 32 | id.  The
 * replay window is the caller's business.
 */
static int
unwrap_core(const struct tlswrap *w, const uint8_t *pkt, size_t len, struct wbuf *out, uint64_t *rid)
{
	struct buf b, rest;
	uint8_t op, sid[SESSION_ID_LEN], tag[TLSWRAP_HMAC_MAX], md[TLSWRAP_HMAC_MAX];
	uint8_t aad[CRYPT_AAD_LEN], rep[TLSWRAP_REPLAY_LEN];
	uint8_t *pt;
	uint32_t id, t;
	size_t old = out->len;
	int r;

	buf_init(&b, pkt, len);
	if ((r = get_head(&b, &op, sid)) != 0)
		return r;
	if (w->mode == TLSWRAP_NONE) {
		*rid = 0;
		return wbuf_put_bytes(out, pkt, len);
	}
	if (w->mode == TLSWRAP_AUTH && buf_get_bytes(&b, tag, w->hmac_len) != 0)
		return ERR_TRUNC;
	if (buf_get_u32(&b, &id) != 0 || buf_get_u32(&b, &t) != 0)
		return ERR_TRUNC;
	if (w->mode != TLSWRAP_AUTH && buf_get_bytes(&b, tag, TLSWRAP_CRYPT_TAG_LEN) != 0)
		return ERR_TRUNC;
	buf_get_rest(&b, &rest);
	if (wbuf_room(out) < HDR_LEN + buf_left(&rest)) {
		out->overflow = true;
		return ERR_OVERFLOW;
	}
	put_replay(rep, id, t);
	(void)wbuf_put_u8(out, op);
	(void)wbuf_put_bytes(out, sid, SESSION_ID_LEN);

	if (w->mode == TLSWRAP_AUTH) {
		/* The replay field moves to the front of the MAC input (doc §2.3). */
		struct span parts[] = { { rep, sizeof(rep) }, { &op, 1 }, { sid, SESSION_ID_LEN },
					{ buf_cur(&rest), buf_left(&rest) } };

		if ((r = mac_run(w->rx_mac, parts, 4, md, w->hmac_len)) != 0)
			return drop_out(out, old, r);
		if (CRYPTO_memcmp(md, tag, w->hmac_len) != 0)
			return drop_out(out, old, ERR_AUTH);
		(void)wbuf_put_bytes(out, buf_cur(&rest), buf_left(&rest));
	} else {
		/* Decrypt first: the tag is over the plaintext (doc §2.4). */
		aad[0] = op;
		memcpy(aad + 1, sid, SESSION_ID_LEN);
		memcpy(aad + HDR_LEN, rep, sizeof(rep));
		if ((pt = wbuf_reserve(out, buf_left(&rest))) == NULL)
			return drop_out(out, old, ERR_OVERFLOW);
		if ((r = ctr_run(w->rx_ctr, tag, buf_cur(&rest), pt, buf_left(&rest))) != 0)
			return drop_out(out, old, r);
		{
			struct span parts[] = { { aad, sizeof(aad) }, { pt, buf_left(&rest) } };

			if ((r = mac_run(w->rx_mac, parts, 2, md, TLSWRAP_CRYPT_TAG_LEN)) != 0)
				return drop_out(out, old, r);
		}
		if (CRYPTO_memcmp(md, tag, TLSWRAP_CRYPT_TAG_LEN) != 0)
			return drop_out(out, old, ERR_AUTH);
	}
	*rid = (uint64_t)t << 32 | id;
	return 0;
}

int
tlswrap_unwrap(struct tlswrap *w, const uint8_t *pkt, size_t len, uint64_t now, struct wbuf *out)
{
	size_t old = out->len;
	uint64_t rid;
	int r;

	if ((r = unwrap_core(w, pkt, len, out, &rid)) != 0 || w->mode == TLSWRAP_NONE)
		return r;
	if (replay_check(&w->rx, rid, now) != 0)
		return drop_out(out, old, ERR_REPLAY);
	replay_update(&w->rx, rid, now);
	return 0;
}

int
tlswrap_unwrap_peek(const struct tlswrap *w, const uint8_t *pkt, size_t len, uint64_t now,
		    struct wbuf *out)
{
	size_t old = out->len;
	uint64_t rid;
	int r;

	if ((r = unwrap_core(w, pkt, len, out, &rid)) != 0 || w->mode == TLSWRAP_NONE)
		return r;
	if (replay_check(&w->rx, rid, now) != 0)
		return drop_out(out, old, ERR_REPLAY);
	return 0;
}

static int
wrap_core(const struct tlswrap *w, const uint8_t *plain, size_t len, uint32_t id, uint32_t t,
	  struct wbuf *out)
{
	struct buf b, rest;
	uint8_t op, sid[SESSION_ID_LEN], md[TLSWRAP_HMAC_MAX], aad[CRYPT_AAD_LEN];
	uint8_t rep[TLSWRAP_REPLAY_LEN];
	uint8_t *ct;
	size_t old = out->len;
	int r;

	buf_init(&b, plain, len);
	if ((r = get_head(&b, &op, sid)) != 0)
		return r;
	buf_get_rest(&b, &rest);
	if (wbuf_room(out) < len + tlswrap_overhead(w)) {
		out->overflow = true;
		return ERR_OVERFLOW;
	}
	if (w->mode == TLSWRAP_NONE)
		return wbuf_put_bytes(out, plain, len);

	put_replay(rep, id, t);
	(void)wbuf_put_u8(out, op);
	(void)wbuf_put_bytes(out, sid, SESSION_ID_LEN);
	if (w->mode == TLSWRAP_AUTH) {
		struct span parts[] = { { rep, sizeof(rep) }, { &op, 1 }, { sid, SESSION_ID_LEN },
					{ buf_cur(&rest), buf_left(&rest) } };

		if ((r = mac_run(w->tx_mac, parts, 4, md, w->hmac_len)) != 0)
			return drop_out(out, old, r);
		(void)wbuf_put_bytes(out, md, w->hmac_len);
		(void)wbuf_put_bytes(out, rep, sizeof(rep));
		(void)wbuf_put_bytes(out, buf_cur(&rest), buf_left(&rest));
		return 0;
	}
	aad[0] = op;
	memcpy(aad + 1, sid, SESSION_ID_LEN);
	memcpy(aad + HDR_LEN, rep, sizeof(rep));
	{
		struct span parts[] = { { aad, sizeof(aad) }, { buf_cur(&rest), buf_left(&rest) } };

		if ((r = mac_run(w->tx_mac, parts, 2, md, TLSWRAP_CRYPT_TAG_LEN)) != 0)
			return drop_out(out, old, r);
	}
	(void)wbuf_put_bytes(out, rep, sizeof(rep));
	(void)wbuf_put_bytes(out, md, TLSWRAP_CRYPT_TAG_LEN);
	if ((ct = wbuf_reserve(out, buf_left(&rest))) == NULL)
		return drop_out(out, old, ERR_OVERFLOW);
	if ((r = ctr_run(w->tx_ctr, md, buf_cur(&rest), ct, buf_left(&rest))) != 0)
		return drop_out(out, old, r);
	return 0;
}

int
tlswrap_wrap(struct tlswrap *w, const uint8_t *plain, size_t len, uint64_t wall_sec, struct wbuf *out)
{
	uint32_t id = w->send_id + 1, t = w->send_time;
	int r;

	if (t == 0)
		t = (uint32_t)wall_sec;
	if (w->send_id == UINT32_MAX) {
		/* Id space used up: a new series must have a later time (doc §5.3). */
		if (t == UINT32_MAX)
			return ERR_RANGE;
		id = 1;
		t = (uint64_t)t + 1 > wall_sec ? t + 1 : (uint32_t)wall_sec;
	}
	if ((r = wrap_core(w, plain, len, id, t, out)) != 0)
		return r;
	if (w->mode != TLSWRAP_NONE) {
		w->send_id = id;
		w->send_time = t;
	}
	return 0;
}

int
tlswrap_wrap_stateless(const struct tlswrap *w, const uint8_t *plain, size_t len, uint64_t wall_sec,
		       struct wbuf *out)
{
	return wrap_core(w, plain, len, 1, (uint32_t)wall_sec, out);
}

int
tlswrap_wkc_split(const uint8_t *pkt, size_t len, size_t *inner_len)
{
	struct buf b;
	uint8_t op;
	uint16_t wlen;

	buf_init(&b, pkt, len);
	if (buf_peek_u8(&b, 0, &op) != 0)
		return ERR_TRUNC;
	if (wire_opcode(op) != P_CONTROL_HARD_RESET_CLIENT_V3 && wire_opcode(op) != P_CONTROL_WKC_V1)
		return ERR_UNSUPPORTED;
	if (buf_peek_tail_u16(&b, 0, &wlen) != 0 || len < 1 + WKC_LEN_FIELD)
		return ERR_TRUNC;
	if (wlen < TLSWRAP_WKC_MIN || wlen > TLSWRAP_WKC_MAX || wlen > len - 1)
		return ERR_MALFORMED;
	*inner_len = len - wlen;
	return 0;
}

/* One-shot AES-256-CTR and HMAC-SHA256 with the server key (V3/WKC_V1 only). */
static int
ctr_once(const uint8_t key[CTR_KEY_LEN], const uint8_t iv[CTR_IV_LEN], const uint8_t *in, uint8_t *out,
	 size_t n)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int r;

	if ((r = ctr_new(key, &ctx)) != 0)
		return r;
	r = ctr_run(ctx, iv, in, out, n);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
hmac_once(const uint8_t key[32], const struct span *parts, size_t n_parts, uint8_t md[32])
{
	EVP_MAC_CTX *ctx = NULL;
	int r;

	if ((r = mac_new("SHA256", key, 32, &ctx)) != 0)
		return r;
	r = mac_run(ctx, parts, n_parts, md, 32);
	EVP_MAC_CTX_free(ctx);
	return r;
}

int
tlswrap_v2_unwrap_wkc(const struct keyfile_v2_server *sk, const uint8_t *pkt, size_t len,
		      size_t *inner_len, struct tlswrap *w, uint8_t *meta, size_t meta_cap,
		      size_t *meta_len)
{
	struct buf b, wkc;
	uint8_t t[TLSWRAP_CRYPT_TAG_LEN], md[TLSWRAP_CRYPT_TAG_LEN], pt[WKC_PLAIN_MAX];
	uint8_t lenf[WKC_LEN_FIELD];
	size_t inner, wlen, n, mlen;
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = tlswrap_wkc_split(pkt, len, &inner)) != 0)
		return r;
	wlen = len - inner;
	n = wlen - TLSWRAP_CRYPT_TAG_LEN - WKC_LEN_FIELD;
	buf_init(&b, pkt, len);
	if (buf_get_tail(&b, wlen, &wkc) != 0 || buf_get_bytes(&wkc, t, sizeof(t)) != 0 ||
	    buf_left(&wkc) != n + WKC_LEN_FIELD)
		return ERR_TRUNC;
	/* Ke' = server key bytes 0..31, Ka' = bytes 64..95 (doc §5.5). */
	if ((r = ctr_once(sk->key, t, buf_cur(&wkc), pt, n)) != 0)
		goto out;
	lenf[0] = (uint8_t)(wlen >> 8);
	lenf[1] = (uint8_t)wlen;
	{
		struct span parts[] = { { lenf, sizeof(lenf) }, { pt, n } };

		if ((r = hmac_once(sk->key + PART_LEN, parts, 2, md)) != 0)
			goto out;
	}
	if (CRYPTO_memcmp(md, t, sizeof(t)) != 0) {
		r = ERR_AUTH;
		goto out;
	}
	mlen = n - KEYFILE_V2_KC_LEN;
	if (meta != NULL) {
		if (mlen > meta_cap) {
			r = ERR_OVERFLOW;
			goto out;
		}
		memcpy(meta, pt + KEYFILE_V2_KC_LEN, mlen);
	}
	if ((r = init_crypt_mode(w, pt, true, TLSWRAP_CRYPT_V2)) != 0)
		goto out;
	*inner_len = inner;
	if (meta_len != NULL)
		*meta_len = mlen;
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	OPENSSL_cleanse(md, sizeof(md));
	return r;
}

int
tlswrap_append_wkc(const struct keyfile_v2_client *ck, struct wbuf *out)
{
	if (ck->wkc_len < TLSWRAP_WKC_MIN || ck->wkc_len > TLSWRAP_WKC_MAX)
		return ERR_MALFORMED;
	return wbuf_put_bytes(out, ck->wkc, ck->wkc_len);
}

int
tlswrap_v2_make_wkc(const struct keyfile_v2_server *sk, const uint8_t kc[KEYFILE_V2_KC_LEN],
		    const uint8_t *meta, size_t meta_len, struct wbuf *out)
{
	uint8_t pt[WKC_PLAIN_MAX], t[TLSWRAP_CRYPT_TAG_LEN], lenf[WKC_LEN_FIELD];
	uint8_t *ct;
	size_t n, wlen, old = out->len;
	int r;

	if (meta_len > TLSWRAP_META_MAX || (meta == NULL && meta_len > 0))
		return ERR_RANGE;
	n = KEYFILE_V2_KC_LEN + meta_len;
	wlen = TLSWRAP_CRYPT_TAG_LEN + n + WKC_LEN_FIELD;
	if (wbuf_room(out) < wlen) {
		out->overflow = true;
		return ERR_OVERFLOW;
	}
	memcpy(pt, kc, KEYFILE_V2_KC_LEN);
	if (meta_len > 0)
		memcpy(pt + KEYFILE_V2_KC_LEN, meta, meta_len);
	lenf[0] = (uint8_t)(wlen >> 8);
	lenf[1] = (uint8_t)wlen;
	{
		struct span parts[] = { { lenf, sizeof(lenf) }, { pt, n } };

		if ((r = hmac_once(sk->key + PART_LEN, parts, 2, t)) != 0)
			goto out;
	}
	(void)wbuf_put_bytes(out, t, sizeof(t));
	ct = wbuf_reserve(out, n);
	if ((r = ctr_once(sk->key, t, pt, ct, n)) != 0) {
		(void)drop_out(out, old, r);
		goto out;
	}
	(void)wbuf_put_bytes(out, lenf, sizeof(lenf));
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	return r;
}
