// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/virtio.c - split virtqueues in shared guest memory
 *
 * Layout of a split ring of size N (virtio 1.x section 2.7), offsets in
 * bytes from each ring's start, all fields little-endian:
 *
 *   descriptor table  16 * N: addr u64, len u32, flags u16, next u16
 *   available ring    flags u16 @0, idx u16 @2, ring[N] u16 @4,
 *                     used_event u16 @4+2N
 *   used ring         flags u16 @0, idx u16 @2, ring[N] {id u32, len u32}
 *                     @4, avail_event u16 @4+8N
 *
 * The only pointer arithmetic on ring memory is an index reduced modulo
 * N (or below a checked table length) times a fixed entry size, on areas
 * vq_setup() or the indirect check proved to hold N entries. Buffers are
 * reached only through the iovec lists vq_pop() builds.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "link/virtio.h"

const char *const vq_err_str[VQ_E__COUNT] = {
	[VQ_OK]			= "ok",
	[VQ_EMPTY]		= "empty",
	[VQ_E_MEM_COUNT]	= "bad region count",
	[VQ_E_MEM_SIZE]		= "zero-sized region",
	[VQ_E_MEM_OVERFLOW]	= "region address plus size overflows",
	[VQ_E_MEM_OVERLAP]	= "regions overlap",
	[VQ_E_RING_SIZE]	= "ring size not a power of two up to 32768",
	[VQ_E_RING_ALIGN]	= "ring misaligned",
	[VQ_E_RING_MEM]		= "ring outside guest memory",
	[VQ_E_AVAIL_JUMP]	= "avail index moved more than the ring size",
	[VQ_E_HEAD]		= "head index out of range",
	[VQ_E_NEXT]		= "next index out of range",
	[VQ_E_LOOP]		= "descriptor chain loops",
	[VQ_E_INDIRECT_LEN]	= "indirect table length invalid",
	[VQ_E_INDIRECT_MEM]	= "indirect table outside guest memory",
	[VQ_E_INDIRECT_NESTED]	= "nested or chained indirect descriptor",
	[VQ_E_INDIRECT_OFF]	= "indirect descriptor not negotiated",
	[VQ_E_ZERO_LEN]		= "zero-length buffer",
	[VQ_E_BUF_MEM]		= "buffer outside guest memory",
	[VQ_E_SEGS]		= "chain has too many buffers",
	[VQ_E_ORDER]		= "readable buffer after writable one",
};

static_assert(ARRAY_SIZE(vq_err_str) == VQ_E__COUNT, "vq_err_str size");

/* A local, checked-once copy of one descriptor */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* A descriptor table: the ring's own or an indirect one */
struct vq_table {
	const uint8_t *base;
	uint32_t num;
};

/* Guest memory is written concurrently: every field is one atomic load */
static inline uint16_t vq_ld16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_RELAXED));
}

static inline uint16_t vq_ld16_acquire(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_ACQUIRE));
}

static inline void vq_st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void vq_st16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

static inline void vq_st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

/**
 * vq_table_read() - copy descriptor @i out of table @t
 * @t:		table known to hold @t->num descriptors
 * @i:		index, checked here against @t->num
 * @d:		local copy
 * Return: false if @i is out of range
 */
static bool vq_table_read(const struct vq_table *t, uint32_t i,
			  struct vq_desc *d)
{
	const uint8_t *p;
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;

	if (i >= t->num)
		return false;
	p = t->base + (size_t)i * VRING_DESC_LEN;
	memcpy(&addr, p, 8);
	memcpy(&len, p + 8, 4);
	memcpy(&flags, p + 12, 2);
	memcpy(&next, p + 14, 2);
	d->addr = le64toh(addr);
	d->len = le32toh(len);
	d->flags = le16toh(flags);
	d->next = le16toh(next);
	return true;
}

/* Does [a, a + len) wrap around? */
static bool range_wraps(uint64_t a, uint64_t len)
{
	return len && a + (len - 1) < a;
}

/* Do [a, a + alen) and [b, b + blen) (non-wrapping, nonzero) intersect? */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

enum vq_err vq_mem_check(const struct vq_region *r, unsigned int n,
			 const uint64_t *mmap_off)
{
	unsigned int i, j;

	if (n == 0 || n > VQ_REGIONS_MAX)
		return VQ_E_MEM_COUNT;
	for (i = 0; i < n; i++) {
		if (!r[i].size)
			return VQ_E_MEM_SIZE;
		if (range_wraps(r[i].gpa, r[i].size) ||
		    range_wraps(r[i].uva, r[i].size) ||
		    range_wraps(mmap_off[i], r[i].size) ||
		    mmap_off[i] + r[i].size > (uint64_t)SIZE_MAX)
			return VQ_E_MEM_OVERFLOW;
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (ranges_overlap(r[i].gpa, r[i].size,
					   r[j].gpa, r[j].size) ||
			    ranges_overlap(r[i].uva, r[i].size,
					   r[j].uva, r[j].size))
				return VQ_E_MEM_OVERLAP;
		}
	}
	return VQ_OK;
}

