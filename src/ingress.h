/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * ingress.h - every frame from the guest starts here
 *
 * Owns: parsing each guest frame once (Ethernet, then ARP or IP, then the
 * L4 header) and handing the views to a service (ARP, DHCP, NDP, DHCPv6)
 * or to the flow layer (TCP, UDP, ICMP echo); counting every drop with its
 * reason; learning the guest's MAC for struct guest_tx.
 * Sits beside main.c: it is the only other file that knows both services/
 * and flow/.
 */
#ifndef GANGWAY_INGRESS_H
#define GANGWAY_INGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/guest_tx.h"

/* Set up services and flows with their slices of @c, replies via @tx */
int ingress_init(const struct conf *c, struct guest_tx *tx);

/*
 * One Ethernet frame from the guest; @frame must stay valid and unchanged
 * until the next ingress_batch_end() (flows may send its payload then)
 */
void ingress_frame(const uint8_t *frame, size_t len, uint64_t now_ns);

/* The frames given since the last call are about to be reused: whatever
 * was gathered from them goes out now (the link's rx_end) */
void ingress_batch_end(uint64_t now_ns);

size_t ingress_splice_check(const uint8_t *frame, size_t len, size_t have,
			    uint64_t now_ns);

#endif /* GANGWAY_INGRESS_H */
