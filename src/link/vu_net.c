// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/vu_net.c - the virtio-net device behind vhost-user: its data path
 *
 * Theory of operation
 *
 * From the guest. A kick on queue 1 pops chains, checks the virtio-net
 * header, gathers the frame into one static buffer and hands it to the
 * rx callback; the chain goes back with length 0. Frames of one pass are
 * gathered one after the other into a batch buffer, and the batch is
 * ended (rx_end) once the pass is over or the buffer is full, so that
 * receivers can send what they got from one pass together.
 * The header may ask for what was negotiated and nothing else: with
 * VIRTIO_NET_F_CSUM, a partial L4 checksum (NEEDS_CSUM, its csum_start
 * and csum_offset inside the frame) or DATA_VALID; both only mean "do not
 * verify" (guest_tx rx_csum_trusted), since every flow ends on a host
 * socket and nothing forwards the frame. With HOST_TSO4/6 a frame may
 * be a TCP segment larger than the MTU (gso_type TCPV4/TCPV6, up to
 * VU_FRAME_MAX whatever --mtu says): gangway never cuts it up, it only
 * takes the payload, so gso_size and hdr_len are not needed. Other GSO
 * types (UDP, ECN) are refused: not offered.
 *
 * To the guest. With VIRTIO_NET_F_GUEST_CSUM every frame carries
 * DATA_VALID and guest_tx csum_optional lets senders leave L4 checksums
 * out. guest_tx send() pops chains from queue 0, merging buffers
 * (MRG_RXBUF) until the frame and its header fit; if the guest has not
 * posted enough it gives the chains back and returns -EAGAIN, and the
 * next kick on queue 0 wakes the waiters from the post hook.
 * reserve() pops the chains for several frames at once and hands out
 * the guest's buffers behind each virtio-net header, so that a sender's
 * recvmsg() writes the payload straight into guest memory; commit()
 * returns the chains the frames filled through the used ring and gives
 * the others back to the available ring (vq_unpop()).
 * Frames keep their length, shorter than 60 bytes or not (link/stream.c
 * pads those): vhost-user backs a virtio-net device only, which has no
 * minimum frame size, and padding would write bytes into guest buffers
 * for nothing.
 *
 * Batching. Used entries are published, and the guest interrupted
 * (unless it suppressed that), once per loop iteration in the post hook.
 * The hook is registered when the first ring starts, so it runs after the
 * hooks of modules set up at startup; a send() after it ran in the same
 * pass arms a private eventfd so that another iteration comes.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/pcap.h"
#include "core/stats.h"
#include "link/virtio.h"
#include "link/vu_net.h"

#define VU_ROOM_PEEK		64	/* chains room() looks at */
#define VU_ETH_HLEN		14	/* no checksum starts before it */
#define VU_RES_BUFS		1024	/* guest buffers in one reservation */

enum vn_stat {
	VN_ST_FROM_GUEST,
	VN_ST_FROM_GUEST_BYTES,
	VN_ST_FROM_GUEST_DROP_SIZE,
	VN_ST_FROM_GUEST_DROP_HDR,
	VN_ST_FROM_GUEST_DROP_GSO,
	VN_ST_FROM_GUEST_DROP_CSUM,
	VN_ST_FROM_GUEST_CSUM_PARTIAL,
	VN_ST_FROM_GUEST_GSO,
	VN_ST_FROM_GUEST_DROP_DISABLED,
	VN_ST_TO_GUEST,
	VN_ST_TO_GUEST_BYTES,
	VN_ST_TO_GUEST_EAGAIN,
	VN_ST_TO_GUEST_DROP_SIZE,
	VN_ST_KICKS,
	VN_ST_CALLS,
	VN_ST_RING_BROKEN,
	VN_ST__COUNT,
};

static const char *const vn_stat_names[VN_ST__COUNT] = {
	[VN_ST_FROM_GUEST]		= "vu_from_guest",
	[VN_ST_FROM_GUEST_BYTES]	= "vu_from_guest_bytes",
	[VN_ST_FROM_GUEST_DROP_SIZE]	= "vu_from_guest_drop_size",
	[VN_ST_FROM_GUEST_DROP_HDR]	= "vu_from_guest_drop_hdr",
	[VN_ST_FROM_GUEST_DROP_GSO]	= "vu_from_guest_drop_gso",
	[VN_ST_FROM_GUEST_DROP_CSUM]	= "vu_from_guest_drop_csum_range",
	[VN_ST_FROM_GUEST_CSUM_PARTIAL]	= "vu_from_guest_csum_partial",
	[VN_ST_FROM_GUEST_GSO]		= "vu_from_guest_gso",
	[VN_ST_FROM_GUEST_DROP_DISABLED] = "vu_from_guest_drop_disabled",
	[VN_ST_TO_GUEST]		= "vu_to_guest",
	[VN_ST_TO_GUEST_BYTES]		= "vu_to_guest_bytes",
	[VN_ST_TO_GUEST_EAGAIN]		= "vu_to_guest_eagain",
	[VN_ST_TO_GUEST_DROP_SIZE]	= "vu_to_guest_drop_size",
	[VN_ST_KICKS]			= "vu_kicks",
	[VN_ST_CALLS]			= "vu_calls",
	[VN_ST_RING_BROKEN]		= "vu_ring_broken",
};

