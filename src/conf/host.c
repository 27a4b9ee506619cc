// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/host.c - defaults derived from the host, as passt(1) describes them
 *
 * IPv4: the guest gets the host interface's address, prefix length and
 * gateway (-a, -n, -g override each). Without a usable host address:
 * "local mode", 169.254.2.1/16 via 169.254.2.2. No gateway at all (an
 * interface without a default route) implies --no-dhcp.
 * IPv6: the host's global address on its interface, always /64, the
 * default gateway (else fe80::1); RA, NDP and DHCPv6 come from our_ll: the
 * gateway if it is link-local, else the interface's link-local address,
 * else fe80::1. No address, given or found: IPv6 is off.
 * Both: --map-host-loopback defaults to the gateway unless --no-map-gw;
 * nameservers come from resolv.conf unless -D is given, a loopback one
 * (127.0.0.53, ::1) being advertised as the mapped host-loopback address,
 * which then also acts as --dns-forward towards that resolver (unless
 * --dns-forward is given), so DNS reaches 127.0.0.53 and not 127.0.0.1;
 * with --dns-forward and no -D, the guest is told the forward address;
 * --dns-host defaults to the host's first nameserver of the family.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/discover.h"

/* Append @a to @list unless present; returns the new count */
static int conf_add_dns4(struct in_addr *list, int n, struct in_addr a)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].s_addr == a.s_addr)
			return n;
	if (n < CONF_MAX_DNS)
		list[n++] = a;
	return n;
}

static int conf_add_dns6(struct in6_addr *list, int n,
			 const struct in6_addr *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (IN6_ARE_ADDR_EQUAL(&list[i], a))
			return n;
	if (n < CONF_MAX_DNS)
		list[n++] = *a;
	return n;
}

static void conf_apply_ip4(struct conf *c, const struct host_net *h,
			   const struct resolv_conf *rc)
{
	struct conf_ip4 *ip4 = &c->ip4;
	bool host_ok = h->ifindex && h->has_addr &&
		       (ntohl(h->addr.v4mapped.a4.s_addr) >> 24) != 127;
	int i;

	if (h->ifindex)
		memcpy(ip4->host_if, h->ifname, sizeof(ip4->host_if));
	if (host_ok)
		ip4->host_addr = h->addr.v4mapped.a4;
	ip4->local_mode = !host_ok;

	if (!*conf_given.addr4)
		ip4->addr = host_ok ? h->addr.v4mapped.a4 :
			    (struct in_addr){ htonl(0xa9fe0201) }; /* .2.1 */
	if (ip4->prefix_len < 0)
		ip4->prefix_len = host_ok ? h->prefix_len : 16;
	if (!*conf_given.gw4) {
		if (host_ok && h->has_gw)
			ip4->gw = h->gw.v4mapped.a4;
		else if (!host_ok)
			ip4->gw.s_addr = htonl(0xa9fe0202); /* 169.254.2.2 */
	}

	if (!*conf_given.map_lo4 && !conf_given.map_lo_none && !c->no_map_gw)
		ip4->map_host_lo = ip4->gw;

	if (!*conf_given.dns_host4 && rc->dns4_count)
		ip4->dns_host = rc->dns4[0];

	if (conf_given.dns)
		return;		/* -D given: exactly what the user said */
	if (ip4->dns_fwd.s_addr) {
		ip4->dns[0] = ip4->dns_fwd;
		ip4->dns_count = 1;
		return;
	}
	ip4->dns_count = 0;
	for (i = 0; i < rc->dns4_count; i++) {
		struct in_addr a = rc->dns4[i];

		if ((ntohl(a.s_addr) >> 24) == 127) {
			/*
			 * A local resolver (127.0.0.53): the guest asks the
			 * mapped address, and DNS to it goes to this resolver
			 * rather than to 127.0.0.1, as --dns-forward would do
			 */
			if (!ip4->map_host_lo.s_addr)
				continue;
			a = ip4->map_host_lo;
			if (!*conf_given.dns_fwd4 && !ip4->dns_fwd.s_addr) {
				ip4->dns_fwd = a;
				if (!*conf_given.dns_host4)
					ip4->dns_host = rc->dns4[i];
			}
		}
		ip4->dns_count = conf_add_dns4(ip4->dns, ip4->dns_count, a);
	}
}

