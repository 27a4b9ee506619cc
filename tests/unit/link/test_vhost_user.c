// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for link/vhost_user.c over a real socketpair, with the test
 * as the front-end (tests/harness/vu_fe.h) and a memfd as guest memory:
 * replies and REPLY_ACK, the door (payload sizes, fd counts, queue
 * indexes) closing the connection and every received fd, ring and memory
 * table checks, refused logging, and the data path both ways (merged
 * receive buffers, back-pressure and wake-up, interrupts, broken rings).
 */
#include <dirent.h>
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
#include "link/vhost_user.h"
#include "../../harness/vu_fe.h"

#define FEATURES	(1ULL << 32 | 1ULL << 15 | 1ULL << 29 | 1ULL << 28 | \
			 1ULL << 30)
#define F_CSUM		(1ULL << 0)	/* VIRTIO_NET_F_CSUM */
#define F_GUEST_CSUM	(1ULL << 1)
#define F_HOST_TSO4	(1ULL << 11)
#define F_HOST_TSO6	(1ULL << 12)
#define OFFERED		(FEATURES | F_CSUM | F_GUEST_CSUM | F_HOST_TSO4 | \
			 F_HOST_TSO6)

static struct guest_tx tx;
static struct vu_fe fe;
static struct timer stop_timer;
static uint8_t last_frame[2048];
static size_t last_len;
static int nframes;
static int last_trusted;
static int woken;
static struct guest_waiter waiter;

static void rx(const uint8_t *frame, size_t len, uint64_t now)
{
	(void)now;
	nframes++;
	last_trusted = tx.rx_csum_trusted;
	last_len = len;
	memcpy(last_frame, frame, MIN(len, sizeof(last_frame)));
}

static void wake_cb(struct guest_waiter *w, uint64_t now)
{
	(void)w;
	(void)now;
	woken++;
}

static void stop_cb(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	loop_stop(42);
}

/* Run the loop for about @ms milliseconds */
static int run_for(int ms)
{
	timer_arm(&stop_timer, clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC);
	return loop_run();
}

static uint64_t stat(const char *name)
{
	return stats_get("link", name);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static uint64_t broken_before;

/* Let the back-end handle what we sent */
static void pump(void)
{
	vu_conn_input(clock_now_ns());
}

static int setup(void **state)
{
	struct link_conf lc = { .vhost_user = true, .listen_fd = -1 };
	int sv[2];

	(void)state;
	assert_int_equal(loop_init(16), 0);
	timer_init(&stop_timer, stop_cb);
	memset(&fe, 0, sizeof(fe));
	fe.sock = fe.memfd = -1;
	fe.kick[0] = fe.kick[1] = fe.call[0] = fe.call[1] = -1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	fe.sock = sv[0];
	lc.fd = sv[1];
	assert_int_equal(vu_open(&lc, rx, &tx), 0);
	assert_int_equal(fe_mem_init(&fe), 0);
	fe.pump = pump;
	nframes = 0;
	woken = 0;
	broken_before = stat("vu_ring_broken");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vu_close();
	fe_free(&fe);
	return 0;
}

static bool alive(void)
{
	uint64_t v = 0;

	fe_msg(&fe, FE_GET_FEATURES, 0, NULL, 0, NULL, 0);
	pump();
	return !fe_reply(&fe, FE_GET_FEATURES, &v, 200) && v;
}

static void closed_after(void)
{
	uint64_t rejects = stat("vu_msg_rejects");

	pump();
	assert_true(fe_closed(&fe, 200));
	assert_true(stat("vu_msg_rejects") > rejects);
}

static void features_and_ack(void **state)
{
	uint64_t v;

	(void)state;
	fe_msg(&fe, FE_GET_FEATURES, 0, NULL, 0, NULL, 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_GET_FEATURES, &v, 200), 0);
	assert_int_equal(v, OFFERED);

	fe_msg(&fe, FE_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_GET_PROTOCOL_FEATURES, &v, 200), 0);
	assert_int_equal(v, 1ULL << 3);

	fe_u64(&fe, FE_SET_PROTOCOL_FEATURES, 0, 1ULL << 3, NULL, 0);
	fe_msg(&fe, FE_SET_OWNER, FE_NEED_REPLY, NULL, 0, NULL, 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_SET_OWNER, &v, 200), 0);
	assert_int_equal(v, 0);

	/* A feature we did not offer is refused, with a failure ack */
	fe_u64(&fe, FE_SET_FEATURES, FE_NEED_REPLY, 1ULL << 6, NULL, 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_SET_FEATURES, &v, 200), 0);
	assert_int_not_equal(v, 0);
	assert_true(fe_closed(&fe, 200));
}

