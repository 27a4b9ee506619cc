// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow/table.c - flow ids and the O(1) index from 5-tuple to flow
 *
 * Theory of operation
 *
 * Ids: a stack of free ids (free_ids[0..free_top)), filled at init so that
 * id 0 comes out first. flow_alloc() pops, flow_free() pushes: both O(1).
 * A bitmap-free "in use" array catches double frees (our own invariant:
 * assert()).
 *
 * Index: open addressing with linear probing over a power-of-two array of
 * at least twice max_flows slots, so the load stays at or below one half
 * while each flow holds one key. Each slot keeps the whole key, the id and
 * the full 32-bit hash. Deletion shifts later entries of the same probe
 * run back (no tombstones), so look-ups never degrade with churn.
 *
 * Hash: the guest chooses every field of a key, so a fixed hash would let
 * it aim many flows at one probe run. We use SipHash-2-4 keyed with 128
 * random bits from getrandom() at init.
 *
 * Limits: max_flows ids; the index refuses a key with -ENOSPC only if
 * callers index more than one key per flow and fill it (never by default).
 * Memory is allocated by flow_table_init() only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/compiler.h"
#include "flow/table.h"

/**
 * struct flow_slot - one index slot
 * @key:	the key, as given to flow_index_add()
 * @hash:	SipHash of @key, cut to 32 bits
 * @id:		flow id, or -1 if the slot is empty
 */
struct flow_slot {
	struct flow_key key;
	uint32_t hash;
	int32_t id;
};

static struct flow_slot *slots;		/* index, slot_mask + 1 entries */
static uint32_t slot_mask;
static unsigned int slots_used;

static uint32_t *slot_of;		/* per id: slot of its key + 1, or 0 */
static int32_t *free_ids;		/* stack of free ids */
static unsigned int free_top;		/* ids on the stack */
static bool *in_use;			/* per id, to catch double frees */
static unsigned int pool_size;		/* max_flows */
static unsigned int high_water;

static uint64_t sip_k0, sip_k1;		/* hash key, random at init */

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

/**
 * siphash24() - SipHash-2-4 of @n 64-bit words, keyed with sip_k0/sip_k1
 * @m:		message words (little-endian interpretation is irrelevant
 *		here: the same process hashes and compares)
 * @n:		number of words
 *
 * The message length is a multiple of 8, so the final block carries only
 * the length byte.
 */
static uint64_t siphash24(const uint64_t *m, size_t n)
{
	uint64_t v[4] = {
		sip_k0 ^ 0x736f6d6570736575ULL,
		sip_k1 ^ 0x646f72616e646f6dULL,
		sip_k0 ^ 0x6c7967656e657261ULL,
		sip_k1 ^ 0x7465646279746573ULL,
	};
	uint64_t last = (uint64_t)(n * 8) << 56;
	size_t i;

	for (i = 0; i < n; i++) {
		v[3] ^= m[i];
		sip_round(v);
		sip_round(v);
		v[0] ^= m[i];
	}
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* Hash the fields of @key, never its padding */
static uint32_t flow_key_hash(const struct flow_key *key)
{
	uint64_t m[5];

	memcpy(&m[0], &key->gaddr, 16);
	memcpy(&m[2], &key->raddr, 16);
	m[4] = (uint64_t)key->gport << 24 | (uint64_t)key->rport << 8 |
	       key->proto;
	return (uint32_t)siphash24(m, ARRAY_SIZE(m));
}

static bool flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
	return a->gport == b->gport && a->rport == b->rport &&
	       a->proto == b->proto && inany_equal(&a->gaddr, &b->gaddr) &&
	       inany_equal(&a->raddr, &b->raddr);
}

static void flow_table_release(void)
{
	free(slots);
	free(slot_of);
	free(free_ids);
	free(in_use);
	slots = NULL;
	slot_of = NULL;
	free_ids = NULL;
	in_use = NULL;
	pool_size = free_top = slots_used = high_water = 0;
	slot_mask = 0;
}

/**
 * flow_table_init() - allocate the id pool and the index
 * @max_flows:	number of flow ids, at least 1
 *
 * May be called again (tests): the previous table is discarded.
 * Return: 0, -EINVAL for zero or absurd sizes, -ENOMEM
 */
int flow_table_init(unsigned int max_flows)
{
	uint64_t seed[2];
	size_t nslots = 2;
	unsigned int i;

	flow_table_release();
	if (!max_flows || max_flows > (1U << 24))
		return -EINVAL;
	while (nslots < 2 * (size_t)max_flows)
		nslots <<= 1;

	slots = calloc(nslots, sizeof(*slots));
	slot_of = calloc(max_flows, sizeof(*slot_of));
	free_ids = calloc(max_flows, sizeof(*free_ids));
	in_use = calloc(max_flows, sizeof(*in_use));
	if (!slots || !slot_of || !free_ids || !in_use) {
		flow_table_release();
		return -ENOMEM;
	}
	slot_mask = (uint32_t)(nslots - 1);
	for (i = 0; i < nslots; i++)
		slots[i].id = -1;
	pool_size = max_flows;
	for (i = 0; i < max_flows; i++)
		free_ids[i] = (int32_t)(max_flows - 1 - i);
	free_top = max_flows;

	/* Without entropy, fall back to something per-process: still keyed */
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
		seed[0] = (uint64_t)(uintptr_t)slots ^ 0x9e3779b97f4a7c15ULL;
		seed[1] = (uint64_t)(uintptr_t)&seed ^ (uint64_t)getpid();
	}
	sip_k0 = seed[0];
	sip_k1 = seed[1];
	return 0;
}

