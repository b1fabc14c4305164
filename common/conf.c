/*
 * conf.c - OpenVPN 2.6 config syntax and table-driven dispatch.
 *
 * The tokenizer is the state machine of 2.6's parse_line() (options.c):
 * states INITIAL / UNQUOTED / DQUOTED / SQUOTED and a one-character
 * "backslash pending" flag that is cleared after every character.  The
 * quirks are kept on purpose so that a file means the same here as in 2.6:
 * a comment character is recognised at a token start even right after a
 * backslash, quotes only count at a token start, and a backslash before the
 * end of the line is harmless between tokens but an error inside one.  We
 * differ only where 2.6 would silently drop input (too many tokens, NUL
 * bytes, over-long lines): those are errors here.
 *
 * Inline blocks follow check_inline_file()/read_inline_file(): the opening
 * line must hold the single token "<tag>", the body is kept byte for byte,
 * and the block ends at the first line whose first non-blank text starts with
 * "</tag>".  The body buffer only grows by allocate-copy-wipe, never realloc,
 * so no stray copy of an inline key is left in freed memory.
 *
 * Invariants: the parser holds no pointer into caller memory after a call
 * returns (except `file`, documented); every buffer write is bounded by an
 * explicit capacity check; the first error is sticky.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"

enum tok_state { ST_INITIAL, ST_UNQUOTED, ST_DQUOTED, ST_SQUOTED };

/* 2.6's space(): the terminating NUL counts as whitespace. */
static bool
is_space(int c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void
wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
conf_tokenize(const char *line, size_t len, char *store, size_t cap,
    const char *argv[CONF_MAX_TOKENS + 1], unsigned *argc, const char **why)
{
	enum tok_state st = ST_INITIAL;
	bool backslash = false;
	size_t used = 0, start = 0, i;
	unsigned n = 0;

	*argc = 0;
	argv[0] = NULL;
	/* 2.6 would stop at the NUL (fgets/strlen) and drop the rest silently. */
	if (memchr(line, '\0', len) != NULL) {
		*why = "NUL byte in line";
		return ERR_CONFIG;
	}
	/* i == len plays the role of 2.6's terminating NUL. */
	for (i = 0; i <= len; i++) {
		int in = i < len ? (unsigned char)line[i] : '\0';
		int out = -1;
		bool done = false;

		if (!backslash && in == '\\' && st != ST_SQUOTED) {
			backslash = true;
			continue;
		}
		switch (st) {
		case ST_INITIAL:
			if (is_space(in))
				break;
			if (in == '#' || in == ';')
				goto end;
			if (n == CONF_MAX_TOKENS) {
				*why = "too many tokens on one line (at most 16)";
				return ERR_CONFIG;
			}
			start = used;
			if (!backslash && in == '"')
				st = ST_DQUOTED;
			else if (!backslash && in == '\'')
				st = ST_SQUOTED;
			else {
				out = in;
				st = ST_UNQUOTED;
			}
			break;
		case ST_UNQUOTED:
			if (!backslash && is_space(in))
				done = true;
			else
				out = in;
			break;
		case ST_DQUOTED:
			if (!backslash && in == '"')
				done = true;
			else
				out = in;
			break;
		case ST_SQUOTED:
			if (in == '\'')
				done = true;
			else
				out = in;
			break;
		}
		if (backslash && out > 0 && !(out == '\\' || out == '"' || is_space(out))) {
			*why = "bad backslash escape (only \\\\, \\\" and \\<space> are allowed; "
			    "write Windows paths with double backslashes)";
			return ERR_CONFIG;
		}
		backslash = false;
		/* A NUL "character" (end of line after a backslash) stores nothing, as in 2.6. */
		if (out > 0) {
			if (used + 1 >= cap) {
				*why = "line too long";
				return ERR_CONFIG;
			}
			store[used++] = (char)out;
		}
		if (done) {
			if (used >= cap) {
				*why = "line too long";
				return ERR_CONFIG;
			}
			store[used++] = '\0';
			argv[n++] = store + start;
			st = ST_INITIAL;
		}
	}
end:
	switch (st) {
	case ST_INITIAL:
		break;
	case ST_DQUOTED:
		*why = "no closing quotation (\")";
		return ERR_CONFIG;
	case ST_SQUOTED:
		*why = "no closing single quotation (')";
		return ERR_CONFIG;
	case ST_UNQUOTED:
		/* Only reachable when the line ends in "\": the NUL was escaped. */
		*why = "line ends with a backslash";
		return ERR_CONFIG;
	}
	argv[n] = NULL;
	*argc = n;
	return 0;
}

/* Replace control characters so messages cannot carry terminal escapes. */
static void
sanitise(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

static int
verrf(struct conf_err *err, const char *file, unsigned lineno, const char *fmt, va_list ap)
{
	int k;

	if (lineno > 0)
		k = snprintf(err->msg, sizeof(err->msg), "%s:%u: ", file, lineno);
	else
		k = snprintf(err->msg, sizeof(err->msg), "%s: ", file);
	if (k < 0)
		k = 0;
	if ((size_t)k < sizeof(err->msg))
		vsnprintf(err->msg + k, sizeof(err->msg) - (size_t)k, fmt, ap);
	sanitise(err->msg);
	return ERR_CONFIG;
}

int
conf_errf(struct conf_err *err, const struct conf_line *line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, line->file, line->lineno > 0 ? line->lineno : 1, fmt, ap);
	va_end(ap);
	return ERR_CONFIG;
}

int
conf_errf_file(struct conf_err *err, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, file, 0, fmt, ap);
	va_end(ap);
	return ERR_CONFIG;
}

