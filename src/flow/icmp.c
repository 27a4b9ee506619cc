// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/icmp.c - the guest's echo requests on unprivileged ping sockets
 *
 * Theory of operation
 *
 * An echo request from the guest (ICMP type 8, ICMPv6 type 128) belongs to
 * the flow (guest address, echo identifier, destination as the guest
 * addressed it). The first request opens a ping socket, socket(AF_INET,
 * SOCK_DGRAM, IPPROTO_ICMP) or its IPv6 twin, connected to where
 * flow/nat.c says the destination lives (the gateway reaches 127.0.0.1).
 * We write the ICMP message as the guest sent it; the kernel replaces the
 * identifier with the socket's own and computes the checksum. Replies come
 * back on that socket only; we put the guest's identifier back, and send
 * them to the guest from the address it pinged.
 *
 * Ping sockets need the process's group in net.ipv4.ping_group_range (the
 * same sysctl governs ICMPv6). Without it socket() fails with EACCES: we
 * warn once, naming the sysctl, and count each dropped request.
 *
 * Aging: as in flow/udp.c, one list ordered by last activity and one loop
 * timer; a flow idle for ICMP_IDLE_NS is closed, its id returned at the
 * end of the loop iteration.
 * Not done: ICMP errors, other ICMP types (dropped and counted).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "flow/icmp.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "packet/build.h"

#define ICMP_MSG_MAX	65535
#define ICMP_FRAME_HDR	(ETH_HLEN + IPV6_HLEN)
#define ICMP_BATCH	8		/* replies read per wakeup */

enum icmp_ctr {
	ICMP_C_FLOWS_OPENED,
	ICMP_C_FLOWS_EXPIRED,
	ICMP_C_REFUSED_FULL,
	ICMP_C_REQUESTS,
	ICMP_C_REPLIES,
	ICMP_C_DROP_DISABLED,
	ICMP_C_DROP_TYPE,
	ICMP_C_DROP_NAT,
	ICMP_C_DROP_NO_PING_SOCKET,
	ICMP_C_DROP_SOCKET,
	ICMP_C_DROP_SEND,
	ICMP_C_DROP_REPLY,
	ICMP_C_DROP_TOO_BIG,
	ICMP_C_DROP_GUEST_FULL,
	ICMP_C__COUNT
};

static const char *const icmp_ctr_names[] = {
	[ICMP_C_FLOWS_OPENED]		= "flows_opened",
	[ICMP_C_FLOWS_EXPIRED]		= "flows_expired",
	[ICMP_C_REFUSED_FULL]		= "refused_full",
	[ICMP_C_REQUESTS]		= "requests",
	[ICMP_C_REPLIES]		= "replies",
	[ICMP_C_DROP_DISABLED]		= "drop_disabled",
	[ICMP_C_DROP_TYPE]		= "drop_type",
	[ICMP_C_DROP_NAT]		= "drop_nat",
	[ICMP_C_DROP_NO_PING_SOCKET]	= "drop_no_ping_socket",
	[ICMP_C_DROP_SOCKET]		= "drop_socket",
	[ICMP_C_DROP_SEND]		= "drop_send",
	[ICMP_C_DROP_REPLY]		= "drop_reply",
	[ICMP_C_DROP_TOO_BIG]		= "drop_too_big",
	[ICMP_C_DROP_GUEST_FULL]	= "drop_guest_full",
};
static_assert(ARRAY_SIZE(icmp_ctr_names) == ICMP_C__COUNT,
	      "one name per ICMP counter");

static uint64_t icmp_ctr[ICMP_C__COUNT];

enum icmp_state {
	IF_FREE,
	IF_OPEN,
	IF_CLOSED,	/* id returned at the end of the iteration */
};

/**
 * struct icmp_flow - one echo flow, indexed by flow id
 * @w:		epoll registration of @fd
 * @state:	enum icmp_state
 * @fd:		connected ping socket, owned
 * @key:	guest address, guest echo id (gport), address pinged
 * @last_ns:	last request or reply
 * @prev:	idle list, or -1
 * @next:	idle list or closed list, or -1
 */
struct icmp_flow {
	struct watch w;
	enum icmp_state state;
	int fd;
	struct flow_key key;
	uint64_t last_ns;
	int prev;
	int next;
};

