// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_udp.c - UDP flows and ICMP echo (flow/udp.c, flow/icmp.c) on real
 * sockets, in a network namespace of our own
 *
 * The process unshares its network namespace first, so every socket lives
 * on a private loopback and no address can leave the machine; sysctls
 * written here (ping_group_range) belong to that namespace only. A fake
 * guest_tx collects the frames gangway sends to the guest; guest packets
 * are built with packet/build.h and parsed back, as ingress would.
 *
 * The tests share one flow table of MAX_FLOWS ids and run in order.
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
#include <unistd.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/stats.h"
#include "flow/icmp.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/udp.h"
#include "packet/build.h"
#include "packet/packet.h"

#include "../common/tu_addr.h"
#include "../common/tu_flow.h"
#include "../common/tu_netns.h"

#define MAX_FLOWS	4
#define FWD_PORT	34567	/* -u FWD_PORT:FWD_GUEST_PORT */
#define FWD_GUEST_PORT	4444

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t our_mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

static struct flow_conf fc;
static bool in_netns;

/* Frames "sent to the guest" */
#define FRAMES_MAX	8
static uint8_t frames[FRAMES_MAX][70000];
static size_t frame_len[FRAMES_MAX];
static int nframes;
static size_t room = 1 << 20;

static int fake_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	size_t i, off = 0;

	(void)tx;
	if (nframes >= FRAMES_MAX)
		return -EAGAIN;
	for (i = 0; i < cnt; i++) {
		if (off + iov[i].iov_len > sizeof(frames[0]))
			return -EMSGSIZE;
		memcpy(frames[nframes] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	frame_len[nframes++] = off;
	loop_stop(0);
	return 0;
}

static size_t fake_room(struct guest_tx *tx)
{
	(void)tx;
	return room;
}

static struct guest_tx tx = {
	.send = fake_send,
	.room = fake_room,
};

static struct timer stop_timer;

static void stop_fn(struct timer *t, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
	loop_stop(1);
}

/* Run the loop until a frame arrives (0) or @ms pass (1) */
static int run_loop(unsigned int ms)
{
	int rc;

	timer_arm(&stop_timer, clock_now_ns() + ms * NSEC_PER_MSEC);
	rc = loop_run();
	timer_cancel(&stop_timer);
	return rc;
}

/* Parse a frame down to its L4 view, as ingress does */
static void parse_frame(const uint8_t *f, size_t len, struct ip_view *ip,
			struct pkt_cursor *cur)
{
	struct eth_view eth;

	*cur = cur_make(f, len);
	assert_int_equal(eth_parse(cur, &eth), PKT_OK);
	if (eth.type == ETH_P_IP_)
		assert_int_equal(ipv4_parse(cur, ip), PKT_OK);
	else
		assert_int_equal(ipv6_parse(cur, ip), PKT_OK);
}

static uint8_t gbuf[70000];

/* Addresses of a frame from the guest, @src to @dst */
static struct frame_addrs from_guest(const char *src, const char *dst)
{
	struct frame_addrs a = { 0 };

	memcpy(a.src_mac, guest_mac, 6);
	memcpy(a.dst_mac, our_mac, 6);
	a.src = tu_addr(src);
	a.dst = tu_addr(dst);
	return a;
}

/* The guest sends a UDP datagram */
static void guest_udp(const char *src, uint16_t sport, const char *dst,
		      uint16_t dport, const void *data, size_t len,
		      uint64_t now_ns)
{
	struct frame_addrs a = from_guest(src, dst);
	struct pkt_builder b;
	struct pkt_cursor cur;
	struct udp_view udp;
	struct ip_view ip;

	pb_init(&b, gbuf, sizeof(gbuf));
	assert_true(frame_udp(&b, &a, sport, dport, data, len));
	parse_frame(gbuf, b.len, &ip, &cur);
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	udp_input(&ip, &udp, cur, now_ns);
	udp_batch_end(now_ns);
}

/* Guest frames of one link input pass: each stays valid until the end */
#define QUEUED_MAX	100
static uint8_t qbuf[QUEUED_MAX][256];
static int nqueued;

/* The guest sends a small UDP datagram, queued until udp_batch_end() */
static void guest_udp_queued(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, const char *data)
{
	struct frame_addrs a = from_guest(src, dst);
	struct pkt_builder b;
	struct pkt_cursor cur;
	struct udp_view udp;
	struct ip_view ip;

	assert_true(nqueued < QUEUED_MAX);
	pb_init(&b, qbuf[nqueued], sizeof(qbuf[0]));
	assert_true(frame_udp(&b, &a, sport, dport, data, strlen(data)));
	parse_frame(qbuf[nqueued], b.len, &ip, &cur);
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	udp_input(&ip, &udp, cur, clock_now_ns());
	nqueued++;
}

/* End the pass; the frames' buffers are overwritten as a link would */
static void guest_pass_end(void)
{
	udp_batch_end(clock_now_ns());
	memset(qbuf, 0xaa, sizeof(qbuf));
	nqueued = 0;
}

/* The guest sends an echo request */
static void guest_ping(const char *src, const char *dst, uint16_t id,
		       uint16_t seq, const char *data)
{
	uint8_t body[64] = { 0 };
	size_t dlen = strlen(data);
	struct frame_addrs a = from_guest(src, dst);
	struct icmp_view icmp;
	struct pkt_builder b;
	struct pkt_cursor cur;
	struct ip_view ip;

	body[0] = inany_is_v4(&a.src) ? ICMP_ECHO_REQUEST :
					 ICMPV6_ECHO_REQUEST;
	body[4] = id >> 8;
	body[5] = id & 0xff;
	body[6] = seq >> 8;
	body[7] = seq & 0xff;
	memcpy(body + 8, data, dlen);
	pb_init(&b, gbuf, sizeof(gbuf));
	assert_true(frame_icmp(&b, &a, body, 8 + dlen));
	parse_frame(gbuf, b.len, &ip, &cur);
	assert_int_equal(icmp_parse(&cur, &ip, &icmp), PKT_OK);
	icmp_input(&ip, &icmp, cur, clock_now_ns());
}

/* Check frame @i is UDP src:sport > dst:dport carrying @data */
static void expect_udp_frame(int i, const char *src, uint16_t sport,
			     const char *dst, uint16_t dport,
			     const void *data, size_t len)
{
	struct pkt_cursor cur;
	struct udp_view udp;
	struct ip_view ip;
	union inany s = tu_addr(src), d = tu_addr(dst);
	const uint8_t *u;

	assert_true(i < nframes);
	assert_memory_equal(frames[i], guest_mac, 6);
	assert_memory_equal(frames[i] + 6, our_mac, 6);
	parse_frame(frames[i], frame_len[i], &ip, &cur);
	assert_int_equal(ip.proto, IPPROTO_UDP);
	assert_true(inany_equal(&ip.src, &s));
	assert_true(inany_equal(&ip.dst, &d));
	/* IPv4: no UDP checksum (zero) by design; IPv6: one, checked by
	 * udp_parse() below */
	u = cur_peek(&cur, UDP_HLEN);
	assert_non_null(u);
	if (ip.version == 4)
		assert_int_equal(u[6] << 8 | u[7], 0);
	else
		assert_int_not_equal(u[6] << 8 | u[7], 0);
	assert_int_equal(udp_parse(&cur, &ip, &udp), PKT_OK);
	assert_int_equal(udp.sport, sport);
	assert_int_equal(udp.dport, dport);
	assert_int_equal(cur_len(&cur), len);
	assert_memory_equal(cur_peek(&cur, len), data, len);
}

/* @a:@port as a socket address; returns its length */
static socklen_t sockaddr_of(const char *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	union inany ia = tu_addr(a);

	memset(ss, 0, sizeof(*ss));
	if (inany_is_v4(&ia)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = ia.v4mapped.a4;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = ia.a6;
		return sizeof(*sin6);
	}
}

/* A host UDP socket bound to @a:@port (0: any port) */
static int host_sock(const char *a, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, port, &ss);
	int fd;

	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	return fd;
}

