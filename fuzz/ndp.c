// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/ndp.c - fuzz target for NDP (router and neighbour solicitations,
 * and whatever else ICMPv6 may carry)
 *
 * The input is an ICMPv6 message from the type byte on; the checksum is
 * filled in and the hop limit is 255, so the input reaches ndp_input()'s
 * option parsing rather than stopping at the first check. The first input
 * byte picks the destination: all-routers, solicited-node, or our
 * link-local address.
 */
#include "fuzz_ingress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dst[] = {
		"ff02::2", "ff02::1:ff00:1", "fe80::1", "fd00::1",
	};
	static uint8_t frame[70000], body[65536];
	struct frame_addrs a;
	struct pkt_builder b;

	fz_init();
	if (size < 1 || size - 1 > sizeof(body))
		return 0;
	a = fz_addrs("fe80::5054:ff:fe12:3456", dst[data[0] % 4], 255);
	memcpy(body, data + 1, size - 1);
	if (size - 1 >= 4)
		body[2] = body[3] = 0;		/* checksum: frame_icmp() */
	pb_init(&b, frame, sizeof(frame));
	if (!frame_icmp(&b, &a, body, size - 1))
		return 0;
	ingress_frame(frame, b.len, 1000000000ULL);
	return 0;
}
