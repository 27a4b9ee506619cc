// SPDX-License-Identifier: GPL-2.0-or-later
/* services/dhcpv6.c - a one-lease DHCPv6 server (see dhcpv6.h)
 *
 * A message is parsed once into struct dhcpv6_msg (identifiers and IA_NA
 * boundaries, every length checked, options counted against an iteration
 * bound), checked against what RFC 8415 section 16 requires of its type,
 * and answered with a reply built from scratch into a static buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/stats.h"
#include "packet/build.h"
#include "services/dhcpv6.h"
#include "services/dns_name.h"

/* RFC 8415 section 7.3: message types */
enum dhcpv6_type {
	DHCPV6_SOLICIT		= 1,
	DHCPV6_ADVERTISE	= 2,
	DHCPV6_REQUEST		= 3,
	DHCPV6_CONFIRM		= 4,
	DHCPV6_RENEW		= 5,
	DHCPV6_REBIND		= 6,
	DHCPV6_REPLY		= 7,
	DHCPV6_RELEASE		= 8,
	DHCPV6_DECLINE		= 9,
	DHCPV6_INFO_REQUEST	= 11,
};

/* RFC 8415 section 21, RFC 3646, RFC 4704: option codes */
enum dhcpv6_opt {
	DHCPV6_OPT_CLIENTID	= 1,
	DHCPV6_OPT_SERVERID	= 2,
	DHCPV6_OPT_IA_NA	= 3,
	DHCPV6_OPT_IA_TA	= 4,
	DHCPV6_OPT_IAADDR	= 5,
	DHCPV6_OPT_PREFERENCE	= 7,
	DHCPV6_OPT_STATUS	= 13,
	DHCPV6_OPT_RAPID_COMMIT	= 14,
	DHCPV6_OPT_DNS_SERVERS	= 23,
	DHCPV6_OPT_DOMAIN_LIST	= 24,
	DHCPV6_OPT_IA_PD	= 25,
	DHCPV6_OPT_CLIENT_FQDN	= 39,
};

/* RFC 8415 section 21.13: status codes */
enum dhcpv6_status {
	DHCPV6_ST_SUCCESS	= 0,
	DHCPV6_ST_NO_ADDRS	= 2,
	DHCPV6_ST_NOT_ON_LINK	= 4,
};

#define DHCPV6_HLEN		4	/* type and transaction id */
#define DHCPV6_OPT_HLEN		4	/* code and length */
#define DHCPV6_IA_NA_HLEN	12	/* IAID, T1, T2 */
#define DHCPV6_IAADDR_LEN	24	/* address, preferred, valid */
#define DHCPV6_DUID_MAX		130	/* type + 128 bytes (section 11.1) */
#define DHCPV6_DUID_LL		3	/* DUID-LL, section 11.4 */
#define DHCPV6_HWTYPE_ETHER	1
#define DHCPV6_DUID_LL_LEN	(2 + 2 + ETH_ALEN)
#define DHCPV6_OPTS_MAX		64	/* options read, all levels */
#define DHCPV6_IA_MAX		4	/* IA_NA options used per message */
#define DHCPV6_MSG_MAX		4096
#define DHCPV6_PREF_MAX		255	/* "take this one, stop waiting" */

/* RFC 4704 section 4.1: Client FQDN flags */
#define DHCPV6_FQDN_S		0x01
#define DHCPV6_FQDN_O		0x02
#define DHCPV6_FQDN_N		0x04

/* Lifetimes in seconds; the client renews at T1 and we always agree */
#define DHCPV6_PREFERRED_S	14400
#define DHCPV6_VALID_S		86400
#define DHCPV6_T1_S		(DHCPV6_PREFERRED_S / 2)
#define DHCPV6_T2_S		(DHCPV6_PREFERRED_S * 4 / 5)

