/*
 * peer.h - one connected client, and the tables that find it.
 *
 * A peer is created only after the client has echoed a valid cookie (P1) and
 * dies in peer_free().  Everything the client owns hangs off struct peer:
 * its key states (TLS session, reliability layer, data-channel keys), its
 * tunnel address, and its timer.  A peer is reachable three ways:
 *   - by peer-id (P_DATA_V2), an array index;
 *   - by outer address and port (control packets, P_DATA_V1), a hash table;
 *   - by tunnel address (packets read from TUN), owned by the engine.
 * All of a peer's state is touched by one thread only, so a second worker
 * can later own a disjoint set of peers without locks on the data path.
 */
#ifndef OVPN_PEER_H
#define OVPN_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "aead.h"
#include "dchan.h"
#include "evloop.h"
#include "log.h"
#include "proto.h"
#include "reliable.h"
#include "tls.h"
#include "tlswrap.h"
#include "ccd.h"

/* Per key_state FSM (doc §4.5). */
enum ks_state {
	KS_NONE = 0,     /* slot unused */
	KS_START,        /* reset exchanged, TLS handshake running */
	KS_GOT_KEY,      /* client's key-method-2 message received */
	KS_SENT_KEY,     /* our key-method-2 message written */
	KS_ACTIVE,       /* ours acked: fully established */
	KS_ERROR,
};

struct keystate {
	enum ks_state state;
	uint8_t key_id;
	bool keys_ready;            /* dk usable for data */
	struct reliable rel;
	struct tls_sess *tls;
	uint64_t started;           /* hand-window counts from here */
	uint64_t keys_at;           /* when dk became ready */
	void *pending;              /* authentication pending: session.c's record, wiped */
	size_t pending_len;         /* and freed with the key state; else NULL */
	uint8_t *pt;                /* TLS plaintext not yet parsed (NULL when idle) */
	size_t pt_len;
	struct dchan_key dk;
};

enum peer_state {
	PEER_HANDSHAKE = 0,  /* first TLS session not yet authenticated */
	PEER_ACTIVE,         /* authenticated, keys ready, PUSH_REPLY sent or ready */
	PEER_AUTH_FAILED,    /* AUTH_FAILED sent; closing once it is delivered */
	PEER_CLOSING,        /* being torn down */
};

enum { PEER_KS = 2, CN_MAX = 64 };

/*
 * The local address a client's datagrams arrive on (IP_PKTINFO /
 * IPV6_PKTINFO), so that replies leave from the address the client sent to.
 * Without it a host with several addresses answers from whichever the route
 * picks, and clients behind strict NAT or connected sockets never see the
 * answer (2.6 needs --multihome for this; we always do it).  family 0:
 * unknown, let the kernel choose.
 */
struct peer_local {
	uint8_t family;
	struct in_pktinfo v4;
	struct in6_pktinfo v6;
};

struct tcp_conn;
struct peer_auth;
struct peer_cc;

struct peer {
	uint32_t id;                      /* peer-id: index into the id table */
	uint64_t cid;                     /* management client id, never reused */
	enum peer_state state;
	struct sockaddr_storage sa;       /* outer address of the client */
	struct peer_local local;          /* our address it sends to */
	struct tcp_conn *tcp;             /* TCP clients: their connection (not in the address hash) */
	struct tlswrap wrap;              /* control-channel protection (tls-auth/crypt/crypt-v2) */
	struct ccd *ccd;                  /* its client-config-dir file, if one applied */
	struct peer_auth *auth;           /* a running auth-user-pass-verify (engine.c) */
	char username[129];               /* as authenticated (sanitized), "" if none */
	bool has_token;                   /* auth-gen-token issued for this session */
	uint8_t token_sid[12];            /* its session id (renewals keep it) */
	uint64_t token_initial;
	char auth_token[96];              /* pushed as auth-token */
	uint8_t *v2_meta;                 /* tls-crypt-v2 client metadata (type byte first), or NULL */
	size_t v2_meta_len;
	socklen_t salen;
	char sa_str[SOCKADDR_STR_MAX];
	uint8_t ssid[SESSION_ID_LEN];     /* ours (the cookie) */
	uint8_t csid[SESSION_ID_LEN];     /* the client's */
	struct keystate ks[PEER_KS];      /* [0] primary (newest), [1] lame duck */
	uint8_t last_key_id;