/* Offset of [a, a + len) in the region [base, base + size), or -1 */
static int64_t region_off(uint64_t base, uint64_t size, uint64_t a,
			  uint64_t len)
{
	uint64_t off;

	if (a < base)
		return -1;
	off = a - base;
	if (off >= size || len > size - off)
		return -1;
	return (int64_t)off;
}

/* Our address of [a, a + len), @a in QEMU's address space (by_gpa false)
 * or the guest's physical one (by_gpa true); NULL unless one region holds
 * all of it */
static void *vq_mem_find(const struct vq_mem *m, bool by_gpa, uint64_t a,
			 uint64_t len)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		uint64_t base = by_gpa ? m->r[i].gpa : m->r[i].uva;
		int64_t off = region_off(base, m->r[i].size, a, len);

		if (off >= 0)
			return m->r[i].host + off;
	}
	return NULL;
}

void *vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len)
{
	return vq_mem_find(m, false, uva, len);
}

void *vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len)
{
	return vq_mem_find(m, true, gpa, len);
}

/**
 * vq_mem_gpa_iov() - append [@gpa, @gpa + @len) to an iovec list
 * @m:		memory map
 * @gpa:	guest physical address
 * @len:	nonzero length
 * @iov:	list
 * @cnt:	entries used in @iov, updated
 *
 * A buffer may span adjacent regions; it becomes one entry per region.
 * Return: VQ_OK, VQ_E_BUF_MEM or VQ_E_SEGS
 */
static enum vq_err vq_mem_gpa_iov(const struct vq_mem *m, uint64_t gpa,
				  uint64_t len, struct iovec *iov,
				  unsigned int *cnt)
{
	if (range_wraps(gpa, len))
		return VQ_E_BUF_MEM;
	while (len) {
		const struct vq_region *r = NULL;
		uint64_t off = 0, take;
		unsigned int i;

		for (i = 0; i < m->n; i++) {
			if (gpa >= m->r[i].gpa &&
			    gpa - m->r[i].gpa < m->r[i].size) {
				r = &m->r[i];
				off = gpa - r->gpa;
				break;
			}
		}
		if (!r)
			return VQ_E_BUF_MEM;
		if (*cnt >= VQ_SEG_MAX)
			return VQ_E_SEGS;
		take = MIN(len, r->size - off);
		iov[*cnt].iov_base = r->host + off;
		iov[*cnt].iov_len = take;
		(*cnt)++;
		gpa += take;
		len -= take;
	}
	return VQ_OK;
}

bool vq_size_ok(uint32_t n)
{
	return n && n <= VQ_SIZE_MAX && !(n & (n - 1));
}

enum vq_err vq_setup(struct vq *vq, const struct vq_mem *m,
		     uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva)
{
	uint64_t n = vq->num;
	void *desc, *avail, *used;

	if (!vq_size_ok(vq->num))
		return VQ_E_RING_SIZE;
	if (desc_uva % 16 || avail_uva % 2 || used_uva % 4)
		return VQ_E_RING_ALIGN;
	desc = vq_mem_uva(m, desc_uva, n * VRING_DESC_LEN);
	avail = vq_mem_uva(m, avail_uva, 4 + 2 * n + 2);
	used = vq_mem_uva(m, used_uva, 4 + 8 * n + 2);
	if (!desc || !avail || !used)
		return VQ_E_RING_MEM;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->broken = VQ_OK;
	return VQ_OK;
}

void vq_start(struct vq *vq)
{
	vq->used_idx = vq_ld16_acquire(vq->used + 2);
	vq->used_pub = vq->used_idx;
	vq_st16(vq->used, 0);	/* flags: we always want kicks */
}

uint16_t vq_avail_count(struct vq *vq)
{
	uint16_t n;

	if (vq->broken)
		return 0;
	n = vq_ld16_acquire(vq->avail + 2) - vq->last_avail;
	if (n > vq->num) {
		vq->broken = VQ_E_AVAIL_JUMP;
		return 0;
	}
	return n;
}

/**
 * vq_walk() - collect the chain starting at @head, checking every step
 * @vq:		queue
 * @m:		memory map
 * @head:	head index, checked here
 * @e:		filled in
 * Return: VQ_OK or why the chain is invalid
 */
