/*
 * rtnl.c - rtnetlink requests through libmnl.
 *
 * Each operation builds one request in a stack buffer with libmnl's bounded
 * attribute writers, sends it with NLM_F_REQUEST | NLM_F_ACK and a fresh
 * sequence number, then reads until the NLMSG_ERROR carrying that sequence
 * number and our port id arrives (error 0 is the ack).  Anything else in
 * the socket (a reply to an older request that was abandoned) is skipped.
 *
 * Replies are only trusted after checks: the datagram must come from the
 * kernel (nl_pid 0) and not be truncated; messages are walked with
 * mnl_nlmsg_ok/mnl_nlmsg_next, which validate each header length against
 * what is left; the nlmsgerr payload length is checked before it is read;
 * and extended-ack attributes are walked with mnl_attr_parse and checked
 * with mnl_attr_validate before use.
 *
 * NETLINK_CAP_ACK keeps acks small (the kernel does not echo the request)
 * and NETLINK_EXT_ACK asks for the kernel's error text; both are optional
 * (older kernels refuse the setsockopt, and the code copes with either).
 *
 * Dumps (routes, rules) send NLM_F_DUMP without NLM_F_ACK and read the
 * multi-part reply up to the NLMSG_DONE of our sequence number; the whole
 * reply is always drained, even when the caller's callback stops early or
 * a message does not parse, so the next request starts on a clean socket.
 * A dump with AF_UNSPEC is done as one dump per family, so multicast
 * (IPMR) and other families never show up.  Filtering by table is done
 * here, not by the kernel (strict dump filtering is optional in kernels).
 *
 * Kernel messages (dump replies and notifications) go through one parser
 * per message kind.  Attributes are walked with mnl_attr_parse, which stops
 * silently at an attribute that does not fit; so the walk also counts the
 * bytes it visited, and a message with bytes left over (a truncated or
 * overlong last attribute) is refused; so is a message whose length is not
 * a multiple of 4 (libmnl would read into the padding after it).  Every
 * attribute we read is checked for its exact size (mnl_attr_validate and
 * validate2); attribute types above what our headers know are skipped, for
 * newer kernels.  A parse fills the caller's struct only on success.
 *
 * Notifications (struct rtnl_mon): a separate non-blocking socket bound to
 * the legacy RTMGRP_* groups.  Limits the caller must know:
 *  - When a device goes down, the kernel drops its IPv4 routes without
 *    sending RTM_DELROUTE for each (only IPv6 reports them); the LINK event
 *    with up = false is the signal to forget routes through that device.
 *  - A link counts as up only with IFF_UP and IFF_RUNNING.  IFF_RUNNING is
 *    the kernel's operational state (carrier present, not dormant), so
 *    both `ip link set down` and carrier loss (a veth whose peer went down,
 *    an unplugged cable) read as down.
 *  - Only AF_UNSPEC link messages are link events: the bridge sends
 *    AF_BRIDGE RTM_DELLINK when a port leaves a bridge, while the device
 *    itself lives on.  Cloned (cached) routes are not FIB routes and are
 *    not reported either; both come back as ERR_NOTFOUND.
 *  - When the socket's buffer overflows (ENOBUFS) or a datagram does not
 *    fit ours, events were lost: the queue is discarded and ERR_OVERFLOW
 *    returned, so that the caller's resynchronising dump is newer than
 *    anything it reads afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "err.h"
#include "rtnl.h"

enum {
	RTNL_RX_BUF = 8192,   /* libmnl's MNL_SOCKET_BUFFER_SIZE upper bound */
	RTNL_TX_BUF = 512,    /* largest request: rtmsg + 4 attributes */
	RTNL_MSG_MAX = 160,   /* kept extended-ack text */
	RTNL_MON_BUF = 65536, /* a notification is one message per datagram; links can be large */
	RTNL_MON_RCVBUF = 1 << 20,
	RTNL_FLUSH_PASSES = 8,
};

struct rtnl {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	char msg[RTNL_MSG_MAX];
	/* Aligned for struct nlmsghdr. */
	union {
		struct nlmsghdr align;
		uint8_t b[RTNL_RX_BUF];
	} rx;
};

/* Stack buffer for one request, aligned for struct nlmsghdr. */
union txbuf {
	struct nlmsghdr align;
	uint8_t b[RTNL_TX_BUF];
};

