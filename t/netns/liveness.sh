#!/bin/sh
# liveness.sh - how the endpoint notices that a client is gone (doc §12
# keepalive, §9.4 EXIT, §11 demultiplexing), against the stock 2.6 client.
#
#   client1 ns (192.0.2.2) ---veth--- endpoint ns (192.0.2.1, 198.51.100.1) ---veth--- client2 ns (198.51.100.2)
#
# Server `keepalive 1 3`: it pushes ping 1 / ping-restart 3 and drops a
# client after 2x3 = 6 s without a packet.
# Asserts:
#  (a) client1 killed with SIGKILL: the server logs its disconnect for
#      ping-restart between 4.5 and 10 s after the kill (its last packet was
#      at most ~1 s before the kill, so 5-6 s is expected), and its address
#      is released: client2 then gets the lowest address, 10.8.0.2, and ping
#      crosses the tunnel both ways (56 and 1300 bytes);
#  (b) client2 with `explicit-exit-notify 1` gets SIGTERM: the server logs
#      "client sent EXIT" and the disconnect less than 2 s after the signal;
#  (c) client1 bound to `lport 40001` is killed with SIGKILL and restarted at
#      once on the same port, while the server still holds its old session:
#      it is connected again within 1 s of its restart (see the measure
#      below), with an address, and ping works.
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

{ t_server_conf "$P"; echo "keepalive 1 3"; echo "explicit-exit-notify 1"; } >"$T_DIR/server.conf"
t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/client1.conf"
{ t_client_conf "$P" client2 198.51.100.1; echo "explicit-exit-notify 1"; } >"$T_DIR/client2.conf"
t_client_conf "$P" client1 192.0.2.1 40001 >"$T_DIR/client1-lport.conf"

t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"

# ---- (a) keepalive timeout after SIGKILL
t_bg "$C1" "$T_DIR/client1.log" openvpn --config "$T_DIR/client1.conf"
C1PID=$T_LAST_PID
t_wait_log "$T_DIR/client1.log" "Initialization Sequence Completed" 30 "$C1PID" ||
	t_fail "client1 did not connect"
grep -q "Timers: ping 1, ping-restart 3" "$T_DIR/client1.log" ||
	t_fail "client1 was not given ping 1, ping-restart 3"
[ "$(t_tun_addr "$C1")" = 10.8.0.2 ] || t_fail "client1 did not get 10.8.0.2"
t_ping "$C1" 10.8.0.1 || t_fail "client1 cannot ping the endpoint"
kill_ms=$(t_ms)
t_signal KILL "$C1PID"
t_wait_exit "$C1PID" 5 || t_fail "client1 survived SIGKILL"
t_wait_log "$SLOG" "\(client1\) .*disconnected: .*ping-restart" 12 "$SPID" ||
	t_fail "server did not drop the killed client1 within 12 s"
drop_ms=$(t_log_ms "$SLOG" "\(client1\) .*disconnected: .*ping-restart")
dt=$((drop_ms - kill_ms))
t_log "keepalive drop $dt ms after SIGKILL: $(grep -m1 -o 'disconnected: .*ping-restart)' "$SLOG")"
[ "$dt" -ge 4500 ] && [ "$dt" -le 10000 ] ||
	t_fail "server dropped client1 $dt ms after SIGKILL, expected 4500..10000 (2 x ping-restart 3)"
t_pass "SIGKILLed client dropped for ping-restart after $dt ms"

t_bg "$C2" "$T_DIR/client2.log" openvpn --config "$T_DIR/client2.conf"
C2PID=$T_LAST_PID
t_wait_log "$T_DIR/client2.log" "Initialization Sequence Completed" 30 "$C2PID" ||
	t_fail "client2 did not connect"
A2=$(t_tun_addr "$C2")
[ "$A2" = 10.8.0.2 ] || t_fail "client2 got '$A2', not the released 10.8.0.2"
t_ping "$C2" 10.8.0.1 || t_fail "client2 cannot ping the endpoint"
t_ping "$SRV" "$A2" 1300 || t_fail "endpoint cannot ping client2 with 1300 bytes"
t_pass "the dropped client's address was released: client2 got 10.8.0.2, ping both ways"

# ---- (b) explicit exit notification
kill_ms=$(t_ms)
t_signal TERM "$C2PID"
t_wait_log_ms "$SLOG" "\(client2\) .*client sent EXIT" 2000 ||
	t_fail "server did not log 'client sent EXIT' within 2 s of SIGTERM"
