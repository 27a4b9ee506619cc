// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/tcp.c - the guest's TCP connections, carried on host sockets
 *
 * Theory of operation (the long version is docs/design/tcp.md):
 *
 * Each guest connection is terminated here and carried on one host socket.
 * Outbound: a guest SYN opens a non-blocking socket and connect()s it to
 * the mapped destination; the guest gets its SYN-ACK only once the host
 * side is connected, or a RST if that fails. Inbound (-t): an accepted
 * socket becomes a connection, and we send the SYN to the guest.
 *
 * Host to guest: data the guest has not acknowledged stays in the host
 * socket's receive buffer. We read it with MSG_PEEK, which advances the
 * socket's peek offset (SO_PEEK_OFF), so the next peek starts at the
 * first byte never sent. When the guest acknowledges bytes, we discard
 * them with recv(MSG_TRUNC), which moves the peek offset back by as much;
 * once per iteration, from the post hook, for all the ACKs it brought.
 * So: peek offset == snd_nxt - snd_una. A retransmission peeks again
 * what the guest's SACK blocks say it lacks (tcp_send_holes(), the peek
 * offset moved there and back), or without SACK rewinds the peek offset
 * to 0 and snd_nxt to snd_una (go-back-N). We read only as much as
 * the guest's window and the link's room allow; the kernel's receive
 * buffer filling up is the back-pressure on the host peer. The peek lands
 * in the link itself (guest_reserve()), behind room for the headers,
 * which are written from a template once each segment is summed.
 *
 * Guest to host: the in-order segments of one batch of guest frames (a
 * stream read, a vhost-user kick) are gathered per connection and written
 * with one sendmsg() when the link ends the batch (flow_batch_end()),
 * while the payloads are still in its buffer; what the socket does not
 * take is not acknowledged (the guest sends it again). The window we
 * advertise is a promise the send buffer can keep (tcp_sndbuf_free()),
 * asked of the socket only once half of it is used up. Out-of-order
 * segments wait in a bounded holding area (tcp_ooo.c), answered at once
 * with a duplicate ACK carrying SACK blocks.
 *
 * ACKs for in-order data are held back for up to TCP_DELACK_NS so that
 * the host's reply carries them (one frame per request/response instead
 * of two), but never past TCP_ACK_EVERY_SEGS segments, a window running
 * low or a window update; anything unusual is answered at once.
 * Host sockets are edge-triggered (EPOLLET): peeked bytes keep them
 * readable until the guest acknowledges them.
 *
 * FIN each way on its own (half-close): guest FIN -> shutdown(SHUT_WR);
 * host EOF -> FIN to the guest once it acknowledged every byte. RST each
 * way: guest RST -> close with SO_LINGER 0; host error -> RST to the guest.
 * No TIME_WAIT here. Half-closed connections expire after
 * TCP_HALF_CLOSED_S without activity (their own timer); any established
 * one after TCP_IDLE_TIMEOUT_S without a segment either way, found by a
 * sweep every eighth of that (tcp_sweep()): reset both ways.
 */
#include <errno.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/idq.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/tcp.h"
#include "flow/tcp_fwd.h"
#include "flow/tcp_ooo.h"
#include "flow/tcp_sack.h"
#include "flow/tcp_seq.h"
#include "packet/build.h"
#include "packet/csum.h"

#define TCP_PEEK_BUF		(1 << 20)	/* bytes peeked per read */
#define TCP_BATCH		(1 << 20)	/* peeked into the link per read */
#define TCP_PEEK_IOV		1023	/* UIO_MAXIOV, less the discard one */
#define TCP_DISCARD_BUF		(16 << 20)	/* without SO_PEEK_OFF */
#define TCP_FRAME_BUF		(ETH_HLEN + IPV6_HLEN + 60)	/* no data */
#define TCP_CONNECT_TIMEOUT_S	30
#define TCP_SYN_RETRIES		6	/* SYN and SYN-ACK to the guest */
#define TCP_RTX_RETRIES		12	/* about 3 minutes with backoff */
#define TCP_HALF_CLOSED_S	600	/* idle half-closed flows expire */
/*
 * An established connection with no segment either way for this long is
 * reset both ways: the guest or the host peer may have gone without a FIN
 * or RST, and only --max-flows would end it. RFC 5382 REQ-5 allows no less
 * than 2 hours 4 minutes, so that keepalives at their usual 2 hours keep a
 * connection. tests/harness/meson.build builds a daemon for the system
 * tests with it shortened; the daemon itself has no way to change it.
 */
#ifndef TCP_IDLE_TIMEOUT_S
#define TCP_IDLE_TIMEOUT_S	7440
#endif
#define TCP_SWEEP_NS		(TCP_IDLE_TIMEOUT_S * NSEC_PER_SEC / 8)
#define TCP_PERSIST_MAX_MS	10000	/* zero window probes, backed off */
#define TCP_DUP_ACK_THRESH	3	/* RFC 5681 fast retransmit */
#define TCP_OPTS_SYN_LEN	12	/* MSS, window scale, SACK-permitted */
#define TCP_OPTS_ACK_LEN	36	/* 2 NOPs, SACK with 4 blocks */
#define TCP_GATHER_SEGS		128	/* guest segments per sendmsg() */
#define TCP_GATHER_CONNS	8	/* connections gathering at once */
#define TCP_DELACK_NS		(1000 * 1000ULL)	/* longest ACK hold */
#define TCP_ACK_EVERY_SEGS	2	/* ACK at least every 2 segments */
#define TCP_WND_LG_BASE		8	/* @wnd_lg: bit length - 8, 4 bits */

enum tcp_state {
	TCP_S_FREE = 0,
	TCP_S_CONNECTING,	/* guest SYN seen, host connect() pending */
	TCP_S_SYN_RCVD,		/* SYN-ACK sent to the guest */
	TCP_S_SYN_SENT,		/* inbound: SYN sent to the guest */
	TCP_S_ESTABLISHED,	/* data; FINs tracked by flags */
	TCP_S_CLOSED,		/* done, freed by the post hook */
	TCP_S__COUNT
};

static const char *const tcp_state_str[] = {
	"FREE", "CONNECTING", "SYN_RCVD", "SYN_SENT", "ESTABLISHED", "CLOSED",
};
static_assert(ARRAY_SIZE(tcp_state_str) == TCP_S__COUNT, "state names");

enum tcp_timer_kind {
	TCP_T_NONE,
	TCP_T_CONNECT,		/* host connect() deadline */
	TCP_T_RTX,		/* SYN, SYN-ACK, data or FIN retransmission */
	TCP_T_PERSIST,		/* zero window probe */
	TCP_T_IDLE,		/* half-closed flow expiry */
	TCP_T__COUNT
};

/**
 * struct tcp_conn - one guest TCP connection
 * @tmr:	the one timer, its purpose in @tkind; written by the loop
 * @fd:		host socket, owned; -1 once closed
 * @ev:		epoll events registered for @fd
 * @in_epoll:	@fd is registered with the loop
 * @snd_una:	oldest data byte to the guest not acknowledged
 * @snd_nxt:	next data byte to send (rewound on retransmission)
 * @snd_max:	one past the highest data byte ever sent
 * @rcv_nxt:	next byte expected from the guest
 * @wnd_guest:	guest's receive window in bytes (scaled)
 * @wnd_raw:	raw window field of the last guest segment (dup ACKs)
 * @wnd_sent:	window field in the last segment we sent
 * @wnd_lg:	bit length of the window in bytes the socket gave last
 *		(SO_MEMINFO), less TCP_WND_LG_BASE; 0: ask it next time
 * @seg_owed:	in-order guest segments since our last ACK (saturates)
 * @ack_sent:	acknowledgement number in the last segment we sent
 * @recover:	snd_max when fast retransmit or, with SACK, a timeout began
 *		(RFC 6582, RFC 6675 section 5.1)
 * @rto_ms:	current retransmission timeout
 * @persist_ms:	current zero window probe interval
 * @active_s:	last time anything happened (tcp_secs()): a guest segment,
 *		data or FIN to the guest, data written to the host; for
 *		half-closed and idle expiry
 * @mss:	largest payload per segment to the guest
 */
struct tcp_conn {
	uint32_t tmr;		/* timer handle (core/loop.h), 0: disarmed */
	int fd;
	uint32_t ev;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;
	uint32_t rcv_nxt;
	uint32_t wnd_guest;
	uint32_t ack_sent;
	uint32_t recover;
	uint32_t active_s;
	unsigned int state : 3;		/* enum tcp_state */
	unsigned int tkind : 3;		/* enum tcp_timer_kind */
	unsigned int ws_guest : 4;	/* shift the guest applies to its window */
	unsigned int ws_ours : 4;	/* shift we apply to ours (0: not agreed) */
	unsigned int retries : 4;
	bool v4 : 1;
	bool in_epoll : 1;
	bool host_eof : 1;	/* host sent FIN (peek returned 0) */
	bool guest_fin : 1;	/* guest FIN received, SHUT_WR done */
	bool fin_sent : 1;	/* our FIN (at snd_max) sent */
	bool fin_acked : 1;
	bool in_recovery : 1;
	bool out_full : 1;	/* last write to the host socket fell short */
	bool ack_queued : 1;	/* on the post hook's ACK list */
	bool free_queued : 1;	/* on the post hook's free list */
	bool disc_queued : 1;	/* on the post hook's discard list */
	bool inbound : 1;
	bool sack_ok : 1;	/* SACK-permitted agreed (RFC 2018) */
	bool ooo_used : 1;	/* tcp.ooo[id] set up */
	uint16_t wnd_raw;
	uint16_t wnd_sent;
	uint16_t mss;
	uint16_t rto_ms;
	uint16_t persist_ms;
	unsigned int dup_acks : 7;	/* wraps: only 3 matters */
	bool sb_used : 1;	/* tcp.sb[id] holds this connection's */
	unsigned int wnd_lg : 4;
	unsigned int seg_owed : 2;
	bool rd_pending : 1;	/* EPOLLIN taken while a discard waited */
	bool host_rdhup : 1;	/* EPOLLRDHUP seen: peek until the EOF */
};

/*
 * Memory per connection is what an idle guest connection costs us (plus
 * 5 bytes of flow table, docs/PERFORMANCE.md): keep it within a cache line.
 */
static_assert(sizeof(struct tcp_conn) <= 64, "struct tcp_conn grew past 64 bytes");
static_assert(TCP_S__COUNT <= 8 && TCP_T__COUNT <= 8, "state and tkind: 3 bits");
static_assert(TCP_SYN_RETRIES < 15 && TCP_RTX_RETRIES < 15, "retries: 4 bits");
static_assert(TCP_RTO_MAX_MS <= UINT16_MAX && TCP_PERSIST_MAX_MS <= UINT16_MAX,
	      "rto_ms, persist_ms: 16 bits");

enum tcp_ctr {
	TCP_C_SYN_OUT,		/* guest SYNs opening a connection */
	TCP_C_ACCEPTED,		/* inbound connections accepted */
	TCP_C_ESTABLISHED,
	TCP_C_REFUSED,		/* host connect() failed */
	TCP_C_NAT_DENIED,	/* destination the guest may not reach */
	TCP_C_FLOWS_FULL,	/* --max-flows reached */
	TCP_C_NO_FLOW,		/* segment for no connection: RST */
	TCP_C_RST_FROM_GUEST,
	TCP_C_RST_TO_GUEST,
	TCP_C_OOO_DROP,		/* out-of-order guest data dropped */
	TCP_C_OOO_HELD,		/* out-of-order guest data kept */
	TCP_C_DUP_DATA,		/* guest data we already had */
	TCP_C_OUT_FULL,		/* guest data not written: socket full */
	TCP_C_DUP_ACK,
	TCP_C_FAST_RTX,
	TCP_C_RTO,
	TCP_C_RTX_BYTES,	/* data bytes to the guest sent again */
	TCP_C_PROBE,		/* zero window probes */
	TCP_C_EXPIRED,		/* half-closed flows timed out */
	TCP_C_EXPIRED_IDLE,	/* established flows idle too long */
	TCP_C_GIVE_UP,		/* retransmission limit reached */
	TCP_C_DISABLED,		/* --no-tcp */
	TCP_C_BAD,		/* unexpected segment dropped */
	TCP_C_LINK_FULL,	/* waits for room on the link */
	TCP_C_TIMER_FULL,	/* could not arm a timer */
	TCP_C_ACK_HELD,		/* ACKs held back for a reply to carry */
	TCP_C_ACK_TIMER,	/* held ACKs no reply came for in time */
	TCP_C_GATHERED,		/* guest segments written by one sendmsg() */
	TCP_C__COUNT
};

