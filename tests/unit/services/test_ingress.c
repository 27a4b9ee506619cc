// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ingress.c - dispatch of guest frames and the drop counters
 *
 * TCP, UDP and ICMP are switched off in every configuration here, so no
 * frame reaches the flow layer and nothing leaves this process: the
 * flow paths are covered by the system tests.
 */
#include <stdio.h>
#include <stdlib.h>

#include "svc_util.h"
#include "conf/conf.h"
#include "core/loop.h"
#include "core/stats.h"
#include "ingress.h"
#include "../common/tu_addr.h"

static struct conf cf;

static void conf_default(void)
{
	memset(&cf, 0, sizeof(cf));
	cf.fd = -1;
	cf.mtu = 65520;
	memcpy(cf.our_mac, su_our_mac, ETH_ALEN);
	cf.ip4.enabled = true;
	cf.ip4.addr = tu_a4("192.0.2.2");
	cf.ip4.prefix_len = 24;
	cf.ip4.gw = tu_a4("192.0.2.1");
	cf.ip4.map_host_lo = tu_a4("192.0.2.1");
	cf.ip4.dns[0] = tu_a4("192.0.2.1");
	cf.ip4.dns_count = 1;
	cf.ip6.enabled = true;
	cf.ip6.addr = su_a6("fd00::2");
	cf.ip6.prefix_len = 64;
	cf.ip6.gw = su_a6("fe80::1");
	cf.ip6.our_ll = su_a6("fe80::1");
	cf.no_tcp = cf.no_udp = cf.no_icmp = true;
	cf.max_flows = 16;
}

static void start(void)
{
	su_reset();
	assert_int_equal(ingress_init(&cf, &su_tx), 0);
}

static int setup(void **state)
{
	(void)state;
	conf_default();
	start();
	return 0;
}

static uint64_t ctr(const char *name)
{
	return stats_get("ingress", name);
}

static uint8_t fb[2048];

/* A frame from the guest's MAC to ours, built with the packet layer */
static struct frame_addrs from_guest4(const char *src, const char *dst)
{
	struct frame_addrs a;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, su_guest_mac, ETH_ALEN);
	memcpy(a.dst_mac, su_our_mac, ETH_ALEN);
	inany_from_v4(&a.src, tu_a4(src));
	inany_from_v4(&a.dst, tu_a4(dst));
	return a;
}

static size_t arp_request(const char *tpa)
{
	static const uint8_t bc[ETH_ALEN] = { 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff };
	struct arp_view r = { .op = ARP_OP_REQUEST };
	struct pkt_builder b;

	memcpy(r.sha, su_guest_mac, ETH_ALEN);
	r.spa = tu_a4("192.0.2.2");
	r.tpa = tu_a4(tpa);
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_arp(&b, bc, &r));
	return b.len;
}

static size_t udp4(uint16_t sport, uint16_t dport, const void *p, size_t n)
{
	struct frame_addrs a = from_guest4("192.0.2.2", "192.0.2.1");
	struct pkt_builder b;

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_udp(&b, &a, sport, dport, p, n));
	return b.len;
}

static size_t dhcp_discover(void)
{
	uint8_t m[300] = { 1, 1, 6, 0, 1, 2, 3, 4 };

	memcpy(m + 28, su_guest_mac, ETH_ALEN);
	put_be32(m + 236, 0x63825363);
	m[240] = 53;
	m[241] = 1;
	m[242] = 1;		/* DISCOVER */
	m[243] = 255;
	return udp4(68, 67, m, sizeof(m));
}

static size_t icmp4(uint8_t type)
{
	struct frame_addrs a = from_guest4("192.0.2.2", "192.0.2.1");
	uint8_t body[8] = { type, 0, 0, 0, 0, 1, 0, 1 };
	struct pkt_builder b;

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_icmp(&b, &a, body, sizeof(body)));
	return b.len;
}

static size_t tcp4_syn(void)
{
	struct frame_addrs a = from_guest4("192.0.2.2", "192.0.2.1");
	struct tcp_fields t = { .sport = 40000, .dport = 80, .seq = 1,
				.flags = TCP_F_SYN, .window = 1000 };
	struct pkt_builder b;

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_tcp(&b, &a, &t, NULL, 0, 0));
	return b.len;
}

static size_t udp6(uint16_t dport)
{
	struct frame_addrs a = su_from_guest("fd00::2", "fd00::1", 64);
	struct pkt_builder b;
	uint8_t p[4] = { 0 };

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_udp(&b, &a, 40000, dport, p, sizeof(p)));
	return b.len;
}

static void feed(size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);	/* ASan sees overreads */

	memcpy(copy, fb, len);
	ingress_frame(copy, len, 0);
	ingress_batch_end(0);
	free(copy);
}

