// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/ipv4.c - the only place that looks inside an IPv4 header
 *
 * Checks version, IHL, total length against what arrived (trimming link
 * padding), the header checksum, and refuses fragments: we never
 * reassemble, and a first fragment would hand a partial datagram upwards.
 * Options are skipped, not interpreted.
 */
#include "packet/csum.h"
#include "packet/packet.h"

/**
 * ipv4_parse() - validate an IPv4 header and step onto its payload
 * @cur:	at the IP header; left on the payload, trimmed to total length
 * @v:		filled in (addresses IPv4-mapped)
 *
 * Return: PKT_OK or the reason the packet must be dropped
 */
enum pkt_err ipv4_parse(struct pkt_cursor *cur, struct ip_view *v)
{
	const uint8_t *h = cur_peek(cur, IPV4_HLEN_MIN);
	struct in_addr a;
	uint16_t tot_len, frag;
	unsigned int hlen;

	if (!h)
		return PKT_E_SHORT;
	hlen = (h[0] & 0x0f) * 4u;
	tot_len = get_be16(h + 2);
	if ((h[0] >> 4) != 4 || hlen < IPV4_HLEN_MIN)
		return PKT_E_BAD_HEADER;
	if (hlen > cur_len(cur))
		return PKT_E_SHORT;
	if (tot_len < hlen || tot_len > cur_len(cur))
		return PKT_E_BAD_LENGTH;
	h = cur_peek(cur, hlen);	/* options included */
	if (csum_fold(csum_partial(h, hlen, 0)))
		return PKT_E_BAD_CSUM;
	frag = get_be16(h + 6);
	if (frag & IPV4_FRAG_RESERVED)
		return PKT_E_BAD_HEADER;
	if (frag & (IPV4_FRAG_MF | IPV4_FRAG_OFFSET))
		return PKT_E_FRAGMENT;

	v->version = 4;
	v->tos = h[1];
	v->ttl = h[8];
	v->proto = h[9];
	memcpy(&a, h + 12, 4);
	inany_from_v4(&v->src, a);
	memcpy(&a, h + 16, 4);
	inany_from_v4(&v->dst, a);
	v->hlen = (uint16_t)hlen;
	v->l4len = (uint16_t)(tot_len - hlen);
	v->l4_csum_trusted = false;

	cur_trim(cur, tot_len);		/* Ethernet pads short frames */
	cur_skip(cur, hlen);
	return PKT_OK;
}
