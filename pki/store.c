/*
 * store.c - the ovpn-pki directory.
 *
 * Layout of DIR (default ./pki, or $OVPN_PKI_DIR, or --dir):
 *
 *   DIR/                   0700 when we create it
 *     ca.crt               the CA certificate (0644)
 *     crl.pem              the CRL, rewritten by init, revoke and gen-crl (0644)
 *     index                one line per certificate ever issued (0644)
 *     tc2-server.key       tls-crypt-v2 server key (0600)
 *     issued/NAME.crt      leaf certificates (0644)             dir 0700
 *     private/ca.key       the CA key, PKCS#8 PEM (0600)        dir 0700
 *     private/NAME.key     leaf keys (0600)
 *     private/NAME.tc2     tls-crypt-v2 client keys (0600)
 *
 * The index is line-based text, every line ending in '\n':
 *
 *   # ovpn-pki index v1: serial kind not-after revoked-at name
 *   <32 lower-case hex> <server|client> <unix secs> <unix secs|-> <name>
 *
 * with single spaces between fields, decimal numbers without sign or
 * leading zeros, and no line other than the header and entries (a comment
 * line starting with '#' is allowed after the header).  It is our own file,
 * so the parser is strict and all-or-nothing: a damaged index is a clear
 * error naming the line, never a silently shortened list of certificates
 * (which would drop revocations from the next CRL).
 *
 * Serial numbers are random (126 bits of entropy, see ca.c), not a
 * counter: there is no counter file to lose or roll back, unpredictable
 * serials are what CAs use against chosen-prefix collisions, and two PKI
 * copies never hand out the same serial.  The index still refuses a
 * duplicate.
 *
 * Every write goes through store_write_file(): temp file, fsync, rename
 * (or link, when overwriting is not allowed), fsync of the directory, so a
 * reader (the endpoint watching crl.pem) never sees half a file and a
 * crash leaves either the old or the new version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store.h"

#define INDEX_HEADER "# ovpn-pki index v1: serial kind not-after revoked-at name\n"

bool
store_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= STORE_NAME_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

static int
mkdir_0700(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return ERR_SYS;
	if (stat(path, &st) != 0)
		return ERR_SYS;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return ERR_SYS;
	}
	return 0;
}

int
store_open(struct store *s, const char *dir, bool create)
{
	char sub[STORE_PATH_MAX];
	int r;

	s->dirfd = -1;
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s", dir) >= sizeof(s->dir))
		return ERR_RANGE;
	if (create && (r = mkdir_0700(s->dir)) != 0)
		return r;
	if ((s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_SYS;
	/* The lock is on the directory itself: no lock file to leave behind. */
	if (flock(s->dirfd, LOCK_EX) != 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s/private", s->dir);
	if (mkdir_0700(sub) != 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s/issued", s->dir);
	if (mkdir_0700(sub) != 0)
		goto fail;
	return 0;
fail:
	r = errno;
	close(s->dirfd);
	s->dirfd = -1;
	errno = r;
	return ERR_SYS;
}

void
store_close(struct store *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);  /* releases the lock */
	s->dirfd = -1;
}

int
store_path(const struct store *s, enum store_file f, const char *name, char *out, size_t cap)
{
	static const struct { const char *pre, *post; bool named; } t[] = {
		[STORE_CA_CRT] = { "ca.crt", "", false },
		[STORE_CA_KEY] = { "private/ca.key", "", false },
		[STORE_INDEX] = { "index", "", false },
		[STORE_CRL] = { "crl.pem", "", false },
		[STORE_TC2_SERVER] = { "tc2-server.key", "", false },
		[STORE_CERT] = { "issued/", ".crt", true },
		[STORE_KEY] = { "private/", ".key", true },
		[STORE_TC2_CLIENT] = { "private/", ".tc2", true },
	};
	int n;

	if ((size_t)f >= sizeof(t) / sizeof(t[0]))
		return ERR_INVAL;
	if (t[f].named && !store_name_valid(name))
		return ERR_INVAL;
	n = snprintf(out, cap, "%s/%s%s%s", s->dir, t[f].pre, t[f].named ? name : "", t[f].post);
	if (n < 0 || (size_t)n >= cap)
		return ERR_RANGE;
	return 0;
}

bool
store_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int
sync_parent(const char *path)
{
	char dir[STORE_PATH_MAX];
	char *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ERR_SYS;
	if (fsync(fd) != 0)
		r = ERR_SYS;
	close(fd);
	return r;
}

