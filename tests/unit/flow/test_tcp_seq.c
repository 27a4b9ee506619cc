// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp_seq.c - TCP sequence and window arithmetic at the edges */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flow/tcp_seq.h"

static void seq_compare_wraps(void **state)
{
	(void)state;
	assert_true(seq_lt(0xfffffff0u, 0x10u));
	assert_true(seq_gt(0x10u, 0xfffffff0u));
	assert_true(seq_le(5, 5));
	assert_true(seq_ge(0, 0xffffffffu));
	assert_false(seq_lt(0x10u, 0xfffffff0u));
	assert_int_equal(seq_max(0xfffffff0u, 0x10u), 0x10u);
	/* half the space apart is the limit of meaning */
	assert_true(seq_lt(0, 0x7fffffffu));
}

static void segment_in_order_across_wrap(void **state)
{
	uint32_t skip;

	(void)state;
	assert_int_equal(tcp_seg_classify(0xfffffffeu, 0xfffffffeu, 100,
					  &skip), TCP_SEG_IN_ORDER);
	assert_int_equal(skip, 0);
	/* starts before rcv_nxt, ends after: the head is skipped */
	assert_int_equal(tcp_seg_classify(0x20u, 0xfffffff0u, 0x40u, &skip),
			 TCP_SEG_IN_ORDER);
	assert_int_equal(skip, 0x30u);
}

static void segment_duplicate_and_future(void **state)
{
	uint32_t skip;

	(void)state;
	assert_int_equal(tcp_seg_classify(1000, 900, 100, &skip),
			 TCP_SEG_DUPLICATE);
	assert_int_equal(tcp_seg_classify(1000, 1000, 0, &skip),
			 TCP_SEG_DUPLICATE);
	assert_int_equal(tcp_seg_classify(1000, 1001, 10, &skip),
			 TCP_SEG_FUTURE);
	assert_int_equal(tcp_seg_classify(5, 0xfffffff0u, 10, &skip),
			 TCP_SEG_DUPLICATE);
	assert_int_equal(tcp_seg_classify(0xfffffff0u, 5, 10, &skip),
			 TCP_SEG_FUTURE);
}

static void ack_classes(void **state)
{
	(void)state;
	assert_int_equal(tcp_ack_classify(100, 200, 150), TCP_ACK_NEW);
	assert_int_equal(tcp_ack_classify(100, 200, 200), TCP_ACK_NEW);
	assert_int_equal(tcp_ack_classify(100, 200, 100), TCP_ACK_SAME);
	assert_int_equal(tcp_ack_classify(100, 200, 99), TCP_ACK_OLD);
	assert_int_equal(tcp_ack_classify(100, 200, 201), TCP_ACK_INVALID);
	/* across the wrap */
	assert_int_equal(tcp_ack_classify(0xffffff00u, 0x100u, 0x10u),
			 TCP_ACK_NEW);
	assert_int_equal(tcp_ack_classify(0xffffff00u, 0x100u, 0x101u),
			 TCP_ACK_INVALID);
}

static void dup_ack_rules(void **state)
{
	(void)state;
	assert_true(tcp_is_dup_ack(100, 200, 100, 0, false, true));
	/* nothing outstanding: a window probe answer, not a dup ACK */
	assert_false(tcp_is_dup_ack(100, 100, 100, 0, false, true));
	assert_false(tcp_is_dup_ack(100, 200, 100, 10, false, true));
	assert_false(tcp_is_dup_ack(100, 200, 100, 0, true, true));
	/* a window update is not a duplicate */
	assert_false(tcp_is_dup_ack(100, 200, 100, 0, false, false));
	assert_false(tcp_is_dup_ack(100, 200, 150, 0, false, true));
}

static void send_room_and_zero_window(void **state)
{
	(void)state;
	assert_int_equal(tcp_send_room(100, 100, 1000), 1000);
	assert_int_equal(tcp_send_room(100, 600, 1000), 500);
	assert_int_equal(tcp_send_room(100, 1100, 1000), 0);
	assert_int_equal(tcp_send_room(100, 100, 0), 0);
	/* the guest shrank its window below what is in flight */
	assert_int_equal(tcp_send_room(100, 1100, 500), 0);
	/* across the wrap */
	assert_int_equal(tcp_send_room(0xfffffff0u, 0x10u, 0x40u), 0x20u);
}

