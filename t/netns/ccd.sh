#!/bin/sh
# ccd.sh - client-config-dir with the stock OpenVPN 2.6 client: a static
# address and a per-client push from DIR/<CN>, push-reset, DEFAULT for names
# without a file, and refusals that fail closed: `disable`, ccd-exclusive
# with no file, and a file that does not parse (logged as FILE:LINE).
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
D="$T_DIR/ccd"
mkdir -p "$D"

printf 'ifconfig-push 10.8.0.50 255.255.255.0\npush "route 172.16.9.0 255.255.255.0"\n' >"$D/client1"
T_EXPECT_ADDR=10.8.0.50 t_case static udp "client-config-dir $D
push \"route 172.16.1.0 255.255.255.0\"" ""
grep -q "route 172.16.1.0 255.255.255.0,route 172.16.9.0 255.255.255.0" "$T_DIR/static-client.log" ||
	t_fail "the global and the per-client push lines were not both pushed, in order"

printf 'push-reset\npush "route 172.16.9.0 255.255.255.0"\n' >"$D/client1"
t_case push-reset udp "client-config-dir $D
push \"route 172.16.1.0 255.255.255.0\"" ""
grep -q "route 172.16.1.0" "$T_DIR/push-reset-client.log" && t_fail "push-reset did not drop the global push"

rm "$D/client1"
printf 'ifconfig-push 10.8.0.77 255.255.255.0\n' >"$D/DEFAULT"
T_EXPECT_ADDR=10.8.0.77 t_case default udp "client-config-dir $D" ""
rm "$D/DEFAULT"

refused() { # NAME SERVER_LINES SERVER_LOG_REGEX
	{ t_server_conf "$P"; echo "$2"; } >"$T_DIR/$1-server.conf"
	t_bg "$SRV" "$T_DIR/$1-server.log" "$ENDPOINT" --config "$T_DIR/$1-server.conf"
	spid=$T_LAST_PID
	t_wait_log "$T_DIR/$1-server.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "$1: no start"
	sed '/^connect-retry/d' "$T_DIR/static-client.conf" >"$T_DIR/$1-client.conf"
	t_bg "$CLI" "$T_DIR/$1-client.log" openvpn --config "$T_DIR/$1-client.conf"
	cpid=$T_LAST_PID
	t_wait_log "$T_DIR/$1-client.log" "AUTH_FAILED" 15 "$cpid" || t_fail "$1: client was not refused"
	t_wait_log "$T_DIR/$1-server.log" "$3" 5 || t_fail "$1: the server did not log why"
	grep -q "Initialization Sequence Completed" "$T_DIR/$1-client.log" && t_fail "$1: client got in"
	kill -TERM "$cpid" 2>/dev/null; t_wait_exit "$cpid" 10
	kill -TERM "$spid"; t_wait_exit "$spid" 10
	t_pass "$1: refused (AUTH_FAILED), reason logged"
}
printf 'disable\n' >"$D/client1"
refused disable "client-config-dir $D" "disabled in client-config-dir"
rm "$D/client1"
refused exclusive "client-config-dir $D
ccd-exclusive" "no client-config-dir file \\(ccd-exclusive\\)"
printf 'ifconfig-push 10.8.0.50 255.255.255.0\nfrobnicate\n' >"$D/client1"
refused bad-file "client-config-dir $D" "client1:2: unknown directive 'frobnicate'"
