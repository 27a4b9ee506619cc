/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * link/virtio.h - split virtqueues in shared guest memory
 *
 * Owns: the guest memory map handed over by vhost-user (address
 * translation, region validation), one split virtqueue as seen by the
 * device (popping available descriptor chains into bounded iovec lists,
 * returning them through the used ring, deciding when to interrupt the
 * guest and asking for kicks with EVENT_IDX), and copying bytes between
 * linear buffers and iovec lists without ever leaving them.
 * Does not own: mmap()ing the regions, eventfds, the vhost-user messages
 * (link/vhost_user.c does all three), or frame contents.
 * Uses: core/compiler.h only: no I/O, no logging, no global state, so the
 * unit tests drive it on plain heap memory.
 *
 * Everything in guest memory is written by an untrusted guest while we
 * read it. Each index and descriptor is loaded once into a local copy and
 * checked before use: heads and next indexes below the table size, chains
 * no longer than their table (loops), indirect tables a nonzero multiple
 * of 16 bytes, inside one region and not nested, no zero-length buffers,
 * every buffer inside mapped memory (overflow-checked), the available
 * index never more than the ring size ahead. A violation marks the queue
 * broken: it is not looked at again until it is set up anew.
 *
 * Limits: rings of at most VQ_SIZE_MAX entries, chains of at most
 * VQ_SEG_MAX guest buffers (after splitting at region boundaries), at most
 * VQ_REGIONS_MAX memory regions.
 */
#ifndef GANGWAY_LINK_VIRTIO_H
#define GANGWAY_LINK_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/compiler.h"

/* Feature bits (virtio 1.x section 6 and 5.1.3) */
#define VIRTIO_NET_F_CSUM		0	/* driver may leave L4 csum */
#define VIRTIO_NET_F_GUEST_CSUM		1	/* device may, DATA_VALID */
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_HOST_TSO4		11	/* driver may send GSO TCPv4 */
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* struct virtio_net_hdr with num_buffers: always 12 bytes with VERSION_1 */
#define VIRTIO_NET_HDR_LEN		12
#define VIRTIO_NET_HDR_NUM_BUFFERS_OFF	10

/* struct virtio_net_hdr fields (virtio 1.x 5.1.6), little endian */
#define VIRTIO_NET_HDR_FLAGS_OFF	0
#define VIRTIO_NET_HDR_GSO_TYPE_OFF	1
#define VIRTIO_NET_HDR_HDR_LEN_OFF	2
#define VIRTIO_NET_HDR_GSO_SIZE_OFF	4
#define VIRTIO_NET_HDR_CSUM_START_OFF	6
#define VIRTIO_NET_HDR_CSUM_OFFSET_OFF	8

#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1	/* csum_start/offset valid */
#define VIRTIO_NET_HDR_F_DATA_VALID	2	/* checksum already checked */
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

#define VRING_DESC_F_NEXT		1
#define VRING_DESC_F_WRITE		2
#define VRING_DESC_F_INDIRECT		4
#define VRING_AVAIL_F_NO_INTERRUPT	1
#define VRING_USED_F_NO_NOTIFY		1

#define VQ_SIZE_MAX		32768	/* virtio 1.x: Queue Size <= 32768 */
#define VQ_SEG_MAX		64	/* guest buffers in one chain */
#define VQ_REGIONS_MAX		8	/* VHOST_MEMORY_BASELINE_NREGIONS */
#define VRING_DESC_LEN		16

/**
 * struct vq_region - one mapped region of guest memory
 * @gpa:	guest physical address of the first byte
 * @uva:	the same byte in QEMU's address space (rings are given so)
 * @size:	bytes in the region
 * @host:	the same byte in our address space
 */
struct vq_region {
	uint64_t gpa;
	uint64_t uva;
	uint64_t size;
	uint8_t *host;
};

