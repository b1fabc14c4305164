/*
 * rtnl.h - the few rtnetlink operations the server needs: link up/down and
 * MTU, interface addresses, routes.  Built on libmnl.
 *
 * Every call is a synchronous request/acknowledge: the request carries
 * NLM_F_ACK and a fresh sequence number, and the call returns once the
 * kernel's ack for that sequence number has arrived.  Kernel refusals come
 * back as ERR_SYS with errno set to the kernel's error (EEXIST, ESRCH,
 * EADDRNOTAVAIL, ENODEV, EPERM ...); the kernel's extended-ack text, when
 * it sent one, is available from rtnl_errmsg() until the next call.
 * Other returns: ERR_INVAL (bad argument, checked before anything is sent),
 * ERR_MALFORMED (the kernel's reply did not parse), ERR_NOMEM.
 *
 * Needs CAP_NET_ADMIN.  A struct rtnl is one netlink socket; it is not
 * thread-safe and is meant to live in the privileged process only.
 */
#ifndef OVPN_RTNL_H
#define OVPN_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct rtnl;

/* Open and bind a NETLINK_ROUTE socket.  0, ERR_NOMEM or ERR_SYS. */
int rtnl_open(struct rtnl **out);
/* Close the socket and free r; NULL is allowed. */
void rtnl_close(struct rtnl *r);
/* Text of the kernel's extended ack for the last failed call, or "". */
const char *rtnl_errmsg(const struct rtnl *r);

/* if_nametoindex with checks: 0, ERR_INVAL (empty/long name), ERR_SYS (ENODEV). */
int rtnl_link_index(const char *ifname, unsigned *ifindex);
/* Set the link up or down, and its MTU unless mtu is 0. */
int rtnl_link_set(struct rtnl *r, unsigned ifindex, bool up, unsigned mtu);

/*
 * Add or delete the interface address p->a with prefix length p->len
 * (host bits are the address itself, e.g. 10.8.0.1/24).  On add the kernel
 * creates the connected route for the prefix; an existing address is EEXIST.
 */
int rtnl_addr_add(struct rtnl *r, unsigned ifindex, const struct prefix *p);
int rtnl_addr_del(struct rtnl *r, unsigned ifindex, const struct prefix *p);

/*
 * Add a unicast route to dst (host bits must be zero) out of ifindex
 * (0 = let the gateway decide), optionally via gw (NULL = directly
 * connected; same family as dst).  table 0 = main.  protocol 0 =
 * RTPROT_STATIC.  An existing identical route is EEXIST.
 */
int rtnl_route_add(struct rtnl *r, const struct prefix *dst, unsigned ifindex,
    const struct addr *gw, uint32_t table, uint8_t protocol);
/* Delete the route to dst in table (0 = main), restricted to ifindex if not 0.  ESRCH if none. */
int rtnl_route_del(struct rtnl *r, const struct prefix *dst, unsigned ifindex, uint32_t table);


/* ---- routes and rules as the endpoint's own routing table needs them ---- */

/* A route as the kernel reports it (RTM_NEWROUTE), or as we ask for it. */
struct rtnl_route {
	struct prefix dst;      /* canonical; len 0 = default */
	struct addr gw;         /* RTA_GATEWAY, family 0 = none */
	unsigned oif;           /* RTA_OIF, 0 = none */
	uint32_t table;         /* RTA_TABLE when present, else rtm_table; never 0 in reports */
	uint32_t metric;        /* RTA_PRIORITY */
	uint8_t protocol;       /* RTPROT_* (RTPROT_BGP = 186 ...) */
	uint8_t type;           /* RTN_UNICAST, RTN_UNREACHABLE, RTN_BLACKHOLE, RTN_LOCAL ... */
	uint8_t scope;          /* RT_SCOPE_* */
};

