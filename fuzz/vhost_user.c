// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/vhost_user.c - fuzz target for the vhost-user back-end
 *
 * The input is what a hostile front-end writes on the control socket: a
 * sequence of records, each a 12-byte header (request, flags, size) and
 * up to min(size, 4096) payload bytes. As QEMU would, we attach fds to the
 * requests that carry them: a memfd (our "guest memory", 1 MiB) for each
 * region of SET_MEM_TABLE and for SET_LOG_BASE/SET_LOG_FD, an eventfd for
 * SET_VRING_KICK/CALL/ERR. One request number is ours: FZ_WRITE_MEM
 * copies its payload into guest memory at offset flags, then kicks both
 * queues and runs one loop iteration, so descriptor rings, chains and indirect tables written by the
 * input are walked too. The back-end runs in this process over a real
 * socketpair (tests/harness/vu_fe.h is the front-end side).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/guest_tx.h"
#include "core/log.h"
#include "core/loop.h"
#include "link/link.h"
#include "link/vhost_user.h"
#include "../tests/harness/vu_fe.h"

#define FZ_WRITE_MEM	0x7fff

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_tx fz_tx;
static unsigned int fz_frames;

static void fz_rx(const uint8_t *frame, size_t len, uint64_t now)
{
	(void)now;
	if (len > 65535 + 14 || (len && !frame))
		__builtin_trap();
	fz_frames++;
}

static struct timer fz_stop;

static void fz_stop_cb(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	loop_stop(0);
}

/* One loop iteration: kicks handled, used rings flushed */
static void fz_run_once(void)
{
	timer_arm(&fz_stop, clock_now_ns());
	loop_run();
}

static void fz_drain(int fd)
{
	uint8_t buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct link_conf lc = { .vhost_user = true, .listen_fd = -1 };
	struct vu_fe fe;
	int sv[2], efd[3] = { -1, -1, -1 };
	size_t off = 0;
	unsigned int i;

	if (!init) {
		init = true;
		log_set_level(LOG_LVL_ERR);
		log_open(LOG_DEST_FILE, "/dev/null");	/* not stderr */
		log_daemonized();
		if (loop_init(64))
			__builtin_trap();
		timer_init(&fz_stop, fz_stop_cb);
	}
	memset(&fe, 0, sizeof(fe));
	fe.sock = fe.memfd = -1;
	fe.kick[0] = fe.kick[1] = fe.call[0] = fe.call[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	fe.sock = sv[0];
	lc.fd = sv[1];
	if (vu_open(&lc, fz_rx, &fz_tx)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (fe_mem_init(&fe))
		goto out;
	for (i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	while (off + FE_HDR <= size) {
		uint32_t h[3];
		size_t len;
		int fds[8];
		unsigned int nfds = 0;

		memcpy(h, data + off, FE_HDR);
		off += FE_HDR;
		len = h[2] < 4096 ? h[2] : 4096;
		if (len > size - off)
			len = size - off;
		if ((h[0] & 0xffff) == FZ_WRITE_MEM) {
			size_t at = h[1] % FE_MEM_SIZE;

			memcpy(fe.mem + at, data + off,
			       len < FE_MEM_SIZE - at ? len : FE_MEM_SIZE - at);
			off += len;
			for (i = 0; i < 2; i++) {
				uint64_t one = 1;

				(void)!write(efd[i], &one, sizeof(one));
			}
			fz_run_once();
			continue;
		}
		switch (h[0]) {
		case FE_SET_MEM_TABLE: {
			uint32_t n = 0;

			if (len >= 4)
				memcpy(&n, data + off, 4);
			for (nfds = 0; nfds < (n < 8 ? n : 8); nfds++)
				fds[nfds] = fe.memfd;
			break;
		}
		case FE_SET_LOG_BASE:
		case FE_SET_LOG_FD:
			fds[nfds++] = fe.memfd;
			break;
		case FE_SET_VRING_KICK:
		case FE_SET_VRING_CALL:
		case FE_SET_VRING_ERR:
			if (!(len >= 8 && (data[off + 1] & 1)))	/* NOFD */
				fds[nfds++] = efd[h[0] - FE_SET_VRING_KICK];
			break;
		}
		{
			uint8_t buf[FE_HDR + 4096];

			memcpy(buf, h, FE_HDR);
			memcpy(buf + FE_HDR, data + off, len);
			if (fe_send_raw(&fe, buf, FE_HDR + len, fds, nfds))
				break;
		}
		off += len;
		if (vu_conn_input(0) == -ENOTCONN)
			break;
		fz_drain(fe.sock);
	}
	fz_run_once();
out:
	vu_close();
	for (i = 0; i < 3; i++) {
		if (efd[i] >= 0)
			close(efd[i]);
	}
	fe_free(&fe);
	return 0;
}
