// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/dhcp.c - fuzz target for the DHCPv4 server's message parser
 *
 * The input is a BOOTP/DHCP message (from op on), carried in a valid
 * Ethernet/IPv4/UDP frame from the client port to the server port, so
 * that every input reaches dhcp_input() through the real dispatcher.
 */
#include "fuzz_ingress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[70000];
	struct frame_addrs a = fz_addrs("0.0.0.0", "255.255.255.255", 64);
	struct pkt_builder b;

	fz_init();
	memset(a.dst_mac, 0xff, 6);
	pb_init(&b, frame, sizeof(frame));
	if (!frame_udp(&b, &a, 68, 67, data, size))
		return 0;
	ingress_frame(frame, b.len, 1000000000ULL);
	return 0;
}
