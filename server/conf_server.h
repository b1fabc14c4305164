/*
 * conf_server.h - the server's configuration: OpenVPN 2.6 directives parsed
 * into struct server_conf.
 *
 * The directive table lives in conf_server.c and is driven by common/conf.c
 * (tokenizer, bsearch lookup, arg-count checks).  Loading is "parse, then
 * act": it fills the struct and reads the files that ca/cert/key/dh name,
 * nothing else (no sockets, no tun, no logging).
 *
 * Defaults are OpenVPN 2.6's (see docs/openvpn-protocol.md section 12).
 * Duplicate directives: the last one wins, as in 2.6, except `push`, which
 * accumulates in config order.  A successful load guarantees: `server`,
 * `topology subnet`, `dev` (a tun device), ca, cert, key, and dh or `dh none`
 * are present; tls_timeout < hand_window; keepalive_restart >= 2 *
 * keepalive_ping.  Key/cert blobs are wiped with explicit_bzero (the unit
 * test links no libcrypto, so not OPENSSL_cleanse; same effect).
 *
 * Relative paths in ca/cert/key/dh resolve against the directory of the config
 * file, i.e. as if OpenVPN 2.6 were started with `--cd <that directory>`.  For
 * conf_server_load_buf() they resolve against the directory part of `name`
 * (or the current directory if it has none).
 */
#ifndef OVPN_CONF_SERVER_H
#define OVPN_CONF_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "comp.h"
#include "keyfile.h"
#include "pool.h"

enum {
	CONF_CIPHER_NAME_MAX = 24,   /* "CHACHA20-POLY1305" + NUL fits */
	CONF_MAX_DATA_CIPHERS = 8,
	CONF_MAX_PUSH = 256,         /* push lines kept; more is an error */
	CONF_PUSH_MAX_LEN = 1024,    /* one push option; defensive, lines are shorter (CONF_LINE_MAX) */
	CONF_BLOB_MAX = 1 << 20,     /* biggest ca/cert/key/dh file or inline block we accept */
	CONF_REPLAY_WINDOW_MAX = 1024,
	/* endpoint networking */
	CONF_MAX_TARGETS = 16,
	CONF_NAME_MAX = 32,          /* target-network names */
	CONF_MAX_EP_ROUTES = 4096,
	CONF_MAX_AUTHZ = 4096,
	CONF_MAX_DNS = 8,
	CONF_DESC_MAX = 64,
	CONF_GROUP_MAX = 64,
	CONF_MAX_SPLIT = 64,
};

/* target-network NAME dev IF nat|routed [via GW] */
enum conf_target_mode { CONF_TARGET_NAT = 0, CONF_TARGET_ROUTED };
struct conf_target {
	char name[CONF_NAME_MAX];
	char dev[16];
	enum conf_target_mode mode;
	struct addr via;                 /* next hop for its routes; family 0 = on-link */
	bool learn;                      /* learn-routes NAME */
};

/* endpoint-route CIDR TARGET|blackhole [vpc|peering|site|internet] ["description"] */
struct conf_ep_route {
	struct prefix dst;
	int target;                      /* index into targets, -1 = blackhole */
	int kind;                        /* enum rt_kind (rtable.h) */
	char desc[CONF_DESC_MAX];
};

/* authorize CIDR all|group NAME [allow|deny] ["description"] */
struct conf_authz {
	struct prefix dst;
	char group[CONF_GROUP_MAX];      /* "" = all clients */
	bool deny;
	char desc[CONF_DESC_MAX];
};

/* split-tunnel on|off group NAME: a per-group override */
struct conf_split {
	char group[CONF_GROUP_MAX];
	bool on;
};

/* A key or certificate: read from `path` or given inline.  `data` is always
 * NUL-terminated and owned by the struct; `path` is NULL for inline blobs. */
struct conf_blob {
	char *path;
	char *data;
	size_t len;
	bool is_inline;
};

enum conf_verify_client_cert {
	CONF_VERIFY_REQUIRE = 0,     /* the 2.6 default */
	CONF_VERIFY_OPTIONAL,
	CONF_VERIFY_NONE,
};

