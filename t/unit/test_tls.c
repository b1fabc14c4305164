/*
 * test_tls.c - the TLS control channel: a server and a client tls_sess (or a
 * plain OpenSSL peer, where our API cannot express the peer we need) pumped
 * against each other in memory, with the committed test PKI in t/data/pki
 * (made by t/data/gen-pki.sh).  Certificates with hostile subject names are
 * made at run time from the test CA.
 *
 * Exporter check: both ends derive EXPORTER-OpenVPN-datakeys independently
 * (each from its own TLS key schedule), so equality is a real test; the raw
 * OpenSSL peer repeats it for TLS 1.2.
 *
 * Revocation and verify-x509-name use the material t/data/gen-crl.sh adds
 * (client3 revoked in crl.pem, a second CA, an intermediate CA, CRLs with
 * fixed dates).  Known answers: nextUpdate values are the scripts' fixed
 * dates converted by python3's calendar.timegm; the subject string of
 * rich.crt is the one openvpn 2.6.14 logged as "VERIFY OK: depth=0, ..."
 * for that certificate, and 2.6.14 accepted it as verify-x509-name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "proto.h"
#include "tls.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "t/data"
#endif

/* ---- fixtures ---- */

struct pem {
	char *p;
	size_t len;
};

static struct pem ca, ca_key, srv_crt, srv_key, c1_crt, c1_key, noeku_crt, noeku_key,
    rogue_crt, rogue_key, c3_crt, c3_key, rich_crt, rich_key, ca2, c4_crt, c4_key, inter,
    c5_crt, c5_key, crl, crl_empty, crl_expired, crl_ca2, crl_both, crl_inter, ca_ca2,
    ca_inter;

static void
load(struct pem *out, const char *name)
{
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/pki/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run t/data/gen-pki.sh t/data/pki)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	out->p = malloc((size_t)n + 1);
	assert_non_null(out->p);
	assert_int_equal(fread(out->p, 1, (size_t)n, f), (size_t)n);
	out->p[n] = '\0';
	out->len = (size_t)n;
	fclose(f);
}

/* out = a then b (a CA file with two certificates). */
static void
concat(struct pem *out, const struct pem *a, const struct pem *b)
{
	out->len = a->len + b->len;
	out->p = malloc(out->len + 1);
	assert_non_null(out->p);
	memcpy(out->p, a->p, a->len);
	memcpy(out->p + a->len, b->p, b->len);
	out->p[out->len] = '\0';
}

static int
setup_pki(void **state)
{
	(void)state;
	load(&ca, "ca.crt");
	load(&ca_key, "ca.key");
	load(&srv_crt, "server.crt");
	load(&srv_key, "server.key");
	load(&c1_crt, "client1.crt");
	load(&c1_key, "client1.key");
	load(&noeku_crt, "noeku.crt");
	load(&noeku_key, "noeku.key");
	load(&rogue_crt, "rogue.crt");
	load(&rogue_key, "rogue.key");
	load(&c3_crt, "client3.crt");
	load(&c3_key, "client3.key");
	load(&rich_crt, "rich.crt");
	load(&rich_key, "rich.key");
	load(&ca2, "ca2.crt");
	load(&c4_crt, "client4.crt");
	load(&c4_key, "client4.key");
	load(&inter, "inter.crt");
	load(&c5_crt, "client5.crt");
	load(&c5_key, "client5.key");
	load(&crl, "crl.pem");
	load(&crl_empty, "crl-empty.pem");
	load(&crl_expired, "crl-expired.pem");
	load(&crl_ca2, "crl-ca2.pem");
	load(&crl_both, "crl-both.pem");
	load(&crl_inter, "crl-inter.pem");
	concat(&ca_ca2, &ca, &ca2);
	concat(&ca_inter, &ca, &inter);
	return 0;
}

static int
teardown_pki(void **state)
{
	struct pem *all[] = { &ca, &ca_key, &srv_crt, &srv_key, &c1_crt, &c1_key, &noeku_crt,
		&noeku_key, &rogue_crt, &rogue_key, &c3_crt, &c3_key, &rich_crt, &rich_key, &ca2,
		&c4_crt, &c4_key, &inter, &c5_crt, &c5_key, &crl, &crl_empty, &crl_expired,
		&crl_ca2, &crl_both, &crl_inter, &ca_ca2, &ca_inter };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->p);
	return 0;
}

static struct tls_conf
conf(const struct pem *crt, const struct pem *key)
{
	struct tls_conf c = {
		.ca_pem = ca.p, .ca_len = ca.len,
		.require_peer_cert = true,
		.remote_cert_tls = true,
	};

	if (crt != NULL) {
		c.cert_pem = crt->p;
		c.cert_len = crt->len;
	}
	if (key != NULL) {
		c.key_pem = key->p;
		c.key_len = key->len;
	}
	return c;
}

static struct tls_ctx *
mkctx(const struct tls_conf *c, bool server)
{
	struct tls_ctx *ctx = NULL;
	char err[256];

	if (tls_ctx_new(&ctx, c, server, err, sizeof(err)) != 0)
		fail_msg("tls_ctx_new: %s", err);
	return ctx;
}

/* One end of a conversation: ours, or a plain OpenSSL SSL on memory BIOs. */
struct end {
	struct tls_sess *t;
	SSL *raw;
	BIO *rin, *rout;
	int rc;
};

static void
end_ours(struct end *e, struct tls_ctx *ctx)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(tls_sess_new(ctx, &e->t), 0);
	e->rc = ERR_AGAIN;
}

static void
end_raw(struct end *e, SSL_CTX *sc, bool server)
{
	memset(e, 0, sizeof(*e));
	e->raw = SSL_new(sc);
	assert_non_null(e->raw);
	e->rin = BIO_new(BIO_s_mem());
	e->rout = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(e->rin, -1);
	SSL_set_bio(e->raw, e->rin, e->rout);
	if (server)
		SSL_set_accept_state(e->raw);
	else
		SSL_set_connect_state(e->raw);
	e->rc = ERR_AGAIN;
}

static void
end_free(struct end *e)
{
	tls_sess_free(e->t);
	SSL_free(e->raw);
}

static void
end_step(struct end *e)
{
	int r;

	if (e->t != NULL) {
		e->rc = tls_sess_step(e->t);
		return;
	}
	r = SSL_do_handshake(e->raw);
	if (r == 1)
		e->rc = 0;
	else if (SSL_get_error(e->raw, r) == SSL_ERROR_WANT_READ)
		e->rc = ERR_AGAIN;
	else
		e->rc = ERR_MALFORMED;
	ERR_clear_error();
}

/* Move ciphertext from a to b in chunks of at most `chunk` (as the control
 * channel would split it); returns the number of bytes moved. */
static size_t
xfer(struct end *a, struct end *b, size_t chunk)
{
	uint8_t buf[1500];
	size_t moved = 0, n;

	if (chunk > sizeof(buf))
		chunk = sizeof(buf);
	for (;;) {
		if (a->t != NULL) {
			n = tls_sess_ct_read(a->t, buf, chunk);
		} else {
			int r = BIO_read(a->rout, buf, (int)chunk);

			n = r > 0 ? (size_t)r : 0;
		}
		if (n == 0)
			break;
		moved += n;
		if (b->t != NULL)
			(void)tls_sess_feed(b->t, buf, n);	/* refused after a fatal error */
		else
			assert_int_equal(BIO_write(b->rin, buf, (int)n), (int)n);
	}
	return moved;
}

