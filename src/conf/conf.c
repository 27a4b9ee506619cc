// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/conf.c - the command line, checked in full before anything happens
 *
 * Theory of operation
 *
 * conf_parse() runs three steps, each fatal on bad input with exactly one
 * line on stderr and exit status 1, before main.c opens or forks anything:
 *
 *  1. conf_parse_args(): getopt_long() over passt's options (QEMU 10.1's
 *     -netdev passt passes a subset, plus arbitrary "param" entries). Each
 *     value is checked where it is read; the message names the option as
 *     the user typed it (-m or --mtu), the value, and what is accepted.
 *     Conflicts between options are checked once every option was read,
 *     so they do not depend on the order given, and name both options.
 *  2. conf_discover() (conf/host.c): host interface, addresses, gateway,
 *     MAC (conf/netlink.c) and nameservers (conf/resolv.c), then
 *     conf_apply_host() derives every default as passt does.
 *
 * Without -s or --fd, socket_path stays empty and link/ probes a default.
 *
 * Errors here print with conf_die() rather than fatalx(): nothing is set
 * up yet, stderr is the only place a message can go, and this keeps the
 * parser usable in tests that link no logging.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/discover.h"

#ifndef GANGWAY_VERSION
#define GANGWAY_VERSION	"0.1.0"
#endif

#define CONF_PROG	"gangway"

/* Long-only options: values past any short option character */
enum conf_opt {
	OPT_VHOST_USER = 256,
	OPT_TRACE,
	OPT_LOG_SIZE,
	OPT_OUTBOUND_IF4,
	OPT_OUTBOUND_IF6,
	OPT_FQDN,
	OPT_NO_DHCP_DNS,
	OPT_DHCP_DNS,
	OPT_NO_DHCP_SEARCH,
	OPT_DHCP_SEARCH,
	OPT_MAP_HOST_LO,
	OPT_NO_MAP_GW,
	OPT_MAP_GUEST,
	OPT_DNS_FORWARD,
	OPT_DNS_HOST,
	OPT_NO_TCP,
	OPT_NO_UDP,
	OPT_NO_ICMP,
	OPT_NO_DHCP,
	OPT_NO_NDP,
	OPT_NO_DHCPV6,
	OPT_NO_RA,
	OPT_FREEBIND,
	OPT_RUNAS,
	OPT_CHROOT_FALLBACK,
	OPT_VERSION,
	OPT_PRINT_CAPS,
	OPT_MAX_FLOWS,
	OPT_BUSY_POLL,
	OPT_REPAIR_PATH,
	OPT_MIGRATE_EXIT,
	OPT_MIGRATE_NO_LINGER,
	OPT_STATS,
	OPT_PASTA_ONLY,		/* pasta's options: refused with a reason */
};

static const struct option conf_options[] = {
	{ "vhost-user",		no_argument,		NULL, OPT_VHOST_USER },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "stderr",		no_argument,		NULL, 'e' },
	{ "log-file",		required_argument,	NULL, 'l' },
	{ "log-size",		required_argument,	NULL, OPT_LOG_SIZE },
	{ "mtu",		required_argument,	NULL, 'm' },
	{ "address",		required_argument,	NULL, 'a' },
	{ "netmask",		required_argument,	NULL, 'n' },
	{ "mac-addr",		required_argument,	NULL, 'M' },
	{ "gateway",		required_argument,	NULL, 'g' },
	{ "interface",		required_argument,	NULL, 'i' },
	{ "outbound",		required_argument,	NULL, 'o' },
	{ "outbound-if4",	required_argument,	NULL, OPT_OUTBOUND_IF4 },
	{ "outbound-if6",	required_argument,	NULL, OPT_OUTBOUND_IF6 },
	{ "dns",		required_argument,	NULL, 'D' },
	{ "search",		required_argument,	NULL, 'S' },
	{ "fqdn",		required_argument,	NULL, OPT_FQDN },
	{ "hostname",		required_argument,	NULL, 'H' },
	{ "no-dhcp-dns",	no_argument,		NULL, OPT_NO_DHCP_DNS },
	{ "dhcp-dns",		no_argument,		NULL, OPT_DHCP_DNS },
	{ "no-dhcp-search",	no_argument,		NULL, OPT_NO_DHCP_SEARCH },
	{ "dhcp-search",	no_argument,		NULL, OPT_DHCP_SEARCH },
	{ "map-host-loopback",	required_argument,	NULL, OPT_MAP_HOST_LO },
	{ "no-map-gw",		no_argument,		NULL, OPT_NO_MAP_GW },
	{ "map-guest-addr",	required_argument,	NULL, OPT_MAP_GUEST },
	{ "dns-forward",	required_argument,	NULL, OPT_DNS_FORWARD },
	{ "dns-host",		required_argument,	NULL, OPT_DNS_HOST },
	{ "no-tcp",		no_argument,		NULL, OPT_NO_TCP },
	{ "no-udp",		no_argument,		NULL, OPT_NO_UDP },
	{ "no-icmp",		no_argument,		NULL, OPT_NO_ICMP },
	{ "no-dhcp",		no_argument,		NULL, OPT_NO_DHCP },
	{ "no-ndp",		no_argument,		NULL, OPT_NO_NDP },
	{ "no-dhcpv6",		no_argument,		NULL, OPT_NO_DHCPV6 },
	{ "no-ra",		no_argument,		NULL, OPT_NO_RA },
	{ "freebind",		no_argument,		NULL, OPT_FREEBIND },
	{ "ipv4-only",		no_argument,		NULL, '4' },
	{ "ipv6-only",		no_argument,		NULL, '6' },
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "udp-ports",		required_argument,	NULL, 'u' },
	{ "pid",		required_argument,	NULL, 'P' },
	{ "fd",			required_argument,	NULL, 'F' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "socket-path",	required_argument,	NULL, 's' },
	{ "one-off",		no_argument,		NULL, '1' },
	{ "pcap",		required_argument,	NULL, 'p' },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "chroot-fallback",	no_argument,		NULL, OPT_CHROOT_FALLBACK },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "print-capabilities",	no_argument,		NULL, OPT_PRINT_CAPS },
	{ "max-flows",		required_argument,	NULL, OPT_MAX_FLOWS },
	{ "busy-poll",		required_argument,	NULL, OPT_BUSY_POLL },
	{ "repair-path",	required_argument,	NULL, OPT_REPAIR_PATH },
	{ "migrate-exit",	no_argument,		NULL, OPT_MIGRATE_EXIT },
	{ "migrate-no-linger",	no_argument,		NULL, OPT_MIGRATE_NO_LINGER },
	{ "stats",		required_argument,	NULL, OPT_STATS },
	/* pasta only: recognised so the message can say so */
	{ "ns-ifname",		optional_argument,	NULL, 'I' },
	{ "tcp-ns",		optional_argument,	NULL, 'T' },
	{ "udp-ns",		optional_argument,	NULL, 'U' },
	{ "host-lo-to-ns-lo",	optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "userns",		optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "netns",		optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "netns-only",		optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "no-netns-quit",	optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "ns-mac-addr",	optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "config-net",		optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "no-splice",		optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "no-copy-routes",	optional_argument,	NULL, OPT_PASTA_ONLY },
	{ "no-copy-addrs",	optional_argument,	NULL, OPT_PASTA_ONLY },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first non-option; ':': report missing arguments */
