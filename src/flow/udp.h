/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/udp.h - the guest's UDP datagrams on host sockets
 *
 * Owns: UDP flows (one per guest-side 5-tuple, ids from flow/table.h),
 * their connected host sockets for outbound traffic, the bound sockets of
 * inbound -u forwarding rules, and idle expiry of UDP flows.
 * Does not own: address translation (flow/nat.h), the flow id pool
 * (flow/table.h), parsing (ingress hands us views).
 * Uses: core/loop.h, core/guest_tx.h, core/stats.h, packet/build.h.
 * Limits: a datagram whose frame would exceed the link MTU is dropped and
 * counted ("udp.drop_too_big"); we never fragment. New flows past
 * --max-flows are refused ("udp.refused_full") with a rate-limited warning.
 *
 * flow/flow.c calls udp_init() from flow_init() (after flow_table_init()
 * and nat_init()) and udp_input() from flow_udp_input().
 */
#ifndef GANGWAY_FLOW_UDP_H
#define GANGWAY_FLOW_UDP_H

#include <stdint.h>

#include "core/guest_tx.h"
#include "flow/flow.h"
#include "packet/cursor.h"
#include "packet/packet.h"

/* Idle UDP flows are closed after this long without a datagram */
#define UDP_IDLE_NS	(180ULL * 1000000000ULL)

/* Allocate per-flow state and open the -u listeners; 0 or -errno */
int udp_init(const struct flow_conf *fc, struct guest_tx *tx);

/*
 * A guest datagram, parsed and checksum-verified: @payload is its data.
 * It is queued, not sent: @payload must stay valid until udp_batch_end().
 */
void udp_input(const struct ip_view *ip, const struct udp_view *udp,
	       struct pkt_cursor payload, uint64_t now_ns);

/* Send the queued guest datagrams: one sendmmsg() per host socket */
void udp_batch_end(uint64_t now_ns);

/* Idle timeout, UDP_IDLE_NS unless changed (tests) */
void udp_set_idle(uint64_t idle_ns);

/* UDP flows open now (tests, stats) */
unsigned int udp_flow_count(void);

#endif /* GANGWAY_FLOW_UDP_H */
