/*
 * test_rtnl.c - tun and rtnl against the real kernel, inside a throwaway
 * network namespace.
 *
 * The test process moves itself into a fresh namespace with
 * unshare(CLONE_NEWNET) before the first test; everything it creates (tun
 * devices, addresses, routes) lives there and disappears with the process,
 * so nothing is left behind even when an assertion fails midway.  Only
 * 10.x and 192.0.2.x addresses are used.
 *
 * Without root, user namespaces or /dev/net/tun the tests skip, except when
 * the environment has CI=true: there a skip would hide a broken runner, so
 * the tests fail instead.
 *
 * Kernel state is checked independently of the code under test: flags,
 * MTU and address through the classic SIOCGIF* ioctls, routes by whether
 * real UDP traffic comes out of the tun fd, the write path by injecting a
 * packet into the tun and receiving it on a socket; routes in other tables
 * and rules through the output of iproute2's `ip` (run inside the same
 * namespace).  Devices other than tun are veth pairs made with `ip link
 * add`: dummy is often a module that is not there, and a veth pair also
 * lets the monitor test watch a carrier loss (the peer of a downed veth).
 *
 * rtnl_parse_event is also tested on its own, on messages built here with
 * libmnl and then damaged; those tests need no namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "rtnl.h"
#include "tun.h"

/* ---- namespace ---- */

static int netns_state;   /* 0 untried, 1 inside, -1 unavailable */
static char netns_why[128];

static void
need_netns(void)
{
	const char *ci = getenv("CI");
	int fd;

	if (netns_state == 0) {
		netns_state = -1;
		if (geteuid() != 0)
			snprintf(netns_why, sizeof(netns_why), "not root");
		else if (unshare(CLONE_NEWNET) != 0)
			snprintf(netns_why, sizeof(netns_why), "unshare(CLONE_NEWNET): %s",
			    strerror(errno));
		else if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
			snprintf(netns_why, sizeof(netns_why), "/dev/net/tun: %s", strerror(errno));
		else {
			close(fd);
			netns_state = 1;
		}
	}
	if (netns_state == 1)
		return;
	if (ci != NULL && strcmp(ci, "true") == 0)
		fail_msg("CI=true but no network namespace: %s", netns_why);
	print_message("skipping: %s\n", netns_why);
	skip();
}

/* ---- independent views of kernel state ---- */

static int
ctl_sock(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	return s;
}

static void
ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
}

static bool
link_is_up(const char *name)
{
	struct ifreq ifr;
	int s = ctl_sock();

	ifreq_for(&ifr, name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	close(s);
	return (ifr.ifr_flags & IFF_UP) != 0;
}

static int
link_mtu(const char *name)
{
	struct ifreq ifr;
	int s = ctl_sock();

	ifreq_for(&ifr, name);
	assert_int_equal(ioctl(s, SIOCGIFMTU, &ifr), 0);
	close(s);
	return ifr.ifr_mtu;
}

/* The interface's primary IPv4 address, or errno on failure. */
static int
link_v4(const char *name, unsigned long req, char out[INET_ADDRSTRLEN])
{
	struct ifreq ifr;
	struct sockaddr_in sin;
	int s = ctl_sock(), r, e;

	ifreq_for(&ifr, name);
	r = ioctl(s, req, &ifr);
	e = errno;
	close(s);
	if (r != 0)
		return e;
	memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
	assert_non_null(inet_ntop(AF_INET, &sin.sin_addr, out, INET_ADDRSTRLEN));
	return 0;
}

static struct prefix
P(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, true, &p), 0);
	return p;
}

static struct addr
A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* sendto() a small UDP datagram; returns 0 or errno. */
static int
udp_send(const char *dst, uint16_t port)
{
	struct sockaddr_in sin;
	int s, r, e;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, dst, &sin.sin_addr), 1);
	r = (int)sendto(s, "ping", 4, 0, (struct sockaddr *)&sin, sizeof(sin));
	e = errno;
	close(s);
	return r == 4 ? 0 : e;
}

/*
 * Read packets from the tun until an IPv4 UDP packet to dst:port shows up
 * (IPv6 router solicitations and the like are skipped).  Waits on poll(),
 * which returns as soon as the kernel has queued the packet.
 */
static bool
tun_sees_udp(int fd, const char *dst, uint16_t port)
{
	uint8_t pkt[2048], vihl, proto, want[4];
	uint16_t dport;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct buf b;
	uint8_t daddr[4];
	ssize_t n;
	int i;

	assert_int_equal(inet_pton(AF_INET, dst, want), 1);
	for (i = 0; i < 32; i++) {
		if (poll(&pfd, 1, 2000) != 1)
			return false;
		n = read(fd, pkt, sizeof(pkt));
		if (n < 0 && errno == EAGAIN)
			continue;
		assert_true(n > 0);
		buf_init(&b, pkt, (size_t)n);
		if (buf_get_u8(&b, &vihl) != 0 || vihl >> 4 != 4)
			continue;
		if (buf_skip(&b, 8) != 0 || buf_get_u8(&b, &proto) != 0 ||
		    buf_skip(&b, 6) != 0 || buf_get_bytes(&b, daddr, 4) != 0)
			continue;
		if (proto != IPPROTO_UDP || memcmp(daddr, want, 4) != 0)
			continue;
		/* Skip IP options, then the UDP source port. */
		if (buf_skip(&b, (size_t)(vihl & 15) * 4 - 20) != 0 || buf_skip(&b, 2) != 0 ||
		    buf_get_u16(&b, &dport) != 0)
			continue;
		if (dport == port)
			return true;
	}
	return false;
}

/* ---- tun ---- */

static void
test_tun_open(void **state)
{
	char name[TUN_NAME_MAX], name2[TUN_NAME_MAX], keep[TUN_NAME_MAX];
	int fd, fd2, fd3, fl;
	unsigned idx;
	char buf[64];

	need_netns();

	/* Kernel-picked names. */
	assert_int_equal(tun_open(NULL, 0, name, &fd), 0);
	assert_true(strncmp(name, "tun", 3) == 0 && name[3] >= '0' && name[3] <= '9');
	assert_int_equal(tun_open("tun", 0, name2, &fd2), 0);
	assert_true(strncmp(name2, "tun", 3) == 0);
	assert_string_not_equal(name, name2);
	assert_true(if_nametoindex(name) != 0);
	assert_true(if_nametoindex(name2) != 0);
	/* Non-blocking and close-on-exec from the start. */
	fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0 && (fl & O_NONBLOCK) != 0);
	fl = fcntl(fd, F_GETFD);
	assert_true(fl >= 0 && (fl & FD_CLOEXEC) != 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	/* Closing the last fd removes the device. */
	strcpy(keep, name);
	close(fd);
	close(fd2);
	assert_int_equal(if_nametoindex(keep), 0);
	assert_int_equal(rtnl_link_index(keep, &idx), ERR_SYS);
	assert_int_equal(errno, ENODEV);

	/* Exact name; a second open of an attached device is EBUSY. */
	assert_int_equal(tun_open("ovt-exact0", 0, name, &fd), 0);
	assert_string_equal(name, "ovt-exact0");
	memset(name2, 'x', sizeof(name2));
	fd2 = -7;
	assert_int_equal(tun_open("ovt-exact0", 0, name2, &fd2), ERR_SYS);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(fd2, -7);
	assert_int_equal(name2[0], 'x');
	close(fd);
	assert_int_equal(if_nametoindex("ovt-exact0"), 0);

	/* Multi-queue: two queues of one device; gone when both close. */
	assert_int_equal(tun_open("ovt-mq0", TUN_F_MULTI_QUEUE, name, &fd), 0);
	assert_int_equal(tun_open("ovt-mq0", TUN_F_MULTI_QUEUE, name2, &fd2), 0);
	assert_string_equal(name, name2);
	close(fd);
	assert_true(if_nametoindex("ovt-mq0") != 0);
	close(fd2);
	assert_int_equal(if_nametoindex("ovt-mq0"), 0);

	/* Argument checks come before any syscall. */
	assert_int_equal(tun_open("", 0, name, &fd3), ERR_INVAL);
	assert_int_equal(tun_open("0123456789abcdef", 0, name, &fd3), ERR_INVAL);   /* 16 chars */
	assert_int_equal(tun_open("ovt-flags0", 1u << 7, name, &fd3), ERR_INVAL);
	assert_int_equal(if_nametoindex("ovt-flags0"), 0);
	/* 15 characters is the longest legal name. */
	assert_int_equal(tun_open("0123456789abcde", 0, name, &fd3), 0);
	assert_string_equal(name, "0123456789abcde");
	close(fd3);
}