/**
 * struct vq_mem - the guest memory map
 * @r:		regions, checked by vq_mem_check() before they are used
 * @n:		number of valid entries in @r
 */
struct vq_mem {
	struct vq_region r[VQ_REGIONS_MAX];
	unsigned int n;
};

/* Why a memory table or a queue was refused */
enum vq_err {
	VQ_OK = 0,
	VQ_EMPTY,		/* nothing available: not an error */
	VQ_E_MEM_COUNT,		/* no regions, or more than VQ_REGIONS_MAX */
	VQ_E_MEM_SIZE,		/* zero-sized region */
	VQ_E_MEM_OVERFLOW,	/* address plus size wraps around */
	VQ_E_MEM_OVERLAP,	/* two regions share addresses */
	VQ_E_RING_SIZE,		/* size zero, not a power of two, too big */
	VQ_E_RING_ALIGN,	/* ring area misaligned */
	VQ_E_RING_MEM,		/* ring area not inside one region */
	VQ_E_AVAIL_JUMP,	/* avail idx moved more than the ring size */
	VQ_E_HEAD,		/* head index beyond the ring */
	VQ_E_NEXT,		/* next index beyond the table */
	VQ_E_LOOP,		/* chain longer than its table */
	VQ_E_INDIRECT_LEN,	/* indirect table not a nonzero 16n bytes */
	VQ_E_INDIRECT_MEM,	/* indirect table not inside one region */
	VQ_E_INDIRECT_NESTED,	/* indirect inside indirect, or with NEXT */
	VQ_E_INDIRECT_OFF,	/* indirect used but not negotiated */
	VQ_E_ZERO_LEN,		/* zero-length buffer */
	VQ_E_BUF_MEM,		/* buffer not inside mapped memory */
	VQ_E_SEGS,		/* more than VQ_SEG_MAX buffers */
	VQ_E_ORDER,		/* device-readable after device-writable */
	VQ_E__COUNT,
};

extern const char *const vq_err_str[VQ_E__COUNT];

/**
 * struct vq - the device side of one split virtqueue
 * @num:	ring size (power of two), 0 while not set up
 * @desc:	descriptor table in our address space
 * @avail:	available ring (flags, idx, ring[num], used_event)
 * @used:	used ring (flags, idx, ring[num] of 8 bytes, avail_event)
 * @last_avail:	next available entry we will read
 * @used_idx:	next used entry we will write (shadow of used->idx)
 * @used_pub:	last value we stored to used->idx
 * @event_idx:	VIRTIO_RING_F_EVENT_IDX negotiated
 * @indirect:	VIRTIO_RING_F_INDIRECT_DESC negotiated
 * @broken:	why the guest broke this queue, VQ_OK if it did not
 */
struct vq {
	uint16_t num;
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t used_pub;
	bool event_idx;
	bool indirect;
	enum vq_err broken;
};

/**
 * struct vq_elem - one popped descriptor chain
 * @head:	head index, given back in the used ring
 * @out_cnt:	device-readable segments in @out
 * @in_cnt:	device-writable segments in @in
 * @out_len:	bytes in @out
 * @in_len:	bytes in @in
 */
struct vq_elem {
	uint16_t head;
	unsigned int out_cnt;
	unsigned int in_cnt;
	size_t out_len;
	size_t in_len;
	struct iovec out[VQ_SEG_MAX];
	struct iovec in[VQ_SEG_MAX];
};

/**
 * vq_mem_check() - validate a memory table before anything is mapped
 * @r:		regions as received (host pointers not yet set)
 * @n:		number of regions
 * @mmap_off:	per region, offset of the region in its file
 *
 * Checks the count, sizes, that no address range (guest physical, QEMU
 * virtual, file offset) wraps around, and that regions do not overlap in
 * guest physical or QEMU virtual space.
 * Return: VQ_OK or the reason
 */
enum vq_err vq_mem_check(const struct vq_region *r, unsigned int n,
			 const uint64_t *mmap_off);

