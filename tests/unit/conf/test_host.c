// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for conf/host.c and conf/resolv.c: defaults derived from a
 * host, fed as data (no dependence on this machine's addresses), and
 * resolv.conf parsing from buffers and a temporary file.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/discover.h"
#include "conf_run.h"
#include "../common/tu_addr.h"

static struct conf conf;
static struct host_net h4, h6;
static struct resolv_conf rc;

/* A host: 198.51.100.7/25 via .1 on "uplink"; 2001:db8::7 via fe80::1 */
static int host_setup(void **state)
{
	static const char resolv[] =
		"nameserver 127.0.0.53\n"
		"nameserver 203.0.113.9\n"
		"search corp.example\n";

	(void)state;
	memset(&h4, 0, sizeof(h4));
	memset(&h6, 0, sizeof(h6));
	h4.ifindex = 7;
	strcpy(h4.ifname, "uplink");
	h4.has_default = true;
	h4.has_gw = true;
	h4.gw = tu_addr("198.51.100.1");
	h4.has_addr = true;
	h4.addr = tu_addr("198.51.100.7");
	h4.prefix_len = 25;
	h4.has_mac = true;
	memcpy(h4.mac, "\x02\x11\x22\x33\x44\x55", 6);

	h6.ifindex = 7;
	strcpy(h6.ifname, "uplink");
	h6.has_default = true;
	h6.has_gw = true;
	h6.gw = tu_addr("fe80::1");
	h6.has_addr = true;
	h6.addr = tu_addr("2001:db8::7");
	h6.prefix_len = 64;
	h6.has_ll = true;
	h6.ll = tu_addr("fe80::7").a6;

	resolv_parse(resolv, sizeof(resolv) - 1, &rc);
	return 0;
}

/* Parse @args (NULL-terminated after "gangway"), then apply the host */
static struct conf *apply(const char *first, ...)
{
	char *argv[RUN_ARGS_MAX];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	run_argv(argv, first, ap);
	va_end(ap);
	while (argv[argc])
		argc++;
	conf_parse_args(argc, argv, &conf);
	conf_apply_host(&conf, &h4, &h6, &rc);
	return &conf;
}

static void ip4_from_host(void **state)
{
	struct conf *c = apply(NULL);

	(void)state;
	assert_true(c->ip4.enabled);
	tu_addr4_is(c->ip4.addr, "198.51.100.7");
	assert_int_equal(c->ip4.prefix_len, 25);
	tu_addr4_is(c->ip4.gw, "198.51.100.1");
	tu_addr4_is(c->ip4.host_addr, "198.51.100.7");
	assert_string_equal(c->ip4.host_if, "uplink");
	assert_false(c->ip4.local_mode);
	assert_false(c->no_dhcp);
	/* The gateway reaches the host's loopback */
	tu_addr4_is(c->ip4.map_host_lo, "198.51.100.1");
	assert_int_equal(c->ip4.map_guest.s_addr, 0);
	/* 127.0.0.53 is advertised as the mapped address, then the other */
	assert_int_equal(c->ip4.dns_count, 2);
	tu_addr4_is(c->ip4.dns[0], "198.51.100.1");
	tu_addr4_is(c->ip4.dns[1], "203.0.113.9");
	tu_addr4_is(c->ip4.dns_host, "127.0.0.53");
	/* DNS to the mapped address goes to 127.0.0.53, not 127.0.0.1 */
	tu_addr4_is(c->ip4.dns_fwd, "198.51.100.1");
	assert_int_equal(c->search_count, 1);
	assert_string_equal(c->search[0], "corp.example");
	assert_true(c->has_host_mac);
	assert_memory_equal(c->host_mac, "\x02\x11\x22\x33\x44\x55", 6);
}

static void ip4_options_override(void **state)
{
	struct conf *c = apply("-a", "10.0.0.2", "-n", "16", "-g", "10.0.0.1",
			       NULL);

	(void)state;
	tu_addr4_is(c->ip4.addr, "10.0.0.2");
	assert_int_equal(c->ip4.prefix_len, 16);
	tu_addr4_is(c->ip4.gw, "10.0.0.1");
	tu_addr4_is(c->ip4.map_host_lo, "10.0.0.1");
	tu_addr4_is(c->ip4.host_addr, "198.51.100.7");

	c = apply("-n", "255.255.255.0", NULL);
	tu_addr4_is(c->ip4.addr, "198.51.100.7");
	assert_int_equal(c->ip4.prefix_len, 24);
}

static void ip4_no_map_gw(void **state)
{
	struct conf *c = apply("--no-map-gw", NULL);

	(void)state;
	assert_int_equal(c->ip4.map_host_lo.s_addr, 0);
	/* The loopback resolver cannot be reached: left out */
	assert_int_equal(c->ip4.dns_count, 1);
	tu_addr4_is(c->ip4.dns[0], "203.0.113.9");
	assert_int_equal(c->ip4.dns_fwd.s_addr, 0);

	c = apply("--map-host-loopback", "none", NULL);
	assert_int_equal(c->ip4.map_host_lo.s_addr, 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_lo));

	c = apply("--no-map-gw", "--map-host-loopback", "192.0.2.99", NULL);
	tu_addr4_is(c->ip4.map_host_lo, "192.0.2.99");
	tu_addr4_is(c->ip4.dns[0], "192.0.2.99");
}

