/*
 * session.c - the server side of the control channel.
 *
 * Per key state (doc §4.5):
 *   START     resets exchanged; TLS bytes flow through the reliability layer
 *   GOT_KEY   the client's key-method-2 message has been read
 *   SENT_KEY  ours is written into TLS (always, even when auth failed: 2.6
 *             does the same and reports the failure with AUTH_FAILED)
 *   ACTIVE    all our packets acknowledged
 * Data keys are derived only after authentication succeeded (P13): no
 * address, key or PUSH_REPLY exists for a client that failed.
 *
 * Key state 0 lives in ks[0].  A renegotiation (SOFT_RESET, started by either
 * side) moves the primary to ks[1] as lame duck, which keeps decrypting until
 * it expires, and builds the new key state in ks[0].  Key ids run 1..7 after
 * the first and never return to 0 (doc §1).
 *
 * TLS plaintext is buffered per key state only while something is pending;
 * an idle client holds no buffers here.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keys.h"
#include "log.h"
#include "mtime.h"
#include "comp.h"
#include "push.h"
#include "session.h"

enum {
	KS_PT_CAP = 16384,          /* plaintext waiting to be parsed; > km2 max */
	AUTH_FAIL_LINGER_S = 5,     /* time for AUTH_FAILED to be delivered */
	EXIT_LINGER_MS = 200,       /* ack the client's EXIT before we go */
	IPV4_UDP_OVERHEAD = 28,
	IPV6_UDP_OVERHEAD = 48,
	/* op + sid + ack section with ACK_MAX_ON_CONTROL entries + msg id */
	CTL_OVERHEAD = 1 + SESSION_ID_LEN + 1 + 4 * ACK_MAX_ON_CONTROL + SESSION_ID_LEN + 4,
};

static void ks_flush(const struct session_env *env, struct peer *p, struct keystate *ks,
		     uint64_t now);
static void flush_all(const struct session_env *env, struct peer *p, uint64_t now);

void
session_close(struct peer *p, uint64_t at, const char *reason)
{
	p->closing = true;
	if (at >= p->close_at)
		return;
	p->close_at = at;
	snprintf(p->close_reason, sizeof(p->close_reason), "%s", reason);
}

static size_t
ctl_payload_max(const struct peer *p)
{
	size_t ip = p->sa.ss_family == AF_INET6 ? IPV6_UDP_OVERHEAD : IPV4_UDP_OVERHEAD;

	return DEF_TLS_MTU - ip - CTL_OVERHEAD;
}

static int
ks_init(const struct session_env *env, struct keystate *ks, uint8_t key_id, uint64_t now)
{
	int r;

	memset(ks, 0, sizeof(*ks));
	ks->key_id = key_id;
	ks->started = now;
	rel_init(&ks->rel, MTIME_SEC(env->conf->tls_timeout));
	r = tls_sess_new(env->tls, &ks->tls);
	if (r != 0) {
		rel_free(&ks->rel);
		return r;
	}
	ks->state = KS_START;
	return 0;
}

int
session_start(const struct session_env *env, struct peer *p, uint64_t now)
{
	int r;

	r = ks_init(env, &p->ks[0], 0, now);
	if (r != 0)
		return r;
	rel_skip_initial(&p->ks[0].rel);
	p->last_key_id = 0;
	p->last_rx = now;
	return 0;
}

int
session_start_stateful(const struct session_env *env, struct peer *p, const struct ctl_pkt *reset,
		  uint64_t now)
{
	uint32_t msgid;
	int r;

	if (RAND_bytes(p->ssid, SESSION_ID_LEN) != 1)
		return ERR_CRYPTO;
	p->ssid[0] |= 1;   /* never all zeros */
	memcpy(p->csid, reset->sid, SESSION_ID_LEN);
	r = ks_init(env, &p->ks[0], 0, now);
	if (r != 0)
		return r;
	r = rel_tx_queue(&p->ks[0].rel, P_CONTROL_HARD_RESET_SERVER_V2, NULL, 0, now, &msgid);
	if (r != 0)
		return r;
	p->last_key_id = 0;
	p->last_rx = now;
	session_rx(env, p, reset, now);
	return 0;
}

