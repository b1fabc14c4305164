/*
 * test_cookie.c - stateless HMAC session-id cookie (doc §4.2, P1).
 *
 * Known answers for IPv4 and IPv6 with a fixed key; the expected values were
 * computed independently in python3:
 *   hmac.new(bytes(range(32)), struct.pack(">I", slot) + bytes([fam]) +
 *            addr.packed + struct.pack(">H", port) + csid,
 *            hashlib.sha256).digest()[:8]
 * Then: determinism, every input changes the cookie, sockaddr padding does
 * not, only slot offsets -2..0 pass (2.6.16 rule), single bit flips fail,
 * bad addresses are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "cookie.h"
#include "err.h"

static const uint8_t csid[SESSION_ID_LEN] = { 0x9a, 0x31, 0x5c, 0x07, 0xe2, 0x48, 0x11, 0xd4 };

static struct sockaddr_in
v4(const char *a, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6
v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x)), ((socklen_t)sizeof(x))

static int
setup_fixed(void **state)
{
	static struct cookie_key k;
	uint8_t key[COOKIE_KEY_LEN];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	if (cookie_key_set(&k, key) != 0)
		return -1;
	*state = &k;
	return 0;
}

static int
setup_random(void **state)
{
	static struct cookie_key k;

	if (cookie_key_init(&k) != 0)
		return -1;
	*state = &k;
	return 0;
}

static int
teardown(void **state)
{
	cookie_key_free(*state);
	return 0;
}

static void
test_known_answer(void **state)
{
	static const uint8_t want4[] = { 0xaf, 0xfc, 0xe8, 0x0b, 0xc8, 0x8f, 0x48, 0xe3 };
	static const uint8_t want6[] = { 0x9c, 0x76, 0x30, 0x22, 0xac, 0xd4, 0x6b, 0x84 };
	const struct cookie_key *k = *state;
	struct sockaddr_in a4 = v4("192.0.2.2", 43655);
	struct sockaddr_in6 a6 = v6("2001:db8::2", 54979);
	uint8_t out[SESSION_ID_LEN];

	assert_int_equal(cookie_make(k, 56666666, SA(a4), csid, out), 0);
	assert_memory_equal(out, want4, sizeof(want4));
	assert_int_equal(cookie_make(k, 56666666, SA(a6), csid, out), 0);
	assert_memory_equal(out, want6, sizeof(want6));
	/* The prepared context is reused: asking again gives the same answer. */
	assert_int_equal(cookie_make(k, 56666666, SA(a4), csid, out), 0);
	assert_memory_equal(out, want4, sizeof(want4));
}

static void
test_inputs_matter(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in a = v4("198.51.100.7", 1194), b;
	struct sockaddr_in6 c = v6("2001:db8::7", 1194), d;
	struct sockaddr_in6 mapped = v6("::ffff:198.51.100.7", 1194);
	uint8_t base[8], base6[8], x[8], sid2[8];

	assert_int_equal(cookie_make(k, 100, SA(a), csid, base), 0);
	assert_int_equal(cookie_make(k, 100, SA(a), csid, x), 0);
	assert_memory_equal(base, x, 8);
	/* port */
	b = a;
	b.sin_port = htons(1195);
	assert_int_equal(cookie_make(k, 100, SA(b), csid, x), 0);
	assert_memory_not_equal(base, x, 8);
	/* address */
	b = a;
	b.sin_addr.s_addr ^= htonl(1);
	assert_int_equal(cookie_make(k, 100, SA(b), csid, x), 0);
	assert_memory_not_equal(base, x, 8);
	/* client session id */
	memcpy(sid2, csid, 8);
	sid2[7] ^= 0x80;
	assert_int_equal(cookie_make(k, 100, SA(a), sid2, x), 0);
	assert_memory_not_equal(base, x, 8);
	/* slot */
	assert_int_equal(cookie_make(k, 101, SA(a), csid, x), 0);
	assert_memory_not_equal(base, x, 8);
	/* family: the same IPv4 address seen as v4-mapped IPv6 is another client */
	assert_int_equal(cookie_make(k, 100, SA(mapped), csid, x), 0);
	assert_memory_not_equal(base, x, 8);
	/* IPv6 port and address */
	assert_int_equal(cookie_make(k, 100, SA(c), csid, base6), 0);
	d = c;
	d.sin6_port = htons(1195);
	assert_int_equal(cookie_make(k, 100, SA(d), csid, x), 0);
	assert_memory_not_equal(base6, x, 8);
	d = c;
	d.sin6_addr.s6_addr[15] ^= 1;
	assert_int_equal(cookie_make(k, 100, SA(d), csid, x), 0);
	assert_memory_not_equal(base6, x, 8);
	d = c;
	d.sin6_addr.s6_addr[0] ^= 1;
	assert_int_equal(cookie_make(k, 100, SA(d), csid, x), 0);
	assert_memory_not_equal(base6, x, 8);
}

