/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * conf/discover.h - what the host tells us: routes, addresses, resolvers
 *
 * Owns: reading the host's default route, interface addresses and MAC
 * through raw rtnetlink (conf/netlink.c), and nameservers and the search
 * list from a resolv.conf file (conf/resolv.c).
 * Does not own: deciding what the guest gets (conf/conf.c does that).
 * Used only by conf/ at startup, before the sandbox is locked. Nothing
 * here is fatal: functions return -errno and conf decides.
 */
#ifndef GANGWAY_CONF_DISCOVER_H
#define GANGWAY_CONF_DISCOVER_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/**
 * struct host_net - one address family as seen on one host interface
 * @ifindex:	interface chosen (0: none found)
 * @ifname:	its name
 * @has_default: the interface carries a default route of this family
 * @has_gw:	@gw is set (default route with a gateway)
 * @gw:		gateway of the default route (IPv4 as IPv4-mapped)
 * @has_addr:	@addr is set
 * @addr:	first usable address (IPv6: global scope)
 * @prefix_len:	its prefix length
 * @has_ll:	@ll is set (IPv6 only)
 * @ll:		IPv6 link-local address of the interface
 * @has_mac:	@mac is set
 * @mac:	hardware address of the interface
 */
struct host_net {
	int ifindex;
	char ifname[IFNAMSIZ];
	bool has_default;
	bool has_gw;
	union inany gw;
	bool has_addr;
	union inany addr;
	int prefix_len;
	bool has_ll;
	struct in6_addr ll;
	bool has_mac;
	uint8_t mac[6];
};

/**
 * nl_discover() - find the interface, gateway and addresses for @af
 * @af:		AF_INET or AF_INET6
 * @ifname:	interface to use, or "" for the first default route's; if no
 *		default route exists, the first interface with any route
 * @hn:		result, zeroed first; hn->ifindex 0 if nothing was found
 * Return: 0 (also when nothing was found), -ENODEV if @ifname does not
 *	   exist, or another -errno if netlink failed
 */
int nl_discover(int af, const char *ifname, struct host_net *hn);

/**
 * struct resolv_conf - the parts of resolv.conf we use
 * @dns4:	IPv4 nameservers, in file order
 * @dns4_count:	number of @dns4
 * @dns6:	IPv6 nameservers (scope suffixes dropped)
 * @dns6_count:	number of @dns6
 * @search:	search list (the last "search" or "domain" line wins)
 * @search_count: number of @search
 */
struct resolv_conf {
	struct in_addr dns4[CONF_MAX_DNS];
	int dns4_count;
	struct in6_addr dns6[CONF_MAX_DNS];
	int dns6_count;
	char search[CONF_MAX_SEARCH][CONF_NAME_MAX + 1];
	int search_count;
};

/**
 * resolv_parse() - parse resolv.conf text; pure, for tests and fuzzing
 * @buf:	file contents (need not be NUL-terminated)
 * @len:	length of @buf
 * @rc:		result, zeroed first. Extra nameservers beyond CONF_MAX_DNS
 *		per family and names that are not valid domains are skipped
 */
void resolv_parse(const char *buf, size_t len, struct resolv_conf *rc);

/**
 * resolv_read() - read and parse a resolv.conf file
 * @path:	usually "/etc/resolv.conf"
 * @rc:		result, zeroed first (left empty if the file is missing)
 * Return: 0, or -errno if the file exists but cannot be read
 */
int resolv_read(const char *path, struct resolv_conf *rc);

/**
 * conf_apply_host() - fill what the command line left open from host data
 * @c:		configuration from conf_parse_args()
 * @h4:		IPv4 host interface (ifindex 0: none)
 * @h6:		IPv6 host interface (ifindex 0: none)
 * @rc:		host resolv.conf
 *
 * Pure (no I/O), so tests can feed it any host. Exits with one line if
 * the result is unusable (--ipv6-only without any IPv6 address).
 */
void conf_apply_host(struct conf *c, const struct host_net *h4,
		     const struct host_net *h6, const struct resolv_conf *rc);

/**
 * conf_name_valid() - a DNS name: labels of 1 to 63 characters (letters,
 * digits, '-', '_'), at most CONF_NAME_MAX characters, one trailing dot
 * allowed
 * @s:		NUL-terminated name
 * Return: true if valid
 */
bool conf_name_valid(const char *s);

#endif /* GANGWAY_CONF_DISCOVER_H */
