/*
 * test_comp.c - compression framing (doc §10.3): exact byte layouts per
 * mode, round trips, the v2 escape (both escape bytes), the v1 swap, LZ4
 * with allow-compression yes only, decompression bombs, truncated and
 * hostile frames, negotiation, and known answers from OpenVPN 2.6.14.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lz4.h>

#include "buf.h"
#include "comp.h"
#include "err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const enum comp_mode all_modes[] = {
	COMP_NONE, COMP_LZO_NO, COMP_STUB, COMP_LZ4, COMP_STUB_V2, COMP_LZ4_V2,
};
static const enum comp_allow all_allow[] = {
	COMP_ALLOW_NO, COMP_ALLOW_ASYM, COMP_ALLOW_YES,
};

/* The 16-byte keepalive ping (doc §10.1). */
static const uint8_t ping_magic[16] = {
	0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
	0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48,
};

/* An IPv4 header start followed by deterministic noise: incompressible. */
static void
fill_ipv4_noise(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	if (n > 0)
		p[0] = 0x45;
}

/* An IPv4 header followed by a repeating pattern: compresses well. */
static void
fill_ipv4_compressible(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)("ovpn-endpoint "[i % 14]);
	if (n > 0)
		p[0] = 0x45;
}

static int
frame(enum comp_mode m, enum comp_allow a, const uint8_t *in, size_t n,
    uint8_t *out, size_t cap, size_t *outlen)
{
	struct wbuf w;
	int r;

	wbuf_init(&w, out, cap);
	r = comp_frame(m, a, in, n, &w);
	*outlen = w.len;
	return r;
}

static int
unframe(enum comp_mode m, enum comp_allow a, const uint8_t *in, size_t n,
    uint8_t *out, size_t cap, size_t *outlen)
{
	struct wbuf w;
	int r;

	wbuf_init(&w, out, cap);
	r = comp_unframe(m, a, in, n, &w);
	*outlen = w.len;
	return r;
}