/* Padding and fields outside (family, address, port) never reach the hash. */
static void
test_padding_ignored(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in a = v4("198.51.100.7", 1194), b;
	struct sockaddr_in6 c = v6("2001:db8::7", 1194), d;
	struct sockaddr_storage ss;
	uint8_t x[8], y[8];

	b = a;
	memset(b.sin_zero, 0xa5, sizeof(b.sin_zero));
	assert_int_equal(cookie_make(k, 7, SA(a), csid, x), 0);
	assert_int_equal(cookie_make(k, 7, SA(b), csid, y), 0);
	assert_memory_equal(x, y, 8);
	/* A larger salen (sockaddr_storage from recvfrom) with junk after it. */
	memset(&ss, 0x5a, sizeof(ss));
	memcpy(&ss, &a, sizeof(a));
	assert_int_equal(cookie_make(k, 7, (struct sockaddr *)&ss, sizeof(ss), csid, y), 0);
	assert_memory_equal(x, y, 8);

	d = c;
	d.sin6_flowinfo = htonl(0x12345);
	d.sin6_scope_id = 3;
	assert_int_equal(cookie_make(k, 7, SA(c), csid, x), 0);
	assert_int_equal(cookie_make(k, 7, SA(d), csid, y), 0);
	assert_memory_equal(x, y, 8);
}

static void
test_slot(void **state)
{
	(void)state;
	/* default hand-window 60: 30-second slots */
	assert_int_equal(cookie_slot(0, 60), 0);
	assert_int_equal(cookie_slot(29, 60), 0);
	assert_int_equal(cookie_slot(30, 60), 1);
	assert_int_equal(cookie_slot(1700000000, 60), 56666666);
	/* (61 + 1) / 2 = 31 */
	assert_int_equal(cookie_slot(62, 61), 2);
	/* degenerate hand-windows never divide by zero */
	assert_int_equal(cookie_slot(5, 0), 5);
	assert_int_equal(cookie_slot(5, 1), 5);
	assert_int_equal(cookie_slot(UINT64_C(1) << 40, UINT32_MAX), (UINT64_C(1) << 40) >> 31);
}

/* A cookie made in slot s passes at slots s, s+1, s+2 and nowhere else. */
static void
test_check_window(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in a = v4("203.0.113.9", 50000);
	uint64_t made_at = 1700000000;   /* slot 56666666, 20 s into it */
	uint32_t s = cookie_slot(made_at, 60);
	uint8_t c[8];
	int64_t off;

	assert_int_equal(cookie_make(k, s, SA(a), csid, c), 0);
	for (off = -4; off <= 5; off++) {
		uint64_t start = (uint64_t)((int64_t)s + off) * 30;
		bool want = off >= 0 && off <= 2;

		/* first and last second of each slot */
		assert_int_equal(cookie_check(k, start, 60, SA(a), csid, c), want);
		assert_int_equal(cookie_check(k, start + 29, 60, SA(a), csid, c), want);
	}
	/* Wrong address, port or client sid fails even in the right slot. */
	{
		struct sockaddr_in b = a;
		uint8_t sid2[8];

		b.sin_port = htons(50001);
		assert_false(cookie_check(k, made_at, 60, SA(b), csid, c));
		memcpy(sid2, csid, 8);
		sid2[0] ^= 1;
		assert_false(cookie_check(k, made_at, 60, SA(a), sid2, c));
		assert_true(cookie_check(k, made_at, 60, SA(a), csid, c));
	}
}