/* Run the handshake until neither side has anything more to say. */
static void
pump(struct end *c, struct end *s)
{
	int i;

	for (i = 0; i < 32; i++) {
		size_t moved;

		end_step(c);
		moved = xfer(c, s, 1000);
		end_step(s);
		moved += xfer(s, c, 1000);
		if (moved == 0)
			break;
	}
	assert_true(i < 32);
}

/* Our client (client1) against our server: the usual case. */
static void
connect_ok(struct tls_ctx **sctx, struct tls_ctx **cctx, struct end *c, struct end *s)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&c1_crt, &c1_key);

	*sctx = mkctx(&sc, true);
	*cctx = mkctx(&cc, false);
	end_ours(c, *cctx);
	end_ours(s, *sctx);
	pump(c, s);
	assert_int_equal(c->rc, 0);
	assert_int_equal(s->rc, 0);
	assert_true(tls_sess_established(c->t));
	assert_true(tls_sess_established(s->t));
}

/* ---- tests ---- */

static void
test_handshake_and_data(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	uint8_t buf[64];
	size_t n;

	(void)state;
	connect_ok(&sctx, &cctx, &c, &s);
	assert_string_equal(tls_sess_error(s.t), "");
	assert_int_equal(tls_sess_step(s.t), 0);	/* stays 0 */

	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), ERR_AGAIN);
	assert_int_equal(tls_sess_write(c.t, (const uint8_t *)"PUSH_REQUEST", 13), 0);
	assert_true(tls_sess_ct_pending(c.t) > 13);
	xfer(&c, &s, 1000);
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 13);
	assert_string_equal((char *)buf, "PUSH_REQUEST");
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), ERR_AGAIN);

	assert_int_equal(tls_sess_write(s.t, (const uint8_t *)"PUSH_REPLY", 11), 0);
	xfer(&s, &c, 7);	/* split into small pieces */
	assert_int_equal(tls_sess_read(c.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 11);
	assert_string_equal((char *)buf, "PUSH_REPLY");

	/* One write is one record: two writes are two reads. */
	assert_int_equal(tls_sess_write(c.t, (const uint8_t *)"a", 1), 0);
	assert_int_equal(tls_sess_write(c.t, (const uint8_t *)"bc", 2), 0);
	xfer(&c, &s, 1000);
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 2);

	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_large_record(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	static uint8_t big[TLS_SESS_RECORD_MAX + 1], got[TLS_SESS_RECORD_MAX];
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	connect_ok(&sctx, &cctx, &c, &s);
	assert_int_equal(tls_sess_write(s.t, big, sizeof(big)), ERR_INVAL);
	assert_int_equal(tls_sess_write(s.t, big, 0), ERR_INVAL);
	assert_int_equal(tls_sess_write(s.t, big, TLS_SESS_RECORD_MAX), 0);
	xfer(&s, &c, 1250);
	assert_int_equal(tls_sess_read(c.t, got, sizeof(got), &n), 0);
	assert_int_equal(n, TLS_SESS_RECORD_MAX);
	assert_memory_equal(got, big, n);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_export(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	uint8_t ks[KEY2_LEN], kc[KEY2_LEN], other[KEY2_LEN], zero[KEY2_LEN] = { 0 };

	(void)state;
	connect_ok(&sctx, &cctx, &c, &s);
	assert_int_equal(tls_sess_export(s.t, EKM_LABEL_DATAKEYS, ks, sizeof(ks)), 0);
	assert_int_equal(tls_sess_export(c.t, EKM_LABEL_DATAKEYS, kc, sizeof(kc)), 0);
	assert_memory_equal(ks, kc, sizeof(ks));
	assert_memory_not_equal(ks, zero, sizeof(ks));
	assert_int_equal(tls_sess_export(s.t, EKM_LABEL_DYN_TLS_CRYPT, other, sizeof(other)), 0);
	assert_memory_not_equal(ks, other, sizeof(ks));
	assert_int_equal(tls_sess_export(s.t, NULL, other, 8), ERR_INVAL);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);

	/* A second session gets different keys. */
	connect_ok(&sctx, &cctx, &c, &s);
	assert_int_equal(tls_sess_export(s.t, EKM_LABEL_DATAKEYS, other, sizeof(other)), 0);
	assert_memory_not_equal(ks, other, sizeof(ks));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_peer_cn_and_describe(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	char cn[64], line[200];

	(void)state;
	connect_ok(&sctx, &cctx, &c, &s);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, sizeof(cn)), 0);
	assert_string_equal(cn, "client1");
	assert_int_equal(tls_sess_peer_cn(c.t, cn, sizeof(cn)), 0);
	assert_string_equal(cn, "server");
	/* "client1" needs 8 bytes with its NUL. */
	assert_int_equal(tls_sess_peer_cn(s.t, cn, 8), 0);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, 7), ERR_MALFORMED);

	tls_sess_describe(s.t, line, sizeof(line));
	assert_string_equal(line, "TLSv1.3, cipher TLS_AES_256_GCM_SHA384, peer certificate: "
	    "256 bits EC, signature: ecdsa-with-SHA256");
	tls_sess_describe(s.t, line, 10);	/* truncates, terminates */
	assert_int_equal(strlen(line), 9);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_before_established(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key);
	struct tls_ctx *sctx = mkctx(&sc, true);
	struct tls_sess *s;
	uint8_t buf[32];
	char cn[32];
	size_t n;

	(void)state;
	assert_int_equal(tls_sess_new(sctx, &s), 0);
	assert_false(tls_sess_established(s));
	assert_int_equal(tls_sess_step(s), ERR_AGAIN);	/* server waits for ClientHello */
	assert_int_equal(tls_sess_ct_pending(s), 0);
	assert_int_equal(tls_sess_write(s, (const uint8_t *)"x", 1), ERR_BADSTATE);
	assert_int_equal(tls_sess_read(s, buf, sizeof(buf), &n), ERR_BADSTATE);
	assert_int_equal(tls_sess_export(s, EKM_LABEL_DATAKEYS, buf, sizeof(buf)), ERR_BADSTATE);
	assert_int_equal(tls_sess_peer_cn(s, cn, sizeof(cn)), ERR_BADSTATE);
	assert_int_equal(tls_sess_feed(s, buf, 0), 0);
	tls_sess_free(s);
	tls_ctx_free(sctx);
}

/* The context may go before its sessions. */
static void
test_ctx_freed_first(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	uint8_t buf[8];
	size_t n;

	(void)state;
	connect_ok(&sctx, &cctx, &c, &s);
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
	assert_int_equal(tls_sess_write(c.t, (const uint8_t *)"hi", 2), 0);
	xfer(&c, &s, 1000);
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 2);
	end_free(&c);
	end_free(&s);
}

/* A refused client: the server gets ERR_AUTH with `reason`, has an alert to
 * send, and the client then fails too (during its handshake or, with TLS 1.3,
 * on its first read). */
