// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exec.c - gangway exec: run a QEMU command with gangway as its network
 *
 * Theory of operation
 *
 * QEMU 10.1's -netdev passt starts the daemon itself and restarts it if
 * the stream breaks. Older QEMU (Debian 12 has 7.2) only knows -netdev
 * stream and -netdev vhost-user, so `gangway exec [OPTION]... -- QEMU...`
 * does the launcher's part from outside QEMU:
 *
 *  1. Check the QEMU command: a NIC must use our netdev id (--netdev-id,
 *     default n0), nothing else may define that id, and with --vhost-user
 *     the NIC must be virtio-net and guest memory must be shareable.
 *  2. Make a private directory (mode 0700) for the pid file and socket.
 *  3. Start the daemon as QEMU 10.1 does: `gangway --quiet OPTIONS...
 *     --pid FILE --fd 3` (vhost-user: `--vhost-user -s SOCK --one-off`
 *     instead of --fd), wait for that process to exit 0, read FILE.
 *  4. Start QEMU with the netdev added at the end of its command.
 *  5. Wait. If the daemon goes away, start a new one; when QEMU exits,
 *     stop the daemon, remove the directory and exit with QEMU's status.
 *
 * Why not `-netdev stream,server=off,addr.type=fd`, as QEMU 10.1 does with
 * its socketpair? QEMU 7.2 cannot reconnect a stream netdev (its
 * `reconnect` parameter came later), and a socketpair end cannot be given
 * to QEMU again. A listening socket can: we bind one in the private
 * directory and hand QEMU its fd with `server=on,addr.type=fd`. QEMU
 * accepts one connection at a time, and goes back to accepting when its
 * peer closes. We connect to it ourselves and give that connection to the
 * daemon as fd 3; a new daemon gets a new connection, which QEMU accepts,
 * and the guest's NIC never sees the link go down.
 *
 * vhost-user: QEMU 7.2's `-chardev socket,fd=N` passes no file descriptors
 * (the guest memory and ring eventfds travel as SCM_RIGHTS), so the daemon
 * listens on a path and QEMU connects with `reconnect=1`: a new daemon on
 * the same path is found again within a second. vhost-user needs the
 * guest's memory in a shared file: unless the command names a shared
 * memory backend itself, we add a memfd backend of the -m size and a NUMA
 * node on it. Under TCG, QEMU 7.2 crashes when a vhost-user NIC starts
 * with MSI-X, so a virtio-net-pci NIC gets vectors=0 (INTx) unless the
 * command says otherwise.
 *
 * The daemon double-forks away from us; we become a child subreaper
 * (PR_SET_CHILD_SUBREAPER) so it is reparented to us and its exit comes
 * as SIGCHLD like QEMU's. Signals arrive on a signalfd: SIGTERM, SIGINT,
 * SIGHUP and SIGQUIT go to QEMU (which then exits, and so do we), SIGUSR1
 * goes to the daemon (it logs its counters).
 *
 * Limits: one netdev per gangway exec; a daemon that lived under a second
 * is restarted after a second, not at once, so a daemon that cannot run
 * does not spin.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/compiler.h"
#include "exec.h"

#define EXEC_PROG		"gangway exec"
#define EXEC_DEFAULT_ID		"n0"
#define EXEC_DEFAULT_MEM	(128ULL << 20)	/* QEMU's x86 default */
#define EXEC_RESTART_MIN_MS	1000	/* restart delay after a short life */
#define EXEC_RETRY_MS		2000	/* after a failed restart */
#define EXEC_STOP_WAIT_MS	3000	/* for the daemon to exit */
#define EXEC_ARGS_MAX		256	/* gangway options for the daemon */

enum exec_opt {
	EXEC_OPT_NETDEV_ID = 1000,
};

/**
 * struct exec_state - one gangway exec run
 * @self:	program to run as the daemon (/proc/self/exe)
 * @argv0:	argv[0] for the daemon
 * @id:		netdev id
 * @vhost_user:	--vhost-user given
 * @opts:	the user's gangway options, passed on to every daemon
 * @nopts:	how many
 * @dir:	private directory
 * @sock:	listening socket path (stream) or vhost-user socket path
 * @pidfile:	daemon's --pid file
 * @listen_fd:	stream: the listening socket QEMU accepts on, else -1
 * @sig_fd:	signalfd
 * @qemu:	QEMU's pid
 * @daemon:	the daemon's pid, 0 while none runs
 * @started_ms:	when the current daemon started
 * @restart_ms:	when to start a new daemon, 0: not scheduled
 */
