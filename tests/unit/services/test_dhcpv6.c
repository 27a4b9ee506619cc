// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcpv6.c - DHCPv6: every message type, options, flags, drops
 *
 * Client messages are built here, wrapped in UDP/IPv6 by the packet layer,
 * parsed back as ingress would and fed to dhcpv6_input(); replies are
 * parsed with the packet layer and checked option by option.
 */
#include "svc_util.h"

#include "core/loop.h"
#include "core/stats.h"
#include "services/dhcpv6.h"

#define GUEST_LL	"fe80::5054:ff:fe12:3456"
#define GUEST_ADDR	"fd00::2"
#define OUR_LL		"fe80::1"
#define ALL_SERVERS	"ff02::1:2"
#define NOW		1000000000ULL

enum {
	SOLICIT = 1, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY,
	RELEASE, DECLINE, RECONFIGURE, INFO_REQUEST, RELAY_FORW,
};

enum {
	O_CLIENTID = 1, O_SERVERID = 2, O_IA_NA = 3, O_IAADDR = 5, O_ORO = 6,
	O_PREFERENCE = 7, O_ELAPSED = 8, O_STATUS = 13, O_RAPID = 14,
	O_DNS = 23, O_DOMAINS = 24, O_IA_PD = 25, O_FQDN = 39,
};

static struct dhcpv6_conf dc;

static void conf_default(void)
{
	memset(&dc, 0, sizeof(dc));
	dc.enabled = true;
	dc.addr = su_a6(GUEST_ADDR);
	dc.our_ll = su_a6(OUR_LL);
	dc.dns[0] = su_a6("fd00::53");
	dc.dns[1] = su_a6("fd00::54");
	dc.dns_count = 2;
	strcpy(dc.search[0], "example.com");
	strcpy(dc.search[1], "corp.example.org");
	dc.search_count = 2;
	strcpy(dc.fqdn, "guest.example.com");
}

static int setup(void **state)
{
	(void)state;
	su_reset();
	conf_default();
	assert_int_equal(dhcpv6_init(&dc, &su_tx), 0);
	return 0;
}

static void reinit(void)
{
	su_reset();
	assert_int_equal(dhcpv6_init(&dc, &su_tx), 0);
}

static uint64_t ctr(const char *name)
{
	return stats_get("dhcpv6", name);
}

/* Client message under construction */
static uint8_t mbuf[4096];
static struct pkt_builder mb;

static void m_start(uint8_t type)
{
	pb_init(&mb, mbuf, sizeof(mbuf));
	pb_u8(&mb, type);
	pb_u8(&mb, 0xab);
	pb_u8(&mb, 0xcd);
	pb_u8(&mb, 0xef);
}

static void m_opt(uint16_t code, const void *data, size_t len)
{
	pb_be16(&mb, code);
	pb_be16(&mb, (uint16_t)len);
	if (len)
		pb_put(&mb, data, len);
}

static const uint8_t client_duid[] = {
	0, 3, 0, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56
};
static const uint8_t our_duid[] = {
	0, 3, 0, 1, 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
};

static void m_clientid(void)
{
	m_opt(O_CLIENTID, client_duid, sizeof(client_duid));
}

static void m_serverid(void)
{
	m_opt(O_SERVERID, our_duid, sizeof(our_duid));
}

/* IA_NA with IAID @iaid, with an IAADDR for @addr unless NULL */
static void m_ia_na(uint32_t iaid, const char *addr)
{
	pb_be16(&mb, O_IA_NA);
	pb_be16(&mb, addr ? 12 + 4 + 24 : 12);
	pb_be32(&mb, iaid);
	pb_be32(&mb, 0);
	pb_be32(&mb, 0);
	if (addr) {
		struct in6_addr a = su_a6(addr);

		pb_be16(&mb, O_IAADDR);
		pb_be16(&mb, 24);
		pb_put(&mb, &a, 16);
		pb_be32(&mb, 0);
		pb_be32(&mb, 0);
	}
}

