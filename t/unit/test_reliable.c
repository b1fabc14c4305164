/*
 * test_reliable.c - control-channel reliability with a fake clock (doc §3):
 * in-order and reordered delivery, duplicate and below-window re-acks,
 * above-window drops, backoff 2/4/8 s, fast retransmit, the send window,
 * the stateless start, ack MRU padding as seen on the 2.6 wire, and
 * message ids near and across 2^32.
 *
 * Tests that need ids near 2^32 set rx_expected / tx_next directly: the
 * struct is public so owners can embed it, and driving 4 billion packets
 * through the API is not an option.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "mtime.h"
#include "proto.h"
#include "reliable.h"

#define T0 MTIME_SEC(1000)   /* fake clock origin, away from 0 */

static void
rx_ok(struct reliable *r, uint32_t id, int expect)
{
	uint8_t pl[4];

	memcpy(pl, &id, sizeof(pl));
	assert_int_equal(rel_rx(r, P_CONTROL_V1, id, pl, sizeof(pl)), expect);
}

/* Deliver everything ready; return how many, checking ids in order from *next. */
static size_t
deliver(struct reliable *r, uint32_t *next)
{
	const uint8_t *pl;
	uint8_t op;
	size_t len, n = 0;
	uint32_t id;

	while (rel_rx_peek(r, &op, &pl, &len)) {
		assert_int_equal(op, P_CONTROL_V1);
		assert_int_equal(len, 4);
		memcpy(&id, pl, 4);
		assert_int_equal(id, *next);
		(*next)++;
		rel_rx_pop(r);
		n++;
	}
	return n;
}

static size_t
take(struct reliable *r, uint32_t *out, size_t max)
{
	return rel_take_acks(r, out, max);
}

