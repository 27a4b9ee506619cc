// SPDX-License-Identifier: GPL-2.0-or-later
/* test_table.c - flow id pool and 5-tuple index (flow/table.c) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/table.h"

static void key_make(struct flow_key *k, uint32_t n, uint8_t proto)
{
	struct in_addr g = { .s_addr = htonl(0x0a000002) };
	struct in_addr r = { .s_addr = htonl(0xc0000200 | (n >> 16)) };

	memset(k, 0, sizeof(*k));
	inany_from_v4(&k->gaddr, g);
	inany_from_v4(&k->raddr, r);
	k->gport = (uint16_t)(1024 + (n & 0xffff));
	k->rport = 53;
	k->proto = proto;
}

static void table_alloc_until_full(void **state)
{
	unsigned int i;
	bool seen[64] = { false };

	(void)state;
	assert_int_equal(flow_table_init(64), 0);
	assert_int_equal(flow_table_size(), 64);
	for (i = 0; i < 64; i++) {
		int id = flow_alloc();

		assert_true(id >= 0 && id < 64);
		assert_false(seen[id]);
		seen[id] = true;
	}
	assert_int_equal(flow_alloc(), -ENOSPC);
	assert_int_equal(flow_count(), 64);
	assert_int_equal(flow_high_water(), 64);

	flow_free(17);
	assert_int_equal(flow_count(), 63);
	assert_int_equal(flow_alloc(), 17);
	assert_int_equal(flow_alloc(), -ENOSPC);
	assert_int_equal(flow_high_water(), 64);
}

static void table_high_water_stays(void **state)
{
	int a, b, c;

	(void)state;
	assert_int_equal(flow_table_init(8), 0);
	a = flow_alloc();
	b = flow_alloc();
	c = flow_alloc();
	flow_free(b);
	flow_free(a);
	assert_int_equal(flow_count(), 1);
	assert_int_equal(flow_high_water(), 3);
	flow_free(c);
	assert_int_equal(flow_count(), 0);
	assert_int_equal(flow_high_water(), 3);
}

static void table_rejects_zero(void **state)
{
	(void)state;
	assert_int_equal(flow_table_init(0), -EINVAL);
	assert_int_equal(flow_alloc(), -ENOSPC);
}

static void index_add_find_del(void **state)
{
	struct flow_key k, k2;
	int id;

	(void)state;
	assert_int_equal(flow_table_init(16), 0);
	key_make(&k, 1, 17);
	assert_int_equal(flow_index_find(&k), -1);
	id = flow_alloc();
	assert_int_equal(flow_index_add(&k, id), 0);
	assert_int_equal(flow_index_find(&k), id);
	assert_int_equal(flow_index_add(&k, id), -EEXIST);

	/* Same tuple, other protocol: another flow */
	key_make(&k2, 1, 6);
	assert_int_equal(flow_index_find(&k2), -1);

	/* Padding must not matter: same fields, garbage in the holes */
	memset(&k2, 0xa5, sizeof(k2));
	k2.gaddr = k.gaddr;
	k2.raddr = k.raddr;
	k2.gport = k.gport;
	k2.rport = k.rport;
	k2.proto = k.proto;
	assert_int_equal(flow_index_find(&k2), id);

	flow_index_del(&k);
	assert_int_equal(flow_index_find(&k), -1);
	flow_index_del(&k);	/* absent: no-op */
	flow_free(id);
	assert_int_equal(flow_count(), 0);
}

static void index_fill_delete_readd(void **state)
{
	enum { N = 1000 };
	struct flow_key k;
	int ids[N];
	unsigned int i;

	(void)state;
	assert_int_equal(flow_table_init(N), 0);
	for (i = 0; i < N; i++) {
		ids[i] = flow_alloc();
		assert_true(ids[i] >= 0);
		key_make(&k, i, 17);
		assert_int_equal(flow_index_add(&k, ids[i]), 0);
	}
	assert_int_equal(flow_alloc(), -ENOSPC);
	for (i = 0; i < N; i++) {
		key_make(&k, i, 17);
		assert_int_equal(flow_index_find(&k), ids[i]);
	}
	/* Delete every other one, check the rest survive */
	for (i = 0; i < N; i += 2) {
		key_make(&k, i, 17);
		flow_index_del(&k);
		flow_free(ids[i]);
	}
	for (i = 0; i < N; i++) {
		key_make(&k, i, 17);
		assert_int_equal(flow_index_find(&k), i % 2 ? ids[i] : -1);
	}
	/* Re-add under new keys */
	for (i = 0; i < N; i += 2) {
		ids[i] = flow_alloc();
		assert_true(ids[i] >= 0);
		key_make(&k, i + 0x10000, 17);
		assert_int_equal(flow_index_add(&k, ids[i]), 0);
	}
	assert_int_equal(flow_alloc(), -ENOSPC);
	for (i = 0; i < N; i++) {
		key_make(&k, i % 2 ? i : i + 0x10000, 17);
		assert_int_equal(flow_index_find(&k), ids[i]);
	}
}

/*
 * A small index (4 flows, 8 slots) with many distinct keys: probe runs
 * collide and wrap all the time. Random adds and deletes against a plain
 * array model; after every step every key must be found exactly where
 * the model says. This is what catches a wrong backward shift.
 */
