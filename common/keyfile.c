/*
 * keyfile.c - OpenVPN pre-shared key files (doc §5.1, §5.5).
 *
 * Both formats are one block between a BEGIN and an END line.  find_block()
 * locates that block (markers must start a line; text before and after is
 * ignored, as 2.6 does with its "#" header), then the body decoder is strict:
 * hex digits or base64 characters and whitespace only, exact size.  Decoding
 * goes into stack buffers that are wiped on every path, so no copy of a key
 * outlives the call except in the caller's struct.
 *
 * base64 is OpenSSL's (EVP_DecodeBlock / EVP_EncodeBlock).  EVP_DecodeBlock
 * wants one unbroken run of characters whose length is a multiple of 4 and
 * counts '=' padding as zero bytes, so we strip whitespace first, check the
 * alphabet ourselves (so that '=' can only end the text), and subtract the
 * padding from its result.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "keyfile.h"

#define STATIC_LABEL "OpenVPN Static key V1"
#define V2_SERVER_LABEL "OpenVPN tls-crypt-v2 server key"
#define V2_CLIENT_LABEL "OpenVPN tls-crypt-v2 client key"
#define STATIC_HEADER "#\n# 2048 bit OpenVPN static key\n#\n"

enum {
	MARKER_MAX = 80,
	/* Largest decoded key (client key) and its base64 size. */
	DECODED_MAX = KEYFILE_V2_KC_LEN + KEYFILE_WKC_MAX,
	B64_MAX = (DECODED_MAX + 2) / 3 * 4,
	PEM_COLUMNS = 64,
	HEX_PER_LINE = 16,
};

void
keyfile_wipe(void *k, size_t len)
{
	OPENSSL_cleanse(k, len);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "-----BEGIN label-----" (begin) or "-----END label-----"; 0 or ERR_INVAL. */
static int
marker(char *m, size_t cap, const char *kind, const char *label)
{
	size_t n = strlen(kind) + strlen(label) + 10;

	if (n >= cap)
		return ERR_INVAL;
	m[0] = '\0';
	strcat(m, "-----");
	strcat(m, kind);
	strcat(m, label);
	strcat(m, "-----");
	return 0;
}

/*
 * Find `m` at the start of a line in text[from..len).  Returns the offset
 * of the match, or len if there is none.
 */
static size_t
find_line(const char *text, size_t len, size_t from, const char *m)
{
	size_t mlen = strlen(m);
	const char *hit;

	while (from < len) {
		hit = memmem(text + from, len - from, m, mlen);
		if (hit == NULL)
			return len;
		if (hit == text || hit[-1] == '\n')
			return (size_t)(hit - text);
		from = (size_t)(hit - text) + 1;
	}
	return len;
}

/*
 * The body between "-----BEGIN label-----" and "-----END label-----".
 * Only whitespace may follow the BEGIN marker on its line.
 */
static int
find_block(const char *text, size_t len, const char *label, size_t *body, size_t *body_len)
{
	char begin[MARKER_MAX], end[MARKER_MAX];
	size_t b, e, i;

	if (len > KEYFILE_TEXT_MAX)
		return ERR_RANGE;
	if (text == NULL || marker(begin, sizeof(begin), "BEGIN ", label) != 0 ||
	    marker(end, sizeof(end), "END ", label) != 0)
		return ERR_INVAL;
	b = find_line(text, len, 0, begin);
	if (b == len)
		return ERR_MALFORMED;
	i = b + strlen(begin);
	while (i < len && text[i] != '\n') {
		if (!is_space(text[i]))
			return ERR_MALFORMED;
		i++;
	}
	e = find_line(text, len, i, end);
	if (e == len)
		return ERR_MALFORMED;
	*body = i;
	*body_len = e - i;
	return 0;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly `want` bytes of hex with any whitespace between digits. */
static int
decode_hex(const char *s, size_t n, uint8_t *out, size_t want)
{
	size_t i, digits = 0;
	int v, hi = 0;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]))
			continue;
		if ((v = hex_val(s[i])) < 0 || digits / 2 >= want)
			return ERR_MALFORMED;
		if (digits % 2 == 0)
			hi = v;
		else
			out[digits / 2] = (uint8_t)(hi << 4 | v);
		digits++;
	}
	return digits == 2 * want ? 0 : ERR_MALFORMED;
}

static bool
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Decode base64 with whitespace anywhere, into out (cap bytes); *out_len is
 * the true length.  ERR_MALFORMED for a bad character, '=' other than one
 * or two at the very end, a length that is not a multiple of 4, or more
 * than cap bytes.
 */
static int
decode_b64(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	char packed[B64_MAX + 1];
	uint8_t tmp[B64_MAX / 4 * 3];
	size_t i, k = 0, pad = 0;
	int r = ERR_MALFORMED, got;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
		} else if (!is_b64(s[i]) || pad > 0) {
			goto out;
		}
		if (k >= B64_MAX)
			goto out;
		packed[k++] = s[i];
	}
	if (k == 0 || k % 4 != 0 || pad > 2)
		goto out;
	packed[k] = '\0';
	got = EVP_DecodeBlock(tmp, (const unsigned char *)packed, (int)k);
	if (got < 0 || (size_t)got != k / 4 * 3 || (size_t)got - pad > cap)
		goto out;
	*out_len = (size_t)got - pad;
	memcpy(out, tmp, *out_len);
	r = 0;
out:
	OPENSSL_cleanse(packed, sizeof(packed));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return r;
}

