/*
 * hook.h - run operator scripts (auth-user-pass-verify, client-connect, ...)
 * without blocking the event loop, with OpenVPN 2.6 conventions.
 *
 * A hook is one child process in its own process group.  The owner puts
 * hook_fd() (a pidfd, readable once the process exits) and, when output is
 * captured, hook_out_fd() into its epoll set, arms a timer for
 * hook_deadline(), and calls hook_poll() on any of these events.
 * hook_poll() never blocks.  Fail-closed: a non-zero exit, a signal, a
 * timeout, a failed spawn or over-long captured output is never HOOK_ALLOW.
 *
 * What the child gets (P14, P17):
 *  - argv: the operator's command split like OpenVPN's parse_line()
 *    (conf_tokenize(): whitespace, quotes, backslash escapes), no PATH
 *    search (argv[0] is used as given, like OpenVPN's execve), then the
 *    per-hook arguments (e.g. the via-file path).  No shell is involved.
 *  - environment: exactly the struct hook_env given, plus PATH (from our own
 *    environment, or a fixed default) if the env has none.  Nothing else is
 *    inherited.
 *  - fds: 0 = /dev/null, 1 = the capture pipe or /dev/null, 2 = our stderr
 *    (the log); every other fd is closed before exec.
 *  - its own process group, default signal dispositions, empty signal mask.
 *
 * Client-controlled strings (common_name, username, password, IV_*, UV_*)
 * enter the environment only through hook_env_set_client(), which rejects
 * values longer than HOOK_CLIENT_VALUE_MAX (ERR_RANGE; the caller must deny,
 * never truncate) and replaces every byte outside printable ASCII 0x20..0x7e
 * (CR, LF, other controls, DEL, all bytes >= 0x80) with '_'.  This is what
 * OpenVPN 2.6 does to username and password (string_mod(CC_PRINT, CC_CRLF,
 * '_')).  Shell metacharacters ($, `, quotes, ;) are kept: they reach the
 * script as data and are only dangerous to a script that evaluates them.
 * Variable names must match [A-Za-z_][A-Za-z0-9_]* (ERR_MALFORMED otherwise).
 */
#ifndef OVPN_HOOK_H
#define OVPN_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtime.h"

#define HOOK_TIMEOUT_DEFAULT MTIME_SEC(30)
#define HOOK_KILL_GRACE MTIME_SEC(1)      /* SIGTERM to SIGKILL */
#define HOOK_OUT_MAX (64u * 1024u)        /* largest stdout capture */
#define HOOK_CLIENT_VALUE_MAX 4096        /* bytes; OpenVPN's USER_PASS_LEN with PKCS#11 */
#define HOOK_ENV_MAX_VARS 1024
#define HOOK_ENV_MAX_BYTES (256u * 1024u) /* all "NAME=value\0" together */
#define HOOK_PATH_MAX 512                 /* temp file paths (tmpdir + name) */
#define HOOK_REASON_MAX 256               /* auth_failed_reason_file text */
#define HOOK_PENDING_EXTRA_MAX 2048       /* auth_pending_file line 3 */
#define HOOK_CONNECT_CONFIG_MAX (64u * 1024u)

/* ---- environment ---- */

/* A list of "NAME=value" strings; owns them and wipes them on free (passwords). */
struct hook_env {
	char **vars;
	size_t n, cap;
	size_t bytes;
};

void hook_env_init(struct hook_env *e);
void hook_env_free(struct hook_env *e);
/*
 * Set NAME to a trusted value (ours or the operator's: daemon_pid, config,
 * setenv ...).  Replaces an earlier value of the same name.  0,
 * ERR_MALFORMED (bad name), ERR_FULL (HOOK_ENV_MAX_VARS/BYTES), ERR_NOMEM.
 */
int hook_env_set(struct hook_env *e, const char *name, const char *value);
/* As hook_env_set() for a client-controlled value, checked and remapped as
 * described above; also ERR_RANGE if longer than HOOK_CLIENT_VALUE_MAX. */
int hook_env_set_client(struct hook_env *e, const char *name, const char *value);
/* Value of NAME, or NULL. */
const char *hook_env_get(const struct hook_env *e, const char *name);
void hook_env_unset(struct hook_env *e, const char *name);

/* ---- one process ---- */

enum hook_status {
	HOOK_ALLOW = 1,    /* exit 0 */
	HOOK_DENY,         /* exit 1 or any other code, a signal, over-long output */
	HOOK_DEFERRED,     /* exit 2, only with hook_req.allow_deferred */
	HOOK_TIMEOUT,      /* deadline passed; the group was killed */
	HOOK_ERROR,        /* could not exec (spawn_errno) */
};

