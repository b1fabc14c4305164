/*
 * kmsg.h - the key-method-2 message codec (doc §6.2, §16.2-3).
 *
 *   u32 0 | u8 0x02 | [client: pre_master 48] | random1 32 | random2 32 |
 *   options u16+ | username u16+ | password u16+ | peer_info u16+
 *
 * "u16+" is a u16 length that includes the terminating NUL, then that many
 * bytes; an absent string is length 0 with no bytes (never a lone NUL).
 * Username, password and peer_info are optional at the end of the message.
 *
 * struct kmsg holds secrets (pre_master, randoms, password): wipe it with
 * kmsg_wipe() when done.
 */
#ifndef OVPN_KMSG_H
#define OVPN_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

enum { KM2_METHOD = 2, KM2_METHOD_MASK = 0x0f };

struct kmsg {
	bool has_pre_master;                 /* client messages only */
	uint8_t pre_master[KM2_PRE_MASTER_LEN];
	uint8_t random1[KM2_RANDOM_LEN], random2[KM2_RANDOM_LEN];
	char options[KM2_OPTIONS_MAX + 1];
	bool has_username, has_password;
	char username[KM2_USERPASS_MAX + 1];
	char password[KM2_USERPASS_MAX + 1];
	char peer_info[KM2_PEER_INFO_MAX + 1]; /* "" if absent */
};

/*
 * Parse one message at the start of p.  *consumed = its length (the TLS
 * stream continues with text messages).  Returns 0, ERR_TRUNC if incomplete
 * (caller waits for more), ERR_MALFORMED for a bad key method (low 4 bits
 * not 2), a missing or embedded NUL, or a missing options string, ERR_RANGE
 * for a string over its cap (options KM2_OPTIONS_MAX, username/password
 * KM2_USERPASS_MAX, peer_info KM2_PEER_INFO_MAX, all counted with the NUL).
 * from_client selects whether pre_master is present.  The leading u32 is
 * skipped without checking (2.6 does the same).  A message that ends after
 * options, or after username/password, is valid (old clients); the absent
 * strings are left empty.  Because of that, a message that stops right after
 * options parses even if more was still to come: feed whole TLS records.
 * Pure; on error *out may be partly filled and should be wiped.
 */
int kmsg_parse(const uint8_t *p, size_t n, bool from_client, struct kmsg *out, size_t *consumed);

/*
 * Append a message to w.  from_client selects pre_master.  Options is always
 * written (NUL included); username/password are written when has_* is set
 * (length 0 otherwise); peer_info is length 0 when "".  Always writes all
 * four strings.  Returns 0, ERR_RANGE (string over cap or unterminated in
 * its field), or ERR_OVERFLOW (w too small; w's sticky flag is set).  On
 * error w is cut back (and wiped) to its length before the call.
 */
int kmsg_build(struct wbuf *w, const struct kmsg *m, bool from_client);

/* OPENSSL_cleanse the whole struct (secrets, randoms and password). */
void kmsg_wipe(struct kmsg *m);

#endif
