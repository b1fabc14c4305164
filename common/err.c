/*
 * err.c - text for the shared error codes.
 *
 * A table indexed by the negated code keeps the mapping in one place; codes
 * outside it get a fixed string rather than NULL so callers can always print.
 */
#include <stddef.h>

#include "err.h"

static const char *const err_text[] = {
	[0] = "success",
	[-ERR_TRUNC] = "truncated input",
	[-ERR_OVERFLOW] = "output does not fit",
	[-ERR_MALFORMED] = "malformed input",
	[-ERR_UNSUPPORTED] = "unsupported",
	[-ERR_AUTH] = "authentication failed",
	[-ERR_REPLAY] = "replayed or too old",
	[-ERR_NOMEM] = "out of memory",
	[-ERR_BADSTATE] = "not valid in this state",
	[-ERR_CRYPTO] = "cryptographic library failure",
	[-ERR_SYS] = "system call failed",
	[-ERR_RANGE] = "value out of range",
	[-ERR_AGAIN] = "try again",
	[-ERR_NOTFOUND] = "not found",
	[-ERR_EXISTS] = "already exists",
	[-ERR_CONFIG] = "configuration error",
	[-ERR_TIMEOUT] = "timed out",
	[-ERR_FULL] = "no room",
	[-ERR_INVAL] = "invalid argument",
};

const char *
err_str(int err)
{
	unsigned idx;

	if (err > 0)
		return "unknown error";
	idx = (unsigned)-err;
	if (idx >= sizeof(err_text) / sizeof(err_text[0]) || err_text[idx] == NULL)
		return "unknown error";
	return err_text[idx];
}
