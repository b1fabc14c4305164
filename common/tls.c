/*
 * tls.c - the TLS control channel on OpenSSL memory BIOs (doc §6.1).
 *
 * Design.  Each session is an SSL object between two memory BIOs: rbio holds
 * ciphertext the reliability layer delivered (tls_sess_feed), wbio collects
 * what OpenSSL wants sent (tls_sess_ct_read).  The module never touches a
 * socket, a clock or the log; it returns ERR_* codes and keeps one line of
 * error text per session for the caller.
 *
 * Verification.  OpenSSL checks the chain against the configured CA (libssl
 * also applies the ssl_client/ssl_server purpose, so a peer certificate whose
 * EKU names only the other role already fails there).  Our verify callback
 * records the first failure as text, and at depth 0 adds OpenVPN's
 * remote-cert-tls rule: a key usage extension must be present, and the EKU
 * must name clientAuth (server side) or serverAuth (client side).  Failing
 * inside the callback makes OpenSSL send the proper alert to the peer.
 *
 * Invariants.
 *  - Error text is built only from static strings (ours or OpenSSL's reason
 *    strings), never from certificate contents, so it is safe to log and to
 *    put into AUTH_FAILED.
 *  - A fatal error is sticky: every later step/read/write returns it.
 *  - The OpenSSL thread error queue is empty when we return, so one
 *    session's failure never shows up as another's.
 *  - Input buffering is bounded (TLS_FEED_MAX) so a peer cannot grow rbio.
 *  - Memory per idle session stays small: SSL_MODE_RELEASE_BUFFERS, no
 *    session cache and no tickets (OpenVPN never resumes; each key_id does a
 *    full handshake).
 *
 * Revocation (crl-verify, as OpenVPN 2.6's OpenSSL backend: CRLs in the
 * X509_STORE with CRL_CHECK|CRL_CHECK_ALL).  The context keeps its CA
 * certificates and parsed CRLs; a CRL change builds a complete new
 * X509_STORE and swaps it into the SSL_CTX.  libssl looks the store up
 * through the SSL_CTX at verification time, so every handshake verified
 * after the swap (also one already under way) sees the new CRLs, while a
 * failed load leaves the old store in place.  Live sessions are checked on
 * request (tls_sess_peer_revoked) against the verified chain libssl keeps
 * for the SSL's lifetime.  Deviation from 2.6, for P12: a missing CRL for
 * the issuer of the peer's own certificate fails; above it, 2.6's
 * tolerance is kept.
 *
 * verify-x509-name reproduces 2.6's subject string and CN rules (see
 * tls.h); the strings are only compared, never copied into error text.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "tls.h"

enum {
	TLS_FEED_MAX = 64 * 1024,	/* undigested ciphertext we accept */
	TLS_ERR_LEN = 160,
};

enum {
	TLS_CN_MAX = 64,	/* OpenVPN's TLS_USERNAME_LEN */
};

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	bool server;
	bool remote_cert_tls;
	STACK_OF(X509) *cas;		/* the trust anchors, to rebuild the store */
	STACK_OF(X509_CRL) *crls;	/* NULL: no crl-verify */
	char *x509_name;		/* verify-x509-name, NULL = off */
	int x509_type;
};

struct tls_sess {
	SSL *ssl;		/* owns rbio and wbio, holds a ref on the SSL_CTX */
	BIO *rbio;		/* peer -> us ciphertext */
	BIO *wbio;		/* us -> peer ciphertext */
	bool server;
	bool remote_cert_tls;
	char *x509_name;	/* own copy: the context may go first */
	int x509_type;
	bool established;
	bool verify_failed;	/* the verify callback refused the peer */
	int fatal;		/* sticky error code, 0 while healthy */
	char err[TLS_ERR_LEN];
};

/* ---- context ---- */

/* errbuf = what || detail (detail may be NULL); tolerates a NULL errbuf. */
static void
seterr(char *buf, size_t len, const char *what, const char *detail)
{
	if (buf == NULL || len == 0)
		return;
	snprintf(buf, len, "%s%s", what, detail != NULL ? detail : "");
}

/* Text of the newest OpenSSL error, or a fallback; clears the queue. */
static const char *
ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : fallback;
}

/* Never prompt on a terminal for a passphrase: encrypted keys just fail. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static BIO *
pem_bio(const char *pem, size_t len)
{
	if (pem == NULL || len == 0 || len > INT_MAX)
		return NULL;
	return BIO_new_mem_buf(pem, (int)len);
}

/* Every certificate in the CA text goes into the trust store and, for a
 * server, into the list of acceptable issuers it sends to clients. */
