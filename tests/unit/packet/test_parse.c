// SPDX-License-Identifier: GPL-2.0-or-later
/* test_parse.c - every parser on good and malformed input */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pkt_util.h"

static uint8_t fb[2048];

/* A UDP/IPv4 frame: 14 eth + 20 ip + 8 udp + @n payload bytes */
static size_t udp4_frame(size_t n)
{
	struct frame_addrs a = tu_addrs("192.0.2.1", "192.0.2.2");
	uint8_t pl[256];
	struct pkt_builder b;
	size_t i;

	for (i = 0; i < n; i++)
		pl[i] = (uint8_t)i;
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_udp(&b, &a, 53, 40000, pl, n));
	return b.len;
}

static size_t udp6_frame(size_t n)
{
	struct frame_addrs a = tu_addrs("fd00::1", "fd00::2");
	uint8_t pl[256] = { 0 };
	struct pkt_builder b;

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_udp(&b, &a, 547, 546, pl, n));
	return b.len;
}

/* Copy @len bytes into an exactly sized heap block: ASan sees overreads */
static enum pkt_err parse_l3_exact(const uint8_t *f, size_t len,
				   struct ip_view *ip, struct pkt_cursor *l4,
				   uint8_t **keep)
{
	struct eth_view eth;
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, f, len);
	*keep = copy;
	return tu_parse_l3(copy, len, &eth, ip, l4);
}

static void pkt_err_str_names_every_reason(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < PKT_E__COUNT; i++) {
		assert_non_null(pkt_err_str(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(pkt_err_str(i),
						pkt_err_str(j));
	}
	assert_string_equal(pkt_err_str(PKT_E__COUNT), "invalid");
}

static void eth_short_and_good(void **state)
{
	struct pkt_cursor c;
	struct eth_view v;

	(void)state;
	udp4_frame(0);
	c = cur_make(fb, 13);
	assert_int_equal(eth_parse(&c, &v), PKT_E_SHORT);
	c = cur_make(fb, 14);
	assert_int_equal(eth_parse(&c, &v), PKT_OK);
	assert_int_equal(v.type, ETH_P_IP_);
	assert_int_equal(v.src[0], 0x9a);
	assert_int_equal(v.dst[0], 0x52);
	assert_int_equal(cur_len(&c), 0);
}

static void arp_good_and_bad(void **state)
{
	uint8_t p[ARP_LEN] = { 0, 1, 8, 0, 6, 4, 0, 1,
			       1, 2, 3, 4, 5, 6, 192, 0, 2, 2,
			       0, 0, 0, 0, 0, 0, 192, 0, 2, 1 };
	struct pkt_cursor c;
	struct arp_view v;

	(void)state;
	c = cur_make(p, sizeof(p));
	assert_int_equal(arp_parse(&c, &v), PKT_OK);
	assert_int_equal(v.op, ARP_OP_REQUEST);
	assert_int_equal(ntohl(v.spa.s_addr), 0xc0000202);
	assert_int_equal(ntohl(v.tpa.s_addr), 0xc0000201);
	assert_int_equal(v.sha[5], 6);

	c = cur_make(p, sizeof(p) - 1);
	assert_int_equal(arp_parse(&c, &v), PKT_E_SHORT);
	p[1] = 6;
	c = cur_make(p, sizeof(p));
	assert_int_equal(arp_parse(&c, &v), PKT_E_UNSUPPORTED);
	p[1] = 1;
	p[4] = 5;
	c = cur_make(p, sizeof(p));
	assert_int_equal(arp_parse(&c, &v), PKT_E_BAD_HEADER);
	p[4] = 6;
	p[7] = 3;
	c = cur_make(p, sizeof(p));
	assert_int_equal(arp_parse(&c, &v), PKT_E_BAD_HEADER);
}

static void ipv4_good_view(void **state)
{
	struct pkt_cursor l4;
	struct ip_view ip;
	uint8_t *k;
	size_t n = udp4_frame(10);

	(void)state;
	assert_int_equal(parse_l3_exact(fb, n, &ip, &l4, &k), PKT_OK);
	free(k);
	assert_int_equal(ip.version, 4);
	assert_int_equal(ip.proto, IPPROTO_UDP);
	assert_int_equal(ip.hlen, 20);
	assert_int_equal(ip.l4len, 18);
	assert_int_equal(ip.ttl, 64);
	assert_true(inany_equal(&ip.src, &(union inany){ 0 }) == false);
	assert_true(inany_is_v4(&ip.src));
	assert_int_equal(ntohl(ip.dst.v4mapped.a4.s_addr), 0xc0000202);
	assert_int_equal(cur_len(&l4), 18);
}

static void ipv4_trims_link_padding(void **state)
{
	struct pkt_cursor l4;
	struct ip_view ip;
	struct eth_view eth;
	size_t n = udp4_frame(0);

	(void)state;
	memset(fb + n, 0xee, 18);		/* padded to 60 bytes */
	assert_int_equal(tu_parse_l3(fb, n + 18, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(cur_len(&l4), 8);
}

static void ipv4_bad_fields(void **state)
{
	struct pkt_cursor l4;
	struct ip_view ip;
	struct eth_view eth;
	uint8_t *h = fb + ETH_HLEN;
	size_t n;

	(void)state;
	n = udp4_frame(4);
	h[0] = 0x65;			/* version 6 */
	tu_fix_ip4_csum(h);
	h[0] = 0x65;
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);

	n = udp4_frame(4);
	h[0] = 0x44;			/* IHL below 5 */
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);

	n = udp4_frame(4);
	h[0] = 0x4f;			/* IHL 60 bytes, only 32 there */
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4), PKT_E_SHORT);

	n = udp4_frame(4);
	put_be16(h + 2, 33);		/* total length past the data */
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_LENGTH);

	n = udp4_frame(4);
	put_be16(h + 2, 19);		/* total length below IHL */
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_LENGTH);

	n = udp4_frame(4);
	h[8]++;				/* TTL changed, checksum not */
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_CSUM);

	n = udp4_frame(4);
	put_be16(h + 6, IPV4_FRAG_MF);
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_FRAGMENT);

	n = udp4_frame(4);
	put_be16(h + 6, 3);		/* offset, last fragment */
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_FRAGMENT);

	n = udp4_frame(4);
	put_be16(h + 6, IPV4_FRAG_RESERVED);
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);
}