static_assert(ARRAY_SIZE(vn_stat_names) == VN_ST__COUNT, "stat names");

/**
 * struct vu_net_queue - one virtqueue and its eventfds
 * @vq:		ring state (link/virtio.c)
 * @kick_w:	watch on @kick_fd
 * @kick_fd:	guest added buffers (received, closed here), or -1
 * @call_fd:	we used buffers, or -1
 * @err_fd:	we found the ring broken, or -1
 * @started:	between SET_VRING_KICK and GET_VRING_BASE
 * @enabled:	SET_VRING_ENABLE (or no PROTOCOL_FEATURES)
 * @broken_logged: the warn line for @vq.broken was printed
 */
struct vu_net_queue {
	struct vq vq;
	struct watch kick_w;
	int kick_fd;
	int call_fd;
	int err_fd;
	bool started;
	bool enabled;
	bool broken_logged;
};

/* Module state, set up by vu_net_open() */
static struct {
	const struct vq_mem *mem;	/* owned by link/vhost_user.c */
	link_rx_fn rx;
	link_rx_end_fn rx_end;		/* may be NULL */
	struct guest_tx *tx;
	bool registered;		/* counters */

	int flush_fd;			/* eventfd: run one more iteration */
	struct watch flush_w;
	bool flush_armed;
	uint64_t post_ns;		/* wakeup time our post hook last ran */

	size_t hdr_len;			/* virtio-net header, 10 or 12 */
	bool mrg;			/* MRG_RXBUF */
	bool csum;			/* CSUM: NEEDS_CSUM from the guest */
	bool guest_csum;		/* GUEST_CSUM: DATA_VALID to it */
	bool tso4, tso6;		/* HOST_TSO4/6: GSO TCP from it */
	struct vu_net_queue q[VU_QUEUES];

	bool rx_starved;		/* send() said -EAGAIN */
	struct vq_elem tx_elem;		/* chain from the guest at hand */
	struct vq_elem rx_elem;		/* chain to the guest at hand */
	struct iovec first_in[VQ_SEG_MAX];	/* first buffer of a frame */
	unsigned int first_in_cnt;
	uint16_t rx_heads[VU_RX_BUFS_MAX];
	uint32_t rx_lens[VU_RX_BUFS_MAX];
	size_t batch_used;		/* bytes of @batch handed to rx */
	uint8_t batch[VU_RX_BATCH_BYTES];	/* frames of one pass */

	/* reserve(): buffers popped, per frame the first and how many */
	unsigned int res_n;		/* frames reserved, 0 if none */
	size_t res_len;			/* bytes of each reserved frame */
	unsigned int res_nbufs;		/* buffers popped in all */
	unsigned int res_niov;
	uint16_t res_head[VU_RES_BUFS];
	uint32_t res_cap[VU_RES_BUFS];	/* writable bytes of each buffer */
	uint16_t res_first[GUEST_RESERVE_MAX];
	uint8_t *res_nb[GUEST_RESERVE_MAX][2];	/* num_buffers, per frame */
	struct iovec res_iov[GUEST_RESERVE_IOV_MAX];
	struct guest_frame res_f[GUEST_RESERVE_MAX];
	struct iovec pcap_iov[GUEST_RESERVE_IOV_MAX];

	struct ratelimit rl_drop;
	uint64_t stats[VN_ST__COUNT];
} net = {
	.flush_fd = -1,
	.hdr_len = VIRTIO_NET_HDR_LEN,
	.q = { { .kick_fd = -1, .call_fd = -1, .err_fd = -1 },
	       { .kick_fd = -1, .call_fd = -1, .err_fd = -1 } },
};

static void vu_net_post(void *arg, uint64_t now);

/* A ring turned out broken: log once, tell the front-end, stop it;
 * #syscalls: write */
static void vu_net_broken(struct vu_net_queue *q, unsigned int idx)
{
	uint64_t one = 1;

	if (q->broken_logged)
		return;
	q->broken_logged = true;
	net.stats[VN_ST_RING_BROKEN]++;
	warn("vhost-user: queue %u: guest error: %s; queue stopped",
	     idx, vq_err_str[q->vq.broken]);
	if (q->err_fd >= 0 && write(q->err_fd, &one, sizeof(one)) < 0)
		debug("vhost-user: queue %u: err eventfd: %s", idx,
		      strerror(errno));
}

