// SPDX-License-Identifier: GPL-2.0-or-later
/* test_csum.c - checksum vectors and the fast sum against a plain one */
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

static void csum_copy_copies_and_sums(void **state)
{
	uint8_t src[1600], dst[1600 + 16];
	size_t len, off;

	(void)state;
	srand(2);
	for (len = 0; len < sizeof(src); len++)
		src[len] = (uint8_t)rand();
	for (off = 0; off < 16; off++)
		for (len = 0; len + off <= sizeof(src); len += 13) {
			uint32_t s;

			memset(dst, 0xa5, sizeof(dst));
			s = csum_copy(dst + off, src, len, 0x1234);
			assert_memory_equal(dst + off, src, len);
			assert_int_equal(dst[off + len], 0xa5);
			if (off)
				assert_int_equal(dst[off - 1], 0xa5);
			assert_int_equal(csum_fold(s),
					 csum_fold(csum_partial(src, len,
								0x1234)));
		}
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
		cmocka_unit_test(csum_copy_copies_and_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
