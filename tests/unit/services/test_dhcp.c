// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_dhcp.c - the DHCPv4 server: messages built by hand, replies parsed
 * back option by option, NAK cases, and hostile messages dropped
 */
#include <stdio.h>
#include <stdlib.h>

#include "svc_util.h"
#include "core/stats.h"
#include "services/dhcp.h"
#include "../common/tu_addr.h"

/* Message and option numbers, as the RFCs have them */
enum {
	OP_REQUEST = 1, OP_REPLY = 2,
	T_DISCOVER = 1, T_OFFER = 2, T_REQUEST = 3, T_DECLINE = 4,
	T_ACK = 5, T_NAK = 6, T_RELEASE = 7, T_INFORM = 8,
	O_PAD = 0, O_MASK = 1, O_ROUTER = 3, O_DNS = 6, O_HOSTNAME = 12,
	O_MTU = 26, O_REQ_IP = 50, O_LEASE = 51, O_OVERLOAD = 52,
	O_TYPE = 53, O_SERVER = 54, O_PRL = 55, O_MAXSIZE = 57, O_T1 = 58,
	O_T2 = 59, O_FQDN = 81, O_SEARCH = 119, O_END = 255,
};

#define XID		0x3903f326
#define OPTS_OFF	240

static struct dhcp_conf dc;

static uint64_t ctr(const char *name)
{
	return stats_get("dhcp", name);
}

static void conf_default(void)
{
	memset(&dc, 0, sizeof(dc));
	dc.addr = tu_a4("192.0.2.2");
	dc.prefix_len = 24;
	dc.gw = tu_a4("192.0.2.1");
	dc.server = tu_a4("192.0.2.1");
	dc.dns[0] = tu_a4("192.0.2.1");
	dc.dns[1] = tu_a4("198.51.100.53");
	dc.dns_count = 2;
	strcpy(dc.search[0], "example.com");
	strcpy(dc.search[1], "lab.example.com");
	strcpy(dc.search[2], "EXAMPLE.org.");
	dc.search_count = 3;
	strcpy(dc.hostname, "guest");
	strcpy(dc.fqdn, "guest.example.com");
	dc.mtu = 1500;
}

static int setup(void **state)
{
	(void)state;
	su_reset();
	conf_default();
	assert_int_equal(dhcp_init(&dc, &su_tx), 0);
	return 0;
}

/* A client message under construction */
struct msg {
	uint8_t b[1024];
	size_t len;
};

static void msg_start(struct msg *m, uint8_t type, const char *ciaddr,
		      uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = OP_REQUEST;
	m->b[1] = 1;
	m->b[2] = 6;
	put_be32(m->b + 4, XID);
	put_be16(m->b + 10, flags);
	if (ciaddr) {
		struct in_addr c = tu_a4(ciaddr);

		memcpy(m->b + 12, &c, 4);
	}
	memcpy(m->b + 28, su_guest_mac, ETH_ALEN);
	put_be32(m->b + 236, 0x63825363);
	m->len = OPTS_OFF;
	if (type) {
		m->b[m->len++] = O_TYPE;
		m->b[m->len++] = 1;
		m->b[m->len++] = type;
	}
}

static void msg_opt(struct msg *m, uint8_t code, const void *d, uint8_t len)
{
	m->b[m->len++] = code;
	m->b[m->len++] = len;
	memcpy(m->b + m->len, d, len);
	m->len += len;
}

static void msg_opt_addr(struct msg *m, uint8_t code, const char *s)
{
	struct in_addr a = tu_a4(s);

	msg_opt(m, code, &a, 4);
}

static void msg_end(struct msg *m)
{
	m->b[m->len++] = O_END;
}

/* Hand @len bytes of @m to the server from an exactly sized buffer */
static void msg_send_len(const struct msg *m, size_t len)
{
	struct ip_view ip = { .version = 4, .proto = IPPROTO_UDP };
	struct udp_view udp = { .sport = 68, .dport = 67 };
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, m->b, len);
	udp.len = (uint16_t)(len + 8);
	dhcp_input(&ip, &udp, cur_make(copy, len), 0);
	free(copy);
}

