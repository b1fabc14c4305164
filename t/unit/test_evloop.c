/*
 * test_evloop.c - the timer heap (ordering under random deadlines and random
 * cancels, re-arm, cancel and free from callbacks, the starvation guard),
 * fd dispatch through eventfds (readiness, mod, deleting self and others in
 * the same batch), the before_sleep hook, run/stop and the timeout rounding.
 *
 * Expired timers are produced by arming deadlines at or before the loop's
 * clock, so most tests never block; the few that wait do so on the loop's
 * own timeout, which is what they test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "err.h"
#include "evloop.h"
#include "mtime.h"

#define OWNER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* ---- timers ---- */

enum { NT = 2000 };

struct tctx {
	struct evloop *l;
	uint64_t fired_deadline[NT];
	size_t fired_id[NT];
	size_t nfired;
};

struct tnode {
	struct ev_timer t;
	size_t id;
	struct tctx *ctx;
	uint64_t armed_at;        /* deadline we asked for */
	int fired;
	struct tnode *victim;     /* cancel this one when fired */
	bool rearm_self;
	bool free_self;
};

static uint64_t
lcg(uint64_t *s)
{
	*s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *s >> 33;
}

static void
tnode_cb(struct ev_timer *t, uint64_t now)
{
	struct tnode *n = OWNER(t, struct tnode, t);
	struct tctx *c = n->ctx;

	assert_false(ev_timer_armed(t));   /* popped before the callback */
	assert_true(now >= n->armed_at);   /* never early */
	if (c->nfired < NT) {
		c->fired_deadline[c->nfired] = n->armed_at;
		c->fired_id[c->nfired] = n->id;
	}
	c->nfired++;
	n->fired++;
	if (n->victim != NULL)
		ev_timer_cancel(c->l, &n->victim->t);
	if (n->rearm_self)
		ev_timer_arm(c->l, t, now);
	if (n->free_self) {
		ev_timer_cancel(c->l, t);
		free(n);
	}
}

static void
test_timer_random_order(void **state)
{
	static struct tnode n[NT];
	static struct tctx c;
	struct evloop l;
	uint64_t seed = 42, base;
	size_t i, expect = 0;

	assert_int_equal(evloop_init(&l), 0);
	memset(&c, 0, sizeof(c));
	c.l = &l;
	/* Deadlines at or before "now": all expire on the first pass. */
	base = mtime_now();
	for (i = 0; i < NT; i++) {
		memset(&n[i], 0, sizeof(n[i]));
		ev_timer_init(&n[i].t, tnode_cb);
		assert_false(ev_timer_armed(&n[i].t));
		n[i].id = i;
		n[i].ctx = &c;
		/* Few distinct values so equal deadlines are exercised too. */
		n[i].armed_at = base - 1 - lcg(&seed) % 500;
		ev_timer_arm(&l, &n[i].t, n[i].armed_at);
		assert_true(ev_timer_armed(&n[i].t));
	}
	/* Cancel a random third and move another third: hits every heap slot. */
	for (i = 0; i < NT; i++) {
		switch (lcg(&seed) % 3) {
		case 0:
			ev_timer_cancel(&l, &n[i].t);
			assert_false(ev_timer_armed(&n[i].t));
			ev_timer_cancel(&l, &n[i].t);   /* no-op */
			break;
		case 1:
			n[i].armed_at = base - 1 - lcg(&seed) % 100000;
			ev_timer_arm(&l, &n[i].t, n[i].armed_at);
			/* fall through */
		default:
			expect++;
		}
	}
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(c.nfired, expect);
	for (i = 1; i < c.nfired; i++)
		assert_true(c.fired_deadline[i - 1] <= c.fired_deadline[i]);
	for (i = 0; i < NT; i++) {
		assert_true(n[i].fired <= 1);
		assert_false(ev_timer_armed(&n[i].t));
	}
	evloop_free(&l);
}

