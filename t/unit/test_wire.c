/*
 * test_wire.c - control packet codec: round trips for every control opcode,
 * the exact resets seen on the 2.6 wire (doc §2.2, §4.4), and hostile input:
 * every truncation, bad ack counts, zero session ids, junk after an ACK,
 * every opcode value, and the strict initial-packet check (P2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "proto.h"
#include "wire.h"

static const uint8_t csid[SESSION_ID_LEN] = { 0x9a, 0x31, 0x5c, 0x07, 0xe2, 0x48, 0x11, 0xd4 };
static const uint8_t ssid[SESSION_ID_LEN] = { 0x5e, 0x02, 0xb7, 0x6f, 0x80, 0x1c, 0x3a, 0xc9 };
static const uint8_t zero_sid[SESSION_ID_LEN];

/* The client's HARD_RESET_CLIENT_V2 as seen on the wire (doc §2.2): 14 bytes. */
static const uint8_t client_reset[] = {
	0x38, 0x9a, 0x31, 0x5c, 0x07, 0xe2, 0x48, 0x11, 0xd4, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* The server's HARD_RESET_SERVER_V2 as seen on the wire (doc §2.2): 26 bytes. */
static const uint8_t server_reset[] = {
	0x40, 0x5e, 0x02, 0xb7, 0x6f, 0x80, 0x1c, 0x3a, 0xc9,
	0x01, 0x00, 0x00, 0x00, 0x00,
	0x9a, 0x31, 0x5c, 0x07, 0xe2, 0x48, 0x11, 0xd4,
	0x00, 0x00, 0x00, 0x00,
};

static void
test_first_byte(void **state)
{
	(void)state;
	assert_int_equal(wire_opcode(0x38), P_CONTROL_HARD_RESET_CLIENT_V2);
	assert_int_equal(wire_key_id(0x38), 0);
	assert_int_equal(wire_opcode(0x2f), P_ACK_V1);
	assert_int_equal(wire_key_id(0x2f), 7);
	assert_int_equal(wire_opcode(0xff), 31);
	assert_int_equal(wire_opcode(0x48), P_DATA_V2);
}

static void
test_control_opcodes(void **state)
{
	static const bool expect[32] = {
		[3] = true, [4] = true, [5] = true, [7] = true, [8] = true, [10] = true, [11] = true,
	};
	unsigned op;

	(void)state;
	for (op = 0; op < 32; op++)
		assert_int_equal(wire_is_control_opcode((uint8_t)op), expect[op]);
}

static void
test_client_reset_observed(void **state)
{
	struct ctl_pkt p;
	uint8_t mem[64];
	struct wbuf w;

	(void)state;
	assert_int_equal(wire_parse_ctl(client_reset, sizeof(client_reset), &p), 0);
	assert_int_equal(p.opcode, P_CONTROL_HARD_RESET_CLIENT_V2);
	assert_int_equal(p.key_id, 0);
	assert_memory_equal(p.sid, csid, SESSION_ID_LEN);
	assert_int_equal(p.n_acks, 0);
	assert_false(p.has_rsid);
	assert_true(p.has_msgid);
	assert_int_equal(p.msgid, 0);
	assert_int_equal(buf_left(&p.payload), 0);
	assert_true(wire_is_valid_initial(&p));

	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_HARD_RESET_CLIENT_V2, 0, csid,
					NULL, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(w.len, 14);
	assert_memory_equal(mem, client_reset, sizeof(client_reset));
}

static void
test_server_reset_observed(void **state)
{
	static const uint32_t ack0[1] = { 0 };
	struct ctl_pkt p;
	uint8_t mem[64];
	struct wbuf w;

	(void)state;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_HARD_RESET_SERVER_V2, 0, ssid,
					ack0, 1, csid, 0, NULL, 0), 0);
	assert_int_equal(w.len, 26);
	assert_memory_equal(mem, server_reset, sizeof(server_reset));

	assert_int_equal(wire_parse_ctl(server_reset, sizeof(server_reset), &p), 0);
	assert_int_equal(p.opcode, P_CONTROL_HARD_RESET_SERVER_V2);
	assert_memory_equal(p.sid, ssid, SESSION_ID_LEN);
	assert_int_equal(p.n_acks, 1);
	assert_int_equal(p.acks[0], 0);
	assert_true(p.has_rsid);
	assert_memory_equal(p.rsid, csid, SESSION_ID_LEN);
	assert_int_equal(p.msgid, 0);
	assert_int_equal(buf_left(&p.payload), 0);
	/* A server reset is not a client's initial packet. */
	assert_false(wire_is_valid_initial(&p));
}

