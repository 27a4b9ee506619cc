// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/flow/test_tcp_sack.c - the sender's SACK scoreboard
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flow/tcp_sack.h"

#define MSS	1000u
#define MAX	100000u	/* snd_max, unless a test says */

static void add1(struct tcp_sb *sb, uint32_t una, uint32_t max,
		 uint32_t l, uint32_t r)
{
	uint32_t b[1][2] = { { l, r } };

	tcp_sb_add(sb, una, max, (const uint32_t (*)[2])b, 1);
}

static void expect_hole(const struct tcp_sb *sb, uint32_t una,
			uint32_t start, uint32_t len)
{
	uint32_t s = 0, l = 0;

	assert_true(tcp_sb_next_hole(sb, una, MAX, MSS, &s, &l));
	assert_int_equal(s, start);
	assert_int_equal(l, len);
}

/* Blocks merge, stay ordered, and are clipped to (una, max] */
static void ranges_merge_and_clip(void **state)
{
	struct tcp_sb sb;
	uint32_t b[3][2] = { { 5000, 6000 }, { 3000, 4000 }, { 4000, 4500 } };

	(void)state;
	tcp_sb_init(&sb, 1000);
	assert_true(tcp_sb_add(&sb, 1000, 10000,
			       (const uint32_t (*)[2])b, 3));
	assert_int_equal(sb.n, 2);
	assert_int_equal(sb.blk[0][0], 3000);
	assert_int_equal(sb.blk[0][1], 4500);
	assert_int_equal(sb.blk[1][0], 5000);
	/* nothing new: the same blocks again */
	assert_false(tcp_sb_add(&sb, 1000, 10000,
				(const uint32_t (*)[2])b, 3));
	/* bridging block joins both */
	add1(&sb, 1000, 10000, 4400, 5100);
	assert_int_equal(sb.n, 1);
	assert_int_equal(sb.blk[0][0], 3000);
	assert_int_equal(sb.blk[0][1], 6000);
	/* below the ACK (D-SACK), past snd_max, inverted: clipped/ignored */
	add1(&sb, 1000, 10000, 500, 900);
	add1(&sb, 1000, 10000, 9500, 12000);
	add1(&sb, 1000, 10000, 8000, 7000);
	assert_int_equal(sb.n, 2);
	assert_int_equal(sb.blk[1][0], 9500);
	assert_int_equal(sb.blk[1][1], 10000);
	assert_int_equal(tcp_sb_sacked(&sb), 3000 + 500);
}

/* Holes below the highest SACKed byte, each once per recovery */
static void holes_in_order_once(void **state)
{
	struct tcp_sb sb;
	uint32_t s, l;

	(void)state;
	tcp_sb_init(&sb, 1000);
	add1(&sb, 1000, 20000, 3000, 4000);
	add1(&sb, 1000, 20000, 6000, 8000);
	expect_hole(&sb, 1000, 1000, 2000);
	sb.rtx_next = 3000;
	expect_hole(&sb, 1000, 4000, 2000);
	sb.rtx_next = 5000;		/* part of it sent: the rest */
	expect_hole(&sb, 1000, 5000, 1000);
	sb.rtx_next = 6000;
	/* nothing known lost above the highest SACKed byte */
	assert_false(tcp_sb_next_hole(&sb, 1000, MAX, MSS, &s, &l));
	/* a partial ACK: what it covers goes, the rest stays */
	tcp_sb_trim(&sb, 3500);
	assert_int_equal(sb.blk[0][0], 3500);
	tcp_sb_trim(&sb, 7000);
	assert_int_equal(sb.n, 1);
	assert_int_equal(sb.blk[0][0], 7000);
	assert_int_equal(sb.rtx_next, 7000);
	assert_false(tcp_sb_next_hole(&sb, 7000, MAX, MSS, &s, &l));
}

/* No SACK information: the first segment; after a timeout: all not SACKed */
static void first_segment_and_timeout(void **state)
{
	struct tcp_sb sb;
	uint32_t s, l;

	(void)state;
	tcp_sb_init(&sb, 1000);
	expect_hole(&sb, 1000, 1000, MSS);
	sb.rtx_next = 2000;
	assert_false(tcp_sb_next_hole(&sb, 1000, MAX, MSS, &s, &l));

	tcp_sb_init(&sb, 1000);
	add1(&sb, 1000, 9000, 2000, 3000);
	sb.rto = true;
	sb.rto_high = 9000;
	expect_hole(&sb, 1000, 1000, 1000);
	sb.rtx_next = 2000;
	expect_hole(&sb, 1000, 3000, 6000);
	sb.rtx_next = 9000;
	assert_false(tcp_sb_next_hole(&sb, 1000, MAX, MSS, &s, &l));
}

/* Less than a segment in flight: no hole past snd_max (peeks nothing) */
static void hole_stops_at_snd_max(void **state)
{
	struct tcp_sb sb;
	uint32_t s, l;

	(void)state;
	tcp_sb_init(&sb, 1000);
	assert_true(tcp_sb_next_hole(&sb, 1000, 1600, MSS, &s, &l));
	assert_int_equal(s, 1000);
	assert_int_equal(l, 600);
	sb.rtx_next = 1600;
	assert_false(tcp_sb_next_hole(&sb, 1000, 1600, MSS, &s, &l));
	sb.rto = true;
	sb.rto_high = 1600;
	assert_false(tcp_sb_next_hole(&sb, 1000, 1600, MSS, &s, &l));
}

/* Across the 2^32 wrap */
static void wraps(void **state)
{
	struct tcp_sb sb;

	(void)state;
	tcp_sb_init(&sb, 0xfffff000u);
	add1(&sb, 0xfffff000u, 0x3000, 0x1000, 0x2000);
	add1(&sb, 0xfffff000u, 0x3000, 0xfffff800u, 0x800);
	assert_int_equal(sb.n, 2);
	expect_hole(&sb, 0xfffff000u, 0xfffff000u, 0x800);
	sb.rtx_next = 0xfffff800u;
	expect_hole(&sb, 0xfffff000u, 0x800, 0x800);
}

/* Full: the highest ranges are forgotten, never the lowest */
static void full_forgets_highest(void **state)
{
	struct tcp_sb sb;
	unsigned int i;

	(void)state;
	tcp_sb_init(&sb, 0);
	for (i = 0; i < TCP_SB_RANGES + 2; i++)
		add1(&sb, 0, 100000, 1000 * (2 * i + 1), 1000 * (2 * i + 2));
	assert_int_equal(sb.n, TCP_SB_RANGES);
	assert_int_equal(sb.blk[TCP_SB_RANGES - 1][1],
			 1000 * (2 * TCP_SB_RANGES));
	add1(&sb, 0, 100000, 100, 200);	/* a lower one still goes in */
	assert_int_equal(sb.blk[0][0], 100);
	assert_int_equal(sb.n, TCP_SB_RANGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_merge_and_clip),
		cmocka_unit_test(holes_in_order_once),
		cmocka_unit_test(first_segment_and_timeout),
		cmocka_unit_test(hole_stops_at_snd_max),
		cmocka_unit_test(wraps),
		cmocka_unit_test(full_forgets_highest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