/* Near slot 0 the previous slots must not wrap around to 0xFFFFFFFF. */
static void
test_check_no_wrap(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in6 a = v6("2001:db8::9", 1194);
	uint8_t c[8];

	assert_int_equal(cookie_make(k, UINT32_MAX, SA(a), csid, c), 0);
	assert_false(cookie_check(k, 0, 60, SA(a), csid, c));
	assert_int_equal(cookie_make(k, UINT32_MAX - 1, SA(a), csid, c), 0);
	assert_false(cookie_check(k, 30, 60, SA(a), csid, c));
	assert_int_equal(cookie_make(k, 0, SA(a), csid, c), 0);
	assert_true(cookie_check(k, 0, 60, SA(a), csid, c));
	assert_true(cookie_check(k, 89, 60, SA(a), csid, c));
	assert_false(cookie_check(k, 90, 60, SA(a), csid, c));
}

static void
test_bit_flips(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in a = v4("192.0.2.2", 43655);
	struct sockaddr_in6 b = v6("2001:db8::2", 43655);
	uint8_t c[8], bad[8];
	size_t bit;

	assert_int_equal(cookie_make(k, 5, SA(a), csid, c), 0);
	assert_true(cookie_check(k, 150, 60, SA(a), csid, c));
	for (bit = 0; bit < 64; bit++) {
		memcpy(bad, c, 8);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(cookie_check(k, 150, 60, SA(a), csid, bad));
	}
	assert_int_equal(cookie_make(k, 5, SA(b), csid, c), 0);
	assert_true(cookie_check(k, 150, 60, SA(b), csid, c));
	for (bit = 0; bit < 64; bit++) {
		memcpy(bad, c, 8);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(cookie_check(k, 150, 60, SA(b), csid, bad));
	}
	memset(bad, 0, 8);
	assert_false(cookie_check(k, 150, 60, SA(a), csid, bad));
	assert_false(cookie_check(k, 150, 60, SA(a), csid, NULL));
}

static void
test_bad_address(void **state)
{
	const struct cookie_key *k = *state;
	struct sockaddr_in a = v4("192.0.2.2", 1);
	struct sockaddr_in6 b = v6("2001:db8::2", 1);
	struct sockaddr_un u;
	uint8_t c[8];

	memset(&u, 0, sizeof(u));
	u.sun_family = AF_UNIX;
	assert_int_equal(cookie_make(k, 1, SA(u), csid, c), ERR_INVAL);
	assert_int_equal(cookie_make(k, 1, (struct sockaddr *)&a, sizeof(a) - 1, csid, c), ERR_INVAL);
	assert_int_equal(cookie_make(k, 1, (struct sockaddr *)&b, sizeof(a), csid, c), ERR_INVAL);
	assert_int_equal(cookie_make(k, 1, NULL, 0, csid, c), ERR_INVAL);
	assert_false(cookie_check(k, 30, 60, SA(u), csid, c));
}

/* Two random keys disagree; a freed key refuses to work; free twice is safe. */
static void
test_random_keys(void **state)
{
	const struct cookie_key *k = *state;
	struct cookie_key k2;
	struct sockaddr_in a = v4("192.0.2.2", 43655);
	uint8_t c1[8], c2[8];
	static const uint8_t zero[COOKIE_KEY_LEN];

	assert_int_equal(cookie_key_init(&k2), 0);
	assert_int_equal(cookie_make(k, 1, SA(a), csid, c1), 0);
	assert_int_equal(cookie_make(&k2, 1, SA(a), csid, c2), 0);
	assert_memory_not_equal(c1, c2, 8);
	assert_memory_not_equal(k2.key, zero, sizeof(zero));
	assert_false(cookie_check(&k2, 30, 60, SA(a), csid, c1));
	cookie_key_free(&k2);
	assert_memory_equal(k2.key, zero, sizeof(zero));
	assert_int_equal(cookie_make(&k2, 1, SA(a), csid, c2), ERR_INVAL);
	cookie_key_free(&k2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_known_answer, setup_fixed, teardown),
		cmocka_unit_test_setup_teardown(test_inputs_matter, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_padding_ignored, setup_random, teardown),
		cmocka_unit_test(test_slot),
		cmocka_unit_test_setup_teardown(test_check_window, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_check_no_wrap, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_bit_flips, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_bad_address, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_random_keys, setup_random, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
