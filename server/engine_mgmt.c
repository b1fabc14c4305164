/*
 * engine_mgmt.c - the management socket's commands, executed against the
 * engine's state: OpenVPN 2.6's server commands with 2.6's reply texts
 * (management-interface.md §3), the >CLIENT: notifications, and the
 * endpoint's own commands (routes, authorizations, pool, explain), each
 * also as versioned JSON (`json VERB ...`).
 *
 * mgmt.c owns sockets and sessions, mgmtsess.c the protocol; this file
 * only reads and acts on engine state, and writes replies into the session
 * it is handed.  Nothing a management client sends is trusted beyond the
 * parsed, bounded command struct.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "aead.h"
#include "authz.h"
#include "engine_int.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "mgmtsess.h"
#include "mtime.h"
#include "rtable.h"
#include "session.h"

enum { MGMT_JSON_VERSION = 1, MGMT_JSON_MAX = 8 << 20 };

/* ---- helpers ---- */

static int
emit_sess(void *arg, const char *line, size_t len)
{
	return mgmtsess_raw(arg, line, len);
}

static void
json_reply(struct mgmtsess *s, struct json *j)
{
	size_t len;
	const char *d;

	if (json_finish(j) != 0) {
		mgmtsess_error(s, "cannot build the JSON reply (%s)", err_str(json_error(j)));
		return;
	}
	d = json_data(j, &len);
	/* one line: the JSON writer escapes every control character */
	{
		char *line = malloc(len + 3);

		if (line == NULL) {
			mgmtsess_error(s, "out of memory");
			return;
		}
		memcpy(line, d, len);
		memcpy(line + len, "\r\n", 3);
		if (mgmtsess_raw(s, line, len + 2) != 0)
			mgmtsess_error(s, "cannot send the JSON reply");
		free(line);
	}
	mgmtsess_end(s);
}

struct peer *
engine_peer_by_cid(struct engine *e, uint64_t cid)
{
	uint32_t i;

	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->cid == cid)
			return p;
	}
	return NULL;
}

/* ---- 2.6 commands ---- */

static void
cmd_load_stats(struct engine *e, struct mgmtsess *s, bool json)
{
	uint64_t in = 0, out = 0;
	unsigned n = e->n_clients;
	uint32_t i;
	struct json j;

	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];

		if (p == NULL)
			continue;
		in += p->bytes_in;
		out += p->bytes_out;
	}
	in += e->bytes_in_gone;
	out += e->bytes_out_gone;
	if (!json) {
		mgmtsess_success(s, "nclients=%u,bytesin=%llu,bytesout=%llu", n,
		    (unsigned long long)in, (unsigned long long)out);
		return;
	}
	json_init_alloc(&j, 4096);
	json_obj_begin(&j);
	json_kv_u64(&j, "version", MGMT_JSON_VERSION);
	json_kv_u64(&j, "nclients", n);
	json_kv_u64(&j, "bytesin", in);
	json_kv_u64(&j, "bytesout", out);
	json_obj_end(&j);
	json_reply(s, &j);
	json_free(&j);
}

static void
cmd_status_json(struct engine *e, struct mgmtsess *s)
{
	struct json j;
	uint32_t i;
	char a[ADDR_STR_MAX];

	json_init_alloc(&j, MGMT_JSON_MAX);
	json_obj_begin(&j);
	json_kv_u64(&j, "version", MGMT_JSON_VERSION);
	json_kv_u64(&j, "time", mtime_wall_sec());
	json_kv_u64(&j, "pool_used", e->pool.used);
	json_kv_u64(&j, "pool_size", e->pool.size);
	json_key(&j, "clients");
	json_arr_begin(&j);
	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];

		if (p == NULL || p->state != PEER_ACTIVE)
			continue;
		json_obj_begin(&j);
		json_kv_u64(&j, "cid", p->cid);
		json_kv_u64(&j, "peer_id", p->id);
		json_kv_str(&j, "common_name", p->cn);
		json_kv_str(&j, "username", p->username[0] ? p->username : NULL);
		json_kv_str(&j, "real_address", p->sa_str);
		if (p->has_vaddr && addr_format(&p->vaddr, a, sizeof(a)) == 0)
			json_kv_str(&j, "virtual_address", a);
		if (p->has_vaddr6 && addr_format(&p->vaddr6, a, sizeof(a)) == 0)
			json_kv_str(&j, "virtual_ipv6_address", a);
		json_kv_str(&j, "groups", p->group_names);
		json_kv_u64(&j, "bytes_received", p->bytes_in);
		json_kv_u64(&j, "bytes_sent", p->bytes_out);
		json_kv_u64(&j, "connected_since", p->connected_at);
		json_kv_str(&j, "cipher", p->cipher != NULL ? p->cipher->name : NULL);
		json_kv_str(&j, "client_version", p->ver);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_reply(s, &j);
	json_free(&j);
}

