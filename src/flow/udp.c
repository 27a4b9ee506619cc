// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/udp.c - the guest's UDP datagrams on host sockets
 *
 * Theory of operation
 *
 * Outbound: the first datagram from the guest to a new 5-tuple allocates a
 * flow id, asks flow/nat.c where the destination lives on the host (the
 * gateway becomes 127.0.0.1, the --dns-forward address on port 53 becomes
 * --dns-host), and opens a non-blocking UDP socket connected there, bound
 * per --outbound/--outbound-if unless the destination is loopback.
 * Replies are read with recvmmsg(), a batch per wakeup, and reach the
 * guest from the address and port the guest addressed, whatever the host
 * side was.
 *
 * Batching to the host: udp_input() only queues a datagram (its payload
 * stays in the link's input buffer); at the end of the link's input pass
 * (one stream read, one ring's worth of vhost-user chains) udp_batch_end()
 * sends the queue with one sendmmsg() per host socket, each socket's
 * datagrams in the guest's order. A datagram the host refuses is dropped
 * and counted alone (udp.drop_send); the rest of its batch goes on.
 *
 * Inbound (-u): one bound socket per forwarded host port (dual-stack where
 * both families are enabled and no address is given). A datagram from a
 * host peer opens a flow towards the guest (rule target address or the
 * guest's address, mapped port) that looks like it comes from the peer as
 * flow/nat.c shows it (127.0.0.1 appears as the gateway). The guest's
 * replies on that flow are sent back to the peer through the listening
 * socket. Listeners bound to a wildcard address ask for each datagram's
 * local address (IP_PKTINFO, IPV6_RECVPKTINFO) and reply from it, so a
 * peer that addressed one of several host addresses hears back from that
 * one. Without a target address in the rule, the guest's address is the
 * one it was last seen using (a guest may pick its own IPv6 address by
 * SLAAC), else the configured one.
 *
 * In place (links with guest_reserve(): stream, vhost-user): a socket
 * (a flow's connected one, or a listener's) whose last batch was all of
 * one length L, in frames of one header length, expects more of them.
 * It reserves frames of headers + L bytes in the link and has
 * recvmmsg() put each payload straight behind the room for its headers,
 * which are written after (the checksum, where one is due, is
 * taken over the payload where it landed): each byte is copied by the
 * kernel only, out of the socket and out of the link. A datagram of
 * another length ends the run: a shorter one is still sent in place as
 * the last frame; a longer one spills past L into its batch buffer, and
 * it and every datagram after it are moved out of the link (a copy) and
 * sent as frames of their own, as without a reservation (so is anything
 * after a datagram that is dropped, or whose flow has the other IP
 * version). A batch of mixed lengths turns the expectation off until a
 * batch of one length comes again.
 *
 * Back-pressure: a socket is read only while the link has room; with no
 * room it is taken out of epoll and woken by guest_tx once room frees up,
 * so replies wait in the kernel's socket buffer rather than being dropped.
 *
 * Aging: flows sit on one list ordered by last activity (moved to the tail
 * on every datagram, O(1)); one loop timer watches the head. A flow idle
 * for UDP_IDLE_NS is closed: fd deregistered and closed, key dropped from
 * the index at once, the id returned in the end-of-iteration hook so an
 * event already fetched for it finds a closed flow, not a new one.
 *
 * Errors: a connected socket reports an ICMP port unreachable from the
 * host side as ECONNREFUSED; we tell the guest with a port unreachable of
 * its own (ICMP type 3 code 3, ICMPv6 type 1 code 4) from the address it
 * addressed, quoting the headers of a datagram of that flow.
 *
 * Limits: frames larger than the link MTU are dropped and counted, never
 * fragmented (with the default MTU of 65520 every IPv4 datagram up to
 * 65492 bytes fits). New flows past --max-flows are refused and counted,
 * with a rate-limited warning. Listeners take at most the descriptor limit
 * less one per flow and UDP_FD_SPARE ("-u all" is best effort).
 * Not done: ICMP errors other than port unreachable.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/udp.h"
#include "packet/build.h"

#define UDP_BATCH	16		/* datagrams per recvmmsg() */
/* Pieces of one payload in reserved link room (guest buffers on
 * vhost-user; one or two in the stream ring), plus its spill buffer */
#define UDP_ZC_IOV	64
#define UDP_TX_BATCH	64		/* guest datagrams per send pass */
/*
 * IPv4 datagrams to the guest carry no UDP checksum (zero, RFC 768): they
 * only cross memory between the host socket and the guest, and summing
 * every payload cost 13% of our cycles (docs/design/udp.md). IPv6 always
 * carries one (RFC 8200).
 */
#define UDP_CSUM4	false
#define UDP_DGRAM_MAX	65535
/* Ethernet + IPv6 + UDP headers: the most a frame adds to a datagram */
#define UDP_FRAME_HDR	(ETH_HLEN + IPV6_HLEN + UDP_HLEN)
#define UDP_LISTEN_MAX	(2 * 65536)	/* sockets over all -u rules */
/* File descriptors kept free beyond one per flow (each flow has one host
 * socket), so that "all" cannot take every descriptor for listeners */
#define UDP_FD_SPARE	256
/* Receive buffer asked for each socket (capped by net.core.rmem_max):
 * room for host bursts while we wait for the CPU or the link (a fast host
 * sender on a busy machine loses most here); costs nothing when empty */
#define UDP_RCVBUF	(4 << 20)

enum udp_ctr {
	UDP_C_FLOWS_OPENED,
	UDP_C_FLOWS_INBOUND,
	UDP_C_FLOWS_EXPIRED,
	UDP_C_REFUSED_FULL,
	UDP_C_TO_HOST,
	UDP_C_TO_GUEST,
	UDP_C_DROP_DISABLED,
	UDP_C_DROP_NAT,
	UDP_C_DROP_SOCKET,
	UDP_C_DROP_SEND,
	UDP_C_DROP_TOO_BIG,
	UDP_C_DROP_GUEST_FULL,
	UDP_C_DROP_FAMILY,
	UDP_C_HOST_ERRORS,
	UDP_C_UNREACH_TO_GUEST,
	UDP_C_TO_GUEST_IN_PLACE,	/* of to_guest: received into the link */
	UDP_C_IN_PLACE_MISS,	/* moved out of reserved room: length changed */
	UDP_C__COUNT
};

static const char *const udp_ctr_names[] = {
	[UDP_C_FLOWS_OPENED]	= "flows_opened",
	[UDP_C_FLOWS_INBOUND]	= "flows_inbound",
	[UDP_C_FLOWS_EXPIRED]	= "flows_expired",
	[UDP_C_REFUSED_FULL]	= "refused_full",
	[UDP_C_TO_HOST]		= "to_host",
	[UDP_C_TO_GUEST]	= "to_guest",
	[UDP_C_DROP_DISABLED]	= "drop_disabled",
	[UDP_C_DROP_NAT]	= "drop_nat",
	[UDP_C_DROP_SOCKET]	= "drop_socket",
	[UDP_C_DROP_SEND]	= "drop_send",
	[UDP_C_DROP_TOO_BIG]	= "drop_too_big",
	[UDP_C_DROP_GUEST_FULL]	= "drop_guest_full",
	[UDP_C_DROP_FAMILY]	= "drop_family",
	[UDP_C_HOST_ERRORS]	= "host_errors",
	[UDP_C_UNREACH_TO_GUEST] = "unreach_to_guest",
	[UDP_C_TO_GUEST_IN_PLACE] = "to_guest_in_place",
	[UDP_C_IN_PLACE_MISS]	= "in_place_miss",
};
static_assert(ARRAY_SIZE(udp_ctr_names) == UDP_C__COUNT,
	      "one name per UDP counter");

static uint64_t udp_ctr[UDP_C__COUNT];

enum udp_state {
	UF_FREE,	/* id not ours */
	UF_OPEN,
	UF_CLOSED,	/* closed, id returned at the end of the iteration */
};

/**
 * struct udp_zc - what a socket expects of its next batch
 * @len:	payload length of every datagram of the last batch, which
 *		fits the MTU; 0: they differed (receive into udp_rxbuf[])
 * @hlen:	header bytes of all their frames (flows of one family)
 */
struct udp_zc {
	size_t len;
	size_t hlen;
};

/**
 * struct udp_listener - a bound socket of an inbound -u rule
 * @w:		epoll registration
 * @gw:		waiting for link room
 * @fd:		owned, open for the life of the process
 * @port:	host port
 * @to_port:	guest port
 * @to_addr:	guest address from the rule; unspec: the guest's own
 * @v6:		AF_INET6 socket (IPv4 peers arrive IPv4-mapped if dual-stack)
 * @zc:		what the next datagrams are expected to be
 */
struct udp_listener {
	struct watch w;
	struct guest_waiter gw;
	int fd;
	bool v6;
	uint16_t port;
	uint16_t to_port;
	union inany to_addr;
	struct udp_zc zc;
};

/**
 * struct udp_flow - one UDP flow, indexed by flow id
 * @w:		epoll registration of @fd
 * @gw:		waiting for link room
 * @state:	enum udp_state
 * @fd:		connected host socket (outbound flows), else -1; owned
 * @lsn:	listener index for inbound flows, else -1
 * @key:	the flow as the guest sees it
 * @peer:	inbound flows: the host peer (replies go there)
 * @peer_port:	its port
 * @local:	inbound flows: the host address the peer addressed, if the
 *		listener is bound to a wildcard (else unspec)
 * @last_ns:	last datagram either way
 * @zc:		outbound flows: what the next replies are expected to be
 * @prev:	idle list (oldest first), or -1
 * @next:	idle list, or closed list
 */
struct udp_flow {
	struct watch w;
	struct guest_waiter gw;
	enum udp_state state;
	int fd;
	int lsn;
	struct flow_key key;
	union inany peer;
	uint16_t peer_port;
	union inany local;
	uint64_t last_ns;
	struct udp_zc zc;
	int prev;
	int next;
};

static struct guest_tx *udp_tx;
static struct flow_conf udp_fc;		/* copy, set by udp_init() */
static size_t udp_mtu;			/* bytes of IP packet, from --mtu */
static struct udp_flow *udp_flows;	/* flow_table_size() entries */
static unsigned int udp_open;
static int idle_head = -1, idle_tail = -1;
static int closed_head = -1;
static struct timer udp_idle_timer;
static uint64_t udp_idle_ns = UDP_IDLE_NS;
static struct ratelimit udp_full_rl;

/* Last global source address the guest used, per family (unspec: none) */
static union inany udp_seen4, udp_seen6;

static struct udp_listener *udp_lsn;
static unsigned int udp_lsn_count;

/* Receive batch: buffers, iovecs, peer addresses */
static uint8_t udp_rxbuf[UDP_BATCH][UDP_DGRAM_MAX + 1];
static struct iovec udp_rxiov[UDP_BATCH];
static struct mmsghdr udp_rxmsg[UDP_BATCH];
static struct sockaddr_in6 udp_rxname[UDP_BATCH];
/* Room for one IP_PKTINFO or IPV6_PKTINFO message per datagram */
#define UDP_CMSG_LEN	CMSG_SPACE(sizeof(struct in6_pktinfo))
static_assert(sizeof(struct in6_pktinfo) >= sizeof(struct in_pktinfo),
	      "control buffer holds either packet info");
static union {
	struct cmsghdr align;
	uint8_t buf[UDP_CMSG_LEN];
} udp_rxctl[UDP_BATCH];
/* Frames to the guest from one receive batch: headers built here, payload
 * left in udp_rxbuf */
static uint8_t udp_hdrs[UDP_BATCH][UDP_FRAME_HDR];
static struct iovec udp_gtx_iov[UDP_BATCH][2];
static unsigned int udp_gtx_n;
/* Receiving in place: the reserved frames, and per datagram where its
 * payload goes (the frame's room past the headers, then the spill into
 * its udp_rxbuf[] past the expected length) */
static struct guest_frame udp_zc_frames[UDP_BATCH];
static struct iovec udp_zc_iov[UDP_BATCH][UDP_ZC_IOV + 1];
static size_t udp_zc_cnt[UDP_BATCH];	/* pieces in the frame, no spill */
/* One ICMP error frame to the guest */
static uint8_t udp_frame[ETH_HLEN + IPV6_HLEN + ICMP_HLEN + IPV6_HLEN +
			 UDP_HLEN];

/*
 * Guest datagrams of one link input pass, in arrival order, sent by
 * udp_batch_end() with one sendmmsg() per host socket. The payloads stay
 * in the link's input buffer, which the link keeps until then.
 */
static struct {
	unsigned int n;
	int fd[UDP_TX_BATCH];			/* host socket, -1: done */
	struct mmsghdr msg[UDP_TX_BATCH];
	struct iovec iov[UDP_TX_BATCH];
	struct sockaddr_storage name[UDP_TX_BATCH];	/* inbound: peer */
	union {
		struct cmsghdr align;
		uint8_t buf[UDP_CMSG_LEN];
	} ctl[UDP_TX_BATCH];			/* inbound: our address */
} udp_txq;
/* The datagrams of one socket, gathered for sendmmsg() */
static struct mmsghdr udp_txsend[UDP_TX_BATCH];

/* Forget what is queued for socket @fd (about to be closed), counted */
static void udp_txq_forget(int fd)
{
	unsigned int i;

	for (i = 0; i < udp_txq.n; i++) {
		if (udp_txq.fd[i] == fd) {
			udp_txq.fd[i] = -1;
			udp_ctr[UDP_C_DROP_SEND]++;
		}
	}
}

static const char *udp_ntop(const union inany *a, char *buf, size_t len)
{
	if (inany_is_v4(a))
		return inet_ntop(AF_INET, &a->v4mapped.a4, buf, (socklen_t)len);
	return inet_ntop(AF_INET6, &a->a6, buf, (socklen_t)len);
}

static bool udp_is_loopback(const union inany *a)
{
	if (inany_is_v4(a))
		return (ntohl(a->v4mapped.a4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

/* Best effort: a larger receive buffer only absorbs bursts better */
static void udp_set_rcvbuf(int fd)
{
	int sz = UDP_RCVBUF;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* Fill a sockaddr for @a:@port in the family of @a; returns its length */
static socklen_t udp_sockaddr(const union inany *a, uint16_t port,
			      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inany_is_v4(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->v4mapped.a4;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->a6;
		return sizeof(*sin6);
	}
}

/* Address and port of a peer from recvmmsg(), IPv4 as IPv4-mapped */
static bool udp_peer_from(const struct sockaddr_in6 *ss, socklen_t len,
			  union inany *a, uint16_t *port)
{
	if (ss->sin6_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)ss;

		inany_from_v4(a, sin->sin_addr);
		*port = ntohs(sin->sin_port);
		return true;
	}
	if (ss->sin6_family == AF_INET6 && len >= sizeof(*ss)) {
		inany_from_v6(a, &ss->sin6_addr);
		*port = ntohs(ss->sin6_port);
		return true;
	}
	return false;
}

/* Idle list: unlink @id */
static void udp_idle_unlink(int id)
{
	struct udp_flow *uf = &udp_flows[id];

	if (uf->prev >= 0)
		udp_flows[uf->prev].next = uf->next;
	else if (idle_head == id)
		idle_head = uf->next;
	if (uf->next >= 0)
		udp_flows[uf->next].prev = uf->prev;
	else if (idle_tail == id)
		idle_tail = uf->prev;
	uf->prev = uf->next = -1;
}

/* Idle list: @id was active at @now_ns, move it to the tail */
static void udp_touch(int id, uint64_t now_ns)
{
	struct udp_flow *uf = &udp_flows[id];

	uf->last_ns = now_ns;
	if (idle_tail == id)
		return;
	udp_idle_unlink(id);
	uf->prev = idle_tail;
	if (idle_tail >= 0)
		udp_flows[idle_tail].next = id;
	else
		idle_head = id;
	idle_tail = id;
	if (!timer_armed(&udp_idle_timer))
		timer_arm(&udp_idle_timer, now_ns + udp_idle_ns);
}

/**
 * udp_flow_close() - release a flow's socket and key now, its id later
 * @id:		an open flow
 * #syscalls: epoll_ctl close
 */
static void udp_flow_close(int id)
{
	struct udp_flow *uf = &udp_flows[id];

	udp_idle_unlink(id);
	guest_tx_unwait(udp_tx, &uf->gw);
	if (uf->fd >= 0) {
		udp_txq_forget(uf->fd);
		loop_del(uf->fd);
		close(uf->fd);
		uf->fd = -1;
	}
	flow_index_del(&uf->key);
	uf->state = UF_CLOSED;
	uf->next = closed_head;
	closed_head = id;
	udp_open--;
}

/* End of loop iteration: give closed ids back to the pool */
static void udp_post(void *arg, uint64_t now_ns)
{
	(void)arg;
	(void)now_ns;
	/* Never left over from a link that ends its batches: the payloads
	 * may be gone, so they are dropped, not sent */
	if (udp_txq.n) {
		unsigned int i;

		for (i = 0; i < udp_txq.n; i++)
			if (udp_txq.fd[i] >= 0)
				udp_ctr[UDP_C_DROP_SEND]++;
		udp_txq.n = 0;
	}
	while (closed_head >= 0) {
		int id = closed_head;

		closed_head = udp_flows[id].next;
		udp_flows[id].next = -1;
		udp_flows[id].state = UF_FREE;
		flow_free(id);
	}
}

/* The oldest flows have been idle long enough: close them */
static void udp_idle_expire(struct timer *t, uint64_t now_ns)
{
	(void)t;
	while (idle_head >= 0 &&
	       udp_flows[idle_head].last_ns + udp_idle_ns <= now_ns) {
		int id = idle_head;

		debug("flow %d udp: idle for %llu ms, closing", id,
		      (unsigned long long)(udp_idle_ns / NSEC_PER_MSEC));
		udp_ctr[UDP_C_FLOWS_EXPIRED]++;
		udp_flow_close(id);
	}
	if (idle_head >= 0)
		timer_arm(&udp_idle_timer,
			  udp_flows[idle_head].last_ns + udp_idle_ns);
}

/**
 * udp_to_guest() - add one datagram for the guest on flow @uf to the batch
 * @data:	the payload, where recvmmsg() put it: the link takes it from
 *		there behind headers built apart (no copy of our own)
 *
 * Sent by udp_to_guest_flush(); too large for the MTU: dropped, counted.
 */
static void udp_to_guest(struct udp_flow *uf, const void *data, size_t len)
{
	size_t iphlen = inany_is_v4(&uf->key.gaddr) ? IPV4_HLEN_MIN : IPV6_HLEN;
	struct iovec *iov = udp_gtx_iov[udp_gtx_n];
	struct frame_addrs a = { 0 };
	struct pkt_builder b;

	if (len + UDP_HLEN + iphlen > udp_mtu) {
		udp_ctr[UDP_C_DROP_TOO_BIG]++;
		return;
	}
	memcpy(a.src_mac, udp_tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, udp_tx->guest_mac, ETH_ALEN);
	a.src = uf->key.raddr;
	a.dst = uf->key.gaddr;
	pb_init(&b, udp_hdrs[udp_gtx_n], sizeof(udp_hdrs[0]));
	b.no_l4_csum = udp_tx->csum_optional;
	if (!frame_udp_hdr(&b, &a, uf->key.rport, uf->key.gport, data, len,
			   UDP_CSUM4)) {
		udp_ctr[UDP_C_DROP_TOO_BIG]++;
		return;
	}
	iov[0].iov_base = udp_hdrs[udp_gtx_n];
	iov[0].iov_len = b.len;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	udp_gtx_n++;
}

/**
 * udp_to_guest_flush() - hand the batch built by udp_to_guest() to the link
 *
 * All frames in one call: the stream link writes them to its socket from
 * where they are. Frames the link refuses are dropped and counted.
 * Return: 0, or -EAGAIN if the link is full (stop reading)
 */
static int udp_to_guest_flush(void)
{
	unsigned int n = udp_gtx_n, sent;
	int rc;

	if (!n)
		return 0;
	udp_gtx_n = 0;
	rc = guest_send_many(udp_tx, &udp_gtx_iov[0][0], 2, n);
	sent = rc < 0 ? 0 : (unsigned int)rc;
	udp_ctr[UDP_C_TO_GUEST] += sent;
	if (sent == n)
		return 0;
	udp_ctr[UDP_C_DROP_GUEST_FULL] += n - sent;
	if (rc == -EAGAIN ||
	    guest_room(udp_tx) < udp_mtu + ETH_HLEN)
		return -EAGAIN;
	return 0;
}

#define ICMP_DEST_UNREACH	3
#define ICMP_PORT_UNREACH	3
#define ICMPV6_DEST_UNREACH	1
#define ICMPV6_PORT_UNREACH	4

/**
 * udp_unreach_to_guest() - the host said port unreachable: tell the guest
 * @uf:		outbound flow whose socket reported ECONNREFUSED
 *
 * The quoted datagram is rebuilt from the flow key (IP and UDP headers,
 * no data): the guest's stack matches errors to sockets by those alone.
 */
static void udp_unreach_to_guest(struct udp_flow *uf)
{
	static uint8_t quote[ETH_HLEN + IPV6_HLEN + UDP_HLEN];
	static uint8_t body[ICMP_HLEN + IPV6_HLEN + UDP_HLEN];
	static const uint8_t no_data;
	bool v4 = inany_is_v4(&uf->key.gaddr);
	struct frame_addrs a = { 0 };
	struct pkt_builder b;
	size_t qlen;

	/* The datagram as the guest sent it; skip its Ethernet header */
	a.src = uf->key.gaddr;
	a.dst = uf->key.raddr;
	pb_init(&b, quote, sizeof(quote));
	if (!frame_udp(&b, &a, uf->key.gport, uf->key.rport, &no_data, 0))
		return;
	qlen = b.len - ETH_HLEN;

	memset(body, 0, ICMP_HLEN);
	body[0] = v4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH;
	body[1] = v4 ? ICMP_PORT_UNREACH : ICMPV6_PORT_UNREACH;
	memcpy(body + ICMP_HLEN, quote + ETH_HLEN, qlen);

	memcpy(a.src_mac, udp_tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, udp_tx->guest_mac, ETH_ALEN);
	a.src = uf->key.raddr;
	a.dst = uf->key.gaddr;
	pb_init(&b, udp_frame, sizeof(udp_frame));
	if (!frame_icmp(&b, &a, body, ICMP_HLEN + qlen))
		return;
	if (guest_send_buf(udp_tx, udp_frame, b.len))
		udp_ctr[UDP_C_DROP_GUEST_FULL]++;
	else
		udp_ctr[UDP_C_UNREACH_TO_GUEST]++;
}

/*
 * How many datagrams to read now: as many largest frames as the link can
 * take. None while it cannot take one largest frame: a datagram read then
 * might have to be dropped, so we leave it in the socket buffer and wait
 * for the link to wake us (links wake waiters once a largest frame fits).
 */
static unsigned int udp_batch_size(void)
{
	size_t room = guest_room(udp_tx);
	size_t frame_max = udp_mtu + ETH_HLEN;

	return (unsigned int)MIN(room / frame_max, UDP_BATCH);
}

/* recvmmsg() into the batch buffers; names only if @names
 * #syscalls: recvmmsg */
static int udp_recv_batch(int fd, unsigned int n, bool names)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		udp_rxiov[i].iov_base = udp_rxbuf[i];
		udp_rxiov[i].iov_len = sizeof(udp_rxbuf[i]);
		memset(&udp_rxmsg[i].msg_hdr, 0, sizeof(udp_rxmsg[i].msg_hdr));
		udp_rxmsg[i].msg_hdr.msg_iov = &udp_rxiov[i];
		udp_rxmsg[i].msg_hdr.msg_iovlen = 1;
		if (names) {
			udp_rxmsg[i].msg_hdr.msg_name = &udp_rxname[i];
			udp_rxmsg[i].msg_hdr.msg_namelen =
				sizeof(udp_rxname[i]);
			udp_rxmsg[i].msg_hdr.msg_control = udp_rxctl[i].buf;
			udp_rxmsg[i].msg_hdr.msg_controllen =
				sizeof(udp_rxctl[i].buf);
		}
	}
	return recvmmsg(fd, udp_rxmsg, n, MSG_DONTWAIT, NULL);
}

/* Header bytes of the frames of flow @uf: Ethernet, IP, UDP */
static size_t udp_frame_hlen(const struct udp_flow *uf)
{
	return ETH_HLEN + UDP_HLEN +
	       (inany_is_v4(&uf->key.gaddr) ? IPV4_HLEN_MIN : IPV6_HLEN);
}

/* Flow of each datagram of the batch at hand, NULL if dropped */
static struct udp_flow *udp_rxflow[UDP_BATCH];

/**
 * udp_zc_expect() - what the next batch on a socket will likely be
 * @zc:		the socket's expectation, updated
 * @got:	datagrams in the batch just handled (lengths in udp_rxmsg[],
 *		flows in udp_rxflow[])
 *
 * All of one length that fits the MTU, for flows of one header length:
 * expect that and receive the next batch in place; else receive into the
 * batch buffers.
 */
static void udp_zc_expect(struct udp_zc *zc, unsigned int got)
{
	size_t len = got ? udp_rxmsg[0].msg_len : 0, hlen = 0;
	unsigned int i;

	for (i = 0; i < got && len; i++) {
		if (!udp_rxflow[i] || udp_rxmsg[i].msg_len != len ||
		    (i && udp_frame_hlen(udp_rxflow[i]) != hlen))
			len = 0;
		else
			hlen = udp_frame_hlen(udp_rxflow[i]);
	}
	if (len && hlen - ETH_HLEN + len > udp_mtu)
		len = 0;
	zc->len = len;
	zc->hlen = hlen;
}

/* Copy what recvmmsg() put in reserved frame @i to udp_rxbuf[@i], which
 * then holds the whole datagram of @len bytes (the rest spilled there) */
static void udp_zc_move_out(unsigned int i, size_t expect, size_t len)
{
	size_t want = MIN(expect, len), done = 0, k;

	for (k = 0; k < udp_zc_cnt[i] && done < want; k++) {
		size_t take = MIN(udp_zc_iov[i][k].iov_len, want - done);

		memcpy(udp_rxbuf[i] + done, udp_zc_iov[i][k].iov_base, take);
		done += take;
	}
}

/* Datagram @i fits the expectation @zc (a shorter one: @shorter) */
static bool udp_zc_fits(const struct udp_zc *zc, unsigned int i, bool shorter)
{
	const struct udp_flow *uf = udp_rxflow[i];

	if (!uf || udp_frame_hlen(uf) != zc->hlen)
		return false;
	if (shorter)
		return udp_rxmsg[i].msg_len < zc->len;
	return udp_rxmsg[i].msg_len == zc->len;
}

static struct udp_flow *udp_inbound(struct udp_listener *l, int i,
				    uint64_t now_ns);

/**
 * udp_recv_in_place() - read a batch straight into link frames
 * @fd:		socket: an outbound flow's (@uf) or a listener's (@l)
 * @uf:		outbound flow, open; NULL for a listener
 * @l:		listener, if @uf is NULL
 * @zc:		the socket's expectation, @zc->len set; updated
 * @n:		datagrams the link has room for (udp_batch_size())
 * @now_ns:	loop time
 *
 * See "In place" at the top. Frames are reserved for @zc->hlen header
 * bytes plus @zc->len; a datagram of another length or header length, or
 * one dropped, ends the frames sent in place (a shorter one is the last
 * of them), and it and the rest are moved out of the reservation before
 * it is committed, then sent as every datagram is otherwise.
 * #syscalls: recvmmsg
 * Return: 0; -EAGAIN: the link is full (pause); -EOPNOTSUPP: the link
 * cannot reserve, nothing was read
 */
static int udp_recv_in_place(int fd, struct udp_flow *uf,
			     struct udp_listener *l, struct udp_zc *zc,
			     unsigned int n, uint64_t now_ns)
{
	size_t hlen = zc->hlen, expect = zc->len, last_len;
	unsigned int i, k, in_place, sent;
	int rc, got;

	rc = guest_reserve(udp_tx, hlen + expect, udp_zc_frames, n);
	if (rc == -EAGAIN)
		return -EAGAIN;
	if (rc < 0)
		return -EOPNOTSUPP;
	k = (unsigned int)rc;
	for (i = 0; i < k; i++) {
		struct iovec *v = udp_zc_iov[i];
		struct msghdr *mh = &udp_rxmsg[i].msg_hdr;
		size_t cnt, have = 0, j;

		cnt = guest_frame_slice(&udp_zc_frames[i], hlen, expect, v,
					UDP_ZC_IOV);
		for (j = 0; j < cnt; j++)
			have += v[j].iov_len;
		if (have != expect)
			break;		/* too many pieces: read fewer */
		udp_zc_cnt[i] = cnt;
		v[cnt].iov_base = udp_rxbuf[i] + expect;
		v[cnt].iov_len = sizeof(udp_rxbuf[i]) - expect;
		memset(mh, 0, sizeof(*mh));
		mh->msg_iov = v;
		mh->msg_iovlen = cnt + 1;
		if (!uf) {
			mh->msg_name = &udp_rxname[i];
			mh->msg_namelen = sizeof(udp_rxname[i]);
			mh->msg_control = udp_rxctl[i].buf;
			mh->msg_controllen = sizeof(udp_rxctl[i].buf);
		}
	}
	if (!i) {
		guest_commit(udp_tx, 0, 0);
		return -EOPNOTSUPP;
	}
	got = recvmmsg(fd, udp_rxmsg, i, MSG_DONTWAIT, NULL);
	if (got <= 0) {
		int err = got < 0 ? errno : 0;

		guest_commit(udp_tx, 0, 0);	/* before any other send */
		if (err == ECONNREFUSED && uf)
			udp_unreach_to_guest(uf);
		else if (err && err != EAGAIN && err != EINTR)
			udp_ctr[UDP_C_HOST_ERRORS]++;
		return 0;
	}
	if (uf)
		udp_touch((int)(uf - udp_flows), now_ns);
	for (i = 0; i < (unsigned int)got; i++)
		udp_rxflow[i] = uf ? uf : udp_inbound(l, (int)i, now_ns);

	/* The run that fits, and a shorter one to end it */
	for (in_place = 0; in_place < (unsigned int)got; in_place++) {
		if (!udp_zc_fits(zc, in_place, false))
			break;
	}
	last_len = expect;
	if (in_place < (unsigned int)got && udp_zc_fits(zc, in_place, true))
		last_len = udp_rxmsg[in_place++].msg_len;
	for (i = in_place; i < (unsigned int)got; i++)
		udp_zc_move_out(i, expect, udp_rxmsg[i].msg_len);

	sent = in_place;
	for (i = 0; i < in_place; i++) {
		const struct udp_flow *f = udp_rxflow[i];
		size_t len = i + 1 == in_place ? last_len : expect;
		struct frame_addrs a = { 0 };
		struct iovec pay[UDP_ZC_IOV];
		struct pkt_builder b;
		size_t cnt;

		memcpy(a.src_mac, udp_tx->our_mac, ETH_ALEN);
		memcpy(a.dst_mac, udp_tx->guest_mac, ETH_ALEN);
		a.src = f->key.raddr;
		a.dst = f->key.gaddr;
		/* The last frame may be shorter: sum only what it holds */
		cnt = guest_frame_slice(&udp_zc_frames[i], hlen, len, pay,
					UDP_ZC_IOV);
		pb_init(&b, udp_hdrs[i], sizeof(udp_hdrs[0]));
		b.no_l4_csum = udp_tx->csum_optional;
		if (!frame_udp_hdr_iov(&b, &a, f->key.rport, f->key.gport,
				       pay, cnt, len, UDP_CSUM4) ||
		    b.len != hlen) {
			/* not expected: the lengths were checked above */
			udp_ctr[UDP_C_DROP_TOO_BIG] += in_place;
			sent = 0;
			break;
		}
		guest_frame_put(&udp_zc_frames[i], 0, udp_hdrs[i], hlen);
	}
	guest_commit(udp_tx, sent, hlen + last_len);
	udp_ctr[UDP_C_TO_GUEST] += sent;
	udp_ctr[UDP_C_TO_GUEST_IN_PLACE] += sent;

	/* Whatever did not fit the expectation, as any other batch */
	for (i = in_place; i < (unsigned int)got; i++) {
		if (!udp_rxflow[i])
			continue;	/* dropped, counted */
		udp_ctr[UDP_C_IN_PLACE_MISS]++;
		udp_to_guest(udp_rxflow[i], udp_rxbuf[i],
			     udp_rxmsg[i].msg_len);
	}
	udp_zc_expect(zc, (unsigned int)got);
	return udp_to_guest_flush();
}

/* Link full: stop reading @fd until guest_tx wakes @gw; #syscalls: epoll_ctl */
static void udp_pause(int fd, struct watch *w, struct guest_waiter *gw)
{
	loop_mod(fd, 0, w);
	guest_tx_wait(udp_tx, gw);
}

static void udp_flow_resume(struct guest_waiter *gw, uint64_t now_ns)
{
	struct udp_flow *uf = container_of(gw, struct udp_flow, gw);

	(void)now_ns;
	if (uf->state == UF_OPEN && uf->fd >= 0)
		loop_mod(uf->fd, EPOLLIN, &uf->w);
}

/* Replies on an outbound flow's connected socket */
static void udp_flow_ready(struct watch *w, uint32_t events, uint64_t now_ns)
{
	struct udp_flow *uf = container_of(w, struct udp_flow, w);
	int id = (int)(uf - udp_flows);
	unsigned int n;
	int i, got;

	(void)events;
	if (uf->state != UF_OPEN || uf->fd < 0)
		return;
	n = udp_batch_size();
	if (!n) {
		udp_pause(uf->fd, &uf->w, &uf->gw);
		return;
	}
	if (uf->zc.len) {
		int rc = udp_recv_in_place(uf->fd, uf, NULL, &uf->zc, n,
					   now_ns);

		if (rc == -EAGAIN)
			udp_pause(uf->fd, &uf->w, &uf->gw);
		if (rc != -EOPNOTSUPP)
			return;
		uf->zc.len = 0;		/* the link cannot: copy this time */
	}
	got = udp_recv_batch(uf->fd, n, false);
	if (got < 0) {
		/* An ICMP error from the host side, now consumed */
		if (errno == ECONNREFUSED)
			udp_unreach_to_guest(uf);
		else if (errno != EAGAIN && errno != EINTR)
			udp_ctr[UDP_C_HOST_ERRORS]++;
		return;
	}
	udp_touch(id, now_ns);
	for (i = 0; i < got; i++) {
		udp_rxflow[i] = uf;
		udp_to_guest(uf, udp_rxbuf[i], udp_rxmsg[i].msg_len);
	}
	udp_zc_expect(&uf->zc, (unsigned int)got);
	if (udp_to_guest_flush())
		udp_pause(uf->fd, &uf->w, &uf->gw);
}

static void udp_warn_full(const struct flow_key *key, uint64_t now_ns)
{
	char a[INET6_ADDRSTRLEN];

	udp_ctr[UDP_C_REFUSED_FULL]++;
	log_ratelimited(&udp_full_rl, now_ns, LOG_LVL_WARN,
			"flow: table full (%u flows): refusing UDP to %s:%u; raise --max-flows",
			flow_table_size(),
			udp_ntop(&key->raddr, a, sizeof(a)) ? a : "?",
			key->rport);
}

/* Take a fresh id for @key and set up the common part; -1 if full */
static int udp_flow_new(const struct flow_key *key, uint64_t now_ns)
{
	struct udp_flow *uf;
	int id = flow_alloc();

	if (id < 0) {
		udp_warn_full(key, now_ns);
		return -1;
	}
	uf = &udp_flows[id];
	memset(uf, 0, sizeof(*uf));
	uf->fd = -1;
	uf->lsn = -1;
	uf->prev = uf->next = -1;
	uf->key = *key;
	uf->w.fn = udp_flow_ready;
	uf->gw.fn = udp_flow_resume;
	return id;
}

/* The new flow @id is complete: index it and start its clock */
static int udp_flow_start(int id, uint64_t now_ns)
{
	struct udp_flow *uf = &udp_flows[id];

	if (flow_index_add(&uf->key, id)) {
		if (uf->fd >= 0) {
			loop_del(uf->fd);
			close(uf->fd);
			uf->fd = -1;
		}
		flow_free(id);
		udp_ctr[UDP_C_DROP_SOCKET]++;
		return -1;
	}
	uf->state = UF_OPEN;
	udp_open++;
	udp_touch(id, now_ns);
	return 0;
}

/**
 * udp_flow_open_out() - a guest datagram to a new destination: connect
 * @key:	the guest's view of the flow
 * #syscalls: socket setsockopt bind connect epoll_ctl close
 * Return: flow id, or -1 (counted)
 */
static int udp_flow_open_out(const struct flow_key *key, uint64_t now_ns)
{
	struct sockaddr_storage ss;
	union inany host;
	struct udp_flow *uf;
	socklen_t sl;
	bool v4;
	int id, fd;

	if (nat_outbound(IPPROTO_UDP, &key->raddr, key->rport, &host)) {
		udp_ctr[UDP_C_DROP_NAT]++;
		return -1;
	}
	id = udp_flow_new(key, now_ns);
	if (id < 0)
		return -1;
	uf = &udp_flows[id];

	v4 = inany_is_v4(&host);
	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		goto out_free;
	udp_set_rcvbuf(fd);
	if (!udp_is_loopback(&host) && nat_bind_outbound(fd, v4))
		goto out_close_fd;
	sl = udp_sockaddr(&host, key->rport, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		goto out_close_fd;
	if (loop_add(fd, EPOLLIN, &uf->w))
		goto out_close_fd;
	uf->fd = fd;
	if (udp_flow_start(id, now_ns))
		return -1;
	udp_ctr[UDP_C_FLOWS_OPENED]++;
	if (log_enabled(LOG_LVL_DEBUG)) {
		char g[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

		debug("flow %d udp %s:%u > %s:%u: open", id,
		      udp_ntop(&key->gaddr, g, sizeof(g)) ? g : "?",
		      key->gport,
		      udp_ntop(&key->raddr, r, sizeof(r)) ? r : "?",
		      key->rport);
	}
	return id;

out_close_fd:
	close(fd);
out_free:
	flow_free(id);
	udp_ctr[UDP_C_DROP_SOCKET]++;
	return -1;
}

/* Remember the guest's source address: inbound flows go there */
static void udp_guest_seen(const union inany *src)
{
	if (inany_is_unspec(src))
		return;
	if (inany_is_v4(src)) {
		udp_seen4 = *src;
		return;
	}
	if (!IN6_IS_ADDR_LINKLOCAL(&src->a6) &&
	    !IN6_IS_ADDR_MULTICAST(&src->a6))
		udp_seen6 = *src;
}

/*
 * Queue entry @i: a reply to the peer of inbound flow @uf, through its
 * listener, from ->local if the listener is bound to a wildcard
 */
static void udp_txq_inbound(unsigned int i, const struct udp_flow *uf)
{
	struct msghdr *mh = &udp_txq.msg[i].msg_hdr;
	struct sockaddr_storage *ss = &udp_txq.name[i];
	struct cmsghdr *c;

	/* A dual-stack listener wants IPv4 peers IPv4-mapped */
	if (inany_is_v4(&uf->peer) && udp_lsn[uf->lsn].v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		memset(ss, 0, sizeof(*ss));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(uf->peer_port);
		sin6->sin6_addr = uf->peer.a6;
		mh->msg_namelen = sizeof(*sin6);
	} else {
		mh->msg_namelen = udp_sockaddr(&uf->peer, uf->peer_port, ss);
	}
	mh->msg_name = ss;
	if (inany_is_unspec(&uf->local))
		return;

	memset(&udp_txq.ctl[i], 0, sizeof(udp_txq.ctl[i]));
	mh->msg_control = udp_txq.ctl[i].buf;
	mh->msg_controllen = sizeof(udp_txq.ctl[i].buf);
	c = CMSG_FIRSTHDR(mh);
	if (inany_is_v4(&uf->local)) {
		struct in_pktinfo pi = {
			.ipi_spec_dst = uf->local.v4mapped.a4,
		};

		c->cmsg_level = SOL_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = uf->local.a6 };

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

/**
 * udp_send_socket() - send the queued datagrams of one host socket
 * @fd:		the socket
 * @m:		its datagrams, in the order the guest sent them
 * @cnt:	how many
 *
 * sendmmsg() stops at the first datagram the kernel refuses and reports
 * only those before it; the refused one is then tried alone: an error
 * the socket had pending (ECONNREFUSED from an earlier ICMP message) is
 * consumed by that try and the datagram goes out on a second one, any
 * other error drops that datagram only, and a full socket buffer drops
 * the rest, as single sends would. Each datagram is tried at most twice.
 * #syscalls: sendmmsg
 */
static void udp_send_socket(int fd, struct mmsghdr *m, unsigned int cnt)
{
	unsigned int done = 0;
	bool retried = false;

	while (done < cnt) {
		int rc = sendmmsg(fd, m + done, cnt - done, MSG_DONTWAIT);

		if (rc > 0) {
			done += (unsigned int)rc;
			udp_ctr[UDP_C_TO_HOST] += (uint64_t)rc;
			retried = false;
			continue;
		}
		if (rc < 0 && (errno == ECONNREFUSED || errno == EINTR) &&
		    !retried) {
			retried = true;
			continue;
		}
		if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			udp_ctr[UDP_C_DROP_SEND] += cnt - done;
			return;
		}
		udp_ctr[UDP_C_DROP_SEND]++;
		done++;
		retried = false;
	}
}

/**
 * udp_batch_end() - send the guest datagrams queued by udp_input()
 * @now_ns:	time of this wakeup
 *
 * Called by the link (through ingress and flow) once the frames of an
 * input pass are done with, before their buffer is reused. Datagrams are
 * grouped by host socket, each group in the guest's order, and each group
 * goes out with one sendmmsg(); a datagram the host refuses does not stop
 * the others.
 */
void udp_batch_end(uint64_t now_ns)
{
	unsigned int n = udp_txq.n, i, j, k;

	(void)now_ns;
	udp_txq.n = 0;
	for (i = 0; i < n; i++) {
		int fd = udp_txq.fd[i];

		if (fd < 0)
			continue;	/* sent with an earlier group */
		for (j = i, k = 0; j < n; j++) {
			if (udp_txq.fd[j] != fd)
				continue;
			udp_txsend[k++] = udp_txq.msg[j];
			udp_txq.fd[j] = -1;
		}
		udp_send_socket(fd, udp_txsend, k);
	}
}

/**
 * udp_input() - a guest datagram: find or open its flow, queue it
 *
 * The payload stays where the link put it; udp_batch_end() sends it.
 */
void udp_input(const struct ip_view *ip, const struct udp_view *udp,
	       struct pkt_cursor payload, uint64_t now_ns)
{
	size_t len = cur_len(&payload);
	const uint8_t *data = cur_peek(&payload, len);
	struct flow_key key;
	struct udp_flow *uf;
	struct msghdr *mh;
	unsigned int i;
	int id;

	if (udp_fc.no_udp || !udp_flows) {
		udp_ctr[UDP_C_DROP_DISABLED]++;
		return;
	}
	udp_guest_seen(&ip->src);
	flow_key_guest(&key, &ip->src, &ip->dst, udp->sport, udp->dport,
		       IPPROTO_UDP);

	id = flow_index_find(&key);
	if (id < 0)
		id = udp_flow_open_out(&key, now_ns);
	if (id < 0)
		return;
	uf = &udp_flows[id];
	udp_touch(id, now_ns);

	/* Earlier payloads of this pass are still valid: send them now */
	if (udp_txq.n == UDP_TX_BATCH)
		udp_batch_end(now_ns);
	i = udp_txq.n++;
	udp_txq.iov[i].iov_base = (void *)data;
	udp_txq.iov[i].iov_len = len;
	mh = &udp_txq.msg[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &udp_txq.iov[i];
	mh->msg_iovlen = 1;
	if (uf->fd >= 0) {
		udp_txq.fd[i] = uf->fd;
	} else {
		udp_txq.fd[i] = udp_lsn[uf->lsn].fd;
		udp_txq_inbound(i, uf);
	}
}

static void udp_lsn_resume(struct guest_waiter *gw, uint64_t now_ns)
{
	struct udp_listener *l = container_of(gw, struct udp_listener, gw);

	(void)now_ns;
	loop_mod(l->fd, EPOLLIN, &l->w);
}

/* The local address datagram @i was sent to, from its packet info */
static void udp_local_from(const struct msghdr *mh, union inany *local)
{
	const struct cmsghdr *c;

	memset(local, 0, sizeof(*local));
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh,
						       (struct cmsghdr *)c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inany_from_v4(local, pi.ipi_addr);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inany_from_v6(local, &pi.ipi6_addr);
		}
	}
}

/**
 * udp_inbound() - datagram @i of the batch arrived on listener @l
 * Return: its flow (found or opened, touched), NULL if it is dropped
 * (counted); the caller sends its frame
 */
static struct udp_flow *udp_inbound(struct udp_listener *l, int i,
				    uint64_t now_ns)
{
	const struct mmsghdr *m = &udp_rxmsg[i];
	union inany peer, gsrc;
	struct flow_key key;
	struct udp_flow *uf;
	uint16_t pport;
	int id;

	if (!udp_peer_from(&udp_rxname[i], m->msg_hdr.msg_namelen, &peer,
			   &pport)) {
		udp_ctr[UDP_C_DROP_FAMILY]++;
		return NULL;
	}
	if (nat_inbound(&peer, &gsrc)) {
		udp_ctr[UDP_C_DROP_NAT]++;
		return NULL;
	}
	memset(&key, 0, sizeof(key));
	if (!inany_is_unspec(&l->to_addr))
		key.gaddr = l->to_addr;
	else if (inany_is_v4(&gsrc))
		key.gaddr = inany_is_unspec(&udp_seen4) ? udp_fc.guest4 :
							  udp_seen4;
	else
		key.gaddr = inany_is_unspec(&udp_seen6) ? udp_fc.guest6 :
							  udp_seen6;
	if (inany_is_unspec(&key.gaddr) ||
	    inany_is_v4(&key.gaddr) != inany_is_v4(&gsrc)) {
		udp_ctr[UDP_C_DROP_FAMILY]++;
		return NULL;
	}
	key.raddr = gsrc;
	key.gport = l->to_port;
	key.rport = pport;
	key.proto = IPPROTO_UDP;

	id = flow_index_find(&key);
	if (id < 0) {
		id = udp_flow_new(&key, now_ns);
		if (id < 0)
			return NULL;
		uf = &udp_flows[id];
		uf->lsn = (int)(l - udp_lsn);
		uf->peer = peer;
		uf->peer_port = pport;
		udp_local_from(&m->msg_hdr, &uf->local);
		if (udp_flow_start(id, now_ns))
			return NULL;
		udp_ctr[UDP_C_FLOWS_INBOUND]++;
		if (log_enabled(LOG_LVL_DEBUG)) {
			char r[INET6_ADDRSTRLEN];

			debug("flow %d udp: host port %u from %s:%u, to guest port %u",
			      id, l->port,
			      udp_ntop(&peer, r, sizeof(r)) ? r : "?", pport,
			      l->to_port);
		}
	}
	udp_touch(id, now_ns);
	return &udp_flows[id];
}

/* Datagrams from host peers on a forwarded port */
static void udp_lsn_ready(struct watch *w, uint32_t events, uint64_t now_ns)
{
	struct udp_listener *l = container_of(w, struct udp_listener, w);
	unsigned int n = udp_batch_size();
	int i, got;

	(void)events;
	if (!n) {
		udp_pause(l->fd, &l->w, &l->gw);
		return;
	}
	if (l->zc.len) {
		int rc = udp_recv_in_place(l->fd, NULL, l, &l->zc, n, now_ns);

		if (rc == -EAGAIN)
			udp_pause(l->fd, &l->w, &l->gw);
		if (rc != -EOPNOTSUPP)
			return;
		l->zc.len = 0;		/* the link cannot: copy this time */
	}
	got = udp_recv_batch(l->fd, n, true);
	if (got < 0) {
		if (errno != EAGAIN && errno != EINTR)
			udp_ctr[UDP_C_HOST_ERRORS]++;
		return;
	}
	for (i = 0; i < got; i++) {
		udp_rxflow[i] = udp_inbound(l, i, now_ns);
		if (udp_rxflow[i])
			udp_to_guest(udp_rxflow[i], udp_rxbuf[i],
				     udp_rxmsg[i].msg_len);
	}
	udp_zc_expect(&l->zc, (unsigned int)got);
	if (udp_to_guest_flush())
		udp_pause(l->fd, &l->w, &l->gw);
}

/**
 * udp_listen() - open and register one bound socket of rule @r
 * #syscalls: socket setsockopt bind epoll_ctl close
 * @l:		the listener to fill (port fields already set)
 * @family:	AF_INET or AF_INET6
 * @v6only:	for AF_INET6: refuse IPv4 (false: dual-stack)
 * @addr:	address to bind, unspec for the wildcard
 * Return: 0 or -errno
 */
static int udp_listen(struct udp_listener *l, const struct fwd_rule *r,
		      int family, bool v6only, const union inany *addr)
{
	struct sockaddr_storage ss;
	int one = 1, v6o = v6only;
	socklen_t sl;
	int fd, rc;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	udp_set_rcvbuf(fd);
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6o, sizeof(v6o)))
		goto out_errno;
	if (udp_fc.freebind &&
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)))
		goto out_errno;
	if (r->bind_if[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->bind_if,
		       (socklen_t)strnlen(r->bind_if, IFNAMSIZ)))
		goto out_errno;

	/* Wildcard: learn each datagram's local address to reply from it */
	if (inany_is_unspec(addr) &&
	    (setsockopt(fd, SOL_IP, IP_PKTINFO, &one, sizeof(one)) ||
	     (family == AF_INET6 &&
	      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			 sizeof(one)))))
		goto out_errno;

	if (!inany_is_unspec(addr)) {
		sl = udp_sockaddr(addr, l->port, &ss);
	} else if (family == AF_INET) {
		struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
		union inany a;

		inany_from_v4(&a, any);
		sl = udp_sockaddr(&a, l->port, &ss);
	} else {
		union inany a = { .a6 = IN6ADDR_ANY_INIT };

		sl = udp_sockaddr(&a, l->port, &ss);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto out_errno;

	l->fd = fd;
	l->v6 = family == AF_INET6;
	l->w.fn = udp_lsn_ready;
	l->gw.fn = udp_lsn_resume;
	rc = loop_add(fd, EPOLLIN, &l->w);
	if (rc) {
		l->fd = -1;
		close(fd);
		return rc;
	}
	return 0;

out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

/* Open the socket(s) of host port @port of rule @r; 0 or -errno */
static int udp_listen_port(const struct fwd_rule *r, uint16_t port)
{
	union inany none = { 0 };
	struct udp_listener *l;
	int rc;

	if (udp_lsn_count >= UDP_LISTEN_MAX)
		return -ENOSPC;
	l = &udp_lsn[udp_lsn_count];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->port = port;
	l->to_port = (uint16_t)(r->to_first + (port - r->first));
	l->to_addr = r->to_addr;

	if (!inany_is_unspec(&r->bind_addr))
		rc = udp_listen(l, r, inany_is_v4(&r->bind_addr) ?
				AF_INET : AF_INET6, true, &r->bind_addr);
	else if (r->bind_any4 || (udp_fc.ip4 && !udp_fc.ip6))
		rc = udp_listen(l, r, AF_INET, false, &none);
	else if (!udp_fc.ip4)
		rc = udp_listen(l, r, AF_INET6, true, &none);
	else {
		rc = udp_listen(l, r, AF_INET6, false, &none);
		if (rc == -EAFNOSUPPORT)
			rc = udp_listen(l, r, AF_INET, false, &none);
	}
	if (!rc)
		udp_lsn_count++;
	return rc;
}

/* Descriptors open in this process now (before the sandbox: reads /proc) */
static unsigned int udp_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * How many listening sockets we may open: the descriptor limit, less what
 * is open already, less one per flow and some spare, so that "-u all"
 * cannot leave nothing for the flows themselves.
 */
static size_t udp_listen_budget(void)
{
	size_t reserve = (size_t)flow_table_size() + UDP_FD_SPARE;
	size_t open_now = udp_fds_open();
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UDP_LISTEN_MAX;
	if (rl.rlim_cur <= reserve + open_now)
		return 0;
	return MIN((size_t)(rl.rlim_cur - reserve - open_now),
		   (size_t)UDP_LISTEN_MAX);
}

/* Bind every port of every -u rule; 0, or -errno for a required port */
static int udp_listen_all(void)
{
	size_t total = 0, budget;
	bool warned = false;
	int i;

	for (i = 0; i < udp_fc.udp_fwd_count; i++)
		total += (size_t)udp_fc.udp_fwd[i].last -
			 udp_fc.udp_fwd[i].first + 1;
	if (!total)
		return 0;
	total = MIN(total, (size_t)UDP_LISTEN_MAX);
	udp_lsn = calloc(total, sizeof(*udp_lsn));
	if (!udp_lsn)
		return -ENOMEM;
	budget = udp_listen_budget();

	for (i = 0; i < udp_fc.udp_fwd_count; i++) {
		const struct fwd_rule *r = &udp_fc.udp_fwd[i];
		unsigned int p;

		for (p = r->first; p <= r->last; p++) {
			int rc;

			if (udp_lsn_count >= budget) {
				if (!r->best_effort) {
					err("udp: cannot listen on host port %u: would leave too few file descriptors for %u flows; raise the limit (ulimit -n) or lower --max-flows",
					    p, flow_table_size());
					return -EMFILE;
				}
				if (!warned)
					warn("udp: forwarding only %u ports, up to host port %u: file descriptor limit; raise it (ulimit -n) or lower --max-flows",
					     udp_lsn_count, p - 1);
				warned = true;
				break;
			}
			rc = udp_listen_port(r, (uint16_t)p);

			if (!rc)
				continue;
			if (!r->best_effort) {
				err("udp: cannot listen on host port %u: %s",
				    p, strerror(-rc));
				return rc;
			}
			if ((rc == -EMFILE || rc == -ENFILE || rc == -ENOSPC) &&
			    !warned) {
				warn("udp: out of sockets at host port %u: forwarding only %u ports",
				     p, udp_lsn_count);
				warned = true;
			}
		}
	}
	return 0;
}

/**
 * udp_init() - set up UDP: per-flow state, counters, -u listeners
 * @fc:		flow configuration (copied)
 * @tx:		the way to the guest
 *
 * flow_table_init() must have run: per-flow state is sized from it.
 * Return: 0, -ENOMEM, or -errno from a -u port that could not be bound
 */
int udp_init(const struct flow_conf *fc, struct guest_tx *tx)
{
	unsigned int n = flow_table_size(), i;
	int rc;

	udp_fc = *fc;
	udp_tx = tx;
	udp_mtu = fc->mtu > 0 ? (size_t)fc->mtu : 65520;

	rc = stats_register("udp", udp_ctr_names, udp_ctr, UDP_C__COUNT);
	if (rc)
		return rc;
	timer_init(&udp_idle_timer, udp_idle_expire);
	rc = loop_add_post(udp_post, NULL);
	if (rc)
		return rc;

	free(udp_flows);
	udp_flows = calloc(n ? n : 1, sizeof(*udp_flows));
	if (!udp_flows)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		udp_flows[i].fd = -1;
		udp_flows[i].lsn = -1;
		udp_flows[i].prev = udp_flows[i].next = -1;
	}
	idle_head = idle_tail = closed_head = -1;
	udp_open = 0;
	memset(&udp_seen4, 0, sizeof(udp_seen4));
	memset(&udp_seen6, 0, sizeof(udp_seen6));
	if (fc->no_udp)
		return 0;
	return udp_listen_all();
}

/**
 * udp_set_idle() - change the idle timeout (tests)
 * @idle_ns:	new timeout; the check is re-armed for the oldest flow
 */
void udp_set_idle(uint64_t idle_ns)
{
	udp_idle_ns = idle_ns;
	timer_cancel(&udp_idle_timer);
	if (idle_head >= 0)
		timer_arm(&udp_idle_timer,
			  udp_flows[idle_head].last_ns + udp_idle_ns);
}

unsigned int udp_flow_count(void)
{
	return udp_open;
}
