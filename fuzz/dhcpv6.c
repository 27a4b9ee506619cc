// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/dhcpv6.c - fuzz target for the DHCPv6 server's message parser
 *
 * The input is a DHCPv6 message (from msg-type on) in a valid
 * Ethernet/IPv6/UDP frame from fe80:: port 546 to ff02::1:2 port 547.
 */
#include "fuzz_ingress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mcast_mac[6] = { 0x33, 0x33, 0, 1, 0, 2 };
	static uint8_t frame[70000];
	struct frame_addrs a = fz_addrs("fe80::5054:ff:fe12:3456",
					"ff02::1:2", 1);
	struct pkt_builder b;

	fz_init();
	memcpy(a.dst_mac, mcast_mac, 6);
	pb_init(&b, frame, sizeof(frame));
	if (!frame_udp(&b, &a, 546, 547, data, size))
		return 0;
	ingress_frame(frame, b.len, 1000000000ULL);
	return 0;
}