static void
cmd_status(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd)
{
	int v = (int)e->conf->status_version;

	if (cmd->json) {
		cmd_status_json(e, s);
		return;
	}
	if (cmd->argc >= 2)
		v = atoi(cmd->argv[1]);
	if (eops_status(e, v, true, emit_sess, s) == ERR_NOMEM)
		mgmtsess_error(s, "out of memory");
}

/* kill CN | kill IP:PORT: server side only, the client is not told (2.6) */
static void
cmd_kill(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd, uint64_t now)
{
	const char *arg = cmd->argv[1];
	const char *colon = strrchr(arg, ':');
	unsigned n = 0;
	uint32_t i;

	if (colon != NULL && strchr(arg, '.') != NULL) {
		for (i = 0; i < e->peers.max; i++) {
			struct peer *p = e->peers.by_id[i];

			if (p == NULL || p->state != PEER_ACTIVE || strcmp(p->sa_str, arg) != 0)
				continue;
			session_close(p, now, "killed by the management interface");
			engine_peer_settle(e, p, now);
			n++;
		}
		if (n == 0)
			mgmtsess_error(s, "client at address %s not found", arg);
		else
			mgmtsess_success(s, "%u client(s) at address %s killed", n, arg);
		return;
	}
	for (i = 0; i < e->peers.max; i++) {
		struct peer *p = e->peers.by_id[i];

		if (p == NULL || p->state != PEER_ACTIVE || strcmp(p->cn, arg) != 0)
			continue;
		session_close(p, now, "killed by the management interface");
		engine_peer_settle(e, p, now);
		n++;
	}
	if (n == 0)
		mgmtsess_error(s, "common name '%s' not found", arg);
	else
		mgmtsess_success(s, "common name '%s' found, %u client(s) killed", arg, n);
}

/* client-kill CID [MSG]: the client is told (RESTART by default) and is gone
 * within a second (2.6 waits 5 s; P21 promises 2). */
static void
cmd_client_kill(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd, uint64_t now)
{
	struct peer *p = engine_peer_by_cid(e, cmd->cid);
	const char *msg = cmd->argc >= 3 ? cmd->argv[2] : "RESTART";
	size_t i;

	if (p == NULL || p->state != PEER_ACTIVE) {
		mgmtsess_error(s, "client-kill command failed");
		return;
	}
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			break;
	if (msg[i] != '\0' || i > 256) {
		mgmtsess_error(s, "client-kill command failed");
		return;
	}
	log_info("peer %u (%s) %s: client-kill by the management interface (%s)", p->id, p->cn,
	    p->sa_str, msg);
	session_send_text(&e->senv, p, msg, now);
	session_close(p, now + MTIME_SEC(1), "client-kill");
	engine_peer_settle(e, p, now);
	mgmtsess_success(s, "client-kill command succeeded");
}

static void
cmd_verb(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd)
{
	int v;

	if (cmd->argc < 2) {
		mgmtsess_success(s, "verb=%u", e->conf->verb);
		return;
	}
	v = atoi(cmd->argv[1]);
	if (v < 0 || v > 15) {
		mgmtsess_error(s, "verb level is out of range");
		return;
	}
	e->conf->verb = (uint32_t)v;
	log_setup("ovpn-endpoint", log_level_from_verb(v));
	mgmtsess_success(s, "verb level changed");
}

