// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/tcp_ooo.c - bounded holding area for out-of-order guest segments
 *
 * Why: without it, every segment after a lost one is dropped, and the
 * guest, which cannot tell what we dropped, ends up resending all of them,
 * often only after its retransmission timeout (Linux raises its duplicate
 * ACK threshold once it sees reordering). With held segments, one
 * retransmission fills the hole, the cumulative ACK jumps past everything
 * held, and SACK blocks tell the guest exactly what is missing.
 *
 * Slots form a free stack and per-connection lists sorted by sequence
 * number (wrap-safe). A segment takes consecutive list places, one slot
 * per TCP_OOO_SLOT bytes, found by one linear walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/compiler.h"
#include "flow/tcp_ooo.h"
#include "flow/tcp_seq.h"

/**
 * struct tcp_ooo_slot - one held segment
 * @seq:	sequence number of its first byte still held
 * @len:	bytes held
 * @off:	offset of the first held byte in the slot's data
 * @next:	next slot in the connection's list, or free stack; -1 ends
 */
struct tcp_ooo_slot {
	uint32_t seq;
	uint32_t len;
	uint32_t off;
	int next;
};

static struct tcp_ooo_pool {
	struct tcp_ooo_slot *slots;
	uint8_t *data;
	unsigned int n;
	unsigned int nfree;
	int free_head;
} pool;

int tcp_ooo_init(unsigned int slots)
{
	unsigned int i;

	if (!slots)
		slots = TCP_OOO_SLOTS;
	free(pool.slots);
	free(pool.data);
	pool.slots = calloc(slots, sizeof(*pool.slots));
	pool.data = malloc((size_t)slots * TCP_OOO_SLOT);
	if (!pool.slots || !pool.data) {
		free(pool.slots);
		free(pool.data);
		memset(&pool, 0, sizeof(pool));
		return -ENOMEM;
	}
	pool.n = slots;
	pool.nfree = slots;
	for (i = 0; i < slots; i++)
		pool.slots[i].next = i + 1 < slots ? (int)i + 1 : -1;
	pool.free_head = 0;
	return 0;
}

unsigned int tcp_ooo_free_slots(void)
{
	return pool.nfree;
}

static void tcp_ooo_put(int i)
{
	pool.slots[i].next = pool.free_head;
	pool.free_head = i;
	pool.nfree++;
}

int tcp_ooo_add(struct tcp_ooo_q *q, uint32_t rcv_nxt, uint32_t seq,
		const void *data, uint32_t len)
{
	uint32_t need = (len + TCP_OOO_SLOT - 1) / TCP_OOO_SLOT, done;
	const uint8_t *src = data;
	int *pp;

	if (!seq_gt(seq, rcv_nxt) || !len)
		return -EINVAL;
	for (pp = &q->head; *pp >= 0; pp = &pool.slots[*pp].next) {
		const struct tcp_ooo_slot *s = &pool.slots[*pp];

		if (s->seq == seq)
			return -EEXIST;	/* a copy of what we hold */
		if (seq_gt(s->seq, seq))
			break;
	}
	if (q->count + need > TCP_OOO_PER_CONN || need > pool.nfree)
		return -ENOSPC;
	/* chunks in a row, each linked after the one before */
	for (done = 0; done < len; ) {
		uint32_t n = MIN(len - done, (uint32_t)TCP_OOO_SLOT);
		int i = pool.free_head;

		pool.free_head = pool.slots[i].next;
		pool.nfree--;
		pool.slots[i].seq = seq + done;
		pool.slots[i].len = n;
		pool.slots[i].off = 0;
		memcpy(pool.data + (size_t)i * TCP_OOO_SLOT, src + done, n);
		pool.slots[i].next = *pp;
		*pp = i;
		pp = &pool.slots[i].next;
		q->count++;
		done += n;
	}
	return 0;
}

int tcp_ooo_drain(struct tcp_ooo_q *q, uint32_t *rcv_nxt,
		  ssize_t (*wr)(void *ctx, const void *p, size_t len),
		  void *ctx)
{
	while (q->head >= 0) {
		int i = q->head;
		struct tcp_ooo_slot *s = &pool.slots[i];
		uint32_t skip;
		ssize_t n;

		if (seq_gt(s->seq, *rcv_nxt))
			return 0;		/* still a hole */
		if (seq_gt(s->seq + s->len, *rcv_nxt)) {
			skip = *rcv_nxt - s->seq;
			n = wr(ctx, pool.data + (size_t)i * TCP_OOO_SLOT +
			       s->off + skip, s->len - skip);
			if (n < 0)
				return (int)n;
			*rcv_nxt += (uint32_t)n;
			if ((uint32_t)n < s->len - skip) {
				s->off += skip + (uint32_t)n;
				s->len -= skip + (uint32_t)n;
				s->seq = *rcv_nxt;
				return 0;
			}
		}
		q->head = s->next;
		q->count--;
		tcp_ooo_put(i);
	}
	return 0;
}

void tcp_ooo_clear(struct tcp_ooo_q *q)
{
	while (q->head >= 0) {
		int i = q->head;

		q->head = pool.slots[i].next;
		tcp_ooo_put(i);
	}
	q->count = 0;
}

int tcp_ooo_sack(const struct tcp_ooo_q *q, uint32_t blocks[][2], int max)
{
	int i, n = 0;

	for (i = q->head; i >= 0; i = pool.slots[i].next) {
		const struct tcp_ooo_slot *s = &pool.slots[i];
		uint32_t l = s->seq, r = s->seq + s->len;

		if (n && seq_le(l, blocks[n - 1][1])) {
			if (seq_gt(r, blocks[n - 1][1]))
				blocks[n - 1][1] = r;
			continue;
		}
		if (n == max)
			break;
		blocks[n][0] = l;
		blocks[n][1] = r;
		n++;
	}
	return n;
}