static const char conf_optstring[] =
	"+:qdfel:m:a:n:M:g:i:o:D:S:H:46t:u:P:F:s:1p:hI::T::U::";

const struct option *conf_long_options(void)
{
	return conf_options;
}

const char *conf_short_options(void)
{
	return conf_optstring;
}

/* The only writer of conf_given (see conf/conf_int.h) */
struct conf_given conf_given;

NORETURN void conf_die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Values are echoed as typed: keep the message on one line */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, CONF_PROG ": %s\n", msg);
	exit(EXIT_FAILURE);
}

/* Remember "name value" (or "name") for later conflict messages */
static void conf_ref(char *ref, const char *name, const char *val)
{
	if (val)
		snprintf(ref, OPTREF_MAX, "%s %s", name, val);
	else
		snprintf(ref, OPTREF_MAX, "%s", name);
}

/**
 * conf_uint() - a whole decimal number, no sign, no blanks
 * @s:		text
 * @max:	largest accepted value
 * @v:		result
 * Return: 0, or -1 if @s is not such a number or is above @max
 */
static int conf_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*v = n;
	return 0;
}

/**
 * conf_ip() - an IPv4 or IPv6 address (IPv6 may be in brackets)
 * @s:		text
 * @a:		result, IPv4 as IPv4-mapped
 * Return: AF_INET, AF_INET6, or 0 if @s is not an address
 */
static int conf_ip(const char *s, union inany *a)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in_addr a4;
	size_t len = strlen(s);

	if (inet_pton(AF_INET, s, &a4) == 1) {
		inany_from_v4(a, a4);
		return AF_INET;
	}
	if (len > 2 && s[0] == '[' && s[len - 1] == ']' &&
	    len - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, &a->a6) == 1)
		return inany_is_v4(a) ? 0 : AF_INET6;
	return 0;
}

/* Address classes the options refuse */
enum conf_addr_bad {
	BAD_UNSPEC	= 1 << 0,	/* 0.0.0.0, :: */
	BAD_LOOPBACK	= 1 << 1,	/* 127/8, ::1 */
	BAD_MULTICAST	= 1 << 2,	/* 224/4 and 255.255.255.255, ff00::/8 */
	BAD_LINKLOCAL6	= 1 << 3,	/* fe80::/10 */
};

static int conf_addr_class(const union inany *a, int af)
{
	int cls = 0;

	if (af == AF_INET) {
		uint32_t h = ntohl(a->v4mapped.a4.s_addr);

		if (!h)
			cls |= BAD_UNSPEC;
		if ((h >> 24) == 127)
			cls |= BAD_LOOPBACK;
		if ((h >> 28) == 0xe || h == 0xffffffff)
			cls |= BAD_MULTICAST;
		return cls;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&a->a6))
		cls |= BAD_UNSPEC;
	if (IN6_IS_ADDR_LOOPBACK(&a->a6))
		cls |= BAD_LOOPBACK;
	if (IN6_IS_ADDR_MULTICAST(&a->a6))
		cls |= BAD_MULTICAST;
	if (IN6_IS_ADDR_LINKLOCAL(&a->a6))
		cls |= BAD_LINKLOCAL6;
	return cls;
}

