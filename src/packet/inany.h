/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet/inany.h - one address type for IPv4 and IPv6
 *
 * IPv4 addresses are held as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d),
 * so flow keys, address mapping and forwarding rules need one code path.
 * Byte order is network order, as in struct in6_addr.
 */
#ifndef GANGWAY_PACKET_INANY_H
#define GANGWAY_PACKET_INANY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "core/compiler.h"

union inany {
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t one[2];		/* 0xff 0xff for IPv4 */
		struct in_addr a4;
	} v4mapped;
	uint32_t u32[4];
};

static inline bool inany_is_v4(const union inany *a)
{
	return a->u32[0] == 0 && a->u32[1] == 0 &&
	       a->v4mapped.zero[8] == 0 && a->v4mapped.zero[9] == 0 &&
	       a->v4mapped.one[0] == 0xff && a->v4mapped.one[1] == 0xff;
}

static inline void inany_from_v4(union inany *a, struct in_addr v4)
{
	memset(a, 0, sizeof(*a));
	a->v4mapped.one[0] = 0xff;
	a->v4mapped.one[1] = 0xff;
	a->v4mapped.a4 = v4;
}

static inline void inany_from_v6(union inany *a, const struct in6_addr *v6)
{
	a->a6 = *v6;
}

static inline bool inany_equal(const union inany *a, const union inany *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline bool inany_is_unspec(const union inany *a)
{
	return !a->u32[0] && !a->u32[1] && !a->u32[2] && !a->u32[3];
}

#endif /* GANGWAY_PACKET_INANY_H */
