/*
 * privdrop.c - switch to the configured user/group, keep only CAP_NET_ADMIN
 * (security promise P17; OpenVPN's `user`/`group` directives).
 *
 * Design:
 *  - Resolution (names -> ids) is separate from application, so a bad name
 *    is a configuration error at startup, not a failure after the tunnel is
 *    half up.  getpwnam_r/getgrnam_r with a growing buffer: NSS entries
 *    have no fixed size bound.
 *  - Application order: no_new_privs first (it never needs privilege and
 *    stops any later exec from gaining some); then libcap-ng does the id
 *    switch: keep-caps on, intermediate capability set {NET_ADMIN, SETUID,
 *    SETGID, SETPCAP}, bounding set emptied while SETPCAP is still held,
 *    setresgid, setgroups(0), setresuid, keep-caps off, final set
 *    {NET_ADMIN}.  Without an id change, capng_apply() does the same minus
 *    the set*id calls (bounding set before capset, since capset drops the
 *    SETPCAP the bounding change needs).
 *  - Supplementary groups are dropped, not initialised from the target
 *    account: every file the daemon needs after the drop is reachable
 *    through its own uid/gid, and other memberships (adm, ssl-cert, ...)
 *    would only widen what a compromised process can read.
 *  - The bounding set is emptied, CAP_NET_ADMIN included: the bounding set
 *    only limits what execve can grant, and nothing we execute should get
 *    anything.  A process that stays uid 0 regains its bounding set on
 *    every execve (no_new_privs does not stop that), so staying root
 *    without CAP_SETPCAP to empty it is refused.
 *  - Trust but verify: after applying, /proc/self/status is read back and
 *    every promised property is checked; any mismatch is an error and the
 *    caller exits.  Setting ids also makes the kernel mark us non-dumpable,
 *    which keeps other processes of the same user out of our memory.
 *
 * Invariant: privdrop_apply() runs single-threaded (capabilities are per
 * thread; glibc only broadcasts set*id, not capset), checked via Threads:.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "err.h"
#include "privdrop.h"

_Static_assert(PRIVDROP_CAP_NET_ADMIN == CAP_NET_ADMIN, "CAP_NET_ADMIN bit");

#define CAPBIT(c) (UINT64_C(1) << (c))
#define LOOKUP_BUF_MAX (1024 * 1024)   /* NSS record size we give up at */
#define STATUS_MAX 16384               /* /proc/self/status is ~1.5 KiB */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Names end up quoted in error messages and log lines: printable ASCII
 * only, and never ':' (the passwd field separator).
 */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PRIVDROP_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == ':')
			return false;
	return true;
}

/* getpw*_r and getgr*_r report "no such entry" in several ways. */
static bool
lookup_absent(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH;
}

static int
lookup_user(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	size_t blen = 1024;
	char *b = NULL;
	int e, rc;

	for (;;) {
		if ((b = malloc(blen)) == NULL) {
			rc = ERR_NOMEM;
			seterr(err, errlen, "user %s: out of memory", name);
			goto out;
		}
		e = getpwnam_r(name, &pw, b, blen, &res);
		if (e != ERANGE || blen >= LOOKUP_BUF_MAX)
			break;
		free(b);
		b = NULL;
		blen *= 2;
	}
	if (res == NULL && lookup_absent(e)) {
		rc = ERR_NOTFOUND;
		seterr(err, errlen, "user %s: no such user", name);
		goto out;
	}
	if (res == NULL) {
		errno = e;
		rc = ERR_SYS;
		seterr(err, errlen, "user %s: lookup failed: %s", name, strerror(e));
		goto out;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	rc = 0;
out:
	free(b);
	return rc;
}

static int
lookup_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	size_t blen = 1024;
	char *b = NULL;
	int e, rc;

	for (;;) {
		if ((b = malloc(blen)) == NULL) {
			rc = ERR_NOMEM;
			seterr(err, errlen, "group %s: out of memory", name);
			goto out;
		}
		e = getgrnam_r(name, &gr, b, blen, &res);
		if (e != ERANGE || blen >= LOOKUP_BUF_MAX)
			break;
		free(b);
		b = NULL;
		blen *= 2;
	}
	if (res == NULL && lookup_absent(e)) {
		rc = ERR_NOTFOUND;
		seterr(err, errlen, "group %s: no such group", name);
		goto out;
	}
	if (res == NULL) {
		errno = e;
		rc = ERR_SYS;
		seterr(err, errlen, "group %s: lookup failed: %s", name, strerror(e));
		goto out;
	}
	*gid = gr.gr_gid;
	rc = 0;
out:
	free(b);
	return rc;
}

