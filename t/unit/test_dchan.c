/*
 * test_dchan.c - data-channel key slots and the P_DATA AEAD format (doc §7.4, §8).
 *
 * Known-answer packets: key2[i] = (7*i + 3) mod 256.  The expected bytes were
 * computed independently with python3's `cryptography` module (AESGCM /
 * ChaCha20Poly1305), building header, nonce = pid || key2[hmac part][0..8)
 * and AAD by hand from doc §7.4/§8.2, not from this code:
 *   enc = AESGCM(key2[d*128 : d*128+keylen])
 *   r = enc.encrypt(pid.to_bytes(4,'big') + key2[d*128+64 : d*128+72], pt, aad)
 *   packet = hdr + pid + r[-16:] + r[:-16]
 * (d = 1 for the server's sending direction, 0 for the client's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dchan.h"
#include "err.h"
#include "mtime.h"

static uint8_t key2[KEY2_LEN];

/* Server -> client, AES-256-GCM, P_DATA_V2 peer 0 key 0, pid 1, payload = ping. */
static const uint8_t kat_srv_aes256_v2[40] = {
	0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x01, 0x8c, 0x3a, 0xfd, 0x8c, 0x5e, 0x54, 0x34,
	0x20, 0xb3, 0x75, 0xaa, 0x5f, 0x2d, 0x27, 0x26,
	0x41, 0x82, 0xee, 0xc3, 0x2b, 0x29, 0x4f, 0xdf,
	0xdb, 0x5e, 0xee, 0x14, 0x2b, 0x11, 0x03, 0x4a,
};

/* Client -> server, CHACHA20-POLY1305, P_DATA_V2 peer 0x123456 key 2, pid 7, "hello, world". */
static const uint8_t kat_cli_chacha_v2[36] = {
	0x4a, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x07,
	0x88, 0x84, 0xa2, 0xce, 0xa1, 0xff, 0x8e, 0x53,
	0x86, 0xb3, 0xd1, 0x6f, 0xb6, 0xe9, 0x56, 0x5a,
	0x82, 0x29, 0x90, 0xd5, 0x72, 0x8d, 0x5f, 0x17,
	0x2f, 0xd2, 0x6f, 0x9c,
};

/* Server -> client, AES-128-GCM, P_DATA_V1 key 1, pid 3, payload = ping. */
static const uint8_t kat_srv_aes128_v1[37] = {
	0x31, 0x00, 0x00, 0x00, 0x03, 0x05, 0x42, 0x4a,
	0xeb, 0x20, 0x06, 0xb6, 0xf7, 0xf2, 0x9d, 0xaf,
	0xc2, 0xcd, 0xf2, 0xe4, 0xcb, 0xe8, 0x51, 0x60,
	0x03, 0xed, 0xa3, 0xa3, 0x57, 0x65, 0xbe, 0xe3,
	0xe3, 0x26, 0x85, 0x56, 0x8c,
};

#define T0 MTIME_SEC(1000)
#define WIN DEF_REPLAY_WINDOW
#define WIN_US MTIME_SEC(DEF_REPLAY_TIME_S)

static int
setup(void **state)
{
	size_t i;

	for (i = 0; i < KEY2_LEN; i++)
		key2[i] = (uint8_t)(7 * i + 3);
	return 0;
}

static void
pair(const char *alg, uint8_t kid, struct dchan_key *srv, struct dchan_key *cli)
{
	assert_int_equal(dchan_key_init(srv, aead_find(alg), kid, key2, true, WIN, WIN_US), 0);
	assert_int_equal(dchan_key_init(cli, aead_find(alg), kid, key2, false, WIN, WIN_US), 0);
}