/* ---- rtnl ---- */

static void
test_rtnl_argument_checks(void **state)
{
	struct rtnl *r;
	struct prefix p;
	struct addr gw6;
	unsigned idx = 77;

	need_netns();
	assert_int_equal(rtnl_open(&r), 0);
	assert_string_equal(rtnl_errmsg(r), "");

	assert_int_equal(rtnl_link_index("", &idx), ERR_INVAL);
	assert_int_equal(rtnl_link_index(NULL, &idx), ERR_INVAL);
	assert_int_equal(rtnl_link_index("0123456789abcdefg", &idx), ERR_INVAL);
	assert_int_equal(rtnl_link_index("ovt-none0", &idx), ERR_SYS);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(idx, 77);
	assert_int_equal(rtnl_link_index("lo", &idx), 0);
	assert_int_equal(idx, 1);

	assert_int_equal(rtnl_link_set(r, 0, true, 0), ERR_INVAL);
	/* A kernel refusal comes back as ERR_SYS with the kernel's errno. */
	assert_int_equal(rtnl_link_set(r, 999999, true, 0), ERR_SYS);
	assert_int_equal(errno, ENODEV);

	memset(&p, 0, sizeof(p));
	assert_int_equal(rtnl_addr_add(r, 1, &p), ERR_INVAL);          /* no family */
	p = P("10.99.0.1/24");
	p.len = 33;
	assert_int_equal(rtnl_addr_add(r, 1, &p), ERR_INVAL);
	p = P("10.99.0.1/24");
	assert_int_equal(rtnl_addr_add(r, 0, &p), ERR_INVAL);

	p = P("192.0.2.1/24");
	assert_int_equal(rtnl_route_add(r, &p, 1, NULL, 0, RTPROT_STATIC), ERR_INVAL);   /* host bits */
	assert_int_equal(rtnl_route_del(r, &p, 1, 0), ERR_INVAL);
	p = P("192.0.2.0/24");
	assert_int_equal(rtnl_route_add(r, &p, 0, NULL, 0, RTPROT_STATIC), ERR_INVAL);   /* nowhere */
	gw6 = A("::1");
	assert_int_equal(rtnl_route_add(r, &p, 1, &gw6, 0, RTPROT_STATIC), ERR_INVAL);   /* family */
	rtnl_close(r);
	rtnl_close(NULL);
}

static void
test_rtnl_link_addr_route(void **state)
{
	char name[TUN_NAME_MAX], ip[INET_ADDRSTRLEN];
	struct rtnl *r;
	struct prefix p, rt;
	struct addr gw;
	unsigned idx;
	int fd;

	need_netns();
	assert_int_equal(tun_open(NULL, 0, name, &fd), 0);
	assert_int_equal(rtnl_link_index(name, &idx), 0);
	assert_int_equal(idx, if_nametoindex(name));
	assert_int_equal(rtnl_open(&r), 0);

	/* Link up with an MTU, then down again and up without touching the MTU. */
	assert_false(link_is_up(name));
	assert_int_equal(rtnl_link_set(r, idx, true, 1400), 0);
	assert_true(link_is_up(name));
	assert_int_equal(link_mtu(name), 1400);
	assert_int_equal(rtnl_link_set(r, idx, false, 0), 0);
	assert_false(link_is_up(name));
	assert_int_equal(link_mtu(name), 1400);
	assert_int_equal(rtnl_link_set(r, idx, true, 0), 0);
	assert_true(link_is_up(name));
	/* An MTU the device refuses is the kernel's EINVAL. */
	assert_int_equal(rtnl_link_set(r, idx, true, 70000), ERR_SYS);
	assert_int_equal(errno, EINVAL);
	/* Extended ack text (kernels since 4.19 explain this one); cleared on success. */
	assert_true(rtnl_errmsg(r)[0] != '\0');
	assert_int_equal(rtnl_link_set(r, idx, true, 0), 0);
	assert_string_equal(rtnl_errmsg(r), "");
	assert_int_equal(link_mtu(name), 1400);

	/* Address with prefix; duplicate is EEXIST. */
	assert_int_equal(link_v4(name, SIOCGIFADDR, ip), EADDRNOTAVAIL);
	p = P("10.99.0.1/24");
	assert_int_equal(rtnl_addr_add(r, idx, &p), 0);
	assert_int_equal(link_v4(name, SIOCGIFADDR, ip), 0);
	assert_string_equal(ip, "10.99.0.1");
	assert_int_equal(link_v4(name, SIOCGIFNETMASK, ip), 0);
	assert_string_equal(ip, "255.255.255.0");
	assert_int_equal(rtnl_addr_add(r, idx, &p), ERR_SYS);
	assert_int_equal(errno, EEXIST);

	/* The connected route the kernel added carries traffic into the tun. */
	assert_int_equal(udp_send("10.99.0.2", 4000), 0);
	assert_true(tun_sees_udp(fd, "10.99.0.2", 4000));

	/* A device route: before it, unreachable; with it, out of the tun. */
	assert_int_equal(udp_send("192.0.2.7", 4001), ENETUNREACH);
	rt = P("192.0.2.0/24");
	assert_int_equal(rtnl_route_add(r, &rt, idx, NULL, 0, RTPROT_STATIC), 0);
	assert_int_equal(rtnl_route_add(r, &rt, idx, NULL, 0, RTPROT_STATIC), ERR_SYS);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(udp_send("192.0.2.7", 4001), 0);
	assert_true(tun_sees_udp(fd, "192.0.2.7", 4001));
	assert_int_equal(rtnl_route_del(r, &rt, idx, 0), 0);
	assert_int_equal(rtnl_route_del(r, &rt, idx, 0), ERR_SYS);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(udp_send("192.0.2.7", 4001), ENETUNREACH);

	/* A route via a gateway on the tun's subnet; protocol 0 means static. */
	rt = P("10.123.0.0/16");
	gw = A("10.99.0.2");
	assert_int_equal(rtnl_route_add(r, &rt, idx, &gw, 0, 0), 0);
	assert_int_equal(udp_send("10.123.4.5", 4002), 0);
	assert_true(tun_sees_udp(fd, "10.123.4.5", 4002));
	assert_int_equal(rtnl_route_del(r, &rt, 0, 0), 0);
	/* A gateway that is not on any connected subnet is refused by the kernel. */
	gw = A("192.0.2.1");
	assert_int_equal(rtnl_route_add(r, &rt, idx, &gw, 0, 0), ERR_SYS);
	assert_int_equal(errno, ENETUNREACH);

	/* Non-main table (above 255, so only the RTA_TABLE attribute carries it). */
	rt = P("192.0.2.0/25");
	assert_int_equal(rtnl_route_add(r, &rt, idx, NULL, 1000, RTPROT_STATIC), 0);
	assert_int_equal(udp_send("192.0.2.7", 4003), ENETUNREACH);   /* not in main */
	assert_int_equal(rtnl_route_del(r, &rt, idx, 0), ERR_SYS);      /* not in main */
	assert_int_equal(errno, ESRCH);
	assert_int_equal(rtnl_route_del(r, &rt, idx, 1000), 0);
	assert_int_equal(rtnl_route_del(r, &rt, idx, 1000), ERR_SYS);
	assert_int_equal(errno, ESRCH);

	/* Address removal; a second removal is the kernel's EADDRNOTAVAIL. */
	assert_int_equal(rtnl_addr_del(r, idx, &p), 0);
	assert_int_equal(link_v4(name, SIOCGIFADDR, ip), EADDRNOTAVAIL);
	assert_int_equal(rtnl_addr_del(r, idx, &p), ERR_SYS);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(udp_send("10.99.0.2", 4004), ENETUNREACH);

	/* Closing the fd removes the device; the old index is gone. */
	close(fd);
	assert_int_equal(if_nametoindex(name), 0);
	assert_int_equal(rtnl_link_set(r, idx, true, 0), ERR_SYS);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(rtnl_addr_add(r, idx, &p), ERR_SYS);
	assert_int_equal(errno, ENODEV);
	rtnl_close(r);
}

