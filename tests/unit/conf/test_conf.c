// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for conf/conf.c: every option with good and bad values.
 * Bad values must exit 1 with exactly one line on stderr (checked
 * verbatim); good values must exit 0 silently and set the field.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf_run.h"
#include "../common/tu_addr.h"

static struct conf conf;
static struct run res;

/* Bad option(s): exit 1, stderr is exactly "@expect\n", nothing on stdout */
static void bad(const char *expect, const char *first, ...)
{
	char *argv[RUN_ARGS_MAX];
	char want[1024];
	va_list ap;

	va_start(ap, first);
	run_argv(argv, first, ap);
	va_end(ap);
	run_conf(&res, conf_parse_args, argv);
	snprintf(want, sizeof(want), "%s\n", expect);
	if (res.status != 1 || strcmp(res.err, want) || res.out[0])
		fail_msg("%s ...: status %d, stderr '%s', stdout '%s'; expected '%s'",
			 first, res.status, res.err, res.out, expect);
}

/* Good options: the child exits 0 silently; then parse here for fields */
static struct conf *ok(const char *first, ...)
{
	char *argv[RUN_ARGS_MAX];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	run_argv(argv, first, ap);
	va_end(ap);
	run_conf(&res, conf_parse_args, argv);
	if (res.status != 0 || res.err[0] || res.out[0])
		fail_msg("%s ...: status %d, stderr '%s'", first ? first : "",
			 res.status, res.err);
	while (argv[argc])
		argc++;
	conf_parse_args(argc, argv, &conf);
	return &conf;
}

static void defaults(void **state)
{
	static const uint8_t mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
	struct conf *c = ok(NULL);

	(void)state;
	assert_int_equal(c->mode, LINK_STREAM);
	assert_int_equal(c->fd, -1);
	assert_int_equal(c->mtu, 65520);
	assert_int_equal(c->max_flows, 8192);
	assert_int_equal(c->busy_poll_us, 0);
	assert_int_equal(c->log_size, 1024 * 1024);
	assert_memory_equal(c->our_mac, mac, 6);
	assert_true(c->ip4.enabled);
	assert_true(c->ip6.enabled);
	assert_false(c->tcp_ports.set);
	assert_false(c->quiet);
	assert_false(c->one_off);
}

static void flags(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("--vhost-user", "-q", "-f", "-e", "--freebind", "--one-off",
	       "--chroot-fallback", "--no-map-gw", NULL);
	assert_int_equal(c->mode, LINK_VHOST_USER);
	assert_true(c->quiet && c->foreground && c->stderr_log);
	assert_true(c->freebind && c->one_off && c->chroot_fallback);
	assert_true(c->no_map_gw);

	c = ok("-d", NULL);
	assert_true(c->debug);
	assert_false(c->trace);
	c = ok("--trace", NULL);
	assert_true(c->trace && c->debug);

	c = ok("--no-tcp", "--no-udp", "--no-dhcp", "--no-dhcpv6", "--no-ra",
	       NULL);
	assert_true(c->no_tcp && c->no_udp && c->no_dhcp && c->no_dhcpv6 &&
		    c->no_ra);
	assert_false(c->no_ndp);
	assert_false(c->no_icmp);

	c = ok("--no-icmp", NULL);
	assert_true(c->no_icmp);
	assert_true(c->no_ndp);		/* implied */
	c = ok("--no-ndp", NULL);
	assert_true(c->no_ndp);

	c = ok("--no-dhcp-dns", "--no-dhcp-search", NULL);
	assert_true(c->no_dhcp_dns && c->no_dhcp_search);
	c = ok("--no-dhcp-dns", "--dhcp-dns", "--no-dhcp-search",
	       "--dhcp-search", NULL);
	assert_false(c->no_dhcp_dns || c->no_dhcp_search);

	c = ok("-4", NULL);
	assert_true(c->ip4.enabled);
	assert_false(c->ip6.enabled);
	c = ok("--ipv6-only", NULL);
	assert_false(c->ip4.enabled);
	assert_true(c->ip6.enabled);

	ok("--migrate-exit", "--migrate-no-linger", "--repair-path", "none",
	   NULL);
	ok("--repair-path", "/tmp/x.repair", NULL);
	ok("--stats", "10", NULL);
	bad("gangway: --stats 0: must be a number of seconds from 1 to 86400",
	    "--stats", "0", NULL);
}