static const char *const tcp_ctr_names[] = {
	"syn_out", "accepted", "established", "refused", "nat_denied",
	"flows_full", "no_flow", "rst_from_guest", "rst_to_guest",
	"ooo_drop", "ooo_held", "dup_data", "out_full", "dup_ack", "fast_rtx",
	"rto", "rtx_bytes", "probe", "expired", "expired_idle", "give_up",
	"disabled", "bad", "link_full", "timer_full", "ack_held", "ack_timer",
	"gathered",
};
static_assert(ARRAY_SIZE(tcp_ctr_names) == TCP_C__COUNT, "counter names");

/**
 * struct tcp_disc - a connection whose acknowledged bytes wait for the
 * post hook to drop them from the socket in one recv()
 * @id:		connection
 * @head:	sequence number of the first byte still in the socket
 */
struct tcp_disc {
	int id;
	uint32_t head;
};

/**
 * struct tcp_held - an ACK held back for a reply to carry
 * @deadline:	loop time by which it goes out as a pure ACK
 * @id:		connection
 * @seq:	its rcv_nxt then: nothing to do once @ack_sent reached it
 */
struct tcp_held {
	uint64_t deadline;
	int id;
	uint32_t seq;
};

/**
 * struct tcp_gather - in-order guest segments waiting for one sendmsg()
 * @iov:	payloads, pointing into the link's receive buffer
 * @slot:	which connection of @id each entry belongs to
 * @segs:	entries used
 * @id:		connection of each slot, -1 once it was closed
 * @bytes:	payload bytes gathered per slot
 * @conns:	slots used
 *
 * Valid only until tcp_batch_end(): the link then reuses its buffer.
 */
struct tcp_gather {
	struct iovec iov[TCP_GATHER_SEGS];
	uint8_t slot[TCP_GATHER_SEGS];
	unsigned int segs;
	int id[TCP_GATHER_CONNS];
	uint32_t bytes[TCP_GATHER_CONNS];
	unsigned int conns;
};

static struct tcp {
	struct guest_tx *tx;
	const struct flow_conf *fc;
	struct tcp_conn *conns;		/* [max_flows], by flow id */
	struct tcp_ooo_q *ooo;		/* [max_flows], by flow id: guest
					 * segments held after a hole, set up
					 * on first use (ooo_used) */
	struct tcp_sb *sb;		/* [max_flows], by flow id: what the
					 * guest SACKed of our data, set up
					 * at its first SACK block (sb_used) */
	unsigned int kind;		/* loop kind: fd events and timers */
	struct idq waitq;		/* ids waiting for room on the link */
	struct guest_waiter gw;		/* on the link's list while waitq is
					 * not empty */
	unsigned int max_flows;
	int *ack_list;			/* ids waiting for an ACK */
	unsigned int ack_count;
	struct tcp_held *held_list;	/* ACKs held back, a ring of
					 * max_flows in deadline order */
	unsigned int held_head;		/* oldest entry */
	unsigned int held_count;
	struct timer delack;		/* sends the held ACKs */
	struct timer sweep;		/* idle expiry, every TCP_SWEEP_NS */
	unsigned int id_hi;		/* highest connection id used + 1 */
	struct tcp_gather gather;
	int *free_list;			/* ids closed this iteration */
	unsigned int free_count;
	struct tcp_disc *disc_list;	/* acknowledged, not yet discarded */
	unsigned int disc_count;
	uint64_t post_ns;		/* loop_now() when tcp_post() last ran */
	unsigned int conn_count;
	uint8_t *peek_buf;		/* TCP_PEEK_BUF, links without reserve */
	struct iovec peek_iov[TCP_PEEK_IOV + 1];	/* [0]: discard */
	struct guest_frame frames[GUEST_RESERVE_MAX];
	uint8_t *frame_buf;		/* TCP_FRAME_BUF */
	uint8_t *discard_buf;		/* without SO_PEEK_OFF only */
	bool peek_off;			/* kernel supports SO_PEEK_OFF on TCP */
	struct ratelimit rl_full;
	uint64_t ctr[TCP_C__COUNT];
} tcp;

static void tcp_close(struct tcp_conn *c, bool rst_host, bool rst_guest);
static void tcp_send_data(struct tcp_conn *c, uint64_t now);
static void tcp_timer_update(struct tcp_conn *c, uint64_t now, bool restart);
static ssize_t tcp_host_write(void *ctx, const void *p, size_t len);

unsigned int tcp_conn_count(void)
{
	return tcp.conn_count;
}

/* ---- small helpers --------------------------------------------------- */

/* Loop time in whole seconds, for @active_s (136 years before it wraps) */
static inline uint32_t tcp_secs(uint64_t now)
{
	return (uint32_t)(now / NSEC_PER_SEC);
}

/* When a half-closed connection without activity expires */
static inline uint64_t tcp_idle_deadline(const struct tcp_conn *c)
{
	return ((uint64_t)c->active_s + TCP_HALF_CLOSED_S) * NSEC_PER_SEC;
}

/* The flow id: the connection's index in tcp.conns */
static inline uint32_t tcp_id(const struct tcp_conn *c)
{
	return (uint32_t)(c - tcp.conns);
}

/*
 * The flow as the guest sees it: kept once, in the flow index. Good until
 * the index changes (tcp_conn_new(), tcp_close()); copy what must outlive
 * that.
 */
static inline const struct flow_key *tcp_key(const struct tcp_conn *c)
{
	return flow_key_of((int)tcp_id(c));
}

/* The connection's out-of-order queue, set up on first use */
static struct tcp_ooo_q *tcp_ooo(struct tcp_conn *c)
{
	struct tcp_ooo_q *q = &tcp.ooo[tcp_id(c)];

	if (!c->ooo_used) {
		tcp_ooo_qinit(q);
		c->ooo_used = true;
	}
	return q;
}

/* Does the connection hold guest segments after a hole? */
static bool tcp_ooo_held(const struct tcp_conn *c)
{
	return c->ooo_used && tcp.ooo[tcp_id(c)].head >= 0;
}

/* The connection's SACK scoreboard, set up (empty) on first use */
static struct tcp_sb *tcp_sb(struct tcp_conn *c)
{
	struct tcp_sb *sb = &tcp.sb[tcp_id(c)];

	if (!c->sb_used) {
		tcp_sb_init(sb, c->snd_una);
		c->sb_used = true;
	}
	return sb;
}

/* Are there holes the guest's SACK blocks left to send again now? */
static bool tcp_sack_due(const struct tcp_conn *c)
{
	uint32_t start, len;

	return c->in_recovery && c->sb_used &&
	       tcp_sb_next_hole(&tcp.sb[tcp_id(c)], c->snd_una, c->snd_max,
				c->mss, &start, &len);
}

/* Wait for room on the link: tcp_room_wake() calls back */
static void tcp_link_wait(struct tcp_conn *c)
{
	idq_push(&tcp.waitq, tcp_id(c));
	guest_tx_wait(tcp.tx, &tcp.gw);
}

static bool tcp_link_waiting(const struct tcp_conn *c)
{
	return idq_queued(&tcp.waitq, tcp_id(c));
}

static void tcp_set_state(struct tcp_conn *c, enum tcp_state s)
{
	if (log_enabled(LOG_LVL_DEBUG))
		debug("flow %u tcp port %u > %u: %s -> %s", tcp_id(c),
		      tcp_key(c)->gport, tcp_key(c)->rport,
		      tcp_state_str[c->state], tcp_state_str[s]);
	c->state = s;
}

/*
 * A random initial sequence number, from a pool refilled 64 at a time (one
 * getrandom() per 64 connections, not per connection); #syscalls: getrandom
 */
static uint32_t tcp_isn(void)
{
	static uint32_t pool[64];
	static unsigned int left;

	if (!left) {
		if (getrandom(pool, sizeof(pool), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(pool))
			return (uint32_t)clock_now_ns() * 2654435761u;
		left = ARRAY_SIZE(pool);
	}
	return pool[--left];
}

socklen_t tcp_sockaddr(const union inany *a, uint16_t port,
		       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inany_is_v4(a)) {
		struct sockaddr_in *sa = (struct sockaddr_in *)ss;

		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		sa->sin_addr = a->v4mapped.a4;
		return sizeof(*sa);
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;

		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(port);
		sa->sin6_addr = a->a6;
		return sizeof(*sa);
	}
}

void tcp_from_sockaddr(const struct sockaddr_storage *ss, union inany *a,
		       uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;

		inany_from_v4(a, sa->sin_addr);
		*port = ntohs(sa->sin_port);
	} else {
		const struct sockaddr_in6 *sa =
			(const struct sockaddr_in6 *)ss;

		inany_from_v6(a, &sa->sin6_addr);
		*port = ntohs(sa->sin6_port);
	}
}

static bool tcp_is_loopback(const union inany *a)
{
	static const union inany lo6 = { .a6 = IN6ADDR_LOOPBACK_INIT };

	if (inany_is_v4(a))
		return ((const uint8_t *)&a->v4mapped.a4)[0] == 127;
	return inany_equal(a, &lo6);
}

/* Options of every host socket of a connection; #syscalls: setsockopt */
static void tcp_sock_opts(int fd)
{
	int one = 1;

	/*
	 * Each guest segment goes out at once. SO_SNDBUF stays autotuned:
	 * a fixed 8 MiB measured no faster, and would turn autotuning off.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Update the epoll registration to what the connection needs now */
static void tcp_epoll_update(struct tcp_conn *c)
{
	uint32_t ev = 0;

	if (c->fd < 0 || !c->in_epoll)
		return;
	switch (c->state) {
	case TCP_S_CONNECTING:
		ev = EPOLLOUT;
		break;
	case TCP_S_SYN_RCVD:
		/*
		 * Already what ESTABLISHED wants (one epoll_ctl() fewer per
		 * connection): an edge taken before the guest's ACK is kept
		 * in @rd_pending. Level-triggered, it would spin.
		 */
		if (tcp.peek_off)
			ev = EPOLLIN | EPOLLRDHUP | EPOLLET;
		break;
	case TCP_S_ESTABLISHED:
		if (!c->host_eof && !tcp_link_waiting(c) &&
		    tcp_send_room(c->snd_una, c->snd_nxt, c->wnd_guest))
			ev |= EPOLLIN | EPOLLRDHUP;
		else if (c->host_eof && tcp.peek_off)
			/* nothing left to read: no edge to re-arm, and
			 * EPOLLHUP stays an edge (no EPOLL_CTL_DEL needed) */
			ev |= c->ev & (EPOLLIN | EPOLLRDHUP);
		if (c->out_full || (!c->guest_fin && !c->wnd_sent))
			ev |= EPOLLOUT;
		/*
		 * Edge-triggered: bytes we peeked stay in the socket until
		 * the guest acknowledges them, so it stays readable, and a
		 * level-triggered EPOLLIN would spin the loop (one empty
		 * peek per wakeup, ~100 per request/response transaction)
		 * until the guest's ACK came. Every path that stops reading
		 * before EAGAIN also takes EPOLLIN out (window or link
		 * full, EOF), and putting it back polls the socket afresh.
		 * An edge taken while acknowledged bytes wait for their
		 * discard (tcp_send_data() leaves the reading to the post
		 * hook) is kept in @rd_pending. The host's FIN is one edge,
		 * maybe taken while the peek still returned data: after
		 * EPOLLRDHUP (@host_rdhup) we peek until the EOF shows
		 * behind the data in flight (SO_PEEK_OFF). Without
		 * SO_PEEK_OFF it shows only once they are acked, so there we
		 * stay level-triggered (and spin, as before).
		 */
		if (ev && tcp.peek_off)
			ev |= EPOLLET;
		break;
	default:
		break;
	}
	if (ev == c->ev)
		return;
	if (!loop_mod_id(c->fd, ev, tcp.kind, tcp_id(c)))
		c->ev = ev;
}

/* ---- frames to the guest --------------------------------------------- */

/**
 * tcp_sndbuf_free() - what the guest may send us: room in the send buffer
 * @c:		connection
 *
 * The window we advertise must be a promise: data the guest sends within
 * it and we cannot write is dropped, and the guest only resends it on its
 * retransmission timeout, which backs off. The kernel charges the send
 * buffer by memory (SO_MEMINFO: queued truesize against SO_SNDBUF), not
 * payload, and small segments cost about twice their size; half the free
 * memory is what we promise. That is never zero while the kernel reports
 * EPOLLOUT (free memory at least half of what is queued), so a window
 * update sent on EPOLLOUT always opens the window.
 * #syscalls: getsockopt
 * Return: bytes
 */
static uint64_t tcp_sndbuf_free(const struct tcp_conn *c)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mi);
	uint32_t sndbuf, queued;

	if (c->fd < 0 || c->guest_fin)
		return 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_MEMINFO, mi, &sl) < 0 ||
	    sl < (SK_MEMINFO_WMEM_QUEUED + 1) * sizeof(mi[0]))
		return 65535;
	sndbuf = mi[SK_MEMINFO_SNDBUF];
	queued = mi[SK_MEMINFO_WMEM_QUEUED];
	if (queued >= sndbuf)
		return 0;
	return (sndbuf - queued) / 2;
}

