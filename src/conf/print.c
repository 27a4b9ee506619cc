// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/print.c - the configuration summary printed at startup (info level)
 *
 * A few lines a user can check at a glance:
 *   gangway: guest IPv4 192.0.2.2/24 via 192.0.2.1 (host eth0); DNS
 *            192.0.2.1; 192.0.2.1 reaches host loopback       (one line)
 *   gangway: guest IPv6 fd00::2/64 via fd00::1, router fe80::1 (host
 *            eth0); DNS none; fd00::1 reaches host loopback    (one line)
 *   gangway: MTU 65520; our MAC 9a:55:9a:55:9a:55; search example.com
 *   gangway: forwarding TCP 2222->22, 127.0.0.1/8000-8010; UDP none
 * Kept apart from conf.c so the parser links without the logger (tests).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "core/log.h"

#define LINE_MAX_LEN	512

/* Append formatted text to @buf (size @size), truncating quietly */
static void cat(char *buf, size_t size, const char *fmt, ...) PRINTF_FMT(3, 4);

static void cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void print_ip4(const struct conf *c)
{
	char line[LINE_MAX_LEN] = "", a[INET_ADDRSTRLEN];
	int i;

	if (!c->ip4.enabled) {
		info("IPv4 disabled");
		return;
	}
	inet_ntop(AF_INET, &c->ip4.addr, a, sizeof(a));
	cat(line, sizeof(line), "guest IPv4 %s/%d", a, c->ip4.prefix_len);
	if (c->ip4.gw.s_addr) {
		inet_ntop(AF_INET, &c->ip4.gw, a, sizeof(a));
		cat(line, sizeof(line), " via %s", a);
	} else {
		cat(line, sizeof(line), " (no gateway, DHCP off)");
	}
	if (c->ip4.local_mode)
		cat(line, sizeof(line), " (local mode: no host address)");
	else if (*c->ip4.host_if)
		cat(line, sizeof(line), " (host %s)", c->ip4.host_if);
	cat(line, sizeof(line), "; DNS");
	for (i = 0; i < c->ip4.dns_count; i++) {
		inet_ntop(AF_INET, &c->ip4.dns[i], a, sizeof(a));
		cat(line, sizeof(line), "%s%s", i ? ", " : " ", a);
	}
	if (!c->ip4.dns_count)
		cat(line, sizeof(line), " none");
	if (c->ip4.dns_fwd.s_addr && c->ip4.dns_host.s_addr) {
		inet_ntop(AF_INET, &c->ip4.dns_fwd, a, sizeof(a));
		cat(line, sizeof(line), "; DNS to %s goes to ", a);
		inet_ntop(AF_INET, &c->ip4.dns_host, a, sizeof(a));
		cat(line, sizeof(line), "%s", a);
	}
	if (c->ip4.map_host_lo.s_addr) {
		inet_ntop(AF_INET, &c->ip4.map_host_lo, a, sizeof(a));
		cat(line, sizeof(line), "; %s reaches host loopback", a);
	}
	info("%s", line);
}

static void print_ip6(const struct conf *c)
{
	char line[LINE_MAX_LEN] = "", a[INET6_ADDRSTRLEN];
	int i;

	if (!c->ip6.enabled) {
		info("IPv6 disabled (%s)", c->ip6.off_why ? c->ip6.off_why :
		     "not configured");
		return;
	}
	inet_ntop(AF_INET6, &c->ip6.addr, a, sizeof(a));
	cat(line, sizeof(line), "guest IPv6 %s/%d", a, c->ip6.prefix_len);
	inet_ntop(AF_INET6, &c->ip6.gw, a, sizeof(a));
	cat(line, sizeof(line), " via %s", a);
	inet_ntop(AF_INET6, &c->ip6.our_ll, a, sizeof(a));
	cat(line, sizeof(line), ", router %s", a);
	if (*c->ip6.host_if)
		cat(line, sizeof(line), " (host %s)", c->ip6.host_if);
	cat(line, sizeof(line), "; DNS");
	for (i = 0; i < c->ip6.dns_count; i++) {
		inet_ntop(AF_INET6, &c->ip6.dns[i], a, sizeof(a));
		cat(line, sizeof(line), "%s%s", i ? ", " : " ", a);
	}
	if (!c->ip6.dns_count)
		cat(line, sizeof(line), " none");
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_fwd) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host)) {
		inet_ntop(AF_INET6, &c->ip6.dns_fwd, a, sizeof(a));
		cat(line, sizeof(line), "; DNS to %s goes to ", a);
		inet_ntop(AF_INET6, &c->ip6.dns_host, a, sizeof(a));
		cat(line, sizeof(line), "%s", a);
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_lo)) {
		inet_ntop(AF_INET6, &c->ip6.map_host_lo, a, sizeof(a));
		cat(line, sizeof(line), "; %s reaches host loopback", a);
	}
	info("%s", line);
}