static void
cmd_signal(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd, uint64_t now)
{
	const char *sig = cmd->argc >= 2 ? cmd->argv[1] : "";

	if (strcmp(sig, "SIGHUP") == 0 || strcmp(sig, "SIGUSR1") == 0) {
		/* a reload, never a restart: sessions survive (2.6 drops them all) */
		mgmtsess_success(s, "signal %s thrown", sig);
		engine_reload(e, now);
	} else if (strcmp(sig, "SIGUSR2") == 0) {
		mgmtsess_success(s, "signal %s thrown", sig);
		engine_log_state(e);
	} else if (strcmp(sig, "SIGTERM") == 0 || strcmp(sig, "SIGINT") == 0) {
		mgmtsess_success(s, "signal %s thrown", sig);
		engine_stop(e, now);
	} else {
		mgmtsess_error(s, "signal '%s' is not a known signal type", sig);
	}
}

/* ---- endpoint commands ---- */

struct route_walk {
	struct engine *e;
	struct mgmtsess *s;
	struct json *j;
	uint64_t now;
};

const char *
engine_route_target(struct engine *e, const struct rt_entry *r, char *buf, size_t cap)
{
	switch (r->target) {
	case RT_TARGET_NET:
		return epnet_target_name(e->ep, r->net);
	case RT_TARGET_LOCAL:
		return "local";
	case RT_TARGET_CLIENT:
		snprintf(buf, cap, "client:%u", r->peer_id);
		return buf;
	case RT_TARGET_BLACKHOLE:
		return "blackhole";
	}
	return "?";
}

static int
route_cb(const struct rt_entry *r, bool active, void *arg)
{
	struct route_walk *w = arg;
	char dst[PREFIX_STR_MAX], gw[ADDR_STR_MAX] = "", tb[24];
	const char *tgt = engine_route_target(w->e, r, tb, sizeof(tb));
	uint64_t age = w->now > r->since ? w->now - r->since : 0;

	prefix_format(&r->dst, dst, sizeof(dst));
	if (r->gw.family != 0)
		addr_format(&r->gw, gw, sizeof(gw));
	if (w->j != NULL) {
		json_obj_begin(w->j);
		json_kv_str(w->j, "destination", dst);
		json_kv_str(w->j, "target", tgt);
		json_kv_str(w->j, "origin", rt_origin_name(r->origin));
		json_kv_str(w->j, "kind", rt_kind_name(r->kind));
		json_kv_str(w->j, "gateway", gw[0] ? gw : NULL);
		json_kv_bool(w->j, "active", active);
		json_kv_u64(w->j, "age_seconds", age);
		json_kv_str(w->j, "description", r->desc);
		json_obj_end(w->j);
		return 0;
	}
	mgmtsess_line(w->s, "%-20s %-12s %-8s %-9s %-16s %-7s %8llu %s", dst, tgt,
	    rt_origin_name(r->origin), r->kind != RT_KIND_NONE ? rt_kind_name(r->kind) : "-",
	    gw[0] ? gw : "-", active ? "active" : "shadow", (unsigned long long)age, r->desc);
	return 0;
}

static void
cmd_routes(struct engine *e, struct mgmtsess *s, bool json)
{
	struct route_walk w = { e, s, NULL, mtime_wall_sec() };
	struct json j;

	if (json) {
		json_init_alloc(&j, MGMT_JSON_MAX);
		json_obj_begin(&j);
		json_kv_u64(&j, "version", MGMT_JSON_VERSION);
		json_key(&j, "routes");
		json_arr_begin(&j);
		w.j = &j;
		rt_walk(epnet_rtable(e->ep), route_cb, &w);
		json_arr_end(&j);
		json_obj_end(&j);
		json_reply(s, &j);
		json_free(&j);
		return;
	}
	mgmtsess_line(s, "%-20s %-12s %-8s %-9s %-16s %-7s %8s %s", "DESTINATION", "TARGET",
	    "ORIGIN", "KIND", "GATEWAY", "STATE", "AGE(s)", "DESCRIPTION");
	rt_walk(epnet_rtable(e->ep), route_cb, &w);
	mgmtsess_end(s);
}

