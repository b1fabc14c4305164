/*
 * test_keyfile.c - OpenVPN key file formats (doc §5.1, §5.5).
 *
 * Vectors: the .key files in t/data/keys were written by the real `openvpn --genkey`
 * (2.6.14, see t/data/keys/README).  The expected bytes below were decoded
 * independently with python3 (binascii / base64), not with this parser.
 * A write of a parsed vector must reproduce the file byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "keyfile.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "t/data"
#endif

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof(path), "%s/keys/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void
unhex(const char *h, uint8_t *out)
{
	size_t i;
	unsigned v;

	for (i = 0; h[2 * i] != '\0'; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *q = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (q[i] != 0)
			return false;
	return true;
}

/* ---- static key ---- */

static void
test_static_vector(void **state)
{
	struct keyfile_static k;
	uint8_t first[16], last[16];
	char out[1024];
	struct wbuf w;
	size_t len;
	char *text = slurp("static.key", &len);

	(void)state;
	unhex("ca4a6d07579e0996c5d9893962873b80", first);
	unhex("e35ce631cb0d3032e554847de67695d3", last);
	assert_int_equal(keyfile_parse_static(text, len, &k), 0);
	assert_memory_equal(k.key, first, 16);
	assert_memory_equal(k.key + 240, last, 16);

	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(keyfile_write_static(&k, &w), 0);
	assert_int_equal(w.len, len);
	assert_memory_equal(out, text, len);
	keyfile_wipe(&k, sizeof(k));
	assert_true(all_zero(&k, sizeof(k)));
	free(text);
}

/* A key text of `nbytes` bytes (as hex, 16 per line) between the markers. */
static size_t
make_static(char *buf, size_t cap, size_t nbytes, const char *pre, const char *post)
{
	size_t n = 0, i;

	n += (size_t)snprintf(buf + n, cap - n, "%s-----BEGIN OpenVPN Static key V1-----\n", pre);
	for (i = 0; i < nbytes; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%02x%s", (unsigned)(i & 0xff),
				      i % 16 == 15 ? "\n" : "");
	n += (size_t)snprintf(buf + n, cap - n, "\n-----END OpenVPN Static key V1-----\n%s", post);
	assert_true(n < cap);
	return n;
}

static void
test_static_sizes(void **state)
{
	struct keyfile_static k;
	char buf[4096];
	size_t n;

	(void)state;
	n = make_static(buf, sizeof(buf), 256, "# comment\nrandom text\n", "trailing junk\n");
	assert_int_equal(keyfile_parse_static(buf, n, &k), 0);
	assert_int_equal(k.key[0], 0);
	assert_int_equal(k.key[255], 255);

	memset(&k, 0xaa, sizeof(k));
	n = make_static(buf, sizeof(buf), 255, "", "");
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	assert_true(all_zero(&k, sizeof(k)));   /* failure wipes the output */
	n = make_static(buf, sizeof(buf), 257, "", "");
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	n = make_static(buf, sizeof(buf), 0, "", "");
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	n = make_static(buf, sizeof(buf), 512, "", "");
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
}

static void
test_static_whitespace(void **state)
{
	struct keyfile_static k, ref;
	char buf[4096], one[4096];
	size_t n, i, j = 0;
	const char *body;

	(void)state;
	n = make_static(buf, sizeof(buf), 256, "", "");
	assert_int_equal(keyfile_parse_static(buf, n, &ref), 0);
	/* All hex on one line, CRLF line ends, tabs and spaces between digits. */
	body = strstr(buf, "-----\n") + 6;
	j += (size_t)snprintf(one, sizeof(one), "-----BEGIN OpenVPN Static key V1-----  \r\n");
	for (i = 0; body[i] != '-'; i++) {
		if (body[i] == '\n')
			continue;
		one[j++] = body[i];
		if (i % 7 == 0)
			one[j++] = i % 2 ? ' ' : '\t';
	}
	j += (size_t)snprintf(one + j, sizeof(one) - j, "\r\n-----END OpenVPN Static key V1-----\r\n");
	assert_int_equal(keyfile_parse_static(one, j, &k), 0);
	assert_memory_equal(k.key, ref.key, sizeof(k.key));
}

