/*
 * replay.c - sliding replay window (doc §5.3, §8.4).
 *
 * State: the highest id accepted (H), when it was accepted, and a circular
 * bitmap in which id x owns bit x % REPLAY_WINDOW_MAX.  Invariant: for
 * every id in (H - REPLAY_WINDOW_MAX, H] the bit is set iff that id was
 * accepted; bits are cleared as H advances, so older ids never alias.
 * The configured window (<= REPLAY_WINDOW_MAX) then only narrows which of
 * those ids may still be accepted: H - x < window.
 *
 * Rules (as 2.6, doc §5.3): id 0 is never valid; an id above H is
 * accepted and becomes H; an id at or below H is accepted once if inside
 * the window.
 *
 * Time window, an approximation of 2.6: 2.6 time-stamps each slot of its
 * sequence list and, on a periodic reap, expires slots older than
 * --replay-window's time (15 s), so a hole in the sequence can be filled
 * only for that long.  We keep one time stamp, that of H, and accept an id
 * below H only if H was accepted at most time_window ago.  This is stricter
 * when the sender pauses (after 15 s of silence nothing late is accepted)
 * and looser while the sender keeps advancing H (a hole stays fillable for
 * as long as it is inside the packet window).  Both bound the damage of a
 * delayed replay the same way the packet window already does, and need no
 * reap timer.
 */
#include <string.h>

#include "err.h"
#include "replay.h"

static bool
bit_get(const struct replay *r, uint64_t id)
{
	uint64_t i = id % REPLAY_WINDOW_MAX;

	return (r->bits[i / 64] >> (i % 64)) & 1;
}

static void
bit_set(struct replay *r, uint64_t id)
{
	uint64_t i = id % REPLAY_WINDOW_MAX;

	r->bits[i / 64] |= UINT64_C(1) << (i % 64);
}

static void
bit_clear(struct replay *r, uint64_t id)
{
	uint64_t i = id % REPLAY_WINDOW_MAX;

	r->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

int
replay_init(struct replay *r, uint32_t window, uint64_t time_window_us)
{
	if (window < 1 || window > REPLAY_WINDOW_MAX)
		return ERR_RANGE;
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->time_window = time_window_us;
	return 0;
}

int
replay_check(const struct replay *r, uint64_t id, uint64_t now)
{
	uint64_t behind;

	/* Id 0, also as the id half of a (time << 32 | id) pair. */
	if ((uint32_t)id == 0)
		return ERR_REPLAY;
	if (id > r->highest)
		return 0;
	behind = r->highest - id;
	if (behind >= r->window)
		return ERR_REPLAY;
	if (r->time_window != 0 && now > r->highest_time &&
	    now - r->highest_time > r->time_window)
		return ERR_REPLAY;
	return bit_get(r, id) ? ERR_REPLAY : 0;
}

void
replay_update(struct replay *r, uint64_t id, uint64_t now)
{
	uint64_t x;

	if (replay_check(r, id, now) != 0)
		return;
	if (id > r->highest) {
		/* Forget the ids the window slides past (all of them on a long jump). */
		if (id - r->highest >= REPLAY_WINDOW_MAX) {
			memset(r->bits, 0, sizeof(r->bits));
		} else {
			for (x = r->highest + 1; x <= id; x++)
				bit_clear(r, x);
		}
		r->highest = id;
		r->highest_time = now;
	}
	bit_set(r, id);
}