static void message_in_pieces(void **state)
{
	uint32_t h[3] = { FE_GET_QUEUE_NUM, FE_V1, 0 };
	uint64_t v;

	(void)state;
	assert_int_equal(fe_send_raw(&fe, h, 5, NULL, 0), 0);
	pump();
	assert_int_equal(fe_send_raw(&fe, (uint8_t *)h + 5, 7, NULL, 0), 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_GET_QUEUE_NUM, &v, 200), 0);
	assert_int_equal(v, 2);
}

static void oversized_payload_closes(void **state)
{
	uint8_t big[64] = { 0 };

	(void)state;
	fe_msg(&fe, FE_SET_FEATURES, 0, big, sizeof(big), NULL, 0);
	closed_after();
}

static void huge_size_closes_before_reading(void **state)
{
	(void)state;
	/* Claims 1 GiB: refused on the header alone */
	fe_msg_sized(&fe, FE_SET_MEM_TABLE, FE_V1, 1u << 30, NULL, 0, NULL, 0);
	closed_after();
}

static void unknown_request_closes(void **state)
{
	(void)state;
	fe_msg(&fe, 40, 0, NULL, 0, NULL, 0);
	closed_after();
}

static void bad_version_closes(void **state)
{
	(void)state;
	fe_msg_sized(&fe, FE_GET_FEATURES, 0x2, 0, NULL, 0, NULL, 0);
	closed_after();
}

static void stray_fd_closed(void **state)
{
	int before, efd;

	(void)state;
	before = count_fds();
	efd = eventfd(0, EFD_CLOEXEC);
	fe_u64(&fe, FE_SET_FEATURES, 0, 1ULL << 32, &efd, 1);
	close(efd);
	closed_after();
	/* Back-end's copy of efd and its connection both gone */
	assert_int_equal(count_fds(), before - 1);
}

static void too_many_fds_closed(void **state)
{
	int before, fds[12], i;
	uint64_t p[5] = { 1, FE_GPA, 4096, FE_UVA, 0 };

	(void)state;
	before = count_fds();
	for (i = 0; i < 12; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	fe_msg(&fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), fds, 12);
	for (i = 0; i < 12; i++)
		close(fds[i]);
	closed_after();
	assert_int_equal(count_fds(), before - 1);
}

static void kick_without_fd_closes(void **state)
{
	(void)state;
	fe_u64(&fe, FE_SET_VRING_KICK, 0, 0, NULL, 0);	/* no nofd bit */
	closed_after();
}

static void vring_index_out_of_range(void **state)
{
	(void)state;
	fe_state(&fe, FE_SET_VRING_NUM, 0, 2, 256);
	closed_after();
}

static void kick_index_out_of_range(void **state)
{
	(void)state;
	fe_u64(&fe, FE_SET_VRING_CALL, 0, 7 | FE_NOFD, NULL, 0);
	closed_after();
}

static void vring_num_zero(void **state)
{
	(void)state;
	fe_state(&fe, FE_SET_VRING_NUM, 0, 0, 0);
	closed_after();
}