static void
test_static_hostile(void **state)
{
	struct keyfile_static k;
	char buf[4096], *big;
	size_t n, cut;
	char *p;

	(void)state;
	n = make_static(buf, sizeof(buf), 256, "", "");

	/* Truncated anywhere before the END line is complete: no END marker. */
	cut = (size_t)(strstr(buf, "-----END") - buf) + 20;
	for (; cut > 0; cut = cut > 37 ? cut - 37 : 0)
		assert_int_equal(keyfile_parse_static(buf, cut, &k), ERR_MALFORMED);
	assert_int_equal(keyfile_parse_static(buf, 0, &k), ERR_MALFORMED);
	assert_int_equal(keyfile_parse_static(NULL, 0, &k), ERR_INVAL);

	/* A non-hex character, an odd number of digits. */
	p = strchr(buf, '\n') + 5;
	*p = 'g';
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	*p = '#';
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	memmove(p, p + 1, n - (size_t)(p - buf));
	assert_int_equal(keyfile_parse_static(buf, n - 1, &k), ERR_MALFORMED);

	/* Markers must start a line; junk after BEGIN on its line is refused. */
	n = make_static(buf, sizeof(buf), 256, "x", "");
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	n = make_static(buf, sizeof(buf), 256, "", "");
	p = strchr(buf, '\n');
	*p = 'x';
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);
	/* Another block type is not a static key. */
	n = make_static(buf, sizeof(buf), 256, "", "");
	memcpy(strstr(buf, "Static"), "Statik", 6);
	assert_int_equal(keyfile_parse_static(buf, n, &k), ERR_MALFORMED);

	/* Huge input is refused before scanning, even if well formed. */
	big = malloc(KEYFILE_TEXT_MAX + 2);
	assert_non_null(big);
	memset(big, '#', KEYFILE_TEXT_MAX + 1);
	n = make_static(buf, sizeof(buf), 256, "", "");
	memcpy(big + KEYFILE_TEXT_MAX + 1 - n, buf, n);
	assert_int_equal(keyfile_parse_static(big, KEYFILE_TEXT_MAX + 1, &k), ERR_RANGE);
	big[KEYFILE_TEXT_MAX - n] = '\n';
	assert_int_equal(keyfile_parse_static(big + 1, KEYFILE_TEXT_MAX, &k), 0);
	free(big);
}

static void
test_static_write_overflow(void **state)
{
	struct keyfile_static k;
	char out[700];
	struct wbuf w;
	size_t cap;

	(void)state;
	memset(k.key, 0x5a, sizeof(k.key));
	for (cap = 0; cap < 636; cap += 50) {
		memset(out, 'Q', sizeof(out));
		wbuf_init(&w, out, cap);
		assert_int_equal(keyfile_write_static(&k, &w), ERR_OVERFLOW);
		assert_int_equal(w.len, 0);
		assert_true(w.overflow);
		/* What was written is wiped, not left behind. */
		assert_false(memchr(out, '5', cap) != NULL);
	}
	wbuf_init(&w, out, 636);
	assert_int_equal(keyfile_write_static(&k, &w), 0);
	assert_int_equal(w.len, 636);
}

/* ---- tls-crypt-v2 ---- */

static void
test_v2_server_vector(void **state)
{
	struct keyfile_v2_server k;
	uint8_t first[8], last[8];
	char out[1024];
	struct wbuf w;
	size_t len;
	char *text = slurp("tc2-server.key", &len);

	(void)state;
	unhex("0315b15501967093", first);
	unhex("03416bbe1d72d7f6", last);
	assert_int_equal(keyfile_parse_v2_server(text, len, &k), 0);
	assert_memory_equal(k.key, first, 8);
	assert_memory_equal(k.key + 120, last, 8);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(keyfile_write_v2_server(&k, &w), 0);
	assert_int_equal(w.len, len);
	assert_memory_equal(out, text, len);
	/* A server key is not a client key and not a static key. */
	assert_int_equal(keyfile_parse_v2_client(text, len, &(struct keyfile_v2_client){ 0 }),
			 ERR_MALFORMED);
	assert_int_equal(keyfile_parse_static(text, len, &(struct keyfile_static){ 0 }), ERR_MALFORMED);
	free(text);
}

