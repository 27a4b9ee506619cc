// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_udp_inplace.c - replies received straight into the stream link's
 * output ring (flow/udp.c "In place", link/stream.c reserve/commit)
 *
 * Real pieces end to end: the process unshares its network namespace (a
 * private loopback), a host peer sends datagrams to a flow's connected
 * socket, flow/udp.c reads them into link/stream.c's ring over a
 * socketpair, and the test reads the other end as QEMU would: 4-byte
 * length, frame, parsed back with the UDP checksum verified. Every byte
 * of every datagram must arrive, in order, one frame per datagram, at
 * each size boundary, across the ring's wrap, and when the length changes
 * in the middle of a batch (the in-place run ends there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/stats.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/udp.h"
#include "link/stream.h"
#include "packet/build.h"
#include "packet/packet.h"

#include "../common/tu_addr.h"
#include "../common/tu_flow.h"
#include "../common/tu_netns.h"

#define MTU		65520
#define MAX4		(MTU - 20 - 8)	/* largest IPv4 payload in the MTU */
#define MAX6		(MTU - 40 - 8)
#define DGRAM_MAX	65507		/* largest IPv4 UDP payload at all */
#define FWD_PORT	34567		/* -u FWD_PORT:FWD_GUEST_PORT */
#define FWD_GUEST_PORT	4444

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static struct flow_conf fc;
static struct guest_tx tx;
static bool in_netns;
static int qemu = -1;		/* our end of the socketpair: the "QEMU" */
static struct timer stop_timer;
static uint8_t frame[70000];
static uint8_t dgram[70000];

struct peer {
	int fd;
	struct sockaddr_storage to;	/* the flow's host socket */
	socklen_t to_len;
	uint16_t port;		/* the peer's own port */
};

static void stop_fn(struct timer *t, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
	loop_stop(0);
}

/* Let the loop run for @ms */
static void run_loop(unsigned int ms)
{
	timer_arm(&stop_timer, clock_now_ns() + ms * NSEC_PER_MSEC);
	loop_run();
	timer_cancel(&stop_timer);
}

static void link_rx(const uint8_t *f, size_t len, uint64_t now_ns)
{
	(void)f;
	(void)len;
	(void)now_ns;
}

static int setup(void **state)
{
	struct link_conf lc = { .fd = -1, .listen_fd = -1, .mtu = MTU };
	int sv[2], small = 64 << 10;

	(void)state;
	if (unshare(CLONE_NEWNET) || tu_lo_up())
		return 0;	/* not root: every test skips */
	in_netns = true;

	tu_flow_conf_net(&fc);
	fc.max_flows = 16;
	fc.mtu = MTU;
	fc.udp_fwd_count = 1;
	fc.udp_fwd[0].first = fc.udp_fwd[0].last = FWD_PORT;
	fc.udp_fwd[0].to_first = FWD_GUEST_PORT;

	assert_int_equal(loop_init(64), 0);
	timer_init(&stop_timer, stop_fn);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	lc.fd = sv[0];
	qemu = sv[1];
	assert_int_equal(stream_open(&lc, link_rx, &tx), 0);
	/* Small socket buffers: what QEMU does not read stays in the ring
	 * (the link asks for 4 MiB, which a host may well grant) */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	assert_int_equal(setsockopt(qemu, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)), 0);
	memcpy(tx.guest_mac, guest_mac, 6);
	tx.guest_seen = 1;
	assert_int_equal(flow_table_init(16), 0);
	assert_int_equal(nat_init(&fc), 0);
	assert_int_equal(udp_init(&fc, &tx), 0);
	return 0;
}

#define NEED_NETNS()				\
	do {					\
		if (!in_netns)			\
			skip();			\
	} while (0)

/* Byte @j of datagram @seq: every datagram different, every byte too */
static uint8_t pattern(unsigned int seq, size_t j)
{
	return (uint8_t)(seq * 131 + j * 7 + (j >> 8));
}

static void fill(unsigned int seq, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++)
		dgram[j] = pattern(seq, j);
}

/*
 * The guest sends one datagram from @guest:@gport to the peer at @gw (the
 * gateway, mapped to the host's loopback), opening the flow; the peer
 * learns the flow's socket address from it.
 */