int
privdrop_resolve(const char *user, const char *group, struct privdrop *out,
    char *err, size_t errlen)
{
	struct privdrop p;
	gid_t pgid = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	if (out == NULL) {
		seterr(err, errlen, "privdrop_resolve: no output");
		return ERR_INVAL;
	}
	memset(out, 0, sizeof(*out));
	if (user != NULL && user[0] != '\0') {
		if (!name_ok(user)) {
			seterr(err, errlen, "user: name is too long or has characters outside printable ASCII");
			return ERR_INVAL;
		}
		if ((rc = lookup_user(user, &p.uid, &pgid, err, errlen)) != 0)
			return rc;
		if (p.uid == 0) {
			seterr(err, errlen, "user %s: has uid 0, so no privilege would be dropped", user);
			return ERR_CONFIG;
		}
		p.set_uid = true;
		p.gid = pgid;
		p.set_gid = true;
		snprintf(p.user, sizeof(p.user), "%s", user);
	}
	if (group != NULL && group[0] != '\0') {
		if (!name_ok(group)) {
			seterr(err, errlen, "group: name is too long or has characters outside printable ASCII");
			return ERR_INVAL;
		}
		if ((rc = lookup_group(group, &p.gid, err, errlen)) != 0)
			return rc;
		p.set_gid = true;
		snprintf(p.group, sizeof(p.group), "%s", group);
	}
	*out = p;
	return 0;
}

bool
privdrop_keeps_ids(const struct privdrop *p)
{
	return !p->set_uid && !p->set_gid;
}

/* ---- /proc/self/status ---- */

enum {
	F_UID = 1 << 0, F_GID = 1 << 1, F_GROUPS = 1 << 2, F_INH = 1 << 3,
	F_PRM = 1 << 4, F_EFF = 1 << 5, F_BND = 1 << 6, F_AMB = 1 << 7,
	F_NNP = 1 << 8, F_THREADS = 1 << 9,
	F_REQUIRED = F_UID | F_GID | F_GROUPS | F_INH | F_PRM | F_EFF | F_BND | F_THREADS,
};

static void
skip_blank(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* One unsigned decimal of at most `max`; at least one digit, no sign. */
static int
get_dec(const char **p, const char *end, uint64_t max, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s == end || *s < '0' || *s > '9')
		return ERR_MALFORMED;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > max || x > (max - d) / 10)
			return ERR_MALFORMED;
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return 0;
}

/* 1..16 hex digits filling a 64-bit mask. */
static int
get_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	unsigned n = 0;

	for (; s < end; s++, n++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (n == 16)
			return ERR_MALFORMED;
		x = x << 4 | d;
	}
	if (n == 0)
		return ERR_MALFORMED;
	*p = s;
	*v = x;
	return 0;
}

/* The four ids of a Uid:/Gid: line: real, effective, saved, filesystem. */
static int
get_ids(const char **p, const char *end, uint32_t ids[4])
{
	uint64_t v;
	int i;

	for (i = 0; i < 4; i++) {
		skip_blank(p, end);
		if (get_dec(p, end, UINT32_MAX, &v) != 0)
			return ERR_MALFORMED;
		ids[i] = (uint32_t)v;
	}
	return 0;
}

/* Parse the value of one known key; *p ends at the line's end on success. */
static int
parse_field(unsigned f, const char *p, const char *end, struct privdrop_status *s)
{
	uint32_t ids[4];
	uint64_t v;

	skip_blank(&p, end);
	switch (f) {
	case F_UID:
		if (get_ids(&p, end, ids) != 0)
			return ERR_MALFORMED;
		s->ruid = ids[0], s->euid = ids[1], s->suid = ids[2], s->fsuid = ids[3];
		break;
	case F_GID:
		if (get_ids(&p, end, ids) != 0)
			return ERR_MALFORMED;
		s->rgid = ids[0], s->egid = ids[1], s->sgid = ids[2], s->fsgid = ids[3];
		break;
	case F_GROUPS:
		s->ngroups = 0;
		while (p < end) {
			if (get_dec(&p, end, UINT32_MAX, &v) != 0 || s->ngroups == UINT32_MAX)
				return ERR_MALFORMED;
			s->ngroups++;
			skip_blank(&p, end);
		}
		break;
	case F_INH:
	case F_PRM:
	case F_EFF:
	case F_BND:
	case F_AMB:
		if (get_hex(&p, end, &v) != 0)
			return ERR_MALFORMED;
		if (f == F_INH)
			s->cap_inh = v;
		else if (f == F_PRM)
			s->cap_prm = v;
		else if (f == F_EFF)
			s->cap_eff = v;
		else if (f == F_BND)
			s->cap_bnd = v;
		else
			s->cap_amb = v;
		break;
	case F_NNP:
		if (get_dec(&p, end, 1, &v) != 0)
			return ERR_MALFORMED;
		s->no_new_privs = (int)v;
		break;
	case F_THREADS:
		if (get_dec(&p, end, UINT32_MAX, &v) != 0 || v == 0)
			return ERR_MALFORMED;
		s->threads = (unsigned)v;
		break;
	default:
		return ERR_MALFORMED;
	}
	skip_blank(&p, end);
	return p == end ? 0 : ERR_MALFORMED;
}