static bool vu_net_usable(const struct vu_net_queue *q)
{
	return q->started && !q->vq.broken && net.mem->n;
}

/*
 * Make sure our post hook runs after this send() to publish the used
 * entries. Post hooks run together before the loop sleeps; if ours
 * already ran in this pass (same wakeup time), wake the loop once more.
 */
/* #syscalls: write */
static void vu_net_arm_flush(void)
{
	uint64_t one = 1;

	if (net.flush_armed || net.flush_fd < 0 || loop_now() != net.post_ns)
		return;
	net.flush_armed = true;
	if (write(net.flush_fd, &one, sizeof(one)) < 0)
		net.flush_armed = false;
}

/**
 * vu_net_hdr_check() - what the virtio-net header of a guest frame asks
 * @el:		the chain, header first
 * @flen:	bytes of frame after the header
 * @trusted:	set if the L4 checksum is not to be verified
 *
 * Flags other than NEEDS_CSUM and DATA_VALID, either of those without
 * VIRTIO_NET_F_CSUM, and GSO types other than TCPV4 and TCPV6 with
 * HOST_TSO4 and HOST_TSO6 are refused. NEEDS_CSUM must point
 * at two bytes inside the frame, after the Ethernet header.
 * Return: VN_ST_FROM_GUEST if the frame may go on, else the drop counter
 */
static enum vn_stat vu_net_hdr_check(const struct vq_elem *el, size_t flen,
				     bool *trusted)
{
	const uint8_t ok = VIRTIO_NET_HDR_F_NEEDS_CSUM |
			   VIRTIO_NET_HDR_F_DATA_VALID;
	uint8_t h[VIRTIO_NET_HDR_CSUM_OFFSET_OFF + 2];
	size_t start, off;
	bool gso = false;

	*trusted = false;
	if (vq_iov_to_buf(el->out, el->out_cnt, 0, h, sizeof(h)) != sizeof(h))
		return VN_ST_FROM_GUEST_DROP_HDR;
	switch (h[VIRTIO_NET_HDR_GSO_TYPE_OFF]) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!net.tso4)
			return VN_ST_FROM_GUEST_DROP_GSO;
		gso = true;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!net.tso6)
			return VN_ST_FROM_GUEST_DROP_GSO;
		gso = true;
		break;
	default:
		return VN_ST_FROM_GUEST_DROP_GSO;
	}
	if (!h[VIRTIO_NET_HDR_FLAGS_OFF]) {
		net.stats[VN_ST_FROM_GUEST_GSO] += gso;
		return VN_ST_FROM_GUEST;
	}
	if (!net.csum || (h[VIRTIO_NET_HDR_FLAGS_OFF] & ~ok))
		return VN_ST_FROM_GUEST_DROP_HDR;
	if (h[VIRTIO_NET_HDR_FLAGS_OFF] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		start = h[VIRTIO_NET_HDR_CSUM_START_OFF] |
			(size_t)h[VIRTIO_NET_HDR_CSUM_START_OFF + 1] << 8;
		off = h[VIRTIO_NET_HDR_CSUM_OFFSET_OFF] |
		      (size_t)h[VIRTIO_NET_HDR_CSUM_OFFSET_OFF + 1] << 8;
		if (start < VU_ETH_HLEN || start + off + 2 > flen)
			return VN_ST_FROM_GUEST_DROP_CSUM;
		net.stats[VN_ST_FROM_GUEST_CSUM_PARTIAL]++;
	}
	net.stats[VN_ST_FROM_GUEST_GSO] += gso;
	*trusted = true;
	return VN_ST_FROM_GUEST;
}

/* The frames in the batch buffer are done with: tell rx, start afresh */
static void vu_net_rx_end(uint64_t now)
{
	if (!net.batch_used)
		return;
	if (net.rx_end)
		net.rx_end(now);
	net.batch_used = 0;
}

/**
 * vu_net_tx() - hand frames the guest queued on queue 1 to ingress
 * @now:	time of this wakeup
 *
 * At most one ring's worth per call, so that a busy guest cannot starve
 * the rest of the loop; if more is left, the kick eventfd is re-armed.
 * #syscalls: write
 */
