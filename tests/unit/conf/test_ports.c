// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for conf/ports.c: every spec form and every error */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/ports.h"
#include "../common/tu_addr.h"

static struct port_spec ps;
static char err[256];

static int setup(void **state)
{
	(void)state;
	memset(&ps, 0, sizeof(ps));
	err[0] = '\0';
	return 0;
}

static int parse(const char *arg)
{
	return ports_parse(&ps, arg, err, sizeof(err));
}

/* Parse must fail, with @reason somewhere in the message */
static void parse_fails(const char *arg, const char *reason)
{
	memset(&ps, 0, sizeof(ps));
	err[0] = '\0';
	if (!parse(arg))
		fail_msg("'%s' parsed, expected failure with '%s'", arg,
			 reason);
	if (!strstr(err, reason))
		fail_msg("'%s': got '%s', expected '%s'", arg, err, reason);
}

static void single_port(void **state)
{
	(void)state;
	assert_int_equal(parse("22"), 0);
	assert_true(ps.set);
	assert_int_equal(ps.count, 1);
	assert_int_equal(ps.rules[0].first, 22);
	assert_int_equal(ps.rules[0].last, 22);
	assert_int_equal(ps.rules[0].to_first, 22);
	assert_false(ps.rules[0].has_bind);
	assert_false(ps.rules[0].has_to);
	assert_false(ps.rules[0].best_effort);
}

static void mapped_port(void **state)
{
	(void)state;
	assert_int_equal(parse("22:23"), 0);
	assert_int_equal(ps.rules[0].first, 22);
	assert_int_equal(ps.rules[0].to_first, 23);
}

static void list_of_ports(void **state)
{
	(void)state;
	assert_int_equal(parse("22,25"), 0);
	assert_int_equal(ps.count, 2);
	assert_int_equal(ps.rules[1].first, 25);
}

static void range(void **state)
{
	(void)state;
	assert_int_equal(parse("22-80"), 0);
	assert_int_equal(ps.rules[0].first, 22);
	assert_int_equal(ps.rules[0].last, 80);
	assert_int_equal(ps.rules[0].to_first, 22);
}

static void range_mapped(void **state)
{
	(void)state;
	assert_int_equal(parse("22-80:32-90"), 0);
	assert_int_equal(ps.rules[0].to_first, 32);
}

static void range_shifted_by_first_port(void **state)
{
	(void)state;
	assert_int_equal(parse("8000-8010:9000"), 0);
	assert_int_equal(ps.rules[0].to_first, 9000);
	assert_int_equal(ps.rules[0].last, 8010);
}

static void bind_v4(void **state)
{
	union inany a = tu_addr("192.0.2.1");

	(void)state;
	assert_int_equal(parse("192.0.2.1/22"), 0);
	assert_true(ps.rules[0].has_bind);
	assert_true(ps.rules[0].bind_v4only);
	assert_true(inany_equal(&ps.rules[0].bind_addr, &a));
	assert_false(port_rule_any4(&ps.rules[0]));
	assert_string_equal(ps.rules[0].bind_if, "");
}

static void bind_v4_iface(void **state)
{
	(void)state;
	assert_int_equal(parse("192.0.2.1%eth0/22"), 0);
	assert_string_equal(ps.rules[0].bind_if, "eth0");
	assert_true(ps.rules[0].bind_v4only);
}

static void bind_iface_only(void **state)
{
	(void)state;
	assert_int_equal(parse("%eth0/22"), 0);
	assert_true(ps.rules[0].has_bind);
	assert_string_equal(ps.rules[0].bind_if, "eth0");
	assert_true(inany_is_unspec(&ps.rules[0].bind_addr));
	assert_false(ps.rules[0].bind_v4only);
}

static void bind_any4_to_addr(void **state)
{
	union inany to = tu_addr("192.0.2.5");

	(void)state;
	assert_int_equal(parse("0.0.0.0/5000:192.0.2.5/6000"), 0);
	assert_true(port_rule_any4(&ps.rules[0]));
	assert_true(inany_is_unspec(&ps.rules[0].bind_addr));
	assert_true(ps.rules[0].has_to);
	assert_true(inany_equal(&ps.rules[0].to_addr, &to));
	assert_int_equal(ps.rules[0].first, 5000);
	assert_int_equal(ps.rules[0].to_first, 6000);
}

