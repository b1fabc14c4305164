/*
 * test_buf.c - the bounded reader/writer: every get either fully succeeds or
 * leaves view and output untouched; sub-views cannot outgrow their parent;
 * writers never write past cap and remember overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"

static void
test_get_ints(void **state)
{
	static const uint8_t d[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12 };
	struct buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;

	buf_init(&b, d, sizeof(d));
	assert_int_equal(buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(buf_get_u16(&b, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(buf_get_u24(&b, &u24), 0);
	assert_int_equal(u24, 0x040506);
	assert_int_equal(buf_get_u32(&b, &u32), 0);
	assert_int_equal(u32, 0x0708090a);
	assert_int_equal(buf_get_u64(&b, &u64), 0);
	assert_true(u64 == UINT64_C(0x0b0c0d0e0f101112));
	assert_true(buf_empty(&b));
	assert_int_equal(buf_get_u8(&b, &u8), ERR_TRUNC);
}

static void
test_failed_get_leaves_state(void **state)
{
	static const uint8_t d[] = { 0xaa, 0xbb, 0xcc };
	struct buf b;
	uint32_t v = 0x12345678;
	uint8_t out[4] = { 9, 9, 9, 9 };

	buf_init(&b, d, sizeof(d));
	assert_int_equal(buf_get_u32(&b, &v), ERR_TRUNC);
	assert_int_equal(v, 0x12345678);
	assert_int_equal(buf_get_bytes(&b, out, 4), ERR_TRUNC);
	assert_int_equal(out[0], 9);
	assert_int_equal(buf_left(&b), 3);
	assert_int_equal(buf_skip(&b, 4), ERR_TRUNC);
	assert_int_equal(buf_skip(&b, 3), 0);
	assert_int_equal(buf_skip(&b, 0), 0);
}

static void
test_sub_views(void **state)
{
	static const uint8_t d[] = { 0x00, 0x03, 'a', 'b', 'c', 0xff };
	struct buf b, sub, tail;
	uint16_t n;
	uint8_t c;

	buf_init(&b, d, sizeof(d));
	assert_int_equal(buf_get_u16(&b, &n), 0);
	assert_int_equal(buf_get_sub(&b, n, &sub), 0);
	assert_int_equal(buf_left(&sub), 3);
	/* the sub-view ends where its length says, not where the parent does */
	assert_int_equal(buf_skip(&sub, 3), 0);
	assert_int_equal(buf_get_u8(&sub, &c), ERR_TRUNC);
	assert_int_equal(buf_get_u8(&b, &c), 0);
	assert_int_equal(c, 0xff);

	/* a hostile length larger than the parent fails without moving */
	buf_init(&b, d, sizeof(d));
	assert_int_equal(buf_skip(&b, 1), 0);
	assert_int_equal(buf_get_sub(&b, SIZE_MAX, &sub), ERR_TRUNC);
	assert_int_equal(buf_left(&b), 5);

	/* tails come off the end and shrink the parent */
	buf_init(&b, d, sizeof(d));
	assert_int_equal(buf_peek_tail_u16(&b, 0, &n), 0);
	assert_int_equal(n, 0x63ff);
	assert_int_equal(buf_get_tail(&b, 2, &tail), 0);
	assert_int_equal(buf_left(&b), 4);
	assert_int_equal(buf_get_tail(&b, 5, &tail), ERR_TRUNC);
	assert_int_equal(buf_peek_tail_u16(&b, 3, &n), ERR_TRUNC);
	assert_int_equal(buf_peek_tail_u16(&b, SIZE_MAX, &n), ERR_TRUNC);
	buf_get_rest(&b, &sub);
	assert_int_equal(buf_left(&sub), 4);
	assert_true(buf_empty(&b));
	assert_int_equal(buf_peek_u8(&b, 0, &c), ERR_TRUNC);
}

static void
test_writer(void **state)
{
	uint8_t mem[8];
	struct wbuf w;
	uint8_t *p;

	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wbuf_put_u8(&w, 1), 0);
	assert_int_equal(wbuf_put_u16(&w, 0x0203), 0);
	assert_int_equal(wbuf_put_u24(&w, 0x040506), 0);
	assert_int_equal(wbuf_put_u32(&w, 0x0708090a), ERR_OVERFLOW);
	assert_true(w.overflow);
	assert_int_equal(w.len, 6);
	assert_int_equal(wbuf_put_u16(&w, 0x0708), 0);
	assert_int_equal(w.len, 8);
	assert_memory_equal(mem, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_null(wbuf_reserve(&w, 1));
	p = wbuf_at(&w, 6, 2);
	assert_non_null(p);
	assert_null(wbuf_at(&w, 7, 2));
	assert_null(wbuf_at(&w, SIZE_MAX, 1));
	wbuf_truncate(&w, 3);
	assert_int_equal(w.len, 3);
	assert_int_equal(wbuf_put_u64(&w, 1), ERR_OVERFLOW);
	assert_int_equal(wbuf_put_bytes(&w, "abcde", 5), 0);
	assert_int_equal(wbuf_room(&w), 0);
}

static void
test_err_str(void **state)
{
	assert_string_equal(err_str(ERR_TRUNC), "truncated input");
	assert_string_equal(err_str(0), "success");
	assert_string_equal(err_str(-1000), "unknown error");
	assert_string_equal(err_str(5), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_ints),
		cmocka_unit_test(test_failed_get_leaves_state),
		cmocka_unit_test(test_sub_views),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_err_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
