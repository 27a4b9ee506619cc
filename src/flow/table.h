/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow/table.h - flow ids and the O(1) index from 5-tuple to flow
 *
 * Owns: allocation of flow ids out of a fixed pool of --max-flows (shared
 * by TCP, UDP and ICMP echo), and a hash index from the guest-side tuple
 * to the flow id. Each protocol module keeps its own per-flow state in an
 * array of max_flows entries indexed by flow id.
 * The index slots hold the keys; a flow finds its own with flow_key_of().
 * Does not own: sockets, timers, or protocol state.
 * Limits: flow_alloc() fails with -ENOSPC when the pool is empty; the
 * caller refuses the new flow, counts it and logs a rate-limited line.
 */
#ifndef GANGWAY_FLOW_TABLE_H
#define GANGWAY_FLOW_TABLE_H

#include <stdint.h>
#include <string.h>

#include "packet/inany.h"

/**
 * struct flow_key - a flow as the guest sees it
 * @gaddr:	guest address
 * @raddr:	remote address as the guest sees it (before translation)
 * @gport:	guest port (ICMP: echo identifier)
 * @rport:	remote port (ICMP: 0)
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 */
struct flow_key {
	union inany gaddr;
	union inany raddr;
	uint16_t gport;
	uint16_t rport;
	uint8_t proto;
};

/**
 * flow_key_guest() - the key of the flow a guest packet belongs to
 * @k:		filled in (padding zeroed: keys are hashed and compared whole)
 * @src, @dst:	the packet's source (the guest) and destination
 * @sport, @dport: its ports (ICMP echo: the identifier and 0)
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 */
static inline void flow_key_guest(struct flow_key *k, const union inany *src,
				  const union inany *dst, uint16_t sport,
				  uint16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->gaddr = *src;
	k->raddr = *dst;
	k->gport = sport;
	k->rport = dport;
	k->proto = proto;
}

/* Size the pool and the index for @max_flows flows; 0 or -ENOMEM */
int flow_table_init(unsigned int max_flows);
unsigned int flow_table_size(void);

/* Take a free flow id, or -ENOSPC */
int flow_alloc(void);
/* Return @id to the pool; it must no longer be in the index */
void flow_free(int id);

/* Index @id under @key; -EEXIST if the key is taken */
int flow_index_add(const struct flow_key *key, int id);
/* Flow id for @key, or -1 */
int flow_index_find(const struct flow_key *key);
/* Drop @key from the index (no-op if absent) */
void flow_index_del(const struct flow_key *key);

/*
 * The key @id was first indexed under: flows need not keep a copy. NULL
 * if none. The pointer is good until the index next changes (an add or a
 * delete may move keys): copy what must outlive that.
 */
const struct flow_key *flow_key_of(int id);
/* Drop the key flow_key_of(@id) from the index (no-op if none) */
void flow_index_del_id(int id);

/* Flows in use now, and the most ever in use (for stats) */
unsigned int flow_count(void);
unsigned int flow_high_water(void);

#endif /* GANGWAY_FLOW_TABLE_H */
