// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/vhost_user.c - vhost-user back-end for a virtio-net device
 *
 * Theory of operation
 *
 * Messages. The control socket is non-blocking; a message (12-byte
 * header, then the payload) is read in as many pieces as it arrives,
 * with any SCM_RIGHTS fds collected on the way (at most VU_FDS_MAX; more,
 * or a truncated control message, makes the message malformed). The
 * header alone is checked against the door table as soon as it is
 * complete (known request, version, payload size), so an oversized
 * payload is never read. Once the payload is in, vu_door() checks the
 * rest (fd count, queue index) and only then is the handler called.
 * Received fds belong to the message: a handler takes one by setting its
 * slot to -1, and vu_msg_close_fds() closes whatever is left, on every
 * path.
 *
 * Rings. A ring is set up by SET_VRING_NUM, SET_VRING_BASE and
 * SET_VRING_ADDR (checked against the memory map right away), started by
 * SET_VRING_KICK and stopped by GET_VRING_BASE. With PROTOCOL_FEATURES it
 * also needs SET_VRING_ENABLE; a disabled TX ring is drained and its
 * frames discarded, a disabled RX ring gets nothing.
 *
 * Data path. A kick on queue 1 pops chains, skips the virtio-net header,
 * gathers the frame into one static buffer and hands it to the rx
 * callback. guest_tx send() pops chains from queue 0, merging buffers
 * (MRG_RXBUF) until the frame fits; if the guest has not posted enough it
 * gives the chains back and returns -EAGAIN, and the next kick on queue 0
 * wakes the waiters. Used entries are published, and the guest
 * interrupted (unless it suppressed that), once per loop iteration in the
 * post hook; a send() after our hook ran arms a private eventfd so that
 * another iteration comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/pcap.h"
#include "core/stats.h"
#include "link/vhost_user.h"
#include "link/virtio.h"

#define VU_FDS_MAX		VQ_REGIONS_MAX
#define VU_REGION_MSG_LEN	32
#define VU_MEMTAB_HDR_LEN	8
#define VU_PAYLOAD_MAX		(VU_MEMTAB_HDR_LEN + \
				 VQ_REGIONS_MAX * VU_REGION_MSG_LEN)
#define VU_ROOM_PEEK		64	/* chains room() looks at */

#define VU_FEATURES	(1ULL << VIRTIO_F_VERSION_1 |			\
			 1ULL << VIRTIO_NET_F_MRG_RXBUF |		\
			 1ULL << VIRTIO_RING_F_EVENT_IDX |		\
			 1ULL << VIRTIO_RING_F_INDIRECT_DESC |		\
			 1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
#define VU_PROTOCOL_FEATURES	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

/* Counters */
enum vu_stat {
	VU_ST_MSGS,
	VU_ST_MSG_REJECTS,
	VU_ST_CONNECTIONS,
	VU_ST_FROM_GUEST,
	VU_ST_FROM_GUEST_BYTES,
	VU_ST_FROM_GUEST_DROP_SIZE,
	VU_ST_FROM_GUEST_DROP_DISABLED,
	VU_ST_TO_GUEST,
	VU_ST_TO_GUEST_BYTES,
	VU_ST_TO_GUEST_EAGAIN,
	VU_ST_TO_GUEST_DROP_SIZE,
	VU_ST_KICKS,
	VU_ST_CALLS,
	VU_ST_RING_BROKEN,
	VU_ST__COUNT,
};

static const char *const vu_stat_names[VU_ST__COUNT] = {
	[VU_ST_MSGS]			= "vu_msgs",
	[VU_ST_MSG_REJECTS]		= "vu_msg_rejects",
	[VU_ST_CONNECTIONS]		= "vu_connections",
	[VU_ST_FROM_GUEST]		= "vu_from_guest",
	[VU_ST_FROM_GUEST_BYTES]	= "vu_from_guest_bytes",
	[VU_ST_FROM_GUEST_DROP_SIZE]	= "vu_from_guest_drop_size",
	[VU_ST_FROM_GUEST_DROP_DISABLED] = "vu_from_guest_drop_disabled",
	[VU_ST_TO_GUEST]		= "vu_to_guest",
	[VU_ST_TO_GUEST_BYTES]		= "vu_to_guest_bytes",
	[VU_ST_TO_GUEST_EAGAIN]		= "vu_to_guest_eagain",
	[VU_ST_TO_GUEST_DROP_SIZE]	= "vu_to_guest_drop_size",
	[VU_ST_KICKS]			= "vu_kicks",
	[VU_ST_CALLS]			= "vu_calls",
	[VU_ST_RING_BROKEN]		= "vu_ring_broken",
};

static_assert(ARRAY_SIZE(vu_stat_names) == VU_ST__COUNT, "stat names");

/* How the door checks each part of a message */
enum vu_size_kind {
	VU_SZ_EXACT,		/* payload is exactly .size bytes */
	VU_SZ_MIN,		/* at least .size bytes */
	VU_SZ_MEMTAB,		/* 8 + 32 * nregions, 1..8 regions */
};

enum vu_fd_kind {
	VU_FD_NONE,		/* no fds */
	VU_FD_RING,		/* one, or none with the nofd bit */
	VU_FD_MEMTAB,		/* one per region */
	VU_FD_OPT,		/* zero or one */
};

enum vu_idx_kind {
	VU_IDX_NONE,		/* not about one ring */
	VU_IDX_STATE,		/* u32 index first (state, address) */
	VU_IDX_U64,		/* bits 0-7 of a u64 (kick, call, err) */
};

struct vu_msg;

/**
 * struct vu_rule - what the door requires of one request
 * @name:	for log lines; NULL for requests we do not know
 * @size:	payload size, exact or minimum per @size_kind
 * @size_kind:	how @size applies
 * @fds:	how many fds must come along
 * @idx:	where the queue index is, checked below VU_QUEUES
 * @reply:	the request has its own reply (REPLY_ACK adds none)
 * @fn:		handler: 0, -ENOTSUP (refused, connection kept) or another
 *		-errno (the connection is closed); logs its own reason
 */
struct vu_rule {
	const char *name;
	uint32_t size;
	enum vu_size_kind size_kind;
	enum vu_fd_kind fds;
	enum vu_idx_kind idx;
	bool reply;
	int (*fn)(struct vu_msg *m);
};

