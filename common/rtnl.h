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

#endif
