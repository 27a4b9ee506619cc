// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/stream.c - Ethernet frames over a stream socket, QEMU's way
 *
 * Input: one buffer of STREAM_IN_CHUNK plus the largest frame. Each read
 * appends to it; the parser then delivers every complete frame in place
 * and moves the incomplete tail (less than one frame) to the front. A bad
 * length never desynchronises us: its frame's bytes are skipped (@in_skip),
 * even across reads, and counted.
 *
 * Splicing (only if the receiver offers link_conf rx_splice_check, built
 * with -Dstream_splice): after a large frame, the next one is looked at
 * before it is read (stream_splice_frame()): its length prefix and
 * headers are read alone, and if the receiver takes it and it is all in
 * the socket, its payload is left there for the receiver to move with
 * guest_tx rx_splice() (socket -> @sp_pipe -> host socket). Reads then
 * stop at frame ends, so that the next frame can be looked at too; a
 * small frame turns looking off until the next large one.
 *
 * Output: a ring of STREAM_OUT_QUEUE bytes holding length-prefixed
 * frames. send() copies a frame in, or says -EAGAIN if it does not fit.
 * The ring is flushed with sendmsg() at the end of every loop iteration
 * (post hook), early when it passes STREAM_FLUSH_AT, and on EPOLLOUT once
 * the socket was full. Senders that met -EAGAIN are woken once the ring
 * has room for a full frame again. reserve() hands out room behind the
 * tail for frames a sender fills in place (its recvmsg() writing straight
 * into the ring); commit() writes their length prefixes and makes them
 * part of the queue, as send() would have. A sender of several frames at
 * once (send_many) has them written straight from its buffers with one
 * sendmsg() while the ring is empty; only what the socket does not take
 * is copied into it. The length of the frame at the head
 * of the ring is tracked (@out_frame_left) so that frames lost at a
 * disconnection can be counted.
 *
 * Short frames: every frame goes to the guest at least ETH_ZLEN (60)
 * bytes long, zero-filled past what the sender gave, as on a real wire
 * and as QEMU's tap and slirp back-ends hand them to a NIC model (QEMU
 * does not pad what comes over a socket). A NIC model may take a shorter
 * frame for a runt: e1000e counts each as a receive length error (QEMU
 * 7.2, Linux 6.1: tests/system/test_nic_models.py). The IP, TCP and UDP
 * lengths and checksums inside are left alone (receivers trim by the IP
 * length). Frames of 60 bytes and more are not touched; a short one
 * costs a few zero bytes in the ring, or one more iovec in a direct
 * write. Counted as "tx_padded".
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/pcap.h"
#include "core/stats.h"
#include "link/stream.h"
#include "packet/packet.h"

#define STREAM_LEN_SIZE		4	/* big-endian length before a frame */
#define STREAM_READS_MAX	8	/* reads per wakeup, for fairness */
#define STREAM_SOCKBUF		(4 << 20)	/* SO_SNDBUF/SO_RCVBUF wish */
#define STREAM_MANY_IOV		1024	/* iovecs of one direct sendmsg() */
#define STREAM_SPLICE_MIN	(8U << 10)	/* frames worth a splice */
#define STREAM_SPLICE_HDR_MAX	192	/* most header bytes read at once */
#define STREAM_SPLICE_HDR	66	/* first guess: IPv4, TCP timestamps */
#define STREAM_SPLICE_PIPE	(1 << 20)	/* pipe size we ask for */
#define STREAM_SPLICE_BACKOFF	64	/* most reads to wait after a "no" */

enum stream_stat {
	STREAM_RX_FRAMES,
	STREAM_RX_BYTES,
	STREAM_RX_ZERO,		/* length 0: dropped */
	STREAM_RX_SHORT,	/* shorter than an Ethernet header */
	STREAM_RX_OVERSIZED,	/* longer than MTU + 14 */
	STREAM_TX_FRAMES,	/* queued to the guest */
	STREAM_TX_PADDED,	/* of those, padded to ETH_ZLEN */
	STREAM_TX_BYTES,
	STREAM_TX_FULL,		/* send() said -EAGAIN: queue full */
	STREAM_TX_TOO_BIG,	/* send() said -EMSGSIZE */
	STREAM_TX_NOCONN,	/* send() said -ENOTCONN */
	STREAM_TX_LOST,		/* queued, then the guest went away */
	STREAM_CONNECTS,
	STREAM_DISCONNECTS,
	STREAM_REFUSED,		/* second guest while one is connected */
	STREAM_RX_SPLICED,	/* frames whose payload was spliced */
	STREAM_RX_SPLICED_BYTES, /* payload bytes spliced to host sockets */
	STREAM_RX_SPLICE_DROP,	/* payload bytes the host socket refused */
	STREAM_RX_SPLICE_PARTIAL, /* large frame not all there yet: read */
	STREAM_RX_SPLICE_NO,	/* large frame the receiver did not take */
	STREAM_STAT__COUNT
};

