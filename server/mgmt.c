/*
 * mgmt.c - the management server: sockets and sessions around mgmtsess
 * (docs/management-interface.md §1 transport, §3.1 log/state/echo/bytecount,
 * §4 notifications, §9 items 2-3).
 *
 * Design.  One listening socket (unix path or TCP), one struct
 * mgmt_sess_ref per accepted connection, each with its own mgmtsess, an
 * ev_io and two timers.  Reading feeds mgmtsess_input(); each command it
 * yields is audited, then either answered here (log, state, echo,
 * bytecount: they only need the histories kept here and the session's own
 * flags) or handed to ops->exec.  Output always goes through the session's
 * queue and flush(): write as much as the socket takes, then wait for
 * EPOLLOUT.  Level-triggered throughout.
 *
 * Closing.  A session closes when mgmtsess says so (quit, wrong passwords,
 * password timeout, queue overflow) or the peer shuts its side; the output
 * queue is then drained for at most MGMT_LINGER, except after an overflow,
 * where the peer has shown it does not read and the socket is closed at
 * once.  Read/write errors close at once.
 *
 * Invariants.
 * - A session is never freed while the daemon may hold it on the stack:
 *   kill() only closes the fd, marks it dead and arms its timer; the timer
 *   callback (a fresh loop frame) unlinks and frees it and runs ops->closed.
 *   So the session list may be walked across any callback.
 * - Dead sessions get no output, no callbacks and are skipped by every walk;
 *   `nlive` counts the others and is what the session cap looks at.
 * - Nothing in flush()/kill() logs, so a daemon that feeds its own log into
 *   mgmt_broadcast_log() cannot recurse into a half-updated session.
 * - Connect/close lines of sessions that never authenticated are rate
 *   limited: anyone who can reach the socket can trigger them (P22).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "mgmt.h"

#define OWNER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum {
	RX_CHUNK = 4096,
	RX_ROUNDS = 16,           /* reads per wakeup, so one session cannot starve others */
	ACCEPTS_PER_WAKEUP = 16,
	LOG_CACHE_MAX = 65536,
	PEER_MAX = INET6_ADDRSTRLEN + 16,
	AUDIT_MAX = 2 * MGMT_LINE_MAX + 64,
};

static const char too_many[] = "ERROR: too many management sessions\r\n";

/* Ring of history entries, oldest at head. */
struct hist {
	char **e;
	size_t cap;
	size_t head;
	size_t n;
};

struct mgmt_sess_ref {
	struct mgmt *m;
	struct mgmt_sess_ref *next;
	unsigned int id;
	int fd;
	struct mgmtsess *s;
	struct ev_io io;
	struct ev_timer timer;    /* password deadline, linger end, deferred free */
	struct ev_timer bc_timer; /* bytecount */
	uint64_t bc_interval;     /* µs; 0 = off */
	uint64_t linger_until;    /* MTIME_NEVER until the session is closing */
	bool dead;
	bool announced;           /* ops->authenticated ran; ops->closed is owed */
	bool eof;                 /* peer shut its sending side */
	const char *why;          /* close reason, static */
	char peer[PEER_MAX];
};

struct mgmt {
	struct evloop *loop;
	struct mgmt_ops ops;
	struct mgmtsess_conf sconf;
	char *password;
	char *title;
	int lfd;
	struct ev_io lio;
	struct ev_timer retry;    /* re-enable accept after EMFILE */
	char *unix_path;
	dev_t sock_dev;
	ino_t sock_ino;
	uint16_t port;
	struct mgmt_sess_ref *sessions;
	unsigned int nlive;
	unsigned int next_id;
	struct hist log;
	struct hist state;
	struct log_rl rl;
};

static void flush(struct mgmt_sess_ref *r);

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *q = p;

	while (n-- > 0)
		*q++ = 0;
}

/* ------------------------------------------------------------- history */

static int
hist_init(struct hist *h, size_t cap)
{
	h->e = calloc(cap, sizeof(*h->e));
	h->cap = cap;
	h->head = h->n = 0;
	return h->e == NULL ? ERR_NOMEM : 0;
}

