/*
 * push.c - PUSH_REPLY construction and cipher selection.
 *
 * Options are first rendered one by one into a scratch line and validated
 * (no commas: the client splits on them; at most PUSH_OPTION_MAX bytes:
 * 2.6's parameter buffers are 256 bytes).  They are then packed greedily
 * into messages of at most PUSH_MSG_BUDGET bytes, leaving room for the
 * ",push-continuation N" trailer that every message gets when more than one
 * is needed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "push.h"

enum { PUSH_CONT_LEN = sizeof(",push-continuation 2") - 1 };

struct packer {
	struct push_out *out;
	size_t cur_len;      /* length of out->msg[out->n - 1] */
	int err;
};

static void
packer_start(struct packer *pk)
{
	struct push_out *o = pk->out;

	if (o->n >= PUSH_MAX_MSGS) {
		pk->err = ERR_OVERFLOW;
		return;
	}
	strcpy(o->msg[o->n], "PUSH_REPLY");
	pk->cur_len = strlen("PUSH_REPLY");
	o->n++;
}

static void
packer_add(struct packer *pk, const char *opt)
{
	size_t n = strlen(opt);

	if (pk->err != 0)
		return;
	if (n == 0 || n > PUSH_OPTION_MAX || strchr(opt, ',') != NULL) {
		pk->err = ERR_MALFORMED;
		return;
	}
	if (pk->cur_len + 1 + n + PUSH_CONT_LEN > PUSH_MSG_BUDGET) {
		packer_start(pk);
		if (pk->err != 0)
			return;
	}
	pk->out->msg[pk->out->n - 1][pk->cur_len] = ',';
	memcpy(&pk->out->msg[pk->out->n - 1][pk->cur_len + 1], opt, n + 1);
	pk->cur_len += 1 + n;
}

static void
packer_addf(struct packer *pk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
packer_addf(struct packer *pk, const char *fmt, ...)
{
	char line[PUSH_OPTION_MAX + 2];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(line)) {
		pk->err = ERR_MALFORMED;
		return;
	}
	packer_add(pk, line);
}

int
push_build(const struct push_input *in, struct push_out *out)
{
	struct packer pk = { .out = out };
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX];
	struct addr mask;
	unsigned i;

	out->n = 0;
	packer_start(&pk);
	for (i = 0; i < in->n_cfg_push; i++)
		packer_add(&pk, in->cfg_push[i]);
	for (i = 0; i < in->n_ep_push; i++)
		packer_add(&pk, in->ep_push[i]);
	for (i = 0; i < in->n_ccd_push; i++)
		packer_add(&pk, in->ccd_push[i]);

	/* the lines 2.6's `server` and `server-ipv6` helpers generate (doc §13) */
	if (in->has6)
		packer_add(&pk, "tun-ipv6");
	addr_format(&in->gateway, a, sizeof(a));
	if (in->topology == TOPO_SUBNET) {
		packer_addf(&pk, "route-gateway %s", a);
		packer_add(&pk, "topology subnet");
	} else if (in->topology == TOPO_NET30) {
		packer_addf(&pk, "route %s", a);
		packer_add(&pk, "topology net30");
	} else {
		packer_add(&pk, "topology p2p");
	}
	if (in->ping > 0)
		packer_addf(&pk, "ping %u", in->ping);
	if (in->ping_restart > 0)
		packer_addf(&pk, "ping-restart %u", in->ping_restart);
	if (in->compress != NULL)
		packer_add(&pk, in->compress);

	if (in->has6) {
		addr_format(&in->ifconfig6, a, sizeof(a));
		addr_format(&in->gateway6, b, sizeof(b));
		packer_addf(&pk, "ifconfig-ipv6 %s/%u %s", a, (unsigned)in->len6, b);
	}
	addr_format(&in->ifconfig, a, sizeof(a));
	if (in->topology == TOPO_SUBNET) {
		addr_netmask_from_len(in->net.len, &mask);
		addr_format(&mask, b, sizeof(b));
	} else {
		addr_format(&in->ifconfig_peer, b, sizeof(b));
	}
	packer_addf(&pk, "ifconfig %s %s", a, b);
	if (in->has_peer_id)
		packer_addf(&pk, "peer-id %u", in->peer_id);
	if (in->auth_token != NULL)
		packer_addf(&pk, "auth-token %s", in->auth_token);
	if (in->cipher != NULL)
		packer_addf(&pk, "cipher %s", in->cipher);
	if (in->proto_flags != 0)
		packer_addf(&pk, "protocol-flags%s%s",
		    (in->proto_flags & PUSH_PF_CC_EXIT) ? " cc-exit" : "",
		    (in->proto_flags & PUSH_PF_TLS_EKM) ? " tls-ekm" : "");
	else if (in->key_derivation_ekm)
		packer_add(&pk, "key-derivation tls-ekm");
	if (in->tun_mtu > 0)
		packer_addf(&pk, "tun-mtu %u", in->tun_mtu);
	if (pk.err != 0)
		return pk.err;

	if (out->n > 1) {
		for (i = 0; i < out->n; i++)
			strcat(out->msg[i], i + 1 < out->n ? ",push-continuation 2"
							 : ",push-continuation 1");
	}
	return 0;
}

const char *
push_select_cipher(const char (*server_list)[24], unsigned n, const char *fallback,
		   const struct peerinfo *pi)
{
	unsigned i;

	if (!peerinfo_does_ncp(pi))
		return fallback != NULL && fallback[0] != '\0' ? fallback : NULL;
	for (i = 0; i < n; i++)
		if (peerinfo_has_cipher(pi, server_list[i]))
			return server_list[i];
	return NULL;
}
