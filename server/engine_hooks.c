/*
 * engine_hooks.c - the per-client hooks that run after authentication:
 * client-connect (OpenVPN's conventions: a dynamic config file as argv[1],
 * exit status, optional deferral file), client-connect-handler (AWS Client
 * VPN's connect handler: a JSON request on stdin, a JSON response on
 * stdout), client-disconnect and learn-address.
 *
 * Invariants:
 *  - The event loop never waits: every hook is a child process watched
 *    through its pidfd, with the configured deadline (hook-timeout).
 *  - Fail closed: a connect hook that times out, crashes, cannot run or
 *    answers nonsense denies the client, with the reason in the log and
 *    the connection log.
 *  - Client strings reach hooks as data only (P14): environment values
 *    and JSON strings, never a shell command line.
 *  - client-disconnect and learn-address are notifications: they run
 *    detached (reaped through the same loop), at most BG_MAX at a time;
 *    beyond that they are skipped with a log line rather than piling up.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "awshook.h"
#include "engine_int.h"
#include "err.h"
#include "hook.h"
#include "json.h"
#include "log.h"
#include "mtime.h"

enum { BG_MAX = 64 };

struct peer_cc {
	struct peer *p;
	uint8_t key_id;
	bool aws;
	struct hook *h;
	struct hook_connect files;       /* client-connect: config and deferral files */
	bool files_ready;
	struct ev_io io;
	bool io_added;
};

struct bg_hook {
	struct engine *e;
	struct hook *h;
	struct ev_io io;
	struct ev_timer timer;
	char what[32];
};

/* ---- environment ---- */

static int
base_env(struct engine *e, const struct peer *p, struct hook_env *env, const char *type)
{
	char ip[ADDR_STR_MAX] = "", port[8], pid[16];
	struct addr a;
	uint16_t pt = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if (addr_from_sockaddr((const struct sockaddr *)&p->sa, p->salen, &a, &pt) == 0)
		addr_format(&a, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", pt);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	r = hook_env_set(env, "script_type", type);
	if (r == 0)
		r = hook_env_set(env, p->state == PEER_ACTIVE ? "trusted_ip" : "untrusted_ip", ip);
	if (r == 0)
		r = hook_env_set(env, p->state == PEER_ACTIVE ? "trusted_port" : "untrusted_port", port);
	if (r == 0)
		r = hook_env_set(env, "daemon_pid", pid);
	if (r == 0 && e->conf->file != NULL)
		r = hook_env_set(env, "config", e->conf->file);
	if (r == 0 && p->cn[0] != '\0')
		r = hook_env_set_client(env, "common_name", p->cn);
	if (r == 0 && p->username[0] != '\0')
		r = hook_env_set_client(env, "username", p->username);
	if (r == 0 && p->ver[0] != '\0')
		r = hook_env_set_client(env, "IV_VER", p->ver);
	if (r == 0 && p->group_names[0] != '\0')
		r = hook_env_set(env, "groups", p->group_names);
	return r;
}

/* ---- detached hooks: client-disconnect, learn-address ---- */

static void
bg_free(struct bg_hook *b)
{
	struct engine *e = b->e;

	ev_io_del(&e->loop, &b->io);
	ev_timer_cancel(&e->loop, &b->timer);
	hook_free(b->h);
	e->n_bg--;
	free(b);
}

static void
bg_progress(struct bg_hook *b, uint64_t now)
{
	struct hook_result res;
	char why[128];

	if (hook_poll(b->h, now, &res) == ERR_AGAIN) {
		ev_timer_arm(&b->e->loop, &b->timer, hook_deadline(b->h));
		return;
	}
	if (res.status != HOOK_ALLOW) {
		hook_result_str(&res, b->what, why, sizeof(why));
		log_warnx("%s: %s", b->what, why);
	}
	bg_free(b);
}

static void
bg_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	(void)revents;
	bg_progress(container_of(io, struct bg_hook, io), now);
}

static void
bg_timer_cb(struct ev_timer *t, uint64_t now)
{
	bg_progress(container_of(t, struct bg_hook, timer), now);
}

static void
bg_run(struct engine *e, const char *what, const char *cmd, const char *const *args,
       struct hook_env *env)
{
	struct hook_req req;
	struct bg_hook *b;