static void
hist_free(struct hist *h)
{
	size_t i;

	for (i = 0; h->e != NULL && i < h->cap; i++)
		free(h->e[i]);
	free(h->e);
	h->e = NULL;
}

/* Keep a copy of text (cut at MGMT_HIST_ENTRY_MAX); best effort under ENOMEM. */
static const char *
hist_push(struct hist *h, const char *text)
{
	size_t len = strnlen(text, MGMT_HIST_ENTRY_MAX - 1);
	char *c;

	if ((c = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(c, text, len);
	c[len] = '\0';
	if (h->n == h->cap) {
		free(h->e[h->head]);
		h->e[h->head] = c;
		h->head = (h->head + 1) % h->cap;
	} else {
		h->e[(h->head + h->n) % h->cap] = c;
		h->n++;
	}
	return c;
}

/* ------------------------------------------------------------- sessions */

static bool
reachable(const struct mgmt_sess_ref *r)
{
	return !r->dead && mgmtsess_authenticated(r->s) && !mgmtsess_closing(r->s);
}

static void
arm(struct mgmt_sess_ref *r)
{
	struct evloop *l = r->m->loop;
	uint64_t d;

	if (r->dead)
		d = evloop_now(l);
	else if (r->linger_until != MTIME_NEVER)
		d = r->linger_until;
	else
		d = mgmtsess_deadline(r->s);
	if (d == MTIME_NEVER)
		ev_timer_cancel(l, &r->timer);
	else
		ev_timer_arm(l, &r->timer, d);
}

/* Close the socket now; the session is freed from its timer (see invariants). */
static void
kill_sess(struct mgmt_sess_ref *r, const char *why)
{
	struct evloop *l = r->m->loop;

	if (r->dead)
		return;
	r->dead = true;
	r->why = why;
	ev_io_del(l, &r->io);
	ev_timer_cancel(l, &r->bc_timer);
	close(r->fd);
	r->fd = -1;
	r->m->nlive--;
	arm(r);
}

static void
free_sess(struct mgmt_sess_ref *r)
{
	struct mgmt *m = r->m;
	struct mgmt_sess_ref **pp;

	for (pp = &m->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	ev_timer_cancel(m->loop, &r->timer);
	ev_timer_cancel(m->loop, &r->bc_timer);
	if (r->announced) {
		log_info("management: session %u (%s) closed: %s", r->id, r->peer, r->why);
		if (m->ops.closed != NULL)
			m->ops.closed(m->ops.arg, r);
	} else {
		log_rl_msg(&m->rl, evloop_now(m->loop), LL_INFO,
		    "management: session %u (%s) closed: %s", r->id, r->peer, r->why);
	}
	mgmtsess_free(r->s);
	free(r);
}

/* mgmtsess gave up on the peer: draining the queue cannot succeed. */
static bool
overflowed(const struct mgmt_sess_ref *r)
{
	const char *why = mgmtsess_close_reason(r->s);

	return why != NULL && (strcmp(why, "output queue full") == 0 ||
	    strcmp(why, "out of memory") == 0);
}

/*
 * Write what the socket takes, then pick the events to wait for.  A closing
 * session stops reading; once its queue is empty (or it overflowed) it dies.
 */
static void
flush(struct mgmt_sess_ref *r)
{
	const uint8_t *out;
	uint32_t want;
	size_t len = 0;
	ssize_t n;
	bool closing;

	if (r->dead)
		return;
	for (;;) {
		out = mgmtsess_out(r->s, &len);
		if (len == 0)
			break;
		n = send(r->fd, out, len, MSG_NOSIGNAL);
		if (n > 0) {
			mgmtsess_out_consume(r->s, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		kill_sess(r, "write error");
		return;
	}
	closing = mgmtsess_closing(r->s) || r->eof;
	if (closing) {
		if (len == 0 || overflowed(r)) {
			kill_sess(r, r->eof && !mgmtsess_closing(r->s) ? "end of input" :
			    mgmtsess_close_reason(r->s));
			return;
		}
		if (r->linger_until == MTIME_NEVER)
			r->linger_until = evloop_now(r->m->loop) + MGMT_LINGER;
		want = EPOLLOUT;
	} else {
		want = EPOLLIN | (len > 0 ? EPOLLOUT : 0);
	}
	if (want != r->io.events && ev_io_mod(r->m->loop, &r->io, want) < 0) {
		kill_sess(r, "epoll error");
		return;
	}
	arm(r);
}

static void
announce(struct mgmt_sess_ref *r)
{
	struct mgmt *m = r->m;

	if (r->announced)
		return;
	r->announced = true;
	log_info("management: session %u (%s) authenticated", r->id, r->peer);
	if (m->ops.authenticated != NULL)
		m->ops.authenticated(m->ops.arg, r);
}

/* ---------------------------------------------------------------- audit */

/*
 * Append tok, in double quotes with \" and \\ when it would not read back as
 * one token; `raw` text (our own markers) goes in as is.
 */
static void
audit_tok(char *dst, size_t cap, size_t *len, const char *tok, bool raw)
{
	bool quote = !raw && (*tok == '\0' || strpbrk(tok, " \"'\\#;") != NULL);
	const char *p;

	if (*len + 1 >= cap)
		return;
	if (*len > 0)
		dst[(*len)++] = ' ';
	if (quote && *len + 1 < cap)
		dst[(*len)++] = '"';
	for (p = tok; *p != '\0' && *len + 2 < cap; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			dst[(*len)++] = '\\';
		dst[(*len)++] = *p;
	}
	if (quote && *len + 1 < cap)
		dst[(*len)++] = '"';
	dst[*len] = '\0';
}

/*
 * One line per command.  client-auth directive lines may carry pushed
 * secrets and a pending-auth EXTRA may carry a session URL: only their size
 * is logged.  Passwords never reach here (mgmtsess keeps them).
 */
static void
audit(const struct mgmt_sess_ref *r, const struct mgmt_cmd *cmd)
{
	char line[AUDIT_MAX], extra[64];
	size_t len = 0;
	int i;

	line[0] = '\0';
	if (cmd->json)
		audit_tok(line, sizeof(line), &len, "json", false);
	if (cmd->verb == MGMT_V_CLIENT_AUTH) {
		snprintf(line + len, sizeof(line) - len, "%sclient-auth %" PRIu64 " %" PRIu32
		    " (%zu lines)", len > 0 ? " " : "", cmd->cid, cmd->kid, cmd->nblock);
	} else {
		for (i = 0; i < cmd->argc && cmd->argv[i] != NULL; i++) {
			if (cmd->verb == MGMT_V_CLIENT_PENDING_AUTH && i == 3) {
				snprintf(extra, sizeof(extra), "(EXTRA, %zu bytes)",
				    strlen(cmd->argv[i]));
				audit_tok(line, sizeof(line), &len, extra, true);
				continue;
			}
			audit_tok(line, sizeof(line), &len, cmd->argv[i], false);
		}
	}
	log_info("management: session %u (%s): %s", r->id, r->peer, line);
}

/* ------------------------------------------------- commands answered here */

/* atoi() without its overflow UB: leading number, clamped to int. */
static int
num(const char *p)
{
	long v = strtol(p, NULL, 10);

	if (v > INT_MAX)
		return INT_MAX;
	if (v < INT_MIN)
		return INT_MIN;
	return (int)v;
}

/* The newest n entries (all if n == 0), oldest first, as 2.6's man_history. */
static void
hist_print(struct mgmt_sess_ref *r, const struct hist *h, int n)
{
	size_t k, i;

	k = h == NULL ? 0 : h->n;
	if (n > 0 && (size_t)n < k)
		k = (size_t)n;
	for (i = h == NULL ? 0 : h->n - k; h != NULL && i < h->n; i++)
		mgmtsess_line(r->s, "%s", h->e[(h->head + i) % h->cap]);
	mgmtsess_end(r->s);
}

/* One parameter of log/state/echo, 2.6's texts. */
static void
hist_param(struct mgmt_sess_ref *r, const char *p, const struct hist *h, const char *type,
    unsigned int sub)
{
	int n = 0;

	if (strcmp(p, "on") == 0) {
		mgmtsess_set_sub(r->s, sub, true);
		mgmtsess_success(r->s, "real-time %s notification set to ON", type);
	} else if (strcmp(p, "off") == 0) {
		mgmtsess_set_sub(r->s, sub, false);
		mgmtsess_success(r->s, "real-time %s notification set to OFF", type);
	} else if (strcmp(p, "all") == 0 || (n = num(p)) > 0) {
		hist_print(r, h, n);
	} else {
		mgmtsess_error(r->s, "%s parameter must be 'on' or 'off' or some number n or 'all'",
		    type);
	}
}

/* 2.6 acts on the first two parameters, in order; `state` alone = `state 1`. */
static void
cmd_history(struct mgmt_sess_ref *r, const struct mgmt_cmd *cmd, const struct hist *h,
    const char *type, unsigned int sub)
{
	int i;

	if (cmd->argc < 2) {
		hist_param(r, "1", h, type, sub);
		return;
	}
	for (i = 1; i < cmd->argc && i <= 2; i++)
		hist_param(r, cmd->argv[i], h, type, sub);
}

static void
bc_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct mgmt_sess_ref *r = OWNER(t, struct mgmt_sess_ref, bc_timer);
	struct mgmt *m = r->m;

	if (r->dead || r->bc_interval == 0)
		return;
	ev_timer_arm(m->loop, &r->bc_timer, now + r->bc_interval);
	if (m->ops.bytecount != NULL && reachable(r))
		m->ops.bytecount(m->ops.arg, r);
	flush(r);
}

static void
cmd_bytecount(struct mgmt_sess_ref *r, const struct mgmt_cmd *cmd, uint64_t now)
{
	int n = num(cmd->argv[1]);

	/* 2.6 takes a negative interval as 0 and says the same thing */
	r->bc_interval = n > 0 ? MTIME_SEC(n) : 0;
	if (r->bc_interval > 0)
		ev_timer_arm(r->m->loop, &r->bc_timer, now + r->bc_interval);
	else
		ev_timer_cancel(r->m->loop, &r->bc_timer);
	mgmtsess_success(r->s, "bytecount interval changed");
}

static void
dispatch(struct mgmt_sess_ref *r, const struct mgmt_cmd *cmd, uint64_t now)
{
	struct mgmt *m = r->m;

	if (cmd->verb == MGMT_V_AUTHENTICATED) {
		announce(r);
		return;
	}
	audit(r, cmd);
	switch (cmd->verb) {
	case MGMT_V_LOG:
		cmd_history(r, cmd, &m->log, "log", MGMT_SUB_LOG);
		break;
	case MGMT_V_STATE:
		cmd_history(r, cmd, &m->state, "state", MGMT_SUB_STATE);
		break;
	case MGMT_V_ECHO:
		cmd_history(r, cmd, NULL, "echo", MGMT_SUB_ECHO);
		break;
	case MGMT_V_BYTECOUNT:
		cmd_bytecount(r, cmd, now);
		break;
	default:
		m->ops.exec(m->ops.arg, r, cmd);
		break;
	}
}

/* ------------------------------------------------------------ callbacks */

static void
read_input(struct mgmt_sess_ref *r, uint64_t now)
{
	uint8_t rx[RX_CHUNK];
	struct mgmt_cmd cmd;
	struct buf b;
	ssize_t n;
	int round;

	for (round = 0; round < RX_ROUNDS && !r->dead && !r->eof; round++) {
		n = recv(r->fd, rx, sizeof(rx), 0);
		if (n == 0) {
			r->eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				kill_sess(r, "read error");
			break;
		}
		buf_init(&b, rx, (size_t)n);
		while (!r->dead && mgmtsess_input(r->s, &b, now, &cmd) == 1) {
			dispatch(r, &cmd, now);
			flush(r);
		}
		if ((size_t)n < sizeof(rx))
			break;
	}
	/* the chunk may have held the password */
	wipe(rx, sizeof(rx));
}

static void
sess_io_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct mgmt_sess_ref *r = OWNER(io, struct mgmt_sess_ref, io);

	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !r->eof &&
	    (r->io.events & EPOLLIN))
		read_input(r, now);
	flush(r);
}

static void
sess_timer_cb(struct ev_timer *t, uint64_t now)
{
	struct mgmt_sess_ref *r = OWNER(t, struct mgmt_sess_ref, timer);

	if (r->dead) {
		free_sess(r);
		return;
	}
	if (r->linger_until != MTIME_NEVER && now >= r->linger_until) {
		kill_sess(r, "output not taken in time");
		free_sess(r);
		return;
	}
	mgmtsess_tick(r->s, now);
	flush(r);
}

static void
format_peer(char *dst, size_t cap, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(dst, cap, "%s:%u", a, (unsigned)ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(dst, cap, "[%s]:%u", a, (unsigned)ntohs(sin6->sin6_port));
	} else {
		snprintf(dst, cap, "unix");
	}
}

static void
new_sess(struct mgmt *m, int fd, const struct sockaddr_storage *ss, uint64_t now)
{
	struct mgmt_sess_ref *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->s = mgmtsess_new(&m->sconf, now)) == NULL) {
		free(r);
		close(fd);
		log_rl_msg(&m->rl, now, LL_WARN, "management: out of memory for a session");
		return;
	}
	r->m = m;
	r->fd = fd;
	r->linger_until = MTIME_NEVER;
	format_peer(r->peer, sizeof(r->peer), ss);
	ev_timer_init(&r->timer, sess_timer_cb);
	ev_timer_init(&r->bc_timer, bc_timer_cb);
	if (ev_io_add(m->loop, &r->io, fd, EPOLLIN, sess_io_cb) < 0) {
		log_rl_msg(&m->rl, now, LL_WARN, "management: cannot watch a session: %s",
		    strerror(errno));
		mgmtsess_free(r->s);
		free(r);
		close(fd);
		return;
	}
	r->id = ++m->next_id;
	r->next = m->sessions;
	m->sessions = r;
	m->nlive++;
	log_rl_msg(&m->rl, now, LL_INFO, "management: session %u (%s) connected", r->id, r->peer);
	if (mgmtsess_authenticated(r->s))
		announce(r);
	flush(r);
}

