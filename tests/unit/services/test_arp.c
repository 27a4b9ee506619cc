// SPDX-License-Identifier: GPL-2.0-or-later
/* test_arp.c - which ARP requests we answer, and how */
#include <stdlib.h>

#include "svc_util.h"
#include "../common/tu_addr.h"
#include "core/stats.h"
#include "services/arp.h"

static int setup(void **state)
{
	struct arp_conf ac = { .guest = tu_a4("192.0.2.2") };

	(void)state;
	su_reset();
	assert_int_equal(arp_init(&ac, &su_tx), 0);
	return 0;
}

/* Feed an ARP packet from the guest MAC */
static void arp_from_guest(uint16_t op, const char *spa, const char *tpa)
{
	struct eth_view eth;
	struct arp_view arp = { .op = op };

	memset(eth.dst, 0xff, ETH_ALEN);
	memcpy(eth.src, su_guest_mac, ETH_ALEN);
	eth.type = ETH_P_ARP_;
	memcpy(arp.sha, su_guest_mac, ETH_ALEN);
	arp.spa = tu_a4(spa);
	arp.tpa = tu_a4(tpa);
	arp_input(&eth, &arp, 0);
}

static void check_reply(const char *spa, const char *tpa)
{
	struct pkt_cursor c;
	struct eth_view eth;
	struct arp_view r;

	assert_int_equal(su_frames, 1);
	c = cur_make(su_frame[0], su_frame_len[0]);
	assert_int_equal(eth_parse(&c, &eth), PKT_OK);
	assert_int_equal(eth.type, ETH_P_ARP_);
	assert_memory_equal(eth.src, su_our_mac, ETH_ALEN);
	assert_memory_equal(eth.dst, su_guest_mac, ETH_ALEN);
	assert_int_equal(arp_parse(&c, &r), PKT_OK);
	assert_int_equal(r.op, ARP_OP_REPLY);
	assert_memory_equal(r.sha, su_our_mac, ETH_ALEN);
	assert_memory_equal(r.tha, su_guest_mac, ETH_ALEN);
	assert_int_equal(r.spa.s_addr, tu_a4(spa).s_addr);
	assert_int_equal(r.tpa.s_addr, tu_a4(tpa).s_addr);
}

static void arp_answers_gateway(void **state)
{
	(void)state;
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.2", "192.0.2.1");
	check_reply("192.0.2.1", "192.0.2.2");
	assert_int_equal(stats_get("arp", "reply_sent"), 1);
}

static void arp_answers_any_other_address(void **state)
{
	(void)state;
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.2", "192.0.2.77");
	check_reply("192.0.2.77", "192.0.2.2");
}

static void arp_ignores_guest_own_address(void **state)
{
	(void)state;
	arp_from_guest(ARP_OP_REQUEST, "0.0.0.0", "192.0.2.2");	/* probe */
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.9", "192.0.2.2");
	assert_int_equal(su_frames, 0);
	assert_int_equal(stats_get("arp", "ignored_guest_addr"), 2);
}

static void arp_ignores_announcements(void **state)
{
	(void)state;
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.2", "192.0.2.2");
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.5", "192.0.2.5");
	assert_int_equal(su_frames, 0);
	assert_int_equal(stats_get("arp", "ignored_announce"), 2);
}

static void arp_probe_for_other_address_answered(void **state)
{
	(void)state;
	/* a guest trying 192.0.2.50 must learn it is taken (by us) */
	arp_from_guest(ARP_OP_REQUEST, "0.0.0.0", "192.0.2.50");
	check_reply("192.0.2.50", "0.0.0.0");
}

static void arp_ignores_replies(void **state)
{
	(void)state;
	arp_from_guest(ARP_OP_REPLY, "192.0.2.2", "192.0.2.1");
	assert_int_equal(su_frames, 0);
	assert_int_equal(stats_get("arp", "ignored_reply"), 1);
}

static void arp_send_failure_counted(void **state)
{
	(void)state;
	su_send_rc = -EAGAIN;
	arp_from_guest(ARP_OP_REQUEST, "192.0.2.2", "192.0.2.1");
	assert_int_equal(stats_get("arp", "drop_tx"), 1);
	assert_int_equal(stats_get("arp", "reply_sent"), 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(arp_answers_gateway),
		T(arp_answers_any_other_address),
		T(arp_ignores_guest_own_address),
		T(arp_ignores_announcements),
		T(arp_probe_for_other_address_answered),
		T(arp_ignores_replies),
		T(arp_send_failure_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
