// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/harness/relay.c - carry Ethernet frames between a tap device and a
 * stream socket that uses QEMU's framing (the namespace guest's "NIC")
 *
 * Owns: creating a tap device (IFF_TAP | IFF_NO_PI) in the network
 * namespace it runs in, and relaying frames both ways between that tap and
 * an inherited stream socket, where each frame is preceded by its length as
 * a 4-byte big-endian integer, exactly as QEMU's -netdev stream does.
 * Does not own: bringing the interface up or configuring it (the harness
 * does that with ip(8)), or starting the daemon on the other end.
 *
 * Usage: relay [-i IFNAME] [-m MTU] FD
 * Prints "ready IFNAME" on stdout once the tap device exists, then relays
 * until the stream socket closes (exit 0) or an error occurs (exit 1).
 *
 * Both directions are non-blocking. Stream to tap: bytes are read into a
 * buffer and every complete frame is written to the tap (a tap write does
 * not block; the kernel drops when its queue is full). Tap to stream: one
 * frame at a time is framed into an output buffer; while that buffer is not
 * drained the tap is not read, so back-pressure from the daemon reaches the
 * tap queue instead of being lost here, and the stream is still read, so
 * the relay never deadlocks against a daemon that is itself writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_MAX	(65536 + 4096)	/* QEMU's NET_BUFSIZE */
#define HDR_LEN		4
#define IN_BUF		(4 * (FRAME_MAX + HDR_LEN))

static uint8_t in_buf[IN_BUF];		/* stream bytes not yet relayed */
static size_t in_len;
static uint8_t out_buf[FRAME_MAX + HDR_LEN];	/* one framed tap frame */
static size_t out_len;
static size_t out_off;
static unsigned long frames_in;		/* stream -> tap */
static unsigned long frames_out;	/* tap -> stream */
static unsigned long frames_bad;

static void usage(void)
{
	fprintf(stderr, "usage: relay [-i IFNAME] [-m MTU] FD\n");
	exit(2);
}

/**
 * tap_open() - create a tap device in the current network namespace
 * @name:	interface name
 *
 * Return: the tap fd (non-blocking), or -1 with a message on stderr
 */
static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "relay: open /dev/net/tun: %s\n",
			strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "relay: TUNSETIFF %s: %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void set_mtu(const char *name, int mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		fprintf(stderr, "relay: MTU %d on %s: %s\n", mtu, name,
			strerror(errno));
	close(s);
}

/**
 * stream_to_tap() - read what the stream has and write complete frames
 * @sfd:	stream socket
 * @tfd:	tap device
 *
 * Return: 1 if the stream reached end of file, 0 to go on, -1 on error
 */
static int stream_to_tap(int sfd, int tfd)
{
	size_t off = 0;
	ssize_t n;

	n = read(sfd, in_buf + in_len, sizeof(in_buf) - in_len);
	if (n == 0)
		return 1;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	in_len += (size_t)n;

	while (in_len - off >= HDR_LEN) {
		const uint8_t *h = in_buf + off;
		uint32_t flen = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
				(uint32_t)h[2] << 8 | h[3];

		if (flen > FRAME_MAX) {
			fprintf(stderr, "relay: frame length %u > %u from "
				"stream: framing lost\n", flen, FRAME_MAX);
			return -1;
		}
		if (in_len - off - HDR_LEN < flen)
			break;
		if (flen < 14 ||
		    write(tfd, in_buf + off + HDR_LEN, flen) != (ssize_t)flen)
			frames_bad++;	/* the kernel drops like a wire would */
		else
			frames_in++;
		off += HDR_LEN + flen;
	}
	memmove(in_buf, in_buf + off, in_len - off);
	in_len -= off;
	return 0;
}

/**
 * flush_out() - write as much of the pending framed frame as the socket
 * takes
 * @sfd:	stream socket
 *
 * Return: 0 (done or would block), -1 on error
 */
static int flush_out(int sfd)
{
	while (out_off < out_len) {
		ssize_t n = send(sfd, out_buf + out_off, out_len - out_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		out_off += (size_t)n;
	}
	out_off = out_len = 0;
	return 0;
}

/**
 * tap_to_stream() - take one frame from the tap and frame it for the stream
 * @tfd:	tap device
 * @sfd:	stream socket
 *
 * Return: 0 to go on, -1 on error
 */
static int tap_to_stream(int tfd, int sfd)
{
	ssize_t n = read(tfd, out_buf + HDR_LEN, FRAME_MAX);

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	out_buf[0] = (uint8_t)((uint32_t)n >> 24);
	out_buf[1] = (uint8_t)((uint32_t)n >> 16);
	out_buf[2] = (uint8_t)((uint32_t)n >> 8);
	out_buf[3] = (uint8_t)n;
	out_len = HDR_LEN + (size_t)n;
	out_off = 0;
	frames_out++;
	return flush_out(sfd);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *ifname = "eth0";
	struct sigaction sa;
	int mtu = 0, opt, sfd, tfd, rc = 0;
	char *end;

	while ((opt = getopt(argc, argv, "i:m:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			mtu = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	sfd = (int)strtol(argv[optind], &end, 10);
	if (*end || sfd < 0)
		usage();
	if (fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK) < 0) {
		fprintf(stderr, "relay: fd %d: %s\n", sfd, strerror(errno));
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	tfd = tap_open(ifname);
	if (tfd < 0)
		return 1;
	if (mtu)
		set_mtu(ifname, mtu);
	printf("ready %s\n", ifname);
	fflush(stdout);

	while (!stop) {
		struct pollfd p[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = tfd, .events = 0 },
		};

		if (out_len)
			p[0].events |= POLLOUT;
		else
			p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = stream_to_tap(sfd, tfd);

			if (r) {
				rc = r < 0;
				if (r < 0)
					fprintf(stderr, "relay: stream read: "
						"%s\n", strerror(errno));
				break;
			}
		}
		if ((p[0].revents & POLLOUT) && flush_out(sfd)) {
			fprintf(stderr, "relay: stream write: %s\n",
				strerror(errno));
			rc = 1;
			break;
		}
		if ((p[1].revents & POLLIN) && tap_to_stream(tfd, sfd)) {
			fprintf(stderr, "relay: tap to stream: %s\n",
				strerror(errno));
			rc = 1;
			break;
		}
	}
	fprintf(stderr, "relay: %lu frames to tap, %lu to stream, %lu "
		"dropped\n", frames_in, frames_out, frames_bad);
	close(tfd);
	return rc;
}