/**
 * struct vu_msg - one message being read, then handled
 * @hdr:	request, flags, size (host order, as on the wire)
 * @payload:	@hdr.size bytes once complete
 * @have:	bytes of header and payload read so far
 * @fds:	received fds, -1 once a handler took one
 * @nfds:	entries in @fds
 * @fd_excess:	more fds than VU_FDS_MAX arrived, or some were truncated
 * @reply:	reply payload a handler wants sent
 * @reply_len:	its length, 0 for none
 */
struct vu_msg {
	struct {
		uint32_t request;
		uint32_t flags;
		uint32_t size;
	} hdr;
	uint8_t payload[VU_PAYLOAD_MAX] __attribute__((aligned(8)));
	size_t have;
	int fds[VU_FDS_MAX];
	unsigned int nfds;
	bool fd_excess;
	uint64_t reply;
	uint32_t reply_len;
};

static_assert(sizeof(((struct vu_msg *)0)->hdr) == VHOST_USER_HDR_LEN,
	      "vhost-user header is 12 bytes");

/**
 * struct vu_queue - one virtqueue and its eventfds
 * @vq:		ring state (link/virtio.c)
 * @kick_w:	watch on @kick_fd
 * @kick_fd:	guest added buffers (ours: received, closed here), or -1
 * @call_fd:	we used buffers, or -1
 * @err_fd:	we found the ring broken, or -1
 * @desc_uva, @avail_uva, @used_uva: ring addresses, QEMU's space
 * @addr_set:	SET_VRING_ADDR was accepted (@vq points at the rings)
 * @started:	between SET_VRING_KICK and GET_VRING_BASE
 * @enabled:	SET_VRING_ENABLE (or no PROTOCOL_FEATURES)
 * @broken_logged: the warn line for @vq.broken was printed
 */
struct vu_queue {
	struct vq vq;
	struct watch kick_w;
	int kick_fd;
	int call_fd;
	int err_fd;
	uint64_t desc_uva;
	uint64_t avail_uva;
	uint64_t used_uva;
	bool addr_set;
	bool started;
	bool enabled;
	bool broken_logged;
};

/**
 * struct vu_map - one mmap() of a memory region's fd
 * @base:	start of the mapping (file offset 0), NULL if unused
 * @len:	mapping length (mmap offset plus region size)
 */
struct vu_map {
	void *base;
	size_t len;
};

/* Module state: one device, set up by vu_open() */
static struct {
	link_rx_fn rx;
	struct guest_tx *tx;
	bool one_off;
	bool opened;

	int listen_fd;
	struct watch listen_w;
	int conn_fd;
	struct watch conn_w;
	int flush_fd;			/* eventfd: run one more iteration */
	struct watch flush_w;
	bool flush_armed;
	uint64_t post_ns;		/* wakeup time our post hook last ran */

	struct vu_msg msg;
	uint64_t features;		/* acked by SET_FEATURES */
	uint64_t protocol;		/* acked by SET_PROTOCOL_FEATURES */
	size_t hdr_len;			/* virtio-net header, 10 or 12 */

	struct vq_mem mem;
	struct vu_map map[VQ_REGIONS_MAX];
	struct vu_queue q[VU_QUEUES];

	bool rx_starved;		/* send() said -EAGAIN */
	struct vq_elem tx_elem;		/* chain from the guest at hand */
	struct vq_elem rx_elem;		/* chain to the guest at hand */
	struct iovec first_in[VQ_SEG_MAX];	/* first buffer of a frame */
	unsigned int first_in_cnt;
	uint16_t rx_heads[VU_RX_BUFS_MAX];
	uint32_t rx_lens[VU_RX_BUFS_MAX];
	uint8_t frame[VU_FRAME_MAX];

	struct ratelimit rl_drop;
	uint64_t stats[VU_ST__COUNT];
} vu = {
	.listen_fd = -1,
	.conn_fd = -1,
	.flush_fd = -1,
};

static int vu_get_features(struct vu_msg *m);
static int vu_set_features(struct vu_msg *m);
static int vu_set_owner(struct vu_msg *m);
static int vu_reset_owner(struct vu_msg *m);
static int vu_set_mem_table(struct vu_msg *m);
static int vu_set_log(struct vu_msg *m);
static int vu_set_vring_num(struct vu_msg *m);
static int vu_set_vring_addr(struct vu_msg *m);
static int vu_set_vring_base(struct vu_msg *m);
static int vu_get_vring_base(struct vu_msg *m);
static int vu_set_vring_fd(struct vu_msg *m);
static int vu_get_protocol_features(struct vu_msg *m);
static int vu_set_protocol_features(struct vu_msg *m);
static int vu_get_queue_num(struct vu_msg *m);
static int vu_set_vring_enable(struct vu_msg *m);

/* The door: every request we know, and what it must look like */
static const struct vu_rule vu_rules[VHOST_USER_REQ__MAX] = {
	[VHOST_USER_GET_FEATURES] = {
		"GET_FEATURES", 0, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_NONE,
		true, vu_get_features },
	[VHOST_USER_SET_FEATURES] = {
		"SET_FEATURES", 8, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_NONE,
		false, vu_set_features },
	[VHOST_USER_SET_OWNER] = {
		"SET_OWNER", 0, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_NONE,
		false, vu_set_owner },
	[VHOST_USER_RESET_OWNER] = {
		"RESET_OWNER", 0, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_NONE,
		false, vu_reset_owner },
	[VHOST_USER_SET_MEM_TABLE] = {
		"SET_MEM_TABLE", VU_MEMTAB_HDR_LEN + VU_REGION_MSG_LEN,
		VU_SZ_MEMTAB, VU_FD_MEMTAB, VU_IDX_NONE,
		false, vu_set_mem_table },
	[VHOST_USER_SET_LOG_BASE] = {
		"SET_LOG_BASE", 8, VU_SZ_MIN, VU_FD_OPT, VU_IDX_NONE,
		false, vu_set_log },
	[VHOST_USER_SET_LOG_FD] = {
		"SET_LOG_FD", 0, VU_SZ_MIN, VU_FD_OPT, VU_IDX_NONE,
		false, vu_set_log },
	[VHOST_USER_SET_VRING_NUM] = {
		"SET_VRING_NUM", 8, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_STATE,
		false, vu_set_vring_num },
	[VHOST_USER_SET_VRING_ADDR] = {
		"SET_VRING_ADDR", 40, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_STATE,
		false, vu_set_vring_addr },
	[VHOST_USER_SET_VRING_BASE] = {
		"SET_VRING_BASE", 8, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_STATE,
		false, vu_set_vring_base },
	[VHOST_USER_GET_VRING_BASE] = {
		"GET_VRING_BASE", 8, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_STATE,
		true, vu_get_vring_base },
	[VHOST_USER_SET_VRING_KICK] = {
		"SET_VRING_KICK", 8, VU_SZ_EXACT, VU_FD_RING, VU_IDX_U64,
		false, vu_set_vring_fd },
	[VHOST_USER_SET_VRING_CALL] = {
		"SET_VRING_CALL", 8, VU_SZ_EXACT, VU_FD_RING, VU_IDX_U64,
		false, vu_set_vring_fd },
	[VHOST_USER_SET_VRING_ERR] = {
		"SET_VRING_ERR", 8, VU_SZ_EXACT, VU_FD_RING, VU_IDX_U64,
		false, vu_set_vring_fd },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = {
		"GET_PROTOCOL_FEATURES", 0, VU_SZ_EXACT, VU_FD_NONE,
		VU_IDX_NONE, true, vu_get_protocol_features },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = {
		"SET_PROTOCOL_FEATURES", 8, VU_SZ_EXACT, VU_FD_NONE,
		VU_IDX_NONE, false, vu_set_protocol_features },
	[VHOST_USER_GET_QUEUE_NUM] = {
		"GET_QUEUE_NUM", 0, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_NONE,
		true, vu_get_queue_num },
	[VHOST_USER_SET_VRING_ENABLE] = {
		"SET_VRING_ENABLE", 8, VU_SZ_EXACT, VU_FD_NONE, VU_IDX_STATE,
		false, vu_set_vring_enable },
};

