// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/rr.c - small TCP load generator for bench/bench.py: 1-byte
 * request/response latency, connection rate, many idle connections
 *
 * Owns: the server that answers all three (on the host's loopback) and
 * the three clients (run inside the benchmark's namespace or guest).
 * Does not own: starting daemons or namespaces, or deciding what a result
 * means (bench.py does).
 *
 * Usage:
 *   rr server ADDR PORT            echo every byte back, any number of
 *                                  connections, until SIGTERM
 *   rr rr ADDR PORT SECONDS        one connection, 1-byte ping-pong:
 *                                  prints "tps=N p50_us=N p99_us=N"
 *   rr crr ADDR PORT SECONDS       connect, 1-byte exchange, close, again:
 *                                  prints "cps=N fail=N"
 *   rr idle ADDR PORT N            open N connections (at most 256 being
 *                                  set up at once), exchange 1 byte on
 *                                  each, print "ready OK FAILED SECONDS",
 *                                  then hold them until stdin closes
 *
 *   rr udpsend ADDR PORT SECONDS SIZE
 *                                  send SIZE-byte datagrams as fast as the
 *                                  socket takes them: prints "sent=BYTES"
 *   rr udprecv ADDR PORT SECONDS   say "go" to ADDR:PORT (again every
 *                                  200 ms until data comes), then count
 *                                  what arrives until SECONDS after the
 *                                  first datagram or 2 s of silence:
 *                                  prints "got=BYTES n=DATAGRAMS"
 *
 * Every loop is bounded by time or count; the server is bounded by its
 * caller's signal. No data but one-byte messages is ever sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES	(8 * 1000 * 1000)	/* latency samples kept */
#define IDLE_MAX	19000			/* below the 20 000 fd limit */
#define IDLE_BATCH	256			/* connections set up at once */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct sockaddr_in addr_of(const char *a, const char *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, a, &sa.sin_addr) != 1) {
		fprintf(stderr, "rr: %s: not an IPv4 address\n", a);
		exit(2);
	}
	sa.sin_port = htons(atoi(p));
	return sa;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void nodelay(int s)
{
	int one = 1;

	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Echo server: every byte read is written back (1-byte messages only, so a
 * write never blocks for long; a short write is retried once per event). */
static int server(struct sockaddr_in sa)
{
	struct epoll_event ev, evs[256];
	int one = 1, ls, ep, i, n;
	char buf[4096];

	raise_nofile();
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4096))
		die("bind/listen");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		n = epoll_wait(ep, evs, 256, 500);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					nodelay(c);
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				if (write(fd, buf, r) < 0 && errno != EAGAIN)
					r = 0;
			}
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int rr(struct sockaddr_in sa, double secs)
{
	static uint32_t lat[MAX_SAMPLES];	/* nanoseconds */
	size_t n = 0, count = 0;
	double start, end, t0, t1;
	char c = 'x';
	int s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	nodelay(s);
	start = now();
	end = start + secs;
	t0 = start;
	while (t0 < end) {
		if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1)
			die("ping-pong");
		t1 = now();
		if (n < MAX_SAMPLES)
			lat[n++] = (uint32_t)((t1 - t0) * 1e9);
		count++;
		t0 = t1;
	}
	qsort(lat, n, sizeof(lat[0]), cmp_u32);
	printf("tps=%.0f p50_us=%.1f p99_us=%.1f n=%zu\n",
	       count / (t0 - start), lat[n / 2] / 1e3,
	       lat[n * 99 / 100] / 1e3, count);
	close(s);
	return 0;
}

static int crr(struct sockaddr_in sa, double secs)
{
	size_t count = 0, fail = 0;
	double start = now(), end = start + secs, t = start;
	char c = 'x';

	while (t < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			die("socket");
		nodelay(s);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) ||
		    write(s, &c, 1) != 1 || read(s, &c, 1) != 1)
			fail++;
		else
			count++;
		close(s);
		t = now();
		if (fail > 1000)
			break;
	}
	printf("cps=%.0f fail=%zu n=%zu\n", count / (t - start), fail, count);
	return 0;
}

/* Open n connections, IDLE_BATCH at a time: connect, send one byte, wait
 * for its echo, then leave the connection idle. A connection that fails or
 * is not set up within IDLE_SETUP_S counts as failed; after IDLE_FAIL_MAX
 * failures, or IDLE_TOTAL_S, no more are opened. Prints "ready OK FAILED SECONDS". */