/* IPv4 header checksum over the first 20 bytes (RFC 791). */
static uint16_t
ip_csum(const uint8_t *pkt, size_t len)
{
	struct buf b;
	uint32_t s = 0;
	uint16_t v;
	int i;

	buf_init(&b, pkt, len);
	for (i = 0; i < 10; i++) {
		assert_int_equal(buf_get_u16(&b, &v), 0);
		s += v;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
test_tun_write_path(void **state)
{
	char name[TUN_NAME_MAX];
	uint8_t pkt[64], got[16];
	struct sockaddr_in sin;
	struct wbuf w;
	struct rtnl *r;
	struct prefix p;
	struct pollfd pfd;
	unsigned idx;
	int fd, s;

	need_netns();
	assert_int_equal(tun_open("ovt-w0", 0, name, &fd), 0);
	assert_int_equal(rtnl_link_index(name, &idx), 0);
	assert_int_equal(rtnl_open(&r), 0);
	assert_int_equal(rtnl_link_set(r, idx, true, 0), 0);
	p = P("10.98.0.1/24");
	assert_int_equal(rtnl_addr_add(r, idx, &p), 0);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5000);
	inet_pton(AF_INET, "10.98.0.1", &sin.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);

	/* 10.98.0.2:6000 -> 10.98.0.1:5000 "hello", UDP checksum 0 (none). */
	wbuf_init(&w, pkt, sizeof(pkt));
	wbuf_put_u8(&w, 0x45);
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, 20 + 8 + 5);
	wbuf_put_u16(&w, 1);
	wbuf_put_u16(&w, 0x4000);
	wbuf_put_u8(&w, 64);
	wbuf_put_u8(&w, IPPROTO_UDP);
	wbuf_put_u16(&w, 0);
	wbuf_put_bytes(&w, (uint8_t[]){ 10, 98, 0, 2 }, 4);
	wbuf_put_bytes(&w, (uint8_t[]){ 10, 98, 0, 1 }, 4);
	wbuf_put_u16(&w, 6000);
	wbuf_put_u16(&w, 5000);
	wbuf_put_u16(&w, 8 + 5);
	wbuf_put_u16(&w, 0);
	wbuf_put_bytes(&w, "hello", 5);
	assert_false(w.overflow);
	{
		uint16_t c = ip_csum(pkt, w.len);
		uint8_t *at = wbuf_at(&w, 10, 2);

		assert_non_null(at);
		at[0] = (uint8_t)(c >> 8);
		at[1] = (uint8_t)c;
	}
	assert_int_equal(write(fd, pkt, w.len), (ssize_t)w.len);

	pfd.fd = s;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(s, got, sizeof(got), 0), 5);
	assert_memory_equal(got, "hello", 5);

	close(s);
	close(fd);
	rtnl_close(r);
}

/* ---- rtnl_parse_event on crafted messages (no kernel) ---- */

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000   /* linux/if.h; glibc's net/if.h lacks it */
#endif

union msgbuf {
	struct nlmsghdr align;
	uint8_t b[512];
};

/*
 * RTM_NEWROUTE 10.101.0.0/16 via 10.97.0.2 oif 7 table 1194 metric 50
 * proto bgp, plus an attribute type no kernel header has (must be skipped).
 * RTA_TABLE and RTA_DST come first: the truncation test relies on that.
 */
static struct nlmsghdr *
mk_route4(union msgbuf *m)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(m, 0, sizeof(*m));
	nlh = mnl_nlmsg_put_header(m->b);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 16;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BGP;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, 1194);
	mnl_attr_put(nlh, RTA_DST, 4, (uint8_t[]){ 10, 101, 0, 0 });
	mnl_attr_put(nlh, RTA_GATEWAY, 4, (uint8_t[]){ 10, 97, 0, 2 });
	mnl_attr_put_u32(nlh, RTA_OIF, 7);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 50);
	mnl_attr_put_u32(nlh, 1000, 0xdeadbeef);
	return nlh;
}

/* The attribute of the given type in a message built here, to damage it. */
static struct nlattr *
find_attr(struct nlmsghdr *nlh, size_t hdrlen, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdrlen)
		if (mnl_attr_get_type(a) == type)
			return a;
	fail_msg("attribute %u not found", type);
	return NULL;
}

static void
test_rtnl_parse_route(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct rtnl_event ev;
	struct prefix p;
	struct addr gw;

	nlh = mk_route4(&m);
	memset(&ev, 0xaa, sizeof(ev));
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.kind, RTNL_EV_ROUTE_ADD);
	p = P("10.101.0.0/16");
	assert_int_equal(ev.route.dst.len, 16);
	assert_true(addr_eq(&ev.route.dst.a, &p.a));
	gw = A("10.97.0.2");
	assert_true(addr_eq(&ev.route.gw, &gw));
	assert_int_equal(ev.route.oif, 7);
	assert_int_equal(ev.route.table, 1194);
	assert_int_equal(ev.route.metric, 50);
	assert_int_equal(ev.route.protocol, RTPROT_BGP);
	assert_int_equal(ev.route.type, RTN_UNICAST);
	assert_int_equal(ev.route.scope, RT_SCOPE_UNIVERSE);
	/* Link fields are zeroed, not left as they were. */
	assert_int_equal(ev.ifindex, 0);
	assert_string_equal(ev.ifname, "");
	/* A longer buffer than the message is fine: only nlmsg_len counts. */
	assert_int_equal(rtnl_parse_event(nlh, sizeof(m), &ev), 0);

	/* DELROUTE; host bits are cleared; rtm_table stands in for RTA_TABLE. */
	nlh = mk_route4(&m);
	nlh->nlmsg_type = RTM_DELROUTE;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_table = RT_TABLE_MAIN;
	mnl_attr_put_u32(nlh, RTA_TABLE, 0);   /* the last of a repeated attribute wins */
	memcpy(mnl_attr_get_payload(find_attr(nlh, sizeof(*rtm), RTA_DST)),
	    (uint8_t[]){ 10, 101, 3, 4 }, 4);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED); /* table 0 */
	nlh = mk_route4(&m);
	nlh->nlmsg_type = RTM_DELROUTE;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_table = RT_TABLE_MAIN;
	find_attr(nlh, sizeof(*rtm), RTA_TABLE)->nla_type = 999;   /* now unknown: skipped */
	memcpy(mnl_attr_get_payload(find_attr(nlh, sizeof(*rtm), RTA_DST)),
	    (uint8_t[]){ 10, 101, 3, 4 }, 4);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.kind, RTNL_EV_ROUTE_DEL);
	assert_int_equal(ev.route.table, RT_TABLE_MAIN);
	assert_true(addr_eq(&ev.route.dst.a, &p.a));

	/* IPv6 default route, no gateway, no metric; a 1-byte attribute and its padding. */
	memset(&m, 0, sizeof(m));
	nlh = mnl_nlmsg_put_header(m.b);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_table = 200;
	rtm->rtm_type = RTN_UNREACHABLE;
	mnl_attr_put(nlh, 1001, 1, "x");
	/* Without the padding the length is unaligned: refused (libmnl would read past it). */
	nlh->nlmsg_len -= 3;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh->nlmsg_len += 3;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.route.dst.a.family, AF_INET6);
	assert_int_equal(ev.route.dst.len, 0);
	assert_int_equal(ev.route.gw.family, 0);
	assert_int_equal(ev.route.table, 200);
	assert_int_equal(ev.route.type, RTN_UNREACHABLE);

	/* IPv6 with destination and gateway. */
	memset(&m, 0, sizeof(m));
	nlh = mnl_nlmsg_put_header(m.b);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 48;
	rtm->rtm_table = RT_TABLE_MAIN;
	p = P("2001:db8:1::/48");
	gw = A("fe80::1");
	mnl_attr_put(nlh, RTA_DST, 16, p.a.b);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, gw.b);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.route.dst.len, 48);
	assert_true(addr_eq(&ev.route.dst.a, &p.a));
	assert_true(addr_eq(&ev.route.gw, &gw));
	/* dst_len 129 does not fit IPv6. */
	rtm->rtm_dst_len = 129;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
}