int
store_write_file(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
	char tmp[STORE_PATH_MAX];
	const char *base = strrchr(path, '/');
	const unsigned char *p = data;
	size_t off = 0;
	int fd, n, r = ERR_SYS, saved;

	/* ".NAME.XXXXXX" next to the target: same file system, so rename is atomic. */
	base = base != NULL ? base + 1 : path;
	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", (int)(base - path), path, base);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ERR_RANGE;
	if (!replace && store_exists(path))
		return ERR_EXISTS;
	if ((fd = mkstemp(tmp)) < 0)  /* created 0600: a key is never readable by others */
		return ERR_SYS;
	if (fchmod(fd, mode) != 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, path) != 0)
			goto out;
	} else {
		/* link(2) fails with EEXIST instead of replacing: no race with another writer. */
		if (link(tmp, path) != 0) {
			r = errno == EEXIST ? ERR_EXISTS : ERR_SYS;
			goto out;
		}
		unlink(tmp);
	}
	tmp[0] = '\0';
	r = sync_parent(path);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	errno = saved;
	return r;
}

int
store_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *p = NULL;
	size_t off = 0;
	int fd, r = ERR_SYS, saved;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_SYS;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = ERR_RANGE;
		goto out;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	/* The size was fixed by fstat: a file growing meanwhile is cut, not overrun. */
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, p + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	p[off] = '\0';
	*out = p;
	*len = off;
	p = NULL;
	r = 0;
out:
	saved = errno;
	free(p);
	close(fd);
	errno = saved;
	return r;
}

/* ---- index ---- */

void
store_serial_hex(const uint8_t serial[STORE_SERIAL_LEN], char out[2 * STORE_SERIAL_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < STORE_SERIAL_LEN; i++) {
		out[2 * i] = hex[serial[i] >> 4];
		out[2 * i + 1] = hex[serial[i] & 15];
	}
	out[2 * STORE_SERIAL_LEN] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
parse_serial(const char *s, size_t n, uint8_t out[STORE_SERIAL_LEN])
{
	size_t i;

	if (n != 2 * STORE_SERIAL_LEN)
		return false;
	for (i = 0; i < STORE_SERIAL_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Decimal 0..STORE_TIME_MAX, no sign, no leading zero. */
static bool
parse_time(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 12 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');  /* 12 digits cannot overflow int64 */
	}
	if (v > STORE_TIME_MAX)
		return false;
	*out = v;
	return true;
}

static bool
field_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* One entry line (without its '\n') into e. */
static bool
parse_entry(const char *line, size_t len, struct store_entry *e)
{
	const char *f[5];
	size_t fl[5], i, k = 0, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (k == 5)
			return false;  /* a sixth field */
		f[k] = line + start;
		fl[k] = i - start;
		if (fl[k] == 0)
			return false;  /* empty field: leading, trailing or double space */
		k++;
		start = i + 1;
	}
	if (k != 5)
		return false;
	memset(e, 0, sizeof(*e));
	if (!parse_serial(f[0], fl[0], e->serial))
		return false;
	if (field_is(f[1], fl[1], "server"))
		e->kind = STORE_KIND_SERVER;
	else if (field_is(f[1], fl[1], "client"))
		e->kind = STORE_KIND_CLIENT;
	else
		return false;
	if (!parse_time(f[2], fl[2], &e->not_after))
		return false;
	if (field_is(f[3], fl[3], "-"))
		e->revoked_at = 0;
	else if (!parse_time(f[3], fl[3], &e->revoked_at) || e->revoked_at == 0)
		return false;
	if (fl[4] > STORE_NAME_MAX)
		return false;
	memcpy(e->name, f[4], fl[4]);
	e->name[fl[4]] = '\0';
	return store_name_valid(e->name);
}

int
store_index_parse(const char *text, size_t len, struct store_index *out, size_t *bad_line)
{
	struct store_index idx = { 0 };
	struct store_entry e;
	size_t off = 0, lineno = 0;
	int r = ERR_MALFORMED;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll;

		lineno++;
		if (nl == NULL)
			goto out;  /* truncated: every line ends in '\n' */
		ll = (size_t)(nl - (text + off));
		if (memchr(text + off, '\0', ll) != NULL)
			goto out;
		if (lineno == 1) {
			if (ll + 1 != strlen(INDEX_HEADER) || memcmp(text, INDEX_HEADER, ll) != 0)
				goto out;
		} else if (ll > 0 && text[off] == '#') {
			/* a comment */
		} else {
			if (!parse_entry(text + off, ll, &e))
				goto out;
			if ((r = store_index_add(&idx, &e)) != 0) {
				if (r == ERR_EXISTS)
					r = ERR_MALFORMED;
				goto out;
			}
			r = ERR_MALFORMED;
		}
		off += ll + 1;
	}
	if (lineno == 0) {
		lineno = 1;  /* an empty file lacks the header */
		goto out;
	}
	*out = idx;
	return 0;
out:
	store_index_free(&idx);
	memset(out, 0, sizeof(*out));
	if (bad_line != NULL)
		*bad_line = lineno;
	return r;
}

