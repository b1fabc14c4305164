/*
 * test_tlswrap.c - tls-auth / tls-crypt / tls-crypt-v2 wrapping.
 *
 * Known answers come from the real binary: t/data/keys/<mode>.hex holds
 * the UDP payloads of complete handshakes between a stock OpenVPN 2.6.14
 * server and client (captured by t/data/keys/capture.sh in network
 * namespaces, see t/data/keys/README), made with the key files next to
 * them.  Every captured control packet must unwrap in order, in the right
 * direction only; re-wrapping its plain layout with the same replay id and
 * time must give the captured bytes exactly (wrapping is deterministic:
 * HMAC, and for tls-crypt an IV taken from the tag); and
 * tlswrap_v2_make_wkc() must reproduce the WKc that `openvpn --genkey`
 * wrote.  Around that: every one-bit flip fails authentication, every
 * truncation fails cleanly, a replay fails, a bad WKc is refused, and
 * failures leave nothing in the output buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "keyfile.h"
#include "mtime.h"
#include "proto.h"
#include "tlswrap.h"
#include "wire.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "t/data"
#endif

#define NOW MTIME_SEC(1000)

enum { VEC_MAX = 40 };

struct vpkt {
	bool c2s;
	size_t len;
	uint8_t d[CTL_PKT_MAX];
};

struct vec {
	size_t n;
	struct vpkt p[VEC_MAX];
};

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof(path), "%s/keys/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Captured control packets in capture order; data packets are skipped. */
static struct vec *
load_vec(const char *name)
{
	struct vec *v = calloc(1, sizeof(*v));
	size_t len, i;
	char *text = slurp(name, &len), *line, *save = NULL, dir[4], *hex;
	unsigned b;

	assert_non_null(v);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct vpkt *p;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%3s", dir), 1);
		hex = strchr(line, ' ');
		assert_non_null(hex);
		hex++;
		assert_true(v->n < VEC_MAX);
		p = &v->p[v->n];
		p->c2s = strcmp(dir, "c2s") == 0;
		p->len = strlen(hex) / 2;
		assert_true(p->len <= CTL_PKT_MAX);
		for (i = 0; i < p->len; i++) {
			assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
			p->d[i] = (uint8_t)b;
		}
		if (wire_is_control_opcode(wire_opcode(p->d[0])))
			v->n++;
	}
	free(text);
	assert_true(v->n >= 10);
	return v;
}

static void
load_static(uint8_t key[TLSWRAP_KEY_LEN])
{
	struct keyfile_static k;
	size_t len;
	char *t = slurp("static.key", &len);

	assert_int_equal(keyfile_parse_static(t, len, &k), 0);
	memcpy(key, k.key, TLSWRAP_KEY_LEN);
	keyfile_wipe(&k, sizeof(k));
	free(t);
}

static void
load_v2(struct keyfile_v2_server *sk, struct keyfile_v2_client *ck, const char *client_file)
{
	size_t len;
	char *t = slurp("tc2-server.key", &len);

	assert_int_equal(keyfile_parse_v2_server(t, len, sk), 0);
	free(t);
	if (ck != NULL) {
		t = slurp(client_file, &len);
		assert_int_equal(keyfile_parse_v2_client(t, len, ck), 0);
		free(t);
	}
}

static bool
has_wkc(const uint8_t *d)
{
	uint8_t op = wire_opcode(d[0]);

	return op == P_CONTROL_HARD_RESET_CLIENT_V3 || op == P_CONTROL_WKC_V1;
}

/* Length of the wrapped part (without a trailing WKc). */
static size_t
inner_of(const struct vpkt *p)
{
	size_t inner = p->len;

	if (has_wkc(p->d))
		assert_int_equal(tlswrap_wkc_split(p->d, p->len, &inner), 0);
	return inner;
}

enum kind { K_AUTH_SHA1, K_AUTH_SHA256, K_CRYPT, K_V2, K_V2_META };

struct fixture {
	enum kind kind;
	struct tlswrap srv, cli;       /* receivers */
	struct tlswrap srv_tx, cli_tx; /* fresh senders for re-wrapping */
	struct keyfile_v2_server sk;
	struct keyfile_v2_client ck;
	uint8_t meta[TLSWRAP_META_MAX];
	size_t meta_len;
};

