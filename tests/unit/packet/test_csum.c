// SPDX-License-Identifier: GPL-2.0-or-later
/* test_csum.c - checksum vectors and the fast sum against a plain one
 *
 * Built twice: as is, and with src/packet/csum.c compiled again with
 * GANGWAY_CSUM_GENERIC (packet_csum_generic), so that the 16-byte loops
 * are covered on machines where the 32-byte ones run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "packet/csum.h"

/* Straightforward RFC 1071 sum, big-endian words */
static uint32_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static void csum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3 example: sum is ddf2 */
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(d, sizeof(d), 0)),
			 (uint16_t)~0xddf2);
}

static void csum_ipv4_header_vector(void **state)
{
	/* A real header whose checksum field holds b861 */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			  0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
			  0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0);
	h[10] = h[11] = 0;
	assert_int_equal(csum_ipv4_hdr(h, 20), 0xb861);
}

static void csum_matches_reference_all_lengths_offsets(void **state)
{
	uint8_t buf[1100];
	size_t off, len;

	(void)state;
	srand(1);
	for (len = 0; len < sizeof(buf); len++)
		buf[len] = (uint8_t)rand();
	for (off = 0; off < 8; off++)
		for (len = 0; len + off <= sizeof(buf); len += (len < 300 ?
							       1 : 37)) {
			uint32_t fast = csum_partial(buf + off, len, 0);

			assert_int_equal(csum_fold(fast),
					 (uint16_t)~ref_sum(buf + off, len));
		}
}

static void csum_all_ones_no_overflow(void **state)
{
	static uint8_t big[65536];
	uint32_t s;

	(void)state;
	memset(big, 0xff, sizeof(big));
	s = csum_partial(big, sizeof(big), 0);
	assert_int_equal(csum_fold(s), (uint16_t)~ref_sum(big, sizeof(big)));
	/* a large incoming partial sum: 0xfffffff0 folds to 0xfff0, plus
	 * the word 0x0fff gives 0x10fef, which folds to 0x0ff0 */
	big[0] = 0x0f;
	s = csum_partial(big, 2, 0xfffffff0u);
	assert_int_equal(csum_fold(s), (uint16_t)~0x0ff0);
}

static void csum_iov_odd_splits(void **state)
{
	uint8_t buf[257];
	struct iovec iov[5];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	iov[0] = (struct iovec){ buf, 3 };
	iov[1] = (struct iovec){ buf + 3, 0 };
	iov[2] = (struct iovec){ buf + 3, 100 };
	iov[3] = (struct iovec){ buf + 103, 1 };
	iov[4] = (struct iovec){ buf + 104, sizeof(buf) - 104 };
	assert_int_equal(csum_fold(csum_iov(iov, 5, 0)),
			 csum_fold(csum_partial(buf, sizeof(buf), 0)));
}

static void csum_pseudo_v4_v6(void **state)
{
	union inany s, d;
	struct in_addr a;
	uint8_t ph[40];

	(void)state;
	a.s_addr = htonl(0xc0000202);
	inany_from_v4(&s, a);
	a.s_addr = htonl(0xc0000201);
	inany_from_v4(&d, a);
	memcpy(ph, &s.v4mapped.a4, 4);
	memcpy(ph + 4, &d.v4mapped.a4, 4);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = 0x01;
	ph[11] = 0x23;
	assert_int_equal(csum_fold(csum_pseudo(&s, &d, 17, 0x123)),
			 (uint16_t)~ref_sum(ph, 12));

	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	s.a6.s6_addr[0] = 0xfd;
	s.a6.s6_addr[15] = 2;
	d.a6.s6_addr[0] = 0xfe;
	d.a6.s6_addr[1] = 0x80;
	d.a6.s6_addr[15] = 1;
	memset(ph, 0, sizeof(ph));
	memcpy(ph, &s.a6, 16);
	memcpy(ph + 16, &d.a6, 16);
	ph[33] = 0x01;		/* length 0x10203 */
	ph[34] = 0x02;
	ph[35] = 0x03;
	ph[39] = 58;
	assert_int_equal(csum_fold(csum_pseudo(&s, &d, 58, 0x10203)),
			 (uint16_t)~ref_sum(ph, 40));
}

/* @len bytes or a few more, aligned to 64 (aligned_alloc() wants a
 * multiple of the alignment) */
static uint8_t *alloc64(size_t len)
{
	uint8_t *b = aligned_alloc(64, (len + 63) / 64 * 64);

	assert_non_null(b);
	return b;
}

/* A buffer of random bytes, aligned to 64 so that offsets are real */
static uint8_t *random_buf(size_t len, unsigned int seed)
{
	uint8_t *b = alloc64(len);
	size_t i;

	srand(seed);
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rand();
	return b;
}

static void csum_every_length_and_alignment(void **state)
{
	const size_t max = 2048 + 80;	/* past where loads get aligned */
	uint8_t *buf = random_buf(max + 16, 3);
	size_t off, len;

	(void)state;
	for (off = 0; off < 16; off++)
		for (len = 0; len <= max; len++) {
			uint32_t s = csum_partial(buf + off, len, 0);

			assert_int_equal(csum_fold(s),
					 (uint16_t)~ref_sum(buf + off, len));
		}
	free(buf);
}

