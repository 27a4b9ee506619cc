/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/icmp.h - the guest's ICMP and ICMPv6 echo requests on ping sockets
 *
 * Owns: echo flows (one per guest address, echo identifier and remote
 * address as the guest addressed it, ids from flow/table.h), their
 * unprivileged ping sockets (SOCK_DGRAM, IPPROTO_ICMP/IPPROTO_ICMPV6), the
 * mapping of the kernel's echo identifier back to the guest's, and idle
 * expiry of echo flows.
 * Does not own: ICMP errors, NDP (services/), address translation
 * (flow/nat.h).
 * Limits: ping sockets need our group inside net.ipv4.ping_group_range
 * (one warning, then drops counted as "icmp.drop_no_ping_socket"). Replies
 * larger than the link MTU are dropped and counted.
 *
 * flow/flow.c calls icmp_init() from flow_init() (after flow_table_init()
 * and nat_init()) and icmp_input() from flow_icmp_input().
 */
#ifndef GANGWAY_FLOW_ICMP_H
#define GANGWAY_FLOW_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "flow/flow.h"
#include "packet/cursor.h"
#include "packet/packet.h"

/* Idle echo flows are closed after this long without a request or reply */
#define ICMP_IDLE_NS	(60ULL * 1000000000ULL)

/* Allocate per-flow state; 0 or -errno */
int icmp_init(const struct flow_conf *fc, struct guest_tx *tx);

/*
 * A guest ICMP/ICMPv6 message, parsed and checksum-verified; @payload
 * starts at the echo identifier (after type, code and checksum).
 */
void icmp_input(const struct ip_view *ip, const struct icmp_view *icmp,
		struct pkt_cursor payload, uint64_t now_ns);

/*
 * Turn a reply read from a ping socket back into the guest's: check it is
 * an echo reply, restore @guest_id, zero the checksum. Exposed for tests.
 */
bool icmp_echo_rewrite(uint8_t *msg, size_t len, bool v6, uint16_t guest_id);

/* Idle timeout, ICMP_IDLE_NS unless changed (tests) */
void icmp_set_idle(uint64_t idle_ns);

/* Echo flows open now (tests, stats) */
unsigned int icmp_flow_count(void);

#endif /* GANGWAY_FLOW_ICMP_H */
