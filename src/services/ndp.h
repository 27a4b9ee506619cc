/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/ndp.h - Neighbour Discovery and Router Advertisements
 *
 * Owns: answering the guest's neighbour solicitations (RFC 4861 section
 * 7.2.4) for every address but the guest's own, as ARP does for IPv4, so
 * that all of the guest's IPv6 traffic comes to us; router advertisements
 * (section 6.2) on router solicitation and on a timer, carrying the guest's
 * /64 for SLAAC (RFC 4862), the MTU, RDNSS and DNSSL (RFC 8106), and M/O
 * flags that send the guest to DHCPv6.
 * Does not own: ICMPv6 checksum and header checks (ingress parses the
 * frame once with packet/packet.h before calling ndp_input()), DHCPv6
 * (services/dhcpv6.h), echo requests (flow/), MLD (ignored by ingress).
 * Uses: core/guest_tx.h to send, core/loop.h timers for periodic RAs,
 * core/stats.h counters, packet/build.h to write frames.
 * Limits: one guest; we never send neighbour solicitations ourselves (the
 * guest's MAC is learned by ingress). Redirects, and RAs and NAs from the
 * guest, are counted and ignored. An RA carries as many search domains as
 * fit in 1280 bytes. A solicitation is answered at once, without the
 * random delay and rate limit of RFC 4861 section 6.2.6: there is one
 * host on the link, and it gets one RA per RS it sends. Nothing is
 * allocated after ndp_init().
 */
#ifndef GANGWAY_SERVICES_NDP_H
#define GANGWAY_SERVICES_NDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/cursor.h"
#include "packet/packet.h"

#define NDP_MAX_DNS		4
#define NDP_MAX_SEARCH		8
#define NDP_NAME_MAX		253

/* ICMPv6 message types handled here (RFC 4861 section 4) */
enum ndp_type {
	NDP_RS		= 133,	/* router solicitation */
	NDP_RA		= 134,	/* router advertisement */
	NDP_NS		= 135,	/* neighbour solicitation */
	NDP_NA		= 136,	/* neighbour advertisement */
	NDP_REDIRECT	= 137,
};

/**
 * struct ndp_conf - what NDP needs of the configuration (filled by ingress)
 * @enabled:	false with --no-ndp, --no-icmp, or without IPv6: nothing is
 *		answered and no RA is sent
 * @ra:		false with --no-ra: no RAs, solicitations ignored
 * @managed:	DHCPv6 is on: RAs carry M=1 and O=1
 * @addr:	the guest's address; its /64 is the advertised prefix
 *		(unspecified: no prefix option)
 * @gw:		the gateway address, answered as our own
 * @our_ll:	our link-local address, source of every RA
 * @mtu:	MTU option value, 0 for none (--mtu 0)
 * @dns:	RDNSS addresses (@dns_count 0 with --no-dhcp-dns)
 * @search:	DNSSL domains (@search_count 0 with --no-dhcp-search)
 */
struct ndp_conf {
	bool enabled;
	bool ra;
	bool managed;
	struct in6_addr addr;
	struct in6_addr gw;
	struct in6_addr our_ll;
	uint32_t mtu;
	struct in6_addr dns[NDP_MAX_DNS];
	int dns_count;
	char search[NDP_MAX_SEARCH][NDP_NAME_MAX + 1];
	int search_count;
};

/* true for the ICMPv6 types ingress hands to ndp_input() (133 to 137) */
static inline bool ndp_is_ndp_type(uint8_t type)
{
	return type >= NDP_RS && type <= NDP_REDIRECT;
}

/**
 * ndp_init() - keep a copy of @nc, register counters, start the RA timer
 * @nc:		configuration, copied
 * @tx:		where replies go; must outlive the module
 *
 * The RA timer needs core/loop.h set up (loop_init()) when @nc enables
 * RAs. May be called again (tests): the previous state is dropped.
 * Return: 0, or -errno from timer_arm()
 */
int ndp_init(const struct ndp_conf *nc, struct guest_tx *tx);

/**
 * ndp_input() - handle one NDP message from the guest
 * @ip:		IPv6 view (source, destination, hop limit)
 * @icmp:	ICMPv6 view; the checksum has been verified by icmp_parse()
 * @body:	message after the 4-byte type/code/checksum header
 * @now_ns:	time of this wakeup
 *
 * Drops (counted) anything RFC 4861 section 7.1.1 / 6.1.1 says to drop:
 * hop limit other than 255, non-zero code, short bodies, zero-length or
 * truncated options, multicast targets, DAD probes with a source
 * link-layer option.
 */
void ndp_input(const struct ip_view *ip, const struct icmp_view *icmp,
	       struct pkt_cursor body, uint64_t now_ns);

/**
 * ndp_ra_tick() - the periodic RA work, run by the module's timer
 * @now_ns:	current time
 *
 * Until the guest has sent a frame this only re-arms itself; then it sends
 * an initial burst of RAs a second apart, then one every NDP_RA_INTERVAL_S.
 * Exported so that tests can run it without waiting.
 */
void ndp_ra_tick(uint64_t now_ns);

#endif /* GANGWAY_SERVICES_NDP_H */
