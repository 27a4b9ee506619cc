/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/loop.h - the single epoll event loop, timers and deferred work
 *
 * Owns: the epoll instance, the monotonic clock reading taken once per
 * wakeup, a min-heap of timers (O(log n) arm/cancel, nothing for idle
 * objects without a timer), and end-of-iteration hooks where owners free
 * what they closed during the iteration and links flush batched frames.
 * Two ways to be called back: an object embeds a struct watch / struct
 * timer (a few objects: links, services), or a module registers a kind
 * (struct loop_kind) and its many objects are known by a 32-bit id, with
 * a 4-byte timer handle each and no per-object watch (flows).
 * Does not own: any file descriptor. Whoever opens an fd registers it with
 * loop_add(), removes it with loop_del() and closes it.
 * Before it sleeps, the loop may spin for a short, adaptive window
 * (--busy-poll; the rule is in core/loop.c), so that an event arriving
 * within tens of microseconds does not cost a wake-up.
 * Limits: the timer heap has a fixed capacity set by loop_init(); arming
 * past it fails with -ENOSPC.
 */
#ifndef GANGWAY_CORE_LOOP_H
#define GANGWAY_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "core/compiler.h"

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL

/**
 * struct watch - embedded in every object that waits on an fd
 * @fn:		called with the epoll events and the wakeup time
 *
 * epoll data points at the watch; the owner finds itself with
 * container_of().
 */
struct watch {
	void (*fn)(struct watch *w, uint32_t events, uint64_t now_ns);
};

/**
 * struct timer - a deadline kept by its owner
 * @fn:		called once the deadline has passed (timer is then disarmed)
 * @deadline_ns: CLOCK_MONOTONIC time in ns
 * @heap_idx:	position in the heap, or -1 when not armed (loop-private)
 */
struct timer {
	void (*fn)(struct timer *t, uint64_t now_ns);
	uint64_t deadline_ns;
	int heap_idx;
};

/**
 * struct loop_kind - a module's many objects, each known by a 32-bit id
 * @ready:	fd events for object @id (registered with loop_add_id())
 * @expire:	the timer of object @id expired (it is disarmed by then)
 * @arg:	passed to @ready and @expire
 * @tmr:	timer handle of object 0, or NULL if the kind has no timers
 * @tmr_stride:	bytes from one object's timer handle to the next
 *
 * Each object keeps a uint32_t timer handle that only the loop writes: 0
 * while disarmed (so zeroed memory is a disarmed timer), heap position + 1
 * while armed. The deadline lives in the heap entry, not in the object.
 * epoll data carries the kind and the id, tagged, instead of a pointer.
 */
struct loop_kind {
	void (*ready)(void *arg, uint32_t id, uint32_t events, uint64_t now_ns);
	void (*expire)(void *arg, uint32_t id, uint64_t now_ns);
	void *arg;
	uint32_t *tmr;
	size_t tmr_stride;
};

#define LOOP_KINDS_MAX	16

/* Set up epoll and a timer heap holding up to @max_timers armed timers */
int loop_init(unsigned int max_timers);

/* Register a kind (at init); its number, above 0, or -ENOSPC */
int loop_kind_add(const struct loop_kind *k);

int loop_add(int fd, uint32_t events, struct watch *w);
int loop_mod(int fd, uint32_t events, struct watch *w);
void loop_del(int fd);
/* The same for an object of a registered kind */
int loop_add_id(int fd, uint32_t events, unsigned int kind, uint32_t id);
int loop_mod_id(int fd, uint32_t events, unsigned int kind, uint32_t id);

/* Timers: initialise once with timer_init(), then arm and cancel freely */
void timer_init(struct timer *t,
		void (*fn)(struct timer *t, uint64_t now_ns));
int timer_arm(struct timer *t, uint64_t deadline_ns);
void timer_cancel(struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
	return t->heap_idx >= 0;
}

/*
 * Timers of objects of a kind: arm (or move), cancel (no-op if disarmed).
 * Whether one is armed: its handle is not 0.
 */
int timer_id_arm(unsigned int kind, uint32_t id, uint64_t deadline_ns);
void timer_id_cancel(unsigned int kind, uint32_t id);
/* Deadline of an armed timer of a kind, 0 if disarmed */
uint64_t timer_id_deadline(unsigned int kind, uint32_t id);

/* Register a function run at the end of every loop iteration (at init) */
int loop_add_post(void (*fn)(void *arg, uint64_t now_ns), void *arg);

/* Monotonic clock in ns; loop_now() is the reading of this wakeup */
uint64_t clock_now_ns(void);
uint64_t loop_now(void);

/**
 * struct loop_poll - the adaptive busy-poll window (rule: core/loop.c)
 * @max_ns:	upper bound (--busy-poll); 0: never spin
 * @window_ns:	how long the loop now spins before it sleeps, 0 to @max_ns
 * @hold_until_ns: no spinning before this time (a spin lost the CPU)
 */
struct loop_poll {
	uint64_t max_ns;
	uint64_t window_ns;
	uint64_t hold_until_ns;
};

#define LOOP_POLL_START_NS	4000ULL	/* first window after 0 */
#define LOOP_POLL_PREEMPT_NS	20000ULL	/* a step this long between
						 * two polls: we lost the CPU */
#define LOOP_POLL_HOLD_NS	10000000ULL	/* then no spinning for
						 * this long (10 ms) */

/* Set the maximum busy-poll window in microseconds (0: never spin) */
void loop_set_busy_poll(unsigned int max_us);

/*
 * The window rule alone, no clock, no I/O (the loop and tests): one idle
 * period lasted @idle_ns, from running out of work until the wakeup, and
 * ended with a ready fd (@fd_event) or only a timer or signal.
 */
void loop_poll_adapt(struct loop_poll *p, uint64_t idle_ns, bool fd_event);

/* A spin lost the CPU to another task at @now_ns: the window drops to 0 */
void loop_poll_preempted(struct loop_poll *p, uint64_t now_ns);

/* The current window of the running loop, in ns (tests, stats) */
uint64_t loop_poll_window_ns(void);

/* Run until loop_stop() is called; returns the exit status given to it */
int loop_run(void);
void loop_stop(int status);

#endif /* GANGWAY_CORE_LOOP_H */
