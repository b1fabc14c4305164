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
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "err.h"
#include "rtnl.h"

enum {
	RTNL_RX_BUF = 8192,   /* libmnl's MNL_SOCKET_BUFFER_SIZE upper bound */
	RTNL_TX_BUF = 512,    /* largest request: rtmsg + 4 attributes */
	RTNL_MSG_MAX = 160,   /* kept extended-ack text */
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
	struct prefix canon;

	if (!prefix_ok(dst) || ifindex > INT_MAX)
		return ERR_INVAL;
	/* The kernel refuses host bits too, but with a less helpful EINVAL. */
	canon = *dst;
	prefix_canon(&canon);
	if (!addr_eq(&canon.a, &dst->a))
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
