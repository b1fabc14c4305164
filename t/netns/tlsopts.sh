#!/bin/sh
# tlsopts.sh - TLS options with 2.6 names against the stock OpenVPN 2.6
# client: tls-groups picks the key exchange group, tls-ciphersuites the
# TLS 1.3 suite, tls-cert-profile and verify-x509-name are enforced, and a
# tls-groups list OpenSSL rejects stops the endpoint with a clear message.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

t_case groups udp "tls-groups secp384r1" ""
grep -q "peer temporary key: 384 bits ECsecp384r1" "$T_DIR/groups-client.log" ||
	t_fail "tls-groups secp384r1 was not used (client log: $(grep -o 'temporary key[^,]*' "$T_DIR/groups-client.log"))"
t_case suites tcp "tls-ciphersuites TLS_CHACHA20_POLY1305_SHA256" ""
grep -q "TLS_CHACHA20_POLY1305_SHA256" "$T_DIR/suites-client.log" || t_fail "tls-ciphersuites not used"
t_case profile udp "tls-cert-profile preferred
verify-x509-name client1 name" ""
t_pass "tls-groups, tls-ciphersuites, tls-cert-profile and verify-x509-name work with the 2.6 client"

{ t_server_conf "$P"; echo "tls-groups no-such-group"; } >"$T_DIR/bad.conf"
t_bg "$SRV" "$T_DIR/bad.log" "$ENDPOINT" --config "$T_DIR/bad.conf"
BPID=$T_LAST_PID
t_wait_exit "$BPID" 10 || t_fail "the endpoint did not stop on a bad tls-groups"
[ "$T_RC" = 1 ] || t_fail "exit status $T_RC for a bad tls-groups (want 1)"
grep -q "tls-groups: refused by OpenSSL" "$T_DIR/bad.log" || t_fail "no clear message for a bad tls-groups"
[ -z "$(ip -n "$SRV" -o link show type tun)" ] || t_fail "a TUN device was left behind by the failed start"
t_pass "a tls-groups list OpenSSL rejects: exit 1 with a clear message, nothing left behind"
