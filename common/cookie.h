/*
 * cookie.h - stateless HMAC session-id cookie (doc §4.2, security-promises P1).
 *
 * The server's session id S answering a client reset is a keyed hash of
 * (time slot, client address and port, client session id).  A later packet
 * that echoes S as its remote session id proves the client can receive at
 * that address, and only then does the server create state.
 *
 * HMAC-SHA256 (OpenSSL 3 EVP_MAC) with a random key that never leaves
 * memory.  The key struct keeps a keyed MAC context that each call
 * re-initialises, so a cookie costs one HMAC and no allocation.  Because of
 * that context a cookie_key must not be used from two threads at once.
 */
#ifndef OVPN_COOKIE_H
#define OVPN_COOKIE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "proto.h"

enum { COOKIE_KEY_LEN = 32 };

struct cookie_key {
	uint8_t key[COOKIE_KEY_LEN];
	EVP_MAC *mac;          /* fetched once */
	EVP_MAC_CTX *ctx;      /* keyed once, re-initialised per cookie */
};

/* Random key from RAND_bytes, MAC prepared.  0, ERR_CRYPTO or ERR_NOMEM. */
int cookie_key_init(struct cookie_key *k);
/* As cookie_key_init() with a given key (known-answer tests). */
int cookie_key_set(struct cookie_key *k, const uint8_t key[COOKIE_KEY_LEN]);
/* Wipes the key and frees the MAC; safe to call twice or after a failed init. */
void cookie_key_free(struct cookie_key *k);
/* Time slot: now / ((hand_window + 1) / 2), the divisor at least 1. */
uint32_t cookie_slot(uint64_t now_sec, uint32_t hand_window_s);
/*
 * Cookie for (slot, client address and port, client session id), never all
 * zeros.  The address is encoded canonically (family byte, 4 or 16 address
 * bytes, 2 port bytes), never as raw sockaddr bytes.  ERR_INVAL for a family
 * other than AF_INET/AF_INET6 or a short salen; ERR_CRYPTO.
 */
int cookie_make(const struct cookie_key *k, uint32_t slot, const struct sockaddr *sa, socklen_t salen,
		const uint8_t csid[SESSION_ID_LEN], uint8_t out[SESSION_ID_LEN]);
/*
 * True if cookie is valid for the current slot or one of the two previous
 * ones (2.6.16 rule, CVE-2025-13086); constant-time compare.  False on any
 * error.
 */
bool cookie_check(const struct cookie_key *k, uint64_t now_sec, uint32_t hand_window_s,
		  const struct sockaddr *sa, socklen_t salen, const uint8_t csid[SESSION_ID_LEN],
		  const uint8_t cookie[SESSION_ID_LEN]);

#endif
