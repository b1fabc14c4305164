/*
 * conf_server.c - the server's directive table and struct server_conf.
 *
 * Design: one const table, sorted by name (bsearch in common/conf.c), where
 * each row holds a directive's arity, scope, handler and printer side by
 * side, so parsing and the normalised output cannot drift apart; defaults
 * live in one function (set_defaults).  Handlers only fill the struct
 * (plus a little parse-time state in struct cs_ctx); cross-directive rules
 * run once at the end in check_whole().  The only I/O is reading the files
 * named by ca/cert/key/dh.
 *
 * Names, arities and meanings are OpenVPN 2.6's; docs/openvpn-protocol.md
 * sections 12 (timers/defaults) and 13 (server NET MASK, topology).  Where
 * 2.6 would accept something we cannot do yet (tcp, tap, net30, ...) we
 * fail with "not supported yet" rather than run with a different meaning.
 *
 * Invariants: every blob's data is NUL-terminated and holds no NUL; blobs are
 * wiped before being freed or replaced; on any failure the caller gets a
 * zeroed struct and one "FILE[:LINE]: message" string.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "comp.h"
#include "conf_server.h"
#include "err.h"
#include "rtable.h"

enum dev_type { DEV_TYPE_NONE, DEV_TYPE_TUN };

/* Parse-time state that does not belong in the result. */
struct cs_ctx {
	struct server_conf *c;
	char dir[PATH_MAX];      /* directory of the config file; "" = current */
	bool has_dev;
	enum dev_type dev_type;
	bool has_server;         /* a `server` line (client-cidr is the alternative) */
	bool no_blobs;           /* reload: key and certificate files are not read again */
};

/* The data-channel ciphers we implement, in canonical spelling. */
static const char *const known_ciphers[] = {
	"AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305",
};

/* 2.6 MAX_NCP_CIPHERS_LENGTH: the list must fit in an IV_CIPHERS line. */
enum { DATA_CIPHERS_TEXT_MAX = 127 };

static void
set_defaults(struct server_conf *c)
{
	static const char *const def_ciphers[] = { "AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305" };
	size_t i;

	memset(c, 0, sizeof(*c));
	c->port = 1194;
	snprintf(c->proto, sizeof(c->proto), "udp");
	c->family = AF_INET;
	c->verb = 1;
	for (i = 0; i < sizeof(def_ciphers) / sizeof(def_ciphers[0]); i++)
		snprintf(c->data_ciphers[i], sizeof(c->data_ciphers[i]), "%s", def_ciphers[i]);
	c->n_data_ciphers = (unsigned)i;
	c->max_clients = 1024;
	c->script_security = 1;
	snprintf(c->tmp_dir, sizeof(c->tmp_dir), "/tmp");
	c->key_direction = -1;
	c->tls_cert_profile = -1;
	snprintf(c->auth, sizeof(c->auth), "SHA1");
	c->max_half_open = 256;
	c->max_half_open_src = 5;
	c->tun_mtu = 1500;
	c->reneg_sec = 3600;
	c->hand_window = 60;
	c->tls_timeout = 2;
	c->replay_window = 64;
	c->replay_time = 15;
	c->verify_client_cert = CONF_VERIFY_REQUIRE;
	c->split_tunnel = -1;
	c->ep_table = 1194;
	c->status_version = 1;
	c->status_secs = 60;
	c->hook_timeout = 30;
	c->mgmt_pw_timeout = 60;
}

/* ---- key and certificate blobs ---- */

static void
blob_free(struct conf_blob *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	free(b->path);
	memset(b, 0, sizeof(*b));
}

/* Resolve `rel` against the config's directory (as `cd DIR` would for 2.6). */
static int
resolve(const struct cs_ctx *x, const char *rel, char *out, size_t cap)
{
	int k;

	if (rel[0] == '/' || x->dir[0] == '\0')
		k = snprintf(out, cap, "%s", rel);
	else
		k = snprintf(out, cap, "%s/%s", x->dir, rel);
	return k < 0 || (size_t)k >= cap ? ERR_OVERFLOW : 0;
}

/* Read the whole file into a fresh NUL-terminated buffer.  Plain read(2), no
 * stdio, so no extra copy of a private key sits in a FILE buffer. */
static int
read_file(const char *path, char **data, size_t *len, const char **why)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap;
	int fd, r = ERR_SYS, saved;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ERR_SYS;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		r = ERR_CONFIG;
		goto out;
	}
	if (st.st_size > CONF_BLOB_MAX) {
		*why = "file is too large";
		r = ERR_CONFIG;
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == cap) {
			*why = "file changed while being read";
			r = ERR_CONFIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	saved = errno;
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	close(fd);
	errno = saved;
	return r;
}

/* ca/cert/key/dh: a path to read now, or an inline block. */
static int
load_blob(struct cs_ctx *x, const struct conf_line *l, struct conf_blob *b, struct conf_err *err)
{
	struct conf_blob nb;
	char full[PATH_MAX];
	const char *why;
	int r;

	memset(&nb, 0, sizeof(nb));
	if (l->is_inline) {
		if (l->len == 0)
			return conf_errf(err, l, "%s: inline <%s> block is empty", l->argv[0], l->argv[0]);
		if ((nb.data = malloc(l->len + 1)) == NULL)
			return conf_errf(err, l, "%s: out of memory", l->argv[0]);
		memcpy(nb.data, l->data, l->len);
		nb.data[l->len] = '\0';
		nb.len = l->len;
		nb.is_inline = true;
	} else if (x->no_blobs) {
		/* a reload runs without the privilege to read keys, and the TLS
		 * identity changes only with a restart: keep the path, not the data */
		nb.data = strdup("");
		nb.path = strdup(l->argv[1]);
		if (nb.data == NULL || nb.path == NULL) {
			blob_free(&nb);
			return conf_errf(err, l, "%s: out of memory", l->argv[0]);
		}
	} else {
		if (resolve(x, l->argv[1], full, sizeof(full)) != 0)
			return conf_errf(err, l, "%s: path '%s' is too long", l->argv[0], l->argv[1]);
		r = read_file(full, &nb.data, &nb.len, &why);
		if (r != 0)
			return conf_errf(err, l, "%s: cannot read '%s': %s", l->argv[0], full,
			    why != NULL ? why : strerror(errno));
		if (nb.len == 0) {
			blob_free(&nb);
			return conf_errf(err, l, "%s: '%s' is empty", l->argv[0], full);
		}
		/* Path as written: printing it back must give the same config. */
		if ((nb.path = strdup(l->argv[1])) == NULL) {
			blob_free(&nb);
			return conf_errf(err, l, "%s: out of memory", l->argv[0]);
		}
	}
	if (strlen(nb.data) != nb.len) {
		blob_free(&nb);
		return conf_errf(err, l, "%s: contains a NUL byte (PEM text expected)", l->argv[0]);
	}
	blob_free(b);   /* last one wins, as in 2.6 */
	*b = nb;
	return 0;
}




static int
h_dh(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	int r;

	if (!l->is_inline && strcmp(l->argv[1], "none") == 0) {
		blob_free(&x->c->dh);
		x->c->dh_none = true;
		return 0;
	}
	if ((r = load_blob(x, l, &x->c->dh, err)) == 0)
		x->c->dh_none = false;
	return r;
}

static void
print_blob(FILE *f, const char *name, const struct conf_blob *b)
{
	if (b->data == NULL)
		return;
	if (b->is_inline) {
		/* Placeholder body: never print key material. */
		fprintf(f, "<%s>\n[inline]\n</%s>\n", name, name);
		return;
	}
	fprintf(f, "%s ", name);
	conf_print_token(f, b->path);
	fputc('\n', f);
}




static int
h_blob(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;

	return load_blob(x, l, (struct conf_blob *)(void *)((char *)x->c + dir->off), err);
}

static void
p_blob(FILE *f, const struct conf_directive *dir, const void *o)
{
	print_blob(f, dir->name, (const struct conf_blob *)(const void *)((const char *)o + dir->off));
}

/* tls-auth FILE [0|1], tls-crypt FILE: an "OpenVPN Static key V1" file. */
static int
load_static_key(struct cs_ctx *x, const struct conf_line *l, struct conf_blob *b,
		struct keyfile_static *k, struct conf_err *err)
{
	int r;

	if ((r = load_blob(x, l, b, err)) != 0)
		return r;
	if (x->no_blobs && !l->is_inline)
		return 0;
	if (keyfile_parse_static(b->data, b->len, k) != 0) {
		blob_free(b);
		return conf_errf(err, l, "%s: not an OpenVPN static key (256 bytes of hex between "
		    "'-----BEGIN OpenVPN Static key V1-----' and its END line)", l->argv[0]);
	}
	return 0;
}

static int
h_tls_auth(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	struct server_conf *c = x->c;
	int r;

	if (!l->is_inline && l->argc == 3) {
		if (strcmp(l->argv[2], "0") != 0 && strcmp(l->argv[2], "1") != 0)
			return conf_errf(err, l, "tls-auth: key direction '%s' must be 0 or 1", l->argv[2]);
		c->key_direction = l->argv[2][0] - '0';
	}
	if ((r = load_static_key(x, l, &c->tls_auth, &c->tls_auth_key, err)) != 0)
		return r;
	c->has_tls_auth = true;
	return 0;
}

static void
p_tls_auth(FILE *f, const struct conf_directive *dir, const void *o)
{
	print_blob(f, dir->name, &((const struct server_conf *)o)->tls_auth);
}

static int
h_tls_crypt(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	int r;

	if ((r = load_static_key(x, l, &x->c->tls_crypt, &x->c->tls_crypt_key, err)) != 0)
		return r;
	x->c->has_tls_crypt = true;
	return 0;
}

static int
h_tls_crypt_v2(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	       struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	struct server_conf *c = x->c;
	int r;

	if (!l->is_inline && l->argc == 3) {
		if (strcmp(l->argv[2], "force-cookie") == 0)
			c->tls_crypt_v2_force_cookie = true;
		else if (strcmp(l->argv[2], "allow-noncookie") == 0)
			c->tls_crypt_v2_force_cookie = false;
		else
			return conf_errf(err, l, "tls-crypt-v2: '%s' must be force-cookie or "
			    "allow-noncookie", l->argv[2]);
	}
	if ((r = load_blob(x, l, &c->tls_crypt_v2, err)) != 0)
		return r;
	if (x->no_blobs && !l->is_inline) {
		c->has_tls_crypt_v2 = true;
		return 0;
	}
	if (keyfile_parse_v2_server(c->tls_crypt_v2.data, c->tls_crypt_v2.len, &c->tls_crypt_v2_key) != 0) {
		blob_free(&c->tls_crypt_v2);
		return conf_errf(err, l, "tls-crypt-v2: not an OpenVPN tls-crypt-v2 server key "
		    "(make one with 'openvpn --genkey tls-crypt-v2-server')");
	}
	c->has_tls_crypt_v2 = true;
	return 0;
}

