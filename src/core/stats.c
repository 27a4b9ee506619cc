// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/stats.c - counters: the record of what happened, drops above all
 *
 * Modules own their counters; this file only remembers where they are, to
 * print them (SIGUSR1, exit with --debug) and to look one up by name
 * (tests, exit report). Nothing here runs on the data path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/stats.h"

#define STATS_LINE_MAX	900	/* below the log line limit, with prefix */

struct stats_group {
	const char *module;
	const char *const *names;
	uint64_t *vals;
	size_t n;
};

static struct stats_group stats_groups[STATS_GROUPS_MAX];
static size_t stats_groups_len;
static void (*stats_refresh[STATS_GROUPS_MAX])(void);
static size_t stats_refresh_len;

int stats_register_refresh(void (*fn)(void))
{
	size_t i;

	for (i = 0; i < stats_refresh_len; i++)
		if (stats_refresh[i] == fn)
			return 0;
	if (stats_refresh_len >= STATS_GROUPS_MAX)
		return -ENOSPC;
	stats_refresh[stats_refresh_len++] = fn;
	return 0;
}

static void stats_refresh_all(void)
{
	size_t i;

	for (i = 0; i < stats_refresh_len; i++)
		stats_refresh[i]();
}

int stats_register(const char *module, const char *const *names,
		   uint64_t *vals, size_t n)
{
	size_t i;

	for (i = 0; i < stats_groups_len; i++) {
		if (stats_groups[i].vals == vals) {	/* re-registration */
			stats_groups[i].n = n;
			return 0;
		}
	}
	if (stats_groups_len >= STATS_GROUPS_MAX)
		return -ENOSPC;
	stats_groups[stats_groups_len++] = (struct stats_group){
		.module = module, .names = names, .vals = vals, .n = n,
	};
	return 0;
}

/* Log one module's counters, continuing on further lines if long */
static void stats_dump_group(const struct stats_group *g)
{
	char line[STATS_LINE_MAX];
	size_t len = 0, i;

	for (i = 0; i < g->n; i++) {
		char item[128];
		int n;

		n = snprintf(item, sizeof(item), " %s=%llu", g->names[i],
			     (unsigned long long)g->vals[i]);
		if (n <= 0 || (size_t)n >= sizeof(item))
			continue;
		if (len + (size_t)n >= sizeof(line)) {
			info("stats %s:%s", g->module, line);
			len = 0;
		}
		memcpy(line + len, item, (size_t)n + 1);
		len += (size_t)n;
	}
	if (len)
		info("stats %s:%s", g->module, line);
}

void stats_dump(void)
{
	size_t i;

	stats_refresh_all();
	for (i = 0; i < stats_groups_len; i++)
		stats_dump_group(&stats_groups[i]);
}

uint64_t stats_get(const char *module, const char *name)
{
	size_t i, j;

	stats_refresh_all();
	for (i = 0; i < stats_groups_len; i++) {
		const struct stats_group *g = &stats_groups[i];

		if (strcmp(g->module, module))
			continue;
		for (j = 0; j < g->n; j++)
			if (!strcmp(g->names[j], name))
				return g->vals[j];
	}
	return 0;
}
