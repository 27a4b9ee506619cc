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
 * Data path: link/vu_net.c runs the rings once they are started; this
 * file only sets them up, hands over their eventfds, and maps memory.
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
#include "link/vu_net.h"

#define VU_FDS_MAX		VQ_REGIONS_MAX
#define VU_MSGS_PER_WAKEUP	64
#define VU_REGION_MSG_LEN	32
#define VU_MEMTAB_HDR_LEN	8
#define VU_PAYLOAD_MAX		(VU_MEMTAB_HDR_LEN + \
				 VQ_REGIONS_MAX * VU_REGION_MSG_LEN)

#define VU_FEATURES	(1ULL << VIRTIO_F_VERSION_1 |			\
			 1ULL << VIRTIO_NET_F_CSUM |			\
			 1ULL << VIRTIO_NET_F_GUEST_CSUM |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO4 |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO6 |		\
			 1ULL << VIRTIO_NET_F_MRG_RXBUF |		\
			 1ULL << VIRTIO_RING_F_EVENT_IDX |		\
			 1ULL << VIRTIO_RING_F_INDIRECT_DESC |		\
			 1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
#define VU_PROTOCOL_FEATURES	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

/* Counters (the data path has its own, link/vu_net.c) */
enum vu_stat {
	VU_ST_MSGS,
	VU_ST_MSG_REJECTS,
	VU_ST_CONNECTIONS,
	VU_ST__COUNT,
};