static void conf_apply_ip6(struct conf *c, const struct host_net *h,
			   const struct resolv_conf *rc)
{
	static const struct in6_addr fe80_1 = {
		.s6_addr = { 0xfe, 0x80, [15] = 1 } };
	struct conf_ip6 *ip6 = &c->ip6;
	bool host_ok = h->ifindex && h->has_addr;
	int i;

	if (h->ifindex)
		memcpy(ip6->host_if, h->ifname, sizeof(ip6->host_if));
	if (host_ok)
		ip6->host_addr = h->addr.a6;
	if (!*conf_given.addr6) {
		if (!host_ok) {
			ip6->enabled = false;
			ip6->off_why = h->ifindex ?
				       "no global address on the host interface" :
				       "no host interface with IPv6 routes";
			return;
		}
		ip6->addr = h->addr.a6;
	}
	ip6->prefix_len = 64;

	if (!*conf_given.gw6)
		ip6->gw = (h->ifindex && h->has_gw) ? h->gw.a6 : fe80_1;
	if (IN6_IS_ADDR_LINKLOCAL(&ip6->gw))
		ip6->our_ll = ip6->gw;
	else if (h->ifindex && h->has_ll)
		ip6->our_ll = h->ll;
	else
		ip6->our_ll = fe80_1;

	if (!*conf_given.map_lo6 && !conf_given.map_lo_none && !c->no_map_gw)
		ip6->map_host_lo = ip6->gw;

	if (!*conf_given.dns_host6 && rc->dns6_count)
		ip6->dns_host = rc->dns6[0];

	if (conf_given.dns)
		return;
	if (!IN6_IS_ADDR_UNSPECIFIED(&ip6->dns_fwd)) {
		ip6->dns[0] = ip6->dns_fwd;
		ip6->dns_count = 1;
		return;
	}
	ip6->dns_count = 0;
	for (i = 0; i < rc->dns6_count; i++) {
		struct in6_addr a = rc->dns6[i];

		if (IN6_IS_ADDR_LOOPBACK(&a)) {
			/* As for IPv4: ::1 is asked through the mapping */
			if (IN6_IS_ADDR_UNSPECIFIED(&ip6->map_host_lo))
				continue;
			a = ip6->map_host_lo;
			if (!*conf_given.dns_fwd6 &&
			    IN6_IS_ADDR_UNSPECIFIED(&ip6->dns_fwd)) {
				ip6->dns_fwd = a;
				if (!*conf_given.dns_host6)
					ip6->dns_host = rc->dns6[i];
			}
		}
		ip6->dns_count = conf_add_dns6(ip6->dns, ip6->dns_count, &a);
	}
}

void conf_apply_host(struct conf *c, const struct host_net *h4,
		     const struct host_net *h6, const struct resolv_conf *rc)
{
	if (c->ip4.enabled)
		conf_apply_ip4(c, h4, rc);
	if (c->ip6.enabled)
		conf_apply_ip6(c, h6, rc);
	else
		c->ip6.off_why = conf_given.v4only;

	if (c->ip6.enabled && c->mtu && c->mtu < MTU_IPV6_MIN) {
		const char *v6 = *conf_given.addr6 ? conf_given.addr6 :
				 conf_given.gw6;

		if (*v6 || *conf_given.v6only)
			conf_die("%s and %s conflict: IPv6 needs an MTU of at least %d",
				 conf_given.mtu, *v6 ? v6 : conf_given.v6only,
				 MTU_IPV6_MIN);
		c->ip6.enabled = false;
		c->ip6.off_why = "MTU below 1280";
	}

	if (!c->ip4.enabled && !c->ip6.enabled)
		conf_die("%s: the host has no IPv6 address on %s and none was given with --address",
			 conf_given.v6only, *h6->ifname ? h6->ifname : "any interface");

	if (!conf_given.search && rc->search_count) {
		memcpy(c->search, rc->search, sizeof(c->search));
		c->search_count = rc->search_count;
	}

	/* Implied by a missing family or gateway (passt(1), --no-dhcp) */
	if (!c->ip4.enabled || !c->ip4.gw.s_addr)
		c->no_dhcp = true;
	if (!c->ip6.enabled) {
		c->no_ndp = true;
		c->no_ra = true;
		c->no_dhcpv6 = true;
	}
	if (c->no_icmp)
		c->no_ndp = true;

	if (c->ip4.enabled && h4->has_mac) {
		c->has_host_mac = true;
		memcpy(c->host_mac, h4->mac, sizeof(c->host_mac));
	} else if (c->ip6.enabled && h6->has_mac) {
		c->has_host_mac = true;
		memcpy(c->host_mac, h6->mac, sizeof(c->host_mac));
	}
}

