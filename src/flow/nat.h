/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/nat.h - what the guest sees versus what the host uses
 *
 * Owns: the address translation rules: --map-host-loopback (default: the
 * gateway) to the host's loopback, --map-guest-addr to the host's global
 * address, --dns-forward (UDP/TCP port 53) to --dns-host, and the reverse
 * mapping of host peers into the guest's view (a loopback peer appears as
 * the mapped address). Also the source binding of outbound sockets
 * (--outbound, --outbound-if4/6).
 * Pure functions of the configuration: no sockets, no state per flow.
 */
#ifndef GANGWAY_FLOW_NAT_H
#define GANGWAY_FLOW_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"
#include "packet/inany.h"

int nat_init(const struct flow_conf *fc);

/**
 * nat_outbound() - where a guest packet to @dst:@dport goes on the host
 * @proto:	IPPROTO_*
 * @dst:	destination as the guest addressed it
 * @dport:	destination port (0 for ICMP)
 * @host_dst:	filled with the address to use on the host
 * Return: 0, or -EPERM if the guest may not reach @dst (e.g. our own
 * gateway address when it is not mapped, multicast, unspecified)
 */
int nat_outbound(uint8_t proto, const union inany *dst, uint16_t dport,
		 union inany *host_dst);

/**
 * nat_inbound() - the address the guest sees for host peer @host_src
 * @host_src:	address of the peer on the host (e.g. 127.0.0.1)
 * @guest_src:	filled with the address to put in frames to the guest
 * Return: 0, or -EPERM if the peer cannot be represented to the guest
 */
int nat_inbound(const union inany *host_src, union inany *guest_src);

/* Bind @fd (family @v4 or IPv6) per --outbound / --outbound-if4/6 */
int nat_bind_outbound(int fd, bool v4);

#endif /* GANGWAY_FLOW_NAT_H */