static void
setup_pair(struct fixture *f, const struct vec *v)
{
	uint8_t key[TLSWRAP_KEY_LEN];
	size_t inner;

	switch (f->kind) {
	case K_AUTH_SHA1:
		load_static(key);
		assert_int_equal(tlswrap_init_auth(&f->srv, key, 0, "SHA1"), 0);
		assert_int_equal(tlswrap_init_auth(&f->cli, key, 1, "SHA1"), 0);
		assert_int_equal(tlswrap_init_auth(&f->srv_tx, key, 0, "SHA1"), 0);
		assert_int_equal(tlswrap_init_auth(&f->cli_tx, key, 1, "SHA1"), 0);
		assert_int_equal(tlswrap_overhead(&f->srv), 28);
		break;
	case K_AUTH_SHA256:
		load_static(key);
		assert_int_equal(tlswrap_init_auth(&f->srv, key, -1, "SHA256"), 0);
		assert_int_equal(tlswrap_init_auth(&f->cli, key, -1, "SHA256"), 0);
		assert_int_equal(tlswrap_init_auth(&f->srv_tx, key, -1, "SHA256"), 0);
		assert_int_equal(tlswrap_init_auth(&f->cli_tx, key, -1, "SHA256"), 0);
		assert_int_equal(tlswrap_overhead(&f->srv), 40);
		break;
	case K_CRYPT:
		load_static(key);
		assert_int_equal(tlswrap_init_crypt(&f->srv, key, true), 0);
		assert_int_equal(tlswrap_init_crypt(&f->cli, key, false), 0);
		assert_int_equal(tlswrap_init_crypt(&f->srv_tx, key, true), 0);
		assert_int_equal(tlswrap_init_crypt(&f->cli_tx, key, false), 0);
		assert_int_equal(tlswrap_overhead(&f->srv), 40);
		break;
	case K_V2:
	case K_V2_META:
		load_v2(&f->sk, &f->ck, f->kind == K_V2 ? "tc2-client.key" : "tc2-client-meta.key");
		/* The server learns Kc only from the client's first packet. */
		assert_true(v->p[0].c2s);
		assert_int_equal(wire_opcode(v->p[0].d[0]), P_CONTROL_HARD_RESET_CLIENT_V3);
		assert_int_equal(tlswrap_v2_unwrap_wkc(&f->sk, v->p[0].d, v->p[0].len, &inner, &f->srv,
						       f->meta, sizeof(f->meta), &f->meta_len), 0);
		assert_int_equal(f->srv.mode, TLSWRAP_CRYPT_V2);
		assert_int_equal(inner, v->p[0].len - f->ck.wkc_len);
		assert_memory_equal(f->srv.key, f->ck.kc, KEYFILE_V2_KC_LEN);
		assert_int_equal(tlswrap_v2_unwrap_wkc(&f->sk, v->p[0].d, v->p[0].len, &inner, &f->srv_tx,
						       NULL, 0, NULL), 0);
		assert_int_equal(tlswrap_init_v2_client(&f->cli, &f->ck), 0);
		assert_int_equal(tlswrap_init_v2_client(&f->cli_tx, &f->ck), 0);
		assert_int_equal(tlswrap_overhead(&f->srv), 40);
		break;
	}
	keyfile_wipe(key, sizeof(key));
}

static void
free_pair(struct fixture *f)
{
	tlswrap_free(&f->srv);
	tlswrap_free(&f->cli);
	tlswrap_free(&f->srv_tx);
	tlswrap_free(&f->cli_tx);
	keyfile_wipe(&f->ck, sizeof(f->ck));
	keyfile_wipe(&f->sk, sizeof(f->sk));
}

/* Every one-bit flip of the wrapped part fails (all bits, or one bit per byte). */
static void
check_flips(const struct tlswrap *rx, const uint8_t *pkt, size_t n, bool all_bits)
{
	uint8_t copy[CTL_PKT_MAX], out[CTL_PKT_MAX];
	struct wbuf w;
	size_t i;
	int bit, r;

	memcpy(copy, pkt, n);
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			if (!all_bits && bit != (int)(i % 8))
				continue;
			copy[i] ^= (uint8_t)(1u << bit);
			wbuf_init(&w, out, sizeof(out));
			r = tlswrap_unwrap_peek(rx, copy, n, NOW, &w);
			/* Byte 0 may turn into a non-control opcode, refused before the MAC. */
			if (i == 0 && r == ERR_UNSUPPORTED)
				r = ERR_AUTH;
			if (r != ERR_AUTH)
				fail_msg("flip byte %zu bit %d: %s", i, bit, err_str(r));
			assert_int_equal(w.len, 0);
			copy[i] ^= (uint8_t)(1u << bit);
		}
	}
}

