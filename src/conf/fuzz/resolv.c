// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/fuzz/resolv.c - fuzz target for the resolv.conf parser
 *
 * Any bytes: counts stay within their limits and every search domain
 * kept is a valid, NUL-terminated name. Build as conf/fuzz/ports.c says;
 * the unit test run replays tests/unit/conf/corpus/resolv/ through it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct resolv_conf rc;
	int i;

	resolv_parse((const char *)data, size, &rc);
	check(rc.dns4_count >= 0 && rc.dns4_count <= CONF_MAX_DNS);
	check(rc.dns6_count >= 0 && rc.dns6_count <= CONF_MAX_DNS);
	check(rc.search_count >= 0 && rc.search_count <= CONF_MAX_SEARCH);
	for (i = 0; i < rc.search_count; i++) {
		check(strnlen(rc.search[i], sizeof(rc.search[i])) <
		      sizeof(rc.search[i]));
		check(conf_name_valid(rc.search[i]));
	}
	return 0;
}
