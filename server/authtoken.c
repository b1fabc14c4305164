/*
 * authtoken.c - auth-gen-token make/check (OpenVPN 2.6 token layout, see
 * authtoken.h; facts from OpenVPN's auth_token.[ch] and
 * doc/man-sections/server-options.rst, our own code).
 *
 * Design:
 * - A token is text the client hands back as its password, so everything in
 *   authtoken_check() is hostile input.  It is accepted only if it is exactly
 *   prefix + 80 characters of the base64 alphabet (no padding, no
 *   whitespace: EVP_DecodeBlock would otherwise skip some), decodes to
 *   exactly 60 bytes, and those bytes are then read through struct buf.
 * - The MAC is checked before any field is believed; the timestamps are only
 *   compared after it verified, and with subtraction so no sum can wrap.
 * - The MAC covers the username, so a token cannot be replayed for another
 *   account; the session id stays constant across renewals so logs and the
 *   management interface can follow one session over reconnects.
 * - Keys live in struct authtoken_key and are wiped with OPENSSL_cleanse;
 *   stack copies of decoded PEM data are wiped too.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "authtoken.h"
#include "buf.h"
#include "err.h"

/* OpenVPN's key file holds a struct key: 64 cipher bytes, then 64 HMAC bytes. */
#define PEM_KEY_LEN 128
#define PEM_HMAC_OFF 64
/* Key files are tiny; anything larger is not one. */
#define PEM_FILE_MAX 8192

int
authtoken_key_generate(struct authtoken_key *key)
{
	if (RAND_bytes(key->hmac, sizeof(key->hmac)) != 1)
		return ERR_CRYPTO;
	return 0;
}

int
authtoken_key_from_pem(struct authtoken_key *key, const char *pem, size_t len)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int r = ERR_MALFORMED;

	if (len > PEM_FILE_MAX)
		return ERR_MALFORMED;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ERR_NOMEM;
	if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
		goto out;
	if (strcmp(name, AUTHTOKEN_PEM_NAME) != 0 || header[0] != '\0')
		goto out;
	/* Exact size: a truncated or padded file is a config error, not a key. */
	if (dlen != PEM_KEY_LEN)
		goto out;
	memcpy(key->hmac, data + PEM_HMAC_OFF, sizeof(key->hmac));
	r = 0;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, (size_t)(dlen > 0 ? dlen : 0));
		OPENSSL_free(data);
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
authtoken_key_load(struct authtoken_key *key, const char *path)
{
	char text[PEM_FILE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ERR_SYS;
	/* Read one byte past the cap so an oversized file is seen as such. */
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ERR_SYS;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = authtoken_key_from_pem(key, text, len);
out:
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return r;
}

void
authtoken_key_wipe(struct authtoken_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

int
authtoken_info_init(struct authtoken_info *info, uint64_t now_wall)
{
	if (RAND_bytes(info->session_id, sizeof(info->session_id)) != 1)
		return ERR_CRYPTO;
	info->initial = now_wall;
	info->issued = now_wall;
	return 0;
}

/* HMAC-SHA256(key, username || body); body is the 28 bytes before the MAC. */
static int
token_mac(const struct authtoken_key *key, const char *username, size_t ulen,
    const uint8_t *body, size_t blen, uint8_t mac[AUTHTOKEN_MAC_LEN])
{
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t mlen = 0;
	int r = ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(m)) == NULL)
		goto out;
	if (EVP_MAC_init(ctx, key->hmac, sizeof(key->hmac), params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)username, ulen) != 1 ||
	    EVP_MAC_update(ctx, body, blen) != 1 ||
	    EVP_MAC_final(ctx, mac, &mlen, AUTHTOKEN_MAC_LEN) != 1 ||
	    mlen != AUTHTOKEN_MAC_LEN)
		goto out;
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return r;
}

int
authtoken_make(const struct authtoken_key *key, const char *username,
    const struct authtoken_info *info, char *out, size_t cap)
{
	uint8_t raw[AUTHTOKEN_DATA_LEN];
	struct wbuf w;
	uint8_t *mac;
	size_t ulen;
	int r;

	if (cap < AUTHTOKEN_BUFSZ)
		return ERR_OVERFLOW;
	ulen = strnlen(username, AUTHTOKEN_USER_MAX + 1);
	if (ulen > AUTHTOKEN_USER_MAX || info->issued < info->initial)
		return ERR_INVAL;

	wbuf_init(&w, raw, sizeof(raw));
	wbuf_put_bytes(&w, info->session_id, sizeof(info->session_id));
	wbuf_put_u64(&w, info->initial);
	wbuf_put_u64(&w, info->issued);
	if ((mac = wbuf_reserve(&w, AUTHTOKEN_MAC_LEN)) == NULL || w.overflow)
		return ERR_OVERFLOW;
	if ((r = token_mac(key, username, ulen, raw, AUTHTOKEN_DATA_LEN - AUTHTOKEN_MAC_LEN,
	    mac)) != 0)
		return r;

	memcpy(out, AUTHTOKEN_PREFIX, AUTHTOKEN_PREFIX_LEN);
	/* 60 bytes -> exactly 80 characters and a NUL, no padding. */
	if (EVP_EncodeBlock((unsigned char *)out + AUTHTOKEN_PREFIX_LEN, raw, sizeof(raw)) !=
	    AUTHTOKEN_B64_LEN)
		return ERR_CRYPTO;
	return 0;
}

