/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/seccomp.h - the system calls the running daemon may make
 *
 * Owns: the reviewed allow-list (core/seccomp.c, one line and one reason
 * per system call, per link mode) and the BPF program built from it. Any
 * other system call kills the whole process (SECCOMP_RET_KILL_PROCESS,
 * SIGSYS). The `#syscalls` annotations in src/ name what each function
 * needs; tests/unit/core/seccomp_check.sh fails when an annotation names
 * a call the list lacks.
 * Does not own: when the filter goes in (core/sandbox.c, last stage).
 * Limits: built for x86_64, i386 and aarch64; elsewhere, and in sanitizer
 * builds, seccomp_install() installs nothing and says why.
 */
#ifndef GANGWAY_CORE_SECCOMP_H
#define GANGWAY_CORE_SECCOMP_H

#include <stdbool.h>

/**
 * seccomp_install() - install the filter for a link mode
 * @vhost_user:	the vhost-user link (adds mmap/munmap, eventfds, fd
 *		passing) rather than the stream socket
 *
 * The caller must have set no_new_privs. Irreversible.
 * Return: 0 if installed, 1 if this build does not filter (see @why),
 *	   -errno if the kernel refused the program
 */
int seccomp_install(bool vhost_user, const char **why);

/* Is @name (e.g. "sendmmsg") on the list for either mode? For tests */
bool seccomp_allows(const char *name, bool vhost_user);

#endif /* GANGWAY_CORE_SECCOMP_H */
