/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/daemon.h - going to the background, and the pid file
 *
 * Owns: the fork into the background with a readiness pipe, so that the
 * process that started us (QEMU waits for it) exits 0 only once the
 * daemon is ready and its pid file written, and non-zero if start-up
 * failed; the pid file, written by the daemon itself (its final pid) and
 * removed at a clean exit.
 * Does not own: the decision to daemonize (main.c), logging destinations
 * (core/log.c, told by main.c).
 */
#ifndef GANGWAY_CORE_DAEMON_H
#define GANGWAY_CORE_DAEMON_H

/**
 * daemon_start() - fork; only the child returns
 *
 * The parent waits until the child calls daemon_ready() and exits 0, or,
 * if the child exits first, exits with its status (1 if it had none).
 * The child starts a new session. Call it before creating threads or
 * installing signal handlers.
 * Return: 0 in the child, -errno if fork() or pipe() failed (no child)
 */
int daemon_start(void);

/**
 * daemon_ready() - tell the parent we are up, detach from the terminal
 * @keep_fd:	an fd among 0-2 that must not be replaced (--fd 0), or -1
 *
 * stdin, stdout and stderr are pointed at /dev/null; log to the
 * configured destination before calling this (log_daemonized()).
 */
void daemon_ready(int keep_fd);

/**
 * daemon_close_stray_fds() - close every inherited fd above stderr
 * @keep_fd:	the --fd socket, kept open (-1: none)
 *
 * Whatever our launcher leaked to us (pipes, sockets, files) must not
 * stay open for our lifetime: a pipe held open here can make the
 * launcher wait forever. Call before opening anything of our own.
 */
void daemon_close_stray_fds(int keep_fd);

/* Open (create) @path for the pid file before any fork: 0 or -errno */
int pidfile_open(const char *path);

/* Write our pid to the file opened by pidfile_open() and close it */
int pidfile_write(void);

/* Remove the pid file we created (at exit, or when start-up fails) */
void pidfile_remove(void);

#endif /* GANGWAY_CORE_DAEMON_H */
