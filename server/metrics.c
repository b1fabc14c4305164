/*
 * metrics.c - Prometheus text exposition format 0.0.4 writer and the pure
 * request decision of the scrape endpoint.
 *
 * Format (prometheus.io/docs/instrumenting/exposition_formats, "Text-based
 * format"): lines end in '\n'; "# HELP name text" with \\ and \n escaped;
 * "# TYPE name counter|gauge" before the family's first sample; samples
 * "name{label="value",...} value" with \\, \" and \n escaped in values;
 * all samples of a family form one group.  The API makes the grouping
 * structural (samples belong to the open family) and refuses a family
 * name seen before, tracked by a 64-bit FNV-1a hash per family.
 *
 * Invariants: the first error sticks and nothing is written after it;
 * output is valid UTF-8 (ill-formed input bytes become U+FFFD, maximal
 * subparts as in Unicode 3.9); no label value or HELP text can end a line.
 *
 * HTTP: RFC 9112 request-line and field-line syntax, strictly; everything
 * read goes through struct buf, and only the first METRICS_HTTP_REQ_MAX
 * bytes are ever looked at.
 */
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "metrics.h"

enum {
	METRICS_ALLOC_MIN = 4096,
};

static const uint8_t replacement[3] = { 0xef, 0xbf, 0xbd };	/* U+FFFD */

void
metrics_init(struct metrics *m, void *mem, size_t cap)
{
	memset(m, 0, sizeof(*m));
	wbuf_init(&m->w, mem, cap);
}

void
metrics_init_alloc(struct metrics *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	wbuf_init(&m->w, NULL, 0);
	m->max = max;
}

void
metrics_free(struct metrics *m)
{
	if (m->max != 0)
		free(m->w.p);
	m->w.p = NULL;
	m->w.cap = m->w.len = 0;
}

static int
fail(struct metrics *m, int err)
{
	if (m->err == 0)
		m->err = err;
	return m->err;
}

static int
put(struct metrics *m, const void *data, size_t n)
{
	size_t need, ncap;
	uint8_t *np;

	if (m->err != 0)
		return m->err;
	if (n == 0)
		return 0;
	if (n > wbuf_room(&m->w)) {
		if (m->max == 0 || n > m->max - m->w.len)
			return fail(m, ERR_OVERFLOW);
		need = m->w.len + n;
		ncap = m->w.cap < METRICS_ALLOC_MIN ? METRICS_ALLOC_MIN : m->w.cap;
		while (ncap < need)
			ncap = ncap > m->max / 2 ? m->max : ncap * 2;
		if (ncap > m->max)
			ncap = m->max;
		if ((np = realloc(m->w.p, ncap)) == NULL)
			return fail(m, ERR_NOMEM);
		m->w.p = np;
		m->w.cap = ncap;
	}
	if (wbuf_put_bytes(&m->w, data, n) != 0)
		return fail(m, ERR_OVERFLOW);
	return 0;
}

static int
puts_(struct metrics *m, const char *s)
{
	return put(m, s, strlen(s));
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n), or 0 if ill-formed,
 * with *adv the maximal subpart to replace (>= 1).  Same rules as json.c.
 */
static size_t
utf8_len(const uint8_t *s, size_t n, size_t *adv)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*adv = 1;
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*adv = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*adv = need + 1;
	return need + 1;
}

/* Escape \\ and \n, and \" when quoted (label values), fix UTF-8. */
static int
put_escaped(struct metrics *m, const char *str, bool quoted)
{
	const uint8_t *s = (const uint8_t *)(str != NULL ? str : "");
	size_t n = strlen((const char *)s), i = 0, run = 0, adv;

	while (i < n) {
		if (s[i] >= 0x80) {
			if (utf8_len(s + i, n - i, &adv) != 0) {
				i += adv;
				continue;
			}
			put(m, s + run, i - run);
			put(m, replacement, sizeof(replacement));
		} else if (s[i] == '\\' || s[i] == '\n' || (quoted && s[i] == '"')) {
			put(m, s + run, i - run);
			put(m, s[i] == '\\' ? "\\\\" : s[i] == '\n' ? "\\n" : "\\\"", 2);
			adv = 1;
		} else {
			i++;
			continue;
		}
		i += adv;
		run = i;
	}
	return put(m, s + run, i - run);
}