int
keyfile_parse_static(const char *text, size_t len, struct keyfile_static *out)
{
	size_t body, blen;
	int r;

	if ((r = find_block(text, len, STATIC_LABEL, &body, &blen)) != 0)
		goto out;
	r = decode_hex(text + body, blen, out->key, sizeof(out->key));
out:
	if (r != 0)
		keyfile_wipe(out, sizeof(*out));
	return r;
}

/* Decode the base64 block `label` into buf (cap bytes). */
static int
parse_pem(const char *text, size_t len, const char *label, uint8_t *buf, size_t cap, size_t *n)
{
	size_t body, blen;
	int r;

	if ((r = find_block(text, len, label, &body, &blen)) != 0)
		return r;
	return decode_b64(text + body, blen, buf, cap, n);
}

int
keyfile_parse_v2_server(const char *text, size_t len, struct keyfile_v2_server *out)
{
	uint8_t buf[DECODED_MAX];
	size_t n = 0;
	int r;

	if ((r = parse_pem(text, len, V2_SERVER_LABEL, buf, sizeof(buf), &n)) != 0)
		goto out;
	if (n != sizeof(out->key)) {
		r = ERR_MALFORMED;
		goto out;
	}
	memcpy(out->key, buf, n);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0)
		keyfile_wipe(out, sizeof(*out));
	return r;
}

int
keyfile_parse_v2_client(const char *text, size_t len, struct keyfile_v2_client *out)
{
	uint8_t buf[DECODED_MAX];
	size_t n = 0, wlen;
	int r;

	if ((r = parse_pem(text, len, V2_CLIENT_LABEL, buf, sizeof(buf), &n)) != 0)
		goto out;
	r = ERR_MALFORMED;
	if (n < KEYFILE_V2_KC_LEN + KEYFILE_WKC_MIN)
		goto out;
	wlen = n - KEYFILE_V2_KC_LEN;
	/* WKc's trailing length must describe WKc itself (doc §5.5). */
	if (wlen > KEYFILE_WKC_MAX || ((size_t)buf[n - 2] << 8 | buf[n - 1]) != wlen)
		goto out;
	memcpy(out->kc, buf, KEYFILE_V2_KC_LEN);
	memcpy(out->wkc, buf + KEYFILE_V2_KC_LEN, wlen);
	out->wkc_len = wlen;
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0)
		keyfile_wipe(out, sizeof(*out));
	return r;
}

static void
put_str(struct wbuf *w, const char *s)
{
	(void)wbuf_put_bytes(w, s, strlen(s));
}

/* After an overflow: wipe and drop what was written; the sticky flag stays set. */
static int
overflowed(struct wbuf *w, size_t old_len)
{
	if (w->len > old_len)
		OPENSSL_cleanse(w->p + old_len, w->len - old_len);
	wbuf_truncate(w, old_len);
	return ERR_OVERFLOW;
}

int
keyfile_write_static(const struct keyfile_static *k, struct wbuf *out)
{
	static const char digits[] = "0123456789abcdef";
	char line[HEX_PER_LINE * 2 + 1];
	size_t i, j, old = out->len;
	bool was = out->overflow;

	out->overflow = false;
	put_str(out, STATIC_HEADER "-----BEGIN " STATIC_LABEL "-----\n");
	for (i = 0; i < sizeof(k->key); i += HEX_PER_LINE) {
		for (j = 0; j < HEX_PER_LINE; j++) {
			line[2 * j] = digits[k->key[i + j] >> 4];
			line[2 * j + 1] = digits[k->key[i + j] & 0x0f];
		}
		line[HEX_PER_LINE * 2] = '\n';
		(void)wbuf_put_bytes(out, line, sizeof(line));
	}
	OPENSSL_cleanse(line, sizeof(line));
	put_str(out, "-----END " STATIC_LABEL "-----\n");
	if (out->overflow)
		return overflowed(out, old);
	out->overflow = was;
	return 0;
}

/* PEM as OpenSSL and 2.6 write it: 48 bytes (64 characters) per line. */
static int
write_pem(const char *label, const uint8_t *data, size_t n, struct wbuf *out)
{
	unsigned char line[PEM_COLUMNS + 2];
	size_t i, chunk, old = out->len;
	bool was = out->overflow;
	int got;

	out->overflow = false;
	put_str(out, "-----BEGIN ");
	put_str(out, label);
	put_str(out, "-----\n");
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < PEM_COLUMNS / 4 * 3 ? n - i : PEM_COLUMNS / 4 * 3;
		got = EVP_EncodeBlock(line, data + i, (int)chunk);
		line[got] = '\n';
		(void)wbuf_put_bytes(out, line, (size_t)got + 1);
	}
	OPENSSL_cleanse(line, sizeof(line));
	put_str(out, "-----END ");
	put_str(out, label);
	put_str(out, "-----\n");
	if (out->overflow)
		return overflowed(out, old);
	out->overflow = was;
	return 0;
}

int
keyfile_write_v2_server(const struct keyfile_v2_server *k, struct wbuf *out)
{
	return write_pem(V2_SERVER_LABEL, k->key, sizeof(k->key), out);
}

int
keyfile_write_v2_client(const struct keyfile_v2_client *k, struct wbuf *out)
{
	uint8_t buf[DECODED_MAX];
	int r;

	if (k->wkc_len < KEYFILE_WKC_MIN || k->wkc_len > KEYFILE_WKC_MAX)
		return ERR_MALFORMED;
	memcpy(buf, k->kc, KEYFILE_V2_KC_LEN);
	memcpy(buf + KEYFILE_V2_KC_LEN, k->wkc, k->wkc_len);
	r = write_pem(V2_CLIENT_LABEL, buf, KEYFILE_V2_KC_LEN + k->wkc_len, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}
