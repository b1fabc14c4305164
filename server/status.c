/*
 * status.c - OpenVPN 2.6 status report text (docs/management-interface.md §5).
 *
 * Design: every output line is assembled in a small string builder (a 1 KiB
 * stack buffer that moves to the heap only for an unusually long line) and
 * handed whole to the caller's callback, terminator included.  Fields are
 * appended either as numbers or through sb_field(), which maps control
 * characters and commas to '_' so that caller data can never split a row,
 * add a line or shift a column.  The separator is ',' for versions 1 and 2
 * and TAB for version 3; version 1 always uses ','.
 *
 * Byte-for-byte facts reproduced here (2.6.14 multi_print_status(), checked
 * against the real binary, see t/unit/test_status.c):
 * - v1: "OpenVPN CLIENT LIST", "Updated,<date>", column titles, rows,
 *   "ROUTING TABLE", titles, rows, "GLOBAL STATS",
 *   "Max bcast/mcast queue length,N", "END"; no dco_enabled line.
 * - v2/v3: TITLE, TIME (date and unsigned time_t), HEADER lines (printed
 *   even with no rows), rows, two GLOBAL_STATS lines, END.
 * - dates: local time "%04d-%02d-%02d %02d:%02d:%02d"; a zero time_t means
 *   "now" (2.6's time_string(0) reads the clock; we use snapshot->now).
 * - route rows: the address is followed directly by "C" for cached routes.
 *
 * Invariant: after a callback error nothing more is emitted and that error
 * is returned.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "status.h"

enum { SB_STACK = 1024 };

struct sb {
	char *p;
	size_t len;
	size_t cap;
	bool heap;
	bool nomem;
	char stack[SB_STACK];
};

struct out {
	status_emit_fn emit;
	void *arg;
	const char *eol;
	char sep;
	time_t now;
	int err;
};

static void
sb_init(struct sb *sb)
{
	sb->p = sb->stack;
	sb->len = 0;
	sb->cap = sizeof(sb->stack);
	sb->heap = false;
	sb->nomem = false;
}

static void
sb_release(struct sb *sb)
{
	if (sb->heap)
		free(sb->p);
	sb_init(sb);
}

/* Make room for n more bytes plus a NUL; false (sticky) when out of memory. */
static bool
sb_room(struct sb *sb, size_t n)
{
	size_t want;
	char *np;

	if (sb->nomem)
		return false;
	if (n < sb->cap - sb->len)
		return true;
	if (n > SIZE_MAX / 2 - sb->len) {
		sb->nomem = true;
		return false;
	}
	want = (sb->len + n + 1) * 2;
	if (sb->heap) {
		np = realloc(sb->p, want);
	} else {
		np = malloc(want);
		if (np != NULL)
			memcpy(np, sb->p, sb->len);
	}
	if (np == NULL) {
		sb->nomem = true;
		return false;
	}
	sb->p = np;
	sb->cap = want;
	sb->heap = true;
	return true;
}

static void
sb_putn(struct sb *sb, const char *s, size_t n)
{
	if (!sb_room(sb, n))
		return;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
}

static void
sb_puts(struct sb *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static void
sb_putc(struct sb *sb, char c)
{
	sb_putn(sb, &c, 1);
}

/* A caller-supplied text field: control characters and commas become '_'. */
static void
sb_field(struct sb *sb, const char *s)
{
	size_t i, n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (!sb_room(sb, n))
		return;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		sb->p[sb->len++] = (c < 0x20 || c == 0x7f || c == ',') ? '_' : (char)c;
	}
}

static void
sb_name(struct sb *sb, const char *s)
{
	sb_field(sb, (s == NULL || s[0] == '\0') ? "UNDEF" : s);
}

static void
sb_u64(struct sb *sb, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	sb_puts(sb, tmp);
}

/* 2.6 casts time_t columns to unsigned int. */
static void
sb_time_t(struct sb *sb, time_t t)
{
	sb_u64(sb, (unsigned int)t);
}

static void
sb_date(struct sb *sb, time_t t, time_t now)
{
	struct tm tm;
	char tmp[64];

	if (t == 0)
		t = now;
	if (localtime_r(&t, &tm) == NULL) {
		sb_puts(sb, "0000-00-00 00:00:00");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	sb_puts(sb, tmp);
}

static void
sb_sep(struct sb *sb, const struct out *o)
{
	sb_putc(sb, o->sep);
}

/* Terminate the line, hand it over and reset the builder. */
static void
emit_line(struct out *o, struct sb *sb)
{
	if (o->err == 0) {
		sb_puts(sb, o->eol);
		if (sb->nomem)
			o->err = ERR_NOMEM;
		else
			o->err = o->emit(o->arg, sb->p, sb->len);
	}
	sb_release(sb);
}

static void
emit_text(struct out *o, const char *text)
{
	struct sb sb;

	sb_init(&sb);
	sb_puts(&sb, text);
	emit_line(o, &sb);
}

/* A fixed line whose fields are separated by o->sep, given as a list. */
static void
emit_list(struct out *o, const char *const *fields, size_t n)
{
	struct sb sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_sep(&sb, o);
		sb_puts(&sb, fields[i]);
	}
	emit_line(o, &sb);
}

