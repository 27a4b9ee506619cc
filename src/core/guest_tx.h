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
 *
 * Reserve and commit (optional: NULL in links without it, see
 * guest_reserve()): a sender that reads its payload from a socket asks
 * for room for N frames and gets, per frame, the iovecs where its bytes
 * will go in the link itself (a slot in the stream ring, the guest's own
 * buffers on vhost-user). It writes headers there, lets recvmsg() put the
 * payload straight behind them, then commits the frames it filled: no
 * copy in user space. Between reserve() and commit() nothing else may be
 * sent on the link (it would land in the reserved room); commit() with
 * no frames abandons the reservation.
 */
#ifndef GANGWAY_CORE_GUEST_TX_H
#define GANGWAY_CORE_GUEST_TX_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

/* Frames one reservation may cover, and iovecs they may span in all */
#define GUEST_RESERVE_MAX	256
#define GUEST_RESERVE_IOV_MAX	1024

/**
 * struct guest_frame - room for one frame, from reserve()
 * @iov:	where the frame's bytes go, from its Ethernet header on (link
 *		framing left out); storage owned by the link, valid until
 *		commit()
 * @cnt:	entries in @iov
 */
struct guest_frame {
	const struct iovec *iov;
	size_t cnt;
};

/**
 * struct guest_tx - operations of the active link towards the guest
 * @send:	queue one frame gathered from @iov (copied before return);
 *		0, -EAGAIN if there is no room, -EMSGSIZE if too large,
 *		-ENOTCONN if no guest is connected
 * @room:	bytes of frame data that can be queued now
 * @reserve:	room for up to @n frames of @len bytes each, described in
 *		@f[0..n-1]; returns how many (at least 1), or -EAGAIN (not
 *		even one fits now), -EMSGSIZE, -ENOTCONN as send() does.
 *		Optional (NULL): guest_reserve() then says -EOPNOTSUPP
 * @commit:	send the first @n reserved frames, each @len bytes as
 *		reserved except the last, which has @last_len (at most
 *		@len); the rest of the reservation is given back. @n may be
 *		0. Cannot fail: the room was reserved
 * @send_many:	optional (NULL: guest_send_many() calls send() per frame):
 *		queue @n frames, frame k gathered from @iov[k * @per ..
 *		k * @per + @per - 1], as @n calls of send() would, stopping at
 *		the first that fails; the link may write them to its peer at
 *		once from where they are, without copying them first. Returns
 *		the number queued, or the first frame's error as send() does
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
 *		frame); on the stream link, set with @rx_in_link only
 * @rx_in_link:	set by the link only while its rx callback runs: the L4
 *		payload of the frame at hand is still in the link (the bytes
 *		of the frame past its headers are not the guest's): the
 *		receiver that accepted it (link_conf rx_splice_check) moves
 *		it with rx_splice() and must not read it from the frame
 * @rx_splice:	with @rx_in_link: move up to @len payload bytes of the
 *		frame at hand from the link straight into socket @fd,
 *		without copying them to user space. Returns the bytes @fd
 *		took (what it refused is dropped: the guest sends it again),
 *		or -errno if @fd failed before taking any. NULL if the link
 *		cannot splice
 */
struct guest_tx {
	int (*send)(struct guest_tx *tx, const struct iovec *iov, size_t cnt);
	size_t (*room)(struct guest_tx *tx);
	int (*reserve)(struct guest_tx *tx, size_t len, struct guest_frame *f,
		       unsigned int n);
	void (*commit)(struct guest_tx *tx, unsigned int n, size_t last_len);
	int (*send_many)(struct guest_tx *tx, const struct iovec *iov,
			 size_t per, unsigned int n);
	struct guest_waiter *waiters;
	void *link;
	uint8_t our_mac[6];
	uint8_t guest_mac[6];
	int guest_seen;
	int csum_optional;
	int rx_csum_trusted;
	int rx_in_link;
	ssize_t (*rx_splice)(struct guest_tx *tx, int fd, size_t len);
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

/**
 * guest_send_many() - queue @n frames of @per iovecs each, in order
 * @tx:		link
 * @iov:	@n * @per iovecs: frame k is @iov[k * @per] onwards
 * @per:	iovecs per frame
 * @n:		frames
 *
 * Return: frames queued (all of them, or those before the first that
 * failed), or the error of the first frame (-EAGAIN: no room, ...)
 */
static inline int guest_send_many(struct guest_tx *tx, const struct iovec *iov,
				  size_t per, unsigned int n)
{
	unsigned int k;

	if (tx->send_many)
		return tx->send_many(tx, iov, per, n);
	for (k = 0; k < n; k++) {
		int rc = tx->send(tx, iov + k * per, per);

		if (rc < 0)
			return k ? (int)k : rc;
	}
	return (int)n;
}

static inline size_t guest_room(struct guest_tx *tx)
{
	return tx->room(tx);
}

/**
 * guest_reserve() - room in the link for up to @n frames of @len bytes
 * @tx:		link
 * @len:	bytes of each frame, Ethernet header included
 * @f:		filled in for each frame reserved
 * @n:		frames wanted, at most GUEST_RESERVE_MAX
 *
 * The frames reserved together span at most GUEST_RESERVE_IOV_MAX iovecs.
 * Return: frames reserved (1 to @n), or -EAGAIN (no room now: wait),
 * -EMSGSIZE (@len never fits), -ENOTCONN (no guest), -EOPNOTSUPP (this
 * link copies frames only: use guest_send())
 */
static inline int guest_reserve(struct guest_tx *tx, size_t len,
				struct guest_frame *f, unsigned int n)
{
	if (!tx->reserve)
		return -EOPNOTSUPP;
	return tx->reserve(tx, len, f, n);
}

/* Send the first @n frames of the reservation (see struct guest_tx) */
static inline void guest_commit(struct guest_tx *tx, unsigned int n,
				size_t last_len)
{
	tx->commit(tx, n, last_len);
}

/**
 * guest_frame_slice() - the iovecs for bytes [@off, @off + @len) of a frame
 * @f:		reserved frame
 * @off:	offset from the start of the frame
 * @len:	bytes
 * @out:	filled with up to @max entries
 * @max:	room in @out
 *
 * Return: entries used in @out; fewer bytes than @len only if @max ran
 * out or the frame is shorter (the caller compares with its own count)
 */
static inline size_t guest_frame_slice(const struct guest_frame *f,
				       size_t off, size_t len,
				       struct iovec *out, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < f->cnt && len && k < max; i++) {
		size_t seg = f->iov[i].iov_len, take;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		take = seg - off < len ? seg - off : len;
		out[k].iov_base = (uint8_t *)f->iov[i].iov_base + off;
		out[k].iov_len = take;
		k++;
		len -= take;
		off = 0;
	}
	return k;
}

/* Copy @len bytes from @src into a reserved frame at @off; bytes copied */
static inline size_t guest_frame_put(const struct guest_frame *f, size_t off,
				     const void *src, size_t len)
{
	const uint8_t *p = src;
	size_t i, done = 0;

	for (i = 0; i < f->cnt && done < len; i++) {
		size_t seg = f->iov[i].iov_len, take;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		take = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)f->iov[i].iov_base + off, p + done, take);
		done += take;
		off = 0;
	}
	return done;
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
