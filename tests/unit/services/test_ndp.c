// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ndp.c - NDP: neighbour advertisements, router advertisements, drops
 *
 * Each test feeds messages built and parsed by the real packet layer into
 * ndp_input() and parses what comes out with the packet layer again.
 */
#include "svc_util.h"

#include "core/loop.h"
#include "core/stats.h"
#include "services/dns_name.h"
#include "services/ndp.h"

#define GUEST_LL	"fe80::5054:ff:fe12:3456"
#define GUEST_ADDR	"fd00::2"
#define GW		"fd00::1"
#define OUR_LL		"fe80::1"
#define NOW		1000000000ULL

static struct ndp_conf nc;

static void conf_default(void)
{
	memset(&nc, 0, sizeof(nc));
	nc.enabled = true;
	nc.ra = true;
	nc.managed = true;
	nc.addr = su_a6(GUEST_ADDR);
	nc.gw = su_a6(GW);
	nc.our_ll = su_a6(OUR_LL);
	nc.mtu = 1500;
	nc.dns[0] = su_a6("fd00::53");
	nc.dns[1] = su_a6("fd00::54");
	nc.dns_count = 2;
	strcpy(nc.search[0], "example.com");
	strcpy(nc.search[1], "corp.example.org.");
	nc.search_count = 2;
}

static int setup(void **state)
{
	(void)state;
	su_reset();
	conf_default();
	assert_int_equal(ndp_init(&nc, &su_tx), 0);
	return 0;
}

static void reinit(void)
{
	su_reset();
	assert_int_equal(ndp_init(&nc, &su_tx), 0);
}

static uint64_t ctr(const char *name)
{
	return stats_get("ndp", name);
}

/* Build a guest frame, parse it as ingress does, hand it to NDP */
static void feed(const char *src, const char *dst, uint8_t hop,
		 const uint8_t *msg, size_t len)
{
	struct frame_addrs a = su_from_guest(src, dst, hop);
	static uint8_t f[SU_FRAME_MAX];
	struct icmp_view icmp;
	struct pkt_builder b;
	struct pkt_cursor c;
	struct eth_view eth;
	struct ip_view ip;

	pb_init(&b, f, sizeof(f));
	assert_true(frame_icmp(&b, &a, msg, len));
	c = cur_make(f, b.len);
	assert_int_equal(eth_parse(&c, &eth), PKT_OK);
	assert_int_equal(ipv6_parse(&c, &ip), PKT_OK);
	assert_int_equal(icmp_parse(&c, &ip, &icmp), PKT_OK);
	assert_true(ndp_is_ndp_type(icmp.type));
	ndp_input(&ip, &icmp, c, NOW);
}

/* A neighbour solicitation for @target, or a router solicitation if
 * @target is NULL, with a source link-layer option if @sll */
static size_t solicit_msg(uint8_t *m, size_t cap, const char *target,
			  bool sll)
{
	struct pkt_builder b;

	pb_init(&b, m, cap);
	pb_u8(&b, target ? NDP_NS : NDP_RS);
	pb_u8(&b, 0);
	pb_be16(&b, 0);
	pb_be32(&b, 0);
	if (target) {
		struct in6_addr t = su_a6(target);

		pb_put(&b, &t, sizeof(t));
	}
	if (sll) {
		pb_u8(&b, 1);
		pb_u8(&b, 1);
		pb_put(&b, su_guest_mac, ETH_ALEN);
	}
	assert_false(b.overflow);
	return b.len;
}

static size_t ns_msg(uint8_t *m, size_t cap, const char *target, bool sll)
{
	return solicit_msg(m, cap, target, sll);
}

static size_t rs_msg(uint8_t *m, size_t cap, bool sll)
{
	return solicit_msg(m, cap, NULL, sll);
}

/* Solicited-node multicast address of @target */
static const char *snm(const char *target)
{
	static char buf[INET6_ADDRSTRLEN];
	struct in6_addr t = su_a6(target), s = su_a6("ff02::1:ff00:0");

	memcpy(s.s6_addr + 13, t.s6_addr + 13, 3);
	inet_ntop(AF_INET6, &s, buf, sizeof(buf));
	return buf;
}