static void
p_tls_crypt_v2(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (!c->has_tls_crypt_v2)
		return;
	if (c->tls_crypt_v2.is_inline) {
		/* 2.6 takes no mode argument on the inline form */
		print_blob(f, dir->name, &c->tls_crypt_v2);
		return;
	}
	fprintf(f, "%s ", dir->name);
	conf_print_token(f, c->tls_crypt_v2.path);
	fprintf(f, "%s\n", c->tls_crypt_v2_force_cookie ? " force-cookie" : "");
}

static int
h_key_direction(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		struct conf_err *err)
{
	if (strcmp(l->argv[1], "0") != 0 && strcmp(l->argv[1], "1") != 0)
		return conf_errf(err, l, "key-direction: '%s' must be 0 or 1", l->argv[1]);
	((struct cs_ctx *)ctx)->c->key_direction = l->argv[1][0] - '0';
	return 0;
}

static void
p_key_direction(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->key_direction >= 0)
		fprintf(f, "key-direction %d\n", c->key_direction);
}

/* compress [ALG], comp-lzo [no]: data-channel compression framing (doc §10.3). */
static int
h_compress(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	int r;

	r = comp_mode_parse(l->argv[0], l->argc > 1 ? l->argv[1] : NULL, &c->compress);
	if (r == ERR_UNSUPPORTED)
		return conf_errf(err, l, "%s%s%s: LZO compression is not supported; use 'comp-lzo no', "
		    "'compress stub-v2' or 'compress lz4-v2'", l->argv[0], l->argc > 1 ? " " : "",
		    l->argc > 1 ? l->argv[1] : "");
	if (r != 0)
		return conf_errf(err, l, "%s: unknown argument '%s'", l->argv[0],
		    l->argc > 1 ? l->argv[1] : "");
	return 0;
}

static void
p_compress(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	const char *line = comp_mode_push_string(c->compress);

	/* printed under whichever spelling the mode has in 2.6 */
	if (line != NULL && strncmp(line, dir->name, strlen(dir->name)) == 0 &&
	    line[strlen(dir->name)] == ' ')
		fprintf(f, "%s\n", line);
	else if (line != NULL && strcmp(line, dir->name) == 0)
		fprintf(f, "%s\n", line);
}

static int
h_allow_compression(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		    struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (comp_allow_parse(l->argv[1], &c->allow_compression) != 0)
		return conf_errf(err, l, "allow-compression: '%s' must be no, asym or yes", l->argv[1]);
	c->has_allow_compression = true;
	return 0;
}

static void
p_allow_compression(FILE *f, const struct conf_directive *dir, const void *o)
{
	static const char *const name[] = { "no", "asym", "yes" };
	const struct server_conf *c = o;

	if (c->has_allow_compression)
		fprintf(f, "allow-compression %s\n", name[c->allow_compression]);
}

/* --auth: the tls-auth HMAC digest (AEAD data channels ignore it). */
static int
h_auth(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	static const char *const ok[] = { "SHA1", "SHA224", "SHA256", "SHA384", "SHA512" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcasecmp(l->argv[1], ok[i]) == 0) {
			snprintf(c->auth, sizeof(c->auth), "%s", ok[i]);
			return 0;
		}
	}
	return conf_errf(err, l, "auth: '%s' is not supported (SHA1, SHA224, SHA256, SHA384, SHA512)",
	    l->argv[1]);
}

static void
p_auth(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "auth %s\n", ((const struct server_conf *)o)->auth);
}

static void
p_dh(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->dh_none)
		fprintf(f, "dh none\n");
	else
		print_blob(f, "dh", &c->dh);
}

/* ---- ciphers ---- */

static const char *
cipher_canon(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known_ciphers) / sizeof(known_ciphers[0]); i++)
		if (strcasecmp(name, known_ciphers[i]) == 0)
			return known_ciphers[i];
	return NULL;
}

/* 2.6 list syntax: colon-separated, empty items skipped, a leading '?' marks
 * an optional cipher that is dropped if unknown.  We also drop duplicates. */
static int
h_data_ciphers(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	char list[CONF_MAX_DATA_CIPHERS][CONF_CIPHER_NAME_MAX];
	char item[DATA_CIPHERS_TEXT_MAX + 1];
	const char *s = l->argv[1], *e, *canon;
	unsigned n = 0, i;

	if (strlen(s) > DATA_CIPHERS_TEXT_MAX)
		return conf_errf(err, l, "data-ciphers: list is longer than %u characters",
		    (unsigned)DATA_CIPHERS_TEXT_MAX);
	for (; *s != '\0'; s = *e == ':' ? e + 1 : e) {
		bool optional;
		size_t il;

		e = strchr(s, ':');
		if (e == NULL)
			e = s + strlen(s);
		il = (size_t)(e - s);
		if (il == 0)
			continue;
		memcpy(item, s, il);
		item[il] = '\0';
		optional = item[0] == '?';
		canon = cipher_canon(item + (optional ? 1 : 0));
		if (canon == NULL) {
			if (optional)
				continue;
			return conf_errf(err, l, "data-ciphers: unknown or unsupported cipher '%s' "
			    "(supported: AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305)", item);
		}
		for (i = 0; i < n && strcmp(list[i], canon) != 0; i++)
			;
		if (i < n)
			continue;
		snprintf(list[n++], sizeof(list[0]), "%s", canon);
	}
	if (n == 0)
		return conf_errf(err, l, "data-ciphers: no usable cipher in '%s'", l->argv[1]);
	memcpy(c->data_ciphers, list, sizeof(list));
	c->n_data_ciphers = n;
	return 0;
}

static void
p_data_ciphers(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	unsigned i;

	fprintf(f, "data-ciphers ");
	for (i = 0; i < c->n_data_ciphers; i++)
		fprintf(f, "%s%s", i ? ":" : "", c->data_ciphers[i]);
	fputc('\n', f);
}

static int
h_data_ciphers_fallback(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	const char *canon = cipher_canon(l->argv[1]);

	if (canon == NULL)
		return conf_errf(err, l, "data-ciphers-fallback: unknown or unsupported cipher '%s' "
		    "(supported: AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305)", l->argv[1]);
	snprintf(c->data_ciphers_fallback, sizeof(c->data_ciphers_fallback), "%s", canon);
	return 0;
}

static void
p_data_ciphers_fallback(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->data_ciphers_fallback[0] != '\0')
		fprintf(f, "data-ciphers-fallback %s\n", c->data_ciphers_fallback);
}

/* ---- transport and device ---- */

static int
h_port(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	return conf_arg_port(l, 1, &((struct cs_ctx *)ctx)->c->port, err);
}

static void
p_port(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "port %u\n", (unsigned)((const struct server_conf *)o)->port);
}

static int
h_proto(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	/* In server mode 2.6 reads plain tcp as tcp-server. */
	static const char *const ok[] = { "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6", "tcp-server",
		"tcp4-server", "tcp6-server" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	const char *p = l->argv[1];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(p, ok[i]) == 0) {
			snprintf(c->proto, sizeof(c->proto), "%s", p);
			c->tcp = p[0] == 't';
			return 0;
		}
	}
	if (strncmp(p, "tcp", 3) == 0 && strstr(p, "-client") != NULL)
		return conf_errf(err, l, "proto: '%s' is for clients; a server uses tcp-server", p);
	return conf_errf(err, l, "proto: unknown protocol '%s'", p);
}

/* listen-also PROTO [PORT] (endpoint directive): serve the other transport
 * too, with the same sessions, pool and limits; 2.6 needs two daemons. */
static int
h_listen_also(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	      struct conf_err *err)
{
	static const char *const ok[] = { "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6", "tcp-server",
		"tcp4-server", "tcp6-server" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	const char *p = l->argv[1];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(p, ok[i]) == 0)
			break;
	if (i == sizeof(ok) / sizeof(ok[0]))
		return conf_errf(err, l, "listen-also: '%s' is not a server protocol (udp, udp6, "
		    "tcp-server, tcp6-server, ...)", p);
	c->listen_also_port = 0;
	if (l->argc == 3 && conf_arg_port(l, 2, &c->listen_also_port, err) != 0)
		return ERR_CONFIG;
	snprintf(c->listen_also, sizeof(c->listen_also), "%s", p);
	c->listen_also_tcp = p[0] == 't';
	c->has_listen_also = true;
	return 0;
}

static void
p_listen_also(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (!c->has_listen_also)
		return;
	fprintf(f, "listen-also %s", c->listen_also);
	if (c->listen_also_port != 0)
		fprintf(f, " %u", (unsigned)c->listen_also_port);
	fputc('\n', f);
}

static void
p_proto(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "proto %s\n", ((const struct server_conf *)o)->proto);
}

static int
h_local(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (addr_parse(l->argv[1], &c->local) != 0)
		return conf_errf(err, l, "local: '%s' is not an IP address (host names are not supported)",
		    l->argv[1]);
	c->has_local = true;
	return 0;
}

static void
p_local(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[ADDR_STR_MAX];

	if (c->has_local && addr_format(&c->local, s, sizeof(s)) == 0)
		fprintf(f, "local %s\n", s);
}

static int
h_dev(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	const char *d = l->argv[1];
	size_t n = strlen(d), i;

	/* Linux interface name rules (dev_valid_name): 1..15 bytes, no '/',
	 * no whitespace, not "." or "..". */
	if (n == 0 || n >= sizeof(x->c->dev))
		return conf_errf(err, l, "dev: '%s' is not a valid interface name (1-%zu characters)",
		    d, sizeof(x->c->dev) - 1);
	if (strcmp(d, ".") == 0 || strcmp(d, "..") == 0)
		return conf_errf(err, l, "dev: '%s' is not a valid interface name", d);
	for (i = 0; i < n; i++)
		if (d[i] == '/' || d[i] == ':' || (unsigned char)d[i] <= ' ' ||
		    (unsigned char)d[i] >= 0x7f)
			return conf_errf(err, l, "dev: '%s' is not a valid interface name", d);
	memcpy(x->c->dev, d, n + 1);
	x->has_dev = true;
	return 0;
}

static void
p_dev(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->dev[0] != '\0')
		fprintf(f, "dev %s\n", c->dev);
}

static int
h_dev_type(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;

	if (strcmp(l->argv[1], "tun") == 0) {
		x->dev_type = DEV_TYPE_TUN;
		return 0;
	}
	if (strcmp(l->argv[1], "tap") == 0)
		return conf_errf(err, l, "dev-type: 'tap' is not supported yet (only tun)");
	return conf_errf(err, l, "dev-type: unknown device type '%s' (tun or tap)", l->argv[1]);
}

static void
p_dev_type(FILE *f, const struct conf_directive *dir, const void *o)
{
	(void)o;
	/* Always explicit, so a printed config with an odd `dev` name re-parses. */
	fprintf(f, "dev-type tun\n");
}

static int
h_topology(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	static const char *const names[] = { [TOPO_NET30] = "net30", [TOPO_P2P] = "p2p",
		[TOPO_SUBNET] = "subnet" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(l->argv[1], names[i]) == 0) {
			c->topology = (enum topology)i;
			c->has_topology = true;
			return 0;
		}
	}
	return conf_errf(err, l, "topology: unknown topology '%s' (subnet, net30 or p2p)", l->argv[1]);
}

