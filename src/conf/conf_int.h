/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * conf/conf_int.h - shared between conf/conf.c and conf/host.c only
 *
 * Owns: the record of what the command line set explicitly, written by
 * conf_parse_args() (conf.c) and read by conf_apply_host() (host.c), and
 * conf_die(), the one way conf/ reports bad input.
 */
#ifndef GANGWAY_CONF_CONF_INT_H
#define GANGWAY_CONF_CONF_INT_H

#include <stdbool.h>

#include "core/compiler.h"

#define OPTREF_MAX	320	/* "--option value" kept for messages */

/**
 * struct conf_given - what the command line set explicitly
 *
 * Filled by conf_parse_args(), read by conf_apply_host() to know which
 * values are the user's and which are ours to derive. The option text is
 * kept ("--address 10.0.0.2") for conflict messages.
 */
struct conf_given {
	char addr4[OPTREF_MAX];		/* -a, IPv4 */
	char addr6[OPTREF_MAX];		/* -a, IPv6 */
	bool addr4_cidr;
	char netmask[OPTREF_MAX];
	int netmask_len;
	char gw4[OPTREF_MAX];
	char gw6[OPTREF_MAX];
	char out4[OPTREF_MAX];		/* -o */
	char out6[OPTREF_MAX];
	char out_if4[OPTREF_MAX];
	char out_if6[OPTREF_MAX];
	char iface[OPTREF_MAX];
	char map_lo4[OPTREF_MAX];	/* --map-host-loopback addr */
	char map_lo6[OPTREF_MAX];
	bool map_lo_none;
	char map_guest4[OPTREF_MAX];
	char map_guest6[OPTREF_MAX];
	char dns_fwd4[OPTREF_MAX];
	char dns_fwd6[OPTREF_MAX];
	char dns_host4[OPTREF_MAX];
	char dns_host6[OPTREF_MAX];
	bool dns;			/* any -D, "none" included */
	bool search;			/* any -S, "none" included */
	char mtu[OPTREF_MAX];
	char v4only[OPTREF_MAX];
	char v6only[OPTREF_MAX];
	char fd[OPTREF_MAX];
	char socket[OPTREF_MAX];
	char tcp[OPTREF_MAX];		/* last -t */
	char udp[OPTREF_MAX];
	char no_tcp[OPTREF_MAX];
	char no_udp[OPTREF_MAX];
};

/* Only writer: conf_parse_args() in conf/conf.c (reset on each call) */
extern struct conf_given conf_given;

/* Print "gangway: <message>" on stderr and exit with status 1 */
NORETURN void conf_die(const char *fmt, ...) PRINTF_FMT(1, 2);

#endif /* GANGWAY_CONF_CONF_INT_H */