/* Build, parse, compare every field, for each control opcode, key id and ack count. */
static void
test_round_trips(void **state)
{
	static const uint8_t ops[] = { 3, 4, 5, 7, 8, 10, 11 };
	static const uint32_t acks[ACK_MAX_RX] = { 7, 0, 0xffffffff, 3, 0x80000000, 1, 2, 9 };
	static const uint8_t pl[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	size_t oi, n, kid;

	(void)state;
	for (oi = 0; oi < sizeof(ops); oi++) {
		for (kid = 0; kid < 8; kid++) {
			for (n = 0; n <= ACK_MAX_RX; n++) {
				uint8_t mem[128];
				struct wbuf w;
				struct ctl_pkt p;
				bool is_ack = ops[oi] == P_ACK_V1;
				size_t expect_len = 10 + 4 * n + (n ? 8 : 0) + (is_ack ? 0 : 4 + sizeof(pl));

				wbuf_init(&w, mem, sizeof(mem));
				assert_int_equal(wire_build_ctl(&w, ops[oi], (uint8_t)kid, csid, acks, n,
								ssid, 0xdeadbeef, pl, sizeof(pl)), 0);
				assert_int_equal(w.len, expect_len);
				assert_int_equal(mem[0], ops[oi] << 3 | kid);
				assert_int_equal(wire_parse_ctl(mem, w.len, &p), 0);
				assert_int_equal(p.opcode, ops[oi]);
				assert_int_equal(p.key_id, kid);
				assert_memory_equal(p.sid, csid, SESSION_ID_LEN);
				assert_int_equal(p.n_acks, n);
				if (n > 0)
					assert_memory_equal(p.acks, acks, 4 * n);
				assert_int_equal(p.has_rsid, n > 0);
				if (n > 0)
					assert_memory_equal(p.rsid, ssid, SESSION_ID_LEN);
				assert_int_equal(p.has_msgid, !is_ack);
				if (is_ack) {
					assert_int_equal(buf_left(&p.payload), 0);
				} else {
					assert_int_equal(p.msgid, 0xdeadbeef);
					assert_int_equal(buf_left(&p.payload), sizeof(pl));
					assert_memory_equal(buf_cur(&p.payload), pl, sizeof(pl));
				}
			}
		}
	}
}

/* Every strict prefix of a valid packet is ERR_TRUNC, except where the ack-only
   form ends exactly (an ACK has no message id). */
static void
test_truncation(void **state)
{
	static const uint32_t acks[3] = { 1, 2, 3 };
	static const uint8_t pl[] = { 1, 2, 3 };
	static const uint8_t ops[] = { P_CONTROL_V1, P_ACK_V1, P_CONTROL_HARD_RESET_SERVER_V2 };
	size_t oi, n, cut;

	(void)state;
	for (oi = 0; oi < sizeof(ops); oi++) {
		for (n = 0; n <= 3; n++) {
			uint8_t mem[128];
			struct wbuf w;
			struct ctl_pkt p;
			size_t full;

			wbuf_init(&w, mem, sizeof(mem));
			assert_int_equal(wire_build_ctl(&w, ops[oi], 0, csid, acks, n, ssid, 1,
							pl, sizeof(pl)), 0);
			full = w.len;
			/* Without payload bytes the packet ends after the message id. */
			for (cut = 0; cut < full; cut++) {
				size_t min_ok = ops[oi] == P_ACK_V1 ? full : full - sizeof(pl);
				int rc = wire_parse_ctl(mem, cut, &p);

				if (cut >= min_ok)
					assert_int_equal(rc, 0);
				else
					assert_int_equal(rc, ERR_TRUNC);
			}
			assert_int_equal(wire_parse_ctl(mem, full, &p), 0);
		}
	}
	assert_int_equal(wire_parse_ctl(NULL, 0, &(struct ctl_pkt){ 0 }), ERR_TRUNC);
}

static void
test_ack_count(void **state)
{
	uint8_t pkt[1 + 8 + 1 + 4 * 255 + 8 + 4];
	struct ctl_pkt p;
	struct wbuf w;
	uint32_t acks[9] = { 0 };
	uint8_t mem[128];

	(void)state;
	memset(pkt, 0x11, sizeof(pkt));
	pkt[0] = P_CONTROL_V1 << 3;
	/* 9 acks with all their bytes present, and 255 likewise: both malformed. */
	pkt[9] = 9;
	assert_int_equal(wire_parse_ctl(pkt, 1 + 8 + 1 + 36 + 8 + 4, &p), ERR_MALFORMED);
	pkt[9] = 255;
	assert_int_equal(wire_parse_ctl(pkt, sizeof(pkt), &p), ERR_MALFORMED);
	/* 8 is the limit and fine. */
	pkt[9] = 8;
	assert_int_equal(wire_parse_ctl(pkt, 1 + 8 + 1 + 32 + 8 + 4, &p), 0);
	assert_int_equal(p.n_acks, 8);
	/* We never build more than 8 either. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_ACK_V1, 0, csid, acks, 9, ssid, 0, NULL, 0), ERR_INVAL);
	assert_int_equal(w.len, 0);
}

static void
test_zero_sids(void **state)
{
	uint8_t mem[64];
	struct wbuf w;
	struct ctl_pkt p;
	uint32_t ack = 0;

	(void)state;
	/* Zero own session id. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, &ack, 1, ssid, 1, NULL, 0), 0);
	memset(mem + 1, 0, SESSION_ID_LEN);
	assert_int_equal(wire_parse_ctl(mem, w.len, &p), ERR_MALFORMED);
	/* Zero remote session id (bytes 14..21 with one ack). */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, &ack, 1, ssid, 1, NULL, 0), 0);
	memset(mem + 14, 0, SESSION_ID_LEN);
	assert_int_equal(wire_parse_ctl(mem, w.len, &p), ERR_MALFORMED);
	/* One non-zero byte anywhere makes it valid. */
	mem[21] = 1;
	assert_int_equal(wire_parse_ctl(mem, w.len, &p), 0);
	/* The builder refuses zero ids. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, zero_sid, NULL, 0, NULL, 1, NULL, 0), ERR_INVAL);
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, &ack, 1, zero_sid, 1, NULL, 0), ERR_INVAL);
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, &ack, 1, NULL, 1, NULL, 0), ERR_INVAL);
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, NULL, 1, ssid, 1, NULL, 0), ERR_INVAL);
	assert_int_equal(w.len, 0);
	assert_true(wire_sid_is_zero(zero_sid));
	assert_false(wire_sid_is_zero(csid));
}

static void
test_ack_trailing_junk(void **state)
{
	uint8_t mem[64];
	struct wbuf w;
	struct ctl_pkt p;
	uint32_t ack = 0;

	(void)state;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_ctl(&w, P_ACK_V1, 0, csid, &ack, 1, ssid, 77, mem, 5), 0);
	/* msgid and payload are not written for an ACK. */
	assert_int_equal(w.len, 1 + 8 + 1 + 4 + 8);
	assert_int_equal(wire_parse_ctl(mem, w.len, &p), 0);
	assert_false(p.has_msgid);
	mem[w.len] = 0;
	assert_int_equal(wire_parse_ctl(mem, w.len + 1, &p), ERR_MALFORMED);
	/* An ACK with no acks is complete after the count. */
	assert_int_equal(wire_parse_ctl(mem, 10, &(struct ctl_pkt){ 0 }), ERR_TRUNC);
	mem[9] = 0;
	assert_int_equal(wire_parse_ctl(mem, 10, &p), 0);
	assert_int_equal(wire_parse_ctl(mem, 11, &p), ERR_MALFORMED);
}

