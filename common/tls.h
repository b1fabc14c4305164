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

struct tls_conf {
	const char *ca_pem;   size_t ca_len;     /* PEM text (file content or inline block) */
	const char *cert_pem; size_t cert_len;
	const char *key_pem;  size_t key_len;
	const char *dh_pem;   size_t dh_len;     /* NULL = "dh none" (ECDHE only) */
	int min_version;                         /* 0 = TLS 1.2 (2.6 default); TLS1_3_VERSION etc. */
	bool require_peer_cert;                  /* server: verify-client-cert require (default true) */
	bool remote_cert_tls;                    /* check peer KU/EKU like OpenVPN's remote-cert-tls (server: EKU clientAuth; client: serverAuth) */
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

/* One line for logs: "TLSv1.3, cipher TLS_AES_256_GCM_SHA384, peer certificate: 256 bits EC, signature: ecdsa-with-SHA256" */
void tls_sess_describe(const struct tls_sess *s, char *out, size_t cap);

/* Last verification/handshake error as text for logs and AUTH_FAILED reasons.
   Never NULL ("" if none).  Valid until the next call on s or tls_sess_free. */
const char *tls_sess_error(const struct tls_sess *s);

#endif