enum dhcpv6_counter {
	DHCPV6_C_SOLICIT,
	DHCPV6_C_REQUEST,
	DHCPV6_C_CONFIRM,
	DHCPV6_C_RENEW,
	DHCPV6_C_REBIND,
	DHCPV6_C_RELEASE,
	DHCPV6_C_DECLINE,
	DHCPV6_C_INFO_REQUEST,
	DHCPV6_C_ADVERTISE_SENT,
	DHCPV6_C_REPLY_SENT,
	DHCPV6_C_DISABLED,		/* --no-dhcpv6 */
	DHCPV6_C_DROP_SHORT,
	DHCPV6_C_DROP_MALFORMED,	/* option lengths, bad values */
	DHCPV6_C_DROP_TOO_MANY_OPTS,
	DHCPV6_C_DROP_IDS,		/* identifiers missing or unexpected */
	DHCPV6_C_DROP_OTHER_SERVER,	/* server id is not ours */
	DHCPV6_C_DROP_UNSUPPORTED,	/* relay, server-to-client, unknown */
	DHCPV6_C_DROP_CONFIRM,		/* Confirm without addresses */
	DHCPV6_C_TX_ERROR,
	DHCPV6_C__COUNT
};

static const char *const dhcpv6_counter_names[] = {
	[DHCPV6_C_SOLICIT]		= "solicit",
	[DHCPV6_C_REQUEST]		= "request",
	[DHCPV6_C_CONFIRM]		= "confirm",
	[DHCPV6_C_RENEW]		= "renew",
	[DHCPV6_C_REBIND]		= "rebind",
	[DHCPV6_C_RELEASE]		= "release",
	[DHCPV6_C_DECLINE]		= "decline",
	[DHCPV6_C_INFO_REQUEST]		= "information_request",
	[DHCPV6_C_ADVERTISE_SENT]	= "advertise_sent",
	[DHCPV6_C_REPLY_SENT]		= "reply_sent",
	[DHCPV6_C_DISABLED]		= "disabled",
	[DHCPV6_C_DROP_SHORT]		= "drop_short",
	[DHCPV6_C_DROP_MALFORMED]	= "drop_malformed",
	[DHCPV6_C_DROP_TOO_MANY_OPTS]	= "drop_too_many_options",
	[DHCPV6_C_DROP_IDS]		= "drop_ids",
	[DHCPV6_C_DROP_OTHER_SERVER]	= "drop_other_server",
	[DHCPV6_C_DROP_UNSUPPORTED]	= "drop_unsupported",
	[DHCPV6_C_DROP_CONFIRM]		= "drop_confirm",
	[DHCPV6_C_TX_ERROR]		= "tx_error",
};
static_assert(ARRAY_SIZE(dhcpv6_counter_names) == DHCPV6_C__COUNT,
	      "one name per DHCPv6 counter");

/**
 * struct dhcpv6_msg - what we use of a client message, parsed once
 * @type:	message type
 * @xid:	transaction id, echoed
 * @clientid:	client DUID (option data), valid while the frame is
 * @has_clientid: option 1 present
 * @serverid:	server DUID the client addressed
 * @has_serverid: option 2 present
 * @rapid_commit: option 14 present
 * @has_fqdn:	option 39 present
 * @fqdn_flags:	its flags byte
 * @ia_na_count: IA_NA options seen (at most DHCPV6_IA_MAX kept)
 * @iaid:	their IAIDs, echoed
 * @ia_opts:	their sub-options (IAADDR hints, used by Confirm)
 * @has_ia_other: IA_TA or IA_PD present
 */
struct dhcpv6_msg {
	uint8_t type;
	uint8_t xid[3];
	struct pkt_cursor clientid;
	bool has_clientid;
	struct pkt_cursor serverid;
	bool has_serverid;
	bool rapid_commit;
	bool has_fqdn;
	uint8_t fqdn_flags;
	int ia_na_count;
	uint32_t iaid[DHCPV6_IA_MAX];
	struct pkt_cursor ia_opts[DHCPV6_IA_MAX];
	bool has_ia_other;
};

