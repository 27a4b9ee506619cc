// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for core/loop.c: timer order, cancel, re-arm, post hooks,
 * the busy-poll window rule
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/stats.h"

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

/* ---- objects of a kind: 4-byte handles, tagged epoll data ----------- */

struct obj {
	uint16_t pad;		/* the handle need not be first */
	uint32_t tmr;
	uint64_t want;		/* deadline it was armed with */
};

static struct obj objs[NT];
static uint32_t kfired[NT * 4];
static int nkfired;
static int kstop_after;
static int kind_arg;

static void obj_expire(void *arg, uint32_t id, uint64_t now)
{
	assert_ptr_equal(arg, &kind_arg);
	assert_int_equal(objs[id].tmr, 0);	/* disarmed before the call */
	assert_true(now >= objs[id].want);
	kfired[nkfired++] = id;
	if (nkfired == kstop_after)
		loop_stop(0);
}

static uint32_t kready_id;
static uint32_t kready_events;

static void obj_ready(void *arg, uint32_t id, uint32_t events, uint64_t now)
{
	(void)now;
	assert_ptr_equal(arg, &kind_arg);
	kready_id = id;
	kready_events = events;
	loop_stop(5);
}

static int setup_kind(unsigned int cap)
{
	struct loop_kind k = {
		.ready = obj_ready,
		.expire = obj_expire,
		.arg = &kind_arg,
		.tmr = &objs[0].tmr,
		.tmr_stride = sizeof(objs[0]),
	};
	int kind;

	setup_timers(cap);
	memset(objs, 0, sizeof(objs));
	nkfired = 0;
	kstop_after = -1;
	kind = loop_kind_add(&k);
	assert_true(kind > 0);
	return kind;
}

static void obj_arm(int kind, uint32_t id, uint64_t at)
{
	assert_int_equal(timer_id_arm((unsigned int)kind, id, at), 0);
	objs[id].want = at;
	assert_int_not_equal(objs[id].tmr, 0);
	assert_int_equal(timer_id_deadline((unsigned int)kind, id), at);
}

/* Timers of a kind fire in deadline order, mixed with struct timers */
static void kind_timers_fire_in_order(void **state)
{
	uint64_t base;
	int kind, i;

	(void)state;
	kind = setup_kind(2 * NT);
	base = clock_now_ns();
	for (i = 0; i < NT; i++) {
		int k = (i * 37) % NT;

		obj_arm(kind, (uint32_t)k, base + (uint64_t)k * 100000);
		timer_arm(&timers[k], base + (uint64_t)k * 100000 + 50000);
	}
	kstop_after = NT;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nkfired, NT);
	for (i = 0; i < NT; i++) {
		assert_int_equal(kfired[i], i);
		assert_int_equal(objs[i].tmr, 0);
	}
	/* the struct timers fired interleaved, in their own order */
	for (i = 1; i < nfired; i++)
		assert_true(fired[i] > fired[i - 1]);
	assert_true(nfired >= NT - 2);
}

/* Cancel, re-arm both ways; a cancelled one never fires */
static void kind_timers_cancel_and_rearm(void **state)
{
	uint64_t base;
	int kind;

	(void)state;
	kind = setup_kind(NT);
	base = clock_now_ns();
	obj_arm(kind, 0, base + 1000000);
	obj_arm(kind, 1, base + 2000000);
	obj_arm(kind, 2, base + 3000000);
	obj_arm(kind, 3, base + 3500000);
	obj_arm(kind, 0, base + 4000000);	/* later */
	obj_arm(kind, 2, base + 500000);	/* earlier */
	timer_id_cancel((unsigned int)kind, 3);
	timer_id_cancel((unsigned int)kind, 3);	/* twice is harmless */
	assert_int_equal(objs[3].tmr, 0);
	assert_int_equal(timer_id_deadline((unsigned int)kind, 3), 0);
	kstop_after = 3;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nkfired, 3);
	assert_int_equal(kfired[0], 2);
	assert_int_equal(kfired[1], 1);
	assert_int_equal(kfired[2], 0);
}

/* A full heap refuses a new kind timer; re-arming needs no room */
static void kind_timers_capacity(void **state)
{
	int kind, i;

	(void)state;
	kind = setup_kind(4);
	for (i = 0; i < 3; i++)
		obj_arm(kind, (uint32_t)i, 1000);
	assert_int_equal(timer_arm(&timers[0], 1000), 0);
	assert_int_equal(timer_id_arm((unsigned int)kind, 9, 1000), -ENOSPC);
	assert_int_equal(objs[9].tmr, 0);
	obj_arm(kind, 1, 5);
	timer_id_cancel((unsigned int)kind, 0);
	obj_arm(kind, 9, 7);
}