static void mtu(void **state)
{
	(void)state;
	assert_int_equal(ok("-m", "0", NULL)->mtu, 0);
	assert_int_equal(ok("-m", "68", NULL)->mtu, 68);
	assert_int_equal(ok("--mtu", "65520", NULL)->mtu, 65520);
	assert_int_equal(ok("--mtu=1500", NULL)->mtu, 1500);
	assert_int_equal(ok("-m1500", NULL)->mtu, 1500);
	bad("gangway: --mtu 70000: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "70000", NULL);
	bad("gangway: -m 67: must be a number from 68 to 65520, or 0 to not advertise one",
	    "-m", "67", NULL);
	bad("gangway: --mtu 65521: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu=65521", NULL);
	bad("gangway: --mtu -1: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "-1", NULL);
	bad("gangway: --mtu 15x: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "15x", NULL);
	bad("gangway: --mtu : must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "", NULL);
	bad("gangway: --mtu 99999999999999999999999: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "99999999999999999999999", NULL);
}

static void address(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-a", "10.0.0.2/24", NULL);
	tu_addr4_is(c->ip4.addr, "10.0.0.2");
	assert_int_equal(c->ip4.prefix_len, 24);
	c = ok("--address", "10.0.0.2", NULL);
	assert_int_equal(c->ip4.prefix_len, 8);		/* class A */
	assert_int_equal(ok("-a", "172.16.0.2", NULL)->ip4.prefix_len, 16);
	assert_int_equal(ok("-a", "192.168.7.2", NULL)->ip4.prefix_len, 24);
	assert_int_equal(ok("-a", "10.0.0.2/0", NULL)->ip4.prefix_len, 0);
	assert_int_equal(ok("-a", "10.0.0.2/32", NULL)->ip4.prefix_len, 32);
	c = ok("-a", "10.0.0.2", "-n", "255.255.240.0", NULL);
	assert_int_equal(c->ip4.prefix_len, 20);
	c = ok("-n", "255.255.255.0", "-a", "10.0.0.2", NULL);
	assert_int_equal(c->ip4.prefix_len, 24);
	c = ok("--netmask", "17", NULL);
	assert_int_equal(c->ip4.prefix_len, 17);
	assert_int_equal(ok("-n", "0.0.0.0", NULL)->ip4.prefix_len, 0);
	assert_int_equal(ok("-n", "255.255.255.255", NULL)->ip4.prefix_len,
			 32);
	c = ok("-a", "fd00::5/48", "-a", "10.0.0.2", NULL);
	tu_addr6_is(&c->ip6.addr, "fd00::5");
	assert_int_equal(c->ip6.prefix_len, 64);	/* SLAAC: always 64 */
	tu_addr4_is(c->ip4.addr, "10.0.0.2");

	bad("gangway: -a 10.0.0.300: must be an IPv4 or IPv6 address, with an optional /prefix_len",
	    "-a", "10.0.0.300", NULL);
	bad("gangway: --address foo: must be an IPv4 or IPv6 address, with an optional /prefix_len",
	    "--address", "foo", NULL);
	bad("gangway: -a 10.0.0.2/33: prefix length must be a number from 0 to 32",
	    "-a", "10.0.0.2/33", NULL);
	bad("gangway: -a 10.0.0.2/: prefix length must be a number from 0 to 32",
	    "-a", "10.0.0.2/", NULL);
	bad("gangway: -a fd00::5/129: prefix length must be a number from 0 to 128",
	    "-a", "fd00::5/129", NULL);
	bad("gangway: -a 0.0.0.0: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "0.0.0.0", NULL);
	bad("gangway: -a 127.0.0.1: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "127.0.0.1", NULL);
	bad("gangway: -a 224.0.0.5: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "224.0.0.5", NULL);
	bad("gangway: -a 255.255.255.255: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "255.255.255.255", NULL);
	bad("gangway: -a fe80::5: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "fe80::5", NULL);
	bad("gangway: -a ::1: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
	    "-a", "::1", NULL);
	bad("gangway: -a ::ffff:10.0.0.1: must be an IPv4 or IPv6 address, with an optional /prefix_len",
	    "-a", "::ffff:10.0.0.1", NULL);
	bad("gangway: -a 10.0.0.3: already given for IPv4 (-a 10.0.0.2); give at most one IPv4 and one IPv6 value",
	    "-a", "10.0.0.2", "-a", "10.0.0.3", NULL);
	bad("gangway: --address fd00::6: already given for IPv6 (-a fd00::5); give at most one IPv4 and one IPv6 value",
	    "-a", "fd00::5", "--address", "fd00::6", NULL);
	bad("gangway: -a 10.0.0.2/24 and -n 255.255.255.0 conflict; give the prefix length once",
	    "-a", "10.0.0.2/24", "-n", "255.255.255.0", NULL);
	bad("gangway: --address 10.0.0.2/24 and --netmask 16 conflict; give the prefix length once",
	    "--netmask", "16", "--address", "10.0.0.2/24", NULL);
	bad("gangway: -n 255.0.255.0: must be a netmask like 255.255.255.0 or a prefix length from 0 to 32",
	    "-n", "255.0.255.0", NULL);
	bad("gangway: --netmask 33: must be a netmask like 255.255.255.0 or a prefix length from 0 to 32",
	    "--netmask", "33", NULL);
	bad("gangway: -n abc: must be a netmask like 255.255.255.0 or a prefix length from 0 to 32",
	    "-n", "abc", NULL);
}

static void mac(void **state)
{
	static const uint8_t m[6] = { 0x02, 0xab, 0xCD, 0x00, 0x11, 0xff };

	(void)state;
	assert_memory_equal(ok("-M", "02:ab:CD:00:11:ff", NULL)->our_mac, m,
			    6);
	bad("gangway: -M 01:00:5e:00:00:01: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "-M", "01:00:5e:00:00:01", NULL);
	bad("gangway: --mac-addr 00:00:00:00:00:00: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "--mac-addr", "00:00:00:00:00:00", NULL);
	bad("gangway: -M 02:00:00:00:00: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "-M", "02:00:00:00:00", NULL);
	bad("gangway: -M 02-00-00-00-00-01: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "-M", "02-00-00-00-00-01", NULL);
	bad("gangway: -M 02:00:00:00:00:0g: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "-M", "02:00:00:00:00:0g", NULL);
	bad("gangway: -M 02:00:00:00:00:+1: must be a unicast MAC address like 9a:55:9a:55:9a:55",
	    "-M", "02:00:00:00:00:+1", NULL);
}

static void gateway(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-g", "10.0.0.1", "--gateway", "fe80::1", NULL);
	tu_addr4_is(c->ip4.gw, "10.0.0.1");
	tu_addr6_is(&c->ip6.gw, "fe80::1");
	bad("gangway: -g 10.0.0.9: already given for IPv4 (-g 10.0.0.1); give at most one IPv4 and one IPv6 value",
	    "-g", "10.0.0.1", "-g", "10.0.0.9", NULL);
	bad("gangway: -g x: must be an IPv4 or IPv6 address", "-g", "x",
	    NULL);
	bad("gangway: --gateway 0.0.0.0: must not be the unspecified address",
	    "--gateway", "0.0.0.0", NULL);
	bad("gangway: -g 127.0.0.1: must not be a loopback address", "-g",
	    "127.0.0.1", NULL);
	bad("gangway: -g ff02::1: must not be a multicast or broadcast address",
	    "-g", "ff02::1", NULL);
}

static void interfaces(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-i", "eth0", "--outbound-if4", "eth1", "--outbound-if6",
	       "veth-long-name", NULL);
	assert_string_equal(c->iface, "eth0");
	assert_string_equal(c->ip4.outbound_if, "eth1");
	assert_string_equal(c->ip6.outbound_if, "veth-long-name");
	bad("gangway: -i 0123456789abcdef: must be an interface name of 1 to 15 characters",
	    "-i", "0123456789abcdef", NULL);
	bad("gangway: --interface : must be an interface name of 1 to 15 characters",
	    "--interface", "", NULL);
	bad("gangway: --outbound-if4 a/b: must be an interface name of 1 to 15 characters",
	    "--outbound-if4", "a/b", NULL);
	bad("gangway: --outbound-if6 ..: must be an interface name of 1 to 15 characters",
	    "--outbound-if6", "..", NULL);
}

static void outbound(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-o", "192.0.2.9", "--outbound", "2001:db8::9", NULL);
	tu_addr4_is(c->ip4.outbound, "192.0.2.9");
	tu_addr6_is(&c->ip6.outbound, "2001:db8::9");
	bad("gangway: -o 192.0.2.10: already given for IPv4 (-o 192.0.2.9); give at most one IPv4 and one IPv6 value",
	    "-o", "192.0.2.9", "-o", "192.0.2.10", NULL);
	bad("gangway: --outbound :: : must be an IPv4 or IPv6 address",
	    "--outbound", ":: ", NULL);
	bad("gangway: --outbound ::: must not be the unspecified address",
	    "--outbound", "::", NULL);
	bad("gangway: -o 239.1.1.1: must not be a multicast or broadcast address",
	    "-o", "239.1.1.1", NULL);
}

static void dns(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-D", "192.0.2.53", "--dns", "2001:db8::53", "-D",
	       "127.0.0.1", NULL);
	assert_int_equal(c->ip4.dns_count, 2);
	tu_addr4_is(c->ip4.dns[0], "192.0.2.53");
	/* given: not remapped */
	tu_addr4_is(c->ip4.dns[1], "127.0.0.1");
	assert_int_equal(c->ip6.dns_count, 1);
	tu_addr6_is(&c->ip6.dns[0], "2001:db8::53");
	c = ok("-D", "none", NULL);
	assert_int_equal(c->ip4.dns_count + c->ip6.dns_count, 0);
	c = ok("-D", "192.0.2.53", "-D", "none", NULL);
	assert_int_equal(c->ip4.dns_count, 0);
	bad("gangway: -D foo: must be an IPv4 or IPv6 address, or 'none'",
	    "-D", "foo", NULL);
	bad("gangway: --dns 0.0.0.0: must be a unicast address", "--dns",
	    "0.0.0.0", NULL);
	bad("gangway: -D ff02::fb: must be a unicast address", "-D",
	    "ff02::fb", NULL);
	bad("gangway: -D 10.0.0.5: more than 4 IPv4 nameservers",
	    "-D", "10.0.0.1", "-D", "10.0.0.2", "-D", "10.0.0.3", "-D",
	    "10.0.0.4", "-D", "10.0.0.5", NULL);
	bad("gangway: -D ::5: more than 4 IPv6 nameservers",
	    "-D", "::2", "-D", "::3", "-D", "::4", "-D", "::6", "-D", "::5",
	    NULL);
}

static void search(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-S", "example.com  corp.example.org.", NULL);
	assert_int_equal(c->search_count, 2);
	assert_string_equal(c->search[0], "example.com");
	assert_string_equal(c->search[1], "corp.example.org.");
	c = ok("-S", "a.b", "--search", "none", NULL);
	assert_int_equal(c->search_count, 0);
	c = ok("-S", "a.b", "-S", "c", NULL);
	assert_int_equal(c->search_count, 1);
	assert_string_equal(c->search[0], "c");
	bad("gangway: -S a..b: 'a..b' is not a domain name (labels of 1 to 63 letters, digits, '-' or '_', 253 characters at most)",
	    "-S", "a..b", NULL);
	bad("gangway: --search '  ': give a space-separated list of domains, or 'none'",
	    "--search", "  ", NULL);
	bad("gangway: -S a b c d e f g h i: more than 8 domains", "-S",
	    "a b c d e f g h i", NULL);
}

static void names(void **state)
{
	char long_label[80], long_name[300];
	char want[700];
	struct conf *c;
	int i;

	(void)state;
	c = ok("-H", "guest", "--fqdn", "guest.example.com", NULL);
	assert_string_equal(c->hostname, "guest");
	assert_string_equal(c->fqdn, "guest.example.com");

	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	snprintf(want, sizeof(want),
		 "gangway: --fqdn %s.com: must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
		 long_label);
	snprintf(long_name, sizeof(long_name), "%s.com", long_label);
	bad(want, "--fqdn", long_name, NULL);

	/* 254 characters in labels of 9 */
	long_name[0] = '\0';
	for (i = 0; i < 25; i++)
		strcat(long_name, "abcdefgh.");
	strcat(long_name, "abcd");
	assert_int_equal(strlen(long_name), 229);
	strcat(long_name, ".abcdefghijklmnopqrstuvwx");	/* 254 */
	snprintf(want, sizeof(want),
		 "gangway: -H %s: must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
		 long_name);
	bad(want, "-H", long_name, NULL);
	long_name[253] = '\0';
	assert_string_equal(ok("-H", long_name, NULL)->hostname, long_name);

	bad("gangway: -H bad name: must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
	    "-H", "bad name", NULL);
	bad("gangway: --hostname : must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
	    "--hostname", "", NULL);
	bad("gangway: --fqdn .example: must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
	    "--fqdn", ".example", NULL);
}

static void mapping(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("--map-host-loopback", "10.0.2.2", "--map-host-loopback",
	       "fd00::2", NULL);
	tu_addr4_is(c->ip4.map_host_lo, "10.0.2.2");
	tu_addr6_is(&c->ip6.map_host_lo, "fd00::2");
	c = ok("--map-host-loopback", "10.0.2.2", "--map-host-loopback",
	       "none", NULL);
	assert_int_equal(c->ip4.map_host_lo.s_addr, 0);
	c = ok("--map-guest-addr", "10.0.2.3", NULL);
	tu_addr4_is(c->ip4.map_guest, "10.0.2.3");
	c = ok("--map-guest-addr", "10.0.2.3", "--map-guest-addr", "none",
	       NULL);
	assert_int_equal(c->ip4.map_guest.s_addr, 0);
	bad("gangway: --map-host-loopback 127.0.0.1: must be a unicast address that is not loopback",
	    "--map-host-loopback", "127.0.0.1", NULL);
	bad("gangway: --map-host-loopback nope: must be an IPv4 or IPv6 address, or 'none'",
	    "--map-host-loopback", "nope", NULL);
	bad("gangway: --map-guest-addr ff02::1: must be a unicast address that is not loopback",
	    "--map-guest-addr", "ff02::1", NULL);
	bad("gangway: --map-guest-addr 0.0.0.0: must be a unicast address that is not loopback",
	    "--map-guest-addr", "0.0.0.0", NULL);
}

static void dns_forward(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("--dns-forward", "10.0.2.3", "--dns-host", "127.0.0.1",
	       "--dns-forward", "fd00::3", "--dns-host", "::1", NULL);
	tu_addr4_is(c->ip4.dns_fwd, "10.0.2.3");
	tu_addr4_is(c->ip4.dns_host, "127.0.0.1");
	tu_addr6_is(&c->ip6.dns_fwd, "fd00::3");
	tu_addr6_is(&c->ip6.dns_host, "::1");
	bad("gangway: --dns-forward 10.0.2.4: already given for IPv4 (--dns-forward 10.0.2.3); give at most one IPv4 and one IPv6 value",
	    "--dns-forward", "10.0.2.3", "--dns-forward", "10.0.2.4", NULL);
	bad("gangway: --dns-host ::2: already given for IPv6 (--dns-host ::1); give at most one IPv4 and one IPv6 value",
	    "--dns-host", "::1", "--dns-host", "::2", NULL);
	bad("gangway: --dns-forward x: must be an IPv4 or IPv6 address",
	    "--dns-forward", "x", NULL);
	bad("gangway: --dns-host 224.0.0.251: must not be a multicast or broadcast address",
	    "--dns-host", "224.0.0.251", NULL);
	bad("gangway: --dns-forward 0.0.0.0: must not be the unspecified address",
	    "--dns-forward", "0.0.0.0", NULL);
}

static void ports(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-t", "22", "--tcp-ports", "8000-8010:9000-9010", "-u",
	       "53,~5353", NULL);
	assert_int_equal(c->tcp_ports.count, 2);
	assert_int_equal(c->udp_ports.count, 1);
	assert_true(ports_excluded(&c->udp_ports, 5353));
	c = ok("-t", "none", "--no-tcp", NULL);
	assert_true(c->tcp_ports.none);
	ok("-u", "none", "--no-udp", NULL);
	ok("-t", "22", "-t", "none", "--no-tcp", NULL);

	bad("gangway: -t 80-22: range 80-22 goes backwards; write it low-high",
	    "-t", "80-22", NULL);
	bad("gangway: --tcp-ports auto: 'auto' is for pasta only; give ports, ranges or 'all'",
	    "--tcp-ports", "auto", NULL);
	bad("gangway: -u 0: port 0 is out of range; ports go from 1 to 65535",
	    "-u", "0", NULL);
	bad("gangway: --udp-ports 22-23:30-30: ranges 22-23 and 30-30 differ in length",
	    "--udp-ports", "22-23:30-30", NULL);
	bad("gangway: -t 22 and --no-tcp conflict; keep one", "--no-tcp",
	    "-t", "22", NULL);
	bad("gangway: --udp-ports 53 and --no-udp conflict; keep one",
	    "--udp-ports", "53", "--no-udp", NULL);
}

static void ports_too_many_after_exclusions(void **state)
{
	char spec[1024] = "1-1000";
	char want[1200];
	int i;

	(void)state;
	/* 63 exclusions inside one range: 64 pieces, fine */
	for (i = 1; i <= 63; i++)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
			 ",~%d", i * 10);
	ok("-t", spec, NULL);
	/* Same ports on another address: 128 pieces, fine; a third: too many */
	ok("-t", spec, "-t", "127.0.0.1/1-1000", NULL);
	snprintf(want, sizeof(want),
		 "gangway: -t 127.0.0.2/1-1000: more than 128 ranges once exclusions are applied");
	bad(want, "-t", spec, "-t", "127.0.0.1/1-1000", "-t",
	    "127.0.0.2/1-1000", NULL);
}

static void paths(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("-P", "/tmp/g.pid", "-p", "/tmp/g.pcap", "-l", "/tmp/g.log",
	       "-s", "/tmp/g.sock", NULL);
	assert_string_equal(c->pid_file, "/tmp/g.pid");
	assert_string_equal(c->pcap_file, "/tmp/g.pcap");
	assert_string_equal(c->log_file, "/tmp/g.log");
	assert_string_equal(c->socket_path, "/tmp/g.sock");
	c = ok("--pid", "relative.pid", NULL);
	assert_string_equal(c->pid_file, "relative.pid");
	bad("gangway: --pid /nonexistent-dir/x.pid: directory /nonexistent-dir does not exist",
	    "--pid", "/nonexistent-dir/x.pid", NULL);
	bad("gangway: -P: the path must not be empty", "-P", "", NULL);
	bad("gangway: -p /tmp/: must be a file path, not a directory", "-p",
	    "/tmp/", NULL);
	bad("gangway: --log-file /nonexistent-dir/log: directory /nonexistent-dir does not exist",
	    "--log-file", "/nonexistent-dir/log", NULL);
	bad("gangway: -s /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: must be a path of 1 to 107 characters",
	    "-s", "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    NULL);
	bad("gangway: --socket-path : must be a path of 1 to 107 characters",
	    "--socket-path", "", NULL);
	c = ok("--socket", "/tmp/g2.sock", NULL);
	assert_string_equal(c->socket_path, "/tmp/g2.sock");
}

static void log_size(void **state)
{
	(void)state;
	assert_int_equal(ok("--log-size", "4096", NULL)->log_size, 4096);
	bad("gangway: --log-size 4095: must be a number of bytes from 4096 to 1073741824",
	    "--log-size", "4095", NULL);
	bad("gangway: --log-size 1M: must be a number of bytes from 4096 to 1073741824",
	    "--log-size", "1M", NULL);
}

static void fd(void **state)
{
	char num[16], want[256];
	struct conf *c;
	int sv[2], f;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(num, sizeof(num), "%d", sv[1]);
	c = ok("--fd", num, NULL);
	assert_int_equal(c->fd, sv[1]);
	assert_true(c->one_off);		/* implied */
	c = ok("-F", num, "--vhost-user", NULL);
	assert_int_equal(c->fd, sv[1]);

	snprintf(want, sizeof(want),
		 "gangway: --fd %s and -s /tmp/x.sock conflict; keep one", num);
	bad(want, "--fd", num, "-s", "/tmp/x.sock", NULL);
	snprintf(want, sizeof(want),
		 "gangway: -F %s and --socket /tmp/x.sock conflict; keep one",
		 num);
	bad(want, "--socket", "/tmp/x.sock", "-F", num, NULL);
	close(sv[0]);
	close(sv[1]);

	bad("gangway: --fd -1: must be a file descriptor number", "--fd",
	    "-1", NULL);
	bad("gangway: --fd x: must be a file descriptor number", "--fd",
	    "x", NULL);
	bad("gangway: --fd 99999999999: must be a file descriptor number",
	    "--fd", "99999999999", NULL);
	bad("gangway: -F 1: not a socket", "-F", "1", NULL);	/* a pipe */
	bad("gangway: --fd 1000: not an open file descriptor", "--fd",
	    "1000", NULL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	snprintf(num, sizeof(num), "%d", sv[0]);
	snprintf(want, sizeof(want), "gangway: --fd %d: not a stream socket",
		 sv[0]);
	bad(want, "--fd", num, NULL);
	close(sv[0]);
	close(sv[1]);
	f = open("/dev/null", O_RDONLY);
	assert_true(f > 2);
	snprintf(num, sizeof(num), "%d", f);
	snprintf(want, sizeof(want), "gangway: --fd %d: not a socket", f);
	bad(want, "--fd", num, NULL);
	close(f);
}

static void runas(void **state)
{
	struct conf *c;

	(void)state;
	c = ok("--runas", "nobody", NULL);
	assert_string_equal(c->runas, "nobody");
	assert_int_equal(c->runas_uid, 65534);
	c = ok("--runas", "0:0", NULL);
	assert_int_equal(c->runas_uid, 0);
	assert_int_equal(c->runas_gid, 0);
	c = ok("--runas", "root:nogroup", NULL);
	assert_int_equal(c->runas_uid, 0);
	assert_int_equal(c->runas_gid, 65534);
	c = ok("--runas", "12345", NULL);
	assert_int_equal(c->runas_uid, 12345);
	bad("gangway: --runas nosuchuser-x: no such user 'nosuchuser-x'",
	    "--runas", "nosuchuser-x", NULL);
	bad("gangway: --runas root:nosuchgroup-x: no such group 'nosuchgroup-x'",
	    "--runas", "root:nosuchgroup-x", NULL);
	bad("gangway: --runas : must be UID, UID:GID, LOGIN or LOGIN:GROUP",
	    "--runas", "", NULL);
	bad("gangway: --runas root:: must be UID, UID:GID, LOGIN or LOGIN:GROUP",
	    "--runas", "root:", NULL);
	bad("gangway: --runas :0: must be UID, UID:GID, LOGIN or LOGIN:GROUP",
	    "--runas", ":0", NULL);
}

static void max_flows(void **state)
{
	(void)state;
	assert_int_equal(ok("--max-flows", "1", NULL)->max_flows, 1);
	assert_int_equal(ok("--max-flows", "16384", NULL)->max_flows, 16384);
	bad("gangway: --max-flows 0: must be a number from 1 to 16384",
	    "--max-flows", "0", NULL);
	bad("gangway: --max-flows 16385: must be a number from 1 to 16384",
	    "--max-flows", "16385", NULL);
	bad("gangway: --max-flows many: must be a number from 1 to 16384",
	    "--max-flows", "many", NULL);
}

static void busy_poll(void **state)
{
	(void)state;
	assert_int_equal(ok("--busy-poll", "0", NULL)->busy_poll_us, 0);
	assert_int_equal(ok("--busy-poll", "1000", NULL)->busy_poll_us, 1000);
	assert_int_equal(ok("--busy-poll=25", NULL)->busy_poll_us, 25);
	bad("gangway: --busy-poll 5000: must be a number of microseconds from 0 to 1000",
	    "--busy-poll", "5000", NULL);
	bad("gangway: --busy-poll 1001: must be a number of microseconds from 0 to 1000",
	    "--busy-poll", "1001", NULL);
	bad("gangway: --busy-poll -1: must be a number of microseconds from 0 to 1000",
	    "--busy-poll", "-1", NULL);
	bad("gangway: --busy-poll 50us: must be a number of microseconds from 0 to 1000",
	    "--busy-poll", "50us", NULL);
	bad("gangway: --busy-poll : must be a number of microseconds from 0 to 1000",
	    "--busy-poll", "", NULL);
}

static void conflicts(void **state)
{
	(void)state;
	bad("gangway: --ipv4-only and --ipv6-only conflict; keep one",
	    "--ipv4-only", "--ipv6-only", NULL);
	bad("gangway: -4 and -6 conflict; keep one", "-6", "-4", NULL);
	bad("gangway: -a 10.0.0.2 and -6 conflict; keep one", "-6", "-a",
	    "10.0.0.2", NULL);
	bad("gangway: --gateway fd00::1 and --ipv4-only conflict; keep one",
	    "--gateway", "fd00::1", "--ipv4-only", NULL);
	bad("gangway: --outbound-if4 eth0 and -6 conflict; keep one",
	    "--outbound-if4", "eth0", "-6", NULL);
	bad("gangway: --dns-forward fd00::3 and -4 conflict; keep one",
	    "-4", "--dns-forward", "fd00::3", NULL);
	bad("gangway: -n 24 and -6 conflict; keep one", "-n", "24", "-6",
	    NULL);
	bad("gangway: -a 10.0.0.1 and -g 10.0.0.1 conflict: the guest and its gateway need different addresses",
	    "-g", "10.0.0.1", "-a", "10.0.0.1", NULL);
	bad("gangway: -a fd00::1 and -g fd00::1 conflict: the guest and its gateway need different addresses",
	    "-a", "fd00::1", "-g", "fd00::1", NULL);
	bad("gangway: --map-host-loopback 10.0.0.9 and --map-guest-addr 10.0.0.9 conflict: one address cannot be mapped two ways",
	    "--map-guest-addr", "10.0.0.9", "--map-host-loopback",
	    "10.0.0.9", NULL);
	bad("gangway: --map-host-loopback fd00::9 and --map-guest-addr fd00::9 conflict: one address cannot be mapped two ways",
	    "--map-host-loopback", "fd00::9", "--map-guest-addr", "fd00::9",
	    NULL);
	bad("gangway: -a 10.0.0.2 and --map-host-loopback 10.0.0.2 conflict: the guest's own address cannot be mapped",
	    "-a", "10.0.0.2", "--map-host-loopback", "10.0.0.2", NULL);
	bad("gangway: -a fd00::2 and --map-guest-addr fd00::2 conflict: the guest's own address cannot be mapped",
	    "-a", "fd00::2", "--map-guest-addr", "fd00::2", NULL);
	ok("-a", "10.0.0.2", "-g", "10.0.0.1", "--map-host-loopback",
	   "10.0.0.1", "--map-guest-addr", "10.0.0.3", NULL);
	/* Nameserver lists are filtered, not refused */
	ok("-4", "-D", "fd00::53", NULL);
}

static void usage_errors(void **state)
{
	(void)state;
	bad("gangway: unrecognized option '--foo'; see gangway --help",
	    "--foo", NULL);
	bad("gangway: unrecognized option '--foo'; see gangway --help",
	    "--foo=bar", NULL);
	bad("gangway: unrecognized option '-z'; see gangway --help", "-z",
	    NULL);
	bad("gangway: unrecognized option '-z'; see gangway --help", "-fz",
	    NULL);
	bad("gangway: unrecognized option '-z'; see gangway --help",
	    "--quiet", "-zq", NULL);
	bad("gangway: unrecognized option '-z'; see gangway --help",
	    "--quiet", "-qz", NULL);
	bad("gangway: unrecognized option '-z'; see gangway --help",
	    "--mtu", "1500", "-fzq", NULL);
	bad("gangway: -m 5: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--quiet", "-qfm5", NULL);
	bad("gangway: -m 5: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--quiet", "-qf", "-m", "5", NULL);
	bad("gangway: --mtu: missing argument; see gangway --help", "--mtu",
	    NULL);
	bad("gangway: --mtu: missing argument; see gangway --help", "-qf",
	    "--mtu", NULL);
	bad("gangway: -m: missing argument; see gangway --help", "-m", NULL);
	bad("gangway: -m: missing argument; see gangway --help", "-qm",
	    NULL);
	bad("gangway: --quiet: takes no argument; see gangway --help",
	    "--quiet=yes", NULL);
	bad("gangway: unexpected argument 'extra'; gangway takes options only (see gangway --help)",
	    "-q", "extra", NULL);
	bad("gangway: --netns: pasta-only option; gangway is passt-compatible (see gangway --help)",
	    "--netns", "/run/netns/x", NULL);
	bad("gangway: -T: pasta-only option; gangway is passt-compatible (see gangway --help)",
	    "-T", "auto", NULL);
	/* Control characters in a value cannot break the one line */
	bad("gangway: --mtu 7?0: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "7\n0", NULL);
	bad("gangway: -H a?b: must be a name of at most 253 characters, labels of 1 to 63 letters, digits, '-' or '_'",
	    "-H", "a\rb", NULL);
	/* Bad value found before a later --help: still an error */
	bad("gangway: --mtu 1: must be a number from 68 to 65520, or 0 to not advertise one",
	    "--mtu", "1", "--help", NULL);
}

static void help_version_caps(void **state)
{
	char *argv[4] = { (char *)"gangway", NULL, NULL, NULL };
	const struct option *o;

	(void)state;
	argv[1] = (char *)"--help";
	run_conf(&res, conf_parse_args, argv);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.err, "");
	assert_string_equal(res.out, conf_help_text());
	assert_true(!strncmp(res.out, "Usage: gangway", 14));

	argv[1] = (char *)"-h";
	run_conf(&res, conf_parse_args, argv);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.out, conf_help_text());

	/* Every long option is documented */
	for (o = conf_long_options(); o->name; o++) {
		char want[64];

		snprintf(want, sizeof(want), "--%s", o->name);
		if (!strstr(conf_help_text(), want))
			fail_msg("--help does not mention %s", want);
	}

	argv[1] = (char *)"--version";
	run_conf(&res, conf_parse_args, argv);
	assert_int_equal(res.status, 0);
	assert_true(!strncmp(res.out, "gangway ", 8));
	assert_non_null(strchr(res.out, '\n'));

	/* Capabilities: JSON, other options ignored even if bad */
	argv[1] = (char *)"--mtu=1";
	argv[2] = (char *)"--print-capabilities";
	run_conf(&res, conf_parse_args, argv);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.err, "");
	assert_non_null(strstr(res.out, "\"type\": \"net\""));
	assert_int_equal(res.out[0], '{');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(flags),
		cmocka_unit_test(mtu),
		cmocka_unit_test(address),
		cmocka_unit_test(mac),
		cmocka_unit_test(gateway),
		cmocka_unit_test(interfaces),
		cmocka_unit_test(outbound),
		cmocka_unit_test(dns),
		cmocka_unit_test(search),
		cmocka_unit_test(names),
		cmocka_unit_test(mapping),
		cmocka_unit_test(dns_forward),
		cmocka_unit_test(ports),
		cmocka_unit_test(ports_too_many_after_exclusions),
		cmocka_unit_test(paths),
		cmocka_unit_test(log_size),
		cmocka_unit_test(fd),
		cmocka_unit_test(runas),
		cmocka_unit_test(max_flows),
		cmocka_unit_test(busy_poll),
		cmocka_unit_test(conflicts),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(help_version_caps),
	};

	return cmocka_run_group_tests_name("conf_args", tests, NULL, NULL);
}
