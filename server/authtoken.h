/*
 * authtoken.h - auth-gen-token: stateless session tokens that stand in for
 * the password on renegotiation and reconnect (OpenVPN 2.6 semantics).
 *
 * After a successful username/password check the server pushes
 * "auth-token TOKEN"; the client then sends TOKEN as its password, and the
 * server accepts it without asking the auth script again while it is fresh.
 *
 * Token text: "SESS_ID_AT_" followed by 80 base64 characters (no padding)
 * encoding 60 bytes:
 *   session id (12, random, constant across renewals)
 *   initial time (u64 BE, wall seconds of the first token of the session)
 *   issue time   (u64 BE, wall seconds of this renewal)
 *   HMAC-SHA256(key, username || the 28 bytes above)
 * This is the layout OpenVPN 2.6 uses, so tokens verify across OpenVPN and
 * ovpn-endpoint servers sharing an auth-gen-token-secret, and the
 * `session_id` env value (base64 of the session id, 16 chars) matches.
 *
 * Freshness (checked with the MAC valid):
 *   issue <= now < issue + 2 * renewal   (renewal = reneg-sec by default)
 *   initial <= issue
 *   now <= initial + lifetime            (lifetime 0 = no limit)
 */
#ifndef OVPN_AUTHTOKEN_H
#define OVPN_AUTHTOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHTOKEN_PREFIX "SESS_ID_AT_"
#define AUTHTOKEN_PREFIX_LEN 11
#define AUTHTOKEN_SESSID_LEN 12
#define AUTHTOKEN_MAC_LEN 32
#define AUTHTOKEN_DATA_LEN (AUTHTOKEN_SESSID_LEN + 8 + 8 + AUTHTOKEN_MAC_LEN) /* 60 */
#define AUTHTOKEN_B64_LEN (AUTHTOKEN_DATA_LEN / 3 * 4)                         /* 80 */
#define AUTHTOKEN_LEN (AUTHTOKEN_PREFIX_LEN + AUTHTOKEN_B64_LEN)                /* 91 */
/* Room for a token plus its NUL. */
#define AUTHTOKEN_BUFSZ (AUTHTOKEN_LEN + 1)
/* Room for the session_id env value (16 base64 chars) plus its NUL. */
#define AUTHTOKEN_SESSID_STRSZ (AUTHTOKEN_SESSID_LEN / 3 * 4 + 1)
/* Usernames longer than this are refused (OpenVPN's USER_PASS_LEN is 128). */
#define AUTHTOKEN_USER_MAX 4096
/* PEM label of `openvpn --genkey auth-token` files. */
#define AUTHTOKEN_PEM_NAME "OpenVPN auth-token server key"

/* The server secret: the 32-byte HMAC-SHA256 key.  Wipe with authtoken_key_wipe(). */
struct authtoken_key {
	uint8_t hmac[32];
};

/* What a token says; filled by authtoken_check(), or by the caller for make. */
struct authtoken_info {
	uint8_t session_id[AUTHTOKEN_SESSID_LEN];
	uint64_t initial;   /* wall seconds */
	uint64_t issued;    /* wall seconds */
};

struct authtoken_policy {
	uint64_t lifetime;  /* seconds from `initial`; 0 = unlimited (auth-gen-token [lifetime]) */
	uint64_t renewal;   /* seconds; a token is fresh for 2 * renewal after issue; 0 = no check */
};

/* Fresh random key (the default without auth-gen-token-secret).  0 or ERR_CRYPTO. */
int authtoken_key_generate(struct authtoken_key *key);
/*
 * Key from the text of an "OpenVPN auth-token server key" PEM file (as
 * written by `openvpn --genkey auth-token`): exactly 128 bytes, of which
 * bytes 64..95 are the HMAC key, as in OpenVPN.  0, ERR_MALFORMED (not
 * that PEM, wrong size) or ERR_NOMEM.
 */
int authtoken_key_from_pem(struct authtoken_key *key, const char *pem, size_t len);
/* authtoken_key_from_pem() on a file's contents; ERR_SYS (errno) if unreadable. */
int authtoken_key_load(struct authtoken_key *key, const char *path);
void authtoken_key_wipe(struct authtoken_key *key);

/* Start a session: random session id, initial = issued = now_wall.  0 or ERR_CRYPTO. */
int authtoken_info_init(struct authtoken_info *info, uint64_t now_wall);

/*
 * Write the token for `username` and `info` as a NUL-terminated string of
 * AUTHTOKEN_LEN characters into out.  For a renewal, pass the info from the
 * session's first token with `issued` set to now.  0, ERR_OVERFLOW (cap <
 * AUTHTOKEN_BUFSZ), ERR_INVAL (username too long or issued < initial),
 * ERR_CRYPTO.
 */
int authtoken_make(const struct authtoken_key *key, const char *username,
    const struct authtoken_info *info, char *out, size_t cap);

/* True if the password has a token's shape (prefix and length); says nothing of validity. */
bool authtoken_is_token(const char *password);

/*
 * Verify `token` (the password the client sent) for `username`.
 * Returns 0 if valid and fresh; ERR_TIMEOUT if the MAC is good but the
 * token is outside its renewal window or lifetime (info is filled, so the
 * caller can report session_state=Expired and keep the session id);
 * ERR_AUTH for anything else: wrong key, wrong user, tampered, truncated,
 * oversized, not base64, not a token.  info may be NULL.  Comparison of the
 * MAC is constant time.  Binding the token to the current connection (same
 * session id as the token issued on it) is the caller's job, see
 * authtoken_session_eq().
 */
int authtoken_check(const struct authtoken_key *key, const char *token, const char *username,
    uint64_t now_wall, const struct authtoken_policy *pol, struct authtoken_info *info);

/* Constant-time comparison of two session ids. */
bool authtoken_session_eq(const struct authtoken_info *a, const struct authtoken_info *b);

/* The `session_id` env value: base64 of the session id, 16 chars + NUL.  0 or ERR_OVERFLOW. */
int authtoken_session_id_str(const struct authtoken_info *info, char *out, size_t cap);

#endif