int
rtnl_open(struct rtnl **out)
{
	struct rtnl *r;
	int one = 1, saved;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ERR_NOMEM;
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (r->nl == NULL)
		goto fail;
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	(void)mnl_socket_setsockopt(r->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(r->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	r->portid = mnl_socket_get_portid(r->nl);
	*out = r;
	return 0;
fail:
	saved = errno;
	rtnl_close(r);
	errno = saved;
	return ERR_SYS;
}

void
rtnl_close(struct rtnl *r)
{
	if (r == NULL)
		return;
	if (r->nl != NULL)
		mnl_socket_close(r->nl);
	free(r);
}

const char *
rtnl_errmsg(const struct rtnl *r)
{
	return r->msg;
}

/* ---- reply parsing ---- */

static int
ext_ack_attr(const struct nlattr *attr, void *data)
{
	struct rtnl *r = data;
	const char *s;
	size_t n;

	if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;   /* a bad string only costs us the text */
	s = mnl_attr_get_str(attr);
	n = strnlen(s, sizeof(r->msg) - 1);
	memcpy(r->msg, s, n);
	r->msg[n] = '\0';
	return MNL_CB_OK;
}

/*
 * NLMSG_ERROR for our request: 0 if it is an ack, ERR_SYS with errno for a
 * kernel error, ERR_MALFORMED if the message is too short or nonsensical.
 */
static int
handle_error_msg(struct rtnl *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	size_t plen = mnl_nlmsg_get_payload_len(nlh), off;

	if (plen < sizeof(*e))
		return ERR_MALFORMED;
	e = mnl_nlmsg_get_payload(nlh);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
		/* The TLVs follow nlmsgerr and, unless capped, the echoed request body. */
		off = sizeof(*e);
		if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr) ||
			    e->msg.nlmsg_len - sizeof(struct nlmsghdr) > plen - off)
				off = SIZE_MAX;
			else
				off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		}
		if (off != SIZE_MAX && MNL_ALIGN(off) < plen)
			(void)mnl_attr_parse(nlh, (unsigned)MNL_ALIGN(off), ext_ack_attr, r);
	}
	if (e->error == 0)
		return 0;
	if (e->error > 0 || e->error < -4095)
		return ERR_MALFORMED;
	errno = -e->error;
	return ERR_SYS;
}

/* Receive one datagram, which must come from the kernel and fit. */
static int
recv_kernel(struct rtnl *r, size_t *len)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = r->rx.b, .iov_len = sizeof(r->rx.b) };
	struct msghdr mh = {
		.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		n = recvmsg(mnl_socket_get_fd(r->nl), &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYS;
		if ((mh.msg_flags & MSG_TRUNC) != 0 || mh.msg_namelen != sizeof(sa))
			return ERR_MALFORMED;
		/* Another privileged process could unicast to our port id. */
		if (sa.nl_pid != 0)
			continue;
		*len = (size_t)n;
		return 0;
	}
}

/* Send nlh and wait for its ack.  0, ERR_SYS (errno), ERR_MALFORMED. */
static int
transact(struct rtnl *r, struct nlmsghdr *nlh)
{
	const struct nlmsghdr *m;
	size_t len;
	int left, rc;

	r->msg[0] = '\0';
	if (++r->seq == 0)
		r->seq = 1;   /* kernel notifications carry seq 0; never look like one */
	nlh->nlmsg_seq = r->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return ERR_SYS;
	for (;;) {
		if ((rc = recv_kernel(r, &len)) != 0)
			return rc;
		if (len > INT_MAX)
			return ERR_MALFORMED;
		left = (int)len;
		for (m = (const struct nlmsghdr *)r->rx.b; mnl_nlmsg_ok(m, left);
		    m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != r->seq || !mnl_nlmsg_portid_ok(m, r->portid))
				continue;   /* stale */
			if (m->nlmsg_type == NLMSG_ERROR)
				return handle_error_msg(r, m);
			/* Anything else for our seq (we never ask for data) is ignored. */
		}
	}
}

/* ---- requests ---- */

static bool
prefix_ok(const struct prefix *p)
{
	return (p->a.family == AF_INET || p->a.family == AF_INET6) &&
	    p->len <= addr_bits(&p->a);
}

/* Host bits zero: the kernel refuses them too, with a less helpful EINVAL. */
static bool
prefix_is_canon(const struct prefix *p)
{
	struct prefix canon = *p;

	prefix_canon(&canon);
	return addr_eq(&canon.a, &p->a);
}

static bool
ifindex_ok(unsigned ifindex)
{
	return ifindex != 0 && ifindex <= INT_MAX;
}