static void
test_rtnl_parse_hostile(void **state)
{
	union msgbuf m, c;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct rtnl_event ev, before;
	uint32_t full, l;
	int rc;

	memset(&before, 0x5c, sizeof(before));
	ev = before;

	/* Truncated header, and a header whose length disagrees with the buffer. */
	nlh = mk_route4(&m);
	full = nlh->nlmsg_len;
	assert_int_equal(rtnl_parse_event(NULL, 100, &ev), ERR_MALFORMED);
	assert_int_equal(rtnl_parse_event(nlh, 0, &ev), ERR_MALFORMED);
	assert_int_equal(rtnl_parse_event(nlh, 10, &ev), ERR_MALFORMED);
	assert_int_equal(rtnl_parse_event(nlh, sizeof(*nlh) - 1, &ev), ERR_MALFORMED);
	assert_int_equal(rtnl_parse_event(nlh, full - 1, &ev), ERR_MALFORMED);
	nlh->nlmsg_len = 15;
	assert_int_equal(rtnl_parse_event(nlh, full, &ev), ERR_MALFORMED);
	/* Header complete, rtmsg not. */
	nlh->nlmsg_len = sizeof(*nlh) + sizeof(struct rtmsg) - 1;
	assert_int_equal(rtnl_parse_event(nlh, full, &ev), ERR_MALFORMED);
	assert_memory_equal(&ev, &before, sizeof(ev));   /* untouched on error */

	/*
	 * Every consistent truncation (nlmsg_len = buffer = l): only a cut on
	 * an attribute boundary can parse (l = 41 once let libmnl read the
	 * DST attribute's last 3 bytes from beyond the message), and only once RTA_TABLE and RTA_DST
	 * (the first two, 8 bytes each after the 28-byte headers) are in.
	 */
	for (l = sizeof(*nlh); l < full; l++) {
		c = m;
		nlh = (struct nlmsghdr *)c.b;
		nlh->nlmsg_len = l;
		rc = rtnl_parse_event(nlh, l, &ev);
		if (l >= 44 && (l - 28) % 8 == 0)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, ERR_MALFORMED);
	}

	/* An attribute whose length runs past the message. */
	nlh = mk_route4(&m);
	find_attr(nlh, sizeof(*rtm), 1000)->nla_len = 200;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_route4(&m);
	find_attr(nlh, sizeof(*rtm), RTA_DST)->nla_len = 0xffff;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	/* An attribute shorter than its own header. */
	nlh = mk_route4(&m);
	find_attr(nlh, sizeof(*rtm), 1000)->nla_len = 2;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	/* Trailing bytes that are not an attribute. */
	nlh = mk_route4(&m);
	nlh->nlmsg_len += 4;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);

	/* RTA_DST of the wrong size: 3 bytes, or IPv6-sized in an IPv4 route. */
	nlh = mk_route4(&m);
	find_attr(nlh, sizeof(*rtm), RTA_DST)->nla_len = 4 + 3;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_route4(&m);
	mnl_attr_put(nlh, RTA_DST, 16, (uint8_t[16]){ 10, 101 });
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	/* Same for the gateway. */
	nlh = mk_route4(&m);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, (uint8_t[16]){ 10, 97 });
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	/* u32 attributes of another size. */
	nlh = mk_route4(&m);
	find_attr(nlh, sizeof(*rtm), RTA_TABLE)->nla_len = 4 + 2;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_route4(&m);
	mnl_attr_put_u64(nlh, RTA_OIF, 7);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_route4(&m);
	mnl_attr_put_u16(nlh, RTA_PRIORITY, 7);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);

	/* dst_len 33 for IPv4; a prefix length without RTA_DST. */
	nlh = mk_route4(&m);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_dst_len = 33;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	rtm->rtm_dst_len = 32;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	find_attr(nlh, sizeof(*rtm), RTA_DST)->nla_type = 1002;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);

	/* Unknown family. */
	nlh = mk_route4(&m);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_UNIX;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	rtm->rtm_family = 128;   /* RTNL_FAMILY_IPMR */
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);

	/* Other message types, and cloned routes, are not events. */
	ev = before;
	nlh = mk_route4(&m);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_NOTFOUND);
	nlh->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_NOTFOUND);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_NOTFOUND);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_flags |= RTM_F_CLONED;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_NOTFOUND);
	assert_memory_equal(&ev, &before, sizeof(ev));

	/* Every byte of the message flipped in turn: never a crash, never junk. */
	for (l = 0; l < full; l++) {
		nlh = mk_route4(&m);
		m.b[l] ^= 0xff;
		rc = rtnl_parse_event(nlh, full, &ev);
		assert_true(rc == 0 || rc == ERR_MALFORMED || rc == ERR_NOTFOUND);
		if (rc == 0) {
			assert_true(ev.route.dst.len <= addr_bits(&ev.route.dst.a));
			assert_true(ev.route.table != 0);
		}
	}
}

