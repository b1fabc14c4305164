/*
 * test_pki.c - ovpn-pki's modules: store (names, index, atomic writes),
 * profile (remote parsing, golden text, injection), tckey (key files),
 * ca (certificate profiles, CRL).
 *
 * Vectors: t/data/keys/tc2-server.key and tc2-client-meta.key were written
 * by the real `openvpn --genkey` 2.6.14 (see t/data/keys/README); the
 * metadata 2.6 put into that client key is the known answer for
 * tckey_meta_user() on the same base64 argument.  Certificates are checked
 * with OpenSSL's own verifier (X509_verify_cert) and its decoded KU/EKU,
 * not with anything in ca.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/x509v3.h>

#include "buf.h"
#include "ca.h"
#include "err.h"
#include "keyfile.h"
#include "profile.h"
#include "store.h"
#include "tckey.h"
#include "tlswrap.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "t/data"
#endif

/* ---- helpers ---- */

static char *
slurp(const char *path, size_t *len)
{
	char *p;

	assert_int_equal(store_read_file(path, STORE_FILE_MAX, &p, len), 0);
	return p;
}

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/test_pki.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

/* Number of directory entries other than . and .. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- store: names ---- */

static void
test_name_table(void **state)
{
	static const struct { const char *name; bool ok; } t[] = {
		{ "alice", true }, { "a", true }, { "Bob-2.laptop_x@corp", true },
		{ "0", true }, { "a.", true }, { "a..b", true },
		{ "", false }, { ".", false }, { "..", false }, { ".hidden", false },
		{ "a/b", false }, { "../x", false }, { "a b", false }, { "a\tb", false },
		{ "a\nb", false }, { "é", false }, { "a:b", false }, { "a*", false },
		{ "a\"b", false }, { "a'b", false }, { "a;b", false }, { "a#b", false },
		/* 64 characters: the longest name */
		{ "0123456789012345678901234567890123456789012345678901234567890123", true },
		{ "01234567890123456789012345678901234567890123456789012345678901234", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (store_name_valid(t[i].name) != t[i].ok)
			fail_msg("name '%s': want %d", t[i].name, t[i].ok);
	}
	assert_false(store_name_valid(NULL));
}

static void
test_store_path(void **state)
{
	struct store s = { .dir = "/x/pki", .dirfd = -1 };
	char p[STORE_PATH_MAX], small[12];

	(void)state;
	assert_int_equal(store_path(&s, STORE_CERT, "alice", p, sizeof(p)), 0);
	assert_string_equal(p, "/x/pki/issued/alice.crt");
	assert_int_equal(store_path(&s, STORE_KEY, "alice", p, sizeof(p)), 0);
	assert_string_equal(p, "/x/pki/private/alice.key");
	assert_int_equal(store_path(&s, STORE_TC2_CLIENT, "alice", p, sizeof(p)), 0);
	assert_string_equal(p, "/x/pki/private/alice.tc2");
	assert_int_equal(store_path(&s, STORE_CA_KEY, NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "/x/pki/private/ca.key");
	assert_int_equal(store_path(&s, STORE_TC2_SERVER, NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "/x/pki/tc2-server.key");
	assert_int_equal(store_path(&s, STORE_CERT, "../ca", p, sizeof(p)), ERR_INVAL);
	assert_int_equal(store_path(&s, STORE_KEY, NULL, p, sizeof(p)), ERR_INVAL);
	assert_int_equal(store_path(&s, STORE_CA_CRT, NULL, small, sizeof(small)), ERR_RANGE);
}

/* ---- store: index ---- */

#define HDR "# ovpn-pki index v1: serial kind not-after revoked-at name\n"
#define S1 "40000000000000000000000000000001"
#define S2 "7fffffffffffffffffffffffffffffff"

static void
test_index_round_trip(void **state)
{
	static const char text[] =
	    HDR
	    S1 " server 1866576526 - server\n"
	    "# a comment\n"
	    S2 " client 253402300799 1795296526 alice\n"
	    "40000000000000000000000000000003 client 0 - alice\n";
	struct store_index idx;
	char *out;
	size_t len, bad = 99;

	(void)state;
	assert_int_equal(store_index_parse(text, strlen(text), &idx, &bad), 0);
	assert_int_equal(idx.n, 3);
	assert_int_equal(idx.v[0].kind, STORE_KIND_SERVER);
	assert_int_equal(idx.v[0].serial[0], 0x40);
	assert_int_equal(idx.v[0].serial[15], 0x01);
	assert_int_equal(idx.v[0].not_after, 1866576526);
	assert_int_equal(idx.v[0].revoked_at, 0);
	assert_string_equal(idx.v[0].name, "server");
	assert_int_equal(idx.v[1].kind, STORE_KIND_CLIENT);
	assert_int_equal(idx.v[1].not_after, STORE_TIME_MAX);
	assert_int_equal(idx.v[1].revoked_at, 1795296526);
	/* the newest entry for a name wins */
	assert_ptr_equal(store_index_find(&idx, "alice"), &idx.v[2]);
	assert_null(store_index_find(&idx, "bob"));
	assert_true(store_index_has_serial(&idx, idx.v[1].serial));

	/* format drops comments only, and re-parses to the same entries */
	assert_int_equal(store_index_format(&idx, &out, &len), 0);
	assert_string_equal(out, HDR
	    S1 " server 1866576526 - server\n"
	    S2 " client 253402300799 1795296526 alice\n"
	    "40000000000000000000000000000003 client 0 - alice\n");
	assert_int_equal(len, strlen(out));
	{
		struct store_index again;

		assert_int_equal(store_index_parse(out, len, &again, NULL), 0);
		assert_int_equal(again.n, idx.n);
		assert_memory_equal(again.v, idx.v, idx.n * sizeof(idx.v[0]));
		assert_int_equal(store_index_add(&again, &idx.v[0]), ERR_EXISTS);
		store_index_free(&again);
	}
	free(out);
	store_index_free(&idx);

	/* an empty index is just the header */
	assert_int_equal(store_index_parse(HDR, strlen(HDR), &idx, NULL), 0);
	assert_int_equal(idx.n, 0);
	assert_int_equal(store_index_format(&idx, &out, &len), 0);
	assert_int_equal(len, strlen(HDR));
	free(out);
	store_index_free(&idx);
}

static void
test_index_hostile(void **state)
{
	/* Each line follows the header and a valid first entry (line 2), so it is line 3. */
#define L(x) { x, sizeof(x) - 1 }
	static const struct { const char *s; size_t len; } bad[] = {
		L("\n"),                                                /* empty line */
		L(S2 " client 1 - bob"),                                /* no newline: truncated */
		L(S2 " client 1 -  bob\n"),                             /* double space */
		L(" " S2 " client 1 - bob\n"),                          /* leading space */
		L(S2 " client 1 - bob \n"),                             /* trailing space */
		L(S2 " client 1 - bob extra\n"),                        /* sixth field */
		L(S2 " client 1 -\n"),                                  /* four fields */
		L(S2 "\tclient 1 - bob\n"),                             /* tab */
		L(S2 " client 1 - bob\r\n"),                            /* CR */
		L("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF client 1 - bob\n"), /* upper-case hex */
		L("7fffffffffffffffffffffffffffffff0 client 1 - bob\n"),/* 33 digits */
		L("7ffffffffffffffffffffffffffffff client 1 - bob\n"),  /* 31 digits */
		L("7fffffffffffffffffffffffffffffgf client 1 - bob\n"), /* not hex */
		L(S1 " client 1 - bob\n"),                              /* duplicate serial */
		L(S2 " ca 1 - bob\n"),                                  /* bad kind */
		L(S2 " Client 1 - bob\n"),
		L(S2 " client -1 - bob\n"),                             /* signed */
		L(S2 " client +1 - bob\n"),
		L(S2 " client 01 - bob\n"),                             /* leading zero */
		L(S2 " client 253402300800 - bob\n"),                   /* after year 9999 */
		L(S2 " client 99999999999999999999 - bob\n"),           /* overflow */
		L(S2 " client 1 0 bob\n"),                              /* revoked at 0 */
		L(S2 " client 1 x bob\n"),
		L(S2 " client 1 - .bob\n"),                             /* bad names */
		L(S2 " client 1 - ../bob\n"),
		L(S2 " client 1 - b\x01ob\n"),
		L(S2 " client 1 - 01234567890123456789012345678901234567890123456789012345678901234\n"),
		L(S2 " client 1 - bob\0x\n"),                           /* NUL */
		L("\0\n"),
	};
#undef L
	static const char prefix[] = HDR S1 " server 1 - srv\n";
	char text[512];
	struct store_index idx;
	size_t i, n, bad_line;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = strlen(prefix);
		memcpy(text, prefix, n);
		memcpy(text + n, bad[i].s, bad[i].len);
		n += bad[i].len;
		/* the prefix alone is fine */
		assert_int_equal(store_index_parse(text, strlen(prefix), &idx, NULL), 0);
		store_index_free(&idx);
		bad_line = 0;
		memset(&idx, 0xa5, sizeof(idx));
		if (store_index_parse(text, n, &idx, &bad_line) != ERR_MALFORMED)
			fail_msg("hostile line %zu accepted", i);
		assert_int_equal(bad_line, 3);
		assert_null(idx.v);  /* all or nothing */
		assert_int_equal(idx.n, 0);
	}

	/* the header is required, exactly */
	assert_int_equal(store_index_parse("", 0, &idx, &bad_line), ERR_MALFORMED);
	assert_int_equal(bad_line, 1);
	n = (size_t)snprintf(text, sizeof(text), "%s", S1 " server 1 - srv\n");
	assert_int_equal(store_index_parse(text, n, &idx, &bad_line), ERR_MALFORMED);
	assert_int_equal(bad_line, 1);
	n = (size_t)snprintf(text, sizeof(text), "# ovpn-pki index v2: serial kind not-after revoked-at name\n");
	assert_int_equal(store_index_parse(text, n, &idx, &bad_line), ERR_MALFORMED);
	/* easy-rsa's index.txt is not ours */
	n = (size_t)snprintf(text, sizeof(text), "V\t340101000000Z\t\t01\tunknown\t/CN=server\n");
	assert_int_equal(store_index_parse(text, n, &idx, &bad_line), ERR_MALFORMED);
	assert_int_equal(bad_line, 1);
}

/* ---- store: files ---- */

static void
test_atomic_write(void **state)
{
	char *dir = tmpdir(), path[512], *text;
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_int_equal(store_write_file(path, "one\n", 4, 0600, false), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1);  /* no temp file left */

	/* refusal: content unchanged, no temp file */
	assert_int_equal(store_write_file(path, "two\n", 4, 0600, false), ERR_EXISTS);
	text = slurp(path, &len);
	assert_string_equal(text, "one\n");
	free(text);
	assert_int_equal(count_entries(dir), 1);

	/* replace, with another mode */
	assert_int_equal(store_write_file(path, "three\n", 6, 0644, true), 0);
	text = slurp(path, &len);
	assert_int_equal(len, 6);
	assert_string_equal(text, "three\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_entries(dir), 1);

	/* a failed write (missing directory) leaves nothing behind either */
	snprintf(path, sizeof(path), "%s/nodir/k.key", dir);
	assert_int_equal(store_write_file(path, "x", 1, 0600, true), ERR_SYS);
	assert_int_equal(count_entries(dir), 1);

	/* reads: missing, too large */
	assert_int_equal(store_read_file(path, 100, &text, &len), ERR_NOTFOUND);
	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_int_equal(store_read_file(path, 5, &text, &len), ERR_RANGE);
	assert_null(text);
	rm_tree(dir);
	free(dir);
}

static void
test_store_open_and_index_files(void **state)
{
	char *dir = tmpdir(), sub[512], path[STORE_PATH_MAX];
	struct store s;
	struct store_index idx;
	struct store_entry e = { .kind = STORE_KIND_CLIENT, .not_after = 100, .name = "alice" };
	struct stat st;
	size_t bad;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/pki", dir);
	assert_int_equal(store_open(&s, sub, false), ERR_NOTFOUND);
	assert_int_equal(store_open(&s, sub, true), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/private", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* a missing index is empty; a saved one loads back */
	assert_int_equal(store_index_load(&s, &idx, &bad), 0);
	assert_int_equal(idx.n, 0);
	e.serial[0] = 0x40;
	assert_int_equal(store_index_add(&idx, &e), 0);
	assert_int_equal(store_index_save(&s, &idx), 0);
	store_index_free(&idx);
	assert_int_equal(store_index_load(&s, &idx, &bad), 0);
	assert_int_equal(idx.n, 1);
	assert_string_equal(idx.v[0].name, "alice");
	store_index_free(&idx);
	assert_int_equal(count_entries(sub), 3);  /* private, issued, index: no temp */

	/* a damaged index names its line */
	store_path(&s, STORE_INDEX, NULL, path, sizeof(path));
	assert_int_equal(store_write_file(path, HDR "garbage\n", strlen(HDR "garbage\n"), 0644, true), 0);
	assert_int_equal(store_index_load(&s, &idx, &bad), ERR_MALFORMED);
	assert_int_equal(bad, 2);
	store_close(&s);
	rm_tree(dir);
	free(dir);
}

/* ---- profile ---- */

static void
test_remote_parse(void **state)
{
	static const struct { const char *arg; int r; const char *host; unsigned port; } t[] = {
		{ "192.0.2.1", 0, "192.0.2.1", 1194 },
		{ "192.0.2.1:443", 0, "192.0.2.1", 443 },
		{ "vpn.example.com:65535", 0, "vpn.example.com", 65535 },
		{ "2001:db8::1", 0, "2001:db8::1", 1194 },
		{ "[2001:db8::1]", 0, "2001:db8::1", 1194 },
		{ "[2001:db8::1]:1", 0, "2001:db8::1", 1 },
		{ "", ERR_INVAL, NULL, 0 },
		{ ":443", ERR_INVAL, NULL, 0 },
		{ "host:", ERR_INVAL, NULL, 0 },
		{ "host:0", ERR_INVAL, NULL, 0 },
		{ "host:65536", ERR_INVAL, NULL, 0 },
		{ "host:0443", ERR_INVAL, NULL, 0 },
		{ "host:44x", ERR_INVAL, NULL, 0 },
		{ "[2001:db8::1", ERR_INVAL, NULL, 0 },
		{ "[2001:db8::1]x", ERR_INVAL, NULL, 0 },
		{ "[]:443", ERR_INVAL, NULL, 0 },
		{ "a b", ERR_INVAL, NULL, 0 },
		{ "host\nroute-nopull", ERR_INVAL, NULL, 0 },
		{ "host\"", ERR_INVAL, NULL, 0 },
		{ "-host", ERR_INVAL, NULL, 0 },
		{ "h#", ERR_INVAL, NULL, 0 },
	};
	struct profile_remote r;
	enum profile_proto pr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = profile_parse_remote(t[i].arg, 1194, &r);

		if (got != t[i].r)
			fail_msg("remote '%s': got %d want %d", t[i].arg, got, t[i].r);
		if (got == 0) {
			assert_string_equal(r.host, t[i].host);
			assert_int_equal(r.port, t[i].port);
		}
	}
	{
		uint16_t port;

		assert_int_equal(profile_parse_port("1", &port), 0);
		assert_int_equal(port, 1);
		assert_int_equal(profile_parse_port("65535", &port), 0);
		assert_int_equal(port, 65535);
		assert_int_equal(profile_parse_port("65536", &port), ERR_INVAL);
		assert_int_equal(profile_parse_port("0", &port), ERR_INVAL);
		assert_int_equal(profile_parse_port("", &port), ERR_INVAL);
		assert_int_equal(profile_parse_port("-1", &port), ERR_INVAL);
		assert_int_equal(profile_parse_port("99999", &port), ERR_INVAL);
		assert_int_equal(profile_parse_port("1194 ", &port), ERR_INVAL);
	}
	assert_int_equal(profile_parse_proto("udp", &pr), 0);
	assert_int_equal(pr, PROFILE_UDP);
	assert_int_equal(profile_parse_proto("tcp", &pr), 0);
	assert_int_equal(pr, PROFILE_TCP);
	assert_int_equal(profile_parse_proto("udp6", &pr), ERR_INVAL);
}

static void
fill_profile(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "alice";
	assert_int_equal(profile_parse_remote("192.0.2.1", 1194, &p->remotes[0]), 0);
	assert_int_equal(profile_parse_remote("[2001:db8::1]:443", 1194, &p->remotes[1]), 0);
	p->nremotes = 2;
	p->proto = PROFILE_UDP;
	p->server_cn = "server";
	p->ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
	p->cert_pem = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----";  /* no final newline */
	p->key_pem = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
	p->tc2_pem = "-----BEGIN OpenVPN tls-crypt-v2 client key-----\nTC2\n"
	    "-----END OpenVPN tls-crypt-v2 client key-----\n";
}

static void
test_profile_golden(void **state)
{
	static const char golden[] =
	    "# OpenVPN client profile for alice, made by ovpn-pki.\n"
	    "# It holds alice's private key: keep it as secret as a password.\n"
	    "client\n"
	    "dev tun\n"
	    "proto udp\n"
	    "remote 192.0.2.1 1194\n"
	    "remote 2001:db8::1 443\n"
	    "nobind\n"
	    "remote-cert-tls server\n"
	    "verify-x509-name server name\n"
	    "data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n"
	    "verb 3\n"
	    "<ca>\n-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n</ca>\n"
	    "<cert>\n-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n</cert>\n"
	    "<key>\n-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n</key>\n"
	    "<tls-crypt-v2>\n-----BEGIN OpenVPN tls-crypt-v2 client key-----\nTC2\n"
	    "-----END OpenVPN tls-crypt-v2 client key-----\n</tls-crypt-v2>\n";
	struct profile p;
	char *out;
	size_t len;

	(void)state;
	fill_profile(&p);
	assert_int_equal(profile_write(&p, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_string_equal(out, golden);
	free(out);

	/* TCP, auth-user-pass, no tls-crypt-v2 block */
	p.proto = PROFILE_TCP;
	p.auth_user_pass = true;
	p.tc2_pem = NULL;
	assert_int_equal(profile_write(&p, &out, &len), 0);
	assert_non_null(strstr(out, "\nproto tcp-client\n"));
	assert_non_null(strstr(out, "\ndata-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n"
	    "auth-user-pass\nverb 3\n"));
	assert_null(strstr(out, "tls-crypt-v2"));
	free(out);
}

static void
test_profile_refusals(void **state)
{
	struct profile p;
	char *out;
	size_t len;

	(void)state;
	fill_profile(&p);
	p.nremotes = 0;
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
	assert_null(out);
	fill_profile(&p);
	p.key_pem = "-----BEGIN PRIVATE KEY-----\n</key>\nscript-security 3\n<key>\n";
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
	fill_profile(&p);
	p.server_cn = "server name\nup /bin/sh";
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
	fill_profile(&p);
	p.name = "alice\nscript-security 3";
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
	fill_profile(&p);
	p.ca_pem = "";
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
	fill_profile(&p);
	strcpy(p.remotes[1].host, "a b");
	assert_int_equal(profile_write(&p, &out, &len), ERR_INVAL);
}

/* ---- tckey ---- */

static void
test_tckey_files_parse(void **state)
{
	uint8_t mem[TCKEY_TEXT_MAX], smem[TCKEY_TEXT_MAX], meta[TCKEY_META_TIMESTAMP_LEN];
	uint8_t got_meta[TLSWRAP_META_MAX], pkt[64 + KEYFILE_WKC_MAX];
	struct keyfile_static k;
	struct keyfile_v2_server sk;
	struct keyfile_v2_client ck;
	struct tlswrap w;
	struct wbuf b, sb;
	size_t inner, mlen;

	(void)state;
	wbuf_init(&b, mem, sizeof(mem));
	assert_int_equal(tckey_static_new(&b), 0);
	assert_int_equal(keyfile_parse_static((char *)mem, b.len, &k), 0);
	assert_memory_equal(mem, "#\n# 2048 bit OpenVPN static key\n#\n", 34);

	wbuf_init(&sb, smem, sizeof(smem));
	assert_int_equal(tckey_v2_server_new(&sb), 0);
	assert_int_equal(keyfile_parse_v2_server((char *)smem, sb.len, &sk), 0);

	/* client key with 2.6's default timestamp metadata, unwrapped by the server key */
	tckey_meta_timestamp(INT64_C(0x0102030405060708), meta);
	assert_memory_equal(meta, "\x01\x01\x02\x03\x04\x05\x06\x07\x08", 9);
	wbuf_init(&b, mem, sizeof(mem));
	assert_int_equal(tckey_v2_client_new((char *)smem, sb.len, meta, sizeof(meta), &b), 0);
	assert_int_equal(keyfile_parse_v2_client((char *)mem, b.len, &ck), 0);
	assert_int_equal(ck.wkc_len, 299);  /* as 2.6's default client keys */
	memset(pkt, 0, 64);
	pkt[0] = 0x50;  /* P_CONTROL_HARD_RESET_CLIENT_V3, key id 0 */
	memcpy(pkt + 64, ck.wkc, ck.wkc_len);
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 64 + ck.wkc_len, &inner, &w, got_meta,
	    sizeof(got_meta), &mlen), 0);
	assert_int_equal(inner, 64);
	assert_int_equal(mlen, 9);
	assert_memory_equal(got_meta, meta, 9);
	assert_memory_equal(w.key, ck.kc, sizeof(ck.kc));
	tlswrap_free(&w);

	/* a wrong server key does not unwrap it */
	wbuf_init(&b, mem, sizeof(mem));
	assert_int_equal(tckey_v2_server_new(&b), 0);
	assert_int_equal(keyfile_parse_v2_server((char *)mem, b.len, &sk), 0);
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 64 + ck.wkc_len, &inner, &w, NULL, 0, NULL),
	    ERR_AUTH);
	tlswrap_free(&w);

	/* a bad server key file and oversized metadata are refused */
	wbuf_init(&b, mem, sizeof(mem));
	assert_int_equal(tckey_v2_client_new("junk", 4, meta, sizeof(meta), &b), ERR_MALFORMED);
	assert_int_equal(tckey_v2_client_new((char *)smem, sb.len, pkt, TLSWRAP_META_MAX + 1, &b),
	    ERR_RANGE);
	/* too small an output buffer */
	wbuf_init(&b, mem, 100);
	assert_int_equal(tckey_static_new(&b), ERR_OVERFLOW);
	keyfile_wipe(&k, sizeof(k));
	keyfile_wipe(&sk, sizeof(sk));
	keyfile_wipe(&ck, sizeof(ck));
}

/* Known answer: the metadata 2.6 wrapped into tc2-client-meta.key for this base64. */
static void
test_tckey_meta_user_vector(void **state)
{
	struct keyfile_v2_server sk;
	struct keyfile_v2_client ck;
	struct tlswrap w;
	uint8_t pkt[64 + KEYFILE_WKC_MAX], want[TLSWRAP_META_MAX], got[TLSWRAP_META_MAX];
	size_t len, inner, want_len, got_len;
	char *text;

	(void)state;
	text = slurp(TEST_DATA_DIR "/keys/tc2-server.key", &len);
	assert_int_equal(keyfile_parse_v2_server(text, len, &sk), 0);
	free(text);
	text = slurp(TEST_DATA_DIR "/keys/tc2-client-meta.key", &len);
	assert_int_equal(keyfile_parse_v2_client(text, len, &ck), 0);
	free(text);
	memset(pkt, 0, 64);
	pkt[0] = 0x50;
	memcpy(pkt + 64, ck.wkc, ck.wkc_len);
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 64 + ck.wkc_len, &inner, &w, want,
	    sizeof(want), &want_len), 0);
	tlswrap_free(&w);

	/* printf 'ovpn-endpoint test metadata' | base64 -w0 */
	assert_int_equal(tckey_meta_user("b3Zwbi1lbmRwb2ludCB0ZXN0IG1ldGFkYXRh", got, sizeof(got),
	    &got_len), 0);
	assert_int_equal(got_len, want_len);
	assert_int_equal(got_len, 28);
	assert_memory_equal(got, want, want_len);

	/* padding, empty, refusals */
	assert_int_equal(tckey_meta_user("YQ==", got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, 2);
	assert_memory_equal(got, "\x00" "a", 2);
	assert_int_equal(tckey_meta_user("YWI=", got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, 3);
	assert_int_equal(tckey_meta_user("", got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, 1);
	assert_int_equal(got[0], TLSWRAP_META_USER);
	assert_int_equal(tckey_meta_user("YQ=", got, sizeof(got), &got_len), ERR_MALFORMED);
	assert_int_equal(tckey_meta_user("Y===", got, sizeof(got), &got_len), ERR_MALFORMED);
	assert_int_equal(tckey_meta_user("Y=Q=", got, sizeof(got), &got_len), ERR_MALFORMED);
	assert_int_equal(tckey_meta_user("YW\nI", got, sizeof(got), &got_len), ERR_MALFORMED);
	assert_int_equal(tckey_meta_user("YWJj", got, 3, &got_len), ERR_RANGE);
	{
		/* 733 bytes fit (with the type byte, 2.6's maximum); 734 do not */
		char b64[1100];
		size_t i;

		for (i = 0; i < 976; i++)
			b64[i] = 'A';
		strcpy(b64 + 976, "AA==");  /* 245 groups: 735 - 2 = 733 bytes */
		assert_int_equal(tckey_meta_user(b64, got, sizeof(got), &got_len), 0);
		assert_int_equal(got_len, TLSWRAP_META_MAX);
		strcpy(b64 + 976, "AAA=");  /* 734 */
		assert_int_equal(tckey_meta_user(b64, got, sizeof(got), &got_len), ERR_RANGE);
	}
	keyfile_wipe(&sk, sizeof(sk));
	keyfile_wipe(&ck, sizeof(ck));
}

/* ---- ca ---- */

static int
verify(X509 *ca, X509 *leaf, X509_CRL *crl, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_non_null(st);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	if (crl != NULL) {
		assert_int_equal(X509_STORE_add_crl(st, crl), 1);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx) == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

static void
check_algo(enum ca_algo algo, uint32_t server_ku)
{
	EVP_PKEY *ck, *sk, *lk;
	X509 *ca, *srv, *cli;
	X509_CRL *crl;
	struct ca_req req = { .kind = CA_KIND_ROOT, .cn = "Test CA", .not_before = 1700000000,
			      .not_after = 4000000000 };
	struct ca_revoked rv;
	const ASN1_INTEGER *sn;
	char *pem;
	size_t len;
	int64_t na;

	assert_int_equal(ca_keygen(algo, &ck), 0);
	assert_int_equal(ca_serial_random(req.serial), 0);
	assert_int_equal(ca_sign(&req, ck, NULL, NULL, &ca), 0);
	assert_true(X509_check_ca(ca) >= 1);
	assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);

	req.kind = CA_KIND_SERVER;
	req.cn = "server";
	req.sans[0] = "IP:192.0.2.1";
	req.sans[1] = "DNS:vpn.example.com";
	req.nsans = 2;
	assert_int_equal(ca_serial_random(req.serial), 0);
	assert_int_equal(ca_keygen(algo, &sk), 0);
	assert_int_equal(ca_sign(&req, sk, ca, ck, &srv), 0);
	assert_int_equal(verify(ca, srv, NULL, X509_PURPOSE_SSL_SERVER), 0);
	assert_int_equal(X509_get_key_usage(srv), server_ku);
	assert_int_equal(X509_get_extended_key_usage(srv), XKU_SSL_SERVER);
	assert_int_not_equal(verify(ca, srv, NULL, X509_PURPOSE_SSL_CLIENT), 0);
	assert_true(X509_check_host(srv, "server", 0, 0, NULL) == 1);
	assert_true(X509_check_host(srv, "vpn.example.com", 0, 0, NULL) == 1);
	assert_true(X509_check_ip_asc(srv, "192.0.2.1", 0) == 1);
	assert_true(ca_key_matches(srv, sk));
	assert_false(ca_key_matches(srv, ck));
	assert_int_equal(ca_not_after(srv, &na), 0);
	assert_int_equal(na, 4000000000);
	/* the serial is positive and 16 bytes long */
	sn = X509_get0_serialNumber(srv);
	assert_int_equal(ASN1_STRING_length(sn), 16);
	assert_int_equal(ASN1_STRING_get0_data(sn)[0] & 0xc0, 0x40);

	req.kind = CA_KIND_CLIENT;
	req.cn = "alice";
	req.nsans = 0;
	assert_int_equal(ca_serial_random(req.serial), 0);
	assert_int_equal(ca_keygen(algo, &lk), 0);
	assert_int_equal(ca_sign(&req, lk, ca, ck, &cli), 0);
	assert_int_equal(verify(ca, cli, NULL, X509_PURPOSE_SSL_CLIENT), 0);
	assert_int_equal(X509_get_key_usage(cli), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(cli), XKU_SSL_CLIENT);
	assert_int_not_equal(verify(ca, cli, NULL, X509_PURPOSE_SSL_SERVER), 0);

	/* CRL: revoking alice's serial refuses alice only */
	memcpy(rv.serial, req.serial, sizeof(rv.serial));
	/* (the verifier checks the CRL against the real clock) */
	rv.when = (int64_t)time(NULL);
	assert_int_equal(ca_crl(ca, ck, &rv, 1, rv.when, rv.when + 180 * 86400, &crl), 0);
	assert_int_equal(X509_CRL_verify(crl, ck), 1);
	assert_int_equal(verify(ca, srv, crl, X509_PURPOSE_SSL_SERVER), 0);
	assert_int_equal(verify(ca, cli, crl, X509_PURPOSE_SSL_CLIENT), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(ca_pem_crl(crl, &pem, &len), 0);
	assert_non_null(strstr(pem, "-----BEGIN X509 CRL-----"));
	free(pem);
	X509_CRL_free(crl);
	assert_int_equal(ca_crl(ca, ck, NULL, 0, 1750000000, 1750000000, &crl), ERR_INVAL);

	/* PEM round trips; keys are PKCS#8 */
	assert_int_equal(ca_pem_key(lk, &pem, &len), 0);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	{
		EVP_PKEY *back;

		assert_int_equal(ca_load_key(pem, len, &back), 0);
		assert_true(ca_key_matches(cli, back));
		EVP_PKEY_free(back);
	}
	free(pem);
	assert_int_equal(ca_pem_cert(cli, &pem, &len), 0);
	{
		X509 *back;
		EVP_PKEY *nokey;

		assert_int_equal(ca_load_cert(pem, len, &back), 0);
		assert_int_equal(X509_cmp(back, cli), 0);
		X509_free(back);
		assert_int_equal(ca_load_cert("junk", 4, &back), ERR_MALFORMED);
		assert_int_equal(ca_load_key(pem, len, &nokey), ERR_MALFORMED);  /* a certificate */
	}
	free(pem);

	X509_free(cli);
	X509_free(srv);
	X509_free(ca);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
}

static void
test_ca_ec(void **state)
{
	(void)state;
	check_algo(CA_ALGO_EC, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
}

static void
test_ca_rsa(void **state)
{
	(void)state;
	check_algo(CA_ALGO_RSA2048, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
}

static void
test_ca_ed25519(void **state)
{
	(void)state;
	check_algo(CA_ALGO_ED25519, KU_DIGITAL_SIGNATURE);
}

static void
test_ca_refusals(void **state)
{
	static const struct { const char *san; bool ok; } t[] = {
		{ "DNS:vpn.example.com", true }, { "DNS:*.example.com", true }, { "IP:192.0.2.1", true },
		{ "IP:2001:db8::1", true }, { "DNS:", false }, { "DNS:a b", false },
		{ "DNS:a,IP:1.2.3.4", false }, { "IP:300.1.1.1", false }, { "IP:host", false },
		{ "email:a@b", false }, { "URI:http://x", false }, { "dns:x", false },
	};
	struct ca_req req = { .kind = CA_KIND_CLIENT, .cn = "alice", .not_before = 2, .not_after = 1 };
	enum ca_algo a;
	EVP_PKEY *k;
	X509 *x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ca_san_valid(t[i].san) != t[i].ok)
			fail_msg("san '%s': want %d", t[i].san, t[i].ok);
	assert_int_equal(ca_algo_parse("rsa4096", &a), 0);
	assert_int_equal(a, CA_ALGO_RSA4096);
	assert_int_equal(ca_algo_parse("rsa1024", &a), ERR_INVAL);
	assert_int_equal(ca_algo_parse("EC", &a), ERR_INVAL);
	assert_int_equal(ca_keygen(CA_ALGO_EC, &k), 0);
	assert_int_equal(ca_algo_of(k, &a), 0);
	assert_int_equal(a, CA_ALGO_EC);
	/* backwards validity, no issuer, a SAN on a client, an empty CN */
	assert_int_equal(ca_sign(&req, k, NULL, NULL, &x), ERR_INVAL);
	req.not_after = 3;
	assert_int_equal(ca_sign(&req, k, NULL, NULL, &x), ERR_INVAL);
	req.kind = CA_KIND_ROOT;
	req.cn = "";
	assert_int_equal(ca_sign(&req, k, NULL, NULL, &x), ERR_INVAL);
	assert_null(x);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_store_path),
		cmocka_unit_test(test_index_round_trip),
		cmocka_unit_test(test_index_hostile),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_store_open_and_index_files),
		cmocka_unit_test(test_remote_parse),
		cmocka_unit_test(test_profile_golden),
		cmocka_unit_test(test_profile_refusals),
		cmocka_unit_test(test_tckey_files_parse),
		cmocka_unit_test(test_tckey_meta_user_vector),
		cmocka_unit_test(test_ca_ec),
		cmocka_unit_test(test_ca_rsa),
		cmocka_unit_test(test_ca_ed25519),
		cmocka_unit_test(test_ca_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