/* Rotate: primary becomes lame duck (the old lame duck is dropped). */
static int
ks_rotate(const struct session_env *env, struct peer *p, uint8_t key_id, uint64_t now)
{
	struct keystate fresh;
	int r;

	r = ks_init(env, &fresh, key_id, now);
	if (r != 0)
		return r;
	keystate_clear(&p->ks[1]);
	p->ks[1] = p->ks[0];
	p->ks[0] = fresh;
	p->last_key_id = key_id;
	return 0;
}

static int
ks_queue_text(struct keystate *ks, const char *msg)
{
	/* One TLS record per message, NUL included (doc §9.1). */
	return tls_sess_write(ks->tls, (const uint8_t *)msg, strlen(msg) + 1);
}

int
session_send_text(const struct session_env *env, struct peer *p, const char *msg, uint64_t now)
{
	unsigned i;
	int r;

	for (i = 0; i < PEER_KS; i++) {
		struct keystate *ks = &p->ks[i];

		if (ks->state < KS_SENT_KEY || ks->state == KS_ERROR ||
		    !tls_sess_established(ks->tls))
			continue;
		r = ks_queue_text(ks, msg);
		if (r == 0)
			ks_flush(env, p, ks, now);
		return r;
	}
	return ERR_BADSTATE;
}

static void
send_push_reply(const struct session_env *env, struct peer *p, struct keystate *ks, uint64_t now)
{
	const struct server_conf *c = env->conf;
	struct push_input in;
	struct push_out *out;
	unsigned i;
	int r;

	out = malloc(sizeof(*out));
	if (out == NULL) {
		session_close(p, now, "out of memory building PUSH_REPLY");
		return;
	}
	memset(&in, 0, sizeof(in));
	in.cfg_push = c->push;
	in.n_cfg_push = c->n_push;
	if (p->ccd != NULL) {
		if (p->ccd->push_reset)
			in.n_cfg_push = 0;
		in.ccd_push = p->ccd->push;
		in.n_ccd_push = p->ccd->n_push;
	}
	in.topology = env->pool->topology;
	in.net = env->pool->net;
	in.gateway = env->pool->gateway;
	pool_peer_addr(env->pool, &p->vaddr, &in.ifconfig_peer);
	if (p->has_vaddr6) {
		in.has6 = true;
		in.ifconfig6 = p->vaddr6;
		in.gateway6 = env->pool->gateway6;
		in.len6 = env->pool->net6.len;
	}
	in.ping = c->keepalive_ping;
	in.ping_restart = c->keepalive_restart;
	in.compress = comp_mode_push_string((enum comp_mode)p->comp);
	in.ifconfig = p->vaddr;
	in.has_peer_id = p->data_v2;
	in.peer_id = p->id;
	in.cipher = (p->iv_proto & IV_PROTO_DATA_V2) || p->cipher != NULL ? p->cipher->name : NULL;
	if (p->iv_proto & IV_PROTO_CC_EXIT_NOTIFY)
		in.proto_flags = PUSH_PF_CC_EXIT | (p->ekm ? PUSH_PF_TLS_EKM : 0);
	else
		in.key_derivation_ekm = p->ekm;
	in.tun_mtu = p->tun_mtu_push;
	in.auth_token = p->has_token ? p->auth_token : NULL;
	if (env->push_extra != NULL)
		env->push_extra(env->owner, p, &in);
	r = push_build(&in, out);
	if (r != 0) {
		log_err("peer %u (%s) %s: cannot build PUSH_REPLY: %s", p->id, p->cn, p->sa_str,
		    err_str(r));
		session_close(p, now, "PUSH_REPLY does not fit");
		free(out);
		return;
	}
	for (i = 0; i < out->n; i++) {
		log_debug("peer %u (%s): sending %s", p->id, p->cn, out->msg[i]);
		if (ks_queue_text(ks, out->msg[i]) != 0) {
			session_close(p, now, "TLS write failed");
			break;
		}
	}
	p->push_sent_at = now;
	free(out);
}

