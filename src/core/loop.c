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
 * Timers live in a binary min-heap of (deadline, reference) entries; each
 * timer remembers its slot (struct timer: heap_idx; an object of a kind:
 * its 4-byte handle), so arming, re-arming and cancelling are O(log n)
 * and idle objects cost nothing. An fd's epoll data is a struct watch
 * pointer or, low bit set, a kind and a 32-bit id (loop_tag()).
 *
 * Busy polling. Request/response traffic is a chain of processes waking
 * one another (guest, relay or QEMU, us, the host peer, and back); on a
 * virtual machine, a wake-up onto an idle vCPU goes through the host and
 * costs tens of microseconds, more than our own work per frame. So before
 * blocking, the loop spins: it polls with epoll_wait(..., 0) until an
 * event is ready, the window has passed since it ran out of work, or the
 * earliest timer is due, whichever comes first, and only then sleeps.
 * The window counts from running out of work, not from the last event:
 * how long handling that event took (a send into loopback runs the
 * peer's receive path) says nothing about when the next one comes.
 *
 * The window adapts between 0 and --busy-poll, so that spinning happens
 * only where it pays. Each idle period ends in one of three ways, and
 * loop_poll_adapt() turns that into a step:
 *   - an fd became ready within the maximum (caught by the spin, or by a
 *     sleep that a full-size spin would have covered): double the window,
 *     up to the maximum; from 0 it starts at LOOP_POLL_START_NS;
 *   - nothing for longer than the maximum (the spin, if any, ran out and
 *     the sleep that followed was long): halve it; below the starting
 *     size it is 0, and the loop sleeps at once as it did without polling;
 *   - a timer or signal only, within the maximum: no step (a timer's
 *     deadline is known; spinning for it gains nothing).
 * And one way for a spin to end early: it lost the CPU. One poll takes a
 * microsecond or two; a step of LOOP_POLL_PREEMPT_NS or more between two
 * means we were off the CPU: if the kernel counts an involuntary context
 * switch of ours since we last looked (getrusage(), asked only then),
 * another task ran on our CPU (the relay or QEMU, the guest, the host
 * peer, or anything else on the machine); if not, it was the hypervisor
 * running another vCPU or an interrupt, which says nothing about our
 * CPU's tasks, and the spin goes on (on this nested VM such steps come
 * often: taking each for a preemption held the window at 0 and lost
 * the whole gain, docs/PERFORMANCE.md). Spinning then takes CPU
 * time someone needs, and with the CPUs busy our own wake-ups are cheap
 * (no idle vCPU to wake), so the window drops to 0 and grows again only
 * through the rule above, and not before LOOP_POLL_HOLD_NS have passed:
 * on a loaded machine a spin would lose the CPU again at once, and
 * regrowing after every preemption measured worse. sched_yield() in the
 * spin was tried instead and measured no better (docs/PERFORMANCE.md);
 * it is not used.
 *
 * Under back-to-back events the window reaches the maximum in a handful
 * of periods and stays there; when events are rare it falls to 0 within
 * a handful of long sleeps, so an idle daemon spins for nothing. What it
 * costs: at most one window of CPU per gap longer than the maximum, i.e.
 * at most --busy-poll / gap of a CPU, and nothing once the gaps are all
 * long. A slow trickle (one short gap and one long per request, say
 * every 10 ms) keeps the window at 0 or the starting size: such traffic
 * pays its wake-ups as without polling and spins for almost nothing
 * (0.1% of the time with a 1 ms maximum, tests/system/test_busy_poll.py).
 * QEMU's AioContext polling is the precedent for adapting a poll window;
 * this rule and its code are our own.
 */
#include <errno.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"

#define LOOP_EVENTS_MAX	128	/* events taken per epoll_wait() */
#define LOOP_POSTS_MAX	16	/* end-of-iteration hooks */

struct loop_post {
	void (*fn)(void *arg, uint64_t now_ns);
	void *arg;
};

/* One armed timer: a struct timer, or the timer of an object of a kind */
struct heap_ent {
	uint64_t deadline_ns;
	uint64_t ref;		/* see loop_tag() */
};

static int loop_epfd = -1;
static struct heap_ent *loop_heap;	/* loop_heap[0]: earliest deadline */
static unsigned int loop_heap_len;
static unsigned int loop_heap_cap;
static struct loop_kind loop_kinds[LOOP_KINDS_MAX];	/* [0] unused */
static unsigned int loop_kinds_len = 1;
static struct loop_post loop_posts[LOOP_POSTS_MAX];
static unsigned int loop_posts_len;
static uint64_t loop_now_ns;
static bool loop_running;
static int loop_status;
static struct loop_poll loop_poll;	/* writers: loop_set_busy_poll(),
					 * loop_run() */

