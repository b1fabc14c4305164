/*
 * test_conf_server.c - the server directive table and struct server_conf.
 *
 * Golden tests (bgpd regress/config style): every t/conf/NN-name.conf is
 * loaded; the normalised config (conf_server_print) or the error message,
 * with TEST_CONF_DIR/ stripped, must equal NN-name.ok byte for byte.  A
 * config that loads is printed, re-parsed and printed again, which must give
 * the same text (round trip).  To regenerate the .ok files after a deliberate
 * change: OVPN_GOLDEN_UPDATE=1 ./t/unit/test_conf_server, then review the diff.
 *
 * The PEM files under t/conf/data are placeholders: the parser reads files,
 * it does not decode them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "conf_server.h"
#include "err.h"

#ifndef TEST_CONF_DIR
#error "TEST_CONF_DIR must be defined by the build"
#endif

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Remove every "TEST_CONF_DIR/" so messages do not depend on the checkout path. */
static void
strip_dir(char *s)
{
	const char *dir = TEST_CONF_DIR "/";
	size_t dl = strlen(dir), r = 0, w = 0;

	while (s[r] != '\0') {
		if (strncmp(s + r, dir, dl) == 0) {
			r += dl;
			continue;
		}
		s[w++] = s[r++];
	}
	s[w] = '\0';
}

static char *
print_conf(const struct server_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_server_print(f, c);
	fclose(f);
	return buf;
}

/* Result of loading one file, as the .ok file holds it. */
static char *
golden_text(const char *path, bool *ok)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];
	char *out;
	int r;

	memset(err, 0, sizeof(err));
	r = conf_server_load(path, &c, err, sizeof(err));
	*ok = r == 0;
	if (r == 0) {
		out = print_conf(&c);
		conf_server_free(&c);
	} else {
		assert_int_equal(r, ERR_CONFIG);
		assert_true(err[0] != '\0');
		/* failure leaves a zeroed struct behind */
		assert_null(c.file);
		assert_null(c.ca.data);
		assert_int_equal(asprintf(&out, "ERROR: %s\n", err) > 0, 1);
	}
	strip_dir(out);
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
roundtrip(const char *path, const char *printed)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];
	char *again;

	if (conf_server_load_buf(path, printed, strlen(printed), &c, err, sizeof(err)) != 0)
		fail_msg("%s: printed config does not re-parse: %s\n--\n%s", path, err, printed);
	again = print_conf(&c);
	strip_dir(again);
	if (strcmp(again, printed) != 0)
		fail_msg("%s: round trip differs:\n--first\n%s--second\n%s", path, printed, again);
	free(again);
	conf_server_free(&c);
}

/* The same file through the buffer entry point must give the same result. */
static void
same_via_buf(const char *path, const char *want)
{
	struct server_conf c;
	char err[CONF_ERR_MAX], *text, *out;
	size_t len;

	text = slurp(path, &len);
	assert_non_null(text);
	if (conf_server_load_buf(path, text, len, &c, err, sizeof(err)) == 0) {
		out = print_conf(&c);
		conf_server_free(&c);
	} else
		assert_int_equal(asprintf(&out, "ERROR: %s\n", err) > 0, 1);
	strip_dir(out);
	if (strcmp(out, want) != 0)
		fail_msg("%s: file and buffer loads differ:\n%s--\n%s", path, want, out);
	free(out);
	free(text);
}

static void
test_golden(void **state)
{
	DIR *d = opendir(TEST_CONF_DIR);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i, nok = 0;
	bool update = getenv("OVPN_GOLDEN_UPDATE") != NULL;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0 && de->d_name[0] >= '0' &&
		    de->d_name[0] <= '9') {
			assert_true(n < sizeof(names) / sizeof(names[0]));
			names[n++] = strdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	/* guard against a vacuous pass (wrong directory, files lost) */
	assert_true(n >= 30);

	for (i = 0; i < n; i++) {
		char conf[4096], okp[4096], *got, *want;
		size_t wl;
		bool ok;

		snprintf(conf, sizeof(conf), "%s/%s", TEST_CONF_DIR, names[i]);
		snprintf(okp, sizeof(okp), "%s/%.*s.ok", TEST_CONF_DIR,
		    (int)(strlen(names[i]) - 5), names[i]);
		got = golden_text(conf, &ok);
		if (update) {
			FILE *f = fopen(okp, "wb");

			assert_non_null(f);
			fputs(got, f);
			fclose(f);
		}
		want = slurp(okp, &wl);
		if (want == NULL)
			fail_msg("%s: missing %s", names[i], okp);
		if (strcmp(got, want) != 0)
			fail_msg("%s: output differs from .ok\n--got\n%s--want\n%s", names[i], got, want);
		same_via_buf(conf, want);
		if (ok) {
			roundtrip(conf, got);
			nok++;
		}
		free(got);
		free(want);
		free(names[i]);
	}
	/* both kinds must be present */
	assert_true(nok >= 5);
	assert_true(n - nok >= 25);
}