static struct nlmsghdr *
mk_link(union msgbuf *m, uint16_t type, int index, unsigned flags, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(m, 0, sizeof(*m));
	nlh = mnl_nlmsg_put_header(m->b);
	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static void
test_rtnl_parse_link(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct rtnl_event ev;

	nlh = mk_link(&m, RTM_NEWLINK, 5, IFF_UP | IFF_RUNNING | IFF_LOWER_UP, "ovt-x0");
	memset(&ev, 0xaa, sizeof(ev));
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.kind, RTNL_EV_LINK);
	assert_int_equal(ev.ifindex, 5);
	assert_true(ev.up);
	assert_false(ev.gone);
	assert_string_equal(ev.ifname, "ovt-x0");
	assert_int_equal(ev.route.oif, 0);

	/* Administratively up but no carrier, and the other way round: down. */
	nlh = mk_link(&m, RTM_NEWLINK, 5, IFF_UP | IFF_LOWER_UP, "ovt-x0");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_false(ev.up);
	nlh = mk_link(&m, RTM_NEWLINK, 5, IFF_RUNNING, "ovt-x0");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_false(ev.up);
	/* DELLINK is gone (and so not up), whatever its flags say. */
	nlh = mk_link(&m, RTM_DELLINK, 5, IFF_UP | IFF_RUNNING, NULL);
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_true(ev.gone);
	assert_false(ev.up);
	assert_string_equal(ev.ifname, "");
	/* 15 characters is the longest name. */
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, "0123456789abcde");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), 0);
	assert_string_equal(ev.ifname, "0123456789abcde");

	/* Hostile names: too long, unterminated, empty. */
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, "0123456789abcdef");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 6, "abcdef");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 0, "");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	/* Bad index; short ifinfomsg; name attribute cut short. */
	nlh = mk_link(&m, RTM_NEWLINK, 0, 0, "x");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_link(&m, RTM_NEWLINK, -3, 0, "x");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, NULL);
	nlh->nlmsg_len = sizeof(*nlh) + sizeof(struct ifinfomsg) - 2;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);
	nlh = mk_link(&m, RTM_NEWLINK, 5, 0, "ovt-x0");
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len - 4, &ev), ERR_MALFORMED);
	nlh->nlmsg_len -= 4;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_MALFORMED);

	/* Bridge port messages are not about the device's own state. */
	nlh = mk_link(&m, RTM_DELLINK, 5, 0, "ovt-x0");
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_BRIDGE;
	assert_int_equal(rtnl_parse_event(nlh, nlh->nlmsg_len, &ev), ERR_NOTFOUND);
}

/* ---- kernel: rules, routes with every field, notifications ---- */

/* Run a shell command in the test's namespace; it must succeed. */
static void
sh(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("`%s` failed (status %d)", cmd, st);
}

