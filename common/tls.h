/*
 * tls.h - the TLS control channel (doc §6.1), OpenSSL over memory BIOs.
 *
 * A struct tls_ctx holds one configured SSL_CTX (CA, own certificate and key,
 * version floor, peer checks); it is built once from PEM text and shared by
 * many sessions.  A struct tls_sess is one TLS connection with no socket: the
 * caller feeds it ciphertext that the reliability layer delivered in order,
 * takes the ciphertext it produces, and reads/writes plaintext.  Nothing here
 * does I/O, reads the clock or logs; errors are returned, and their text is
 * kept for the caller to log (rate limited) or to put into AUTH_FAILED.
 *
 * Ownership: tls_ctx_new/tls_sess_new allocate; the matching *_free release
 * (NULL is accepted).  A session keeps a reference to its context, so the
 * context may be freed before its sessions.
 *
 * Return convention: 0 or a negative ERR_* from err.h.
 */
#ifndef OVPN_TLS_H
#define OVPN_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/prov_ssl.h>	/* TLS1_2_VERSION, TLS1_3_VERSION */

enum { TLS_SESS_RECORD_MAX = 16384 };	/* largest plaintext per tls_sess_write */

/* verify-x509-name types (OpenVPN 2.6 names; 2.6's default is subject). */
enum tls_x509_name_type {
	TLS_X509_SUBJECT = 0,		/* "subject": the whole subject string equals the name */
	TLS_X509_NAME = 1,		/* "name": the CN equals the name */
	TLS_X509_NAME_PREFIX = 2,	/* "name-prefix": the CN starts with the name */
};

struct tls_conf {
	const char *ca_pem;   size_t ca_len;     /* PEM text (file content or inline block) */
	const char *cert_pem; size_t cert_len;
	const char *key_pem;  size_t key_len;
	const char *dh_pem;   size_t dh_len;     /* NULL = "dh none" (ECDHE only) */
	int min_version;                         /* 0 = TLS 1.2 (2.6 default); TLS1_3_VERSION etc. */
	const char *groups;                      /* tls-groups, colon list; NULL = OpenSSL's */
	const char *ciphersuites;                /* tls-ciphersuites (TLS 1.3); NULL = OpenSSL's */
	const char *cipher_list;                 /* tls-cipher (TLS 1.2); NULL = "DEFAULT:!kRSA" */
	int security_level;                      /* tls-cert-profile: OpenSSL level + 1; 0 = default */
	/*
	 * Server: verify-client-cert.  require_peer_cert = "require" (2.6's
	 * default); else optional_peer_cert = "optional" (a certificate is
	 * requested and, if sent, fully verified; none is fine); neither =
	 * "none" (no certificate is requested at all).  A client always
	 * verifies the server and ignores both.
	 */
	bool require_peer_cert;
	bool remote_cert_tls;                    /* check peer KU/EKU like OpenVPN's remote-cert-tls (server: EKU clientAuth; client: serverAuth) */
	bool optional_peer_cert;
	/*
	 * crl-verify FILE: PEM text, one or more CRLs concatenated (NULL = no
	 * revocation checking).  See tls_ctx_set_crl for what is accepted.
	 */
	const char *crl_pem;  size_t crl_len;
	/*
	 * verify-x509-name NAME [TYPE]: NULL = off.  type is an enum
	 * tls_x509_name_type (0 = subject, as in 2.6).  Checked on the peer's
	 * own certificate (depth 0), after the chain and remote-cert-tls.
	 *
	 * The subject string is exactly what OpenVPN 2.6 (OpenSSL build) logs
	 * in "VERIFY OK: depth=0, <subject>": X509_NAME_print_ex() with
	 * XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT |
	 * ASN1_STRFLGS_ESC_CTRL, i.e. the attributes in certificate order (NOT
	 * reversed as in RFC 2253), short names ("CN", "emailAddress", or the
	 * dotted OID when OpenSSL has no name), "=" then the value as UTF-8,
	 * ", " between RDNs and " + " inside a multi-valued RDN, no escaping of
	 * ',' '+' '"' (control characters become \XX); then, as 2.6 does, any
	 * byte below 0x20 or 0x7f becomes '_' and leading '-' become '_'.
	 * Example (t/data/pki/rich.crt, string checked against openvpn 2.6.14):
	 *   C=KG, ST=NA, L=Zürich, O=Example, Inc., OU=VPN + UID=42, CN=rich-1, emailAddress=rich@example.org
	 * The CN for name/name-prefix is the last CN in the subject (as 2.6),
	 * as UTF-8, at most 64 bytes, with the same '_' mapping; a CN that is
	 * missing, longer, or has an embedded NUL fails the check.
	 */
	const char *verify_x509_name;
	int verify_x509_type;
};

