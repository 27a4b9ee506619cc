// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/log.c - messages for users: stderr, a log file, or syslog
 *
 * Every message is formatted once into a static buffer and written with a
 * single write() or send(), so lines from one process never interleave and
 * nothing is allocated after log_open(). Syslog is spoken by hand over a
 * datagram socket connected to /dev/log at log_open() time: vsyslog()
 * would open the socket lazily, which the sandbox forbids.
 *
 * Destinations:
 * - stderr, with a "gangway: " prefix, until log_daemonized() (so start-up
 *   errors always reach whoever launched us), and for good when the
 *   configured destination is LOG_DEST_STDERR;
 * - a file (-l), with a timestamp relative to start, from log_open() on;
 * - syslog (facility daemon), once daemonized without -l.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define LOG_LINE_MAX		1024
#define LOG_SYSLOG_PATH		"/dev/log"
#define LOG_SYSLOG_FACILITY	(3 << 3)	/* LOG_DAEMON */
#define LOG_PREFIX		"gangway"

/* Syslog severities (RFC 5424 section 6.2.1) for each of our levels */
static const int log_severity[] = {
	[LOG_LVL_ERR]	= 3,
	[LOG_LVL_WARN]	= 4,
	[LOG_LVL_INFO]	= 6,
	[LOG_LVL_DEBUG]	= 7,
	[LOG_LVL_TRACE]	= 7,
};
static_assert(ARRAY_SIZE(log_severity) == LOG_LVL_TRACE + 1,
	      "a syslog severity for every level");

static enum log_level log_level = LOG_LVL_INFO;
static enum log_dest log_dest = LOG_DEST_STDERR;	/* configured */
static bool log_to_stderr = true;	/* until log_daemonized() */
static int log_file_fd = -1;
static size_t log_file_max;		/* 0: no limit */
static size_t log_file_size;		/* bytes in the file now */
static int log_syslog_fd = -1;
static uint64_t log_start_ns;
static int log_pid;			/* log_set_pid(); 0: getpid() */
static char log_buf[LOG_LINE_MAX];

void log_set_level(enum log_level max)
{
	log_level = max;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static uint64_t log_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Connect a datagram socket to /dev/log; without a syslog daemon, -errno */
static int log_syslog_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, LOG_SYSLOG_PATH, sizeof(LOG_SYSLOG_PATH));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/**
 * log_open() - choose where messages go once we run in the background
 * @dest:	configured destination
 * @path:	log file for LOG_DEST_FILE, otherwise ignored
 *
 * A file is written from now on (start-up messages included); syslog is
 * used only after log_daemonized(). A missing syslog daemon is not an
 * error: messages are then lost, as with syslog(3).
 * Return: 0, or -errno if the log file cannot be opened
 */
int log_open(enum log_dest dest, const char *path)
{
	log_start_ns = log_mono_ns();
	log_dest = dest;
	if (dest == LOG_DEST_FILE) {
		log_file_fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
				   O_CLOEXEC, 0600);
		if (log_file_fd < 0)
			return -errno;
		struct stat st;

		log_file_size = fstat(log_file_fd, &st) ? 0 :
				(size_t)st.st_size;
	} else if (dest == LOG_DEST_SYSLOG) {
		tzset();	/* localtime_r() must not open files later */
		log_syslog_fd = log_syslog_connect();
	}
	return 0;
}

void log_set_file_max(size_t bytes)
{
	log_file_max = bytes;
}

/*
 * Make room in a full log file: drop the oldest half, in whole filesystem
 * blocks, where the filesystem can collapse a range (ext4, xfs); else
 * start the file afresh. Either way the file never outgrows the limit.
 * #syscalls: fstat fallocate ftruncate
 */
static void log_file_trim(void)
{
	struct stat st;
	size_t blk = 4096, cut;

	if (!fstat(log_file_fd, &st) && st.st_blksize > 0)
		blk = (size_t)st.st_blksize;
	cut = log_file_size / 2 / blk * blk;
	if (cut && !fallocate(log_file_fd, FALLOC_FL_COLLAPSE_RANGE, 0,
			      (off_t)cut)) {
		log_file_size -= cut;
		return;
	}
	if (!ftruncate(log_file_fd, 0))
		log_file_size = 0;
}

