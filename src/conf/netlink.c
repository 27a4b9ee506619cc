// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/netlink.c - host routes, addresses and MAC through raw rtnetlink
 *
 * Three dumps per family, each on a fresh NETLINK_ROUTE socket that is
 * closed before we return (nothing stays open for the sandbox):
 *
 *  1. RTM_GETROUTE: the first default route (main table, unicast, prefix
 *     length 0) picks the interface and gateway; with a multipath route,
 *     the next hop with the highest weight. With @ifname given, only
 *     routes through it count. No default route: the first interface
 *     with any unicast route in the main table (no gateway then).
 *  2. RTM_GETADDR: the interface's first address (IPv4: primary before
 *     secondary; IPv6: global scope, not tentative or deprecated, and
 *     the link-local one).
 *  3. RTM_GETLINK: the interface's hardware address.
 *
 * Replies are walked with the NLMSG_ and RTA_ macros and every length is
 * checked against what the kernel actually sent.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/discover.h"

#define NL_BUF_SIZE	65536


/* NLMSG_OK() without its signed/unsigned comparison (clang -Wsign-compare) */
static bool nl_msg_ok(const struct nlmsghdr *nh, int len)
{
	return len >= (int)sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) &&
	       nh->nlmsg_len <= (unsigned int)len;
}

static char nl_buf[NL_BUF_SIZE];

/**
 * nl_request() - open a socket and send one request
 * @type:	RTM_GETROUTE, RTM_GETADDR or RTM_GETLINK
 * @flags:	NLM_F_DUMP or 0
 * @body:	family-specific header following struct nlmsghdr
 * @blen:	its length
 * Return: the socket, or -errno
 */
static int nl_request(uint16_t type, uint16_t flags, const void *body,
		      size_t blen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nh;
		char body[64];
	} req;
	int s, e;

	if (blen > sizeof(req.body))
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(blen);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	req.nh.nlmsg_seq = 1;
	memcpy(req.body, body, blen);

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		e = -errno;
		close(s);
		return e;
	}
	return s;
}

/**
 * nl_for_each() - receive replies to one request, call @fn on each message
 * @s:		socket from nl_request(), closed here
 * @fn:		handler, called for every message of the reply
 * @arg:	handler argument
 * Return: 0, or -errno (including an NLMSG_ERROR from the kernel)
 */
static int nl_for_each(int s, void (*fn)(const struct nlmsghdr *, void *),
		       void *arg)
{
	int rc = 0;

	for (;;) {
		struct nlmsghdr *nh;
		ssize_t n;
		int len;

		n = recv(s, nl_buf, sizeof(nl_buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0) {
			rc = -EPIPE;
			break;
		}
		len = (int)n;
		for (nh = (struct nlmsghdr *)nl_buf; nl_msg_ok(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				goto out;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *ne = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ne)))
					rc = -EPROTO;
				else
					rc = ne->error;
				goto out;
			}
			fn(nh, arg);
			if (!(nh->nlmsg_flags & NLM_F_MULTI))
				goto out;
		}
	}
out:
	close(s);
	return rc;
}

/* Copy an address attribute of @af into @a (IPv4 as IPv4-mapped) */
static bool nl_attr_addr(int af, const struct rtattr *rta, union inany *a)
{
	if (af == AF_INET && RTA_PAYLOAD(rta) == sizeof(struct in_addr)) {
		struct in_addr v4;

		memcpy(&v4, RTA_DATA(rta), sizeof(v4));
		inany_from_v4(a, v4);
		return true;
	}
	if (af == AF_INET6 && RTA_PAYLOAD(rta) == sizeof(struct in6_addr)) {
		memcpy(&a->a6, RTA_DATA(rta), sizeof(a->a6));
		return true;
	}
	return false;
}

/**
 * struct nl_route_state - route dump walk
 * @af:		family
 * @want_if:	interface required (0: any)
 * @lo_if:	loopback's index, never chosen
 * @def_if:	interface of the first matching default route (0: none)
 * @has_gw:	that route has a gateway
 * @gw:		the gateway
 * @any_if:	first interface with any unicast route (fallback)
 */
struct nl_route_state {
	int af;
	int want_if;
	int lo_if;
	int def_if;
	bool has_gw;
	union inany gw;
	int any_if;
};

/* A multipath route: the next hop with the highest weight wins */
static void nl_route_multipath(struct nl_route_state *st,
			       const struct rtattr *mp, int *oif,
			       union inany *gw, bool *has_gw)
{
	const struct rtnexthop *nh = RTA_DATA(mp);
	int len = (int)RTA_PAYLOAD(mp), best = -1;

	while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
	       nh->rtnh_len <= len) {
		const struct rtattr *rta = RTNH_DATA(nh);
		int alen = nh->rtnh_len - (int)RTNH_LENGTH(0);
		union inany g = { 0 };
		bool hg = false;

		for (; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
			if (rta->rta_type == RTA_GATEWAY)
				hg = nl_attr_addr(st->af, rta, &g);
		}
		if ((!st->want_if || nh->rtnh_ifindex == st->want_if) &&
		    nh->rtnh_hops > best) {
			best = nh->rtnh_hops;
			*oif = nh->rtnh_ifindex;
			*gw = g;
			*has_gw = hg;
		}
		len -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
}

