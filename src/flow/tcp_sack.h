/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/tcp_sack.h - what the guest told us it holds: the sender's SACK
 * scoreboard for host to guest data
 *
 * Owns: per connection, the ranges of data above the guest's cumulative
 * ACK that its SACK blocks (RFC 2018) reported received, and how far this
 * loss recovery has sent the holes between them again; finding the next
 * hole to send (RFC 6675 in its simplest form: every byte below the
 * highest SACKed one and not SACKed is taken as lost, and sent again once
 * per recovery; after a timeout, every byte not SACKed).
 * Does not own: sockets, frames, timers: flow/tcp.c asks for a hole and
 * sends it from the host socket. No I/O, no allocation, no global state.
 * Limits: TCP_SB_RANGES ranges; past that the highest are forgotten, which
 * only means they may be sent again.
 */
#ifndef GANGWAY_FLOW_TCP_SACK_H
#define GANGWAY_FLOW_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_SB_RANGES		8

/**
 * struct tcp_sb - one connection's scoreboard
 * @blk:	SACKed ranges [start, end), ascending, disjoint, not adjacent,
 *		all above the cumulative ACK they were last trimmed to
 * @n:		ranges in @blk
 * @rto:	a timeout happened in this recovery: bytes up to @rto_high
 *		not SACKed are lost too, not only those below a SACKed one
 * @rtx_next:	holes below it were sent again in this recovery
 * @rto_high:	one past the highest byte sent when the timeout came
 */
struct tcp_sb {
	uint32_t blk[TCP_SB_RANGES][2];
	uint8_t n;
	bool rto;
	uint32_t rtx_next;
	uint32_t rto_high;
};

/* Forget everything: no SACKed data, no recovery under way */
void tcp_sb_init(struct tcp_sb *sb, uint32_t snd_una);

/**
 * tcp_sb_add() - take the SACK blocks of one guest ACK
 * @sb:		scoreboard
 * @snd_una:	cumulative ACK (after this segment's)
 * @snd_max:	one past the highest byte ever sent
 * @blk:	blocks as the guest sent them (left, right edge)
 * @n:		blocks
 *
 * Blocks outside (snd_una, snd_max], empty or inverted ones (a D-SACK
 * below the ACK, RFC 2883, or a lying guest) are clipped or ignored.
 * Return: true if a byte not SACKed before now is
 */
bool tcp_sb_add(struct tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
		const uint32_t (*blk)[2], unsigned int n);

/* The cumulative ACK moved to @snd_una: drop what it covers */
void tcp_sb_trim(struct tcp_sb *sb, uint32_t snd_una);

/**
 * tcp_sb_next_hole() - the next bytes to send again
 * @sb:		scoreboard
 * @snd_una:	cumulative ACK
 * @snd_max:	one past the highest byte sent: no hole reaches past it
 * @mss:	segment size: without any SACK information, the first segment
 *		is the hole (RFC 6582 style)
 * @start:	set to the hole's first byte
 * @len:	set to its length
 *
 * Looks at or above @rtx_next (and @snd_una) only: each hole is sent once
 * per recovery; a lost retransmission waits for the timeout.
 * Return: true if there is one
 */
bool tcp_sb_next_hole(const struct tcp_sb *sb, uint32_t snd_una,
		      uint32_t snd_max, uint32_t mss, uint32_t *start,
		      uint32_t *len);

/* Bytes SACKed in all (for tests and counters) */
uint32_t tcp_sb_sacked(const struct tcp_sb *sb);

#endif /* GANGWAY_FLOW_TCP_SACK_H */
