/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/log.h - messages for users: stderr, a log file, or syslog
 *
 * Owns: the log destination and level, message formatting with the
 * "gangway: " prefix, rate limiting of guest-triggerable messages, and
 * fatal()/fatalx() (only main.c and conf/ may call those).
 * Does not own: counters (core/stats.h are the record of drops).
 * Allocates nothing after log_init(); works after the sandbox is locked
 * (the syslog socket is opened and connected up front).
 */
#ifndef GANGWAY_CORE_LOG_H
#define GANGWAY_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_TRACE,
};

enum log_dest {
	LOG_DEST_STDERR,	/* foreground, or before daemonizing */
	LOG_DEST_FILE,		/* -l/--log-file */
	LOG_DEST_SYSLOG,	/* daemon without --log-file */
};

/* Threshold and destination; before log_open() messages go to stderr */
void log_set_level(enum log_level max);
enum log_level log_get_level(void);
int log_open(enum log_dest dest, const char *path);
/* Keep the log file under @bytes (--log-size) by dropping its oldest part */
void log_set_file_max(size_t bytes);
/* After daemonizing, stderr is gone: switch to the configured destination */
void log_daemonized(void);

/* The pid our lines carry: in the sandbox's PID namespace getpid() is 1 */
void log_set_pid(int pid);

void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF_FMT(2, 3);

#define err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define trace(...)	log_msg(LOG_LVL_TRACE, __VA_ARGS__)

static inline bool log_enabled(enum log_level lvl)
{
	return lvl <= log_get_level();
}

/**
 * struct ratelimit - one rate-limited message source, owned by its caller
 * @last_ns:	when a message last got through
 * @suppressed:	messages dropped since then, reported with the next one
 */
struct ratelimit {
	uint64_t last_ns;
	uint64_t suppressed;
};

/* At most one message per second per @rl; says how many were suppressed */
void log_ratelimited(struct ratelimit *rl, uint64_t now_ns,
		     enum log_level lvl, const char *fmt, ...) PRINTF_FMT(4, 5);

/* Print "gangway: <message>[: strerror(errno)]" and exit(1) */
NORETURN void fatal(const char *fmt, ...) PRINTF_FMT(1, 2);
NORETURN void fatalx(const char *fmt, ...) PRINTF_FMT(1, 2);

#endif /* GANGWAY_CORE_LOG_H */
