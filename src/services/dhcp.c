// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * services/dhcp.c - DHCPv4 server (RFC 2131, options from RFC 2132)
 *
 * There is one client and one address: whoever asks gets dhcp_conf.addr.
 * A request is read once, through a cursor, into struct dhcp_req; the
 * reply is written with a bounded builder into a buffer on the stack and
 * framed with frame_udp(). Nothing per request outlives the call.
 *
 * Options we send are split in two groups. Message type, server id, lease
 * times, subnet mask and router always go out. The others (DNS, host name,
 * MTU, domain search, FQDN) go out too, but first those the client listed
 * in its parameter request list, in its order, then the rest: if the
 * reply would grow past the size the client accepts (576 bytes unless it
 * sends option 57, RFC 2131 section 2), the ones it did not ask for are
 * the ones left out, and each one left out is counted.
 *
 * Theory of replies (RFC 2131 section 4.1 and 4.3):
 * - DISCOVER: OFFER of our one address.
 * - REQUEST: ACK if the requested address (option 50, else ciaddr) is
 *   ours and the server id, if present, is ours; NAK otherwise. RFC 2131
 *   says a server stays silent when another server was chosen; but on this
 *   link no other server exists, so a foreign server id is a stale lease
 *   from another network and a NAK restarts the client at once.
 * - INFORM: ACK with configuration only (no yiaddr, no lease time).
 * - RELEASE, DECLINE: counted; we have nothing else to give.
 * Replies go to the broadcast address when the client sets the broadcast
 * flag or has no address yet (ciaddr 0), else to yiaddr (or ciaddr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/stats.h"
#include "packet/build.h"
#include "services/dhcp.h"
#include "services/dns_name.h"

#define BOOTP_FIXED_LEN		236	/* up to the cookie */
#define DHCP_COOKIE		0x63825363
#define DHCP_OPTS_OFF		(BOOTP_FIXED_LEN + 4)
#define BOOTP_MIN_LEN		300	/* RFC 1542 section 2.1 */
#define DHCP_MSG_DEFAULT_MAX	576	/* RFC 2131 section 2 */
#define DHCP_MSG_BUF		1500	/* our largest message */
#define DHCP_FLAG_BROADCAST	0x8000
#define BOOTP_CHADDR_LEN	16
#define IPV4_UDP_HLEN		(IPV4_HLEN_MIN + UDP_HLEN)

enum bootp_op {
	BOOTP_REQUEST	= 1,
	BOOTP_REPLY	= 2,
};

/* BOOTP fixed header offsets (RFC 2131 section 2, figure 1) */
enum bootp_off {
	BOOTP_OFF_OP		= 0,
	BOOTP_OFF_HTYPE		= 1,
	BOOTP_OFF_HLEN		= 2,
	BOOTP_OFF_XID		= 4,
	BOOTP_OFF_FLAGS		= 10,
	BOOTP_OFF_CIADDR	= 12,
	BOOTP_OFF_YIADDR	= 16,
	BOOTP_OFF_GIADDR	= 24,
	BOOTP_OFF_CHADDR	= 28,
	BOOTP_OFF_COOKIE	= BOOTP_FIXED_LEN,
};

enum dhcp_opt {
	DHCP_OPT_PAD		= 0,
	DHCP_OPT_SUBNET_MASK	= 1,
	DHCP_OPT_ROUTER		= 3,
	DHCP_OPT_DNS		= 6,
	DHCP_OPT_HOST_NAME	= 12,
	DHCP_OPT_MTU		= 26,
	DHCP_OPT_REQUESTED_IP	= 50,
	DHCP_OPT_LEASE_TIME	= 51,
	DHCP_OPT_OVERLOAD	= 52,
	DHCP_OPT_MSG_TYPE	= 53,
	DHCP_OPT_SERVER_ID	= 54,
	DHCP_OPT_PARAM_REQ	= 55,
	DHCP_OPT_MAX_MSG_SIZE	= 57,
	DHCP_OPT_T1		= 58,
	DHCP_OPT_T2		= 59,
	DHCP_OPT_FQDN		= 81,
	DHCP_OPT_DOMAIN_SEARCH	= 119,
	DHCP_OPT_END		= 255,
};

enum dhcp_msg {
	DHCP_DISCOVER	= 1,
	DHCP_OFFER	= 2,
	DHCP_REQUEST	= 3,
	DHCP_DECLINE	= 4,
	DHCP_ACK	= 5,
	DHCP_NAK	= 6,
	DHCP_RELEASE	= 7,
	DHCP_INFORM	= 8,
};

/* RFC 4702 section 2.1: flags of the Client FQDN option */
enum dhcp_fqdn_flag {
	FQDN_F_S	= 0x01,	/* server performs A RR updates */
	FQDN_F_O	= 0x02,	/* server overrode the client's S */
	FQDN_F_E	= 0x04,	/* name in canonical wire format */
	FQDN_F_N	= 0x08,	/* server performs no updates */
};
#define FQDN_RCODE_SERVER	255	/* RFC 4702 section 2.2 */

enum dhcp_ctr {
	DHCP_C_RX,
	DHCP_C_DISCOVER,
	DHCP_C_REQUEST,
	DHCP_C_INFORM,
	DHCP_C_RELEASE,
	DHCP_C_DECLINE,
	DHCP_C_OFFER,
	DHCP_C_ACK,
	DHCP_C_NAK,
	DHCP_C_OPT_OMITTED,
	DHCP_C_DROP_SHORT,
	DHCP_C_DROP_NOT_REQUEST,
	DHCP_C_DROP_HTYPE,
	DHCP_C_DROP_COOKIE,
	DHCP_C_DROP_OPT_TRUNCATED,
	DHCP_C_DROP_OPT_LENGTH,
	DHCP_C_DROP_OVERLOAD,
	DHCP_C_DROP_NO_TYPE,
	DHCP_C_DROP_BAD_TYPE,
	DHCP_C_DROP_BUILD,
	DHCP_C_DROP_TX,
	DHCP_C__COUNT
};

static const char *const dhcp_ctr_names[] = {
	[DHCP_C_RX]			= "rx",
	[DHCP_C_DISCOVER]		= "discover",
	[DHCP_C_REQUEST]		= "request",
	[DHCP_C_INFORM]			= "inform",
	[DHCP_C_RELEASE]		= "release",
	[DHCP_C_DECLINE]		= "decline",
	[DHCP_C_OFFER]			= "offer",
	[DHCP_C_ACK]			= "ack",
	[DHCP_C_NAK]			= "nak",
	[DHCP_C_OPT_OMITTED]		= "option_omitted",
	[DHCP_C_DROP_SHORT]		= "drop_short",
	[DHCP_C_DROP_NOT_REQUEST]	= "drop_not_request",
	[DHCP_C_DROP_HTYPE]		= "drop_htype",
	[DHCP_C_DROP_COOKIE]		= "drop_cookie",
	[DHCP_C_DROP_OPT_TRUNCATED]	= "drop_option_truncated",
	[DHCP_C_DROP_OPT_LENGTH]	= "drop_option_length",
	[DHCP_C_DROP_OVERLOAD]		= "drop_overload",
	[DHCP_C_DROP_NO_TYPE]		= "drop_no_type",
	[DHCP_C_DROP_BAD_TYPE]		= "drop_bad_type",
	[DHCP_C_DROP_BUILD]		= "drop_build",
	[DHCP_C_DROP_TX]		= "drop_tx",
};

static_assert(ARRAY_SIZE(dhcp_ctr_names) == DHCP_C__COUNT,
	      "dhcp_ctr_names must name every counter");

/**
 * struct dhcp_req - what we use of a client's message
 * @hdr:	the fixed BOOTP part, echoed into the reply (xid, flags,
 *		giaddr, chaddr)
 * @type:	DHCP message type (option 53)
 * @ciaddr:	client's current address
 * @req_ip:	option 50, if @has_req_ip
 * @server_id:	option 54, if @has_server_id
 * @prl:	parameter request list (option 55), @prl_len codes
 * @max_msg:	largest IP datagram the client accepts (option 57)
 */
struct dhcp_req {
	const uint8_t *hdr;
	uint8_t type;
	struct in_addr ciaddr;
	bool has_req_ip;
	struct in_addr req_ip;
	bool has_server_id;
	struct in_addr server_id;
	const uint8_t *prl;
	uint8_t prl_len;
	uint16_t max_msg;
};

/**
 * struct dhcp_optval - an option payload encoded once, at init
 * @code:	option code; 0 marks an unused slot
 * @len:	bytes in @data (may exceed 255: split when written)
 * @data:	payload
 */
struct dhcp_optval {
	uint8_t code;
	uint16_t len;
	uint8_t data[DNS_NAME_WIRE_MAX * DHCP_SEARCH_MAX];
};

/* Options sent if room allows, in this order unless the client asks */
enum dhcp_extra {
	DHCP_X_DNS,
	DHCP_X_HOST_NAME,
	DHCP_X_MTU,
	DHCP_X_SEARCH,
	DHCP_X_FQDN,
	DHCP_X__COUNT
};

/* All set by dhcp_init() only */
static struct dhcp_conf dhcp_cfg;
static struct guest_tx *dhcp_tx;
static struct dhcp_optval dhcp_extra[DHCP_X__COUNT];
static uint64_t dhcp_ctr[DHCP_C__COUNT];
static struct ratelimit dhcp_log_rl;

#define DNS_PTR_FLAG		0xc0	/* RFC 1035 section 4.1.4 */
#define DNS_PTR_MAX		0x3fff	/* 14-bit offset */
#define DHCP_SUFFIX_MAX	(DHCP_SEARCH_MAX * (DNS_NAME_WIRE_MAX / 2))

/**
 * struct dns_suffix - a name suffix already written to the search list
 * @s:		its text (not NUL-terminated), @len bytes, no trailing dot
 * @off:	offset of its first label from the start of the list
 */
struct dns_suffix {
	const char *s;
	size_t len;
	uint16_t off;
};

/**
 * dhcp_search_put() - append one name, pointing at a known suffix
 * @name:	dotted name, trailing dot optional
 * @tab:	suffixes written so far, @ntab of them (updated)
 * @out:	the whole list (pointer offsets count from here)
 * @pos:	where to write (updated)
 * @cap:	size of @out
 *
 * RFC 3397 section 2: the list is compressed as DNS messages are; a
 * suffix is matched case-insensitively (RFC 4343). Every label the loop
 * writes advances @pos, and the table holds at most one entry per label.
 * Return: 0, or -1 for an empty or over-long label or lack of room
 */
static int dhcp_search_put(const char *name, struct dns_suffix *tab,
			   int *ntab, uint8_t *out, size_t *pos, size_t cap)
{
	size_t n = strnlen(name, DHCP_NAME_MAX + 1), i = 0;
	int k;

	if (dns_name_wire_len(name) < 0)
		return -1;		/* bad label, too long, or the root */
	if (name[n - 1] == '.')
		n--;
	while (i < n) {
		const char *dot = memchr(name + i, '.', n - i);
		size_t l = dot ? (size_t)(dot - name) - i : n - i;

		for (k = 0; k < *ntab; k++) {
			if (tab[k].len != n - i ||
			    strncasecmp(tab[k].s, name + i, n - i))
				continue;
			if (cap - *pos < 2)
				return -1;
			out[(*pos)++] = DNS_PTR_FLAG | tab[k].off >> 8;
			out[(*pos)++] = tab[k].off & 0xff;
			return 0;
		}
		if (cap - *pos < l + 1)
			return -1;
		if (*ntab < DHCP_SUFFIX_MAX && *pos <= DNS_PTR_MAX) {
			tab[*ntab].s = name + i;
			tab[*ntab].len = n - i;
			tab[*ntab].off = (uint16_t)*pos;
			(*ntab)++;
		}
		out[(*pos)++] = (uint8_t)l;
		memcpy(out + *pos, name + i, l);
		*pos += l;
		i += l + 1;
	}
	if (cap - *pos < 1)
		return -1;
	out[(*pos)++] = 0;
	return 0;
}

/**
 * dhcp_search_encode() - the domain search list, compressed
 * @names:	@count names
 * @out:	output, @cap bytes
 *
 * Return: bytes written, or -1 if a name is invalid or it does not fit
 */
static int dhcp_search_encode(const char names[][DHCP_NAME_MAX + 1],
			      int count, uint8_t *out, size_t cap)
{
	struct dns_suffix tab[DHCP_SUFFIX_MAX];
	size_t pos = 0;
	int i, ntab = 0;

	for (i = 0; i < count; i++)
		if (dhcp_search_put(names[i], tab, &ntab, out, &pos, cap))
			return -1;
	return (int)pos;
}

/* Fill @o with @len bytes of @data for option @code */
static void dhcp_optval_set(struct dhcp_optval *o, uint8_t code,
			    const void *data, size_t len)
{
	o->code = code;
	o->len = (uint16_t)len;
	memcpy(o->data, data, len);
}

/**
 * dhcp_init() - keep the configuration, encode the fixed option payloads
 * @dc:		what to hand out
 * @tx:		where replies go
 *
 * Return: 0; -EINVAL if a host name, FQDN or search domain cannot be
 * encoded (empty or over-long label), or -errno from stats_register()
 */
int dhcp_init(const struct dhcp_conf *dc, struct guest_tx *tx)
{
	static bool registered;
	struct dhcp_optval *o;
	uint8_t buf[DNS_NAME_WIRE_MAX + 3];
	struct pkt_builder nb;
	size_t i, n;
	int len;

	if (dc->prefix_len < 0 || dc->prefix_len > 32 ||
	    dc->dns_count < 0 || dc->dns_count > DHCP_DNS_MAX ||
	    dc->search_count < 0 || dc->search_count > DHCP_SEARCH_MAX)
		return -EINVAL;
	dhcp_cfg = *dc;
	if (!dhcp_cfg.lease_s)
		dhcp_cfg.lease_s = DHCP_LEASE_S;
	dhcp_tx = tx;
	memset(dhcp_extra, 0, sizeof(dhcp_extra));
	memset(dhcp_ctr, 0, sizeof(dhcp_ctr));

	if (dc->dns_count)
		dhcp_optval_set(&dhcp_extra[DHCP_X_DNS], DHCP_OPT_DNS,
				dc->dns, 4 * (size_t)dc->dns_count);
	n = strnlen(dc->hostname, sizeof(dc->hostname));
	if (n == sizeof(dc->hostname))
		return -EINVAL;
	if (n)
		dhcp_optval_set(&dhcp_extra[DHCP_X_HOST_NAME],
				DHCP_OPT_HOST_NAME, dc->hostname, n);
	if (dc->mtu) {
		if (dc->mtu < MTU_MIN_DHCP || dc->mtu > UINT16_MAX)
			return -EINVAL;
		put_be16(buf, (uint16_t)dc->mtu);
		dhcp_optval_set(&dhcp_extra[DHCP_X_MTU], DHCP_OPT_MTU, buf, 2);
	}
	if (dc->search_count) {
		o = &dhcp_extra[DHCP_X_SEARCH];
		len = dhcp_search_encode(dc->search, dc->search_count,
					 o->data, sizeof(o->data));
		if (len < 0)
			return -EINVAL;
		o->code = DHCP_OPT_DOMAIN_SEARCH;
		o->len = (uint16_t)len;
	}
	if (dc->fqdn[0]) {
		/* RFC 4702: we do no DNS updates; RCODEs are 255 from us */
		buf[0] = FQDN_F_E | FQDN_F_N;
		buf[1] = FQDN_RCODE_SERVER;
		buf[2] = FQDN_RCODE_SERVER;
		pb_init(&nb, buf + 3, sizeof(buf) - 3);
		if (!dns_name_put(&nb, dc->fqdn))
			return -EINVAL;
		dhcp_optval_set(&dhcp_extra[DHCP_X_FQDN], DHCP_OPT_FQDN, buf,
				3 + nb.len);
	}
	for (i = 0; i < DHCP_X__COUNT; i++)	/* one option, one TLV */
		if (dhcp_extra[i].code != DHCP_OPT_DOMAIN_SEARCH &&
		    dhcp_extra[i].len > UINT8_MAX)
			return -EINVAL;

	if (registered)
		return 0;
	registered = true;
	return stats_register("dhcp", dhcp_ctr_names, dhcp_ctr,
			      DHCP_C__COUNT);
}

/**
 * dhcp_parse() - read a client message into @r
 * @cur:	the UDP payload
 * @r:		filled in
 *
 * Return: DHCP_C__COUNT if the message is usable, else the counter that
 * says why it is dropped
 */
static enum dhcp_ctr dhcp_parse(struct pkt_cursor cur, struct dhcp_req *r)
{
	const uint8_t *h = cur_peek(&cur, DHCP_OPTS_OFF);
	bool has_type = false;

	memset(r, 0, sizeof(*r));
	if (!h)
		return DHCP_C_DROP_SHORT;
	if (h[BOOTP_OFF_OP] != BOOTP_REQUEST)
		return DHCP_C_DROP_NOT_REQUEST;
	if (h[BOOTP_OFF_HTYPE] != ARP_HRD_ETHER ||
	    h[BOOTP_OFF_HLEN] != ETH_ALEN)
		return DHCP_C_DROP_HTYPE;
	if (get_be32(h + BOOTP_OFF_COOKIE) != DHCP_COOKIE)
		return DHCP_C_DROP_COOKIE;
	r->hdr = h;
	memcpy(&r->ciaddr, h + BOOTP_OFF_CIADDR, 4);
	r->max_msg = DHCP_MSG_DEFAULT_MAX;
	cur_skip(&cur, DHCP_OPTS_OFF);

	/* Each turn consumes at least one byte: the walk ends */
	for (;;) {
		const uint8_t *v;
		uint8_t code, len;

		if (!cur_u8(&cur, &code))
			break;	/* no END: tolerated, as by most servers */
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			break;
		if (!cur_u8(&cur, &len) || !(v = cur_pull(&cur, len)))
			return DHCP_C_DROP_OPT_TRUNCATED;

		switch (code) {
		case DHCP_OPT_MSG_TYPE:
			if (len != 1)
				return DHCP_C_DROP_OPT_LENGTH;
			r->type = v[0];
			has_type = true;
			break;
		case DHCP_OPT_REQUESTED_IP:
			if (len != 4)
				return DHCP_C_DROP_OPT_LENGTH;
			memcpy(&r->req_ip, v, 4);
			r->has_req_ip = true;
			break;
		case DHCP_OPT_SERVER_ID:
			if (len != 4)
				return DHCP_C_DROP_OPT_LENGTH;
			memcpy(&r->server_id, v, 4);
			r->has_server_id = true;
			break;
		case DHCP_OPT_PARAM_REQ:
			r->prl = v;
			r->prl_len = len;
			break;
		case DHCP_OPT_MAX_MSG_SIZE:
			if (len != 2)
				return DHCP_C_DROP_OPT_LENGTH;
			/* below 576 is invalid (RFC 2132 section 9.10) */
			r->max_msg = MAX(get_be16(v), DHCP_MSG_DEFAULT_MAX);
			break;
		case DHCP_OPT_OVERLOAD:
			/* options in sname/file: we do not look there */
			return DHCP_C_DROP_OVERLOAD;
		default:
			break;
		}
	}
	if (!has_type)
		return DHCP_C_DROP_NO_TYPE;
	if (r->type < DHCP_DISCOVER || r->type > DHCP_INFORM ||
	    r->type == DHCP_OFFER || r->type == DHCP_ACK ||
	    r->type == DHCP_NAK)
		return DHCP_C_DROP_BAD_TYPE;
	return DHCP_C__COUNT;
}

/**
 * dhcp_opt_put() - append one option, split in 255-byte parts if longer
 * @b:		builder for the options area
 * @code:	option code
 * @data:	payload, @len bytes
 *
 * Long options follow RFC 3396: the same code repeated, the receiver
 * concatenates the parts.
 * Return: true if it all fit
 */
static bool dhcp_opt_put(struct pkt_builder *b, uint8_t code,
			 const void *data, size_t len)
{
	const uint8_t *p = data;

	do {
		size_t n = MIN(len, UINT8_MAX);

		if (!pb_u8(b, code) || !pb_u8(b, (uint8_t)n) ||
		    !pb_put(b, p, n))
			return false;
		p += n;
		len -= n;
	} while (len);
	return true;
}

static bool dhcp_opt_u32(struct pkt_builder *b, uint8_t code, uint32_t v)
{
	uint8_t d[4];

	put_be32(d, v);
	return dhcp_opt_put(b, code, d, sizeof(d));
}

/* Append an optional option, or leave @b as it was and count it */
static void dhcp_opt_try(struct pkt_builder *b, const struct dhcp_optval *o)
{
	size_t mark = b->len;

	if (!o->code)
		return;
	if (!dhcp_opt_put(b, o->code, o->data, o->len)) {
		b->len = mark;
		b->overflow = false;
		dhcp_ctr[DHCP_C_OPT_OMITTED]++;
	}
}

/**
 * dhcp_opts_extra() - the optional options, requested ones first
 * @b:		builder for the options area
 * @r:		the request, for its parameter request list
 */
static void dhcp_opts_extra(struct pkt_builder *b, const struct dhcp_req *r)
{
	bool done[DHCP_X__COUNT] = { false };
	size_t i, x;

	for (i = 0; i < r->prl_len; i++) {
		for (x = 0; x < DHCP_X__COUNT; x++) {
			if (done[x] || !dhcp_extra[x].code ||
			    dhcp_extra[x].code != r->prl[i])
				continue;
			dhcp_opt_try(b, &dhcp_extra[x]);
			done[x] = true;
		}
	}
	for (x = 0; x < DHCP_X__COUNT; x++)
		if (!done[x])
			dhcp_opt_try(b, &dhcp_extra[x]);
}

/* Netmask from the prefix length, network order */
static uint32_t dhcp_mask(void)
{
	if (!dhcp_cfg.prefix_len)
		return 0;
	return htonl(~0u << (32 - dhcp_cfg.prefix_len));
}

/**
 * dhcp_reply() - build and send the reply of @type to @r
 * @r:		parsed request
 * @type:	DHCP_OFFER, DHCP_ACK or DHCP_NAK
 */
static void dhcp_reply(const struct dhcp_req *r, enum dhcp_msg type)
{
	static const uint8_t bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff,
						     0xff, 0xff, 0xff };
	uint8_t msg[DHCP_MSG_BUF], frame[ETH_HLEN + IPV4_UDP_HLEN +
					   DHCP_MSG_BUF];
	bool inform = r->type == DHCP_INFORM;
	struct in_addr yiaddr = { 0 }, bcast4;
	size_t limit = MIN((size_t)r->max_msg - IPV4_UDP_HLEN, sizeof(msg));
	struct pkt_builder b, fb;
	struct frame_addrs a;
	uint32_t mask;
	uint8_t *h;
	bool ok;

	if (type != DHCP_NAK && !inform)
		yiaddr = dhcp_cfg.addr;

	/* Fixed part: whatever the client sent that we must echo */
	pb_init(&b, msg, limit - 1);	/* keep a byte for END */
	h = pb_reserve(&b, DHCP_OPTS_OFF);
	if (!h)
		goto out_drop;
	h[BOOTP_OFF_OP] = BOOTP_REPLY;
	h[BOOTP_OFF_HTYPE] = ARP_HRD_ETHER;
	h[BOOTP_OFF_HLEN] = ETH_ALEN;
	memcpy(h + BOOTP_OFF_XID, r->hdr + BOOTP_OFF_XID, 4);
	memcpy(h + BOOTP_OFF_FLAGS, r->hdr + BOOTP_OFF_FLAGS, 2);
	if (type == DHCP_ACK)		/* RFC 2131 table 3 */
		memcpy(h + BOOTP_OFF_CIADDR, &r->ciaddr, 4);
	memcpy(h + BOOTP_OFF_YIADDR, &yiaddr, 4);
	memcpy(h + BOOTP_OFF_GIADDR, r->hdr + BOOTP_OFF_GIADDR, 4);
	memcpy(h + BOOTP_OFF_CHADDR, r->hdr + BOOTP_OFF_CHADDR,
	       BOOTP_CHADDR_LEN);
	put_be32(h + BOOTP_OFF_COOKIE, DHCP_COOKIE);

	ok = pb_u8(&b, DHCP_OPT_MSG_TYPE) && pb_u8(&b, 1) &&
	     pb_u8(&b, (uint8_t)type) &&
	     dhcp_opt_put(&b, DHCP_OPT_SERVER_ID, &dhcp_cfg.server, 4);
	if (ok && type != DHCP_NAK) {
		if (!inform) {
			uint32_t lease = dhcp_cfg.lease_s;

			ok = dhcp_opt_u32(&b, DHCP_OPT_LEASE_TIME, lease) &&
			     dhcp_opt_u32(&b, DHCP_OPT_T1, lease / 2) &&
			     dhcp_opt_u32(&b, DHCP_OPT_T2,
					  (uint32_t)((uint64_t)lease * 7 / 8));
		}
		mask = dhcp_mask();
		ok = ok && dhcp_opt_put(&b, DHCP_OPT_SUBNET_MASK, &mask, 4);
		if (ok && dhcp_cfg.gw.s_addr)
			ok = dhcp_opt_put(&b, DHCP_OPT_ROUTER, &dhcp_cfg.gw, 4);
		if (ok)
			dhcp_opts_extra(&b, r);
	}
	if (!ok)
		goto out_drop;
	b.cap = sizeof(msg);
	pb_u8(&b, DHCP_OPT_END);
	if (b.len < BOOTP_MIN_LEN)
		pb_reserve(&b, BOOTP_MIN_LEN - b.len);	/* zeros: PAD */

	/* Where to: RFC 2131 section 4.1, simplified for one link */
	memcpy(a.src_mac, dhcp_tx->our_mac, ETH_ALEN);
	inany_from_v4(&a.src, dhcp_cfg.server);
	a.ttl = 0;
	if (type == DHCP_NAK || !r->ciaddr.s_addr ||
	    (get_be16(r->hdr + BOOTP_OFF_FLAGS) & DHCP_FLAG_BROADCAST)) {
		bcast4.s_addr = htonl(INADDR_BROADCAST);
		inany_from_v4(&a.dst, bcast4);
		memcpy(a.dst_mac, bcast_mac, ETH_ALEN);
	} else {
		inany_from_v4(&a.dst, inform ? r->ciaddr : yiaddr);
		memcpy(a.dst_mac, r->hdr + BOOTP_OFF_CHADDR, ETH_ALEN);
	}
	pb_init(&fb, frame, sizeof(frame));
	if (b.overflow || !frame_udp(&fb, &a, DHCP_SERVER_PORT,
				     DHCP_CLIENT_PORT, msg, b.len))
		goto out_drop;
	if (guest_send_buf(dhcp_tx, frame, fb.len) < 0) {
		dhcp_ctr[DHCP_C_DROP_TX]++;
		return;
	}
	switch (type) {
	case DHCP_OFFER:
		dhcp_ctr[DHCP_C_OFFER]++;
		break;
	case DHCP_ACK:
		dhcp_ctr[DHCP_C_ACK]++;
		break;
	default:
		dhcp_ctr[DHCP_C_NAK]++;
		break;
	}
	return;

out_drop:
	dhcp_ctr[DHCP_C_DROP_BUILD]++;
}

