/*
 * test_push.c - PUSH_REPLY text and cipher negotiation.
 *
 * The expected reply is the one a 2.6.14 server sent for `server 10.8.0.0
 * 255.255.255.0`, `topology subnet`, `keepalive 10 60` to a 2.6.14 client
 * (shared/docs/openvpn-protocol.md §9.2, verified on the wire), minus
 * dyn-tls-crypt, which we do not push until we implement it (doc §16.8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "err.h"
#include "peerinfo.h"
#include "push.h"

static void
base_input(struct push_input *in)
{
	memset(in, 0, sizeof(*in));
	in->topology = TOPO_SUBNET;
	assert_int_equal(prefix_parse("10.8.0.0/24", false, &in->net), 0);
	assert_int_equal(addr_parse("10.8.0.1", &in->gateway), 0);
	assert_int_equal(addr_parse("10.8.0.2", &in->ifconfig), 0);
	in->ping = 10;
	in->ping_restart = 60;
	in->has_peer_id = true;
	in->peer_id = 0;
	in->cipher = "AES-256-GCM";
	in->proto_flags = PUSH_PF_CC_EXIT | PUSH_PF_TLS_EKM;
	in->tun_mtu = 1500;
}

static void
test_reply_matches_26(void **state)
{
	struct push_input in;
	static struct push_out out;

	base_input(&in);
	assert_int_equal(push_build(&in, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.msg[0],
	    "PUSH_REPLY,route-gateway 10.8.0.1,topology subnet,ping 10,ping-restart 60,"
	    "ifconfig 10.8.0.2 255.255.255.0,peer-id 0,cipher AES-256-GCM,"
	    "protocol-flags cc-exit tls-ekm,tun-mtu 1500");
}

static void
test_operator_pushes_first_and_legacy_flags(void **state)
{
	char *pushes[] = { "route 192.168.50.0 255.255.255.0", "dhcp-option DNS 10.8.0.1" };
	struct push_input in;
	static struct push_out out;

	base_input(&in);
	in.cfg_push = pushes;
	in.n_cfg_push = 2;
	in.proto_flags = 0;
	in.key_derivation_ekm = true;
	in.has_peer_id = false;
	in.tun_mtu = 0;
	in.ping = 0;
	in.ping_restart = 0;
	assert_int_equal(push_build(&in, &out), 0);
	assert_string_equal(out.msg[0],
	    "PUSH_REPLY,route 192.168.50.0 255.255.255.0,dhcp-option DNS 10.8.0.1,"
	    "route-gateway 10.8.0.1,topology subnet,ifconfig 10.8.0.2 255.255.255.0,"
	    "cipher AES-256-GCM,key-derivation tls-ekm");
}

static void
test_hostile_options(void **state)
{
	char comma[] = "route 1.2.3.0 255.255.255.0,redirect-gateway";
	char longopt[300];
	char empty[] = "";
	char *p1[] = { comma }, *p2[] = { longopt }, *p3[] = { empty };
	struct push_input in;
	static struct push_out out;

	memset(longopt, 'a', sizeof(longopt) - 1);
	longopt[sizeof(longopt) - 1] = '\0';
	base_input(&in);
	in.n_cfg_push = 1;
	in.cfg_push = p1;
	assert_int_equal(push_build(&in, &out), ERR_MALFORMED);
	in.cfg_push = p2;
	assert_int_equal(push_build(&in, &out), ERR_MALFORMED);
	in.cfg_push = p3;
	assert_int_equal(push_build(&in, &out), ERR_MALFORMED);
}

/* Many routes: split into several messages, each within budget, each but the
 * last ending in push-continuation 2, and no option lost or cut. */
static void
test_continuation(void **state)
{
	static char store[200][48];
	static char *pushes[200];
	struct push_input in;
	static struct push_out out;
	unsigned i, found = 0;

	for (i = 0; i < 200; i++) {
		snprintf(store[i], sizeof(store[i]), "route 172.16.%u.0 255.255.255.0", i);
		pushes[i] = store[i];
	}
	base_input(&in);
	in.cfg_push = pushes;
	in.n_cfg_push = 200;
	assert_int_equal(push_build(&in, &out), 0);
	assert_true(out.n > 1);
	for (i = 0; i < out.n; i++) {
		const char *tail = i + 1 < out.n ? ",push-continuation 2" : ",push-continuation 1";
		size_t n = strlen(out.msg[i]);

		assert_true(n <= PUSH_MSG_BUDGET);
		assert_true(strncmp(out.msg[i], "PUSH_REPLY,", 11) == 0);
		assert_string_equal(out.msg[i] + n - strlen(tail), tail);
	}
	for (i = 0; i < 200; i++) {
		char needle[sizeof(store[0]) + 2];
		unsigned m;

		needle[0] = ',';
		strcpy(needle + 1, store[i]);
		strcat(needle, ",");
		for (m = 0; m < out.n; m++)
			if (strstr(out.msg[m], needle) != NULL) {
				found++;
				break;
			}
	}
	assert_int_equal(found, 200);

	/* far too many: refused, not truncated */
	{
		static char *many[2000];

		for (i = 0; i < 2000; i++)
			many[i] = store[i % 200];
		in.cfg_push = many;
		in.n_cfg_push = 2000;
		assert_int_equal(push_build(&in, &out), ERR_OVERFLOW);
	}
}

