// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/icmp.c - ICMP and ICMPv6 headers and checksums
 *
 * Only the 4-byte type/code/checksum header is consumed; the rest of the
 * message belongs to whoever handles the type (echo, NDP). For echo
 * request and reply, identifier and sequence are read into the view.
 * ICMPv6 checksums include the pseudo-header (RFC 4443 section 2.3),
 * ICMP ones do not.
 */
#include "packet/csum.h"
#include "packet/packet.h"

static bool icmp_is_echo(uint8_t version, uint8_t type)
{
	if (version == 4)
		return type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY;
	return type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY;
}

/**
 * icmp_parse() - validate an ICMP or ICMPv6 message header
 * @cur:	at the message, covering the IP payload; left after the
 *		type, code and checksum
 * @ip:		the IP view: version picks ICMP or ICMPv6
 * @v:		type, code, and for echo messages identifier and sequence
 *
 * Return: PKT_OK or the reason the message must be dropped
 */
enum pkt_err icmp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
			struct icmp_view *v)
{
	size_t len = cur_len(cur);
	const uint8_t *h = cur_peek(cur, len);	/* the whole message */
	uint32_t sum = 0;

	if (len < ICMP_HLEN_BASE)
		return PKT_E_SHORT;
	if (!ip->l4_csum_trusted) {
		if (ip->version == 6)
			sum = csum_pseudo(&ip->src, &ip->dst, IPPROTO_ICMPV6,
					  (uint32_t)len);
		if (csum_fold(csum_partial(h, len, sum)))
			return PKT_E_BAD_CSUM;
	}

	v->type = h[0];
	v->code = h[1];
	v->id = 0;
	v->seq = 0;
	if (icmp_is_echo(ip->version, v->type)) {
		if (len < ICMP_HLEN)
			return PKT_E_SHORT;
		v->id = get_be16(h + 4);
		v->seq = get_be16(h + 6);
	}
	cur_skip(cur, ICMP_HLEN_BASE);
	return PKT_OK;
}