static int
parser_fail(struct conf_parser *p, unsigned lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
parser_fail(struct conf_parser *p, unsigned lineno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(&p->err, p->file, lineno, fmt, ap);
	va_end(ap);
	p->status = ERR_CONFIG;
	return ERR_CONFIG;
}

static int
cmp_name(const void *key, const void *elem)
{
	const struct conf_directive *d = elem;

	return strcmp(key, d->name);
}

const struct conf_directive *
conf_lookup(const struct conf_directive *table, size_t n, const char *name)
{
	if (table == NULL || n == 0)
		return NULL;
	return bsearch(name, table, n, sizeof(*table), cmp_name);
}

bool
conf_table_check(const struct conf_directive *table, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (table[i].name == NULL || table[i].handler == NULL)
			return false;
		if (table[i].min_args > table[i].max_args)
			return false;
		if (i > 0 && strcmp(table[i - 1].name, table[i].name) >= 0)
			return false;
	}
	return true;
}

void
conf_parser_init(struct conf_parser *p, const struct conf_directive *table, size_t n,
    unsigned scope, const char *file, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->table = table;
	p->n = n;
	p->scope = scope;
	p->file = file;
	p->ctx = ctx;
}

void
conf_parser_free(struct conf_parser *p)
{
	if (p->body != NULL) {
		wipe(p->body, p->body_cap);
		free(p->body);
	}
	p->body = NULL;
	p->body_len = p->body_cap = 0;
	p->in_inline = false;
}

static const char *
scope_name(unsigned scope)
{
	if (scope & CONF_SCOPE_SERVER)
		return "a server config";
	if (scope & CONF_SCOPE_CLIENT)
		return "a client config";
	if (scope & CONF_SCOPE_CCD)
		return "a client-config-dir file";
	return "a pushed option";
}

static void
arg_count_text(const struct conf_directive *d, char *out, size_t cap)
{
	if (d->min_args == d->max_args)
		snprintf(out, cap, "%u argument%s", d->min_args, d->min_args == 1 ? "" : "s");
	else if (d->max_args == CONF_ARGS_ANY)
		snprintf(out, cap, "at least %u argument%s", d->min_args, d->min_args == 1 ? "" : "s");
	else
		snprintf(out, cap, "%u to %u arguments", d->min_args, d->max_args);
}

static int
dispatch(struct conf_parser *p, struct conf_line *l)
{
	const struct conf_directive *d;
	unsigned nargs = l->argc - 1;
	char want[48];
	int r;

	d = conf_lookup(p->table, p->n, l->argv[0]);
	if (d == NULL)
		return parser_fail(p, l->lineno, "unknown directive '%s'", l->argv[0]);
	if (!(d->scope & p->scope))
		return parser_fail(p, l->lineno, "'%s' is not allowed in %s", d->name,
		    scope_name(p->scope));
	if (l->is_inline) {
		if (!d->inline_ok)
			return parser_fail(p, l->lineno, "'%s' cannot be given as an inline block",
			    d->name);
	} else if (nargs < d->min_args || nargs > d->max_args) {
		arg_count_text(d, want, sizeof(want));
		return parser_fail(p, l->lineno, "'%s' takes %s, got %u", d->name, want, nargs);
	}
	r = d->handler(p->ctx, d, l, &p->err);
	if (r != 0) {
		/* A handler that forgot its message still yields a located error. */
		if (p->err.msg[0] == '\0')
			parser_fail(p, l->lineno, "%s: invalid (%s)", d->name, err_str(r));
		p->status = ERR_CONFIG;
		return ERR_CONFIG;
	}
	return 0;
}

