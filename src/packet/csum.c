// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/csum.c - Internet checksums (RFC 1071)
 *
 * The data path sums every segment we build or receive, so the sum is
 * computed in native byte order over an even number of bytes, folded to
 * 16 bits and swapped to network word order (RFC 1071 section 2(B): the
 * one's complement sum does not depend on byte order). Partial sums
 * returned here are in network word order, so they combine with
 * csum_pseudo() and the odd trailing byte by plain addition.
 *
 * Theory of operation
 *
 * The one's complement sum of 16-bit words is their ordinary sum taken
 * modulo 0xffff (with 0xffff for a nonzero multiple), so any grouping of
 * the additions works as long as no carry is lost. Three loops do it:
 *
 * - vector (the bulk): 32-bit lanes of GCC/clang vector types, 16 bytes
 *   wide (SSE2 on x86-64, NEON on arm64, plain words elsewhere), and 32
 *   bytes wide on x86-64 CPUs with AVX2 (chosen at run time with
 *   __builtin_cpu_supports()): one body, VEC_LOOP(), for both widths.
 *   Each 32-bit word is split into its two 16-bit halves, which are
 *   added to 32-bit lane accumulators: no carry is ever produced as
 *   long as a lane gets fewer than 2^32 / 0xffff additions, so the
 *   buffer is taken in blocks of VEC_BLOCK iterations, and each block's
 *   lanes are added into a 64-bit total.
 * - scalar (buffers below VEC_MIN, heads and tails): 64-bit words
 *   added to a 64-bit accumulator, the carries out counted and added
 *   back at the end (end-around carry).
 * - csum_copy(): the same loops with a store of each loaded word, so
 *   the data is read once for both the copy and the sum.
 *
 * Every load and store goes through memcpy(), which the compiler turns
 * into unaligned moves: buffers may start at any address. From
 * ALIGN_MIN bytes, a scalar head brings the vector loads to a 32-byte
 * boundary; if the head is odd, the rest is summed with its bytes in
 * the other half of each word, and its folded sum is swapped back
 * (RFC 1071 section 2(B)), as csum_iov() does for pieces at odd offsets.
 */
#include <endian.h>
#include <stdbool.h>
#include <string.h>

#include "core/compiler.h"
#include "packet/csum.h"

/* Iterations per block of the vector loops: each adds at most
 * 2 * 0xffff to each of 4 accumulators' lanes, and the 4 are added
 * together at the end of the block, so 8 * 0xffff * VEC_BLOCK < 2^32. */
#define VEC_BLOCK	4096

/* Below this many bytes the scalar loop alone is used (measured: the
 * vector loops' set-up and reduction cost more on shorter buffers) */
#define VEC_MIN		256

/* From ALIGN_MIN bytes, the vector loops start at an address aligned to
 * VEC_ALIGN; below it, the scalar head and the swap cost more than the
 * loads that cross cache lines (measured at 1500 bytes) */
#define VEC_ALIGN	32
#define ALIGN_MIN	2048

/* From this many bytes the 32-byte loops are used, where available */
#define AVX2_MIN	256

/* Fold a 64-bit one's complement accumulator down to 16 bits */
static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* One's complement add of two 64-bit partial sums: if a + b wraps, the
 * result is below b, and adding the carry back cannot wrap again */
static inline uint64_t add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/**
 * sum_scalar() - one's complement sum of @len bytes as 64-bit words
 * @p:		data, any alignment
 * @len:	bytes, must be even
 *
 * Each add's carry out is counted and added back at the end (a carry
 * out of bit 63 is worth 1 in one's complement arithmetic). For short
 * buffers and the tails of the vector loops.
 *
 * Return: unfolded sum, congruent to the 16-bit native word sum
 */
static inline uint64_t sum_scalar(const uint8_t *p, size_t len)
{
	uint64_t a = 0, c = 0, w0, w1, w2, w3;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		c += __builtin_add_overflow(a, w0, &a);
		c += __builtin_add_overflow(a, w1, &a);
		c += __builtin_add_overflow(a, w2, &a);
		c += __builtin_add_overflow(a, w3, &a);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		c += __builtin_add_overflow(a, w0, &a);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		c += __builtin_add_overflow(a, w, &a);
		p += 4;
		len -= 4;
	}
	if (len) {
		uint16_t h;

		memcpy(&h, p, 2);
		c += __builtin_add_overflow(a, h, &a);
	}
	return add64(a, c);
}