/* Format a MAC for a log line */
static void dhcp_mac_str(const uint8_t *m, char *s, size_t len)
{
	snprintf(s, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}

/**
 * dhcp_request_ok() - may we ACK this REQUEST?
 * @r:		the request
 *
 * Return: true if it names our server (or none) and our address
 */
static bool dhcp_request_ok(const struct dhcp_req *r)
{
	if (r->has_server_id && r->server_id.s_addr != dhcp_cfg.server.s_addr)
		return false;
	if (r->has_req_ip)
		return r->req_ip.s_addr == dhcp_cfg.addr.s_addr;
	/* RENEWING or REBINDING: the address is in ciaddr */
	return r->ciaddr.s_addr == dhcp_cfg.addr.s_addr;
}

/**
 * dhcp_input() - handle one client message
 * @ip:		IP view (unused: replies are addressed from the message)
 * @udp:	UDP view
 * @payload:	the BOOTP message
 * @now_ns:	for rate-limiting the log line
 */
void dhcp_input(const struct ip_view *ip, const struct udp_view *udp,
		struct pkt_cursor payload, uint64_t now_ns)
{
	char mac[sizeof("00:00:00:00:00:00")], addr[INET_ADDRSTRLEN];
	struct dhcp_req r;
	enum dhcp_ctr why;

	(void)ip;
	(void)udp;
	dhcp_ctr[DHCP_C_RX]++;
	why = dhcp_parse(payload, &r);
	if (why != DHCP_C__COUNT) {
		dhcp_ctr[why]++;
		return;
	}

	switch (r.type) {
	case DHCP_DISCOVER:
		dhcp_ctr[DHCP_C_DISCOVER]++;
		dhcp_reply(&r, DHCP_OFFER);
		return;
	case DHCP_REQUEST:
		dhcp_ctr[DHCP_C_REQUEST]++;
		if (!dhcp_request_ok(&r)) {
			dhcp_reply(&r, DHCP_NAK);
			return;
		}
		dhcp_reply(&r, DHCP_ACK);
		if (log_enabled(LOG_LVL_INFO)) {
			dhcp_mac_str(r.hdr + BOOTP_OFF_CHADDR, mac,
				     sizeof(mac));
			inet_ntop(AF_INET, &dhcp_cfg.addr, addr, sizeof(addr));
			log_ratelimited(&dhcp_log_rl, now_ns, LOG_LVL_INFO,
					"dhcp: lease %s to %s", addr, mac);
		}
		return;
	case DHCP_INFORM:
		dhcp_ctr[DHCP_C_INFORM]++;
		dhcp_reply(&r, DHCP_ACK);
		return;
	case DHCP_RELEASE:
		dhcp_ctr[DHCP_C_RELEASE]++;
		return;
	case DHCP_DECLINE:
		/* The guest saw our address in use: nothing else to offer */
		dhcp_ctr[DHCP_C_DECLINE]++;
		return;
	default:
		return;
	}
}
