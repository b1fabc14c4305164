#!/bin/sh
# endpoint.sh - the Client VPN endpoint with stock OpenVPN 2.6 clients:
# client CIDR, target networks (a VPC behind an "ENI" with NAT, a peered
# network behind the VPC, a routed site over a VXLAN tunnel), the route
# table, authorization rules, learned routes, sticky leases, pool
# exhaustion, and a clean exit (also after a crash).
#
#   alice (OU=engineering)   cliA 192.0.2.2 ---+
#   bob   (OU=contractors)   cliB 198.51.100.2 -+- ep (ovpn-endpoint)
#                                                 |-- eni 10.0.1.10 -- vpc 10.0.1.20 -- peer 172.31.0.5
#                                                 `-- site0 (vxlan) 10.254.0.1 -- site 10.254.0.2
#                                                       site has 192.168.10.1, .98.1, .99.1, 172.16.50.1
# What is asserted is what crosses the wire: nftables counters in the VPC,
# peer and site namespaces see the source addresses; pushed routes come
# from the clients' own logs; the endpoint's rule counters from its
# SIGUSR2 dump.
. "$(dirname "$0")/lib.sh"

t_setup
command -v nft >/dev/null || t_require "needs nft"
PKI="$top_builddir/pki/ovpn-pki"
[ -x "$PKI" ] || t_fail "$PKI not built"

t_ns ep; EP=$T_LAST_NS
t_ns clia; CA=$T_LAST_NS
t_ns clib; CB=$T_LAST_NS
t_ns vpc; VPC=$T_LAST_NS
t_ns peer; PEER=$T_LAST_NS
t_ns site; SITE=$T_LAST_NS
t_link "$EP" 192.0.2.1/24 "$CA" 192.0.2.2/24
t_link "$EP" 198.51.100.1/24 "$CB" 198.51.100.2/24
t_link "$EP" 10.0.1.10/24 "$VPC" 10.0.1.20/24
ENI="${T_TAG}l${T_NLINK}a"
t_link "$VPC" 172.31.0.1/24 "$PEER" 172.31.0.5/24
ip -n "$PEER" route add default via 172.31.0.1
ip netns exec "$VPC" sysctl -qw net.ipv4.ip_forward=1
# the site: VXLAN over its own underlay
t_link "$EP" 10.255.0.1/30 "$SITE" 10.255.0.2/30
ip -n "$EP" link add site0 type vxlan id 42 local 10.255.0.1 remote 10.255.0.2 dstport 4789 ||
	t_require "no VXLAN in this kernel"
ip -n "$SITE" link add site0 type vxlan id 42 local 10.255.0.2 remote 10.255.0.1 dstport 4789
ip -n "$EP" addr add 10.254.0.1/24 dev site0; ip -n "$EP" link set site0 up
ip -n "$SITE" addr add 10.254.0.2/24 dev site0; ip -n "$SITE" link set site0 up
for a in 192.168.10.1 192.168.98.1 192.168.99.1 172.16.50.1; do
	ip -n "$SITE" addr add "$a/32" dev lo
done
ip -n "$SITE" route add 10.100.0.0/22 via 10.254.0.1    # routed: the site knows the clients

# Who sends what: counters by source address in the networks behind the endpoint.
for ns in "$VPC" "$PEER" "$SITE"; do
	ip netns exec "$ns" nft -f - <<EOF || t_fail "nft in $ns"
table ip seen {
	chain in { type filter hook input priority 0; policy accept;
		icmp type echo-request ip saddr 10.0.1.10 counter
		icmp type echo-request ip saddr 10.100.0.0/22 counter
	}
}
EOF
done
seen() { # NS -> "ENI-count CLIENT-count"
	ip netns exec "$1" nft list table ip seen | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") printf "%s ", $(i + 1) }'
}

# PKI with groups in the certificates (OU)
P="$T_DIR/pki"
"$PKI" --dir "$P" init >/dev/null 2>&1 || t_fail "ovpn-pki init"
"$PKI" --dir "$P" issue-server server >/dev/null 2>&1 || t_fail "issue-server"
"$PKI" --dir "$P" issue-client alice --ou engineering >/dev/null 2>&1 || t_fail "issue alice"
"$PKI" --dir "$P" issue-client bob --ou contractors >/dev/null 2>&1 || t_fail "issue bob"

