/*
 * mgmtsess.c - one management session: password, line discipline, tokens,
 * client-auth blocks, reply and notification framing
 * (docs/management-interface.md §1-§4, OpenVPN 2.6.14 manage.c facts).
 *
 * Design.  Input is consumed byte by byte from a struct buf.  Bytes below
 * 0x20 (except '\n') and DEL are dropped, as 2.6 does, so "\r\n", NULs and
 * TABs simply vanish.  A line keeps at most MGMT_LINE_MAX - 1 bytes; a longer
 * one is discarded up to its newline and answered with one ERROR line (2.6
 * instead empties its buffer and runs whatever follows as a command).
 * Complete lines go to one of three states:
 *
 *   password   - constant-time compare against the configured password.
 *                Wrong: nothing is said, "ENTER PASSWORD:" is repeated once
 *                the input at hand is used up (2.6 prompts once per read);
 *                the third wrong line closes the session silently.  Right:
 *                "SUCCESS: password is correct" + greeting, and the owner
 *                gets MGMT_V_AUTHENTICATED.  The whole stage has a deadline
 *                counted from connect (not from the last byte, so trickling
 *                bytes cannot hold a session open).
 *   block      - after a valid `client-auth CID KID`: lines are collected
 *                verbatim until a line exactly "END"; then the command goes
 *                to the owner with the lines.  Bounded by MGMT_BLOCK_MAX_*;
 *                past a bound the lines are still swallowed until END (so
 *                the rest of a directive block can never run as commands)
 *                and the command fails there.
 *   command    - 2.6's config-file tokenizer (quotes, backslash escapes, 16
 *                tokens, 256-byte tokens, '#'/';' comments), then the verb
 *                table: argument counts and CID/KID parsing with 2.6's exact
 *                error texts, then either an answer from here (help,
 *                version, quit, net, test, env-filter, client-only verbs,
 *                unknown verbs) or a struct mgmt_cmd for the owner.
 *
 * Invariants.  Output is only ever added in whole lines, except the
 * password prompt; nothing but prompts leaves an unauthenticated session.
 * Every text that the owner formats or that came from elsewhere is stripped
 * of control characters before it is queued, so no value can forge a line.
 * The output queue is capped (MGMT_OUT_MAX); past it the session closes.
 * Memory per session is bounded: line, tokens, block and queue caps.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mgmtsess.h"

#define PROMPT "ENTER PASSWORD:"

enum kind {
	K_OWNER,
	K_QUIT,
	K_HELP,
	K_VERSION,
	K_NET,
	K_TEST,
	K_ENV_FILTER,
	K_CLIENT_ONLY,
};

enum {
	F_AT_LEAST = 1 << 0,   /* wording of the "requires" error only, as man_need() */
	F_JSON = 1 << 1,       /* has a `json` form */
	F_CID = 1 << 2,        /* argv[1] is a CID */
	F_KID = 1 << 3,        /* argv[2] is a KID */
	F_TIMEOUT = 1 << 4,    /* argv[4] is a timeout */
	F_BLOCK = 1 << 5,      /* followed by lines up to END */
};

struct verb_ent {
	const char *name;
	enum mgmt_verb verb;
	uint8_t kind;
	uint8_t need;
	uint8_t flags;
};