static struct guest_tx *icmp_tx;
static bool icmp_disabled;		/* --no-icmp */
static size_t icmp_mtu;
static struct icmp_flow *icmp_flows;	/* flow_table_size() entries */
static unsigned int icmp_open;
static int idle_head = -1, idle_tail = -1;
static int closed_head = -1;
static struct timer icmp_idle_timer;
static uint64_t icmp_idle_ns = ICMP_IDLE_NS;
static struct ratelimit icmp_full_rl;
static bool icmp_warned_perm;		/* ping_group_range warning given */

static uint8_t icmp_buf[ICMP_MSG_MAX + 1];
static uint8_t icmp_hdr[ICMP_FRAME_HDR];	/* headers of a reply */

/**
 * icmp_echo_rewrite() - make a reply from a ping socket the guest's again
 * @msg:	ICMP message as read from the socket, from the type byte
 * @len:	its length
 * @v6:		ICMPv6
 * @guest_id:	the echo identifier the guest used
 *
 * Checks that @msg is an echo reply of the right family, puts @guest_id in
 * the identifier field and zeroes the checksum (frame_icmp_hdr() fills it).
 * Return: true if @msg is an echo reply we can pass on
 */
bool icmp_echo_rewrite(uint8_t *msg, size_t len, bool v6, uint16_t guest_id)
{
	if (len < ICMP_HLEN)
		return false;
	if (msg[0] != (v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHO_REPLY) || msg[1])
		return false;
	msg[2] = msg[3] = 0;
	put_be16(msg + 4, guest_id);
	return true;
}

