// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for link/stream.c: framing of the QEMU stream protocol over
 * a real socketpair (partial, merged, zero, short and oversized frames),
 * the output queue with back-pressure, the end of the connection, and
 * large payloads spliced into a socket (taken whole or in part).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "link/link.h"
#include "link/stream.h"

#define MAX_SEEN	256

static struct guest_tx tx;
static int peer = -1;		/* QEMU's end */
static size_t seen_len[MAX_SEEN];
static uint8_t seen_first[MAX_SEEN];
static uint8_t seen_last[MAX_SEEN];
static int nseen;
static struct timer stop_timer;

static void rx(const uint8_t *frame, size_t len, uint64_t now)
{
	(void)now;
	if (nseen < MAX_SEEN) {
		seen_len[nseen] = len;
		seen_first[nseen] = frame[0];
		seen_last[nseen] = frame[len - 1];
	}
	nseen++;
}

static void stop_cb(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	loop_stop(42);
}

/* Run the loop for about @ms milliseconds; the loop's status */
static int run_for(int ms)
{
	timer_arm(&stop_timer, clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC);
	return loop_run();
}

static uint64_t stat(const char *name)
{
	return stats_get("link", name);
}

/* Open a stream link over a fresh socketpair with the given MTU */
static void open_pair(int mtu)
{
	struct link_conf lc = { .fd = -1, .listen_fd = -1, .mtu = mtu };
	int sv[2];

	assert_int_equal(loop_init(16), 0);
	timer_init(&stop_timer, stop_cb);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	lc.fd = sv[0];
	peer = sv[1];
	assert_int_equal(stream_open(&lc, rx, &tx), 0);
	nseen = 0;
}

static int teardown(void **state)
{
	(void)state;
	stream_close();
	if (peer >= 0)
		close(peer);
	peer = -1;
	return 0;
}

/* Build a frame of @len bytes, first byte @tag, last byte ~@tag */
static size_t put_frame(uint8_t *buf, uint32_t len, uint8_t tag)
{
	buf[0] = len >> 24;
	buf[1] = len >> 16;
	buf[2] = len >> 8;
	buf[3] = len;
	memset(buf + 4, 0xab, len);
	if (len) {
		buf[4] = tag;
		buf[4 + len - 1] = (uint8_t)~tag;
	}
	return 4 + len;
}