static const struct verb_ent verbs[] = {
	{ "exit", MGMT_V_NONE, K_QUIT, 0, 0 },
	{ "quit", MGMT_V_NONE, K_QUIT, 0, 0 },
	{ "help", MGMT_V_NONE, K_HELP, 0, 0 },
	{ "version", MGMT_V_NONE, K_VERSION, 0, 0 },
	{ "pid", MGMT_V_PID, K_OWNER, 0, 0 },
	{ "nclients", MGMT_V_NCLIENTS, K_OWNER, 0, 0 },
	{ "env-filter", MGMT_V_NONE, K_ENV_FILTER, 0, 0 },
	{ "signal", MGMT_V_SIGNAL, K_OWNER, 1, 0 },
	{ "load-stats", MGMT_V_LOAD_STATS, K_OWNER, 0, F_JSON },
	{ "status", MGMT_V_STATUS, K_OWNER, 0, F_JSON },
	{ "kill", MGMT_V_KILL, K_OWNER, 1, 0 },
	{ "verb", MGMT_V_VERB, K_OWNER, 0, 0 },
	{ "mute", MGMT_V_MUTE, K_OWNER, 0, 0 },
	{ "state", MGMT_V_STATE, K_OWNER, 0, 0 },
	{ "log", MGMT_V_LOG, K_OWNER, 1, F_AT_LEAST },
	{ "echo", MGMT_V_ECHO, K_OWNER, 1, F_AT_LEAST },
	{ "net", MGMT_V_NONE, K_NET, 0, 0 },
	{ "hold", MGMT_V_HOLD, K_OWNER, 0, 0 },
	{ "bytecount", MGMT_V_BYTECOUNT, K_OWNER, 1, 0 },
	{ "client-kill", MGMT_V_CLIENT_KILL, K_OWNER, 1, F_AT_LEAST | F_CID },
	{ "client-deny", MGMT_V_CLIENT_DENY, K_OWNER, 3, F_AT_LEAST | F_CID | F_KID },
	{ "client-auth-nt", MGMT_V_CLIENT_AUTH_NT, K_OWNER, 2, F_CID | F_KID },
	{ "client-auth", MGMT_V_CLIENT_AUTH, K_OWNER, 2, F_CID | F_KID | F_BLOCK },
	{ "client-pending-auth", MGMT_V_CLIENT_PENDING_AUTH, K_OWNER, 4,
	    F_CID | F_KID | F_TIMEOUT },
	{ "test", MGMT_V_NONE, K_TEST, 1, 0 },
	{ "routes", MGMT_V_ROUTES, K_OWNER, 0, F_JSON },
	{ "authorizations", MGMT_V_AUTHORIZATIONS, K_OWNER, 0, F_JSON },
	{ "pool", MGMT_V_POOL, K_OWNER, 0, F_JSON },
	{ "explain", MGMT_V_EXPLAIN, K_OWNER, 2, F_JSON },
	/* client-side commands: argument check first, then "not supported", as 2.6 */
	{ "auth-retry", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "username", MGMT_V_NONE, K_CLIENT_ONLY, 2, 0 },
	{ "password", MGMT_V_NONE, K_CLIENT_ONLY, 2, 0 },
	{ "forget-passwords", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "needok", MGMT_V_NONE, K_CLIENT_ONLY, 2, 0 },
	{ "needstr", MGMT_V_NONE, K_CLIENT_ONLY, 2, 0 },
	{ "cr-response", MGMT_V_NONE, K_CLIENT_ONLY, 1, 0 },
	{ "rsa-sig", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "pk-sig", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "certificate", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "pkcs11-id-count", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "pkcs11-id-get", MGMT_V_NONE, K_CLIENT_ONLY, 1, 0 },
	{ "remote-entry-count", MGMT_V_NONE, K_CLIENT_ONLY, 0, 0 },
	{ "remote-entry-get", MGMT_V_NONE, K_CLIENT_ONLY, 1, F_AT_LEAST },
	{ "proxy", MGMT_V_NONE, K_CLIENT_ONLY, 1, F_AT_LEAST },
	{ "remote", MGMT_V_NONE, K_CLIENT_ONLY, 1, F_AT_LEAST },
};

/* Our own wording (clients never parse it); 2.6's syntax column. */
static const char *const help_lines[] = {
	"Commands:",
	"bytecount n            : Report each client's byte counters every n seconds (0 = off).",
	"client-auth CID KID    : Accept key KID of client CID; per-client directive lines",
	"                         follow, closed by a line END.",
	"client-auth-nt CID KID : Accept key KID of client CID without directives.",
	"client-deny CID KID R [CR] : Refuse key KID of client CID; R goes to the log,",
	"                             CR (optional) is sent to the client.",
	"client-kill CID [M]    : Disconnect client CID, telling it M (default RESTART).",
	"client-pending-auth CID KID EXTRA TIMEOUT : Ask client CID for a further",
	"                         authentication step (WEB_AUTH:..., CR_TEXT:...).",
	"echo [on|off] [N|all]  : Echo buffer (a server has none).",
	"env-filter [level]     : Limit the variables in >CLIENT: blocks of this session (0-3).",
	"exit|quit              : End this management session.",
	"help                   : Show this list.",
	"hold [on|off|release]  : Show or set the hold flag, or release a hold.",
	"kill cn                : Disconnect every client with common name cn.",
	"kill IP:port           : Disconnect the client at real address IP:port.",
	"load-stats             : Client count and total bytes in and out.",
	"log [on|off] [N|all]   : Real-time log on or off; show the last N lines or all.",
	"mute [n]               : Show or set the log mute level.",
	"pid                    : Process ID of the server.",
	"signal s               : Signal the server: s = SIGHUP|SIGTERM|SIGUSR1|SIGUSR2.",
	"state [on|off] [N|all] : Like log, for the state history.",
	"status [n]             : Connected clients and routes in status format n (1-3).",
	"test n                 : Print n test lines.",
	"verb [n]               : Show or set the log verbosity.",
	"version [n]            : Show the version, or announce this client's version n.",
	"routes [cn]            : Routed addresses and iroutes, of client cn if given.",
	"authorizations [cn]    : Authorization rules in force, for client cn if given.",
	"pool                   : Address pool usage.",
	"explain cn dest        : How traffic from client cn to dest is routed and filtered.",
	"json cmd [args]        : status, load-stats, routes, authorizations, pool or",
	"                         explain, answered as JSON.",
	"END",
};