static void vring_num_not_power_of_two(void **state)
{
	(void)state;
	fe_state(&fe, FE_SET_VRING_NUM, 0, 1, 255);
	closed_after();
}

static void vring_num_huge(void **state)
{
	(void)state;
	fe_state(&fe, FE_SET_VRING_NUM, 0, 0, 65536);
	closed_after();
}

static void mem_table_overflow(void **state)
{
	(void)state;
	fe_mem_table(&fe, 0, FE_GPA, 4096, FE_UVA, UINT64_MAX - 100);
	closed_after();
}

static void mem_table_beyond_file(void **state)
{
	(void)state;
	/* The memfd has 1 MiB; claim 2 MiB (would SIGBUS if mapped) */
	fe_mem_table(&fe, 0, FE_GPA, 2 * FE_MEM_SIZE, FE_UVA, 0);
	closed_after();
}

static void mem_table_more_regions_than_fds(void **state)
{
	uint64_t p[9] = { 2, FE_GPA, 4096, FE_UVA, 0,
			  FE_GPA + 8192, 4096, FE_UVA + 8192, 8192 };

	(void)state;
	fe_msg(&fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), &fe.memfd, 1);
	closed_after();
}

static void mem_table_overlap(void **state)
{
	uint64_t p[9] = { 2, FE_GPA, 8192, FE_UVA, 0,
			  FE_GPA + 4096, 4096, FE_UVA + 65536, 8192 };
	int fds[2] = { fe.memfd, fe.memfd };

	(void)state;
	fe_msg(&fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), fds, 2);
	closed_after();
}

static void ring_outside_memory(void **state)
{
	(void)state;
	fe_mem_table(&fe, 0, FE_GPA, FE_MEM_SIZE, FE_UVA, 0);
	fe_state(&fe, FE_SET_VRING_NUM, 0, 0, 256);
	fe_vring_addr(&fe, 0, 0, FE_UVA + FE_MEM_SIZE - 16, FE_UVA + 0x2000,
		      FE_UVA + 0x1000);
	closed_after();
}

static void log_refused_connection_kept(void **state)
{
	int before, efd;
	uint64_t v;

	(void)state;
	fe_u64(&fe, FE_SET_PROTOCOL_FEATURES, 0, 1ULL << 3, NULL, 0);
	before = count_fds();
	efd = eventfd(0, EFD_CLOEXEC);
	fe_msg(&fe, FE_SET_LOG_FD, FE_NEED_REPLY, NULL, 0, &efd, 1);
	close(efd);
	pump();
	assert_int_equal(fe_reply(&fe, FE_SET_LOG_FD, &v, 200), 0);
	assert_int_not_equal(v, 0);
	assert_int_equal(count_fds(), before);
	assert_true(alive());
}

