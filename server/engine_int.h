/*
 * engine_int.h - the engine's state, shared by the files that make up the
 * daemon's event loop: engine.c (sockets, handshakes, data path) and
 * engine_ops.c (status, connection log, management commands, metrics).
 * Nothing outside server/engine*.c includes it; everyone else goes
 * through engine.h.
 */
#ifndef OVPN_ENGINE_INT_H
#define OVPN_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "authtoken.h"
#include "connlog.h"
#include "conf_server.h"
#include "cookie.h"
#include "datapath.h"
#include "epnet.h"
#include "evloop.h"
#include "hook.h"
#include "ippersist.h"
#include "log.h"
#include "mgmtsess.h"
#include "peer.h"
#include "pool.h"
#include "session.h"
#include "srclimit.h"
#include "tlswrap.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct tls_ctx;
struct rtnl;
struct mconn;

enum { EOPS_FAIL_REASONS = 16 };
struct engine_ops;

struct engine {
	struct server_conf *conf;
	struct evloop loop;
	struct session_env senv;
	struct tls_ctx *tls;
	struct cookie_key cookie;
	bool cookie_ready;
	struct tlswrap srv_wrap;         /* tls-auth / tls-crypt key for the stateless path */
	bool has_srv_wrap;
	struct pool pool;
	struct peer_table peers;
	struct peer **by_vaddr;          /* pool index -> peer */
	struct rtnl *rtnl;
	struct epnet *ep;                /* route table, authorization rules, kernel routes, NAT */
	struct ev_io ep_io;              /* its route/link notifications */
	bool ep_io_on;
	struct ippersist ipp;            /* ifconfig-pool-persist */
	struct connlog connlog;          /* connection-log (engine_ops.c) */
	const struct sdnotify *sd;       /* systemd notifications, or NULL */
	struct mgmt *mgmt;               /* management interface (engine_mgmt.c), or NULL */
	int metrics_fd;                  /* metrics IP PORT (engine_metrics.c), -1 if none */
	unsigned n_bg;                   /* detached hooks running (engine_hooks.c) */
	char banner_msg[300];
	struct ev_io metrics_io;
	struct mconn *mconn[8];
	/* failed connection attempts by reason (connection log reasons), for metrics */
	const char *fail_reason[EOPS_FAIL_REASONS];
	uint64_t fail_count[EOPS_FAIL_REASONS];
	uint64_t bytes_in_gone, bytes_out_gone;   /* of clients gone: load-stats */
	struct ev_timer wd_timer;        /* WATCHDOG=1 */
	bool wd_armed;
	uint64_t connid_base;            /* connection ids: base + client id */
	struct ev_timer status_timer;    /* status FILE seconds */
	bool status_armed;
	struct ev_timer ipp_timer;       /* writes the file soon after a change */
	bool ipp_timer_armed;

	int udp_fd;
	struct ev_io udp_io;
	int listen_fd;                   /* proto tcp-server */
	struct ev_io listen_io;
	int tun_fd;
	struct ev_io tun_io;
	char tun_name[16];
	unsigned tun_ifindex;
	int sig_fd;
	struct ev_io sig_io;
	/* crl-verify: the file is watched and re-read when it changes (P12) */
	struct ev_timer crl_timer;
	struct stat crl_st;
	bool crl_broken;                 /* unreadable or invalid: new clients refused */
	char tmpdir[HOOK_PATH_MAX];      /* private dir for via-file and control files */
	struct authtoken_key token_key;  /* auth-gen-token */

	struct dp_batch *tx;
	/* receive side, allocated once */
	struct mmsghdr rx_msg[DP_BATCH];
	struct iovec rx_iov[DP_BATCH];
	struct sockaddr_storage rx_sa[DP_BATCH];
	uint8_t rx_ctl[DP_BATCH][DP_CMSG_SPACE];
	uint8_t (*rx_buf)[DP_BUF];
	uint8_t pt[DP_BUF];

	uint64_t next_cid;
	bool stopping;
	uint64_t stop_deadline;
	struct log_rl rl_stranger;       /* lines triggered by unauthenticated packets */
	struct srclimit stateless_lim;   /* budget of stateless replies (P3) */
	bool stateless_lim_ready;
	struct peer **half_open;         /* cookie echoed, not yet authenticated (P4) */
	uint32_t n_half_open;
	uint32_t n_clients;              /* authenticated, counted against max-clients */
	struct log_rl rl_data;

	struct {
		uint64_t stateless_replies, data_drops, spoofed, tun_no_peer, unauthorized;
		uint64_t half_open_refused;
	} stats;
};

/* engine.c: SIGHUP and the management `reload` command */
int engine_reload(struct engine *e, uint64_t now);

void engine_peer_settle(struct engine *e, struct peer *p, uint64_t now);
void engine_log_state(struct engine *e);
void engine_stop(struct engine *e, uint64_t now);
struct mgmtsess;
struct mgmt_cmd;
void engine_mgmt_client_auth(struct engine *e, struct mgmtsess *s, const struct mgmt_cmd *cmd,
			     uint64_t now);

/* engine_mgmt.c */
struct peer *engine_peer_by_cid(struct engine *e, uint64_t cid);
struct rt_entry;
/* "vpc", "local", "client:7", "blackhole": where a route leads, for humans */
const char *engine_route_target(struct engine *e, const struct rt_entry *r, char *buf,
				size_t cap);
int engine_mgmt_open(struct engine *e);
void engine_mgmt_close(struct engine *e);
void engine_mgmt_client_event(struct engine *e, const struct peer *p, enum mgmt_client_ev ev,
			      uint32_t kid);
struct mgmt_sess_ref;
void engine_mgmt_client_event_to(struct engine *e, const struct peer *p, enum mgmt_client_ev ev,
				 uint32_t kid, struct mgmt_sess_ref *ref);

void engine_peer_schedule(struct engine *e, struct peer *p);
int engine_predict_addr(struct engine *e, struct peer *p, struct addr *out);
/* the decision on key key_id after the connect stage: done (result) or go on (management) */
void engine_auth_done(struct engine *e, struct peer *p, uint8_t key_id, int result,
		      const char *reason, uint64_t now);
void engine_auth_continue(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now);

/* engine_hooks.c */
int engine_cc_start(struct engine *e, struct peer *p, uint8_t key_id, uint64_t now);
void engine_cc_free(struct engine *e, struct peer *p);
void engine_cc_tick(struct engine *e, struct peer *p, uint64_t now);
uint64_t engine_cc_deadline(const struct peer *p);
void engine_hook_disconnect(struct engine *e, const struct peer *p);
void engine_hook_learn(struct engine *e, const struct peer *p, bool add);

/* engine_metrics.c */
int engine_metrics_open(struct engine *e);
void engine_metrics_close(struct engine *e);

/* engine_ops.c */
int eops_init(struct engine *e);
void eops_free(struct engine *e);
void eops_reopen_logs(struct engine *e);
/* A 2.6 status report (version 1-3) of the live clients, line by line. */
int eops_status(struct engine *e, int version, bool crlf,
		int (*emit)(void *arg, const char *line, size_t len), void *arg);
void eops_connected(struct engine *e, const struct peer *p);
void eops_closed(struct engine *e, const struct peer *p, const char *reason);

#endif