static void m_common(void)
{
	static const uint8_t oro[] = { 0, O_DNS, 0, O_DOMAINS };
	static const uint8_t elapsed[] = { 0, 0 };

	m_opt(O_ELAPSED, elapsed, sizeof(elapsed));
	m_opt(O_ORO, oro, sizeof(oro));
}

/* Send the message built so far from the guest */
static void feed_to(const char *dst, uint16_t dport)
{
	struct frame_addrs a = su_from_guest(GUEST_LL, dst, 1);
	static uint8_t f[SU_FRAME_MAX];
	struct pkt_builder b;
	struct pkt_cursor c;
	struct eth_view eth;
	struct udp_view udp;
	struct ip_view ip;

	assert_false(mb.overflow);
	pb_init(&b, f, sizeof(f));
	assert_true(frame_udp(&b, &a, DHCPV6_CLIENT_PORT, dport, mbuf,
			      mb.len));
	c = cur_make(f, b.len);
	assert_int_equal(eth_parse(&c, &eth), PKT_OK);
	assert_int_equal(ipv6_parse(&c, &ip), PKT_OK);
	assert_int_equal(udp_parse(&c, &ip, &udp), PKT_OK);
	if (dhcpv6_wants(&ip, &udp))
		dhcpv6_input(&ip, &udp, c, NOW);
}

static void feed(void)
{
	feed_to(ALL_SERVERS, DHCPV6_SERVER_PORT);
}

#define CID	0x1	/* with the client's DUID */
#define SID	0x2	/* with our (the server's) DUID */

/* Start a message of @type with the identifiers in @ids */
static void m_begin(uint8_t type, unsigned int ids)
{
	m_start(type);
	if (ids & CID)
		m_clientid();
	if (ids & SID)
		m_serverid();
}

/* Send a message of @type: @ids, then one IA_NA (@iaid, @addr) */
static void feed_ia(uint8_t type, unsigned int ids, uint32_t iaid,
		    const char *addr)
{
	m_begin(type, ids);
	m_ia_na(iaid, addr);
	feed();
}

/**
 * struct reply - a parsed DHCPv6 answer
 * @type:	message type
 * @opts:	top-level options
 */
struct reply {
	uint8_t type;
	struct pkt_cursor opts;
};

static void parse_reply(int i, struct reply *rep)
{
	struct su_reply r;
	const uint8_t *p;

	su_parse(i, &r);
	assert_int_equal(r.ip.proto, IPPROTO_UDP);
	assert_memory_equal(r.eth.src, su_our_mac, ETH_ALEN);
	assert_memory_equal(r.eth.dst, su_guest_mac, ETH_ALEN);
	su_assert_addr(&r.ip.src, OUR_LL);
	su_assert_addr(&r.ip.dst, GUEST_LL);
	assert_int_equal(r.udp.sport, DHCPV6_SERVER_PORT);
	assert_int_equal(r.udp.dport, DHCPV6_CLIENT_PORT);

	p = cur_pull(&r.l4, 4);
	assert_non_null(p);
	rep->type = p[0];
	assert_int_equal(p[1], 0xab);		/* transaction id echoed */
	assert_int_equal(p[2], 0xcd);
	assert_int_equal(p[3], 0xef);
	rep->opts = r.l4;
}

/* Find option @code in @c; every length must be consistent */
static const uint8_t *opt_find(struct pkt_cursor c, uint16_t code,
			       size_t *len)
{
	const uint8_t *found = NULL;

	while (cur_len(&c)) {
		const uint8_t *h = cur_pull(&c, 4);
		size_t n;

		assert_non_null(h);
		n = get_be16(h + 2);
		assert_non_null(cur_peek(&c, n));
		if (get_be16(h) == code && !found) {
			found = cur_peek(&c, n);
			*len = n;
		}
		cur_skip(&c, n);
	}
	return found;
}

static int opt_count(struct pkt_cursor c, uint16_t code)
{
	int n = 0;

	while (cur_len(&c)) {
		const uint8_t *h = cur_pull(&c, 4);

		assert_non_null(h);
		if (get_be16(h) == code)
			n++;
		assert_true(cur_skip(&c, get_be16(h + 2)));
	}
	return n;
}

