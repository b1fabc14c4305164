/*
 * datapath.h - tunnel packets between TUN and peers.
 *
 * Outgoing datagrams are built in place in a preallocated batch and leave in
 * one sendmmsg(2); nothing is allocated per packet.  Plaintext coming out of
 * a peer is classified (IP packet, keepalive ping, exit notification) and IP
 * packets are checked before they may reach TUN: the inner source must be
 * the address the peer was given (P8), so a client cannot speak for another.
 */
#ifndef OVPN_DATAPATH_H
#define OVPN_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "peer.h"


enum {
	DP_CMSG_SPACE = 64,     /* >= CMSG_SPACE(sizeof(struct in6_pktinfo)) */
	DP_BATCH = 64,          /* datagrams per sendmmsg/recvmmsg */
	DP_BUF = 2048,          /* one datagram; > tun-mtu 1500 + 24 overhead */
	DP_OVERHEAD = DATA_V2_HDR_LEN + PACKET_ID_LEN + AEAD_TAG_LEN,
};

struct tcp_conn;

struct dp_batch {
	int fd;
	unsigned n;
	/* TCP connections with queued bytes, written out at flush time; a
	 * connection that cannot take them all is handed to `tcp_blocked` (arm
	 * EPOLLOUT, or close the client when r is ERR_SYS). */
	struct tcp_conn *dirty[DP_BATCH];
	unsigned n_dirty;
	void (*tcp_blocked)(void *arg, struct tcp_conn *c, int r);
	void *tcp_arg;
	uint64_t sent, dropped;   /* datagrams, for statistics */
	struct mmsghdr msg[DP_BATCH];
	struct iovec iov[DP_BATCH];
	struct sockaddr_storage dst[DP_BATCH];
	uint8_t ctl[DP_BATCH][DP_CMSG_SPACE];
	uint8_t buf[DP_BATCH][DP_BUF];
};

enum dp_kind {
	DP_IP = 0,       /* forward to TUN */
	DP_PING,         /* keepalive, nothing to forward */
	DP_EXIT,         /* OCC exit: close the peer */
	DP_SPOOFED,      /* inner source is not the peer's address: drop */
	DP_BAD_IP,       /* not an IP packet we accept: drop */
};

/* Ask the kernel for the local address of every received datagram. */
int dp_local_enable(int fd, int family);
/* The local address from a received message's control data (the kernel's, not the peer's). */
void dp_local_from_msg(const struct msghdr *m, struct peer_local *out);
/* Attach l as the source of an outgoing message; ctl must have DP_CMSG_SPACE bytes. */
void dp_local_to_msg(const struct peer_local *l, struct msghdr *m, uint8_t *ctl);

void dp_batch_init(struct dp_batch *b, int fd);
/* Send everything queued (UDP batch and dirty TCP connections). */
void dp_batch_flush(struct dp_batch *b);
/* Forget a TCP connection that is going away. */
void dp_batch_forget(struct dp_batch *b, struct tcp_conn *c);
/* Encrypt pt for p into the batch (flushing first if full) with its newest
 * key.  ERR_BADSTATE if p has no key; ERR_RANGE if the key is exhausted. */
int dp_send(struct dp_batch *b, struct peer *p, const uint8_t *pt, size_t n, uint64_t now);
/* Queue an already built packet (control channel) to p's address. */
int dp_send_raw(struct dp_batch *b, struct peer *p, const uint8_t *pkt, size_t n);

/* Decrypt a data packet from p with the key its key id names.
 * Returns 0 and sets *kind and *pt_len, or ERR_* (no key, auth, replay). */
int dp_recv(struct peer *p, const uint8_t *pkt, size_t len, uint64_t now, uint8_t *pt,
	    size_t cap, size_t *pt_len, enum dp_kind *kind);

/* Destination address of an IPv4/IPv6 packet read from TUN. */
int dp_ip_dst(const uint8_t *pkt, size_t n, struct addr *dst);

/* The inner source address of an IP packet.  ERR_TRUNC, ERR_MALFORMED. */
int dp_ip_src(const uint8_t *pkt, size_t n, struct addr *src);

#endif
