/*
 * test_authtoken.c - auth-gen-token: known answer against an independent
 * computation, round trips, freshness rules, and hostile tokens (wrong
 * user, wrong key, every single-bit flip, truncation, oversize, garbage).
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

#include "authtoken.h"
#include "err.h"

/*
 * Key file written by the real `openvpn --genkey auth-token` (OpenVPN
 * 2.6.14).  KAT_TOKEN was computed independently in python3 (hmac,
 * hashlib, base64) following OpenVPN's documented layout: HMAC key =
 * decoded bytes 64..95; data = sid(01..0c) || be64(1700000000) ||
 * be64(1700003600); mac = HMAC-SHA256(key, "alice" || data).
 */
static const char KAT_PEM[] =
	"-----BEGIN OpenVPN auth-token server key-----\n"
	"cxnb5697iwuQhYamcIvE7nOzmXOL/nU9GBLalU8maVa4lufxrpGVMbiDmVMvuH15\n"
	"rHWqSJ5F+WB8AbxQVBRoJmyq93M3ny3VZ29nEv5MfZNah0jqXTjXtZnulB/NJXOF\n"
	"CC2CADi0uSInT6ZvA7ES5GtnqHcO5Mbpry/8/Rw7XXU=\n"
	"-----END OpenVPN auth-token server key-----\n";
static const char KAT_TOKEN[] =
	"SESS_ID_AT_AQIDBAUGBwgJCgsMAAAAAGVT8QAAAAAAZVP/EH7yMVw6Kg6J3W7LWfKg2RWy5G0lc/sApOHFS3Lxg+og";
#define KAT_INITIAL UINT64_C(1700000000)
#define KAT_ISSUED UINT64_C(1700003600)

static const struct authtoken_policy POL = { .lifetime = 86400, .renewal = 3600 };

static void
kat_key(struct authtoken_key *k)
{
	assert_int_equal(authtoken_key_from_pem(k, KAT_PEM, strlen(KAT_PEM)), 0);
}

static void
kat_info(struct authtoken_info *i)
{
	for (size_t n = 0; n < AUTHTOKEN_SESSID_LEN; n++)
		i->session_id[n] = (uint8_t)(n + 1);
	i->initial = KAT_INITIAL;
	i->issued = KAT_ISSUED;
}

static void
test_known_answer(void **state)
{
	struct authtoken_key k;
	struct authtoken_info i, got;
	char tok[AUTHTOKEN_BUFSZ], sid[AUTHTOKEN_SESSID_STRSZ];

	kat_key(&k);
	kat_info(&i);
	assert_int_equal(authtoken_make(&k, "alice", &i, tok, sizeof(tok)), 0);
	assert_string_equal(tok, KAT_TOKEN);
	assert_int_equal(strlen(tok), AUTHTOKEN_LEN);
	assert_true(authtoken_is_token(tok));

	memset(&got, 0, sizeof(got));
	assert_int_equal(authtoken_check(&k, KAT_TOKEN, "alice", KAT_ISSUED + 10, &POL, &got), 0);
	assert_memory_equal(got.session_id, i.session_id, AUTHTOKEN_SESSID_LEN);
	assert_true(got.initial == KAT_INITIAL);
	assert_true(got.issued == KAT_ISSUED);
	assert_true(authtoken_session_eq(&got, &i));

	/* session_id env value: 16 base64 chars, as python computed */
	assert_int_equal(authtoken_session_id_str(&got, sid, sizeof(sid)), 0);
	assert_string_equal(sid, "AQIDBAUGBwgJCgsM");
	assert_int_equal(authtoken_session_id_str(&got, sid, sizeof(sid) - 1), ERR_OVERFLOW);
	authtoken_key_wipe(&k);
}