static void ip4_local_mode(void **state)
{
	struct conf *c;

	(void)state;
	memset(&h4, 0, sizeof(h4));
	c = apply(NULL);
	assert_true(c->ip4.enabled);
	assert_true(c->ip4.local_mode);
	tu_addr4_is(c->ip4.addr, "169.254.2.1");
	tu_addr4_is(c->ip4.gw, "169.254.2.2");
	assert_int_equal(c->ip4.prefix_len, 16);
	tu_addr4_is(c->ip4.map_host_lo, "169.254.2.2");
	assert_false(c->no_dhcp);
	assert_string_equal(c->ip4.host_if, "");
}

static void ip4_loopback_only_is_local_mode(void **state)
{
	struct conf *c;

	(void)state;
	h4.has_gw = false;
	h4.addr = tu_addr("127.0.0.1");
	h4.prefix_len = 8;
	c = apply(NULL);
	assert_true(c->ip4.local_mode);
	tu_addr4_is(c->ip4.addr, "169.254.2.1");
}

static void ip4_no_gateway_no_dhcp(void **state)
{
	struct conf *c;

	(void)state;
	h4.has_default = false;
	h4.has_gw = false;
	c = apply(NULL);
	tu_addr4_is(c->ip4.addr, "198.51.100.7");
	assert_int_equal(c->ip4.gw.s_addr, 0);
	assert_true(c->no_dhcp);
	assert_int_equal(c->ip4.map_host_lo.s_addr, 0);

	c = apply("-g", "198.51.100.1", NULL);
	assert_false(c->no_dhcp);
}

static void dns_options(void **state)
{
	struct conf *c;

	(void)state;
	c = apply("-D", "192.0.2.53", NULL);
	assert_int_equal(c->ip4.dns_count, 1);
	tu_addr4_is(c->ip4.dns[0], "192.0.2.53");
	assert_int_equal(c->ip6.dns_count, 0);

	c = apply("-D", "none", NULL);
	assert_int_equal(c->ip4.dns_count + c->ip6.dns_count, 0);

	c = apply("--dns-forward", "198.51.100.53", "--dns-host",
		  "127.0.0.1", NULL);
	assert_int_equal(c->ip4.dns_count, 1);
	tu_addr4_is(c->ip4.dns[0], "198.51.100.53");
	tu_addr4_is(c->ip4.dns_host, "127.0.0.1");

	c = apply("--dns-forward", "198.51.100.53", "-D", "192.0.2.53", NULL);
	tu_addr4_is(c->ip4.dns[0], "192.0.2.53");

	c = apply("-S", "none", NULL);
	assert_int_equal(c->search_count, 0);
	c = apply("-S", "a.example b.example", NULL);
	assert_int_equal(c->search_count, 2);
}

