/*
 * hook.c - operator scripts as non-blocking child processes (doc
 * management-interface.md §6, security-promises P13, P14, P17).
 *
 * Design:
 * - fork + execve, never a shell.  Everything the child needs (argv, envp,
 *   the fds it will dup) is built before fork(); between fork and execve the
 *   child calls only async-signal-safe functions.  The child puts itself in
 *   its own process group (the parent does too, so there is no window where
 *   a timeout kill would miss it).
 * - An exec failure is reported through a CLOEXEC pipe: exec success closes
 *   it (EOF), failure writes errno.  It is read only after the child was
 *   reaped, so the parent never waits for the exec to happen.
 * - Exit is observed through a pidfd (Linux >= 5.3) the owner polls in its
 *   loop; reaping uses waitid(WNOWAIT) first, so that on a timeout the
 *   leader's pid still pins the process group while we SIGKILL it.  The
 *   daemon must not set SIGCHLD to SIG_IGN (children would be auto-reaped;
 *   we would report a denial).
 * - States: RUNNING -> (deadline) TERM -> (grace) KILL -> DONE.  Normal exit
 *   leaves background children alone: deferred auth is implemented by
 *   exactly such children.
 * - Fail-closed: HOOK_ALLOW only for exit 0 of a process that was not timed
 *   out and whose output fit.
 * - The environment is a value type the caller builds; client strings are
 *   capped and remapped to printable ASCII on entry (hook.h).  Strings are
 *   wiped on free because a password may be among them.
 * - Temp files are created with mkostemp (O_EXCL, 0600) in a private 0700
 *   directory; results are read back with bounded reads that refuse
 *   anything but a regular file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "hook.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define NAME_MAX_LEN 128
/* Command store: every token fits in the line plus one NUL per token. */
#define CMD_STORE (CONF_LINE_MAX + CONF_MAX_TOKENS + 1)
#define SMALL_READ 8

/* ------------------------------------------------------------------ */
/* environment */

void
hook_env_init(struct hook_env *e)
{
	memset(e, 0, sizeof(*e));
}

static void
wipe_str(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
hook_env_free(struct hook_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		wipe_str(e->vars[i]);
	free(e->vars);
	memset(e, 0, sizeof(*e));
}

static bool
valid_name(const char *name)
{
	size_t i;

	if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= NAME_MAX_LEN)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Index of NAME in e, or e->n. */
static size_t
env_find(const struct hook_env *e, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, nl) == 0 && e->vars[i][nl] == '=')
			return i;
	return e->n;
}

/* Store "name=value" (value already checked); takes care of replace and limits. */
static int
env_put(struct hook_env *e, const char *name, const char *value, size_t vlen)
{
	size_t nl = strlen(name), sz = nl + 1 + vlen + 1, i, old = 0;
	char *s, **nv;

	i = env_find(e, name);
	if (i < e->n)
		old = strlen(e->vars[i]) + 1;
	if (i == e->n && e->n >= HOOK_ENV_MAX_VARS)
		return ERR_FULL;
	if (e->bytes - old + sz > HOOK_ENV_MAX_BYTES)
		return ERR_FULL;
	if ((s = malloc(sz)) == NULL)
		return ERR_NOMEM;
	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vlen);
	s[sz - 1] = '\0';
	if (i < e->n) {
		wipe_str(e->vars[i]);
		e->vars[i] = s;
		e->bytes = e->bytes - old + sz;
		return 0;
	}
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 32;

		if ((nv = realloc(e->vars, ncap * sizeof(*nv))) == NULL) {
			free(s);
			return ERR_NOMEM;
		}
		e->vars = nv;
		e->cap = ncap;
	}
	e->vars[e->n++] = s;
	e->bytes += sz;
	return 0;
}

int
hook_env_set(struct hook_env *e, const char *name, const char *value)
{
	if (!valid_name(name))
		return ERR_MALFORMED;
	return env_put(e, name, value, strlen(value));
}

/* Copy value into out with every byte outside 0x20..0x7e replaced by '_'. */
static void
remap_printable(char *out, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		out[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '_';
	}
	out[len] = '\0';
}