# the endpoint drops to nobody after setup (P17): its state directory must be its own
chmod 755 "$T_DIR"
mkdir "$T_DIR/state" && chown nobody:nogroup "$T_DIR/state"
cat >"$T_DIR/server.conf" <<EOF
user nobody
group nogroup
port 1194
proto udp
dev tun
ca $P/ca.crt
cert $P/issued/server.crt
key $P/private/server.key
dh none
verb 3
keepalive 2 10
client-cidr 10.100.0.0/22
ifconfig-pool-persist $T_DIR/state/ipp.txt 1
client-group-from-cert OU
target-network vpc dev $ENI nat via 10.0.1.20
target-network onprem dev site0 routed via 10.254.0.2
endpoint-route 10.0.0.0/16 vpc
endpoint-route 172.31.0.0/16 vpc peering "VPC B via peering"
endpoint-route 192.168.0.0/16 onprem site
learn-routes onprem
authorize 10.0.0.0/16 all
authorize 172.31.0.0/16 all "peered VPC"
authorize 192.168.10.0/24 group engineering
authorize 192.168.96.0/19 group contractors
authorize 192.168.99.0/24 group contractors deny "payroll"
authorize 172.16.50.0/24 all
split-tunnel on
dns-server 10.0.0.2
client-to-client
EOF

client_conf() { # NAME [REMOTE] [EXTRA]
	cat <<EOF
client
dev tun
proto udp
remote ${2:-192.0.2.1} 1194
nobind
ca $P/ca.crt
cert $P/issued/$1.crt
key $P/private/$1.key
remote-cert-tls server
verb 3
connect-retry 1
${3:-}
EOF
}
client_conf alice >"$T_DIR/alice.conf"
client_conf bob 198.51.100.1 >"$T_DIR/bob.conf"

start_server() { # LOG
	t_bg "$EP" "$T_DIR/$1" "$ENDPOINT" --config "$T_DIR/server.conf"
	SPID=$T_LAST_PID
	t_wait_log "$T_DIR/$1" "Initialization Sequence Completed" 10 "$SPID" ||
		t_fail "endpoint did not start ($1)"
}
connect() { # NS NAME LOG -> sets CPID
	t_bg "$1" "$T_DIR/$3" openvpn --config "$T_DIR/$2.conf"
	CPID=$T_LAST_PID
	t_wait_log "$T_DIR/$3" "Initialization Sequence Completed" 20 "$CPID" ||
		t_fail "$2 did not connect ($3)"
}
# the route options of the PUSH_REPLY a client logged, sorted, one per line
pushed_routes() {
	grep -o "PUSH_REPLY,[^']*" "$T_DIR/$1" | head -n 1 | tr ',' '\n' | grep -E '^(route |redirect-gateway|dhcp-option)' | sort
}
state() { # dump the endpoint's state (SIGUSR2) and wait for it in the log
	n=$(t_count "$T_DIR/$1" "authorize default-deny hits")
	t_signal USR2 "$SPID"
	t_wait_count "$T_DIR/$1" "authorize default-deny hits" $((n + 1)) 5 "$SPID" ||
		t_fail "no state dump after SIGUSR2"
}
hits() { # LOG PATTERN -> hits of the last dumped rule line matching PATTERN
	grep -E "$2" "$T_DIR/$1" | tail -n 1 | sed 's/.* hits \([0-9]*\)$/\1/'
}

# ---- 1. bob first, then alice: alice's address is not the lowest, which
# makes the persistence check below meaningful.
start_server ep1.log
connect "$CB" bob bob1.log; BPID=$CPID
connect "$CA" alice alice1.log; APID=$CPID
AADDR=$(t_tun_addr "$CA"); BADDR=$(t_tun_addr "$CB")
[ "$AADDR" = 10.100.0.3 ] && [ "$BADDR" = 10.100.0.2 ] ||
	t_fail "addresses: alice $AADDR bob $BADDR, want 10.100.0.3 and 10.100.0.2"
