/*
 * datapath.c - per-packet work.  Hot path rules: no allocation, no logging
 * without a rate limit, one OpenSSL call sequence per packet on a context
 * created when the key was made, and at most one syscall per batch on the
 * UDP side.
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "comp.h"
#include "datapath.h"
#include "err.h"
#include "tcp.h"

int
dp_local_enable(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) == 0 ? 0 : ERR_SYS;
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0 ? 0 : ERR_SYS;
}

void
dp_local_from_msg(const struct msghdr *m, struct peer_local *out)
{
	struct cmsghdr *c;

	out->family = 0;
	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			memcpy(&out->v4, CMSG_DATA(c), sizeof(out->v4));
			/* answer from the address the client sent to, on any interface */
			out->v4.ipi_ifindex = 0;
			out->v4.ipi_spec_dst = out->v4.ipi_addr;
			out->family = AF_INET;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			memcpy(&out->v6, CMSG_DATA(c), sizeof(out->v6));
			out->v6.ipi6_ifindex = 0;
			out->family = AF_INET6;
		}
	}
}

void
dp_local_to_msg(const struct peer_local *l, struct msghdr *m, uint8_t *ctl)
{
	struct cmsghdr *c;

	m->msg_control = NULL;
	m->msg_controllen = 0;
	if (l == NULL || l->family == 0)
		return;
	memset(ctl, 0, DP_CMSG_SPACE);
	m->msg_control = ctl;
	if (l->family == AF_INET) {
		m->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		memcpy(CMSG_DATA(c), &l->v4, sizeof(l->v4));
	} else {
		m->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
		memcpy(CMSG_DATA(c), &l->v6, sizeof(l->v6));
	}
}

void
dp_batch_init(struct dp_batch *b, int fd)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
}

static void
flush_tcp(struct dp_batch *b)
{
	unsigned i;
	int r;

	for (i = 0; i < b->n_dirty; i++) {
		struct tcp_conn *c = b->dirty[i];

		c->dirty = false;
		r = tcp_conn_flush(c);
		if (r != 0 && b->tcp_blocked != NULL)
			b->tcp_blocked(b->tcp_arg, c, r);
	}
	b->n_dirty = 0;
}

void
dp_batch_forget(struct dp_batch *b, struct tcp_conn *c)
{
	unsigned i;

	for (i = 0; i < b->n_dirty; i++) {
		if (b->dirty[i] == c) {
			b->dirty[i] = b->dirty[--b->n_dirty];
			break;
		}
	}
	c->dirty = false;
}

static void
mark_dirty(struct dp_batch *b, struct tcp_conn *c)
{
	if (c->dirty)
		return;
	if (b->n_dirty == DP_BATCH)
		flush_tcp(b);
	c->dirty = true;
	b->dirty[b->n_dirty++] = c;
}

void
dp_batch_flush(struct dp_batch *b)
{
	unsigned done = 0;
	int r;

	flush_tcp(b);
	while (done < b->n) {
		r = sendmmsg(b->fd, &b->msg[done], b->n - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN or a per-destination error: drop the head
			 * datagram and go on with the rest, so one unreachable
			 * client cannot hold back the others. */
			b->dropped++;
			done++;
			continue;
		}
		b->sent += (unsigned)r;
		done += (unsigned)r;
	}
	b->n = 0;
}

static uint8_t *
batch_slot(struct dp_batch *b, struct peer *p, size_t *cap)
{
	unsigned i;

	if (b->n == DP_BATCH)
		dp_batch_flush(b);
	i = b->n;
	memcpy(&b->dst[i], &p->sa, p->salen);
	b->iov[i].iov_base = b->buf[i];
	memset(&b->msg[i], 0, sizeof(b->msg[i]));
	b->msg[i].msg_hdr.msg_name = &b->dst[i];
	b->msg[i].msg_hdr.msg_namelen = p->salen;
	b->msg[i].msg_hdr.msg_iov = &b->iov[i];
	b->msg[i].msg_hdr.msg_iovlen = 1;
	dp_local_to_msg(&p->local, &b->msg[i].msg_hdr, b->ctl[i]);
	*cap = DP_BUF;
	return b->buf[i];
}

static void
batch_commit(struct dp_batch *b, size_t len)
{
	b->iov[b->n].iov_len = len;
	b->n++;
}

int
dp_send(struct dp_batch *b, struct peer *p, const uint8_t *pt, size_t n, uint64_t now)
{
	struct keystate *ks = peer_tx_ks(p);
	uint8_t scratch[DP_BUF], framed[DP_BUF];
	struct wbuf w;
	uint8_t *slot;
	size_t cap;
	int r;

	if (ks == NULL)
		return ERR_BADSTATE;
	if (p->comp != COMP_NONE) {
		/* framing (and, only with allow-compression yes, compression)
		 * comes before encryption (doc §10.3) */
		wbuf_init(&w, framed, sizeof(framed));
		r = comp_frame((enum comp_mode)p->comp, (enum comp_allow)p->comp_allow, pt, n, &w);
		if (r != 0)
			return r;
		pt = framed;
		n = w.len;
	}
	if (p->tcp != NULL) {
		wbuf_init(&w, scratch, sizeof(scratch));
		r = dchan_encrypt(&ks->dk, p->data_v2, p->id, pt, n, &w);
		if (r == 0)
			r = tcp_conn_queue(p->tcp, scratch, w.len, false);
		if (r != 0)
			return r;
		mark_dirty(b, p->tcp);
		p->last_tx = now;
		p->bytes_out += w.len;
		p->pkts_out++;
		return 0;
	}
	slot = batch_slot(b, p, &cap);
	wbuf_init(&w, slot, cap);
	r = dchan_encrypt(&ks->dk, p->data_v2, p->id, pt, n, &w);
	if (r != 0)
		return r;
	batch_commit(b, w.len);
	p->last_tx = now;
	p->bytes_out += w.len;
	p->pkts_out++;
	return 0;
}

