/*
 * evloop.h - one epoll loop with intrusive fd watchers and a min-heap of
 * intrusive timers (in the manner of Redis ae and BIRD's timer heap).
 *
 * Ownership: struct ev_io and struct ev_timer are embedded in their owners
 * (peer, socket, ...); the loop keeps pointers to them but never allocates
 * or frees them.  An owner gets back from the member with offsetof:
 *
 *	struct peer *p = (struct peer *)((char *)t - offsetof(struct peer, keepalive));
 *
 * Before freeing an owner, call ev_io_del() and ev_timer_cancel() on its
 * members.  That is allowed from any callback, including the member's own.
 *
 * Time is monotonic µs (mtime.h).  Each iteration reads the clock once after
 * epoll_wait; every callback of that iteration receives that value as `now`,
 * and evloop_now() returns it.
 *
 * Single-threaded: no function here may be called from another thread or
 * from a signal handler (use a signalfd or self-pipe to reach the loop).
 */
#ifndef OVPN_EVLOOP_H
#define OVPN_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

enum {
	/* Events fetched per epoll_wait; more ready fds wait for the next turn. */
	EVLOOP_MAX_EVENTS = 64,
};

struct ev_io {
	int fd;
	uint32_t events;      /* EPOLLIN | EPOLLOUT ... as last given to add/mod */
	void (*cb)(struct ev_io *io, uint32_t revents, uint64_t now);
};

struct ev_timer {
	uint64_t deadline;    /* monotonic µs; meaningful only while armed */
	size_t heap_idx;      /* position in the loop's heap; SIZE_MAX when not armed */
	void (*cb)(struct ev_timer *t, uint64_t now);
};

/* Fully defined so main can embed it; treat the members as private. */
struct evloop {
	int epfd;
	bool stop;
	bool in_timers;               /* dispatching expired timers */
	uint64_t now;
	struct ev_timer **heap;       /* binary min-heap on deadline */
	size_t heap_len;
	size_t heap_cap;
	void (*before_sleep)(void *arg, uint64_t now);
	void *before_sleep_arg;
	/* The batch being dispatched; ev_io_del() scrubs entries from it. */
	struct epoll_event ev[EVLOOP_MAX_EVENTS];
	int ev_next;                  /* index of the next entry to dispatch */
	int ev_count;                 /* entries in the batch; 0 outside dispatch */
};

/* 0, or ERR_SYS (epoll_create1 failed, errno set). */
int evloop_init(struct evloop *l);
/*
 * Close the epoll fd and free the heap.  Timers still armed are marked
 * unarmed (their owners must still be alive); fds are not closed.
 */
void evloop_free(struct evloop *l);

/*
 * Watch fd for `events` and call cb when any is ready (revents may also
 * carry EPOLLERR/EPOLLHUP).  Fills io->fd/events/cb.  0, or ERR_SYS
 * (errno set, e.g. EEXIST if fd is already watched).  Level-triggered
 * unless EPOLLET is passed.
 */
int ev_io_add(struct evloop *l, struct ev_io *io, int fd, uint32_t events,
    void (*cb)(struct ev_io *, uint32_t, uint64_t));
/* Change the watched events.  0 or ERR_SYS. */
int ev_io_mod(struct evloop *l, struct ev_io *io, uint32_t events);
/*
 * Stop watching io.  Safe from any callback, including io's own; once it
 * returns, io gets no more callbacks, not even for events already fetched
 * in the current batch, so the owner may free io (and close the fd) at once.
 * Deleting an io that is not watched is harmless.
 */
void ev_io_del(struct evloop *l, struct ev_io *io);

/* Make t unarmed with callback cb.  Call once before first use. */
void ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *, uint64_t));
/*
 * Arm t to fire at `deadline` (monotonic µs), moving it if already armed.
 * A deadline in the past fires on the current iteration's timer pass if
 * armed from an fd callback or before_sleep; from a timer callback it fires
 * on the next iteration (so a timer re-arming itself at `now` cannot starve
 * the loop; its deadline then reads now + 1).  Grows the heap with realloc
 * when full; out of memory there is fatal().
 */
void ev_timer_arm(struct evloop *l, struct ev_timer *t, uint64_t deadline);
/* Disarm t; no-op if not armed.  Afterwards the owner may free t. */
void ev_timer_cancel(struct evloop *l, struct ev_timer *t);
bool ev_timer_armed(const struct ev_timer *t);

/*
 * fn(arg, now) runs once per iteration just before epoll_wait (batched
 * sends are flushed there).  It may arm timers; the wait accounts for them.
 * fn NULL removes the hook.
 */
void evloop_set_before_sleep(struct evloop *l, void (*fn)(void *arg, uint64_t now), void *arg);

/*
 * One iteration: run before_sleep, wait until the earliest timer is due
 * (capped at max_wait_us; MTIME_NEVER = no cap, 0 = do not block), then
 * dispatch ready fds, then every timer whose deadline <= now, in deadline
 * order (equal deadlines in unspecified order).  Timers never fire early:
 * the epoll timeout is rounded up to whole ms.
 * 0, or ERR_SYS if epoll_wait failed (EINTR counts as success).
 */
int evloop_run_once(struct evloop *l, uint64_t max_wait_us);
/* Iterate until evloop_stop().  0 after a stop, or ERR_SYS as above. */
int evloop_run(struct evloop *l);
/* Make evloop_run return after the current iteration. */
void evloop_stop(struct evloop *l);
/* The `now` of the current iteration (the last clock read). */
uint64_t evloop_now(const struct evloop *l);

#endif
