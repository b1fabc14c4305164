/*
 * mtime.c - clock reads.  CLOCK_MONOTONIC cannot fail on Linux with a valid
 * pointer, so the return value of clock_gettime is not checked.
 */
#include <time.h>

#include "mtime.h"

uint64_t
mtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MTIME_US_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
mtime_wall_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}