struct mgmtsess {
	char pw[MGMT_PASSWORD_MAX + 1];   /* zero padded: the compare reads all of it */
	bool has_pw;
	char *title;
	uint64_t deadline;
	bool authed;
	const char *close_reason;
	int tries;
	bool prompt_pending;
	int env_filter;
	int client_version;
	unsigned int subs;

	/* line assembly */
	char line[MGMT_LINE_MAX];
	size_t llen;
	bool discarding;

	/* tokens of the current command line; also kept while in a block */
	char tok[MGMT_LINE_MAX + MGMT_ARGV_MAX + 1];
	const char *argv[MGMT_ARGV_MAX + 1];
	int argc;

	/* client-auth block: lines NUL-separated in bdata */
	bool in_block;
	bool block_bad;
	uint64_t block_cid;
	uint32_t block_kid;
	char *bdata;
	size_t blen;
	size_t bcap;
	size_t bn;
	const char **bptr;

	/* output queue: bytes [ooff, olen) of out are pending */
	uint8_t *out;
	size_t ooff;
	size_t olen;
	size_t ocap;
	bool at_bol;
};

/* ---------------------------------------------------------------- output */

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *q = p;

	while (n-- > 0)
		*q++ = 0;
}

static void
set_closing(struct mgmtsess *s, const char *why)
{
	if (s->close_reason == NULL)
		s->close_reason = why;
}

/* Room for n more queued bytes; false (and closing) past the cap or on ENOMEM. */
static bool
out_room(struct mgmtsess *s, size_t n)
{
	size_t pending = s->olen - s->ooff;
	size_t want;
	uint8_t *np;

	if (n > MGMT_OUT_MAX - pending) {
		set_closing(s, "output queue full");
		return false;
	}
	if (s->ooff > 0 && n > s->ocap - s->olen) {
		memmove(s->out, s->out + s->ooff, pending);
		s->olen = pending;
		s->ooff = 0;
	}
	if (n <= s->ocap - s->olen)
		return true;
	want = s->ocap == 0 ? 4096 : s->ocap;
	while (want - s->olen < n)
		want *= 2;
	if ((np = realloc(s->out, want)) == NULL) {
		set_closing(s, "out of memory");
		return false;
	}
	s->out = np;
	s->ocap = want;
	return true;
}

static int
out_put(struct mgmtsess *s, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (!out_room(s, n))
		return ERR_FULL;
	memcpy(s->out + s->olen, p, n);
	s->olen += n;
	s->at_bol = ((const char *)p)[n - 1] == '\n';
	return 0;
}

static void
sanitize(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7f)
			p[i] = '_';
}

/* Queue prefix + formatted text (control characters neutralised) + CRLF. */
static int
out_vline(struct mgmtsess *s, const char *prefix, const char *fmt, va_list ap)
{
	size_t plen = strlen(prefix);
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return ERR_INVAL;
	if (!out_room(s, plen + (size_t)n + 3))
		return ERR_FULL;
	memcpy(s->out + s->olen, prefix, plen);
	vsnprintf((char *)s->out + s->olen + plen, (size_t)n + 1, fmt, ap);
	sanitize((char *)s->out + s->olen, plen + (size_t)n);
	s->olen += plen + (size_t)n;
	memcpy(s->out + s->olen, "\r\n", 2);
	s->olen += 2;
	s->at_bol = true;
	return 0;
}

