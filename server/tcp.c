/*
 * tcp.c - length-prefixed framing over a stream.
 *
 * Invariants: rx_len < 2 + TCP_PKT_MAX between calls (a complete frame is
 * always consumed at once); tx_off <= tx_len <= tx_cap.  The send queue is
 * compacted when more than half of it has been written, so it never grows
 * from bytes already sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "tcp.h"

void
tcp_conn_init(struct tcp_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

void
tcp_conn_free(struct tcp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->tx);
	c->tx = NULL;
	c->tx_len = c->tx_off = c->tx_cap = 0;
}

int
tcp_conn_feed(struct tcp_conn *c, const uint8_t *data, size_t n,
	      int (*fn)(void *arg, const uint8_t *pkt, size_t len), void *arg)
{
	struct buf in, frame;
	uint16_t flen;
	size_t need, take;
	int r;

	buf_init(&in, data, n);
	while (!buf_empty(&in)) {
		/* complete the 2-byte length first */
		if (c->rx_len < 2) {
			take = 2 - c->rx_len;
			if (take > buf_left(&in))
				take = buf_left(&in);
			buf_get_bytes(&in, c->rx + c->rx_len, take);
			c->rx_len += take;
			if (c->rx_len < 2)
				break;
		}
		flen = (uint16_t)((c->rx[0] << 8) | c->rx[1]);
		if (flen == 0 || flen > TCP_PKT_MAX)
			return ERR_MALFORMED;
		need = 2 + (size_t)flen - c->rx_len;
		take = need < buf_left(&in) ? need : buf_left(&in);
		buf_get_bytes(&in, c->rx + c->rx_len, take);
		c->rx_len += take;
		if (c->rx_len < 2 + (size_t)flen)
			break;
		c->rx_len = 0;
		buf_init(&frame, c->rx, 2 + (size_t)flen);
		buf_skip(&frame, 2);
		r = fn(arg, buf_cur(&frame), flen);
		if (r != 0)
			return r;
	}
	return 0;
}

int
tcp_conn_queue(struct tcp_conn *c, const uint8_t *pkt, size_t len, bool control)
{
	size_t limit = control ? TCP_TXQ_HARD_MAX : TCP_TXQ_MAX;
	size_t used = c->tx_len - c->tx_off, ncap;
	uint8_t *nt;

	if (len == 0 || len > 0xFFFF || used + 2 + len > limit) {
		c->tx_dropped++;
		return ERR_FULL;
	}
	if (c->tx_off > 0 && c->tx_off >= c->tx_len / 2) {
		memmove(c->tx, c->tx + c->tx_off, used);
		c->tx_len = used;
		c->tx_off = 0;
	}
	if (c->tx_len + 2 + len > c->tx_cap) {
		ncap = c->tx_cap ? c->tx_cap : 4096;
		while (ncap < c->tx_len + 2 + len)
			ncap *= 2;
		nt = realloc(c->tx, ncap);
		if (nt == NULL)
			return ERR_NOMEM;
		c->tx = nt;
		c->tx_cap = ncap;
	}
	c->tx[c->tx_len] = (uint8_t)(len >> 8);
	c->tx[c->tx_len + 1] = (uint8_t)len;
	memcpy(c->tx + c->tx_len + 2, pkt, len);
	c->tx_len += 2 + len;
	return 0;
}

bool
tcp_conn_pending(const struct tcp_conn *c)
{
	return c->tx_off < c->tx_len;
}

int
tcp_conn_flush(struct tcp_conn *c)
{
	ssize_t w;

	while (c->tx_off < c->tx_len) {
		w = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ERR_AGAIN;
			return ERR_SYS;
		}
		c->tx_off += (size_t)w;
	}
	c->tx_off = c->tx_len = 0;
	/* an idle connection keeps no send buffer */
	if (c->tx_cap > 4096) {
		free(c->tx);
		c->tx = NULL;
		c->tx_cap = 0;
	}
	return 0;
}
