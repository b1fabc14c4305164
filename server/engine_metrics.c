/*
 * engine_metrics.c - the opt-in Prometheus endpoint (`metrics IP PORT`):
 * one GET /metrics per connection, answered from the engine's live state
 * and closed.
 *
 * Invariants: at most METRICS_CONNS connections at once (more are closed
 * at accept), each with a fixed request buffer and a 5 s deadline, so a
 * slow or hostile scraper costs bounded memory and never blocks the loop;
 * the reply is written non-blocking and a connection whose socket will not
 * take it is dropped rather than waited for.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "authz.h"
#include "buf.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "mtime.h"
#include "tls.h"

enum { METRICS_CONNS = 8, METRICS_DEADLINE_S = 5, METRICS_BODY_MAX = 16 << 20 };

struct mconn {
	struct engine *e;
	int fd;
	struct ev_io io;
	struct ev_timer timer;
	size_t len;
	uint8_t req[METRICS_HTTP_REQ_MAX];
};

static void
mconn_close(struct mconn *c)
{
	struct engine *e = c->e;
	unsigned i;

	ev_io_del(&e->loop, &c->io);
	ev_timer_cancel(&e->loop, &c->timer);
	close(c->fd);
	for (i = 0; i < METRICS_CONNS; i++)
		if (e->mconn[i] == c)
			e->mconn[i] = NULL;
	free(c);
}

static void
fam(struct metrics *m, const char *name, enum metrics_type t, const char *help)
{
	metrics_family(m, name, t, help);
}

static void
one(struct metrics *m, const char *name, enum metrics_type t, const char *help, uint64_t v)
{
	metrics_family(m, name, t, help);
	metrics_sample_u64(m, NULL, 0, v);
}

/* The scrape: every family, from the state as it is now. */
static void
build(struct engine *e, struct metrics *m)
{
	const struct authz *az = epnet_authz(e->ep);
	struct metrics_label l[4];
	char cid[24], rule[16], dst[PREFIX_STR_MAX];
	uint32_t i;
	size_t k;
	int64_t next;

	one(m, "ovpn_endpoint_clients", METRICS_GAUGE, "Connected clients.", e->n_clients);
	one(m, "ovpn_endpoint_pool_size", METRICS_GAUGE, "Addresses in the client pool.",
	    e->pool.size);
	one(m, "ovpn_endpoint_pool_used", METRICS_GAUGE, "Addresses in use.", e->pool.used);
	static const struct { const char *name, *help; int which; } per[] = {
		{ "ovpn_endpoint_client_received_bytes_total", "Bytes received from the client.", 0 },
		{ "ovpn_endpoint_client_sent_bytes_total", "Bytes sent to the client.", 1 },
		{ "ovpn_endpoint_client_received_packets_total", "Packets received from the client.", 2 },
		{ "ovpn_endpoint_client_sent_packets_total", "Packets sent to the client.", 3 },
	};
	for (k = 0; k < sizeof(per) / sizeof(per[0]); k++) {
		fam(m, per[k].name, METRICS_COUNTER, per[k].help);
		for (i = 0; i < e->peers.max; i++) {
			const struct peer *p = e->peers.by_id[i];
			uint64_t v;

			if (p == NULL || p->state != PEER_ACTIVE)
				continue;
			v = per[k].which == 0 ? p->bytes_in : per[k].which == 1 ? p->bytes_out :
			    per[k].which == 2 ? p->pkts_in : p->pkts_out;
			snprintf(cid, sizeof(cid), "%llu", (unsigned long long)p->cid);
			l[0].name = "common_name";
			l[0].value = p->cn;
			l[1].name = "client_id";
			l[1].value = cid;
			metrics_sample_u64(m, l, 2, v);
		}
	}
	fam(m, "ovpn_endpoint_handshake_failures_total", METRICS_COUNTER,
	    "Connection attempts that failed, by reason.");
	for (k = 0; k < EOPS_FAIL_REASONS; k++) {
		if (e->fail_reason[k] == NULL)
			break;
		l[0].name = "reason";
		l[0].value = e->fail_reason[k];
		metrics_sample_u64(m, l, 1, e->fail_count[k]);
	}
	fam(m, "ovpn_endpoint_authorization_rule_hits_total", METRICS_COUNTER,
	    "Packets each authorization rule decided.");
	for (k = 0; k < authz_count(az); k++) {
		const struct authz_rule *z = authz_rule_at(az, k);

		snprintf(rule, sizeof(rule), "%u", z->index + 1);
		prefix_format(&z->dst, dst, sizeof(dst));
		l[0].name = "rule";
		l[0].value = rule;
		l[1].name = "destination";
		l[1].value = dst;
		l[2].name = "group";
		l[2].value = z->group < 0 ? "" : authz_group_name(az, (unsigned)z->group);
		l[3].name = "action";
		l[3].value = z->deny ? "deny" : "allow";
		metrics_sample_u64(m, l, 4, z->hits);
	}
	one(m, "ovpn_endpoint_authorization_default_deny_total", METRICS_COUNTER,
	    "Packets no authorization rule allowed.", authz_default_deny_hits(az));
	one(m, "ovpn_endpoint_spoofed_packets_total", METRICS_COUNTER,
	    "Packets dropped for a source address that is not the client's.", e->stats.spoofed);
	if (e->conf->crl_path != NULL && tls_ctx_crl_next_update(e->tls, &next) == 0) {
		fam(m, "ovpn_endpoint_crl_days_to_expiry", METRICS_GAUGE,
		    "Days until the CRL's next update (negative: overdue).");
		metrics_sample_double(m, NULL, 0,
		    (double)(next - (int64_t)mtime_wall_sec()) / 86400.0);
	}
}