/* Payload layouts (vhost-user.rst "Payload"), copied out after the door */
struct vu_state {
	uint32_t index;
	uint32_t num;
};

struct vu_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_region_msg {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

static_assert(sizeof(struct vu_addr) == 40, "vring address is 40 bytes");
static_assert(sizeof(struct vu_region_msg) == VU_REGION_MSG_LEN,
	      "memory region is 32 bytes");

static void vu_queue_stop(struct vu_queue *q);
static void vu_post(void *arg, uint64_t now);
static void vu_kick_ready(struct watch *w, uint32_t events, uint64_t now);

static const char *vu_req_name(uint32_t req)
{
	if (req < VHOST_USER_REQ__MAX && vu_rules[req].name)
		return vu_rules[req].name;
	return "unknown request";
}

static uint64_t vu_payload_u64(const struct vu_msg *m)
{
	uint64_t v;

	memcpy(&v, m->payload, sizeof(v));
	return v;
}

static uint32_t vu_payload_u32(const struct vu_msg *m)
{
	uint32_t v;

	memcpy(&v, m->payload, sizeof(v));
	return v;
}

static struct vu_queue *vu_msg_queue(const struct vu_msg *m)
{
	if (vu_rules[m->hdr.request].idx == VU_IDX_U64)
		return &vu.q[vu_payload_u64(m) & VHOST_USER_VRING_IDX_MASK];
	return &vu.q[vu_payload_u32(m)];
}

static void vu_msg_close_fds(struct vu_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->nfds; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->nfds = 0;
}

/* Take the @i-th fd out of the message: the caller now owns it */
static int vu_msg_take_fd(struct vu_msg *m, unsigned int i)
{
	int fd = m->fds[i];

	m->fds[i] = -1;
	return fd;
}

/**
 * vu_door_header() - check a header before reading its payload
 * @m:		message with a complete header
 * Return: 0, or -EPROTO after logging why
 */
static int vu_door_header(const struct vu_msg *m)
{
	uint32_t req = m->hdr.request, size = m->hdr.size;
	const struct vu_rule *r;
	uint32_t max;

	if (req >= VHOST_USER_REQ__MAX || !vu_rules[req].name) {
		warn("vhost-user: request %u is not supported; closing connection",
		     req);
		return -EPROTO;
	}
	r = &vu_rules[req];
	if ((m->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (m->hdr.flags & VHOST_USER_REPLY_MASK)) {
		warn("vhost-user: %s: bad flags 0x%x (version 1, no reply bit expected); closing connection",
		     r->name, m->hdr.flags);
		return -EPROTO;
	}
	switch (r->size_kind) {
	case VU_SZ_EXACT:
		max = r->size;
		if (size != r->size)
			goto bad_size;
		break;
	case VU_SZ_MIN:
		max = VU_PAYLOAD_MAX;
		if (size < r->size || size > max)
			goto bad_size;
		break;
	case VU_SZ_MEMTAB:
		max = VU_PAYLOAD_MAX;
		if (size < r->size || size > max)
			goto bad_size;
		break;
	}
	return 0;

bad_size:
	if (r->size_kind == VU_SZ_EXACT)
		warn("vhost-user: %s: payload of %u bytes, expected %u; closing connection",
		     r->name, size, r->size);
	else
		warn("vhost-user: %s: payload of %u bytes, expected %u to %u; closing connection",
		     r->name, size, r->size, max);
	return -EPROTO;
}

/**
 * vu_door() - check a complete message against its rule
 * @m:		message with header and payload read
 *
 * The payload size was checked by vu_door_header(); this checks what
 * depends on the payload: fd count, queue index, region count.
 * Return: 0, or -EPROTO after logging why
 */
static int vu_door(const struct vu_msg *m)
{
	const struct vu_rule *r = &vu_rules[m->hdr.request];
	unsigned int want_fds = 0, max_fds = 0;
	uint32_t n, idx;
	uint64_t u;

	if (m->fd_excess) {
		warn("vhost-user: %s: more than %u file descriptors; closing connection",
		     r->name, VU_FDS_MAX);
		return -EPROTO;
	}

	switch (r->idx) {
	case VU_IDX_NONE:
		break;
	case VU_IDX_STATE:
		idx = vu_payload_u32(m);
		if (idx >= VU_QUEUES)
			goto bad_idx;
		break;
	case VU_IDX_U64:
		u = vu_payload_u64(m);
		idx = u & VHOST_USER_VRING_IDX_MASK;
		if (idx >= VU_QUEUES)
			goto bad_idx;
		if (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK |
				    VHOST_USER_VRING_NOFD_MASK)) {
			warn("vhost-user: %s: unknown bits in 0x%llx; closing connection",
			     r->name, (unsigned long long)u);
			return -EPROTO;
		}
		break;
	}

	switch (r->fds) {
	case VU_FD_NONE:
		break;
	case VU_FD_RING:
		want_fds = max_fds =
			(vu_payload_u64(m) & VHOST_USER_VRING_NOFD_MASK) ? 0 : 1;
		break;
	case VU_FD_MEMTAB:
		n = vu_payload_u32(m);
		if (n < 1 || n > VQ_REGIONS_MAX ||
		    m->hdr.size != VU_MEMTAB_HDR_LEN + n * VU_REGION_MSG_LEN) {
			warn("vhost-user: %s: %u regions in %u bytes, expected 1 to %u regions of %u bytes after %u; closing connection",
			     r->name, n, m->hdr.size, VQ_REGIONS_MAX,
			     VU_REGION_MSG_LEN, VU_MEMTAB_HDR_LEN);
			return -EPROTO;
		}
		want_fds = max_fds = n;
		break;
	case VU_FD_OPT:
		max_fds = 1;
		break;
	}
	if (m->nfds < want_fds || m->nfds > max_fds) {
		warn("vhost-user: %s: %u file descriptors, expected %u%s; closing connection",
		     r->name, m->nfds, want_fds,
		     max_fds > want_fds ? " or 1" : "");
		return -EPROTO;
	}
	return 0;

bad_idx:
	warn("vhost-user: %s: queue %u out of range (we have %u); closing connection",
	     r->name, idx, VU_QUEUES);
	return -EPROTO;
}

/* Send a reply with a u64 payload, or none if @len is 0 */
static int vu_send_reply(uint32_t request, uint64_t val, uint32_t len)
{
	struct {
		uint32_t request;
		uint32_t flags;
		uint32_t size;
		uint64_t val;
	} __attribute__((packed)) r = {
		.request = request,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		.size = len,
		.val = val,
	};
	size_t total = VHOST_USER_HDR_LEN + len;
	ssize_t n;

	n = send(vu.conn_fd, &r, total, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)total) {
		warn("vhost-user: reply to %s: %s; closing connection",
		     vu_req_name(request), n < 0 ? strerror(errno) : "short");
		return -EIO;
	}
	return 0;
}