static void msg_send(const struct msg *m)
{
	msg_send_len(m, m->len);
}

/**
 * struct reply - a captured reply, parsed
 * @opt:	option payloads, repeated codes concatenated (RFC 3396)
 * @olen:	bytes in @opt[code]
 * @has:	option present
 */
struct reply {
	struct eth_view eth;
	struct ip_view ip;
	struct udp_view udp;
	const uint8_t *h;
	size_t len;
	uint8_t opt[256][1024];
	size_t olen[256];
	bool has[256];
};

static struct reply rp;

static void reply_parse(int i)
{
	struct pkt_cursor c;
	const uint8_t *o;
	size_t n, off;

	memset(&rp, 0, sizeof(rp));
	assert_true(i < su_frames);
	c = cur_make(su_frame[i], su_frame_len[i]);
	assert_int_equal(eth_parse(&c, &rp.eth), PKT_OK);
	assert_int_equal(rp.eth.type, ETH_P_IP_);
	assert_memory_equal(rp.eth.src, su_our_mac, ETH_ALEN);
	assert_int_equal(ipv4_parse(&c, &rp.ip), PKT_OK);
	assert_int_equal(rp.ip.proto, IPPROTO_UDP);
	assert_int_equal(udp_parse(&c, &rp.ip, &rp.udp), PKT_OK);
	assert_int_equal(rp.udp.sport, 67);
	assert_int_equal(rp.udp.dport, 68);
	assert_int_equal(ntohl(rp.ip.src.v4mapped.a4.s_addr), 0xc0000201);

	n = cur_len(&c);
	assert_true(n >= 300);		/* BOOTP minimum */
	assert_true(n <= 576 - 28);	/* default client limit */
	rp.h = cur_peek(&c, n);
	rp.len = n;
	assert_int_equal(rp.h[0], OP_REPLY);
	assert_int_equal(get_be32(rp.h + 4), XID);
	assert_memory_equal(rp.h + 28, su_guest_mac, ETH_ALEN);
	assert_int_equal(get_be32(rp.h + 236), 0x63825363);

	o = rp.h;
	for (off = OPTS_OFF; ; ) {
		uint8_t code, len;

		assert_true(off < n);		/* END must come */
		code = o[off++];
		if (code == O_PAD)
			continue;
		if (code == O_END)
			break;
		assert_true(off < n);
		len = o[off++];
		assert_true(off + len <= n);
		memcpy(rp.opt[code] + rp.olen[code], o + off, len);
		rp.olen[code] += len;
		rp.has[code] = true;
		off += len;
	}
}

static uint32_t opt_u32(uint8_t code)
{
	assert_true(rp.has[code]);
	assert_int_equal(rp.olen[code], 4);
	return get_be32(rp.opt[code]);
}

static void assert_opt_addr(uint8_t code, size_t idx, const char *s)
{
	struct in_addr a = tu_a4(s);

	assert_true(rp.has[code]);
	assert_true(rp.olen[code] >= 4 * (idx + 1));
	assert_memory_equal(rp.opt[code] + 4 * idx, &a, 4);
}

static uint8_t reply_type(void)
{
	assert_true(rp.has[O_TYPE]);
	assert_int_equal(rp.olen[O_TYPE], 1);
	return rp.opt[O_TYPE][0];
}

static struct in_addr yiaddr(void)
{
	struct in_addr a;

	memcpy(&a, rp.h + 16, 4);
	return a;
}

static void assert_broadcast(void)
{
	static const uint8_t bc[ETH_ALEN] = { 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff };

	assert_memory_equal(rp.eth.dst, bc, ETH_ALEN);
	assert_int_equal(rp.ip.dst.v4mapped.a4.s_addr, 0xffffffff);
}

