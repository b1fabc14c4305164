/*
 * engine.c - the server's single-threaded event loop.
 *
 * Inputs and what they turn into:
 *   UDP socket   recvmmsg batches; each datagram is demultiplexed (doc §11):
 *                P_DATA_V2 by peer-id, everything else by outer address, and
 *                packets from unknown addresses go to the stateless cookie
 *                handshake, which keeps no state until the client proves it
 *                can receive at its address (P1, P2).
 *   TUN device   packets routed to the peer owning the destination address.
 *   signalfd     SIGINT/SIGTERM start a graceful stop.
 *   peer timers  one per peer, at the earliest of its deadlines
 *                (retransmit, hand-window, keepalive, renegotiation, close).
 * Output datagrams, control and data alike, are queued into one batch and
 * leave in a single sendmmsg before the loop sleeps.
 *
 * Keepalive timestamps are updated per packet without touching the timer
 * heap; the peer timer re-reads them when it fires and re-arms itself, so
 * the per-packet cost is a store, not a heap operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aead.h"
#include "authtoken.h"
#include "buf.h"
#include "hook.h"
#include "ippersist.h"
#include "ccd.h"
#include "conf.h"
#include "comp.h"
#include "cookie.h"
#include "datapath.h"
#include "epnet.h"
#include "engine.h"
#include "engine_int.h"
#include "err.h"
#include "evloop.h"
#include "log.h"
#include "mtime.h"
#include "peer.h"
#include "pool.h"
#include "push.h"
#include "rtnl.h"
#include "sdnotify.h"
#include "session.h"
#include "srclimit.h"
#include "tcp.h"
#include "tlswrap.h"
#include "tls.h"
#include "tun.h"
#include "wire.h"


enum {
	RX_BATCHES_PER_WAKEUP = 8,     /* fairness between UDP and TUN */
	TUN_READS_PER_WAKEUP = DP_BATCH * 4,
	STOP_GRACE_MS = 2000,          /* wait for RESTART to be acknowledged */
	SOCKBUF_BYTES = 4 * 1024 * 1024,
	/* Stateless cookie replies (P3): per source first, then in all.  The
	 * global rate is set well above the 10,000/s spoofed flood we promise to
	 * survive, so spoofers cannot use it up; each reply costs one HMAC and
	 * one 26-byte datagram. */
	SRC_SLOTS = 8192,
	SRC_BURST = 10,
	SRC_PER_SEC = 5,
	GLOBAL_BURST = 5000,
	GLOBAL_PER_SEC = 50000,
};


/* ---- peers ---- */

static void peer_timer_cb(struct ev_timer *t, uint64_t now);

/* A running auth-user-pass-verify (or a deferred decision) for one peer. */
struct peer_auth {
	struct peer *p;
	uint8_t key_id;
	struct hook *h;                  /* the script, while it runs */
	struct hook_auth a;              /* its files: via-file, control, pending, reason */
	struct ev_io io;                 /* the script's pidfd */
	struct ev_io watch;              /* inotify on auth_control_file once deferred */
	bool io_added, watch_added, deferred;
	uint64_t next_poll;              /* deferred: read the control file at least this often */
};

static void auth_free(struct engine *e, struct peer *p);
static void auth_progress(struct engine *e, struct peer *p, uint64_t now);

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void
half_open_remove(struct engine *e, struct peer *p)
{
	uint32_t i = (uint32_t)p->ho_idx;

	if (p->ho_idx < 0)
		return;
	e->half_open[i] = e->half_open[--e->n_half_open];
	e->half_open[i]->ho_idx = (int)i;
	p->ho_idx = -1;
}

/* P4: may another handshake start from this source address? */
static bool
half_open_allowed(struct engine *e, const struct sockaddr *sa, socklen_t salen)
{
	struct addr src, other;
	uint16_t port;
	uint32_t i, same = 0;

	if (e->n_half_open >= e->conf->max_half_open)
		return false;
	if (addr_from_sockaddr(sa, salen, &src, &port) != 0)
		return false;
	for (i = 0; i < e->n_half_open; i++) {
		const struct peer *p = e->half_open[i];

		if (addr_from_sockaddr((const struct sockaddr *)&p->sa, p->salen, &other, &port) == 0 &&
		    addr_eq(&src, &other))
			same++;
	}
	return same < e->conf->max_half_open_src;
}

static void
peer_close(struct engine *e, struct peer *p, const char *reason)
{
	uint64_t now = evloop_now(&e->loop);

	if (p->state == PEER_ACTIVE || p->cn[0] != '\0')
		log_info("peer %u (%s) %s: disconnected: %s (in %llu bytes, out %llu bytes)",
		    p->id, p->cn[0] ? p->cn : "?", p->sa_str, reason,
		    (unsigned long long)p->bytes_in, (unsigned long long)p->bytes_out);
	else
		log_rl_msg(&e->rl_stranger, now, LL_INFO, "peer %u %s: dropped before authentication: %s",
		    p->id, p->sa_str, reason);
	eops_closed(e, p, reason);
	engine_cc_free(e, p);
	if (p->connected_at != 0) {
		engine_hook_disconnect(e, p);
		engine_hook_learn(e, p, false);
	}
	if (p->mgmt_announced)
		engine_mgmt_client_event(e, p, MGMT_EV_DISCONNECT, 0);
	e->bytes_in_gone += p->bytes_in;
	e->bytes_out_gone += p->bytes_out;
	ev_timer_cancel(&e->loop, &p->timer);
	auth_free(e, p);
	half_open_remove(e, p);
	if (p->holds_slot)
		e->n_clients--;
	if (p->has_vaddr) {
		if (e->by_vaddr[p->pool_idx] == p)
			e->by_vaddr[p->pool_idx] = NULL;
		pool_release(&e->pool, &p->vaddr);
	}
	if (p->has_iroutes)
		epnet_client_del(e->ep, p->id);
	peer_table_del(&e->peers, p);
	if (p->tcp != NULL) {
		dp_batch_forget(e->tx, p->tcp);
		ev_io_del(&e->loop, &p->tcp->io);
		tcp_conn_free(p->tcp);
		free(p->tcp);
		p->tcp = NULL;
	}
	peer_free(p);
}

static void
peer_schedule(struct engine *e, struct peer *p)
{
	const struct server_conf *c = e->conf;
	uint64_t d = session_deadline(&e->senv, p);

	if (p->state == PEER_ACTIVE) {
		if (c->keepalive_ping > 0)
			d = min_u64(d, p->last_tx + MTIME_SEC(c->keepalive_ping));
		if (c->keepalive_restart > 0)
			d = min_u64(d, p->last_rx + 2 * MTIME_SEC(c->keepalive_restart));
		if (c->session_timeout > 0 && !p->closing)
			d = min_u64(d, p->active_since + MTIME_SEC(c->session_timeout));
		if (c->idle_timeout > 0 && !p->closing)
			d = min_u64(d, p->last_data + MTIME_SEC(c->idle_timeout));
	}
	if (p->auth != NULL)
		d = min_u64(d, p->auth->h != NULL ? hook_deadline(p->auth->h) : p->auth->next_poll);
	if (p->mgmt_waiting)
		d = min_u64(d, p->mgmt_deadline);
	if (p->cc != NULL)
		d = min_u64(d, engine_cc_deadline(p));
	if (d == MTIME_NEVER)
		ev_timer_cancel(&e->loop, &p->timer);
	else
		ev_timer_arm(&e->loop, &p->timer, d);
}

/* After any event on p: close it if its time has come, else re-arm. */
static void
peer_settle(struct engine *e, struct peer *p, uint64_t now)
{
	if (p->close_at <= now || (p->closing && session_all_acked(p))) {
		peer_close(e, p, p->close_reason);
		return;
	}
	peer_schedule(e, p);
}

/* session-timeout and idle-timeout: the client is told to reconnect
 * (RESTART), which a 2.6 client does with a fresh session and a full
 * authentication; keepalives do not count as traffic. */
static bool
policy_expired(struct engine *e, struct peer *p, uint64_t now)
{
	const struct server_conf *c = e->conf;
	char why[64];

	if (c->session_timeout > 0 && now - p->active_since >= MTIME_SEC(c->session_timeout))
		snprintf(why, sizeof(why), "session-timeout (%u s) reached", c->session_timeout);
	else if (c->idle_timeout > 0 && now - p->last_data >= MTIME_SEC(c->idle_timeout))
		snprintf(why, sizeof(why), "idle for %u s (idle-timeout)", c->idle_timeout);
	else
		return false;
	log_info("peer %u (%s) %s: %s: disconnecting", p->id, p->cn, p->sa_str, why);
	session_send_text(&e->senv, p, "RESTART", now);
	session_close(p, now + MTIME_SEC(1), why);
	return true;
}

static void
peer_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct peer *p = container_of(t, struct peer, timer);
	struct engine *e = p->owner;
	const struct server_conf *c = e->conf;

	if (p->auth != NULL) {
		auth_progress(e, p, now);
		if (e->peers.by_id[p->id] != p)
			return;   /* closed by the decision */
	}
	if (p->cc != NULL) {
		engine_cc_tick(e, p, now);
		if (e->peers.by_id[p->id] != p)
			return;   /* closed by the decision */
	}
	if (p->mgmt_waiting && now >= p->mgmt_deadline) {
		p->mgmt_waiting = false;
		log_info("peer %u (%s) %s: no management decision in time: refused", p->id, p->cn,
		    p->sa_str);
		session_auth_done(&e->senv, p, (uint8_t)(p->mgmt_kid - 1), ERR_AUTH,
		    "authentication timed out", now);
	}
	session_tick(&e->senv, p, now);
	if (p->state == PEER_ACTIVE && !p->closing && policy_expired(e, p, now))
		;   /* closing: session-timeout or idle-timeout */
	else if (p->state == PEER_ACTIVE && !p->closing) {
		if (c->keepalive_restart > 0 &&
		    now - p->last_rx >= 2 * MTIME_SEC(c->keepalive_restart)) {
			char why[64];

			snprintf(why, sizeof(why), "no packet for %u seconds (ping-restart)",
			    2 * c->keepalive_restart);
			session_close(p, now, why);
		} else if (c->keepalive_ping > 0 && now - p->last_tx >= MTIME_SEC(c->keepalive_ping)) {
			dp_send(e->tx, p, dchan_ping_msg, sizeof(dchan_ping_msg), now);
		}
	}
	peer_settle(e, p, now);
}

/* ---- session_env callbacks ---- */

static void
env_send(void *owner, struct peer *p, const uint8_t *pkt, size_t len)
{
	struct engine *e = owner;
	uint8_t out[CTL_PKT_MAX + 128];
	struct wbuf w;

	if (p->wrap.mode == TLSWRAP_NONE) {
		dp_send_raw(e->tx, p, pkt, len);
		return;
	}
	wbuf_init(&w, out, sizeof(out));
	if (tlswrap_wrap(&p->wrap, pkt, len, mtime_wall_sec(), &w) == 0)
		dp_send_raw(e->tx, p, out, w.len);
}

/* Without duplicate-cn a common name has one session: the new one replaces
 * the old and takes over its client slot and its address, as 2.6 gives a
 * reconnecting name its lease back. */
static void
close_same_cn(struct engine *e, struct peer *self)
{
	uint32_t i;

	for (i = 0; i < e->peers.max; i++) {
		struct peer *o = e->peers.by_id[i];

		if (o == NULL || o == self || o->state != PEER_ACTIVE || strcmp(o->cn, self->cn) != 0)
			continue;
		if (o->has_vaddr && !self->has_vaddr) {
			self->vaddr = o->vaddr;
			self->pool_idx = o->pool_idx;
			self->has_vaddr = true;
			e->by_vaddr[self->pool_idx] = self;
			o->has_vaddr = false;
			o->has_vaddr6 = false;
		}
		if (o->holds_slot && !self->holds_slot) {
			self->holds_slot = true;
			o->holds_slot = false;
		}
		session_close(o, evloop_now(&e->loop),
		    "replaced by a new connection with the same common name");
		peer_schedule(e, o);
	}
}

/* ---- username/password: auth-user-pass-verify, deferred auth, tokens ---- */

enum { AUTH_DEFERRED_POLL_MS = 500 };

static void
auth_free(struct engine *e, struct peer *p)
{
	struct peer_auth *pa = p->auth;

	if (pa == NULL)
		return;
	if (pa->io_added)
		ev_io_del(&e->loop, &pa->io);
	if (pa->watch_added)
		ev_io_del(&e->loop, &pa->watch);
	if (pa->h != NULL)
		hook_free(pa->h);      /* kills it if still running */
	hook_auth_cleanup(&pa->a);
	free(pa);
	p->auth = NULL;
}

/* auth-gen-token: a new token for this session (same session id, new issue
 * time), pushed as auth-token. */
static void
issue_token(struct engine *e, struct peer *p)
{
	struct authtoken_info info;

	if (!p->has_token) {
		if (authtoken_info_init(&info, mtime_wall_sec()) != 0)
			return;
		memcpy(p->token_sid, info.session_id, sizeof(p->token_sid));
		p->token_initial = info.initial;
	}
	memcpy(info.session_id, p->token_sid, sizeof(info.session_id));
	info.initial = p->token_initial;
	info.issued = mtime_wall_sec();
	p->has_token = authtoken_make(&e->token_key, p->username, &info, p->auth_token,
	    sizeof(p->auth_token)) == 0;
}

/* management-client-auth: the decision goes to the management clients
 * (>CLIENT:CONNECT or REAUTH); ERR_AGAIN while it is pending, 0 when
 * management does not decide. */
