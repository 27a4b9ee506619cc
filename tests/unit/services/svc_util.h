/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * svc_util.h - helpers for the NDP and DHCPv6 unit tests: a guest_tx that
 * captures frames, building guest frames, parsing our replies back
 */
#ifndef GANGWAY_TEST_SVC_UTIL_H
#define GANGWAY_TEST_SVC_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_tx.h"
#include "packet/build.h"
#include "packet/csum.h"
#include "packet/packet.h"

#define SU_FRAMES	16
#define SU_FRAME_MAX	8192

static const uint8_t su_our_mac[ETH_ALEN] = {
	0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
};
static const uint8_t su_guest_mac[ETH_ALEN] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56
};

/* Frames our module sent to the "guest" */
static uint8_t su_frame[SU_FRAMES][SU_FRAME_MAX];
static size_t su_frame_len[SU_FRAMES];
static int su_frames;
static int su_send_rc;		/* what send() returns, 0 normally */

static int su_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	size_t i, len = 0;

	(void)tx;
	if (su_send_rc)
		return su_send_rc;
	assert_true(su_frames < SU_FRAMES);
	for (i = 0; i < cnt; i++) {
		assert_true(len + iov[i].iov_len <= SU_FRAME_MAX);
		memcpy(su_frame[su_frames] + len, iov[i].iov_base,
		       iov[i].iov_len);
		len += iov[i].iov_len;
	}
	su_frame_len[su_frames++] = len;
	return 0;
}

static size_t su_room(struct guest_tx *tx)
{
	(void)tx;
	return 1 << 20;
}

static struct guest_tx su_tx;

static void su_reset(void)
{
	memset(&su_tx, 0, sizeof(su_tx));
	su_tx.send = su_send;
	su_tx.room = su_room;
	memcpy(su_tx.our_mac, su_our_mac, ETH_ALEN);
	memcpy(su_tx.guest_mac, su_guest_mac, ETH_ALEN);
	su_tx.guest_seen = 1;
	su_frames = 0;
	su_send_rc = 0;
}

static inline struct in6_addr su_a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static inline union inany su_any(const char *s)
{
	union inany a;

	memset(&a, 0, sizeof(a));
	a.a6 = su_a6(s);
	return a;
}

static inline struct frame_addrs su_from_guest(const char *src,
					       const char *dst, uint8_t hop)
{
	struct frame_addrs a;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, su_guest_mac, ETH_ALEN);
	memcpy(a.dst_mac, su_our_mac, ETH_ALEN);
	a.src = su_any(src);
	a.dst = su_any(dst);
	a.ttl = hop;
	return a;
}

/**
 * struct su_reply - one captured frame, parsed down to its L4 payload
 * @eth:	Ethernet view
 * @ip:		IPv6 view
 * @l4:		at the ICMPv6 body (after type/code/checksum) or UDP payload
 */
struct su_reply {
	struct eth_view eth;
	struct ip_view ip;
	struct icmp_view icmp;
	struct udp_view udp;
	struct pkt_cursor l4;
};

/* Parse captured frame @i as Ethernet/IPv6/ICMPv6 or UDP, checking sums */
static inline void su_parse(int i, struct su_reply *r)
{
	memset(r, 0, sizeof(*r));
	assert_true(i < su_frames);
	r->l4 = cur_make(su_frame[i], su_frame_len[i]);
	assert_int_equal(eth_parse(&r->l4, &r->eth), PKT_OK);
	assert_int_equal(r->eth.type, ETH_P_IPV6_);
	assert_int_equal(ipv6_parse(&r->l4, &r->ip), PKT_OK);
	if (r->ip.proto == IPPROTO_ICMPV6)
		assert_int_equal(icmp_parse(&r->l4, &r->ip, &r->icmp), PKT_OK);
	else if (r->ip.proto == IPPROTO_UDP)
		assert_int_equal(udp_parse(&r->l4, &r->ip, &r->udp), PKT_OK);
	else
		fail_msg("unexpected protocol %u", r->ip.proto);
}

static inline void su_assert_addr(const union inany *a, const char *s)
{
	struct in6_addr want = su_a6(s);
	char got[INET6_ADDRSTRLEN];

	if (memcmp(&a->a6, &want, sizeof(want))) {
		inet_ntop(AF_INET6, &a->a6, got, sizeof(got));
		fail_msg("address %s, expected %s", got, s);
	}
}

/* Small xorshift generator: reproducible hostile input */
static uint32_t su_rand_state = 0x2545f491;

static inline uint32_t su_rand(void)
{
	uint32_t x = su_rand_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	su_rand_state = x;
	return x;
}

#endif /* GANGWAY_TEST_SVC_UTIL_H */
