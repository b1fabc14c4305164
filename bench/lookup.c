/*
 * bench/lookup.c - the per-packet cost the endpoint adds: one authorization
 * check (authz_check: a longest-prefix walk over the rules) and one route
 * lookup (rt_lookup, used for TUN packets to networks behind clients), with
 * realistic table sizes.  Build and run: sh bench/lookup.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "authz.h"
#include "rtable.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000, i, iters = 5000000;
	struct authz *az = authz_new();
	struct rtable *rt = rt_new();
	struct addr *dst = malloc(4096 * sizeof(*dst));
	uint64_t seed = 12345, allowed = 0;
	char name[32];
	double t0, t1;

	for (i = 0; i < n; i++) {
		struct prefix p;
		struct rt_entry e;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(&p, 0, sizeof(p));
		addr_from_v4(0x0a000000u | (uint32_t)(seed >> 40), &p.a);
		p.len = (uint8_t)(16 + (seed >> 20) % 13);
		prefix_canon(&p);
		snprintf(name, sizeof(name), "g%u", i % 40);
		authz_add(az, &p, i % 3 ? name : NULL, i % 7 == 0, "");
		memset(&e, 0, sizeof(e));
		e.dst = p;
		e.origin = RT_ORIGIN_CONFIG;
		rt_add(rt, &e);
	}
	for (i = 0; i < 4096; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		addr_from_v4(0x0a000000u | (uint32_t)(seed >> 40), &dst[i]);
	}
	t0 = now_s();
	for (i = 0; i < iters; i++)
		allowed += authz_check(az, 0x5, &dst[i & 4095], NULL) == AUTHZ_ALLOW;
	t1 = now_s();
	printf("authz_check: %u rules, %.0f ns per packet (%llu allowed)\n", n,
	    (t1 - t0) / iters * 1e9, (unsigned long long)allowed);
	t0 = now_s();
	for (i = 0; i < iters; i++)
		allowed += rt_lookup(rt, &dst[i & 4095]) != NULL;
	t1 = now_s();
	printf("rt_lookup:   %zu routes, %.0f ns per packet\n", rt_count(rt), (t1 - t0) / iters * 1e9);
	authz_free(az);
	rt_free(rt);
	free(dst);
	return 0;
}
