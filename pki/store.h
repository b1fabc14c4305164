/*
 * store.h - the ovpn-pki directory: file names, atomic writes, the index.
 *
 * The layout is described at the top of store.c.  struct store is an open
 * PKI directory, held under an exclusive flock(2) on the directory itself
 * so that two ovpn-pki runs never interleave their read-modify-write of the
 * index.  The index parser and formatter are pure (text in, struct out);
 * only the store_*file / store_open / store_index_load/save calls do I/O.
 *
 * Return convention: 0 or a negative ERR_* (err.h); ERR_SYS leaves errno.
 */
#ifndef OVPN_PKI_STORE_H
#define OVPN_PKI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	STORE_NAME_MAX = 64,
	STORE_SERIAL_LEN = 16,            /* 128-bit serial numbers */
	STORE_PATH_MAX = 4096,
	STORE_DIR_MAX = 3072,             /* leaves room for the names below DIR */
	STORE_FILE_MAX = 16 * 1024 * 1024, /* larger files are refused when read */
};

/* Latest time the index accepts: 9999-12-31 23:59:59 UTC. */
#define STORE_TIME_MAX INT64_C(253402300799)

/* The files of a PKI directory; the per-name ones take a NAME. */
enum store_file {
	STORE_CA_CRT,      /* ca.crt */
	STORE_CA_KEY,      /* private/ca.key */
	STORE_INDEX,       /* index */
	STORE_CRL,         /* crl.pem */
	STORE_TC2_SERVER,  /* tc2-server.key */
	STORE_CERT,        /* issued/NAME.crt */
	STORE_KEY,         /* private/NAME.key */
	STORE_TC2_CLIENT,  /* private/NAME.tc2 */
};

enum store_kind { STORE_KIND_SERVER, STORE_KIND_CLIENT };

struct store_entry {
	uint8_t serial[STORE_SERIAL_LEN];
	enum store_kind kind;
	int64_t not_after;   /* unix seconds */
	int64_t revoked_at;  /* unix seconds, 0 if not revoked */
	char name[STORE_NAME_MAX + 1];
};

/* Entries in issue order; a name may appear several times (re-issues). */
struct store_index {
	struct store_entry *v;
	size_t n, cap;
};

struct store {
	char dir[STORE_DIR_MAX];
	int dirfd;  /* holds the lock; -1 when closed */
};

/*
 * A certificate/file name: 1..STORE_NAME_MAX characters of [A-Za-z0-9._@-],
 * not starting with '.' (so never "." or "..", nor a hidden temp file).
 */
bool store_name_valid(const char *name);

/*
 * Open DIR and take its lock (blocking).  With create, make DIR (0700) if
 * missing; then (in every case) make private/ and issued/ (0700) if DIR
 * exists.  ERR_NOTFOUND if DIR does not exist and !create; ERR_RANGE if
 * the path is too long; ERR_SYS.
 */
int store_open(struct store *s, const char *dir, bool create);
void store_close(struct store *s);

/*
 * The path of file f (NAME for the per-name files, else ignored) into out.
 * ERR_INVAL for a bad name, ERR_RANGE if it does not fit.
 */
int store_path(const struct store *s, enum store_file f, const char *name, char *out, size_t cap);

bool store_exists(const char *path);

/*
 * Write a file atomically: a temp file in the same directory (created
 * 0600, then set to mode), written, fsync'd, then moved into place and the
 * directory fsync'd.  Without replace, an existing path is left alone and
 * ERR_EXISTS returned (the move is a link(2), so this holds even against a
 * racing writer).  No temp file survives any return.  ERR_RANGE, ERR_SYS.
 */
int store_write_file(const char *path, const void *data, size_t len, mode_t mode, bool replace);

/*
 * Read a whole file into a new NUL-terminated buffer (free it; for key
 * files, OPENSSL_cleanse it first).  ERR_NOTFOUND if missing, ERR_RANGE if
 * larger than max, ERR_NOMEM, ERR_SYS.
 */
int store_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Parse index text (the format is in store.c).  All or nothing: on error
 * out is empty and *bad_line (if non-NULL) is the 1-based line at fault.
 * ERR_MALFORMED for any line that is not exactly right (including a
 * missing final newline, a duplicate serial or the wrong header);
 * ERR_NOMEM.
 */
int store_index_parse(const char *text, size_t len, struct store_index *out, size_t *bad_line);

/* Format an index as text into a new buffer (free it).  ERR_NOMEM; ERR_RANGE
   for an entry whose times are out of range. */
int store_index_format(const struct store_index *idx, char **out, size_t *len);

/* Append a copy of e.  ERR_NOMEM; ERR_EXISTS if its serial is taken. */
int store_index_add(struct store_index *idx, const struct store_entry *e);

/* The newest entry for name, or NULL. */
struct store_entry *store_index_find(struct store_index *idx, const char *name);

bool store_index_has_serial(const struct store_index *idx, const uint8_t serial[STORE_SERIAL_LEN]);

void store_index_free(struct store_index *idx);

/*
 * Load DIR/index (a missing file is an empty index) or save it atomically.
 * Load errors: those of store_read_file and store_index_parse.
 */
int store_index_load(const struct store *s, struct store_index *idx, size_t *bad_line);
int store_index_save(const struct store *s, const struct store_index *idx);

/* Lower-case hex of a serial into out (2 * STORE_SERIAL_LEN + 1 bytes). */
void store_serial_hex(const uint8_t serial[STORE_SERIAL_LEN], char out[2 * STORE_SERIAL_LEN + 1]);

#endif
