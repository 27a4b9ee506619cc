// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/ports.c - the -t/--tcp-ports and -u/--udp-ports spec parser
 *
 * A spec is a comma-separated list of entries, each optionally preceded
 * by a listening prefix "addr/", "addr%iface/" or "%iface/" that also
 * applies to the entries after it (so "192.0.2.1/20-30,~25" binds both
 * to 192.0.2.1, and QEMU's comma-joined lists keep working):
 *
 *	none			forward nothing (alone)
 *	all[:toaddr]		every non-ephemeral port, best effort
 *	first[-last]		forward to the same ports on the guest
 *	first[-last]:tofirst[-tolast]	shifted, same length
 *	first[-last]:toaddr	same ports, to another guest address
 *	first[-last]:toaddr/tofirst[-tolast]
 *	~first[-last]		exclude (wins over every include)
 *
 * A spec with exclusions only means "all" minus the exclusions. IPv6
 * addresses may be written in brackets ("22:[fe80::1]/80") where a bare
 * one would read as a listening prefix.
 *
 * Pure: no I/O, no allocation, no globals. Errors go to a caller buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/ports.h"

#define PORTS_ARG_MAX	4096

/* Format a reason into the caller's buffer; always returns -1 */
static int ports_err(char *errbuf, size_t errlen, const char *fmt, ...)
	PRINTF_FMT(3, 4);

static int ports_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/**
 * ports_parse_port() - a decimal port number from 1 to 65535, whole string
 * @s:		text, not NUL-terminated beyond @len
 * @len:	length of the text
 * @port:	result
 * Return: 0 on success, -1 if not a number, -2 if out of range
 */
static int ports_parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			return -2;
	}
	if (v == 0)
		return -2;
	*port = (uint16_t)v;
	return 0;
}

/**
 * ports_parse_range() - "first[-last]" into an inclusive range
 * @s:		NUL-terminated text
 * @first:	first port
 * @last:	last port, equal to @first without "-last"
 * @errbuf:	reason on failure
 * @errlen:	size of @errbuf
 * Return: 0, or -1 with a reason
 */
static int ports_parse_range(const char *s, uint16_t *first, uint16_t *last,
			     char *errbuf, size_t errlen)
{
	const char *dash = strchr(s, '-');
	size_t flen = dash ? (size_t)(dash - s) : strlen(s);
	int rc;

	if (!*s)
		return ports_err(errbuf, errlen, "missing port number");
	rc = ports_parse_port(s, flen, first);
	if (rc == -2)
		return ports_err(errbuf, errlen,
				 "port %.*s is out of range; ports go from 1 to 65535",
				 (int)flen, s);
	if (rc)
		return ports_err(errbuf, errlen,
				 "'%.*s' is not a port number", (int)flen, s);
	if (!dash) {
		*last = *first;
		return 0;
	}
	rc = ports_parse_port(dash + 1, strlen(dash + 1), last);
	if (rc == -2)
		return ports_err(errbuf, errlen,
				 "port %s is out of range; ports go from 1 to 65535",
				 dash + 1);
	if (rc)
		return ports_err(errbuf, errlen,
				 "'%s' is not a port range (first-last)", s);
	if (*last < *first)
		return ports_err(errbuf, errlen,
				 "range %s goes backwards; write it low-high", s);
	return 0;
}

/* Only digits and at most one dash: a port range rather than an address */
static bool ports_looks_like_range(const char *s)
{
	int dashes = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s == '-')
			dashes++;
		else if (*s < '0' || *s > '9')
			return false;
	}
	return dashes <= 1;
}

/**
 * ports_parse_addr() - an IPv4 or IPv6 address, IPv6 optionally bracketed
 * @s:		NUL-terminated text
 * @a:		result, IPv4 as IPv4-mapped
 * @v4:		set if the address was IPv4
 * Return: 0, or -1 if @s is not an address
 */