static void peer_open(struct peer *p, const char *guest, uint16_t gport,
		      const char *gw, const char *lo)
{
	union inany l = tu_addr(lo);
	struct sockaddr_storage ss = { 0 };
	struct frame_addrs a = { 0 };
	struct pkt_builder b;
	struct pkt_cursor cur;
	struct eth_view eth;
	struct udp_view udp;
	struct ip_view ip;
	socklen_t sl;
	uint16_t port;
	struct timeval tmo = { .tv_sec = 2 };
	char buf[16];
	int sz = 8 << 20;

	if (inany_is_v4(&l)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr = l.v4mapped.a4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = l.a6;
		sl = sizeof(*s6);
	}
	p->fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	assert_true(p->fd >= 0);
	setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* a datagram gangway did not forward fails the test, not hangs it */
	assert_int_equal(setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tmo,
				    sizeof(tmo)), 0);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&ss, &sl), 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	p->port = port;

	memcpy(a.src_mac, guest_mac, 6);
	memcpy(a.dst_mac, tx.our_mac, 6);
	a.src = tu_addr(guest);
	a.dst = tu_addr(gw);
	pb_init(&b, frame, sizeof(frame));
	assert_true(frame_udp(&b, &a, gport, port, "open", 4));
	cur = cur_make(frame, b.len);
	assert_int_equal(eth_parse(&cur, &eth), PKT_OK);
	if (eth.type == ETH_P_IP_)
		assert_int_equal(ipv4_parse(&cur, &ip), PKT_OK);
	else
		assert_int_equal(ipv6_parse(&cur, &ip), PKT_OK);
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	udp_input(&ip, &udp, cur, clock_now_ns());
	udp_batch_end(clock_now_ns());

	p->to_len = sizeof(p->to);
	assert_int_equal(recvfrom(p->fd, buf, sizeof(buf), 0,
				  (struct sockaddr *)&p->to, &p->to_len), 4);
}

static void peer_send(const struct peer *p, unsigned int seq, size_t len)
{
	fill(seq, len);
	assert_int_equal(sendto(p->fd, dgram, len, 0,
				(const struct sockaddr *)&p->to, p->to_len),
			 (ssize_t)len);
}

