// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ingress.c - parse each guest frame once and hand the views on
 *
 * Theory of operation: a frame from the link is parsed layer by layer,
 * each layer exactly once: Ethernet, then ARP or IPv4/IPv6, then the L4
 * header with its checksum. The L4 checksum is not verified when the
 * link says the guest left it to the device or vouched for it
 * (guest_tx rx_csum_trusted: vhost-user NEEDS_CSUM or DATA_VALID, bounds
 * checked by the link): every TCP and UDP flow ends on a host socket, so
 * that checksum only ever guarded the copy in memory. Everything else is
 * checked as always. The views go to one consumer:
 *
 *	ARP				services/arp.c
 *	UDP 68 -> 67 over IPv4		services/dhcp.c
 *	UDP to 547 (dhcpv6_wants())	services/dhcpv6.c
 *	ICMPv6 133 to 137		services/ndp.c
 *	ICMP/ICMPv6 echo request	flow (ping sockets)
 *	TCP, other UDP			flow
 *
 * Everything else is dropped, and every drop is counted under "ingress"
 * with its reason: one counter per enum pkt_err from the parsers, and one
 * per policy (a family or protocol switched off, an ethertype or ICMP
 * type we do not handle). Switches (-4, -6, --no-tcp, --no-udp,
 * --no-icmp, --no-dhcp, --no-ndp, --no-dhcpv6) are honoured here, so a
 * disabled module never sees a frame.
 *
 * This is also where the guest's MAC is learned for struct guest_tx:
 * the source of every frame with a unicast source address.
 *
 * Configuration: ingress_init() cuts struct conf into each module's own
 * configuration struct; the flow configuration must outlive the loop, so
 * it is static here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/stats.h"
#include "flow/flow.h"
#include "ingress.h"
#include "packet/packet.h"
#include "services/arp.h"
#include "services/dhcp.h"
#include "services/dhcpv6.h"
#include "services/ndp.h"

enum ingress_ctr {
	/* one per enum pkt_err, in the same order; PKT_OK is "frames" */
	ING_C_FRAMES = PKT_OK,
	ING_C_DROP_SHORT = PKT_E_SHORT,
	ING_C_DROP_BAD_HEADER = PKT_E_BAD_HEADER,
	ING_C_DROP_BAD_LENGTH = PKT_E_BAD_LENGTH,
	ING_C_DROP_BAD_CSUM = PKT_E_BAD_CSUM,
	ING_C_DROP_FRAGMENT = PKT_E_FRAGMENT,
	ING_C_DROP_UNSUPPORTED = PKT_E_UNSUPPORTED,
	ING_C_DROP_NOT_FOR_US = PKT_E_NOT_FOR_US,
	ING_C_BYTES = PKT_E__COUNT,
	ING_C_ARP,
	ING_C_IPV4,
	ING_C_IPV6,
	ING_C_TCP,
	ING_C_UDP,
	ING_C_ICMP,
	ING_C_DHCP,
	ING_C_DHCPV6,
	ING_C_NDP,
	ING_C_DROP_ETHERTYPE,
	ING_C_DROP_ARP_OFF,
	ING_C_DROP_IPV4_OFF,
	ING_C_DROP_IPV6_OFF,
	ING_C_DROP_L4_PROTO,
	ING_C_DROP_TCP_OFF,
	ING_C_DROP_UDP_OFF,
	ING_C_DROP_ICMP_OFF,
	ING_C_DROP_ICMP_TYPE,
	ING_C_DROP_DHCP_OFF,
	ING_C_DROP_DHCPV6_OFF,
	ING_C_DROP_NDP_OFF,
	ING_C_CSUM_TRUSTED,
	ING_C__COUNT
};

