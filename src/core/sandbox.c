// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/sandbox.c - taking away what the running daemon does not need
 *
 * Theory of operation
 *
 * gangway reads frames written by a guest we do not trust. If a bug in a
 * parser ever gives the guest control of the process, what it gets must
 * be as little as we can make it. Everything the daemon needs (the link
 * socket, listening sockets, the log, pcap and pid files, the syslog
 * connection, netlink answers) is opened first; then, in this order:
 *
 * 1. sandbox_drop_user(): a daemon started as root becomes nobody (or the
 *    --runas user). Files we will remove at exit (pid file, socket path)
 *    are handed to that user first, so it may unlink them from a sticky
 *    directory such as /tmp. Groups, then gid, then uid: after setuid()
 *    from root no capability survives.
 * 2. sandbox_unshare(): new user namespace (our uid is 0 in it, with
 *    capabilities that mean nothing outside), then new mount, IPC and UTS
 *    namespaces; when we daemonize, a new PID namespace too, which the
 *    forked daemon enters as its pid 1: it can see and signal no other
 *    process. The network namespace stays: host sockets live there. If
 *    the kernel refuses unprivileged user namespaces, we say so at debug
 *    level and go on with what remains.
 * 3. sandbox_lock(), after the fork, before the pid file is written (so
 *    whoever waits for it finds the daemon locked):
 *    a. an empty root: a read-only tmpfs with nothing in it, entered with
 *       pivot_root() and the old root detached (or chroot() with
 *       --chroot-fallback): no path names anything on the host any more;
 *    b. every capability dropped (bounding set, ambient, then the three
 *       sets);
 *    c. no_new_privs: nothing we could exec would gain privileges;
 *    d. the seccomp filter (core/seccomp.c): the system calls the loop
 *       makes, per link mode; any other kills the process with SIGSYS.
 *
 * At exit, sandbox_remove_files() unlinks the pid file and socket path
 * through directory fds opened before stage 3 (paths no longer resolve).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/sandbox.h"
#include "core/seccomp.h"

#define SANDBOX_KEEP_MAX	4
#define SANDBOX_NOBODY_UID	65534	/* if there is no "nobody" entry */
#define SANDBOX_ROOT_MOUNT	"/tmp"	/* any directory: tmpfs goes on it */

/* Files to remove at exit, each through a directory fd kept open */
static struct {
	int dir_fd;			/* O_PATH, opened before the lock */
	char name[NAME_MAX + 1];	/* last path component */
	char path[PATH_MAX];		/* as given, for lchown() */
} sandbox_keep[SANDBOX_KEEP_MAX];
static int sandbox_keep_count;

int sandbox_keep_path(const char *path)
{
	const char *slash;
	char dir[PATH_MAX];
	size_t dlen;
	int fd;

	if (!path || !path[0])
		return 0;
	if (sandbox_keep_count == SANDBOX_KEEP_MAX)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sandbox_keep[0].path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	if (!slash) {
		strcpy(dir, ".");
		slash = path - 1;
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	if (strlen(slash + 1) > NAME_MAX || !slash[1])
		return -EINVAL;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sandbox_keep[sandbox_keep_count].dir_fd = fd;
	strcpy(sandbox_keep[sandbox_keep_count].name, slash + 1);
	strcpy(sandbox_keep[sandbox_keep_count].path, path);
	sandbox_keep_count++;
	return 0;
}

/* #syscalls: unlinkat */
void sandbox_remove_files(void)
{
	int i;

	for (i = 0; i < sandbox_keep_count; i++) {
		if (unlinkat(sandbox_keep[i].dir_fd, sandbox_keep[i].name, 0) &&
		    errno != ENOENT)
			debug("sandbox: removing %s: %s", sandbox_keep[i].path,
			      strerror(errno));
		close(sandbox_keep[i].dir_fd);
	}
	sandbox_keep_count = 0;
}

/*
 * Stage 1. Does: pick the user (--runas, else nobody when root), give it
 * our kept files, set groups, gid, uid. Must not: return with uid or
 * euid 0, or leave supplementary groups of root.
 */
int sandbox_drop_user(const struct sandbox_conf *sc)
{
	uid_t uid;
	gid_t gid;
	int i;

	if (sc->runas && sc->runas[0]) {
		uid = sc->runas_uid;
		gid = sc->runas_gid;
	} else if (geteuid() == 0) {
		const struct passwd *pw = getpwnam("nobody");

		uid = pw ? pw->pw_uid : SANDBOX_NOBODY_UID;
		gid = pw ? pw->pw_gid : SANDBOX_NOBODY_UID;
	} else {
		return 0;	/* nothing to leave */
	}

	if (uid == 0)
		return -EPERM;	/* --runas root: refused, never kept */
	for (i = 0; i < sandbox_keep_count; i++) {
		if (lchown(sandbox_keep[i].path, uid, gid) && errno != EPERM)
			debug("sandbox: chown %s: %s", sandbox_keep[i].path,
			      strerror(errno));
	}
	if (geteuid() == 0 && setgroups(0, NULL))
		return -errno;
	if (setgid(gid) || setuid(uid))
		return -errno;
	if (getuid() == 0 || geteuid() == 0)
		return -EPERM;
	/* setuid() made us non-dumpable: /proc/self/uid_map needs this */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	debug("sandbox: running as uid %u, gid %u", (unsigned int)uid,
	      (unsigned int)gid);
	return 0;
}

/* Write @text to /proc/self/@file; 0 or -errno */
static int sandbox_proc_write(const char *file, const char *text)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	if (n != (ssize_t)strlen(text))
		return n < 0 ? -errno : -EIO;
	return 0;
}