static void
test_round_trip_random(void **state)
{
	struct authtoken_key k;
	struct authtoken_info i, got, j;
	char tok[AUTHTOKEN_BUFSZ], tok2[AUTHTOKEN_BUFSZ];

	assert_int_equal(authtoken_key_generate(&k), 0);
	assert_int_equal(authtoken_info_init(&i, 5000), 0);
	assert_true(i.initial == 5000 && i.issued == 5000);
	assert_int_equal(authtoken_make(&k, "bob@example.org", &i, tok, sizeof(tok)), 0);
	assert_int_equal(authtoken_check(&k, tok, "bob@example.org", 5000, &POL, &got), 0);
	assert_true(authtoken_session_eq(&got, &i));

	/* a renewal keeps the session id and initial time; both tokens verify */
	j = got;
	j.issued = 6000;
	assert_int_equal(authtoken_make(&k, "bob@example.org", &j, tok2, sizeof(tok2)), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(authtoken_check(&k, tok2, "bob@example.org", 6001, &POL, &got), 0);
	assert_true(authtoken_session_eq(&got, &i));
	assert_true(got.initial == 5000 && got.issued == 6000);

	/* a new session gets a new id */
	assert_int_equal(authtoken_info_init(&j, 5000), 0);
	assert_false(authtoken_session_eq(&i, &j));

	/* empty username is a valid (distinct) identity */
	assert_int_equal(authtoken_make(&k, "", &i, tok, sizeof(tok)), 0);
	assert_int_equal(authtoken_check(&k, tok, "", 5000, &POL, NULL), 0);
	assert_int_equal(authtoken_check(&k, tok, "bob@example.org", 5000, &POL, NULL), ERR_AUTH);
}

static void
test_freshness(void **state)
{
	struct authtoken_key k;
	struct authtoken_info i, got;
	struct authtoken_policy nolife = { .lifetime = 0, .renewal = 3600 };
	struct authtoken_policy nowin = { .lifetime = 0, .renewal = 0 };
	struct authtoken_policy huge = { .lifetime = 0, .renewal = UINT64_MAX };
	char tok[AUTHTOKEN_BUFSZ];

	kat_key(&k);
	kat_info(&i);
	assert_int_equal(authtoken_make(&k, "alice", &i, tok, sizeof(tok)), 0);
	/* renewal window: [issued, issued + 2 * renewal) */
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_ISSUED, &POL, NULL), 0);
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_ISSUED + 7199, &POL, NULL), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_ISSUED + 7200, &POL, &got),
	    ERR_TIMEOUT);
	/* expired still reports the session, for session_state=Expired */
	assert_true(authtoken_session_eq(&got, &i));
	/* issued in the future (clock went back) */
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_ISSUED - 1, &POL, NULL),
	    ERR_TIMEOUT);

	/* lifetime counts from the initial token, not from this renewal */
	i.issued = KAT_INITIAL + 86000;
	assert_int_equal(authtoken_make(&k, "alice", &i, tok, sizeof(tok)), 0);
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_INITIAL + 86400, &POL, NULL), 0);
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_INITIAL + 86401, &POL, NULL),
	    ERR_TIMEOUT);
	assert_int_equal(authtoken_check(&k, tok, "alice", KAT_INITIAL + 86401, &nolife, NULL), 0);
	assert_int_equal(authtoken_check(&k, tok, "alice", UINT64_MAX, &nowin, NULL), 0);
	assert_int_equal(authtoken_check(&k, tok, "alice", UINT64_MAX, &huge, NULL), 0);

	/* make refuses issued < initial */
	i.issued = KAT_INITIAL - 1;
	assert_int_equal(authtoken_make(&k, "alice", &i, tok, sizeof(tok)), ERR_INVAL);
}