static void
check_client_vector(const char *name, size_t wkc_len, const char *kc0, const char *kc_end,
		    const char *wkc0, const char *wkc_end)
{
	struct keyfile_v2_client k;
	uint8_t e[8];
	char out[2048];
	struct wbuf w;
	size_t len;
	char *text = slurp(name, &len);

	assert_int_equal(keyfile_parse_v2_client(text, len, &k), 0);
	assert_int_equal(k.wkc_len, wkc_len);
	unhex(kc0, e);
	assert_memory_equal(k.kc, e, 8);
	unhex(kc_end, e);
	assert_memory_equal(k.kc + 248, e, 8);
	unhex(wkc0, e);
	assert_memory_equal(k.wkc, e, 8);
	unhex(wkc_end, e);
	assert_memory_equal(k.wkc + wkc_len - 8, e, 8);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(keyfile_write_v2_client(&k, &w), 0);
	assert_int_equal(w.len, len);
	assert_memory_equal(out, text, len);
	assert_int_equal(keyfile_parse_v2_server(text, len, &(struct keyfile_v2_server){ 0 }),
			 ERR_MALFORMED);
	keyfile_wipe(&k, sizeof(k));
	free(text);
}

static void
test_v2_client_vectors(void **state)
{
	(void)state;
	/* Default metadata: 9 bytes (type 0x01 + u64 time) -> WKc 299 (doc §5.5). */
	check_client_vector("tc2-client.key", 299, "8aca30186ce71885", "2425dcb8e1063d2c",
			    "9d5ed4cb5b27e867", "c79b21398974012b");
	/* User metadata: type 0x00 + 27 bytes -> WKc 318. */
	check_client_vector("tc2-client-meta.key", 318, "3c08533b20497566", "1f7d1c600d781674",
			    "d9e157093e04e81f", "bff3617c1770013e");
}

/* PEM text for `n` bytes of value i & 0xff under `label`, via the writer. */
static size_t
make_server_pem(char *buf, size_t cap)
{
	struct keyfile_v2_server k;
	struct wbuf w;
	size_t i;

	for (i = 0; i < sizeof(k.key); i++)
		k.key[i] = (uint8_t)(i * 7);
	wbuf_init(&w, buf, cap);
	assert_int_equal(keyfile_write_v2_server(&k, &w), 0);
	assert_true(w.len < cap);
	buf[w.len] = '\0';
	return w.len;
}

static void
test_v2_hostile(void **state)
{
	struct keyfile_v2_server k;
	struct keyfile_v2_client c;
	char buf[2048], tmp[2048];
	size_t n;
	char *p, *body;

	(void)state;
	n = make_server_pem(buf, sizeof(buf));
	assert_int_equal(keyfile_parse_v2_server(buf, n, &k), 0);
	assert_int_equal(k.key[3], 21);
	body = strchr(buf, '\n') + 1;

	/* Bad base64 characters in the body. */
	memcpy(tmp, buf, n + 1);
	tmp[body - buf + 10] = '*';
	assert_int_equal(keyfile_parse_v2_server(tmp, n, &k), ERR_MALFORMED);
	memcpy(tmp, buf, n + 1);
	tmp[body - buf + 10] = '-';
	assert_int_equal(keyfile_parse_v2_server(tmp, n, &k), ERR_MALFORMED);
	/* '=' in the middle. */
	memcpy(tmp, buf, n + 1);
	tmp[body - buf + 4] = '=';
	assert_int_equal(keyfile_parse_v2_server(tmp, n, &k), ERR_MALFORMED);
	/* One character removed: not a multiple of 4. */
	memcpy(tmp, buf, n + 1);
	memmove(tmp + (body - buf) + 3, tmp + (body - buf) + 4, n - (size_t)(body - buf) - 3);
	assert_int_equal(keyfile_parse_v2_server(tmp, n - 1, &k), ERR_MALFORMED);
	/* Four characters removed: 3 bytes short. */
	memcpy(tmp, buf, n + 1);
	memmove(tmp + (body - buf), tmp + (body - buf) + 4, n - (size_t)(body - buf) - 3);
	assert_int_equal(keyfile_parse_v2_server(tmp, n - 4, &k), ERR_MALFORMED);
	/* Four characters added: 3 bytes too many. */
	n = (size_t)snprintf(tmp, sizeof(tmp), "%.*sAAAA%s", (int)(body - buf), buf, body);
	assert_int_equal(keyfile_parse_v2_server(tmp, n, &k), ERR_MALFORMED);
	/* Missing END, and every truncation. */
	n = make_server_pem(buf, sizeof(buf));
	for (p = buf + n - 2; p > buf; p -= 5)
		assert_int_equal(keyfile_parse_v2_server(buf, (size_t)(p - buf), &k), ERR_MALFORMED);
	/* Empty body. */
	n = (size_t)snprintf(tmp, sizeof(tmp), "-----BEGIN OpenVPN tls-crypt-v2 server key-----\n"
						"-----END OpenVPN tls-crypt-v2 server key-----\n");
	assert_int_equal(keyfile_parse_v2_server(tmp, n, &k), ERR_MALFORMED);
	/* Body far longer than any key (must not overrun the decode buffer). */
	n = (size_t)snprintf(tmp, sizeof(tmp), "-----BEGIN OpenVPN tls-crypt-v2 client key-----\n");
	memset(tmp + n, 'A', 1900);
	n += 1900;
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "\n-----END OpenVPN tls-crypt-v2 client key-----\n");
	assert_int_equal(keyfile_parse_v2_client(tmp, n, &c), ERR_MALFORMED);
}

