/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/arp.h - answering the guest's ARP requests
 *
 * Owns: replies to ARP requests for every IPv4 address except the guest's
 * own, all with our MAC: the gateway, and any other address on the
 * guest's subnet, so the guest reaches everything through us.
 * Does not own: learning the guest's MAC (ingress does that), sending ARP
 * requests of our own (we always know the guest's MAC from its frames).
 * Announcements (sender address equal to target) and requests for the
 * guest's own address are never answered, so duplicate address detection
 * in the guest succeeds. Uses: core/guest_tx.h, core/stats.h,
 * packet/build.h.
 */
#ifndef GANGWAY_SERVICES_ARP_H
#define GANGWAY_SERVICES_ARP_H

#include <netinet/in.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/packet.h"

/**
 * struct arp_conf - what ARP needs from the configuration
 * @guest:	the guest's IPv4 address: requests for it stay unanswered
 */
struct arp_conf {
	struct in_addr guest;
};

/* Keep @ac's values, register counters; replies go out via @tx */
int arp_init(const struct arp_conf *ac, struct guest_tx *tx);

/* A parsed ARP packet from the guest, in the frame @eth */
void arp_input(const struct eth_view *eth, const struct arp_view *arp,
	       uint64_t now_ns);

#endif /* GANGWAY_SERVICES_ARP_H */