enum loop_ctr {
	LOOP_C_SPIN_CAUGHT,	/* a spin found an event before sleeping */
	LOOP_C_SPIN_RAN_OUT,	/* a spin ended with nothing: we slept */
	LOOP_C_SPIN_PREEMPTED,	/* a spin lost the CPU to another task */
	LOOP_C_SPIN_US,		/* microseconds spent spinning, in all */
	LOOP_C_GROW,		/* the window doubled (or started) */
	LOOP_C_SHRINK,		/* the window halved (or fell to 0) */
	LOOP_C_COUNT
};

static const char *const loop_ctr_names[] = {
	[LOOP_C_SPIN_CAUGHT]	= "spin_caught",
	[LOOP_C_SPIN_RAN_OUT]	= "spin_ran_out",
	[LOOP_C_SPIN_PREEMPTED]	= "spin_preempted",
	[LOOP_C_SPIN_US]	= "spin_us",
	[LOOP_C_GROW]		= "window_grow",
	[LOOP_C_SHRINK]		= "window_shrink",
};

static_assert(ARRAY_SIZE(loop_ctr_names) == LOOP_C_COUNT,
	      "a name per counter");

static uint64_t loop_ctr[LOOP_C_COUNT];

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
	loop_kinds_len = 1;

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

/*
 * epoll data and heap references of objects of a kind: the id in the high
 * half, the kind above the low bit, the low bit set (a pointer to a struct
 * watch or struct timer has it clear)
 */
static inline uint64_t loop_tag(unsigned int kind, uint32_t id)
{
	return (uint64_t)id << 32 | (uint64_t)kind << 1 | 1;
}

static inline unsigned int tag_kind(uint64_t ref)
{
	return (unsigned int)(ref >> 1) & 0x7fffffffU;
}

static inline uint32_t tag_id(uint64_t ref)
{
	return (uint32_t)(ref >> 32);
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

int loop_add_id(int fd, uint32_t events, unsigned int kind, uint32_t id)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = loop_tag(kind, id) };

	return epoll_ctl(loop_epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int loop_mod_id(int fd, uint32_t events, unsigned int kind, uint32_t id)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = loop_tag(kind, id) };

	return epoll_ctl(loop_epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_del(int fd)
{
	epoll_ctl(loop_epfd, EPOLL_CTL_DEL, fd, NULL);
}

/*
 * Timer heap: parent of i is (i - 1) / 2, children 2i + 1 and 2i + 2.
 * An entry holds the deadline (compared without touching the owner) and a
 * reference: a struct timer pointer (low bit 0: it is at least 2-aligned),
 * or a kind and an id tagged as in epoll data (low bit 1).
 */

static_assert(_Alignof(struct timer) >= 2, "low bit tags a reference");
static_assert(_Alignof(struct watch) >= 2, "low bit tags a reference");

/* The timer handle of object @id of @kind */
static inline uint32_t *kind_handle(unsigned int kind, uint32_t id)
{
	const struct loop_kind *k = &loop_kinds[kind];

	return (uint32_t *)((char *)k->tmr + (size_t)id * k->tmr_stride);
}

static void heap_set(unsigned int i, struct heap_ent e)
{
	loop_heap[i] = e;
	if (e.ref & 1)
		*kind_handle(tag_kind(e.ref), tag_id(e.ref)) = i + 1;
	else
		((struct timer *)(uintptr_t)e.ref)->heap_idx = (int)i;
}

static void heap_up(unsigned int i)
{
	struct heap_ent e = loop_heap[i];

	while (i) {
		unsigned int parent = (i - 1) / 2;

		if (loop_heap[parent].deadline_ns <= e.deadline_ns)
			break;
		heap_set(i, loop_heap[parent]);
		i = parent;
	}
	heap_set(i, e);
}

static void heap_down(unsigned int i)
{
	struct heap_ent e = loop_heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= loop_heap_len)
			break;
		if (c + 1 < loop_heap_len &&
		    loop_heap[c + 1].deadline_ns < loop_heap[c].deadline_ns)
			c++;
		if (e.deadline_ns <= loop_heap[c].deadline_ns)
			break;
		heap_set(i, loop_heap[c]);
		i = c;
	}
	heap_set(i, e);
}

/* Give entry @i a new deadline and restore the order */
static void heap_move(unsigned int i, uint64_t deadline_ns)
{
	uint64_t old = loop_heap[i].deadline_ns;

	loop_heap[i].deadline_ns = deadline_ns;
	if (deadline_ns < old)
		heap_up(i);
	else
		heap_down(i);
}

/* Add an entry; -ENOSPC if the heap is full */
static int heap_push(uint64_t deadline_ns, uint64_t ref)
{
	struct heap_ent e = { .deadline_ns = deadline_ns, .ref = ref };

	if (loop_heap_len >= loop_heap_cap)
		return -ENOSPC;
	heap_set(loop_heap_len++, e);
	heap_up(loop_heap_len - 1);
	return 0;
}