/* Host pointer for [@uva, @uva + @len) if inside one region, else NULL */
void *vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len);

/* Host pointer for [@gpa, @gpa + @len) if inside one region, else NULL */
void *vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len);

/**
 * vq_setup() - point a queue at its rings after checking them
 * @vq:		queue; @vq->num must be set
 * @m:		memory map
 * @desc_uva, @avail_uva, @used_uva: ring addresses in QEMU's space
 *
 * Each ring must be suitably aligned and lie entirely inside one region.
 * Resets @broken; indexes are left for vq_start().
 * Return: VQ_OK, VQ_E_RING_SIZE, VQ_E_RING_ALIGN or VQ_E_RING_MEM
 */
enum vq_err vq_setup(struct vq *vq, const struct vq_mem *m,
		     uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva);

/* Begin processing: read the used index the guest left us (SET_VRING_BASE
 * has set @last_avail) */
void vq_start(struct vq *vq);

/* Predicate: @n is a valid ring size */
bool vq_size_ok(uint32_t n);

/**
 * vq_pop() - take the next available chain
 * @vq:		started queue, not broken
 * @m:		memory map
 * @e:		filled with the chain's segments
 *
 * On an error the queue is marked broken (and the chain not consumed).
 * Return: VQ_OK, VQ_EMPTY, or why the chain (or ring) is invalid
 */
enum vq_err vq_pop(struct vq *vq, const struct vq_mem *m, struct vq_elem *e);

/* Give back the last @n popped chains unused (they will be popped again) */
void vq_unpop(struct vq *vq, uint16_t n);

/* Number of available chains not yet popped, 0 if the ring is broken */
uint16_t vq_avail_count(struct vq *vq);

/* Return a chain through the used ring (published by vq_flush()) */
void vq_push(struct vq *vq, uint16_t head, uint32_t len);

/**
 * vq_flush() - publish used entries pushed since the last flush
 * @vq:		queue
 *
 * Return: true if the guest asked to be interrupted for them
 */
bool vq_flush(struct vq *vq);

/**
 * vq_kick_enable() - ask the guest to kick once it adds buffers
 * @vq:		queue
 *
 * With EVENT_IDX, sets avail_event to the next entry we will read; then
 * looks again so that a buffer added meanwhile is not missed.
 * Return: true if chains are available (the caller should process them)
 */
bool vq_kick_enable(struct vq *vq);

/**
 * vq_kick_on_add() - ask the guest to kick as soon as it adds a buffer
 * @vq:		queue
 *
 * Unlike vq_kick_enable(), for a device waiting with buffers still
 * available that are not enough (RX): with EVENT_IDX, avail_event becomes
 * the guest's current avail index rather than the next entry we will
 * read, which the guest may already have passed (then it never kicks).
 * Buffers added before this call are not signalled: look at the ring
 * again afterwards.
 */
void vq_kick_on_add(struct vq *vq);

/**
 * vq_peek_in_len() - device-writable bytes in the @i-th available chain
 * @vq:		queue
 * @m:		memory map
 * @i:		how far past @last_avail
 *
 * Walks the chain like vq_pop() does but consumes nothing and never
 * marks the queue broken (vq_pop() will, when it gets there).
 * Return: the writable length, 0 if the chain is absent or invalid
 */
size_t vq_peek_in_len(struct vq *vq, const struct vq_mem *m, uint16_t i);

/* Copy @len bytes from @src into @iov at @off; returns bytes copied */
size_t vq_iov_from_buf(const struct iovec *iov, unsigned int cnt,
		       size_t off, const void *src, size_t len);

/* Copy up to @len bytes from @iov at @off into @dst; returns bytes copied */
size_t vq_iov_to_buf(const struct iovec *iov, unsigned int cnt,
		     size_t off, void *dst, size_t len);

#endif /* GANGWAY_LINK_VIRTIO_H */