static void arp_reaches_arp_and_is_answered(void **state)
{
	(void)state;
	feed(arp_request("192.0.2.1"));
	assert_int_equal(su_frames, 1);
	assert_int_equal(ctr("frames"), 1);
	assert_int_equal(ctr("arp"), 1);
	assert_int_equal(ctr("bytes"), ETH_HLEN + ARP_LEN);
}

/*
 * Guest NICs (e1000, rtl8139, ...) pad short frames to 60 bytes: a padded
 * ARP request is answered, and a padded UDP datagram (here a one-byte
 * one to the DHCP port) reaches its service by its UDP length, the
 * padding outside the checksum
 */
static void padded_frames_from_guest_dispatched(void **state)
{
	size_t n;

	(void)state;
	n = arp_request("192.0.2.1");
	memset(fb + n, 0, 60 - n);
	feed(60);
	assert_int_equal(su_frames, 1);
	assert_int_equal(ctr("arp"), 1);
	assert_int_equal(ctr("bytes"), 60);
	assert_int_equal(su_frame[0][21], ARP_OP_REPLY);

	n = udp4(68, 67, "x", 1);	/* 43 bytes: too short for DHCP */
	memset(fb + n, 0xee, 60 - n);
	feed(60);
	assert_int_equal(ctr("drop_bad_csum"), 0);
	assert_int_equal(ctr("dhcp"), 1);
	assert_int_equal(ctr("frames"), 2);
}

static void guest_mac_learned_from_unicast_source(void **state)
{
	static const uint8_t other[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 9 };
	size_t n;

	(void)state;
	su_tx.guest_seen = 0;
	memset(su_tx.guest_mac, 0xff, ETH_ALEN);
	n = arp_request("192.0.2.1");
	fb[6] = 0x01;			/* multicast source: not learned */
	feed(n);
	assert_int_equal(su_tx.guest_seen, 0);
	memcpy(fb + 6, other, ETH_ALEN);
	feed(n);
	assert_int_equal(su_tx.guest_seen, 1);
	assert_memory_equal(su_tx.guest_mac, other, ETH_ALEN);
}

static void dhcp_discover_gets_offer(void **state)
{
	(void)state;
	feed(dhcp_discover());
	assert_int_equal(ctr("dhcp"), 1);
	assert_int_equal(stats_get("dhcp", "offer"), 1);
	assert_int_equal(su_frames, 1);
}

/*
 * The link says the L4 checksum is not to be verified (vhost-user
 * NEEDS_CSUM or DATA_VALID): a DHCP discover with a wrong UDP checksum
 * is answered then, and only then; the IPv4 header checksum still counts.
 */
static void trusted_l4_csum_not_verified(void **state)
{
	size_t n;

	(void)state;
	n = dhcp_discover();
	fb[ETH_HLEN + 20 + 6] ^= 0x5a;
	feed(n);
	assert_int_equal(ctr("drop_bad_csum"), 1);
	assert_int_equal(ctr("dhcp"), 0);

	su_tx.rx_csum_trusted = 1;
	feed(n);
	assert_int_equal(ctr("dhcp"), 1);
	assert_int_equal(ctr("l4_csum_not_verified"), 1);
	assert_int_equal(su_frames, 1);

	fb[ETH_HLEN + 10] ^= 0x5a;	/* IPv4 header checksum */
	feed(n);
	su_tx.rx_csum_trusted = 0;
	assert_int_equal(ctr("drop_bad_csum"), 2);
	assert_int_equal(ctr("dhcp"), 1);
}

static void no_dhcp_drops_dhcp(void **state)
{
	(void)state;
	cf.no_dhcp = true;
	start();
	feed(dhcp_discover());
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("drop_dhcp_off"), 1);
	assert_int_equal(ctr("dhcp"), 0);
}

static void ipv4_only_drops_ipv6(void **state)
{
	(void)state;
	cf.ip6.enabled = false;
	start();
	feed(udp6(547));
	assert_int_equal(ctr("drop_ipv6_off"), 1);
	feed(arp_request("192.0.2.1"));
	assert_int_equal(su_frames, 1);
}

static void ipv6_only_drops_ipv4_and_arp(void **state)
{
	(void)state;
	cf.ip4.enabled = false;
	start();
	feed(arp_request("192.0.2.1"));
	feed(dhcp_discover());
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("drop_arp_off"), 1);
	assert_int_equal(ctr("drop_ipv4_off"), 1);
}

static void switched_off_protocols_dropped(void **state)
{
	(void)state;
	feed(tcp4_syn());
	assert_int_equal(ctr("drop_tcp_off"), 1);
	feed(udp4(40000, 53, "x", 1));
	assert_int_equal(ctr("drop_udp_off"), 1);
	feed(icmp4(ICMP_ECHO_REQUEST));
	assert_int_equal(ctr("drop_icmp_off"), 1);
	feed(icmp4(3));			/* destination unreachable */
	assert_int_equal(ctr("drop_icmp_type"), 1);
	assert_int_equal(ctr("tcp") + ctr("udp") + ctr("icmp_echo"), 0);
	assert_int_equal(su_frames, 0);
}