/* Every truncation fails: ERR_TRUNC inside the header, ERR_AUTH after it. */
static void
check_truncations(const struct tlswrap *rx, const uint8_t *pkt, size_t n)
{
	uint8_t out[CTL_PKT_MAX];
	struct wbuf w;
	size_t l, hdr = 1 + SESSION_ID_LEN + tlswrap_overhead(rx);

	for (l = 0; l < n; l++) {
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(tlswrap_unwrap_peek(rx, pkt, l, NOW, &w), l < hdr ? ERR_TRUNC : ERR_AUTH);
		assert_int_equal(w.len, 0);
	}
}

static void
run_vector(enum kind kind, const char *file)
{
	struct vec *v = load_vec(file);
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t out[CTL_PKT_MAX], re[CTL_PKT_MAX];
	struct wbuf w, rw;
	struct ctl_pkt cp;
	size_t i, n, plen, n_c2s = 0, n_s2c = 0;
	uint32_t id, t;
	uint16_t flags;

	assert_non_null(f);
	f->kind = kind;
	setup_pair(f, v);
	for (i = 0; i < v->n; i++) {
		const struct vpkt *p = &v->p[i];
		struct tlswrap *rx = p->c2s ? &f->srv : &f->cli;
		struct tlswrap *wrong = p->c2s ? &f->cli : &f->srv;
		struct tlswrap *tx = p->c2s ? &f->cli_tx : &f->srv_tx;
		bool first = p->c2s ? n_c2s++ == 0 : n_s2c++ == 0;

		n = inner_of(p);
		assert_int_equal(tlswrap_peek_replay_id(rx, p->d, n, &id, &t), 0);
		if (kind >= K_V2 && p->c2s)
			assert_true(tlswrap_client_supports_cookie(id));
		else
			assert_false(tlswrap_client_supports_cookie(id));

		check_flips(rx, p->d, n, i < 4);
		check_truncations(rx, p->d, n);
		/* The other direction's keys do not authenticate it (key-direction). */
		if (kind != K_AUTH_SHA256) {
			wbuf_init(&w, out, sizeof(out));
			assert_int_equal(tlswrap_unwrap_peek(wrong, p->d, n, NOW, &w), ERR_AUTH);
		}

		/* The real thing: authenticates, commits, parses as plain layout. */
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(tlswrap_unwrap_peek(rx, p->d, n, NOW, &w), 0);
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(tlswrap_unwrap(rx, p->d, n, NOW, &w), 0);
		plen = w.len;
		assert_int_equal(plen, n - tlswrap_overhead(rx));
		assert_int_equal(wire_parse_ctl(out, plen, &cp), 0);
		if (first && p->c2s) {
			/* The client reset is the 14-byte plain reset (doc §2.2). */
			assert_int_equal(plen, 14);
			assert_true(wire_is_valid_initial(&cp));
		}
		if (first && !p->c2s) {
			assert_int_equal(cp.opcode, P_CONTROL_HARD_RESET_SERVER_V2);
			assert_int_equal(cp.n_acks, 1);
			assert_int_equal(cp.msgid, 0);
			assert_int_equal(id, 1);   /* doc §4.3 */
			assert_int_equal(wire_parse_tlvs(&cp.payload, &flags), 0);
			/* tls-crypt-v2 with cookie support: RESEND_WKC (doc §4.4). */
			assert_int_equal(flags, kind >= K_V2 ? EARLY_NEG_FLAG_RESEND_WKC : 0);
		}

		/* Replayed: refused after authentication, peek too. */
		wbuf_init(&w, re, sizeof(re));
		assert_int_equal(tlswrap_unwrap(rx, p->d, n, NOW, &w), ERR_REPLAY);
		assert_int_equal(w.len, 0);
		assert_int_equal(tlswrap_unwrap_peek(rx, p->d, n, NOW, &w), ERR_REPLAY);
		assert_int_equal(w.len, 0);

		/* Re-wrapping at the same replay id and time gives the wire bytes. */
		tx->send_time = t;
		assert_int_equal(tlswrap_set_next_send_id(tx, id), 0);
		wbuf_init(&rw, re, sizeof(re));
		if (first && !p->c2s) {
			/* The server's reply is the stateless one (id 1, doc §4.3). */
			assert_int_equal(tlswrap_wrap_stateless(tx, out, plen, t, &rw), 0);
		} else {
			assert_int_equal(tlswrap_wrap(tx, out, plen, t, &rw), 0);
		}
		assert_int_equal(rw.len, n);
		assert_memory_equal(re, p->d, n);
		if (has_wkc(p->d)) {
			assert_int_equal(tlswrap_append_wkc(&f->ck, &rw), 0);
			assert_int_equal(rw.len, p->len);
			assert_memory_equal(re, p->d, p->len);
		}
	}
	assert_true(n_c2s >= 5 && n_s2c >= 5);
	if (kind == K_V2) {
		/* Default metadata: TIMESTAMP, u64 creation time (doc §5.5). */
		assert_int_equal(f->meta_len, 9);
		assert_int_equal(f->meta[0], TLSWRAP_META_TIMESTAMP);
	} else if (kind == K_V2_META) {
		assert_int_equal(f->meta_len, 28);
		assert_int_equal(f->meta[0], TLSWRAP_META_USER);
		assert_memory_equal(f->meta + 1, "ovpn-endpoint test metadata", 27);
	}
	free_pair(f);
	free(f);
	free(v);
}

