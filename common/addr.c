/*
 * addr.c - IPv4/IPv6 addresses and prefixes.
 *
 * Text conversion is delegated to inet_pton/inet_ntop, which on glibc accept
 * only the strict forms (four decimal octets without leading zeros or
 * shorthand such as "10.1"; RFC 4291 IPv6 text, no zone ids).  Everything
 * around them (splitting "net/len", the length digits, buffer sizes) is
 * checked here before anything is written to the caller's output.
 *
 * Invariants kept for every struct addr this module fills: family is AF_INET
 * or AF_INET6, and the bytes of b[] beyond the family's width are zero, so
 * equal addresses compare equal with memcmp().  Functions that take an addr
 * produced elsewhere still look only at the family's width, and treat an
 * unknown family as "no address" rather than trusting the caller.
 *
 * Outputs are written only on success, like the buf readers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "err.h"

/* Width in bytes of the family's address; 0 for anything else. */
static size_t
family_bytes(uint8_t family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

uint8_t
addr_bits(const struct addr *a)
{
	return (uint8_t)(family_bytes(a->family) * 8);
}

int
addr_parse(const char *s, struct addr *out)
{
	struct addr a;

	if (s == NULL)
		return ERR_MALFORMED;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	else
		return ERR_MALFORMED;
	*out = a;
	return 0;
}

/*
 * Zero every bit of b[] from bit `len` on.  This also clears the unused
 * tail of an IPv4 address, which keeps the memcmp invariant.
 */
static void
mask_from(uint8_t b[16], unsigned len)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

/* Prefix length text: 1 to 3 decimal digits, no sign, no leading zero. */
static int
parse_len(const char *s, unsigned max, uint8_t *len)
{
	unsigned v = 0;
	size_t n;

	n = strlen(s);
	if (n == 0 || n > 3)
		return ERR_MALFORMED;
	if (n > 1 && s[0] == '0')
		return ERR_MALFORMED;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return ERR_MALFORMED;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return ERR_RANGE;
	*len = (uint8_t)v;
	return 0;
}

int
prefix_parse(const char *s, bool allow_host_bits, struct prefix *out)
{
	char host[ADDR_STR_MAX];
	const char *slash;
	struct prefix p, canon;
	size_t hl;
	int r;

	if (s == NULL)
		return ERR_MALFORMED;
	slash = strchr(s, '/');
	if (slash == NULL)
		return ERR_MALFORMED;
	hl = (size_t)(slash - s);
	/* Longer than any address text: refuse before copying. */
	if (hl == 0 || hl >= sizeof(host))
		return ERR_MALFORMED;
	memcpy(host, s, hl);
	host[hl] = '\0';

	memset(&p, 0, sizeof(p));
	if ((r = addr_parse(host, &p.a)) != 0)
		return r;
	if ((r = parse_len(slash + 1, addr_bits(&p.a), &p.len)) != 0)
		return r;
	if (!allow_host_bits) {
		canon = p;
		prefix_canon(&canon);
		if (!addr_eq(&canon.a, &p.a))
			return ERR_MALFORMED;
	}
	*out = p;
	return 0;
}

int
addr_netmask_len(const struct addr *mask, uint8_t *len)
{
	uint32_t m, inv;
	uint8_t n;

	if (mask->family != AF_INET)
		return ERR_INVAL;
	m = addr_v4(mask);
	/*
	 * Contiguous means the complement is 2^k - 1, i.e. inv & (inv + 1)
	 * is zero.  The all-zero mask has inv = 0xffffffff, whose +1 wraps to
	 * zero in uint32_t, which is the answer wanted (length 0).
	 */
	inv = ~m;
	if ((inv & (inv + 1)) != 0)
		return ERR_MALFORMED;
	for (n = 0; n < 32 && (m & (UINT32_C(0x80000000) >> n)) != 0; n++)
		;
	*len = n;
	return 0;
}

void
addr_netmask_from_len(uint8_t len, struct addr *out)
{
	uint32_t m;

	if (len >= 32)
		m = UINT32_MAX;
	else
		m = len == 0 ? 0 : UINT32_MAX << (32 - len);
	addr_from_v4(m, out);
}

/* Copy a finished string out only if it fits, so failures write nothing. */
static int
copy_out(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);

	if (n >= cap)
		return ERR_OVERFLOW;
	memcpy(out, s, n + 1);
	return 0;
}

int
addr_format(const struct addr *a, char *out, size_t cap)
{
	char tmp[ADDR_STR_MAX];

	if (family_bytes(a->family) == 0)
		return ERR_INVAL;
	if (inet_ntop(a->family, a->b, tmp, sizeof(tmp)) == NULL)
		return ERR_INVAL;
	return copy_out(tmp, out, cap);
}