/* Does the output of cmd contain needle? */
static bool
sh_has(const char *cmd, const char *needle)
{
	char out[16384];
	size_t n = 0, k;
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	while (n < sizeof(out) - 1 && (k = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += k;
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
	return strstr(out, needle) != NULL;
}

struct rule_seen {
	struct rtnl_rule want;
	unsigned n, found, v4, v6;
	uint32_t prio;   /* priority of the last match */
	int stop;
};

static int
rule_cb(const struct rtnl_rule *rule, void *arg)
{
	struct rule_seen *s = arg;

	s->n++;
	if (rule->src.a.family == AF_INET)
		s->v4++;
	else if (rule->src.a.family == AF_INET6)
		s->v6++;
	else
		fail_msg("rule family %u", rule->src.a.family);
	/* "to all" comes back with src's family and len 0. */
	assert_int_equal(rule->dst.a.family, rule->src.a.family);
	if (rule->src.len == s->want.src.len && addr_eq(&rule->src.a, &s->want.src.a) &&
	    rule->dst.len == s->want.dst.len &&
	    (rule->dst.len == 0 || addr_eq(&rule->dst.a, &s->want.dst.a)) &&
	    rule->table == s->want.table &&
	    (s->want.priority == 0 || rule->priority == s->want.priority)) {
		s->found++;
		s->prio = rule->priority;
	}
	return s->stop;
}

static struct rule_seen
rules(struct rtnl *r, int family, const struct rtnl_rule *want)
{
	struct rule_seen s;

	memset(&s, 0, sizeof(s));
	s.want = *want;
	assert_int_equal(rtnl_rule_dump(r, family, rule_cb, &s), 0);
	return s;
}

static void
test_rtnl_rules(void **state)
{
	struct rtnl *r;
	struct rtnl_rule rule, r6, auto_prio, bad, main_rule, to, to_only;
	struct rule_seen s;

	need_netns();
	assert_int_equal(rtnl_open(&r), 0);
	rule = (struct rtnl_rule){ .src = P("10.100.0.0/22"), .table = 1194, .priority = 1194 };

	assert_int_equal(rtnl_rule_add(r, &rule), 0);
	assert_true(sh_has("ip -4 rule show", "1194:\tfrom 10.100.0.0/22 lookup 1194"));
	assert_int_equal(rtnl_rule_add(r, &rule), ERR_SYS);
	assert_int_equal(errno, EEXIST);

	/* The namespace's default rules are there too: local, main, default. */
	s = rules(r, AF_INET, &rule);
	assert_int_equal(s.found, 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.v6, 0);
	main_rule = (struct rtnl_rule){ .src = P("0.0.0.0/0"), .table = RT_TABLE_MAIN,
	    .priority = 32766 };
	assert_int_equal(rules(r, AF_INET, &main_rule).found, 1);
	s = rules(r, AF_INET6, &rule);
	assert_int_equal(s.found, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v4, 0);

	/* IPv6, and both families in one call. */
	r6 = (struct rtnl_rule){ .src = P("2001:db8:100::/48"), .table = 1195, .priority = 1195 };
	assert_int_equal(rtnl_rule_add(r, &r6), 0);
	assert_true(sh_has("ip -6 rule show", "1195:\tfrom 2001:db8:100::/48 lookup 1195"));
	s = rules(r, AF_UNSPEC, &r6);
	assert_int_equal(s.found, 1);
	assert_int_equal(s.v4, 4);
	assert_int_equal(s.v6, 3);

	/* Priority 0: the kernel picks one, which the dump reports. */
	auto_prio = (struct rtnl_rule){ .src = P("10.100.4.0/24"), .table = 1196 };
	assert_int_equal(rtnl_rule_add(r, &auto_prio), 0);
	s = rules(r, AF_INET, &auto_prio);
	assert_int_equal(s.found, 1);
	assert_true(s.prio != 0 && s.prio < 32766);
	assert_int_equal(rtnl_rule_del(r, &auto_prio), 0);
	assert_int_equal(rules(r, AF_INET, &auto_prio).found, 0);

	/* "from src to dst"; deleting needs the same dst. */
	to = (struct rtnl_rule){ .src = P("10.100.0.0/22"), .dst = P("198.51.100.0/24"),
	    .table = 1197, .priority = 1197 };
	assert_int_equal(rtnl_rule_add(r, &to), 0);
	assert_true(sh_has("ip -4 rule show",
	    "1197:\tfrom 10.100.0.0/22 to 198.51.100.0/24 lookup 1197"));
	assert_int_equal(rules(r, AF_INET, &to).found, 1);
	bad = to;
	bad.dst = P("198.51.100.0/25");
	assert_int_equal(rules(r, AF_INET, &bad).found, 0);
	assert_int_equal(rtnl_rule_del(r, &bad), ERR_SYS);
	assert_int_equal(errno, ENOENT);
	/* "from all to dst". */
	to_only = (struct rtnl_rule){ .src = P("0.0.0.0/0"), .dst = P("198.51.100.128/25"),
	    .table = 1198, .priority = 1198 };
	assert_int_equal(rtnl_rule_add(r, &to_only), 0);
	assert_true(sh_has("ip -4 rule show", "1198:\tfrom all to 198.51.100.128/25 lookup 1198"));
	assert_int_equal(rules(r, AF_INET, &to_only).found, 1);
	assert_int_equal(rtnl_rule_del(r, &to_only), 0);
	assert_int_equal(rtnl_rule_del(r, &to), 0);
	assert_int_equal(rules(r, AF_INET, &to).found, 0);
	assert_false(sh_has("ip -4 rule show", "198.51.100"));

	/* A callback's non-zero return stops the dump; the socket stays usable. */
	memset(&s, 0, sizeof(s));
	s.stop = 5;
	assert_int_equal(rtnl_rule_dump(r, AF_UNSPEC, rule_cb, &s), 5);
	assert_int_equal(s.n, 1);
	assert_int_equal(rules(r, AF_INET, &rule).found, 1);

	/* Delete; a second delete is the kernel's ENOENT. */
	assert_int_equal(rtnl_rule_del(r, &rule), 0);
	assert_false(sh_has("ip -4 rule show", "from 10.100.0.0/22"));
	assert_int_equal(rules(r, AF_INET, &rule).found, 0);
	assert_int_equal(rtnl_rule_del(r, &rule), ERR_SYS);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(rtnl_rule_del(r, &r6), 0);
	assert_int_equal(rules(r, AF_INET6, &r6).found, 0);

	/* Argument checks. */
	bad = rule;
	bad.table = 0;
	assert_int_equal(rtnl_rule_add(r, &bad), ERR_INVAL);
	bad = rule;
	bad.src = P("10.100.0.1/22");
	bad.src.a.b[3] = 1;
	assert_int_equal(rtnl_rule_add(r, &bad), ERR_INVAL);   /* host bits */
	bad = rule;
	bad.src.a.family = 0;
	assert_int_equal(rtnl_rule_add(r, &bad), ERR_INVAL);
	bad = rule;
	bad.src.len = 33;
	assert_int_equal(rtnl_rule_del(r, &bad), ERR_INVAL);
	bad = rule;
	bad.dst = P("2001:db8::/32");
	assert_int_equal(rtnl_rule_add(r, &bad), ERR_INVAL);   /* dst family differs */
	bad = rule;
	bad.dst = P("198.51.100.0/24");
	bad.dst.a.b[3] = 9;
	assert_int_equal(rtnl_rule_add(r, &bad), ERR_INVAL);   /* dst host bits */
	bad = rule;
	bad.dst = P("198.51.100.0/24");
	bad.dst.len = 40;
	assert_int_equal(rtnl_rule_del(r, &bad), ERR_INVAL);
	/* "to all": dst's address and family do not matter. */
	bad = rule;
	bad.dst = P("2001:db8::/32");
	bad.dst.len = 0;
	assert_int_equal(rtnl_rule_add(r, &bad), 0);
	assert_int_equal(rules(r, AF_INET, &rule).found, 1);
	assert_int_equal(rtnl_rule_del(r, &rule), 0);
	assert_int_equal(rtnl_rule_dump(r, AF_UNIX, rule_cb, &s), ERR_INVAL);
	assert_int_equal(rtnl_rule_dump(r, AF_INET, NULL, NULL), ERR_INVAL);
	assert_false(sh_has("ip -4 rule show", "lookup 1194"));
	rtnl_close(r);
}

enum { ROUTES_MAX = 64 };

struct route_seen {
	struct rtnl_route v[ROUTES_MAX];
	unsigned n;
	int stop;
};

static int
route_cb(const struct rtnl_route *rt, void *arg)
{
	struct route_seen *s = arg;

	assert_true(rt->table != 0);
	if (s->n < ROUTES_MAX)
		s->v[s->n] = *rt;
	s->n++;
	return s->stop;
}

static void
routes(struct rtnl *r, int family, uint32_t table, struct route_seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(rtnl_route_dump(r, family, table, route_cb, s), 0);
}

/* The route to dst (of the given type) in s, or NULL. */
static const struct rtnl_route *
route_find(const struct route_seen *s, const char *dst, uint8_t type)
{
	struct prefix p = P(dst);
	unsigned i;

	for (i = 0; i < s->n && i < ROUTES_MAX; i++)
		if (s->v[i].dst.len == p.len && addr_eq(&s->v[i].dst.a, &p.a) &&
		    s->v[i].type == type)
			return &s->v[i];
	return NULL;
}

/* A veth pair, both ends up, in the test's namespace. */
static void
veth_pair(const char *a, const char *b, unsigned *ia, unsigned *ib)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s", a, b);
	sh(cmd);
	assert_int_equal(rtnl_link_index(a, ia), 0);
	assert_int_equal(rtnl_link_index(b, ib), 0);
}

static void
test_rtnl_routes2(void **state)
{
	struct rtnl *r;
	struct rtnl_route gwrt, unr, v6, bh, bad;
	const struct rtnl_route *f;
	struct route_seen s;
	struct prefix p;
	unsigned idx, peer, n;

	need_netns();
	assert_int_equal(rtnl_open(&r), 0);
	veth_pair("ovt-ra0", "ovt-ra1", &idx, &peer);
	assert_int_equal(rtnl_link_set(r, idx, true, 0), 0);
	assert_int_equal(rtnl_link_set(r, peer, true, 0), 0);
	p = P("10.97.0.1/24");
	assert_int_equal(rtnl_addr_add(r, idx, &p), 0);

	/* Unicast via a gateway, with a metric and protocol bgp, in table 1194. */
	gwrt = (struct rtnl_route){ .dst = P("10.101.0.0/16"), .gw = A("10.97.0.2"), .oif = idx,
	    .table = 1194, .metric = 50, .protocol = RTPROT_BGP, .type = RTN_UNICAST };
	assert_int_equal(rtnl_route_add2(r, &gwrt, false), 0);
	assert_int_equal(rtnl_route_add2(r, &gwrt, false), ERR_SYS);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(rtnl_route_add2(r, &gwrt, true), 0);   /* replace */
	assert_true(sh_has("ip route show table 1194",
	    "10.101.0.0/16 via 10.97.0.2 dev ovt-ra0 proto bgp metric 50"));
	assert_false(sh_has("ip route show table main", "10.101.0.0"));
	/* An unreachable default in the same table; protocol 0 is static. */
	unr = (struct rtnl_route){ .dst = P("0.0.0.0/0"), .table = 1194, .type = RTN_UNREACHABLE };
	assert_int_equal(rtnl_route_add2(r, &unr, false), 0);
	assert_true(sh_has("ip route show table 1194", "unreachable default proto static"));
	/* IPv6: a device route and a blackhole. */
	v6 = (struct rtnl_route){ .dst = P("2001:db8:1::/48"), .oif = idx, .table = 1194,
	    .type = RTN_UNICAST };
	assert_int_equal(rtnl_route_add2(r, &v6, false), 0);
	bh = (struct rtnl_route){ .dst = P("2001:db8:2::/48"), .table = 1194, .metric = 7,
	    .type = RTN_BLACKHOLE, .protocol = RTPROT_BGP };
	assert_int_equal(rtnl_route_add2(r, &bh, false), 0);
	assert_true(sh_has("ip -6 route show table 1194", "2001:db8:1::/48 dev ovt-ra0 proto static"));
	assert_true(sh_has("ip -6 route show table 1194", "blackhole 2001:db8:2::/48 dev lo proto bgp metric 7"));

	/* The dump of table 1194 shows exactly these four, field by field. */
	routes(r, AF_UNSPEC, 1194, &s);
	assert_int_equal(s.n, 4);
	assert_non_null(f = route_find(&s, "10.101.0.0/16", RTN_UNICAST));
	assert_true(addr_eq(&f->gw, &gwrt.gw));
	assert_int_equal(f->oif, idx);
	assert_int_equal(f->table, 1194);
	assert_int_equal(f->metric, 50);
	assert_int_equal(f->protocol, RTPROT_BGP);
	assert_int_equal(f->scope, RT_SCOPE_UNIVERSE);
	assert_non_null(f = route_find(&s, "0.0.0.0/0", RTN_UNREACHABLE));
	assert_int_equal(f->gw.family, 0);
	assert_int_equal(f->oif, 0);
	assert_int_equal(f->table, 1194);
	assert_int_equal(f->protocol, RTPROT_STATIC);
	assert_non_null(f = route_find(&s, "2001:db8:1::/48", RTN_UNICAST));
	assert_int_equal(f->oif, idx);
	assert_int_equal(f->gw.family, 0);
	assert_int_equal(f->metric, 1024);   /* the kernel's IPv6 default */
	assert_int_equal(f->scope, RT_SCOPE_UNIVERSE);   /* sent as link; IPv6 has no scope */
	assert_non_null(f = route_find(&s, "2001:db8:2::/48", RTN_BLACKHOLE));
	assert_int_equal(f->metric, 7);
	routes(r, AF_INET, 1194, &s);
	assert_int_equal(s.n, 2);
	routes(r, AF_INET6, 1194, &s);
	assert_int_equal(s.n, 2);
	/* Table 0 is every table: the kernel's connected and local routes too. */
	routes(r, AF_INET, 0, &s);
	assert_true(s.n > 2 && s.n <= ROUTES_MAX);
	assert_non_null(f = route_find(&s, "10.97.0.0/24", RTN_UNICAST));
	assert_int_equal(f->table, RT_TABLE_MAIN);
	assert_int_equal(f->protocol, RTPROT_KERNEL);
	assert_int_equal(f->scope, RT_SCOPE_LINK);
	assert_non_null(f = route_find(&s, "10.97.0.1/32", RTN_LOCAL));
	assert_int_equal(f->table, RT_TABLE_LOCAL);
	assert_non_null(route_find(&s, "10.101.0.0/16", RTN_UNICAST));
	/* Stopping early returns the callback's value and drains the rest. */
	memset(&s, 0, sizeof(s));
	s.stop = 9;
	assert_int_equal(rtnl_route_dump(r, AF_UNSPEC, 0, route_cb, &s), 9);
	assert_int_equal(s.n, 1);
	routes(r, AF_UNSPEC, 1194, &s);
	assert_int_equal(s.n, 4);

	/* del2: by dst, table and type; twice is ESRCH. */
	assert_int_equal(rtnl_route_del2(r, &unr), 0);
	assert_false(sh_has("ip route show table 1194", "unreachable"));
	assert_int_equal(rtnl_route_del2(r, &unr), ERR_SYS);
	assert_int_equal(errno, ESRCH);
	bad = gwrt;
	bad.metric = 51;
	assert_int_equal(rtnl_route_del2(r, &bad), ERR_SYS);   /* metric must match */
	assert_int_equal(errno, ESRCH);
	assert_int_equal(rtnl_route_add2(r, &unr, false), 0);

	/* Flush: both families, only that table. */
	assert_int_equal(rtnl_route_flush_table(r, 1194, &n), 0);
	assert_int_equal(n, 4);
	routes(r, AF_UNSPEC, 1194, &s);
	assert_int_equal(s.n, 0);
	assert_false(sh_has("ip route show table 1194", "10.101"));
	assert_false(sh_has("ip -6 route show table 1194", "2001:db8"));
	assert_true(sh_has("ip route show table main", "10.97.0.0/24 dev ovt-ra0"));
	assert_int_equal(rtnl_route_flush_table(r, 1194, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(rtnl_route_flush_table(r, 1194, NULL), 0);

	/* Argument checks, before anything is sent. */
	bad = gwrt;
	bad.type = RTN_LOCAL;
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);
	bad = gwrt;
	bad.gw.family = 0;
	bad.oif = 0;
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);   /* nowhere */
	bad = gwrt;
	bad.gw = A("::1");
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);   /* family */
	bad = unr;
	bad.oif = idx;
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);
	bad = unr;
	bad.gw = A("10.97.0.2");
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);
	bad = gwrt;
	bad.dst = P("10.101.0.0/16");
	bad.dst.a.b[3] = 1;
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_INVAL);   /* host bits */
	assert_int_equal(rtnl_route_del2(r, &bad), ERR_INVAL);
	bad = gwrt;
	bad.type = RTN_MAX + 1;
	assert_int_equal(rtnl_route_del2(r, &bad), ERR_INVAL);
	assert_int_equal(rtnl_route_flush_table(r, 0, &n), ERR_INVAL);
	assert_int_equal(rtnl_route_dump(r, AF_UNIX, 0, route_cb, &s), ERR_INVAL);
	assert_int_equal(rtnl_route_dump(r, AF_INET, 0, NULL, NULL), ERR_INVAL);
	/* The kernel refuses a gateway that is not on a connected subnet. */
	bad = gwrt;
	bad.gw = A("192.0.2.1");
	assert_int_equal(rtnl_route_add2(r, &bad, false), ERR_SYS);
	assert_int_equal(errno, ENETUNREACH);

	sh("ip link del ovt-ra0");
	rtnl_close(r);
}