struct exec_state {
	const char *self;
	const char *argv0;
	const char *id;
	bool vhost_user;
	char *opts[EXEC_ARGS_MAX];
	int nopts;
	char dir[PATH_MAX];
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char pidfile[PATH_MAX];
	int listen_fd;
	int sig_fd;
	pid_t qemu;
	pid_t daemon;
	uint64_t started_ms;
	uint64_t restart_ms;
};

static const char exec_help[] =
"Usage: gangway exec [OPTION]... -- QEMU-COMMAND...\n"
"Run QEMU (7.2 or later) with gangway as the network of one NIC, as QEMU\n"
"10.1's -netdev passt does: gangway starts the daemon, adds the netdev to\n"
"the QEMU command, starts a new daemon if the old one goes away, and exits\n"
"with QEMU's exit status.\n"
"\n"
"  --netdev-id ID    netdev id to add (default n0); the QEMU command must\n"
"                    have a NIC using it, e.g. -device virtio-net-pci,netdev=n0\n"
"  --vhost-user      connect QEMU over vhost-user; adds a shared memfd\n"
"                    memory backend of the -m size unless the command has\n"
"                    a share=on memory backend of its own\n"
"  -h, --help        print this help and exit\n"
"Every other option is a gangway option, given to each daemon (see\n"
"gangway --help); -F/--fd, -s/--socket, -P/--pid and -f/--foreground are\n"
"set by gangway exec itself.\n"
"\n"
"Example:\n"
"  gangway exec -t 2222:22 -- qemu-system-x86_64 -m 1G -drive file=disk.img \\\n"
"      -device virtio-net-pci,netdev=n0\n"
"\n"
"Signals: SIGTERM, SIGINT, SIGHUP and SIGQUIT are passed to QEMU; SIGUSR1\n"
"to the daemon, which logs its counters.\n";

/* One line on stderr: "gangway exec: " and the message */
static void exec_vwarn(const char *fmt, va_list ap) PRINTF_FMT(1, 0);
static void exec_vwarn(const char *fmt, va_list ap)
{
	fputs(EXEC_PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void exec_warn(const char *fmt, ...) PRINTF_FMT(1, 2);
static void exec_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	exec_vwarn(fmt, ap);
	va_end(ap);
}

static NORETURN void exec_die(const char *fmt, ...) PRINTF_FMT(1, 2);
static NORETURN void exec_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	exec_vwarn(fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the QEMU command line ---------------------------------------------- */

int exec_mem_size(const char *val, unsigned long long *bytes)
{
	char buf[128], *item, *save = NULL, *end;
	const char *num = NULL;
	double v;

	if (strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "size=", 5))
			num = item + 5;
		else if (!strchr(item, '=') && !num)
			num = item;
	}
	if (!num || !isdigit((unsigned char)*num))
		return -EINVAL;
	errno = 0;
	v = strtod(num, &end);
	if (errno || v <= 0)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		v *= 1024.0;
		end++;
		break;
	case '\0':	/* QEMU's -m: a bare number is in MiB */
	case 'M':
		v *= 1024.0 * 1024.0;
		end += !!*end;
		break;
	case 'G':
		v *= 1024.0 * 1024.0 * 1024.0;
		end++;
		break;
	case 'T':
		v *= 1024.0 * 1024.0 * 1024.0 * 1024.0;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end || v >= 18446744073709551615.0)
		return -EINVAL;
	*bytes = (unsigned long long)v;
	return 0;
}

