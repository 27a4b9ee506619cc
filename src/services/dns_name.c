// SPDX-License-Identifier: GPL-2.0-or-later
/* services/dns_name.c - domain names in DNS wire format (see dns_name.h) */
#include <errno.h>
#include <string.h>

#include "services/dns_name.h"

/**
 * dns_name_wire_len() - check a configured name and size its encoding
 * @name:	NUL-terminated name, an optional final dot
 *
 * Every label must be 1 to 63 bytes: "a..b", ".a" and a label of 64 bytes
 * are refused rather than sent as something the guest would misread.
 * Return: encoded length (labels, length bytes, final zero), or -EINVAL
 */
int dns_name_wire_len(const char *name)
{
	size_t len = strlen(name);
	size_t label = 0;
	size_t i;

	if (len && name[len - 1] == '.')
		len--;
	if (!len)
		return -EINVAL;

	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (!label || label > DNS_LABEL_MAX)
				return -EINVAL;
			label = 0;
			continue;
		}
		label++;
	}

	/* one length byte per label replaces each dot, plus first and final */
	if (len + 2 > DNS_NAME_WIRE_MAX)
		return -EINVAL;
	return (int)(len + 2);
}

/**
 * dns_name_put() - append a name in wire format
 * @b:		builder
 * @name:	name as configured
 *
 * Nothing is written for an invalid name; a name that does not fit marks
 * @b as overflowed, like every other builder write.
 * Return: true if the whole name was written
 */
bool dns_name_put(struct pkt_builder *b, const char *name)
{
	int wlen = dns_name_wire_len(name);
	const char *label = name;
	uint8_t *out;
	size_t pos = 0;

	if (wlen < 0)
		return false;
	out = pb_reserve(b, (size_t)wlen);
	if (!out)
		return false;

	while (pos + 1 < (size_t)wlen) {
		const char *dot = strchr(label, '.');
		size_t n = dot ? (size_t)(dot - label) : strlen(label);

		if (!n)		/* the optional final dot */
			break;
		out[pos++] = (uint8_t)n;
		memcpy(out + pos, label, n);
		pos += n;
		if (!dot)
			break;
		label = dot + 1;
	}
	out[pos] = 0;
	return true;
}
