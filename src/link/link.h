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
 * @socket_path: UNIX socket to listen on when @fd is -1; NULL or "" to
 *		probe a free default path (LINK_DEFAULT_PATH_FMT)
 * @listen_fd:	set by link_open() for the transport: listening socket it
 *		takes over (registers, accepts on, closes), or -1 with --fd
 * @one_off:	exit after the first connection ends (also implied by @fd)
 * @mtu:	largest L3 packet the guest may send or receive (for buffers)
 * @rx_end:	called after each batch of frames from the guest, before the
 *		buffer they sit in is reused; NULL if nobody batches
 * @rx_splice_check: stream link only, optional: may the L4 payload of
 *		this large frame go straight from the link into a host
 *		socket (struct guest_tx rx_in_link, rx_splice)? @frame has
 *		@len bytes of which only the first @have are the guest's
 *		(the rest must not be read). Returns the offset of the
 *		payload in @frame (all headers within @have), or 0 for no:
 *		the frame then takes the usual way
 */
struct link_conf {
	bool vhost_user;
	int fd;
	const char *socket_path;
	int listen_fd;
	bool one_off;
	int mtu;
	void (*rx_end)(uint64_t now_ns);
	size_t (*rx_splice_check)(const uint8_t *frame, size_t len,
				  size_t have, uint64_t now_ns);
};

/*
 * Frame from the guest: valid until the link next calls @rx_end of struct
 * link_conf (at the latest when its input pass ends: one stream read, one
 * ring's worth of vhost-user chains), so that receivers may gather the
 * frames of one pass, e.g. into one sendmmsg(), and send them from there.
 * Without @rx_end, valid only during the call.
 */
typedef void (*link_rx_fn)(const uint8_t *frame, size_t len, uint64_t now_ns);
typedef void (*link_rx_end_fn)(uint64_t now_ns);

/**
 * link_open() - set up the transport (listen, or adopt --fd)
 * @lc:		configuration
 * @rx:		called for every frame the guest sends
 * @tx:		filled in: how the rest of gangway sends frames to the guest
 * Return: 0, or -errno (the caller reports it with the path or fd)
 */
int link_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx);

/* Close the transport and remove the socket path we created (at exit) */
void link_close(void);

/* Path of our listening socket, or NULL with --fd */
const char *link_path(void);

/* Default socket paths probed without -s or --fd: 1 to LINK_DEFAULT_MAX */
#define LINK_DEFAULT_PATH_FMT	"/tmp/gangway_%d.socket"
#define LINK_DEFAULT_MAX	64

/**
 * link_listen() - listen on a UNIX stream socket at @path
 * @path:	socket path
 *
 * A socket file left behind by a dead process (connecting is refused) is
 * replaced; one somebody listens on, or a file that is not a socket, is
 * not: that gives -EADDRINUSE or -EEXIST.
 * Return: listening socket (non-blocking, close-on-exec), or -errno
 */
int link_listen(const char *path);

#endif /* GANGWAY_LINK_LINK_H */