static void
p_topology(FILE *f, const struct conf_directive *dir, const void *o)
{
	static const char *const names[] = { "net30", "p2p", "subnet" };
	const struct server_conf *c = o;

	fprintf(f, "topology %s\n", names[c->topology]);
}

static int
h_mode(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (strcmp(l->argv[1], "server") == 0) {
		c->mode_server = true;
		return 0;
	}
	if (strcmp(l->argv[1], "p2p") == 0)
		return conf_errf(err, l, "mode: 'p2p' is not supported yet (only 'mode server')");
	return conf_errf(err, l, "mode: unknown mode '%s' (server or p2p)", l->argv[1]);
}

static void
p_mode(FILE *f, const struct conf_directive *dir, const void *o)
{
	if (((const struct server_conf *)o)->mode_server)
		fprintf(f, "mode server\n");
}

/*
 * `server NET MASK [nopool]`: 2.6's helper also implies `mode server` and
 * `tls-server`.  Mask limits are doc section 13: /29 or shorter for tun (the
 * server, the pool and broadcast need room) and at most /16, 2.6's
 * IFCONFIG_POOL_MIN_NETBITS.
 */
static int
h_server(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct addr net, mask, canon;
	uint8_t len;
	uint32_t m;
	char s[ADDR_STR_MAX];

	if (addr_parse(l->argv[1], &net) != 0 || net.family != AF_INET)
		return conf_errf(err, l, "server: '%s' is not an IPv4 network address", l->argv[1]);
	if (addr_parse(l->argv[2], &mask) != 0 || mask.family != AF_INET)
		return conf_errf(err, l, "server: '%s' is not an IPv4 netmask", l->argv[2]);
	if (addr_netmask_len(&mask, &len) != 0)
		return conf_errf(err, l, "server: '%s' is not a contiguous netmask", l->argv[2]);
	if (len > 29)
		return conf_errf(err, l, "server: netmask %s (/%u) is too small: "
		    "it must be /29 or shorter", l->argv[2], (unsigned)len);
	if (len < 16)
		return conf_errf(err, l, "server: netmask %s (/%u) is too large: "
		    "it must be /16 or longer (the pool holds at most 65536 addresses)",
		    l->argv[2], (unsigned)len);
	m = addr_v4(&mask);
	if ((addr_v4(&net) & ~m) != 0) {
		addr_from_v4(addr_v4(&net) & m, &canon);
		addr_format(&canon, s, sizeof(s));
		return conf_errf(err, l, "server: %s/%u has host bits set (did you mean %s?)",
		    l->argv[1], (unsigned)len, s);
	}
	if (addr_v4(&net) == 0)
		return conf_errf(err, l, "server: network 0.0.0.0 is not allowed");
	if (l->argc == 4 && strcmp(l->argv[3], "nopool") != 0)
		return conf_errf(err, l, "server: '%s' is not a recognized flag (only 'nopool')",
		    l->argv[3]);
	c->server_net.a = net;
	c->server_net.len = len;
	c->server_nopool = l->argc == 4;
	((struct cs_ctx *)ctx)->has_server = true;
	c->mode_server = true;
	c->tls_server = true;
	return 0;
}

/* server-ipv6 P/len (doc §13): 64 <= len <= 124, as 2.6 requires. */
static int
h_server_ipv6(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	      struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct prefix p;
	int r;

	r = prefix_parse(l->argv[1], false, &p);
	if (r != 0 || p.a.family != AF_INET6)
		return conf_errf(err, l, "server-ipv6: '%s' is not an IPv6 network with no host bits "
		    "set (e.g. fd00:8::/64)", l->argv[1]);
	if (p.len < 64 || p.len > 124)
		return conf_errf(err, l, "server-ipv6: /%u is out of range: the prefix must be "
		    "/64 to /124", (unsigned)p.len);
	c->server_net6 = p;
	c->has_server_ipv6 = true;
	return 0;
}

static void
p_server_ipv6(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[PREFIX_STR_MAX];

	if (!c->has_server_ipv6)
		return;
	prefix_format(&c->server_net6, s, sizeof(s));
	fprintf(f, "server-ipv6 %s\n", s);
}

/* client-config-dir DIR: per-client files, read at authentication. */
static int
h_client_config_dir(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		    struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	char full[PATH_MAX];
	struct stat st;

	if (resolve(x, l->argv[1], full, sizeof(full)) != 0)
		return conf_errf(err, l, "client-config-dir: path '%s' is too long", l->argv[1]);
	if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode))
		return conf_errf(err, l, "client-config-dir: '%s' is not a directory", full);
	free(x->c->ccd_dir);
	free(x->c->ccd_dir_as_written);
	x->c->ccd_dir = strdup(full);
	x->c->ccd_dir_as_written = strdup(l->argv[1]);
	if (x->c->ccd_dir == NULL || x->c->ccd_dir_as_written == NULL)
		return conf_errf(err, l, "client-config-dir: out of memory");
	return 0;
}

static void
p_client_config_dir(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->ccd_dir_as_written == NULL)
		return;
	fprintf(f, "client-config-dir ");
	conf_print_token(f, c->ccd_dir_as_written);
	fputc('\n', f);
}

/* crl-verify FILE (or inline): re-read by the server when the file changes. */
static int
h_crl_verify(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	     struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	char full[PATH_MAX];
	int r;

	if (!l->is_inline && l->argc == 3)
		return conf_errf(err, l, "crl-verify: the 'dir' form is not supported; give one PEM "
		    "file holding the CRLs");
	if ((r = load_blob(x, l, &x->c->crl, err)) != 0)
		return r;
	free(x->c->crl_path);
	x->c->crl_path = NULL;
	if (!l->is_inline) {
		if (resolve(x, l->argv[1], full, sizeof(full)) != 0 ||
		    (x->c->crl_path = strdup(full)) == NULL)
			return conf_errf(err, l, "crl-verify: out of memory");
	}
	return 0;
}

/* verify-x509-name NAME [subject|name|name-prefix]: 2.6's default type is subject. */
static int
h_verify_x509_name(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		   struct conf_err *err)
{
	static const char *const types[] = { "subject", "name", "name-prefix" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t i = 0;

	if (l->argc == 3) {
		for (i = 0; i < 3; i++)
			if (strcmp(l->argv[2], types[i]) == 0)
				break;
		if (i == 3)
			return conf_errf(err, l, "verify-x509-name: type '%s' must be subject, name or "
			    "name-prefix", l->argv[2]);
	}
	if (strlen(l->argv[1]) >= sizeof(c->verify_x509_name))
		return conf_errf(err, l, "verify-x509-name: name too long");
	snprintf(c->verify_x509_name, sizeof(c->verify_x509_name), "%s", l->argv[1]);
	c->verify_x509_type = (int)i;
	return 0;
}

static void
p_verify_x509_name(FILE *f, const struct conf_directive *dir, const void *o)
{
	static const char *const types[] = { "subject", "name", "name-prefix" };
	const struct server_conf *c = o;

	if (c->verify_x509_name[0] == '\0')
		return;
	fprintf(f, "verify-x509-name ");
	conf_print_token(f, c->verify_x509_name);
	fprintf(f, " %s\n", types[c->verify_x509_type]);
}

/* auth-user-pass-verify CMD via-env|via-file (2.6 semantics). */
static int
h_auth_user_pass_verify(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
			struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (strcmp(l->argv[2], "via-env") == 0)
		c->auth_via_file = false;
	else if (strcmp(l->argv[2], "via-file") == 0)
		c->auth_via_file = true;
	else
		return conf_errf(err, l, "auth-user-pass-verify: '%s' must be via-env or via-file",
		    l->argv[2]);
	if (strlen(l->argv[1]) >= sizeof(c->auth_user_pass_verify))
		return conf_errf(err, l, "auth-user-pass-verify: command too long");
	snprintf(c->auth_user_pass_verify, sizeof(c->auth_user_pass_verify), "%s", l->argv[1]);
	return 0;
}

static void
p_auth_user_pass_verify(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->auth_user_pass_verify[0] == '\0')
		return;
	fprintf(f, "auth-user-pass-verify ");
	conf_print_token(f, c->auth_user_pass_verify);
	fprintf(f, " %s\n", c->auth_via_file ? "via-file" : "via-env");
}

/* auth-gen-token [lifetime [renewal]] */
static int
h_auth_gen_token(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		 struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	c->auth_gen_token = true;
	c->auth_token_lifetime = 0;
	c->auth_token_renewal = 0;
	if (l->argc >= 2 && conf_arg_u32(l, 1, 0, 100 * 365 * 86400u, &c->auth_token_lifetime, err) != 0)
		return ERR_CONFIG;
	if (l->argc >= 3 && conf_arg_u32(l, 2, 1, 100 * 365 * 86400u, &c->auth_token_renewal, err) != 0)
		return ERR_CONFIG;
	return 0;
}

static void
p_auth_gen_token(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->auth_gen_token)
		fprintf(f, "auth-gen-token %u %u\n", c->auth_token_lifetime, c->auth_token_renewal);
}

static int
h_tmp_dir(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (strlen(l->argv[1]) >= sizeof(c->tmp_dir))
		return conf_errf(err, l, "tmp-dir: path too long");
	snprintf(c->tmp_dir, sizeof(c->tmp_dir), "%s", l->argv[1]);
	return 0;
}

static void
p_tmp_dir(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "tmp-dir ");
	conf_print_token(f, ((const struct server_conf *)o)->tmp_dir);
	fputc('\n', f);
}

/* tls-groups, tls-ciphersuites, tls-cipher: OpenSSL lists, checked by
 * OpenSSL when the endpoint starts (the message names the directive). */
static int
h_tls_list(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	   struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	char *dst = (char *)c + dir->off;
	size_t cap = dir->hi;

	if (strlen(l->argv[1]) >= cap)
		return conf_errf(err, l, "%s: list too long", l->argv[0]);
	snprintf(dst, cap, "%s", l->argv[1]);
	return 0;
}

static void
p_tls_list(FILE *f, const struct conf_directive *dir, const void *o)
{
	const char *v = (const char *)o + dir->off;

	if (v[0] == '\0')
		return;
	fprintf(f, "%s ", dir->name);
	conf_print_token(f, v);
	fputc('\n', f);
}

static const char *const cert_profiles[] = { "insecure", "legacy", "preferred", "suiteb" };

static int
h_tls_cert_profile(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		   struct conf_err *err)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(l->argv[1], cert_profiles[i]) == 0) {
			((struct cs_ctx *)ctx)->c->tls_cert_profile = (int)i;
			return 0;
		}
	}
	return conf_errf(err, l, "tls-cert-profile: '%s' must be insecure, legacy, preferred or "
	    "suiteb", l->argv[1]);
}

static void
p_tls_cert_profile(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->tls_cert_profile >= 0)
		fprintf(f, "tls-cert-profile %s\n", cert_profiles[c->tls_cert_profile]);
}

