/*
 * keyfile.h - the pre-shared key file formats of OpenVPN 2.6 (doc §5.1, §5.5).
 *
 *   "OpenVPN Static key V1"            256 bytes as hex (tls-auth, tls-crypt)
 *   "OpenVPN tls-crypt-v2 server key"  PEM, base64 of 128 bytes
 *   "OpenVPN tls-crypt-v2 client key"  PEM, base64 of Kc (256) || WKc
 *
 * Parsers are pure: they take the file's text in memory (the caller reads
 * the file), ignore everything outside the BEGIN/END lines and whitespace
 * inside them, and are strict about the rest: only hex (or base64) between
 * the markers, and exactly the size the format fixes.  On error the output
 * is wiped, never partly filled.  Writers produce the text 2.6 writes, byte
 * for byte, so a parse/write round trip reproduces an `openvpn --genkey`
 * file.
 *
 * Every struct here holds key material: wipe it with keyfile_wipe() when
 * done.  Writers leave copies of the key in the caller's output buffer; the
 * caller wipes that too.
 *
 * Return convention: 0 or a negative ERR_* (err.h).
 */
#ifndef OVPN_KEYFILE_H
#define OVPN_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
	KEYFILE_STATIC_LEN = 256,     /* keys[0] cipher|hmac, keys[1] cipher|hmac */
	KEYFILE_V2_SERVER_LEN = 128,  /* cipher[64] || hmac[64] */
	KEYFILE_V2_KC_LEN = 256,      /* a static key, used as tls-crypt v1 */
	KEYFILE_WKC_MAX = 1024,       /* 2.6's limit on a wrapped client key */
	/* T[32] || encrypted Kc[256] || u16 len; the metadata may add up to
	   KEYFILE_WKC_MAX - KEYFILE_WKC_MIN bytes (type byte included). */
	KEYFILE_WKC_MIN = 32 + 256 + 2,
	/* Larger texts are refused before they are scanned (ERR_RANGE). */
	KEYFILE_TEXT_MAX = 64 * 1024,
};

struct keyfile_static {
	uint8_t key[KEYFILE_STATIC_LEN];
};

struct keyfile_v2_server {
	uint8_t key[KEYFILE_V2_SERVER_LEN];
};

struct keyfile_v2_client {
	uint8_t kc[KEYFILE_V2_KC_LEN];
	uint8_t wkc[KEYFILE_WKC_MAX];  /* opaque to the client; ends in its own u16 length */
	size_t wkc_len;
};

/*
 * Parse "OpenVPN Static key V1" text.  ERR_RANGE if len > KEYFILE_TEXT_MAX;
 * ERR_MALFORMED for a missing BEGIN or END line, a character other than a
 * hex digit or whitespace between them, an odd digit count, or any size
 * other than exactly 256 bytes.
 */
int keyfile_parse_static(const char *text, size_t len, struct keyfile_static *out);

/*
 * Parse a tls-crypt-v2 server key.  Errors as keyfile_parse_static(), with
 * base64 instead of hex and 128 bytes.
 */
int keyfile_parse_v2_server(const char *text, size_t len, struct keyfile_v2_server *out);

/*
 * Parse a tls-crypt-v2 client key.  Errors as above; the decoded size must
 * be 256 + n with KEYFILE_WKC_MIN <= n <= KEYFILE_WKC_MAX, and the last two
 * bytes (WKc's own length field) must equal n, else ERR_MALFORMED.  The WKc
 * itself is not authenticated here (only the server can do that).
 */
int keyfile_parse_v2_client(const char *text, size_t len, struct keyfile_v2_client *out);

/*
 * Append the file text to out, as 2.6 writes it: a three-line comment
 * header and 16 lines of 32 hex digits for the static key; 64-column PEM
 * for the tls-crypt-v2 keys.  No NUL is written.  ERR_OVERFLOW if out is
 * too small (out keeps its old length); ERR_MALFORMED for a client key
 * whose wkc_len is out of range.
 */
int keyfile_write_static(const struct keyfile_static *k, struct wbuf *out);
int keyfile_write_v2_server(const struct keyfile_v2_server *k, struct wbuf *out);
int keyfile_write_v2_client(const struct keyfile_v2_client *k, struct wbuf *out);

/* OPENSSL_cleanse() over any of the structs above (or any key buffer). */
void keyfile_wipe(void *k, size_t len);

#endif