static const char *const stream_stat_names[] = {
	[STREAM_RX_FRAMES]	= "rx_frames",
	[STREAM_RX_BYTES]	= "rx_bytes",
	[STREAM_RX_ZERO]	= "rx_zero_length",
	[STREAM_RX_SHORT]	= "rx_short",
	[STREAM_RX_OVERSIZED]	= "rx_oversized",
	[STREAM_TX_FRAMES]	= "tx_frames",
	[STREAM_TX_PADDED]	= "tx_padded",
	[STREAM_TX_BYTES]	= "tx_bytes",
	[STREAM_TX_FULL]	= "tx_queue_full",
	[STREAM_TX_TOO_BIG]	= "tx_too_big",
	[STREAM_TX_NOCONN]	= "tx_not_connected",
	[STREAM_TX_LOST]	= "tx_lost",
	[STREAM_CONNECTS]	= "connects",
	[STREAM_DISCONNECTS]	= "disconnects",
	[STREAM_REFUSED]	= "refused",
	[STREAM_RX_SPLICED]	= "rx_spliced_frames",
	[STREAM_RX_SPLICED_BYTES] = "rx_spliced_bytes",
	[STREAM_RX_SPLICE_DROP]	= "rx_splice_dropped_bytes",
	[STREAM_RX_SPLICE_PARTIAL] = "rx_splice_partial",
	[STREAM_RX_SPLICE_NO]	= "rx_splice_declined",
};
static_assert(ARRAY_SIZE(stream_stat_names) == STREAM_STAT__COUNT,
	      "a name for every stream counter");
static_assert(STREAM_OUT_QUEUE > 2 * (STREAM_FRAME_LIMIT + STREAM_LEN_SIZE),
	      "the output queue holds at least two largest frames");

/**
 * struct stream - the one stream link
 * @conn_w:	watch on @fd
 * @listen_w:	watch on @listen_fd
 * @fd:		connection to QEMU, -1 when none (owned)
 * @listen_fd:	listening socket, -1 with --fd (owned once opened)
 * @path:	what @listen_fd is bound to, for messages
 * @exit_on_close: --fd or --one-off: the end of the connection ends us
 * @max_frame:	largest frame accepted or sent (MTU + 14)
 * @rx:		where good frames from the guest go
 * @rx_end:	told when the frames of one read are done with, or NULL
 * @tx:		our side of struct guest_tx
 * @in:		input buffer, @in_cap bytes, @in_len used from the start
 * @in_skip:	bytes of a dropped frame still to be discarded
 * @out:	output ring, @out_cap bytes, @out_len used from @out_head
 * @out_frame_left: bytes of the frame at @out_head not yet sent, 0 if
 *		@out_head is at a frame boundary
 * @out_polled:	EPOLLOUT is on: the socket was full
 * @res_n:	frames reserved behind the tail, 0 if none
 * @res_len:	bytes of each reserved frame
 * @res_iov:	their room in @out, one or two entries each (ring wrap)
 * @dead:	the connection failed; closed at the next safe point
 * @dead_err:	errno that killed it, 0 for EOF
 * @post_ns:	loop_now() when our post hook last ran
 * @hooked:	the post hook is registered (at the first frame queued)
 * @rl_oversized, @rl_refused: rate limits for guest-triggered warnings
 * @sp_check:	link_conf rx_splice_check, NULL: never splice
 * @sp_pipe:	pipe the spliced payloads go through, -1 if none (owned);
 *		empty between frames
 * @sp_peek:	the last frame was large: look at the next one's headers
 *		before reading it
 * @sp_wait:	reads to go before looking again, after a "no"
 * @sp_backoff:	what @sp_wait starts from after the next "no"
 * @sp_hlen:	header bytes to read with a frame's length: as many as
 *		the last frame taken had
 * @sp_left:	payload bytes of the frame at hand still in the socket
 * @sp_pre:	payload bytes of it read with the headers, not yet sent
 * @sp_off:	where its payload starts in the frame
 * @sp_avail:	bytes known to be in the socket (SIOCINQ), counted down
 */
struct stream {
	struct watch conn_w;
	struct watch listen_w;
	int fd;
	int listen_fd;
	const char *path;
	bool exit_on_close;
	size_t max_frame;
	link_rx_fn rx;
	link_rx_end_fn rx_end;
	struct guest_tx *tx;

	uint8_t *in;
	size_t in_cap;
	size_t in_len;
	uint64_t in_skip;

	uint8_t *out;
	size_t out_cap;
	size_t out_head;
	size_t out_len;
	size_t out_frame_left;
	bool out_polled;

	unsigned int res_n;
	size_t res_len;
	struct iovec res_iov[2 * GUEST_RESERVE_MAX];

	bool dead;
	int dead_err;
	uint64_t post_ns;
	bool hooked;
	struct ratelimit rl_oversized;
	struct ratelimit rl_refused;

	size_t (*sp_check)(const uint8_t *frame, size_t len, size_t have,
			   uint64_t now_ns);
	int sp_pipe[2];
	bool sp_peek;
	unsigned int sp_wait;
	unsigned int sp_backoff;
	size_t sp_hlen;
	size_t sp_left;
	size_t sp_pre;
	size_t sp_off;
	size_t sp_avail;
};

/* Padding of short frames, read only */
static const uint8_t stream_zeros[ETH_ZLEN];

/* Bytes a frame of @len takes on the link: never less than ETH_ZLEN */
static size_t stream_wire_len(size_t len)
{
	return MAX(len, (size_t)ETH_ZLEN);
}

static struct stream stream = { .fd = -1, .listen_fd = -1,
				.sp_pipe = { -1, -1 } };
static uint64_t stream_stats[STREAM_STAT__COUNT];

bool stream_connected(void)
{
	return stream.fd >= 0;
}

/* Output ring */

/* Write @len bytes @off bytes past the tail, leaving the tail alone */
static void ring_put_at(struct stream *s, size_t off, const void *data,
			size_t len)
{
	size_t pos = (s->out_head + s->out_len + off) % s->out_cap;
	size_t first = MIN(len, s->out_cap - pos);

	memcpy(s->out + pos, data, first);
	memcpy(s->out, (const uint8_t *)data + first, len - first);
}

static void ring_put(struct stream *s, const void *data, size_t len)
{
	ring_put_at(s, 0, data, len);
	s->out_len += len;
}

