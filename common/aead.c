/*
 * aead.c - AEAD seal/open for the data channel (doc §8.2), OpenSSL 3 EVP.
 *
 * Design: each struct aead_dir holds one EVP_CIPHER_CTX that is fetched,
 * keyed and told its direction once, in aead_dir_init().  A packet then only
 * re-initialises the nonce with EVP_CipherInit_ex2(ctx, NULL, NULL, iv, ...),
 * which keeps the key schedule, so the per-packet path does no allocation.
 *
 * Invariants:
 * - d->ctx != NULL iff the direction is usable; a failed init leaves the
 *   struct zeroed, so aead_dir_free() is always safe.
 * - The nonce is packet_id (u32 BE) || implicit_iv (8 bytes), 12 bytes, the
 *   default IV length of every algorithm in the table, so no IV-length ctrl
 *   is needed.  The caller guarantees a packet id is never reused with a key
 *   (dchan refuses to wrap), which is what keeps nonces unique.
 * - The tag is always AEAD_TAG_LEN (16) bytes.
 * - A failed open reports ERR_AUTH and nothing else; no log line here, the
 *   caller decides (and rate-limits) what to say about a forged packet.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aead.h"
#include "buf.h"
#include "err.h"

/* Adding a cipher: one enum value in aead.h and one line here. */
static const struct aead_info aead_table[] = {
	{ AEAD_AES_128_GCM, "AES-128-GCM", "AES-128-GCM", 16 },
	{ AEAD_AES_256_GCM, "AES-256-GCM", "AES-256-GCM", 32 },
	{ AEAD_CHACHA20_POLY1305, "CHACHA20-POLY1305", "ChaCha20-Poly1305", 32 },
};

#define AEAD_TABLE_LEN (sizeof(aead_table) / sizeof(aead_table[0]))

const struct aead_info *
aead_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < AEAD_TABLE_LEN; i++)
		if (strcasecmp(name, aead_table[i].name) == 0)
			return &aead_table[i];
	return NULL;
}

const struct aead_info *
aead_get(enum aead_alg alg)
{
	size_t i;

	for (i = 0; i < AEAD_TABLE_LEN; i++)
		if (aead_table[i].alg == alg)
			return &aead_table[i];
	return NULL;
}

int
aead_dir_init(struct aead_dir *d, const struct aead_info *info, const uint8_t *key,
    const uint8_t implicit_iv[AEAD_IMPLICIT_IV_LEN], bool encrypt)
{
	EVP_CIPHER *cipher = NULL;
	int rc = ERR_CRYPTO;

	memset(d, 0, sizeof(*d));
	if (info == NULL || key == NULL || implicit_iv == NULL || info->key_len > AEAD_KEY_MAX)
		return ERR_INVAL;

	cipher = EVP_CIPHER_fetch(NULL, info->ossl_name, NULL);
	if (cipher == NULL)
		goto out;
	/* The table must agree with OpenSSL about sizes, or the nonce layout breaks. */
	if ((size_t)EVP_CIPHER_get_key_length(cipher) != info->key_len ||
	    EVP_CIPHER_get_iv_length(cipher) != AEAD_NONCE_LEN)
		goto out;
	if ((d->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (EVP_CipherInit_ex2(d->ctx, cipher, key, NULL, encrypt ? 1 : 0, NULL) != 1)
		goto out;
	d->info = info;
	memcpy(d->implicit_iv, implicit_iv, AEAD_IMPLICIT_IV_LEN);
	d->encrypt = encrypt;
	rc = 0;
out:
	/* The context keeps its own reference to the cipher. */
	EVP_CIPHER_free(cipher);
	if (rc != 0)
		aead_dir_free(d);
	return rc;
}

void
aead_dir_free(struct aead_dir *d)
{
	/* EVP_CIPHER_CTX_free cleanses the key schedule. */
	EVP_CIPHER_CTX_free(d->ctx);
	OPENSSL_cleanse(d, sizeof(*d));   /* leaves it all-zero */
}

/* Load the per-packet nonce; key and direction stay as set at init. */
static int
set_nonce(struct aead_dir *d, uint32_t packet_id)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	int ok;

	be_put_u32(nonce, packet_id);
	memcpy(nonce + PACKET_ID_LEN, d->implicit_iv, AEAD_IMPLICIT_IV_LEN);
	ok = EVP_CipherInit_ex2(d->ctx, NULL, NULL, nonce, d->encrypt ? 1 : 0, NULL);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return ok == 1 ? 0 : ERR_CRYPTO;
}

static int
check_args(const struct aead_dir *d, bool want_encrypt, size_t aadlen, size_t n)
{
	if (d->ctx == NULL || d->encrypt != want_encrypt)
		return ERR_BADSTATE;
	/* EVP takes int lengths. */
	if (aadlen > INT_MAX || n > INT_MAX)
		return ERR_INVAL;
	return 0;
}

int
aead_seal(struct aead_dir *d, uint32_t packet_id, const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t n, uint8_t tag[AEAD_TAG_LEN], uint8_t *ct)
{
	int outl, rc;
	uint8_t dummy[1];

	if ((rc = check_args(d, true, aadlen, n)) != 0)
		return rc;
	if ((rc = set_nonce(d, packet_id)) != 0)
		return rc;
	if (aadlen > 0 && EVP_CipherUpdate(d->ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return ERR_CRYPTO;
	if (n > 0 && (EVP_CipherUpdate(d->ctx, ct, &outl, pt, (int)n) != 1 || (size_t)outl != n))
		return ERR_CRYPTO;
	/* Stream modes: Final writes nothing, but wants a valid pointer. */
	if (EVP_CipherFinal_ex(d->ctx, dummy, &outl) != 1 || outl != 0)
		return ERR_CRYPTO;
	if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag) != 1)
		return ERR_CRYPTO;
	return 0;
}

int
aead_open(struct aead_dir *d, uint32_t packet_id, const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t n, const uint8_t tag[AEAD_TAG_LEN], uint8_t *pt)
{
	uint8_t tagcopy[AEAD_TAG_LEN];
	uint8_t dummy[1];
	int outl, rc;

	if ((rc = check_args(d, false, aadlen, n)) != 0)
		return rc;
	if ((rc = set_nonce(d, packet_id)) != 0)
		return rc;
	/* The ctrl takes a non-const pointer; give it our own copy. */
	memcpy(tagcopy, tag, AEAD_TAG_LEN);
	if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tagcopy) != 1)
		return ERR_CRYPTO;
	if (aadlen > 0 && EVP_CipherUpdate(d->ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return ERR_CRYPTO;
	if (n > 0 && (EVP_CipherUpdate(d->ctx, pt, &outl, ct, (int)n) != 1 || (size_t)outl != n))
		return ERR_CRYPTO;
	/* Final is where the tag is compared (in constant time by OpenSSL). */
	if (EVP_CipherFinal_ex(d->ctx, dummy, &outl) != 1)
		return ERR_AUTH;
	return 0;
}