int
hook_env_set_client(struct hook_env *e, const char *name, const char *value)
{
	char tmp[HOOK_CLIENT_VALUE_MAX + 1];
	size_t len;
	int r;

	if (!valid_name(name))
		return ERR_MALFORMED;
	len = strnlen(value, HOOK_CLIENT_VALUE_MAX + 1);
	if (len > HOOK_CLIENT_VALUE_MAX)
		return ERR_RANGE;
	remap_printable(tmp, value, len);
	r = env_put(e, name, tmp, len);
	explicit_bzero(tmp, len);
	return r;
}

const char *
hook_env_get(const struct hook_env *e, const char *name)
{
	size_t i = env_find(e, name);

	return i < e->n ? e->vars[i] + strlen(name) + 1 : NULL;
}

void
hook_env_unset(struct hook_env *e, const char *name)
{
	size_t i = env_find(e, name);

	if (i == e->n)
		return;
	e->bytes -= strlen(e->vars[i]) + 1;
	wipe_str(e->vars[i]);
	memmove(&e->vars[i], &e->vars[i + 1], (e->n - i - 1) * sizeof(*e->vars));
	e->n--;
}

/* ------------------------------------------------------------------ */
/* process */

enum run_state { RS_RUNNING, RS_TERM, RS_KILL, RS_DONE };

struct hook {
	pid_t pid;
	int pidfd;
	int out_fd;          /* capture pipe, read end; -1 when none or at EOF */
	int err_fd;          /* exec-error pipe, read end */
	enum run_state st;
	bool allow_deferred;
	uint64_t deadline;   /* RUNNING: SIGTERM at; TERM: SIGKILL at */
	char *out;
	size_t out_len, out_cap;
	bool out_trunc;
	struct hook_result res;
};

static int
split_command(const char *command, char *store, const char *argv[CONF_MAX_TOKENS + 1],
    unsigned *argc, const char **why)
{
	size_t len = strlen(command);

	if (len > CONF_LINE_MAX) {
		*why = "command line too long";
		return ERR_CONFIG;
	}
	if (conf_tokenize(command, len, store, CMD_STORE, argv, argc, why) != 0)
		return ERR_CONFIG;
	if (*argc == 0) {
		*why = "empty command";
		return ERR_CONFIG;
	}
	return 0;
}