unsigned int flow_table_size(void)
{
	return pool_size;
}

/**
 * flow_alloc() - take a free flow id
 * Return: an id below flow_table_size(), or -ENOSPC when all are in use
 */
int flow_alloc(void)
{
	int32_t id;

	if (!free_top)
		return -ENOSPC;
	id = free_ids[--free_top];
	in_use[id] = true;
	if (pool_size - free_top > high_water)
		high_water = pool_size - free_top;
	return id;
}

/**
 * flow_free() - give @id back to the pool
 * @id:		an id from flow_alloc(); the caller has removed its keys
 */
void flow_free(int id)
{
	if (id < 0 || (unsigned int)id >= pool_size)
		return;
	assert(in_use[id]);
	if (!in_use[id])
		return;
	in_use[id] = false;
	free_ids[free_top++] = id;
}

/* Slot holding @key, or -1; on return *@hash is the key's hash */
static int64_t flow_slot_find(const struct flow_key *key, uint32_t *hash)
{
	uint32_t h = flow_key_hash(key);
	uint32_t i = h & slot_mask;

	*hash = h;
	while (slots[i].id >= 0) {
		if (slots[i].hash == h && flow_key_equal(&slots[i].key, key))
			return i;
		i = (i + 1) & slot_mask;
	}
	return -1;
}

/**
 * flow_index_add() - look @id up under @key from now on
 * Return: 0, -EEXIST if @key is already indexed, -ENOSPC if the index has
 * no room (only if callers index several keys per flow), -EINVAL bad id
 */
int flow_index_add(const struct flow_key *key, int id)
{
	uint32_t h, i;

	if (!slots || id < 0 || (unsigned int)id >= pool_size)
		return -EINVAL;
	if (flow_slot_find(key, &h) >= 0)
		return -EEXIST;
	/* Keep one slot empty so that every probe run ends */
	if (slots_used + 1 >= slot_mask + 1)
		return -ENOSPC;

	i = h & slot_mask;
	while (slots[i].id >= 0)
		i = (i + 1) & slot_mask;
	memset(&slots[i].key, 0, sizeof(slots[i].key));
	slots[i].key.gaddr = key->gaddr;
	slots[i].key.raddr = key->raddr;
	slots[i].key.gport = key->gport;
	slots[i].key.rport = key->rport;
	slots[i].key.proto = key->proto;
	slots[i].hash = h;
	slots[i].id = id;
	if (!slot_of[id])
		slot_of[id] = i + 1;
	slots_used++;
	return 0;
}

/**
 * flow_index_find() - the flow id indexed under @key
 * Return: the id, or -1
 */
int flow_index_find(const struct flow_key *key)
{
	uint32_t h;
	int64_t i;

	if (!slots)
		return -1;
	i = flow_slot_find(key, &h);
	return i < 0 ? -1 : slots[i].id;
}

/**
 * flow_slot_del() - empty slot @hole
 *
 * Backward-shift deletion: every entry after the hole in the same probe
 * run whose home slot is not in (hole, entry] moves into the hole, which
 * then moves on. The index stays exactly as if the key was never added.
 * A moved key that is its flow's first key takes slot_of[] along.
 */
static void flow_slot_del(uint32_t hole)
{
	uint32_t i = hole;

	if (slot_of[slots[hole].id] == hole + 1)
		slot_of[slots[hole].id] = 0;
	for (;;) {
		uint32_t home;

		i = (i + 1) & slot_mask;
		if (slots[i].id < 0)
			break;
		home = slots[i].hash & slot_mask;
		/* Distance from home to i versus from the hole to i */
		if (((i - home) & slot_mask) >= ((i - hole) & slot_mask)) {
			slots[hole] = slots[i];
			if (slot_of[slots[hole].id] == i + 1)
				slot_of[slots[hole].id] = hole + 1;
			hole = i;
		}
	}
	slots[hole].id = -1;
	slots_used--;
}

/* flow_index_del() - forget @key */
void flow_index_del(const struct flow_key *key)
{
	uint32_t h;
	int64_t found;

	if (!slots)
		return;
	found = flow_slot_find(key, &h);
	if (found >= 0)
		flow_slot_del((uint32_t)found);
}

const struct flow_key *flow_key_of(int id)
{
	if (!slot_of || id < 0 || (unsigned int)id >= pool_size ||
	    !slot_of[id])
		return NULL;
	return &slots[slot_of[id] - 1].key;
}

void flow_index_del_id(int id)
{
	if (flow_key_of(id))
		flow_slot_del(slot_of[id] - 1);
}

unsigned int flow_count(void)
{
	return pool_size - free_top;
}

unsigned int flow_high_water(void)
{
	return high_water;
}