static void
test_timer_cancel_from_callback(void **state)
{
	struct tnode a, b, d;
	struct tnode *self_free;
	struct tctx *c = calloc(1, sizeof(*c));
	struct evloop l;
	uint64_t now;

	assert_non_null(c);
	assert_int_equal(evloop_init(&l), 0);
	c->l = &l;
	now = mtime_now();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&d, 0, sizeof(d));
	a.ctx = b.ctx = d.ctx = c;
	ev_timer_init(&a.t, tnode_cb);
	ev_timer_init(&b.t, tnode_cb);
	ev_timer_init(&d.t, tnode_cb);
	/* a runs first and cancels b, which is also due. */
	a.armed_at = now - 10;
	b.armed_at = now - 5;
	a.victim = &b;
	ev_timer_arm(&l, &a.t, a.armed_at);
	ev_timer_arm(&l, &b.t, b.armed_at);
	/* A timer that cancels itself and frees its owner in its callback. */
	self_free = calloc(1, sizeof(*self_free));
	assert_non_null(self_free);
	self_free->ctx = c;
	self_free->free_self = true;
	self_free->armed_at = now - 7;
	ev_timer_init(&self_free->t, tnode_cb);
	ev_timer_arm(&l, &self_free->t, self_free->armed_at);
	/* d runs after and cancels a timer that already fired: harmless. */
	d.armed_at = now - 1;
	d.victim = &a;
	ev_timer_arm(&l, &d.t, d.armed_at);

	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	assert_int_equal(d.fired, 1);
	assert_int_equal(c->nfired, 3);
	assert_false(ev_timer_armed(&b.t));
	evloop_free(&l);
	free(c);
}

static void
test_timer_rearm(void **state)
{
	struct tctx c;
	struct tnode a, b;
	struct evloop l;
	uint64_t now;

	assert_int_equal(evloop_init(&l), 0);
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	c.l = &l;
	a.ctx = b.ctx = &c;
	a.id = 0;
	b.id = 1;
	ev_timer_init(&a.t, tnode_cb);
	ev_timer_init(&b.t, tnode_cb);
	now = mtime_now();

	/* Arm far away, then move into the past: fires once, at the new time. */
	a.armed_at = now + MTIME_SEC(3600);
	ev_timer_arm(&l, &a.t, a.armed_at);
	b.armed_at = now - 100;
	ev_timer_arm(&l, &b.t, b.armed_at);
	a.armed_at = now - 200;
	ev_timer_arm(&l, &a.t, a.armed_at);
	assert_int_equal(a.t.deadline, now - 200);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(c.nfired, 2);
	assert_int_equal(c.fired_id[0], 0);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
	assert_ptr_equal(OWNER(&a.t, struct tnode, t), &a);

	/* Move from the past to far away: does not fire. */
	ev_timer_arm(&l, &a.t, now - 1);
	a.armed_at = now + MTIME_SEC(3600);
	ev_timer_arm(&l, &a.t, a.armed_at);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.fired, 1);
	assert_true(ev_timer_armed(&a.t));
	ev_timer_cancel(&l, &a.t);

	/*
	 * Starvation guard: a timer re-arming itself at `now` runs once per
	 * iteration, not forever within one pass.
	 */
	a.rearm_self = true;
	a.armed_at = now - 1;
	ev_timer_arm(&l, &a.t, a.armed_at);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.fired, 2);
	assert_true(ev_timer_armed(&a.t));
	assert_int_equal(a.t.deadline, evloop_now(&l) + 1);
	a.armed_at = a.t.deadline;
	/* Next iteration: the deadline has passed (or is within 1 ms); it fires once more. */
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(a.fired, 3);
	a.rearm_self = false;
	ev_timer_cancel(&l, &a.t);
	assert_false(ev_timer_armed(&a.t));
	evloop_free(&l);
}

static void
test_timer_waits_not_early(void **state)
{
	struct tctx c;
	struct tnode a;
	struct evloop l;
	uint64_t start;

	assert_int_equal(evloop_init(&l), 0);
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	c.l = &l;
	a.ctx = &c;
	ev_timer_init(&a.t, tnode_cb);
	start = mtime_now();
	/* 1.5 ms: a round-down to 1 ms would make the first pass fire nothing. */
	a.armed_at = start + 1500;
	ev_timer_arm(&l, &a.t, a.armed_at);
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	/* The callback asserts now >= deadline; one wait must have been enough. */
	assert_int_equal(a.fired, 1);
	assert_true(evloop_now(&l) >= start + 1500);

	/* max_wait_us caps the wait below a far timer; nothing fires. */
	a.armed_at = mtime_now() + MTIME_SEC(3600);
	ev_timer_arm(&l, &a.t, a.armed_at);
	start = mtime_now();
	assert_int_equal(evloop_run_once(&l, 2000), 0);
	assert_true(evloop_now(&l) >= start + 2000);
	assert_true(evloop_now(&l) < start + MTIME_SEC(60));
	assert_int_equal(a.fired, 1);

	/* evloop_free disarms what is left, so a later cancel is a no-op. */
	evloop_free(&l);
	assert_false(ev_timer_armed(&a.t));
	ev_timer_cancel(&l, &a.t);
}

