/*
 * ovpn-pki - a small CA for ovpn-endpoint and stock OpenVPN 2.6 clients.
 *
 *   ovpn-pki [--dir DIR] COMMAND [ARGS] [OPTIONS]
 *
 * DIR is --dir, else $OVPN_PKI_DIR, else ./pki; its layout is described in
 * store.c.  Commands are a table (as in wireguard-tools' wg.c): each row
 * names the options it takes, and one parser serves them all, so an option
 * given to the wrong command is an error rather than silently ignored.
 *
 * Conventions: every command holds the directory lock for its whole run;
 * nothing is overwritten without --force; every error is one line on
 * stderr, "ovpn-pki: ...", and exit status 1; success is exit status 0
 * with a short note on stdout (export writes only the profile there).
 *
 * Order of writes in issue-*: the index first, then the key, then the
 * certificate.  A crash in between leaves an index entry without files
 * (harmless, and revocable) rather than a valid certificate the index
 * does not know about (which could never be put on a CRL).
 *
 * Default lifetimes: CA 3650 days, leaves 825 days (easy-rsa's), CRL 180
 * days.  The CRL default is long because an expired CRL makes OpenSSL, and
 * so OpenVPN and the endpoint, refuse every client; a short nextUpdate
 * buys nothing here, since the endpoint reads crl.pem directly and a
 * revocation takes effect the moment the file is replaced, not when the
 * old CRL runs out.  Run `gen-crl` again well before it expires.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "ca.h"
#include "err.h"
#include "profile.h"
#include "store.h"
#include "tckey.h"

enum {
	CA_DAYS = 3650,
	LEAF_DAYS = 825,
	CRL_DAYS = 180,
	DAYS_MAX = 36500,
	DAY_SEC = 86400,
};

enum {
	O_DIR = 1 << 0, O_FORCE = 1 << 1, O_ALGO = 1 << 2, O_CN = 1 << 3, O_DAYS = 1 << 4,
	O_SAN = 1 << 5, O_META = 1 << 6, O_REMOTE = 1 << 7, O_PROTO = 1 << 8, O_PORT = 1 << 9,
	O_AUP = 1 << 10, O_SERVER = 1 << 11, O_OU = 1 << 12,
};

static const struct optdef {
	const char *name;
	unsigned bit;
	bool takes_arg;
} optdefs[] = {
	{ "--dir", O_DIR, true }, { "--force", O_FORCE, false }, { "--algo", O_ALGO, true },
	{ "--cn", O_CN, true }, { "--days", O_DAYS, true }, { "--san", O_SAN, true },
	{ "--ou", O_OU, true },
	{ "--metadata", O_META, true }, { "--remote", O_REMOTE, true }, { "--proto", O_PROTO, true },
	{ "--port", O_PORT, true }, { "--auth-user-pass", O_AUP, false },
	{ "--server", O_SERVER, true },
};

struct opts {
	const char *cmd;
	const char *dir;
	bool force, auth_user_pass;
	const char *algo, *cn, *days, *metadata, *proto, *port, *server;
	const char *sans[CA_SAN_MAX];
	size_t nsans;
	const char *ous[CA_OU_MAX];
	size_t nous;
	const char *remotes[PROFILE_REMOTES_MAX];
	size_t nremotes;
	const char *args[2];
	size_t nargs;
};

/* An open PKI directory, with the CA loaded when the command needs it. */
struct pki {
	struct store st;
	X509 *ca;
	EVP_PKEY *ca_key;
	struct store_index idx;
	int64_t now;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "ovpn-pki: MESSAGE" on stderr; returns the exit status 1. */
static int
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ovpn-pki: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Text for a failed call; for ERR_SYS, errno as the call left it. */
static const char *
why(int r, int saved_errno)
{
	return r == ERR_SYS ? strerror(saved_errno) : err_str(r);
}

static void
free_secret(char *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

static int
parse_days(const struct opts *o, long def, long *out)
{
	char *end;
	long v;

	if (o->days == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtol(o->days, &end, 10);
	if (errno != 0 || end == o->days || *end != '\0' || v < 1 || v > DAYS_MAX)
		return fail("%s: --days wants a whole number of days, 1 to %d", o->cmd, DAYS_MAX);
	*out = v;
	return 0;
}

static int
check_name(const struct opts *o, const char *name)
{
	if (store_name_valid(name))
		return 0;
	return fail("%s: bad name '%s': use 1 to %d of A-Z a-z 0-9 . _ @ -, not starting with '.'",
	    o->cmd, name, STORE_NAME_MAX);
}

static void
fmt_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "?");
}

/* Write a file, explaining a refusal; the "--force" hint only where it applies. */
static int
write_or_fail(const struct opts *o, const char *path, const void *data, size_t len, mode_t mode,
	      bool replace)
{
	int r = store_write_file(path, data, len, mode, replace);

	if (r == ERR_EXISTS)
		return fail("%s: %s exists: use --force to replace it", o->cmd, path);
	if (r != 0)
		return fail("%s: cannot write %s: %s", o->cmd, path, why(r, errno));
	return 0;
}

/* Read a key file into secret memory (caller free_secret()s it). */
static int
read_or_fail(const struct opts *o, const char *path, char **text, size_t *len)
{
	int r = store_read_file(path, STORE_FILE_MAX, text, len);

	if (r != 0)
		return fail("%s: cannot read %s: %s", o->cmd, path, why(r, errno));
	return 0;
}

static void
pki_close(struct pki *p)
{
	X509_free(p->ca);
	EVP_PKEY_free(p->ca_key);
	store_index_free(&p->idx);
	store_close(&p->st);
	memset(p, 0, sizeof(*p));
	p->st.dirfd = -1;
}

/* Open DIR, load the CA (and its key) and the index. */
static int
pki_open(struct pki *p, const struct opts *o)
{
	char path[STORE_PATH_MAX], *text = NULL;
	size_t len = 0, bad = 0;
	int r;

	memset(p, 0, sizeof(*p));
	p->now = (int64_t)time(NULL);
	if ((r = store_open(&p->st, o->dir, false)) == ERR_NOTFOUND)
		return fail("no CA in %s: run 'ovpn-pki init' first", o->dir);
	if (r != 0)
		return fail("cannot open %s: %s", o->dir, why(r, errno));
	store_path(&p->st, STORE_CA_CRT, NULL, path, sizeof(path));
	if (!store_exists(path)) {
		pki_close(p);
		return fail("no CA in %s: run 'ovpn-pki init' first", o->dir);
	}
	if (read_or_fail(o, path, &text, &len) != 0)
		goto out_close;
	r = ca_load_cert(text, len, &p->ca);
	free(text);
	if (r != 0) {
		fail("%s: %s holds no certificate", o->cmd, path);
		goto out_close;
	}
	store_path(&p->st, STORE_CA_KEY, NULL, path, sizeof(path));
	if (read_or_fail(o, path, &text, &len) != 0)
		goto out_close;
	r = ca_load_key(text, len, &p->ca_key);
	free_secret(text, len);
	if (r != 0) {
		fail("%s: %s holds no usable private key (encrypted keys are not supported)", o->cmd, path);
		goto out_close;
	}
	if (!ca_key_matches(p->ca, p->ca_key)) {
		fail("%s: %s does not belong to %s/ca.crt", o->cmd, path, o->dir);
		goto out_close;
	}
	if ((r = store_index_load(&p->st, &p->idx, &bad)) != 0) {
		if (r == ERR_MALFORMED)
			fail("%s: %s/index:%zu: malformed line (restore the index from a backup)",
			    o->cmd, o->dir, bad);
		else
			fail("%s: cannot read %s/index: %s", o->cmd, o->dir, why(r, errno));
		goto out_close;
	}
	return 0;
out_close:
	pki_close(p);
	return 1;
}

static int
save_index(struct pki *p, const struct opts *o)
{
	int r = store_index_save(&p->st, &p->idx);

	if (r != 0)
		return fail("%s: cannot write %s/index: %s", o->cmd, o->dir, why(r, errno));
	return 0;
}

/* (Re)write crl.pem from the index, valid for days. */
static int
write_crl(struct pki *p, const struct opts *o, long days)
{
	struct ca_revoked *rv;
	X509_CRL *crl = NULL;
	char path[STORE_PATH_MAX], *pem = NULL;
	size_t i, n = 0, len;
	int r, ret = 1;

	if ((rv = calloc(p->idx.n + 1, sizeof(*rv))) == NULL)
		return fail("%s: out of memory", o->cmd);
	for (i = 0; i < p->idx.n; i++) {
		if (p->idx.v[i].revoked_at == 0)
			continue;
		memcpy(rv[n].serial, p->idx.v[i].serial, STORE_SERIAL_LEN);
		rv[n++].when = p->idx.v[i].revoked_at;
	}
	if ((r = ca_crl(p->ca, p->ca_key, rv, n, p->now, p->now + days * DAY_SEC, &crl)) != 0 ||
	    (r = ca_pem_crl(crl, &pem, &len)) != 0) {
		fail("%s: cannot make the CRL: %s", o->cmd, err_str(r));
		goto out;
	}
	store_path(&p->st, STORE_CRL, NULL, path, sizeof(path));
	if (write_or_fail(o, path, pem, len, 0644, true) != 0)
		goto out;
	printf("wrote %s (%zu revoked, next update in %ld days)\n", path, n, days);
	ret = 0;
out:
	free(pem);
	X509_CRL_free(crl);
	free(rv);
	return ret;
}

/* ---- commands ---- */

static int
cmd_init(const struct opts *o)
{
	struct pki p;
	enum ca_algo algo = CA_ALGO_EC;
	struct ca_req req = { .kind = CA_KIND_ROOT };
	char crt[STORE_PATH_MAX], key[STORE_PATH_MAX], idx[STORE_PATH_MAX];
	char *crt_pem = NULL, *key_pem = NULL;
	size_t crt_len = 0, key_len = 0, i;
	long days;
	int r, ret = 1;

	if (o->algo != NULL && ca_algo_parse(o->algo, &algo) != 0)
		return fail("init: unknown --algo '%s' (ec, rsa2048, rsa3072, rsa4096, ed25519)", o->algo);
	if (parse_days(o, CA_DAYS, &days) != 0)
		return 1;
	req.cn = o->cn != NULL ? o->cn : "ovpn-endpoint CA";
	for (i = 0; req.cn[i] != '\0'; i++)
		if ((unsigned char)req.cn[i] < 0x20 || req.cn[i] == 0x7f)
			break;
	if (req.cn[0] == '\0' || req.cn[i] != '\0' || i > CA_CN_MAX)
		return fail("init: --cn wants 1 to %d characters, no control characters", CA_CN_MAX);

	memset(&p, 0, sizeof(p));
	p.now = (int64_t)time(NULL);
	if ((r = store_open(&p.st, o->dir, true)) != 0)
		return fail("init: cannot create %s: %s", o->dir, why(r, errno));
	store_path(&p.st, STORE_CA_CRT, NULL, crt, sizeof(crt));
	store_path(&p.st, STORE_CA_KEY, NULL, key, sizeof(key));
	store_path(&p.st, STORE_INDEX, NULL, idx, sizeof(idx));
	if (!o->force && (store_exists(crt) || store_exists(key) || store_exists(idx))) {
		fail("init: a CA already exists in %s: use --force to replace it "
		    "(every certificate it issued stops working)", o->dir);
		goto out;
	}
	req.not_before = p.now - CA_BACKDATE_SEC;
	req.not_after = p.now + days * DAY_SEC;
	if ((r = ca_keygen(algo, &p.ca_key)) != 0 || (r = ca_serial_random(req.serial)) != 0 ||
	    (r = ca_sign(&req, p.ca_key, NULL, NULL, &p.ca)) != 0 ||
	    (r = ca_pem_cert(p.ca, &crt_pem, &crt_len)) != 0 ||
	    (r = ca_pem_key(p.ca_key, &key_pem, &key_len)) != 0) {
		fail("init: cannot make the CA: %s", err_str(r));
		goto out;
	}
	/* A fresh index: certificates of a replaced CA mean nothing to the new one. */
	if (write_or_fail(o, key, key_pem, key_len, 0600, o->force) != 0 ||
	    write_or_fail(o, crt, crt_pem, crt_len, 0644, o->force) != 0 ||
	    save_index(&p, o) != 0)
		goto out;
	printf("created CA '%s' in %s (%s, %ld days)\n", req.cn, o->dir,
	    o->algo != NULL ? o->algo : "ec", days);
	/* An empty CRL from the start, so crl-verify can be configured at once. */
	ret = write_crl(&p, o, CRL_DAYS);
out:
	free(crt_pem);
	free_secret(key_pem, key_len);
	pki_close(&p);
	return ret;
}

static int
cmd_issue(const struct opts *o, enum store_kind kind)
{
	struct pki p;
	struct ca_req req = { .kind = kind == STORE_KIND_SERVER ? CA_KIND_SERVER : CA_KIND_CLIENT };
	struct store_entry e, *old;
	enum ca_algo algo;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char crt[STORE_PATH_MAX], keyp[STORE_PATH_MAX], hex[2 * STORE_SERIAL_LEN + 1];
	char *crt_pem = NULL, *key_pem = NULL;
	const char *name = o->args[0];
	size_t crt_len = 0, key_len = 0, i;
	int64_t ca_end;
	bool superseded = false;
	long days;
	int r, ret = 1;

	if (check_name(o, name) != 0 || parse_days(o, LEAF_DAYS, &days) != 0)
		return 1;
	for (i = 0; i < o->nsans; i++)
		if (!ca_san_valid(o->sans[i]))
			return fail("%s: bad --san '%s': use DNS:host.name or IP:address", o->cmd,
			    o->sans[i]);
	for (i = 0; i < o->nous; i++) {
		size_t k, n = strlen(o->ous[i]);

		for (k = 0; k < n; k++)
			if (!isalnum((unsigned char)o->ous[i][k]) && strchr("._@-", o->ous[i][k]) == NULL)
				break;
		if (n == 0 || n > 63 || k < n)
			return fail("%s: bad --ou '%s': a group name is 1-63 of A-Z a-z 0-9 . _ @ -",
			    o->cmd, o->ous[i]);
	}
	if (o->algo != NULL && ca_algo_parse(o->algo, &algo) != 0)
		return fail("%s: unknown --algo '%s' (ec, rsa2048, rsa3072, rsa4096, ed25519)", o->cmd,
		    o->algo);
	if (pki_open(&p, o) != 0)
		return 1;
	if (o->algo == NULL && ca_algo_of(p.ca_key, &algo) != 0)
		algo = CA_ALGO_EC;
	store_path(&p.st, STORE_CERT, name, crt, sizeof(crt));
	store_path(&p.st, STORE_KEY, name, keyp, sizeof(keyp));
	old = store_index_find(&p.idx, name);
	if (!o->force) {
		if (old != NULL && old->revoked_at == 0) {
			store_serial_hex(old->serial, hex);
			fail("%s: a certificate named '%s' exists (serial %s): use --force to replace "
			    "it (the old one is then revoked)", o->cmd, name, hex);
			goto out;
		}
		if (store_exists(crt) || store_exists(keyp)) {
			fail("%s: %s exists: use --force to replace it", o->cmd,
			    store_exists(crt) ? crt : keyp);
			goto out;
		}
	}
	if (ca_not_after(p.ca, &ca_end) != 0 || ca_end <= p.now) {
		fail("%s: the CA certificate has expired: make a new CA with 'ovpn-pki init --force'", o->cmd);
		goto out;
	}
	req.cn = name;
	req.not_before = p.now - CA_BACKDATE_SEC;
	/* A leaf cannot outlive its CA: verification would fail from that day on. */
	req.not_after = p.now + days * DAY_SEC < ca_end ? p.now + days * DAY_SEC : ca_end;
	for (i = 0; i < o->nsans; i++)
		req.sans[i] = o->sans[i];
	req.nsans = o->nsans;
	for (i = 0; i < o->nous; i++)
		req.ous[i] = o->ous[i];
	req.nous = o->nous;
	do {
		if ((r = ca_serial_random(req.serial)) != 0)
			break;
	} while (store_index_has_serial(&p.idx, req.serial));
	if (r != 0 || (r = ca_keygen(algo, &key)) != 0 ||
	    (r = ca_sign(&req, key, p.ca, p.ca_key, &x)) != 0 ||
	    (r = ca_pem_cert(x, &crt_pem, &crt_len)) != 0 ||
	    (r = ca_pem_key(key, &key_pem, &key_len)) != 0) {
		fail("%s: cannot make the certificate: %s", o->cmd, err_str(r));
		goto out;
	}

	/* Replacing a live certificate revokes it: it must not stay valid unseen. */
	if (old != NULL && old->revoked_at == 0) {
		old->revoked_at = p.now;
		superseded = true;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.serial, req.serial, STORE_SERIAL_LEN);
	e.kind = kind;
	e.not_after = req.not_after;
	snprintf(e.name, sizeof(e.name), "%s", name);
	if ((r = store_index_add(&p.idx, &e)) != 0) {
		fail("%s: %s", o->cmd, err_str(r));
		goto out;
	}
	if (save_index(&p, o) != 0 ||
	    write_or_fail(o, keyp, key_pem, key_len, 0600, o->force) != 0 ||
	    write_or_fail(o, crt, crt_pem, crt_len, 0644, o->force) != 0)
		goto out;
	store_serial_hex(req.serial, hex);
	printf("issued %s certificate '%s' (serial %s): %s, %s\n",
	    kind == STORE_KIND_SERVER ? "server" : "client", name, hex, crt, keyp);
	ret = superseded ? write_crl(&p, o, CRL_DAYS) : 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	free(crt_pem);
	free_secret(key_pem, key_len);
	pki_close(&p);
	return ret;
}

static int
cmd_issue_server(const struct opts *o)
{
	return cmd_issue(o, STORE_KIND_SERVER);
}

static int
cmd_issue_client(const struct opts *o)
{
	return cmd_issue(o, STORE_KIND_CLIENT);
}

static int
cmd_revoke(const struct opts *o)
{
	struct pki p;
	struct store_entry *e;
	char hex[2 * STORE_SERIAL_LEN + 1];
	long days;
	int ret = 1;

	if (check_name(o, o->args[0]) != 0 || parse_days(o, CRL_DAYS, &days) != 0)
		return 1;
	if (pki_open(&p, o) != 0)
		return 1;
	if ((e = store_index_find(&p.idx, o->args[0])) == NULL) {
		fail("revoke: no certificate named '%s' in %s", o->args[0], o->dir);
		goto out;
	}
	store_serial_hex(e->serial, hex);
	if (e->revoked_at != 0) {
		fail("revoke: '%s' (serial %s) is already revoked", o->args[0], hex);
		goto out;
	}
	e->revoked_at = p.now;
	if (save_index(&p, o) != 0)
		goto out;
	printf("revoked '%s' (serial %s)\n", o->args[0], hex);
	/* The CRL follows at once: the endpoint acts on crl.pem, not on the index. */
	ret = write_crl(&p, o, days);
out:
	pki_close(&p);
	return ret;
}

static int
cmd_gen_crl(const struct opts *o)
{
	struct pki p;
	long days;
	int ret;

	if (parse_days(o, CRL_DAYS, &days) != 0)
		return 1;
	if (pki_open(&p, o) != 0)
		return 1;
	ret = write_crl(&p, o, days);
	pki_close(&p);
	return ret;
}

static int
cmd_list(const struct opts *o)
{
	struct pki p;
	size_t i, w = 4;

	if (pki_open(&p, o) != 0)
		return 1;
	for (i = 0; i < p.idx.n; i++)
		if (strlen(p.idx.v[i].name) > w)
			w = strlen(p.idx.v[i].name);
	printf("%-32s  %-*s  %-6s  %-20s  %s\n", "SERIAL", (int)w, "NAME", "KIND", "EXPIRES", "STATUS");
	for (i = 0; i < p.idx.n; i++) {
		const struct store_entry *e = &p.idx.v[i];
		char hex[2 * STORE_SERIAL_LEN + 1], exp[32];
		const char *status = "valid";

		if (e->revoked_at != 0)
			status = "revoked";
		else if (e->not_after <= p.now)
			status = "expired";
		store_serial_hex(e->serial, hex);
		fmt_time(e->not_after, exp, sizeof(exp));
		printf("%s  %-*s  %-6s  %-20s  %s\n", hex, (int)w, e->name,
		    e->kind == STORE_KIND_SERVER ? "server" : "client", exp, status);
	}
	pki_close(&p);
	return 0;
}

static int
cmd_tls_crypt_key(const struct opts *o)
{
	uint8_t mem[TCKEY_TEXT_MAX];
	struct wbuf w;
	int r, ret = 1;

	wbuf_init(&w, mem, sizeof(mem));
	if ((r = tckey_static_new(&w)) != 0)
		fail("tls-crypt-key: cannot make the key: %s", err_str(r));
	else if (write_or_fail(o, o->args[0], w.p, w.len, 0600, o->force) == 0) {
		printf("wrote %s (use it as 'tls-crypt %s' on server and clients)\n", o->args[0],
		    o->args[0]);
		ret = 0;
	}
	OPENSSL_cleanse(mem, sizeof(mem));
	return ret;
}

static int
cmd_tc2_server(const struct opts *o)
{
	uint8_t mem[TCKEY_TEXT_MAX];
	char path[STORE_PATH_MAX];
	struct store st = { .dirfd = -1 };
	struct wbuf w;
	int r, ret = 1;

	/* Without FILE, the key goes into DIR, where export and tls-crypt-v2-client find it. */
	if (o->nargs == 1) {
		snprintf(path, sizeof(path), "%s", o->args[0]);
	} else {
		if ((r = store_open(&st, o->dir, true)) != 0)
			return fail("tls-crypt-v2-server: cannot create %s: %s", o->dir, why(r, errno));
		store_path(&st, STORE_TC2_SERVER, NULL, path, sizeof(path));
	}
	wbuf_init(&w, mem, sizeof(mem));
	if ((r = tckey_v2_server_new(&w)) != 0)
		fail("tls-crypt-v2-server: cannot make the key: %s", err_str(r));
	else if (write_or_fail(o, path, w.p, w.len, 0600, o->force) == 0) {
		printf("wrote %s (use it as 'tls-crypt-v2 %s' on the server)\n", path, path);
		ret = 0;
	}
	OPENSSL_cleanse(mem, sizeof(mem));
	store_close(&st);
	return ret;
}

/*
 * Make NAME's tls-crypt-v2 client key from DIR's server key and write it
 * to private/NAME.tc2 (replace: --force).  ERR_NOTFOUND (quietly) if DIR
 * has no server key; else 0 or 1 with the error printed.
 */
static int
make_tc2_client(const struct store *st, const struct opts *o, const char *name, const uint8_t *meta,
		size_t meta_len, bool replace)
{
	uint8_t mem[TCKEY_TEXT_MAX];
	char spath[STORE_PATH_MAX], cpath[STORE_PATH_MAX], *stext = NULL;
	size_t slen = 0;
	struct wbuf w;
	int r, ret = 1;

	store_path(st, STORE_TC2_SERVER, NULL, spath, sizeof(spath));
	store_path(st, STORE_TC2_CLIENT, name, cpath, sizeof(cpath));
	r = store_read_file(spath, STORE_FILE_MAX, &stext, &slen);
	if (r == ERR_NOTFOUND)
		return ERR_NOTFOUND;
	if (r != 0)
		return fail("%s: cannot read %s: %s", o->cmd, spath, why(r, errno));
	wbuf_init(&w, mem, sizeof(mem));
	if ((r = tckey_v2_client_new(stext, slen, meta, meta_len, &w)) != 0) {
		if (r == ERR_MALFORMED)
			fail("%s: %s is not a tls-crypt-v2 server key", o->cmd, spath);
		else
			fail("%s: cannot make the key: %s", o->cmd, err_str(r));
	} else if (write_or_fail(o, cpath, w.p, w.len, 0600, replace) == 0) {
		ret = 0;
	}
	OPENSSL_cleanse(mem, sizeof(mem));
	free_secret(stext, slen);
	return ret;
}

static int
cmd_tc2_client(const struct opts *o)
{
	uint8_t meta[TLSWRAP_META_MAX];
	char path[STORE_PATH_MAX];
	struct store st;
	size_t meta_len = TCKEY_META_TIMESTAMP_LEN;
	int r;

	if (check_name(o, o->args[0]) != 0)
		return 1;
	if (o->metadata != NULL) {
		if ((r = tckey_meta_user(o->metadata, meta, sizeof(meta), &meta_len)) != 0)
			return fail("tls-crypt-v2-client: --metadata wants base64 of at most %d bytes",
			    TLSWRAP_META_MAX - 1);
	} else {
		tckey_meta_timestamp((int64_t)time(NULL), meta);
	}
	if ((r = store_open(&st, o->dir, false)) == ERR_NOTFOUND)
		return fail("tls-crypt-v2-client: no %s: run 'ovpn-pki tls-crypt-v2-server' first", o->dir);
	if (r != 0)
		return fail("tls-crypt-v2-client: cannot open %s: %s", o->dir, why(r, errno));
	r = make_tc2_client(&st, o, o->args[0], meta, meta_len, o->force);
	if (r == ERR_NOTFOUND)
		r = fail("tls-crypt-v2-client: no tls-crypt-v2 server key in %s: run "
		    "'ovpn-pki tls-crypt-v2-server' first", o->dir);
	if (r == 0) {
		store_path(&st, STORE_TC2_CLIENT, o->args[0], path, sizeof(path));
		printf("wrote %s\n", path);
	}
	store_close(&st);
	return r;
}

/* The server whose CN the profile pins: --server, or the one valid server certificate. */
static int
pick_server(struct pki *p, const struct opts *o, const char **cn)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < p->idx.n; i++) {
		struct store_entry *e = &p->idx.v[i];

		if (e->kind != STORE_KIND_SERVER || e->revoked_at != 0 || e->not_after <= p->now ||
		    store_index_find(&p->idx, e->name) != e)
			continue;
		if (o->server != NULL && strcmp(o->server, e->name) != 0)
			continue;
		if (found != NULL)
			return fail("export: several server certificates ('%s', '%s'): choose one with "
			    "--server NAME", found, e->name);
		found = e->name;
	}
	if (found == NULL && o->server != NULL)
		return fail("export: no valid server certificate named '%s' in %s", o->server, o->dir);
	if (found == NULL)
		return fail("export: no valid server certificate in %s: run 'ovpn-pki issue-server "
		    "NAME' first", o->dir);
	*cn = found;
	return 0;
}