/**
 * conf_addr_opt() - read an address option, refusing classes in @bad
 * @name:	option as typed
 * @val:	its value
 * @bad:	enum conf_addr_bad bits refused
 * @a:		result
 * Return: AF_INET or AF_INET6; exits on a bad value
 */
static int conf_addr_opt(const char *name, const char *val, int bad,
			 union inany *a)
{
	int af = conf_ip(val, a), cls;

	if (!af)
		conf_die("%s %s: must be an IPv4 or IPv6 address", name, val);
	cls = conf_addr_class(a, af) & bad;
	if (cls & BAD_UNSPEC)
		conf_die("%s %s: must not be the unspecified address", name,
			 val);
	if (cls & BAD_LOOPBACK)
		conf_die("%s %s: must not be a loopback address", name, val);
	if (cls & BAD_MULTICAST)
		conf_die("%s %s: must not be a multicast or broadcast address",
			 name, val);
	if (cls & BAD_LINKLOCAL6)
		conf_die("%s %s: must not be an IPv6 link-local address", name,
			 val);
	return af;
}

/* Store a one-per-family address; a second one of a family is an error */
static void conf_addr_once(const char *name, const char *val, int af,
			   char *ref4, char *ref6)
{
	char *ref = af == AF_INET ? ref4 : ref6;

	if (*ref)
		conf_die("%s %s: already given for %s (%s); give at most one IPv4 and one IPv6 value",
			 name, val, af == AF_INET ? "IPv4" : "IPv6", ref);
	conf_ref(ref, name, val);
}

static void conf_ifname(const char *name, const char *val, char *out)
{
	size_t len = strlen(val);

	if (!len || len >= IFNAMSIZ || strchr(val, '/') || strchr(val, ' ') ||
	    strchr(val, ':') || !strcmp(val, ".") || !strcmp(val, ".."))
		conf_die("%s %s: must be an interface name of 1 to %d characters",
			 name, val, IFNAMSIZ - 1);
	memcpy(out, val, len + 1);
}

/* A path option: not empty, fits, and its directory exists */
static void conf_path(const char *name, const char *val, char *out,
		      size_t size)
{
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;
	size_t len = strlen(val);

	if (!len)
		conf_die("%s: the path must not be empty", name);
	if (len >= size)
		conf_die("%s %s: path longer than %zu characters", name, val,
			 size - 1);
	slash = strrchr(val, '/');
	if (slash && slash != val) {
		if ((size_t)(slash - val) >= sizeof(dir))
			conf_die("%s %s: path too long", name, val);
		memcpy(dir, val, (size_t)(slash - val));
		dir[slash - val] = '\0';
		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			conf_die("%s %s: directory %s does not exist", name,
				 val, dir);
	}
	if (val[len - 1] == '/')
		conf_die("%s %s: must be a file path, not a directory", name,
			 val);
	memcpy(out, val, len + 1);
}

/* "xx:xx:xx:xx:xx:xx", unicast, not all zero */
static int conf_mac(const char *s, uint8_t mac[6])
{
	unsigned int i, v;
	int n;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		if (i < 5 && p[2] != ':')
			return -1;
		n = 0;
		if (sscanf(p, "%2x%n", &v, &n) != 1 || n != 2 ||
		    !((p[0] >= '0' && p[0] <= '9') ||
		      (p[0] >= 'a' && p[0] <= 'f') ||
		      (p[0] >= 'A' && p[0] <= 'F')))
			return -1;
		mac[i] = (uint8_t)v;
	}
	if (mac[0] & 1)
		return -1;
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -1;
	return 0;
}

/* Dotted netmask (contiguous) or prefix length 0..32 */
static int conf_netmask(const char *s, int *len)
{
	struct in_addr m;
	unsigned long v;
	uint32_t h;
	int n = 0;

	if (!conf_uint(s, 32, &v)) {
		*len = (int)v;
		return 0;
	}
	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	h = ntohl(m.s_addr);
	while (h & 0x80000000u) {
		n++;
		h <<= 1;
	}
	if (h)
		return -1;	/* not contiguous */
	*len = n;
	return 0;
}

/* Prefix length by address class, for -a without /len and without -n */
static int conf_classful(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (!(h >> 31))
		return 8;
	if ((h >> 30) == 2)
		return 16;
	if ((h >> 29) == 6)
		return 24;
	return 32;
}

