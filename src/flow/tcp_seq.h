/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/tcp_seq.h - TCP sequence and window arithmetic, free of I/O
 *
 * Owns: wrap-safe sequence comparisons (RFC 793 section 3.3, RFC 1982),
 * classification of a guest segment against what we expect, of a guest
 * acknowledgement against what we sent, the send window left, window
 * scaling both ways, MSS from the link MTU, retransmission backoff.
 * Does not own: state, sockets, frames (flow/tcp.c).
 * Everything here is a pure function so the unit tests reach every edge
 * (wrap-around, zero window, out-of-window) without sockets.
 */
#ifndef GANGWAY_FLOW_TCP_SEQ_H
#define GANGWAY_FLOW_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_WS_OURS		7	/* our window scale: up to 8 MiB */
#define TCP_WS_MAX		14	/* RFC 7323 section 2.3 */
#define TCP_MSS_DEFAULT4	536	/* RFC 9293 section 3.7.1 */
#define TCP_MSS_DEFAULT6	1220	/* RFC 8200: 1280 - 60 */
#define TCP_RTO_MIN_MS		200
#define TCP_RTO_MAX_MS		30000

/* a < b, modulo 2^32 */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* The later of two sequence numbers */
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

enum tcp_seg_class {
	TCP_SEG_IN_ORDER,	/* starts at or before rcv_nxt, new bytes */
	TCP_SEG_DUPLICATE,	/* every byte already received */
	TCP_SEG_FUTURE,		/* starts after rcv_nxt: a hole before it */
};

/**
 * tcp_seg_classify() - where a guest segment falls against rcv_nxt
 * @rcv_nxt:	next sequence number we expect from the guest
 * @seq:	segment sequence number
 * @len:	payload bytes
 * @skip:	for TCP_SEG_IN_ORDER, bytes at the start already received
 * Return: the class; a zero-length segment at rcv_nxt is a duplicate
 */
static inline enum tcp_seg_class tcp_seg_classify(uint32_t rcv_nxt,
						  uint32_t seq, uint32_t len,
						  uint32_t *skip)
{
	*skip = 0;
	if (seq_gt(seq, rcv_nxt))
		return TCP_SEG_FUTURE;
	if (seq_le(seq + len, rcv_nxt))
		return TCP_SEG_DUPLICATE;
	*skip = rcv_nxt - seq;
	return TCP_SEG_IN_ORDER;
}

enum tcp_ack_class {
	TCP_ACK_NEW,		/* acknowledges bytes not acknowledged yet */
	TCP_ACK_SAME,		/* equal to snd_una */
	TCP_ACK_OLD,		/* before snd_una: stale, ignore */
	TCP_ACK_INVALID,	/* beyond anything we sent */
};

/**
 * tcp_ack_classify() - an acknowledgement from the guest against what we sent
 * @snd_una:	oldest byte not acknowledged yet
 * @snd_max:	one past the highest byte ever sent (counting a FIN)
 * @ack:	acknowledgement number of the segment
 *
 * After a retransmission rewinds snd_nxt, acknowledgements up to snd_max
 * remain valid: the guest may have received the first copies.
 */
static inline enum tcp_ack_class tcp_ack_classify(uint32_t snd_una,
						  uint32_t snd_max,
						  uint32_t ack)
{
	if (seq_gt(ack, snd_max))
		return TCP_ACK_INVALID;
	if (seq_gt(ack, snd_una))
		return TCP_ACK_NEW;
	if (ack == snd_una)
		return TCP_ACK_SAME;
	return TCP_ACK_OLD;
}

/**
 * tcp_is_dup_ack() - RFC 5681 section 2 duplicate acknowledgement
 * @una_before:	snd_una before this segment
 * @snd_max:	highest byte sent (outstanding data exists if != una)
 * @ack:	segment's acknowledgement number
 * @paylen:	segment payload
 * @syn_fin:	segment carries SYN or FIN
 * @wnd_same:	advertised window unchanged
 */
static inline bool tcp_is_dup_ack(uint32_t una_before, uint32_t snd_max,
				  uint32_t ack, uint32_t paylen, bool syn_fin,
				  bool wnd_same)
{
	return ack == una_before && snd_max != una_before && !paylen &&
	       !syn_fin && wnd_same;
}