static void frames_both_ways(void **state)
{
	uint8_t frame[1500], hdr[FE_HDR];
	uint32_t id = 0, len = 0, total = 0;
	uint64_t calls;
	unsigned int i;
	int rc;

	(void)state;
	assert_int_equal(fe_start(&fe, 32, FEATURES), 0);
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;

	/* Guest to us: header skipped, frame whole, buffer returned */
	fe_tx(&fe, frame, 60);
	run_for(20);
	assert_int_equal(nframes, 1);
	assert_int_equal(last_len, 60);
	assert_memory_equal(last_frame, frame, 60);
	assert_true(fe_used(&fe, 1, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(stat("vu_from_guest"), 1);
	assert_true(read(fe.call[1], &calls, 8) == 8);

	/* Us to the guest, no buffers yet: back-pressure */
	assert_int_equal(guest_room(&tx), 0);
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)), -EAGAIN);
	guest_tx_wait(&tx, &waiter);
	waiter.fn = wake_cb;

	/* 4 buffers of 512 bytes: the guest kicks, the waiter wakes */
	fe_rx_post(&fe, 4, 512);
	run_for(20);
	assert_int_equal(woken, 1);
	assert_true(guest_room(&tx) >= 4 * (512 - FE_HDR));

	/* 1500 + 12 bytes need 3 merged buffers */
	rc = guest_send_buf(&tx, frame, sizeof(frame));
	assert_int_equal(rc, 0);
	run_for(20);
	for (i = 0; i < 3; i++) {
		assert_true(fe_used(&fe, 0, &id, &len));
		assert_int_equal(id, i);
		total += len;
	}
	assert_false(fe_used(&fe, 0, &id, &len));
	assert_int_equal(total, sizeof(frame) + FE_HDR);
	memcpy(hdr, fe.mem + FE_BUF(0, 0), FE_HDR);
	assert_int_equal(hdr[10], 3);	/* num_buffers */
	assert_int_equal(hdr[0] | hdr[1] | hdr[2] | hdr[3], 0);
	assert_memory_equal(fe.mem + FE_BUF(0, 0) + FE_HDR, frame,
			    512 - FE_HDR);
	assert_memory_equal(fe.mem + FE_BUF(0, 1),
			    frame + 512 - FE_HDR, 512);
	assert_true(read(fe.call[0], &calls, 8) == 8);

	/* One buffer left: a full frame does not fit, nothing consumed */
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)), -EAGAIN);
	assert_int_equal(guest_send_buf(&tx, frame, 100), 0);
	run_for(10);
	assert_true(fe_used(&fe, 0, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, 100 + FE_HDR);
	assert_true(alive());
}

/* Frames reserved in guest buffers, filled in place, some committed */
static void reserve_commit_merged(void **state)
{
	struct guest_frame f[GUEST_RESERVE_MAX];
	uint64_t sent = stat("vu_to_guest");
	uint8_t pat[1000], hdr[FE_HDR];
	uint32_t id, len;
	uint64_t calls;
	int k, i;

	(void)state;
	assert_int_equal(fe_start(&fe, 32, FEATURES), 0);
	assert_int_equal(guest_reserve(&tx, 1000, f, 4), -EAGAIN);

	/* 8 buffers of 512: a frame of 1000 (+ 12) takes two */
	fe_rx_post(&fe, 8, 512);
	run_for(10);
	k = guest_reserve(&tx, 1000, f, 6);
	assert_int_equal(k, 4);
	for (i = 0; i < k; i++) {
		memset(pat, 'a' + i, sizeof(pat));
		assert_int_equal(guest_frame_put(&f[i], 0, pat, 1000), 1000);
	}
	guest_commit(&tx, 3, 300);
	/* The 4th frame's buffers and the 3rd's spare one went back */
	memset(pat, 'z', sizeof(pat));
	assert_int_equal(guest_send_buf(&tx, pat, 100), 0);
	run_for(10);
	assert_true(read(fe.call[0], &calls, 8) == 8);

	for (i = 0; i < 6; i++) {
		static const uint32_t lens[] = { 512, 500, 512, 500, 312, 112 };

		assert_true(fe_used(&fe, 0, &id, &len));
		assert_int_equal(id, i);
		assert_int_equal(len, lens[i]);
	}
	assert_false(fe_used(&fe, 0, &id, &len));
	for (i = 0; i < 3; i++) {
		memcpy(hdr, fe.mem + FE_BUF(0, 2 * i), FE_HDR);
		assert_int_equal(hdr[10], i < 2 ? 2 : 1);	/* num_buffers */
		assert_int_equal(hdr[0] | hdr[1] | hdr[5] | hdr[9], 0);
		assert_int_equal(fe.mem[FE_BUF(0, 2 * i) + FE_HDR], 'a' + i);
	}
	assert_int_equal(fe.mem[FE_BUF(0, 1) + 499], 'a');
	assert_int_equal(fe.mem[FE_BUF(0, 4) + 311], 'c');
	assert_int_equal(fe.mem[FE_BUF(0, 5) + FE_HDR], 'z');
	assert_int_equal(fe.mem[FE_BUF(0, 5) + 10], 1);
	assert_int_equal(stat("vu_to_guest") - sent, 4);

	/* Two buffers left: one frame, then nothing: all given back */
	k = guest_reserve(&tx, 1000, f, 6);
	assert_int_equal(k, 1);
	guest_commit(&tx, 0, 0);
	k = guest_reserve(&tx, 1000, f, 1);
	assert_int_equal(k, 1);
	guest_commit(&tx, 1, 1000);
	run_for(10);
	assert_true(fe_used(&fe, 0, &id, &len));
	assert_int_equal(id, 6);
	assert_true(fe_used(&fe, 0, &id, &len));
	assert_int_equal(id, 7);
	assert_int_equal(guest_reserve(&tx, 1000, f, 1), -EAGAIN);
	assert_true(alive());
}