/* cipher X (2.6: the cipher for clients that do not negotiate, i.e. what
 * data-ciphers-fallback says now).  Only our AEAD ciphers are accepted. */
static int
h_cipher(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	const char *canon = cipher_canon(l->argv[1]);

	if (canon == NULL)
		return conf_errf(err, l, "cipher: '%s' is not supported: ovpn-endpoint uses AEAD "
		    "ciphers only (AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305); CBC ciphers such as "
		    "BF-CBC are refused", l->argv[1]);
	snprintf(c->data_ciphers_fallback, sizeof(c->data_ciphers_fallback), "%s", canon);
	return 0;
}

static void
p_server(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	struct addr mask;
	char n[ADDR_STR_MAX], m[ADDR_STR_MAX];

	if (c->server_net.a.family != AF_INET || c->has_client_cidr)
		return;
	addr_netmask_from_len(c->server_net.len, &mask);
	if (addr_format(&c->server_net.a, n, sizeof(n)) != 0 || addr_format(&mask, m, sizeof(m)) != 0)
		return;
	fprintf(f, "server %s %s%s\n", n, m, c->server_nopool ? " nopool" : "");
}

/* ---- flags ---- */









/* ---- numbers and timers (doc section 12) ---- */

static int
h_keepalive(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	uint32_t a, b;

	if (conf_arg_u32(l, 1, 1, 86400, &a, err) != 0 || conf_arg_u32(l, 2, 1, 86400, &b, err) != 0)
		return ERR_CONFIG;
	/* 2.6 helper_keepalive(): restart must be at least twice the ping. */
	if (b < 2 * a)
		return conf_errf(err, l, "keepalive: the restart timeout (%u) must be at least twice "
		    "the ping interval (%u); the usual setting is 'keepalive 10 60'", b, a);
	c->keepalive_ping = a;
	c->keepalive_restart = b;
	return 0;
}

static void
p_keepalive(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->keepalive_ping != 0)
		fprintf(f, "keepalive %u %u\n", c->keepalive_ping, c->keepalive_restart);
}







static int
h_explicit_exit_notify(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;

	if (l->argc == 1) {
		c->explicit_exit_notify = 1;   /* 2.6: no argument means 1 */
		return 0;
	}
	return conf_arg_u32(l, 1, 0, 255, &c->explicit_exit_notify, err);
}

static void
p_explicit_exit_notify(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "explicit-exit-notify %u\n", ((const struct server_conf *)o)->explicit_exit_notify);
}



static int
h_reneg_sec(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	uint32_t max, min = 0;

	if (conf_arg_u32(l, 1, 0, 31536000, &max, err) != 0)
		return ERR_CONFIG;
	if (l->argc == 3) {
		if (conf_arg_u32(l, 2, 0, 31536000, &min, err) != 0)
			return ERR_CONFIG;
		if (min > max)
			return conf_errf(err, l, "reneg-sec: the minimum (%u) is above the maximum (%u)",
			    min, max);
	}
	c->reneg_sec = max;
	c->reneg_sec_min = min;
	return 0;
}

static void
p_reneg_sec(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->reneg_sec_min != 0)
		fprintf(f, "reneg-sec %u %u\n", c->reneg_sec, c->reneg_sec_min);
	else
		fprintf(f, "reneg-sec %u\n", c->reneg_sec);
}





static int
h_replay_window(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	uint32_t w, t = 15;

	if (conf_arg_u32(l, 1, 0, CONF_REPLAY_WINDOW_MAX, &w, err) != 0)
		return ERR_CONFIG;
	/* 2.6 MAX_TIME_BACKTRACK is 600 s. */
	if (l->argc == 3 && conf_arg_u32(l, 2, 0, 600, &t, err) != 0)
		return ERR_CONFIG;
	c->replay_window = w;
	c->replay_time = t;
	return 0;
}

static void
p_replay_window(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	fprintf(f, "replay-window %u %u\n", c->replay_window, c->replay_time);
}

/* ---- TLS policy ---- */

static int
h_tls_version_min(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	const char *v = l->argv[1];
	int ver;

	if (strcmp(v, "1.2") == 0)
		ver = 12;
	else if (strcmp(v, "1.3") == 0)
		ver = 13;
	else if (strcmp(v, "1.0") == 0 || strcmp(v, "1.1") == 0)
		return conf_errf(err, l, "tls-version-min: TLS %s is not supported (use 1.2 or 1.3)", v);
	else
		return conf_errf(err, l, "tls-version-min: unknown TLS version '%s' (1.2 or 1.3)", v);
	if (l->argc == 3 && strcmp(l->argv[2], "or-highest") != 0)
		return conf_errf(err, l, "tls-version-min: '%s' is not 'or-highest'", l->argv[2]);
	c->tls_version_min = ver;
	c->tls_version_min_or_highest = l->argc == 3;
	return 0;
}

static void
p_tls_version_min(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->tls_version_min != 0)
		fprintf(f, "tls-version-min 1.%d%s\n", c->tls_version_min - 10,
		    c->tls_version_min_or_highest ? " or-highest" : "");
}

static int
h_remote_cert_tls(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	if (strcmp(l->argv[1], "client") == 0) {
		((struct cs_ctx *)ctx)->c->remote_cert_tls_client = true;
		return 0;
	}
	if (strcmp(l->argv[1], "server") == 0)
		return conf_errf(err, l, "remote-cert-tls: 'server' checks the peer is a server; "
		    "a server config wants 'remote-cert-tls client'");
	return conf_errf(err, l, "remote-cert-tls: '%s' must be 'client' or 'server'", l->argv[1]);
}

static void
p_remote_cert_tls(FILE *f, const struct conf_directive *dir, const void *o)
{
	if (((const struct server_conf *)o)->remote_cert_tls_client)
		fprintf(f, "remote-cert-tls client\n");
}

static int
h_verify_client_cert(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	static const char *const names[] = { [CONF_VERIFY_REQUIRE] = "require",
		[CONF_VERIFY_OPTIONAL] = "optional", [CONF_VERIFY_NONE] = "none" };
	const char *v = l->argc == 2 ? l->argv[1] : "require";   /* 2.6: no argument = require */
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcmp(v, names[i]) == 0) {
			((struct cs_ctx *)ctx)->c->verify_client_cert = (enum conf_verify_client_cert)i;
			return 0;
		}
	}
	return conf_errf(err, l, "verify-client-cert: '%s' must be 'none', 'optional' or 'require'", v);
}

static void
p_verify_client_cert(FILE *f, const struct conf_directive *dir, const void *o)
{
	static const char *const names[] = { "require", "optional", "none" };

	fprintf(f, "verify-client-cert %s\n",
	    names[((const struct server_conf *)o)->verify_client_cert]);
}

/* ---- push ---- */

static int
h_push(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t n = strlen(l->argv[1]);
	char **np, *s;

	if (n == 0)
		return conf_errf(err, l, "push: empty option");
	if (n > CONF_PUSH_MAX_LEN)
		return conf_errf(err, l, "push: option is longer than %u characters",
		    (unsigned)CONF_PUSH_MAX_LEN);
	if (strchr(l->argv[1], ',') != NULL)
		return conf_errf(err, l, "push: an option may not contain a comma (the client splits "
		    "PUSH_REPLY on commas); use one push line per option");
	if (c->n_push >= CONF_MAX_PUSH)
		return conf_errf(err, l, "push: more than %u push lines", (unsigned)CONF_MAX_PUSH);
	if ((s = strdup(l->argv[1])) == NULL)
		return conf_errf(err, l, "push: out of memory");
	if ((np = realloc(c->push, (c->n_push + 1) * sizeof(*np))) == NULL) {
		free(s);
		return conf_errf(err, l, "push: out of memory");
	}
	np[c->n_push++] = s;
	c->push = np;
	return 0;
}

static void
p_push(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	unsigned i;

	for (i = 0; i < c->n_push; i++) {
		fprintf(f, "push ");
		conf_print_token(f, c->push[i]);
		fputc('\n', f);
	}
}

/* ---- known 2.6 directives we do not implement yet ---- */


enum {
	S = CONF_SCOPE_SERVER,
	C = CONF_SCOPE_CLIENT,
	P = CONF_SCOPE_PUSH,
	D = CONF_SCOPE_CCD,
	ANY = CONF_ARGS_ANY,
};

/* Sorted by strcmp ('-' sorts before letters); test_conf_server checks it. */
/*
 * Table-generic handlers: a flag or a number stored straight into the
 * struct at the offset the table row gives, so one row is the whole
 * definition of such a directive (name, arguments, range, field, printing).
 */
static int
h_flag(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	(void)l;
	(void)err;
	*(bool *)(void *)((char *)((struct cs_ctx *)ctx)->c + dir->off) = true;
	return 0;
}

static void
p_flag(FILE *f, const struct conf_directive *dir, const void *o)
{
	if (*(const bool *)(const void *)((const char *)o + dir->off))
		fprintf(f, "%s\n", dir->name);
}

static int
h_u32(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	return conf_arg_u32(l, 1, dir->lo, dir->hi,
	    (uint32_t *)(void *)((char *)((struct cs_ctx *)ctx)->c + dir->off), err);
}

static void
p_u32(FILE *f, const struct conf_directive *dir, const void *o)
{
	fprintf(f, "%s %u\n", dir->name, *(const uint32_t *)(const void *)((const char *)o + dir->off));
}

/* ---- endpoint networking (client-cidr, target networks, routes, rules) ---- */

static const char *const rt_kind_names[] = {
	[RT_KIND_NONE] = "", [RT_KIND_VPC] = "vpc", [RT_KIND_PEERING] = "peering",
	[RT_KIND_SITE] = "site", [RT_KIND_INTERNET] = "internet",
};

static int
kind_parse(const char *s)
{
	int i;

	for (i = 1; i < (int)(sizeof(rt_kind_names) / sizeof(rt_kind_names[0])); i++)
		if (strcmp(s, rt_kind_names[i]) == 0)
			return i;
	return -1;
}

/* Group names reach logs, hooks and the management socket: keep them tame. */
static bool
group_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= CONF_GROUP_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._@-", s[i]) == NULL)
			return false;
	return true;
}

