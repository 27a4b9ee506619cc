/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/idq.h - a FIFO of 32-bit object ids, linked through a side array
 *
 * Owns: a queue of ids below a fixed capacity, each at most once, with
 * O(1) push, pop and removal. The links live in an array allocated once
 * by idq_init() and indexed by id; it is zeroed memory that an id touches
 * only while queued, so objects that never wait cost no memory pages.
 * Used for: flows waiting for room on the link (one struct guest_waiter
 * per module instead of one per flow).
 * Does not own: the objects, or what they wait for.
 * Limits: ids below the capacity given to idq_init(), at most 2^32 - 2.
 */
#ifndef GANGWAY_CORE_IDQ_H
#define GANGWAY_CORE_IDQ_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct idq_link - where one id is in the queue (idq-private)
 * @prev:	previous id + 1, IDQ_FIRST for the first, 0: not queued
 * @next:	next id + 1, 0 for the last
 */
struct idq_link {
	uint32_t prev;
	uint32_t next;
};

#define IDQ_FIRST	UINT32_MAX

/**
 * struct idq - the queue
 * @links:	one per id, zeroed at init
 * @cap:	ids below this may be queued
 * @head:	first id + 1, 0 if empty
 * @tail:	last id + 1, 0 if empty
 * @len:	ids queued
 */
struct idq {
	struct idq_link *links;
	uint32_t cap;
	uint32_t head;
	uint32_t tail;
	uint32_t len;
};

/* Allocate links for ids below @cap; 0, -EINVAL or -ENOMEM */
int idq_init(struct idq *q, uint32_t cap);
void idq_release(struct idq *q);

static inline bool idq_queued(const struct idq *q, uint32_t id)
{
	return id < q->cap && q->links[id].prev;
}

/* Queue @id at the tail; no-op if queued already or out of range */
void idq_push(struct idq *q, uint32_t id);
/* Take @id out wherever it is; no-op if not queued */
void idq_remove(struct idq *q, uint32_t id);
/* Take the first id out; -1 if empty */
int64_t idq_pop(struct idq *q);

#endif /* GANGWAY_CORE_IDQ_H */
