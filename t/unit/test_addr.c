/*
 * test_addr.c - address/prefix text round trips for both families, hostile
 * text (junk, truncation, overlong, out-of-range lengths, host bits),
 * netmask contiguity, containment, pool arithmetic and sockaddr helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "addr.h"
#include "err.h"

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* Pointer to a parsed address, for use inside an expression. */
#define AP(s) ((struct addr[1]){ A(s) })

static void
test_addr_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
		uint8_t family;
	} v[] = {
		{ "0.0.0.0", "0.0.0.0", AF_INET },
		{ "10.8.0.1", "10.8.0.1", AF_INET },
		{ "255.255.255.255", "255.255.255.255", AF_INET },
		{ "::", "::", AF_INET6 },
		{ "::1", "::1", AF_INET6 },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1", AF_INET6 },
		{ "2001:db8::ffff:1.2.3.4", "2001:db8::ffff:102:304", AF_INET6 },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", AF_INET6 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AF_INET6 },
	};
	char buf[ADDR_STR_MAX];
	struct addr a, b;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(addr_parse(v[i].in, &a), 0);
		assert_int_equal(a.family, v[i].family);
		assert_int_equal(addr_format(&a, buf, sizeof(buf)), 0);
		assert_string_equal(buf, v[i].out);
		assert_int_equal(addr_parse(buf, &b), 0);
		assert_true(addr_eq(&a, &b));
		/* memcmp invariant: the unused tail is zero. */
		assert_memory_equal(&a, &b, sizeof(a));
	}
	a = A("10.8.0.1");
	assert_int_equal(a.b[0], 10);
	assert_int_equal(a.b[3], 1);
	for (i = 4; i < 16; i++)
		assert_int_equal(a.b[i], 0);
	assert_int_equal(addr_bits(&a), 32);
	assert_int_equal(addr_bits(&(struct addr){ .family = AF_INET6 }), 128);
	assert_int_equal(addr_bits(&(struct addr){ 0 }), 0);
}

static void
test_addr_hostile(void **state)
{
	static const char *bad[] = {
		"", " ", "10.0.0.1 ", " 10.0.0.1", "10.0.0", "10.0.0.1.", "10.0.0.256",
		"10.0.0.-1", "10.0.0.1/32", "010.0.0.1", "0x0a.0.0.1", "10.1", "1",
		"10.0.0.1\n", "::1%lo", "2001:db8:::1", "2001:db8::1::2", ":::",
		"12345::", "1:2:3:4:5:6:7:8:9", "fe80::g", "[::1]", "localhost",
		"1.2.3.4.5", "1.2.3.04", "::ffff:1.2.3", "10.0.0.1:1194",
	};
	struct addr a = A("192.0.2.9"), keep = a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(addr_parse(bad[i], &a), ERR_MALFORMED);
		assert_memory_equal(&a, &keep, sizeof(a));
	}
	assert_int_equal(addr_parse(NULL, &a), ERR_MALFORMED);

	/* Overlong input: 300 digits. */
	{
		char big[301];

		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(addr_parse(big, &a), ERR_MALFORMED);
	}
}

