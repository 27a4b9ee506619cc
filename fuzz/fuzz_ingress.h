/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz/fuzz_ingress.h - shared set-up for the frame fuzz targets
 *
 * The services (ARP, DHCP, NDP, DHCPv6) answer through a capturing
 * struct guest_tx; every answer must be a sane Ethernet frame from our
 * MAC. The flow layer (TCP, UDP, ICMP) is switched off: it would open
 * host sockets to whatever the input names, and the network rule says
 * tests send nothing off this machine. Flows are covered by the system
 * tests (tests/system/test_hardening_malformed.py and others).
 */
#ifndef GANGWAY_FUZZ_INGRESS_H
#define GANGWAY_FUZZ_INGRESS_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "conf/conf.h"
#include "core/guest_tx.h"
#include "core/log.h"
#include "core/loop.h"
#include "ingress.h"
#include "packet/build.h"
#include "packet/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_our_mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
static const uint8_t fz_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct guest_tx fz_tx;
static struct conf fz_conf;
static unsigned int fz_sent;

static void fz_check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

/* Every frame we would send the guest: a whole frame, from our MAC */
static int fz_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	uint8_t f[65536 + 64];
	size_t len = 0, i;

	(void)tx;
	for (i = 0; i < cnt; i++) {
		fz_check(len + iov[i].iov_len <= sizeof(f));
		memcpy(f + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	fz_check(len >= 14 && len <= 65535 + 14);
	fz_check(!memcmp(f + 6, fz_our_mac, 6));
	fz_sent++;
	return 0;
}

static size_t fz_room(struct guest_tx *tx)
{
	(void)tx;
	return 1 << 20;
}

static inline void fz_a4(struct in_addr *a, const char *s)
{
	inet_pton(AF_INET, s, a);
}

static inline void fz_a6(struct in6_addr *a, const char *s)
{
	inet_pton(AF_INET6, s, a);
}

/* Once per process: a default-looking configuration, services on */
static void fz_init(void)
{
	static bool done;
	struct conf *c = &fz_conf;

	if (done)
		return;
	done = true;
	log_set_level(LOG_LVL_ERR);	/* rate-limited warnings: not noise */
	log_open(LOG_DEST_FILE, "/dev/null");	/* not stderr */
	log_daemonized();
	fz_check(!loop_init(1024));
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->mtu = 65520;
	memcpy(c->our_mac, fz_our_mac, 6);
	c->ip4.enabled = true;
	fz_a4(&c->ip4.addr, "192.0.2.2");
	c->ip4.prefix_len = 24;
	fz_a4(&c->ip4.gw, "192.0.2.1");
	fz_a4(&c->ip4.map_host_lo, "192.0.2.1");
	fz_a4(&c->ip4.dns[0], "192.0.2.1");
	c->ip4.dns_count = 1;
	c->ip6.enabled = true;
	fz_a6(&c->ip6.addr, "fd00::2");
	c->ip6.prefix_len = 64;
	fz_a6(&c->ip6.gw, "fe80::1");
	fz_a6(&c->ip6.our_ll, "fe80::1");
	strcpy(c->search[0], "example.org");
	c->search_count = 1;
	strcpy(c->hostname, "guest");
	c->no_tcp = c->no_udp = c->no_icmp = true;
	c->max_flows = 16;

	fz_tx.send = fz_send;
	fz_tx.room = fz_room;
	memcpy(fz_tx.our_mac, fz_our_mac, 6);
	fz_check(!ingress_init(c, &fz_tx));
}

/* Frame addresses: guest (@src) to @dst, MACs guest -> us */
static inline struct frame_addrs fz_addrs(const char *src, const char *dst,
				   uint8_t ttl)
{
	struct frame_addrs a;
	struct in6_addr s6, d6;
	struct in_addr s4, d4;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, fz_guest_mac, 6);
	memcpy(a.dst_mac, fz_our_mac, 6);
	if (inet_pton(AF_INET, src, &s4) == 1) {
		inet_pton(AF_INET, dst, &d4);
		inany_from_v4(&a.src, s4);
		inany_from_v4(&a.dst, d4);
	} else {
		inet_pton(AF_INET6, src, &s6);
		inet_pton(AF_INET6, dst, &d6);
		inany_from_v6(&a.src, &s6);
		inany_from_v6(&a.dst, &d6);
	}
	a.ttl = ttl;
	return a;
}

#endif /* GANGWAY_FUZZ_INGRESS_H */
