/*
 * test_peerinfo.c - IV_* peer-info parsing (doc §6.4, §14): the exact block a
 * 2.6.14 client sent, IV_PROTO bits, absent fields, cipher support rules and
 * hostile input (no '=', bad names, control characters, long values,
 * embedded NUL, duplicates: the last valid line wins).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "peerinfo.h"
#include "proto.h"

/* Verified on the wire from a default 2.6.14 Linux client (doc §6.4). */
static const char block_2614[] =
    "IV_VER=2.6.14\n"
    "IV_PLAT=linux\n"
    "IV_TCPNL=1\n"
    "IV_MTU=1600\n"
    "IV_NCP=2\n"
    "IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n"
    "IV_PROTO=990\n"
    "IV_LZO_STUB=1\n"
    "IV_COMP_STUB=1\n"
    "IV_COMP_STUBv2=1\n";

static struct peerinfo pi;

static void
parse(const char *s)
{
	assert_int_equal(peerinfo_parse(s, strlen(s), &pi), 0);
}

static void
test_2614_block(void **state)
{
	parse(block_2614);
	assert_string_equal(pi.ver, "2.6.14");
	assert_string_equal(pi.plat, "linux");
	assert_true(pi.tcpnl);
	assert_int_equal(pi.mtu, 1600);
	assert_int_equal(pi.ncp, 2);
	assert_string_equal(pi.ciphers, "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305");
	assert_true(pi.has_proto);
	assert_int_equal(pi.proto, 990);
	assert_true(pi.lzo_stub);
	assert_true(pi.comp_stub);
	assert_true(pi.comp_stubv2);
	assert_false(pi.lzo);
	assert_false(pi.lz4);
	assert_false(pi.lz4v2);
	assert_string_equal(pi.gui_ver, "");
	assert_string_equal(pi.sso, "");
	assert_int_equal(pi.n_rejected, 0);

	assert_true(peerinfo_does_ncp(&pi));
	assert_true(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	assert_true(peerinfo_has_cipher(&pi, "AES-128-GCM"));
	assert_true(peerinfo_has_cipher(&pi, "CHACHA20-POLY1305"));
	assert_true(peerinfo_has_cipher(&pi, "chacha20-poly1305"));
	assert_false(peerinfo_has_cipher(&pi, "AES-192-GCM"));
	assert_false(peerinfo_has_cipher(&pi, "AES-256"));        /* prefix only */
	assert_false(peerinfo_has_cipher(&pi, "GCM"));            /* suffix only */
	assert_false(peerinfo_has_cipher(&pi, "AES-256-GCM:AES-128-GCM"));
	assert_false(peerinfo_has_cipher(&pi, ""));
	assert_false(peerinfo_has_cipher(&pi, NULL));

	/* The same block as a NUL-terminated string with an unbounded length. */
	assert_int_equal(peerinfo_parse(block_2614, SIZE_MAX, &pi), 0);
	assert_int_equal(pi.proto, 990);
	assert_true(pi.comp_stubv2);
}

static void
test_proto_bits(void **state)
{
	parse(block_2614);
	/* 990 = 2+4+8+16+64+128+256+512 (doc §6.4). */
	assert_true(pi.proto & IV_PROTO_DATA_V2);
	assert_true(pi.proto & IV_PROTO_REQUEST_PUSH);
	assert_true(pi.proto & IV_PROTO_TLS_KEY_EXPORT);
	assert_true(pi.proto & IV_PROTO_AUTH_PENDING_KW);
	assert_false(pi.proto & IV_PROTO_NCP_P2P);
	assert_true(pi.proto & IV_PROTO_DNS_OPTION);
	assert_true(pi.proto & IV_PROTO_CC_EXIT_NOTIFY);
	assert_true(pi.proto & IV_PROTO_AUTH_FAIL_TEMP);
	assert_true(pi.proto & IV_PROTO_DYN_TLS_CRYPT);
	assert_false(pi.proto & IV_PROTO_DATA_EPOCH);
	assert_false(pi.proto & 1u);

	parse("IV_PROTO=478\n");   /* 2.6.0: no bit 9 */
	assert_false(pi.proto & IV_PROTO_DYN_TLS_CRYPT);
	assert_true(pi.proto & IV_PROTO_TLS_KEY_EXPORT);
	parse("IV_PROTO=0\n");
	assert_true(pi.has_proto);
	assert_int_equal(pi.proto, 0);
	parse("IV_PROTO=4294967295\n");
	assert_int_equal(pi.proto, UINT32_MAX);
	parse("IV_PROTO=4294967296\n");
	assert_false(pi.has_proto);
	assert_int_equal(pi.n_rejected, 1);
	parse("IV_PROTO=-2\nIV_PROTO=0x3de\nIV_PROTO= 990\nIV_PROTO=\n");
	assert_false(pi.has_proto);
	assert_int_equal(pi.n_rejected, 4);
}

static void
test_missing(void **state)
{
	parse("");
	assert_false(pi.has_proto);
	assert_int_equal(pi.ncp, 0);
	assert_int_equal(pi.mtu, 0);
	assert_string_equal(pi.ver, "");
	assert_false(peerinfo_does_ncp(&pi));
	assert_false(peerinfo_has_cipher(&pi, "AES-256-GCM"));

	/* IV_NCP=2 alone: the two GCM ciphers (doc §14.1). */
	parse("IV_VER=2.4.12\nIV_NCP=2\n");
	assert_true(peerinfo_does_ncp(&pi));
	assert_true(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	assert_true(peerinfo_has_cipher(&pi, "aes-128-gcm"));
	assert_false(peerinfo_has_cipher(&pi, "CHACHA20-POLY1305"));
	parse("IV_NCP=1\n");
	assert_false(peerinfo_does_ncp(&pi));
	assert_false(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	/* IV_CIPHERS overrides IV_NCP. */
	parse("IV_NCP=2\nIV_CIPHERS=CHACHA20-POLY1305\n");
	assert_false(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	assert_true(peerinfo_has_cipher(&pi, "CHACHA20-POLY1305"));
	/* Last line without '\n', CRLF line ends, blank lines. */
	parse("IV_PLAT=win\r\n\r\n\nIV_CIPHERS=AES-128-GCM");
	assert_string_equal(pi.plat, "win");
	assert_string_equal(pi.ciphers, "AES-128-GCM");
	assert_int_equal(pi.n_rejected, 0);
	/* Other known values. */
	parse("IV_LZO=1\nIV_LZ4=1\nIV_LZ4v2=1\nIV_TCPNL=0\nIV_GUI_VER=OpenVPN_GUI_11\n"
	    "IV_SSO=webauth,crtext,openurl\nIV_HWADDR=00:11:22:33:44:55\nUV_FOO=bar\n");
	assert_true(pi.lzo && pi.lz4 && pi.lz4v2);
	assert_false(pi.tcpnl);
	assert_string_equal(pi.gui_ver, "OpenVPN_GUI_11");
	assert_string_equal(pi.sso, "webauth,crtext,openurl");
	assert_int_equal(pi.n_rejected, 0);
	/* Names are case-sensitive, as 2.6 sends them. */
	parse("iv_ver=1\nIV_COMP_STUBV2=1\n");
	assert_string_equal(pi.ver, "");
	assert_false(pi.comp_stubv2);
	assert_int_equal(pi.n_rejected, 0);
}

static void
test_hostile(void **state)
{
	static char big[12000];
	char buf[64];

	/* No '=', bad or empty names: skipped and counted, the rest still parsed. */
	parse("garbage\n=novalue\nIV VER=x\nIV-VER=x\nIV_VER=2.6.1\nIV_PLAT\n");
	assert_string_equal(pi.ver, "2.6.1");
	assert_string_equal(pi.plat, "");
	assert_int_equal(pi.n_rejected, 5);

	/* Control and non-ASCII characters in values. */
	parse("IV_VER=2.6\x1b[31m\nIV_PLAT=li\tnux\nIV_GUI_VER=\x7f\nIV_SSO=caf\xc3\xa9\n"
	    "IV_CIPHERS=AES-256-GCM\n");
	assert_string_equal(pi.ver, "");
	assert_string_equal(pi.plat, "");
	assert_string_equal(pi.gui_ver, "");
	assert_string_equal(pi.sso, "");
	assert_string_equal(pi.ciphers, "AES-256-GCM");
	assert_int_equal(pi.n_rejected, 4);
	/* A control character in an unknown variable is refused too. */
	parse("UV_X=a\x01" "b\n");
	assert_int_equal(pi.n_rejected, 1);

	/* 10k-long value (and name): refused without harm. */
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "IV_CIPHERS=", 11);
	big[10000] = '\n';
	memcpy(big + 10001, "IV_VER=ok\n", 10);
	big[10011] = '\0';
	parse(big);
	assert_string_equal(pi.ciphers, "");
	assert_string_equal(pi.ver, "ok");
	assert_int_equal(pi.n_rejected, 1);
	memset(big, 'N', 10000);
	memcpy(big + 10000, "=1\n", 4);
	parse(big);
	assert_int_equal(pi.n_rejected, 1);

	/* Value exactly filling a field, then one byte over. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "IV_VER=", 7);
	memset(buf + 7, '9', 31);
	parse(buf);
	assert_int_equal(strlen(pi.ver), 31);
	assert_int_equal(pi.n_rejected, 0);
	buf[7 + 31] = '9';
	parse(buf);
	assert_string_equal(pi.ver, "");
	assert_int_equal(pi.n_rejected, 1);

	/* Embedded NUL within len: the block ends there. */
	{
		static const char nul[] = "IV_VER=1\nIV_PLAT=li\0nux\nIV_NCP=2\n";

		assert_int_equal(peerinfo_parse(nul, sizeof(nul) - 1, &pi), 0);
		assert_string_equal(pi.ver, "1");
		assert_string_equal(pi.plat, "li");
		assert_int_equal(pi.ncp, 0);
	}
	/* len shorter than the string: nothing past len is read. */
	assert_int_equal(peerinfo_parse("IV_NCP=2\nIV_MTU=1600\n", 13, &pi), 0);
	assert_int_equal(pi.ncp, 2);
	assert_int_equal(pi.mtu, 0);
	assert_int_equal(pi.n_rejected, 1);   /* "IV_M" has no '=' */

	/* Empty and NULL. */
	assert_int_equal(peerinfo_parse(NULL, 0, &pi), 0);
	assert_int_equal(pi.n_rejected, 0);
	assert_int_equal(peerinfo_parse(NULL, 5, &pi), ERR_INVAL);
	assert_int_equal(peerinfo_parse("", 0, NULL), ERR_INVAL);
	parse("\n\n\n");
	assert_int_equal(pi.n_rejected, 0);

	/* Numbers that do not fit. */
	parse("IV_NCP=2147483648\nIV_MTU=99999999999\nIV_TCPNL=yes\n");
	assert_int_equal(pi.ncp, 0);
	assert_int_equal(pi.mtu, 0);
	assert_false(pi.tcpnl);
	assert_int_equal(pi.n_rejected, 3);

	/* Empty elements in the cipher list never match an empty name. */
	parse("IV_CIPHERS=::AES-256-GCM:\n");
	assert_true(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	assert_false(peerinfo_has_cipher(&pi, ""));
}

/* Duplicates: the last valid line wins; an invalid later line does not erase. */
static void
test_duplicates(void **state)
{
	parse("IV_VER=1\nIV_VER=2\n");
	assert_string_equal(pi.ver, "2");
	parse("IV_VER=1\nIV_VER=bad\x01\n");
	assert_string_equal(pi.ver, "1");
	assert_int_equal(pi.n_rejected, 1);
	parse("IV_PROTO=990\nIV_PROTO=2\n");
	assert_int_equal(pi.proto, 2);
	parse("IV_CIPHERS=AES-256-GCM\nIV_CIPHERS=CHACHA20-POLY1305\n");
	assert_false(peerinfo_has_cipher(&pi, "AES-256-GCM"));
	assert_true(peerinfo_has_cipher(&pi, "CHACHA20-POLY1305"));
	/* A later empty value is valid and does overwrite. */
	parse("IV_PLAT=linux\nIV_PLAT=\n");
	assert_string_equal(pi.plat, "");
}

/* Pseudo-random bytes must never crash, and stored strings stay printable. */
static void
test_random(void **state)
{
	static char blk[600];
	unsigned seed = 12345, round;
	size_t i;

	for (round = 0; round < 2000; round++) {
		for (i = 0; i < sizeof(blk); i++) {
			seed = seed * 1103515245u + 12345u;
			/* Bias towards structure: letters, '=', '\n', and some junk. */
			switch ((seed >> 16) % 8) {
			case 0: blk[i] = '\n'; break;
			case 1: blk[i] = '='; break;
			case 2: blk[i] = (char)(seed >> 24); break;
			default: blk[i] = "IV_PROTCSNERL0129"[(seed >> 20) % 17]; break;
			}
		}
		assert_int_equal(peerinfo_parse(blk, sizeof(blk), &pi), 0);
		assert_true(strlen(pi.ver) < sizeof(pi.ver));
		assert_true(strlen(pi.ciphers) < sizeof(pi.ciphers));
		for (i = 0; pi.plat[i] != '\0'; i++)
			assert_true(pi.plat[i] >= 0x20 && pi.plat[i] <= 0x7e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2614_block),
		cmocka_unit_test(test_proto_bits),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