static uint16_t sock_port(int fd)
{
	struct sockaddr_in6 ss;
	socklen_t sl = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	return ntohs(ss.sin6_port);	/* same offset in sockaddr_in */
}

/* Receive on a host socket within 1 s; returns length, fills the peer */
static ssize_t host_recv(int fd, void *buf, size_t len,
			 struct sockaddr_storage *peer)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t sl = sizeof(*peer);

	if (poll(&p, 1, 1000) != 1)
		return -1;
	return recvfrom(fd, buf, len, 0, (struct sockaddr *)peer, &sl);
}

static void peer_is(const struct sockaddr_storage *ss, const char *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  buf, sizeof(buf));
	else
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
			  sizeof(buf));
	assert_string_equal(buf, a);
}

static uint16_t peer_port(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Host socket @fd has datagrams "@tag0" .. "@tag<n-1>", in order, then
 * nothing */
static void expect_host_seq(int fd, const char *tag, int n)
{
	struct sockaddr_storage peer;
	char buf[64], want[64];
	ssize_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = host_recv(fd, buf, sizeof(buf) - 1, &peer);
		assert_true(len > 0);
		buf[len] = 0;
		snprintf(want, sizeof(want), "%s%d", tag, i);
		assert_string_equal(buf, want);
	}
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

/* A server on the host side, on loopback: what the guest talks to */
struct host_peer {
	int fd;
	uint16_t port;			/* bound port */
	struct sockaddr_storage from;	/* source of the last datagram */
};

/* Open a peer on @a:@port (0: any port) */
static void peer_open(struct host_peer *p, const char *a, uint16_t port)
{
	p->fd = host_sock(a, port);
	p->port = sock_port(p->fd);
}

/* The peer receives exactly @data within 1 s */
static void peer_expect(struct host_peer *p, const void *data, size_t len)
{
	uint8_t buf[2000];

	assert_int_equal(host_recv(p->fd, buf, sizeof(buf), &p->from),
			 (ssize_t)len);
	assert_memory_equal(buf, data, len);
}

/* The peer received it from @a:@port */
static void peer_from_is(const struct host_peer *p, const char *a,
			 uint16_t port)
{
	peer_is(&p->from, a);
	assert_int_equal(peer_port(&p->from), port);
}

/* The peer answers the source of its last datagram */
static void peer_reply(struct host_peer *p, const void *data, size_t len)
{
	socklen_t sl = p->from.ss_family == AF_INET ?
		       sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	assert_int_equal(sendto(p->fd, data, len, 0,
				(struct sockaddr *)&p->from, sl), (ssize_t)len);
}

/* The peer sends to @dst:@port (a forwarded port) */
static void peer_send(struct host_peer *p, const char *dst, uint16_t port,
		      const void *data, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(dst, port, &ss);

	assert_int_equal(sendto(p->fd, data, len, 0, (struct sockaddr *)&ss,
				sl), (ssize_t)len);
}

/* The guest sends @data from @src:@sport to the peer's port at @dst, and
 * the peer receives exactly that */
static void guest_to_peer(struct host_peer *p, const char *src,
			  uint16_t sport, const char *dst, const void *data,
			  size_t len)
{
	guest_udp(src, sport, dst, p->port, data, len, clock_now_ns());
	peer_expect(p, data, len);
}

/* Frame 0, the next one the loop delivers, is UDP from the peer, seen as
 * @src, to @dst:@dport, carrying @data */
static void peer_reaches_guest(const struct host_peer *p, const char *src,
			       const char *dst, uint16_t dport,
			       const void *data, size_t len)
{
	assert_int_equal(run_loop(1000), 0);
	expect_udp_frame(0, src, p->port, dst, dport, data, len);
}

/* A port on @a with nobody behind it */
static uint16_t dead_port(const char *a)
{
	int h = host_sock(a, 0);
	uint16_t port = sock_port(h);

	close(h);
	return port;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) || tu_lo_up())
		return 0;	/* not root: every test skips */
	in_netns = true;

	tu_flow_conf_net(&fc);
	fc.max_flows = MAX_FLOWS;
	fc.mtu = 65520;
	fc.dns_fwd4 = tu_addr("192.0.2.3");
	fc.dns_host4 = tu_addr("127.0.0.2");
	fc.udp_fwd_count = 1;
	fc.udp_fwd[0].first = fc.udp_fwd[0].last = FWD_PORT;
	fc.udp_fwd[0].to_first = FWD_GUEST_PORT;

	memcpy(tx.our_mac, our_mac, 6);
	memcpy(tx.guest_mac, guest_mac, 6);
	assert_int_equal(loop_init(256), 0);
	timer_init(&stop_timer, stop_fn);
	assert_int_equal(flow_table_init(MAX_FLOWS), 0);
	assert_int_equal(nat_init(&fc), 0);
	assert_int_equal(udp_init(&fc, &tx), 0);
	assert_int_equal(icmp_init(&fc, &tx), 0);
	udp_set_idle(5 * NSEC_PER_SEC);
	return 0;
}