/* Random arm/cancel of both sorts: handles stay right, order kept */
static void kind_timers_random(void **state)
{
	uint64_t base, last = 0;
	int kind, i, armed = 0;

	(void)state;
	kind = setup_kind(2 * NT);
	srand(7);
	base = clock_now_ns();
	for (i = 0; i < 4000; i++) {
		uint32_t id = (uint32_t)(rand() % NT);
		uint64_t at = base + (uint64_t)(rand() % 5000) * 1000;

		switch (rand() % 4) {
		case 0:
			timer_id_cancel((unsigned int)kind, id);
			break;
		case 1:
			timer_cancel(&timers[id]);
			break;
		case 2:
			timer_arm(&timers[id], at);
			break;
		default:
			obj_arm(kind, id, at);
		}
	}
	for (i = 0; i < NT; i++) {
		if (objs[i].tmr) {
			armed++;
			assert_int_equal(timer_id_deadline((unsigned int)kind,
							   (uint32_t)i),
					 objs[i].want);
		}
	}
	for (i = 0; i < NT; i++)
		timer_cancel(&timers[i]);
	kstop_after = armed;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nkfired, armed);
	for (i = 0; i < nkfired; i++) {
		assert_true(objs[kfired[i]].want >= last);
		last = objs[kfired[i]].want;
	}
}

/* fd events of an object of a kind come back with its id */
static void kind_watch_gets_id(void **state)
{
	int p[2], kind;

	(void)state;
	kind = setup_kind(NT);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_id(p[0], 0, (unsigned int)kind, 4000000001U),
			 0);
	assert_int_equal(loop_mod_id(p[0], EPOLLIN, (unsigned int)kind,
				     4000000001U), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(), 5);
	assert_int_equal(kready_id, 4000000001U);
	assert_true(kready_events & EPOLLIN);
	loop_del(p[0]);
	close(p[0]);
	close(p[1]);
}

/* -- busy polling: the window rule (loop_poll_adapt()) -- */

#define US	1000ULL

/* Bounds hold for any sequence of outcomes, whatever the maximum */
static void poll_window_stays_in_bounds(void **state)
{
	static const uint64_t maxes[] = { 0, 1 * US, 3 * US, 4 * US, 5 * US,
					  50 * US, 1000 * US };
	unsigned int seed = 7, m, i;

	(void)state;
	for (m = 0; m < ARRAY_SIZE(maxes); m++) {
		struct loop_poll p = { .max_ns = maxes[m],
				       .window_ns = maxes[m] };

		for (i = 0; i < 20000; i++) {
			uint64_t idle = (uint64_t)(rand_r(&seed) % 3000) * US
					>> (rand_r(&seed) % 12);

			loop_poll_adapt(&p, idle, rand_r(&seed) % 4 != 0);
			assert_true(p.window_ns <= p.max_ns);
			/* never a uselessly short spin: 0, or the start size
			 * (the maximum if that is smaller), or more */
			assert_true(!p.window_ns ||
				    p.window_ns >= LOOP_POLL_START_NS ||
				    p.window_ns == p.max_ns);
		}
	}
}

/* Back-to-back events: from 0 to the maximum in a few steps, and it stays */
static void poll_window_grows_under_back_to_back_events(void **state)
{
	struct loop_poll p = { .max_ns = 50 * US, .window_ns = 0 };
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		loop_poll_adapt(&p, 10 * US, true);	/* caught by the spin */
	assert_int_equal(p.window_ns, 50 * US);
	for (i = 0; i < 1000; i++) {
		loop_poll_adapt(&p, (uint64_t)(i % 50) * US, true);
		assert_int_equal(p.window_ns, 50 * US);
	}
}

/* A sleep that a full-size spin would have cut short grows the window */
static void poll_window_grows_when_a_sleep_was_short(void **state)
{
	struct loop_poll p = { .max_ns = 100 * US, .window_ns = 0 };

	(void)state;
	loop_poll_adapt(&p, 80 * US, true);	/* slept, woke in 80 us */
	assert_int_equal(p.window_ns, LOOP_POLL_START_NS);
	loop_poll_adapt(&p, 100 * US, true);
	assert_int_equal(p.window_ns, 2 * LOOP_POLL_START_NS);
}

/* Rare events: down to 0 within a few long sleeps, and it stays there */
static void poll_window_falls_to_zero_when_events_are_rare(void **state)
{
	struct loop_poll p = { .max_ns = 50 * US, .window_ns = 50 * US };
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		loop_poll_adapt(&p, 10000 * US, true);	/* 10 ms gaps */
	assert_int_equal(p.window_ns, 0);
	for (i = 0; i < 100; i++) {
		loop_poll_adapt(&p, (10000 + (uint64_t)i) * US, i & 1);
		assert_int_equal(p.window_ns, 0);
	}
	/* just past the maximum counts as long */
	p.window_ns = 50 * US;
	loop_poll_adapt(&p, 50 * US + 1, true);
	assert_int_equal(p.window_ns, 25 * US);
}

