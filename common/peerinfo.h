/*
 * peerinfo.h - the client's IV_* peer-info block (doc §6.4, §14).  Pure.
 *
 * Only the variables a server acts on are kept.  Every stored value is
 * printable ASCII (0x20..0x7e), NUL-terminated and within its field (P14).
 * When a name appears more than once, the LAST valid line wins (as in a
 * shell environment); refused lines never overwrite an earlier value.
 */
#ifndef OVPN_PEERINFO_H
#define OVPN_PEERINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct peerinfo {
	char ver[32];          /* IV_VER */
	char plat[32];         /* IV_PLAT */
	bool has_proto; uint32_t proto;   /* IV_PROTO */
	int ncp;               /* IV_NCP, 0 if absent */
	char ciphers[512];     /* IV_CIPHERS, "" if absent */
	uint32_t mtu;          /* IV_MTU, 0 if absent */
	bool tcpnl, lzo_stub, comp_stub, comp_stubv2, lzo, lz4, lz4v2;
	char gui_ver[64];      /* IV_GUI_VER */
	char sso[128];         /* IV_SSO */
	unsigned n_rejected;   /* lines refused: no '=', bad name, non-printable or over-long values */
};

/*
 * text is the "NAME=value\n..." block, read up to len bytes or the first NUL,
 * whichever comes first (a NUL ends the block, as it does for 2.6); pass
 * SIZE_MAX for a NUL-terminated string, nothing past the NUL is read.  A
 * trailing '\r' on a line is tolerated.  Unknown names are ignored; malformed
 * lines (no '=', empty or non [A-Za-z0-9_] name, non-printable value, value
 * too long for its field, bad number for a numeric variable) are skipped and
 * counted in n_rejected.  Empty lines are ignored.  *out is reset first.
 * Returns 0 (a hostile block is not an error; check n_rejected), or
 * ERR_INVAL for NULL arguments.
 */
int peerinfo_parse(const char *text, size_t len, struct peerinfo *out);

/* Does the client support cipher `name` (canonical, e.g. "AES-256-GCM")?
   IV_CIPHERS if present, else AES-256-GCM and AES-128-GCM when IV_NCP >= 2
   (doc §14.1).  Case-insensitive exact match of a whole list element. */
bool peerinfo_has_cipher(const struct peerinfo *pi, const char *name);
/* Does the client do cipher negotiation at all (IV_CIPHERS or IV_NCP >= 2)? */
bool peerinfo_does_ncp(const struct peerinfo *pi);

#endif
