/*
 * test_kmsg.c - key-method-2 codec (doc §6.2, §16.2-3): the sizes seen on the
 * wire (client 399 bytes, server 178), string encoding (length includes the
 * NUL, absent = length 0 with no bytes), optional tail, truncation at every
 * length, oversized and hostile strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "kmsg.h"

static const char opt_client[] = "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,proto UDPv4,"
    "auth SHA1,keysize 128,key-method 2,tls-client";
static const char opt_server[] = "V4,dev-type tun,link-mtu 1541,tun-mtu 1500,proto UDPv4,"
    "auth SHA1,keysize 128,key-method 2,tls-server";
/* The 2.6.14 client peer-info of doc §6.4: 172 characters + NUL. */
static const char pinfo[] = "IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
    "IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\nIV_LZO_STUB=1\n"
    "IV_COMP_STUB=1\nIV_COMP_STUBv2=1\n";

static struct kmsg m, got;   /* large: keep off the stack */
static uint8_t mem[16384];

static void
fill(struct kmsg *k, bool client)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	k->has_pre_master = client;
	for (i = 0; i < KM2_PRE_MASTER_LEN; i++)
		k->pre_master[i] = client ? (uint8_t)(0x10 + i) : 0;
	for (i = 0; i < KM2_RANDOM_LEN; i++) {
		k->random1[i] = (uint8_t)(0xa0 + i);
		k->random2[i] = (uint8_t)(0x40 + i);
	}
	strcpy(k->options, client ? opt_client : opt_server);
	if (client)
		strcpy(k->peer_info, pinfo);
}

static size_t
build(const struct kmsg *k, bool client)
{
	struct wbuf w;

	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(kmsg_build(&w, k, client), 0);
	return w.len;
}

static void
assert_same(const struct kmsg *a, const struct kmsg *b)
{
	assert_int_equal(a->has_pre_master, b->has_pre_master);
	assert_memory_equal(a->pre_master, b->pre_master, KM2_PRE_MASTER_LEN);
	assert_memory_equal(a->random1, b->random1, KM2_RANDOM_LEN);
	assert_memory_equal(a->random2, b->random2, KM2_RANDOM_LEN);
	assert_string_equal(a->options, b->options);
	assert_int_equal(a->has_username, b->has_username);
	assert_int_equal(a->has_password, b->has_password);
	assert_string_equal(a->username, b->username);
	assert_string_equal(a->password, b->password);
	assert_string_equal(a->peer_info, b->peer_info);
}

static void
test_client_layout(void **state)
{
	size_t len, used = 0;

	assert_int_equal(sizeof(opt_client), 101);
	assert_int_equal(sizeof(pinfo), 173);
	fill(&m, true);
	len = build(&m, true);
	/* 399 = 4+1+48+32+32 + (2+101) + 2 + 2 + (2+173), as seen on the wire. */
	assert_int_equal(len, 399);
	assert_memory_equal(mem, "\0\0\0\0\x02", 5);
	assert_int_equal(mem[5], 0x10);                /* pre_master */
	assert_int_equal(mem[53], 0xa0);               /* random1 */
	assert_int_equal(mem[85], 0x40);               /* random2 */
	assert_int_equal(mem[117], 0x00);              /* options length 101 */
	assert_int_equal(mem[118], 101);
	assert_memory_equal(mem + 119, opt_client, 101);
	assert_memory_equal(mem + 220, "\0\0\0\0", 4); /* no username, no password */
	assert_int_equal(mem[224], 0);                 /* peer-info length 173 */
	assert_int_equal(mem[225], 173);
	assert_memory_equal(mem + 226, pinfo, 173);

	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	assert_int_equal(used, 399);
	assert_same(&m, &got);
	assert_false(got.has_username);
	kmsg_wipe(&got);
}

static void
test_server_layout(void **state)
{
	size_t len, used = 0;

	fill(&m, false);
	len = build(&m, false);
	/* 178 = 4+1+32+32 + (2+101) + 2 + 2 + 2: no pre_master, empty peer-info. */
	assert_int_equal(len, 178);
	assert_int_equal(mem[4], 2);
	assert_int_equal(mem[5], 0xa0);                /* random1 right after method */
	assert_int_equal(mem[37], 0x40);
	assert_memory_equal(mem + 172, "\0\0\0\0\0\0", 6);
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), 0);
	assert_int_equal(used, 178);
	assert_false(got.has_pre_master);
	assert_same(&m, &got);
	assert_string_equal(got.peer_info, "");

	/* Parsed with the wrong direction it cannot be the same message. */
	assert_int_not_equal(kmsg_parse(mem, len, true, &got, &used), 0);
}