static bool
name_valid(const char *name, bool colon)
{
	size_t i;
	char c;

	if (name == NULL || name[0] == '\0' || strlen(name) > METRICS_NAME_MAX)
		return false;
	for (i = 0; (c = name[i]) != '\0'; i++) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		    (colon && c == ':'))
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return false;
	}
	return true;
}

bool
metrics_name_valid(const char *name)
{
	return name_valid(name, true);
}

bool
metrics_label_name_valid(const char *name)
{
	return name_valid(name, false) && strncmp(name, "__", 2) != 0;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	return h;
}

int
metrics_family(struct metrics *m, const char *name, enum metrics_type type,
    const char *help)
{
	uint64_t h;
	size_t i;

	if (m->err != 0)
		return m->err;
	if (!metrics_name_valid(name) ||
	    (type != METRICS_COUNTER && type != METRICS_GAUGE))
		return fail(m, ERR_INVAL);
	h = fnv1a(name);
	for (i = 0; i < m->nfamilies; i++)
		if (m->seen[i] == h)
			return fail(m, ERR_EXISTS);
	if (m->nfamilies == METRICS_MAX_FAMILIES)
		return fail(m, ERR_FULL);
	if (help != NULL) {
		puts_(m, "# HELP ");
		puts_(m, name);
		puts_(m, " ");
		put_escaped(m, help, false);
		puts_(m, "\n");
	}
	puts_(m, "# TYPE ");
	puts_(m, name);
	puts_(m, type == METRICS_COUNTER ? " counter\n" : " gauge\n");
	if (m->err != 0)
		return m->err;
	m->seen[m->nfamilies++] = h;
	snprintf(m->family, sizeof(m->family), "%s", name);
	m->in_family = true;
	return 0;
}

static int
check_labels(const struct metrics_label *l, size_t n)
{
	size_t i, k;

	if (n > METRICS_MAX_LABELS || (n > 0 && l == NULL))
		return ERR_INVAL;
	for (i = 0; i < n; i++) {
		if (!metrics_label_name_valid(l[i].name))
			return ERR_INVAL;
		for (k = 0; k < i; k++)
			if (strcmp(l[k].name, l[i].name) == 0)
				return ERR_INVAL;
	}
	return 0;
}

/* name{labels} value\n, with the value already formatted. */
static int
sample(struct metrics *m, const struct metrics_label *l, size_t n, const char *value)
{
	size_t i;
	int rc;

	if (m->err != 0)
		return m->err;
	if (!m->in_family)
		return fail(m, ERR_BADSTATE);
	if ((rc = check_labels(l, n)) != 0)
		return fail(m, rc);
	puts_(m, m->family);
	if (n > 0) {
		puts_(m, "{");
		for (i = 0; i < n; i++) {
			if (i > 0)
				puts_(m, ",");
			puts_(m, l[i].name);
			puts_(m, "=\"");
			put_escaped(m, l[i].value, true);
			puts_(m, "\"");
		}
		puts_(m, "}");
	}
	puts_(m, " ");
	puts_(m, value);
	return puts_(m, "\n");
}

int
metrics_sample_u64(struct metrics *m, const struct metrics_label *labels,
    size_t n, uint64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, value);
	return sample(m, labels, n, tmp);
}

int
metrics_sample_double(struct metrics *m, const struct metrics_label *labels,
    size_t n, double value)
{
	char tmp[40];

	if (isnan(value))
		snprintf(tmp, sizeof(tmp), "NaN");
	else if (isinf(value))
		snprintf(tmp, sizeof(tmp), "%s", value > 0 ? "+Inf" : "-Inf");
	else
		snprintf(tmp, sizeof(tmp), "%.17g", value);
	return sample(m, labels, n, tmp);
}

int
metrics_error(const struct metrics *m)
{
	return m->err;
}

const uint8_t *
metrics_data(const struct metrics *m, size_t *len)
{
	if (len != NULL)
		*len = m->w.len;
	return m->w.p;
}

/* ---- HTTP ---- */

/*
 * Cut the next line (without CRLF or LF) off b into line.  ERR_AGAIN if no
 * LF yet.  A CR anywhere but right before the LF is left in the line, where
 * the syntax checks refuse it.
 */