static void vu_net_tx(uint64_t now)
{
	struct vu_net_queue *q = &net.q[VU_QUEUE_TX];
	unsigned int budget;
	enum vq_err e;

	if (!vu_net_usable(q))
		return;
	budget = q->vq.num;
	for (;;) {
		struct vq_elem *el = &net.tx_elem;
		enum vn_stat verdict = VN_ST_FROM_GUEST_DROP_SIZE;
		bool trusted = false;
		size_t len;

		e = vq_pop(&q->vq, net.mem, el);
		if (e == VQ_EMPTY) {
			if (vq_kick_enable(&q->vq))
				continue;
			break;
		}
		if (e) {
			vu_net_broken(q, VU_QUEUE_TX);
			break;
		}

		len = el->out_len;
		if (len >= net.hdr_len && len - net.hdr_len <= VU_FRAME_MAX)
			verdict = vu_net_hdr_check(el, len - net.hdr_len,
						   &trusted);
		if (verdict == VN_ST_FROM_GUEST_DROP_SIZE) {
			net.stats[VN_ST_FROM_GUEST_DROP_SIZE]++;
			log_ratelimited(&net.rl_drop, now, LOG_LVL_WARN,
					"vhost-user: dropped a %zu-byte frame from the guest (limit %zu)",
					len, (size_t)VU_FRAME_MAX);
		} else if (verdict != VN_ST_FROM_GUEST) {
			net.stats[verdict]++;
			log_ratelimited(&net.rl_drop, now, LOG_LVL_WARN,
					"vhost-user: dropped a frame from the guest: its virtio-net header asks for %s",
					verdict == VN_ST_FROM_GUEST_DROP_GSO ?
					"segmentation of a kind we did not offer" :
					verdict == VN_ST_FROM_GUEST_DROP_CSUM ?
					"a checksum outside the frame" :
					"something we did not offer");
		} else if (!q->enabled) {
			net.stats[VN_ST_FROM_GUEST_DROP_DISABLED]++;
		} else {
			uint8_t *frame;

			if (sizeof(net.batch) - net.batch_used <
			    len - net.hdr_len)
				vu_net_rx_end(now);
			frame = net.batch + net.batch_used;
			len = vq_iov_to_buf(el->out, el->out_cnt, net.hdr_len,
					    frame, len - net.hdr_len);
			net.stats[VN_ST_FROM_GUEST]++;
			net.stats[VN_ST_FROM_GUEST_BYTES] += len;
			pcap_buf(frame, len, now);
			/* the next frame starts 16-byte aligned */
			net.batch_used += (len + 15) & ~(size_t)15;
			net.batch_used = MIN(net.batch_used,
					     sizeof(net.batch));
			net.tx->rx_csum_trusted = trusted;
			net.rx(frame, len, now);
			net.tx->rx_csum_trusted = 0;
		}
		vq_push(&q->vq, el->head, 0);

		/* net.rx may have closed the connection */
		if (!vu_net_usable(q))
			break;
		if (!--budget) {
			uint64_t one = 1;

			if (q->kick_fd >= 0 &&
			    write(q->kick_fd, &one, sizeof(one)) < 0)
				debug("vhost-user: re-arm kick: %s",
				      strerror(errno));
			break;
		}
	}
	vu_net_rx_end(now);
}

/* Read and discard an eventfd's counter; false if the fd is unusable;
 * #syscalls: read */
static bool vu_net_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) >= 0 || errno == EAGAIN;
}

static void vu_net_kick_ready(struct watch *w, uint32_t events, uint64_t now)
{
	struct vu_net_queue *q = container_of(w, struct vu_net_queue, kick_w);
	unsigned int idx = q == &net.q[VU_QUEUE_RX] ? VU_QUEUE_RX :
						      VU_QUEUE_TX;

	net.stats[VN_ST_KICKS]++;
	if ((events & (EPOLLERR | EPOLLHUP)) || !vu_net_drain(q->kick_fd)) {
		warn("vhost-user: queue %u: kick fd failed; no longer watched",
		     idx);
		loop_del(q->kick_fd);
		close(q->kick_fd);
		q->kick_fd = -1;
		return;
	}
	if (idx == VU_QUEUE_TX)
		vu_net_tx(now);
	else
		net.rx_starved = true;	/* the post hook wakes the senders */
}

/**
 * vu_net_send() - guest_tx send(): copy one frame into guest RX buffers
 * @tx:		our guest_tx
 * @iov:	frame, starting with the Ethernet header
 * @cnt:	entries in @iov
 *
 * Return: 0, -EAGAIN (not enough buffers: retry after a wake),
 * -EMSGSIZE (never fits), -ENOTCONN (no usable RX queue)
 */