/* Find option @type in an NDP option list; NULL if absent */
static const uint8_t *find_opt(struct pkt_cursor c, uint8_t type,
			       size_t *len)
{
	while (cur_len(&c) >= 2) {
		const uint8_t *o = cur_peek(&c, 2);
		size_t olen = (size_t)o[1] * 8;

		assert_true(olen > 0);
		o = cur_peek(&c, olen);
		assert_non_null(o);
		if (o[0] == type) {
			*len = olen;
			return o;
		}
		cur_skip(&c, olen);
	}
	return NULL;
}

/* Check frame @i is an NA for @target to @dst/@dmac with @flags */
static void check_na(int i, const char *target, const char *dst,
		     const uint8_t *dmac, uint8_t flags)
{
	struct in6_addr t = su_a6(target);
	struct su_reply r;
	const uint8_t *p, *o;
	size_t olen;

	su_parse(i, &r);
	assert_memory_equal(r.eth.src, su_our_mac, ETH_ALEN);
	assert_memory_equal(r.eth.dst, dmac, ETH_ALEN);
	assert_int_equal(r.ip.proto, IPPROTO_ICMPV6);
	assert_int_equal(r.ip.ttl, 255);
	su_assert_addr(&r.ip.src, target);
	su_assert_addr(&r.ip.dst, dst);
	assert_int_equal(r.icmp.type, NDP_NA);
	assert_int_equal(r.icmp.code, 0);

	p = cur_pull(&r.l4, 20);
	assert_non_null(p);
	assert_int_equal(p[0], flags);
	assert_int_equal(p[1] | p[2] | p[3], 0);
	assert_memory_equal(p + 4, &t, 16);

	o = find_opt(r.l4, 2, &olen);
	assert_non_null(o);
	assert_int_equal(olen, 8);
	assert_memory_equal(o + 2, su_our_mac, ETH_ALEN);
}

/* Feed an NS for @target from @src to @dst (NULL: the target's
 * solicited-node address) with hop limit @hop */
static void feed_ns(const char *src, const char *dst, uint8_t hop,
		    const char *target, bool sll)
{
	uint8_t m[64];
	size_t len = ns_msg(m, sizeof(m), target, sll);

	feed(src, dst ? dst : snm(target), hop, m, len);
}

/* Feed an RS from @src to all routers with hop limit @hop */
static void feed_rs(const char *src, uint8_t hop, bool sll)
{
	uint8_t m[64];

	feed(src, "ff02::2", hop, m, rs_msg(m, sizeof(m), sll));
}

/* Nothing was answered, and counter @name reads @n */
static void assert_silent(const char *name, uint64_t n)
{
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr(name), n);
}

/* The one frame sent is an NA for @target to @dst/@dmac with @flags */
static void check_one_na(const char *target, const char *dst,
			 const uint8_t *dmac, uint8_t flags)
{
	assert_int_equal(su_frames, 1);
	check_na(0, target, dst, dmac, flags);
}

static void ns_for_gateway_gets_na(void **state)
{
	(void)state;
	feed_ns(GUEST_LL, NULL, 255, GW, true);
	check_one_na(GW, GUEST_LL, su_guest_mac, 0xe0);	/* R, S, O */
	assert_int_equal(ctr("ns_answered"), 1);
	assert_int_equal(ctr("na_sent"), 1);
}

static void ns_for_our_link_local_gets_na(void **state)
{
	(void)state;
	feed_ns(GUEST_LL, NULL, 255, OUR_LL, true);
	check_one_na(OUR_LL, GUEST_LL, su_guest_mac, 0xe0);
}

/* As ARP does for IPv4: every other address is reached through us */
static void ns_for_any_other_address_gets_na(void **state)
{
	(void)state;
	feed_ns(GUEST_ADDR, NULL, 255, "fd00::1234", true);
	check_one_na("fd00::1234", GUEST_ADDR, su_guest_mac, 0xe0);
}

/* Unicast NUD probe without a source link-layer option: reply to the
 * MAC learned by ingress */