static void
test_table_sorted(void **state)
{
	size_t n, i;
	const struct conf_directive *t = conf_server_table(&n);

	(void)state;
	assert_true(n > 30);
	assert_true(conf_table_check(t, n));
	for (i = 0; i < n; i++) {
		assert_true(t[i].scope & CONF_SCOPE_SERVER);
		assert_ptr_equal(conf_lookup(t, n, t[i].name), &t[i]);
	}
	/* exactly the blob directives take inline blocks, plus the ones we reject anyway */
	assert_true(conf_lookup(t, n, "ca")->inline_ok);
	assert_true(conf_lookup(t, n, "dh")->inline_ok);
	assert_false(conf_lookup(t, n, "port")->inline_ok);
}

static const char minimal[] =
    "dev tun\ntopology subnet\nserver 10.8.0.0 255.255.255.0\n"
    "<ca>\nCA\n</ca>\n<cert>\nCERT\n</cert>\n<key>\nKEY\n</key>\ndh none\n";

static int
load_text(const char *extra, struct server_conf *c, char *err, size_t errlen)
{
	char text[8192];

	snprintf(text, sizeof(text), "%s%s", minimal, extra);
	return conf_server_load_buf("x.conf", text, strlen(text), c, err, errlen);
}

static void
expect_err(const char *extra, const char *msg)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];

	assert_int_equal(load_text(extra, &c, err, sizeof(err)), ERR_CONFIG);
	if (strcmp(err, msg) != 0)
		fail_msg("got '%s'\nwant '%s'", err, msg);
}

static void
test_defaults(void **state)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];
	char s[ADDR_STR_MAX];

	(void)state;
	assert_int_equal(load_text("", &c, err, sizeof(err)), 0);
	/* 2.6 defaults, doc section 12 */
	assert_int_equal(c.port, 1194);
	assert_string_equal(c.proto, "udp");
	assert_int_equal(c.family, AF_INET);
	assert_false(c.has_local);
	assert_string_equal(c.dev, "tun");
	assert_int_equal(c.verb, 1);
	assert_int_equal(c.n_data_ciphers, 3);
	assert_string_equal(c.data_ciphers[0], "AES-256-GCM");
	assert_string_equal(c.data_ciphers[1], "AES-128-GCM");
	assert_string_equal(c.data_ciphers[2], "CHACHA20-POLY1305");
	assert_string_equal(c.data_ciphers_fallback, "");
	assert_int_equal(c.max_clients, 1024);
	assert_int_equal(c.explicit_exit_notify, 0);
	assert_int_equal(c.tun_mtu, 1500);
	assert_int_equal(c.reneg_sec, 3600);
	assert_int_equal(c.hand_window, 60);
	assert_int_equal(c.tls_timeout, 2);
	assert_int_equal(c.replay_window, 64);
	assert_int_equal(c.replay_time, 15);
	assert_int_equal(c.tls_version_min, 0);
	assert_int_equal(c.keepalive_ping, 0);
	assert_int_equal(c.keepalive_restart, 0);
	assert_int_equal(c.n_push, 0);
	assert_int_equal(c.mute, 0);
	/* `server` implies mode server + tls-server */
	assert_true(c.mode_server);
	assert_true(c.tls_server);
	assert_int_equal(c.server_net.len, 24);
	assert_int_equal(addr_format(&c.server_net.a, s, sizeof(s)), 0);
	assert_string_equal(s, "10.8.0.0");
	/* inline blobs */
	assert_true(c.ca.is_inline);
	assert_null(c.ca.path);
	assert_string_equal(c.ca.data, "CA\n");
	assert_int_equal(c.ca.len, 3);
	assert_string_equal(c.key.data, "KEY\n");
	assert_true(c.dh_none);
	assert_null(c.dh.data);
	assert_string_equal(c.file, "x.conf");
	conf_server_free(&c);
	assert_null(c.key.data);
	assert_null(c.file);
	conf_server_free(&c);   /* twice is harmless */
}