/*
 * DIR/profile-defaults (written by `ovpn-endpoint init --remote ...`): lines
 * "remote HOST[:PORT]" (up to PROFILE_REMOTES_MAX), "proto udp|tcp",
 * "port N".  Used by export when no --remote is given.  A missing file is
 * not an error; a malformed line is.
 */
static char dflt_store[PROFILE_REMOTES_MAX + 2][256];

static int
load_defaults(const struct opts *o, struct opts *d)
{
	char path[STORE_PATH_MAX], *text = NULL, *line, *save = NULL;
	size_t len = 0, n = 0, lineno = 0;
	int r;

	*d = *o;
	d->nremotes = 0;
	r = snprintf(path, sizeof(path), "%s/profile-defaults", o->dir);
	if (r < 0 || (size_t)r >= sizeof(path) || !store_exists(path))
		return 0;
	if (store_read_file(path, 16384, &text, &len) != 0)
		return fail("export: cannot read %s", path);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char key[16], val[256];

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%15s %255s", key, val) != 2 || n >= PROFILE_REMOTES_MAX + 2) {
			free(text);
			return fail("%s:%zu: malformed line", path, lineno);
		}
		snprintf(dflt_store[n], sizeof(dflt_store[n]), "%s", val);
		if (strcmp(key, "remote") == 0 && d->nremotes < PROFILE_REMOTES_MAX)
			d->remotes[d->nremotes++] = dflt_store[n];
		else if (strcmp(key, "proto") == 0 && d->proto == NULL)
			d->proto = dflt_store[n];
		else if (strcmp(key, "port") == 0 && d->port == NULL)
			d->port = dflt_store[n];
		else {
			free(text);
			return fail("%s:%zu: unknown setting '%s'", path, lineno, key);
		}
		n++;
	}
	free(text);
	return 0;
}