int
rtnl_link_index(const char *ifname, unsigned *ifindex)
{
	size_t n;
	unsigned idx;

	if (ifname == NULL)
		return ERR_INVAL;
	n = strnlen(ifname, IFNAMSIZ);
	if (n == 0 || n >= IFNAMSIZ)
		return ERR_INVAL;
	if ((idx = if_nametoindex(ifname)) == 0)
		return ERR_SYS;
	*ifindex = idx;
	return 0;
}

int
rtnl_link_set(struct rtnl *r, unsigned ifindex, bool up, unsigned mtu)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (!ifindex_ok(ifindex))
		return ERR_INVAL;
	memset(&tx, 0, sizeof(tx));
	nlh = mnl_nlmsg_put_header(tx.b);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0 && !mnl_attr_put_u32_check(nlh, sizeof(tx), IFLA_MTU, mtu))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

static int
addr_req(struct rtnl *r, uint16_t type, uint16_t flags, unsigned ifindex, const struct prefix *p)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen = addr_bits(&p->a) / 8;

	if (!ifindex_ok(ifindex) || !prefix_ok(p))
		return ERR_INVAL;
	memset(&tx, 0, sizeof(tx));
	nlh = mnl_nlmsg_put_header(tx.b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->a.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* LOCAL and ADDRESS equal: a plain (not point-to-point) address, as `ip addr` sends. */
	if (!mnl_attr_put_check(nlh, sizeof(tx), IFA_LOCAL, alen, p->a.b) ||
	    !mnl_attr_put_check(nlh, sizeof(tx), IFA_ADDRESS, alen, p->a.b))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

int
rtnl_addr_add(struct rtnl *r, unsigned ifindex, const struct prefix *p)
{
	return addr_req(r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, p);
}

int
rtnl_addr_del(struct rtnl *r, unsigned ifindex, const struct prefix *p)
{
	return addr_req(r, RTM_DELADDR, 0, ifindex, p);
}

/* Common part of route add/del: header, table, destination, oif. */
static int
route_req(union txbuf *tx, struct nlmsghdr **out, uint16_t type, uint16_t flags,
    const struct prefix *dst, unsigned ifindex, uint32_t table)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!prefix_ok(dst) || !prefix_is_canon(dst) || ifindex > INT_MAX)
		return ERR_INVAL;
	if (table == 0)
		table = RT_TABLE_MAIN;
	memset(tx, 0, sizeof(*tx));
	nlh = mnl_nlmsg_put_header(tx->b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->a.family;
	rtm->rtm_dst_len = dst->len;
	/* Tables above 255 only fit the attribute; send it always. */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	if (!mnl_attr_put_u32_check(nlh, sizeof(*tx), RTA_TABLE, table))
		return ERR_OVERFLOW;
	if (dst->len > 0 && !mnl_attr_put_check(nlh, sizeof(*tx), RTA_DST,
	    addr_bits(&dst->a) / 8, dst->a.b))
		return ERR_OVERFLOW;
	if (ifindex != 0 && !mnl_attr_put_u32_check(nlh, sizeof(*tx), RTA_OIF, ifindex))
		return ERR_OVERFLOW;
	*out = nlh;
	return 0;
}

int
rtnl_route_add(struct rtnl *r, const struct prefix *dst, unsigned ifindex,
    const struct addr *gw, uint32_t table, uint8_t protocol)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int rc;

	if (ifindex == 0 && gw == NULL)
		return ERR_INVAL;
	if (gw != NULL && gw->family != dst->a.family)
		return ERR_INVAL;
	if ((rc = route_req(&tx, &nlh, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, ifindex,
	    table)) != 0)
		return rc;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_protocol = protocol != 0 ? protocol : RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	/* Like iproute2: IPv4 on-link routes are link scope; IPv6 is always universe. */
	rtm->rtm_scope = dst->a.family == AF_INET && gw == NULL ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (gw != NULL && !mnl_attr_put_check(nlh, sizeof(tx), RTA_GATEWAY,
	    addr_bits(gw) / 8, gw->b))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

int
rtnl_route_del(struct rtnl *r, const struct prefix *dst, unsigned ifindex, uint32_t table)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int rc;

	if ((rc = route_req(&tx, &nlh, RTM_DELROUTE, 0, dst, ifindex, table)) != 0)
		return rc;
	rtm = mnl_nlmsg_get_payload(nlh);
	/* Wildcards: any scope, protocol and type match (as `ip route del`). */
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	return transact(r, nlh);
}

