#!/bin/sh
# quickstart.sh - the README's quick start, exactly, with the stock OpenVPN
# 2.6 client:
#   ovpn-endpoint init --dir D --client-cidr 10.100.0.0/22 --remote 192.0.2.1
#   ovpn-pki --dir D/pki export alice > alice.ovpn
#   ovpn-endpoint --config D/server.conf
# then alice connects with nothing but alice.ovpn and pings the endpoint.
# Also: init refuses to overwrite, and refuses a bad CIDR.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
PKI="$top_builddir/pki/ovpn-pki"
D="$T_DIR/endpoint"

"$ENDPOINT" init --dir "$D" --client-cidr 10.100.0.0/22 --remote 192.0.2.1 >"$T_DIR/init.out" 2>&1 ||
	t_fail "init failed: $(cat "$T_DIR/init.out")"
"$PKI" --dir "$D/pki" export alice >"$T_DIR/alice.ovpn" 2>"$T_DIR/export.err" ||
	t_fail "export failed: $(cat "$T_DIR/export.err")"
grep -q "issued client certificate 'alice'" "$T_DIR/export.err" || t_fail "export did not issue alice"
head -n 1 "$T_DIR/alice.ovpn" | grep -qv "^issued" || t_fail "the issue report leaked into the profile"
grep -q "^remote 192.0.2.1 1194" "$T_DIR/alice.ovpn" || t_fail "the profile lacks the remembered remote"
grep -q "^<tls-crypt-v2>" "$T_DIR/alice.ovpn" || t_fail "the profile lacks its tls-crypt-v2 key"
"$ENDPOINT" --config "$D/server.conf" --test-config >/dev/null || t_fail "the generated config does not parse"
t_pass "init + export: a config that parses and a self-contained profile"

t_bg "$SRV" "$T_DIR/server.log" "$ENDPOINT" --config "$D/server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/server.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"
t_bg "$CLI" "$T_DIR/alice.log" openvpn --config "$T_DIR/alice.ovpn"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/alice.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "alice did not connect"
[ "$(t_tun_addr "$CLI")" = 10.100.0.2 ] || t_fail "alice got '$(t_tun_addr "$CLI")', not 10.100.0.2"
t_ping "$CLI" 10.100.0.1 1300 || t_fail "alice cannot reach the endpoint"
t_pass "the endpoint runs on the generated config and alice connects with alice.ovpn"

"$ENDPOINT" init --dir "$D" --client-cidr 10.100.0.0/22 >/dev/null 2>"$T_DIR/again.err" &&
	t_fail "init overwrote an existing endpoint"
grep -q "use --force" "$T_DIR/again.err" || t_fail "no clear message on overwrite: $(cat "$T_DIR/again.err")"
"$ENDPOINT" init --dir "$T_DIR/other" --client-cidr 10.100.0.1/22 >/dev/null 2>"$T_DIR/cidr.err" &&
	t_fail "init accepted a CIDR with host bits"
grep -q "client-cidr" "$T_DIR/cidr.err" || t_fail "no clear message for a bad CIDR"
t_pass "init refuses to overwrite (without --force) and refuses a bad CIDR"
