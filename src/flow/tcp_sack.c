// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/tcp_sack.c - the sender's SACK scoreboard (see tcp_sack.h)
 *
 * At most TCP_SB_RANGES ranges, so every operation is a short walk or
 * a memmove of a few bytes; sequence numbers compare modulo 2^32.
 */
#include <string.h>

#include "flow/tcp_sack.h"
#include "flow/tcp_seq.h"

void tcp_sb_init(struct tcp_sb *sb, uint32_t snd_una)
{
	sb->n = 0;
	sb->rto = false;
	sb->rtx_next = snd_una;
	sb->rto_high = snd_una;
}

uint32_t tcp_sb_sacked(const struct tcp_sb *sb)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < sb->n; i++)
		sum += sb->blk[i][1] - sb->blk[i][0];
	return sum;
}

/* Merge [l, r) into the ranges, keeping them ascending and apart */
static void tcp_sb_insert(struct tcp_sb *sb, uint32_t l, uint32_t r)
{
	unsigned int i = 0, j;

	while (i < sb->n && seq_lt(sb->blk[i][1], l))
		i++;		/* ends before @l, not touching it */
	for (j = i; j < sb->n && seq_le(sb->blk[j][0], r); j++) {
		if (seq_lt(sb->blk[j][0], l))
			l = sb->blk[j][0];
		if (seq_gt(sb->blk[j][1], r))
			r = sb->blk[j][1];
	}
	if (j == i) {
		/* a range of its own at i: make room, forgetting the highest */
		if (sb->n == TCP_SB_RANGES) {
			if (i == sb->n)
				return;
			sb->n--;
		}
		memmove(sb->blk[i + 1], sb->blk[i],
			(sb->n - i) * sizeof(sb->blk[0]));
		sb->n++;
	} else if (j > i + 1) {
		/* ranges i to j - 1 become one */
		memmove(sb->blk[i + 1], sb->blk[j],
			(sb->n - j) * sizeof(sb->blk[0]));
		sb->n = (uint8_t)(sb->n - (j - i - 1));
	}
	sb->blk[i][0] = l;
	sb->blk[i][1] = r;
}

bool tcp_sb_add(struct tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
		const uint32_t (*blk)[2], unsigned int n)
{
	uint32_t before = tcp_sb_sacked(sb);
	unsigned int k;

	for (k = 0; k < n; k++) {
		uint32_t l = blk[k][0], r = blk[k][1];

		if (!seq_lt(l, r) || !seq_gt(r, snd_una) ||
		    !seq_lt(l, snd_max))
			continue;
		if (seq_lt(l, snd_una))
			l = snd_una;
		if (seq_gt(r, snd_max))
			r = snd_max;
		tcp_sb_insert(sb, l, r);
	}
	return tcp_sb_sacked(sb) != before;
}

void tcp_sb_trim(struct tcp_sb *sb, uint32_t snd_una)
{
	unsigned int i = 0;

	while (i < sb->n && seq_le(sb->blk[i][1], snd_una))
		i++;
	if (i) {
		memmove(sb->blk[0], sb->blk[i],
			(sb->n - i) * sizeof(sb->blk[0]));
		sb->n = (uint8_t)(sb->n - i);
	}
	if (sb->n && seq_lt(sb->blk[0][0], snd_una))
		sb->blk[0][0] = snd_una;
	sb->rtx_next = seq_max(sb->rtx_next, snd_una);
}

bool tcp_sb_next_hole(const struct tcp_sb *sb, uint32_t snd_una,
		      uint32_t snd_max, uint32_t mss, uint32_t *start,
		      uint32_t *len)
{
	uint32_t pos = seq_max(sb->rtx_next, snd_una), lim;
	unsigned int i;

	/* lost: below the highest SACKed byte; after a timeout, all sent */
	lim = sb->n ? sb->blk[sb->n - 1][1] : snd_una + mss;
	if (sb->rto)
		lim = sb->n ? seq_max(lim, sb->rto_high) : sb->rto_high;
	if (seq_gt(lim, snd_max))
		lim = snd_max;	/* less than a segment in flight */
	for (i = 0; i <= sb->n && seq_lt(pos, lim); i++) {
		uint32_t end = i < sb->n ? sb->blk[i][0] : lim;

		if (i < sb->n && seq_le(sb->blk[i][1], pos))
			continue;	/* behind us */
		if (seq_gt(end, lim))
			end = lim;
		if (seq_lt(pos, end)) {
			*start = pos;
			*len = end - pos;
			return true;
		}
		if (i < sb->n)
			pos = seq_max(pos, sb->blk[i][1]);	/* skip it */
	}
	return false;
}
