// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/loop.c - the single epoll event loop, timers and deferred work
 *
 * One iteration: run the end-of-iteration hooks (links flush what was
 * queued, owners free what they closed), sleep in epoll_wait() until the
 * earliest timer, read CLOCK_MONOTONIC once, call the watch of every ready
 * fd, then every timer whose deadline has passed. Hooks run before the
 * sleep rather than after the wakeup so that work queued by timers is
 * flushed before we block.
 *
 * Timers live in a binary min-heap of pointers ordered by deadline; each
 * timer remembers its slot, so arming, re-arming and cancelling are
 * O(log n) and idle objects cost nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"

#define LOOP_EVENTS_MAX	128	/* events taken per epoll_wait() */
#define LOOP_POSTS_MAX	16	/* end-of-iteration hooks */

struct loop_post {
	void (*fn)(void *arg, uint64_t now_ns);
	void *arg;
};

static int loop_epfd = -1;
static struct timer **loop_heap;	/* loop_heap[0]: earliest deadline */
static unsigned int loop_heap_len;
static unsigned int loop_heap_cap;
static struct loop_post loop_posts[LOOP_POSTS_MAX];
static unsigned int loop_posts_len;
static uint64_t loop_now_ns;
static bool loop_running;
static int loop_status;

uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now(void)
{
	return loop_now_ns;
}

/**
 * loop_init() - create the epoll instance and the timer heap
 * @max_timers:	how many timers may be armed at once
 *
 * The only allocation of the loop. Calling it again (tests) starts afresh.
 * Return: 0, or -errno
 */
int loop_init(unsigned int max_timers)
{
	if (loop_epfd >= 0)
		close(loop_epfd);
	free(loop_heap);
	loop_heap = NULL;
	loop_heap_len = loop_heap_cap = 0;
	loop_posts_len = 0;

	loop_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop_epfd < 0)
		return -errno;
	if (max_timers) {
		loop_heap = calloc(max_timers, sizeof(*loop_heap));
		if (!loop_heap)
			return -ENOMEM;
	}
	loop_heap_cap = max_timers;
	loop_now_ns = clock_now_ns();
	return 0;
}

static int loop_ctl(int op, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(loop_epfd, op, fd, &ev) ? -errno : 0;
}

int loop_add(int fd, uint32_t events, struct watch *w)
{
	return loop_ctl(EPOLL_CTL_ADD, fd, events, w);
}

int loop_mod(int fd, uint32_t events, struct watch *w)
{
	return loop_ctl(EPOLL_CTL_MOD, fd, events, w);
}

void loop_del(int fd)
{
	epoll_ctl(loop_epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Timer heap: parent of i is (i - 1) / 2, children 2i + 1 and 2i + 2 */

static void heap_set(unsigned int i, struct timer *t)
{
	loop_heap[i] = t;
	t->heap_idx = (int)i;
}

static void heap_up(unsigned int i)
{
	struct timer *t = loop_heap[i];

	while (i) {
		unsigned int parent = (i - 1) / 2;

		if (loop_heap[parent]->deadline_ns <= t->deadline_ns)
			break;
		heap_set(i, loop_heap[parent]);
		i = parent;
	}
	heap_set(i, t);
}

static void heap_down(unsigned int i)
{
	struct timer *t = loop_heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= loop_heap_len)
			break;
		if (c + 1 < loop_heap_len &&
		    loop_heap[c + 1]->deadline_ns < loop_heap[c]->deadline_ns)
			c++;
		if (t->deadline_ns <= loop_heap[c]->deadline_ns)
			break;
		heap_set(i, loop_heap[c]);
		i = c;
	}
	heap_set(i, t);
}

void timer_init(struct timer *t, void (*fn)(struct timer *t, uint64_t now_ns))
{
	t->fn = fn;
	t->deadline_ns = 0;
	t->heap_idx = -1;
}

