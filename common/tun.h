/*
 * tun.h - open a layer-3 TUN device through /dev/net/tun.
 *
 * Packets are read and written by the caller with plain read()/write() on
 * the returned fd: one IP packet per call, no packet-information header
 * (IFF_NO_PI).  The fd is non-blocking and close-on-exec; the caller owns it.
 *
 * Lifetime: a TUN device created here is not persistent, so the kernel
 * removes it (with its addresses and routes) when the last fd attached to it
 * is closed, including when the process dies.  No explicit teardown exists
 * or is needed.  Attaching to a device made persistent elsewhere (for
 * example `ip tuntap add mode tun`) leaves it in place after close.
 *
 * Needs CAP_NET_ADMIN (or ownership of a persistent device).
 */
#ifndef OVPN_TUN_H
#define OVPN_TUN_H

enum {
	TUN_NAME_MAX = 16,            /* IFNAMSIZ, including the NUL */
};

/*
 * Flags for tun_open().  Both are passed straight to TUNSETIFF; they exist so
 * the interface does not have to change when the datapath uses them.
 * TUN_F_VNET_HDR: every packet is preceded by a struct virtio_net_hdr (the
 * caller then also sets TUNSETVNETHDRSZ/TUNSETOFFLOAD on the fd).
 * TUN_F_MULTI_QUEUE: open one queue; call again with the same exact name
 * and flag for further queues.
 */
enum tun_flags {
	TUN_F_VNET_HDR = 1u << 0,
	TUN_F_MULTI_QUEUE = 1u << 1,
};

/*
 * Open a TUN device (IFF_TUN | IFF_NO_PI).  name_req NULL or "tun" lets the
 * kernel pick "tun%d"; any other name is used as given (a "%d" in it is
 * expanded by the kernel).  flags: 0 or a combination of enum tun_flags.
 * On success *fd_out is the device fd and name_out the real name.
 * 0; ERR_INVAL (empty or too long name, unknown flag); ERR_SYS (errno set:
 * ENOENT no /dev/net/tun, EPERM no CAP_NET_ADMIN, EBUSY name in use by an
 * attached device, EINVAL name belongs to a device of another type).
 * Outputs are untouched on failure.
 */
int tun_open(const char *name_req, unsigned flags, char name_out[TUN_NAME_MAX], int *fd_out);

#endif