static void bind_v6_loopback_all(void **state)
{
	union inany a = tu_addr("::1");

	(void)state;
	assert_int_equal(parse("::1/all"), 0);
	assert_true(ps.rules[0].all);
	assert_true(ps.rules[0].best_effort);
	assert_true(inany_equal(&ps.rules[0].bind_addr, &a));
	assert_false(ps.rules[0].bind_v4only);
}

static void bind_v6_any(void **state)
{
	(void)state;
	assert_int_equal(parse("::/80"), 0);
	assert_true(ps.rules[0].has_bind);
	assert_true(inany_is_unspec(&ps.rules[0].bind_addr));
	assert_false(ps.rules[0].bind_v4only);
}

static void all_to_addr(void **state)
{
	union inany to = tu_addr("192.0.2.6");

	(void)state;
	assert_int_equal(parse("127.0.0.6/all:192.0.2.6"), 0);
	assert_true(ps.rules[0].all);
	assert_true(ps.rules[0].has_to);
	assert_true(inany_equal(&ps.rules[0].to_addr, &to));
}

static void to_addr_same_ports(void **state)
{
	union inany to = tu_addr("192.0.2.9");

	(void)state;
	assert_int_equal(parse("22-24:192.0.2.9"), 0);
	assert_true(ps.rules[0].has_to);
	assert_true(inany_equal(&ps.rules[0].to_addr, &to));
	assert_int_equal(ps.rules[0].to_first, 22);
}

static void to_addr_v6_bracketed(void **state)
{
	union inany to = tu_addr("fe80::1");

	(void)state;
	assert_int_equal(parse("22:[fe80::1]/80"), 0);
	assert_false(ps.rules[0].has_bind);
	assert_true(inany_equal(&ps.rules[0].to_addr, &to));
	assert_int_equal(ps.rules[0].to_first, 80);
}

static void to_addr_v6_bare(void **state)
{
	union inany to = tu_addr("fd00::5");

	(void)state;
	assert_int_equal(parse("22:fd00::5"), 0);
	assert_true(inany_equal(&ps.rules[0].to_addr, &to));
}

static void bind_v6_starting_with_digits(void **state)
{
	union inany a = tu_addr("2001:db8::1");

	(void)state;
	assert_int_equal(parse("2001:db8::1/22"), 0);
	assert_true(inany_equal(&ps.rules[0].bind_addr, &a));
	assert_int_equal(ps.rules[0].first, 22);
	assert_false(ps.rules[0].has_to);
}

static void mapping_to_v4_keeps_earlier_prefix(void **state)
{
	union inany a = tu_addr("127.0.0.1"), to = tu_addr("192.0.2.5");

	(void)state;
	assert_int_equal(parse("127.0.0.1/22,5000:192.0.2.5/6000"), 0);
	assert_int_equal(ps.count, 2);
	assert_true(inany_equal(&ps.rules[1].bind_addr, &a));
	assert_true(inany_equal(&ps.rules[1].to_addr, &to));
	assert_int_equal(ps.rules[1].to_first, 6000);
}

static void prefix_carries_to_later_entries(void **state)
{
	union inany a = tu_addr("192.0.2.1");

	(void)state;
	assert_int_equal(parse("192.0.2.1/20-30,~25"), 0);
	assert_int_equal(ps.count, 1);
	assert_true(inany_equal(&ps.rules[0].bind_addr, &a));
	assert_true(ports_excluded(&ps, 25));
	assert_false(ports_excluded(&ps, 24));
}

static void prefix_per_entry(void **state)
{
	union inany a = tu_addr("127.0.0.1"), b = tu_addr("::1");

	(void)state;
	assert_int_equal(parse("127.0.0.1/22,::1/80,443"), 0);
	assert_int_equal(ps.count, 3);
	assert_true(inany_equal(&ps.rules[0].bind_addr, &a));
	assert_true(inany_equal(&ps.rules[1].bind_addr, &b));
	assert_true(inany_equal(&ps.rules[2].bind_addr, &b));
}