static void
retry_cb(struct ev_timer *t, uint64_t now)
{
	struct mgmt *m = OWNER(t, struct mgmt, retry);

	(void)now;
	ev_io_mod(m->loop, &m->lio, EPOLLIN);
}

static void
accept_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct mgmt *m = OWNER(io, struct mgmt, lio);
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t w;
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = accept4(m->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* level-triggered: stop watching for a second instead of spinning */
				log_rl_msg(&m->rl, now, LL_WARN, "management: accept: %s",
				    strerror(errno));
				ev_io_mod(m->loop, &m->lio, 0);
				ev_timer_arm(m->loop, &m->retry, now + MTIME_SEC(1));
			}
			return;
		}
		if (m->nlive >= MGMT_MAX_SESSIONS) {
			/* best effort: a fresh socket's buffer always takes one line */
			w = send(fd, too_many, sizeof(too_many) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			log_rl_msg(&m->rl, now, LL_WARN,
			    "management: connection refused: %d sessions open", MGMT_MAX_SESSIONS);
			continue;
		}
		new_sess(m, fd, &ss, now);
	}
}

/* ------------------------------------------------------------- listening */

static int
listen_unix(struct mgmt *m, const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, r, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return ERR_INVAL;
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("management: %s exists and is not a socket", path);
			return ERR_EXISTS;
		}
		/* a socket someone still listens on is not stale */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			return ERR_SYS;
		r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		e = errno;
		close(fd);
		if (r == 0 || e == EAGAIN) {
			log_warnx("management: %s is in use by another process", path);
			return ERR_EXISTS;
		}
		if (unlink(path) < 0 && errno != ENOENT)
			return ERR_SYS;
	} else if (errno != ENOENT) {
		return ERR_SYS;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return ERR_SYS;
	/* the file is born 0600: no window where others could connect */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	umask(old);
	if (r < 0)
		goto fail;
	if (lstat(path, &st) < 0) {
		e = errno;
		goto fail_unlink;
	}
	m->sock_dev = st.st_dev;
	m->sock_ino = st.st_ino;
	if ((m->unix_path = strdup(path)) == NULL) {
		e = ENOMEM;
		goto fail_unlink;
	}
	if (listen(fd, MGMT_MAX_SESSIONS) < 0) {
		e = errno;
		goto fail_unlink;
	}
	m->lfd = fd;
	log_info("management: listening on unix socket %s", path);
	return 0;
fail_unlink:
	unlink(path);
fail:
	close(fd);
	errno = e;
	return e == ENOMEM ? ERR_NOMEM : ERR_SYS;
}