int
prefix_format(const struct prefix *p, char *out, size_t cap)
{
	char host[ADDR_STR_MAX], tmp[PREFIX_STR_MAX];
	int r;

	if (p->len > addr_bits(&p->a))
		return ERR_INVAL;
	if ((r = addr_format(&p->a, host, sizeof(host))) != 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/%u", host, (unsigned)p->len);
	return copy_out(tmp, out, cap);
}

bool
addr_eq(const struct addr *a, const struct addr *b)
{
	size_t n = family_bytes(a->family);

	return a->family == b->family && n != 0 && memcmp(a->b, b->b, n) == 0;
}

void
prefix_canon(struct prefix *p)
{
	uint8_t bits = addr_bits(&p->a);

	if (p->len > bits)
		p->len = bits;
	mask_from(p->a.b, p->len);
	/* Unknown family: mask_from(.., 0) zeroed all of b[]. */
}

bool
prefix_contains(const struct prefix *p, const struct addr *a)
{
	struct addr x, net;

	if (p->a.family != a->family || family_bytes(a->family) == 0)
		return false;
	if (p->len > addr_bits(a))
		return false;
	x = *a;
	net = p->a;
	mask_from(x.b, p->len);
	mask_from(net.b, p->len);
	return addr_eq(&x, &net);
}

uint32_t
addr_v4(const struct addr *a)
{
	if (a->family != AF_INET)
		return 0;
	return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
	    (uint32_t)a->b[2] << 8 | (uint32_t)a->b[3];
}

void
addr_from_v4(uint32_t host_order, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->b[0] = (uint8_t)(host_order >> 24);
	out->b[1] = (uint8_t)(host_order >> 16);
	out->b[2] = (uint8_t)(host_order >> 8);
	out->b[3] = (uint8_t)host_order;
}

void
addr_v6_add(const struct addr *base, uint64_t offset, struct addr *out)
{
	struct addr r = *base;
	uint64_t lo = 0;
	int i;

	/* Low 64 bits wrap on their own; the /64 network part never changes. */
	for (i = 8; i < 16; i++)
		lo = lo << 8 | r.b[i];
	lo += offset;
	for (i = 15; i >= 8; i--) {
		r.b[i] = (uint8_t)lo;
		lo >>= 8;
	}
	r.family = AF_INET6;
	*out = r;
}

int
addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct addr *out, uint16_t *port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct addr a;
	uint16_t p;

	/*
	 * Copy into a typed local first: the caller's buffer may be a
	 * sockaddr_storage or a raw byte array with no alignment promise.
	 * IPv4-mapped IPv6 addresses are kept as IPv6 (no silent unmapping).
	 */
	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return ERR_TRUNC;
	memset(&a, 0, sizeof(a));
	switch (sa->sa_family) {
	case AF_INET:
		if (len < (socklen_t)sizeof(sin))
			return ERR_TRUNC;
		memcpy(&sin, sa, sizeof(sin));
		a.family = AF_INET;
		memcpy(a.b, &sin.sin_addr, 4);
		p = ntohs(sin.sin_port);
		break;
	case AF_INET6:
		if (len < (socklen_t)sizeof(sin6))
			return ERR_TRUNC;
		memcpy(&sin6, sa, sizeof(sin6));
		a.family = AF_INET6;
		memcpy(a.b, &sin6.sin6_addr, 16);
		p = ntohs(sin6.sin6_port);
		break;
	default:
		return ERR_UNSUPPORTED;
	}
	*out = a;
	if (port != NULL)
		*port = p;
	return 0;
}

int
sockaddr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
	char host[ADDR_STR_MAX], tmp[SOCKADDR_STR_MAX];
	struct addr a;
	uint16_t port;
	int r;

	if ((r = addr_from_sockaddr(sa, len, &a, &port)) != 0)
		return r;
	if ((r = addr_format(&a, host, sizeof(host))) != 0)
		return r;
	if (a.family == AF_INET6)
		snprintf(tmp, sizeof(tmp), "[%s]:%u", host, (unsigned)port);
	else
		snprintf(tmp, sizeof(tmp), "%s:%u", host, (unsigned)port);
	return copy_out(tmp, out, cap);
}

bool
sockaddr_eq(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b, socklen_t blen)
{
	struct sockaddr_in6 a6, b6;
	struct addr aa, ba;
	uint16_t ap, bp;

	if (addr_from_sockaddr(a, alen, &aa, &ap) != 0 ||
	    addr_from_sockaddr(b, blen, &ba, &bp) != 0)
		return false;
	if (!addr_eq(&aa, &ba) || ap != bp)
		return false;
	/* Link-local peers on different interfaces are different peers. */
	if (aa.family == AF_INET6) {
		memcpy(&a6, a, sizeof(a6));
		memcpy(&b6, b, sizeof(b6));
		if (a6.sin6_scope_id != b6.sin6_scope_id)
			return false;
	}
	return true;
}

bool
prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && addr_eq(&a->a, &b->a);
}