	if (e->n_bg >= BG_MAX) {
		log_warnx("%s: %u hooks still running; this one is skipped", what, e->n_bg);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return;
	memset(&req, 0, sizeof(req));
	req.command = cmd;
	req.extra_args = args;
	req.env = env;
	req.now = evloop_now(&e->loop);
	req.timeout = MTIME_SEC(e->conf->hook_timeout);
	b->e = e;
	snprintf(b->what, sizeof(b->what), "%s", what);
	ev_timer_init(&b->timer, bg_timer_cb);
	if (hook_start(&req, &b->h) != 0 ||
	    ev_io_add(&e->loop, &b->io, hook_fd(b->h), EPOLLIN, bg_io_cb) != 0) {
		log_warn("%s: cannot run", what);
		if (b->h != NULL)
			hook_free(b->h);
		free(b);
		return;
	}
	ev_timer_arm(&e->loop, &b->timer, hook_deadline(b->h));
	e->n_bg++;
}

/* learn-address add|delete ADDR [CN] (2.6: add when a client gets an
 * address, delete when it goes) */
void
engine_hook_learn(struct engine *e, const struct peer *p, bool add)
{
	const char *args[4];
	struct hook_env env;
	char a[ADDR_STR_MAX];
	int k;

	if (e->conf->learn_address[0] == '\0' || !p->has_vaddr)
		return;
	for (k = 0; k < 1 + (p->has_vaddr6 ? 1 : 0); k++) {
		addr_format(k == 0 ? &p->vaddr : &p->vaddr6, a, sizeof(a));
		args[0] = add ? "add" : "delete";
		args[1] = a;
		args[2] = add ? p->cn : NULL;
		args[3] = NULL;
		hook_env_init(&env);
		if (base_env(e, p, &env, "learn-address") == 0)
			bg_run(e, "learn-address", e->conf->learn_address, args, &env);
		hook_env_free(&env);
	}
}

void
engine_hook_disconnect(struct engine *e, const struct peer *p)
{
	struct hook_env env;
	char v[32], a[ADDR_STR_MAX];
	int r;

	if (e->conf->client_disconnect[0] == '\0' || p->connected_at == 0)
		return;
	hook_env_init(&env);
	r = base_env(e, p, &env, "client-disconnect");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)p->bytes_in);
	if (r == 0)
		r = hook_env_set(&env, "bytes_received", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)p->bytes_out);
	if (r == 0)
		r = hook_env_set(&env, "bytes_sent", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(mtime_wall_sec() - p->connected_at));
	if (r == 0)
		r = hook_env_set(&env, "time_duration", v);
	if (r == 0 && p->has_vaddr && addr_format(&p->vaddr, a, sizeof(a)) == 0)
		r = hook_env_set(&env, "ifconfig_pool_remote_ip", a);
	if (r == 0)
		bg_run(e, "client-disconnect", e->conf->client_disconnect, NULL, &env);
	hook_env_free(&env);
}

/* ---- the connect stage ---- */

/* 2.6 sets these before client-connect runs: the server's tunnel address
 * and the address the client gets (here: will most likely get). */
static int
pool_env(struct engine *e, struct peer *p, struct hook_env *env)
{
	char a[ADDR_STR_MAX];
	struct addr mask, x;
	int r = 0;

	if (addr_format(&e->pool.gateway, a, sizeof(a)) == 0)
		r = hook_env_set(env, "ifconfig_local", a);
	addr_netmask_from_len(e->pool.net.len, &mask);
	if (r == 0 && addr_format(&mask, a, sizeof(a)) == 0) {
		r = hook_env_set(env, "ifconfig_netmask", a);
		if (r == 0)
			r = hook_env_set(env, "ifconfig_pool_netmask", a);
	}
	if (r == 0 && engine_predict_addr(e, p, &x) == 0 && addr_format(&x, a, sizeof(a)) == 0)
		r = hook_env_set(env, "ifconfig_pool_remote_ip", a);
	return r;
}

void
engine_cc_free(struct engine *e, struct peer *p)
{
	struct peer_cc *cc = p->cc;

	if (cc == NULL)
		return;
	if (cc->io_added)
		ev_io_del(&e->loop, &cc->io);
	if (cc->h != NULL)
		hook_free(cc->h);
	if (cc->files_ready)
		hook_connect_cleanup(&cc->files);
	free(cc);
	p->cc = NULL;
}

