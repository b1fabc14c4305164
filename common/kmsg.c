/*
 * kmsg.c - key-method-2 message parse/build (doc §6.2, §16.2-3).
 *
 * Design: one pure parser over struct buf and one builder over struct wbuf.
 * The message has no overall length field; it is the first thing in the
 * decrypted TLS stream, so the parser reports how much it used (*consumed)
 * and ERR_TRUNC when the bytes so far end inside a field.
 *
 * Invariants and choices:
 * - Every string we accept is exactly "length bytes, the last one NUL, no
 *   other NUL", so what we store is the whole string: 2.6 merely overwrites
 *   the last byte with NUL, which would let "abc\0evil" read as "abc" here
 *   and as something else in a log or hook (P14).  We refuse it instead.
 * - Length 0 means "absent" and is distinct from a lone NUL (length 1,
 *   present and empty): doc §16.3.
 * - A length over the field's cap is refused as soon as the length is read,
 *   before its bytes arrive, so a peer cannot make us wait for 64 KiB.
 * - The optional tail follows 2.6: username and password come as a pair
 *   when anything follows options; peer_info when anything follows them.
 * - pre_master exists only in client messages (doc §6.2 asymmetry).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "kmsg.h"

/*
 * Read one u16+ string into dst (capacity cap bytes including the NUL).
 * *present says whether the length was non-zero.  On success dst holds a
 * NUL-terminated string ("" if absent).
 */
static int
get_string(struct buf *b, char *dst, size_t cap, bool *present)
{
	uint16_t len;
	struct buf s;

	if (buf_get_u16(b, &len) != 0)
		return ERR_TRUNC;
	dst[0] = '\0';
	*present = len > 0;
	if (len == 0)
		return 0;
	if (len > cap)
		return ERR_RANGE;
	if (buf_get_sub(b, len, &s) != 0)
		return ERR_TRUNC;
	if (buf_get_bytes(&s, dst, len) != 0)
		return ERR_TRUNC;
	/* Exactly one NUL, at the end. */
	if (dst[len - 1] != '\0' || memchr(dst, '\0', len - 1U) != NULL) {
		dst[0] = '\0';
		return ERR_MALFORMED;
	}
	return 0;
}

int
kmsg_parse(const uint8_t *p, size_t n, bool from_client, struct kmsg *out, size_t *consumed)
{
	struct buf b;
	uint8_t method;
	bool present;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&b, p, n);
	/* Literal zero; 2.6 skips it unchecked and so do we. */
	if (buf_skip(&b, 4) != 0 || buf_get_u8(&b, &method) != 0)
		return ERR_TRUNC;
	if ((method & KM2_METHOD_MASK) != KM2_METHOD)
		return ERR_MALFORMED;
	if (from_client) {
		if (buf_get_bytes(&b, out->pre_master, KM2_PRE_MASTER_LEN) != 0)
			return ERR_TRUNC;
		out->has_pre_master = true;
	}
	if (buf_get_bytes(&b, out->random1, KM2_RANDOM_LEN) != 0 ||
	    buf_get_bytes(&b, out->random2, KM2_RANDOM_LEN) != 0)
		return ERR_TRUNC;
	if ((rc = get_string(&b, out->options, KM2_OPTIONS_MAX, &present)) != 0)
		return rc;
	if (!present)
		return ERR_MALFORMED;   /* the options string is mandatory */

	/* Old peers stop after options; 2.6 always sends the rest. */
	if (!buf_empty(&b)) {
		if ((rc = get_string(&b, out->username, KM2_USERPASS_MAX, &out->has_username)) != 0)
			return rc;
		if ((rc = get_string(&b, out->password, KM2_USERPASS_MAX, &out->has_password)) != 0)
			return rc;
		if (!buf_empty(&b)) {
			if ((rc = get_string(&b, out->peer_info, KM2_PEER_INFO_MAX, &present)) != 0)
				return rc;
		}
	}
	*consumed = n - buf_left(&b);
	return 0;
}

/* Write a u16+ string; absent (present == false) is length 0 with no bytes. */
static int
put_string(struct wbuf *w, const char *s, size_t field, size_t cap, bool present)
{
	size_t len;

	if (!present)
		return wbuf_put_u16(w, 0);
	/* Bounded by the field, in case the caller left it unterminated. */
	len = strnlen(s, field);
	if (len == field || len + 1 > cap)
		return ERR_RANGE;
	wbuf_put_u16(w, (uint16_t)(len + 1));
	return wbuf_put_bytes(w, s, len + 1);
}

int
kmsg_build(struct wbuf *w, const struct kmsg *m, bool from_client)
{
	size_t start = w->len;
	int rc;

	wbuf_put_u32(w, 0);
	wbuf_put_u8(w, KM2_METHOD);
	if (from_client)
		wbuf_put_bytes(w, m->pre_master, KM2_PRE_MASTER_LEN);
	wbuf_put_bytes(w, m->random1, KM2_RANDOM_LEN);
	wbuf_put_bytes(w, m->random2, KM2_RANDOM_LEN);
	if ((rc = put_string(w, m->options, sizeof(m->options), KM2_OPTIONS_MAX, true)) == ERR_RANGE)
		goto out;
	if ((rc = put_string(w, m->username, sizeof(m->username), KM2_USERPASS_MAX,
	    m->has_username)) == ERR_RANGE)
		goto out;
	if ((rc = put_string(w, m->password, sizeof(m->password), KM2_USERPASS_MAX,
	    m->has_password)) == ERR_RANGE)
		goto out;
	/* 2.6 servers send an empty peer-info as length 0. */
	if ((rc = put_string(w, m->peer_info, sizeof(m->peer_info), KM2_PEER_INFO_MAX,
	    m->peer_info[0] != '\0')) == ERR_RANGE)
		goto out;
	rc = w->overflow ? ERR_OVERFLOW : 0;
out:
	/* Never leave half a message behind (it holds secrets). */
	if (rc != 0 && start <= w->len) {
		if (w->len > start)
			OPENSSL_cleanse(wbuf_at(w, start, w->len - start), w->len - start);
		wbuf_truncate(w, start);
	}
	return rc;
}

void
kmsg_wipe(struct kmsg *m)
{
	OPENSSL_cleanse(m, sizeof(*m));
}
