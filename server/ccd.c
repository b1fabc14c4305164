/*
 * ccd.c - client-config-dir files.
 *
 * The common name becomes a path component, so it must be a plain name:
 * the TLS layer already limits it to [A-Za-z0-9._@-]; here a leading '.'
 * (".", "..", hidden files) is refused too.  Files are parsed with the same
 * tokenizer and table machinery as the main config, in CCD scope.
 */
#include <ctype.h>
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

/* iroute NETWORK [NETMASK]: a network behind this client (2.6: the mask
 * defaults to 255.255.255.255). */
static int
add_iroute(struct ccd *c, const struct prefix *p, const struct conf_line *l, struct conf_err *err)
{
	unsigned i;

	for (i = 0; i < c->n_iroute; i++)
		if (prefix_eq(&c->iroute[i], p))
			return 0;
	if (c->n_iroute >= CCD_MAX_IROUTE)
		return conf_errf(err, l, "%s: more than %u iroutes", l->argv[0],
		    (unsigned)CCD_MAX_IROUTE);
	c->iroute[c->n_iroute++] = *p;
	return 0;
}

static int
h_iroute(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	 struct conf_err *err)
{
	struct prefix p;
	struct addr mask;

	if (addr_parse(l->argv[1], &p.a) != 0 || p.a.family != AF_INET)
		return conf_errf(err, l, "iroute: '%s' is not an IPv4 network address", l->argv[1]);
	p.len = 32;
	if (l->argc == 3 && (addr_parse(l->argv[2], &mask) != 0 || mask.family != AF_INET ||
	    addr_netmask_len(&mask, &p.len) != 0))
		return conf_errf(err, l, "iroute: '%s' is not a contiguous IPv4 netmask", l->argv[2]);
	prefix_canon(&p);
	if (p.len == 0)
		return conf_errf(err, l, "iroute: a default route cannot live behind one client");
	return add_iroute(ctx, &p, l, err);
}

static int
h_iroute_ipv6(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	      struct conf_err *err)
{
	struct prefix p;

	if (prefix_parse(l->argv[1], true, &p) != 0 || p.a.family != AF_INET6)
		return conf_errf(err, l, "iroute-ipv6: '%s' is not an IPv6 prefix", l->argv[1]);
	prefix_canon(&p);
	if (p.len == 0)
		return conf_errf(err, l, "iroute-ipv6: a default route cannot live behind one client");
	return add_iroute(ctx, &p, l, err);
}

/* group NAME: an authorization group (endpoint extension). */
static int
h_group(void *ctx, const struct conf_directive *dir, const struct conf_line *l,
	struct conf_err *err)
{
	struct ccd *c = ctx;
	size_t i, n = strlen(l->argv[1]);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)l->argv[1][i]) && strchr("._@-", l->argv[1][i]) == NULL)
			break;
	if (n == 0 || n >= CCD_GROUP_MAX || i < n)
		return conf_errf(err, l, "group: '%s' is not a group name (letters, digits, ._@- up "
		    "to %u characters)", l->argv[1], (unsigned)CCD_GROUP_MAX - 1);
	for (i = 0; i < c->n_groups; i++)
		if (strcmp(c->groups[i], l->argv[1]) == 0)
			return 0;
	if (c->n_groups >= CCD_MAX_GROUPS)
		return conf_errf(err, l, "group: more than %u groups", (unsigned)CCD_MAX_GROUPS);
	memcpy(c->groups[c->n_groups++], l->argv[1], n + 1);
	return 0;
}

/* sorted by name (bsearch) */
static const struct conf_directive ccd_table[] = {
	{ "disable",           0, 0, CONF_SCOPE_CCD, false, h_disable, NULL },
	{ "group",             1, 1, CONF_SCOPE_CCD, false, h_group, NULL },
	{ "ifconfig-ipv6-push", 1, 2, CONF_SCOPE_CCD, false, h_not_yet, NULL },
	{ "ifconfig-push",     2, 2, CONF_SCOPE_CCD, false, h_ifconfig_push, NULL },
	{ "iroute",            1, 2, CONF_SCOPE_CCD, false, h_iroute, NULL },
	{ "iroute-ipv6",       1, 1, CONF_SCOPE_CCD, false, h_iroute_ipv6, NULL },
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

int
ccd_load_buf(const char *name, const char *text, size_t len, struct ccd *out, char *err,
	     size_t errlen)
{
	struct conf_err ce;

	if (conf_parse_buf(ccd_table, sizeof(ccd_table) / sizeof(ccd_table[0]), CONF_SCOPE_CCD,
	    name, text, len, out, &ce) != 0) {
		snprintf(err, errlen, "%s", ce.msg);
		return ERR_CONFIG;
	}
	return 0;
}