static void
test_kat_tls_auth_sha1(void **state)
{
	(void)state;
	run_vector(K_AUTH_SHA1, "tls-auth-sha1.hex");
}

static void
test_kat_tls_auth_sha256(void **state)
{
	(void)state;
	run_vector(K_AUTH_SHA256, "tls-auth-sha256.hex");
}

static void
test_kat_tls_crypt(void **state)
{
	(void)state;
	run_vector(K_CRYPT, "tls-crypt.hex");
}

static void
test_kat_tls_crypt_v2(void **state)
{
	(void)state;
	run_vector(K_V2, "tls-crypt-v2.hex");
}

static void
test_kat_tls_crypt_v2_meta(void **state)
{
	(void)state;
	run_vector(K_V2_META, "tls-crypt-v2-meta.hex");
}

/* Our WKc construction reproduces what `openvpn --genkey tls-crypt-v2-client` wrote. */
static void
test_kat_make_wkc(void **state)
{
	static const char *files[] = { "tc2-client.key", "tc2-client-meta.key" };
	struct keyfile_v2_server sk;
	struct keyfile_v2_client ck;
	uint8_t out[TLSWRAP_WKC_MAX], pkt[CTL_PKT_MAX], meta[TLSWRAP_META_MAX];
	struct wbuf w;
	struct tlswrap srv;
	size_t i, inner, mlen;

	(void)state;
	for (i = 0; i < 2; i++) {
		load_v2(&sk, &ck, files[i]);
		/* Recover the metadata by unwrapping a V3 built around the WKc. */
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = P_CONTROL_HARD_RESET_CLIENT_V3 << P_OPCODE_SHIFT;
		memcpy(pkt + 60, ck.wkc, ck.wkc_len);
		assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 60 + ck.wkc_len, &inner, &srv, meta,
						       sizeof(meta), &mlen), 0);
		assert_int_equal(inner, 60);
		tlswrap_free(&srv);
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(tlswrap_v2_make_wkc(&sk, ck.kc, meta, mlen, &w), 0);
		assert_int_equal(w.len, ck.wkc_len);
		assert_memory_equal(out, ck.wkc, ck.wkc_len);
		/* Metadata too small a buffer: refused, nothing initialised. */
		assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 60 + ck.wkc_len, &inner, &srv, meta,
						       mlen - 1, &mlen), ERR_OVERFLOW);
		tlswrap_free(&srv);
	}
	keyfile_wipe(&ck, sizeof(ck));
	keyfile_wipe(&sk, sizeof(sk));
}

