// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/csum.c - micro-benchmark of the Internet checksum (issue 7)
 *
 * Owns: timing csum_partial() and csum_copy() from src/packet/csum.c
 * against the loop gangway used before (64-bit adds with a carry count,
 * kept here verbatim as old_partial()), on a buffer hot in cache, at the
 * sizes the data path sees: 64 bytes (headers, pure ACKs), 1500 (an
 * Ethernet MTU segment) and 64 KiB (a full segment at MTU 65520).
 * Does not own: correctness (tests/unit/packet/test_csum.c checks the
 * sums; this only checks that old and new agree on its buffer).
 *
 * Usage: csum [OFFSET [MS]]
 *   OFFSET  start the buffers this many bytes past a 64-byte boundary
 *           (default 0; 1 shows the cost of odd addresses)
 *   MS      milliseconds of CPU time per measurement (default 50;
 *           best of 15)
 *
 * Prints one line per size: GB/s (10^9 bytes per second) for the old
 * sum, the new sum, memcpy() followed by each sum (what a sender did
 * before), and csum_copy().
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packet/csum.h"

#define REPS	15

/* The sum as it was before the vector loops (64-bit words, carry count) */
static uint32_t old_fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint32_t old_sum_native(const uint8_t *p, size_t len)
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
	acc += carry;
	if (acc < carry)
		acc++;
	return old_fold64(acc);
}

__attribute__((noinline))
static uint32_t old_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	uint32_t n = old_sum_native(p, len & ~(size_t)1);

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

enum kind { OLD, NEW, COPY_OLD, COPY_NEW, CSUM_COPY, KINDS };

static const char *const kind_name[KINDS] = {
	[OLD]		= "old sum",
	[NEW]		= "new sum",
	[COPY_OLD]	= "memcpy+old",
	[COPY_NEW]	= "memcpy+new",
	[CSUM_COPY]	= "csum_copy",
};

static volatile uint32_t sink;	/* keeps the sums from being optimised out */

static double now(void)
{
	struct timespec ts;

	/* CPU time of this thread: on a loaded machine, time spent
	 * preempted does not count against the loop */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* @iters rounds of @k over @len bytes; returns seconds taken */
static double run(enum kind k, uint8_t *dst, const uint8_t *src, size_t len,
		  long iters)
{
	uint32_t s = 0;
	double t0 = now();
	long i;

	for (i = 0; i < iters; i++) {
		switch (k) {
		case OLD:
			s += old_partial(src, len, 0);
			break;
		case NEW:
			s += csum_partial(src, len, 0);
			break;
		case COPY_OLD:
			memcpy(dst, src, len);
			s += old_partial(dst, len, 0);
			break;
		case COPY_NEW:
			memcpy(dst, src, len);
			s += csum_partial(dst, len, 0);
			break;
		default:
			s += csum_copy(dst, src, len, 0);
			break;
		}
		/* the compiler must not hoist the work out of the loop */
		__asm__ volatile("" : : "r"(src), "r"(dst) : "memory");
	}
	sink = s;
	return now() - t0;
}

/* Best rate over REPS runs of about @ms milliseconds each, in GB/s */
static double rate(enum kind k, uint8_t *dst, const uint8_t *src,
		   size_t len, double ms)
{
	long iters = 1;
	double best = 0;
	int r;

	while (run(k, dst, src, len, iters) < ms / 1e3 / 10)
		iters *= 2;
	iters *= 10;
	for (r = 0; r < REPS; r++) {
		double t = run(k, dst, src, len, iters);
		double gbs = (double)len * (double)iters / t / 1e9;

		if (gbs > best)
			best = gbs;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 1500, 65536 };
	size_t off = argc > 1 ? strtoul(argv[1], NULL, 0) % 64 : 0;
	double ms = argc > 2 ? strtod(argv[2], NULL) : 50;
	uint8_t *src, *dst;
	size_t i, j;

	if (ms <= 0 || ms > 10000) {
		fprintf(stderr, "csum: MS %s: must be from 1 to 10000\n",
			argv[2]);
		return 1;
	}
	src = aligned_alloc(64, 65536 + 128);
	dst = aligned_alloc(64, 65536 + 128);
	if (!src || !dst) {
		fprintf(stderr, "csum: out of memory\n");
		return 1;
	}
	srand(1);
	for (i = 0; i < 65536 + 128; i++)
		src[i] = (uint8_t)rand();

	printf("GB/s, buffers at offset %zu, best of %d x %.0f ms\n",
	       off, REPS, ms);
	printf("%8s", "bytes");
	for (j = 0; j < KINDS; j++)
		printf(" %11s", kind_name[j]);
	printf(" %9s\n", "new/old");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		double r[KINDS];

		if (csum_fold(old_partial(src + off, len, 0)) !=
		    csum_fold(csum_partial(src + off, len, 0))) {
			fprintf(stderr, "csum: old and new differ at %zu\n",
				len);
			return 1;
		}
		printf("%8zu", len);
		for (j = 0; j < KINDS; j++) {
			r[j] = rate((enum kind)j, dst + off, src + off, len,
				    ms);
			printf(" %11.2f", r[j]);
			fflush(stdout);
		}
		printf(" %8.2fx\n", r[NEW] / r[OLD]);
	}
	free(src);
	free(dst);
	return 0;
}
