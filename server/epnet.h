/*
 * epnet.h - the endpoint's networks: the route table, the authorization
 * rules, and the kernel state that carries client traffic to target
 * networks (a routing table of our own with policy rules, and source NAT).
 *
 * Built from the config at start (and again on reload); it owns
 *   - the route table (rtable.h): config routes, the client CIDR (local),
 *     clients' iroutes, and routes learned from the kernel on learn-routes
 *     targets (rtnetlink notifications, kept live);
 *   - the authorization rules (authz.h) and the group names they use;
 *   - kernel state: routing table `endpoint-table` (routes for the active
 *     entries, an unreachable default), policy rules "from CLIENT-CIDR lookup
 *     TABLE" (and "to IROUTE lookup TABLE" for networks behind clients), the
 *     nftables table that masquerades clients onto `nat` targets, and
 *     net.ipv4.ip_forward (and IPv6 forwarding when clients have IPv6).
 * The host's main table and every other nftables table are never touched.
 * epnet_free() removes all of it; a start after a crash first clears what a
 * previous run left (same table id, same nftables table name).
 *
 * Without target networks or authorize rules (a plain OpenVPN server
 * config) the endpoint is "off": no kernel state, everything authorized.
 *
 * One owner thread; the per-packet calls allocate nothing.
 */
#ifndef OVPN_EPNET_H
#define OVPN_EPNET_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "authz.h"
#include "conf_server.h"
#include "push.h"
#include "rtable.h"

struct rtnl;
struct epnet;

enum { EPNET_PUSH_MAX = 256, EPNET_PUSH_LEN = 64 };

/* Everything epnet needs to know about the tunnel device. */
struct epnet_tun {
	const char *name;
	unsigned ifindex;
};

/* Build from conf and install the kernel state (unless the endpoint is
 * off).  rtnl stays the caller's; now is wall seconds (route ages).  On
 * failure the reason is logged, nothing is left installed, and a negative
 * code is returned. */
int epnet_new(const struct server_conf *conf, const struct epnet_tun *tun, struct rtnl *rtnl,
	      uint64_t now, struct epnet **out);
/* Remove the kernel state and free everything.  NULL is allowed. */
void epnet_free(struct epnet *n);
/* Reload: rebuild routes and rules from a new config, keep learned and
 * client routes, carry rule counters, and replace kernel state in place.
 * On failure the old state stays in force. */
int epnet_reload(struct epnet *n, const struct server_conf *conf, uint64_t now);

bool epnet_on(const struct epnet *n);
/* The rtnetlink notification socket (learn-routes), or -1 if none. */
int epnet_mon_fd(const struct epnet *n);
/* Drain notifications: learned routes enter and leave the table. */
void epnet_mon_ready(struct epnet *n, uint64_t now);

/* A client's group membership from group names (unknown names are ignored). */
uint64_t epnet_groups(const struct epnet *n, const char *const *names, unsigned count);
/* Per packet from a client: may a client with `groups` send to dst?  Counts
 * the rule hit.  Always true when the endpoint is off. */
bool epnet_allow(struct epnet *n, uint64_t groups, const struct addr *dst);
/* The client (peer id) behind which dst lives (its iroutes), if any. */
bool epnet_client_for(const struct epnet *n, const struct addr *dst, uint32_t *peer_id);

/* A client's iroutes enter the table (and the kernel: "to P lookup TABLE").
 * A prefix another client already holds is refused (logged, skipped). */
int epnet_client_add(struct epnet *n, uint32_t peer_id, const char *cn,
		     const struct prefix *iroutes, unsigned count, uint64_t now);
void epnet_client_del(struct epnet *n, uint32_t peer_id);

/* Fill in->ep_push for a client: the routes it is authorized for (split
 * tunnel), or redirect-gateway def1 (full tunnel), and the DNS servers.
 * The strings live in n until the next call. */
void epnet_push(struct epnet *n, uint64_t groups, bool has6, struct push_input *in);

/* Add one more option to what epnet_push gave (same lifetime). */
void epnet_push_append(struct epnet *n, const char *opt, struct push_input *in);

/* For the management socket. */
const struct rtable *epnet_rtable(const struct epnet *n);
const struct authz *epnet_authz(const struct epnet *n);
/* Name of target network i ("" if none). */
const char *epnet_target_name(const struct epnet *n, unsigned i);

#endif