/* The V3 packet of the capture with its WKc damaged in every way we can think of. */
static void
test_wkc_hostile(void **state)
{
	struct vec *v = load_vec("tls-crypt-v2.hex");
	struct keyfile_v2_server sk, other;
	uint8_t pkt[CTL_PKT_MAX + 2048], meta[TLSWRAP_META_MAX];
	struct tlswrap srv;
	size_t len = v->p[0].len, inner, mlen, i, wlen;
	int bit, r;

	(void)state;
	load_v2(&sk, NULL, NULL);
	memcpy(pkt, v->p[0].d, len);
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, len, &inner, &srv, meta, sizeof(meta), &mlen), 0);
	tlswrap_free(&srv);
	wlen = len - inner;
	assert_int_equal(wlen, 299);

	/* Every bit of the WKc: ERR_AUTH, or ERR_MALFORMED when the length field breaks. */
	for (i = inner; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			pkt[i] ^= (uint8_t)(1u << bit);
			r = tlswrap_v2_unwrap_wkc(&sk, pkt, len, &inner, &srv, meta, sizeof(meta), &mlen);
			tlswrap_free(&srv);
			if (i >= len - 2 && r == ERR_MALFORMED)
				r = ERR_AUTH;
			if (r != ERR_AUTH)
				fail_msg("WKc flip byte %zu bit %d: %s", i, bit, err_str(r));
			pkt[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Every truncation of the datagram. */
	for (i = 0; i < len; i++) {
		r = tlswrap_v2_unwrap_wkc(&sk, pkt, i, &inner, &srv, NULL, 0, NULL);
		tlswrap_free(&srv);
		assert_true(r == ERR_TRUNC || r == ERR_MALFORMED || r == ERR_AUTH);
	}
	/* Length field: too big, too small, longer than the datagram. */
	pkt[len - 2] = 0x04;
	pkt[len - 1] = 0x01;   /* 1025 */
	assert_int_equal(tlswrap_wkc_split(pkt, len, &inner), ERR_MALFORMED);
	pkt[len - 2] = 0x01;
	pkt[len - 1] = 0x21;   /* 289 */
	assert_int_equal(tlswrap_wkc_split(pkt, len, &inner), ERR_MALFORMED);
	pkt[len - 2] = 0xff;
	pkt[len - 1] = 0xff;
	assert_int_equal(tlswrap_wkc_split(pkt, len, &inner), ERR_MALFORMED);
	assert_int_equal(tlswrap_wkc_split(pkt, 300, &inner), ERR_MALFORMED);
	/* An oversized garbage WKc (1100 bytes claiming 1100). */
	memcpy(pkt, v->p[0].d, inner);
	memset(pkt + inner, 0x41, 1100);
	pkt[inner + 1098] = 1100 >> 8;
	pkt[inner + 1099] = 1100 & 0xff;
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, inner + 1100, &inner, &srv, NULL, 0, NULL),
			 ERR_MALFORMED);
	tlswrap_free(&srv);
	/* Garbage of a plausible length: authentication fails, nothing is set up. */
	memset(pkt + 54, 0x41, 299);
	pkt[54 + 297] = 299 >> 8;
	pkt[54 + 298] = 299 & 0xff;
	memset(&srv, 0x5a, sizeof(srv));
	assert_int_equal(tlswrap_v2_unwrap_wkc(&sk, pkt, 54 + 299, &inner, &srv, NULL, 0, NULL), ERR_AUTH);
	assert_int_equal(srv.mode, TLSWRAP_NONE);
	assert_null(srv.rx_mac);
	tlswrap_free(&srv);
	/* The right WKc under another server key. */
	memcpy(&other, &sk, sizeof(other));
	other.key[70] ^= 1;
	assert_int_equal(tlswrap_v2_unwrap_wkc(&other, v->p[0].d, len, &inner, &srv, NULL, 0, NULL),
			 ERR_AUTH);
	tlswrap_free(&srv);
	other.key[70] ^= 1;
	other.key[5] ^= 1;   /* cipher key: decrypts to garbage, MAC fails */
	assert_int_equal(tlswrap_v2_unwrap_wkc(&other, v->p[0].d, len, &inner, &srv, NULL, 0, NULL),
			 ERR_AUTH);
	tlswrap_free(&srv);
	/* Only V3 and WKC_V1 carry a WKc. */
	memcpy(pkt, v->p[0].d, len);
	pkt[0] = P_CONTROL_HARD_RESET_CLIENT_V2 << P_OPCODE_SHIFT;
	assert_int_equal(tlswrap_wkc_split(pkt, len, &inner), ERR_UNSUPPORTED);
	assert_int_equal(tlswrap_wkc_split(pkt, 0, &inner), ERR_TRUNC);
	pkt[0] = P_CONTROL_WKC_V1 << P_OPCODE_SHIFT;
	assert_int_equal(tlswrap_wkc_split(pkt, 2, &inner), ERR_TRUNC);
	keyfile_wipe(&sk, sizeof(sk));
	keyfile_wipe(&other, sizeof(other));
	free(v);
}