static void
respond(struct mconn *c, int status)
{
	struct engine *e = c->e;
	struct metrics m;
	uint8_t head[512];
	struct wbuf w;
	const uint8_t *body = NULL;
	size_t blen = 0;

	metrics_init_alloc(&m, METRICS_BODY_MAX);
	if (status == 200) {
		build(e, &m);
		if (metrics_error(&m) != 0)
			status = 400;   /* cannot happen with valid names; never send half */
		else
			body = metrics_data(&m, &blen);
	}
	wbuf_init(&w, head, sizeof(head));
	if (metrics_http_head(status, blen, &w) == 0 &&
	    write(c->fd, head, w.len) == (ssize_t)w.len && body != NULL && blen > 0 &&
	    write(c->fd, body, blen) != (ssize_t)blen)
		log_debug("metrics: a scraper did not take the whole reply");
	metrics_free(&m);
	mconn_close(c);
}

static void
mconn_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct mconn *c = container_of(io, struct mconn, io);
	ssize_t k;
	int status;

	(void)revents;
	(void)now;
	k = read(c->fd, c->req + c->len, sizeof(c->req) - c->len);
	if (k <= 0) {
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		mconn_close(c);
		return;
	}
	c->len += (size_t)k;
	if (metrics_http_decide(c->req, c->len, &status) == ERR_AGAIN) {
		if (c->len == sizeof(c->req))
			respond(c, 400);
		return;
	}
	respond(c, status);
}

static void
mconn_timer_cb(struct ev_timer *t, uint64_t now)
{
	(void)now;
	mconn_close(container_of(t, struct mconn, timer));
}

static void
accept_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, metrics_io);
	struct mconn *c;
	unsigned i;
	int fd;

	(void)revents;
	while ((fd = accept4(e->metrics_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < METRICS_CONNS && e->mconn[i] != NULL; i++)
			;
		if (i == METRICS_CONNS || (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->e = e;
		c->fd = fd;
		ev_timer_init(&c->timer, mconn_timer_cb);
		if (ev_io_add(&e->loop, &c->io, fd, EPOLLIN, mconn_io_cb) != 0) {
			close(fd);
			free(c);
			continue;
		}
		ev_timer_arm(&e->loop, &c->timer, now + MTIME_SEC(METRICS_DEADLINE_S));
		e->mconn[i] = c;
	}
}

int
engine_metrics_open(struct engine *e)
{
	const struct server_conf *c = e->conf;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct addr a;
	int one = 1, fd;

	e->metrics_fd = -1;
	if (!c->has_metrics)
		return 0;
	if (addr_parse(c->metrics_addr, &a) != 0)
		return ERR_CONFIG;
	memset(&ss, 0, sizeof(ss));
	if (a.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->metrics_port);
		memcpy(&s4->sin_addr, a.b, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->metrics_port);
		memcpy(&s6->sin6_addr, a.b, 16);
		sl = sizeof(*s6);
	}
	if (!((a.family == AF_INET && a.b[0] == 127) ||
	    (a.family == AF_INET6 && memcmp(a.b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)))
		log_warnx("metrics: %s is not a loopback address: anyone who can reach it sees "
		    "client names and counters", c->metrics_addr);
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0 ||
	    ev_io_add(&e->loop, &e->metrics_io, fd, EPOLLIN, accept_cb) != 0) {
		log_warn("metrics: cannot listen on %s port %u", c->metrics_addr, c->metrics_port);
		if (fd >= 0)
			close(fd);
		return ERR_SYS;
	}
	e->metrics_fd = fd;
	log_info("metrics: Prometheus text on http://%s%s%s:%u/metrics", a.family == AF_INET6 ?
	    "[" : "", c->metrics_addr, a.family == AF_INET6 ? "]" : "", c->metrics_port);
	return 0;
}

void
engine_metrics_close(struct engine *e)
{
	unsigned i;

	for (i = 0; i < METRICS_CONNS; i++)
		if (e->mconn[i] != NULL)
			mconn_close(e->mconn[i]);
	if (e->metrics_fd >= 0) {
		ev_io_del(&e->loop, &e->metrics_io);
		close(e->metrics_fd);
		e->metrics_fd = -1;
	}
}
