// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services/fuzz/dhcpv6.c - fuzz target for DHCPv6 messages from the guest
 *
 * Byte 0 picks the destination (ff02::1:2 or our link-local address) and
 * the configuration (address or none, DNS/search/FQDN or none); the rest
 * is the DHCPv6 message. The frame goes through the packet layer as
 * ingress hands it to dhcpv6_input(). An answer must parse back: UDP from
 * port 547 to 546, Advertise or Reply, the transaction id echoed, every
 * option length in bounds, our server identifier in it.
 * Build with libFuzzer:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *	src/services/fuzz/dhcpv6.c src/services/dhcpv6.c \
 *	src/services/dns_name.c src/packet/[a-z]*.c src/core/{log,stats}.c
 * The unit test run replays tests/unit/services/corpus/dhcpv6/ through it
 * (tests/unit/common/fuzz_replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/log.h"
#include "services/dhcpv6.h"
#include "services/fuzz/fuzz_tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct in6_addr all_servers = {
	.s6_addr = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 }
};

static void check_reply(int i, const uint8_t *msg, size_t msglen)
{
	static const uint8_t duid[] = {
		0, 3, 0, 1, 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
	};
	bool has_serverid = false;
	struct udp_view udp;
	struct ip_view ip;
	struct pkt_cursor c = fz_parse(i, &ip);
	const uint8_t *h;

	check(ip.proto == IPPROTO_UDP);
	check(!memcmp(&ip.src.a6, &fz_our_ll, 16));
	check(!memcmp(&ip.dst.a6, &fz_guest_ll, 16));
	check(udp_parse(&c, &ip, &udp) == PKT_OK);
	check(udp.sport == DHCPV6_SERVER_PORT);
	check(udp.dport == DHCPV6_CLIENT_PORT);
	h = cur_pull(&c, 4);
	check(h && (h[0] == 2 || h[0] == 7));
	check(msglen >= 4 && !memcmp(h + 1, msg + 1, 3));
	while (cur_len(&c)) {
		uint16_t code = 0, len = 0;

		check(cur_be16(&c, &code) && cur_be16(&c, &len));
		if (code == 2) {
			check(len == sizeof(duid));
			check(!memcmp(cur_peek(&c, len), duid, len));
			has_serverid = true;
		}
		check(cur_skip(&c, len));
	}
	check(has_serverid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcpv6_conf dc;
	static uint8_t frame[FZ_FRAME_MAX];
	struct frame_addrs a;
	struct pkt_builder b;
	struct pkt_cursor c;
	struct eth_view eth;
	struct udp_view udp;
	struct ip_view ip;
	uint8_t sel;
	int i;

	if (size < 1 || size > 4000)
		return 0;
	log_set_level(LOG_LVL_WARN);	/* a lease per input is no news */
	sel = data[0];
	data++;
	size--;

	memset(&dc, 0, sizeof(dc));
	dc.enabled = true;
	if (!(sel & 2))
		dc.addr = fz_guest_addr;
	dc.our_ll = fz_our_ll;
	if (!(sel & 4)) {
		dc.dns[0] = fz_guest_addr;
		dc.dns_count = 1;
		strcpy(dc.search[0], "example.com");
		strcpy(dc.search[1], "b.example.org");
		dc.search_count = 2;
		strcpy(dc.fqdn, "guest.example.com");
	}
	dhcpv6_init(&dc, &fz_tx);

	a = fz_addrs(&fz_guest_ll, (sel & 1) ? &fz_our_ll : &all_servers, 1);
	pb_init(&b, frame, sizeof(frame));
	if (!frame_udp(&b, &a, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, data,
		       size))
		return 0;
	c = cur_make(frame, b.len);
	check(eth_parse(&c, &eth) == PKT_OK);
	check(ipv6_parse(&c, &ip) == PKT_OK);
	check(udp_parse(&c, &ip, &udp) == PKT_OK);
	check(dhcpv6_wants(&ip, &udp));

	fz_frames = 0;
	dhcpv6_input(&ip, &udp, c, 1);
	check(fz_frames <= 1);
	for (i = 0; i < fz_frames; i++)
		check_reply(i, data, size);
	return 0;
}