static void none(void **state)
{
	(void)state;
	assert_int_equal(parse("22"), 0);
	assert_int_equal(parse("none"), 0);
	assert_true(ps.set);
	assert_true(ps.none);
	assert_int_equal(ps.count, 0);
}

static void repeated_options_add(void **state)
{
	(void)state;
	assert_int_equal(parse("22"), 0);
	assert_int_equal(parse("80"), 0);
	assert_int_equal(ps.count, 2);
	assert_false(ps.none);
}

static void duplicates_collapse(void **state)
{
	(void)state;
	assert_int_equal(parse("all"), 0);
	assert_int_equal(parse("~53"), 0);	/* implies "all" again */
	assert_int_equal(parse("22,22"), 0);
	assert_int_equal(ps.count, 2);
	assert_int_equal(parse("127.0.0.1/22"), 0);	/* differs: kept */
	assert_int_equal(ps.count, 3);
}

static void exclusions_only_mean_all(void **state)
{
	(void)state;
	assert_int_equal(parse("~20000-20010"), 0);
	assert_int_equal(ps.count, 1);
	assert_true(ps.rules[0].all);
	assert_true(ports_excluded(&ps, 20000));
	assert_true(ports_excluded(&ps, 20010));
	assert_false(ports_excluded(&ps, 20011));
}

static void expand_splits_around_exclusions(void **state)
{
	struct port_rule out[8];
	int n;

	(void)state;
	assert_int_equal(parse("2000-5000:12000-15000,~3000-3010"), 0);
	n = ports_expand(&ps, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].first, 2000);
	assert_int_equal(out[0].last, 2999);
	assert_int_equal(out[0].to_first, 12000);
	assert_int_equal(out[1].first, 3011);
	assert_int_equal(out[1].last, 5000);
	assert_int_equal(out[1].to_first, 13011);
	assert_false(out[0].best_effort);
}

static void expand_exclusion_at_edges(void **state)
{
	struct port_rule out[8];
	int n;

	(void)state;
	assert_int_equal(parse("20-30,~20,~30"), 0);
	n = ports_expand(&ps, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].first, 21);
	assert_int_equal(out[0].last, 29);
}

static void expand_fully_excluded(void **state)
{
	struct port_rule out[8];

	(void)state;
	assert_int_equal(parse("22,~22"), 0);
	assert_int_equal(ports_expand(&ps, out, 8), 0);
}

static void expand_all_skips_ephemeral(void **state)
{
	struct port_rule out[8];
	int n;

	(void)state;
	assert_int_equal(parse("all"), 0);
	ps.ephemeral_first = 32768;
	ps.ephemeral_last = 60999;
	n = ports_expand(&ps, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].first, 1);
	assert_int_equal(out[0].last, 32767);
	assert_int_equal(out[0].to_first, 1);
	assert_true(out[0].best_effort);
	assert_false(out[0].all);
	assert_int_equal(out[1].first, 61000);
	assert_int_equal(out[1].last, 65535);
}

static void expand_all_range_to_top(void **state)
{
	struct port_rule out[8];
	int n;

	(void)state;
	assert_int_equal(parse("~1-100"), 0);
	ps.ephemeral_first = 40000;
	ps.ephemeral_last = 65535;
	n = ports_expand(&ps, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].first, 101);
	assert_int_equal(out[0].last, 39999);
	assert_true(out[0].best_effort);
}

static void expand_default_ephemeral(void **state)
{
	struct port_rule out[8];

	(void)state;
	assert_int_equal(parse("all"), 0);
	assert_int_equal(ports_expand(&ps, out, 8), 2);
	assert_int_equal(out[0].last, PORT_EPHEMERAL_FIRST - 1);
	assert_int_equal(out[1].first, PORT_EPHEMERAL_LAST + 1);
}

