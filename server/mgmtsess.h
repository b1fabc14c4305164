/*
 * mgmtsess.h - one management session's protocol engine (no sockets).
 *
 * The owner feeds the bytes it receives (mgmtsess_input) and gets back, one
 * at a time, the commands it has to execute; everything the session has to
 * say (prompts, greeting, replies it produces itself, and the replies and
 * notifications the owner appends through the helpers below) accumulates in
 * an output queue that the owner drains to the socket (mgmtsess_out /
 * mgmtsess_out_consume).  Behaviour and texts follow OpenVPN 2.6.14, see
 * docs/management-interface.md §1-§4 and the design notes in mgmtsess.c.
 *
 * Typical loop:
 *
 *	buf_init(&b, rx, n);
 *	while ((r = mgmtsess_input(s, &b, now, &cmd)) == 1)
 *		execute(&cmd);          (replies via mgmtsess_success() etc.)
 *	send mgmtsess_out(); close once mgmtsess_closing() and the queue is empty;
 *	wake up at mgmtsess_deadline() and call mgmtsess_tick().
 *
 * Ownership: mgmtsess_new() copies the configuration strings; a struct
 * mgmt_cmd points into the session and is valid until the next call of
 * mgmtsess_input() or mgmtsess_free().
 */
#ifndef OVPN_MGMTSESS_H
#define OVPN_MGMTSESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mtime.h"

enum {
	/* Input line buffer, newline included, as 2.6: lines keep at most 1023 bytes. */
	MGMT_LINE_MAX = 1024,
	/* Tokens per command line, verb included (2.6 MAX_PARMS); more are ignored. */
	MGMT_ARGV_MAX = 16,
	/* Longest token (2.6 OPTION_PARM_SIZE). */
	MGMT_PARAM_MAX = 256,
	/* client-auth blocks: beyond either cap the whole command fails at END. */
	MGMT_BLOCK_MAX_LINES = 1024,
	MGMT_BLOCK_MAX_BYTES = 65536,
	/* Wrong passwords before the session is closed (2.6). */
	MGMT_PASSWORD_TRIES = 3,
	/* Longest password accepted in the configuration. */
	MGMT_PASSWORD_MAX = 256,
	/* Output queue cap; a peer that stops reading is disconnected past it. */
	MGMT_OUT_MAX = 16 * 1024 * 1024,
	/* `test N` prints at most this many lines (2.6 has no cap). */
	MGMT_TEST_MAX_LINES = 10000,
	/* Management protocol version announced in the greeting and `version`. */
	MGMT_VERSION = 5,
};

/* Default time allowed to enter the password, counted from connect. */
#define MGMT_AUTH_TIMEOUT MTIME_SEC(60)

/* Commands handed to the owner.  Everything else is answered inside. */
enum mgmt_verb {
	MGMT_V_NONE = 0,
	MGMT_V_AUTHENTICATED,     /* not a command: the password was just accepted */
	MGMT_V_PID,
	MGMT_V_NCLIENTS,
	MGMT_V_LOAD_STATS,
	MGMT_V_STATUS,            /* [n] */
	MGMT_V_STATE,             /* [on|off|all|N] [..] */
	MGMT_V_LOG,               /* on|off|all|N [..] (>= 1 arg checked) */
	MGMT_V_ECHO,              /* on|off|all|N [..] (>= 1 arg checked) */
	MGMT_V_BYTECOUNT,         /* n (1 arg checked) */
	MGMT_V_KILL,              /* cn | IP:port (1 arg checked) */
	MGMT_V_CLIENT_KILL,       /* cid parsed; argv[2] = optional message */
	MGMT_V_CLIENT_AUTH,       /* cid, kid parsed; block = directive lines */
	MGMT_V_CLIENT_AUTH_NT,    /* cid, kid parsed */
	MGMT_V_CLIENT_DENY,       /* cid, kid parsed; argv[3] reason, argv[4] optional */
	MGMT_V_CLIENT_PENDING_AUTH, /* cid, kid, timeout parsed; argv[3] = EXTRA */
	MGMT_V_VERB,              /* [n] */
	MGMT_V_MUTE,              /* [n] */
	MGMT_V_SIGNAL,            /* name (1 arg checked) */
	MGMT_V_HOLD,              /* [on|off|release] */
	MGMT_V_ROUTES,            /* [cn]            (ovpn-endpoint) */
	MGMT_V_AUTHORIZATIONS,    /* [cn]            (ovpn-endpoint) */
	MGMT_V_POOL,              /*                 (ovpn-endpoint) */
	MGMT_V_EXPLAIN,           /* cn dest         (ovpn-endpoint, 2 args checked) */
};

struct mgmt_cmd {
	enum mgmt_verb verb;
	bool json;                /* given as `json VERB ...`: answer in JSON */
	int argc;                 /* argv[0] is the verb word */
	const char *argv[MGMT_ARGV_MAX + 1];   /* argv[argc] == NULL */
	uint64_t cid;             /* client-* verbs */
	uint32_t kid;             /* client-auth*, client-deny, client-pending-auth */
	uint32_t timeout;         /* client-pending-auth */
	const char *const *block; /* MGMT_V_CLIENT_AUTH: lines, NULL-terminated */
	size_t nblock;
};

struct mgmtsess_conf {
	const char *password;     /* NULL: no password; otherwise must match exactly */
	const char *title;        /* "help"/"version" title, e.g. "OpenVPN 2.6.14-compatible ..." */
	uint64_t auth_timeout;    /* µs; 0 = MGMT_AUTH_TIMEOUT */
};

