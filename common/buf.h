/*
 * buf.h - the bounded reader and writer that every wire parser uses.
 *
 * struct buf is a read-only view: a pointer, a length and a read offset.
 * Every get either consumes exactly what it asked for and fills its output,
 * or fails with ERR_TRUNC and leaves both the view and the output untouched.
 * buf_get_sub() carves a nested field into its own view, so a length field
 * can never let a parser read past its parent.  Lengths are size_t; nothing
 * outside buf.c does pointer arithmetic on packet memory.
 *
 * struct wbuf is a bounded writer over caller memory.  Puts either write
 * everything or fail with ERR_OVERFLOW; a failure also sets the sticky
 * `overflow` flag, so a builder may issue many puts and check once.
 *
 * Neither type owns its memory.
 */
#ifndef OVPN_BUF_H
#define OVPN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	const uint8_t *p;
	size_t len;
	size_t off;
};

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
};

/* ---- reader ---- */
void buf_init(struct buf *b, const void *data, size_t len);
size_t buf_left(const struct buf *b);
bool buf_empty(const struct buf *b);
/* Pointer to the unread bytes (buf_left() of them); for handing to crypto. */
const uint8_t *buf_cur(const struct buf *b);

int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u16(struct buf *b, uint16_t *v);   /* big-endian */
int buf_get_u24(struct buf *b, uint32_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_get_bytes(struct buf *b, void *out, size_t n);
int buf_skip(struct buf *b, size_t n);
/* The next n bytes as their own view; consumes them from b. */
int buf_get_sub(struct buf *b, size_t n, struct buf *sub);
/* The rest of b as a view; consumes it. Never fails. */
void buf_get_rest(struct buf *b, struct buf *sub);
/* Cut the last n unread bytes off b into sub (trailers such as the WKc). */
int buf_get_tail(struct buf *b, size_t n, struct buf *sub);
/* Read without consuming: byte at `at` bytes past the read offset. */
int buf_peek_u8(const struct buf *b, size_t at, uint8_t *v);
/* Read a u16 at `at` bytes from the end of the unread bytes, without consuming. */
int buf_peek_tail_u16(const struct buf *b, size_t at_from_end, uint16_t *v);

/* ---- writer ---- */
void wbuf_init(struct wbuf *w, void *mem, size_t cap);
size_t wbuf_room(const struct wbuf *w);
int wbuf_put_u8(struct wbuf *w, uint8_t v);
int wbuf_put_u16(struct wbuf *w, uint16_t v);
int wbuf_put_u24(struct wbuf *w, uint32_t v);
int wbuf_put_u32(struct wbuf *w, uint32_t v);
int wbuf_put_u64(struct wbuf *w, uint64_t v);
int wbuf_put_bytes(struct wbuf *w, const void *data, size_t n);
/* Reserve n bytes to be filled in place (e.g. by a cipher); NULL on overflow. */
uint8_t *wbuf_reserve(struct wbuf *w, size_t n);
/* Bounded pointer to n already-written bytes at off, for patching; NULL if out of range. */
uint8_t *wbuf_at(struct wbuf *w, size_t off, size_t n);
/* Drop everything after the first `len` bytes (len <= w->len). */
void wbuf_truncate(struct wbuf *w, size_t len);

/* Big-endian stores into fixed arrays (not packets), e.g. nonce building. */
void be_put_u32(uint8_t out[4], uint32_t v);
uint32_t be_get_u32(const uint8_t in[4]);

#endif
