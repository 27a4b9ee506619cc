// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet/build.c - frames we send to the guest, headers and checksums
 *
 * Each builder appends to a struct pkt_builder and fails (returning false,
 * with b->overflow set when the space ran out) instead of writing past
 * its capacity. IPv4 headers carry DF and identification 0 (RFC 6864:
 * the field only matters for fragments, and we never fragment).
 */
#include "packet/build.h"
#include "packet/csum.h"

#define IP_TTL_DEFAULT	64

bool eth_build(struct pkt_builder *b, const uint8_t dst[ETH_ALEN],
	       const uint8_t src[ETH_ALEN], uint16_t type)
{
	uint8_t *h = pb_reserve(b, ETH_HLEN);

	if (!h)
		return false;
	memcpy(h, dst, ETH_ALEN);
	memcpy(h + ETH_ALEN, src, ETH_ALEN);
	put_be16(h + 2 * ETH_ALEN, type);
	return true;
}

/**
 * frame_arp() - build an Ethernet/ARP frame
 * @b:		builder
 * @eth_dst:	Ethernet destination
 * @arp:	operation and addresses; @arp->sha is also the Ethernet source
 *
 * Return: true if the frame fits in @b
 */
bool frame_arp(struct pkt_builder *b, const uint8_t eth_dst[ETH_ALEN],
	       const struct arp_view *arp)
{
	uint8_t *h;

	if (!eth_build(b, eth_dst, arp->sha, ETH_P_ARP_))
		return false;
	h = pb_reserve(b, ARP_LEN);
	if (!h)
		return false;
	put_be16(h, ARP_HRD_ETHER);
	put_be16(h + 2, ETH_P_IP_);
	h[4] = ETH_ALEN;
	h[5] = 4;
	put_be16(h + 6, arp->op);
	memcpy(h + 8, arp->sha, ETH_ALEN);
	memcpy(h + 14, &arp->spa, 4);
	memcpy(h + 18, arp->tha, ETH_ALEN);
	memcpy(h + 24, &arp->tpa, 4);
	return true;
}

/**
 * frame_l2l3() - Ethernet and IP headers for @l4len bytes of @proto
 * @b:		builder
 * @a:		addresses; the family follows @a->src
 * @proto:	upper-layer protocol
 * @l4len:	bytes the caller will append after the IP header
 *
 * Return: true if the headers fit and @l4len fits in the IP length field
 */
bool frame_l2l3(struct pkt_builder *b, const struct frame_addrs *a,
		uint8_t proto, size_t l4len)
{
	bool v4 = inany_is_v4(&a->src);
	uint8_t ttl = a->ttl ? a->ttl : IP_TTL_DEFAULT;
	uint8_t *h;

	if (l4len > UINT16_MAX - (v4 ? IPV4_HLEN_MIN : 0)) {
		b->overflow = true;
		return false;
	}
	if (!eth_build(b, a->dst_mac, a->src_mac, v4 ? ETH_P_IP_ : ETH_P_IPV6_))
		return false;
	if (v4) {
		h = pb_reserve(b, IPV4_HLEN_MIN);
		if (!h)
			return false;
		h[0] = 0x45;
		put_be16(h + 2, (uint16_t)(IPV4_HLEN_MIN + l4len));
		put_be16(h + 6, IPV4_FRAG_DF);
		h[8] = ttl;
		h[9] = proto;
		memcpy(h + 12, &a->src.v4mapped.a4, 4);
		memcpy(h + 16, &a->dst.v4mapped.a4, 4);
		put_be16(h + 10, csum_ipv4_hdr(h, IPV4_HLEN_MIN));
		return true;
	}
	h = pb_reserve(b, IPV6_HLEN);
	if (!h)
		return false;
	h[0] = 0x60;
	put_be16(h + 4, (uint16_t)l4len);
	h[6] = proto;
	h[7] = ttl;
	memcpy(h + 8, &a->src.a6, 16);
	memcpy(h + 24, &a->dst.a6, 16);
	return true;
}

