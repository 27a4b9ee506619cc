// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for link/virtio.c on plain heap memory: memory table checks,
 * ring placement, and every descriptor rule (head and next ranges, loops,
 * indirect tables, zero lengths, buffers outside memory, avail jumps),
 * plus used-ring publication and interrupt suppression with EVENT_IDX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "link/virtio.h"

#define MEM_SIZE	(256 * 1024)
#define GPA_BASE	0x100000ULL
#define UVA_BASE	0x7f0000000000ULL
#define RING		8
#define DESC_OFF	0x0000
#define AVAIL_OFF	0x1000
#define USED_OFF	0x2000
#define BUF_OFF		0x8000

static uint8_t *mem;
static struct vq_mem m;
static struct vq vq;
static struct vq_elem e;

static void put16(size_t off, uint16_t v)
{
	memcpy(mem + off, &v, 2);
}

static uint16_t get16(size_t off)
{
	uint16_t v;

	memcpy(&v, mem + off, 2);
	return v;
}

static uint32_t get32(size_t off)
{
	uint32_t v;

	memcpy(&v, mem + off, 4);
	return v;
}

/* Write descriptor @i of the table at @table_off */
static void desc_at(size_t table_off, unsigned int i, uint64_t gpa,
		    uint32_t len, uint16_t flags, uint16_t next)
{
	size_t o = table_off + i * 16;

	memcpy(mem + o, &gpa, 8);
	memcpy(mem + o + 8, &len, 4);
	memcpy(mem + o + 12, &flags, 2);
	memcpy(mem + o + 14, &next, 2);
}

static void desc(unsigned int i, uint64_t gpa, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	desc_at(DESC_OFF, i, gpa, len, flags, next);
}

/* Make @head available in the next slot */
static void make_avail(uint16_t head)
{
	uint16_t idx = get16(AVAIL_OFF + 2);

	put16(AVAIL_OFF + 4 + 2 * (idx % RING), head);
	put16(AVAIL_OFF + 2, idx + 1);
}