t_wait_log "$T_DIR/ep1.log" "alice\\): groups engineering" 2 || t_fail "alice's group from OU not logged"

# ---- least privilege (P17): nobody, CAP_NET_ADMIN only, no new privileges
st=/proc/$SPID/status
[ "$(awk '/^Uid:/ { print $2 }' "$st")" = "$(id -u nobody)" ] || t_fail "not running as nobody: $(grep Uid "$st")"
grep -q "^CapEff:[[:space:]]*0000000000001000$" "$st" || t_fail "CapEff is not CAP_NET_ADMIN only: $(grep CapEff "$st")"
grep -q "^NoNewPrivs:[[:space:]]*1$" "$st" || t_fail "NoNewPrivs is not set"
t_pass "least privilege: uid nobody, CapEff = CAP_NET_ADMIN only, NoNewPrivs 1"

# ---- pushed routes: exactly what each may use
pushed_routes alice1.log >"$T_DIR/alice.routes"
cat >"$T_DIR/alice.want" <<EOF
dhcp-option DNS 10.0.0.2
route 10.0.0.0 255.255.0.0
route 172.31.0.0 255.255.0.0
route 192.168.10.0 255.255.255.0
EOF
diff -u "$T_DIR/alice.want" "$T_DIR/alice.routes" || t_fail "alice's pushed routes differ"
pushed_routes bob1.log >"$T_DIR/bob.routes"
cat >"$T_DIR/bob.want" <<EOF
dhcp-option DNS 10.0.0.2
route 10.0.0.0 255.255.0.0
route 172.31.0.0 255.255.0.0
route 192.168.100.0 255.255.252.0
route 192.168.104.0 255.255.248.0
route 192.168.112.0 255.255.240.0
route 192.168.96.0 255.255.254.0
route 192.168.98.0 255.255.255.0
EOF
diff -u "$T_DIR/bob.want" "$T_DIR/bob.routes" || t_fail "bob's pushed routes differ"
t_pass "split tunnel: each client is pushed exactly the routes it is authorized for"

# ---- NAT onto the ENI (VPC host and peered host), routed site
t_ping "$CA" 10.0.1.20 || t_fail "alice cannot reach the VPC host"
t_ping "$CA" 172.31.0.5 || t_fail "alice cannot reach the peered host"
t_ping "$CA" 192.168.10.1 || t_fail "alice cannot reach the site"
set -- $(seen "$VPC"); [ "$1" -ge 3 ] && [ "$2" = 0 ] || t_fail "VPC saw ENI=$1 client=$2 pings"
set -- $(seen "$PEER"); [ "$1" -ge 3 ] && [ "$2" = 0 ] || t_fail "peer saw ENI=$1 client=$2 pings"
set -- $(seen "$SITE"); [ "$1" = 0 ] && [ "$2" -ge 3 ] || t_fail "site saw ENI=$1 client=$2 pings"
t_pass "NAT: the VPC and the peered host see the ENI address; the routed site sees the client's"

# ---- authorization in the data path
ip -n "$CA" route add 192.168.0.0/16 dev tun0      # send what was not pushed anyway
ip -n "$CB" route add 192.168.0.0/16 dev tun0
state ep1.log
d0=$(hits ep1.log "default-deny hits"); r0=$(hits ep1.log "rule 5 .*deny hits")
t_ping "$CA" 192.168.99.1 && t_fail "alice reached 192.168.99.1 (no rule allows it)"
t_ping "$CB" 192.168.10.1 && t_fail "bob reached 192.168.10.1 (engineering only)"
t_ping "$CB" 192.168.98.1 || t_fail "bob cannot reach 192.168.98.1 (contractors allow /19)"
t_ping "$CB" 192.168.99.1 && t_fail "bob reached 192.168.99.1 (deny beats the shorter allow)"
t_ping "$CA" 10.100.0.2 && t_fail "client-to-client without a rule that allows it"
state ep1.log
d1=$(hits ep1.log "default-deny hits"); r1=$(hits ep1.log "rule 5 .*deny hits")
[ "$d1" -ge $((d0 + 6)) ] || t_fail "default-deny counter moved from $d0 to $d1 (want +6)"
[ "$r1" -ge $((r0 + 3)) ] || t_fail "deny rule counter moved from $r0 to $r1 (want +3)"
set -- $(seen "$SITE"); [ "$2" -ge 6 ] && [ "$2" -le 7 ] ||
	t_fail "the site saw $2 client pings; only alice's 3 and bob's 3 allowed ones may arrive"
