/*
 * ippersist.h - ifconfig-pool-persist: the sticky address of each common
 * name, kept in a file in OpenVPN 2.6's format so a restarted endpoint
 * (or a 2.6 server reading the same file) hands the same client the same
 * address.
 *
 * The file is read once at start; afterwards the in-memory copy is the
 * truth and is written back whole, atomically (temporary file in the same
 * directory, fsync, rename), so a crash mid-write never leaves a torn file.
 */
#ifndef OVPN_IPPERSIST_H
#define OVPN_IPPERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

enum { IPP_CN_MAX = 64 };

struct ipp_entry {
	char cn[IPP_CN_MAX + 1];
	struct addr v4;        /* family 0 = none */
	struct addr v6;        /* family 0 = none */
};

struct ippersist {
	struct ipp_entry *e;
	size_t n, cap;
	bool dirty;            /* changed since the last save */
};

void ipp_init(struct ippersist *p);
void ipp_free(struct ippersist *p);
/* Parse one line of the file (without its newline).  Pure.  0; ERR_NOTFOUND
 * for a blank line; ERR_MALFORMED with a reason in err. */
int ipp_parse_line(const char *line, struct ipp_entry *out, char *err, size_t errlen);
/* Read path; a missing file is an empty table.  A line that does not parse
 * is reported with log_warnx("FILE:LINE: ...") and skipped, the others
 * load.  0; ERR_SYS when the file exists but cannot be read; ERR_NOMEM. */
int ipp_load(struct ippersist *p, const char *path);
/* Write the table to path atomically; clears dirty.  0 or ERR_SYS. */
int ipp_save(struct ippersist *p, const char *path);
/* The entry for cn, or NULL. */
const struct ipp_entry *ipp_get(const struct ippersist *p, const char *cn);
/* The common name holding address a (either family), or NULL. */
const char *ipp_holder(const struct ippersist *p, const struct addr *a);
/* Record cn's addresses (v6 may be NULL); sets dirty when anything changed.
 * An address held by another name moves to cn.  0 or ERR_NOMEM/ERR_INVAL. */
int ipp_set(struct ippersist *p, const char *cn, const struct addr *v4, const struct addr *v6);

#endif