static void write_all(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(peer, p, len, MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			run_for(1);	/* let the link read */
			continue;
		}
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void check_frame(int i, size_t len, uint8_t tag)
{
	assert_int_equal(seen_len[i], len);
	assert_int_equal(seen_first[i], tag);
	assert_int_equal(seen_last[i], (uint8_t)~tag);
}

/* Several frames in one write are all delivered, in order */
static void merged_frames_all_delivered(void **state)
{
	static uint8_t buf[8192];
	size_t off = 0;
	uint64_t before = stat("rx_frames");

	(void)state;
	open_pair(1500);
	off += put_frame(buf + off, 60, 1);
	off += put_frame(buf + off, 1514, 2);
	off += put_frame(buf + off, 14, 3);
	off += put_frame(buf + off, 342, 4);
	write_all(buf, off);
	run_for(20);
	assert_int_equal(nseen, 4);
	check_frame(0, 60, 1);
	check_frame(1, 1514, 2);
	check_frame(2, 14, 3);
	check_frame(3, 342, 4);
	assert_int_equal(stat("rx_frames") - before, 4);
}

/* A frame split anywhere, even inside its length, is reassembled once */
static void split_frame_reassembled(void **state)
{
	static uint8_t buf[2048];
	size_t len, cut;

	(void)state;
	open_pair(1500);
	len = put_frame(buf, 1000, 9);
	for (cut = 1; cut < len; cut += 97) {
		int before = nseen;

		write_all(buf, cut);
		run_for(2);
		assert_int_equal(nseen, before);	/* not yet */
		write_all(buf + cut, len - cut);
		run_for(5);
		assert_int_equal(nseen, before + 1);
		check_frame(before, 1000, 9);
	}
	/* One byte at a time */
	for (cut = 0; cut < len; cut++) {
		write_all(buf + cut, 1);
		if (cut % 250 == 0)
			run_for(1);
	}
	run_for(5);
	check_frame(nseen - 1, 1000, 9);
}

/* Zero-length and short frames are counted and skipped; framing holds */
static void zero_and_short_frames_dropped(void **state)
{
	static uint8_t buf[1024];
	uint64_t zero = stat("rx_zero_length"), shrt = stat("rx_short");
	size_t off = 0;

	(void)state;
	open_pair(1500);
	off += put_frame(buf + off, 0, 0);
	off += put_frame(buf + off, 13, 5);
	off += put_frame(buf + off, 1, 6);
	off += put_frame(buf + off, 0, 0);
	off += put_frame(buf + off, 64, 7);
	write_all(buf, off);
	run_for(20);
	assert_int_equal(nseen, 1);
	check_frame(0, 64, 7);
	assert_int_equal(stat("rx_zero_length") - zero, 2);
	assert_int_equal(stat("rx_short") - shrt, 2);
}

/* Oversized frames are skipped even when they span many reads */
static void oversized_frames_skipped(void **state)
{
	static uint8_t buf[4 + 300000];
	uint64_t over = stat("rx_oversized");
	size_t len, off;

	(void)state;
	open_pair(1500);
	len = put_frame(buf, 1515, 1);		/* MTU + 15: one too many */
	write_all(buf, len);
	len = put_frame(buf, 1514, 2);		/* MTU + 14: fits */
	write_all(buf, len);
	run_for(10);
	assert_int_equal(nseen, 1);
	check_frame(0, 1514, 2);

	/* 300000 bytes, more than the input buffer, fed in pieces */
	len = put_frame(buf, 300000, 3);
	for (off = 0; off < len; off += 65536) {
		write_all(buf + off, MIN((size_t)65536, len - off));
		run_for(1);
	}
	len = put_frame(buf, 100, 4);
	write_all(buf, len);
	run_for(10);
	assert_int_equal(nseen, 2);
	check_frame(1, 100, 4);
	assert_int_equal(stat("rx_oversized") - over, 2);
}

/*
 * Random mix of good, zero, short and oversized frames, written in random
 * pieces: exactly the good ones arrive, in order, and every bad one is
 * counted once.
 */
static void random_mix_in_random_pieces(void **state)
{
	static uint8_t buf[4 << 20];
	static size_t want_len[MAX_SEEN];
	uint64_t z0 = stat("rx_zero_length"), s0 = stat("rx_short");
	uint64_t o0 = stat("rx_oversized");
	int good = 0, zero = 0, shrt = 0, over = 0, i, round;
	size_t off = 0, w;

	(void)state;
	open_pair(1500);
	srand(7);
	for (round = 0; round < 400 && good < MAX_SEEN; round++) {
		int kind = rand() % 8;
		uint32_t len;

		if (kind == 0) {
			len = 0;
			zero++;
		} else if (kind == 1) {
			len = 1 + (uint32_t)(rand() % 13);
			shrt++;
		} else if (kind == 2) {
			len = 1515 + (uint32_t)(rand() % 20000);
			over++;
		} else {
			len = 14 + (uint32_t)(rand() % 1501);
			want_len[good] = len;
		}
		off += put_frame(buf + off, len, (uint8_t)good);
		if (kind > 2)
			good++;
	}
	for (w = 0; w < off; ) {
		size_t piece = MIN(off - w, 1 + (size_t)(rand() % 9000));

		write_all(buf + w, piece);
		w += piece;
		if (rand() % 4 == 0)
			run_for(1);
	}
	run_for(50);
	assert_int_equal(nseen, good);
	for (i = 0; i < good; i++)
		check_frame(i, want_len[i], (uint8_t)i);
	assert_int_equal(stat("rx_zero_length") - z0, zero);
	assert_int_equal(stat("rx_short") - s0, shrt);
	assert_int_equal(stat("rx_oversized") - o0, over);
}

/* Frames sent to the guest arrive length-prefixed, in order */
static void frames_to_guest_are_length_prefixed(void **state)
{
	uint8_t frame[1514], in[4 * 2000];
	ssize_t n;
	size_t got = 0;
	int i;

	(void)state;
	open_pair(1500);
	assert_true(guest_room(&tx) > 1514);
	for (i = 0; i < 3; i++) {
		memset(frame, i + 1, sizeof(frame));
		assert_int_equal(guest_send_buf(&tx, frame, 100 + 500 * i), 0);
	}
	assert_int_equal(guest_send_buf(&tx, frame, 1515), -EMSGSIZE);
	run_for(5);
	while (got < 4 * 3 + 100 + 600 + 1100) {
		n = read(peer, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(get_be32(in), 100);
	assert_int_equal(in[4], 1);
	assert_int_equal(get_be32(in + 104), 600);
	assert_int_equal(in[108], 2);
	assert_int_equal(get_be32(in + 708), 1100);
	assert_int_equal(in[712 + 1099], 3);
}

/* Back-pressure: a full queue says -EAGAIN, room() agrees, waiters wake */
static int woken;
static uint32_t tx_seq, rx_seq;
static bool rx_bad;
static uint8_t rbuf[1 << 20];
static size_t rlen;

static void waiter_fn(struct guest_waiter *gw, uint64_t now)
{
	(void)gw;
	(void)now;
	woken++;
}

/* open_pair() for the tests that count frames both ways */
static void open_counted(int mtu)
{
	open_pair(mtu);
	woken = 0;
	tx_seq = rx_seq = 0;
	rx_bad = false;
	rlen = 0;
}

/* Timer: read what the guest end has, check each frame's sequence number
 * and frame_ok(), stop the loop once drain_target frames arrived */
static struct timer drain_timer;
static uint32_t drain_target;
static bool (*frame_ok)(const uint8_t *frame, uint32_t len, uint32_t seq);

static void drain_cb(struct timer *t, uint64_t now)
{
	ssize_t n;

	n = recv(peer, rbuf + rlen, sizeof(rbuf) - rlen, MSG_DONTWAIT);
	if (n > 0)
		rlen += (size_t)n;
	for (;;) {
		uint32_t len;

		if (rlen < 4)
			break;
		len = get_be32(rbuf);
		if (rlen < 4 + len)
			break;
		if (len < 4 || get_be32(rbuf + 4) != rx_seq ||
		    !frame_ok(rbuf + 4, len, rx_seq))
			rx_bad = true;
		rx_seq++;
		memmove(rbuf, rbuf + 4 + len, rlen - 4 - len);
		rlen -= 4 + len;
	}
	if (rx_seq == drain_target)
		loop_stop(0);
	else
		timer_arm(t, now + 100000);
}

/* Run the loop until the guest end has all tx_seq frames, each good */
static void drain_all(bool (*ok)(const uint8_t *, uint32_t, uint32_t))
{
	frame_ok = ok;
	drain_target = tx_seq;
	timer_init(&drain_timer, drain_cb);
	timer_arm(&drain_timer, clock_now_ns());
	assert_int_equal(loop_run(), 0);
	assert_false(rx_bad);
	assert_int_equal(rx_seq, tx_seq);
}

/* drain_all() check: the frames of the back-pressure tests */
static bool full_size(const uint8_t *frame, uint32_t len, uint32_t seq)
{
	(void)frame;
	(void)seq;
	return len == 1514;
}

static void queue_full_then_waiters_woken(void **state)
{
	struct guest_waiter gw = { .fn = waiter_fn };
	uint64_t full = stat("tx_queue_full");
	uint8_t frame[1514] = { 0 };
	int ret;

	(void)state;
	open_counted(1500);
	for (;;) {
		put_be32(frame, tx_seq);
		ret = guest_send_buf(&tx, frame, sizeof(frame));
		if (ret)
			break;
		tx_seq++;
		assert_true(tx_seq < 100000);
	}
	assert_int_equal(ret, -EAGAIN);
	assert_true(guest_room(&tx) < sizeof(frame));
	assert_int_equal(stat("tx_queue_full") - full, 1);
	/* More than the queue went out: part is in the socket buffer */
	assert_true((uint64_t)tx_seq * 1518 > STREAM_OUT_QUEUE / 2);
	guest_tx_wait(&tx, &gw);

	drain_all(full_size);
	assert_int_equal(woken, 1);
	assert_true(guest_room(&tx) > STREAM_OUT_QUEUE - 4096);
}

/* Read frames from the guest end into @buf until @want bytes arrived */
static size_t read_frames(uint8_t *buf, size_t cap, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n;

		run_for(2);
		n = recv(peer, buf + got, cap - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

/* Reserved frames are filled in place; committing some abandons the rest */
static void reserve_commit_in_place(void **state)
{
	struct guest_frame f[GUEST_RESERVE_MAX];
	uint8_t pat[1000], in[4 * 8 + 4000];
	uint64_t frames = stat("tx_frames");
	int k, i;

	(void)state;
	open_pair(1500);
	assert_int_equal(guest_reserve(&tx, 1515, f, 4), -EMSGSIZE);
	k = guest_reserve(&tx, 1000, f, 5);
	assert_int_equal(k, 5);
	for (i = 0; i < k; i++) {
		assert_int_equal(f[i].cnt, 1);
		memset(pat, 'a' + i, sizeof(pat));
		assert_int_equal(guest_frame_put(&f[i], 0, pat, 1000), 1000);
	}
	guest_commit(&tx, 3, 400);
	assert_int_equal(stat("tx_frames") - frames, 3);

	/* Abandoned room is reused: the next frame follows the third */
	memset(pat, 'z', sizeof(pat));
	assert_int_equal(guest_send_buf(&tx, pat, 60), 0);
	k = guest_reserve(&tx, 800, f, 2);
	assert_int_equal(k, 2);
	guest_commit(&tx, 0, 0);	/* all of it given back */

	read_frames(in, sizeof(in), 4 * 4 + 1000 + 1000 + 400 + 60);
	assert_int_equal(get_be32(in), 1000);
	assert_int_equal(in[4], 'a');
	assert_int_equal(in[4 + 999], 'a');
	assert_int_equal(get_be32(in + 1004), 1000);
	assert_int_equal(in[1008], 'b');
	assert_int_equal(get_be32(in + 2008), 400);
	assert_int_equal(in[2012], 'c');
	assert_int_equal(in[2012 + 399], 'c');
	assert_int_equal(get_be32(in + 2412), 60);
	assert_int_equal(in[2416], 'z');
	assert_int_equal(stat("tx_frames") - frames, 4);
	run_for(5);
	assert_int_equal(recv(peer, in, sizeof(in), MSG_DONTWAIT), -1);
}

/*
 * Check the next @n frames at the guest end: frame k of @len[k] bytes of
 * @tag[k], then zeros up to ETH_ZLEN (60) if it was shorter; its length
 * prefix says the padded length
 */
static void expect_padded(const size_t *len, const uint8_t *tag, int n)
{
	static uint8_t in[4 * 16 + 16 * 1514];
	size_t want = 0, off = 0, j;
	int k;

	for (k = 0; k < n; k++)
		want += 4 + (len[k] < 60 ? 60 : len[k]);
	assert_true(want <= sizeof(in));
	for (k = 0; off < want && k < 500; k++) {	/* at most ~1 s */
		ssize_t got;

		run_for(2);
		got = recv(peer, in + off, sizeof(in) - off, MSG_DONTWAIT);
		if (got > 0)
			off += (size_t)got;
	}
	assert_int_equal(off, want);
	off = 0;
	for (k = 0; k < n; k++) {
		size_t wire = len[k] < 60 ? 60 : len[k];

		assert_int_equal(get_be32(in + off), wire);
		off += 4;
		for (j = 0; j < len[k]; j++)
			assert_int_equal(in[off + j], tag[k]);
		for (; j < wire; j++)
			assert_int_equal(in[off + j], 0);
		off += wire;
	}
	run_for(2);
	assert_int_equal(recv(peer, in, sizeof(in), MSG_DONTWAIT), -1);
}

/*
 * Frames shorter than 60 bytes reach the guest zero-padded to 60 (what
 * e1000e and other NIC models expect of a wire), whichever way they were
 * queued: send(), send_many() written directly, reserve() and commit()
 * (in ring room that held other bytes before); longer ones are unchanged
 */
static void short_frames_padded_to_60_with_zeros(void **state)
{
	static const size_t len1[] = { 1514 };
	static const uint8_t tag1[] = { 0xee };
	static const size_t len2[] = { 42, 100, 54, 60, 59, 14 };
	static const uint8_t tag2[] = { 1, 2, 3, 4, 5, 6 };
	static const size_t len3[] = { 54, 54, 43, 1000, 20 };
	static const uint8_t tag3[] = { 7, 8, 9, 10, 11 };
	struct guest_frame f[GUEST_RESERVE_MAX];
	uint64_t padded = stat("tx_padded");
	uint8_t buf[6][1514];
	struct iovec iov[3][2];
	int k;

	(void)state;
	open_pair(1500);
	/* leave non-zero bytes where the ring will be reused */
	memset(buf[0], 0xee, sizeof(buf[0]));
	assert_int_equal(guest_send_buf(&tx, buf[0], 1514), 0);
	expect_padded(len1, tag1, 1);

	for (k = 0; k < 6; k++)
		memset(buf[k], tag2[k], sizeof(buf[k]));
	for (k = 0; k < 3; k++) {	/* header and body, as TCP sends */
		iov[k][0].iov_base = buf[k];
		iov[k][0].iov_len = 14;
		iov[k][1].iov_base = buf[k] + 14;
		iov[k][1].iov_len = len2[k] - 14;
	}
	assert_int_equal(guest_send_many(&tx, &iov[0][0], 2, 3), 3);
	for (k = 3; k < 6; k++)
		assert_int_equal(guest_send_buf(&tx, buf[k], len2[k]), 0);
	expect_padded(len2, tag2, 6);
	assert_int_equal(stat("tx_padded") - padded, 4);

	/* a reservation of short frames, the last shorter still */
	assert_int_equal(guest_reserve(&tx, 54, f, 3), 3);
	for (k = 0; k < 3; k++) {
		memset(buf[k], tag3[k], 54);
		assert_int_equal(guest_frame_put(&f[k], 0, buf[k], 54), 54);
	}
	guest_commit(&tx, 3, 43);
	/* a reservation of long frames whose last one is short */
	assert_int_equal(guest_reserve(&tx, 1000, f, 2), 2);
	memset(buf[3], tag3[3], 1000);
	memset(buf[4], tag3[4], 1000);
	assert_int_equal(guest_frame_put(&f[0], 0, buf[3], 1000), 1000);
	assert_int_equal(guest_frame_put(&f[1], 0, buf[4], 1000), 1000);
	guest_commit(&tx, 2, 20);
	expect_padded(len3, tag3, 5);
	assert_int_equal(stat("tx_padded") - padded, 8);
}

/*
 * Reserving until the queue is full wraps the ring (frames split across
 * its end come as two iovecs); the guest end gets every frame, in order
 * and intact; -EAGAIN at the end, and the waiter wakes once drained.
 */
static void reserve_wraps_ring_and_back_pressure(void **state)
{
	struct guest_waiter gw = { .fn = waiter_fn };
	struct guest_frame f[GUEST_RESERVE_MAX];
	uint64_t full = stat("tx_queue_full");
	uint8_t frame[1514] = { 0 };
	bool split = false;
	int k = 0, i;

	(void)state;
	open_counted(1500);
	for (;;) {
		k = guest_reserve(&tx, sizeof(frame), f, 7);
		if (k < 0)
			break;
		for (i = 0; i < k; i++) {
			put_be32(frame, tx_seq++);
			assert_int_equal(guest_frame_put(&f[i], 0, frame,
							 sizeof(frame)),
					 sizeof(frame));
			if (f[i].cnt == 2)
				split = true;
		}
		/* the last one reserved is abandoned now and then */
		if (k > 1 && tx_seq % 3 == 0) {
			tx_seq--;
			guest_commit(&tx, (unsigned int)k - 1, sizeof(frame));
		} else {
			guest_commit(&tx, (unsigned int)k, sizeof(frame));
		}
		assert_true(tx_seq < 100000);
	}
	assert_int_equal(k, -EAGAIN);
	assert_true(split);
	assert_int_equal(stat("tx_queue_full") - full, 1);
	guest_tx_wait(&tx, &gw);

	drain_all(full_size);
	assert_int_equal(woken, 1);
	assert_int_equal(guest_reserve(&tx, sizeof(frame), f, 1), 1);
	guest_commit(&tx, 0, 0);
}

/*
 * send_many: frames written straight from the sender's buffers while the
 * ring is empty; what the socket does not take (part of a frame, too)
 * is queued and follows, then frames queued one by one: all arrive whole
 * and in order
 */
#define MANY_LEN	60000
static uint8_t many_hdr[64][20];
static uint8_t many_body[64][MANY_LEN - 20];

/* drain_all() check: the frame many_fill() made for @seq */
static bool many_ok(const uint8_t *frame, uint32_t len, uint32_t seq)
{
	return len == MANY_LEN && frame[20] == (uint8_t)seq &&
	       frame[len - 1] == (uint8_t)~seq;
}

static void many_fill(unsigned int k, uint32_t seq)
{
	put_be32(many_hdr[k], seq);
	memset(many_body[k], 0x5a, sizeof(many_body[k]));
	many_body[k][0] = (uint8_t)seq;
	many_body[k][sizeof(many_body[k]) - 1] = (uint8_t)~seq;
}

static void send_many_direct_then_queued_in_order(void **state)
{
	uint64_t frames0 = stat("tx_frames");
	struct iovec iov[64][2];
	uint8_t one[MANY_LEN];
	int round, rc;
	unsigned int k;

	(void)state;
	open_counted(65520);
	for (k = 0; k < 64; k++) {
		iov[k][0].iov_base = many_hdr[k];
		iov[k][0].iov_len = sizeof(many_hdr[k]);
		iov[k][1].iov_base = many_body[k];
		iov[k][1].iov_len = sizeof(many_body[k]);
	}
	for (round = 0; round < 4; round++) {
		for (k = 0; k < 16; k++)
			many_fill(k, tx_seq + k);
		rc = guest_send_many(&tx, &iov[0][0], 2, 16);
		assert_true(rc > 0);
		tx_seq += (uint32_t)rc;
		/* one more the ordinary way, behind them */
		many_fill(63, tx_seq);
		memcpy(one, many_hdr[63], 20);
		memcpy(one + 20, many_body[63], sizeof(many_body[63]));
		if (guest_send_buf(&tx, one, sizeof(one)))
			break;
		tx_seq++;
		if (rc < 16)
			break;
	}
	/* more than a socket buffer went: some of it had to be queued */
	assert_true(tx_seq >= 17);
	/* a frame too large is refused as send() would */
	iov[0][1].iov_len = 65536;
	assert_int_equal(guest_send_many(&tx, &iov[0][0], 2, 1), -EMSGSIZE);

	drain_all(many_ok);
	assert_int_equal(stat("tx_frames") - frames0, tx_seq);
}

/* With --fd, QEMU closing its end stops the loop with status 0 */
static void peer_close_ends_fd_mode(void **state)
{
	uint8_t frame[64] = { 0 };

	(void)state;
	open_pair(1500);
	assert_true(stream_connected());
	close(peer);
	peer = -1;
	assert_int_equal(run_for(1000), 0);
	assert_false(stream_connected());
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)),
			 -ENOTCONN);
	assert_int_equal(guest_room(&tx), 0);
	assert_int_equal(guest_reserve(&tx, 64, NULL, 1), -ENOTCONN);
}

/* Listening: one guest at a time, the next one after it leaves */
static void listen_accepts_one_guest_at_a_time(void **state)
{
	struct link_conf lc = { .fd = -1, .mtu = 1500 };
	char path[64];
	struct sockaddr_un { sa_family_t f; char p[108]; } sun = { AF_UNIX };
	uint64_t refused = stat("refused");
	uint8_t buf[128];
	int a, b;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/gangway_test_%d.sock", getpid());
	snprintf(sun.p, sizeof(sun.p), "%s", path);
	assert_int_equal(loop_init(16), 0);
	timer_init(&stop_timer, stop_cb);
	lc.listen_fd = link_listen(path);
	assert_true(lc.listen_fd >= 0);
	lc.socket_path = path;
	assert_int_equal(stream_open(&lc, rx, &tx), 0);
	nseen = 0;

	a = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(a, (void *)&sun, sizeof(sun)), 0);
	run_for(5);
	assert_true(stream_connected());
	b = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(b, (void *)&sun, sizeof(sun)), 0);
	run_for(5);
	assert_int_equal(read(b, buf, sizeof(buf)), 0);	/* EOF: refused */
	assert_int_equal(stat("refused") - refused, 1);
	close(b);

	peer = a;
	write_all(buf, put_frame(buf, 60, 8));
	run_for(5);
	assert_int_equal(nseen, 1);
	close(a);
	assert_int_equal(run_for(20), 42);	/* keeps running */
	assert_false(stream_connected());

	a = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(a, (void *)&sun, sizeof(sun)), 0);
	peer = a;
	write_all(buf, put_frame(buf, 61, 9));
	run_for(10);
	assert_int_equal(nseen, 2);
	check_frame(1, 61, 9);

	/* A second listener on the same path is refused, it is not stale */
	assert_int_equal(link_listen(path), -EADDRINUSE);

	/* After we are gone, the socket file is stale and can be reused */
	stream_close();
	b = link_listen(path);
	assert_true(b >= 0);
	close(b);
	unlink(path);
}