/* Does this line close the open block?  2.6: skip leading isspace, then the
 * line must start with "</tag>"; the rest of the line is ignored. */
static bool
is_close_tag(const struct conf_parser *p, const char *line, size_t len)
{
	size_t i = 0, tl = strlen(p->tag);

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	if (len - i < tl + 3)
		return false;
	return line[i] == '<' && line[i + 1] == '/' && memcmp(line + i + 2, p->tag, tl) == 0 &&
	    line[i + 2 + tl] == '>';
}

static int
body_append(struct conf_parser *p, const char *line, size_t len)
{
	size_t need;
	char *nb;

	/* line + '\n' + final NUL must fit under the cap */
	if (len >= CONF_INLINE_MAX || p->body_len + len + 1 > CONF_INLINE_MAX)
		return parser_fail(p, p->inline_lineno, "inline <%s> block is larger than %u bytes",
		    p->tag, (unsigned)CONF_INLINE_MAX);
	need = p->body_len + len + 2;
	if (need > p->body_cap) {
		size_t ncap = p->body_cap ? p->body_cap : 4096;

		while (ncap < need)
			ncap *= 2;
		if ((nb = malloc(ncap)) == NULL)
			return parser_fail(p, p->inline_lineno, "out of memory");
		if (p->body_len > 0)
			memcpy(nb, p->body, p->body_len);
		if (p->body != NULL) {
			wipe(p->body, p->body_cap);
			free(p->body);
		}
		p->body = nb;
		p->body_cap = ncap;
	}
	memcpy(p->body + p->body_len, line, len);
	p->body_len += len;
	p->body[p->body_len++] = '\n';
	p->body[p->body_len] = '\0';
	return 0;
}

static int
feed_inline(struct conf_parser *p, const char *line, size_t len)
{
	struct conf_line l;
	int r;

	if (memchr(line, '\0', len) != NULL)
		return parser_fail(p, p->lineno, "NUL byte in inline <%s> block", p->tag);
	if (!is_close_tag(p, line, len))
		return body_append(p, line, len);

	memset(&l, 0, sizeof(l));
	l.file = p->file;
	l.lineno = p->inline_lineno;
	l.argc = 1;
	l.argv[0] = p->tag;
	l.is_inline = true;
	l.data = p->body != NULL ? p->body : "";
	l.len = p->body_len;
	p->in_inline = false;
	r = dispatch(p, &l);
	/* The handler has copied what it keeps; do not leave key text behind. */
	wipe(p->body, p->body_len);
	p->body_len = 0;
	return r;
}