#define NEED_NETNS()				\
	do {					\
		if (!in_netns)			\
			skip();			\
	} while (0)

static void udp_echo_via_gateway(void **state)
{
	struct host_peer h;
	uint16_t first_port;

	(void)state;
	NEED_NETNS();
	peer_open(&h, "127.0.0.1", 0);
	nframes = 0;
	guest_to_peer(&h, "192.0.2.2", 40000, "192.0.2.1", "ping", 4);
	assert_int_equal(udp_flow_count(), 1);
	peer_is(&h.from, "127.0.0.1");
	first_port = peer_port(&h.from);

	peer_reply(&h, "pong!", 5);
	peer_reaches_guest(&h, "192.0.2.1", "192.0.2.2", 40000, "pong!", 5);

	/* Same 5-tuple: same flow, same host socket */
	guest_to_peer(&h, "192.0.2.2", 40000, "192.0.2.1", "again", 5);
	assert_int_equal(udp_flow_count(), 1);
	assert_int_equal(peer_port(&h.from), first_port);
	assert_int_equal(stats_get("udp", "to_host"), 2);
	assert_int_equal(stats_get("udp", "to_guest"), 1);
	close(h.fd);
}

static void udp_dns_forward_reply_from_forward_addr(void **state)
{
	struct host_peer h;

	(void)state;
	NEED_NETNS();
	peer_open(&h, "127.0.0.2", 53);
	nframes = 0;
	guest_to_peer(&h, "192.0.2.2", 40001, "192.0.2.3", "query", 5);
	peer_reply(&h, "answer", 6);
	peer_reaches_guest(&h, "192.0.2.3", "192.0.2.2", 40001, "answer", 6);
	assert_int_equal(udp_flow_count(), 2);
	close(h.fd);
}

