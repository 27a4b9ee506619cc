// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/csum.c - Internet checksums (RFC 1071)
 *
 * The data path sums every TCP segment we build or receive, so the inner
 * loop adds 64-bit words with an explicit carry count and folds once at
 * the end. The sum is computed in native byte order over an even number
 * of bytes, folded to 16 bits and swapped to network word order (RFC 1071
 * section 2(B): the one's complement sum does not depend on byte order).
 * Partial sums returned here are in network word order, so they combine
 * with csum_pseudo() and the odd trailing byte by plain addition.
 */
#include <endian.h>
#include <string.h>

#include "packet/csum.h"

/* Fold a 64-bit one's complement accumulator down to 16 bits */
static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/**
 * sum_native() - one's complement sum of @len bytes, native word order
 * @p:		data, any alignment
 * @len:	bytes, must be even
 *
 * Return: 16-bit sum in native order (0 to 0xffff)
 */
static uint32_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, carry = 0, w0, w1, w2, w3;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc += w0;
		carry += acc < w0;
		acc += w1;
		carry += acc < w1;
		acc += w2;
		carry += acc < w2;
		acc += w3;
		carry += acc < w3;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		acc += w0;
		carry += acc < w0;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		carry += acc < w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		carry += acc < w;
	}
	/* carry counts wraps of 2^64, which is 1 in one's complement */
	acc += carry;
	if (acc < carry)
		acc++;
	return fold64(acc);
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	uint32_t n = sum_native(p, len & ~(size_t)1);

#if __BYTE_ORDER == __LITTLE_ENDIAN
	n = ((n & 0xff) << 8) | (n >> 8);
#endif
	s += n;
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint32_t csum_copy(void *dst, const void *src, size_t len, uint32_t sum)
{
	memcpy(dst, src, len);
	return csum_partial(dst, len, sum);
}

uint32_t csum_iov(const struct iovec *iov, size_t cnt, uint32_t sum)
{
	uint64_t s = sum;
	size_t i, off = 0;

	for (i = 0; i < cnt; i++) {
		uint32_t part;

		if (!iov[i].iov_len)
			continue;
		part = fold64(csum_partial(iov[i].iov_base, iov[i].iov_len,
					   0));
		/* A segment starting at an odd offset has its bytes in the
		 * other half of each word: swap its folded sum. */
		if (off & 1)
			part = ((part & 0xff) << 8) | (part >> 8);
		s += part;
		off += iov[i].iov_len;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint32_t csum_pseudo(const union inany *src, const union inany *dst,
		     uint8_t proto, uint32_t l4len)
{
	uint32_t s;

	if (inany_is_v4(src)) {
		s = csum_partial(&src->v4mapped.a4, 4, 0);
		s = csum_partial(&dst->v4mapped.a4, 4, s);
		return fold64((uint64_t)s + proto + l4len);
	}
	s = csum_partial(&src->a6, 16, 0);
	s = csum_partial(&dst->a6, 16, s);
	return fold64((uint64_t)s + proto + (l4len >> 16) + (l4len & 0xffff));
}

uint16_t csum_ipv4_hdr(const void *hdr, size_t hlen)
{
	return csum_fold(csum_partial(hdr, hlen, 0));
}
