/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * link/vu_net.h - the virtio-net device behind vhost-user: its data path
 *
 * Owns: the two queues of the device (0: frames to the guest, 1: frames
 * from the guest) once vhost-user has set them up: their kick, call and
 * err eventfds, starting and stopping them, the virtio-net header
 * (skipped on the way in after checking it asks for nothing we did not
 * offer, zeroed with num_buffers on the way out), merging receive
 * buffers, back-pressure towards the senders (guest_tx), and batching
 * used-ring updates and interrupts once per loop iteration.
 * Does not own: the vhost-user messages, the memory map (link/vhost_user.c
 * maps it and hands a pointer at open), ring layout and descriptor
 * validation (link/virtio.c).
 * Used only by link/vhost_user.c.
 *
 * Limits: frames up to VU_FRAME_MAX bytes in either direction; a frame to
 * the guest spread over at most VU_RX_BUFS_MAX merged buffers; at most one
 * ring's worth of frames from the guest per wakeup.
 */
#ifndef GANGWAY_LINK_VU_NET_H
#define GANGWAY_LINK_VU_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_tx.h"
#include "link/link.h"
#include "link/virtio.h"

#define VU_FRAME_MAX		(65535 + 14 + 4)
/* Frames from the guest gathered before the batch is ended (rx_end) */
#define VU_RX_BATCH_BYTES	(4 * VU_FRAME_MAX)
#define VU_RX_BUFS_MAX		256

#define VU_QUEUE_RX		0	/* to the guest */
#define VU_QUEUE_TX		1	/* from the guest */
#define VU_QUEUES		2

/* Set up the data path: frames from the guest go to @rx, @rx_end (may be
 * NULL) ends each batch of them, @tx is filled */
int vu_net_open(const struct vq_mem *mem, link_rx_fn rx,
		link_rx_end_fn rx_end, struct guest_tx *tx);
void vu_net_close(void);

/* Stop every queue and forget its eventfds and ring (disconnect) */
void vu_net_reset(void);

/* Acked virtio features: header length, EVENT_IDX, INDIRECT_DESC */
void vu_net_set_features(uint64_t features);

/* The ring of queue @idx (< VU_QUEUES), for vhost-user to set up */
struct vq *vu_net_vq(unsigned int idx);
bool vu_net_started(unsigned int idx);

/**
 * vu_net_start() - start processing queue @idx
 * @idx:	queue, rings already checked by vq_setup()
 * @kick_fd:	taken over (closed on stop), or -1 to poll the ring
 * Return: 0, or -errno (the fd is closed then too)
 */
int vu_net_start(unsigned int idx, int kick_fd);

/* Flush and stop queue @idx; its next available index to process */
uint16_t vu_net_stop(unsigned int idx);

/* Replace the call or err eventfd of queue @idx (taken over; -1: none) */
void vu_net_set_call(unsigned int idx, int fd);
void vu_net_set_err(unsigned int idx, int fd);

/* SET_VRING_ENABLE, or implied without PROTOCOL_FEATURES */
void vu_net_enable(unsigned int idx, bool on);

/* Process polled rings, wake senders, flush used rings (post hook) */
void vu_net_poll(uint64_t now_ns);

#endif /* GANGWAY_LINK_VU_NET_H */
