// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - the life of the gangway process, top to bottom
 *
 * Parse the command line; set up logging; open everything we need (the
 * link socket QEMU talks to, the capture file, the pid file); initialise
 * the services and flows; go to the background, and only then tell
 * whoever started us that we are ready; run the loop until QEMU goes away
 * or a signal asks us to stop; clean up what we created.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/daemon.h"
#include "core/guest_tx.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/pcap.h"
#include "core/sandbox.h"
#include "core/stats.h"
#include "exec.h"
#include "ingress.h"
#include "link/link.h"

#define TIMERS_PER_FLOW		2
#define TIMERS_EXTRA		256	/* services, links, housekeeping */
#define MAX_FLOWS_FALLBACK	4096	/* if conf leaves max_flows at 0 */

static struct guest_tx guest_tx;

/* Signals arrive as reads on a signalfd, in the loop like everything else */
static struct watch signal_w;
static int signal_fd = -1;

/* At exit: remove the socket path and pid file we created; #syscalls: unlink */
static void cleanup(void)
{
	link_close();
	pcap_close();
	pidfile_remove();
	sandbox_remove_files();		/* the same, once paths are gone */
}

/*
 * Test hook (tests/system/test_hardening_sandbox.py): with
 * GANGWAY_TEST_FORBIDDEN_SYSCALL=1 at start-up, SIGUSR2 makes the running
 * daemon try execve(), which the seccomp filter must answer with SIGSYS.
 * Without the filter the empty root makes it fail and we log that.
 */
static bool test_forbidden_hook;

static void test_forbidden_syscall(void)
{
	char *const argv[] = { "/bin/true", NULL };

	warn("test hook: trying execve(), which the sandbox forbids");
	execve(argv[0], argv, argv + 1);
	warn("test hook: execve() returned: %s", strerror(errno));
}

/* SIGTERM, SIGINT: clean exit; SIGUSR1: counters; #syscalls: read */
static void signal_ready(struct watch *w, uint32_t events, uint64_t now_ns)
{
	struct signalfd_siginfo si;

	(void)w;
	(void)events;
	(void)now_ns;
	while (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1: {
			/* Asked for explicitly: shown even with --quiet */
			enum log_level lvl = log_get_level();

			if (lvl < LOG_LVL_INFO)
				log_set_level(LOG_LVL_INFO);
			stats_dump();
			log_set_level(lvl);
			break;
		}
		case SIGUSR2:
			test_forbidden_syscall();
			break;
		default:
			info("received %s; exiting",
			     si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			loop_stop(0);
			break;
		}
	}
}

static void signals_init(void)
{
	sigset_t set;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (test_forbidden_hook)
		sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		fatal("blocking signals");
	signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0)
		fatal("signalfd");
	signal_w.fn = signal_ready;
	ret = loop_add(signal_fd, EPOLLIN, &signal_w);
	if (ret) {
		errno = -ret;
		fatal("watching signals");
	}
}

static void log_init(const struct conf *c)
{
	enum log_dest dest;

	if (c->trace)
		log_set_level(LOG_LVL_TRACE);
	else if (c->debug)
		log_set_level(LOG_LVL_DEBUG);
	else if (c->quiet)
		log_set_level(LOG_LVL_WARN);	/* errors and warnings stay */
	else
		log_set_level(LOG_LVL_INFO);

	if (c->log_file[0])
		dest = LOG_DEST_FILE;
	else if (c->foreground || c->stderr_log)
		dest = LOG_DEST_STDERR;
	else
		dest = LOG_DEST_SYSLOG;
	if (log_open(dest, c->log_file))
		fatal("-l %s", c->log_file);
	log_set_file_max(c->log_size);
}

/* Open the guest link; errors name what the user gave us */
static void link_init(const struct conf *c)
{
	struct link_conf lc = {
		.vhost_user = c->mode == LINK_VHOST_USER,
		.fd = c->fd,
		.socket_path = c->socket_path,
		.listen_fd = -1,
		.one_off = c->one_off,
		.mtu = c->mtu ? c->mtu : MTU_MAX,
		.rx_end = ingress_batch_end,
#ifdef GANGWAY_STREAM_SPLICE	/* meson -Dstream_splice=true */
		.rx_splice_check = ingress_splice_check,
#endif
	};
	int ret;

	ret = link_open(&lc, ingress_frame, &guest_tx);
	if (!ret)
		return;
	if (ret == -EOPNOTSUPP && lc.vhost_user)
		fatalx("--vhost-user: not supported by this build");
	if (c->fd >= 0)
		fatalx("--fd %d: %s", c->fd, ret == -EPROTOTYPE ?
		       "not a stream socket" : strerror(-ret));
	if (c->socket_path[0])
		fatalx("-s %s: %s", c->socket_path, ret == -EEXIST ?
		       "exists and is not a socket" : ret == -EADDRINUSE ?
		       "another process is listening on it" : strerror(-ret));
	fatalx("cannot listen on any of " LINK_DEFAULT_PATH_FMT
	       " (1 to %d): %s; use -s PATH", 1, LINK_DEFAULT_MAX,
	       strerror(-ret));
}