static void conf_address(struct conf *c, const char *name, const char *val)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(val, '/');
	unsigned long plen = 0;
	union inany a;
	int af;

	if (strlen(val) >= sizeof(buf))
		conf_die("%s %s: must be an IPv4 or IPv6 address, with an optional /prefix_len",
			 name, val);
	memcpy(buf, val, strlen(val) + 1);
	if (slash)
		buf[slash - val] = '\0';
	af = conf_ip(buf, &a);
	if (!af)
		conf_die("%s %s: must be an IPv4 or IPv6 address, with an optional /prefix_len",
			 name, val);
	if (conf_addr_class(&a, af))
		conf_die("%s %s: must be a unicast address (not unspecified, loopback, multicast or IPv6 link-local)",
			 name, val);
	if (slash && conf_uint(slash + 1, af == AF_INET ? 32 : 128, &plen))
		conf_die("%s %s: prefix length must be a number from 0 to %d",
			 name, val, af == AF_INET ? 32 : 128);
	conf_addr_once(name, val, af, conf_given.addr4, conf_given.addr6);
	if (af == AF_INET) {
		c->ip4.addr = a.v4mapped.a4;
		conf_given.addr4_cidr = slash != NULL;
		if (slash)
			c->ip4.prefix_len = (int)plen;
	} else {
		/* SLAAC needs /64: a given prefix length is not used */
		c->ip6.addr = a.a6;
	}
}

static void conf_dns(struct conf *c, const char *name, const char *val)
{
	union inany a;
	int af;

	if (!conf_given.dns) {
		c->ip4.dns_count = 0;
		c->ip6.dns_count = 0;
	}
	conf_given.dns = true;
	if (!strcmp(val, "none")) {
		c->ip4.dns_count = 0;
		c->ip6.dns_count = 0;
		return;
	}
	af = conf_ip(val, &a);
	if (!af)
		conf_die("%s %s: must be an IPv4 or IPv6 address, or 'none'",
			 name, val);
	if (conf_addr_class(&a, af) & (BAD_UNSPEC | BAD_MULTICAST))
		conf_die("%s %s: must be a unicast address", name, val);
	if (af == AF_INET) {
		if (c->ip4.dns_count >= CONF_MAX_DNS)
			conf_die("%s %s: more than %d IPv4 nameservers", name,
				 val, CONF_MAX_DNS);
		c->ip4.dns[c->ip4.dns_count++] = a.v4mapped.a4;
	} else {
		if (c->ip6.dns_count >= CONF_MAX_DNS)
			conf_die("%s %s: more than %d IPv6 nameservers", name,
				 val, CONF_MAX_DNS);
		c->ip6.dns[c->ip6.dns_count++] = a.a6;
	}
}

static void conf_search(struct conf *c, const char *name, const char *val)
{
	char buf[CONF_MAX_SEARCH * (CONF_NAME_MAX + 2)];
	char *tok, *save = NULL;
	int n = 0;

	conf_given.search = true;
	if (!strcmp(val, "none")) {
		c->search_count = 0;
		return;
	}
	if (strlen(val) >= sizeof(buf))
		conf_die("%s %s: list too long; at most %d names of %d characters",
			 name, val, CONF_MAX_SEARCH, CONF_NAME_MAX);
	memcpy(buf, val, strlen(val) + 1);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!conf_name_valid(tok))
			conf_die("%s %s: '%s' is not a domain name (labels of 1 to 63 letters, digits, '-' or '_', %d characters at most)",
				 name, val, tok, CONF_NAME_MAX);
		if (n >= CONF_MAX_SEARCH)
			conf_die("%s %s: more than %d domains", name, val,
				 CONF_MAX_SEARCH);
		memcpy(c->search[n++], tok, strlen(tok) + 1);
	}
	if (!n)
		conf_die("%s '%s': give a space-separated list of domains, or 'none'",
			 name, val);
	c->search_count = n;
}

static void conf_name(const char *name, const char *val, char *out)
{
	if (!conf_name_valid(val))
		conf_die("%s %s: must be a name of at most %d characters, labels of 1 to 63 letters, digits, '-' or '_'",
			 name, val, CONF_NAME_MAX);
	memcpy(out, val, strlen(val) + 1);
}

/* --map-host-loopback and --map-guest-addr: address or "none" */
static void conf_map(const char *name, const char *val, struct in_addr *a4,
		     struct in6_addr *a6, char *ref4, char *ref6)
{
	union inany a;
	int af;

	if (!strcmp(val, "none")) {
		memset(a4, 0, sizeof(*a4));
		memset(a6, 0, sizeof(*a6));
		*ref4 = *ref6 = '\0';
		return;
	}
	af = conf_ip(val, &a);
	if (!af)
		conf_die("%s %s: must be an IPv4 or IPv6 address, or 'none'",
			 name, val);
	if (conf_addr_class(&a, af) & (BAD_UNSPEC | BAD_LOOPBACK |
				       BAD_MULTICAST))
		conf_die("%s %s: must be a unicast address that is not loopback",
			 name, val);
	if (af == AF_INET) {
		*a4 = a.v4mapped.a4;
		conf_ref(ref4, name, val);
	} else {
		*a6 = a.a6;
		conf_ref(ref6, name, val);
	}
}

static void conf_fd(struct conf *c, const char *name, const char *val)
{
	socklen_t tlen = sizeof(int);
	unsigned long v;
	struct stat st;
	int type = 0;

	if (conf_uint(val, INT_MAX, &v))
		conf_die("%s %s: must be a file descriptor number", name, val);
	if (fcntl((int)v, F_GETFD) < 0)
		conf_die("%s %s: not an open file descriptor", name, val);
	if (fstat((int)v, &st) || !S_ISSOCK(st.st_mode))
		conf_die("%s %s: not a socket", name, val);
	if (getsockopt((int)v, SOL_SOCKET, SO_TYPE, &type, &tlen) ||
	    type != SOCK_STREAM)
		conf_die("%s %s: not a stream socket", name, val);
	c->fd = (int)v;
	conf_ref(conf_given.fd, name, val);
}

