/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * conf/conf.h - the daemon's configuration, from the command line and host
 *
 * Owns: parsing argv (passt-compatible options), validating every value
 * (one line naming the option on error, exit 1, before daemonizing),
 * host discovery through netlink (default-route interface, its addresses,
 * prefix, gateway, MAC) and /etc/resolv.conf, and filling struct conf.
 * main.c hands each module only the part it needs.
 */
#ifndef GANGWAY_CONF_CONF_H
#define GANGWAY_CONF_CONF_H

#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/ports.h"
#include "packet/inany.h"

#define CONF_MAX_DNS		4	/* per family */
#define CONF_MAX_SEARCH		8
#define CONF_NAME_MAX		253	/* host name / FQDN / search domain */
#define MTU_MIN			68
#define MTU_MAX			65520
#define MTU_DEFAULT		65520
#define MTU_IPV6_MIN		1280	/* RFC 8200, section 5 */
#define MAX_FLOWS_DEFAULT	8192
#define MAX_FLOWS_MAX		16384	/* 20,000 open files per process */
#define BUSY_POLL_DEFAULT_US	0	/* off: docs/PERFORMANCE.md says why */
#define BUSY_POLL_MAX_US	1000
#define LOG_SIZE_DEFAULT	(1024 * 1024)
#define LOG_SIZE_MIN		4096
#define LOG_SIZE_MAX		(1024 * 1024 * 1024)

enum link_mode {
	LINK_STREAM,		/* QEMU stream socket, 4-byte length prefix */
	LINK_VHOST_USER,	/* --vhost-user */
};

/**
 * struct conf_ip4 - IPv4 side of the guest's configuration
 * @enabled:	false with --ipv6-only or when the host has no IPv4
 * @addr:	address given to the guest (-a or host address)
 * @prefix_len:	netmask as prefix length
 * @gw:		default gateway given to the guest (-g or host gateway)
 * @map_host_lo: guest address that reaches host loopback (unspec: none)
 * @map_guest:	guest address that reaches the host's global address
 * @dns:	nameservers advertised to the guest
 * @dns_fwd:	--dns-forward address (unspec: none)
 * @dns_host:	--dns-host (default: first host nameserver)
 * @outbound:	-o address for outbound sockets (unspec: none)
 * @outbound_if: --outbound-if4
 * @host_if:	interface the configuration was derived from
 * @host_addr:	the host's own address on @host_if (unspec: none); what
 *		@map_guest reaches
 * @local_mode:	no usable host interface: link-local 169.254.2.1/.2
 */
struct conf_ip4 {
	bool enabled;
	struct in_addr addr;
	int prefix_len;
	struct in_addr gw;
	struct in_addr map_host_lo;
	struct in_addr map_guest;
	struct in_addr dns[CONF_MAX_DNS];
	int dns_count;
	struct in_addr dns_fwd;
	struct in_addr dns_host;
	struct in_addr outbound;
	char outbound_if[IFNAMSIZ];
	char host_if[IFNAMSIZ];
	struct in_addr host_addr;
	bool local_mode;
};

struct conf_ip6 {
	bool enabled;
	struct in6_addr addr;		/* global address for the guest */
	int prefix_len;			/* always 64 for SLAAC */
	struct in6_addr gw;		/* -g, host's gateway, else fe80::1 */
	struct in6_addr our_ll;		/* RA/NDP/DHCPv6 source: gw if it is
					 * link-local, else the host's, else
					 * fe80::1 */
	struct in6_addr map_host_lo;
	struct in6_addr map_guest;
	struct in6_addr dns[CONF_MAX_DNS];
	int dns_count;
	struct in6_addr dns_fwd;
	struct in6_addr dns_host;
	struct in6_addr outbound;
	char outbound_if[IFNAMSIZ];
	char host_if[IFNAMSIZ];
	struct in6_addr host_addr;	/* host's global address, or unspec */
	const char *off_why;		/* why !enabled, for conf_print() */
};

struct conf {
	/* link and process */
	enum link_mode mode;
	int fd;				/* --fd, -1 if none */
	char socket_path[108];		/* -s; "": link/ probes a default */
	bool one_off;
	bool foreground;
	bool quiet;
	bool debug;
	bool trace;
	bool stderr_log;		/* -e */
	char log_file[4096];
	char pid_file[4096];
	char pcap_file[4096];
	char runas[256];
	uid_t runas_uid;		/* resolved --runas, if runas[0] */
	gid_t runas_gid;
	size_t log_size;		/* --log-size, bytes */
	bool chroot_fallback;		/* --chroot-fallback */

	/* guest link */
	int mtu;			/* 0: do not advertise */
	uint8_t our_mac[6];		/* -M (our MAC towards the guest) */
	char iface[IFNAMSIZ];		/* -i */
	bool has_host_mac;
	uint8_t host_mac[6];		/* MAC of the IPv4 (else IPv6) host_if */

	struct conf_ip4 ip4;
	struct conf_ip6 ip6;

	/* services */
	bool no_dhcp, no_ndp, no_dhcpv6, no_ra;
	bool no_dhcp_dns, no_dhcp_search;
	char search[CONF_MAX_SEARCH][CONF_NAME_MAX + 1];
	int search_count;
	char hostname[CONF_NAME_MAX + 1];
	char fqdn[CONF_NAME_MAX + 1];

	/* flows */
	bool no_tcp, no_udp, no_icmp;
	bool freebind;
	bool no_map_gw;
	struct port_spec tcp_ports;	/* -t */
	struct port_spec udp_ports;	/* -u */
	unsigned int max_flows;		/* --max-flows */

	/* event loop */
	unsigned int busy_poll_us;	/* --busy-poll: max window, 0 off */
};

/* Parse argv and discover the host; on any error print one line, exit 1 */
void conf_parse(int argc, char **argv, struct conf *c);

/*
 * conf_parse() in two steps, for tests: conf_parse_args() checks the
 * command line only (no host discovery, no I/O but --fd/--runas/path
 * checks), conf_discover() fills in what the host provides. Both print
 * one line and exit 1 on error, as conf_parse() does.
 */
void conf_parse_args(int argc, char **argv, struct conf *c);
void conf_discover(struct conf *c);

/* The --help text, and the option table it must cover (tests) */
const char *conf_help_text(void);
const struct option *conf_long_options(void);
/* getopt_long() short options matching conf_long_options() (gangway exec) */
const char *conf_short_options(void);

/* Print the resulting configuration (info level) */
void conf_print(const struct conf *c);

#endif /* GANGWAY_CONF_CONF_H */
