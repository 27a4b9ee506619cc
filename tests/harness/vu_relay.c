// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/harness/vu_relay.c - carry vhost-user between QEMU 7.2 and a
 * back-end started as QEMU 10.1 starts it
 *
 * QEMU 10.1's -netdev passt,vhost-user=on gives the daemon one end of a
 * socketpair as fd 3. QEMU 7.2 cannot do that for vhost-user (-chardev
 * socket,fd=N passes no file descriptors), so the test launches gangway
 * with the socketpair itself and runs this relay in between:
 *
 *   vu_relay PATH FD
 *
 * listens on PATH, accepts one connection (QEMU's -chardev socket,path=),
 * and forwards whole messages, header then payload, with their SCM_RIGHTS
 * fds, from QEMU to FD and from FD back to QEMU. When either side closes,
 * the relay closes the other and exits 0; on a broken message it exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HDR_LEN		12
#define PAYLOAD_MAX	4096
#define FDS_MAX		16

struct msg {
	uint8_t buf[HDR_LEN + PAYLOAD_MAX];
	size_t len;
	int fds[FDS_MAX];
	int nfds;
};

/* Read exactly @len bytes (blocking), collecting fds; 1 ok, 0 EOF, -1 */
static int read_full(int fd, uint8_t *dst, size_t len, struct msg *m)
{
	size_t got = 0;

	while (got < len) {
		char ctl[CMSG_SPACE(sizeof(int) * FDS_MAX)];
		struct iovec iov = { dst + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got ? -1 : 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			int k, nfd;

			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (k = 0; k < nfd && m->nfds < FDS_MAX; k++)
				memcpy(&m->fds[m->nfds++],
				       CMSG_DATA(c) + k * sizeof(int),
				       sizeof(int));
		}
		got += (size_t)n;
	}
	return 1;
}

/* One whole message from @from to @to; 1 ok, 0 @from closed, -1 error */
static int relay_one(int from, int to, const char *dir)
{
	struct msg m = { .nfds = 0 };
	char ctl[CMSG_SPACE(sizeof(int) * FDS_MAX)];
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint32_t size;
	int rc, i;

	rc = read_full(from, m.buf, HDR_LEN, &m);
	if (rc <= 0)
		return rc;
	memcpy(&size, m.buf + 8, 4);
	if (size > PAYLOAD_MAX) {
		fprintf(stderr, "vu_relay: %s: payload of %u bytes\n", dir,
			size);
		return -1;
	}
	if (size && read_full(from, m.buf + HDR_LEN, size, &m) != 1)
		return -1;
	m.len = HDR_LEN + size;

	iov.iov_base = m.buf;
	iov.iov_len = m.len;
	if (m.nfds) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m.nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * m.nfds);
		memcpy(CMSG_DATA(c), m.fds, sizeof(int) * m.nfds);
	}
	rc = sendmsg(to, &mh, MSG_NOSIGNAL) == (ssize_t)m.len ? 1 : 0;
	for (i = 0; i < m.nfds; i++)
		close(m.fds[i]);
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, qemu, be;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: vu_relay PATH FD\n");
		return 2;
	}
	be = atoi(argv[2]);
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1)) {
		perror("vu_relay: listen");
		return 1;
	}
	qemu = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (qemu < 0) {
		perror("vu_relay: accept");
		return 1;
	}
	close(lfd);
	unlink(argv[1]);

	for (;;) {
		struct pollfd p[2] = { { .fd = qemu, .events = POLLIN },
				       { .fd = be, .events = POLLIN } };
		int rc = 1;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents)
			rc = relay_one(qemu, be, "front-end");
		if (rc > 0 && p[1].revents)
			rc = relay_one(be, qemu, "back-end");
		if (rc <= 0) {
			close(qemu);
			close(be);
			return rc < 0;
		}
	}
}