/* Splicing: frames tagged 'S' are "TCP" with SP_HDR bytes of headers */
#define SP_HDR_FIRST	66	/* link/stream.c's first guess */
static size_t sp_hdr = SP_HDR_FIRST;	/* header bytes of 'S' frames */
#define SP_HDR		sp_hdr
#define SP_TAG		0x53

static int sp_sink = -1;	/* where payloads go, as a host socket */
static size_t sp_asked, sp_taken;	/* payload bytes, either way */
static size_t sp_link_asked, sp_link_taken;	/* by splice */
static int sp_in_link;

static size_t sp_check(const uint8_t *frame, size_t len, size_t have,
		       uint64_t now)
{
	(void)now;
	(void)len;
	return have >= SP_HDR && frame[0] == SP_TAG ? SP_HDR : 0;
}

/* As TCP would: the payload by splice if it is in the link, else copied */
static void sp_rx(const uint8_t *frame, size_t len, uint64_t now)
{
	rx(frame, len, now);
	if (frame[0] != SP_TAG)
		return;
	sp_asked += len - SP_HDR;
	if (tx.rx_in_link) {
		ssize_t n = tx.rx_splice(&tx, sp_sink, len - SP_HDR);

		assert_true(n >= 0);
		sp_taken += (size_t)n;
		sp_link_asked += len - SP_HDR;
		sp_link_taken += (size_t)n;
		sp_in_link++;
	} else {
		ssize_t n = send(sp_sink, frame + SP_HDR, len - SP_HDR,
				 MSG_DONTWAIT);

		sp_taken += n > 0 ? (size_t)n : 0;
	}
}