static void
test_select_cipher(void **state)
{
	static const char srv[3][24] = { "AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305" };
	static const char chacha_first[2][24] = { "CHACHA20-POLY1305", "AES-256-GCM" };
	struct peerinfo pi;
	const char *text;

	text = "IV_VER=2.6.14\nIV_CIPHERS=CHACHA20-POLY1305:AES-128-GCM\n";
	assert_int_equal(peerinfo_parse(text, strlen(text), &pi), 0);
	/* server order wins */
	assert_string_equal(push_select_cipher(srv, 3, NULL, &pi), "AES-128-GCM");
	assert_string_equal(push_select_cipher(chacha_first, 2, NULL, &pi), "CHACHA20-POLY1305");

	text = "IV_VER=2.6.14\nIV_CIPHERS=BF-CBC\n";
	assert_int_equal(peerinfo_parse(text, strlen(text), &pi), 0);
	assert_null(push_select_cipher(srv, 3, "AES-256-GCM", &pi));

	/* IV_NCP=2 without IV_CIPHERS means the two GCM ciphers */
	text = "IV_VER=2.4.9\nIV_NCP=2\n";
	assert_int_equal(peerinfo_parse(text, strlen(text), &pi), 0);
	assert_string_equal(push_select_cipher(chacha_first, 2, NULL, &pi), "AES-256-GCM");

	/* no cipher information at all: the fallback, or nothing */
	text = "IV_VER=2.3.0\n";
	assert_int_equal(peerinfo_parse(text, strlen(text), &pi), 0);
	assert_string_equal(push_select_cipher(srv, 3, "AES-128-GCM", &pi), "AES-128-GCM");
	assert_null(push_select_cipher(srv, 3, "", &pi));
	assert_null(push_select_cipher(srv, 3, NULL, &pi));
}

/* doc §13, seen from 2.6: net30 pushes a host route to the server and
 * `ifconfig b+2 b+1`; p2p pushes no route and `ifconfig NET+4+k NET+1`. */
static void
test_net30_p2p(void **state)
{
	struct push_input in;
	static struct push_out out;

	base_input(&in);
	in.topology = TOPO_NET30;
	in.ping = in.ping_restart = 0;
	in.proto_flags = 0;
	in.tun_mtu = 0;
	assert_int_equal(addr_parse("10.8.0.6", &in.ifconfig), 0);
	assert_int_equal(addr_parse("10.8.0.5", &in.ifconfig_peer), 0);
	assert_int_equal(push_build(&in, &out), 0);
	assert_string_equal(out.msg[0], "PUSH_REPLY,route 10.8.0.1,topology net30,"
	    "ifconfig 10.8.0.6 10.8.0.5,peer-id 0,cipher AES-256-GCM");
	in.topology = TOPO_P2P;
	assert_int_equal(addr_parse("10.8.0.4", &in.ifconfig), 0);
	assert_int_equal(addr_parse("10.8.0.1", &in.ifconfig_peer), 0);
	assert_int_equal(push_build(&in, &out), 0);
	assert_string_equal(out.msg[0], "PUSH_REPLY,topology p2p,ifconfig 10.8.0.4 10.8.0.1,"
	    "peer-id 0,cipher AES-256-GCM");
}

/* The reply 2.6.14 sent with server-ipv6 fd00:8::/64 and operator pushes
 * (doc §13, verified on the wire), minus block-outside-dns and dyn-tls-crypt. */
static void
test_ipv6_matches_26(void **state)
{
	char *pushes[] = { "redirect-gateway def1 bypass-dhcp", "dhcp-option DNS 10.8.0.1",
		"route 192.168.50.0 255.255.255.0" };
	struct push_input in;
	static struct push_out out;

	base_input(&in);
	in.cfg_push = pushes;
	in.n_cfg_push = 3;
	in.has6 = true;
	in.len6 = 64;
	assert_int_equal(addr_parse("fd00:8::1000", &in.ifconfig6), 0);
	assert_int_equal(addr_parse("fd00:8::1", &in.gateway6), 0);
	assert_int_equal(push_build(&in, &out), 0);
	assert_string_equal(out.msg[0], "PUSH_REPLY,redirect-gateway def1 bypass-dhcp,"
	    "dhcp-option DNS 10.8.0.1,route 192.168.50.0 255.255.255.0,tun-ipv6,"
	    "route-gateway 10.8.0.1,topology subnet,ping 10,ping-restart 60,"
	    "ifconfig-ipv6 fd00:8::1000/64 fd00:8::1,ifconfig 10.8.0.2 255.255.255.0,peer-id 0,"
	    "cipher AES-256-GCM,protocol-flags cc-exit tls-ekm,tun-mtu 1500");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_matches_26),
		cmocka_unit_test(test_operator_pushes_first_and_legacy_flags),
		cmocka_unit_test(test_hostile_options),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_select_cipher),
		cmocka_unit_test(test_net30_p2p),
		cmocka_unit_test(test_ipv6_matches_26),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
