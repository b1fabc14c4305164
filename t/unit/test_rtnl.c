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
 * packet into the tun and receiving it on a socket.
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
#include <linux/rtnetlink.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tun_open),
		cmocka_unit_test(test_rtnl_argument_checks),
		cmocka_unit_test(test_rtnl_link_addr_route),
		cmocka_unit_test(test_tun_write_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