static int
cmd_export(const struct opts *o)
{
	struct opts dflt;
	struct pki p;
	struct profile pr;
	struct store_entry *e;
	const char *name = o->args[0];
	char path[STORE_PATH_MAX], when[32];
	char *ca = NULL, *crt = NULL, *key = NULL, *tc2 = NULL, *text = NULL;
	size_t ca_len = 0, crt_len = 0, key_len = 0, tc2_len = 0, text_len = 0, i;
	uint16_t port = PROFILE_DEFAULT_PORT;
	int r, ret = 1;

	memset(&pr, 0, sizeof(pr));
	if (check_name(o, name) != 0)
		return 1;
	if (o->nremotes == 0 && load_defaults(o, &dflt) != 0)
		return 1;
	if (o->nremotes == 0 && dflt.nremotes == 0)
		return fail("export: give the server's address with --remote HOST[:PORT] (or run "
		    "'ovpn-endpoint init --remote HOST', which remembers it)");
	if (o->nremotes == 0)
		o = &dflt;
	if (o->proto != NULL && profile_parse_proto(o->proto, &pr.proto) != 0)
		return fail("export: --proto wants udp or tcp");
	if (o->port != NULL && profile_parse_port(o->port, &port) != 0)
		return fail("export: --port wants a number from 1 to 65535");
	for (i = 0; i < o->nremotes; i++)
		if (profile_parse_remote(o->remotes[i], port, &pr.remotes[i]) != 0)
			return fail("export: bad --remote '%s': use HOST, HOST:PORT or [IPv6]:PORT",
			    o->remotes[i]);
	pr.nremotes = o->nremotes;
	pr.auth_user_pass = o->auth_user_pass;
	pr.name = name;
	if (pki_open(&p, o) != 0)
		return 1;
	if ((e = store_index_find(&p.idx, name)) == NULL) {
		/* First export of a new name: issue its client certificate now,
		 * so "export alice > alice.ovpn" is the whole job. */
		int saved, r2;

		pki_close(&p);
		/* stdout carries the profile: the issue report goes to stderr */
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			return fail("export: %s", strerror(errno));
		r2 = cmd_issue_client(o);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		if (r2 != 0)
			return 1;
		if (pki_open(&p, o) != 0)
			return 1;
		if ((e = store_index_find(&p.idx, name)) == NULL) {
			fail("export: no certificate named '%s' in %s", name, o->dir);
			goto out;
		}
	}
	fmt_time(e->not_after, when, sizeof(when));
	if (e->kind != STORE_KIND_CLIENT) {
		fail("export: '%s' is a server certificate; profiles are for clients", name);
		goto out;
	}
	if (e->revoked_at != 0) {
		fail("export: '%s' is revoked: issue a new certificate with --force", name);
		goto out;
	}
	if (e->not_after <= p.now) {
		fail("export: '%s' expired on %s: issue a new certificate with --force", name, when);
		goto out;
	}
	if (pick_server(&p, o, &pr.server_cn) != 0)
		goto out;
	store_path(&p.st, STORE_CA_CRT, NULL, path, sizeof(path));
	if (read_or_fail(o, path, &ca, &ca_len) != 0)
		goto out;
	store_path(&p.st, STORE_CERT, name, path, sizeof(path));
	if (read_or_fail(o, path, &crt, &crt_len) != 0)
		goto out;
	store_path(&p.st, STORE_KEY, name, path, sizeof(path));
	if (read_or_fail(o, path, &key, &key_len) != 0)
		goto out;

	/* The client's tls-crypt-v2 key: the saved one, else made now if DIR has a server key. */
	store_path(&p.st, STORE_TC2_CLIENT, name, path, sizeof(path));
	if (!store_exists(path)) {
		uint8_t meta[TCKEY_META_TIMESTAMP_LEN];

		tckey_meta_timestamp(p.now, meta);
		r = make_tc2_client(&p.st, o, name, meta, sizeof(meta), false);
		if (r != 0 && r != ERR_NOTFOUND)
			goto out;
	}
	if (store_exists(path) && read_or_fail(o, path, &tc2, &tc2_len) != 0)
		goto out;
	pr.ca_pem = ca;
	pr.cert_pem = crt;
	pr.key_pem = key;
	pr.tc2_pem = tc2;
	if ((r = profile_write(&pr, &text, &text_len)) != 0) {
		fail("export: cannot write the profile: %s", err_str(r));
		goto out;
	}
	if (fwrite(text, 1, text_len, stdout) != text_len || fflush(stdout) != 0) {
		fail("export: cannot write the profile: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(ca);
	free(crt);
	free_secret(key, key_len);
	free_secret(tc2, tc2_len);
	free_secret(text, text_len);
	pki_close(&p);
	return ret;
}

static const struct cmd {
	const char *name;
	int (*fn)(const struct opts *);
	size_t min_args, max_args;
	unsigned opts;
	const char *usage;
} cmds[] = {
	{ "init", cmd_init, 0, 0, O_FORCE | O_ALGO | O_CN | O_DAYS,
	  "[--algo ec|rsa2048|rsa3072|rsa4096|ed25519] [--cn NAME] [--days N] [--force]" },
	{ "issue-server", cmd_issue_server, 1, 1, O_FORCE | O_SAN | O_DAYS | O_ALGO,
	  "NAME [--san DNS:host|IP:addr]... [--days N] [--algo A] [--force]" },
	{ "issue-client", cmd_issue_client, 1, 1, O_FORCE | O_DAYS | O_ALGO | O_OU,
	  "NAME [--ou GROUP]... [--days N] [--algo A] [--force]" },
	{ "revoke", cmd_revoke, 1, 1, O_DAYS, "NAME [--days N]  (also rewrites crl.pem)" },
	{ "gen-crl", cmd_gen_crl, 0, 0, O_DAYS, "[--days N]  (default 180)" },
	{ "list", cmd_list, 0, 0, 0, "" },
	{ "tls-crypt-key", cmd_tls_crypt_key, 1, 1, O_FORCE, "FILE [--force]" },
	{ "tls-crypt-v2-server", cmd_tc2_server, 0, 1, O_FORCE, "[FILE] [--force]  (default DIR/tc2-server.key)" },
	{ "tls-crypt-v2-client", cmd_tc2_client, 1, 1, O_FORCE | O_META, "NAME [--metadata B64] [--force]" },
	{ "export", cmd_export, 1, 1, O_REMOTE | O_PROTO | O_PORT | O_AUP | O_SERVER,
	  "NAME --remote HOST[:PORT]... [--proto udp|tcp] [--port N] [--auth-user-pass] [--server NAME]" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ovpn-pki [--dir DIR] COMMAND [ARGS]\n"
	    "DIR defaults to $OVPN_PKI_DIR, else ./pki.  Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s %s\n", cmds[i].name, cmds[i].usage);
}

/* Parse argv[from..argc) for command c (or the global options when c is NULL). */
static int
parse_args(const struct cmd *c, int argc, char **argv, int *from, struct opts *o)
{
	unsigned allowed = O_DIR | (c != NULL ? c->opts : 0);
	int i;

	for (i = *from; i < argc; i++) {
		const struct optdef *d = NULL;
		const char *arg = argv[i], *val = NULL, *eq;
		size_t k;

		if (arg[0] != '-' || arg[1] == '\0') {
			if (c == NULL)
				break;  /* the command name */
			if (o->nargs == c->max_args)
				return fail("%s: unexpected argument '%s'", c->name, arg);
			o->args[o->nargs++] = arg;
			continue;
		}
		eq = strchr(arg, '=');
		for (k = 0; k < sizeof(optdefs) / sizeof(optdefs[0]); k++) {
			size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

			if (strlen(optdefs[k].name) == n && strncmp(arg, optdefs[k].name, n) == 0)
				d = &optdefs[k];
		}
		if (d == NULL || !(allowed & d->bit))
			return fail("%s%sunknown option '%s' (see ovpn-pki --help)",
			    c != NULL ? c->name : "", c != NULL ? ": " : "", arg);
		if (d->takes_arg) {
			if (eq != NULL)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return fail("%s needs a value", d->name);
		} else if (eq != NULL) {
			return fail("%s takes no value", d->name);
		}
		switch (d->bit) {
		case O_DIR: o->dir = val; break;
		case O_FORCE: o->force = true; break;
		case O_ALGO: o->algo = val; break;
		case O_CN: o->cn = val; break;
		case O_DAYS: o->days = val; break;
		case O_META: o->metadata = val; break;
		case O_PROTO: o->proto = val; break;
		case O_PORT: o->port = val; break;
		case O_AUP: o->auth_user_pass = true; break;
		case O_SERVER: o->server = val; break;
		case O_SAN:
			if (o->nsans == CA_SAN_MAX)
				return fail("%s: at most %d --san", c->name, CA_SAN_MAX);
			o->sans[o->nsans++] = val;
			break;
		case O_OU:
			if (o->nous == CA_OU_MAX)
				return fail("%s: at most %d --ou", c->name, CA_OU_MAX);
			o->ous[o->nous++] = val;
			break;
		case O_REMOTE:
			if (o->nremotes == PROFILE_REMOTES_MAX)
				return fail("%s: at most %d --remote", c->name, PROFILE_REMOTES_MAX);
			o->remotes[o->nremotes++] = val;
			break;
		}
	}
	*from = i;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const struct cmd *c = NULL;
	int i = 1;
	size_t k;

	memset(&o, 0, sizeof(o));
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (parse_args(NULL, argc, argv, &i, &o) != 0)
		return 1;
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[i], cmds[k].name) == 0)
			c = &cmds[k];
	if (c == NULL)
		return fail("unknown command '%s' (see ovpn-pki --help)", argv[i]);
	o.cmd = c->name;
	i++;
	if (parse_args(c, argc, argv, &i, &o) != 0)
		return 1;
	if (o.nargs < c->min_args)
		return fail("usage: ovpn-pki %s %s", c->name, c->usage);
	if (o.dir == NULL)
		o.dir = getenv("OVPN_PKI_DIR");
	if (o.dir == NULL || o.dir[0] == '\0')
		o.dir = "./pki";
	return c->fn(&o) != 0 ? 1 : 0;
}