uint64_t
engine_cc_deadline(const struct peer *p)
{
	return p->cc != NULL && p->cc->h != NULL ? hook_deadline(p->cc->h) : MTIME_NEVER;
}

static void
add_cfg(struct peer *p, const char *text, size_t len)
{
	char *n = realloc(p->mgmt_cfg, p->mgmt_cfg_len + len + 2);

	if (n == NULL)
		return;
	memcpy(n + p->mgmt_cfg_len, text, len);
	p->mgmt_cfg_len += len;
	if (len > 0 && text[len - 1] != '\n')
		n[p->mgmt_cfg_len++] = '\n';
	n[p->mgmt_cfg_len] = '\0';
	p->mgmt_cfg = n;
}

static void
cc_decide(struct engine *e, struct peer *p, bool allow, const char *fail_code, const char *why,
	  const char *client_reason, uint64_t now)
{
	uint8_t key_id = p->cc->key_id;

	engine_cc_free(e, p);
	if (!allow) {
		log_info("peer %u (%s) %s: refused by %s: %s", p->id, p->cn, p->sa_str,
		    e->conf->connect_handler[0] ? "client-connect-handler" : "client-connect", why);
		p->fail_code = fail_code;
		engine_auth_done(e, p, key_id, ERR_AUTH, client_reason, now);
		return;
	}
	log_info("peer %u (%s) %s: %s allowed", p->id, p->cn, p->sa_str,
	    e->conf->connect_handler[0] ? "client-connect-handler" : "client-connect");
	p->cc_done = true;
	engine_auth_continue(e, p, key_id, now);
}

static void
cc_progress(struct engine *e, struct peer *p, uint64_t now)
{
	struct peer_cc *cc = p->cc;
	struct hook_result res;
	enum hook_status st;
	char why[256], text[HOOK_CONNECT_CONFIG_MAX + 1];
	size_t len;
	unsigned i;

	if (hook_poll(cc->h, now, &res) == ERR_AGAIN) {
		engine_peer_schedule(e, p);
		return;
	}
	if (cc->aws) {
		struct awshook_response *ar = calloc(1, sizeof(*ar));
		char reason[AWSHOOK_REASON_MAX];

		if (ar == NULL) {
			cc_decide(e, p, false, CONNLOG_REASON_HOOK_ERROR, "out of memory", "", now);
			return;
		}
		awshook_decide(&res, ar);
		awshook_client_reason(ar, reason, sizeof(reason));
		if (ar->allow) {
			for (i = 0; i < ar->n_groups; i++) {
				len = (size_t)snprintf(text, sizeof(text), "group %s\n", ar->groups[i]);
				add_cfg(p, text, len);
			}
			for (i = 0; i < ar->n_push; i++) {
				len = (size_t)snprintf(text, sizeof(text), "push \"%s\"\n", ar->push[i]);
				add_cfg(p, text, len);
			}
		}
		snprintf(why, sizeof(why), "%s%s%s", ar->reason != NULL ? ar->reason : "allowed",
		    ar->detail[0] ? ": " : "", ar->detail);
		cc_decide(e, p, ar->allow, ar->reason, why, reason, now);
		free(ar);
		return;
	}
	if (res.status != HOOK_ALLOW) {
		hook_result_str(&res, e->conf->client_connect, why, sizeof(why));
		cc_decide(e, p, false, res.status == HOOK_TIMEOUT ? CONNLOG_REASON_HOOK_TIMEOUT :
		    res.status == HOOK_ERROR ? CONNLOG_REASON_HOOK_ERROR : CONNLOG_REASON_HOOK_DENIED,
		    why, "", now);
		return;
	}
	if (hook_connect_status(&cc->files, &st) != 0 || st == HOOK_DENY) {
		cc_decide(e, p, false, CONNLOG_REASON_HOOK_DENIED, "denied through its deferral file",
		    "", now);
		return;
	}
	if (st == HOOK_DEFERRED) {
		/* fail closed rather than hang: deferral needs a watcher we lack */
		cc_decide(e, p, false, CONNLOG_REASON_HOOK_ERROR,
		    "deferred client-connect is not supported; decide before exiting", "", now);
		return;
	}
	if (hook_connect_read_config(&cc->files, text, sizeof(text), &len) != 0) {
		cc_decide(e, p, false, CONNLOG_REASON_HOOK_INVALID, "its config file is too long", "",
		    now);
		return;
	}
	add_cfg(p, text, len);
	cc_decide(e, p, true, NULL, "", "", now);
}

