/*
 * test_nat.c - the endpoint's nftables table: replaced whole and atomically,
 * never touching another table, with counters readable per rule.
 *
 * Needs root.  main() moves the process into a fresh network namespace
 * before anything else (nftables rulesets are per namespace), so the host's
 * ruleset is never read or written.  Without root the test is skipped (77),
 * except under CI=true, where a skip would hide a broken runner.  The view
 * of the kernel state used for checking is the nft command-line tool, which
 * is independent of the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "addr.h"
#include "err.h"
#include "nat.h"

#define IF0 "nat0"      /* veth pair made inside the namespace */
#define IF1 "nat1"

/* Output of `nft list table ip NAME` into out; returns nft's exit status
 * (0 when the table exists). */
static int
list_table(const char *family, const char *name, char *out, size_t cap)
{
	char cmd[160];
	size_t n = 0, r;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "nft list table %s %s 2>/dev/null", family, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < cap && (r = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
count_of(const char *hay, const char *needle)
{
	int c = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		c++;
		p += strlen(needle);
	}
	return c;
}

static void
rule(struct nat_rule *r, const char *pfx, const char *ifname)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(prefix_parse(pfx, true, &r->from), 0);
	snprintf(r->oifname, sizeof(r->oifname), "%s", ifname);
}

static char other_before[4096];

/* ---- tests ---- */

static void
test_bad_table_names(void **state)
{
	static const char *bad[] = {
		"", "1abc", "a-b", "a b", "a;b", "a\"b", "a\nb", "tabl\xc3\xa9",
		"counter", "ip", "table",   /* nft keywords: only a dry run spots them */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	};
	struct nat *n = (struct nat *)1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nat_open(&n, bad[i]), ERR_INVAL);
		assert_null(n);
	}
	assert_int_equal(nat_open(&n, NULL), ERR_INVAL);
	/* 63 characters is the longest accepted */
	assert_int_equal(nat_open(&n,
	    "_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa9"), 0);
	assert_non_null(n);
	nat_close(n);
	nat_close(NULL);
}

static void
test_apply_replace_remove(void **state)
{
	struct nat *n;
	struct nat_rule r[2];
	char out[4096], err[256];

	(void)state;
	assert_int_equal(nat_open(&n, "ovpn_t1"), 0);
	assert_int_not_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);

	/* host bits in the source are dropped, as nft would refuse them */
	rule(&r[0], "10.8.0.5/24", IF0);
	rule(&r[1], "10.9.0.0/16", IF1);
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "type nat hook postrouting priority srcnat; policy accept;"));
	assert_non_null(strstr(out, "ip saddr 10.8.0.0/24 oifname \"" IF0 "\" counter packets 0 bytes 0 masquerade comment \"r0\""));
	assert_non_null(strstr(out, "ip saddr 10.9.0.0/16 oifname \"" IF1 "\" counter packets 0 bytes 0 masquerade comment \"r1\""));
	assert_int_equal(count_of(out, "masquerade"), 2);
	/* in order */
	assert_true(strstr(out, "10.8.0.0/24") < strstr(out, "10.9.0.0/16"));

	/* re-apply with one rule: replaced, not appended */
	rule(&r[0], "10.10.0.0/24", IF1);
	assert_int_equal(nat_apply(n, r, 1, err, sizeof(err)), 0);
	assert_int_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	assert_int_equal(count_of(out, "masquerade"), 1);
	assert_non_null(strstr(out, "ip saddr 10.10.0.0/24 oifname \"" IF1 "\""));
	assert_null(strstr(out, "10.8.0.0"));
	assert_int_equal(count_of(out, "chain postrouting"), 1);

	/* applying the same set twice is fine */
	assert_int_equal(nat_apply(n, r, 1, err, sizeof(err)), 0);
	assert_int_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	assert_int_equal(count_of(out, "masquerade"), 1);

	assert_int_equal(nat_remove(n, err, sizeof(err)), 0);
	assert_int_not_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	/* removing what is not there is not an error */
	assert_int_equal(nat_remove(n, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* zero rules means "no table" */
	assert_int_equal(nat_apply(n, r, 1, err, sizeof(err)), 0);
	assert_int_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	assert_int_equal(nat_apply(n, NULL, 0, err, sizeof(err)), 0);
	assert_int_not_equal(list_table("ip", "ovpn_t1", out, sizeof(out)), 0);
	nat_close(n);
}

static void
test_bad_rules_keep_previous(void **state)
{
	static const char *bad_if[] = {
		"", "a\"b", "a\\b", "a b", "a\tb", "a\nb", "a/b", "a:b", ".", "..",
		"\xc3\xa9th0", "abcdefghijklmnop", /* 16: no room for NUL in the kernel */
	};
	struct nat *n;
	struct nat_rule r[2];
	char before[4096], out[4096], err[256];
	size_t i;

	(void)state;
	assert_int_equal(nat_open(&n, "ovpn_t2"), 0);
	rule(&r[0], "10.8.0.0/24", IF0);
	rule(&r[1], "10.9.0.0/24", IF0);
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), 0);
	assert_int_equal(list_table("ip", "ovpn_t2", before, sizeof(before)), 0);

	for (i = 0; i < sizeof(bad_if) / sizeof(bad_if[0]); i++) {
		rule(&r[1], "10.9.0.0/24", IF0);
		/* not NUL terminated within the array for the 16-byte case */
		memcpy(r[1].oifname, bad_if[i], strlen(bad_if[i]) < NAT_IFNAME_MAX ?
		    strlen(bad_if[i]) + 1 : NAT_IFNAME_MAX);
		err[0] = 'x';
		err[1] = '\0';
		assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), ERR_INVAL);
		assert_string_not_equal(err, "");
		assert_string_not_equal(err, "x");
		assert_int_equal(list_table("ip", "ovpn_t2", out, sizeof(out)), 0);
		assert_string_equal(out, before);
	}

	/* IPv6 source: no NAT66 */
	rule(&r[1], "fd00::/64", IF0);
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), ERR_INVAL);
	assert_int_equal(list_table("ip", "ovpn_t2", out, sizeof(out)), 0);
	assert_string_equal(out, before);

	/* A NULL err buffer is allowed */
	assert_int_equal(nat_apply(n, r, 2, NULL, 0), ERR_INVAL);

	/* The longest legal name (15) goes through */
	rule(&r[1], "10.9.0.0/24", "abcdefghijklmno");
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), 0);
	assert_int_equal(list_table("ip", "ovpn_t2", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "oifname \"abcdefghijklmno\""));

	assert_int_equal(nat_remove(n, err, sizeof(err)), 0);
	nat_close(n);
}