static int ports_parse_addr(const char *s, union inany *a, bool *v4)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(s);
	struct in_addr a4;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		*v4 = false;
		return inet_pton(AF_INET6, buf, &a->a6) == 1 ? 0 : -1;
	}
	if (inet_pton(AF_INET, s, &a4) == 1) {
		inany_from_v4(a, a4);
		*v4 = true;
		return 0;
	}
	*v4 = false;
	return inet_pton(AF_INET6, s, &a->a6) == 1 ? 0 : -1;
}

/* Multicast (IPv4 224/4, IPv6 ff00::/8) or the IPv4 broadcast address */
static bool ports_addr_is_multi(const union inany *a, bool v4)
{
	if (v4) {
		uint32_t h = ntohl(a->v4mapped.a4.s_addr);

		return (h >> 28) == 0xe || h == 0xffffffff;
	}
	return a->a6.s6_addr[0] == 0xff;
}

/**
 * struct ports_bind - the listening prefix in force for an entry
 * @set:	a prefix was given
 * @addr:	address, all zero for 0.0.0.0, :: or interface only
 * @v4only:	IPv4 address (0.0.0.0 included)
 * @ifname:	interface, "" for none
 */
struct ports_bind {
	bool set;
	union inany addr;
	bool v4only;
	char ifname[IFNAMSIZ];
};

/**
 * ports_parse_bind() - "addr", "addr%iface" or "%iface" before a '/'
 * @s:		NUL-terminated text (not modified)
 * @b:		result, written only on success
 * @errbuf:	reason on failure (only for a bad interface name)
 * @errlen:	size of @errbuf
 * Return: 0 on success, -1 if not a listening prefix, -2 with a reason
 */
static int ports_parse_bind(const char *s, struct ports_bind *b,
			    char *errbuf, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 2];
	const char *pct = strchr(s, '%');
	size_t alen = pct ? (size_t)(pct - s) : strlen(s);
	struct ports_bind r;
	bool v4 = false;

	memset(&r, 0, sizeof(r));
	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (alen && ports_parse_addr(addr, &r.addr, &v4))
		return -1;
	if (!alen && !pct)
		return -1;
	if (pct) {
		size_t iflen = strlen(pct + 1);

		if (!iflen || iflen >= IFNAMSIZ) {
			ports_err(errbuf, errlen,
				  "interface name '%s' must be 1 to %d characters",
				  pct + 1, IFNAMSIZ - 1);
			return -2;
		}
		memcpy(r.ifname, pct + 1, iflen + 1);
	}
	if (alen) {
		if (ports_addr_is_multi(&r.addr, v4)) {
			ports_err(errbuf, errlen,
				  "cannot listen on multicast or broadcast address %s",
				  addr);
			return -2;
		}
		r.v4only = v4;
		if (v4 && !r.addr.v4mapped.a4.s_addr)
			memset(&r.addr, 0, sizeof(r.addr));
	}
	r.set = true;
	*b = r;
	return 0;
}

/* "~?digits[-digits]:" at the start: the '/' belongs to a mapping */
static bool ports_starts_with_mapping(const char *s)
{
	const char *p = s;

	if (*p == '~')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while ((*p >= '0' && *p <= '9') || *p == '-')
		p++;
	return *p == ':';
}

/**
 * ports_parse_target() - what follows ':' in an include entry
 * @s:		"tofirst[-tolast]", "toaddr" or "toaddr/tofirst[-tolast]"
 * @r:		rule to complete (first/last already set)
 * @errbuf:	reason on failure
 * @errlen:	size of @errbuf
 * Return: 0, or -1 with a reason
 */
