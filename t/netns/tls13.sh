#!/bin/sh
# tls13.sh - `tls-version-min 1.3` on the endpoint, against the stock
# OpenVPN 2.6 client.
#
#   client1 ns (192.0.2.2) ---veth--- endpoint ns (192.0.2.1, 198.51.100.1) ---veth--- client2 ns (198.51.100.2)
#
# Asserts:
#  - a client limited to TLS 1.2 (`tls-version-max 1.2`) is refused: its log
#    shows the TLS handshake failing on the protocol version, it never
#    completes, gets no address and no TUN device, and the server never
#    logs it as connected;
#  - meanwhile a default client connects with TLSv1.3 (client log "Control
#    Channel: TLSv1.3", server log "TLSv1.3"), gets the lowest address
#    10.8.0.2 (the refused client took none), and ping crosses both ways with
#    56- and 1300-byte packets.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_ns c2; C2=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_link "$SRV" 198.51.100.1/24 "$C2" 198.51.100.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
SLOG="$T_DIR/server.log"

{ t_server_conf "$P"; echo "tls-version-min 1.3"; } >"$T_DIR/server.conf"
{ t_client_conf "$P" client1 192.0.2.1; echo "tls-version-max 1.2"; } >"$T_DIR/client12.conf"
t_client_conf "$P" client2 198.51.100.1 >"$T_DIR/client13.conf"

t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"

# The TLS 1.2 client: OpenSSL on the client reports the server's
# protocol_version alert, and 2.6 logs "TLS Error: TLS handshake failed"
# (then it retries, which must fail the same way).
t_bg "$C1" "$T_DIR/client12.log" openvpn --config "$T_DIR/client12.conf"
C12PID=$T_LAST_PID
t_wait_log "$T_DIR/client12.log" "TLS Error: TLS handshake failed" 20 "$C12PID" ||
	t_fail "the TLS 1.2 client did not fail its handshake within 20 s"
grep -qiE "alert protocol version" "$T_DIR/client12.log" ||
	t_fail "the TLS 1.2 client's failure does not name the protocol version: $(grep -iE 'error' "$T_DIR/client12.log" | head -n 3)"
t_log "TLS 1.2 client: $(grep -m1 -oE 'OpenSSL: .*' "$T_DIR/client12.log")"
t_wait_log "$SLOG" "192.0.2.2:[0-9]+: .*(unsupported protocol|protocol version)" 5 "$SPID" ||
	t_fail "the server log does not name the TLS version as the reason"
t_log "server: $(grep -m1 -E '192.0.2.2:[0-9]+: .*(unsupported protocol|protocol version)' "$SLOG" | cut -c25-)"

t_bg "$C2" "$T_DIR/client13.log" openvpn --config "$T_DIR/client13.conf"
C13PID=$T_LAST_PID
t_wait_log "$T_DIR/client13.log" "Initialization Sequence Completed" 30 "$C13PID" ||
	t_fail "the default client did not connect"
grep -q "Control Channel: TLSv1.3" "$T_DIR/client13.log" ||
	t_fail "default client log does not show TLSv1.3: $(grep 'Control Channel' "$T_DIR/client13.log")"
grep -q "(client2) .*connected, address 10.8.0.2, .*TLSv1.3" "$SLOG" ||
	t_fail "server log does not show client2 on TLSv1.3 with 10.8.0.2"
A=$(t_tun_addr "$C2")
[ "$A" = 10.8.0.2 ] || t_fail "default client has '$A', not 10.8.0.2"
t_ping "$C2" 10.8.0.1 || t_fail "default client cannot ping the endpoint"
t_ping "$SRV" "$A" || t_fail "endpoint cannot ping the default client"
t_ping "$C2" 10.8.0.1 1300 || t_fail "default client cannot ping with 1300 bytes"
t_ping "$SRV" "$A" 1300 || t_fail "endpoint cannot ping the default client with 1300 bytes"
t_pass "default client connected with TLSv1.3, address 10.8.0.2, ping both ways 56 and 1300 bytes"

# The TLS 1.2 client retries (connect-retry 1); the retry must fail too.
t_wait_count "$T_DIR/client12.log" "TLS Error: TLS handshake failed" 2 20 "$C12PID" ||
	t_fail "the TLS 1.2 client did not fail a second attempt"
! grep -q "Initialization Sequence Completed" "$T_DIR/client12.log" || t_fail "the TLS 1.2 client connected"
! grep -q "Peer Connection Initiated" "$T_DIR/client12.log" || t_fail "the TLS 1.2 client finished TLS"
[ -z "$(ip -n "$C1" -o link show type tun)" ] || t_fail "the TLS 1.2 client has a TUN device"
! grep -q "(client1) .*connected" "$SLOG" || t_fail "the server logged the TLS 1.2 client as connected"
t_pass "client with tls-version-max 1.2 refused: handshake fails on the version, no address, no TUN"
t_stop "$C12PID"
t_stop "$C13PID"
t_stop "$SPID"
exit 0
