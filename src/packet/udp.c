// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/udp.c - UDP header and checksum
 *
 * The UDP length must fit in the IP payload; bytes past it are trimmed
 * (as Linux does). A zero checksum means "none" over IPv4 (RFC 768) and
 * is invalid over IPv6 (RFC 8200 section 8.1).
 */
#include "packet/csum.h"
#include "packet/packet.h"

/**
 * udp_parse() - validate a UDP header and its checksum
 * @cur:	at the UDP header, covering the IP payload; left on the
 *		datagram payload, trimmed to the UDP length
 * @ip:		the IP view, for the pseudo-header and family
 * @v:		ports and length
 *
 * Return: PKT_OK or the reason the datagram must be dropped
 */
enum pkt_err udp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
		       struct udp_view *v)
{
	const uint8_t *h = cur_peek(cur, UDP_HLEN);
	uint16_t len, csum;

	if (!h)
		return PKT_E_SHORT;
	len = get_be16(h + 4);
	if (len < UDP_HLEN || len > cur_len(cur))
		return PKT_E_BAD_LENGTH;
	h = cur_peek(cur, len);		/* the whole datagram */
	csum = get_be16(h + 6);
	if (ip->l4_csum_trusted) {
		/* not ours to check: the link says so (maybe only partial) */
	} else if (!csum) {
		if (ip->version == 6)
			return PKT_E_BAD_CSUM;
	} else {
		uint32_t sum = csum_pseudo(&ip->src, &ip->dst, IPPROTO_UDP,
					   len);

		if (csum_fold(csum_partial(h, len, sum)))
			return PKT_E_BAD_CSUM;
	}
	v->sport = get_be16(h);
	v->dport = get_be16(h + 2);
	v->len = len;
	cur_trim(cur, len);
	cur_skip(cur, UDP_HLEN);
	return PKT_OK;
}
