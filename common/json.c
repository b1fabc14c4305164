/*
 * json.c - streaming JSON writer (RFC 8259).
 *
 * Design: the writer keeps one flag pair per open container (is it an
 * object, has it a member yet) and one `want_value` flag for the innermost
 * object.  Every token first passes prelude(), which decides whether a comma
 * is due and refuses tokens the grammar does not allow at this point, so a
 * caller bug shows up as ERR_BADSTATE instead of as broken output.
 *
 * Invariants:
 *  - Once err != 0 nothing more is written (sticky error).
 *  - Everything written is valid UTF-8: strings go through put_escaped(),
 *    which replaces each maximal ill-formed subpart with U+FFFD (Unicode
 *    3.9, "U+FFFD substitution of maximal subparts"), and all other output
 *    is ASCII.
 *  - No raw byte below 0x20, nor DEL, nor U+2028/U+2029 appears in output,
 *    so a document is always one line (connlog relies on this) and is also
 *    safe to embed in JavaScript.
 *  - w.len <= w.cap <= max (heap mode); caller memory never grows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"

enum {
	JSON_ALLOC_MIN = 256,	/* first heap allocation */
};

static const uint8_t replacement[3] = { 0xef, 0xbf, 0xbd };	/* U+FFFD */

void
json_init(struct json *j, void *mem, size_t cap)
{
	memset(j, 0, sizeof(*j));
	wbuf_init(&j->w, mem, cap);
}

void
json_init_alloc(struct json *j, size_t max)
{
	memset(j, 0, sizeof(*j));
	wbuf_init(&j->w, NULL, 0);
	j->max = max;
}

void
json_free(struct json *j)
{
	if (j->max != 0)
		free(j->w.p);
	j->w.p = NULL;
	j->w.cap = j->w.len = 0;
}

static int
fail(struct json *j, int err)
{
	if (j->err == 0)
		j->err = err;
	return j->err;
}

/* Make room for n more bytes, growing the heap buffer if this writer owns one. */
static int
room(struct json *j, size_t n)
{
	size_t need, ncap;
	uint8_t *np;

	if (n <= wbuf_room(&j->w))
		return 0;
	if (j->max == 0 || n > j->max - j->w.len)
		return fail(j, ERR_OVERFLOW);
	need = j->w.len + n;
	ncap = j->w.cap < JSON_ALLOC_MIN ? JSON_ALLOC_MIN : j->w.cap;
	while (ncap < need)
		ncap = ncap > j->max / 2 ? j->max : ncap * 2;
	if (ncap > j->max)
		ncap = j->max;
	if ((np = realloc(j->w.p, ncap)) == NULL)
		return fail(j, ERR_NOMEM);
	j->w.p = np;
	j->w.cap = ncap;
	return 0;
}

static int
put(struct json *j, const void *data, size_t n)
{
	if (j->err != 0)
		return j->err;
	if (n == 0)
		return 0;
	if (room(j, n) != 0)
		return j->err;
	if (wbuf_put_bytes(&j->w, data, n) != 0)
		return fail(j, ERR_OVERFLOW);
	return 0;
}

static int
putc1(struct json *j, char c)
{
	return put(j, &c, 1);
}

/*
 * Decode one UTF-8 sequence at s[0..n).  Returns the code point, or -1 for
 * an ill-formed sequence; *adv is the length of the valid sequence, or of
 * the maximal subpart to replace with one U+FFFD (always >= 1).  The second
 * byte's range excludes overlongs (E0, F0), surrogates (ED) and values above
 * U+10FFFF (F4), which is what makes the subpart "maximal".
 */
static int32_t
utf8_next(const uint8_t *s, size_t n, size_t *adv)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	int32_t cp;

	*adv = 1;
	if (c < 0x80)
		return c;
	if (c < 0xc2)
		return -1;	/* continuation byte or overlong 2-byte lead */
	if (c < 0xe0) {
		need = 1;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		need = 2;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return -1;
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*adv = i;
			return -1;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*adv = need + 1;
	return cp;
}

static int
put_uescape(struct json *j, unsigned v)
{
	char tmp[8];

	snprintf(tmp, sizeof(tmp), "\\u%04x", v & 0xffffu);
	return put(j, tmp, 6);
}

