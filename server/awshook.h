/*
 * awshook.h - the AWS Client VPN "client connect handler" protocol, spoken
 * with a local program (run by hook.h) instead of a Lambda function, so
 * handlers written for AWS work unchanged.
 * (docs.aws.amazon.com/vpn/latest/clientvpn-admin/connection-authorization.html,
 * "Lambda interface".)
 *
 * Request (what the handler reads, one JSON object on one line), keys in
 * AWS's order, every value a JSON string:
 *   connection-id, endpoint-id, common-name, username (empty without
 *   username/password auth), platform (IV_PLAT), platform-version
 *   (IV_PLAT_VER), public-ip, client-openvpn-version (IV_VER),
 *   groups, schema-version ("v3").
 * "groups" is ours: a JSON array of the client's group names (config and
 * client-config-dir `group` lines).  Note for handler authors: AWS's own
 * schema v3 also mentions a field of this name (directory/SAML groups);
 * handlers ported from AWS should not depend on its type.
 *
 * Response (the handler's stdout, one JSON object; jparse.h rules: strict
 * RFC 8259, duplicate keys refused, nothing after the object):
 *   allow                         required, a JSON boolean (not "true", not 1)
 *   error-msg-on-denied-connection  optional string, at most 255 characters
 *                                 (AWS's cap; longer is invalid, not cut);
 *                                 AWS's v1 name
 *                                 error-msg-on-failed-posture-compliance is
 *                                 read too; both present and different is
 *                                 invalid
 *   posture-compliance-statuses   optional array of at most 10 strings of
 *                                 1..255 characters, no control characters
 *   schema-version                optional, "v1", "v2" or "v3"
 * and two extensions of ours, applied only when allow is true:
 *   groups  array of at most AWSHOOK_GROUPS_MAX names matching
 *           [A-Za-z0-9._@-]{1,63} (the ccd `group` syntax), added to the
 *           client's groups; repeats collapse
 *   push    array of at most AWSHOOK_PUSH_MAX push options, each 1..255
 *           printable ASCII characters without commas (the ccd `push`
 *           rules; a comma would split the option inside PUSH_REPLY)
 * AWS marks all four of its fields required; only allow is required here,
 * since a response without the others is not ambiguous.  JSON null counts
 * as absent for the optional fields.  Unknown keys are ignored (forward
 * compatibility), but must still be valid JSON.
 *
 * Fail closed: anything but a valid response with "allow": true, from a
 * handler that exited 0 within its time, is a denial, classified with the
 * AWS connection-log failure reasons (connlog.h CONNLOG_REASON_HOOK_*).
 * Pure module: no I/O, no clock, no globals.
 */
#ifndef OVPN_AWSHOOK_H
#define OVPN_AWSHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "hook.h"
#include "json.h"

enum {
	AWSHOOK_FIELD_MAX = 4096,		/* client-supplied request string, bytes */
	AWSHOOK_REQUEST_MAX = 256 * 1024,	/* any valid request fits (json_init_alloc max) */
	AWSHOOK_RESPONSE_MAX = 64 * 1024,	/* longer output is invalid (= HOOK_OUT_MAX) */
	AWSHOOK_MSG_CHARS = 255,		/* AWS: deny message, characters */
	AWSHOOK_POSTURE_MAX = 10,		/* AWS: statuses */
	AWSHOOK_POSTURE_CHARS = 255,		/* AWS: characters per status */
	AWSHOOK_GROUPS_MAX = 16,		/* = CCD_MAX_GROUPS */
	AWSHOOK_GROUP_MAX = 64,			/* name bytes + NUL (= CCD_GROUP_MAX) */
	AWSHOOK_PUSH_MAX = 64,			/* = CCD_MAX_PUSH */
	AWSHOOK_PUSH_LEN = 255,			/* = PUSH_OPTION_MAX */
	AWSHOOK_DETAIL_MAX = 128,		/* = CONNLOG_FIELD_MAX */
	/* UTF-8 buffers: 4 bytes per character, plus NUL */
	AWSHOOK_MSG_BYTES = 4 * AWSHOOK_MSG_CHARS + 1,
	AWSHOOK_POSTURE_BYTES = 4 * AWSHOOK_POSTURE_CHARS + 1,
	/* awshook_client_reason(): sanitized message, "Denied: " prefix, NUL */
	AWSHOOK_REASON_MAX = AWSHOOK_MSG_CHARS + 9,
};

#define AWSHOOK_SCHEMA_VERSION "v3"
/* What AWS tells clients when the handler fails (its documented text). */
#define AWSHOOK_DEFAULT_CLIENT_MSG \
	"Error establishing connection. Please contact your administrator."

/* ---- request ---- */