static void
assert_acks(const uint32_t *got, size_t n, const uint32_t *want, size_t wn)
{
	size_t i;

	assert_int_equal(n, wn);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static void
test_in_order(void **state)
{
	struct reliable r;
	uint32_t next = 0, acks[8];
	uint32_t id;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	assert_false(rel_acks_pending(&r));
	for (id = 0; id < 30; id++) {
		rx_ok(&r, id, REL_RX_NEW);
		assert_true(rel_acks_pending(&r));
		assert_int_equal(deliver(&r, &next), 1);
		assert_int_equal(take(&r, acks, 1), 1);
		assert_int_equal(acks[0], id);
		assert_false(rel_acks_pending(&r));
	}
	assert_int_equal(next, 30);
	rel_free(&r);
}

static void
test_reorder(void **state)
{
	struct reliable r;
	uint32_t next = 0, acks[8];
	static const uint32_t want[] = { 0, 1, 11, 5 };

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	rx_ok(&r, 5, REL_RX_NEW);
	rx_ok(&r, 11, REL_RX_NEW);        /* last id inside the window */
	rx_ok(&r, 1, REL_RX_NEW);
	assert_int_equal(deliver(&r, &next), 0);  /* 0 missing: nothing delivered */
	rx_ok(&r, 0, REL_RX_NEW);
	assert_int_equal(deliver(&r, &next), 2);  /* 0, 1; then 2 missing */
	/* Pending acks newest first, each id once. */
	assert_acks(acks, take(&r, acks, 8), want, 4);
	for (uint32_t id = 2; id < 11; id++)
		if (id != 5)
			rx_ok(&r, id, REL_RX_NEW);
	assert_int_equal(deliver(&r, &next), 10);
	assert_int_equal(next, 12);
	rel_free(&r);
}

static void
test_dup_and_below_window(void **state)
{
	struct reliable r;
	uint32_t next = 0, acks[8];

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	rx_ok(&r, 0, REL_RX_NEW);
	rx_ok(&r, 2, REL_RX_NEW);
	rx_ok(&r, 2, REL_RX_DUP);   /* buffered, not delivered yet */
	rx_ok(&r, 0, REL_RX_DUP);
	{
		static const uint32_t want[] = { 2, 0 };
		/* Duplicates are acked, but appear only once. */
		assert_acks(acks, take(&r, acks, 8), want, 2);
	}
	assert_int_equal(deliver(&r, &next), 1);
	/* 0 is now below the window: acked again, never delivered again. */
	rx_ok(&r, 0, REL_RX_DUP);
	assert_true(rel_acks_pending(&r));
	assert_int_equal(take(&r, acks, 1), 1);
	assert_int_equal(acks[0], 0);
	assert_int_equal(deliver(&r, &next), 0);
	rx_ok(&r, 1, REL_RX_NEW);
	assert_int_equal(deliver(&r, &next), 2);
	rel_free(&r);
}

static void
test_above_window(void **state)
{
	struct reliable r;
	uint32_t next = 0;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	rx_ok(&r, REL_RECV_WINDOW, REL_RX_OUTSIDE);
	rx_ok(&r, 0x7fffffff, REL_RX_OUTSIDE);
	assert_false(rel_acks_pending(&r));
	assert_int_equal(deliver(&r, &next), 0);
	rx_ok(&r, REL_RECV_WINDOW - 1, REL_RX_NEW);
	rx_ok(&r, 0, REL_RX_NEW);
	assert_int_equal(deliver(&r, &next), 1);
	/* The window has moved by one. */
	rx_ok(&r, REL_RECV_WINDOW, REL_RX_NEW);
	rx_ok(&r, REL_RECV_WINDOW + 1, REL_RX_OUTSIDE);
	rel_free(&r);
}

static void
test_hostile_rx_ids(void **state)
{
	struct reliable r;
	uint32_t next, acks[REL_ACK_PENDING_MAX];
	uint32_t i;
	uint8_t big[CTL_PKT_MAX + 1] = { 0 };

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	/* 0xFFFFFFFF is just below 0 modulo 2^32: a replay, acked, not delivered. */
	rx_ok(&r, 0xffffffff, REL_RX_DUP);
	rx_ok(&r, 0x80000000, REL_RX_DUP);     /* half-way back is "below" */
	rx_ok(&r, 0x7fffffff, REL_RX_OUTSIDE); /* half-way forward is "above" */
	next = 0;
	assert_int_equal(deliver(&r, &next), 0);
	/* A flood of distinct replays keeps the owed-ack list bounded. */
	for (i = 1; i <= 100; i++)
		rx_ok(&r, 0u - i, REL_RX_DUP);
	assert_int_equal(take(&r, acks, REL_ACK_PENDING_MAX), REL_ACK_PENDING_MAX);
	assert_int_equal(acks[0], 0u - 100);  /* newest first */
	assert_false(rel_acks_pending(&r));
	/* Oversized or inconsistent payloads are refused and queue nothing. */
	assert_int_equal(rel_rx(&r, P_CONTROL_V1, 0, big, sizeof(big)), ERR_OVERFLOW);
	assert_int_equal(rel_rx(&r, P_CONTROL_V1, 0, NULL, 5), ERR_INVAL);
	assert_false(rel_acks_pending(&r));
	assert_int_equal(rel_rx(&r, P_CONTROL_V1, 0, big, CTL_PKT_MAX), REL_RX_NEW);
	rel_free(&r);

	/* Delivery across the wrap. */
	rel_init(&r, MTIME_SEC(2));
	r.rx_expected = 0xfffffffd;
	for (i = 0; i < 6; i++)
		rx_ok(&r, 0xfffffffd + 5 - i, REL_RX_NEW);  /* 2,1,0,ffffffff,fffffffe,fffffffd */
	next = 0xfffffffd;
	assert_int_equal(deliver(&r, &next), 6);
	assert_int_equal(next, 3);
	rx_ok(&r, 0xffffffff, REL_RX_DUP);
	rx_ok(&r, 3 + REL_RECV_WINDOW, REL_RX_OUTSIDE);
	rel_free(&r);
}

static void
queue(struct reliable *r, uint64_t now, uint32_t want_id)
{
	uint32_t id = 0xdead;
	uint8_t pl[4];

	memcpy(pl, &want_id, 4);
	assert_int_equal(rel_tx_queue(r, P_CONTROL_V1, pl, 4, now, &id), 0);
	assert_int_equal(id, want_id);
}

static void
test_send_window_full(void **state)
{
	struct reliable r;
	struct rel_out o;
	uint32_t id, ack;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	assert_true(rel_tx_idle(&r));
	for (id = 0; id < REL_SEND_WINDOW; id++) {
		assert_true(rel_tx_can_queue(&r));
		queue(&r, T0, id);
	}
	assert_false(rel_tx_can_queue(&r));
	assert_int_equal(rel_tx_queue(&r, P_CONTROL_V1, NULL, 0, T0, NULL), ERR_FULL);
	/* Acking a later id does not open the window: the oldest still blocks it. */
	ack = 3;
	rel_ack_rx(&r, &ack, 1, T0);
	assert_false(rel_tx_can_queue(&r));
	ack = 0;
	rel_ack_rx(&r, &ack, 1, T0);
	assert_true(rel_tx_can_queue(&r));
	queue(&r, T0, 6);
	assert_false(rel_tx_can_queue(&r));
	/* Due packets come out lowest id first: 1, 2, 4, 5, 6. */
	{
		static const uint32_t order[] = { 1, 2, 4, 5, 6 };
		size_t i;

		for (i = 0; i < 5; i++) {
			assert_true(rel_tx_due(&r, T0, &o));
			assert_int_equal(o.msgid, order[i]);
			assert_int_equal(o.len, 4);
			assert_memory_equal(o.payload, &order[i], 4);
		}
		assert_false(rel_tx_due(&r, T0, &o));
	}
	assert_int_equal(rel_tx_queue(&r, P_CONTROL_V1, (uint8_t[CTL_PKT_MAX + 1]){ 0 },
				      CTL_PKT_MAX + 1, T0, NULL), ERR_OVERFLOW);
	rel_free(&r);
	rel_free(&r);   /* twice is safe */
}

static void
test_backoff(void **state)
{
	struct reliable r;
	struct rel_out o;
	uint32_t ack = 0;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	assert_int_equal(rel_next_deadline(&r), MTIME_NEVER);
	queue(&r, T0, 0);
	assert_int_equal(rel_next_deadline(&r), T0);
	assert_true(rel_tx_due(&r, T0, &o));           /* first send at 0 */
	assert_false(rel_tx_due(&r, T0, &o));
	/* Resends at +2, +6, +14, +30 s: intervals 2, 4, 8, 16. */
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(2));
	assert_false(rel_tx_due(&r, T0 + MTIME_SEC(2) - 1, &o));
	assert_true(rel_tx_due(&r, T0 + MTIME_SEC(2), &o));
	assert_int_equal(o.msgid, 0);
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(6));
	assert_false(rel_tx_due(&r, T0 + MTIME_SEC(6) - 1, &o));
	assert_true(rel_tx_due(&r, T0 + MTIME_SEC(6), &o));
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(14));
	assert_true(rel_tx_due(&r, T0 + MTIME_SEC(14), &o));
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(30));
	/* A late caller reschedules from when it actually sent. */
	assert_true(rel_tx_due(&r, T0 + MTIME_SEC(40), &o));
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(40 + 32));
	/* Resend-all makes it due now without touching the backoff. */
	rel_tx_resend_all(&r, T0 + MTIME_SEC(41));
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(41));
	assert_true(rel_tx_due(&r, T0 + MTIME_SEC(41), &o));
	assert_int_equal(rel_next_deadline(&r), T0 + MTIME_SEC(41 + 64));
	rel_ack_rx(&r, &ack, 1, T0 + MTIME_SEC(42));
	assert_true(rel_tx_idle(&r));
	assert_int_equal(rel_next_deadline(&r), MTIME_NEVER);
	assert_false(rel_tx_due(&r, MTIME_NEVER - 1, &o));
	rel_free(&r);
}