static void
test_all_opcodes(void **state)
{
	uint8_t pkt[32];
	struct ctl_pkt p;
	unsigned op, kid;

	(void)state;
	memcpy(pkt, client_reset, sizeof(client_reset));
	for (op = 0; op < 32; op++) {
		for (kid = 0; kid < 8; kid++) {
			int rc;

			pkt[0] = (uint8_t)(op << 3 | kid);
			rc = wire_parse_ctl(pkt, sizeof(client_reset), &p);
			if (!wire_is_control_opcode((uint8_t)op)) {
				assert_int_equal(rc, ERR_UNSUPPORTED);
			} else if (op == P_ACK_V1) {
				/* 4 bytes where an ACK ends. */
				assert_int_equal(rc, ERR_MALFORMED);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(p.opcode, op);
				assert_int_equal(p.key_id, kid);
				assert_int_equal(wire_is_valid_initial(&p),
						 kid == 0 && (op == 7 || op == 10));
			}
		}
	}
	/* Key-method 1 resets and data packets cannot be built as control packets. */
	{
		uint8_t mem[64];
		struct wbuf w;

		wbuf_init(&w, mem, sizeof(mem));
		assert_int_equal(wire_build_ctl(&w, 1, 0, csid, NULL, 0, NULL, 0, NULL, 0), ERR_INVAL);
		assert_int_equal(wire_build_ctl(&w, P_DATA_V2, 0, csid, NULL, 0, NULL, 0, NULL, 0), ERR_INVAL);
		assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 8, csid, NULL, 0, NULL, 0, NULL, 0), ERR_INVAL);
		assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, NULL, 0, NULL, 0, NULL, 3), ERR_INVAL);
		assert_int_equal(w.len, 0);
	}
}

