#!/bin/sh
# mgmt.sh - the management interface against stock OpenVPN 2.6:
#  1. `status 1|2|3` over the socket, line by line as OpenVPN 2.6 answers
#     for the same client (times, ports, byte counts masked);
#  2. management-client-auth: >CLIENT:CONNECT/ESTABLISHED, client-auth with
#     a pushed route, client-deny with the client's reason, client-pending-
#     auth that times out, kill and client-kill ending sessions within 2 s;
#  3. two sessions at once, and an idle unauthenticated session dropped
#     while an admin still gets in.
. "$(dirname "$0")/lib.sh"

t_setup
command -v python3 >/dev/null || t_require "needs python3"
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
MC="python3 $top_srcdir/t/netns/mgmt_client.py"


# ---- 1. status over the socket, ours against 2.6's
for impl in openvpn endpoint; do
	{ t_server_conf "$P"; echo "management $T_DIR/$impl.sock unix"; } >"$T_DIR/$impl.conf"
	if [ "$impl" = openvpn ]; then
		t_bg "$SRV" "$T_DIR/$impl.log" openvpn --config "$T_DIR/$impl.conf"
	else
		t_bg "$SRV" "$T_DIR/$impl.log" "$ENDPOINT" --config "$T_DIR/$impl.conf"
	fi
	spid=$T_LAST_PID
	t_wait_log "$T_DIR/$impl.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "$impl: no start"
	t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/$impl-client.conf"
	t_bg "$CLI" "$T_DIR/$impl-client.log" openvpn --config "$T_DIR/$impl-client.conf"
	cpid=$T_LAST_PID
	t_wait_log "$T_DIR/$impl-client.log" "Initialization Sequence Completed" 20 "$cpid" ||
		t_fail "$impl: client did not connect"
	t_ping "$CLI" 10.8.0.1 || t_fail "$impl: no tunnel"
	ip netns exec "$SRV" $MC connect "$T_DIR/$impl.sock" expect '^>INFO:' out "$T_DIR/$impl.status" \
		cmd "status 1" cmd "status 2" cmd "status 3" cmd "load-stats" cmd "pid" ||
		t_fail "$impl: management dialogue failed"
	t_stop "$cpid"; t_stop "$spid"
done
t_status_mask "$T_DIR/openvpn.status" | sed -E 's/^SUCCESS: (pid|nclients)=.*/SUCCESS: \1=N/' >"$T_DIR/want"
t_status_mask "$T_DIR/endpoint.status" | sed -E 's/^SUCCESS: (pid|nclients)=.*/SUCCESS: \1=N/' >"$T_DIR/got"
diff -u "$T_DIR/want" "$T_DIR/got" || t_fail "status over the management socket differs from OpenVPN 2.6's"
t_pass "status 1/2/3, load-stats, pid over the socket: line by line as OpenVPN 2.6 (masked)"

# ---- 2./3. management-client-auth, several sessions, password timeout
printf 'sesame\n' >"$T_DIR/pw"
{ t_server_conf "$P"; echo "management 127.0.0.1 7505 $T_DIR/pw"; echo "management-client-auth"
  echo "management-password-timeout 2"; echo "keepalive 1 5"; } >"$T_DIR/ca.conf"
t_bg "$SRV" "$T_DIR/ca.log" "$ENDPOINT" --config "$T_DIR/ca.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/ca.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "no start"
t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/c.conf"
echo "auth-retry none" >>"$T_DIR/c.conf"
M="127.0.0.1:7505"
RUN="ip netns exec $SRV $MC connect $M password sesame out $T_DIR/admin.out"

# allow, with a pushed route; a second session works meanwhile; a third,
# idle without a password, is dropped after 2 s while the admin carries on
ip netns exec "$SRV" $MC connect "$M" eof 6 >"$T_DIR/idle.out" 2>&1 &
IDLE=$!
T_PIDS="$T_PIDS $IDLE"
$RUN expect '^>CLIENT:CONNECT,(?P<cid>[0-9]+),(?P<kid>[0-9]+)' 20 \
	send 'client-auth ${cid} ${kid}' send 'push "route 10.77.0.0 255.255.0.0"' cmd END \
	expect '^>CLIENT:ESTABLISHED,' 10 cmd "pid" >"$T_DIR/allow.mc" 2>&1 &