/* --runas UID|UID:GID|LOGIN|LOGIN:GROUP, resolved now */
static void conf_runas(struct conf *c, const char *name, const char *val)
{
	char user[256], *group;
	const struct passwd *pw = NULL;
	const struct group *gr;
	unsigned long v;

	if (!*val || strlen(val) >= sizeof(user))
		conf_die("%s %s: must be UID, UID:GID, LOGIN or LOGIN:GROUP",
			 name, val);
	memcpy(user, val, strlen(val) + 1);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!*user || (group && !*group))
		conf_die("%s %s: must be UID, UID:GID, LOGIN or LOGIN:GROUP",
			 name, val);

	if (!conf_uint(user, (uid_t)-2, &v)) {
		c->runas_uid = (uid_t)v;
		pw = getpwuid(c->runas_uid);
		c->runas_gid = pw ? pw->pw_gid : (gid_t)v;
	} else {
		pw = getpwnam(user);
		if (!pw)
			conf_die("%s %s: no such user '%s'", name, val, user);
		c->runas_uid = pw->pw_uid;
		c->runas_gid = pw->pw_gid;
	}
	if (group) {
		if (!conf_uint(group, (gid_t)-2, &v)) {
			c->runas_gid = (gid_t)v;
		} else {
			gr = getgrnam(group);
			if (!gr)
				conf_die("%s %s: no such group '%s'", name,
					 val, group);
			c->runas_gid = gr->gr_gid;
		}
	}
	memcpy(c->runas, val, strlen(val) + 1);
}

static void conf_ports(struct port_spec *ps, const char *name,
		       const char *val, char *ref)
{
	char err[256];

	if (ports_parse(ps, val, err, sizeof(err)))
		conf_die("%s %s: %s", name, val, err);
	if (ps->none)
		*ref = '\0';
	else
		conf_ref(ref, name, val);
}

/* The option at argv[idx] as typed: "--mtu" from "--mtu=9000" */
static void conf_typed_long(const char *tok, char *out, size_t size)
{
	size_t n = strcspn(tok, "=");

	if (n >= size)
		n = size - 1;
	memcpy(out, tok, n);
	out[n] = '\0';
}

static NORETURN void conf_print_capabilities(void)
{
	/* vhost-user.rst, "Backend program conventions" */
	printf("{\n  \"type\": \"net\"\n}\n");
	fflush(stdout);
	exit(EXIT_SUCCESS);
}

static void conf_defaults(struct conf *c)
{
	static const uint8_t mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

	memset(c, 0, sizeof(*c));
	memset(&conf_given, 0, sizeof(conf_given));
	c->mode = LINK_STREAM;
	c->fd = -1;
	c->mtu = MTU_DEFAULT;
	c->max_flows = MAX_FLOWS_DEFAULT;
	c->busy_poll_us = BUSY_POLL_DEFAULT_US;
	c->log_size = LOG_SIZE_DEFAULT;
	memcpy(c->our_mac, mac, sizeof(mac));
	c->ip4.prefix_len = -1;
	c->ip6.prefix_len = 64;
}

/* The v4/v6-specific option the user gave, if any, for conflict messages */
static const char *conf_family_opt(bool v4)
{
	const char *refs4[] = { conf_given.addr4, conf_given.gw4, conf_given.out4,
				conf_given.out_if4, conf_given.map_lo4,
				conf_given.map_guest4, conf_given.dns_fwd4,
				conf_given.dns_host4, conf_given.netmask };
	const char *refs6[] = { conf_given.addr6, conf_given.gw6, conf_given.out6,
				conf_given.out_if6, conf_given.map_lo6,
				conf_given.map_guest6, conf_given.dns_fwd6,
				conf_given.dns_host6 };
	size_t i;

	if (v4) {
		for (i = 0; i < ARRAY_SIZE(refs4); i++)
			if (*refs4[i])
				return refs4[i];
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(refs6); i++)
		if (*refs6[i])
			return refs6[i];
	return NULL;
}