static int
listen_tcp(struct mgmt *m, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
	char desc[PEER_MAX];
	socklen_t sl;
	bool loopback;
	int fd, one = 1, e;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof(*sin);
		loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof(*sin6);
		loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127);
	} else {
		return ERR_INVAL;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return ERR_SYS;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, MGMT_MAX_SESSIONS) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return ERR_SYS;
	}
	m->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	m->lfd = fd;
	format_peer(desc, sizeof(desc), &ss);
	if (!loopback)
		log_warnx("management: listening on %s, which is not a loopback address: "
		    "anyone who can reach it may try the password", desc);
	else
		log_info("management: listening on %s", desc);
	return 0;
}

/* ------------------------------------------------------------ public API */

int
mgmt_open(struct mgmt **out, struct evloop *loop, const struct mgmt_conf *conf,
    const struct mgmt_ops *ops)
{
	struct mgmt *m = NULL;
	size_t cache;
	int r, e;

	*out = NULL;
	if (conf == NULL || ops == NULL || ops->exec == NULL ||
	    (conf->unix_path == NULL) == (conf->ip == NULL) ||
	    (conf->password != NULL && strlen(conf->password) > MGMT_PASSWORD_MAX))
		return ERR_INVAL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ERR_NOMEM;
	m->loop = loop;
	m->ops = *ops;
	m->lfd = -1;
	m->lio.fd = -1;
	ev_timer_init(&m->retry, retry_cb);
	log_rl_init(&m->rl, 20, 5);
	cache = conf->log_cache == 0 ? MGMT_LOG_CACHE : conf->log_cache;
	if (cache > LOG_CACHE_MAX)
		cache = LOG_CACHE_MAX;
	r = ERR_NOMEM;
	if (hist_init(&m->log, cache) < 0 || hist_init(&m->state, cache) < 0)
		goto out;
	if (conf->password != NULL && (m->password = strdup(conf->password)) == NULL)
		goto out;
	if ((m->title = strdup(conf->title != NULL ? conf->title : "")) == NULL)
		goto out;
	m->sconf.password = m->password;
	m->sconf.title = m->title;
	m->sconf.auth_timeout = conf->auth_timeout;
	if (conf->unix_path != NULL)
		r = listen_unix(m, conf->unix_path);
	else
		r = listen_tcp(m, conf->ip, conf->port);
	if (r < 0)
		goto out;
	if (ev_io_add(loop, &m->lio, m->lfd, EPOLLIN, accept_cb) < 0) {
		r = ERR_SYS;
		goto out;
	}
	*out = m;
	return 0;
out:
	e = errno;
	mgmt_close(m);
	errno = e;
	return r;
}