/* Bytes [@off, @off + @len) past the tail as at most two iovecs */
static size_t ring_span(const struct stream *s, size_t off, size_t len,
			struct iovec *iov)
{
	size_t pos = (s->out_head + s->out_len + off) % s->out_cap;
	size_t first = MIN(len, s->out_cap - pos);

	iov[0].iov_base = s->out + pos;
	iov[0].iov_len = first;
	if (first == len)
		return 1;
	iov[1].iov_base = s->out;
	iov[1].iov_len = len - first;
	return 2;
}

/* Read the length prefix at @off bytes past the head */
static uint32_t ring_len_at(const struct stream *s, size_t off)
{
	uint8_t b[STREAM_LEN_SIZE];
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = s->out[(s->out_head + off + i) % s->out_cap];
	return get_be32(b);
}

/* Drop @n sent bytes from the head, keeping track of frame boundaries */
static void ring_consume(struct stream *s, size_t n)
{
	while (n) {
		size_t step;

		if (!s->out_frame_left)
			s->out_frame_left = STREAM_LEN_SIZE +
					    ring_len_at(s, 0);
		step = MIN(n, s->out_frame_left);
		s->out_head = (s->out_head + step) % s->out_cap;
		s->out_len -= step;
		s->out_frame_left -= step;
		n -= step;
	}
	if (!s->out_len)
		s->out_head = 0;
}

/* Frames (whole or partly unsent) still in the ring */
static uint64_t ring_frames(const struct stream *s)
{
	size_t off = s->out_frame_left;
	uint64_t n = s->out_frame_left ? 1 : 0;

	while (off < s->out_len) {
		off += STREAM_LEN_SIZE + ring_len_at(s, off);
		n++;
	}
	return n;
}

static void stream_poll_out(struct stream *s, bool on)
{
	if (s->out_polled == on || s->fd < 0)
		return;
	if (!loop_mod(s->fd, EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0),
		      &s->conn_w))
		s->out_polled = on;
}

/**
 * stream_flush() - write as much of the output ring as the socket takes
 * @s:		stream with a connection
 *
 * Never closes the connection (it may run inside a sender's call chain):
 * a failure only marks it @dead.
 * #syscalls: sendmsg epoll_ctl
 */
static void stream_flush(struct stream *s)
{
	while (s->out_len && !s->dead) {
		size_t first = MIN(s->out_len, s->out_cap - s->out_head);
		struct iovec iov[2] = {
			{ .iov_base = s->out + s->out_head, .iov_len = first },
			{ .iov_base = s->out, .iov_len = s->out_len - first },
		};
		struct msghdr mh = { .msg_iov = iov,
				     .msg_iovlen = iov[1].iov_len ? 2 : 1 };
		ssize_t n;

		n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				stream_poll_out(s, true);
				return;
			}
			s->dead = true;
			s->dead_err = errno;
			return;
		}
		ring_consume(s, (size_t)n);
	}
	stream_poll_out(s, false);
}

static void stream_post(void *arg, uint64_t now);

/*
 * The post hook goes in when the first frame is queued rather than at
 * open: it then runs after the hooks of the modules set up after us (TCP
 * sends from its own), so that what they queue leaves in one flush per
 * iteration instead of one sendmsg() each. Until it is in, every frame is
 * flushed at once.
 */
static void stream_hook(struct stream *s)
{
	if (!s->hooked && !loop_add_post(stream_post, s))
		s->hooked = true;
}

/* guest_tx operations */

static size_t stream_room(struct guest_tx *tx)
{
	struct stream *s = tx->link;
	size_t free_bytes = s->out_cap - s->out_len;

	if (s->fd < 0 || s->dead || free_bytes <= STREAM_LEN_SIZE)
		return 0;
	return free_bytes - STREAM_LEN_SIZE;
}

static int stream_send(struct guest_tx *tx, const struct iovec *iov,
		       size_t cnt)
{
	struct stream *s = tx->link;
	uint8_t hdr[STREAM_LEN_SIZE];
	struct iovec cap[2];
	size_t len = 0, wire, capn, i;

	stream_hook(s);
	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	wire = stream_wire_len(len);
	if (s->fd < 0 || s->dead) {
		stream_stats[STREAM_TX_NOCONN]++;
		return -ENOTCONN;
	}
	if (len > s->max_frame) {
		stream_stats[STREAM_TX_TOO_BIG]++;
		return -EMSGSIZE;
	}
	if (s->out_cap - s->out_len < wire + STREAM_LEN_SIZE) {
		stream_stats[STREAM_TX_FULL]++;
		return -EAGAIN;
	}
	assert(!s->res_n);	/* it would land in the reserved room */

	/* where the frame goes, for the capture: as the guest gets it */
	capn = ring_span(s, STREAM_LEN_SIZE, wire, cap);
	put_be32(hdr, (uint32_t)wire);
	ring_put(s, hdr, sizeof(hdr));
	for (i = 0; i < cnt; i++)
		ring_put(s, iov[i].iov_base, iov[i].iov_len);
	if (wire > len) {
		ring_put(s, stream_zeros, wire - len);
		stream_stats[STREAM_TX_PADDED]++;
	}
	stream_stats[STREAM_TX_FRAMES]++;
	stream_stats[STREAM_TX_BYTES] += wire;
	pcap_frame(cap, capn, 0, loop_now());

	/* Past our post hook in this iteration, nothing else would flush */
	if (s->out_len >= STREAM_FLUSH_AT || s->post_ns == loop_now() ||
	    !s->hooked)
		stream_flush(s);
	return 0;
}

