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
};

/**
 * struct port_spec - every -t (or -u) option given, merged
 * @set:	at least one option was given
 * @rules:	include rules, in the order given
 * @excl:	bitmap of excluded host ports (~ ranges)
 */
struct port_spec {
	bool set;
	int count;
	struct port_rule rules[PORT_RULES_MAX];
	uint8_t excl[65536 / 8];
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

static inline bool ports_excluded(const struct port_spec *ps, uint16_t port)
{
	return ps->excl[port / 8] & (1u << (port % 8));
}

#endif /* GANGWAY_CONF_PORTS_H */
