// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/ingress.c - fuzz target for the frame dispatcher
 *
 * The input is one Ethernet frame from the guest, as the stream or
 * vhost-user link hands it to ingress_frame(): every parser on the way
 * (Ethernet, ARP, IPv4, IPv6 and its extension headers, UDP, ICMP, the
 * services) sees it. Answers must be whole frames from our MAC.
 * libFuzzer: meson setup -Dfuzz=true (clang); replayed over
 * tests/fuzz-corpus/ingress/ by the unit test fuzz_replay_ingress.
 */
#include "fuzz_ingress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now_ns = 1000000000ULL;

	fz_init();
	if (size > 65535 + 14)
		return 0;
	ingress_frame(data, size, now_ns);
	ingress_batch_end(now_ns);
	now_ns += 1000000;	/* time moves: rate limits, leases */
	return 0;
}
