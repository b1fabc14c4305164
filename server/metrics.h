/*
 * metrics.h - Prometheus text exposition format 0.0.4, and the decisions of
 * a minimal HTTP/1.0 responder for the scrape endpoint.
 *
 * Exposition: a family starts with metrics_family(), which writes its
 * "# HELP" and "# TYPE" lines; its samples follow through metrics_sample_*()
 * until the next family starts, so a family's samples are always together
 * and always after their TYPE line.  A family name may appear only once.
 * Sample names equal the family name (counters should be named *_total by
 * the caller, as Prometheus conventions ask).
 *
 * Validity: metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__" (reserved) nor repeat
 * within a sample.  Label values and HELP text may hold any bytes: they are
 * escaped (label values: \\ \" \n; HELP: \\ \n) and ill-formed UTF-8 is
 * replaced by U+FFFD, so peer-chosen strings (a common name) are safe.
 *
 * Errors are sticky like struct wbuf's overflow: the first one is kept,
 * later calls return it and write nothing; check metrics_error() once.
 * Memory: metrics_init() uses caller memory; metrics_init_alloc() owns a
 * heap buffer growing to `max` bytes, freed by metrics_free().
 *
 * HTTP: metrics_http_decide() is pure: it looks at the bytes received so
 * far and says whether to wait or what status to answer; metrics_http_head()
 * builds the response head.  One request per connection, then close.
 */
#ifndef OVPN_METRICS_H
#define OVPN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
	METRICS_NAME_MAX = 200,		/* bytes in a metric or label name */
	METRICS_MAX_FAMILIES = 256,	/* per exposition */
	METRICS_MAX_LABELS = 16,	/* per sample */
	METRICS_HTTP_REQ_MAX = 4096,	/* request line + headers; more is 400 */
	METRICS_HTTP_HEAD_MAX = 256,	/* room metrics_http_head() may need */
};

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
};

struct metrics_label {
	const char *name;
	const char *value;	/* any bytes; NULL is "" */
};

struct metrics {
	struct wbuf w;
	size_t max;		/* heap growth limit; 0 = caller memory */
	int err;		/* sticky first error */
	bool in_family;
	char family[METRICS_NAME_MAX + 1];
	size_t nfamilies;
	uint64_t seen[METRICS_MAX_FAMILIES];	/* FNV-1a of family names */
};

void metrics_init(struct metrics *m, void *mem, size_t cap);
void metrics_init_alloc(struct metrics *m, size_t max);
/* Frees the heap buffer of metrics_init_alloc(); no-op for caller memory. */
void metrics_free(struct metrics *m);

/*
 * Start a family: "# HELP name help" (omitted if help is NULL) and
 * "# TYPE name counter|gauge".  Returns 0 or the sticky error: ERR_INVAL
 * (bad name or type), ERR_EXISTS (family already written), ERR_FULL (more
 * than METRICS_MAX_FAMILIES), ERR_OVERFLOW, ERR_NOMEM.
 */
int metrics_family(struct metrics *m, const char *name, enum metrics_type type,
    const char *help);
/*
 * One sample of the current family: name{l1="v1",...} value.  n may be 0
 * (labels then unused).  Returns 0 or the sticky error: ERR_BADSTATE (no
 * family yet), ERR_INVAL (bad, reserved or repeated label name, or more
 * than METRICS_MAX_LABELS), ERR_OVERFLOW, ERR_NOMEM.
 */
int metrics_sample_u64(struct metrics *m, const struct metrics_label *labels,
    size_t n, uint64_t value);
/* As above; NaN and infinities are written as NaN, +Inf, -Inf. */
int metrics_sample_double(struct metrics *m, const struct metrics_label *labels,
    size_t n, double value);

int metrics_error(const struct metrics *m);
/* The exposition text so far (not NUL-terminated) and its length. */
const uint8_t *metrics_data(const struct metrics *m, size_t *len);

bool metrics_name_valid(const char *name);
bool metrics_label_name_valid(const char *name);

/*
 * Decide on the request in req[0..len), the bytes received so far.
 * Returns ERR_AGAIN while the header section is incomplete and could still
 * become valid; otherwise 0 with *status set:
 *   200  "GET /metrics" (a query string is allowed and ignored), HTTP/1.0 or 1.1
 *   404  any other method or target in a well-formed request
 *   400  malformed request line or header, control bytes, another HTTP
 *        version, or no end of headers within METRICS_HTTP_REQ_MAX bytes
 * A 400 is decided as soon as a complete bad line is seen.  Bytes after the
 * blank line are ignored.  Reads only the first METRICS_HTTP_REQ_MAX bytes.
 */
int metrics_http_decide(const void *req, size_t len, int *status);
/*
 * Append the response head for status to w.  For 200 it announces a
 * text/plain; version=0.0.4 body of body_len bytes that the caller sends
 * next; for 400 and 404 it also writes a short text body itself and
 * body_len is ignored.  Every response says "Connection: close".
 * Returns 0, ERR_INVAL (other status) or ERR_OVERFLOW.
 */
int metrics_http_head(int status, size_t body_len, struct wbuf *w);

#endif
