// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/idq.c - a FIFO of 32-bit object ids, linked through a side array
 *
 * A doubly linked list whose links are stored by id, as id + 1 so that
 * zeroed memory means "not queued": calloc() gives the array untouched,
 * and only ids that are ever queued bring its pages in.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/idq.h"

/**
 * idq_init() - allocate the links of a queue
 * @q:		queue
 * @cap:	ids below this may be queued, 1 to 2^32 - 2
 * Return: 0, -EINVAL, or -ENOMEM
 */
int idq_init(struct idq *q, uint32_t cap)
{
	q->links = NULL;
	q->cap = q->head = q->tail = q->len = 0;
	if (!cap || cap >= IDQ_FIRST)
		return -EINVAL;
	q->links = calloc(cap, sizeof(*q->links));
	if (!q->links)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void idq_release(struct idq *q)
{
	free(q->links);
	q->links = NULL;
	q->cap = q->head = q->tail = q->len = 0;
}

void idq_push(struct idq *q, uint32_t id)
{
	struct idq_link *l;

	if (id >= q->cap || q->links[id].prev)
		return;
	l = &q->links[id];
	l->next = 0;
	if (q->tail) {
		l->prev = q->tail;
		q->links[q->tail - 1].next = id + 1;
	} else {
		l->prev = IDQ_FIRST;
		q->head = id + 1;
	}
	q->tail = id + 1;
	q->len++;
}

void idq_remove(struct idq *q, uint32_t id)
{
	struct idq_link *l;

	if (!idq_queued(q, id))
		return;
	l = &q->links[id];
	if (l->prev == IDQ_FIRST)
		q->head = l->next;
	else
		q->links[l->prev - 1].next = l->next;
	if (l->next)
		q->links[l->next - 1].prev = l->prev;
	else
		q->tail = l->prev == IDQ_FIRST ? 0 : l->prev;
	l->prev = l->next = 0;
	q->len--;
}

int64_t idq_pop(struct idq *q)
{
	uint32_t id;

	if (!q->head)
		return -1;
	id = q->head - 1;
	idq_remove(q, id);
	return id;
}
