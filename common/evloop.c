/*
 * evloop.c - epoll dispatch plus a binary min-heap of timers.
 *
 * Iteration: read the clock, run before_sleep, compute the epoll timeout
 * from the heap top (rounded up to whole ms so nothing fires early), wait,
 * read the clock once more (that is `now` for every callback), dispatch the
 * fetched fd events, then pop and run every timer with deadline <= now.
 *
 * Heap invariants: heap[0..heap_len) is a min-heap on deadline, and for
 * every armed timer t, heap[t->heap_idx] == t; an unarmed timer has
 * heap_idx == SIZE_MAX.  A timer is popped (unarmed) before its callback
 * runs, so the loop never touches it after the callback returns: the
 * callback may re-arm it or free its owner.
 *
 * Stale events after ev_io_del: epoll_event.data.ptr points at the io.  The
 * batch being dispatched lives in the loop (ev[ev_next..ev_count)), and
 * ev_io_del() sets data.ptr to NULL in every not yet dispatched entry that
 * points at the deleted io; the dispatcher skips NULL entries.  This needs
 * no field in the io, and it stays correct when the owner frees the io and
 * a new io is later allocated at the same address (the scrub happened at
 * delete time, and the new io cannot be in the old batch).  The scan costs
 * at most EVLOOP_MAX_EVENTS pointer compares per delete.
 *
 * Starvation guard: while expired timers run, a timer armed with a deadline
 * <= now is pushed to now + 1, so the timer pass always ends.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "evloop.h"
#include "log.h"
#include "mtime.h"

enum {
	HEAP_MIN_CAP = 16,
};

int
evloop_init(struct evloop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return ERR_SYS;
	l->now = mtime_now();
	return 0;
}

void
evloop_free(struct evloop *l)
{
	size_t i;

	for (i = 0; i < l->heap_len; i++)
		l->heap[i]->heap_idx = SIZE_MAX;
	free(l->heap);
	l->heap = NULL;
	l->heap_len = l->heap_cap = 0;
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	l->ev_count = l->ev_next = 0;
}

/* ---- fd watchers ---- */

int
ev_io_add(struct evloop *l, struct ev_io *io, int fd, uint32_t events,
    void (*cb)(struct ev_io *, uint32_t, uint64_t))
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return ERR_SYS;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	return 0;
}

int
ev_io_mod(struct evloop *l, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) != 0)
		return ERR_SYS;
	io->events = events;
	return 0;
}

void
ev_io_del(struct evloop *l, struct ev_io *io)
{
	int i, saved = errno;

	/*
	 * Failure is ignored on purpose: ENOENT (never added) and EBADF (fd
	 * already closed, which removed it from the set) both leave the io
	 * unwatched, which is what the caller asked for.
	 */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	errno = saved;
	for (i = l->ev_next; i < l->ev_count; i++)
		if (l->ev[i].data.ptr == io)
			l->ev[i].data.ptr = NULL;
}

/* ---- timer heap ---- */

static bool
earlier(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->deadline < b->deadline;
}

static void
heap_place(struct evloop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

/* Move the timer at i towards the root until its parent is not later. */
static void
sift_up(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!earlier(t, l->heap[parent]))
			break;
		heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	heap_place(l, i, t);
}

/* Move the timer at i towards the leaves until no child is earlier. */
static void
sift_down(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_place(l, i, l->heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

/* Take the timer at i out of the heap and mark it unarmed. */
static void
heap_remove(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	struct ev_timer *last;

	l->heap_len--;
	if (i != l->heap_len) {
		last = l->heap[l->heap_len];
		heap_place(l, i, last);
		/* The moved timer may belong above or below position i. */
		if (i > 0 && earlier(last, l->heap[(i - 1) / 2]))
			sift_up(l, i);
		else
			sift_down(l, i);
	}
	l->heap[l->heap_len] = NULL;
	t->heap_idx = SIZE_MAX;
}

/* Is t in this loop's heap?  Guards cancel against a foreign or stale idx. */
static bool
in_heap(const struct evloop *l, const struct ev_timer *t)
{
	return t->heap_idx < l->heap_len && l->heap[t->heap_idx] == t;
}

void
ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *, uint64_t))
{
	t->deadline = 0;
	t->heap_idx = SIZE_MAX;
	t->cb = cb;
}

