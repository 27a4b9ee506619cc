/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/harness/vu_fe.h - a minimal vhost-user front-end for tests
 *
 * Owns: speaking the front-end side of vhost-user on a socket (messages
 * with SCM_RIGHTS fds, replies with a timeout), a memfd standing in for
 * guest memory, and split rings in it for queue 0 (to the guest) and
 * queue 1 (from the guest), laid out at fixed offsets so tests can also
 * write hostile descriptors by hand. Used by the unit tests of
 * link/vhost_user.c and by vu_evil.c; header-only so each uses what it
 * needs.
 */
#ifndef GANGWAY_TESTS_VU_FE_H
#define GANGWAY_TESTS_VU_FE_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define FE_MEM_SIZE	(1024 * 1024)
#define FE_GPA		0x40000000ULL	/* guest physical base */
#define FE_UVA		0x7f0000000000ULL	/* "QEMU" virtual base */
#define FE_QBASE(q)	((size_t)(q) * 0x4000)
#define FE_DESC(q)	FE_QBASE(q)
#define FE_AVAIL(q)	(FE_QBASE(q) + 0x1000)
#define FE_USED(q)	(FE_QBASE(q) + 0x2000)
#define FE_BUF(q, i)	(0x10000 + (size_t)(q) * 0x40000 + (size_t)(i) * 0x2000)
#define FE_BUF_SIZE	0x2000
#define FE_HDR		12

/* Requests and bits the tests use (vhost-user.rst) */
enum {
	FE_GET_FEATURES = 1, FE_SET_FEATURES = 2, FE_SET_OWNER = 3,
	FE_RESET_OWNER = 4, FE_SET_MEM_TABLE = 5, FE_SET_LOG_BASE = 6,
	FE_SET_LOG_FD = 7, FE_SET_VRING_NUM = 8, FE_SET_VRING_ADDR = 9,
	FE_SET_VRING_BASE = 10, FE_GET_VRING_BASE = 11,
	FE_SET_VRING_KICK = 12, FE_SET_VRING_CALL = 13,
	FE_SET_VRING_ERR = 14, FE_GET_PROTOCOL_FEATURES = 15,
	FE_SET_PROTOCOL_FEATURES = 16, FE_GET_QUEUE_NUM = 17,
	FE_SET_VRING_ENABLE = 18,
};

#define FE_V1		0x1
#define FE_NEED_REPLY	0x8
#define FE_NOFD		0x100

struct vu_fe {
	int sock;
	int memfd;
	uint8_t *mem;
	int kick[2];
	int call[2];
	uint16_t num;
	uint16_t avail_idx[2];
	uint16_t used_seen[2];
	void (*pump)(void);	/* in-process back-end: run it before reads */
};

static inline int fe_send_raw(struct vu_fe *fe, const void *buf, size_t len,
			      const int *fds, unsigned int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	n = sendmsg(fe->sock, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Send one message: header with @size (usually @len) then @len bytes */
static inline int fe_msg_sized(struct vu_fe *fe, uint32_t req,
			       uint32_t flags, uint32_t size,
			       const void *payload, size_t len,
			       const int *fds, unsigned int nfds)
{
	uint8_t buf[12 + 4096];
	uint32_t h[3] = { req, flags, size };

	if (len > 4096)
		return -EMSGSIZE;
	memcpy(buf, h, 12);
	if (len)
		memcpy(buf + 12, payload, len);
	return fe_send_raw(fe, buf, 12 + len, fds, nfds);
}

static inline int fe_msg(struct vu_fe *fe, uint32_t req, uint32_t flags,
			 const void *payload, size_t len, const int *fds,
			 unsigned int nfds)
{
	return fe_msg_sized(fe, req, flags | FE_V1, (uint32_t)len, payload,
			    len, fds, nfds);
}

static inline int fe_u64(struct vu_fe *fe, uint32_t req, uint32_t flags,
			 uint64_t v, const int *fds, unsigned int nfds)
{
	return fe_msg(fe, req, flags, &v, 8, fds, nfds);
}

static inline int fe_state(struct vu_fe *fe, uint32_t req, uint32_t flags,
			   uint32_t idx, uint32_t num)
{
	uint32_t s[2] = { idx, num };

	return fe_msg(fe, req, flags, s, 8, NULL, 0);
}

/* Read exactly @len bytes within @ms; 0, -EPIPE (closed), -ETIMEDOUT */
static inline int fe_read(struct vu_fe *fe, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fe->sock, .events = POLLIN };
		ssize_t n;

		if (fe->pump)
			fe->pump();
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		n = recv(fe->sock, (uint8_t *)buf + got, len - got, 0);
		if (n == 0)
			return -EPIPE;
		if (n < 0)
			return n == -1 && errno == ECONNRESET ? -EPIPE : -errno;
		got += (size_t)n;
	}
	return 0;
}