bool frame_udp(struct pkt_builder *b, const struct frame_addrs *a,
	       uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	size_t l4len = UDP_HLEN + len;
	uint16_t csum;
	uint32_t sum;
	uint8_t *h;

	if (!frame_l2l3(b, a, IPPROTO_UDP, l4len))
		return false;
	h = pb_reserve(b, UDP_HLEN);
	if (!h || !pb_put(b, payload, len))
		return false;
	put_be16(h, sport);
	put_be16(h + 2, dport);
	put_be16(h + 4, (uint16_t)l4len);
	if (b->no_l4_csum) {
		/* IPv4: 0 is "none"; IPv6 receivers drop 0 even when told
		 * the data is valid, so any other value */
		put_be16(h + 6, inany_is_v4(&a->src) ? 0 : 0xffff);
		return true;
	}
	sum = csum_pseudo(&a->src, &a->dst, IPPROTO_UDP, (uint32_t)l4len);
	csum = csum_fold(csum_partial(h, l4len, sum));
	put_be16(h + 6, csum ? csum : 0xffff);	/* 0 means "none" */
	return true;
}

bool frame_udp_hdr(struct pkt_builder *b, const struct frame_addrs *a,
		   uint16_t sport, uint16_t dport, const void *payload,
		   size_t len, bool csum4)
{
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = len };

	return frame_udp_hdr_iov(b, a, sport, dport, &iov, 1, len, csum4);
}

bool frame_udp_hdr_iov(struct pkt_builder *b, const struct frame_addrs *a,
		       uint16_t sport, uint16_t dport,
		       const struct iovec *iov, size_t cnt, size_t len,
		       bool csum4)
{
	size_t l4len = UDP_HLEN + len;
	uint16_t csum = 0;
	uint8_t *h;

	if (!frame_l2l3(b, a, IPPROTO_UDP, l4len))
		return false;
	h = pb_reserve(b, UDP_HLEN);
	if (!h)
		return false;
	put_be16(h, sport);
	put_be16(h + 2, dport);
	put_be16(h + 4, (uint16_t)l4len);
	if (b->no_l4_csum) {
		/* as in frame_udp(): the link told the guest not to check */
		put_be16(h + 6, inany_is_v4(&a->src) ? 0 : 0xffff);
		return true;
	}
	if (csum4 || !inany_is_v4(&a->src)) {
		uint32_t sum = csum_pseudo(&a->src, &a->dst, IPPROTO_UDP,
					   (uint32_t)l4len);

		sum = csum_partial(h, UDP_HLEN, sum);
		csum = csum_fold(csum_iov(iov, cnt, sum));
		if (!csum)
			csum = 0xffff;	/* 0 means "none" */
	}
	put_be16(h + 6, csum);
	return true;
}

/* The ICMP or ICMPv6 checksum of the message at @h (none without L4 sums) */
static void icmp_csum_set(const struct pkt_builder *b,
			  const struct frame_addrs *a, uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	put_be16(h + 2, 0);
	if (b->no_l4_csum)
		return;
	if (!inany_is_v4(&a->src))
		sum = csum_pseudo(&a->src, &a->dst, IPPROTO_ICMPV6,
				  (uint32_t)len);
	put_be16(h + 2, csum_fold(csum_partial(h, len, sum)));
}

bool frame_icmp(struct pkt_builder *b, const struct frame_addrs *a,
		const void *body, size_t len)
{
	bool v4 = inany_is_v4(&a->src);
	uint8_t *h;

	if (len < ICMP_HLEN_BASE) {
		b->overflow = true;
		return false;
	}
	if (!frame_l2l3(b, a, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, len))
		return false;
	h = b->buf + b->len;
	if (!pb_put(b, body, len))
		return false;
	icmp_csum_set(b, a, h, len);
	return true;
}

bool frame_icmp_hdr(struct pkt_builder *b, const struct frame_addrs *a,
		    uint8_t *body, size_t len)
{
	bool v4 = inany_is_v4(&a->src);

	if (len < ICMP_HLEN_BASE) {
		b->overflow = true;
		return false;
	}
	if (!frame_l2l3(b, a, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, len))
		return false;
	icmp_csum_set(b, a, body, len);
	return true;
}