/* Take out entry @i; its owner's handle must be cleared by the caller */
static void heap_remove(unsigned int i)
{
	struct heap_ent last = loop_heap[--loop_heap_len];

	if (i == loop_heap_len)
		return;
	heap_set(i, last);
	if (i && loop_heap[(i - 1) / 2].deadline_ns > last.deadline_ns)
		heap_up(i);
	else
		heap_down(i);
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
	int rc;

	if (timer_armed(t)) {
		t->deadline_ns = deadline_ns;
		heap_move((unsigned int)t->heap_idx, deadline_ns);
		return 0;
	}
	rc = heap_push(deadline_ns, (uint64_t)(uintptr_t)t);
	if (!rc)
		t->deadline_ns = deadline_ns;
	return rc;
}

void timer_cancel(struct timer *t)
{
	unsigned int i;

	if (!timer_armed(t))
		return;
	i = (unsigned int)t->heap_idx;
	t->heap_idx = -1;
	heap_remove(i);
}

/**
 * loop_kind_add() - register a module's kind of objects
 * @k:		callbacks and where the timer handles are; copied
 *
 * Kinds are registered at init; loop_init() forgets them (tests).
 * Return: the kind number (above 0), or -ENOSPC
 */
int loop_kind_add(const struct loop_kind *k)
{
	if (loop_kinds_len >= LOOP_KINDS_MAX)
		return -ENOSPC;
	loop_kinds[loop_kinds_len] = *k;
	return (int)loop_kinds_len++;
}

/**
 * timer_id_arm() - set or move the deadline of object @id's timer
 * @kind:	from loop_kind_add(), with a timer handle array
 * @id:		object
 * @deadline_ns: CLOCK_MONOTONIC deadline
 * Return: 0, or -ENOSPC if the heap is full (the timer stays disarmed)
 */
int timer_id_arm(unsigned int kind, uint32_t id, uint64_t deadline_ns)
{
	uint32_t *h = kind_handle(kind, id);

	if (*h) {
		heap_move(*h - 1, deadline_ns);
		return 0;
	}
	return heap_push(deadline_ns, loop_tag(kind, id));
}

void timer_id_cancel(unsigned int kind, uint32_t id)
{
	uint32_t *h = kind_handle(kind, id);
	unsigned int i = *h;

	if (!i)
		return;
	*h = 0;
	heap_remove(i - 1);
}