int
conf_feed_line(struct conf_parser *p, const char *line, size_t len)
{
	char store[CONF_LINE_MAX + CONF_MAX_TOKENS + 1];
	struct conf_line l;
	const char *why = NULL;
	size_t tl;
	int r;

	if (p->status != 0)
		return p->status;
	p->lineno++;
	if (p->in_inline)
		return feed_inline(p, line, len);

	/* UTF-8 BOM on the first line, as 2.6. */
	if (p->lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (len > CONF_LINE_MAX)
		return parser_fail(p, p->lineno, "line is too long (%zu bytes, at most %u)", len,
		    (unsigned)CONF_LINE_MAX);

	memset(&l, 0, sizeof(l));
	r = conf_tokenize(line, len, store, sizeof(store), l.argv, &l.argc, &why);
	if (r != 0)
		r = parser_fail(p, p->lineno, "%s", why);
	else if (l.argc == 0)
		r = 0;
	else {
		l.file = p->file;
		l.lineno = p->lineno;
		/* 2.6 bypass_doubledash(): only when something follows the dashes. */
		if (strlen(l.argv[0]) >= 3 && strncmp(l.argv[0], "--", 2) == 0)
			l.argv[0] += 2;
		tl = strlen(l.argv[0]);
		if (tl >= 2 && l.argv[0][0] == '<' && l.argv[0][tl - 1] == '>') {
			if (l.argv[0][1] == '/')
				r = parser_fail(p, p->lineno, "'%s' without an opening tag", l.argv[0]);
			else if (l.argc > 1)
				r = parser_fail(p, p->lineno, "inline tag '%s' must be alone on its line",
				    l.argv[0]);
			else if (tl == 2 || tl - 2 > CONF_TAG_MAX)
				r = parser_fail(p, p->lineno, "bad inline tag '%s'", l.argv[0]);
			else {
				memcpy(p->tag, l.argv[0] + 1, tl - 2);
				p->tag[tl - 2] = '\0';
				p->in_inline = true;
				p->inline_lineno = p->lineno;
				p->body_len = 0;
				r = 0;
			}
		} else
			r = dispatch(p, &l);
	}
	/* Directive lines can carry secrets too (e.g. a password argument). */
	wipe(store, sizeof(store));
	return r;
}

int
conf_finish(struct conf_parser *p)
{
	if (p->status != 0)
		return p->status;
	if (p->in_inline)
		return parser_fail(p, p->inline_lineno, "inline <%s> block has no closing </%s>",
		    p->tag, p->tag);
	return 0;
}

int
conf_parse_buf(const struct conf_directive *table, size_t n, unsigned scope, const char *name,
    const char *text, size_t len, void *ctx, struct conf_err *err)
{
	struct conf_parser p;
	size_t off = 0;
	int r = 0;

	conf_parser_init(&p, table, n, scope, name, ctx);
	while (off < len && r == 0) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - (text + off)) : len - off;

		r = conf_feed_line(&p, text + off, ll);
		off += ll + (nl != NULL ? 1 : 0);
	}
	if (r == 0)
		r = conf_finish(&p);
	if (r != 0)
		*err = p.err;
	conf_parser_free(&p);
	return r;
}

int
conf_parse_file(const struct conf_directive *table, size_t n, unsigned scope, const char *path,
    void *ctx, struct conf_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return conf_errf_file(err, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		r = conf_errf_file(err, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = conf_errf_file(err, path, "not a regular file");
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		r = conf_errf_file(err, path, "file is larger than %u bytes", (unsigned)CONF_FILE_MAX);
		goto out;
	}
	/* One byte spare so a file that grew since fstat is noticed. */
	cap = (size_t)st.st_size + 1;
	if ((text = malloc(cap)) == NULL) {
		r = conf_errf_file(err, path, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, text + len, cap - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = conf_errf_file(err, path, "read error: %s", strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len == cap) {
			r = conf_errf_file(err, path, "file changed while being read");
			goto out;
		}
	}
	r = conf_parse_buf(table, n, scope, path, text, len, ctx, err);
out:
	if (text != NULL) {
		wipe(text, cap);
		free(text);
	}
	close(fd);
	return r;
}

static int
arg_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 10)
		return ERR_RANGE;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ERR_RANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return ERR_RANGE;
	*out = (uint32_t)v;
	return 0;
}

int
conf_arg_u32(const struct conf_line *line, unsigned i, uint32_t min, uint32_t max, uint32_t *out,
    struct conf_err *err)
{
	if (i >= line->argc || arg_u32(line->argv[i], min, max, out) != 0)
		return conf_errf(err, line, "%s: '%s' is not a number (%u-%u)", line->argv[0],
		    i < line->argc ? line->argv[i] : "", min, max);
	return 0;
}

int
conf_arg_port(const struct conf_line *line, unsigned i, uint16_t *out, struct conf_err *err)
{
	uint32_t v;

	if (i >= line->argc || arg_u32(line->argv[i], 1, 65535, &v) != 0)
		return conf_errf(err, line, "%s: '%s' is not a port number (1-65535)", line->argv[0],
		    i < line->argc ? line->argv[i] : "");
	*out = (uint16_t)v;
	return 0;
}

void
conf_print_token(FILE *f, const char *s)
{
	bool quote = s[0] == '\0' || s[0] == '#' || s[0] == ';' || s[0] == '<';
	const char *c;

	for (c = s; *c != '\0' && !quote; c++)
		if (is_space((unsigned char)*c) || *c == '"' || *c == '\'' || *c == '\\')
			quote = true;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (c = s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

void
conf_print_table(FILE *f, const struct conf_directive *table, size_t n, const void *obj)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].print != NULL)
			table[i].print(f, &table[i], obj);
}
