/*
 * ca.c - keys, certificates and CRLs (OpenSSL 3 API; no openssl CLI).
 *
 * The certificate profiles are in ca.h.  Why these choices:
 *  - keyUsage is always present and critical: 2.6's remote-cert-tls only
 *    requires the extension (its bits are left to OpenSSL's own checks),
 *    and OpenSSL refuses a TLS signature from a key whose KU lacks
 *    digitalSignature.  keyEncipherment (RSA) / keyAgreement (EC) on server
 *    certificates follow easy-rsa, so the certificates also work with
 *    peers that check KU the pre-2.4 way (a0 / 88).
 *  - Serial numbers are random (see store.c); the top two bits are fixed
 *    to 01 so the INTEGER is positive and always 16 bytes.
 *  - notBefore and the CRL's lastUpdate are backdated CA_BACKDATE_SEC, for
 *    peers with a slightly slow clock; a CRL that is "not yet valid" would
 *    lock every client out.
 *  - Extensions are built with X509V3_EXT_nconf_nid from constant strings;
 *    the SAN, the only part carrying user input, is built field by field
 *    so that no input is ever parsed as extension syntax.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "err.h"

int
ca_algo_parse(const char *s, enum ca_algo *out)
{
	static const struct { const char *name; enum ca_algo algo; } t[] = {
		{ "ec", CA_ALGO_EC }, { "rsa2048", CA_ALGO_RSA2048 }, { "rsa3072", CA_ALGO_RSA3072 },
		{ "rsa4096", CA_ALGO_RSA4096 }, { "ed25519", CA_ALGO_ED25519 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].algo;
			return 0;
		}
	}
	return ERR_INVAL;
}

int
ca_algo_of(EVP_PKEY *key, enum ca_algo *out)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		*out = CA_ALGO_EC;
		return 0;
	case EVP_PKEY_ED25519:
		*out = CA_ALGO_ED25519;
		return 0;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(key) >= 4096)
			*out = CA_ALGO_RSA4096;
		else if (EVP_PKEY_get_bits(key) >= 3072)
			*out = CA_ALGO_RSA3072;
		else
			*out = CA_ALGO_RSA2048;
		return 0;
	default:
		return ERR_UNSUPPORTED;
	}
}

int
ca_keygen(enum ca_algo algo, EVP_PKEY **out)
{
	switch (algo) {
	case CA_ALGO_EC:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case CA_ALGO_RSA2048:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case CA_ALGO_RSA3072:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case CA_ALGO_RSA4096:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	case CA_ALGO_ED25519:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return ERR_INVAL;
	}
	return *out != NULL ? 0 : ERR_CRYPTO;
}

int
ca_serial_random(uint8_t serial[STORE_SERIAL_LEN])
{
	if (RAND_bytes(serial, STORE_SERIAL_LEN) != 1)
		return ERR_CRYPTO;
	serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
	return 0;
}

static bool
host_chars(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '*'))
			return false;
	}
	return i > 0 && i <= 253;
}

bool
ca_san_valid(const char *san)
{
	ASN1_OCTET_STRING *ip;

	if (strncmp(san, "DNS:", 4) == 0)
		return host_chars(san + 4);
	if (strncmp(san, "IP:", 3) == 0) {
		if ((ip = a2i_IPADDRESS(san + 3)) == NULL)
			return false;
		ASN1_OCTET_STRING_free(ip);
		return true;
	}
	return false;
}

/* Append one validated SAN to names. */
static int
san_push(GENERAL_NAMES *names, const char *san)
{
	GENERAL_NAME *g;
	ASN1_IA5STRING *s;
	ASN1_OCTET_STRING *ip;

	if (!ca_san_valid(san))
		return ERR_INVAL;
	if ((g = GENERAL_NAME_new()) == NULL)
		return ERR_NOMEM;
	if (strncmp(san, "DNS:", 4) == 0) {
		if ((s = ASN1_IA5STRING_new()) == NULL || !ASN1_STRING_set(s, san + 4, -1)) {
			ASN1_IA5STRING_free(s);
			GENERAL_NAME_free(g);
			return ERR_NOMEM;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
	} else {
		if ((ip = a2i_IPADDRESS(san + 3)) == NULL) {
			GENERAL_NAME_free(g);
			return ERR_INVAL;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	}
	if (!sk_GENERAL_NAME_push(names, g)) {
		GENERAL_NAME_free(g);
		return ERR_NOMEM;
	}
	return 0;
}

static int
add_san(X509 *x, const struct ca_req *req)
{
	GENERAL_NAMES *names;
	char dns[4 + CA_CN_MAX + 1];
	size_t i;
	int r = 0;

	if ((names = sk_GENERAL_NAME_new_null()) == NULL)
		return ERR_NOMEM;
	/* A CN that is a host name doubles as a SAN (clients checking names look there). */
	snprintf(dns, sizeof(dns), "DNS:%s", req->cn);
	if (ca_san_valid(dns) && strchr(req->cn, '*') == NULL)
		r = san_push(names, dns);
	for (i = 0; r == 0 && i < req->nsans; i++)
		r = san_push(names, req->sans[i]);
	if (r == 0 && sk_GENERAL_NAME_num(names) > 0 &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		r = ERR_CRYPTO;
	GENERAL_NAMES_free(names);
	return r;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return ERR_CRYPTO;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : ERR_CRYPTO;
}

/* The digest to sign with: none for Ed25519 (it is part of the scheme). */
static const EVP_MD *
sign_md(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static const char *
server_ku(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		return "critical,digitalSignature,keyEncipherment";
	case EVP_PKEY_EC:
		return "critical,digitalSignature,keyAgreement";
	default:
		return "critical,digitalSignature";
	}
}

static int
set_time(ASN1_TIME *t, int64_t when)
{
	if (when < 0 || when > STORE_TIME_MAX || (int64_t)(time_t)when != when)
		return ERR_INVAL;
	return ASN1_TIME_set(t, (time_t)when) != NULL ? 0 : ERR_CRYPTO;
}

int
ca_sign(const struct ca_req *req, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
	X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	int r = ERR_CRYPTO;
	size_t i;

	*out = NULL;
	if (req->cn == NULL || req->cn[0] == '\0' || strlen(req->cn) > CA_CN_MAX ||
	    req->not_after <= req->not_before || req->nsans > CA_SAN_MAX || req->nous > CA_OU_MAX)
		return ERR_INVAL;
	if (req->kind == CA_KIND_ROOT) {
		issuer = NULL;
		issuer_key = subject_key;
	} else if (issuer == NULL || issuer_key == NULL) {
		return ERR_INVAL;
	}
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (bn = BN_bin2bn(req->serial, STORE_SERIAL_LEN, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	/* OUs first, CN last, as in "OU=engineering, CN=alice" */
	for (i = 0; i < req->nous; i++)
		if (!X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
		    (const unsigned char *)req->ous[i], -1, -1, 0))
			goto out;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)req->cn, -1,
	    -1, 0) || !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name))
		goto out;
	if ((r = set_time(X509_getm_notBefore(x), req->not_before)) != 0 ||
	    (r = set_time(X509_getm_notAfter(x), req->not_after)) != 0)
		goto out;
	r = ERR_CRYPTO;
	if (!X509_set_pubkey(x, subject_key))
		goto out;

	/* SKI before AKI: for the root, the AKI is read from its own SKI. */
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	switch (req->kind) {
	case CA_KIND_ROOT:
		if ((r = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE")) != 0 ||
		    (r = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign")) != 0)
			goto out;
		break;
	case CA_KIND_SERVER:
		if ((r = add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE")) != 0 ||
		    (r = add_ext(x, &ctx, NID_key_usage, server_ku(subject_key))) != 0 ||
		    (r = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth")) != 0 ||
		    (r = add_san(x, req)) != 0)
			goto out;
		break;
	case CA_KIND_CLIENT:
		if (req->nsans != 0) {
			r = ERR_INVAL;
			goto out;
		}
		if ((r = add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE")) != 0 ||
		    (r = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature")) != 0 ||
		    (r = add_ext(x, &ctx, NID_ext_key_usage, "clientAuth")) != 0)
			goto out;
		break;
	default:
		r = ERR_INVAL;
		goto out;
	}
	if ((r = add_ext(x, &ctx, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) != 0)
		goto out;
	r = ERR_CRYPTO;
	if (X509_sign(x, issuer_key, sign_md(issuer_key)) <= 0)
		goto out;
	*out = x;
	x = NULL;
	r = 0;
out:
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

int
ca_crl(X509 *ca, EVP_PKEY *ca_key, const struct ca_revoked *rv, size_t n, int64_t now,
       int64_t next_update, X509_CRL **out)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	BIGNUM *bn = NULL;
	X509_EXTENSION *e = NULL;
	X509V3_CTX ctx;
	size_t i;
	int r = ERR_CRYPTO;

	*out = NULL;
	if (next_update <= now)
		return ERR_INVAL;
	if ((crl = X509_CRL_new()) == NULL || (t = ASN1_TIME_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)))
		goto out;
	if ((r = set_time(t, now - CA_BACKDATE_SEC)) != 0)
		goto out;
	r = ERR_CRYPTO;
	if (!X509_CRL_set1_lastUpdate(crl, t))
		goto out;
	if ((r = set_time(t, next_update)) != 0)
		goto out;
	r = ERR_CRYPTO;
	if (!X509_CRL_set1_nextUpdate(crl, t))
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = set_time(t, rv[i].when)) != 0)
			goto out;
		r = ERR_CRYPTO;
		if ((rev = X509_REVOKED_new()) == NULL ||
		    (bn = BN_bin2bn(rv[i].serial, STORE_SERIAL_LEN, NULL)) == NULL ||
		    (num = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
		    !X509_REVOKED_set_serialNumber(rev, num) ||
		    !X509_REVOKED_set_revocationDate(rev, t))
			goto out;
		if (!X509_CRL_add0_revoked(crl, rev))
			goto out;
		rev = NULL;
		ASN1_INTEGER_free(num);
		num = NULL;
		BN_free(bn);
		bn = NULL;
	}
	if (!X509_CRL_sort(crl))
		goto out;
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) == NULL ||
	    !X509_CRL_add_ext(crl, e, -1))
		goto out;
	if ((num = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_int64(num, now) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	if (X509_CRL_sign(crl, ca_key, sign_md(ca_key)) <= 0)
		goto out;
	*out = crl;
	crl = NULL;
	r = 0;
out:
	X509_EXTENSION_free(e);
	ASN1_INTEGER_free(num);
	BN_free(bn);
	X509_REVOKED_free(rev);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return r;
}

/* Copy a memory BIO's contents into a new NUL-terminated buffer. */
static int
bio_take(BIO *b, char **out, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0 || (*out = malloc((size_t)n + 1)) == NULL)
		return n <= 0 ? ERR_CRYPTO : ERR_NOMEM;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int
ca_pem_cert(X509 *x, char **out, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r = ERR_CRYPTO;

	if (b == NULL)
		return ERR_NOMEM;
	if (PEM_write_bio_X509(b, x))
		r = bio_take(b, out, len);
	BIO_free(b);
	return r;
}

int
ca_pem_crl(X509_CRL *crl, char **out, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r = ERR_CRYPTO;

	if (b == NULL)
		return ERR_NOMEM;
	if (PEM_write_bio_X509_CRL(b, crl))
		r = bio_take(b, out, len);
	BIO_free(b);
	return r;
}

int
ca_pem_key(EVP_PKEY *k, char **out, size_t *len)
{
	/* secmem: the BIO's buffer is cleansed when freed (or grown). */
	BIO *b = BIO_new(BIO_s_secmem());
	int r = ERR_CRYPTO;

	if (b == NULL)
		return ERR_NOMEM;
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		r = bio_take(b, out, len);
	BIO_free(b);
	return r;
}

/* Refuse to prompt: an encrypted key is an error, not a question on the tty. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
ca_load_cert(const char *pem, size_t len, X509 **out)
{
	BIO *b;

	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ERR_NOMEM;
	*out = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return *out != NULL ? 0 : ERR_MALFORMED;
}

int
ca_load_key(const char *pem, size_t len, EVP_PKEY **out)
{
	BIO *b;

	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ERR_NOMEM;
	*out = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return *out != NULL ? 0 : ERR_MALFORMED;
}

int
ca_not_after(X509 *x, int64_t *out)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return ERR_MALFORMED;
	*out = (int64_t)timegm(&tm);
	return 0;
}

bool
ca_key_matches(X509 *x, EVP_PKEY *key)
{
	return X509_check_private_key(x, key) == 1;
}
