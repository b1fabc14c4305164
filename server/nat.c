/*
 * nat.c - source NAT through one nftables table owned by the endpoint.
 *
 * Design.  The endpoint never edits rules one by one: every nat_apply()
 * hands libnftables one script,
 *
 *	add table ip NAME		(creates it if missing, so the next
 *	delete table ip NAME		 line cannot fail)
 *	table ip NAME { chain postrouting { ... one line per rule ... } }
 *
 * which nftables sends to the kernel as a single netlink batch: the kernel
 * commits all of it or none of it.  A reload therefore never shows a
 * moment with half the rules, a failed apply leaves the previous table as
 * it was, and a table left behind by a crash is simply replaced.  Nothing
 * outside table NAME is named in any script, so no other table is touched.
 *
 * Every string that reaches the script text is validated first (table
 * name: identifier characters; interface name: printable, no quote,
 * backslash or blank, shorter than IFNAMSIZ), because nftables has no
 * escaping inside quoted strings.  nft 1.0 does not accept a quoted table
 * name either, so a name that is also an nft keyword ("counter", "ip")
 * would only fail at the first apply; nat_open() catches that with a
 * dry-run parse.
 *
 * Each rule carries `comment "rN"` (N = its index) so nat_counters() can
 * find rule N in the listing by name rather than by position.  The listing
 * is nft's plain text (stable across 1.x); JSON would need a parser the
 * endpoint does not otherwise link.
 *
 * The nft_ctx buffers both output and errors, so libnftables never writes
 * to the daemon's stdout/stderr; error text is handed to the caller.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "addr.h"
#include "err.h"
#include "nat.h"

struct nat {
	struct nft_ctx *ctx;
	char table[NAT_TABLE_MAX];
};

static bool
nat_table_ok(const char *t)
{
	size_t i, len;

	if (t == NULL)
		return false;
	len = strlen(t);
	if (len == 0 || len >= NAT_TABLE_MAX)
		return false;
	if (!(isalpha((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (!(c < 0x80 && (isalnum(c) || c == '_')))
			return false;
	}
	return true;
}

/*
 * The kernel refuses '/', ':' and blanks in interface names; quote and
 * backslash would end or confuse nft's quoted string.  Bytes >= 0x80 are
 * refused too: nothing legitimate needs them and they make logs ambiguous.
 */
static bool
nat_ifname_ok(const char *s)
{
	size_t i, len;

	len = strnlen(s, NAT_IFNAME_MAX);
	if (len == 0 || len >= NAT_IFNAME_MAX)
		return false;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '/' ||
		    c == ':' || c == '\'')
			return false;
	}
	return true;
}

/* Copy text into err with surrounding whitespace removed, and newlines
 * (nft prints the offending line and a caret line) folded to "; ". */