/* A small P_CONTROL_V1 in plain layout: acks [7] to rsid, msgid 3, payload. */
static size_t
sample_plain(uint8_t *buf, size_t cap, uint8_t opcode, size_t plen)
{
	static const uint8_t sid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, rsid[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t payload[1200];
	uint32_t ack = 7;
	struct wbuf w;
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13);
	wbuf_init(&w, buf, cap);
	assert_int_equal(wire_build_ctl(&w, opcode, 0, sid, &ack, 1, rsid, 3, payload, plen), 0);
	return w.len;
}

static void
roundtrip(struct tlswrap *a, struct tlswrap *b)
{
	uint8_t plain[CTL_PKT_MAX], wrapped[CTL_PKT_MAX], out[CTL_PKT_MAX];
	struct wbuf w, o;
	size_t n, plen;
	uint32_t id, t;

	for (plen = 0; plen <= 1200; plen += 150) {
		n = sample_plain(plain, sizeof(plain), P_CONTROL_V1, plen);
		wbuf_init(&w, wrapped, sizeof(wrapped));
		assert_int_equal(tlswrap_wrap(a, plain, n, 1700000000, &w), 0);
		assert_int_equal(w.len, n + tlswrap_overhead(a));
		if (a->mode != TLSWRAP_NONE) {
			assert_int_equal(tlswrap_peek_replay_id(a, wrapped, w.len, &id, &t), 0);
			assert_int_equal(t, 1700000000);
		}
		wbuf_init(&o, out, sizeof(out));
		assert_int_equal(tlswrap_unwrap(b, wrapped, w.len, NOW, &o), 0);
		assert_int_equal(o.len, n);
		assert_memory_equal(out, plain, n);
		check_flips(b, wrapped, w.len, false);
	}
}

static void
test_roundtrip_modes(void **state)
{
	uint8_t key[TLSWRAP_KEY_LEN], ekm[TLSWRAP_KEY_LEN], x[TLSWRAP_KEY_LEN];
	struct tlswrap a, b, c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i * 31 + 5);
		ekm[i] = (uint8_t)(i * 17 + 3);
		x[i] = key[i] ^ ekm[i];
	}
	assert_int_equal(tlswrap_init_auth(&a, key, 0, "SHA512"), 0);
	assert_int_equal(tlswrap_init_auth(&b, key, 1, "SHA512"), 0);
	assert_int_equal(tlswrap_overhead(&a), 72);
	roundtrip(&a, &b);
	roundtrip(&b, &a);
	tlswrap_free(&a);
	tlswrap_free(&b);

	assert_int_equal(tlswrap_init_crypt(&a, key, true), 0);
	assert_int_equal(tlswrap_init_crypt(&b, key, false), 0);
	roundtrip(&a, &b);
	roundtrip(&b, &a);
	tlswrap_free(&b);

	/* Dynamic tls-crypt: EKM XOR the tls-crypt key (doc §5.6). */
	assert_int_equal(tlswrap_init_dyn(&b, ekm, &a, true), 0);
	assert_int_equal(tlswrap_init_crypt(&c, x, false), 0);
	assert_int_equal(b.send_id, 0);
	roundtrip(&b, &c);
	roundtrip(&c, &b);
	tlswrap_free(&b);
	tlswrap_free(&c);
	/* Without an original key (or with NONE), the EKM itself. */
	assert_int_equal(tlswrap_init_none(&c), 0);
	assert_int_equal(tlswrap_init_dyn(&b, ekm, &c, false), 0);
	tlswrap_free(&c);
	assert_int_equal(tlswrap_init_dyn(&c, ekm, NULL, true), 0);
	roundtrip(&c, &b);
	tlswrap_free(&b);
	tlswrap_free(&c);
	tlswrap_free(&a);

	/* NONE passes packets through unchanged. */
	assert_int_equal(tlswrap_init_none(&a), 0);
	assert_int_equal(tlswrap_init_none(&b), 0);
	assert_int_equal(tlswrap_overhead(&a), 0);
	{
		uint8_t plain[CTL_PKT_MAX], out[CTL_PKT_MAX];
		struct wbuf o;
		uint32_t id, t;
		size_t n = sample_plain(plain, sizeof(plain), P_CONTROL_V1, 100);

		wbuf_init(&o, out, sizeof(out));
		assert_int_equal(tlswrap_wrap(&a, plain, n, 1, &o), 0);
		assert_int_equal(o.len, n);
		assert_memory_equal(out, plain, n);
		wbuf_init(&o, out, sizeof(out));
		assert_int_equal(tlswrap_unwrap(&b, plain, n, NOW, &o), 0);
		assert_int_equal(tlswrap_unwrap(&b, plain, n, NOW, &o), 0);   /* no replay id */
		assert_int_equal(o.len, 2 * n);
		assert_int_equal(tlswrap_peek_replay_id(&a, plain, n, &id, &t), ERR_INVAL);
	}
	tlswrap_free(&a);
	tlswrap_free(&b);
	tlswrap_free(&b);   /* twice is safe */
}