static void ns_without_sll_uses_learned_mac(void **state)
{
	static const uint8_t learned[ETH_ALEN] = { 2, 0, 0, 0, 0, 7 };

	(void)state;
	memcpy(su_tx.guest_mac, learned, ETH_ALEN);
	feed_ns(GUEST_LL, OUR_LL, 255, OUR_LL, false);
	check_one_na(OUR_LL, GUEST_LL, learned, 0xe0);
}

static void ns_for_guest_own_address_is_silent(void **state)
{
	(void)state;
	feed_ns(GUEST_LL, NULL, 255, GUEST_ADDR, true);
	assert_silent("ns_guest_addr", 1);
}

/* The guest's duplicate address detection must meet silence, for its
 * global address, its SLAAC address and its link-local one */
static void dad_probes_for_guest_addresses_are_silent(void **state)
{
	const char *t[] = { GUEST_ADDR, GUEST_LL,
			    "fd00::5054:ff:fe12:3456" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++)
		feed_ns("::", NULL, 255, t[i], false);
	assert_silent("ns_dad_ignored", 3);
}

/* Someone probing our link-local address is told it is taken */
static void dad_probe_for_our_address_is_defended(void **state)
{
	static const uint8_t all_nodes_mac[ETH_ALEN] = {
		0x33, 0x33, 0, 0, 0, 1
	};

	(void)state;
	feed_ns("::", NULL, 255, OUR_LL, false);
	check_one_na(OUR_LL, "ff02::1", all_nodes_mac, 0xa0);	/* R, O */
}

static void dad_probe_with_sll_is_dropped(void **state)
{
	(void)state;
	feed_ns("::", NULL, 255, OUR_LL, true);
	assert_silent("drop_dad", 1);
}

static void dad_probe_not_to_solicited_node_is_dropped(void **state)
{
	(void)state;
	feed_ns("::", "ff02::1", 255, OUR_LL, false);
	assert_silent("drop_dad", 1);
}

/* RFC 4861 7.1.1: a hop limit below 255 means it crossed a router */
static void ns_with_hop_limit_below_255_is_dropped(void **state)
{
	(void)state;
	feed_ns(GUEST_LL, NULL, 254, GW, true);
	feed_ns(GUEST_LL, NULL, 64, GW, true);
	assert_silent("drop_hop_limit", 2);
}

static void ns_with_nonzero_code_is_dropped(void **state)
{
	uint8_t m[64];
	size_t len = ns_msg(m, sizeof(m), GW, true);

	(void)state;
	m[1] = 1;
	feed(GUEST_LL, snm(GW), 255, m, len);
	assert_silent("drop_code", 1);
}

static void ns_with_zero_length_option_is_dropped(void **state)
{
	uint8_t m[64];
	size_t len = ns_msg(m, sizeof(m), GW, true);

	(void)state;
	m[25] = 0;			/* the SLL option's length */
	feed(GUEST_LL, snm(GW), 255, m, len);

	/* a valid option followed by a zero-length one */
	len = ns_msg(m, sizeof(m), GW, true);
	memset(m + len, 0, 8);
	m[len] = 14;			/* nonce, length 0 */
	feed(GUEST_LL, snm(GW), 255, m, len + 8);
	assert_silent("drop_option", 2);
}

static void ns_with_truncated_option_is_dropped(void **state)
{
	uint8_t m[64];
	size_t len = ns_msg(m, sizeof(m), GW, true);

	(void)state;
	m[25] = 2;			/* claims 16 bytes, 8 present */
	feed(GUEST_LL, snm(GW), 255, m, len);
	feed(GUEST_LL, snm(GW), 255, m, len - 3);	/* cut mid-option */
	m[25] = 1;
	feed(GUEST_LL, snm(GW), 255, m, len - 7);	/* a lone type byte */
	assert_silent("drop_option", 3);
}

