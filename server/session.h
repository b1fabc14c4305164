/*
 * session.h - the per-client control channel: key states, the TLS
 * handshake, key-method-2, authentication hand-off, PUSH_REPLY, text
 * messages and renegotiation (doc §3-§9).
 *
 * The FSM never does I/O itself.  Everything it needs from its owner comes
 * through struct session_env: a function to transmit a finished control
 * packet, and a decision function called once the client is authenticated.
 * Deadlines are reported through session_deadline() and served by
 * session_tick(), so the owner keeps one timer per peer.
 *
 * Closing: the FSM never frees a peer.  It sets p->close_at (and a reason);
 * the owner closes the peer once that time has come.
 */
#ifndef OVPN_SESSION_H
#define OVPN_SESSION_H

#include <stdint.h>

#include "conf_server.h"
#include "kmsg.h"
#include "peer.h"
#include "push.h"
#include "peerinfo.h"
#include "wire.h"

struct session_env {
	const struct server_conf *conf;
	struct tls_ctx *tls;
	const struct pool *pool;      /* client network and topology, for PUSH_REPLY */
	bool no_renegotiation;        /* shutting down: let keys be */
	void *owner;
	/* Transmit one finished control packet to p's current address. */
	void (*send)(void *owner, struct peer *p, const uint8_t *pkt, size_t len);
	/* The first key state authenticated (certificate verified, key-method-2
	 * parsed): pick the cipher and assign an address.  0 allows; a negative
	 * code denies, and `reason` (already filled) goes into AUTH_FAILED. */
	int (*authorize)(void *owner, struct peer *p, const char *occ_options,
			 const struct peerinfo *pi, char *reason, size_t cap);
	/* Username/password (or token) of any key state: 0 accepts, a negative
	 * code refuses (reason filled), ERR_AGAIN means the owner will call
	 * session_auth_done() with the decision. */
	int (*authenticate)(void *owner, struct peer *p, uint8_t key_id, const struct kmsg *km,
			    char *reason, size_t cap);
	/* Data keys of `ks` are ready (first time: the client is connected). */
	void (*keys_ready)(void *owner, struct peer *p, struct keystate *ks, uint64_t now);
	/* Optional: add the endpoint's per-client options to `in` (ep_push);
	 * what it points to must stay valid until the next call. */
	void (*push_extra)(void *owner, const struct peer *p, struct push_input *in);
};

/* Key state 0 for a peer admitted through the cookie (doc §4.1): our reset
 * counts as sent and acked, the client's as received. */
int session_start(const struct session_env *env, struct peer *p, uint64_t now);
/* Key state 0 without the stateless step: TCP clients (doc §4.1) and
 * tls-crypt-v2 clients that cannot echo a cookie (doc §4.4).  `reset` is the
 * client's reset; we pick a random session id and answer with our own reset
 * through the reliability layer. */
int session_start_stateful(const struct session_env *env, struct peer *p, const struct ctl_pkt *reset,
		      uint64_t now);
/* A control packet from p's address whose session id is p's. */
void session_rx(const struct session_env *env, struct peer *p, const struct ctl_pkt *pkt,
		uint64_t now);
/* Has the primary data key worn out (reneg-bytes, reneg-pkts, or the AEAD
 * and packet-id limits of doc §8.7)?  Cheap enough to ask per packet; when
 * true, session_tick() starts the renegotiation. */
bool session_rekey_due(const struct session_env *env, const struct peer *p);
/* The decision on an authentication that env->authenticate left pending:
 * result 0 accepts, negative refuses with `why`.  Unknown key ids are ignored. */
void session_auth_done(const struct session_env *env, struct peer *p, uint8_t key_id, int result,
		       const char *why, uint64_t now);
/* Retransmissions, hand-window, renegotiation and lame-duck expiry. */
void session_tick(const struct session_env *env, struct peer *p, uint64_t now);
uint64_t session_deadline(const struct session_env *env, const struct peer *p);
/* Queue one text control message (e.g. "RESTART") on the newest usable key
 * state and send it.  ERR_BADSTATE if no TLS session is established. */
int session_send_text(const struct session_env *env, struct peer *p, const char *msg,
		      uint64_t now);
/* Everything we sent has been acknowledged (graceful close can finish). */
bool session_all_acked(const struct peer *p);
/* Close p on purpose: at `at` at the latest, sooner once everything sent
 * has been acknowledged. Earliest deadline wins; the reason goes to the log. */
void session_close(struct peer *p, uint64_t at, const char *reason);

#endif
