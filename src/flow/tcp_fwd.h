/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/tcp_fwd.h - between the -t listeners and the TCP state machine
 *
 * Private to flow/tcp*.c. tcp_fwd.c owns the listening sockets and turns
 * each accepted connection into a flow key; tcp.c owns connections.
 */
#ifndef GANGWAY_FLOW_TCP_FWD_H
#define GANGWAY_FLOW_TCP_FWD_H

#include <stdint.h>
#include <sys/socket.h>

#include "flow/flow.h"
#include "flow/table.h"

/* tcp_fwd.c: open the listeners for fc->tcp_fwd; 0 or -errno (logged) */
int tcp_fwd_init(const struct flow_conf *fc);

/* tcp.c: take accepted @fd as a connection to the guest; 0 or -errno */
int tcp_inbound(int fd, const struct flow_key *key, uint64_t now);

/* tcp.c: socket address helpers */
socklen_t tcp_sockaddr(const union inany *a, uint16_t port,
		       struct sockaddr_storage *ss);
void tcp_from_sockaddr(const struct sockaddr_storage *ss, union inany *a,
		       uint16_t *port);

#endif /* GANGWAY_FLOW_TCP_FWD_H */
