/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/flow.h - the guest's TCP, UDP and ICMP echo traffic on host sockets
 *
 * Owns: the flow table (fixed size, O(1) look-up by 5-tuple), address
 * translation between what the guest sees and what the host uses
 * (--map-host-loopback, --map-guest-addr, --dns-forward), outbound host
 * sockets (--outbound, --outbound-if4/6), inbound forwarding listeners
 * (-t/-u), and idle expiry.
 * Entry points: ingress calls flow_*_input() with parsed views; frames to
 * the guest go out through the struct guest_tx given to flow_init().
 */
#ifndef GANGWAY_FLOW_FLOW_H
#define GANGWAY_FLOW_FLOW_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/cursor.h"
#include "packet/inany.h"
#include "packet/packet.h"

#define FWD_RULES_MAX	128

/**
 * struct fwd_rule - one inbound forwarding range, exclusions already applied
 * @first:	first host port
 * @last:	last host port (inclusive)
 * @to_first:	guest port for @first (one to one after that)
 * @bind_addr:	host address to listen on; unspec: any (both families)
 * @bind_any4:	listen on IPv4 only (bind address was 0.0.0.0)
 * @bind_if:	host interface, "" for any
 * @to_addr:	guest address to connect to; unspec: the guest's address
 * @best_effort: ports that cannot be bound are skipped silently ("all")
 */
struct fwd_rule {
	uint16_t first;
	uint16_t last;
	uint16_t to_first;
	union inany bind_addr;
	bool bind_any4;
	char bind_if[IFNAMSIZ];
	union inany to_addr;
	bool best_effort;
};

/**
 * struct flow_conf - what the flow layer takes from the configuration
 * Addresses unspec (all zero) mean "none". IPv4 as IPv4-mapped.
 */
struct flow_conf {
	bool ip4, ip6;			/* families enabled */
	bool no_tcp, no_udp, no_icmp;
	bool freebind;
	unsigned int max_flows;
	int mtu;			/* link MTU: MSS = mtu - 40/60 */

	union inany guest4, guest6;	/* the guest's addresses */
	union inany gw4, gw6;		/* gateway the guest uses */
	union inany map_host_lo4, map_host_lo6;
	union inany map_guest4, map_guest6;
	union inany host_global4, host_global6; /* target of map_guest */
	union inany dns_fwd4, dns_fwd6;
	union inany dns_host4, dns_host6;
	union inany outbound4, outbound6;
	char outbound_if4[IFNAMSIZ];
	char outbound_if6[IFNAMSIZ];

	int tcp_fwd_count;
	struct fwd_rule tcp_fwd[FWD_RULES_MAX];
	int udp_fwd_count;
	struct fwd_rule udp_fwd[FWD_RULES_MAX];
};

/* Allocate the flow table, open forwarding listeners; 0 or -errno */
int flow_init(const struct flow_conf *fc, struct guest_tx *tx);

/* Guest packets, already parsed and checksum-verified by ingress */
void flow_tcp_input(const struct ip_view *ip, const struct tcp_view *tcp,
		    struct pkt_cursor payload, uint64_t now_ns);
void flow_udp_input(const struct ip_view *ip, const struct udp_view *udp,
		    struct pkt_cursor payload, uint64_t now_ns);

/*
 * Would flow_tcp_input() take the payload of this segment, whose headers
 * alone were parsed, in order and at once? Then the link may keep it and
 * move it into the socket itself (struct guest_tx rx_in_link). No side
 * effects.
 */
bool flow_tcp_splice_ok(const struct ip_view *ip, const struct tcp_view *tcp);
void flow_icmp_input(const struct ip_view *ip, const struct icmp_view *icmp,
		     struct pkt_cursor payload, uint64_t now_ns);

/*
 * End of a batch of guest frames (ingress_batch_end()): payloads handed to
 * the *_input() functions above may be kept until this call, which sends
 * what was gathered from them (UDP: one sendmmsg() per socket)
 */
void flow_batch_end(uint64_t now_ns);

#endif /* GANGWAY_FLOW_FLOW_H */