/* Read exactly @len bytes from the QEMU end, waiting at most 2 s */
static void qemu_read(void *buf, size_t len)
{
	uint8_t *q = buf;
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = qemu, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 0) == 0) {
			run_loop(20);	/* let the link flush */
			assert_true(poll(&pfd, 1, 2000) == 1);
		}
		n = read(qemu, q + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* The next frame QEMU reads, into frame[]: its length */
static uint32_t qemu_read_frame(void)
{
	uint8_t hdr[4];
	uint32_t flen;

	qemu_read(hdr, 4);
	flen = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	       (uint32_t)hdr[2] << 8 | hdr[3];
	assert_true(flen <= sizeof(frame));
	qemu_read(frame, flen);
	return flen;
}

/*
 * The next frame QEMU reads is datagram @seq of @len bytes, from
 * @src:@sport (0: any port) to @dst:@dport, its checksum (if any) right
 * and its bytes the peer's
 */
static void expect_frame_from(const char *src, uint16_t sport,
			      const char *dst, uint16_t dport,
			      unsigned int seq, size_t len)
{
	union inany s = tu_addr(src), d = tu_addr(dst);
	struct pkt_cursor cur;
	struct eth_view eth;
	struct udp_view udp;
	struct ip_view ip;
	uint32_t flen;
	const uint8_t *pay;
	size_t j;

	flen = qemu_read_frame();

	cur = cur_make(frame, flen);
	assert_int_equal(eth_parse(&cur, &eth), PKT_OK);
	assert_memory_equal(eth.dst, guest_mac, 6);
	if (eth.type == ETH_P_IP_)
		assert_int_equal(ipv4_parse(&cur, &ip), PKT_OK);
	else
		assert_int_equal(ipv6_parse(&cur, &ip), PKT_OK);
	assert_int_equal(ip.proto, IPPROTO_UDP);
	assert_true(inany_equal(&ip.src, &s));
	assert_true(inany_equal(&ip.dst, &d));
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	assert_int_equal(udp.dport, dport);
	if (sport)
		assert_int_equal(udp.sport, sport);
	assert_int_equal(udp.len, UDP_HLEN + len);
	assert_int_equal(cur_len(&cur), len);
	pay = cur_peek(&cur, len);
	assert_true(len == 0 || pay);
	for (j = 0; j < len; j++) {
		if (pay[j] != pattern(seq, j))
			fail_msg("datagram %u (%zu bytes): byte %zu is %u, not %u",
				 seq, len, j, pay[j], pattern(seq, j));
	}
}

static void expect_frame(const char *src, const char *dst, uint16_t dport,
			 unsigned int seq, size_t len)
{
	expect_frame_from(src, 0, dst, dport, seq, len);
}

/* Nothing more for the guest */
static void expect_no_frame(void)
{
	struct pollfd pfd = { .fd = qemu, .events = POLLIN };

	run_loop(50);
	assert_int_equal(poll(&pfd, 1, 0), 0);
}

/*
 * @n datagrams of each size in @sizes: each run of one size is sent in
 * two halves (the first batch teaches the flow the length, the second
 * is read in place), and each arrives whole and in order
 */
static void sizes_arrive(const char *guest, const char *gw, const char *lo,
			 uint16_t gport, const size_t *sizes, size_t nsizes,
			 size_t max)
{
	uint64_t in_place = stats_get("udp", "to_guest_in_place");
	uint64_t too_big = stats_get("udp", "drop_too_big");
	unsigned int seq = 0, want_in_place = 0, dropped = 0, half, k;
	struct peer p;
	size_t i;

	peer_open(&p, guest, gport, gw, lo);
	for (i = 0; i < nsizes; i++) {
		for (half = 0; half < 2; half++) {
			unsigned int first = seq;

			for (k = 0; k < 3; k++)
				peer_send(&p, seq++, sizes[i]);
			run_loop(20);
			if (sizes[i] > max) {
				dropped += 3;
				continue;
			}
			for (k = first; k < seq; k++)
				expect_frame(gw, guest, gport, k, sizes[i]);
			if (half && sizes[i])
				want_in_place += 3;
		}
	}
	expect_no_frame();
	assert_int_equal(stats_get("udp", "drop_too_big") - too_big, dropped);
	/* At least the second half of every size that fits went in place */
	assert_true(stats_get("udp", "to_guest_in_place") - in_place >=
		    want_in_place);
	close(p.fd);
}

static void udp_in_place_ipv4_size_boundaries(void **state)
{
	static const size_t sizes[] = { 1, 0, 1, 2, 1472, MAX4 - 1, MAX4,
					MAX4 + 1, DGRAM_MAX, 3 };

	(void)state;
	NEED_NETNS();
	sizes_arrive("192.0.2.2", "192.0.2.1", "127.0.0.1", 40000, sizes,
		     ARRAY_SIZE(sizes), MAX4);
}

static void udp_in_place_ipv6_size_boundaries(void **state)
{
	static const size_t sizes[] = { 1, 0, 1, 1452, 1453, MAX6, MAX6 + 1,
					5 };

	(void)state;
	NEED_NETNS();
	sizes_arrive("fd00::2", "fd00::1", "::1", 40001, sizes,
		     ARRAY_SIZE(sizes), MAX6);
}

/*
 * The length changes inside a batch: a shorter datagram is the last one
 * sent in place, a longer one and all after it are moved out; none is
 * lost, reordered or cut
 */
static void udp_in_place_length_changes_mid_batch(void **state)
{
	static const size_t lens[] = { 1000, 1000, 1000, 999, 1000, 1001,
				       1000, 4000, 0, 1000, 1000, 1000 };
	uint64_t miss = stats_get("udp", "in_place_miss");
	unsigned int seq = 0, k;
	struct peer p;
	size_t i;

	(void)state;
	NEED_NETNS();
	peer_open(&p, "fd00::2", 40002, "fd00::1", "::1");
	for (k = 0; k < 3; k++)		/* teach the flow 1000 */
		peer_send(&p, seq++, 1000);
	run_loop(20);
	for (k = 0; k < 3; k++)
		expect_frame("fd00::1", "fd00::2", 40002, k, 1000);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		peer_send(&p, seq + (unsigned int)i, lens[i]);
	run_loop(20);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		expect_frame("fd00::1", "fd00::2", 40002,
			     seq + (unsigned int)i, lens[i]);
	expect_no_frame();
	assert_true(stats_get("udp", "in_place_miss") > miss);
	close(p.fd);
}

/*
 * QEMU stops reading: the ring fills, then frees from its start as QEMU
 * reads a part; the next frames are reserved across the ring's end
 * (headers and payloads split in two). All arrive intact, IPv4 and IPv6.
 */
static void wrap_one(const char *guest, const char *gw, const char *lo,
		     uint16_t gport, size_t len)
{
	unsigned int seq = 0, got = 0, k, round;
	struct peer p;

	peer_open(&p, guest, gport, gw, lo);
	for (round = 0; round < 4; round++) {
		/* about 2.4 MiB into a 4 MiB ring, QEMU reading nothing */
		for (k = 0; k < 40; k++) {
			peer_send(&p, seq++, len);
			if (k % 4 == 3)
				run_loop(5);
		}
		run_loop(20);
		/* QEMU reads some, the ring's start frees up */
		while (got < seq - 10)
			expect_frame(gw, guest, gport, got++, len);
	}
	while (got < seq)
		expect_frame(gw, guest, gport, got++, len);
	expect_no_frame();
	close(p.fd);
}

static void udp_in_place_across_ring_wrap(void **state)
{
	uint64_t in_place = stats_get("udp", "to_guest_in_place");

	(void)state;
	NEED_NETNS();
	wrap_one("192.0.2.2", "192.0.2.1", "127.0.0.1", 40003, 60001);
	wrap_one("fd00::2", "fd00::1", "::1", 40004, 59999);
	assert_true(stats_get("udp", "to_guest_in_place") - in_place >= 250);
	assert_int_equal(stats_get("udp", "drop_guest_full"), 0);
}

/* The guest sends @len bytes on the flow of @p (opened by peer_open()) */
static void guest_to_peer(const struct peer *p, const char *guest,
			  uint16_t gport, const char *gw, size_t len)
{
	struct frame_addrs a = { 0 };
	struct pkt_builder b;
	struct pkt_cursor cur;
	struct eth_view eth;
	struct udp_view udp;
	struct ip_view ip;

	memcpy(a.src_mac, guest_mac, 6);
	a.src = tu_addr(guest);
	a.dst = tu_addr(gw);
	pb_init(&b, frame, sizeof(frame));
	fill(0, len);
	assert_true(frame_udp(&b, &a, gport, p->port, dgram, len));
	cur = cur_make(frame, b.len);
	assert_int_equal(eth_parse(&cur, &eth), PKT_OK);
	assert_int_equal(ipv4_parse(&cur, &ip), PKT_OK);
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	udp_input(&ip, &udp, cur, clock_now_ns());
	udp_batch_end(clock_now_ns());
}

/*
 * The host peer goes away while its flow expects replies in place: the
 * port unreachable that ends the next read gives the reservation back
 * first, then reaches the guest as ICMP (the link would abort if a frame
 * were sent into reserved room)
 */
static void udp_in_place_port_unreachable(void **state)
{
	uint64_t unreach = stats_get("udp", "unreach_to_guest");
	struct pkt_cursor cur;
	struct eth_view eth;
	struct ip_view ip;
	struct peer p;
	uint32_t flen;
	unsigned int k;

	(void)state;
	NEED_NETNS();
	peer_open(&p, "192.0.2.2", 40005, "192.0.2.1", "127.0.0.1");
	for (k = 0; k < 3; k++)
		peer_send(&p, k, 500);
	run_loop(20);
	for (k = 0; k < 3; k++)
		expect_frame("192.0.2.1", "192.0.2.2", 40005, k, 500);
	for (k = 3; k < 6; k++)		/* now in place */
		peer_send(&p, k, 500);
	run_loop(20);
	for (k = 3; k < 6; k++)
		expect_frame("192.0.2.1", "192.0.2.2", 40005, k, 500);
	close(p.fd);
	guest_to_peer(&p, "192.0.2.2", 40005, "192.0.2.1", 10);
	run_loop(50);
	assert_int_equal(stats_get("udp", "unreach_to_guest") - unreach, 1);

	flen = qemu_read_frame();
	cur = cur_make(frame, flen);
	assert_int_equal(eth_parse(&cur, &eth), PKT_OK);
	assert_int_equal(ipv4_parse(&cur, &ip), PKT_OK);
	assert_int_equal(ip.proto, IPPROTO_ICMP);
	expect_no_frame();
}

/* A host socket on @lo that sends to the forwarded port */
static void fwd_peer(struct peer *p, const char *lo)
{
	union inany l = tu_addr(lo);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->to;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->to;
	struct sockaddr_storage me = { 0 };
	socklen_t sl = sizeof(me);

	memset(&p->to, 0, sizeof(p->to));
	if (inany_is_v4(&l)) {
		s4->sin_family = AF_INET;
		s4->sin_addr = l.v4mapped.a4;
		s4->sin_port = htons(FWD_PORT);
		p->to_len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = l.a6;
		s6->sin6_port = htons(FWD_PORT);
		p->to_len = sizeof(*s6);
	}
	p->fd = socket(p->to.ss_family, SOCK_DGRAM, 0);
	assert_true(p->fd >= 0);
	me.ss_family = p->to.ss_family;
	assert_int_equal(bind(p->fd, (struct sockaddr *)&me, p->to_len), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&me, &sl), 0);
	p->port = ntohs(((struct sockaddr_in *)&me)->sin_port);
}