static int
out_line(struct mgmtsess *s, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
out_line(struct mgmtsess *s, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = out_vline(s, prefix, fmt, ap);
	va_end(ap);
	return r;
}

static bool
can_reply(const struct mgmtsess *s)
{
	return s->authed && s->close_reason == NULL;
}

/* ------------------------------------------------------------- lifecycle */

static void
greet(struct mgmtsess *s)
{
	out_line(s, "", ">INFO:OpenVPN Management Interface Version %d -- type 'help' for more info",
	    MGMT_VERSION);
}

struct mgmtsess *
mgmtsess_new(const struct mgmtsess_conf *conf, uint64_t now)
{
	struct mgmtsess *s;
	const char *title;
	uint64_t to;

	if (conf == NULL)
		return NULL;
	if (conf->password != NULL && strlen(conf->password) > MGMT_PASSWORD_MAX)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	title = conf->title != NULL ? conf->title : "";
	if ((s->title = strdup(title)) == NULL) {
		free(s);
		return NULL;
	}
	sanitize(s->title, strlen(s->title));
	s->client_version = 1;
	s->at_bol = true;
	s->deadline = MTIME_NEVER;
	if (conf->password != NULL) {
		s->has_pw = true;
		memcpy(s->pw, conf->password, strlen(conf->password));
		to = conf->auth_timeout != 0 ? conf->auth_timeout : MGMT_AUTH_TIMEOUT;
		s->deadline = now > MTIME_NEVER - to ? MTIME_NEVER - 1 : now + to;
		out_put(s, PROMPT, strlen(PROMPT));
	} else {
		s->authed = true;
		greet(s);
	}
	return s;
}

void
mgmtsess_free(struct mgmtsess *s)
{
	if (s == NULL)
		return;
	wipe(s->pw, sizeof(s->pw));
	wipe(s->line, sizeof(s->line));
	free(s->title);
	free(s->bdata);
	free(s->bptr);
	free(s->out);
	free(s);
}

uint64_t
mgmtsess_deadline(const struct mgmtsess *s)
{
	if (s->authed || s->close_reason != NULL)
		return MTIME_NEVER;
	return s->deadline;
}

void
mgmtsess_tick(struct mgmtsess *s, uint64_t now)
{
	if (s->authed || s->close_reason != NULL || now < s->deadline)
		return;
	/* the prompt has no line end: finish its line before saying why */
	if (!s->at_bol)
		out_put(s, "\r\n", 2);
	out_line(s, "", "ERROR: management password not entered in time");
	set_closing(s, "password timeout");
}

bool
mgmtsess_authenticated(const struct mgmtsess *s)
{
	return s->authed;
}

bool
mgmtsess_closing(const struct mgmtsess *s)
{
	return s->close_reason != NULL;
}

const char *
mgmtsess_close_reason(const struct mgmtsess *s)
{
	return s->close_reason;
}

bool
mgmtsess_in_block(const struct mgmtsess *s)
{
	return s->in_block;
}

int
mgmtsess_env_filter(const struct mgmtsess *s)
{
	return s->env_filter;
}

int
mgmtsess_client_version(const struct mgmtsess *s)
{
	return s->client_version;
}

void
mgmtsess_set_sub(struct mgmtsess *s, unsigned int sub, bool on)
{
	if (on)
		s->subs |= sub;
	else
		s->subs &= ~sub;
}

bool
mgmtsess_subscribed(const struct mgmtsess *s, unsigned int sub)
{
	return (s->subs & sub) == sub && sub != 0;
}

const uint8_t *
mgmtsess_out(const struct mgmtsess *s, size_t *len)
{
	*len = s->olen - s->ooff;
	return s->out != NULL ? s->out + s->ooff : (const uint8_t *)"";
}

void
mgmtsess_out_consume(struct mgmtsess *s, size_t n)
{
	if (n > s->olen - s->ooff)
		n = s->olen - s->ooff;
	s->ooff += n;
	if (s->ooff == s->olen)
		s->ooff = s->olen = 0;
}

const char *
mgmtsess_verb_name(enum mgmt_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v && v != MGMT_V_NONE)
			return verbs[i].name;
	return "";
}

/* -------------------------------------------------------------- password */

/* Constant time in the password: every byte of the padded copy is read. */
static bool
password_ok(const struct mgmtsess *s, const char *line, size_t len)
{
	unsigned int d = 0;
	size_t i;

	for (i = 0; i < sizeof(s->pw); i++)
		d |= (unsigned char)s->pw[i] ^ (unsigned char)(i < len ? line[i] : 0);
	return d == 0 && len < sizeof(s->pw);
}

static int
password_line(struct mgmtsess *s, bool overlong, struct mgmt_cmd *cmd)
{
	bool ok = !overlong && password_ok(s, s->line, s->llen);

	wipe(s->line, sizeof(s->line));
	if (ok) {
		s->authed = true;
		s->prompt_pending = false;
		out_line(s, "", "SUCCESS: password is correct");
		greet(s);
		cmd->verb = MGMT_V_AUTHENTICATED;
		return 1;
	}
	/* 2.6 formats "ERROR: bad password" but suppresses it before auth */
	if (++s->tries >= MGMT_PASSWORD_TRIES) {
		set_closing(s, "too many wrong passwords");
		return 0;
	}
	s->prompt_pending = true;
	return 0;
}

/* ------------------------------------------------------------- tokenizer */

enum { T_INIT, T_DQ, T_UNQ, T_DONE, T_SQ };

static bool
is_space(char c)
{
	return c == '\0' || isspace((unsigned char)c);
}

/*
 * 2.6's parse_line() state machine, as observed: returns the token count
 * (0 for an empty or comment line), or -1 after queueing its error line.
 */