/*
 * Decode a possibly compressed name list (RFC 3397) into "a.b,c.d,...",
 * following at most 16 pointers per name, each strictly backwards.
 */
static void search_decode(const uint8_t *d, size_t len, char *out,
			  size_t cap)
{
	size_t pos = 0, o = 0;

	out[0] = 0;
	while (pos < len) {
		size_t p = pos, jumps = 0, nl = 0;
		bool jumped = false;
		char name[512];

		name[0] = 0;
		for (;;) {
			assert_true(p < len);
			if ((d[p] & 0xc0) == 0xc0) {
				size_t to;

				assert_true(p + 1 < len);
				to = (size_t)(d[p] & 0x3f) << 8 | d[p + 1];
				assert_true(to < p);
				assert_true(++jumps < 16);
				if (!jumped)
					pos = p + 2;
				jumped = true;
				p = to;
				continue;
			}
			if (!d[p]) {
				if (!jumped)
					pos = p + 1;
				break;
			}
			assert_true(p + 1 + d[p] <= len);
			nl += snprintf(name + nl, sizeof(name) - nl, "%s%.*s",
				       nl ? "." : "", d[p],
				       (const char *)d + p + 1);
			p += 1 + d[p];
		}
		o += snprintf(out + o, cap - o, "%s%s", o ? "," : "", name);
	}
}

static void discover_offer_carries_every_option(void **state)
{
	char search[512];
	struct msg m;

	(void)state;
	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_end(&m);
	msg_send(&m);
	assert_int_equal(su_frames, 1);
	reply_parse(0);

	assert_int_equal(reply_type(), T_OFFER);
	assert_int_equal(yiaddr().s_addr, tu_a4("192.0.2.2").s_addr);
	assert_broadcast();
	assert_opt_addr(O_SERVER, 0, "192.0.2.1");
	assert_int_equal(opt_u32(O_LEASE), DHCP_LEASE_S);
	assert_int_equal(opt_u32(O_T1), DHCP_LEASE_S / 2);
	assert_int_equal(opt_u32(O_T2), DHCP_LEASE_S / 8 * 7);
	assert_opt_addr(O_MASK, 0, "255.255.255.0");
	assert_opt_addr(O_ROUTER, 0, "192.0.2.1");
	assert_int_equal(rp.olen[O_DNS], 8);
	assert_opt_addr(O_DNS, 0, "192.0.2.1");
	assert_opt_addr(O_DNS, 1, "198.51.100.53");
	assert_int_equal(rp.olen[O_HOSTNAME], 5);
	assert_memory_equal(rp.opt[O_HOSTNAME], "guest", 5);
	assert_int_equal(rp.olen[O_MTU], 2);
	assert_int_equal(get_be16(rp.opt[O_MTU]), 1500);

	assert_true(rp.has[O_SEARCH]);
	search_decode(rp.opt[O_SEARCH], rp.olen[O_SEARCH], search,
		      sizeof(search));
	assert_string_equal(search, "example.com,lab.example.com,EXAMPLE.org");
	/* example.com in full (13), then "lab" and a pointer (6), then
	 * EXAMPLE.org in full (13): no suffix of it was written before */
	assert_int_equal(rp.olen[O_SEARCH], 13 + 6 + 13);

	assert_true(rp.has[O_FQDN]);
	assert_int_equal(rp.opt[O_FQDN][0], 0x04 | 0x08);	/* E, N */
	assert_int_equal(rp.opt[O_FQDN][1], 255);
	assert_int_equal(rp.opt[O_FQDN][2], 255);
	assert_int_equal(rp.olen[O_FQDN], 3 + 19);
	assert_memory_equal(rp.opt[O_FQDN] + 3,
			    "\5guest\7example\3com\0", 19);
	assert_int_equal(ctr("discover"), 1);
	assert_int_equal(ctr("offer"), 1);
}

