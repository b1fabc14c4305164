/*
 * ca.h - keys, certificates and CRLs for ovpn-pki, on the OpenSSL 3 API.
 *
 * Certificates come in three kinds, shaped as OpenVPN 2.6's
 * `remote-cert-tls` expects (a keyUsage extension must be present; the
 * EKU must be serverAuth / clientAuth) and as `openssl verify` accepts:
 *
 *   root    basicConstraints critical CA:TRUE; KU critical keyCertSign, cRLSign
 *   server  CA:FALSE; KU critical digitalSignature + keyEncipherment (RSA)
 *           or keyAgreement (EC) or nothing more (Ed25519); EKU serverAuth;
 *           SAN DNS:CN (when the CN is a host name) plus the --san entries
 *   client  CA:FALSE; KU critical digitalSignature; EKU clientAuth
 *
 * All with subjectKeyIdentifier and authorityKeyIdentifier, SHA-256
 * signatures (none for Ed25519, which hashes internally), subject CN only.
 *
 * Objects returned through X509 ** / EVP_PKEY ** / X509_CRL ** belong to
 * the caller (X509_free etc.).  Text returned through char ** is malloc'd
 * and NUL-terminated; for a private key the caller must OPENSSL_cleanse
 * it before free.
 *
 * Return convention: 0 or a negative ERR_* (err.h).
 */
#ifndef OVPN_PKI_CA_H
#define OVPN_PKI_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store.h"

enum ca_algo { CA_ALGO_EC, CA_ALGO_RSA2048, CA_ALGO_RSA3072, CA_ALGO_RSA4096, CA_ALGO_ED25519 };

enum ca_kind { CA_KIND_ROOT, CA_KIND_SERVER, CA_KIND_CLIENT };

enum {
	/* notBefore is this far in the past, so a peer whose clock is a little
	   behind does not see a brand-new certificate (or CRL) as not yet valid. */
	CA_BACKDATE_SEC = 600,
	CA_SAN_MAX = 16,
	CA_CN_MAX = 64,  /* the X.520 upper bound for commonName */
};

enum { CA_OU_MAX = 8 };

struct ca_req {
	enum ca_kind kind;
	const char *cn;                        /* 1..CA_CN_MAX bytes, UTF-8 */
	uint8_t serial[STORE_SERIAL_LEN];
	int64_t not_before, not_after;         /* unix seconds */
	const char *sans[CA_SAN_MAX];          /* server only: "DNS:name" or "IP:addr" */
	size_t nsans;
	const char *ous[CA_OU_MAX];            /* client only: subject OU values (groups) */
	size_t nous;
};

struct ca_revoked {
	uint8_t serial[STORE_SERIAL_LEN];
	int64_t when;
};

/* "ec", "rsa2048", "rsa3072", "rsa4096", "ed25519".  ERR_INVAL otherwise. */
int ca_algo_parse(const char *s, enum ca_algo *out);

/* The algorithm of an existing key (for leaves, the CA's by default).  ERR_UNSUPPORTED. */
int ca_algo_of(EVP_PKEY *key, enum ca_algo *out);

/* A fresh key: EC is P-256 (named curve).  ERR_CRYPTO. */
int ca_keygen(enum ca_algo algo, EVP_PKEY **out);

/*
 * A random serial: 16 bytes, top bits 01, so the DER INTEGER is positive,
 * never zero and always 16 bytes long (126 random bits).  ERR_CRYPTO.
 */
int ca_serial_random(uint8_t serial[STORE_SERIAL_LEN]);

/* "DNS:host" (letters, digits, '-', '.', '*'; up to 253) or "IP:v4|v6". */
bool ca_san_valid(const char *san);

/*
 * Make and sign a certificate for subject_key.  For CA_KIND_ROOT, issuer
 * and issuer_key are ignored (self-signed with subject_key).  ERR_INVAL for
 * a bad CN, SAN or time range; ERR_CRYPTO; ERR_NOMEM.
 */
int ca_sign(const struct ca_req *req, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
	    X509 **out);

/*
 * A v2 CRL listing rv[0..n), with lastUpdate now - CA_BACKDATE_SEC,
 * nextUpdate next_update, authorityKeyIdentifier and cRLNumber = now (so
 * numbers increase without a counter file, at one CRL per second).
 * ERR_INVAL if next_update <= now; ERR_CRYPTO; ERR_NOMEM.
 */
int ca_crl(X509 *ca, EVP_PKEY *ca_key, const struct ca_revoked *rv, size_t n, int64_t now,
	   int64_t next_update, X509_CRL **out);

/* PEM text of a certificate, a private key (unencrypted PKCS#8) or a CRL. */
int ca_pem_cert(X509 *x, char **out, size_t *len);
int ca_pem_key(EVP_PKEY *k, char **out, size_t *len);
int ca_pem_crl(X509_CRL *crl, char **out, size_t *len);

/*
 * Parse PEM text.  ERR_MALFORMED if there is no such object (an encrypted
 * key is refused too: nothing prompts for a passphrase).
 */
int ca_load_cert(const char *pem, size_t len, X509 **out);
int ca_load_key(const char *pem, size_t len, EVP_PKEY **out);

/* notAfter of a certificate as unix seconds.  ERR_MALFORMED. */
int ca_not_after(X509 *x, int64_t *out);

/* True if key is the private half of x's public key. */
bool ca_key_matches(X509 *x, EVP_PKEY *key);

#endif
