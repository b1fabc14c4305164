/*
 * peerinfo.c - parse the client's IV_* peer-info block (doc §6.4, §14).
 *
 * Design: the block is scanned line by line through struct buf; each line is
 * validated generically first (name of [A-Za-z0-9_], a '=', a value of
 * printable ASCII no longer than PEERINFO_VALUE_MAX), then looked up in one
 * table that maps names to typed fields of struct peerinfo.  Unknown names
 * pass validation and are ignored; anything failing validation, or a value
 * its typed field cannot hold, is counted in n_rejected and changes nothing.
 *
 * Invariants:
 * - Every string field is NUL-terminated printable ASCII, so it can be
 *   logged or handed to a hook as-is (P14).
 * - Duplicates: the last valid line wins.
 * - The block ends at len or the first NUL, whichever comes first.
 * - Pure: no allocation, no I/O, no globals beyond the const table.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "peerinfo.h"

enum {
	PEERINFO_NAME_MAX = 64,    /* longer names are refused */
	PEERINFO_VALUE_MAX = 511,  /* largest field (ciphers) minus its NUL */
};

enum pi_type { PI_STR, PI_U32, PI_INT, PI_BOOL, PI_PROTO };

struct pi_var {
	const char *name;      /* exact, case-sensitive, as 2.6 sends it */
	enum pi_type type;
	size_t off;
	size_t size;           /* PI_STR: field size including the NUL */
};

#define STR(n, f) { n, PI_STR, offsetof(struct peerinfo, f), sizeof(((struct peerinfo *)0)->f) }
#define NUM(n, t, f) { n, t, offsetof(struct peerinfo, f), 0 }

static const struct pi_var pi_vars[] = {
	STR("IV_VER", ver),
	STR("IV_PLAT", plat),
	NUM("IV_PROTO", PI_PROTO, proto),
	NUM("IV_NCP", PI_INT, ncp),
	STR("IV_CIPHERS", ciphers),
	NUM("IV_MTU", PI_U32, mtu),
	NUM("IV_TCPNL", PI_BOOL, tcpnl),
	NUM("IV_LZO_STUB", PI_BOOL, lzo_stub),
	NUM("IV_COMP_STUB", PI_BOOL, comp_stub),
	NUM("IV_COMP_STUBv2", PI_BOOL, comp_stubv2),
	NUM("IV_LZO", PI_BOOL, lzo),
	NUM("IV_LZ4", PI_BOOL, lz4),
	NUM("IV_LZ4v2", PI_BOOL, lz4v2),
	STR("IV_GUI_VER", gui_ver),
	STR("IV_SSO", sso),
};

static bool
name_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

/* Unsigned decimal without sign or spaces, at most max. */
static bool
parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/* Store one validated value; false if its field cannot hold it. */
static bool
store(struct peerinfo *out, const struct pi_var *var, const char *val, size_t vlen)
{
	char *base = (char *)out;
	uint64_t v;

	switch (var->type) {
	case PI_STR:
		if (vlen + 1 > var->size)
			return false;
		memcpy(base + var->off, val, vlen + 1);
		return true;
	case PI_U32:
	case PI_PROTO:
		if (!parse_uint(val, UINT32_MAX, &v))
			return false;
		*(uint32_t *)(void *)(base + var->off) = (uint32_t)v;
		if (var->type == PI_PROTO)
			out->has_proto = true;
		return true;
	case PI_INT:
		if (!parse_uint(val, INT_MAX, &v))
			return false;
		*(int *)(void *)(base + var->off) = (int)v;
		return true;
	case PI_BOOL:
		if (!parse_uint(val, UINT32_MAX, &v))
			return false;
		*(bool *)(void *)(base + var->off) = v != 0;
		return true;
	}
	return false;
}

/* Validate and apply one line (without its '\n'); false if refused. */
static bool
do_line(struct peerinfo *out, struct buf *line)
{
	char name[PEERINFO_NAME_MAX + 1];
	char val[PEERINFO_VALUE_MAX + 1];
	size_t nlen = 0, vlen, i;
	uint8_t c;

	for (;;) {
		if (buf_get_u8(line, &c) != 0)
			return false;            /* no '=' */
		if (c == '=')
			break;
		if (!name_char(c) || nlen == PEERINFO_NAME_MAX)
			return false;
		name[nlen++] = (char)c;
	}
	if (nlen == 0)
		return false;
	name[nlen] = '\0';

	vlen = buf_left(line);
	if (vlen > PEERINFO_VALUE_MAX)
		return false;
	if (buf_get_bytes(line, val, vlen) != 0)
		return false;
	val[vlen] = '\0';
	for (i = 0; i < vlen; i++)
		if ((uint8_t)val[i] < 0x20 || (uint8_t)val[i] > 0x7e)
			return false;

	for (i = 0; i < sizeof(pi_vars) / sizeof(pi_vars[0]); i++)
		if (strcmp(name, pi_vars[i].name) == 0)
			return store(out, &pi_vars[i], val, vlen);
	return true;   /* well-formed but unknown: ignored */
}

int
peerinfo_parse(const char *text, size_t len, struct peerinfo *out)
{
	struct buf b, line;

	if (out == NULL || (text == NULL && len > 0))
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	buf_init(&b, text, len);

	while (!buf_empty(&b)) {
		size_t n = 0, cut;
		uint8_t c = 0;
		bool last;

		/* A NUL ends the block, as it does for 2.6's C-string handling. */
		while (buf_peek_u8(&b, n, &c) == 0 && c != '\n' && c != '\0')
			n++;
		last = buf_peek_u8(&b, n, &c) == 0 && c == '\0';
		/* Drop a trailing '\r' (CRLF from non-Unix clients). */
		cut = n;
		if (cut > 0 && buf_peek_u8(&b, cut - 1, &c) == 0 && c == '\r')
			cut--;
		if (buf_get_sub(&b, cut, &line) != 0)
			break;
		buf_skip(&b, n - cut);          /* the '\r', if any */
		buf_skip(&b, 1);                /* the '\n'; fails harmlessly at the end */
		if (cut > 0 && !do_line(out, &line))
			out->n_rejected++;
		if (last)
			break;
	}
	return 0;
}

/* Is name one element of the colon-separated list? Case-insensitive, whole elements. */
static bool
list_has(const char *list, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = list;

	if (nlen == 0)
		return false;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t elen = end != NULL ? (size_t)(end - p) : strlen(p);

		if (elen == nlen && strncasecmp(p, name, nlen) == 0)
			return true;
		if (end == NULL)
			return false;
		p = end + 1;
	}
}

bool
peerinfo_has_cipher(const struct peerinfo *pi, const char *name)
{
	if (name == NULL)
		return false;
	if (pi->ciphers[0] != '\0')
		return list_has(pi->ciphers, name);
	/* IV_NCP=2 promises the two GCM ciphers (doc §14.1). */
	if (pi->ncp >= 2)
		return strcasecmp(name, "AES-256-GCM") == 0 || strcasecmp(name, "AES-128-GCM") == 0;
	return false;
}

bool
peerinfo_does_ncp(const struct peerinfo *pi)
{
	return pi->ciphers[0] != '\0' || pi->ncp >= 2;
}