static int
mgmt_gate(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now)
{
	if (!e->conf->mgmt_client_auth || e->mgmt == NULL)
		return 0;
	p->mgmt_waiting = true;
	p->mgmt_kid = (uint32_t)key_id + 1;    /* opaque to clients; 2.6's first is 1 too */
	p->mgmt_deadline = now + MTIME_SEC(e->conf->hand_window);
	log_info("peer %u (%s) %s: waiting for the management interface's decision (CID %llu, KID %u)",
	    p->id, p->cn, p->sa_str, (unsigned long long)p->cid, p->mgmt_kid);
	engine_mgmt_client_event(e, p, key_id == 0 && p->state != PEER_ACTIVE ? MGMT_EV_CONNECT :
	    MGMT_EV_REAUTH, p->mgmt_kid);
	return ERR_AGAIN;
}

/* After authentication proper: the connect hook, then management.  0 =
 * allowed now; ERR_AGAIN = decided later; else refused (reason filled). */
static int
post_auth(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now, char *reason, size_t cap)
{
	int r = engine_cc_start(e, p, key_id, now);

	if (r == ERR_AGAIN)
		return r;
	if (r != 0) {
		snprintf(reason, cap, "client-connect unavailable");
		return ERR_AUTH;
	}
	return mgmt_gate(e, p, key_id, now);
}

void
engine_peer_schedule(struct engine *e, struct peer *p)
{
	peer_schedule(e, p);
}

void
engine_auth_done(struct engine *e, struct peer *p, uint8_t key_id, int result, const char *reason,
		 uint64_t now)
{
	session_auth_done(&e->senv, p, key_id, result, reason, now);
	peer_settle(e, p, now);
}

void
engine_auth_continue(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now)
{
	if (mgmt_gate(e, p, key_id, now) == ERR_AGAIN) {
		peer_schedule(e, p);
		return;
	}
	engine_auth_done(e, p, key_id, 0, "", now);
}

static void
auth_decide(struct engine *e, struct peer *p, int result, const char *why, uint64_t now)
{
	uint8_t key_id = p->auth->key_id;

	auth_free(e, p);
	log_info("peer %u (%s) %s: auth-user-pass-verify %s%s%s", p->id, p->cn, p->sa_str,
	    result == 0 ? "accepted" : "refused", why[0] ? ": " : "", why);
	if (result == 0) {
		char reason[64] = "";

		result = post_auth(e, p, key_id, now, reason, sizeof(reason));
		if (result == ERR_AGAIN) {
			peer_schedule(e, p);
			return;      /* client-connect or management decides next */
		}
		if (result != 0) {
			session_auth_done(&e->senv, p, key_id, result, reason, now);
			peer_settle(e, p, now);
			return;
		}
	}
	session_auth_done(&e->senv, p, key_id, result, result == 0 ? "" : "authentication failed",
	    now);
	peer_settle(e, p, now);
}

static void auth_watch_cb(struct ev_io *io, uint32_t revents, uint64_t now);

/* Drive a pending authentication: reap the script, or read the deferred
 * control file.  May close p (through auth_decide/peer_settle). */
static void
auth_progress(struct engine *e, struct peer *p, uint64_t now)
{
	struct peer_auth *pa = p->auth;
	struct hook_result res;
	enum hook_status st;
	char why[HOOK_REASON_MAX + 64];
	int fd;

	if (pa->h != NULL) {
		if (hook_poll(pa->h, now, &res) == ERR_AGAIN)
			return;
		hook_auth_script_done(&pa->a);
		if (pa->io_added) {
			ev_io_del(&e->loop, &pa->io);
			pa->io_added = false;
		}
		if (res.status != HOOK_DEFERRED) {
			why[0] = '\0';
			if (res.status != HOOK_ALLOW && hook_auth_reason(&pa->a, why, sizeof(why)) == 0)
				hook_result_str(&res, e->conf->auth_user_pass_verify, why, sizeof(why));
			hook_free(pa->h);
			pa->h = NULL;
			auth_decide(e, p, res.status == HOOK_ALLOW ? 0 : ERR_AUTH, why, now);
			return;
		}
		hook_free(pa->h);
		pa->h = NULL;
		pa->deferred = true;
		log_info("peer %u (%s) %s: authentication deferred by the script", p->id, p->cn,
		    p->sa_str);
		fd = hook_auth_watch(&pa->a);
		if (fd >= 0 && ev_io_add(&e->loop, &pa->watch, fd, EPOLLIN, auth_watch_cb) == 0)
			pa->watch_added = true;
	}
	if (pa->deferred) {
		hook_auth_watch_drain(&pa->a);
		pa->next_poll = now + MTIME_MSEC(AUTH_DEFERRED_POLL_MS);
		if (hook_deferred_poll(&pa->a, &st) == ERR_AGAIN)
			return;
		why[0] = '\0';
		if (st != HOOK_ALLOW)
			hook_auth_reason(&pa->a, why, sizeof(why));
		auth_decide(e, p, st == HOOK_ALLOW ? 0 : ERR_AUTH, why, now);
	}
}

static void
auth_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct peer_auth *pa = container_of(io, struct peer_auth, io);

	auth_progress(pa->p->owner, pa->p, now);
}

static void
auth_watch_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct peer_auth *pa = container_of(io, struct peer_auth, watch);

	auth_progress(pa->p->owner, pa->p, now);
}

/* Only printable ASCII of a client string reaches logs and the peer's name. */
static void
copy_clean(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '_';
	dst[i] = '\0';
}

/* tls-crypt-v2 metadata for hooks: tls_crypt_v2_metadata_type is "user"
 * (the bytes, base64) or "timestamp" (when the client key was made, unix
 * seconds); other types are given as their number, bytes in base64. */
static int
set_v2_meta_env(struct hook_env *env, const struct peer *p)
{
	char b64[1400], t[24];
	uint64_t ts = 0;
	size_t i;
	int r;

	if (p->v2_meta[0] == 1 && p->v2_meta_len == 9) {
		for (i = 1; i < 9; i++)
			ts = ts << 8 | p->v2_meta[i];
		snprintf(t, sizeof(t), "%llu", (unsigned long long)ts);
		r = hook_env_set(env, "tls_crypt_v2_metadata_type", "timestamp");
		return r == 0 ? hook_env_set(env, "tls_crypt_v2_metadata", t) : r;
	}
	if (p->v2_meta_len - 1 > (sizeof(b64) / 4) * 3 - 3)
		return ERR_RANGE;
	EVP_EncodeBlock((unsigned char *)b64, p->v2_meta + 1, (int)(p->v2_meta_len - 1));
	snprintf(t, sizeof(t), "%u", p->v2_meta[0]);
	r = hook_env_set(env, "tls_crypt_v2_metadata_type", p->v2_meta[0] == 0 ? "user" : t);
	return r == 0 ? hook_env_set(env, "tls_crypt_v2_metadata", b64) : r;
}

static int
env_authenticate(void *owner, struct peer *p, uint8_t key_id, const struct kmsg *km,
		 char *reason, size_t cap)
{
	struct engine *e = owner;
	const struct server_conf *c = e->conf;
	struct authtoken_policy pol;
	struct authtoken_info info;
	struct hook_req req;
	struct hook_env env;
	struct peer_auth *pa;
	char port[8], ip[ADDR_STR_MAX];
	struct addr a;
	uint16_t pt = 0;
	uint64_t now = evloop_now(&e->loop);
	int r;

	if (km->has_username && km->username[0] != '\0' && key_id == 0 && p->username[0] == '\0')
		copy_clean(p->username, sizeof(p->username), km->username);
	if (c->auth_user_pass_verify[0] == '\0')
		return post_auth(e, p, key_id, now, reason, cap);
	if (!km->has_username || km->username[0] == '\0') {
		if (c->auth_user_pass_optional && p->cn[0] != '\0')
			return post_auth(e, p, key_id, now, reason, cap);
		snprintf(reason, cap, "a username and password are required");
		return ERR_AUTH;
	}
	if (key_id == 0) {
		copy_clean(p->username, sizeof(p->username), km->username);
	} else if (strncmp(p->username, km->username, sizeof(p->username) - 1) != 0) {
		snprintf(reason, cap, "username changed on renegotiation");
		return ERR_AUTH;
	}
	if (p->cn[0] == '\0')
		copy_clean(p->cn, sizeof(p->cn), p->username);   /* no certificate */

	/* auth-gen-token: the client sends the token as its password */
	if (c->auth_gen_token && authtoken_is_token(km->password)) {
		pol.lifetime = c->auth_token_lifetime;
		pol.renewal = c->auth_token_renewal != 0 ? c->auth_token_renewal : c->reneg_sec;
		r = authtoken_check(&e->token_key, km->password, km->username, mtime_wall_sec(), &pol,
		    &info);
		if (r == 0 && (!p->has_token ||
		    memcmp(info.session_id, p->token_sid, sizeof(p->token_sid)) == 0)) {
			memcpy(p->token_sid, info.session_id, sizeof(p->token_sid));
			p->token_initial = info.initial;
			p->has_token = true;
			log_info("peer %u (%s) %s: accepted the session's auth-token", p->id, p->cn,
			    p->sa_str);
			return 0;   /* a token stands for the first decision (2.6: no REAUTH) */
		}
		/* 2.6's SESSION: prefix makes the client forget the token and ask again */
		snprintf(reason, cap, "SESSION:%s", r == ERR_TIMEOUT ? "auth-token expired" :
		    "auth-token invalid");
		return ERR_AUTH;
	}

	if (p->auth != NULL)
		auth_free(e, p);
	pa = calloc(1, sizeof(*pa));
	if (pa == NULL)
		return ERR_NOMEM;
	pa->p = p;
	pa->key_id = key_id;
	hook_env_init(&env);
	memset(&a, 0, sizeof(a));
	addr_from_sockaddr((struct sockaddr *)&p->sa, p->salen, &a, &pt);
	addr_format(&a, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", pt);
	r = hook_env_set(&env, "script_type", "user-pass-verify");
	if (r == 0)
		r = hook_env_set(&env, "untrusted_ip", ip);
	if (r == 0)
		r = hook_env_set(&env, "untrusted_port", port);
	if (r == 0 && p->cn[0] != '\0')
		r = hook_env_set_client(&env, "common_name", p->cn);
	if (r == 0 && p->ver[0] != '\0')
		r = hook_env_set_client(&env, "IV_VER", p->ver);
	if (r == 0 && p->v2_meta_len > 0)
		r = set_v2_meta_env(&env, p);
	if (r == 0)
		r = hook_auth_prepare(&pa->a, e->tmpdir, c->auth_via_file ? HOOK_VIA_FILE : HOOK_VIA_ENV,
		    km->username, km->password, &env);
	if (r == 0) {
		memset(&req, 0, sizeof(req));
		req.command = c->auth_user_pass_verify;
		req.extra_args = hook_auth_args(&pa->a);
		req.env = &env;
		req.now = now;
		req.allow_deferred = true;
		r = hook_start(&req, &pa->h);
	}
	hook_env_free(&env);
	if (r == 0 && ev_io_add(&e->loop, &pa->io, hook_fd(pa->h), EPOLLIN, auth_io_cb) == 0)
		pa->io_added = true;
	p->auth = pa;
	if (r != 0 || !pa->io_added) {
		log_warnx("peer %u (%s) %s: cannot run auth-user-pass-verify: %s", p->id, p->cn,
		    p->sa_str, err_str(r));
		auth_free(e, p);
		snprintf(reason, cap, "authentication unavailable");
		return ERR_AUTH;   /* fail closed */
	}
	return ERR_AGAIN;
}

/* The lines of a management client-auth block, on top of any ccd file. */
static int
apply_mgmt_cfg(struct engine *e, struct peer *p, char *reason, size_t cap)
{
	char err[CONF_ERR_MAX];

	if (p->ccd == NULL && (p->ccd = calloc(1, sizeof(*p->ccd))) == NULL)
		return ERR_NOMEM;
	if (ccd_load_buf("client-auth", p->mgmt_cfg, p->mgmt_cfg_len, p->ccd, err,
	    sizeof(err)) != 0) {
		log_warnx("peer %u (%s) %s: refused: management client-auth: %s", p->id, p->cn,
		    p->sa_str, err);
		snprintf(reason, cap, "client configuration error");
		return ERR_CONFIG;
	}
	if (p->ccd->disable) {
		snprintf(reason, cap, "client disabled");
		return ERR_AUTH;
	}
	return 0;
}

/* client-config-dir (2.6 semantics): DIR/CN, else DIR/DEFAULT. */
static int
apply_ccd(struct engine *e, struct peer *p, char *reason, size_t cap)
{
	const struct server_conf *c = e->conf;
	struct ccd *ccd;
	char err[CONF_ERR_MAX];

	ccd = calloc(1, sizeof(*ccd));
	if (ccd == NULL)
		return ERR_NOMEM;
	if (ccd_load(c->ccd_dir, p->cn, ccd, err, sizeof(err)) != 0) {
		log_warnx("peer %u (%s) %s: refused: client-config-dir: %s", p->id, p->cn, p->sa_str,
		    err);
		snprintf(reason, cap, "client configuration error");
		free(ccd);
		return ERR_CONFIG;
	}
	if (!ccd->found && c->ccd_exclusive) {
		log_info("peer %u (%s) %s: refused: no client-config-dir file (ccd-exclusive)", p->id,
		    p->cn, p->sa_str);
		snprintf(reason, cap, "client not configured");
		free(ccd);
		return ERR_AUTH;
	}
	if (ccd->disable) {
		log_info("peer %u (%s) %s: refused: disabled in client-config-dir", p->id, p->cn,
		    p->sa_str);
		snprintf(reason, cap, "client disabled");
		ccd_free(ccd);
		free(ccd);
		return ERR_AUTH;
	}
	if (ccd->found)
		p->ccd = ccd;
	else
		free(ccd);
	return 0;
}

/* ---- groups and addresses ---- */

/* Live sessions of the same user (username, or the CN without one). */
static unsigned
user_devices(struct engine *e, const struct peer *p)
{
	const char *who = p->username[0] ? p->username : p->cn;
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < e->peers.max; i++) {
		const struct peer *q = e->peers.by_id[i];

		if (q == NULL || q == p || q->state != PEER_ACTIVE || q->closing)
			continue;
		if (strcmp(q->username[0] ? q->username : q->cn, who) == 0)
			n++;
	}
	return n;
}

