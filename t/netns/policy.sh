#!/bin/sh
# policy.sh - session policy with the stock 2.6 client: session-timeout
# ends a session at its age limit even under traffic, idle-timeout ends one
# that only exchanges keepalives (and spares one with tunnel traffic), and
# max-devices-per-user refuses one session too many, with the reason.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

start() { # NAME EXTRA-SERVER-LINES
	{ t_server_conf "$P"; echo "$2"; } >"$T_DIR/$1.conf"
	t_bg "$SRV" "$T_DIR/$1.log" "$ENDPOINT" --config "$T_DIR/$1.conf"
	SPID=$T_LAST_PID
	t_wait_log "$T_DIR/$1.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "$1: no start"
	t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/$1-client.conf"
}
client() { # NAME LOG
	t_bg "$CLI" "$T_DIR/$2" openvpn --config "$T_DIR/$1-client.conf"
	CPID=$T_LAST_PID
}

# session-timeout: 3 s, while pings flow; the client is told to restart
start session "keepalive 1 10
session-timeout 3
banner \"Authorized use only. Sessions last 3 s.\""
client session session-c.log
t_wait_log "$T_DIR/session-c.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no connect"
grep -q "ECHO-PULL:msg Authorized use only. Sessions last 3 s." "$T_DIR/session-c.log" ||
	t_fail "the login banner was not pushed"
t0=$(t_ms)
t_ping_bg "$CLI" "$T_DIR/session-ping" 10.8.0.1 40 0.2
PING1=$T_LAST_PID
t_wait_log "$T_DIR/session.log" "session-timeout \\(3 s\\) reached" 6 || t_fail "session-timeout not applied"
dt=$(( $(t_ms) - t0 ))
[ "$dt" -ge 2000 ] || t_fail "session ended after $dt ms, before its 3 s"
t_wait_log "$T_DIR/session-c.log" "SIGUSR1\\[soft,server-pushed-connection-reset\\]|RESTART" 5 ||
	t_fail "the client was not told to reconnect"
t_stop "$PING1"; t_stop "$CPID"; t_stop "$SPID"
t_pass "banner pushed; session-timeout: ended at its age limit under traffic, client told to reconnect"

# idle-timeout: keepalives every second do not keep a session alive
start idle "keepalive 1 10
idle-timeout 3"
client idle idle-c.log
t_wait_log "$T_DIR/idle-c.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no connect"
t_wait_log "$T_DIR/idle.log" "idle for 3 s \\(idle-timeout\\)" 8 || t_fail "idle session not ended"
t_stop "$CPID"
# ...while tunnel traffic does
client idle idle-c2.log
t_wait_log "$T_DIR/idle-c2.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no reconnect"
n=$(t_count "$T_DIR/idle.log" "idle-timeout")
t_ping_bg "$CLI" "$T_DIR/idle-ping" 10.8.0.1 25 0.2
PPID2=$T_LAST_PID
t_wait_exit "$PPID2" 15
t_ping_result "$T_DIR/idle-ping"
[ "$T_RECV" -ge 24 ] || t_fail "only $T_RECV of $T_SENT pings answered in an active session"
[ "$(t_count "$T_DIR/idle.log" "idle-timeout")" = "$n" ] || t_fail "an active session was ended as idle"
t_stop "$CPID"; t_stop "$SPID"
t_pass "idle-timeout: keepalives alone end the session after 3 s; tunnel traffic keeps it"

# max-devices-per-user 1 (duplicate-cn, so the certificate may be shared)
start devices "duplicate-cn
max-devices-per-user 1"
client devices dev1.log
t_wait_log "$T_DIR/dev1.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "first device"
C1=$CPID
client devices dev2.log
t_wait_log "$T_DIR/dev2.log" "AUTH_FAILED" 20 "$CPID" || t_fail "the second device was not refused"
grep -q "too many devices connected for this user" "$T_DIR/dev2.log" || t_fail "no reason given"
t_wait_log "$T_DIR/devices.log" "max-devices-per-user" 2 || t_fail "no log line"
t_stop "$CPID"; t_stop "$C1"; t_stop "$SPID"
t_pass "max-devices-per-user: one session too many is refused with the reason"

# reload of the TLS identity: a new server certificate (same CA) is used by
# new sessions; the live one carries on through the reload
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server2 \
	-keyout "$T_DIR/server2.key" -out "$T_DIR/server2.csr" >/dev/null 2>&1 &&
	printf 'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >"$T_DIR/server2.ext" &&
	openssl x509 -req -in "$T_DIR/server2.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
	-days 2 -extfile "$T_DIR/server2.ext" -out "$T_DIR/server2.crt" >/dev/null 2>&1 ||
	t_fail "cannot issue server2"
start tlsreload "keepalive 1 10"
client tlsreload tls1.log
t_wait_log "$T_DIR/tls1.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no connect"
grep -q "VERIFY OK: depth=0, CN=server$" "$T_DIR/tls1.log" || t_fail "first session: not the first certificate"
sed -i -e "s|^cert .*|cert $T_DIR/server2.crt|" -e "s|^key .*|key $T_DIR/server2.key|" "$T_DIR/tlsreload.conf"
t_signal HUP "$SPID"
t_wait_log "$T_DIR/tlsreload.log" "TLS identity reloaded" 5 "$SPID" || t_fail "the TLS identity was not reloaded"
t_ping "$CLI" 10.8.0.1 || t_fail "the live session did not survive the reload"
t_stop "$CPID"
client tlsreload tls2.log
t_wait_log "$T_DIR/tls2.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no reconnect"
grep -q "VERIFY OK: depth=0, CN=server2$" "$T_DIR/tls2.log" || t_fail "a new session did not get the new certificate"
t_stop "$CPID"; t_stop "$SPID"
t_pass "reload: a new server certificate serves new sessions; the live session is untouched"

# reload with a new client network: clients are told to reconnect and come
# back with an address from the new pool; the device moves with it
start repool "keepalive 1 10"
client repool rp.log
t_wait_log "$T_DIR/rp.log" "Initialization Sequence Completed" 20 "$CPID" || t_fail "no connect"
[ "$(t_tun_addr "$CLI")" = 10.8.0.2 ] || t_fail "first address: $(t_tun_addr "$CLI")"
sed -i 's/^server 10.8.0.0 255.255.255.0/server 10.9.0.0 255.255.255.0/' "$T_DIR/repool.conf"
t_signal HUP "$SPID"
t_wait_log "$T_DIR/repool.log" "reload: new client network; 1 client\\(s\\) told to reconnect" 5 "$SPID" ||
	t_fail "the new pool was not taken"
t_wait_count "$T_DIR/rp.log" "Initialization Sequence Completed" 2 20 "$CPID" || t_fail "no reconnect"
[ "$(t_tun_addr "$CLI")" = 10.9.0.2 ] || t_fail "after the reload the client has $(t_tun_addr "$CLI")"
t_ping "$CLI" 10.9.0.1 || t_fail "no tunnel in the new network"
ip -n "$SRV" -4 -o addr show dev tun0 | grep -q "10.8.0.1" && t_fail "the old address is still on the device"
t_stop "$CPID"; t_stop "$SPID"
t_pass "reload: a new client network moves the device and reconnects clients into the new pool"
