// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/eth.c - Ethernet and ARP headers
 *
 * 802.1Q tags are not stripped: a tagged frame shows its TPID as the
 * ethertype and the caller drops it as unsupported. ARP is accepted only
 * in its Ethernet/IPv4 form (RFC 826 with htype 1, ptype 0x0800).
 */
#include "packet/packet.h"

/**
 * eth_parse() - read the Ethernet header
 * @cur:	at the frame start; left on the payload
 * @v:		filled with both MACs and the ethertype
 *
 * Return: PKT_OK, or PKT_E_SHORT for less than a header
 */
enum pkt_err eth_parse(struct pkt_cursor *cur, struct eth_view *v)
{
	const uint8_t *h = cur_pull(cur, ETH_HLEN);

	if (!h)
		return PKT_E_SHORT;
	memcpy(v->dst, h, ETH_ALEN);
	memcpy(v->src, h + ETH_ALEN, ETH_ALEN);
	v->type = get_be16(h + 2 * ETH_ALEN);
	return PKT_OK;
}

/**
 * arp_parse() - read an Ethernet/IPv4 ARP packet
 * @cur:	at the ARP header; left after it (trailing padding remains)
 * @v:		operation, addresses
 *
 * Return: PKT_OK; PKT_E_SHORT; PKT_E_UNSUPPORTED for other hardware or
 * protocol types; PKT_E_BAD_HEADER for wrong address lengths or an
 * operation that is neither request nor reply
 */
enum pkt_err arp_parse(struct pkt_cursor *cur, struct arp_view *v)
{
	const uint8_t *h = cur_peek(cur, ARP_LEN);

	if (!h)
		return PKT_E_SHORT;
	if (get_be16(h) != ARP_HRD_ETHER || get_be16(h + 2) != ETH_P_IP_)
		return PKT_E_UNSUPPORTED;
	if (h[4] != ETH_ALEN || h[5] != 4)
		return PKT_E_BAD_HEADER;
	v->op = get_be16(h + 6);
	if (v->op != ARP_OP_REQUEST && v->op != ARP_OP_REPLY)
		return PKT_E_BAD_HEADER;
	memcpy(v->sha, h + 8, ETH_ALEN);
	memcpy(&v->spa, h + 14, 4);
	memcpy(v->tha, h + 18, ETH_ALEN);
	memcpy(&v->tpa, h + 24, 4);
	cur_skip(cur, ARP_LEN);
	return PKT_OK;
}