static void
add_group(const char *name, void *arg)
{
	struct peer *p = arg;
	size_t n = strlen(p->group_names), k = strlen(name);
	const char *s = p->group_names;

	/* already listed? */
	while ((s = strstr(s, name)) != NULL) {
		if ((s == p->group_names || s[-1] == ',') && (s[k] == ',' || s[k] == '\0'))
			return;
		s += k;
	}
	if (n + k + 2 > sizeof(p->group_names))
		return;
	if (n > 0)
		p->group_names[n++] = ',';
	memcpy(p->group_names + n, name, k + 1);
}

/* The group bits of p's group names, under the current rules (names no
 * rule or setting mentions get none). */
static void
group_bits(struct engine *e, struct peer *p)
{
	char buf[sizeof(p->group_names)], *tok, *save = NULL;

	memcpy(buf, p->group_names, sizeof(buf));
	p->groups = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		const char *one = tok;

		p->groups |= epnet_groups(e->ep, &one, 1);
	}
}

/* Groups from the certificate (client-group-from-cert) and client-config-dir;
 * a client-connect hook may add more later. */
static void
compute_groups(struct engine *e, struct peer *p)
{
	const struct server_conf *c = e->conf;
	unsigned i, skipped = 0;
	int r;

	p->group_names[0] = '\0';
	p->groups = 0;
	if (c->group_from_cert[0] != '\0' && p->ks[0].tls != NULL) {
		r = tls_sess_peer_field(p->ks[0].tls, c->group_from_cert, add_group, p, &skipped);
		if (skipped > 0)
			log_warnx("peer %u (%s): %u certificate %s value(s) are not usable group "
			    "names; ignored", p->id, p->cn, skipped, c->group_from_cert);
		if (r < 0 && r != ERR_NOTFOUND)
			log_warnx("peer %u (%s): cannot read certificate field %s: %s", p->id, p->cn,
			    c->group_from_cert, err_str(r));
	}
	if (p->ccd != NULL)
		for (i = 0; i < p->ccd->n_groups; i++)
			add_group(p->ccd->groups[i], p);
	group_bits(e, p);
	if (p->group_names[0] != '\0')
		log_info("peer %u (%s): groups %s", p->id, p->cn, p->group_names);
}

struct lease_ctx {
	struct engine *e;
	const struct peer *p;
};

static bool
held_by_other(const struct addr *a, void *arg)
{
	struct lease_ctx *x = arg;
	const char *h = ipp_holder(&x->e->ipp, a);

	return h != NULL && strcmp(h, x->p->cn) != 0;
}

/* A sticky address when the client has one (ifconfig-pool-persist), else
 * the lowest free address that no other name holds, else any free one. */
static int
assign_address(struct engine *e, struct peer *p)
{
	const struct ipp_entry *ent;
	struct lease_ctx x = { e, p };

	if (e->conf->ipp_path == NULL)
		return pool_alloc(&e->pool, &p->vaddr, &p->pool_idx);
	ent = ipp_get(&e->ipp, p->cn);
	if (ent != NULL && ent->v4.family == AF_INET &&
	    pool_reserve(&e->pool, &ent->v4, &p->pool_idx) == 0) {
		p->vaddr = ent->v4;
		return 0;
	}
	if (pool_alloc_avoid(&e->pool, held_by_other, &x, &p->vaddr, &p->pool_idx) == 0)
		return 0;
	return pool_alloc(&e->pool, &p->vaddr, &p->pool_idx);
}

/* The address p will most likely get (for a client-connect hook's
 * ifconfig_pool_remote_ip, which 2.6 sets before the hook runs): its sticky
 * lease or the next free address; client-config-dir or the hook itself may
 * still pick another.  Nothing is taken. */
int
engine_predict_addr(struct engine *e, struct peer *p, struct addr *out)
{
	if (p->has_vaddr) {
		*out = p->vaddr;
		return 0;
	}
	if (assign_address(e, p) != 0)
		return ERR_FULL;
	*out = p->vaddr;
	pool_release(&e->pool, &p->vaddr);
	return 0;
}

enum { IPP_SAVE_DELAY_MS = 1000 };

static void
ipp_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct engine *e = container_of(t, struct engine, ipp_timer);

	(void)now;
	e->ipp_timer_armed = false;
	if (e->ipp.dirty && ipp_save(&e->ipp, e->conf->ipp_path) != 0)
		log_warn("ifconfig-pool-persist: cannot write %s", e->conf->ipp_path);
}

static void
remember_lease(struct engine *e, struct peer *p)
{
	const struct server_conf *c = e->conf;

	if (c->ipp_path == NULL || c->ipp_secs == 0)   /* 2.6: seconds 0 = read only */
		return;
	if (ipp_set(&e->ipp, p->cn, &p->vaddr, p->has_vaddr6 ? &p->vaddr6 : NULL) != 0)
		return;
	/* written within a second, not every `seconds` as 2.6 does: a crash
	 * must not hand a returning client a different address */
	if (e->ipp.dirty && !e->ipp_timer_armed) {
		ev_timer_arm(&e->loop, &e->ipp_timer, evloop_now(&e->loop) +
		    MTIME_MSEC(IPP_SAVE_DELAY_MS));
		e->ipp_timer_armed = true;
	}
}

static int
env_authorize(void *owner, struct peer *p, const char *occ_options, const struct peerinfo *pi,
	      char *reason, size_t cap)
{
	struct engine *e = owner;
	const struct server_conf *c = e->conf;
	const char *name;
	int r;

	/* Compression framing: what is configured, or the nearest framing this
	 * client understands; a legacy profile with comp-lzo gets matching
	 * framing even when we configure none (2.6's compress migrate). */
	p->comp = (uint8_t)comp_negotiate(c->compress, pi->lz4v2, pi->lz4, pi->comp_stub,
	    pi->comp_stubv2, pi->lzo_stub, strstr(occ_options, ",comp-lzo") != NULL);
	p->comp_allow = (uint8_t)(c->has_allow_compression ? c->allow_compression :
	    comp_allow_default(c->compress));
	name = push_select_cipher((const char (*)[24])c->data_ciphers, c->n_data_ciphers,
	    c->data_ciphers_fallback, pi);
	p->cipher = name != NULL ? aead_find(name) : NULL;
	if (p->cipher == NULL) {
		log_info("peer %u (%s) %s: no shared data cipher: client offers '%s', server allows "
		    "%s%s", p->id, p->cn, p->sa_str, pi->ciphers[0] ? pi->ciphers : "(none)",
		    c->n_data_ciphers > 0 ? c->data_ciphers[0] : "", c->n_data_ciphers > 1 ? "..." : "");
		snprintf(reason, cap, "Data channel cipher negotiation failed (no shared cipher)");
		return ERR_AUTH;
	}
	if (e->crl_broken) {
		log_warnx("peer %u (%s) %s: refused: the CRL could not be read (fail closed)", p->id,
		    p->cn, p->sa_str);
		snprintf(reason, cap, "%scertificate revocation list unavailable",
		    (p->iv_proto & IV_PROTO_AUTH_FAIL_TEMP) ? "TEMP: " : "");
		return ERR_AUTH;
	}
	if (c->ccd_dir != NULL && (r = apply_ccd(e, p, reason, cap)) != 0)
		return r;
	if (p->mgmt_cfg != NULL && (r = apply_mgmt_cfg(e, p, reason, cap)) != 0)
		return r;
	/* Without duplicate-cn the new session replaces one with the same name
	 * and takes over its client slot and address. */
	if (!c->duplicate_cn)
		close_same_cn(e, p);
	if (!p->holds_slot && e->n_clients >= c->max_clients) {
		log_warnx("peer %u (%s) %s: refused: max-clients (%u) reached", p->id, p->cn,
		    p->sa_str, c->max_clients);
		p->fail_code = CONNLOG_REASON_LIMIT;
		snprintf(reason, cap, "%sserver has reached its maximum number of clients",
		    (p->iv_proto & IV_PROTO_AUTH_FAIL_TEMP) ? "TEMP: " : "");
		return ERR_FULL;
	}
	if (c->max_user_devices > 0 && user_devices(e, p) >= c->max_user_devices) {
		log_warnx("peer %u (%s) %s: refused: %s already has %u session(s) "
		    "(max-devices-per-user)", p->id, p->cn, p->sa_str,
		    p->username[0] ? p->username : p->cn, c->max_user_devices);
		p->fail_code = CONNLOG_REASON_LIMIT;
		snprintf(reason, cap, "%stoo many devices connected for this user",
		    (p->iv_proto & IV_PROTO_AUTH_FAIL_TEMP) ? "TEMP: " : "");
		return ERR_FULL;
	}
	if (p->ccd != NULL && p->ccd->has_ifconfig && !(p->has_vaddr &&
	    addr_eq(&p->vaddr, &p->ccd->ifconfig))) {
		/* a static address from client-config-dir replaces any other */
		if (p->has_vaddr) {
			e->by_vaddr[p->pool_idx] = NULL;
			pool_release(&e->pool, &p->vaddr);
			p->has_vaddr = false;
		}
		r = pool_reserve(&e->pool, &p->ccd->ifconfig, &p->pool_idx);
		if (r == 0) {
			/* the second argument must be what we push: the netmask in
			 * subnet, the point-to-point peer in net30/p2p */
			struct addr want;

			if (e->pool.topology == TOPO_SUBNET)
				addr_netmask_from_len(e->pool.net.len, &want);
			else
				pool_peer_addr(&e->pool, &p->ccd->ifconfig, &want);
			if (!addr_eq(&want, &p->ccd->ifconfig_2nd)) {
				char w[ADDR_STR_MAX];

				pool_release(&e->pool, &p->ccd->ifconfig);
				addr_format(&want, w, sizeof(w));
				log_warnx("peer %u (%s) %s: client-config-dir ifconfig-push: the second "
				    "argument must be %s in this topology", p->id, p->cn, p->sa_str, w);
				snprintf(reason, cap, "client configuration error");
				return ERR_CONFIG;
			}
		}
		if (r != 0) {
			char a[ADDR_STR_MAX];

			addr_format(&p->ccd->ifconfig, a, sizeof(a));
			log_warnx("peer %u (%s) %s: client-config-dir address %s is %s", p->id, p->cn,
			    p->sa_str, a, r == ERR_EXISTS ? "in use by another client" :
			    "not an address this topology hands out");
			snprintf(reason, cap, "static address unavailable");
			return r;
		}
		p->vaddr = p->ccd->ifconfig;
	}
	compute_groups(e, p);
	r = p->has_vaddr || (p->ccd != NULL && p->ccd->has_ifconfig) ? 0 :
	    assign_address(e, p);
	if (r != 0) {
		log_warnx("peer %u (%s) %s: address pool exhausted (%u of %u in use)", p->id, p->cn,
		    p->sa_str, e->pool.used, e->pool.size);
		p->fail_code = CONNLOG_REASON_POOL;
		snprintf(reason, cap, "%sno free address in the client address pool",
		    (p->iv_proto & IV_PROTO_AUTH_FAIL_TEMP) ? "TEMP: " : "");
		return ERR_FULL;
	}
	p->has_vaddr = true;
	e->by_vaddr[p->pool_idx] = p;
	if (e->pool.has6) {
		pool_addr6(&e->pool, p->pool_idx, &p->vaddr6);
		p->has_vaddr6 = true;
	}
	remember_lease(e, p);
	if (!p->holds_slot) {
		p->holds_slot = true;
		e->n_clients++;
	}
	if (c->auth_gen_token && p->username[0] != '\0')
		issue_token(e, p);
	return 0;
}

static void
replace_older(struct peer *old, void *arg)
{
	struct engine *e = arg;

	session_close(old, evloop_now(&e->loop),
	    "replaced by a new authenticated session from the same address");
	peer_schedule(e, old);
}

static void
env_keys_ready(void *owner, struct peer *p, struct keystate *ks, uint64_t now)
{
	struct engine *e = owner;
	char addr[2 * ADDR_STR_MAX], tls[160], framing[48] = "";

	if (ks->key_id != 0) {
		log_info("peer %u (%s): new data channel key %u ready", p->id, p->cn, ks->key_id);
		return;
	}
	p->connected_at = mtime_wall_sec();
	p->last_tx = now;
	p->active_since = now;
	p->last_data = now;
	half_open_remove(e, p);
	if (p->ccd != NULL && p->ccd->n_iroute > 0 && !p->has_iroutes) {
		epnet_client_add(e->ep, p->id, p->cn, p->ccd->iroute, p->ccd->n_iroute,
		    p->connected_at);
		p->has_iroutes = true;
	}
	/* A client that restarted from the same address and port: its old
	 * session goes only now that the new one has authenticated. */
	peer_for_each_at_addr(&e->peers, p, replace_older, e);
	eops_connected(e, p);
	engine_hook_learn(e, p, true);
	engine_mgmt_client_event(e, p, MGMT_EV_ESTABLISHED, 0);
	addr_format(&p->vaddr, addr, sizeof(addr));
	if (p->has_vaddr6) {
		size_t n = strlen(addr);

		addr[n++] = ' ';
		addr_format(&p->vaddr6, addr + n, sizeof(addr) - n);
	}
	tls_sess_describe(ks->tls, tls, sizeof(tls));
	if (p->comp != COMP_NONE)
		snprintf(framing, sizeof(framing), ", framing %s",
		    comp_mode_name((enum comp_mode)p->comp));
	log_info("peer %u (%s) %s: connected, address %s, cipher %s%s, %s, peer-id %s, client %s, %s",
	    p->id, p->cn, p->sa_str, addr, p->cipher->name, framing,
	    p->ekm ? "keys from TLS exporter" : "keys from legacy PRF",
	    p->data_v2 ? "yes" : "no", p->ver[0] ? p->ver : "unknown", tls);
}