static void
test_backoff_no_overflow(void **state)
{
	struct reliable r;
	struct rel_out o;
	uint64_t now = T0, prev = 0, iv = 0;
	int i;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	queue(&r, now, 0);

	/* 80 doublings would wrap a 64-bit interval; it must stop growing at
	   a cap, never shrink or wrap, and the cap must be at least an hour. */
	for (i = 0; i < 80; i++) {
		assert_true(rel_tx_due(&r, now, &o));
		assert_true(rel_next_deadline(&r) > now);
		iv = rel_next_deadline(&r) - now;
		assert_true(iv >= prev);
		prev = iv;
		now = rel_next_deadline(&r);
	}
	assert_true(iv >= MTIME_SEC(3600));
	assert_true(iv < MTIME_SEC(86400));
	rel_free(&r);
}

static void
test_fast_retransmit(void **state)
{
	struct reliable r;
	struct rel_out o;
	uint32_t id, a;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	for (id = 0; id < 5; id++)
		queue(&r, T0, id);
	while (rel_tx_due(&r, T0, &o))
		;
	/* Ids never sent do not count. */
	{
		static const uint32_t bogus[] = { 100, 5, 0xffffffff };

		rel_ack_rx(&r, bogus, 3, T0 + 1);
		rel_ack_rx(&r, bogus, 3, T0 + 1);
		assert_false(rel_tx_due(&r, T0 + 2, &o));
	}
	a = 1;
	rel_ack_rx(&r, &a, 1, T0 + 10);
	a = 2;
	rel_ack_rx(&r, &a, 1, T0 + 10);
	assert_false(rel_tx_due(&r, T0 + 20, &o));     /* two higher acks: wait */
	a = 3;
	rel_ack_rx(&r, &a, 1, T0 + 30);
	assert_int_equal(rel_next_deadline(&r), T0 + 30);
	assert_true(rel_tx_due(&r, T0 + 30, &o));      /* third: resend 0 at once */
	assert_int_equal(o.msgid, 0);
	assert_false(rel_tx_due(&r, T0 + 30, &o));     /* only 0; 4 has seen no higher ack */
	/* The counter restarts after the resend. */
	a = 4;
	rel_ack_rx(&r, &a, 1, T0 + 40);
	assert_false(rel_tx_due(&r, T0 + 40, &o));
	a = 0;
	rel_ack_rx(&r, &a, 1, T0 + 50);
	assert_true(rel_tx_idle(&r));
	rel_free(&r);
}