static void
test_kat_packets(void **state)
{
	struct dchan_key srv, cli;
	uint8_t mem[128], pt[128];
	struct wbuf w;
	size_t n;

	/* 1: server, AES-256-GCM, V2. */
	pair("AES-256-GCM", 0, &srv, &cli);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(w.len, sizeof(kat_srv_aes256_v2));
	assert_memory_equal(mem, kat_srv_aes256_v2, w.len);
	assert_int_equal(dchan_decrypt(&cli, kat_srv_aes256_v2, sizeof(kat_srv_aes256_v2), T0,
	    pt, sizeof(pt), &n), 0);
	assert_int_equal(n, 16);
	assert_true(dchan_is_ping(pt, n));
	/* The server must not be able to open its own direction. */
	assert_int_equal(dchan_decrypt(&srv, kat_srv_aes256_v2, sizeof(kat_srv_aes256_v2), T0,
	    pt, sizeof(pt), &n), ERR_AUTH);
	dchan_key_free(&srv);
	dchan_key_free(&cli);

	/* 2: client, CHACHA20-POLY1305, V2, key id 2, pid 7. */
	pair("CHACHA20-POLY1305", 2, &srv, &cli);
	cli.tx_pid = 6;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&cli, true, 0x123456, (const uint8_t *)"hello, world", 12,
	    &w), 0);
	assert_int_equal(w.len, sizeof(kat_cli_chacha_v2));
	assert_memory_equal(mem, kat_cli_chacha_v2, w.len);
	assert_int_equal(dchan_decrypt(&srv, kat_cli_chacha_v2, sizeof(kat_cli_chacha_v2), T0,
	    pt, sizeof(pt), &n), 0);
	assert_int_equal(n, 12);
	assert_memory_equal(pt, "hello, world", 12);
	dchan_key_free(&srv);
	dchan_key_free(&cli);

	/* 3: server, AES-128-GCM, V1, key id 1, pid 3. */
	pair("AES-128-GCM", 1, &srv, &cli);
	srv.tx_pid = 2;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, false, PEER_ID_NONE, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(w.len, sizeof(kat_srv_aes128_v1));
	assert_memory_equal(mem, kat_srv_aes128_v1, w.len);
	assert_int_equal(dchan_decrypt(&cli, kat_srv_aes128_v1, sizeof(kat_srv_aes128_v1), T0,
	    pt, sizeof(pt), &n), 0);
	assert_true(dchan_is_ping(pt, n));
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

static void
roundtrip(const char *alg, bool v2)
{
	struct dchan_key srv, cli;
	uint8_t mem[1600], pt[1600], msg[1500];
	size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1400, 1500 };
	size_t i, n;
	struct wbuf w;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 5);
	pair(alg, 3, &srv, &cli);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* server -> client */
		wbuf_init(&w, mem, sizeof(mem));
		assert_int_equal(dchan_encrypt(&srv, v2, 77, msg, sizes[i], &w), 0);
		assert_int_equal(w.len, sizes[i] + (v2 ? DCHAN_OVERHEAD_V2 : DCHAN_OVERHEAD_V1));
		assert_int_equal(dchan_decrypt(&cli, mem, w.len, T0, pt, sizeof(pt), &n), 0);
		assert_int_equal(n, sizes[i]);
		if (n > 0)
			assert_memory_equal(pt, msg, n);
		/* client -> server */
		wbuf_init(&w, mem, sizeof(mem));
		assert_int_equal(dchan_encrypt(&cli, v2, 77, msg, sizes[i], &w), 0);
		assert_int_equal(dchan_decrypt(&srv, mem, w.len, T0, pt, sizeof(pt), &n), 0);
		assert_int_equal(n, sizes[i]);
		if (n > 0)
			assert_memory_equal(pt, msg, n);
	}
	assert_int_equal(srv.tx_packets, 8);
	assert_int_equal(srv.rx_packets, 8);
	assert_int_equal(cli.tx_pid, 8);
	assert_int_equal(srv.tx_bytes, 0 + 1 + 15 + 16 + 17 + 100 + 1400 + 1500);
	assert_int_equal(srv.rx_bytes, srv.tx_bytes);
	assert_int_equal(srv.rx_auth_fail, 0);
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

static void
test_roundtrip(void **state)
{
	roundtrip("AES-128-GCM", true);
	roundtrip("AES-256-GCM", true);
	roundtrip("CHACHA20-POLY1305", true);
	roundtrip("AES-256-GCM", false);
	roundtrip("CHACHA20-POLY1305", false);
}

