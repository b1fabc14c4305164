/*
 * test_awshook.c - the AWS client-connect-handler protocol: the request is
 * valid JSON for python3's json module even with hostile client strings;
 * responses are accepted only when fully valid and every other case is a
 * denial with the AWS failure reason; the client-facing deny text is
 * sanitized; random mutations never crash and never allow by accident.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "awshook.h"
#include "connlog.h"
#include "err.h"
#include "jparse.h"

/* ---- request ---- */

static void
build(const struct awshook_request *r, struct json *j, int want)
{
	json_init_alloc(j, AWSHOOK_REQUEST_MAX);
	assert_int_equal(awshook_request_build(r, j), want);
}

static void
test_request_fields(void **state)
{
	static const char *const groups[] = { "eng", "ops.team", "a_b@c-d" };
	struct awshook_request r;
	struct json j;
	struct jparse_doc doc;
	const struct jparse_value *v;
	const char *text, *s;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.connection_id = "cvpn-connection-0123456789abcdef0";
	r.endpoint_id = "cvpn-endpoint-test";
	r.common_name = "client1";
	r.platform = "linux";
	r.client_openvpn_version = "2.6.14";
	assert_int_equal(addr_parse("192.0.2.7", &r.public_ip), 0);
	r.groups = groups;
	r.n_groups = 3;
	build(&r, &j, 0);
	text = json_data(&j, &len);
	assert_string_equal(text,
	    "{\"connection-id\":\"cvpn-connection-0123456789abcdef0\","
	    "\"endpoint-id\":\"cvpn-endpoint-test\",\"common-name\":\"client1\","
	    "\"username\":\"\",\"platform\":\"linux\",\"platform-version\":\"\","
	    "\"public-ip\":\"192.0.2.7\",\"client-openvpn-version\":\"2.6.14\","
	    "\"groups\":[\"eng\",\"ops.team\",\"a_b@c-d\"],\"schema-version\":\"v3\"}");

	/* and it reads back with our own strict parser */
	assert_int_equal(jparse_parse(text, len, NULL, &doc, NULL), 0);
	assert_int_equal(jparse_len(doc.root), 10);
	v = jparse_obj_get(doc.root, "groups");
	assert_int_equal(jparse_len(v), 3);
	assert_int_equal(jparse_get_str(jparse_arr_get(v, 2), &s, NULL), 0);
	assert_string_equal(s, "a_b@c-d");
	jparse_free(&doc);
	json_free(&j);

	/* IPv6, no groups */
	r.n_groups = 0;
	assert_int_equal(addr_parse("2001:db8::1", &r.public_ip), 0);
	build(&r, &j, 0);
	text = json_data(&j, &len);
	assert_non_null(strstr(text, "\"public-ip\":\"2001:db8::1\""));
	assert_non_null(strstr(text, "\"groups\":[]"));
	json_free(&j);
}