static void ns_short_or_with_bad_target_is_dropped(void **state)
{
	uint8_t m[64];
	size_t len;

	(void)state;
	len = ns_msg(m, sizeof(m), GW, false);
	feed(GUEST_LL, snm(GW), 255, m, len - 1);
	feed(GUEST_LL, snm(GW), 255, m, 4);
	assert_int_equal(ctr("drop_short"), 2);

	feed_ns(GUEST_LL, "ff02::1", 255, "ff02::1", false);
	feed_ns(GUEST_LL, "ff02::1", 255, "::", false);
	assert_int_equal(ctr("drop_target"), 2);

	/* ::/64 is nobody's: our answer would come from such an address
	 * (found by libFuzzer: ::dcff:ffff:12:3456 made an IPv4 frame) */
	feed_ns(GUEST_LL, NULL, 255, "::1", false);
	feed_ns(GUEST_LL, NULL, 255, "::ffff:192.0.2.1", false);
	feed_ns(GUEST_LL, NULL, 255, "::dcff:ffff:12:3456", false);
	assert_silent("drop_target", 5);
}

/* A message made of many small options stops at the iteration bound */
static void ns_with_too_many_options_is_dropped(void **state)
{
	static uint8_t m[24 + 200 * 8];
	size_t len = ns_msg(m, sizeof(m), GW, false);
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		memset(m + len, 0, 8);
		m[len] = 200;		/* unknown type, 8 bytes */
		m[len + 1] = 1;
		len += 8;
	}
	feed(GUEST_LL, snm(GW), 255, m, len);
	assert_silent("drop_option", 1);

	/* unknown options are fine in reasonable numbers */
	len = ns_msg(m, sizeof(m), GW, false);
	m[len] = 200;
	m[len + 1] = 1;
	feed(GUEST_LL, snm(GW), 255, m, len + 8);
	assert_int_equal(su_frames, 1);
}

/**
 * struct ra - a parsed router advertisement
 */
struct ra {
	uint8_t hop_limit;
	uint8_t flags;
	uint16_t lifetime;
	struct pkt_cursor opts;
};

static void parse_ra(int i, struct ra *ra)
{
	static const uint8_t all_nodes_mac[ETH_ALEN] = {
		0x33, 0x33, 0, 0, 0, 1
	};
	struct su_reply r;
	const uint8_t *p;

	su_parse(i, &r);
	assert_memory_equal(r.eth.src, su_our_mac, ETH_ALEN);
	assert_memory_equal(r.eth.dst, all_nodes_mac, ETH_ALEN);
	assert_int_equal(r.ip.ttl, 255);
	su_assert_addr(&r.ip.src, OUR_LL);
	su_assert_addr(&r.ip.dst, "ff02::1");
	assert_int_equal(r.icmp.type, NDP_RA);
	assert_int_equal(r.icmp.code, 0);
	assert_true(su_frame_len[i] <= ETH_HLEN + 1280);

	p = cur_pull(&r.l4, 12);
	assert_non_null(p);
	ra->hop_limit = p[0];
	ra->flags = p[1];
	ra->lifetime = get_be16(p + 2);
	assert_int_equal(get_be32(p + 4), 0);
	assert_int_equal(get_be32(p + 8), 0);
	ra->opts = r.l4;
}

/* The guest solicits; the one answer is an RA, parsed into @ra */
static void rs_gets_ra(struct ra *ra)
{
	feed_rs(GUEST_LL, 255, false);
	assert_int_equal(su_frames, 1);
	parse_ra(0, ra);
}

/* Decode DNSSL names into "a.b,c.d" */
static void dnssl_names(const uint8_t *o, size_t olen, char *out)
{
	size_t pos = 8;

	*out = 0;
	while (pos < olen && o[pos]) {
		if (*out)
			strcat(out, ",");
		while (o[pos]) {
			size_t n = o[pos];

			assert_true(pos + 1 + n < olen);
			strncat(out, (const char *)o + pos + 1, n);
			pos += 1 + n;
			if (o[pos])
				strcat(out, ".");
		}
		pos++;
	}
	for (; pos < olen; pos++)
		assert_int_equal(o[pos], 0);	/* padding */
}

