#!/bin/sh
# compress.sh - compression framing for the profiles still found in the wild,
# against the stock OpenVPN 2.6 client (doc §10.3).  Each case pings both
# ways with a compressible 1300-byte payload (-p 00).  Where the client has
# allow-compression yes it really compresses towards us, and we decompress;
# we never compress outbound (allow-compression asym, 2.6's default).
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

t_case lz4-v2 udp "compress lz4-v2" "compress lz4-v2
allow-compression yes" "-p 00"
t_case lz4 udp "compress lz4" "compress lz4
allow-compression yes" "-p 00"
t_case comp-lzo-no udp "comp-lzo no" "comp-lzo no" "-p 00"
t_case compress-stub udp "compress" "compress" "-p 00"
t_case stub-v2 tcp "compress stub-v2" "compress stub-v2" "-p 00"
# the server asks for lz4-v2, a default client only has the stubs: stub-v2
t_case negotiated-stub udp "compress lz4-v2" "" "-p 00"
grep -q "compress stub-v2" "$T_DIR/negotiated-stub-client.log" ||
	t_fail "a default client was not pushed stub-v2 framing"
grep -q "framing compress stub-v2" "$T_DIR/negotiated-stub-server.log" ||
	t_fail "the server did not log the negotiated framing"
# a legacy profile with comp-lzo against a server configured without any
grep -q "is enabled for compatibility" "$T_DIR/lz4-v2-server.log" ||
	t_fail "no warning when compression framing is enabled"
t_case legacy-comp-lzo udp "" "comp-lzo" "-p 00"
t_pass "every framing interoperates; compression is decompressed inbound, never applied outbound"
