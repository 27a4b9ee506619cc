// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for core/idq.c: FIFO order, once each, removal anywhere */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/idq.h"

/* Ids come out in the order they went in, each once */
static void idq_fifo_once_each(void **state)
{
	struct idq q;

	(void)state;
	assert_int_equal(idq_init(&q, 100), 0);
	assert_int_equal(idq_pop(&q), -1);
	idq_push(&q, 7);
	idq_push(&q, 0);
	idq_push(&q, 99);
	idq_push(&q, 7);		/* queued already: no-op */
	idq_push(&q, 100);		/* out of range: ignored */
	assert_int_equal(q.len, 3);
	assert_true(idq_queued(&q, 0));
	assert_false(idq_queued(&q, 1));
	assert_int_equal(idq_pop(&q), 7);
	assert_int_equal(idq_pop(&q), 0);
	idq_push(&q, 7);		/* back in, at the tail */
	assert_int_equal(idq_pop(&q), 99);
	assert_int_equal(idq_pop(&q), 7);
	assert_int_equal(idq_pop(&q), -1);
	assert_int_equal(q.len, 0);
	idq_release(&q);
}

/* Removal of the first, a middle and the last keeps the rest in order */
static void idq_remove_anywhere(void **state)
{
	struct idq q;
	uint32_t i;

	(void)state;
	assert_int_equal(idq_init(&q, 10), 0);
	for (i = 0; i < 10; i++)
		idq_push(&q, i);
	idq_remove(&q, 0);
	idq_remove(&q, 5);
	idq_remove(&q, 9);
	idq_remove(&q, 5);		/* not queued: no-op */
	assert_int_equal(q.len, 7);
	assert_false(idq_queued(&q, 5));
	idq_push(&q, 5);
	assert_int_equal(idq_pop(&q), 1);
	assert_int_equal(idq_pop(&q), 2);
	assert_int_equal(idq_pop(&q), 3);
	assert_int_equal(idq_pop(&q), 4);
	assert_int_equal(idq_pop(&q), 6);
	assert_int_equal(idq_pop(&q), 7);
	assert_int_equal(idq_pop(&q), 8);
	assert_int_equal(idq_pop(&q), 5);
	assert_int_equal(idq_pop(&q), -1);
	idq_push(&q, 3);		/* a sole entry removed empties it */
	idq_remove(&q, 3);
	assert_int_equal(q.head, 0);
	assert_int_equal(q.tail, 0);
	idq_push(&q, 4);
	assert_int_equal(idq_pop(&q), 4);
	idq_release(&q);
}

/* Random operations against a plain model */
static void idq_random_against_model(void **state)
{
	enum { N = 64 };
	int64_t model[N * 8];
	unsigned int mlen = 0, i, j;
	struct idq q;

	(void)state;
	assert_int_equal(idq_init(&q, N), 0);
	srand(3);
	for (i = 0; i < 20000; i++) {
		uint32_t id = (uint32_t)(rand() % N);
		bool in = false;

		for (j = 0; j < mlen; j++)
			in |= model[j] == id;
		switch (rand() % 3) {
		case 0:
			idq_push(&q, id);
			if (!in)
				model[mlen++] = id;
			break;
		case 1:
			idq_remove(&q, id);
			for (j = 0; j < mlen; j++) {
				if (model[j] == id) {
					for (; j + 1 < mlen; j++)
						model[j] = model[j + 1];
					mlen--;
					break;
				}
			}
			break;
		default:
			assert_int_equal(idq_pop(&q), mlen ? model[0] : -1);
			if (mlen) {
				for (j = 0; j + 1 < mlen; j++)
					model[j] = model[j + 1];
				mlen--;
			}
		}
		assert_int_equal(q.len, mlen);
	}
	idq_release(&q);
}

static void idq_init_limits(void **state)
{
	struct idq q;

	(void)state;
	assert_int_equal(idq_init(&q, 0), -EINVAL);
	assert_int_equal(idq_init(&q, UINT32_MAX), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idq_fifo_once_each),
		cmocka_unit_test(idq_remove_anywhere),
		cmocka_unit_test(idq_random_against_model),
		cmocka_unit_test(idq_init_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