/*
 * Plain data; pointers are borrowed for the call, NULL is written as "".
 * common_name, username, platform, platform_version and
 * client_openvpn_version are client-controlled: they are JSON-escaped
 * (ill-formed UTF-8 becomes U+FFFD, control characters \u-escaped), never
 * cut.  groups are ours and must already be valid group names.
 */
struct awshook_request {
	const char *connection_id;
	const char *endpoint_id;
	const char *common_name;
	const char *username;
	const char *platform;
	const char *platform_version;
	const char *client_openvpn_version;
	struct addr public_ip;			/* family 0: "" */
	const char *const *groups;
	size_t n_groups;
};

/*
 * Write the request document into j (freshly initialised; use
 * json_init_alloc(j, AWSHOOK_REQUEST_MAX)) and json_finish() it: the text is
 * json_data(j), one line without a newline; send it followed by "\n".
 * Returns 0; ERR_RANGE if a client string is longer than AWSHOOK_FIELD_MAX
 * (deny the client: never truncate identity); ERR_INVAL for an invalid
 * group name or more than AWSHOOK_GROUPS_MAX groups; or the json error
 * (ERR_OVERFLOW, ERR_NOMEM).
 */
int awshook_request_build(const struct awshook_request *r, struct json *j);

/* ---- response ---- */

enum awshook_outcome {
	AWSHOOK_ALLOWED = 0,
	AWSHOOK_DENIED,		/* "allow": false   -> client-connect-failed */
	AWSHOOK_INVALID,	/* bad response     -> client-connect-handler-invalid-response */
	AWSHOOK_TIMEOUT,	/* killed at deadline -> client-connect-handler-timed-out */
	AWSHOOK_EXEC_ERROR,	/* no exec, exit != 0, signal
				 *  -> client-connect-handler-other-execution-error */
};

struct awshook_response {
	bool allow;			/* true only with AWSHOOK_ALLOWED */
	enum awshook_outcome outcome;
	const char *reason;		/* CONNLOG_REASON_HOOK_*; NULL when allowed */
	char detail[AWSHOOK_DETAIL_MAX];	/* ours, for logs: why it failed, "" if allowed */
	/* The handler's message as sent (UTF-8, may hold controls); "" if none.
	 * Only for logs: clients get awshook_client_reason(). Kept for DENIED. */
	char message[AWSHOOK_MSG_BYTES];
	char schema_version[8];		/* "" if absent */
	char posture[AWSHOOK_POSTURE_MAX][AWSHOOK_POSTURE_BYTES];
	unsigned n_posture;
	/* Extensions; filled only when allowed. */
	char groups[AWSHOOK_GROUPS_MAX][AWSHOOK_GROUP_MAX];
	unsigned n_groups;
	char push[AWSHOOK_PUSH_MAX][AWSHOOK_PUSH_LEN + 1];
	unsigned n_push;
};

/*
 * Validate the handler's stdout, text[0..len), and fill res.  Returns 0 for
 * a valid response (res->outcome ALLOWED or DENIED), or ERR_MALFORMED /
 * ERR_RANGE for an invalid one (outcome INVALID, reason and detail set,
 * allow false, nothing else kept).  res is always fully written.
 */
int awshook_response_parse(const void *text, size_t len, struct awshook_response *res);

/*
 * The whole verdict from a finished hook (hook_poll() returned 0, with
 * capture_max >= AWSHOOK_RESPONSE_MAX recommended):
 *   HOOK_TIMEOUT -> TIMEOUT; HOOK_ERROR, exit != 0, signal, deferral ->
 *   EXEC_ERROR; output over the capture limit -> INVALID; exit 0 -> the
 *   response as awshook_response_parse() judges it.
 */
void awshook_decide(const struct hook_result *hr, struct awshook_response *res);

/*
 * The text for AUTH_FAILED,<text>, in out (always NUL-terminated when
 * cap > 0; AWSHOOK_REASON_MAX is enough).  Returns its length; 0 means send
 * a bare AUTH_FAILED.
 *  - ALLOWED: "".  DENIED: the handler's message, sanitized ("" if none).
 *    INVALID/TIMEOUT/EXEC_ERROR: AWSHOOK_DEFAULT_CLIENT_MSG (details stay
 *    in the server log).
 *  - Sanitizing (P14): each character outside printable ASCII becomes one
 *    '_' (tab, CR, LF become ' '), so the text is one line of ASCII.  Commas
 *    are kept: 2.6 sends and reads the reason as the rest of the message.
 *    A text starting with a word the client acts on ("TEMP", "SESSION",
 *    "CRV1", any case) gets "Denied: " in front, so a handler cannot turn a
 *    denial into a retry, a token reset or a challenge.
 */
size_t awshook_client_reason(const struct awshook_response *res, char *out, size_t cap);

#endif