static void
test_build_overflow(void **state)
{
	static const uint8_t pl[40] = { 0 };
	uint8_t mem[64];
	struct wbuf w;
	size_t cap;

	(void)state;
	/* Exactly fitting succeeds; one byte less fails and writes nothing. */
	for (cap = 0; cap < 14; cap++) {
		wbuf_init(&w, mem, cap);
		assert_int_equal(wire_build_ctl(&w, P_CONTROL_HARD_RESET_CLIENT_V2, 0, csid,
						NULL, 0, NULL, 0, NULL, 0), ERR_OVERFLOW);
		assert_int_equal(w.len, 0);
		assert_true(w.overflow);
	}
	wbuf_init(&w, mem, 14);
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_HARD_RESET_CLIENT_V2, 0, csid,
					NULL, 0, NULL, 0, NULL, 0), 0);
	/* Appending: a failed build keeps what was there. */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wbuf_put_u16(&w, 0xabcd), 0);
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, NULL, 0, NULL, 1, pl, sizeof(pl)), 0);
	assert_int_equal(w.len, 2 + 14 + sizeof(pl));
	assert_int_equal(wire_build_ctl(&w, P_CONTROL_V1, 0, csid, NULL, 0, NULL, 1, pl, sizeof(pl)),
			 ERR_OVERFLOW);
	assert_int_equal(w.len, 2 + 14 + sizeof(pl));
}

static void
test_tlvs(void **state)
{
	/* The server reset payload with RESEND_WKC as seen on the wire (doc §4.4). */
	static const uint8_t wire_tlv[] = { 0x00, 0x01, 0x00, 0x02, 0x00, 0x01 };
	/* Unknown type 0x7777 (3 bytes), then flags 0x8001, then an empty unknown TLV. */
	static const uint8_t mixed[] = { 0x77, 0x77, 0x00, 0x03, 1, 2, 3,
		0x00, 0x01, 0x00, 0x02, 0x80, 0x01, 0x12, 0x34, 0x00, 0x00 };
	static const uint8_t bad_len[] = { 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00 };
	static const uint8_t bad_len1[] = { 0x00, 0x01, 0x00, 0x01, 0x00 };
	uint8_t mem[16];
	struct wbuf w;
	struct buf b;
	uint16_t flags = 0xffff;
	size_t cut;

	(void)state;
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wire_build_early_neg(&w, EARLY_NEG_FLAG_RESEND_WKC), 0);
	assert_int_equal(w.len, EARLY_NEG_LEN);
	assert_memory_equal(mem, wire_tlv, sizeof(wire_tlv));

	buf_init(&b, wire_tlv, sizeof(wire_tlv));
	assert_int_equal(wire_parse_tlvs(&b, &flags), 0);
	assert_int_equal(flags, EARLY_NEG_FLAG_RESEND_WKC);
	assert_int_equal(buf_left(&b), sizeof(wire_tlv));  /* not consumed */

	buf_init(&b, mixed, sizeof(mixed));
	assert_int_equal(wire_parse_tlvs(&b, &flags), 0);
	assert_int_equal(flags, 0x8001);

	buf_init(&b, NULL, 0);
	assert_int_equal(wire_parse_tlvs(&b, &flags), 0);
	assert_int_equal(flags, 0);

	/* Every cut inside a TLV is truncation; cuts on boundaries are fine. */
	for (cut = 0; cut < sizeof(mixed); cut++) {
		bool boundary = cut == 0 || cut == 7 || cut == 13;

		buf_init(&b, mixed, cut);
		flags = 0x5555;
		assert_int_equal(wire_parse_tlvs(&b, &flags), boundary ? 0 : ERR_TRUNC);
		if (!boundary)
			assert_int_equal(flags, 0x5555);
	}
	buf_init(&b, bad_len, sizeof(bad_len));
	assert_int_equal(wire_parse_tlvs(&b, &flags), ERR_MALFORMED);
	buf_init(&b, bad_len1, sizeof(bad_len1));
	assert_int_equal(wire_parse_tlvs(&b, &flags), ERR_MALFORMED);

	wbuf_init(&w, mem, 5);
	assert_int_equal(wire_build_early_neg(&w, 1), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
}

