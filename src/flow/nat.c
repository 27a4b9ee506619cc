// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/nat.c - what the guest sees versus what the host uses
 *
 * The rules, guest to host (nat_outbound()):
 *   - unspecified, multicast, broadcast and loopback destinations are
 *     refused: the guest has no business sending those to the host;
 *   - the --map-host-loopback address (default: the gateway) becomes
 *     127.0.0.1 or ::1;
 *   - the --map-guest-addr address becomes the host's global address;
 *   - the --dns-forward address, UDP or TCP port 53, becomes --dns-host;
 *   - anything else is left as the guest addressed it.
 * Host to guest (nat_inbound()), for peers of inbound connections and
 * replies the host stack originates:
 *   - a loopback source (127.0.0.0/8, ::1) appears as the
 *     --map-host-loopback address;
 *   - the host's global address appears as --map-guest-addr, or, if that
 *     is not set, as --map-host-loopback (the guest's own address shadows
 *     the host's, so it cannot appear as itself);
 *   - anything else appears as itself.
 * A reply from --dns-host to a redirected query is flow-specific: each
 * flow keeps the address the guest addressed and answers from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "flow/nat.h"

/* The part of struct flow_conf the rules read, copied at init */
static struct nat_rules {
	bool ip4, ip6;
	union inany map_host_lo[2];	/* [0] IPv4, [1] IPv6 */
	union inany map_guest[2];
	union inany host_global[2];
	union inany dns_fwd[2];
	union inany dns_host[2];
	union inany outbound[2];
	char outbound_if[2][IFNAMSIZ];
} nat;

static const union inany nat_lo6 = { .a6 = IN6ADDR_LOOPBACK_INIT };

/**
 * nat_init() - take the mapping rules from the configuration
 * @fc:		flow configuration; only addresses are copied
 * Return: 0
 */
/* One rule's addresses, [0] IPv4 and [1] IPv6, from the configuration */
static void nat_pair(union inany pair[2], const union inany *a4,
		     const union inany *a6)
{
	pair[0] = *a4;
	pair[1] = *a6;
}

int nat_init(const struct flow_conf *fc)
{
	memset(&nat, 0, sizeof(nat));
	nat.ip4 = fc->ip4;
	nat.ip6 = fc->ip6;
	nat_pair(nat.map_host_lo, &fc->map_host_lo4, &fc->map_host_lo6);
	nat_pair(nat.map_guest, &fc->map_guest4, &fc->map_guest6);
	nat_pair(nat.host_global, &fc->host_global4, &fc->host_global6);
	nat_pair(nat.dns_fwd, &fc->dns_fwd4, &fc->dns_fwd6);
	nat_pair(nat.dns_host, &fc->dns_host4, &fc->dns_host6);
	nat_pair(nat.outbound, &fc->outbound4, &fc->outbound6);
	memcpy(nat.outbound_if[0], fc->outbound_if4, IFNAMSIZ);
	memcpy(nat.outbound_if[1], fc->outbound_if6, IFNAMSIZ);
	nat.outbound_if[0][IFNAMSIZ - 1] = '\0';
	nat.outbound_if[1][IFNAMSIZ - 1] = '\0';
	return 0;
}

static bool nat_is_loopback(const union inany *a)
{
	if (inany_is_v4(a))
		return ((const uint8_t *)&a->v4mapped.a4)[0] == 127;
	return inany_equal(a, &nat_lo6);
}

/* Unspecified (0.0.0.0 is IPv4-mapped unspecified too), any or broadcast */
static bool nat_is_unusable(const union inany *a)
{
	if (inany_is_v4(a)) {
		const uint8_t *b = (const uint8_t *)&a->v4mapped.a4;

		return b[0] == 0 || b[0] >= 224;	/* multicast, class E */
	}
	return inany_is_unspec(a) || a->a6.s6_addr[0] == 0xff;
}

/* Set and equal: an unset rule (unspecified address) never matches */
static bool nat_match(const union inany *rule, const union inany *a)
{
	return !inany_is_unspec(rule) && inany_equal(rule, a);
}

int nat_outbound(uint8_t proto, const union inany *dst, uint16_t dport,
		 union inany *host_dst)
{
	int f = inany_is_v4(dst) ? 0 : 1;

	if (nat_is_unusable(dst) || nat_is_loopback(dst))
		return -EPERM;
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && dport == 53 &&
	    nat_match(&nat.dns_fwd[f], dst)) {
		if (inany_is_unspec(&nat.dns_host[f]))
			return -EPERM;
		*host_dst = nat.dns_host[f];
		return 0;
	}
	if (nat_match(&nat.map_host_lo[f], dst)) {
		if (f == 0) {
			struct in_addr lo;

			lo.s_addr = htonl(INADDR_LOOPBACK);
			inany_from_v4(host_dst, lo);
		} else {
			*host_dst = nat_lo6;
		}
		return 0;
	}
	if (nat_match(&nat.map_guest[f], dst)) {
		if (inany_is_unspec(&nat.host_global[f]))
			return -EPERM;
		*host_dst = nat.host_global[f];
		return 0;
	}
	*host_dst = *dst;
	return 0;
}

int nat_inbound(const union inany *host_src, union inany *guest_src)
{
	int f = inany_is_v4(host_src) ? 0 : 1;

	if (nat_is_loopback(host_src)) {
		if (inany_is_unspec(&nat.map_host_lo[f]))
			return -EPERM;
		*guest_src = nat.map_host_lo[f];
		return 0;
	}
	if (nat_match(&nat.host_global[f], host_src)) {
		if (!inany_is_unspec(&nat.map_guest[f]))
			*guest_src = nat.map_guest[f];
		else if (!inany_is_unspec(&nat.map_host_lo[f]))
			*guest_src = nat.map_host_lo[f];
		else
			return -EPERM;
		return 0;
	}
	if (nat_is_unusable(host_src))
		return -EPERM;
	*guest_src = *host_src;
	return 0;
}

/**
 * nat_bind_outbound() - apply --outbound and --outbound-if4/6 to a socket
 * @fd:		fresh socket, not yet connected
 * @v4:		AF_INET socket (else AF_INET6)
 *
 * Loopback destinations are exempt from the interface binding by the
 * caller: they only pass through "lo".
 * Return: 0, or -errno from setsockopt() or bind()
 */
int nat_bind_outbound(int fd, bool v4)
{
	int f = v4 ? 0 : 1;

	if (nat.outbound_if[f][0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, nat.outbound_if[f],
		       (socklen_t)strlen(nat.outbound_if[f])) < 0)
		return -errno;

	if (inany_is_unspec(&nat.outbound[f]))
		return 0;
	if (v4) {
		struct sockaddr_in sa = {
			.sin_family = AF_INET,
			.sin_addr = nat.outbound[f].v4mapped.a4,
		};

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -errno;
	} else {
		struct sockaddr_in6 sa = {
			.sin6_family = AF_INET6,
			.sin6_addr = nat.outbound[f].a6,
		};

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -errno;
	}
	return 0;
}