/*
 * Two host peers send to a forwarded port, interleaved: one listener
 * socket, two flows, frames of one length read in place, each with its
 * own flow's headers; then the other IP version on the same (dual-stack)
 * listener ends the run
 */
static void udp_in_place_inbound_two_peers(void **state)
{
	static const size_t sizes[] = { 1200, 1200, 0, 1, MAX4, 7 };
	uint64_t in_place = stats_get("udp", "to_guest_in_place");
	unsigned int seq = 0, first, k;
	struct peer p[2], p6;
	size_t i;

	(void)state;
	NEED_NETNS();
	fwd_peer(&p[0], "127.0.0.1");
	fwd_peer(&p[1], "127.0.0.1");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		first = seq;
		for (k = 0; k < 4; k++)
			peer_send(&p[k & 1], seq++, sizes[i]);
		run_loop(20);
		for (k = first; k < seq; k++)
			expect_frame_from("192.0.2.1", p[k & 1].port,
					  "192.0.2.2", FWD_GUEST_PORT, k,
					  sizes[i]);
	}
	expect_no_frame();
	/* 1200 the second time, 1 after 0, MAX4 after 1: not all the
	 * first batch of a size, nor 0 */
	assert_true(stats_get("udp", "to_guest_in_place") - in_place >= 4);

	/* IPv6 between IPv4 datagrams of the expected length */
	fwd_peer(&p6, "::1");
	first = seq;
	peer_send(&p[0], seq++, 7);
	peer_send(&p6, seq++, 7);
	peer_send(&p[1], seq++, 7);
	run_loop(20);
	expect_frame_from("192.0.2.1", p[0].port, "192.0.2.2",
			  FWD_GUEST_PORT, first, 7);
	expect_frame_from("fd00::1", p6.port, "fd00::2", FWD_GUEST_PORT,
			  first + 1, 7);
	expect_frame_from("192.0.2.1", p[1].port, "192.0.2.2",
			  FWD_GUEST_PORT, first + 2, 7);
	expect_no_frame();
	close(p[0].fd);
	close(p[1].fd);
	close(p6.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_in_place_ipv4_size_boundaries),
		cmocka_unit_test(udp_in_place_ipv6_size_boundaries),
		cmocka_unit_test(udp_in_place_length_changes_mid_batch),
		cmocka_unit_test(udp_in_place_across_ring_wrap),
		cmocka_unit_test(udp_in_place_inbound_two_peers),
		cmocka_unit_test(udp_in_place_port_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