static void
cmd_authorizations(struct engine *e, struct mgmtsess *s, bool json)
{
	const struct authz *az = epnet_authz(e->ep);
	char dst[PREFIX_STR_MAX], subj[AUTHZ_GROUP_MAX + 8];
	struct json j;
	size_t i;

	if (json) {
		json_init_alloc(&j, MGMT_JSON_MAX);
		json_obj_begin(&j);
		json_kv_u64(&j, "version", MGMT_JSON_VERSION);
		json_kv_bool(&j, "enforced", epnet_on(e->ep));
		json_kv_u64(&j, "default_deny_hits", authz_default_deny_hits(az));
		json_key(&j, "rules");
		json_arr_begin(&j);
	} else {
		mgmtsess_line(s, "%-4s %-20s %-24s %-6s %12s %s", "RULE", "DESTINATION", "SUBJECT",
		    "ACTION", "HITS", "DESCRIPTION");
	}
	for (i = 0; i < authz_count(az); i++) {
		const struct authz_rule *z = authz_rule_at(az, i);

		prefix_format(&z->dst, dst, sizeof(dst));
		if (z->group < 0)
			snprintf(subj, sizeof(subj), "all");
		else
			snprintf(subj, sizeof(subj), "group %s",
			    authz_group_name(az, (unsigned)z->group));
		if (json) {
			json_obj_begin(&j);
			json_kv_u64(&j, "rule", z->index + 1);
			json_kv_str(&j, "destination", dst);
			json_kv_str(&j, "group", z->group < 0 ? NULL :
			    authz_group_name(az, (unsigned)z->group));
			json_kv_str(&j, "action", z->deny ? "deny" : "allow");
			json_kv_u64(&j, "hits", z->hits);
			json_kv_str(&j, "description", z->desc);
			json_obj_end(&j);
		} else {
			mgmtsess_line(s, "%-4u %-20s %-24s %-6s %12llu %s", z->index + 1, dst, subj,
			    z->deny ? "deny" : "allow", (unsigned long long)z->hits, z->desc);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_reply(s, &j);
		json_free(&j);
		return;
	}
	mgmtsess_line(s, "%-4s %-20s %-24s %-6s %12llu %s", "-", "*", "(no rule)", "deny",
	    (unsigned long long)authz_default_deny_hits(az), epnet_on(e->ep) ? "default deny" :
	    "not enforced: no target networks or rules configured");
	mgmtsess_end(s);
}

static void
cmd_pool(struct engine *e, struct mgmtsess *s, bool json)
{
	char net[PREFIX_STR_MAX], net6[PREFIX_STR_MAX] = "";
	struct json j;

	prefix_format(&e->pool.net, net, sizeof(net));
	if (e->pool.has6)
		prefix_format(&e->pool.net6, net6, sizeof(net6));
	if (json) {
		json_init_alloc(&j, 4096);
		json_obj_begin(&j);
		json_kv_u64(&j, "version", MGMT_JSON_VERSION);
		json_kv_str(&j, "network", net);
		json_kv_str(&j, "network_ipv6", net6[0] ? net6 : NULL);
		json_kv_u64(&j, "size", e->pool.size);
		json_kv_u64(&j, "used", e->pool.used);
		json_kv_u64(&j, "free", e->pool.size - e->pool.used);
		json_kv_str(&j, "persist_file", e->conf->ipp_path);
		json_obj_end(&j);
		json_reply(s, &j);
		json_free(&j);
		return;
	}
	mgmtsess_line(s, "network %s%s%s", net, net6[0] ? " " : "", net6);
	mgmtsess_line(s, "size %u used %u free %u (%u%%)", e->pool.size, e->pool.used,
	    e->pool.size - e->pool.used, e->pool.size ? 100 * e->pool.used / e->pool.size : 0);
	if (e->conf->ipp_path != NULL)
		mgmtsess_line(s, "persist %s", e->conf->ipp_path);
	mgmtsess_end(s);
}

/* explain CN DEST: which rule decides for that client (connected, so its
 * groups are known) and that destination, and why */
static void
cmd_explain(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd)
{
	const struct peer *who = NULL;
	char text[512];
	struct addr dst;
	uint32_t i;
	struct json j;

	if (cmd->argc < 3 || addr_parse(cmd->argv[2], &dst) != 0) {
		mgmtsess_error(s, "usage: explain COMMON-NAME DESTINATION-ADDRESS");
		return;
	}
	for (i = 0; i < e->peers.max && who == NULL; i++) {
		const struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->state == PEER_ACTIVE && strcmp(p->cn, cmd->argv[1]) == 0)
			who = p;
	}
	if (who == NULL) {
		mgmtsess_error(s, "common name '%s' is not connected (its groups are known only "
		    "while it is)", cmd->argv[1]);
		return;
	}
	if (!epnet_on(e->ep))
		snprintf(text, sizeof(text), "allowed: authorization is not enforced (no target "
		    "networks or rules configured)");
	else if (authz_explain(epnet_authz(e->ep), who->groups, &dst, text, sizeof(text)) != 0)
		snprintf(text, sizeof(text), "cannot explain");
	if (cmd->json) {
		json_init_alloc(&j, 4096);
		json_obj_begin(&j);
		json_kv_u64(&j, "version", MGMT_JSON_VERSION);
		json_kv_str(&j, "common_name", who->cn);
		json_kv_str(&j, "groups", who->group_names);
		json_kv_str(&j, "destination", cmd->argv[2]);
		json_kv_bool(&j, "allowed", !epnet_on(e->ep) ||
		    authz_peek(epnet_authz(e->ep), who->groups, &dst, NULL) == AUTHZ_ALLOW);
		json_kv_str(&j, "explanation", text);
		json_obj_end(&j);
		json_reply(s, &j);
		json_free(&j);
		return;
	}
	mgmtsess_line(s, "%s (groups: %s) -> %s: %s", who->cn, who->group_names[0] ?
	    who->group_names : "none", cmd->argv[2], text);
	mgmtsess_end(s);
}