static void ipv4_with_options(void **state)
{
	struct pkt_cursor l4;
	struct ip_view ip;
	struct eth_view eth;
	uint8_t f[128];
	uint8_t *h = f + ETH_HLEN;
	size_t n = udp4_frame(0);

	(void)state;
	/* Insert 4 bytes of options (NOPs) after the 20-byte header */
	memcpy(f, fb, ETH_HLEN + 20);
	memset(f + ETH_HLEN + 20, 1, 4);
	memcpy(f + ETH_HLEN + 24, fb + ETH_HLEN + 20, n - ETH_HLEN - 20);
	h[0] = 0x46;
	put_be16(h + 2, 24 + 8);
	tu_fix_ip4_csum(h);
	assert_int_equal(tu_parse_l3(f, n + 4, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(ip.hlen, 24);
	assert_int_equal(ip.l4len, 8);
	assert_int_equal(get_be16(cur_peek(&l4, 2)), 53);
}

static void ipv4_every_truncation_fails(void **state)
{
	struct pkt_cursor l4;
	struct ip_view ip;
	size_t n = udp4_frame(30), len;
	uint8_t *k;

	(void)state;
	for (len = 0; len < n; len++) {
		assert_int_not_equal(parse_l3_exact(fb, len, &ip, &l4, &k),
				     PKT_OK);
		free(k);
	}
}

/* IPv6 frame with extension headers @ext (each 8 bytes) before UDP */
static size_t udp6_ext_frame(const uint8_t *types, size_t count,
			     uint8_t *f)
{
	size_t n = udp6_frame(4), i;
	uint8_t *ip = f + ETH_HLEN;
	uint8_t *e = ip + IPV6_HLEN;

	memcpy(f, fb, ETH_HLEN + IPV6_HLEN);
	for (i = 0; i < count; i++, e += 8) {
		memset(e, 0, 8);
		e[0] = i + 1 < count ? types[i + 1] : IPPROTO_UDP;
		if ((i ? types[i] : types[0]) == IPPROTO_ROUTING) {
			e[2] = 254;	/* experimental type, 0 left */
		} else {
			e[2] = 1;	/* PadN option, 4 bytes of padding */
			e[3] = 4;
		}
	}
	if (count)
		ip[6] = types[0];
	memcpy(e, fb + ETH_HLEN + IPV6_HLEN, n - ETH_HLEN - IPV6_HLEN);
	put_be16(ip + 4, (uint16_t)(count * 8 + 12));
	return n + count * 8;
}

static void ipv6_good_and_ext_chain(void **state)
{
	static const uint8_t chain[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS,
					 IPPROTO_ROUTING, IPPROTO_DSTOPTS };
	struct pkt_cursor l4;
	struct ip_view ip;
	uint8_t f[256], *k;
	struct udp_view u;
	size_t n;

	(void)state;
	n = udp6_frame(4);
	assert_int_equal(parse_l3_exact(fb, n, &ip, &l4, &k), PKT_OK);
	free(k);
	assert_int_equal(ip.version, 6);
	assert_int_equal(ip.proto, IPPROTO_UDP);
	assert_int_equal(ip.hlen, 40);
	assert_int_equal(ip.l4len, 12);

	n = udp6_ext_frame(chain, 4, f);
	assert_int_equal(parse_l3_exact(f, n, &ip, &l4, &k), PKT_OK);
	assert_int_equal(ip.proto, IPPROTO_UDP);
	assert_int_equal(ip.hlen, 40 + 32);
	assert_int_equal(ip.l4len, 12);
	assert_int_equal(udp_parse(&l4, &ip, &u), PKT_OK);
	assert_int_equal(u.dport, 546);
	free(k);
}

static void ipv6_bad(void **state)
{
	static const uint8_t hbh_second[] = { IPPROTO_DSTOPTS,
					      IPPROTO_HOPOPTS };
	static const uint8_t frag[] = { IPPROTO_FRAGMENT };
	static const uint8_t rt[] = { IPPROTO_ROUTING };
	uint8_t many[IPV6_EXT_MAX + 1];
	struct pkt_cursor l4;
	struct eth_view eth;
	struct ip_view ip;
	uint8_t f[256];
	size_t n, len;
	uint8_t *k;

	(void)state;
	n = udp6_frame(4);
	fb[ETH_HLEN] = 0x40;
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);

	n = udp6_frame(4);
	put_be16(fb + ETH_HLEN + 4, 13);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_LENGTH);

	/* IPv4-mapped source or destination: would pass for IPv4 */
	n = udp6_frame(4);
	memset(fb + ETH_HLEN + 8, 0, 10);
	memset(fb + ETH_HLEN + 18, 0xff, 2);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);
	n = udp6_frame(4);
	memset(fb + ETH_HLEN + 24, 0, 10);
	memset(fb + ETH_HLEN + 34, 0xff, 2);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4),
			 PKT_E_BAD_HEADER);

	n = udp6_frame(4);		/* padding trimmed */
	assert_int_equal(tu_parse_l3(fb, n + 6, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(cur_len(&l4), 12);

	n = udp6_ext_frame(hbh_second, 2, f);
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4), PKT_E_BAD_HEADER);

	n = udp6_ext_frame(frag, 1, f);
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4), PKT_E_FRAGMENT);

	n = udp6_ext_frame(rt, 1, f);	/* segments left */
	f[ETH_HLEN + IPV6_HLEN + 3] = 1;
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4),
			 PKT_E_UNSUPPORTED);

	memset(many, IPPROTO_DSTOPTS, sizeof(many));
	n = udp6_ext_frame(many, sizeof(many), f);
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4),
			 PKT_E_UNSUPPORTED);

	n = udp6_ext_frame(rt, 1, f);	/* ext length past the payload */
	f[ETH_HLEN + IPV6_HLEN + 1] = 2;
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4),
			 PKT_E_BAD_LENGTH);

	/* payload of 1 byte: not even an extension header's first two */
	n = udp6_ext_frame(rt, 1, f);
	put_be16(f + ETH_HLEN + 4, 1);
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4), PKT_E_SHORT);

	n = udp6_ext_frame(rt, 1, f);
	assert_int_equal(tu_parse_l3(f, n, &eth, &ip, &l4), PKT_OK);
	for (len = 0; len < n; len++) {
		assert_int_not_equal(parse_l3_exact(f, len, &ip, &l4, &k),
				     PKT_OK);
		free(k);
	}
}

