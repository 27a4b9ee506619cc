// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services/arp.c - answer the guest's ARP requests with our MAC
 *
 * The guest sits on a point-to-point link with us. Whatever IPv4 address
 * on its subnet it asks for (other than its own), we claim it: the frame
 * comes to us and the flow layer decides where it goes.
 */
#include <errno.h>

#include "core/stats.h"
#include "packet/build.h"
#include "services/arp.h"

enum arp_ctr {
	ARP_C_REQUEST,		/* requests seen */
	ARP_C_REPLY_SENT,
	ARP_C_IGNORED_REPLY,	/* ARP replies from the guest: not ours */
	ARP_C_IGNORED_ANNOUNCE,	/* gratuitous: sender == target */
	ARP_C_IGNORED_GUEST,	/* asking for the guest's own address */
	ARP_C_DROP_TX,		/* the link refused the reply */
	ARP_C__COUNT
};

static const char *const arp_ctr_names[] = {
	[ARP_C_REQUEST]		 = "request",
	[ARP_C_REPLY_SENT]	 = "reply_sent",
	[ARP_C_IGNORED_REPLY]	 = "ignored_reply",
	[ARP_C_IGNORED_ANNOUNCE] = "ignored_announce",
	[ARP_C_IGNORED_GUEST]	 = "ignored_guest_addr",
	[ARP_C_DROP_TX]		 = "drop_tx",
};

static_assert(ARRAY_SIZE(arp_ctr_names) == ARP_C__COUNT,
	      "arp_ctr_names must name every counter");

/* Set once by arp_init() */
static struct arp_conf arp_cfg;
static struct guest_tx *arp_tx;
static uint64_t arp_ctr[ARP_C__COUNT];

/**
 * arp_init() - keep the configuration and register counters
 * @ac:		guest address
 * @tx:		where replies go
 *
 * Return: 0, or -errno from stats_register()
 */
int arp_init(const struct arp_conf *ac, struct guest_tx *tx)
{
	static bool registered;

	arp_cfg = *ac;
	arp_tx = tx;
	memset(arp_ctr, 0, sizeof(arp_ctr));
	if (registered)
		return 0;
	registered = true;
	return stats_register("arp", arp_ctr_names, arp_ctr, ARP_C__COUNT);
}

/**
 * arp_input() - reply to a request unless it is for the guest's address
 * @eth:	Ethernet header of the frame: the reply goes to its source
 * @arp:	the request
 * @now_ns:	unused: ARP keeps no state
 */
void arp_input(const struct eth_view *eth, const struct arp_view *arp,
	       uint64_t now_ns)
{
	struct arp_view r;
	struct pkt_builder b;
	uint8_t buf[ETH_HLEN + ARP_LEN];

	(void)now_ns;
	if (arp->op != ARP_OP_REQUEST) {
		arp_ctr[ARP_C_IGNORED_REPLY]++;
		return;
	}
	arp_ctr[ARP_C_REQUEST]++;
	if (arp->spa.s_addr == arp->tpa.s_addr) {
		arp_ctr[ARP_C_IGNORED_ANNOUNCE]++;
		return;
	}
	if (arp->tpa.s_addr == arp_cfg.guest.s_addr) {
		arp_ctr[ARP_C_IGNORED_GUEST]++;
		return;
	}

	r.op = ARP_OP_REPLY;
	memcpy(r.sha, arp_tx->our_mac, ETH_ALEN);
	r.spa = arp->tpa;
	memcpy(r.tha, arp->sha, ETH_ALEN);
	r.tpa = arp->spa;
	pb_init(&b, buf, sizeof(buf));
	if (!frame_arp(&b, eth->src, &r) ||
	    guest_send_buf(arp_tx, buf, b.len) < 0) {
		arp_ctr[ARP_C_DROP_TX]++;
		return;
	}
	arp_ctr[ARP_C_REPLY_SENT]++;
}