static unsigned
field_of(const char *key, size_t n)
{
	static const struct { const char *k; unsigned f; } tab[] = {
		{ "Uid", F_UID }, { "Gid", F_GID }, { "Groups", F_GROUPS },
		{ "CapInh", F_INH }, { "CapPrm", F_PRM }, { "CapEff", F_EFF },
		{ "CapBnd", F_BND }, { "CapAmb", F_AMB }, { "NoNewPrivs", F_NNP },
		{ "Threads", F_THREADS },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].k) == n && memcmp(tab[i].k, key, n) == 0)
			return tab[i].f;
	return 0;
}

int
privdrop_status_parse(const char *text, size_t len, struct privdrop_status *out)
{
	struct privdrop_status s;
	const char *p = text, *end = text + len;
	unsigned seen = 0;

	if (text == NULL || out == NULL)
		return ERR_INVAL;
	memset(&s, 0, sizeof(s));
	s.no_new_privs = -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon;
		unsigned f;

		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && (f = field_of(p, (size_t)(colon - p))) != 0) {
			if ((seen & f) != 0)
				return ERR_MALFORMED;
			if (parse_field(f, colon + 1, eol, &s) != 0)
				return ERR_MALFORMED;
			seen |= f;
		}
		p = eol < end ? eol + 1 : end;
	}
	if ((seen & F_REQUIRED) != F_REQUIRED)
		return ERR_MALFORMED;
	*out = s;
	return 0;
}

int
privdrop_status(struct privdrop_status *out)
{
	char text[STATUS_MAX];
	size_t len = 0;
	ssize_t n;
	int fd, rc, nnp;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) < 0)
		return ERR_SYS;
	for (;;) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ERR_SYS;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(text)) {
			rc = ERR_OVERFLOW;
			goto out;
		}
	}
	if ((rc = privdrop_status_parse(text, len, out)) != 0)
		goto out;
	if (out->no_new_privs < 0 && (nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)) >= 0)
		out->no_new_privs = nnp;
out:
	nnp = errno;   /* close() must not clobber the errno of ERR_SYS */
	close(fd);
	errno = nnp;
	return rc;
}

int
privdrop_status_format(const struct privdrop_status *s, char *out, size_t len)
{
	int n;

	n = snprintf(out, len,
	    "uid=%u/%u/%u gid=%u/%u/%u groups=%u cap_eff=0x%llx cap_prm=0x%llx "
	    "cap_bnd=0x%llx cap_amb=0x%llx no_new_privs=%d",
	    (unsigned)s->ruid, (unsigned)s->euid, (unsigned)s->suid,
	    (unsigned)s->rgid, (unsigned)s->egid, (unsigned)s->sgid, s->ngroups,
	    (unsigned long long)s->cap_eff, (unsigned long long)s->cap_prm,
	    (unsigned long long)s->cap_bnd, (unsigned long long)s->cap_amb,
	    s->no_new_privs);
	return n >= 0 && (size_t)n < len ? 0 : ERR_OVERFLOW;
}

/* ---- applying ---- */

static const char *
change_id_reason(int rc)
{
	switch (rc) {
	case -1: return "libcap-ng not initialised";
	case -2: return "cannot keep capabilities across the uid change";
	case -3: return "cannot apply the intermediate capability set";
	case -4: return "cannot change gid";
	case -5: return "cannot drop supplementary groups";
	case -6: return "cannot change uid";
	case -7: return "cannot clear keep-capabilities";
	case -8: return "cannot clear the bounding set";
	case -9: return "cannot drop the remaining capabilities";
	default: return "failed";
	}
}

static bool
all_ids(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t want)
{
	return a == want && b == want && c == want && d == want;
}