static void rs_gets_full_ra(void **state)
{
	struct in6_addr d0 = su_a6("fd00::53"), d1 = su_a6("fd00::54");
	struct in6_addr pfx = su_a6("fd00::");
	const uint8_t *o;
	char names[256];
	struct ra ra;
	size_t olen;

	(void)state;
	feed_rs(GUEST_LL, 255, true);
	assert_int_equal(su_frames, 1);
	assert_int_equal(ctr("rs_answered"), 1);
	parse_ra(0, &ra);
	assert_int_equal(ra.hop_limit, 64);
	assert_int_equal(ra.flags, 0xc0);		/* M and O */
	assert_true(ra.lifetime > 0);			/* default router */

	o = find_opt(ra.opts, 3, &olen);		/* prefix information */
	assert_non_null(o);
	assert_int_equal(olen, 32);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], 0xc0);			/* L and A */
	assert_true(get_be32(o + 4) >= get_be32(o + 8));
	assert_true(get_be32(o + 8) > 0);
	assert_memory_equal(o + 16, &pfx, 16);

	o = find_opt(ra.opts, 5, &olen);		/* MTU */
	assert_non_null(o);
	assert_int_equal(olen, 8);
	assert_int_equal(get_be32(o + 4), 1500);

	o = find_opt(ra.opts, 25, &olen);		/* RDNSS */
	assert_non_null(o);
	assert_int_equal(olen, 8 + 32);
	assert_true(get_be32(o + 4) > 0);
	assert_memory_equal(o + 8, &d0, 16);
	assert_memory_equal(o + 24, &d1, 16);

	o = find_opt(ra.opts, 31, &olen);		/* DNSSL */
	assert_non_null(o);
	assert_int_equal(olen % 8, 0);
	assert_true(get_be32(o + 4) > 0);
	dnssl_names(o, olen, names);
	assert_string_equal(names, "example.com,corp.example.org");

	o = find_opt(ra.opts, 1, &olen);		/* source link-layer */
	assert_non_null(o);
	assert_memory_equal(o + 2, su_our_mac, ETH_ALEN);
}

static void rs_from_unspecified_with_sll_is_dropped(void **state)
{
	(void)state;
	feed_rs("::", 255, true);
	assert_silent("drop_source", 1);
	feed_rs("::", 255, false);
	assert_int_equal(su_frames, 1);
}

static void rs_with_bad_options_is_dropped(void **state)
{
	uint8_t m[64];
	size_t len = rs_msg(m, sizeof(m), true);

	(void)state;
	m[9] = 0;
	feed(GUEST_LL, "ff02::2", 255, m, len);
	m[9] = 3;
	feed(GUEST_LL, "ff02::2", 255, m, len);
	feed(GUEST_LL, "ff02::2", 255, m, 6);		/* short */
	feed_rs(GUEST_LL, 1, true);
	assert_silent("drop_option", 2);
	assert_int_equal(ctr("drop_short"), 1);
	assert_int_equal(ctr("drop_hop_limit"), 1);
}

static void ra_without_dhcpv6_has_no_m_o_flags(void **state)
{
	struct ra ra;

	(void)state;
	nc.managed = false;
	reinit();
	rs_gets_ra(&ra);
	assert_int_equal(ra.flags, 0);
}

static void ra_options_follow_conf(void **state)
{
	size_t olen;
	struct ra ra;

	(void)state;
	nc.mtu = 0;			/* --mtu 0 */
	nc.dns_count = 0;		/* --no-dhcp-dns */
	nc.search_count = 0;		/* --no-dhcp-search */
	reinit();
	rs_gets_ra(&ra);
	assert_null(find_opt(ra.opts, 5, &olen));
	assert_null(find_opt(ra.opts, 25, &olen));
	assert_null(find_opt(ra.opts, 31, &olen));
	assert_non_null(find_opt(ra.opts, 3, &olen));
	assert_non_null(find_opt(ra.opts, 1, &olen));

	/* no global address for the guest: no prefix, still a router */
	memset(&nc.addr, 0, sizeof(nc.addr));
	reinit();
	rs_gets_ra(&ra);
	assert_null(find_opt(ra.opts, 3, &olen));
	assert_true(ra.lifetime > 0);
}