struct tls_ctx;

/*
 * Build an SSL_CTX for a server (server=true) or a client.  ca/cert/key are
 * required (a client without cert_pem/key_pem runs certificate-less).
 * errbuf (may be NULL) gets a human-readable reason on failure, e.g.
 * "cert: key does not match certificate".  Returns 0, ERR_CONFIG for bad
 * PEM or settings, ERR_NOMEM/ERR_CRYPTO otherwise.
 */
int tls_ctx_new(struct tls_ctx **out, const struct tls_conf *c, bool server, char *errbuf, size_t errlen);
void tls_ctx_free(struct tls_ctx *ctx);

/*
 * Revocation (crl-verify).  With a CRL configured, every certificate of the
 * peer's chain is checked against the CRL of its issuer, as OpenVPN 2.6 does
 * (OpenSSL X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL).  Handshake
 * failures and their tls_sess_error() text:
 *   revoked certificate   "certificate verify failed: certificate revoked"
 *   CRL past nextUpdate   "certificate verify failed: CRL has expired"
 *                         (2.6 refuses too: every peer of that CA fails
 *                         until a fresh CRL is loaded)
 *   no CRL for the CA that issued the peer's own certificate
 *                         "certificate verify failed: unable to get certificate CRL"
 *                         (stricter than 2.6, which only warns; P12 fails
 *                         closed.  For the CAs above it, a missing CRL is
 *                         tolerated as in 2.6.)
 *
 * tls_ctx_set_crl replaces the CRL set.  pem holds one or more PEM CRLs
 * (other PEM blocks are skipped).  The whole text is refused, and the old
 * CRLs stay in force, if it holds no CRL, a CRL fails to parse (also a
 * truncated one; 2.6 would keep the CRLs before it), or a CRL is not
 * signed by one of the configured CA certificates.  errbuf gets the
 * reason, e.g. "crl: CRL #2 is not issued by a configured CA".  An expired
 * CRL is accepted (2.6 loads it too): check tls_ctx_crl_next_update.
 * The new set applies to every certificate check from now on, including
 * handshakes already under way; established sessions are untouched (ask
 * tls_sess_peer_revoked).  A context made without crl_pem gains checking.
 * Returns 0, ERR_CONFIG (bad CRL text) or ERR_NOMEM.
 */
int tls_ctx_set_crl(struct tls_ctx *ctx, const char *pem, size_t len, char *errbuf, size_t errlen);

/*
 * Earliest nextUpdate among the loaded CRLs, as Unix seconds, so the
 * caller can warn days ahead of expiry (after which every handshake of
 * that CA fails).  ERR_NOTFOUND if no CRL is loaded or none has a
 * nextUpdate; ERR_MALFORMED if a time field cannot be read.
 */
int tls_ctx_crl_next_update(const struct tls_ctx *ctx, int64_t *unix_sec);

struct tls_sess;

/* New session on ctx.  Returns 0, ERR_NOMEM or ERR_CRYPTO. */
int tls_sess_new(struct tls_ctx *ctx, struct tls_sess **out);
void tls_sess_free(struct tls_sess *s);

/*
 * Ciphertext received from the peer (in order, from the reliability layer).
 * Only buffers it; tls_sess_step/tls_sess_read consume it.  ERR_BADSTATE
 * after a fatal error; ERR_FULL if more than 64 KiB would be waiting
 * undigested (bounds what a peer can make us hold); ERR_NOMEM.
 */
int tls_sess_feed(struct tls_sess *s, const uint8_t *ct, size_t n);

/*
 * Drive the handshake. 0 once established (and afterwards), ERR_AGAIN while it needs more input,
 * ERR_AUTH on a certificate verification failure, ERR_MALFORMED/ERR_CRYPTO on other TLS errors.
 * Either way, check tls_sess_ct_pending() afterwards: alerts must be sent too.
 * A fatal error is sticky: later calls return the same code.
 */
int tls_sess_step(struct tls_sess *s);
bool tls_sess_established(const struct tls_sess *s);

size_t tls_sess_ct_pending(const struct tls_sess *s);              /* ciphertext bytes to send */
size_t tls_sess_ct_read(struct tls_sess *s, uint8_t *out, size_t cap);  /* take ciphertext; returns bytes copied */