/* Legacy PRF inputs, or NULL for keys from the TLS exporter. */
static int
derive_keys(const struct session_env *env, struct peer *p, struct keystate *ks,
	    const struct keys_prf_input *prf)
{
	uint8_t key2[KEY2_LEN];
	int r;

	if (p->ekm)
		r = tls_sess_export(ks->tls, EKM_LABEL_DATAKEYS, key2, sizeof(key2));
	else
		r = keys_legacy_key2(prf, key2);
	if (r == 0)
		r = keys_check(key2);
	if (r == 0)
		r = dchan_key_init(&ks->dk, p->cipher, ks->key_id, key2, true,
		    env->conf->replay_window, MTIME_SEC(env->conf->replay_time));
	OPENSSL_cleanse(key2, sizeof(key2));
	return r;
}

static void
options_string(const struct session_env *env, const struct peer *p, char *out, size_t cap)
{
	bool v6 = p->sa.ss_family == AF_INET6;

	/* Informational in 2.6 (doc §6.3); link-mtu as 2.6 computes it for its
	 * default cipher, +2 for TCP's length prefix. */
	snprintf(out, cap, "V4,dev-type tun,link-mtu %u,tun-mtu %u,proto %s,auth SHA1,"
	    "keysize 128,key-method 2,tls-server",
	    env->conf->tun_mtu + (p->tcp != NULL ? 43 : 41), env->conf->tun_mtu,
	    p->tcp != NULL ? (v6 ? "TCPv6_SERVER" : "TCPv4_SERVER") : (v6 ? "UDPv6" : "UDPv4"));
}

/* What a key state needs to finish once authentication has decided; kept
 * (wiped when freed) only while an authentication is pending. */
struct ks_pending {
	struct keys_prf_input prf;             /* legacy PRF inputs; unused with tls-ekm */
	struct peerinfo pi;                    /* key state 0 only */
	char options[KM2_OPTIONS_MAX + 1];     /* the client's OCC string */
};

static void
pending_free(struct ks_pending *pend)
{
	if (pend != NULL) {
		OPENSSL_cleanse(pend, sizeof(*pend));
		free(pend);
	}
}

/* Authentication has decided (at once or later): authorize the first key
 * state (cipher, address), derive keys, push; or report AUTH_FAILED. */
static void
finish_auth(const struct session_env *env, struct peer *p, struct keystate *ks, int auth,
	    char *reason, size_t rcap, const struct ks_pending *pend, uint64_t now)
{
	char msg[CTL_MSG_MAX];
	int r;

	if (auth == 0 && ks->key_id == 0)
		auth = env->authorize(env->owner, p, pend->options, &pend->pi, reason, rcap);
	if (auth != 0) {
		log_info("peer %u %s: authentication failed: %s", p->id, p->sa_str, reason);
		if (ks->key_id == 0) {
			p->state = PEER_AUTH_FAILED;
			snprintf(msg, sizeof(msg), "AUTH_FAILED%s%s", reason[0] ? "," : "", reason);
			ks_queue_text(ks, msg);
			session_close(p, now + MTIME_SEC(AUTH_FAIL_LINGER_S), "authentication failed");
		} else {
			session_close(p, now, "renegotiation authentication failed");
		}
		return;
	}
	r = derive_keys(env, p, ks, &pend->prf);
	if (r != 0) {
		log_err("peer %u (%s) %s: data channel key setup failed: %s", p->id, p->cn,
		    p->sa_str, err_str(r));
		session_close(p, now, "key derivation failed");
		return;
	}
	ks->keys_ready = true;
	ks->keys_at = now;
	if (ks->key_id == 0) {
		p->state = PEER_ACTIVE;
		if (p->request_push)
			send_push_reply(env, p, ks, now);
	}
	env->keys_ready(env->owner, p, ks, now);
}

/* The client's key-method-2 message has been parsed: authenticate (which
 * may be pending), answer with ours (always, as 2.6 does), then finish now
 * or when session_auth_done() brings the decision. */
static void
handle_client_km2(const struct session_env *env, struct peer *p, struct keystate *ks,
		  struct kmsg *cli, uint64_t now)
{
	struct ks_pending *pend = NULL;
	struct kmsg *srv = NULL;
	char reason[160] = "";
	uint8_t *wire = NULL;
	struct wbuf w;
	char cn[CN_MAX + 1];
	int auth = 0, r;

