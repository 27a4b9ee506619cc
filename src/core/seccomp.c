// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/seccomp.c - the allow-list and the BPF program built from it
 *
 * One table, one line per system call with the reason we need it once the
 * sandbox is locked. Start-up calls (open, execve-free fork, unshare,
 * mount, pivot_root, setuid...) are not here: they all happen before the
 * filter goes in. A call is either common to both link modes or needed by
 * the vhost-user link only (mapping guest memory, eventfds, fds passed
 * over the socket).
 *
 * The program: check the architecture (a foreign ABI kills), load the
 * system call number, compare it with each entry (a match allows), and
 * kill the process for anything else. ioctl() is allowed only for the two
 * socket queries TCP makes. Everything is checked by exact number, so the
 * x32 numbers on x86_64 never match and kill as well.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "core/compiler.h"
#include "core/seccomp.h"

#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SECCOMP_ARCH	AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#endif

/* Sanitizer runtimes report errors with calls of their own: no filter */
#if defined(GANGWAY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || \
	defined(__SANITIZE_THREAD__)
#define SECCOMP_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define SECCOMP_SANITIZED	1
#endif
#endif

/*
 * Valgrind runs the program on a synthetic CPU and makes system calls of
 * its own on its behalf: under it, no filter (a run-time check that only
 * valgrind's own instruction sequence answers; header only, no library)
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SECCOMP_UNDER_VALGRIND()	(RUNNING_ON_VALGRIND)
#endif
#endif
#ifndef SECCOMP_UNDER_VALGRIND
#define SECCOMP_UNDER_VALGRIND()	0
#endif

enum seccomp_mode {
	SC_ALL,		/* both link modes */
	SC_VU,		/* vhost-user only */
	SC_STREAM,	/* stream link only */
};

struct seccomp_entry {
	const char *name;
	long nr;
	enum seccomp_mode mode;
};

#define SC(name, mode)	{ #name, __NR_##name, mode }

static bool seccomp_in_mode(enum seccomp_mode m, bool vhost_user)
{
	return m == SC_ALL || (m == SC_VU) == vhost_user;
}

/* The list: keep sorted by purpose, one reason per line */
static const struct seccomp_entry seccomp_list[] = {
	/* the loop */
	SC(epoll_pwait, SC_ALL),	/* loop_run(); glibc's epoll_wait() */
#ifdef __NR_epoll_wait
	SC(epoll_wait, SC_ALL),		/* loop_run() on older glibc */
#endif
	SC(epoll_ctl, SC_ALL),		/* every watch add/modify/delete */
	SC(clock_gettime, SC_ALL),	/* loop clock, log stamps (no vDSO) */
	SC(getrusage, SC_ALL),		/* busy poll: were we preempted? */
	SC(read, SC_ALL),		/* signalfd, eventfds */
	SC(write, SC_ALL),		/* eventfds, log lines */
	SC(writev, SC_ALL),		/* log lines, pcap records */
	SC(close, SC_ALL),		/* every socket we close */
	SC(fcntl, SC_ALL),		/* O_NONBLOCK on accepted sockets */
#ifdef __NR_dup2
	SC(dup2, SC_ALL),		/* daemon_ready(): stdio to /dev/null */
#endif
	SC(dup3, SC_ALL),		/* the same, where libc uses dup3 */
	SC(getrandom, SC_ALL),		/* TCP initial sequence numbers */
	SC(getpid, SC_ALL),		/* syslog lines carry our pid */
	SC(getuid, SC_ALL),		/* ping socket refused: name the uid */
	SC(getgid, SC_ALL),		/* ping socket refused: name the gid */
	SC(brk, SC_ALL),		/* libc malloc (none planned at run) */
	SC(munmap, SC_ALL),		/* free() of large start-up buffers at
					 * exit; vhost-user regions */

	/* log file (-l, --log-size) */
	SC(fstat, SC_ALL),		/* log size when it was opened */
#ifdef __NR_newfstatat
	SC(newfstatat, SC_ALL),		/* glibc's fstat() */
#endif
	SC(fallocate, SC_ALL),		/* drop the oldest part of the log */
	SC(ftruncate, SC_ALL),		/* log rotation fallback */
	SC(lseek, SC_ALL),		/* log position after rotation */

	/* guest link and host sockets */
	SC(socket, SC_ALL),		/* host sockets for new flows */
	SC(bind, SC_ALL),		/* source address/port of a flow */
	SC(connect, SC_ALL),		/* host side of TCP, UDP, ICMP flows */
	SC(listen, SC_ALL),		/* (re)listening on forwarded ports */
	SC(accept, SC_ALL),		/* glibc may map accept4() here */
	SC(accept4, SC_ALL),		/* -s clients, forwarded TCP ports */
	SC(shutdown, SC_ALL),		/* TCP half close */
	SC(setsockopt, SC_ALL),		/* buffer sizes, TCP options */
	SC(getsockopt, SC_ALL),		/* SO_ERROR, TCP_INFO */
	SC(getsockname, SC_ALL),	/* local address of a host socket */
	SC(getpeername, SC_ALL),	/* peer of an accepted socket */
	SC(recvfrom, SC_ALL),		/* recv(): stream link, TCP, ICMP */
	SC(recvmsg, SC_ALL),		/* TCP peek, vhost-user messages */
	SC(recvmmsg, SC_ALL),		/* UDP batches */
	SC(sendto, SC_ALL),		/* send(): TCP, syslog, UDP */
	SC(sendmsg, SC_ALL),		/* stream link, UDP, ICMP, syslog */
	SC(sendmmsg, SC_ALL),		/* UDP batches */
	SC(ioctl, SC_ALL),		/* SIOCOUTQ/SIOCINQ only: see below */

	/* exit */
#ifdef __NR_unlink
	SC(unlink, SC_ALL),		/* link_close(), pidfile_remove() */
#endif
	SC(unlinkat, SC_ALL),		/* sandbox_remove_files() */
	SC(exit, SC_ALL),		/* libc */
	SC(exit_group, SC_ALL),		/* exit(), _exit() */
	SC(rt_sigprocmask, SC_ALL),	/* abort() blocks signals first */
	SC(rt_sigreturn, SC_ALL),	/* return from a signal handler */
	SC(restart_syscall, SC_ALL),	/* kernel restarts after a stop */

	/* vhost-user only */
	SC(mmap, SC_VU),		/* SET_MEM_TABLE regions */
	SC(eventfd2, SC_VU),		/* the flush eventfd */

	/* stream link only */
	SC(splice, SC_STREAM),		/* large TCP payloads from the guest:
					 * socket -> pipe -> host socket */
};

