/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/dhcp.h - DHCPv4 server for the one guest behind the link
 *
 * Owns: answering DISCOVER (OFFER), REQUEST (ACK, or NAK for another
 * address or server), INFORM (ACK without address or lease); tolerating
 * RELEASE and DECLINE; the options we hand out: subnet mask, router, DNS,
 * host name, domain search (RFC 3397, compressed), interface MTU, lease
 * time with T1/T2, server identifier, client FQDN (RFC 4702).
 * Does not own: address pools (there is exactly one address, the guest's),
 * relays (giaddr is echoed, never used), option overload (option 52 is
 * refused: the request is dropped and counted).
 * The option payloads that never change (search list, FQDN, DNS) are
 * encoded once in dhcp_init(); a reply is built on the stack per request.
 * Uses: core/guest_tx.h, core/log.h, core/stats.h, packet/build.h.
 */
#ifndef GANGWAY_SERVICES_DHCP_H
#define GANGWAY_SERVICES_DHCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/cursor.h"
#include "packet/packet.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define DHCP_DNS_MAX		4
#define DHCP_SEARCH_MAX		8
#define DHCP_NAME_MAX		253	/* longest name, as text */
#define DHCP_LEASE_S		(24 * 3600)
#define MTU_MIN_DHCP		68	/* RFC 2132 section 5.1 */

/**
 * struct dhcp_conf - what the DHCP server hands out
 * @addr:	the guest's address
 * @prefix_len:	its netmask, as prefix length (0 to 32)
 * @gw:		default router
 * @server:	our address: server identifier and reply source
 * @dns:	nameservers, @dns_count of them (0 with --no-dhcp-dns)
 * @search:	search domains, @search_count (0 with --no-dhcp-search)
 * @hostname:	option 12, "" for none (-H)
 * @fqdn:	option 81, "" for none (--fqdn)
 * @mtu:	option 26, 0 for none (--mtu 0)
 * @lease_s:	lease time in seconds, 0 for DHCP_LEASE_S
 */
struct dhcp_conf {
	struct in_addr addr;
	int prefix_len;
	struct in_addr gw;
	struct in_addr server;
	struct in_addr dns[DHCP_DNS_MAX];
	int dns_count;
	char search[DHCP_SEARCH_MAX][DHCP_NAME_MAX + 1];
	int search_count;
	char hostname[DHCP_NAME_MAX + 1];
	char fqdn[DHCP_NAME_MAX + 1];
	int mtu;
	uint32_t lease_s;
};

/* Check and keep @dc, pre-encode options; 0, or -EINVAL for a bad name */
int dhcp_init(const struct dhcp_conf *dc, struct guest_tx *tx);

/* A UDP datagram from the guest to port 67; @payload is the BOOTP message */
void dhcp_input(const struct ip_view *ip, const struct udp_view *udp,
		struct pkt_cursor payload, uint64_t now_ns);

#endif /* GANGWAY_SERVICES_DHCP_H */