	ks->state = KS_GOT_KEY;
	pend = calloc(1, sizeof(*pend));
	srv = calloc(1, sizeof(*srv));
	wire = malloc(CTL_PKT_MAX);
	if (pend == NULL || srv == NULL || wire == NULL) {
		session_close(p, now, "out of memory");
		goto out;
	}
	r = tls_sess_peer_cn(ks->tls, cn, sizeof(cn));
	if (r == ERR_NOTFOUND && env->conf->verify_client_cert != CONF_VERIFY_REQUIRE) {
		cn[0] = '\0';   /* no certificate: the username stands in (below) */
		r = 0;
	}
	if (r != 0) {
		snprintf(reason, sizeof(reason), "client certificate has no acceptable common name");
		auth = ERR_AUTH;
	} else if (ks->key_id == 0) {
		memcpy(p->cn, cn, sizeof(p->cn));
		peerinfo_parse(cli->peer_info, strlen(cli->peer_info), &pend->pi);
		snprintf(p->ver, sizeof(p->ver), "%s", pend->pi.ver);
		snprintf(p->plat, sizeof(p->plat), "%s", pend->pi.plat);
		p->iv_proto = pend->pi.has_proto ? pend->pi.proto : 0;
		p->data_v2 = (p->iv_proto & IV_PROTO_DATA_V2) != 0;
		p->ekm = (p->iv_proto & IV_PROTO_TLS_KEY_EXPORT) != 0;
		p->request_push = (p->iv_proto & IV_PROTO_REQUEST_PUSH) != 0;
		p->tun_mtu_push = pend->pi.mtu > 0 ? env->conf->tun_mtu : 0;
	} else if (cn[0] != '\0' && strcmp(cn, p->cn) != 0) {
		snprintf(reason, sizeof(reason), "certificate common name changed on renegotiation");
		log_info("peer %u (%s): renegotiation presented CN '%s'", p->id, p->cn, cn);
		auth = ERR_AUTH;
	}
	if (auth == 0)
		auth = env->authenticate(env->owner, p, ks->key_id, cli, reason, sizeof(reason));

	if (RAND_bytes(srv->random1, KM2_RANDOM_LEN) != 1 ||
	    RAND_bytes(srv->random2, KM2_RANDOM_LEN) != 1) {
		session_close(p, now, "random number generator failed");
		goto out;
	}
	options_string(env, p, srv->options, sizeof(srv->options));
	wbuf_init(&w, wire, CTL_PKT_MAX);
	r = kmsg_build(&w, srv, false);
	if (r == 0)
		r = tls_sess_write(ks->tls, wire, w.len);
	if (r != 0) {
		session_close(p, now, "cannot send key-method-2 message");
		goto out;
	}
	ks->state = KS_SENT_KEY;

	memcpy(pend->prf.pre_master, cli->pre_master, sizeof(pend->prf.pre_master));
	memcpy(pend->prf.client_random1, cli->random1, KM2_RANDOM_LEN);
	memcpy(pend->prf.client_random2, cli->random2, KM2_RANDOM_LEN);
	memcpy(pend->prf.server_random1, srv->random1, KM2_RANDOM_LEN);
	memcpy(pend->prf.server_random2, srv->random2, KM2_RANDOM_LEN);
	memcpy(pend->prf.client_sid, p->csid, SESSION_ID_LEN);
	memcpy(pend->prf.server_sid, p->ssid, SESSION_ID_LEN);
	memcpy(pend->options, cli->options, sizeof(pend->options));
	if (auth == ERR_AGAIN) {
		/* decided later (a script, deferred auth): no keys, no address,
		 * no PUSH_REPLY until then (P13); hand-window bounds the wait */
		ks->pending = pend;
		ks->pending_len = sizeof(*pend);
		pend = NULL;
		goto out;
	}
	finish_auth(env, p, ks, auth, reason, sizeof(reason), pend, now);
out:
	pending_free(pend);
	if (srv != NULL) {
		kmsg_wipe(srv);
		free(srv);
	}
	if (wire != NULL) {
		OPENSSL_cleanse(wire, CTL_PKT_MAX);
		free(wire);
	}
}