/* Read a reply to @req with a u64 payload; 0 or -errno */
static inline int fe_reply(struct vu_fe *fe, uint32_t req, uint64_t *val,
			   int ms)
{
	uint32_t h[3];
	int rc = fe_read(fe, h, 12, ms);

	if (rc)
		return rc;
	if (h[0] != req || h[1] != (FE_V1 | 0x4) || h[2] != 8)
		return -EPROTO;
	return fe_read(fe, val, 8, ms);
}

/* Is the connection closed by the other side (within @ms)? */
static inline bool fe_closed(struct vu_fe *fe, int ms)
{
	uint8_t b[64];
	struct pollfd p = { .fd = fe->sock, .events = POLLIN };

	for (;;) {
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return false;
		n = recv(fe->sock, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

static inline int fe_mem_init(struct vu_fe *fe)
{
	fe->memfd = memfd_create("vu-fe-guest", MFD_CLOEXEC);
	if (fe->memfd < 0 || ftruncate(fe->memfd, FE_MEM_SIZE))
		return -errno;
	fe->mem = mmap(NULL, FE_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fe->memfd, 0);
	if (fe->mem == MAP_FAILED)
		return -errno;
	memset(fe->mem, 0, FE_MEM_SIZE);
	return 0;
}

static inline void fe_free(struct vu_fe *fe)
{
	unsigned int i;

	if (fe->mem && fe->mem != MAP_FAILED)
		munmap(fe->mem, FE_MEM_SIZE);
	if (fe->memfd >= 0)
		close(fe->memfd);
	for (i = 0; i < 2; i++) {
		if (fe->kick[i] >= 0)
			close(fe->kick[i]);
		if (fe->call[i] >= 0)
			close(fe->call[i]);
	}
	if (fe->sock >= 0)
		close(fe->sock);
	memset(fe, 0, sizeof(*fe));
	fe->sock = fe->memfd = -1;
	fe->kick[0] = fe->kick[1] = fe->call[0] = fe->call[1] = -1;
}

/* Memory table with one region: @size bytes of the memfd at @off */
static inline int fe_mem_table(struct vu_fe *fe, uint32_t flags,
			       uint64_t gpa, uint64_t size, uint64_t uva,
			       uint64_t off)
{
	uint64_t p[5] = { 1, gpa, size, uva, off };

	return fe_msg(fe, FE_SET_MEM_TABLE, flags, p, sizeof(p),
		      &fe->memfd, 1);
}

static inline int fe_vring_addr(struct vu_fe *fe, uint32_t flags,
				uint32_t q, uint64_t desc, uint64_t used,
				uint64_t avail)
{
	uint64_t a[5];
	uint32_t ix[2] = { q, 0 };

	memcpy(a, ix, 8);
	a[1] = desc;
	a[2] = used;
	a[3] = avail;
	a[4] = 0;
	return fe_msg(fe, FE_SET_VRING_ADDR, flags, a, sizeof(a), NULL, 0);
}

/* What QEMU does before the guest runs, with REPLY_ACK on everything */
static inline int fe_start(struct vu_fe *fe, uint16_t num, uint64_t features)
{
	uint64_t v;
	unsigned int q;
	int rc;

	fe->num = num;
	if ((rc = fe_msg(fe, FE_GET_FEATURES, 0, NULL, 0, NULL, 0)) ||
	    (rc = fe_reply(fe, FE_GET_FEATURES, &v, 2000)))
		return rc;
	if ((rc = fe_msg(fe, FE_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0)) ||
	    (rc = fe_reply(fe, FE_GET_PROTOCOL_FEATURES, &v, 2000)))
		return rc;
	if ((rc = fe_u64(fe, FE_SET_PROTOCOL_FEATURES, 0, 1ULL << 3, NULL,
			 0)))
		return rc;
	if ((rc = fe_msg(fe, FE_SET_OWNER, FE_NEED_REPLY, NULL, 0, NULL, 0)) ||
	    (rc = fe_reply(fe, FE_SET_OWNER, &v, 2000)) || v)
		return rc ? rc : -EPROTO;
	if ((rc = fe_u64(fe, FE_SET_FEATURES, FE_NEED_REPLY, features, NULL,
			 0)) ||
	    (rc = fe_reply(fe, FE_SET_FEATURES, &v, 2000)) || v)
		return rc ? rc : -EPROTO;
	if ((rc = fe_mem_table(fe, FE_NEED_REPLY, FE_GPA, FE_MEM_SIZE, FE_UVA,
			       0)) ||
	    (rc = fe_reply(fe, FE_SET_MEM_TABLE, &v, 2000)) || v)
		return rc ? rc : -EPROTO;
	for (q = 0; q < 2; q++) {
		uint64_t idx = q;

		fe->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fe->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if ((rc = fe_state(fe, FE_SET_VRING_NUM, 0, q, num)) ||
		    (rc = fe_state(fe, FE_SET_VRING_BASE, 0, q, 0)) ||
		    (rc = fe_vring_addr(fe, 0, q, FE_UVA + FE_DESC(q),
					FE_UVA + FE_USED(q),
					FE_UVA + FE_AVAIL(q))) ||
		    (rc = fe_u64(fe, FE_SET_VRING_CALL, 0, idx, &fe->call[q],
				 1)) ||
		    (rc = fe_u64(fe, FE_SET_VRING_KICK, 0, idx, &fe->kick[q],
				 1)) ||
		    (rc = fe_state(fe, FE_SET_VRING_ENABLE, FE_NEED_REPLY, q,
				   1)) ||
		    (rc = fe_reply(fe, FE_SET_VRING_ENABLE, &v, 2000)) || v)
			return rc ? rc : -EPROTO;
	}
	return 0;
}

static inline void fe_put16(struct vu_fe *fe, size_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)(fe->mem + off), v,
			 __ATOMIC_RELEASE);
}

static inline uint16_t fe_get16(struct vu_fe *fe, size_t off)
{
	return __atomic_load_n((uint16_t *)(void *)(fe->mem + off),
			       __ATOMIC_ACQUIRE);
}

static inline void fe_desc(struct vu_fe *fe, unsigned int q, unsigned int i,
			   uint64_t gpa, uint32_t len, uint16_t flags,
			   uint16_t next)
{
	uint8_t *d = fe->mem + FE_DESC(q) + (size_t)i * 16;

	memcpy(d, &gpa, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Put @head in queue @q's next available slot (no kick) */
static inline void fe_avail(struct vu_fe *fe, unsigned int q, uint16_t head)
{
	uint16_t idx = fe->avail_idx[q];

	fe_put16(fe, FE_AVAIL(q) + 4 + 2 * (idx % fe->num), head);
	fe->avail_idx[q] = ++idx;
	fe_put16(fe, FE_AVAIL(q) + 2, idx);
}

static inline void fe_kick(struct vu_fe *fe, unsigned int q)
{
	uint64_t one = 1;

	if (write(fe->kick[q], &one, 8) != 8)
		return;
}

/* Queue a frame from the guest (header + frame in one buffer), kick */
static inline void fe_tx(struct vu_fe *fe, const void *frame, size_t len)
{
	unsigned int slot = fe->avail_idx[1] % fe->num;
	size_t buf = FE_BUF(1, slot);

	memset(fe->mem + buf, 0, FE_HDR);
	memcpy(fe->mem + buf + FE_HDR, frame, len);
	fe_desc(fe, 1, slot, FE_GPA + buf, (uint32_t)(FE_HDR + len), 0, 0);
	fe_avail(fe, 1, (uint16_t)slot);
	fe_kick(fe, 1);
}

/* Post @n writable buffers of @size bytes on queue 0, kick */
static inline void fe_rx_post(struct vu_fe *fe, unsigned int n, uint32_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int slot = fe->avail_idx[0] % fe->num;

		fe_desc(fe, 0, slot, FE_GPA + FE_BUF(0, slot), size, 2, 0);
		fe_avail(fe, 0, (uint16_t)slot);
	}
	fe_kick(fe, 0);
}

/* Next used entry of queue @q: true and its id and length, if any */
static inline bool fe_used(struct vu_fe *fe, unsigned int q, uint32_t *id,
			   uint32_t *len)
{
	size_t e;

	if (fe_get16(fe, FE_USED(q) + 2) == fe->used_seen[q])
		return false;
	e = FE_USED(q) + 4 + 8 * (size_t)(fe->used_seen[q] % fe->num);
	memcpy(id, fe->mem + e, 4);
	memcpy(len, fe->mem + e + 4, 4);
	fe->used_seen[q]++;
	return true;
}

#endif /* GANGWAY_TESTS_VU_FE_H */