struct server_conf {
	char *file;                      /* config path (or name), for messages */
	uint16_t port;                   /* 1194 */
	char proto[16];                  /* as written: "udp" (default), "udp6", "tcp-server", ... */
	bool tcp;                        /* a TCP server (tcp, tcp-server, tcp4/6[-server]) */
	bool has_listen_also;            /* listen-also: the other transport as well */
	char listen_also[16];
	bool listen_also_tcp;
	int listen_also_family;
	uint16_t listen_also_port;       /* 0 in the config = same as port */
	int family;                      /* AF_INET (udp/udp4), AF_INET6 (udp6: dual-stack socket);
	                                  * plain udp follows `local` if that is IPv6 (2.6 resolves
	                                  * it with AF_UNSPEC) */
	struct addr local; bool has_local; /* numeric address only; if set, local.family == family */
	char dev[16];                    /* required; "tun" = kernel picks tunN; else exact name */
	enum topology topology;          /* net30 unless given (2.6's default) */
	bool has_topology;               /* a topology line was seen */
	bool mode_server;                /* `mode server`, also implied by `server` */
	bool tls_server;                 /* `tls-server`, also implied by `server` */
	struct prefix server_net;        /* from `server` (required): IPv4, /16../29, host bits 0 */
	bool server_nopool;
	struct prefix server_net6;       /* from `server-ipv6` */
	bool has_server_ipv6;
	struct conf_blob ca, cert, key, dh; bool dh_none;
	struct conf_blob crl;            /* crl-verify: the CRLs as read at startup */
	char *crl_path;                  /* resolved, for re-reading; NULL if inline */
	char verify_x509_name[256];      /* "" = none */
	/* username/password (doc §6.2; management-interface.md §6.2) */
	char auth_user_pass_verify[512]; /* the command, "" = none */
	bool auth_via_file;
	bool auth_user_pass_optional;
	uint32_t script_security;        /* 1 */
	char tmp_dir[256];               /* /tmp */
	bool auth_gen_token;
	uint32_t auth_token_lifetime, auth_token_renewal;   /* s; 0 = none / reneg-sec */
	struct conf_blob auth_token_secret;
	int verify_x509_type;            /* 0 subject, 1 name, 2 name-prefix (tls.h's order) */
	/* control-channel protection (doc §5) */
	struct conf_blob tls_auth, tls_crypt, tls_crypt_v2;
	bool has_tls_auth, has_tls_crypt, has_tls_crypt_v2;
	struct keyfile_static tls_auth_key, tls_crypt_key;
	struct keyfile_v2_server tls_crypt_v2_key;
	bool tls_crypt_v2_force_cookie;  /* refuse 2.5 clients that cannot do the cookie */
	int key_direction;               /* -1: bidirectional (none given), else 0 or 1 */
	char auth[8];                    /* tls-auth HMAC digest, "SHA1" */
	enum comp_mode compress;         /* compress / comp-lzo framing, COMP_NONE by default */
	enum comp_allow allow_compression;
	bool has_allow_compression;      /* else 2.6's default for the mode */
	uint32_t keepalive_ping, keepalive_restart;  /* as written; 0 = none */
	uint32_t verb;                   /* 1 */
	char data_ciphers[CONF_MAX_DATA_CIPHERS][CONF_CIPHER_NAME_MAX]; unsigned n_data_ciphers;
	                                 /* default AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305 */
	char data_ciphers_fallback[CONF_CIPHER_NAME_MAX];  /* "" = none */
	uint32_t max_half_open;          /* P4: handshakes in progress, in all (256) */
	uint32_t max_half_open_src;      /* P4: ... and per source address (5) */
	char *ccd_dir;                   /* client-config-dir, resolved */
	char *ccd_dir_as_written;
	bool ccd_exclusive;              /* refuse clients without a ccd file */
	bool duplicate_cn;               /* several clients may share a certificate CN */
	bool persist_key, persist_tun;   /* accepted and remembered; privsep makes them moot */
	uint32_t max_clients;            /* 1024 */
	uint32_t explicit_exit_notify;   /* 0; `explicit-exit-notify` alone means 1 */
	uint32_t tun_mtu;                /* 1500 */
	uint32_t reneg_sec, hand_window, tls_timeout;   /* 3600, 60, 2 */
	uint32_t reneg_bytes, reneg_pkts;               /* 0 = off (2.6 default for AEAD) */
	uint32_t reneg_sec_min;          /* 0 = 2.6 default (server: 90% of reneg_sec) */
	uint32_t replay_window, replay_time;            /* 64, 15 */
	int tls_version_min;             /* 0 = default (1.2); else 12 or 13 */
	char tls_groups[256], tls_ciphersuites[256], tls_cipher[512];   /* "" = OpenSSL's */
	int tls_cert_profile;            /* -1 = default; else 0 insecure .. 3 suiteb */
	bool tls_version_min_or_highest;
	bool remote_cert_tls_client;
	enum conf_verify_client_cert verify_client_cert;  /* require */
	char **push; unsigned n_push;    /* push option text, config order, unquoted, non-empty */
	uint32_t mute;                   /* 0 = off */