void
session_auth_done(const struct session_env *env, struct peer *p, uint8_t key_id, int result,
		  const char *why, uint64_t now)
{
	struct keystate *ks = peer_ks_by_id(p, key_id);
	struct ks_pending *pend;
	char reason[160];

	if (ks == NULL || ks->pending == NULL || ks->state == KS_ERROR)
		return;
	pend = ks->pending;
	ks->pending = NULL;
	ks->pending_len = 0;
	snprintf(reason, sizeof(reason), "%s", why != NULL ? why : "");
	finish_auth(env, p, ks, result, reason, sizeof(reason), pend, now);
	pending_free(pend);
	flush_all(env, p, now);
}

static void
handle_text(const struct session_env *env, struct peer *p, struct keystate *ks, char *msg,
	    uint64_t now)
{
	size_t n = strlen(msg);
	size_t i;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	for (i = 0; i < n; i++) {
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e) {
			log_rl_msg(&p->rl, now, LL_INFO, "peer %u (%s): dropping control message "
			    "with non-printable characters", p->id, p->cn);
			return;
		}
	}
	if (strcmp(msg, "PUSH_REQUEST") == 0) {
		if (p->state == PEER_AUTH_FAILED) {
			ks_queue_text(ks, "AUTH_FAILED");
		} else if (p->state == PEER_ACTIVE && p->ks[0].keys_ready &&
		    (p->push_sent_at == 0 || now - p->push_sent_at >= MTIME_SEC(PUSH_REPLY_DEDUP_S))) {
			send_push_reply(env, p, &p->ks[0], now);
		}
		return;
	}
	if (strcmp(msg, "EXIT") == 0) {
		log_info("peer %u (%s) %s: client sent EXIT", p->id, p->cn, p->sa_str);
		session_close(p, now + MTIME_MSEC(EXIT_LINGER_MS), "client exit notify");
		return;
	}
	log_rl_msg(&p->rl, now, LL_DEBUG, "peer %u (%s): ignoring control message '%.64s'",
	    p->id, p->cn, msg);
}

static int
ks_pt_append(struct keystate *ks, const uint8_t *data, size_t n)
{
	if (ks->pt == NULL) {
		ks->pt = malloc(KS_PT_CAP);
		if (ks->pt == NULL)
			return ERR_NOMEM;
		ks->pt_len = 0;
	}
	if (n > KS_PT_CAP - ks->pt_len)
		return ERR_OVERFLOW;
	memcpy(ks->pt + ks->pt_len, data, n);
	ks->pt_len += n;
	return 0;
}

static void
ks_pt_consume(struct keystate *ks, size_t n)
{
	memmove(ks->pt, ks->pt + n, ks->pt_len - n);
	ks->pt_len -= n;
	if (ks->pt_len == 0) {
		free(ks->pt);
		ks->pt = NULL;
	}
}

static void
ks_fail(struct peer *p, struct keystate *ks, const char *why, uint64_t now)
{
	log_info("peer %u (%s) %s: key state %u failed: %s", p->id, p->cn[0] ? p->cn : "?",
	    p->sa_str, ks->key_id, why);
	ks->state = KS_ERROR;
	if (ks->key_id == 0 || p->state != PEER_ACTIVE) {
		session_close(p, now + MTIME_MSEC(EXIT_LINGER_MS), why);
		return;
	}
	/* A failed renegotiation: fall back to the previous key, which is still
	 * good, so the client keeps its tunnel and may try again. */
	if (ks == &p->ks[0] && !ks->keys_ready && p->ks[1].keys_ready) {
		keystate_clear(&p->ks[0]);
		p->ks[0] = p->ks[1];
		memset(&p->ks[1], 0, sizeof(p->ks[1]));
	}
}

