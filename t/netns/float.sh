#!/bin/sh
# float.sh - a client's outer address and port change mid-session (doc §11
# float, promise P9), against the stock OpenVPN 2.6 client.
#
#   client ns (192.0.2.2, later also 192.0.2.3) ---veth--- endpoint ns (192.0.2.1)
#
# The client is bound to port 40001.  While it pings the endpoint every 50 ms,
# an nftables SNAT rule in the client namespace rewrites its outgoing packets
# from 192.0.2.2:40001 to 192.0.2.3:40002 (and back on replies, statelessly),
# so the endpoint sees the same session arrive from a new address and port.
# Asserts: the server logs "floated from 192.0.2.2:40001 to 192.0.2.3:40002";
# the server sends to the new address from then on (its packets are seen
# arriving at 192.0.2.3:40002); pings keep crossing with at most 3 lost;
# afterwards ping crosses both ways (56 and 1300 bytes); the client never
# restarted its session and the server kept a single session.
. "$(dirname "$0")/lib.sh"

t_setup
command -v nft >/dev/null || t_require "needs nftables (nft)"
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
SLOG="$T_DIR/server.log"
CLOG="$T_DIR/client.log"

{ t_server_conf "$P"; echo "keepalive 10 60"; } >"$T_DIR/server.conf"
t_client_conf "$P" client1 192.0.2.1 40001 >"$T_DIR/client.conf"

t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"
t_bg "$C1" "$CLOG" openvpn --config "$T_DIR/client.conf"
CPID=$T_LAST_PID
t_wait_log "$CLOG" "Initialization Sequence Completed" 30 "$CPID" || t_fail "client did not connect"
grep -q "(client1) 192.0.2.2:40001: connected" "$SLOG" || t_fail "client not seen from 192.0.2.2:40001"
A=$(t_tun_addr "$C1")
[ -n "$A" ] || t_fail "client has no tunnel address"
t_ping "$C1" 10.8.0.1 || t_fail "client cannot ping the endpoint before the float"
t_pass "client connected from 192.0.2.2:40001 with address $A"

# The second address must be on the link so that the client namespace
# answers ARP for it.
ip -n "$C1" addr add 192.0.2.3/24 dev "$(ip -n "$C1" -o -4 addr show to 192.0.2.2 | awk '{print $2}')" ||
	t_fail "cannot add 192.0.2.3"

t_ping_bg "$C1" "$T_DIR/ping.out" 10.8.0.1 100 0.05
PING=$T_LAST_PID
# A scenario step, not a synchronisation: 1 s of pings (about 20) cross
# before the address changes, so the float happens mid-stream.
sleep 1
# The rewrite is stateless (payload mangling, no conntrack), so it takes
# effect on the very next packet whether or not conntrack already tracks the
# flow (a NAT rule would only apply to new flows).  Replies to the new
# address are mangled back before conntrack and routing see them.
ip netns exec "$C1" nft -f - <<'EOF' || t_fail "cannot load the nftables rewrite rules"
table ip ovtfloat {
	chain post {
		type filter hook postrouting priority 0;
		ip saddr 192.0.2.2 udp sport 40001 ip daddr 192.0.2.1 udp dport 1194 counter ip saddr set 192.0.2.3 udp sport set 40002
	}
	chain in {
		type filter hook prerouting priority -300;
		ip saddr 192.0.2.1 udp sport 1194 ip daddr 192.0.2.3 udp dport 40002 counter ip daddr set 192.0.2.2 udp dport set 40001
	}
}
EOF
# The float itself needs a data packet from the new address (doc §11): the
# pings provide it.
if ! t_wait_log "$SLOG" "floated from" 5 "$SPID"; then
	# Tell a server fault from a test set-up fault: did the rule rewrite
	# anything?
	t_fail "server did not log a float within 5 s (SNAT rule: $(ip netns exec "$C1" nft list chain ip ovtfloat post | grep -o 'counter packets [0-9]*'))"
fi
grep -q "(client1) floated from 192.0.2.2:40001 to 192.0.2.3:40002" "$SLOG" ||
	t_fail "float line names the wrong addresses: $(grep 'floated from' "$SLOG")"
t_wait_exit "$PING" 20 || t_fail "ping did not finish"
t_ping_result "$T_DIR/ping.out"
LOSS=$((T_SENT - T_RECV))
t_log "float: lost $LOSS of $T_SENT pings (50 ms apart) across the address change"
[ "$LOSS" -le 3 ] || t_fail "lost $LOSS pings across the float (at most 3 allowed)"
t_pass "server logged the float to 192.0.2.3:40002; $LOSS of $T_SENT pings lost"

t_ping "$C1" 10.8.0.1 || t_fail "client cannot ping the endpoint after the float"
t_ping "$SRV" "$A" || t_fail "endpoint cannot ping the client after the float"
t_ping "$C1" 10.8.0.1 1300 || t_fail "client cannot ping with 1300 bytes after the float"
t_ping "$SRV" "$A" 1300 || t_fail "endpoint cannot ping the client with 1300 bytes after the float"
# Count the server's packets addressed to 192.0.2.3:40002 (before conntrack
# maps them back) to show that it really sends to the new address.
n=$(ip netns exec "$C1" nft list chain ip ovtfloat in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 10 ] || t_fail "only ${n:-0} packets from the server reached 192.0.2.3:40002"
t_log "$n server packets arrived at 192.0.2.3:40002"
[ "$(t_count "$CLOG" "Initialization Sequence Completed")" = 1 ] || t_fail "the client restarted its session"
! grep -qE "SIGUSR1|Inactivity timeout" "$CLOG" || t_fail "the client restarted: $(grep -E 'SIGUSR1|Inactivity' "$CLOG")"
[ "$(t_count "$SLOG" "connected, address")" = 1 ] || t_fail "the server saw more than one session"
t_pass "after the float: ping both ways 56 and 1300 bytes, server sends to the new address, same session"
t_stop "$CPID"
t_stop "$SPID"
exit 0