t_pass "authorization: default deny, group rules, deny beats a shorter allow; counters move"

# ---- hot reload: a new rule reaches a live session; a broken file changes nothing
cp "$T_DIR/server.conf" "$T_DIR/server.conf.orig"
echo 'authorize 192.168.99.0/24 group engineering "reloaded"' >>"$T_DIR/server.conf"
echo 'endpoint-route 10.77.0.0/16 vpc' >>"$T_DIR/server.conf"
printf 'authorize 10.100.0.2/32 group engineering\nauthorize 10.100.0.3/32 group contractors\n' >>"$T_DIR/server.conf"
t_signal HUP "$SPID"
t_wait_log "$T_DIR/ep1.log" "reload complete" 5 "$SPID" || t_fail "reload did not complete"
ip -n "$EP" route show table 1194 | grep -q "^10.77.0.0/16 via 10.0.1.20" ||
	t_fail "a route added by reload (as nobody, with CAP_NET_ADMIN) is not in the kernel table"
t_ping "$CA" 192.168.99.1 || t_fail "the reloaded rule did not reach alice's live session"
t_ping "$CA" 10.100.0.2 || t_fail "client-to-client: alice cannot reach bob once rules allow it both ways"
echo "frobnicate 1" >>"$T_DIR/server.conf"
t_signal HUP "$SPID"
t_wait_log "$T_DIR/ep1.log" "reload refused.*server.conf:[0-9]+: unknown directive 'frobnicate'" 5 "$SPID" ||
	t_fail "a broken config was not refused with FILE:LINE"
t_ping "$CA" 192.168.99.1 && t_ping "$CB" 192.168.98.1 || t_fail "outage after a refused reload"
[ "$(t_count "$T_DIR/alice1.log" "Initialization Sequence Completed")" = 1 ] &&
	[ "$(t_count "$T_DIR/bob1.log" "Initialization Sequence Completed")" = 1 ] ||
	t_fail "a client reconnected during the reloads"
cp "$T_DIR/server.conf.orig" "$T_DIR/server.conf"
t_signal HUP "$SPID"
t_wait_count "$T_DIR/ep1.log" "reload complete" 2 5 "$SPID" || t_fail "second reload"
t_ping "$CA" 192.168.99.1 && t_fail "the removed rule still applies"
t_pass "reload: a new rule applies to live sessions without reconnecting; a broken file is refused, no outage; client-to-client follows the rules"

# ---- anti-spoofing: a second address on alice's tun is not hers
ip -n "$CA" addr add 10.100.0.77/32 dev tun0
n0=$(t_count "$T_DIR/ep1.log" "source address that is not the client's")
ip netns exec "$CA" ping -n -q -c 2 -i 0.2 -W 1 -w 3 -I 10.100.0.77 10.0.1.20 >/dev/null 2>&1 &&
	t_fail "a spoofed inner source got an answer"
t_wait_count "$T_DIR/ep1.log" "alice\\): dropping packet with a source address that is not the client's" $((n0 + 1)) 3 ||
	t_fail "the spoofed packets were not reported"
t_pass "anti-spoofing: a spoofed inner source is dropped"

# ---- learned routes (proto bgp on the site device)
ip -n "$EP" route add 172.16.50.0/24 via 10.254.0.2 dev site0 proto bgp
t_wait_log "$T_DIR/ep1.log" "learned route 172.16.50.0/24 via 10.254.0.2 on site0" 3 ||
	t_fail "the BGP route was not learned"
ip -n "$EP" route show table 1194 | grep -q "^172.16.50.0/24 via 10.254.0.2 dev site0" ||
	t_fail "the learned route is not in the endpoint's routing table"
t_stop "$APID"
connect "$CA" alice alice2.log; APID=$CPID
pushed_routes alice2.log | grep -qx "route 172.16.50.0 255.255.255.0" ||
	t_fail "the next client was not pushed the learned route"