struct hook_req {
	const char *command;            /* operator's command line, e.g. "/usr/bin/check --x" */
	const char *const *extra_args;  /* appended to argv; NULL-terminated; may be NULL */
	const struct hook_env *env;     /* copied; may be freed after hook_start() */
	uint64_t now;                   /* mtime */
	uint64_t timeout;               /* µs; 0 = HOOK_TIMEOUT_DEFAULT */
	size_t capture_max;             /* 0: stdout to /dev/null; else capture up to this (<= HOOK_OUT_MAX) */
	bool allow_deferred;            /* exit 2 = HOOK_DEFERRED (auth-user-pass-verify) */
	const void *stdin_data;         /* given on stdin (then EOF); NULL: /dev/null */
	size_t stdin_len;               /* at most HOOK_STDIN_MAX */
};

enum { HOOK_STDIN_MAX = 60 * 1024 };   /* fits a pipe's buffer: written before fork */

struct hook_result {
	enum hook_status status;
	int exit_code;        /* exit status, or -1 if killed by a signal or not run */
	int signo;            /* terminating signal or 0 */
	int spawn_errno;      /* HOOK_ERROR: errno of the failed execve */
	const char *out;      /* captured stdout (NUL-terminated, owned by the hook), or NULL */
	size_t out_len;
	bool out_truncated;   /* more than capture_max was written: status is HOOK_DENY */
};

struct hook;

/*
 * Split req->command, fork and exec.  On success *out owns the child.
 * Returns 0; ERR_CONFIG (command empty or not tokenizable), ERR_INVAL
 * (capture_max too large), ERR_NOMEM, or ERR_SYS (fork, pipe, pidfd_open;
 * errno set).  A missing or non-executable program is not detected here:
 * it comes back from hook_poll() as HOOK_ERROR with spawn_errno
 * (use hook_cmd_check() at startup to catch it early).
 */
int hook_start(const struct hook_req *req, struct hook **out);
/* pidfd: becomes readable when the process exits. Stays open until hook_free(). */
int hook_fd(const struct hook *h);
/* Capture pipe (readable when output arrives), or -1 if not capturing / closed. */
int hook_out_fd(const struct hook *h);
/* When hook_poll() must run again even without fd events (MTIME_NEVER when done). */
uint64_t hook_deadline(const struct hook *h);
/*
 * Drain output, enforce the deadline (SIGTERM to the group, SIGKILL after
 * HOOK_KILL_GRACE or as soon as the leader exits, whichever comes first), and
 * reap.  Returns ERR_AGAIN while running; 0 once finished, with *res filled
 * (and again on every later call).  Background children of a finished
 * script are left alone (deferred auth depends on them) unless it timed out.
 */
int hook_poll(struct hook *h, uint64_t now, struct hook_result *res);
/* Kill (SIGKILL to the group) and reap a hook still running, close its fds, free it. */
void hook_free(struct hook *h);
/* One-line description of a result ("exit 1", "killed by signal 9", "timed out",
 * "exec /x: No such file or directory") for logs. */
const char *hook_result_str(const struct hook_result *res, const char *command, char *buf, size_t cap);
/* Startup check: the command splits and argv[0] is an executable file.
 * 0, or ERR_CONFIG with a reason in why. */
int hook_cmd_check(const char *command, char *why, size_t cap);

/* ---- temp directory ---- */

/* mkdtemp("<base>/ovpn-endpoint-XXXXXX"), mode 0700; out gets the path. 0 or ERR_SYS/ERR_OVERFLOW. */
int hook_tmpdir_create(const char *base, char *out, size_t cap);
/* Remove the directory and the files in it (not recursive). */
void hook_tmpdir_remove(const char *dir);

/* ---- auth-user-pass-verify CMD via-env|via-file (doc §6.2) ---- */

enum hook_auth_via { HOOK_VIA_ENV, HOOK_VIA_FILE };

struct hook_auth {
	char via_file[HOOK_PATH_MAX];       /* "" with via-env */
	char control_file[HOOK_PATH_MAX];   /* auth_control_file */
	char pending_file[HOOK_PATH_MAX];   /* auth_pending_file */
	char reason_file[HOOK_PATH_MAX];    /* auth_failed_reason_file */
	const char *args[2];                /* filled by hook_auth_args() */
	int watch_fd;                       /* inotify on control_file, or -1 */
};

