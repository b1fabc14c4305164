/*
 * err.h - error codes shared by every module.
 *
 * Functions return 0 on success or one of these negative codes; predicates
 * return bool instead.  ERR_SYS means "look at errno", which the caller must
 * read before making another libc call.
 */
#ifndef OVPN_ERR_H
#define OVPN_ERR_H

enum {
	ERR_OK = 0,
	ERR_TRUNC = -1,       /* input ends before its framing says it should */
	ERR_OVERFLOW = -2,    /* output does not fit in the space given */
	ERR_MALFORMED = -3,   /* input is complete but breaks the format */
	ERR_UNSUPPORTED = -4, /* well-formed, but a feature we do not do */
	ERR_AUTH = -5,        /* MAC, tag, cookie or certificate check failed */
	ERR_REPLAY = -6,      /* packet id already seen or too old */
	ERR_NOMEM = -7,
	ERR_BADSTATE = -8,       /* not valid in the current state */
	ERR_CRYPTO = -9,      /* OpenSSL failed for a reason that is not the input's */
	ERR_SYS = -10,        /* system call failed, see errno */
	ERR_RANGE = -11,      /* a number outside its allowed range */
	ERR_AGAIN = -12,      /* nothing to do now, try when more input arrives */
	ERR_NOTFOUND = -13,
	ERR_EXISTS = -14,
	ERR_CONFIG = -15,
	ERR_TIMEOUT = -16,
	ERR_FULL = -17,       /* a window, table or pool has no room */
	ERR_INVAL = -18,      /* the caller passed a bad argument */
};

/* Static text for a code; never NULL, "unknown error" for codes not above. */
const char *err_str(int err);

#endif
