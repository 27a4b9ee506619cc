/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/ndp.h - Neighbour Discovery and Router Advertisements (skeleton
 * header: the NDP owner fills in struct ndp_conf and the module comment)
 */
#ifndef GANGWAY_SERVICES_NDP_H
#define GANGWAY_SERVICES_NDP_H

#include <stdint.h>

#include "core/guest_tx.h"
#include "packet/cursor.h"
#include "packet/packet.h"

struct ndp_conf;

int ndp_init(const struct ndp_conf *nc, struct guest_tx *tx);
/* ICMPv6 types 133-137 from the guest; @body starts after the 4-byte
 * ICMPv6 type/code/checksum header */
void ndp_input(const struct ip_view *ip, const struct icmp_view *icmp,
	       struct pkt_cursor body, uint64_t now_ns);

#endif /* GANGWAY_SERVICES_NDP_H */