/**
 * timer_arm() - set or move a timer's deadline
 * @t:		timer, set up with timer_init()
 * @deadline_ns: CLOCK_MONOTONIC deadline; a past one fires at the end of
 *		the current (or next) iteration
 * Return: 0, or -ENOSPC if the heap is full (the timer stays disarmed)
 */
int timer_arm(struct timer *t, uint64_t deadline_ns)
{
	if (timer_armed(t)) {
		uint64_t old = t->deadline_ns;

		t->deadline_ns = deadline_ns;
		if (deadline_ns < old)
			heap_up((unsigned int)t->heap_idx);
		else
			heap_down((unsigned int)t->heap_idx);
		return 0;
	}
	if (loop_heap_len >= loop_heap_cap)
		return -ENOSPC;
	t->deadline_ns = deadline_ns;
	heap_set(loop_heap_len++, t);
	heap_up((unsigned int)t->heap_idx);
	return 0;
}

void timer_cancel(struct timer *t)
{
	unsigned int i;
	struct timer *last;

	if (!timer_armed(t))
		return;
	i = (unsigned int)t->heap_idx;
	t->heap_idx = -1;
	last = loop_heap[--loop_heap_len];
	if (i == loop_heap_len)
		return;
	heap_set(i, last);
	heap_up(i);
	heap_down((unsigned int)last->heap_idx);
}

/* Adding the same hook twice is a no-op */
int loop_add_post(void (*fn)(void *arg, uint64_t now_ns), void *arg)
{
	unsigned int i;

	for (i = 0; i < loop_posts_len; i++)
		if (loop_posts[i].fn == fn && loop_posts[i].arg == arg)
			return 0;
	if (loop_posts_len >= LOOP_POSTS_MAX)
		return -ENOSPC;
	loop_posts[loop_posts_len].fn = fn;
	loop_posts[loop_posts_len].arg = arg;
	loop_posts_len++;
	return 0;
}

/* Milliseconds until the earliest deadline, rounded up; -1: none */
static int loop_timeout_ms(void)
{
	uint64_t now, wait_ns;

	if (!loop_heap_len)
		return -1;
	now = clock_now_ns();
	if (loop_heap[0]->deadline_ns <= now)
		return 0;
	wait_ns = loop_heap[0]->deadline_ns - now;
	if (wait_ns > (uint64_t)INT32_MAX * NSEC_PER_MSEC)
		return INT32_MAX;
	return (int)((wait_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

/*
 * Fire expired timers. Only as many as were in the heap on entry: a
 * callback that re-arms itself in the past runs again next iteration
 * instead of spinning here.
 */
static void loop_timers(uint64_t now)
{
	unsigned int budget = loop_heap_len;

	while (budget-- && loop_heap_len && loop_heap[0]->deadline_ns <= now) {
		struct timer *t = loop_heap[0];

		timer_cancel(t);
		t->fn(t, now);
	}
}

static void loop_run_posts(void)
{
	unsigned int i;

	for (i = 0; i < loop_posts_len; i++)
		loop_posts[i].fn(loop_posts[i].arg, loop_now_ns);
}

/**
 * loop_run() - dispatch events until loop_stop()
 *
 * #syscalls: epoll_wait epoll_ctl clock_gettime
 * Return: the status passed to loop_stop(), or 1 if epoll itself fails
 */
int loop_run(void)
{
	struct epoll_event ev[LOOP_EVENTS_MAX];

	loop_running = true;
	loop_status = 0;
	while (loop_running) {
		int n, i;

		loop_run_posts();
		if (!loop_running)
			break;

		n = epoll_wait(loop_epfd, ev, LOOP_EVENTS_MAX,
			       loop_timeout_ms());
		loop_now_ns = clock_now_ns();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err("loop: epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n && loop_running; i++) {
			struct watch *w = ev[i].data.ptr;

			w->fn(w, ev[i].events, loop_now_ns);
		}
		if (loop_running)
			loop_timers(loop_now_ns);
	}
	loop_run_posts();	/* last flush before exit */
	return loop_status;
}

void loop_stop(int status)
{
	loop_running = false;
	loop_status = status;
}