/* Move fd to a number >= 3 (CLOEXEC) so dup2 onto 0..2 cannot clobber it. */
static int
child_high_fd(int fd)
{
	return fd >= 3 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* In the child: only async-signal-safe calls from here to execve. */
static _Noreturn void
child_exec(char *const argv[], char *const envp[], int devnull, int in_r, int out_w, int err_w,
    int maxfd)
{
	struct sigaction sa;
	sigset_t none;
	int e, sig, fd;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((err_w = child_high_fd(err_w)) < 0 || (devnull = child_high_fd(devnull)) < 0)
		_exit(127);
	if (out_w >= 0 && (out_w = child_high_fd(out_w)) < 0)
		_exit(127);
	if (in_r >= 0 && (in_r = child_high_fd(in_r)) < 0)
		_exit(127);
	if (dup2(in_r >= 0 ? in_r : devnull, 0) < 0 || dup2(out_w >= 0 ? out_w : devnull, 1) < 0)
		_exit(127);
	/* Keep our stderr (the log) if there is one, else give /dev/null. */
	if (fcntl(2, F_GETFD) < 0 && dup2(devnull, 2) < 0)
		_exit(127);
	/* Close everything else but err_w, which closes itself on exec (P17). */
	if ((err_w > 3 && close_range(3, (unsigned)err_w - 1, 0) < 0) ||
	    close_range((unsigned)err_w + 1, ~0U, 0) < 0) {
		for (fd = 3; fd < maxfd; fd++)
			if (fd != err_w)
				close(fd);
	}
	execve(argv[0], argv, envp);
	e = errno;
	(void)!write(err_w, &e, sizeof(e));
	_exit(127);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

int
hook_start(const struct hook_req *req, struct hook **out)
{
	char store[CMD_STORE];
	const char *cargv[CONF_MAX_TOKENS + 1];
	const char *why;
	char **argv = NULL, **envp = NULL, *pathvar = NULL;
	size_t nextra = 0, i, n;
	unsigned argc;
	int devnull = -1, outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 }, maxfd, r;
	struct hook *h = NULL;
	pid_t pid;

	*out = NULL;
	if (req->capture_max > HOOK_OUT_MAX)
		return ERR_INVAL;
	if (split_command(req->command, store, cargv, &argc, &why) != 0)
		return ERR_CONFIG;
	while (req->extra_args != NULL && req->extra_args[nextra] != NULL)
		nextra++;

	r = ERR_NOMEM;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->pidfd = h->out_fd = h->err_fd = -1;
	if ((argv = calloc(argc + nextra + 1, sizeof(*argv))) == NULL)
		goto fail;
	for (i = 0; i < argc; i++)
		argv[i] = (char *)cargv[i];
	for (i = 0; i < nextra; i++)
		argv[argc + i] = (char *)req->extra_args[i];
	if ((envp = calloc(req->env->n + 2, sizeof(*envp))) == NULL)
		goto fail;
	for (n = 0; n < req->env->n; n++)
		envp[n] = req->env->vars[n];
	if (hook_env_get(req->env, "PATH") == NULL) {
		const char *p = getenv("PATH");
		size_t plen;

		if (p == NULL || *p == '\0')
			p = DEFAULT_PATH;
		plen = strlen(p);
		if ((pathvar = malloc(plen + 6)) == NULL)
			goto fail;
		memcpy(pathvar, "PATH=", 5);
		memcpy(pathvar + 5, p, plen + 1);
		envp[n++] = pathvar;
	}
	if (req->capture_max > 0 && (h->out = malloc(req->capture_max + 1)) == NULL)
		goto fail;
	h->out_cap = req->capture_max;

	r = ERR_SYS;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 ||
	    (req->capture_max > 0 && pipe2(outp, O_CLOEXEC) < 0))
		goto fail;
	if ((maxfd = (int)sysconf(_SC_OPEN_MAX)) < 0)
		maxfd = 1024;
	if (req->stdin_data != NULL) {
		/* the whole request sits in the pipe before the child exists, so
		 * the loop never waits on a script that does not read it */
		if (req->stdin_len > HOOK_STDIN_MAX) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (pipe2(inp, O_CLOEXEC | O_NONBLOCK) < 0 ||
		    (req->stdin_len > 0 && write(inp[1], req->stdin_data, req->stdin_len) !=
		    (ssize_t)req->stdin_len))
			goto fail;
		close_fd(&inp[1]);
		(void)fcntl(inp[0], F_SETFL, 0);
	}

	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0)
		child_exec(argv, envp, devnull, inp[0], outp[1], errp[1], maxfd);

	/* Parent. Both sides set the group, so kill(-pid) works from here on. */
	(void)setpgid(pid, pid);
	h->pid = pid;
	h->err_fd = errp[0];
	errp[0] = -1;
	h->out_fd = outp[0];
	outp[0] = -1;
	if ((h->pidfd = pidfd_open(pid, 0)) < 0) {
		int e = errno;

		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		goto fail;
	}
	(void)fcntl(h->pidfd, F_SETFD, FD_CLOEXEC);
	if (h->out_fd >= 0)
		(void)fcntl(h->out_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(h->err_fd, F_SETFL, O_NONBLOCK);
	h->st = RS_RUNNING;
	h->allow_deferred = req->allow_deferred;
	h->deadline = req->now + (req->timeout ? req->timeout : HOOK_TIMEOUT_DEFAULT);
	*out = h;
	r = 0;
	goto out;
fail:
	if (h != NULL) {
		int e = errno;

		close_fd(&h->err_fd);
		close_fd(&h->out_fd);
		free(h->out);
		free(h);
		errno = e;
	}
out:
	{
		int e = errno;

		close_fd(&devnull);
		close_fd(&inp[0]);
		close_fd(&inp[1]);
		close_fd(&outp[0]);
		close_fd(&outp[1]);
		close_fd(&errp[0]);
		close_fd(&errp[1]);
		free(argv);
		free(envp);
		free(pathvar);
		errno = e;
	}
	return r;
}