static void request_selecting_gets_ack(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, NULL, 0);
	msg_opt_addr(&m, O_SERVER, "192.0.2.1");
	msg_opt_addr(&m, O_REQ_IP, "192.0.2.2");
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_ACK);
	assert_int_equal(yiaddr().s_addr, tu_a4("192.0.2.2").s_addr);
	assert_broadcast();
	assert_opt_addr(O_MASK, 0, "255.255.255.0");
	assert_int_equal(opt_u32(O_LEASE), DHCP_LEASE_S);
	assert_int_equal(ctr("ack"), 1);
}

static void request_init_reboot_gets_ack(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, NULL, 0);
	msg_opt_addr(&m, O_REQ_IP, "192.0.2.2");
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_ACK);
}

static void check_nak(void)
{
	assert_int_equal(su_frames, 1);
	reply_parse(0);
	assert_int_equal(reply_type(), T_NAK);
	assert_int_equal(yiaddr().s_addr, 0);
	assert_broadcast();
	assert_opt_addr(O_SERVER, 0, "192.0.2.1");
	assert_false(rp.has[O_LEASE]);
	assert_false(rp.has[O_MASK]);
	assert_false(rp.has[O_ROUTER]);
	assert_false(rp.has[O_DNS]);
	assert_int_equal(ctr("nak"), 1);
	assert_int_equal(ctr("ack"), 0);
}

static void request_other_address_nak(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, NULL, 0);
	msg_opt_addr(&m, O_SERVER, "192.0.2.1");
	msg_opt_addr(&m, O_REQ_IP, "192.0.2.3");
	msg_end(&m);
	msg_send(&m);
	check_nak();
}

static void request_other_server_nak(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, NULL, 0);
	msg_opt_addr(&m, O_SERVER, "10.0.0.1");
	msg_opt_addr(&m, O_REQ_IP, "192.0.2.2");
	msg_end(&m);
	msg_send(&m);
	check_nak();
}

static void renewing_unicast_ack(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, "192.0.2.2", 0);
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_ACK);
	assert_memory_equal(rp.eth.dst, su_guest_mac, ETH_ALEN);
	assert_int_equal(rp.ip.dst.v4mapped.a4.s_addr,
			 tu_a4("192.0.2.2").s_addr);
	assert_memory_equal(rp.h + 12, &rp.ip.dst.v4mapped.a4, 4); /* ciaddr */
}

static void renewing_other_address_nak(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, "192.0.2.99", 0);
	msg_end(&m);
	msg_send(&m);
	check_nak();
}

static void broadcast_flag_honoured(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_REQUEST, "192.0.2.2", 0x8000);
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_ACK);
	assert_broadcast();
	assert_int_equal(get_be16(rp.h + 10), 0x8000);
}

static void inform_ack_without_lease(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_INFORM, "192.0.2.2", 0);
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_ACK);
	assert_int_equal(yiaddr().s_addr, 0);
	assert_false(rp.has[O_LEASE]);
	assert_false(rp.has[O_T1]);
	assert_false(rp.has[O_T2]);
	assert_opt_addr(O_MASK, 0, "255.255.255.0");
	assert_opt_addr(O_ROUTER, 0, "192.0.2.1");
	assert_opt_addr(O_DNS, 0, "192.0.2.1");
	assert_int_equal(rp.ip.dst.v4mapped.a4.s_addr,
			 tu_a4("192.0.2.2").s_addr);
	assert_int_equal(ctr("inform"), 1);
}

static void release_and_decline_tolerated(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_RELEASE, "192.0.2.2", 0);
	msg_opt_addr(&m, O_SERVER, "192.0.2.1");
	msg_end(&m);
	msg_send(&m);
	msg_start(&m, T_DECLINE, NULL, 0);
	msg_opt_addr(&m, O_REQ_IP, "192.0.2.2");
	msg_end(&m);
	msg_send(&m);
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("release"), 1);
	assert_int_equal(ctr("decline"), 1);
}