static size_t tcp_hdr_len(const struct tcp_conn *c)
{
	return ETH_HLEN + (c->v4 ? IPV4_HLEN_MIN : IPV6_HLEN) + TCP_HLEN_MIN;
}

/**
 * tcp_emit() - build and queue one segment to the guest
 * @c:		connection (addresses, ports, ack, window)
 * @seq:	sequence number
 * @flags:	TCP_F_*
 * @opts:	options, padded, or NULL
 * @optlen:	bytes of @opts
 * @data:	payload or NULL
 * @len:	payload bytes
 * @wnd:	window field
 * Return: 0, or -errno from the link (-EAGAIN: no room)
 */
static int tcp_emit(struct tcp_conn *c, uint32_t seq, uint8_t flags,
		    const uint8_t *opts, uint8_t optlen, const void *data,
		    size_t len, uint16_t wnd)
{
	const struct flow_key *k = tcp_key(c);
	struct frame_addrs a;
	struct tcp_fields t = {
		.sport = k->rport,
		.dport = k->gport,
		.seq = seq,
		.ack = (flags & TCP_F_ACK) ? c->rcv_nxt : 0,
		.flags = flags,
		.window = wnd,
		.opts = opts,
		.optlen = optlen,
	};
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct pkt_builder b;
	int rc;

	memcpy(a.src_mac, tcp.tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, tcp.tx->guest_mac, ETH_ALEN);
	a.src = k->raddr;
	a.dst = k->gaddr;
	a.ttl = 0;
	pb_init(&b, tcp.frame_buf, TCP_FRAME_BUF);
	b.no_l4_csum = tcp.tx->csum_optional;
	if (!frame_tcp(&b, &a, &t, &iov, 1, len))
		return -EMSGSIZE;
	rc = guest_send_buf(tcp.tx, b.buf, b.len);
	if (rc)
		return rc;
	if (flags & TCP_F_ACK)
		c->ack_sent = c->rcv_nxt;
	c->wnd_sent = wnd;
	return 0;
}

/* Bytes the guest may still send within the window we last advertised */
static uint32_t tcp_wnd_left(const struct tcp_conn *c)
{
	uint32_t edge = c->ack_sent + ((uint32_t)c->wnd_sent << c->ws_ours);

	return seq_gt(edge, c->rcv_nxt) ? edge - c->rcv_nxt : 0;
}

/*
 * Is at most half of the last queried window left, or must we ask anyway?
 * Only its bit length is kept: "half" is half of the largest power of two
 * not above it, so between a quarter and a half.
 */
static bool tcp_wnd_low(const struct tcp_conn *c)
{
	return !c->wnd_lg ||
	       tcp_wnd_left(c) <=
	       (uint32_t)1 << (c->wnd_lg + TCP_WND_LG_BASE - 2);
}

/**
 * tcp_wnd_now() - window field for the next segment
 * @c:		connection
 *
 * While more than half of the window of the last query is left in front
 * of rcv_nxt, the right edge we advertised last is advertised again: that
 * promise still holds (the bytes written since were part of it), and it
 * costs no system call. Otherwise, or when @wnd_lg was reset (socket
 * full, EPOLLOUT, SYN), the socket is asked (tcp_sndbuf_free()).
 */
static uint16_t tcp_wnd_now(struct tcp_conn *c)
{
	uint64_t free;
	uint32_t bytes;
	uint16_t wnd;
	int lg;

	if (c->guest_fin)
		return 0;
	/*
	 * Rounded down: the edge moves back by less than one scale unit
	 * (RFC 7323 2.4), where rounding up would let it creep forward by
	 * as much with every segment until the next query.
	 */
	if (!tcp_wnd_low(c))
		return (uint16_t)(tcp_wnd_left(c) >> c->ws_ours);
	free = tcp_sndbuf_free(c);
	if (!c->ws_ours && free > 0xffff)
		free = 0xffff;
	wnd = tcp_wnd_field(free, c->ws_ours);
	bytes = (uint32_t)wnd << c->ws_ours;
	/* windows below 512 bytes (and 0) leave it 0: ask every time */
	lg = bytes ? 32 - __builtin_clz(bytes) - TCP_WND_LG_BASE : 0;
	c->wnd_lg = lg < 0 ? 0 : lg > 15 ? 15 : (unsigned int)lg;
	return wnd;
}

/* A segment without data: ACK, FIN, RST; queued or dropped, not retried */
static int tcp_send_flags(struct tcp_conn *c, uint8_t flags)
{
	uint32_t seq = c->snd_max;

	if (c->fin_sent && !(flags & TCP_F_FIN))
		seq++;		/* our FIN took one sequence number */
	if (flags & TCP_F_RST) {
		tcp.ctr[TCP_C_RST_TO_GUEST]++;
		return tcp_emit(c, seq, flags | TCP_F_ACK, NULL, 0, NULL, 0, 0);
	}
	if (c->sack_ok && tcp_ooo_held(c)) {
		uint32_t blk[TCP_OOO_SACK_MAX][2];
		uint8_t opts[TCP_OPTS_ACK_LEN];
		int n = tcp_ooo_sack(tcp_ooo(c), blk, TCP_OOO_SACK_MAX), i;

		opts[0] = 1;		/* NOP */
		opts[1] = 1;
		opts[2] = 5;		/* SACK (RFC 2018 section 3) */
		opts[3] = (uint8_t)(2 + 8 * n);
		for (i = 0; i < n; i++) {
			put_be32(opts + 4 + 8 * i, blk[i][0]);
			put_be32(opts + 8 + 8 * i, blk[i][1]);
		}
		return tcp_emit(c, seq, flags | TCP_F_ACK, opts,
				(uint8_t)(4 + 8 * n), NULL, 0, tcp_wnd_now(c));
	}
	return tcp_emit(c, seq, flags | TCP_F_ACK, NULL, 0, NULL, 0,
			tcp_wnd_now(c));
}

/* SYN or SYN-ACK, with MSS and (if agreed or offered) window scale */
static int tcp_send_syn(struct tcp_conn *c, bool ack)
{
	uint8_t opts[TCP_OPTS_SYN_LEN];
	uint8_t optlen = 4;
	uint16_t mss = tcp_mss_ours(tcp_link_mtu(tcp.fc->mtu), c->v4);
	int rc;

	opts[0] = 2;		/* MSS (RFC 9293 section 3.2) */
	opts[1] = 4;
	put_be16(opts + 2, mss);
	if (!ack || c->ws_ours) {
		opts[optlen++] = 1;	/* NOP */
		opts[optlen++] = 3;	/* window scale (RFC 7323 section 2) */
		opts[optlen++] = 3;
		opts[optlen++] = TCP_WS_OURS;
	}
	if (!ack || c->sack_ok) {
		opts[optlen++] = 1;
		opts[optlen++] = 1;
		opts[optlen++] = 4;	/* SACK-permitted (RFC 2018) */
		opts[optlen++] = 2;
	}
	c->wnd_lg = 0;
	rc = tcp_emit(c, c->snd_una - 1, TCP_F_SYN | (ack ? TCP_F_ACK : 0),
		      opts, optlen, NULL, 0, 0xffff);
	if (ack && !rc) {
		/*
		 * The SYN-ACK promised 65535 bytes (unscaled): that is the
		 * edge the next segments keep until half of it is used, as
		 * any other queried window; the socket is asked then. So the
		 * first request is not answered with a pure ACK (window
		 * "low" before any query) ahead of its reply.
		 */
		c->wnd_sent = (uint16_t)(0xffff >> c->ws_ours);
		c->wnd_lg = 16 - TCP_WND_LG_BASE;
	}
	return rc;
}

/* RST for a guest segment that belongs to no connection (RFC 9293 3.10.7.1) */
static void tcp_rst_stray(const struct ip_view *ip, const struct tcp_view *th)
{
	struct frame_addrs a;
	struct tcp_fields t = {
		.sport = th->dport,
		.dport = th->sport,
	};
	struct pkt_builder b;

	if (th->flags & TCP_F_RST)
		return;
	if (th->flags & TCP_F_ACK) {
		t.seq = th->ack;
		t.flags = TCP_F_RST;
	} else {
		t.ack = th->seq + th->paylen + !!(th->flags & TCP_F_SYN) +
			!!(th->flags & TCP_F_FIN);
		t.flags = TCP_F_RST | TCP_F_ACK;
	}
	memcpy(a.src_mac, tcp.tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, tcp.tx->guest_mac, ETH_ALEN);
	a.src = ip->dst;
	a.dst = ip->src;
	a.ttl = 0;
	pb_init(&b, tcp.frame_buf, TCP_FRAME_BUF);
	if (frame_tcp(&b, &a, &t, NULL, 0, 0) &&
	    !guest_send_buf(tcp.tx, b.buf, b.len))
		tcp.ctr[TCP_C_RST_TO_GUEST]++;
}

/* Acknowledge at the end of this loop iteration (coalesces a burst) */
static void tcp_ack_later(struct tcp_conn *c)
{
	if (c->ack_queued || c->state == TCP_S_CLOSED)
		return;
	c->ack_queued = true;
	tcp.ack_list[tcp.ack_count++] = (int)tcp_id(c);
}

/* ---- host socket reads ----------------------------------------------- */

/**
 * tcp_peek() - read host data past what is in flight, leaving it queued
 * @c:		connection
 * @iov:	where the bytes go: @iov[1] to @iov[@cnt]; @iov[0] is ours
 * @cnt:	entries from @iov[1], at most TCP_PEEK_IOV
 *
 * The caller never peeks while a discard is pending (tcp_discard_later()):
 * the peek offset is then snd_nxt - snd_una, as tcp_peek_rewind() sets it.
 * #syscalls: recvmsg
 * Return: bytes read, 0 at EOF, or -errno
 */