static void
nat_set_err(char *err, size_t errlen, const char *text)
{
	size_t o = 0;
	const char *p, *end;
	bool pend_sep = false;

	if (err == NULL || errlen == 0)
		return;
	err[0] = '\0';
	if (text == NULL)
		return;
	p = text;
	while (*p != '\0' && isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	for (; p < end && o + 1 < errlen; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n') {
			pend_sep = true;
			continue;
		}
		if (pend_sep) {
			if (o + 3 >= errlen)
				break;
			err[o++] = ';';
			err[o++] = ' ';
			pend_sep = false;
		}
		err[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	err[o] = '\0';
}

static void
nat_set_errs(char *err, size_t errlen, const char *text)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", text);
}

/* Run a script; on failure copy nft's error text into err. */
static int
nat_run(struct nat *n, const char *script, char *err, size_t errlen)
{
	const char *e;
	int rc;

	/* Reading a buffer rewinds it, so stale text from an earlier command
	 * cannot be mistaken for this one's. */
	(void)nft_ctx_get_output_buffer(n->ctx);
	(void)nft_ctx_get_error_buffer(n->ctx);
	rc = nft_run_cmd_from_buffer(n->ctx, script);
	e = nft_ctx_get_error_buffer(n->ctx);
	if (rc != 0) {
		if (e != NULL && e[0] != '\0')
			nat_set_err(err, errlen, e);
		else
			nat_set_errs(err, errlen, "nftables command failed");
		errno = EIO;
		return ERR_SYS;
	}
	return 0;
}

int
nat_open(struct nat **out, const char *table)
{
	struct nat *n = NULL;
	char script[NAT_TABLE_MAX + 32];
	const char *e;
	int rc;

	*out = NULL;
	if (!nat_table_ok(table))
		return ERR_INVAL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return ERR_NOMEM;
	memcpy(n->table, table, strlen(table) + 1);
	if ((n->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (nft_ctx_buffer_output(n->ctx) != 0 || nft_ctx_buffer_error(n->ctx) != 0) {
		rc = ERR_NOMEM;
		goto out;
	}

	/*
	 * A keyword used as a name is a syntax error.  Dry run parses and
	 * checks without committing; any other failure here (typically no
	 * CAP_NET_ADMIN yet) is not the name's fault and is left for
	 * nat_apply() to report.
	 */
	snprintf(script, sizeof(script), "add table ip %s\n", n->table);
	nft_ctx_set_dry_run(n->ctx, true);
	(void)nft_ctx_get_error_buffer(n->ctx);
	rc = nft_run_cmd_from_buffer(n->ctx, script);
	e = nft_ctx_get_error_buffer(n->ctx);
	nft_ctx_set_dry_run(n->ctx, false);
	if (rc != 0 && e != NULL && strstr(e, "syntax error") != NULL) {
		rc = ERR_INVAL;
		goto out;
	}
	*out = n;
	n = NULL;
	rc = 0;
out:
	nat_close(n);
	return rc;
}

void
nat_close(struct nat *n)
{
	if (n == NULL)
		return;
	if (n->ctx != NULL)
		nft_ctx_free(n->ctx);
	free(n);
}

int
nat_apply(struct nat *n, const struct nat_rule *rules, size_t n_rules, char *err,
	  size_t errlen)
{
	char *script = NULL;
	size_t slen = 0;
	FILE *f = NULL;
	size_t i;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* Check everything before building any text. */
	for (i = 0; i < n_rules; i++) {
		if (rules[i].from.a.family != AF_INET || rules[i].from.len > 32) {
			nat_set_errs(err, errlen, "NAT source must be an IPv4 prefix");
			return ERR_INVAL;
		}
		if (!nat_ifname_ok(rules[i].oifname)) {
			nat_set_errs(err, errlen, "bad output interface name");
			return ERR_INVAL;
		}
	}

	if ((f = open_memstream(&script, &slen)) == NULL) {
		nat_set_errs(err, errlen, "out of memory");
		return ERR_NOMEM;
	}
	fprintf(f, "add table ip %s\ndelete table ip %s\n", n->table, n->table);
	if (n_rules > 0) {
		fprintf(f, "table ip %s {\n\tchain postrouting {\n"
		    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n",
		    n->table);
		for (i = 0; i < n_rules; i++) {
			struct prefix p = rules[i].from;
			char ps[PREFIX_STR_MAX];

			/* nft refuses host bits; the meaning is the network. */
			prefix_canon(&p);
			if (prefix_format(&p, ps, sizeof(ps)) != 0) {
				fclose(f);
				nat_set_errs(err, errlen, "bad NAT source prefix");
				rc = ERR_INVAL;
				goto out;
			}
			fprintf(f, "\t\tip saddr %s oifname \"%s\" counter masquerade "
			    "comment \"r%zu\"\n", ps, rules[i].oifname, i);
		}
		fprintf(f, "\t}\n}\n");
	}
	if (fclose(f) != 0 || script == NULL) {
		nat_set_errs(err, errlen, "out of memory");
		rc = ERR_NOMEM;
		goto out;
	}
	rc = nat_run(n, script, err, errlen);
out:
	free(script);
	return rc;
}

int
nat_remove(struct nat *n, char *err, size_t errlen)
{
	return nat_apply(n, NULL, 0, err, errlen);
}

/* A decimal u64 token; false if it is not one. */
static bool
nat_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/*
 * One listed rule line, e.g.
 *	ip saddr 10.8.0.0/24 oifname "eth0" counter packets 3 bytes 252 masquerade comment "r0"
 * Tokens are blank separated; the only quoted strings are the interface
 * name and the comment, neither of which can hold a blank.  true with the
 * values when the line is rule `want`.
 */
static bool
nat_rule_line(const char *line, size_t len, size_t want, uint64_t *packets, uint64_t *bytes)
{
	char tag[32];
	const char *tok[64];
	size_t tlen[64];
	size_t nt = 0, i = 0, k;
	bool have_p = false, have_b = false, mine = false;
	uint64_t p = 0, b = 0;

	while (i < len && nt < 64) {
		while (i < len && isspace((unsigned char)line[i]))
			i++;
		if (i == len)
			break;
		tok[nt] = line + i;
		while (i < len && !isspace((unsigned char)line[i]))
			i++;
		tlen[nt] = (size_t)(line + i - tok[nt]);
		nt++;
	}
	snprintf(tag, sizeof(tag), "\"r%zu\"", want);
	for (k = 0; k + 1 < nt; k++) {
		if (tlen[k] == 7 && memcmp(tok[k], "packets", 7) == 0 && !have_p)
			have_p = nat_u64(tok[k + 1], tlen[k + 1], &p);
		else if (tlen[k] == 5 && memcmp(tok[k], "bytes", 5) == 0 && !have_b)
			have_b = nat_u64(tok[k + 1], tlen[k + 1], &b);
		else if (tlen[k] == 7 && memcmp(tok[k], "comment", 7) == 0)
			mine = tlen[k + 1] == strlen(tag) &&
			    memcmp(tok[k + 1], tag, tlen[k + 1]) == 0;
	}
	if (!mine || !have_p || !have_b)
		return false;
	*packets = p;
	*bytes = b;
	return true;
}

int
nat_counters(struct nat *n, size_t i, uint64_t *packets, uint64_t *bytes)
{
	char script[NAT_TABLE_MAX + 48];
	const char *o, *line, *nl;

	snprintf(script, sizeof(script), "list chain ip %s postrouting\n", n->table);
	(void)nft_ctx_get_output_buffer(n->ctx);
	(void)nft_ctx_get_error_buffer(n->ctx);
	if (nft_run_cmd_from_buffer(n->ctx, script) != 0) {
		const char *e = nft_ctx_get_error_buffer(n->ctx);

		/* nft reports a missing table or chain as ENOENT's text. */
		if (e != NULL && strstr(e, "No such file or directory") != NULL)
			return ERR_NOTFOUND;
		errno = EIO;
		return ERR_SYS;
	}
	o = nft_ctx_get_output_buffer(n->ctx);
	for (line = o; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		size_t len;

		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (nat_rule_line(line, len, i, packets, bytes))
			return 0;
	}
	return ERR_NOTFOUND;
}