static void
test_userpass(void **state)
{
	size_t len, used = 0;
	static const uint8_t enc[] = { 0x00, 0x06, 'a', 'l', 'i', 'c', 'e', 0x00,
		0x00, 0x0a, 's', 'e', 'c', 'r', 'e', 't', '1', '2', '3', 0x00 };

	fill(&m, true);
	m.has_username = m.has_password = true;
	strcpy(m.username, "alice");
	strcpy(m.password, "secret123");
	len = build(&m, true);
	assert_int_equal(len, 399 + 6 + 10);
	assert_memory_equal(mem + 220, enc, sizeof(enc));
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	assert_int_equal(used, len);
	assert_same(&m, &got);
	assert_string_equal(got.username, "alice");
	assert_string_equal(got.password, "secret123");

	/* Wipe really clears the secrets. */
	kmsg_wipe(&got);
	assert_false(got.has_password);
	assert_int_equal(got.password[0], 0);
	assert_int_equal(got.pre_master[0] | got.pre_master[47] | got.random1[0], 0);
}

/* A lone NUL is a present, empty string; length 0 is absent. */
static void
test_lone_nul(void **state)
{
	size_t len, used;

	fill(&m, true);
	m.has_username = true;   /* "" */
	len = build(&m, true);
	assert_int_equal(len, 400);
	assert_memory_equal(mem + 220, "\x00\x01\x00\x00\x00", 5);
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	assert_true(got.has_username);
	assert_string_equal(got.username, "");
	assert_false(got.has_password);

	/* Lone NUL as options is accepted as an empty options string. */
	fill(&m, false);
	m.options[0] = '\0';
	len = build(&m, false);
	assert_int_equal(len, 4 + 1 + 64 + 3 + 6);
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), 0);
	assert_string_equal(got.options, "");

	/* Options of length 0 (absent) is malformed: the field is mandatory. */
	assert_int_equal(mem[70], 1);
	mem[70] = 0;
	assert_int_equal(kmsg_parse(mem, 71, false, &got, &used), ERR_MALFORMED);
}

/* Every prefix of a message is ERR_TRUNC, except the two places where the
   optional tail may legitimately end (after options, after password). */
static void
test_truncated(void **state)
{
	size_t len, cut, used;
	int client;

	for (client = 0; client <= 1; client++) {
		size_t opt_end = 4 + 1 + (client ? 48 : 0) + 64 + 2 + 101;

		fill(&m, client);
		m.has_username = m.has_password = true;
		strcpy(m.username, "alice");
		strcpy(m.password, "secret123");
		strcpy(m.peer_info, "IV_VER=2.6.14\n");
		len = build(&m, client);
		for (cut = 0; cut < len; cut++) {
			int rc = kmsg_parse(mem, cut, client, &got, &used);

			if (cut == opt_end || cut == opt_end + 8 + 12) {
				assert_int_equal(rc, 0);
				assert_int_equal(used, cut);
				assert_string_equal(got.options, m.options);
				assert_string_equal(got.peer_info, "");
				assert_int_equal(got.has_username, cut != opt_end);
			} else {
				assert_int_equal(rc, ERR_TRUNC);
			}
		}
		assert_int_equal(kmsg_parse(mem, len, client, &got, &used), 0);
		assert_same(&m, &got);
	}
}

/* What follows the message (the next text message) is left alone. */
static void
test_trailing(void **state)
{
	size_t len, used = 0;

	fill(&m, true);
	len = build(&m, true);
	memcpy(mem + len, "PUSH_REQUEST", 13);
	assert_int_equal(kmsg_parse(mem, len + 13, true, &got, &used), 0);
	assert_int_equal(used, 399);
	assert_same(&m, &got);
}

static void
test_bad_method(void **state)
{
	size_t len, used;

	fill(&m, false);
	len = build(&m, false);
	mem[4] = 1;
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), ERR_MALFORMED);
	mem[4] = 0x12;   /* reserved high bits: accepted like 2.6 */
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), 0);
	mem[4] = 0x03;
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), ERR_MALFORMED);
	mem[4] = 2;
	/* The leading u32 is not checked. */
	mem[0] = 0xff;
	assert_int_equal(kmsg_parse(mem, len, false, &got, &used), 0);
}