/**
 * copy_scalar() - sum_scalar() that also copies what it sums
 * @d:		destination, any alignment, not overlapping @s
 * @s:		source, any alignment
 * @len:	bytes, must be even
 *
 * Return: as sum_scalar()
 */
static inline uint64_t copy_scalar(uint8_t *d, const uint8_t *s, size_t len)
{
	uint64_t a = 0, c = 0, w0, w1, w2, w3;

	while (len >= 32) {
		memcpy(&w0, s, 8);
		memcpy(&w1, s + 8, 8);
		memcpy(&w2, s + 16, 8);
		memcpy(&w3, s + 24, 8);
		memcpy(d, &w0, 8);
		memcpy(d + 8, &w1, 8);
		memcpy(d + 16, &w2, 8);
		memcpy(d + 24, &w3, 8);
		c += __builtin_add_overflow(a, w0, &a);
		c += __builtin_add_overflow(a, w1, &a);
		c += __builtin_add_overflow(a, w2, &a);
		c += __builtin_add_overflow(a, w3, &a);
		s += 32;
		d += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, s, 8);
		memcpy(d, &w0, 8);
		c += __builtin_add_overflow(a, w0, &a);
		s += 8;
		d += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, s, 4);
		memcpy(d, &w, 4);
		c += __builtin_add_overflow(a, w, &a);
		s += 4;
		d += 4;
		len -= 4;
	}
	if (len) {
		uint16_t h;

		memcpy(&h, s, 2);
		memcpy(d, &h, 2);
		c += __builtin_add_overflow(a, h, &a);
	}
	return add64(a, c);
}

/*
 * VEC_LOOP(name, vt, attr) defines the vector loop for the vector type vt
 * (32-bit lanes), compiled with the function attributes attr:
 *
 *	static uint64_t name(uint8_t *d, const uint8_t *s, size_t len,
 *			     bool copy);
 *
 * Return: the unfolded sum, congruent to the 16-bit native word sum, of
 * the first len / sizeof(vt) * sizeof(vt) bytes of s (any alignment),
 * stored also at the same offsets of d (any alignment, not overlapping
 * s, not used unless copy) if copy.
 *
 * A macro because the vector width is a type, and C has no templates:
 * written once for 32-byte vectors instead, the loop compiled for the
 * baseline target keeps its accumulators in memory (GCC 12: 40 -> 27
 * GB/s at 64 KiB). Each instance is always inlined, so the sums, where
 * copy is false, have no stores.
 */
#define VEC_LOOP(name, vt, attr)					\
attr __attribute__((always_inline))					\
static inline uint64_t name(uint8_t *d, const uint8_t *s, size_t len,	\
			    bool copy)					\
{									\
	const size_t w = sizeof(vt);					\
	const vt m = (vt){ 0 } + 0xffff;				\
	uint64_t total = 0;						\
	size_t i = 0;							\
									\
	do {								\
		vt a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };	\
		size_t k = MIN(len / (4 * w), (size_t)VEC_BLOCK);	\
		unsigned int j;						\
									\
		len -= k * 4 * w;					\
		for (; k; k--, i += 4 * w) {				\
			vt w0, w1, w2, w3;				\
									\
			memcpy(&w0, s + i, w);				\
			memcpy(&w1, s + i + w, w);			\
			memcpy(&w2, s + i + 2 * w, w);			\
			memcpy(&w3, s + i + 3 * w, w);			\
			if (copy) {					\
				memcpy(d + i, &w0, w);			\
				memcpy(d + i + w, &w1, w);		\
				memcpy(d + i + 2 * w, &w2, w);		\
				memcpy(d + i + 3 * w, &w3, w);		\
			}						\
			a0 += (w0 & m) + (w0 >> 16);			\
			a1 += (w1 & m) + (w1 >> 16);			\
			a2 += (w2 & m) + (w2 >> 16);			\
			a3 += (w3 & m) + (w3 >> 16);			\
		}							\
		/* the last block takes the single vectors left */	\
		for (; len >= w && len < 4 * w; len -= w, i += w) {	\
			vt w0;						\
									\
			memcpy(&w0, s + i, w);				\
			if (copy)					\
				memcpy(d + i, &w0, w);			\
			a0 += (w0 & m) + (w0 >> 16);			\
		}							\
		a0 += a1 + a2 + a3;					\
		for (j = 0; j < w / 4; j++)				\
			total += a0[j];					\
	} while (len >= 4 * w);						\
	return total;							\
}

