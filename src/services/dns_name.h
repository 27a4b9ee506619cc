/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * services/dns_name.h - domain names in DNS wire format for NDP and DHCPv6
 *
 * Owns: turning a configured domain name ("example.com" or "example.com.")
 * into uncompressed wire format (RFC 1035 section 3.1: length-prefixed
 * labels, a zero byte at the end), as the RA DNSSL option (RFC 8106),
 * DHCPv6 options 24 and 39 (RFC 8415 section 10) carry it.
 * Does not own: reading names from the guest (nothing here parses guest
 * bytes), message compression (not allowed in these options).
 * Limits: labels of 1 to 63 bytes, at most 255 bytes encoded; the root
 * name alone ("" or ".") is refused, as it is useless in a search list.
 * Uses: packet/cursor.h (builder). No I/O, no logging, no global state.
 */
#ifndef GANGWAY_SERVICES_DNS_NAME_H
#define GANGWAY_SERVICES_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "packet/cursor.h"

#define DNS_NAME_WIRE_MAX	255
#define DNS_LABEL_MAX		63

/* Encoded length of @name in bytes, or -EINVAL if it cannot be encoded */
int dns_name_wire_len(const char *name);

/* Append @name in wire format to @b; false if invalid or out of room */
bool dns_name_put(struct pkt_builder *b, const char *name);

#endif /* GANGWAY_SERVICES_DNS_NAME_H */