/*
 * A peer on @bind sends to the forwarded port at @to; the guest (@guest)
 * sees it from @gw and answers; the peer hears the answer from @to (the
 * address it addressed) and the forwarded port. @udp_flows: the count
 * after each step, -1 not to check.
 */
static void inbound_round_trip(const char *bind, const char *to,
			       const char *gw, const char *guest,
			       const char *in, const char *out, int udp_flows)
{
	struct host_peer h;

	peer_open(&h, bind, 0);
	nframes = 0;
	peer_send(&h, to, FWD_PORT, in, strlen(in));
	peer_reaches_guest(&h, gw, guest, FWD_GUEST_PORT, in, strlen(in));
	if (udp_flows >= 0)
		assert_int_equal(udp_flow_count(), udp_flows);

	/* The guest's reply goes back to the peer from the forwarded port */
	guest_to_peer(&h, guest, FWD_GUEST_PORT, gw, out, strlen(out));
	peer_from_is(&h, to, FWD_PORT);
	if (udp_flows >= 0)
		assert_int_equal(udp_flow_count(), udp_flows);
	close(h.fd);
}

static void udp_inbound_forward_ipv4(void **state)
{
	(void)state;
	NEED_NETNS();
	/* 127.0.0.1 appears as the gateway, the port is mapped */
	inbound_round_trip("127.0.0.1", "127.0.0.1", "192.0.2.1", "192.0.2.2",
			   "in", "out", 3);
}

