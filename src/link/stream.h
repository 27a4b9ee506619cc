/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * link/stream.h - Ethernet frames over a stream socket, QEMU's way
 *
 * Owns: the connection to QEMU's "-netdev stream" (or "-netdev passt"
 * without vhost-user): each frame travels as a 4-byte big-endian length
 * followed by the frame. Reassembly of frames split across reads, several
 * frames per read; drops (counted, stats module "link") of zero-length,
 * short (< 14 bytes) and oversized (> MTU + 14) frames, skipping their
 * bytes so framing stays aligned; a bounded output queue with
 * back-pressure towards the senders (struct guest_tx); pcap of both
 * directions; accepting on the listening socket from link.c.
 *
 * One guest at a time: while a guest is connected, further connections on
 * the listening socket are accepted and closed at once (counted as
 * "refused", with a rate-limited warning), so the second QEMU sees EOF
 * instead of a link into the void.
 *
 * When the guest goes away (EOF, ECONNRESET, any socket error): with --fd
 * or --one-off the loop is stopped with status 0; otherwise frames still
 * queued are dropped (counted as tx_lost) and we wait for the next guest.
 *
 * Limits: STREAM_OUT_QUEUE bytes of queued output (length prefixes
 * included); frames up to STREAM_FRAME_LIMIT bytes.
 */
#ifndef GANGWAY_LINK_STREAM_H
#define GANGWAY_LINK_STREAM_H

#include "link/link.h"

#define STREAM_OUT_QUEUE	(4U << 20)	/* bytes queued to the guest */
#define STREAM_FLUSH_AT		(256U << 10)	/* flush early past this */
#define STREAM_IN_CHUNK		(512U << 10)	/* bytes asked of one read */
#define STREAM_FRAME_LIMIT	(65535U + 14U)	/* whatever the MTU */

/**
 * stream_open() - start serving the stream protocol
 * @lc:		configuration; @lc->fd (connected, adopted) or
 *		@lc->listen_fd (taken over) must be valid
 * @rx:		called for every good frame from the guest
 * @tx:		filled in with our send() and room()
 * Return: 0, or -errno (@lc->fd is not a connected stream socket: -EBADF,
 *	   -ENOTSOCK, -EPROTOTYPE); nothing is taken over on failure
 */
int stream_open(const struct link_conf *lc, link_rx_fn rx,
		struct guest_tx *tx);

/* Close the connection and the listening socket; stream_open() again ok */
void stream_close(void);

/* True while a guest is connected */
bool stream_connected(void);

#endif /* GANGWAY_LINK_STREAM_H */
