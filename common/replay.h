/*
 * replay.h - sliding replay window for packet ids (doc §5.3, §8.4).
 *
 * Pure and allocation-free: a fixed bitmap of REPLAY_WINDOW_MAX bits.
 * Ids are 64-bit so one type serves the data channel (32-bit ids) and
 * wrapped control packets, whose id is (time << 32 | id): a higher time is
 * a higher id, i.e. a new series, and a lower time is too old.
 *
 * Usage: replay_check() before and/or after authentication (it changes
 * nothing); replay_update() only once the packet is authenticated.
 */
#ifndef OVPN_REPLAY_H
#define OVPN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum { REPLAY_WINDOW_MAX = 1024 };

struct replay {
	uint64_t bits[REPLAY_WINDOW_MAX / 64]; /* bit of id x at x % REPLAY_WINDOW_MAX */
	uint64_t highest;        /* highest id accepted, 0 if none */
	uint64_t highest_time;   /* `now` when highest was accepted */
	uint64_t time_window;    /* µs; 0 disables the time limit */
	uint32_t window;         /* ids accepted below highest: highest - id < window */
};

/*
 * window in packets, 1..REPLAY_WINDOW_MAX, else ERR_RANGE (clamping is the
 * caller's job).  time_window_us: how long after the highest id was seen
 * lower ids are still accepted; 0 means no time limit.
 */
int replay_init(struct replay *r, uint32_t window, uint64_t time_window_us);
/*
 * 0 if id may be accepted; ERR_REPLAY if seen, too old (outside the window
 * or the time window), or id 0.  Any id whose low 32 bits are 0 is refused
 * too: that is the id 0 of a (time << 32 | id) pair.  Does not modify r.
 */
int replay_check(const struct replay *r, uint64_t id, uint64_t now);
/* Record id as seen.  Call only after replay_check() passed and the packet
   was authenticated; an id replay_check() would refuse changes nothing. */
void replay_update(struct replay *r, uint64_t id, uint64_t now);

#endif