static void
test_dup_acks(void **state)
{
	struct reliable r;
	struct rel_out o;
	static const uint32_t acks[] = { 1, 1, 0, 1, 0, 7, 0xffffffff };

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	queue(&r, T0, 0);
	queue(&r, T0, 1);
	queue(&r, T0, 2);
	rel_ack_rx(&r, acks, sizeof(acks) / sizeof(acks[0]), T0);
	rel_ack_rx(&r, acks, sizeof(acks) / sizeof(acks[0]), T0);
	assert_false(rel_tx_idle(&r));
	assert_true(rel_tx_due(&r, T0, &o));
	assert_int_equal(o.msgid, 2);
	assert_false(rel_tx_due(&r, T0, &o));
	/* Acked slots hold no memory. */
	assert_null(r.tx[0].payload);
	assert_null(r.tx[1].payload);
	assert_non_null(r.tx[2].payload);
	rel_free(&r);
	assert_null(r.tx[2].payload);
}

static void
test_tx_wrap(void **state)
{
	struct reliable r;
	struct rel_out o;
	uint32_t a;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	r.tx_next = 0xfffffffe;
	queue(&r, T0, 0xfffffffe);
	queue(&r, T0, 0xffffffff);
	queue(&r, T0, 0);
	queue(&r, T0, 1);
	assert_true(rel_tx_due(&r, T0, &o));
	assert_int_equal(o.msgid, 0xfffffffe);
	assert_true(rel_tx_due(&r, T0, &o));
	assert_int_equal(o.msgid, 0xffffffff);
	assert_true(rel_tx_due(&r, T0, &o));
	assert_int_equal(o.msgid, 0);
	assert_true(rel_tx_due(&r, T0, &o));
	assert_int_equal(o.msgid, 1);
	/* 0xffffffff, 0, 1 are "higher" than 0xfffffffe across the wrap. */
	a = 0xffffffff;
	rel_ack_rx(&r, &a, 1, T0 + 1);
	a = 0;
	rel_ack_rx(&r, &a, 1, T0 + 1);
	a = 1;
	rel_ack_rx(&r, &a, 1, T0 + 1);
	assert_true(rel_tx_due(&r, T0 + 1, &o));
	assert_int_equal(o.msgid, 0xfffffffe);
	assert_true(rel_tx_can_queue(&r));
	queue(&r, T0, 2);
	queue(&r, T0, 3);
	assert_false(rel_tx_can_queue(&r));   /* 0xfffffffe .. 3 span 6 */
	a = 0xfffffffe;
	rel_ack_rx(&r, &a, 1, T0 + 2);
	queue(&r, T0, 4);
	queue(&r, T0, 5);
	queue(&r, T0, 6);
	queue(&r, T0, 7);
	assert_false(rel_tx_can_queue(&r));   /* 2 .. 7 */
	{
		static const uint32_t order[] = { 2, 3, 4, 5, 6, 7 };
		size_t i;

		for (i = 0; i < 6; i++) {
			assert_true(rel_tx_due(&r, T0 + 2, &o));
			assert_int_equal(o.msgid, order[i]);
			assert_memory_equal(o.payload, &order[i], 4);
		}
	}
	rel_free(&r);
}

static void
test_skip_initial(void **state)
{
	struct reliable r;
	uint32_t next = 1, acks[8];
	static const uint32_t want[] = { 1, 0 };

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	rel_skip_initial(&r);
	assert_true(rel_tx_idle(&r));
	assert_false(rel_acks_pending(&r));
	queue(&r, T0, 1);                   /* our first real packet is id 1 */
	rx_ok(&r, 0, REL_RX_DUP);           /* a retransmitted client reset */
	assert_int_equal(deliver(&r, &next), 0);
	assert_int_equal(take(&r, acks, 8), 1);
	assert_int_equal(acks[0], 0);
	rx_ok(&r, 1, REL_RX_NEW);           /* the ClientHello */
	assert_int_equal(deliver(&r, &next), 1);
	assert_acks(acks, take(&r, acks, 8), want, 2);  /* as on the wire: [1,0] */
	rel_free(&r);
}

