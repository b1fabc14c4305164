#!/bin/sh
# userpass.sh - username/password authentication with the stock OpenVPN 2.6
# client (auth-user-pass-verify, 2.6 conventions): via-file and via-env
# accepted and refused (AUTH_FAILED, the reason logged); deferred auth
# through auth_control_file; verify-client-cert none with a password only;
# auth-gen-token: renegotiations present the pushed token instead of the
# password, and the script is not run again.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

# The operator's script: alice/s3cret passes.  It counts its runs.
cat >"$T_DIR/check.sh" <<'EOS'
#!/bin/sh
echo run >>"$COUNT_FILE"
if [ -n "$1" ]; then { read -r u; read -r p; } <"$1"; else u=$username p=$password; fi
[ "$u" = alice ] && [ "$p" = s3cret ] && exit 0
exit 1
EOS
# A deferred decision: answer later through auth_control_file.
cat >"$T_DIR/deferred.sh" <<'EOS'
#!/bin/sh
( sleep 1; echo 1 >"$auth_control_file" ) >/dev/null 2>&1 &
exit 2
EOS
chmod +x "$T_DIR/check.sh" "$T_DIR/deferred.sh"
printf 'alice\ns3cret\n' >"$T_DIR/good.txt"
printf 'alice\nwrong\n' >"$T_DIR/bad.txt"

# Hooks inherit no environment from the endpoint (only what it sets), so the
# counter file is written into the script itself.
CHECK="$T_DIR/check.sh"
sed -i "2i COUNT_FILE=$T_DIR/count" "$CHECK"

T_EXPECT_ADDR= t_case via-file udp "auth-user-pass-verify $CHECK via-file
script-security 2" "auth-user-pass $T_DIR/good.txt"
grep -q "auth-user-pass-verify accepted" "$T_DIR/via-file-server.log" || t_fail "via-file: no decision logged"
t_case via-env tcp "auth-user-pass-verify $CHECK via-env
script-security 3" "auth-user-pass $T_DIR/good.txt"
t_case deferred udp "auth-user-pass-verify $T_DIR/deferred.sh via-env
script-security 3" "auth-user-pass $T_DIR/good.txt"
grep -q "authentication deferred by the script" "$T_DIR/deferred-server.log" || t_fail "not deferred"
t_case no-cert udp "auth-user-pass-verify $CHECK via-file
script-security 2
verify-client-cert none" "auth-user-pass $T_DIR/good.txt"
grep -q "(alice) .*connected" "$T_DIR/no-cert-server.log" || t_fail "no-cert: the username is not the name"
t_pass "via-file, via-env (TCP), deferred and password-only clients are accepted"

# a wrong password: AUTH_FAILED, nothing assigned
{ t_server_conf "$P"; printf 'auth-user-pass-verify %s via-file\nscript-security 2\n' "$CHECK"; } \
	>"$T_DIR/bad-server.conf"
t_bg "$SRV" "$T_DIR/bad-server.log" "$ENDPOINT" --config "$T_DIR/bad-server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/bad-server.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "no start"
sed "s|^auth-user-pass .*|auth-user-pass $T_DIR/bad.txt|" "$T_DIR/via-file-client.conf" |
	sed '/^connect-retry/d' >"$T_DIR/bad-client.conf"
t_bg "$CLI" "$T_DIR/bad-client.log" openvpn --config "$T_DIR/bad-client.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/bad-client.log" "AUTH_FAILED" 15 "$CPID" || t_fail "a wrong password was not refused"
t_wait_log "$T_DIR/bad-server.log" "auth-user-pass-verify refused" 5 || t_fail "refusal not logged"
grep -q "connected, address" "$T_DIR/bad-server.log" && t_fail "a refused client got an address"
kill -TERM "$CPID" 2>/dev/null; t_wait_exit "$CPID" 10
kill -TERM "$SPID"; t_wait_exit "$SPID" 10
t_pass "a wrong password gets AUTH_FAILED and no address"

# auth-gen-token: the client renegotiates every 2 s with the token
: >"$T_DIR/count"
{ t_server_conf "$P"; printf 'auth-user-pass-verify %s via-file\nscript-security 2\nauth-gen-token\n' \
	"$CHECK"; } >"$T_DIR/tok-server.conf"
t_bg "$SRV" "$T_DIR/tok-server.log" "$ENDPOINT" --config "$T_DIR/tok-server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/tok-server.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "no start"
{ cat "$T_DIR/via-file-client.conf"; echo "reneg-sec 2"; } >"$T_DIR/tok-client.conf"
t_bg "$CLI" "$T_DIR/tok-client.log" openvpn --config "$T_DIR/tok-client.conf"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/tok-client.log" "Initialization Sequence Completed" 15 "$CPID" || t_fail "token: no connect"
grep -q "auth-token" "$T_DIR/tok-client.log" || t_fail "no auth-token was pushed"
t_wait_count "$T_DIR/tok-server.log" "new data channel key [0-9]+ ready" 2 15 "$SPID" ||
	t_fail "the client did not renegotiate twice"
grep -q "accepted the session's auth-token" "$T_DIR/tok-server.log" || t_fail "the token was not used"
runs=$(grep -c run "$T_DIR/count")
[ "$runs" = 1 ] || t_fail "the script ran $runs times; the token should have replaced it"
t_ping "$CLI" 10.8.0.1 || t_fail "no traffic after token renegotiations"
t_pass "auth-gen-token: two renegotiations with the token, the script ran once"
