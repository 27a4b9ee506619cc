// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for conf/netlink.c against a real kernel: the test process
 * moves into a network namespace of its own (needs root; skipped
 * otherwise) and builds veth interfaces, addresses and routes with ip(8),
 * so nothing depends on this machine's own network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
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

static bool have_netns;
static struct host_net hn;

static void sh(const char *cmd)
{
	char full[512];

	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	if (system(full))
		fail_msg("command failed: %s", cmd);
}

static void addr_is(const union inany *a, const char *s)
{
	char buf[INET6_ADDRSTRLEN];

	if (inany_is_v4(a))
		inet_ntop(AF_INET, &a->v4mapped.a4, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, &a->a6, buf, sizeof(buf));
	assert_string_equal(buf, s);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() || unshare(CLONE_NEWNET))
		return 0;
	if (system("ip link set lo up >/dev/null 2>&1"))
		return 0;
	have_netns = true;
	return 0;
}

/* cmocka's skip() leaves the test from here too */
static void need_netns(void)
{
	if (!have_netns)
		skip();
}

static void empty_namespace(void **state)
{
	(void)state;
	need_netns();
	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_int_equal(hn.ifindex, 0);
	assert_int_equal(nl_discover(AF_INET6, "", &hn), 0);
	assert_int_equal(hn.ifindex, 0);
	assert_int_equal(nl_discover(AF_INET, "nosuchif0", &hn), -ENODEV);
}

static void ipv4_default_route(void **state)
{
	(void)state;
	need_netns();
	sh("sysctl -qw net.ipv6.conf.default.accept_dad=0");
	/* No dummy driver everywhere: veth pairs, both ends up */
	sh("ip link add d0 address 02:11:22:33:44:55 type veth peer name d0p");
	sh("ip link set d0p up");
	sh("ip link set d0 up");
	sh("ip addr add 198.51.100.7/24 dev d0");
	sh("ip addr add 198.51.100.8/24 dev d0");	/* secondary */
	sh("ip route add default via 198.51.100.1");

	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_int_equal(hn.ifindex, (int)if_nametoindex("d0"));
	assert_string_equal(hn.ifname, "d0");
	assert_true(hn.has_default);
	assert_true(hn.has_gw);
	addr_is(&hn.gw, "198.51.100.1");
	assert_true(hn.has_addr);
	addr_is(&hn.addr, "198.51.100.7");
	assert_int_equal(hn.prefix_len, 24);
	assert_true(hn.has_mac);
	assert_memory_equal(hn.mac, "\x02\x11\x22\x33\x44\x55", 6);
}

static void ipv6_default_route(void **state)
{
	(void)state;
	need_netns();
	sh("ip addr add 2001:db8::7/64 dev d0 nodad");
	sh("ip route add default via 2001:db8::1 dev d0");

	assert_int_equal(nl_discover(AF_INET6, "", &hn), 0);
	assert_string_equal(hn.ifname, "d0");
	assert_true(hn.has_gw);
	addr_is(&hn.gw, "2001:db8::1");
	assert_true(hn.has_addr);
	addr_is(&hn.addr, "2001:db8::7");
	assert_int_equal(hn.prefix_len, 64);
	assert_true(hn.has_ll);
	assert_true(IN6_IS_ADDR_LINKLOCAL(&hn.ll));
}

static void ipv6_prefers_stable_address(void **state)
{
	(void)state;
	need_netns();
	sh("ip addr add 2001:db8::5/64 dev d0 nodad preferred_lft 0");
	assert_int_equal(nl_discover(AF_INET6, "", &hn), 0);
	addr_is(&hn.addr, "2001:db8::7");
	sh("ip addr del 2001:db8::5/64 dev d0");
}

static void named_interface_without_default(void **state)
{
	(void)state;
	need_netns();
	sh("ip link add d1 type veth peer name d1p");
	sh("ip link set d1p up");
	sh("ip link set d1 up");
	sh("ip addr add 203.0.113.5/28 dev d1");

	assert_int_equal(nl_discover(AF_INET, "d1", &hn), 0);
	assert_string_equal(hn.ifname, "d1");
	assert_false(hn.has_default);
	assert_false(hn.has_gw);
	addr_is(&hn.addr, "203.0.113.5");
	assert_int_equal(hn.prefix_len, 28);

	/* The default route still wins without a name */
	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_string_equal(hn.ifname, "d0");
}