static ssize_t tcp_peek(struct tcp_conn *c, struct iovec *iov, size_t cnt)
{
	struct msghdr mh = { .msg_iov = iov + 1, .msg_iovlen = cnt };
	size_t skip = 0;
	ssize_t n;

	if (!tcp.peek_off) {
		/* Without SO_PEEK_OFF: skip the bytes in flight by hand */
		skip = c->snd_nxt - c->snd_una;
		iov[0].iov_base = tcp.discard_buf;
		iov[0].iov_len = skip;
		mh.msg_iov = iov;
		mh.msg_iovlen = cnt + 1;
	}
	n = recvmsg(c->fd, &mh, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (skip) {
		/*
		 * Only the bytes in flight: no news, or EOF, which we then
		 * see once they are acknowledged (skip 0).
		 */
		if ((size_t)n <= skip)
			return -EAGAIN;
		n -= (ssize_t)skip;
	}
	return n;
}

/* Drop @len acknowledged bytes from the socket; #syscalls: recvfrom */
static int tcp_discard(struct tcp_conn *c, uint32_t len)
{
	while (len) {
		ssize_t n = recv(c->fd, NULL, len, MSG_TRUNC | MSG_DONTWAIT);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		len -= (uint32_t)n;
	}
	return 0;
}

/*
 * Discard now what waits for the post hook (tcp_discard_later()), and take
 * the connection off its list: a rewind needs the socket's head at snd_una.
 * Rare (retransmissions only), so the list is searched.
 */
static int tcp_discard_now(struct tcp_conn *c)
{
	unsigned int i;

	c->disc_queued = false;
	for (i = 0; i < tcp.disc_count; i++) {
		struct tcp_disc *d = &tcp.disc_list[i];

		if (d->id == (int)tcp_id(c)) {
			d->id = -1;
			return tcp_discard(c, c->snd_una - d->head);
		}
	}
	return 0;
}

/* Peek offset to snd_nxt - snd_una after a rewind; #syscalls: setsockopt */
static void tcp_peek_rewind(struct tcp_conn *c)
{
	int off = (int)(c->snd_nxt - c->snd_una);

	/* on failure the next peek fails too, and closes the connection */
	if (c->disc_queued && tcp_discard_now(c))
		return;
	if (tcp.peek_off)
		setsockopt(c->fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
}

/**
 * tcp_discard_later() - acknowledged bytes leave the socket in the post hook
 * @c:		connection, before snd_una moves forward
 *
 * All the ACKs of one loop iteration then cost one recv(MSG_TRUNC), and
 * one peek follows it for all the window they opened. Until then the
 * socket still holds bytes below snd_una: tcp_send_data() waits for the
 * post hook, and a rewind of the peek offset discards them first.
 * Return: false if the post hook ran in this pass already (ACKs seen
 * from a later post hook, vhost-user polling): the caller discards now
 */
static bool tcp_discard_later(struct tcp_conn *c)
{
	if (c->disc_queued)
		return true;
	if (tcp.post_ns == loop_now())
		return false;	/* our post hook ran in this pass already */
	c->disc_queued = true;
	tcp.disc_list[tcp.disc_count].id = (int)tcp_id(c);
	tcp.disc_list[tcp.disc_count].head = c->snd_una;
	tcp.disc_count++;
	return true;
}

/* ---- sending host data to the guest ---------------------------------- */

static void tcp_maybe_fin(struct tcp_conn *c, uint64_t now)
{
	if (!c->host_eof || c->fin_sent || c->snd_una != c->snd_max ||
	    c->snd_nxt != c->snd_max)
		return;
	if (!c->wnd_guest)
		return;		/* a closed window drops a FIN: probe first */
	if (tcp_send_flags(c, TCP_F_FIN))
		return;		/* the retransmission timer sends it again */
	c->fin_sent = true;
	c->active_s = tcp_secs(now);
	tcp_timer_update(c, now, true);
}

/* Headers shared by the data segments of one burst, window @wnd */
static void tcp_data_tmpl(const struct tcp_conn *c, struct tcp_tmpl *tp,
			  uint16_t wnd)
{
	const struct flow_key *k = tcp_key(c);
	struct frame_addrs a;
	struct tcp_fields t = {
		.sport = k->rport,
		.dport = k->gport,
		.ack = c->rcv_nxt,
		.flags = TCP_F_ACK,
		.window = wnd,
	};

	memcpy(a.src_mac, tcp.tx->our_mac, ETH_ALEN);
	memcpy(a.dst_mac, tcp.tx->guest_mac, ETH_ALEN);
	a.src = k->raddr;
	a.dst = k->gaddr;
	a.ttl = 0;
	tcp_tmpl_init(tp, &a, &t, tcp.tx->csum_optional);
}

/* Partial sum of the first @len bytes of @iov (trims @iov to them) */
static uint32_t tcp_iov_sum(struct iovec *iov, size_t cnt, size_t len)
{
	size_t i;

	for (i = 0; i < cnt && len; i++) {
		if (iov[i].iov_len >= len) {
			iov[i].iov_len = len;
			return csum_iov(iov, i + 1, 0);
		}
		len -= iov[i].iov_len;
	}
	return csum_iov(iov, i, 0);
}

/**
 * struct tcp_burst - one read of host data cut into segments
 * @tp:		headers every segment shares
 * @wnd:	window field, read once per tcp_send_data()
 * @tmpl_ok:	@tp is built (lazily: only once there is data)
 * @asked:	bytes the last read asked for
 * @stop:	the link is full: we wait for room
 */
struct tcp_burst {
	struct tcp_tmpl tp;
	uint16_t wnd;
	bool tmpl_ok;
	size_t asked;
	bool stop;
};

static void tcp_burst_tmpl(struct tcp_conn *c, struct tcp_burst *bu)
{
	if (bu->tmpl_ok)
		return;
	bu->wnd = tcp_wnd_now(c);
	tcp_data_tmpl(c, &bu->tp, bu->wnd);
	bu->tmpl_ok = true;
}

/* The link cannot take more now: wait for room */
static void tcp_link_full(struct tcp_conn *c, struct tcp_burst *bu)
{
	tcp.ctr[TCP_C_LINK_FULL]++;
	tcp_link_wait(c);
	bu->stop = true;
}

/**
 * tcp_send_reserved() - peek host data straight into frames in the link
 * @c:		connection
 * @want:	bytes wanted (window)
 * @bu:		burst state
 *
 * Reserves frames of a full segment each, lets one recvmsg() put the
 * payload behind the room left for their headers, then checksums each
 * segment while its bytes are in cache, writes its headers from the
 * template, and commits the frames filled. The payload is copied once,
 * by the kernel.
 * Return: bytes sent, 0 at EOF, -EAGAIN (nothing to read), -ENOBUFS (the
 * link is full, @bu->stop set), -EOPNOTSUPP (no reserve in this link),
 * other -errno from the socket
 */
static ssize_t tcp_send_reserved(struct tcp_conn *c, size_t want,
				 struct tcp_burst *bu)
{
	size_t hlen = tcp_hdr_len(c), mss = c->mss, cnt = 0, off, last = 0;
	struct guest_frame *f = tcp.frames;
	struct iovec *iov = tcp.peek_iov;
	unsigned int nf, i, k;
	ssize_t n;
	int r;

	want = MIN(want, (size_t)TCP_BATCH);
	nf = (unsigned int)MIN((want + mss - 1) / mss,
			       (size_t)GUEST_RESERVE_MAX);
	r = guest_reserve(tcp.tx, hlen + mss, f, nf);
	if (r == -EOPNOTSUPP)
		return r;
	if (r < 0) {
		tcp_link_full(c, bu);
		return -ENOBUFS;
	}
	/* Payload room of each frame, behind its headers */
	for (i = 0, off = 0; i < (unsigned int)r && off < want; i++) {
		size_t len = MIN(mss, want - off), k2, got = 0, j;

		k2 = guest_frame_slice(&f[i], hlen, len, iov + 1 + cnt,
				       TCP_PEEK_IOV - cnt);
		for (j = 0; j < k2; j++)
			got += iov[1 + cnt + j].iov_len;
		if (got < len)
			break;		/* out of iovecs: fewer frames */
		cnt += k2;
		off += len;
	}
	if (!off) {
		guest_commit(tcp.tx, 0, 0);
		tcp_link_full(c, bu);
		return -ENOBUFS;
	}
	bu->asked = off;
	n = tcp_peek(c, iov, cnt);
	if (n <= 0) {
		guest_commit(tcp.tx, 0, 0);
		return n;
	}
	tcp_burst_tmpl(c, bu);
	k = (unsigned int)(((size_t)n + mss - 1) / mss);
	for (i = 0; i < k; i++) {
		size_t len = MIN(mss, (size_t)n - i * mss), pc;
		uint8_t hdr[ETH_HLEN + IPV6_HLEN + TCP_HLEN_MIN];
		uint8_t fl = TCP_F_ACK | (i + 1 == k ? TCP_F_PSH : 0);
		uint32_t sum = 0;

		/* Sum the payload while it is hot, then write the headers */
		if (!bu->tp.no_l4_csum) {
			pc = guest_frame_slice(&f[i], hlen, len, iov + 1,
					       TCP_PEEK_IOV);
			sum = tcp_iov_sum(iov + 1, pc, len);
		}
		tcp_tmpl_fill(&bu->tp, hdr, c->snd_nxt + (uint32_t)(i * mss),
			      fl, len, sum);
		guest_frame_put(&f[i], 0, hdr, hlen);
		last = len;
	}
	guest_commit(tcp.tx, k, hlen + last);
	return n;
}

/**
 * tcp_send_copied() - the same for links without reserve: peek into our
 * buffer, then hand the link the headers and the payload as two iovecs
 * @c:		connection
 * @want:	bytes wanted (window)
 * @bu:		burst state
 * Return: as tcp_send_reserved()
 */
static ssize_t tcp_send_copied(struct tcp_conn *c, size_t want,
			       struct tcp_burst *bu)
{
	size_t hlen = tcp_hdr_len(c), per = hlen + c->mss, link, off;
	size_t sent = 0;
	ssize_t n;

	link = guest_room(tcp.tx);
	if (link < per || !tcp.peek_buf) {
		tcp_link_full(c, bu);
		return -ENOBUFS;
	}
	want = MIN(want, (link / per) * c->mss);
	want = MIN(want, (size_t)TCP_PEEK_BUF);
	bu->asked = want;
	tcp.peek_iov[1].iov_base = tcp.peek_buf;
	tcp.peek_iov[1].iov_len = want;
	n = tcp_peek(c, tcp.peek_iov, 1);
	if (n <= 0)
		return n;
	tcp_burst_tmpl(c, bu);
	for (off = 0; off < (size_t)n; off += c->mss) {
		size_t len = MIN((size_t)c->mss, (size_t)n - off);
		uint8_t hdr[ETH_HLEN + IPV6_HLEN + TCP_HLEN_MIN];
		uint8_t fl = TCP_F_ACK | (off + len == (size_t)n ? TCP_F_PSH : 0);
		struct iovec v[2] = {
			{ .iov_base = hdr, .iov_len = hlen },
			{ .iov_base = tcp.peek_buf + off, .iov_len = len },
		};
		uint32_t sum = 0;

		if (!bu->tp.no_l4_csum)
			sum = csum_partial(tcp.peek_buf + off, len, 0);
		tcp_tmpl_fill(&bu->tp, hdr, c->snd_nxt + (uint32_t)off, fl,
			      len, sum);
		if (guest_send(tcp.tx, v, 2)) {
			/*
			 * Unsent bytes: peek them again once the link has
			 * room (also after -ENOTCONN: the link wakes waiters
			 * when a guest connects).
			 */
			c->snd_nxt += (uint32_t)sent;
			tcp_peek_rewind(c);
			c->snd_nxt -= (uint32_t)sent;
			tcp_link_full(c, bu);
			break;
		}
		sent += len;
	}
	return sent ? (ssize_t)sent : -ENOBUFS;
}

/**
 * tcp_send_holes() - send again what the guest's SACK blocks say is missing
 * @c:		connection in loss recovery with a scoreboard
 * @bu:		burst state
 *
 * Each hole (tcp_sb_next_hole()) is peeked from the host socket where it
 * lies: the peek offset goes to its start and back to snd_nxt afterwards
 * (two setsockopt() per hole; recovery is rare). New data then goes on
 * from snd_max, as the window allows: nothing the guest holds is sent
 * twice, unlike the go-back-N without SACK.
 * Return: bytes sent, or -errno from the socket (the caller closes)
 */
static ssize_t tcp_send_holes(struct tcp_conn *c, struct tcp_burst *bu)
{
	struct tcp_sb *sb = &tcp.sb[tcp_id(c)];
	uint32_t nxt = c->snd_nxt, start, len;
	ssize_t sent = 0, n = 0;

	while (!bu->stop &&
	       tcp_sb_next_hole(sb, c->snd_una, c->snd_max, c->mss, &start,
				&len)) {
		c->snd_nxt = start;
		tcp_peek_rewind(c);
		n = tcp_send_reserved(c, len, bu);
		if (n == -EOPNOTSUPP)
			n = tcp_send_copied(c, len, bu);
		if (n <= 0)
			break;
		sb->rtx_next = start + (uint32_t)n;
		sent += n;
	}
	c->snd_nxt = nxt;
	tcp_peek_rewind(c);
	if (sent) {
		tcp.ctr[TCP_C_RTX_BYTES] += (uint64_t)sent;
		c->ack_sent = c->rcv_nxt;
		c->wnd_sent = bu->wnd;
	}
	/* no room (-ENOBUFS) waits for the link; nothing to read (-EAGAIN,
	 * or 0) where we sent data should not be: the timeout sends again */
	if (n < 0 && n != -ENOBUFS && n != -EAGAIN)
		return n;
	return sent;
}

/**
 * tcp_send_data() - send host data to the guest, as far as allowed
 * @c:		connection in ESTABLISHED
 * @now:	loop time
 *
 * Stops at the first of: guest window full, link full (then waits for
 * room), nothing more to read, EOF (then FIN once all is acknowledged).
 * While acknowledged bytes wait for the post hook's discard, it leaves
 * everything to the post hook, which calls it again.
 */
static void tcp_send_data(struct tcp_conn *c, uint64_t now)
{
	struct tcp_burst bu = { .tmpl_ok = false };
	bool sent_any = false;

	if (c->state != TCP_S_ESTABLISHED || c->fd < 0)
		return;
	if (c->disc_queued) {
		c->rd_pending = true;	/* epoll will not say it again */
		return;
	}
	c->rd_pending = false;
	if (tcp_sack_due(c)) {
		ssize_t n = tcp_send_holes(c, &bu);

		if (n < 0) {
			debug("flow %u tcp: host socket: %s", tcp_id(c),
			      strerror((int)-n));
			tcp_close(c, false, true);
			return;
		}
		sent_any = n > 0;
	}
	for (;;) {
		uint32_t room = tcp_send_room(c->snd_una, c->snd_nxt,
					      c->wnd_guest);
		ssize_t n;

		if (!tcp.peek_off)	/* bounded by the discard buffer */
			room = MIN(room, tcp_send_room(c->snd_una, c->snd_nxt,
						       TCP_DISCARD_BUF));
		if (!room || bu.stop)
			break;
		if (c->host_eof && c->snd_nxt == c->snd_max)
			break;		/* nothing left to read */
		n = tcp_send_reserved(c, room, &bu);
		if (n == -EOPNOTSUPP)
			n = tcp_send_copied(c, room, &bu);
		if (n > 0) {
			if (seq_lt(c->snd_nxt, c->snd_max))
				tcp.ctr[TCP_C_RTX_BYTES] +=
					MIN((uint32_t)n,
					    c->snd_max - c->snd_nxt);
			c->snd_nxt += (uint32_t)n;
			c->snd_max = seq_max(c->snd_max, c->snd_nxt);
			c->ack_sent = c->rcv_nxt;
			c->wnd_sent = bu.wnd;
			sent_any = true;
		}
		if (bu.stop || n == -EAGAIN || n == -ENOBUFS)
			break;
		if (n < 0) {
			debug("flow %u tcp: host socket: %s", tcp_id(c),
			      strerror((int)-n));
			tcp_close(c, false, true);
			return;
		}
		if (n == 0) {
			c->host_eof = true;
			break;
		}
		/* drained the socket; with EPOLLET, the host's FIN was its
		 * last edge: read on until the EOF shows */
		if ((size_t)n < bu.asked && !c->host_rdhup)
			break;
	}
	if (sent_any) {
		c->active_s = tcp_secs(now);
		tcp_timer_update(c, now, false);
	}
	tcp_maybe_fin(c, now);
	tcp_epoll_update(c);
	if (!sent_any && !c->wnd_guest)
		tcp_timer_update(c, now, false);
}

/* Go back to the oldest unacknowledged byte and send from there */
static void tcp_rewind(struct tcp_conn *c)
{
	c->snd_nxt = c->snd_una;
	tcp_peek_rewind(c);
}

/* ---- timers ----------------------------------------------------------- */

static void tcp_arm(struct tcp_conn *c, enum tcp_timer_kind k, uint64_t at)
{
	c->tkind = k;
	if (timer_id_arm(tcp.kind, tcp_id(c), at))
		tcp.ctr[TCP_C_TIMER_FULL]++;
}

/**
 * tcp_timer_update() - arm the timer for what the connection waits for
 * @c:		connection
 * @now:	loop time
 * @restart:	restart a running retransmission timer (new data acked)
 */
static void tcp_timer_update(struct tcp_conn *c, uint64_t now, bool restart)
{
	bool outstanding = c->snd_max != c->snd_una ||
			   (c->fin_sent && !c->fin_acked);

	switch (c->state) {
	case TCP_S_CONNECTING:
	case TCP_S_SYN_RCVD:
	case TCP_S_SYN_SENT:
		return;		/* armed where the state is entered */
	case TCP_S_ESTABLISHED:
		break;
	default:
		timer_id_cancel(tcp.kind, tcp_id(c));
		return;
	}
	if (outstanding) {
		if (restart || !c->tmr || c->tkind != TCP_T_RTX)
			tcp_arm(c, TCP_T_RTX,
				now + c->rto_ms * NSEC_PER_MSEC);
		return;
	}
	if (!c->wnd_guest && !(c->host_eof && c->fin_sent)) {
		if (!c->tmr || c->tkind != TCP_T_PERSIST)
			tcp_arm(c, TCP_T_PERSIST,
				now + c->persist_ms * NSEC_PER_MSEC);
		return;
	}
	if (c->guest_fin || c->host_eof) {
		if (!c->tmr || c->tkind != TCP_T_IDLE)
			tcp_arm(c, TCP_T_IDLE, tcp_idle_deadline(c));
		return;
	}
	timer_id_cancel(tcp.kind, tcp_id(c));
	c->tkind = TCP_T_NONE;
}

static void tcp_timer_fire(void *arg, uint32_t id, uint64_t now)
{
	struct tcp_conn *c = &tcp.conns[id];

	(void)arg;
	switch (c->state) {
	case TCP_S_CONNECTING:
		debug("flow %u tcp: host connect timed out", tcp_id(c));
		tcp.ctr[TCP_C_REFUSED]++;
		tcp_close(c, false, true);
		return;
	case TCP_S_SYN_RCVD:
	case TCP_S_SYN_SENT:
		if (++c->retries > TCP_SYN_RETRIES) {
			tcp.ctr[TCP_C_GIVE_UP]++;
			tcp_close(c, true, true);
			return;
		}
		tcp_send_syn(c, c->state == TCP_S_SYN_RCVD);
		c->rto_ms = tcp_rto_backoff(c->rto_ms);
		tcp_arm(c, TCP_T_RTX, now + c->rto_ms * NSEC_PER_MSEC);
		return;
	case TCP_S_ESTABLISHED:
		break;
	default:
		return;
	}

	switch (c->tkind) {
	case TCP_T_RTX:
		if (++c->retries > TCP_RTX_RETRIES) {
			debug("flow %u tcp: guest stopped acknowledging",
			      tcp_id(c));
			tcp.ctr[TCP_C_GIVE_UP]++;
			tcp_close(c, true, true);
			return;
		}
		tcp.ctr[TCP_C_RTO]++;
		c->rto_ms = tcp_rto_backoff(c->rto_ms);
		c->in_recovery = false;
		c->dup_acks = 0;
		if (c->fin_sent && !c->fin_acked &&
		    c->snd_una == c->snd_max) {
			c->fin_sent = false;	/* send it again */
			tcp_maybe_fin(c, now);
		} else if (c->sb_used) {
			/*
			 * RFC 6675 section 5.1: every byte sent and not
			 * SACKed is lost now, but what the guest SACKed it
			 * keeps (Linux does not renege unless short of
			 * memory, and then a later timeout sends all)
			 */
			struct tcp_sb *sb = &tcp.sb[id];

			c->in_recovery = true;
			c->recover = c->snd_max;
			sb->rto = true;
			sb->rto_high = c->snd_max;
			sb->rtx_next = c->snd_una;
			if (c->retries > 1)
				sb->n = 0;	/* reneged? forget it */
			tcp_send_data(c, now);
		} else {
			tcp_rewind(c);
			tcp_send_data(c, now);
		}
		if (c->state == TCP_S_ESTABLISHED)
			tcp_timer_update(c, now, true);
		return;
	case TCP_T_PERSIST:
		/* An old sequence number makes the guest answer with an ACK
		 * carrying its current window (RFC 9293 3.10.7.4) */
		tcp.ctr[TCP_C_PROBE]++;
		tcp_emit(c, c->snd_max - 1, TCP_F_ACK, NULL, 0, NULL, 0,
			 tcp_wnd_now(c));
		c->persist_ms = MIN(c->persist_ms * 2, TCP_PERSIST_MAX_MS);
		tcp_arm(c, TCP_T_PERSIST, now + c->persist_ms * NSEC_PER_MSEC);
		return;
	case TCP_T_IDLE:
		if (now < tcp_idle_deadline(c)) {
			tcp_arm(c, TCP_T_IDLE, tcp_idle_deadline(c));
			return;
		}
		tcp.ctr[TCP_C_EXPIRED]++;
		tcp_close(c, true, true);
		return;
	default:
		return;
	}
}

/* ---- closing ---------------------------------------------------------- */

/**
 * tcp_close() - end a connection; the slot is freed by the post hook
 * @c:		connection
 * @rst_host:	reset the host peer (SO_LINGER 0) instead of a clean close
 * @rst_guest:	send a RST to the guest
 * #syscalls: setsockopt epoll_ctl close
 */
static void tcp_close(struct tcp_conn *c, bool rst_host, bool rst_guest)
{
	unsigned int i;

	if (c->state == TCP_S_CLOSED || c->state == TCP_S_FREE)
		return;
	if (rst_guest && c->state != TCP_S_CONNECTING)
		tcp_send_flags(c, TCP_F_RST);
	else if (rst_guest)
		tcp_emit(c, 0, TCP_F_RST | TCP_F_ACK, NULL, 0, NULL, 0, 0);
	if (c->fd >= 0) {
		if (rst_host) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l,
				   sizeof(l));
		} else if (c->disc_queued) {
			/* bytes left unread make close() reset the peer */
			tcp_discard_now(c);
		}
		/* close() takes it out of epoll: it is never dup()ed */
		close(c->fd);
		c->fd = -1;
		c->in_epoll = false;
	}
	timer_id_cancel(tcp.kind, tcp_id(c));
	idq_remove(&tcp.waitq, tcp_id(c));
	for (i = 0; i < tcp.gather.conns; i++)
		if (tcp.gather.id[i] == (int)tcp_id(c))
			tcp.gather.id[i] = -1;	/* not written, not acked */
	if (c->ooo_used)
		tcp_ooo_clear(tcp_ooo(c));
	tcp_set_state(c, TCP_S_CLOSED);
	flow_index_del_id((int)tcp_id(c));
	if (!c->free_queued) {
		c->free_queued = true;
		tcp.free_list[tcp.free_count++] = (int)tcp_id(c);
	}
}

