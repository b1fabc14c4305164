#!/bin/sh
# first_light.sh [udp|tcp|udp6|tcp6] - a stock OpenVPN 2.6 client connects to
# ovpn-endpoint over the given outer transport (default udp; the 6 variants
# use IPv6 between the namespaces, 2001:db8:1::/64 and 2001:db8:2::/64).
#
#   client1 ns (192.0.2.2) ---veth--- endpoint ns (192.0.2.1, 198.51.100.1) ---veth--- client2 ns (198.51.100.2)
#
# Asserts: both clients reach "Initialization Sequence Completed"; the client
# log names AES-256-GCM and a peer-id; ping works both ways, small and
# 1300-byte; the two clients get different addresses; SIGTERM tells the
# clients (RESTART), exits 0 and leaves no TUN device behind.
. "$(dirname "$0")/lib.sh"

MODE=${1:-udp}
case $MODE in
udp) SPROTO=udp; CPROTO=udp; R1=192.0.2.1; R2=198.51.100.1 ;;
tcp) SPROTO=tcp-server; CPROTO=tcp-client; R1=192.0.2.1; R2=198.51.100.1 ;;
udp6) SPROTO=udp6; CPROTO=udp6; R1=2001:db8:1::1; R2=2001:db8:2::1 ;;
tcp6) SPROTO=tcp6-server; CPROTO=tcp6-client; R1=2001:db8:1::1; R2=2001:db8:2::1 ;;
*) echo "usage: $0 [udp|tcp|udp6|tcp6]" >&2; exit 2 ;;
esac

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_ns c2; C2=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_link "$SRV" 198.51.100.1/24 "$C2" 198.51.100.2/24
t_link6 "$SRV" 2001:db8:1::1/64 "$C1" 2001:db8:1::2/64
t_link6 "$SRV" 2001:db8:2::1/64 "$C2" 2001:db8:2::2/64
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

# An ordinary OpenVPN 2.6 server.conf, with an inline <ca> block and comments.
{
	echo "# first light"
	echo "port 1194"
	echo "proto $SPROTO"
	echo "dev tun"
	echo "topology subnet"
	echo "server 10.8.0.0 255.255.255.0"
	echo "<ca>"
	cat "$P/ca.crt"
	echo "</ca>"
	echo "cert \"$P/server.crt\""
	echo "key $P/server.key   ; the server key"
	echo "dh none"
	echo "keepalive 10 60"
	echo "data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305"
	echo "verb 3"
} >"$T_DIR/server.conf"

client_conf() { # NAME REMOTE
	cat <<EOC
client
dev tun
proto $CPROTO
remote $2 1194
nobind
ca $P/ca.crt
cert $P/$1.crt
key $P/$1.key
remote-cert-tls server
verb 3
connect-retry 1
EOC
}
client_conf client1 "$R1" >"$T_DIR/client1.conf"
client_conf client2 "$R2" >"$T_DIR/client2.conf"

t_bg "$SRV" "$T_DIR/server.log" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/server.log" "Initialization Sequence Completed" 10 "$SPID" ||
	t_fail "endpoint did not start"
t_pass "endpoint started ($MODE)"

start=$(t_ms)
t_bg "$C1" "$T_DIR/client1.log" openvpn --config "$T_DIR/client1.conf"
C1PID=$T_LAST_PID
t_wait_log "$T_DIR/client1.log" "Initialization Sequence Completed" 30 "$C1PID" ||
	t_fail "client1 did not complete initialization"
t_log "client1 connected in $(( $(t_ms) - start )) ms (process start to Initialization Sequence Completed)"
t_pass "client1 Initialization Sequence Completed"

grep -Eq "Data Channel: cipher 'AES-256-GCM'" "$T_DIR/client1.log" ||
	t_fail "client1 log does not name AES-256-GCM"
grep -Eq "peer-id: [0-9]+" "$T_DIR/client1.log" || t_fail "client1 log names no peer-id"
t_pass "client1 uses AES-256-GCM with a peer-id"

addr_of() { ip -n "$1" -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1; }
A1=$(addr_of "$C1")
[ -n "$A1" ] || t_fail "client1 has no tunnel address"
t_log "client1 tunnel address $A1"

t_ping "$C1" 10.8.0.1 || t_fail "client1 cannot ping the endpoint"
t_ping "$SRV" "$A1" || t_fail "endpoint cannot ping client1"
t_ping "$C1" 10.8.0.1 1300 || t_fail "client1 cannot ping the endpoint with 1300-byte packets"
t_ping "$SRV" "$A1" 1300 || t_fail "endpoint cannot ping client1 with 1300-byte packets"
t_pass "ping both ways, 56 and 1300 bytes"
rtt=$(ip netns exec "$C1" ping -n -q -c 10 -i 0.05 -W 2 10.8.0.1 | awk -F/ '/rtt/ {print $5}')
t_log "ping rtt through the tunnel: avg ${rtt} ms"

t_bg "$C2" "$T_DIR/client2.log" openvpn --config "$T_DIR/client2.conf"
C2PID=$T_LAST_PID
t_wait_log "$T_DIR/client2.log" "Initialization Sequence Completed" 30 "$C2PID" ||
	t_fail "client2 did not complete initialization"
A2=$(addr_of "$C2")
[ -n "$A2" ] && [ "$A2" != "$A1" ] || t_fail "client2 address '$A2' is not distinct from '$A1'"
t_ping "$C2" 10.8.0.1 || t_fail "client2 cannot ping the endpoint"
t_ping "$SRV" "$A2" || t_fail "endpoint cannot ping client2"
t_ping "$SRV" "$A1" || t_fail "client1 lost connectivity when client2 joined"
t_pass "second client connected at the same time with address $A2"

kill -TERM "$SPID"
t_wait_exit "$SPID" 10 || t_fail "endpoint did not exit within 10 s of SIGTERM"
[ "$T_RC" = 0 ] || t_fail "endpoint exited with status $T_RC"
# 2.6 logs a received RESTART as a "connection reset command".
t_wait_log "$T_DIR/client1.log" "server-pushed-connection-reset" 5 ||
	t_fail "client1 was not told about the shutdown"
t_wait_log "$T_DIR/client2.log" "server-pushed-connection-reset" 5 ||
	t_fail "client2 was not told about the shutdown"
[ -z "$(ip -n "$SRV" -o link show type tun)" ] || t_fail "a TUN device was left behind"
t_pass "clean shutdown: clients told, exit 0, TUN device removed"

t_cleanup
trap - EXIT
for ns in $T_NS; do
	ip netns list | grep -q "^$ns\b" && { echo "FAIL: namespace $ns left behind"; exit 1; }
done
t_pass "no namespace left behind"
exit 0
