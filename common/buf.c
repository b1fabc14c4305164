/*
 * buf.c - bounded reader and writer.
 *
 * Invariant for struct buf: off <= len, and bytes p[off..len) are readable.
 * Invariant for struct wbuf: len <= cap, and the overflow flag only ever goes
 * from false to true.  Every check is written as "n > left" on size_t values
 * so that no sum can wrap.
 */
#include <string.h>

#include "buf.h"
#include "err.h"

void
buf_init(struct buf *b, const void *data, size_t len)
{
	b->p = data;
	b->len = data != NULL ? len : 0;
	b->off = 0;
}

size_t
buf_left(const struct buf *b)
{
	return b->len - b->off;
}

bool
buf_empty(const struct buf *b)
{
	return b->off == b->len;
}

const uint8_t *
buf_cur(const struct buf *b)
{
	return b->p + b->off;
}

static int
take(struct buf *b, size_t n, const uint8_t **at)
{
	if (n > buf_left(b))
		return ERR_TRUNC;
	*at = b->p + b->off;
	b->off += n;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	const uint8_t *q;

	if (take(b, 1, &q) != 0)
		return ERR_TRUNC;
	*v = q[0];
	return 0;
}

int
buf_get_u16(struct buf *b, uint16_t *v)
{
	const uint8_t *q;

	if (take(b, 2, &q) != 0)
		return ERR_TRUNC;
	*v = (uint16_t)((q[0] << 8) | q[1]);
	return 0;
}

int
buf_get_u24(struct buf *b, uint32_t *v)
{
	const uint8_t *q;

	if (take(b, 3, &q) != 0)
		return ERR_TRUNC;
	*v = ((uint32_t)q[0] << 16) | ((uint32_t)q[1] << 8) | q[2];
	return 0;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	const uint8_t *q;

	if (take(b, 4, &q) != 0)
		return ERR_TRUNC;
	*v = be_get_u32(q);
	return 0;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	const uint8_t *q;

	if (take(b, 8, &q) != 0)
		return ERR_TRUNC;
	*v = ((uint64_t)be_get_u32(q) << 32) | be_get_u32(q + 4);
	return 0;
}

int
buf_get_bytes(struct buf *b, void *out, size_t n)
{
	const uint8_t *q;

	if (take(b, n, &q) != 0)
		return ERR_TRUNC;
	if (n > 0)
		memcpy(out, q, n);
	return 0;
}

int
buf_skip(struct buf *b, size_t n)
{
	const uint8_t *q;

	return take(b, n, &q);
}

int
buf_get_sub(struct buf *b, size_t n, struct buf *sub)
{
	const uint8_t *q;

	if (take(b, n, &q) != 0)
		return ERR_TRUNC;
	buf_init(sub, q, n);
	return 0;
}

void
buf_get_rest(struct buf *b, struct buf *sub)
{
	buf_init(sub, b->p + b->off, buf_left(b));
	b->off = b->len;
}

int
buf_get_tail(struct buf *b, size_t n, struct buf *sub)
{
	if (n > buf_left(b))
		return ERR_TRUNC;
	buf_init(sub, b->p + b->len - n, n);
	b->len -= n;
	return 0;
}

int
buf_peek_u8(const struct buf *b, size_t at, uint8_t *v)
{
	if (at >= buf_left(b))
		return ERR_TRUNC;
	*v = b->p[b->off + at];
	return 0;
}

int
buf_peek_tail_u16(const struct buf *b, size_t at_from_end, uint16_t *v)
{
	const uint8_t *q;

	if (at_from_end > buf_left(b) || buf_left(b) - at_from_end < 2)
		return ERR_TRUNC;
	q = b->p + b->len - at_from_end - 2;
	*v = (uint16_t)((q[0] << 8) | q[1]);
	return 0;
}

void
wbuf_init(struct wbuf *w, void *mem, size_t cap)
{
	w->p = mem;
	w->cap = mem != NULL ? cap : 0;
	w->len = 0;
	w->overflow = false;
}

size_t
wbuf_room(const struct wbuf *w)
{
	return w->cap - w->len;
}

uint8_t *
wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *q;

	if (n > wbuf_room(w)) {
		w->overflow = true;
		return NULL;
	}
	q = w->p + w->len;
	w->len += n;
	return q;
}

int
wbuf_put_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *q = wbuf_reserve(w, 1);

	if (q == NULL)
		return ERR_OVERFLOW;
	q[0] = v;
	return 0;
}

int
wbuf_put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *q = wbuf_reserve(w, 2);

	if (q == NULL)
		return ERR_OVERFLOW;
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
	return 0;
}

int
wbuf_put_u24(struct wbuf *w, uint32_t v)
{
	uint8_t *q = wbuf_reserve(w, 3);

	if (q == NULL)
		return ERR_OVERFLOW;
	q[0] = (uint8_t)(v >> 16);
	q[1] = (uint8_t)(v >> 8);
	q[2] = (uint8_t)v;
	return 0;
}

int
wbuf_put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *q = wbuf_reserve(w, 4);

	if (q == NULL)
		return ERR_OVERFLOW;
	be_put_u32(q, v);
	return 0;
}

int
wbuf_put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t *q = wbuf_reserve(w, 8);

	if (q == NULL)
		return ERR_OVERFLOW;
	be_put_u32(q, (uint32_t)(v >> 32));
	be_put_u32(q + 4, (uint32_t)v);
	return 0;
}

int
wbuf_put_bytes(struct wbuf *w, const void *data, size_t n)
{
	uint8_t *q = wbuf_reserve(w, n);

	if (q == NULL)
		return ERR_OVERFLOW;
	if (n > 0)
		memcpy(q, data, n);
	return 0;
}

uint8_t *
wbuf_at(struct wbuf *w, size_t off, size_t n)
{
	if (off > w->len || n > w->len - off)
		return NULL;
	return w->p + off;
}

void
wbuf_truncate(struct wbuf *w, size_t len)
{
	if (len < w->len)
		w->len = len;
}

void
be_put_u32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

uint32_t
be_get_u32(const uint8_t in[4])
{
	return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) |
	       ((uint32_t)in[2] << 8) | in[3];
}
