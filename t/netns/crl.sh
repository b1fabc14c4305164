#!/bin/sh
# crl.sh - certificate revocation with the stock OpenVPN 2.6 client (P12):
# a revoked certificate is refused; replacing the CRL file revokes a
# connected client, which is told (HALT) and cut off within seconds while
# other clients carry on; a CRL that becomes unreadable fails closed for new
# clients until a valid one is back.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_ns c3; C3=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_link "$SRV" 198.51.100.1/24 "$C3" 198.51.100.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
cp "$P/crl-empty.pem" "$T_DIR/crl.pem"
{ t_server_conf "$P"; printf 'crl-verify %s\nkeepalive 1 5\n' "$T_DIR/crl.pem"; } >"$T_DIR/server.conf"
client() { # NAME REMOTE
	cat <<EOC
client
dev tun
proto udp
remote $2 1194
nobind
ca $P/ca.crt
cert $P/$1.crt
key $P/$1.key
remote-cert-tls server
verb 3
EOC
}
client client1 192.0.2.1 >"$T_DIR/c1.conf"
client client3 198.51.100.1 >"$T_DIR/c3.conf"
SLOG="$T_DIR/server.log"
t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"

t_bg "$C1" "$T_DIR/c1.log" openvpn --config "$T_DIR/c1.conf"
P1=$T_LAST_PID
t_bg "$C3" "$T_DIR/c3.log" openvpn --config "$T_DIR/c3.conf"
P3=$T_LAST_PID
t_wait_log "$T_DIR/c1.log" "Initialization Sequence Completed" 20 "$P1" || t_fail "client1 did not connect"
t_wait_log "$T_DIR/c3.log" "Initialization Sequence Completed" 20 "$P3" || t_fail "client3 did not connect"
t_ping "$C3" 10.8.0.1 || t_fail "client3 has no traffic before the revocation"
t_pass "client1 and client3 connected under a CRL that revokes nothing"

# revoke client3 by replacing the file, as an operator (or ovpn-pki) would
start=$(t_ms)
cp "$P/crl.pem" "$T_DIR/crl.pem.new" && mv "$T_DIR/crl.pem.new" "$T_DIR/crl.pem"
t_wait_log "$SLOG" "\\(client3\\).*certificate revoked by the new CRL" 5 "$SPID" ||
	t_fail "the server did not act on the new CRL within 5 s"
t_wait_log "$SLOG" "\\(client3\\).*disconnected: certificate revoked" 5 "$SPID" ||
	t_fail "client3's session did not end"
took=$(( $(t_ms) - start ))
t_wait_log "$T_DIR/c3.log" "HALT|halt" 5 || t_fail "client3 was not told"
[ "$took" -lt 2000 ] || t_fail "revocation took $took ms (the promise is under 2 s)"
t_ping "$C1" 10.8.0.1 || t_fail "client1 lost its tunnel when client3 was revoked"
t_pass "client3 revoked live: session ended ${took} ms after the CRL file changed; client1 unaffected"

# a revoked certificate cannot come back
kill -TERM "$P3" 2>/dev/null; t_wait_exit "$P3" 10
t_bg "$C3" "$T_DIR/c3b.log" openvpn --config "$T_DIR/c3.conf"
P3=$T_LAST_PID
t_wait_log "$SLOG" "certificate verify failed: certificate revoked" 15 "$SPID" ||
	t_fail "a revoked certificate was not refused at the handshake"
grep -q "Initialization Sequence Completed" "$T_DIR/c3b.log" && t_fail "a revoked client got in"
kill -TERM "$P3" 2>/dev/null; t_wait_exit "$P3" 10
t_pass "the revoked certificate is refused at the handshake"

# a broken CRL fails closed for new clients; the live client1 keeps its tunnel
echo "not a CRL" >"$T_DIR/crl.pem"
t_wait_log "$SLOG" "cannot load the changed CRL" 5 "$SPID" || t_fail "broken CRL not noticed"
kill -TERM "$P1"; t_wait_exit "$P1" 10
t_bg "$C1" "$T_DIR/c1b.log" openvpn --config "$T_DIR/c1.conf"
P1=$T_LAST_PID
t_wait_log "$T_DIR/c1b.log" "AUTH_FAILED" 15 "$P1" || t_fail "a client got in while the CRL was broken"
kill -TERM "$P1" 2>/dev/null; t_wait_exit "$P1" 10
cp "$P/crl.pem" "$T_DIR/crl.pem"
t_wait_log "$SLOG" "a valid CRL is back" 5 "$SPID" || t_fail "the fixed CRL was not picked up"
t_bg "$C1" "$T_DIR/c1c.log" openvpn --config "$T_DIR/c1.conf"
P1=$T_LAST_PID
t_wait_log "$T_DIR/c1c.log" "Initialization Sequence Completed" 20 "$P1" || t_fail "client1 not accepted after the fix"
t_pass "a broken CRL refuses new clients (fail closed) until a valid one is back"
