/*
 * comp.c - data-channel compression framing (openvpn-protocol.md §10.3).
 *
 * Design: one const row per mode says how its packets are framed (nothing,
 * a one-byte prefix, the v1 swap, or the v2 indicator/escape) and whether
 * it may carry LZ4.  comp_frame()/comp_unframe() dispatch on that row;
 * parsing, push strings and negotiation read the same table, so a mode is
 * described in one place.
 *
 * Invariants:
 *  - Pure and stateless: every call reads `in` and appends to `out`; no heap
 *    (the LZ4 compressor state, ~16 KiB, and the v1 scratch live on the
 *    stack) and nothing carried between packets, so every LZ4 block is
 *    independent, as in 2.6.
 *  - On any error out->len is what it was on entry (ERR_OVERFLOW also sets
 *    the sticky overflow flag, as a failed wbuf put would).
 *  - Decompression writes at most wbuf_room(out) bytes: LZ4_decompress_safe
 *    is given that capacity, so a bomb stops there and becomes ERR_OVERFLOW.
 *  - Nothing a packet carries reaches an assert; every marker byte is
 *    checked against the mode's row.
 *  - Outbound compression needs COMP_ALLOW_YES (P7 and the VORACLE
 *    lesson); ASYM, the 2.6 default for a named algorithm, only receives.
 */
#include <limits.h>
#include <string.h>

#include <lz4.h>

#include "comp.h"
#include "err.h"

enum comp_framing {
	FR_NONE,    /* payload as is */
	FR_PREFIX,  /* one marker byte in front */
	FR_SWAP,    /* marker in byte 0, old byte 0 at the end */
	FR_V2,      /* no prefix; 0x50 introduces a two-byte header */
};

struct comp_row {
	enum comp_mode mode;
	const char *name;         /* logs; also the pushed line */
	bool pushed;              /* false: push nothing */
	enum comp_framing framing;
	uint8_t plain;            /* v1 marker of an uncompressed packet */
	bool lz4;                 /* may carry LZ4 blocks */
	enum comp_mode stub;      /* same-generation stub for negotiation */
};

static const struct comp_row comp_rows[] = {
	{ COMP_NONE, "none", false, FR_NONE, 0, false, COMP_NONE },
	{ COMP_LZO_NO, "comp-lzo no", true, FR_PREFIX, COMP_V1_NONE, false,
	    COMP_LZO_NO },
	{ COMP_STUB, "compress", true, FR_SWAP, COMP_V1_NONE_SWAP, false,
	    COMP_STUB },
	{ COMP_LZ4, "compress lz4", true, FR_SWAP, COMP_V1_NONE_SWAP, true,
	    COMP_STUB },
	{ COMP_STUB_V2, "compress stub-v2", true, FR_V2, 0, false,
	    COMP_STUB_V2 },
	{ COMP_LZ4_V2, "compress lz4-v2", true, FR_V2, 0, true, COMP_STUB_V2 },
};

