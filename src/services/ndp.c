// SPDX-License-Identifier: GPL-2.0-or-later
/* services/ndp.c - Neighbour Discovery and Router Advertisements
 *
 * See ndp.h for what this module owns. In short: every neighbour
 * solicitation from the guest is answered with our MAC, except those for
 * the guest's own address and duplicate address detection probes for
 * addresses that are not ours; router advertisements go out from our
 * link-local address to all nodes, on solicitation and on a timer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "packet/build.h"
#include "services/dns_name.h"
#include "services/ndp.h"

/* RFC 4861 section 4 and 6.2.1; RFC 8106 section 5 */
#define NDP_HOP_LIMIT		255	/* every NDP message, in and out */
#define NDP_OPT_SLL		1	/* source link-layer address */
#define NDP_OPT_TLL		2	/* target link-layer address */
#define NDP_OPT_PREFIX		3
#define NDP_OPT_MTU		5
#define NDP_OPT_RDNSS		25
#define NDP_OPT_DNSSL		31
#define NDP_OPT_UNIT		8	/* option lengths count 8-byte units */
#define NDP_OPTS_MAX		64	/* iteration bound, incoming options */

#define NDP_NA_ROUTER		0x80
#define NDP_NA_SOLICITED	0x40
#define NDP_NA_OVERRIDE		0x20
#define NDP_RA_MANAGED		0x80
#define NDP_RA_OTHER		0x40
#define NDP_PREFIX_ONLINK	0x80
#define NDP_PREFIX_AUTO		0x40

#define NDP_RS_LEN		4	/* reserved word */
#define NDP_NS_LEN		20	/* reserved word and target */
#define NDP_NA_LEN		32	/* header, flags, target, TLL option */

/* What we advertise. Lifetimes in seconds; RAs refresh them every
 * NDP_RA_INTERVAL_S, so they only matter if we go away. */
#define NDP_RA_CUR_HOP_LIMIT	64
#define NDP_ROUTER_LIFETIME_S	1800	/* 3 x MaxRtrAdvInterval */
#define NDP_PREFIX_VALID_S	86400
#define NDP_PREFIX_PREFERRED_S	14400
#define NDP_DNS_LIFETIME_S	300	/* RFC 8106: >= 3 x interval */
#define NDP_PREFIX_LEN		64	/* SLAAC needs a /64 (RFC 4862) */
#define NDP_MTU_MIN		1280	/* IPv6 minimum link MTU */

/* Timer: wait for the guest, then a burst, then the steady interval */
#define NDP_WAIT_GUEST_NS	(500 * NSEC_PER_MSEC)
#define NDP_RA_BURST		3
#define NDP_RA_BURST_GAP_NS	(1 * NSEC_PER_SEC)
#define NDP_RA_INTERVAL_S	20

/* An RA must fit the IPv6 minimum MTU whatever --mtu says */
#define NDP_MSG_MAX		(NDP_MTU_MIN - IPV6_HLEN)

enum ndp_counter {
	NDP_C_RS_ANSWERED,
	NDP_C_NS_ANSWERED,
	NDP_C_RA_SENT,
	NDP_C_NA_SENT,
	NDP_C_NS_DAD,		/* DAD probe for an address not ours: silent */
	NDP_C_NS_GUEST,		/* solicitation for the guest's own address */
	NDP_C_IGNORED,		/* RA, NA, redirect; RS with --no-ra */
	NDP_C_DISABLED,		/* --no-ndp */
	NDP_C_DROP_HOP_LIMIT,
	NDP_C_DROP_CODE,
	NDP_C_DROP_SHORT,
	NDP_C_DROP_OPTION,	/* zero-length, truncated, too many options */
	NDP_C_DROP_TARGET,	/* multicast or unspecified target */
	NDP_C_DROP_DAD,		/* DAD probe not to solicited-node, or SLL */
	NDP_C_DROP_SOURCE,	/* RS from :: with a source link-layer option */
	NDP_C_TX_ERROR,
	NDP_C_DNSSL_TRUNCATED,	/* search domains left out of an RA */
	NDP_C__COUNT
};