/* ---- memory ---------------------------------------------------------- */

static void vu_unmap(struct vu_map *map, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (map[i].base)
			munmap(map[i].base, map[i].len);
		map[i].base = NULL;
		map[i].len = 0;
	}
}

/* Point every ring that has addresses at the (new) memory map */
static int vu_queues_remap(void)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_queue *q = &vu.q[i];
		enum vq_err e;

		if (!q->addr_set)
			continue;
		e = vq_setup(&q->vq, &vu.mem, q->desc_uva, q->avail_uva,
			     q->used_uva);
		if (e) {
			warn("vhost-user: SET_MEM_TABLE: queue %u: %s; closing connection",
			     i, vq_err_str[e]);
			return -EPROTO;
		}
	}
	return 0;
}

static int vu_set_mem_table(struct vu_msg *m)
{
	struct vq_region r[VQ_REGIONS_MAX] = { 0 };
	uint64_t off[VQ_REGIONS_MAX] = { 0 };
	struct vu_map map[VQ_REGIONS_MAX] = { 0 };
	uint32_t n = vu_payload_u32(m);
	struct vu_region_msg rm;
	enum vq_err e;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memcpy(&rm, m->payload + VU_MEMTAB_HDR_LEN +
			    i * VU_REGION_MSG_LEN, sizeof(rm));
		r[i].gpa = rm.gpa;
		r[i].uva = rm.uva;
		r[i].size = rm.size;
		r[i].host = NULL;
		off[i] = rm.mmap_offset;
	}
	e = vq_mem_check(r, n, off);
	if (e) {
		warn("vhost-user: SET_MEM_TABLE: %s; closing connection",
		     vq_err_str[e]);
		return -EPROTO;
	}

	for (i = 0; i < n; i++) {
		struct stat st;
		size_t len = off[i] + r[i].size;	/* checked */
		void *p;

		if (fstat(m->fds[i], &st) || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < len) {
			warn("vhost-user: SET_MEM_TABLE: region %u (%llu bytes at offset %llu) is not backed by a file that long; closing connection",
			     i, (unsigned long long)r[i].size,
			     (unsigned long long)off[i]);
			goto out_unmap;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, m->fds[i], 0);
		if (p == MAP_FAILED) {
			warn("vhost-user: SET_MEM_TABLE: mmap region %u (%zu bytes): %s; closing connection",
			     i, len, strerror(errno));
			goto out_unmap;
		}
		map[i].base = p;
		map[i].len = len;
		r[i].host = (uint8_t *)p + off[i];
	}

	/* The new map is complete: switch, re-point rings, drop the old */
	vu_unmap(vu.map, VQ_REGIONS_MAX);
	memcpy(vu.map, map, sizeof(map));
	memcpy(vu.mem.r, r, sizeof(r[0]) * n);
	vu.mem.n = n;
	for (i = 0; i < n; i++)
		debug("vhost-user: region %u: guest 0x%llx-0x%llx",
		      i, (unsigned long long)r[i].gpa,
		      (unsigned long long)(r[i].gpa + r[i].size - 1));
	return vu_queues_remap();

out_unmap:
	vu_unmap(map, n);
	return -EPROTO;
}

static void vu_mem_drop(void)
{
	vu_unmap(vu.map, VQ_REGIONS_MAX);
	vu.mem.n = 0;
}

/* ---- features and ownership ----------------------------------------- */

static int vu_get_features(struct vu_msg *m)
{
	m->reply = VU_FEATURES;
	m->reply_len = 8;
	return 0;
}

static void vu_apply_features(void)
{
	bool version1 = vu.features & (1ULL << VIRTIO_F_VERSION_1);
	bool mrg = vu.features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	unsigned int i;

	/* virtio 1.x 5.1.6: num_buffers is there with either feature */
	vu.hdr_len = (version1 || mrg) ? VIRTIO_NET_HDR_LEN : 10;
	for (i = 0; i < VU_QUEUES; i++) {
		vu.q[i].vq.event_idx =
			vu.features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
		vu.q[i].vq.indirect =
			vu.features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	}
}

