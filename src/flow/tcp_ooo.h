/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/tcp_ooo.h - bounded holding area for out-of-order guest segments
 *
 * Owns: a pool of fixed-size slots, allocated once at init and shared by
 * every connection, in which a guest segment that arrived after a hole is
 * kept until the hole is filled; per connection, a list of held segments
 * sorted by sequence number; draining what became in order; SACK blocks
 * (RFC 2018) describing what is held.
 * Does not own: sockets or frames: draining calls back the writer.
 * Limits: TCP_OOO_SLOTS slots in all, TCP_OOO_PER_CONN per connection; a
 * segment is split over as many slots as it needs, and one that does not
 * fit is not kept (the guest sends it again). No allocation after
 * tcp_ooo_init().
 */
#ifndef GANGWAY_FLOW_TCP_OOO_H
#define GANGWAY_FLOW_TCP_OOO_H

#include <stdint.h>
#include <sys/types.h>

#define TCP_OOO_SLOT		2048	/* bytes; a segment spans slots */
#define TCP_OOO_SLOTS		8192	/* 16 MiB in all */
#define TCP_OOO_PER_CONN	2048	/* slots: 4 MiB per connection */
#define TCP_OOO_SACK_MAX	4	/* blocks in one ACK, RFC 2018 */

/**
 * struct tcp_ooo_q - one connection's held segments
 * @head:	first slot (lowest sequence), -1 if none
 * @count:	slots held
 */
struct tcp_ooo_q {
	int head;
	uint16_t count;
};

/* Allocate @slots slots (0 means TCP_OOO_SLOTS); 0 or -ENOMEM */
int tcp_ooo_init(unsigned int slots);

static inline void tcp_ooo_qinit(struct tcp_ooo_q *q)
{
	q->head = -1;
	q->count = 0;
}

/**
 * tcp_ooo_add() - keep a segment that starts after @rcv_nxt
 * Return: 0 if kept, -EEXIST if held already, -ENOSPC if no room,
 *	   -EINVAL if not after @rcv_nxt or empty
 */
int tcp_ooo_add(struct tcp_ooo_q *q, uint32_t rcv_nxt, uint32_t seq,
		const void *data, uint32_t len);

/**
 * tcp_ooo_drain() - hand over held bytes that are now in order
 * @q:		queue
 * @rcv_nxt:	next byte expected; advanced by what @wr took
 * @wr:		writer: bytes taken (may be fewer than offered), or -errno
 * @ctx:	for @wr
 *
 * Segments wholly before *@rcv_nxt are dropped; a segment @wr took only
 * part of stays, trimmed, and draining stops there.
 * Return: 0, or the -errno of @wr
 */
int tcp_ooo_drain(struct tcp_ooo_q *q, uint32_t *rcv_nxt,
		  ssize_t (*wr)(void *ctx, const void *p, size_t len),
		  void *ctx);

/* Give every slot of @q back to the pool */
void tcp_ooo_clear(struct tcp_ooo_q *q);

/**
 * tcp_ooo_sack() - SACK blocks for what @q holds, merged, lowest first
 * @blocks:	filled with [left edge, right edge) pairs
 * @max:	capacity of @blocks
 * Return: number of blocks
 */
int tcp_ooo_sack(const struct tcp_ooo_q *q, uint32_t blocks[][2], int max);

/* Slots free in the pool (tests, stats) */
unsigned int tcp_ooo_free_slots(void);

#endif /* GANGWAY_FLOW_TCP_OOO_H */