/* Both directions finished: close without a RST, nothing left to send */
static void tcp_check_done(struct tcp_conn *c)
{
	if (c->state == TCP_S_ESTABLISHED && c->guest_fin && c->fin_acked)
		tcp_close(c, false, false);
}

/* ---- idle expiry -------------------------------------------------------- */

/**
 * tcp_sweep() - reset established connections idle past TCP_IDLE_TIMEOUT_S
 * @t:		tcp.sweep
 * @now:	loop time
 *
 * Runs every TCP_SWEEP_NS (an eighth of the timeout) and reads @active_s of
 * the connections up to the highest id used: one with no segment either
 * way for longer than the timeout goes within an eighth more. Busy
 * connections pay only the @active_s store they make anyway, idle ones a
 * read per sweep; none has a timer of its own for this.
 */
static void tcp_sweep(struct timer *t, uint64_t now)
{
	uint32_t now_s = tcp_secs(now);
	unsigned int id;

	for (id = 0; id < tcp.id_hi; id++) {
		struct tcp_conn *c = &tcp.conns[id];

		if (c->state != TCP_S_ESTABLISHED ||
		    !tcp_idle_expired(c->active_s, now_s, TCP_IDLE_TIMEOUT_S))
			continue;
		if (log_enabled(LOG_LVL_DEBUG))
			debug("flow %u tcp port %u > %u: idle for %u s: reset both ways",
			      id, tcp_key(c)->gport, tcp_key(c)->rport,
			      now_s - c->active_s);
		tcp.ctr[TCP_C_EXPIRED_IDLE]++;
		tcp_close(c, true, true);
	}
	if (timer_arm(t, now + TCP_SWEEP_NS))
		tcp.ctr[TCP_C_TIMER_FULL]++;
}

/* ---- host socket events ------------------------------------------------ */

static void tcp_connected(struct tcp_conn *c, uint64_t now)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		debug("flow %u tcp: connect: %s", tcp_id(c), strerror(err));
		tcp.ctr[TCP_C_REFUSED]++;
		tcp_close(c, false, true);
		return;
	}
	c->retries = 0;
	c->rto_ms = TCP_RTO_MIN_MS * 5;
	tcp_set_state(c, TCP_S_SYN_RCVD);
	tcp_send_syn(c, true);
	tcp_arm(c, TCP_T_RTX, now + c->rto_ms * NSEC_PER_MSEC);
	tcp_epoll_update(c);
}

static void tcp_sock_ready(void *arg, uint32_t id, uint32_t events,
			   uint64_t now)
{
	struct tcp_conn *c = &tcp.conns[id];

	(void)arg;
	if (c->state == TCP_S_CLOSED || c->state == TCP_S_FREE || c->fd < 0)
		return;
	if (c->state == TCP_S_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tcp_connected(c, now);
		return;
	}
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t sl = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		debug("flow %u tcp: host socket error: %s", tcp_id(c),
		      strerror(err));
		tcp_close(c, false, true);
		return;
	}
	if (c->state != TCP_S_ESTABLISHED) {
		/* SYN_SENT: the host peer left before the guest answered */
		if (events & EPOLLHUP) {
			tcp_close(c, false, true);
			return;
		}
		/* SYN_RCVD: read once established (tcp_syn_rcvd_input()) */
		if (events & (EPOLLIN | EPOLLRDHUP))
			c->rd_pending = true;
		if (events & EPOLLRDHUP)
			c->host_rdhup = true;
		return;
	}
	if (events & EPOLLOUT) {
		c->out_full = false;
		c->wnd_lg = 0;		/* room again: ask, and say so */
		if (!c->guest_fin && tcp_ooo_held(c) &&
		    tcp_ooo_drain(tcp_ooo(c), &c->rcv_nxt, tcp_host_write,
				  c)) {
			tcp_close(c, false, true);
			return;
		}
		tcp_ack_later(c);	/* window update */
	}
	if (events & EPOLLRDHUP)
		c->host_rdhup = true;	/* see tcp_epoll_update() */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		tcp_send_data(c, now);
	if (c->state == TCP_S_ESTABLISHED && (events & EPOLLHUP) &&
	    c->in_epoll && !(c->ev & EPOLLET)) {
		/*
		 * Both directions are shut on the host side. EPOLLHUP cannot
		 * be masked, and level-triggered it would spin, so stop
		 * watching: guest ACKs, room on the link and timers drive
		 * what is left (queued data, FIN). Edge-triggered, it is
		 * not said again: the registration stays until close().
		 */
		loop_del(c->fd);
		c->in_epoll = false;
		c->ev = 0;
		return;
	}
	tcp_epoll_update(c);
}