static int vu_set_features(struct vu_msg *m)
{
	uint64_t f = vu_payload_u64(m);
	unsigned int i;

	if (f & ~VU_FEATURES) {
		warn("vhost-user: SET_FEATURES: 0x%llx has bits we did not offer (0x%llx); closing connection",
		     (unsigned long long)f, (unsigned long long)VU_FEATURES);
		return -EPROTO;
	}
	vu.features = f;
	vu_apply_features();
	/* vhost-user.rst "Ring states": without PROTOCOL_FEATURES, rings
	 * are enabled right away */
	if (!(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		for (i = 0; i < VU_QUEUES; i++)
			vu.q[i].enabled = true;
	debug("vhost-user: features 0x%llx", (unsigned long long)f);
	return 0;
}

static int vu_get_protocol_features(struct vu_msg *m)
{
	m->reply = VU_PROTOCOL_FEATURES;
	m->reply_len = 8;
	return 0;
}

static int vu_set_protocol_features(struct vu_msg *m)
{
	uint64_t f = vu_payload_u64(m);

	if (f & ~VU_PROTOCOL_FEATURES) {
		warn("vhost-user: SET_PROTOCOL_FEATURES: 0x%llx has bits we did not offer (0x%llx); closing connection",
		     (unsigned long long)f,
		     (unsigned long long)VU_PROTOCOL_FEATURES);
		return -EPROTO;
	}
	vu.protocol = f;
	return 0;
}

static int vu_set_owner(struct vu_msg *m)
{
	(void)m;
	return 0;
}

/* Deprecated: we read it as "disable all rings", as the spec suggests */
static int vu_reset_owner(struct vu_msg *m)
{
	unsigned int i;

	(void)m;
	for (i = 0; i < VU_QUEUES; i++) {
		vu_queue_stop(&vu.q[i]);
		vu.q[i].enabled = false;
	}
	return 0;
}

static int vu_get_queue_num(struct vu_msg *m)
{
	m->reply = VU_QUEUES;
	m->reply_len = 8;
	return 0;
}

static int vu_set_log(struct vu_msg *m)
{
	warn("vhost-user: %s: dirty page logging (migration) is not supported; refused",
	     vu_rules[m->hdr.request].name);
	return -ENOTSUP;
}

/* ---- rings ------------------------------------------------------------ */

/* Flush, then stop watching and processing @q (GET_VRING_BASE, reset) */
static void vu_queue_stop(struct vu_queue *q)
{
	if (q->started && !q->vq.broken)
		vq_flush(&q->vq);
	if (q->kick_fd >= 0) {
		loop_del(q->kick_fd);
		close(q->kick_fd);
		q->kick_fd = -1;
	}
	q->started = false;
}

static void vu_queue_close(struct vu_queue *q)
{
	vu_queue_stop(q);
	if (q->call_fd >= 0)
		close(q->call_fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->call_fd = q->err_fd = -1;
	memset(&q->vq, 0, sizeof(q->vq));
	q->addr_set = q->enabled = q->broken_logged = false;
}

static int vu_set_vring_num(struct vu_msg *m)
{
	struct vu_queue *q = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (q->started) {
		warn("vhost-user: SET_VRING_NUM: queue %u is running; closing connection",
		     s.index);
		return -EPROTO;
	}
	if (!vq_size_ok(s.num)) {
		warn("vhost-user: SET_VRING_NUM: queue %u: size %u is not a power of two from 1 to %u; closing connection",
		     s.index, s.num, VQ_SIZE_MAX);
		return -EPROTO;
	}
	q->vq.num = s.num;
	q->addr_set = false;	/* addresses are checked against the size */
	return 0;
}

static int vu_set_vring_addr(struct vu_msg *m)
{
	struct vu_queue *q = vu_msg_queue(m);
	struct vu_addr a;
	enum vq_err e;

	memcpy(&a, m->payload, sizeof(a));
	if (!q->vq.num || !vu.mem.n) {
		warn("vhost-user: SET_VRING_ADDR: queue %u: before SET_VRING_NUM or SET_MEM_TABLE; closing connection",
		     a.index);
		return -EPROTO;
	}
	e = vq_setup(&q->vq, &vu.mem, a.desc, a.avail, a.used);
	if (e) {
		warn("vhost-user: SET_VRING_ADDR: queue %u: %s (desc 0x%llx avail 0x%llx used 0x%llx); closing connection",
		     a.index, vq_err_str[e], (unsigned long long)a.desc,
		     (unsigned long long)a.avail, (unsigned long long)a.used);
		q->addr_set = false;
		return -EPROTO;
	}
	q->desc_uva = a.desc;
	q->avail_uva = a.avail;
	q->used_uva = a.used;
	q->addr_set = true;
	q->broken_logged = false;
	return 0;
}

static int vu_set_vring_base(struct vu_msg *m)
{
	struct vu_queue *q = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (q->started || s.num > UINT16_MAX) {
		warn("vhost-user: SET_VRING_BASE: queue %u: %s; closing connection",
		     s.index, q->started ? "queue is running" :
		     "index above 65535");
		return -EPROTO;
	}
	q->vq.last_avail = s.num;
	return 0;
}

static int vu_get_vring_base(struct vu_msg *m)
{
	struct vu_queue *q = vu_msg_queue(m);
	uint32_t idx = vu_payload_u32(m);

	vu_queue_stop(q);
	m->reply = (uint64_t)q->vq.last_avail << 32 | idx;
	m->reply_len = 8;
	return 0;
}

/* Start @q: SET_VRING_KICK received, rings checked */
static int vu_queue_start(struct vu_queue *q, unsigned int idx)
{
	if (!q->addr_set) {
		warn("vhost-user: SET_VRING_KICK: queue %u has no ring addresses; closing connection",
		     idx);
		return -EPROTO;
	}
	/* Registered now rather than at vu_open(), so that it runs after
	 * the post hooks of modules set up later (TCP sends from its own):
	 * their frames then go out in this pass, without vu_arm_flush() */
	if (loop_add_post(vu_post, NULL)) {
		warn("vhost-user: queue %u: no room for a loop hook; closing connection",
		     idx);
		return -ENOSPC;
	}
	vq_start(&q->vq);
	q->started = true;
	if (q->kick_fd >= 0) {
		q->kick_w.fn = vu_kick_ready;
		if (loop_add(q->kick_fd, EPOLLIN, &q->kick_w)) {
			warn("vhost-user: queue %u: cannot watch kick fd; closing connection",
			     idx);
			return -EIO;
		}
		/* A kick sent before we watched is already counted */
	}
	debug("vhost-user: queue %u started, size %u, avail %u, used %u",
	      idx, q->vq.num, q->vq.last_avail, q->vq.used_idx);
	return 0;
}

static int vu_set_vring_fd(struct vu_msg *m)
{
	uint64_t u = vu_payload_u64(m);
	unsigned int idx = u & VHOST_USER_VRING_IDX_MASK;
	struct vu_queue *q = &vu.q[idx];
	int fd = -1;

	if (!(u & VHOST_USER_VRING_NOFD_MASK)) {
		fd = vu_msg_take_fd(m, 0);
		/* Never block on a peer's fd, whatever it is */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			warn("vhost-user: %s: queue %u: fd unusable: %s; closing connection",
			     vu_rules[m->hdr.request].name, idx,
			     strerror(errno));
			close(fd);
			return -EPROTO;
		}
	}

	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		vu_queue_stop(q);
		q->kick_fd = fd;
		return vu_queue_start(q, idx);
	case VHOST_USER_SET_VRING_CALL:
		if (q->call_fd >= 0)
			close(q->call_fd);
		q->call_fd = fd;
		return 0;
	default:
		if (q->err_fd >= 0)
			close(q->err_fd);
		q->err_fd = fd;
		return 0;
	}
}

static int vu_set_vring_enable(struct vu_msg *m)
{
	struct vu_queue *q = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (s.num > 1) {
		warn("vhost-user: SET_VRING_ENABLE: queue %u: %u is not 0 or 1; closing connection",
		     s.index, s.num);
		return -EPROTO;
	}
	q->enabled = s.num;
	debug("vhost-user: queue %u %s", s.index,
	      s.num ? "enabled" : "disabled");
	if (s.index == VU_QUEUE_RX && q->enabled)
		vu.rx_starved = true;	/* let waiters try again */
	return 0;
}

/* ---- connection ------------------------------------------------------- */

static void vu_reset_device(void)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++)
		vu_queue_close(&vu.q[i]);
	vu_mem_drop();
	vu_msg_close_fds(&vu.msg);
	memset(&vu.msg.hdr, 0, sizeof(vu.msg.hdr));
	vu.msg.have = 0;
	vu.msg.fd_excess = false;
	vu.features = vu.protocol = 0;
	vu_apply_features();
	vu.rx_starved = false;
}