/* A stream link whose receiver splices, payloads into a socketpair */
static int open_splice_pair(int *sink_peer, int sndbuf)
{
	struct link_conf lc = { .fd = -1, .listen_fd = -1, .mtu = 65520,
				.rx_splice_check = sp_check };
	int sv[2], sk[2];

	assert_int_equal(loop_init(16), 0);
	timer_init(&stop_timer, stop_cb);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sk), 0);
	if (sndbuf)
		setsockopt(sk[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
			   sizeof(sndbuf));
	fcntl(sk[0], F_SETFL, O_NONBLOCK);
	fcntl(sk[1], F_SETFL, O_NONBLOCK);
	sp_sink = sk[0];
	*sink_peer = sk[1];
	lc.fd = sv[0];
	peer = sv[1];
	assert_int_equal(stream_open(&lc, sp_rx, &tx), 0);
	nseen = 0;
	sp_asked = sp_taken = sp_link_asked = sp_link_taken = 0;
	sp_in_link = 0;
	sp_hdr = SP_HDR_FIRST;
	return sk[1];
}

static int splice_teardown(void **state)
{
	if (sp_sink >= 0)
		close(sp_sink);
	sp_sink = -1;
	return teardown(state);
}

/* A frame of @len: tag, then bytes counting up from @seed */
static size_t put_sp_frame(uint8_t *buf, uint32_t len, uint8_t tag,
			   uint8_t seed)
{
	uint32_t i;

	put_frame(buf, len, tag);
	for (i = 1; i < len - 1; i++)
		buf[4 + i] = (uint8_t)(seed + i);
	return 4 + len;
}

