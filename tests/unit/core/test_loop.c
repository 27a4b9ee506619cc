// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for core/loop.c: timer order, cancel, re-arm, post hooks */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/loop.h"

#define NT	64

static struct timer timers[NT];
static int fired[NT * 4];
static int nfired;
static int stop_after;

static void record(struct timer *t, uint64_t now)
{
	(void)now;
	fired[nfired++] = (int)(t - timers);
	if (nfired == stop_after)
		loop_stop(0);
}

static void stop_cb(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	loop_stop(7);
}

static void setup_timers(unsigned int cap)
{
	int i;

	assert_int_equal(loop_init(cap), 0);
	nfired = 0;
	stop_after = -1;
	for (i = 0; i < NT; i++)
		timer_init(&timers[i], record);
}

/* Timers fire in deadline order whatever order they were armed in */
static void timers_fire_in_deadline_order(void **state)
{
	uint64_t base;
	int i;

	(void)state;
	setup_timers(NT);
	base = clock_now_ns();
	for (i = 0; i < NT; i++) {
		int k = (i * 37) % NT;		/* a permutation of 0..63 */

		assert_int_equal(timer_arm(&timers[k], base + (uint64_t)k *
					   100000), 0);
	}
	stop_after = NT;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nfired, NT);
	for (i = 0; i < NT; i++) {
		assert_int_equal(fired[i], i);
		assert_false(timer_armed(&timers[i]));
	}
}

/* A cancelled timer never fires; the others still do, in order */
static void cancelled_timer_does_not_fire(void **state)
{
	uint64_t base;
	int i;

	(void)state;
	setup_timers(NT);
	base = clock_now_ns();
	for (i = 0; i < 10; i++)
		timer_arm(&timers[i], base + (uint64_t)(i + 1) * 200000);
	timer_cancel(&timers[0]);
	timer_cancel(&timers[5]);
	timer_cancel(&timers[9]);
	timer_cancel(&timers[9]);		/* twice is harmless */
	assert_false(timer_armed(&timers[5]));
	stop_after = 7;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nfired, 7);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[3], 4);
	assert_int_equal(fired[4], 6);
	assert_int_equal(fired[6], 8);
}

/* Re-arming moves a deadline both ways */
static void rearm_moves_deadline(void **state)
{
	uint64_t base;

	(void)state;
	setup_timers(NT);
	base = clock_now_ns();
	timer_arm(&timers[0], base + 1000000);
	timer_arm(&timers[1], base + 2000000);
	timer_arm(&timers[2], base + 3000000);
	timer_arm(&timers[0], base + 4000000);	/* later */
	timer_arm(&timers[2], base + 500000);	/* earlier */
	stop_after = 3;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 1);
	assert_int_equal(fired[2], 0);
}

/* The heap has a fixed capacity; a full heap says -ENOSPC */
static void arming_past_capacity_fails(void **state)
{
	int i;

	(void)state;
	setup_timers(4);
	for (i = 0; i < 4; i++)
		assert_int_equal(timer_arm(&timers[i], 1000), 0);
	assert_int_equal(timer_arm(&timers[4], 1000), -ENOSPC);
	assert_false(timer_armed(&timers[4]));
	assert_int_equal(timer_arm(&timers[2], 5), 0);	/* re-arm: no slot */
	timer_cancel(&timers[1]);
	assert_int_equal(timer_arm(&timers[4], 1000), 0);
}

/* Random arm/cancel keeps the heap ordered */
static void random_arm_cancel_keeps_order(void **state)
{
	uint64_t base, last = 0;
	int i, armed = 0;

	(void)state;
	setup_timers(NT);
	srand(42);
	base = clock_now_ns();
	for (i = 0; i < 2000; i++) {
		struct timer *t = &timers[rand() % NT];

		if (rand() % 3 == 0)
			timer_cancel(t);
		else
			timer_arm(t, base + (uint64_t)(rand() % 5000) * 1000);
	}
	for (i = 0; i < NT; i++)
		armed += timer_armed(&timers[i]);
	stop_after = armed;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nfired, armed);
	for (i = 0; i < nfired; i++) {
		assert_true(timers[fired[i]].deadline_ns >= last);
		last = timers[fired[i]].deadline_ns;
	}
}

static int posts;

static void post_hook(void *arg, uint64_t now)
{
	(void)now;
	(*(int *)arg)++;
}

/* Post hooks run every iteration; loop_stop() status comes back */
static void post_hooks_run_and_status_returned(void **state)
{
	struct timer stop;

	(void)state;
	setup_timers(NT);
	posts = 0;
	assert_int_equal(loop_add_post(post_hook, &posts), 0);
	assert_int_equal(loop_add_post(post_hook, &posts), 0); /* no dup */
	timer_init(&stop, stop_cb);
	timer_arm(&stop, clock_now_ns() + 2000000);
	assert_int_equal(loop_run(), 7);
	assert_true(posts >= 2);	/* before the sleep, and at exit */
	assert_true(loop_now() >= stop.deadline_ns);
}

static struct watch pipe_w;
static int pipe_events;

static void pipe_ready(struct watch *w, uint32_t events, uint64_t now)
{
	(void)now;
	assert_ptr_equal(w, &pipe_w);
	if (events & EPOLLIN)
		pipe_events++;
	loop_stop(3);
}

/* fd events reach the watch registered for them */
static void watch_gets_events(void **state)
{
	int p[2];

	(void)state;
	setup_timers(NT);
	assert_int_equal(pipe(p), 0);
	pipe_w.fn = pipe_ready;
	assert_int_equal(loop_add(p[0], EPOLLIN, &pipe_w), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(), 3);
	assert_int_equal(pipe_events, 1);
	loop_del(p[0]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_deadline_order),
		cmocka_unit_test(cancelled_timer_does_not_fire),
		cmocka_unit_test(rearm_moves_deadline),
		cmocka_unit_test(arming_past_capacity_fails),
		cmocka_unit_test(random_arm_cancel_keeps_order),
		cmocka_unit_test(post_hooks_run_and_status_returned),
		cmocka_unit_test(watch_gets_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