/* "[addr][%if]/" before a rule's ports, if it has a listening prefix */
static void print_bind(char *line, size_t size, const struct port_rule *r)
{
	char a[INET6_ADDRSTRLEN];

	if (!r->has_bind)
		return;
	if (port_rule_any4(r))
		cat(line, size, "0.0.0.0");
	else if (inany_is_v4(&r->bind_addr))
		cat(line, size, "%s", inet_ntop(AF_INET,
						 &r->bind_addr.v4mapped.a4,
						 a, sizeof(a)));
	else if (!inany_is_unspec(&r->bind_addr))
		cat(line, size, "%s", inet_ntop(AF_INET6, &r->bind_addr.a6, a,
						 sizeof(a)));
	if (*r->bind_if)
		cat(line, size, "%%%s", r->bind_if);
	cat(line, size, "/");
}

static void print_ports(char *line, size_t size, const char *proto,
			const struct port_spec *ps)
{
	struct port_rule r[PORT_EXPANDED_MAX];
	char a[INET6_ADDRSTRLEN];
	int i, n;

	cat(line, size, "%s", proto);
	n = ps->count ? ports_expand(ps, r, PORT_EXPANDED_MAX) : 0;
	if (n <= 0) {
		cat(line, size, " none");
		return;
	}
	for (i = 0; i < n && i < 8; i++) {
		cat(line, size, "%s", i ? ", " : " ");
		print_bind(line, size, &r[i]);
		cat(line, size, "%u", r[i].first);
		if (r[i].last != r[i].first)
			cat(line, size, "-%u", r[i].last);
		if (r[i].to_first == r[i].first && !r[i].has_to)
			continue;
		cat(line, size, "->");
		if (r[i].has_to && inany_is_v4(&r[i].to_addr))
			cat(line, size, "%s/", inet_ntop(AF_INET,
					&r[i].to_addr.v4mapped.a4, a,
					sizeof(a)));
		else if (r[i].has_to)
			cat(line, size, "[%s]/", inet_ntop(AF_INET6,
					&r[i].to_addr.a6, a, sizeof(a)));
		cat(line, size, "%u", r[i].to_first);
		if (r[i].last != r[i].first)
			cat(line, size, "-%u", r[i].to_first +
			    (r[i].last - r[i].first));
	}
	if (n > 8)
		cat(line, size, " and %d more ranges", n - 8);
	if (r[0].best_effort)
		cat(line, size, " (best effort)");
}

void conf_print(const struct conf *c)
{
	char line[LINE_MAX_LEN] = "";
	const uint8_t *m = c->our_mac;
	static const char *const names[] = { "TCP", "UDP", "ICMP", "DHCP",
					      "NDP", "RA", "DHCPv6" };
	bool off[] = { c->no_tcp, c->no_udp, c->no_icmp,
		       c->ip4.enabled && c->no_dhcp,
		       c->ip6.enabled && c->no_ndp,
		       c->ip6.enabled && c->no_ra,
		       c->ip6.enabled && c->no_dhcpv6 };
	int i, noff = 0;

	print_ip4(c);
	print_ip6(c);

	if (c->mtu)
		cat(line, sizeof(line), "MTU %d", c->mtu);
	else
		cat(line, sizeof(line), "MTU not advertised");
	cat(line, sizeof(line), "; our MAC %02x:%02x:%02x:%02x:%02x:%02x",
	    m[0], m[1], m[2], m[3], m[4], m[5]);
	if (c->search_count) {
		cat(line, sizeof(line), "; search");
		for (i = 0; i < c->search_count; i++)
			cat(line, sizeof(line), " %s", c->search[i]);
	}
	for (i = 0; i < (int)ARRAY_SIZE(off); i++) {
		if (!off[i])
			continue;
		cat(line, sizeof(line), "%s%s", noff++ ? ", " : "; off: ",
		    names[i]);
	}
	info("%s", line);

	line[0] = '\0';
	cat(line, sizeof(line), "forwarding ");
	print_ports(line, sizeof(line), "TCP", &c->tcp_ports);
	cat(line, sizeof(line), "; ");
	print_ports(line, sizeof(line), "UDP", &c->udp_ports);
	info("%s", line);
}
