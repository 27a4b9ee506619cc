/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * conf/ports.h - port forwarding specs for -t/--tcp-ports, -u/--udp-ports
 *
 * Owns: parsing the passt spec syntax ("none", "all", ranges, "~" excludes,
 * "a:b" mapping, "addr/ports", "addr%iface/ports", "all:toaddr") into a
 * list of forwarding rules, and the error text for a bad spec.
 * Does not own: opening listening sockets (flow/fwd.c does that).
 * The parser is pure: no I/O, so it is unit tested and fuzzed directly.
 */
#ifndef GANGWAY_CONF_PORTS_H
#define GANGWAY_CONF_PORTS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "packet/inany.h"

#define PORT_RULES_MAX	64
#define PORT_EXPANDED_MAX	128	/* same as flow/flow.h FWD_RULES_MAX */
#define PORT_EPHEMERAL_FIRST	32768	/* Linux default, when not read */
#define PORT_EPHEMERAL_LAST	60999

/**
 * struct port_rule - forward host ports [first, last] to guest ports
 * @first:	first host port
 * @last:	last host port (inclusive)
 * @to_first:	guest port for @first; the range maps one to one
 * @bind_addr:	host address to listen on (unspec: any)
 * @has_bind:	@bind_addr was given
 * @bind_v4only: bind address was IPv4 (listen on IPv4 only)
 * @bind_if:	host interface to bind to ("" for none)
 * @to_addr:	guest address to connect to (unspec: the guest's address)
 * @has_to:	@to_addr was given
 * @all:	from "all" (or an exclude-only spec): before ports_expand(),
 *		@first/@last are 1/65535 and mean "every non-ephemeral port"
 * @best_effort: ports that cannot be bound are skipped ("all")
 *
 * Copying into flow/flow.h's struct fwd_rule: first, last, to_first,
 * bind_if and best_effort carry over as they are; fwd.bind_addr is
 * @bind_addr (all zero for "any", also for 0.0.0.0 and ::); fwd.bind_any4
 * is port_rule_any4() (0.0.0.0 given: IPv4 only, any address);
 * fwd.to_addr is @to_addr, all zero unless @has_to.
 */
struct port_rule {
	uint16_t first;
	uint16_t last;
	uint16_t to_first;
	union inany bind_addr;
	bool has_bind;
	bool bind_v4only;
	char bind_if[IFNAMSIZ];
	union inany to_addr;
	bool has_to;
	bool all;
	bool best_effort;
};

/**
 * struct port_spec - every -t (or -u) option given, merged
 * @set:	at least one option was given
 * @rules:	include rules, in the order given
 * @none:	"none" was given (and nothing else since)
 * @count:	number of @rules
 * @rules:	include rules, in the order given
 * @excl:	bitmap of excluded host ports (~ ranges)
 * @ephemeral_first: start of the host's ephemeral range, which "all"
 *		leaves out (conf fills it from ip_local_port_range;
 *		0 means PORT_EPHEMERAL_FIRST)
 * @ephemeral_last: end of the host's ephemeral range (0: default)
 */
struct port_spec {
	bool set;
	bool none;
	int count;
	struct port_rule rules[PORT_RULES_MAX];
	uint8_t excl[65536 / 8];
	uint16_t ephemeral_first;
	uint16_t ephemeral_last;
};

/**
 * ports_parse() - add one option's spec to @ps
 * @ps:		spec to extend (zeroed before the first call)
 * @arg:	the option's argument as typed
 * @errbuf:	on failure, the reason (without the option name)
 * @errlen:	size of @errbuf
 * Return: 0, or -1 with a reason in @errbuf
 */
int ports_parse(struct port_spec *ps, const char *arg, char *errbuf,
		size_t errlen);

/**
 * ports_expand() - the final forwarding ranges of @ps, exclusions applied
 * @ps:		parsed spec
 * @out:	rules to fill: "all" becomes the non-ephemeral ranges, and
 *		every range is split around excluded ports
 * @max:	capacity of @out
 * Return: number of rules written, or -ENOSPC if more than @max are needed
 */
int ports_expand(const struct port_spec *ps, struct port_rule *out, int max);

/**
 * ports_split_all() - turn "all" rules into their non-ephemeral ranges
 * @ps:		spec, with the ephemeral range filled in
 *
 * Each "all" rule becomes up to two ordinary rules (below and above the
 * ephemeral range) still marked best effort, so a consumer that walks
 * @ps->rules itself sees real ranges. Exclusions stay in @ps->excl.
 * Return: 0, or -ENOSPC if the rules no longer fit PORT_RULES_MAX
 */
int ports_split_all(struct port_spec *ps);

/* The rule listens on every IPv4 address and no IPv6 one (0.0.0.0/...) */
static inline bool port_rule_any4(const struct port_rule *r)
{
	return r->bind_v4only && inany_is_unspec(&r->bind_addr);
}

static inline bool ports_excluded(const struct port_spec *ps, uint16_t port)
{
	return ps->excl[port / 8] & (1u << (port % 8));
}

#endif /* GANGWAY_CONF_PORTS_H */
