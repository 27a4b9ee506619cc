// SPDX-License-Identifier: GPL-2.0-or-later
/* test_build.c - whatever a builder emits parses back to the same view */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pkt_util.h"

static uint8_t fb[70000];

static void build_udp_round_trip_v4_v6(void **state)
{
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fe80::1", "fe80::5054:ff:fe12:3456" } };
	uint8_t pl[300];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 13);
	for (k = 0; k < 2; k++) {
		struct frame_addrs a = tu_addrs(pairs[k][0], pairs[k][1]);
		struct pkt_cursor l4;
		struct eth_view eth;
		struct pkt_builder b;
		struct ip_view ip;
		struct udp_view u;

		a.ttl = 255;
		pb_init(&b, fb, sizeof(fb));
		assert_true(frame_udp(&b, &a, 67, 68, pl, 299));
		assert_false(b.overflow);
		assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4),
				 PKT_OK);
		assert_memory_equal(eth.src, a.src_mac, ETH_ALEN);
		assert_memory_equal(eth.dst, a.dst_mac, ETH_ALEN);
		assert_int_equal(ip.version, k ? 6 : 4);
		assert_int_equal(ip.ttl, 255);
		assert_true(inany_equal(&ip.src, &a.src));
		assert_true(inany_equal(&ip.dst, &a.dst));
		assert_int_equal(ip.proto, IPPROTO_UDP);
		assert_int_equal(udp_parse(&l4, &ip, &u), PKT_OK);
		assert_int_equal(u.sport, 67);
		assert_int_equal(u.dport, 68);
		assert_int_equal(u.len, 8 + 299);
		assert_int_equal(cur_len(&l4), 299);
		assert_memory_equal(cur_peek(&l4, 299), pl, 299);
	}
}

/* Headers built apart, payload appended as the link would from a second
 * iovec: the same frame as frame_udp() gives, checksum aside for IPv4
 * when asked for none */
static void build_udp_hdr_matches_frame_udp(void **state)
{
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fd00::1", "fd00::2" } };
	static uint8_t whole[70000], apart[70000];
	uint8_t pl[1001];
	size_t i, k, len;
	int csum4;

	(void)state;
	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	for (k = 0; k < 2; k++) {
		for (len = 0; len <= sizeof(pl); len += 333) {
			for (csum4 = 0; csum4 < 2; csum4++) {
				struct frame_addrs a = tu_addrs(pairs[k][0],
								pairs[k][1]);
				struct pkt_builder b, h;
				struct pkt_cursor l4;
				struct eth_view eth;
				struct ip_view ip;
				struct udp_view u;
				size_t uo = ETH_HLEN + (k ? 40 : 20);

				pb_init(&b, whole, sizeof(whole));
				assert_true(frame_udp(&b, &a, 5000, 6000, pl,
						      len));
				pb_init(&h, apart, sizeof(apart));
				assert_true(frame_udp_hdr(&h, &a, 5000, 6000,
							  pl, len, csum4));
				assert_int_equal(h.len, uo + UDP_HLEN);
				memcpy(apart + h.len, pl, len);
				if (!k && !csum4) {
					/* no checksum: zero */
					assert_int_equal(apart[uo + 6], 0);
					assert_int_equal(apart[uo + 7], 0);
					apart[uo + 6] = whole[uo + 6];
					apart[uo + 7] = whole[uo + 7];
				}
				assert_memory_equal(whole, apart, b.len);
				if (!k && !csum4)
					apart[uo + 6] = apart[uo + 7] = 0;
				assert_int_equal(tu_parse_l3(apart, b.len,
							     &eth, &ip, &l4),
						 PKT_OK);
				assert_int_equal(udp_parse(&l4, &ip, &u),
						 PKT_OK);
				assert_int_equal(cur_len(&l4), len);
			}
		}
	}
	/* a payload too long for the IP length field */
	{
		struct frame_addrs a = tu_addrs("192.0.2.1", "192.0.2.2");
		struct pkt_builder h;

		pb_init(&h, apart, sizeof(apart));
		assert_false(frame_udp_hdr(&h, &a, 1, 2, whole,
					   65535 - 20 - 8 + 1, false));
	}
}

/* ICMP headers built apart, the message summed in place: the same frame
 * as frame_icmp() gives */
