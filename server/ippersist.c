/*
 * ippersist.c - ifconfig-pool-persist file, OpenVPN 2.6 format.
 *
 * Format (OpenVPN 2.6 src/openvpn/pool.c, ifconfig_pool_list() for writing
 * and ifconfig_pool_read() for reading):
 *
 *	common_name,IPv4,IPv6\n
 *
 * 2.6 always writes both commas and leaves a field empty when that pool is
 * not configured ("alice,10.8.0.2," or "alice,,fd00::1000"); it writes LF
 * only.  Its reader splits on ',', drops every '\r', needs the first two
 * fields (a line without a second comma is skipped), and takes an empty
 * field to mean "none"; lines starting with '#' or ';' are comments.  We
 * write exactly the 2.6 form, in address order as 2.6 does (its list is
 * indexed by pool offset), so the file can be handed to a 2.6 server.
 * Checked against the openvpn 2.6.14 binary: it read a file we wrote and
 * rewrote it byte for byte identical (with and without an IPv6 pool), and
 * it skipped '#' and ';' lines.
 *
 * A common name containing ',' cannot be represented: 2.6 writes it as is
 * and then misreads the line (2.6.14 logs "invalid IPv4 (b) for CN=a" for
 * "a,b,10.8.0.22,").  Rather than produce a file nobody can read back, such names
 * (and names with control characters or a leading '#'/';', or longer than
 * IPP_CN_MAX) are refused by ipp_set() and never written; the client just
 * gets no sticky address.  2.6 itself maps non-printable CN bytes to '_'
 * before they get here, so refusing them costs nothing in practice.
 *
 * The parser is stricter than 2.6 in two ways, both toward refusing: an
 * address that does not parse rejects the whole line (2.6 would keep the
 * other one), and a fourth field is an error (2.6 ignores it; 2.6 never
 * writes one).
 *
 * Saving: a temporary file "PATH.tmp.XXXXXX" in the same directory (so
 * rename() is atomic), mode 0600, written, fsync()ed, renamed over PATH,
 * and then the directory is fsync()ed so the rename itself is durable.  A
 * crash at any point leaves either the old file or the new one.
 *
 * Invariants of struct ippersist: every entry has a valid CN (cn_ok), at
 * least one address, v4 of family AF_INET or 0 and v6 of AF_INET6 or 0;
 * no two entries share a CN, a v4 or a v6.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "err.h"
#include "ippersist.h"
#include "log.h"

/* Longer than any valid line (64 + 1 + 15 + 1 + 45 = 126 bytes); a longer
 * line is reported and skipped without being buffered. */
enum { IPP_LINE_MAX = 512 };

static void
ipp_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* What a file line and ipp_set() may carry as a common name. */
static bool
cn_ok(const char *cn, size_t len, const char **why)
{
	size_t i;

	if (len == 0) {
		*why = "empty common name";
		return false;
	}
	if (len > IPP_CN_MAX) {
		*why = "common name longer than 64 bytes";
		return false;
	}
	if (cn[0] == '#' || cn[0] == ';') {
		*why = "common name starts with a comment character";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cn[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "control character in common name";
			return false;
		}
		if (c == ',') {
			*why = "comma in common name";
			return false;
		}
	}
	return true;
}

/* One address field [s, s+len) of the given family; empty = none. */
static int
parse_field(const char *s, size_t len, int family, struct addr *out, char *err, size_t errlen)
{
	char tmp[ADDR_STR_MAX];
	struct addr a;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	if (len >= sizeof(tmp) || memchr(s, '\0', len) != NULL)
		goto bad;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (addr_parse(tmp, &a) != 0)
		goto bad;
	if (a.family != family) {
		ipp_err(err, errlen, family == AF_INET ? "IPv6 address in the IPv4 field" :
		    "IPv4 address in the IPv6 field");
		return ERR_MALFORMED;
	}
	*out = a;
	return 0;
bad:
	ipp_err(err, errlen, family == AF_INET ? "bad IPv4 address" : "bad IPv6 address");
	return ERR_MALFORMED;
}

