/*
 * jparse.h - a strict, bounded JSON parser (RFC 8259) for untrusted text:
 * hook output, admin CLI replies.  The writer is json.h.
 *
 * jparse_parse() reads one whole document and builds a tree in a single
 * heap arena owned by struct jparse_doc; jparse_free() releases it.  Limits
 * (input bytes, nesting depth, number of values) come from the caller.
 *
 * Strict means everything RFC 8259 allows, and nothing else:
 *  - no BOM, no comments, no NaN/Infinity, no leading '+', no leading zeros,
 *    no "1." or ".5", no trailing commas, no single quotes;
 *  - one value, optionally surrounded by space, tab, CR, LF; anything after
 *    it is refused ("trailing garbage");
 *  - strings must be well-formed UTF-8 (no overlongs, no encoded surrogates,
 *    nothing above U+10FFFF) without raw control characters (< 0x20);
 *    \uXXXX escapes are decoded to UTF-8, surrogate pairs combined, and a
 *    lone surrogate is refused;
 *  - a key repeated in one object is refused: readers that keep the first
 *    and readers that keep the last would see different documents.
 * \u0000 is valid JSON and is kept (strings carry a length); use
 * jparse_get_str(), which refuses such strings, wherever a C string is
 * wanted.
 *
 * Numbers keep their text; the jparse_get_* accessors convert with range
 * checks.  Values are read-only once parsed: the pointers in struct
 * jparse_value stay valid until jparse_free().
 */
#ifndef OVPN_JPARSE_H
#define OVPN_JPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	JPARSE_DEPTH_MAX = 32,		/* default nesting limit; 33 levels fail */
	JPARSE_VALUES_MAX = 4096,	/* default value count limit */
	JPARSE_LEN_MAX = 64 * 1024,	/* default input limit, bytes */
};

enum jparse_type {
	JPARSE_NULL = 1,
	JPARSE_BOOL,
	JPARSE_NUMBER,
	JPARSE_STRING,
	JPARSE_ARRAY,
	JPARSE_OBJECT,
};

/*
 * One value.  Read the fields directly or use the helpers below.
 *  STRING: str/len are the decoded UTF-8 bytes, NUL-terminated (the
 *          terminator is not counted; a \u0000 inside is counted).
 *  NUMBER: str/len are the number's text exactly as written, NUL-terminated.
 *  BOOL:   b.
 *  ARRAY, OBJECT: n children, linked from `first` through `next`.
 * A member of an object also has key/key_len (decoded, NUL-terminated);
 * key is NULL for array elements and the root.
 */
struct jparse_value {
	enum jparse_type type;
	bool b;
	const char *str;
	size_t len;
	const char *key;
	size_t key_len;
	size_t n;
	struct jparse_value *first;
	struct jparse_value *next;
};

struct jparse_limits {
	size_t max_len;		/* longest input accepted, bytes */
	unsigned max_depth;	/* deepest nesting of arrays/objects; 1 = flat */
	size_t max_values;	/* values of any kind, containers included */
};

struct jparse_doc {
	struct jparse_value *root;	/* NULL until a parse succeeds */
	void *arena;			/* owned; nodes and decoded text */
	size_t n_values;
};

/*
 * Where and why a parse failed.  offset is the byte offset of the
 * offending byte (the input length when the input ended early); line and
 * col are 1-based, col counting bytes.  reason is static text.
 */
struct jparse_error {
	int code;
	size_t offset;
	unsigned line;
	unsigned col;
	const char *reason;
};

/* Defaults: JPARSE_LEN_MAX, JPARSE_DEPTH_MAX, JPARSE_VALUES_MAX. */
void jparse_limits_default(struct jparse_limits *lim);

/*
 * Parse data[0..len) as one JSON document.  lim may be NULL for the
 * defaults; err may be NULL.  On success doc owns the tree (free it with
 * jparse_free()) and 0 is returned.  On failure doc holds nothing (it is
 * still safe to jparse_free()) and the return is:
 *   ERR_TRUNC      the input ends inside the document (every proper prefix
 *                  of a valid document gives this);
 *   ERR_MALFORMED  anything else that breaks the grammar or the rules above;
 *   ERR_RANGE      over a limit (input size, depth, number of values);
 *   ERR_NOMEM.
 * data may contain any bytes (NUL included); it is only read, through
 * struct buf, and need not stay valid after the call.
 */
int jparse_parse(const void *data, size_t len, const struct jparse_limits *lim,
    struct jparse_doc *doc, struct jparse_error *err);
/* Release the arena; safe on a zeroed or failed doc, and twice. */
void jparse_free(struct jparse_doc *doc);

/* ---- navigation; every helper accepts NULL and returns NULL/0/false ---- */

/* v is non-NULL and of type t. */
bool jparse_is(const struct jparse_value *v, enum jparse_type t);
/* Member `key` of an object (exact byte comparison), or NULL if v is not an
 * object or has no such member. */
const struct jparse_value *jparse_obj_get(const struct jparse_value *obj, const char *key);
/* Children of an array or object; 0 for anything else. */
size_t jparse_len(const struct jparse_value *v);
/* Element i of an array (O(i)), or NULL. */
const struct jparse_value *jparse_arr_get(const struct jparse_value *arr, size_t i);
/* First child of an array/object and the sibling after v, for iteration. */
const struct jparse_value *jparse_first(const struct jparse_value *v);
const struct jparse_value *jparse_next(const struct jparse_value *v);

/* ---- typed access: 0, or ERR_MALFORMED (wrong type), ERR_RANGE ---- */

int jparse_get_bool(const struct jparse_value *v, bool *out);
/* A string without embedded NUL: *s (NUL-terminated, owned by the doc) and
 * *len (may be NULL).  ERR_MALFORMED for another type or an embedded NUL. */
int jparse_get_str(const struct jparse_value *v, const char **s, size_t *len);
/* An integer written without fraction or exponent ("-0" is 0).
 * ERR_MALFORMED if not such a number; ERR_RANGE if it does not fit. */
int jparse_get_i64(const struct jparse_value *v, int64_t *out);
int jparse_get_u64(const struct jparse_value *v, uint64_t *out);
/* Any number, as the nearest double (strtod, C locale assumed).
 * ERR_RANGE if its magnitude is too large for a double (e.g. 1e999);
 * values too small round towards 0, as in every JSON reader. */
int jparse_get_double(const struct jparse_value *v, double *out);

#endif
