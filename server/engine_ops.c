/*
 * engine_ops.c - what operators see of the engine: the status report
 * (2.6's formats, for the status file, SIGUSR2 and the management socket)
 * and the connection log (AWS Client VPN's JSON lines).
 *
 * Invariants:
 *  - A status snapshot is built from the live peer table in one pass and
 *    formatted by status.c; nothing here formats 2.6's text itself.
 *  - The status file is replaced atomically (temporary file + rename), so a
 *    reader never sees half a report.
 *  - One connection-log record per attempt: a failed one when a client that
 *    began a handshake is dropped before it was connected, a successful one
 *    when it connects, and a final one with the end time and counters when
 *    a connected client goes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "addr.h"
#include "aead.h"
#include "connlog.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "mtime.h"
#include "status.h"

/* One client's strings, kept alive while a snapshot is formatted. */
struct snap_strings {
	char real[SOCKADDR_STR_MAX];
	char v4[ADDR_STR_MAX];
	char v6[ADDR_STR_MAX];
};

struct snap {
	struct status_snapshot s;
	struct status_client *c;
	struct status_route *r;
	struct snap_strings *str;
};

static time_t
wall_of(uint64_t mono_then, uint64_t mono_now, time_t wall_now)
{
	if (mono_then == 0 || mono_then > mono_now)
		return wall_now;
	return wall_now - (time_t)((mono_now - mono_then) / 1000000u);
}

static void
snap_free(struct snap *sn)
{
	free(sn->c);
	free(sn->r);
	free(sn->str);
}

static int
snap_build(struct engine *e, struct snap *sn)
{
	uint64_t mono = evloop_now(&e->loop);
	time_t now = (time_t)mtime_wall_sec();
	size_t nc = 0, nr = 0;
	uint32_t i;

	memset(sn, 0, sizeof(*sn));
	sn->c = calloc(e->peers.max + 1, sizeof(*sn->c));
	sn->r = calloc(2 * (size_t)e->peers.max + 1, sizeof(*sn->r));
	sn->str = calloc(e->peers.max + 1, sizeof(*sn->str));
	if (sn->c == NULL || sn->r == NULL || sn->str == NULL) {
		snap_free(sn);
		return ERR_NOMEM;
	}
	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];
		struct snap_strings *st = &sn->str[nc];
		struct status_client *c = &sn->c[nc];

		if (p == NULL || p->state != PEER_ACTIVE)
			continue;
		status_real_addr((const struct sockaddr *)&p->sa, p->salen, st->real,
		    sizeof(st->real));
		if (p->has_vaddr)
			addr_format(&p->vaddr, st->v4, sizeof(st->v4));
		if (p->has_vaddr6)
			addr_format(&p->vaddr6, st->v6, sizeof(st->v6));
		c->cn = p->cn;
		c->real = st->real;
		c->vaddr4 = st->v4;
		c->vaddr6 = st->v6;
		c->bytes_rx = p->bytes_in;
		c->bytes_tx = p->bytes_out;
		c->connected_since = (time_t)p->connected_at;
		c->username = p->username;
		c->client_id = p->cid;
		c->peer_id = p->id;
		c->cipher = p->cipher != NULL ? p->cipher->name : NULL;
		if (p->has_vaddr) {
			sn->r[nr].vaddr = st->v4;
			sn->r[nr].cn = p->cn;
			sn->r[nr].real = st->real;
			sn->r[nr].last_ref = wall_of(p->last_rx, mono, now);
			nr++;
		}
		if (p->has_vaddr6) {
			sn->r[nr].vaddr = st->v6;
			sn->r[nr].cn = p->cn;
			sn->r[nr].real = st->real;
			sn->r[nr].last_ref = wall_of(p->last_rx, mono, now);
			nr++;
		}
		nc++;
	}
	sn->s.now = now;
	sn->s.title = PACKAGE_NAME " " PACKAGE_VERSION;
	sn->s.clients = sn->c;
	sn->s.nclients = nc;
	sn->s.routes = sn->r;
	sn->s.nroutes = nr;
	return 0;
}

int
eops_status(struct engine *e, int version, bool crlf,
	    int (*emit)(void *arg, const char *line, size_t len), void *arg)
{
	struct snap sn;
	int r;

	if ((r = snap_build(e, &sn)) != 0)
		return r;
	r = status_write(&sn.s, version, crlf ? STATUS_EOL_CRLF : STATUS_EOL_LF, emit, arg);
	snap_free(&sn);
	return r;
}

/* ---- the status file (status FILE [seconds]) ---- */

static int
emit_fd(void *arg, const char *line, size_t len)
{
	int fd = *(int *)arg;

	while (len > 0) {
		ssize_t k = write(fd, line, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ERR_SYS;
		}
		line += k;
		len -= (size_t)k;
	}
	return 0;
}

static int
status_file_write(struct engine *e)
{
	const struct server_conf *c = e->conf;
	char tmp[sizeof(c->status_file) + 16];
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", c->status_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return ERR_SYS;
	r = eops_status(e, (int)c->status_version, false, emit_fd, &fd);
	if (close(fd) != 0 && r == 0)
		r = ERR_SYS;
	if (r == 0 && rename(tmp, c->status_file) != 0)
		r = ERR_SYS;
	if (r != 0)
		unlink(tmp);
	return r;
}

