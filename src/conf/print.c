// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/print.c - the configuration summary printed at startup (info level)
 *
 * A few lines a user can check at a glance:
 *   gangway: guest IPv4 192.0.2.2/24 via 192.0.2.1 (host eth0), DNS 192.0.2.1
 *   gangway: guest IPv6 fd00::2/64 via fd00::1, router fe80::1, DNS none
 *   gangway: MTU 65520, our MAC 9a:55:9a:55:9a:55, search example.com
 *   gangway: forwarding TCP 2222->22; UDP none
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
	if (*c->ip4.host_if)
		cat(line, sizeof(line), " (host %s)", c->ip4.host_if);
	else if (c->ip4.local_mode)
		cat(line, sizeof(line), " (no host interface: local mode)");
	cat(line, sizeof(line), ", DNS");
	for (i = 0; i < c->ip4.dns_count; i++) {
		inet_ntop(AF_INET, &c->ip4.dns[i], a, sizeof(a));
		cat(line, sizeof(line), "%s%s", i ? "," : " ", a);
	}
	if (!c->ip4.dns_count)
		cat(line, sizeof(line), " none");
	if (c->ip4.map_host_lo.s_addr) {
		inet_ntop(AF_INET, &c->ip4.map_host_lo, a, sizeof(a));
		cat(line, sizeof(line), ", %s is the host's loopback", a);
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
	cat(line, sizeof(line), ", DNS");
	for (i = 0; i < c->ip6.dns_count; i++) {
		inet_ntop(AF_INET6, &c->ip6.dns[i], a, sizeof(a));
		cat(line, sizeof(line), "%s%s", i ? "," : " ", a);
	}
	if (!c->ip6.dns_count)
		cat(line, sizeof(line), " none");
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_lo)) {
		inet_ntop(AF_INET6, &c->ip6.map_host_lo, a, sizeof(a));
		cat(line, sizeof(line), ", %s is the host's loopback", a);
	}
	info("%s", line);
}

static void print_ports(char *line, size_t size, const char *proto,
			const struct port_spec *ps)
{
	struct port_rule r[PORT_EXPANDED_MAX];
	int i, n;

	cat(line, size, "%s", proto);
	n = ps->count ? ports_expand(ps, r, PORT_EXPANDED_MAX) : 0;
	if (n <= 0) {
		cat(line, size, " none");
		return;
	}
	for (i = 0; i < n && i < 8; i++) {
		cat(line, size, "%s%u", i ? ", " : " ", r[i].first);
		if (r[i].last != r[i].first)
			cat(line, size, "-%u", r[i].last);
		if (r[i].to_first != r[i].first)
			cat(line, size, "->%u", r[i].to_first);
	}
	if (n > 8)
		cat(line, size, " and %d more ranges", n - 8);
}

void conf_print(const struct conf *c)
{
	char line[LINE_MAX_LEN] = "";
	const uint8_t *m = c->our_mac;
	int i;

	print_ip4(c);
	print_ip6(c);

	if (c->mtu)
		cat(line, sizeof(line), "MTU %d", c->mtu);
	else
		cat(line, sizeof(line), "MTU not advertised");
	cat(line, sizeof(line), ", our MAC %02x:%02x:%02x:%02x:%02x:%02x",
	    m[0], m[1], m[2], m[3], m[4], m[5]);
	if (c->search_count) {
		cat(line, sizeof(line), ", search");
		for (i = 0; i < c->search_count; i++)
			cat(line, sizeof(line), " %s", c->search[i]);
	}
	info("%s", line);

	line[0] = '\0';
	cat(line, sizeof(line), "forwarding ");
	print_ports(line, sizeof(line), "TCP", &c->tcp_ports);
	cat(line, sizeof(line), "; ");
	print_ports(line, sizeof(line), "UDP", &c->udp_ports);
	info("%s", line);
}