/* Pull plaintext out of TLS and act on complete messages. */
static void
ks_process_plaintext(const struct session_env *env, struct peer *p, struct keystate *ks,
		     uint64_t now)
{
	uint8_t tmp[4096];
	struct kmsg *km;
	size_t n, consumed;
	int r;

	for (;;) {
		r = tls_sess_read(ks->tls, tmp, sizeof(tmp), &n);
		if (r == ERR_AGAIN)
			break;
		if (r != 0) {
			ks_fail(p, ks, tls_sess_error(ks->tls), now);
			return;
		}
		r = ks_pt_append(ks, tmp, n);
		OPENSSL_cleanse(tmp, n);
		if (r != 0) {
			ks_fail(p, ks, "control channel message too large", now);
			return;
		}
	}
	if (ks->pt == NULL)
		return;

	if (ks->state == KS_START) {
		km = malloc(sizeof(*km));
		if (km == NULL) {
			ks_fail(p, ks, "out of memory", now);
			return;
		}
		r = kmsg_parse(ks->pt, ks->pt_len, true, km, &consumed);
		if (r == ERR_TRUNC) {
			free(km);
			return;
		}
		if (r != 0) {
			ks_fail(p, ks, "malformed key-method-2 message", now);
			free(km);
			return;
		}
		ks_pt_consume(ks, consumed);
		handle_client_km2(env, p, ks, km, now);
		kmsg_wipe(km);
		free(km);
		if (ks->pt == NULL)
			return;
	}
	if (ks->state < KS_SENT_KEY)
		return;
	/* Text messages, each NUL-terminated (doc §9.1). */
	for (;;) {
		uint8_t *nul = ks->pt != NULL ? memchr(ks->pt, 0, ks->pt_len) : NULL;
		char msg[CTL_MSG_MAX + 1];
		size_t len;

		if (nul == NULL) {
			if (ks->pt != NULL && ks->pt_len > CTL_MSG_MAX)
				ks_fail(p, ks, "control message longer than 1024 bytes", now);
			return;
		}
		len = (size_t)(nul - ks->pt);
		if (len <= CTL_MSG_MAX) {
			memcpy(msg, ks->pt, len + 1);
			ks_pt_consume(ks, len + 1);
			handle_text(env, p, ks, msg, now);
		} else {
			ks_pt_consume(ks, len + 1);
			log_rl_msg(&p->rl, now, LL_INFO, "peer %u (%s): dropping over-long control message",
			    p->id, p->cn);
		}
		if (p->close_at <= now)
			return;
	}
}

static void
ks_drive_tls(const struct session_env *env, struct peer *p, struct keystate *ks, uint64_t now)
{
	int r;

	if (ks->state == KS_ERROR || ks->tls == NULL)
		return;
	r = tls_sess_step(ks->tls);
	if (r == ERR_AGAIN)
		return;
	if (r != 0) {
		ks_fail(p, ks, tls_sess_error(ks->tls), now);
		return;
	}
	ks_process_plaintext(env, p, ks, now);
}

/* TLS ciphertext -> reliable queue -> wire, plus acks. */
static void
ks_flush(const struct session_env *env, struct peer *p, struct keystate *ks, uint64_t now)
{
	uint8_t chunk[CTL_PKT_MAX];
	uint8_t pkt[CTL_PKT_MAX];
	uint32_t acks[ACK_MAX_ON_ACK];
	struct rel_out o;
	size_t n, na, maxp = ctl_payload_max(p);
	struct wbuf w;
	uint32_t msgid;

	while (ks->tls != NULL && tls_sess_ct_pending(ks->tls) > 0 && rel_tx_can_queue(&ks->rel)) {
		n = tls_sess_ct_read(ks->tls, chunk, maxp);
		if (n == 0)
			break;
		if (rel_tx_queue(&ks->rel, P_CONTROL_V1, chunk, n, now, &msgid) != 0) {
			session_close(p, now, "out of memory in control channel");
			return;
		}
	}
	while (rel_tx_due(&ks->rel, now, &o)) {
		na = rel_take_acks(&ks->rel, acks, ACK_MAX_ON_CONTROL);
		wbuf_init(&w, pkt, sizeof(pkt));
		if (wire_build_ctl(&w, o.opcode, ks->key_id, p->ssid, acks, na, p->csid, o.msgid,
		    o.payload, o.len) != 0)
			continue;
		env->send(env->owner, p, pkt, w.len);
	}
	if (rel_acks_pending(&ks->rel)) {
		na = rel_take_acks(&ks->rel, acks, ACK_MAX_ON_ACK);
		wbuf_init(&w, pkt, sizeof(pkt));
		if (wire_build_ctl(&w, P_ACK_V1, ks->key_id, p->ssid, acks, na, p->csid, 0, NULL, 0) == 0)
			env->send(env->owner, p, pkt, w.len);
	}
	if (ks->state == KS_SENT_KEY && rel_tx_idle(&ks->rel) &&
	    (ks->tls == NULL || tls_sess_ct_pending(ks->tls) == 0)) {
		ks->state = KS_ACTIVE;
		log_debug("peer %u (%s): key state %u active", p->id, p->cn, ks->key_id);
	}
}

