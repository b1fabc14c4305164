/*
 * tcp.h - OpenVPN packets over a TCP stream (doc §1): each packet is
 * preceded by a big-endian u16 length that counts the packet only.
 *
 * One struct tcp_conn per accepted connection.  Receiving reassembles frames
 * across reads into a fixed buffer; a frame of length 0 or larger than
 * TCP_PKT_MAX ends the connection (2.6 allows up to 65535, but no packet we
 * or a 2.6 peer make comes near 2 kB, so a larger one is garbage).  Sending
 * appends framed packets to a queue that is written out as the socket
 * allows; the queue has a cap so a client that stops reading cannot make
 * the server buffer without limit (data packets over the cap are dropped,
 * as 2.6 drops them when its TCP queue is full).
 *
 * Pure apart from tcp_conn_flush(), which writes to the fd.
 */
#ifndef OVPN_TCP_H
#define OVPN_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"

enum {
	TCP_PKT_MAX = 4096,
	TCP_TXQ_MAX = 256 * 1024,      /* bytes queued before data is dropped */
	TCP_TXQ_HARD_MAX = 512 * 1024, /* control may go past the soft cap up to here */
};

struct tcp_conn {
	int fd;
	struct ev_io io;
	void *peer;                    /* the owner's client object */
	bool want_write;               /* EPOLLOUT armed */
	bool dirty;                    /* queued in the datapath's flush list */
	uint8_t rx[2 + TCP_PKT_MAX];   /* a partial frame */
	size_t rx_len;
	uint8_t *tx;                   /* framed bytes not yet written */
	size_t tx_off, tx_len, tx_cap;
	uint64_t tx_dropped;
};

/* Takes ownership of fd. */
void tcp_conn_init(struct tcp_conn *c, int fd);
/* Frees the queue and closes the fd (the caller removes it from the loop first). */
void tcp_conn_free(struct tcp_conn *c);

/* Feed bytes read from the socket; fn is called for each complete packet
 * (fn returning non-zero stops feeding and is returned).  ERR_MALFORMED on
 * an impossible frame length: the connection must be closed. */
int tcp_conn_feed(struct tcp_conn *c, const uint8_t *data, size_t n,
		  int (*fn)(void *arg, const uint8_t *pkt, size_t len), void *arg);

/* Queue one packet with its length prefix.  `control` packets may use the
 * space between the soft and the hard cap.  ERR_FULL if it does not fit. */
int tcp_conn_queue(struct tcp_conn *c, const uint8_t *pkt, size_t len, bool control);
/* Write what the socket takes.  0 when the queue is empty, ERR_AGAIN when
 * bytes remain (arm EPOLLOUT), ERR_SYS on a dead connection. */
int tcp_conn_flush(struct tcp_conn *c);
bool tcp_conn_pending(const struct tcp_conn *c);

#endif