/* Sandbox stages 1 and 2 (core/sandbox.h): a different user, namespaces */
static void sandbox_setup(const struct conf *c, struct sandbox_conf *sb)
{
	int ret;

	*sb = (struct sandbox_conf){
		.runas = c->runas,
		.runas_uid = c->runas_uid,
		.runas_gid = c->runas_gid,
		.pid_ns = !c->foreground,
		.chroot_fallback = c->chroot_fallback,
		.vhost_user = c->mode == LINK_VHOST_USER,
	};
	ret = sandbox_keep_path(c->pid_file);
	if (ret) {
		errno = -ret;
		fatal("--pid %s: its directory", c->pid_file);
	}
	ret = sandbox_keep_path(link_path());
	if (ret) {
		errno = -ret;
		fatal("-s %s: its directory", link_path());
	}
	ret = sandbox_drop_user(sb);
	if (ret) {
		errno = -ret;
		if (c->runas[0])
			fatal("--runas %s: cannot change to that user", c->runas);
		fatal("cannot stop being root");
	}
	sandbox_unshare(sb);
}

int main(int argc, char **argv)
{
	struct sandbox_conf sb;
	struct conf c;
	unsigned int max_flows;
	int ret, status;

	/* A subcommand before any option: gangway exec -- QEMU... */
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return exec_main(argc - 1, argv + 1, argv[0]);

	conf_parse(argc, argv, &c);	/* bad option: one line, exit 1 */
	test_forbidden_hook = getenv("GANGWAY_TEST_FORBIDDEN_SYSCALL") != NULL;
	daemon_close_stray_fds(c.fd);	/* nothing inherited but --fd */
	log_init(&c);
	if (!c.quiet)
		conf_print(&c);

	max_flows = c.max_flows ? c.max_flows : MAX_FLOWS_FALLBACK;
	ret = loop_init(max_flows * TIMERS_PER_FLOW + TIMERS_EXTRA);
	if (ret) {
		errno = -ret;
		fatal("setting up the event loop");
	}
	loop_set_busy_poll(c.busy_poll_us);

	/*
	 * Everything that opens a path happens here, before the sandbox.
	 * From here on, exit() (fatal() included) runs cleanup(): what we
	 * created is removed whenever start-up fails. The launching parent
	 * leaves with _exit() and removes nothing.
	 */
	atexit(cleanup);
	if (c.pid_file[0]) {
		ret = pidfile_open(c.pid_file);
		if (ret) {
			errno = -ret;
			fatal("--pid %s", c.pid_file);
		}
	}
	if (c.pcap_file[0]) {
		ret = pcap_open(c.pcap_file);
		if (ret) {
			errno = -ret;
			fatal("--pcap %s", c.pcap_file);
		}
		info("capturing guest frames to %s", c.pcap_file);
	}
	link_init(&c);
	memcpy(guest_tx.our_mac, c.our_mac, sizeof(guest_tx.our_mac));
	ret = ingress_init(&c, &guest_tx);
	if (ret) {
		errno = -ret;
		fatal("setting up services and flows");
	}

	/*
	 * Leave root, and the namespaces we share with the host, except the
	 * network. The pid file and socket path stay removable at exit.
	 */
	sandbox_setup(&c, &sb);

	/* The parent exits 0 only once daemon_ready() runs in the child */
	if (!c.foreground) {
		ret = daemon_start();
		if (ret) {
			errno = -ret;
			fatal("going to the background");
		}
	}
	log_set_pid(sandbox_host_pid());	/* /proc read (and kept) now */
	signals_init();

	/*
	 * Locked: an empty root, no capabilities, no new privileges, and
	 * only the system calls in core/seccomp.c. What remains possible:
	 * the fds we hold (link, listeners, log, pcap, signalfd), new host
	 * sockets for guest flows, memory we already have (and vhost-user
	 * guest memory), unlinking our two files at exit. A failure here
	 * has been logged; the launcher sees exit status 1.
	 */
	if (sandbox_lock(&sb))
		exit(EXIT_FAILURE);
	/* Whoever waits for the pid file finds the daemon locked already */
	ret = pidfile_write();		/* the daemon's own, final pid */
	if (ret) {
		errno = -ret;
		fatal("--pid %s", c.pid_file);
	}
	if (!c.foreground) {
		log_daemonized();
		daemon_ready(c.fd >= 0 && c.fd <= 2 ? c.fd : -1);
	}

	status = loop_run();

	if (c.debug || c.trace)
		stats_dump();
	return status;		/* exit() runs cleanup() */
}