/* Read the result back: anything short of the promise is an error. */
static int
verify(const struct privdrop *p, bool changed_uid, bool changed_gid, uint64_t want,
    bool cleared_bnd, char *err, size_t errlen)
{
	struct privdrop_status st;
	char line[256];
	const char *what = NULL;

	if (privdrop_status(&st) != 0) {
		seterr(err, errlen, "privilege drop: cannot read back /proc/self/status: %s",
		    strerror(errno));
		return ERR_SYS;
	}
	if (changed_uid && !all_ids(st.ruid, st.euid, st.suid, st.fsuid, p->uid))
		what = "uid";
	else if (changed_gid && !all_ids(st.rgid, st.egid, st.sgid, st.fsgid, p->gid))
		what = "gid";
	else if (changed_gid && st.ngroups != 0)
		what = "supplementary groups";
	else if (st.cap_eff != want || st.cap_prm != want)
		what = "effective/permitted capabilities";
	else if (st.cap_inh != 0 || st.cap_amb != 0)
		what = "inheritable/ambient capabilities";
	else if (cleared_bnd && st.cap_bnd != 0)
		what = "bounding set";
	else if (st.no_new_privs != 1)
		what = "no_new_privs";
	if (what == NULL)
		return 0;
	privdrop_status_format(&st, line, sizeof(line));
	seterr(err, errlen, "privilege drop: %s not as requested (%s)", what, line);
	return ERR_BADSTATE;
}

int
privdrop_apply(const struct privdrop *p, char *err, size_t errlen)
{
	struct privdrop_status st;
	int uid = -1, gid = -1, rc;
	bool change, stays_root, setpcap;
	uint64_t want;

	if (p == NULL) {
		seterr(err, errlen, "privdrop_apply: no settings");
		return ERR_INVAL;
	}
	if ((rc = privdrop_status(&st)) != 0) {
		seterr(err, errlen, "privilege drop: cannot read /proc/self/status: %s",
		    rc == ERR_SYS ? strerror(errno) : err_str(rc));
		return rc;
	}
	if (st.threads != 1) {
		seterr(err, errlen, "privilege drop must happen before any thread starts "
		    "(%u threads)", st.threads);
		return ERR_BADSTATE;
	}
	/* Asking for the ids we already have needs no capability (tests, or an
	 * unprivileged start as the configured user). */
	if (p->set_uid && !all_ids(st.ruid, st.euid, st.suid, st.fsuid, p->uid))
		uid = (int)p->uid;
	if (p->set_gid && (!all_ids(st.rgid, st.egid, st.sgid, st.fsgid, p->gid) ||
	    st.ngroups != 0))
		gid = (int)p->gid;
	change = uid != -1 || gid != -1;
	if (uid != -1 && (st.cap_prm & CAPBIT(CAP_SETUID)) == 0) {
		seterr(err, errlen, "user %s: cannot switch to uid %u without CAP_SETUID",
		    p->user, (unsigned)p->uid);
		return ERR_CONFIG;
	}
	if (gid != -1 && (st.cap_prm & CAPBIT(CAP_SETGID)) == 0) {
		seterr(err, errlen, "group %s: cannot switch to gid %u without CAP_SETGID",
		    p->group[0] != '\0' ? p->group : p->user, (unsigned)p->gid);
		return ERR_CONFIG;
	}
	/* libcap-ng raises SETPCAP from the permitted set during an id change;
	 * a plain capng_apply() needs it effective already. */
	setpcap = (change ? st.cap_prm : st.cap_eff) & CAPBIT(CAP_SETPCAP);
	stays_root = uid != -1 ? p->uid == 0 : (st.ruid == 0 || st.euid == 0 || st.suid == 0);
	if (stays_root && !setpcap && st.cap_bnd != 0) {
		seterr(err, errlen, "privilege drop: staying root without CAP_SETPCAP leaves "
		    "the bounding set, so executed programs would regain root's "
		    "capabilities; configure `user`");
		return ERR_CONFIG;
	}
	want = st.cap_prm & CAPBIT(CAP_NET_ADMIN);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		seterr(err, errlen, "privilege drop: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return ERR_SYS;
	}
	capng_clear(CAPNG_SELECT_ALL);
	if (want != 0 &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN) != 0) {
		seterr(err, errlen, "privilege drop: libcap-ng refused CAP_NET_ADMIN");
		return ERR_SYS;
	}
	if (change) {
		capng_flags_t fl = CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT;

		if (setpcap)
			fl |= CAPNG_CLEAR_BOUNDING;
		if ((rc = capng_change_id(uid, gid, fl)) != 0) {
			seterr(err, errlen, "privilege drop to uid %u gid %u: %s (libcap-ng %d): %s",
			    (unsigned)p->uid, (unsigned)p->gid, change_id_reason(rc), rc,
			    strerror(errno));
			return ERR_SYS;
		}
	} else {
		capng_select_t sel = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;

		if (setpcap)
			sel = CAPNG_SELECT_ALL;
		if (capng_apply(sel) != 0) {
			seterr(err, errlen, "privilege drop: applying capabilities: %s",
			    strerror(errno));
			return ERR_SYS;
		}
	}
	return verify(p, uid != -1, gid != -1, want, setpcap, err, errlen);
}