int
hook_fd(const struct hook *h)
{
	return h->pidfd;
}

int
hook_out_fd(const struct hook *h)
{
	return h->out_fd;
}

uint64_t
hook_deadline(const struct hook *h)
{
	return (h->st == RS_RUNNING || h->st == RS_TERM) ? h->deadline : MTIME_NEVER;
}

/* Read what is there; keep up to out_cap bytes, count the rest as overflow. */
static void
drain_out(struct hook *h)
{
	char tmp[4096];
	ssize_t n;

	while (h->out_fd >= 0) {
		n = read(h->out_fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;   /* EAGAIN: nothing more now */
		if (n == 0) {
			close_fd(&h->out_fd);
			return;
		}
		if ((size_t)n > h->out_cap - h->out_len) {
			h->out_trunc = true;
			n = (ssize_t)(h->out_cap - h->out_len);
		}
		memcpy(h->out + h->out_len, tmp, (size_t)n);
		h->out_len += (size_t)n;
	}
}

static void
finish(struct hook *h, bool reaped, int ws)
{
	struct hook_result *res = &h->res;
	int e;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	res->status = HOOK_DENY;
	if (reaped && WIFEXITED(ws))
		res->exit_code = WEXITSTATUS(ws);
	else if (reaped && WIFSIGNALED(ws))
		res->signo = WTERMSIG(ws);

	if (read(h->err_fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		res->status = HOOK_ERROR;
		res->spawn_errno = e;
	} else if (h->st != RS_RUNNING) {
		res->status = HOOK_TIMEOUT;
	} else if (h->out_trunc) {
		res->status = HOOK_DENY;
	} else if (res->exit_code == 0) {
		res->status = HOOK_ALLOW;
	} else if (res->exit_code == 2 && h->allow_deferred) {
		res->status = HOOK_DEFERRED;
	}
	close_fd(&h->err_fd);
	/* A background child may hold the pipe open forever: stop reading now. */
	close_fd(&h->out_fd);
	if (h->out != NULL) {
		h->out[h->out_len] = '\0';
		res->out = h->out;
		res->out_len = h->out_len;
	}
	res->out_truncated = h->out_trunc;
	h->st = RS_DONE;
}

int
hook_poll(struct hook *h, uint64_t now, struct hook_result *res)
{
	siginfo_t si;
	int ws = 0;

	if (h->st == RS_DONE) {
		*res = h->res;
		return 0;
	}
	drain_out(h);
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno == EINTR)
			continue;
		/* ECHILD: someone else reaped it; we cannot know how it ended. */
		finish(h, false, 0);
		*res = h->res;
		return 0;
	}
	if (si.si_pid == h->pid) {
		/* The zombie leader still pins the group id: safe to kill it. */
		if (h->st != RS_RUNNING)
			kill(-h->pid, SIGKILL);
		while (waitpid(h->pid, &ws, 0) < 0 && errno == EINTR)
			;
		drain_out(h);
		finish(h, true, ws);
		*res = h->res;
		return 0;
	}
	if (h->st == RS_RUNNING && now >= h->deadline) {
		kill(-h->pid, SIGTERM);
		h->st = RS_TERM;
		h->deadline = now + HOOK_KILL_GRACE;
	} else if (h->st == RS_TERM && now >= h->deadline) {
		kill(-h->pid, SIGKILL);
		h->st = RS_KILL;
	}
	return ERR_AGAIN;
}