/*
 * Plaintext, one TLS record per call (control messages must not span records).
 * n must be 1..16384 (TLS_SESS_RECORD_MAX).  Returns ERR_BADSTATE until the
 * handshake is established, so a caller that wants to send early (the
 * client's key-method-2 message, doc §6.1) queues it until tls_sess_step
 * returns 0.  ERR_INVAL for a bad size; after a fatal error, that error.
 * The record is then in tls_sess_ct_pending().
 */
int tls_sess_write(struct tls_sess *s, const uint8_t *p, size_t n);

/*
 * Plaintext available: *n bytes; ERR_AGAIN if none; other negative on fatal error.
 * Returns data from at most one record; if cap is smaller than the record,
 * the rest comes with the next call.  ERR_BADSTATE before the handshake is
 * established, and (sticky) after the peer's close_notify.  With TLS 1.3 a
 * client's handshake completes before the server has checked the client
 * certificate, so a client learns of its rejection here: ERR_AUTH, reason
 * "peer refused our certificate: ...".  A corrupted record gives
 * ERR_MALFORMED.  Either way check tls_sess_ct_pending() afterwards (alerts).
 */
int tls_sess_read(struct tls_sess *s, uint8_t *out, size_t cap, size_t *n);

/*
 * RFC 5705/8446 exporter, no context (SSL_export_keying_material use_context=0).
 * ERR_BADSTATE before the handshake completes, ERR_CRYPTO on failure.
 */
int tls_sess_export(struct tls_sess *s, const char *label, uint8_t *out, size_t n);

/* Peer certificate subject CN after verification; ERR_NOTFOUND if none; ERR_MALFORMED if the CN has
   characters outside [A-Za-z0-9._@-] or is longer than cap-1 (P14: no hostile strings reach hooks).
   Also ERR_MALFORMED for an empty CN, an embedded NUL, or more than one CN in the subject (ambiguous;
   OpenVPN would take the last).  ERR_BADSTATE before the handshake completes.  out is always
   NUL-terminated ("" on failure). */
int tls_sess_peer_cn(const struct tls_sess *s, char *out, size_t cap);

/* Each value of subject field `field` (an OpenSSL short or long name: "OU",
   "O", "title" ...) of the verified peer certificate, in certificate order:
   fn(value, arg) for those made only of [A-Za-z0-9._@-] and shorter than 64
   bytes; the others are skipped and counted in *skipped (P14: no hostile
   strings reach group matching, logs or hooks).  Returns how many were
   passed to fn, or ERR_BADSTATE before the handshake, ERR_NOTFOUND without
   a peer certificate, ERR_INVAL for an unknown field name. */
int tls_sess_peer_field(const struct tls_sess *s, const char *field,
			void (*fn)(const char *value, void *arg), void *arg, unsigned *skipped);

/* One line for logs: "TLSv1.3, cipher TLS_AES_256_GCM_SHA384, peer certificate: 256 bits EC, signature: ecdsa-with-SHA256".
   Built from library names only; no certificate-controlled text (P14). */
void tls_sess_describe(const struct tls_sess *s, char *out, size_t cap);

/*
 * P12/P21: is any certificate of the established session's verified peer
 * chain listed in ctx's current CRLs (matched by issuer name and serial)?
 * Call it for every live session after tls_ctx_set_crl succeeded, and end
 * those that return true.  false if ctx has no CRL, the session is not
 * established, or the peer sent no certificate.  An expired CRL still
 * counts (its entries stay revoked); it does not by itself revoke anyone.
 * Costs one lookup per certificate and CRL; no signature checks (done when
 * the CRL was loaded).
 */
bool tls_sess_peer_revoked(const struct tls_sess *s, const struct tls_ctx *ctx);

/* Peer certificate serial number in decimal (as OpenVPN's tls_serial_0; digits only, so safe
   for logs and hooks).  ERR_BADSTATE before the handshake completes, ERR_NOTFOUND without a peer
   certificate, ERR_FULL if cap is too small ("" then), ERR_INVAL for a NULL/empty out, ERR_NOMEM. */
int tls_sess_peer_serial(const struct tls_sess *s, char *out, size_t cap);

/* Last verification/handshake error as text for logs and AUTH_FAILED reasons; fixed strings
   only, never certificate contents (P14).  Never NULL ("" if none).  Valid until the next call on s or tls_sess_free. */
const char *tls_sess_error(const struct tls_sess *s);

#endif