static void udp_flow_limit_refuses_new_keeps_old(void **state)
{
	struct sockaddr_storage from;
	struct host_peer h;
	uint8_t buf[100];

	(void)state;
	NEED_NETNS();
	peer_open(&h, "127.0.0.1", 0);
	/* Three flows are open: this one takes the last id */
	guest_to_peer(&h, "192.0.2.2", 41000, "192.0.2.1", "a", 1);
	assert_int_equal(flow_count(), MAX_FLOWS);

	guest_udp("192.0.2.2", 41001, "192.0.2.1", h.port, "b", 1,
		  clock_now_ns());
	guest_udp("192.0.2.2", 41002, "192.0.2.1", h.port, "c", 1,
		  clock_now_ns());
	assert_int_equal(stats_get("udp", "refused_full"), 2);
	assert_int_equal(host_recv(h.fd, buf, sizeof(buf), &from), -1);
	assert_int_equal(udp_flow_count(), MAX_FLOWS);
	assert_int_equal(flow_high_water(), MAX_FLOWS);

	/* The existing flow still carries datagrams */
	guest_to_peer(&h, "192.0.2.2", 41000, "192.0.2.1", "d", 1);
	close(h.fd);
}

static void udp_idle_flows_expire(void **state)
{
	(void)state;
	NEED_NETNS();
	assert_int_equal(udp_flow_count(), MAX_FLOWS);
	udp_set_idle(50 * NSEC_PER_MSEC);
	nframes = 0;
	assert_int_equal(run_loop(300), 1);	/* no frames, just time */
	assert_int_equal(udp_flow_count(), 0);
	assert_int_equal(flow_count(), 0);	/* ids back after the post */
	assert_int_equal(stats_get("udp", "flows_expired"), MAX_FLOWS);
	udp_set_idle(5 * NSEC_PER_SEC);
}

/* Close every UDP flow by making them all idle for long enough */
static void expire_udp(void)
{
	udp_set_idle(50 * NSEC_PER_MSEC);
	run_loop(200);
	udp_set_idle(5 * NSEC_PER_SEC);
	assert_int_equal(udp_flow_count(), 0);
}

static void udp_large_datagrams_one_frame_or_dropped(void **state)
{
	static uint8_t big[65500];
	struct host_peer h;

	(void)state;
	NEED_NETNS();
	peer_open(&h, "127.0.0.1", 0);
	nframes = 0;
	guest_to_peer(&h, "192.0.2.2", 42000, "192.0.2.1", "x", 1);
	/* MTU 65520: up to 65520 - 20 - 8 = 65492 bytes fit in one frame */
	memset(big, 'z', sizeof(big));
	peer_reply(&h, big, 65492);
	peer_reaches_guest(&h, "192.0.2.1", "192.0.2.2", 42000, big, 65492);
	/* One byte more does not fit: dropped and counted, never split */
	nframes = 0;
	peer_reply(&h, big, 65493);
	assert_int_equal(run_loop(300), 1);
	assert_int_equal(nframes, 0);
	assert_int_equal(stats_get("udp", "drop_too_big"), 1);
	close(h.fd);
}

static void icmp_echo_rewrite_checks(void **state)
{
	uint8_t m[16] = { ICMP_ECHO_REPLY, 0, 0xab, 0xcd, 0x99, 0x99, 0, 7 };

	(void)state;
	assert_true(icmp_echo_rewrite(m, sizeof(m), false, 0x1234));
	assert_int_equal(m[2] | m[3], 0);
	assert_int_equal(m[4], 0x12);
	assert_int_equal(m[5], 0x34);
	assert_int_equal(m[7], 7);	/* sequence untouched */
	/* Wrong family, wrong type, nonzero code, too short */
	assert_false(icmp_echo_rewrite(m, sizeof(m), true, 1));
	m[0] = ICMP_ECHO_REQUEST;
	assert_false(icmp_echo_rewrite(m, sizeof(m), false, 1));
	m[0] = ICMPV6_ECHO_REPLY;
	assert_true(icmp_echo_rewrite(m, sizeof(m), true, 1));
	m[1] = 1;
	assert_false(icmp_echo_rewrite(m, sizeof(m), true, 1));
	m[1] = 0;
	assert_false(icmp_echo_rewrite(m, 7, true, 1));
}

