/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/guest_tx.h - the one way frames go to the guest
 *
 * The active link (link/stream.c, link/vhost_user.c, link/tap.c) fills in
 * a struct guest_tx; services and flows are handed a pointer at init and
 * never include link/. A frame starts with the Ethernet header; the link
 * adds its own framing (length prefix, virtio-net header).
 *
 * Back-pressure: send() fails with -EAGAIN when the link has no room.
 * room() says how many more bytes of frames can be queued right now; a
 * sender that had to stop (e.g. TCP reading a host socket) registers with
 * guest_tx_wait() and is called back once room frees up.
 */
#ifndef GANGWAY_CORE_GUEST_TX_H
#define GANGWAY_CORE_GUEST_TX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_tx;

/**
 * struct guest_waiter - someone to wake when the link has room again
 * @fn:		callback, with the time
 * @next:	list link (guest_tx-private)
 * @queued:	true while on the list (guest_tx-private)
 */
struct guest_waiter {
	void (*fn)(struct guest_waiter *gw, uint64_t now_ns);
	struct guest_waiter *next;
	int queued;
};

/**
 * struct guest_tx - operations of the active link towards the guest
 * @send:	queue one frame gathered from @iov (copied before return);
 *		0, -EAGAIN if there is no room, -EMSGSIZE if too large,
 *		-ENOTCONN if no guest is connected
 * @room:	bytes of frame data that can be queued now
 * @waiters:	singly linked list of senders waiting for room
 * @link:	link-private state
 * @our_mac:	source MAC of every frame we send (-M)
 * @guest_mac:	the guest's MAC, learned by ingress from its frames
 *		(broadcast until the guest has sent anything)
 * @guest_seen:	the guest has sent at least one frame
 * @csum_optional: the link tells the guest not to verify TCP, UDP and
 *		ICMP checksums in the frames we send (vhost-user with
 *		VIRTIO_NET_F_GUEST_CSUM: DATA_VALID): senders may leave them
 *		out (struct pkt_builder @no_l4_csum). Set by the link only
 * @rx_csum_trusted: set by the link only while its rx callback runs:
 *		the guest asked us not to verify the L4 checksum of the
 *		frame at hand (virtio-net NEEDS_CSUM or DATA_VALID, with
 *		csum_start and csum_offset already checked against the
 *		frame); always 0 on the stream link
 */
struct guest_tx {
	int (*send)(struct guest_tx *tx, const struct iovec *iov, size_t cnt);
	size_t (*room)(struct guest_tx *tx);
	struct guest_waiter *waiters;
	void *link;
	uint8_t our_mac[6];
	uint8_t guest_mac[6];
	int guest_seen;
	int csum_optional;
	int rx_csum_trusted;
};

static inline int guest_send(struct guest_tx *tx, const struct iovec *iov,
			     size_t cnt)
{
	return tx->send(tx, iov, cnt);
}

static inline int guest_send_buf(struct guest_tx *tx, const void *buf,
				 size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tx->send(tx, &iov, 1);
}

static inline size_t guest_room(struct guest_tx *tx)
{
	return tx->room(tx);
}

/* Ask to be called back once the link has room (idempotent) */
static inline void guest_tx_wait(struct guest_tx *tx, struct guest_waiter *w)
{
	if (w->queued)
		return;
	w->queued = 1;
	w->next = tx->waiters;
	tx->waiters = w;
}

/* Forget a waiter (its owner is going away) */
static inline void guest_tx_unwait(struct guest_tx *tx, struct guest_waiter *w)
{
	struct guest_waiter **pp;

	if (!w->queued)
		return;
	for (pp = &tx->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->queued = 0;
	w->next = NULL;
}

/* Called by the link when room frees up: wake every waiter once */
static inline void guest_tx_wake(struct guest_tx *tx, uint64_t now_ns)
{
	struct guest_waiter *w = tx->waiters;

	tx->waiters = NULL;
	while (w) {
		struct guest_waiter *next = w->next;

		w->queued = 0;
		w->next = NULL;
		w->fn(w, now_ns);
		w = next;
	}
}

#endif /* GANGWAY_CORE_GUEST_TX_H */
