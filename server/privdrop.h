/*
 * privdrop.h - give up root after setup (security promise P17).
 *
 * Two steps, parse then act:
 *
 *   privdrop_resolve()  at configuration time: turns the `user NAME` and
 *                       `group NAME` directives into numeric ids, so a typo
 *                       fails at startup with a clear message, before any
 *                       socket or tun device exists.
 *   privdrop_apply()    once setup is done (tun open, sockets bound, keys
 *                       loaded, ip_forward written): changes ids and drops
 *                       every capability except CAP_NET_ADMIN.
 *
 * After a successful apply the process has:
 *   - real, effective and saved uid/gid of the configured user/group;
 *   - no supplementary groups (setgroups(0), not initgroups: the target
 *     account's other memberships grant access we never asked for);
 *   - CAP_NET_ADMIN in its effective and permitted sets if it had it before,
 *     nothing else; empty inheritable and ambient sets;
 *   - an empty bounding set when CAP_SETPCAP was available;
 *   - no_new_privs set, so nothing it executes can gain privileges.
 * Executed children (hooks) therefore start with no capabilities at all.
 *
 * Without `user`/`group` the ids are kept but the capability and
 * no_new_privs part still runs: a root daemon that forgot `user` keeps
 * only CAP_NET_ADMIN (root without capabilities still owns root's files,
 * so `user` is what fully delivers P17; the caller should warn).
 *
 * Capabilities are per thread: privdrop_apply() refuses to run in a
 * process with more than one thread.
 */
#ifndef OVPN_PRIVDROP_H
#define OVPN_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PRIVDROP_NAME_MAX 64       /* longest user or group name accepted, with NUL */
#define PRIVDROP_CAP_NET_ADMIN 12  /* the one capability kept */

struct privdrop {
	bool set_uid;                     /* `user` given */
	bool set_gid;                     /* `group` given, or implied by `user` */
	uid_t uid;
	gid_t gid;
	char user[PRIVDROP_NAME_MAX];     /* names for messages; "" = not configured */
	char group[PRIVDROP_NAME_MAX];
};

/*
 * Resolve names with getpwnam_r/getgrnam_r.  NULL or "" means "not
 * configured".  `user` without `group` takes the user's primary group
 * (OpenVPN would leave the gid at root's).  A user whose uid is 0 is
 * refused: it would drop nothing.  A group without a user is allowed and
 * changes only the gid.
 * Returns 0, ERR_NOTFOUND (no such name), ERR_CONFIG (uid 0), ERR_INVAL
 * (empty/overlong/unprintable name or NULL out), ERR_NOMEM or ERR_SYS
 * (lookup failed; errno set).  On failure a one-line reason naming the
 * directive is written to err (if err != NULL and errlen > 0) and *out is
 * zeroed.
 */
int privdrop_resolve(const char *user, const char *group, struct privdrop *out,
    char *err, size_t errlen);

/* True when p changes no id (neither `user` nor `group` configured). */
bool privdrop_keeps_ids(const struct privdrop *p);

/*
 * Drop privileges as described above, then read /proc/self/status back and
 * check the result.  Must be called single-threaded, after setup.
 * Returns 0, or ERR_BADSTATE (more than one thread; or the state read back
 * is not what was asked for), ERR_SYS (a prctl, set*id or capset failed;
 * errno set), ERR_CONFIG (an id change was asked for but CAP_SETUID /
 * CAP_SETGID is missing; or we stay root and cannot clear the bounding set
 * for lack of CAP_SETPCAP).  On failure err holds the reason and the
 * process may be half-dropped: the only safe reaction is to exit.
 */
int privdrop_apply(const struct privdrop *p, char *err, size_t errlen);

/* Credentials and capability state, as /proc/self/status reports them. */
struct privdrop_status {
	uid_t ruid, euid, suid, fsuid;
	gid_t rgid, egid, sgid, fsgid;
	unsigned ngroups;          /* supplementary groups */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;   /* cap_amb 0 if absent */
	int no_new_privs;          /* 0 or 1; -1 if the kernel did not say */
	unsigned threads;
};

/*
 * Pure parser for the text of /proc/<pid>/status (len bytes, need not be
 * NUL-terminated).  Uid, Gid, Groups, CapInh, CapPrm, CapEff, CapBnd and
 * Threads are required; CapAmb and NoNewPrivs are optional (older kernels).
 * Unknown lines are ignored.  Returns 0, or ERR_MALFORMED (a required field
 * missing or repeated, a bad number).
 */
int privdrop_status_parse(const char *text, size_t len, struct privdrop_status *out);

/*
 * Read /proc/self/status into *out.  NoNewPrivs missing from the file is
 * taken from prctl(PR_GET_NO_NEW_PRIVS).  Returns 0, ERR_SYS (errno set),
 * ERR_OVERFLOW (file over 16 KiB) or ERR_MALFORMED.
 */
int privdrop_status(struct privdrop_status *out);

/*
 * One log line: "uid=R/E/S gid=R/E/S groups=N cap_eff=0x.. cap_prm=0x..
 * cap_bnd=0x.. cap_amb=0x.. no_new_privs=N".  Returns 0 or ERR_OVERFLOW
 * (out is then truncated but NUL-terminated if len > 0).
 */
int privdrop_status_format(const struct privdrop_status *s, char *out, size_t len);

#endif
