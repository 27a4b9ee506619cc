/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet/packet.h - read-only views of guest frames, and why a frame failed
 *
 * Owns: the view structs every parser fills (fields in host order, except
 * addresses, which stay in network order as union inany), the parse
 * functions for Ethernet, ARP, IPv4, IPv6, TCP, UDP and ICMP/ICMPv6, and
 * enum pkt_err, the reason a frame is dropped (counted by the caller).
 * A parser consumes its header from the cursor and leaves the cursor on
 * its payload, trimmed to the length the header claims.
 * Does not own: checksums (packet/csum.h), building frames (packet/build.h).
 * Uses: packet/cursor.h. No I/O, no logging, no global state.
 */
#ifndef GANGWAY_PACKET_PACKET_H
#define GANGWAY_PACKET_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "packet/cursor.h"
#include "packet/inany.h"

#define ETH_ALEN		6
#define ETH_HLEN		14
#define ETH_ZLEN		60	/* shortest frame, FCS left out */
#define ETH_P_IP_		0x0800
#define ETH_P_ARP_		0x0806
#define ETH_P_IPV6_		0x86dd
#define IPV4_HLEN_MIN		20
#define IPV6_HLEN		40
#define UDP_HLEN		8
#define TCP_HLEN_MIN		20
#define ICMP_HLEN		8	/* with echo identifier and sequence */
#define ICMP_HLEN_BASE		4	/* type, code, checksum */
#define ARP_LEN			28	/* Ethernet/IPv4 ARP packet */
#define ARP_HRD_ETHER		1
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2

#define IPV4_FRAG_RESERVED	0x8000
#define IPV4_FRAG_DF		0x4000
#define IPV4_FRAG_MF		0x2000
#define IPV4_FRAG_OFFSET	0x1fff
#define IPV6_EXT_MAX		8	/* extension headers we walk at most */

#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO_REQUEST	8
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129

enum tcp_opt {
	TCP_OPT_EOL		= 0,
	TCP_OPT_NOP		= 1,
	TCP_OPT_MSS		= 2,
	TCP_OPT_WS		= 3,
	TCP_OPT_SACK_PERM	= 4,
	TCP_OPT_SACK		= 5,
};

#define TCP_OPTLEN_MSS		4
#define TCP_OPTLEN_WS		3
#define TCP_OPTLEN_SACK_PERM	2
#define TCP_SACK_BLOCKS_MAX	4	/* 2 + 4 * 8 bytes fill 34 of 40 */
#define TCP_OPTLEN_MAX		40	/* data offset 15 words */
#define TCP_WSCALE_MAX		14	/* RFC 7323 section 2.3 */

enum pkt_err {
	PKT_OK = 0,
	PKT_E_SHORT,		/* fewer bytes than the header needs */
	PKT_E_BAD_HEADER,	/* a field with an impossible value */
	PKT_E_BAD_LENGTH,	/* a length field disagrees with the data */
	PKT_E_BAD_CSUM,		/* checksum mismatch */
	PKT_E_FRAGMENT,		/* IP fragments are not reassembled */
	PKT_E_UNSUPPORTED,	/* valid but not handled (ethertype, proto) */
	PKT_E_NOT_FOR_US,	/* addressed elsewhere */
	PKT_E__COUNT
};

/* Short name of a reason, for counters and trace lines */
const char *pkt_err_str(enum pkt_err e);

struct eth_view {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;		/* ethertype, host order */
};

struct arp_view {
	uint16_t op;		/* 1 request, 2 reply */
	uint8_t sha[ETH_ALEN];	/* sender hardware address */
	struct in_addr spa;	/* sender protocol address */
	uint8_t tha[ETH_ALEN];
	struct in_addr tpa;	/* target protocol address */
};

/**
 * struct ip_view - an IPv4 or IPv6 header, reduced to what upper layers use
 * @version:	4 or 6
 * @proto:	upper-layer protocol (after IPv6 extension headers)
 * @ttl:	TTL or hop limit
 * @tos:	TOS or traffic class
 * @src:	source address (IPv4-mapped for IPv4)
 * @dst:	destination address
 * @l4len:	bytes of upper-layer header and payload
 * @hlen:	bytes of IP header including options / extension headers
 * @l4_csum_trusted: do not verify the L4 checksum (TCP, UDP, ICMP): the
 *		link was told it is fine or left to us (virtio-net
 *		NEEDS_CSUM, DATA_VALID). The IP parsers set it false; only
 *		the caller sets it true, after parsing
 */
struct ip_view {
	uint8_t version;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
	union inany src;
	union inany dst;
	uint16_t l4len;
	uint16_t hlen;
	bool l4_csum_trusted;
};

struct tcp_view {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;		/* TCP_F_* */
	uint8_t hlen;		/* data offset in bytes */
	uint16_t window;	/* raw, unscaled */
	uint16_t mss;		/* option value, 0 if absent */
	int8_t wscale;		/* option value, -1 if absent */
	bool sack_ok;
	uint16_t paylen;	/* bytes of payload after the header */
	uint8_t sack_n;		/* SACK blocks (RFC 2018) in @sack, 0: none */
	uint32_t sack[TCP_SACK_BLOCKS_MAX][2];	/* left, right edge */
};

#define TCP_F_FIN	0x01
#define TCP_F_SYN	0x02
#define TCP_F_RST	0x04
#define TCP_F_PSH	0x08
#define TCP_F_ACK	0x10
#define TCP_F_URG	0x20
#define TCP_F_ECE	0x40
#define TCP_F_CWR	0x80

struct udp_view {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;		/* UDP length field: header + payload */
};

struct icmp_view {
	uint8_t type;
	uint8_t code;
	uint16_t id;		/* echo identifier (echo request/reply only) */
	uint16_t seq;		/* echo sequence */
};

/*
 * Each parser reads its header at @cur, checks it, fills the view, and
 * leaves @cur on the payload (trimmed to the length the header claims).
 * L4 parsers verify the checksum against @ip's pseudo-header.
 * icmp_parse() handles ICMP and ICMPv6 (by @ip->version), consumes only
 * the 4-byte type/code/checksum header and fills @id/@seq from the next
 * four bytes when the message is an echo request or reply.
 */
enum pkt_err eth_parse(struct pkt_cursor *cur, struct eth_view *v);
enum pkt_err arp_parse(struct pkt_cursor *cur, struct arp_view *v);
enum pkt_err ipv4_parse(struct pkt_cursor *cur, struct ip_view *v);
enum pkt_err ipv6_parse(struct pkt_cursor *cur, struct ip_view *v);
enum pkt_err tcp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
		       struct tcp_view *v);
enum pkt_err udp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
		       struct udp_view *v);
enum pkt_err icmp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
			struct icmp_view *v);

#endif /* GANGWAY_PACKET_PACKET_H */