static int setup(void **state)
{
	(void)state;
	mem = aligned_alloc(4096, MEM_SIZE);
	assert_non_null(mem);
	memset(mem, 0, MEM_SIZE);
	memset(&m, 0, sizeof(m));
	m.n = 1;
	m.r[0].gpa = GPA_BASE;
	m.r[0].uva = UVA_BASE;
	m.r[0].size = MEM_SIZE;
	m.r[0].host = mem;
	memset(&vq, 0, sizeof(vq));
	vq.num = RING;
	vq.indirect = true;
	assert_int_equal(vq_setup(&vq, &m, UVA_BASE + DESC_OFF,
				  UVA_BASE + AVAIL_OFF, UVA_BASE + USED_OFF),
			 VQ_OK);
	vq_start(&vq);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

static void ring_size_rules(void **state)
{
	(void)state;
	assert_false(vq_size_ok(0));
	assert_false(vq_size_ok(3));
	assert_false(vq_size_ok(65536));
	assert_false(vq_size_ok(0x80000000u));
	assert_true(vq_size_ok(1));
	assert_true(vq_size_ok(256));
	assert_true(vq_size_ok(32768));
}

static void mem_table_rules(void **state)
{
	struct vq_region r[VQ_REGIONS_MAX + 1] = { 0 };
	uint64_t off[VQ_REGIONS_MAX + 1] = { 0 };

	(void)state;
	r[0] = (struct vq_region){ .gpa = 0, .uva = 0x1000, .size = 0x1000 };
	r[1] = (struct vq_region){ .gpa = 0x1000, .uva = 0x2000,
				   .size = 0x1000 };
	assert_int_equal(vq_mem_check(r, 2, off), VQ_OK);
	assert_int_equal(vq_mem_check(r, 0, off), VQ_E_MEM_COUNT);
	assert_int_equal(vq_mem_check(r, VQ_REGIONS_MAX + 1, off),
			 VQ_E_MEM_COUNT);

	r[1].gpa = 0x800;	/* overlaps region 0 */
	assert_int_equal(vq_mem_check(r, 2, off), VQ_E_MEM_OVERLAP);
	r[1].gpa = 0x1000;
	r[1].uva = 0x1fff;	/* overlaps in QEMU's space */
	assert_int_equal(vq_mem_check(r, 2, off), VQ_E_MEM_OVERLAP);
	r[1].uva = 0x2000;

	r[1].size = 0;
	assert_int_equal(vq_mem_check(r, 2, off), VQ_E_MEM_SIZE);
	r[1].size = 0x1000;

	r[1].gpa = UINT64_MAX - 0x10;	/* wraps */
	assert_int_equal(vq_mem_check(r, 2, off), VQ_E_MEM_OVERFLOW);
	r[1].gpa = 0x1000;
	off[1] = UINT64_MAX - 0x800;	/* file offset plus size wraps */
	assert_int_equal(vq_mem_check(r, 2, off), VQ_E_MEM_OVERFLOW);
	off[1] = 0;
	r[0].uva = UINT64_MAX;
	assert_int_equal(vq_mem_check(r, 1, off), VQ_E_MEM_OVERFLOW);
}

static void translation_stays_inside(void **state)
{
	(void)state;
	assert_ptr_equal(vq_mem_gpa(&m, GPA_BASE, MEM_SIZE), mem);
	assert_null(vq_mem_gpa(&m, GPA_BASE, MEM_SIZE + 1));
	assert_null(vq_mem_gpa(&m, GPA_BASE - 1, 2));
	assert_null(vq_mem_gpa(&m, GPA_BASE + MEM_SIZE, 1));
	assert_null(vq_mem_gpa(&m, GPA_BASE + 16, UINT64_MAX));
	assert_null(vq_mem_uva(&m, UVA_BASE + MEM_SIZE - 4, 8));
	assert_ptr_equal(vq_mem_uva(&m, UVA_BASE + 8, 8), mem + 8);
}

static void ring_outside_memory_refused(void **state)
{
	struct vq q = { .num = RING };

	(void)state;
	assert_int_equal(vq_setup(&q, &m, UVA_BASE + MEM_SIZE - 64,
				  UVA_BASE + AVAIL_OFF, UVA_BASE + USED_OFF),
			 VQ_E_RING_MEM);
	assert_int_equal(vq_setup(&q, &m, 0x1000, UVA_BASE + AVAIL_OFF,
				  UVA_BASE + USED_OFF), VQ_E_RING_MEM);
	assert_int_equal(vq_setup(&q, &m, UVA_BASE + 8, UVA_BASE + AVAIL_OFF,
				  UVA_BASE + USED_OFF), VQ_E_RING_ALIGN);
	q.num = 32768;	/* used ring of 256 KiB does not fit */
	assert_int_equal(vq_setup(&q, &m, UVA_BASE, UVA_BASE + AVAIL_OFF,
				  UVA_BASE + USED_OFF), VQ_E_RING_MEM);
	q.num = 6;
	assert_int_equal(vq_setup(&q, &m, UVA_BASE, UVA_BASE + AVAIL_OFF,
				  UVA_BASE + USED_OFF), VQ_E_RING_SIZE);
}

static void pop_simple_chain(void **state)
{
	(void)state;
	desc(3, GPA_BASE + BUF_OFF, 12, VRING_DESC_F_NEXT, 5);
	desc(5, GPA_BASE + BUF_OFF + 100, 60, 0, 0);
	memset(mem + BUF_OFF + 100, 0xab, 60);
	make_avail(3);
	assert_int_equal(vq_avail_count(&vq), 1);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(e.head, 3);
	assert_int_equal(e.out_cnt, 2);
	assert_int_equal(e.out_len, 72);
	assert_int_equal(e.in_cnt, 0);
	assert_ptr_equal(e.out[1].iov_base, mem + BUF_OFF + 100);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_EMPTY);

	vq_push(&vq, 3, 0);
	assert_int_equal(get16(USED_OFF + 2), 0);	/* not yet published */
	assert_true(vq_flush(&vq));
	assert_int_equal(get16(USED_OFF + 2), 1);
	assert_int_equal(get32(USED_OFF + 4), 3);
}

static void pop_refuses(void **state, enum vq_err want)
{
	(void)state;
	assert_int_equal(vq_pop(&vq, &m, &e), want);
	assert_int_equal(vq.broken, want);
	assert_int_equal(vq_avail_count(&vq), 0);
	assert_int_equal(vq.last_avail, 0);	/* nothing consumed */
}

static void head_out_of_range(void **state)
{
	make_avail(RING);
	pop_refuses(state, VQ_E_HEAD);
}

static void next_out_of_range(void **state)
{
	desc(0, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 200);
	make_avail(0);
	pop_refuses(state, VQ_E_NEXT);
}