/* ---- fds ---- */

struct ionode {
	struct ev_io io;
	struct evloop *l;
	int calls;
	uint32_t last_revents;
	struct ionode **peer;     /* delete and free *peer when called */
	bool del_self;
	int *order;
	int *norder;
	int tag;
};

static void
ionode_cb(struct ev_io *io, uint32_t revents, uint64_t now)
{
	struct ionode *n = OWNER(io, struct ionode, io);
	uint64_t v;

	assert_true(now == evloop_now(n->l));
	n->calls++;
	n->last_revents = revents;
	if (n->order != NULL)
		n->order[(*n->norder)++] = n->tag;
	if (revents & EPOLLIN)
		assert_int_equal(read(io->fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	if (n->peer != NULL && *n->peer != NULL) {
		ev_io_del(n->l, &(*n->peer)->io);
		close((*n->peer)->io.fd);
		free(*n->peer);
		*n->peer = NULL;
	}
	if (n->del_self)
		ev_io_del(n->l, io);
}

static int
efd_ready(void)
{
	uint64_t one = 1;
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	return fd;
}

static void
test_io_readiness(void **state)
{
	struct evloop l;
	struct ionode a;
	int fd;

	assert_int_equal(evloop_init(&l), 0);
	memset(&a, 0, sizeof(a));
	a.l = &l;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ev_io_add(&l, &a.io, fd, EPOLLIN, ionode_cb), 0);
	assert_int_equal(a.io.fd, fd);
	assert_int_equal(a.io.events, EPOLLIN);
	/* Adding the same fd twice is the kernel's EEXIST. */
	{
		struct ionode b;

		assert_int_equal(ev_io_add(&l, &b.io, fd, EPOLLIN, ionode_cb), ERR_SYS);
		assert_int_equal(errno, EEXIST);
	}
	assert_int_equal(ev_io_add(&l, &a.io, -1, EPOLLIN, ionode_cb), ERR_SYS);

	/* Not ready: nothing. */
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.calls, 0);
	/* Ready: one call with EPOLLIN (the callback drains the counter). */
	{
		uint64_t one = 1;

		assert_int_equal(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	}
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(a.calls, 1);
	assert_true(a.last_revents & EPOLLIN);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.calls, 1);
	/* An eventfd is always writable: switch to EPOLLOUT. */
	assert_int_equal(ev_io_mod(&l, &a.io, EPOLLOUT), 0);
	assert_int_equal(a.io.events, EPOLLOUT);
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.last_revents, EPOLLOUT);
	/* Deleted: no more calls; deleting twice is harmless. */
	ev_io_del(&l, &a.io);
	ev_io_del(&l, &a.io);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(ev_io_mod(&l, &a.io, EPOLLIN), ERR_SYS);
	close(fd);
	evloop_free(&l);
}

static void
test_io_delete_other_in_batch(void **state)
{
	struct evloop l;
	struct ionode *a = NULL, *b = NULL;
	int order[4], norder = 0, i;

	assert_int_equal(evloop_init(&l), 0);
	/*
	 * Both ready in the same batch; whichever runs first deletes and frees
	 * the other.  Without the scrub the loop would call through freed
	 * memory (ASan) or count a second call.
	 */
	for (i = 0; i < 2; i++) {
		struct ionode *n = calloc(1, sizeof(*n));

		assert_non_null(n);
		n->l = &l;
		n->order = order;
		n->norder = &norder;
		n->tag = i;
		assert_int_equal(ev_io_add(&l, &n->io, efd_ready(), EPOLLIN, ionode_cb), 0);
		if (i == 0)
			a = n;
		else
			b = n;
	}
	a->peer = &b;
	b->peer = &a;
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(norder, 1);
	/* Exactly one survivor, and it was the one called. */
	assert_true((a == NULL) != (b == NULL));
	if (a != NULL) {
		assert_int_equal(order[0], 0);
		assert_int_equal(a->calls, 1);
		ev_io_del(&l, &a->io);
		close(a->io.fd);
		free(a);
	} else {
		assert_int_equal(order[0], 1);
		assert_int_equal(b->calls, 1);
		ev_io_del(&l, &b->io);
		close(b->io.fd);
		free(b);
	}
	evloop_free(&l);
}