/* TCP segment over IPv4 with @opts, built by hand, checksum filled in */
static size_t tcp4_frame(const uint8_t *opts, uint8_t optlen, size_t pay)
{
	struct frame_addrs a = tu_addrs("192.0.2.2", "192.0.2.1");
	struct tcp_fields t = {
		.sport = 40000, .dport = 80, .seq = 1000, .ack = 0,
		.flags = TCP_F_SYN, .window = 65535,
		.opts = opts, .optlen = optlen,
	};
	uint8_t data[64] = { 0 };
	struct iovec iov = { data, sizeof(data) };
	struct pkt_builder b;

	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_tcp(&b, &a, &t, &iov, 1, pay));
	return b.len;
}

/* Rewrite the TCP checksum after a test changed the segment */
static void fix_tcp4(size_t n)
{
	struct ip_view ip;
	struct eth_view eth;
	struct pkt_cursor l4;
	uint8_t *t = fb + ETH_HLEN + 20;
	size_t l4len = n - ETH_HLEN - 20;

	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4), PKT_OK);
	t[16] = t[17] = 0;
	put_be16(t + 16, csum_fold(csum_partial(t, l4len,
		 csum_pseudo(&ip.src, &ip.dst, IPPROTO_TCP, l4len))));
}

static enum pkt_err tcp4_parse(size_t n, struct tcp_view *v,
			       struct pkt_cursor *pay)
{
	struct eth_view eth;
	struct ip_view ip;

	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, pay), PKT_OK);
	return tcp_parse(pay, &ip, v);
}