/* Option list @opts carries a Status Code option with @status */
static void check_status(struct pkt_cursor opts, uint16_t status)
{
	const uint8_t *o;
	size_t len;

	o = opt_find(opts, O_STATUS, &len);
	assert_non_null(o);
	assert_true(len >= 2);
	assert_int_equal(get_be16(o), status);
}

/* Answer @i is of @type, from us to the guest; parsed into @rep */
static void expect_reply(int i, uint8_t type, struct reply *rep)
{
	parse_reply(i, rep);
	assert_int_equal(rep->type, type);
}

static void check_ids(const struct reply *rep)
{
	const uint8_t *o;
	size_t len;

	o = opt_find(rep->opts, O_SERVERID, &len);
	assert_non_null(o);
	assert_int_equal(len, sizeof(our_duid));
	assert_memory_equal(o, our_duid, sizeof(our_duid));
	o = opt_find(rep->opts, O_CLIENTID, &len);
	assert_non_null(o);
	assert_int_equal(len, sizeof(client_duid));
	assert_memory_equal(o, client_duid, sizeof(client_duid));
}

/* The IA_NA with @iaid carries GUEST_ADDR with sane lifetimes */
static void check_ia_addr(const struct reply *rep, uint32_t iaid)
{
	struct in6_addr want = su_a6(GUEST_ADDR);
	struct pkt_cursor sub;
	const uint8_t *o, *a;
	size_t len, alen;

	o = opt_find(rep->opts, O_IA_NA, &len);
	assert_non_null(o);
	assert_true(len >= 12 + 4 + 24);
	assert_int_equal(get_be32(o), iaid);
	assert_true(get_be32(o + 4) > 0);			/* T1 */
	assert_true(get_be32(o + 8) >= get_be32(o + 4));	/* T2 */
	sub = cur_make(o + 12, len - 12);
	a = opt_find(sub, O_IAADDR, &alen);
	assert_non_null(a);
	assert_int_equal(alen, 24);
	assert_memory_equal(a, &want, 16);
	assert_true(get_be32(a + 16) > get_be32(o + 8));	/* preferred */
	assert_true(get_be32(a + 20) >= get_be32(a + 16));	/* valid */
	assert_null(opt_find(sub, O_STATUS, &alen));
}

/* Decode a list of wire-format names into "a.b,c.d" */
static void names(const uint8_t *o, size_t len, char *out)
{
	size_t pos = 0;

	*out = 0;
	while (pos < len) {
		if (*out)
			strcat(out, ",");
		while (o[pos]) {
			size_t n = o[pos];

			assert_true(pos + 1 + n < len);
			strncat(out, (const char *)o + pos + 1, n);
			pos += 1 + n;
			if (o[pos])
				strcat(out, ".");
		}
		pos++;
	}
	assert_int_equal(pos, len);
}

static void check_config(const struct reply *rep)
{
	struct in6_addr d0 = su_a6("fd00::53"), d1 = su_a6("fd00::54");
	const uint8_t *o;
	char buf[1024];
	size_t len;

	o = opt_find(rep->opts, O_DNS, &len);
	assert_non_null(o);
	assert_int_equal(len, 32);
	assert_memory_equal(o, &d0, 16);
	assert_memory_equal(o + 16, &d1, 16);

	o = opt_find(rep->opts, O_DOMAINS, &len);
	assert_non_null(o);
	names(o, len, buf);
	assert_string_equal(buf, "example.com,corp.example.org");

	o = opt_find(rep->opts, O_FQDN, &len);
	assert_non_null(o);
	assert_int_equal(o[0] & 0x01, 0);	/* S: we update no DNS */
	assert_int_equal(o[0] & 0x04, 0x04);	/* N */
	names(o + 1, len - 1, buf);
	assert_string_equal(buf, "guest.example.com");
}