/* Directive spellings; arg NULL means "no argument". */
static const struct {
	const char *directive;
	const char *arg;
	int err;               /* 0: accepted as `mode` */
	enum comp_mode mode;
} comp_spellings[] = {
	{ "compress", NULL, 0, COMP_STUB },
	{ "compress", "stub-v2", 0, COMP_STUB_V2 },
	{ "compress", "lz4", 0, COMP_LZ4 },
	{ "compress", "lz4-v2", 0, COMP_LZ4_V2 },
	{ "compress", "migrate", 0, COMP_NONE },
	{ "compress", "lzo", ERR_UNSUPPORTED, COMP_NONE },
	{ "comp-lzo", "no", 0, COMP_LZO_NO },
	{ "comp-lzo", NULL, ERR_UNSUPPORTED, COMP_NONE },
	{ "comp-lzo", "yes", ERR_UNSUPPORTED, COMP_NONE },
	{ "comp-lzo", "adaptive", ERR_UNSUPPORTED, COMP_NONE },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct comp_row *
row_of(enum comp_mode m)
{
	size_t i;

	for (i = 0; i < NELEM(comp_rows); i++)
		if (comp_rows[i].mode == m)
			return &comp_rows[i];
	return NULL;
}

static bool
allow_valid(enum comp_allow a)
{
	return a == COMP_ALLOW_NO || a == COMP_ALLOW_ASYM ||
	    a == COMP_ALLOW_YES;
}

static bool
streq_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
comp_mode_parse(const char *directive, const char *arg, enum comp_mode *out)
{
	size_t i;

	if (directive == NULL || out == NULL)
		return ERR_INVAL;
	for (i = 0; i < NELEM(comp_spellings); i++) {
		if (strcmp(comp_spellings[i].directive, directive) != 0 ||
		    !streq_opt(comp_spellings[i].arg, arg))
			continue;
		if (comp_spellings[i].err != 0)
			return comp_spellings[i].err;
		*out = comp_spellings[i].mode;
		return 0;
	}
	return ERR_CONFIG;
}

int
comp_allow_parse(const char *arg, enum comp_allow *out)
{
	static const struct {
		const char *s;
		enum comp_allow a;
	} t[] = {
		{ "no", COMP_ALLOW_NO },
		{ "asym", COMP_ALLOW_ASYM },
		{ "yes", COMP_ALLOW_YES },
	};
	size_t i;

	if (arg == NULL || out == NULL)
		return ERR_CONFIG;
	for (i = 0; i < NELEM(t); i++) {
		if (strcmp(t[i].s, arg) == 0) {
			*out = t[i].a;
			return 0;
		}
	}
	return ERR_CONFIG;
}

enum comp_allow
comp_allow_default(enum comp_mode m)
{
	return comp_mode_compresses(m) ? COMP_ALLOW_ASYM : COMP_ALLOW_NO;
}

const char *
comp_mode_push_string(enum comp_mode m)
{
	const struct comp_row *row = row_of(m);

	return row != NULL && row->pushed ? row->name : NULL;
}

const char *
comp_mode_name(enum comp_mode m)
{
	const struct comp_row *row = row_of(m);

	return row != NULL ? row->name : "invalid";
}

bool
comp_mode_frames(enum comp_mode m)
{
	const struct comp_row *row = row_of(m);

	return row != NULL && row->framing != FR_NONE;
}

bool
comp_mode_compresses(enum comp_mode m)
{
	const struct comp_row *row = row_of(m);

	return row != NULL && row->lz4;
}

static int
overflow(struct wbuf *out, size_t start)
{
	wbuf_truncate(out, start);
	out->overflow = true;
	return ERR_OVERFLOW;
}

/*
 * Try to send `in` as an LZ4 block.  Returns 0 when the compressed frame
 * was appended, ERR_AGAIN when the payload should go uncompressed instead
 * (it did not shrink, or there is no room for a block); out is unchanged
 * then.  The capacity handed to liblz4 is below n, so "it fits" is exactly
 * 2.6's "compressed length < payload length" test.
 */
static int
frame_lz4(const struct comp_row *row, const uint8_t *in, size_t n,
    struct wbuf *out)
{
	size_t start = out->len;
	size_t hdr = row->framing == FR_V2 ? 2 : 0;
	size_t tail = row->framing == FR_SWAP ? 1 : 0;
	size_t cap = n - 1;
	uint8_t *dst, *head;
	uint8_t first;
	LZ4_stream_t lz;
	int z;

	if (n > LZ4_MAX_INPUT_SIZE || wbuf_room(out) <= hdr + tail + 1)
		return ERR_AGAIN;
	if (cap > wbuf_room(out) - hdr - tail)
		cap = wbuf_room(out) - hdr - tail;
	if (hdr != 0) {
		(void)wbuf_put_u8(out, COMP_V2_IND);
		(void)wbuf_put_u8(out, COMP_V2_LZ4);
	}
	dst = wbuf_reserve(out, cap);
	if (dst == NULL)
		goto again;
	/* Our own stack state: no heap even if liblz4 was built with
	 * LZ4_HEAPMODE.  Acceleration 1 is what LZ4_compress_default uses. */
	z = LZ4_compress_fast_extState(&lz, (const char *)in, (char *)dst,
	    (int)n, (int)cap, 1);
	if (z <= 0)
		goto again;
	wbuf_truncate(out, start + hdr + (size_t)z);
	if (row->framing == FR_SWAP) {
		/* v1 swap applied to the block: marker over its byte 0,
		 * which moves to the end (room was kept for it). */
		head = wbuf_at(out, start, 1);
		if (head == NULL)
			goto again;
		first = *head;
		*head = COMP_V1_LZ4;
		if (wbuf_put_u8(out, first) != 0)
			goto again;
	}
	return 0;
again:
	wbuf_truncate(out, start);
	return ERR_AGAIN;
}

int
comp_frame(enum comp_mode m, enum comp_allow allow, const uint8_t *in,
    size_t n, struct wbuf *out)
{
	const struct comp_row *row = row_of(m);
	struct buf b, rest;
	size_t start, need;
	uint8_t first;

	if (row == NULL || !allow_valid(allow) || out == NULL ||
	    (in == NULL && n > 0))
		return ERR_INVAL;
	start = out->len;
	/* 2.6 leaves empty buffers alone in every mode. */
	if (n == 0)
		return 0;

	if (row->lz4 && allow == COMP_ALLOW_YES && n >= COMP_THRESHOLD &&
	    frame_lz4(row, in, n, out) == 0)
		return 0;

	buf_init(&b, in, n);
	(void)buf_peek_u8(&b, 0, &first);
	need = n;
	if (row->framing == FR_PREFIX || row->framing == FR_SWAP)
		need = n + 1;
	else if (row->framing == FR_V2 && first == COMP_V2_IND)
		need = n + 2;
	if (need > wbuf_room(out))
		return overflow(out, start);

	switch (row->framing) {
	case FR_NONE:
		(void)wbuf_put_bytes(out, in, n);
		break;
	case FR_PREFIX:
		(void)wbuf_put_u8(out, row->plain);
		(void)wbuf_put_bytes(out, in, n);
		break;
	case FR_SWAP:
		(void)buf_get_u8(&b, &first);
		buf_get_rest(&b, &rest);
		(void)wbuf_put_u8(out, row->plain);
		(void)wbuf_put_bytes(out, buf_cur(&rest), buf_left(&rest));
		(void)wbuf_put_u8(out, first);
		break;
	case FR_V2:
		/* A payload starting with the indicator must be escaped; IP
		 * packets never do (version nibble 5). */
		if (first == COMP_V2_IND) {
			(void)wbuf_put_u8(out, COMP_V2_IND);
			(void)wbuf_put_u8(out, COMP_V2_NONE);
		}
		(void)wbuf_put_bytes(out, in, n);
		break;
	}
	return 0;
}

static int
put_payload(struct wbuf *out, const struct buf *b)
{
	size_t start = out->len;

	if (buf_left(b) > wbuf_room(out))
		return overflow(out, start);
	(void)wbuf_put_bytes(out, buf_cur(b), buf_left(b));
	return 0;
}

/*
 * Decompress one LZ4 block into the room left in out.  A block that needs
 * more room than that (a bomb, or just a packet bigger than the tunnel
 * allows) is told apart from garbage by a second, partial decode: if that
 * fills the whole room without error, the data wanted more.
 */
static int
lz4_block(const uint8_t *src, size_t srclen, struct wbuf *out)
{
	size_t start = out->len;
	size_t room = wbuf_room(out);
	uint8_t *dst;
	int r;

	if (srclen == 0 || srclen > INT_MAX)
		return ERR_MALFORMED;
	if (room == 0)
		return overflow(out, start);
	if (room > INT_MAX)
		room = INT_MAX;
	dst = wbuf_reserve(out, room);
	if (dst == NULL)
		return overflow(out, start);
	r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)srclen,
	    (int)room);
	if (r > 0) {
		wbuf_truncate(out, start + (size_t)r);
		return 0;
	}
	/* 2.6 also treats a block that decodes to nothing as an error. */
	if (r < 0 && LZ4_decompress_safe_partial((const char *)src,
	    (char *)dst, (int)srclen, (int)room, (int)room) == (int)room)
		return overflow(out, start);
	wbuf_truncate(out, start);
	return ERR_MALFORMED;
}