static void
test_layout(void **state)
{
	struct dchan_key srv, cli;
	uint8_t mem[128];
	struct wbuf w;
	struct dchan_hdr h;
	static const uint8_t v2h[] = { 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t v2h2[] = { 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02 };

	pair("AES-256-GCM", 0, &srv, &cli);
	/* Observed: 48 00 00 00 for peer 0 key 0; ping 40 bytes; ids from 1. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(w.len, 40);
	assert_memory_equal(mem, v2h, sizeof(v2h));
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_memory_equal(mem, v2h2, sizeof(v2h2));
	/* The ciphertext is not the plaintext, and the tag comes before it. */
	assert_memory_not_equal(mem + 24, dchan_ping_msg, 16);

	/* Appends after what is already in the buffer. */
	wbuf_init(&w, mem, sizeof(mem));
	wbuf_put_u16(&w, 0xabcd);
	assert_int_equal(dchan_encrypt(&srv, true, 0xfedcba, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(w.len, 42);
	assert_int_equal(mem[0], 0xab);
	assert_int_equal(mem[2], 0x48);
	assert_int_equal(mem[3], 0xfe);
	assert_int_equal(mem[4], 0xdc);
	assert_int_equal(mem[5], 0xba);
	assert_int_equal(mem[9], 3);   /* pid 3 */
	assert_int_equal(dchan_parse_hdr(mem + 2, 40, &h), 0);
	assert_int_equal(h.opcode, P_DATA_V2);
	assert_int_equal(h.peer_id, 0xfedcba);
	assert_int_equal(h.hdr_len, 4);

	/* V1: one byte 6<<3|kid, 21 bytes overhead. */
	dchan_key_free(&srv);
	dchan_key_free(&cli);
	pair("AES-256-GCM", 5, &srv, &cli);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, false, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(w.len, 37);
	assert_int_equal(mem[0], 0x35);
	assert_int_equal(mem[1] | mem[2] | mem[3], 0);
	assert_int_equal(mem[4], 1);
	assert_int_equal(dchan_parse_hdr(mem, w.len, &h), 0);
	assert_int_equal(h.opcode, P_DATA_V1);
	assert_int_equal(h.key_id, 5);
	assert_int_equal(h.peer_id, PEER_ID_NONE);
	assert_int_equal(h.hdr_len, 1);

	/* A peer id that does not fit 24 bits is refused, and spends no id. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0x1000000, dchan_ping_msg, 16, &w), ERR_INVAL);
	assert_int_equal(w.len, 0);
	assert_int_equal(srv.tx_pid, 1);
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

static void
test_parse_hdr(void **state)
{
	struct dchan_hdr h;
	static const uint8_t v2[] = { 0x4f, 0x01, 0x02, 0x03 };
	static const uint8_t v1[] = { 0x32 };
	static const uint8_t ctl[] = { 0x20, 0, 0, 0, 0, 0 };   /* P_CONTROL_V1 */
	static const uint8_t ack[] = { 0x28 };                  /* P_ACK_V1 */
	static const uint8_t reset[] = { 0x38, 0, 0, 0 };       /* HARD_RESET_CLIENT_V2 */
	static const uint8_t zero[] = { 0x00, 0, 0, 0 };
	static const uint8_t high[] = { 0xff, 0, 0, 0 };

	assert_int_equal(dchan_parse_hdr(v2, 4, &h), 0);
	assert_int_equal(h.opcode, 9);
	assert_int_equal(h.key_id, 7);
	assert_int_equal(h.peer_id, 0x010203);
	assert_int_equal(h.hdr_len, 4);
	assert_int_equal(dchan_parse_hdr(v2, 3, &h), ERR_TRUNC);
	assert_int_equal(dchan_parse_hdr(v2, 1, &h), ERR_TRUNC);
	assert_int_equal(dchan_parse_hdr(v2, 0, &h), ERR_TRUNC);
	assert_int_equal(dchan_parse_hdr(NULL, 0, &h), ERR_TRUNC);
	assert_int_equal(dchan_parse_hdr(v1, 1, &h), 0);
	assert_int_equal(h.opcode, 6);
	assert_int_equal(h.key_id, 2);
	assert_int_equal(dchan_parse_hdr(ctl, sizeof(ctl), &h), ERR_MALFORMED);
	assert_int_equal(dchan_parse_hdr(ack, sizeof(ack), &h), ERR_MALFORMED);
	assert_int_equal(dchan_parse_hdr(reset, sizeof(reset), &h), ERR_MALFORMED);
	assert_int_equal(dchan_parse_hdr(zero, sizeof(zero), &h), ERR_MALFORMED);
	assert_int_equal(dchan_parse_hdr(high, sizeof(high), &h), ERR_MALFORMED);
}

/* Encrypt id 1..count from src into pkts[i] (len in lens[i]). */
static void
make_pkts(struct dchan_key *src, bool v2, size_t count, uint8_t pkts[][64], size_t *lens)
{
	size_t i;
	struct wbuf w;
	uint8_t msg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	for (i = 0; i < count; i++) {
		msg[0] = (uint8_t)i;
		wbuf_init(&w, pkts[i], 64);
		assert_int_equal(dchan_encrypt(src, v2, 0, msg, sizeof(msg), &w), 0);
		lens[i] = w.len;
	}
}

static void
test_replay(void **state)
{
	struct dchan_key srv, cli;
	static uint8_t pkts[100][64];
	size_t lens[100], n;
	uint8_t pt[64];

	pair("AES-256-GCM", 0, &srv, &cli);
	make_pkts(&cli, true, 100, pkts, lens);   /* ids 1..100 */

	/* The same packet twice: refused the second time. */
	assert_int_equal(dchan_decrypt(&srv, pkts[0], lens[0], T0, pt, sizeof(pt), &n), 0);
	assert_int_equal(pt[0], 0);
	assert_int_equal(dchan_decrypt(&srv, pkts[0], lens[0], T0, pt, sizeof(pt), &n), ERR_REPLAY);
	assert_int_equal(srv.rx_replay_drop, 1);

	/* Out of order within the window: accepted once each. */
	assert_int_equal(dchan_decrypt(&srv, pkts[9], lens[9], T0, pt, sizeof(pt), &n), 0);
	assert_int_equal(pt[0], 9);
	assert_int_equal(dchan_decrypt(&srv, pkts[4], lens[4], T0, pt, sizeof(pt), &n), 0);
	assert_int_equal(pt[0], 4);
	assert_int_equal(dchan_decrypt(&srv, pkts[3], lens[3], T0, pt, sizeof(pt), &n), 0);
	assert_int_equal(dchan_decrypt(&srv, pkts[4], lens[4], T0, pt, sizeof(pt), &n), ERR_REPLAY);
	assert_int_equal(dchan_decrypt(&srv, pkts[9], lens[9], T0, pt, sizeof(pt), &n), ERR_REPLAY);

	/* A forged packet with a high id and a bad tag must not move the window. */
	{
		uint8_t forged[64];

		memcpy(forged, pkts[99], lens[99]);
		forged[lens[99] - 1] ^= 1;
		assert_int_equal(dchan_decrypt(&srv, forged, lens[99], T0, pt, sizeof(pt), &n),
		    ERR_AUTH);
		assert_int_equal(srv.rx_auth_fail, 1);
		assert_int_equal(dchan_decrypt(&srv, pkts[1], lens[1], T0, pt, sizeof(pt), &n), 0);
	}

	/* Id 100 moves the window: ids with 100 - id < 64 (37..) are still allowed. */
	assert_int_equal(dchan_decrypt(&srv, pkts[99], lens[99], T0, pt, sizeof(pt), &n), 0);
	assert_int_equal(dchan_decrypt(&srv, pkts[20], lens[20], T0, pt, sizeof(pt), &n), ERR_REPLAY);
	assert_int_equal(dchan_decrypt(&srv, pkts[50], lens[50], T0, pt, sizeof(pt), &n), 0);
	/* ...but not after the time window (15 s) has passed since the highest id. */
	assert_int_equal(dchan_decrypt(&srv, pkts[60], lens[60], T0 + WIN_US + MTIME_SEC(1), pt,
	    sizeof(pt), &n), ERR_REPLAY);

	/* Id 0 is never accepted; it is refused before any crypto. */
	{
		uint8_t zero[64];

		memcpy(zero, pkts[0], lens[0]);
		memset(zero + 4, 0, 4);
		assert_int_equal(dchan_decrypt(&cli, zero, lens[0], T0, pt, sizeof(pt), &n),
		    ERR_REPLAY);
	}
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

/* V2 authenticates its 4 header bytes; V1 only the packet id. */
static void
test_tamper(void **state)
{
	struct dchan_key srv, cli, cli_k3;
	uint8_t mem[64], bad[64], pt[64];
	size_t len, i, n;
	struct wbuf w;

	pair("AES-256-GCM", 0, &srv, &cli);
	assert_int_equal(dchan_key_init(&cli_k3, aead_find("AES-256-GCM"), 3, key2, false, WIN,
	    WIN_US), 0);

	/* --- V2 --- */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0x000102, dchan_ping_msg, 16, &w), 0);
	len = w.len;
	/* Peer id is covered by the tag. */
	for (i = 8; i < 32; i++) {
		memcpy(bad, mem, len);
		bad[1 + i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(dchan_decrypt(&cli, bad, len, T0, pt, sizeof(pt), &n), ERR_AUTH);
	}
	/* Key id 0 -> 3, opened by a slot with key id 3 and the same keys: still refused. */
	memcpy(bad, mem, len);
	bad[0] = 0x4b;
	assert_int_equal(dchan_decrypt(&cli_k3, bad, len, T0, pt, sizeof(pt), &n), ERR_AUTH);
	/* ...and the slot for key 0 refuses it as not its key. */
	assert_int_equal(dchan_decrypt(&cli, bad, len, T0, pt, sizeof(pt), &n), ERR_MALFORMED);
	/* Every bit of pid, tag and ciphertext. */
	for (i = 4 * 8; i < len * 8; i++) {
		memcpy(bad, mem, len);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(dchan_decrypt(&cli, bad, len, T0, pt, sizeof(pt), &n), 0);
	}
	/* at least: 24 peer-id bits + every tag and ciphertext bit */
	assert_true(cli.rx_auth_fail >= 24 + (len - 8) * 8);
	assert_int_equal(cli.rx_packets, 0);
	assert_int_equal(dchan_decrypt(&cli, mem, len, T0, pt, sizeof(pt), &n), 0);

	/* --- V1: the opcode byte is not authenticated (doc §8.2) --- */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, false, 0, dchan_ping_msg, 16, &w), 0);
	len = w.len;
	memcpy(bad, mem, len);
	bad[0] = (uint8_t)(P_DATA_V1 << 3 | 3);
	assert_int_equal(dchan_decrypt(&cli_k3, bad, len, T0, pt, sizeof(pt), &n), 0);
	assert_true(dchan_is_ping(pt, n));
	/* The id is authenticated. */
	memcpy(bad, mem, len);
	bad[4] ^= 0x80;
	assert_int_equal(dchan_decrypt(&cli, bad, len, T0, pt, sizeof(pt), &n), ERR_AUTH);
	/* Turning V1 into V2 is refused (AAD and layout differ). */
	memcpy(bad, mem, len);
	bad[0] = (uint8_t)(P_DATA_V2 << 3);
	assert_int_equal(dchan_decrypt(&cli, bad, len, T0, pt, sizeof(pt), &n), ERR_AUTH);

	dchan_key_free(&srv);
	dchan_key_free(&cli);
	dchan_key_free(&cli_k3);
}

static void
test_truncated(void **state)
{
	struct dchan_key srv, cli;
	uint8_t mem[64], pt[64];
	size_t len, i, n;
	struct wbuf w;
	int v2;

	pair("AES-128-GCM", 0, &srv, &cli);
	for (v2 = 0; v2 <= 1; v2++) {
		size_t min = v2 ? DCHAN_OVERHEAD_V2 : DCHAN_OVERHEAD_V1;

		wbuf_init(&w, mem, sizeof(mem));
		assert_int_equal(dchan_encrypt(&srv, v2, 0, dchan_ping_msg, 16, &w), 0);
		len = w.len;
		for (i = 0; i < len; i++) {
			n = 12345;
			int rc = dchan_decrypt(&cli, mem, i, T0, pt, sizeof(pt), &n);
			/* Short of header+pid+tag: truncated.  Longer: the tag fails. */
			assert_int_equal(rc, i < min ? ERR_TRUNC : ERR_AUTH);
			assert_int_equal(n, 12345);
		}
		assert_int_equal(dchan_decrypt(&cli, mem, len, T0, pt, sizeof(pt), &n), 0);
		assert_int_equal(n, 16);
		/* Output space too small: refused before anything is touched. */
		assert_int_equal(dchan_decrypt(&cli, mem, len, T0, pt, 15, &n), ERR_OVERFLOW);
	}
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

static void
test_pid_limit(void **state)
{
	struct dchan_key srv, cli;
	uint8_t mem[64], pt[64];
	struct wbuf w;
	size_t n;

	pair("AES-256-GCM", 0, &srv, &cli);
	assert_false(dchan_needs_rekey(&srv));
	srv.tx_pid = DCHAN_PID_REKEY - 1;
	assert_false(dchan_needs_rekey(&srv));
	srv.tx_pid = DCHAN_PID_REKEY;
	assert_true(dchan_needs_rekey(&srv));

	/* The last id allowed is PACKET_ID_RENEG - 1; then ERR_RANGE, never a wrap. */
	srv.tx_pid = PACKET_ID_RENEG - 2;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(be_get_u32(mem + 4), PACKET_ID_RENEG - 1);
	assert_int_equal(dchan_decrypt(&cli, mem, w.len, T0, pt, sizeof(pt), &n), 0);
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), ERR_RANGE);
	assert_int_equal(w.len, 0);
	assert_false(w.overflow);
	assert_int_equal(srv.tx_pid, PACKET_ID_RENEG - 1);
	srv.tx_pid = UINT32_MAX;
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), ERR_RANGE);
	assert_int_equal(srv.tx_pid, UINT32_MAX);

	/* GCM usage limit; ChaCha20-Poly1305 has none. */
	srv.tx_pid = 1;
	srv.tx_blocks = DCHAN_GCM_BLOCK_LIMIT - 1;
	assert_false(dchan_needs_rekey(&srv));
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(srv.tx_blocks, DCHAN_GCM_BLOCK_LIMIT + 1);   /* 1 block + 1 packet */
	assert_true(dchan_needs_rekey(&srv));
	dchan_key_free(&srv);
	dchan_key_free(&cli);

	pair("CHACHA20-POLY1305", 0, &srv, &cli);
	srv.tx_blocks = DCHAN_GCM_BLOCK_LIMIT * 4;
	assert_false(dchan_needs_rekey(&srv));
	dchan_key_free(&srv);
	dchan_key_free(&cli);
}