static void descriptor_loop(void **state)
{
	desc(0, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	desc(1, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_LOOP);
}

static void self_loop(void **state)
{
	desc(2, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 2);
	make_avail(2);
	pop_refuses(state, VQ_E_LOOP);
}

static void zero_length(void **state)
{
	desc(0, GPA_BASE + BUF_OFF, 0, 0, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_ZERO_LEN);
}

static void buffer_outside(void **state)
{
	desc(0, GPA_BASE + MEM_SIZE - 8, 16, 0, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_BUF_MEM);
}

static void buffer_wraps(void **state)
{
	desc(0, UINT64_MAX - 4, 16, 0, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_BUF_MEM);
}

static void buffer_below_memory(void **state)
{
	desc(0, 0x1000, 16, 0, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_BUF_MEM);
}

static void avail_jump(void **state)
{
	put16(AVAIL_OFF + 2, RING + 1);
	(void)state;
	assert_int_equal(vq_avail_count(&vq), 0);
	assert_int_equal(vq.broken, VQ_E_AVAIL_JUMP);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_E_AVAIL_JUMP);
}

static void readable_after_writable(void **state)
{
	desc(0, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	     1);
	desc(1, GPA_BASE + BUF_OFF, 16, 0, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_ORDER);
}

static void too_many_segments(void **state)
{
	struct vq_elem *el = &e;
	unsigned int i, n = VQ_SEG_MAX + 1;
	size_t table = 0x4000;

	(void)state;
	for (i = 0; i < n; i++)
		desc_at(table, i, GPA_BASE + BUF_OFF, 4,
			i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1);
	desc(0, GPA_BASE + table, n * 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	assert_int_equal(vq_pop(&vq, &m, el), VQ_E_SEGS);
}

static void indirect_ok(void **state)
{
	size_t table = 0x4000;

	(void)state;
	desc_at(table, 0, GPA_BASE + BUF_OFF, 12, VRING_DESC_F_NEXT, 2);
	desc_at(table, 2, GPA_BASE + BUF_OFF + 64, 100,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	desc_at(table, 1, GPA_BASE + BUF_OFF + 512, 50, VRING_DESC_F_WRITE,
		0);
	desc(4, GPA_BASE + table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(4);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(e.head, 4);
	assert_int_equal(e.out_len, 12);
	assert_int_equal(e.in_len, 150);
	assert_int_equal(e.in_cnt, 2);
}

static void indirect_bad_length(void **state)
{
	desc(0, GPA_BASE + 0x4000, 20, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_INDIRECT_LEN);
}

static void indirect_zero_length(void **state)
{
	desc(0, GPA_BASE + 0x4000, 0, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_INDIRECT_LEN);
}

static void indirect_outside(void **state)
{
	desc(0, GPA_BASE + MEM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_INDIRECT_MEM);
}

static void indirect_nested(void **state)
{
	size_t table = 0x4000;

	desc_at(table, 0, GPA_BASE + table, 16, VRING_DESC_F_INDIRECT, 0);
	desc(0, GPA_BASE + table, 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_INDIRECT_NESTED);
}

static void indirect_loop(void **state)
{
	size_t table = 0x4000;

	desc_at(table, 0, GPA_BASE + BUF_OFF, 8, VRING_DESC_F_NEXT, 1);
	desc_at(table, 1, GPA_BASE + BUF_OFF, 8, VRING_DESC_F_NEXT, 0);
	desc(0, GPA_BASE + table, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_LOOP);
}

static void indirect_not_negotiated(void **state)
{
	vq.indirect = false;
	desc(0, GPA_BASE + 0x4000, 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	pop_refuses(state, VQ_E_INDIRECT_OFF);
}

static void buffer_spanning_regions(void **state)
{
	(void)state;
	/* Split the memory into two adjacent regions at BUF_OFF + 8 */
	m.n = 2;
	m.r[0].size = BUF_OFF + 8;
	m.r[1] = (struct vq_region){ .gpa = GPA_BASE + BUF_OFF + 8,
				     .uva = UVA_BASE + 0x100000000ULL,
				     .size = MEM_SIZE - BUF_OFF - 8,
				     .host = mem + BUF_OFF + 8 };
	desc(0, GPA_BASE + BUF_OFF, 16, 0, 0);
	make_avail(0);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(e.out_cnt, 2);
	assert_int_equal(e.out[0].iov_len, 8);
	assert_int_equal(e.out[1].iov_len, 8);
	assert_ptr_equal(e.out[1].iov_base, mem + BUF_OFF + 8);
}

static void unpop_gives_back(void **state)
{
	(void)state;
	desc(0, GPA_BASE + BUF_OFF, 16, VRING_DESC_F_WRITE, 0);
	desc(1, GPA_BASE + BUF_OFF + 16, 16, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	make_avail(1);
	assert_int_equal(vq_peek_in_len(&vq, &m, 1), 16);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(e.head, 1);
	vq_unpop(&vq, 2);
	assert_int_equal(vq_avail_count(&vq), 2);
	assert_int_equal(vq_pop(&vq, &m, &e), VQ_OK);
	assert_int_equal(e.head, 0);
}

static void event_idx_suppression(void **state)
{
	unsigned int i;

	(void)state;
	vq.event_idx = true;
	/* used_event = 2: interrupt only once used idx passes 2 */
	put16(AVAIL_OFF + 4 + 2 * RING, 2);
	for (i = 0; i < 2; i++) {
		vq_push(&vq, 0, 0);
		assert_false(vq_flush(&vq));
	}
	vq_push(&vq, 0, 0);
	assert_true(vq_flush(&vq));
	vq_push(&vq, 0, 0);
	assert_false(vq_flush(&vq));
	assert_false(vq_flush(&vq));	/* nothing new: no interrupt */

	/* avail_event tells the guest when to kick */
	vq.last_avail = 5;
	put16(AVAIL_OFF + 2, 5);
	assert_false(vq_kick_enable(&vq));
	assert_int_equal(get16(USED_OFF + 4 + 8 * RING), 5);
	put16(AVAIL_OFF + 2, 6);
	assert_true(vq_kick_enable(&vq));
}

/* RX waiting for more room with some buffers still unread: the guest must
 * kick on its next addition, whatever we have read */
static void kick_on_add_at_avail_idx(void **state)
{
	(void)state;
	vq.event_idx = true;
	vq.last_avail = 3;
	put16(AVAIL_OFF + 2, 9);
	vq_kick_on_add(&vq);
	assert_int_equal(get16(USED_OFF + 4 + 8 * RING), 9);

	vq.event_idx = false;
	put16(USED_OFF, 1);
	vq_kick_on_add(&vq);
	assert_int_equal(get16(USED_OFF), 0);

	vq.broken = VQ_E_HEAD;		/* a broken ring is left alone */
	vq.event_idx = true;
	put16(AVAIL_OFF + 2, 12);
	vq_kick_on_add(&vq);
	assert_int_equal(get16(USED_OFF + 4 + 8 * RING), 9);
}

static void no_interrupt_flag(void **state)
{
	(void)state;
	put16(AVAIL_OFF, VRING_AVAIL_F_NO_INTERRUPT);
	vq_push(&vq, 0, 0);
	assert_false(vq_flush(&vq));
	put16(AVAIL_OFF, 0);
	vq_push(&vq, 0, 0);
	assert_true(vq_flush(&vq));
}

static void iov_copies_bounded(void **state)
{
	uint8_t a[4] = { 0 }, b[3] = { 0 }, out[7];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	const uint8_t src[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	(void)state;
	assert_int_equal(vq_iov_from_buf(iov, 2, 2, src, 10), 5);
	assert_int_equal(a[2], 1);
	assert_int_equal(b[2], 5);
	assert_int_equal(vq_iov_to_buf(iov, 2, 3, out, sizeof(out)), 4);
	assert_int_equal(out[0], 2);
	assert_int_equal(vq_iov_to_buf(iov, 2, 9, out, sizeof(out)), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ring_size_rules),
		T(mem_table_rules),
		T(translation_stays_inside),
		T(ring_outside_memory_refused),
		T(pop_simple_chain),
		T(head_out_of_range),
		T(next_out_of_range),
		T(descriptor_loop),
		T(self_loop),
		T(zero_length),
		T(buffer_outside),
		T(buffer_wraps),
		T(buffer_below_memory),
		T(avail_jump),
		T(readable_after_writable),
		T(too_many_segments),
		T(indirect_ok),
		T(indirect_bad_length),
		T(indirect_zero_length),
		T(indirect_outside),
		T(indirect_nested),
		T(indirect_loop),
		T(indirect_not_negotiated),
		T(buffer_spanning_regions),
		T(unpop_gives_back),
		T(event_idx_suppression),
		T(kick_on_add_at_avail_idx),
		T(no_interrupt_flag),
		T(iov_copies_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
