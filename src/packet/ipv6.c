// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/ipv6.c - the IPv6 header and its extension header chain
 *
 * Walks hop-by-hop (first only, RFC 8200 section 4.1), routing (only with
 * no segments left: we are the final destination, we do not forward) and
 * destination options headers, at most IPV6_EXT_MAX of them. Fragments are
 * refused like IPv4 ones, and so are IPv4-mapped source or destination
 * addresses. Jumbograms (payload length 0 with a jumbo option) are not
 * supported: payload length 0 means no payload.
 */
#include "packet/packet.h"

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS;
}

/**
 * ipv6_parse() - validate an IPv6 header, walk extension headers
 * @cur:	at the IPv6 header; left on the upper-layer header, trimmed to
 *		the payload length
 * @v:		filled in; @proto is the upper-layer protocol, @hlen
 *		includes the extension headers
 *
 * Return: PKT_OK or the reason the packet must be dropped
 */
enum pkt_err ipv6_parse(struct pkt_cursor *cur, struct ip_view *v)
{
	const uint8_t *h = cur_peek(cur, IPV6_HLEN);
	unsigned int ext_len = 0, n;
	uint16_t plen;
	uint8_t nh;

	if (!h)
		return PKT_E_SHORT;
	if ((h[0] >> 4) != 6)
		return PKT_E_BAD_HEADER;
	plen = get_be16(h + 4);
	if (plen > cur_len(cur) - IPV6_HLEN)
		return PKT_E_BAD_LENGTH;

	v->version = 6;
	v->tos = (uint8_t)((h[0] & 0x0f) << 4 | h[1] >> 4);
	nh = h[6];
	v->ttl = h[7];
	memcpy(&v->src.a6, h + 8, 16);
	memcpy(&v->dst.a6, h + 24, 16);
	/* IPv4-mapped addresses never appear on the wire (RFC 4291 section
	 * 2.5.5.2), and union inany would take them for IPv4 ones */
	if (inany_is_v4(&v->src) || inany_is_v4(&v->dst))
		return PKT_E_BAD_HEADER;

	cur_trim(cur, IPV6_HLEN + (size_t)plen);
	cur_skip(cur, IPV6_HLEN);

	for (n = 0; ipv6_is_ext(nh); n++) {
		const uint8_t *e = cur_peek(cur, 2);
		unsigned int len;

		if (n >= IPV6_EXT_MAX)
			return PKT_E_UNSUPPORTED;
		if (!e)
			return PKT_E_SHORT;
		if (nh == IPPROTO_HOPOPTS && n)
			return PKT_E_BAD_HEADER;
		len = (e[1] + 1u) * 8;
		e = cur_peek(cur, len);
		if (!e)
			return PKT_E_BAD_LENGTH;
		/* Segments left: someone wants us to route this further */
		if (nh == IPPROTO_ROUTING && e[3])
			return PKT_E_UNSUPPORTED;
		nh = e[0];
		ext_len += len;
		cur_skip(cur, len);
	}
	if (nh == IPPROTO_FRAGMENT)
		return PKT_E_FRAGMENT;

	v->proto = nh;
	v->hlen = (uint16_t)(IPV6_HLEN + ext_len);
	v->l4len = (uint16_t)(plen - ext_len);
	v->l4_csum_trusted = false;
	return PKT_OK;
}