static void
test_overflow_and_state(void **state)
{
	struct dchan_key srv, cli, z;
	uint8_t mem[64], pt[64];
	struct wbuf w;
	size_t n;

	pair("AES-256-GCM", 0, &srv, &cli);
	/* One byte short: nothing written, no id spent, sticky flag untouched. */
	wbuf_init(&w, mem, 39);
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	assert_false(w.overflow);
	assert_int_equal(srv.tx_pid, 0);
	wbuf_init(&w, mem, 3);
	assert_int_equal(dchan_encrypt(&srv, true, 0, NULL, 0, &w), ERR_OVERFLOW);
	wbuf_init(&w, mem, 40);
	assert_int_equal(dchan_encrypt(&srv, true, 0, dchan_ping_msg, 16, &w), 0);
	assert_int_equal(srv.tx_pid, 1);

	/* Zeroed and freed slots are inactive, and free is idempotent. */
	memset(&z, 0, sizeof(z));
	dchan_key_free(&z);
	assert_false(dchan_needs_rekey(&z));
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(dchan_encrypt(&z, true, 0, dchan_ping_msg, 16, &w), ERR_BADSTATE);
	assert_int_equal(dchan_decrypt(&z, mem, 40, T0, pt, sizeof(pt), &n), ERR_BADSTATE);
	dchan_key_free(&srv);
	assert_false(srv.active);
	assert_null(srv.enc.ctx);
	assert_int_equal(srv.tx_pid, 0);
	dchan_key_free(&srv);
	dchan_key_free(&cli);

	/* Bad arguments leave the slot zeroed. */
	assert_int_equal(dchan_key_init(&srv, aead_find("AES-256-GCM"), 8, key2, true, WIN, WIN_US),
	    ERR_INVAL);
	assert_false(srv.active);
	assert_int_equal(dchan_key_init(&srv, NULL, 0, key2, true, WIN, WIN_US), ERR_INVAL);
	assert_int_not_equal(dchan_key_init(&srv, aead_find("AES-256-GCM"), 0, key2, true, 0,
	    WIN_US), 0);
	assert_false(srv.active);
	assert_null(srv.enc.ctx);
}

static void
test_inband(void **state)
{
	uint8_t m[32];

	assert_true(dchan_is_ping(dchan_ping_msg, 16));
	assert_false(dchan_is_ping(dchan_ping_msg, 15));
	memcpy(m, dchan_ping_msg, 16);
	m[16] = 0;
	assert_false(dchan_is_ping(m, 17));
	m[15] ^= 1;
	assert_false(dchan_is_ping(m, 16));
	assert_false(dchan_is_ping(m, 0));

	memcpy(m, dchan_occ_magic, 16);
	m[16] = DCHAN_OCC_EXIT;
	assert_true(dchan_is_occ_exit(m, 17));
	assert_false(dchan_is_occ_exit(m, 16));
	assert_false(dchan_is_occ_exit(m, 18));
	m[16] = 5;
	assert_false(dchan_is_occ_exit(m, 17));
	m[16] = 6;
	m[0] ^= 1;
	assert_false(dchan_is_occ_exit(m, 17));
	assert_false(dchan_is_occ_exit(m, 0));
	assert_false(dchan_is_ping(dchan_occ_magic, 16));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_packets),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_parse_hdr),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_pid_limit),
		cmocka_unit_test(test_overflow_and_state),
		cmocka_unit_test(test_inband),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