static void
test_request_limits(void **state)
{
	static const char *const bad1[] = { "has space" };
	static const char *const bad2[] = { "" };
	static const char *const bad3[] = { "x,y" };
	static const char *const bad4[] = {
		"0123456789012345678901234567890123456789012345678901234567890123" };
	static const char *const bad5[] = { NULL };
	const char *many[AWSHOOK_GROUPS_MAX + 1];
	struct awshook_request r;
	struct json j;
	char *big;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	big = malloc(AWSHOOK_FIELD_MAX + 2);
	assert_non_null(big);
	memset(big, 'A', AWSHOOK_FIELD_MAX + 1);
	big[AWSHOOK_FIELD_MAX] = '\0';
	r.common_name = big;		/* exactly the limit: fine */
	build(&r, &j, 0);
	json_free(&j);
	big[AWSHOOK_FIELD_MAX] = 'A';
	big[AWSHOOK_FIELD_MAX + 1] = '\0';
	build(&r, &j, ERR_RANGE);	/* one more: refused, not cut */
	json_free(&j);
	r.common_name = "cn";
	r.username = big;
	build(&r, &j, ERR_RANGE);
	json_free(&j);
	r.username = NULL;
	r.client_openvpn_version = big;
	build(&r, &j, ERR_RANGE);
	json_free(&j);
	r.client_openvpn_version = NULL;
	free(big);

	r.n_groups = 1;
	r.groups = bad1;
	build(&r, &j, ERR_INVAL);
	json_free(&j);
	r.groups = bad2;
	build(&r, &j, ERR_INVAL);
	json_free(&j);
	r.groups = bad3;
	build(&r, &j, ERR_INVAL);
	json_free(&j);
	r.groups = bad4;		/* 64 characters */
	build(&r, &j, ERR_INVAL);
	json_free(&j);
	r.groups = bad5;
	build(&r, &j, ERR_INVAL);
	json_free(&j);
	for (i = 0; i <= AWSHOOK_GROUPS_MAX; i++)
		many[i] = "g";
	r.groups = many;
	r.n_groups = AWSHOOK_GROUPS_MAX;
	build(&r, &j, 0);
	json_free(&j);
	r.n_groups = AWSHOOK_GROUPS_MAX + 1;
	build(&r, &j, ERR_INVAL);
	json_free(&j);

	/* the worst case of every client field fits AWSHOOK_REQUEST_MAX */
	big = malloc(AWSHOOK_FIELD_MAX + 1);
	assert_non_null(big);
	memset(big, 0x01, AWSHOOK_FIELD_MAX);	/* each becomes \u0001: 6 bytes */
	big[AWSHOOK_FIELD_MAX] = '\0';
	r.common_name = r.username = r.platform = r.platform_version =
	    r.client_openvpn_version = r.connection_id = r.endpoint_id = big;
	r.n_groups = AWSHOOK_GROUPS_MAX;
	build(&r, &j, 0);
	json_free(&j);
	free(big);
}

/*
 * Hostile client strings: python3's json.loads must accept the document,
 * find exactly the expected keys, and decode the values we expect
 * (ill-formed UTF-8 replaced by U+FFFD).
 */
static void
test_request_python(void **state)
{
	static const char py[] =
	    "import json,sys\n"
	    "t=open(sys.argv[1],'rb').read()\n"
	    "assert b'\\n' not in t\n"
	    "d=json.loads(t.decode('utf-8'))\n"
	    "print(','.join(d.keys()))\n"
	    "for k in ('common-name','username','platform','platform-version',"
	    "'client-openvpn-version'):\n"
	    "    print(d[k].encode('utf-8').hex())\n"
	    "print(json.dumps(d['groups']))\n";
	struct awshook_request r;
	struct json j;
	char path[] = "/tmp/test_awshook_XXXXXX", script[] = "/tmp/test_awshook_py_XXXXXX";
	char cmd[256], line[4096];
	const char *text;
	size_t len;
	FILE *fp;
	int fd;
	static const char *const groups[] = { "eng", "x@y" };
	/* value sent, and what python must decode (hex of UTF-8) */
	static const struct {
		const char *sent;
		const char *want_hex;
	} hostile[] = {
		/* quotes, backslash, newline, CR: "a\"b\\c\nd\re */
		{ "a\"b\\c\nd\re", "6122625c630a640d65" },
		/* invalid UTF-8: lone continuation, truncated sequence, overlong */
		{ "x\x80y\xe2\x82z\xc0\xaf", "78efbfbd79efbfbd7aefbfbdefbfbd" },
		/* U+2028, DEL, tab and a shell-ish string survive as data */
		{ "$(rm -rf /)`id`;\t\x7f\xe2\x80\xa8", "2428726d202d7266202f29606964603b097fe280a8" },
		/* valid non-ASCII and an emoji */
		{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "636166c3a920f09f9880" },
		{ "</script>\x01\x1f", "3c2f7363726970743e011f" },
	};

	(void)state;
	if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
		skip();
	fd = mkstemp(script);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(py, fp);
	fclose(fp);

	memset(&r, 0, sizeof(r));
	r.connection_id = "c-1";
	r.endpoint_id = "ep";
	r.common_name = hostile[0].sent;
	r.username = hostile[1].sent;
	r.platform = hostile[2].sent;
	r.platform_version = hostile[3].sent;
	r.client_openvpn_version = hostile[4].sent;
	r.groups = groups;
	r.n_groups = 2;
	build(&r, &j, 0);
	text = json_data(&j, &len);
	assert_null(memchr(text, '\n', len));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	json_free(&j);

	snprintf(cmd, sizeof(cmd), "python3 %s %s", script, path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "connection-id,endpoint-id,common-name,username,platform,"
	    "platform-version,public-ip,client-openvpn-version,groups,schema-version\n");
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_non_null(fgets(line, sizeof(line), fp));
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, hostile[i].want_hex) != 0)
			fail_msg("field %zu: python decoded %s, want %s", i, line,
			    hostile[i].want_hex);
	}
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "[\"eng\", \"x@y\"]\n");
	assert_int_equal(pclose(fp), 0);
	unlink(path);
	unlink(script);
}

