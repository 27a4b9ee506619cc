// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services/fuzz/ndp.c - fuzz target for NDP input from the guest
 *
 * Byte 0 picks the source (bits 0-1: guest link-local, unspecified, guest
 * global), the destination (bits 2-3: our link-local, all routers, the
 * solicited-node group of fe80::1, all nodes), the configuration (bit 4:
 * no prefix, 5: no DHCPv6, 6: no RAs) and the hop limit (bit 7: 64, else
 * 255); the rest is the ICMPv6 message from
 * its type byte on. The frame goes through the packet layer as ingress
 * sends it to ndp_input(). Whatever comes back must parse: an NA or an
 * RA, hop limit 255, at most 1280 bytes of IPv6, sane option lengths.
 * Build with libFuzzer:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *	src/services/fuzz/ndp.c src/services/ndp.c \
 *	src/services/dns_name.c src/packet/[a-z]*.c src/core/{loop,log,stats}.c
 * The unit test run replays tests/unit/services/corpus/ndp/ through it
 * (tests/unit/common/fuzz_replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/loop.h"
#include "core/log.h"
#include "services/fuzz/fuzz_tx.h"
#include "services/ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct in6_addr dsts[] = {
	{ .s6_addr = { 0xfe, 0x80, [15] = 0x01 } },
	{ .s6_addr = { 0xff, 0x02, [15] = 0x02 } },
	{ .s6_addr = { 0xff, 0x02, [11] = 0x01, 0xff, 0, 0, 0x01 } },
	{ .s6_addr = { 0xff, 0x02, [15] = 0x01 } },
};

/* Every option of a message we sent has a non-zero, in-bounds length */
static void check_opts(struct pkt_cursor c)
{
	while (cur_len(&c)) {
		const uint8_t *o = cur_peek(&c, 2);

		check(o && o[1]);
		check(cur_skip(&c, (size_t)o[1] * 8));
	}
}

static void check_reply(int i)
{
	struct icmp_view icmp;
	struct ip_view ip;
	struct pkt_cursor c = fz_parse(i, &ip);

	check(ip.proto == IPPROTO_ICMPV6 && ip.ttl == 255);
	check(IPV6_HLEN + (size_t)ip.l4len <= 1280);
	check(icmp_parse(&c, &ip, &icmp) == PKT_OK);
	check(icmp.code == 0);
	if (icmp.type == NDP_NA) {
		check(cur_skip(&c, 20));
	} else {
		check(icmp.type == NDP_RA);
		check(!memcmp(&ip.src.a6, &fz_our_ll, 16));
		check(cur_skip(&c, 12));
	}
	check_opts(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndp_conf nc;
	static bool loop_ready;
	static uint8_t frame[FZ_FRAME_MAX];
	const struct in6_addr *src, *dst;
	struct frame_addrs a;
	struct icmp_view icmp;
	struct pkt_builder b;
	struct pkt_cursor c;
	struct eth_view eth;
	struct ip_view ip;
	uint8_t sel;
	int i;

	if (size < 5 || size > 2000)
		return 0;
	if (!loop_ready) {
		loop_init(4);
		loop_ready = true;
	}
	log_set_level(LOG_LVL_WARN);	/* an RA per input is no news */
	sel = data[0];
	data++;
	size--;

	memset(&nc, 0, sizeof(nc));
	nc.enabled = true;
	nc.ra = !(sel & 0x40);
	nc.managed = !(sel & 0x20);
	if (!(sel & 0x10))
		nc.addr = fz_guest_addr;
	nc.our_ll = fz_our_ll;
	nc.gw = fz_our_ll;
	nc.mtu = 1500;
	nc.dns[0] = fz_guest_addr;
	nc.dns_count = 1;
	strcpy(nc.search[0], "example.com");
	nc.search_count = 1;
	ndp_init(&nc, &fz_tx);

	switch (sel & 3) {
	case 0:
		src = &fz_guest_ll;
		break;
	case 1:
		src = &in6addr_any;
		break;
	default:
		src = &fz_guest_addr;
		break;
	}
	dst = &dsts[(sel >> 2) & 3];

	a = fz_addrs(src, dst, (sel & 0x80) ? 64 : 255);
	pb_init(&b, frame, sizeof(frame));
	if (!frame_icmp(&b, &a, data, size))
		return 0;
	c = cur_make(frame, b.len);
	check(eth_parse(&c, &eth) == PKT_OK);
	check(ipv6_parse(&c, &ip) == PKT_OK);
	/* ingress drops what icmp_parse() refuses (a short echo) */
	if (icmp_parse(&c, &ip, &icmp) != PKT_OK ||
	    !ndp_is_ndp_type(icmp.type))
		return 0;

	fz_frames = 0;
	ndp_input(&ip, &icmp, c, 1);
	for (i = 0; i < fz_frames; i++)
		check_reply(i);
	return 0;
}