static const char *const ingress_ctr_names[] = {
	[ING_C_FRAMES]		= "frames",
	[ING_C_DROP_SHORT]	= "drop_short",
	[ING_C_DROP_BAD_HEADER]	= "drop_bad_header",
	[ING_C_DROP_BAD_LENGTH]	= "drop_bad_length",
	[ING_C_DROP_BAD_CSUM]	= "drop_bad_csum",
	[ING_C_DROP_FRAGMENT]	= "drop_fragment",
	[ING_C_DROP_UNSUPPORTED] = "drop_unsupported",
	[ING_C_DROP_NOT_FOR_US]	= "drop_not_for_us",
	[ING_C_BYTES]		= "bytes",
	[ING_C_ARP]		= "arp",
	[ING_C_IPV4]		= "ipv4",
	[ING_C_IPV6]		= "ipv6",
	[ING_C_TCP]		= "tcp",
	[ING_C_UDP]		= "udp",
	[ING_C_ICMP]		= "icmp_echo",
	[ING_C_DHCP]		= "dhcp",
	[ING_C_DHCPV6]		= "dhcpv6",
	[ING_C_NDP]		= "ndp",
	[ING_C_DROP_ETHERTYPE]	= "drop_ethertype",
	[ING_C_DROP_ARP_OFF]	= "drop_arp_off",
	[ING_C_DROP_IPV4_OFF]	= "drop_ipv4_off",
	[ING_C_DROP_IPV6_OFF]	= "drop_ipv6_off",
	[ING_C_DROP_L4_PROTO]	= "drop_l4_proto",
	[ING_C_DROP_TCP_OFF]	= "drop_tcp_off",
	[ING_C_DROP_UDP_OFF]	= "drop_udp_off",
	[ING_C_DROP_ICMP_OFF]	= "drop_icmp_off",
	[ING_C_DROP_ICMP_TYPE]	= "drop_icmp_type",
	[ING_C_DROP_DHCP_OFF]	= "drop_dhcp_off",
	[ING_C_DROP_DHCPV6_OFF]	= "drop_dhcpv6_off",
	[ING_C_DROP_NDP_OFF]	= "drop_ndp_off",
	[ING_C_CSUM_TRUSTED]	= "l4_csum_not_verified",
};

static_assert(ARRAY_SIZE(ingress_ctr_names) == ING_C__COUNT,
	      "ingress_ctr_names must name every counter");

/**
 * struct ingress - what dispatch needs, set once by ingress_init()
 * @tx:		the link towards the guest (guest MAC learned into it)
 * @ip4, @ip6:	families enabled
 * @tcp, @udp, @icmp: protocols enabled (--no-tcp, --no-udp, --no-icmp)
 * @dhcp, @dhcpv6, @ndp: services enabled
 * @ctr:	counters, registered as "ingress"
 */
struct ingress {
	struct guest_tx *tx;
	bool ip4, ip6;
	bool tcp, udp, icmp;
	bool dhcp, dhcpv6, ndp;
	uint64_t ctr[ING_C__COUNT];
};

static struct ingress in;
/* Handed to flow_init(), which keeps the pointer: written only there */
static struct flow_conf in_flow_conf;

/* Count a drop by its reason; with --trace, say so (per packet) */
static inline void ingress_drop(enum ingress_ctr c)
{
	in.ctr[c]++;
	if (unlikely(log_enabled(LOG_LVL_TRACE)))
		trace("ingress: frame %llu dropped: %s",
		      (unsigned long long)in.ctr[ING_C_FRAMES],
		      ingress_ctr_names[c]);
}

/* IPv4 address of @a as IPv4-mapped, or unspec for 0.0.0.0 */
static union inany ingress_v4(struct in_addr a)
{
	union inany r;

	memset(&r, 0, sizeof(r));
	if (a.s_addr)
		inany_from_v4(&r, a);
	return r;
}

static union inany ingress_v6(const struct in6_addr *a)
{
	union inany r;

	inany_from_v6(&r, a);
	return r;
}

/**
 * ingress_fwd_rules() - turn a -t/-u spec into the flow layer's rules
 * @ps:		parsed spec
 * @out:	rules, at most FWD_RULES_MAX
 *
 * conf/ports.h expands "all" and splits ranges around excluded ports;
 * the fields then carry over as that header describes.
 * Return: number of rules, or -ENOSPC if they do not fit
 */