static void
status_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct engine *e = container_of(t, struct engine, status_timer);

	if (status_file_write(e) != 0)
		log_rl_msg(&e->rl_data, now, LL_WARN, "status: cannot write %s: %s",
		    e->conf->status_file, strerror(errno));
	ev_timer_arm(&e->loop, &e->status_timer, now + MTIME_SEC(e->conf->status_secs));
}

/* ---- connection log ---- */

static void
conn_id(const struct engine *e, const struct peer *p, char *out, size_t cap)
{
	snprintf(out, cap, "cvpn-connection-%016llx",
	    (unsigned long long)(e->connid_base + p->cid));
}

static void
record_base(struct engine *e, const struct peer *p, struct connlog_record *r, char *id,
	    size_t idcap)
{
	uint16_t port = 0;

	memset(r, 0, sizeof(*r));
	conn_id(e, p, id, idcap);
	r->connection_id = id;
	r->endpoint_id = e->conf->file;
	r->transport = p->tcp != NULL ? "tcp" : "udp";
	addr_from_sockaddr((const struct sockaddr *)&p->sa, p->salen, &r->device_ip, &port);
	r->port = port;
	r->common_name = p->cn[0] ? p->cn : NULL;
	r->username = p->username[0] ? p->username : NULL;
	if (p->has_vaddr)
		r->client_ip = p->vaddr;
	if (p->has_vaddr6)
		r->client_ip6 = p->vaddr6;
	r->client_version = p->ver[0] ? p->ver : NULL;
	r->cipher = p->cipher != NULL ? p->cipher->name : NULL;
	r->has_peer_id = true;
	r->peer_id = p->id;
	r->ingress_bytes = p->bytes_in;
	r->egress_bytes = p->bytes_out;
	r->ingress_packets = p->pkts_in;
	r->egress_packets = p->pkts_out;
}

static void
connlog_put(struct engine *e, const struct connlog_record *r)
{
	if (e->connlog.is_open && connlog_write(&e->connlog, r) != 0)
		log_rl_msg(&e->rl_data, evloop_now(&e->loop), LL_WARN,
		    "connection-log: cannot write: %s", strerror(errno));
}

void
eops_connected(struct engine *e, const struct peer *p)
{
	struct connlog_record r;
	char id[48];

	if (!e->connlog.is_open)
		return;
	record_base(e, p, &r, id, sizeof(id));
	r.status = CONNLOG_SUCCESSFUL;
	r.start_time = (time_t)p->connected_at;
	r.last_update_time = r.start_time;
	connlog_put(e, &r);
}

/* reasons are a small fixed set of constant strings: compare pointers */
static void
count_failure(struct engine *e, const char *reason)
{
	size_t k;

	for (k = 0; k < EOPS_FAIL_REASONS; k++) {
		if (e->fail_reason[k] == NULL)
			e->fail_reason[k] = reason;
		if (e->fail_reason[k] == reason) {
			e->fail_count[k]++;
			return;
		}
	}
}

void
eops_closed(struct engine *e, const struct peer *p, const char *reason)
{
	struct connlog_record r;
	char id[48];

	/* strangers never get this far: a peer exists only once its address
	 * echoed our cookie (or its TCP connection was accepted), so every peer
	 * is an attempt worth a record */
	record_base(e, p, &r, id, sizeof(id));
	r.end_time = (time_t)mtime_wall_sec();
	r.last_update_time = r.end_time;
	if (p->connected_at != 0) {
		r.status = CONNLOG_SUCCESSFUL;
		r.start_time = (time_t)p->connected_at;
	} else {
		r.status = CONNLOG_FAILED;
		r.start_time = r.end_time;
		r.failure_reason = p->fail_code != NULL ? p->fail_code :
		    p->cn[0] == '\0' ? CONNLOG_REASON_TLS : CONNLOG_REASON_AUTH;
		r.failure_detail = reason;
	}
	connlog_put(e, &r);
	if (r.status == CONNLOG_FAILED)
		count_failure(e, r.failure_reason);
}

/* ---- life cycle ---- */

int
eops_init(struct engine *e)
{
	const struct server_conf *c = e->conf;
	uint64_t base;
	int r;

	if (RAND_bytes((unsigned char *)&base, sizeof(base)) != 1)
		base = mtime_wall_sec() << 20;
	e->connid_base = base & 0x0fffffffffffffffULL;
	if (c->connlog[0] != '\0' && (r = connlog_open(&e->connlog, c->connlog)) != 0) {
		log_err("connection-log: cannot open %s: %s", c->connlog, strerror(errno));
		return r;
	}
	if (c->status_file[0] != '\0') {
		ev_timer_init(&e->status_timer, status_timer_cb);
		if (status_file_write(e) != 0) {
			log_err("status: cannot write %s: %s", c->status_file, strerror(errno));
			return ERR_SYS;
		}
		ev_timer_arm(&e->loop, &e->status_timer, evloop_now(&e->loop) +
		    MTIME_SEC(c->status_secs));
		e->status_armed = true;
	}
	return 0;
}

void
eops_free(struct engine *e)
{
	if (e->status_armed) {
		ev_timer_cancel(&e->loop, &e->status_timer);
		/* the last report: no clients (2.6 leaves a stale one behind) */
		status_file_write(e);
		e->status_armed = false;
	}
	if (e->connlog.is_open)
		connlog_close(&e->connlog);
}

void
eops_reopen_logs(struct engine *e)
{
	if (e->connlog.is_open && connlog_reopen(&e->connlog) != 0)
		log_warn("connection-log: cannot reopen %s", e->conf->connlog);
}
