/*
 * mgmt.h - the management server: listening socket, connected sessions,
 * and the hand-off of parsed commands to the daemon
 * (docs/management-interface.md §1, §4, §9).
 *
 * mgmt owns the sockets and one struct mgmtsess per connection; it reads,
 * feeds mgmtsess_input(), writes mgmtsess_out() with EPOLLOUT back-pressure,
 * applies the password deadline, and closes sessions.  It keeps no client
 * state: every command that needs the daemon goes to ops->exec, which
 * writes its reply with the mgmtsess_* helpers on mgmt_session(s).
 *
 * Answered inside mgmt (they need no daemon state), never given to exec:
 *	log on|off|all|N [..]    history ring of the lines given to mgmt_broadcast_log
 *	state [on|off|all|N ..]  history ring of the entries given to mgmt_broadcast_state
 *	echo on|off|all|N [..]   a server has no echo buffer: history is always empty
 *	bytecount N              per-session timer calling ops->bytecount every N s
 * Everything else mgmtsess hands out (MGMT_V_*) goes to ops->exec.
 *
 * Several sessions are served at once, up to MGMT_MAX_SESSIONS; a further
 * connection gets "ERROR: too many management sessions" and is closed.
 * Each command a session hands to its owner is logged once at info level as
 * "management: session N (PEER): COMMAND" (PEER is "unix" or "IP:port");
 * client-auth blocks are logged as "client-auth CID KID (N lines)" and the
 * EXTRA of client-pending-auth as its length only.  Commands mgmtsess
 * answers by itself (help, version, quit, env-filter, test, net, unknown or
 * malformed lines, the password) are not seen by mgmt and not logged.
 *
 * Re-entrancy: exec and the other callbacks may call every function below
 * except mgmt_close().  Sessions are never freed inside a call from the
 * daemon: a session that fails is only marked closed and is freed from its
 * own timer on a later loop iteration, where ops->closed runs.
 *
 * Single-threaded, like the event loop it runs on.
 */
#ifndef OVPN_MGMT_H
#define OVPN_MGMT_H

#include <stdbool.h>
#include <stdint.h>

#include "evloop.h"
#include "mgmtsess.h"

enum {
	/* Concurrent sessions (2.6 serves one). */
	MGMT_MAX_SESSIONS = 16,
	/* Default history kept for `log N|all` and `state N|all` (2.6 management-log-cache). */
	MGMT_LOG_CACHE = 250,
	/* Longest history entry kept; longer ones are cut. */
	MGMT_HIST_ENTRY_MAX = 2048,
};

/* A closing session (quit, EOF, timeout) gets this long to take its last output. */
#define MGMT_LINGER MTIME_SEC(2)

struct mgmt_conf {
	/* Exactly one of unix_path and ip.  unix_path: created mode 0600; an
	 * existing socket there is replaced, any other file is refused. */
	const char *unix_path;
	/* Numeric IPv4 or IPv6 address; not loopback is allowed with a warning. */
	const char *ip;
	uint16_t port;            /* 0: ephemeral, see mgmt_port() */
	const char *password;     /* NULL: none (reading the file is the caller's job) */
	const char *title;        /* help/version title, see struct mgmtsess_conf */
	uint64_t auth_timeout;    /* µs for the password; 0 = MGMT_AUTH_TIMEOUT */
	unsigned int log_cache;   /* history entries; 0 = MGMT_LOG_CACHE */
};

/* One connected session; owned by mgmt, valid until ops->closed returns. */
struct mgmt_sess_ref;
struct mgmt;

struct mgmt_ops {
	void *arg;
	/* Run cmd (valid only during the call) and reply on mgmt_session(s).
	 * mgmt flushes the session afterwards.  Required. */
	void (*exec)(void *arg, struct mgmt_sess_ref *s, const struct mgmt_cmd *cmd);
	/* s passed the password (or needs none); e.g. to send >HOLD:.  Optional. */
	void (*authenticated)(void *arg, struct mgmt_sess_ref *s);
	/* s is gone: forget it.  Only for sessions that were announced through
	 * `authenticated` (also when mgmt_close() runs).  Optional. */
	void (*closed)(void *arg, struct mgmt_sess_ref *s);
	/* `bytecount N` is due on s: write one mgmtsess_bytecount_cli() line per
	 * connected client.  Optional (NULL: the timer produces nothing). */
	void (*bytecount)(void *arg, struct mgmt_sess_ref *s);
};

/*
 * Create the listening socket (SOCK_NONBLOCK|SOCK_CLOEXEC) and start
 * accepting on loop.  conf strings and ops are copied.  0, or ERR_INVAL
 * (bad conf: both or neither of unix_path/ip, unparsable ip, path too long,
 * password too long, exec NULL), ERR_EXISTS (a non-socket file at
 * unix_path), ERR_NOMEM, ERR_SYS (socket/bind/listen, errno set).
 */
int mgmt_open(struct mgmt **out, struct evloop *loop, const struct mgmt_conf *conf,
    const struct mgmt_ops *ops);
/* Close every session (ops->closed for announced ones), the listening
 * socket, and remove the unix socket file if it is still ours.  NULL ok. */
void mgmt_close(struct mgmt *m);

/* Bound TCP port (useful with port 0); 0 for a unix socket. */
uint16_t mgmt_port(const struct mgmt *m);
/* Sessions open now (not counting those closed and waiting to be freed). */
unsigned int mgmt_nsessions(const struct mgmt *m);

struct mgmtsess *mgmt_session(struct mgmt_sess_ref *s);
/* Numbered from 1 in connect order; never reused by one struct mgmt. */
unsigned int mgmt_session_id(const struct mgmt_sess_ref *s);
/* "unix" or "IP:port" ("[v6]:port"). */
const char *mgmt_session_peer(const struct mgmt_sess_ref *s);
/* The open session with that id, or NULL: for replies that come later. */
struct mgmt_sess_ref *mgmt_session_find(struct mgmt *m, unsigned int id);

/* Send what the daemon wrote into s outside exec/authenticated/bytecount. */
void mgmt_flush(struct mgmt *m, struct mgmt_sess_ref *s);
/* fn on every open authenticated session (e.g. mgmtsess_client_address(),
 * mgmtsess_notify()), each flushed afterwards. */
void mgmt_foreach(struct mgmt *m, void (*fn)(void *arg, struct mgmt_sess_ref *s), void *arg);

/* mgmtsess_client_event() on every open authenticated session. */
void mgmt_broadcast_client(struct mgmt *m, enum mgmt_client_ev ev, uint64_t cid, uint32_t kid,
    const char *response, const struct mgmt_env *env);
/* Keep "unix_time,flags,text" in the log history and send ">LOG:" + it to
 * the sessions that ran `log on`. */
void mgmt_broadcast_log(struct mgmt *m, uint64_t unix_time, const char *flags, const char *text);
/* Keep "unix_time,entry" in the state history and send ">STATE:" + it to
 * the sessions that ran `state on`; entry is "CONNECTED,SUCCESS,10.8.0.1,..."
 * (docs/management-interface.md §3.1). */
void mgmt_broadcast_state(struct mgmt *m, uint64_t unix_time, const char *entry);

#endif