/*
 * Around the ring many times, committing fewer frames than reserved each
 * time: every buffer is used once, in order, with the right bytes; an
 * empty ring says -EAGAIN and the waiter wakes when the guest posts more.
 */
static void reserve_around_the_ring(void **state)
{
	struct guest_frame f[GUEST_RESERVE_MAX];
	uint8_t pat[200];
	uint32_t id, len, next = 0;
	int round, k, i;

	(void)state;
	assert_int_equal(fe_start(&fe, 8, FEATURES), 0);
	fe_rx_post(&fe, 3, 512);
	run_for(5);
	for (round = 0; round < 20; round++) {
		k = guest_reserve(&tx, sizeof(pat), f, 5);
		assert_int_equal(k, 3);
		for (i = 0; i < k; i++) {
			memset(pat, round * 3 + i, sizeof(pat));
			guest_frame_put(&f[i], 0, pat, sizeof(pat));
		}
		guest_commit(&tx, 2, 150);
		run_for(2);
		for (i = 0; i < 2; i++) {
			assert_true(fe_used(&fe, 0, &id, &len));
			assert_int_equal(id, next % 8);
			assert_int_equal(len, FE_HDR + (i ? 150 : 200));
			assert_int_equal(fe.mem[FE_BUF(0, id) + FE_HDR],
					 (uint8_t)(round * 3 + i));
			next++;
		}
		fe_rx_post(&fe, 2, 512);
		run_for(2);
	}
	assert_false(fe_used(&fe, 0, &id, &len));

	/* Drain the 3 left, then the ring is empty: wait for the guest */
	assert_int_equal(guest_reserve(&tx, sizeof(pat), f, 5), 3);
	guest_commit(&tx, 3, 10);
	assert_int_equal(guest_reserve(&tx, sizeof(pat), f, 5), -EAGAIN);
	guest_tx_wait(&tx, &waiter);
	waiter.fn = wake_cb;
	run_for(5);
	assert_int_equal(woken, 0);
	fe_rx_post(&fe, 1, 512);
	run_for(10);
	assert_int_equal(woken, 1);
	assert_int_equal(guest_reserve(&tx, sizeof(pat), f, 5), 1);
	guest_commit(&tx, 0, 0);
	assert_true(alive());
}

/* Without merged buffers a frame needs one chain big enough */
static void reserve_without_mrg_too_big(void **state)
{
	struct guest_frame f[GUEST_RESERVE_MAX];

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES & ~(1ULL << 15)), 0);
	fe_rx_post(&fe, 4, 512);
	run_for(5);
	assert_int_equal(guest_reserve(&tx, 1000, f, 2), -EMSGSIZE);
	assert_int_equal(guest_reserve(&tx, 400, f, 8), 4);
	guest_commit(&tx, 4, 400);
	assert_true(alive());
}