uint64_t timer_id_deadline(unsigned int kind, uint32_t id)
{
	uint32_t h = *kind_handle(kind, id);

	return h ? loop_heap[h - 1].deadline_ns : 0;
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

/**
 * loop_poll_adapt() - one step of the window rule (header comment)
 * @p:		window and its maximum
 * @idle_ns:	from running out of work until the wakeup
 * @fd_event:	the wakeup brought a ready fd (not only a timer or signal)
 */
void loop_poll_adapt(struct loop_poll *p, uint64_t idle_ns, bool fd_event)
{
	if (idle_ns > p->max_ns) {
		if (!p->window_ns)
			return;
		p->window_ns /= 2;
		if (p->window_ns < LOOP_POLL_START_NS)
			p->window_ns = 0;
		loop_ctr[LOOP_C_SHRINK]++;
		return;
	}
	if (!fd_event || p->window_ns >= p->max_ns)
		return;
	if (!p->window_ns)
		p->window_ns = LOOP_POLL_START_NS;
	else
		p->window_ns *= 2;
	if (p->window_ns > p->max_ns)
		p->window_ns = p->max_ns;
	loop_ctr[LOOP_C_GROW]++;
}

/**
 * loop_poll_preempted() - a spin lost the CPU: sleep at once from now on
 * @p:		window and its maximum
 *
 * Another task was runnable on our CPU (a relay, a guest, a peer, or
 * anything else on the machine): spinning takes its time, and with the
 * CPUs busy our own wake-ups are cheap. The window restarts from 0, and
 * the loop does not spin before @now_ns + LOOP_POLL_HOLD_NS.
 */
void loop_poll_preempted(struct loop_poll *p, uint64_t now_ns)
{
	if (p->window_ns)
		loop_ctr[LOOP_C_SHRINK]++;
	p->window_ns = 0;
	p->hold_until_ns = now_ns + LOOP_POLL_HOLD_NS;
}

/* Did another task take our CPU since the last call? (getrusage()) */
static bool loop_lost_cpu(void)
{
	static long nivcsw;
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return true;	/* cannot tell: be the one who yields */
	if (ru.ru_nivcsw == nivcsw)
		return false;
	nivcsw = ru.ru_nivcsw;
	return true;
}

/**
 * loop_set_busy_poll() - the maximum window (--busy-poll)
 * @max_us:	microseconds; 0 turns spinning off
 *
 * The window starts at the maximum: a daemon just started is about to
 * see a guest boot, and the rule brings it down within a few idle periods
 * if that does not pay.
 */
void loop_set_busy_poll(unsigned int max_us)
{
	static bool registered;

	loop_poll.max_ns = (uint64_t)max_us * 1000;
	loop_poll.window_ns = loop_poll.max_ns;
	loop_poll.hold_until_ns = 0;
	loop_lost_cpu();	/* the count so far is not news */
	if (max_us && !registered) {
		registered = true;
		stats_register("loop", loop_ctr_names, loop_ctr, LOOP_C_COUNT);
	}
}

uint64_t loop_poll_window_ns(void)
{
	return loop_poll.window_ns;
}

/*
 * Spin before sleeping: poll without blocking until an event is ready,
 * the window has passed since @idle0 (when we ran out of work), the
 * earliest timer is due, or we lost the CPU. One poll takes a microsecond
 * or two; a step of LOOP_POLL_PREEMPT_NS between two means another task
 * ran on this CPU (*@preempted). Return: what the last epoll_wait()
 * returned (0: nothing, sleep now)
 */
static int loop_spin(struct epoll_event *ev, uint64_t idle0, bool *preempted)
{
	uint64_t end = idle0 + loop_poll.window_ns, now = idle0, prev;
	int n;

	*preempted = false;
	if (!loop_poll.window_ns)
		return 0;
	if (loop_heap_len && loop_heap[0].deadline_ns < end)
		end = loop_heap[0].deadline_ns;
	do {
		prev = now;
		n = epoll_wait(loop_epfd, ev, LOOP_EVENTS_MAX, 0);
		now = clock_now_ns();
		if (!n && now - prev > LOOP_POLL_PREEMPT_NS &&
		    loop_lost_cpu()) {
			*preempted = true;
			break;
		}
	} while (!n && now < end);
	loop_ctr[LOOP_C_SPIN_US] += (now - idle0) / 1000;
	if (*preempted)
		loop_ctr[LOOP_C_SPIN_PREEMPTED]++;
	else
		loop_ctr[n ? LOOP_C_SPIN_CAUGHT : LOOP_C_SPIN_RAN_OUT]++;
	return n;
}

/* Milliseconds until the earliest deadline, rounded up; -1: none */
static int loop_timeout_ms(void)
{
	uint64_t now, wait_ns;

	if (!loop_heap_len)
		return -1;
	now = clock_now_ns();
	if (loop_heap[0].deadline_ns <= now)
		return 0;
	wait_ns = loop_heap[0].deadline_ns - now;
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

	while (budget-- && loop_heap_len && loop_heap[0].deadline_ns <= now) {
		uint64_t ref = loop_heap[0].ref;

		if (ref & 1) {
			const struct loop_kind *k = &loop_kinds[tag_kind(ref)];

			timer_id_cancel(tag_kind(ref), tag_id(ref));
			k->expire(k->arg, tag_id(ref), now);
		} else {
			struct timer *t = (struct timer *)(uintptr_t)ref;

			timer_cancel(t);
			t->fn(t, now);
		}
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
 * #syscalls: epoll_wait epoll_ctl clock_gettime getrusage
 * Return: the status passed to loop_stop(), or 1 if epoll itself fails
 */
int loop_run(void)
{
	struct epoll_event ev[LOOP_EVENTS_MAX];

	loop_running = true;
	loop_status = 0;
	while (loop_running) {
		bool preempted = false;
		uint64_t idle0 = 0;
		int n, i;

		loop_run_posts();
		if (!loop_running)
			break;

		n = 0;
		if (loop_poll.max_ns) {
			idle0 = clock_now_ns();
			if (idle0 >= loop_poll.hold_until_ns)
				n = loop_spin(ev, idle0, &preempted);
		}
		if (!n)
			n = epoll_wait(loop_epfd, ev, LOOP_EVENTS_MAX,
				       loop_timeout_ms());
		loop_now_ns = clock_now_ns();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err("loop: epoll_wait: %s", strerror(errno));
			return 1;
		}
		if (preempted)
			loop_poll_preempted(&loop_poll, loop_now_ns);
		else if (loop_poll.max_ns && idle0 >= loop_poll.hold_until_ns)
			loop_poll_adapt(&loop_poll, loop_now_ns - idle0,
					n > 0);
		for (i = 0; i < n && loop_running; i++) {
			uint64_t ref = ev[i].data.u64;
			const struct loop_kind *k;
			struct watch *w;

			if (!(ref & 1)) {
				w = ev[i].data.ptr;
				w->fn(w, ev[i].events, loop_now_ns);
				continue;
			}
			k = &loop_kinds[tag_kind(ref)];
			k->ready(k->arg, tag_id(ref), ev[i].events,
				 loop_now_ns);
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