static void tcp_options_parsed(void **state)
{
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7,
				     4, 2, 8, 10, 1, 2, 3, 4,
				     5, 6, 7, 8, 0, 0, 0, 0 };
	struct pkt_cursor pay;
	struct tcp_view v;
	size_t n = tcp4_frame(o, sizeof(o), 5);

	(void)state;
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.sport, 40000);
	assert_int_equal(v.dport, 80);
	assert_int_equal(v.seq, 1000);
	assert_int_equal(v.flags, TCP_F_SYN);
	assert_int_equal(v.hlen, 20 + sizeof(o));
	assert_int_equal(v.mss, 1460);
	assert_int_equal(v.wscale, 7);
	assert_true(v.sack_ok);
	assert_int_equal(v.paylen, 5);
	assert_int_equal(cur_len(&pay), 5);

	n = tcp4_frame(NULL, 0, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.mss, 0);
	assert_int_equal(v.wscale, -1);
	assert_false(v.sack_ok);
}

static void tcp_sack_blocks_parsed(void **state)
{
	/* NOP NOP SACK with 2 blocks; then one with a bad length, ignored */
	static const uint8_t two[] = { 1, 1, 5, 18,
				       0, 0, 0x10, 0, 0, 0, 0x20, 0,
				       0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10 };
	static const uint8_t bad[] = { 1, 1, 5, 9, 0, 0, 0, 1, 0, 0, 0, 0 };
	struct pkt_cursor pay;
	struct tcp_view v;
	size_t n = tcp4_frame(two, sizeof(two), 0);

	(void)state;
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.sack_n, 2);
	assert_int_equal(v.sack[0][0], 0x1000);
	assert_int_equal(v.sack[0][1], 0x2000);
	assert_int_equal(v.sack[1][0], 0xfffffff0u);
	assert_int_equal(v.sack[1][1], 0x10);
	n = tcp4_frame(bad, sizeof(bad), 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.sack_n, 0);
	n = tcp4_frame(NULL, 0, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.sack_n, 0);
}