static void
emit_v1(struct out *o, const struct status_snapshot *s)
{
	struct sb sb;
	size_t i;

	emit_text(o, "OpenVPN CLIENT LIST");
	sb_init(&sb);
	sb_puts(&sb, "Updated,");
	sb_date(&sb, s->now, s->now);
	emit_line(o, &sb);
	emit_text(o, "Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since");
	for (i = 0; i < s->nclients && o->err == 0; i++) {
		const struct status_client *c = &s->clients[i];

		sb_name(&sb, c->cn);
		sb_putc(&sb, ',');
		sb_field(&sb, c->real);
		sb_putc(&sb, ',');
		sb_u64(&sb, c->bytes_rx);
		sb_putc(&sb, ',');
		sb_u64(&sb, c->bytes_tx);
		sb_putc(&sb, ',');
		sb_date(&sb, c->connected_since, s->now);
		emit_line(o, &sb);
	}
	emit_text(o, "ROUTING TABLE");
	emit_text(o, "Virtual Address,Common Name,Real Address,Last Ref");
	for (i = 0; i < s->nroutes && o->err == 0; i++) {
		const struct status_route *r = &s->routes[i];

		sb_field(&sb, r->vaddr);
		if (r->cached)
			sb_putc(&sb, 'C');
		sb_putc(&sb, ',');
		sb_name(&sb, r->cn);
		sb_putc(&sb, ',');
		sb_field(&sb, r->real);
		sb_putc(&sb, ',');
		sb_date(&sb, r->last_ref, s->now);
		emit_line(o, &sb);
	}
	emit_text(o, "GLOBAL STATS");
	sb_puts(&sb, "Max bcast/mcast queue length,");
	sb_u64(&sb, (uint64_t)(unsigned)(s->max_bcast_mcast_queue < 0 ? 0 : s->max_bcast_mcast_queue));
	emit_line(o, &sb);
	emit_text(o, "END");
}

static void
emit_v23(struct out *o, const struct status_snapshot *s)
{
	static const char *const client_hdr[] = {
		"HEADER", "CLIENT_LIST", "Common Name", "Real Address", "Virtual Address",
		"Virtual IPv6 Address", "Bytes Received", "Bytes Sent", "Connected Since",
		"Connected Since (time_t)", "Username", "Client ID", "Peer ID",
		"Data Channel Cipher",
	};
	static const char *const route_hdr[] = {
		"HEADER", "ROUTING_TABLE", "Virtual Address", "Common Name", "Real Address",
		"Last Ref", "Last Ref (time_t)",
	};
	struct sb sb;
	size_t i;

	sb_init(&sb);
	sb_puts(&sb, "TITLE");
	sb_sep(&sb, o);
	/* the title is ours, but keep it on one line all the same */
	sb_field(&sb, s->title);
	emit_line(o, &sb);

	sb_puts(&sb, "TIME");
	sb_sep(&sb, o);
	sb_date(&sb, s->now, s->now);
	sb_sep(&sb, o);
	sb_time_t(&sb, s->now);
	emit_line(o, &sb);

	emit_list(o, client_hdr, sizeof(client_hdr) / sizeof(client_hdr[0]));
	for (i = 0; i < s->nclients && o->err == 0; i++) {
		const struct status_client *c = &s->clients[i];

		sb_puts(&sb, "CLIENT_LIST");
		sb_sep(&sb, o);
		sb_name(&sb, c->cn);
		sb_sep(&sb, o);
		sb_field(&sb, c->real);
		sb_sep(&sb, o);
		sb_field(&sb, c->vaddr4);
		sb_sep(&sb, o);
		sb_field(&sb, c->vaddr6);
		sb_sep(&sb, o);
		sb_u64(&sb, c->bytes_rx);
		sb_sep(&sb, o);
		sb_u64(&sb, c->bytes_tx);
		sb_sep(&sb, o);
		sb_date(&sb, c->connected_since, s->now);
		sb_sep(&sb, o);
		sb_time_t(&sb, c->connected_since == 0 ? s->now : c->connected_since);
		sb_sep(&sb, o);
		sb_name(&sb, c->username);
		sb_sep(&sb, o);
		sb_u64(&sb, c->client_id);
		sb_sep(&sb, o);
		sb_u64(&sb, c->peer_id);
		sb_sep(&sb, o);
		sb_field(&sb, c->cipher != NULL ? c->cipher : STATUS_CIPHER_UNNEGOTIATED);
		emit_line(o, &sb);
	}

	emit_list(o, route_hdr, sizeof(route_hdr) / sizeof(route_hdr[0]));
	for (i = 0; i < s->nroutes && o->err == 0; i++) {
		const struct status_route *r = &s->routes[i];

		sb_puts(&sb, "ROUTING_TABLE");
		sb_sep(&sb, o);
		sb_field(&sb, r->vaddr);
		if (r->cached)
			sb_putc(&sb, 'C');
		sb_sep(&sb, o);
		sb_name(&sb, r->cn);
		sb_sep(&sb, o);
		sb_field(&sb, r->real);
		sb_sep(&sb, o);
		sb_date(&sb, r->last_ref, s->now);
		sb_sep(&sb, o);
		sb_time_t(&sb, r->last_ref == 0 ? s->now : r->last_ref);
		emit_line(o, &sb);
	}

	sb_puts(&sb, "GLOBAL_STATS");
	sb_sep(&sb, o);
	sb_puts(&sb, "Max bcast/mcast queue length");
	sb_sep(&sb, o);
	sb_u64(&sb, (uint64_t)(unsigned)(s->max_bcast_mcast_queue < 0 ? 0 : s->max_bcast_mcast_queue));
	emit_line(o, &sb);

	sb_puts(&sb, "GLOBAL_STATS");
	sb_sep(&sb, o);
	sb_puts(&sb, "dco_enabled");
	sb_sep(&sb, o);
	sb_putc(&sb, s->dco_enabled ? '1' : '0');
	emit_line(o, &sb);

	emit_text(o, "END");
}