#define IDLE_SETUP_S	60	/* per batch */
#define IDLE_TOTAL_S	180	/* no new batch after this */
#define IDLE_FAIL_MAX	200

static int idle(struct sockaddr_in sa, int n)
{
	static int fds[IDLE_MAX];
	int i, j, done = 0, failed = 0, open_ = 0;
	double start = now();
	char c = 'x';

	raise_nofile();
	if (n > IDLE_MAX)
		n = IDLE_MAX;
	for (i = 0; i < n && failed < IDLE_FAIL_MAX &&
		    now() < start + IDLE_TOTAL_S; i += IDLE_BATCH) {
		int m = n - i < IDLE_BATCH ? n - i : IDLE_BATCH;
		struct pollfd pfd[IDLE_BATCH];
		double deadline = now() + IDLE_SETUP_S;
		int left = m;

		for (j = 0; j < m; j++) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (s < 0)
				die("socket");
			fds[open_++] = s;
			pfd[j].fd = s;
			pfd[j].events = POLLOUT;
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) &&
			    errno != EINPROGRESS) {
				pfd[j].fd = -1;
				left--;
				failed++;
			}
		}
		while (left && now() < deadline) {
			if (poll(pfd, m, 1000) < 0)
				die("poll");
			for (j = 0; j < m; j++) {
				if (pfd[j].fd < 0 || !pfd[j].revents)
					continue;
				if ((pfd[j].revents & (POLLERR | POLLHUP)) ||
				    (pfd[j].events == POLLOUT &&
				     write(pfd[j].fd, &c, 1) != 1) ||
				    (pfd[j].events == POLLIN &&
				     read(pfd[j].fd, &c, 1) != 1)) {
					pfd[j].fd = -1;
					left--;
					failed++;
				} else if (pfd[j].events == POLLOUT) {
					pfd[j].events = POLLIN;
				} else {
					pfd[j].fd = -1;
					left--;
					done++;
				}
			}
		}
		failed += left;
	}
	printf("ready %d %d %.1f\n", done, failed, now() - start);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	for (i = 0; i < open_; i++)
		close(fds[i]);
	return 0;
}

static int udp_socket(struct sockaddr_in sa)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("udp socket");
	return s;
}

static int udpsend(struct sockaddr_in sa, double secs, size_t size)
{
	static char buf[65507];
	double end = now() + secs;
	size_t sent = 0;
	int s = udp_socket(sa);

	if (size > sizeof(buf))
		size = sizeof(buf);
	while (now() < end) {
		ssize_t n = send(s, buf, size, 0);

		if (n > 0)
			sent += (size_t)n;
		else if (errno != ENOBUFS && errno != ECONNREFUSED)
			die("send");
	}
	printf("sent=%zu\n", sent);
	return 0;
}

static int udprecv(struct sockaddr_in sa, double secs)
{
	static char buf[65536];
	size_t got = 0, count = 0;
	double start = 0, give_up = now() + 30;
	int s = udp_socket(sa);

	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		double t = now();

		if (!start && t > give_up)
			break;
		if (start && t > start + secs)
			break;
		if (!start && send(s, "go", 2, 0) < 0 && errno != ECONNREFUSED)
			die("send");
		if (poll(&p, 1, start ? 2000 : 200) < 0)
			die("poll");
		if (!p.revents) {
			if (start)
				break;		/* 2 s of silence: over */
			continue;
		}
		while (1) {
			ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0)
				break;
			if (!start)
				start = now();
			got += (size_t)n;
			count++;
		}
	}
	printf("got=%zu n=%zu\n", got, count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: rr server|rr|crr|idle|udpsend|udprecv "
			"ADDR PORT [SECONDS|N [SIZE]]\n");
		return 2;
	}
	struct sockaddr_in sa = addr_of(argv[2], argv[3]);

	if (!strcmp(argv[1], "server"))
		return server(sa);
	if (argc < 5)
		return 2;
	if (!strcmp(argv[1], "rr"))
		return rr(sa, atof(argv[4]));
	if (!strcmp(argv[1], "crr"))
		return crr(sa, atof(argv[4]));
	if (!strcmp(argv[1], "idle"))
		return idle(sa, atoi(argv[4]));
	if (!strcmp(argv[1], "udpsend") && argc > 5)
		return udpsend(sa, atof(argv[4]), strtoul(argv[5], NULL, 0));
	if (!strcmp(argv[1], "udprecv"))
		return udprecv(sa, atof(argv[4]));
	fprintf(stderr, "rr: unknown mode %s\n", argv[1]);
	return 2;
}