static void
flush_all(const struct session_env *env, struct peer *p, uint64_t now)
{
	unsigned i;

	for (i = 0; i < PEER_KS; i++)
		if (p->ks[i].state != KS_NONE)
			ks_flush(env, p, &p->ks[i], now);
}

/* Client-initiated renegotiation: a SOFT_RESET with the next key id. */
static struct keystate *
accept_soft_reset(const struct session_env *env, struct peer *p, const struct ctl_pkt *pkt,
		  uint64_t now)
{
	uint32_t msgid;

	if (p->state != PEER_ACTIVE || !p->ks[0].keys_ready ||
	    pkt->key_id != wire_next_key_id(p->last_key_id) || pkt->msgid != 0) {
		log_rl_msg(&p->rl, now, LL_INFO, "peer %u (%s): ignoring SOFT_RESET for key %u "
		    "(expected %u)", p->id, p->cn, pkt->key_id, wire_next_key_id(p->last_key_id));
		return NULL;
	}
	if (ks_rotate(env, p, pkt->key_id, now) != 0) {
		session_close(p, now, "cannot start renegotiation");
		return NULL;
	}
	if (rel_tx_queue(&p->ks[0].rel, P_CONTROL_SOFT_RESET_V1, NULL, 0, now, &msgid) != 0) {
		session_close(p, now, "cannot start renegotiation");
		return NULL;
	}
	log_info("peer %u (%s): client started renegotiation, key id %u", p->id, p->cn,
	    pkt->key_id);
	return &p->ks[0];
}

static void
start_renegotiation(const struct session_env *env, struct peer *p, uint64_t now)
{
	uint8_t kid = wire_next_key_id(p->last_key_id);
	uint32_t msgid;

	if (ks_rotate(env, p, kid, now) != 0 ||
	    rel_tx_queue(&p->ks[0].rel, P_CONTROL_SOFT_RESET_V1, NULL, 0, now, &msgid) != 0) {
		session_close(p, now, "cannot start renegotiation");
		return;
	}
	log_info("peer %u (%s): renegotiating, key id %u", p->id, p->cn, kid);
}

void
session_rx(const struct session_env *env, struct peer *p, const struct ctl_pkt *pkt, uint64_t now)
{
	struct keystate *ks;
	uint8_t op;
	const uint8_t *pl;
	size_t plen;
	int r;

	if (pkt->has_rsid && memcmp(pkt->rsid, p->ssid, SESSION_ID_LEN) != 0) {
		log_rl_msg(&p->rl, now, LL_DEBUG, "peer %u: control packet acks a foreign session",
		    p->id);
		return;
	}
	ks = peer_ks_by_id(p, pkt->key_id);
	if (ks == NULL) {
		if (pkt->opcode != P_CONTROL_SOFT_RESET_V1)
			return;
		ks = accept_soft_reset(env, p, pkt, now);
		if (ks == NULL)
			return;
	}
	if (ks->state == KS_ERROR)
		return;
	p->last_rx = now;
	if (pkt->n_acks > 0)
		rel_ack_rx(&ks->rel, pkt->acks, pkt->n_acks, now);
	if (pkt->has_msgid) {
		r = rel_rx(&ks->rel, pkt->opcode, pkt->msgid, buf_cur(&pkt->payload),
		    buf_left(&pkt->payload));
		if (r < 0) {
			session_close(p, now, "out of memory in control channel");
			return;
		}
	}
	while (rel_rx_peek(&ks->rel, &op, &pl, &plen)) {
		if ((op == P_CONTROL_V1 || op == P_CONTROL_WKC_V1) && plen > 0 &&
		    tls_sess_feed(ks->tls, pl, plen) != 0) {
			rel_rx_pop(&ks->rel);
			ks_fail(p, ks, "TLS input rejected", now);
			break;
		}
		rel_rx_pop(&ks->rel);
	}
	ks_drive_tls(env, p, ks, now);
	flush_all(env, p, now);
}