static void
test_init_errors(void **state)
{
	uint8_t key[TLSWRAP_KEY_LEN] = { 0 };
	struct tlswrap w;

	(void)state;
	assert_int_equal(tlswrap_init_auth(&w, key, 2, "SHA1"), ERR_INVAL);
	assert_null(w.tx_mac);
	tlswrap_free(&w);
	assert_int_equal(tlswrap_init_auth(&w, key, 0, "NOT-A-DIGEST"), ERR_UNSUPPORTED);
	tlswrap_free(&w);
	assert_int_equal(tlswrap_init_auth(&w, key, 0, NULL), ERR_UNSUPPORTED);
	tlswrap_free(&w);
	assert_int_equal(tlswrap_init_auth(&w, key, -1, "SHA1"), 0);
	assert_int_equal(tlswrap_set_next_send_id(&w, 0), ERR_RANGE);
	assert_int_equal(tlswrap_set_replay_window(&w, 0, 0), ERR_RANGE);
	assert_int_equal(tlswrap_set_replay_window(&w, 128, 0), 0);
	tlswrap_free(&w);
	assert_true(tlswrap_client_supports_cookie(0x0F000001));
	assert_true(tlswrap_client_supports_cookie(0x0FFFFFFF));
	assert_false(tlswrap_client_supports_cookie(0x00000001));
	assert_false(tlswrap_client_supports_cookie(0x1F000001));
	assert_false(tlswrap_client_supports_cookie(0xFF000001));
}

/* Send counter: ids count from 1 at one time; the stateless reply touches nothing. */
static void
test_send_counter(void **state)
{
	uint8_t key[TLSWRAP_KEY_LEN], plain[CTL_PKT_MAX], out[CTL_PKT_MAX], o2[CTL_PKT_MAX];
	struct tlswrap a, b;
	struct wbuf w, o;
	size_t n;
	uint32_t id, t;

	(void)state;
	memset(key, 0x42, sizeof(key));
	assert_int_equal(tlswrap_init_crypt(&a, key, true), 0);
	assert_int_equal(tlswrap_init_crypt(&b, key, false), 0);
	n = sample_plain(plain, sizeof(plain), P_CONTROL_V1, 10);

	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap_stateless(&a, plain, n, 500, &w), 0);
	assert_int_equal(tlswrap_peek_replay_id(&a, out, w.len, &id, &t), 0);
	assert_int_equal(id, 1);
	assert_int_equal(t, 500);
	assert_int_equal(a.send_id, 0);
	assert_int_equal(a.send_time, 0);
	wbuf_init(&o, o2, sizeof(o2));
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), 0);

	/* The peer created after the cookie continues at 2 (as 2.6 does). */
	assert_int_equal(tlswrap_set_next_send_id(&a, 2), 0);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 501, &w), 0);
	assert_int_equal(tlswrap_peek_replay_id(&a, out, w.len, &id, &t), 0);
	assert_int_equal(id, 2);
	assert_int_equal(t, 501);
	wbuf_init(&o, o2, sizeof(o2));
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), 0);
	/* The time stays that of the first send. */
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 999, &w), 0);
	assert_int_equal(tlswrap_peek_replay_id(&a, out, w.len, &id, &t), 0);
	assert_int_equal(id, 3);
	assert_int_equal(t, 501);

	/* Overflowing output consumes no id and leaves out as it was. */
	wbuf_init(&w, out, n + 39);
	assert_int_equal(tlswrap_wrap(&a, plain, n, 999, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	assert_int_equal(a.send_id, 3);

	/* Id wrap: a new series with a later time, accepted by the receiver. */
	assert_int_equal(tlswrap_set_next_send_id(&a, UINT32_MAX), 0);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 502, &w), 0);
	assert_int_equal(tlswrap_peek_replay_id(&a, out, w.len, &id, &t), 0);
	assert_int_equal(id, UINT32_MAX);
	wbuf_init(&o, o2, sizeof(o2));
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), 0);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 502, &w), 0);
	assert_int_equal(tlswrap_peek_replay_id(&a, out, w.len, &id, &t), 0);
	assert_int_equal(id, 1);
	assert_int_equal(t, 502);
	wbuf_init(&o, o2, sizeof(o2));
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), 0);

	/* A packet from the older series is now too old. */
	a.send_time = 501;
	assert_int_equal(tlswrap_set_next_send_id(&a, 1000), 0);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 502, &w), 0);
	wbuf_init(&o, o2, sizeof(o2));
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), ERR_REPLAY);
	assert_int_equal(o.len, 0);

	/* Unwrap into too small a buffer: ERR_OVERFLOW, nothing written. */
	a.send_time = 502;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 502, &w), 0);
	wbuf_init(&o, o2, n - 1);
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), ERR_OVERFLOW);
	assert_int_equal(o.len, 0);
	wbuf_init(&o, o2, n);
	assert_int_equal(tlswrap_unwrap(&b, out, w.len, NOW, &o), 0);

	/* Data opcodes are not control packets. */
	plain[0] = P_DATA_V2 << P_OPCODE_SHIFT;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(tlswrap_wrap(&a, plain, n, 502, &w), ERR_UNSUPPORTED);
	assert_int_equal(tlswrap_unwrap_peek(&b, plain, n, NOW, &w), ERR_UNSUPPORTED);
	tlswrap_free(&a);
	tlswrap_free(&b);
}