static void expand_overflow(void **state)
{
	struct port_rule out[4];

	(void)state;
	assert_int_equal(parse("1-100,~10,~20,~30,~40,~50"), 0);
	assert_int_equal(ports_expand(&ps, out, 4), -ENOSPC);
	assert_int_equal(ports_expand(&ps, out, 4) , -ENOSPC);
}

static void expand_keeps_bind_and_to(void **state)
{
	struct port_rule out[4];
	union inany to = tu_addr("192.0.2.5");

	(void)state;
	assert_int_equal(parse("0.0.0.0/10-20:192.0.2.5/110-120,~15"), 0);
	assert_int_equal(ports_expand(&ps, out, 4), 2);
	assert_true(port_rule_any4(&out[1]));
	assert_true(inany_equal(&out[1].to_addr, &to));
	assert_int_equal(out[1].first, 16);
	assert_int_equal(out[1].to_first, 116);
}

static void split_all(void **state)
{
	(void)state;
	assert_int_equal(parse("22,all,~80"), 0);
	ps.ephemeral_first = 40000;
	ps.ephemeral_last = 50000;
	assert_int_equal(ports_split_all(&ps), 0);
	assert_int_equal(ps.count, 3);
	assert_int_equal(ps.rules[0].first, 22);
	assert_false(ps.rules[0].best_effort);
	assert_int_equal(ps.rules[1].first, 1);
	assert_int_equal(ps.rules[1].last, 39999);
	assert_int_equal(ps.rules[1].to_first, 1);
	assert_true(ps.rules[1].best_effort);
	assert_false(ps.rules[1].all);
	assert_int_equal(ps.rules[2].first, 50001);
	assert_int_equal(ps.rules[2].last, 65535);
	assert_int_equal(ps.rules[2].to_first, 50001);
	assert_true(ports_excluded(&ps, 80));	/* exclusions kept */
}

static void split_all_range_at_top(void **state)
{
	(void)state;
	assert_int_equal(parse("all"), 0);
	ps.ephemeral_first = 32768;
	ps.ephemeral_last = 65535;
	assert_int_equal(ports_split_all(&ps), 0);
	assert_int_equal(ps.count, 1);
	assert_int_equal(ps.rules[0].last, 32767);
}

static void split_all_overflow(void **state)
{
	int i;

	(void)state;
	char spec[32];

	for (i = 1; i <= PORT_RULES_MAX / 2 + 1; i++) {
		snprintf(spec, sizeof(spec), "127.0.0.%d/all", i);
		assert_int_equal(parse(spec), 0);
	}
	assert_int_equal(ports_split_all(&ps), -ENOSPC);
}

static void too_many_rules(void **state)
{
	char buf[1024] = "";
	int i;

	(void)state;
	for (i = 0; i <= PORT_RULES_MAX; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%d",
			 i ? "," : "", i + 1);
	parse_fails(buf, "more than 64 port ranges");
}

static void errors(void **state)
{
	(void)state;
	parse_fails("", "empty");
	parse_fails("0", "port 0 is out of range; ports go from 1 to 65535");
	parse_fails("65536", "port 65536 is out of range");
	parse_fails("99999999999", "out of range");
	parse_fails("abc", "'abc' is not a port number");
	parse_fails("22-", "'22-' is not a port range");
	parse_fails("-22", "'' is not a port number");
	parse_fails("22-x", "'22-x' is not a port range");
	parse_fails("80-22", "range 80-22 goes backwards");
	parse_fails("1-2-3", "is not a port range");
	parse_fails("+22", "is not a port number");
	parse_fails(" 22", "is not a port number");
	parse_fails("22,,23", "empty entry");
	parse_fails("22,", "empty entry");
	parse_fails("22-80:32-33", "ranges 22-80 and 32-33 differ in length");
	parse_fails("65530-65535:65534", "would end past port 65535");
	parse_fails("22-23:30-30", "ranges 22-23 and 30-30 differ in length");
	parse_fails("22:", "nothing after ':'");
	parse_fails("22:0", "port 0 is out of range");
	parse_fails("22:300.1.1.1", "'300.1.1.1' is not an IPv4 or IPv6 address");
	parse_fails("22:224.0.0.1", "cannot forward to 224.0.0.1");
	parse_fails("22:0.0.0.0/22", "cannot forward to 0.0.0.0");
	parse_fails("22:::/22", "cannot forward to ::");
	parse_fails("all:22", "'all' maps every port to itself");
	parse_fails("auto", "'auto' is for pasta only");
	parse_fails("::1/auto", "'auto' is for pasta only");
	parse_fails("22,none", "'none' cannot be combined");
	parse_fails("~22:23", "exclusion '~22:23' cannot have a target");
	parse_fails("~0", "port 0 is out of range");
	parse_fails("~", "missing port number");
	parse_fails("300.1.1.1/22", "'300.1.1.1' is not a listening address");
	parse_fails("foo/22", "'foo' is not a listening address");
	parse_fails("%/22", "interface name '' must be 1 to 15 characters");
	parse_fails("%aaaaaaaaaaaaaaaaaaaa/22",
		    "must be 1 to 15 characters");
	parse_fails("224.0.0.1/22", "cannot listen on multicast");
	parse_fails("192.0.2.1/", "no ports after the listening address");
	parse_fails("%eth0/", "no ports after the listening address");
}