/**
 * stream_reserve() - guest_tx reserve(): room for frames behind the tail
 * @tx:		our guest_tx
 * @len:	bytes of each frame
 * @f:		filled in per frame: one iovec, two where the ring wraps
 * @n:		frames wanted
 *
 * Each frame's length prefix is left out of @f and written by commit().
 * Frames shorter than ETH_ZLEN get room for their padding too.
 * Return: frames reserved, or -ENOTCONN, -EMSGSIZE, -EAGAIN
 */
static int stream_reserve(struct guest_tx *tx, size_t len,
			  struct guest_frame *f, unsigned int n)
{
	struct stream *s = tx->link;
	size_t per = stream_wire_len(len) + STREAM_LEN_SIZE, k, i, used = 0;

	stream_hook(s);
	if (s->fd < 0 || s->dead) {
		stream_stats[STREAM_TX_NOCONN]++;
		return -ENOTCONN;
	}
	if (len > s->max_frame) {
		stream_stats[STREAM_TX_TOO_BIG]++;
		return -EMSGSIZE;
	}
	assert(!s->res_n);
	k = MIN((size_t)MIN(n, GUEST_RESERVE_MAX),
		(s->out_cap - s->out_len) / per);
	if (!k) {
		stream_stats[STREAM_TX_FULL]++;
		return -EAGAIN;
	}
	for (i = 0; i < k; i++) {
		f[i].iov = s->res_iov + used;
		f[i].cnt = ring_span(s, i * per + STREAM_LEN_SIZE, len,
				     s->res_iov + used);
		used += f[i].cnt;
	}
	s->res_n = (unsigned int)k;
	s->res_len = len;
	return (int)k;
}

/**
 * stream_commit() - guest_tx commit(): queue the first @n reserved frames
 * @tx:		our guest_tx
 * @n:		frames filled, at most as many as reserved
 * @last_len:	bytes of the last one (the others have the reserved length)
 */
static void stream_commit(struct guest_tx *tx, unsigned int n,
			  size_t last_len)
{
	struct stream *s = tx->link;
	size_t per = stream_wire_len(s->res_len) + STREAM_LEN_SIZE, off = 0;
	unsigned int i;

	assert(n <= s->res_n && last_len <= s->res_len);
	s->res_n = 0;
	for (i = 0; i < n; i++) {
		size_t len = i + 1 == n ? last_len : s->res_len;
		size_t wire = stream_wire_len(len);
		uint8_t hdr[STREAM_LEN_SIZE];
		struct iovec iov[2];
		size_t cnt;

		put_be32(hdr, (uint32_t)wire);
		ring_put_at(s, off, hdr, sizeof(hdr));
		if (wire > len) {	/* reserve() left room for it */
			ring_put_at(s, off + STREAM_LEN_SIZE + len,
				    stream_zeros, wire - len);
			stream_stats[STREAM_TX_PADDED]++;
		}
		if (pcap_active()) {
			cnt = ring_span(s, off + STREAM_LEN_SIZE, wire, iov);
			pcap_frame(iov, cnt, 0, loop_now());
		}
		stream_stats[STREAM_TX_FRAMES]++;
		stream_stats[STREAM_TX_BYTES] += wire;
		off += per;
	}
	if (!n)
		return;
	s->out_len += (n - 1) * per + STREAM_LEN_SIZE +
		      stream_wire_len(last_len);
	if (s->out_len >= STREAM_FLUSH_AT || s->post_ns == loop_now() ||
	    !s->hooked)
		stream_flush(s);
}

/* Frames of one direct write: length prefixes and the iovecs around them */
static uint8_t stream_many_len[STREAM_MANY_IOV / 2][STREAM_LEN_SIZE];
static struct iovec stream_many_iov[STREAM_MANY_IOV];

/**
 * stream_write_direct() - write gathered frames, queue what is left
 * @s:		connected stream with an empty output ring
 * @cnt:	iovecs in stream_many_iov, prefixes included
 * @frames:	frames among them (prefix stream_many_len[k] starts frame k)
 * @total:	bytes in all, at most the ring's capacity
 *
 * What the socket does not take goes into the ring, the frame at its
 * head marked as partly sent; like stream_flush(), a failure only marks
 * the connection @dead (its frames are then counted lost).
 * #syscalls: sendmsg
 */
static void stream_write_direct(struct stream *s, size_t cnt,
				unsigned int frames, size_t total)
{
	struct msghdr mh = { .msg_iov = stream_many_iov, .msg_iovlen = cnt };
	size_t skip, i;
	unsigned int k;
	ssize_t n;

	do {
		n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->dead = true;
			s->dead_err = errno;
		}
		n = 0;
	}
	if ((size_t)n == total)
		return;

	/* The ring was empty: its head will be inside frame k, or at it */
	skip = (size_t)n;
	for (k = 0; k < frames; k++) {
		size_t flen = STREAM_LEN_SIZE + get_be32(stream_many_len[k]);

		if (skip < flen) {
			s->out_frame_left = skip ? flen - skip : 0;
			break;
		}
		skip -= flen;
	}
	skip = (size_t)n;
	for (i = 0; i < cnt; i++) {
		const struct iovec *v = &stream_many_iov[i];
		size_t off = MIN(skip, v->iov_len);

		skip -= off;
		ring_put(s, (const uint8_t *)v->iov_base + off,
			 v->iov_len - off);
	}
	stream_poll_out(s, true);
}

/*
 * guest_tx send_many: while nothing is queued before them, frames go to
 * the socket from the sender's buffers in one sendmsg(); else, or if one
 * is too large, one by one through stream_send()
 */
