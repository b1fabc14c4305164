/*
 * cookie.c - stateless HMAC session-id cookie (doc §4.2, security-promises P1).
 *
 *   cookie = first 8 bytes of HMAC-SHA256(key, u32 slot || u8 family ||
 *            address (4 or 16 bytes) || u16 port || client sid)
 *
 * All integers big-endian.  Only the server ever checks a cookie, so the
 * input layout is ours; it is canonical so sockaddr padding and fields
 * such as sin6_flowinfo never reach the hash.  Slots are
 * (hand_window + 1) / 2 seconds long, and a check accepts the current slot
 * and the two previous ones (2.6.16, CVE-2025-13086): a cookie lives for
 * 2 to 3 slots, 60-90 s with the default hand-window.
 *
 * A cookie is the server's session id, and an all-zero session id is
 * invalid on the wire, so an all-zero HMAC prefix (probability 2^-64) is
 * mapped deterministically to ...01; make and check agree on it.
 *
 * Cost: a spoofed reset costs one HMAC.  The MAC is fetched and keyed once
 * in cookie_key_init(); each cookie re-initialises that context with a NULL
 * key, which OpenSSL 3 defines as "keep the key", so no per-call fetch,
 * key schedule or allocation happens.
 */
#include <string.h>
#include <netinet/in.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "buf.h"
#include "cookie.h"
#include "err.h"

/* slot 4 + family 1 + address 16 + port 2 + sid 8 */
enum { COOKIE_INPUT_MAX = 4 + 1 + 16 + 2 + SESSION_ID_LEN };

int
cookie_key_set(struct cookie_key *k, const uint8_t key[COOKIE_KEY_LEN])
{
	OSSL_PARAM params[2];
	int rc = ERR_CRYPTO;

	memset(k, 0, sizeof(*k));
	memcpy(k->key, key, sizeof(k->key));
	if ((k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((k->ctx = EVP_MAC_CTX_new(k->mac)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(k->ctx, k->key, sizeof(k->key), params) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		cookie_key_free(k);
	return rc;
}

int
cookie_key_init(struct cookie_key *k)
{
	uint8_t key[COOKIE_KEY_LEN];
	int rc;

	memset(k, 0, sizeof(*k));
	if (RAND_bytes(key, sizeof(key)) != 1)
		return ERR_CRYPTO;
	rc = cookie_key_set(k, key);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

void
cookie_key_free(struct cookie_key *k)
{
	EVP_MAC_CTX_free(k->ctx);
	EVP_MAC_free(k->mac);
	k->ctx = NULL;
	k->mac = NULL;
	OPENSSL_cleanse(k->key, sizeof(k->key));
}

uint32_t
cookie_slot(uint64_t now_sec, uint32_t hand_window_s)
{
	uint64_t len = ((uint64_t)hand_window_s + 1) / 2;

	if (len == 0)
		len = 1;
	return (uint32_t)(now_sec / len);
}

/* Canonical (family, address, port) encoding; ERR_INVAL for anything else. */
static int
put_addr(struct wbuf *w, const struct sockaddr *sa, socklen_t salen)
{
	if (sa == NULL)
		return ERR_INVAL;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		if (salen < (socklen_t)sizeof(sin))
			return ERR_INVAL;
		memcpy(&sin, sa, sizeof(sin));
		wbuf_put_u8(w, 4);
		wbuf_put_bytes(w, &sin.sin_addr.s_addr, 4);
		wbuf_put_bytes(w, &sin.sin_port, 2);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		if (salen < (socklen_t)sizeof(sin6))
			return ERR_INVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		wbuf_put_u8(w, 6);
		wbuf_put_bytes(w, sin6.sin6_addr.s6_addr, 16);
		wbuf_put_bytes(w, &sin6.sin6_port, 2);
	} else {
		return ERR_INVAL;
	}
	return w->overflow ? ERR_INVAL : 0;
}

int
cookie_make(const struct cookie_key *k, uint32_t slot, const struct sockaddr *sa, socklen_t salen,
	    const uint8_t csid[SESSION_ID_LEN], uint8_t out[SESSION_ID_LEN])
{
	uint8_t in[COOKIE_INPUT_MAX];
	uint8_t md[EVP_MAX_MD_SIZE];
	uint8_t acc = 0;
	struct wbuf w;
	size_t mdlen = 0, i;
	int rc;

	if (k->ctx == NULL || csid == NULL)
		return ERR_INVAL;
	wbuf_init(&w, in, sizeof(in));
	wbuf_put_u32(&w, slot);
	if ((rc = put_addr(&w, sa, salen)) != 0)
		return rc;
	wbuf_put_bytes(&w, csid, SESSION_ID_LEN);
	if (w.overflow)
		return ERR_INVAL;

	/* NULL key: re-initialise with the key set in cookie_key_init(). */
	rc = ERR_CRYPTO;
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(k->ctx, in, w.len) != 1 ||
	    EVP_MAC_final(k->ctx, md, &mdlen, sizeof(md)) != 1 ||
	    mdlen < SESSION_ID_LEN)
		goto out;
	memcpy(out, md, SESSION_ID_LEN);
	for (i = 0; i < SESSION_ID_LEN; i++)
		acc |= out[i];
	if (acc == 0)
		out[SESSION_ID_LEN - 1] = 1;
	rc = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

bool
cookie_check(const struct cookie_key *k, uint64_t now_sec, uint32_t hand_window_s,
	     const struct sockaddr *sa, socklen_t salen, const uint8_t csid[SESSION_ID_LEN],
	     const uint8_t cookie[SESSION_ID_LEN])
{
	uint32_t slot = cookie_slot(now_sec, hand_window_s);
	uint8_t expect[SESSION_ID_LEN];
	uint32_t off;

	if (cookie == NULL)
		return false;
	/* Offsets 0, -1, -2 only; never a future slot. */
	for (off = 0; off <= 2 && off <= slot; off++) {
		if (cookie_make(k, slot - off, sa, salen, csid, expect) != 0)
			return false;
		if (CRYPTO_memcmp(expect, cookie, SESSION_ID_LEN) == 0)
			return true;
	}
	return false;
}
