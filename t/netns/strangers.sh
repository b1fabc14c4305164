#!/bin/sh
# strangers.sh - what unauthenticated peers can and cannot make the endpoint do
# (security-promises P1-P4), with raw packets from t/netns/stranger.py.
#
#   P2  malformed initial packets get no reply; a valid 14-byte reset gets
#       exactly one 26-byte reply; a flood from one source gets only that
#       source's small budget of replies
#   P4  at most max-half-open-per-source handshakes from one address
#   P3  a real client completes its handshake during a 10,000/s flood of
#       resets from spoofed sources
. "$(dirname "$0")/lib.sh"

t_setup
command -v python3 >/dev/null || t_require "needs python3"
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_ns atk; ATK=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_link "$SRV" 198.51.100.1/24 "$ATK" 198.51.100.2/24
# Spoofed sources come from 10.77.0.0/16 via the attacker's link; replies to
# them are routed back there and die.  rp_filter off, so the endpoint really
# has to deal with them.
ip -n "$SRV" route add 10.77.0.0/16 via 198.51.100.2
ip -n "$ATK" route add 192.0.2.0/24 via 198.51.100.1
for f in all default; do ip netns exec "$SRV" sysctl -qw "net.ipv4.conf.$f.rp_filter=0"; done
for d in $(ip -n "$SRV" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
	ip netns exec "$SRV" sysctl -qw "net.ipv4.conf.$d.rp_filter=0" 2>/dev/null
done
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
ST="python3 $top_srcdir/t/netns/stranger.py"

{ t_server_conf "$P"; echo "max-half-open-per-source 5"; } >"$T_DIR/server.conf"
t_bg "$SRV" "$T_DIR/server.log" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/server.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"

# P2: hostile initial packets.  Sent to the endpoint's address on the OTHER
# link (routed via 198.51.100.1): the one valid reset's reply must come back
# from 192.0.2.1, the address dialled, or the prober's connected socket
# never sees it (multihoming, IP_PKTINFO).
ip netns exec "$ATK" $ST hostile 192.0.2.1 1194 >"$T_DIR/hostile.out" 2>&1 || t_fail "stranger.py hostile"
grep -v '^valid reset' "$T_DIR/hostile.out" | grep -v ': 0$' && t_fail "a malformed initial packet got a reply"
grep -q '^valid reset: 1 \[26\]$' "$T_DIR/hostile.out" ||
	t_fail "a valid reset did not get exactly one 26-byte reply: $(grep valid "$T_DIR/hostile.out")"
t_pass "P2: 10 kinds of malformed initial packet get no reply; a valid 14-byte reset gets one 26-byte reply"

# P2/P3: a flood from one source gets only that source's budget
ip netns exec "$ATK" $ST flood1 198.51.100.1 1194 3000 >"$T_DIR/flood1.out" 2>&1 || t_fail "stranger.py flood1"
replies=$(sed -n 's/.*replies \([0-9]*\)$/\1/p' "$T_DIR/flood1.out")
t_log "$(cat "$T_DIR/flood1.out")"
[ -n "$replies" ] && [ "$replies" -ge 1 ] && [ "$replies" -le 20 ] ||
	t_fail "one source flooding 3000 resets got $replies replies (want 1..20)"
t_pass "P3: one flooding source gets $replies replies to 3000 resets"

# P4: half-open handshakes per source
ip netns exec "$ATK" $ST halfopen 198.51.100.1 1194 7 >"$T_DIR/halfopen.out" 2>&1 || t_fail "stranger.py halfopen"
t_wait_log "$T_DIR/server.log" "refusing a handshake: 5 in progress" 5 ||
	t_fail "a 6th half-open handshake from one address was not refused"
t_pass "P4: handshakes beyond max-half-open-per-source (5) from one address are refused"

# P3: a real client connects during a spoofed flood of 10,000 resets/s
t_bg "$ATK" "$T_DIR/spoof.out" $ST spoof 198.51.100.1 1194 10000 12 10.77.0.0/16
FPID=$T_LAST_PID
cat >"$T_DIR/client.conf" <<EOC
client
dev tun
proto udp
remote 192.0.2.1 1194
nobind
ca $P/ca.crt
cert $P/client1.crt
key $P/client1.key
remote-cert-tls server
verb 3
EOC
start=$(t_ms)
t_bg "$CLI" "$T_DIR/client.log" openvpn --config "$T_DIR/client.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/client.log" "Initialization Sequence Completed" 10 "$CPID" ||
	t_fail "the real client did not connect during the spoofed flood"
took=$(( $(t_ms) - start ))
kill -0 "$FPID" 2>/dev/null || t_fail "the flood had already stopped: the test proved nothing"
t_ping "$CLI" 10.8.0.1 || t_fail "no traffic through the tunnel during the flood"
t_pass "P3: a real client connected in $took ms during a 10,000/s spoofed reset flood"
t_wait_exit "$FPID" 15 || t_fail "flood did not stop"
t_log "$(cat "$T_DIR/spoof.out")"

kill -TERM "$SPID"
t_wait_exit "$SPID" 10 || t_fail "endpoint did not stop"
stats=$(grep "statistics:" "$T_DIR/server.log")
t_log "$stats"
answered=$(echo "$stats" | sed -n 's/.*statistics: \([0-9]*\) stateless replies.*/\1/p')
[ -n "$answered" ] && [ "$answered" -ge 50000 ] ||
	t_fail "the spoofed flood did not reach the endpoint ($answered stateless replies): the test proved nothing"
t_pass "the endpoint answered $answered spoofed resets (one 26-byte datagram each) and still served the client"