static void solicit_gets_advertise(void **state)
{
	struct reply rep;
	const uint8_t *o;
	size_t len;

	(void)state;
	m_begin(SOLICIT, CID);
	m_common();
	m_ia_na(0x11223344, NULL);
	feed();
	assert_int_equal(su_frames, 1);
	expect_reply(0, ADVERTISE, &rep);
	check_ids(&rep);
	check_ia_addr(&rep, 0x11223344);
	check_config(&rep);
	o = opt_find(rep.opts, O_PREFERENCE, &len);
	assert_non_null(o);
	assert_int_equal(len, 1);
	assert_int_equal(o[0], 255);
	assert_null(opt_find(rep.opts, O_RAPID, &len));
	assert_null(opt_find(rep.opts, O_STATUS, &len));
	assert_int_equal(ctr("solicit"), 1);
	assert_int_equal(ctr("advertise_sent"), 1);
}

static void solicit_with_rapid_commit_gets_reply(void **state)
{
	struct reply rep;
	size_t len;

	(void)state;
	m_begin(SOLICIT, CID);
	m_opt(O_RAPID, NULL, 0);
	m_ia_na(7, NULL);
	feed();
	assert_int_equal(su_frames, 1);
	expect_reply(0, REPLY, &rep);
	check_ids(&rep);
	check_ia_addr(&rep, 7);
	assert_non_null(opt_find(rep.opts, O_RAPID, &len));
	assert_int_equal(len, 0);
	assert_int_equal(ctr("reply_sent"), 1);
}

static void solicit_without_ia_na_gets_no_addrs(void **state)
{
	struct reply rep;
	size_t len;

	(void)state;
	m_begin(SOLICIT, CID);
	m_opt(O_RAPID, NULL, 0);
	feed();
	expect_reply(0, ADVERTISE, &rep);	/* nothing to commit */
	check_status(rep.opts, 2);	/* NoAddrsAvail */
	assert_null(opt_find(rep.opts, O_IA_NA, &len));
}

/* One address per guest: a second IA_NA gets NoAddrsAvail inside it */
static void second_ia_na_gets_no_addrs(void **state)
{
	struct pkt_cursor c;
	struct reply rep;
	const uint8_t *o;
	size_t len;

	(void)state;
	m_begin(REQUEST, CID | SID);
	m_ia_na(1, GUEST_ADDR);
	m_ia_na(2, NULL);
	feed();
	parse_reply(0, &rep);
	assert_int_equal(opt_count(rep.opts, O_IA_NA), 2);
	check_ia_addr(&rep, 1);

	c = rep.opts;		/* skip to the second IA_NA */
	o = opt_find(c, O_IA_NA, &len);
	cur_skip(&c, (size_t)(o - c.p) + len);
	o = opt_find(c, O_IA_NA, &len);
	assert_non_null(o);
	assert_int_equal(get_be32(o), 2);
	c = cur_make(o + 12, len - 12);
	assert_null(opt_find(c, O_IAADDR, &len));
	check_status(c, 2);
}

static void request_renew_rebind_get_reply(void **state)
{
	const int types[] = { REQUEST, RENEW, REBIND };
	struct reply rep;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		m_begin((uint8_t)types[i],
			types[i] == REBIND ? CID : CID | SID);
		m_common();
		m_ia_na(0x42, GUEST_ADDR);
		feed();
		assert_int_equal(su_frames, (int)i + 1);
		expect_reply((int)i, REPLY, &rep);
		check_ids(&rep);
		check_ia_addr(&rep, 0x42);
		check_config(&rep);
	}
	assert_int_equal(ctr("request"), 1);
	assert_int_equal(ctr("renew"), 1);
	assert_int_equal(ctr("rebind"), 1);
	assert_int_equal(ctr("reply_sent"), 3);
}

static void request_for_another_server_is_dropped(void **state)
{
	static const uint8_t other[] = { 0, 3, 0, 1, 1, 2, 3, 4, 5, 6 };

	(void)state;
	m_begin(REQUEST, CID);
	m_opt(O_SERVERID, other, sizeof(other));
	m_ia_na(1, NULL);
	feed();
	m_begin(RENEW, CID);
	m_opt(O_SERVERID, our_duid, sizeof(our_duid) - 1);
	m_ia_na(1, NULL);
	feed();
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("drop_other_server"), 2);
}