static void build_icmp_hdr_matches_frame_icmp(void **state)
{
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fd00::1", "fd00::2" } };
	static uint8_t whole[70000], apart[70000], msg[3001];
	size_t k, len, i;

	(void)state;
	for (k = 0; k < 2; k++) {
		for (len = 8; len <= sizeof(msg); len += 997) {
			struct frame_addrs a = tu_addrs(pairs[k][0],
							pairs[k][1]);
			struct pkt_builder b, h;

			for (i = 0; i < len; i++)
				msg[i] = (uint8_t)(i * 5 + k);
			msg[0] = k ? 129 : 0;	/* echo reply */
			msg[1] = 0;
			pb_init(&b, whole, sizeof(whole));
			assert_true(frame_icmp(&b, &a, msg, len));
			msg[2] = msg[3] = 0x55;	/* overwritten */
			pb_init(&h, apart, sizeof(apart));
			assert_true(frame_icmp_hdr(&h, &a, msg, len));
			assert_int_equal(h.len + len, b.len);
			memcpy(apart + h.len, msg, len);
			assert_memory_equal(whole, apart, b.len);
		}
	}
	{
		struct frame_addrs a = tu_addrs("192.0.2.1", "192.0.2.2");
		struct pkt_builder h;

		pb_init(&h, apart, sizeof(apart));
		assert_false(frame_icmp_hdr(&h, &a, msg, 3));
	}
}

static void build_tcp_round_trip_iov(void **state)
{
	static const uint8_t opts[] = { 2, 4, 0x3f, 0xd8, 1, 3, 3, 9,
					4, 2, 1, 1 };
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fd00::1", "fd00::2" } };
	uint8_t data[1001];
	struct iovec iov[3] = { { data, 1 }, { data + 1, 500 },
				{ data + 501, 500 } };
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	for (k = 0; k < 2; k++) {
		struct frame_addrs a = tu_addrs(pairs[k][0], pairs[k][1]);
		struct tcp_fields t = {
			.sport = 80, .dport = 40000, .seq = 0xfffffff0u,
			.ack = 12345, .flags = TCP_F_SYN | TCP_F_ACK,
			.window = 29200, .opts = opts, .optlen = sizeof(opts),
		};
		struct pkt_cursor l4;
		struct eth_view eth;
		struct pkt_builder b;
		struct ip_view ip;
		struct tcp_view v;

		pb_init(&b, fb, sizeof(fb));
		assert_true(frame_tcp(&b, &a, &t, iov, 3, 1000));
		assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4),
				 PKT_OK);
		assert_int_equal(ip.proto, IPPROTO_TCP);
		assert_int_equal(tcp_parse(&l4, &ip, &v), PKT_OK);
		assert_int_equal(v.sport, 80);
		assert_int_equal(v.dport, 40000);
		assert_int_equal(v.seq, 0xfffffff0u);
		assert_int_equal(v.ack, 12345);
		assert_int_equal(v.flags, TCP_F_SYN | TCP_F_ACK);
		assert_int_equal(v.window, 29200);
		assert_int_equal(v.mss, 16344);
		assert_int_equal(v.wscale, 9);
		assert_true(v.sack_ok);
		assert_int_equal(v.paylen, 1000);
		assert_memory_equal(cur_peek(&l4, 1000), data, 1000);
	}
}

/*
 * no_l4_csum: TCP, UDP and ICMP leave their checksum out (UDP over IPv6
 * 0xffff, never 0); the parsers refuse that unless told not to verify,
 * and then take it, payload intact. The IPv4 header checksum stays.
 */