/* ---- parsing kernel messages (dump replies, notifications) ---- */

struct attr_walk {
	const struct nlattr **tb;
	unsigned max;
	size_t used;   /* bytes visited, padding included */
};

static int
attr_walk_cb(const struct nlattr *attr, void *data)
{
	struct attr_walk *w = data;

	w->used += MNL_ALIGN(mnl_attr_get_len(attr));
	/* Types our headers do not know are a newer kernel's; skip them. */
	if (mnl_attr_type_valid(attr, (uint16_t)w->max) > 0)
		w->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/*
 * Index the attributes that follow a fixed header of hdrlen bytes into
 * tb[0..max] (NULL where absent, the last one where repeated).  The
 * attributes must fill the message: anything left over is ERR_MALFORMED.
 */
static int
attrs_get(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, unsigned max)
{
	struct attr_walk w = { .tb = tb, .max = max, .used = 0 };
	size_t plen = mnl_nlmsg_get_payload_len(nlh), avail;

	/*
	 * libmnl walks up to MNL_ALIGN(nlmsg_len): an unaligned length would
	 * let it read up to 3 bytes past the message.  The kernel always pads.
	 */
	if (plen < hdrlen || nlh->nlmsg_len % MNL_ALIGNTO != 0)
		return ERR_MALFORMED;
	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_parse(nlh, (unsigned)hdrlen, attr_walk_cb, &w) != MNL_CB_OK)
		return ERR_MALFORMED;
	avail = plen > MNL_ALIGN(hdrlen) ? plen - MNL_ALIGN(hdrlen) : 0;
	/* mnl_attr_ok kept every attribute inside; now nothing may be left over. */
	if (w.used != avail)
		return ERR_MALFORMED;
	return 0;
}

static int
attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (a == NULL)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return ERR_MALFORMED;
	*v = mnl_attr_get_u32(a);
	return 0;
}

/* An address attribute of exactly the family's size, into out. */
static int
attr_addr(const struct nlattr *a, uint8_t family, struct addr *out)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, alen) < 0)
		return ERR_MALFORMED;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->b, mnl_attr_get_payload(a), alen);
	return 0;
}

/* A prefix carried as a length in the fixed header and an optional address
 * attribute (absent only for length 0).  Canonical on success. */
static int
attr_prefix(const struct nlattr *a, uint8_t family, uint8_t len, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->a.family = family;
	if (len > addr_bits(&out->a))
		return ERR_MALFORMED;
	if (a != NULL) {
		if (attr_addr(a, family, &out->a) != 0)
			return ERR_MALFORMED;
	} else if (len != 0) {
		return ERR_MALFORMED;   /* a prefix without its address */
	}
	out->len = len;
	prefix_canon(out);
	return 0;
}

/* RTM_NEWROUTE/RTM_DELROUTE body.  ERR_NOTFOUND for a cloned route. */
static int
parse_route(const struct nlmsghdr *nlh, struct rtnl_route *out)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	struct rtnl_route rt;
	int rc;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return ERR_MALFORMED;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return ERR_MALFORMED;
	if ((rc = attrs_get(nlh, sizeof(*rtm), tb, RTA_MAX)) != 0)
		return rc;
	memset(&rt, 0, sizeof(rt));
	if (attr_prefix(tb[RTA_DST], rtm->rtm_family, rtm->rtm_dst_len, &rt.dst) != 0)
		return ERR_MALFORMED;
	if (tb[RTA_GATEWAY] != NULL && attr_addr(tb[RTA_GATEWAY], rtm->rtm_family, &rt.gw) != 0)
		return ERR_MALFORMED;
	rt.table = rtm->rtm_table;
	if (attr_u32(tb[RTA_TABLE], &rt.table) != 0 || attr_u32(tb[RTA_OIF], &rt.oif) != 0 ||
	    attr_u32(tb[RTA_PRIORITY], &rt.metric) != 0)
		return ERR_MALFORMED;
	if (rt.table == RT_TABLE_UNSPEC)
		return ERR_MALFORMED;
	if ((rtm->rtm_flags & RTM_F_CLONED) != 0)
		return ERR_NOTFOUND;
	rt.protocol = rtm->rtm_protocol;
	rt.type = rtm->rtm_type;
	rt.scope = rtm->rtm_scope;
	*out = rt;
	return 0;
}

