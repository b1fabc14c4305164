/*
 * keys.c - data-channel key derivation (doc §7.3, §7.4).
 *
 * The legacy method runs the TLS 1.0/1.1 PRF twice: pre_master -> 48-byte
 * master, then master -> 256-byte key2.  OpenSSL's "TLS1-PRF" KDF with the
 * MD5-SHA1 digest is exactly that PRF (P_MD5 over the first half of the
 * secret XOR P_SHA1 over the second, halves sharing the middle byte when the
 * secret length is odd), so we do not hand-roll HMAC chains.  The labels have
 * no trailing space and the session ids follow the randoms (doc §16.4).
 *
 * Invariants: every buffer that held secret material (seed buffers carry only
 * public randoms, but the master does not) is wiped before return, and on
 * failure the caller's output is zeroed, never left half-written.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "buf.h"
#include "err.h"
#include "keys.h"

enum {
	MASTER_LEN = 48,
	/* Longest seed we build: label + 2 randoms + 2 session ids. */
	SEED_MAX = sizeof(PRF_LABEL_EXPANSION) - 1 + 2 * KM2_RANDOM_LEN + 2 * SESSION_ID_LEN,
	WEAK_PREFIX_LEN = 16,	/* shortest cipher key (AES-128) */
};

int
keys_tls1_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
    uint8_t *out, size_t olen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int rc = ERR_CRYPTO;

	if (secret == NULL || slen == 0 || seed == NULL || seedlen == 0 || out == NULL || olen == 0)
		return ERR_INVAL;

	/* The casts drop const only because OSSL_PARAM is a generic struct; the
	 * KDF copies its inputs and never writes through them. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"MD5-SHA1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seedlen);
	params[3] = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL)) == NULL)
		goto out;
	if ((kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	if (EVP_KDF_derive(kctx, out, olen, params) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(out, olen);
	EVP_KDF_CTX_free(kctx);	/* clears its copy of the secret */
	EVP_KDF_free(kdf);
	return rc;
}

int
keys_legacy_key2(const struct keys_prf_input *in, uint8_t key2[KEY2_LEN])
{
	uint8_t master[MASTER_LEN];
	uint8_t seedmem[SEED_MAX];
	struct wbuf w;
	int rc;

	/* master = PRF(pre_master, "OpenVPN master secret" || c.random1 || s.random1) */
	wbuf_init(&w, seedmem, sizeof(seedmem));
	wbuf_put_bytes(&w, PRF_LABEL_MASTER, sizeof(PRF_LABEL_MASTER) - 1);
	wbuf_put_bytes(&w, in->client_random1, KM2_RANDOM_LEN);
	wbuf_put_bytes(&w, in->server_random1, KM2_RANDOM_LEN);
	if (w.overflow) {
		rc = ERR_OVERFLOW;
		goto out;
	}
	if ((rc = keys_tls1_prf(in->pre_master, KM2_PRE_MASTER_LEN, seedmem, w.len,
	    master, sizeof(master))) != 0)
		goto out;

	/* key2 = PRF(master, "OpenVPN key expansion" || c.random2 || s.random2 || csid || ssid) */
	wbuf_init(&w, seedmem, sizeof(seedmem));
	wbuf_put_bytes(&w, PRF_LABEL_EXPANSION, sizeof(PRF_LABEL_EXPANSION) - 1);
	wbuf_put_bytes(&w, in->client_random2, KM2_RANDOM_LEN);
	wbuf_put_bytes(&w, in->server_random2, KM2_RANDOM_LEN);
	wbuf_put_bytes(&w, in->client_sid, SESSION_ID_LEN);
	wbuf_put_bytes(&w, in->server_sid, SESSION_ID_LEN);
	if (w.overflow) {
		rc = ERR_OVERFLOW;
		goto out;
	}
	rc = keys_tls1_prf(master, sizeof(master), seedmem, w.len, key2, KEY2_LEN);
out:
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(seedmem, sizeof(seedmem));
	if (rc != 0)
		OPENSSL_cleanse(key2, KEY2_LEN);
	return rc;
}

void
keys_split(const uint8_t key2[KEY2_LEN], bool is_server, struct keys_dir *enc,
    struct keys_dir *dec)
{
	/* keys[0] (bytes 0..127) is client->server, keys[1] server->client. */
	struct keys_dir c2s = { key2, key2 + KEY2_PART_LEN };
	struct keys_dir s2c = { key2 + 2 * KEY2_PART_LEN, key2 + 3 * KEY2_PART_LEN };

	*enc = is_server ? s2c : c2s;
	*dec = is_server ? c2s : s2c;
}

/* OR of all bytes: zero iff all zero, with no early exit on key data. */
static uint8_t
or_bytes(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc;
}

int
keys_check(const uint8_t key2[KEY2_LEN])
{
	bool weak = false;
	size_t part;

	for (part = 0; part < KEY2_LEN / KEY2_PART_LEN; part++)
		weak |= or_bytes(key2 + part * KEY2_PART_LEN, KEY2_PART_LEN) == 0;
	weak |= or_bytes(key2, WEAK_PREFIX_LEN) == 0;
	weak |= or_bytes(key2 + 2 * KEY2_PART_LEN, WEAK_PREFIX_LEN) == 0;
	return weak ? ERR_CRYPTO : 0;
}