static uint64_t
reneg_due(const struct session_env *env, const struct peer *p)
{
	const struct keystate *ks = &p->ks[0];
	uint32_t secs = env->conf->reneg_sec;

	if (secs == 0 || !ks->keys_ready)
		return MTIME_NEVER;
	/* 2.6 takes up to 10% off the server's interval; a fixed 5% keeps our
	 * renegotiations ahead of a client using the same reneg-sec. */
	return ks->keys_at + MTIME_SEC(secs) - MTIME_SEC(secs) / 20;
}

static uint64_t
lame_duck_expiry(const struct session_env *env, const struct peer *p)
{
	if (p->ks[1].state == KS_NONE || p->ks[0].keys_at == 0)
		return MTIME_NEVER;
	/* A 2.6 client may keep sending on the old key for up to hand-window
	 * after the new one is ready (doc §8.6); keep it twice that long. */
	return p->ks[0].keys_at + 2 * MTIME_SEC(env->conf->hand_window);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

bool
session_rekey_due(const struct session_env *env, const struct peer *p)
{
	const struct dchan_key *k = &p->ks[0].dk;
	const struct server_conf *c = env->conf;

	if (p->state != PEER_ACTIVE || !p->ks[0].keys_ready || env->no_renegotiation)
		return false;
	return dchan_needs_rekey(k) ||
	    (c->reneg_bytes != 0 && k->tx_bytes + k->rx_bytes >= c->reneg_bytes) ||
	    (c->reneg_pkts != 0 && k->tx_packets + k->rx_packets >= c->reneg_pkts);
}

void
session_tick(const struct session_env *env, struct peer *p, uint64_t now)
{
	unsigned i;

	for (i = 0; i < PEER_KS; i++) {
		struct keystate *ks = &p->ks[i];

		if (ks->state == KS_NONE || ks->state == KS_ACTIVE || ks->state == KS_ERROR)
			continue;
		if (now - ks->started >= MTIME_SEC(env->conf->hand_window)) {
			char why[96];

			snprintf(why, sizeof(why), "TLS key negotiation failed to occur within %u seconds",
			    env->conf->hand_window);
			ks_fail(p, ks, why, now);
		}
	}
	if (p->ks[1].state != KS_NONE && now >= lame_duck_expiry(env, p)) {
		log_debug("peer %u (%s): retiring key id %u", p->id, p->cn, p->ks[1].key_id);
		keystate_clear(&p->ks[1]);
	}
	if (p->state == PEER_ACTIVE && p->ks[0].keys_ready && !env->no_renegotiation &&
	    (now >= reneg_due(env, p) || session_rekey_due(env, p)))
		start_renegotiation(env, p, now);
	flush_all(env, p, now);
}

uint64_t
session_deadline(const struct session_env *env, const struct peer *p)
{
	uint64_t d = p->close_at;
	unsigned i;

	for (i = 0; i < PEER_KS; i++) {
		const struct keystate *ks = &p->ks[i];

		if (ks->state == KS_NONE)
			continue;
		d = min_u64(d, rel_next_deadline(&ks->rel));
		if (ks->state != KS_ACTIVE && ks->state != KS_ERROR)
			d = min_u64(d, ks->started + MTIME_SEC(env->conf->hand_window));
	}
	d = min_u64(d, lame_duck_expiry(env, p));
	if (p->state == PEER_ACTIVE)
		d = min_u64(d, reneg_due(env, p));
	return d;
}

bool
session_all_acked(const struct peer *p)
{
	unsigned i;

	for (i = 0; i < PEER_KS; i++) {
		const struct keystate *ks = &p->ks[i];

		if (ks->state == KS_NONE || ks->state == KS_ERROR)
			continue;
		if (!rel_tx_idle(&ks->rel) || (ks->tls != NULL && tls_sess_ct_pending(ks->tls) > 0))
			return false;
	}
	return true;
}
