/*
 * mtime.h - monotonic time in microseconds.
 *
 * Every timer and deadline in the program is a uint64_t count of µs on
 * CLOCK_MONOTONIC.  Pure modules never call mtime_now(): they take `now`
 * as an argument so tests can drive them with a fake clock.
 */
#ifndef OVPN_MTIME_H
#define OVPN_MTIME_H

#include <stdint.h>

#define MTIME_US_PER_SEC UINT64_C(1000000)
#define MTIME_SEC(s) ((uint64_t)(s) * MTIME_US_PER_SEC)
#define MTIME_MSEC(ms) ((uint64_t)(ms) * UINT64_C(1000))
#define MTIME_NEVER UINT64_MAX

uint64_t mtime_now(void);
/* Wall-clock unix seconds, for wire fields that need it (tls-auth replay time). */
uint64_t mtime_wall_sec(void);

#endif