static void get_vring_base_stops(void **state)
{
	uint8_t frame[60] = { 0 };
	uint64_t v;

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	fe_tx(&fe, frame, sizeof(frame));
	fe_tx(&fe, frame, sizeof(frame));
	run_for(10);
	assert_int_equal(nframes, 2);
	fe_state(&fe, FE_GET_VRING_BASE, 0, 1, 0);
	pump();
	assert_int_equal(fe_reply(&fe, FE_GET_VRING_BASE, &v, 200), 0);
	assert_int_equal(v, (2ULL << 32) | 1);
	/* Stopped: a new frame is not looked at */
	fe_tx(&fe, frame, sizeof(frame));
	run_for(10);
	assert_int_equal(nframes, 2);
}

static void broken_ring_stops_queue_only(void **state)
{
	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	fe_desc(&fe, 1, 0, FE_GPA + FE_BUF(1, 0), 64, 1, 1);
	fe_desc(&fe, 1, 1, FE_GPA + FE_BUF(1, 1), 64, 1, 0);
	fe_avail(&fe, 1, 0);
	fe_kick(&fe, 1);
	run_for(10);
	assert_int_equal(nframes, 0);
	assert_int_equal(stat("vu_ring_broken") - broken_before, 1);
	assert_true(alive());
}

static void descriptor_outside_memory(void **state)
{
	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	fe_desc(&fe, 1, 0, FE_GPA + FE_MEM_SIZE - 8, 64, 0, 0);
	fe_avail(&fe, 1, 0);
	fe_kick(&fe, 1);
	run_for(10);
	assert_int_equal(nframes, 0);
	assert_int_equal(stat("vu_ring_broken") - broken_before, 1);
	assert_true(alive());
}

static void avail_jump_breaks_rx(void **state)
{
	uint8_t frame[60] = { 0 };

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	fe_put16(&fe, FE_AVAIL(0) + 2, 17);
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)),
			 -ENOTCONN);
	run_for(10);
	assert_int_equal(stat("vu_ring_broken") - broken_before, 1);
	assert_true(alive());
}

static void mem_table_remap_keeps_rings(void **state)
{
	uint8_t frame[60];
	uint64_t v;
	int i;

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	for (i = 0; i < 3; i++) {
		/* The old mapping goes; the rings must follow the new one */
		fe_mem_table(&fe, FE_NEED_REPLY, FE_GPA, FE_MEM_SIZE, FE_UVA,
			     0);
		assert_int_equal(fe_reply(&fe, FE_SET_MEM_TABLE, &v, 200), 0);
		assert_int_equal(v, 0);
		memset(frame, i, sizeof(frame));
		fe_tx(&fe, frame, sizeof(frame));
		run_for(10);
		assert_int_equal(nframes, i + 1);
		assert_memory_equal(last_frame, frame, sizeof(frame));
	}
	/* A table that no longer holds the rings ends the connection */
	fe_mem_table(&fe, 0, FE_GPA, FE_MEM_SIZE / 2, FE_UVA + FE_MEM_SIZE / 2,
		     FE_MEM_SIZE / 2);
	closed_after();
}

static void offload_header_dropped(void **state)
{
	uint8_t frame[60] = { 0 };
	uint64_t before = stat("vu_from_guest_drop_hdr");
	uint32_t id, len;

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	fe_tx(&fe, frame, sizeof(frame));
	/* Second frame: NEEDS_CSUM set in its header, never offered */
	fe_tx(&fe, frame, sizeof(frame));
	fe.mem[FE_BUF(1, 1)] = 1;
	fe_kick(&fe, 1);
	run_for(10);
	assert_int_equal(nframes, 1);
	assert_int_equal(stat("vu_from_guest_drop_hdr") - before, 1);
	/* Both buffers still go back to the guest */
	assert_true(fe_used(&fe, 1, &id, &len));
	assert_true(fe_used(&fe, 1, &id, &len));
	assert_true(alive());
}