/* RTM_NEWLINK/RTM_DELLINK body.  ERR_NOTFOUND for a family other than AF_UNSPEC. */
static int
parse_link(const struct nlmsghdr *nlh, struct rtnl_event *ev)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	const char *name;
	size_t n;
	int rc;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return ERR_MALFORMED;
	ifi = mnl_nlmsg_get_payload(nlh);
	if ((rc = attrs_get(nlh, sizeof(*ifi), tb, IFLA_MAX)) != 0)
		return rc;
	if (ifi->ifi_index <= 0)
		return ERR_MALFORMED;
	if (ifi->ifi_family != AF_UNSPEC)
		return ERR_NOTFOUND;   /* e.g. AF_BRIDGE port state; see the top comment */
	ev->kind = RTNL_EV_LINK;
	ev->ifindex = (unsigned)ifi->ifi_index;
	ev->gone = nlh->nlmsg_type == RTM_DELLINK;
	ev->up = !ev->gone && (ifi->ifi_flags & IFF_UP) != 0 && (ifi->ifi_flags & IFF_RUNNING) != 0;
	if (tb[IFLA_IFNAME] != NULL) {
		if (mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
			return ERR_MALFORMED;
		name = mnl_attr_get_str(tb[IFLA_IFNAME]);
		n = strnlen(name, sizeof(ev->ifname));
		if (n >= sizeof(ev->ifname))
			return ERR_MALFORMED;
		memcpy(ev->ifname, name, n + 1);
	}
	return 0;
}

int
rtnl_parse_event(const void *msg, size_t len, struct rtnl_event *ev)
{
	const struct nlmsghdr *nlh = msg;
	struct rtnl_event e;
	int rc;

	/* mnl_nlmsg_ok checks nlmsg_len against both the header size and len. */
	if (msg == NULL || len > INT_MAX || !mnl_nlmsg_ok(nlh, (int)len))
		return ERR_MALFORMED;
	memset(&e, 0, sizeof(e));
	switch (nlh->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		e.kind = nlh->nlmsg_type == RTM_NEWROUTE ? RTNL_EV_ROUTE_ADD : RTNL_EV_ROUTE_DEL;
		rc = parse_route(nlh, &e.route);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		rc = parse_link(nlh, &e);
		break;
	default:
		return ERR_NOTFOUND;
	}
	if (rc == 0)
		*ev = e;
	return rc;
}

/* FIB rule (RTM_NEWRULE): only "lookup table" rules; others are ERR_NOTFOUND. */
static int
parse_rule(const struct nlmsghdr *nlh, struct rtnl_rule *out)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh;
	struct rtnl_rule rule;
	int rc;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh))
		return ERR_MALFORMED;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return ERR_MALFORMED;
	if ((rc = attrs_get(nlh, sizeof(*frh), tb, FRA_MAX)) != 0)
		return rc;
	memset(&rule, 0, sizeof(rule));
	if (attr_prefix(tb[FRA_SRC], frh->family, frh->src_len, &rule.src) != 0 ||
	    attr_prefix(tb[FRA_DST], frh->family, frh->dst_len, &rule.dst) != 0)
		return ERR_MALFORMED;
	rule.table = frh->table;
	if (attr_u32(tb[FRA_TABLE], &rule.table) != 0 ||
	    attr_u32(tb[FRA_PRIORITY], &rule.priority) != 0)
		return ERR_MALFORMED;
	if (frh->action != FR_ACT_TO_TBL)
		return ERR_NOTFOUND;
	*out = rule;
	return 0;
}

/* ---- dumps ---- */

/*
 * Send the dump request nlh and pass each reply message to cb.  Once cb
 * returns non-zero it is not called again, the rest of the reply is
 * drained, and that value is returned.  0 after NLMSG_DONE; ERR_SYS for a
 * kernel error (errno set); ERR_MALFORMED for a reply that does not parse.
 */
static int
dump(struct rtnl *r, struct nlmsghdr *nlh, int (*cb)(const struct nlmsghdr *m, void *arg),
    void *arg)
{
	const struct nlmsghdr *m;
	size_t len;
	int left, rc, stop = 0;
	int32_t status;

	r->msg[0] = '\0';
	if (++r->seq == 0)
		r->seq = 1;
	nlh->nlmsg_seq = r->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return ERR_SYS;
	for (;;) {
		/* A receive error ends the dump: the kernel will not send the rest. */
		if ((rc = recv_kernel(r, &len)) != 0)
			return rc;
		if (len > INT_MAX)
			return ERR_MALFORMED;
		left = (int)len;
		for (m = (const struct nlmsghdr *)r->rx.b; mnl_nlmsg_ok(m, left);
		    m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != r->seq || !mnl_nlmsg_portid_ok(m, r->portid))
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				rc = handle_error_msg(r, m);
				return rc != 0 ? rc : ERR_MALFORMED;   /* an ack we did not ask for */
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				/* The payload is the dump's own status (negative errno). */
				if (mnl_nlmsg_get_payload_len(m) >= sizeof(status)) {
					memcpy(&status, mnl_nlmsg_get_payload(m), sizeof(status));
					if (status < 0 && status >= -4095) {
						errno = -status;
						return ERR_SYS;
					}
				}
				return stop;
			}
			if (stop == 0)
				stop = cb(m, arg);
		}
	}
}