static int
tokenize(struct mgmtsess *s, const char *line)
{
	char parm[MGMT_PARAM_MAX];
	size_t plen = 0, tpos = 0;
	const char *c = line;
	int state = T_INIT, n = 0;
	bool bs = false;
	char in, out;

	do {
		in = *c;
		out = 0;
		if (!bs && in == '\\' && state != T_SQ) {
			bs = true;
		} else {
			if (state == T_INIT) {
				if (!is_space(in)) {
					if (in == ';' || in == '#')
						break;
					if (!bs && in == '"')
						state = T_DQ;
					else if (!bs && in == '\'')
						state = T_SQ;
					else {
						out = in;
						state = T_UNQ;
					}
				}
			} else if (state == T_UNQ) {
				if (!bs && is_space(in))
					state = T_DONE;
				else
					out = in;
			} else if (state == T_DQ) {
				if (!bs && in == '"')
					state = T_DONE;
				else
					out = in;
			} else if (state == T_SQ) {
				if (in == '\'')
					state = T_DONE;
				else
					out = in;
			}
			if (state == T_DONE) {
				memcpy(s->tok + tpos, parm, plen);
				s->tok[tpos + plen] = '\0';
				s->argv[n++] = s->tok + tpos;
				tpos += plen + 1;
				state = T_INIT;
				plen = 0;
			}
			/* only \\, \" and "\ " are escapes */
			if (bs && out != 0 && !(out == '\\' || out == '"' || is_space(out))) {
				out_line(s, "", "ERROR: Options warning: Bad backslash ('\\') usage in TCP:0");
				return -1;
			}
			bs = false;
		}
		if (out != 0) {
			if (plen >= sizeof(parm)) {
				out_line(s, "", "ERROR: Options error: Parameter at TCP:0 is too long "
				    "(%d chars max): %.*s", MGMT_PARAM_MAX, MGMT_PARAM_MAX - 1, parm);
				return -1;
			}
			parm[plen++] = out;
		}
		if (n >= MGMT_ARGV_MAX)
			break;
	} while (*c++ != '\0');

	if (state == T_DQ) {
		out_line(s, "", "ERROR: Options error: No closing quotation (\") in TCP:0");
		return -1;
	}
	if (state == T_SQ) {
		out_line(s, "", "ERROR: Options error: No closing single quotation (') in TCP:0");
		return -1;
	}
	if (state != T_INIT) {
		out_line(s, "", "ERROR: Options error: Residual parse state (%d) in TCP:0", state);
		return -1;
	}
	s->argv[n] = NULL;
	return n;
}

/* ---------------------------------------------------------------- blocks */

static void
block_reset(struct mgmtsess *s)
{
	s->in_block = false;
	s->block_bad = false;
	s->blen = 0;
	s->bn = 0;
}

static void
block_add(struct mgmtsess *s, const char *line, size_t len)
{
	size_t want;
	char *np;

	if (s->block_bad)
		return;
	if (s->bn >= MGMT_BLOCK_MAX_LINES || len + 1 > MGMT_BLOCK_MAX_BYTES - s->blen) {
		s->block_bad = true;
		return;
	}
	if (len + 1 > s->bcap - s->blen) {
		want = s->bcap == 0 ? 1024 : s->bcap;
		while (want - s->blen < len + 1)
			want *= 2;
		if (want > MGMT_BLOCK_MAX_BYTES)
			want = MGMT_BLOCK_MAX_BYTES;
		if ((np = realloc(s->bdata, want)) == NULL) {
			s->block_bad = true;
			return;
		}
		s->bdata = np;
		s->bcap = want;
	}
	memcpy(s->bdata + s->blen, line, len + 1);
	s->blen += len + 1;
	s->bn++;
}

/* END seen: hand the command over, or fail it. */
static int
block_end(struct mgmtsess *s, struct mgmt_cmd *cmd)
{
	const char **np;
	size_t i, off;
	int k;

	s->in_block = false;
	if (!s->block_bad) {
		np = realloc(s->bptr, (s->bn + 1) * sizeof(*np));
		if (np == NULL)
			s->block_bad = true;
		else
			s->bptr = np;
	}
	if (s->block_bad) {
		out_line(s, "", "ERROR: client-auth command failed: directive block over %d lines "
		    "or %d bytes, or with an overlong line", MGMT_BLOCK_MAX_LINES,
		    MGMT_BLOCK_MAX_BYTES);
		return 0;
	}
	for (i = 0, off = 0; i < s->bn; i++) {
		s->bptr[i] = s->bdata + off;
		off += strlen(s->bdata + off) + 1;
	}
	s->bptr[s->bn] = NULL;
	cmd->verb = MGMT_V_CLIENT_AUTH;
	cmd->argc = s->argc;
	for (k = 0; k <= s->argc; k++)
		cmd->argv[k] = s->argv[k];
	cmd->cid = s->block_cid;
	cmd->kid = s->block_kid;
	cmd->block = s->bptr;
	cmd->nblock = s->bn;
	return 1;
}

/* ------------------------------------------------------------- commands */