static void ip6_from_host(void **state)
{
	struct conf *c = apply(NULL);

	(void)state;
	assert_true(c->ip6.enabled);
	tu_addr6_is(&c->ip6.addr, "2001:db8::7");
	assert_int_equal(c->ip6.prefix_len, 64);
	tu_addr6_is(&c->ip6.gw, "fe80::1");
	tu_addr6_is(&c->ip6.our_ll, "fe80::1");	/* link-local gateway */
	tu_addr6_is(&c->ip6.map_host_lo, "fe80::1");
	tu_addr6_is(&c->ip6.host_addr, "2001:db8::7");
	assert_false(c->no_ndp || c->no_ra || c->no_dhcpv6);
}

static void ip6_global_gateway(void **state)
{
	struct conf *c;

	(void)state;
	h6.gw = tu_addr("2001:db8::1");
	c = apply(NULL);
	tu_addr6_is(&c->ip6.gw, "2001:db8::1");
	tu_addr6_is(&c->ip6.our_ll, "fe80::7");	/* the interface's own */
	h6.has_ll = false;
	c = apply(NULL);
	tu_addr6_is(&c->ip6.our_ll, "fe80::1");
	c = apply("-g", "fe80::abc", NULL);
	tu_addr6_is(&c->ip6.our_ll, "fe80::abc");
}

static void ip6_absent(void **state)
{
	struct conf *c;

	(void)state;
	memset(&h6, 0, sizeof(h6));
	c = apply(NULL);
	assert_false(c->ip6.enabled);
	assert_true(c->no_ndp && c->no_ra && c->no_dhcpv6);

	c = apply("-a", "2001:db8::99", NULL);
	assert_true(c->ip6.enabled);
	tu_addr6_is(&c->ip6.addr, "2001:db8::99");
	tu_addr6_is(&c->ip6.gw, "fe80::1");
	tu_addr6_is(&c->ip6.our_ll, "fe80::1");
}

/* For run_conf(): parse, then apply the test host (exits on error) */
static void conf_apply_wrapper_for_test(int argc, char **argv,
					struct conf *c)
{
	conf_parse_args(argc, argv, c);
	conf_apply_host(c, &h4, &h6, &rc);
}

static void ipv6_only_without_ipv6_fails(void **state)
{
	char *argv[] = { (char *)"gangway", (char *)"-6", NULL };
	struct run r;

	(void)state;
	memset(&h6, 0, sizeof(h6));
	run_conf(&r, conf_apply_wrapper_for_test, argv);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err,
		"gangway: -6: the host has no IPv6 address on any interface and none was given with --address\n");
}

static void loopback_resolver_not_first(void **state)
{
	static const char resolv[] = "nameserver 203.0.113.9\n"
				     "nameserver 127.0.0.53\n";
	struct conf *c;

	(void)state;
	resolv_parse(resolv, sizeof(resolv) - 1, &rc);
	c = apply(NULL);
	tu_addr4_is(c->ip4.dns[0], "203.0.113.9");
	tu_addr4_is(c->ip4.dns[1], "198.51.100.1");
	tu_addr4_is(c->ip4.dns_fwd, "198.51.100.1");
	tu_addr4_is(c->ip4.dns_host, "127.0.0.53");

	c = apply("--dns-host", "127.0.0.1", NULL);
	/* given: kept */
	tu_addr4_is(c->ip4.dns_host, "127.0.0.1");
	c = apply("--dns-forward", "198.51.100.53", NULL);
	tu_addr4_is(c->ip4.dns_fwd, "198.51.100.53");
	tu_addr4_is(c->ip4.dns[0], "198.51.100.53");
	tu_addr4_is(c->ip4.dns_host, "203.0.113.9");
}