enum { EVENTS_MAX = 256 };

struct ev_log {
	struct rtnl_event v[EVENTS_MAX];
	unsigned n;
};

static void
ev_cb(const struct rtnl_event *ev, void *arg)
{
	struct ev_log *l = arg;

	if (l->n < EVENTS_MAX)
		l->v[l->n] = *ev;
	l->n++;
}

/* Index of the first logged event from `from` on that is a link event for ifindex. */
static int
ev_link(const struct ev_log *l, unsigned from, unsigned ifindex, bool up, bool gone)
{
	unsigned i;

	for (i = from; i < l->n && i < EVENTS_MAX; i++)
		if (l->v[i].kind == RTNL_EV_LINK && l->v[i].ifindex == ifindex &&
		    l->v[i].up == up && l->v[i].gone == gone)
			return (int)i;
	return -1;
}

static int
ev_route(const struct ev_log *l, unsigned from, enum rtnl_ev_kind kind, const char *dst)
{
	struct prefix p = P(dst);
	unsigned i;

	for (i = from; i < l->n && i < EVENTS_MAX; i++)
		if (l->v[i].kind == kind && l->v[i].route.dst.len == p.len &&
		    addr_eq(&l->v[i].route.dst.a, &p.a))
			return (int)i;
	return -1;
}

/*
 * Read events until find() succeeds.  poll() wakes as soon as the kernel
 * queues one; some (carrier changes) come from the kernel's link watch
 * work, a little after the change that caused them.
 */
#define EV_WAIT(m, l, expr) do {                                                \
	struct pollfd pfd_ = { .fd = rtnl_mon_fd(m), .events = POLLIN };       \
	int tries_ = 0;                                                         \
	for (;;) {                                                              \
		assert_int_equal(rtnl_mon_read((m), ev_cb, (l)), 0);           \
		if ((expr) >= 0)                                                \
			break;                                                  \
		if (++tries_ > 50 || poll(&pfd_, 1, 5000) != 1)                 \
			fail_msg("no event for %s", #expr);                     \
	}                                                                       \
} while (0)