/* ---- response ---- */

static int
parse(const char *s, struct awshook_response *res)
{
	return awshook_response_parse(s, strlen(s), res);
}

static void
assert_invalid(const char *s)
{
	struct awshook_response res;
	int r = parse(s, &res);

	if (r == 0)
		fail_msg("accepted: %s", s);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_INVALID);
	assert_true(res.detail[0] != '\0');
	assert_int_equal(res.n_groups, 0);
	assert_int_equal(res.n_push, 0);
	assert_int_equal(res.n_posture, 0);
	assert_string_equal(res.message, "");
}

static void
test_response_valid(void **state)
{
	struct awshook_response res;

	(void)state;
	assert_int_equal(parse("{\"allow\":true}", &res), 0);
	assert_true(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_ALLOWED);
	assert_null(res.reason);
	assert_string_equal(res.detail, "");

	/* the AWS example shape, with trailing newline from print() */
	assert_int_equal(parse("{\"allow\": false, \"error-msg-on-denied-connection\": "
	    "\"Device not compliant\", \"posture-compliance-statuses\": [\"QUARANTINED\"], "
	    "\"schema-version\": \"v3\"}\n", &res), 0);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_DENIED);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_DENIED);
	assert_string_equal(res.message, "Device not compliant");
	assert_int_equal(res.n_posture, 1);
	assert_string_equal(res.posture[0], "QUARANTINED");
	assert_string_equal(res.schema_version, "v3");

	/* AWS's v1 field name; null for optional fields counts as absent */
	assert_int_equal(parse("{\"allow\":false,\"error-msg-on-failed-posture-compliance\":"
	    "\"old name\",\"posture-compliance-statuses\":[],\"schema-version\":\"v1\"}", &res), 0);
	assert_string_equal(res.message, "old name");
	assert_int_equal(parse("{\"allow\":true,\"error-msg-on-denied-connection\":null,"
	    "\"schema-version\":null,\"posture-compliance-statuses\":null,\"groups\":null,"
	    "\"push\":null}", &res), 0);
	assert_true(res.allow);
	/* both names with the same text is fine */
	assert_int_equal(parse("{\"allow\":false,\"error-msg-on-failed-posture-compliance\":\"m\","
	    "\"error-msg-on-denied-connection\":\"m\"}", &res), 0);
	assert_string_equal(res.message, "m");

	/* unknown keys, however nested, are ignored */
	assert_int_equal(parse("{\"message\":\"x\",\"allow\":true,"
	    "\"extra\":{\"a\":[1,{\"b\":null}]}}", &res), 0);
	assert_true(res.allow);

	/* extensions */
	assert_int_equal(parse("{\"allow\":true,\"groups\":[\"eng\",\"ops.team\",\"eng\",\"a_b@c-d\"],"
	    "\"push\":[\"route 10.1.0.0 255.255.0.0\",\"dhcp-option DNS 10.1.0.2\"]}", &res), 0);
	assert_true(res.allow);
	assert_int_equal(res.n_groups, 3);	/* the repeat collapsed */
	assert_string_equal(res.groups[0], "eng");
	assert_string_equal(res.groups[1], "ops.team");
	assert_string_equal(res.groups[2], "a_b@c-d");
	assert_int_equal(res.n_push, 2);
	assert_string_equal(res.push[1], "dhcp-option DNS 10.1.0.2");

	/* a denial drops the extensions, which only ever widen access */
	assert_int_equal(parse("{\"allow\":false,\"groups\":[\"admin\"],"
	    "\"push\":[\"route 0.0.0.0 0.0.0.0\"]}", &res), 0);
	assert_false(res.allow);
	assert_int_equal(res.n_groups, 0);
	assert_int_equal(res.n_push, 0);
}