static void
refused_on(struct tls_ctx *sctx, struct tls_ctx *cctx, const char *reason)
{
	struct end c, s;
	uint8_t buf[64];
	size_t n;
	int i;

	end_ours(&c, cctx);
	end_ours(&s, sctx);
	for (i = 0; i < 10 && s.rc == ERR_AGAIN; i++) {
		end_step(&c);
		xfer(&c, &s, 1000);
		end_step(&s);
		if (s.rc == ERR_AGAIN)
			xfer(&s, &c, 1000);
	}
	assert_int_equal(s.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(s.t), reason);
	assert_false(tls_sess_established(s.t));
	assert_true(tls_sess_ct_pending(s.t) > 0);	/* the alert */
	/* Sticky. */
	assert_int_equal(tls_sess_step(s.t), ERR_AUTH);
	assert_int_equal(tls_sess_feed(s.t, buf, 1), ERR_BADSTATE);

	xfer(&s, &c, 1000);
	end_step(&c);
	if (c.rc == 0)
		c.rc = tls_sess_read(c.t, buf, sizeof(buf), &n);
	assert_int_equal(c.rc, ERR_AUTH);
	assert_true(strncmp(tls_sess_error(c.t), "peer refused our certificate: ", 30) == 0);

	end_free(&c);
	end_free(&s);
}

static void
expect_client_refused(const struct tls_conf *scc, const struct tls_conf *ccc, const char *reason)
{
	struct tls_ctx *sctx = mkctx(scc, true), *cctx = mkctx(ccc, false);

	refused_on(sctx, cctx, reason);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

/* A handshake on existing contexts that must succeed; c and s stay open. */
static void
accepted_on(struct tls_ctx *sctx, struct tls_ctx *cctx, struct end *c, struct end *s)
{
	end_ours(c, cctx);
	end_ours(s, sctx);
	pump(c, s);
	if (s->rc != 0)
		fail_msg("server refused: %s", tls_sess_error(s->t));
	assert_int_equal(c->rc, 0);
}

/* As accepted_on, with fresh contexts, closing everything. */
static void
expect_accepted(const struct tls_conf *scc, const struct tls_conf *ccc)
{
	struct tls_ctx *sctx = mkctx(scc, true), *cctx = mkctx(ccc, false);
	struct end c, s;

	accepted_on(sctx, cctx, &c, &s);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_rogue_client(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&rogue_crt, &rogue_key);

	(void)state;
	expect_client_refused(&sc, &cc,
	    "certificate verify failed: unable to get local issuer certificate");
	sc.remote_cert_tls = false;	/* the chain check does not depend on it */
	expect_client_refused(&sc, &cc,
	    "certificate verify failed: unable to get local issuer certificate");
}

static void
test_client_without_eku(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&noeku_crt, &noeku_key);
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	char cn[32];

	(void)state;
	expect_client_refused(&sc, &cc, "peer certificate lacks EKU TLS Web Client Authentication");

	/* Without remote-cert-tls the same certificate is fine. */
	sc.remote_cert_tls = false;
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, sizeof(cn)), 0);
	assert_string_equal(cn, "noeku");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_server_cert_as_client(void **state)
{
	/* EKU serverAuth only: libssl's purpose check refuses it, with or
	 * without remote-cert-tls (the classic MITM-by-client-cert case). */
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&srv_crt, &srv_key);

	(void)state;
	sc.remote_cert_tls = false;
	expect_client_refused(&sc, &cc, "certificate verify failed: unsuitable certificate purpose");
}

static void
test_client_checks_server(void **state)
{
	/* A "server" whose certificate has no EKU: our client refuses it under
	 * remote-cert-tls, with its own reason. */
	struct tls_conf sc = conf(&noeku_crt, &noeku_key), cc = conf(&c1_crt, &c1_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *cctx = mkctx(&cc, false);
	struct end c, s;

	(void)state;
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(c.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(c.t),
	    "peer certificate lacks EKU TLS Web Server Authentication");
	assert_int_equal(s.rc, ERR_AUTH);	/* it got our alert */
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);

	/* And a server from the rogue CA. */
	sc = conf(&rogue_crt, &rogue_key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(c.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(c.t),
	    "certificate verify failed: unable to get local issuer certificate");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_no_client_cert(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(NULL, NULL);
	struct tls_ctx *sctx = mkctx(&sc, true), *cctx = mkctx(&cc, false);
	struct end c, s;
	char cn[32];

	(void)state;
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(s.t), "peer did not send a certificate");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(sctx);

	/* verify-client-cert optional: allowed, and there is no CN. */
	sc.require_peer_cert = false;
	sc.optional_peer_cert = true;
	sctx = mkctx(&sc, true);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, sizeof(cn)), ERR_NOTFOUND);
	assert_int_equal(tls_sess_peer_serial(s.t, cn, sizeof(cn)), ERR_NOTFOUND);
	assert_false(tls_sess_peer_revoked(s.t, sctx));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