static void long_arg_refused(void **state)
{
	static char buf[5000];

	(void)state;
	memset(buf, '1', sizeof(buf) - 1);
	parse_fails(buf, "longer than 4095 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(single_port, setup),
		cmocka_unit_test_setup(mapped_port, setup),
		cmocka_unit_test_setup(list_of_ports, setup),
		cmocka_unit_test_setup(range, setup),
		cmocka_unit_test_setup(range_mapped, setup),
		cmocka_unit_test_setup(range_shifted_by_first_port, setup),
		cmocka_unit_test_setup(bind_v4, setup),
		cmocka_unit_test_setup(bind_v4_iface, setup),
		cmocka_unit_test_setup(bind_iface_only, setup),
		cmocka_unit_test_setup(bind_any4_to_addr, setup),
		cmocka_unit_test_setup(bind_v6_loopback_all, setup),
		cmocka_unit_test_setup(bind_v6_any, setup),
		cmocka_unit_test_setup(all_to_addr, setup),
		cmocka_unit_test_setup(to_addr_same_ports, setup),
		cmocka_unit_test_setup(to_addr_v6_bracketed, setup),
		cmocka_unit_test_setup(to_addr_v6_bare, setup),
		cmocka_unit_test_setup(bind_v6_starting_with_digits, setup),
		cmocka_unit_test_setup(mapping_to_v4_keeps_earlier_prefix,
				       setup),
		cmocka_unit_test_setup(prefix_carries_to_later_entries, setup),
		cmocka_unit_test_setup(prefix_per_entry, setup),
		cmocka_unit_test_setup(none, setup),
		cmocka_unit_test_setup(repeated_options_add, setup),
		cmocka_unit_test_setup(exclusions_only_mean_all, setup),
		cmocka_unit_test_setup(duplicates_collapse, setup),
		cmocka_unit_test_setup(expand_splits_around_exclusions, setup),
		cmocka_unit_test_setup(expand_exclusion_at_edges, setup),
		cmocka_unit_test_setup(expand_fully_excluded, setup),
		cmocka_unit_test_setup(expand_all_skips_ephemeral, setup),
		cmocka_unit_test_setup(expand_all_range_to_top, setup),
		cmocka_unit_test_setup(expand_default_ephemeral, setup),
		cmocka_unit_test_setup(expand_overflow, setup),
		cmocka_unit_test_setup(expand_keeps_bind_and_to, setup),
		cmocka_unit_test_setup(split_all, setup),
		cmocka_unit_test_setup(split_all_range_at_top, setup),
		cmocka_unit_test_setup(split_all_overflow, setup),
		cmocka_unit_test_setup(too_many_rules, setup),
		cmocka_unit_test_setup(errors, setup),
		cmocka_unit_test_setup(long_arg_refused, setup),
	};

	return cmocka_run_group_tests_name("conf_ports", tests, NULL, NULL);
}