bool
authtoken_is_token(const char *password)
{
	return strnlen(password, AUTHTOKEN_LEN + 1) == AUTHTOKEN_LEN &&
	    memcmp(password, AUTHTOKEN_PREFIX, AUTHTOKEN_PREFIX_LEN) == 0;
}

static bool
is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict shape check and decode of the token text into raw (60 bytes). */
static int
token_decode(const char *token, uint8_t raw[AUTHTOKEN_DATA_LEN])
{
	/* EVP_DecodeBlock writes 3 bytes per 4 characters: 60 for 80. */
	uint8_t tmp[AUTHTOKEN_B64_LEN / 4 * 3];
	const char *b64;
	size_t i;

	if (!authtoken_is_token(token))
		return ERR_AUTH;
	b64 = token + AUTHTOKEN_PREFIX_LEN;
	for (i = 0; i < AUTHTOKEN_B64_LEN; i++)
		if (!is_b64_char(b64[i]))
			return ERR_AUTH;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)b64, AUTHTOKEN_B64_LEN) !=
	    AUTHTOKEN_DATA_LEN)
		return ERR_AUTH;
	memcpy(raw, tmp, AUTHTOKEN_DATA_LEN);
	return 0;
}

int
authtoken_check(const struct authtoken_key *key, const char *token, const char *username,
    uint64_t now_wall, const struct authtoken_policy *pol, struct authtoken_info *info)
{
	uint8_t raw[AUTHTOKEN_DATA_LEN];
	uint8_t want[AUTHTOKEN_MAC_LEN], got[AUTHTOKEN_MAC_LEN];
	struct authtoken_info ti;
	struct buf b, body;
	size_t ulen;
	int r;

	ulen = strnlen(username, AUTHTOKEN_USER_MAX + 1);
	if (ulen > AUTHTOKEN_USER_MAX)
		return ERR_AUTH;
	if ((r = token_decode(token, raw)) != 0)
		return r;

	buf_init(&b, raw, sizeof(raw));
	if (buf_get_sub(&b, AUTHTOKEN_DATA_LEN - AUTHTOKEN_MAC_LEN, &body) != 0 ||
	    buf_get_bytes(&b, got, sizeof(got)) != 0 || !buf_empty(&b))
		return ERR_AUTH;
	if (token_mac(key, username, ulen, buf_cur(&body), buf_left(&body), want) != 0)
		return ERR_AUTH;
	if (CRYPTO_memcmp(want, got, sizeof(want)) != 0)
		return ERR_AUTH;

	/* Authentic: now the fields may be believed. */
	if (buf_get_bytes(&body, ti.session_id, sizeof(ti.session_id)) != 0 ||
	    buf_get_u64(&body, &ti.initial) != 0 ||
	    buf_get_u64(&body, &ti.issued) != 0 || !buf_empty(&body))
		return ERR_AUTH;
	if (info != NULL)
		*info = ti;

	if (ti.issued < ti.initial)
		return ERR_TIMEOUT;
	/* age >= 2 * renewal, written so that a large renewal cannot wrap */
	if (pol->renewal != 0 &&
	    (now_wall < ti.issued || (now_wall - ti.issued) / 2 >= pol->renewal))
		return ERR_TIMEOUT;
	if (pol->lifetime != 0 &&
	    (now_wall < ti.initial || now_wall - ti.initial > pol->lifetime))
		return ERR_TIMEOUT;
	return 0;
}

bool
authtoken_session_eq(const struct authtoken_info *a, const struct authtoken_info *b)
{
	return CRYPTO_memcmp(a->session_id, b->session_id, AUTHTOKEN_SESSID_LEN) == 0;
}

int
authtoken_session_id_str(const struct authtoken_info *info, char *out, size_t cap)
{
	if (cap < AUTHTOKEN_SESSID_STRSZ)
		return ERR_OVERFLOW;
	EVP_EncodeBlock((unsigned char *)out, info->session_id, AUTHTOKEN_SESSID_LEN);
	return 0;
}