static void
cc_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct peer_cc *cc = container_of(io, struct peer_cc, io);

	(void)revents;
	cc_progress(cc->p->owner, cc->p, now);
}

void
engine_cc_tick(struct engine *e, struct peer *p, uint64_t now)
{
	if (p->cc != NULL && p->cc->h != NULL && now >= hook_deadline(p->cc->h))
		cc_progress(e, p, now);
}

/* 0: no connect hook (go on); ERR_AGAIN: it runs, the decision comes later;
 * other: it could not start (the caller refuses, fail closed). */
int
engine_cc_start(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now)
{
	const struct server_conf *c = e->conf;
	struct hook_env env;
	struct hook_req req;
	struct peer_cc *cc;
	struct json j;
	char id[48];
	const char *groups[CCD_MAX_GROUPS + 1];
	char gbuf[sizeof(p->group_names)], *tok, *save = NULL;
	size_t ng = 0, jl;
	int r;

	if (key_id != 0 || p->cc_done || (c->client_connect[0] == '\0' && c->connect_handler[0] == '\0'))
		return 0;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return ERR_NOMEM;
	cc->p = p;
	cc->key_id = key_id;
	cc->aws = c->connect_handler[0] != '\0';
	p->cc = cc;
	hook_env_init(&env);
	memset(&req, 0, sizeof(req));
	json_init_alloc(&j, AWSHOOK_REQUEST_MAX);
	r = base_env(e, p, &env, "client-connect");
	if (r == 0)
		r = pool_env(e, p, &env);
	if (r == 0 && cc->aws) {
		struct awshook_request ar;
		uint16_t port;

		memset(&ar, 0, sizeof(ar));
		snprintf(id, sizeof(id), "cvpn-connection-%016llx",
		    (unsigned long long)(e->connid_base + p->cid));
		ar.connection_id = id;
		ar.endpoint_id = c->file;
		ar.common_name = p->cn;
		ar.username = p->username;
		ar.platform = p->plat[0] ? p->plat : NULL;
		ar.client_openvpn_version = p->ver;
		addr_from_sockaddr((const struct sockaddr *)&p->sa, p->salen, &ar.public_ip, &port);
		memcpy(gbuf, p->group_names, sizeof(gbuf));
		for (tok = strtok_r(gbuf, ",", &save); tok != NULL && ng < CCD_MAX_GROUPS;
		    tok = strtok_r(NULL, ",", &save))
			groups[ng++] = tok;
		ar.groups = groups;
		ar.n_groups = ng;
		r = awshook_request_build(&ar, &j);
		if (r == 0)
			r = json_finish(&j);
		if (r == 0) {
			req.stdin_data = json_data(&j, &jl);
			req.stdin_len = jl;
		}
		req.capture_max = AWSHOOK_RESPONSE_MAX;
		req.command = c->connect_handler;
	} else if (r == 0) {
		if ((r = hook_connect_prepare(&cc->files, e->tmpdir, &env)) == 0) {
			cc->files_ready = true;
			req.extra_args = hook_connect_args(&cc->files);
		}
		req.command = c->client_connect;
	}
	req.env = &env;
	req.now = now;
	req.timeout = MTIME_SEC(c->hook_timeout);
	if (r == 0)
		r = hook_start(&req, &cc->h);
	if (r == 0 && ev_io_add(&e->loop, &cc->io, hook_fd(cc->h), EPOLLIN, cc_io_cb) == 0)
		cc->io_added = true;
	else if (r == 0)
		r = ERR_SYS;
	json_free(&j);
	hook_env_free(&env);
	if (r != 0) {
		log_warnx("peer %u (%s) %s: cannot run %s: %s", p->id, p->cn, p->sa_str,
		    cc->aws ? "client-connect-handler" : "client-connect", err_str(r));
		engine_cc_free(e, p);
		p->fail_code = CONNLOG_REASON_HOOK_ERROR;
		return r;
	}
	return ERR_AGAIN;
}
