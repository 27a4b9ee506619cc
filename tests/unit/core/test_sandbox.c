// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for core/sandbox.c and core/seccomp.c: files removed through
 * kept directory fds, the allow-list per link mode, and the BPF program
 * itself, installed in a forked child (allowed calls work, anything else
 * and ioctl() requests other than SIOCOUTQ/SIOCINQ end it with SIGSYS).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sandbox.h"
#include "core/seccomp.h"

static void test_keep_path_removes_files_after_chdir(void **state)
{
	char dir[] = "/tmp/gwt-sandbox-XXXXXX", a[64], b[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/pid", dir);
	snprintf(b, sizeof(b), "%s/sock", dir);
	fd = open(a, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(b, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(sandbox_keep_path(a), 0);
	assert_int_equal(sandbox_keep_path(b), 0);
	assert_int_equal(sandbox_keep_path(""), 0);	/* ignored */
	assert_int_equal(sandbox_keep_path(NULL), 0);
	assert_int_equal(sandbox_keep_path("/nonexistent-dir/x"), -ENOENT);
	assert_int_equal(sandbox_keep_path("/tmp/"), -EINVAL);

	/* Paths relative to somewhere else no longer name them */
	assert_int_equal(chdir("/"), 0);
	sandbox_remove_files();
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(access(b, F_OK), -1);
	sandbox_remove_files();			/* idempotent */
	assert_int_equal(rmdir(dir), 0);
}

static void test_keep_path_relative(void **state)
{
	char dir[] = "/tmp/gwt-sandbox-XXXXXX";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	fd = open("f", O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sandbox_keep_path("f"), 0);
	assert_int_equal(chdir("/"), 0);
	sandbox_remove_files();
	assert_int_equal(rmdir(dir), 0);	/* empty: f is gone */
}

/* In a child: --runas 0 refused; --runas 4321:4322 changes ids, files */
static void test_drop_user(void **state)
{
	char dir[] = "/tmp/gwt-sandbox-XXXXXX", f[64];
	struct sandbox_conf sc = { .runas = "0" };
	struct stat st;
	int status, fd;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/pid", dir);
	fd = open(f, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(sandbox_drop_user(&sc), -EPERM);	/* never root */
	assert_int_equal(geteuid(), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		sc.runas = "4321:4322";
		sc.runas_uid = 4321;
		sc.runas_gid = 4322;
		if (sandbox_keep_path(f) || sandbox_drop_user(&sc))
			_exit(1);
		if (getuid() != 4321 || geteuid() != 4321 ||
		    getgid() != 4322 || getegid() != 4322)
			_exit(2);
		if (getgroups(0, NULL) != 0)
			_exit(3);
		if (!setuid(0))
			_exit(4);			/* no way back */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_uid, 4321);	/* handed over to remove */
	assert_int_equal(st.st_gid, 4322);
	unlink(f);
	rmdir(dir);
}

static void test_allow_list_per_mode(void **state)
{
	(void)state;
	assert_true(seccomp_allows("epoll_pwait", false));
	assert_true(seccomp_allows("sendmmsg", false));
	assert_true(seccomp_allows("unlinkat", false));
	assert_false(seccomp_allows("mmap", false));
	assert_true(seccomp_allows("mmap", true));
	assert_true(seccomp_allows("eventfd2", true));
	assert_false(seccomp_allows("execve", true));
	assert_false(seccomp_allows("openat", true));
	assert_false(seccomp_allows("open", false));
	assert_false(seccomp_allows("ptrace", true));
	assert_false(seccomp_allows("kill", true));
}

/* Run @fn in a child under the filter; return its wait status */
static int run_filtered(bool vhost_user, void (*fn)(void))
{
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		const char *why;
		int ret;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(90);
		ret = seccomp_install(vhost_user, &why);
		if (ret > 0)
			_exit(91);	/* this build does not filter */
		if (ret < 0)
			_exit(92);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static bool filtering_build(void)
{
	const char *why;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		_exit(seccomp_install(false, &why) == 1 ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int sv[2];	/* made before the filter goes in */

static void allowed_calls(void)
{
	int outq = 0;
	char c = 'x';

	if (write(sv[0], &c, 1) != 1 || read(sv[1], &c, 1) != 1)
		_exit(11);
	if (ioctl(sv[0], SIOCOUTQ, &outq))
		_exit(12);
	close(sv[0]);
	close(sv[1]);
	if (getpid() <= 0)
		_exit(13);
}

static void call_socketpair(void)
{
	int fds[2];

	/* socketpair is not needed by the running daemon */
	(void)!socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
}

static void call_execve(void)
{
	char *const argv[] = { "/bin/true", NULL };

	execve(argv[0], argv, argv + 1);
}

static void call_open(void)
{
	(void)!open("/etc/passwd", O_RDONLY);
}

static void call_other_ioctl(void)
{
	int v = 0;

	(void)!ioctl(0, FIONBIO, &v);
}

static void call_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		_exit(20);
}

static void expect_sigsys(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_filter_allows_and_kills(void **state)
{
	int st;

	(void)state;
	if (!filtering_build())
		skip();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	st = run_filtered(false, allowed_calls);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	expect_sigsys(run_filtered(false, call_execve));
	expect_sigsys(run_filtered(true, call_execve));
	expect_sigsys(run_filtered(false, call_open));
	expect_sigsys(run_filtered(false, call_other_ioctl));
	expect_sigsys(run_filtered(false, call_mmap));
	/* not even for the stream mode: built on socketpair() elsewhere */
	expect_sigsys(run_filtered(true, call_socketpair));
	st = run_filtered(true, call_mmap);		/* vhost-user maps */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_path_removes_files_after_chdir),
		cmocka_unit_test(test_keep_path_relative),
		cmocka_unit_test(test_drop_user),
		cmocka_unit_test(test_allow_list_per_mode),
		cmocka_unit_test(test_filter_allows_and_kills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