/* Add rt (type RTN_UNICAST, RTN_UNREACHABLE or RTN_BLACKHOLE; table 0 =
 * main; protocol 0 = RTPROT_STATIC; scope chosen from the type and gw).
 * replace: NLM_F_REPLACE instead of NLM_F_EXCL. */
int rtnl_route_add2(struct rtnl *r, const struct rtnl_route *rt, bool replace);
/* Delete the route matching rt's dst, table, type, metric and (when not 0) oif. */
int rtnl_route_del2(struct rtnl *r, const struct rtnl_route *rt);
/* Call fn for every route of family (AF_INET, AF_INET6 or AF_UNSPEC for
 * both) in table (0 = every table).  fn returning non-zero stops the dump
 * (the rest is drained) and that value is returned. */
int rtnl_route_dump(struct rtnl *r, int family, uint32_t table,
		    int (*fn)(const struct rtnl_route *rt, void *arg), void *arg);
/* Delete every route in table (both families); how many in *n (may be NULL). */
int rtnl_route_flush_table(struct rtnl *r, uint32_t table, unsigned *n);

/* A policy routing rule: "from src lookup table" at priority. */
struct rtnl_rule {
	struct prefix src;      /* family set; len 0 = from all */
	struct prefix dst;      /* "to dst" when len > 0 (same family as src); else to all */
	uint32_t table;
	uint32_t priority;      /* FRA_PRIORITY, 0 = let the kernel choose (add only) */
};
int rtnl_rule_add(struct rtnl *r, const struct rtnl_rule *rule);
/* Delete the rule matching src, dst, table and (when not 0) priority. ENOENT if none. */
int rtnl_rule_del(struct rtnl *r, const struct rtnl_rule *rule);
/* Call fn for every rule of family (AF_INET, AF_INET6, AF_UNSPEC). */
int rtnl_rule_dump(struct rtnl *r, int family,
		   int (*fn)(const struct rtnl_rule *rule, void *arg), void *arg);

/* ---- notifications: learning routes as they appear and vanish ---- */

enum rtnl_ev_kind { RTNL_EV_ROUTE_ADD = 1, RTNL_EV_ROUTE_DEL, RTNL_EV_LINK };

struct rtnl_event {
	enum rtnl_ev_kind kind;
	struct rtnl_route route;        /* ROUTE_ADD / ROUTE_DEL */
	unsigned ifindex;               /* LINK */
	bool up;                        /* LINK: IFF_UP and IFF_RUNNING... see rtnl.c */
	bool gone;                      /* LINK: RTM_DELLINK */
	char ifname[16];                /* LINK: IFLA_IFNAME, "" if absent */
};

/* Parse one netlink message (header included) of len bytes: RTM_NEWROUTE,
 * RTM_DELROUTE, RTM_NEWLINK or RTM_DELLINK.  Pure.  0; ERR_NOTFOUND for a
 * message of another type; ERR_MALFORMED for one that does not parse
 * (truncated header or attributes, bad lengths, unknown family). */
int rtnl_parse_event(const void *msg, size_t len, struct rtnl_event *ev);

struct rtnl_mon;
enum { RTNL_MON_ROUTE4 = 1, RTNL_MON_ROUTE6 = 2, RTNL_MON_LINK = 4 };
/* A non-blocking socket subscribed to the given groups (RTNL_MON_* bits). */
int rtnl_mon_open(struct rtnl_mon **out, unsigned groups);
void rtnl_mon_close(struct rtnl_mon *m);
/* The socket, for epoll (readable when events are queued). */
int rtnl_mon_fd(const struct rtnl_mon *m);
/* Read everything queued, calling fn for each event that parses (others
 * are skipped).  0 once drained; ERR_OVERFLOW when the kernel dropped
 * notifications (ENOBUFS): the caller must resynchronise with a dump. */
int rtnl_mon_read(struct rtnl_mon *m, void (*fn)(const struct rtnl_event *ev, void *arg),
		  void *arg);

#endif