/* ---- dispatch ---- */

static void
exec_cb(void *arg, struct mgmt_sess_ref *ref, const struct mgmt_cmd *cmd)
{
	struct engine *e = arg;
	struct mgmtsess *s = mgmt_session(ref);
	uint64_t now = evloop_now(&e->loop);

	switch (cmd->verb) {
	case MGMT_V_PID:
		mgmtsess_success(s, "pid=%d", (int)getpid());
		break;
	case MGMT_V_NCLIENTS:
		mgmtsess_success(s, "nclients=%u", e->n_clients);
		break;
	case MGMT_V_LOAD_STATS:
		cmd_load_stats(e, s, cmd->json);
		break;
	case MGMT_V_STATUS:
		cmd_status(e, s, cmd);
		break;
	case MGMT_V_KILL:
		cmd_kill(e, s, cmd, now);
		break;
	case MGMT_V_CLIENT_KILL:
		cmd_client_kill(e, s, cmd, now);
		break;
	case MGMT_V_VERB:
		cmd_verb(e, s, cmd);
		break;
	case MGMT_V_MUTE:
		mgmtsess_success(s, "mute=%u", e->conf->mute);
		break;
	case MGMT_V_SIGNAL:
		cmd_signal(e, s, cmd, now);
		break;
	case MGMT_V_HOLD:
		mgmtsess_success(s, "hold=0");
		break;
	case MGMT_V_ROUTES:
		cmd_routes(e, s, cmd->json);
		break;
	case MGMT_V_AUTHORIZATIONS:
		cmd_authorizations(e, s, cmd->json);
		break;
	case MGMT_V_POOL:
		cmd_pool(e, s, cmd->json);
		break;
	case MGMT_V_EXPLAIN:
		cmd_explain(e, s, cmd);
		break;
	case MGMT_V_CLIENT_AUTH:
	case MGMT_V_CLIENT_AUTH_NT:
	case MGMT_V_CLIENT_DENY:
	case MGMT_V_CLIENT_PENDING_AUTH:
		engine_mgmt_client_auth(e, s, cmd, now);
		break;
	default:
		mgmtsess_error(s, "The '%s' command is not supported by the current daemon mode",
		    cmd->argc > 0 ? cmd->argv[0] : "?");
		break;
	}
}

static void
bytecount_cb(void *arg, struct mgmt_sess_ref *ref)
{
	struct engine *e = arg;
	struct mgmtsess *s = mgmt_session(ref);
	uint32_t i;

	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->state == PEER_ACTIVE)
			mgmtsess_bytecount_cli(s, p->cid, p->bytes_in, p->bytes_out);
	}
}

/* A session that logs in while clients wait for a decision hears about
 * them (2.6 tells only the sessions present at CONNECT time, so a restarted
 * auth daemon would leave them stranded until hand-window). */
