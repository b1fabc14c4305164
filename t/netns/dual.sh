#!/bin/sh
# dual.sh - one endpoint serving UDP and TCP at once (listen-also, an
# endpoint directive: OpenVPN 2.6 needs two daemons and two pools).  A UDP
# client and a TCP client connect at the same time, get distinct addresses
# from the one pool, and reach the endpoint and each other's address.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_ns c2; C2=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_link "$SRV" 198.51.100.1/24 "$C2" 198.51.100.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
{ t_server_conf "$P"; echo "listen-also tcp-server 443"; } >"$T_DIR/server.conf"
conf() { # NAME PROTO REMOTE PORT
	cat <<EOC
client
dev tun
proto $2
remote $3 $4
nobind
ca $P/ca.crt
cert $P/$1.crt
key $P/$1.key
remote-cert-tls server
verb 3
EOC
}
conf client1 udp 192.0.2.1 1194 >"$T_DIR/c1.conf"
conf client2 tcp-client 198.51.100.1 443 >"$T_DIR/c2.conf"
t_bg "$SRV" "$T_DIR/server.log" "$ENDPOINT" --config "$T_DIR/server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/server.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"
grep -q "UDPv4 link local (bound): 0.0.0.0:1194" "$T_DIR/server.log" &&
	grep -q "TCPv4 link local (bound): 0.0.0.0:443, listening" "$T_DIR/server.log" ||
	t_fail "the endpoint does not listen on both transports"
t_bg "$C1" "$T_DIR/c1.log" openvpn --config "$T_DIR/c1.conf"
P1=$T_LAST_PID
t_bg "$C2" "$T_DIR/c2.log" openvpn --config "$T_DIR/c2.conf"
P2=$T_LAST_PID
t_wait_log "$T_DIR/c1.log" "Initialization Sequence Completed" 20 "$P1" || t_fail "UDP client did not connect"
t_wait_log "$T_DIR/c2.log" "Initialization Sequence Completed" 20 "$P2" || t_fail "TCP client did not connect"
A1=$(t_tun_addr "$C1")
A2=$(t_tun_addr "$C2")
[ -n "$A1" ] && [ -n "$A2" ] && [ "$A1" != "$A2" ] || t_fail "addresses '$A1' and '$A2' are not distinct"
t_ping "$C1" 10.8.0.1 1300 && t_ping "$C2" 10.8.0.1 1300 || t_fail "a client cannot reach the endpoint"
t_ping "$SRV" "$A1" && t_ping "$SRV" "$A2" || t_fail "the endpoint cannot reach a client"
grep -q "Data Channel: cipher" "$T_DIR/c2.log" || t_fail "TCP client log names no cipher"
t_pass "UDP client $A1 and TCP client $A2 served by one process from one pool"
