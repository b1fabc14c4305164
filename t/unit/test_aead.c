/*
 * test_aead.c - AEAD seal/open against published known-answer vectors, the
 * packet_id||implicit_iv nonce split, in-place operation, and tag failures.
 *
 * Vector origins:
 * - AES-128-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation
 *   (GCM)", revised spec, Test Cases 1, 2 and 4 (96-bit IV).
 * - AES-256-GCM: same document, Test Case 16 (96-bit IV).
 * - CHACHA20-POLY1305: RFC 8439 §2.8.2 (AEAD example).
 * All were also re-checked with python3's `cryptography` module.
 * The 12-byte IV of each vector is split as packet_id = IV[0..4) (BE) and
 * implicit_iv = IV[4..12).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aead.h"
#include "buf.h"
#include "err.h"

struct kat {
	const char *origin;
	enum aead_alg alg;
	const char *key, *iv, *aad, *pt, *ct, *tag;  /* hex */
};

static const struct kat kats[] = {
	{ "McGrew-Viega GCM TC1", AEAD_AES_128_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "McGrew-Viega GCM TC2", AEAD_AES_128_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "McGrew-Viega GCM TC4", AEAD_AES_128_GCM,
	  "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "McGrew-Viega GCM TC16", AEAD_AES_256_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	{ "RFC 8439 2.8.2", AEAD_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647",
	  "50515253c0c1c2c3c4c5c6c7",
	  /* "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it." */
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2, i;

	assert_true(strlen(s) % 2 == 0);
	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		char t[3] = { s[2 * i], s[2 * i + 1], 0 };
		out[i] = (uint8_t)strtoul(t, NULL, 16);
	}
	return n;
}

struct kat_bytes {
	const struct aead_info *info;
	uint8_t key[32], iv[12], aad[64], pt[128], ct[128], tag[16];
	size_t keylen, aadlen, n;
	uint32_t pid;
};

static void
load(const struct kat *k, struct kat_bytes *b)
{
	memset(b, 0, sizeof(*b));
	b->info = aead_get(k->alg);
	assert_non_null(b->info);
	b->keylen = unhex(k->key, b->key, sizeof(b->key));
	assert_int_equal(b->keylen, b->info->key_len);
	assert_int_equal(unhex(k->iv, b->iv, sizeof(b->iv)), 12);
	b->aadlen = unhex(k->aad, b->aad, sizeof(b->aad));
	b->n = unhex(k->pt, b->pt, sizeof(b->pt));
	assert_int_equal(unhex(k->ct, b->ct, sizeof(b->ct)), b->n);
	assert_int_equal(unhex(k->tag, b->tag, sizeof(b->tag)), 16);
	b->pid = be_get_u32(b->iv);
}

static void
test_lookup(void **state)
{
	const struct aead_info *a;

	a = aead_find("aes-256-gcm");
	assert_non_null(a);
	assert_int_equal(a->alg, AEAD_AES_256_GCM);
	assert_string_equal(a->name, "AES-256-GCM");
	assert_int_equal(a->key_len, 32);
	a = aead_find("AES-128-GCM");
	assert_non_null(a);
	assert_int_equal(a->key_len, 16);
	a = aead_find("ChaCha20-Poly1305");
	assert_non_null(a);
	assert_string_equal(a->name, "CHACHA20-POLY1305");
	assert_int_equal(a->key_len, 32);
	assert_ptr_equal(aead_get(AEAD_CHACHA20_POLY1305), a);
	assert_null(aead_find("AES-256-CBC"));
	assert_null(aead_find("AES-256-GCM "));
	assert_null(aead_find("AES-256-GC"));
	assert_null(aead_find(""));
	assert_null(aead_find(NULL));
	assert_null(aead_get((enum aead_alg)0));
	assert_null(aead_get((enum aead_alg)99));
}

static void
test_kat_seal_open(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		struct kat_bytes b;
		struct aead_dir enc, dec;
		uint8_t out[128], tag[16], back[128];

		print_message("vector %s\n", kats[i].origin);
		load(&kats[i], &b);
		assert_int_equal(aead_dir_init(&enc, b.info, b.key, b.iv + 4, true), 0);
		assert_int_equal(aead_dir_init(&dec, b.info, b.key, b.iv + 4, false), 0);

		memset(out, 0xee, sizeof(out));
		assert_int_equal(aead_seal(&enc, b.pid, b.aad, b.aadlen, b.pt, b.n, tag, out), 0);
		assert_memory_equal(out, b.ct, b.n);
		assert_memory_equal(tag, b.tag, 16);
		assert_int_equal(out[b.n], 0xee);   /* no padding written */

		memset(back, 0, sizeof(back));
		assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, b.ct, b.n, b.tag, back), 0);
		assert_memory_equal(back, b.pt, b.n);

		/* Again, to show the context is reusable per packet. */
		assert_int_equal(aead_seal(&enc, b.pid, b.aad, b.aadlen, b.pt, b.n, tag, out), 0);
		assert_memory_equal(tag, b.tag, 16);
		aead_dir_free(&enc);
		aead_dir_free(&dec);
	}
}