static bool
may_decompress(const struct comp_row *row, enum comp_allow allow)
{
	return row->lz4 && allow != COMP_ALLOW_NO;
}

static int
unframe_swap(const struct comp_row *row, enum comp_allow allow,
    struct buf *b, struct wbuf *out)
{
	uint8_t scratch[COMP_V1_LZ4_MAX_IN];
	struct buf last, mid;
	struct wbuf sw;
	uint8_t marker;
	size_t start = out->len;

	(void)buf_get_u8(b, &marker);
	/* A lone marker leaves an empty payload (no byte was swapped). */
	(void)buf_get_tail(b, buf_empty(b) ? 0 : 1, &last);
	buf_get_rest(b, &mid);

	if (marker == COMP_V1_NONE_SWAP) {
		if (buf_left(&last) + buf_left(&mid) > wbuf_room(out))
			return overflow(out, start);
		(void)wbuf_put_bytes(out, buf_cur(&last), buf_left(&last));
		(void)wbuf_put_bytes(out, buf_cur(&mid), buf_left(&mid));
		return 0;
	}
	if (marker != COMP_V1_LZ4)
		return ERR_MALFORMED;
	if (!may_decompress(row, allow))
		return ERR_UNSUPPORTED;
	/* liblz4 wants the block contiguous: undo the swap in scratch. */
	wbuf_init(&sw, scratch, sizeof(scratch));
	(void)wbuf_put_bytes(&sw, buf_cur(&last), buf_left(&last));
	(void)wbuf_put_bytes(&sw, buf_cur(&mid), buf_left(&mid));
	if (sw.overflow)
		return overflow(out, start);
	return lz4_block(scratch, sw.len, out);
}

