// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for conf/print.c: the start-up summary, line by line */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/discover.h"
#include "core/log.h"
#include "conf_run.h"
#include "../common/tu_addr.h"

static struct host_net h4, h6;
static struct resolv_conf rc;

static int host_setup(void **state)
{
	static const char resolv[] = "nameserver 127.0.0.53\n"
				     "nameserver 203.0.113.9\n"
				     "search corp.example\n";

	(void)state;
	memset(&h4, 0, sizeof(h4));
	memset(&h6, 0, sizeof(h6));
	h4.ifindex = h6.ifindex = 7;
	strcpy(h4.ifname, "uplink");
	strcpy(h6.ifname, "uplink");
	h4.has_gw = h4.has_addr = h4.has_default = true;
	h4.gw = tu_addr("198.51.100.1");
	h4.addr = tu_addr("198.51.100.7");
	h4.prefix_len = 25;
	h6.has_gw = h6.has_addr = h6.has_default = true;
	h6.gw = tu_addr("fe80::1");
	h6.addr = tu_addr("2001:db8::7");
	h6.prefix_len = 64;
	resolv_parse(resolv, sizeof(resolv) - 1, &rc);
	return 0;
}

/* Child: parse, apply the test host, print at info level to stderr */
static void print_child(int argc, char **argv, struct conf *c)
{
	conf_parse_args(argc, argv, c);
	conf_apply_host(c, &h4, &h6, &rc);
	log_set_level(LOG_LVL_INFO);
	conf_print(c);
}

static void summary(const char *expect, const char *first, ...)
{
	char *argv[RUN_ARGS_MAX];
	static struct run r;
	va_list ap;

	va_start(ap, first);
	run_argv(argv, first, ap);
	va_end(ap);
	run_conf(&r, print_child, argv);
	assert_int_equal(r.status, 0);
	if (strcmp(r.err, expect))
		fail_msg("got:\n%s\nexpected:\n%s", r.err, expect);
}

static void defaults(void **state)
{
	(void)state;
	summary("gangway: guest IPv4 198.51.100.7/25 via 198.51.100.1 (host uplink); DNS 198.51.100.1, 203.0.113.9; DNS to 198.51.100.1 goes to 127.0.0.53; 198.51.100.1 reaches host loopback\n"
		"gangway: guest IPv6 2001:db8::7/64 via fe80::1, router fe80::1 (host uplink); DNS none; fe80::1 reaches host loopback\n"
		"gangway: MTU 65520; our MAC 9a:55:9a:55:9a:55; search corp.example\n"
		"gangway: forwarding TCP none; UDP none\n", NULL);
}

static void options(void **state)
{
	(void)state;
	summary("gangway: guest IPv4 10.0.0.2/24 via 10.0.0.1 (host uplink); DNS none\n"
		"gangway: IPv6 disabled (-4)\n"
		"gangway: MTU not advertised; our MAC 02:00:00:00:00:01; off: ICMP, DHCP\n"
		"gangway: forwarding TCP 127.0.0.1/8000-8010->9000-9010, 127.0.0.1/22, 0.0.0.0/5000->10.0.0.5/6000, %eth0/80, ::1/443; UDP 53\n",
		"-4", "-a", "10.0.0.2/24", "-g", "10.0.0.1", "-D", "none",
		"--no-map-gw", "-m", "0", "-M", "02:00:00:00:00:01",
		"--no-icmp", "--no-dhcp", "-S", "none",
		"-t", "127.0.0.1/8000-8010:9000,22",
		"-t", "0.0.0.0/5000:10.0.0.5/6000", "-t", "%eth0/80",
		"-t", "[::1]/443", "-u", "53", NULL);
}

static void local_mode_and_all(void **state)
{
	(void)state;
	memset(&h4, 0, sizeof(h4));
	memset(&h6, 0, sizeof(h6));
	summary("gangway: guest IPv4 169.254.2.1/16 via 169.254.2.2 (local mode: no host address); DNS 169.254.2.2, 203.0.113.9; DNS to 169.254.2.2 goes to 127.0.0.53; 169.254.2.2 reaches host loopback\n"
		"gangway: IPv6 disabled (no host interface with IPv6 routes)\n"
		"gangway: MTU 65520; our MAC 9a:55:9a:55:9a:55; search corp.example\n"
		"gangway: forwarding TCP 1-21, 23-32767, 61000-65535 (best effort); UDP none\n",
		"-t", "~22", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults, host_setup),
		cmocka_unit_test_setup(options, host_setup),
		cmocka_unit_test_setup(local_mode_and_all, host_setup),
	};

	return cmocka_run_group_tests_name("conf_print", tests, NULL, NULL);
}