/* A quoted, escaped string.  Plain runs are copied in one put. */
static int
put_escaped(struct json *j, const uint8_t *s, size_t n)
{
	size_t i = 0, run = 0, adv;
	int32_t cp;
	uint8_t c;

	putc1(j, '"');
	while (i < n) {
		c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		cp = c < 0x80 ? c : utf8_next(s + i, n - i, &adv);
		if (c >= 0x80 && cp >= 0 && cp != 0x2028 && cp != 0x2029) {
			i += adv;	/* valid non-ASCII: copy as is */
			continue;
		}
		put(j, s + run, i - run);
		switch (cp) {
		case '"':
			put(j, "\\\"", 2);
			break;
		case '\\':
			put(j, "\\\\", 2);
			break;
		case '\b':
			put(j, "\\b", 2);
			break;
		case '\f':
			put(j, "\\f", 2);
			break;
		case '\n':
			put(j, "\\n", 2);
			break;
		case '\r':
			put(j, "\\r", 2);
			break;
		case '\t':
			put(j, "\\t", 2);
			break;
		case -1:
			put(j, replacement, sizeof(replacement));
			break;
		default:	/* other controls, DEL, U+2028, U+2029 */
			put_uescape(j, (unsigned)cp);
			break;
		}
		i += c < 0x80 ? 1 : adv;
		run = i;
	}
	put(j, s + run, i - run);
	return putc1(j, '"');
}

/* Grammar check and separator before a key (is_key) or a value. */
static int
prelude(struct json *j, bool is_key)
{
	if (j->err != 0)
		return j->err;
	if (j->depth == 0) {
		if (j->done || is_key)
			return fail(j, ERR_BADSTATE);
		return 0;
	}
	if (j->is_obj[j->depth]) {
		if (is_key == j->want_value)
			return fail(j, ERR_BADSTATE);
		if (!is_key)
			return 0;	/* the colon was written with the key */
	} else if (is_key)
		return fail(j, ERR_BADSTATE);
	if (j->has_items[j->depth])
		return putc1(j, ',');
	return 0;
}

static int
after_value(struct json *j)
{
	if (j->err != 0)
		return j->err;
	if (j->depth == 0)
		j->done = true;
	else {
		j->has_items[j->depth] = true;
		j->want_value = false;
	}
	return 0;
}

static int
open_container(struct json *j, bool obj)
{
	if (prelude(j, false) != 0)
		return j->err;
	if (j->depth >= JSON_MAX_DEPTH)
		return fail(j, ERR_RANGE);
	if (putc1(j, obj ? '{' : '[') != 0)
		return j->err;
	j->depth++;
	j->is_obj[j->depth] = obj;
	j->has_items[j->depth] = false;
	j->want_value = false;
	return 0;
}

static int
close_container(struct json *j, bool obj)
{
	if (j->err != 0)
		return j->err;
	if (j->depth == 0 || j->is_obj[j->depth] != obj ||
	    (obj && j->want_value))
		return fail(j, ERR_BADSTATE);
	if (putc1(j, obj ? '}' : ']') != 0)
		return j->err;
	j->depth--;
	return after_value(j);
}

int
json_obj_begin(struct json *j)
{
	return open_container(j, true);
}

int
json_obj_end(struct json *j)
{
	return close_container(j, true);
}

int
json_arr_begin(struct json *j)
{
	return open_container(j, false);
}

int
json_arr_end(struct json *j)
{
	return close_container(j, false);
}

int
json_key(struct json *j, const char *key)
{
	if (key == NULL)
		return fail(j, ERR_INVAL);
	if (prelude(j, true) != 0)
		return j->err;
	put_escaped(j, (const uint8_t *)key, strlen(key));
	if (putc1(j, ':') != 0)
		return j->err;
	j->want_value = true;
	return 0;
}

int
json_strn(struct json *j, const void *s, size_t n)
{
	if (s == NULL && n != 0)
		return fail(j, ERR_INVAL);
	if (prelude(j, false) != 0)
		return j->err;
	put_escaped(j, s, n);
	return after_value(j);
}

int
json_str(struct json *j, const char *s)
{
	if (s == NULL)
		return json_null(j);
	return json_strn(j, s, strlen(s));
}

static int
put_literal(struct json *j, const char *lit)
{
	if (prelude(j, false) != 0)
		return j->err;
	put(j, lit, strlen(lit));
	return after_value(j);
}

int
json_i64(struct json *j, int64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	return put_literal(j, tmp);
}

int
json_u64(struct json *j, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	return put_literal(j, tmp);
}

int
json_bool(struct json *j, bool v)
{
	return put_literal(j, v ? "true" : "false");
}

int
json_null(struct json *j)
{
	return put_literal(j, "null");
}

int
json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	return json_str(j, s);
}

int
json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	return json_u64(j, v);
}

int
json_kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	return json_i64(j, v);
}

int
json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	return json_bool(j, v);
}

int
json_finish(struct json *j)
{
	if (j->err != 0)
		return j->err;
	if (j->depth != 0 || !j->done)
		return fail(j, ERR_BADSTATE);
	/* The NUL is written and then dropped from the length. */
	if (putc1(j, '\0') != 0)
		return j->err;
	wbuf_truncate(&j->w, j->w.len - 1);
	return 0;
}

int
json_error(const struct json *j)
{
	return j->err;
}

const char *
json_data(const struct json *j, size_t *len)
{
	if (len != NULL)
		*len = j->w.len;
	return (const char *)j->w.p;
}
