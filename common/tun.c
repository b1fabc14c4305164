/*
 * tun.c - /dev/net/tun setup.
 *
 * One open() plus one TUNSETIFF ioctl.  O_NONBLOCK and O_CLOEXEC are given
 * at open() so there is no window where the fd could leak across an exec by
 * another thread, and the event loop never blocks in read().  The device is
 * left non-persistent on purpose: closing the fd (or dying) removes it, so
 * a crashed server leaves no interface behind.  Linking and addressing the
 * device is rtnl's job, not this module's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "err.h"
#include "tun.h"

static const char tun_dev[] = "/dev/net/tun";

int
tun_open(const char *name_req, unsigned flags, char name_out[TUN_NAME_MAX], int *fd_out)
{
	struct ifreq ifr;
	size_t n;
	int fd, saved;

	_Static_assert(TUN_NAME_MAX == IFNAMSIZ, "TUN_NAME_MAX must match IFNAMSIZ");

	if ((flags & ~(unsigned)(TUN_F_VNET_HDR | TUN_F_MULTI_QUEUE)) != 0)
		return ERR_INVAL;
	memset(&ifr, 0, sizeof(ifr));
	if (name_req == NULL || strcmp(name_req, "tun") == 0)
		name_req = "tun%d";
	n = strlen(name_req);
	if (n == 0 || n >= IFNAMSIZ)
		return ERR_INVAL;
	memcpy(ifr.ifr_name, name_req, n);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (flags & TUN_F_VNET_HDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (flags & TUN_F_MULTI_QUEUE)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;

	fd = open(tun_dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ERR_SYS;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return ERR_SYS;
	}
	/* The kernel wrote back the real, NUL-terminated name. */
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
	*fd_out = fd;
	return 0;
}