static void
authenticated_cb(void *arg, struct mgmt_sess_ref *ref)
{
	struct engine *e = arg;
	uint32_t i;

	for (i = 0; i < e->peers.max; i++) {
		const struct peer *p = e->peers.by_id[i];

		if (p != NULL && p->mgmt_waiting)
			engine_mgmt_client_event_to(e, p, p->state == PEER_ACTIVE ? MGMT_EV_REAUTH :
			    MGMT_EV_CONNECT, p->mgmt_kid, ref);
	}
}

static void
log_sink(void *arg, enum log_level level, const char *text)
{
	struct engine *e = arg;
	static const char *const flags[] = { "N", "W", "I", "D", "D" };

	if (e->mgmt != NULL)
		mgmt_broadcast_log(e->mgmt, mtime_wall_sec(), flags[level], text);
}

static int
read_password(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return ERR_SYS;
	if (fgets(out, (int)cap, f) == NULL) {
		fclose(f);
		return ERR_MALFORMED;
	}
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n == 0 ? ERR_MALFORMED : 0;
}

int
engine_mgmt_open(struct engine *e)
{
	const struct server_conf *c = e->conf;
	struct mgmt_conf mc;
	struct mgmt_ops ops;
	char pw[256];
	int r;

	if (!c->has_mgmt)
		return 0;
	memset(&mc, 0, sizeof(mc));
	memset(&ops, 0, sizeof(ops));
	if (c->mgmt_pwfile[0] != '\0') {
		if (read_password(c->mgmt_pwfile, pw, sizeof(pw)) != 0) {
			log_err("management: cannot read a password from %s", c->mgmt_pwfile);
			return ERR_CONFIG;
		}
		mc.password = pw;
	}
	if (c->mgmt_unix)
		mc.unix_path = c->mgmt_where;
	else
		mc.ip = c->mgmt_where;
	mc.port = c->mgmt_port;
	mc.auth_timeout = MTIME_SEC(c->mgmt_pw_timeout);
	mc.title = "OpenVPN 2.6.14-compatible " PACKAGE_NAME " " PACKAGE_VERSION;
	ops.arg = e;
	ops.exec = exec_cb;
	ops.bytecount = bytecount_cb;
	ops.authenticated = authenticated_cb;
	r = mgmt_open(&e->mgmt, &e->loop, &mc, &ops);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r != 0) {
		log_err("management: cannot listen on %s%s%.0u: %s", c->mgmt_where,
		    c->mgmt_unix ? "" : " port ", c->mgmt_unix ? 0 : c->mgmt_port, err_str(r));
		return r;
	}
	log_set_sink(log_sink, e);
	{
		/* the state history 2.6 keeps for `state`: a server goes through
		 * these three at start (management-interface.md §3.1) */
		char gw[ADDR_STR_MAX] = "", gw6[ADDR_STR_MAX] = "", lip[ADDR_STR_MAX] = "";
		char entry[256];
		uint64_t now = mtime_wall_sec();

		addr_format(&e->pool.gateway, gw, sizeof(gw));
		if (e->pool.has6)
			addr_format(&e->pool.gateway6, gw6, sizeof(gw6));
		mgmt_broadcast_state(e->mgmt, now, "CONNECTING,,,,,,");
		snprintf(entry, sizeof(entry), "ASSIGN_IP,,%s,,,,%s%s", gw, gw6[0] ? "," : "", gw6);
		mgmt_broadcast_state(e->mgmt, now, entry);
		if (c->has_local)
			addr_format(&c->local, lip, sizeof(lip));
		snprintf(entry, sizeof(entry), "CONNECTED,SUCCESS,%s,,,%s,%u%s%s", gw, lip, c->port,
		    gw6[0] ? "," : "", gw6);
		mgmt_broadcast_state(e->mgmt, now, entry);
	}
	log_info("management interface listening on %s%s%.0u", c->mgmt_where,
	    c->mgmt_unix ? "" : " port ", c->mgmt_unix ? 0 : c->mgmt_port);
	return 0;
}

void
engine_mgmt_close(struct engine *e)
{
	if (e->mgmt == NULL)
		return;
	log_set_sink(NULL, NULL);
	mgmt_close(e->mgmt);
	e->mgmt = NULL;
}

/* ---- notifications ---- */