/* RFC 8415 section 16: identifiers each message type needs or forbids */
static void identifier_rules_are_enforced(void **state)
{
	static const struct {
		uint8_t type;
		unsigned int ids;
		bool ia;
	} bad[] = {
		{ REQUEST, CID, true },		/* no server id */
		{ REQUEST, SID, true },		/* no client id */
		{ SOLICIT, CID | SID, true },	/* server id in a Solicit */
		{ REBIND, CID | SID, false },	/* server id in a Rebind */
		{ INFO_REQUEST, CID, true },	/* IA in an Info-request */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		m_begin(bad[i].type, bad[i].ids);
		if (bad[i].ia)
			m_ia_na(1, NULL);
		feed();
	}
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("drop_ids"), 5);
}

static void confirm_says_on_link_or_not(void **state)
{
	struct reply rep;
	size_t len;

	(void)state;
	feed_ia(CONFIRM, CID, 1, "fd00::abcd");
	expect_reply(0, REPLY, &rep);
	check_ids(&rep);
	check_status(rep.opts, 0);		/* Success */
	assert_null(opt_find(rep.opts, O_IA_NA, &len));

	feed_ia(CONFIRM, CID, 1, "2001:db8::1");
	parse_reply(1, &rep);
	check_status(rep.opts, 4);		/* NotOnLink */

	/* no addresses: no reply (18.3.3) */
	feed_ia(CONFIRM, CID, 1, NULL);
	assert_int_equal(su_frames, 2);
	assert_int_equal(ctr("drop_confirm"), 1);
}

static void information_request_gets_config_only(void **state)
{
	struct reply rep;
	size_t len;

	(void)state;
	m_begin(INFO_REQUEST, CID);
	m_common();
	feed();
	assert_int_equal(su_frames, 1);
	expect_reply(0, REPLY, &rep);
	check_ids(&rep);
	check_config(&rep);
	assert_null(opt_find(rep.opts, O_IA_NA, &len));
	assert_int_equal(ctr("information_request"), 1);

	/* client id is optional here; a server id must be ours */
	m_begin(INFO_REQUEST, SID);
	feed();
	assert_int_equal(su_frames, 2);
	parse_reply(1, &rep);
	assert_null(opt_find(rep.opts, O_CLIENTID, &len));
}

static void release_and_decline_get_success(void **state)
{
	struct reply rep;

	(void)state;
	feed_ia(RELEASE, CID | SID, 1, GUEST_ADDR);
	feed_ia(DECLINE, CID | SID, 1, GUEST_ADDR);
	assert_int_equal(su_frames, 2);
	expect_reply(1, REPLY, &rep);
	check_status(rep.opts, 0);
}

static void options_follow_conf(void **state)
{
	struct reply rep;
	size_t len;

	(void)state;
	dc.dns_count = 0;		/* --no-dhcp-dns */
	dc.search_count = 0;		/* --no-dhcp-search */
	dc.fqdn[0] = 0;			/* no --fqdn */
	reinit();
	m_begin(SOLICIT, CID);
	m_common();
	m_ia_na(1, NULL);
	feed();
	parse_reply(0, &rep);
	check_ia_addr(&rep, 1);
	assert_null(opt_find(rep.opts, O_DNS, &len));
	assert_null(opt_find(rep.opts, O_DOMAINS, &len));
	assert_null(opt_find(rep.opts, O_FQDN, &len));
}

/* RFC 4704 section 4.1: the client asked us to update DNS; we do not */
static void fqdn_override_flag(void **state)
{
	static const uint8_t fqdn[] = { 0x01, 1, 'g', 0 };
	struct reply rep;
	const uint8_t *o;
	size_t len;

	(void)state;
	m_begin(SOLICIT, CID);
	m_opt(O_FQDN, fqdn, sizeof(fqdn));
	m_ia_na(1, NULL);
	feed();
	parse_reply(0, &rep);
	o = opt_find(rep.opts, O_FQDN, &len);
	assert_non_null(o);
	assert_int_equal(o[0], 0x06);		/* N and O, not S */
}