static int ports_parse_target(char *s, struct port_rule *r, char *errbuf,
			      size_t errlen)
{
	char *slash = strrchr(s, '/');
	char *ports = NULL;
	uint16_t tf, tl;
	bool v4;

	if (!*s)
		return ports_err(errbuf, errlen,
				 "nothing after ':'; give a port, a range or an address");
	if (slash) {
		*slash = '\0';
		ports = slash + 1;
	} else if (ports_looks_like_range(s)) {
		ports = s;
		s = NULL;
	}
	if (s) {
		if (ports_parse_addr(s, &r->to_addr, &v4))
			return ports_err(errbuf, errlen,
					 "'%s' is not an IPv4 or IPv6 address", s);
		if (inany_is_unspec(&r->to_addr) ||
		    (v4 && !r->to_addr.v4mapped.a4.s_addr) ||
		    ports_addr_is_multi(&r->to_addr, v4))
			return ports_err(errbuf, errlen,
					 "cannot forward to %s; give a unicast guest address",
					 s);
		r->has_to = true;
	}
	if (!ports)
		return 0;
	if (ports_parse_range(ports, &tf, &tl, errbuf, errlen))
		return -1;
	if (r->all)
		return ports_err(errbuf, errlen,
				 "'all' maps every port to itself; give only an address after 'all:'");
	if (!strchr(ports, '-') && r->first != r->last) {
		/* "first-last:tofirst" shifts the whole range */
		if ((unsigned int)tf + (r->last - r->first) > 65535)
			return ports_err(errbuf, errlen,
					 "target range from %u would end past port 65535",
					 tf);
	} else if (tl - tf != r->last - r->first) {
		return ports_err(errbuf, errlen,
				 "ranges %u-%u and %u-%u differ in length",
				 r->first, r->last, tf, tl);
	}
	r->to_first = tf;
	return 0;
}

/* Field by field: struct port_rule has padding */
static bool ports_rule_same(const struct port_rule *a,
			    const struct port_rule *b)
{
	return a->first == b->first && a->last == b->last &&
	       a->to_first == b->to_first && a->has_bind == b->has_bind &&
	       inany_equal(&a->bind_addr, &b->bind_addr) &&
	       a->bind_v4only == b->bind_v4only &&
	       !strncmp(a->bind_if, b->bind_if, sizeof(a->bind_if)) &&
	       a->has_to == b->has_to &&
	       inany_equal(&a->to_addr, &b->to_addr) && a->all == b->all &&
	       a->best_effort == b->best_effort;
}

/**
 * ports_add_rule() - append @r to @ps (nothing if it is already there)
 * @ps:		spec
 * @r:		rule
 * @errbuf:	reason on failure
 * @errlen:	size of @errbuf
 * Return: 0, or -1 if the table is full
 */
static int ports_add_rule(struct port_spec *ps, const struct port_rule *r,
			  char *errbuf, size_t errlen)
{
	int i;

	/* The same rule twice ("-t all -t ~53") would bind twice */
	for (i = 0; i < ps->count; i++)
		if (ports_rule_same(&ps->rules[i], r))
			return 0;
	if (ps->count >= PORT_RULES_MAX)
		return ports_err(errbuf, errlen,
				 "more than %d port ranges; merge some into ranges",
				 PORT_RULES_MAX);
	ps->rules[ps->count++] = *r;
	return 0;
}

/* Start a rule carrying the listening prefix in force */
static void ports_rule_init(struct port_rule *r, const struct ports_bind *b)
{
	memset(r, 0, sizeof(*r));
	if (b->set) {
		r->has_bind = true;
		r->bind_addr = b->addr;
		r->bind_v4only = b->v4only;
		memcpy(r->bind_if, b->ifname, sizeof(r->bind_if));
	}
}

/**
 * ports_parse_entry() - one comma-separated entry
 * @ps:		spec to extend
 * @e:		entry text, prefix already removed (modified)
 * @b:		listening prefix in force
 * @includes:	incremented for each include rule added
 * @excludes:	incremented for each exclusion
 * @errbuf:	reason on failure
 * @errlen:	size of @errbuf
 * Return: 0, or -1 with a reason
 */