static void
expect_frame(enum comp_mode m, enum comp_allow a, const uint8_t *in, size_t n,
    const uint8_t *want, size_t wantlen)
{
	uint8_t out[64];
	size_t len;

	assert_int_equal(frame(m, a, in, n, out, sizeof(out), &len), 0);
	assert_int_equal(len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(out, want, wantlen);
}

static void
expect_unframe(enum comp_mode m, enum comp_allow a, const uint8_t *in,
    size_t n, int want_r, const uint8_t *want, size_t wantlen)
{
	uint8_t out[64];
	size_t len;

	memset(out, 0xee, sizeof(out));
	assert_int_equal(unframe(m, a, in, n, out, sizeof(out), &len), want_r);
	if (want_r != 0) {
		/* errors leave the writer where it was */
		assert_int_equal(len, 0);
		return;
	}
	assert_int_equal(len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(out, want, wantlen);
}

static void
test_parse(void **state)
{
	static const struct {
		const char *d, *a;
		int r;
		enum comp_mode m;
	} t[] = {
		{ "compress", NULL, 0, COMP_STUB },
		{ "compress", "stub-v2", 0, COMP_STUB_V2 },
		{ "compress", "lz4", 0, COMP_LZ4 },
		{ "compress", "lz4-v2", 0, COMP_LZ4_V2 },
		{ "compress", "migrate", 0, COMP_NONE },
		{ "comp-lzo", "no", 0, COMP_LZO_NO },
		{ "compress", "lzo", ERR_UNSUPPORTED, 0 },
		{ "comp-lzo", NULL, ERR_UNSUPPORTED, 0 },
		{ "comp-lzo", "yes", ERR_UNSUPPORTED, 0 },
		{ "comp-lzo", "adaptive", ERR_UNSUPPORTED, 0 },
		{ "compress", "LZ4", ERR_CONFIG, 0 },
		{ "compress", "", ERR_CONFIG, 0 },
		{ "compress", "snappy", ERR_CONFIG, 0 },
		{ "comp-lzo", "maybe", ERR_CONFIG, 0 },
		{ "comp-noop", NULL, ERR_CONFIG, 0 },
		{ "", NULL, ERR_CONFIG, 0 },
	};
	enum comp_mode m;
	enum comp_allow a;
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		m = (enum comp_mode)77;
		assert_int_equal(comp_mode_parse(t[i].d, t[i].a, &m), t[i].r);
		if (t[i].r == 0)
			assert_int_equal(m, t[i].m);
		else
			assert_int_equal(m, 77);   /* untouched on error */
	}
	assert_int_equal(comp_mode_parse(NULL, "lz4", &m), ERR_INVAL);
	assert_int_equal(comp_mode_parse("compress", "lz4", NULL), ERR_INVAL);

	assert_int_equal(comp_allow_parse("no", &a), 0);
	assert_int_equal(a, COMP_ALLOW_NO);
	assert_int_equal(comp_allow_parse("asym", &a), 0);
	assert_int_equal(a, COMP_ALLOW_ASYM);
	assert_int_equal(comp_allow_parse("yes", &a), 0);
	assert_int_equal(a, COMP_ALLOW_YES);
	a = COMP_ALLOW_ASYM;
	assert_int_equal(comp_allow_parse("stub-only", &a), ERR_CONFIG);
	assert_int_equal(comp_allow_parse("YES", &a), ERR_CONFIG);
	assert_int_equal(comp_allow_parse(NULL, &a), ERR_CONFIG);
	assert_int_equal(a, COMP_ALLOW_ASYM);

	assert_int_equal(comp_allow_default(COMP_NONE), COMP_ALLOW_NO);
	assert_int_equal(comp_allow_default(COMP_STUB_V2), COMP_ALLOW_NO);
	assert_int_equal(comp_allow_default(COMP_LZO_NO), COMP_ALLOW_NO);
	assert_int_equal(comp_allow_default(COMP_LZ4), COMP_ALLOW_ASYM);
	assert_int_equal(comp_allow_default(COMP_LZ4_V2), COMP_ALLOW_ASYM);
}

static void
test_strings(void **state)
{
	static const struct {
		enum comp_mode m;
		const char *push;
		bool frames, compresses;
	} t[] = {
		{ COMP_NONE, NULL, false, false },
		{ COMP_LZO_NO, "comp-lzo no", true, false },
		{ COMP_STUB, "compress", true, false },
		{ COMP_LZ4, "compress lz4", true, true },
		{ COMP_STUB_V2, "compress stub-v2", true, false },
		{ COMP_LZ4_V2, "compress lz4-v2", true, true },
	};
	enum comp_mode m;
	size_t i;
	char d[32];
	const char *sp;

	for (i = 0; i < NELEM(t); i++) {
		sp = comp_mode_push_string(t[i].m);
		if (t[i].push == NULL)
			assert_null(sp);
		else
			assert_string_equal(sp, t[i].push);
		assert_int_equal(comp_mode_frames(t[i].m), t[i].frames);
		assert_int_equal(comp_mode_compresses(t[i].m), t[i].compresses);
		assert_non_null(comp_mode_name(t[i].m));
		if (sp == NULL)
			continue;
		/* the pushed line parses back to the same mode */
		strcpy(d, sp);
		if (strchr(d, ' ') != NULL) {
			*strchr(d, ' ') = '\0';
			assert_int_equal(comp_mode_parse(d, strchr(sp, ' ') + 1,
			    &m), 0);
		} else {
			assert_int_equal(comp_mode_parse(d, NULL, &m), 0);
		}
		assert_int_equal(m, t[i].m);
	}
	assert_string_equal(comp_mode_name(COMP_NONE), "none");
	assert_null(comp_mode_push_string((enum comp_mode)42));
	assert_false(comp_mode_frames((enum comp_mode)42));
	assert_string_equal(comp_mode_name((enum comp_mode)42), "invalid");
}

/* Exact uncompressed layouts, doc §10.3 table. */
static void
test_frame_layouts(void **state)
{
	static const uint8_t p[] = { 0x45, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t lzo[] = { 0xfa, 0x45, 0x01, 0x02, 0x03, 0x04 };
	/* swap: marker in byte 0, old byte 0 (0x45) at the end */
	static const uint8_t swp[] = { 0xfb, 0x01, 0x02, 0x03, 0x04, 0x45 };
	static const uint8_t p50[] = { 0x50, 0x41, 0x42 };
	static const uint8_t esc[] = { 0x50, 0x00, 0x50, 0x41, 0x42 };
	static const uint8_t one[] = { 0x45 };
	static const uint8_t one_lzo[] = { 0xfa, 0x45 };
	static const uint8_t one_swp[] = { 0xfb, 0x45 };
	static const uint8_t one50[] = { 0x50 };
	static const uint8_t one50_esc[] = { 0x50, 0x00, 0x50 };
	size_t i;

	for (i = 0; i < NELEM(all_allow); i++) {
		enum comp_allow a = all_allow[i];

		expect_frame(COMP_NONE, a, p, sizeof(p), p, sizeof(p));
		expect_frame(COMP_LZO_NO, a, p, sizeof(p), lzo, sizeof(lzo));
		expect_frame(COMP_STUB, a, p, sizeof(p), swp, sizeof(swp));
		expect_frame(COMP_LZ4, a, p, sizeof(p), swp, sizeof(swp));
		expect_frame(COMP_STUB_V2, a, p, sizeof(p), p, sizeof(p));
		expect_frame(COMP_LZ4_V2, a, p, sizeof(p), p, sizeof(p));

		/* v2 escapes only a leading 0x50, and sends 0x50 0x00 */
		expect_frame(COMP_STUB_V2, a, p50, sizeof(p50), esc, sizeof(esc));
		expect_frame(COMP_LZ4_V2, a, p50, sizeof(p50), esc, sizeof(esc));
		/* other modes do not care about 0x50 */
		expect_frame(COMP_NONE, a, p50, sizeof(p50), p50, sizeof(p50));

		/* 1-byte payloads */
		expect_frame(COMP_NONE, a, one, 1, one, 1);
		expect_frame(COMP_LZO_NO, a, one, 1, one_lzo, 2);
		expect_frame(COMP_STUB, a, one, 1, one_swp, 2);
		expect_frame(COMP_LZ4, a, one, 1, one_swp, 2);
		expect_frame(COMP_STUB_V2, a, one, 1, one, 1);
		expect_frame(COMP_LZ4_V2, a, one50, 1, one50_esc, 3);
	}
}

static void
test_unframe_layouts(void **state)
{
	static const uint8_t p[] = { 0x45, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t lzo[] = { 0xfa, 0x45, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t swp[] = { 0xfb, 0x01, 0x02, 0x03, 0x04, 0x45 };
	static const uint8_t esc00[] = { 0x50, 0x00, 0x50, 0x41, 0x42 };
	static const uint8_t esc0a[] = { 0x50, 0x0a, 0x50, 0x41, 0x42 };
	static const uint8_t esc_ip[] = { 0x50, 0x00, 0x45, 0x01 };
	static const uint8_t p50[] = { 0x50, 0x41, 0x42 };
	static const uint8_t ip[] = { 0x45, 0x01 };
	static const uint8_t lone_fb[] = { 0xfb };
	static const uint8_t lone_fa[] = { 0xfa };
	static const uint8_t only_esc[] = { 0x50, 0x00 };
	static const uint8_t two_swp[] = { 0xfb, 0x45 };
	size_t i;

	for (i = 0; i < NELEM(all_allow); i++) {
		enum comp_allow a = all_allow[i];

		expect_unframe(COMP_NONE, a, lzo, sizeof(lzo), 0, lzo,
		    sizeof(lzo));
		expect_unframe(COMP_LZO_NO, a, lzo, sizeof(lzo), 0, p, sizeof(p));
		expect_unframe(COMP_STUB, a, swp, sizeof(swp), 0, p, sizeof(p));
		expect_unframe(COMP_LZ4, a, swp, sizeof(swp), 0, p, sizeof(p));
		expect_unframe(COMP_STUB_V2, a, p, sizeof(p), 0, p, sizeof(p));
		expect_unframe(COMP_LZ4_V2, a, p, sizeof(p), 0, p, sizeof(p));

		/* both escape bytes: ours/OpenVPN 3 (0x00) and 2.6's (0x0A) */
		expect_unframe(COMP_STUB_V2, a, esc00, sizeof(esc00), 0, p50, 3);
		expect_unframe(COMP_STUB_V2, a, esc0a, sizeof(esc0a), 0, p50, 3);
		expect_unframe(COMP_LZ4_V2, a, esc00, sizeof(esc00), 0, p50, 3);
		expect_unframe(COMP_LZ4_V2, a, esc0a, sizeof(esc0a), 0, p50, 3);
		/* a needless escape is still stripped */
		expect_unframe(COMP_LZ4_V2, a, esc_ip, sizeof(esc_ip), 0, ip, 2);
		expect_unframe(COMP_STUB_V2, a, only_esc, 2, 0, NULL, 0);

		/* a lone v1 marker is an empty payload, as in 2.6 */
		expect_unframe(COMP_STUB, a, lone_fb, 1, 0, NULL, 0);
		expect_unframe(COMP_LZ4, a, lone_fb, 1, 0, NULL, 0);
		expect_unframe(COMP_LZO_NO, a, lone_fa, 1, 0, NULL, 0);
		/* two-byte swap frame: the moved byte comes straight back */
		expect_unframe(COMP_STUB, a, two_swp, 2, 0, two_swp + 1, 1);
	}
}

static void
test_empty(void **state)
{
	static const uint8_t x[] = { 0x45 };
	uint8_t out[8];
	size_t len, i, j;

	for (i = 0; i < NELEM(all_modes); i++) {
		for (j = 0; j < NELEM(all_allow); j++) {
			assert_int_equal(frame(all_modes[i], all_allow[j], x, 0,
			    out, sizeof(out), &len), 0);
			assert_int_equal(len, 0);
			assert_int_equal(frame(all_modes[i], all_allow[j], NULL,
			    0, out, sizeof(out), &len), 0);
			assert_int_equal(len, 0);
			assert_int_equal(unframe(all_modes[i], all_allow[j], x,
			    0, out, sizeof(out), &len), 0);
			assert_int_equal(len, 0);
			/* even into a zero-capacity writer */
			assert_int_equal(frame(all_modes[i], all_allow[j], x, 0,
			    out, 0, &len), 0);
		}
	}
}

static void
roundtrip(enum comp_mode m, enum comp_allow a, const uint8_t *p, size_t n)
{
	uint8_t framed[2100], back[2048];
	size_t flen, blen;

	assert_int_equal(frame(m, a, p, n, framed, sizeof(framed), &flen), 0);
	assert_true(flen <= n + COMP_MAX_OVERHEAD);
	assert_int_equal(unframe(m, a, framed, flen, back, sizeof(back), &blen),
	    0);
	assert_int_equal(blen, n);
	if (n > 0)
		assert_memory_equal(back, p, n);
}

static void
test_roundtrips(void **state)
{
	uint8_t noise[1400], pat[1400], v6[80], p50[200];
	size_t i, j, k;
	static const size_t sizes[] = { 1, 2, 16, 20, 28, 60, 99, 100, 101,
		576, 1400 };

	fill_ipv4_noise(noise, sizeof(noise), 1);
	fill_ipv4_compressible(pat, sizeof(pat));
	fill_ipv4_noise(v6, sizeof(v6), 2);
	v6[0] = 0x60;
	fill_ipv4_compressible(p50, sizeof(p50));
	p50[0] = 0x50;

	for (i = 0; i < NELEM(all_modes); i++) {
		for (j = 0; j < NELEM(all_allow); j++) {
			enum comp_mode m = all_modes[i];
			enum comp_allow a = all_allow[j];

			for (k = 0; k < NELEM(sizes); k++) {
				roundtrip(m, a, noise, sizes[k]);
				roundtrip(m, a, pat, sizes[k]);
			}
			roundtrip(m, a, v6, sizeof(v6));
			roundtrip(m, a, ping_magic, sizeof(ping_magic));
			roundtrip(m, a, p50, 1);
			roundtrip(m, a, p50, 2);
			roundtrip(m, a, p50, sizeof(p50));
		}
	}
}

/* allow-compression yes: a compressible 1400-byte payload goes as LZ4. */
static void
test_lz4_compress_yes(void **state)
{
	uint8_t p[1400], framed[1500], back[2048], block[1500], dec[1400];
	size_t flen, blen, k;
	int r;

	fill_ipv4_compressible(p, sizeof(p));

	/* v2: 0x50 0x01 + a plain LZ4 block, checked with liblz4 directly */
	assert_int_equal(frame(COMP_LZ4_V2, COMP_ALLOW_YES, p, sizeof(p),
	    framed, sizeof(framed), &flen), 0);
	assert_true(flen < sizeof(p) / 4);
	assert_int_equal(framed[0], 0x50);
	assert_int_equal(framed[1], 0x01);
	r = LZ4_decompress_safe((const char *)framed + 2, (char *)dec,
	    (int)flen - 2, sizeof(dec));
	assert_int_equal(r, sizeof(p));
	assert_memory_equal(dec, p, sizeof(p));
	assert_int_equal(unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed, flen,
	    back, sizeof(back), &blen), 0);
	assert_int_equal(blen, sizeof(p));
	assert_memory_equal(back, p, sizeof(p));

	/* v1: 0x69 in byte 0, the block's byte 0 moved to the end */
	assert_int_equal(frame(COMP_LZ4, COMP_ALLOW_YES, p, sizeof(p),
	    framed, sizeof(framed), &flen), 0);
	assert_true(flen < sizeof(p) / 4);
	assert_int_equal(framed[0], 0x69);
	k = flen - 1;                   /* block length */
	block[0] = framed[flen - 1];
	memcpy(block + 1, framed + 1, k - 1);
	r = LZ4_decompress_safe((const char *)block, (char *)dec, (int)k,
	    sizeof(dec));
	assert_int_equal(r, sizeof(p));
	assert_memory_equal(dec, p, sizeof(p));
	assert_int_equal(unframe(COMP_LZ4, COMP_ALLOW_YES, framed, flen,
	    back, sizeof(back), &blen), 0);
	assert_int_equal(blen, sizeof(p));
	assert_memory_equal(back, p, sizeof(p));

	/* the same v1 frame in a stub mode, or under allow no, is refused */
	assert_int_equal(unframe(COMP_STUB, COMP_ALLOW_YES, framed, flen,
	    back, sizeof(back), &blen), ERR_UNSUPPORTED);
	assert_int_equal(unframe(COMP_LZ4, COMP_ALLOW_NO, framed, flen,
	    back, sizeof(back), &blen), ERR_UNSUPPORTED);
	assert_int_equal(blen, 0);
}

/* asym and no never compress; stub modes never compress whatever allow. */
static void
test_asym_never_compresses(void **state)
{
	uint8_t p[1400], framed[1500];
	size_t flen, i;
	static const enum comp_allow no_send[] = { COMP_ALLOW_NO,
		COMP_ALLOW_ASYM };

	fill_ipv4_compressible(p, sizeof(p));
	for (i = 0; i < NELEM(no_send); i++) {
		assert_int_equal(frame(COMP_LZ4_V2, no_send[i], p, sizeof(p),
		    framed, sizeof(framed), &flen), 0);
		assert_int_equal(flen, sizeof(p));
		assert_memory_equal(framed, p, sizeof(p));

		assert_int_equal(frame(COMP_LZ4, no_send[i], p, sizeof(p),
		    framed, sizeof(framed), &flen), 0);
		assert_int_equal(flen, sizeof(p) + 1);
		assert_int_equal(framed[0], 0xfb);
		assert_int_equal(framed[flen - 1], 0x45);
		assert_memory_equal(framed + 1, p + 1, sizeof(p) - 1);
	}
	assert_int_equal(frame(COMP_STUB_V2, COMP_ALLOW_YES, p, sizeof(p),
	    framed, sizeof(framed), &flen), 0);
	assert_int_equal(flen, sizeof(p));
	assert_int_equal(frame(COMP_STUB, COMP_ALLOW_YES, p, sizeof(p),
	    framed, sizeof(framed), &flen), 0);
	assert_int_equal(framed[0], 0xfb);
	assert_int_equal(frame(COMP_LZO_NO, COMP_ALLOW_YES, p, sizeof(p),
	    framed, sizeof(framed), &flen), 0);
	assert_int_equal(framed[0], 0xfa);
}

/* Under 100 bytes, or when LZ4 does not shrink, the payload goes plain. */
static void
test_threshold_and_no_gain(void **state)
{
	uint8_t z[100], noise[1400], framed[1500];
	size_t flen;

	memset(z, 0, sizeof(z));
	z[0] = 0x45;
	assert_int_equal(frame(COMP_LZ4_V2, COMP_ALLOW_YES, z, 99, framed,
	    sizeof(framed), &flen), 0);
	assert_int_equal(flen, 99);
	assert_int_equal(framed[0], 0x45);
	assert_int_equal(frame(COMP_LZ4_V2, COMP_ALLOW_YES, z, 100, framed,
	    sizeof(framed), &flen), 0);
	assert_int_equal(framed[0], 0x50);
	assert_int_equal(framed[1], 0x01);
	assert_true(flen < 100);

	fill_ipv4_noise(noise, sizeof(noise), 7);
	assert_int_equal(frame(COMP_LZ4_V2, COMP_ALLOW_YES, noise,
	    sizeof(noise), framed, sizeof(framed), &flen), 0);
	assert_int_equal(flen, sizeof(noise));
	assert_memory_equal(framed, noise, sizeof(noise));
	assert_int_equal(frame(COMP_LZ4, COMP_ALLOW_YES, noise, sizeof(noise),
	    framed, sizeof(framed), &flen), 0);
	assert_int_equal(flen, sizeof(noise) + 1);
	assert_int_equal(framed[0], 0xfb);

	/* compression only needs the room of the uncompressed frame */
	assert_int_equal(frame(COMP_LZ4_V2, COMP_ALLOW_YES, noise,
	    sizeof(noise), framed, sizeof(noise), &flen), 0);
	assert_int_equal(flen, sizeof(noise));
}

static size_t
make_lz4(const uint8_t *p, size_t n, uint8_t *dst, size_t cap)
{
	int z = LZ4_compress_default((const char *)p, (char *)dst, (int)n,
	    (int)cap);

	assert_true(z > 0);
	return (size_t)z;
}

/* v1 swap of an LZ4 block, built by hand from the doc's description. */
static size_t
swap_v1(const uint8_t *block, size_t k, uint8_t *dst, size_t cap)
{
	assert_true(k > 0 && k < cap);
	if (k == 0 || k >= cap)
		return 0;
	dst[0] = 0x69;
	memcpy(dst + 1, block + 1, k - 1);
	dst[k] = block[0];
	return k + 1;
}

static void
test_bombs(void **state)
{
	static uint8_t big[100000];
	uint8_t block[2048], framed[2100], out[2048];
	struct wbuf w;
	size_t k, flen;

	memset(big, 0, sizeof(big));
	big[0] = 0x45;
	k = make_lz4(big, sizeof(big), block, sizeof(block));
	assert_true(k < 1000);

	/* v2: 100 kB behind a ~400-byte frame; cap 2048 */
	framed[0] = 0x50;
	framed[1] = 0x01;
	memcpy(framed + 2, block, k);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(wbuf_put_u8(&w, 0xaa), 0);
	assert_int_equal(comp_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed,
	    k + 2, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 1);
	assert_true(w.overflow);

	/* v1 */
	flen = swap_v1(block, k, framed, sizeof(framed));
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(comp_unframe(COMP_LZ4, COMP_ALLOW_YES, framed, flen,
	    &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);

	/* exactly the room fits; one byte more does not */
	k = make_lz4(big, 2048, block, sizeof(block));
	framed[0] = 0x50;
	framed[1] = 0x01;
	memcpy(framed + 2, block, k);
	wbuf_init(&w, out, 2048);
	assert_int_equal(comp_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed,
	    k + 2, &w), 0);
	assert_int_equal(w.len, 2048);
	assert_memory_equal(out, big, 2048);
	wbuf_init(&w, out, 2047);
	assert_int_equal(comp_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed,
	    k + 2, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	/* room already partly used counts */
	wbuf_init(&w, out, 2048);
	(void)wbuf_put_u8(&w, 0);
	assert_int_equal(comp_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed,
	    k + 2, &w), ERR_OVERFLOW);
	assert_int_equal(w.len, 1);
	wbuf_init(&w, out, 0);
	assert_int_equal(comp_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed,
	    k + 2, &w), ERR_OVERFLOW);
}

static void
test_truncated_and_garbage(void **state)
{
	static const uint8_t ind[] = { 0x50 };
	static const uint8_t lz_empty[] = { 0x50, 0x01 };
	static const uint8_t lz_garbage[] = { 0x50, 0x01, 0xff, 0xff, 0xff };
	static const uint8_t lz_zero[] = { 0x50, 0x01, 0x00 };
	/* match offset 0 is invalid LZ4 */
	static const uint8_t lz_off0[] = { 0x50, 0x01, 0x14, 0x41, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00 };
	static const uint8_t v1_lone[] = { 0x69 };
	static const uint8_t v1_garbage[] = { 0x69, 0xff, 0xff, 0xff };
	uint8_t p[600], block[700], framed[800], out[2048];
	size_t k, len, cut, flen;
	enum comp_allow a;
	size_t i;

	for (i = 1; i < NELEM(all_allow); i++) {
		a = all_allow[i];
		expect_unframe(COMP_LZ4_V2, a, ind, 1, ERR_TRUNC, NULL, 0);
		expect_unframe(COMP_STUB_V2, a, ind, 1, ERR_TRUNC, NULL, 0);
		expect_unframe(COMP_LZ4_V2, a, lz_empty, 2, ERR_MALFORMED, NULL,
		    0);
		expect_unframe(COMP_LZ4_V2, a, lz_garbage, sizeof(lz_garbage),
		    ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4_V2, a, lz_zero, sizeof(lz_zero),
		    ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4_V2, a, lz_off0, sizeof(lz_off0),
		    ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4, a, v1_lone, 1, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4, a, v1_garbage, sizeof(v1_garbage),
		    ERR_MALFORMED, NULL, 0);
	}

	/*
	 * Truncations of a valid block: LZ4 has no length or checksum, so a
	 * cut right after a literal run is itself a valid, shorter block
	 * (integrity is the AEAD's job).  Either way nothing past the data
	 * is read and the full payload never comes out.
	 */
	fill_ipv4_compressible(p, sizeof(p));
	k = make_lz4(p, sizeof(p), block, sizeof(block));
	framed[0] = 0x50;
	framed[1] = 0x01;
	memcpy(framed + 2, block, k);
	assert_int_equal(unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed, k + 2,
	    out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(p));
	for (cut = 2; cut < k + 2; cut++) {
		int r = unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, framed, cut, out,
		    sizeof(out), &len);

		assert_true(r == 0 || r == ERR_MALFORMED || r == ERR_TRUNC);
		if (r == 0) {
			assert_true(len < sizeof(p));
			assert_memory_equal(out, p, len);
		} else {
			assert_int_equal(len, 0);
		}
	}
	/* and of a v1 frame, whose moved byte then lands in the wrong place */
	flen = swap_v1(block, k, framed, sizeof(framed));
	for (cut = 1; cut < flen; cut++) {
		int r = unframe(COMP_LZ4, COMP_ALLOW_ASYM, framed, cut, out,
		    sizeof(out), &len);

		assert_true(r == 0 || r == ERR_MALFORMED);
		if (r == 0)
			assert_true(len < sizeof(p));
		else
			assert_int_equal(len, 0);
	}
}

static void
test_markers(void **state)
{
	static const uint8_t lzo66[] = { 0x66, 0x01, 0x02 };
	static const uint8_t fb[] = { 0xfb, 0x01, 0x45 };
	static const uint8_t fa[] = { 0xfa, 0x45 };
	static const uint8_t zero[] = { 0x00, 0x45 };
	static const uint8_t ip[] = { 0x45, 0x00, 0x00 };
	static const uint8_t v1lz4[] = { 0x69, 0x01, 0x02 };
	static const uint8_t v2lz4[] = { 0x50, 0x01, 0x10, 0x41 };
	static const uint8_t v2lzo[] = { 0x50, 0x02, 0x01, 0x02 };
	static const uint8_t v2snappy[] = { 0x50, 0x03, 0x01 };
	static const uint8_t v2ff[] = { 0x50, 0xff, 0x01 };
	static const uint8_t v2_0b[] = { 0x50, 0x0b, 0x01 };
	size_t i;

	for (i = 0; i < NELEM(all_allow); i++) {
		enum comp_allow a = all_allow[i];

		/* comp-lzo no: LZO data is unsupported, other markers bad */
		expect_unframe(COMP_LZO_NO, a, lzo66, 3, ERR_UNSUPPORTED, NULL, 0);
		expect_unframe(COMP_LZO_NO, a, fb, 3, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZO_NO, a, zero, 2, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZO_NO, a, ip, 3, ERR_MALFORMED, NULL, 0);
		/* swap modes */
		expect_unframe(COMP_STUB, a, fa, 2, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_STUB, a, lzo66, 3, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_STUB, a, ip, 3, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_STUB, a, v1lz4, 3, ERR_UNSUPPORTED, NULL, 0);
		expect_unframe(COMP_LZ4, a, fa, 2, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4, a, lzo66, 3, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_LZ4, a, zero, 2, ERR_MALFORMED, NULL, 0);
		/* v2 */
		expect_unframe(COMP_STUB_V2, a, v2lz4, 4, ERR_UNSUPPORTED, NULL,
		    0);
		expect_unframe(COMP_STUB_V2, a, v2lzo, 4, ERR_UNSUPPORTED, NULL,
		    0);
		expect_unframe(COMP_LZ4_V2, a, v2lzo, 4, ERR_UNSUPPORTED, NULL,
		    0);
		expect_unframe(COMP_LZ4_V2, a, v2snappy, 3, ERR_MALFORMED, NULL,
		    0);
		expect_unframe(COMP_LZ4_V2, a, v2ff, 3, ERR_MALFORMED, NULL, 0);
		expect_unframe(COMP_STUB_V2, a, v2_0b, 3, ERR_MALFORMED, NULL, 0);
		/* none: every byte is payload, nothing is a marker */
		expect_unframe(COMP_NONE, a, lzo66, 3, 0, lzo66, 3);
		expect_unframe(COMP_NONE, a, v2lz4, 4, 0, v2lz4, 4);
	}
	/* a valid v2 LZ4 frame: allow no refuses it, asym/yes decode it */
	expect_unframe(COMP_LZ4_V2, COMP_ALLOW_NO, v2lz4, 4, ERR_UNSUPPORTED,
	    NULL, 0);
	expect_unframe(COMP_LZ4_V2, COMP_ALLOW_ASYM, v2lz4, 4, 0,
	    (const uint8_t *)"A", 1);
	expect_unframe(COMP_LZ4_V2, COMP_ALLOW_YES, v2lz4, 4, 0,
	    (const uint8_t *)"A", 1);
}

static void
test_overflow_and_append(void **state)
{
	static const uint8_t p[] = { 0x45, 0x01, 0x02 };
	static const uint8_t p50[] = { 0x50, 0x01 };
	static const uint8_t swp[] = { 0xfb, 0x01, 0x02, 0x45 };
	uint8_t mem[16];
	struct wbuf w;

	/* framing appends after what the writer already holds */
	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(wbuf_put_u16(&w, 0xabcd), 0);
	assert_int_equal(comp_frame(COMP_STUB, COMP_ALLOW_NO, p, 3, &w), 0);
	assert_int_equal(w.len, 6);
	assert_int_equal(mem[0], 0xab);
	assert_memory_equal(mem + 2, swp, 4);
	assert_int_equal(comp_unframe(COMP_STUB, COMP_ALLOW_NO, swp, 4, &w), 0);
	assert_int_equal(w.len, 9);
	assert_memory_equal(mem + 6, p, 3);

	/* one byte short: nothing written, flag set */
	wbuf_init(&w, mem, 3);
	assert_int_equal(comp_frame(COMP_STUB, COMP_ALLOW_NO, p, 3, &w),
	    ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	assert_true(w.overflow);
	wbuf_init(&w, mem, 3);
	assert_int_equal(comp_frame(COMP_LZ4_V2, COMP_ALLOW_YES, p50, 2, &w),
	    ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	wbuf_init(&w, mem, 2);
	assert_int_equal(comp_frame(COMP_NONE, COMP_ALLOW_NO, p, 3, &w),
	    ERR_OVERFLOW);
	wbuf_init(&w, mem, 2);
	assert_int_equal(comp_unframe(COMP_STUB, COMP_ALLOW_NO, swp, 4, &w),
	    ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	wbuf_init(&w, mem, 2);
	assert_int_equal(comp_unframe(COMP_NONE, COMP_ALLOW_NO, p, 3, &w),
	    ERR_OVERFLOW);
	/* exact fits */
	wbuf_init(&w, mem, 4);
	assert_int_equal(comp_frame(COMP_STUB, COMP_ALLOW_NO, p, 3, &w), 0);
	wbuf_init(&w, mem, 3);
	assert_int_equal(comp_unframe(COMP_STUB, COMP_ALLOW_NO, swp, 4, &w), 0);
}

static void
test_inval(void **state)
{
	static const uint8_t p[] = { 0x45 };
	uint8_t mem[8];
	struct wbuf w;

	wbuf_init(&w, mem, sizeof(mem));
	assert_int_equal(comp_frame((enum comp_mode)9, COMP_ALLOW_NO, p, 1, &w),
	    ERR_INVAL);
	assert_int_equal(comp_unframe((enum comp_mode)9, COMP_ALLOW_NO, p, 1,
	    &w), ERR_INVAL);
	assert_int_equal(comp_frame(COMP_STUB, (enum comp_allow)7, p, 1, &w),
	    ERR_INVAL);
	assert_int_equal(comp_unframe(COMP_STUB, (enum comp_allow)7, p, 1, &w),
	    ERR_INVAL);
	assert_int_equal(comp_frame(COMP_STUB, COMP_ALLOW_NO, NULL, 1, &w),
	    ERR_INVAL);
	assert_int_equal(comp_unframe(COMP_STUB, COMP_ALLOW_NO, NULL, 1, &w),
	    ERR_INVAL);
	assert_int_equal(comp_frame(COMP_STUB, COMP_ALLOW_NO, p, 1, NULL),
	    ERR_INVAL);
	assert_int_equal(comp_unframe(COMP_STUB, COMP_ALLOW_NO, p, 1, NULL),
	    ERR_INVAL);
	assert_int_equal(w.len, 0);
}

static void
test_negotiate(void **state)
{
	/* flags: lz4v2, lz4, stub, stubv2, lzo_stub, occ comp-lzo */
	static const struct {
		enum comp_mode cfg;
		bool v2, v1, st, st2, lzs, occ;
		enum comp_mode want;
	} t[] = {
		/* default 2.6 client (stubs only), not framing */
		{ COMP_NONE, 0, 0, 1, 1, 1, 0, COMP_NONE },
		/* migrate: framing client gets stub-v2, or comp-lzo no */
		{ COMP_NONE, 0, 0, 1, 1, 1, 1, COMP_STUB_V2 },
		{ COMP_NONE, 1, 1, 1, 1, 1, 1, COMP_STUB_V2 },
		{ COMP_NONE, 0, 0, 1, 0, 1, 1, COMP_LZO_NO },
		{ COMP_NONE, 0, 0, 0, 0, 0, 1, COMP_LZO_NO },
		{ COMP_NONE, 0, 0, 0, 0, 0, 0, COMP_NONE },
		/* lz4-v2 configured */
		{ COMP_LZ4_V2, 1, 1, 1, 1, 1, 1, COMP_LZ4_V2 },
		{ COMP_LZ4_V2, 0, 0, 1, 1, 1, 0, COMP_STUB_V2 },
		{ COMP_LZ4_V2, 0, 1, 1, 0, 1, 1, COMP_STUB },
		{ COMP_LZ4_V2, 0, 0, 0, 0, 1, 0, COMP_LZO_NO },
		{ COMP_LZ4_V2, 0, 0, 0, 0, 0, 1, COMP_LZO_NO },
		{ COMP_LZ4_V2, 0, 0, 0, 0, 0, 0, COMP_NONE },
		/* lz4 (v1) configured: same-generation stub first */
		{ COMP_LZ4, 1, 1, 1, 1, 1, 1, COMP_LZ4 },
		{ COMP_LZ4, 1, 0, 1, 1, 1, 1, COMP_STUB },
		{ COMP_LZ4, 1, 0, 0, 1, 1, 1, COMP_STUB_V2 },
		/* stubs configured */
		{ COMP_STUB_V2, 1, 1, 1, 1, 1, 1, COMP_STUB_V2 },
		{ COMP_STUB_V2, 0, 0, 1, 0, 1, 0, COMP_STUB },
		{ COMP_STUB, 0, 0, 1, 1, 1, 0, COMP_STUB },
		{ COMP_STUB, 0, 0, 0, 1, 1, 0, COMP_STUB_V2 },
		{ COMP_LZO_NO, 0, 0, 1, 1, 1, 0, COMP_LZO_NO },
		{ COMP_LZO_NO, 0, 0, 0, 0, 0, 1, COMP_LZO_NO },
		{ COMP_LZO_NO, 0, 0, 0, 1, 0, 0, COMP_STUB_V2 },
		{ COMP_LZO_NO, 0, 0, 0, 0, 0, 0, COMP_NONE },
		{ (enum comp_mode)42, 1, 1, 1, 1, 1, 1, COMP_NONE },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		enum comp_mode got = comp_negotiate(t[i].cfg, t[i].v2, t[i].v1,
		    t[i].st, t[i].st2, t[i].lzs, t[i].occ);

		if (got != t[i].want)
			fail_msg("row %zu: got %d want %d", i, got, t[i].want);
	}
}

/*
 * Known answers from OpenVPN 2.6.14 (Debian build, liblz4 1.9.4): two
 * p2p TLS peers in network namespaces with `--compress lz4-v2` (and, in a
 * second run, `--compress lz4`) and `--allow-compression yes --verb 9`,
 * then `ping -s 1000 -p 00` through the tunnel.  The LZ4 blocks were
 * logged by an LD_PRELOAD shim around LZ4_compress_default /
 * LZ4_decompress_safe; the framing bytes and the first 32 bytes of each
 * framed plaintext were checked against openvpn's own "ENCRYPT FROM" /
 * "DECRYPT TO" lines, which also gave the whole 17-byte v1 ping frame.
 * Each payload is the ICMP echo shown followed by zeros to 1028 bytes.
 */
static const uint8_t kat_v2_sent_head[] = {	/* server -> client */
	0x45, 0x00, 0x04, 0x04, 0x1f, 0x00, 0x40, 0x00, 0x40, 0x01, 0x93, 0x2d,
	0xc0, 0x00, 0x02, 0x65, 0xc0, 0x00, 0x02, 0x66, 0x08, 0x00, 0xbd, 0x8e,
	0x5e, 0x5a, 0x00, 0x01, 0xd9, 0xfa, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x00,
	0xf4, 0xaf, 0x0c,
};
/* "ENCRYPT FROM: 5001f018 45000404 1f004000 4001932d ..." */
static const uint8_t kat_v2_sent_frame[] = {
	0x50, 0x01,
	0xf0, 0x18, 0x45, 0x00, 0x04, 0x04, 0x1f, 0x00, 0x40, 0x00, 0x40, 0x01,
	0x93, 0x2d, 0xc0, 0x00, 0x02, 0x65, 0xc0, 0x00, 0x02, 0x66, 0x08, 0x00,
	0xbd, 0x8e, 0x5e, 0x5a, 0x00, 0x01, 0xd9, 0xfa, 0x01, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0xf4, 0xaf, 0x0c, 0x07, 0x00, 0x0f, 0x02, 0x00, 0xff, 0xff,
	0xff, 0xc4, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t kat_v2_rcvd_head[] = {	/* client -> server */
	0x45, 0x00, 0x04, 0x04, 0xd1, 0x51, 0x00, 0x00, 0x40, 0x01, 0x20, 0xdc,
	0xc0, 0x00, 0x02, 0x66, 0xc0, 0x00, 0x02, 0x65, 0x00, 0x00, 0xc5, 0x8e,
	0x5e, 0x5a, 0x00, 0x01, 0xd9, 0xfa, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x00,
	0xf4, 0xaf, 0x0c,
};
/* "DECRYPT TO: 5001f018 45000404 d1510000 400120dc ..." */
static const uint8_t kat_v2_rcvd_frame[] = {
	0x50, 0x01,
	0xf0, 0x18, 0x45, 0x00, 0x04, 0x04, 0xd1, 0x51, 0x00, 0x00, 0x40, 0x01,
	0x20, 0xdc, 0xc0, 0x00, 0x02, 0x66, 0xc0, 0x00, 0x02, 0x65, 0x00, 0x00,
	0xc5, 0x8e, 0x5e, 0x5a, 0x00, 0x01, 0xd9, 0xfa, 0x01, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0xf4, 0xaf, 0x0c, 0x07, 0x00, 0x0f, 0x02, 0x00, 0xff, 0xff,
	0xff, 0xc4, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t kat_v1_sent_head[] = {	/* compress lz4 run */
	0x45, 0x00, 0x04, 0x04, 0xbb, 0xea, 0x40, 0x00, 0x40, 0x01, 0xf6, 0x42,
	0xc0, 0x00, 0x02, 0x65, 0xc0, 0x00, 0x02, 0x66, 0x08, 0x00, 0xc0, 0x87,
	0x5f, 0xbe, 0x00, 0x01, 0xdd, 0xfa, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x00,
	0xec, 0x52, 0x0c,
};
/* "ENCRYPT FROM: 69184500 0404bbea 40004001 f642c000 ...": the block's
 * first byte 0xf0 travels at the end. */
static const uint8_t kat_v1_sent_frame[] = {
	0x69,
	0x18, 0x45, 0x00, 0x04, 0x04, 0xbb, 0xea, 0x40, 0x00, 0x40, 0x01, 0xf6,
	0x42, 0xc0, 0x00, 0x02, 0x65, 0xc0, 0x00, 0x02, 0x66, 0x08, 0x00, 0xc0,
	0x87, 0x5f, 0xbe, 0x00, 0x01, 0xdd, 0xfa, 0x01, 0x6b, 0x00, 0x00, 0x00,
	0x00, 0xec, 0x52, 0x0c, 0x07, 0x00, 0x0f, 0x02, 0x00, 0xff, 0xff, 0xff,
	0xc4, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xf0,
};
/* "ENCRYPT FROM: fb187bf3 641eb4cb 07ed2d0a 981fc748 2a" (compress lz4) */
static const uint8_t kat_v1_ping_frame[] = {
	0xfb, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb, 0x07, 0xed, 0x2d, 0x0a,
	0x98, 0x1f, 0xc7, 0x48, 0x2a,
};

static void
kat_one(enum comp_mode m, const uint8_t *head, size_t headlen,
    const uint8_t *fr, size_t frlen, bool check_frame)
{
	uint8_t payload[1028], out[2048];
	size_t len;

	memset(payload, 0, sizeof(payload));
	memcpy(payload, head, headlen);
	assert_int_equal(unframe(m, COMP_ALLOW_ASYM, fr, frlen, out,
	    sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(payload));
	assert_memory_equal(out, payload, sizeof(payload));
	/* our cap is the tunnel's: 1027 bytes of room is a bomb */
	assert_int_equal(unframe(m, COMP_ALLOW_ASYM, fr, frlen, out, 1027,
	    &len), ERR_OVERFLOW);
	if (!check_frame)
		return;
	/* Same input, same liblz4 default compressor: the same block. */
	assert_int_equal(frame(m, COMP_ALLOW_YES, payload, sizeof(payload), out,
	    sizeof(out), &len), 0);
	assert_int_equal(len, frlen);
	assert_memory_equal(out, fr, frlen);
}

static void
test_kat_openvpn26(void **state)
{
	uint8_t out[64];
	size_t len;

	kat_one(COMP_LZ4_V2, kat_v2_sent_head, sizeof(kat_v2_sent_head),
	    kat_v2_sent_frame, sizeof(kat_v2_sent_frame), true);
	kat_one(COMP_LZ4_V2, kat_v2_rcvd_head, sizeof(kat_v2_rcvd_head),
	    kat_v2_rcvd_frame, sizeof(kat_v2_rcvd_frame), true);
	kat_one(COMP_LZ4, kat_v1_sent_head, sizeof(kat_v1_sent_head),
	    kat_v1_sent_frame, sizeof(kat_v1_sent_frame), true);

	/* the ping: swapped in v1 modes, untouched in v2 ("ENCRYPT FROM:
	 * 2a187bf3 ..." in the lz4-v2 run) */
	expect_frame(COMP_LZ4, COMP_ALLOW_YES, ping_magic, 16,
	    kat_v1_ping_frame, sizeof(kat_v1_ping_frame));
	expect_frame(COMP_STUB, COMP_ALLOW_NO, ping_magic, 16,
	    kat_v1_ping_frame, sizeof(kat_v1_ping_frame));
	expect_frame(COMP_LZ4_V2, COMP_ALLOW_YES, ping_magic, 16, ping_magic,
	    16);
	assert_int_equal(unframe(COMP_LZ4, COMP_ALLOW_ASYM, kat_v1_ping_frame,
	    sizeof(kat_v1_ping_frame), out, sizeof(out), &len), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(out, ping_magic, 16);
}

/* Hostile input: random frames never crash, never exceed the room, and
 * only ever produce the documented codes. */
static void
test_random_frames(void **state)
{
	uint8_t in[300], out[512];
	uint32_t seed = 12345;
	size_t iter, i, n, len, m, a;
	int r;

	for (iter = 0; iter < 20000; iter++) {
		seed = seed * 1664525u + 1013904223u;
		n = (seed >> 8) % sizeof(in);
		for (i = 0; i < n; i++) {
			seed = seed * 1664525u + 1013904223u;
			in[i] = (uint8_t)(seed >> 24);
		}
		/* aim a third of the frames at the interesting markers */
		if (n >= 2 && iter % 3 == 0) {
			static const uint8_t heads[][2] = { { 0x50, 0x01 },
				{ 0x69, 0x00 }, { 0x50, 0x00 }, { 0xfb, 0x00 } };
			in[0] = heads[iter % 4][0];
			if (heads[iter % 4][0] == 0x50)
				in[1] = heads[iter % 4][1];
		}
		m = iter % NELEM(all_modes);
		a = (iter / NELEM(all_modes)) % NELEM(all_allow);
		r = unframe(all_modes[m], all_allow[a], in, n, out,
		    (seed >> 4) % sizeof(out), &len);
		assert_true(r == 0 || r == ERR_TRUNC || r == ERR_MALFORMED ||
		    r == ERR_UNSUPPORTED || r == ERR_OVERFLOW);
		if (r != 0)
			assert_int_equal(len, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_frame_layouts),
		cmocka_unit_test(test_unframe_layouts),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_lz4_compress_yes),
		cmocka_unit_test(test_asym_never_compresses),
		cmocka_unit_test(test_threshold_and_no_gain),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_overflow_and_append),
		cmocka_unit_test(test_inval),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_kat_openvpn26),
		cmocka_unit_test(test_random_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