/* MRU padding reproduces the arrays seen on the 2.6 wire (doc §3.3). */
static void
test_ack_mru(void **state)
{
	struct reliable r;
	uint32_t acks[8], id;
	static const uint32_t w2[] = { 2, 1, 0 };
	static const uint32_t w5[] = { 5, 4, 3, 2, 1, 0 };
	static const uint32_t w9[] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	static const uint32_t w11[] = { 11, 10, 9, 8 };

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	/* Nothing pending: no padding either. */
	assert_int_equal(take(&r, acks, 8), 0);
	for (id = 0; id <= 2; id++) {
		rx_ok(&r, id, REL_RX_NEW);
		rel_rx_pop(&r);
		if (id < 2)
			take(&r, acks, 8);
	}
	assert_acks(acks, take(&r, acks, 8), w2, 3);
	assert_int_equal(take(&r, acks, 8), 0);
	for (id = 3; id <= 5; id++) {
		rx_ok(&r, id, REL_RX_NEW);
		rel_rx_pop(&r);
	}
	assert_acks(acks, take(&r, acks, 8), w5, 6);
	/* Full arrays; the MRU keeps 8 entries. */
	for (id = 6; id <= 9; id++) {
		rx_ok(&r, id, REL_RX_NEW);
		rel_rx_pop(&r);
	}
	assert_acks(acks, take(&r, acks, 8), w9, 8);
	/* Piggy-backed limit of 4: pending first, then the MRU fills the rest. */
	rx_ok(&r, 10, REL_RX_NEW);
	rx_ok(&r, 11, REL_RX_NEW);
	assert_acks(acks, take(&r, acks, ACK_MAX_ON_CONTROL), w11, 4);
	/* More pending than fit: the remainder stays owed. */
	rel_rx_pop(&r);
	rel_rx_pop(&r);
	for (id = 12; id <= 17; id++)
		rx_ok(&r, id, REL_RX_NEW);
	assert_int_equal(take(&r, acks, 4), 4);
	assert_int_equal(acks[0], 17);
	assert_int_equal(acks[3], 14);
	assert_true(rel_acks_pending(&r));
	assert_int_equal(take(&r, acks, 2), 2);
	assert_int_equal(acks[0], 13);
	assert_int_equal(acks[1], 12);
	assert_false(rel_acks_pending(&r));
	/* A re-acked id moves to the MRU front rather than appearing twice. */
	rx_ok(&r, 13, REL_RX_DUP);
	assert_int_equal(take(&r, acks, 4), 4);
	assert_int_equal(acks[0], 13);
	assert_int_equal(acks[1], 12);
	assert_int_equal(acks[2], 17);
	rel_free(&r);
}

/* Idle peers hold no buffers: after delivery and acks every pointer is NULL. */
static void
test_no_idle_memory(void **state)
{
	struct reliable r;
	uint32_t next = 0, a;
	size_t i;

	(void)state;
	rel_init(&r, MTIME_SEC(2));
	rx_ok(&r, 1, REL_RX_NEW);
	rx_ok(&r, 0, REL_RX_NEW);
	queue(&r, T0, 0);
	assert_int_equal(deliver(&r, &next), 2);
	a = 0;
	rel_ack_rx(&r, &a, 1, T0);
	for (i = 0; i < REL_SEND_WINDOW; i++)
		assert_null(r.tx[i].payload);
	for (i = 0; i < REL_RECV_WINDOW; i++)
		assert_null(r.rx[i].payload);
	/* Empty payloads are fine and allocate nothing. */
	assert_int_equal(rel_rx(&r, P_CONTROL_SOFT_RESET_V1, 2, NULL, 0), REL_RX_NEW);
	for (i = 0; i < REL_RECV_WINDOW; i++)
		assert_null(r.rx[i].payload);
	{
		const uint8_t *pl;
		uint8_t op;
		size_t len = 99;

		assert_true(rel_rx_peek(&r, &op, &pl, &len));
		assert_int_equal(op, P_CONTROL_SOFT_RESET_V1);
		assert_int_equal(len, 0);
	}
	rel_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_dup_and_below_window),
		cmocka_unit_test(test_above_window),
		cmocka_unit_test(test_hostile_rx_ids),
		cmocka_unit_test(test_send_window_full),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_backoff_no_overflow),
		cmocka_unit_test(test_fast_retransmit),
		cmocka_unit_test(test_dup_acks),
		cmocka_unit_test(test_tx_wrap),
		cmocka_unit_test(test_skip_initial),
		cmocka_unit_test(test_ack_mru),
		cmocka_unit_test(test_no_idle_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