static void
test_io_delete_self_and_batch_continues(void **state)
{
	struct evloop l;
	struct ionode n[3];
	int fds[3], order[8], norder = 0, i;
	uint64_t one = 1;

	assert_int_equal(evloop_init(&l), 0);
	memset(n, 0, sizeof(n));
	for (i = 0; i < 3; i++) {
		n[i].l = &l;
		n[i].del_self = true;
		n[i].order = order;
		n[i].norder = &norder;
		n[i].tag = i;
		fds[i] = efd_ready();
		assert_int_equal(ev_io_add(&l, &n[i].io, fds[i], EPOLLIN, ionode_cb), 0);
	}
	/* Each deletes itself in its own callback; the rest still run. */
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(norder, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(n[i].calls, 1);
		assert_int_equal(write(fds[i], &one, sizeof(one)), (ssize_t)sizeof(one));
	}
	/* Ready again, but no longer watched. */
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(norder, 3);
	/* Re-adding after a self-delete works. */
	n[1].del_self = false;
	assert_int_equal(ev_io_add(&l, &n[1].io, fds[1], EPOLLIN, ionode_cb), 0);
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(n[1].calls, 2);
	ev_io_del(&l, &n[1].io);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	evloop_free(&l);
}

/* ---- before_sleep, run/stop ---- */

struct hook {
	struct evloop *l;
	int calls;
	uint64_t last_now;
	struct tnode *arm;        /* arm this (due now) from the hook, once */
};

static void
hook_fn(void *arg, uint64_t now)
{
	struct hook *h = arg;

	h->calls++;
	h->last_now = now;
	if (h->arm != NULL) {
		h->arm->armed_at = now;
		ev_timer_arm(h->l, &h->arm->t, now);
		h->arm = NULL;
	}
}

static void
test_before_sleep(void **state)
{
	struct evloop l;
	struct hook h;
	struct tctx c;
	struct tnode a;

	assert_int_equal(evloop_init(&l), 0);
	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	c.l = &l;
	a.ctx = &c;
	ev_timer_init(&a.t, tnode_cb);
	h.l = &l;
	h.arm = &a;
	evloop_set_before_sleep(&l, hook_fn, &h);
	/* The hook arms a due timer: the wait must not block, the timer fires. */
	assert_int_equal(evloop_run_once(&l, MTIME_NEVER), 0);
	assert_int_equal(h.calls, 1);
	assert_int_equal(a.fired, 1);
	assert_true(h.last_now <= evloop_now(&l));
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(h.calls, 2);
	evloop_set_before_sleep(&l, NULL, NULL);
	assert_int_equal(evloop_run_once(&l, 0), 0);
	assert_int_equal(h.calls, 2);
	evloop_free(&l);
}

struct stopper {
	struct ev_timer t;
	struct evloop *l;
	int left;
};

static void
stopper_cb(struct ev_timer *t, uint64_t now)
{
	struct stopper *s = OWNER(t, struct stopper, t);

	if (--s->left == 0)
		evloop_stop(s->l);
	else
		ev_timer_arm(s->l, t, now);   /* guarded: next iteration */
}

static void
test_run_stop(void **state)
{
	struct evloop l;
	struct stopper s;

	assert_int_equal(evloop_init(&l), 0);
	s.l = &l;
	s.left = 5;
	ev_timer_init(&s.t, stopper_cb);
	ev_timer_arm(&l, &s.t, 0);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(s.left, 0);
	assert_false(ev_timer_armed(&s.t));
	/* A stop before run makes run return without blocking forever. */
	evloop_stop(&l);
	assert_int_equal(evloop_run(&l), 0);
	evloop_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_random_order),
		cmocka_unit_test(test_timer_cancel_from_callback),
		cmocka_unit_test(test_timer_rearm),
		cmocka_unit_test(test_timer_waits_not_early),
		cmocka_unit_test(test_io_readiness),
		cmocka_unit_test(test_io_delete_other_in_batch),
		cmocka_unit_test(test_io_delete_self_and_batch_continues),
		cmocka_unit_test(test_before_sleep),
		cmocka_unit_test(test_run_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