static void
test_in_place(void **state)
{
	struct kat_bytes b;
	struct aead_dir enc, dec;
	uint8_t io[128], tag[16];

	load(&kats[3], &b);
	assert_int_equal(aead_dir_init(&enc, b.info, b.key, b.iv + 4, true), 0);
	assert_int_equal(aead_dir_init(&dec, b.info, b.key, b.iv + 4, false), 0);
	memcpy(io, b.pt, b.n);
	assert_int_equal(aead_seal(&enc, b.pid, b.aad, b.aadlen, io, b.n, tag, io), 0);
	assert_memory_equal(io, b.ct, b.n);
	assert_memory_equal(tag, b.tag, 16);
	assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, io, b.n, tag, io), 0);
	assert_memory_equal(io, b.pt, b.n);
	aead_dir_free(&enc);
	aead_dir_free(&dec);
}

/* Flip one bit of ct, tag, aad or the packet id: open must fail with ERR_AUTH,
   and the context must still open the genuine packet afterwards. */
static void
test_tamper(void **state)
{
	size_t i;

	for (i = 2; i < sizeof(kats) / sizeof(kats[0]); i++) {
		struct kat_bytes b;
		struct aead_dir dec;
		uint8_t ct[128], tag[16], aad[64], out[128];
		size_t bit;

		load(&kats[i], &b);
		assert_true(b.n > 0 && b.aadlen > 0);
		assert_int_equal(aead_dir_init(&dec, b.info, b.key, b.iv + 4, false), 0);
		for (bit = 0; bit < 8 * b.n; bit += 13) {
			memcpy(ct, b.ct, b.n);
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, ct, b.n, b.tag, out),
			    ERR_AUTH);
		}
		for (bit = 0; bit < 128; bit++) {
			memcpy(tag, b.tag, 16);
			tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, b.ct, b.n, tag, out),
			    ERR_AUTH);
		}
		for (bit = 0; bit < 8 * b.aadlen; bit++) {
			memcpy(aad, b.aad, b.aadlen);
			aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(aead_open(&dec, b.pid, aad, b.aadlen, b.ct, b.n, b.tag, out),
			    ERR_AUTH);
		}
		/* Missing AAD and wrong nonce. */
		assert_int_equal(aead_open(&dec, b.pid, NULL, 0, b.ct, b.n, b.tag, out), ERR_AUTH);
		assert_int_equal(aead_open(&dec, b.pid ^ 1, b.aad, b.aadlen, b.ct, b.n, b.tag, out),
		    ERR_AUTH);
		/* Truncated ciphertext. */
		assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, b.ct, b.n - 1, b.tag, out),
		    ERR_AUTH);

		assert_int_equal(aead_open(&dec, b.pid, b.aad, b.aadlen, b.ct, b.n, b.tag, out), 0);
		assert_memory_equal(out, b.pt, b.n);
		aead_dir_free(&dec);
	}
}

/* A different implicit IV must give a different result: the IV is really used. */
static void
test_implicit_iv_matters(void **state)
{
	struct kat_bytes b;
	struct aead_dir enc;
	uint8_t iv[8], out[128], tag[16];

	load(&kats[3], &b);
	memcpy(iv, b.iv + 4, 8);
	iv[7] ^= 1;
	assert_int_equal(aead_dir_init(&enc, b.info, b.key, iv, true), 0);
	assert_int_equal(aead_seal(&enc, b.pid, b.aad, b.aadlen, b.pt, b.n, tag, out), 0);
	assert_memory_not_equal(tag, b.tag, 16);
	assert_memory_not_equal(out, b.ct, b.n);
	aead_dir_free(&enc);
}

static void
test_misuse(void **state)
{
	struct kat_bytes b;
	struct aead_dir z, enc, dec;
	uint8_t out[128], tag[16];

	memset(&z, 0, sizeof(z));
	aead_dir_free(&z);   /* safe on zeroed */
	aead_dir_free(&z);
	assert_int_equal(aead_seal(&z, 1, NULL, 0, out, 0, tag, out), ERR_BADSTATE);
	assert_int_equal(aead_open(&z, 1, NULL, 0, out, 0, tag, out), ERR_BADSTATE);

	load(&kats[2], &b);
	assert_int_equal(aead_dir_init(&enc, NULL, b.key, b.iv + 4, true), ERR_INVAL);
	assert_null(enc.ctx);
	assert_int_equal(aead_dir_init(&enc, b.info, b.key, b.iv + 4, true), 0);
	assert_int_equal(aead_dir_init(&dec, b.info, b.key, b.iv + 4, false), 0);
	/* Wrong direction is refused, not silently done. */
	assert_int_equal(aead_open(&enc, b.pid, b.aad, b.aadlen, b.ct, b.n, b.tag, out), ERR_BADSTATE);
	assert_int_equal(aead_seal(&dec, b.pid, b.aad, b.aadlen, b.pt, b.n, tag, out), ERR_BADSTATE);
	aead_dir_free(&enc);
	aead_dir_free(&dec);
	assert_null(enc.ctx);
	assert_null(enc.info);
	assert_int_equal(enc.implicit_iv[0] | enc.implicit_iv[7], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_kat_seal_open),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_implicit_iv_matters),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