	char cn[CN_MAX + 1];
	char ver[32];                     /* IV_VER, for logs */
	char plat[32];                    /* IV_PLAT (connect handler's "platform") */
	uint32_t iv_proto;
	bool data_v2;                     /* use P_DATA_V2 with our peer-id */
	bool ekm;                         /* data keys from the TLS exporter */
	bool request_push;                /* send PUSH_REPLY without waiting */
	uint32_t tun_mtu_push;            /* 0 = don't push tun-mtu */
	const struct aead_info *cipher;
	uint8_t comp;                     /* enum comp_mode negotiated for this client */
	uint8_t comp_allow;               /* enum comp_allow */
	struct addr vaddr;
	bool has_vaddr;
	struct addr vaddr6;               /* server-ipv6 (not yet) */
	bool has_vaddr6;
	uint32_t pool_idx;
	uint64_t groups;                  /* authorization groups (epnet_groups bits) */
	char group_names[160];            /* "engineering,ops": for logs, hooks and status */
	bool has_iroutes;                 /* its iroutes are in the endpoint's route table */
	const char *fail_code;            /* connection-log failure reason (CONNLOG_REASON_*), or NULL */
	bool mgmt_waiting;                /* management-client-auth decision pending */
	bool mgmt_announced;              /* got a CONNECT: owes the management a DISCONNECT */
	uint32_t mgmt_kid;                /* KID of the pending decision */
	uint64_t mgmt_deadline;
	char *mgmt_cfg;                   /* per-client config lines: client-auth block, connect hook */
	struct peer_cc *cc;               /* client-connect running (engine_hooks.c) */
	bool cc_done;
	size_t mgmt_cfg_len;

	uint64_t connected_at;            /* wall seconds: status ("Connected Since") */
	uint64_t push_sent_at;            /* monotonic µs; 0 = never */
	uint64_t last_rx, last_tx;        /* any authenticated packet in / out */
	uint64_t active_since;            /* monotonic µs: connected (session-timeout) */
	uint64_t last_data;               /* monotonic µs: last tunnel packet, keepalives excluded */
	uint64_t close_at;                /* deadline: the peer is closed then */
	bool closing;                     /* closed on purpose: may go as soon as all is acked */
	char close_reason[96];

	uint64_t bytes_in, bytes_out;     /* outer bytes, like 2.6's status */
	uint64_t pkts_in, pkts_out;

	struct ev_timer timer;            /* one timer: earliest of all deadlines */
	struct log_rl rl;                 /* for lines this client's packets trigger */
	struct peer *hnext;               /* address hash chain */
	int ho_idx;                       /* slot in the engine's half-open list, -1 if none */
	bool holds_slot;                  /* counted against max-clients */
	void *owner;                      /* the engine that holds this peer */
};

/* A fresh peer with empty key states; not in any table. NULL on ENOMEM. */
struct peer *peer_new(void);
/* Tears down key states (wipes keys) and frees. The caller removes it from tables first. */
void peer_free(struct peer *p);
void keystate_clear(struct keystate *ks);
/* The key state with this key id, or NULL. */
struct keystate *peer_ks_by_id(struct peer *p, uint8_t key_id);
/* The key to send data with: the newest key state whose keys are ready. */
struct keystate *peer_tx_ks(struct peer *p);
void peer_set_remote(struct peer *p, const struct sockaddr *sa, socklen_t salen);
/* Keep a copy of the tls-crypt-v2 client metadata (handed to hooks). */
int peer_set_v2_meta(struct peer *p, const uint8_t *meta, size_t len);

/* ---- tables ---- */
struct peer_table {
	struct peer **by_id;      /* max entries */
	uint32_t max;
	uint32_t count;
	struct peer **hash;       /* address buckets */
	uint32_t hmask;
	uint64_t hkey[2];         /* random per process, against hash flooding */
};

int peer_table_init(struct peer_table *t, uint32_t max_clients);
void peer_table_free(struct peer_table *t);   /* does not free peers */
/* Assign the lowest free peer-id and index by id, and by address unless
 * p->tcp is set (a TCP client is found through its connection). ERR_FULL. */
int peer_table_add(struct peer_table *t, struct peer *p);
void peer_table_del(struct peer_table *t, struct peer *p);
struct peer *peer_by_id(const struct peer_table *t, uint32_t id);
struct peer *peer_by_addr(const struct peer_table *t, const struct sockaddr *sa, socklen_t salen);
/* Several sessions may share an address while a restarted client's new
 * session authenticates beside its old one: find the one with this client
 * session id. */
struct peer *peer_by_addr_sid(const struct peer_table *t, const struct sockaddr *sa,
			      socklen_t salen, const uint8_t csid[SESSION_ID_LEN]);
/* Call fn for every other peer at p's address (fn may not delete peers). */
void peer_for_each_at_addr(const struct peer_table *t, const struct peer *p,
			   void (*fn)(struct peer *other, void *arg), void *arg);
/* Float: re-index p under a new outer address (P9: only after the packet authenticated). */
void peer_table_move(struct peer_table *t, struct peer *p, const struct sockaddr *sa, socklen_t salen);

#endif