int
dp_send_raw(struct dp_batch *b, struct peer *p, const uint8_t *pkt, size_t n)
{
	uint8_t *slot;
	size_t cap;
	int r;

	if (p->tcp != NULL) {
		r = tcp_conn_queue(p->tcp, pkt, n, true);
		if (r != 0)
			return r;
		mark_dirty(b, p->tcp);
		p->bytes_out += n;
		return 0;
	}
	slot = batch_slot(b, p, &cap);
	if (n > cap)
		return ERR_OVERFLOW;
	memcpy(slot, pkt, n);
	batch_commit(b, n);
	p->bytes_out += n;
	return 0;
}

static enum dp_kind
classify(const struct peer *p, const uint8_t *pt, size_t n)
{
	struct buf b;
	struct addr src;
	uint8_t v;

	if (dchan_is_ping(pt, n))
		return DP_PING;
	if (dchan_is_occ_exit(pt, n))
		return DP_EXIT;
	buf_init(&b, pt, n);
	if (buf_peek_u8(&b, 0, &v) != 0)
		return DP_BAD_IP;
	memset(&src, 0, sizeof(src));
	if (v >> 4 == 4) {
		if (n < 20 || buf_skip(&b, 12) != 0 || buf_get_bytes(&b, src.b, 4) != 0)
			return DP_BAD_IP;
		src.family = AF_INET;
	} else if (v >> 4 == 6) {
		if (n < 40 || buf_skip(&b, 8) != 0 || buf_get_bytes(&b, src.b, 16) != 0)
			return DP_BAD_IP;
		src.family = AF_INET6;
		/* No IPv6 inside the tunnel until server-ipv6; clients' kernels
		 * still send the odd packet (MLD), which is not an attack. */
		if (!p->has_vaddr6)
			return DP_BAD_IP;
		return addr_eq(&src, &p->vaddr6) ? DP_IP : DP_SPOOFED;
	} else {
		return DP_BAD_IP;
	}
	if (!p->has_vaddr || !addr_eq(&src, &p->vaddr))
		return DP_SPOOFED;
	return DP_IP;
}

int
dp_recv(struct peer *p, const uint8_t *pkt, size_t len, uint64_t now, uint8_t *pt, size_t cap,
	size_t *pt_len, enum dp_kind *kind)
{
	struct dchan_hdr h;
	struct keystate *ks;
	int r;

	r = dchan_parse_hdr(pkt, len, &h);
	if (r != 0)
		return r;
	ks = peer_ks_by_id(p, h.key_id);
	if (ks == NULL || !ks->keys_ready)
		return ERR_BADSTATE;
	if (p->comp == COMP_NONE) {
		r = dchan_decrypt(&ks->dk, pkt, len, now, pt, cap, pt_len);
		if (r != 0)
			return r;
	} else {
		uint8_t framed[DP_BUF];
		struct wbuf w;
		size_t flen;

		r = dchan_decrypt(&ks->dk, pkt, len, now, framed, sizeof(framed), &flen);
		if (r != 0)
			return r;
		wbuf_init(&w, pt, cap);
		r = comp_unframe((enum comp_mode)p->comp, (enum comp_allow)p->comp_allow, framed, flen,
		    &w);
		if (r != 0) {
			/* authenticated, but framed wrongly: count it, keep the session */
			p->last_rx = now;
			return r;
		}
		*pt_len = w.len;
	}
	p->last_rx = now;
	p->bytes_in += len;
	p->pkts_in++;
	*kind = classify(p, pt, *pt_len);
	return 0;
}

int
dp_ip_dst(const uint8_t *pkt, size_t n, struct addr *dst)
{
	struct buf b;
	uint8_t v;

	buf_init(&b, pkt, n);
	if (buf_peek_u8(&b, 0, &v) != 0)
		return ERR_TRUNC;
	memset(dst, 0, sizeof(*dst));
	if (v >> 4 == 4) {
		if (buf_skip(&b, 16) != 0 || buf_get_bytes(&b, dst->b, 4) != 0)
			return ERR_TRUNC;
		dst->family = AF_INET;
		return 0;
	}
	if (v >> 4 == 6) {
		if (buf_skip(&b, 24) != 0 || buf_get_bytes(&b, dst->b, 16) != 0)
			return ERR_TRUNC;
		dst->family = AF_INET6;
		return 0;
	}
	return ERR_MALFORMED;
}

int
dp_ip_src(const uint8_t *pkt, size_t n, struct addr *src)
{
	struct buf b;
	uint8_t v;

	buf_init(&b, pkt, n);
	if (buf_peek_u8(&b, 0, &v) != 0)
		return ERR_TRUNC;
	memset(src, 0, sizeof(*src));
	if (v >> 4 == 4) {
		if (buf_skip(&b, 12) != 0 || buf_get_bytes(&b, src->b, 4) != 0)
			return ERR_TRUNC;
		src->family = AF_INET;
		return 0;
	}
	if (v >> 4 == 6) {
		if (buf_skip(&b, 8) != 0 || buf_get_bytes(&b, src->b, 16) != 0)
			return ERR_TRUNC;
		src->family = AF_INET6;
		return 0;
	}
	return ERR_MALFORMED;
}