/* Module state, set up by dhcpv6_init() */
static struct {
	struct dhcpv6_conf conf;
	struct guest_tx *tx;
	uint8_t duid[DHCPV6_DUID_LL_LEN];	/* our server identifier */
	bool registered;
	struct ratelimit rl_lease;
	struct ratelimit rl_drop;
} d6;

static uint64_t dhcpv6_stats[DHCPV6_C__COUNT];

/* Only written by dhcpv6_reply(), then sent */
static uint8_t dhcpv6_out[DHCPV6_MSG_MAX];
static uint8_t dhcpv6_frame[ETH_HLEN + IPV6_HLEN + UDP_HLEN + DHCPV6_MSG_MAX];

static const struct in6_addr dhcpv6_all_servers = {	/* ff02::1:2 */
	.s6_addr = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 }
};

static void dhcpv6_count(enum dhcpv6_counter c)
{
	dhcpv6_stats[c]++;
}

/**
 * dhcpv6_walk() - check a list of options, counting against a budget
 * @cur:	options
 * @budget:	options still allowed in this message, decremented
 * Return: 0, -EINVAL for a length running past the end, -E2BIG past the
 * budget
 */
static int dhcpv6_walk(struct pkt_cursor cur, unsigned int *budget)
{
	while (cur_len(&cur)) {
		uint16_t code, len;

		if (!*budget)
			return -E2BIG;
		(*budget)--;
		if (!cur_be16(&cur, &code) || !cur_be16(&cur, &len) ||
		    !cur_skip(&cur, len))
			return -EINVAL;
	}
	return 0;
}

/**
 * dhcpv6_parse() - read a client message into @m
 * @cur:	the UDP payload
 * @m:		filled in
 * Return: 0, or the counter saying why the message must be dropped
 */
static enum dhcpv6_counter dhcpv6_parse(struct pkt_cursor cur,
					struct dhcpv6_msg *m)
{
	unsigned int budget = DHCPV6_OPTS_MAX;

	memset(m, 0, sizeof(*m));
	if (!cur_u8(&cur, &m->type) || !cur_copy(&cur, m->xid, 3))
		return DHCPV6_C_DROP_SHORT;

	while (cur_len(&cur)) {
		struct pkt_cursor data;
		uint16_t code, len;
		int rc;

		if (!budget)
			return DHCPV6_C_DROP_TOO_MANY_OPTS;
		budget--;
		if (!cur_be16(&cur, &code) || !cur_be16(&cur, &len) ||
		    !cur_split(&cur, len, &data))
			return DHCPV6_C_DROP_MALFORMED;

		switch (code) {
		case DHCPV6_OPT_CLIENTID:
		case DHCPV6_OPT_SERVERID:
			if (len < 2 || len > DHCPV6_DUID_MAX)
				return DHCPV6_C_DROP_MALFORMED;
			if (code == DHCPV6_OPT_CLIENTID) {
				if (m->has_clientid)
					return DHCPV6_C_DROP_MALFORMED;
				m->clientid = data;
				m->has_clientid = true;
			} else {
				if (m->has_serverid)
					return DHCPV6_C_DROP_MALFORMED;
				m->serverid = data;
				m->has_serverid = true;
			}
			break;
		case DHCPV6_OPT_IA_NA:
			if (len < DHCPV6_IA_NA_HLEN)
				return DHCPV6_C_DROP_MALFORMED;
			if (m->ia_na_count < DHCPV6_IA_MAX) {
				int i = m->ia_na_count;

				cur_be32(&data, &m->iaid[i]);
				cur_skip(&data, 8);	/* T1, T2 */
				m->ia_opts[i] = data;
			} else {
				cur_skip(&data, DHCPV6_IA_NA_HLEN);
			}
			m->ia_na_count++;
			rc = dhcpv6_walk(data, &budget);
			if (rc == -E2BIG)
				return DHCPV6_C_DROP_TOO_MANY_OPTS;
			if (rc)
				return DHCPV6_C_DROP_MALFORMED;
			break;
		case DHCPV6_OPT_IA_TA:
		case DHCPV6_OPT_IA_PD:
			m->has_ia_other = true;
			break;
		case DHCPV6_OPT_RAPID_COMMIT:
			if (len)
				return DHCPV6_C_DROP_MALFORMED;
			m->rapid_commit = true;
			break;
		case DHCPV6_OPT_CLIENT_FQDN:
			if (!len)
				return DHCPV6_C_DROP_MALFORMED;
			cur_u8(&data, &m->fqdn_flags);
			m->has_fqdn = true;
			break;
		default:	/* ORO, elapsed time, vendor class...: unused */
			break;
		}
	}
	return 0;
}