/* A timer (or signal) alone within the maximum is no reason to spin more */
static void poll_window_ignores_timers_within_max(void **state)
{
	struct loop_poll p = { .max_ns = 50 * US, .window_ns = 8 * US };

	(void)state;
	loop_poll_adapt(&p, 20 * US, false);
	assert_int_equal(p.window_ns, 8 * US);
	loop_poll_adapt(&p, 200 * US, false);	/* long: shrink */
	assert_int_equal(p.window_ns, 4 * US);
}

/* A spin that lost the CPU: sleep at once, hold, then grow again from 0 */
static void poll_window_drops_to_zero_when_preempted(void **state)
{
	struct loop_poll p = { .max_ns = 50 * US, .window_ns = 50 * US };

	(void)state;
	loop_poll_preempted(&p, 1000 * US);
	assert_int_equal(p.window_ns, 0);
	assert_int_equal(p.hold_until_ns, 1000 * US + LOOP_POLL_HOLD_NS);
	loop_poll_preempted(&p, 2000 * US);
	assert_int_equal(p.window_ns, 0);
	assert_int_equal(p.hold_until_ns, 2000 * US + LOOP_POLL_HOLD_NS);
	loop_poll_adapt(&p, 10 * US, true);
	assert_int_equal(p.window_ns, LOOP_POLL_START_NS);
}

/* One short gap and one long per transaction: bounded, never runs away */
static void poll_window_steady_on_a_mix(void **state)
{
	struct loop_poll p = { .max_ns = 1000 * US, .window_ns = 0 };
	uint64_t hi = 0;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		loop_poll_adapt(&p, 30 * US, true);
		if (i > 10 && p.window_ns > hi)
			hi = p.window_ns;
		loop_poll_adapt(&p, 10000 * US, true);
	}
	assert_true(hi <= 2 * LOOP_POLL_START_NS);
}

/* The loop spins on a ready fd (caught, no sleep) with polling on */
static void busy_poll_catches_a_ready_fd(void **state)
{
	uint64_t caught;
	int p[2];

	(void)state;
	assert_int_equal(loop_init(4), 0);
	loop_set_busy_poll(1000);
	assert_int_equal(loop_poll_window_ns(), 1000 * US);
	assert_int_equal(pipe(p), 0);
	pipe_w.fn = pipe_ready;
	assert_int_equal(loop_add(p[0], EPOLLIN, &pipe_w), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	caught = stats_get("loop", "spin_caught");
	assert_int_equal(loop_run(), 3);	/* pipe_ready() stops it */
	assert_true(stats_get("loop", "spin_caught") > caught);
	loop_del(p[0]);
	close(p[0]);
	close(p[1]);
	loop_set_busy_poll(0);
}

/*
 * A spin never runs past the earliest timer: with a 1 ms window and a
 * timer 50 us away, the spin stops at the timer (at least once in three
 * tries: a preempted spin on a loaded machine may overrun by chance)
 */
static void busy_poll_stops_at_the_timer(void **state)
{
	int try, ok = 0;

	(void)state;
	for (try = 0; try < 3 && !ok; try++) {
		uint64_t spun;

		setup_timers(4);
		loop_set_busy_poll(1000);
		timers[0].fn = stop_cb;
		spun = stats_get("loop", "spin_us");
		assert_int_equal(timer_arm(&timers[0],
					   clock_now_ns() + 50 * US), 0);
		assert_int_equal(loop_run(), 7);
		ok = stats_get("loop", "spin_us") - spun < 500;
	}
	loop_set_busy_poll(0);
	assert_true(ok);
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
		cmocka_unit_test(kind_timers_fire_in_order),
		cmocka_unit_test(kind_timers_cancel_and_rearm),
		cmocka_unit_test(kind_timers_capacity),
		cmocka_unit_test(kind_timers_random),
		cmocka_unit_test(kind_watch_gets_id),
		cmocka_unit_test(poll_window_stays_in_bounds),
		cmocka_unit_test(poll_window_grows_under_back_to_back_events),
		cmocka_unit_test(poll_window_grows_when_a_sleep_was_short),
		cmocka_unit_test(poll_window_falls_to_zero_when_events_are_rare),
		cmocka_unit_test(poll_window_ignores_timers_within_max),
		cmocka_unit_test(poll_window_steady_on_a_mix),
		cmocka_unit_test(poll_window_drops_to_zero_when_preempted),
		cmocka_unit_test(busy_poll_catches_a_ready_fd),
		cmocka_unit_test(busy_poll_stops_at_the_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