static int
load_ca(SSL_CTX *sc, STACK_OF(X509) *cas, const struct tls_conf *c, bool server, char *errbuf,
    size_t errlen)
{
	STACK_OF(X509_INFO) *infos = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	X509_STORE *store = SSL_CTX_get_cert_store(sc);
	BIO *bio;
	int i, n = 0, rc = ERR_CONFIG;

	if ((bio = pem_bio(c->ca_pem, c->ca_len)) == NULL) {
		seterr(errbuf, errlen, "ca: no CA certificate given", NULL);
		return ERR_CONFIG;
	}
	infos = PEM_X509_INFO_read_bio(bio, NULL, no_passphrase, NULL);
	if (infos == NULL) {
		seterr(errbuf, errlen, "ca: cannot parse PEM: ", ossl_reason("bad PEM"));
		goto out;
	}
	if (server && (names = sk_X509_NAME_new_null()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);
		X509_NAME *nm;

		if (xi->x509 == NULL)
			continue;
		if (X509_STORE_add_cert(store, xi->x509) != 1) {
			seterr(errbuf, errlen, "ca: cannot add certificate: ",
			    ossl_reason("unknown error"));
			goto out;
		}
		if (sk_X509_push(cas, xi->x509) == 0) {
			rc = ERR_NOMEM;
			goto out;
		}
		X509_up_ref(xi->x509);
		if (names != NULL) {
			if ((nm = X509_NAME_dup(X509_get_subject_name(xi->x509))) == NULL ||
			    sk_X509_NAME_push(names, nm) == 0) {
				X509_NAME_free(nm);
				rc = ERR_NOMEM;
				goto out;
			}
		}
		n++;
	}
	if (n == 0) {
		seterr(errbuf, errlen, "ca: no certificate found in CA PEM", NULL);
		goto out;
	}
	if (names != NULL) {
		SSL_CTX_set_client_CA_list(sc, names);	/* takes ownership */
		names = NULL;
	}
	rc = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* The first certificate is ours; any that follow are its chain. */
static int
load_cert_key(SSL_CTX *sc, const struct tls_conf *c, char *errbuf, size_t errlen)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	int rc = ERR_CONFIG;

	if ((bio = pem_bio(c->cert_pem, c->cert_len)) == NULL) {
		seterr(errbuf, errlen, "cert: no certificate given", NULL);
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
		seterr(errbuf, errlen, "cert: cannot parse certificate PEM: ",
		    ossl_reason("bad PEM"));
		goto out;
	}
	if (SSL_CTX_use_certificate(sc, x) != 1) {
		seterr(errbuf, errlen, "cert: certificate refused: ", ossl_reason("unknown error"));
		goto out;
	}
	for (;;) {
		X509 *extra = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);

		if (extra == NULL)
			break;	/* end of text (or trailing junk, which we ignore) */
		if (SSL_CTX_add0_chain_cert(sc, extra) != 1) {
			X509_free(extra);
			seterr(errbuf, errlen, "cert: chain certificate refused: ",
			    ossl_reason("unknown error"));
			goto out;
		}
	}
	ERR_clear_error();
	BIO_free(bio);

	if ((bio = pem_bio(c->key_pem, c->key_len)) == NULL) {
		seterr(errbuf, errlen, "key: no private key given", NULL);
		goto out;
	}
	if ((pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL) {
		seterr(errbuf, errlen,
		    "key: cannot parse private key (encrypted keys are not supported): ",
		    ossl_reason("bad PEM"));
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(sc, pk) != 1 || SSL_CTX_check_private_key(sc) != 1) {
		ERR_clear_error();
		seterr(errbuf, errlen, "cert: key does not match certificate", NULL);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static int
load_dh(SSL_CTX *sc, const struct tls_conf *c, char *errbuf, size_t errlen)
{
	BIO *bio;
	EVP_PKEY *dh;
	int rc = ERR_CONFIG;

	if ((bio = pem_bio(c->dh_pem, c->dh_len)) == NULL) {
		seterr(errbuf, errlen, "dh: empty DH parameters", NULL);
		return ERR_CONFIG;
	}
	dh = PEM_read_bio_Parameters(bio, NULL);
	if (dh == NULL || EVP_PKEY_get_base_id(dh) != EVP_PKEY_DH) {
		seterr(errbuf, errlen, "dh: cannot parse DH parameters: ", ossl_reason("not DH"));
		EVP_PKEY_free(dh);
		goto out;
	}
	if (SSL_CTX_set0_tmp_dh_pkey(sc, dh) != 1) {	/* takes dh on success */
		EVP_PKEY_free(dh);
		seterr(errbuf, errlen, "dh: parameters refused: ", ossl_reason("too weak?"));
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* ---- revocation ---- */

/* crl_issuer_check results */
enum { CRL_OK, CRL_BAD_SIG, CRL_UNKNOWN_ISSUER };

/* Was crl signed by one of the configured CAs? */
static int
crl_issuer_check(const STACK_OF(X509) *cas, X509_CRL *crl)
{
	const X509_NAME *iss = X509_CRL_get_issuer(crl);
	bool named = false;
	int i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);
		EVP_PKEY *pk;

		if (X509_NAME_cmp(X509_get_subject_name(ca), iss) != 0)
			continue;
		named = true;
		if ((pk = X509_get0_pubkey(ca)) != NULL && X509_CRL_verify(crl, pk) == 1)
			return CRL_OK;
	}
	ERR_clear_error();
	return named ? CRL_BAD_SIG : CRL_UNKNOWN_ISSUER;
}

/*
 * Parse every CRL in pem (PEM blocks of other types are skipped by
 * OpenSSL) and check each is signed by one of cas.  All or nothing.
 */
static int
crl_parse(const STACK_OF(X509) *cas, const char *pem, size_t len, STACK_OF(X509_CRL) **out,
    char *errbuf, size_t errlen)
{
	STACK_OF(X509_CRL) *crls = NULL;
	X509_CRL *crl = NULL;
	BIO *bio;
	int rc = ERR_CONFIG, n, chk;

	*out = NULL;
	if (errbuf == NULL)
		errlen = 0;
	if ((bio = pem_bio(pem, len)) == NULL) {
		seterr(errbuf, errlen, "crl: no CRL given", NULL);
		return ERR_CONFIG;
	}
	if ((crls = sk_X509_CRL_new_null()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	ERR_clear_error();
	for (;;) {
		unsigned long e;

		n = sk_X509_CRL_num(crls) + 1;	/* this CRL's number, for errors */
		if ((crl = PEM_read_bio_X509_CRL(bio, NULL, no_passphrase, NULL)) == NULL) {
			/* "No start line" is the end of the text; anything else
			 * is a damaged CRL, and so is text without any CRL. */
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				if (n > 1)
					break;
				seterr(errbuf, errlen, "crl: no CRL found in PEM", NULL);
				goto out;
			}
			ERR_clear_error();
			if (errlen > 0)
				snprintf(errbuf, errlen, "crl: cannot parse CRL #%d", n);
			goto out;
		}
		if ((chk = crl_issuer_check(cas, crl)) != CRL_OK) {
			if (errlen > 0 && chk == CRL_BAD_SIG)
				snprintf(errbuf, errlen, "crl: CRL #%d has a bad signature", n);
			else if (errlen > 0)
				snprintf(errbuf, errlen, "crl: CRL #%d is not issued by a configured CA", n);
			goto out;
		}
		if (sk_X509_CRL_push(crls, crl) == 0) {
			rc = ERR_NOMEM;
			goto out;
		}
		crl = NULL;
	}
	*out = crls;
	crls = NULL;
	rc = 0;
out:
	X509_CRL_free(crl);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* A trust store with the CAs and, if any, the CRLs and CRL checking on. */
static X509_STORE *
store_build(const STACK_OF(X509) *cas, const STACK_OF(X509_CRL) *crls)
{
	X509_STORE *st = X509_STORE_new();
	int i;

	if (st == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(cas); i++) {
		if (X509_STORE_add_cert(st, sk_X509_value(cas, i)) != 1)
			goto fail;
	}
	if (crls != NULL) {
		for (i = 0; i < sk_X509_CRL_num(crls); i++) {
			if (X509_STORE_add_crl(st, sk_X509_CRL_value(crls, i)) != 1)
				goto fail;
		}
		if (X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) != 1)
			goto fail;
	}
	return st;
fail:
	X509_STORE_free(st);
	ERR_clear_error();
	return NULL;
}

int
tls_ctx_set_crl(struct tls_ctx *ctx, const char *pem, size_t len, char *errbuf, size_t errlen)
{
	STACK_OF(X509_CRL) *crls = NULL;
	X509_STORE *st;
	int rc;

	seterr(errbuf, errlen, "", NULL);
	if ((rc = crl_parse(ctx->cas, pem, len, &crls, errbuf, errlen)) != 0)
		return rc;
	if ((st = store_build(ctx->cas, crls)) == NULL) {
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		seterr(errbuf, errlen, "crl: cannot build certificate store", NULL);
		return ERR_NOMEM;
	}
	SSL_CTX_set_cert_store(ctx->ssl_ctx, st);	/* frees the old store */
	sk_X509_CRL_pop_free(ctx->crls, X509_CRL_free);
	ctx->crls = crls;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no timegm() and no time zone is involved. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
tls_ctx_crl_next_update(const struct tls_ctx *ctx, int64_t *unix_sec)
{
	bool found = false;
	int64_t best = 0, t;
	struct tm tm;
	int i;

	*unix_sec = 0;
	if (ctx->crls == NULL)
		return ERR_NOTFOUND;
	for (i = 0; i < sk_X509_CRL_num(ctx->crls); i++) {
		const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(sk_X509_CRL_value(ctx->crls, i));

		if (nu == NULL)
			continue;
		memset(&tm, 0, sizeof(tm));
		if (ASN1_TIME_to_tm(nu, &tm) != 1) {
			ERR_clear_error();
			return ERR_MALFORMED;
		}
		t = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
		    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
		if (!found || t < best)
			best = t;
		found = true;
	}
	if (!found)
		return ERR_NOTFOUND;
	*unix_sec = best;
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *xs);

int
tls_ctx_new(struct tls_ctx **out, const struct tls_conf *c, bool server, char *errbuf,
    size_t errlen)
{
	struct tls_ctx *t = NULL;
	SSL_CTX *sc = NULL;
	int minv = c->min_version != 0 ? c->min_version : TLS1_2_VERSION;
	int mode, rc;

	*out = NULL;
	seterr(errbuf, errlen, "", NULL);
	ERR_clear_error();
	if (minv < TLS1_VERSION || minv > TLS1_3_VERSION) {
		seterr(errbuf, errlen, "tls: unsupported minimum TLS version", NULL);
		return ERR_CONFIG;
	}
	if (c->verify_x509_name != NULL && (c->verify_x509_name[0] == '\0' ||
	    c->verify_x509_type < TLS_X509_SUBJECT || c->verify_x509_type > TLS_X509_NAME_PREFIX)) {
		seterr(errbuf, errlen, c->verify_x509_name[0] == '\0' ?
		    "verify-x509-name: empty name" : "verify-x509-name: unknown type", NULL);
		return ERR_CONFIG;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	if ((t->cas = sk_X509_new_null()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (c->verify_x509_name != NULL) {
		if ((t->x509_name = strdup(c->verify_x509_name)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		t->x509_type = c->verify_x509_type;
	}
	if ((sc = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method())) == NULL) {
		seterr(errbuf, errlen, "tls: cannot create context: ", ossl_reason("?"));
		rc = ERR_CRYPTO;
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(sc, minv) != 1) {
		seterr(errbuf, errlen, "tls: minimum TLS version refused: ", ossl_reason("?"));
		rc = ERR_CONFIG;
		goto out;
	}
	/* TLS-level renegotiation is never used (OpenVPN renegotiates with a
	 * fresh TLS session per key_id) and would only be an attack surface. */
	SSL_CTX_set_options(sc, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	if (server)
		SSL_CTX_set_num_tickets(sc, 0);
	/* Forward secrecy only by default: drop static-RSA key exchange from TLS 1.2. */
	if (SSL_CTX_set_cipher_list(sc, c->cipher_list != NULL ? c->cipher_list :
	    "DEFAULT:!kRSA") != 1) {
		seterr(errbuf, errlen, "tls-cipher: refused by OpenSSL: ", ossl_reason("?"));
		rc = ERR_CONFIG;
		goto out;
	}
	if (c->ciphersuites != NULL && SSL_CTX_set_ciphersuites(sc, c->ciphersuites) != 1) {
		seterr(errbuf, errlen, "tls-ciphersuites: refused by OpenSSL: ", ossl_reason("?"));
		rc = ERR_CONFIG;
		goto out;
	}
	if (c->groups != NULL && SSL_CTX_set1_groups_list(sc, c->groups) != 1) {
		seterr(errbuf, errlen, "tls-groups: refused by OpenSSL: ", ossl_reason("?"));
		rc = ERR_CONFIG;
		goto out;
	}
	/* tls-cert-profile: 2.6 maps insecure/legacy/preferred/suiteb onto
	 * OpenSSL security levels 0..3; set before the certificate is loaded so
	 * a key too weak for the profile is refused here. */
	if (c->security_level > 0)
		SSL_CTX_set_security_level(sc, c->security_level - 1);

	if ((rc = load_ca(sc, t->cas, c, server, errbuf, errlen)) != 0)
		goto out;
	if (server || c->cert_pem != NULL || c->key_pem != NULL) {
		if ((rc = load_cert_key(sc, c, errbuf, errlen)) != 0)
			goto out;
	}
	if (server && c->dh_pem != NULL) {
		if ((rc = load_dh(sc, c, errbuf, errlen)) != 0)
			goto out;
	}

	/* verify-client-cert require / optional / none, as 2.6 maps them. */
	if (!server)
		mode = SSL_VERIFY_PEER;
	else if (c->require_peer_cert)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	else if (c->optional_peer_cert)
		mode = SSL_VERIFY_PEER;
	else
		mode = SSL_VERIFY_NONE;
	SSL_CTX_set_verify(sc, mode, verify_cb);

	t->ssl_ctx = sc;
	sc = NULL;
	t->server = server;
	t->remote_cert_tls = c->remote_cert_tls;
	if (c->crl_pem != NULL) {
		char why[TLS_ERR_LEN];

		/* The reason goes to errbuf as-is ("crl: ..."). */
		if ((rc = tls_ctx_set_crl(t, c->crl_pem, c->crl_len, why, sizeof(why))) != 0) {
			seterr(errbuf, errlen, why, NULL);
			goto out;
		}
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	SSL_CTX_free(sc);
	tls_ctx_free(t);
	ERR_clear_error();
	return rc;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);	/* live sessions keep their own reference */
	sk_X509_pop_free(ctx->cas, X509_free);
	sk_X509_CRL_pop_free(ctx->crls, X509_CRL_free);
	free(ctx->x509_name);
	free(ctx);
}

/* ---- verification ---- */

static void
sess_seterr(struct tls_sess *s, const char *prefix, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s%s", prefix, what != NULL ? what : "");
}

/* OpenVPN's remote-cert-tls: KU present, EKU names the peer's role. */
static const char *
remote_cert_tls_check(X509 *x, bool we_are_server)
{
	uint32_t flags = X509_get_extension_flags(x);
	uint32_t want = we_are_server ? XKU_SSL_CLIENT : XKU_SSL_SERVER;

	if ((flags & EXFLAG_KUSAGE) == 0 || X509_get_key_usage(x) == 0)
		return "peer certificate lacks key usage extension";
	if ((flags & EXFLAG_XKUSAGE) == 0 || (X509_get_extended_key_usage(x) & want) == 0)
		return we_are_server ?
		    "peer certificate lacks EKU TLS Web Client Authentication" :
		    "peer certificate lacks EKU TLS Web Server Authentication";
	return NULL;
}

/* OpenVPN's string_mod(CC_PRINT, CC_CRLF, '_'): bytes below 0x20 and DEL
 * become '_'; UTF-8 stays as it is. */
static void
remap_name(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '_';
	}
}

/* 2.6's x509_get_subject() plus verify_cert()'s clean-up, compared with
 * want.  Nothing of the subject leaves this function. */
static bool
subject_matches(X509 *x, const char *want)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *m = NULL;
	unsigned char *p;
	size_t i, n;
	bool eq = false;

	if (bio == NULL)
		return false;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_SEP_CPLUS_SPC |
	    XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_ESC_CTRL) < 0)
		goto out;
	BIO_get_mem_ptr(bio, &m);
	/* An empty subject is a verification error in 2.6. */
	if (m == NULL || m->length == 0 || m->length != strlen(want))
		goto out;
	p = (unsigned char *)m->data;
	n = m->length;
	remap_name(p, n);
	for (i = 0; i < n && p[i] == '-'; i++)	/* string_replace_leading('-', '_') */
		p[i] = '_';
	eq = memcmp(p, want, n) == 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	return eq;
}

/* verify-x509-name name / name-prefix: the last CN, as 2.6 picks it. */
static const char *
cn_matches(X509 *x, const char *want, bool prefix)
{
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_ENTRY *ent;
	unsigned char *utf8 = NULL;
	const char *why = "verify-x509-name: peer certificate has no usable CN";
	int idx = -1, i, len;
	size_t wl = strlen(want);

	while ((i = X509_NAME_get_index_by_NID(nm, NID_commonName, idx)) >= 0)
		idx = i;
	if (idx < 0 || (ent = X509_NAME_get_entry(nm, idx)) == NULL)
		goto out;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent));
	/* 2.6 would cut at an embedded NUL and compare the rest; refuse. */
	if (len <= 0 || len > TLS_CN_MAX || memchr(utf8, '\0', (size_t)len) != NULL)
		goto out;
	remap_name(utf8, (size_t)len);
	why = "verify-x509-name: peer certificate CN does not match";
	if (prefix ? (size_t)len >= wl && memcmp(utf8, want, wl) == 0 :
	    (size_t)len == wl && memcmp(utf8, want, wl) == 0)
		why = NULL;
out:
	OPENSSL_free(utf8);
	ERR_clear_error();
	return why;
}

static const char *
x509_name_check(X509 *x, const char *want, int type)
{
	if (type == TLS_X509_SUBJECT)
		return subject_matches(x, want) ? NULL :
		    "verify-x509-name: peer certificate subject does not match";
	return cn_matches(x, want, type == TLS_X509_NAME_PREFIX);
}

static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_sess *s = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	const char *why;
	X509 *cert;

	if (s == NULL)
		return 0;	/* not one of our sessions: refuse */
	if (!ok) {
		int e = X509_STORE_CTX_get_error(xs);

		/* 2.6 lets a missing CRL pass with a warning at every depth;
		 * we do so only above the peer's own certificate (P12). */
		if (e == X509_V_ERR_UNABLE_TO_GET_CRL && X509_STORE_CTX_get_error_depth(xs) > 0)
			return 1;
		if (!s->verify_failed)
			sess_seterr(s, "certificate verify failed: ", X509_verify_cert_error_string(e));
		s->verify_failed = true;
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(xs) != 0)
		return 1;
	if ((cert = X509_STORE_CTX_get_current_cert(xs)) == NULL)
		return 0;
	if (s->remote_cert_tls && (why = remote_cert_tls_check(cert, s->server)) != NULL) {
		/* "Invalid purpose" makes libssl send an unsupported_certificate
		 * alert, so the peer learns it was refused for its certificate. */
		X509_STORE_CTX_set_error(xs, X509_V_ERR_INVALID_PURPOSE);
		sess_seterr(s, why, NULL);
		s->verify_failed = true;
		return 0;
	}
	if (s->x509_name != NULL && (why = x509_name_check(cert, s->x509_name, s->x509_type)) != NULL) {
		/* Maps to a bad_certificate alert for the peer. */
		X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
		sess_seterr(s, why, NULL);
		s->verify_failed = true;
		return 0;
	}
	return 1;
}

/* ---- sessions ---- */

int
tls_sess_new(struct tls_ctx *ctx, struct tls_sess **out)
{
	struct tls_sess *s;
	int rc = ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ERR_NOMEM;
	ERR_clear_error();
	if ((s->ssl = SSL_new(ctx->ssl_ctx)) == NULL)
		goto out;
	if ((s->rbio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if ((s->wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(s->rbio);
		goto out;
	}
	/* An empty rbio means "retry later" (the default for a fresh mem BIO;
	 * made explicit because WANT_READ depends on it). */
	BIO_set_mem_eof_return(s->rbio, -1);
	BIO_set_mem_eof_return(s->wbio, -1);
	SSL_set_bio(s->ssl, s->rbio, s->wbio);	/* ssl owns both now */
	if (SSL_set_app_data(s->ssl, s) != 1) {
		rc = ERR_CRYPTO;
		goto out;
	}
	s->server = ctx->server;
	s->remote_cert_tls = ctx->remote_cert_tls;
	if (ctx->x509_name != NULL) {
		if ((s->x509_name = strdup(ctx->x509_name)) == NULL)
			goto out;
		s->x509_type = ctx->x509_type;
	}
	if (ctx->server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL) {
		if (s->ssl != NULL)
			SSL_free(s->ssl);
		else
			BIO_free(s->rbio);
		free(s->x509_name);
		free(s);
	}
	ERR_clear_error();
	return rc;
}

void
tls_sess_free(struct tls_sess *s)
{
	if (s == NULL)
		return;
	SSL_free(s->ssl);	/* frees the BIOs; OpenSSL wipes its key schedule */
	free(s->x509_name);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int
tls_sess_feed(struct tls_sess *s, const uint8_t *ct, size_t n)
{
	if (s->fatal != 0)
		return ERR_BADSTATE;
	if (n == 0)
		return 0;
	if (ct == NULL)
		return ERR_INVAL;
	if (n > TLS_FEED_MAX || BIO_ctrl_pending(s->rbio) > TLS_FEED_MAX - n)
		return ERR_FULL;
	if (BIO_write(s->rbio, ct, (int)n) != (int)n) {
		ERR_clear_error();
		return ERR_NOMEM;
	}
	return 0;
}

/* Reasons OpenSSL gives when the peer's alert says it refused our certificate. */
static bool
is_cert_alert(int reason)
{
	switch (reason) {
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		return true;
	default:
		return false;
	}
}

/*
 * Turn an SSL_get_error() result into our code and error text, make it
 * sticky, and empty the OpenSSL error queue.  Verification failures the
 * callback saw win over whatever generic reason OpenSSL queued after them.
 */
static int
sess_fail(struct tls_sess *s, int sslerr)
{
	unsigned long e = ERR_peek_error();	/* the first, i.e. root, cause */
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	int lib = e != 0 ? ERR_GET_LIB(e) : 0;
	int r = e != 0 ? ERR_GET_REASON(e) : 0;
	int code;

	if (reason == NULL)
		reason = "unknown error";
	if (s->verify_failed) {
		code = ERR_AUTH;	/* text already set by verify_cb */
	} else if (lib == ERR_LIB_SSL && r == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		code = ERR_AUTH;
		sess_seterr(s, "certificate verify failed: ",
		    X509_verify_cert_error_string(SSL_get_verify_result(s->ssl)));
	} else if (lib == ERR_LIB_SSL && r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		code = ERR_AUTH;
		sess_seterr(s, "peer did not send a certificate", NULL);
	} else if (lib == ERR_LIB_SSL && is_cert_alert(r)) {
		code = ERR_AUTH;
		sess_seterr(s, "peer refused our certificate: ", reason);
	} else if (lib == ERR_LIB_SSL) {
		code = ERR_MALFORMED;
		sess_seterr(s, "TLS error: ", reason);
	} else if (sslerr == SSL_ERROR_SYSCALL && e == 0) {
		code = ERR_MALFORMED;
		sess_seterr(s, "TLS error: unexpected end of stream", NULL);
	} else {
		code = ERR_CRYPTO;
		sess_seterr(s, "TLS error: ", reason);
	}
	ERR_clear_error();
	s->fatal = code;
	s->established = false;
	return code;
}

int
tls_sess_step(struct tls_sess *s)
{
	int r, e;

	if (s->fatal != 0)
		return s->fatal;
	if (s->established)
		return 0;
	ERR_clear_error();
	r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->established = true;
		return 0;
	}
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return ERR_AGAIN;
	}
	return sess_fail(s, e);
}

bool
tls_sess_established(const struct tls_sess *s)
{
	return s->established && s->fatal == 0;
}

size_t
tls_sess_ct_pending(const struct tls_sess *s)
{
	return BIO_ctrl_pending(s->wbio);
}

size_t
tls_sess_ct_read(struct tls_sess *s, uint8_t *out, size_t cap)
{
	int n;

	if (out == NULL || cap == 0)
		return 0;
	n = BIO_read(s->wbio, out, cap > INT_MAX ? INT_MAX : (int)cap);
	return n > 0 ? (size_t)n : 0;
}

int
tls_sess_write(struct tls_sess *s, const uint8_t *p, size_t n)
{
	size_t written = 0;
	int r;

	if (s->fatal != 0)
		return s->fatal;
	if (!s->established)
		return ERR_BADSTATE;
	if (p == NULL || n == 0 || n > TLS_SESS_RECORD_MAX)
		return ERR_INVAL;
	ERR_clear_error();
	/* n fits one record and wbio never blocks, so this is all-or-nothing. */
	r = SSL_write_ex(s->ssl, p, n, &written);
	if (r != 1 || written != n)
		return sess_fail(s, SSL_get_error(s->ssl, r));
	return 0;
}

int
tls_sess_read(struct tls_sess *s, uint8_t *out, size_t cap, size_t *n)
{
	int r, e;

	*n = 0;
	if (s->fatal != 0)
		return s->fatal;
	if (!s->established)
		return ERR_BADSTATE;
	if (out == NULL || cap == 0)
		return ERR_INVAL;
	ERR_clear_error();
	r = SSL_read_ex(s->ssl, out, cap, n);
	if (r == 1)
		return 0;
	*n = 0;
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return ERR_AGAIN;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		sess_seterr(s, "peer closed the TLS session", NULL);
		s->fatal = ERR_BADSTATE;
		s->established = false;
		return ERR_BADSTATE;
	}
	return sess_fail(s, e);
}

int
tls_sess_export(struct tls_sess *s, const char *label, uint8_t *out, size_t n)
{
	if (!tls_sess_established(s))
		return ERR_BADSTATE;
	if (label == NULL || out == NULL || n == 0)
		return ERR_INVAL;
	ERR_clear_error();
	if (SSL_export_keying_material(s->ssl, out, n, label, strlen(label), NULL, 0, 0) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(out, n);
		return ERR_CRYPTO;
	}
	return 0;
}

static bool
cn_char_ok(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '.' || ch == '_' || ch == '@' || ch == '-';
}

int
tls_sess_peer_cn(const struct tls_sess *s, char *out, size_t cap)
{
	X509 *x;
	X509_NAME *nm;
	X509_NAME_ENTRY *ent;
	unsigned char *utf8 = NULL;
	int idx, len, i, rc = ERR_MALFORMED;

	if (out == NULL || cap == 0)
		return ERR_INVAL;
	out[0] = '\0';
	if (!tls_sess_established(s))
		return ERR_BADSTATE;
	if ((x = SSL_get0_peer_certificate(s->ssl)) == NULL)
		return ERR_NOTFOUND;
	nm = X509_get_subject_name(x);
	if ((idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1)) < 0)
		return ERR_NOTFOUND;
	/* Two CNs would make "the" name ambiguous (OpenVPN takes the last). */
	if (X509_NAME_get_index_by_NID(nm, NID_commonName, idx) >= 0)
		return ERR_MALFORMED;
	if ((ent = X509_NAME_get_entry(nm, idx)) == NULL)
		return ERR_MALFORMED;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent));
	if (len <= 0 || (size_t)len > cap - 1)
		goto out;
	for (i = 0; i < len; i++) {
		if (!cn_char_ok(utf8[i]))	/* also rejects NUL and non-ASCII */
			goto out;
	}
	memcpy(out, utf8, (size_t)len);
	out[len] = '\0';
	rc = 0;
out:
	OPENSSL_free(utf8);
	ERR_clear_error();
	return rc;
}