/* verify-client-cert optional and none with clients that do send one. */
static void
test_client_cert_modes(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&c1_crt, &c1_key),
	    rc = conf(&rogue_crt, &rogue_key);
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	char cn[32];

	(void)state;
	/* optional: a certificate that is sent is verified and used. */
	sc.require_peer_cert = false;
	sc.optional_peer_cert = true;
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	accepted_on(sctx, cctx, &c, &s);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, sizeof(cn)), 0);
	assert_string_equal(cn, "client1");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	expect_client_refused(&sc, &rc,
	    "certificate verify failed: unable to get local issuer certificate");

	/* none: nothing is requested, so nothing is checked or known. */
	sc.optional_peer_cert = false;
	sctx = mkctx(&sc, true);
	cctx = mkctx(&rc, false);
	accepted_on(sctx, cctx, &c, &s);
	assert_int_equal(tls_sess_peer_cn(s.t, cn, sizeof(cn)), ERR_NOTFOUND);
	assert_int_equal(tls_sess_peer_cn(c.t, cn, sizeof(cn)), 0);	/* the client checked us */
	assert_string_equal(cn, "server");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);

	/* require wins over optional. */
	sc.require_peer_cert = true;
	sc.optional_peer_cert = true;
	cc = conf(NULL, NULL);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(s.t), "peer did not send a certificate");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_garbage(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key);
	struct tls_ctx *sctx = mkctx(&sc, true);
	struct tls_sess *s;
	uint8_t junk[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	assert_int_equal(tls_sess_new(sctx, &s), 0);
	assert_int_equal(tls_sess_feed(s, junk, sizeof(junk)), 0);
	assert_int_equal(tls_sess_step(s), ERR_MALFORMED);
	assert_true(strncmp(tls_sess_error(s), "TLS error: ", 11) == 0);
	assert_int_equal(tls_sess_step(s), ERR_MALFORMED);
	assert_int_equal(tls_sess_feed(s, junk, 1), ERR_BADSTATE);
	tls_sess_free(s);

	/* A plausible record header announcing more than exists: just waits. */
	assert_int_equal(tls_sess_new(sctx, &s), 0);
	assert_int_equal(tls_sess_feed(s, (const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6), 0);
	assert_int_equal(tls_sess_step(s), ERR_AGAIN);
	assert_int_equal(tls_sess_ct_pending(s), 0);
	tls_sess_free(s);
	/* ... but an oversized record length is refused at once. */
	assert_int_equal(tls_sess_new(sctx, &s), 0);
	assert_int_equal(tls_sess_feed(s, (const uint8_t *)"\x16\x03\x01\xff\xff\x01", 6), 0);
	assert_int_equal(tls_sess_step(s), ERR_MALFORMED);
	tls_sess_free(s);

	/* Input buffering is bounded. */
	{
		static uint8_t lots[40000];

		assert_int_equal(tls_sess_new(sctx, &s), 0);
		assert_int_equal(tls_sess_feed(s, lots, sizeof(lots)), 0);
		assert_int_equal(tls_sess_feed(s, lots, sizeof(lots)), ERR_FULL);
		tls_sess_free(s);
	}
	tls_ctx_free(sctx);
}

static void
test_truncated_handshake(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&c1_crt, &c1_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *cctx = mkctx(&cc, false);
	struct tls_sess *c, *s;
	uint8_t hello[4096];
	size_t n, cut;
	int rc;

	(void)state;
	assert_int_equal(tls_sess_new(cctx, &c), 0);
	assert_int_equal(tls_sess_step(c), ERR_AGAIN);
	n = tls_sess_ct_read(c, hello, sizeof(hello));
	assert_true(n > 100 && n < sizeof(hello));
	assert_int_equal(tls_sess_ct_pending(c), 0);

	/* Every prefix of the ClientHello leaves the server waiting, silent. */
	for (cut = 0; cut < n; cut += 13) {
		assert_int_equal(tls_sess_new(sctx, &s), 0);
		assert_int_equal(tls_sess_feed(s, hello, cut), 0);
		assert_int_equal(tls_sess_step(s), ERR_AGAIN);
		assert_int_equal(tls_sess_ct_pending(s), 0);
		tls_sess_free(s);
	}
	/* A ClientHello with a corrupted body fails cleanly. */
	hello[n / 2] ^= 0xff;
	hello[n / 2 + 1] ^= 0xff;
	assert_int_equal(tls_sess_new(sctx, &s), 0);
	assert_int_equal(tls_sess_feed(s, hello, n), 0);
	rc = tls_sess_step(s);
	assert_true(rc == ERR_MALFORMED || rc == ERR_AGAIN);
	tls_sess_free(s);
	tls_sess_free(c);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_corrupt_record(void **state)
{
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	uint8_t rec[256], buf[64];
	size_t n;

	(void)state;
	connect_ok(&sctx, &cctx, &c, &s);
	assert_int_equal(tls_sess_write(c.t, (const uint8_t *)"hello", 5), 0);
	n = tls_sess_ct_read(c.t, rec, sizeof(rec));
	assert_true(n > 5);
	rec[n - 1] ^= 1;	/* in the AEAD tag */
	assert_int_equal(tls_sess_feed(s.t, rec, n), 0);
	assert_int_equal(tls_sess_read(s.t, buf, sizeof(buf), &n), ERR_MALFORMED);
	assert_true(strlen(tls_sess_error(s.t)) > 11);
	assert_false(tls_sess_established(s.t));
	assert_true(tls_sess_ct_pending(s.t) > 0);	/* bad_record_mac alert */
	assert_int_equal(tls_sess_write(s.t, (const uint8_t *)"x", 1), ERR_MALFORMED);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static SSL_CTX *
raw_client_ctx(int max_version)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_client_method());
	BIO *b;
	X509 *x;
	EVP_PKEY *pk;

	assert_non_null(sc);
	SSL_CTX_set_max_proto_version(sc, max_version);
	b = BIO_new_mem_buf(c1_crt.p, (int)c1_crt.len);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(c1_key.p, (int)c1_key.len);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_int_equal(SSL_CTX_use_certificate(sc, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sc, pk), 1);
	X509_free(x);
	EVP_PKEY_free(pk);
	SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	return sc;
}

static void
test_tls12_and_min_version(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key);
	struct tls_ctx *sctx = mkctx(&sc, true);
	SSL_CTX *raw = raw_client_ctx(TLS1_2_VERSION);
	struct end c, s;
	uint8_t ks[KEY2_LEN], kc[KEY2_LEN];
	char line[200];

	(void)state;
	/* Default floor is TLS 1.2: a 1.2-only peer gets in. */
	end_raw(&c, raw, false);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(c.rc, 0);
	tls_sess_describe(s.t, line, sizeof(line));
	assert_true(strncmp(line, "TLSv1.2, cipher ECDHE-ECDSA-", 28) == 0);
	assert_int_equal(tls_sess_export(s.t, EKM_LABEL_DATAKEYS, ks, sizeof(ks)), 0);
	assert_int_equal(SSL_export_keying_material(c.raw, kc, sizeof(kc), EKM_LABEL_DATAKEYS,
	    strlen(EKM_LABEL_DATAKEYS), NULL, 0, 0), 1);
	assert_memory_equal(ks, kc, sizeof(ks));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(sctx);

	/* tls-version-min 1.3: the same peer is refused. */
	sc.min_version = TLS1_3_VERSION;
	sctx = mkctx(&sc, true);
	end_raw(&c, raw, false);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, ERR_MALFORMED);
	assert_string_equal(tls_sess_error(s.t), "TLS error: unsupported protocol");
	assert_true(c.rc != 0 && c.rc != ERR_AGAIN);	/* it got the alert */
	end_free(&c);
	end_free(&s);
	tls_ctx_free(sctx);
	SSL_CTX_free(raw);

	/* Out-of-range floors are configuration errors. */
	{
		struct tls_ctx *bad = NULL;
		char err[128];

		sc.min_version = 0x0305;
		assert_int_equal(tls_ctx_new(&bad, &sc, true, err, sizeof(err)), ERR_CONFIG);
		assert_null(bad);
		assert_string_equal(err, "tls: unsupported minimum TLS version");
	}
}

static void
test_ctx_errors(void **state)
{
	static char dummy;
	struct tls_conf sc;
	struct tls_ctx *ctx = (struct tls_ctx *)(void *)&dummy;	/* must be reset to NULL */
	char err[160];
	static const char dh2048[] =
	    "-----BEGIN DH PARAMETERS-----\n"
	    "MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n"
	    "+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n"
	    "87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n"
	    "YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n"
	    "7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n"
	    "ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==\n"
	    "-----END DH PARAMETERS-----\n";	/* RFC 7919 ffdhe2048 */

	(void)state;
	sc = conf(&srv_crt, &c1_key);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_null(ctx);
	assert_string_equal(err, "cert: key does not match certificate");

	sc = conf(&srv_crt, &srv_key);
	sc.ca_pem = "not a certificate";
	sc.ca_len = strlen(sc.ca_pem);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_true(strncmp(err, "ca: ", 4) == 0);

	sc = conf(&srv_crt, &srv_key);
	sc.ca_pem = NULL;
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "ca: no CA certificate given");

	sc = conf(&srv_crt, NULL);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "key: no private key given");

	sc = conf(NULL, &srv_key);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "cert: no certificate given");

	/* Truncated certificate PEM. */
	sc = conf(&srv_crt, &srv_key);
	sc.cert_len = srv_crt.len / 2;
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_true(strncmp(err, "cert: cannot parse certificate PEM: ", 36) == 0);

	/* A certificate where the key should be. */
	sc = conf(&srv_crt, &srv_crt);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_true(strncmp(err, "key: cannot parse private key", 29) == 0);

	/* DH parameters: good ones load, garbage is refused. */
	sc = conf(&srv_crt, &srv_key);
	sc.dh_pem = dh2048;
	sc.dh_len = sizeof(dh2048) - 1;
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), 0);
	tls_ctx_free(ctx);
	sc.dh_pem = ca.p;
	sc.dh_len = ca.len;
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_true(strncmp(err, "dh: ", 4) == 0);

	/* errbuf may be NULL. */
	sc = conf(&srv_crt, &c1_key);
	assert_int_equal(tls_ctx_new(&ctx, &sc, true, NULL, 0), ERR_CONFIG);
}