static void index_collisions_model(void **state)
{
	enum { KEYS = 12, FLOWS = 4, STEPS = 200000 };
	int model[KEYS];
	struct flow_key k;
	unsigned int step, i, live = 0;

	(void)state;
	srand(1);
	assert_int_equal(flow_table_init(FLOWS), 0);
	for (i = 0; i < KEYS; i++)
		model[i] = -1;

	for (step = 0; step < STEPS; step++) {
		unsigned int n = (unsigned int)rand() % KEYS;

		key_make(&k, n * 7919, 17);
		if (model[n] >= 0) {
			flow_index_del(&k);
			flow_free(model[n]);
			model[n] = -1;
			live--;
		} else {
			int id = flow_alloc();

			if (live == FLOWS) {
				assert_int_equal(id, -ENOSPC);
				continue;
			}
			assert_true(id >= 0);
			assert_int_equal(flow_index_add(&k, id), 0);
			model[n] = id;
			live++;
		}
		for (i = 0; i < KEYS; i++) {
			key_make(&k, i * 7919, 17);
			assert_int_equal(flow_index_find(&k), model[i]);
		}
		assert_int_equal(flow_count(), live);
	}
}

static bool key_same(const struct flow_key *a, const struct flow_key *b)
{
	return a && a->gport == b->gport && a->rport == b->rport &&
	       a->proto == b->proto && inany_equal(&a->gaddr, &b->gaddr) &&
	       inany_equal(&a->raddr, &b->raddr);
}

/*
 * Every live flow finds its own key through flow_key_of() while keys of
 * one probe run come and go (backward shifts move them), and deleting by
 * id forgets exactly that key.
 */
static void key_of_follows_shifts(void **state)
{
	enum { KEYS = 12, FLOWS = 6, STEPS = 100000 };
	int model[KEYS];
	struct flow_key k;
	unsigned int step, i;

	(void)state;
	srand(2);
	assert_int_equal(flow_table_init(FLOWS), 0);	/* 16 slots */
	for (i = 0; i < KEYS; i++)
		model[i] = -1;
	assert_null(flow_key_of(0));
	assert_null(flow_key_of(-1));
	assert_null(flow_key_of(FLOWS));

	for (step = 0; step < STEPS; step++) {
		unsigned int n = (unsigned int)rand() % KEYS;

		key_make(&k, n * 7919, 6);
		if (model[n] >= 0) {
			if (rand() & 1)
				flow_index_del_id(model[n]);
			else
				flow_index_del(&k);
			assert_null(flow_key_of(model[n]));
			flow_free(model[n]);
			model[n] = -1;
		} else {
			int id = flow_alloc();

			if (id < 0)
				continue;
			assert_int_equal(flow_index_add(&k, id), 0);
			model[n] = id;
		}
		for (i = 0; i < KEYS; i++) {
			key_make(&k, i * 7919, 6);
			assert_int_equal(flow_index_find(&k), model[i]);
			if (model[i] >= 0)
				assert_true(key_same(flow_key_of(model[i]),
						     &k));
		}
	}
	flow_index_del_id(FLOWS + 5);	/* out of range: no-op */
}

/* A second key of the same flow leaves flow_key_of() on the first */
static void key_of_is_first_key(void **state)
{
	struct flow_key a, b;
	int id;

	(void)state;
	assert_int_equal(flow_table_init(4), 0);
	id = flow_alloc();
	key_make(&a, 1, 6);
	key_make(&b, 2, 6);
	assert_int_equal(flow_index_add(&a, id), 0);
	assert_int_equal(flow_index_add(&b, id), 0);
	assert_true(key_same(flow_key_of(id), &a));
	flow_index_del(&b);
	assert_true(key_same(flow_key_of(id), &a));
	flow_index_del_id(id);
	assert_null(flow_key_of(id));
	assert_int_equal(flow_index_find(&a), -1);
}

/* More keys than flows: the index refuses instead of looping forever */
static void index_full_refuses(void **state)
{
	struct flow_key k;
	unsigned int i;
	int r = 0;

	(void)state;
	assert_int_equal(flow_table_init(2), 0);	/* 4 slots */
	for (i = 0; i < 8 && !r; i++) {
		key_make(&k, i, 17);
		r = flow_index_add(&k, 0);
	}
	assert_int_equal(r, -ENOSPC);
	key_make(&k, 1000, 17);
	assert_int_equal(flow_index_find(&k), -1);
}

/* Two tables with different seeds still index the same keys correctly */
static void index_reinit_reseeds(void **state)
{
	struct flow_key k;
	int id;

	(void)state;
	assert_int_equal(flow_table_init(4), 0);
	key_make(&k, 5, 17);
	id = flow_alloc();
	assert_int_equal(flow_index_add(&k, id), 0);
	assert_int_equal(flow_table_init(4), 0);
	assert_int_equal(flow_index_find(&k), -1);
	assert_int_equal(flow_count(), 0);
	assert_int_equal(flow_high_water(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_alloc_until_full),
		cmocka_unit_test(table_high_water_stays),
		cmocka_unit_test(table_rejects_zero),
		cmocka_unit_test(index_add_find_del),
		cmocka_unit_test(index_fill_delete_readd),
		cmocka_unit_test(index_collisions_model),
		cmocka_unit_test(index_full_refuses),
		cmocka_unit_test(index_reinit_reseeds),
		cmocka_unit_test(key_of_follows_shifts),
		cmocka_unit_test(key_of_is_first_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