typedef uint32_t v4u32 __attribute__((vector_size(16)));

/* 16-byte vectors: SSE2 on x86-64, NEON on arm64, words elsewhere */
VEC_LOOP(loop_vec, v4u32, )

static uint64_t sum_vec(const uint8_t *p, size_t len)
{
	return loop_vec(NULL, p, len, false);
}

static uint64_t copy_vec(uint8_t *d, const uint8_t *s, size_t len)
{
	return loop_vec(d, s, len, true);
}

/* GANGWAY_CSUM_GENERIC leaves out the 32-byte loops: the unit tests build
 * this file a second time with it, to cover the 16-byte loops on
 * machines that have AVX2 */
#if defined(__x86_64__) && !defined(GANGWAY_CSUM_GENERIC)

typedef uint32_t v8u32 __attribute__((vector_size(32)));

#define AVX2	__attribute__((target("avx2")))

/* 32-byte vectors, for CPUs with AVX2 */
VEC_LOOP(loop_avx2, v8u32, AVX2)

AVX2 static uint64_t sum_avx2(const uint8_t *p, size_t len)
{
	return loop_avx2(NULL, p, len, false);
}

AVX2 static uint64_t copy_avx2(uint8_t *d, const uint8_t *s, size_t len)
{
	return loop_avx2(d, s, len, true);
}

/* Whether the 32-byte loops may run here (one load and test per call) */
static inline bool have_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}

#else /* no 32-byte variant on this target */

static inline uint64_t sum_avx2(const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
	return 0;
}

static inline uint64_t copy_avx2(uint8_t *d, const uint8_t *s, size_t len)
{
	(void)d;
	(void)s;
	(void)len;
	return 0;
}

static inline bool have_avx2(void)
{
	return false;
}

#endif

/* Add the native 16-bit sum @n of an even-length run, and the odd
 * trailing byte @last if @odd, to the network-order partial sum @sum */