static int stream_send_many(struct guest_tx *tx, const struct iovec *iov,
			    size_t per, unsigned int n)
{
	struct stream *s = tx->link;
	unsigned int done = 0;

	stream_hook(s);
	assert(!s->res_n);	/* it would land in the reserved room */
	while (done < n) {
		size_t cnt = 0, total = 0;
		unsigned int k, m = 0;
		int rc;

		if (s->out_len && !s->out_polled && s->fd >= 0 && !s->dead)
			stream_flush(s);
		/* room for a prefix, the frame and a padding iovec */
		for (k = done; per && !s->out_len && s->fd >= 0 && !s->dead &&
		     k < n && cnt + 2 + per <= STREAM_MANY_IOV; k++) {
			const struct iovec *f = iov + (size_t)k * per;
			size_t len = 0, wire, first, i;

			for (i = 0; i < per; i++)
				len += f[i].iov_len;
			wire = stream_wire_len(len);
			if (len > s->max_frame ||
			    total + STREAM_LEN_SIZE + wire > s->out_cap)
				break;
			put_be32(stream_many_len[m], (uint32_t)wire);
			stream_many_iov[cnt].iov_base = stream_many_len[m];
			stream_many_iov[cnt++].iov_len = STREAM_LEN_SIZE;
			first = cnt;
			memcpy(&stream_many_iov[cnt], f, per * sizeof(*f));
			cnt += per;
			if (wire > len) {
				stream_many_iov[cnt].iov_base =
					(void *)stream_zeros;
				stream_many_iov[cnt++].iov_len = wire - len;
				stream_stats[STREAM_TX_PADDED]++;
			}
			total += STREAM_LEN_SIZE + wire;
			stream_stats[STREAM_TX_FRAMES]++;
			stream_stats[STREAM_TX_BYTES] += wire;
			pcap_frame(&stream_many_iov[first], cnt - first, 0,
				   loop_now());
			m++;
		}
		if (m) {
			stream_write_direct(s, cnt, m, total);
			done += m;
			continue;
		}
		rc = stream_send(tx, iov + (size_t)done * per, per);
		if (rc < 0)
			return done ? (int)done : rc;
		done++;
	}
	return (int)done;
}

/* Senders that met -EAGAIN may go on once a largest frame fits again */
static void stream_wake(struct stream *s, uint64_t now)
{
	if (s->tx->waiters &&
	    stream_room(s->tx) >= s->max_frame + STREAM_LEN_SIZE)
		guest_tx_wake(s->tx, now);
}

/* Input */

/*
 * Deliver every complete frame in the input buffer, drop bad ones; then
 * end the batch (receivers may hold on to the frames until then) before
 * the incomplete tail moves over them
 */
static void stream_parse(struct stream *s, uint64_t now)
{
	bool delivered = false;
	size_t pos = 0, last = 0;

	for (;;) {
		size_t avail = s->in_len - pos;
		uint32_t len;

		if (s->in_skip) {
			size_t k = (size_t)MIN(s->in_skip, (uint64_t)avail);

			pos += k;
			s->in_skip -= k;
			if (s->in_skip)
				break;
			continue;
		}
		if (avail < STREAM_LEN_SIZE)
			break;
		len = get_be32(s->in + pos);
		if (!len) {
			stream_stats[STREAM_RX_ZERO]++;
			trace("link: drop: zero-length frame from the guest");
			pos += STREAM_LEN_SIZE;
			continue;
		}
		if (len < ETH_HLEN || len > s->max_frame) {
			if (len < ETH_HLEN) {
				stream_stats[STREAM_RX_SHORT]++;
				trace("link: drop: %u-byte frame from the guest, shorter than an Ethernet header",
				      len);
			} else {
				stream_stats[STREAM_RX_OVERSIZED]++;
				log_ratelimited(&s->rl_oversized, now,
						LOG_LVL_WARN,
						"link: dropping a %u-byte frame from the guest: larger than MTU + 14 (%zu bytes)",
						len, s->max_frame);
			}
			pos += STREAM_LEN_SIZE;
			s->in_skip = len;
			continue;
		}
		if (avail < STREAM_LEN_SIZE + len)
			break;

		pos += STREAM_LEN_SIZE;
		stream_stats[STREAM_RX_FRAMES]++;
		stream_stats[STREAM_RX_BYTES] += len;
		pcap_buf(s->in + pos, len, now);
		s->rx(s->in + pos, len, now);
		delivered = true;
		last = len;
		pos += len;
	}
	if (delivered && s->rx_end)
		s->rx_end(now);
	if (delivered && s->sp_check) {
		if (s->sp_wait)
			s->sp_wait--;
		else
			s->sp_peek = last >= STREAM_SPLICE_MIN;
	}
	s->in_len -= pos;
	if (s->in_len)
		memmove(s->in, s->in + pos, s->in_len);
}

/* Splicing guest payloads into host sockets */