static void vu_conn_close(void)
{
	if (vu.conn_fd >= 0) {
		loop_del(vu.conn_fd);
		close(vu.conn_fd);
		vu.conn_fd = -1;
	}
	vu_reset_device();
	if (vu.tx) {
		vu.tx->guest_seen = 0;
		memset(vu.tx->guest_mac, 0xff, sizeof(vu.tx->guest_mac));
	}
}

void vu_close(void)
{
	vu_conn_close();
	if (vu.listen_fd >= 0) {
		loop_del(vu.listen_fd);
		close(vu.listen_fd);
		vu.listen_fd = -1;
	}
	if (vu.flush_fd >= 0) {
		loop_del(vu.flush_fd);
		close(vu.flush_fd);
		vu.flush_fd = -1;
	}
}

/* The front-end is gone (or was thrown out): exit or wait for another */
static void vu_disconnect(bool error)
{
	vu_conn_close();
	if (vu.one_off) {
		err("link: QEMU closed the vhost-user socket; exiting");
		loop_stop(error ? 1 : 0);
		return;
	}
	info("vhost-user: front-end disconnected; waiting for a new one");
}

/**
 * vu_recv() - read up to @len more bytes of the current message
 * @dst:	where they go
 * @len:	bytes wanted
 *
 * Collects SCM_RIGHTS fds into vu.msg; excess or truncated fds are
 * closed (by us or by the kernel) and flagged for the door.
 * Return: bytes read, 0 on EOF, -errno (-EAGAIN: nothing now)
 */
static ssize_t vu_recv(void *dst, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = dst, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(vu.conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_CTRUNC)
		vu.msg.fd_excess = true;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t nfd, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
			       sizeof(fd));
			if (vu.msg.nfds < VU_FDS_MAX) {
				vu.msg.fds[vu.msg.nfds++] = fd;
			} else {
				close(fd);
				vu.msg.fd_excess = true;
			}
		}
	}
	return n;
}

/**
 * vu_dispatch() - door, handler, reply for one complete message
 * @m:		message; its fds are closed before return
 * Return: 0 to keep the connection, -errno to close it
 */
static int vu_dispatch(struct vu_msg *m)
{
	const struct vu_rule *r = &vu_rules[m->hdr.request];
	bool ack = (vu.protocol & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)) &&
		   (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK);
	int rc;

	vu.stats[VU_ST_MSGS]++;
	m->reply_len = 0;
	rc = vu_door(m);
	if (!rc) {
		trace("vhost-user: %s, %u bytes, %u fds", r->name,
		      m->hdr.size, m->nfds);
		rc = r->fn(m);
	}
	vu_msg_close_fds(m);
	if (rc)
		vu.stats[VU_ST_MSG_REJECTS]++;

	if (m->reply_len && !rc) {
		if (vu_send_reply(m->hdr.request, m->reply, m->reply_len))
			return -EIO;
	} else if (ack && !r->reply) {
		/* REPLY_ACK: zero for success, nonzero for failure */
		if (vu_send_reply(m->hdr.request, rc ? 1 : 0, 8))
			return -EIO;
	}
	return rc == -ENOTSUP ? 0 : rc;
}

int vu_conn_input(uint64_t now_ns)
{
	struct vu_msg *m = &vu.msg;

	(void)now_ns;
	while (vu.conn_fd >= 0) {
		size_t total = VHOST_USER_HDR_LEN;
		uint8_t *dst = (uint8_t *)&m->hdr + m->have;
		ssize_t n;

		if (m->have >= VHOST_USER_HDR_LEN) {
			total += m->hdr.size;	/* checked by the door */
			dst = m->payload + (m->have - VHOST_USER_HDR_LEN);
		}
		if (m->have < total) {
			n = vu_recv(dst, total - m->have);
			if (n == -EAGAIN || n == -EINTR)
				return 0;
			if (n <= 0) {
				if (n < 0)
					warn("vhost-user: receive: %s",
					     strerror((int)-n));
				else if (m->have)
					warn("vhost-user: connection closed after %zu bytes of a message",
					     m->have);
				vu_disconnect(n < 0 || m->have);
				return -ENOTCONN;
			}
			m->have += n;
			if (m->have == VHOST_USER_HDR_LEN &&
			    vu_door_header(m)) {
				vu.stats[VU_ST_MSG_REJECTS]++;
				vu_disconnect(true);
				return -ENOTCONN;
			}
			continue;
		}

		/* Header and payload complete */
		if (vu_dispatch(m)) {
			vu_disconnect(true);
			return -ENOTCONN;
		}
		m->have = 0;
		m->fd_excess = false;
	}
	return -ENOTCONN;
}

static void vu_conn_ready(struct watch *w, uint32_t events, uint64_t now)
{
	(void)w;
	(void)events;
	vu_conn_input(now);
}