static int
copy_desc(char *out, const char *s, const struct conf_line *l, struct conf_err *err)
{
	size_t i, n = strlen(s);

	if (n >= CONF_DESC_MAX)
		return conf_errf(err, l, "%s: description is longer than %u characters", l->argv[0],
		    (unsigned)CONF_DESC_MAX - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return conf_errf(err, l, "%s: description has a control character",
			    l->argv[0]);
	memcpy(out, s, n + 1);
	return 0;
}

static int
find_target(const struct server_conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_targets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* client-cidr 10.100.0.0/22: the pool and `topology subnet`, as
 * `server 10.100.0.0 255.255.252.0` with `topology subnet`. */
static int
h_client_cidr(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	      struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct prefix p;

	if (prefix_parse(l->argv[1], false, &p) != 0 || p.a.family != AF_INET)
		return conf_errf(err, l, "client-cidr: '%s' is not an IPv4 network with no host bits "
		    "set (e.g. 10.100.0.0/22)", l->argv[1]);
	if (p.len > 29 || p.len < 16)
		return conf_errf(err, l, "client-cidr: /%u is out of range: /16 to /29",
		    (unsigned)p.len);
	if (addr_v4(&p.a) == 0)
		return conf_errf(err, l, "client-cidr: network 0.0.0.0 is not allowed");
	c->server_net = p;
	c->has_client_cidr = true;
	c->mode_server = true;
	c->tls_server = true;
	return 0;
}

static void
p_client_cidr(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[PREFIX_STR_MAX];

	if (c->has_client_cidr && prefix_format(&c->server_net, s, sizeof(s)) == 0)
		fprintf(f, "client-cidr %s\n", s);
}

static void p_learn_routes(FILE *f, const struct conf_directive *dir, const void *o);
static void p_endpoint_route(FILE *f, const struct conf_directive *dir, const void *o);

/* target-network NAME dev IF nat|routed [via GW] */
static int
h_target_network(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		 struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct conf_target t;
	size_t n;

	memset(&t, 0, sizeof(t));
	n = strlen(l->argv[1]);
	if (n == 0 || n >= CONF_NAME_MAX || !group_name_ok(l->argv[1]) ||
	    strcmp(l->argv[1], "blackhole") == 0 || strcmp(l->argv[1], "local") == 0)
		return conf_errf(err, l, "target-network: '%s' is not a usable name (letters, digits, "
		    "._@- up to %u characters; not 'blackhole' or 'local')", l->argv[1],
		    (unsigned)CONF_NAME_MAX - 1);
	if (find_target(c, l->argv[1]) >= 0)
		return conf_errf(err, l, "target-network: '%s' is defined twice", l->argv[1]);
	if (c->n_targets >= CONF_MAX_TARGETS)
		return conf_errf(err, l, "target-network: more than %u target networks",
		    (unsigned)CONF_MAX_TARGETS);
	memcpy(t.name, l->argv[1], n + 1);
	if (strcmp(l->argv[2], "dev") != 0)
		return conf_errf(err, l, "target-network: expected 'dev IFNAME' after the name, not "
		    "'%s'", l->argv[2]);
	n = strlen(l->argv[3]);
	if (n == 0 || n >= sizeof(t.dev) || strchr(l->argv[3], '/') != NULL ||
	    strchr(l->argv[3], '"') != NULL)
		return conf_errf(err, l, "target-network: '%s' is not an interface name", l->argv[3]);
	memcpy(t.dev, l->argv[3], n + 1);
	if (strcmp(l->argv[4], "nat") == 0)
		t.mode = CONF_TARGET_NAT;
	else if (strcmp(l->argv[4], "routed") == 0)
		t.mode = CONF_TARGET_ROUTED;
	else
		return conf_errf(err, l, "target-network: '%s' must be 'nat' (clients take the "
		    "interface's address) or 'routed' (the network sees client addresses)", l->argv[4]);
	if (l->argc == 7) {
		if (strcmp(l->argv[5], "via") != 0)
			return conf_errf(err, l, "target-network: expected 'via GATEWAY', not '%s'",
			    l->argv[5]);
		if (addr_parse(l->argv[6], &t.via) != 0)
			return conf_errf(err, l, "target-network: via '%s' is not an IP address",
			    l->argv[6]);
	} else if (l->argc != 5) {
		return conf_errf(err, l, "target-network: usage: target-network NAME dev IFNAME "
		    "nat|routed [via GATEWAY]");
	}
	c->targets[c->n_targets++] = t;
	c->endpoint = true;
	return 0;
}

static void
p_target_network(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char gw[ADDR_STR_MAX];
	unsigned i;

	for (i = 0; i < c->n_targets; i++) {
		const struct conf_target *t = &c->targets[i];

		fprintf(f, "target-network %s dev %s %s", t->name, t->dev,
		    t->mode == CONF_TARGET_NAT ? "nat" : "routed");
		if (t->via.family != 0 && addr_format(&t->via, gw, sizeof(gw)) == 0)
			fprintf(f, " via %s", gw);
		fputc('\n', f);
	}
	/* the lines that name targets follow their definitions, so the output
	 * parses back (the table prints in alphabetical order otherwise) */
	p_learn_routes(f, dir, o);
	p_endpoint_route(f, dir, o);
}

/* learn-routes NAME: the target's kernel routes enter the table live. */
static int
h_learn_routes(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	       struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	int i = find_target(c, l->argv[1]);

	if (i < 0)
		return conf_errf(err, l, "learn-routes: no target-network named '%s' (define it "
		    "first)", l->argv[1]);
	c->targets[i].learn = true;
	return 0;
}

static void
p_learn_routes(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	unsigned i;

	for (i = 0; i < c->n_targets; i++)
		if (c->targets[i].learn)
			fprintf(f, "learn-routes %s\n", c->targets[i].name);
}

static int
grow(void **arr, unsigned n, size_t size, unsigned max)
{
	void *p;

	if (n >= max)
		return ERR_FULL;
	if ((n & (n - 1)) != 0 && n != 0)
		return 0;                /* capacity doubles at powers of two */
	p = realloc(*arr, (n == 0 ? 4 : 2 * (size_t)n) * size);
	if (p == NULL)
		return ERR_NOMEM;
	*arr = p;
	return 0;
}

/* endpoint-route CIDR TARGET [KIND] ["description"] */
static int
h_endpoint_route(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		 struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct conf_ep_route r;
	unsigned a = 3;
	int k;

	memset(&r, 0, sizeof(r));
	if (prefix_parse(l->argv[1], false, &r.dst) != 0)
		return conf_errf(err, l, "endpoint-route: '%s' is not a network with no host bits set "
		    "(e.g. 10.0.0.0/16)", l->argv[1]);
	if (strcmp(l->argv[2], "blackhole") == 0) {
		r.target = -1;
	} else if ((r.target = find_target(c, l->argv[2])) < 0) {
		return conf_errf(err, l, "endpoint-route: no target-network named '%s' (define it "
		    "first, or use 'blackhole')", l->argv[2]);
	}
	if (l->argc > a && (k = kind_parse(l->argv[a])) >= 0) {
		r.kind = k;
		a++;
	}
	if (l->argc > a) {
		if (copy_desc(r.desc, l->argv[a], l, err) != 0)
			return ERR_CONFIG;
		a++;
	}
	if (l->argc > a)
		return conf_errf(err, l, "endpoint-route: unexpected '%s' (kind is vpc, peering, site "
		    "or internet; a description with spaces needs quotes)", l->argv[a]);
	for (k = 0; k < (int)c->n_ep_routes; k++)
		if (prefix_eq(&c->ep_routes[k].dst, &r.dst))
			return conf_errf(err, l, "endpoint-route: %s is already routed", l->argv[1]);
	if ((k = grow((void **)&c->ep_routes, c->n_ep_routes, sizeof(r), CONF_MAX_EP_ROUTES)) != 0)
		return conf_errf(err, l, "endpoint-route: %s", k == ERR_FULL ?
		    "too many routes" : "out of memory");
	c->ep_routes[c->n_ep_routes++] = r;
	return 0;
}

static void
p_endpoint_route(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[PREFIX_STR_MAX];
	unsigned i;

	for (i = 0; i < c->n_ep_routes; i++) {
		const struct conf_ep_route *r = &c->ep_routes[i];

		if (prefix_format(&r->dst, s, sizeof(s)) != 0)
			continue;
		fprintf(f, "endpoint-route %s %s", s, r->target < 0 ? "blackhole" :
		    c->targets[r->target].name);
		if (r->kind != RT_KIND_NONE)
			fprintf(f, " %s", rt_kind_names[r->kind]);
		if (r->desc[0] != '\0') {
			fputc(' ', f);
			conf_print_token(f, r->desc);
		}
		fputc('\n', f);
	}
}

/* authorize CIDR all|group NAME [allow|deny] ["description"] */
static int
h_authorize(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	    struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct conf_authz z;
	unsigned a = 3;
	int k;

	memset(&z, 0, sizeof(z));
	if (prefix_parse(l->argv[1], false, &z.dst) != 0)
		return conf_errf(err, l, "authorize: '%s' is not a network with no host bits set "
		    "(e.g. 10.0.0.0/16, or 0.0.0.0/0 for everything)", l->argv[1]);
	if (strcmp(l->argv[2], "group") == 0) {
		if (l->argc < 4 || !group_name_ok(l->argv[3]))
			return conf_errf(err, l, "authorize: 'group' needs a name (letters, digits, "
			    "._@- up to %u characters)", (unsigned)CONF_GROUP_MAX - 1);
		snprintf(z.group, sizeof(z.group), "%s", l->argv[3]);
		a = 4;
	} else if (strcmp(l->argv[2], "all") != 0) {
		return conf_errf(err, l, "authorize: '%s' must be 'all' or 'group NAME'", l->argv[2]);
	}
	if (l->argc > a && (strcmp(l->argv[a], "allow") == 0 || strcmp(l->argv[a], "deny") == 0)) {
		z.deny = l->argv[a][0] == 'd';
		a++;
	}
	if (l->argc > a) {
		if (copy_desc(z.desc, l->argv[a], l, err) != 0)
			return ERR_CONFIG;
		a++;
	}
	if (l->argc > a)
		return conf_errf(err, l, "authorize: unexpected '%s' (usage: authorize CIDR all|group "
		    "NAME [allow|deny] [\"description\"])", l->argv[a]);
	for (k = 0; k < (int)c->n_authz; k++)
		if (prefix_eq(&c->authz[k].dst, &z.dst) &&
		    strcmp(c->authz[k].group, z.group) == 0)
			return conf_errf(err, l, "authorize: a rule for %s and %s%s already exists",
			    l->argv[1], z.group[0] ? "group " : "all", z.group);
	if ((k = grow((void **)&c->authz, c->n_authz, sizeof(z), CONF_MAX_AUTHZ)) != 0)
		return conf_errf(err, l, "authorize: %s", k == ERR_FULL ? "too many rules" :
		    "out of memory");
	c->authz[c->n_authz++] = z;
	c->endpoint = true;
	return 0;
}

static void
p_authorize(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[PREFIX_STR_MAX];
	unsigned i;

	for (i = 0; i < c->n_authz; i++) {
		const struct conf_authz *z = &c->authz[i];

		if (prefix_format(&z->dst, s, sizeof(s)) != 0)
			continue;
		if (z->group[0] != '\0')
			fprintf(f, "authorize %s group %s %s", s, z->group, z->deny ? "deny" : "allow");
		else
			fprintf(f, "authorize %s all %s", s, z->deny ? "deny" : "allow");
		if (z->desc[0] != '\0') {
			fputc(' ', f);
			conf_print_token(f, z->desc);
		}
		fputc('\n', f);
	}
}

/* split-tunnel on|off [group NAME] */
static int
h_split_tunnel(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	       struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	bool on;
	unsigned i;

	if (strcmp(l->argv[1], "on") == 0)
		on = true;
	else if (strcmp(l->argv[1], "off") == 0)
		on = false;
	else
		return conf_errf(err, l, "split-tunnel: '%s' must be 'on' or 'off'", l->argv[1]);
	if (l->argc == 2) {
		c->split_tunnel = on;
		return 0;
	}
	if (l->argc != 4 || strcmp(l->argv[2], "group") != 0 || !group_name_ok(l->argv[3]))
		return conf_errf(err, l, "split-tunnel: usage: split-tunnel on|off [group NAME]");
	for (i = 0; i < c->n_split_groups; i++)
		if (strcmp(c->split_groups[i].group, l->argv[3]) == 0)
			return conf_errf(err, l, "split-tunnel: group %s is given twice", l->argv[3]);
	if (c->n_split_groups >= CONF_MAX_SPLIT)
		return conf_errf(err, l, "split-tunnel: more than %u group overrides",
		    (unsigned)CONF_MAX_SPLIT);
	snprintf(c->split_groups[c->n_split_groups].group, CONF_GROUP_MAX, "%s", l->argv[3]);
	c->split_groups[c->n_split_groups++].on = on;
	return 0;
}

static void
p_split_tunnel(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	unsigned i;

	if (!c->endpoint)
		return;
	fprintf(f, "split-tunnel %s\n", c->split_tunnel == 1 ? "on" : "off");
	for (i = 0; i < c->n_split_groups; i++)
		fprintf(f, "split-tunnel %s group %s\n", c->split_groups[i].on ? "on" : "off",
		    c->split_groups[i].group);
}

static int
h_dns_server(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	     struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct addr a;

	if (addr_parse(l->argv[1], &a) != 0)
		return conf_errf(err, l, "dns-server: '%s' is not an IP address", l->argv[1]);
	if (c->n_dns >= CONF_MAX_DNS)
		return conf_errf(err, l, "dns-server: at most %u servers", (unsigned)CONF_MAX_DNS);
	c->dns[c->n_dns++] = a;
	return 0;
}

static void
p_dns_server(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;
	char s[ADDR_STR_MAX];
	unsigned i;

	for (i = 0; i < c->n_dns; i++)
		if (addr_format(&c->dns[i], s, sizeof(s)) == 0)
			fprintf(f, "dns-server %s\n", s);
}

/* client-group-from-cert FIELD: the subject fields whose values name groups. */
static int
h_group_from_cert(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		  struct conf_err *err)
{
	static const char *const fields[] = { "OU", "O", "CN", "L", "ST", "C", "DC", "title",
		"description", "businessCategory", "role" };
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(l->argv[1], fields[i]) == 0) {
			snprintf(c->group_from_cert, sizeof(c->group_from_cert), "%s", fields[i]);
			return 0;
		}
	}
	return conf_errf(err, l, "client-group-from-cert: '%s' is not a subject field we read "
	    "(OU, O, CN, L, ST, C, DC, title, description, businessCategory, role)", l->argv[1]);
}