static bool dhcpv6_serverid_is_ours(const struct dhcpv6_msg *m)
{
	const uint8_t *id = cur_peek(&m->serverid, sizeof(d6.duid));

	return cur_len(&m->serverid) == sizeof(d6.duid) && id &&
	       !memcmp(id, d6.duid, sizeof(d6.duid));
}

/* Option header; the caller writes exactly @len bytes of data next */
static void dhcpv6_opt(struct pkt_builder *b, enum dhcpv6_opt code,
		       size_t len)
{
	pb_be16(b, code);
	pb_be16(b, (uint16_t)len);
}

static void dhcpv6_put_status(struct pkt_builder *b, enum dhcpv6_status st,
			      const char *text)
{
	size_t n = strlen(text);

	dhcpv6_opt(b, DHCPV6_OPT_STATUS, 2 + n);
	pb_be16(b, st);
	pb_put(b, text, n);
}

/**
 * dhcpv6_put_ia_na() - one IA_NA of the reply
 * @b:		builder
 * @iaid:	the client's IAID
 * @give:	true: our address in it; false: NoAddrsAvail
 */
static void dhcpv6_put_ia_na(struct pkt_builder *b, uint32_t iaid, bool give)
{
	static const char no_addrs[] = "one address per guest";

	if (!give) {
		dhcpv6_opt(b, DHCPV6_OPT_IA_NA, DHCPV6_IA_NA_HLEN +
			   DHCPV6_OPT_HLEN + 2 + strlen(no_addrs));
		pb_be32(b, iaid);
		pb_be32(b, 0);
		pb_be32(b, 0);
		dhcpv6_put_status(b, DHCPV6_ST_NO_ADDRS, no_addrs);
		return;
	}

	dhcpv6_opt(b, DHCPV6_OPT_IA_NA, DHCPV6_IA_NA_HLEN +
		   DHCPV6_OPT_HLEN + DHCPV6_IAADDR_LEN);
	pb_be32(b, iaid);
	pb_be32(b, DHCPV6_T1_S);
	pb_be32(b, DHCPV6_T2_S);
	dhcpv6_opt(b, DHCPV6_OPT_IAADDR, DHCPV6_IAADDR_LEN);
	pb_put(b, &d6.conf.addr, sizeof(d6.conf.addr));
	pb_be32(b, DHCPV6_PREFERRED_S);
	pb_be32(b, DHCPV6_VALID_S);
}