static void no_dhcpv6_drops_everything(void **state)
{
	(void)state;
	dc.enabled = false;
	reinit();
	feed_ia(SOLICIT, CID, 1, NULL);
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("disabled"), 1);
}

static void no_address_means_no_addrs_avail(void **state)
{
	struct reply rep;
	const uint8_t *o;
	size_t len;

	(void)state;
	memset(&dc.addr, 0, sizeof(dc.addr));
	reinit();
	feed_ia(REQUEST, CID | SID, 9, NULL);
	parse_reply(0, &rep);
	o = opt_find(rep.opts, O_IA_NA, &len);
	assert_non_null(o);
	o = opt_find(cur_make(o + 12, len - 12), O_STATUS, &len);
	assert_non_null(o);
	assert_int_equal(get_be16(o), 2);
}

static void wants_only_server_addresses_and_port(void **state)
{
	(void)state;
	m_begin(SOLICIT, CID);
	m_ia_na(1, NULL);
	feed_to(OUR_LL, DHCPV6_SERVER_PORT);		/* unicast to us */
	assert_int_equal(su_frames, 1);
	feed_to("fd00::99", DHCPV6_SERVER_PORT);	/* someone else's */
	feed_to(ALL_SERVERS, 548);
	assert_int_equal(su_frames, 1);
}

/* Malformed messages: dropped, counted, no reply */
static void malformed_messages_are_dropped(void **state)
{
	static const uint8_t long_duid[131] = { 0, 4 };
	uint8_t trunc[2] = { 0, 3 };

	(void)state;
	m_start(SOLICIT);			/* 3 bytes */
	mb.len = 3;
	feed();
	assert_int_equal(ctr("drop_short"), 1);

	m_begin(SOLICIT, CID);			/* option past the end */
	m_opt(O_ELAPSED, trunc, 2);
	mb.buf[mb.len - 3] = 9;			/* length 2 -> 9 */
	feed();
	m_begin(SOLICIT, CID);			/* header cut in half */
	pb_be16(&mb, O_ELAPSED);
	pb_u8(&mb, 0);
	feed();
	m_begin(SOLICIT, CID);			/* two client ids */
	m_clientid();
	m_ia_na(1, NULL);
	feed();
	m_start(SOLICIT);			/* DUID over 130 bytes */
	m_opt(O_CLIENTID, long_duid, sizeof(long_duid));
	feed();
	m_start(SOLICIT);			/* DUID of one byte */
	m_opt(O_CLIENTID, long_duid, 1);
	feed();
	m_begin(SOLICIT, CID);			/* IA_NA shorter than 12 */
	m_opt(O_IA_NA, long_duid, 11);
	feed();
	m_begin(SOLICIT, CID);			/* rapid commit with data */
	m_opt(O_RAPID, trunc, 1);
	feed();
	m_begin(SOLICIT, CID);			/* IA_NA sub-option overrun */
	m_ia_na(1, GUEST_ADDR);
	mb.buf[mb.len - 25] = 200;		/* IAADDR length */
	feed();
	m_begin(SOLICIT, CID);			/* empty FQDN */
	m_opt(O_FQDN, NULL, 0);
	feed();
	assert_int_equal(ctr("drop_malformed"), 9);

	m_begin(RELAY_FORW, CID);
	feed();
	m_begin(ADVERTISE, CID | SID);
	feed();
	m_start(200);
	feed();
	assert_int_equal(ctr("drop_unsupported"), 3);
	assert_int_equal(su_frames, 0);

	/* and a good message after all that is answered */
	feed_ia(SOLICIT, CID, 1, NULL);
	assert_int_equal(su_frames, 1);
}

