// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/tcp_fwd.c - -t listeners: inbound connections for the guest
 *
 * One listening socket per forwarded port and family. An accepted
 * connection is turned into the guest's view (target address and port,
 * the peer as nat_inbound() shows it) and handed to tcp_inbound(), which
 * sends the SYN to the guest. Rules arrive with exclusions applied.
 * Limits: TCP_LISTEN_MAX sockets in all (the process may hold 20,000
 * fds, and connections need theirs): explicit rules beyond it are refused
 * at start; best-effort rules ("all") stop there with one warning.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/tcp.h"
#include "flow/tcp_fwd.h"

#define TCP_ACCEPT_BURST	64	/* accept() calls per wakeup */

/**
 * struct tcp_listener - one -t listening socket
 * @w:		watch on @fd
 * @fd:		listening socket, owned
 * @rule:	index in the flow_conf's tcp_fwd
 * @port:	host port
 * @v4:		IPv4 socket (else IPv6)
 */
struct tcp_listener {
	struct watch w;
	int fd;
	int rule;
	uint16_t port;
	bool v4;
};

static struct tcp_fwd {
	const struct flow_conf *fc;
	struct tcp_listener *listeners;	/* allocated at init */
	unsigned int count;
	struct ratelimit rl;
} fwd;

/* A connection on @l's port: work out how the guest sees it, hand it on */
static void tcp_fwd_accept(struct tcp_listener *l, int fd,
			   const struct sockaddr_storage *peer, uint64_t now)
{
	const struct fwd_rule *r = &fwd.fc->tcp_fwd[l->rule];
	const struct flow_conf *fc = fwd.fc;
	union inany paddr, target, raddr;
	struct flow_key key;
	uint16_t pport;
	bool v4;

	tcp_from_sockaddr(peer, &paddr, &pport);
	if (!inany_is_unspec(&r->to_addr))
		target = r->to_addr;
	else
		target = l->v4 ? fc->guest4 : fc->guest6;
	v4 = inany_is_v4(&target);
	if (inany_is_unspec(&target) ||
	    (v4 && !target.v4mapped.a4.s_addr))
		goto reject;		/* no guest address of that family */
	if (nat_inbound(&paddr, &raddr) || inany_is_v4(&raddr) != v4) {
		/* the peer cannot appear as itself: use the mapped host */
		raddr = v4 ? fc->map_host_lo4 : fc->map_host_lo6;
		if (inany_is_unspec(&raddr))
			raddr = v4 ? fc->gw4 : fc->gw6;
		if (inany_is_unspec(&raddr))
			goto reject;
	}
	memset(&key, 0, sizeof(key));
	key.gaddr = target;
	key.raddr = raddr;
	key.gport = (uint16_t)(r->to_first + (l->port - r->first));
	key.rport = pport;
	key.proto = IPPROTO_TCP;

	if (!tcp_inbound(fd, &key, now))
		return;
reject:
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
}

/* Accept what is waiting, a burst at a time; #syscalls: accept4 */
static void tcp_listen_ready(struct watch *w, uint32_t events, uint64_t now)
{
	struct tcp_listener *l = container_of(w, struct tcp_listener, w);
	int i;

	(void)events;
	for (i = 0; i < TCP_ACCEPT_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t sl = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNABORTED && errno != EINTR)
				log_ratelimited(&fwd.rl, now,
						LOG_LVL_WARN,
						"tcp: accept on port %u: %s",
						l->port, strerror(errno));
			if (errno == EMFILE || errno == ENFILE ||
			    errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		tcp_fwd_accept(l, fd, &peer, now);
	}
}

/*
 * Open one listener; 0, or -errno
 * #syscalls: socket setsockopt bind listen epoll_ctl close
 */