/* DNS servers, domain list, FQDN: what Information-request is about */
static void dhcpv6_put_config(struct pkt_builder *b,
			      const struct dhcpv6_msg *m)
{
	const struct dhcpv6_conf *dc = &d6.conf;
	size_t names = 0;
	int i, n;

	n = MIN(dc->dns_count, DHCPV6_MAX_DNS);
	if (n > 0) {
		dhcpv6_opt(b, DHCPV6_OPT_DNS_SERVERS,
			   (size_t)n * sizeof(struct in6_addr));
		for (i = 0; i < n; i++)
			pb_put(b, &dc->dns[i], sizeof(dc->dns[i]));
	}

	n = MIN(dc->search_count, DHCPV6_MAX_SEARCH);
	for (i = 0; i < n; i++) {
		int w = dns_name_wire_len(dc->search[i]);

		if (w > 0)
			names += (size_t)w;
	}
	if (names) {
		dhcpv6_opt(b, DHCPV6_OPT_DOMAIN_LIST, names);
		for (i = 0; i < n; i++)
			dns_name_put(b, dc->search[i]);	/* skips invalid */
	}

	if (dc->fqdn[0] && dns_name_wire_len(dc->fqdn) > 0) {
		uint8_t flags = DHCPV6_FQDN_N;	/* we update no DNS */

		/* RFC 4704 section 6.2: say so if we refuse S */
		if (m->has_fqdn && (m->fqdn_flags & DHCPV6_FQDN_S))
			flags |= DHCPV6_FQDN_O;
		dhcpv6_opt(b, DHCPV6_OPT_CLIENT_FQDN,
			   1 + (size_t)dns_name_wire_len(dc->fqdn));
		pb_u8(b, flags);
		dns_name_put(b, dc->fqdn);
	}
}

/* On-link check for Confirm: is every IAADDR in our /64? */
static enum dhcpv6_counter dhcpv6_confirm_status(const struct dhcpv6_msg *m,
						 enum dhcpv6_status *st)
{
	int addrs = 0;
	int i;

	*st = DHCPV6_ST_SUCCESS;
	for (i = 0; i < MIN(m->ia_na_count, DHCPV6_IA_MAX); i++) {
		struct pkt_cursor cur = m->ia_opts[i];

		/* lengths were checked by dhcpv6_walk() */
		while (cur_len(&cur)) {
			struct in6_addr a;
			struct pkt_cursor data;
			uint16_t code, len;

			if (!cur_be16(&cur, &code) || !cur_be16(&cur, &len) ||
			    !cur_split(&cur, len, &data))
				return DHCPV6_C_DROP_MALFORMED;
			if (code != DHCPV6_OPT_IAADDR)
				continue;
			if (!cur_copy(&data, &a, sizeof(a)))
				return DHCPV6_C_DROP_MALFORMED;
			addrs++;
			if (memcmp(&a, &d6.conf.addr, 8))
				*st = DHCPV6_ST_NOT_ON_LINK;
		}
	}
	/* RFC 8415 section 18.3.3: no addresses, no reply */
	if (!addrs || IN6_IS_ADDR_UNSPECIFIED(&d6.conf.addr))
		return DHCPV6_C_DROP_CONFIRM;
	return 0;
}

/**
 * dhcpv6_check_ids() - identifier rules of RFC 8415 section 16
 * @m:		parsed message
 * Return: 0 if @m may be answered, else the drop counter
 */
static enum dhcpv6_counter dhcpv6_check_ids(const struct dhcpv6_msg *m)
{
	switch (m->type) {
	case DHCPV6_SOLICIT:
	case DHCPV6_CONFIRM:
	case DHCPV6_REBIND:
		if (!m->has_clientid || m->has_serverid)
			return DHCPV6_C_DROP_IDS;
		return 0;
	case DHCPV6_REQUEST:
	case DHCPV6_RENEW:
	case DHCPV6_RELEASE:
	case DHCPV6_DECLINE:
		if (!m->has_clientid || !m->has_serverid)
			return DHCPV6_C_DROP_IDS;
		break;
	case DHCPV6_INFO_REQUEST:
		/* section 16.12: no IA options */
		if (m->ia_na_count || m->has_ia_other)
			return DHCPV6_C_DROP_IDS;
		if (!m->has_serverid)
			return 0;
		break;
	default:
		return DHCPV6_C_DROP_UNSUPPORTED;
	}
	return dhcpv6_serverid_is_ours(m) ? 0 : DHCPV6_C_DROP_OTHER_SERVER;
}

/**
 * dhcpv6_reply() - build the answer to @m into dhcpv6_out
 * @m:		a message that passed dhcpv6_check_ids()
 * @len:	set to the length of the answer
 * Return: 0, or the drop counter if @m gets no answer
 */