static void
p_group_from_cert(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->group_from_cert[0] != '\0')
		fprintf(f, "client-group-from-cert %s\n", c->group_from_cert);
}

/* ifconfig-pool-persist FILE [seconds] (2.6: seconds 0 = read only) */
static int
h_ifconfig_pool_persist(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
			struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	char full[PATH_MAX];
	uint32_t secs = 600;

	if (l->argc == 3 && conf_arg_u32(l, 2, 0, 86400 * 365, &secs, err) != 0)
		return ERR_CONFIG;
	if (l->argv[1][0] == '\0' || resolve(x, l->argv[1], full, sizeof(full)) != 0)
		return conf_errf(err, l, "ifconfig-pool-persist: bad path '%s'", l->argv[1]);
	free(x->c->ipp_path);
	free(x->c->ipp_path_as_written);
	x->c->ipp_path = strdup(full);
	x->c->ipp_path_as_written = strdup(l->argv[1]);
	if (x->c->ipp_path == NULL || x->c->ipp_path_as_written == NULL)
		return conf_errf(err, l, "ifconfig-pool-persist: out of memory");
	x->c->ipp_secs = secs;
	return 0;
}

static void
p_ifconfig_pool_persist(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->ipp_path_as_written == NULL)
		return;
	fprintf(f, "ifconfig-pool-persist ");
	conf_print_token(f, c->ipp_path_as_written);
	fprintf(f, " %u\n", c->ipp_secs);
}

static int
h_endpoint_table(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		 struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	uint32_t v;

	if (conf_arg_u32(l, 1, 1, 0x7fffffff, &v, err) != 0)
		return ERR_CONFIG;
	if (v >= 253 && v <= 255)
		return conf_errf(err, l, "endpoint-table: '%s' must be a routing table id from 1 to "
		    "2147483647, not 253-255 (default, main, local)", l->argv[1]);
	c->ep_table = v;
	return 0;
}

/* Cross-directive rules of the endpoint vocabulary (called from check_whole). */
static int
check_endpoint(struct cs_ctx *x, struct conf_err *err)
{
	struct server_conf *c = x->c;
	const char *f = c->file;
	unsigned i, j;

	if (c->has_client_cidr) {
		if (x->has_server)
			return conf_errf_file(err, f, "'server' and 'client-cidr' both set the client "
			    "network: keep one");
		if (c->has_topology && c->topology != TOPO_SUBNET)
			return conf_errf_file(err, f, "client-cidr hands out addresses with 'topology "
			    "subnet'; remove the 'topology' line");
		c->topology = TOPO_SUBNET;
		c->has_topology = true;
	}
	for (i = 0; i < c->n_ep_routes; i++) {
		const struct conf_ep_route *r = &c->ep_routes[i];
		char s[PREFIX_STR_MAX];

		if (r->dst.a.family == AF_INET && r->dst.len >= c->server_net.len &&
		    prefix_contains(&c->server_net, &r->dst.a)) {
			prefix_format(&r->dst, s, sizeof(s));
			return conf_errf_file(err, f, "endpoint-route %s lies inside the client CIDR; "
			    "clients are reached directly", s);
		}
		if (r->dst.a.family == AF_INET6 && !c->has_server_ipv6) {
			prefix_format(&r->dst, s, sizeof(s));
			return conf_errf_file(err, f, "endpoint-route %s is IPv6 but clients have no "
			    "IPv6 addresses: add 'client-cidr-ipv6'", s);
		}
		if (r->target >= 0 && c->targets[r->target].via.family != 0 &&
		    c->targets[r->target].via.family != r->dst.a.family) {
			prefix_format(&r->dst, s, sizeof(s));
			return conf_errf_file(err, f, "endpoint-route %s: target-network %s has a "
			    "next hop of the other address family", s, c->targets[r->target].name);
		}
	}
	for (i = 0; i < c->n_split_groups; i++) {
		for (j = 0; j < c->n_authz; j++)
			if (strcmp(c->authz[j].group, c->split_groups[i].group) == 0)
				break;
		if (j == c->n_authz)
			return conf_errf_file(err, f, "split-tunnel ... group %s: no authorize rule "
			    "names that group", c->split_groups[i].group);
	}
	if (c->split_tunnel < 0)
		c->split_tunnel = 0;     /* AWS's default: full tunnel */
	if (c->ep_table == 0)
		c->ep_table = 1194;
	return 0;
}

static void
p_endpoint_table(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->endpoint)
		fprintf(f, "endpoint-table %u\n", c->ep_table);
}


/* ---- operations: status, management, logs, hooks, session policy ---- */

/* A string stored straight into a char array of the config (size in dir->hi). */
static int
h_str(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	char *dst = (char *)((struct cs_ctx *)ctx)->c + dir->off;
	size_t n = strlen(l->argv[1]);

	if (n == 0)
		return conf_errf(err, l, "%s: empty value", dir->name);
	if (n >= dir->hi)
		return conf_errf(err, l, "%s: value is longer than %u characters", dir->name,
		    (unsigned)dir->hi - 1);
	memcpy(dst, l->argv[1], n + 1);
	return 0;
}

static void
p_str(FILE *f, const struct conf_directive *dir, const void *o)
{
	const char *s = (const char *)o + dir->off;

	if (s[0] == '\0')
		return;
	fprintf(f, "%s ", dir->name);
	conf_print_token(f, s);
	fputc('\n', f);
}

#define STR(field) h_str, p_str, offsetof(struct server_conf, field), 0, \
	sizeof(((struct server_conf *)0)->field)

static int
resolve_into(struct cs_ctx *x, const char *rel, char *out, size_t cap)
{
	return rel[0] == '\0' || resolve(x, rel, out, cap) != 0 ? ERR_OVERFLOW : 0;
}

/* status FILE [seconds] */
static int
h_status(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;

	if (resolve_into(x, l->argv[1], x->c->status_file, sizeof(x->c->status_file)) != 0)
		return conf_errf(err, l, "status: bad or too long path '%s'", l->argv[1]);
	x->c->status_secs = 60;
	if (l->argc == 3 && conf_arg_u32(l, 2, 1, 86400, &x->c->status_secs, err) != 0)
		return ERR_CONFIG;
	return 0;
}

static void
p_status(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->status_file[0] == '\0')
		return;
	fprintf(f, "status ");
	conf_print_token(f, c->status_file);
	fprintf(f, " %u\n", c->status_secs);
}

/* management IP PORT [pw-file] | management PATH unix [pw-file] */
static int
h_management(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	     struct conf_err *err)
{
	struct cs_ctx *x = ctx;
	struct server_conf *c = x->c;
	struct addr a;
	uint32_t port;

	memset(c->mgmt_where, 0, sizeof(c->mgmt_where));
	c->mgmt_pwfile[0] = '\0';
	if (strcmp(l->argv[2], "unix") == 0) {
		c->mgmt_unix = true;
		if (resolve_into(x, l->argv[1], c->mgmt_where, sizeof(c->mgmt_where)) != 0)
			return conf_errf(err, l, "management: socket path '%s' is too long (at most "
			    "%zu bytes)", l->argv[1], sizeof(c->mgmt_where) - 1);
	} else {
		c->mgmt_unix = false;
		if (addr_parse(l->argv[1], &a) != 0)
			return conf_errf(err, l, "management: '%s' is not an IP address (or use "
			    "'management PATH unix')", l->argv[1]);
		if (conf_arg_u32(l, 2, 1, 65535, &port, err) != 0)
			return ERR_CONFIG;
		snprintf(c->mgmt_where, sizeof(c->mgmt_where), "%s", l->argv[1]);
		c->mgmt_port = (uint16_t)port;
	}
	if (l->argc == 4) {
		if (strcmp(l->argv[3], "stdin") == 0)
			return conf_errf(err, l, "management: a password from stdin is not supported "
			    "(a daemon has no terminal); give a password file");
		if (resolve_into(x, l->argv[3], c->mgmt_pwfile, sizeof(c->mgmt_pwfile)) != 0)
			return conf_errf(err, l, "management: bad password file path '%s'", l->argv[3]);
	}
	c->has_mgmt = true;
	return 0;
}