int
ipp_parse_line(const char *line, struct ipp_entry *out, char *err, size_t errlen)
{
	const char *c1, *c2, *v4s, *v6s = NULL, *end;
	size_t i, len, cnlen;
	struct ipp_entry e;
	const char *why;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	len = strlen(line);
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[0] == '#' || line[0] == ';')
		return ERR_NOTFOUND;
	end = line + len;

	c1 = memchr(line, ',', len);
	if (c1 == NULL) {
		ipp_err(err, errlen, "missing address field");
		return ERR_MALFORMED;
	}
	cnlen = (size_t)(c1 - line);
	if (!cn_ok(line, cnlen, &why)) {
		ipp_err(err, errlen, why);
		return ERR_MALFORMED;
	}
	v4s = c1 + 1;
	c2 = memchr(v4s, ',', (size_t)(end - v4s));
	if (c2 != NULL) {
		v6s = c2 + 1;
		if (memchr(v6s, ',', (size_t)(end - v6s)) != NULL) {
			ipp_err(err, errlen, "too many fields");
			return ERR_MALFORMED;
		}
	}

	memset(&e, 0, sizeof(e));
	memcpy(e.cn, line, cnlen);
	e.cn[cnlen] = '\0';
	r = parse_field(v4s, (size_t)((c2 != NULL ? c2 : end) - v4s), AF_INET, &e.v4, err,
	    errlen);
	if (r != 0)
		return r;
	if (v6s != NULL &&
	    (r = parse_field(v6s, (size_t)(end - v6s), AF_INET6, &e.v6, err, errlen)) != 0)
		return r;
	if (e.v4.family == 0 && e.v6.family == 0) {
		ipp_err(err, errlen, "no address");
		return ERR_MALFORMED;
	}
	*out = e;
	return 0;
}

void
ipp_init(struct ippersist *p)
{
	memset(p, 0, sizeof(*p));
}

void
ipp_free(struct ippersist *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

static struct ipp_entry *
find_cn(const struct ippersist *p, const char *cn)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->e[i].cn, cn) == 0)
			return &p->e[i];
	return NULL;
}

const struct ipp_entry *
ipp_get(const struct ippersist *p, const char *cn)
{
	return cn != NULL ? find_cn(p, cn) : NULL;
}

const char *
ipp_holder(const struct ippersist *p, const struct addr *a)
{
	size_t i;

	if (a == NULL || (a->family != AF_INET && a->family != AF_INET6))
		return NULL;
	for (i = 0; i < p->n; i++)
		if (addr_eq(&p->e[i].v4, a) || addr_eq(&p->e[i].v6, a))
			return p->e[i].cn;
	return NULL;
}

/* A copy of a with the bytes past its family's length zeroed, so stored
 * addresses compare with memcmp whatever the caller left there. */
static int
norm_addr(const struct addr *a, int family, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a == NULL || a->family == 0)
		return 0;
	if (a->family != family)
		return ERR_INVAL;
	out->family = a->family;
	memcpy(out->b, a->b, family == AF_INET ? 4 : 16);
	return 0;
}

static void
remove_at(struct ippersist *p, size_t i)
{
	memmove(&p->e[i], &p->e[i + 1], (p->n - i - 1) * sizeof(p->e[0]));
	p->n--;
}

int
ipp_set(struct ippersist *p, const char *cn, const struct addr *v4, const struct addr *v6)
{
	struct addr a4, a6;
	struct ipp_entry *e;
	const char *why;
	size_t i;

	if (cn == NULL || !cn_ok(cn, strnlen(cn, IPP_CN_MAX + 1), &why))
		return ERR_INVAL;
	if (norm_addr(v4, AF_INET, &a4) != 0 || norm_addr(v6, AF_INET6, &a6) != 0)
		return ERR_INVAL;
	if (a4.family == 0 && a6.family == 0)
		return ERR_INVAL;

	if ((e = find_cn(p, cn)) != NULL && memcmp(&e->v4, &a4, sizeof(a4)) == 0 &&
	    memcmp(&e->v6, &a6, sizeof(a6)) == 0)
		return 0;
	if (e == NULL && p->n == p->cap) {
		size_t ncap = p->cap != 0 ? p->cap * 2 : 16;
		struct ipp_entry *ne;

		if (ncap > SIZE_MAX / sizeof(*ne) ||
		    (ne = realloc(p->e, ncap * sizeof(*ne))) == NULL)
			return ERR_NOMEM;
		p->e = ne;
		p->cap = ncap;
	}

	/* Take the addresses away from whoever else holds them; a name left
	 * with no address has nothing to persist and goes. */
	for (i = 0; i < p->n;) {
		struct ipp_entry *o = &p->e[i];

		if (strcmp(o->cn, cn) != 0) {
			if (addr_eq(&o->v4, &a4))
				memset(&o->v4, 0, sizeof(o->v4));
			if (addr_eq(&o->v6, &a6))
				memset(&o->v6, 0, sizeof(o->v6));
			if (o->v4.family == 0 && o->v6.family == 0) {
				remove_at(p, i);
				continue;
			}
		}
		i++;
	}
	/* removals may have moved cn's entry */
	if ((e = find_cn(p, cn)) == NULL) {
		e = &p->e[p->n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->cn, cn, strlen(cn) + 1);
	}
	e->v4 = a4;
	e->v6 = a6;
	p->dirty = true;
	return 0;
}

/*
 * Next line of f into buf (without the newline, '\r' at the end dropped).
 * 1 with a line; 0 at end of file; -1 on a read error.  *toolong and
 * *hasnul report a line that did not fit or carried a NUL byte; the rest
 * of such a line is consumed and not kept.
 */