/* Search domains that would push an RA past 1280 bytes are left out */
static void ra_dnssl_fits_minimum_mtu(void **state)
{
	char names[2048];
	const uint8_t *o;
	size_t olen;
	struct ra ra;
	int i;

	(void)state;
	for (i = 0; i < NDP_MAX_SEARCH; i++) {
		/* four labels of 62 bytes: 252 bytes, 254 encoded */
		memset(nc.search[i], 'a' + i, 251);
		nc.search[i][251] = 0;
		nc.search[i][62] = nc.search[i][125] = '.';
		nc.search[i][188] = '.';
	}
	nc.search_count = NDP_MAX_SEARCH;
	reinit();
	rs_gets_ra(&ra);
	o = find_opt(ra.opts, 31, &olen);
	assert_non_null(o);
	dnssl_names(o, olen, names);
	assert_true(strlen(names) > 3 * 251);
	assert_true(ctr("dnssl_truncated") > 0);
	assert_non_null(find_opt(ra.opts, 1, &olen));
}

static void no_ra_ignores_rs_but_answers_ns(void **state)
{
	(void)state;
	nc.ra = false;
	reinit();
	feed_rs(GUEST_LL, 255, false);
	assert_int_equal(su_frames, 0);
	ndp_ra_tick(NOW);
	assert_int_equal(su_frames, 0);
	feed_ns(GUEST_LL, NULL, 255, GW, true);
	check_one_na(GW, GUEST_LL, su_guest_mac, 0xe0);
}

static void no_ndp_answers_nothing(void **state)
{
	(void)state;
	nc.enabled = false;
	reinit();
	feed_rs(GUEST_LL, 255, false);
	feed_ns(GUEST_LL, NULL, 255, GW, true);
	ndp_ra_tick(NOW);
	assert_silent("disabled", 2);
}

/* Messages only routers or hosts send to others are ignored */
static void ra_na_redirect_from_guest_are_ignored(void **state)
{
	uint8_t m[64];
	size_t len = ns_msg(m, sizeof(m), GW, true);
	uint8_t t;

	(void)state;
	for (t = NDP_RA; t <= NDP_REDIRECT; t++) {
		if (t == NDP_NS)
			continue;
		m[0] = t;
		feed(GUEST_LL, "ff02::1", 255, m, len);
	}
	assert_silent("ignored", 3);
}

static void periodic_ra_waits_for_guest_then_bursts(void **state)
{
	struct ra ra;
	int i;

	(void)state;
	su_tx.guest_seen = 0;
	ndp_ra_tick(NOW);
	assert_int_equal(su_frames, 0);

	su_tx.guest_seen = 1;
	for (i = 0; i < 5; i++)
		ndp_ra_tick(NOW + (uint64_t)i * NSEC_PER_SEC);
	assert_int_equal(su_frames, 5);
	for (i = 0; i < 5; i++) {
		parse_ra(i, &ra);
		assert_int_equal(ra.flags, 0xc0);
	}
	assert_int_equal(ctr("ra_sent"), 5);
}

static void send_failure_is_counted(void **state)
{
	(void)state;
	su_send_rc = -EAGAIN;
	feed_ns(GUEST_LL, NULL, 255, GW, true);
	feed_rs(GUEST_LL, 255, false);
	assert_int_equal(ctr("tx_error"), 2);
	assert_int_equal(ctr("ra_sent"), 0);
}

/* Hostile corpus: random NS and RS bodies with valid checksums. Nothing
 * may crash (ASan), and whatever we answer must parse. */
static void random_messages_do_no_harm(void **state)
{
	static uint8_t m[1400];
	int i, j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t len = 4 + su_rand() % 120;

		for (j = 0; j < (int)len; j++)
			m[j] = (uint8_t)su_rand();
		m[0] = (su_rand() & 1) ? NDP_NS : NDP_RS;
		m[1] = 0;
		if (su_rand() % 4) {	/* mostly plausible option lengths */
			for (j = 24; j + 1 < (int)len; j += 8)
				m[j + 1] = (uint8_t)(su_rand() % 3);
		}
		su_frames = 0;
		feed(su_rand() % 2 ? GUEST_LL : "::", snm(GW), 255, m, len);
		for (j = 0; j < su_frames; j++) {
			struct su_reply r;

			su_parse(j, &r);
			assert_true(r.icmp.type == NDP_NA ||
				    r.icmp.type == NDP_RA);
		}
	}
	assert_true(ctr("drop_option") > 0);
	assert_true(ctr("ns_answered") > 0);
	assert_true(ctr("rs_answered") > 0);
}

