/*
 * jparse.c - strict, bounded JSON parser (RFC 8259; UTF-8 per Unicode 15
 * section 3.9, table 3-7).
 *
 * Design: recursive descent over a struct buf (every input byte is read
 * with buf_get_u8/buf_peek_u8, so no read can pass the end), building nodes
 * in one malloc'd arena:
 *   [ node 0 | node 1 | ... | node cap-1 ][ text: decoded strings, numbers ]
 * Both sizes are known before parsing starts, so nothing is reallocated and
 * node pointers stay valid:
 *  - every value takes at least one input byte, so there are at most
 *    min(len, max_values) nodes;
 *  - a string token of k bytes (quotes included) decodes to at most k - 2
 *    bytes plus a NUL (escapes only shrink: 6 bytes -> at most 3, 12 -> 4);
 *    a number of k bytes is copied with a NUL, k + 1, but every number but
 *    the last one in the input is followed by a byte that belongs to no
 *    token (',' ']' '}' or space), so the text never needs more than
 *    len + 1 bytes.  The text area is written through a struct wbuf all the
 *    same, so a mistake in this argument would be an error, not an overrun.
 *
 * Invariants: the first error wins (p->code is set once, with its offset);
 * recursion depth is bounded by max_depth before a container is entered;
 * an object's earlier keys are compared with each new one (O(n^2) per
 * object, bounded by max_values), which refuses duplicates.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jparse.h"

struct parser {
	struct buf in;
	struct jparse_limits lim;
	struct jparse_value *nodes;
	size_t n_nodes, cap_nodes;
	struct wbuf text;
	int code;
	size_t err_off;
	const char *reason;
};

void
jparse_limits_default(struct jparse_limits *lim)
{
	lim->max_len = JPARSE_LEN_MAX;
	lim->max_depth = JPARSE_DEPTH_MAX;
	lim->max_values = JPARSE_VALUES_MAX;
}

static int
fail_at(struct parser *p, size_t off, int code, const char *reason)
{
	if (p->code == 0) {
		p->code = code;
		p->err_off = off;
		p->reason = reason;
	}
	return p->code;
}

static int
fail(struct parser *p, int code, const char *reason)
{
	return fail_at(p, p->in.off, code, reason);
}

/* The input ended where more was required. */
static int
trunc_err(struct parser *p)
{
	return fail_at(p, p->in.len, ERR_TRUNC, "unexpected end of input");
}

static int
put(struct parser *p, uint8_t c)
{
	if (wbuf_put_u8(&p->text, c) != 0)
		return fail(p, ERR_NOMEM, "internal: text arena exhausted");
	return 0;
}

