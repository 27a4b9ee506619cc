/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/stats.h - counters: the record of what happened, drops above all
 *
 * Each module owns an array of uint64_t counters and a matching name table,
 * and registers them once at init. stats_dump() logs every counter (on
 * SIGUSR1, and at exit with --debug). Counting is a plain increment: no
 * lookups on the data path.
 */
#ifndef GANGWAY_CORE_STATS_H
#define GANGWAY_CORE_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_GROUPS_MAX	32

/**
 * stats_register() - make a module's counters visible
 * @module:	prefix shown before each name ("link", "dhcp", ...)
 * @names:	@n counter names
 * @vals:	@n counters, owned by the module, live for the process
 * Return: 0, or -ENOSPC past STATS_GROUPS_MAX groups
 */
int stats_register(const char *module, const char *const *names,
		   uint64_t *vals, size_t n);

/**
 * stats_register_refresh() - have @fn update gauges before they are read
 * @fn:		called by stats_dump() and stats_get() first, e.g. to copy
 *		"flows open now" into a registered counter array
 * Return: 0, or -ENOSPC past STATS_GROUPS_MAX hooks
 */
int stats_register_refresh(void (*fn)(void));

/* Log every counter, one line per module, at info level */
void stats_dump(void);

/* Value of "module.name", or 0 if unknown (tests and the exit report) */
uint64_t stats_get(const char *module, const char *name);

#endif /* GANGWAY_CORE_STATS_H */
