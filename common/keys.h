/*
 * keys.h - data-channel key derivation (doc §7).
 *
 * Two ways to obtain the 256-byte key2 block: the TLS exporter (doc §7.2,
 * done by tls_sess_export() with EKM_LABEL_DATAKEYS), or the legacy
 * TLS 1.0 PRF over the key-method-2 randoms (doc §7.3), done here.  Either
 * way keys_split() gives the directional views (doc §7.4).
 *
 * Pure functions: no I/O, no globals.  Outputs are caller memory; the caller
 * wipes key2 (OPENSSL_cleanse) when done.  Return 0 or a negative ERR_*.
 */
#ifndef OVPN_KEYS_H
#define OVPN_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1, overlapping halves for odd lengths), via OpenSSL EVP_KDF "TLS1-PRF" with digest MD5-SHA1.
   ERR_INVAL for an empty secret or output, ERR_CRYPTO if OpenSSL refuses (e.g. FIPS mode: no MD5). */
int keys_tls1_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen, uint8_t *out, size_t olen);

struct keys_prf_input {
	uint8_t pre_master[KM2_PRE_MASTER_LEN];
	uint8_t client_random1[KM2_RANDOM_LEN], client_random2[KM2_RANDOM_LEN];
	uint8_t server_random1[KM2_RANDOM_LEN], server_random2[KM2_RANDOM_LEN];
	uint8_t client_sid[SESSION_ID_LEN], server_sid[SESSION_ID_LEN];
};

/* Legacy key2: master = PRF(pre_master, "OpenVPN master secret" || c.random1 || s.random1) (48 bytes);
   key2 = PRF(master, "OpenVPN key expansion" || c.random2 || s.random2 || csid || ssid) (256 bytes).
   The intermediate master secret is wiped.  On failure key2 is zeroed. */
int keys_legacy_key2(const struct keys_prf_input *in, uint8_t key2[KEY2_LEN]);

/* Directional views into key2 (doc §7.4): the server encrypts with keys[1], decrypts with keys[0]. */
struct keys_dir { const uint8_t *cipher; const uint8_t *hmac; };  /* each KEY2_PART_LEN bytes */
/* The views point into key2, which must outlive them.  For AEAD the implicit
   IV is the first AEAD_IMPLICIT_IV_LEN bytes of hmac. */
void keys_split(const uint8_t key2[KEY2_LEN], bool is_server, struct keys_dir *enc, struct keys_dir *dec);

/* Refuse all-zero/weak key material like 2.6 does (practically never): ERR_CRYPTO.
   2.6 refuses a direction whose cipher key (its key-size prefix) is all zero.
   Not knowing the cipher here, we refuse when either direction's first 16
   cipher bytes (the shortest key, AES-128) are zero, or when any of the four
   64-byte parts is entirely zero.  Constant time; 0 otherwise. */
int keys_check(const uint8_t key2[KEY2_LEN]);

#endif