/* Does: a new user namespace where our uid and gid are 0. 0 or -errno */
static int sandbox_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int ret;

	if (unshare(CLONE_NEWUSER))
		return -errno;
	ret = sandbox_proc_write("setgroups", "deny");
	if (ret && ret != -ENOENT)
		return ret;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	ret = sandbox_proc_write("uid_map", map);
	if (ret)
		return ret;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	return sandbox_proc_write("gid_map", map);
}

static bool sandbox_in_userns;	/* stage 2 gave us a namespace of ours */
static bool sandbox_in_mntns;

/*
 * Stage 2. Does: user, then mount, IPC, UTS (and PID) namespaces. Must
 * not: unshare the network namespace; fail when the kernel says no.
 */
void sandbox_unshare(const struct sandbox_conf *sc)
{
	int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
	int ret;

	ret = sandbox_userns();
	if (ret) {
		debug("sandbox: no user namespace (%s); continuing without "
		      "namespaces", strerror(-ret));
	} else {
		sandbox_in_userns = true;
	}
	if (sc->pid_ns)
		flags |= CLONE_NEWPID;
	if (unshare(flags)) {
		debug("sandbox: no mount/IPC/UTS%s namespaces: %s",
		      sc->pid_ns ? "/PID" : "", strerror(errno));
		return;
	}
	sandbox_in_mntns = true;
}

/* Stage 3a. Does: an empty, read-only tmpfs root. 0 or -errno */
static int sandbox_empty_root(const struct sandbox_conf *sc)
{
	if (!sandbox_in_mntns) {
		debug("sandbox: no mount namespace: root directory kept");
		return 0;
	}
	/* Nothing we do here may propagate back to the host's mounts */
	if (mount("", "/", "", MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("", SANDBOX_ROOT_MOUNT, "tmpfs",
		  MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_RDONLY,
		  "nr_inodes=2,nr_blocks=1"))
		return -errno;
	if (chdir(SANDBOX_ROOT_MOUNT))
		return -errno;
	/* Old root stacked under the new one, then detached */
	if (!syscall(SYS_pivot_root, ".", ".")) {
		if (umount2(".", MNT_DETACH))
			return -errno;
	} else if (sc->chroot_fallback) {
		debug("sandbox: pivot_root: %s; chroot() instead",
		      strerror(errno));
		if (chroot("."))
			return -errno;
	} else {
		return -errno;
	}
	if (chdir("/"))
		return -errno;
	return 0;
}

/* Stage 3b. Does: drop every capability we hold, everywhere. 0/-errno */
static int sandbox_drop_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	/* Needs CAP_SETPCAP, which we have in our own user namespace */
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL && errno != EPERM)
			return -errno;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/*
 * Stage 3. Does: empty root, no capabilities, no_new_privs, seccomp.
 * Must not: open anything (all opened before), or leave a stage half
 * done without an error the caller turns into an exit.
 */
int sandbox_lock(const struct sandbox_conf *sc)
{
	const char *why;
	int ret;

	tzset();	/* syslog time stamps: /etc/localtime, read now */
	ret = sandbox_empty_root(sc);
	if (ret) {
		err("sandbox: cannot switch to an empty root: %s%s",
		    strerror(-ret), sc->chroot_fallback ? "" :
		    " (--chroot-fallback may help)");
		return ret;
	}
	ret = sandbox_drop_caps();
	if (ret) {
		err("sandbox: cannot drop capabilities: %s", strerror(-ret));
		return ret;
	}
	/* Core dumps and ptrace by other processes of our user: no */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		err("sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(-ret));
		return ret;
	}
	ret = seccomp_install(sc->vhost_user, &why);
	if (ret < 0) {
		err("sandbox: installing the seccomp filter: %s",
		    strerror(-ret));
		return ret;
	}
	if (ret > 0)
		debug("sandbox: no seccomp filter: %s", why);
	debug("sandbox: locked (%s%s, seccomp %s)",
	      sandbox_in_userns ? "namespaces" : "no namespaces",
	      sandbox_in_mntns ? ", empty root" : "", ret ? "off" : "on");
	return 0;
}

pid_t sandbox_host_pid(void)
{
	static pid_t cached, cached_for;	/* per process: fork() */
	char buf[32];
	ssize_t n;
	long v;

	if (cached && cached_for == getpid())
		return cached;
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	if (v <= 0)
		return getpid();
	cached = (pid_t)v;
	cached_for = getpid();
	return cached;
}