static int vu_net_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	struct vu_net_queue *q = &net.q[VU_QUEUE_RX];
	bool mrg = net.mrg;
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
	size_t flen = 0, total, done = 0, fdone = 0;
	unsigned int nbufs = 0, max_bufs, i;
	uint16_t nb;

	(void)tx;
	assert(!net.res_n);	/* it would take the reserved chains */
	if (!vu_net_usable(q) || !q->enabled)
		return -ENOTCONN;
	for (i = 0; i < cnt; i++)
		flen += iov[i].iov_len;
	if (flen > VU_FRAME_MAX) {
		net.stats[VN_ST_TO_GUEST_DROP_SIZE]++;
		return -EMSGSIZE;
	}
	total = net.hdr_len + flen;
	max_bufs = mrg ? MIN(VU_RX_BUFS_MAX, q->vq.num) : 1;

	while (done < total) {
		struct vq_elem *el = &net.rx_elem;
		enum vq_err e;
		size_t room, n, k;

		if (nbufs == max_bufs) {
			vq_unpop(&q->vq, nbufs);
			net.stats[VN_ST_TO_GUEST_DROP_SIZE]++;
			return -EMSGSIZE;
		}
		e = vq_pop(&q->vq, net.mem, el);
		if (e == VQ_EMPTY) {
			vq_unpop(&q->vq, nbufs);
			net.stats[VN_ST_TO_GUEST_EAGAIN]++;
			net.rx_starved = true;
			vq_kick_on_add(&q->vq);	/* post hook rechecks */
			return -EAGAIN;
		}
		if (e) {
			vq_unpop(&q->vq, nbufs);
			vu_net_broken(q, VU_QUEUE_RX);
			return -ENOTCONN;
		}
		room = el->in_len;
		if (!nbufs) {
			if (room < net.hdr_len) {
				/* Cannot even hold the header: refuse the
				 * guest's buffer as we would a bad chain */
				vq_unpop(&q->vq, 1);
				q->vq.broken = VQ_E_ZERO_LEN;
				vu_net_broken(q, VU_QUEUE_RX);
				return -ENOTCONN;
			}
			memcpy(net.first_in, el->in,
			       sizeof(el->in[0]) * el->in_cnt);
			net.first_in_cnt = el->in_cnt;
			if (net.guest_csum)
				hdr[VIRTIO_NET_HDR_FLAGS_OFF] =
					VIRTIO_NET_HDR_F_DATA_VALID;
			vq_iov_from_buf(el->in, el->in_cnt, 0, hdr,
					net.hdr_len);
			n = net.hdr_len;
		} else {
			n = 0;
		}

		/* Frame bytes from the caller's iov into this chain */
		for (i = 0, k = 0; i < cnt && n < room && fdone < flen; i++) {
			size_t seg = iov[i].iov_len, skip, c;

			if (k + seg <= fdone) {
				k += seg;
				continue;
			}
			skip = fdone - k;
			c = MIN(seg - skip, room - n);
			vq_iov_from_buf(el->in, el->in_cnt, n,
					(const uint8_t *)iov[i].iov_base + skip,
					c);
			n += c;
			fdone += c;
			k += seg;
		}
		net.rx_heads[nbufs] = el->head;
		net.rx_lens[nbufs] = n;
		nbufs++;
		done += n;
	}

	if (net.hdr_len == VIRTIO_NET_HDR_LEN) {
		uint8_t le[2];

		nb = nbufs;
		le[0] = nb & 0xff;
		le[1] = nb >> 8;
		vq_iov_from_buf(net.first_in, net.first_in_cnt,
				VIRTIO_NET_HDR_NUM_BUFFERS_OFF, le, 2);
	}
	for (i = 0; i < nbufs; i++)
		vq_push(&q->vq, net.rx_heads[i], net.rx_lens[i]);
	net.stats[VN_ST_TO_GUEST]++;
	net.stats[VN_ST_TO_GUEST_BYTES] += flen;
	pcap_frame(iov, cnt, 0, loop_now());
	vu_net_arm_flush();
	return 0;
}