/* ---- certificates with chosen subjects, signed by the test CA ---- */

/* Issue a clientAuth certificate whose subject is the given CNs, stored raw
 * as UTF8String (no length or charset rules, as a hostile CA could);
 * returns its PEM and the key's PEM in fresh malloc'd memory. */
static void
issue(const char *const *cns, const int *lens, size_t ncn, struct pem *crt, struct pem *key)
{
	BIO *b = BIO_new_mem_buf(ca.p, (int)ca.len);
	X509 *cax = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_PKEY *cak, *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	BUF_MEM *m;
	size_t i;

	BIO_free(b);
	b = BIO_new_mem_buf(ca_key.p, (int)ca_key.len);
	cak = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(cax);
	assert_non_null(cak);
	assert_non_null(pk);

	for (i = 0; i < ncn; i++)
		assert_int_equal(X509_NAME_add_entry_by_NID(nm, NID_commonName, V_ASN1_UTF8STRING,
		    (const unsigned char *)cns[i], lens != NULL ? lens[i] : -1, -1, 0), 1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, X509_get_subject_name(cax));
	X509_set_pubkey(x, pk);
	X509V3_set_ctx(&v3, cax, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,digitalSignature");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "clientAuth");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, cak, EVP_sha256()) > 0);

	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	BIO_get_mem_ptr(b, &m);
	crt->p = malloc(m->length);
	memcpy(crt->p, m->data, m->length);
	crt->len = m->length;
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	BIO_get_mem_ptr(b, &m);
	key->p = malloc(m->length);
	memcpy(key->p, m->data, m->length);
	key->len = m->length;
	BIO_free(b);

	X509_NAME_free(nm);
	X509_free(x);
	X509_free(cax);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(cak);
}

/* Connect with a freshly issued certificate; return tls_sess_peer_cn's result. */
static int
cn_of_len(const char *const *cns, const int *lens, size_t ncn, char *out, size_t cap)
{
	struct pem crt, key;
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc;
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	int rc;

	issue(cns, lens, ncn, &crt, &key);
	cc = conf(&crt, &key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	rc = tls_sess_peer_cn(s.t, out, cap);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	free(crt.p);
	free(key.p);
	return rc;
}

static int
cn_of(const char *const *cns, size_t ncn, char *out, size_t cap)
{
	return cn_of_len(cns, NULL, ncn, out, cap);
}

static void
test_peer_cn_hostile(void **state)
{
	static const char *const good[] = { "alice.smith-2_x@example.org" };
	static const char *const shell[] = { "bob;rm -rf /" };
	static const char *const quote[] = { "bob'" };
	static const char *const nl[] = { "bob\nCN=admin" };
	static const char *const utf8[] = { "b\xc3\xb6" "b" };
	static const char *const two[] = { "client1", "admin" };
	static const char *const empty[] = { "" };
	static const char *const nul[] = { "bob\0admin" };
	static const int nul_len[] = { 9 };
	static const char *const longcn[] = {
		"a123456789b123456789c123456789d123456789e123456789f123456789g123456789" };
	char cn[64];

	(void)state;
	assert_int_equal(cn_of(good, 1, cn, sizeof(cn)), 0);
	assert_string_equal(cn, good[0]);
	assert_int_equal(cn_of(good, 1, cn, 10), ERR_MALFORMED);
	assert_string_equal(cn, "");
	assert_int_equal(cn_of(shell, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_string_equal(cn, "");
	assert_int_equal(cn_of(quote, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of(nl, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of(utf8, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of(two, 2, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of(empty, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of_len(nul, nul_len, 1, cn, sizeof(cn)), ERR_MALFORMED);
	assert_int_equal(cn_of_len(good, NULL, 1, cn, sizeof(cn)), 0);
	assert_int_equal(cn_of(longcn, 1, cn, sizeof(cn)), ERR_MALFORMED);	/* 70 > 63 */
	assert_int_equal(cn_of(NULL, 0, cn, sizeof(cn)), ERR_NOTFOUND);
}

/* ---- crl-verify ---- */

static struct tls_conf
conf_crl(const struct pem *crt, const struct pem *key, const struct pem *crlp)
{
	struct tls_conf c = conf(crt, key);

	c.crl_pem = crlp->p;
	c.crl_len = crlp->len;
	return c;
}

static void
test_crl_revoked(void **state)
{
	struct tls_conf sc = conf_crl(&srv_crt, &srv_key, &crl), c1 = conf(&c1_crt, &c1_key),
	    c3 = conf(&c3_crt, &c3_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *cctx;
	struct end c, s;
	char line[200];

	(void)state;
	cctx = mkctx(&c3, false);
	refused_on(sctx, cctx, "certificate verify failed: certificate revoked");
	tls_ctx_free(cctx);

	cctx = mkctx(&c1, false);
	accepted_on(sctx, cctx, &c, &s);
	assert_false(tls_sess_peer_revoked(s.t, sctx));
	/* The client's context has no CRL: never "revoked" there. */
	assert_false(tls_sess_peer_revoked(c.t, cctx));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);

	/* Without crl-verify client3 is fine (the CRL really is what refuses it). */
	tls_ctx_free(sctx);
	sc = conf(&srv_crt, &srv_key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&c3, false);
	accepted_on(sctx, cctx, &c, &s);
	assert_false(tls_sess_peer_revoked(s.t, sctx));
	tls_sess_describe(s.t, line, sizeof(line));
	assert_null(strstr(line, "client3"));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_crl_swap(void **state)
{
	struct tls_conf sc = conf_crl(&srv_crt, &srv_key, &crl_empty), c1 = conf(&c1_crt, &c1_key),
	    c3 = conf(&c3_crt, &c3_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *c1ctx = mkctx(&c1, false),
	    *c3ctx = mkctx(&c3, false);
	struct end a, as, d, ds, b, bs;
	uint8_t buf[16];
	char err[160];
	size_t n;
	int64_t t;

	(void)state;
	/* A: client3 established under the empty CRL. */
	accepted_on(sctx, c3ctx, &a, &as);
	assert_false(tls_sess_peer_revoked(as.t, sctx));
	assert_int_equal(tls_ctx_crl_next_update(sctx, &t), 0);
	assert_int_equal(t, 2051222400);	/* 2035-01-01T00:00:00Z */

	/* D: client3 half-way, the server waiting for the client's certificate. */
	end_ours(&d, c3ctx);
	end_ours(&ds, sctx);
	end_step(&d);
	xfer(&d, &ds, 1000);
	end_step(&ds);
	assert_int_equal(ds.rc, ERR_AGAIN);
	xfer(&ds, &d, 1000);

	/* The swap. */
	assert_int_equal(tls_ctx_set_crl(sctx, crl.p, crl.len, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* A lives on (nothing is torn down) but is now known to be revoked. */
	assert_true(tls_sess_established(as.t));
	assert_int_equal(tls_sess_write(a.t, (const uint8_t *)"ping", 4), 0);
	xfer(&a, &as, 1000);
	assert_int_equal(tls_sess_read(as.t, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 4);
	assert_true(tls_sess_peer_revoked(as.t, sctx));

	/* D, verified after the swap, sees the new CRL. */
	pump(&d, &ds);
	assert_int_equal(ds.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(ds.t), "certificate verify failed: certificate revoked");
	end_free(&d);
	end_free(&ds);

	/* B: a new handshake after the swap fails; client1 still gets in. */
	refused_on(sctx, c3ctx, "certificate verify failed: certificate revoked");
	accepted_on(sctx, c1ctx, &b, &bs);
	assert_false(tls_sess_peer_revoked(bs.t, sctx));

	/* And back: tls_sess_peer_revoked follows the current CRL. */
	assert_int_equal(tls_ctx_set_crl(sctx, crl_empty.p, crl_empty.len, err, sizeof(err)), 0);
	assert_false(tls_sess_peer_revoked(as.t, sctx));
	end_free(&b);
	end_free(&bs);
	accepted_on(sctx, c3ctx, &b, &bs);
	end_free(&b);
	end_free(&bs);

	/* A context made without a CRL gains checking. */
	tls_ctx_free(sctx);
	sc = conf(&srv_crt, &srv_key);
	sctx = mkctx(&sc, true);
	assert_int_equal(tls_ctx_crl_next_update(sctx, &t), ERR_NOTFOUND);
	assert_false(tls_sess_peer_revoked(as.t, sctx));
	assert_int_equal(tls_ctx_set_crl(sctx, crl.p, crl.len, err, sizeof(err)), 0);
	assert_true(tls_sess_peer_revoked(as.t, sctx));
	refused_on(sctx, c3ctx, "certificate verify failed: certificate revoked");

	end_free(&a);
	end_free(&as);
	tls_ctx_free(sctx);
	tls_ctx_free(c1ctx);
	tls_ctx_free(c3ctx);
}

/* A CRL naming the test CA as issuer, signed by some other key. */
static void
forged_crl(struct pem *out)
{
	BIO *b = BIO_new_mem_buf(ca.p, (int)ca.len);
	X509 *cax = PEM_read_bio_X509(b, NULL, NULL, NULL);
	X509_CRL *x = X509_CRL_new();
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1735689600);	/* 2025-01-01 */
	BUF_MEM *m;

	BIO_free(b);
	assert_non_null(cax);
	assert_non_null(x);
	assert_non_null(pk);
	assert_int_equal(X509_CRL_set_version(x, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(x, X509_get_subject_name(cax)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(x, t), 1);
	assert_true(X509_CRL_sign(x, pk, EVP_sha256()) > 0);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_CRL(b, x), 1);
	BIO_get_mem_ptr(b, &m);
	out->p = malloc(m->length);
	memcpy(out->p, m->data, m->length);
	out->len = m->length;
	BIO_free(b);
	ASN1_TIME_free(t);
	EVP_PKEY_free(pk);
	X509_CRL_free(x);
	X509_free(cax);
}

static void
test_crl_bad(void **state)
{
	struct tls_conf sc = conf_crl(&srv_crt, &srv_key, &crl), c3 = conf(&c3_crt, &c3_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *c3ctx = mkctx(&c3, false), *bad;
	char err[160], *p;
	struct pem forged;
	int64_t t;
	size_t cut;

	(void)state;
	forged_crl(&forged);
#define BAD(pem_, len_, why_) do { \
		assert_int_equal(tls_ctx_set_crl(sctx, (pem_), (len_), err, sizeof(err)), ERR_CONFIG); \
		assert_string_equal(err, (why_)); \
	} while (0)
	BAD(NULL, 0, "crl: no CRL given");
	BAD(crl.p, 0, "crl: no CRL given");
	BAD("junk\n", 5, "crl: no CRL found in PEM");
	BAD(ca.p, ca.len, "crl: no CRL found in PEM");	/* a certificate is no CRL */
	BAD(crl.p, crl.len / 2, "crl: cannot parse CRL #1");	/* truncated */
	BAD(crl_both.p, crl_both.len - 40, "crl: cannot parse CRL #2");
	BAD(crl_ca2.p, crl_ca2.len, "crl: CRL #1 is not issued by a configured CA");
	BAD(crl_both.p, crl_both.len, "crl: CRL #2 is not issued by a configured CA");
	BAD(forged.p, forged.len, "crl: CRL #1 has a bad signature");
	/* A corrupted byte inside the base64 body. */
	p = malloc(crl.len);
	memcpy(p, crl.p, crl.len);
	cut = crl.len / 2;
	p[cut] = p[cut] == 'A' ? 'B' : 'A';
	assert_int_equal(tls_ctx_set_crl(sctx, p, crl.len, err, sizeof(err)), ERR_CONFIG);
	assert_true(strncmp(err, "crl: ", 5) == 0);
	free(p);
	/* errbuf may be NULL. */
	assert_int_equal(tls_ctx_set_crl(sctx, "junk", 4, NULL, 0), ERR_CONFIG);
#undef BAD

	/* Every failure kept the old CRL. */
	assert_int_equal(tls_ctx_crl_next_update(sctx, &t), 0);
	assert_int_equal(t, 2051222400);
	refused_on(sctx, c3ctx, "certificate verify failed: certificate revoked");

	/* At start-up a bad CRL is a configuration error. */
	sc = conf_crl(&srv_crt, &srv_key, &crl_ca2);
	assert_int_equal(tls_ctx_new(&bad, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_null(bad);
	assert_string_equal(err, "crl: CRL #1 is not issued by a configured CA");
	sc.crl_len = 0;
	assert_int_equal(tls_ctx_new(&bad, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "crl: no CRL given");

	free(forged.p);
	tls_ctx_free(sctx);
	tls_ctx_free(c3ctx);
}

/* 2.6 (checked with openvpn 2.6.14) refuses every peer while the CRL is
 * past its nextUpdate: "VERIFY ERROR: depth=0, error=CRL has expired". */
static void
test_crl_expired(void **state)
{
	struct tls_conf sc = conf_crl(&srv_crt, &srv_key, &crl_expired), c1 = conf(&c1_crt, &c1_key);
	struct tls_ctx *sctx = mkctx(&sc, true), *cctx = mkctx(&c1, false);
	int64_t t;

	(void)state;
	assert_int_equal(tls_ctx_crl_next_update(sctx, &t), 0);
	assert_int_equal(t, 1580515200);	/* 2020-02-01T00:00:00Z */
	refused_on(sctx, cctx, "certificate verify failed: CRL has expired");
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_crl_several_cas(void **state)
{
	struct tls_conf sc = conf_crl(&srv_crt, &srv_key, &crl_both), c1 = conf(&c1_crt, &c1_key),
	    c3 = conf(&c3_crt, &c3_key), c4 = conf(&c4_crt, &c4_key), c5 = conf(&c5_crt, &c5_key);
	int64_t t;
	struct tls_ctx *sctx;

	(void)state;
	/* A concatenated CRL file, one CRL per CA. */
	sc.ca_pem = ca_ca2.p;
	sc.ca_len = ca_ca2.len;
	sctx = mkctx(&sc, true);
	assert_int_equal(tls_ctx_crl_next_update(sctx, &t), 0);
	assert_int_equal(t, 2032732800);	/* the earlier one: 2034-06-01T00:00:00Z */
	tls_ctx_free(sctx);
	expect_accepted(&sc, &c4);
	expect_accepted(&sc, &c1);
	expect_client_refused(&sc, &c3, "certificate verify failed: certificate revoked");

	/* No CRL for client4's CA: 2.6 lets it in with a warning, we refuse (P12). */
	sc.crl_pem = crl.p;
	sc.crl_len = crl.len;
	expect_client_refused(&sc, &c4, "certificate verify failed: unable to get certificate CRL");
	expect_accepted(&sc, &c1);

	/* Intermediate CA: its CRL suffices; the root's may be missing (as 2.6). */
	sc.ca_pem = ca_inter.p;
	sc.ca_len = ca_inter.len;
	sc.crl_pem = crl_inter.p;
	sc.crl_len = crl_inter.len;
	expect_accepted(&sc, &c5);
	/* ... but not the other way round. */
	sc.crl_pem = crl_empty.p;
	sc.crl_len = crl_empty.len;
	expect_client_refused(&sc, &c5, "certificate verify failed: unable to get certificate CRL");
}

/* ---- verify-x509-name ---- */

/* The string openvpn 2.6.14 logged for t/data/pki/rich.crt. */
static const char rich_subject[] = "C=KG, ST=NA, L=Z\xc3\xbcrich, O=Example, Inc., "
    "OU=VPN + UID=42, CN=rich-1, emailAddress=rich@example.org";

static struct tls_conf
conf_name(const char *name, int type)
{
	struct tls_conf c = conf(&srv_crt, &srv_key);

	c.verify_x509_name = name;
	c.verify_x509_type = type;
	return c;
}

static void
test_verify_x509_name(void **state)
{
	struct tls_conf rich = conf(&rich_crt, &rich_key), c1 = conf(&c1_crt, &c1_key), sc;
	struct tls_ctx *bad;
	char err[160];
	static const char *const subj_bad[] = {
		"CN=rich-1",
		"emailAddress=rich@example.org, CN=rich-1, OU=VPN + UID=42, O=Example, Inc., "
		    "L=Z\xc3\xbcrich, ST=NA, C=KG",	/* RFC 2253 order */
		"C=KG,ST=NA,L=Z\xc3\xbcrich,O=Example\\, Inc.,OU=VPN+UID=42,CN=rich-1,"
		    "emailAddress=rich@example.org",	/* RFC 2253 escaping */
		"C=KG, ST=NA, L=Z\xc3\xbcrich, O=Example, Inc., OU=VPN + UID=42, CN=rich-1, "
		    "emailAddress=rich@example.or",	/* one short */
		"C=KG, ST=NA, L=Z\xc3\xbcrich, O=Example, Inc., OU=VPN + UID=42, CN=rich-1, "
		    "emailAddress=rich@example.orgg",	/* one long */
	};
	size_t i;

	(void)state;
	/* subject (the default type, 0) */
	sc = conf_name(rich_subject, TLS_X509_SUBJECT);
	expect_accepted(&sc, &rich);
	for (i = 0; i < sizeof(subj_bad) / sizeof(subj_bad[0]); i++) {
		sc = conf_name(subj_bad[i], TLS_X509_SUBJECT);
		expect_client_refused(&sc, &rich,
		    "verify-x509-name: peer certificate subject does not match");
	}
	sc = conf_name("CN=client1", 0);
	expect_accepted(&sc, &c1);
	expect_client_refused(&sc, &rich,
	    "verify-x509-name: peer certificate subject does not match");

	/* name: the CN, exactly */
	sc = conf_name("rich-1", TLS_X509_NAME);
	expect_accepted(&sc, &rich);
	expect_client_refused(&sc, &c1, "verify-x509-name: peer certificate CN does not match");
	sc = conf_name("rich-", TLS_X509_NAME);
	expect_client_refused(&sc, &rich, "verify-x509-name: peer certificate CN does not match");
	sc = conf_name("rich-10", TLS_X509_NAME);
	expect_client_refused(&sc, &rich, "verify-x509-name: peer certificate CN does not match");

	/* name-prefix */
	sc = conf_name("rich-", TLS_X509_NAME_PREFIX);
	expect_accepted(&sc, &rich);
	expect_client_refused(&sc, &c1, "verify-x509-name: peer certificate CN does not match");
	sc = conf_name("rich-1", TLS_X509_NAME_PREFIX);
	expect_accepted(&sc, &rich);
	sc = conf_name("rich-1x", TLS_X509_NAME_PREFIX);
	expect_client_refused(&sc, &rich, "verify-x509-name: peer certificate CN does not match");
	sc = conf_name("client", TLS_X509_NAME_PREFIX);
	expect_accepted(&sc, &c1);

	/* Configuration errors. */
	sc = conf_name("", TLS_X509_NAME);
	assert_int_equal(tls_ctx_new(&bad, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "verify-x509-name: empty name");
	sc = conf_name("x", 3);
	assert_int_equal(tls_ctx_new(&bad, &sc, true, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "verify-x509-name: unknown type");
	assert_null(bad);
}

/* The usual client use: checking the server's name. */
static void
test_verify_x509_name_client(void **state)
{
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc = conf(&c1_crt, &c1_key);
	struct tls_ctx *sctx, *cctx;
	struct end c, s;

	(void)state;
	cc.verify_x509_name = "server";
	cc.verify_x509_type = TLS_X509_NAME;
	expect_accepted(&sc, &cc);
	cc.verify_x509_name = "CN=server";
	cc.verify_x509_type = TLS_X509_SUBJECT;
	expect_accepted(&sc, &cc);

	cc.verify_x509_name = "server2";
	cc.verify_x509_type = TLS_X509_NAME;
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(c.rc, ERR_AUTH);
	assert_string_equal(tls_sess_error(c.t), "verify-x509-name: peer certificate CN does not match");
	assert_int_equal(s.rc, ERR_AUTH);	/* it got our bad_certificate alert */
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

/* A certificate from issue() against verify-x509-name (name, type): 0 if
 * accepted, else the server's error text is compared with why. */
static void
name_case(const char *const *cns, const int *lens, size_t ncn, const char *name, int type,
    const char *why)
{
	struct pem crt, key;
	struct tls_conf sc = conf_name(name, type), cc;

	issue(cns, lens, ncn, &crt, &key);
	cc = conf(&crt, &key);
	if (why == NULL)
		expect_accepted(&sc, &cc);
	else
		expect_client_refused(&sc, &cc, why);
	free(crt.p);
	free(key.p);
}

static void
test_verify_x509_name_hostile(void **state)
{
	static const char *const two[] = { "admin", "bob" };
	static const char *const ctl[] = { "bob\nadmin" };
	static const char *const tab[] = { "x\ty" };
	static const char *const del[] = { "x\x7fy" };
	static const char *const nul[] = { "bob\0admin" };
	static const int nul_len[] = { 9 };
	static const char *const c64[] = {
		"a123456789b123456789c123456789d123456789e123456789f123456789abcd" };
	static const char *const c65[] = {
		"a123456789b123456789c123456789d123456789e123456789f123456789abcde" };
	const char *nocn = "verify-x509-name: peer certificate has no usable CN";
	const char *cnbad = "verify-x509-name: peer certificate CN does not match";

	(void)state;
	/* As 2.6: the last CN counts; control bytes in a CN turn into '_'. */
	name_case(two, NULL, 2, "bob", TLS_X509_NAME, NULL);
	name_case(two, NULL, 2, "admin", TLS_X509_NAME, cnbad);
	name_case(two, NULL, 2, "CN=admin, CN=bob", TLS_X509_SUBJECT, NULL);
	name_case(ctl, NULL, 1, "bob_admin", TLS_X509_NAME, NULL);
	name_case(ctl, NULL, 1, "bob\nadmin", TLS_X509_NAME, cnbad);
	name_case(del, NULL, 1, "x_y", TLS_X509_NAME, NULL);
	/* In the subject string OpenSSL escapes control bytes as \XX first. */
	name_case(ctl, NULL, 1, "CN=bob\\0Aadmin", TLS_X509_SUBJECT, NULL);
	name_case(tab, NULL, 1, "CN=x\\09y", TLS_X509_SUBJECT, NULL);
	name_case(ctl, NULL, 1, "CN=bob_admin", TLS_X509_SUBJECT,
	    "verify-x509-name: peer certificate subject does not match");
	/* Deviation from 2.6, which would compare "bob": refuse a NUL. */
	name_case(nul, nul_len, 1, "bob", TLS_X509_NAME, nocn);
	name_case(nul, nul_len, 1, "bob", TLS_X509_NAME_PREFIX, nocn);
	/* 64 bytes is 2.6's limit. */
	name_case(c64, NULL, 1, c64[0], TLS_X509_NAME, NULL);
	name_case(c65, NULL, 1, c65[0], TLS_X509_NAME, nocn);
	name_case(c65, NULL, 1, "a1", TLS_X509_NAME_PREFIX, nocn);
	/* No CN at all (and an empty subject, which 2.6 refuses too). */
	name_case(NULL, NULL, 0, "x", TLS_X509_NAME, nocn);
	name_case(NULL, NULL, 0, "x", TLS_X509_SUBJECT,
	    "verify-x509-name: peer certificate subject does not match");
}

static void
test_peer_serial(void **state)
{
	static const char *const cns[] = { "serial" };
	struct pem crt, key;
	struct tls_conf sc = conf(&srv_crt, &srv_key), cc;
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	char out[64];

	(void)state;
	issue(cns, NULL, 1, &crt, &key);	/* serial 4242 */
	cc = conf(&crt, &key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	assert_int_equal(tls_sess_peer_serial(s.t, out, sizeof(out)), ERR_BADSTATE);
	pump(&c, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(tls_sess_peer_serial(s.t, out, sizeof(out)), 0);
	assert_string_equal(out, "4242");
	assert_int_equal(tls_sess_peer_serial(s.t, out, 5), 0);
	assert_int_equal(tls_sess_peer_serial(s.t, out, 4), ERR_FULL);
	assert_string_equal(out, "");
	assert_int_equal(tls_sess_peer_serial(s.t, NULL, 4), ERR_INVAL);
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	free(crt.p);
	free(key.p);
}

/* P14: nothing of a certificate reaches our text, however it fails. */
static void
test_no_cert_text_in_messages(void **state)
{
	static const char *const evil[] = { "EVIL;rm -rf /" };
	struct pem crt, key;
	struct tls_conf sc = conf_name("nomatch", TLS_X509_NAME), cc;
	struct tls_ctx *sctx, *cctx;
	struct end c, s;
	char line[256];

	(void)state;
	issue(evil, NULL, 1, &crt, &key);
	cc = conf(&crt, &key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	end_ours(&c, cctx);
	end_ours(&s, sctx);
	pump(&c, &s);
	assert_int_equal(s.rc, ERR_AUTH);
	assert_null(strstr(tls_sess_error(s.t), "EVIL"));
	assert_null(strstr(tls_sess_error(c.t), "EVIL"));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(sctx);

	sc = conf(&srv_crt, &srv_key);
	sctx = mkctx(&sc, true);
	accepted_on(sctx, cctx, &c, &s);
	tls_sess_describe(s.t, line, sizeof(line));
	assert_null(strstr(line, "EVIL"));
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);

	/* rich.crt's many attributes, UTF-8 included, do not show either. */
	sc = conf(&srv_crt, &srv_key);
	cc = conf(&rich_crt, &rich_key);
	sctx = mkctx(&sc, true);
	cctx = mkctx(&cc, false);
	accepted_on(sctx, cctx, &c, &s);
	tls_sess_describe(s.t, line, sizeof(line));
	assert_string_equal(line, "TLSv1.3, cipher TLS_AES_256_GCM_SHA384, peer certificate: "
	    "256 bits EC, signature: ecdsa-with-SHA256");
	end_free(&c);
	end_free(&s);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	free(crt.p);
	free(key.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_data),
		cmocka_unit_test(test_large_record),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_peer_cn_and_describe),
		cmocka_unit_test(test_before_established),
		cmocka_unit_test(test_ctx_freed_first),
		cmocka_unit_test(test_rogue_client),
		cmocka_unit_test(test_client_without_eku),
		cmocka_unit_test(test_server_cert_as_client),
		cmocka_unit_test(test_client_checks_server),
		cmocka_unit_test(test_no_client_cert),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated_handshake),
		cmocka_unit_test(test_corrupt_record),
		cmocka_unit_test(test_tls12_and_min_version),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_peer_cn_hostile),
		cmocka_unit_test(test_client_cert_modes),
		cmocka_unit_test(test_crl_revoked),
		cmocka_unit_test(test_crl_swap),
		cmocka_unit_test(test_crl_bad),
		cmocka_unit_test(test_crl_expired),
		cmocka_unit_test(test_crl_several_cas),
		cmocka_unit_test(test_verify_x509_name),
		cmocka_unit_test(test_verify_x509_name_client),
		cmocka_unit_test(test_verify_x509_name_hostile),
		cmocka_unit_test(test_peer_serial),
		cmocka_unit_test(test_no_cert_text_in_messages),
	};

	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