/* One address given two roles that cannot share it */
static void conf_check_same_addr(const struct conf *c)
{
	const struct conf_ip4 *a4 = &c->ip4;
	const struct conf_ip6 *a6 = &c->ip6;
	const char *why_gw = "the guest and its gateway need different addresses";
	const char *why_map = "one address cannot be mapped two ways";
	const char *why_guest = "the guest's own address cannot be mapped";

	if (*conf_given.addr4 && *conf_given.gw4 &&
	    a4->addr.s_addr == a4->gw.s_addr)
		conf_die("%s and %s conflict: %s", conf_given.addr4,
			 conf_given.gw4, why_gw);
	if (*conf_given.addr6 && *conf_given.gw6 &&
	    IN6_ARE_ADDR_EQUAL(&a6->addr, &a6->gw))
		conf_die("%s and %s conflict: %s", conf_given.addr6,
			 conf_given.gw6, why_gw);
	if (*conf_given.map_lo4 && *conf_given.map_guest4 &&
	    a4->map_host_lo.s_addr == a4->map_guest.s_addr)
		conf_die("%s and %s conflict: %s", conf_given.map_lo4,
			 conf_given.map_guest4, why_map);
	if (*conf_given.map_lo6 && *conf_given.map_guest6 &&
	    IN6_ARE_ADDR_EQUAL(&a6->map_host_lo, &a6->map_guest))
		conf_die("%s and %s conflict: %s", conf_given.map_lo6,
			 conf_given.map_guest6, why_map);
	if (*conf_given.addr4 && *conf_given.map_lo4 &&
	    a4->addr.s_addr == a4->map_host_lo.s_addr)
		conf_die("%s and %s conflict: %s", conf_given.addr4,
			 conf_given.map_lo4, why_guest);
	if (*conf_given.addr4 && *conf_given.map_guest4 &&
	    a4->addr.s_addr == a4->map_guest.s_addr)
		conf_die("%s and %s conflict: %s", conf_given.addr4,
			 conf_given.map_guest4, why_guest);
	if (*conf_given.addr6 && *conf_given.map_lo6 &&
	    IN6_ARE_ADDR_EQUAL(&a6->addr, &a6->map_host_lo))
		conf_die("%s and %s conflict: %s", conf_given.addr6,
			 conf_given.map_lo6, why_guest);
	if (*conf_given.addr6 && *conf_given.map_guest6 &&
	    IN6_ARE_ADDR_EQUAL(&a6->addr, &a6->map_guest))
		conf_die("%s and %s conflict: %s", conf_given.addr6,
			 conf_given.map_guest6, why_guest);
}

/* Conflicts between options: checked after all are read, order-free */
static void conf_check_conflicts(struct conf *c)
{
	const char *o;

	if (*conf_given.v4only && *conf_given.v6only)
		conf_die("%s and %s conflict; keep one", conf_given.v4only,
			 conf_given.v6only);
	if (conf_given.addr4_cidr && *conf_given.netmask)
		conf_die("%s and %s conflict; give the prefix length once",
			 conf_given.addr4, conf_given.netmask);
	if (*conf_given.fd && *conf_given.socket)
		conf_die("%s and %s conflict; keep one", conf_given.fd,
			 conf_given.socket);
	if (*conf_given.v6only && (o = conf_family_opt(true)))
		conf_die("%s and %s conflict; keep one", o, conf_given.v6only);
	if (*conf_given.v4only && (o = conf_family_opt(false)))
		conf_die("%s and %s conflict; keep one", o, conf_given.v4only);
	if (*conf_given.no_tcp && *conf_given.tcp)
		conf_die("%s and %s conflict; keep one", conf_given.tcp,
			 conf_given.no_tcp);
	if (*conf_given.no_udp && *conf_given.udp)
		conf_die("%s and %s conflict; keep one", conf_given.udp,
			 conf_given.no_udp);

	conf_check_same_addr(c);

	/* Exclusions split ranges: the result must fit the flow layer */
	if (c->tcp_ports.count) {
		struct port_rule tmp[PORT_EXPANDED_MAX];

		if (ports_expand(&c->tcp_ports, tmp, PORT_EXPANDED_MAX) < 0)
			conf_die("%s: more than %d ranges once exclusions are applied",
				 conf_given.tcp, PORT_EXPANDED_MAX);
	}
	if (c->udp_ports.count) {
		struct port_rule tmp[PORT_EXPANDED_MAX];

		if (ports_expand(&c->udp_ports, tmp, PORT_EXPANDED_MAX) < 0)
			conf_die("%s: more than %d ranges once exclusions are applied",
				 conf_given.udp, PORT_EXPANDED_MAX);
	}
}

/**
 * conf_option() - apply one option
 * @c:		configuration
 * @opt:	getopt_long() result
 * @name:	option as typed ("-m", "--mtu")
 * @val:	its argument, or NULL
 */