static void
test_values(void **state)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];

	(void)state;
	assert_int_equal(load_text("keepalive 10 60\nexplicit-exit-notify\n"
	    "data-ciphers chacha20-poly1305:?BF-CBC:AES-128-GCM:aes-128-gcm\n"
	    "data-ciphers-fallback Aes-256-Gcm\nproto udp6\nreplay-window 1024\n"
	    "tls-version-min 1.2\nremote-cert-tls client\npush \"route 10.1.0.0 255.255.0.0\"\n"
	    "push \"dhcp-option DNS 10.8.0.1\"\nmax-clients 16777214\ndev tun3\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.keepalive_ping, 10);
	assert_int_equal(c.keepalive_restart, 60);
	assert_int_equal(c.explicit_exit_notify, 1);
	assert_int_equal(c.n_data_ciphers, 2);
	assert_string_equal(c.data_ciphers[0], "CHACHA20-POLY1305");
	assert_string_equal(c.data_ciphers[1], "AES-128-GCM");
	assert_string_equal(c.data_ciphers_fallback, "AES-256-GCM");
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.replay_window, 1024);
	assert_int_equal(c.replay_time, 15);
	assert_int_equal(c.tls_version_min, 12);
	assert_false(c.tls_version_min_or_highest);
	assert_true(c.remote_cert_tls_client);
	assert_int_equal(c.n_push, 2);
	assert_string_equal(c.push[0], "route 10.1.0.0 255.255.0.0");
	assert_string_equal(c.push[1], "dhcp-option DNS 10.8.0.1");
	assert_int_equal(c.max_clients, 16777214);
	assert_string_equal(c.dev, "tun3");
	conf_server_free(&c);

	/* proto udp follows an IPv6 `local` (2.6 resolves with AF_UNSPEC) */
	assert_int_equal(load_text("local 2001:db8::1\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.family, AF_INET6);
	conf_server_free(&c);
	assert_int_equal(load_text("local 192.0.2.1\nproto udp4\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.family, AF_INET);
	conf_server_free(&c);
	/* mask bounds: /16 and /29 are both fine */
	assert_int_equal(load_text("server 10.8.0.0 255.255.0.0\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.server_net.len, 16);
	conf_server_free(&c);
	assert_int_equal(load_text("server 10.8.0.8 255.255.255.248\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.server_net.len, 29);
	conf_server_free(&c);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_err("port 99999\n", "x.conf:14: port: '99999' is not a port number (1-65535)");
	expect_err("keepalive 10 19\n", "x.conf:14: keepalive: the restart timeout (19) must be at "
	    "least twice the ping interval (10); the usual setting is 'keepalive 10 60'");
	expect_err("keepalive 0 10\n", "x.conf:14: keepalive: '0' is not a number (1-86400)");
	expect_err("server 10.8.0.0 255.255.255.0 pool\n",
	    "x.conf:14: server: 'pool' is not a recognized flag (only 'nopool')");
	expect_err("server 0.0.0.0 255.255.0.0\n", "x.conf:14: server: network 0.0.0.0 is not allowed");
	expect_err("server 2001:db8:: 255.255.0.0\n",
	    "x.conf:14: server: '2001:db8::' is not an IPv4 network address");
	expect_err("server 10.8.0.0 24\n", "x.conf:14: server: '24' is not an IPv4 netmask");
	expect_err("data-ciphers ?BF-CBC\n", "x.conf:14: data-ciphers: no usable cipher in '?BF-CBC'");
	expect_err("data-ciphers-fallback BF-CBC\n", "x.conf:14: data-ciphers-fallback: unknown or "
	    "unsupported cipher 'BF-CBC' (supported: AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305)");
	expect_err("replay-window 1025\n", "x.conf:14: replay-window: '1025' is not a number (0-1024)");
	expect_err("replay-window 64 601\n", "x.conf:14: replay-window: '601' is not a number (0-600)");
	expect_err("tls-version-min 1.1\n",
	    "x.conf:14: tls-version-min: TLS 1.1 is not supported (use 1.2 or 1.3)");
	expect_err("tls-version-min 1.2 or-lowest\n",
	    "x.conf:14: tls-version-min: 'or-lowest' is not 'or-highest'");
	expect_err("verify-client-cert optional\n",
	    "x.conf: verify-client-cert optional leaves clients unauthenticated without "
	    "'auth-user-pass-verify'");
	expect_err("auth-user-pass-verify /bin/true via-env\nscript-security 2\n",
	    "x.conf: auth-user-pass-verify via-env needs 'script-security 3' (2.6 refuses it "
	    "too: it puts the password in the script's environment)");
	expect_err("topology star\n", "x.conf:14: topology: unknown topology 'star' (subnet, net30 or p2p)");
	expect_err("proto tcp4-client\n", "x.conf:14: proto: 'tcp4-client' is for clients; a server uses tcp-server");
	expect_err("proto sctp\n", "x.conf:14: proto: unknown protocol 'sctp'");
	expect_err("dev-type tap\n", "x.conf:14: dev-type: 'tap' is not supported yet (only tun)");
	expect_err("dev a/b\n", "x.conf:14: dev: 'a/b' is not a valid interface name");
	expect_err("dev 0123456789abcdef\n",
	    "x.conf:14: dev: '0123456789abcdef' is not a valid interface name (1-15 characters)");
	expect_err("dev wg0\n", "x.conf: cannot tell the type of device 'wg0': add 'dev-type tun'");
	expect_err("local vpn.example.com\n",
	    "x.conf:14: local: 'vpn.example.com' is not an IP address (host names are not supported)");
	expect_err("proto udp6\nlocal 192.0.2.1\n",
	    "x.conf: 'local' is an IPv4 address but 'proto udp6' is IPv6-only");
	expect_err("reneg-sec 60 120\n", "x.conf:14: reneg-sec: the minimum (120) is above the maximum (60)");
	expect_err("push \"\"\n", "x.conf:14: push: empty option");
	expect_err("max-clients 0\n", "x.conf:14: max-clients: '0' is not a number (1-16777214)");
	expect_err("tun-mtu 50\n", "x.conf:14: tun-mtu: '50' is not a number (100-9000)");
	expect_err("verb 12\n", "x.conf:14: verb: '12' is not a number (0-11)");
	expect_err("status-version 4\n", "x.conf:14: status-version: '4' is not a number (1-3)");
	expect_err("management 127.0.0.1 0\n", "x.conf:14: management: '0' is not a number (1-65535)");
	expect_err("management /x stdin\n", "x.conf:14: management: '/x' is not an IP address (or use 'management PATH unix')");
	expect_err("client-connect /bin/true\n", "x.conf: client-connect needs 'script-security 2' (2.6 refuses it too: it runs a script)");
	expect_err("<dh>\nA\n", "x.conf:14: inline <dh> block has no closing </dh>");
	expect_err("cert /nonexistent/dir/x.crt\n",
	    "x.conf:14: cert: cannot read '/nonexistent/dir/x.crt': No such file or directory");
	expect_err("ca /\n", "x.conf:14: ca: cannot read '/': not a regular file");
	expect_err("key /dev/null\n", "x.conf:14: key: cannot read '/dev/null': not a regular file");
}

static void
test_blob_files(void **state)
{
	struct server_conf c;
	char err[CONF_ERR_MAX], text[1024], name[512];
	char path[] = "/tmp/test_conf_server_XXXXXX";
	int fd;

	(void)state;
	/* relative paths resolve against the config's directory */
	snprintf(name, sizeof(name), "%s/virtual.conf", TEST_CONF_DIR);
	snprintf(text, sizeof(text), "%sca data/ca.crt\ndh data/dh.pem\n", minimal);
	assert_int_equal(conf_server_load_buf(name, text, strlen(text), &c, err, sizeof(err)), 0);
	assert_string_equal(c.ca.path, "data/ca.crt");
	assert_false(c.ca.is_inline);
	assert_non_null(strstr(c.ca.data, "BEGIN CERTIFICATE"));
	assert_int_equal(strlen(c.ca.data), c.ca.len);
	assert_false(c.dh_none);
	assert_non_null(strstr(c.dh.data, "DH PARAMETERS"));
	conf_server_free(&c);
	/* a name without a directory: relative to the current directory */
	assert_int_equal(chdir(TEST_CONF_DIR), 0);
	assert_int_equal(conf_server_load_buf("virtual.conf", text, strlen(text), &c, err,
	    sizeof(err)), 0);
	conf_server_free(&c);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(conf_server_load_buf("virtual.conf", text, strlen(text), &c, err,
	    sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "virtual.conf:14: ca: cannot read 'data/ca.crt': "
	    "No such file or directory");

	/* empty file and a file with a NUL */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text), "%sca %s\n", minimal, path);
	assert_int_equal(load_text(text + strlen(minimal), &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "' is empty"));
	assert_int_equal(write(fd, "AB\0CD", 5), 5);
	close(fd);
	assert_int_equal(load_text(text + strlen(minimal), &c, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "x.conf:14: ca: contains a NUL byte (PEM text expected)");
	unlink(path);
}

static void
test_push_caps(void **state)
{
	struct server_conf c;
	char err[CONF_ERR_MAX];
	size_t cap = (CONF_MAX_PUSH + 1) * 16 + sizeof(minimal);
	char *text = malloc(cap);
	size_t off;
	unsigned i;

	(void)state;
	assert_non_null(text);
	off = (size_t)snprintf(text, cap, "%s", minimal);
	for (i = 0; i < CONF_MAX_PUSH; i++)
		off += (size_t)snprintf(text + off, cap - off, "push \"p%u\"\n", i);
	assert_int_equal(conf_server_load_buf("x.conf", text, off, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_push, CONF_MAX_PUSH);
	assert_string_equal(c.push[CONF_MAX_PUSH - 1], "p255");
	conf_server_free(&c);
	off += (size_t)snprintf(text + off, cap - off, "push \"one-too-many\"\n");
	assert_int_equal(conf_server_load_buf("x.conf", text, off, &c, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "push: more than 256 push lines"));
	free(text);
}

static void
test_small_err_buffer(void **state)
{
	struct server_conf c;
	char err[8];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_int_equal(load_text("frob\n", &c, err, sizeof(err)), ERR_CONFIG);
	assert_string_equal(err, "x.conf:");
	/* NULL error buffer is allowed */
	assert_int_equal(load_text("frob\n", &c, NULL, 0), ERR_CONFIG);
}

static void
test_print_hides_keys(void **state)
{
	struct server_conf c;
	char err[CONF_ERR_MAX], *out;

	(void)state;
	assert_int_equal(load_text("", &c, err, sizeof(err)), 0);
	out = print_conf(&c);
	assert_null(strstr(out, "KEY\n"));
	assert_null(strstr(out, "CERT\n"));
	assert_non_null(strstr(out, "<key>\n[inline]\n</key>\n"));
	free(out);
	conf_server_free(&c);
}

/* Random mutations of a valid config: never crash, always a clean result. */
static void
test_mutations(void **state)
{
	static const char alpha[] = " \t\r\n\"'\\#;<>/-0123456789abcxyz:.";
	struct server_conf c;
	char err[CONF_ERR_MAX], text[sizeof(minimal) + 64];
	uint32_t s = 0x9E3779B9;
	size_t len, k;
	int i, j, nok = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memcpy(text, minimal, sizeof(minimal));
		len = sizeof(minimal) - 1;
		for (j = 0; j < 3; j++) {
			s ^= s << 13, s ^= s >> 17, s ^= s << 5;
			k = s % len;
			s ^= s << 13, s ^= s >> 17, s ^= s << 5;
			switch (s % 3) {
			case 0:   /* replace */
				text[k] = alpha[(s >> 8) % (sizeof(alpha) - 1)];
				break;
			case 1:   /* delete */
				memmove(text + k, text + k + 1, len - k);
				len--;
				break;
			default:  /* duplicate */
				memmove(text + k + 1, text + k, len - k + 1);
				len++;
				break;
			}
		}
		err[0] = '\0';
		if (conf_server_load_buf("m.conf", text, len, &c, err, sizeof(err)) == 0) {
			nok++;
			conf_server_free(&c);
		} else
			assert_int_equal(strncmp(err, "m.conf", 6), 0);
	}
	/* some mutations are harmless (comments, blanks), most are not */
	assert_true(nok > 0 && nok < 20000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_blob_files),
		cmocka_unit_test(test_push_caps),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_print_hides_keys),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
