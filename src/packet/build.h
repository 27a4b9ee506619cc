/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet/build.h - writing the frames we send to the guest
 *
 * Owns: Ethernet, ARP, IPv4/IPv6, UDP, TCP and ICMP header builders on a
 * struct pkt_builder, with lengths and checksums filled in. Whatever a
 * builder emits parses back with packet/packet.h (unit tested).
 * With @no_l4_csum set on the builder, TCP, UDP and ICMP checksums are
 * left out (0; 0xffff for UDP over IPv6, where 0 is never accepted): only
 * for a link that tells the guest not to check them.
 * The family of the frame follows the addresses: IPv4-mapped means IPv4.
 * No I/O, no logging, no global state.
 */
#ifndef GANGWAY_PACKET_BUILD_H
#define GANGWAY_PACKET_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "packet/cursor.h"
#include "packet/inany.h"
#include "packet/packet.h"

/**
 * struct frame_addrs - who a frame is from and to, at L2 and L3
 * @src_mac:	our MAC
 * @dst_mac:	guest MAC
 * @src:	L3 source (IPv4-mapped for IPv4)
 * @dst:	L3 destination, same family as @src
 * @ttl:	TTL / hop limit (0: use 64, or 255 for NDP)
 */
struct frame_addrs {
	uint8_t src_mac[ETH_ALEN];
	uint8_t dst_mac[ETH_ALEN];
	union inany src;
	union inany dst;
	uint8_t ttl;
};

bool eth_build(struct pkt_builder *b, const uint8_t dst[ETH_ALEN],
	       const uint8_t src[ETH_ALEN], uint16_t type);

/**
 * frame_arp() - Ethernet/ARP frame; @arp->sha is also the Ethernet source
 */
bool frame_arp(struct pkt_builder *b, const uint8_t eth_dst[ETH_ALEN],
	       const struct arp_view *arp);

/**
 * frame_l2l3() - only the Ethernet and IP headers, for a caller that
 * appends @l4len bytes of @proto itself (and fills in its checksum)
 */
bool frame_l2l3(struct pkt_builder *b, const struct frame_addrs *a,
		uint8_t proto, size_t l4len);

/**
 * frame_udp() - build a whole Ethernet/IP/UDP frame with checksums
 * @b:		builder (normally empty)
 * @a:		addresses
 * @sport:	UDP source port, host order
 * @dport:	UDP destination port
 * @payload:	data, @len bytes
 * Return: true if the frame fits in @b
 */
bool frame_udp(struct pkt_builder *b, const struct frame_addrs *a,
	       uint16_t sport, uint16_t dport, const void *payload, size_t len);

/**
 * frame_udp_hdr() - only the Ethernet/IP/UDP headers of a UDP frame whose
 * payload the caller sends from where it is (a second iovec)
 * @b:		builder (normally empty)
 * @a:		addresses
 * @sport:	UDP source port, host order
 * @dport:	UDP destination port
 * @payload:	the data that will follow, @len bytes: read for the
 *		checksum only, never copied
 * @csum4:	for IPv4, compute the UDP checksum; if false, send zero
 *		("no checksum", RFC 768). IPv6 always gets one (RFC 8200),
 *		unless @b->no_l4_csum (the link vouches for the data), as
 *		for frame_udp()
 * Return: true if the headers fit in @b and @len in the length fields
 */
bool frame_udp_hdr(struct pkt_builder *b, const struct frame_addrs *a,
		   uint16_t sport, uint16_t dport, const void *payload,
		   size_t len, bool csum4);

/**
 * frame_udp_hdr_iov() - frame_udp_hdr() for a payload in pieces
 * @iov:	the payload that will follow the headers, @cnt entries
 *		holding exactly @len bytes in all (a frame reserved in the
 *		link: a ring that wraps, guest buffers); read for the
 *		checksum only
 * Return: as frame_udp_hdr()
 */
bool frame_udp_hdr_iov(struct pkt_builder *b, const struct frame_addrs *a,
		       uint16_t sport, uint16_t dport,
		       const struct iovec *iov, size_t cnt, size_t len,
		       bool csum4);

/**
 * frame_icmp() - Ethernet/IP/ICMP (or ICMPv6) frame, checksums filled in
 * @body:	ICMP message from the type byte on, checksum field zero
 */
bool frame_icmp(struct pkt_builder *b, const struct frame_addrs *a,
		const void *body, size_t len);

/**
 * frame_icmp_hdr() - Ethernet and IP headers for the ICMP (or ICMPv6)
 * message @body, which the caller sends from where it is (second iovec)
 * @body:	the message from the type byte on, @len bytes; its checksum
 *		field is filled in here (zero if @b->no_l4_csum)
 * Return: true if the headers fit in @b and @len is a valid length
 */
bool frame_icmp_hdr(struct pkt_builder *b, const struct frame_addrs *a,
		    uint8_t *body, size_t len);

/**
 * struct tcp_fields - the TCP header fields of a segment we send
 * @opts:	options, already encoded and padded to a multiple of 4
 */
struct tcp_fields {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t window;
	const uint8_t *opts;
	uint8_t optlen;
};

/**
 * frame_tcp() - Ethernet/IP/TCP headers followed by payload from @iov
 * @paylen:	bytes of payload taken from the start of @iov
 * The payload is copied into @b after the headers; checksums are set.
 */
bool frame_tcp(struct pkt_builder *b, const struct frame_addrs *a,
	       const struct tcp_fields *t, const struct iovec *iov,
	       size_t iovcnt, size_t paylen);

/**
 * struct tcp_tmpl - the headers a run of data segments shares, built once
 * @hdr:	Ethernet, IP and TCP headers (no TCP options)
 * @len:	bytes of @hdr in use: 54 (IPv4) or 74 (IPv6)
 * @v4:		IPv4
 * @no_l4_csum:	TCP checksum left zero (struct pkt_builder @no_l4_csum)
 * @psum:	pseudo-header sum for an L4 length of zero
 */
struct tcp_tmpl {
	uint8_t hdr[ETH_HLEN + IPV6_HLEN + TCP_HLEN_MIN];
	uint8_t len;
	bool v4;
	bool no_l4_csum;
	uint32_t psum;
};

/**
 * tcp_tmpl_init() - build the shared headers from addresses and fields
 * @tp:		template
 * @a:		addresses
 * @t:		fields; @t->seq, @t->flags are per segment, @t->opts unused
 * @no_l4_csum:	leave the TCP checksum zero (the link vouches for the data)
 * Return: true (false only if the headers do not fit, which cannot be)
 */
bool tcp_tmpl_init(struct tcp_tmpl *tp, const struct frame_addrs *a,
		   const struct tcp_fields *t, bool no_l4_csum);

/**
 * tcp_tmpl_fill() - headers of one segment, from the template
 * @tp:		template
 * @out:	@tp->len bytes, written
 * @seq:	sequence number
 * @flags:	TCP_F_*
 * @paylen:	payload bytes that follow the headers
 * @paysum:	partial sum of that payload (csum_partial(), csum_iov()),
 *		unused with @tp->no_l4_csum
 * Return: false if @paylen does not fit in the IP length field
 */
bool tcp_tmpl_fill(const struct tcp_tmpl *tp, uint8_t *out, uint32_t seq,
		   uint8_t flags, size_t paylen, uint32_t paysum);

#endif /* GANGWAY_PACKET_BUILD_H */
