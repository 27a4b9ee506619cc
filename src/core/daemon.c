// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/daemon.c - going to the background, and the pid file
 *
 * QEMU (net/passt.c) runs us, waits for the process it started to exit,
 * then reads the pid file: so the parent must not exit before the pid
 * file holds the daemon's pid, and must fail if the daemon cannot start.
 * A pipe carries one byte from child to parent when the child is ready;
 * if the pipe closes without it, the child died and the parent reports
 * its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/sandbox.h"

static int daemon_ready_fd = -1;	/* child's end of the pipe */
static int daemon_null_fd = -1;		/* /dev/null, opened before the lock */
static int pidfile_fd = -1;
static char pidfile_path[PATH_MAX];
static bool pidfile_created;	/* by us: ours to remove */

int daemon_start(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid) {
		ssize_t n;

		close(p[1]);
		do {
			n = read(p[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(EXIT_SUCCESS);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status))
			_exit(WEXITSTATUS(status));
		_exit(EXIT_FAILURE);
	}

	close(p[0]);
	daemon_ready_fd = p[1];
	/*
	 * daemon_ready() runs in the sandbox, where nothing can be opened:
	 * open it now (read-only if that is all we may: writes to stdout
	 * then fail instead of reaching the launcher's terminal or pipe)
	 */
	daemon_null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (daemon_null_fd < 0)
		daemon_null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	setsid();
	return 0;
}

void daemon_ready(int keep_fd)
{
	int fd, i;

	fd = daemon_null_fd;	/* from daemon_start(): no open() here */
	daemon_null_fd = -1;
	for (i = 0; fd >= 0 && i <= 2; i++) {
		if (i != keep_fd)
			dup2(fd, i);	/* dup2() clears close-on-exec */
	}
	if (fd > 2)
		close(fd);

	if (daemon_ready_fd >= 0) {
		char c = 0;

		while (write(daemon_ready_fd, &c, 1) < 0 && errno == EINTR)
			;
		close(daemon_ready_fd);
		daemon_ready_fd = -1;
	}
}

/* Close [@first, @last]; close_range() where the kernel has it */
static void daemon_close_range(unsigned int first, unsigned int last)
{
	long max;
	unsigned int fd;

	if (first > last)
		return;
	if (!close_range(first, last, 0))
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (fd = first; fd <= last && fd < (unsigned int)max; fd++)
		close((int)fd);
}

void daemon_close_stray_fds(int keep_fd)
{
	if (keep_fd > STDERR_FILENO) {
		daemon_close_range(STDERR_FILENO + 1,
				   (unsigned int)keep_fd - 1);
		daemon_close_range((unsigned int)keep_fd + 1, ~0U);
	} else {
		daemon_close_range(STDERR_FILENO + 1, ~0U);
	}
}

int pidfile_open(const char *path)
{
	if (strlen(path) >= sizeof(pidfile_path))
		return -ENAMETOOLONG;
	pidfile_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	if (pidfile_fd < 0)
		return -errno;
	strcpy(pidfile_path, path);
	pidfile_created = true;
	return 0;
}

int pidfile_write(void)
{
	char buf[32];
	int len, ret = 0;

	if (pidfile_fd < 0)
		return 0;
	/* getpid() is 1 in the sandbox's PID namespace: QEMU needs ours */
	len = snprintf(buf, sizeof(buf), "%d\n", (int)sandbox_host_pid());
	if (write(pidfile_fd, buf, (size_t)len) != len)
		ret = errno ? -errno : -EIO;
	close(pidfile_fd);
	pidfile_fd = -1;
	return ret;
}

void pidfile_remove(void)
{
	if (pidfile_created)
		unlink(pidfile_path);
	pidfile_created = false;
}