#undef SC

bool seccomp_allows(const char *name, bool vhost_user)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(seccomp_list); i++) {
		const struct seccomp_entry *e = &seccomp_list[i];

		if (strcmp(e->name, name))
			continue;
		if (seccomp_in_mode(e->mode, vhost_user))
			return true;
	}
	return false;
}

/* Architecture check, ioctl block, one compare per entry, kill, allow */
#define SECCOMP_PROG_MAX	(ARRAY_SIZE(seccomp_list) + 16)

#if defined(SECCOMP_ARCH) && !defined(SECCOMP_SANITIZED)
#define ALLOW	SECCOMP_RET_ALLOW
#define KILL	SECCOMP_RET_KILL_PROCESS
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + \
			 (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))

static int seccomp_build(bool vhost_user, struct sock_filter *f)
{
	struct sock_filter *p = f, *allow;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(seccomp_list); i++) {
		if (seccomp_in_mode(seccomp_list[i].mode, vhost_user))
			n++;
	}

	*p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				offsetof(struct seccomp_data, arch));
	*p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					    SECCOMP_ARCH, 1, 0);
	*p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL);
	*p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				offsetof(struct seccomp_data, nr));

	/* ioctl: the request must be SIOCOUTQ or SIOCINQ (FIONREAD) */
	*p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					    __NR_ioctl, 0, 5);
	*p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    ARG_LO(1));
	*p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					    SIOCOUTQ, 2, 0);
	*p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					    SIOCINQ, 1, 0);
	*p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL);
	/* the SIOC* compares above land here, on "allow" */
	*p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ALLOW);

	/* Each compare jumps forward to the allow at the end: <= 255 */
	static_assert(ARRAY_SIZE(seccomp_list) < 250, "jump too far");
	allow = p + n + 1;
	for (i = 0; i < ARRAY_SIZE(seccomp_list); i++) {
		const struct seccomp_entry *e = &seccomp_list[i];

		if (!seccomp_in_mode(e->mode, vhost_user))
			continue;
		if (e->nr == __NR_ioctl) {
			/* handled above: a no-op compare keeps the count */
			*p = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
							  BPF_K, (uint32_t)-1,
							  0, 0);
			p++;
			continue;
		}
		*p = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						  (uint32_t)e->nr,
						  (uint8_t)(allow - p - 1), 0);
		p++;
	}
	*p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL);
	*p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ALLOW);
	return (int)(p - f);
}
#endif /* SECCOMP_ARCH, not sanitized */

int seccomp_install(bool vhost_user, const char **why)
{
#if defined(SECCOMP_SANITIZED)
	(void)vhost_user;
	*why = "sanitizer build";
	return 1;
#elif !defined(SECCOMP_ARCH)
	(void)vhost_user;
	*why = "no system call list for this architecture";
	return 1;
#else
	struct sock_filter f[SECCOMP_PROG_MAX];
	struct sock_fprog prog;

	*why = NULL;
	if (SECCOMP_UNDER_VALGRIND()) {
		*why = "running under valgrind";
		return 1;
	}
	prog.len = (unsigned short)seccomp_build(vhost_user, f);
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
#endif
}