/* Queue @frame with a virtio-net header of our own, kick */
static void tx_hdr(const uint8_t *frame, size_t len, uint8_t flags,
		   uint8_t gso, uint16_t start, uint16_t off)
{
	size_t buf = FE_BUF(1, fe.avail_idx[1] % fe.num);

	fe_tx(&fe, frame, len);
	fe.mem[buf] = flags;
	fe.mem[buf + 1] = gso;
	memcpy(fe.mem + buf + 6, &start, 2);
	memcpy(fe.mem + buf + 8, &off, 2);
}

static void csum_offload(void **state)
{
	uint8_t frame[100] = { 0 }, hdr[FE_HDR];
	uint64_t range = stat("vu_from_guest_drop_csum_range");
	uint64_t hdrs = stat("vu_from_guest_drop_hdr");
	uint64_t gso = stat("vu_from_guest_drop_gso");
	uint32_t id, len;

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES | F_CSUM | F_GUEST_CSUM),
			 0);
	assert_int_equal(tx.csum_optional, 1);

	/* NEEDS_CSUM: TCP over IPv4 would be 34 + 16, the last two bytes */
	tx_hdr(frame, sizeof(frame), 1, 0, 34, 16);
	run_for(10);
	assert_int_equal(nframes, 1);
	assert_int_equal(last_trusted, 1);
	assert_int_equal(tx.rx_csum_trusted, 0);
	tx_hdr(frame, sizeof(frame), 1, 0, 34, 100 - 34 - 2);
	tx_hdr(frame, sizeof(frame), 2, 0, 0, 0);	/* DATA_VALID */
	tx_hdr(frame, sizeof(frame), 0, 0, 0, 0);
	run_for(10);
	assert_int_equal(nframes, 4);
	assert_int_equal(last_trusted, 0);

	/* Out of the frame, before it, past it by one, wrapped */
	tx_hdr(frame, sizeof(frame), 1, 0, 34, 100 - 34 - 1);
	tx_hdr(frame, sizeof(frame), 1, 0, 4, 6);
	tx_hdr(frame, sizeof(frame), 1, 0, 0xffff, 0xffff);
	run_for(10);
	assert_int_equal(stat("vu_from_guest_drop_csum_range") - range, 3);
	/* Unknown flag bits, RSC_INFO, GSO without TSO */
	tx_hdr(frame, sizeof(frame), 0x81, 0, 34, 16);
	tx_hdr(frame, sizeof(frame), 4, 0, 0, 0);
	tx_hdr(frame, sizeof(frame), 1, 1, 34, 16);
	tx_hdr(frame, sizeof(frame), 0, 0x80, 0, 0);
	run_for(10);
	assert_int_equal(stat("vu_from_guest_drop_hdr") - hdrs, 2);
	assert_int_equal(stat("vu_from_guest_drop_gso") - gso, 2);
	assert_int_equal(nframes, 4);
	while (fe_used(&fe, 1, &id, &len))
		nframes++;
	assert_int_equal(nframes, 4 + 11);

	/* To the guest: DATA_VALID */
	fe_rx_post(&fe, 1, 512);
	run_for(10);
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)), 0);
	run_for(10);
	memcpy(hdr, fe.mem + FE_BUF(0, 0), FE_HDR);
	assert_int_equal(hdr[0], 2);
	assert_int_equal(hdr[1], 0);
	assert_true(alive());
}

/* HOST_TSO4 only: TCPV4 segments of any size up to 64 KiB come through,
 * TCPV6, UDP and ECN are refused */
