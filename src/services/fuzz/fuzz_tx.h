/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/fuzz/fuzz_tx.h - shared bits of the NDP and DHCPv6 fuzz targets
 *
 * A struct guest_tx that keeps the frames a service sends so the target
 * can parse them back, a trap-on-failure check(), and the build-and-parse
 * path ingress takes for a guest frame. Fuzz-only; not part of gangway.
 */
#ifndef GANGWAY_SERVICES_FUZZ_TX_H
#define GANGWAY_SERVICES_FUZZ_TX_H

#include <string.h>

#include "core/guest_tx.h"
#include "packet/build.h"
#include "packet/packet.h"

#define FZ_FRAMES	4
#define FZ_FRAME_MAX	8192

static uint8_t fz_frame[FZ_FRAMES][FZ_FRAME_MAX];
static size_t fz_len[FZ_FRAMES];
static int fz_frames;

static void check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

static int fz_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	size_t i, len = 0;

	(void)tx;
	check(fz_frames < FZ_FRAMES);	/* one answer per message at most */
	for (i = 0; i < cnt; i++) {
		check(len + iov[i].iov_len <= FZ_FRAME_MAX);
		memcpy(fz_frame[fz_frames] + len, iov[i].iov_base,
		       iov[i].iov_len);
		len += iov[i].iov_len;
	}
	fz_len[fz_frames++] = len;
	return 0;
}

static size_t fz_room(struct guest_tx *tx)
{
	(void)tx;
	return 1 << 20;
}

static struct guest_tx fz_tx = {
	.send = fz_send,
	.room = fz_room,
	.our_mac = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 },
	.guest_mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	.guest_seen = 1,
};

static const struct in6_addr fz_guest_ll = {
	.s6_addr = { 0xfe, 0x80, [8] = 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12,
		     0x34, 0x56 }
};
static const struct in6_addr fz_our_ll = {
	.s6_addr = { 0xfe, 0x80, [15] = 0x01 }
};
static const struct in6_addr fz_guest_addr = {	/* fd00::2 */
	.s6_addr = { 0xfd, [15] = 0x02 }
};

/* Addresses of a frame from the guest */
static struct frame_addrs fz_addrs(const struct in6_addr *src,
				   const struct in6_addr *dst, uint8_t hop)
{
	struct frame_addrs a;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, fz_tx.guest_mac, ETH_ALEN);
	memcpy(a.dst_mac, fz_tx.our_mac, ETH_ALEN);
	inany_from_v6(&a.src, src);
	inany_from_v6(&a.dst, dst);
	a.ttl = hop;
	return a;
}

/* Parse captured frame @i down to its L4 payload, as a guest would */
static struct pkt_cursor fz_parse(int i, struct ip_view *ip)
{
	struct pkt_cursor c = cur_make(fz_frame[i], fz_len[i]);
	struct eth_view eth;

	check(eth_parse(&c, &eth) == PKT_OK);
	check(eth.type == ETH_P_IPV6_);
	check(!memcmp(eth.src, fz_tx.our_mac, ETH_ALEN));
	check(ipv6_parse(&c, ip) == PKT_OK);
	return c;
}

#endif /* GANGWAY_SERVICES_FUZZ_TX_H */
