/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/unit/conf/conf_run.h - run conf_parse_args() in a child process
 *
 * Bad options exit the process, so each check forks: the child parses,
 * then exits 0; the parent collects the exit status, stdout and stderr.
 */
#ifndef GANGWAY_TESTS_CONF_RUN_H
#define GANGWAY_TESTS_CONF_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"

#define RUN_ARGS_MAX	32
#define RUN_OUT_MAX	16384

struct run {
	int status;			/* exit status, or -1 if killed */
	char out[RUN_OUT_MAX];		/* stdout */
	char err[RUN_OUT_MAX];		/* stderr */
};

/* Read @fd until EOF into @buf (NUL-terminated, truncated to size) */
static inline void run_slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, size - 1 - len)) > 0) {
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
}

/**
 * run_conf() - fork, run @fn(argc, argv) in the child, collect results
 * @r:		result
 * @fn:		conf_parse_args, or a wrapper
 * @argv:	NULL-terminated, argv[0] included
 */
static inline void run_conf(struct run *r,
			    void (*fn)(int, char **, struct conf *),
			    char **argv)
{
	static struct conf c;
	int po[2], pe[2], argc = 0, st;
	pid_t pid;

	while (argv[argc])
		argc++;
	if (pipe(po) || pipe(pe))
		abort();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (!pid) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		close(po[0]);
		close(pe[0]);
		fn(argc, argv, &c);
		fflush(NULL);
		_exit(0);
	}
	close(po[1]);
	close(pe[1]);
	/* Outputs are short: stdout fits the pipe while stderr is read */
	run_slurp(pe[0], r->err, sizeof(r->err));
	run_slurp(po[0], r->out, sizeof(r->out));
	close(po[0]);
	close(pe[0]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Build a NULL-terminated argv from "gangway" and the varargs */
static inline void run_argv(char **argv, const char *first, va_list ap)
{
	const char *a;
	int n = 0;

	argv[n++] = (char *)"gangway";
	for (a = first; a && n < RUN_ARGS_MAX - 1; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	argv[n] = NULL;
}

#endif /* GANGWAY_TESTS_CONF_RUN_H */