ADMIN=$!
T_PIDS="$T_PIDS $ADMIN"
t_bg "$CLI" "$T_DIR/c1.log" openvpn --config "$T_DIR/c.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/c1.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "allowed client did not connect"
t_wait_exit "$ADMIN" 10; [ "$T_RC" = 0 ] || t_fail "admin session: $(cat "$T_DIR/allow.mc")"
grep -q "route 10.77.0.0 255.255.0.0" "$T_DIR/c1.log" || t_fail "the client-auth push line did not reach the client"
grep -q "^SUCCESS: client-auth command succeeded" "$T_DIR/admin.out" || t_fail "no client-auth SUCCESS"
ip netns exec "$SRV" $MC connect "$M" password sesame out "$T_DIR/second.out" cmd "status 2" \
	cmd "state all" || t_fail "a second session could not work"
grep -qE "^[0-9]+,CONNECTED,SUCCESS,10\.8\.0\.1,,,,1194$" "$T_DIR/second.out" ||
	t_fail "state history: $(grep -E 'CONNECT|ASSIGN' "$T_DIR/second.out")"
grep -q "^CLIENT_LIST,client1," "$T_DIR/second.out" || t_fail "second session: no client in status"
t_wait_exit "$IDLE" 8; [ "$T_RC" = 0 ] || t_fail "the idle unauthenticated session was not dropped: $(cat "$T_DIR/idle.out")"
$RUN cmd "pid" || t_fail "an admin could not get in after the idle session"
t_pass "client-auth allows with a pushed route; two sessions at once; an idle unauthenticated one is dropped"

# the admin CLI reads the socket and password from the endpoint's config
ip netns exec "$SRV" "$ENDPOINT" ctl --config "$T_DIR/ca.conf" connections >"$T_DIR/ctl.out" 2>&1 ||
	t_fail "ctl connections: $(cat "$T_DIR/ctl.out")"
grep -qE "^[0-9]+ +client1 +192\.0\.2\.2:[0-9]+ +10\.8\.0\.2 " "$T_DIR/ctl.out" ||
	t_fail "ctl connections: no client1 row: $(cat "$T_DIR/ctl.out")"
ip netns exec "$SRV" "$ENDPOINT" ctl --config "$T_DIR/ca.conf" pool >"$T_DIR/ctl.out" 2>&1 &&
	grep -q "^size 253 used 1 free 252" "$T_DIR/ctl.out" || t_fail "ctl pool: $(cat "$T_DIR/ctl.out")"
ip netns exec "$SRV" "$ENDPOINT" ctl --config "$T_DIR/ca.conf" --json routes >"$T_DIR/ctl.json" 2>&1 &&
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['version']==1 and d['routes'][0]['target']=='local'" \
	"$T_DIR/ctl.json" || t_fail "ctl --json routes: $(cat "$T_DIR/ctl.json")"
ip netns exec "$SRV" "$ENDPOINT" ctl --tcp 127.0.0.1:7505 pool >"$T_DIR/ctl.out" 2>&1 &&
	t_fail "ctl without the password got in"
t_pass "admin CLI: connections and pool tables, JSON routes; no password, no entry"

# kill CN: the session ends within 2 s
t0=$(t_ms)
$RUN cmd "kill client1" || t_fail "kill"
grep -q "^SUCCESS: common name 'client1' found, 1 client(s) killed" "$T_DIR/admin.out" || t_fail "kill reply"
t_wait_log_ms "$T_DIR/ca.log" "disconnected: killed by the management interface" 2000 ||
	t_fail "kill did not end the session within 2 s"
t_stop "$CPID"
t_pass "kill CN ends the session within 2 s ($(( $(t_ms) - t0 )) ms incl. the client's stop)"

# client-kill CID: the client is told and the session is gone within 2 s
$RUN expect '^>CLIENT:CONNECT,(?P<cid>[0-9]+),(?P<kid>[0-9]+)' 20 cmd 'client-auth-nt ${cid} ${kid}' \
	expect '^>CLIENT:ESTABLISHED,' 10 >"$T_DIR/nt.mc" 2>&1 &