static void build_no_l4_csum_trusted_parse(void **state)
{
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fd00::1", "fd00::2" } };
	static const uint8_t echo[12] = { 0, 0, 0, 0, 0x12, 0x34, 0, 1,
					  'p', 'i', 'n', 'g' };
	struct tcp_fields t = { .sport = 80, .dport = 40000, .seq = 7,
				.flags = TCP_F_ACK, .window = 100 };
	uint8_t data[300];
	struct iovec iov = { data, sizeof(data) };
	size_t k, p;

	(void)state;
	memset(data, 0xa5, sizeof(data));
	for (k = 0; k < 2; k++) {
		for (p = 0; p < 3; p++) {
			struct frame_addrs a = tu_addrs(pairs[k][0],
							pairs[k][1]);
			struct pkt_cursor l4, again;
			struct icmp_view iv;
			struct eth_view eth;
			struct pkt_builder b;
			struct ip_view ip;
			struct tcp_view tv;
			struct udp_view uv;
			enum pkt_err e;
			uint8_t csum[2];

			pb_init(&b, fb, sizeof(fb));
			b.no_l4_csum = true;
			if (p == 0)
				assert_true(frame_tcp(&b, &a, &t, &iov, 1,
						      sizeof(data)));
			else if (p == 1)
				assert_true(frame_udp(&b, &a, 53, 4000, data,
						      sizeof(data)));
			else
				assert_true(frame_icmp(&b, &a, echo,
						       sizeof(echo)));
			assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip,
						     &l4), PKT_OK);
			assert_false(ip.l4_csum_trusted);
			memcpy(csum, cur_peek(&l4, 8 + (p == 0) * 12) +
			       (p == 0 ? 16 : p == 1 ? 6 : 2), 2);
			assert_int_equal(csum[0] | csum[1] << 8,
					 p == 1 && k == 1 ? 0xffff : 0);
			again = l4;
			e = p == 0 ? tcp_parse(&again, &ip, &tv) :
			    p == 1 ? udp_parse(&again, &ip, &uv) :
				     icmp_parse(&again, &ip, &iv);
			/* IPv4 UDP without a checksum is valid as it is */
			if (p == 1 && k == 0)
				assert_int_equal(e, PKT_OK);
			else
				assert_int_equal(e, PKT_E_BAD_CSUM);
			ip.l4_csum_trusted = true;
			e = p == 0 ? tcp_parse(&l4, &ip, &tv) :
			    p == 1 ? udp_parse(&l4, &ip, &uv) :
				     icmp_parse(&l4, &ip, &iv);
			assert_int_equal(e, PKT_OK);
			if (p < 2)
				assert_memory_equal(cur_peek(&l4, sizeof(data)),
						    data, sizeof(data));
		}
	}
}

/* Segments from a template are byte for byte what frame_tcp() builds */
static void build_tcp_template_matches_frame_tcp(void **state)
{
	static uint8_t data[65000], tf[ETH_HLEN + IPV6_HLEN + TCP_HLEN_MIN];
	static const size_t lens[] = { 0, 1, 1001, 1460, 65000 - 40 - 20 };
	const char *pairs[][2] = { { "192.0.2.1", "192.0.2.2" },
				   { "fd00::1", "fd00::2" } };
	size_t i, k, j;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	for (k = 0; k < 2; k++) {
		struct frame_addrs a = tu_addrs(pairs[k][0], pairs[k][1]);
		struct tcp_fields t = {
			.sport = 443, .dport = 50000, .ack = 0x89abcdefu,
			.flags = TCP_F_ACK, .window = 512,
		};
		struct tcp_tmpl tp;

		assert_true(tcp_tmpl_init(&tp, &a, &t, false));
		assert_int_equal(tp.len, k ? 74 : 54);
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			struct iovec iov = { data + j, lens[j] };
			uint32_t seq = 0xfffff000u + (uint32_t)j * 4000;
			uint8_t fl = TCP_F_ACK | (j & 1 ? TCP_F_PSH : 0);
			struct pkt_cursor l4;
			struct eth_view eth;
			struct pkt_builder b;
			struct ip_view ip;
			struct tcp_view v;

			t.seq = seq;
			t.flags = fl;
			pb_init(&b, fb, sizeof(fb));
			assert_true(frame_tcp(&b, &a, &t, &iov, 1, lens[j]));
			assert_true(tcp_tmpl_fill(&tp, tf, seq, fl, lens[j],
						  csum_partial(data + j,
							       lens[j], 0)));
			assert_memory_equal(tf, fb, tp.len);
			memcpy(fb, tf, tp.len);
			assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip,
						     &l4), PKT_OK);
			assert_int_equal(tcp_parse(&l4, &ip, &v), PKT_OK);
			assert_int_equal(v.seq, seq);
			assert_int_equal(v.paylen, lens[j]);
		}
		assert_false(tcp_tmpl_fill(&tp, tf, 0, TCP_F_ACK, 65535, 0));
	}
}

