/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet/csum.h - Internet checksums (RFC 1071) and pseudo-headers
 *
 * Owns: the one's complement sum over buffers and iovecs, the sum taken
 * while copying (csum_copy()), folding, the IPv4/IPv6 pseudo-header sums.
 * Partial sums are 32-bit, in network word order, unfolded; they add up
 * with plain additions as long as every piece but the last has an even
 * length (csum_iov() handles odd ones). Any buffer alignment works.
 * On x86-64, the 32-byte (AVX2) loops are
 * chosen per call with __builtin_cpu_supports() (docs/PERFORMANCE.md,
 * "Checksums"). No I/O, no logging, no global state of our own.
 */
#ifndef GANGWAY_PACKET_CSUM_H
#define GANGWAY_PACKET_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "packet/inany.h"

/* 32-bit partial sum of @len bytes added to @sum (any alignment) */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/**
 * csum_copy() - copy @len bytes from @src to @dst and sum them on the way
 * @dst:	destination, any alignment; must not overlap @src
 * @src:	source, any alignment
 * @len:	bytes to copy and sum
 * @sum:	partial sum to continue, as for csum_partial()
 *
 * The same as memcpy() then csum_partial(@dst, @len, @sum), in one pass
 * over the data (senders checksum a payload while it is hot in cache).
 * Like csum_partial(), @src is summed as if it started at an even offset
 * of the datagram: to continue over a piece at an odd offset, use
 * csum_iov() or swap the bytes of the piece's folded sum.
 *
 * Return: 32-bit partial sum, network word order, not folded
 */
uint32_t csum_copy(void *dst, const void *src, size_t len, uint32_t sum);
/* Partial sum over an iovec, treating it as one contiguous buffer */
uint32_t csum_iov(const struct iovec *iov, size_t cnt, uint32_t sum);
/* Fold to 16 bits and complement: the value to store in a header */
uint16_t csum_fold(uint32_t sum);
/* Pseudo-header sum for @proto and @l4len bytes of L4 data */
uint32_t csum_pseudo(const union inany *src, const union inany *dst,
		     uint8_t proto, uint32_t l4len);
/* IPv4 header checksum over @hlen bytes (checksum field must be zero) */
uint16_t csum_ipv4_hdr(const void *hdr, size_t hlen);

#endif /* GANGWAY_PACKET_CSUM_H */