static void csum_large_buffers(void **state)
{
	/* past the vector loops' blocks (256 KiB and 512 KiB) */
	static const size_t lens[] = { 65535, 65536, 65537, 262143, 262144,
				       524288 + 130, 1048576 + 77,
				       3 * 1048576 + 1 };
	uint8_t *buf = random_buf(3 * 1048576 + 32, 4);
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (off = 0; off < 32; off += 7)
			assert_int_equal(csum_fold(csum_partial(buf + off,
								lens[i], 0)),
					 (uint16_t)~ref_sum(buf + off,
							    lens[i]));
	/* all ones: every lane at its largest, for the longest block */
	memset(buf, 0xff, 3 * 1048576 + 32);
	for (off = 0; off < 3; off++)
		assert_int_equal(csum_fold(csum_partial(buf + off,
							3 * 1048576, 0)),
				 (uint16_t)~ref_sum(buf + off, 3 * 1048576));
	free(buf);
}

static void csum_continued_over_pieces(void **state)
{
	const size_t len = 3000;
	uint8_t *buf = random_buf(len + 16, 5);
	uint16_t whole;
	size_t off, cut;

	(void)state;
	for (off = 0; off < 16; off += 5) {
		whole = (uint16_t)~ref_sum(buf + off, len);
		for (cut = 0; cut <= len; cut += cut < 300 ? 1 : 97) {
			struct iovec iov[2] = {
				{ buf + off, cut },
				{ buf + off + cut, len - cut },
			};
			uint32_t s;

			assert_int_equal(csum_fold(csum_iov(iov, 2, 0)),
					 whole);
			/* an even first piece continues by plain addition */
			if (!(cut & 1)) {
				s = csum_partial(buf + off, cut, 0);
				s = csum_partial(buf + off + cut, len - cut,
						 s);
				assert_int_equal(csum_fold(s), whole);
			}
		}
	}
	free(buf);
}

static void csum_iov_many_odd_pieces(void **state)
{
	uint8_t *buf = random_buf(70000, 6);
	struct iovec iov[16];
	size_t i, off = 0, cnt = 0;
	/* odd, even, empty and large pieces, in an order that puts large
	 * ones at odd offsets */
	static const size_t lens[] = { 1, 255, 0, 4097, 3, 20000, 1, 2,
				       333, 30001, 7, 1500, 64, 9, 1 };

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		iov[cnt++] = (struct iovec){ buf + off, lens[i] };
		off += lens[i];
	}
	assert_int_equal(csum_fold(csum_iov(iov, cnt, 0x1234)),
			 csum_fold(csum_partial(buf, off, 0x1234)));
	assert_int_equal(csum_fold(csum_iov(iov, cnt, 0)),
			 (uint16_t)~ref_sum(buf, off));
	free(buf);
}

/* csum_copy() over @len bytes at source and destination offsets */
static void check_copy(uint8_t *dst, const uint8_t *src, size_t len,
		       size_t doff, size_t soff)
{
	uint32_t s;

	memset(dst, 0xa5, len + 32);
	s = csum_copy(dst + doff, src + soff, len, 0x1234);
	assert_memory_equal(dst + doff, src + soff, len);
	assert_int_equal(dst[doff + len], 0xa5);
	if (doff)
		assert_int_equal(dst[doff - 1], 0xa5);
	assert_int_equal(csum_fold(s),
			 csum_fold(csum_partial(src + soff, len, 0x1234)));
}

static void csum_copy_copies_and_sums(void **state)
{
	const size_t max = 2048 + 80;
	uint8_t *src = random_buf(max + 16, 2);
	uint8_t *dst = alloc64(max + 64);
	size_t len, doff, soff;

	(void)state;
	for (len = 0; len <= max; len++)
		for (doff = 0; doff < 16; doff++)
			for (soff = 0; soff < 16; soff += len < 300 ? 1 : 5)
				check_copy(dst, src, len, doff, soff);
	free(dst);
	free(src);
}

static void csum_copy_large(void **state)
{
	static const size_t lens[] = { 65535, 65536, 600001 };
	uint8_t *src = random_buf(600001 + 32, 7);
	uint8_t *dst = alloc64(600001 + 64);
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (off = 0; off < 32; off += 3) {
			check_copy(dst, src, lens[i], off, 31 - off);
			assert_int_equal(csum_fold(csum_copy(dst, src + off,
							     lens[i], 0)),
					 (uint16_t)~ref_sum(src + off,
							    lens[i]));
		}
	free(dst);
	free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csum_rfc1071_example),
		cmocka_unit_test(csum_ipv4_header_vector),
		cmocka_unit_test(csum_matches_reference_all_lengths_offsets),
		cmocka_unit_test(csum_all_ones_no_overflow),
		cmocka_unit_test(csum_iov_odd_splits),
		cmocka_unit_test(csum_pseudo_v4_v6),
		cmocka_unit_test(csum_every_length_and_alignment),
		cmocka_unit_test(csum_large_buffers),
		cmocka_unit_test(csum_continued_over_pieces),
		cmocka_unit_test(csum_iov_many_odd_pieces),
		cmocka_unit_test(csum_copy_copies_and_sums),
		cmocka_unit_test(csum_copy_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