static void
test_rtnl_monitor(void **state)
{
	struct rtnl *r;
	struct rtnl_mon *m;
	struct ev_log l;
	struct rtnl_route rt, rt6;
	const struct rtnl_event *e;
	unsigned idx, peer, mark;
	int fl, i;

	need_netns();
	assert_int_equal(rtnl_open(&r), 0);
	assert_int_equal(rtnl_mon_open(&m, 0), ERR_INVAL);
	assert_int_equal(rtnl_mon_open(&m, 8), ERR_INVAL);
	assert_int_equal(rtnl_mon_open(&m, RTNL_MON_ROUTE4 | RTNL_MON_ROUTE6 | RTNL_MON_LINK), 0);
	fl = fcntl(rtnl_mon_fd(m), F_GETFL);
	assert_true(fl >= 0 && (fl & O_NONBLOCK) != 0);
	fl = fcntl(rtnl_mon_fd(m), F_GETFD);
	assert_true(fl >= 0 && (fl & FD_CLOEXEC) != 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(rtnl_mon_read(m, ev_cb, &l), 0);   /* nothing queued */
	assert_int_equal(l.n, 0);

	/* A new veth pair: both ends come up once each sees the other's carrier. */
	veth_pair("ovt-ma0", "ovt-ma1", &idx, &peer);
	assert_int_equal(rtnl_link_set(r, idx, true, 0), 0);
	assert_int_equal(rtnl_link_set(r, peer, true, 0), 0);
	EV_WAIT(m, &l, ev_link(&l, 0, idx, true, false));
	e = &l.v[ev_link(&l, 0, idx, true, false)];
	assert_string_equal(e->ifname, "ovt-ma0");
	EV_WAIT(m, &l, ev_link(&l, 0, peer, true, false));

	/* A bgp route out of the device: ROUTE_ADD with every field. */
	mark = l.n;
	rt = (struct rtnl_route){ .dst = P("10.102.0.0/16"), .oif = idx, .metric = 20,
	    .protocol = RTPROT_BGP, .type = RTN_UNICAST };
	assert_int_equal(rtnl_route_add2(r, &rt, false), 0);
	EV_WAIT(m, &l, ev_route(&l, mark, RTNL_EV_ROUTE_ADD, "10.102.0.0/16"));
	e = &l.v[ev_route(&l, mark, RTNL_EV_ROUTE_ADD, "10.102.0.0/16")];
	assert_int_equal(e->route.oif, idx);
	assert_int_equal(e->route.gw.family, 0);
	assert_int_equal(e->route.table, RT_TABLE_MAIN);
	assert_int_equal(e->route.metric, 20);
	assert_int_equal(e->route.protocol, RTPROT_BGP);
	assert_int_equal(e->route.type, RTN_UNICAST);
	assert_int_equal(e->route.scope, RT_SCOPE_LINK);
	/* IPv6 in a table above 255. */
	rt6 = (struct rtnl_route){ .dst = P("2001:db8:5::/48"), .gw = A("fe80::1"), .oif = idx,
	    .table = 1194, .protocol = RTPROT_BGP, .type = RTN_UNICAST };
	assert_int_equal(rtnl_route_add2(r, &rt6, false), 0);
	EV_WAIT(m, &l, ev_route(&l, mark, RTNL_EV_ROUTE_ADD, "2001:db8:5::/48"));
	e = &l.v[ev_route(&l, mark, RTNL_EV_ROUTE_ADD, "2001:db8:5::/48")];
	assert_true(addr_eq(&e->route.gw, &rt6.gw));
	assert_int_equal(e->route.oif, idx);
	assert_int_equal(e->route.table, 1194);
	assert_int_equal(e->route.protocol, RTPROT_BGP);

	/* Deleting it is ROUTE_DEL with the same fields. */
	mark = l.n;
	assert_int_equal(rtnl_route_del2(r, &rt), 0);
	EV_WAIT(m, &l, ev_route(&l, mark, RTNL_EV_ROUTE_DEL, "10.102.0.0/16"));
	e = &l.v[ev_route(&l, mark, RTNL_EV_ROUTE_DEL, "10.102.0.0/16")];
	assert_int_equal(e->route.oif, idx);
	assert_int_equal(e->route.protocol, RTPROT_BGP);
	assert_int_equal(e->route.metric, 20);
	assert_int_equal(e->route.table, RT_TABLE_MAIN);

	/* Administratively down: LINK up=false; the peer loses carrier: also down. */
	mark = l.n;
	assert_int_equal(rtnl_link_set(r, idx, false, 0), 0);
	EV_WAIT(m, &l, ev_link(&l, mark, idx, false, false));
	assert_string_equal(l.v[ev_link(&l, mark, idx, false, false)].ifname, "ovt-ma0");
	EV_WAIT(m, &l, ev_link(&l, mark, peer, false, false));
	assert_true(link_is_up("ovt-ma1"));   /* still IFF_UP: only the carrier went */
	/* The kernel reports the IPv6 routes it drops with the device (not IPv4's). */
	EV_WAIT(m, &l, ev_route(&l, mark, RTNL_EV_ROUTE_DEL, "2001:db8:5::/48"));

	/* Removing the pair: LINK gone for both ends. */
	mark = l.n;
	sh("ip link del ovt-ma0");
	EV_WAIT(m, &l, ev_link(&l, mark, idx, false, true));
	EV_WAIT(m, &l, ev_link(&l, mark, peer, false, true));
	assert_true(l.n <= EVENTS_MAX);
	for (i = 0; i < (int)l.n; i++)
		assert_true(l.v[i].kind >= RTNL_EV_ROUTE_ADD && l.v[i].kind <= RTNL_EV_LINK);

	rtnl_mon_close(m);
	rtnl_mon_close(NULL);
	rtnl_close(r);
}

/*
 * Far more notifications than the socket buffer holds: the read reports
 * ERR_OVERFLOW once and the stale queue is gone, so the next read is
 * empty.  Also exercises a dump and a flush of thousands of routes.
 */
static void
test_rtnl_monitor_overflow(void **state)
{
	enum { NROUTES = 20000 };
	struct rtnl *r;
	struct rtnl_mon *m;
	struct rtnl_route rt;
	struct route_seen s;
	struct ev_log *l;
	socklen_t sl;
	unsigned i, n;
	int size;

	need_netns();
	assert_non_null(l = calloc(1, sizeof(*l)));
	assert_int_equal(rtnl_open(&r), 0);
	assert_int_equal(rtnl_mon_open(&m, RTNL_MON_ROUTE4), 0);
	sl = sizeof(size);
	assert_int_equal(getsockopt(rtnl_mon_fd(m), SOL_SOCKET, SO_RCVBUF, &size, &sl), 0);
	assert_true(size >= 1 << 20);   /* as root, past rmem_max */

	rt = (struct rtnl_route){ .table = 1300, .type = RTN_UNREACHABLE };
	for (i = 0; i < NROUTES; i++) {
		addr_from_v4(0x0ac80000u + i, &rt.dst.a);   /* 10.200.0.0 + i */
		rt.dst.len = 32;
		assert_int_equal(rtnl_route_add2(r, &rt, false), 0);
	}
	assert_int_equal(rtnl_mon_read(m, ev_cb, l), ERR_OVERFLOW);
	l->n = 0;
	assert_int_equal(rtnl_mon_read(m, ev_cb, l), 0);
	assert_int_equal(l->n, 0);
	/* The socket still works after the overflow. */
	rt.dst = P("10.201.0.0/16");
	assert_int_equal(rtnl_route_add2(r, &rt, false), 0);
	assert_int_equal(rtnl_mon_read(m, ev_cb, l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->v[0].kind, RTNL_EV_ROUTE_ADD);
	assert_int_equal(l->v[0].route.table, 1300);
	rtnl_mon_close(m);

	/*
	 * A dump this size spans many datagrams and the kernel keeps it open
	 * until read to the end: stopping early must still drain it, or the
	 * next dump would be refused (EBUSY) or read the old one's tail.
	 */
	memset(&s, 0, sizeof(s));
	s.stop = 3;
	assert_int_equal(rtnl_route_dump(r, AF_UNSPEC, 1300, route_cb, &s), 3);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rtnl_route_dump(r, AF_INET, 1300, route_cb, &s), 0);
	assert_int_equal(s.n, NROUTES + 1);
	assert_int_equal(rtnl_route_flush_table(r, 1300, &n), 0);
	assert_int_equal(n, NROUTES + 1);
	routes(r, AF_UNSPEC, 1300, &s);
	assert_int_equal(s.n, 0);
	rtnl_close(r);
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tun_open),
		cmocka_unit_test(test_rtnl_argument_checks),
		cmocka_unit_test(test_rtnl_link_addr_route),
		cmocka_unit_test(test_tun_write_path),
		cmocka_unit_test(test_rtnl_parse_route),
		cmocka_unit_test(test_rtnl_parse_hostile),
		cmocka_unit_test(test_rtnl_parse_link),
		cmocka_unit_test(test_rtnl_rules),
		cmocka_unit_test(test_rtnl_routes2),
		cmocka_unit_test(test_rtnl_monitor),
		cmocka_unit_test(test_rtnl_monitor_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
