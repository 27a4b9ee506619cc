/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * link/vhost_user.h - vhost-user back-end for a virtio-net device
 *
 * Owns: the vhost-user control socket (QEMU's --fd, or one accepted at a
 * time on a listening -s PATH), reading its messages with their
 * SCM_RIGHTS fds and checking each against one table at the door (payload
 * size, fd count, queue index) before any handler runs, the guest memory
 * map (mmap()ed MAP_SHARED from the fds, unmapped on remap and
 * disconnect), and setting up the rings of the two virtio-net queues.
 * Does not own: running the queues (link/vu_net.c: frames, eventfds,
 * interrupts), ring layout and descriptor checks (link/virtio.c).
 * Uses: core (loop, log, stats, guest_tx), link/virtio.h, link/vu_net.h.
 *
 * Offered: VERSION_1, MRG_RXBUF, EVENT_IDX, INDIRECT_DESC,
 * PROTOCOL_FEATURES; protocol feature REPLY_ACK only. Logging (migration)
 * is refused: SET_LOG_BASE and SET_LOG_FD get a failure reply and their
 * fds closed. A malformed message, unknown request or invalid ring setup
 * closes the connection with one warn line; with --fd (or --one-off)
 * gangway then exits, with -s it waits for the next front-end. A guest
 * that breaks a ring (bad descriptors) gets that ring stopped, one warn
 * line, and a signal on the ring's err eventfd.
 *
 * Limits: one queue pair; 8 memory regions; frame limits in
 * link/vu_net.h. Regions must be regular files (memfd,
 * hugetlbfs, tmpfs) at least as long as the table claims; a front-end
 * that shrinks the file afterwards can still crash us with SIGBUS, as
 * with any back-end that maps guest memory (QEMU seals its memfds).
 */
#ifndef GANGWAY_LINK_VHOST_USER_H
#define GANGWAY_LINK_VHOST_USER_H

#include <stdint.h>

#include "core/guest_tx.h"
#include "link/link.h"

/* Requests (vhost-user.rst "Front-end message types") */
enum vu_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_REQ__MAX = 64,	/* table size; above is unknown */
};

#define VHOST_USER_VERSION		0x1
#define VHOST_USER_VERSION_MASK		0x3
#define VHOST_USER_REPLY_MASK		(1u << 2)
#define VHOST_USER_NEED_REPLY_MASK	(1u << 3)
#define VHOST_USER_HDR_LEN		12
#define VHOST_USER_VRING_IDX_MASK	0xffu
#define VHOST_USER_VRING_NOFD_MASK	(1u << 8)
#define VHOST_USER_F_PROTOCOL_FEATURES	30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3

/**
 * vu_open() - start serving vhost-user
 * @lc:		@lc->fd if >= 0 (adopted, one front-end, exit when it
 *		leaves), else accept on @lc->listen_fd (taken over: closed
 *		by vu_close()), one front-end at a time
 * @rx:		called with every frame the guest sends
 * @tx:		filled in: send() and room() toward the guest
 * Return: 0, or -errno (the socket could not be set up)
 */
int vu_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx);

/**
 * vu_conn_input() - read and handle every complete message available
 * @now_ns:	time of this wakeup
 *
 * What the loop calls when the control socket is readable; exported so
 * tests can drive the back-end without running the loop.
 * Return: 0 while connected, -ENOTCONN once the connection was closed
 */
int vu_conn_input(uint64_t now_ns);

/* Close the connection and unmap everything (tests; exit path) */
void vu_close(void);

#endif /* GANGWAY_LINK_VHOST_USER_H */