void
mgmt_close(struct mgmt *m)
{
	struct mgmt_sess_ref *r;
	struct stat st;

	if (m == NULL)
		return;
	while ((r = m->sessions) != NULL) {
		m->sessions = r->next;
		ev_timer_cancel(m->loop, &r->timer);
		ev_timer_cancel(m->loop, &r->bc_timer);
		if (!r->dead) {
			ev_io_del(m->loop, &r->io);
			close(r->fd);
		}
		if (r->announced && m->ops.closed != NULL)
			m->ops.closed(m->ops.arg, r);
		mgmtsess_free(r->s);
		free(r);
	}
	m->nlive = 0;
	ev_timer_cancel(m->loop, &m->retry);
	ev_io_del(m->loop, &m->lio);
	if (m->lfd >= 0)
		close(m->lfd);
	/* only our own socket: someone may have replaced it since */
	if (m->unix_path != NULL && lstat(m->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == m->sock_dev && st.st_ino == m->sock_ino)
		unlink(m->unix_path);
	free(m->unix_path);
	hist_free(&m->log);
	hist_free(&m->state);
	if (m->password != NULL) {
		wipe(m->password, strlen(m->password));
		free(m->password);
	}
	free(m->title);
	free(m);
}

uint16_t
mgmt_port(const struct mgmt *m)
{
	return m->port;
}

unsigned int
mgmt_nsessions(const struct mgmt *m)
{
	return m->nlive;
}

struct mgmtsess *
mgmt_session(struct mgmt_sess_ref *s)
{
	return s->s;
}

unsigned int
mgmt_session_id(const struct mgmt_sess_ref *s)
{
	return s->id;
}

const char *
mgmt_session_peer(const struct mgmt_sess_ref *s)
{
	return s->peer;
}

struct mgmt_sess_ref *
mgmt_session_find(struct mgmt *m, unsigned int id)
{
	struct mgmt_sess_ref *r;

	for (r = m->sessions; r != NULL; r = r->next)
		if (r->id == id && !r->dead)
			return r;
	return NULL;
}

void
mgmt_flush(struct mgmt *m, struct mgmt_sess_ref *s)
{
	(void)m;
	flush(s);
}

void
mgmt_foreach(struct mgmt *m, void (*fn)(void *arg, struct mgmt_sess_ref *s), void *arg)
{
	struct mgmt_sess_ref *r;

	for (r = m->sessions; r != NULL; r = r->next) {
		if (!reachable(r))
			continue;
		fn(arg, r);
		flush(r);
	}
}

void
mgmt_broadcast_client(struct mgmt *m, enum mgmt_client_ev ev, uint64_t cid, uint32_t kid,
    const char *response, const struct mgmt_env *env)
{
	struct mgmt_sess_ref *r;

	for (r = m->sessions; r != NULL; r = r->next) {
		if (!reachable(r))
			continue;
		mgmtsess_client_event(r->s, ev, cid, kid, response, env);
		flush(r);
	}
}

/* Record entry, then send ">TYPE:entry" to the subscribers of sub. */
static void
broadcast_hist(struct mgmt *m, struct hist *h, const char *type, unsigned int sub,
    const char *entry)
{
	struct mgmt_sess_ref *r;

	hist_push(h, entry);
	for (r = m->sessions; r != NULL; r = r->next) {
		if (!reachable(r) || !mgmtsess_subscribed(r->s, sub))
			continue;
		mgmtsess_notify(r->s, type, "%s", entry);
		flush(r);
	}
}

void
mgmt_broadcast_log(struct mgmt *m, uint64_t unix_time, const char *flags, const char *text)
{
	char e[MGMT_HIST_ENTRY_MAX];

	snprintf(e, sizeof(e), "%" PRIu64 ",%s,%s", unix_time, flags != NULL ? flags : "",
	    text != NULL ? text : "");
	broadcast_hist(m, &m->log, "LOG", MGMT_SUB_LOG, e);
}

void
mgmt_broadcast_state(struct mgmt *m, uint64_t unix_time, const char *entry)
{
	char e[MGMT_HIST_ENTRY_MAX];

	snprintf(e, sizeof(e), "%" PRIu64 ",%s", unix_time, entry != NULL ? entry : "");
	broadcast_hist(m, &m->state, "STATE", MGMT_SUB_STATE, e);
}