int
status_write(const struct status_snapshot *snap, int version, enum status_eol eol,
    status_emit_fn emit, void *arg)
{
	struct out o;

	if (snap == NULL || emit == NULL)
		return ERR_INVAL;
	o.emit = emit;
	o.arg = arg;
	o.eol = eol == STATUS_EOL_LF ? "\n" : "\r\n";
	o.sep = version == 3 ? '\t' : ',';
	o.now = snap->now;
	o.err = 0;

	switch (version) {
	case 1:
		emit_v1(&o, snap);
		break;
	case 2:
	case 3:
		emit_v23(&o, snap);
		break;
	default:
		emit_text(&o, STATUS_ERR_BAD_VERSION);
		return o.err != 0 ? o.err : ERR_RANGE;
	}
	return o.err;
}

struct collect {
	char *p;
	size_t len;
	size_t cap;
};

static int
collect_line(void *arg, const char *line, size_t len)
{
	struct collect *c = arg;
	size_t want;
	char *np;

	if (len >= c->cap - c->len) {
		if (len > SIZE_MAX / 4 - c->len)
			return ERR_NOMEM;
		want = (c->len + len + 1) * 2;
		if ((np = realloc(c->p, want)) == NULL)
			return ERR_NOMEM;
		c->p = np;
		c->cap = want;
	}
	memcpy(c->p + c->len, line, len);
	c->len += len;
	c->p[c->len] = '\0';
	return 0;
}

int
status_format(const struct status_snapshot *snap, int version, enum status_eol eol,
    char **out, size_t *len)
{
	struct collect c;
	int r;

	*out = NULL;
	*len = 0;
	c.cap = 4096;
	c.len = 0;
	if ((c.p = malloc(c.cap)) == NULL)
		return ERR_NOMEM;
	c.p[0] = '\0';
	r = status_write(snap, version, eol, collect_line, &c);
	if (r != 0 && r != ERR_RANGE) {
		free(c.p);
		return r;
	}
	*out = c.p;
	*len = c.len;
	return r;
}

int
status_real_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char host[ADDR_STR_MAX];
	char tmp[SOCKADDR_STR_MAX];
	struct addr a;
	uint16_t port;
	size_t n;
	int r;

	if ((r = addr_from_sockaddr(sa, len, &a, &port)) != 0)
		return r;
	/* 2.6 shows a mapped peer as the IPv4 peer it is, port included */
	if (a.family == AF_INET6 && memcmp(a.b, v4mapped, sizeof(v4mapped)) == 0) {
		struct addr v4;

		memset(&v4, 0, sizeof(v4));
		v4.family = AF_INET;
		memcpy(v4.b, a.b + 12, 4);
		a = v4;
	}
	if ((r = addr_format(&a, host, sizeof(host))) != 0)
		return r;
	/* native IPv6: no port, because "v6:port" cannot be told apart */
	if (a.family == AF_INET6)
		snprintf(tmp, sizeof(tmp), "%s", host);
	else
		snprintf(tmp, sizeof(tmp), "%s:%u", host, (unsigned)port);
	n = strlen(tmp);
	if (n >= cap)
		return ERR_OVERFLOW;
	memcpy(out, tmp, n + 1);
	return 0;
}