/* Per-session real-time subscriptions, set by the owner when it runs log/state/echo. */
enum mgmt_sub {
	MGMT_SUB_LOG = 1 << 0,
	MGMT_SUB_STATE = 1 << 1,
	MGMT_SUB_ECHO = 1 << 2,
};

/* >CLIENT: events that carry an ENV block. */
enum mgmt_client_ev {
	MGMT_EV_CONNECT,          /* cid, kid */
	MGMT_EV_REAUTH,           /* cid, kid */
	MGMT_EV_CR_RESPONSE,      /* cid, kid, response */
	MGMT_EV_ESTABLISHED,      /* cid */
	MGMT_EV_DISCONNECT,       /* cid; no n_clients line */
};

/*
 * The environment shown with a >CLIENT: event.  vars are "name=value"
 * strings in the order to print; peer_info are the client's raw peer-info
 * lines, printed first (after n_clients) and only when this session's
 * env-filter level is > 0, as 2.6 does for CONNECT/REAUTH/CR_RESPONSE;
 * invalid peer-info lines are skipped.  n_clients < 0 omits that line.
 */
struct mgmt_env {
	const char *const *vars;
	size_t nvars;
	const char *const *peer_info;
	size_t npeer_info;
	int n_clients;
};

struct mgmtsess;

/* NULL on allocation failure or a password longer than MGMT_PASSWORD_MAX.
 * Queues "ENTER PASSWORD:" or, without a password, the greeting. */
struct mgmtsess *mgmtsess_new(const struct mgmtsess_conf *conf, uint64_t now);
/* Wipes the password and any buffered input. NULL is allowed. */
void mgmtsess_free(struct mgmtsess *s);

/*
 * Consume bytes from `in` until a command for the owner is ready (returns
 * 1, *cmd filled, the rest of `in` left unread) or `in` is exhausted
 * (returns 0).  Lines the session answers itself (help, version, quit,
 * errors, ...) are handled on the way.  Once the session is closing the
 * input is drained and ignored.  Never fails: hostile input only ever
 * produces ERROR lines, a failed client-auth, or a close.
 */
int mgmtsess_input(struct mgmtsess *s, struct buf *in, uint64_t now, struct mgmt_cmd *cmd);

/* MTIME_NEVER once authenticated or closing, else the password deadline. */
uint64_t mgmtsess_deadline(const struct mgmtsess *s);
/* Apply the deadline: past it, an unauthenticated session says why and closes. */
void mgmtsess_tick(struct mgmtsess *s, uint64_t now);

bool mgmtsess_authenticated(const struct mgmtsess *s);
/* The session wants the connection closed once its output has been sent. */
bool mgmtsess_closing(const struct mgmtsess *s);
/* Why (static text), or NULL while not closing. */
const char *mgmtsess_close_reason(const struct mgmtsess *s);
/* Inside a client-auth block (lines are being collected until END). */
bool mgmtsess_in_block(const struct mgmtsess *s);
/* env-filter level last set in this session (default 0). */
int mgmtsess_env_filter(const struct mgmtsess *s);
/* Client protocol version announced by `version N` (default 1). */
int mgmtsess_client_version(const struct mgmtsess *s);

void mgmtsess_set_sub(struct mgmtsess *s, unsigned int sub, bool on);
bool mgmtsess_subscribed(const struct mgmtsess *s, unsigned int sub);

/* Output queue: pending bytes, and drop the first n after sending them. */
const uint8_t *mgmtsess_out(const struct mgmtsess *s, size_t *len);
void mgmtsess_out_consume(struct mgmtsess *s, size_t n);

/*
 * Reply helpers (each adds one "\r\n"-terminated line).  They do nothing on
 * a session that is not authenticated or is closing.  Formatted text has
 * control characters replaced by '_' so no value can add a line.  They
 * return 0, or ERR_FULL when the queue passed MGMT_OUT_MAX (the session is
 * then closing).
 */
int mgmtsess_success(struct mgmtsess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mgmtsess_error(struct mgmtsess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One data line of a multi-line reply. */
int mgmtsess_line(struct mgmtsess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mgmtsess_end(struct mgmtsess *s);
/* Pre-formatted lines, e.g. status_write() output: copied as is, but only
 * complete lines with CR/LF as line ends are accepted (ERR_MALFORMED). */
int mgmtsess_raw(struct mgmtsess *s, const char *text, size_t len);

/* ">TYPE:payload" notification, e.g. ("INFO", ...), ("NOTIFY", ...). */
int mgmtsess_notify(struct mgmtsess *s, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ">LOG:t,flags,text" if subscribed to MGMT_SUB_LOG. */
int mgmtsess_log(struct mgmtsess *s, uint64_t unix_time, const char *flags, const char *text);
/* ">BYTECOUNT_CLI:cid,in,out". */
int mgmtsess_bytecount_cli(struct mgmtsess *s, uint64_t cid, uint64_t bytes_in, uint64_t bytes_out);
/* ">CLIENT:ADDRESS,cid,addr,primary" (addr as "10.8.0.2" or "10.77.0.0/255.255.0.0"). */
int mgmtsess_client_address(struct mgmtsess *s, uint64_t cid, const char *addr, bool primary);
/*
 * A >CLIENT: event and its ENV block, filtered by this session's env-filter
 * level, queued as one unit so nothing can interleave.  `response` is the
 * CR_RESPONSE text (ignored for other events).
 */
int mgmtsess_client_event(struct mgmtsess *s, enum mgmt_client_ev ev, uint64_t cid, uint32_t kid,
    const char *response, const struct mgmt_env *env);

/* The verb word for a verb (e.g. "client-auth"); "" for NONE/AUTHENTICATED. */
const char *mgmtsess_verb_name(enum mgmt_verb v);

#endif
