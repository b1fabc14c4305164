#!/bin/sh
# limits.sh - data-key usage limits force a renegotiation before they are
# reached, and the tunnel carries on through it (doc §8.6-8.7, P11).
# reneg-pkts and reneg-bytes share the trigger the AEAD usage limit and the
# packet-id limit use (session_rekey_due), so this exercises that path with
# numbers a test can reach; the limits themselves are unit-tested in
# test_dchan.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

# t_case sends 3+3 small pings and 3+3 of 1300 bytes (with replies, about 24
# packets and 16 kB through the key), so these limits trip at least once.
t_case reneg-pkts udp "reneg-pkts 10" ""
grep -q "renegotiating, key id 1" "$T_DIR/reneg-pkts-server.log" ||
	t_fail "reneg-pkts 10 did not start a renegotiation"
grep -q "new data channel key 1 ready" "$T_DIR/reneg-pkts-server.log" ||
	t_fail "the renegotiation forced by reneg-pkts did not complete"
t_case reneg-bytes tcp "reneg-bytes 6000" ""
grep -q "renegotiating, key id 1" "$T_DIR/reneg-bytes-server.log" ||
	t_fail "reneg-bytes 6000 did not start a renegotiation"
t_pass "reneg-pkts and reneg-bytes renegotiate under traffic, and traffic carries on"