/* Read what is in @fd (non-blocking) into @buf, at most @cap */
static size_t drain(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

/*
 * After a large frame, large frames the receiver takes go by splice: the
 * sink gets each payload exactly, in order, and small frames around them
 * are delivered as before
 */
static void large_payloads_spliced_in_order(void **state)
{
	static uint8_t buf[8 * 70000], out[8 * 70000], want[8 * 70000];
	static const uint32_t lens[] = { 600, 20000, 65534, 9000, 1000,
					 30000, 30000, 8192, 65534 };
	uint64_t spliced = stat("rx_spliced_frames");
	size_t off = 0, woff = 0, got = 0, i;
	int sink;

	(void)state;
	open_splice_pair(&sink, 0);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint8_t tag = i == 4 ? 7 : SP_TAG;	/* one not "TCP" */
		size_t at = off;

		off += put_sp_frame(buf + off, lens[i], tag, (uint8_t)i);
		if (tag == SP_TAG) {
			memcpy(want + woff, buf + at + 4 + SP_HDR,
			       lens[i] - SP_HDR);
			woff += lens[i] - SP_HDR;
		}
		/* in writes of frames 0-1, 2-4, 5, 6-8 */
		if (i == 1 || i == 4 || i == 5 || i == 8) {
			write_all(buf, off);
			run_for(5);
			got += drain(sink, out + got, sizeof(out) - got);
			off = 0;
		}
	}
	for (i = 0; i < 20 && got < woff; i++) {
		run_for(5);
		got += drain(sink, out + got, sizeof(out) - got);
	}
	assert_int_equal(nseen, ARRAY_SIZE(lens));
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		assert_int_equal(seen_len[i], lens[i]);
	assert_int_equal(got, woff);
	assert_int_equal(sp_taken, woff);
	assert_memory_equal(out, want, woff);
	/* the small frame turns looking off, the large one after it on */
	assert_int_equal(sp_in_link, 5);
	assert_int_equal(stat("rx_spliced_frames") - spliced,
			 (uint64_t)sp_in_link);
}