static const char *const ndp_counter_names[] = {
	[NDP_C_RS_ANSWERED]	= "rs_answered",
	[NDP_C_NS_ANSWERED]	= "ns_answered",
	[NDP_C_RA_SENT]		= "ra_sent",
	[NDP_C_NA_SENT]		= "na_sent",
	[NDP_C_NS_DAD]		= "ns_dad_ignored",
	[NDP_C_NS_GUEST]	= "ns_guest_addr",
	[NDP_C_IGNORED]		= "ignored",
	[NDP_C_DISABLED]	= "disabled",
	[NDP_C_DROP_HOP_LIMIT]	= "drop_hop_limit",
	[NDP_C_DROP_CODE]	= "drop_code",
	[NDP_C_DROP_SHORT]	= "drop_short",
	[NDP_C_DROP_OPTION]	= "drop_option",
	[NDP_C_DROP_TARGET]	= "drop_target",
	[NDP_C_DROP_DAD]	= "drop_dad",
	[NDP_C_DROP_SOURCE]	= "drop_source",
	[NDP_C_TX_ERROR]	= "tx_error",
	[NDP_C_DNSSL_TRUNCATED]	= "dnssl_truncated",
};
static_assert(ARRAY_SIZE(ndp_counter_names) == NDP_C__COUNT,
	      "one name per NDP counter");

/**
 * struct ndp_opts - what we use of the options of an incoming message
 * @has_sll:	a source link-layer address option was present
 * @sll:	its address (the first one, if several)
 */
struct ndp_opts {
	bool has_sll;
	uint8_t sll[ETH_ALEN];
};

/* Module state, set up by ndp_init() */
static struct {
	struct ndp_conf conf;
	struct guest_tx *tx;
	struct timer timer;
	bool timer_ready;	/* timer_init() done once */
	bool registered;	/* counters registered once */
	bool announced;		/* first RA logged */
	unsigned int burst;	/* periodic RAs sent since the guest showed */
} ndp;

static uint64_t ndp_stats[NDP_C__COUNT];

/* Only ever written by the functions that build a message, then sent */
static uint8_t ndp_msg[NDP_MSG_MAX];
static uint8_t ndp_frame[ETH_HLEN + IPV6_HLEN + NDP_MSG_MAX];

static const uint8_t ndp_all_nodes_mac[ETH_ALEN] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01
};

static const struct in6_addr ndp_all_nodes = {
	.s6_addr = { 0xff, 0x02, [15] = 0x01 }
};

static void ndp_count(enum ndp_counter c)
{
	ndp_stats[c]++;
}

/**
 * ndp_parse_opts() - walk the options of an incoming NDP message
 * @cur:	the options (what follows the fixed part of the message)
 * @o:		filled with what we use
 *
 * RFC 4861 section 4.6: a length of zero is invalid and the whole message
 * must be dropped; so must an option running past the end. Unknown
 * options are skipped.
 * Return: 0, or -EINVAL if the message must be dropped
 */
static int ndp_parse_opts(struct pkt_cursor cur, struct ndp_opts *o)
{
	unsigned int n;

	memset(o, 0, sizeof(*o));
	for (n = 0; cur_len(&cur); n++) {
		const uint8_t *h = cur_peek(&cur, 2);
		struct pkt_cursor opt;

		if (!h || n >= NDP_OPTS_MAX || !h[1])
			return -EINVAL;
		if (!cur_split(&cur, (size_t)h[1] * NDP_OPT_UNIT, &opt))
			return -EINVAL;
		if (h[0] == NDP_OPT_SLL && !o->has_sll) {
			cur_skip(&opt, 2);
			if (!cur_copy(&opt, o->sll, ETH_ALEN))
				return -EINVAL;
			o->has_sll = true;
		}
	}
	return 0;
}