static void window_scaling(void **state)
{
	(void)state;
	assert_int_equal(tcp_wnd_scaled(0xffff, 7), 0xffffu << 7);
	assert_int_equal(tcp_wnd_scaled(0, 14), 0);
	assert_int_equal(tcp_wnd_field(1 << 20, 7), (1 << 20) >> 7);
	assert_int_equal(tcp_wnd_field(1ull << 40, 7), 0xffff);
	assert_int_equal(tcp_wnd_field(100000, 0), 0xffff);
	/* less than one unit of scale is a zero window */
	assert_int_equal(tcp_wnd_field(100, 7), 0);
	assert_int_equal(tcp_ws_clamp(-1), 0);
	assert_int_equal(tcp_ws_clamp(15), 14);
	assert_int_equal(tcp_ws_clamp(7), 7);
}

static void mss_from_mtu(void **state)
{
	(void)state;
	assert_int_equal(tcp_mss(1500, true, 0), 536);
	assert_int_equal(tcp_mss(1500, true, 1460), 1460);
	assert_int_equal(tcp_mss(1500, true, 9000), 1460);
	assert_int_equal(tcp_mss(1500, false, 9000), 1440);
	assert_int_equal(tcp_mss(65520, true, 65495), 65480);
	assert_int_equal(tcp_mss_ours(65520, true), 65480);
	assert_int_equal(tcp_mss_ours(65520, false), 65460);
	assert_int_equal(tcp_mss_ours(68, true), 28);
	/* --mtu 0: nothing advertised, segments sized for the default */
	assert_int_equal(tcp_link_mtu(0), 65520);
	assert_int_equal(tcp_link_mtu(1500), 1500);
	assert_int_equal(tcp_mss_ours(tcp_link_mtu(0), true), 65480);
}

static void rto_backoff_capped(void **state)
{
	uint32_t rto = TCP_RTO_MIN_MS;
	int i;

	(void)state;
	assert_int_equal(tcp_rto_backoff(200), 400);
	for (i = 0; i < 40; i++)
		rto = tcp_rto_backoff(rto);
	assert_int_equal(rto, TCP_RTO_MAX_MS);
}

static void rst_accepted_only_in_window(void **state)
{
	(void)state;
	assert_true(tcp_rst_in_window(1000, 1000, 0));
	assert_true(tcp_rst_in_window(1000, 1500, 1000));
	assert_false(tcp_rst_in_window(1000, 999, 1000));
	assert_false(tcp_rst_in_window(1000, 2001, 1000));
	assert_true(tcp_rst_in_window(0xfffffff0u, 0x5u, 0x100u));
}

/* Idle longer than the timeout, in whole seconds rounded down: strictly */
static void idle_expiry_strict_and_wraps(void **state)
{
	(void)state;
	assert_false(tcp_idle_expired(100, 100, 5));
	assert_false(tcp_idle_expired(100, 105, 5));
	assert_true(tcp_idle_expired(100, 106, 5));
	assert_true(tcp_idle_expired(0xfffffffeu, 4, 5));
	assert_false(tcp_idle_expired(0xfffffffeu, 3, 5));
	/* activity stamped after the sweep read the clock: not idle */
	assert_false(tcp_idle_expired(101, 100, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_compare_wraps),
		cmocka_unit_test(segment_in_order_across_wrap),
		cmocka_unit_test(segment_duplicate_and_future),
		cmocka_unit_test(ack_classes),
		cmocka_unit_test(dup_ack_rules),
		cmocka_unit_test(send_room_and_zero_window),
		cmocka_unit_test(window_scaling),
		cmocka_unit_test(mss_from_mtu),
		cmocka_unit_test(rto_backoff_capped),
		cmocka_unit_test(rst_accepted_only_in_window),
		cmocka_unit_test(idle_expiry_strict_and_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
