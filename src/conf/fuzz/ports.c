// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/fuzz/ports.c - fuzz target for the -t/-u spec parser
 *
 * Parses the input as one option argument (twice, as a repeated option
 * would be), then splits "all" and expands exclusions, and checks what
 * every consumer relies on: ranges in order, targets inside 1..65535, no
 * excluded port left in an expanded rule, counts within their limits.
 * Build with libFuzzer:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *	src/conf/fuzz/ports.c src/conf/ports.c
 * The unit test run replays tests/unit/conf/corpus/ports/ through it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

static void check_rules(const struct port_spec *ps,
			const struct port_rule *r, int n, bool expanded)
{
	int i;

	for (i = 0; i < n; i++) {
		unsigned int p;

		check(r[i].first >= 1 && r[i].first <= r[i].last);
		check(r[i].to_first >= 1);
		check((unsigned int)r[i].to_first + (r[i].last - r[i].first)
		      <= 65535);
		check(!r[i].has_to || !inany_is_unspec(&r[i].to_addr));
		check(strnlen(r[i].bind_if, IFNAMSIZ) < IFNAMSIZ);
		if (!expanded)
			continue;
		check(!r[i].all);
		for (p = r[i].first; p <= r[i].last; p++)
			check(!ports_excluded(ps, (uint16_t)p));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct port_spec ps;
	static struct port_rule out[PORT_EXPANDED_MAX];
	char arg[4200], err[256];
	int n;

	if (size >= sizeof(arg))
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';

	memset(&ps, 0, sizeof(ps));
	ps.ephemeral_first = 32768;
	ps.ephemeral_last = 60999;
	err[0] = '\0';
	if (ports_parse(&ps, arg, err, sizeof(err))) {
		check(err[0] != '\0');
		return 0;
	}
	check(ps.set);
	check(ps.count >= 0 && ps.count <= PORT_RULES_MAX);
	check(!ps.none || ps.count == 0);
	if (!ps.none)
		check(ps.count > 0);
	check_rules(&ps, ps.rules, ps.count, false);

	/* The same option again must keep every invariant */
	if (!ports_parse(&ps, arg, err, sizeof(err)))
		check(ps.count <= PORT_RULES_MAX);

	n = ports_expand(&ps, out, PORT_EXPANDED_MAX);
	check(n == -ENOSPC || (n >= 0 && n <= PORT_EXPANDED_MAX));
	if (n > 0)
		check_rules(&ps, out, n, true);

	if (!ports_split_all(&ps)) {
		check_rules(&ps, ps.rules, ps.count, false);
		for (n = 0; n < ps.count; n++)
			check(!ps.rules[n].all);
	}
	return 0;
}