static int
unframe_v2(const struct comp_row *row, enum comp_allow allow, struct buf *b,
    struct wbuf *out)
{
	uint8_t ind, kind;

	(void)buf_peek_u8(b, 0, &ind);
	if (ind != COMP_V2_IND)
		return put_payload(out, b);
	(void)buf_get_u8(b, &ind);
	if (buf_get_u8(b, &kind) != 0)
		return ERR_TRUNC;
	switch (kind) {
	case COMP_V2_NONE:
	case COMP_V2_NONE_26:
		return put_payload(out, b);
	case COMP_V2_LZ4:
		if (!may_decompress(row, allow))
			return ERR_UNSUPPORTED;
		return lz4_block(buf_cur(b), buf_left(b), out);
	case COMP_V2_LZO:
		return ERR_UNSUPPORTED;
	default:
		return ERR_MALFORMED;
	}
}

int
comp_unframe(enum comp_mode m, enum comp_allow allow, const uint8_t *in,
    size_t n, struct wbuf *out)
{
	const struct comp_row *row = row_of(m);
	struct buf b;
	uint8_t marker;

	if (row == NULL || !allow_valid(allow) || out == NULL ||
	    (in == NULL && n > 0))
		return ERR_INVAL;
	if (n == 0)
		return 0;
	buf_init(&b, in, n);

	switch (row->framing) {
	case FR_NONE:
		return put_payload(out, &b);
	case FR_PREFIX:
		(void)buf_get_u8(&b, &marker);
		if (marker == row->plain)
			return put_payload(out, &b);
		return marker == COMP_V1_LZO ? ERR_UNSUPPORTED : ERR_MALFORMED;
	case FR_SWAP:
		return unframe_swap(row, allow, &b, out);
	case FR_V2:
		return unframe_v2(row, allow, &b, out);
	}
	return ERR_INVAL;
}

enum comp_mode
comp_negotiate(enum comp_mode configured, bool iv_lz4v2, bool iv_lz4,
    bool iv_comp_stub, bool iv_comp_stubv2, bool iv_lzo_stub,
    bool occ_comp_lzo)
{
	const struct comp_row *row = row_of(configured);
	enum comp_mode order[5];
	unsigned int ok = 0;
	size_t i;

	if (iv_lz4v2)
		ok |= 1u << COMP_LZ4_V2;
	if (iv_lz4)
		ok |= 1u << COMP_LZ4;
	if (iv_comp_stubv2)
		ok |= 1u << COMP_STUB_V2;
	if (iv_comp_stub)
		ok |= 1u << COMP_STUB;
	if (iv_lzo_stub || occ_comp_lzo)
		ok |= 1u << COMP_LZO_NO;

	if (row == NULL)
		return COMP_NONE;
	if (configured == COMP_NONE) {
		/* Migrate: a client configured to frame gets a stub it knows,
		 * so its packets are unframed; others get nothing. */
		if (!occ_comp_lzo)
			return COMP_NONE;
		return iv_comp_stubv2 ? COMP_STUB_V2 : COMP_LZO_NO;
	}
	order[0] = configured;
	order[1] = row->stub;
	order[2] = COMP_STUB_V2;
	order[3] = COMP_STUB;
	order[4] = COMP_LZO_NO;
	for (i = 0; i < NELEM(order); i++)
		if (ok & (1u << order[i]))
			return order[i];
	return COMP_NONE;
}