static void
test_response_invalid(void **state)
{
	(void)state;
	/* not a response at all */
	assert_invalid("");
	assert_invalid("\n");
	assert_invalid("[]");
	assert_invalid("true");
	assert_invalid("\"allow\"");
	assert_invalid("{}");
	assert_invalid("Traceback (most recent call last):");
	/* allow */
	assert_invalid("{\"allow\":\"true\"}");
	assert_invalid("{\"allow\":1}");
	assert_invalid("{\"allow\":null}");
	assert_invalid("{\"allow\":[true]}");
	assert_invalid("{\"Allow\":true}");
	/* JSON rules */
	assert_invalid("{\"allow\":true} x");
	assert_invalid("{\"allow\":true}{\"allow\":false}");
	assert_invalid("{\"allow\":false,\"allow\":true}");
	assert_invalid("{\"allow\":true,}");
	assert_invalid("{'allow':true}");
	assert_invalid("\xef\xbb\xbf{\"allow\":true}");
	assert_invalid("{\"allow\":true");
	/* messages */
	assert_invalid("{\"allow\":false,\"error-msg-on-denied-connection\":5}");
	assert_invalid("{\"allow\":false,\"error-msg-on-failed-posture-compliance\":[]}");
	assert_invalid("{\"allow\":false,\"error-msg-on-denied-connection\":\"a\\u0000b\"}");
	assert_invalid("{\"allow\":false,\"error-msg-on-failed-posture-compliance\":\"a\","
	    "\"error-msg-on-denied-connection\":\"b\"}");
	/* posture */
	assert_invalid("{\"allow\":true,\"posture-compliance-statuses\":\"compliant\"}");
	assert_invalid("{\"allow\":true,\"posture-compliance-statuses\":[\"\"]}");
	assert_invalid("{\"allow\":true,\"posture-compliance-statuses\":[1]}");
	assert_invalid("{\"allow\":true,\"posture-compliance-statuses\":[\"a\\nb\"]}");
	assert_invalid("{\"allow\":true,\"posture-compliance-statuses\":"
	    "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}");
	/* schema-version */
	assert_invalid("{\"allow\":true,\"schema-version\":\"v4\"}");
	assert_invalid("{\"allow\":true,\"schema-version\":3}");
	assert_invalid("{\"allow\":true,\"schema-version\":\"V3\"}");
	/* groups */
	assert_invalid("{\"allow\":true,\"groups\":\"eng\"}");
	assert_invalid("{\"allow\":true,\"groups\":[\"\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"has space\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"a,b\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"a/b\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"\\u00fc\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[1]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"eng\\u0000x\"]}");
	assert_invalid("{\"allow\":true,\"groups\":"
	    "[\"0123456789012345678901234567890123456789012345678901234567890123\"]}");
	assert_invalid("{\"allow\":true,\"groups\":[\"g1\",\"g2\",\"g3\",\"g4\",\"g5\",\"g6\",\"g7\","
	    "\"g8\",\"g9\",\"g10\",\"g11\",\"g12\",\"g13\",\"g14\",\"g15\",\"g16\",\"g17\"]}");
	/* push */
	assert_invalid("{\"allow\":true,\"push\":\"route 10.0.0.0 255.0.0.0\"}");
	assert_invalid("{\"allow\":true,\"push\":[\"\"]}");
	assert_invalid("{\"allow\":true,\"push\":[\"route 10.0.0.0 255.0.0.0,redirect-gateway\"]}");
	assert_invalid("{\"allow\":true,\"push\":[\"a\\nb\"]}");
	assert_invalid("{\"allow\":true,\"push\":[\"a\\tb\"]}");
	assert_invalid("{\"allow\":true,\"push\":[\"caf\\u00e9\"]}");
	assert_invalid("{\"allow\":true,\"push\":[null]}");
}

