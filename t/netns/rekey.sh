#!/bin/sh
# rekey.sh - data-channel renegotiation (doc §8.6) under continuous traffic,
# against the stock OpenVPN 2.6 client.
#
#   client ns (192.0.2.2) ---veth--- endpoint ns (192.0.2.1)
#
# Asserts, for each direction of renegotiation:
#  - client-initiated: client `reneg-sec 2`, server default (3600 s), pings
#    every 50 ms for 10 s (56 bytes client->server, and 1300 bytes
#    server->client at the same time): at least 3 renegotiations happen
#    (client log "TLS: soft reset", server log "new data channel key N ready"
#    with N advancing 1, 2, 3 ...), and each ping stream loses at most one
#    packet per renegotiation;
#  - server-initiated: server `reneg-sec 3` (taken 5% early), client default:
#    the server's key ids advance (1, 2, 3 within 12 s), with the same loss
#    bound, and the client never initiated one.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

KEYRE="new data channel key [0-9]+ ready"

# key_ids FILE: the key ids of "new data channel key N ready", one a line.
key_ids() { sed -n 's/.*new data channel key \([0-9]*\) ready.*/\1/p' "$1"; }

# check_advancing FILE: key ids go 1, 2, ... 7, 1, 2 ... (0 is only the first key).
check_advancing() {
	local want=1 k
	for k in $(key_ids "$1"); do
		[ "$k" = "$want" ] || t_fail "key id $k where $want was expected (ids: $(key_ids "$1" | tr '\n' ' '))"
		want=$((want % 7 + 1))
	done
}

# run NAME SERVER_EXTRA CLIENT_EXTRA: one server and one client, then 10 s of
# pings both ways while renegotiations happen.  Sets SLOG, CLOG, RENEGS,
# LOSS_UP (client->server, 56 bytes) and LOSS_DOWN (server->client, 1300).
run() {
	local name="$1" before
	SLOG="$T_DIR/server-$name.log"
	CLOG="$T_DIR/client-$name.log"
	{ t_server_conf "$P"; echo "keepalive 10 60"; echo "$2"; } >"$T_DIR/server-$name.conf"
	{ t_client_conf "$P" client1 192.0.2.1; echo "$3"; } >"$T_DIR/client-$name.conf"
	t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server-$name.conf"
	SPID=$T_LAST_PID
	t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" ||
		t_fail "$name: endpoint did not start"
	t_bg "$C1" "$CLOG" openvpn --config "$T_DIR/client-$name.conf"
	CPID=$T_LAST_PID
	t_wait_log "$CLOG" "Initialization Sequence Completed" 30 "$CPID" ||
		t_fail "$name: client did not connect"
	A=$(t_tun_addr "$C1")
	[ -n "$A" ] || t_fail "$name: client has no tunnel address"
	t_ping "$C1" 10.8.0.1 || t_fail "$name: no ping before renegotiation"

	before=$(t_count "$SLOG" "$KEYRE")
	t_ping_bg "$C1" "$T_DIR/ping-up-$name.out" 10.8.0.1 200 0.05
	UP=$T_LAST_PID
	t_ping_bg "$SRV" "$T_DIR/ping-down-$name.out" "$A" 100 0.1 1300
	DOWN=$T_LAST_PID
	t_wait_exit "$UP" 30 || t_fail "$name: ping did not finish"
	t_wait_exit "$DOWN" 30 || t_fail "$name: ping did not finish"
	RENEGS=$(( $(t_count "$SLOG" "$KEYRE") - before ))
	t_ping_result "$T_DIR/ping-up-$name.out"
	LOSS_UP=$((T_SENT - T_RECV))
	t_ping_result "$T_DIR/ping-down-$name.out"
	LOSS_DOWN=$((T_SENT - T_RECV))
	t_log "$name: $RENEGS renegotiations in 10 s; lost $LOSS_UP of 200 client->server (56 B), $LOSS_DOWN of 100 server->client (1300 B)"
	check_advancing "$SLOG"
	[ "$LOSS_UP" -le "$RENEGS" ] ||
		t_fail "$name: lost $LOSS_UP client->server pings over $RENEGS renegotiations"
	[ "$LOSS_DOWN" -le "$RENEGS" ] ||
		t_fail "$name: lost $LOSS_DOWN server->client pings over $RENEGS renegotiations"
	grep -q "Initialization Sequence Completed" "$CLOG" &&
		[ "$(t_count "$CLOG" "Initialization Sequence Completed")" = 1 ] ||
		t_fail "$name: the client restarted its session"
	[ "$(t_count "$SLOG" "connected, address")" = 1 ] || t_fail "$name: more than one session on the server"
	t_ping "$C1" 10.8.0.1 1300 || t_fail "$name: no 1300-byte ping after renegotiations"
	t_ping "$SRV" "$A" || t_fail "$name: no ping to the client after renegotiations"
}

run client "" "reneg-sec 2"
[ "$RENEGS" -ge 3 ] || t_fail "client reneg-sec 2: only $RENEGS renegotiations in 10 s"
[ "$(t_count "$CLOG" "TLS: soft reset")" -ge 3 ] ||
	t_fail "the client did not start the renegotiations (no 'TLS: soft reset' in its log)"
t_pass "client-initiated renegotiation: $RENEGS in 10 s, key ids advance, loss $LOSS_UP+$LOSS_DOWN (<= 1 per renegotiation each way)"
t_stop "$CPID"
t_stop "$SPID"

run server "reneg-sec 3" ""
t_wait_log "$SLOG" "new data channel key 3 ready" 12 "$SPID" ||
	t_fail "server reneg-sec 3: key 3 not ready ($(key_ids "$SLOG" | tr '\n' ' '))"
check_advancing "$SLOG"
[ "$RENEGS" -ge 2 ] || t_fail "server reneg-sec 3: only $RENEGS renegotiations in 10 s"
! grep -q "TLS: soft reset" "$CLOG" || t_fail "the client started a renegotiation itself"
t_ping "$C1" 10.8.0.1 || t_fail "no ping after key 3"
t_pass "server-initiated renegotiation: key ids $(key_ids "$SLOG" | tr '\n' ' ')advance, loss $LOSS_UP+$LOSS_DOWN (<= 1 per renegotiation each way)"
t_stop "$CPID"
t_stop "$SPID"
exit 0
