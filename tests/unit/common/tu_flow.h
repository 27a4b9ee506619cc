/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/unit/common/tu_flow.h - the test network of the flow unit tests
 *
 * The guest at 192.0.2.2 / fd00::2, the gateway at 192.0.2.1 / fd00::1,
 * which is also where the guest reaches the host's loopback: what
 * gangway gives a guest on the test machine, in one place for every
 * flow test that forwards traffic to real host sockets.
 */
#ifndef GANGWAY_TEST_TU_FLOW_H
#define GANGWAY_TEST_TU_FLOW_H

#include <string.h>

#include "flow/flow.h"
#include "tu_addr.h"

/* Clear @fc, then both families with the addresses above */
static inline void tu_flow_conf_net(struct flow_conf *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->ip4 = fc->ip6 = true;
	fc->guest4 = tu_addr("192.0.2.2");
	fc->gw4 = tu_addr("192.0.2.1");
	fc->map_host_lo4 = tu_addr("192.0.2.1");
	fc->guest6 = tu_addr("fd00::2");
	fc->gw6 = tu_addr("fd00::1");
	fc->map_host_lo6 = tu_addr("fd00::1");
}

#endif /* GANGWAY_TEST_TU_FLOW_H */