int
tls_sess_peer_field(const struct tls_sess *s, const char *field,
		    void (*fn)(const char *value, void *arg), void *arg, unsigned *skipped)
{
	X509 *x;
	X509_NAME *nm;
	char val[64];
	int nid, idx = -1, len, i, n = 0;

	*skipped = 0;
	if ((nid = OBJ_txt2nid(field)) == NID_undef)
		return ERR_INVAL;
	if (!tls_sess_established(s))
		return ERR_BADSTATE;
	if ((x = SSL_get0_peer_certificate(s->ssl)) == NULL)
		return ERR_NOTFOUND;
	nm = X509_get_subject_name(x);
	while ((idx = X509_NAME_get_index_by_NID(nm, nid, idx)) >= 0) {
		X509_NAME_ENTRY *ent = X509_NAME_get_entry(nm, idx);
		unsigned char *utf8 = NULL;
		bool ok = false;

		if (ent != NULL &&
		    (len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent))) > 0 &&
		    (size_t)len < sizeof(val)) {
			ok = true;
			for (i = 0; i < len; i++)
				ok = ok && cn_char_ok(utf8[i]);
			if (ok) {
				memcpy(val, utf8, (size_t)len);
				val[len] = '\0';
			}
		}
		OPENSSL_free(utf8);
		if (!ok) {
			(*skipped)++;
			continue;
		}
		fn(val, arg);
		n++;
	}
	ERR_clear_error();
	return n;
}

