/*
 * awshook.c - AWS Client VPN client-connect-handler request and response
 * (connection-authorization.html, "Lambda interface"; semantics in
 * awshook.h).
 *
 * Design: the request goes out through json.h, which escapes every string
 * and replaces ill-formed UTF-8, so client strings (CN, username, IV_*)
 * reach the handler as data (P14).  The response comes in through jparse.h
 * (strict JSON, duplicate keys refused, bounded) and is then checked field
 * by field into fixed-size buffers, so nothing in struct awshook_response
 * points into parser memory.
 *
 * Invariants:
 *  - res->allow is set true in exactly one place, after every field has
 *    been validated; every other path leaves it false (fail closed).
 *  - An invalid response keeps nothing but outcome, reason and detail.
 *  - Character counts follow AWS ("255 characters"): code points, which is
 *    safe to count by skipping UTF-8 continuation bytes because jparse has
 *    already refused ill-formed UTF-8.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "awshook.h"
#include "connlog.h"
#include "err.h"
#include "jparse.h"

/* ---- request ---- */

static bool
group_name_ok(const char *s, size_t n)
{
	size_t i;
	char c;

	if (n == 0 || n >= AWSHOOK_GROUP_MAX)
		return false;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* A client-controlled string: length-checked, never cut. */
static int
kv_client(struct json *j, const char *key, const char *v)
{
	if (v == NULL)
		v = "";
	if (strlen(v) > AWSHOOK_FIELD_MAX)
		return ERR_RANGE;
	return json_kv_str(j, key, v);
}

int
awshook_request_build(const struct awshook_request *r, struct json *j)
{
	char ip[ADDR_STR_MAX] = "";
	size_t i;
	int e;

	if (r->n_groups > AWSHOOK_GROUPS_MAX || (r->n_groups > 0 && r->groups == NULL))
		return ERR_INVAL;
	for (i = 0; i < r->n_groups; i++)
		if (r->groups[i] == NULL || !group_name_ok(r->groups[i], strlen(r->groups[i])))
			return ERR_INVAL;
	if (r->public_ip.family != 0 && addr_format(&r->public_ip, ip, sizeof(ip)) != 0)
		return ERR_INVAL;

	json_obj_begin(j);
	json_kv_str(j, "connection-id", r->connection_id != NULL ? r->connection_id : "");
	json_kv_str(j, "endpoint-id", r->endpoint_id != NULL ? r->endpoint_id : "");
	if ((e = kv_client(j, "common-name", r->common_name)) != 0 ||
	    (e = kv_client(j, "username", r->username)) != 0 ||
	    (e = kv_client(j, "platform", r->platform)) != 0 ||
	    (e = kv_client(j, "platform-version", r->platform_version)) != 0)
		return e;
	json_kv_str(j, "public-ip", ip);
	if ((e = kv_client(j, "client-openvpn-version", r->client_openvpn_version)) != 0)
		return e;
	json_key(j, "groups");
	json_arr_begin(j);
	for (i = 0; i < r->n_groups; i++)
		json_str(j, r->groups[i]);
	json_arr_end(j);
	json_kv_str(j, "schema-version", AWSHOOK_SCHEMA_VERSION);
	json_obj_end(j);
	return json_finish(j);
}

/* ---- response ---- */

static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

static bool
has_controls(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* Mark res invalid, keeping nothing the handler sent. */
static int invalid(struct awshook_response *res, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
invalid(struct awshook_response *res, int code, const char *fmt, ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->allow = false;
	res->outcome = AWSHOOK_INVALID;
	res->reason = CONNLOG_REASON_HOOK_INVALID;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return code;
}

/* An optional member: NULL if absent or null. */
static const struct jparse_value *
optional(const struct jparse_value *obj, const char *key)
{
	const struct jparse_value *v = jparse_obj_get(obj, key);

	return jparse_is(v, JPARSE_NULL) ? NULL : v;
}

/* The deny message from either spelling; *msg NULL if none. */
static int
get_message(const struct jparse_value *root, const char **msg, size_t *len,
    struct awshook_response *res)
{
	static const char k_new[] = "error-msg-on-denied-connection";
	static const char k_old[] = "error-msg-on-failed-posture-compliance";
	const struct jparse_value *a = optional(root, k_new), *b = optional(root, k_old);
	const char *sa = NULL, *sb = NULL;
	size_t la = 0, lb = 0;

	if (a != NULL && jparse_get_str(a, &sa, &la) != 0)
		return invalid(res, ERR_MALFORMED, "\"%s\" is not a string", k_new);
	if (b != NULL && jparse_get_str(b, &sb, &lb) != 0)
		return invalid(res, ERR_MALFORMED, "\"%s\" is not a string", k_old);
	if (sa != NULL && sb != NULL && (la != lb || memcmp(sa, sb, la) != 0))
		return invalid(res, ERR_MALFORMED, "%s", "two different deny messages");
	*msg = sa != NULL ? sa : sb;
	*len = sa != NULL ? la : lb;
	if (*msg != NULL && utf8_chars(*msg, *len) > AWSHOOK_MSG_CHARS)
		return invalid(res, ERR_RANGE, "%s", "deny message longer than 255 characters");
	return 0;
}

static int
get_posture(const struct jparse_value *root, struct awshook_response *res)
{
	static const char key[] = "posture-compliance-statuses";
	const struct jparse_value *arr = optional(root, key), *e;
	const char *s;
	size_t n;

	if (arr == NULL)
		return 0;
	if (!jparse_is(arr, JPARSE_ARRAY))
		return invalid(res, ERR_MALFORMED, "\"%s\" is not an array", key);
	if (jparse_len(arr) > AWSHOOK_POSTURE_MAX)
		return invalid(res, ERR_RANGE, "more than 10 %s", key);
	for (e = jparse_first(arr); e != NULL; e = jparse_next(e)) {
		if (jparse_get_str(e, &s, &n) != 0 || n == 0 || has_controls(s, n) ||
		    utf8_chars(s, n) > AWSHOOK_POSTURE_CHARS)
			return invalid(res, ERR_MALFORMED, "bad entry in \"%s\"", key);
		memcpy(res->posture[res->n_posture++], s, n + 1);
	}
	return 0;
}

static int
get_schema(const struct jparse_value *root, struct awshook_response *res)
{
	const struct jparse_value *v = optional(root, "schema-version");
	const char *s;
	size_t n;

	if (v == NULL)
		return 0;
	if (jparse_get_str(v, &s, &n) != 0 ||
	    (strcmp(s, "v1") != 0 && strcmp(s, "v2") != 0 && strcmp(s, "v3") != 0))
		return invalid(res, ERR_MALFORMED, "%s",
		    "\"schema-version\" is not \"v1\", \"v2\" or \"v3\"");
	memcpy(res->schema_version, s, n + 1);
	return 0;
}

static int
get_groups(const struct jparse_value *root, struct awshook_response *res)
{
	const struct jparse_value *arr = optional(root, "groups"), *e;
	const char *s;
	size_t n;
	unsigned i;

	if (arr == NULL)
		return 0;
	if (!jparse_is(arr, JPARSE_ARRAY))
		return invalid(res, ERR_MALFORMED, "\"%s\" is not an array", "groups");
	for (e = jparse_first(arr); e != NULL; e = jparse_next(e)) {
		if (jparse_get_str(e, &s, &n) != 0 || !group_name_ok(s, n))
			return invalid(res, ERR_MALFORMED, "%s",
			    "bad group name (letters, digits, ._@- up to 63)");
		for (i = 0; i < res->n_groups; i++)
			if (strcmp(res->groups[i], s) == 0)
				break;
		if (i < res->n_groups)
			continue;
		if (res->n_groups >= AWSHOOK_GROUPS_MAX)
			return invalid(res, ERR_RANGE, "%s", "more than 16 groups");
		memcpy(res->groups[res->n_groups++], s, n + 1);
	}
	return 0;
}

static bool
push_option_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > AWSHOOK_PUSH_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == ',')
			return false;
	return true;
}

static int
get_push(const struct jparse_value *root, struct awshook_response *res)
{
	const struct jparse_value *arr = optional(root, "push"), *e;
	const char *s;
	size_t n;

	if (arr == NULL)
		return 0;
	if (!jparse_is(arr, JPARSE_ARRAY))
		return invalid(res, ERR_MALFORMED, "\"%s\" is not an array", "push");
	if (jparse_len(arr) > AWSHOOK_PUSH_MAX)
		return invalid(res, ERR_RANGE, "%s", "more than 64 push options");
	for (e = jparse_first(arr); e != NULL; e = jparse_next(e)) {
		if (jparse_get_str(e, &s, &n) != 0 || !push_option_ok(s, n))
			return invalid(res, ERR_MALFORMED, "%s",
			    "bad push option (1-255 printable ASCII, no commas)");
		memcpy(res->push[res->n_push++], s, n + 1);
	}
	return 0;
}

int
awshook_response_parse(const void *text, size_t len, struct awshook_response *res)
{
	struct jparse_limits lim;
	struct jparse_doc doc;
	struct jparse_error jerr;
	const struct jparse_value *root, *v;
	const char *msg = NULL;
	size_t msg_len = 0;
	bool allow;
	int r;

	memset(res, 0, sizeof(*res));
	jparse_limits_default(&lim);
	lim.max_len = AWSHOOK_RESPONSE_MAX;
	if ((r = jparse_parse(text, len, &lim, &doc, &jerr)) != 0) {
		r = invalid(res, r == ERR_RANGE ? ERR_RANGE : ERR_MALFORMED, "%s", "");
		snprintf(res->detail, sizeof(res->detail), "not valid JSON: %s at %u:%u",
		    jerr.reason, jerr.line, jerr.col);
		return r;
	}
	root = doc.root;
	if (!jparse_is(root, JPARSE_OBJECT)) {
		r = invalid(res, ERR_MALFORMED, "%s", "response is not a JSON object");
		goto out;
	}
	v = jparse_obj_get(root, "allow");
	if (v == NULL) {
		r = invalid(res, ERR_MALFORMED, "%s", "\"allow\" is missing");
		goto out;
	}
	if (jparse_get_bool(v, &allow) != 0) {
		r = invalid(res, ERR_MALFORMED, "%s", "\"allow\" is not a JSON boolean");
		goto out;
	}
	if ((r = get_message(root, &msg, &msg_len, res)) != 0 ||
	    (r = get_posture(root, res)) != 0 ||
	    (r = get_schema(root, res)) != 0 ||
	    (r = get_groups(root, res)) != 0 ||
	    (r = get_push(root, res)) != 0)
		goto out;

	if (!allow) {
		/* The extensions only ever widen access: drop them on a denial. */
		memset(res->groups, 0, sizeof(res->groups));
		res->n_groups = 0;
		memset(res->push, 0, sizeof(res->push));
		res->n_push = 0;
		if (msg != NULL)
			memcpy(res->message, msg, msg_len + 1);
		res->outcome = AWSHOOK_DENIED;
		res->reason = CONNLOG_REASON_HOOK_DENIED;
		snprintf(res->detail, sizeof(res->detail), "%s", "denied by the handler");
		r = 0;
		goto out;
	}
	res->outcome = AWSHOOK_ALLOWED;
	res->reason = NULL;
	res->allow = true;
	r = 0;
out:
	jparse_free(&doc);
	return r;
}

void
awshook_decide(const struct hook_result *hr, struct awshook_response *res)
{
	memset(res, 0, sizeof(*res));
	res->allow = false;
	res->outcome = AWSHOOK_EXEC_ERROR;
	res->reason = CONNLOG_REASON_HOOK_ERROR;

	switch (hr->status) {
	case HOOK_TIMEOUT:
		res->outcome = AWSHOOK_TIMEOUT;
		res->reason = CONNLOG_REASON_HOOK_TIMEOUT;
		snprintf(res->detail, sizeof(res->detail), "%s", "handler timed out");
		return;
	case HOOK_ERROR:
		snprintf(res->detail, sizeof(res->detail), "%s", "handler could not be run");
		return;
	case HOOK_DEFERRED:
		snprintf(res->detail, sizeof(res->detail), "%s",
		    "handler asked to defer, which a connect handler cannot");
		return;
	case HOOK_DENY:
		if (hr->out_truncated) {
			invalid(res, 0, "%s", "response longer than the capture limit");
		} else if (hr->signo != 0) {
			snprintf(res->detail, sizeof(res->detail), "handler killed by signal %d",
			    hr->signo);
		} else {
			snprintf(res->detail, sizeof(res->detail), "handler exited with status %d",
			    hr->exit_code);
		}
		return;
	case HOOK_ALLOW:
		if (hr->out_truncated)
			invalid(res, 0, "%s", "response longer than the capture limit");
		else if (hr->out == NULL)
			invalid(res, 0, "%s", "no response captured");
		else
			(void)awshook_response_parse(hr->out, hr->out_len, res);
		return;
	}
	snprintf(res->detail, sizeof(res->detail), "%s", "unknown hook status");
}

/* Words at the start of an AUTH_FAILED reason that change what a client does. */
static bool
reserved_prefix(const char *s)
{
	static const char *const words[] = { "TEMP", "SESSION", "CRV1" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncasecmp(s, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

size_t
awshook_client_reason(const struct awshook_response *res, char *out, size_t cap)
{
	char clean[AWSHOOK_MSG_CHARS + 1];
	size_t i, n = 0, len = strnlen(res->message, sizeof(res->message));
	unsigned char c;
	const char *src;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	switch (res->outcome) {
	case AWSHOOK_ALLOWED:
		return 0;
	case AWSHOOK_DENIED:
		break;
	default:
		snprintf(out, cap, "%s", AWSHOOK_DEFAULT_CLIENT_MSG);
		return strlen(out);
	}
	/* One output byte per character: the message has at most 255. */
	for (i = 0; i < len && n < sizeof(clean) - 1; i++) {
		c = (unsigned char)res->message[i];
		if ((c & 0xc0) == 0x80)
			continue;		/* continuation of a replaced character */
		if (c >= 0x20 && c <= 0x7e)
			clean[n++] = (char)c;
		else if (c == '\t' || c == '\n' || c == '\r')
			clean[n++] = ' ';
		else
			clean[n++] = '_';
	}
	clean[n] = '\0';
	src = clean;
	if (n == 0)
		return 0;
	if (reserved_prefix(src))
		n = (size_t)snprintf(out, cap, "Denied: %s", src);
	else
		n = (size_t)snprintf(out, cap, "%s", src);
	return n < cap ? n : cap - 1;
}