static void multipath_highest_weight(void **state)
{
	(void)state;
	need_netns();
	sh("ip route replace default nexthop via 198.51.100.1 dev d0 weight 1 nexthop via 203.0.113.1 dev d1 weight 5");
	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_string_equal(hn.ifname, "d1");
	addr_is(&hn.gw, "203.0.113.1");
	addr_is(&hn.addr, "203.0.113.5");

	/* Restricted to d0: its next hop */
	assert_int_equal(nl_discover(AF_INET, "d0", &hn), 0);
	assert_string_equal(hn.ifname, "d0");
	addr_is(&hn.gw, "198.51.100.1");
	sh("ip route replace default via 198.51.100.1 dev d0");
}

static void whole_conf_in_namespace(void **state)
{
	char *argv[] = { (char *)"gangway", (char *)"-t", (char *)"all",
			 NULL };
	static struct conf c;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	need_netns();
	conf_parse(3, argv, &c);
	inet_ntop(AF_INET, &c.ip4.addr, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.7");
	inet_ntop(AF_INET, &c.ip4.gw, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.1");
	assert_int_equal(c.ip4.prefix_len, 24);
	inet_ntop(AF_INET, &c.ip4.map_host_lo, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.1");
	assert_string_equal(c.ip4.host_if, "d0");
	assert_true(c.ip6.enabled);
	inet_ntop(AF_INET6, &c.ip6.addr, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::7");
	inet_ntop(AF_INET6, &c.ip6.gw, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_true(IN6_IS_ADDR_LINKLOCAL(&c.ip6.our_ll));
	assert_true(c.has_host_mac);
	assert_true(c.tcp_ports.ephemeral_first > 0);
	/* "all" is split around the host's ephemeral ports, best effort */
	assert_int_equal(c.tcp_ports.rules[0].first, 1);
	assert_int_equal(c.tcp_ports.rules[0].last,
			 c.tcp_ports.ephemeral_first - 1);
	assert_true(c.tcp_ports.rules[0].best_effort);
	assert_false(c.tcp_ports.rules[0].all);
	assert_string_equal(c.socket_path, "");

	/* -i names an interface: its addresses, no gateway, no DHCP */
	argv[1] = (char *)"-i";
	argv[2] = (char *)"d1";
	conf_parse(3, argv, &c);
	inet_ntop(AF_INET, &c.ip4.addr, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.5");
	assert_true(c.no_dhcp);
	assert_false(c.ip6.enabled);	/* d1 has no global IPv6 address */
}

static void missing_interface_fails(void **state)
{
	char *argv[] = { (char *)"gangway", (char *)"--outbound-if6",
			 (char *)"nosuchif0", NULL };
	struct run r;

	(void)state;
	need_netns();
	run_conf(&r, conf_parse, argv);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err,
			    "gangway: --outbound-if6 nosuchif0: no such interface\n");
	argv[1] = (char *)"-i";
	run_conf(&r, conf_parse, argv);
	assert_string_equal(r.err,
			    "gangway: -i nosuchif0: no such interface\n");
}

static void no_default_route_falls_back(void **state)
{
	(void)state;
	need_netns();
	sh("ip route del default");
	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_true(hn.ifindex != 0);		/* some interface with a route */
	assert_false(hn.has_default);
	assert_false(hn.has_gw);
	assert_true(hn.has_addr);

	sh("ip link del d0");
	sh("ip link del d1");
	assert_int_equal(nl_discover(AF_INET, "", &hn), 0);
	assert_int_equal(hn.ifindex, 0);	/* local mode follows */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_namespace),
		cmocka_unit_test(ipv4_default_route),
		cmocka_unit_test(ipv6_default_route),
		cmocka_unit_test(ipv6_prefers_stable_address),
		cmocka_unit_test(named_interface_without_default),
		cmocka_unit_test(multipath_highest_weight),
		cmocka_unit_test(whole_conf_in_namespace),
		cmocka_unit_test(missing_interface_fails),
		cmocka_unit_test(no_default_route_falls_back),
	};

	return cmocka_run_group_tests_name("conf_netlink", tests, group_setup,
					   NULL);
}
