/*
 * profile.h - one self-contained .ovpn client profile for stock OpenVPN 2.6.
 *
 * Pure: the caller gathers the PEM texts and names, profile_write() only
 * formats them.  Everything that ends up on a config line (hosts, the
 * server's CN) is checked to contain no whitespace, quotes or other
 * characters 2.6's parser would read as syntax, so a profile can never
 * carry a directive nobody asked for.
 *
 * Return convention: 0 or a negative ERR_* (err.h).
 */
#ifndef OVPN_PKI_PROFILE_H
#define OVPN_PKI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	PROFILE_HOST_MAX = 253,
	PROFILE_REMOTES_MAX = 16,
	PROFILE_DEFAULT_PORT = 1194,
};

enum profile_proto { PROFILE_UDP, PROFILE_TCP };

struct profile_remote {
	char host[PROFILE_HOST_MAX + 1];
	uint16_t port;
};

struct profile {
	const char *name;                      /* for the header comment */
	struct profile_remote remotes[PROFILE_REMOTES_MAX];
	size_t nremotes;                       /* 1..PROFILE_REMOTES_MAX */
	enum profile_proto proto;
	const char *server_cn;                 /* verify-x509-name CN name */
	bool auth_user_pass;
	const char *ca_pem, *cert_pem, *key_pem;
	const char *tc2_pem;                   /* NULL: no <tls-crypt-v2> block */
};

/*
 * Parse "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (a bare IPv6 address,
 * having several colons, takes no port).  HOST: letters, digits, '.', '-',
 * '_', ':' only.  The port defaults to default_port.  ERR_INVAL.
 */
int profile_parse_remote(const char *arg, uint16_t default_port, struct profile_remote *out);

/* A port: decimal 1..65535, no sign or leading zero.  ERR_INVAL. */
int profile_parse_port(const char *s, uint16_t *out);

/* "udp" / "tcp" (also "tcp-client").  ERR_INVAL. */
int profile_parse_proto(const char *s, enum profile_proto *out);

/*
 * The profile text, in a new NUL-terminated buffer (free it after
 * OPENSSL_cleanse: it holds the private key).  ERR_INVAL for no remote,
 * a bad host or CN, a missing PEM, or a PEM containing a line that would
 * close its block early; ERR_NOMEM.
 */
int profile_write(const struct profile *p, char **out, size_t *len);

#endif
