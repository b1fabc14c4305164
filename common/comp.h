/*
 * comp.h - data-channel compression framing (doc openvpn-protocol.md §10.3).
 *
 * Every data-channel plaintext (tun packets, the 16-byte ping, OCC messages)
 * passes through comp_frame() before encryption and comp_unframe() after
 * decryption.  The module is pure: no I/O, no globals, no heap.  Neither
 * function keeps state between packets.
 *
 * Modes and their wire form (uncompressed / compressed):
 *   COMP_NONE      payload as is / -                       (2.6 default)
 *   COMP_LZO_NO    0xFA + payload / (0x66 + LZO: refused)  `comp-lzo no`
 *   COMP_STUB      swap with 0xFB / -                      `compress`
 *   COMP_LZ4       swap with 0xFB / swap with 0x69 + LZ4   `compress lz4`
 *   COMP_STUB_V2   as is, 0x50 first -> 0x50 0x00 escape   `compress stub-v2`
 *   COMP_LZ4_V2    as stub-v2 / 0x50 0x01 + LZ4 block      `compress lz4-v2`
 * "Swap": the marker takes byte 0 and the payload's byte 0 moves to the end.
 *
 * Empty payloads: in every mode a 0-byte payload frames to a 0-byte packet
 * and a 0-byte packet unframes to a 0-byte payload (2.6 skips its framing
 * code for empty buffers).  Callers normally drop empty payloads.
 *
 * Policy (allow-compression, as in 2.6): only COMP_ALLOW_YES ever compresses
 * outbound, only payloads of at least COMP_THRESHOLD bytes, and only when
 * the LZ4 block is shorter than the payload.  COMP_ALLOW_ASYM and
 * COMP_ALLOW_YES decompress what arrives in an LZ4 mode; COMP_ALLOW_NO
 * refuses compressed packets (ERR_UNSUPPORTED).  Stub modes never compress
 * and refuse compressed packets whatever the policy.  Outbound compression
 * exposes the tunnel to compression side channels (VORACLE): P7 wants it
 * off unless configured, and the config layer should warn when it is on.
 */
#ifndef OVPN_COMP_H
#define OVPN_COMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum comp_mode {
	COMP_NONE = 0,
	COMP_LZO_NO,
	COMP_STUB,
	COMP_LZ4,
	COMP_STUB_V2,
	COMP_LZ4_V2,
};

enum comp_allow {
	COMP_ALLOW_NO = 0,
	COMP_ALLOW_ASYM,
	COMP_ALLOW_YES,
};

/* Wire bytes (2.6 comp.h values). */
enum {
	COMP_V1_LZO = 0x66,        /* LZO compressed, unswapped (refused) */
	COMP_V1_LZ4 = 0x69,        /* LZ4 compressed, swapped */
	COMP_V1_NONE = 0xFA,       /* uncompressed, unswapped (comp-lzo) */
	COMP_V1_NONE_SWAP = 0xFB,  /* uncompressed, swapped (compress) */
	COMP_V2_IND = 0x50,        /* v2 indicator byte */
	COMP_V2_NONE = 0x00,       /* v2 escape, as sent by us and OpenVPN 3 */
	COMP_V2_NONE_26 = 0x0A,    /* v2 escape as 2.6 sends it; accepted */
	COMP_V2_LZ4 = 0x01,
	COMP_V2_LZO = 0x02,        /* never sent by 2.6; refused */
};

enum {
	/* 2.6 COMPRESS_THRESHOLD: smaller payloads are never compressed. */
	COMP_THRESHOLD = 100,
	/* Framing adds at most this many bytes to an uncompressed payload. */
	COMP_MAX_OVERHEAD = 2,
	/* Largest v1 (swapped) LZ4 block we can decompress: the block must be
	 * made contiguous in stack scratch first.  Bigger is ERR_OVERFLOW. */
	COMP_V1_LZ4_MAX_IN = 16384,
};

/*
 * Parse a configuration directive ("compress" or "comp-lzo") and its
 * argument (NULL when absent) into a mode.
 *   compress            -> COMP_STUB      comp-lzo no -> COMP_LZO_NO
 *   compress stub-v2    -> COMP_STUB_V2   compress lz4 -> COMP_LZ4
 *   compress lz4-v2     -> COMP_LZ4_V2    compress migrate -> COMP_NONE
 * ("migrate" is what comp_negotiate() does from COMP_NONE anyway.)
 * Returns 0, ERR_UNSUPPORTED for LZO compression (`compress lzo`,
 * `comp-lzo`, `comp-lzo yes|adaptive`: no liblzo), ERR_CONFIG for an unknown
 * directive or argument, ERR_INVAL for NULL directive/out.  *out is written
 * only on success.
 */