static void
test_response_sizes(void **state)
{
	struct awshook_response res;
	static char doc[AWSHOOK_RESPONSE_MAX + 64];
	char *p;
	size_t i, n;

	(void)state;

	/* 255 characters: fine, ASCII or two-byte */
	p = doc + sprintf(doc, "{\"allow\":false,\"error-msg-on-denied-connection\":\"");
	for (i = 0; i < 255; i++)
		*p++ = 'm';
	strcpy(p, "\"}");
	assert_int_equal(parse(doc, &res), 0);
	assert_int_equal(strlen(res.message), 255);
	/* 256: invalid, not cut */
	strcpy(p, "m\"}");
	assert_int_equal(parse(doc, &res), ERR_RANGE);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);

	p = doc + sprintf(doc, "{\"allow\":false,\"error-msg-on-denied-connection\":\"");
	for (i = 0; i < 255; i++)
		p += sprintf(p, "\xf0\x9f\x98\x80");	/* 4 bytes, 1 character */
	strcpy(p, "\"}");
	assert_int_equal(parse(doc, &res), 0);
	assert_int_equal(strlen(res.message), 4 * 255);
	strcpy(p, "\\u00e9\"}");
	assert_int_equal(parse(doc, &res), ERR_RANGE);

	/* a 255-character posture status fits, 256 does not */
	p = doc + sprintf(doc, "{\"allow\":true,\"posture-compliance-statuses\":[\"");
	for (i = 0; i < 255; i++)
		p += sprintf(p, "\\u00e9");
	strcpy(p, "\"]}");
	assert_int_equal(parse(doc, &res), 0);
	assert_int_equal(strlen(res.posture[0]), 2 * 255);
	strcpy(p, "x\"]}");
	assert_invalid(doc);

	/* push: 255 characters fit, 256 do not; 64 options fit, 65 do not */
	p = doc + sprintf(doc, "{\"allow\":true,\"push\":[\"");
	memset(p, 'r', 255);
	strcpy(p + 255, "\"]}");
	assert_int_equal(parse(doc, &res), 0);
	assert_int_equal(strlen(res.push[0]), 255);
	strcpy(p + 255, "r\"]}");
	assert_invalid(doc);
	p = doc + sprintf(doc, "{\"allow\":true,\"push\":[");
	for (i = 0; i < 64; i++)
		p += sprintf(p, "%s\"ping %zu\"", i > 0 ? "," : "", i);
	strcpy(p, "]}");
	assert_int_equal(parse(doc, &res), 0);
	assert_int_equal(res.n_push, 64);
	strcpy(p, ",\"ping 64\"]}");
	assert_invalid(doc);

	/* huge response: valid JSON padded past AWSHOOK_RESPONSE_MAX */
	n = sprintf(doc, "{\"allow\":true");
	memset(doc + n, ' ', AWSHOOK_RESPONSE_MAX - n - 1);
	strcpy(doc + AWSHOOK_RESPONSE_MAX - 1, "}");
	assert_int_equal(strlen(doc), AWSHOOK_RESPONSE_MAX);
	assert_int_equal(parse(doc, &res), 0);	/* exactly the limit */
	assert_true(res.allow);
	strcpy(doc + AWSHOOK_RESPONSE_MAX - 1, " }");
	assert_int_equal(parse(doc, &res), ERR_RANGE);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);
}

/* ---- decide ---- */