static void icmp_ping_sockets_denied_counted(void **state)
{
	(void)state;
	NEED_NETNS();
	/* A new namespace starts with ping_group_range "1 0": nobody */
	assert_int_equal(write_sysctl("/proc/sys/net/ipv4/ping_group_range",
				      "1 0"), 0);
	guest_ping("192.0.2.2", "192.0.2.1", 0x4242, 1, "hello");
	guest_ping("192.0.2.2", "192.0.2.1", 0x4242, 2, "hello");
	assert_int_equal(stats_get("icmp", "drop_no_ping_socket"), 2);
	assert_int_equal(icmp_flow_count(), 0);
}

/* Parse frame @i as an echo reply: source, identifier, sequence, data */
static void expect_echo_reply(int i, const char *src, const char *dst,
			      uint16_t id, uint16_t seq, const char *data)
{
	struct pkt_cursor cur;
	struct icmp_view icmp;
	struct ip_view ip;
	union inany s = tu_addr(src), d = tu_addr(dst);
	size_t dlen = strlen(data);

	assert_true(i < nframes);
	parse_frame(frames[i], frame_len[i], &ip, &cur);
	assert_true(inany_equal(&ip.src, &s));
	assert_true(inany_equal(&ip.dst, &d));
	assert_int_equal(icmp_parse(&cur, &ip, &icmp), PKT_OK);
	assert_int_equal(icmp.type, ip.version == 4 ? ICMP_ECHO_REPLY :
						      ICMPV6_ECHO_REPLY);
	assert_int_equal(icmp.id, id);
	assert_int_equal(icmp.seq, seq);
	assert_int_equal(cur_len(&cur), 4 + dlen);
	assert_memory_equal(cur_peek(&cur, 4 + dlen) + 4, data, dlen);
}

/* The guest pings @dst, which answers: @flows echo flows are then open */
static void ping_answered(const char *src, const char *dst, uint16_t id,
			  uint16_t seq, const char *data, int flows)
{
	nframes = 0;
	guest_ping(src, dst, id, seq, data);
	assert_int_equal(icmp_flow_count(), flows);
	assert_int_equal(run_loop(1000), 0);
	expect_echo_reply(0, dst, src, id, seq, data);
}

static void icmp_echo_to_gateway_ipv4_and_ipv6(void **state)
{
	(void)state;
	NEED_NETNS();
	assert_int_equal(write_sysctl("/proc/sys/net/ipv4/ping_group_range",
				      "0 2147483647"), 0);
	ping_answered("192.0.2.2", "192.0.2.1", 0x4242, 3, "hello", 1);
	ping_answered("fd00::2", "fd00::1", 0x0102, 9, "six", 2);
	/* Same id again: same flow */
	ping_answered("192.0.2.2", "192.0.2.1", 0x4242, 4, "again", 2);
	assert_int_equal(stats_get("icmp", "replies"), 3);
}

static void udp_inbound_forward_ipv6(void **state)
{
	(void)state;
	NEED_NETNS();
	expire_udp();
	inbound_round_trip("::1", "::1", "fd00::1", "fd00::2", "in6", "out6",
			   -1);
}

static void udp_no_room_waits_instead_of_dropping(void **state)
{
	struct host_peer h;
	int i;

	(void)state;
	NEED_NETNS();
	expire_udp();
	peer_open(&h, "127.0.0.1", 0);
	guest_to_peer(&h, "192.0.2.2", 43000, "192.0.2.1", "x", 1);
	for (i = 0; i < 3; i++)
		peer_reply(&h, "r", 1);
	room = 0;
	nframes = 0;
	assert_int_equal(run_loop(100), 1);
	assert_int_equal(nframes, 0);
	room = 1 << 20;
	guest_tx_wake(&tx, clock_now_ns());
	assert_int_equal(run_loop(1000), 0);
	assert_true(nframes >= 1);
	close(h.fd);
}

