// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/tcp.c - TCP header, options and checksum
 *
 * The option walk reads MSS, window scale, SACK-permitted and SACK blocks
 * and skips the rest. Every option but EOL and NOP must carry a length of at least
 * 2 that fits in the option area, so the walk always advances; it is also
 * bounded by the 40-byte option area. Known options with a wrong length
 * are ignored, as Linux does, rather than failing the segment.
 */
#include "packet/csum.h"
#include "packet/packet.h"

/**
 * tcp_opts_parse() - walk the options of a TCP header
 * @o:		option bytes, @len of them (at most 40)
 * @v:		mss, wscale, sack_ok and the SACK blocks filled in
 *
 * Return: PKT_OK, or PKT_E_BAD_HEADER for a malformed option list
 */
static enum pkt_err tcp_opts_parse(const uint8_t *o, size_t len,
				   struct tcp_view *v)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return PKT_E_BAD_HEADER;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return PKT_E_BAD_HEADER;
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen == TCP_OPTLEN_MSS)
				v->mss = get_be16(o + i + 2);
			break;
		case TCP_OPT_WS:
			if (olen == TCP_OPTLEN_WS)
				v->wscale = (int8_t)MIN(o[i + 2],
							TCP_WSCALE_MAX);
			break;
		case TCP_OPT_SACK_PERM:
			if (olen == TCP_OPTLEN_SACK_PERM)
				v->sack_ok = true;
			break;
		case TCP_OPT_SACK:
			/* RFC 2018 section 3: 8 bytes per block, 1 to 4 */
			if (olen < 10 || (olen - 2) % 8)
				break;
			for (v->sack_n = 0; v->sack_n < (olen - 2) / 8 &&
			     v->sack_n < TCP_SACK_BLOCKS_MAX; v->sack_n++) {
				const uint8_t *b = o + i + 2 + 8 * v->sack_n;

				v->sack[v->sack_n][0] = get_be32(b);
				v->sack[v->sack_n][1] = get_be32(b + 4);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
	return PKT_OK;
}

/**
 * tcp_parse() - validate a TCP header and its checksum
 * @cur:	at the TCP header, covering exactly the IP payload; left on
 *		the segment payload
 * @ip:		the IP view, for the pseudo-header
 * @v:		filled in, options included
 *
 * Return: PKT_OK or the reason the segment must be dropped
 */
enum pkt_err tcp_parse(struct pkt_cursor *cur, const struct ip_view *ip,
		       struct tcp_view *v)
{
	size_t l4len = cur_len(cur);
	const uint8_t *h = cur_peek(cur, l4len);	/* the whole segment */
	unsigned int hlen;
	uint32_t sum;
	enum pkt_err e;

	if (l4len < TCP_HLEN_MIN)
		return PKT_E_SHORT;
	hlen = (h[12] >> 4) * 4u;
	if (hlen < TCP_HLEN_MIN)
		return PKT_E_BAD_HEADER;
	if (hlen > l4len)
		return PKT_E_BAD_LENGTH;
	if (!ip->l4_csum_trusted) {
		sum = csum_pseudo(&ip->src, &ip->dst, IPPROTO_TCP,
				  (uint32_t)l4len);
		if (csum_fold(csum_partial(h, l4len, sum)))
			return PKT_E_BAD_CSUM;
	}

	v->sport = get_be16(h);
	v->dport = get_be16(h + 2);
	v->seq = get_be32(h + 4);
	v->ack = get_be32(h + 8);
	v->flags = h[13];
	v->hlen = (uint8_t)hlen;
	v->window = get_be16(h + 14);
	v->mss = 0;
	v->wscale = -1;
	v->sack_ok = false;
	v->sack_n = 0;
	v->paylen = (uint16_t)(l4len - hlen);
	e = tcp_opts_parse(h + TCP_HLEN_MIN, hlen - TCP_HLEN_MIN, v);
	if (e)
		return e;
	cur_skip(cur, hlen);
	return PKT_OK;
}