static enum dhcpv6_counter dhcpv6_reply(const struct dhcpv6_msg *m,
					size_t *len)
{
	bool have_addr = !IN6_IS_ADDR_UNSPECIFIED(&d6.conf.addr);
	enum dhcpv6_status st = DHCPV6_ST_SUCCESS;
	uint8_t type = DHCPV6_REPLY;
	bool advertise = false;
	enum dhcpv6_counter c;
	struct pkt_builder b;
	int i;

	/* section 18.3.1: commit at once only if there is something to */
	if (m->type == DHCPV6_SOLICIT &&
	    (!m->rapid_commit || !m->ia_na_count || !have_addr)) {
		type = DHCPV6_ADVERTISE;
		advertise = true;
	}
	if (m->type == DHCPV6_CONFIRM) {
		c = dhcpv6_confirm_status(m, &st);
		if (c)
			return c;
	}

	pb_init(&b, dhcpv6_out, sizeof(dhcpv6_out));
	pb_u8(&b, type);
	pb_put(&b, m->xid, sizeof(m->xid));
	dhcpv6_opt(&b, DHCPV6_OPT_SERVERID, sizeof(d6.duid));
	pb_put(&b, d6.duid, sizeof(d6.duid));
	if (m->has_clientid) {
		size_t n = cur_len(&m->clientid);

		dhcpv6_opt(&b, DHCPV6_OPT_CLIENTID, n);
		pb_put(&b, cur_peek(&m->clientid, n), n);
	}

	switch (m->type) {
	case DHCPV6_SOLICIT:
		if (advertise) {
			dhcpv6_opt(&b, DHCPV6_OPT_PREFERENCE, 1);
			pb_u8(&b, DHCPV6_PREF_MAX);
		} else {
			dhcpv6_opt(&b, DHCPV6_OPT_RAPID_COMMIT, 0);
		}
		if (!m->ia_na_count || !have_addr) {
			/* section 18.3.9: nothing to offer */
			dhcpv6_put_status(&b, DHCPV6_ST_NO_ADDRS,
					  "no address available");
			break;
		}
		/* fall through */
	case DHCPV6_REQUEST:
	case DHCPV6_RENEW:
	case DHCPV6_REBIND:
		for (i = 0; i < MIN(m->ia_na_count, DHCPV6_IA_MAX); i++)
			dhcpv6_put_ia_na(&b, m->iaid[i], have_addr && !i);
		break;
	case DHCPV6_CONFIRM:
		dhcpv6_put_status(&b, st, st == DHCPV6_ST_SUCCESS ?
				  "on link" : "not on link");
		break;
	case DHCPV6_RELEASE:
	case DHCPV6_DECLINE:
		dhcpv6_put_status(&b, DHCPV6_ST_SUCCESS, "done");
		break;
	default:
		break;
	}

	if (m->type != DHCPV6_RELEASE && m->type != DHCPV6_DECLINE)
		dhcpv6_put_config(&b, m);

	if (b.overflow)
		return DHCPV6_C_TX_ERROR;
	*len = b.len;
	return 0;
}

bool dhcpv6_wants(const struct ip_view *ip, const struct udp_view *udp)
{
	if (ip->version != 6 || udp->dport != DHCPV6_SERVER_PORT)
		return false;
	return !memcmp(&ip->dst.a6, &dhcpv6_all_servers, 16) ||
	       !memcmp(&ip->dst.a6, &d6.conf.our_ll, 16);
}

static const enum dhcpv6_counter dhcpv6_rx_counter[] = {
	[DHCPV6_SOLICIT]	= DHCPV6_C_SOLICIT,
	[DHCPV6_REQUEST]	= DHCPV6_C_REQUEST,
	[DHCPV6_CONFIRM]	= DHCPV6_C_CONFIRM,
	[DHCPV6_RENEW]		= DHCPV6_C_RENEW,
	[DHCPV6_REBIND]		= DHCPV6_C_REBIND,
	[DHCPV6_RELEASE]	= DHCPV6_C_RELEASE,
	[DHCPV6_DECLINE]	= DHCPV6_C_DECLINE,
	[DHCPV6_INFO_REQUEST]	= DHCPV6_C_INFO_REQUEST,
};

