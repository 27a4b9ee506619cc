// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp_ooo.c - holding out-of-order guest segments, draining, SACK */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "flow/tcp_ooo.h"

static uint8_t src[1 << 20];
static uint8_t out[1 << 20];
static size_t out_len;
static size_t out_cap;		/* writer takes at most this much per call */

static ssize_t writer(void *ctx, const void *p, size_t len)
{
	size_t n = len < out_cap ? len : out_cap;

	(void)ctx;
	memcpy(out + out_len, p, n);
	out_len += n;
	return (ssize_t)n;
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + i / 251);
	out_len = 0;
	out_cap = SIZE_MAX;
	return tcp_ooo_init(64);
}

/* Stream offset @off as a sequence number starting at @isn */
#define SEQ(isn, off)	((uint32_t)((isn) + (off)))

static void hole_filled_in_order_across_wrap(void **state)
{
	const uint32_t isn = 0xfffff000u;
	struct tcp_ooo_q q;
	uint32_t rcv = isn;

	(void)state;
	tcp_ooo_qinit(&q);
	/* 0..1000 lost; 1000..5000 and 6000..9000 held (5000..6000 lost) */
	assert_int_equal(tcp_ooo_add(&q, rcv, SEQ(isn, 1000), src + 1000,
				     4000), 0);
	assert_int_equal(tcp_ooo_add(&q, rcv, SEQ(isn, 6000), src + 6000,
				     3000), 0);
	/* the first hole arrives and is written by the caller */
	memcpy(out, src, 1000);
	out_len = 1000;
	rcv = SEQ(isn, 1000);
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, SEQ(isn, 5000));
	memcpy(out + out_len, src + 5000, 1000);
	out_len += 1000;
	rcv = SEQ(isn, 6000);
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, SEQ(isn, 9000));
	assert_int_equal(out_len, 9000);
	assert_memory_equal(out, src, 9000);
	assert_int_equal(q.head, -1);
	assert_int_equal(tcp_ooo_free_slots(), 64);
}

static void overlap_and_duplicates_write_each_byte_once(void **state)
{
	struct tcp_ooo_q q;
	uint32_t rcv = 100;

	(void)state;
	tcp_ooo_qinit(&q);
	assert_int_equal(tcp_ooo_add(&q, rcv, 200, src + 100, 3000), 0);
	assert_int_equal(tcp_ooo_add(&q, rcv, 200, src + 100, 3000),
			 -EEXIST);
	/* overlapping retransmission split differently */
	assert_int_equal(tcp_ooo_add(&q, rcv, 1200, src + 1100, 4000), 0);
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, 100);	/* hole 100..200 still there */
	assert_int_equal(out_len, 0);
	rcv = 200;		/* the caller wrote 100..200 itself */
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, 5200);
	assert_int_equal(out_len, 5000);
	assert_memory_equal(out, src + 100, 5000);
	assert_int_equal(tcp_ooo_free_slots(), 64);
}

static void short_write_keeps_the_rest(void **state)
{
	struct tcp_ooo_q q;
	uint32_t rcv = 0;

	(void)state;
	tcp_ooo_qinit(&q);
	assert_int_equal(tcp_ooo_add(&q, rcv, 10, src + 10, 5000), 0);
	rcv = 10;
	out_cap = 700;		/* the socket is nearly full */
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, 710);
	out_cap = SIZE_MAX;
	assert_int_equal(tcp_ooo_drain(&q, &rcv, writer, NULL), 0);
	assert_int_equal(rcv, 5010);
	assert_memory_equal(out, src + 10, 5000);
}

static void pool_limit_refuses_cleanly(void **state)
{
	struct tcp_ooo_q q, r;
	uint32_t rcv = 0;

	(void)state;
	tcp_ooo_qinit(&q);
	tcp_ooo_qinit(&r);
	/* 64 slots of TCP_OOO_SLOT: a segment of 65 slots cannot fit */
	assert_int_equal(tcp_ooo_add(&q, rcv, 1, src,
				     65 * TCP_OOO_SLOT), -ENOSPC);
	assert_int_equal(tcp_ooo_add(&q, rcv, 1, src, 60 * TCP_OOO_SLOT), 0);
	assert_int_equal(tcp_ooo_add(&r, rcv, 1, src, 5 * TCP_OOO_SLOT),
			 -ENOSPC);
	assert_int_equal(tcp_ooo_add(&r, rcv, 1, src, 4 * TCP_OOO_SLOT), 0);
	assert_int_equal(tcp_ooo_free_slots(), 0);
	tcp_ooo_clear(&q);
	tcp_ooo_clear(&r);
	assert_int_equal(tcp_ooo_free_slots(), 64);
	assert_int_equal(tcp_ooo_add(&q, 5, 5, src, 10), -EINVAL);
	assert_int_equal(tcp_ooo_add(&q, 5, 4, src, 10), -EINVAL);
}

static void sack_blocks_merged(void **state)
{
	uint32_t blk[TCP_OOO_SACK_MAX][2];
	struct tcp_ooo_q q;

	(void)state;
	tcp_ooo_qinit(&q);
	assert_int_equal(tcp_ooo_add(&q, 0, 9000, src, 1000), 0);
	assert_int_equal(tcp_ooo_add(&q, 0, 1000, src, 3000), 0);
	assert_int_equal(tcp_ooo_add(&q, 0, 4000, src, 1000), 0);
	assert_int_equal(tcp_ooo_add(&q, 0, 20000, src, 10), 0);
	assert_int_equal(tcp_ooo_add(&q, 0, 30000, src, 10), 0);
	assert_int_equal(tcp_ooo_add(&q, 0, 40000, src, 10), 0);
	assert_int_equal(tcp_ooo_sack(&q, blk, TCP_OOO_SACK_MAX), 4);
	assert_int_equal(blk[0][0], 1000);
	assert_int_equal(blk[0][1], 5000);	/* contiguous: one block */
	assert_int_equal(blk[1][0], 9000);
	assert_int_equal(blk[1][1], 10000);
	assert_int_equal(blk[2][0], 20000);
	assert_int_equal(blk[3][0], 30000);
	tcp_ooo_clear(&q);
	assert_int_equal(tcp_ooo_sack(&q, blk, TCP_OOO_SACK_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(hole_filled_in_order_across_wrap,
				       setup),
		cmocka_unit_test_setup(
			overlap_and_duplicates_write_each_byte_once, setup),
		cmocka_unit_test_setup(short_write_keeps_the_rest, setup),
		cmocka_unit_test_setup(pool_limit_refuses_cleanly, setup),
		cmocka_unit_test_setup(sack_blocks_merged, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