static enum vq_err vq_walk(const struct vq *vq, const struct vq_mem *m,
			   uint16_t head, struct vq_elem *e)
{
	struct vq_table t = { .base = vq->desc, .num = vq->num };
	bool in_indirect = false;
	uint32_t i = head, steps = 0;
	struct vq_desc d;
	enum vq_err err;

	e->head = head;
	e->out_cnt = e->in_cnt = 0;
	e->out_len = e->in_len = 0;
	if (!vq_table_read(&t, i, &d))
		return VQ_E_HEAD;

	for (;;) {
		/* A chain visits each descriptor of its table at most once */
		if (++steps > t.num)
			return VQ_E_LOOP;

		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return VQ_E_INDIRECT_OFF;
			if (in_indirect || (d.flags & VRING_DESC_F_NEXT))
				return VQ_E_INDIRECT_NESTED;
			if (!d.len || d.len % VRING_DESC_LEN ||
			    d.len / VRING_DESC_LEN > VQ_SIZE_MAX)
				return VQ_E_INDIRECT_LEN;
			t.base = vq_mem_gpa(m, d.addr, d.len);
			if (!t.base)
				return VQ_E_INDIRECT_MEM;
			t.num = d.len / VRING_DESC_LEN;
			in_indirect = true;
			steps = 0;
			if (!vq_table_read(&t, 0, &d))
				return VQ_E_INDIRECT_LEN;
			continue;
		}

		if (!d.len)
			return VQ_E_ZERO_LEN;
		if (d.flags & VRING_DESC_F_WRITE) {
			err = vq_mem_gpa_iov(m, d.addr, d.len, e->in,
					     &e->in_cnt);
			e->in_len += d.len;
		} else {
			if (e->in_cnt)
				return VQ_E_ORDER;
			err = vq_mem_gpa_iov(m, d.addr, d.len, e->out,
					     &e->out_cnt);
			e->out_len += d.len;
		}
		if (err)
			return err;

		if (!(d.flags & VRING_DESC_F_NEXT))
			return VQ_OK;
		i = d.next;
		if (!vq_table_read(&t, i, &d))
			return VQ_E_NEXT;
	}
}

/* Head index in available slot @slot (any value; vq_walk() checks it) */
static uint16_t vq_avail_head(const struct vq *vq, uint16_t slot)
{
	return vq_ld16(vq->avail + 4 + 2 * (size_t)(slot & (vq->num - 1)));
}

enum vq_err vq_pop(struct vq *vq, const struct vq_mem *m, struct vq_elem *e)
{
	enum vq_err err;

	if (vq->broken)
		return vq->broken;
	if (!vq_avail_count(vq))
		return vq->broken ? vq->broken : VQ_EMPTY;

	err = vq_walk(vq, m, vq_avail_head(vq, vq->last_avail), e);
	if (err) {
		vq->broken = err;
		return err;
	}
	vq->last_avail++;
	return VQ_OK;
}

void vq_unpop(struct vq *vq, uint16_t n)
{
	vq->last_avail -= n;
}

size_t vq_peek_in_len(struct vq *vq, const struct vq_mem *m, uint16_t i)
{
	struct vq_elem e;

	if (i >= vq_avail_count(vq))
		return 0;
	if (vq_walk(vq, m, vq_avail_head(vq, vq->last_avail + i), &e))
		return 0;
	return e.in_len;
}

void vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	uint8_t *ent = vq->used + 4 + 8 * (size_t)(vq->used_idx &
						   (vq->num - 1));

	vq_st32(ent, head);
	vq_st32(ent + 4, len);
	vq->used_idx++;
}

bool vq_flush(struct vq *vq)
{
	uint16_t old = vq->used_pub, new = vq->used_idx;
	uint16_t used_event;

	if (old == new)
		return false;
	vq_st16_release(vq->used + 2, new);
	vq->used_pub = new;

	/* Our used->idx store must be visible before we read the guest's
	 * suppression fields, or both sides may go to sleep */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (!vq->event_idx)
		return !(vq_ld16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);

	/* virtio 1.x 2.7.10: vring_need_event(used_event, new, old) */
	used_event = vq_ld16(vq->avail + 4 + 2 * (size_t)vq->num);
	return (uint16_t)(new - used_event - 1) < (uint16_t)(new - old);
}

bool vq_kick_enable(struct vq *vq)
{
	if (vq->broken)
		return false;
	if (vq->event_idx)
		vq_st16(vq->used + 4 + 8 * (size_t)vq->num, vq->last_avail);
	else
		vq_st16(vq->used, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_avail_count(vq) != 0;
}

void vq_kick_on_add(struct vq *vq)
{
	if (vq->broken)
		return;
	if (vq->event_idx)
		vq_st16(vq->used + 4 + 8 * (size_t)vq->num,
			vq_ld16_acquire(vq->avail + 2));
	else
		vq_st16(vq->used, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

size_t vq_iov_from_buf(const struct iovec *iov, unsigned int cnt,
		       size_t off, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t n;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = MIN(iov[i].iov_len - off, len - done);
		memcpy((uint8_t *)iov[i].iov_base + off, s + done, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vq_iov_to_buf(const struct iovec *iov, unsigned int cnt,
		     size_t off, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t n;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = MIN(iov[i].iov_len - off, len - done);
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}