/*
 * The host socket takes only part of a spliced payload: the rest is
 * dropped (the pipe emptied, the frame's tail skipped) and the frames
 * after it arrive intact
 */
static void refused_payload_dropped_framing_kept(void **state)
{
	static uint8_t buf[4 * 70000], out[1 << 20];
	uint64_t dropped = stat("rx_splice_dropped_bytes");
	size_t off = 0;
	int sink;

	(void)state;
	open_splice_pair(&sink, 4096);
	off += put_sp_frame(buf + off, 60000, SP_TAG, 1);
	write_all(buf, off);
	run_for(5);
	drain(sink, out, sizeof(out));		/* copied: the first one */

	/* the sink is not read now: its socket fills up mid-splice */
	off = put_sp_frame(buf, 65534, SP_TAG, 2);
	off += put_sp_frame(buf + off, 65534, SP_TAG, 3);
	off += put_frame(buf + off, 60, 9);
	write_all(buf, off);
	run_for(10);
	assert_int_equal(nseen, 4);
	check_frame(3, 60, 9);
	assert_true(sp_in_link >= 1);
	assert_true(sp_link_taken < sp_link_asked);
	assert_int_equal(stat("rx_splice_dropped_bytes") - dropped,
			 sp_link_asked - sp_link_taken);
	assert_int_equal(drain(sink, out, sizeof(out)), sp_link_taken);
}