/* A client key text from kc and a WKc of wlen bytes whose length field says `claim`. */
static size_t
make_client(char *buf, size_t cap, size_t wlen, size_t claim)
{
	struct keyfile_v2_client k;
	struct wbuf w;
	int r;

	memset(&k, 0x11, sizeof(k));
	k.wkc_len = wlen;
	k.wkc[wlen - 2] = (uint8_t)(claim >> 8);
	k.wkc[wlen - 1] = (uint8_t)claim;
	wbuf_init(&w, buf, cap);
	r = keyfile_write_v2_client(&k, &w);
	assert_int_equal(r, 0);
	return w.len;
}

static void
test_v2_client_lengths(void **state)
{
	struct keyfile_v2_client k;
	char buf[4096];
	struct wbuf w;
	size_t n;

	(void)state;
	n = make_client(buf, sizeof(buf), KEYFILE_WKC_MIN, KEYFILE_WKC_MIN);
	assert_int_equal(keyfile_parse_v2_client(buf, n, &k), 0);
	n = make_client(buf, sizeof(buf), KEYFILE_WKC_MAX, KEYFILE_WKC_MAX);
	assert_int_equal(keyfile_parse_v2_client(buf, n, &k), 0);
	assert_int_equal(k.wkc_len, KEYFILE_WKC_MAX);
	/* WKc whose own length field disagrees with its size. */
	n = make_client(buf, sizeof(buf), 299, 298);
	memset(&k, 0xaa, sizeof(k));
	assert_int_equal(keyfile_parse_v2_client(buf, n, &k), ERR_MALFORMED);
	assert_true(all_zero(&k, sizeof(k)));
	n = make_client(buf, sizeof(buf), 299, 300);
	assert_int_equal(keyfile_parse_v2_client(buf, n, &k), ERR_MALFORMED);
	/* Writer refuses out-of-range WKc lengths. */
	memset(&k, 0, sizeof(k));
	k.wkc_len = KEYFILE_WKC_MIN - 1;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(keyfile_write_v2_client(&k, &w), ERR_MALFORMED);
	k.wkc_len = KEYFILE_WKC_MAX + 1;
	assert_int_equal(keyfile_write_v2_client(&k, &w), ERR_MALFORMED);
	assert_int_equal(w.len, 0);
	/* Writer overflow leaves the buffer as it was. */
	k.wkc_len = 299;
	k.wkc[297] = 1;
	k.wkc[298] = 43;
	wbuf_init(&w, buf, 700);
	assert_int_equal(keyfile_write_v2_client(&k, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_vector),
		cmocka_unit_test(test_static_sizes),
		cmocka_unit_test(test_static_whitespace),
		cmocka_unit_test(test_static_hostile),
		cmocka_unit_test(test_static_write_overflow),
		cmocka_unit_test(test_v2_server_vector),
		cmocka_unit_test(test_v2_client_vectors),
		cmocka_unit_test(test_v2_hostile),
		cmocka_unit_test(test_v2_client_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