int comp_mode_parse(const char *directive, const char *arg,
    enum comp_mode *out);

/* Parse the argument of `allow-compression` ("no", "asym", "yes").
 * Returns 0, ERR_CONFIG for anything else; *out written only on success. */
int comp_allow_parse(const char *arg, enum comp_allow *out);

/* The policy 2.6 applies without an allow-compression line: ASYM when the
 * mode names an algorithm (lz4, lz4-v2), NO otherwise. */
enum comp_allow comp_allow_default(enum comp_mode m);

/* The option line a server pushes for the mode ("compress lz4-v2",
 * "comp-lzo no", ...), or NULL for COMP_NONE (push nothing). */
const char *comp_mode_push_string(enum comp_mode m);

/* Short name for logs and config printing ("none", "comp-lzo no", ...). */
const char *comp_mode_name(enum comp_mode m);

/* True if the mode adds or removes bytes at all, i.e. anything but
 * COMP_NONE; 2.6 then puts ",comp-lzo" in its OCC options string. */
bool comp_mode_frames(enum comp_mode m);

/* True if the mode can carry compressed data (COMP_LZ4, COMP_LZ4_V2). */
bool comp_mode_compresses(enum comp_mode m);

/*
 * Frame an outgoing plaintext.  Appends the framed packet to out; `in` and
 * out's memory must not overlap.  Needs n + COMP_MAX_OVERHEAD bytes of room;
 * compression (COMP_ALLOW_YES, LZ4 modes) only ever happens into that room
 * because a block is used only when it is shorter than the payload.
 * Returns 0, ERR_OVERFLOW (out unchanged: its length is restored and the
 * sticky overflow flag set), ERR_INVAL for a bad mode/policy or NULL.
 */
int comp_frame(enum comp_mode m, enum comp_allow allow, const uint8_t *in,
    size_t n, struct wbuf *out);

/*
 * Remove the framing from a received plaintext, decompressing into out.
 * Appends the payload to out; wbuf_room(out) is the largest payload
 * accepted (set out's cap to the largest tunnel packet).  `in` and out's
 * memory must not overlap.  Returns 0 or, leaving out's length unchanged:
 *   ERR_TRUNC        a v2 indicator byte with nothing after it
 *   ERR_MALFORMED    unknown marker, or an LZ4 block that does not decode
 *   ERR_UNSUPPORTED  LZO data (0x66, 0x50 0x02), or compressed data in a
 *                    stub mode or under COMP_ALLOW_NO
 *   ERR_OVERFLOW     payload (after decompression) larger than the room
 *   ERR_INVAL        bad mode/policy or NULL
 * Logging is left to the caller (these are packet-triggered).
 */
int comp_unframe(enum comp_mode m, enum comp_allow allow, const uint8_t *in,
    size_t n, struct wbuf *out);

/*
 * The mode a server should use for one client (doc §10.3 recommendation),
 * from its configured mode, the client's peer-info flags (IV_LZ4v2, IV_LZ4,
 * IV_COMP_STUB, IV_COMP_STUBv2, IV_LZO_STUB) and whether its OCC options
 * string contains "comp-lzo" (it is configured to frame).
 *   - COMP_NONE: nothing, unless occ_comp_lzo; then stub-v2 if announced,
 *     else comp-lzo no (what 2.6 does with `compress migrate`).
 *   - Otherwise the configured mode if the client understands it, else the
 *     first it understands of: the stub of the same generation (lz4-v2 ->
 *     stub-v2, lz4 -> compress), stub-v2, compress, comp-lzo no; else
 *     COMP_NONE.  "Understands": lz4-v2 IV_LZ4v2, lz4 IV_LZ4, stub-v2
 *     IV_COMP_STUBv2, compress IV_COMP_STUB, comp-lzo no IV_LZO_STUB or
 *     occ_comp_lzo (a client configured with comp-lzo frames that way).
 * An unknown configured mode gives COMP_NONE.
 */
enum comp_mode comp_negotiate(enum comp_mode configured, bool iv_lz4v2,
    bool iv_lz4, bool iv_comp_stub, bool iv_comp_stubv2, bool iv_lzo_stub,
    bool occ_comp_lzo);

#endif
