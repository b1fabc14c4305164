/*
 * json.h - a small streaming JSON writer (RFC 8259), no parser.
 *
 * The caller emits a document token by token: json_obj_begin(), json_key(),
 * json_str(), ... json_obj_end().  The writer inserts commas and colons,
 * escapes strings, checks the grammar (a key before every object member, one
 * top-level value) and bounds the nesting depth at JSON_MAX_DEPTH.
 *
 * Output is always valid UTF-8 JSON: control characters, '"', '\\', DEL and
 * U+2028/U+2029 are escaped, and every ill-formed UTF-8 sequence in a string
 * is replaced by U+FFFD, one per maximal subpart (Unicode 15, section 3.9,
 * the same substitution Python's "replace" error handler does).
 *
 * Errors are sticky, like struct wbuf's overflow flag: the first failure is
 * remembered, every later call returns it and writes nothing, so a builder
 * may issue many calls and check json_finish() once.  After an error the
 * buffer holds a truncated document that must not be used.
 *
 * Memory: json_init() writes into caller memory and never allocates;
 * json_init_alloc() owns a heap buffer that grows up to `max` bytes and is
 * released by json_free().  json_free() is harmless on either kind.
 */
#ifndef OVPN_JSON_H
#define OVPN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
	JSON_MAX_DEPTH = 32,	/* nested objects/arrays; one more is ERR_RANGE */
};

/* Opaque in spirit: callers use the functions below, not the fields. */
struct json {
	struct wbuf w;
	size_t max;		/* growth limit; 0 = caller memory, never grows */
	int err;		/* sticky first error, 0 if none */
	unsigned depth;		/* open containers */
	bool done;		/* the top-level value is complete */
	bool want_value;	/* in an object, a key was written */
	bool has_items[JSON_MAX_DEPTH + 1];
	bool is_obj[JSON_MAX_DEPTH + 1];
};

/* Write into mem[0..cap); nothing is allocated. */
void json_init(struct json *j, void *mem, size_t cap);
/* Own a heap buffer that starts small and grows to at most `max` bytes. */
void json_init_alloc(struct json *j, size_t max);
/* Release the heap buffer of json_init_alloc(); no-op for caller memory. */
void json_free(struct json *j);

/*
 * Every call below returns 0, or the sticky error:
 *   ERR_OVERFLOW  out of room (or over `max`);  ERR_NOMEM  realloc failed;
 *   ERR_BADSTATE  grammar misuse (value where a key is due, unbalanced end,
 *                 a second top-level value, ...);
 *   ERR_RANGE     nesting deeper than JSON_MAX_DEPTH.
 */
int json_obj_begin(struct json *j);
int json_obj_end(struct json *j);
int json_arr_begin(struct json *j);
int json_arr_end(struct json *j);
/* An object member's name; arbitrary bytes, escaped like json_strn(). */
int json_key(struct json *j, const char *key);
/* A string value; NULL is written as null. */
int json_str(struct json *j, const char *s);
/* A string value from n arbitrary bytes (NUL bytes become \u0000). */
int json_strn(struct json *j, const void *s, size_t n);
int json_i64(struct json *j, int64_t v);
int json_u64(struct json *j, uint64_t v);
int json_bool(struct json *j, bool v);
int json_null(struct json *j);

/* Shorthands for json_key() followed by the value call. */
int json_kv_str(struct json *j, const char *key, const char *s);
int json_kv_u64(struct json *j, const char *key, uint64_t v);
int json_kv_i64(struct json *j, const char *key, int64_t v);
int json_kv_bool(struct json *j, const char *key, bool v);

/*
 * Check that exactly one complete top-level value was written and no error
 * happened; then NUL-terminate the text (the NUL is not counted in the
 * length).  Returns 0, the sticky error, ERR_BADSTATE for an incomplete
 * document, or ERR_OVERFLOW if the NUL does not fit.
 */
int json_finish(struct json *j);
/* The sticky error, 0 if none. */
int json_error(const struct json *j);
/* The text written so far and its length; NUL-terminated after json_finish(). */
const char *json_data(const struct json *j, size_t *len);

#endif