static void conf_option(struct conf *c, int opt, const char *name,
			const char *val)
{
	unsigned long v;
	union inany a;
	int af;

	switch (opt) {
	case OPT_VHOST_USER:
		c->mode = LINK_VHOST_USER;
		break;
	case 'q':
		c->quiet = true;
		break;
	case 'd':
		c->debug = true;
		break;
	case OPT_TRACE:
		c->trace = true;
		c->debug = true;
		break;
	case 'f':
		c->foreground = true;
		break;
	case 'e':
		c->stderr_log = true;
		break;
	case 'l':
		conf_path(name, val, c->log_file, sizeof(c->log_file));
		break;
	case OPT_LOG_SIZE:
		if (conf_uint(val, ULONG_MAX, &v) || v < LOG_SIZE_MIN ||
		    v > LOG_SIZE_MAX)
			conf_die("%s %s: must be a number of bytes from %d to %d",
				 name, val, LOG_SIZE_MIN, LOG_SIZE_MAX);
		c->log_size = v;
		break;
	case 'm':
		if (conf_uint(val, ULONG_MAX, &v) ||
		    (v && (v < MTU_MIN || v > MTU_MAX)))
			conf_die("%s %s: must be a number from %d to %d, or 0 to not advertise one",
				 name, val, MTU_MIN, MTU_MAX);
		c->mtu = (int)v;
		conf_ref(conf_given.mtu, name, val);
		break;
	case 'a':
		conf_address(c, name, val);
		break;
	case 'n':
		if (conf_netmask(val, &conf_given.netmask_len))
			conf_die("%s %s: must be a netmask like 255.255.255.0 or a prefix length from 0 to 32",
				 name, val);
		conf_ref(conf_given.netmask, name, val);
		break;
	case 'M':
		if (conf_mac(val, c->our_mac))
			conf_die("%s %s: must be a unicast MAC address like 9a:55:9a:55:9a:55",
				 name, val);
		break;
	case 'g':
		af = conf_addr_opt(name, val, BAD_UNSPEC | BAD_LOOPBACK |
				   BAD_MULTICAST, &a);
		conf_addr_once(name, val, af, conf_given.gw4, conf_given.gw6);
		if (af == AF_INET)
			c->ip4.gw = a.v4mapped.a4;
		else
			c->ip6.gw = a.a6;
		break;
	case 'i':
		conf_ifname(name, val, c->iface);
		conf_ref(conf_given.iface, name, val);
		break;
	case 'o':
		af = conf_addr_opt(name, val, BAD_UNSPEC | BAD_MULTICAST, &a);
		conf_addr_once(name, val, af, conf_given.out4, conf_given.out6);
		if (af == AF_INET)
			c->ip4.outbound = a.v4mapped.a4;
		else
			c->ip6.outbound = a.a6;
		break;
	case OPT_OUTBOUND_IF4:
		conf_ifname(name, val, c->ip4.outbound_if);
		conf_ref(conf_given.out_if4, name, val);
		break;
	case OPT_OUTBOUND_IF6:
		conf_ifname(name, val, c->ip6.outbound_if);
		conf_ref(conf_given.out_if6, name, val);
		break;
	case 'D':
		conf_dns(c, name, val);
		break;
	case 'S':
		conf_search(c, name, val);
		break;
	case OPT_FQDN:
		conf_name(name, val, c->fqdn);
		break;
	case 'H':
		conf_name(name, val, c->hostname);
		break;
	case OPT_NO_DHCP_DNS:
		c->no_dhcp_dns = true;
		break;
	case OPT_DHCP_DNS:
		c->no_dhcp_dns = false;
		break;
	case OPT_NO_DHCP_SEARCH:
		c->no_dhcp_search = true;
		break;
	case OPT_DHCP_SEARCH:
		c->no_dhcp_search = false;
		break;
	case OPT_MAP_HOST_LO:
		conf_map(name, val, &c->ip4.map_host_lo, &c->ip6.map_host_lo,
			 conf_given.map_lo4, conf_given.map_lo6);
		conf_given.map_lo_none = !strcmp(val, "none");
		break;
	case OPT_NO_MAP_GW:
		c->no_map_gw = true;
		break;
	case OPT_MAP_GUEST:
		conf_map(name, val, &c->ip4.map_guest, &c->ip6.map_guest,
			 conf_given.map_guest4, conf_given.map_guest6);
		break;
	case OPT_DNS_FORWARD:
		af = conf_addr_opt(name, val, BAD_UNSPEC | BAD_MULTICAST, &a);
		conf_addr_once(name, val, af, conf_given.dns_fwd4, conf_given.dns_fwd6);
		if (af == AF_INET)
			c->ip4.dns_fwd = a.v4mapped.a4;
		else
			c->ip6.dns_fwd = a.a6;
		break;
	case OPT_DNS_HOST:
		af = conf_addr_opt(name, val, BAD_UNSPEC | BAD_MULTICAST, &a);
		conf_addr_once(name, val, af, conf_given.dns_host4,
			       conf_given.dns_host6);
		if (af == AF_INET)
			c->ip4.dns_host = a.v4mapped.a4;
		else
			c->ip6.dns_host = a.a6;
		break;
	case OPT_NO_TCP:
		c->no_tcp = true;
		conf_ref(conf_given.no_tcp, name, NULL);
		break;
	case OPT_NO_UDP:
		c->no_udp = true;
		conf_ref(conf_given.no_udp, name, NULL);
		break;
	case OPT_NO_ICMP:
		c->no_icmp = true;
		c->no_ndp = true;
		break;
	case OPT_NO_DHCP:
		c->no_dhcp = true;
		break;
	case OPT_NO_NDP:
		c->no_ndp = true;
		break;
	case OPT_NO_DHCPV6:
		c->no_dhcpv6 = true;
		break;
	case OPT_NO_RA:
		c->no_ra = true;
		break;
	case OPT_FREEBIND:
		c->freebind = true;
		break;
	case '4':
		conf_ref(conf_given.v4only, name, NULL);
		break;
	case '6':
		conf_ref(conf_given.v6only, name, NULL);
		break;
	case 't':
		conf_ports(&c->tcp_ports, name, val, conf_given.tcp);
		break;
	case 'u':
		conf_ports(&c->udp_ports, name, val, conf_given.udp);
		break;
	case 'P':
		conf_path(name, val, c->pid_file, sizeof(c->pid_file));
		break;
	case 'F':
		conf_fd(c, name, val);
		c->one_off = true;
		break;
	case 's':
		if (!*val || strlen(val) >= sizeof(c->socket_path))
			conf_die("%s %s: must be a path of 1 to %zu characters",
				 name, val, sizeof(c->socket_path) - 1);
		conf_path(name, val, c->socket_path, sizeof(c->socket_path));
		conf_ref(conf_given.socket, name, val);
		break;
	case '1':
		c->one_off = true;
		break;
	case 'p':
		conf_path(name, val, c->pcap_file, sizeof(c->pcap_file));
		break;
	case OPT_RUNAS:
		conf_runas(c, name, val);
		break;
	case OPT_CHROOT_FALLBACK:
		c->chroot_fallback = true;
		break;
	case 'h':
		fputs(conf_help_text(), stdout);
		fflush(stdout);
		exit(EXIT_SUCCESS);
	case OPT_VERSION:
		printf(CONF_PROG " " GANGWAY_VERSION "\n");
		fflush(stdout);
		exit(EXIT_SUCCESS);
	case OPT_PRINT_CAPS:
		conf_print_capabilities();
	case OPT_MAX_FLOWS:
		if (conf_uint(val, ULONG_MAX, &v) || v < 1 ||
		    v > MAX_FLOWS_MAX)
			conf_die("%s %s: must be a number from 1 to %d", name,
				 val, MAX_FLOWS_MAX);
		c->max_flows = (unsigned int)v;
		break;
	case OPT_BUSY_POLL:
		if (conf_uint(val, ULONG_MAX, &v) || v > BUSY_POLL_MAX_US)
			conf_die("%s %s: must be a number of microseconds from 0 to %d",
				 name, val, BUSY_POLL_MAX_US);
		c->busy_poll_us = (unsigned int)v;
		break;
	case OPT_REPAIR_PATH:
		/* TCP_REPAIR migration is not supported: accepted, unused */
		if (strcmp(val, "none")) {
			char unused[108];

			conf_path(name, val, unused, sizeof(unused));
		}
		break;
	case OPT_MIGRATE_EXIT:
	case OPT_MIGRATE_NO_LINGER:
		break;		/* deprecated in passt; no effect here */
	case OPT_STATS:
		/* Periodic statistics: we dump counters on SIGUSR1 instead */
		if (conf_uint(val, 86400, &v) || !v)
			conf_die("%s %s: must be a number of seconds from 1 to 86400",
				 name, val);
		break;
	case 'I':
	case 'T':
	case 'U':
	case OPT_PASTA_ONLY:
		conf_die("%s: pasta-only option; gangway is passt-compatible (see gangway --help)",
			 name);
	default:
		conf_die("%s: option not handled; see gangway --help", name);
	}
}