/* Address of byte @off of @iov, NULL past its end */
static uint8_t *vu_net_iov_at(const struct iovec *iov, unsigned int cnt,
			      size_t off)
{
	unsigned int i;

	for (i = 0; i < cnt; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}

/**
 * vu_net_reserve_one() - pop the buffers for one more reserved frame
 * @q:		RX queue, usable
 * @f:		filled in: the frame's iovecs, after its virtio-net header
 *
 * Return: 0, -EAGAIN (ring empty), -ENOSPC (our tables are full),
 * -EMSGSIZE (the frame cannot fit in as many buffers as we may merge),
 * -ENOTCONN (ring broken); on an error the buffers taken for this frame
 * are given back
 */
static int vu_net_reserve_one(struct vu_net_queue *q, struct guest_frame *f)
{
	unsigned int max_bufs = net.mrg ? MIN(VU_RX_BUFS_MAX, q->vq.num) : 1;
	unsigned int fi = net.res_n, nb0 = net.res_nbufs, iov0 = net.res_niov;
	size_t need = net.hdr_len + net.res_len, have = 0;
	struct vq_elem *el = &net.rx_elem;
	int ret;

	while (have < need) {
		unsigned int nbufs = net.res_nbufs - nb0, i, skip_cnt = 0;
		enum vq_err e;

		if (nbufs == max_bufs) {
			ret = -EMSGSIZE;
			goto out_unpop;
		}
		if (net.res_nbufs == VU_RES_BUFS) {
			ret = -ENOSPC;
			goto out_unpop;
		}
		e = vq_pop(&q->vq, net.mem, el);
		if (e == VQ_EMPTY) {
			net.rx_starved = true;
			vq_kick_on_add(&q->vq);	/* post hook rechecks */
			ret = -EAGAIN;
			goto out_unpop;
		}
		if (e) {
			vu_net_broken(q, VU_QUEUE_RX);
			ret = -ENOTCONN;
			goto out_unpop;
		}
		net.res_head[net.res_nbufs] = el->head;
		net.res_cap[net.res_nbufs] = (uint32_t)MIN(el->in_len,
							   UINT32_MAX);
		net.res_nbufs++;
		if (!nbufs) {
			uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };

			if (el->in_len < net.hdr_len) {
				/* Cannot even hold the header: refuse the
				 * guest's buffer as we would a bad chain */
				q->vq.broken = VQ_E_ZERO_LEN;
				vu_net_broken(q, VU_QUEUE_RX);
				ret = -ENOTCONN;
				goto out_unpop;
			}
			if (net.guest_csum)
				hdr[VIRTIO_NET_HDR_FLAGS_OFF] =
					VIRTIO_NET_HDR_F_DATA_VALID;
			vq_iov_from_buf(el->in, el->in_cnt, 0, hdr,
					net.hdr_len);
			net.res_nb[fi][0] = vu_net_iov_at(el->in, el->in_cnt,
				VIRTIO_NET_HDR_NUM_BUFFERS_OFF);
			net.res_nb[fi][1] = vu_net_iov_at(el->in, el->in_cnt,
				VIRTIO_NET_HDR_NUM_BUFFERS_OFF + 1);
		}
		if (net.res_niov + el->in_cnt > GUEST_RESERVE_IOV_MAX) {
			ret = -ENOSPC;
			goto out_unpop;
		}
		for (i = 0; i < el->in_cnt; i++) {
			struct iovec v = el->in[i];
			size_t skip = 0;

			if (!nbufs && skip_cnt < net.hdr_len) {
				skip = MIN(v.iov_len, net.hdr_len - skip_cnt);
				skip_cnt += skip;
				if (skip == v.iov_len)
					continue;
				v.iov_base = (uint8_t *)v.iov_base + skip;
				v.iov_len -= skip;
			}
			net.res_iov[net.res_niov++] = v;
		}
		have += el->in_len;
	}
	net.res_first[fi] = (uint16_t)nb0;
	f->iov = net.res_iov + iov0;
	f->cnt = net.res_niov - iov0;
	net.res_f[fi] = *f;
	return 0;

out_unpop:
	/* vq_unpop() after a broken ring is harmless: nothing is read again */
	vq_unpop(&q->vq, (uint16_t)(net.res_nbufs - nb0));
	net.res_nbufs = nb0;
	net.res_niov = iov0;
	return ret;
}

/**
 * vu_net_reserve() - guest_tx reserve(): chains for up to @n frames
 * @tx:		our guest_tx
 * @len:	bytes of each frame
 * @f:		filled in per frame
 * @n:		frames wanted
 *
 * Return: frames reserved, or -ENOTCONN, -EMSGSIZE, -EAGAIN
 */
static int vu_net_reserve(struct guest_tx *tx, size_t len,
			  struct guest_frame *f, unsigned int n)
{
	struct vu_net_queue *q = &net.q[VU_QUEUE_RX];
	int ret = 0;

	(void)tx;
	if (!vu_net_usable(q) || !q->enabled)
		return -ENOTCONN;
	if (len > VU_FRAME_MAX) {
		net.stats[VN_ST_TO_GUEST_DROP_SIZE]++;
		return -EMSGSIZE;
	}
	assert(!net.res_n);
	net.res_len = len;
	net.res_nbufs = 0;
	net.res_niov = 0;
	n = MIN(n, GUEST_RESERVE_MAX);
	while (net.res_n < n) {
		ret = vu_net_reserve_one(q, &f[net.res_n]);
		if (ret)
			break;
		net.res_n++;
	}
	if (net.res_n)
		return (int)net.res_n;
	if (ret == -ENOSPC)
		ret = -EMSGSIZE;	/* not even one frame fits our tables */
	if (ret == -EAGAIN)
		net.stats[VN_ST_TO_GUEST_EAGAIN]++;
	else if (ret == -EMSGSIZE)
		net.stats[VN_ST_TO_GUEST_DROP_SIZE]++;
	return ret;
}

/**
 * vu_net_commit() - guest_tx commit(): hand the first @n frames to the guest
 * @tx:		our guest_tx
 * @n:		frames filled
 * @last_len:	bytes of the last one, the others have the reserved length
 *
 * Each frame's buffers go to the used ring with the bytes they hold; the
 * buffers no frame needed (the last frame's spare ones, those of frames
 * not filled) were popped last, so they go back with one vq_unpop().
 */
