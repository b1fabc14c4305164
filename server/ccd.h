/*
 * ccd.h - client-config-dir: per-client directives in DIR/<common name>
 * (or DIR/DEFAULT when that file is missing), read when the client
 * authenticates, as in OpenVPN 2.6.
 *
 * Supported: ifconfig-push, push, push-reset, disable, iroute, iroute-ipv6
 * (networks that live behind the client) and `group NAME` (an endpoint
 * extension: the client's authorization groups).  A file that does not
 * parse refuses the client (fail closed) with FILE:LINE in the log; so does
 * a common name that cannot be a plain file name.  The same parser reads the
 * dynamic config file a client-connect hook writes.
 */
#ifndef OVPN_CCD_H
#define OVPN_CCD_H

#include <stdbool.h>

#include "addr.h"

enum { CCD_MAX_PUSH = 64, CCD_MAX_IROUTE = 64, CCD_MAX_GROUPS = 16, CCD_GROUP_MAX = 64 };

struct ccd {
	bool found;                 /* a file applied (the CN's or DEFAULT) */
	bool disable;
	bool push_reset;            /* drop the global push lines for this client */
	bool has_ifconfig;
	struct addr ifconfig;       /* ifconfig-push LOCAL ... */
	struct addr ifconfig_2nd;   /* its netmask (subnet) or remote (net30/p2p) */
	char *push[CCD_MAX_PUSH];
	unsigned n_push;
	struct prefix iroute[CCD_MAX_IROUTE];   /* canonical, either family */
	unsigned n_iroute;
	char groups[CCD_MAX_GROUPS][CCD_GROUP_MAX];
	unsigned n_groups;
};

/* Read DIR/cn, else DIR/DEFAULT; neither existing is not an error (found
 * stays false).  ERR_CONFIG with "FILE:LINE: message" in err. */
int ccd_load(const char *dir, const char *cn, struct ccd *out, char *err, size_t errlen);
void ccd_free(struct ccd *c);
/* Parse text (a client-connect hook's dynamic config file) into out, which
 * may already hold a ccd file's directives: the hook's lines add to them. */
int ccd_load_buf(const char *name, const char *text, size_t len, struct ccd *out, char *err,
		 size_t errlen);

#endif
