/*
 * profile.c - the .ovpn client profile (doc: OpenVPN 2.6 client options).
 *
 * What the profile says, and why:
 *   client, dev tun, proto, remote...  where and how to connect; several
 *                              remotes are tried in order (2.6's default)
 *   nobind                     a client has no business binding a port
 *   remote-cert-tls server     the server certificate must carry the KU
 *                              extension and EKU serverAuth: a client
 *                              certificate of the same CA cannot pose as
 *                              the server
 *   verify-x509-name CN name   and it must be *this* server
 *   data-ciphers               the AEAD ciphers the endpoint speaks
 *   auth-user-pass             only when the endpoint asks for passwords
 *   <ca> <cert> <key> <tls-crypt-v2>  inline, so one file is the whole setup
 *
 * 2.6 reads an inline block up to the first line "</tag>", so a PEM holding
 * "</" anywhere is refused rather than written (it could end the block and
 * smuggle in directives).  Hosts and names are restricted to characters
 * that 2.6 reads as one plain token.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "profile.h"

#define DATA_CIPHERS "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305"

static bool
token_ok(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= max)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr(extra, c) != NULL))
			return false;
	}
	/* no real host or name starts with '-'; refuse anything option-like */
	return s[0] != '-';
}

static bool
host_ok(const char *s)
{
	return token_ok(s, PROFILE_HOST_MAX, ".-_:");
}

int
profile_parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || s[0] == '0' || strlen(s) > 5)
		return ERR_INVAL;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ERR_INVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return ERR_INVAL;
	*out = (uint16_t)v;
	return 0;
}

int
profile_parse_remote(const char *arg, uint16_t default_port, struct profile_remote *out)
{
	const char *colon, *port = NULL;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	out->port = default_port;
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return ERR_INVAL;
		hlen = (size_t)(end - arg - 1);
		arg++;
		if (end[1] == ':')
			port = end + 2;
	} else if ((colon = strchr(arg, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - arg);
		port = colon + 1;
	} else {
		hlen = strlen(arg);
	}
	if (hlen == 0 || hlen > PROFILE_HOST_MAX)
		return ERR_INVAL;
	memcpy(out->host, arg, hlen);
	out->host[hlen] = '\0';
	if (!host_ok(out->host) || (port != NULL && profile_parse_port(port, &out->port) != 0))
		return ERR_INVAL;
	return 0;
}

int
profile_parse_proto(const char *s, enum profile_proto *out)
{
	if (strcmp(s, "udp") == 0)
		*out = PROFILE_UDP;
	else if (strcmp(s, "tcp") == 0 || strcmp(s, "tcp-client") == 0)
		*out = PROFILE_TCP;
	else
		return ERR_INVAL;
	return 0;
}

/* A growing text buffer; grows by copying, wiping the old copy (it may hold the key). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void
sb_grow(struct sbuf *b, size_t need)
{
	size_t cap = b->cap != 0 ? b->cap : 4096;
	char *p;

	while (cap < need)
		cap *= 2;
	if ((p = malloc(cap)) == NULL) {
		b->failed = true;
		return;
	}
	if (b->p != NULL) {
		memcpy(p, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
}

static void
sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->p == NULL || b->len + (size_t)n + 1 > b->cap)
		sb_grow(b, b->len + (size_t)n + 1);
	if (b->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static bool
pem_ok(const char *pem)
{
	return pem != NULL && pem[0] != '\0' && strstr(pem, "</") == NULL;
}

static void
block(struct sbuf *b, const char *tag, const char *pem)
{
	size_t n = strlen(pem);

	sb_printf(b, "<%s>\n%s%s</%s>\n", tag, pem, pem[n - 1] == '\n' ? "" : "\n", tag);
}

int
profile_write(const struct profile *p, char **out, size_t *len)
{
	struct sbuf b = { 0 };
	size_t i;

	*out = NULL;
	*len = 0;
	if (p->nremotes == 0 || p->nremotes > PROFILE_REMOTES_MAX ||
	    !token_ok(p->name, 64, "._@-") || !token_ok(p->server_cn, 64, "._@-") ||
	    !pem_ok(p->ca_pem) || !pem_ok(p->cert_pem) || !pem_ok(p->key_pem) ||
	    (p->tc2_pem != NULL && !pem_ok(p->tc2_pem)))
		return ERR_INVAL;
	for (i = 0; i < p->nremotes; i++)
		if (!host_ok(p->remotes[i].host) || p->remotes[i].port == 0)
			return ERR_INVAL;

	sb_printf(&b, "# OpenVPN client profile for %s, made by ovpn-pki.\n", p->name);
	sb_printf(&b, "# It holds %s's private key: keep it as secret as a password.\n", p->name);
	sb_printf(&b, "client\ndev tun\nproto %s\n", p->proto == PROFILE_TCP ? "tcp-client" : "udp");
	for (i = 0; i < p->nremotes; i++)
		sb_printf(&b, "remote %s %u\n", p->remotes[i].host, (unsigned)p->remotes[i].port);
	sb_printf(&b, "nobind\n");
	sb_printf(&b, "remote-cert-tls server\n");
	sb_printf(&b, "verify-x509-name %s name\n", p->server_cn);
	sb_printf(&b, "data-ciphers " DATA_CIPHERS "\n");
	if (p->auth_user_pass)
		sb_printf(&b, "auth-user-pass\n");
	sb_printf(&b, "verb 3\n");
	block(&b, "ca", p->ca_pem);
	block(&b, "cert", p->cert_pem);
	block(&b, "key", p->key_pem);
	if (p->tc2_pem != NULL)
		block(&b, "tls-crypt-v2", p->tc2_pem);
	if (b.failed) {
		if (b.p != NULL) {
			OPENSSL_cleanse(b.p, b.cap);
			free(b.p);
		}
		return ERR_NOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