/* Copy @len bytes from the start of @iov into @dst; false if short */
static bool iov_copy_out(uint8_t *dst, const struct iovec *iov, size_t cnt,
			 size_t len)
{
	size_t i;

	for (i = 0; i < cnt && len; i++) {
		size_t n = MIN(len, iov[i].iov_len);

		memcpy(dst, iov[i].iov_base, n);
		dst += n;
		len -= n;
	}
	return !len;
}

bool frame_tcp(struct pkt_builder *b, const struct frame_addrs *a,
	       const struct tcp_fields *t, const struct iovec *iov,
	       size_t iovcnt, size_t paylen)
{
	size_t hlen = TCP_HLEN_MIN + t->optlen;
	size_t l4len = hlen + paylen;
	uint32_t sum;
	uint8_t *h;

	if (t->optlen % 4 || t->optlen > TCP_OPTLEN_MAX) {
		b->overflow = true;
		return false;
	}
	if (!frame_l2l3(b, a, IPPROTO_TCP, l4len))
		return false;
	h = pb_reserve(b, l4len);
	if (!h)
		return false;
	if (paylen && !iov_copy_out(h + hlen, iov, iovcnt, paylen)) {
		b->overflow = true;
		return false;
	}
	put_be16(h, t->sport);
	put_be16(h + 2, t->dport);
	put_be32(h + 4, t->seq);
	put_be32(h + 8, t->ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = t->flags;
	put_be16(h + 14, t->window);
	if (t->optlen)
		memcpy(h + TCP_HLEN_MIN, t->opts, t->optlen);
	if (b->no_l4_csum)
		return true;		/* left zero by pb_reserve() */
	sum = csum_pseudo(&a->src, &a->dst, IPPROTO_TCP, (uint32_t)l4len);
	put_be16(h + 16, csum_fold(csum_partial(h, l4len, sum)));
	return true;
}

bool tcp_tmpl_init(struct tcp_tmpl *tp, const struct frame_addrs *a,
		   const struct tcp_fields *t, bool no_l4_csum)
{
	struct tcp_fields f = *t;
	struct pkt_builder b;

	f.opts = NULL;
	f.optlen = 0;
	pb_init(&b, tp->hdr, sizeof(tp->hdr));
	if (!frame_tcp(&b, a, &f, NULL, 0, 0))
		return false;
	tp->len = (uint8_t)b.len;
	tp->v4 = inany_is_v4(&a->src);
	tp->no_l4_csum = no_l4_csum;
	tp->psum = csum_pseudo(&a->src, &a->dst, IPPROTO_TCP, 0);
	return true;
}

bool tcp_tmpl_fill(const struct tcp_tmpl *tp, uint8_t *out, uint32_t seq,
		   uint8_t flags, size_t paylen, uint32_t paysum)
{
	size_t l4len = TCP_HLEN_MIN + paylen;
	uint8_t *ip = out + ETH_HLEN, *th;
	uint32_t sum;

	if (l4len > UINT16_MAX - (tp->v4 ? IPV4_HLEN_MIN : 0))
		return false;
	memcpy(out, tp->hdr, tp->len);
	if (tp->v4) {
		put_be16(ip + 2, (uint16_t)(IPV4_HLEN_MIN + l4len));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_ipv4_hdr(ip, IPV4_HLEN_MIN));
		th = ip + IPV4_HLEN_MIN;
	} else {
		put_be16(ip + 4, (uint16_t)l4len);
		th = ip + IPV6_HLEN;
	}
	put_be32(th + 4, seq);
	th[13] = flags;
	put_be16(th + 16, 0);
	if (tp->no_l4_csum)
		return true;
	/* every term below 2^17: no overflow before csum_partial folds */
	sum = tp->psum + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) +
	      (uint16_t)~csum_fold(paysum);
	put_be16(th + 16, csum_fold(csum_partial(th, TCP_HLEN_MIN, sum)));
	return true;
}
