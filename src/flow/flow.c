// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/flow.c - set up the flow layer and route guest segments into it
 *
 * flow_init() sizes the shared flow table, takes the address rules, and
 * initialises each protocol module; the protocol entry points are thin
 * so ingress needs only flow/flow.h.
 */
#include <errno.h>

#include "core/compiler.h"
#include "core/log.h"
#include "core/stats.h"
#include "flow/flow.h"
#include "flow/icmp.h"
#include "flow/nat.h"
#include "flow/table.h"
#include "flow/tcp.h"
#include "flow/udp.h"

/* Gauges, filled in when counters are read (SIGUSR1, exit with --debug) */
enum flow_gauge {
	FLOW_G_TCP_OPEN,
	FLOW_G_UDP_OPEN,
	FLOW_G_ICMP_OPEN,
	FLOW_G_OPEN,
	FLOW_G_HIGH_WATER,
	FLOW_G_MAX,
	FLOW_G__COUNT
};

static const char *const flow_gauge_names[] = {
	[FLOW_G_TCP_OPEN]	= "tcp_open",
	[FLOW_G_UDP_OPEN]	= "udp_open",
	[FLOW_G_ICMP_OPEN]	= "icmp_open",
	[FLOW_G_OPEN]		= "open",
	[FLOW_G_HIGH_WATER]	= "high_water",
	[FLOW_G_MAX]		= "max",
};
static_assert(ARRAY_SIZE(flow_gauge_names) == FLOW_G__COUNT,
	      "a name for every flow gauge");

static uint64_t flow_gauges[FLOW_G__COUNT];

static void flow_gauges_refresh(void)
{
	flow_gauges[FLOW_G_TCP_OPEN] = tcp_conn_count();
	flow_gauges[FLOW_G_UDP_OPEN] = udp_flow_count();
	flow_gauges[FLOW_G_ICMP_OPEN] = icmp_flow_count();
	flow_gauges[FLOW_G_OPEN] = flow_count();
	flow_gauges[FLOW_G_HIGH_WATER] = flow_high_water();
	flow_gauges[FLOW_G_MAX] = flow_table_size();
}

/**
 * flow_init() - allocate the flow table and start each protocol module
 * @fc:		flow configuration; must outlive the process's loop
 * @tx:		frames to the guest
 * Return: 0, or -errno (logged by the failing module)
 */
int flow_init(const struct flow_conf *fc, struct guest_tx *tx)
{
	int rc;

	rc = flow_table_init(fc->max_flows);
	if (rc) {
		err("flow: cannot allocate %u flows; lower --max-flows",
		    fc->max_flows);
		return rc;
	}
	rc = nat_init(fc);
	if (rc)
		return rc;
	stats_register("flows", flow_gauge_names, flow_gauges,
		       FLOW_G__COUNT);
	stats_register_refresh(flow_gauges_refresh);
	rc = tcp_init(fc, tx);
	if (rc)
		return rc;
	rc = udp_init(fc, tx);
	if (rc)
		return rc;
	return icmp_init(fc, tx);
}

void flow_tcp_input(const struct ip_view *ip, const struct tcp_view *tcp,
		    struct pkt_cursor payload, uint64_t now_ns)
{
	tcp_input(ip, tcp, payload, now_ns);
}

bool flow_tcp_splice_ok(const struct ip_view *ip, const struct tcp_view *tcp)
{
	return tcp_splice_ok(ip, tcp);
}

void flow_udp_input(const struct ip_view *ip, const struct udp_view *udp,
		    struct pkt_cursor payload, uint64_t now_ns)
{
	udp_input(ip, udp, payload, now_ns);
}

void flow_icmp_input(const struct ip_view *ip, const struct icmp_view *icmp,
		     struct pkt_cursor payload, uint64_t now_ns)
{
	icmp_input(ip, icmp, payload, now_ns);
}

void flow_batch_end(uint64_t now_ns)
{
	udp_batch_end(now_ns);
	tcp_batch_end(now_ns);
}
