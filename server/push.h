/*
 * push.h - what the server tells a client after authentication: cipher
 * negotiation (NCP) and the PUSH_REPLY messages (doc §9.2, §13, §14).
 *
 * Pure: inputs in, text out.  The order of options follows 2.6 (operator
 * `push` lines, then the topology helpers, then keepalive, then the
 * per-client items), because scripts that diff client logs rely on it.
 */
#ifndef OVPN_PUSH_H
#define OVPN_PUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "peerinfo.h"
#include "pool.h"
#include "proto.h"

enum {
	PUSH_MAX_MSGS = 16,
	/* 2.6 keeps 84 bytes of a 1024-byte message in reserve; so do we. */
	PUSH_MSG_BUDGET = CTL_MSG_MAX - 84,
	PUSH_PF_CC_EXIT = 1u << 0,
	PUSH_PF_TLS_EKM = 1u << 1,
};

struct push_input {
	char *const *cfg_push;        /* operator `push` options, in config order */
	unsigned n_cfg_push;
	const char *const *ep_push;   /* the endpoint's: authorized routes, redirect-gateway, DNS */
	unsigned n_ep_push;
	char *const *ccd_push;        /* this client's client-config-dir push lines */
	unsigned n_ccd_push;
	enum topology topology;
	struct prefix net;            /* client network */
	struct addr gateway;          /* server's tunnel address */
	struct addr ifconfig_peer;    /* net30/p2p: the client's point-to-point peer */
	bool has6;                    /* server-ipv6 */
	struct addr ifconfig6, gateway6;
	uint8_t len6;
	uint32_t ping, ping_restart;  /* 0 = not pushed */
	const char *compress;         /* "compress stub-v2", "comp-lzo no", ...; NULL = none */
	struct addr ifconfig;         /* the client's address */
	bool has_peer_id;
	uint32_t peer_id;
	const char *cipher;           /* NULL: client does not negotiate, push none */
	unsigned proto_flags;         /* PUSH_PF_*; 0 = no protocol-flags line */
	bool key_derivation_ekm;      /* `key-derivation tls-ekm` (bit 3 without bit 7) */
	const char *auth_token;       /* auth-gen-token, NULL = none */
	uint32_t tun_mtu;             /* 0 = not pushed */
};

struct push_out {
	unsigned n;
	char msg[PUSH_MAX_MSGS][CTL_MSG_MAX + 1];   /* NUL-terminated, without the wire NUL */
};

/* Build one or more PUSH_REPLY messages, split with push-continuation when
 * they exceed PUSH_MSG_BUDGET.  ERR_MALFORMED if an option contains a comma
 * or is longer than PUSH_OPTION_MAX; ERR_OVERFLOW if more than
 * PUSH_MAX_MSGS messages would be needed. */
int push_build(const struct push_input *in, struct push_out *out);

/* NCP (doc §14): the first cipher of the server's list that the client
 * supports; else the fallback when the client sent no cipher information at
 * all; else NULL (caller fails the client with a clear reason). */
const char *push_select_cipher(const char (*server_list)[24], unsigned n, const char *fallback,
			       const struct peerinfo *pi);

#endif