/* Each empty field of struct dhcp_conf removes exactly its option */
static void each_option_can_be_left_out(void **state)
{
	static const uint8_t codes[] = { O_DNS, O_SEARCH, O_MTU, O_HOSTNAME,
					 O_FQDN };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(codes); i++) {
		struct msg m;

		su_reset();
		conf_default();
		switch (codes[i]) {
		case O_DNS:
			dc.dns_count = 0;
			break;
		case O_SEARCH:
			dc.search_count = 0;
			break;
		case O_MTU:
			dc.mtu = 0;
			break;
		case O_HOSTNAME:
			dc.hostname[0] = 0;
			break;
		default:
			dc.fqdn[0] = 0;
			break;
		}
		assert_int_equal(dhcp_init(&dc, &su_tx), 0);
		msg_start(&m, T_DISCOVER, NULL, 0);
		msg_end(&m);
		msg_send(&m);
		reply_parse(0);
		for (j = 0; j < sizeof(codes); j++) {
			if (i == j)
				assert_false(rp.has[codes[j]]);
			else
				assert_true(rp.has[codes[j]]);
		}
	}
}

/* Long options that do not all fit: those the client asked for first */
static void requested_options_win_when_space_is_short(void **state)
{
	static const uint8_t prl[] = { O_MASK, O_ROUTER, O_SEARCH };
	struct msg m;
	uint8_t maxsize[2];
	int i;

	(void)state;
	conf_default();
	memset(dc.hostname, 'h', 200);
	dc.hostname[200] = 0;
	for (i = 0; i < 4; i++) {	/* about 200 bytes encoded */
		memset(dc.search[i], 'a' + i, 47);
		strcpy(dc.search[i] + 47, i % 2 ? ".net" : ".org");
	}
	dc.search_count = 4;
	assert_int_equal(dhcp_init(&dc, &su_tx), 0);

	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_true(rp.has[O_HOSTNAME]);	/* default order: name first */
	assert_false(rp.has[O_SEARCH]);
	assert_true(ctr("option_omitted") >= 1);

	su_reset();
	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_opt(&m, O_PRL, prl, sizeof(prl));
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_true(rp.has[O_SEARCH]);
	/* the first .org and .net in full, the later ones as pointers */
	assert_int_equal(rp.olen[O_SEARCH], 2 * (1 + 47 + 1 + 3 + 1) +
					    2 * (1 + 47 + 2));
	assert_false(rp.has[O_HOSTNAME]);

	/* A client that takes 1500 bytes gets both */
	su_reset();
	msg_start(&m, T_DISCOVER, NULL, 0);
	put_be16(maxsize, 1500);
	msg_opt(&m, O_MAXSIZE, maxsize, 2);
	msg_end(&m);
	msg_send(&m);
	assert_int_equal(su_frames, 1);
	memset(&rp, 0, sizeof(rp));
	{
		struct pkt_cursor c = cur_make(su_frame[0], su_frame_len[0]);
		struct eth_view eth;
		struct ip_view ip;
		struct udp_view udp;

		assert_int_equal(eth_parse(&c, &eth), PKT_OK);
		assert_int_equal(ipv4_parse(&c, &ip), PKT_OK);
		assert_int_equal(udp_parse(&c, &ip, &udp), PKT_OK);
		assert_true(cur_len(&c) > 576 - 28);
		assert_true(cur_len(&c) <= 1500 - 28);
	}
}

