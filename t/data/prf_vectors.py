#!/usr/bin/env python3
"""Known-answer vectors for t/unit/test_keys.c.

An independent implementation of the TLS 1.0/1.1 PRF (RFC 2246 section 5,
RFC 4346 section 5) using only hmac/hashlib, and of OpenVPN's legacy
key-method-2 derivation (shared/docs/openvpn-protocol.md section 7.3).  It
shares no code with OpenSSL's TLS1-PRF KDF that common/keys.c calls.

Run: python3 t/data/prf_vectors.py  > prints the C arrays pasted into
test_keys.c.  Inputs are fixed byte patterns so the output is reproducible.
"""
import hashlib
import hmac


def p_hash(digest, secret, seed, n):
    out = b""
    a = seed
    while len(out) < n:
        a = hmac.new(secret, a, digest).digest()
        out += hmac.new(secret, a + seed, digest).digest()
    return out[:n]


def tls1_prf(secret, seed, n):
    # Two halves of ceil(len/2) bytes each; they share the middle byte when
    # the length is odd (RFC 2246 5: "S1 and S2 ... overlap by one byte").
    half = (len(secret) + 1) // 2
    s1, s2 = secret[:half], secret[len(secret) - half:]
    md5 = p_hash(hashlib.md5, s1, seed, n)
    sha = p_hash(hashlib.sha1, s2, seed, n)
    return bytes(x ^ y for x, y in zip(md5, sha))


def pattern(start, n, step=1):
    return bytes((start + i * step) & 0xFF for i in range(n))


def c_array(name, data):
    lines = []
    for i in range(0, len(data), 12):
        lines.append("\t" + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",")
    return "static const uint8_t %s[%d] = {\n%s\n};" % (name, len(data), "\n".join(lines))


def self_check():
    # The TLS 1.0 PRF test vector circulated on the IETF TLS WG list (secret
    # 48 x 0xab, label "PRF Testvector", seed 64 x 0xcd, 104 bytes); only its
    # first 16 bytes are checked here, the full value is in test_keys.c.
    got = tls1_prf(b"\xab" * 48, b"PRF Testvector" + b"\xcd" * 64, 104)
    assert got[:16].hex() == "d3d4d1e349b5d515044666d51de32bab", got.hex()


def main():
    self_check()
    print(c_array("prf0_out", tls1_prf(b"\xab" * 48, b"PRF Testvector" + b"\xcd" * 64, 104)))
    # Vector 1: even (48-byte) secret, as for the OpenVPN master secret.
    s1 = pattern(0x00, 48)
    seed1 = b"PRF Testvector" + pattern(0xC0, 40)
    print(c_array("prf1_secret", s1))
    print(c_array("prf1_seed", seed1))
    print(c_array("prf1_out", tls1_prf(s1, seed1, 104)))
    # Vector 2: odd (47-byte) secret: the halves overlap by one byte.
    s2 = pattern(0x80, 47, 3)
    seed2 = b"odd secret" + pattern(0x11, 33, 7)
    print(c_array("prf2_secret", s2))
    print(c_array("prf2_seed", seed2))
    print(c_array("prf2_out", tls1_prf(s2, seed2, 77)))
    # Vector 3: 1-byte secret: both halves are that byte.
    s3 = bytes([0x5A])
    seed3 = b"x"
    print(c_array("prf3_secret", s3))
    print(c_array("prf3_seed", seed3))
    print(c_array("prf3_out", tls1_prf(s3, seed3, 20)))

    # Full legacy key2 (doc 7.3).
    pre_master = pattern(0x01, 48, 5)
    c_r1, c_r2 = pattern(0x20, 32, 1), pattern(0x40, 32, 3)
    s_r1, s_r2 = pattern(0x60, 32, 5), pattern(0x90, 32, 7)
    c_sid, s_sid = pattern(0xA1, 8, 1), pattern(0xB2, 8, 9)
    master = tls1_prf(pre_master, b"OpenVPN master secret" + c_r1 + s_r1, 48)
    key2 = tls1_prf(master, b"OpenVPN key expansion" + c_r2 + s_r2 + c_sid + s_sid, 256)
    print("/* key2 inputs: pre_master=pattern(0x01,48,5) c.random1=pattern(0x20,32,1)")
    print("   c.random2=pattern(0x40,32,3) s.random1=pattern(0x60,32,5) s.random2=pattern(0x90,32,7)")
    print("   csid=pattern(0xA1,8,1) ssid=pattern(0xB2,8,9); pattern(a,n,k)[i] = (a + i*k) & 0xff */")
    print(c_array("key2_master", master))
    print(c_array("key2_out", key2))


if __name__ == "__main__":
    main()
