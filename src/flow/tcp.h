/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/tcp.h - the guest's TCP connections, terminated and carried on
 * host sockets
 *
 * Owns: the TCP state of every connection (handshakes with the guest,
 * sequence numbers, windows, retransmission to the guest, FIN and RST both
 * ways), the host socket of each connection, and the -t listeners.
 * Does not own: flow ids and the 5-tuple index (flow/table.c), address
 * rules (flow/nat.c), the link (core/guest_tx.h).
 * Design: docs/design/tcp.md. Host-to-guest data the guest has not
 * acknowledged stays in the host socket's receive buffer (read with
 * MSG_PEEK at SO_PEEK_OFF, discarded when acknowledged), so the only
 * buffers are one peek buffer and one frame buffer, allocated at init.
 * Limits: --max-flows connections (shared with UDP and ICMP); TCP_LISTEN_MAX
 * listening sockets for -t.
 */
#ifndef GANGWAY_FLOW_TCP_H
#define GANGWAY_FLOW_TCP_H

#include <stdint.h>

#include "core/guest_tx.h"
#include "flow/flow.h"

#define TCP_LISTEN_MAX	8192	/* -t sockets, against the 20,000 fd limit */

/* Allocate per-flow state for fc->max_flows flows, open -t listeners */
int tcp_init(const struct flow_conf *fc, struct guest_tx *tx);

/* One guest segment, parsed and checksum-verified */
void tcp_input(const struct ip_view *ip, const struct tcp_view *tcp,
	       struct pkt_cursor payload, uint64_t now_ns);

/* See flow_tcp_splice_ok() */
bool tcp_splice_ok(const struct ip_view *ip, const struct tcp_view *tcp);

/*
 * End of a batch of guest frames (flow_batch_end()): the payloads of
 * in-order segments tcp_input() kept are written, one sendmsg() per
 * connection. Until then they must stay valid and unchanged.
 */
void tcp_batch_end(uint64_t now_ns);

/* Connections open now (for stats and tests) */
unsigned int tcp_conn_count(void);

#endif /* GANGWAY_FLOW_TCP_H */