static void ip6_loopback_resolver(void **state)
{
	static const char resolv[] = "nameserver ::1\nnameserver 2001:db8::53\n";
	struct conf *c;

	(void)state;
	resolv_parse(resolv, sizeof(resolv) - 1, &rc);
	c = apply(NULL);
	assert_int_equal(c->ip6.dns_count, 2);
	tu_addr6_is(&c->ip6.dns[0], "fe80::1");
	tu_addr6_is(&c->ip6.dns[1], "2001:db8::53");
	tu_addr6_is(&c->ip6.dns_host, "::1");
	tu_addr6_is(&c->ip6.dns_fwd, "fe80::1");
	assert_int_equal(c->ip4.dns_count, 0);
}

static void families_disabled(void **state)
{
	struct conf *c;

	(void)state;
	c = apply("-4", NULL);
	assert_false(c->ip6.enabled);
	assert_true(c->no_ra);
	c = apply("-6", NULL);
	assert_false(c->ip4.enabled);
	assert_true(c->no_dhcp);
	assert_true(c->ip6.enabled);
}

static void small_mtu_turns_ipv6_off(void **state)
{
	char *argv[] = { (char *)"gangway", (char *)"-m", (char *)"576",
			 (char *)"-a", (char *)"2001:db8::99", NULL };
	struct conf *c;
	struct run r;

	(void)state;
	c = apply("-m", "1280", NULL);
	assert_true(c->ip6.enabled);
	c = apply("-m", "0", NULL);
	assert_true(c->ip6.enabled);
	c = apply("--mtu", "1279", NULL);
	assert_false(c->ip6.enabled);
	assert_string_equal(c->ip6.off_why, "MTU below 1280");
	assert_true(c->no_ra && c->no_dhcpv6 && c->no_ndp);
	assert_true(c->ip4.enabled);

	run_conf(&r, conf_apply_wrapper_for_test, argv);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err,
		"gangway: -m 576 and -a 2001:db8::99 conflict: IPv6 needs an MTU of at least 1280\n");
	argv[3] = (char *)"--ipv6-only";
	argv[4] = NULL;
	run_conf(&r, conf_apply_wrapper_for_test, argv);
	assert_string_equal(r.err,
		"gangway: -m 576 and --ipv6-only conflict: IPv6 needs an MTU of at least 1280\n");
}

/* resolv.conf parsing */

static void resolv_basic(void **state)
{
	static const char f[] =
		"# comment\n"
		"; other comment\n"
		"options edns0\n"
		"nameserver 192.0.2.1\n"
		"  nameserver\t192.0.2.2  \n"
		"nameserver fe80::1%eth0\n"
		"nameserver 2001:db8::1\r\n"
		"nameserver not-an-address\n"
		"domain first.example\n"
		"search a.example bad..name b.example\n"
		"nameserver 192.0.2.3";		/* no final newline */

	(void)state;
	resolv_parse(f, sizeof(f) - 1, &rc);
	assert_int_equal(rc.dns4_count, 3);
	tu_addr4_is(rc.dns4[0], "192.0.2.1");
	tu_addr4_is(rc.dns4[1], "192.0.2.2");
	tu_addr4_is(rc.dns4[2], "192.0.2.3");
	assert_int_equal(rc.dns6_count, 2);
	tu_addr6_is(&rc.dns6[0], "fe80::1");
	tu_addr6_is(&rc.dns6[1], "2001:db8::1");
	assert_int_equal(rc.search_count, 2);	/* last line wins */
	assert_string_equal(rc.search[0], "a.example");
	assert_string_equal(rc.search[1], "b.example");
}