bool
ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void
ev_timer_arm(struct evloop *l, struct ev_timer *t, uint64_t deadline)
{
	struct ev_timer **nh;
	size_t ncap;

	if (l->in_timers && deadline <= l->now)
		deadline = l->now + 1;
	if (in_heap(l, t)) {
		t->deadline = deadline;
		sift_up(l, t->heap_idx);
		sift_down(l, t->heap_idx);
		return;
	}
	if (l->heap_len == l->heap_cap) {
		ncap = l->heap_cap < HEAP_MIN_CAP ? HEAP_MIN_CAP : l->heap_cap * 2;
		if (ncap > SIZE_MAX / sizeof(*nh))
			fatalx("evloop: timer heap too large");
		nh = realloc(l->heap, ncap * sizeof(*nh));
		if (nh == NULL)
			fatal("evloop: timer heap");
		l->heap = nh;
		l->heap_cap = ncap;
	}
	t->deadline = deadline;
	heap_place(l, l->heap_len++, t);
	sift_up(l, t->heap_idx);
}

void
ev_timer_cancel(struct evloop *l, struct ev_timer *t)
{
	if (in_heap(l, t))
		heap_remove(l, t->heap_idx);
}

/* ---- the loop ---- */

void
evloop_set_before_sleep(struct evloop *l, void (*fn)(void *arg, uint64_t now), void *arg)
{
	l->before_sleep = fn;
	l->before_sleep_arg = arg;
}

/* epoll_wait timeout in ms: -1 forever, else the wait rounded up. */
static int
wait_ms(const struct evloop *l, uint64_t now, uint64_t max_wait_us)
{
	uint64_t us = max_wait_us, due, ms;

	if (l->heap_len > 0) {
		due = l->heap[0]->deadline;
		due = due > now ? due - now : 0;
		if (due < us)
			us = due;
	}
	if (us == MTIME_NEVER)
		return -1;
	ms = us / 1000 + (us % 1000 != 0);
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void
run_timers(struct evloop *l)
{
	struct ev_timer *t;

	l->in_timers = true;
	while (l->heap_len > 0 && l->heap[0]->deadline <= l->now) {
		t = l->heap[0];
		heap_remove(l, 0);
		t->cb(t, l->now);
	}
	l->in_timers = false;
}

int
evloop_run_once(struct evloop *l, uint64_t max_wait_us)
{
	struct ev_io *io;
	uint32_t revents;
	int n;

	l->now = mtime_now();
	if (l->before_sleep != NULL)
		l->before_sleep(l->before_sleep_arg, l->now);

	n = epoll_wait(l->epfd, l->ev, EVLOOP_MAX_EVENTS, wait_ms(l, l->now, max_wait_us));
	if (n < 0 && errno != EINTR)
		return ERR_SYS;
	l->now = mtime_now();

	l->ev_count = n > 0 ? n : 0;
	for (l->ev_next = 0; l->ev_next < l->ev_count;) {
		/* Advance first so a delete from the callback scans only what is left. */
		io = l->ev[l->ev_next].data.ptr;
		revents = l->ev[l->ev_next].events;
		l->ev_next++;
		if (io != NULL)
			io->cb(io, revents, l->now);
	}
	l->ev_count = l->ev_next = 0;

	run_timers(l);
	return 0;
}

int
evloop_run(struct evloop *l)
{
	int r = 0;

	while (!l->stop) {
		if ((r = evloop_run_once(l, MTIME_NEVER)) != 0)
			break;
	}
	l->stop = false;
	return r;
}

void
evloop_stop(struct evloop *l)
{
	l->stop = true;
}

uint64_t
evloop_now(const struct evloop *l)
{
	return l->now;
}