/* The iteration bound covers options at every level */
static void too_many_options_are_dropped(void **state)
{
	static const uint8_t zero[2];
	int i;

	(void)state;
	m_begin(SOLICIT, CID);
	for (i = 0; i < 100; i++)
		m_opt(O_ELAPSED, zero, 2);
	feed();

	m_begin(SOLICIT, CID);
	pb_be16(&mb, O_IA_NA);
	pb_be16(&mb, 12 + 100 * 4);
	pb_be32(&mb, 1);
	pb_be32(&mb, 0);
	pb_be32(&mb, 0);
	for (i = 0; i < 100; i++)
		m_opt(100, NULL, 0);		/* empty sub-options */
	feed();

	m_begin(SOLICIT, CID);
	for (i = 0; i < 20; i++)
		m_ia_na((uint32_t)i, GUEST_ADDR);	/* 40 options */
	for (i = 0; i < 30; i++)
		m_opt(O_ELAPSED, zero, 2);
	feed();
	assert_int_equal(su_frames, 0);
	assert_int_equal(ctr("drop_too_many_options"), 3);

	/* a handful of IA_NAs past DHCPV6_IA_MAX: the first four answered */
	m_begin(SOLICIT, CID);
	for (i = 0; i < 6; i++)
		m_ia_na((uint32_t)i, NULL);
	feed();
	assert_int_equal(su_frames, 1);
}

static void send_failure_is_counted(void **state)
{
	(void)state;
	su_send_rc = -EAGAIN;
	feed_ia(SOLICIT, CID, 1, NULL);
	assert_int_equal(ctr("tx_error"), 1);
	assert_int_equal(ctr("advertise_sent"), 0);
}

/* Hostile corpus: random option soup; no crash, every answer parses */
static void random_messages_do_no_harm(void **state)
{
	static const uint16_t codes[] = {
		O_CLIENTID, O_SERVERID, O_IA_NA, O_IAADDR, O_ORO, O_RAPID,
		O_FQDN, O_IA_PD, O_ELAPSED, 999,
	};
	int i, j, answered = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		int nopts = (int)(su_rand() % 8);

		m_start((uint8_t)(1 + su_rand() % 12));
		for (j = 0; j < nopts; j++) {
			uint16_t code = codes[su_rand() % ARRAY_SIZE(codes)];
			size_t len = su_rand() % 40;
			uint8_t data[40];
			size_t k;

			for (k = 0; k < len; k++)
				data[k] = (uint8_t)su_rand();
			if (code == O_SERVERID && su_rand() % 2) {
				m_serverid();
				continue;
			}
			if (code == O_CLIENTID && su_rand() % 2) {
				m_clientid();
				continue;
			}
			m_opt(code, data, len);
		}
		if (su_rand() % 8 == 0 && mb.len > 4)
			mb.len -= 1 + su_rand() % (mb.len - 4);	/* cut */
		su_frames = 0;
		feed();
		for (j = 0; j < su_frames; j++) {
			struct reply rep;
			size_t len;

			parse_reply(j, &rep);
			assert_true(rep.type == ADVERTISE ||
				    rep.type == REPLY);
			assert_non_null(opt_find(rep.opts, O_SERVERID, &len));
			answered++;
		}
	}
	assert_true(answered > 0);
	assert_true(ctr("drop_malformed") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
		T(solicit_gets_advertise),
		T(solicit_with_rapid_commit_gets_reply),
		T(solicit_without_ia_na_gets_no_addrs),
		T(second_ia_na_gets_no_addrs),
		T(request_renew_rebind_get_reply),
		T(request_for_another_server_is_dropped),
		T(identifier_rules_are_enforced),
		T(confirm_says_on_link_or_not),
		T(information_request_gets_config_only),
		T(release_and_decline_get_success),
		T(options_follow_conf),
		T(fqdn_override_flag),
		T(no_dhcpv6_drops_everything),
		T(no_address_means_no_addrs_avail),
		T(wants_only_server_addresses_and_port),
		T(malformed_messages_are_dropped),
		T(too_many_options_are_dropped),
		T(send_failure_is_counted),
		T(random_messages_do_no_harm),
#undef T
	};

	loop_init(8);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