/* ---- stateless handshake (doc §4) ---- */

static void
send_to(struct engine *e, const uint8_t *pkt, size_t len, const struct sockaddr *sa, socklen_t salen,
	const struct peer_local *local)
{
	uint8_t ctl[DP_CMSG_SPACE];
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
	struct msghdr m;

	memset(&m, 0, sizeof(m));
	m.msg_name = (void *)sa;
	m.msg_namelen = salen;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	dp_local_to_msg(local, &m, ctl);
	if (sendmsg(e->udp_fd, &m, MSG_DONTWAIT) < 0)
		log_rl_msg(&e->rl_stranger, evloop_now(&e->loop), LL_DEBUG, "sendto: %s",
		    strerror(errno));
}

static uint64_t
now_sec(uint64_t now)
{
	return now / MTIME_US_PER_SEC;
}

/* The stateless answer to a conforming reset (doc §4.3): our reset acking
 * theirs, with the cookie as our session id, wrapped like everything else
 * (replay id 1) and, for tls-crypt-v2 clients that can do it, the
 * early-negotiation flag asking them to resend their WKc (doc §4.4).
 * Nothing is stored (P1) and it is never retransmitted (P2). */
static void
stateless_reset_reply(struct engine *e, const struct ctl_pkt *pkt, const struct tlswrap *wrap,
		      bool resend_wkc, const struct sockaddr *sa, socklen_t salen,
		      const struct peer_local *local, uint64_t now)
{
	uint8_t plain[64], tlv[8], out[160], ssid[SESSION_ID_LEN];
	uint32_t ack0 = 0;
	struct wbuf w, t;
	struct addr src;
	uint16_t port;

	/* refusals are counted by the limiter (statistics line at exit) */
	if (addr_from_sockaddr(sa, salen, &src, &port) != 0 ||
	    !srclimit_allow(&e->stateless_lim, &src, now))
		return;
	if (cookie_make(&e->cookie, cookie_slot(now_sec(now), e->conf->hand_window), sa, salen,
	    pkt->sid, ssid) != 0)
		return;
	wbuf_init(&t, tlv, sizeof(tlv));
	if (resend_wkc && wire_build_early_neg(&t, EARLY_NEG_FLAG_RESEND_WKC) != 0)
		return;
	wbuf_init(&w, plain, sizeof(plain));
	if (wire_build_ctl(&w, P_CONTROL_HARD_RESET_SERVER_V2, 0, ssid, &ack0, 1, pkt->sid, 0,
	    tlv, t.len) != 0)
		return;
	if (wrap != NULL) {
		struct wbuf o;

		wbuf_init(&o, out, sizeof(out));
		if (tlswrap_wrap_stateless(wrap, plain, w.len, mtime_wall_sec(), &o) != 0)
			return;
		send_to(e, out, o.len, sa, salen, local);
	} else {
		send_to(e, plain, w.len, sa, salen, local);
	}
	e->stats.stateless_replies++;
}

/* A packet that may complete the 3-way handshake: it must echo our cookie,
 * ack only ids <= 1 including 0, and carry message id <= 1 (2.6.16 rule). */
static bool
completes_handshake(struct engine *e, const struct ctl_pkt *pkt, const struct sockaddr *sa,
		    socklen_t salen, uint64_t now)
{
	bool acked0 = false;
	unsigned i;

	if (pkt->key_id != 0 || !pkt->has_rsid)
		return false;
	if (pkt->opcode != P_CONTROL_V1 && pkt->opcode != P_ACK_V1 &&
	    pkt->opcode != P_CONTROL_WKC_V1)
		return false;
	if (pkt->has_msgid && pkt->msgid != 1)
		return false;
	for (i = 0; i < pkt->n_acks; i++) {
		if (pkt->acks[i] > 1)
			return false;
		acked0 |= pkt->acks[i] == 0;
	}
	if (!acked0)
		return false;
	return cookie_check(&e->cookie, now_sec(now), e->conf->hand_window, sa, salen, pkt->sid,
	    pkt->rsid);
}

static void
admit_peer(struct engine *e, const struct ctl_pkt *pkt, struct tlswrap *wrap, const uint8_t *raw,
	   size_t rawlen, bool stateful, const uint8_t *meta, size_t mlen, const struct sockaddr *sa,
	   socklen_t salen, const struct peer_local *local, uint64_t now)
{
	struct peer *p;
	int r;

	if (!half_open_allowed(e, sa, salen)) {
		tlswrap_free(wrap);
		e->stats.half_open_refused++;
		log_rl_msg(&e->rl_stranger, now, LL_INFO, "refusing a handshake: %u in progress "
		    "(max-half-open %u, %u per source)", e->n_half_open, e->conf->max_half_open,
		    e->conf->max_half_open_src);
		return;
	}
	p = peer_new();
	if (p == NULL) {
		tlswrap_free(wrap);
		return;
	}
	p->owner = e;
	peer_set_remote(p, sa, salen);
	p->local = *local;
	if (peer_set_v2_meta(p, meta, mlen) != 0) {
		tlswrap_free(wrap);
		peer_free(p);
		return;
	}
	/* The wrap moves into the peer; committing the packet's replay id now
	 * (the stateless path only peeked) makes a replay of it fail. */
	p->wrap = *wrap;
	memset(wrap, 0, sizeof(*wrap));
	if (p->wrap.mode != TLSWRAP_NONE) {
		uint8_t scratch[CTL_PKT_MAX];
		struct wbuf sw;

		wbuf_init(&sw, scratch, sizeof(scratch));
		if (tlswrap_unwrap(&p->wrap, raw, rawlen, now, &sw) != 0) {
			peer_free(p);
			return;
		}
		/* our stateless reply used replay id 1 (doc §4.1) */
		if (!stateful)
			tlswrap_set_next_send_id(&p->wrap, 2);
	}
	if (!stateful)
		memcpy(p->ssid, pkt->rsid, SESSION_ID_LEN);
	memcpy(p->csid, pkt->sid, SESSION_ID_LEN);
	ev_timer_init(&p->timer, peer_timer_cb);
	r = peer_table_add(&e->peers, p);
	if (r != 0) {
		log_rl_msg(&e->rl_stranger, now, LL_WARN, "%s: refusing connection: no free "
		    "peer-id (max-clients %u plus %u handshakes)", p->sa_str, e->conf->max_clients,
		    e->conf->max_half_open);
		peer_free(p);
		return;
	}
	p->cid = e->next_cid++;
	r = stateful ? session_start_stateful(&e->senv, p, pkt, now) : session_start(&e->senv, p, now);
	if (r != 0) {
		log_warnx("%s: cannot start session: %s", p->sa_str, err_str(r));
		peer_table_del(&e->peers, p);
		peer_free(p);
		return;
	}
	p->ho_idx = (int)e->n_half_open;
	e->half_open[e->n_half_open++] = p;
	log_debug("peer %u %s: handshake started", p->id, p->sa_str);
	if (!stateful)
		session_rx(&e->senv, p, pkt, now);
	peer_settle(e, p, now);
}

/* P5: a wrapped initial packet whose replay time is far from now is an old
 * capture being replayed; strangers get no answer to it. */
static bool
fresh_enough(const struct engine *e, const struct tlswrap *w, const uint8_t *pkt, size_t len)
{
	uint32_t id, t;
	uint64_t wall = mtime_wall_sec();

	if (tlswrap_peek_replay_id(w, pkt, len, &id, &t) != 0)
		return false;
	return (uint64_t)t + e->conf->hand_window >= wall && t <= wall + e->conf->hand_window;
}

/* Unwrap (without recording anything) and parse a stranger's packet. */
static bool
stranger_parse(struct engine *e, const struct tlswrap *w, const uint8_t *data, size_t len,
	       uint8_t *plain, size_t cap, struct ctl_pkt *pkt, uint64_t now)
{
	struct wbuf pw;

	if (w == NULL)
		return wire_parse_ctl(data, len, pkt) == 0;
	if (!fresh_enough(e, w, data, len))
		return false;
	wbuf_init(&pw, plain, cap);
	if (tlswrap_unwrap_peek(w, data, len, now, &pw) != 0)
		return false;
	return wire_parse_ctl(plain, pw.len, pkt) == 0;
}

static int
peer_wrap_init(struct engine *e, struct tlswrap *w)
{
	const struct server_conf *c = e->conf;
	int r;

	if (c->has_tls_auth)
		r = tlswrap_init_auth(w, c->tls_auth_key.key, c->key_direction, c->auth);
	else if (c->has_tls_crypt)
		r = tlswrap_init_crypt(w, c->tls_crypt_key.key, true);
	else
		return tlswrap_init_none(w);
	if (r == 0)
		r = tlswrap_set_replay_window(w, c->replay_window, MTIME_SEC(c->replay_time));
	return r;
}

/* tls-crypt-v2: the client's own key from the WKc at the end of pkt, as a
 * ready wrap (with the configured replay window); *inner is the length of
 * the packet before the WKc. */
static int
v2_client_wrap(struct engine *e, const uint8_t *pkt, size_t len, size_t *inner,
	       struct tlswrap *w, uint8_t *meta, size_t mcap, size_t *mlen)
{
	const struct server_conf *c = e->conf;
	int r;

	memset(w, 0, sizeof(*w));
	r = tlswrap_v2_unwrap_wkc(&c->tls_crypt_v2_key, pkt, len, inner, w, meta, mcap, mlen);
	if (r == 0 && (r = tlswrap_set_replay_window(w, c->replay_window,
	    MTIME_SEC(c->replay_time))) != 0)
		tlswrap_free(w);
	return r;
}

/* Packets from an address and session id we do not know: only the stateless
 * handshake applies, and nothing is kept until the cookie comes back (P1). */
static void
stranger_rx(struct engine *e, uint8_t op, const uint8_t *data, size_t len,
	    const struct sockaddr *sa, socklen_t salen, const struct peer_local *local, uint64_t now)
{
	const struct server_conf *c = e->conf;
	uint8_t plain[CTL_PKT_MAX], meta[1024];
	const struct tlswrap *sw = e->has_srv_wrap ? &e->srv_wrap : NULL;
	struct tlswrap w;
	struct ctl_pkt pkt;
	size_t inner, mlen;
	uint32_t id, t;

	switch (op) {
	case P_CONTROL_HARD_RESET_CLIENT_V2:
	case P_CONTROL_V1:
	case P_ACK_V1:
		/* A server with only a tls-crypt-v2 key refuses unwrapped packets (doc §5.5). */
		if (sw == NULL && c->has_tls_crypt_v2)
			return;
		if (!stranger_parse(e, sw, data, len, plain, sizeof(plain), &pkt, now))
			return;
		if (op == P_CONTROL_HARD_RESET_CLIENT_V2) {
			if (wire_is_valid_initial(&pkt))
				stateless_reset_reply(e, &pkt, sw, false, sa, salen, local, now);
			return;
		}
		if (!completes_handshake(e, &pkt, sa, salen, now) || peer_wrap_init(e, &w) != 0)
			return;
		admit_peer(e, &pkt, &w, data, len, false, NULL, 0, sa, salen, local, now);
		return;
	case P_CONTROL_HARD_RESET_CLIENT_V3:
	case P_CONTROL_WKC_V1:
		if (!c->has_tls_crypt_v2)
			return;
		/* Unwrapping the client's own key costs two MACs and a decryption;
		 * it still keeps nothing unless the packet authenticates. */
		if (v2_client_wrap(e, data, len, &inner, &w, meta, sizeof(meta), &mlen) != 0)
			return;
		if (!stranger_parse(e, &w, data, inner, plain, sizeof(plain), &pkt, now) ||
		    tlswrap_peek_replay_id(&w, data, inner, &id, &t) != 0) {
			tlswrap_free(&w);
			return;
		}
		if (op == P_CONTROL_WKC_V1) {
			if (completes_handshake(e, &pkt, sa, salen, now))
				admit_peer(e, &pkt, &w, data, inner, false, meta, mlen, sa, salen, local,
				    now);
			else
				tlswrap_free(&w);
			return;
		}
		if (!wire_is_valid_initial(&pkt)) {
			tlswrap_free(&w);
			return;
		}
		if (tlswrap_client_supports_cookie(id)) {
			stateless_reset_reply(e, &pkt, &w, true, sa, salen, local, now);
			tlswrap_free(&w);
		} else if (c->tls_crypt_v2_force_cookie) {
			log_rl_msg(&e->rl_stranger, now, LL_INFO, "refusing a tls-crypt-v2 client that "
			    "cannot do the stateless handshake (OpenVPN before 2.6; force-cookie)");
			tlswrap_free(&w);
		} else {
			/* 2.5 clients: state at the first packet, as 2.6's
			 * allow-noncookie does; P4's limits still bound it. */
			admit_peer(e, &pkt, &w, data, inner, true, meta, mlen, sa, salen, local, now);
		}
		return;
	default:
		return;
	}
}