/*
 * Create the (empty, 0600) control/pending/reason files in tmpdir and, for
 * via-file, the credentials file ("username\npassword\n", 0600); add to env:
 * script_type=user-pass-verify, username, password (via-env only),
 * auth_control_file, auth_pending_file, auth_failed_reason_file.  username
 * and password go through hook_env_set_client().  Pass hook_auth_args(a)
 * as hook_req.extra_args and set allow_deferred.  On error everything created
 * is removed.  0, ERR_RANGE (over-long credential), ERR_OVERFLOW (tmpdir
 * path too long), ERR_SYS, ERR_NOMEM, ERR_FULL.
 */
int hook_auth_prepare(struct hook_auth *a, const char *tmpdir, enum hook_auth_via via,
    const char *username, const char *password, struct hook_env *env);
/* { via_file, NULL } for via-file, { NULL } for via-env; points into a. */
const char *const *hook_auth_args(struct hook_auth *a);
/* Delete the via-file now (call when the script has exited). */
void hook_auth_script_done(struct hook_auth *a);
/*
 * After HOOK_DEFERRED: an inotify fd that becomes readable when the control
 * file changes (drain it with hook_auth_watch_drain()).  Creates it on first
 * call.  It is a wake-up hint only; poll with a slow timer too (a script may
 * replace the file by rename).  Returns the fd, or ERR_SYS.
 */
int hook_auth_watch(struct hook_auth *a);
void hook_auth_watch_drain(struct hook_auth *a);
/*
 * Read the deferred verdict: HOOK_ALLOW if the control file holds "1"
 * (optionally followed by "\n"), HOOK_DENY for "0", and also HOOK_DENY for
 * any other content, a missing file or an unreadable one.  Returns 0 with
 * *st set, or ERR_AGAIN while the file is empty (not decided).  The caller
 * enforces the overall deadline (hand-window) and treats it as a denial.
 */
int hook_deferred_poll(const struct hook_auth *a, enum hook_status *st);
/* First line of auth_failed_reason_file, remapped to printable ASCII, in out
 * (empty string if none). Returns the length. */
size_t hook_auth_reason(const struct hook_auth *a, char *out, size_t cap);
/* Remove every file of this auth (via, control, pending, reason) and close the watch fd. */
void hook_auth_cleanup(struct hook_auth *a);

/* auth_pending_file: "TIMEOUT\nMETHOD\nEXTRA[\n]" */
struct hook_pending {
	uint32_t timeout;                         /* seconds, 1..86400 */
	char method[32];                          /* [a-z_-]+, e.g. webauth, crtext, openurl */
	char extra[HOOK_PENDING_EXTRA_MAX + 1];   /* printable ASCII, may be empty */
};
/* Pure parser. 0, ERR_MALFORMED, ERR_RANGE. */
int hook_pending_parse(const char *text, size_t len, struct hook_pending *p);
/* Read and parse a->pending_file. 0, ERR_AGAIN (empty: none written), ERR_MALFORMED, ERR_RANGE, ERR_SYS. */
int hook_pending_read(const struct hook_auth *a, struct hook_pending *p);

/* ---- client-connect CMD (doc §6.3) ---- */

struct hook_connect {
	char config_file[HOOK_PATH_MAX];    /* client_connect_config_file, also argv[1] */
	char deferred_file[HOOK_PATH_MAX];  /* client_connect_deferred_file */
	const char *args[2];                /* filled by hook_connect_args() */
};

/* Create both files (empty, 0600); env gets script_type=client-connect and both paths.
 * 0, ERR_OVERFLOW, ERR_SYS, ERR_NOMEM, ERR_FULL (nothing left behind on error). */
int hook_connect_prepare(struct hook_connect *c, const char *tmpdir, struct hook_env *env);
/* { config_file, NULL }: the hook_req.extra_args of client-connect; points into c. */
const char *const *hook_connect_args(struct hook_connect *c);
/*
 * After the script exited 0: HOOK_ALLOW if the deferred file is empty or
 * "1", HOOK_DEFERRED if its first byte is '2' (decision pending: call again
 * later), HOOK_DENY for "0" or anything else.  0 with *st, or ERR_SYS.
 */
int hook_connect_status(const struct hook_connect *c, enum hook_status *st);
/* Read the directives the script wrote (at most HOOK_CONNECT_CONFIG_MAX
 * bytes, else ERR_RANGE) into out (NUL-terminated); *len = bytes. */
int hook_connect_read_config(const struct hook_connect *c, char *out, size_t cap, size_t *len);
void hook_connect_cleanup(struct hook_connect *c);

#endif