/* Each malformed frame is counted under its reason; ARP still works */
static void malformed_frames_counted_by_reason(void **state)
{
	size_t n;

	(void)state;
	n = arp_request("192.0.2.1");
	feed(10);
	assert_int_equal(ctr("drop_short"), 1);

	n = arp_request("192.0.2.1");
	put_be16(fb + 12, 0x88cc);		/* LLDP */
	feed(n);
	assert_int_equal(ctr("drop_ethertype"), 1);

	n = arp_request("192.0.2.1");
	fb[ETH_HLEN + 1] = 6;			/* hardware type 6 */
	feed(n);
	assert_int_equal(ctr("drop_unsupported"), 1);

	n = udp4(40000, 53, "x", 1);
	fb[ETH_HLEN + 8]--;			/* TTL: header checksum off */
	feed(n);
	assert_int_equal(ctr("drop_bad_csum"), 1);

	n = udp4(40000, 53, "x", 1);
	fb[n - 1] ^= 0xff;			/* payload: UDP checksum off */
	feed(n);
	assert_int_equal(ctr("drop_bad_csum"), 2);

	n = udp4(40000, 53, "x", 1);
	put_be16(fb + ETH_HLEN + 2, 200);	/* total length past data */
	feed(n);
	assert_int_equal(ctr("drop_bad_length"), 1);

	n = udp4(40000, 53, "x", 1);
	fb[ETH_HLEN + 9] = 47;			/* GRE */
	fb[ETH_HLEN + 10] = fb[ETH_HLEN + 11] = 0;
	put_be16(fb + ETH_HLEN + 10, csum_ipv4_hdr(fb + ETH_HLEN, 20));
	feed(n);
	assert_int_equal(ctr("drop_l4_proto"), 1);

	n = udp4(40000, 53, "x", 1);
	fb[ETH_HLEN + 6] = 0x20;		/* more fragments */
	fb[ETH_HLEN + 10] = fb[ETH_HLEN + 11] = 0;
	put_be16(fb + ETH_HLEN + 10, csum_ipv4_hdr(fb + ETH_HLEN, 20));
	feed(n);
	assert_int_equal(ctr("drop_fragment"), 1);

	assert_int_equal(su_frames, 0);
	feed(arp_request("192.0.2.1"));
	assert_int_equal(su_frames, 1);
}

/* Random damage to every kind of frame: counted, never an overread */
static void random_frames_stay_in_bounds(void **state)
{
	uint8_t good[6][512];
	size_t glen[6];
	uint64_t drops = 0;
	int i, k;

	(void)state;
	glen[0] = arp_request("192.0.2.1");
	memcpy(good[0], fb, glen[0]);
	glen[1] = dhcp_discover();
	memcpy(good[1], fb, glen[1]);
	glen[2] = udp6(547);
	memcpy(good[2], fb, glen[2]);
	glen[3] = tcp4_syn();
	memcpy(good[3], fb, glen[3]);
	glen[4] = icmp4(ICMP_ECHO_REQUEST);
	memcpy(good[4], fb, glen[4]);
	glen[5] = udp6(53);
	memcpy(good[5], fb, glen[5]);
	for (i = 0; i < 20000; i++) {
		int w = (int)(su_rand() % 6), flips = (int)(su_rand() % 4);
		size_t len = glen[w] - (su_rand() % 4 ? 0 :
					su_rand() % glen[w]);

		memcpy(fb, good[w], glen[w]);
		for (k = 0; k < flips; k++)
			fb[su_rand() % glen[w]] ^=
				(uint8_t)(1 << (su_rand() % 8));
		su_frames = 0;
		feed(len);
	}
	for (k = PKT_E_SHORT; k < PKT_E__COUNT; k++) {
		char name[64];

		snprintf(name, sizeof(name), "drop_%s", pkt_err_str(k));
		drops += ctr(name);
	}
	assert_int_equal(ctr("frames"), 20000);
	assert_true(drops > 1000);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(arp_reaches_arp_and_is_answered),
		T(padded_frames_from_guest_dispatched),
		T(guest_mac_learned_from_unicast_source),
		T(dhcp_discover_gets_offer),
		T(trusted_l4_csum_not_verified),
		T(no_dhcp_drops_dhcp),
		T(ipv4_only_drops_ipv6),
		T(ipv6_only_drops_ipv4_and_arp),
		T(switched_off_protocols_dropped),
		T(malformed_frames_counted_by_reason),
		T(random_frames_stay_in_bounds),
	};

	assert_int_equal(loop_init(1024), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