/* Search domains longer than 255 bytes encoded: split (RFC 3396) */
static void long_search_list_is_split(void **state)
{
	static const uint8_t prl[] = { O_SEARCH };
	char want[1024] = "", got[1024];
	uint8_t maxsize[2];
	struct msg m;
	int i;

	(void)state;
	conf_default();
	dc.hostname[0] = 0;
	dc.fqdn[0] = 0;
	for (i = 0; i < 6; i++) {
		memset(dc.search[i], 'a' + i, 60);
		sprintf(dc.search[i] + 60, ".x%d", i);
		sprintf(want + strlen(want), "%s%s", i ? "," : "",
			dc.search[i]);
	}
	dc.search_count = 6;
	assert_int_equal(dhcp_init(&dc, &su_tx), 0);
	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_opt(&m, O_PRL, prl, sizeof(prl));
	put_be16(maxsize, 1400);
	msg_opt(&m, O_MAXSIZE, maxsize, 2);
	msg_end(&m);
	msg_send(&m);
	/* reply_parse() asserts a 576 limit: parse the options by hand */
	assert_int_equal(su_frames, 1);
	{
		struct pkt_cursor c = cur_make(su_frame[0], su_frame_len[0]);
		struct eth_view eth;
		struct ip_view ip;
		struct udp_view udp;
		const uint8_t *h;
		size_t off = OPTS_OFF, n, parts = 0, slen = 0;
		uint8_t s[1024];

		assert_int_equal(eth_parse(&c, &eth), PKT_OK);
		assert_int_equal(ipv4_parse(&c, &ip), PKT_OK);
		assert_int_equal(udp_parse(&c, &ip, &udp), PKT_OK);
		n = cur_len(&c);
		h = cur_peek(&c, n);
		while (off < n && h[off] != O_END) {
			if (h[off] == O_PAD) {
				off++;
				continue;
			}
			if (h[off] == O_SEARCH) {
				memcpy(s + slen, h + off + 2, h[off + 1]);
				slen += h[off + 1];
				parts++;
			}
			off += 2 + h[off + 1];
		}
		assert_int_equal(parts, 2);
		search_decode(s, slen, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

static void init_rejects_bad_names(void **state)
{
	(void)state;
	conf_default();
	memset(dc.search[0], 'a', 64);		/* label of 64 */
	dc.search[0][64] = 0;
	assert_int_equal(dhcp_init(&dc, &su_tx), -EINVAL);
	conf_default();
	strcpy(dc.search[1], "a..b");
	assert_int_equal(dhcp_init(&dc, &su_tx), -EINVAL);
	conf_default();
	strcpy(dc.fqdn, ".");
	assert_int_equal(dhcp_init(&dc, &su_tx), -EINVAL);
	conf_default();
	dc.mtu = 67;
	assert_int_equal(dhcp_init(&dc, &su_tx), -EINVAL);
	conf_default();
	dc.prefix_len = 33;
	assert_int_equal(dhcp_init(&dc, &su_tx), -EINVAL);
}

static void malformed_messages_dropped(void **state)
{
	static const struct {
		const char *ctr;
		int kind;
	} cases[] = {
		{ "drop_short", 0 },
		{ "drop_not_request", 1 },
		{ "drop_htype", 2 },
		{ "drop_htype", 3 },
		{ "drop_cookie", 4 },
		{ "drop_option_truncated", 5 },
		{ "drop_option_truncated", 6 },
		{ "drop_option_length", 7 },
		{ "drop_option_length", 8 },
		{ "drop_overload", 9 },
		{ "drop_no_type", 10 },
		{ "drop_bad_type", 11 },
		{ "drop_bad_type", 12 },
		{ "drop_no_type", 13 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t one = 1;
		struct msg m;

		assert_int_equal(dhcp_init(&dc, &su_tx), 0);
		su_reset();
		msg_start(&m, T_DISCOVER, NULL, 0);
		switch (cases[i].kind) {
		case 0:
			msg_send_len(&m, OPTS_OFF - 1);
			break;
		case 1:
			m.b[0] = OP_REPLY;
			break;
		case 2:
			m.b[1] = 6;
			break;
		case 3:
			m.b[2] = 16;
			break;
		case 4:
			m.b[239] ^= 1;
			break;
		case 5:		/* length runs past the end */
			m.b[m.len++] = O_HOSTNAME;
			m.b[m.len++] = 10;
			memcpy(m.b + m.len, "abc", 3);
			m.len += 3;
			break;
		case 6:		/* code without a length byte */
			m.b[m.len++] = O_HOSTNAME;
			break;
		case 7:
			m.b[OPTS_OFF + 1] = 2;	/* message type of 2 bytes */
			m.len++;
			break;
		case 8:
			msg_opt(&m, O_REQ_IP, "abc", 3);
			break;
		case 9:
			msg_opt(&m, O_OVERLOAD, &one, 1);
			break;
		case 10:
			m.len = OPTS_OFF;
			break;
		case 11:
			m.b[OPTS_OFF + 2] = T_OFFER;
			break;
		case 12:
			m.b[OPTS_OFF + 2] = 9;
			break;
		case 13:	/* only padding, then END */
			m.len = OPTS_OFF;
			memset(m.b + m.len, O_PAD, 100);
			m.len += 100;
			break;
		}
		if (cases[i].kind) {
			if (cases[i].kind != 5 && cases[i].kind != 6)
				msg_end(&m);
			msg_send(&m);
		}
		assert_int_equal(su_frames, 0);
		if (ctr(cases[i].ctr) != 1)
			fail_msg("case %zu: %s is %llu", i, cases[i].ctr,
				 (unsigned long long)ctr(cases[i].ctr));
	}
}

static void missing_end_tolerated(void **state)
{
	struct msg m;

	(void)state;
	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_send(&m);
	assert_int_equal(su_frames, 1);
	reply_parse(0);
	assert_int_equal(reply_type(), T_OFFER);
}

static void small_max_size_treated_as_576(void **state)
{
	uint8_t maxsize[2];
	struct msg m;

	(void)state;
	msg_start(&m, T_DISCOVER, NULL, 0);
	put_be16(maxsize, 100);
	msg_opt(&m, O_MAXSIZE, maxsize, 2);
	msg_end(&m);
	msg_send(&m);
	reply_parse(0);
	assert_int_equal(reply_type(), T_OFFER);
	assert_true(rp.has[O_SEARCH]);
}

static void send_failure_counted(void **state)
{
	struct msg m;

	(void)state;
	su_send_rc = -EAGAIN;
	msg_start(&m, T_DISCOVER, NULL, 0);
	msg_end(&m);
	msg_send(&m);
	assert_int_equal(ctr("drop_tx"), 1);
	assert_int_equal(ctr("offer"), 0);
}

/* Random damage to good messages: dropped or answered, never overread */
static void random_damage_stays_in_bounds(void **state)
{
	static const uint8_t prl[] = { 1, 3, 6, 12, 15, 26, 119, 81 };
	struct msg good, m;
	int i;

	(void)state;
	msg_start(&good, T_REQUEST, NULL, 0);
	msg_opt_addr(&good, O_SERVER, "192.0.2.1");
	msg_opt_addr(&good, O_REQ_IP, "192.0.2.2");
	msg_opt(&good, O_PRL, prl, sizeof(prl));
	msg_end(&good);
	for (i = 0; i < 20000; i++) {
		size_t len = good.len - (su_rand() % 4 ? 0 :
					 su_rand() % good.len);
		int flips = (int)(su_rand() % 6), j;

		m = good;
		for (j = 0; j < flips; j++)
			m.b[OPTS_OFF - 8 + su_rand() % (good.len -
							OPTS_OFF + 8)] =
				(uint8_t)su_rand();
		su_frames = 0;
		msg_send_len(&m, len);
		if (su_frames)
			reply_parse(0);
	}
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(discover_offer_carries_every_option),
		T(request_selecting_gets_ack),
		T(request_init_reboot_gets_ack),
		T(request_other_address_nak),
		T(request_other_server_nak),
		T(renewing_unicast_ack),
		T(renewing_other_address_nak),
		T(broadcast_flag_honoured),
		T(inform_ack_without_lease),
		T(release_and_decline_tolerated),
		T(each_option_can_be_left_out),
		T(requested_options_win_when_space_is_short),
		T(long_search_list_is_split),
		T(init_rejects_bad_names),
		T(malformed_messages_dropped),
		T(missing_end_tolerated),
		T(small_max_size_treated_as_576),
		T(send_failure_counted),
		T(random_damage_stays_in_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