static void resolv_limits(void **state)
{
	char f[4096] = "";
	int i;

	(void)state;
	for (i = 1; i <= CONF_MAX_DNS + 2; i++)
		snprintf(f + strlen(f), sizeof(f) - strlen(f),
			 "nameserver 192.0.2.%d\n", i);
	strcat(f, "search");
	for (i = 0; i < CONF_MAX_SEARCH + 3; i++)
		snprintf(f + strlen(f), sizeof(f) - strlen(f), " d%d.example",
			 i);
	strcat(f, "\nsearch ");
	resolv_parse(f, strlen(f), &rc);
	assert_int_equal(rc.dns4_count, CONF_MAX_DNS);
	tu_addr4_is(rc.dns4[CONF_MAX_DNS - 1], "192.0.2.4");
	/* The empty last search line wins */
	assert_int_equal(rc.search_count, 0);
	f[strlen(f) - strlen("\nsearch ")] = '\0';
	resolv_parse(f, strlen(f), &rc);
	assert_int_equal(rc.search_count, CONF_MAX_SEARCH);
}

static void resolv_long_words(void **state)
{
	char f[2048];

	(void)state;
	memset(f, 'a', sizeof(f));
	memcpy(f, "search ", 7);
	memcpy(f + 1000, " ok.example\nnameserver ", 23);
	memset(f + 1023, '1', 600);
	resolv_parse(f, sizeof(f), &rc);
	assert_int_equal(rc.search_count, 1);
	assert_string_equal(rc.search[0], "ok.example");
	assert_int_equal(rc.dns4_count + rc.dns6_count, 0);
}

static void resolv_file(void **state)
{
	char path[] = "/tmp/gangway-resolv-XXXXXX";
	static const char f[] = "nameserver 192.0.2.77\nsearch x.example\n";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, sizeof(f) - 1), sizeof(f) - 1);
	close(fd);
	assert_int_equal(resolv_read(path, &rc), 0);
	assert_int_equal(rc.dns4_count, 1);
	tu_addr4_is(rc.dns4[0], "192.0.2.77");
	assert_string_equal(rc.search[0], "x.example");
	unlink(path);

	assert_int_equal(resolv_read(path, &rc), 0);	/* missing: empty */
	assert_int_equal(rc.dns4_count, 0);
	assert_true(resolv_read("/proc/self/mem/x", &rc) < 0);
}

static void name_validity(void **state)
{
	char s[300];

	(void)state;
	assert_true(conf_name_valid("a"));
	assert_true(conf_name_valid("a-b.c_d.example."));
	assert_false(conf_name_valid(""));
	assert_false(conf_name_valid("."));
	assert_false(conf_name_valid("a..b"));
	assert_false(conf_name_valid(".a"));
	assert_false(conf_name_valid("a b"));
	assert_false(conf_name_valid("a.b.."));
	memset(s, 'x', 63);
	s[63] = '\0';
	assert_true(conf_name_valid(s));
	s[63] = 'x';
	s[64] = '\0';
	assert_false(conf_name_valid(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(ip4_from_host, host_setup),
		cmocka_unit_test_setup(ip4_options_override, host_setup),
		cmocka_unit_test_setup(ip4_no_map_gw, host_setup),
		cmocka_unit_test_setup(ip4_local_mode, host_setup),
		cmocka_unit_test_setup(ip4_loopback_only_is_local_mode,
				       host_setup),
		cmocka_unit_test_setup(ip4_no_gateway_no_dhcp, host_setup),
		cmocka_unit_test_setup(dns_options, host_setup),
		cmocka_unit_test_setup(ip6_from_host, host_setup),
		cmocka_unit_test_setup(ip6_global_gateway, host_setup),
		cmocka_unit_test_setup(ip6_absent, host_setup),
		cmocka_unit_test_setup(ipv6_only_without_ipv6_fails,
				       host_setup),
		cmocka_unit_test_setup(ip6_loopback_resolver, host_setup),
		cmocka_unit_test_setup(loopback_resolver_not_first, host_setup),
		cmocka_unit_test_setup(families_disabled, host_setup),
		cmocka_unit_test_setup(small_mtu_turns_ipv6_off, host_setup),
		cmocka_unit_test(resolv_basic),
		cmocka_unit_test(resolv_limits),
		cmocka_unit_test(resolv_long_words),
		cmocka_unit_test(resolv_file),
		cmocka_unit_test(name_validity),
	};

	return cmocka_run_group_tests_name("conf_host", tests, NULL, NULL);
}