static inline uint32_t finish(uint32_t sum, uint32_t n, bool odd,
			      uint8_t last)
{
	uint64_t s = sum;

#if __BYTE_ORDER == __LITTLE_ENDIAN
	n = ((n & 0xff) << 8) | (n >> 8);
#endif
	s += n;
	if (odd)
		s += (uint32_t)last << 8;
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* Add two network-order partial sums */
static inline uint32_t add32(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

/* Swap the bytes of a folded sum: the sum of a piece that starts at an
 * odd offset of the datagram has its bytes in the other half of each
 * word (RFC 1071 section 2(B)) */
static inline uint32_t swap16(uint32_t n)
{
	return ((n & 0xff) << 8) | (n >> 8);
}

/* csum_partial() with the scalar loop alone: short buffers */
static inline uint32_t partial_short(const uint8_t *p, size_t len,
				     uint32_t sum)
{
	return finish(sum, fold64(sum_scalar(p, len & ~(size_t)1)), len & 1,
		      len & 1 ? p[len - 1] : 0);
}

/**
 * partial_vec() - csum_partial() with the vector loops
 * @p:		data, any alignment (VEC_ALIGN bytes is fastest)
 * @len:	bytes
 * @sum:	partial sum to continue
 *
 * Return: as csum_partial()
 */
static uint32_t partial_vec(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t even = len & ~(size_t)1, done;
	uint64_t s;

	if (even >= AVX2_MIN && have_avx2()) {
		s = sum_avx2(p, even);
		done = even / 32 * 32;
	} else {
		s = sum_vec(p, even);
		done = even / 16 * 16;
	}
	s = add64(s, sum_scalar(p + done, even - done));
	return finish(sum, fold64(s), len & 1, len & 1 ? p[len - 1] : 0);
}

/**
 * partial_long() - csum_partial() for buffers of VEC_MIN bytes or more
 * @p:		data, any alignment
 * @len:	bytes, at least VEC_MIN
 * @sum:	partial sum to continue
 *
 * From ALIGN_MIN bytes, sums the bytes up to the first VEC_ALIGN
 * boundary with the scalar loop, so that no vector load crosses a cache
 * line, then the rest with the vector loops (swapped if the head was
 * odd). Out of line (the short path of csum_partial() jumps here), so
 * that short buffers, headers and pseudo-headers, pay for none of its
 * registers.
 *
 * Return: as csum_partial()
 */
__attribute__((noinline))
static uint32_t partial_long(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t head = (size_t)(-(uintptr_t)p & (VEC_ALIGN - 1));
	uint32_t rest;

	if (!head || len < ALIGN_MIN)
		return partial_vec(p, len, sum);
	rest = fold64(partial_vec(p + head, len - head, 0));
	if (head & 1)
		rest = swap16(rest);
	return add32(partial_short(p, head, sum), rest);
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	if (len >= VEC_MIN)
		return partial_long(buf, len, sum);
	return partial_short(buf, len, sum);
}

/* csum_copy() with the scalar loop alone: short buffers */
static inline uint32_t copy_short(uint8_t *d, const uint8_t *s, size_t len,
				  uint32_t sum)
{
	size_t even = len & ~(size_t)1;

	if (len & 1)
		d[even] = s[even];
	return finish(sum, fold64(copy_scalar(d, s, even)), len & 1,
		      len & 1 ? s[even] : 0);
}

/**
 * copy_vec_all() - csum_copy() with the vector loops
 * @d:		destination, any alignment (VEC_ALIGN is fastest), not
 *		overlapping @s
 * @s:		source, any alignment
 * @len:	bytes
 * @sum:	partial sum to continue
 *
 * Return: as csum_copy()
 */
static uint32_t copy_vec_all(uint8_t *d, const uint8_t *s, size_t len,
			     uint32_t sum)
{
	size_t even = len & ~(size_t)1, done;
	uint64_t acc;

	if (even >= AVX2_MIN && have_avx2()) {
		acc = copy_avx2(d, s, even);
		done = even / 32 * 32;
	} else {
		acc = copy_vec(d, s, even);
		done = even / 16 * 16;
	}
	acc = add64(acc, copy_scalar(d + done, s + done, even - done));
	if (len & 1)
		d[even] = s[even];
	return finish(sum, fold64(acc), len & 1, len & 1 ? s[even] : 0);
}

/**
 * copy_long() - csum_copy() for buffers of VEC_MIN bytes or more
 * @d:		destination, any alignment, not overlapping @s
 * @s:		source, any alignment
 * @len:	bytes, at least VEC_MIN
 * @sum:	partial sum to continue
 *
 * As partial_long(), with the destination brought to VEC_ALIGN (stores
 * that cross cache lines cost more than such loads).
 * Return: as csum_copy()
 */
__attribute__((noinline))
static uint32_t copy_long(uint8_t *d, const uint8_t *s, size_t len,
			  uint32_t sum)
{
	size_t head = (size_t)(-(uintptr_t)d & (VEC_ALIGN - 1));
	uint32_t rest;

	if (!head || len < ALIGN_MIN)
		return copy_vec_all(d, s, len, sum);
	rest = fold64(copy_vec_all(d + head, s + head, len - head, 0));
	if (head & 1)
		rest = swap16(rest);
	return add32(copy_short(d, s, head, sum), rest);
}

uint32_t csum_copy(void *dst, const void *src, size_t len, uint32_t sum)
{
	if (len >= VEC_MIN)
		return copy_long(dst, src, len, sum);
	return copy_short(dst, src, len, sum);
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
		if (off & 1)
			part = swap16(part);
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