static int vu_conn_adopt(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	vu.conn_fd = fd;
	vu.conn_w.fn = vu_conn_ready;
	if (loop_add(fd, EPOLLIN | EPOLLRDHUP, &vu.conn_w)) {
		vu.conn_fd = -1;
		return -EIO;
	}
	vu.stats[VU_ST_CONNECTIONS]++;
	return 0;
}

static void vu_listen_ready(struct watch *w, uint32_t events, uint64_t now)
{
	int fd;

	(void)w;
	(void)events;
	(void)now;
	fd = accept4(vu.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (vu.conn_fd >= 0) {
		warn("vhost-user: a front-end is already connected; refusing another");
		close(fd);
		return;
	}
	if (vu_conn_adopt(fd)) {
		close(fd);
		return;
	}
	info("vhost-user: front-end connected");
}

/* ---- data path ------------------------------------------------------- */

/* A ring turned out broken: log once, tell the front-end, stop it */
static void vu_queue_broken(struct vu_queue *q, unsigned int idx)
{
	uint64_t one = 1;

	if (q->broken_logged)
		return;
	q->broken_logged = true;
	vu.stats[VU_ST_RING_BROKEN]++;
	warn("vhost-user: queue %u: guest error: %s; queue stopped",
	     idx, vq_err_str[q->vq.broken]);
	if (q->err_fd >= 0 && write(q->err_fd, &one, sizeof(one)) < 0)
		debug("vhost-user: queue %u: err eventfd: %s", idx,
		      strerror(errno));
}

static bool vu_queue_usable(const struct vu_queue *q)
{
	return q->started && !q->vq.broken && vu.mem.n;
}

/*
 * Make sure our post hook runs after this send() to publish the used
 * entries. Post hooks run together before the loop sleeps; if ours
 * already ran in this pass (same wakeup time), wake the loop once more.
 */
static void vu_arm_flush(void)
{
	uint64_t one = 1;

	if (vu.flush_armed || vu.flush_fd < 0 || loop_now() != vu.post_ns)
		return;
	vu.flush_armed = true;
	if (write(vu.flush_fd, &one, sizeof(one)) < 0)
		vu.flush_armed = false;
}

/**
 * vu_tx_process() - hand frames the guest queued on queue 1 to ingress
 * @now:	time of this wakeup
 *
 * At most one ring's worth per call, so that a busy guest cannot starve
 * the rest of the loop; if more is left, the kick eventfd is re-armed.
 */
static void vu_tx_process(uint64_t now)
{
	struct vu_queue *q = &vu.q[VU_QUEUE_TX];
	unsigned int budget;
	enum vq_err e;

	if (!vu_queue_usable(q))
		return;
	budget = q->vq.num;
	for (;;) {
		struct vq_elem *el = &vu.tx_elem;
		size_t len;

		e = vq_pop(&q->vq, &vu.mem, el);
		if (e == VQ_EMPTY) {
			if (vq_kick_enable(&q->vq))
				continue;
			break;
		}
		if (e) {
			vu_queue_broken(q, VU_QUEUE_TX);
			break;
		}

		len = el->out_len;
		if (len < vu.hdr_len || len - vu.hdr_len > sizeof(vu.frame)) {
			vu.stats[VU_ST_FROM_GUEST_DROP_SIZE]++;
			log_ratelimited(&vu.rl_drop, now, LOG_LVL_WARN,
					"vhost-user: dropped a %zu-byte frame from the guest (limit %zu)",
					len, sizeof(vu.frame));
		} else if (!q->enabled) {
			vu.stats[VU_ST_FROM_GUEST_DROP_DISABLED]++;
		} else {
			len = vq_iov_to_buf(el->out, el->out_cnt, vu.hdr_len,
					    vu.frame, len - vu.hdr_len);
			vu.stats[VU_ST_FROM_GUEST]++;
			vu.stats[VU_ST_FROM_GUEST_BYTES] += len;
			pcap_buf(vu.frame, len, now);
			vu.rx(vu.frame, len, now);
		}
		vq_push(&q->vq, el->head, 0);

		/* vu.rx may have closed the connection */
		if (!vu_queue_usable(q))
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
}

/* Read and discard an eventfd's counter; false if the fd is unusable */
static bool vu_eventfd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) >= 0 || errno == EAGAIN;
}

static void vu_kick_ready(struct watch *w, uint32_t events, uint64_t now)
{
	struct vu_queue *q = container_of(w, struct vu_queue, kick_w);
	unsigned int idx = q == &vu.q[VU_QUEUE_RX] ? VU_QUEUE_RX :
						      VU_QUEUE_TX;

	vu.stats[VU_ST_KICKS]++;
	if ((events & (EPOLLERR | EPOLLHUP)) || !vu_eventfd_drain(q->kick_fd)) {
		warn("vhost-user: queue %u: kick fd failed; no longer watched",
		     idx);
		loop_del(q->kick_fd);
		close(q->kick_fd);
		q->kick_fd = -1;
		return;
	}
	if (idx == VU_QUEUE_TX)
		vu_tx_process(now);
	else
		vu.rx_starved = true;	/* the post hook wakes the senders */
}

/**
 * vu_send() - guest_tx send(): copy one frame into guest RX buffers
 * @tx:		our guest_tx
 * @iov:	frame, starting with the Ethernet header
 * @cnt:	entries in @iov
 *
 * Return: 0, -EAGAIN (not enough buffers: retry after a wake),
 * -EMSGSIZE (never fits), -ENOTCONN (no usable RX queue)
 */