static void
p_management(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (!c->has_mgmt)
		return;
	fprintf(f, "management ");
	conf_print_token(f, c->mgmt_where);
	if (c->mgmt_unix)
		fprintf(f, " unix");
	else
		fprintf(f, " %u", c->mgmt_port);
	if (c->mgmt_pwfile[0] != '\0') {
		fputc(' ', f);
		conf_print_token(f, c->mgmt_pwfile);
	}
	fputc('\n', f);
}

/* connection-log FILE|syslog */
static int
h_connection_log(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		 struct conf_err *err)
{
	struct cs_ctx *x = ctx;

	if (strcmp(l->argv[1], "syslog") == 0) {
		snprintf(x->c->connlog, sizeof(x->c->connlog), "syslog");
		return 0;
	}
	if (resolve_into(x, l->argv[1], x->c->connlog, sizeof(x->c->connlog)) != 0)
		return conf_errf(err, l, "connection-log: bad or too long path '%s'", l->argv[1]);
	return 0;
}

/* log FILE / log-append FILE: the daemon's log goes to FILE instead of stderr */
static int
h_log(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct cs_ctx *x = ctx;

	if (resolve_into(x, l->argv[1], x->c->log_file, sizeof(x->c->log_file)) != 0)
		return conf_errf(err, l, "%s: bad or too long path '%s'", dir->name, l->argv[1]);
	x->c->log_append = strcmp(dir->name, "log-append") == 0;
	return 0;
}

static void
p_log(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	/* both rows share one setting: print it once, from the row it came from */
	if (c->log_file[0] == '\0' || c->log_append != (strcmp(dir->name, "log-append") == 0))
		return;
	fprintf(f, "%s ", dir->name);
	conf_print_token(f, c->log_file);
	fputc('\n', f);
}

/* banner "TEXT": shown by clients that display pushed `echo msg` lines
 * (OpenVPN GUI, Tunnelblick); PUSH_REPLY splits on commas, so none here */
static int
h_banner(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	 struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	size_t i, n = strlen(l->argv[1]);

	if (n == 0 || n >= sizeof(c->banner))
		return conf_errf(err, l, "banner: 1 to %zu characters", sizeof(c->banner) - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)l->argv[1][i] < 0x20 || l->argv[1][i] == 0x7f ||
		    l->argv[1][i] == ',')
			return conf_errf(err, l, "banner: no commas or control characters (the client "
			    "splits pushed options on commas)");
	memcpy(c->banner, l->argv[1], n + 1);
	return 0;
}

/* metrics IP PORT */
static int
h_metrics(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	  struct conf_err *err)
{
	struct server_conf *c = ((struct cs_ctx *)ctx)->c;
	struct addr a;
	uint32_t port;

	if (addr_parse(l->argv[1], &a) != 0)
		return conf_errf(err, l, "metrics: '%s' is not an IP address", l->argv[1]);
	if (conf_arg_u32(l, 2, 1, 65535, &port, err) != 0)
		return ERR_CONFIG;
	snprintf(c->metrics_addr, sizeof(c->metrics_addr), "%s", l->argv[1]);
	c->metrics_port = (uint16_t)port;
	c->has_metrics = true;
	return 0;
}

static void
p_metrics(FILE *f, const struct conf_directive *dir, const void *o)
{
	const struct server_conf *c = o;

	if (c->has_metrics)
		fprintf(f, "metrics %s %u\n", c->metrics_addr, c->metrics_port);
}

static int
check_operations(struct cs_ctx *x, struct conf_err *err)
{
	struct server_conf *c = x->c;
	const char *hooks[] = { c->client_connect, c->client_disconnect, c->learn_address,
		c->connect_handler };
	const char *names[] = { "client-connect", "client-disconnect", "learn-address",
		"client-connect-handler" };
	size_t i;

	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (hooks[i][0] != '\0' && c->script_security < 2)
			return conf_errf_file(err, c->file, "%s needs 'script-security 2' (2.6 "
			    "refuses it too: it runs a script)", names[i]);
	if (c->client_connect[0] != '\0' && c->connect_handler[0] != '\0')
		return conf_errf_file(err, c->file, "client-connect and client-connect-handler "
		    "cannot both be set: keep one");
	return 0;
}

#define BLOB(field) h_blob, p_blob, offsetof(struct server_conf, field), 0, 0
#define FLAG(field) h_flag, p_flag, offsetof(struct server_conf, field), 0, 0
/* 2.6's ranges where it has one; tun-mtu's ceiling keeps packet buffers fixed;
 * max-clients stays below the 24-bit peer-id "none" value. */
#define U32(field, lo, hi) h_u32, p_u32, offsetof(struct server_conf, field), lo, hi

static const struct conf_directive table[] = {
	{ "allow-compression",     1, 1,   S | C,     false, h_allow_compression, p_allow_compression },
	{ "auth",                  1, 1,   S | C,     false, h_auth, p_auth },
	{ "auth-gen-token",        0, 2,   S,         false, h_auth_gen_token, p_auth_gen_token },
	{ "auth-gen-token-secret", 1, 1,   S,         true,  BLOB(auth_token_secret) },
	{ "auth-user-pass-optional", 0, 0, S,         false, FLAG(auth_user_pass_optional) },
	{ "auth-user-pass-verify", 2, 2,   S,         false, h_auth_user_pass_verify,
	                                                      p_auth_user_pass_verify },
	{ "authorize",             2, 5,   S,         false, h_authorize, p_authorize },
	{ "banner",                1, 1,   S,         false, h_banner, p_str,
	                                   offsetof(struct server_conf, banner), 0, 256 },
	{ "ca",                    1, 1,   S | C,     true,  BLOB(ca) },
	{ "ccd-exclusive",         0, 0,   S,         false, FLAG(ccd_exclusive) },
	{ "cert",                  1, 1,   S | C,     true,  BLOB(cert) },
	{ "cipher",                1, 1,   S | C,     false, h_cipher, NULL },
	{ "client-cidr",           1, 1,   S,         false, h_client_cidr, p_client_cidr },
	{ "client-cidr-ipv6",      1, 1,   S,         false, h_server_ipv6, NULL },
	{ "client-config-dir",     1, 1,   S,         false, h_client_config_dir, p_client_config_dir },
	{ "client-connect",        1, 1,   S,         false, STR(client_connect) },
	{ "client-connect-handler", 1, 1,  S,         false, STR(connect_handler) },
	{ "client-disconnect",     1, 1,   S,         false, STR(client_disconnect) },
	{ "client-group-from-cert", 1, 1,  S,         false, h_group_from_cert, p_group_from_cert },
	{ "client-to-client",      0, 0,   S,         false, FLAG(client_to_client) },
	{ "comp-lzo",              0, 1,   S | C | P | D, false, h_compress, p_compress },
	{ "compress",              0, 1,   S | C | P | D, false, h_compress, p_compress },
	{ "connection-log",        1, 1,   S,         false, h_connection_log, p_str,
	                                   offsetof(struct server_conf, connlog), 0, 512 },
	{ "crl-verify",            1, 2,   S | C,     true,  h_crl_verify, p_blob,
	                                                      offsetof(struct server_conf, crl) },
	{ "data-ciphers",          1, 1,   S | C,     false, h_data_ciphers, p_data_ciphers },
	{ "data-ciphers-fallback", 1, 1,   S | C,     false, h_data_ciphers_fallback,
	                                                      p_data_ciphers_fallback },
	{ "dev",                   1, 1,   S | C,     false, h_dev, p_dev },
	{ "dev-type",              1, 1,   S | C,     false, h_dev_type, p_dev_type },
	{ "dh",                    1, 1,   S,         true,  h_dh, p_dh },
	{ "dns-server",            1, 1,   S,         false, h_dns_server, p_dns_server },
	{ "duplicate-cn",          0, 0,   S,         false, FLAG(duplicate_cn) },
	{ "ecdh-curve",            1, 1,   S | C,     false, h_tls_list, NULL,
	                                   offsetof(struct server_conf, tls_groups), 0, 256 },
	{ "endpoint-route",        2, 4,   S,         false, h_endpoint_route, NULL },
	{ "endpoint-table",        1, 1,   S,         false, h_endpoint_table, p_endpoint_table },
	{ "explicit-exit-notify",  0, 1,   S | C,     false, h_explicit_exit_notify,
	                                                      p_explicit_exit_notify },
	{ "group",                 1, 1,   S | C,     false, STR(group_name) },
	{ "hand-window",           1, 1,   S | C,     false, U32(hand_window, 1, 86400) },
	{ "hook-timeout",          1, 1,   S,         false, U32(hook_timeout, 1, 3600) },
	{ "idle-timeout",          1, 1,   S,         false, U32(idle_timeout, 0, 31536000) },
	{ "ifconfig-pool-persist", 1, 2,   S,         false, h_ifconfig_pool_persist,
	                                                      p_ifconfig_pool_persist },
	{ "keepalive",             2, 2,   S | C,     false, h_keepalive, p_keepalive },
	{ "key",                   1, 1,   S | C,     true,  BLOB(key) },
	{ "key-direction",         1, 1,   S | C,     false, h_key_direction, p_key_direction },
	{ "learn-address",         1, 1,   S,         false, STR(learn_address) },
	{ "learn-routes",          1, 1,   S,         false, h_learn_routes, NULL },
	{ "listen-also",           1, 2,   S,         false, h_listen_also, p_listen_also },
	{ "local",                 1, 1,   S | C,     false, h_local, p_local },
	{ "log",                   1, 1,   S | C,     false, h_log, p_log },
	{ "log-append",            1, 1,   S | C,     false, h_log, p_log },
	{ "management",            2, 3,   S | C,     false, h_management, p_management },
	{ "management-client-auth", 0, 0,  S,         false, FLAG(mgmt_client_auth) },
	{ "management-password-timeout", 1, 1, S,     false, U32(mgmt_pw_timeout, 1, 3600) },
	{ "max-clients",           1, 1,   S,         false, U32(max_clients, 1, 0xfffffe) },
	{ "max-devices-per-user",  1, 1,   S,         false, U32(max_user_devices, 0, 65536) },
	{ "max-half-open",         1, 1,   S,         false, U32(max_half_open, 1, 65536) },
	{ "max-half-open-per-source", 1, 1, S,        false, U32(max_half_open_src, 1, 65536) },
	{ "metrics",               2, 2,   S,         false, h_metrics, p_metrics },
	{ "mode",                  1, 1,   S,         false, h_mode, p_mode },
	{ "mute",                  1, 1,   S | C,     false, U32(mute, 0, 1000000) },
	{ "ncp-ciphers",           1, 1,   S | C,     false, h_data_ciphers, NULL },
	{ "persist-key",           0, 0,   S | C,     false, FLAG(persist_key) },
	{ "persist-tun",           0, 0,   S | C,     false, FLAG(persist_tun) },
	{ "port",                  1, 1,   S | C,     false, h_port, p_port },
	{ "proto",                 1, 1,   S | C,     false, h_proto, p_proto },
	{ "push",                  1, 1,   S | D,     false, h_push, p_push },
	{ "remote-cert-tls",       1, 1,   S | C,     false, h_remote_cert_tls, p_remote_cert_tls },
	{ "reneg-bytes",           1, 1,   S | C,     false, U32(reneg_bytes, 0, 2147483647) },
	{ "reneg-pkts",            1, 1,   S | C,     false, U32(reneg_pkts, 0, 2147483647) },
	{ "reneg-sec",             1, 2,   S | C,     false, h_reneg_sec, p_reneg_sec },
	{ "replay-window",         1, 2,   S | C,     false, h_replay_window, p_replay_window },
	{ "script-security",       1, 1,   S | C,     false, U32(script_security, 0, 3) },
	{ "server",                2, 3,   S,         false, h_server, p_server },
	{ "server-ipv6",           1, 1,   S,         false, h_server_ipv6, p_server_ipv6 },
	{ "session-timeout",       1, 1,   S,         false, U32(session_timeout, 0, 31536000) },
	{ "split-tunnel",          1, 3,   S,         false, h_split_tunnel, p_split_tunnel },
	{ "status",                1, 2,   S | C,     false, h_status, p_status },
	{ "status-version",        1, 1,   S,         false, U32(status_version, 1, 3) },
	{ "target-network",        4, 6,   S,         false, h_target_network, p_target_network },
	{ "tls-auth",              1, 2,   S | C,     true,  h_tls_auth, p_tls_auth },
	{ "tls-cert-profile",      1, 1,   S | C,     false, h_tls_cert_profile, p_tls_cert_profile },
	{ "tls-cipher",            1, 1,   S | C,     false, h_tls_list, p_tls_list,
	                                   offsetof(struct server_conf, tls_cipher), 0, 512 },
	{ "tls-ciphersuites",      1, 1,   S | C,     false, h_tls_list, p_tls_list,
	                                   offsetof(struct server_conf, tls_ciphersuites), 0, 256 },
	{ "tls-crypt",             1, 1,   S | C,     true,  h_tls_crypt, p_blob,
	                                                      offsetof(struct server_conf, tls_crypt) },
	{ "tls-crypt-v2",          1, 2,   S,         true,  h_tls_crypt_v2, p_tls_crypt_v2 },
	{ "tls-groups",            1, 1,   S | C,     false, h_tls_list, p_tls_list,
	                                   offsetof(struct server_conf, tls_groups), 0, 256 },
	{ "tls-server",            0, 0,   S,         false, FLAG(tls_server) },
	{ "tls-timeout",           1, 1,   S | C,     false, U32(tls_timeout, 1, 3600) },
	{ "tls-version-min",       1, 2,   S | C,     false, h_tls_version_min, p_tls_version_min },
	{ "tmp-dir",               1, 1,   S | C,     false, h_tmp_dir, p_tmp_dir },
	{ "topology",              1, 1,   S | C | P, false, h_topology, p_topology },
	{ "tun-mtu",               1, 1,   S | C | P, false, U32(tun_mtu, 100, 9000) },
	{ "user",                  1, 1,   S | C,     false, STR(user) },
	{ "verb",                  1, 1,   S | C,     false, U32(verb, 0, 11) },
	{ "verify-client-cert",    0, 1,   S,         false, h_verify_client_cert, p_verify_client_cert },
	{ "verify-x509-name",      1, 2,   S | C,     false, h_verify_x509_name, p_verify_x509_name },
};

