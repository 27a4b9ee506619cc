/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet/cursor.h - the only way to read guest bytes: a bounded cursor
 *
 * Owns: struct pkt_cursor (a start and a remaining length) and the
 * primitives that move it. Every parser takes a cursor, checks the bytes it
 * needs with cur_peek() before touching them, and advances with cur_skip().
 * Outside src/packet/ nobody does pointer arithmetic on guest data.
 * Uses: core/compiler.h only. No I/O, no logging, no global state.
 */
#ifndef GANGWAY_PACKET_CURSOR_H
#define GANGWAY_PACKET_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"

struct pkt_cursor {
	const uint8_t *p;	/* next unread byte */
	size_t len;		/* bytes left from p */
};

static inline struct pkt_cursor cur_make(const void *p, size_t len)
{
	struct pkt_cursor c = { .p = (const uint8_t *)p, .len = len };

	return c;
}

static inline size_t cur_len(const struct pkt_cursor *c)
{
	return c->len;
}

/* Pointer to the next @n bytes if that many remain, else NULL */
static inline const uint8_t *cur_peek(const struct pkt_cursor *c, size_t n)
{
	return n <= c->len ? c->p : NULL;
}

/* Advance by @n bytes; false (cursor unchanged) if fewer remain */
static inline bool cur_skip(struct pkt_cursor *c, size_t n)
{
	if (n > c->len)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

/* Return the next @n bytes and advance past them, or NULL */
static inline const uint8_t *cur_pull(struct pkt_cursor *c, size_t n)
{
	const uint8_t *p = cur_peek(c, n);

	if (p)
		cur_skip(c, n);
	return p;
}

/* Copy @n bytes out and advance; false if fewer remain */
static inline bool cur_copy(struct pkt_cursor *c, void *dst, size_t n)
{
	const uint8_t *p = cur_pull(c, n);

	if (!p)
		return false;
	memcpy(dst, p, n);
	return true;
}

/* Forget everything past the first @n bytes (link padding) */
static inline void cur_trim(struct pkt_cursor *c, size_t n)
{
	if (n < c->len)
		c->len = n;
}

/* A sub-cursor over the next @n bytes; the parent skips them */
static inline bool cur_split(struct pkt_cursor *c, size_t n,
			     struct pkt_cursor *sub)
{
	if (n > c->len)
		return false;
	*sub = cur_make(c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_u8(struct pkt_cursor *c, uint8_t *v)
{
	const uint8_t *p = cur_pull(c, 1);

	if (!p)
		return false;
	*v = p[0];
	return true;
}

static inline bool cur_be16(struct pkt_cursor *c, uint16_t *v)
{
	const uint8_t *p = cur_pull(c, 2);

	if (!p)
		return false;
	*v = get_be16(p);
	return true;
}

static inline bool cur_be32(struct pkt_cursor *c, uint32_t *v)
{
	const uint8_t *p = cur_pull(c, 4);

	if (!p)
		return false;
	*v = get_be32(p);
	return true;
}

/**
 * struct pkt_builder - a bounded output buffer for frames we build
 * @buf:	start of the buffer
 * @cap:	capacity in bytes
 * @len:	bytes written so far
 * @overflow:	set once any write did not fit; the frame must not be sent
 */
struct pkt_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
	bool no_l4_csum;	/* TCP/UDP/ICMP checksums left out: the
				 * link said so (guest_tx csum_optional) */
};

static inline void pb_init(struct pkt_builder *b, void *buf, size_t cap)
{
	b->buf = (uint8_t *)buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	b->no_l4_csum = false;
}

/* Reserve @n bytes and return them (zeroed), or NULL and mark overflow */
static inline uint8_t *pb_reserve(struct pkt_builder *b, size_t n)
{
	uint8_t *p;

	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static inline bool pb_put(struct pkt_builder *b, const void *src, size_t n)
{
	uint8_t *p = pb_reserve(b, n);

	if (!p)
		return false;
	memcpy(p, src, n);
	return true;
}

static inline bool pb_u8(struct pkt_builder *b, uint8_t v)
{
	return pb_put(b, &v, 1);
}

static inline bool pb_be16(struct pkt_builder *b, uint16_t v)
{
	uint8_t *p = pb_reserve(b, 2);

	if (!p)
		return false;
	put_be16(p, v);
	return true;
}

static inline bool pb_be32(struct pkt_builder *b, uint32_t v)
{
	uint8_t *p = pb_reserve(b, 4);

	if (!p)
		return false;
	put_be32(p, v);
	return true;
}

#endif /* GANGWAY_PACKET_CURSOR_H */
