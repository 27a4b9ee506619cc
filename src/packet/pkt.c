// SPDX-License-Identifier: GPL-2.0-or-later
/* packet/pkt.c - names of the reasons a frame is dropped */
#include "packet/packet.h"

static const char *const pkt_err_names[] = {
	[PKT_OK]		= "ok",
	[PKT_E_SHORT]		= "short",
	[PKT_E_BAD_HEADER]	= "bad_header",
	[PKT_E_BAD_LENGTH]	= "bad_length",
	[PKT_E_BAD_CSUM]	= "bad_csum",
	[PKT_E_FRAGMENT]	= "fragment",
	[PKT_E_UNSUPPORTED]	= "unsupported",
	[PKT_E_NOT_FOR_US]	= "not_for_us",
};

static_assert(ARRAY_SIZE(pkt_err_names) == PKT_E__COUNT,
	      "pkt_err_names must name every enum pkt_err");

/**
 * pkt_err_str() - short name of a drop reason, for counters and traces
 * @e:		reason
 *
 * Return: a static string; "invalid" for values outside the enum
 */
const char *pkt_err_str(enum pkt_err e)
{
	if ((unsigned int)e >= PKT_E__COUNT)
		return "invalid";
	return pkt_err_names[e];
}