static int
read_line(FILE *f, char *buf, size_t cap, bool *toolong, bool *hasnul)
{
	size_t n = 0;
	bool any = false;
	int c;

	*toolong = false;
	*hasnul = false;
	while ((c = getc(f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			*hasnul = true;
		if (n + 1 < cap)
			buf[n++] = (char)c;
		else
			*toolong = true;
	}
	if (ferror(f))
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return any ? 1 : 0;
}

int
ipp_load(struct ippersist *p, const char *path)
{
	char line[IPP_LINE_MAX], err[96];
	struct ipp_entry e;
	bool toolong, hasnul, was_dirty = p->dirty;
	size_t lineno = 0;
	FILE *f;
	int r, rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return ERR_SYS;
	}
	while ((r = read_line(f, line, sizeof(line), &toolong, &hasnul)) == 1) {
		lineno++;
		if (toolong) {
			log_warnx("%s:%zu: line too long, skipped", path, lineno);
			continue;
		}
		if (hasnul) {
			log_warnx("%s:%zu: NUL byte in line, skipped", path, lineno);
			continue;
		}
		r = ipp_parse_line(line, &e, err, sizeof(err));
		if (r == ERR_NOTFOUND)
			continue;
		if (r != 0) {
			log_warnx("%s:%zu: %s, skipped", path, lineno, err);
			continue;
		}
		/* A later line for the same name or address wins, as in 2.6
		 * where the later line overwrites the pool slot. */
		if ((r = ipp_set(p, e.cn, &e.v4, &e.v6)) != 0) {
			rc = r;
			goto out;
		}
	}
	if (r < 0) {
		rc = ERR_SYS;
		goto out;
	}
	/* The memory now matches the file (or had pending changes before). */
	p->dirty = was_dirty;
out:
	if (rc == ERR_SYS) {
		int saved = errno;

		fclose(f);
		errno = saved;
	} else
		fclose(f);
	return rc;
}

/* 2.6 lists by pool offset, i.e. by address: IPv4 first when there is a
 * v4 pool, else IPv6.  Entries without a v4 come after those with one. */
static int
cmp_entry(const void *x, const void *y)
{
	const struct ipp_entry *a = *(const struct ipp_entry *const *)x;
	const struct ipp_entry *b = *(const struct ipp_entry *const *)y;
	int r;

	if (a->v4.family != b->v4.family)
		return a->v4.family != 0 ? -1 : 1;
	if ((r = memcmp(a->v4.b, b->v4.b, 4)) != 0)
		return r;
	if (a->v6.family != b->v6.family)
		return a->v6.family != 0 ? -1 : 1;
	if ((r = memcmp(a->v6.b, b->v6.b, 16)) != 0)
		return r;
	return strcmp(a->cn, b->cn);
}

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, s, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ERR_SYS;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path, so a rename into it is on disk. */
static int
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd, rc = 0;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return ERR_NOMEM;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = ERR_SYS;
	else {
		if (fsync(fd) != 0)
			rc = ERR_SYS;
		close(fd);
	}
	free(dir);
	return rc;
}

int
ipp_save(struct ippersist *p, const char *path)
{
	const struct ipp_entry **order = NULL;
	char *tmp = NULL;
	size_t tlen, i;
	int fd = -1, rc = ERR_SYS, saved;

	tlen = strlen(path) + sizeof(".tmp.XXXXXX");
	if ((tmp = malloc(tlen)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	snprintf(tmp, tlen, "%s.tmp.XXXXXX", path);
	if (p->n > 0 && (order = calloc(p->n, sizeof(*order))) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	for (i = 0; i < p->n; i++)
		order[i] = &p->e[i];
	if (p->n > 1)
		qsort(order, p->n, sizeof(*order), cmp_entry);

	/* mkostemp creates 0600 whatever the umask; fchmod says so anyway. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
		goto out;
	for (i = 0; i < p->n; i++) {
		const struct ipp_entry *e = order[i];
		char v4[ADDR_STR_MAX] = "", v6[ADDR_STR_MAX] = "";
		char line[IPP_CN_MAX + 2 * ADDR_STR_MAX + 4];
		const char *why;
		int n;

		/* The struct is public: do not let a hand-made entry break
		 * the file for every other name. */
		if (!cn_ok(e->cn, strnlen(e->cn, sizeof(e->cn)), &why) ||
		    (e->v4.family != 0 && addr_format(&e->v4, v4, sizeof(v4)) != 0) ||
		    (e->v6.family != 0 && addr_format(&e->v6, v6, sizeof(v6)) != 0)) {
			log_warnx("%s: entry %zu not written: invalid", path, i);
			continue;
		}
		n = snprintf(line, sizeof(line), "%s,%s,%s\n", e->cn, v4, v6);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			errno = EOVERFLOW;
			goto out;
		}
		if (write_all(fd, line, (size_t)n) != 0)
			goto out;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;   /* now PATH: nothing to unlink */
	if ((rc = sync_dir(path)) != 0)
		goto out;
	p->dirty = false;
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(order);
	errno = saved;
	return rc;
}