static void
env_add(char **vars, size_t *n, size_t cap, const char *name, const char *value)
{
	size_t k = strlen(name) + strlen(value) + 2;

	if (*n >= cap || (vars[*n] = malloc(k)) == NULL)
		return;
	snprintf(vars[*n], k, "%s=%s", name, value);
	(*n)++;
}

struct addr_note {
	uint64_t cid;
	const char *addr;
};

static void
note_address(void *arg, struct mgmt_sess_ref *ref)
{
	const struct addr_note *n = arg;

	mgmtsess_client_address(mgmt_session(ref), n->cid, n->addr, true);
}

void
engine_mgmt_client_event(struct engine *e, const struct peer *p, enum mgmt_client_ev ev,
			 uint32_t kid)
{
	engine_mgmt_client_event_to(e, p, ev, kid, NULL);
}

/* to one session (ref), or to all (NULL) */
void
engine_mgmt_client_event_to(struct engine *e, const struct peer *p, enum mgmt_client_ev ev,
			    uint32_t kid, struct mgmt_sess_ref *ref)
{
	char *vars[32], num[32], ip[ADDR_STR_MAX] = "", a[ADDR_STR_MAX];
	struct mgmt_env env;
	struct addr ra;
	uint16_t port = 0;
	size_t n = 0, i;

	if (e->mgmt == NULL)
		return;
	if (addr_from_sockaddr((const struct sockaddr *)&p->sa, p->salen, &ra, &port) == 0)
		addr_format(&ra, ip, sizeof(ip));
	env_add(vars, &n, 32, ev == MGMT_EV_ESTABLISHED || ev == MGMT_EV_DISCONNECT ?
	    "trusted_ip" : "untrusted_ip", ip);
	snprintf(num, sizeof(num), "%u", port);
	env_add(vars, &n, 32, ev == MGMT_EV_ESTABLISHED || ev == MGMT_EV_DISCONNECT ?
	    "trusted_port" : "untrusted_port", num);
	env_add(vars, &n, 32, "common_name", p->cn);
	if (p->username[0] != '\0')
		env_add(vars, &n, 32, "username", p->username);
	if (p->ver[0] != '\0')
		env_add(vars, &n, 32, "IV_VER", p->ver);
	if (p->group_names[0] != '\0')
		env_add(vars, &n, 32, "groups", p->group_names);
	if (p->has_vaddr && addr_format(&p->vaddr, a, sizeof(a)) == 0)
		env_add(vars, &n, 32, "ifconfig_pool_remote_ip", a);
	if (p->has_vaddr6 && addr_format(&p->vaddr6, a, sizeof(a)) == 0)
		env_add(vars, &n, 32, "ifconfig_pool_remote_ip6", a);
	snprintf(num, sizeof(num), "%d", (int)getpid());
	env_add(vars, &n, 32, "daemon_pid", num);
	if (ev == MGMT_EV_ESTABLISHED) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)p->connected_at);
		env_add(vars, &n, 32, "time_unix", num);
	}
	if (ev == MGMT_EV_DISCONNECT) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)(p->connected_at ?
		    mtime_wall_sec() - p->connected_at : 0));
		env_add(vars, &n, 32, "time_duration", num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)p->bytes_out);
		env_add(vars, &n, 32, "bytes_sent", num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)p->bytes_in);
		env_add(vars, &n, 32, "bytes_received", num);
	}
	memset(&env, 0, sizeof(env));
	env.vars = (const char *const *)vars;
	env.nvars = n;
	env.n_clients = (int)e->n_clients;
	if (ev == MGMT_EV_ESTABLISHED && e->conf->mgmt_client_auth && ref == NULL) {
		struct addr_note note = { p->cid, a };

		if (p->has_vaddr && addr_format(&p->vaddr, a, sizeof(a)) == 0)
			mgmt_foreach(e->mgmt, note_address, &note);
		if (p->has_vaddr6 && addr_format(&p->vaddr6, a, sizeof(a)) == 0)
			mgmt_foreach(e->mgmt, note_address, &note);
	}
	if (ref != NULL) {
		mgmtsess_client_event(mgmt_session(ref), ev, p->cid, kid, NULL, &env);
		mgmt_flush(e->mgmt, ref);
	} else {
		mgmt_broadcast_client(e->mgmt, ev, p->cid, kid, NULL, &env);
	}
	for (i = 0; i < n; i++)
		free(vars[i]);
}
