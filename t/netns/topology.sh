#!/bin/sh
# topology.sh - the three topologies of `server NET MASK` against the stock
# OpenVPN 2.6 client, with the addresses 2.6 itself hands out (doc §13):
# net30 (also 2.6's default when a config has no topology line) gives the
# first client 10.8.0.6 with peer 10.8.0.5; p2p gives 10.8.0.4; subnet .2.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

T_EXPECT_ADDR=10.8.0.6 t_case net30 udp "topology net30" ""
T_EXPECT_ADDR=10.8.0.6 t_case default-net30 udp "#no-topology" ""
grep -q "no 'topology' given: using net30" "$T_DIR/default-net30-server.log" ||
	t_fail "no hint logged for the implicit net30"
grep -q "route 10.8.0.1,topology net30,ifconfig 10.8.0.6 10.8.0.5" "$T_DIR/net30-client.log" ||
	t_fail "net30 PUSH_REPLY is not what 2.6 sends"
T_EXPECT_ADDR=10.8.0.4 t_case p2p tcp "topology p2p" ""
T_EXPECT_ADDR=10.8.0.2 t_case subnet udp "topology subnet" ""
t_pass "net30 (explicit and default), p2p and subnet hand out 2.6's addresses and carry traffic"