static void
control_rx(struct engine *e, const uint8_t *data, size_t len, const struct sockaddr *sa,
	   socklen_t salen, const struct peer_local *local, uint64_t now)
{
	uint8_t plain[CTL_PKT_MAX], sid[SESSION_ID_LEN], b0, op;
	struct ctl_pkt pkt;
	struct peer *p;
	struct wbuf pw;
	struct buf b;
	size_t inner = len;
	int r;

	/* The sender's session id is in clear at bytes 1..8 in every wrapping
	 * mode (doc §2.1), so the session is found before anything is checked. */
	buf_init(&b, data, len);
	if (buf_get_u8(&b, &b0) != 0 || buf_get_bytes(&b, sid, sizeof(sid)) != 0)
		return;
	op = wire_opcode(b0);
	p = peer_by_addr_sid(&e->peers, sa, salen, sid);
	if (p == NULL) {
		if (!e->stopping)
			stranger_rx(e, op, data, len, sa, salen, local, now);
		return;
	}
	/* A retransmitted WKC_V1: the WKc is ignored (doc §4.4). */
	if (op == P_CONTROL_WKC_V1 && tlswrap_wkc_split(data, len, &inner) != 0)
		return;
	wbuf_init(&pw, plain, sizeof(plain));
	r = tlswrap_unwrap(&p->wrap, data, inner, now, &pw);
	if (r == 0)
		r = wire_parse_ctl(plain, pw.len, &pkt);
	if (r != 0) {
		log_rl_msg(&p->rl, now, LL_DEBUG, "peer %u: dropping control packet: %s", p->id,
		    err_str(r));
		return;
	}
	/* A retransmitted reset of a session we already admitted is acked again
	 * through the reliability layer, but only if it conforms. */
	if ((pkt.opcode == P_CONTROL_HARD_RESET_CLIENT_V2 ||
	    pkt.opcode == P_CONTROL_HARD_RESET_CLIENT_V3) && !wire_is_valid_initial(&pkt))
		return;
	p->local = *local;
	session_rx(&e->senv, p, &pkt, now);
	peer_settle(e, p, now);
}

static void deliver(struct engine *e, struct peer *p, enum dp_kind kind, size_t n, uint64_t now);

static void
data_rx(struct engine *e, const uint8_t *data, size_t len, const struct sockaddr *sa,
	socklen_t salen, const struct peer_local *local, uint64_t now)
{
	struct dchan_hdr h;
	enum dp_kind kind;
	struct peer *p;
	size_t n;
	int r;

	if (dchan_parse_hdr(data, len, &h) != 0)
		return;
	if (h.opcode == P_DATA_V2 && h.peer_id != PEER_ID_NONE)
		p = peer_by_id(&e->peers, h.peer_id);
	else
		p = peer_by_addr(&e->peers, sa, salen);
	if (p == NULL) {
		e->stats.data_drops++;
		return;
	}
	r = dp_recv(p, data, len, now, e->pt, sizeof(e->pt), &n, &kind);
	if (r != 0) {
		e->stats.data_drops++;
		log_rl_msg(&p->rl, now, LL_DEBUG, "peer %u (%s): dropping data packet: %s", p->id,
		    p->cn, err_str(r));
		return;
	}
	p->local = *local;
	if (!sockaddr_eq((const struct sockaddr *)&p->sa, p->salen, sa, salen)) {
		/* Float (P9): only now that the packet passed AEAD and replay. */
		struct peer *other = peer_by_addr(&e->peers, sa, salen);
		char from[SOCKADDR_STR_MAX];

		if (other != NULL) {
			log_rl_msg(&p->rl, now, LL_INFO, "peer %u (%s): refusing float onto the address "
			    "of peer %u", p->id, p->cn, other->id);
			return;
		}
		memcpy(from, p->sa_str, sizeof(from));
		peer_table_move(&e->peers, p, sa, salen);
		log_info("peer %u (%s) floated from %s to %s", p->id, p->cn, from, p->sa_str);
	}
	deliver(e, p, kind, n, now);
}

static struct peer *peer_by_vaddr(struct engine *e, const struct addr *a);

static bool
from_own_iroute(struct engine *e, const struct peer *p, size_t n)
{
	struct addr src;
	uint32_t id;

	return dp_ip_src(e->pt, n, &src) == 0 && epnet_client_for(e->ep, &src, &id) &&
	    id == p->id;
}

/* The client that owns dst (its address or a network behind it), if any. */
static struct peer *
client_for(struct engine *e, const struct addr *dst)
{
	struct peer *q = peer_by_vaddr(e, dst);
	uint32_t id;

	if (q == NULL && epnet_client_for(e->ep, dst, &id))
		q = peer_by_id(&e->peers, id);
	return q != NULL && q->state == PEER_ACTIVE ? q : NULL;
}

/* A packet from a client, after the source check: authorization (every
 * packet, P8's sibling), then to another client (client-to-client) or TUN. */
static void
forward(struct engine *e, struct peer *p, size_t n, uint64_t now)
{
	struct addr dst;
	struct peer *q;

	if (dp_ip_dst(e->pt, n, &dst) != 0) {
		e->stats.data_drops++;
		return;
	}
	if (!epnet_allow(e->ep, p->groups, &dst)) {
		e->stats.unauthorized++;
		if (log_enabled(LL_DEBUG)) {
			char s[ADDR_STR_MAX];

			addr_format(&dst, s, sizeof(s));
			log_rl_msg(&p->rl, now, LL_DEBUG, "peer %u (%s): not authorized for %s: "
			    "dropped", p->id, p->cn, s);
		}
		return;
	}
	p->last_data = now;
	if (e->conf->client_to_client && (q = client_for(e, &dst)) != NULL && q != p) {
		dp_send(e->tx, q, e->pt, n, now);
		return;
	}
	if (write(e->tun_fd, e->pt, n) < 0)
		log_rl_msg(&e->rl_data, now, LL_DEBUG, "tun write: %s", strerror(errno));
}

static void
deliver(struct engine *e, struct peer *p, enum dp_kind kind, size_t n, uint64_t now)
{
	if (session_rekey_due(&e->senv, p)) {
		session_tick(&e->senv, p, now);
		peer_schedule(e, p);
	}
	switch (kind) {
	case DP_IP:
		forward(e, p, n, now);
		break;
	case DP_PING:
		break;
	case DP_EXIT:
		log_info("peer %u (%s) %s: client sent exit notification", p->id, p->cn, p->sa_str);
		session_close(p, now, "client exit notify");
		peer_settle(e, p, now);
		break;
	case DP_SPOOFED:
		/* a network behind the client (iroute) may be the source */
		if (p->has_iroutes && from_own_iroute(e, p, n)) {
			forward(e, p, n, now);
			break;
		}
		e->stats.spoofed++;
		log_rl_msg(&p->rl, now, LL_INFO, "peer %u (%s): dropping packet with a source address "
		    "that is not the client's", p->id, p->cn);
		break;
	case DP_BAD_IP:
		e->stats.data_drops++;
		break;
	}
}

static void
datagram_rx(struct engine *e, const uint8_t *data, size_t len, const struct sockaddr *sa,
	    socklen_t salen, const struct peer_local *local, uint64_t now)
{
	struct buf b;
	uint8_t op;

	buf_init(&b, data, len);
	if (buf_peek_u8(&b, 0, &op) != 0)
		return;
	op = wire_opcode(op);
	if (op == P_DATA_V2 || op == P_DATA_V1)
		data_rx(e, data, len, sa, salen, local, now);
	else if (wire_is_control_opcode(op))
		control_rx(e, data, len, sa, salen, local, now);
}

static void
udp_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, udp_io);
	unsigned round, i;
	int n;

	(void)revents;
	for (round = 0; round < RX_BATCHES_PER_WAKEUP; round++) {
		for (i = 0; i < DP_BATCH; i++) {
			e->rx_msg[i].msg_hdr.msg_namelen = sizeof(e->rx_sa[i]);
			e->rx_msg[i].msg_hdr.msg_control = e->rx_ctl[i];
			e->rx_msg[i].msg_hdr.msg_controllen = sizeof(e->rx_ctl[i]);
			e->rx_iov[i].iov_len = DP_BUF;
		}
		n = recvmmsg(e->udp_fd, e->rx_msg, DP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < (unsigned)n; i++) {
			struct peer_local local;

			if (e->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			dp_local_from_msg(&e->rx_msg[i].msg_hdr, &local);
			datagram_rx(e, e->rx_buf[i], e->rx_msg[i].msg_len,
			    (const struct sockaddr *)&e->rx_sa[i], e->rx_msg[i].msg_hdr.msg_namelen, &local,
			    now);
		}
		if (n < DP_BATCH)
			break;
	}
}

/* ---- TCP (doc §1, §4.1: no stateless step; one client per connection) ---- */

struct tcp_rx_ctx {
	struct engine *e;
	struct peer *p;
	uint64_t now;
};

static int
tcp_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct tcp_rx_ctx *x = arg;
	struct engine *e = x->e;
	struct peer *p = x->p;
	uint8_t plain[CTL_PKT_MAX];   /* cp.payload points in here: keep it in scope */
	struct ctl_pkt cp;
	enum dp_kind kind;
	struct buf b;
	uint8_t op;
	size_t n;
	int r;

	buf_init(&b, pkt, len);
	if (buf_peek_u8(&b, 0, &op) != 0)
		return ERR_TRUNC;
	op = wire_opcode(op);
	if (op == P_DATA_V1 || op == P_DATA_V2) {
		r = dp_recv(p, pkt, len, x->now, e->pt, sizeof(e->pt), &n, &kind);
		if (r != 0) {
			e->stats.data_drops++;
			return 0;
		}
		deliver(e, p, kind, n, x->now);
		return 0;
	}
	if (!wire_is_control_opcode(op))
		return ERR_MALFORMED;
	{
		const struct server_conf *c = e->conf;
		uint8_t meta[1024];
		struct tlswrap w;
		struct wbuf pw;
		size_t inner = len, mlen;

		if (op == P_CONTROL_HARD_RESET_CLIENT_V3 && p->ks[0].state == KS_NONE) {
			/* tls-crypt-v2: this client's key travels in its first packet */
			if (!c->has_tls_crypt_v2)
				return ERR_MALFORMED;
			if (v2_client_wrap(e, pkt, len, &inner, &w, meta, sizeof(meta), &mlen) != 0)
				return ERR_AUTH;
			tlswrap_free(&p->wrap);
			p->wrap = w;
			if (peer_set_v2_meta(p, meta, mlen) != 0)
				return ERR_NOMEM;
		} else if (op == P_CONTROL_WKC_V1 && tlswrap_wkc_split(pkt, len, &inner) != 0) {
			return ERR_MALFORMED;
		} else if (p->wrap.mode == TLSWRAP_NONE && !c->has_tls_auth && !c->has_tls_crypt &&
		    c->has_tls_crypt_v2) {
			return ERR_AUTH;   /* a tls-crypt-v2 server refuses unwrapped clients */
		}
		wbuf_init(&pw, plain, sizeof(plain));
		r = tlswrap_unwrap(&p->wrap, pkt, inner, x->now, &pw);
		if (r != 0)
			return r;
		if (wire_parse_ctl(plain, pw.len, &cp) != 0)
			return ERR_MALFORMED;
	}
	if (p->ks[0].state == KS_NONE) {
		/* the first packet on a connection must be a conforming reset */
		if ((cp.opcode != P_CONTROL_HARD_RESET_CLIENT_V2 &&
		    cp.opcode != P_CONTROL_HARD_RESET_CLIENT_V3) || !wire_is_valid_initial(&cp))
			return ERR_MALFORMED;
		p->close_at = MTIME_NEVER;
		r = session_start_stateful(&e->senv, p, &cp, x->now);
		if (r != 0)
			return r;
		log_debug("peer %u %s: TCP handshake started", p->id, p->sa_str);
		return 0;
	}
	if (memcmp(cp.sid, p->csid, SESSION_ID_LEN) != 0)
		return ERR_MALFORMED;
	session_rx(&e->senv, p, &cp, x->now);
	return 0;
}

static void
tcp_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct tcp_conn *c = container_of(io, struct tcp_conn, io);
	struct peer *p = c->peer;
	struct engine *e = p->owner;
	struct tcp_rx_ctx x = { e, p, now };
	uint8_t buf[16384];
	unsigned round;
	ssize_t n;
	int r;

	if (revents & EPOLLOUT) {
		r = tcp_conn_flush(c);
		if (r == ERR_SYS) {
			peer_close(e, p, "TCP connection failed");
			return;
		}
		if (r == 0 && c->want_write) {
			c->want_write = false;
			ev_io_mod(&e->loop, &c->io, EPOLLIN);
		}
	}
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (round = 0; round < 16; round++) {
		n = read(c->fd, buf, sizeof(buf));
		if (n == 0) {
			peer_close(e, p, "TCP connection closed by the client");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			peer_close(e, p, "TCP connection failed");
			return;
		}
		r = tcp_conn_feed(c, buf, (size_t)n, tcp_packet, &x);
		if (r != 0) {
			log_rl_msg(&e->rl_stranger, now, LL_INFO, "peer %u %s: closing TCP connection: "
			    "%s", p->id, p->sa_str, err_str(r));
			peer_close(e, p, "malformed TCP stream");
			return;
		}
		if ((size_t)n < sizeof(buf))
			break;
	}
	peer_settle(e, p, now);
}

static void
tcp_blocked(void *arg, struct tcp_conn *c, int r)
{
	struct engine *e = arg;
	struct peer *p = c->peer;

	if (r == ERR_AGAIN) {
		if (!c->want_write) {
			c->want_write = true;
			ev_io_mod(&e->loop, &c->io, EPOLLIN | EPOLLOUT);
		}
		return;
	}
	/* Closing here would free c under the flush loop; let the timer do it. */
	session_close(p, evloop_now(&e->loop), "TCP connection failed");
	peer_schedule(e, p);
}