static void
test_prefix_roundtrip(void **state)
{
	static const char *v[] = {
		"0.0.0.0/0", "10.0.0.0/8", "10.8.0.0/24", "192.0.2.1/32", "192.0.2.128/25",
		"::/0", "2001:db8::/32", "2001:db8::1/128", "2001:db8:0:1::/64",
		"fe80::/10",
	};
	char buf[PREFIX_STR_MAX];
	struct prefix p, q;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(prefix_parse(v[i], false, &p), 0);
		assert_int_equal(prefix_format(&p, buf, sizeof(buf)), 0);
		assert_string_equal(buf, v[i]);
		assert_int_equal(prefix_parse(buf, false, &q), 0);
		assert_memory_equal(&p, &q, sizeof(p));
	}
	assert_int_equal(prefix_parse("10.8.0.0/16", false, &p), 0);
	assert_int_equal(p.a.family, AF_INET);
	assert_int_equal(p.len, 16);
	assert_int_equal(prefix_parse("2001:db8::/48", false, &p), 0);
	assert_int_equal(p.a.family, AF_INET6);
	assert_int_equal(p.len, 48);

	/* Longest possible text fits PREFIX_STR_MAX exactly-ish. */
	assert_int_equal(prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", false, &p), 0);
	assert_int_equal(prefix_format(&p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void
test_prefix_host_bits(void **state)
{
	struct prefix p;

	assert_int_equal(prefix_parse("10.8.0.1/24", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("10.8.0.1/24", true, &p), 0);
	assert_true(addr_eq(&p.a, &(struct addr){ .family = AF_INET, .b = { 10, 8, 0, 1 } }));
	assert_int_equal(p.len, 24);
	prefix_canon(&p);
	assert_true(addr_eq(&p.a, &(struct addr){ .family = AF_INET, .b = { 10, 8, 0, 0 } }));

	assert_int_equal(prefix_parse("192.0.2.129/25", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("192.0.2.128/24", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("0.0.0.1/0", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("0.0.0.1/0", true, &p), 0);
	assert_int_equal(prefix_parse("2001:db8::1/64", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("2001:db8::1/64", true, &p), 0);
	prefix_canon(&p);
	assert_true(addr_eq(&p.a, &(struct addr){ .family = AF_INET6, .b = { 0x20, 0x01, 0x0d, 0xb8 } }));
	/* Bit 127 set with /127 is host bits; with /128 it is not. */
	assert_int_equal(prefix_parse("2001:db8::1/127", false, &p), ERR_MALFORMED);
	assert_int_equal(prefix_parse("2001:db8::1/128", false, &p), 0);
	assert_int_equal(prefix_parse("2001:db8:8000::/33", false, &p), 0);
	assert_int_equal(prefix_parse("2001:db8:8000::/32", false, &p), ERR_MALFORMED);
}

static void
test_prefix_hostile(void **state)
{
	static const struct {
		const char *s;
		int err;
	} v[] = {
		{ "10.0.0.0/", ERR_MALFORMED },
		{ "10.0.0.0/08x", ERR_MALFORMED },
		{ "10.0.0.0/08", ERR_MALFORMED },   /* leading zero: ambiguous */
		{ "10.0.0.0/8x", ERR_MALFORMED },
		{ "10.0.0.0/x8", ERR_MALFORMED },
		{ "/8", ERR_MALFORMED },
		{ "/", ERR_MALFORMED },
		{ "", ERR_MALFORMED },
		{ "10.0.0.0", ERR_MALFORMED },
		{ "10.0.0.0/8/8", ERR_MALFORMED },
		{ "10.0.0.0//8", ERR_MALFORMED },
		{ "10.0.0.0/+8", ERR_MALFORMED },
		{ "10.0.0.0/-8", ERR_MALFORMED },
		{ "10.0.0.0/ 8", ERR_MALFORMED },
		{ "10.0.0.0 /8", ERR_MALFORMED },
		{ "10.0.0.0/8 ", ERR_MALFORMED },
		{ "10.0.0.0/1000", ERR_MALFORMED },
		{ "10.0.0.0/4294967304", ERR_MALFORMED }, /* 2^32 + 8 must not wrap to 8 */
		{ "10.0.0.0/33", ERR_RANGE },
		{ "0.0.0.0/255", ERR_RANGE },
		{ "::/129", ERR_RANGE },
		{ "::/256", ERR_RANGE },
		{ "10.0.0/8", ERR_MALFORMED },
		{ "host/8", ERR_MALFORMED },
		{ "2001:db8::/64%eth0", ERR_MALFORMED },
		{ "2001:db8::%eth0/64", ERR_MALFORMED },
		{ "255.255.255.1/24", ERR_MALFORMED }, /* host bits */
	};
	struct prefix p, keep;
	char longhost[200];
	size_t i;

	assert_int_equal(prefix_parse("192.0.2.0/24", false, &p), 0);
	keep = p;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (prefix_parse(v[i].s, false, &p) != v[i].err)
			fail_msg("prefix_parse(\"%s\") != %d", v[i].s, v[i].err);
		assert_memory_equal(&p, &keep, sizeof(p));
	}
	assert_int_equal(prefix_parse(NULL, true, &p), ERR_MALFORMED);

	/* Address part longer than any address: refused before copying. */
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost + sizeof(longhost) - 4, "/24", 4);
	assert_int_equal(prefix_parse(longhost, true, &p), ERR_MALFORMED);
	/* Exactly ADDR_STR_MAX-1 chars before '/' is still just junk. */
	memset(longhost, '1', ADDR_STR_MAX - 1);
	memcpy(longhost + ADDR_STR_MAX - 1, "/8", 3);
	assert_int_equal(prefix_parse(longhost, true, &p), ERR_MALFORMED);
	assert_memory_equal(&p, &keep, sizeof(p));
}

static void
test_netmask(void **state)
{
	static const struct {
		const char *mask;
		int r;
		uint8_t len;
	} v[] = {
		{ "0.0.0.0", 0, 0 },
		{ "128.0.0.0", 0, 1 },
		{ "255.0.0.0", 0, 8 },
		{ "255.255.255.0", 0, 24 },
		{ "255.255.255.252", 0, 30 },
		{ "255.255.255.254", 0, 31 },
		{ "255.255.255.255", 0, 32 },
		{ "255.0.255.0", ERR_MALFORMED, 0 },
		{ "0.255.255.255", ERR_MALFORMED, 0 },
		{ "255.255.255.253", ERR_MALFORMED, 0 },
		{ "0.0.0.1", ERR_MALFORMED, 0 },
		{ "127.0.0.0", ERR_MALFORMED, 0 },
		{ "255.255.0.255", ERR_MALFORMED, 0 },
	};
	struct addr m;
	uint8_t len;
	unsigned n;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		len = 99;
		m = A(v[i].mask);
		assert_int_equal(addr_netmask_len(&m, &len), v[i].r);
		if (v[i].r == 0)
			assert_int_equal(len, v[i].len);
		else
			assert_int_equal(len, 99);
	}
	/* Every length round-trips through a mask. */
	for (n = 0; n <= 32; n++) {
		addr_netmask_from_len((uint8_t)n, &m);
		assert_int_equal(m.family, AF_INET);
		assert_int_equal(addr_netmask_len(&m, &len), 0);
		assert_int_equal(len, n);
	}
	addr_netmask_from_len(24, &m);
	assert_memory_equal(&m, AP("255.255.255.0"), sizeof(m));
	/* Lengths above 32 clamp rather than overflow the shift. */
	addr_netmask_from_len(200, &m);
	assert_int_equal(addr_v4(&m), UINT32_MAX);
	/* An IPv6 "mask" is not a netmask. */
	m = A("ffff::");
	assert_int_equal(addr_netmask_len(&m, &len), ERR_INVAL);
}

static void
test_contains_eq(void **state)
{
	struct prefix p;
	struct addr a;

	assert_int_equal(prefix_parse("10.8.0.0/24", false, &p), 0);
	assert_true(prefix_contains(&p, AP("10.8.0.0")));
	assert_true(prefix_contains(&p, AP("10.8.0.255")));
	assert_false(prefix_contains(&p, AP("10.8.1.0")));
	assert_false(prefix_contains(&p, AP("10.7.255.255")));
	assert_false(prefix_contains(&p, AP("::a08:1")));
	assert_false(prefix_contains(&p, AP("::ffff:10.8.0.1")));

	assert_int_equal(prefix_parse("0.0.0.0/0", false, &p), 0);
	assert_true(prefix_contains(&p, AP("203.0.113.7")));
	assert_false(prefix_contains(&p, AP("2001:db8::1")));

	assert_int_equal(prefix_parse("2001:db8:0:80::/57", false, &p), 0);
	assert_true(prefix_contains(&p, AP("2001:db8:0:ff:ffff::1")));
	assert_false(prefix_contains(&p, AP("2001:db8:0:7f::1")));
	assert_false(prefix_contains(&p, AP("10.0.0.1")));

	assert_int_equal(prefix_parse("192.0.2.7/32", false, &p), 0);
	assert_true(prefix_contains(&p, AP("192.0.2.7")));
	assert_false(prefix_contains(&p, AP("192.0.2.6")));

	/* Hostile structs built by hand: bogus length, unset family. */
	p.len = 33;
	assert_false(prefix_contains(&p, AP("192.0.2.7")));
	memset(&p, 0, sizeof(p));
	memset(&a, 0, sizeof(a));
	assert_false(prefix_contains(&p, &a));
	assert_false(addr_eq(&a, &a));   /* an unset addr equals nothing */

	/* Same bytes, different family. */
	a = A("10.0.0.1");
	{
		struct addr b = a;

		b.family = AF_INET6;
		assert_false(addr_eq(&a, &b));
	}
	/* addr_eq ignores garbage beyond an IPv4 address. */
	{
		struct addr b = a;

		b.b[10] = 0x55;
		assert_true(addr_eq(&a, &b));
	}
}

static void
test_canon(void **state)
{
	struct prefix p;
	struct addr a = A("192.0.2.255");

	p.a = a;
	p.len = 26;
	prefix_canon(&p);
	assert_true(addr_eq(&p.a, AP("192.0.2.192")));
	p.a = A("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	p.len = 65;
	prefix_canon(&p);
	assert_true(addr_eq(&p.a, AP("2001:db8:ffff:ffff:8000::")));
	/* Out-of-range length clamps to the family width. */
	p.a = A("10.1.2.3");
	p.len = 99;
	prefix_canon(&p);
	assert_int_equal(p.len, 32);
	assert_true(addr_eq(&p.a, AP("10.1.2.3")));
	p.len = 0;
	prefix_canon(&p);
	assert_true(addr_eq(&p.a, AP("0.0.0.0")));
}

static void
test_format_bounds(void **state)
{
	char buf[PREFIX_STR_MAX];
	struct addr a = A("192.0.2.1");
	struct prefix p;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(addr_format(&a, buf, 9), ERR_OVERFLOW);   /* needs 10 */
	assert_int_equal(buf[0], 'x');
	assert_int_equal(addr_format(&a, buf, 10), 0);
	assert_string_equal(buf, "192.0.2.1");
	assert_int_equal(addr_format(&a, buf, 0), ERR_OVERFLOW);

	memset(&a, 0, sizeof(a));
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), ERR_INVAL);
	a.family = 99;
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), ERR_INVAL);

	assert_int_equal(prefix_parse("192.0.2.0/24", false, &p), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(prefix_format(&p, buf, 12), ERR_OVERFLOW);   /* needs 13 */
	assert_int_equal(buf[0], 'x');
	assert_int_equal(prefix_format(&p, buf, 13), 0);
	assert_string_equal(buf, "192.0.2.0/24");
	p.len = 33;
	assert_int_equal(prefix_format(&p, buf, sizeof(buf)), ERR_INVAL);
}

static void
test_v4_v6_arith(void **state)
{
	struct addr a, b;
	char buf[ADDR_STR_MAX];

	a = A("10.8.0.1");
	assert_int_equal(addr_v4(&a), 0x0a080001);
	addr_from_v4(0xc0000201, &b);
	a = A("192.0.2.1");
	assert_true(addr_eq(&b, &a));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(addr_v4(AP("::1")), 0);

	a = A("2001:db8::");
	addr_v6_add(&a, 0x1234, &b);
	assert_int_equal(addr_format(&b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1234");
	/* Carry across bytes of the low half. */
	a = A("2001:db8::ff:ffff:ffff");
	addr_v6_add(&a, 1, &b);
	assert_int_equal(addr_format(&b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::100:0:0");
	/* Wrap stays inside the low 64 bits; the network half is untouched. */
	a = A("2001:db8:0:1:ffff:ffff:ffff:ffff");
	addr_v6_add(&a, 2, &b);
	assert_int_equal(addr_format(&b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8:0:1::1");
	/* In place. */
	a = A("2001:db8::1");
	addr_v6_add(&a, 1, &a);
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::2");
}

static void
test_sockaddr(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6, sin6b;
	struct sockaddr_storage ss;
	char buf[SOCKADDR_STR_MAX];
	struct addr a;
	uint16_t port = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1194);
	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &a, &port), 0);
	assert_int_equal(port, 1194);
	assert_true(addr_eq(&a, &(struct addr){ .family = AF_INET, .b = { 192, 0, 2, 2 } }));
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &a, NULL), 0);
	assert_int_equal(sockaddr_format((struct sockaddr *)&sin, sizeof(sin), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "192.0.2.2:1194");
	assert_int_equal(sockaddr_format((struct sockaddr *)&sin, sizeof(sin), buf, 14), ERR_OVERFLOW);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8::2", &sin6.sin6_addr);
	assert_int_equal(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[2001:db8::2]:65535");
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &a, &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(a.family, AF_INET6);

	/* Longest form fits SOCKADDR_STR_MAX. */
	memset(&sin6.sin6_addr, 0xff, 16);
	assert_int_equal(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf)), 0);

	/* Truncated lengths and unknown families. */
	port = 7;
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin) - 1, &a, &port), ERR_TRUNC);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6) - 1, &a, &port), ERR_TRUNC);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin, 0, &a, &port), ERR_TRUNC);
	assert_int_equal(addr_from_sockaddr(NULL, 16, &a, &port), ERR_TRUNC);
	assert_int_equal(port, 7);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), &a, &port), ERR_UNSUPPORTED);
	assert_int_equal(sockaddr_format((struct sockaddr *)&ss, sizeof(ss), buf, sizeof(buf)), ERR_UNSUPPORTED);

	/* Equality: address, port, family and scope. */
	sin6b = sin6;
	assert_true(sockaddr_eq((struct sockaddr *)&sin6, sizeof(sin6), (struct sockaddr *)&sin6b, sizeof(sin6b)));
	sin6b.sin6_port = htons(1);
	assert_false(sockaddr_eq((struct sockaddr *)&sin6, sizeof(sin6), (struct sockaddr *)&sin6b, sizeof(sin6b)));
	sin6b = sin6;
	sin6b.sin6_scope_id = 2;
	assert_false(sockaddr_eq((struct sockaddr *)&sin6, sizeof(sin6), (struct sockaddr *)&sin6b, sizeof(sin6b)));
	sin6b = sin6;
	sin6b.sin6_flowinfo = 5;   /* not part of the identity */
	assert_true(sockaddr_eq((struct sockaddr *)&sin6, sizeof(sin6), (struct sockaddr *)&sin6b, sizeof(sin6b)));
	sin6b.sin6_addr.s6_addr[15] ^= 1;
	assert_false(sockaddr_eq((struct sockaddr *)&sin6, sizeof(sin6), (struct sockaddr *)&sin6b, sizeof(sin6b)));
	assert_false(sockaddr_eq((struct sockaddr *)&sin, sizeof(sin), (struct sockaddr *)&sin6, sizeof(sin6)));
	assert_false(sockaddr_eq((struct sockaddr *)&sin, sizeof(sin), (struct sockaddr *)&sin, 4));
	/* sockaddr_storage holding an IPv4 address compares equal to the sockaddr_in. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin, sizeof(sin));
	assert_true(sockaddr_eq((struct sockaddr *)&sin, sizeof(sin), (struct sockaddr *)&ss, sizeof(ss)));
	/* An IPv4-mapped IPv6 sockaddr is kept distinct from the IPv4 one. */
	memset(&sin6b, 0, sizeof(sin6b));
	sin6b.sin6_family = AF_INET6;
	sin6b.sin6_port = sin.sin_port;
	inet_pton(AF_INET6, "::ffff:192.0.2.2", &sin6b.sin6_addr);
	assert_false(sockaddr_eq((struct sockaddr *)&sin, sizeof(sin), (struct sockaddr *)&sin6b, sizeof(sin6b)));
}

static void
test_prefix_eq(void **state)
{
	struct prefix a, b;

	(void)state;
	assert_int_equal(prefix_parse("10.0.0.0/16", false, &a), 0);
	assert_int_equal(prefix_parse("10.0.0.0/16", false, &b), 0);
	assert_true(prefix_eq(&a, &b));
	assert_int_equal(prefix_parse("10.0.0.0/17", false, &b), 0);
	assert_false(prefix_eq(&a, &b));          /* same address, other length */
	assert_int_equal(prefix_parse("10.1.0.0/16", false, &b), 0);
	assert_false(prefix_eq(&a, &b));
	assert_int_equal(prefix_parse("::/16", false, &b), 0);
	assert_int_equal(prefix_parse("0.0.0.0/16", false, &a), 0);
	assert_false(prefix_eq(&a, &b));          /* families differ */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_eq),
		cmocka_unit_test(test_addr_roundtrip),
		cmocka_unit_test(test_addr_hostile),
		cmocka_unit_test(test_prefix_roundtrip),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_prefix_hostile),
		cmocka_unit_test(test_netmask),
		cmocka_unit_test(test_contains_eq),
		cmocka_unit_test(test_canon),
		cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_v4_v6_arith),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