static const struct verb_ent *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/* sscanf("%lu") semantics: optional blanks and sign, at least one digit. */
static bool
scan_ulong(const char *str, unsigned long *v)
{
	char *end;

	*v = strtoul(str, &end, 10);
	return end != str;
}

static void
reply_help(struct mgmtsess *s)
{
	size_t i;

	out_line(s, "", "Management Interface for %s", s->title);
	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
		out_line(s, "", "%s", help_lines[i]);
}

static void
reply_test(struct mgmtsess *s, int n)
{
	int i;

	if (n > MGMT_TEST_MAX_LINES)
		n = MGMT_TEST_MAX_LINES;
	for (i = 0; i < n && s->close_reason == NULL; i++)
		out_line(s, "", "[%d] The purpose of this command is to generate large amounts of output.", i);
}

static int
command_line(struct mgmtsess *s, struct mgmt_cmd *cmd)
{
	const struct verb_ent *e;
	const char **av;
	unsigned long ul;
	bool json = false;
	int n, ac, k;

	if ((n = tokenize(s, s->line)) <= 0)
		return 0;
	s->argc = n;
	av = s->argv;
	ac = n;
	if (strcmp(av[0], "json") == 0) {
		if (ac < 2) {
			out_line(s, "", "ERROR: the 'json' command requires at least 1 parameter");
			return 0;
		}
		json = true;
		av++;
		ac--;
	}
	if ((e = lookup(av[0])) == NULL) {
		out_line(s, "", "ERROR: unknown command, enter 'help' for more options");
		return 0;
	}
	if (json && !(e->flags & F_JSON)) {
		out_line(s, "", "ERROR: the '%s' command has no JSON form", av[0]);
		return 0;
	}
	if (ac - 1 < e->need) {
		out_line(s, "", "ERROR: the '%s' command requires %s%d parameter%s", av[0],
		    (e->flags & F_AT_LEAST) ? "at least " : "", e->need, e->need > 1 ? "s" : "");
		return 0;
	}

	switch (e->kind) {
	case K_QUIT:
		set_closing(s, "quit");
		return 0;
	case K_HELP:
		reply_help(s);
		return 0;
	case K_VERSION:
		if (ac > 1) {
			/* records the client's protocol version and prints nothing */
			s->client_version = atoi(av[1]);
			return 0;
		}
		out_line(s, "", "OpenVPN Version: %s", s->title);
		out_line(s, "", "Management Version: %d", MGMT_VERSION);
		out_line(s, "", "END");
		return 0;
	case K_NET:
		out_line(s, "", "ERROR: Sorry, this command is currently only implemented on Windows");
		return 0;
	case K_TEST:
		reply_test(s, atoi(av[1]));
		return 0;
	case K_ENV_FILTER:
		s->env_filter = ac > 1 ? atoi(av[1]) : 0;
		out_line(s, "", "SUCCESS: env_filter_level=%d", s->env_filter);
		return 0;
	case K_CLIENT_ONLY:
		out_line(s, "", "ERROR: The '%s' command is not supported by the current daemon mode",
		    av[0]);
		return 0;
	default:
		break;
	}

	/* owner command: parse the numbers in 2.6's order and with its errors */
	if (e->flags & F_CID) {
		if (!scan_ulong(av[1], &ul)) {
			out_line(s, "", "ERROR: cannot parse CID");
			return 0;
		}
		cmd->cid = ul;
	}
	if (e->flags & F_KID) {
		if (!scan_ulong(av[2], &ul)) {
			out_line(s, "", "ERROR: cannot parse KID");
			return 0;
		}
		cmd->kid = (uint32_t)ul;
	}
	if (e->flags & F_TIMEOUT) {
		if (!scan_ulong(av[4], &ul)) {
			out_line(s, "", "ERROR: cannot parse TIMEOUT");
			return 0;
		}
		cmd->timeout = (uint32_t)ul;
	}
	if (e->flags & F_BLOCK) {
		block_reset(s);
		s->in_block = true;
		s->block_cid = cmd->cid;
		s->block_kid = cmd->kid;
		memset(cmd, 0, sizeof(*cmd));
		return 0;
	}
	cmd->verb = e->verb;
	cmd->json = json;
	cmd->argc = ac;
	for (k = 0; k <= ac; k++)
		cmd->argv[k] = av[k];
	return 1;
}

/* A complete input line (without its newline) is in s->line. */
static int
line_done(struct mgmtsess *s, struct mgmt_cmd *cmd)
{
	bool overlong = s->discarding;
	int r;

	s->discarding = false;
	s->line[s->llen] = '\0';
	if (!s->authed) {
		r = password_line(s, overlong, cmd);
	} else if (s->in_block) {
		r = 0;
		if (overlong)
			s->block_bad = true;
		else if (strcmp(s->line, "END") == 0)
			r = block_end(s, cmd);
		else
			block_add(s, s->line, s->llen);
	} else if (overlong) {
		out_line(s, "", "ERROR: input line too long (more than %d characters), ignored",
		    MGMT_LINE_MAX - 1);
		r = 0;
	} else {
		r = command_line(s, cmd);
	}
	s->llen = 0;
	return r;
}