static const char *const vu_stat_names[VU_ST__COUNT] = {
	[VU_ST_MSGS]			= "vu_msgs",
	[VU_ST_MSG_REJECTS]		= "vu_msg_rejects",
	[VU_ST_CONNECTIONS]		= "vu_connections",
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
 * struct vu_ring - what vhost-user knows of a ring (link/vu_net.c runs it)
 * @desc_uva, @avail_uva, @used_uva: ring addresses, QEMU's space
 * @addr_set:	SET_VRING_ADDR was accepted (the vq points at the rings)
 */
struct vu_ring {
	uint64_t desc_uva;
	uint64_t avail_uva;
	uint64_t used_uva;
	bool addr_set;
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
	bool one_off;
	bool opened;
	struct guest_tx *tx;

	int listen_fd;
	struct watch listen_w;
	int conn_fd;
	struct watch conn_w;

	struct vu_msg msg;
	uint64_t features;		/* acked by SET_FEATURES */
	uint64_t protocol;		/* acked by SET_PROTOCOL_FEATURES */

	struct vq_mem mem;
	struct vu_map map[VQ_REGIONS_MAX];
	struct vu_ring ring[VU_QUEUES];

	uint64_t stats[VU_ST__COUNT];
} vu = {
	.listen_fd = -1,
	.conn_fd = -1,
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

/* Queue index of a message the door let in (checked below VU_QUEUES) */
static unsigned int vu_msg_queue(const struct vu_msg *m)
{
	if (vu_rules[m->hdr.request].idx == VU_IDX_U64)
		return vu_payload_u64(m) & VHOST_USER_VRING_IDX_MASK;
	return vu_payload_u32(m);
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

/* Send a reply with a u64 payload, or none if @len is 0; #syscalls: sendto */
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

/* #syscalls: munmap */
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
		struct vu_ring *r = &vu.ring[i];
		enum vq_err e;

		if (!r->addr_set)
			continue;
		e = vq_setup(vu_net_vq(i), &vu.mem, r->desc_uva, r->avail_uva,
			     r->used_uva);
		if (e) {
			warn("vhost-user: SET_MEM_TABLE: queue %u: %s; closing connection",
			     i, vq_err_str[e]);
			return -EPROTO;
		}
	}
	return 0;
}

/* Map the new table, then drop the old one; #syscalls: fstat mmap munmap */
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
	vu_net_set_features(f);
	/* vhost-user.rst "Ring states": without PROTOCOL_FEATURES, rings
	 * are enabled right away */
	if (!(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		for (i = 0; i < VU_QUEUES; i++)
			vu_net_enable(i, true);
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
		vu_net_stop(i);
		vu_net_enable(i, false);
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

static int vu_set_vring_num(struct vu_msg *m)
{
	unsigned int idx = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (vu_net_started(idx)) {
		warn("vhost-user: SET_VRING_NUM: queue %u is running; closing connection",
		     idx);
		return -EPROTO;
	}
	if (!vq_size_ok(s.num)) {
		warn("vhost-user: SET_VRING_NUM: queue %u: size %u is not a power of two from 1 to %u; closing connection",
		     idx, s.num, VQ_SIZE_MAX);
		return -EPROTO;
	}
	vu_net_vq(idx)->num = s.num;
	vu.ring[idx].addr_set = false;	/* addresses are checked with it */
	return 0;
}

static int vu_set_vring_addr(struct vu_msg *m)
{
	unsigned int idx = vu_msg_queue(m);
	struct vu_ring *r = &vu.ring[idx];
	struct vq *vq = vu_net_vq(idx);
	struct vu_addr a;
	enum vq_err e;

	memcpy(&a, m->payload, sizeof(a));
	if (!vq->num || !vu.mem.n) {
		warn("vhost-user: SET_VRING_ADDR: queue %u: before SET_VRING_NUM or SET_MEM_TABLE; closing connection",
		     idx);
		return -EPROTO;
	}
	e = vq_setup(vq, &vu.mem, a.desc, a.avail, a.used);
	if (e) {
		warn("vhost-user: SET_VRING_ADDR: queue %u: %s (desc 0x%llx avail 0x%llx used 0x%llx); closing connection",
		     idx, vq_err_str[e], (unsigned long long)a.desc,
		     (unsigned long long)a.avail, (unsigned long long)a.used);
		r->addr_set = false;
		return -EPROTO;
	}
	r->desc_uva = a.desc;
	r->avail_uva = a.avail;
	r->used_uva = a.used;
	r->addr_set = true;
	return 0;
}

static int vu_set_vring_base(struct vu_msg *m)
{
	unsigned int idx = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (vu_net_started(idx) || s.num > UINT16_MAX) {
		warn("vhost-user: SET_VRING_BASE: queue %u: %s; closing connection",
		     idx, vu_net_started(idx) ? "queue is running" :
		     "index above 65535");
		return -EPROTO;
	}
	vu_net_vq(idx)->last_avail = s.num;
	return 0;
}

static int vu_get_vring_base(struct vu_msg *m)
{
	unsigned int idx = vu_msg_queue(m);
	uint16_t base = vu_net_stop(idx);

	m->reply = (uint64_t)base << 32 | idx;
	m->reply_len = 8;
	return 0;
}

/* SET_VRING_KICK, _CALL, _ERR; #syscalls: fcntl close epoll_ctl */
static int vu_set_vring_fd(struct vu_msg *m)
{
	uint64_t u = vu_payload_u64(m);
	unsigned int idx = vu_msg_queue(m);
	const char *name = vu_rules[m->hdr.request].name;
	int fd = -1, rc;

	if (!(u & VHOST_USER_VRING_NOFD_MASK)) {
		fd = vu_msg_take_fd(m, 0);
		/* Never block on a peer's fd, whatever it is */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			warn("vhost-user: %s: queue %u: fd unusable: %s; closing connection",
			     name, idx, strerror(errno));
			close(fd);
			return -EPROTO;
		}
	}

	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		if (!vu.ring[idx].addr_set) {
			warn("vhost-user: SET_VRING_KICK: queue %u has no ring addresses; closing connection",
			     idx);
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		rc = vu_net_start(idx, fd);
		if (rc)
			warn("vhost-user: SET_VRING_KICK: queue %u: cannot start: %s; closing connection",
			     idx, strerror(-rc));
		return rc;
	case VHOST_USER_SET_VRING_CALL:
		vu_net_set_call(idx, fd);
		return 0;
	default:
		vu_net_set_err(idx, fd);
		return 0;
	}
}

static int vu_set_vring_enable(struct vu_msg *m)
{
	unsigned int idx = vu_msg_queue(m);
	struct vu_state s;

	memcpy(&s, m->payload, sizeof(s));
	if (s.num > 1) {
		warn("vhost-user: SET_VRING_ENABLE: queue %u: %u is not 0 or 1; closing connection",
		     idx, s.num);
		return -EPROTO;
	}
	vu_net_enable(idx, s.num);
	debug("vhost-user: queue %u %s", idx, s.num ? "enabled" : "disabled");
	return 0;
}

/* ---- connection ------------------------------------------------------- */

static void vu_reset_device(void)
{
	vu_net_reset();
	memset(vu.ring, 0, sizeof(vu.ring));
	vu_mem_drop();
	vu_msg_close_fds(&vu.msg);
	memset(&vu.msg.hdr, 0, sizeof(vu.msg.hdr));
	vu.msg.have = 0;
	vu.msg.fd_excess = false;
	vu.features = vu.protocol = 0;
}

/* #syscalls: epoll_ctl close munmap */
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
	vu_net_close();
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
 * #syscalls: recvmsg close
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
	unsigned int budget = VU_MSGS_PER_WAKEUP;

	(void)now_ns;
	/* Level-triggered: what is left is read on the next wakeup, so a
	 * chatty front-end cannot keep the loop here */
	while (vu.conn_fd >= 0 && budget) {
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
		budget--;
	}
	return vu.conn_fd >= 0 ? 0 : -ENOTCONN;
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

/* #syscalls: accept4 fcntl epoll_ctl close */
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

/* ---- setup ------------------------------------------------------------ */

int vu_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx)
{
	int rc;

	vu.one_off = lc->fd >= 0 || lc->one_off;
	vu.tx = tx;
	memset(tx->guest_mac, 0xff, sizeof(tx->guest_mac));
	tx->guest_seen = 0;
	if (!vu.opened)
		stats_register("link", vu_stat_names, vu.stats, VU_ST__COUNT);
	vu.opened = true;

	rc = vu_net_open(&vu.mem, rx, lc->rx_end, tx);
	if (rc)
		return rc;

	if (lc->fd >= 0) {
		rc = vu_conn_adopt(lc->fd);
		if (rc)
			goto out_net;
		return 0;
	}
	if (lc->listen_fd < 0) {
		rc = -EINVAL;
		goto out_net;
	}
	vu.listen_w.fn = vu_listen_ready;
	rc = loop_add(lc->listen_fd, EPOLLIN, &vu.listen_w);
	if (rc)
		goto out_net;
	vu.listen_fd = lc->listen_fd;	/* ours from now on */
	return 0;

out_net:
	vu_net_close();
	return rc;
}
