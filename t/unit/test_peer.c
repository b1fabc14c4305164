/*
 * test_peer.c - the peer tables: lowest-free peer-ids (2.6's assignment),
 * max-clients, lookup by outer address and port in both families, float
 * (re-indexing under a new address), and a random add/delete sequence
 * checked against a linear scan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <cmocka.h>

#include "err.h"
#include "peer.h"

static struct sockaddr_in
v4(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return s;
}

static struct peer *
mk(struct peer_table *t, const struct sockaddr_in *sa)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	peer_set_remote(p, (const struct sockaddr *)sa, sizeof(*sa));
	return p;
}

static void
test_ids_and_lookup(void **state)
{
	struct peer_table t;
	struct sockaddr_in a = v4("192.0.2.2", 1000), b = v4("192.0.2.2", 1001),
			   c = v4("192.0.2.3", 1000);
	struct peer *pa, *pb, *pc, *pd;

	assert_int_equal(peer_table_init(&t, 3), 0);
	pa = mk(&t, &a);
	pb = mk(&t, &b);
	pc = mk(&t, &c);
	assert_int_equal(peer_table_add(&t, pa), 0);
	assert_int_equal(peer_table_add(&t, pb), 0);
	assert_int_equal(peer_table_add(&t, pc), 0);
	assert_int_equal(pa->id, 0);
	assert_int_equal(pb->id, 1);
	assert_int_equal(pc->id, 2);
	assert_string_equal(pb->sa_str, "192.0.2.2:1001");

	/* same address, different port: different peers */
	assert_ptr_equal(peer_by_addr(&t, (struct sockaddr *)&a, sizeof(a)), pa);
	assert_ptr_equal(peer_by_addr(&t, (struct sockaddr *)&b, sizeof(b)), pb);
	assert_ptr_equal(peer_by_id(&t, 2), pc);
	assert_null(peer_by_id(&t, 3));
	assert_null(peer_by_id(&t, 0xFFFFFF));

	/* full */
	pd = mk(&t, &a);
	assert_int_equal(peer_table_add(&t, pd), ERR_FULL);

	/* the lowest free id is reused */
	peer_table_del(&t, pb);
	assert_null(peer_by_addr(&t, (struct sockaddr *)&b, sizeof(b)));
	assert_null(peer_by_id(&t, 1));
	peer_set_remote(pd, (struct sockaddr *)&b, sizeof(b));
	assert_int_equal(peer_table_add(&t, pd), 0);
	assert_int_equal(pd->id, 1);
	assert_int_equal(t.count, 3);

	/* deleting twice is harmless */
	peer_table_del(&t, pb);
	assert_int_equal(t.count, 3);
	peer_free(pb);

	/* float: found under the new address only */
	{
		struct sockaddr_in n = v4("198.51.100.9", 4242);

		peer_table_move(&t, pa, (struct sockaddr *)&n, sizeof(n));
		assert_null(peer_by_addr(&t, (struct sockaddr *)&a, sizeof(a)));
		assert_ptr_equal(peer_by_addr(&t, (struct sockaddr *)&n, sizeof(n)), pa);
		assert_string_equal(pa->sa_str, "198.51.100.9:4242");
		assert_ptr_equal(peer_by_id(&t, 0), pa);
	}
	peer_table_del(&t, pa);
	peer_table_del(&t, pc);
	peer_table_del(&t, pd);
	assert_int_equal(t.count, 0);
	peer_free(pa);
	peer_free(pc);
	peer_free(pd);
	peer_table_free(&t);
}

static void
test_ipv6(void **state)
{
	struct peer_table t;
	struct sockaddr_in6 s;
	struct peer *p;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(1194);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &s.sin6_addr), 1);
	assert_int_equal(peer_table_init(&t, 8), 0);
	p = peer_new();
	peer_set_remote(p, (struct sockaddr *)&s, sizeof(s));
	assert_int_equal(peer_table_add(&t, p), 0);
	assert_ptr_equal(peer_by_addr(&t, (struct sockaddr *)&s, sizeof(s)), p);
	s.sin6_port = htons(1195);
	assert_null(peer_by_addr(&t, (struct sockaddr *)&s, sizeof(s)));
	assert_string_equal(p->sa_str, "[2001:db8::2]:1194");
	peer_table_del(&t, p);
	peer_free(p);
	peer_table_free(&t);
}

/* Random adds and deletes; every lookup agrees with a linear scan. */
static void
test_against_scan(void **state)
{
	enum { MAX = 200, STEPS = 5000 };
	struct peer_table t;
	struct peer *live[MAX];
	struct sockaddr_in sa;
	unsigned n = 0, i, step;

	srand(11);
	assert_int_equal(peer_table_init(&t, MAX), 0);
	for (step = 0; step < STEPS; step++) {
		if (n < MAX && (n == 0 || rand() % 2)) {
			char ip[32];

			snprintf(ip, sizeof(ip), "10.%d.%d.%d", rand() % 4, rand() % 4, rand() % 250 + 1);
			sa = v4(ip, (uint16_t)(rand() % 4 + 1000));
			if (peer_by_addr(&t, (struct sockaddr *)&sa, sizeof(sa)) != NULL)
				continue;
			live[n] = mk(&t, &sa);
			assert_int_equal(peer_table_add(&t, live[n]), 0);
			n++;
		} else {
			i = (unsigned)rand() % n;
			peer_table_del(&t, live[i]);
			peer_free(live[i]);
			live[i] = live[--n];
		}
		assert_int_equal(t.count, n);
		for (i = 0; i < n; i++) {
			assert_ptr_equal(peer_by_id(&t, live[i]->id), live[i]);
			assert_ptr_equal(peer_by_addr(&t, (struct sockaddr *)&live[i]->sa,
			    live[i]->salen), live[i]);
		}
	}
	for (i = 0; i < n; i++) {
		peer_table_del(&t, live[i]);
		peer_free(live[i]);
	}
	peer_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_lookup),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_against_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