static void
skip_ws(struct parser *p)
{
	uint8_t c;

	while (buf_peek_u8(&p->in, 0, &c) == 0 &&
	    (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		(void)buf_skip(&p->in, 1);
}

static struct jparse_value *
new_node(struct parser *p)
{
	struct jparse_value *v;

	if (p->n_nodes >= p->lim.max_values || p->n_nodes >= p->cap_nodes) {
		fail(p, ERR_RANGE, "too many values");
		return NULL;
	}
	v = &p->nodes[p->n_nodes++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* Terminate the text written since `start` and point *s at it. */
static int
finish_text(struct parser *p, size_t start, const char **s, size_t *n)
{
	uint8_t *at;

	if (put(p, 0) != 0)
		return p->code;
	at = wbuf_at(&p->text, start, p->text.len - start);
	if (at == NULL)
		return fail(p, ERR_NOMEM, "internal: text arena exhausted");
	*s = (const char *)at;
	*n = p->text.len - start - 1;
	return 0;
}

static int
put_utf8(struct parser *p, uint32_t cp)
{
	int r = 0;

	if (cp < 0x80) {
		r |= put(p, (uint8_t)cp);
	} else if (cp < 0x800) {
		r |= put(p, (uint8_t)(0xc0 | (cp >> 6)));
		r |= put(p, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		r |= put(p, (uint8_t)(0xe0 | (cp >> 12)));
		r |= put(p, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		r |= put(p, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		r |= put(p, (uint8_t)(0xf0 | (cp >> 18)));
		r |= put(p, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		r |= put(p, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		r |= put(p, (uint8_t)(0x80 | (cp & 0x3f)));
	}
	return r != 0 ? p->code : 0;
}

static int
hex4(struct parser *p, size_t esc_off, uint32_t *out)
{
	uint32_t v = 0;
	uint8_t c;
	int i;

	for (i = 0; i < 4; i++) {
		if (buf_get_u8(&p->in, &c) != 0)
			return trunc_err(p);
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail_at(p, esc_off, ERR_MALFORMED, "bad \\u escape");
	}
	*out = v;
	return 0;
}

/* After the backslash. */
static int
parse_escape(struct parser *p, size_t esc_off)
{
	uint32_t cp, lo;
	uint8_t c;

	if (buf_get_u8(&p->in, &c) != 0)
		return trunc_err(p);
	switch (c) {
	case '"': case '\\': case '/':
		return put(p, c);
	case 'b':
		return put(p, '\b');
	case 'f':
		return put(p, '\f');
	case 'n':
		return put(p, '\n');
	case 'r':
		return put(p, '\r');
	case 't':
		return put(p, '\t');
	case 'u':
		break;
	default:
		return fail_at(p, esc_off, ERR_MALFORMED, "invalid escape");
	}
	if (hex4(p, esc_off, &cp) != 0)
		return p->code;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail_at(p, esc_off, ERR_MALFORMED, "lone surrogate escape");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* A high surrogate must be followed at once by "\u" + low one. */
		if (buf_get_u8(&p->in, &c) != 0)
			return trunc_err(p);
		if (c != '\\')
			return fail_at(p, esc_off, ERR_MALFORMED, "lone surrogate escape");
		if (buf_get_u8(&p->in, &c) != 0)
			return trunc_err(p);
		if (c != 'u')
			return fail_at(p, esc_off, ERR_MALFORMED, "lone surrogate escape");
		if (hex4(p, esc_off, &lo) != 0)
			return p->code;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail_at(p, esc_off, ERR_MALFORMED, "lone surrogate escape");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return put_utf8(p, cp);
}

/* A multi-byte UTF-8 sequence whose lead byte c was just read. */
static int
parse_utf8(struct parser *p, uint8_t c, size_t lead_off)
{
	uint8_t lo = 0x80, hi = 0xbf, b;
	int i, ncont;

	if (c >= 0xc2 && c <= 0xdf) {
		ncont = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		ncont = 2;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		ncont = 3;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return fail_at(p, lead_off, ERR_MALFORMED, "invalid UTF-8");
	}
	if (put(p, c) != 0)
		return p->code;
	for (i = 0; i < ncont; i++) {
		if (buf_get_u8(&p->in, &b) != 0)
			return trunc_err(p);
		if (b < lo || b > hi)
			return fail_at(p, lead_off, ERR_MALFORMED, "invalid UTF-8");
		lo = 0x80;
		hi = 0xbf;
		if (put(p, b) != 0)
			return p->code;
	}
	return 0;
}

/* At the opening quote. */
static int
parse_string(struct parser *p, const char **s, size_t *n)
{
	size_t start = p->text.len, at;
	uint8_t c;

	(void)buf_skip(&p->in, 1);
	for (;;) {
		at = p->in.off;
		if (buf_get_u8(&p->in, &c) != 0)
			return trunc_err(p);
		if (c == '"')
			break;
		if (c == '\\') {
			if (parse_escape(p, at) != 0)
				return p->code;
		} else if (c < 0x20) {
			return fail_at(p, at, ERR_MALFORMED, "control character in string");
		} else if (c < 0x80) {
			if (put(p, c) != 0)
				return p->code;
		} else if (parse_utf8(p, c, at) != 0) {
			return p->code;
		}
	}
	return finish_text(p, start, s, n);
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* One or more digits, copied. */
static int
digits(struct parser *p)
{
	uint8_t c;

	if (buf_peek_u8(&p->in, 0, &c) != 0)
		return trunc_err(p);
	if (!is_digit(c))
		return fail(p, ERR_MALFORMED, "expected a digit");
	while (buf_peek_u8(&p->in, 0, &c) == 0 && is_digit(c)) {
		(void)buf_skip(&p->in, 1);
		if (put(p, c) != 0)
			return p->code;
	}
	return 0;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
parse_number(struct parser *p, struct jparse_value *v)
{
	size_t start = p->text.len;
	uint8_t c;

	v->type = JPARSE_NUMBER;
	if (buf_peek_u8(&p->in, 0, &c) == 0 && c == '-') {
		(void)buf_skip(&p->in, 1);
		if (put(p, c) != 0)
			return p->code;
	}
	if (buf_peek_u8(&p->in, 0, &c) != 0)
		return trunc_err(p);
	if (c == '0') {
		(void)buf_skip(&p->in, 1);
		if (put(p, c) != 0)
			return p->code;
		if (buf_peek_u8(&p->in, 0, &c) == 0 && is_digit(c))
			return fail(p, ERR_MALFORMED, "leading zero in number");
	} else if (digits(p) != 0) {
		return p->code;
	}
	if (buf_peek_u8(&p->in, 0, &c) == 0 && c == '.') {
		(void)buf_skip(&p->in, 1);
		if (put(p, c) != 0 || digits(p) != 0)
			return p->code;
	}
	if (buf_peek_u8(&p->in, 0, &c) == 0 && (c == 'e' || c == 'E')) {
		(void)buf_skip(&p->in, 1);
		if (put(p, c) != 0)
			return p->code;
		if (buf_peek_u8(&p->in, 0, &c) == 0 && (c == '+' || c == '-')) {
			(void)buf_skip(&p->in, 1);
			if (put(p, c) != 0)
				return p->code;
		}
		if (digits(p) != 0)
			return p->code;
	}
	return finish_text(p, start, &v->str, &v->len);
}

static int
parse_literal(struct parser *p, const char *word)
{
	size_t i, n = strlen(word);
	uint8_t c;

	for (i = 0; i < n; i++) {
		if (buf_peek_u8(&p->in, 0, &c) != 0)
			return trunc_err(p);
		if (c != (uint8_t)word[i])
			return fail(p, ERR_MALFORMED, "invalid literal");
		(void)buf_skip(&p->in, 1);
	}
	return 0;
}

static int parse_value(struct parser *p, unsigned depth, struct jparse_value **out);

static void
link_child(struct jparse_value *parent, struct jparse_value **tail, struct jparse_value *child)
{
	if (*tail == NULL)
		parent->first = child;
	else
		(*tail)->next = child;
	*tail = child;
	parent->n++;
}

/*
 * Shared by arrays and objects: after the opening bracket, members separated
 * by commas up to the closing one.
 */
static int
parse_container(struct parser *p, unsigned depth, struct jparse_value *v, bool is_obj)
{
	struct jparse_value *tail = NULL, *child, *s;
	const char *key = NULL;
	size_t key_len = 0, key_off;
	uint8_t c, close = is_obj ? '}' : ']';

	v->type = is_obj ? JPARSE_OBJECT : JPARSE_ARRAY;
	if (depth > p->lim.max_depth)
		return fail(p, ERR_RANGE, "nesting too deep");
	(void)buf_skip(&p->in, 1);
	skip_ws(p);
	if (buf_peek_u8(&p->in, 0, &c) == 0 && c == close) {
		(void)buf_skip(&p->in, 1);
		return 0;
	}
	for (;;) {
		if (is_obj) {
			key_off = p->in.off;
			if (buf_peek_u8(&p->in, 0, &c) != 0)
				return trunc_err(p);
			if (c != '"')
				return fail(p, ERR_MALFORMED, "expected a string key");
			if (parse_string(p, &key, &key_len) != 0)
				return p->code;
			for (s = v->first; s != NULL; s = s->next)
				if (s->key_len == key_len && memcmp(s->key, key, key_len) == 0)
					return fail_at(p, key_off, ERR_MALFORMED, "duplicate key");
			skip_ws(p);
			if (buf_peek_u8(&p->in, 0, &c) != 0)
				return trunc_err(p);
			if (c != ':')
				return fail(p, ERR_MALFORMED, "expected ':'");
			(void)buf_skip(&p->in, 1);
			skip_ws(p);
		}
		if (parse_value(p, depth, &child) != 0)
			return p->code;
		child->key = key;
		child->key_len = key_len;
		link_child(v, &tail, child);
		skip_ws(p);
		if (buf_peek_u8(&p->in, 0, &c) != 0)
			return trunc_err(p);
		if (c == close) {
			(void)buf_skip(&p->in, 1);
			return 0;
		}
		if (c != ',')
			return fail(p, ERR_MALFORMED, is_obj ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		(void)buf_skip(&p->in, 1);
		skip_ws(p);
	}
}

/* depth: containers already open around this value. */
static int
parse_value(struct parser *p, unsigned depth, struct jparse_value **out)
{
	struct jparse_value *v;
	uint8_t c;

	if (buf_peek_u8(&p->in, 0, &c) != 0)
		return trunc_err(p);
	if ((v = new_node(p)) == NULL)
		return p->code;
	*out = v;
	switch (c) {
	case '{':
		return parse_container(p, depth + 1, v, true);
	case '[':
		return parse_container(p, depth + 1, v, false);
	case '"':
		v->type = JPARSE_STRING;
		return parse_string(p, &v->str, &v->len);
	case 't':
		v->type = JPARSE_BOOL;
		v->b = true;
		return parse_literal(p, "true");
	case 'f':
		v->type = JPARSE_BOOL;
		return parse_literal(p, "false");
	case 'n':
		v->type = JPARSE_NULL;
		return parse_literal(p, "null");
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p, v);
		if (c == 0xef && p->in.off == 0)
			return fail(p, ERR_MALFORMED, "byte order mark not allowed");
		return fail(p, ERR_MALFORMED, "unexpected character");
	}
}

static void
locate(const void *data, size_t len, struct jparse_error *err)
{
	struct buf b;
	size_t line_start = 0;
	unsigned line = 1;
	uint8_t c;

	buf_init(&b, data, len);
	while (b.off < err->offset && buf_get_u8(&b, &c) == 0) {
		if (c == '\n') {
			line++;
			line_start = b.off;
		}
	}
	err->line = line;
	err->col = (unsigned)(err->offset - line_start + 1);
}

int
jparse_parse(const void *data, size_t len, const struct jparse_limits *lim,
    struct jparse_doc *doc, struct jparse_error *err)
{
	struct parser p;
	struct jparse_value *root = NULL;
	size_t node_bytes, text_bytes;
	uint8_t *arena = NULL;

	memset(&p, 0, sizeof(p));
	memset(doc, 0, sizeof(*doc));
	if (lim != NULL)
		p.lim = *lim;
	else
		jparse_limits_default(&p.lim);
	buf_init(&p.in, data, len);
	if (len > p.lim.max_len) {
		fail_at(&p, p.lim.max_len, ERR_RANGE, "input too large");
		goto out;
	}
	if (len == 0) {
		trunc_err(&p);
		goto out;
	}
	p.cap_nodes = len < p.lim.max_values ? len : p.lim.max_values;
	if (p.cap_nodes > (SIZE_MAX - len - 1) / sizeof(struct jparse_value)) {
		fail_at(&p, 0, ERR_RANGE, "input too large");
		goto out;
	}
	node_bytes = p.cap_nodes * sizeof(struct jparse_value);
	text_bytes = len + 1;
	if ((arena = malloc(node_bytes + text_bytes)) == NULL) {
		fail_at(&p, 0, ERR_NOMEM, "out of memory");
		goto out;
	}
	p.nodes = (struct jparse_value *)(void *)arena;
	wbuf_init(&p.text, arena + node_bytes, text_bytes);

	skip_ws(&p);
	if (parse_value(&p, 0, &root) != 0)
		goto out;
	skip_ws(&p);
	if (!buf_empty(&p.in))
		fail(&p, ERR_MALFORMED, "trailing garbage after the document");
out:
	if (p.code != 0) {
		free(arena);
		if (err != NULL) {
			err->code = p.code;
			err->offset = p.err_off;
			err->reason = p.reason;
			locate(data, len, err);
		}
		return p.code;
	}
	doc->root = root;
	doc->arena = arena;
	doc->n_values = p.n_nodes;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	return 0;
}

void
jparse_free(struct jparse_doc *doc)
{
	free(doc->arena);
	memset(doc, 0, sizeof(*doc));
}

bool
jparse_is(const struct jparse_value *v, enum jparse_type t)
{
	return v != NULL && v->type == t;
}

const struct jparse_value *
jparse_obj_get(const struct jparse_value *obj, const char *key)
{
	const struct jparse_value *m;
	size_t n;

	if (!jparse_is(obj, JPARSE_OBJECT) || key == NULL)
		return NULL;
	n = strlen(key);
	for (m = obj->first; m != NULL; m = m->next)
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

size_t
jparse_len(const struct jparse_value *v)
{
	if (jparse_is(v, JPARSE_ARRAY) || jparse_is(v, JPARSE_OBJECT))
		return v->n;
	return 0;
}

const struct jparse_value *
jparse_arr_get(const struct jparse_value *arr, size_t i)
{
	const struct jparse_value *e;

	if (!jparse_is(arr, JPARSE_ARRAY) || i >= arr->n)
		return NULL;
	for (e = arr->first; e != NULL && i > 0; e = e->next)
		i--;
	return e;
}

const struct jparse_value *
jparse_first(const struct jparse_value *v)
{
	return jparse_len(v) > 0 ? v->first : NULL;
}

const struct jparse_value *
jparse_next(const struct jparse_value *v)
{
	return v != NULL ? v->next : NULL;
}

int
jparse_get_bool(const struct jparse_value *v, bool *out)
{
	if (!jparse_is(v, JPARSE_BOOL))
		return ERR_MALFORMED;
	*out = v->b;
	return 0;
}

int
jparse_get_str(const struct jparse_value *v, const char **s, size_t *len)
{
	if (!jparse_is(v, JPARSE_STRING) || memchr(v->str, 0, v->len) != NULL)
		return ERR_MALFORMED;
	*s = v->str;
	if (len != NULL)
		*len = v->len;
	return 0;
}

/* The magnitude of an integer-only number text and its sign. */
static int
int_magnitude(const struct jparse_value *v, uint64_t *mag, bool *neg)
{
	uint64_t m = 0;
	size_t i = 0;
	unsigned d;

	if (!jparse_is(v, JPARSE_NUMBER) || v->len == 0)
		return ERR_MALFORMED;
	*neg = v->str[0] == '-';
	if (*neg)
		i = 1;
	if (i >= v->len)
		return ERR_MALFORMED;
	for (; i < v->len; i++) {
		if (v->str[i] < '0' || v->str[i] > '9')
			return ERR_MALFORMED;	/* fraction or exponent */
		d = (unsigned)(v->str[i] - '0');
		if (m > (UINT64_MAX - d) / 10)
			return ERR_RANGE;
		m = m * 10 + d;
	}
	*mag = m;
	return 0;
}

int
jparse_get_i64(const struct jparse_value *v, int64_t *out)
{
	uint64_t m;
	bool neg;
	int r;

	if ((r = int_magnitude(v, &m, &neg)) != 0)
		return r;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return ERR_RANGE;
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX)
			return ERR_RANGE;
		*out = (int64_t)m;
	}
	return 0;
}

int
jparse_get_u64(const struct jparse_value *v, uint64_t *out)
{
	uint64_t m;
	bool neg;
	int r;

	if ((r = int_magnitude(v, &m, &neg)) != 0)
		return r;
	if (neg && m != 0)
		return ERR_RANGE;
	*out = m;
	return 0;
}

int
jparse_get_double(const struct jparse_value *v, double *out)
{
	char *end;
	double d;

	if (!jparse_is(v, JPARSE_NUMBER))
		return ERR_MALFORMED;
	errno = 0;
	d = strtod(v->str, &end);
	if (end != v->str + v->len)
		return ERR_MALFORMED;	/* a non-C locale's decimal point */
	if (isinf(d) || isnan(d))
		return ERR_RANGE;
	*out = d;
	return 0;
}