t_ping "$CA" 172.16.50.1 || t_fail "alice cannot reach the learned network"
ip -n "$EP" route del 172.16.50.0/24 via 10.254.0.2 dev site0 proto bgp
t_wait_log "$T_DIR/ep1.log" "withdrew learned route 172.16.50.0/24" 3 || t_fail "not withdrawn"
ip -n "$EP" route show table 1194 | grep -q "^172.16.50.0/24" && t_fail "still in the kernel table"
state ep1.log
tail -n 30 "$T_DIR/ep1.log" | grep -q "route 172.16.50.0/24 -> " && t_fail "still in the route table"
t_pass "learned routes: appear live, reach the next client, disappear when deleted"

# ---- persistence: a restarted endpoint gives alice her address again, even
# when she comes first
t_stop "$APID"; t_stop "$BPID"
t_stop "$SPID"
grep -q "^alice,10.100.0.3," "$T_DIR/state/ipp.txt" || t_fail "ipp.txt lacks alice's lease"
start_server ep2.log
connect "$CA" alice alice3.log; APID=$CPID
[ "$(t_tun_addr "$CA")" = 10.100.0.3 ] || t_fail "after a restart alice got $(t_tun_addr "$CA")"
t_pass "ifconfig-pool-persist: the same client gets the same address across a restart"

# ---- a crash leaves nothing that blocks the next start
t_signal KILL "$SPID"; t_wait_exit "$SPID" 5
t_stop "$APID"
start_server ep3.log
t_pass "restart after SIGKILL"

# ---- clean exit
t_stop "$SPID"
[ "$T_RC" = 0 ] || t_fail "endpoint exited with $T_RC"
ip -n "$EP" rule | grep -q "lookup 1194" && t_fail "policy rules left: $(ip -n "$EP" rule)"
ip -n "$EP" -6 rule | grep -q "lookup 1194" && t_fail "IPv6 policy rules left"
ip -n "$EP" route show table all | grep -q "table 1194" && t_fail "routes left in table 1194"
ip -n "$EP" -6 route show table all | grep -q "table 1194" && t_fail "IPv6 routes left"
ip netns exec "$EP" nft list ruleset | grep -q ovpn_endpoint && t_fail "nftables table left"
ip -n "$EP" link show tun0 >/dev/null 2>&1 && t_fail "tun0 left"
t_pass "clean exit: no rules, routes, nftables table or TUN device left"

# ---- pool exhaustion: /29 holds 5 clients; the sixth is refused, clearly
sed -e 's|^client-cidr .*|client-cidr 10.100.0.0/29|' -e '/^ifconfig-pool-persist/d' \
	-e 's|^ip.*||' "$T_DIR/server.conf" >"$T_DIR/tiny.conf"
echo "duplicate-cn" >>"$T_DIR/tiny.conf"
t_bg "$EP" "$T_DIR/tiny.log" "$ENDPOINT" --config "$T_DIR/tiny.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/tiny.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "tiny: no start"
client_conf alice 192.0.2.1 "pull-filter ignore route
pull-filter ignore dhcp-option" >"$T_DIR/many.conf"
for i in 1 2 3 4 5; do
	t_bg "$CA" "$T_DIR/many$i.log" openvpn --config "$T_DIR/many.conf" --dev "tun$i"
	t_wait_log "$T_DIR/many$i.log" "Initialization Sequence Completed" 20 "$T_LAST_PID" ||
		t_fail "client $i of 5 did not connect"
done
t_bg "$CA" "$T_DIR/many6.log" openvpn --config "$T_DIR/many.conf" --dev tun6
t_wait_log "$T_DIR/many6.log" "AUTH_FAILED" 20 "$T_LAST_PID" || t_fail "the sixth client was not refused"
grep -q "AUTH_FAILED.*no free address in the client address pool" "$T_DIR/many6.log" ||
	t_fail "the refusal does not say why: $(grep AUTH_FAILED "$T_DIR/many6.log")"
grep -q "address pool exhausted (5 of 5 in use)" "$T_DIR/tiny.log" || t_fail "no log line"
t_pass "pool exhaustion: the sixth client is refused with the reason"