static void vu_net_commit(struct guest_tx *tx, unsigned int n,
			  size_t last_len)
{
	struct vu_net_queue *q = &net.q[VU_QUEUE_RX];
	unsigned int i, b = 0;

	(void)tx;
	assert(n <= net.res_n && last_len <= net.res_len);
	for (i = 0; i < n; i++) {
		size_t flen = i + 1 == n ? last_len : net.res_len;
		size_t left = net.hdr_len + flen;
		uint16_t nb = 0;

		b = net.res_first[i];
		while (left) {
			uint32_t used = (uint32_t)MIN((size_t)net.res_cap[b],
						      left);

			vq_push(&q->vq, net.res_head[b], used);
			left -= used;
			b++;
			nb++;
		}
		if (net.hdr_len == VIRTIO_NET_HDR_LEN) {
			if (net.res_nb[i][0])
				*net.res_nb[i][0] = nb & 0xff;
			if (net.res_nb[i][1])
				*net.res_nb[i][1] = nb >> 8;
		}
		if (pcap_active()) {
			size_t cnt = guest_frame_slice(&net.res_f[i], 0, flen,
						       net.pcap_iov,
						       GUEST_RESERVE_IOV_MAX);

			pcap_frame(net.pcap_iov, cnt, 0, loop_now());
		}
		net.stats[VN_ST_TO_GUEST]++;
		net.stats[VN_ST_TO_GUEST_BYTES] += flen;
	}
	vq_unpop(&q->vq, (uint16_t)(net.res_nbufs - b));
	net.res_n = 0;
	net.res_nbufs = 0;
	net.res_niov = 0;
	if (n)
		vu_net_arm_flush();
}

/* Frame bytes in the next VU_ROOM_PEEK chains, headers left out */
static size_t vu_net_room_peek(struct vu_net_queue *q)
{
	uint16_t i, n = MIN(vq_avail_count(&q->vq), VU_ROOM_PEEK);
	size_t sum = 0;

	for (i = 0; i < n; i++) {
		size_t l = vq_peek_in_len(&q->vq, net.mem, i);

		if (l > net.hdr_len)
			sum += l - net.hdr_len;
	}
	return sum;
}

/**
 * vu_net_room() - guest_tx room(): frame bytes the guest has buffers for
 * @tx:		our guest_tx
 *
 * A lower bound from the next VU_ROOM_PEEK chains, each counted without
 * its virtio-net header. Short of a largest frame, the guest is asked to
 * kick when it adds buffers (the kick wakes the guest_tx waiters).
 */
static size_t vu_net_room(struct guest_tx *tx)
{
	struct vu_net_queue *q = &net.q[VU_QUEUE_RX];
	size_t sum;

	(void)tx;
	if (!vu_net_usable(q) || !q->enabled)
		return 0;
	sum = vu_net_room_peek(q);
	if (sum < VU_FRAME_MAX) {
		/* The caller may now wait for room (guest_tx_wait()) until
		 * a kick: ask for one, then count what came meanwhile */
		vq_kick_on_add(&q->vq);
		sum = vu_net_room_peek(q);
	}
	return sum;
}

/* Post hook work: wake senders, then publish and interrupt once per ring;
 * #syscalls: write */
void vu_net_poll(uint64_t now)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_net_queue *q = &net.q[i];

		/* Polling mode (nofd kick): look at the ring every time */
		if (i == VU_QUEUE_TX && q->kick_fd < 0)
			vu_net_tx(now);
	}

	/* Senders first, so their frames go out in this flush */
	if (net.rx_starved && vu_net_usable(&net.q[VU_QUEUE_RX]) &&
	    net.q[VU_QUEUE_RX].enabled &&
	    vq_avail_count(&net.q[VU_QUEUE_RX].vq)) {
		net.rx_starved = false;
		guest_tx_wake(net.tx, now);
	}

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_net_queue *q = &net.q[i];
		uint64_t one = 1;

		if (!vu_net_usable(q)) {
			if (q->started && q->vq.broken)
				vu_net_broken(q, i);
			continue;
		}
		if (!vq_flush(&q->vq) || q->call_fd < 0)
			continue;
		net.stats[VN_ST_CALLS]++;
		if (write(q->call_fd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			debug("vhost-user: queue %u: call eventfd: %s", i,
			      strerror(errno));
	}
	net.flush_armed = false;
}

static void vu_net_post(void *arg, uint64_t now)
{
	(void)arg;
	vu_net_poll(now);
	net.post_ns = now;
}

static void vu_net_flush_ready(struct watch *w, uint32_t events, uint64_t now)
{
	(void)w;
	(void)events;
	(void)now;
	vu_net_drain(net.flush_fd);
}