static void tcp_malformed(void **state)
{
	static const uint8_t zero_len[] = { 1, 1, 42, 0 };
	static const uint8_t one_len[] = { 42, 1, 1, 1 };
	static const uint8_t past_end[] = { 1, 1, 42, 3 };
	static const uint8_t lone_kind[] = { 1, 1, 1, 42 };
	static const uint8_t big_ws[] = { 3, 3, 20, 0 };
	static const uint8_t bad_mss_len[] = { 2, 3, 5, 0 };
	struct pkt_cursor pay;
	struct tcp_view v;
	size_t n;

	(void)state;
	n = tcp4_frame(zero_len, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_HEADER);
	n = tcp4_frame(one_len, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_HEADER);
	n = tcp4_frame(past_end, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_HEADER);
	n = tcp4_frame(lone_kind, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_HEADER);
	n = tcp4_frame(big_ws, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.wscale, TCP_WSCALE_MAX);
	n = tcp4_frame(bad_mss_len, 4, 0);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.mss, 0);

	n = tcp4_frame(NULL, 0, 4);
	fb[n - 1] ^= 1;
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_CSUM);

	n = tcp4_frame(NULL, 0, 4);
	fb[ETH_HLEN + 20 + 12] = 4 << 4;	/* data offset 16 bytes */
	fix_tcp4(n);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_HEADER);

	n = tcp4_frame(NULL, 0, 4);
	fb[ETH_HLEN + 20 + 12] = 6 << 4;	/* 24 bytes, 24 there: ok */
	fb[ETH_HLEN + 20 + 20] = 1;		/* make it NOPs */
	fb[ETH_HLEN + 20 + 21] = 1;
	fb[ETH_HLEN + 20 + 22] = 1;
	fb[ETH_HLEN + 20 + 23] = 1;
	fix_tcp4(n);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_OK);
	assert_int_equal(v.paylen, 0);

	n = tcp4_frame(NULL, 0, 4);
	fb[ETH_HLEN + 20 + 12] = 7 << 4;	/* 28 bytes, only 24 */
	fix_tcp4(n);
	assert_int_equal(tcp4_parse(n, &v, &pay), PKT_E_BAD_LENGTH);
}

static void tcp_short(void **state)
{
	struct ip_view ip = { .version = 4 };
	struct pkt_cursor c;
	struct tcp_view v;
	uint8_t *k;
	size_t len;

	(void)state;
	tcp4_frame(NULL, 0, 0);
	for (len = 0; len < TCP_HLEN_MIN; len++) {
		k = malloc(len + 1);
		memcpy(k, fb + ETH_HLEN + 20, len);
		c = cur_make(k, len);
		assert_int_equal(tcp_parse(&c, &ip, &v), PKT_E_SHORT);
		free(k);
	}
}

/*
 * A guest NIC pads its short frames to 60 bytes (an ARP request, a TCP
 * ACK, a small ping or UDP datagram): every parser takes the lengths from
 * the headers, not the frame, so the padding (here non-zero, which would
 * break a checksum that covered it) is neither payload nor an error
 */