static int ingress_fwd_rules(const struct port_spec *ps, struct fwd_rule *out)
{
	static struct port_rule exp[FWD_RULES_MAX];
	int i, n;

	n = ports_expand(ps, exp, FWD_RULES_MAX);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const struct port_rule *r = &exp[i];
		struct fwd_rule *f = &out[i];

		memset(f, 0, sizeof(*f));
		f->first = r->first;
		f->last = r->last;
		f->to_first = r->to_first;
		f->bind_addr = r->bind_addr;
		f->bind_any4 = port_rule_any4(r);
		memcpy(f->bind_if, r->bind_if, sizeof(f->bind_if));
		if (r->has_to)
			f->to_addr = r->to_addr;
		f->best_effort = r->best_effort;
	}
	return n;
}

/* struct conf to struct flow_conf */
static int ingress_flow_conf(const struct conf *c, struct flow_conf *fc)
{
	int n;

	memset(fc, 0, sizeof(*fc));
	fc->ip4 = c->ip4.enabled;
	fc->ip6 = c->ip6.enabled;
	fc->no_tcp = c->no_tcp;
	fc->no_udp = c->no_udp;
	fc->no_icmp = c->no_icmp;
	fc->freebind = c->freebind;
	fc->max_flows = c->max_flows;	/* conf sets the default */
	fc->mtu = c->mtu;
	if (c->ip4.enabled) {
		fc->guest4 = ingress_v4(c->ip4.addr);
		fc->gw4 = ingress_v4(c->ip4.gw);
		fc->map_host_lo4 = ingress_v4(c->ip4.map_host_lo);
		fc->map_guest4 = ingress_v4(c->ip4.map_guest);
		fc->host_global4 = ingress_v4(c->ip4.host_addr);
		fc->dns_fwd4 = ingress_v4(c->ip4.dns_fwd);
		fc->dns_host4 = ingress_v4(c->ip4.dns_host);
		fc->outbound4 = ingress_v4(c->ip4.outbound);
		memcpy(fc->outbound_if4, c->ip4.outbound_if, IFNAMSIZ);
	}
	if (c->ip6.enabled) {
		fc->guest6 = ingress_v6(&c->ip6.addr);
		fc->gw6 = ingress_v6(&c->ip6.gw);
		fc->map_host_lo6 = ingress_v6(&c->ip6.map_host_lo);
		fc->map_guest6 = ingress_v6(&c->ip6.map_guest);
		fc->host_global6 = ingress_v6(&c->ip6.host_addr);
		fc->dns_fwd6 = ingress_v6(&c->ip6.dns_fwd);
		fc->dns_host6 = ingress_v6(&c->ip6.dns_host);
		fc->outbound6 = ingress_v6(&c->ip6.outbound);
		memcpy(fc->outbound_if6, c->ip6.outbound_if, IFNAMSIZ);
	}

	n = ingress_fwd_rules(&c->tcp_ports, fc->tcp_fwd);
	if (n < 0)
		goto out_too_many;
	fc->tcp_fwd_count = n;
	n = ingress_fwd_rules(&c->udp_ports, fc->udp_fwd);
	if (n < 0)
		goto out_too_many;
	fc->udp_fwd_count = n;
	return 0;

out_too_many:
	err("ingress: more than %d port forwarding ranges after exclusions",
	    FWD_RULES_MAX);
	return -ENOSPC;
}

/* struct conf to struct dhcp_conf; false if DHCP cannot run */
static bool ingress_dhcp_conf(const struct conf *c, struct dhcp_conf *dc)
{
	int i;

	memset(dc, 0, sizeof(*dc));
	if (!c->ip4.enabled || c->no_dhcp || !c->ip4.addr.s_addr)
		return false;
	dc->addr = c->ip4.addr;
	dc->prefix_len = c->ip4.prefix_len;
	dc->gw = c->ip4.gw;
	/* our address as the guest sees it: the gateway it talks to */
	dc->server = c->ip4.gw.s_addr ? c->ip4.gw : c->ip4.map_host_lo;
	if (!dc->server.s_addr)
		return false;
	if (!c->no_dhcp_dns)
		for (i = 0; i < c->ip4.dns_count && i < DHCP_DNS_MAX; i++)
			dc->dns[dc->dns_count++] = c->ip4.dns[i];
	if (!c->no_dhcp_search)
		for (i = 0; i < c->search_count && i < DHCP_SEARCH_MAX; i++)
			snprintf(dc->search[dc->search_count++],
				 sizeof(dc->search[0]), "%s", c->search[i]);
	snprintf(dc->hostname, sizeof(dc->hostname), "%s", c->hostname);
	snprintf(dc->fqdn, sizeof(dc->fqdn), "%s", c->fqdn);
	dc->mtu = c->mtu;
	return true;
}