/* ip_local_port_range: "all" stays out of the ephemeral ports */
static void conf_ephemeral(struct conf *c)
{
	unsigned int lo = PORT_EPHEMERAL_FIRST, hi = PORT_EPHEMERAL_LAST;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || !lo || lo > hi ||
		    hi > 65535) {
			lo = PORT_EPHEMERAL_FIRST;
			hi = PORT_EPHEMERAL_LAST;
		}
		fclose(f);
	}
	c->tcp_ports.ephemeral_first = (uint16_t)lo;
	c->tcp_ports.ephemeral_last = (uint16_t)hi;
	c->udp_ports.ephemeral_first = (uint16_t)lo;
	c->udp_ports.ephemeral_last = (uint16_t)hi;

	/* Consumers then see real ranges; "all" rules stay best effort */
	if (ports_split_all(&c->tcp_ports))
		conf_die("%s: more than %d port ranges once 'all' is split around the ephemeral ports %u-%u",
			 conf_given.tcp, PORT_RULES_MAX, lo, hi);
	if (ports_split_all(&c->udp_ports))
		conf_die("%s: more than %d port ranges once 'all' is split around the ephemeral ports %u-%u",
			 conf_given.udp, PORT_RULES_MAX, lo, hi);
}

/* Interface name for @af and the option that named it, if any */
static const char *conf_if_for(const struct conf *c, bool v4,
			       const char **ref)
{
	if (*c->iface) {
		*ref = conf_given.iface;
		return c->iface;
	}
	if (v4 && *c->ip4.outbound_if) {
		*ref = conf_given.out_if4;
		return c->ip4.outbound_if;
	}
	if (!v4 && *c->ip6.outbound_if) {
		*ref = conf_given.out_if6;
		return c->ip6.outbound_if;
	}
	*ref = NULL;
	return "";
}

void conf_discover(struct conf *c)
{
	struct host_net h4 = { 0 }, h6 = { 0 };
	static struct resolv_conf rc;
	const char *ifname, *ref;
	int rc_err;

	/* A named interface must exist, even for a family we do not use */
	if (*c->iface && !if_nametoindex(c->iface))
		conf_die("%s: no such interface", conf_given.iface);
	if (*c->ip4.outbound_if && !if_nametoindex(c->ip4.outbound_if))
		conf_die("%s: no such interface", conf_given.out_if4);
	if (*c->ip6.outbound_if && !if_nametoindex(c->ip6.outbound_if))
		conf_die("%s: no such interface", conf_given.out_if6);

	if (c->ip4.enabled) {
		ifname = conf_if_for(c, true, &ref);
		rc_err = nl_discover(AF_INET, ifname, &h4);
		if (rc_err)
			conf_die("reading IPv4 routes and addresses%s%s: %s",
				 ref ? " for " : "", ref ? ref : "",
				 strerror(-rc_err));
	}
	if (c->ip6.enabled) {
		ifname = conf_if_for(c, false, &ref);
		rc_err = nl_discover(AF_INET6, ifname, &h6);
		if (rc_err)
			conf_die("reading IPv6 routes and addresses%s%s: %s",
				 ref ? " for " : "", ref ? ref : "",
				 strerror(-rc_err));
	}
	rc_err = resolv_read("/etc/resolv.conf", &rc);
	if (rc_err)
		memset(&rc, 0, sizeof(rc));	/* unreadable: no host DNS */

	conf_apply_host(c, &h4, &h6, &rc);
	conf_ephemeral(c);
}