t_wait_log_ms "$SLOG" "\(client2\) .*disconnected: client exit notify" 2000 ||
	t_fail "server did not drop client2 within 2 s of its EXIT"
exit_ms=$(t_log_ms "$SLOG" "\(client2\) .*client sent EXIT")
disc_ms=$(t_log_ms "$SLOG" "\(client2\) .*disconnected: client exit notify")
t_log "EXIT logged $((exit_ms - kill_ms)) ms and disconnect $((disc_ms - kill_ms)) ms after SIGTERM"
[ $((disc_ms - kill_ms)) -lt 2000 ] || t_fail "disconnect $((disc_ms - kill_ms)) ms after SIGTERM"
t_wait_exit "$C2PID" 10 || t_fail "client2 did not exit after SIGTERM"
t_pass "explicit-exit-notify: EXIT and disconnect $((disc_ms - kill_ms)) ms after SIGTERM"

# ---- (c) SIGKILL and restart on the same local port
t_bg "$C1" "$T_DIR/client1-lport.log" openvpn --config "$T_DIR/client1-lport.conf"
C1PID=$T_LAST_PID
t_wait_log "$T_DIR/client1-lport.log" "Initialization Sequence Completed" 30 "$C1PID" ||
	t_fail "client1 (lport 40001) did not connect"
grep -q "(client1) 192.0.2.2:40001: connected" "$SLOG" || t_fail "client1 is not seen from port 40001"
t_ping "$C1" 10.8.0.1 || t_fail "client1 (lport 40001) cannot ping the endpoint"
A0=$(t_tun_addr "$C1")
t_signal KILL "$C1PID"
t_wait_exit "$C1PID" 5 || t_fail "client1 survived SIGKILL"
nconn=$(t_count "$SLOG" "\(client1\) 192.0.2.2:40001: connected")
# The measure: restart_ms is taken just before the new client process is
# started.  Server side, the reconnect is done when the endpoint logs the new
# "connected" line (its log carries ms timestamps from the same clock), so
# server_ms = that line - restart_ms covers the client's start-up, its first
# packet, the cookie round trip, TLS and key-method-2: < 1000 ms required.
# Wall side, wall_ms = when we see the client's "Initialization Sequence
# Completed" (polled every 50 ms, so up to 50 ms late, and it includes the
# client's PUSH_REQUEST round trip and TUN set-up) - restart_ms: < 2000 ms.
restart_ms=$(t_ms)
t_bg "$C1" "$T_DIR/client1-restart.log" openvpn --config "$T_DIR/client1-lport.conf"
C1PID=$T_LAST_PID
t_wait_log_ms "$T_DIR/client1-restart.log" "Initialization Sequence Completed" 10000 "$C1PID" ||
	t_fail "client1 restarted on port 40001 did not reconnect within 10 s"
wall_ms=$(( $(t_ms) - restart_ms ))
t_wait_count "$SLOG" "\(client1\) 192.0.2.2:40001: connected" $((nconn + 1)) 2 "$SPID" ||
	t_fail "the server logged no new connection for the restarted client1"
conn_ms=$(grep -E "\(client1\) 192.0.2.2:40001: connected" "$SLOG" | tail -n 1 | cut -c1-23)
server_ms=$(( $(date -u -d "$conn_ms" +%s%3N) - restart_ms ))   # the endpoint logs UTC
t_log "restart on the same port: server connected after $server_ms ms, client complete after $wall_ms ms (wall)"
[ "$server_ms" -lt 1000 ] || t_fail "server-side reconnect took $server_ms ms (>= 1000)"
[ "$wall_ms" -lt 2000 ] || t_fail "client reconnect took $wall_ms ms wall (>= 2000)"
A1=$(t_tun_addr "$C1")
[ -n "$A1" ] || t_fail "restarted client1 has no address"
# 2.6 gives a reconnecting common name its address back; so do we.
[ "$A1" = "$A0" ] || t_fail "restarted client1 got $A1, not its previous address $A0"
t_ping "$C1" 10.8.0.1 || t_fail "restarted client1 cannot ping the endpoint"
t_ping "$SRV" "$A1" 1300 || t_fail "endpoint cannot ping the restarted client1 with 1300 bytes"
t_pass "client restarted on the same port reconnected in $server_ms ms (server) / $wall_ms ms (wall), address $A1"
t_stop "$C1PID"
t_stop "$SPID"
exit 0