static bool icmp_is_loopback(const union inany *a)
{
	if (inany_is_v4(a))
		return (ntohl(a->v4mapped.a4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

static void icmp_idle_unlink(int id)
{
	struct icmp_flow *f = &icmp_flows[id];

	if (f->prev >= 0)
		icmp_flows[f->prev].next = f->next;
	else if (idle_head == id)
		idle_head = f->next;
	if (f->next >= 0)
		icmp_flows[f->next].prev = f->prev;
	else if (idle_tail == id)
		idle_tail = f->prev;
	f->prev = f->next = -1;
}

static void icmp_touch(int id, uint64_t now_ns)
{
	struct icmp_flow *f = &icmp_flows[id];

	f->last_ns = now_ns;
	if (idle_tail == id)
		return;
	icmp_idle_unlink(id);
	f->prev = idle_tail;
	if (idle_tail >= 0)
		icmp_flows[idle_tail].next = id;
	else
		idle_head = id;
	idle_tail = id;
	if (!timer_armed(&icmp_idle_timer))
		timer_arm(&icmp_idle_timer, now_ns + icmp_idle_ns);
}

/* #syscalls: epoll_ctl close */
static void icmp_flow_close(int id)
{
	struct icmp_flow *f = &icmp_flows[id];

	icmp_idle_unlink(id);
	if (f->fd >= 0) {
		loop_del(f->fd);
		close(f->fd);
		f->fd = -1;
	}
	flow_index_del(&f->key);
	f->state = IF_CLOSED;
	f->next = closed_head;
	closed_head = id;
	icmp_open--;
}

static void icmp_post(void *arg, uint64_t now_ns)
{
	(void)arg;
	(void)now_ns;
	while (closed_head >= 0) {
		int id = closed_head;

		closed_head = icmp_flows[id].next;
		icmp_flows[id].next = -1;
		icmp_flows[id].state = IF_FREE;
		flow_free(id);
	}
}

static void icmp_idle_expire(struct timer *t, uint64_t now_ns)
{
	(void)t;
	while (idle_head >= 0 &&
	       icmp_flows[idle_head].last_ns + icmp_idle_ns <= now_ns) {
		int id = idle_head;

		debug("flow %d icmp: idle, closing", id);
		icmp_ctr[ICMP_C_FLOWS_EXPIRED]++;
		icmp_flow_close(id);
	}
	if (idle_head >= 0)
		timer_arm(&icmp_idle_timer,
			  icmp_flows[idle_head].last_ns + icmp_idle_ns);
}

/*
 * One reply, already rewritten, to the guest: headers built apart, the
 * message sent from icmp_buf where recv() put it; -EAGAIN if the link is
 * full
 */
static int icmp_to_guest(struct icmp_flow *f, size_t len)
{
	bool v4 = inany_is_v4(&f->key.gaddr);
	struct frame_addrs a = { 0 };
	struct pkt_builder b;
	struct iovec iov[2];
	int rc;

	if (len + (v4 ? IPV4_HLEN_MIN : IPV6_HLEN) > icmp_mtu) {
		icmp_ctr[ICMP_C_DROP_TOO_BIG]++;
		return 0;
	}
	memcpy(a.src_mac, icmp_tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, icmp_tx->guest_mac, ETH_ALEN);
	a.src = f->key.raddr;
	a.dst = f->key.gaddr;
	pb_init(&b, icmp_hdr, sizeof(icmp_hdr));
	b.no_l4_csum = icmp_tx->csum_optional;
	if (!frame_icmp_hdr(&b, &a, icmp_buf, len)) {
		icmp_ctr[ICMP_C_DROP_TOO_BIG]++;
		return 0;
	}
	iov[0].iov_base = icmp_hdr;
	iov[0].iov_len = b.len;
	iov[1].iov_base = icmp_buf;
	iov[1].iov_len = len;
	rc = guest_send(icmp_tx, iov, 2);
	if (rc < 0) {
		icmp_ctr[ICMP_C_DROP_GUEST_FULL]++;
		return rc == -EAGAIN ? -EAGAIN : 0;
	}
	icmp_ctr[ICMP_C_REPLIES]++;
	return 0;
}

/* Replies on a ping socket; a reply dropped for lack of room is lost
 * #syscalls: recvfrom */
static void icmp_flow_ready(struct watch *w, uint32_t events, uint64_t now_ns)
{
	struct icmp_flow *f = container_of(w, struct icmp_flow, w);
	int id = (int)(f - icmp_flows);
	bool v6 = !inany_is_v4(&f->key.gaddr);
	int i;

	(void)events;
	if (f->state != IF_OPEN || f->fd < 0)
		return;
	for (i = 0; i < ICMP_BATCH; i++) {
		ssize_t n = recv(f->fd, icmp_buf, sizeof(icmp_buf),
				 MSG_DONTWAIT);

		if (n < 0)
			return;
		if (!icmp_echo_rewrite(icmp_buf, (size_t)n, v6,
				       f->key.gport)) {
			icmp_ctr[ICMP_C_DROP_REPLY]++;
			continue;
		}
		icmp_touch(id, now_ns);
		if (icmp_to_guest(f, (size_t)n))
			return;
	}
}

/* Open the ping socket for a new flow; flow id, or -1 (counted)
 * #syscalls: socket setsockopt bind connect epoll_ctl close getgid */
static int icmp_flow_open(const struct flow_key *key, uint64_t now_ns)
{
	struct sockaddr_storage ss;
	struct icmp_flow *f;
	union inany host;
	socklen_t sl;
	bool v4;
	int id, fd;

	if (nat_outbound(key->proto, &key->raddr, 0, &host)) {
		icmp_ctr[ICMP_C_DROP_NAT]++;
		return -1;
	}
	v4 = inany_is_v4(&host);
	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM) {
			icmp_ctr[ICMP_C_DROP_NO_PING_SOCKET]++;
			if (!icmp_warned_perm) {
				warn("icmp: ping sockets not permitted for group %u: dropping echo requests; allow with sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"",
				     (unsigned int)getgid());
				icmp_warned_perm = true;
			}
		} else {
			icmp_ctr[ICMP_C_DROP_SOCKET]++;
		}
		return -1;
	}

	memset(&ss, 0, sizeof(ss));
	if (v4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = host.v4mapped.a4;
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = host.a6;
		sl = sizeof(*sin6);
	}
	if (!icmp_is_loopback(&host) && nat_bind_outbound(fd, v4))
		goto out_close_fd;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		goto out_close_fd;

	id = flow_alloc();
	if (id < 0) {
		char r[INET6_ADDRSTRLEN];

		close(fd);
		icmp_ctr[ICMP_C_REFUSED_FULL]++;
		if (inany_is_v4(&key->raddr))
			inet_ntop(AF_INET, &key->raddr.v4mapped.a4, r,
				  sizeof(r));
		else
			inet_ntop(AF_INET6, &key->raddr.a6, r, sizeof(r));
		log_ratelimited(&icmp_full_rl, now_ns, LOG_LVL_WARN,
				"flow: table full (%u flows): refusing echo request to %s; raise --max-flows",
				flow_table_size(), r);
		return -1;
	}
	f = &icmp_flows[id];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->prev = f->next = -1;
	f->w.fn = icmp_flow_ready;
	f->fd = fd;
	if (loop_add(fd, EPOLLIN, &f->w))
		goto out_free;
	if (flow_index_add(key, id)) {
		loop_del(fd);
		goto out_free;
	}
	f->state = IF_OPEN;
	icmp_open++;
	icmp_ctr[ICMP_C_FLOWS_OPENED]++;
	debug("flow %d icmp: echo id %u: open", id, key->gport);
	return id;

out_free:
	f->fd = -1;
	flow_free(id);
out_close_fd:
	close(fd);
	icmp_ctr[ICMP_C_DROP_SOCKET]++;
	return -1;
}

/* An echo request: find or open its flow, send it on; #syscalls: sendmsg */
void icmp_input(const struct ip_view *ip, const struct icmp_view *icmp,
		struct pkt_cursor payload, uint64_t now_ns)
{
	bool v6 = ip->version == 6;
	size_t len = cur_len(&payload);
	const uint8_t *rest = cur_peek(&payload, len);
	struct flow_key key;
	uint8_t hdr[4];
	struct iovec iov[2];
	struct msghdr mh;
	int id;

	if (icmp_disabled || !icmp_flows) {
		icmp_ctr[ICMP_C_DROP_DISABLED]++;
		return;
	}
	if (icmp->type != (v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST) ||
	    icmp->code || len < ICMP_HLEN - 4) {
		icmp_ctr[ICMP_C_DROP_TYPE]++;
		return;
	}

	flow_key_guest(&key, &ip->src, &ip->dst, icmp->id, 0,
		       v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	id = flow_index_find(&key);
	if (id < 0)
		id = icmp_flow_open(&key, now_ns);
	if (id < 0)
		return;
	icmp_touch(id, now_ns);

	/* Type, code, zero checksum; then id, sequence and data as sent */
	hdr[0] = icmp->type;
	hdr[1] = 0;
	hdr[2] = hdr[3] = 0;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)rest;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(icmp_flows[id].fd, &mh, MSG_DONTWAIT) < 0) {
		icmp_ctr[ICMP_C_DROP_SEND]++;
		return;
	}
	icmp_ctr[ICMP_C_REQUESTS]++;
}