void conf_parse_args(int argc, char **argv, struct conf *c)
{
	bool in_cluster = false;
	int i, opt;

	conf_defaults(c);

	/* vhost-user.rst: with --print-capabilities, ignore everything else */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--print-capabilities"))
			conf_print_capabilities();

	opterr = 0;
	optind = 0;	/* full reinitialisation, also between tests */
	for (;;) {
		char name[64];
		int prev = optind ? optind : 1, longidx = -1;
		const char *tok;
		bool islong;

		opt = getopt_long(argc, argv, conf_optstring, conf_options,
				  &longidx);
		if (opt == -1)
			break;

		/*
		 * The element this call read: argv[prev], unless we are
		 * inside a cluster of short options ("-fq"), where getopt
		 * has not moved on; a long option always starts an element.
		 */
		tok = !in_cluster && prev < argc ? argv[prev] : "";
		islong = !strncmp(tok, "--", 2);
		in_cluster = !islong && optind == prev;

		if (opt == '?' || opt == ':') {
			if (islong)
				conf_typed_long(tok, name, sizeof(name));
			else
				snprintf(name, sizeof(name), "-%c", optopt);
			if (opt == ':')
				conf_die("%s: missing argument; see gangway --help",
					 name);
			if (islong && optopt && strchr(tok, '='))
				conf_die("%s: takes no argument; see gangway --help",
					 name);
			conf_die("unrecognized option '%s'; see gangway --help",
				 name);
		}
		if (longidx >= 0 && islong)
			conf_typed_long(tok, name, sizeof(name));
		else if (longidx >= 0)
			snprintf(name, sizeof(name), "--%s",
				 conf_options[longidx].name);
		else
			snprintf(name, sizeof(name), "-%c", opt);
		conf_option(c, opt, name, optarg);
	}
	if (optind < argc)
		conf_die("unexpected argument '%s'; gangway takes options only (see gangway --help)",
			 argv[optind]);

	/* Prefix length: /len on -a, else -n, else by class for a given -a */
	if (*conf_given.netmask)
		c->ip4.prefix_len = conf_given.netmask_len;
	else if (*conf_given.addr4 && !conf_given.addr4_cidr)
		c->ip4.prefix_len = conf_classful(c->ip4.addr);

	conf_check_conflicts(c);

	c->ip4.enabled = !*conf_given.v6only;
	c->ip6.enabled = !*conf_given.v4only;
}

void conf_parse(int argc, char **argv, struct conf *c)
{
	conf_parse_args(argc, argv, c);
	conf_discover(c);
}