/*
 * The link has room: call each connection that waited, once, oldest
 * first. One that fills the link again waits anew, at the back.
 */
static void tcp_room_wake(struct guest_waiter *gw, uint64_t now)
{
	uint32_t n = tcp.waitq.len;

	(void)gw;
	while (n--) {
		int64_t id = idq_pop(&tcp.waitq);
		struct tcp_conn *c;

		if (id < 0)
			break;
		c = &tcp.conns[id];
		if (c->state != TCP_S_ESTABLISHED)
			continue;
		tcp_send_data(c, now);
		tcp_epoll_update(c);
	}
}

/* ---- new connections --------------------------------------------------- */

static void tcp_flows_full(uint64_t now)
{
	tcp.ctr[TCP_C_FLOWS_FULL]++;
	log_ratelimited(&tcp.rl_full, now, LOG_LVL_WARN,
			"flow: table full (%u flows): refusing TCP connection; raise --max-flows (refused so far: %llu)",
			tcp.max_flows,
			(unsigned long long)tcp.ctr[TCP_C_FLOWS_FULL]);
}

/* Take a flow id and set up a connection for @key; NULL if full */
static struct tcp_conn *tcp_conn_new(const struct flow_key *key, uint64_t now)
{
	struct tcp_conn *c;
	int id = flow_alloc();

	if (id < 0) {
		tcp_flows_full(now);
		return NULL;
	}
	if ((unsigned int)id >= tcp.max_flows) {
		flow_free(id);
		return NULL;
	}
	if (flow_index_add(key, id)) {
		flow_free(id);
		return NULL;
	}
	c = &tcp.conns[id];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->v4 = inany_is_v4(&key->gaddr);
	c->rto_ms = TCP_RTO_MIN_MS;
	c->persist_ms = TCP_RTO_MIN_MS;
	c->active_s = tcp_secs(now);
	tcp.conn_count++;
	if ((unsigned int)id >= tcp.id_hi)
		tcp.id_hi = (unsigned int)id + 1;
	return c;
}

/*
 * Guest SYN for a new connection: connect to the mapped destination
 * #syscalls: socket setsockopt bind connect epoll_ctl
 */
