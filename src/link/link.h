/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * link/link.h - the guest-facing transports
 *
 * Owns: accepting or adopting QEMU's socket (--fd, -s PATH, or a probed
 * default path), moving Ethernet frames in both directions over it
 * (link/stream.c: 4-byte big-endian length prefix; link/vhost_user.c:
 * virtqueues in shared guest memory), bounded output queues with
 * back-pressure, pcap of every frame, and telling main when the peer is
 * gone. Only link/ touches guest frames as bytes in flight.
 */
#ifndef GANGWAY_LINK_LINK_H
#define GANGWAY_LINK_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_tx.h"

/**
 * struct link_conf - what a link needs from the configuration
 * @vhost_user:	speak vhost-user instead of the stream protocol
 * @fd:		already connected socket (--fd), or -1
 * @socket_path: UNIX socket to listen on when @fd is -1
 * @one_off:	exit after the first connection ends (also implied by @fd)
 * @mtu:	largest L3 packet the guest may send or receive (for buffers)
 */
struct link_conf {
	bool vhost_user;
	int fd;
	const char *socket_path;
	bool one_off;
	int mtu;
};

/* Frame from the guest: valid only during the call */
typedef void (*link_rx_fn)(const uint8_t *frame, size_t len, uint64_t now_ns);

/**
 * link_open() - set up the transport (listen, or adopt --fd)
 * @lc:		configuration
 * @rx:		called for every frame the guest sends
 * @tx:		filled in: how the rest of gangway sends frames to the guest
 * Return: 0, or -errno (the caller reports it with the path or fd)
 */
int link_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx);

#endif /* GANGWAY_LINK_LINK_H */