static const char *
pkey_type(const EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return "RSA";
	case EVP_PKEY_EC:
		return "EC";
	case EVP_PKEY_ED25519:
		return "ED25519";
	case EVP_PKEY_ED448:
		return "ED448";
	case EVP_PKEY_DSA:
		return "DSA";
	default:
		return "unknown";
	}
}

void
tls_sess_describe(const struct tls_sess *s, char *out, size_t cap)
{
	const SSL_CIPHER *ci;
	X509 *x;
	EVP_PKEY *pk;
	const char *sig;

	if (out == NULL || cap == 0)
		return;
	if (!tls_sess_established(s)) {
		snprintf(out, cap, "TLS not established");
		return;
	}
	ci = SSL_get_current_cipher(s->ssl);
	x = SSL_get0_peer_certificate(s->ssl);
	if (x == NULL || (pk = X509_get0_pubkey(x)) == NULL) {
		snprintf(out, cap, "%s, cipher %s, no peer certificate", SSL_get_version(s->ssl),
		    ci != NULL ? SSL_CIPHER_get_name(ci) : "none");
		ERR_clear_error();
		return;
	}
	sig = OBJ_nid2ln(X509_get_signature_nid(x));
	snprintf(out, cap, "%s, cipher %s, peer certificate: %d bits %s, signature: %s",
	    SSL_get_version(s->ssl), ci != NULL ? SSL_CIPHER_get_name(ci) : "none",
	    EVP_PKEY_get_bits(pk), pkey_type(pk), sig != NULL ? sig : "unknown");
	ERR_clear_error();
}

