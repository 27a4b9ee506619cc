// SPDX-License-Identifier: GPL-2.0-or-later
/* conf/conf.c - command line (skeleton, filled in by the conf work) */
#include <string.h>

#include "conf/conf.h"

void conf_parse(int argc, char **argv, struct conf *c)
{
	(void)argc;
	(void)argv;
	memset(c, 0, sizeof(*c));
}