static void
accept_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, listen_io);
	struct sockaddr_storage ss;
	struct tcp_conn *c;
	struct peer *p;
	socklen_t sl;
	unsigned i;
	int fd, one = 1;

	(void)revents;
	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		fd = accept4(e->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (e->stopping || !half_open_allowed(e, (struct sockaddr *)&ss, sl)) {
			e->stats.half_open_refused++;
			log_rl_msg(&e->rl_stranger, now, LL_INFO, "refusing a TCP connection: %u "
			    "handshakes in progress (max-half-open %u, %u per source)", e->n_half_open,
			    e->conf->max_half_open, e->conf->max_half_open_src);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p = peer_new();
		c = calloc(1, sizeof(*c));
		if (p == NULL || c == NULL) {
			free(c);
			peer_free(p);
			close(fd);
			continue;
		}
		tcp_conn_init(c, fd);
		c->peer = p;
		p->tcp = c;
		if (peer_wrap_init(e, &p->wrap) != 0) {
			tcp_conn_free(c);
			free(c);
			p->tcp = NULL;
			peer_free(p);
			continue;
		}
		p->owner = e;
		peer_set_remote(p, (struct sockaddr *)&ss, sl);
		ev_timer_init(&p->timer, peer_timer_cb);
		if (peer_table_add(&e->peers, p) != 0 ||
		    ev_io_add(&e->loop, &c->io, fd, EPOLLIN, tcp_io_cb) != 0) {
			peer_table_del(&e->peers, p);
			tcp_conn_free(c);
			free(c);
			p->tcp = NULL;
			peer_free(p);
			continue;
		}
		p->cid = e->next_cid++;
		p->last_rx = now;
		/* a connection that never sends its reset is dropped like any
		 * handshake that does not finish (P4) */
		p->close_at = now + MTIME_SEC(e->conf->hand_window);
		snprintf(p->close_reason, sizeof(p->close_reason), "no handshake on the TCP connection");
		p->ho_idx = (int)e->n_half_open;
		e->half_open[e->n_half_open++] = p;
		peer_schedule(e, p);
		log_debug("peer %u %s: TCP connection accepted", p->id, p->sa_str);
	}
}

/* ---- TUN ---- */

static struct peer *
peer_by_vaddr(struct engine *e, const struct addr *a)
{
	uint32_t idx;

	if (!pool_index(&e->pool, a, &idx))
		return NULL;
	return e->by_vaddr[idx];
}

static void
tun_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, tun_io);
	struct addr dst;
	struct peer *p;
	unsigned i;
	ssize_t n;

	(void)revents;
	for (i = 0; i < TUN_READS_PER_WAKEUP; i++) {
		n = read(e->tun_fd, e->pt, sizeof(e->pt));
		if (n <= 0)
			break;
		if (dp_ip_dst(e->pt, (size_t)n, &dst) != 0)
			continue;
		p = client_for(e, &dst);
		if (p == NULL) {
			e->stats.tun_no_peer++;
			continue;
		}
		dp_send(e->tx, p, e->pt, (size_t)n, now);
		p->last_data = now;
		if (session_rekey_due(&e->senv, p)) {
			/* the key has worn out (reneg-bytes/pkts, AEAD limits) */
			session_tick(&e->senv, p, now);
			peer_settle(e, p, now);
		}
	}
}

static void
before_sleep(void *arg, uint64_t now)
{
	struct engine *e = arg;

	(void)now;
	dp_batch_flush(e->tx);
}

/* ---- CRL (crl-verify) ---- */

enum { CRL_CHECK_MS = 500, CRL_WARN_DAYS = 7 };   /* a stat() twice a second */

static void
crl_report_expiry(struct engine *e)
{
	int64_t next;
	int64_t now = (int64_t)mtime_wall_sec();

	if (tls_ctx_crl_next_update(e->tls, &next) != 0)
		return;
	if (next <= now)
		log_err("the CRL's next update was due %lld hours ago: clients of its CA are "
		    "refused until a fresh CRL is installed", (long long)((now - next) / 3600));
	else if (next - now < CRL_WARN_DAYS * 86400)
		log_warnx("the CRL must be renewed within %lld hours (next update %lld)",
		    (long long)((next - now) / 3600), (long long)next);
}

/* A live session whose certificate the new CRL revokes ends now (P12):
 * HALT tells a 2.6 client not to come back. */
static void
crl_sweep(struct engine *e, uint64_t now)
{
	uint32_t i, n = 0;

	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p == NULL || p->ks[0].tls == NULL || !tls_sess_established(p->ks[0].tls) ||
		    !tls_sess_peer_revoked(p->ks[0].tls, e->tls))
			continue;
		log_info("peer %u (%s) %s: certificate revoked by the new CRL: disconnecting", p->id,
		    p->cn, p->sa_str);
		if (p->state == PEER_ACTIVE)
			session_send_text(&e->senv, p, "HALT,certificate revoked", now);
		/* gone within a second whatever the client sends (P21) */
		session_close(p, now + MTIME_SEC(1), "certificate revoked");
		peer_schedule(e, p);
		n++;
	}
	if (n > 0)
		log_info("CRL: %u session(s) ended", n);
}

static void
crl_check(struct engine *e, uint64_t now)
{
	struct stat st;
	char errbuf[256];
	char *data = NULL;
	size_t len = 0;
	FILE *f;

	if (stat(e->conf->crl_path, &st) != 0) {
		if (!e->crl_broken)
			log_err("crl-verify %s: %s: refusing new clients until it is back",
			    e->conf->crl_path, strerror(errno));
		e->crl_broken = true;
		return;
	}
	if (!e->crl_broken && st.st_mtim.tv_sec == e->crl_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == e->crl_st.st_mtim.tv_nsec && st.st_size == e->crl_st.st_size &&
	    st.st_ino == e->crl_st.st_ino)
		return;
	e->crl_st = st;
	f = fopen(e->conf->crl_path, "re");
	if (f != NULL) {
		data = malloc((size_t)st.st_size + 1);
		if (data != NULL)
			len = fread(data, 1, (size_t)st.st_size, f);
		fclose(f);
	}
	if (data == NULL || len == 0 ||
	    tls_ctx_set_crl(e->tls, data, len, errbuf, sizeof(errbuf)) != 0) {
		log_err("crl-verify %s: cannot load the changed CRL (%s): refusing new clients "
		    "until it is fixed", e->conf->crl_path, data == NULL || len == 0 ? "unreadable" :
		    errbuf);
		e->crl_broken = true;
		free(data);
		return;
	}
	free(data);
	if (e->crl_broken)
		log_info("crl-verify %s: a valid CRL is back; accepting clients again",
		    e->conf->crl_path);
	else
		log_info("crl-verify %s: CRL reloaded", e->conf->crl_path);
	e->crl_broken = false;
	crl_report_expiry(e);
	crl_sweep(e, now);
}

static void
crl_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct engine *e = container_of(t, struct engine, crl_timer);

	crl_check(e, now);
	ev_timer_arm(&e->loop, &e->crl_timer, now + MTIME_MSEC(CRL_CHECK_MS));
}

/* ---- shutdown ---- */

static void
begin_stop(struct engine *e, uint64_t now)
{
	const char *msg = e->conf->explicit_exit_notify >= 2 ? "RESTART,[N]" : "RESTART";
	uint32_t i;

	if (e->stopping)
		return;
	e->stopping = true;
	e->senv.no_renegotiation = true;
	e->stop_deadline = now + MTIME_MSEC(STOP_GRACE_MS);
	log_info("shutting down: telling %u client(s) to reconnect", e->n_clients);
	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->state == PEER_ACTIVE)
			session_send_text(&e->senv, p, msg, now);
	}
}

static bool
stop_complete(struct engine *e, uint64_t now)
{
	uint32_t i;

	if (now >= e->stop_deadline)
		return true;
	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->state == PEER_ACTIVE && !session_all_acked(p))
			return false;
	}
	return true;
}

static int
log_route(const struct rt_entry *r, bool active, void *arg)
{
	struct engine *e = arg;
	char s[PREFIX_STR_MAX], gw[ADDR_STR_MAX] = "", tb[24];
	const char *tgt = engine_route_target(e, r, tb, sizeof(tb));

	prefix_format(&r->dst, s, sizeof(s));
	if (r->gw.family != 0)
		addr_format(&r->gw, gw, sizeof(gw));
	log_info("route %s -> %s%s%s origin %s%s%s%s%s%s%s", s, tgt, gw[0] ? " via " : "", gw,
	    rt_origin_name(r->origin), r->kind != RT_KIND_NONE ? " kind " : "",
	    rt_kind_name(r->kind), active ? "" : " (shadowed)", r->desc[0] ? " \"" : "", r->desc,
	    r->desc[0] ? "\"" : "");
	return 0;
}

/* SIGUSR2 (as 2.6: statistics to the log): clients, routes, rule hits. */
static void
log_state(struct engine *e)
{
	const struct authz *az = epnet_authz(e->ep);
	uint32_t i;
	size_t k;

	log_info("state: %u client(s), pool %u of %u in use", e->n_clients, e->pool.used,
	    e->pool.size);
	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];
		char a[ADDR_STR_MAX] = "";

		if (p == NULL || p->state != PEER_ACTIVE)
			continue;
		addr_format(&p->vaddr, a, sizeof(a));
		log_info("client %u %s %s %s groups [%s] in %llu out %llu", p->id, p->cn, p->sa_str, a,
		    p->group_names, (unsigned long long)p->bytes_in,
		    (unsigned long long)p->bytes_out);
	}
	if (!epnet_on(e->ep))
		return;
	rt_walk(epnet_rtable(e->ep), log_route, e);
	for (k = 0; k < authz_count(az); k++) {
		const struct authz_rule *z = authz_rule_at(az, k);
		char s[PREFIX_STR_MAX];

		prefix_format(&z->dst, s, sizeof(s));
		log_info("authorize rule %u %s %s%s %s hits %llu", z->index + 1, s,
		    z->group < 0 ? "all" : "group ", z->group < 0 ? "" :
		    authz_group_name(az, (unsigned)z->group), z->deny ? "deny" : "allow",
		    (unsigned long long)z->hits);
	}
	log_info("authorize default-deny hits %llu", (unsigned long long)authz_default_deny_hits(az));
}

void
engine_peer_settle(struct engine *e, struct peer *p, uint64_t now)
{
	peer_settle(e, p, now);
}

void
engine_log_state(struct engine *e)
{
	log_state(e);
}

void
engine_stop(struct engine *e, uint64_t now)
{
	begin_stop(e, now);
}

/* client-auth / client-auth-nt / client-deny / client-pending-auth */
void
engine_mgmt_client_auth(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd,
			uint64_t now)
{
	struct peer *p = engine_peer_by_cid(e, cmd->cid);
	char err[CONF_ERR_MAX], msg[300];
	size_t k, len = 0;
	char *text;

	if (p == NULL || !p->mgmt_waiting || p->mgmt_kid != cmd->kid) {
		mgmtsess_error(s, "%s command failed%s", cmd->verb == MGMT_V_CLIENT_DENY ?
		    "client-deny" : cmd->verb == MGMT_V_CLIENT_PENDING_AUTH ? "client-pending-auth" :
		    "client-auth", cmd->verb == MGMT_V_CLIENT_PENDING_AUTH ?
		    ". Extra parameter might be too long" : "");
		return;
	}
	switch (cmd->verb) {
	case MGMT_V_CLIENT_PENDING_AUTH:
		/* not a decision: the client is told to wait (AUTH_PENDING) */
		snprintf(msg, sizeof(msg), "AUTH_PENDING,timeout %u", cmd->timeout);
		session_send_text(&e->senv, p, msg, now);
		snprintf(msg, sizeof(msg), "INFO_PRE,%s", cmd->argv[3]);
		session_send_text(&e->senv, p, msg, now);
		p->mgmt_deadline = now + MTIME_SEC(cmd->timeout > 0 ? cmd->timeout : 1);
		peer_schedule(e, p);
		mgmtsess_success(s, "client-pending-auth command succeeded");
		return;
	case MGMT_V_CLIENT_DENY:
		p->mgmt_waiting = false;
		log_info("peer %u (%s) %s: denied by the management interface: %s", p->id, p->cn,
		    p->sa_str, cmd->argc >= 4 ? cmd->argv[3] : "");
		p->fail_code = CONNLOG_REASON_AUTH;
		session_auth_done(&e->senv, p, (uint8_t)(p->mgmt_kid - 1), ERR_AUTH,
		    cmd->argc >= 5 ? cmd->argv[4] : "", now);
		mgmtsess_success(s, "client-deny command succeeded");
		peer_settle(e, p, now);
		return;
	default:
		break;
	}
	/* client-auth: its lines are per-client config, as a client-connect
	 * script returns them; they add to the client-config-dir file */
	if (cmd->verb == MGMT_V_CLIENT_AUTH && cmd->nblock > 0) {
		for (k = 0; k < cmd->nblock; k++)
			len += strlen(cmd->block[k]) + 1;
		if ((text = malloc(len + 1)) == NULL) {
			mgmtsess_error(s, "client-auth command failed");
			return;
		}
		for (len = 0, k = 0; k < cmd->nblock; k++)
			len += (size_t)sprintf(text + len, "%s\n", cmd->block[k]);
		if (p->mgmt_cfg == NULL || p->mgmt_cfg_len == 0) {
			free(p->mgmt_cfg);
			p->mgmt_cfg = text;
			p->mgmt_cfg_len = len;
		} else {
			free(text);
		}
		{
			struct ccd probe;

			memset(&probe, 0, sizeof(probe));
			if (ccd_load_buf("client-auth", p->mgmt_cfg, p->mgmt_cfg_len, &probe, err,
			    sizeof(err)) != 0) {
				ccd_free(&probe);
				mgmtsess_error(s, "client-auth command failed: %s", err);
				return;
			}
			ccd_free(&probe);
		}
	}
	p->mgmt_waiting = false;
	p->mgmt_announced = true;
	session_auth_done(&e->senv, p, (uint8_t)(p->mgmt_kid - 1), 0, "", now);
	mgmtsess_success(s, "client-auth command succeeded");
	peer_settle(e, p, now);
}

/* Recompute every live client's group bits: a reload renumbers groups. */
static void
regroup(struct engine *e)
{
	uint32_t i;

	for (i = 0; i < e->peers.max; i++)
		if (e->peers.by_id[i] != NULL)
			group_bits(e, e->peers.by_id[i]);
}

#define SWAP(a, b) do { __typeof__(a) tmp_ = (a); (a) = (b); (b) = tmp_; } while (0)

static int reload(struct engine *e, uint64_t now);

/*
 * A new client network on reload: a new pool, the tunnel device's address
 * moved, and every client told to reconnect (RESTART) to take an address
 * from the new network (sticky leases apply).  Their sessions cannot keep
 * addresses the device no longer routes.  On failure nothing has changed.
 */