static void
test_wrong_user_and_key(void **state)
{
	struct authtoken_key k, k2;

	kat_key(&k);
	assert_int_equal(authtoken_check(&k, KAT_TOKEN, "alicE", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	assert_int_equal(authtoken_check(&k, KAT_TOKEN, "alice ", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	assert_int_equal(authtoken_check(&k, KAT_TOKEN, "", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	assert_int_equal(authtoken_key_generate(&k2), 0);
	assert_int_equal(authtoken_check(&k2, KAT_TOKEN, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	/* a wrong key is reported as ERR_AUTH even when the token is also stale */
	assert_int_equal(authtoken_check(&k2, KAT_TOKEN, "alice", 0, &POL, NULL), ERR_AUTH);
}

static void
test_tampered(void **state)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct authtoken_key k;
	char t[AUTHTOKEN_BUFSZ];
	size_t pos, c;
	int bad = 0;

	kat_key(&k);
	/* every other alphabet character at every position, prefix included */
	for (pos = 0; pos < AUTHTOKEN_LEN; pos++) {
		for (c = 0; c < sizeof(b64) - 1; c++) {
			memcpy(t, KAT_TOKEN, sizeof(t));
			if (t[pos] == b64[c])
				continue;
			t[pos] = b64[c];
			if (authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL) != ERR_AUTH)
				bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_malformed(void **state)
{
	struct authtoken_key k;
	char t[256];

	kat_key(&k);
	/* truncated, by one and by a base64 quantum */
	memcpy(t, KAT_TOKEN, AUTHTOKEN_LEN - 1);
	t[AUTHTOKEN_LEN - 1] = '\0';
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	memcpy(t, KAT_TOKEN, AUTHTOKEN_LEN - 4);
	t[AUTHTOKEN_LEN - 4] = '\0';
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	/* oversized: trailing data, whitespace, newline, another quantum */
	snprintf(t, sizeof(t), "%s=", KAT_TOKEN);
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	snprintf(t, sizeof(t), "%s\n", KAT_TOKEN);
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	snprintf(t, sizeof(t), "%sAAAA", KAT_TOKEN);
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	snprintf(t, sizeof(t), " %s", KAT_TOKEN);
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	/* right length, but whitespace or padding inside: EVP would skip some */
	memcpy(t, KAT_TOKEN, sizeof(KAT_TOKEN));
	t[AUTHTOKEN_LEN - 1] = '=';
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	memcpy(t, KAT_TOKEN, sizeof(KAT_TOKEN));
	t[AUTHTOKEN_LEN - 1] = ' ';
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	memcpy(t, KAT_TOKEN, sizeof(KAT_TOKEN));
	t[AUTHTOKEN_PREFIX_LEN] = '\t';
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	memcpy(t, KAT_TOKEN, sizeof(KAT_TOKEN));
	t[40] = (char)0xc3;
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	/* garbage, empty, a plain password, the bare prefix */
	assert_int_equal(authtoken_check(&k, "", "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	assert_int_equal(authtoken_check(&k, "hunter2", "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	assert_int_equal(authtoken_check(&k, AUTHTOKEN_PREFIX, "alice", KAT_ISSUED, &POL, NULL),
	    ERR_AUTH);
	memset(t, 'A', AUTHTOKEN_LEN);
	t[AUTHTOKEN_LEN] = '\0';
	assert_false(authtoken_is_token(t));
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	memcpy(t, AUTHTOKEN_PREFIX, AUTHTOKEN_PREFIX_LEN);
	assert_true(authtoken_is_token(t));
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
	/* the prefix of OpenVPN's older tokens is not ours */
	snprintf(t, sizeof(t), "SESS_ID_%s", KAT_TOKEN + AUTHTOKEN_PREFIX_LEN);
	assert_false(authtoken_is_token(t));
	assert_int_equal(authtoken_check(&k, t, "alice", KAT_ISSUED, &POL, NULL), ERR_AUTH);
}

static void
test_limits(void **state)
{
	struct authtoken_key k;
	struct authtoken_info i;
	char tok[AUTHTOKEN_BUFSZ];
	char *user;

	kat_key(&k);
	kat_info(&i);
	assert_int_equal(authtoken_make(&k, "alice", &i, tok, sizeof(tok) - 1), ERR_OVERFLOW);
	user = malloc(AUTHTOKEN_USER_MAX + 2);
	assert_non_null(user);
	memset(user, 'u', AUTHTOKEN_USER_MAX);
	user[AUTHTOKEN_USER_MAX] = '\0';
	assert_int_equal(authtoken_make(&k, user, &i, tok, sizeof(tok)), 0);
	assert_int_equal(authtoken_check(&k, tok, user, KAT_ISSUED, &POL, NULL), 0);
	user[AUTHTOKEN_USER_MAX] = 'u';
	user[AUTHTOKEN_USER_MAX + 1] = '\0';
	assert_int_equal(authtoken_make(&k, user, &i, tok, sizeof(tok)), ERR_INVAL);
	assert_int_equal(authtoken_check(&k, tok, user, KAT_ISSUED, &POL, NULL), ERR_AUTH);
	free(user);
}

static void
test_pem(void **state)
{
	struct authtoken_key k, k2;
	char pem[sizeof(KAT_PEM) + 64];
	char path[] = "/tmp/test_authtoken_XXXXXX";
	int fd;

	kat_key(&k);
	/* wrong label */
	snprintf(pem, sizeof(pem), "%s", KAT_PEM);
	memcpy(strstr(pem, "auth-token"), "auth-tokeX", 10);
	assert_int_equal(authtoken_key_from_pem(&k2, pem, strlen(pem)), ERR_MALFORMED);
	/* a static key file is not an auth-token key */
	assert_int_equal(authtoken_key_from_pem(&k2,
	    "-----BEGIN OpenVPN Static key V1-----\n00\n-----END OpenVPN Static key V1-----\n",
	    80), ERR_MALFORMED);
	/* short data: drop the last line of base64 (128 -> 96 bytes) */
	assert_int_equal(authtoken_key_from_pem(&k2,
	    "-----BEGIN OpenVPN auth-token server key-----\n"
	    "cxnb5697iwuQhYamcIvE7nOzmXOL/nU9GBLalU8maVa4lufxrpGVMbiDmVMvuH15\n"
	    "rHWqSJ5F+WB8AbxQVBRoJmyq93M3ny3VZ29nEv5MfZNah0jqXTjXtZnulB/NJXOF\n"
	    "-----END OpenVPN auth-token server key-----\n", 200), ERR_MALFORMED);
	assert_int_equal(authtoken_key_from_pem(&k2, "", 0), ERR_MALFORMED);
	assert_int_equal(authtoken_key_from_pem(&k2, "garbage", 7), ERR_MALFORMED);

	/* the file loader reads the same key */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, KAT_PEM, strlen(KAT_PEM)), (ssize_t)strlen(KAT_PEM));
	close(fd);
	memset(&k2, 0, sizeof(k2));
	assert_int_equal(authtoken_key_load(&k2, path), 0);
	assert_memory_equal(k.hmac, k2.hmac, sizeof(k.hmac));
	unlink(path);
	assert_int_equal(authtoken_key_load(&k2, path), ERR_SYS);
	authtoken_key_wipe(&k2);
	for (size_t n = 0; n < sizeof(k2.hmac); n++)
		assert_int_equal(k2.hmac[n], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test(test_wrong_user_and_key),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