static int ports_parse_entry(struct port_spec *ps, char *e,
			     const struct ports_bind *b, int *includes,
			     int *excludes, char *errbuf, size_t errlen)
{
	struct port_rule r;
	uint16_t first, last;
	char *colon;
	unsigned int p;

	if (!*e)
		return ports_err(errbuf, errlen,
				 "empty entry; separate entries with single commas");
	if (!strcmp(e, "none"))
		return ports_err(errbuf, errlen,
				 "'none' cannot be combined with other entries");
	if (!strcmp(e, "auto") || !strncmp(e, "auto:", 5))
		return ports_err(errbuf, errlen,
				 "'auto' is for pasta only; give ports, ranges or 'all'");

	if (e[0] == '~') {
		if (strchr(e, ':') || strchr(e, '/'))
			return ports_err(errbuf, errlen,
					 "exclusion '%s' cannot have a target; write ~first[-last]",
					 e);
		if (ports_parse_range(e + 1, &first, &last, errbuf, errlen))
			return -1;
		for (p = first; p <= last; p++)
			ps->excl[p / 8] |= (uint8_t)(1u << (p % 8));
		(*excludes)++;
		return 0;
	}

	ports_rule_init(&r, b);
	colon = strchr(e, ':');
	if (colon)
		*colon = '\0';

	if (!strcmp(e, "all")) {
		r.all = true;
		r.best_effort = true;
		r.first = 1;
		r.last = 65535;
		r.to_first = 1;
	} else {
		if (ports_parse_range(e, &first, &last, errbuf, errlen))
			return -1;
		r.first = first;
		r.last = last;
		r.to_first = first;
	}
	if (colon && ports_parse_target(colon + 1, &r, errbuf, errlen))
		return -1;
	if (ports_add_rule(ps, &r, errbuf, errlen))
		return -1;
	(*includes)++;
	return 0;
}

/**
 * ports_parse() - add one option's spec to @ps
 * @ps:		spec to extend (zeroed before the first call)
 * @arg:	the option's argument as typed
 * @errbuf:	on failure, the reason (without the option name)
 * @errlen:	size of @errbuf
 * Return: 0, or -1 with a reason in @errbuf
 */
int ports_parse(struct port_spec *ps, const char *arg, char *errbuf,
		size_t errlen)
{
	char buf[PORTS_ARG_MAX];
	struct ports_bind bind = { 0 };
	int includes = 0, excludes = 0;
	size_t len = strlen(arg);
	char *e, *next;

	if (!len)
		return ports_err(errbuf, errlen,
				 "empty; give 'none', 'all', ports or ranges");
	if (len >= sizeof(buf))
		return ports_err(errbuf, errlen,
				 "longer than %zu characters", sizeof(buf) - 1);
	if (!strcmp(arg, "none")) {
		ps->set = true;
		ps->none = true;
		ps->count = 0;
		memset(ps->excl, 0, sizeof(ps->excl));
		return 0;
	}
	memcpy(buf, arg, len + 1);

	for (e = buf; e; e = next) {
		char *slash;

		next = strchr(e, ',');
		if (next)
			*next++ = '\0';

		slash = strchr(e, '/');
		if (slash) {
			struct ports_bind b;
			int rc;

			/*
			 * As passt reads it: what precedes the first '/' is a
			 * listening address if it parses as one, so
			 * "2001:db8::1/22" binds; otherwise it may be
			 * "first:toaddr/tofirst" (write a bare IPv6 target
			 * in brackets: "22:[fe80::1]/80").
			 */
			*slash = '\0';
			rc = ports_parse_bind(e, &b, errbuf, errlen);
			if (rc == -2)
				return -1;
			if (!rc) {
				bind = b;
				e = slash + 1;
				if (!*e)
					return ports_err(errbuf, errlen,
							 "no ports after the listening address; give ports, ranges or 'all'");
			} else if (ports_starts_with_mapping(e)) {
				*slash = '/';
			} else {
				return ports_err(errbuf, errlen,
						 "'%s' is not a listening address; write addr/ports, addr%%iface/ports or %%iface/ports",
						 e);
			}
		}
		if (ports_parse_entry(ps, e, &bind, &includes, &excludes,
				      errbuf, errlen))
			return -1;
	}

	if (excludes && !includes) {
		/* Exclusions only: everything else that is not ephemeral */
		struct port_rule r;

		ports_rule_init(&r, &bind);
		r.all = true;
		r.best_effort = true;
		r.first = 1;
		r.last = 65535;
		r.to_first = 1;
		if (ports_add_rule(ps, &r, errbuf, errlen))
			return -1;
	}
	ps->set = true;
	ps->none = false;
	return 0;
}