static int
repool(struct engine *e, struct server_conf *nc, uint64_t now)
{
	struct pool np;
	struct peer **nb;
	struct prefix old, neu;
	uint32_t i;
	unsigned n = 0;
	int r;

	memset(&np, 0, sizeof(np));
	if ((r = pool_init(&np, &nc->server_net, nc->topology)) != 0 ||
	    (nc->has_server_ipv6 && (r = pool_add_ipv6(&np, &nc->server_net6)) != 0)) {
		log_err("reload refused: cannot build the new address pool: %s", err_str(r));
		pool_free(&np);
		return r;
	}
	if ((nb = calloc(np.size, sizeof(*nb))) == NULL) {
		pool_free(&np);
		return ERR_NOMEM;
	}
	/* the device: new address first, then the old one goes */
	neu.a = np.gateway;
	neu.len = np.net.len;
	old.a = e->pool.gateway;
	old.len = e->pool.net.len;
	if ((r = rtnl_addr_add(e->rtnl, e->tun_ifindex, &neu)) != 0 && errno != EEXIST) {
		log_err("reload refused: cannot give %s the new network's address", e->tun_name);
		free(nb);
		pool_free(&np);
		return ERR_SYS;
	}
	rtnl_addr_del(e->rtnl, e->tun_ifindex, &old);
	if (e->pool.has6) {
		old.a = e->pool.gateway6;
		old.len = e->pool.net6.len;
		rtnl_addr_del(e->rtnl, e->tun_ifindex, &old);
	}
	if (np.has6) {
		neu.a = np.gateway6;
		neu.len = np.net6.len;
		if (rtnl_addr_add(e->rtnl, e->tun_ifindex, &neu) != 0 && errno != EEXIST)
			log_warnx("reload: cannot give %s the new IPv6 address", e->tun_name);
	}
	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p == NULL || !p->has_vaddr)
			continue;
		/* its address belongs to the old pool: forget it, so that the
		 * new pool never frees an address it handed to someone else */
		p->has_vaddr = false;
		p->has_vaddr6 = false;
		if (p->state == PEER_ACTIVE && !p->closing) {
			session_send_text(&e->senv, p, "RESTART", now);
			session_close(p, now + MTIME_SEC(1), "the client network changed (reload)");
			peer_schedule(e, p);
			n++;
		}
	}
	pool_free(&e->pool);
	free(e->by_vaddr);
	e->pool = np;
	e->by_vaddr = nb;
	e->conf->server_net = nc->server_net;
	e->conf->server_net6 = nc->server_net6;
	e->conf->has_server_ipv6 = nc->has_server_ipv6;
	e->conf->has_client_cidr = nc->has_client_cidr;
	log_info("reload: new client network; %u client(s) told to reconnect", n);
	return 0;
}
static int make_tls(const struct server_conf *c, struct tls_ctx **out);

/*
 * Hot reload (SIGHUP): parse the file again; if it does not parse, nothing
 * changes.  What takes effect at once: routes, authorization rules (live
 * sessions are checked against the new rules from their next packet; no one
 * is disconnected for a reload), split tunnel and DNS for the next PUSH,
 * push lines, client-config-dir, hooks and their timeout, session policy,
 * status interval and max-clients.  What needs a restart is named in the
 * log: the listening socket, the device, the client CIDR, the TLS identity.
 */
static void
wd_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct engine *e = container_of(t, struct engine, wd_timer);

	sdnotify_watchdog(e->sd);
	ev_timer_arm(&e->loop, &e->wd_timer, now + e->sd->watchdog_interval);
}

void
engine_set_sdnotify(struct engine *e, const struct sdnotify *sd)
{
	e->sd = sd;
	if (sd != NULL && sdnotify_enabled(sd) && sd->watchdog_interval > 0) {
		ev_timer_init(&e->wd_timer, wd_timer_cb);
		ev_timer_arm(&e->loop, &e->wd_timer, evloop_now(&e->loop) + sd->watchdog_interval);
		e->wd_armed = true;
	}
}

int
engine_reload(struct engine *e, uint64_t now)
{
	int r;

	if (e->sd != NULL)
		sdnotify_reloading(e->sd, mtime_now());
	r = reload(e, now);
	if (e->sd != NULL) {
		sdnotify_ready(e->sd);
		sdnotify_status(e->sd, r == 0 ? "reloaded" : "reload refused; running config kept");
	}
	return r;
}

static int
reload(struct engine *e, uint64_t now)
{
	struct server_conf *nc, *c = e->conf;
	struct tls_ctx *ntls = NULL;
	char err[CONF_ERR_MAX];
	bool full = false, pool_changed;
	int r;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return ERR_NOMEM;
	/* With the key files readable (as root, or made readable to `user`),
	 * the TLS identity reloads too; otherwise everything else does. */
	if (conf_server_load(c->file, nc, err, sizeof(err)) == 0) {
		full = true;
	} else if (conf_server_load_reload(c->file, nc, err, sizeof(err)) != 0) {
		log_err("reload refused, the running configuration stays in force: %s", err);
		free(nc);
		return ERR_CONFIG;
	}
	if (nc->port != c->port || strcmp(nc->proto, c->proto) != 0 || strcmp(nc->dev, c->dev) != 0 ||
	    nc->topology != c->topology)
		log_warnx("reload: port, proto, dev and topology change only with a restart; the "
		    "rest is applied");
	if (full && (r = make_tls(nc, &ntls)) != 0) {
		log_err("reload refused: the new TLS configuration does not load; the running "
		    "configuration stays in force");
		conf_server_free(nc);
		free(nc);
		return r;
	}
	if (!full)
		log_info("reload: key files are not readable now; the TLS identity (ca, cert, key, "
		    "tls-crypt keys) stays as it was");
	pool_changed = !prefix_eq(&nc->server_net, &c->server_net) ||
	    nc->has_server_ipv6 != c->has_server_ipv6 ||
	    (nc->has_server_ipv6 && !prefix_eq(&nc->server_net6, &c->server_net6));
	if (pool_changed && nc->topology != c->topology) {
		log_err("reload refused: a new client network with a new topology needs a restart");
		conf_server_free(nc);
		free(nc);
		if (ntls != NULL)
			tls_ctx_free(ntls);
		return ERR_CONFIG;
	}
	if (pool_changed && (r = repool(e, nc, now)) != 0) {
		conf_server_free(nc);
		free(nc);
		if (ntls != NULL)
			tls_ctx_free(ntls);
		return r;
	}
	if ((r = epnet_reload(e->ep, nc, mtime_wall_sec())) != 0 && r != ERR_INVAL) {
		log_err("reload refused: the endpoint's networks could not be rebuilt (%s); the "
		    "running configuration stays in force", err_str(r));
		if (ntls != NULL)
			tls_ctx_free(ntls);
		conf_server_free(nc);
		free(nc);
		return r;
	}
	if (ntls != NULL) {
		/* new handshakes (and renegotiations) use the new identity; live
		 * sessions keep theirs (a session does not need its context) */
		tls_ctx_free(e->tls);
		e->tls = ntls;
		e->senv.tls = ntls;
		SWAP(c->ca, nc->ca);
		SWAP(c->cert, nc->cert);
		SWAP(c->key, nc->key);
		SWAP(c->dh, nc->dh);
		SWAP(c->crl, nc->crl);
		c->dh_none = nc->dh_none;
		log_info("reload: TLS identity reloaded (certificate, key, CA, CRL)");
	}
	/* take over what is safe to change under live sessions */
	SWAP(c->push, nc->push);
	SWAP(c->n_push, nc->n_push);
	SWAP(c->ccd_dir, nc->ccd_dir);
	SWAP(c->ccd_dir_as_written, nc->ccd_dir_as_written);
	c->ccd_exclusive = nc->ccd_exclusive;
	SWAP(c->ep_routes, nc->ep_routes);
	SWAP(c->n_ep_routes, nc->n_ep_routes);
	SWAP(c->authz, nc->authz);
	SWAP(c->n_authz, nc->n_authz);
	memcpy(c->targets, nc->targets, sizeof(c->targets));
	c->n_targets = nc->n_targets;
	c->split_tunnel = nc->split_tunnel;
	memcpy(c->split_groups, nc->split_groups, sizeof(c->split_groups));
	c->n_split_groups = nc->n_split_groups;
	memcpy(c->dns, nc->dns, sizeof(c->dns));
	c->n_dns = nc->n_dns;
	memcpy(c->group_from_cert, nc->group_from_cert, sizeof(c->group_from_cert));
	memcpy(c->client_connect, nc->client_connect, sizeof(c->client_connect));
	memcpy(c->client_disconnect, nc->client_disconnect, sizeof(c->client_disconnect));
	memcpy(c->learn_address, nc->learn_address, sizeof(c->learn_address));
	memcpy(c->connect_handler, nc->connect_handler, sizeof(c->connect_handler));
	c->hook_timeout = nc->hook_timeout;
	c->session_timeout = nc->session_timeout;
	c->idle_timeout = nc->idle_timeout;
	c->max_user_devices = nc->max_user_devices;
	c->max_clients = nc->max_clients;
	c->status_secs = nc->status_secs;
	c->status_version = nc->status_version;
	c->verb = nc->verb;
	conf_server_free(nc);
	free(nc);
	regroup(e);
	eops_reopen_logs(e);
	log_info("reload complete");
	(void)now;
	return 0;
}

static void
ep_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, ep_io);

	(void)revents;
	(void)now;
	epnet_mon_ready(e->ep, mtime_wall_sec());
}

static void
env_push_extra(void *owner, const struct peer *p, struct push_input *in)
{
	struct engine *e = owner;

	epnet_push(e->ep, p->groups, p->has_vaddr6, in);
	if (e->conf->banner[0] != '\0') {
		/* OpenVPN GUI's convention: the text, then the window that shows it */
		snprintf(e->banner_msg, sizeof(e->banner_msg), "echo msg %s", e->conf->banner);
		epnet_push_append(e->ep, e->banner_msg, in);
		epnet_push_append(e->ep, "echo msg-window Message from the VPN", in);
	}
}

static void
sig_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct engine *e = container_of(io, struct engine, sig_io);
	struct signalfd_siginfo si;

	(void)revents;
	while (read(e->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			log_info("received %s", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			begin_stop(e, now);
		} else if (si.ssi_signo == SIGUSR2) {
			log_state(e);
		} else if (si.ssi_signo == SIGHUP) {
			log_info("received SIGHUP: reloading %s", e->conf->file);
			engine_reload(e, now);
		}
	}
}

/* ---- setup ---- */

static int
setup_tun(struct engine *e)
{
	struct prefix p;
	char net[PREFIX_STR_MAX];
	int r;

	r = tun_open(e->conf->dev, 0, e->tun_name, &e->tun_fd);
	if (r != 0) {
		log_warn("cannot open TUN device '%s'", e->conf->dev);
		return r;
	}
	r = rtnl_open(&e->rtnl);
	if (r == 0)
		r = rtnl_link_index(e->tun_name, &e->tun_ifindex);
	p.a = e->pool.gateway;
	p.len = e->pool.net.len;
	if (r == 0)
		r = rtnl_addr_add(e->rtnl, e->tun_ifindex, &p);
	if (r == 0 && e->pool.has6) {
		p.a = e->pool.gateway6;
		p.len = e->pool.net6.len;
		r = rtnl_addr_add(e->rtnl, e->tun_ifindex, &p);
	}
	if (r == 0)
		r = rtnl_link_set(e->rtnl, e->tun_ifindex, true, e->conf->tun_mtu);
	if (r != 0) {
		log_warn("cannot configure TUN device %s", e->tun_name);
		return r;
	}
	prefix_format(&e->pool.net, net, sizeof(net));
	log_info("TUN device %s opened: %s, mtu %u", e->tun_name, net, e->conf->tun_mtu);
	return 0;
}

/* The address to bind for one listening socket: `local` if given, else the
 * wildcard of the family (an IPv6 socket is dual-stack). */
static socklen_t
bind_addr(const struct server_conf *c, int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (c->has_local && c->local.family == AF_INET6)
			memcpy(&s6->sin6_addr, c->local.b, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (c->has_local && c->local.family == AF_INET)
			memcpy(&s4->sin_addr, c->local.b, 4);
		return sizeof(*s4);
	}
}

