#!/bin/sh
# hooks.sh - per-client hooks with the stock 2.6 client: client-connect
# (dynamic config file: a pushed route and a group; a denial), AWS's
# client-connect handler (JSON on stdin and stdout: deny with a message the
# client sees, allow with groups, a handler that hangs is cut off at
# hook-timeout and the client refused), learn-address and
# client-disconnect; every refusal is a connection-log record.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
J="$T_DIR/conn.jsonl"

mk() { # NAME BODY: an executable hook script
	printf '#!/bin/sh\n%s\n' "$2" >"$T_DIR/$1"
	chmod 755 "$T_DIR/$1"
}
mk connect-ok 'env >"'"$T_DIR"'/connect.env"
printf "push \"route 10.66.0.0 255.255.0.0\"\ngroup ops\n" >"$1"'
mk connect-no 'exit 1'
mk learn 'echo "$*" >>"'"$T_DIR"'/learn.log"'
mk disconnect 'echo "$common_name $bytes_sent $bytes_received $time_duration" >>"'"$T_DIR"'/disconnect.log"'
mk handler-no 'cat >"'"$T_DIR"'/request.json"
echo "{\"allow\": false, \"error-msg-on-denied-connection\": \"Not today\", \"posture-compliance-statuses\": [], \"schema-version\": \"v3\"}"'
mk handler-ok 'cat >/dev/null
echo "{\"allow\": true, \"error-msg-on-denied-connection\": \"\", \"posture-compliance-statuses\": [], \"schema-version\": \"v3\", \"groups\": [\"eng\"]}"'
mk handler-hang 'exec sleep 30'

run() { # NAME SERVER-LINES EXPECT(connect|refuse) [CLIENT-REGEX]
	{ t_server_conf "$P"; echo "script-security 2"; echo "connection-log $J"; echo "$2"; } >"$T_DIR/$1.conf"
	t_bg "$SRV" "$T_DIR/$1.log" "$ENDPOINT" --config "$T_DIR/$1.conf"
	SPID=$T_LAST_PID
	t_wait_log "$T_DIR/$1.log" "Initialization Sequence Completed" 10 "$SPID" || t_fail "$1: no start"
	{ t_client_conf "$P" client1 192.0.2.1; echo "auth-retry none"; } >"$T_DIR/$1-client.conf"
	t_bg "$CLI" "$T_DIR/$1-client.log" openvpn --config "$T_DIR/$1-client.conf"
	CPID=$T_LAST_PID
	if [ "$3" = connect ]; then
		t_wait_log "$T_DIR/$1-client.log" "Initialization Sequence Completed" 20 "$CPID" ||
			t_fail "$1: client did not connect"
	else
		t_wait_log "$T_DIR/$1-client.log" "${4:-AUTH_FAILED}" 20 "$CPID" || t_fail "$1: client not refused"
		grep -q "Initialization Sequence Completed" "$T_DIR/$1-client.log" && t_fail "$1: client got in"
	fi
}
stop() { t_stop "$CPID"; t_stop "$SPID"; }

run cc-ok "client-connect $T_DIR/connect-ok
learn-address $T_DIR/learn
client-disconnect $T_DIR/disconnect" connect
grep -q "route 10.66.0.0 255.255.0.0" "$T_DIR/cc-ok-client.log" || t_fail "the hook's push line did not arrive"
grep -q "^common_name=client1$" "$T_DIR/connect.env" && grep -q "^untrusted_ip=192.0.2.2$" "$T_DIR/connect.env" &&
	grep -q "^ifconfig_pool_remote_ip=10.8.0.2$" "$T_DIR/connect.env" &&
	grep -q "^ifconfig_local=10.8.0.1$" "$T_DIR/connect.env" ||
	t_fail "client-connect environment: $(cat "$T_DIR/connect.env")"
t_wait_log "$T_DIR/cc-ok.log" "groups ops" 2 || t_fail "the hook's group was not applied"
t_wait_log "$T_DIR/learn.log" "^add 10.8.0.2 client1$" 5 || t_fail "learn-address add"
stop
t_wait_log "$T_DIR/learn.log" "^delete 10.8.0.2$" 5 || t_fail "learn-address delete"
t_wait_log "$T_DIR/disconnect.log" "^client1 [1-9][0-9]* [1-9][0-9]* [0-9]+$" 5 || t_fail "client-disconnect"
t_pass "client-connect pushes a route and adds a group; learn-address and client-disconnect run"

run cc-no "client-connect $T_DIR/connect-no" refuse
stop
t_pass "client-connect exit 1 refuses the client"

run aws-no "client-connect-handler $T_DIR/handler-no" refuse "AUTH_FAILED,Not today"
stop
python3 - "$T_DIR/request.json" <<'EOF' || t_fail "the handler's request is not AWS's JSON"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ["connection-id", "endpoint-id", "common-name", "username", "platform", "public-ip",
          "client-openvpn-version", "schema-version"]:
    assert k in r, ("missing", k, r)
assert r["common-name"] == "client1" and r["public-ip"] == "192.0.2.2", r
EOF
run aws-ok "client-connect-handler $T_DIR/handler-ok" connect
t_wait_log "$T_DIR/aws-ok.log" "groups eng" 2 || t_fail "the handler's groups were not applied"
stop
t_pass "AWS connect handler: JSON request on stdin; deny shows its message; allow adds groups"

t0=$(t_ms)
run aws-hang "client-connect-handler $T_DIR/handler-hang
hook-timeout 1" refuse
dt=$(( $(t_ms) - t0 ))
t_wait_log "$T_DIR/aws-hang.log" "refused by client-connect-handler: client-connect-handler-timed-out" 2 ||
	t_fail "the hanging handler was not cut off"
stop
t_pass "a handler that hangs is cut off at hook-timeout; the client is refused (fail closed, ${dt} ms)"

python3 - "$J" <<'EOF' || t_fail "connection log: hook refusals not recorded"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
reasons = [r["connection-attempt-failure-reason"] for r in recs if r["connection-attempt-status"] == "failed"]
assert "client-connect-failed" in reasons, reasons
assert "client-connect-handler-timed-out" in reasons, reasons
print("refusals:", reasons)
EOF
t_pass "connection log: a record per denied hook, with AWS's failure reasons"