static void tso4_accepted(void **state)
{
	static uint8_t big[65535 + 14];
	uint64_t gso = stat("vu_from_guest_drop_gso");
	uint64_t ok = stat("vu_from_guest_gso");
	uint16_t v;

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES | F_CSUM | F_HOST_TSO4),
			 0);
	tx_hdr(big, 100, 1, 1, 34, 16);
	tx_hdr(big, 100, 1, 4, 54, 16);
	tx_hdr(big, 100, 1, 3, 34, 6);
	tx_hdr(big, 100, 1, 0x81, 34, 16);
	run_for(10);
	assert_int_equal(nframes, 1);
	assert_int_equal(stat("vu_from_guest_gso") - ok, 1);
	assert_int_equal(stat("vu_from_guest_drop_gso") - gso, 3);

	/* The largest frame, in one guest buffer past the test's slots */
	assert_true(FE_BUF(1, 2) + FE_HDR + sizeof(big) <= FE_MEM_SIZE);
	memset(fe.mem + FE_BUF(1, 2), 0, FE_HDR);
	fe.mem[FE_BUF(1, 2)] = 1;
	fe.mem[FE_BUF(1, 2) + 1] = 1;
	v = 34;
	memcpy(fe.mem + FE_BUF(1, 2) + 6, &v, 2);
	v = 16;
	memcpy(fe.mem + FE_BUF(1, 2) + 8, &v, 2);
	fe_desc(&fe, 1, 4, FE_GPA + FE_BUF(1, 2),
		(uint32_t)(FE_HDR + sizeof(big)), 0, 0);
	fe_avail(&fe, 1, 4);
	fe_kick(&fe, 1);
	run_for(10);
	assert_int_equal(nframes, 2);
	assert_int_equal(last_len, sizeof(big));
	assert_true(alive());
}

static void no_csum_without_features(void **state)
{
	uint8_t frame[60] = { 0 }, hdr[FE_HDR];

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	assert_int_equal(tx.csum_optional, 0);
	fe_rx_post(&fe, 1, 512);
	run_for(10);
	assert_int_equal(guest_send_buf(&tx, frame, sizeof(frame)), 0);
	run_for(10);
	memcpy(hdr, fe.mem + FE_BUF(0, 0), FE_HDR);
	assert_int_equal(hdr[0], 0);
	/* DATA_VALID without CSUM: refused */
	tx_hdr(frame, sizeof(frame), 2, 0, 0, 0);
	run_for(10);
	assert_int_equal(nframes, 0);
	assert_true(alive());
}

static void polled_tx_ring(void **state)
{
	uint8_t frame[60] = { 7 };

	(void)state;
	assert_int_equal(fe_start(&fe, 16, FEATURES), 0);
	/* Restart queue 1 without a kick fd: the back-end polls it */
	fe_u64(&fe, FE_SET_VRING_KICK, 0, 1 | FE_NOFD, NULL, 0);
	pump();
	fe_tx(&fe, frame, sizeof(frame));
	run_for(10);
	assert_int_equal(nframes, 1);
	assert_int_equal(last_frame[0], 7);
	assert_true(alive());
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(features_and_ack),
		T(message_in_pieces),
		T(oversized_payload_closes),
		T(huge_size_closes_before_reading),
		T(unknown_request_closes),
		T(bad_version_closes),
		T(stray_fd_closed),
		T(too_many_fds_closed),
		T(kick_without_fd_closes),
		T(vring_index_out_of_range),
		T(kick_index_out_of_range),
		T(vring_num_zero),
		T(vring_num_not_power_of_two),
		T(vring_num_huge),
		T(mem_table_overflow),
		T(mem_table_beyond_file),
		T(mem_table_more_regions_than_fds),
		T(mem_table_overlap),
		T(ring_outside_memory),
		T(log_refused_connection_kept),
		T(frames_both_ways),
		T(reserve_commit_merged),
		T(reserve_around_the_ring),
		T(reserve_without_mrg_too_big),
		T(get_vring_base_stops),
		T(broken_ring_stops_queue_only),
		T(descriptor_outside_memory),
		T(avail_jump_breaks_rx),
		T(mem_table_remap_keeps_rings),
		T(offload_header_dropped),
		T(polled_tx_ring),
		T(csum_offload),
		T(no_csum_without_features),
		T(tso4_accepted),
	};

	log_set_level(LOG_LVL_ERR);
	if (getenv("VU_TEST_DEBUG"))
		log_set_level(LOG_LVL_TRACE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