/* Frame @i is a port unreachable from @src quoting guest port @gport */
static void expect_port_unreach(int i, const char *src, uint16_t gport,
				uint16_t rport)
{
	struct pkt_cursor cur, q;
	struct icmp_view icmp;
	struct ip_view ip, qip;
	union inany s = tu_addr(src);
	const uint8_t *u;

	assert_true(i < nframes);
	parse_frame(frames[i], frame_len[i], &ip, &cur);
	assert_true(inany_equal(&ip.src, &s));
	assert_int_equal(icmp_parse(&cur, &ip, &icmp), PKT_OK);
	if (ip.version == 4) {
		assert_int_equal(icmp.type, 3);
		assert_int_equal(icmp.code, 3);
	} else {
		assert_int_equal(icmp.type, 1);
		assert_int_equal(icmp.code, 4);
	}
	/* Unused word, then the quoted IP and UDP headers */
	assert_true(cur_skip(&cur, 4));
	q = cur;
	if (ip.version == 4)
		assert_int_equal(ipv4_parse(&q, &qip), PKT_OK);
	else
		assert_int_equal(ipv6_parse(&q, &qip), PKT_OK);
	assert_int_equal(qip.proto, IPPROTO_UDP);
	assert_true(inany_equal(&qip.src, &ip.dst));
	assert_true(inany_equal(&qip.dst, &s));
	u = cur_peek(&q, 4);
	assert_non_null(u);
	assert_int_equal(u[0] << 8 | u[1], gport);
	assert_int_equal(u[2] << 8 | u[3], rport);
}

static void udp_port_unreachable_reaches_guest(void **state)
{
	uint16_t port4, port6;

	(void)state;
	NEED_NETNS();
	expire_udp();
	/* Ports with nobody behind them */
	port4 = dead_port("127.0.0.1");
	port6 = dead_port("::1");
	nframes = 0;
	guest_udp("192.0.2.2", 44000, "192.0.2.1", port4, "x", 1,
		  clock_now_ns());
	assert_int_equal(run_loop(1000), 0);
	expect_port_unreach(0, "192.0.2.1", 44000, port4);

	nframes = 0;
	guest_udp("fd00::2", 44001, "fd00::1", port6, "x", 1,
		  clock_now_ns());
	assert_int_equal(run_loop(1000), 0);
	expect_port_unreach(0, "fd00::1", 44001, port6);
	assert_int_equal(stats_get("udp", "unreach_to_guest"), 2);
}

/* A peer that addressed 127.0.0.5 hears the guest's reply from 127.0.0.5 */
static void udp_inbound_reply_from_addressed_local(void **state)
{
	(void)state;
	NEED_NETNS();
	expire_udp();
	inbound_round_trip("127.0.0.1", "127.0.0.5", "192.0.2.1", "192.0.2.2",
			   "in", "out", -1);
}

/* Inbound flows go to the address the guest was last seen using */
static void udp_inbound_follows_observed_guest_address(void **state)
{
	struct host_peer h;

	(void)state;
	NEED_NETNS();
	expire_udp();
	peer_open(&h, "::1", 0);
	/* The guest talks from a SLAAC address, not the configured one */
	guest_to_peer(&h, "fd00::5054:ff:fe12:3456", 45000, "fd00::1", "hi",
		      2);
	nframes = 0;
	peer_send(&h, "::1", FWD_PORT, "in", 2);
	peer_reaches_guest(&h, "fd00::1", "fd00::5054:ff:fe12:3456",
			   FWD_GUEST_PORT, "in", 2);
	close(h.fd);
}

static void icmp_idle_flows_expire(void **state)
{
	(void)state;
	NEED_NETNS();
	assert_int_equal(icmp_flow_count(), 2);
	icmp_set_idle(50 * NSEC_PER_MSEC);
	nframes = 0;
	assert_int_equal(run_loop(300), 1);
	assert_int_equal(icmp_flow_count(), 0);
	assert_int_equal(stats_get("icmp", "flows_expired"), 2);
	icmp_set_idle(ICMP_IDLE_NS);

	/* A new request after expiry opens a new flow and still works */
	ping_answered("192.0.2.2", "192.0.2.1", 0x4242, 5, "back", 1);
	assert_int_equal(icmp_flow_count(), 1);
}

/* One pass, datagrams to three destinations interleaved, more than one
 * send batch: every one arrives, each destination's in the guest's order */
