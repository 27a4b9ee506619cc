// SPDX-License-Identifier: GPL-2.0-or-later
/* test_nat.c - address mapping between the guest's view and the host's */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "flow/nat.h"

#include "../common/tu_addr.h"

static void assert_addr(const union inany *a, const char *s)
{
	union inany b = tu_addr(s);

	assert_memory_equal(a, &b, sizeof(b));
}

static struct flow_conf fc;

static int setup(void **state)
{
	(void)state;
	memset(&fc, 0, sizeof(fc));
	fc.ip4 = fc.ip6 = true;
	fc.guest4 = tu_addr("192.0.2.2");
	fc.guest6 = tu_addr("fd00::2");
	fc.gw4 = tu_addr("192.0.2.1");
	fc.gw6 = tu_addr("fe80::1");
	fc.map_host_lo4 = tu_addr("192.0.2.1");
	fc.map_host_lo6 = tu_addr("fe80::1");
	fc.map_guest4 = tu_addr("192.0.2.9");
	fc.host_global4 = tu_addr("192.0.2.2");
	fc.host_global6 = tu_addr("fd00::2");
	fc.dns_fwd4 = tu_addr("192.0.2.53");
	fc.dns_host4 = tu_addr("127.0.0.53");
	fc.dns_fwd6 = tu_addr("fd00::53");
	fc.dns_host6 = tu_addr("::1");
	return nat_init(&fc);
}

static void gateway_reaches_host_loopback(void **state)
{
	union inany h;

	(void)state;
	h = tu_addr("1.1.1.1");
	assert_int_equal(nat_outbound(IPPROTO_TCP, &fc.gw4, 80, &h), 0);
	assert_addr(&h, "127.0.0.1");
	assert_int_equal(nat_outbound(IPPROTO_UDP, &fc.gw6, 80, &h), 0);
	assert_addr(&h, "::1");
}

static void map_guest_reaches_host_global(void **state)
{
	union inany d = tu_addr("192.0.2.9"), h;

	(void)state;
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 22, &h), 0);
	assert_addr(&h, "192.0.2.2");
}

static void map_guest_without_host_address_refused(void **state)
{
	union inany d = tu_addr("192.0.2.9"), h;

	(void)state;
	fc.host_global4 = tu_addr("0.0.0.0");
	memset(&fc.host_global4, 0, sizeof(fc.host_global4));
	nat_init(&fc);
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 22, &h), -EPERM);
}

static void dns_forward_port_53_only(void **state)
{
	union inany d = tu_addr("192.0.2.53"), h;

	(void)state;
	assert_int_equal(nat_outbound(IPPROTO_UDP, &d, 53, &h), 0);
	assert_addr(&h, "127.0.0.53");
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 53, &h), 0);
	assert_addr(&h, "127.0.0.53");
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 54, &h), 0);
	assert_addr(&h, "192.0.2.53");
	d = tu_addr("fd00::53");
	assert_int_equal(nat_outbound(IPPROTO_UDP, &d, 53, &h), 0);
	assert_addr(&h, "::1");
}

static void other_destinations_unchanged(void **state)
{
	union inany d = tu_addr("198.51.100.7"), h;

	(void)state;
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 443, &h), 0);
	assert_addr(&h, "198.51.100.7");
	d = tu_addr("2001:db8::7");
	assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 443, &h), 0);
	assert_addr(&h, "2001:db8::7");
}

static void unusable_destinations_refused(void **state)
{
	const char *bad[] = { "0.0.0.0", "127.0.0.1", "127.9.9.9",
			      "224.0.0.1", "255.255.255.255", "::", "::1",
			      "ff02::1" };
	union inany d, h;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		d = tu_addr(bad[i]);
		assert_int_equal(nat_outbound(IPPROTO_TCP, &d, 80, &h),
				 -EPERM);
	}
}

static void no_mapping_leaves_gateway_alone(void **state)
{
	union inany h;

	(void)state;
	memset(&fc.map_host_lo4, 0, sizeof(fc.map_host_lo4));
	nat_init(&fc);
	assert_int_equal(nat_outbound(IPPROTO_TCP, &fc.gw4, 80, &h), 0);
	assert_addr(&h, "192.0.2.1");
}

static void loopback_peer_appears_as_mapped(void **state)
{
	union inany s = tu_addr("127.0.0.1"), g;

	(void)state;
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "192.0.2.1");
	s = tu_addr("127.1.2.3");
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "192.0.2.1");
	s = tu_addr("::1");
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "fe80::1");
}

static void loopback_peer_without_mapping_refused(void **state)
{
	union inany s = tu_addr("127.0.0.1"), g;

	(void)state;
	memset(&fc.map_host_lo4, 0, sizeof(fc.map_host_lo4));
	nat_init(&fc);
	assert_int_equal(nat_inbound(&s, &g), -EPERM);
}

static void host_global_peer_appears_as_map_guest(void **state)
{
	union inany s = tu_addr("192.0.2.2"), g;

	(void)state;
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "192.0.2.9");
	/* without --map-guest-addr, the host-loopback mapping stands in */
	s = tu_addr("fd00::2");
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "fe80::1");
}

static void remote_peer_unchanged(void **state)
{
	union inany s = tu_addr("198.51.100.7"), g;

	(void)state;
	assert_int_equal(nat_inbound(&s, &g), 0);
	assert_addr(&g, "198.51.100.7");
}

static void bind_outbound_address(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	(void)state;
	fc.outbound4 = tu_addr("127.0.0.1");
	nat_init(&fc);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(nat_bind_outbound(fd, true), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(ntohl(sa.sin_addr.s_addr), INADDR_LOOPBACK);
	close(fd);

	/* nothing configured for IPv6: the socket is left alone */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(nat_bind_outbound(fd, false), 0);
	close(fd);
}

static void bind_outbound_bad_interface(void **state)
{
	int fd;

	(void)state;
	strcpy(fc.outbound_if4, "nosuchif0");
	nat_init(&fc);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_true(nat_bind_outbound(fd, true) < 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(gateway_reaches_host_loopback, setup),
		cmocka_unit_test_setup(map_guest_reaches_host_global, setup),
		cmocka_unit_test_setup(map_guest_without_host_address_refused,
				       setup),
		cmocka_unit_test_setup(dns_forward_port_53_only, setup),
		cmocka_unit_test_setup(other_destinations_unchanged, setup),
		cmocka_unit_test_setup(unusable_destinations_refused, setup),
		cmocka_unit_test_setup(no_mapping_leaves_gateway_alone, setup),
		cmocka_unit_test_setup(loopback_peer_appears_as_mapped, setup),
		cmocka_unit_test_setup(loopback_peer_without_mapping_refused,
				       setup),
		cmocka_unit_test_setup(host_global_peer_appears_as_map_guest,
				       setup),
		cmocka_unit_test_setup(remote_peer_unchanged, setup),
		cmocka_unit_test_setup(bind_outbound_address, setup),
		cmocka_unit_test_setup(bind_outbound_bad_interface, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