static bool ndp_addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* ff02::1:ffXX:XXXX for @target (RFC 4291 section 2.7.1) */
static bool ndp_is_solicited_node(const struct in6_addr *dst,
				  const struct in6_addr *target)
{
	static const uint8_t pfx[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff
	};

	return !memcmp(dst->s6_addr, pfx, sizeof(pfx)) &&
	       !memcmp(dst->s6_addr + 13, target->s6_addr + 13, 3);
}

/**
 * ndp_is_neighbour() - could @a be the address of someone on the link?
 * @a:		target of a solicitation
 *
 * Multicast targets are invalid (RFC 4861 section 7.1.1); so is anything
 * in ::/64 (unspecified, loopback, IPv4-mapped or -compatible): no
 * neighbour has such an address, and our answer, sent from the target,
 * must not come from one.
 */
static bool ndp_is_neighbour(const struct in6_addr *a)
{
	static const uint8_t zero64[8];

	return !IN6_IS_ADDR_MULTICAST(a) && memcmp(a->s6_addr, zero64, 8);
}

/* Addresses we answer for even in duplicate address detection */
static bool ndp_is_ours(const struct in6_addr *a)
{
	return ndp_addr_eq(a, &ndp.conf.our_ll) ||
	       (!IN6_IS_ADDR_UNSPECIFIED(&ndp.conf.gw) &&
		ndp_addr_eq(a, &ndp.conf.gw));
}

/**
 * ndp_send() - wrap an ICMPv6 message in IPv6 and Ethernet, send it
 * @src:	IPv6 source
 * @dst:	IPv6 destination
 * @dmac:	Ethernet destination
 * @msg:	ICMPv6 message, checksum field zero
 * @len:	its length
 * Return: 0, or -errno (counted)
 */
static int ndp_send(const struct in6_addr *src, const struct in6_addr *dst,
		    const uint8_t dmac[ETH_ALEN], const uint8_t *msg,
		    size_t len)
{
	struct frame_addrs a;
	struct pkt_builder b;
	int rc;

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, ndp.tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, dmac, ETH_ALEN);
	inany_from_v6(&a.src, src);
	inany_from_v6(&a.dst, dst);
	a.ttl = NDP_HOP_LIMIT;

	pb_init(&b, ndp_frame, sizeof(ndp_frame));
	if (!frame_icmp(&b, &a, msg, len) || b.overflow) {
		ndp_count(NDP_C_TX_ERROR);
		return -EMSGSIZE;
	}
	rc = guest_send_buf(ndp.tx, ndp_frame, b.len);
	if (rc) {
		ndp_count(NDP_C_TX_ERROR);
		return rc;
	}
	return 0;
}

/**
 * ndp_send_na() - neighbour advertisement: @target is at our MAC
 * @dst:	the soliciting address, or all-nodes for a defended DAD probe
 * @dmac:	Ethernet destination
 * @target:	the address asked about; also our source address
 * @flags:	NDP_NA_* (RFC 4861 section 7.2.4)
 */
static void ndp_send_na(const struct in6_addr *dst,
			const uint8_t dmac[ETH_ALEN],
			const struct in6_addr *target, uint8_t flags)
{
	struct pkt_builder b;

	pb_init(&b, ndp_msg, sizeof(ndp_msg));
	pb_u8(&b, NDP_NA);
	pb_u8(&b, 0);			/* code */
	pb_be16(&b, 0);			/* checksum, filled by frame_icmp() */
	pb_u8(&b, flags);
	pb_reserve(&b, 3);
	pb_put(&b, target, sizeof(*target));
	pb_u8(&b, NDP_OPT_TLL);
	pb_u8(&b, 1);			/* 8 bytes */
	pb_put(&b, ndp.tx->our_mac, ETH_ALEN);
	static_assert(NDP_NA_LEN <= NDP_MSG_MAX, "NA fits the buffer");

	if (!ndp_send(target, dst, dmac, ndp_msg, b.len))
		ndp_count(NDP_C_NA_SENT);
}