static int vu_send(struct guest_tx *tx, const struct iovec *iov, size_t cnt)
{
	struct vu_queue *q = &vu.q[VU_QUEUE_RX];
	bool mrg = vu.features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
	size_t flen = 0, total, done = 0, fdone = 0;
	unsigned int nbufs = 0, max_bufs, i;
	uint16_t nb;

	(void)tx;
	if (!vu_queue_usable(q) || !q->enabled)
		return -ENOTCONN;
	for (i = 0; i < cnt; i++)
		flen += iov[i].iov_len;
	if (flen > VU_FRAME_MAX) {
		vu.stats[VU_ST_TO_GUEST_DROP_SIZE]++;
		return -EMSGSIZE;
	}
	total = vu.hdr_len + flen;
	max_bufs = mrg ? MIN(VU_RX_BUFS_MAX, q->vq.num) : 1;

	while (done < total) {
		struct vq_elem *el = &vu.rx_elem;
		enum vq_err e;
		size_t room, n, k;

		if (nbufs == max_bufs) {
			vq_unpop(&q->vq, nbufs);
			vu.stats[VU_ST_TO_GUEST_DROP_SIZE]++;
			return -EMSGSIZE;
		}
		e = vq_pop(&q->vq, &vu.mem, el);
		if (e == VQ_EMPTY) {
			vq_unpop(&q->vq, nbufs);
			vu.stats[VU_ST_TO_GUEST_EAGAIN]++;
			vu.rx_starved = true;
			vq_kick_enable(&q->vq);	/* post hook rechecks */
			return -EAGAIN;
		}
		if (e) {
			vq_unpop(&q->vq, nbufs);
			vu_queue_broken(q, VU_QUEUE_RX);
			return -ENOTCONN;
		}
		room = el->in_len;
		if (!nbufs) {
			if (room < vu.hdr_len) {
				/* Cannot even hold the header: refuse the
				 * guest's buffer as we would a bad chain */
				vq_unpop(&q->vq, 1);
				q->vq.broken = VQ_E_ZERO_LEN;
				vu_queue_broken(q, VU_QUEUE_RX);
				return -ENOTCONN;
			}
			memcpy(vu.first_in, el->in,
			       sizeof(el->in[0]) * el->in_cnt);
			vu.first_in_cnt = el->in_cnt;
			vq_iov_from_buf(el->in, el->in_cnt, 0, hdr,
					vu.hdr_len);
			n = vu.hdr_len;
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
		vu.rx_heads[nbufs] = el->head;
		vu.rx_lens[nbufs] = n;
		nbufs++;
		done += n;
	}

	if (vu.hdr_len == VIRTIO_NET_HDR_LEN) {
		uint8_t le[2];

		nb = nbufs;
		le[0] = nb & 0xff;
		le[1] = nb >> 8;
		vq_iov_from_buf(vu.first_in, vu.first_in_cnt,
				VIRTIO_NET_HDR_NUM_BUFFERS_OFF, le, 2);
	}
	for (i = 0; i < nbufs; i++)
		vq_push(&q->vq, vu.rx_heads[i], vu.rx_lens[i]);
	vu.stats[VU_ST_TO_GUEST]++;
	vu.stats[VU_ST_TO_GUEST_BYTES] += flen;
	pcap_frame(iov, cnt, 0, loop_now());
	vu_arm_flush();
	return 0;
}

/**
 * vu_room() - guest_tx room(): frame bytes the guest has buffers for
 * @tx:		our guest_tx
 *
 * A lower bound from the next VU_ROOM_PEEK chains, each counted without
 * its virtio-net header.
 */
static size_t vu_room(struct guest_tx *tx)
{
	struct vu_queue *q = &vu.q[VU_QUEUE_RX];
	uint16_t i, n;
	size_t sum = 0;

	(void)tx;
	if (!vu_queue_usable(q) || !q->enabled)
		return 0;
	n = MIN(vq_avail_count(&q->vq), VU_ROOM_PEEK);
	for (i = 0; i < n; i++) {
		size_t l = vq_peek_in_len(&q->vq, &vu.mem, i);

		if (l > vu.hdr_len)
			sum += l - vu.hdr_len;
	}
	return sum;
}

void vu_poll(uint64_t now)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_queue *q = &vu.q[i];

		/* Polling mode (nofd kick): look at the ring every time */
		if (i == VU_QUEUE_TX && q->kick_fd < 0)
			vu_tx_process(now);
	}

	/* Senders first, so their frames go out in this flush */
	if (vu.rx_starved && vu_queue_usable(&vu.q[VU_QUEUE_RX]) &&
	    vu.q[VU_QUEUE_RX].enabled &&
	    vq_avail_count(&vu.q[VU_QUEUE_RX].vq)) {
		vu.rx_starved = false;
		guest_tx_wake(vu.tx, now);
	}

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_queue *q = &vu.q[i];
		uint64_t one = 1;

		if (!vu_queue_usable(q)) {
			if (q->started && q->vq.broken)
				vu_queue_broken(q, i);
			continue;
		}
		if (!vq_flush(&q->vq) || q->call_fd < 0)
			continue;
		vu.stats[VU_ST_CALLS]++;
		if (write(q->call_fd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			debug("vhost-user: queue %u: call eventfd: %s", i,
			      strerror(errno));
	}
	vu.flush_armed = false;
}

static void vu_post(void *arg, uint64_t now)
{
	(void)arg;
	vu_poll(now);
	vu.post_ns = now;
}

static void vu_flush_ready(struct watch *w, uint32_t events, uint64_t now)
{
	(void)w;
	(void)events;
	(void)now;
	vu_eventfd_drain(vu.flush_fd);
}

/* ---- setup ------------------------------------------------------------ */

int vu_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx)
{
	unsigned int i;
	int rc;

	for (i = 0; i < VU_QUEUES; i++) {
		vu.q[i].kick_fd = vu.q[i].call_fd = vu.q[i].err_fd = -1;
		vu.q[i].vq.num = 0;
	}
	vu.rx = rx;
	vu.tx = tx;
	vu.one_off = lc->fd >= 0 || lc->one_off;
	vu_apply_features();

	tx->send = vu_send;
	tx->room = vu_room;
	tx->link = &vu;
	memset(tx->guest_mac, 0xff, sizeof(tx->guest_mac));
	tx->guest_seen = 0;

	if (!vu.opened)
		stats_register("link", vu_stat_names, vu.stats, VU_ST__COUNT);
	vu.opened = true;

	vu.flush_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vu.flush_fd < 0)
		return -errno;
	vu.flush_w.fn = vu_flush_ready;
	if (loop_add(vu.flush_fd, EPOLLIN, &vu.flush_w)) {
		rc = -EIO;
		goto out_close_flush;
	}

	if (lc->fd >= 0) {
		rc = vu_conn_adopt(lc->fd);
		if (rc)
			goto out_del_flush;
		return 0;
	}
	if (lc->listen_fd < 0) {
		rc = -EINVAL;
		goto out_del_flush;
	}
	vu.listen_w.fn = vu_listen_ready;
	rc = loop_add(lc->listen_fd, EPOLLIN, &vu.listen_w);
	if (rc)
		goto out_del_flush;
	vu.listen_fd = lc->listen_fd;	/* ours from now on */
	return 0;

out_del_flush:
	loop_del(vu.flush_fd);
out_close_flush:
	close(vu.flush_fd);
	vu.flush_fd = -1;
	return rc;
}