/* Replay window across reordering (doc §5.3): late ids inside the window, once. */
static void
test_replay_order(void **state)
{
	uint8_t key[TLSWRAP_KEY_LEN], plain[CTL_PKT_MAX], pk[70][200], out[CTL_PKT_MAX];
	size_t len[70], n, i;
	struct tlswrap a, b;
	struct wbuf w, o;

	(void)state;
	memset(key, 0x17, sizeof(key));
	assert_int_equal(tlswrap_init_auth(&a, key, 0, "SHA256"), 0);
	assert_int_equal(tlswrap_init_auth(&b, key, 1, "SHA256"), 0);
	n = sample_plain(plain, sizeof(plain), P_ACK_V1, 0);
	for (i = 0; i < 70; i++) {
		wbuf_init(&w, pk[i], sizeof(pk[i]));
		assert_int_equal(tlswrap_wrap(&a, plain, n, 1234, &w), 0);
		len[i] = w.len;
	}
	/* ids 1..70; deliver 70 first, then 10 (inside 64), then 3 (outside). */
	wbuf_init(&o, out, sizeof(out));
	assert_int_equal(tlswrap_unwrap(&b, pk[69], len[69], NOW, &o), 0);
	assert_int_equal(tlswrap_unwrap(&b, pk[9], len[9], NOW, &o), 0);
	assert_int_equal(tlswrap_unwrap(&b, pk[9], len[9], NOW, &o), ERR_REPLAY);
	assert_int_equal(tlswrap_unwrap(&b, pk[2], len[2], NOW, &o), ERR_REPLAY);
	/* Inside the window but more than 15 s after the highest id: too late. */
	assert_int_equal(tlswrap_unwrap(&b, pk[20], len[20], NOW + MTIME_SEC(16), &o), ERR_REPLAY);
	assert_int_equal(tlswrap_unwrap(&b, pk[20], len[20], NOW + MTIME_SEC(1), &o), 0);
	tlswrap_free(&a);
	tlswrap_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_tls_auth_sha1),
		cmocka_unit_test(test_kat_tls_auth_sha256),
		cmocka_unit_test(test_kat_tls_crypt),
		cmocka_unit_test(test_kat_tls_crypt_v2),
		cmocka_unit_test(test_kat_tls_crypt_v2_meta),
		cmocka_unit_test(test_kat_make_wkc),
		cmocka_unit_test(test_wkc_hostile),
		cmocka_unit_test(test_roundtrip_modes),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_send_counter),
		cmocka_unit_test(test_replay_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