static void tcp_syn_out(const struct ip_view *ip, const struct tcp_view *th,
			const struct flow_key *key, uint64_t now)
{
	struct sockaddr_storage ss;
	union inany dst;
	struct tcp_conn *c;
	socklen_t sl;
	int zero = 0;
	int fd;

	if (th->flags & (TCP_F_ACK | TCP_F_RST | TCP_F_FIN)) {
		tcp_rst_stray(ip, th);
		return;
	}
	if (nat_outbound(IPPROTO_TCP, &ip->dst, th->dport, &dst)) {
		tcp.ctr[TCP_C_NAT_DENIED]++;
		tcp_rst_stray(ip, th);
		return;
	}
	c = tcp_conn_new(key, now);
	if (!c) {
		tcp_rst_stray(ip, th);
		return;
	}
	tcp.ctr[TCP_C_SYN_OUT]++;
	c->rcv_nxt = th->seq + 1;
	c->snd_una = c->snd_nxt = c->snd_max = tcp_isn() + 1;
	c->ws_guest = tcp_ws_clamp(th->wscale);
	c->ws_ours = th->wscale >= 0 ? TCP_WS_OURS : 0;
	c->sack_ok = th->sack_ok;
	c->mss = tcp_mss(tcp_link_mtu(tcp.fc->mtu), c->v4, th->mss);
	c->wnd_guest = th->window;	/* never scaled in a SYN */
	c->wnd_raw = th->window;
	c->state = TCP_S_CONNECTING;

	fd = socket(inany_is_v4(&dst) ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		goto fail;
	c->fd = fd;
	tcp_sock_opts(fd);
	if (tcp.peek_off)
		setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	if (!tcp_is_loopback(&dst) && nat_bind_outbound(fd, inany_is_v4(&dst)))
		goto fail;
	sl = tcp_sockaddr(&dst, th->dport, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	if (loop_add_id(fd, EPOLLOUT, tcp.kind, tcp_id(c)))
		goto fail;
	c->in_epoll = true;
	c->ev = EPOLLOUT;
	tcp_arm(c, TCP_T_CONNECT, now + TCP_CONNECT_TIMEOUT_S * NSEC_PER_SEC);
	return;
fail:
	debug("flow %u tcp: connect: %s", tcp_id(c), strerror(errno));
	tcp.ctr[TCP_C_REFUSED]++;
	tcp_close(c, false, true);
}

/* ---- guest segments ------------------------------------------------------ */

/* The guest's answer to our SYN (inbound connections) */
static void tcp_syn_sent_input(struct tcp_conn *c, const struct tcp_view *th,
			       uint64_t now)
{
	if (!(th->flags & TCP_F_ACK) || th->ack != c->snd_una) {
		if (!(th->flags & TCP_F_RST))
			tcp.ctr[TCP_C_BAD]++;
		return;
	}
	if (th->flags & TCP_F_RST) {
		tcp.ctr[TCP_C_RST_FROM_GUEST]++;
		tcp_close(c, true, false);
		return;
	}
	if (!(th->flags & TCP_F_SYN)) {
		tcp.ctr[TCP_C_BAD]++;
		return;
	}
	c->rcv_nxt = th->seq + 1;
	c->ws_guest = tcp_ws_clamp(th->wscale);
	c->ws_ours = th->wscale >= 0 ? TCP_WS_OURS : 0;
	if (th->wscale < 0)
		c->ws_guest = 0;
	c->sack_ok = th->sack_ok;
	c->mss = tcp_mss(tcp_link_mtu(tcp.fc->mtu), c->v4, th->mss);
	c->wnd_guest = th->window;
	c->wnd_raw = th->window;
	c->retries = 0;
	c->rto_ms = TCP_RTO_MIN_MS;
	timer_id_cancel(tcp.kind, tcp_id(c));
	tcp_set_state(c, TCP_S_ESTABLISHED);
	tcp.ctr[TCP_C_ESTABLISHED]++;
	c->active_s = tcp_secs(now);
	tcp_send_flags(c, 0);
	tcp_send_data(c, now);
	tcp_epoll_update(c);
}

/* Acknowledgement and window from an established guest */
static void tcp_ack_input(struct tcp_conn *c, const struct tcp_view *th,
			  uint64_t now)
{
	uint32_t una_before = c->snd_una;
	uint32_t top = c->snd_max + (c->fin_sent ? 1 : 0);
	uint32_t ack = th->ack;
	bool wnd_same = th->window == c->wnd_raw;
	bool sacked = false;

	c->wnd_raw = th->window;
	switch (tcp_ack_classify(c->snd_una, top, ack)) {
	case TCP_ACK_INVALID:
		tcp_send_flags(c, 0);
		return;
	case TCP_ACK_OLD:
		return;		/* reordered: its window may be stale too */
	case TCP_ACK_NEW:
		if (c->fin_sent && ack == c->snd_max + 1) {
			c->fin_acked = true;
			ack = c->snd_max;
		}
		if (seq_gt(ack, c->snd_una) && !tcp_discard_later(c) &&
		    tcp_discard(c, ack - c->snd_una)) {
			tcp_close(c, false, true);
			return;
		}
		c->snd_una = ack;
		if (seq_lt(c->snd_nxt, ack))
			c->snd_nxt = ack;	/* acked past a rewind */
		c->dup_acks = 0;
		c->retries = 0;
		c->rto_ms = TCP_RTO_MIN_MS;
		c->persist_ms = TCP_RTO_MIN_MS;
		c->active_s = tcp_secs(now);
		if (c->in_recovery && seq_ge(ack, c->recover))
			c->in_recovery = false;
		if (c->sb_used)
			tcp_sb_trim(&tcp.sb[tcp_id(c)], ack);
		break;
	case TCP_ACK_SAME:
		break;
	}
	c->wnd_guest = tcp_wnd_scaled(th->window, c->ws_guest);
	if (c->wnd_guest)
		c->persist_ms = TCP_RTO_MIN_MS;
	if (c->sack_ok && th->sack_n && c->snd_una != c->snd_max)
		sacked = tcp_sb_add(tcp_sb(c), c->snd_una, c->snd_max,
				    (const uint32_t (*)[2])th->sack,
				    th->sack_n);

	/* with SACK, an ACK that SACKs more is a duplicate whatever its
	 * window (RFC 6675 section 2) */
	if (tcp_is_dup_ack(una_before, c->snd_max, th->ack, th->paylen,
			   th->flags & (TCP_F_SYN | TCP_F_FIN), wnd_same) ||
	    (sacked && th->ack == una_before && !th->paylen &&
	     !(th->flags & (TCP_F_SYN | TCP_F_FIN)))) {
		tcp.ctr[TCP_C_DUP_ACK]++;
		if (++c->dup_acks == TCP_DUP_ACK_THRESH && !c->in_recovery) {
			/*
			 * RFC 5681 3.2 fast retransmit: of the holes the
			 * guest's SACK blocks leave (tcp_send_holes()), or
			 * go-back-N from snd_una without SACK
			 */
			tcp.ctr[TCP_C_FAST_RTX]++;
			c->in_recovery = true;
			c->recover = c->snd_max;
			if (c->sack_ok) {
				struct tcp_sb *sb = tcp_sb(c);

				sb->rtx_next = c->snd_una;
				sb->rto = false;
			} else {
				tcp_rewind(c);
			}
		}
	}
	if (c->snd_una == c->snd_max)
		c->sb_used = false;	/* all acknowledged: nothing to keep */
	tcp_timer_update(c, now, c->snd_una != una_before);
	/* with EPOLLIN armed and nothing to resend, epoll says when;
	 * after a discard was queued, the post hook sends */
	if (!(c->ev & EPOLLIN) || c->snd_nxt != c->snd_max ||
	    tcp_sack_due(c))
		tcp_send_data(c, now);
	else if (!c->disc_queued)
		tcp_maybe_fin(c, now);	/* the host's EOF came before */
}

/* Guest data to the host socket: bytes taken (0 if full), -errno;
 * #syscalls: sendto */
static ssize_t tcp_host_write(void *ctx, const void *p, size_t len)
{
	struct tcp_conn *c = ctx;
	ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0) {
		if ((size_t)n < len) {
			c->out_full = true;
			c->wnd_lg = 0;
		}
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->out_full = true;
		c->wnd_lg = 0;
		return 0;
	}
	return -errno;
}

/* ---- guest to host: segments gathered per batch ------------------------- */

/* Slot of @c in the gather, or -1 */
static int tcp_gather_slot(const struct tcp_conn *c)
{
	unsigned int i;

	for (i = 0; i < tcp.gather.conns; i++)
		if (tcp.gather.id[i] == (int)tcp_id(c))
			return (int)i;
	return -1;
}

/* Next sequence number expected from the guest, gathered bytes included */
static uint32_t tcp_rcv_next(const struct tcp_conn *c)
{
	int s = tcp_gather_slot(c);

	return c->rcv_nxt + (s < 0 ? 0 : tcp.gather.bytes[s]);
}

/**
 * tcp_written() - account for guest data written to the host socket
 * @c:		connection
 * @n:		bytes the socket took, or -errno
 * @want:	bytes offered
 * @now:	loop time
 *
 * Moves rcv_nxt past what was taken, drains segments held after a hole
 * once everything offered went out, and schedules the ACK.
 * Return: false if the write failed and @c is closed
 */
static bool tcp_written(struct tcp_conn *c, ssize_t n, size_t want,
			uint64_t now)
{
	if (n >= 0) {
		c->rcv_nxt += (uint32_t)n;
		if ((size_t)n == want && tcp_ooo_held(c))
			n = tcp_ooo_drain(tcp_ooo(c), &c->rcv_nxt,
					  tcp_host_write, c);
	}
	if (n < 0) {
		debug("flow %u tcp: write to host: %s", tcp_id(c),
		      strerror((int)-n));
		tcp_close(c, false, true);
		return false;
	}
	if (c->out_full)
		tcp.ctr[TCP_C_OUT_FULL]++;
	c->active_s = tcp_secs(now);
	tcp_ack_later(c);
	return true;
}

/**
 * tcp_gather_write() - write one connection's gathered segments
 * @s:		slot
 * @now:	loop time
 *
 * One sendmsg() for all of them. Only what the socket took is
 * acknowledged; the guest sends the rest again.
 * #syscalls: sendmsg
 */
static void tcp_gather_write(unsigned int s, uint64_t now)
{
	struct tcp_gather *g = &tcp.gather;
	struct iovec iov[TCP_GATHER_SEGS];
	struct msghdr mh = { .msg_iov = iov };
	struct tcp_conn *c;
	unsigned int i;
	uint32_t want = g->bytes[s];
	ssize_t n;

	if (g->id[s] < 0)
		return;
	c = &tcp.conns[g->id[s]];
	g->id[s] = -1;		/* written or not, the slot is done */
	for (i = 0; i < g->segs; i++)
		if (g->slot[i] == s)
			iov[mh.msg_iovlen++] = g->iov[i];
	if (mh.msg_iovlen > 1)
		tcp.ctr[TCP_C_GATHERED] += mh.msg_iovlen;
	n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		n = 0;
	if (n >= 0 && (uint32_t)n < want) {
		c->out_full = true;
		c->wnd_lg = 0;
	}
	if (tcp_written(c, n, want, now))
		tcp_epoll_update(c);
}

/* Write what @c gathered so far, before anything else of it is handled */
static void tcp_gather_flush(struct tcp_conn *c, uint64_t now)
{
	int s = tcp_gather_slot(c);

	if (s >= 0)
		tcp_gather_write((unsigned int)s, now);
}

/* End of a batch of guest frames (flow_batch_end()): write everything */
void tcp_batch_end(uint64_t now)
{
	unsigned int s;

	for (s = 0; s < tcp.gather.conns; s++)
		tcp_gather_write(s, now);
	tcp.gather.conns = 0;
	tcp.gather.segs = 0;
}

/**
 * tcp_gather_add() - keep an in-order segment for the batch's sendmsg()
 * @c:		connection
 * @seq:	sequence number of @p, tcp_rcv_next() on entry
 * @p:		payload, in the link's buffer until tcp_batch_end()
 * @len:	bytes, not zero
 * @now:	loop time
 * Return: true if kept; false if writing a full gather left @seq out of
 * order (short write) or closed @c: the caller handles it as usual
 */
static bool tcp_gather_add(struct tcp_conn *c, uint32_t seq,
			   const uint8_t *p, uint32_t len, uint64_t now)
{
	struct tcp_gather *g = &tcp.gather;
	int s = tcp_gather_slot(c);

	/* segments since our last ACK: this one starts a new count if
	 * everything before it was acknowledged */
	if (c->ack_sent == seq)
		c->seg_owed = 1;
	else if (c->seg_owed < 3)
		c->seg_owed++;
	if (g->segs == TCP_GATHER_SEGS ||
	    (s < 0 && g->conns == TCP_GATHER_CONNS)) {
		tcp_batch_end(now);	/* full: write, go on */
		if (c->state != TCP_S_ESTABLISHED || seq != c->rcv_nxt)
			return false;
		s = -1;
	}
	if (s < 0) {
		s = (int)g->conns++;
		g->id[s] = (int)tcp_id(c);
		g->bytes[s] = 0;
	}
	g->iov[g->segs].iov_base = (void *)p;
	g->iov[g->segs].iov_len = len;
	g->slot[g->segs++] = (uint8_t)s;
	g->bytes[s] += len;
	return true;
}

/**
 * tcp_splice_ok() - may the link move this segment's payload into the
 * host socket itself (flow_tcp_splice_ok())?
 * @ip:		IP view of the segment
 * @th:		its TCP header; the payload was not read
 *
 * Yes for plain in-order data of an established connection with nothing
 * gathered before it; what the ACK on it does first (tcp_ack_input())
 * may still close the connection, and the payload is then dropped.
 */
bool tcp_splice_ok(const struct ip_view *ip, const struct tcp_view *th)
{
	const struct tcp_conn *c;
	struct flow_key key;
	int id;

	if (!tcp.conns || tcp.fc->no_tcp ||
	    (th->flags & ~TCP_F_PSH) != TCP_F_ACK)
		return false;
	flow_key_guest(&key, &ip->src, &ip->dst, th->sport, th->dport,
		       IPPROTO_TCP);
	id = flow_index_find(&key);
	if (id < 0 || (unsigned int)id >= tcp.max_flows)
		return false;
	c = &tcp.conns[id];
	return c->state == TCP_S_ESTABLISHED && !c->guest_fin &&
	       th->seq == c->rcv_nxt && tcp_gather_slot(c) < 0;
}

/*
 * In-order data whose payload is still in the link (tcp_splice_ok() said
 * yes): the link moves what the socket takes; the rest is lost, not
 * acknowledged, and sent again by the guest
 */
static void tcp_splice_in(struct tcp_conn *c, uint32_t len, uint64_t now)
{
	ssize_t n;

	if (c->ack_sent == c->rcv_nxt)
		c->seg_owed = 1;
	else if (c->seg_owed < 3)
		c->seg_owed++;
	tcp_gather_flush(c, now);
	n = tcp.tx->rx_splice(tcp.tx, c->fd, len);
	if (n >= 0 && (uint32_t)n < len) {
		c->out_full = true;
		c->wnd_lg = 0;
	}
	if (tcp_written(c, n, len, now))
		tcp_epoll_update(c);
}

/* Payload and FIN from an established guest; #syscalls: shutdown */
static void tcp_data_input(struct tcp_conn *c, const struct tcp_view *th,
			   struct pkt_cursor payload, uint64_t now)
{
	uint32_t len = th->paylen, skip = 0;
	enum tcp_seg_class cls;

	if (len > cur_len(&payload))
		len = (uint32_t)cur_len(&payload);
	if (!len && !(th->flags & TCP_F_FIN)) {
		/* a zero window probe or keepalive: answer with our window */
		if (seq_lt(th->seq, tcp_rcv_next(c))) {
			tcp_gather_flush(c, now);
			if (c->state == TCP_S_ESTABLISHED)
				tcp_send_flags(c, 0);
		}
		return;
	}
	if (tcp.tx->rx_in_link) {
		/* the payload is still in the link, never in @payload */
		if (!(th->flags & TCP_F_FIN) && !c->guest_fin &&
		    th->seq == tcp_rcv_next(c)) {
			tcp_splice_in(c, len, now);
			return;
		}
		return;		/* lost on its way: the guest sends it again */
	}
	if (!(th->flags & TCP_F_FIN) && !c->guest_fin &&
	    th->seq == tcp_rcv_next(c)) {
		/* plain in-order data: written at the end of the batch */
		const uint8_t *p = cur_peek(&payload, len);

		if (p && tcp_gather_add(c, th->seq, p, len, now))
			return;
		if (c->state != TCP_S_ESTABLISHED)
			return;
	}
	/* anything else sees the bytes gathered before it written */
	tcp_gather_flush(c, now);
	if (c->state != TCP_S_ESTABLISHED)
		return;
	if (c->guest_fin) {
		if (seq_lt(th->seq, c->rcv_nxt))
			tcp_send_flags(c, 0);	/* our ACK got lost */
		return;
	}
	cls = tcp_seg_classify(c->rcv_nxt, th->seq, len, &skip);
	if (cls == TCP_SEG_FUTURE) {
		/* a hole before it: keep it if we can, say so at once */
		const uint8_t *p = cur_peek(&payload, len);

		if (len && p && !tcp_ooo_add(tcp_ooo(c), c->rcv_nxt, th->seq, p,
					     len))
			tcp.ctr[TCP_C_OOO_HELD]++;
		else
			tcp.ctr[TCP_C_OOO_DROP]++;
		tcp_send_flags(c, 0);
		return;
	}
	if (cls == TCP_SEG_IN_ORDER) {
		const uint8_t *p;
		ssize_t n;

		cur_skip(&payload, skip);
		p = cur_peek(&payload, len - skip);
		if (!p)
			return;
		n = tcp_host_write(c, p, len - skip);
		if (!tcp_written(c, n, len - skip, now))
			return;
	} else if (len) {
		/* the guest sent it again: our ACK got lost, repeat it */
		tcp.ctr[TCP_C_DUP_DATA]++;
		tcp_send_flags(c, 0);
	}

	if ((th->flags & TCP_F_FIN) && th->seq + len == c->rcv_nxt) {
		c->guest_fin = true;
		c->rcv_nxt++;
		shutdown(c->fd, SHUT_WR);
		c->active_s = tcp_secs(now);
		if (c->fin_sent)
			tcp_send_flags(c, 0);	/* last word: close follows */
		else
			tcp_ack_later(c);	/* our FIN may carry it */
		tcp_timer_update(c, now, false);
	}
	tcp_epoll_update(c);
}

static void tcp_established_input(struct tcp_conn *c,
				  const struct tcp_view *th,
				  struct pkt_cursor payload, uint64_t now)
{
	if (th->flags & TCP_F_RST) {
		uint32_t wnd = (uint32_t)c->wnd_sent << c->ws_ours;

		if (!tcp_rst_in_window(c->rcv_nxt, th->seq, wnd)) {
			tcp.ctr[TCP_C_BAD]++;
			return;
		}
		tcp.ctr[TCP_C_RST_FROM_GUEST]++;
		tcp_close(c, true, false);
		return;
	}
	if (th->flags & TCP_F_SYN) {
		/* retransmitted SYN-ACK: our ACK got lost; else challenge */
		tcp_send_flags(c, 0);
		return;
	}
	if (!(th->flags & TCP_F_ACK)) {
		tcp.ctr[TCP_C_BAD]++;
		return;
	}
	/* the guest is there (keepalives and probe answers count too) */
	c->active_s = tcp_secs(now);
	tcp_ack_input(c, th, now);
	if (c->state != TCP_S_ESTABLISHED)
		return;
	tcp_data_input(c, th, payload, now);
	if (c->state == TCP_S_ESTABLISHED)
		tcp_check_done(c);
}

static void tcp_syn_rcvd_input(struct tcp_conn *c, const struct tcp_view *th,
			       struct pkt_cursor payload, uint64_t now)
{
	if (th->flags & TCP_F_RST) {
		tcp.ctr[TCP_C_RST_FROM_GUEST]++;
		tcp_close(c, true, false);
		return;
	}
	if (th->flags & TCP_F_SYN) {
		if (th->seq + 1 == c->rcv_nxt)
			tcp_send_syn(c, true);	/* SYN-ACK got lost */
		return;
	}
	if (!(th->flags & TCP_F_ACK) || th->ack != c->snd_una) {
		tcp.ctr[TCP_C_BAD]++;
		return;
	}
	timer_id_cancel(tcp.kind, tcp_id(c));
	c->retries = 0;
	c->rto_ms = TCP_RTO_MIN_MS;
	tcp_set_state(c, TCP_S_ESTABLISHED);
	tcp.ctr[TCP_C_ESTABLISHED]++;
	tcp_established_input(c, th, payload, now);
	if (c->state != TCP_S_ESTABLISHED)
		return;
	/* epoll already watches for data (SYN_RCVD): peek only if it came */
	if (c->rd_pending || !(c->ev & EPOLLIN))
		tcp_send_data(c, now);
	tcp_epoll_update(c);
}

void tcp_input(const struct ip_view *ip, const struct tcp_view *th,
	       struct pkt_cursor payload, uint64_t now)
{
	struct flow_key key;
	struct tcp_conn *c;
	int id;

	if (!tcp.conns || tcp.fc->no_tcp) {
		tcp.ctr[TCP_C_DISABLED]++;
		return;
	}
	flow_key_guest(&key, &ip->src, &ip->dst, th->sport, th->dport,
		       IPPROTO_TCP);

	id = flow_index_find(&key);
	if (id < 0 || (unsigned int)id >= tcp.max_flows ||
	    tcp.conns[id].state == TCP_S_FREE ||
	    tcp.conns[id].state == TCP_S_CLOSED) {
		if ((th->flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN) {
			tcp_syn_out(ip, th, &key, now);
			return;
		}
		tcp.ctr[TCP_C_NO_FLOW]++;
		tcp_rst_stray(ip, th);
		return;
	}
	c = &tcp.conns[id];
	switch (c->state) {
	case TCP_S_CONNECTING:
		if (th->flags & TCP_F_RST) {
			tcp.ctr[TCP_C_RST_FROM_GUEST]++;
			tcp_close(c, true, false);
		}
		return;		/* SYN again: the answer is on its way */
	case TCP_S_SYN_RCVD:
		tcp_syn_rcvd_input(c, th, payload, now);
		return;
	case TCP_S_SYN_SENT:
		tcp_syn_sent_input(c, th, now);
		return;
	case TCP_S_ESTABLISHED:
		if ((th->flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN &&
		    (c->guest_fin || c->fin_sent)) {
			/* a new connection on a port we are still closing */
			tcp_close(c, true, false);
			tcp_syn_out(ip, th, &key, now);
			return;
		}
		tcp_established_input(c, th, payload, now);
		return;
	default:
		return;
	}
}

/* ---- the post hook: ACKs sent or held, deferred frees ------------------ */

/* The @i-th oldest held ACK */
static struct tcp_held *tcp_held_at(unsigned int i)
{
	i += tcp.held_head;
	return &tcp.held_list[i < tcp.max_flows ? i : i - tcp.max_flows];
}

/* Is the held ACK still owed (no segment carried it since)? */
static bool tcp_held_owed(const struct tcp_held *h)
{
	const struct tcp_conn *c = &tcp.conns[h->id];

	return c->state == TCP_S_ESTABLISHED && seq_lt(c->ack_sent, h->seq);
}

/* Take the @n oldest entries off the ring */
static void tcp_held_drop(unsigned int n)
{
	tcp.held_head += n;
	if (tcp.held_head >= tcp.max_flows)
		tcp.held_head -= tcp.max_flows;
	tcp.held_count -= n;
	if (!tcp.held_count)
		tcp.held_head = 0;
}

/* The timer follows the oldest entry; none left, no timer (no wakeup) */
static void tcp_held_timer(void)
{
	if (!tcp.held_count)
		timer_cancel(&tcp.delack);
	else if ((!timer_armed(&tcp.delack) ||
		  tcp.delack.deadline_ns != tcp_held_at(0)->deadline) &&
		 timer_arm(&tcp.delack, tcp_held_at(0)->deadline))
		tcp.ctr[TCP_C_TIMER_FULL]++;
}

/*
 * Held ACKs whose time is up (the ring is in deadline order): send those
 * no reply data carried, then wait for the next deadline. A connection
 * may be listed more than once (held again after a reply carried the
 * ACK), or closed and its slot used again: @seq tells whether the entry
 * is still owed.
 */
static void tcp_delack_fire(struct timer *t, uint64_t now)
{
	unsigned int i;

	(void)t;
	for (i = 0; i < tcp.held_count && tcp_held_at(i)->deadline <= now;
	     i++) {
		const struct tcp_held *h = tcp_held_at(i);
		struct tcp_conn *c = &tcp.conns[h->id];

		if (!tcp_held_owed(h))
			continue;
		tcp.ctr[TCP_C_ACK_TIMER]++;
		tcp_send_flags(c, 0);
		tcp_epoll_update(c);
	}
	tcp_held_drop(i);
	tcp_held_timer();
}

/*
 * Forget the oldest held ACKs that a segment carried since (the reply, in
 * request/response): the timer then waits for the first one still owed,
 * or is off, instead of waking the loop each millisecond for nothing.
 */
static void tcp_held_trim(void)
{
	unsigned int i;

	for (i = 0; i < tcp.held_count && !tcp_held_owed(tcp_held_at(i)); i++)
		;
	if (!i)
		return;
	tcp_held_drop(i);
	tcp_held_timer();
}

/**
 * tcp_ack_decide() - acknowledge guest data now, or hold the ACK back
 * @c:		connection with an ACK queued this iteration
 * @now:	loop time
 *
 * A request is usually answered by the host within microseconds: held
 * for up to TCP_DELACK_NS, the ACK rides on the reply's first segment
 * (data segments set @ack_sent), one frame instead of two. Never held:
 * at least every TCP_ACK_EVERY_SEGS segments, whatever their size, as a
 * Linux receiver does (the guest's send and congestion windows grow
 * with our ACKs), a full-sized segment (bulk data, not a request:
 * holding those cost a namespace guest's iperf3 upload about 15%), a
 * window update after the socket had no room, a
 * window running low (half of the last queried one left: the guest may
 * be about to stall on it).
 * The guest's FIN is held the same way while ours is not sent: the host
 * usually closes at once too, and our FIN then carries the ACK (what a
 * Linux peer does in the same place), one frame instead of two.
 * Out-of-order data, duplicates and probes are answered at once where
 * they arrive, not here.
 */
static void tcp_ack_decide(struct tcp_conn *c, uint64_t now)
{
	uint32_t owed = c->rcv_nxt - c->ack_sent;

	if (!owed) {
		/* only a window update (EPOLLOUT reset @wnd_lg), if news */
		if (c->wnd_lg || c->wnd_sent == tcp_wnd_now(c))
			return;
	} else if (c->seg_owed < TCP_ACK_EVERY_SEGS && owed < c->mss &&
		   (c->guest_fin ? !c->fin_sent : !tcp_wnd_low(c)) &&
		   tcp.held_count < tcp.max_flows) {
		struct tcp_held *h = tcp_held_at(tcp.held_count++);

		tcp.ctr[TCP_C_ACK_HELD]++;
		h->deadline = now + TCP_DELACK_NS;
		h->id = (int)tcp_id(c);
		h->seq = c->rcv_nxt;
		if (!timer_armed(&tcp.delack) &&
		    timer_arm(&tcp.delack, h->deadline))
			tcp.ctr[TCP_C_TIMER_FULL]++;
		return;
	}
	tcp_send_flags(c, 0);
	tcp_epoll_update(c);
}

/**
 * tcp_post_discard() - drop acknowledged bytes, then send what that allows
 * @now:	loop time
 *
 * One recv(MSG_TRUNC) per connection for all the ACKs of this iteration
 * (tcp_discard_later()), then one tcp_send_data() for the window they
 * opened. Runs before the ACK
 * flush, so that data segments carry the ACKs.
 */
static void tcp_post_discard(uint64_t now)
{
	unsigned int i;

	for (i = 0; i < tcp.disc_count; i++) {
		struct tcp_conn *c;
		uint32_t len;

		if (tcp.disc_list[i].id < 0)
			continue;	/* tcp_discard_now() did it */
		c = &tcp.conns[tcp.disc_list[i].id];
		len = c->snd_una - tcp.disc_list[i].head;
		c->disc_queued = false;
		if (c->state != TCP_S_ESTABLISHED || c->fd < 0)
			continue;
		if (len && tcp_discard(c, len)) {
			tcp_close(c, false, true);
			continue;
		}
		if (!(c->ev & EPOLLIN) || c->snd_nxt != c->snd_max ||
		    c->rd_pending)
			tcp_send_data(c, now);
		else
			tcp_maybe_fin(c, now);
	}
	tcp.disc_count = 0;
}

static void tcp_post(void *arg, uint64_t now)
{
	unsigned int i;

	(void)arg;
	tcp_batch_end(now);	/* nothing left gathered, normally */
	tcp_post_discard(now);
	tcp.post_ns = now;
	for (i = 0; i < tcp.ack_count; i++) {
		struct tcp_conn *c = &tcp.conns[tcp.ack_list[i]];

		c->ack_queued = false;
		if (c->state == TCP_S_ESTABLISHED)
			tcp_ack_decide(c, now);
	}
	tcp.ack_count = 0;
	tcp_held_trim();
	for (i = 0; i < tcp.free_count; i++) {
		struct tcp_conn *c = &tcp.conns[tcp.free_list[i]];

		c->free_queued = false;
		if (c->state != TCP_S_CLOSED)
			continue;
		c->state = TCP_S_FREE;
		tcp.conn_count--;
		flow_free((int)tcp_id(c));
	}
	tcp.free_count = 0;
}

/* ---- inbound: a connection accepted by a -t listener ------------------ */

/**
 * tcp_inbound() - start a connection to the guest for an accepted socket
 * @fd:		accepted host socket, non-blocking; ours on success
 * @key:	the flow as the guest will see it
 * @now:	loop time
 * Return: 0, or -errno (the caller resets and closes @fd)
 */
int tcp_inbound(int fd, const struct flow_key *key, uint64_t now)
{
	struct tcp_conn *c;
	int zero = 0;

	if (!tcp.conns || tcp.fc->no_tcp)
		return -EPERM;
	c = tcp_conn_new(key, now);
	if (!c)
		return -ENOSPC;
	tcp.ctr[TCP_C_ACCEPTED]++;
	c->fd = fd;
	c->inbound = true;
	tcp_sock_opts(fd);
	if (tcp.peek_off)
		setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	c->snd_una = c->snd_nxt = c->snd_max = tcp_isn() + 1;
	c->ws_ours = TCP_WS_OURS;
	c->mss = tcp_mss(tcp_link_mtu(tcp.fc->mtu), c->v4, 0);
	c->rto_ms = TCP_RTO_MIN_MS * 5;
	if (loop_add_id(fd, 0, tcp.kind, tcp_id(c))) {
		c->fd = -1;	/* the caller closes it */
		tcp_close(c, false, false);
		return -ENOSPC;
	}
	c->in_epoll = true;
	c->ev = 0;
	tcp_set_state(c, TCP_S_SYN_SENT);
	tcp_send_syn(c, false);
	tcp_arm(c, TCP_T_RTX, now + c->rto_ms * NSEC_PER_MSEC);
	return 0;
}

/* Does the kernel keep a peek offset on TCP sockets (Linux 6.9 and later)? */
static bool tcp_probe_peek_off(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int zero = 0;
	bool ok;

	if (fd < 0)
		return false;
	ok = !setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	close(fd);
	return ok;
}

/**
 * tcp_init() - allocate connection state and open -t listeners
 * @fc:		flow configuration, kept for the life of the process
 * @tx:		frames to the guest
 * Return: 0, or -errno (the reason is logged)
 */
int tcp_init(const struct flow_conf *fc, struct guest_tx *tx)
{
	struct loop_kind kind = {
		.ready = tcp_sock_ready,
		.expire = tcp_timer_fire,
		.tmr_stride = sizeof(struct tcp_conn),
	};
	unsigned int n = fc->max_flows;
	int rc;

	tcp.fc = fc;
	tcp.tx = tx;
	stats_register("tcp", tcp_ctr_names, tcp.ctr, TCP_C__COUNT);
	if (fc->no_tcp)
		return 0;
	tcp.max_flows = n;
	tcp.conns = calloc(n, sizeof(*tcp.conns));
	tcp.ooo = calloc(n, sizeof(*tcp.ooo));
	tcp.sb = calloc(n, sizeof(*tcp.sb));
	tcp.ack_list = calloc(n, sizeof(*tcp.ack_list));
	tcp.held_list = calloc(n, sizeof(*tcp.held_list));
	tcp.free_list = calloc(n, sizeof(*tcp.free_list));
	tcp.disc_list = calloc(n, sizeof(*tcp.disc_list));
	if (!tx->reserve)	/* the link copies frames: peek into ours */
		tcp.peek_buf = malloc(TCP_PEEK_BUF);
	tcp.frame_buf = malloc(TCP_FRAME_BUF);
	if (!tcp.conns || !tcp.ooo || !tcp.sb || !tcp.ack_list || !tcp.held_list ||
	    !tcp.free_list || !tcp.disc_list ||
	    (!tx->reserve && !tcp.peek_buf) || !tcp.frame_buf ||
	    idq_init(&tcp.waitq, n))
		return -ENOMEM;
	timer_init(&tcp.delack, tcp_delack_fire);
	timer_init(&tcp.sweep, tcp_sweep);
	if (timer_arm(&tcp.sweep, clock_now_ns() + TCP_SWEEP_NS))
		return -ENOSPC;
	kind.tmr = &tcp.conns[0].tmr;
	rc = loop_kind_add(&kind);
	if (rc < 0)
		return rc;
	tcp.kind = (unsigned int)rc;
	tcp.gw.fn = tcp_room_wake;
	if (tcp_ooo_init(0))
		return -ENOMEM;
	tcp.peek_off = tcp_probe_peek_off();
	if (!tcp.peek_off) {
		tcp.discard_buf = malloc(TCP_DISCARD_BUF);
		if (!tcp.discard_buf)
			return -ENOMEM;
		info("tcp: kernel lacks SO_PEEK_OFF on TCP; peeking the slow way");
	}
	if (loop_add_post(tcp_post, NULL))
		return -ENOSPC;
	return tcp_fwd_init(fc);
}
