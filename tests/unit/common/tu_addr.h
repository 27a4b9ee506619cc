/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/unit/common/tu_addr.h - addresses from text, for unit tests
 *
 * One parser for every test that writes addresses as "192.0.2.1" or
 * "fd00::1" (a typo fails the test instead of yielding the unspecified
 * address), and the checks that an address reads as expected.
 */
#ifndef GANGWAY_TEST_TU_ADDR_H
#define GANGWAY_TEST_TU_ADDR_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "packet/inany.h"

/* @s, dotted IPv4 (stored IPv4-mapped) or IPv6 text, as a union inany */
static inline union inany tu_addr(const char *s)
{
	union inany a;
	struct in_addr a4;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a4) == 1)
		inany_from_v4(&a, a4);
	else
		assert_int_equal(inet_pton(AF_INET6, s, &a.a6), 1);
	return a;
}

/* @s, dotted IPv4 text, as a struct in_addr */
static inline struct in_addr tu_a4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* @a reads @s */
static inline void tu_addr4_is(struct in_addr a, const char *s)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	assert_string_equal(buf, s);
}

static inline void tu_addr6_is(const struct in6_addr *a, const char *s)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, buf, sizeof(buf));
	assert_string_equal(buf, s);
}

#endif /* GANGWAY_TEST_TU_ADDR_H */