static int tcp_listen_one(const struct fwd_rule *r, int rule, uint16_t port,
			  bool v4)
{
	struct tcp_listener *l = &fwd.listeners[fwd.count];
	struct sockaddr_storage ss;
	union inany any;
	socklen_t sl;
	int one = 1, fd, rc;

	if (!inany_is_unspec(&r->bind_addr) && !r->bind_any4) {
		any = r->bind_addr;
	} else if (v4) {
		struct in_addr a = { .s_addr = htonl(INADDR_ANY) };

		inany_from_v4(&any, a);
	} else {
		memset(&any, 0, sizeof(any));
	}
	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!v4)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fwd.fc->freebind) {
		if (v4)
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one,
				   sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one,
				   sizeof(one));
	}
	if (r->bind_if[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->bind_if,
		       (socklen_t)strnlen(r->bind_if, IFNAMSIZ)) < 0)
		goto fail;
	sl = tcp_sockaddr(&any, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0)
		goto fail;
	l->fd = fd;
	l->rule = rule;
	l->port = port;
	l->v4 = v4;
	l->w.fn = tcp_listen_ready;
	if (loop_add(fd, EPOLLIN, &l->w))
		goto fail;
	fwd.count++;
	return 0;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

/* Listeners a rule needs, per family */
static void tcp_rule_families(const struct fwd_rule *r, bool *v4, bool *v6)
{
	const struct flow_conf *fc = fwd.fc;

	if (r->bind_any4) {
		*v4 = fc->ip4;
		*v6 = false;
	} else if (!inany_is_unspec(&r->bind_addr)) {
		*v4 = inany_is_v4(&r->bind_addr) && fc->ip4;
		*v6 = !inany_is_v4(&r->bind_addr) && fc->ip6;
	} else {
		*v4 = fc->ip4;
		*v6 = fc->ip6;
	}
}

/**
 * tcp_fwd_init() - open a listening socket for every -t port
 * @fc:		flow configuration (tcp_fwd rules), kept
 * Return: 0, or -errno with the reason logged
 */
int tcp_fwd_init(const struct flow_conf *fc)
{
	unsigned int need = 0;
	bool truncated = false;
	int i;

	fwd.fc = fc;
	for (i = 0; i < fc->tcp_fwd_count; i++) {
		const struct fwd_rule *r = &fc->tcp_fwd[i];
		bool v4, v6;

		tcp_rule_families(r, &v4, &v6);
		if (r->last < r->first)
			continue;
		need += (unsigned int)(r->last - r->first + 1) * (v4 + v6);
	}
	if (!need)
		return 0;
	for (i = 0; i < fc->tcp_fwd_count; i++) {
		if (!fc->tcp_fwd[i].best_effort && need > TCP_LISTEN_MAX) {
			err("-t: %u listening sockets needed, more than the limit of %u; forward fewer ports",
			    need, TCP_LISTEN_MAX);
			return -E2BIG;
		}
	}
	fwd.listeners = calloc(MIN(need, TCP_LISTEN_MAX),
			       sizeof(*fwd.listeners));
	if (!fwd.listeners)
		return -ENOMEM;

	for (i = 0; i < fc->tcp_fwd_count; i++) {
		const struct fwd_rule *r = &fc->tcp_fwd[i];
		unsigned int p;
		bool v4, v6;
		int f;

		tcp_rule_families(r, &v4, &v6);
		for (p = r->first; p <= r->last; p++) {
			for (f = 0; f < 2; f++) {
				bool fam4 = f == 0;
				int rc;

				if ((fam4 && !v4) || (!fam4 && !v6))
					continue;
				if (fwd.count >= TCP_LISTEN_MAX) {
					truncated = true;
					goto done;
				}
				rc = tcp_listen_one(r, i, (uint16_t)p, fam4);
				if (rc && !r->best_effort) {
					err("-t: cannot listen on TCP port %u (%s): %s",
					    p, fam4 ? "IPv4" : "IPv6",
					    strerror(-rc));
					return rc;
				}
			}
		}
	}
done:
	if (truncated)
		warn("-t: listening on the first %u ports only (limit %u sockets); list the ports you need instead of all",
		     fwd.count, TCP_LISTEN_MAX);
	return 0;
}