/**
 * ndp_put_dnssl() - append the DNSSL option, with the domains that fit
 * @b:		builder for the RA
 * @room:	bytes the option may take
 */
static void ndp_put_dnssl(struct pkt_builder *b, size_t room)
{
	const struct ndp_conf *nc = &ndp.conf;
	bool use[NDP_MAX_SEARCH] = { false };
	size_t names = 0, optlen;
	int i;

	for (i = 0; i < nc->search_count && i < NDP_MAX_SEARCH; i++) {
		int w = dns_name_wire_len(nc->search[i]);
		size_t need;

		if (w < 0)
			continue;	/* conf/ refuses these; never sent */
		need = 8 + ((names + (size_t)w + 7) & ~(size_t)7);
		if (need > room) {
			ndp_count(NDP_C_DNSSL_TRUNCATED);
			continue;
		}
		use[i] = true;
		names += (size_t)w;
	}
	if (!names)
		return;

	optlen = 8 + ((names + 7) & ~(size_t)7);
	pb_u8(b, NDP_OPT_DNSSL);
	pb_u8(b, (uint8_t)(optlen / NDP_OPT_UNIT));
	pb_be16(b, 0);			/* reserved */
	pb_be32(b, NDP_DNS_LIFETIME_S);
	for (i = 0; i < nc->search_count && i < NDP_MAX_SEARCH; i++) {
		if (use[i])
			dns_name_put(b, nc->search[i]);
	}
	pb_reserve(b, optlen - 8 - names);	/* zero padding */
}

/**
 * ndp_build_ra() - write our router advertisement into ndp_msg
 * Return: its length, or 0 if it did not fit (cannot happen with the
 * configured limits: options are sized before they are written)
 */
static size_t ndp_build_ra(void)
{
	const struct ndp_conf *nc = &ndp.conf;
	struct pkt_builder b;
	int i;

	pb_init(&b, ndp_msg, sizeof(ndp_msg));
	pb_u8(&b, NDP_RA);
	pb_u8(&b, 0);			/* code */
	pb_be16(&b, 0);			/* checksum */
	pb_u8(&b, NDP_RA_CUR_HOP_LIMIT);
	pb_u8(&b, nc->managed ? NDP_RA_MANAGED | NDP_RA_OTHER : 0);
	pb_be16(&b, NDP_ROUTER_LIFETIME_S);
	pb_be32(&b, 0);			/* reachable time: unspecified */
	pb_be32(&b, 0);			/* retrans timer: unspecified */

	if (!IN6_IS_ADDR_UNSPECIFIED(&nc->addr)) {
		uint8_t *pfx;

		pb_u8(&b, NDP_OPT_PREFIX);
		pb_u8(&b, 4);		/* 32 bytes */
		pb_u8(&b, NDP_PREFIX_LEN);
		pb_u8(&b, NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO);
		pb_be32(&b, NDP_PREFIX_VALID_S);
		pb_be32(&b, NDP_PREFIX_PREFERRED_S);
		pb_be32(&b, 0);		/* reserved */
		pfx = pb_reserve(&b, 16);
		if (pfx)
			memcpy(pfx, nc->addr.s6_addr, NDP_PREFIX_LEN / 8);
	}

	if (nc->mtu >= NDP_MTU_MIN) {
		pb_u8(&b, NDP_OPT_MTU);
		pb_u8(&b, 1);
		pb_be16(&b, 0);		/* reserved */
		pb_be32(&b, nc->mtu);
	}

	if (nc->dns_count > 0) {
		int n = MIN(nc->dns_count, NDP_MAX_DNS);

		pb_u8(&b, NDP_OPT_RDNSS);
		pb_u8(&b, (uint8_t)(1 + 2 * n));
		pb_be16(&b, 0);		/* reserved */
		pb_be32(&b, NDP_DNS_LIFETIME_S);
		for (i = 0; i < n; i++)
			pb_put(&b, &nc->dns[i], sizeof(nc->dns[i]));
	}

	/* room for DNSSL: whatever is left once SLL (8 bytes) is counted */
	if (nc->search_count > 0 && b.len + 8 < b.cap)
		ndp_put_dnssl(&b, b.cap - b.len - 8);

	pb_u8(&b, NDP_OPT_SLL);
	pb_u8(&b, 1);
	pb_put(&b, ndp.tx->our_mac, ETH_ALEN);

	return b.overflow ? 0 : b.len;
}

