/*
 * tckey.h - fresh tls-crypt and tls-crypt-v2 key files, as the text
 * `openvpn --genkey` writes (keyfile.h's writers do the formatting, so the
 * files are byte for byte what 2.6 would write for the same key).
 *
 * Every call appends to a caller's wbuf, which then holds key material:
 * the caller wipes it (OPENSSL_cleanse) when done.  Stack copies of keys
 * made here are wiped before returning.
 *
 * Return convention: 0 or a negative ERR_* (err.h).
 */
#ifndef OVPN_PKI_TCKEY_H
#define OVPN_PKI_TCKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tlswrap.h"

enum {
	TCKEY_TEXT_MAX = 4096,          /* room for any key file text here */
	TCKEY_META_TIMESTAMP_LEN = 9,   /* type byte + u64 */
};

/* "OpenVPN Static key V1": 256 random bytes (tls-crypt, tls-auth).  ERR_CRYPTO, ERR_OVERFLOW. */
int tckey_static_new(struct wbuf *out);

/* tls-crypt-v2 server key: 128 random bytes.  ERR_CRYPTO, ERR_OVERFLOW. */
int tckey_v2_server_new(struct wbuf *out);

/*
 * tls-crypt-v2 client key: a random Kc wrapped with the server key whose
 * file text is server_text, with metadata meta (type byte first).
 * ERR_MALFORMED for a bad server key file; ERR_RANGE if the metadata is
 * longer than TLSWRAP_META_MAX; ERR_CRYPTO, ERR_NOMEM, ERR_OVERFLOW.
 */
int tckey_v2_client_new(const char *server_text, size_t server_len, const uint8_t *meta,
			size_t meta_len, struct wbuf *out);

/* Metadata as 2.6's default: 0x01 || u64 big-endian unix time. */
void tckey_meta_timestamp(int64_t now, uint8_t meta[TCKEY_META_TIMESTAMP_LEN]);

/*
 * Metadata from a --metadata argument: 0x00 || base64-decoded bytes (as
 * `openvpn --genkey tls-crypt-v2-client FILE B64`).  *len is the total.
 * ERR_MALFORMED for text that is not base64; ERR_RANGE if the result
 * exceeds cap or TLSWRAP_META_MAX.
 */
int tckey_meta_user(const char *b64, uint8_t *meta, size_t cap, size_t *len);

#endif
