/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/sandbox.h - giving up what the running daemon does not need
 *
 * Owns: the stages that take privileges away once everything is open:
 * leaving root (to nobody or --runas), detaching into new user, mount,
 * IPC, UTS and (when daemonizing) PID namespaces, switching to an empty
 * root, dropping every capability, no_new_privs, and the seccomp filter
 * (core/seccomp.c); removing our own files at exit through directory fds
 * kept from before the lock.
 * Does not own: closing inherited fds (core/daemon.c, first thing in
 * main()), the fork into the background (core/daemon.c), deciding what to
 * open (main.c).
 * Uses: libc and kernel uapi only.
 * Limits: without unprivileged user namespaces (and not root), the
 * namespace and empty-root stages are skipped with a debug line; the rest
 * still applies. Sanitizer builds skip the seccomp filter (their runtimes
 * make system calls of their own); see docs/security.md.
 */
#ifndef GANGWAY_CORE_SANDBOX_H
#define GANGWAY_CORE_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * struct sandbox_conf - what the sandbox needs to know, filled by main.c
 * @runas:		--runas as typed ("" if not given), for messages
 * @runas_uid:		resolved user, if @runas[0]
 * @runas_gid:		resolved group, if @runas[0]
 * @pid_ns:		daemonizing: the next fork() starts a new PID namespace
 * @chroot_fallback:	chroot() into the empty root if pivot_root() fails
 * @vhost_user:		link mode, selects the seccomp list
 */
struct sandbox_conf {
	const char *runas;
	uid_t runas_uid;
	gid_t runas_gid;
	bool pid_ns;
	bool chroot_fallback;
	bool vhost_user;
};

/**
 * sandbox_keep_path() - remember a file we created, to remove it at exit
 * @path:	pid file or socket path (NULL or "": ignored)
 *
 * Opens the directory holding @path (O_PATH) so that
 * sandbox_remove_files() can unlinkat() it after the empty root hides
 * every path. Call before sandbox_drop_user(), which hands these files to
 * the new user so that it may remove them from a sticky directory.
 * Return: 0, or -errno (too many paths, directory cannot be opened)
 */
int sandbox_keep_path(const char *path);

/**
 * sandbox_drop_user() - leave root: become --runas, or nobody
 * @sc:		sandbox configuration
 *
 * Does: if --runas was given, or we run as root, set groups, gid and uid
 * (uid last), after giving the files kept by sandbox_keep_path() to that
 * user. Must not: keep uid 0, or any capability across the change.
 * Return: 0, or -errno if the change failed (the caller exits)
 */
int sandbox_drop_user(const struct sandbox_conf *sc);

/**
 * sandbox_unshare() - detach into new namespaces
 * @sc:		sandbox configuration
 *
 * Does: a new user namespace (our uid mapped to 0 inside, setgroups
 * denied), then new mount, IPC and UTS namespaces, and a new PID
 * namespace for the next fork() if @sc->pid_ns. Not the network
 * namespace: host sockets live there. Must not: fail the start-up when
 * the kernel refuses unprivileged user namespaces (debug line, continue).
 */
void sandbox_unshare(const struct sandbox_conf *sc);

/**
 * sandbox_lock() - the last stage: after it, no paths and no new powers
 * @sc:		sandbox configuration
 *
 * Does: switch to an empty read-only tmpfs root (pivot_root(), or chroot()
 * with --chroot-fallback), drop every capability (effective, permitted,
 * inheritable, ambient, bounding set), set no_new_privs, install the
 * seccomp filter for the link mode. Must not: run before every file,
 * listening socket and syslog connection is open, nor before
 * sandbox_host_pid() was asked (it reads /proc).
 * Return: 0, or -errno naming the stage's failure (the caller exits)
 */
int sandbox_lock(const struct sandbox_conf *sc);

/* Unlink the files kept by sandbox_keep_path(); at exit, sandboxed or not */
void sandbox_remove_files(void);

/**
 * sandbox_host_pid() - our pid as the launcher sees it
 *
 * In a new PID namespace getpid() is 1; /proc (still the launcher's, as
 * long as the empty root is not in place) names us as its pid namespace
 * sees us. Call it once before sandbox_lock(): the answer is kept for
 * later calls (pidfile_write() after the lock).
 * Return: that pid, or getpid() if /proc cannot tell
 */
pid_t sandbox_host_pid(void);

#endif /* GANGWAY_CORE_SANDBOX_H */
