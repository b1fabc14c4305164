#!/bin/sh
# ipv6.sh - IPv6 inside the tunnel (server-ipv6) with the stock OpenVPN 2.6
# client: the client gets 2.6's address (fd00:8::1000 for a /64, P+2 for a
# /112), IPv4 and IPv6 both cross the tunnel both ways (1300-byte IPv6 too),
# over UDP and TCP, in subnet and net30 topologies.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

T_PING6=fd00:8::1000 t_case v6-subnet udp "server-ipv6 fd00:8::/64" ""
grep -q "tun-ipv6,route-gateway 10.8.0.1,topology subnet" "$T_DIR/v6-subnet-client.log" &&
	grep -q "ifconfig-ipv6 fd00:8::1000/64 fd00:8::1,ifconfig 10.8.0.2" "$T_DIR/v6-subnet-client.log" ||
	t_fail "the IPv6 PUSH_REPLY lines are not what 2.6 sends"
T_PING6=fd00:8::1000 t_case v6-tcp tcp "server-ipv6 fd00:8::/64" ""
T_PING6=fd00:9::2 T_GW6=fd00:9::1 t_case v6-112-net30 udp "topology net30
server-ipv6 fd00:9::/112" ""
t_pass "IPv6 inside the tunnel: 2.6's addresses, traffic both ways over UDP and TCP"