/* wire_is_valid_initial: the P2 gate in front of the stateless reply. */
static void
test_valid_initial(void **state)
{
	static const uint8_t tlv[] = { 0x00, 0x01, 0x00, 0x02, 0x00, 0x01 };
	static const uint8_t junk[] = { 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0xee };
	uint8_t mem[64];
	struct wbuf w;
	struct ctl_pkt p;
	uint32_t ack = 0;

	(void)state;
#define BUILD(op, kid, n, msgid, pl, plen)                                                   \
	do {                                                                                 \
		wbuf_init(&w, mem, sizeof(mem));                                             \
		assert_int_equal(wire_build_ctl(&w, op, kid, csid, &ack, n, ssid, msgid, pl, plen), 0); \
		assert_int_equal(wire_parse_ctl(mem, w.len, &p), 0);                         \
	} while (0)

	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 0, NULL, 0);
	assert_true(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V3, 0, 0, 0, NULL, 0);
	assert_true(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 0, tlv, sizeof(tlv));
	assert_true(wire_is_valid_initial(&p));
	/* message id other than 0 */
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 1, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 0x80000000u, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	/* acks */
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 1, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	/* trailing junk, after a TLV or alone */
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 0, junk, sizeof(junk));
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, 0, junk + 6, 1);
	assert_false(wire_is_valid_initial(&p));
	/* key id */
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V2, 1, 0, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_CLIENT_V3, 7, 0, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	/* other opcodes, even when otherwise identical */
	BUILD(P_CONTROL_V1, 0, 0, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_SOFT_RESET_V1, 0, 0, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_CONTROL_HARD_RESET_SERVER_V2, 0, 0, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
	BUILD(P_ACK_V1, 0, 1, 0, NULL, 0);
	assert_false(wire_is_valid_initial(&p));
#undef BUILD
	/* Every prefix of the 14-byte reset fails to parse, so never reaches the gate. */
	for (size_t cut = 0; cut < sizeof(client_reset); cut++)
		assert_int_equal(wire_parse_ctl(client_reset, cut, &p), ERR_TRUNC);
}

/* Key ids rotate 0, 1..7, 1..7 ...: 0 only for a connection's first key. */
static void
test_key_id_rotation(void **state)
{
	static const uint8_t want[] = { 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1 };
	uint8_t k = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want); i++) {
		k = wire_next_key_id(k);
		assert_int_equal(k, want[i]);
		assert_int_not_equal(k, 0);
	}
	/* out-of-range input (never produced) still lands in 1..7 */
	assert_int_equal(wire_next_key_id(200), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_rotation),
		cmocka_unit_test(test_first_byte),
		cmocka_unit_test(test_control_opcodes),
		cmocka_unit_test(test_client_reset_observed),
		cmocka_unit_test(test_server_reset_observed),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_ack_count),
		cmocka_unit_test(test_zero_sids),
		cmocka_unit_test(test_ack_trailing_junk),
		cmocka_unit_test(test_all_opcodes),
		cmocka_unit_test(test_build_overflow),
		cmocka_unit_test(test_tlvs),
		cmocka_unit_test(test_valid_initial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