const struct conf_directive *
conf_server_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* Rules that involve more than one directive, after the whole file is read. */
static int
check_whole(struct cs_ctx *x, struct conf_err *err)
{
	struct server_conf *c = x->c;
	const char *f = c->file;
	int r;

	if (c->server_net.a.family == 0)
		return conf_errf_file(err, f, "no 'server' or 'client-cidr' directive: ovpn-endpoint runs only as a "
		    "server, configured with 'server NET MASK' or 'client-cidr NET/LEN'");
	/* No topology line means net30, as in 2.6 (deprecated there too, but
	 * existing configs rely on it); the endpoint logs a hint at startup. */
	if (!x->has_dev)
		return conf_errf_file(err, f, "no 'dev' given: add 'dev tun'");
	if (x->dev_type == DEV_TYPE_NONE && strncmp(c->dev, "tun", 3) != 0) {
		if (strncmp(c->dev, "tap", 3) == 0)
			return conf_errf_file(err, f, "dev '%s': tap devices are not supported yet "
			    "(only tun)", c->dev);
		return conf_errf_file(err, f, "cannot tell the type of device '%s': add 'dev-type tun'",
		    c->dev);
	}
	if (c->ca.data == NULL)
		return conf_errf_file(err, f, "no 'ca' given (the CA that signs client certificates)");
	if (c->cert.data == NULL)
		return conf_errf_file(err, f, "no 'cert' given (the server's certificate)");
	if (c->key.data == NULL)
		return conf_errf_file(err, f, "no 'key' given (the server's private key)");
	if (c->dh.data == NULL && !c->dh_none)
		return conf_errf_file(err, f, "no 'dh' given: OpenVPN 2.6 requires 'dh FILE', "
		    "or 'dh none' for ECDHE only");

	/* Socket family: udp4/tcp4* and udp6/tcp6* fix it; plain udp/tcp follow `local`. */
	if (c->proto[3] == '6')
		c->family = AF_INET6;
	else if (c->proto[3] == '4')
		c->family = AF_INET;
	else
		c->family = c->has_local ? c->local.family : AF_INET;
	if (c->has_listen_also) {
		if (c->listen_also_tcp == c->tcp)
			return conf_errf_file(err, f, "'listen-also %s' repeats the main protocol '%s': "
			    "it adds the other transport", c->listen_also, c->proto);
		c->listen_also_family = c->listen_also[3] == '6' ? AF_INET6 :
		    c->listen_also[3] == '4' ? AF_INET : c->family;
		if (c->listen_also_port == 0)
			c->listen_also_port = c->port;
	}
	if (c->has_local && c->local.family != c->family)
		return conf_errf_file(err, f, "'local' is an %s address but 'proto %s' is %s-only",
		    c->local.family == AF_INET ? "IPv4" : "IPv6", c->proto,
		    c->family == AF_INET ? "IPv4" : "IPv6");

	if (c->auth_user_pass_verify[0] != '\0' && c->script_security < (c->auth_via_file ? 2u : 3u))
		return conf_errf_file(err, f, "auth-user-pass-verify %s needs 'script-security %u' "
		    "(2.6 refuses it too: %s)", c->auth_via_file ? "via-file" : "via-env",
		    c->auth_via_file ? 2u : 3u, c->auth_via_file ? "it runs a script" :
		    "it puts the password in the script's environment");
	if (c->verify_client_cert != CONF_VERIFY_REQUIRE && c->auth_user_pass_verify[0] == '\0')
		return conf_errf_file(err, f, "verify-client-cert %s leaves clients unauthenticated "
		    "without 'auth-user-pass-verify'", c->verify_client_cert == CONF_VERIFY_NONE ?
		    "none" : "optional");
	if (c->auth_gen_token && c->auth_user_pass_verify[0] == '\0')
		return conf_errf_file(err, f, "auth-gen-token needs 'auth-user-pass-verify' (tokens "
		    "stand in for a password)");
	if (c->has_tls_auth && c->has_tls_crypt)
		return conf_errf_file(err, f, "'tls-auth' and 'tls-crypt' cannot be used together "
		    "(OpenVPN 2.6 refuses this too)");

	/* A handshake that can never retransmit inside its window is a config bug. */
	if (c->tls_timeout >= c->hand_window)
		return conf_errf_file(err, f, "'tls-timeout %u' must be shorter than 'hand-window %u'",
		    c->tls_timeout, c->hand_window);
	if ((r = check_endpoint(x, err)) != 0)
		return r;
	return check_operations(x, err);
}

static int
load(const char *name, const char *text, size_t len, bool from_file, bool no_blobs,
    struct server_conf *out, char *err, size_t errlen)
{
	struct cs_ctx x;
	struct conf_err e;
	const char *slash;
	size_t n;
	int r;

	set_defaults(out);
	memset(&x, 0, sizeof(x));
	memset(&e, 0, sizeof(e));
	x.c = out;
	x.no_blobs = no_blobs;
	if (name == NULL)
		name = "(config)";
	if ((out->file = strdup(name)) == NULL) {
		r = conf_errf_file(&e, name, "out of memory");
		goto out;
	}
	if ((slash = strrchr(name, '/')) != NULL) {
		n = slash == name ? 1 : (size_t)(slash - name);
		if (n >= sizeof(x.dir)) {
			r = conf_errf_file(&e, name, "path is too long");
			goto out;
		}
		memcpy(x.dir, name, n);
		x.dir[n] = '\0';
	}
	if (from_file)
		r = conf_parse_file(table, sizeof(table) / sizeof(table[0]), CONF_SCOPE_SERVER,
		    out->file, &x, &e);
	else
		r = conf_parse_buf(table, sizeof(table) / sizeof(table[0]), CONF_SCOPE_SERVER,
		    out->file, text, len, &x, &e);
	if (r == 0)
		r = check_whole(&x, &e);
out:
	if (r != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", e.msg);
		conf_server_free(out);
		return ERR_CONFIG;
	}
	return 0;
}

int
conf_server_load(const char *path, struct server_conf *out, char *err, size_t errlen)
{
	return load(path, NULL, 0, true, false, out, err, errlen);
}

int
conf_server_load_reload(const char *path, struct server_conf *out, char *err, size_t errlen)
{
	return load(path, NULL, 0, true, true, out, err, errlen);
}

int
conf_server_load_buf(const char *name, const char *text, size_t len, struct server_conf *out,
    char *err, size_t errlen)
{
	return load(name, text, len, false, false, out, err, errlen);
}

void
conf_server_free(struct server_conf *c)
{
	unsigned i;

	if (c == NULL)
		return;
	blob_free(&c->ca);
	blob_free(&c->cert);
	blob_free(&c->key);
	blob_free(&c->dh);
	free(c->ccd_dir);
	free(c->ccd_dir_as_written);
	free(c->crl_path);
	blob_free(&c->crl);
	blob_free(&c->auth_token_secret);
	blob_free(&c->tls_auth);
	blob_free(&c->tls_crypt);
	blob_free(&c->tls_crypt_v2);
	keyfile_wipe(&c->tls_auth_key, sizeof(c->tls_auth_key));
	keyfile_wipe(&c->tls_crypt_key, sizeof(c->tls_crypt_key));
	keyfile_wipe(&c->tls_crypt_v2_key, sizeof(c->tls_crypt_v2_key));
	for (i = 0; i < c->n_push; i++)
		free(c->push[i]);
	free(c->push);
	free(c->ep_routes);
	free(c->authz);
	free(c->ipp_path);
	free(c->ipp_path_as_written);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void
conf_server_print(FILE *f, const struct server_conf *c)
{
	conf_print_table(f, table, sizeof(table) / sizeof(table[0]), c);
}