void
hook_free(struct hook *h)
{
	if (h == NULL)
		return;
	if (h->st != RS_DONE) {
		/* SIGKILL cannot be ignored: the wait is short. */
		kill(-h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&h->pidfd);
	close_fd(&h->out_fd);
	close_fd(&h->err_fd);
	free(h->out);
	free(h);
}

const char *
hook_result_str(const struct hook_result *res, const char *command, char *buf, size_t cap)
{
	switch (res->status) {
	case HOOK_ALLOW:
		snprintf(buf, cap, "exit 0");
		break;
	case HOOK_DEFERRED:
		snprintf(buf, cap, "exit 2 (deferred)");
		break;
	case HOOK_TIMEOUT:
		snprintf(buf, cap, "timed out, killed");
		break;
	case HOOK_ERROR:
		snprintf(buf, cap, "cannot execute '%s': %s", command, strerror(res->spawn_errno));
		break;
	case HOOK_DENY:
	default:
		if (res->out_truncated)
			snprintf(buf, cap, "output longer than the capture limit");
		else if (res->signo != 0)
			snprintf(buf, cap, "killed by signal %d", res->signo);
		else if (res->exit_code >= 0)
			snprintf(buf, cap, "exit %d", res->exit_code);
		else
			snprintf(buf, cap, "exit status lost (SIGCHLD ignored?)");
		break;
	}
	return buf;
}

int
hook_cmd_check(const char *command, char *why, size_t cap)
{
	char store[CMD_STORE];
	const char *argv[CONF_MAX_TOKENS + 1];
	const char *w;
	unsigned argc;
	struct stat st;

	if (split_command(command, store, argv, &argc, &w) != 0) {
		snprintf(why, cap, "%s", w);
		return ERR_CONFIG;
	}
	if (stat(argv[0], &st) < 0) {
		snprintf(why, cap, "'%s': %s", argv[0], strerror(errno));
		return ERR_CONFIG;
	}
	if (!S_ISREG(st.st_mode) || access(argv[0], X_OK) < 0) {
		snprintf(why, cap, "'%s': not an executable file", argv[0]);
		return ERR_CONFIG;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* temp files */

int
hook_tmpdir_create(const char *base, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/ovpn-endpoint-XXXXXX", base);

	if (n < 0 || (size_t)n >= cap)
		return ERR_OVERFLOW;
	if (mkdtemp(out) == NULL)
		return ERR_SYS;
	return 0;
}

void
hook_tmpdir_remove(const char *dir)
{
	char path[HOOK_PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* New empty 0600 file "<dir>/<prefix>XXXXXX"; returns its fd (CLOEXEC) or < 0. */
static int
make_temp(const char *dir, const char *prefix, char path[HOOK_PATH_MAX])
{
	int n = snprintf(path, HOOK_PATH_MAX, "%s/%sXXXXXX", dir, prefix);
	int fd;

	if (n < 0 || n >= HOOK_PATH_MAX) {
		path[0] = '\0';
		return ERR_OVERFLOW;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		path[0] = '\0';
		return ERR_SYS;
	}
	return fd;
}

static int
make_empty(const char *dir, const char *prefix, char path[HOOK_PATH_MAX])
{
	int fd = make_temp(dir, prefix, path);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static void
unlink_path(char path[HOOK_PATH_MAX])
{
	if (path[0] != '\0') {
		unlink(path);
		path[0] = '\0';
	}
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYS;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read at most cap bytes of a regular file (O_NOFOLLOW, non-blocking open so
 * a FIFO cannot stall us).  *len = bytes read; *more = the file has more.
 */
static int
read_small(const char *path, char *buf, size_t cap, size_t *len, bool *more)
{
	struct stat st;
	ssize_t n;
	char extra;
	int fd, r = 0;

	*len = 0;
	*more = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return ERR_SYS;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = ERR_MALFORMED;
		goto out;
	}
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ERR_SYS;
			goto out;
		}
		if (n == 0)
			goto out;
		*len += (size_t)n;
	}
	*more = read(fd, &extra, 1) > 0;
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* auth-user-pass-verify */

static void
auth_reset(struct hook_auth *a)
{
	memset(a, 0, sizeof(*a));
	a->watch_fd = -1;
}

int
hook_auth_prepare(struct hook_auth *a, const char *tmpdir, enum hook_auth_via via,
    const char *username, const char *password, struct hook_env *env)
{
	char user[HOOK_CLIENT_VALUE_MAX + 1], pass[HOOK_CLIENT_VALUE_MAX + 1];
	size_t ulen, plen;
	int fd = -1, r;

	auth_reset(a);
	ulen = strnlen(username, HOOK_CLIENT_VALUE_MAX + 1);
	plen = strnlen(password, HOOK_CLIENT_VALUE_MAX + 1);
	if (ulen > HOOK_CLIENT_VALUE_MAX || plen > HOOK_CLIENT_VALUE_MAX)
		return ERR_RANGE;
	remap_printable(user, username, ulen);
	remap_printable(pass, password, plen);

	if ((r = make_empty(tmpdir, "acf-", a->control_file)) != 0 ||
	    (r = make_empty(tmpdir, "apf-", a->pending_file)) != 0 ||
	    (r = make_empty(tmpdir, "arf-", a->reason_file)) != 0)
		goto fail;
	if (via == HOOK_VIA_FILE) {
		if ((fd = make_temp(tmpdir, "up-", a->via_file)) < 0) {
			r = fd;
			goto fail;
		}
		/* Remapping removed CR/LF, so the two lines cannot be forged. */
		if ((r = write_all(fd, user, ulen)) != 0 || (r = write_all(fd, "\n", 1)) != 0 ||
		    (r = write_all(fd, pass, plen)) != 0 || (r = write_all(fd, "\n", 1)) != 0)
			goto fail;
		close(fd);
		fd = -1;
	}
	if ((r = hook_env_set(env, "script_type", "user-pass-verify")) != 0 ||
	    (r = hook_env_set_client(env, "username", user)) != 0 ||
	    (r = hook_env_set(env, "auth_control_file", a->control_file)) != 0 ||
	    (r = hook_env_set(env, "auth_pending_file", a->pending_file)) != 0 ||
	    (r = hook_env_set(env, "auth_failed_reason_file", a->reason_file)) != 0)
		goto fail;
	if (via == HOOK_VIA_ENV)
		r = hook_env_set_client(env, "password", pass);
	else
		hook_env_unset(env, "password");
	if (r != 0)
		goto fail;
	r = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	hook_auth_cleanup(a);
out:
	explicit_bzero(user, sizeof(user));
	explicit_bzero(pass, sizeof(pass));
	return r;
}

const char *const *
hook_auth_args(struct hook_auth *a)
{
	a->args[0] = a->via_file[0] != '\0' ? a->via_file : NULL;
	a->args[1] = NULL;
	return a->args;
}

void
hook_auth_script_done(struct hook_auth *a)
{
	unlink_path(a->via_file);
}

int
hook_auth_watch(struct hook_auth *a)
{
	if (a->watch_fd >= 0)
		return a->watch_fd;
	if ((a->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return ERR_SYS;
	if (inotify_add_watch(a->watch_fd, a->control_file,
	    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close_fd(&a->watch_fd);
		return ERR_SYS;
	}
	return a->watch_fd;
}

void
hook_auth_watch_drain(struct hook_auth *a)
{
	char ev[1024] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (a->watch_fd >= 0 && read(a->watch_fd, ev, sizeof(ev)) > 0)
		;
}

/* "X" or "X\n" with X the expected digit. */
static bool
is_verdict(const char *buf, size_t len, char digit)
{
	return (len == 1 || (len == 2 && buf[1] == '\n')) && buf[0] == digit;
}

int
hook_deferred_poll(const struct hook_auth *a, enum hook_status *st)
{
	char buf[SMALL_READ];
	size_t len;
	bool more;

	if (read_small(a->control_file, buf, sizeof(buf), &len, &more) != 0) {
		*st = HOOK_DENY;
		return 0;
	}
	if (len == 0)
		return ERR_AGAIN;
	*st = !more && is_verdict(buf, len, '1') ? HOOK_ALLOW : HOOK_DENY;
	return 0;
}

size_t
hook_auth_reason(const struct hook_auth *a, char *out, size_t cap)
{
	char buf[HOOK_REASON_MAX];
	size_t len, n = 0;
	bool more;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (read_small(a->reason_file, buf, sizeof(buf), &len, &more) != 0)
		return 0;
	while (n < len && buf[n] != '\n')
		n++;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > cap - 1)
		n = cap - 1;
	remap_printable(out, buf, n);
	return n;
}

void
hook_auth_cleanup(struct hook_auth *a)
{
	unlink_path(a->via_file);
	unlink_path(a->control_file);
	unlink_path(a->pending_file);
	unlink_path(a->reason_file);
	close_fd(&a->watch_fd);
}

/* Next '\n'-terminated line of [p, end); the last line may lack '\n'. */
static bool
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*len = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl != NULL ? nl + 1 : end;
	return true;
}

int
hook_pending_parse(const char *text, size_t len, struct hook_pending *pd)
{
	const char *p = text, *end = text + len, *l;
	size_t ll, i;
	uint32_t t = 0;

	memset(pd, 0, sizeof(*pd));
	/* line 1: timeout in seconds */
	if (!next_line(&p, end, &l, &ll) || ll == 0 || ll > 10)
		return ERR_MALFORMED;
	for (i = 0; i < ll; i++) {
		if (l[i] < '0' || l[i] > '9')
			return ERR_MALFORMED;
		t = t * 10 + (uint32_t)(l[i] - '0');
		if (t > 86400)
			return ERR_RANGE;
	}
	if (t == 0)
		return ERR_RANGE;
	pd->timeout = t;
	/* line 2: method */
	if (!next_line(&p, end, &l, &ll) || ll == 0)
		return ERR_MALFORMED;
	if (ll >= sizeof(pd->method))
		return ERR_RANGE;
	for (i = 0; i < ll; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || l[i] == '_' || l[i] == '-'))
			return ERR_MALFORMED;
	memcpy(pd->method, l, ll);
	/* line 3: extra (may be empty, but must be present) */
	if (!next_line(&p, end, &l, &ll))
		return ERR_MALFORMED;
	if (ll > HOOK_PENDING_EXTRA_MAX)
		return ERR_RANGE;
	for (i = 0; i < ll; i++)
		if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x7e)
			return ERR_MALFORMED;
	memcpy(pd->extra, l, ll);
	if (p != end)
		return ERR_MALFORMED;
	return 0;
}

int
hook_pending_read(const struct hook_auth *a, struct hook_pending *pd)
{
	/* 10 + 31 + extra + three newlines */
	char buf[HOOK_PENDING_EXTRA_MAX + 64];
	size_t len;
	bool more;
	int r;

	if ((r = read_small(a->pending_file, buf, sizeof(buf), &len, &more)) != 0)
		return r;
	if (more)
		return ERR_RANGE;
	if (len == 0)
		return ERR_AGAIN;
	return hook_pending_parse(buf, len, pd);
}

/* ------------------------------------------------------------------ */
/* client-connect */

int
hook_connect_prepare(struct hook_connect *c, const char *tmpdir, struct hook_env *env)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = make_empty(tmpdir, "ccc-", c->config_file)) != 0 ||
	    (r = make_empty(tmpdir, "ccd-", c->deferred_file)) != 0 ||
	    (r = hook_env_set(env, "script_type", "client-connect")) != 0 ||
	    (r = hook_env_set(env, "client_connect_config_file", c->config_file)) != 0 ||
	    (r = hook_env_set(env, "client_connect_deferred_file", c->deferred_file)) != 0) {
		hook_connect_cleanup(c);
		return r;
	}
	return 0;
}

const char *const *
hook_connect_args(struct hook_connect *c)
{
	c->args[0] = c->config_file;
	c->args[1] = NULL;
	return c->args;
}

int
hook_connect_status(const struct hook_connect *c, enum hook_status *st)
{
	char buf[SMALL_READ];
	size_t len;
	bool more;
	int r;

	if ((r = read_small(c->deferred_file, buf, sizeof(buf), &len, &more)) != 0)
		return r;
	if (len == 0 || (!more && is_verdict(buf, len, '1')))
		*st = HOOK_ALLOW;
	else if (buf[0] == '2')
		*st = HOOK_DEFERRED;
	else
		*st = HOOK_DENY;
	return 0;
}

int
hook_connect_read_config(const struct hook_connect *c, char *out, size_t cap, size_t *len)
{
	bool more;
	int r;

	*len = 0;
	if (cap == 0)
		return ERR_OVERFLOW;
	if ((r = read_small(c->config_file, out, cap - 1, len, &more)) != 0)
		return r;
	out[*len] = '\0';
	if (more || *len > HOOK_CONNECT_CONFIG_MAX)
		return ERR_RANGE;
	return 0;
}

void
hook_connect_cleanup(struct hook_connect *c)
{
	unlink_path(c->config_file);
	unlink_path(c->deferred_file);
}