/* Value of property @key in a QEMU "a=b,c=d" option string, into @out */
static bool exec_prop(const char *s, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = s;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			len -= klen + 1;
			if (len >= size)
				len = size - 1;
			memcpy(out, p + klen + 1, len);
			out[len] = '\0';
			return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* First item of a -device value: the driver, bare or as driver=X */
static void exec_driver(const char *s, char *out, size_t size)
{
	size_t len = strcspn(s, ",");

	if (exec_prop(s, "driver", out, size))
		return;
	if (memchr(s, '=', len))	/* no bare driver name first */
		len = 0;
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

/* JSON -device/-netdev ({"driver":"x","netdev":"n0"}): "key":"value" */
static bool exec_json(const char *s, const char *key, char *out, size_t size)
{
	char pat[80];
	const char *p, *q;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(s, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return false;
	q = strchr(++p, '"');
	if (!q || (size_t)(q - p) >= size)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

static bool exec_get(const char *s, const char *key, char *out, size_t size)
{
	if (*s == '{')
		return exec_json(s, key, out, size);
	return exec_prop(s, key, out, size);
}

/* "-foo" and "--foo" are the same QEMU option */
static const char *exec_qopt(const char *a)
{
	if (a[0] != '-')
		return NULL;
	return a[1] == '-' ? a + 1 : a;
}

int exec_qemu_scan(char *const *argv, const char *id, bool vhost_user,
		   struct exec_qemu *q)
{
	char v[256];
	int i;

	memset(q, 0, sizeof(*q));
	q->nic = -1;
	q->nic_vectors = -1;
	for (i = 1; argv[i]; i++) {
		const char *o = exec_qopt(argv[i]), *val = argv[i + 1];

		if (!o)
			continue;
		if (!strcmp(o, "-enable-kvm")) {
			q->kvm = true;
			continue;
		}
		if (!strcmp(o, "-daemonize")) {
			snprintf(q->err, sizeof(q->err),
				 "%s: gangway exec stays with QEMU to restart the daemon and return QEMU's status; run gangway exec itself in the background instead",
				 argv[i]);
			return -EINVAL;
		}
		if (!val)
			break;
		if (!strcmp(o, "-device")) {
			if (!exec_get(val, "netdev", v, sizeof(v)) ||
			    strcmp(v, id))
				goto next;
			if (q->nic >= 0) {
				snprintf(q->err, sizeof(q->err),
					 "two NICs use netdev %s; gangway exec gives one NIC its network",
					 id);
				return -EINVAL;
			}
			q->nic = i + 1;
			if (*val == '{')
				exec_json(val, "driver", q->nic_driver,
					  sizeof(q->nic_driver));
			else
				exec_driver(val, q->nic_driver,
					    sizeof(q->nic_driver));
			if (exec_get(val, "vectors", v, sizeof(v)))
				q->nic_vectors = strtol(v, NULL, 0);
		} else if (!strcmp(o, "-netdev") || !strcmp(o, "-nic")) {
			if (exec_get(val, "id", v, sizeof(v)) &&
			    !strcmp(v, id)) {
				snprintf(q->err, sizeof(q->err),
					 "%s %s: gangway exec adds netdev %s itself; remove this option or choose another id with --netdev-id",
					 argv[i], val, id);
				return -EINVAL;
			}
		} else if (!strcmp(o, "-m")) {
			if (exec_mem_size(val, &q->mem_bytes)) {
				snprintf(q->err, sizeof(q->err),
					 "-m %s: not a memory size gangway exec understands (e.g. 512M, 2G, size=1G)",
					 val);
				return -EINVAL;
			}
		} else if (!strcmp(o, "-numa")) {
			q->has_numa = true;
		} else if (!strcmp(o, "-mem-path")) {
			q->has_mem_path = true;
		} else if (!strcmp(o, "-object")) {
			if (strncmp(val, "memory-backend-", 15) &&
			    !(exec_get(val, "qom-type", v, sizeof(v)) &&
			      !strncmp(v, "memory-backend-", 15)))
				goto next;
			if ((exec_get(val, "share", v, sizeof(v)) &&
			     (!strcmp(v, "on") || !strcmp(v, "true") ||
			      !strcmp(v, "yes"))) || strstr(val, "\"share\": true") ||
			    strstr(val, "\"share\":true"))
				q->backend_shared = true;
			else if (!exec_get(val, "id", q->backend_private,
					   sizeof(q->backend_private)))
				strcpy(q->backend_private, "?");
		} else if (!strcmp(o, "-accel")) {
			if (!strncmp(val, "kvm", 3) &&
			    (val[3] == '\0' || val[3] == ','))
				q->kvm = true;
		} else if (!strcmp(o, "-machine") || !strcmp(o, "-M")) {
			if (exec_prop(val, "accel", v, sizeof(v)) &&
			    !strncmp(v, "kvm", 3))
				q->kvm = true;
		} else {
			continue;	/* unknown: its value is not skipped */
		}
next:
		i++;
	}

	if (q->nic < 0) {
		snprintf(q->err, sizeof(q->err),
			 "the QEMU command has no NIC for netdev %s: add one, e.g. -device virtio-net-pci,netdev=%s",
			 id, id);
		return -EINVAL;
	}
	if (!vhost_user)
		return 0;

	if (strncmp(q->nic_driver, "virtio-net", 10)) {
		snprintf(q->err, sizeof(q->err),
			 "-device %s: vhost-user works with virtio-net NICs only (e.g. -device virtio-net-pci,netdev=%s)",
			 argv[q->nic], id);
		return -EINVAL;
	}
	if (q->has_mem_path) {
		snprintf(q->err, sizeof(q->err),
			 "-mem-path: vhost-user needs guest memory the daemon can map; remove -mem-path (gangway exec adds a shared memfd backend) or use -object memory-backend-file,...,share=on with -numa node,memdev=...");
		return -EINVAL;
	}
	if (q->backend_private[0]) {
		snprintf(q->err, sizeof(q->err),
			 "-object memory-backend-... id=%s: vhost-user needs share=on on the guest's memory backend",
			 q->backend_private);
		return -EINVAL;
	}
	if (q->has_numa && !q->backend_shared) {
		snprintf(q->err, sizeof(q->err),
			 "-numa: with --vhost-user, give the NUMA node a memory backend with share=on (e.g. -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem), or drop -numa and gangway exec adds one");
		return -EINVAL;
	}
	return 0;
}

/* ---- options ---------------------------------------------------------- */

/* gangway's own option table plus ours, for getopt_long() */
static struct option exec_options[128];

static void exec_options_init(void)
{
	const struct option *o = conf_long_options();
	size_t n = 0;

	for (; o->name && n < ARRAY_SIZE(exec_options) - 2; o++)
		exec_options[n++] = *o;
	exec_options[n++] = (struct option){ "netdev-id", required_argument,
					     NULL, EXEC_OPT_NETDEV_ID };
	exec_options[n] = (struct option){ NULL, 0, NULL, 0 };
}

static bool exec_id_valid(const char *id)
{
	const char *p;

	if (!isalpha((unsigned char)id[0]) || strlen(id) > 64)
		return false;
	for (p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}

/*
 * Read our options: ours are consumed, gangway's are kept verbatim for the
 * daemon (which checks them), a few that gangway exec sets are refused.
 * Return: index of the QEMU command in @argv
 */
static int exec_parse(struct exec_state *s, int argc, char **argv)
{
	char shortopts[128];
	int opt, prev, kept = 0;	/* argv[kept]: last element kept */

	exec_options_init();
	snprintf(shortopts, sizeof(shortopts), "+:h%s",
		 conf_short_options() + strspn(conf_short_options(), "+:"));
	opterr = 0;
	optind = 0;
	s->id = EXEC_DEFAULT_ID;
	for (;;) {
		int longidx = -1, i;
		const char *name;

		prev = optind ? optind : 1;
		opt = getopt_long(argc, argv, shortopts, exec_options,
				  &longidx);
		if (opt == -1)
			break;
		name = argv[prev < argc ? prev : argc - 1];
		switch (opt) {
		case '?':
			exec_die("unrecognized option '%s'; see gangway exec --help",
				 name);
		case ':':
			exec_die("%s: missing argument; see gangway exec --help",
				 name);
		case 'h':
			fputs(exec_help, stdout);
			exit(EXIT_SUCCESS);
		case EXEC_OPT_NETDEV_ID:
			if (!exec_id_valid(optarg))
				exec_die("--netdev-id %s: must start with a letter, then letters, digits, '-', '.' or '_'",
					 optarg);
			s->id = optarg;
			continue;
		case 'F':
		case 's':
		case 'P':
		case 'f':
			exec_die("%s: set by gangway exec itself; see gangway exec --help",
				 name);
		case '1':
			continue;	/* given to every daemon anyway */
		default:
			break;
		}
		if (longidx >= 0 &&
		    (!strcmp(exec_options[longidx].name, "version") ||
		     !strcmp(exec_options[longidx].name,
			     "print-capabilities")))
			exec_die("%s: not for gangway exec; try gangway %s",
				 name, name);
		if (longidx >= 0 &&
		    !strcmp(exec_options[longidx].name, "vhost-user"))
			s->vhost_user = true;
		/*
		 * Keep the elements this option took from argv, as typed,
		 * each once: a cluster ("-4qm1500") is seen once per letter
		 */
		for (i = prev; i < (optind == prev ? prev + 1 : optind); i++) {
			if (i <= kept)
				continue;
			if (s->nopts >= EXEC_ARGS_MAX - 16)
				exec_die("too many gangway options");
			s->opts[s->nopts++] = argv[i];
			kept = i;
		}
	}
	if (optind >= argc)
		exec_die("no QEMU command: gangway exec [OPTION]... -- QEMU-COMMAND... (see gangway exec --help)");
	return optind;
}

/* ---- the daemon ------------------------------------------------------- */

/* A new connection to the listening socket QEMU accepts on */
static int exec_connect(const struct exec_state *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	/* Non-blocking: with QEMU's backlog full we retry, never hang */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(a.sun_path, s->sock, strlen(s->sock) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    fcntl(fd, F_SETFL, 0)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static int exec_listen(struct exec_state *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -errno;
	memcpy(a.sun_path, s->sock, strlen(s->sock) + 1);
	if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s->listen_fd, 4))
		return -errno;
	return 0;
}

static void exec_child_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/*
 * Start a daemon as QEMU 10.1 does and wait for its launching process.
 * Return: 0 with s->daemon set, or -1 (the daemon said why on stderr)
 */
static int exec_start_daemon(struct exec_state *s)
{
	char *argv[EXEC_ARGS_MAX + 16];
	int n = 0, i, status, conn = -1;
	char buf[32];
	pid_t pid;
	ssize_t len;
	FILE *f;

	argv[n++] = (char *)s->argv0;
	argv[n++] = "--quiet";
	for (i = 0; i < s->nopts; i++)
		argv[n++] = s->opts[i];
	argv[n++] = "--pid";
	argv[n++] = s->pidfile;
	if (s->vhost_user) {
		argv[n++] = "--one-off";
		argv[n++] = "-s";
		argv[n++] = s->sock;
	} else {
		argv[n++] = "--fd";
		argv[n++] = "3";
		conn = exec_connect(s);
		if (conn < 0) {
			exec_warn("connecting to %s: %s", s->sock,
				  strerror(-conn));
			return -1;
		}
	}
	argv[n] = NULL;
	unlink(s->pidfile);

	pid = fork();
	if (pid < 0) {
		exec_warn("fork: %s", strerror(errno));
		if (conn >= 0)
			close(conn);
		return -1;
	}
	if (!pid) {
		exec_child_signals();
		if (conn >= 0) {
			if (conn == 3)
				fcntl(3, F_SETFD, 0);
			else if (dup2(conn, 3) < 0)
				_exit(126);
		}
		execv(s->self, argv);
		fprintf(stderr, EXEC_PROG ": %s: %s\n", s->self,
			strerror(errno));
		_exit(127);
	}
	if (conn >= 0)
		close(conn);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		exec_warn("the gangway daemon did not start (%s %d)",
			  WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) :
			  WTERMSIG(status));
		return -1;
	}

	f = fopen(s->pidfile, "re");
	len = f ? (ssize_t)fread(buf, 1, sizeof(buf) - 1, f) : -1;
	if (f)
		fclose(f);
	if (len <= 0) {
		exec_warn("--pid %s: no pid written by the daemon", s->pidfile);
		return -1;
	}
	buf[len] = '\0';
	s->daemon = (pid_t)strtol(buf, NULL, 10);
	if (s->daemon <= 0) {
		exec_warn("--pid %s: '%s' is not a pid", s->pidfile, buf);
		s->daemon = 0;
		return -1;
	}
	s->started_ms = now_ms();
	return 0;
}

/* ---- QEMU ------------------------------------------------------------- */

/* QEMU's argv: the user's, the NIC maybe amended, our netdev appended */
static char **exec_qemu_argv(struct exec_state *s, char **qargv,
			     const struct exec_qemu *q)
{
	static char netdev[512], chardev[512], object[128], numa[64],
		    mem[32], nic[4096];
	char **out;
	int n = 0, i, qc = 0;

	while (qargv[qc])
		qc++;
	out = calloc((size_t)qc + 16, sizeof(*out));
	if (!out)
		exec_die("out of memory");
	for (i = 0; i < qc; i++)
		out[n++] = qargv[i];

	if (!s->vhost_user) {
		snprintf(netdev, sizeof(netdev),
			 "stream,id=%s,server=on,addr.type=fd,addr.str=%d",
			 s->id, s->listen_fd);
		out[n++] = "-netdev";
		out[n++] = netdev;
		return out;
	}

	snprintf(chardev, sizeof(chardev),
		 "socket,id=gangway-%s,path=%s,reconnect=1", s->id, s->sock);
	snprintf(netdev, sizeof(netdev), "vhost-user,id=%s,chardev=gangway-%s",
		 s->id, s->id);
	out[n++] = "-chardev";
	out[n++] = chardev;
	out[n++] = "-netdev";
	out[n++] = netdev;
	if (!q->backend_shared) {
		unsigned long long bytes = q->mem_bytes ? q->mem_bytes :
					   EXEC_DEFAULT_MEM;

		if (!q->mem_bytes) {
			snprintf(mem, sizeof(mem), "%lluM", bytes >> 20);
			out[n++] = "-m";
			out[n++] = mem;
		}
		snprintf(object, sizeof(object),
			 "memory-backend-memfd,id=gangway-mem,size=%llu,share=on",
			 bytes);
		snprintf(numa, sizeof(numa), "node,memdev=gangway-mem");
		out[n++] = "-object";
		out[n++] = object;
		out[n++] = "-numa";
		out[n++] = numa;
	}
	/* QEMU 7.2 under TCG crashes starting vhost-user with MSI-X */
	if (!q->kvm && !strncmp(q->nic_driver, "virtio-net-pci", 14)) {
		if (q->nic_vectors < 0 && qargv[q->nic][0] != '{') {
			if (snprintf(nic, sizeof(nic), "%s,vectors=0",
				     qargv[q->nic]) >= (int)sizeof(nic))
				exec_die("-device %s: too long", qargv[q->nic]);
			out[q->nic] = nic;
		} else if (q->nic_vectors > 0) {
			exec_warn("-device %s: QEMU 7.2 under TCG crashes when vhost-user starts with MSI-X vectors; vectors=0 avoids it",
				  qargv[q->nic]);
		}
	}
	return out;
}

static pid_t exec_start_qemu(struct exec_state *s, char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		exec_die("fork: %s", strerror(errno));
	if (!pid) {
		exec_child_signals();
		if (s->listen_fd >= 0)
			fcntl(s->listen_fd, F_SETFD, 0);
		execvp(argv[0], argv);
		fprintf(stderr, EXEC_PROG ": %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	return pid;
}

/* ---- the run ---------------------------------------------------------- */

static void exec_cleanup(struct exec_state *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->sock[0])
		unlink(s->sock);
	if (s->pidfile[0])
		unlink(s->pidfile);
	if (s->dir[0])
		rmdir(s->dir);
}

/* SIGTERM the daemon, give it time to exit (it is our child: reap it) */
static void exec_stop_daemon(struct exec_state *s)
{
	uint64_t end = now_ms() + EXEC_STOP_WAIT_MS;

	if (!s->daemon)
		return;
	kill(s->daemon, SIGTERM);
	while (now_ms() < end) {
		pid_t pid = waitpid(s->daemon, NULL, WNOHANG);

		if (pid == s->daemon || (pid < 0 && errno == ECHILD))
			break;
		usleep(10000);
	}
	s->daemon = 0;
}

static void exec_dir(struct exec_state *s)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (!base || !*base || stat(base, &st) || !S_ISDIR(st.st_mode) ||
	    access(base, W_OK))
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if (snprintf(s->dir, sizeof(s->dir), "%s/gangway-exec.XXXXXX",
		     base) >= (int)sizeof(s->dir) || !mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		exec_die("cannot make a directory in %s: %s", base,
			 strerror(errno));
	}
	if (snprintf(s->pidfile, sizeof(s->pidfile), "%s/gangway.pid",
		     s->dir) >= (int)sizeof(s->pidfile) || snprintf(s->sock, sizeof(s->sock), "%s/%s.sock", s->dir,
		     s->vhost_user ? "vhost-user" : "stream") >=
	    (int)sizeof(s->sock)) {
		s->sock[0] = '\0';
		exec_cleanup(s);
		exec_die("%s: too long for a UNIX socket path; set TMPDIR to a shorter directory",
			 s->dir);
	}
}

/* Reap children; Return: true once QEMU has exited, its status in *st */
static bool exec_reap(struct exec_state *s, int *qstatus)
{
	bool qemu_done = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->qemu) {
			*qstatus = status;
			qemu_done = true;
		} else if (pid == s->daemon) {
			uint64_t now = now_ms(), lived = now - s->started_ms;

			if (WIFSIGNALED(status))
				exec_warn("the gangway daemon (pid %d) was killed by signal %d; starting a new one",
					  (int)pid, WTERMSIG(status));
			else
				exec_warn("the gangway daemon (pid %d) exited with status %d; starting a new one",
					  (int)pid, WEXITSTATUS(status));
			s->daemon = 0;
			s->restart_ms = now + (lived < EXEC_RESTART_MIN_MS ?
					       EXEC_RESTART_MIN_MS : 0);
			if (!s->restart_ms)
				s->restart_ms = 1;
		}
		/* else: an orphan of QEMU's, reparented to us */
	}
	return qemu_done;
}

static void exec_signal(struct exec_state *s, int sig)
{
	if (sig == SIGCHLD)
		return;
	if (sig == SIGUSR1) {
		if (s->daemon)
			kill(s->daemon, SIGUSR1);
		return;
	}
	kill(s->qemu, sig);
}

static int exec_loop(struct exec_state *s)
{
	int qstatus = 0;

	for (;;) {
		struct pollfd pfd = { .fd = s->sig_fd, .events = POLLIN };
		struct signalfd_siginfo si;
		int timeout = -1;

		if (exec_reap(s, &qstatus))
			break;
		if (s->restart_ms) {
			uint64_t now = now_ms();

			if (now >= s->restart_ms) {
				s->restart_ms = 0;
				if (exec_start_daemon(s))
					s->restart_ms = now_ms() +
							EXEC_RETRY_MS;
				continue;
			}
			timeout = (int)(s->restart_ms - now);
		}
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
			exec_die("poll: %s", strerror(errno));
		while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			exec_signal(s, (int)si.ssi_signo);
	}

	exec_stop_daemon(s);
	exec_cleanup(s);
	if (WIFSIGNALED(qstatus))
		return 128 + WTERMSIG(qstatus);
	return WEXITSTATUS(qstatus);
}

/* Our own binary, by name so the daemon is "gangway" in ps, not "exe" */
static const char *exec_self(void)
{
	static char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (len <= 0 || (size_t)len >= sizeof(path) - 1)
		return "/proc/self/exe";
	path[len] = '\0';
	if (access(path, X_OK))		/* replaced or deleted since */
		return "/proc/self/exe";
	return path;
}

int exec_main(int argc, char **argv, const char *self)
{
	static struct exec_state st;
	struct exec_state *s = &st;
	struct exec_qemu q;
	char **qargv, **full;
	sigset_t set;
	int first, ret;

	s->listen_fd = -1;
	s->sig_fd = -1;
	s->argv0 = self;
	s->self = exec_self();
	first = exec_parse(s, argc, argv);
	qargv = argv + first;
	if (exec_qemu_scan(qargv, s->id, s->vhost_user, &q))
		exec_die("%s", q.err);

	/* Every child's exit, the daemon's included, comes to us */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		exec_die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		exec_die("sigprocmask: %s", strerror(errno));
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0)
		exec_die("signalfd: %s", strerror(errno));

	exec_dir(s);
	if (!s->vhost_user) {
		ret = exec_listen(s);
		if (ret) {
			exec_cleanup(s);
			exec_die("%s: %s", s->sock, strerror(-ret));
		}
	}
	if (exec_start_daemon(s)) {
		exec_cleanup(s);
		return EXIT_FAILURE;
	}
	full = exec_qemu_argv(s, qargv, &q);
	s->qemu = exec_start_qemu(s, full);
	free(full);
	return exec_loop(s);
}
