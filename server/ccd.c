/*
 * ccd.c - client-config-dir files.
 *
 * The common name becomes a path component, so it must be a plain name:
 * the TLS layer already limits it to [A-Za-z0-9._@-]; here a leading '.'
 * (".", "..", hidden files) is refused too.  Files are parsed with the same
 * tokenizer and table machinery as the main config, in CCD scope.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ccd.h"
#include "conf.h"
#include "err.h"

static int
h_ifconfig_push(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
		struct conf_err *err)
{
	struct ccd *c = ctx;

	if (addr_parse(l->argv[1], &c->ifconfig) != 0 || c->ifconfig.family != AF_INET)
		return conf_errf(err, l, "ifconfig-push: '%s' is not an IPv4 address", l->argv[1]);
	if (addr_parse(l->argv[2], &c->ifconfig_2nd) != 0 || c->ifconfig_2nd.family != AF_INET)
		return conf_errf(err, l, "ifconfig-push: '%s' is not an IPv4 netmask or address",
		    l->argv[2]);
	c->has_ifconfig = true;
	return 0;
}

static int
h_push(void *ctx, const struct conf_directive *dir, const struct conf_line *l, struct conf_err *err)
{
	struct ccd *c = ctx;

	if (l->argv[1][0] == '\0' || strlen(l->argv[1]) > 255 || strchr(l->argv[1], ',') != NULL)
		return conf_errf(err, l, "push: the option must be 1-255 characters without commas");
	if (c->n_push >= CCD_MAX_PUSH)
		return conf_errf(err, l, "push: more than %u lines", (unsigned)CCD_MAX_PUSH);
	if ((c->push[c->n_push] = strdup(l->argv[1])) == NULL)
		return conf_errf(err, l, "push: out of memory");
	c->n_push++;
	return 0;
}

static int
h_push_reset(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	     struct conf_err *err)
{
	((struct ccd *)ctx)->push_reset = true;
	return 0;
}

static int
h_disable(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	  struct conf_err *err)
{
	((struct ccd *)ctx)->disable = true;
	return 0;
}

static int
h_not_yet(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	  struct conf_err *err)
{
	return conf_errf(err, l, "'%s' is not supported yet", l->argv[0]);
}

/* sorted by name (bsearch) */
static const struct conf_directive ccd_table[] = {
	{ "disable",           0, 0, CONF_SCOPE_CCD, false, h_disable, NULL },
	{ "ifconfig-ipv6-push", 1, 2, CONF_SCOPE_CCD, false, h_not_yet, NULL },
	{ "ifconfig-push",     2, 2, CONF_SCOPE_CCD, false, h_ifconfig_push, NULL },
	{ "iroute",            1, 2, CONF_SCOPE_CCD, false, h_not_yet, NULL },
	{ "iroute-ipv6",       1, 1, CONF_SCOPE_CCD, false, h_not_yet, NULL },
	{ "push",              1, 1, CONF_SCOPE_CCD, false, h_push, NULL },
	{ "push-reset",        0, 0, CONF_SCOPE_CCD, false, h_push_reset, NULL },
};

void
ccd_free(struct ccd *c)
{
	unsigned i;

	for (i = 0; i < c->n_push; i++)
		free(c->push[i]);
	memset(c, 0, sizeof(*c));
}

int
ccd_load(const char *dir, const char *cn, struct ccd *out, char *err, size_t errlen)
{
	struct conf_err ce;
	struct stat st;
	char path[PATH_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	if (cn[0] == '\0' || cn[0] == '.' || strchr(cn, '/') != NULL) {
		snprintf(err, errlen, "common name '%s' cannot name a client-config-dir file", cn);
		return ERR_CONFIG;
	}
	r = snprintf(path, sizeof(path), "%s/%s", dir, cn);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		snprintf(err, errlen, "client-config-dir path too long");
		return ERR_CONFIG;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return ERR_CONFIG;
		}
		snprintf(path, sizeof(path), "%s/DEFAULT", dir);
		if (stat(path, &st) != 0) {
			if (errno == ENOENT)
				return 0;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return ERR_CONFIG;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return ERR_CONFIG;
	}
	r = conf_parse_file(ccd_table, sizeof(ccd_table) / sizeof(ccd_table[0]), CONF_SCOPE_CCD, path,
	    out, &ce);
	if (r != 0) {
		snprintf(err, errlen, "%s", ce.msg);
		ccd_free(out);
		return ERR_CONFIG;
	}
	out->found = true;
	return 0;
}
