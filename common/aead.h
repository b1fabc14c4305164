/*
 * aead.h - the data channel's AEAD primitives (doc §8.2), on OpenSSL 3 EVP.
 *
 * One struct aead_dir per key and direction.  Its EVP context is created and
 * keyed once in aead_dir_init(); per packet only the nonce is set, so sealing
 * and opening never allocate.  The nonce is the 4-byte packet id (big-endian,
 * as on the wire) followed by the 8-byte implicit IV of that direction.
 *
 * Supported algorithms are one table in aead.c; adding a cipher is one entry
 * there plus one enum value here.  The tag is always AEAD_TAG_LEN bytes.
 *
 * An aead_dir owns its EVP context; aead_dir_free() releases it and wipes the
 * implicit IV.  A zeroed struct aead_dir is a valid "empty" value.
 */
#ifndef OVPN_AEAD_H
#define OVPN_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "proto.h"

enum aead_alg {
	AEAD_AES_128_GCM = 1,
	AEAD_AES_256_GCM,
	AEAD_CHACHA20_POLY1305,
};

/* Longest key of any supported algorithm. */
enum { AEAD_KEY_MAX = 32 };

struct aead_info {
	enum aead_alg alg;
	const char *name;       /* canonical OpenVPN name, "AES-256-GCM" */
	const char *ossl_name;  /* name for EVP_CIPHER_fetch() */
	size_t key_len;
};

/* Look up by OpenVPN cipher name, case-insensitive; NULL if unknown. */
const struct aead_info *aead_find(const char *name);
/* Look up by enum; NULL if not a supported value. */
const struct aead_info *aead_get(enum aead_alg alg);

struct aead_dir {
	EVP_CIPHER_CTX *ctx;
	const struct aead_info *info;
	uint8_t implicit_iv[AEAD_IMPLICIT_IV_LEN];
	bool encrypt;
};

/*
 * Create the context for one direction and load `key` (info->key_len bytes).
 * Returns 0, ERR_INVAL (NULL info) or ERR_CRYPTO (OpenSSL refused, e.g. the
 * cipher is unavailable); on failure *d is left zeroed.  The key is not kept
 * outside the OpenSSL context, which wipes it when freed.
 */
int aead_dir_init(struct aead_dir *d, const struct aead_info *info, const uint8_t *key,
    const uint8_t implicit_iv[AEAD_IMPLICIT_IV_LEN], bool encrypt);
/* Free the context and wipe the IV.  Safe on a zeroed struct; leaves it zeroed. */
void aead_dir_free(struct aead_dir *d);

/*
 * nonce = packet_id (4 bytes BE) || implicit_iv (8) (doc §8.2).
 * aead_seal: encrypt n bytes of pt into ct and write the tag.  ct and pt may
 * be the same pointer (in place) but must not otherwise overlap.  aad may be
 * NULL when aadlen is 0.  Returns 0, ERR_BADSTATE (not an encrypt direction) or
 * ERR_CRYPTO.
 * aead_open: decrypt and verify.  Returns 0, ERR_AUTH when the tag does not
 * verify (pt then holds unauthenticated bytes the caller must discard),
 * ERR_BADSTATE (not a decrypt direction) or ERR_CRYPTO.
 */
int aead_seal(struct aead_dir *d, uint32_t packet_id, const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t n, uint8_t tag[AEAD_TAG_LEN], uint8_t *ct);
int aead_open(struct aead_dir *d, uint32_t packet_id, const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t n, const uint8_t tag[AEAD_TAG_LEN], uint8_t *pt);

#endif