/* ---- control, for link/vhost_user.c ---------------------------------- */

struct vq *vu_net_vq(unsigned int idx)
{
	return &net.q[idx].vq;
}

bool vu_net_started(unsigned int idx)
{
	return net.q[idx].started;
}

void vu_net_set_features(uint64_t f)
{
	bool version1 = f & (1ULL << VIRTIO_F_VERSION_1);
	unsigned int i;

	net.mrg = f & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	net.csum = f & (1ULL << VIRTIO_NET_F_CSUM);
	net.guest_csum = f & (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	net.tso4 = f & (1ULL << VIRTIO_NET_F_HOST_TSO4);
	net.tso6 = f & (1ULL << VIRTIO_NET_F_HOST_TSO6);
	if (net.tx)
		net.tx->csum_optional = net.guest_csum;
	/* virtio 1.x 5.1.6: num_buffers is there with either feature */
	net.hdr_len = (version1 || net.mrg) ? VIRTIO_NET_HDR_LEN : 10;
	for (i = 0; i < VU_QUEUES; i++) {
		net.q[i].vq.event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
		net.q[i].vq.indirect =
			f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	}
}

int vu_net_start(unsigned int idx, int kick_fd)
{
	struct vu_net_queue *q = &net.q[idx];

	vu_net_stop(idx);
	/* Registered now rather than at open, so that it runs after the
	 * post hooks of modules set up later (TCP sends from its own):
	 * their frames then go out in this pass, without an extra wakeup */
	if (loop_add_post(vu_net_post, NULL)) {
		if (kick_fd >= 0)
			close(kick_fd);
		return -ENOSPC;
	}
	if (kick_fd >= 0) {
		q->kick_w.fn = vu_net_kick_ready;
		if (loop_add(kick_fd, EPOLLIN, &q->kick_w)) {
			close(kick_fd);
			return -EIO;
		}
		/* A kick sent before we watched is already counted */
	}
	q->kick_fd = kick_fd;
	vq_start(&q->vq);
	q->started = true;
	q->broken_logged = false;
	debug("vhost-user: queue %u started, size %u, avail %u, used %u",
	      idx, q->vq.num, q->vq.last_avail, q->vq.used_idx);
	return 0;
}

uint16_t vu_net_stop(unsigned int idx)
{
	struct vu_net_queue *q = &net.q[idx];

	if (q->started && !q->vq.broken)
		vq_flush(&q->vq);
	if (q->kick_fd >= 0) {
		loop_del(q->kick_fd);
		close(q->kick_fd);
		q->kick_fd = -1;
	}
	q->started = false;
	return q->vq.last_avail;
}

static void vu_net_replace_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

void vu_net_set_call(unsigned int idx, int fd)
{
	vu_net_replace_fd(&net.q[idx].call_fd, fd);
}

void vu_net_set_err(unsigned int idx, int fd)
{
	vu_net_replace_fd(&net.q[idx].err_fd, fd);
}

void vu_net_enable(unsigned int idx, bool on)
{
	net.q[idx].enabled = on;
	if (idx == VU_QUEUE_RX && on)
		net.rx_starved = true;	/* let waiters try again */
}

void vu_net_reset(void)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_net_queue *q = &net.q[i];

		vu_net_stop(i);
		vu_net_replace_fd(&q->call_fd, -1);
		vu_net_replace_fd(&q->err_fd, -1);
		memset(&q->vq, 0, sizeof(q->vq));
		q->enabled = q->broken_logged = false;
	}
	vu_net_set_features(0);
	net.rx_starved = false;
	net.res_n = net.res_nbufs = net.res_niov = 0;
}

/* #syscalls: eventfd2 epoll_ctl */
int vu_net_open(const struct vq_mem *mem, link_rx_fn rx,
		link_rx_end_fn rx_end, struct guest_tx *tx)
{
	net.mem = mem;
	net.rx = rx;
	net.rx_end = rx_end;
	net.batch_used = 0;
	net.tx = tx;
	tx->send = vu_net_send;
	tx->room = vu_net_room;
	tx->reserve = vu_net_reserve;
	tx->commit = vu_net_commit;
	tx->link = &net;
	if (!net.registered)
		stats_register("link", vn_stat_names, net.stats, VN_ST__COUNT);
	net.registered = true;
	vu_net_reset();

	net.flush_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (net.flush_fd < 0)
		return -errno;
	net.flush_w.fn = vu_net_flush_ready;
	if (loop_add(net.flush_fd, EPOLLIN, &net.flush_w)) {
		close(net.flush_fd);
		net.flush_fd = -1;
		return -EIO;
	}
	return 0;
}

void vu_net_close(void)
{
	vu_net_reset();
	if (net.flush_fd >= 0) {
		loop_del(net.flush_fd);
		close(net.flush_fd);
		net.flush_fd = -1;
	}
}
