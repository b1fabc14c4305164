/*
 * nat.h - source NAT of client traffic onto target networks, in one
 * nftables table that belongs to the endpoint (libnftables).
 *
 * The whole table is replaced in one nftables transaction, so a reload
 * never leaves a moment with half the rules, and a table left behind by a
 * crash is simply replaced at the next start.  No other table is read or
 * written.  Needs CAP_NET_ADMIN.
 */
#ifndef OVPN_NAT_H
#define OVPN_NAT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum { NAT_IFNAME_MAX = 16, NAT_TABLE_MAX = 64 };

/* Traffic from `from` leaving through `oifname` takes that interface's
 * address (masquerade: follows the address if it changes). */
struct nat_rule {
	struct prefix from;            /* IPv4 only (no NAT66) */
	char oifname[NAT_IFNAME_MAX];
};

struct nat;

/* table: the nftables table name (family ip), [A-Za-z_][A-Za-z0-9_]*.
 * 0; ERR_INVAL for a bad name; ERR_NOMEM. */
int nat_open(struct nat **out, const char *table);
void nat_close(struct nat *n);
/* Replace the table atomically with these rules (n_rules may be 0: the
 * table is then removed).  On failure the previous table stays as it was
 * and the reason from nftables is in err.  0 or ERR_SYS/ERR_INVAL. */
int nat_apply(struct nat *n, const struct nat_rule *rules, size_t n_rules, char *err,
	      size_t errlen);
/* Delete the table if it exists.  0 or ERR_SYS with err set. */
int nat_remove(struct nat *n, char *err, size_t errlen);
/* Packets and bytes the rule at index i has translated so far (from the
 * rule's counter); ERR_NOTFOUND if the table or rule is not there. */
int nat_counters(struct nat *n, size_t i, uint64_t *packets, uint64_t *bytes);

#endif