/**
 * ports_expand_range() - emit [@a, @b] of @r minus excluded ports
 * @ps:		spec (exclusion bitmap)
 * @r:		rule the range belongs to
 * @a:		first port of the range
 * @b:		last port of the range
 * @out:	output rules
 * @n:		rules already in @out, updated
 * @max:	capacity of @out
 * Return: 0, or -ENOSPC
 */
static int ports_expand_range(const struct port_spec *ps,
			      const struct port_rule *r, unsigned int a,
			      unsigned int b, struct port_rule *out, int *n,
			      int max)
{
	unsigned int p = a, q;

	while (p <= b) {
		while (p <= b && ports_excluded(ps, (uint16_t)p))
			p++;
		if (p > b)
			break;
		q = p;
		while (q < b && !ports_excluded(ps, (uint16_t)(q + 1)))
			q++;
		if (*n >= max)
			return -ENOSPC;
		out[*n] = *r;
		out[*n].first = (uint16_t)p;
		out[*n].last = (uint16_t)q;
		if (r->all)
			out[*n].to_first = (uint16_t)p;
		else
			out[*n].to_first = (uint16_t)(r->to_first +
						      (p - r->first));
		out[*n].all = false;
		out[*n].best_effort = r->best_effort || r->all;
		(*n)++;
		p = q + 1;
	}
	return 0;
}

int ports_expand(const struct port_spec *ps, struct port_rule *out, int max)
{
	unsigned int ef = ps->ephemeral_first ? ps->ephemeral_first :
						PORT_EPHEMERAL_FIRST;
	unsigned int el = ps->ephemeral_last ? ps->ephemeral_last :
					       PORT_EPHEMERAL_LAST;
	int i, n = 0;

	if (el < ef)
		el = ef;
	for (i = 0; i < ps->count; i++) {
		const struct port_rule *r = &ps->rules[i];

		if (!r->all) {
			if (ports_expand_range(ps, r, r->first, r->last, out,
					       &n, max))
				return -ENOSPC;
			continue;
		}
		if (ef > 1 && ports_expand_range(ps, r, 1, ef - 1, out, &n, max))
			return -ENOSPC;
		if (el < 65535 &&
		    ports_expand_range(ps, r, el + 1, 65535, out, &n, max))
			return -ENOSPC;
	}
	return n;
}

int ports_split_all(struct port_spec *ps)
{
	unsigned int ef = ps->ephemeral_first ? ps->ephemeral_first :
						PORT_EPHEMERAL_FIRST;
	unsigned int el = ps->ephemeral_last ? ps->ephemeral_last :
					       PORT_EPHEMERAL_LAST;
	struct port_rule out[PORT_RULES_MAX];
	int i, n = 0;

	if (el < ef)
		el = ef;
	for (i = 0; i < ps->count; i++) {
		struct port_rule r = ps->rules[i];

		if (!r.all) {
			if (n >= PORT_RULES_MAX)
				return -ENOSPC;
			out[n++] = r;
			continue;
		}
		r.all = false;
		r.best_effort = true;
		if (ef > 1) {
			if (n >= PORT_RULES_MAX)
				return -ENOSPC;
			r.first = r.to_first = 1;
			r.last = (uint16_t)(ef - 1);
			out[n++] = r;
		}
		if (el < 65535) {
			if (n >= PORT_RULES_MAX)
				return -ENOSPC;
			r.first = r.to_first = (uint16_t)(el + 1);
			r.last = 65535;
			out[n++] = r;
		}
	}
	memcpy(ps->rules, out, sizeof(out[0]) * (size_t)n);
	ps->count = n;
	return 0;
}
