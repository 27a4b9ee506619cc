// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link/link.c - pick the transport and set up the socket QEMU connects to
 *
 * With --fd, QEMU already holds the other end of a connected socket and
 * the transport adopts it. Otherwise we listen on a UNIX socket: the -s
 * path, or the first free one of /tmp/gangway_1.socket ..
 * /tmp/gangway_64.socket, and tell the user the QEMU options that match.
 * The listening socket is handed to the transport (stream or vhost-user),
 * which accepts on it; the path stays ours, removed by link_close().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "link/link.h"
#include "link/stream.h"
#include "link/vhost_user.h"

#define LINK_BACKLOG	16

static char link_sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static bool link_own_path;	/* we bound link_sock_path: unlink at exit */
static bool link_vhost_user;

const char *link_path(void)
{
	return link_own_path ? link_sock_path : NULL;
}

static int link_sockaddr(struct sockaddr_un *sun, const char *path)
{
	size_t len = strlen(path);

	if (!len)
		return -EINVAL;
	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* Is there a socket file at @sun with nobody listening behind it? */
static bool link_is_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	bool stale;
	int fd;

	if (lstat(sun->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* EAGAIN: a full backlog, so somebody listens */
	stale = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) &&
		errno == ECONNREFUSED;
	close(fd);
	return stale;
}

int link_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, ret;

	ret = link_sockaddr(&sun, path);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		if (ret != -EADDRINUSE)
			goto out_close_fd;
		if (!link_is_stale(&sun)) {
			if (!lstat(path, &st) && !S_ISSOCK(st.st_mode))
				ret = -EEXIST;
			goto out_close_fd;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			ret = -errno;
			goto out_close_fd;
		}
	}
	if (listen(fd, LINK_BACKLOG)) {
		ret = -errno;
		unlink(path);
		goto out_close_fd;
	}
	return fd;

out_close_fd:
	close(fd);
	return ret;
}

/* Listen on the first free default path; fills link_sock_path */
static int link_listen_default(void)
{
	int i, fd = -EADDRINUSE;

	for (i = 1; i <= LINK_DEFAULT_MAX; i++) {
		snprintf(link_sock_path, sizeof(link_sock_path),
			 LINK_DEFAULT_PATH_FMT, i);
		fd = link_listen(link_sock_path);
		if (fd != -EADDRINUSE && fd != -EEXIST)
			return fd;
	}
	return fd;
}

/* Tell the user how to point QEMU at @path */
static void link_print_qemu_args(const char *path, bool vhost_user)
{
	if (vhost_user) {
		info("link: start QEMU with: -chardev socket,id=c,path=%s -netdev vhost-user,id=v,chardev=c -device virtio-net-pci,netdev=v -object memory-backend-memfd,id=m,share=on,size=RAM -numa node,memdev=m",
		     path);
		/* QEMU 7.2 under TCG crashes when vhost-user starts on an
		 * MSI-X NIC; say so where the user copies the command from */
		info("link: with QEMU 7.2 under TCG (no KVM), add vectors=0 to the -device option");
	} else {
		info("link: start QEMU with: -device virtio-net-pci,netdev=s -netdev stream,id=s,server=off,addr.type=unix,addr.path=%s",
		     path);
	}
}

int link_open(const struct link_conf *lc, link_rx_fn rx, struct guest_tx *tx)
{
	struct link_conf l = *lc;
	int fd, ret;

	l.listen_fd = -1;
	link_vhost_user = lc->vhost_user;
	if (lc->fd < 0) {
		if (lc->socket_path && *lc->socket_path) {
			if (strlen(lc->socket_path) >= sizeof(link_sock_path))
				return -ENAMETOOLONG;
			strcpy(link_sock_path, lc->socket_path);
			fd = link_listen(link_sock_path);
		} else {
			fd = link_listen_default();
		}
		if (fd < 0)
			return fd;
		link_own_path = true;
		l.listen_fd = fd;
		l.socket_path = link_sock_path;
		info("link: listening on %s", link_sock_path);
		link_print_qemu_args(link_sock_path, lc->vhost_user);
	}

	if (lc->vhost_user)
		ret = vu_open(&l, rx, tx);
	else
		ret = stream_open(&l, rx, tx);
	if (ret && l.listen_fd >= 0) {
		close(l.listen_fd);
		unlink(link_sock_path);
		link_own_path = false;
	}
	return ret;
}

void link_close(void)
{
	if (link_vhost_user)
		vu_close();
	else
		stream_close();
	if (link_own_path)
		unlink(link_sock_path);
	link_own_path = false;
}