	/* ---- endpoint networking: client CIDR, target networks, routes, rules ---- */
	bool endpoint;                   /* any target-network or authorize: the endpoint's
	                                  * route table and default-deny rules are in force */
	bool has_client_cidr;            /* client-cidr (fills server_net, topology subnet) */
	struct conf_target targets[CONF_MAX_TARGETS]; unsigned n_targets;
	struct conf_ep_route *ep_routes; unsigned n_ep_routes;
	struct conf_authz *authz; unsigned n_authz;
	int split_tunnel;                /* -1 not given (on with routes, as AWS's default is
	                                  * off: see README), 0 off, 1 on */
	struct conf_split split_groups[CONF_MAX_SPLIT]; unsigned n_split_groups;
	struct addr dns[CONF_MAX_DNS]; unsigned n_dns;
	char group_from_cert[32];        /* client-group-from-cert FIELD ("" = none) */
	char *ipp_path;                  /* ifconfig-pool-persist FILE, resolved; NULL = none */
	char *ipp_path_as_written;
	uint32_t ipp_secs;               /* its second argument: 0 = read only (2.6: 600) */
	bool client_to_client;
	uint32_t ep_table;               /* kernel routing table and rule priority (1194) */

	/* ---- operations ---- */
	char status_file[512];           /* status FILE [seconds]; "" = none */
	uint32_t status_secs;            /* 60 */
	uint32_t status_version;         /* 1 */
	bool has_mgmt;                   /* management IP PORT | PATH unix [pw-file] */
	bool mgmt_unix;
	char mgmt_where[108];            /* the IP or the socket path */
	uint16_t mgmt_port;
	char mgmt_pwfile[512];           /* "" = no password */
	bool mgmt_client_auth;           /* management-client-auth */
	uint32_t mgmt_pw_timeout;        /* management-password-timeout: s to log in (60) */
	char connlog[512];               /* connection-log FILE|syslog; "" = none */
	char client_connect[512], client_disconnect[512], learn_address[512];
	char connect_handler[512];       /* client-connect-handler: AWS's JSON protocol */
	uint32_t hook_timeout;           /* seconds (30) for every hook */
	uint32_t session_timeout;        /* seconds; 0 = none */
	uint32_t idle_timeout;           /* seconds without tunnel traffic; 0 = none */
	uint32_t max_user_devices;       /* sessions per username (or CN); 0 = no cap */
	char banner[256];                /* login banner pushed as `echo msg` lines; "" = none */
	char user[64], group_name[64];   /* user/group to run as after setup; "" = stay */
	char log_file[512];              /* log / log-append FILE; "" = stderr */
	bool log_append;
	bool has_metrics;                /* metrics IP PORT: Prometheus text */
	char metrics_addr[64];
	uint16_t metrics_port;
};

/*
 * Parse a config file.  Returns 0 and fills *out (which the caller later frees
 * with conf_server_free()), or ERR_CONFIG and writes "FILE:LINE: message" (or
 * "FILE: message" for whole-file checks) into err; *out is then already freed
 * and zeroed.  `out` need not be initialised.
 */
int conf_server_load(const char *path, struct server_conf *out, char *err, size_t errlen);
/* For a reload: the same, except that key, certificate and CRL files are
 * not read (their blobs hold "" and the path): the process may no longer
 * be able to read them, and the TLS identity changes only with a restart. */
int conf_server_load_reload(const char *path, struct server_conf *out, char *err, size_t errlen);
/* The same for text in memory; `name` is used in messages and to resolve
 * relative paths.  `text` need not be NUL-terminated and may contain NULs
 * (which are an error). */
int conf_server_load_buf(const char *name, const char *text, size_t len, struct server_conf *out,
    char *err, size_t errlen);
/* Release everything; wipes key material.  Safe on a zeroed struct and twice. */
void conf_server_free(struct server_conf *c);
/* Normalised config, one directive per line, defaults included, key/cert blobs
 * shown as "[inline]" or the path (never their contents).  The output parses
 * back to the same struct, except that inline blobs print as a placeholder.
 * Used by `--test-config` and the golden tests. */
void conf_server_print(FILE *f, const struct server_conf *c);

struct conf_directive;
/* The directive table (sorted, for common/conf.c), exposed for tests and the
 * fuzz harness; *n gets its length.  Handlers expect the private parse
 * context, so drive it through conf_server_load_buf(), not conf_feed_line(). */
const struct conf_directive *conf_server_table(size_t *n);

#endif