/* Once, at info level: what the guest is being told */
static void ndp_log_first_ra(void)
{
	char pfx[INET6_ADDRSTRLEN] = "no prefix";
	char src[INET6_ADDRSTRLEN];
	struct in6_addr p;

	if (!IN6_IS_ADDR_UNSPECIFIED(&ndp.conf.addr)) {
		memset(&p, 0, sizeof(p));
		memcpy(&p, &ndp.conf.addr, NDP_PREFIX_LEN / 8);
		inet_ntop(AF_INET6, &p, pfx, sizeof(pfx));
	}
	inet_ntop(AF_INET6, &ndp.conf.our_ll, src, sizeof(src));
	info("ndp: router advertisement from %s: prefix %s%s, MTU %u, %d DNS, %d search domains, DHCPv6 %s",
	     src, pfx, IN6_IS_ADDR_UNSPECIFIED(&ndp.conf.addr) ? "" : "/64",
	     ndp.conf.mtu >= NDP_MTU_MIN ? ndp.conf.mtu : 0,
	     ndp.conf.dns_count, ndp.conf.search_count,
	     ndp.conf.managed ? "on (M, O)" : "off");
}

/* Send an RA to all nodes from our link-local address */
static int ndp_send_ra(void)
{
	size_t len = ndp_build_ra();
	int rc;

	if (!len) {
		ndp_count(NDP_C_TX_ERROR);
		return -EMSGSIZE;
	}
	rc = ndp_send(&ndp.conf.our_ll, &ndp_all_nodes, ndp_all_nodes_mac,
		      ndp_msg, len);
	if (rc)
		return rc;
	ndp_count(NDP_C_RA_SENT);
	if (!ndp.announced) {
		ndp.announced = true;
		ndp_log_first_ra();
	}
	return 0;
}

/* RFC 4861 section 6.1.1 checks, then an RA to all nodes */
static void ndp_rs(const struct ip_view *ip, struct pkt_cursor body)
{
	struct ndp_opts o;

	if (!ndp.conf.ra) {
		ndp_count(NDP_C_IGNORED);
		return;
	}
	if (!cur_skip(&body, NDP_RS_LEN)) {
		ndp_count(NDP_C_DROP_SHORT);
		return;
	}
	if (ndp_parse_opts(body, &o)) {
		ndp_count(NDP_C_DROP_OPTION);
		return;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&ip->src.a6) && o.has_sll) {
		ndp_count(NDP_C_DROP_SOURCE);
		return;
	}
	if (!ndp_send_ra())
		ndp_count(NDP_C_RS_ANSWERED);
}

/* RFC 4861 section 7.1.1 checks, then an NA unless the address is the
 * guest's (its DAD must see silence) */