int
mgmtsess_input(struct mgmtsess *s, struct buf *in, uint64_t now, struct mgmt_cmd *cmd)
{
	struct buf rest;
	uint8_t c;

	memset(cmd, 0, sizeof(*cmd));
	if (!s->in_block && s->bn > 0)
		block_reset(s);
	mgmtsess_tick(s, now);
	while (s->close_reason == NULL && buf_get_u8(in, &c) == 0) {
		if (c == '\n') {
			if (line_done(s, cmd) == 1)
				return 1;
			continue;
		}
		/* 2.6 keeps printable ASCII and UTF-8 bytes, and drops the rest */
		if (c < 0x20 || c == 0x7f || s->discarding)
			continue;
		if (s->llen >= MGMT_LINE_MAX - 1) {
			s->discarding = true;
			continue;
		}
		s->line[s->llen++] = (char)c;
	}
	/* a closing session reads nothing more */
	if (s->close_reason != NULL)
		buf_get_rest(in, &rest);
	else if (s->prompt_pending && !s->authed)
		out_put(s, PROMPT, strlen(PROMPT));
	s->prompt_pending = false;
	return 0;
}

/* ----------------------------------------------------------- reply helpers */

int
mgmtsess_success(struct mgmtsess *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!can_reply(s))
		return 0;
	va_start(ap, fmt);
	r = out_vline(s, "SUCCESS: ", fmt, ap);
	va_end(ap);
	return r;
}

int
mgmtsess_error(struct mgmtsess *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!can_reply(s))
		return 0;
	va_start(ap, fmt);
	r = out_vline(s, "ERROR: ", fmt, ap);
	va_end(ap);
	return r;
}

int
mgmtsess_line(struct mgmtsess *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!can_reply(s))
		return 0;
	va_start(ap, fmt);
	r = out_vline(s, "", fmt, ap);
	va_end(ap);
	return r;
}

int
mgmtsess_end(struct mgmtsess *s)
{
	if (!can_reply(s))
		return 0;
	return out_put(s, "END\r\n", 5);
}

int
mgmtsess_raw(struct mgmtsess *s, const char *text, size_t len)
{
	size_t i;

	if (!can_reply(s))
		return 0;
	if (len < 2 || text[len - 2] != '\r' || text[len - 1] != '\n')
		return ERR_MALFORMED;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r' && (i + 1 >= len || text[i + 1] != '\n'))
			return ERR_MALFORMED;
		if (c == '\n' && (i == 0 || text[i - 1] != '\r'))
			return ERR_MALFORMED;
		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return ERR_MALFORMED;
	}
	return out_put(s, text, len);
}

int
mgmtsess_notify(struct mgmtsess *s, const char *type, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	int r;

	if (!can_reply(s))
		return 0;
	if (snprintf(prefix, sizeof(prefix), ">%s:", type) >= (int)sizeof(prefix))
		return ERR_INVAL;
	va_start(ap, fmt);
	r = out_vline(s, prefix, fmt, ap);
	va_end(ap);
	return r;
}

int
mgmtsess_log(struct mgmtsess *s, uint64_t unix_time, const char *flags, const char *text)
{
	if (!mgmtsess_subscribed(s, MGMT_SUB_LOG))
		return 0;
	return mgmtsess_notify(s, "LOG", "%" PRIu64 ",%s,%s", unix_time, flags, text);
}

int
mgmtsess_bytecount_cli(struct mgmtsess *s, uint64_t cid, uint64_t bytes_in, uint64_t bytes_out)
{
	return mgmtsess_notify(s, "BYTECOUNT_CLI", "%" PRIu64 ",%" PRIu64 ",%" PRIu64,
	    cid, bytes_in, bytes_out);
}

int
mgmtsess_client_address(struct mgmtsess *s, uint64_t cid, const char *addr, bool primary)
{
	return mgmtsess_notify(s, "CLIENT", "ADDRESS,%" PRIu64 ",%s,%d", cid, addr, primary ? 1 : 0);
}

/* 2.6 env_filter_match(): which variables a level lets through. */
static bool
env_pass(const char *var, int level)
{
	static const char *const names[] = {
		"username=", "password=", "X509_0_CN=", "tls_serial_", "untrusted_ip=",
		"ifconfig_local=", "ifconfig_netmask=", "daemon_start_time=", "daemon_pid=",
		"dev=", "ifconfig_pool_remote_ip=", "ifconfig_pool_netmask=", "time_duration=",
		"bytes_sent=", "bytes_received=", "session_id=", "session_state=",
	};
	size_t i;

	if (level == 0)
		return true;
	if (level <= 1 && strncmp(var, "X509_", 5) == 0)
		return true;
	if (level <= 2) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strncmp(var, names[i], strlen(names[i])) == 0)
				return true;
	}
	return false;
}