static void ingress_ndp_conf(const struct conf *c, struct ndp_conf *nc)
{
	int i;

	memset(nc, 0, sizeof(*nc));
	nc->enabled = c->ip6.enabled && !c->no_ndp && !c->no_icmp;
	nc->ra = nc->enabled && !c->no_ra;
	nc->managed = c->ip6.enabled && !c->no_dhcpv6;
	nc->addr = c->ip6.addr;
	nc->gw = c->ip6.gw;
	nc->our_ll = c->ip6.our_ll;
	nc->mtu = c->mtu > 0 ? (uint32_t)c->mtu : 0;
	if (!c->no_dhcp_dns)
		for (i = 0; i < c->ip6.dns_count && i < NDP_MAX_DNS; i++)
			nc->dns[nc->dns_count++] = c->ip6.dns[i];
	if (!c->no_dhcp_search)
		for (i = 0; i < c->search_count && i < NDP_MAX_SEARCH; i++)
			snprintf(nc->search[nc->search_count++],
				 sizeof(nc->search[0]), "%s", c->search[i]);
}

static void ingress_dhcpv6_conf(const struct conf *c, struct dhcpv6_conf *dc)
{
	int i;

	memset(dc, 0, sizeof(*dc));
	dc->enabled = c->ip6.enabled && !c->no_dhcpv6;
	dc->addr = c->ip6.addr;
	dc->our_ll = c->ip6.our_ll;
	if (!c->no_dhcp_dns)
		for (i = 0; i < c->ip6.dns_count && i < DHCPV6_MAX_DNS; i++)
			dc->dns[dc->dns_count++] = c->ip6.dns[i];
	if (!c->no_dhcp_search)
		for (i = 0; i < c->search_count && i < DHCPV6_MAX_SEARCH; i++)
			snprintf(dc->search[dc->search_count++],
				 sizeof(dc->search[0]), "%s", c->search[i]);
	snprintf(dc->fqdn, sizeof(dc->fqdn), "%s", c->fqdn);
}

/**
 * ingress_init() - configure every module from @c and remember switches
 * @c:		the whole configuration (only ingress and main.c see it)
 * @tx:		the link towards the guest
 *
 * Return: 0, or -errno from the first module that failed (it logged why)
 */
int ingress_init(const struct conf *c, struct guest_tx *tx)
{
	static bool registered;
	struct dhcpv6_conf d6c;
	struct arp_conf ac;
	struct dhcp_conf dc;
	struct ndp_conf nc;
	int rc;

	memset(&in, 0, sizeof(in));
	in.tx = tx;
	in.ip4 = c->ip4.enabled;
	in.ip6 = c->ip6.enabled;
	in.tcp = !c->no_tcp;
	in.udp = !c->no_udp;
	in.icmp = !c->no_icmp;
	if (!registered) {
		rc = stats_register("ingress", ingress_ctr_names, in.ctr,
				    ING_C__COUNT);
		if (rc)
			return rc;
		registered = true;
	}

	ac.guest = c->ip4.addr;
	rc = arp_init(&ac, tx);
	if (rc)
		return rc;
	in.dhcp = ingress_dhcp_conf(c, &dc);
	if (in.dhcp) {
		rc = dhcp_init(&dc, tx);
		if (rc) {
			err("dhcp: cannot encode the host name, FQDN or search list");
			return rc;
		}
	}
	ingress_ndp_conf(c, &nc);
	in.ndp = nc.enabled;
	rc = ndp_init(&nc, tx);
	if (rc)
		return rc;
	ingress_dhcpv6_conf(c, &d6c);
	in.dhcpv6 = d6c.enabled;
	rc = dhcpv6_init(&d6c, tx);
	if (rc)
		return rc;

	rc = ingress_flow_conf(c, &in_flow_conf);
	if (rc)
		return rc;
	return flow_init(&in_flow_conf, tx);
}