static void ndp_ns(const struct ip_view *ip, struct pkt_cursor body)
{
	struct in6_addr target;
	struct ndp_opts o;

	if (!cur_skip(&body, 4) || !cur_copy(&body, &target, sizeof(target))) {
		ndp_count(NDP_C_DROP_SHORT);
		return;
	}
	if (ndp_parse_opts(body, &o)) {
		ndp_count(NDP_C_DROP_OPTION);
		return;
	}
	if (!ndp_is_neighbour(&target)) {
		ndp_count(NDP_C_DROP_TARGET);
		return;
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&ip->src.a6)) {
		/* Duplicate address detection (RFC 4862 section 5.4) */
		if (o.has_sll || !ndp_is_solicited_node(&ip->dst.a6, &target)) {
			ndp_count(NDP_C_DROP_DAD);
			return;
		}
		if (!ndp_is_ours(&target)) {
			ndp_count(NDP_C_NS_DAD);
			return;
		}
		/* defend ours: to all nodes, not solicited (7.2.4) */
		ndp_send_na(&ndp_all_nodes, ndp_all_nodes_mac, &target,
			    NDP_NA_ROUTER | NDP_NA_OVERRIDE);
		ndp_count(NDP_C_NS_ANSWERED);
		return;
	}

	if (ndp_addr_eq(&target, &ndp.conf.addr)) {
		ndp_count(NDP_C_NS_GUEST);
		return;
	}
	ndp_send_na(&ip->src.a6, o.has_sll ? o.sll : ndp.tx->guest_mac,
		    &target, NDP_NA_ROUTER | NDP_NA_SOLICITED |
		    NDP_NA_OVERRIDE);
	ndp_count(NDP_C_NS_ANSWERED);
}

void ndp_input(const struct ip_view *ip, const struct icmp_view *icmp,
	       struct pkt_cursor body, uint64_t now_ns)
{
	(void)now_ns;

	if (!ndp.tx || !ndp.conf.enabled) {
		ndp_count(NDP_C_DISABLED);
		return;
	}
	if (ip->ttl != NDP_HOP_LIMIT) {
		ndp_count(NDP_C_DROP_HOP_LIMIT);
		return;
	}
	if (icmp->code) {
		ndp_count(NDP_C_DROP_CODE);
		return;
	}

	switch (icmp->type) {
	case NDP_RS:
		ndp_rs(ip, body);
		break;
	case NDP_NS:
		ndp_ns(ip, body);
		break;
	default:	/* RA, NA, redirect: we are the only router */
		ndp_count(NDP_C_IGNORED);
		break;
	}
}

static void ndp_arm(uint64_t deadline_ns)
{
	if (timer_armed(&ndp.timer))
		timer_cancel(&ndp.timer);
	if (timer_arm(&ndp.timer, deadline_ns))
		warn("ndp: cannot arm the RA timer; periodic RAs stop");
}

void ndp_ra_tick(uint64_t now_ns)
{
	uint64_t next;

	if (!ndp.tx || !ndp.conf.enabled || !ndp.conf.ra)
		return;

	if (!ndp.tx->guest_seen) {
		next = now_ns + NDP_WAIT_GUEST_NS;
	} else {
		ndp_send_ra();
		if (ndp.burst < NDP_RA_BURST)
			ndp.burst++;
		if (ndp.burst < NDP_RA_BURST)
			next = now_ns + NDP_RA_BURST_GAP_NS;
		else
			next = now_ns + NDP_RA_INTERVAL_S * NSEC_PER_SEC;
	}
	ndp_arm(next);
}

static void ndp_timer_fn(struct timer *t, uint64_t now_ns)
{
	(void)t;
	ndp_ra_tick(now_ns);
}

int ndp_init(const struct ndp_conf *nc, struct guest_tx *tx)
{
	if (ndp.timer_ready && timer_armed(&ndp.timer))
		timer_cancel(&ndp.timer);

	ndp.conf = *nc;
	ndp.tx = tx;
	ndp.burst = 0;
	ndp.announced = false;
	memset(ndp_stats, 0, sizeof(ndp_stats));

	if (!ndp.registered) {
		if (stats_register("ndp", ndp_counter_names, ndp_stats,
				   NDP_C__COUNT))
			warn("ndp: counters not registered (too many groups)");
		ndp.registered = true;
	}
	if (!ndp.timer_ready) {
		timer_init(&ndp.timer, ndp_timer_fn);
		ndp.timer_ready = true;
	}

	if (!nc->enabled || !nc->ra)
		return 0;
	if (timer_armed(&ndp.timer))
		timer_cancel(&ndp.timer);
	return timer_arm(&ndp.timer, clock_now_ns() + NDP_WAIT_GUEST_NS);
}