static int
next_line(struct buf *b, struct buf *line)
{
	size_t i, left = buf_left(b);
	struct buf crlf;
	uint8_t c, cr;

	for (i = 0; i < left; i++) {
		if (buf_peek_u8(b, i, &c) != 0)
			return ERR_AGAIN;
		if (c != '\n')
			continue;
		if (buf_get_sub(b, i, line) != 0 || buf_skip(b, 1) != 0)
			return ERR_AGAIN;
		if (i > 0 && buf_peek_u8(line, i - 1, &cr) == 0 && cr == '\r')
			buf_get_tail(line, 1, &crlf);
		return 0;
	}
	return ERR_AGAIN;
}

static bool
is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* method SP request-target SP HTTP-version; *ok_target if GET /metrics. */
static bool
request_line(struct buf *line, bool *is_metrics)
{
	char s[METRICS_HTTP_REQ_MAX + 1], *sp1, *sp2, *target;
	size_t n = buf_left(line), i;

	if (buf_get_bytes(line, s, n) != 0 || memchr(s, '\0', n) != NULL)
		return false;
	s[n] = '\0';
	if ((sp1 = strchr(s, ' ')) == NULL || sp1 == s ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || sp2 == sp1 + 1)
		return false;
	for (i = 0; s + i < sp1; i++)
		if (!is_tchar((uint8_t)s[i]))
			return false;
	for (target = sp1 + 1; target < sp2; target++)
		if ((uint8_t)*target <= 0x20 || (uint8_t)*target >= 0x7f)
			return false;
	if (strcmp(sp2 + 1, "HTTP/1.0") != 0 && strcmp(sp2 + 1, "HTTP/1.1") != 0)
		return false;
	*sp1 = *sp2 = '\0';
	target = sp1 + 1;
	*is_metrics = strcmp(s, "GET") == 0 &&
	    (strcmp(target, "/metrics") == 0 || strncmp(target, "/metrics?", 9) == 0);
	return true;
}

/* field-name ":" OWS field-value OWS; no obs-fold, no control bytes. */
static bool
header_line(struct buf *line)
{
	bool in_name = true, seen_name = false;
	uint8_t c;

	if (buf_peek_u8(line, 0, &c) == 0 && (c == ' ' || c == '\t'))
		return false;	/* obs-fold, refused as RFC 9112 5.2 allows */
	while (buf_get_u8(line, &c) == 0) {
		if (in_name) {
			if (c == ':') {
				if (!seen_name)
					return false;
				in_name = false;
			} else if (!is_tchar(c))
				return false;
			seen_name = true;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return !in_name;
}

/*
 * Can the unterminated rest of the input still become a valid line?  Lets
 * a client that speaks something else (TLS, binary) get its 400 at once
 * instead of after METRICS_HTTP_REQ_MAX bytes.
 */
static bool
partial_line_ok(const struct buf *b, bool first)
{
	size_t i;
	uint8_t c;

	for (i = 0; buf_peek_u8(b, i, &c) == 0; i++) {
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return false;
		if (first && (c >= 0x80 || c == '\t'))
			return false;
	}
	return true;
}

int
metrics_http_decide(const void *req, size_t len, int *status)
{
	struct buf b, line;
	bool first = true, is_metrics = false;

	buf_init(&b, req, len < METRICS_HTTP_REQ_MAX ? len : METRICS_HTTP_REQ_MAX);
	for (;;) {
		if (next_line(&b, &line) != 0) {
			if (len < METRICS_HTTP_REQ_MAX && partial_line_ok(&b, first))
				return ERR_AGAIN;
			break;	/* hopeless, or no end of headers within the cap */
		}
		if (first) {
			if (!request_line(&line, &is_metrics))
				break;
			first = false;
			continue;
		}
		if (buf_empty(&line)) {
			*status = is_metrics ? 200 : 404;
			return 0;
		}
		if (!header_line(&line))
			break;
	}
	*status = 400;
	return 0;
}

int
metrics_http_head(int status, size_t body_len, struct wbuf *w)
{
	char tmp[METRICS_HTTP_HEAD_MAX];
	const char *reason, *body;
	int n;

	switch (status) {
	case 200:
		n = snprintf(tmp, sizeof(tmp), "HTTP/1.0 200 OK\r\n"
		    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
		return wbuf_put_bytes(w, tmp, (size_t)n);
	case 400:
		reason = "Bad Request";
		body = "bad request\n";
		break;
	case 404:
		reason = "Not Found";
		body = "not found\n";
		break;
	default:
		return ERR_INVAL;
	}
	n = snprintf(tmp, sizeof(tmp), "HTTP/1.0 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    status, reason, strlen(body), body);
	return wbuf_put_bytes(w, tmp, (size_t)n);
}
