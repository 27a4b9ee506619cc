// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - the life of the gangway process (skeleton, filled in by core) */
#include "conf/conf.h"

int main(int argc, char **argv)
{
	struct conf c;

	conf_parse(argc, argv, &c);
	return 0;
}