ADMIN=$!
T_PIDS="$T_PIDS $ADMIN"
t_bg "$CLI" "$T_DIR/c2.log" openvpn --config "$T_DIR/c.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/c2.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "client-auth-nt client did not connect"
t_wait_exit "$ADMIN" 10; [ "$T_RC" = 0 ] || t_fail "admin: $(cat "$T_DIR/nt.mc")"
CID=$(grep -o '^>CLIENT:ESTABLISHED,[0-9]*' "$T_DIR/admin.out" | tail -n 1 | cut -d, -f2)
n=$(t_count "$T_DIR/ca.log" "disconnected: client-kill")
t0=$(t_ms)
$RUN cmd "client-kill $CID HALT" || t_fail "client-kill"
grep -q "^SUCCESS: client-kill command succeeded" "$T_DIR/admin.out" || t_fail "client-kill reply"
t_wait_count "$T_DIR/ca.log" "disconnected: client-kill" $((n + 1)) 2 || t_fail "client-kill: not gone within 2 s"
[ $(( $(t_ms) - t0 )) -le 2500 ] || t_fail "client-kill took $(( $(t_ms) - t0 )) ms"
t_wait_log "$T_DIR/c2.log" "server-pushed-halt|HALT" 3 || t_fail "the client was not told"
t_wait_exit "$CPID" 10
t_pass "client-kill CID: the client is told (HALT) and the session ends within 2 s"

# client-deny: the client gets the reason
$RUN expect '^>CLIENT:CONNECT,(?P<cid>[0-9]+),(?P<kid>[0-9]+)' 20 \
	cmd 'client-deny ${cid} ${kid} "locked" "Your account is locked"' >"$T_DIR/deny.mc" 2>&1 &
ADMIN=$!
T_PIDS="$T_PIDS $ADMIN"
t_bg "$CLI" "$T_DIR/c3.log" openvpn --config "$T_DIR/c.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/c3.log" "AUTH_FAILED,Your account is locked" 20 "$CPID" || t_fail "client-deny reason not received"
t_wait_exit "$ADMIN" 5
grep -q "Initialization Sequence Completed" "$T_DIR/c3.log" && t_fail "a denied client got in"
t_wait_exit "$CPID" 10
t_pass "client-deny: refused, with the reason the client sees"

# client-pending-auth, then no decision: refused when its timeout passes.
# This client binds port 40444, so its CID is found by its address in the
# endpoint's log: a refused client may retry once more, and a fresh session
# hears about every client still waiting.
{ t_client_conf "$P" client1 192.0.2.1 40444; echo "auth-retry none"; } >"$T_DIR/c4.conf"
t_bg "$CLI" "$T_DIR/c4.log" openvpn --config "$T_DIR/c4.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/ca.log" "192.0.2.2:40444: waiting for the management interface's decision" 20 ||
	t_fail "the fourth client did not reach the decision"
set -- $(grep "192.0.2.2:40444: waiting for the management interface's decision" "$T_DIR/ca.log" |
	tail -n 1 | sed -E 's/.*\(CID ([0-9]+), KID ([0-9]+)\).*/\1 \2/')
$RUN cmd "client-pending-auth $1 $2 WEB_AUTH::https://sso.invalid/x 2" >"$T_DIR/pend.mc" 2>&1 ||
	t_fail "admin: $(cat "$T_DIR/pend.mc")"
grep -q "^SUCCESS: client-pending-auth command succeeded" "$T_DIR/admin.out" || t_fail "pending reply"
t_wait_log "$T_DIR/c4.log" "AUTH_PENDING" 5 "$CPID" || t_fail "the client was not told to wait"
t_wait_log "$T_DIR/ca.log" "192.0.2.2:40444: no management decision in time: refused" 5 ||
	t_fail "pending auth did not time out"
t_wait_log "$T_DIR/c4.log" "AUTH_FAILED" 10 "$CPID" || t_fail "the client was not refused after the timeout"
t_stop "$CPID" 2>/dev/null || true
t_stop "$SPID"
grep -q "management: session [0-9]* (127.0.0.1:[0-9]*): client-kill $CID HALT" "$T_DIR/ca.log" ||
	t_fail "commands are not in the audit log"
t_pass "client-pending-auth: AUTH_PENDING, then refused at its timeout; every command audited"