static void dhcpv6_drop(enum dhcpv6_counter c, uint64_t now_ns)
{
	dhcpv6_count(c);
	if (log_enabled(LOG_LVL_DEBUG))
		log_ratelimited(&d6.rl_drop, now_ns, LOG_LVL_DEBUG,
				"dhcpv6: dropped a message: %s",
				dhcpv6_counter_names[c]);
}

void dhcpv6_input(const struct ip_view *ip, const struct udp_view *udp,
		  struct pkt_cursor payload, uint64_t now_ns)
{
	struct dhcpv6_msg m;
	struct frame_addrs a;
	enum dhcpv6_counter c;
	struct pkt_builder b;
	size_t len = 0;

	(void)udp;
	if (!d6.tx || !d6.conf.enabled) {
		dhcpv6_count(DHCPV6_C_DISABLED);
		return;
	}

	c = dhcpv6_parse(payload, &m);
	if (!c)
		c = dhcpv6_check_ids(&m);
	if (c) {
		dhcpv6_drop(c, now_ns);
		return;
	}
	dhcpv6_count(dhcpv6_rx_counter[m.type]);

	c = dhcpv6_reply(&m, &len);
	if (c) {
		dhcpv6_drop(c, now_ns);
		return;
	}

	memset(&a, 0, sizeof(a));
	memcpy(a.src_mac, d6.tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, d6.tx->guest_mac, ETH_ALEN);
	inany_from_v6(&a.src, &d6.conf.our_ll);
	a.dst = ip->src;
	pb_init(&b, dhcpv6_frame, sizeof(dhcpv6_frame));
	if (!frame_udp(&b, &a, DHCPV6_SERVER_PORT, DHCPV6_CLIENT_PORT,
		       dhcpv6_out, len) || b.overflow ||
	    guest_send_buf(d6.tx, dhcpv6_frame, b.len)) {
		dhcpv6_count(DHCPV6_C_TX_ERROR);
		return;
	}

	dhcpv6_count(dhcpv6_out[0] == DHCPV6_ADVERTISE ?
		     DHCPV6_C_ADVERTISE_SENT : DHCPV6_C_REPLY_SENT);
	if (m.type == DHCPV6_REQUEST || m.type == DHCPV6_REBIND ||
	    (m.type == DHCPV6_SOLICIT && m.rapid_commit)) {
		char buf[INET6_ADDRSTRLEN];

		if (!m.ia_na_count ||
		    IN6_IS_ADDR_UNSPECIFIED(&d6.conf.addr))
			return;
		inet_ntop(AF_INET6, &d6.conf.addr, buf, sizeof(buf));
		log_ratelimited(&d6.rl_lease, now_ns, LOG_LVL_INFO,
				"dhcpv6: assigned %s to the guest", buf);
	}
}

int dhcpv6_init(const struct dhcpv6_conf *dc, struct guest_tx *tx)
{
	struct pkt_builder b;

	d6.conf = *dc;
	d6.tx = tx;
	memset(&d6.rl_lease, 0, sizeof(d6.rl_lease));
	memset(&d6.rl_drop, 0, sizeof(d6.rl_drop));
	memset(dhcpv6_stats, 0, sizeof(dhcpv6_stats));

	pb_init(&b, d6.duid, sizeof(d6.duid));
	pb_be16(&b, DHCPV6_DUID_LL);
	pb_be16(&b, DHCPV6_HWTYPE_ETHER);
	pb_put(&b, tx->our_mac, ETH_ALEN);

	if (!d6.registered) {
		if (stats_register("dhcpv6", dhcpv6_counter_names,
				   dhcpv6_stats, DHCPV6_C__COUNT))
			warn("dhcpv6: counters not registered (too many groups)");
		d6.registered = true;
	}
	return 0;
}
