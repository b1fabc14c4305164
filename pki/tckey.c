/*
 * tckey.c - fresh tls-crypt / tls-crypt-v2 keys (doc §5.1, §5.5).
 *
 * Randomness is OpenSSL's RAND_bytes (the same source 2.6 uses for
 * --genkey).  The formats and the WKc construction are not reimplemented
 * here: keyfile.c writes the text and tlswrap_v2_make_wkc() wraps Kc, both
 * already checked against files made by the real `openvpn --genkey`.
 * base64 metadata is decoded strictly: the alphabet, '=' only at the end,
 * a length that is a multiple of 4 (as `base64 -w0` prints).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "err.h"
#include "keyfile.h"
#include "tckey.h"

int
tckey_static_new(struct wbuf *out)
{
	struct keyfile_static k;
	int r = ERR_CRYPTO;

	if (RAND_bytes(k.key, sizeof(k.key)) == 1)
		r = keyfile_write_static(&k, out);
	keyfile_wipe(&k, sizeof(k));
	return r;
}

int
tckey_v2_server_new(struct wbuf *out)
{
	struct keyfile_v2_server k;
	int r = ERR_CRYPTO;

	if (RAND_bytes(k.key, sizeof(k.key)) == 1)
		r = keyfile_write_v2_server(&k, out);
	keyfile_wipe(&k, sizeof(k));
	return r;
}

int
tckey_v2_client_new(const char *server_text, size_t server_len, const uint8_t *meta,
		    size_t meta_len, struct wbuf *out)
{
	struct keyfile_v2_server sk;
	struct keyfile_v2_client ck;
	struct wbuf w;
	int r;

	memset(&ck, 0, sizeof(ck));
	if (meta_len > TLSWRAP_META_MAX)
		return ERR_RANGE;
	if ((r = keyfile_parse_v2_server(server_text, server_len, &sk)) != 0)
		goto out;
	if (RAND_bytes(ck.kc, sizeof(ck.kc)) != 1) {
		r = ERR_CRYPTO;
		goto out;
	}
	wbuf_init(&w, ck.wkc, sizeof(ck.wkc));
	if ((r = tlswrap_v2_make_wkc(&sk, ck.kc, meta, meta_len, &w)) != 0)
		goto out;
	ck.wkc_len = w.len;
	r = keyfile_write_v2_client(&ck, out);
out:
	keyfile_wipe(&sk, sizeof(sk));
	keyfile_wipe(&ck, sizeof(ck));
	return r;
}

void
tckey_meta_timestamp(int64_t now, uint8_t meta[TCKEY_META_TIMESTAMP_LEN])
{
	uint64_t t = (uint64_t)now;

	meta[0] = TLSWRAP_META_TIMESTAMP;
	be_put_u32(meta + 1, (uint32_t)(t >> 32));
	be_put_u32(meta + 5, (uint32_t)t);
}

static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

int
tckey_meta_user(const char *b64, uint8_t *meta, size_t cap, size_t *len)
{
	uint8_t tmp[TLSWRAP_META_MAX + 3];
	size_t n = strlen(b64), pad = 0, i;

	if (n % 4 != 0)
		return ERR_MALFORMED;
	while (pad < 2 && pad < n && b64[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(b64[i]))
			return ERR_MALFORMED;
	/* 3 bytes per 4 characters, less the padding; the type byte comes first. */
	if (n / 4 * 3 - pad + 1 > TLSWRAP_META_MAX || n / 4 * 3 - pad + 1 > cap)
		return ERR_RANGE;
	if (n > 0 && EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n) < 0)
		return ERR_MALFORMED;
	meta[0] = TLSWRAP_META_USER;
	memcpy(meta + 1, tmp, n / 4 * 3 - pad);
	*len = n / 4 * 3 - pad + 1;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}