static int
listen_socket(struct engine *e, int type, int family, uint16_t port, struct sockaddr_storage *ss,
	      socklen_t *sl, char *where, size_t wcap)
{
	int fd, one = 1, zero = 0;

	*sl = bind_addr(e->conf, family, port, ss);
	sockaddr_format((struct sockaddr *)ss, *sl, where, wcap);
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("socket");
		return -1;
	}
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static int
setup_udp(struct engine *e, int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int sz = SOCKBUF_BYTES;
	char where[SOCKADDR_STR_MAX];

	e->udp_fd = listen_socket(e, SOCK_DGRAM, family, port, &ss, &sl, where, sizeof(where));
	if (e->udp_fd < 0)
		return ERR_SYS;
	/* Larger buffers absorb bursts between two loop iterations; failure
	 * only costs throughput, so it is not fatal. */
	setsockopt(e->udp_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(e->udp_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (!e->conf->has_local && dp_local_enable(e->udp_fd, family) != 0)
		log_warn("cannot ask for datagrams' local addresses; replies may leave from "
		    "another address on a multihomed host");
	if (bind(e->udp_fd, (struct sockaddr *)&ss, sl) != 0) {
		log_warn("cannot bind UDP %s", where);
		return ERR_SYS;
	}
	log_info("UDP%s link local (bound): %s", family == AF_INET6 ? "v6" : "v4", where);
	return 0;
}

static int
setup_tcp(struct engine *e, int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char where[SOCKADDR_STR_MAX];

	e->listen_fd = listen_socket(e, SOCK_STREAM, family, port, &ss, &sl, where, sizeof(where));
	if (e->listen_fd < 0)
		return ERR_SYS;
	if (bind(e->listen_fd, (struct sockaddr *)&ss, sl) != 0 || listen(e->listen_fd, 128) != 0) {
		log_warn("cannot listen on TCP %s", where);
		return ERR_SYS;
	}
	log_info("TCP%s link local (bound): %s, listening", family == AF_INET6 ? "v6" : "v4", where);
	return 0;
}

static int
setup_signals(struct engine *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return ERR_SYS;
	signal(SIGPIPE, SIG_IGN);
	e->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return e->sig_fd < 0 ? ERR_SYS : 0;
}

static int
make_tls(const struct server_conf *c, struct tls_ctx **out)
{
	struct tls_conf tc;
	char err[256] = "";
	int r;

	memset(&tc, 0, sizeof(tc));
	tc.ca_pem = c->ca.data;
	tc.ca_len = c->ca.len;
	tc.cert_pem = c->cert.data;
	tc.cert_len = c->cert.len;
	tc.key_pem = c->key.data;
	tc.key_len = c->key.len;
	if (!c->dh_none) {
		tc.dh_pem = c->dh.data;
		tc.dh_len = c->dh.len;
	}
	/* the config keeps 2.6's spelling (12, 13); OpenSSL wants its constants */
	tc.min_version = c->tls_version_min == 13 ? TLS1_3_VERSION :
	    c->tls_version_min == 12 ? TLS1_2_VERSION : 0;
	tc.require_peer_cert = c->verify_client_cert == CONF_VERIFY_REQUIRE;
	tc.optional_peer_cert = c->verify_client_cert == CONF_VERIFY_OPTIONAL;
	tc.remote_cert_tls = c->remote_cert_tls_client;
	tc.groups = c->tls_groups[0] != '\0' ? c->tls_groups : NULL;
	tc.ciphersuites = c->tls_ciphersuites[0] != '\0' ? c->tls_ciphersuites : NULL;
	tc.cipher_list = c->tls_cipher[0] != '\0' ? c->tls_cipher : NULL;
	tc.security_level = c->tls_cert_profile + 1;   /* -1 (default) becomes 0 */
	tc.crl_pem = c->crl.data;
	tc.crl_len = c->crl.len;
	if (c->verify_x509_name[0] != '\0') {
		tc.verify_x509_name = c->verify_x509_name;
		tc.verify_x509_type = c->verify_x509_type;
	}
	r = tls_ctx_new(out, &tc, true, err, sizeof(err));
	if (r != 0)
		log_err("TLS setup failed: %s", err);
	return r;
}

static int
setup_tls(struct engine *e)
{
	return make_tls(e->conf, &e->tls);
}

int
engine_new(struct server_conf *conf, struct engine **out)
{
	struct engine *e;
	unsigned i;
	int r;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ERR_NOMEM;
	*out = e;
	e->conf = conf;
	e->udp_fd = e->tun_fd = e->sig_fd = e->listen_fd = e->metrics_fd = -1;
	e->next_cid = 0;
	log_rl_init(&e->rl_stranger, 10, 2);
	log_rl_init(&e->rl_data, 10, 2);

	if ((r = evloop_init(&e->loop)) != 0)
		return r;
	if (!conf->has_topology)
		log_info("no 'topology' given: using net30, OpenVPN 2.6's default (deprecated there; "
		    "'topology subnet' is recommended)");
	if (conf->compress != COMP_NONE) {
		enum comp_allow a = conf->has_allow_compression ? conf->allow_compression :
		    comp_allow_default(conf->compress);

		if (a == COMP_ALLOW_YES)
			log_warnx("'%s' with allow-compression yes: outbound packets are compressed, "
			    "which lets an attacker who can inject traffic learn plaintext from packet "
			    "sizes (VORACLE); prefer allow-compression asym", comp_mode_push_string(conf->compress));
		else
			log_warnx("'%s' is enabled for compatibility: received packets are decompressed, "
			    "outbound packets are never compressed (allow-compression %s)",
			    comp_mode_push_string(conf->compress), a == COMP_ALLOW_ASYM ? "asym" : "no");
	}
	if ((r = setup_tls(e)) != 0)
		return r;
	if ((r = cookie_key_init(&e->cookie)) != 0)
		return r;
	e->cookie_ready = true;
	if (conf->has_tls_auth || conf->has_tls_crypt) {
		if ((r = peer_wrap_init(e, &e->srv_wrap)) != 0) {
			log_err("cannot set up %s: %s", conf->has_tls_auth ? "tls-auth" : "tls-crypt",
			    err_str(r));
			return r;
		}
		e->has_srv_wrap = true;
	}
	r = pool_init(&e->pool, &conf->server_net, conf->topology);
	if (r != 0) {
		log_err("cannot build the address pool: %s", err_str(r));
		return r;
	}
	if (conf->has_server_ipv6 && (r = pool_add_ipv6(&e->pool, &conf->server_net6)) != 0) {
		log_err("server-ipv6: the prefix has fewer addresses than the IPv4 pool (%u)",
		    e->pool.size);
		return r;
	}
	e->by_vaddr = calloc(e->pool.size, sizeof(*e->by_vaddr));
	e->tx = malloc(sizeof(*e->tx));
	e->rx_buf = malloc(sizeof(*e->rx_buf) * DP_BATCH);
	if (e->by_vaddr == NULL || e->tx == NULL || e->rx_buf == NULL)
		return ERR_NOMEM;
	/* Handshakes in progress get peer-ids too but never take a client slot
	 * (P4): the table holds both, max-clients is enforced at authorization. */
	if ((r = peer_table_init(&e->peers, conf->max_clients + conf->max_half_open)) != 0)
		return r;
	e->half_open = calloc(conf->max_half_open, sizeof(*e->half_open));
	if (e->half_open == NULL)
		return ERR_NOMEM;
	if ((r = srclimit_init(&e->stateless_lim, SRC_SLOTS, SRC_BURST, SRC_PER_SEC, GLOBAL_BURST,
	    GLOBAL_PER_SEC)) != 0)
		return r;
	e->stateless_lim_ready = true;
	if ((r = setup_signals(e)) != 0) {
		log_warn("signal setup");
		return r;
	}
	if ((r = setup_tun(e)) != 0)
		return r;
	{
		struct epnet_tun tun = { e->tun_name, e->tun_ifindex };

		if ((r = epnet_new(conf, &tun, e->rtnl, mtime_wall_sec(), &e->ep)) != 0)
			return r;
	}
	ipp_init(&e->ipp);
	ev_timer_init(&e->ipp_timer, ipp_timer_cb);
	if (conf->ipp_path != NULL && (r = ipp_load(&e->ipp, conf->ipp_path)) != 0) {
		log_warn("ifconfig-pool-persist: cannot read %s", conf->ipp_path);
		return r;
	}
	if ((r = conf->tcp ? setup_tcp(e, conf->family, conf->port) :
	    setup_udp(e, conf->family, conf->port)) != 0)
		return r;
	/* listen-also: the other transport, same sessions and pool */
	if (conf->has_listen_also && (r = conf->listen_also_tcp ?
	    setup_tcp(e, conf->listen_also_family, conf->listen_also_port) :
	    setup_udp(e, conf->listen_also_family, conf->listen_also_port)) != 0)
		return r;
	dp_batch_init(e->tx, e->udp_fd);
	e->tx->tcp_blocked = tcp_blocked;
	e->tx->tcp_arg = e;
	for (i = 0; i < DP_BATCH; i++) {
		e->rx_iov[i].iov_base = e->rx_buf[i];
		e->rx_iov[i].iov_len = DP_BUF;
		e->rx_msg[i].msg_hdr.msg_iov = &e->rx_iov[i];
		e->rx_msg[i].msg_hdr.msg_iovlen = 1;
		e->rx_msg[i].msg_hdr.msg_name = &e->rx_sa[i];
	}

	e->senv.conf = conf;
	e->senv.tls = e->tls;
	e->senv.pool = &e->pool;
	e->senv.owner = e;
	e->senv.send = env_send;
	e->senv.authorize = env_authorize;
	e->senv.authenticate = env_authenticate;
	e->senv.keys_ready = env_keys_ready;
	e->senv.push_extra = env_push_extra;

	r = 0;
	if (e->listen_fd >= 0)
		r = ev_io_add(&e->loop, &e->listen_io, e->listen_fd, EPOLLIN, accept_cb);
	if (r == 0 && e->udp_fd >= 0)
		r = ev_io_add(&e->loop, &e->udp_io, e->udp_fd, EPOLLIN, udp_cb);
	if (r != 0 ||
	    (r = ev_io_add(&e->loop, &e->tun_io, e->tun_fd, EPOLLIN, tun_cb)) != 0 ||
	    (r = ev_io_add(&e->loop, &e->sig_io, e->sig_fd, EPOLLIN, sig_cb)) != 0)
		return r;
	if (epnet_mon_fd(e->ep) >= 0) {
		if ((r = ev_io_add(&e->loop, &e->ep_io, epnet_mon_fd(e->ep), EPOLLIN, ep_cb)) != 0)
			return r;
		e->ep_io_on = true;
	}
	evloop_set_before_sleep(&e->loop, before_sleep, e);
	if ((conf->auth_user_pass_verify[0] != '\0' || conf->client_connect[0] != '\0') &&
	    hook_tmpdir_create(conf->tmp_dir, e->tmpdir, sizeof(e->tmpdir)) != 0) {
		log_warn("cannot create a private directory in tmp-dir %s", conf->tmp_dir);
		return ERR_SYS;
	}
	if (conf->auth_gen_token) {
		r = conf->auth_token_secret.data != NULL ?
		    authtoken_key_from_pem(&e->token_key, conf->auth_token_secret.data,
		    conf->auth_token_secret.len) : authtoken_key_generate(&e->token_key);
		if (r != 0) {
			log_err("auth-gen-token-secret: not an OpenVPN auth-token server key");
			return r;
		}
	}
	if ((r = eops_init(e)) != 0)
		return r;
	if ((r = engine_mgmt_open(e)) != 0 || (r = engine_metrics_open(e)) != 0)
		return r;
	if (conf->crl_path != NULL) {
		stat(conf->crl_path, &e->crl_st);
		crl_report_expiry(e);
		ev_timer_init(&e->crl_timer, crl_timer_cb);
		ev_timer_arm(&e->loop, &e->crl_timer, mtime_now() + MTIME_MSEC(CRL_CHECK_MS));
	}
	return 0;
}

int
engine_run(struct engine *e)
{
	int r;

	log_info("Initialization Sequence Completed");
	for (;;) {
		r = evloop_run_once(&e->loop, e->stopping ? MTIME_MSEC(50) : MTIME_NEVER);
		if (r != 0 && r != ERR_AGAIN) {
			log_err("event loop failed: %s", err_str(r));
			return r;
		}
		if (e->stopping && stop_complete(e, evloop_now(&e->loop)))
			break;
	}
	dp_batch_flush(e->tx);
	log_info("statistics: %llu stateless replies, %llu refused by source and %llu globally, "
	    "%llu handshakes refused (half-open limits), %llu data packets dropped, %llu spoofed "
	    "inner sources, %llu not authorized, %llu TUN packets with no client",
	    (unsigned long long)e->stats.stateless_replies,
	    (unsigned long long)e->stateless_lim.refused_src,
	    (unsigned long long)e->stateless_lim.refused_global,
	    (unsigned long long)e->stats.half_open_refused,
	    (unsigned long long)e->stats.data_drops, (unsigned long long)e->stats.spoofed,
	    (unsigned long long)e->stats.unauthorized, (unsigned long long)e->stats.tun_no_peer);
	return 0;
}

void
engine_free(struct engine *e)
{
	uint32_t i;

	if (e == NULL)
		return;
	if (e->peers.by_id != NULL) {
		for (i = 0; i < e->peers.max; i++) {
			struct peer *p = e->peers.by_id[i];

			if (p != NULL)
				peer_close(e, p, "server shutting down");
		}
	}
	peer_table_free(&e->peers);
	engine_metrics_close(e);
	engine_mgmt_close(e);
	eops_free(e);
	if (e->wd_armed)
		ev_timer_cancel(&e->loop, &e->wd_timer);
	if (e->udp_fd >= 0)
		close(e->udp_fd);
	if (e->listen_fd >= 0)
		close(e->listen_fd);
	if (e->ep_io_on)
		ev_io_del(&e->loop, &e->ep_io);
	/* routes, policy rules and the NAT table go before the device does */
	epnet_free(e->ep);
	if (e->ipp.dirty && e->conf->ipp_path != NULL && ipp_save(&e->ipp, e->conf->ipp_path) != 0)
		log_warn("ifconfig-pool-persist: cannot write %s", e->conf->ipp_path);
	if (e->ipp_timer_armed)
		ev_timer_cancel(&e->loop, &e->ipp_timer);
	ipp_free(&e->ipp);
	/* Closing the only fd of a non-persistent TUN removes the device. */
	if (e->tun_fd >= 0) {
		close(e->tun_fd);
		log_info("TUN device %s removed", e->tun_name);
	}
	if (e->sig_fd >= 0)
		close(e->sig_fd);
	if (e->rtnl != NULL)
		rtnl_close(e->rtnl);
	if (e->cookie_ready)
		cookie_key_free(&e->cookie);
	if (e->has_srv_wrap)
		tlswrap_free(&e->srv_wrap);
	if (e->tmpdir[0] != '\0')
		hook_tmpdir_remove(e->tmpdir);
	authtoken_key_wipe(&e->token_key);
	if (e->tls != NULL)
		tls_ctx_free(e->tls);
	pool_free(&e->pool);
	free(e->by_vaddr);
	free(e->half_open);
	if (e->stateless_lim_ready)
		srclimit_free(&e->stateless_lim);
	free(e->tx);
	free(e->rx_buf);
	evloop_free(&e->loop);
	free(e);
}