/* Is x listed in a CRL of its issuer? */
static bool
listed(const STACK_OF(X509_CRL) *crls, X509 *x)
{
	const X509_NAME *iss = X509_get_issuer_name(x);
	X509_REVOKED *rev;
	int i;

	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), iss) != 0)
			continue;
		/* 2 would be a removeFromCRL entry (delta CRLs): not revoked. */
		if (X509_CRL_get0_by_cert(crl, &rev, x) == 1)
			return true;
	}
	return false;
}

bool
tls_sess_peer_revoked(const struct tls_sess *s, const struct tls_ctx *ctx)
{
	STACK_OF(X509) *chain;
	bool hit = false;
	int i, n;

	if (ctx->crls == NULL || !tls_sess_established(s))
		return false;
	/* The chain libssl verified, leaf first, kept for the SSL's life. */
	if ((chain = SSL_get0_verified_chain(s->ssl)) == NULL)
		return false;
	n = sk_X509_num(chain);
	for (i = 0; i < n && !hit; i++)
		hit = listed(ctx->crls, sk_X509_value(chain, i));
	ERR_clear_error();
	return hit;
}

int
tls_sess_peer_serial(const struct tls_sess *s, char *out, size_t cap)
{
	X509 *x;
	BIGNUM *bn;
	char *dec;
	int rc = ERR_NOMEM;

	if (out == NULL || cap == 0)
		return ERR_INVAL;
	out[0] = '\0';
	if (!tls_sess_established(s))
		return ERR_BADSTATE;
	if ((x = SSL_get0_peer_certificate(s->ssl)) == NULL)
		return ERR_NOTFOUND;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL)
		goto out;
	if ((dec = BN_bn2dec(bn)) != NULL) {
		if (strlen(dec) < cap) {
			memcpy(out, dec, strlen(dec) + 1);
			rc = 0;
		} else {
			rc = ERR_FULL;
		}
		OPENSSL_free(dec);
	}
	BN_free(bn);
out:
	ERR_clear_error();
	return rc;
}

const char *
tls_sess_error(const struct tls_sess *s)
{
	return s->err;
}