int
store_index_format(const struct store_index *idx, char **out, size_t *len)
{
	enum { LINE_CAP = 256 };  /* an entry line is at most 131 bytes */
	size_t cap = sizeof(INDEX_HEADER) + idx->n * LINE_CAP, n, i;
	char *p;

	if ((p = malloc(cap)) == NULL)
		return ERR_NOMEM;
	n = (size_t)snprintf(p, cap, "%s", INDEX_HEADER);
	for (i = 0; i < idx->n; i++) {
		const struct store_entry *e = &idx->v[i];
		char hex[2 * STORE_SERIAL_LEN + 1], rev[24];
		int k;

		store_serial_hex(e->serial, hex);
		if (e->revoked_at != 0)
			snprintf(rev, sizeof(rev), "%lld", (long long)e->revoked_at);
		else
			snprintf(rev, sizeof(rev), "-");
		k = snprintf(p + n, LINE_CAP, "%s %s %lld %s %.*s\n", hex,
		    e->kind == STORE_KIND_SERVER ? "server" : "client", (long long)e->not_after, rev,
		    (int)STORE_NAME_MAX, e->name);
		if (k < 0 || k >= LINE_CAP) {
			free(p);
			return ERR_RANGE;
		}
		n += (size_t)k;
	}
	*out = p;
	*len = n;
	return 0;
}

bool
store_index_has_serial(const struct store_index *idx, const uint8_t serial[STORE_SERIAL_LEN])
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (memcmp(idx->v[i].serial, serial, STORE_SERIAL_LEN) == 0)
			return true;
	return false;
}

int
store_index_add(struct store_index *idx, const struct store_entry *e)
{
	if (store_index_has_serial(idx, e->serial))
		return ERR_EXISTS;
	if (idx->n == idx->cap) {
		size_t cap = idx->cap != 0 ? idx->cap * 2 : 16;
		struct store_entry *v = realloc(idx->v, cap * sizeof(*v));

		if (v == NULL)
			return ERR_NOMEM;
		idx->v = v;
		idx->cap = cap;
	}
	idx->v[idx->n++] = *e;
	return 0;
}

struct store_entry *
store_index_find(struct store_index *idx, const char *name)
{
	size_t i;

	for (i = idx->n; i > 0; i--)
		if (strcmp(idx->v[i - 1].name, name) == 0)
			return &idx->v[i - 1];
	return NULL;
}

void
store_index_free(struct store_index *idx)
{
	free(idx->v);
	memset(idx, 0, sizeof(*idx));
}

int
store_index_load(const struct store *s, struct store_index *idx, size_t *bad_line)
{
	char path[STORE_PATH_MAX], *text;
	size_t len;
	int r;

	memset(idx, 0, sizeof(*idx));
	if (bad_line != NULL)
		*bad_line = 0;
	if ((r = store_path(s, STORE_INDEX, NULL, path, sizeof(path))) != 0)
		return r;
	r = store_read_file(path, STORE_FILE_MAX, &text, &len);
	if (r == ERR_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	r = store_index_parse(text, len, idx, bad_line);
	free(text);
	return r;
}

int
store_index_save(const struct store *s, const struct store_index *idx)
{
	char path[STORE_PATH_MAX], *text;
	size_t len;
	int r;

	if ((r = store_path(s, STORE_INDEX, NULL, path, sizeof(path))) != 0)
		return r;
	if ((r = store_index_format(idx, &text, &len)) != 0)
		return r;
	r = store_write_file(path, text, len, 0644, true);
	free(text);
	return r;
}