/* Peer-info lines come from the client: NAME=value with NAME in [A-Za-z0-9_]. */
static bool
peer_info_ok(const char *l)
{
	size_t i;

	for (i = 0; isalnum((unsigned char)l[i]) || l[i] == '_'; i++)
		;
	return i > 0 && l[i] == '=' && strlen(l) < 256;
}

/* Growable scratch for one atomic notification block. */
struct blk {
	char *p;
	size_t len;
	size_t cap;
	bool bad;
};

static void
blk_line(struct blk *b, const char *a, const char *v, const char *w)
{
	size_t la = strlen(a), lv = strlen(v), lw = strlen(w), need, want;
	char *np;

	if (b->bad)
		return;
	if (lv > MGMT_OUT_MAX || lw > MGMT_OUT_MAX ||
	    (need = la + lv + lw + 2) > MGMT_OUT_MAX - b->len) {
		b->bad = true;
		return;
	}
	if (need > b->cap - b->len) {
		want = b->cap == 0 ? 1024 : b->cap;
		while (want - b->len < need)
			want *= 2;
		if ((np = realloc(b->p, want)) == NULL) {
			b->bad = true;
			return;
		}
		b->p = np;
		b->cap = want;
	}
	memcpy(b->p + b->len, a, la);
	memcpy(b->p + b->len + la, v, lv);
	memcpy(b->p + b->len + la + lv, w, lw);
	sanitize(b->p + b->len, la + lv + lw);
	b->len += la + lv + lw;
	memcpy(b->p + b->len, "\r\n", 2);
	b->len += 2;
}

int
mgmtsess_client_event(struct mgmtsess *s, enum mgmt_client_ev ev, uint64_t cid, uint32_t kid,
    const char *response, const struct mgmt_env *env)
{
	static const char *const evname[] = {
		[MGMT_EV_CONNECT] = "CONNECT", [MGMT_EV_REAUTH] = "REAUTH",
		[MGMT_EV_CR_RESPONSE] = "CR_RESPONSE", [MGMT_EV_ESTABLISHED] = "ESTABLISHED",
		[MGMT_EV_DISCONNECT] = "DISCONNECT",
	};
	struct blk b = { NULL, 0, 0, false };
	char head[160], nc[32];
	size_t i;
	int r;

	if (!can_reply(s))
		return 0;
	if ((unsigned)ev > MGMT_EV_DISCONNECT)
		return ERR_INVAL;
	switch (ev) {
	case MGMT_EV_CONNECT:
	case MGMT_EV_REAUTH:
		snprintf(head, sizeof(head), "%s,%" PRIu64 ",%" PRIu32, evname[ev], cid, kid);
		break;
	case MGMT_EV_CR_RESPONSE:
		snprintf(head, sizeof(head), "%s,%" PRIu64 ",%" PRIu32 ",", evname[ev], cid, kid);
		break;
	default:
		snprintf(head, sizeof(head), "%s,%" PRIu64, evname[ev], cid);
		break;
	}
	blk_line(&b, ">CLIENT:", head,
	    ev == MGMT_EV_CR_RESPONSE && response != NULL ? response : "");
	if (env != NULL) {
		if (ev != MGMT_EV_DISCONNECT && env->n_clients >= 0) {
			snprintf(nc, sizeof(nc), "n_clients=%d", env->n_clients);
			if (env_pass(nc, s->env_filter))
				blk_line(&b, ">CLIENT:ENV,", nc, "");
		}
		if (s->env_filter > 0 && (ev == MGMT_EV_CONNECT || ev == MGMT_EV_REAUTH ||
		    ev == MGMT_EV_CR_RESPONSE)) {
			for (i = 0; i < env->npeer_info; i++)
				if (env->peer_info[i] != NULL && peer_info_ok(env->peer_info[i]))
					blk_line(&b, ">CLIENT:ENV,", env->peer_info[i], "");
		}
		for (i = 0; i < env->nvars; i++)
			if (env->vars[i] != NULL && env_pass(env->vars[i], s->env_filter))
				blk_line(&b, ">CLIENT:ENV,", env->vars[i], "");
	}
	blk_line(&b, ">CLIENT:ENV,", "END", "");
	if (b.bad) {
		free(b.p);
		set_closing(s, "output queue full");
		return ERR_FULL;
	}
	r = out_put(s, b.p, b.len);
	free(b.p);
	return r;
}