static void guest_padding_ignored_by_every_parser(void **state)
{
	struct frame_addrs a = tu_addrs("192.0.2.2", "192.0.2.1");
	static const uint8_t bc[ETH_ALEN] = { 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff };
	struct arp_view arp = { .op = ARP_OP_REQUEST }, av;
	uint8_t echo[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 7 };
	struct pkt_cursor c, pay;
	struct eth_view eth;
	struct icmp_view iv;
	struct tcp_view tv;
	struct udp_view uv;
	struct ip_view ip;
	struct pkt_builder b;
	size_t n;

	(void)state;
	/* ARP request: 42 bytes */
	memcpy(arp.sha, a.src_mac, ETH_ALEN);
	arp.spa.s_addr = htonl(0xc0000202);
	arp.tpa.s_addr = htonl(0xc0000201);
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_arp(&b, bc, &arp));
	assert_int_equal(b.len, 42);
	memset(fb + b.len, 0xee, 60 - b.len);
	c = cur_make(fb, 60);
	assert_int_equal(eth_parse(&c, &eth), PKT_OK);
	assert_int_equal(eth.type, ETH_P_ARP_);
	assert_int_equal(arp_parse(&c, &av), PKT_OK);
	assert_int_equal(av.op, ARP_OP_REQUEST);
	assert_int_equal(ntohl(av.tpa.s_addr), 0xc0000201);

	/* TCP segment without payload: 54 bytes; with one byte: 55 */
	n = tcp4_frame(NULL, 0, 0);
	assert_int_equal(n, 54);
	memset(fb + n, 0xee, 60 - n);
	assert_int_equal(tcp4_parse(60, &tv, &pay), PKT_OK);
	assert_int_equal(tv.paylen, 0);
	assert_int_equal(cur_len(&pay), 0);
	n = tcp4_frame(NULL, 0, 1);
	memset(fb + n, 0xee, 60 - n);
	assert_int_equal(tcp4_parse(60, &tv, &pay), PKT_OK);
	assert_int_equal(tv.paylen, 1);
	assert_int_equal(cur_len(&pay), 1);

	/* ICMP echo request without data: 42 bytes */
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_icmp(&b, &a, echo, sizeof(echo)));
	assert_int_equal(b.len, 42);
	memset(fb + b.len, 0xee, 60 - b.len);
	assert_int_equal(tu_parse_l3(fb, 60, &eth, &ip, &pay), PKT_OK);
	assert_int_equal(ip.l4len, 8);
	assert_int_equal(icmp_parse(&pay, &ip, &iv), PKT_OK);
	assert_int_equal(iv.type, 8);
	assert_int_equal(iv.id, 0x1234);
	assert_int_equal(iv.seq, 7);

	/* UDP datagram of 2 bytes: 44 */
	n = udp4_frame(2);
	memset(fb + n, 0xee, 60 - n);
	assert_int_equal(tu_parse_l3(fb, 60, &eth, &ip, &pay), PKT_OK);
	assert_int_equal(udp_parse(&pay, &ip, &uv), PKT_OK);
	assert_int_equal(cur_len(&pay), 2);
}

static void udp_good_and_bad(void **state)
{
	struct pkt_cursor l4, c;
	struct eth_view eth;
	struct ip_view ip;
	struct udp_view u;
	uint8_t *h = fb + ETH_HLEN + 20;
	size_t n;

	(void)state;
	n = udp4_frame(10);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4), PKT_OK);
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_OK);
	assert_int_equal(u.sport, 53);
	assert_int_equal(u.dport, 40000);
	assert_int_equal(u.len, 18);
	assert_int_equal(cur_len(&c), 10);
	assert_int_equal(*cur_peek(&c, 1), 0);

	put_be16(h + 6, 0);		/* no checksum: fine over IPv4 */
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_OK);

	n = udp4_frame(10);
	h[9] ^= 0xff;			/* payload changed under checksum */
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_E_BAD_CSUM);

	n = udp4_frame(10);
	put_be16(h + 4, 7);
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_E_BAD_LENGTH);
	put_be16(h + 4, 19);
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_E_BAD_LENGTH);

	/* UDP length shorter than the IP payload: the rest is trimmed */
	put_be16(h + 4, 12);
	put_be16(h + 6, 0);
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_OK);
	assert_int_equal(cur_len(&c), 4);

	c = cur_make(h, 7);
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_E_SHORT);

	n = udp6_frame(4);
	assert_int_equal(tu_parse_l3(fb, n, &eth, &ip, &l4), PKT_OK);
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_OK);
	put_be16(fb + ETH_HLEN + 40 + 6, 0);	/* required over IPv6 */
	c = l4;
	assert_int_equal(udp_parse(&c, &ip, &u), PKT_E_BAD_CSUM);
}