/* Learn the guest's MAC from a unicast source address */
static void ingress_learn_mac(const struct eth_view *eth)
{
	struct guest_tx *tx = in.tx;

	if (eth->src[0] & 1)		/* group address: not a station */
		return;
	if (tx->guest_seen && !memcmp(tx->guest_mac, eth->src, ETH_ALEN))
		return;
	memcpy(tx->guest_mac, eth->src, ETH_ALEN);
	tx->guest_seen = 1;
}

static void ingress_arp(const struct eth_view *eth, struct pkt_cursor cur,
			uint64_t now_ns)
{
	struct arp_view arp;
	enum pkt_err e;

	if (!in.ip4) {
		ingress_drop(ING_C_DROP_ARP_OFF);
		return;
	}
	e = arp_parse(&cur, &arp);
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	in.ctr[ING_C_ARP]++;
	arp_input(eth, &arp, now_ns);
}

static void ingress_tcp(const struct ip_view *ip, struct pkt_cursor cur,
			uint64_t now_ns)
{
	struct tcp_view tcp;
	enum pkt_err e;

	if (!in.tcp) {
		ingress_drop(ING_C_DROP_TCP_OFF);
		return;
	}
	e = tcp_parse(&cur, ip, &tcp);
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	in.ctr[ING_C_TCP]++;
	flow_tcp_input(ip, &tcp, cur, now_ns);
}

static void ingress_udp(const struct ip_view *ip, struct pkt_cursor cur,
			uint64_t now_ns)
{
	struct udp_view udp;
	enum pkt_err e;

	e = udp_parse(&cur, ip, &udp);
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	if (ip->version == 4 && udp.dport == DHCP_SERVER_PORT &&
	    udp.sport == DHCP_CLIENT_PORT) {
		if (!in.dhcp) {
			ingress_drop(ING_C_DROP_DHCP_OFF);
			return;
		}
		in.ctr[ING_C_DHCP]++;
		dhcp_input(ip, &udp, cur, now_ns);
		return;
	}
	if (ip->version == 6 && udp.dport == DHCPV6_SERVER_PORT &&
	    dhcpv6_wants(ip, &udp)) {
		if (!in.dhcpv6) {
			ingress_drop(ING_C_DROP_DHCPV6_OFF);
			return;
		}
		in.ctr[ING_C_DHCPV6]++;
		dhcpv6_input(ip, &udp, cur, now_ns);
		return;
	}
	if (!in.udp) {
		ingress_drop(ING_C_DROP_UDP_OFF);
		return;
	}
	in.ctr[ING_C_UDP]++;
	flow_udp_input(ip, &udp, cur, now_ns);
}

static void ingress_icmp(const struct ip_view *ip, struct pkt_cursor cur,
			 uint64_t now_ns)
{
	struct icmp_view icmp;
	enum pkt_err e;

	e = icmp_parse(&cur, ip, &icmp);
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	if (ip->version == 6 && ndp_is_ndp_type(icmp.type)) {
		if (!in.ndp) {
			ingress_drop(ING_C_DROP_NDP_OFF);
			return;
		}
		in.ctr[ING_C_NDP]++;
		ndp_input(ip, &icmp, cur, now_ns);
		return;
	}
	if (icmp.type != (ip->version == 4 ? ICMP_ECHO_REQUEST :
			  ICMPV6_ECHO_REQUEST)) {
		/* replies to nothing we sent, errors, MLD reports */
		ingress_drop(ING_C_DROP_ICMP_TYPE);
		return;
	}
	if (!in.icmp) {
		ingress_drop(ING_C_DROP_ICMP_OFF);
		return;
	}
	in.ctr[ING_C_ICMP]++;
	flow_icmp_input(ip, &icmp, cur, now_ns);
}