static void
test_decide(void **state)
{
	struct hook_result hr;
	struct awshook_response res;
	static const char ok[] = "{\"allow\":true,\"groups\":[\"eng\"]}\n";
	static const char no[] = "{\"allow\":false,\"error-msg-on-denied-connection\":\"no\"}";

	(void)state;
	memset(&hr, 0, sizeof(hr));
	hr.status = HOOK_ALLOW;
	hr.out = ok;
	hr.out_len = strlen(ok);
	awshook_decide(&hr, &res);
	assert_true(res.allow);
	assert_int_equal(res.n_groups, 1);

	hr.out = no;
	hr.out_len = strlen(no);
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_DENIED);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_DENIED);

	hr.out = NULL;
	hr.out_len = 0;
	awshook_decide(&hr, &res);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);

	/* output over the capture limit: even a valid-looking prefix is invalid */
	hr.out = ok;
	hr.out_len = strlen(ok);
	hr.out_truncated = true;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_INVALID);
	hr.status = HOOK_DENY;
	awshook_decide(&hr, &res);
	assert_int_equal(res.outcome, AWSHOOK_INVALID);
	hr.out_truncated = false;

	/* exit 1 with an allowing response is still an execution error */
	hr.status = HOOK_DENY;
	hr.exit_code = 1;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_EXEC_ERROR);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_ERROR);
	assert_string_equal(res.detail, "handler exited with status 1");
	hr.exit_code = -1;
	hr.signo = 9;
	awshook_decide(&hr, &res);
	assert_string_equal(res.detail, "handler killed by signal 9");

	hr.status = HOOK_TIMEOUT;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_TIMEOUT);
	assert_string_equal(res.reason, CONNLOG_REASON_HOOK_TIMEOUT);

	hr.status = HOOK_ERROR;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_EXEC_ERROR);

	hr.status = HOOK_DEFERRED;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_EXEC_ERROR);

	hr.status = (enum hook_status)99;
	awshook_decide(&hr, &res);
	assert_false(res.allow);
	assert_int_equal(res.outcome, AWSHOOK_EXEC_ERROR);
}

/* ---- client reason ---- */

static const char *
reason_for(const char *response, char *out, size_t cap)
{
	struct awshook_response res;

	(void)awshook_response_parse(response, strlen(response), &res);
	awshook_client_reason(&res, out, cap);
	return out;
}

static void
test_client_reason(void **state)
{
	char out[AWSHOOK_REASON_MAX], doc[2048], *p;
	struct awshook_response res;
	size_t i, n;

	(void)state;
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"Update your OS, see https://x.example/a?b=1,2\"}", out, sizeof(out)),
	    "Update your OS, see https://x.example/a?b=1,2");
	/* controls, non-ASCII (one '_' per character), DEL */
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"Bad\\ndevice\\r\\t\\u0001 caf\\u00e9 \\ud83d\\ude00\\u007f!\"}", out, sizeof(out)),
	    "Bad device  _ caf_ __!");
	/* words the client acts on are defused */
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"TEMP[backoff 1]: retry\"}", out, sizeof(out)), "Denied: TEMP[backoff 1]: retry");
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"session: expired\"}", out, sizeof(out)), "Denied: session: expired");
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"CRV1:R,E:abc:dXNlcg==:Enter PIN\"}", out, sizeof(out)),
	    "Denied: CRV1:R,E:abc:dXNlcg==:Enter PIN");
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":"
	    "\"Not TEMP\"}", out, sizeof(out)), "Not TEMP");
	/* no message: bare AUTH_FAILED */
	assert_string_equal(reason_for("{\"allow\":false}", out, sizeof(out)), "");
	assert_string_equal(reason_for("{\"allow\":false,\"error-msg-on-denied-connection\":\"\"}",
	    out, sizeof(out)), "");
	/* allowed: nothing */
	assert_string_equal(reason_for("{\"allow\":true,\"error-msg-on-denied-connection\":\"x\"}",
	    out, sizeof(out)), "");
	/* invalid: AWS's default text, never the handler's */
	assert_string_equal(reason_for("{\"allow\":\"false\",\"error-msg-on-denied-connection\":"
	    "\"secret internals\"}", out, sizeof(out)), AWSHOOK_DEFAULT_CLIENT_MSG);
	memset(&res, 0, sizeof(res));
	res.outcome = AWSHOOK_TIMEOUT;
	assert_int_equal(awshook_client_reason(&res, out, sizeof(out)),
	    strlen(AWSHOOK_DEFAULT_CLIENT_MSG));

	/* the longest message with the prefix fits AWSHOOK_REASON_MAX exactly */
	p = doc + sprintf(doc, "{\"allow\":false,\"error-msg-on-denied-connection\":\"TEMP");
	for (i = 0; i < 251; i++)
		p += sprintf(p, "\\u00e9");
	strcpy(p, "\"}");
	reason_for(doc, out, sizeof(out));
	assert_int_equal(strlen(out), 8 + 255);
	assert_int_equal(strncmp(out, "Denied: TEMP____", 16), 0);
	/* a short buffer truncates and still terminates */
	assert_int_equal(parse(doc, &res), 0);
	n = awshook_client_reason(&res, out, 10);
	assert_int_equal(n, 9);
	assert_string_equal(out, "Denied: T");
	assert_int_equal(awshook_client_reason(&res, out, 0), 0);
	/* only printable ASCII comes out */
	for (i = 0; out[i] != '\0'; i++)
		assert_true(out[i] >= 0x20 && out[i] <= 0x7e);
}

