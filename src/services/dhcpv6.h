/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/dhcpv6.h - a one-lease DHCPv6 server for the guest (RFC 8415)
 *
 * Owns: answering Solicit (Advertise, or Reply with Rapid Commit when the
 * client asks for it), Request, Confirm, Renew, Rebind, Release, Decline
 * and Information-request (Reply); handing out the one configured address
 * in an IA_NA; the server DUID (DUID-LL from our MAC); DNS servers (option
 * 23), domain search list (24) and client FQDN (39, RFC 4704).
 * Does not own: UDP/IPv6 header and checksum checks (ingress parses the
 * frame with packet/packet.h first), router advertisements that tell the
 * guest to use DHCPv6 (services/ndp.h), dynamic DNS updates.
 * Uses: core/guest_tx.h to send, core/stats.h counters, packet/build.h.
 * Limits: one address, no leases kept (every client gets @addr); IA_TA
 * and IA_PD are not served; relay messages are dropped; at most
 * DHCPV6_OPTS_MAX options are read from a message, client DUIDs are at
 * most 130 bytes. Replies go from our link-local address, port 547, to
 * the client's source address, port 546. Options 23, 24 and 39 are sent
 * whether or not the client's Option Request lists them (RFC 8415 section
 * 18.3 lets a server add options). Nothing is allocated.
 */
#ifndef GANGWAY_SERVICES_DHCPV6_H
#define GANGWAY_SERVICES_DHCPV6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/cursor.h"
#include "packet/packet.h"

#define DHCPV6_CLIENT_PORT	546
#define DHCPV6_SERVER_PORT	547
#define DHCPV6_MAX_DNS		4
#define DHCPV6_MAX_SEARCH	8
#define DHCPV6_NAME_MAX		253

/**
 * struct dhcpv6_conf - what DHCPv6 needs of the configuration
 * @enabled:	false with --no-dhcpv6 or without IPv6: requests are dropped
 * @addr:	the address handed out in IA_NA (unspecified: NoAddrsAvail)
 * @our_ll:	our link-local address, source of every reply
 * @dns:	option 23 (@dns_count 0 with --no-dhcp-dns)
 * @search:	option 24 (@search_count 0 with --no-dhcp-search)
 * @fqdn:	option 39 (--fqdn), empty for none
 */
struct dhcpv6_conf {
	bool enabled;
	struct in6_addr addr;
	struct in6_addr our_ll;
	struct in6_addr dns[DHCPV6_MAX_DNS];
	int dns_count;
	char search[DHCPV6_MAX_SEARCH][DHCPV6_NAME_MAX + 1];
	int search_count;
	char fqdn[DHCPV6_NAME_MAX + 1];
};

/**
 * dhcpv6_init() - keep a copy of @dc, register counters
 * @dc:		configuration, copied
 * @tx:		where replies go; its @our_mac makes our DUID
 * Return: 0
 */
int dhcpv6_init(const struct dhcpv6_conf *dc, struct guest_tx *tx);

/**
 * dhcpv6_wants() - is this UDP datagram for the DHCPv6 server?
 * @ip:		IPv6 view
 * @udp:	UDP view
 *
 * Destination port 547 to All_DHCP_Relay_Agents_and_Servers (ff02::1:2)
 * or to our link-local address. Anything else on port 547 is ordinary
 * traffic for the flow layer.
 */
bool dhcpv6_wants(const struct ip_view *ip, const struct udp_view *udp);

/**
 * dhcpv6_input() - handle one DHCPv6 message from the guest
 * @ip:		IPv6 view
 * @udp:	UDP view (checksum verified by udp_parse())
 * @payload:	the DHCPv6 message
 * @now_ns:	time of this wakeup
 *
 * Malformed messages (short, bad option lengths, missing or unexpected
 * identifiers, too many options) are dropped and counted.
 */
void dhcpv6_input(const struct ip_view *ip, const struct udp_view *udp,
		  struct pkt_cursor payload, uint64_t now_ns);

#endif /* GANGWAY_SERVICES_DHCPV6_H */