/**
 * icmp_init() - per-flow state and counters for echo flows
 * @fc:		flow configuration (no_icmp, mtu)
 * @tx:		the way to the guest
 *
 * flow_table_init() must have run.
 * Return: 0 or -errno
 */
int icmp_init(const struct flow_conf *fc, struct guest_tx *tx)
{
	unsigned int n = flow_table_size(), i;
	int rc;

	icmp_tx = tx;
	icmp_disabled = fc->no_icmp;
	icmp_mtu = fc->mtu > 0 ? (size_t)fc->mtu : 65520;
	rc = stats_register("icmp", icmp_ctr_names, icmp_ctr, ICMP_C__COUNT);
	if (rc)
		return rc;
	timer_init(&icmp_idle_timer, icmp_idle_expire);
	rc = loop_add_post(icmp_post, NULL);
	if (rc)
		return rc;
	free(icmp_flows);
	icmp_flows = calloc(n ? n : 1, sizeof(*icmp_flows));
	if (!icmp_flows)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		icmp_flows[i].fd = -1;
		icmp_flows[i].prev = icmp_flows[i].next = -1;
	}
	idle_head = idle_tail = closed_head = -1;
	icmp_open = 0;
	return 0;
}

/**
 * icmp_set_idle() - change the idle timeout (tests)
 * @idle_ns:	new timeout; the check is re-armed for the oldest flow
 */
void icmp_set_idle(uint64_t idle_ns)
{
	icmp_idle_ns = idle_ns;
	timer_cancel(&icmp_idle_timer);
	if (idle_head >= 0)
		timer_arm(&icmp_idle_timer,
			  icmp_flows[idle_head].last_ns + icmp_idle_ns);
}

unsigned int icmp_flow_count(void)
{
	return icmp_open;
}