/* ---- mutation loop ---- */

static uint32_t
xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void
test_fuzz(void **state)
{
	static const char base[] =
	    "{\"allow\": false, \"error-msg-on-denied-connection\": \"No \\u00e9 \\\"x\\\"\", "
	    "\"posture-compliance-statuses\": [\"q\"], \"schema-version\": \"v3\", "
	    "\"groups\": [\"eng\", \"ops\"], \"push\": [\"route 10.0.0.0 255.0.0.0\"]}";
	struct awshook_response res;
	char out[AWSHOOK_REASON_MAX];
	uint8_t buf[512], *copy;
	uint32_t seed = 0xdecafbad;
	size_t len, pos, i;
	unsigned it, k, allowed = 0, denied = 0, invalid = 0;
	int r;

	(void)state;
	for (it = 0; it < 20000; it++) {
		len = sizeof(base) - 1;
		memcpy(buf, base, len);
		for (k = 1 + xorshift(&seed) % 3; k > 0; k--) {
			pos = xorshift(&seed) % len;
			switch (xorshift(&seed) % 4) {
			case 0:
				buf[pos] = (uint8_t)xorshift(&seed);
				break;
			case 1:
				len = pos;
				break;
			case 2:		/* make allow true sometimes */
				if (memcmp(buf, "{\"allow\": false", 15) == 0) {
					memcpy(buf + 10, "true ", 5);
				}
				break;
			default:
				buf[pos] ^= (uint8_t)(1u << (xorshift(&seed) % 8));
				break;
			}
			if (len == 0)
				break;
		}
		copy = malloc(len > 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		r = awshook_response_parse(copy, len, &res);
		free(copy);
		/* the invariants of fail-closed */
		if (res.allow) {
			allowed++;
			assert_int_equal(r, 0);
			assert_int_equal(res.outcome, AWSHOOK_ALLOWED);
			assert_null(res.reason);
		} else {
			assert_non_null(res.reason);
			assert_int_equal(res.n_groups, 0);
			assert_int_equal(res.n_push, 0);
			if (r == 0) {
				denied++;
				assert_int_equal(res.outcome, AWSHOOK_DENIED);
			} else {
				invalid++;
				assert_int_equal(res.outcome, AWSHOOK_INVALID);
			}
		}
		for (i = 0; i < res.n_groups; i++)
			assert_true(strlen(res.groups[i]) >= 1 && strlen(res.groups[i]) <= 63);
		for (i = 0; i < res.n_push; i++)
			assert_null(strchr(res.push[i], ','));
		awshook_client_reason(&res, out, sizeof(out));
		for (i = 0; out[i] != '\0'; i++)
			assert_true(out[i] >= 0x20 && out[i] <= 0x7e);
	}
	assert_true(allowed > 50);
	assert_true(denied > 50);
	assert_true(invalid > 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_fields),
		cmocka_unit_test(test_request_limits),
		cmocka_unit_test(test_request_python),
		cmocka_unit_test(test_response_valid),
		cmocka_unit_test(test_response_invalid),
		cmocka_unit_test(test_response_sizes),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_client_reason),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