/**
 * tcp_send_room() - bytes we may still send within the guest's window
 * @snd_una:	oldest unacknowledged byte
 * @snd_nxt:	next byte we would send
 * @wnd:	guest's window in bytes, already scaled
 * Return: 0 if the window is full or was shrunk below what is in flight
 */
static inline uint32_t tcp_send_room(uint32_t snd_una, uint32_t snd_nxt,
				     uint32_t wnd)
{
	uint32_t in_flight = snd_nxt - snd_una;

	return in_flight >= wnd ? 0 : wnd - in_flight;
}

/* The guest's window in bytes from the raw header field */
static inline uint32_t tcp_wnd_scaled(uint16_t raw, uint8_t ws)
{
	return (uint32_t)raw << ws;
}

/**
 * tcp_wnd_field() - the window field we put in a segment
 * @free:	bytes we can take now
 * @ws:		our window scale (0 if not negotiated)
 * Return: @free scaled down and clamped to 16 bits
 */
static inline uint16_t tcp_wnd_field(uint64_t free, uint8_t ws)
{
	uint64_t v = free >> ws;

	return v > 0xffff ? 0xffff : (uint16_t)v;
}

/**
 * tcp_mss() - the MSS for a connection
 * @mtu:	link MTU
 * @v4:		IPv4 (else IPv6)
 * @peer_mss:	guest's MSS option, 0 if absent
 * Return: the smaller of what the link and the guest allow, at least 1
 */
static inline uint16_t tcp_mss(int mtu, bool v4, uint16_t peer_mss)
{
	int link = mtu - (v4 ? 40 : 60);
	int peer = peer_mss ? peer_mss :
		   (v4 ? TCP_MSS_DEFAULT4 : TCP_MSS_DEFAULT6);
	int m = link < peer ? link : peer;

	if (m < 1)
		m = 1;
	return m > 0xffff ? 0xffff : (uint16_t)m;
}

#define TCP_LINK_MTU_DEFAULT	65520	/* QEMU's -netdev passt default */

/* The MTU to size segments by: --mtu 0 only means "not advertised" */
static inline int tcp_link_mtu(int mtu)
{
	return mtu >= 68 ? mtu : TCP_LINK_MTU_DEFAULT;
}

/* The MSS option value we advertise for the link */
static inline uint16_t tcp_mss_ours(int mtu, bool v4)
{
	int link = mtu - (v4 ? 40 : 60);

	if (link < 1)
		return 1;
	return link > 0xffff ? 0xffff : (uint16_t)link;
}

/* Exponential backoff, capped */
static inline uint32_t tcp_rto_backoff(uint32_t rto_ms)
{
	return rto_ms >= TCP_RTO_MAX_MS / 2 ? TCP_RTO_MAX_MS : rto_ms * 2;
}

/* A guest window scale option as we accept it (RFC 7323: cap at 14) */
static inline uint8_t tcp_ws_clamp(int8_t ws)
{
	if (ws < 0)
		return 0;
	return ws > TCP_WS_MAX ? TCP_WS_MAX : (uint8_t)ws;
}

/**
 * tcp_rst_in_window() - RFC 5961 section 3: accept a RST only in window
 * @rcv_nxt:	next byte expected
 * @seq:	RST's sequence number
 * @wnd:	window we advertised, in bytes
 */
static inline bool tcp_rst_in_window(uint32_t rcv_nxt, uint32_t seq,
				     uint32_t wnd)
{
	return seq_ge(seq, rcv_nxt) && seq_le(seq, rcv_nxt + (wnd ? wnd : 1));
}

/**
 * tcp_idle_expired() - has a connection been idle for longer than allowed?
 * @active_s:	last activity, whole seconds of the loop's clock
 * @now_s:	now, the same clock
 * @timeout_s:	longest idle time allowed
 *
 * Whole seconds, rounded down both: strictly more than @timeout_s apart
 * means more than @timeout_s really passed. Compared as sequence numbers
 * are: right across a wrap, and a stamp ahead of @now_s is not idle.
 */
static inline bool tcp_idle_expired(uint32_t active_s, uint32_t now_s,
				    uint32_t timeout_s)
{
	return seq_gt(now_s, active_s + timeout_s);
}

#endif /* GANGWAY_FLOW_TCP_SEQ_H */