/*
 * Headers shorter than the link guessed (payload bytes read with them go
 * first, by send()) or longer (the frame is copied, the next one read
 * with more header bytes): the payloads arrive exact either way
 */
static void header_length_changes(void **state)
{
	static uint8_t buf[4 * 70000], out[16 * 70000], want[16 * 70000];
	static const size_t hdrs[] = { 40, 40, 40, 120, 120, 120, 66, 66 };
	size_t woff = 0, got = 0, i;
	int sink;

	(void)state;
	open_splice_pair(&sink, 0);
	for (i = 0; i < ARRAY_SIZE(hdrs); i++) {
		size_t off;

		sp_hdr = hdrs[i];
		off = put_sp_frame(buf, 30000, SP_TAG, (uint8_t)(i * 7));
		memcpy(want + woff, buf + 4 + sp_hdr, 30000 - sp_hdr);
		woff += 30000 - sp_hdr;
		/* one more after each, so that each change is seen twice */
		off += put_sp_frame(buf + off, 20000, SP_TAG, (uint8_t)i);
		memcpy(want + woff, buf + 30004 + 4 + sp_hdr, 20000 - sp_hdr);
		woff += 20000 - sp_hdr;
		write_all(buf, off);
		run_for(5);
		got += drain(sink, out + got, sizeof(out) - got);
	}
	for (i = 0; i < 20 && got < woff; i++) {
		run_for(5);
		got += drain(sink, out + got, sizeof(out) - got);
	}
	assert_int_equal(nseen, 2 * ARRAY_SIZE(hdrs));
	assert_int_equal(got, woff);
	assert_memory_equal(out, want, woff);
	assert_true(sp_in_link >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(merged_frames_all_delivered,
					  teardown),
		cmocka_unit_test_teardown(split_frame_reassembled, teardown),
		cmocka_unit_test_teardown(zero_and_short_frames_dropped,
					  teardown),
		cmocka_unit_test_teardown(oversized_frames_skipped, teardown),
		cmocka_unit_test_teardown(random_mix_in_random_pieces,
					  teardown),
		cmocka_unit_test_teardown(frames_to_guest_are_length_prefixed,
					  teardown),
		cmocka_unit_test_teardown(queue_full_then_waiters_woken,
					  teardown),
		cmocka_unit_test_teardown(reserve_commit_in_place, teardown),
		cmocka_unit_test_teardown(short_frames_padded_to_60_with_zeros,
					  teardown),
		cmocka_unit_test_teardown(reserve_wraps_ring_and_back_pressure,
					  teardown),
		cmocka_unit_test_teardown(send_many_direct_then_queued_in_order,
					  teardown),
		cmocka_unit_test_teardown(peer_close_ends_fd_mode, teardown),
		cmocka_unit_test_teardown(listen_accepts_one_guest_at_a_time,
					  teardown),
		cmocka_unit_test_teardown(large_payloads_spliced_in_order,
					  splice_teardown),
		cmocka_unit_test_teardown(refused_payload_dropped_framing_kept,
					  splice_teardown),
		cmocka_unit_test_teardown(header_length_changes,
					  splice_teardown),
	};

	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