static void nl_route_msg(const struct nlmsghdr *nh, void *arg)
{
	struct nl_route_state *st = arg;
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	const struct rtattr *rta;
	uint32_t table;
	union inany gw = { 0 };
	bool has_gw = false;
	int len, oif = 0;

	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return;
	if (rtm->rtm_family != st->af || rtm->rtm_type != RTN_UNICAST)
		return;
	table = rtm->rtm_table;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case RTA_TABLE:
			if (RTA_PAYLOAD(rta) == sizeof(uint32_t))
				memcpy(&table, RTA_DATA(rta), sizeof(table));
			break;
		case RTA_OIF:
			if (RTA_PAYLOAD(rta) == sizeof(int))
				memcpy(&oif, RTA_DATA(rta), sizeof(oif));
			break;
		case RTA_GATEWAY:
			has_gw = nl_attr_addr(st->af, rta, &gw);
			break;
		case RTA_MULTIPATH:
			if (!rtm->rtm_dst_len)
				nl_route_multipath(st, rta, &oif, &gw, &has_gw);
			break;
		}
	}
	if (table != RT_TABLE_MAIN || !oif || oif == st->lo_if)
		return;
	if (st->want_if && oif != st->want_if)
		return;
	if (!st->any_if)
		st->any_if = oif;
	if (rtm->rtm_dst_len || st->def_if)
		return;
	st->def_if = oif;
	st->has_gw = has_gw;
	st->gw = gw;
}

/**
 * struct nl_addr_state - address dump walk
 * @hn:		result being filled (ifindex set)
 * @af:		family
 * @secondary:	@hn->addr is a secondary IPv4 address, keep looking
 */
struct nl_addr_state {
	struct host_net *hn;
	int af;
	bool secondary;
};

static void nl_addr_msg(const struct nlmsghdr *nh, void *arg)
{
	struct nl_addr_state *st = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *rta;
	union inany local = { 0 }, address = { 0 };
	bool has_local = false, has_address = false;
	uint32_t flags;
	int len;

	if (nh->nlmsg_type != RTM_NEWADDR ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	if (ifa->ifa_family != st->af || (int)ifa->ifa_index != st->hn->ifindex)
		return;
	flags = ifa->ifa_flags;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case IFA_LOCAL:
			has_local = nl_attr_addr(st->af, rta, &local);
			break;
		case IFA_ADDRESS:
			has_address = nl_attr_addr(st->af, rta, &address);
			break;
		case IFA_FLAGS:
			if (RTA_PAYLOAD(rta) == sizeof(uint32_t))
				memcpy(&flags, RTA_DATA(rta), sizeof(flags));
			break;
		}
	}
	if (has_local)
		address = local;
	else if (!has_address)
		return;

	if (st->af == AF_INET) {
		bool secondary = flags & IFA_F_SECONDARY;

		if (st->hn->has_addr && (secondary || !st->secondary))
			return;
		st->hn->has_addr = true;
		st->hn->addr = address;
		st->hn->prefix_len = ifa->ifa_prefixlen;
		st->secondary = secondary;
		return;
	}

	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return;
	if (ifa->ifa_scope == RT_SCOPE_LINK) {
		if (!st->hn->has_ll) {
			st->hn->has_ll = true;
			st->hn->ll = address.a6;
		}
		return;
	}
	if (ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return;
	/* Prefer a stable address to a deprecated or temporary one */
	if (st->hn->has_addr &&
	    (flags & (IFA_F_DEPRECATED | IFA_F_TEMPORARY) || !st->secondary))
		return;
	st->hn->has_addr = true;
	st->hn->addr = address;
	st->hn->prefix_len = ifa->ifa_prefixlen;
	st->secondary = flags & (IFA_F_DEPRECATED | IFA_F_TEMPORARY);
}

static void nl_link_msg(const struct nlmsghdr *nh, void *arg)
{
	struct host_net *hn = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int len;

	if (nh->nlmsg_type != RTM_NEWLINK ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_index != hn->ifindex)
		return;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_ADDRESS &&
		    RTA_PAYLOAD(rta) == sizeof(hn->mac)) {
			memcpy(hn->mac, RTA_DATA(rta), sizeof(hn->mac));
			hn->has_mac = true;
		}
	}
}

int nl_discover(int af, const char *ifname, struct host_net *hn)
{
	struct nl_route_state rst = { .af = af };
	struct nl_addr_state ast = { .hn = hn, .af = af };
	struct rtmsg rtm = { .rtm_family = (unsigned char)af };
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)af };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	int s, rc;

	memset(hn, 0, sizeof(*hn));
	if (ifname && *ifname) {
		rst.want_if = (int)if_nametoindex(ifname);
		if (!rst.want_if)
			return -ENODEV;
	}
	rst.lo_if = (int)if_nametoindex("lo");

	s = nl_request(RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm));
	if (s < 0)
		return s;
	rc = nl_for_each(s, nl_route_msg, &rst);
	if (rc)
		return rc;

	if (rst.def_if) {
		hn->ifindex = rst.def_if;
		hn->has_default = true;
		hn->has_gw = rst.has_gw;
		hn->gw = rst.gw;
	} else if (rst.want_if) {
		hn->ifindex = rst.want_if;	/* given: use it, routes or not */
	} else {
		hn->ifindex = rst.any_if;
	}
	if (!hn->ifindex)
		return 0;
	if (!if_indextoname((unsigned int)hn->ifindex, hn->ifname))
		return -errno;

	s = nl_request(RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
	if (s < 0)
		return s;
	rc = nl_for_each(s, nl_addr_msg, &ast);
	if (rc)
		return rc;

	ifi.ifi_index = hn->ifindex;
	s = nl_request(RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if (s < 0)
		return s;
	return nl_for_each(s, nl_link_msg, hn);
}
