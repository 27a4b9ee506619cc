/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pkt_util.h - helpers for packet unit tests: addresses, whole-frame parse
 */
#ifndef GANGWAY_TEST_PKT_UTIL_H
#define GANGWAY_TEST_PKT_UTIL_H

#include <arpa/inet.h>

#include "../common/tu_addr.h"
#include "packet/build.h"
#include "packet/csum.h"
#include "packet/packet.h"

static inline struct frame_addrs tu_addrs(const char *src, const char *dst)
{
	struct frame_addrs a = {
		.src_mac = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 },
		.dst_mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	};

	a.src = tu_addr(src);
	a.dst = tu_addr(dst);
	return a;
}

/* Parse Ethernet and IP; @l4 is left on the L4 header */
static inline enum pkt_err tu_parse_l3(const uint8_t *f, size_t len,
				       struct eth_view *eth,
				       struct ip_view *ip,
				       struct pkt_cursor *l4)
{
	enum pkt_err e;

	*l4 = cur_make(f, len);
	e = eth_parse(l4, eth);
	if (e)
		return e;
	if (eth->type == ETH_P_IP_)
		return ipv4_parse(l4, ip);
	if (eth->type == ETH_P_IPV6_)
		return ipv6_parse(l4, ip);
	return PKT_E_UNSUPPORTED;
}

/* Recompute the IPv4 header checksum after a test edited the header */
static inline void tu_fix_ip4_csum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0x0f) * 4u;

	ip[10] = ip[11] = 0;
	put_be16(ip + 10, csum_ipv4_hdr(ip, hlen));
}

#endif /* GANGWAY_TEST_PKT_UTIL_H */