/* Empty the pipe after a host socket refused part of a payload */
static void stream_pipe_drain(struct stream *s)
{
	uint8_t *junk = s->in + STREAM_LEN_SIZE + s->sp_off;
	size_t cap = s->in_cap - STREAM_LEN_SIZE - s->sp_off;
	ssize_t n;

	do {
		n = read(s->sp_pipe[0], junk, cap);
		if (n > 0)
			stream_stats[STREAM_RX_SPLICE_DROP] += (uint64_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
}

/*
 * @len bytes in the pipe to @fd: bytes taken, or -errno if it failed
 * before taking any; #syscalls: splice
 */
static ssize_t stream_pipe_out(struct stream *s, int fd, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = splice(s->sp_pipe[0], NULL, fd, NULL, len - done,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && !done)
			return -errno;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Payload bytes read with the headers go by send() first; #syscalls: sendto
 * Return: bytes @fd took, or -errno if it failed before taking any
 */
static ssize_t stream_pre_out(struct stream *s, int fd, size_t len)
{
	ssize_t n;

	do {
		n = send(fd, s->in + STREAM_LEN_SIZE + s->sp_off, len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n < 0 ? -errno : n;
}

/**
 * stream_rx_splice() - guest_tx rx_splice: payload of the frame at hand
 * from the socket through the pipe into @fd
 * @tx:		our guest_tx
 * @fd:		host socket
 * @len:	bytes wanted, at most what is left of the payload
 *
 * What @fd refuses is read out of the pipe and dropped, so that the pipe
 * is empty again; what is left in the socket is skipped afterwards
 * (stream_splice_frame()).
 * Return: bytes @fd took, or -errno if it failed before taking any
 * #syscalls: splice read
 */
static ssize_t stream_rx_splice(struct guest_tx *tx, int fd, size_t len)
{
	struct stream *s = tx->link;
	size_t done = 0;

	if (!tx->rx_in_link)
		return -EINVAL;
	len = MIN(len, s->sp_pre + s->sp_left);
	if (s->sp_pre && len) {
		size_t k = MIN(len, s->sp_pre);
		ssize_t out = stream_pre_out(s, fd, k);

		if (out < 0)
			return out;
		done = (size_t)out;
		stream_stats[STREAM_RX_SPLICED_BYTES] += done;
		if (done < k)
			return (ssize_t)done;	/* the rest is dropped */
		s->sp_pre = 0;
	}
	while (done < len) {
		ssize_t in, out;

		in = splice(s->fd, NULL, s->sp_pipe[1], NULL, len - done,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (in < 0 && errno == EINTR)
			continue;
		if (in < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNRESET) {
			warn("link: cannot splice from the guest's socket (%s): copying from now on",
			     strerror(errno));
			s->sp_check = NULL;
			s->sp_peek = false;
		}
		if (in <= 0)
			break;	/* gone or not there after all: skipped */
		s->sp_left -= (size_t)in;
		out = stream_pipe_out(s, fd, (size_t)in);
		if (out > 0) {
			done += (size_t)out;
			stream_stats[STREAM_RX_SPLICED_BYTES] += (uint64_t)out;
		}
		if (out < in) {
			stream_pipe_drain(s);
			if (out < 0 && !done)
				return out;
			break;
		}
	}
	return (ssize_t)done;
}

/* A large frame the receiver did not take: look less often for a while */
static void stream_splice_no(struct stream *s)
{
	stream_stats[STREAM_RX_SPLICE_NO]++;
	s->sp_peek = false;
	s->sp_hlen = STREAM_SPLICE_HDR_MAX;	/* if it was too short */
	s->sp_backoff = MIN(s->sp_backoff * 2 + 1, STREAM_SPLICE_BACKOFF);
	s->sp_wait = s->sp_backoff;
}

/**
 * stream_splice_frame() - at a frame boundary, after a large frame: hand
 * the next one on with its payload still in the socket, if it is large,
 * all there, and its receiver agrees
 * @s:		connected stream, nothing buffered
 * @now:	time of this wakeup
 *
 * The length prefix and as many bytes as the last such frame had headers
 * are read (@sp_hlen; a few payload bytes more do no harm: @sp_pre),
 * checked (link_conf rx_splice_check), and the frame is delivered at its
 * full length, its bytes past those read not the guest's (guest_tx
 * rx_in_link): the receiver moves the payload with rx_splice(). Whatever
 * it leaves is skipped. If the receiver says no, what was read stays in
 * the buffer, and the frame is read and delivered the usual way.
 * Return: bytes of the frame, 0 to go on the usual way, -1 if there is
 * nothing to read
 * #syscalls: recvfrom ioctl
 */
static ssize_t stream_splice_frame(struct stream *s, uint64_t now)
{
	uint8_t *f = s->in + STREAM_LEN_SIZE;
	size_t off, want, have;
	uint32_t len;
	ssize_t n;
	int q;

	if (pcap_active()) {
		s->sp_peek = false;	/* the capture needs every byte */
		return 0;
	}
	n = recv(s->fd, s->in, STREAM_LEN_SIZE + s->sp_hlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	if (n <= 0)
		return 0;	/* EOF, errors: the usual way sees them */
	s->in_len = (size_t)n;
	s->sp_avail -= MIN(s->sp_avail, (size_t)n);
	if ((size_t)n < STREAM_LEN_SIZE + s->sp_hlen)
		return 0;
	len = get_be32(s->in);
	have = s->sp_hlen;
	if (len < STREAM_SPLICE_MIN || len > s->max_frame) {
		s->sp_peek = false;
		return 0;
	}
	want = STREAM_LEN_SIZE + (size_t)len;
	if (s->sp_avail < want - (size_t)n) {
		/* the bytes in the socket behind what we read */
		if (ioctl(s->fd, SIOCINQ, &q) < 0)
			return 0;
		s->sp_avail = (size_t)MAX(q, 0);
		if (s->sp_avail < want - (size_t)n) {
			stream_stats[STREAM_RX_SPLICE_PARTIAL]++;
			return 0;
		}
	}
	off = s->sp_check(f, len, have, now);
	if (!off || off > have || off >= len) {
		stream_splice_no(s);
		return 0;
	}
	s->sp_backoff = 0;
	s->sp_hlen = off;	/* the next one is much like it */

	s->in_len = 0;
	s->sp_avail -= want - (size_t)n;
	s->sp_off = off;
	s->sp_pre = have - off;
	s->sp_left = len - have;
	stream_stats[STREAM_RX_FRAMES]++;
	stream_stats[STREAM_RX_BYTES] += len;
	stream_stats[STREAM_RX_SPLICED]++;

	s->tx->rx_in_link = 1;
	s->tx->rx_csum_trusted = 1;
	s->rx(f, len, now);
	s->tx->rx_in_link = 0;
	s->tx->rx_csum_trusted = 0;
	if (s->rx_end)
		s->rx_end(now);

	stream_stats[STREAM_RX_SPLICE_DROP] += s->sp_pre + s->sp_left;
	s->in_skip = s->sp_left;
	s->sp_left = s->sp_pre = 0;
	return (ssize_t)want;
}

/*
 * While looking at frames before reading them, reads stop at the end of
 * the frame at hand (or of the bytes to skip): the next one starts a read
 */
static size_t stream_read_want(const struct stream *s, size_t want)
{
	uint32_t len;

	if (s->in_skip)
		return (size_t)MIN((uint64_t)want, s->in_skip);
	if (s->in_len < STREAM_LEN_SIZE)
		return want;	/* not all there: at most this frame */
	len = get_be32(s->in);
	if (len < ETH_HLEN || len > s->max_frame ||
	    s->in_len >= STREAM_LEN_SIZE + (size_t)len)
		return want;
	return MIN(want, STREAM_LEN_SIZE + (size_t)len - s->in_len);
}

/*
 * Read what the socket has, at most STREAM_READS_MAX reads (and twice as
 * many spliced frames) per wakeup; #syscalls: recvfrom
 */
static void stream_read(struct stream *s, uint64_t now)
{
	int reads = 0, spliced = 0;

	while (reads < STREAM_READS_MAX && !s->dead) {
		size_t want = s->in_cap - s->in_len;
		ssize_t n;

		if (s->sp_peek && s->fd >= 0) {
			if (!s->in_len && !s->in_skip) {
				if (spliced == 2 * STREAM_READS_MAX)
					return;
				n = stream_splice_frame(s, now);
				if (n < 0)
					return;
				if (n > 0) {
					spliced++;
					continue;
				}
				if (s->in_len)	/* what it read: maybe all */
					stream_parse(s, now);
			}
			if (s->sp_peek)
				want = stream_read_want(s, want);
		}
		n = recv(s->fd, s->in + s->in_len, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				s->dead = true;
				s->dead_err = errno;
			}
			return;
		}
		if (!n) {
			s->dead = true;
			s->dead_err = 0;
			return;
		}
		reads++;
		s->in_len += (size_t)n;
		s->sp_avail -= MIN(s->sp_avail, (size_t)n);
		stream_parse(s, now);
		if ((size_t)n < want)
			return;		/* drained, most likely */
	}
}

/* Connection */

static void stream_reset_buffers(struct stream *s)
{
	s->in_len = 0;
	s->in_skip = 0;
	s->out_head = s->out_len = s->out_frame_left = 0;
	s->out_polled = false;
	s->res_n = 0;
	s->dead = false;
	s->dead_err = 0;
	s->sp_peek = false;
	s->sp_wait = s->sp_backoff = 0;
	s->sp_left = s->sp_pre = s->sp_off = s->sp_avail = 0;
	s->sp_hlen = STREAM_SPLICE_HDR;
}

/*
 * The connection ended: count what is lost, then exit or wait for more
 * #syscalls: epoll_ctl close
 */
static void stream_disconnect(struct stream *s)
{
	uint64_t lost = ring_frames(s);

	stream_stats[STREAM_TX_LOST] += lost;
	stream_stats[STREAM_DISCONNECTS]++;
	loop_del(s->fd);
	close(s->fd);
	s->fd = -1;
	stream_reset_buffers(s);
	s->tx->guest_seen = 0;
	memset(s->tx->guest_mac, 0xff, sizeof(s->tx->guest_mac));

	if (s->exit_on_close) {
		info("link: QEMU closed the socket%s%s; exiting",
		     s->dead_err ? ": " : "",
		     s->dead_err ? strerror(s->dead_err) : "");
		loop_stop(0);
		return;
	}
	info("link: guest disconnected%s%s (%llu frames to it lost); waiting on %s",
	     s->dead_err ? ": " : "", s->dead_err ? strerror(s->dead_err) : "",
	     (unsigned long long)lost, s->path);
}

static void stream_conn_ready(struct watch *w, uint32_t events, uint64_t now)
{
	struct stream *s = container_of(w, struct stream, conn_w);

	if (s->fd < 0)
		return;		/* closed earlier in this iteration */
	if (events & EPOLLOUT) {
		stream_flush(s);
		stream_wake(s, now);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		stream_read(s, now);
	if (s->dead)
		stream_disconnect(s);
}

/*
 * Make @fd the connection: non-blocking, big buffers, watched
 * #syscalls: fcntl setsockopt epoll_ctl
 */
static int stream_adopt(struct stream *s, int fd)
{
	int flags = fcntl(fd, F_GETFL), sz = STREAM_SOCKBUF, ret;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	/* Best effort: capped by net.core.[rw]mem_max without privileges */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	stream_reset_buffers(s);
	s->conn_w.fn = stream_conn_ready;
	ret = loop_add(fd, EPOLLIN | EPOLLRDHUP, &s->conn_w);
	if (ret)
		return ret;
	s->fd = fd;
	stream_stats[STREAM_CONNECTS]++;
	return 0;
}

/* A guest knocks on the listening socket; #syscalls: accept4 close */
static void stream_listen_ready(struct watch *w, uint32_t events,
				uint64_t now)
{
	struct stream *s = container_of(w, struct stream, listen_w);
	int fd;

	(void)events;
	if (s->listen_fd < 0)
		return;
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;		/* gone before we got to it, or EMFILE */
	if (s->fd >= 0) {
		stream_stats[STREAM_REFUSED]++;
		log_ratelimited(&s->rl_refused, now, LOG_LVL_WARN,
				"link: refusing a second connection on %s: one guest at a time",
				s->path);
		close(fd);
		return;
	}
	if (stream_adopt(s, fd)) {
		warn("link: cannot serve the connection on %s: %s", s->path,
		     strerror(errno));
		close(fd);
		return;
	}
	info("link: guest connected on %s", s->path);
}

/* End of each loop iteration: flush, let blocked senders go on, flush */
static void stream_post(void *arg, uint64_t now)
{
	struct stream *s = arg;

	if (s->fd < 0)
		return;
	stream_flush(s);
	if (s->tx->waiters && !s->dead) {
		stream_wake(s, now);
		stream_flush(s);
	}
	s->post_ns = now;
	if (s->dead)
		stream_disconnect(s);
}

/*
 * The pipe for splicing, if the receiver wants to and we get one (else
 * everything is copied, as before). At start-up, before the sandbox.
 */
static void stream_splice_open(struct stream *s, const struct link_conf *lc)
{
	int sz;

	s->sp_check = NULL;
	if (!lc->rx_splice_check || pipe2(s->sp_pipe, O_NONBLOCK | O_CLOEXEC)) {
		s->sp_pipe[0] = s->sp_pipe[1] = -1;
		return;
	}
	/* at least a largest frame; more if fs.pipe-max-size allows */
	for (sz = STREAM_SPLICE_PIPE; sz >= (int)STREAM_FRAME_LIMIT; sz /= 2)
		if (fcntl(s->sp_pipe[1], F_SETPIPE_SZ, sz) >= 0)
			break;
	if (fcntl(s->sp_pipe[1], F_GETPIPE_SZ) < (int)s->max_frame) {
		close(s->sp_pipe[0]);
		close(s->sp_pipe[1]);
		s->sp_pipe[0] = s->sp_pipe[1] = -1;
		return;
	}
	s->sp_check = lc->rx_splice_check;
}

/* Is @fd an open, connected stream socket? */
static int stream_check_fd(int fd)
{
	int type;
	socklen_t sl = sizeof(type);

	if (fcntl(fd, F_GETFD) < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl))
		return -errno;
	if (type != SOCK_STREAM)
		return -EPROTOTYPE;
	return 0;
}

int stream_open(const struct link_conf *lc, link_rx_fn rx,
		struct guest_tx *tx)
{
	struct stream *s = &stream;
	int mtu = lc->mtu > 0 ? lc->mtu : 65535;
	int ret;

	if (lc->fd >= 0) {
		ret = stream_check_fd(lc->fd);
		if (ret)
			return ret;
	} else if (lc->listen_fd < 0) {
		return -EINVAL;
	}

	stream_close();
	s->max_frame = MIN((size_t)mtu + ETH_HLEN, STREAM_FRAME_LIMIT);
	s->in_cap = STREAM_IN_CHUNK + STREAM_LEN_SIZE + s->max_frame;
	s->out_cap = STREAM_OUT_QUEUE;
	s->in = malloc(s->in_cap);
	s->out = malloc(s->out_cap);
	if (!s->in || !s->out) {
		ret = -ENOMEM;
		goto out_free;
	}
	s->rx = rx;
	s->rx_end = lc->rx_end;
	stream_splice_open(s, lc);
	s->tx = tx;
	s->exit_on_close = lc->fd >= 0 || lc->one_off;
	s->path = lc->socket_path;
	s->rl_oversized = (struct ratelimit){ 0 };
	s->rl_refused = (struct ratelimit){ 0 };
	s->post_ns = 0;
	s->hooked = false;	/* loop_init() forgets hooks (unit tests) */

	tx->send = stream_send;
	tx->room = stream_room;
	tx->reserve = stream_reserve;
	tx->commit = stream_commit;
	tx->send_many = stream_send_many;
	tx->rx_splice = stream_rx_splice;
	tx->rx_in_link = 0;
	tx->link = s;
	memset(tx->guest_mac, 0xff, sizeof(tx->guest_mac));
	tx->guest_seen = 0;

	stats_register("link", stream_stat_names, stream_stats,
		       STREAM_STAT__COUNT);

	if (lc->fd >= 0) {
		ret = stream_adopt(s, lc->fd);
		if (ret)
			goto out_free;
		return 0;
	}
	s->listen_w.fn = stream_listen_ready;
	ret = loop_add(lc->listen_fd, EPOLLIN, &s->listen_w);
	if (ret)
		goto out_free;
	s->listen_fd = lc->listen_fd;
	return 0;

out_free:
	stream_close();
	free(s->in);
	free(s->out);
	s->in = s->out = NULL;
	return ret;
}

void stream_close(void)
{
	struct stream *s = &stream;

	if (s->fd >= 0) {
		loop_del(s->fd);
		close(s->fd);
		s->fd = -1;
	}
	if (s->listen_fd >= 0) {
		loop_del(s->listen_fd);
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	if (s->sp_pipe[0] >= 0) {
		close(s->sp_pipe[0]);
		close(s->sp_pipe[1]);
		s->sp_pipe[0] = s->sp_pipe[1] = -1;
	}
	s->sp_check = NULL;
	free(s->in);
	free(s->out);
	s->in = s->out = NULL;
	stream_reset_buffers(s);
}