static void udp_batch_many_destinations_in_order(void **state)
{
	uint64_t to_host = stats_get("udp", "to_host");
	const char *dst[3] = { "192.0.2.1", "192.0.2.1", "fd00::1" };
	char data[32];
	int h[3], i;
	uint16_t port[3];

	(void)state;
	NEED_NETNS();
	expire_udp();
	h[0] = host_sock("127.0.0.1", 0);
	h[1] = host_sock("127.0.0.1", 0);
	h[2] = host_sock("::1", 0);
	for (i = 0; i < 3; i++)
		port[i] = sock_port(h[i]);

	for (i = 0; i < QUEUED_MAX; i++) {
		int d = (i * 7 / 3) % 3;	/* irregular interleaving */
		static int seq[3];

		snprintf(data, sizeof(data), "%c%d", 'a' + d, seq[d]++);
		guest_udp_queued(d == 2 ? "fd00::2" : "192.0.2.2", 41000,
				 dst[d], port[d], data);
	}
	guest_pass_end();
	assert_int_equal(udp_flow_count(), 3);
	for (i = 0; i < 3; i++) {
		int n = 0, k;
		char tag[2] = { (char)('a' + i), 0 };

		for (k = 0; k < QUEUED_MAX; k++)
			n += (k * 7 / 3) % 3 == i;
		expect_host_seq(h[i], tag, n);
		close(h[i]);
	}
	assert_int_equal(stats_get("udp", "to_host") - to_host, QUEUED_MAX);
}

/*
 * A destination that refuses (port unreachable, reported on the next
 * send as ECONNREFUSED) in the middle of a pass: the datagrams to the
 * other destination all arrive; and once somebody listens there, the
 * pending error costs none of the next pass's datagrams.
 */
static void udp_batch_refused_loses_nothing_else(void **state)
{
	uint16_t open_port, closed_port;
	char data[32];
	int h, c, i;

	(void)state;
	NEED_NETNS();
	expire_udp();
	h = host_sock("127.0.0.1", 0);
	open_port = sock_port(h);
	c = host_sock("127.0.0.1", 0);
	closed_port = sock_port(c);
	close(c);

	for (i = 0; i < 10; i++) {
		snprintf(data, sizeof(data), "o%d", i);
		guest_udp_queued("192.0.2.2", 42000, "192.0.2.1", open_port,
				 data);
		snprintf(data, sizeof(data), "c%d", i);
		guest_udp_queued("192.0.2.2", 42001, "192.0.2.1", closed_port,
				 data);
	}
	guest_pass_end();
	expect_host_seq(h, "o", 10);

	/* The refusal of the last datagram is pending on the flow's socket */
	c = host_sock("127.0.0.1", closed_port);
	for (i = 0; i < 5; i++) {
		snprintf(data, sizeof(data), "r%d", i);
		guest_udp_queued("192.0.2.2", 42001, "192.0.2.1", closed_port,
				 data);
	}
	guest_pass_end();
	expect_host_seq(c, "r", 5);
	close(c);
	close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_echo_via_gateway),
		cmocka_unit_test(udp_dns_forward_reply_from_forward_addr),
		cmocka_unit_test(udp_inbound_forward_ipv4),
		cmocka_unit_test(udp_flow_limit_refuses_new_keeps_old),
		cmocka_unit_test(udp_idle_flows_expire),
		cmocka_unit_test(udp_large_datagrams_one_frame_or_dropped),
		cmocka_unit_test(icmp_echo_rewrite_checks),
		cmocka_unit_test(icmp_ping_sockets_denied_counted),
		cmocka_unit_test(icmp_echo_to_gateway_ipv4_and_ipv6),
		cmocka_unit_test(udp_inbound_forward_ipv6),
		cmocka_unit_test(udp_no_room_waits_instead_of_dropping),
		cmocka_unit_test(udp_port_unreachable_reaches_guest),
		cmocka_unit_test(udp_inbound_reply_from_addressed_local),
		cmocka_unit_test(udp_inbound_follows_observed_guest_address),
		cmocka_unit_test(icmp_idle_flows_expire),
		cmocka_unit_test(udp_batch_many_destinations_in_order),
		cmocka_unit_test(udp_batch_refused_loses_nothing_else),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