/*
 * A failure inside nftables (not our validation): a table with the same
 * name created with `flags owner` by another netlink socket cannot be
 * deleted by us.  The whole batch must fail, nft's text must reach err,
 * and the other table must be exactly as before.
 */
static void
test_nft_failure_reported(void **state)
{
	struct nft_ctx *owner;
	struct nat *n;
	struct nat_rule r[1];
	char before[4096], out[4096], err[512];
	uint64_t pk, by;

	(void)state;
	owner = nft_ctx_new(NFT_CTX_DEFAULT);
	assert_non_null(owner);
	assert_int_equal(nft_ctx_buffer_output(owner), 0);
	assert_int_equal(nft_ctx_buffer_error(owner), 0);
	assert_int_equal(nft_run_cmd_from_buffer(owner,
	    "table ip ovpn_t3 {\n flags owner\n chain c {\n counter comment \"r0\"\n }\n}\n"), 0);
	assert_int_equal(list_table("ip", "ovpn_t3", before, sizeof(before)), 0);

	assert_int_equal(nat_open(&n, "ovpn_t3"), 0);
	rule(&r[0], "10.8.0.0/24", IF0);
	assert_int_equal(nat_apply(n, r, 1, err, sizeof(err)), ERR_SYS);
	assert_non_null(strstr(err, "Operation not permitted"));
	/* trimmed, one line */
	assert_null(strchr(err, '\n'));
	assert_true(err[strlen(err) - 1] != ' ');
	assert_int_equal(nat_remove(n, err, sizeof(err)), ERR_SYS);
	assert_int_equal(list_table("ip", "ovpn_t3", out, sizeof(out)), 0);
	assert_string_equal(out, before);
	/* no postrouting chain there: not found, not a crash */
	assert_int_equal(nat_counters(n, 0, &pk, &by), ERR_NOTFOUND);
	nat_close(n);

	/* the owner's socket closing takes its table with it */
	nft_ctx_free(owner);
	assert_int_not_equal(list_table("ip", "ovpn_t3", out, sizeof(out)), 0);
}