static void build_tcp_refuses_bad_input(void **state)
{
	struct frame_addrs a = tu_addrs("192.0.2.1", "192.0.2.2");
	static const uint8_t opts[44];
	struct tcp_fields t = { .opts = opts, .optlen = 3 };
	uint8_t data[10] = { 0 };
	struct iovec iov = { data, sizeof(data) };
	struct pkt_builder b;

	(void)state;
	pb_init(&b, fb, sizeof(fb));
	assert_false(frame_tcp(&b, &a, &t, &iov, 1, 0));	/* not x4 */
	t.optlen = 44;
	pb_init(&b, fb, sizeof(fb));
	assert_false(frame_tcp(&b, &a, &t, &iov, 1, 0));	/* > 40 */
	t.optlen = 0;
	pb_init(&b, fb, sizeof(fb));
	assert_false(frame_tcp(&b, &a, &t, &iov, 1, 11));	/* iov short */
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_tcp(&b, &a, &t, &iov, 1, 10));
}

static void build_icmp_round_trip(void **state)
{
	uint8_t body[16] = { ICMPV6_ECHO_REPLY, 0, 0xaa, 0xbb, 0, 1, 0, 2 };
	struct frame_addrs a = tu_addrs("fe80::1", "fe80::2");
	struct pkt_cursor l4;
	struct eth_view eth;
	struct pkt_builder b;
	struct icmp_view v;
	struct ip_view ip;

	(void)state;
	pb_init(&b, fb, sizeof(fb));
	/* a stale checksum in the body is overwritten */
	assert_true(frame_icmp(&b, &a, body, sizeof(body)));
	assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(icmp_parse(&l4, &ip, &v), PKT_OK);
	assert_int_equal(v.type, ICMPV6_ECHO_REPLY);
	assert_int_equal(v.id, 1);
	assert_int_equal(v.seq, 2);

	pb_init(&b, fb, sizeof(fb));
	assert_false(frame_icmp(&b, &a, body, 3));
}

static void build_arp_round_trip(void **state)
{
	struct arp_view in = {
		.op = ARP_OP_REPLY,
		.sha = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 },
		.tha = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
	}, out;
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff,
						 0xff, 0xff, 0xff };
	struct pkt_builder b;
	struct pkt_cursor c;
	struct eth_view eth;

	(void)state;
	in.spa.s_addr = htonl(0xc0000201);
	in.tpa.s_addr = htonl(0xc0000202);
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_arp(&b, bcast, &in));
	assert_int_equal(b.len, ETH_HLEN + ARP_LEN);
	c = cur_make(fb, b.len);
	assert_int_equal(eth_parse(&c, &eth), PKT_OK);
	assert_int_equal(eth.type, ETH_P_ARP_);
	assert_memory_equal(eth.src, in.sha, ETH_ALEN);
	assert_memory_equal(eth.dst, bcast, ETH_ALEN);
	assert_int_equal(arp_parse(&c, &out), PKT_OK);
	assert_int_equal(out.op, in.op);
	assert_memory_equal(out.sha, in.sha, ETH_ALEN);
	assert_memory_equal(out.tha, in.tha, ETH_ALEN);
	assert_int_equal(out.spa.s_addr, in.spa.s_addr);
	assert_int_equal(out.tpa.s_addr, in.tpa.s_addr);
}

static void build_overflow_fails_cleanly(void **state)
{
	struct frame_addrs a = tu_addrs("192.0.2.1", "192.0.2.2");
	uint8_t small[60], pl[100] = { 0 };
	struct pkt_builder b;
	static uint8_t big[65536];
	size_t cap;

	(void)state;
	for (cap = 0; cap < sizeof(small); cap++) {
		pb_init(&b, small, cap);
		assert_false(frame_udp(&b, &a, 1, 2, pl, sizeof(pl)));
		assert_true(b.overflow);
		assert_true(b.len <= cap);
	}
	/* An IPv4 datagram cannot carry more than 65515 bytes of UDP */
	pb_init(&b, fb, sizeof(fb));
	assert_false(frame_udp(&b, &a, 1, 2, big, 65535 - 20 - 8 + 1));
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_udp(&b, &a, 1, 2, big, 65535 - 20 - 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_udp_round_trip_v4_v6),
		cmocka_unit_test(build_tcp_round_trip_iov),
		cmocka_unit_test(build_tcp_template_matches_frame_tcp),
		cmocka_unit_test(build_tcp_refuses_bad_input),
		cmocka_unit_test(build_no_l4_csum_trusted_parse),
		cmocka_unit_test(build_icmp_round_trip),
		cmocka_unit_test(build_arp_round_trip),
		cmocka_unit_test(build_overflow_fails_cleanly),
		cmocka_unit_test(build_udp_hdr_matches_frame_udp),
		cmocka_unit_test(build_icmp_hdr_matches_frame_icmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
