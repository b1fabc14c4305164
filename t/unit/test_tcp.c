/*
 * test_tcp.c - stream framing: frames split at every byte boundary and
 * coalesced, hostile lengths (0, > TCP_PKT_MAX), queue caps for data and
 * control, and a real socketpair flush.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "tcp.h"

struct sink {
	unsigned n;
	size_t lens[64];
	uint8_t first[64];
	int stop_after;
};

static int
collect(void *arg, const uint8_t *pkt, size_t len)
{
	struct sink *s = arg;

	s->lens[s->n] = len;
	s->first[s->n] = pkt[0];
	s->n++;
	return s->stop_after != 0 && (int)s->n == s->stop_after ? 99 : 0;
}

static size_t
frame(uint8_t *out, uint8_t tag, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memset(out + 2, tag, len);
	return 2 + len;
}

static void
test_split_everywhere(void **state)
{
	uint8_t stream[3 * (2 + 1500)];
	size_t total = 0, cut, i;

	total += frame(stream + total, 0xA1, 1);
	total += frame(stream + total, 0xB2, 1500);
	total += frame(stream + total, 0xC3, 40);
	for (cut = 0; cut <= total; cut++) {
		struct tcp_conn c;
		struct sink s = { 0 };

		tcp_conn_init(&c, -1);
		assert_int_equal(tcp_conn_feed(&c, stream, cut, collect, &s), 0);
		assert_int_equal(tcp_conn_feed(&c, stream + cut, total - cut, collect, &s), 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.lens[0], 1);
		assert_int_equal(s.lens[1], 1500);
		assert_int_equal(s.lens[2], 40);
		assert_int_equal(s.first[1], 0xB2);
	}
	/* byte by byte */
	{
		struct tcp_conn c;
		struct sink s = { 0 };

		tcp_conn_init(&c, -1);
		for (i = 0; i < total; i++)
			assert_int_equal(tcp_conn_feed(&c, stream + i, 1, collect, &s), 0);
		assert_int_equal(s.n, 3);
	}
}

static void
test_hostile_lengths(void **state)
{
	struct tcp_conn c;
	struct sink s = { 0 };
	uint8_t zero[] = { 0, 0, 1, 2 };
	uint8_t huge[] = { 0xFF, 0xFF };
	uint8_t over[] = { (TCP_PKT_MAX + 1) >> 8, (TCP_PKT_MAX + 1) & 0xFF };

	tcp_conn_init(&c, -1);
	assert_int_equal(tcp_conn_feed(&c, zero, sizeof(zero), collect, &s), ERR_MALFORMED);
	tcp_conn_init(&c, -1);
	assert_int_equal(tcp_conn_feed(&c, huge, sizeof(huge), collect, &s), ERR_MALFORMED);
	tcp_conn_init(&c, -1);
	assert_int_equal(tcp_conn_feed(&c, over, 1, collect, &s), 0);   /* half a length: wait */
	assert_int_equal(tcp_conn_feed(&c, over + 1, 1, collect, &s), ERR_MALFORMED);
	assert_int_equal(s.n, 0);
}

static void
test_callback_stops(void **state)
{
	uint8_t stream[3 * 12];
	size_t total = 0;
	struct tcp_conn c;
	struct sink s = { .stop_after = 2 };

	total += frame(stream + total, 1, 10);
	total += frame(stream + total, 2, 10);
	total += frame(stream + total, 3, 10);
	tcp_conn_init(&c, -1);
	assert_int_equal(tcp_conn_feed(&c, stream, total, collect, &s), 99);
	assert_int_equal(s.n, 2);
}

static void
test_queue_caps(void **state)
{
	static uint8_t pkt[1400];
	struct tcp_conn c;
	unsigned ok = 0, i;

	tcp_conn_init(&c, -1);
	for (i = 0; i < 1000; i++)
		ok += tcp_conn_queue(&c, pkt, sizeof(pkt), false) == 0;
	assert_int_equal(ok, TCP_TXQ_MAX / (2 + sizeof(pkt)));
	assert_true(c.tx_dropped > 0);
	/* control still fits until the hard cap */
	assert_int_equal(tcp_conn_queue(&c, pkt, 100, true), 0);
	assert_int_equal(tcp_conn_queue(&c, pkt, 0, true), ERR_FULL);
	c.fd = -1;
	tcp_conn_free(&c);
}

static void
test_flush_socketpair(void **state)
{
	struct tcp_conn c;
	struct sink s = { 0 };
	uint8_t pkt[300], got[4096];
	int sv[2];
	ssize_t n;
	size_t total = 0;

	memset(pkt, 0x5A, sizeof(pkt));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	tcp_conn_init(&c, sv[0]);
	assert_int_equal(tcp_conn_queue(&c, pkt, sizeof(pkt), false), 0);
	assert_int_equal(tcp_conn_queue(&c, pkt, 7, true), 0);
	assert_true(tcp_conn_pending(&c));
	assert_int_equal(tcp_conn_flush(&c), 0);
	assert_false(tcp_conn_pending(&c));
	while (total < 2 + 300 + 2 + 7) {
		n = read(sv[1], got + total, sizeof(got) - total);
		assert_true(n > 0);
		total += (size_t)n;
	}
	{
		struct tcp_conn r;

		tcp_conn_init(&r, -1);
		assert_int_equal(tcp_conn_feed(&r, got, total, collect, &s), 0);
	}
	assert_int_equal(s.n, 2);
	assert_int_equal(s.lens[0], 300);
	assert_int_equal(s.lens[1], 7);
	close(sv[1]);
	/* the peer is gone: flushing fails cleanly */
	assert_int_equal(tcp_conn_queue(&c, pkt, 10, false), 0);
	assert_int_equal(tcp_conn_flush(&c), ERR_SYS);
	tcp_conn_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_queue_caps),
		cmocka_unit_test(test_flush_socketpair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