static void
test_counters(void **state)
{
	struct nat *n;
	struct nat_rule r[2];
	struct sockaddr_in src, dst;
	char err[256];
	uint64_t pk = 99, by = 99;
	static const char payload[10] = "0123456789";
	int s;

	(void)state;
	assert_int_equal(nat_open(&n, "ovpn_t4"), 0);
	assert_int_equal(nat_counters(n, 0, &pk, &by), ERR_NOTFOUND);
	assert_true(pk == 99 && by == 99);

	rule(&r[0], "10.9.0.0/24", IF0);    /* does not match our packet */
	rule(&r[1], "10.8.0.0/24", IF0);
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), 0);
	assert_int_equal(nat_counters(n, 0, &pk, &by), 0);
	assert_true(pk == 0 && by == 0);
	pk = by = 99;
	assert_int_equal(nat_counters(n, 1, &pk, &by), 0);
	assert_true(pk == 0 && by == 0);
	assert_int_equal(nat_counters(n, 2, &pk, &by), ERR_NOTFOUND);
	assert_int_equal(nat_counters(n, SIZE_MAX, &pk, &by), ERR_NOTFOUND);

	/*
	 * One UDP datagram from 10.8.0.1 (on lo) routed out IF0: the nat
	 * postrouting hook runs inside sendto(), so the counter has moved by
	 * the time it returns.  28 = IPv4 + UDP headers.
	 */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	inet_pton(AF_INET, "10.8.0.1", &src.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&src, sizeof(src)), 0);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons(9);
	inet_pton(AF_INET, "198.51.100.1", &dst.sin_addr);
	assert_int_equal(sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&dst,
	    sizeof(dst)), (ssize_t)sizeof(payload));
	close(s);

	assert_int_equal(nat_counters(n, 1, &pk, &by), 0);
	assert_true(pk == 1);
	assert_true(by == 28 + sizeof(payload));
	assert_int_equal(nat_counters(n, 0, &pk, &by), 0);
	assert_true(pk == 0 && by == 0);

	/* a re-apply is a new table: counters restart */
	assert_int_equal(nat_apply(n, r, 2, err, sizeof(err)), 0);
	assert_int_equal(nat_counters(n, 1, &pk, &by), 0);
	assert_true(pk == 0 && by == 0);

	assert_int_equal(nat_remove(n, err, sizeof(err)), 0);
	assert_int_equal(nat_counters(n, 0, &pk, &by), ERR_NOTFOUND);
	nat_close(n);
}

/* Runs last: everything above left `table inet other` exactly as it was. */
static void
test_other_table_untouched(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(list_table("inet", "other", out, sizeof(out)), 0);
	assert_string_equal(out, other_before);
	assert_non_null(strstr(out, "comment \"keep me\""));
}

/* ---- namespace ---- */

static int
sh(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "setup command failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

static int
netns_setup(char *why, size_t cap)
{
	FILE *p;
	size_t n;

	/* Before any nft call: from here on only the private ruleset exists.
	 * The rule in `other` matches a mark nothing sets, so its counter
	 * stays put and the listing can be compared byte for byte. */
	if (unshare(CLONE_NEWNET) != 0) {
		snprintf(why, cap, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return -1;
	}
	if (sh("ip link set lo up") != 0 ||
	    sh("ip link add " IF0 " type veth peer name " IF1) != 0 ||
	    sh("ip link set " IF0 " up && ip link set " IF1 " up") != 0 ||
	    sh("ip addr add 192.0.2.1/24 dev " IF0) != 0 ||
	    sh("ip addr add 10.8.0.1/32 dev lo") != 0 ||
	    sh("ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev " IF0) != 0 ||
	    sh("ip route add 198.51.100.0/24 via 192.0.2.2 dev " IF0) != 0 ||
	    sh("nft 'add table inet other; add chain inet other c { type filter hook "
	       "output priority 0; policy accept; }; add rule inet other c meta mark 0x1234 "
	       "counter comment \"keep me\"'") != 0) {
		snprintf(why, cap, "network namespace setup failed");
		return -1;
	}
	p = popen("nft list table inet other", "r");
	if (p == NULL) {
		snprintf(why, cap, "popen nft failed");
		return -1;
	}
	n = fread(other_before, 1, sizeof(other_before) - 1, p);
	other_before[n] = '\0';
	pclose(p);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_table_names),
		cmocka_unit_test(test_apply_replace_remove),
		cmocka_unit_test(test_bad_rules_keep_previous),
		cmocka_unit_test(test_nft_failure_reported),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_other_table_untouched),
	};
	const char *ci = getenv("CI");
	bool in_ci = ci != NULL && strcmp(ci, "true") == 0;
	char why[128];

	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "not root");
		goto noenv;
	}
	if (netns_setup(why, sizeof(why)) != 0)
		goto noenv;
	return cmocka_run_group_tests(tests, NULL, NULL);
noenv:
	if (in_ci) {
		fprintf(stderr, "test_nat: CI=true but cannot run: %s\n", why);
		return 1;
	}
	fprintf(stderr, "test_nat: skipped: %s\n", why);
	return 77;
}