static void icmp_echo_v4_v6(void **state)
{
	uint8_t body[12] = { ICMP_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 7,
			     'p', 'i', 'n', 'g' };
	struct frame_addrs a = tu_addrs("192.0.2.2", "192.0.2.1");
	struct pkt_cursor l4, c;
	struct eth_view eth;
	struct icmp_view v;
	struct ip_view ip;
	struct pkt_builder b;

	(void)state;
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_icmp(&b, &a, body, sizeof(body)));
	assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(ip.proto, IPPROTO_ICMP);
	c = l4;
	assert_int_equal(icmp_parse(&c, &ip, &v), PKT_OK);
	assert_int_equal(v.type, ICMP_ECHO_REQUEST);
	assert_int_equal(v.id, 0x1234);
	assert_int_equal(v.seq, 7);
	assert_int_equal(cur_len(&c), 8);

	fb[b.len - 1] ^= 1;
	c = l4;
	assert_int_equal(icmp_parse(&c, &ip, &v), PKT_E_BAD_CSUM);
	c = cur_make(cur_peek(&l4, 3), 3);
	assert_int_equal(icmp_parse(&c, &ip, &v), PKT_E_SHORT);

	/* An echo request of only 4 bytes has no identifier */
	a = tu_addrs("192.0.2.2", "192.0.2.1");
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_icmp(&b, &a, body, 4));
	assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(icmp_parse(&l4, &ip, &v), PKT_E_SHORT);

	body[0] = ICMPV6_ECHO_REQUEST;
	a = tu_addrs("fe80::2", "fe80::1");
	pb_init(&b, fb, sizeof(fb));
	assert_true(frame_icmp(&b, &a, body, sizeof(body)));
	assert_int_equal(tu_parse_l3(fb, b.len, &eth, &ip, &l4), PKT_OK);
	assert_int_equal(ip.proto, IPPROTO_ICMPV6);
	c = l4;
	assert_int_equal(icmp_parse(&c, &ip, &v), PKT_OK);
	assert_int_equal(v.id, 0x1234);
	/* ICMPv6 covers the pseudo-header: another source breaks it */
	ip.src.a6.s6_addr[15] = 3;
	c = l4;
	assert_int_equal(icmp_parse(&c, &ip, &v), PKT_E_BAD_CSUM);
}

/* Random damage to good frames: parsers return errors, never overread */
static void random_mutations_stay_in_bounds(void **state)
{
	static const uint8_t o[] = { 2, 4, 5, 0xb4, 3, 3, 7, 0 };
	uint8_t good[3][256];
	size_t glen[3];
	int i;

	(void)state;
	glen[0] = tcp4_frame(o, sizeof(o), 16);
	memcpy(good[0], fb, glen[0]);
	glen[1] = udp4_frame(20);
	memcpy(good[1], fb, glen[1]);
	glen[2] = udp6_frame(20);
	memcpy(good[2], fb, glen[2]);
	srand(7);
	for (i = 0; i < 30000; i++) {
		int which = rand() % 3, flips = rand() % 4, j;
		size_t len = glen[which] - (size_t)(rand() % 8 ? 0 :
					       rand() % glen[which]);
		uint8_t *f = malloc(len ? len : 1);
		struct pkt_cursor l4;
		struct eth_view eth;
		struct ip_view ip;
		union {
			struct tcp_view t;
			struct udp_view u;
			struct icmp_view i;
		} v;

		memcpy(f, good[which], len);
		for (j = 0; j < flips && len; j++)
			f[rand() % len] ^= (uint8_t)(1 << (rand() % 8));
		if (tu_parse_l3(f, len, &eth, &ip, &l4) == PKT_OK) {
			struct pkt_cursor c = l4;

			tcp_parse(&c, &ip, &v.t);
			c = l4;
			udp_parse(&c, &ip, &v.u);
			c = l4;
			icmp_parse(&c, &ip, &v.i);
		}
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pkt_err_str_names_every_reason),
		cmocka_unit_test(eth_short_and_good),
		cmocka_unit_test(arp_good_and_bad),
		cmocka_unit_test(ipv4_good_view),
		cmocka_unit_test(ipv4_trims_link_padding),
		cmocka_unit_test(ipv4_bad_fields),
		cmocka_unit_test(ipv4_with_options),
		cmocka_unit_test(ipv4_every_truncation_fails),
		cmocka_unit_test(ipv6_good_and_ext_chain),
		cmocka_unit_test(ipv6_bad),
		cmocka_unit_test(tcp_options_parsed),
		cmocka_unit_test(tcp_sack_blocks_parsed),
		cmocka_unit_test(tcp_malformed),
		cmocka_unit_test(tcp_short),
		cmocka_unit_test(guest_padding_ignored_by_every_parser),
		cmocka_unit_test(udp_good_and_bad),
		cmocka_unit_test(icmp_echo_v4_v6),
		cmocka_unit_test(random_mutations_stay_in_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
