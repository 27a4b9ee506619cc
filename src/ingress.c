// SPDX-License-Identifier: GPL-2.0-or-later
/* ingress.c - parse each guest frame once and dispatch it (skeleton) */
#include "ingress.h"

int ingress_init(const struct conf *c, struct guest_tx *tx)
{
	(void)c;
	(void)tx;
	return 0;
}

void ingress_frame(const uint8_t *frame, size_t len, uint64_t now_ns)
{
	(void)frame;
	(void)len;
	(void)now_ns;
}