static bool
family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

struct route_dump {
	uint32_t table;
	int (*fn)(const struct rtnl_route *rt, void *arg);
	void *arg;
};

static int
route_dump_cb(const struct nlmsghdr *m, void *arg)
{
	struct route_dump *d = arg;
	struct rtnl_route rt;
	int rc;

	if (m->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if ((rc = parse_route(m, &rt)) == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (d->table != 0 && rt.table != d->table)
		return 0;
	return d->fn(&rt, d->arg);
}

int
rtnl_route_dump(struct rtnl *r, int family, uint32_t table,
		int (*fn)(const struct rtnl_route *rt, void *arg), void *arg)
{
	static const int both[] = { AF_INET, AF_INET6 };
	struct route_dump d = { .table = table, .fn = fn, .arg = arg };
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t i;
	int rc;

	if (fn == NULL || (family != AF_UNSPEC && !family_ok(family)))
		return ERR_INVAL;
	for (i = 0; i < 2; i++) {
		if (family != AF_UNSPEC && family != both[i])
			continue;
		memset(&tx, 0, sizeof(tx));
		nlh = mnl_nlmsg_put_header(tx.b);
		nlh->nlmsg_type = RTM_GETROUTE;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = (uint8_t)both[i];
		if ((rc = dump(r, nlh, route_dump_cb, &d)) != 0)
			return rc;
	}
	return 0;
}

/* ---- route add/delete with every field ---- */

int
rtnl_route_add2(struct rtnl *r, const struct rtnl_route *rt, bool replace)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	bool has_gw = rt->gw.family != 0;
	int rc;

	switch (rt->type) {
	case RTN_UNICAST:
		if (!has_gw && rt->oif == 0)
			return ERR_INVAL;   /* nowhere to send */
		if (has_gw && rt->gw.family != rt->dst.a.family)
			return ERR_INVAL;
		break;
	case RTN_UNREACHABLE:
	case RTN_BLACKHOLE:
		/* The kernel refuses a next hop on these (IPv4); refuse it for both. */
		if (has_gw || rt->oif != 0)
			return ERR_INVAL;
		break;
	default:
		return ERR_INVAL;
	}
	if ((rc = route_req(&tx, &nlh, RTM_NEWROUTE,
	    NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), &rt->dst, rt->oif,
	    rt->table)) != 0)
		return rc;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_protocol = rt->protocol != 0 ? rt->protocol : RTPROT_STATIC;
	rtm->rtm_type = rt->type;
	/* As iproute2: a unicast route without a gateway is on-link (IPv6 ignores scope). */
	rtm->rtm_scope = rt->type == RTN_UNICAST && !has_gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (has_gw && !mnl_attr_put_check(nlh, sizeof(tx), RTA_GATEWAY, addr_bits(&rt->gw) / 8,
	    rt->gw.b))
		return ERR_OVERFLOW;
	/* 0 is the kernel's default either way (IPv6 turns it into 1024). */
	if (rt->metric != 0 && !mnl_attr_put_u32_check(nlh, sizeof(tx), RTA_PRIORITY, rt->metric))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

/*
 * Metric 0 and type RTN_UNSPEC match any (the kernel's wildcards), so a
 * route reported with metric 0 is deleted by passing it back as it came.
 */
int
rtnl_route_del2(struct rtnl *r, const struct rtnl_route *rt)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int rc;

	if (rt->type > RTN_MAX)
		return ERR_INVAL;
	if ((rc = route_req(&tx, &nlh, RTM_DELROUTE, 0, &rt->dst, rt->oif, rt->table)) != 0)
		return rc;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_scope = RT_SCOPE_NOWHERE;   /* any scope, any protocol */
	rtm->rtm_type = rt->type;
	if (rt->metric != 0 && !mnl_attr_put_u32_check(nlh, sizeof(tx), RTA_PRIORITY, rt->metric))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

struct route_list {
	struct rtnl_route *v;
	size_t n, cap;
};

static int
route_collect(const struct rtnl_route *rt, void *arg)
{
	struct route_list *l = arg;
	struct rtnl_route *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap != 0 ? l->cap * 2 : 64;
		if (ncap > SIZE_MAX / sizeof(*nv) || (nv = realloc(l->v, ncap * sizeof(*nv))) == NULL)
			return ERR_NOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *rt;
	return 0;
}

/*
 * Routes cannot be deleted while their dump is being read on the same
 * socket, so each pass collects the table, then deletes.  Passes repeat
 * until a dump finds the table empty: that also catches a dump the kernel
 * marked inconsistent (NLM_F_DUMP_INTR) and IPv6 multipath siblings.  A
 * route that vanished meanwhile (ESRCH) is not an error and not counted.
 * ERR_AGAIN if something keeps refilling the table.
 */
int
rtnl_route_flush_table(struct rtnl *r, uint32_t table, unsigned *n)
{
	struct route_list l = { NULL, 0, 0 };
	unsigned done = 0;
	size_t i;
	int pass, rc = 0;

	if (table == 0)
		return ERR_INVAL;
	for (pass = 0; pass < RTNL_FLUSH_PASSES; pass++) {
		l.n = 0;
		if ((rc = rtnl_route_dump(r, AF_UNSPEC, table, route_collect, &l)) != 0)
			goto out;
		if (l.n == 0)
			goto out;
		for (i = 0; i < l.n; i++) {
			rc = rtnl_route_del2(r, &l.v[i]);
			if (rc == ERR_SYS && errno == ESRCH)
				continue;
			if (rc != 0)
				goto out;
			done++;
		}
	}
	rc = ERR_AGAIN;
out:
	free(l.v);
	if (n != NULL)
		*n = done;
	return rc;
}

/* ---- rules ---- */

static int
rule_req(struct rtnl *r, uint16_t type, uint16_t flags, const struct rtnl_rule *rule)
{
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;
	bool has_dst = rule->dst.len > 0;

	if (!prefix_ok(&rule->src) || !prefix_is_canon(&rule->src) || rule->table == 0)
		return ERR_INVAL;
	/* "to all" ignores dst's address and family; "to dst" must match src's family. */
	if (has_dst && (rule->dst.a.family != rule->src.a.family || !prefix_ok(&rule->dst) ||
	    !prefix_is_canon(&rule->dst)))
		return ERR_INVAL;
	memset(&tx, 0, sizeof(tx));
	nlh = mnl_nlmsg_put_header(tx.b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = rule->src.a.family;
	frh->src_len = rule->src.len;
	frh->dst_len = has_dst ? rule->dst.len : 0;
	frh->action = FR_ACT_TO_TBL;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	if (!mnl_attr_put_u32_check(nlh, sizeof(tx), FRA_TABLE, rule->table))
		return ERR_OVERFLOW;
	if (rule->src.len > 0 && !mnl_attr_put_check(nlh, sizeof(tx), FRA_SRC,
	    addr_bits(&rule->src.a) / 8, rule->src.a.b))
		return ERR_OVERFLOW;
	if (has_dst && !mnl_attr_put_check(nlh, sizeof(tx), FRA_DST,
	    addr_bits(&rule->dst.a) / 8, rule->dst.a.b))
		return ERR_OVERFLOW;
	if (rule->priority != 0 &&
	    !mnl_attr_put_u32_check(nlh, sizeof(tx), FRA_PRIORITY, rule->priority))
		return ERR_OVERFLOW;
	return transact(r, nlh);
}

int
rtnl_rule_add(struct rtnl *r, const struct rtnl_rule *rule)
{
	return rule_req(r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule);
}

/*
 * The kernel treats absent selectors as wildcards: "from all" or "to all"
 * (len 0) matches any source or destination.
 */
int
rtnl_rule_del(struct rtnl *r, const struct rtnl_rule *rule)
{
	return rule_req(r, RTM_DELRULE, 0, rule);
}

struct rule_dump {
	int (*fn)(const struct rtnl_rule *rule, void *arg);
	void *arg;
};

static int
rule_dump_cb(const struct nlmsghdr *m, void *arg)
{
	struct rule_dump *d = arg;
	struct rtnl_rule rule;
	int rc;

	if (m->nlmsg_type != RTM_NEWRULE)
		return 0;
	if ((rc = parse_rule(m, &rule)) == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return d->fn(&rule, d->arg);
}

/*
 * Only "lookup" rules are reported; selectors that struct rtnl_rule has no
 * field for (fwmark, iif, tos ...) are not represented.  dst has src's
 * family even when its len is 0.
 */
int
rtnl_rule_dump(struct rtnl *r, int family,
	       int (*fn)(const struct rtnl_rule *rule, void *arg), void *arg)
{
	static const int both[] = { AF_INET, AF_INET6 };
	struct rule_dump d = { .fn = fn, .arg = arg };
	union txbuf tx;
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;
	size_t i;
	int rc;

	if (fn == NULL || (family != AF_UNSPEC && !family_ok(family)))
		return ERR_INVAL;
	for (i = 0; i < 2; i++) {
		if (family != AF_UNSPEC && family != both[i])
			continue;
		memset(&tx, 0, sizeof(tx));
		nlh = mnl_nlmsg_put_header(tx.b);
		nlh->nlmsg_type = RTM_GETRULE;
		frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
		frh->family = (uint8_t)both[i];
		if ((rc = dump(r, nlh, rule_dump_cb, &d)) != 0)
			return rc;
	}
	return 0;
}

/* ---- notifications ---- */

struct rtnl_mon {
	struct mnl_socket *nl;
	union {
		struct nlmsghdr align;
		uint8_t b[RTNL_MON_BUF];
	} rx;
};

int
rtnl_mon_open(struct rtnl_mon **out, unsigned groups)
{
	struct rtnl_mon *m;
	unsigned bind_groups = 0;
	int size = RTNL_MON_RCVBUF, saved, fd;

	if (groups == 0 || (groups & ~(unsigned)(RTNL_MON_ROUTE4 | RTNL_MON_ROUTE6 |
	    RTNL_MON_LINK)) != 0)
		return ERR_INVAL;
	if ((groups & RTNL_MON_ROUTE4) != 0)
		bind_groups |= RTMGRP_IPV4_ROUTE;
	if ((groups & RTNL_MON_ROUTE6) != 0)
		bind_groups |= RTMGRP_IPV6_ROUTE;
	if ((groups & RTNL_MON_LINK) != 0)
		bind_groups |= RTMGRP_LINK;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ERR_NOMEM;
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (m->nl == NULL)
		goto fail;
	fd = mnl_socket_get_fd(m->nl);
	/*
	 * A burst (a BGP session flapping) must not overflow the queue.  FORCE
	 * passes rmem_max with CAP_NET_ADMIN; plain SO_RCVBUF is capped by it.
	 * Either failing only makes overflow likelier, which is recoverable.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(m->nl, bind_groups, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	saved = errno;
	rtnl_mon_close(m);
	errno = saved;
	return ERR_SYS;
}

void
rtnl_mon_close(struct rtnl_mon *m)
{
	if (m == NULL)
		return;
	if (m->nl != NULL)
		mnl_socket_close(m->nl);
	free(m);
}

int
rtnl_mon_fd(const struct rtnl_mon *m)
{
	return mnl_socket_get_fd(m->nl);
}

/* Discard everything queued: events were lost, and the caller will dump. */
static int
mon_discard(struct rtnl_mon *m)
{
	ssize_t n;

	for (;;) {
		n = recv(mnl_socket_get_fd(m->nl), m->rx.b, sizeof(m->rx.b), MSG_DONTWAIT);
		if (n >= 0 || errno == EINTR || errno == ENOBUFS)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return ERR_OVERFLOW;
		return ERR_SYS;
	}
}

int
rtnl_mon_read(struct rtnl_mon *m, void (*fn)(const struct rtnl_event *ev, void *arg), void *arg)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = m->rx.b, .iov_len = sizeof(m->rx.b) };
	struct msghdr mh;
	const struct nlmsghdr *nlh;
	struct rtnl_event ev;
	ssize_t n;
	int left;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(mnl_socket_get_fd(m->nl), &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS)
				return mon_discard(m);
			return ERR_SYS;
		}
		if ((mh.msg_flags & MSG_TRUNC) != 0)
			return mon_discard(m);   /* an event we cannot read is a lost event */
		/* Multicast from anyone but the kernel needs privilege we do not trust. */
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0 || n > INT_MAX)
			continue;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)m->rx.b; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			if (rtnl_parse_event(nlh, nlh->nlmsg_len, &ev) == 0)
				fn(&ev, arg);
		}
	}
}