/* Wire format of configured names: what DNSSL and DHCPv6 options carry */
static void dns_name_encoding(void **state)
{
	static const uint8_t want[] = {
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
	};
	char label64[70], long_name[300];
	uint8_t buf[300];
	struct pkt_builder b;
	int i;

	(void)state;
	pb_init(&b, buf, sizeof(buf));
	assert_true(dns_name_put(&b, "example.com"));
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	pb_init(&b, buf, sizeof(buf));
	assert_true(dns_name_put(&b, "example.com."));	/* same name */
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(dns_name_wire_len("a"), 3);

	/* refused: root, empty labels, a 64-byte label, over 255 bytes */
	assert_int_equal(dns_name_wire_len(""), -EINVAL);
	assert_int_equal(dns_name_wire_len("."), -EINVAL);
	assert_int_equal(dns_name_wire_len("a..b"), -EINVAL);
	assert_int_equal(dns_name_wire_len(".a"), -EINVAL);
	assert_int_equal(dns_name_wire_len("a.."), -EINVAL);
	memset(label64, 'x', 64);
	label64[64] = 0;
	assert_int_equal(dns_name_wire_len(label64), -EINVAL);
	label64[63] = 0;
	assert_int_equal(dns_name_wire_len(label64), 65);
	for (i = 0; i < 4; i++) {		/* 4 x 63 + 3 dots = 255 */
		memset(long_name + i * 64, 'a' + i, 63);
		long_name[i * 64 + 63] = '.';
	}
	long_name[255] = 0;
	assert_int_equal(dns_name_wire_len(long_name), -EINVAL);
	long_name[253] = 0;			/* 253 characters: 255 wire */
	assert_int_equal(dns_name_wire_len(long_name), 255);

	/* nothing written for an invalid name; overflow marks the builder */
	pb_init(&b, buf, sizeof(buf));
	assert_false(dns_name_put(&b, "a..b"));
	assert_int_equal(b.len, 0);
	assert_false(b.overflow);
	pb_init(&b, buf, 5);
	assert_false(dns_name_put(&b, "example.com"));
	assert_true(b.overflow);
}

/* A name the wire cannot carry is left out of DNSSL, the rest stays */
static void ra_dnssl_skips_invalid_names(void **state)
{
	const uint8_t *o;
	char names[256];
	size_t olen;
	struct ra ra;

	(void)state;
	strcpy(nc.search[0], "bad..name");
	strcpy(nc.search[1], "good.example");
	nc.search_count = 2;
	reinit();
	rs_gets_ra(&ra);
	o = find_opt(ra.opts, 31, &olen);
	assert_non_null(o);
	dnssl_names(o, olen, names);
	assert_string_equal(names, "good.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
		T(ns_for_gateway_gets_na),
		T(ns_for_our_link_local_gets_na),
		T(ns_for_any_other_address_gets_na),
		T(ns_without_sll_uses_learned_mac),
		T(ns_for_guest_own_address_is_silent),
		T(dad_probes_for_guest_addresses_are_silent),
		T(dad_probe_for_our_address_is_defended),
		T(dad_probe_with_sll_is_dropped),
		T(dad_probe_not_to_solicited_node_is_dropped),
		T(ns_with_hop_limit_below_255_is_dropped),
		T(ns_with_nonzero_code_is_dropped),
		T(ns_with_zero_length_option_is_dropped),
		T(ns_with_truncated_option_is_dropped),
		T(ns_short_or_with_bad_target_is_dropped),
		T(ns_with_too_many_options_is_dropped),
		T(rs_gets_full_ra),
		T(rs_from_unspecified_with_sll_is_dropped),
		T(rs_with_bad_options_is_dropped),
		T(ra_without_dhcpv6_has_no_m_o_flags),
		T(ra_options_follow_conf),
		T(ra_dnssl_fits_minimum_mtu),
		T(no_ra_ignores_rs_but_answers_ns),
		T(no_ndp_answers_nothing),
		T(ra_na_redirect_from_guest_are_ignored),
		T(periodic_ra_waits_for_guest_then_bursts),
		T(send_failure_is_counted),
		T(random_messages_do_no_harm),
		T(dns_name_encoding),
		T(ra_dnssl_skips_invalid_names),
#undef T
	};

	loop_init(8);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