static void ingress_ip(uint16_t type, struct pkt_cursor cur, uint64_t now_ns)
{
	struct ip_view ip;
	enum pkt_err e;

	if (type == ETH_P_IP_) {
		if (!in.ip4) {
			ingress_drop(ING_C_DROP_IPV4_OFF);
			return;
		}
		e = ipv4_parse(&cur, &ip);
		in.ctr[ING_C_IPV4]++;
	} else {
		if (!in.ip6) {
			ingress_drop(ING_C_DROP_IPV6_OFF);
			return;
		}
		e = ipv6_parse(&cur, &ip);
		in.ctr[ING_C_IPV6]++;
	}
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	if (in.tx->rx_csum_trusted) {
		ip.l4_csum_trusted = true;
		in.ctr[ING_C_CSUM_TRUSTED]++;
	}

	switch (ip.proto) {
	case IPPROTO_TCP:
		ingress_tcp(&ip, cur, now_ns);
		return;
	case IPPROTO_UDP:
		ingress_udp(&ip, cur, now_ns);
		return;
	case IPPROTO_ICMP:
		if (ip.version == 4) {
			ingress_icmp(&ip, cur, now_ns);
			return;
		}
		break;
	case IPPROTO_ICMPV6:
		if (ip.version == 6) {
			ingress_icmp(&ip, cur, now_ns);
			return;
		}
		break;
	default:
		break;
	}
	ingress_drop(ING_C_DROP_L4_PROTO);
}

/**
 * ingress_frame() - one Ethernet frame from the guest
 * @frame:	the frame, valid until ingress_batch_end()
 * @len:	its length
 * @now_ns:	time of this wakeup
 */
void ingress_frame(const uint8_t *frame, size_t len, uint64_t now_ns)
{
	struct pkt_cursor cur = cur_make(frame, len);
	struct eth_view eth;
	enum pkt_err e;

	in.ctr[ING_C_FRAMES]++;
	in.ctr[ING_C_BYTES] += len;
	e = eth_parse(&cur, &eth);
	if (e) {
		ingress_drop((enum ingress_ctr)e);
		return;
	}
	ingress_learn_mac(&eth);

	switch (eth.type) {
	case ETH_P_ARP_:
		ingress_arp(&eth, cur, now_ns);
		return;
	case ETH_P_IP_:
	case ETH_P_IPV6_:
		ingress_ip(eth.type, cur, now_ns);
		return;
	default:
		ingress_drop(ING_C_DROP_ETHERTYPE);
		return;
	}
}

/**
 * ingress_splice_check() - link_conf rx_splice_check: may this frame's
 * payload go from the link straight into its TCP socket?
 * @frame:	the frame; only its first @have bytes are the guest's
 * @len:	its length
 * @have:	bytes of it read so far (the headers, we hope)
 * @now_ns:	time of this wakeup
 *
 * Only the headers are parsed, exactly as ingress_frame() will parse them
 * (it still does, with no side effects here): the TCP checksum cannot be
 * verified without the payload, and is not (see docs/design/tcp.md); the
 * IPv4 header checksum is. Yes only for TCP data that the connection
 * takes in order (flow_tcp_splice_ok()).
 * Return: offset of the TCP payload in @frame, or 0 for no
 */
size_t ingress_splice_check(const uint8_t *frame, size_t len, size_t have,
			    uint64_t now_ns)
{
	struct pkt_cursor cur = cur_make(frame, len);
	struct eth_view eth;
	struct tcp_view tcp;
	struct ip_view ip;
	enum pkt_err e;
	size_t off;

	(void)now_ns;
	if (!in.tcp || eth_parse(&cur, &eth))
		return 0;
	if (eth.type == ETH_P_IP_ && in.ip4)
		e = ipv4_parse(&cur, &ip);
	else if (eth.type == ETH_P_IPV6_ && in.ip6)
		e = ipv6_parse(&cur, &ip);
	else
		return 0;
	/* every header byte parsed lies before the payload, checked below */
	if (e || ip.proto != IPPROTO_TCP)
		return 0;
	ip.l4_csum_trusted = true;
	if (tcp_parse(&cur, &ip, &tcp) || !tcp.paylen)
		return 0;
	off = (size_t)(cur.p - frame);
	if (off > have)
		return 0;
	return flow_tcp_splice_ok(&ip, &tcp) ? off : 0;
}

/**
 * ingress_batch_end() - the link is about to reuse the frames it gave us
 * @now_ns:	time of this wakeup
 */
void ingress_batch_end(uint64_t now_ns)
{
	flow_batch_end(now_ns);
}