void log_set_pid(int pid)
{
	log_pid = pid;
}

void log_daemonized(void)
{
	if (log_dest != LOG_DEST_STDERR)
		log_to_stderr = false;
}

/*
 * Send the message in log_buf (@len bytes, no newline) everywhere it goes
 * #syscalls: writev sendmsg clock_gettime getpid
 */
static void log_emit(enum log_level lvl, size_t len)
{
	char head[96];
	int hlen;

	if (log_to_stderr) {
		struct iovec iov[3] = {
			{ .iov_base = LOG_PREFIX ": ",
			  .iov_len = sizeof(LOG_PREFIX ": ") - 1 },
			{ .iov_base = log_buf, .iov_len = len },
			{ .iov_base = "\n", .iov_len = 1 },
		};

		/* A failure here leaves nowhere to complain to */
		(void)!writev(STDERR_FILENO, iov, 3);
	}

	if (log_file_fd >= 0) {
		uint64_t t = log_mono_ns() - log_start_ns;

		hlen = snprintf(head, sizeof(head), "%llu.%06llu " LOG_PREFIX
				"[%d]: ",
				(unsigned long long)(t / 1000000000ULL),
				(unsigned long long)(t % 1000000000ULL / 1000),
				log_pid ? log_pid : (int)getpid());
		if (hlen > 0 && (size_t)hlen < sizeof(head)) {
			struct iovec iov[3] = {
				{ .iov_base = head, .iov_len = (size_t)hlen },
				{ .iov_base = log_buf, .iov_len = len },
				{ .iov_base = "\n", .iov_len = 1 },
			};
			size_t total = (size_t)hlen + len + 1;

			if (log_file_max &&
			    log_file_size + total > log_file_max)
				log_file_trim();
			if (writev(log_file_fd, iov, 3) > 0)
				log_file_size += total;
		}
	}

	if (!log_to_stderr && log_syslog_fd >= 0) {
		struct timespec ts;
		struct tm tm;
		char stamp[32] = "";
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm))
			strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
		hlen = snprintf(head, sizeof(head), "<%d>%s " LOG_PREFIX
				"[%d]: ",
				LOG_SYSLOG_FACILITY | log_severity[lvl], stamp,
				log_pid ? log_pid : (int)getpid());
		if (hlen <= 0 || (size_t)hlen >= sizeof(head))
			return;
		iov[0] = (struct iovec){ .iov_base = head,
					 .iov_len = (size_t)hlen };
		iov[1] = (struct iovec){ .iov_base = log_buf, .iov_len = len };
		/* Syslog daemon gone or full: the message is lost */
		(void)!sendmsg(log_syslog_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

/* Format into log_buf and emit; @suffix (may be NULL) is appended */
static void log_vmsg(enum log_level lvl, const char *suffix,
		     const char *fmt, va_list ap)
{
	int saved_errno = errno;
	int n;
	size_t len;

	n = vsnprintf(log_buf, sizeof(log_buf), fmt, ap);
	if (n < 0)
		n = 0;
	len = MIN((size_t)n, sizeof(log_buf) - 1);
	if (suffix) {
		n = snprintf(log_buf + len, sizeof(log_buf) - len, "%s",
			     suffix);
		if (n > 0)
			len = MIN(len + (size_t)n, sizeof(log_buf) - 1);
	}
	log_emit(lvl, len);
	errno = saved_errno;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, NULL, fmt, ap);
	va_end(ap);
}

void log_ratelimited(struct ratelimit *rl, uint64_t now_ns,
		     enum log_level lvl, const char *fmt, ...)
{
	char suffix[64];
	va_list ap;

	if (!log_enabled(lvl))
		return;
	if (rl->last_ns && now_ns - rl->last_ns < 1000000000ULL) {
		rl->suppressed++;
		return;
	}
	suffix[0] = '\0';
	if (rl->suppressed)
		snprintf(suffix, sizeof(suffix),
			 " (%llu similar messages suppressed)",
			 (unsigned long long)rl->suppressed);
	rl->last_ns = now_ns ? now_ns : 1;
	rl->suppressed = 0;
	va_start(ap, fmt);
	log_vmsg(lvl, suffix, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	char suffix[128];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, suffix, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