static void
test_nul_placement(void **state)
{
	size_t len, used;
	size_t uoff = 4 + 1 + 48 + 64 + 2 + 101;   /* username length field */

	fill(&m, true);
	m.has_username = m.has_password = true;
	strcpy(m.username, "alice");
	strcpy(m.password, "secret123");
	len = build(&m, true);

	/* Embedded NUL: "al\0ce\0". */
	mem[uoff + 2 + 2] = 0;
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), ERR_MALFORMED);
	assert_string_equal(got.username, "");
	mem[uoff + 2 + 2] = 'i';
	/* Missing NUL: "alicex". */
	mem[uoff + 2 + 5] = 'x';
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), ERR_MALFORMED);
	mem[uoff + 2 + 5] = 0;
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	/* Length one short of the NUL: the NUL is not inside the string. */
	mem[uoff + 1] = 5;
	assert_int_not_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	/* Length one past the NUL: swallows the password's length byte. */
	mem[uoff + 1] = 7;
	assert_int_not_equal(kmsg_parse(mem, len, true, &got, &used), 0);
	mem[uoff + 1] = 6;
	/* Options without its NUL. */
	mem[4 + 1 + 48 + 64 + 2 + 100] = '!';
	assert_int_equal(kmsg_parse(mem, len, true, &got, &used), ERR_MALFORMED);
}

static void
test_oversized(void **state)
{
	struct wbuf w;
	size_t used, off;
	uint8_t hdr[4 + 1 + 64 + 2];

	/* Options: 512 incl NUL accepted, 513 refused (by length alone). */
	fill(&m, false);
	memset(m.options, 'o', KM2_OPTIONS_MAX - 1);
	m.options[KM2_OPTIONS_MAX - 1] = '\0';
	off = build(&m, false);
	assert_int_equal(kmsg_parse(mem, off, false, &got, &used), 0);
	assert_int_equal(strlen(got.options), KM2_OPTIONS_MAX - 1);
	memset(m.options, 'o', KM2_OPTIONS_MAX);
	m.options[KM2_OPTIONS_MAX] = '\0';
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(kmsg_build(&w, &m, false), ERR_RANGE);
	assert_int_equal(w.len, 0);

	/* A huge length is refused as soon as it is read, without waiting for bytes. */
	memset(hdr, 0, sizeof(hdr));
	hdr[4] = 2;
	hdr[4 + 1 + 64] = 0x02;
	hdr[4 + 1 + 64 + 1] = 0x01;   /* 513 */
	assert_int_equal(kmsg_parse(hdr, sizeof(hdr), false, &got, &used), ERR_RANGE);
	hdr[4 + 1 + 64] = 0xff;
	hdr[4 + 1 + 64 + 1] = 0xff;
	assert_int_equal(kmsg_parse(hdr, sizeof(hdr), false, &got, &used), ERR_RANGE);
	hdr[4 + 1 + 64] = 0x02;
	hdr[4 + 1 + 64 + 1] = 0x00;   /* 512: within cap, so wait for it */
	assert_int_equal(kmsg_parse(hdr, sizeof(hdr), false, &got, &used), ERR_TRUNC);

	/* Username at the cap, then over it. */
	fill(&m, true);
	m.has_username = m.has_password = true;
	memset(m.username, 'u', KM2_USERPASS_MAX - 1);
	strcpy(m.password, "p");
	off = build(&m, true);
	assert_int_equal(kmsg_parse(mem, off, true, &got, &used), 0);
	assert_int_equal(strlen(got.username), KM2_USERPASS_MAX - 1);
	assert_int_equal(used, off);
	/* Patch the length to cap+1: refused. */
	mem[220] = (uint8_t)((KM2_USERPASS_MAX + 1) >> 8);
	mem[221] = (uint8_t)((KM2_USERPASS_MAX + 1) & 0xff);
	assert_int_equal(kmsg_parse(mem, off, true, &got, &used), ERR_RANGE);

	/* Peer-info over its cap. */
	fill(&m, true);
	off = build(&m, true);
	mem[224] = (uint8_t)((KM2_PEER_INFO_MAX + 1) >> 8);
	mem[225] = (uint8_t)((KM2_PEER_INFO_MAX + 1) & 0xff);
	assert_int_equal(kmsg_parse(mem, off, true, &got, &used), ERR_RANGE);

	/* An unterminated field is refused by the builder. */
	fill(&m, true);
	memset(m.peer_info, 'x', sizeof(m.peer_info));
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(kmsg_build(&w, &m, true), ERR_RANGE);
	assert_int_equal(w.len, 0);
}

static void
test_build_overflow(void **state)
{
	struct wbuf w;
	size_t cap;

	fill(&m, true);
	for (cap = 0; cap < 399; cap += 7) {
		wbuf_init(&w, mem, cap);
		assert_int_equal(kmsg_build(&w, &m, true), ERR_OVERFLOW);
		assert_int_equal(w.len, 0);
	}
	wbuf_init(&w, mem, 399);
	assert_int_equal(kmsg_build(&w, &m, true), 0);
	assert_int_equal(w.len, 399);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_layout),
		cmocka_unit_test(test_server_layout),
		cmocka_unit_test(test_userpass),
		cmocka_unit_test(test_lone_nul),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_nul_placement),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_build_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
