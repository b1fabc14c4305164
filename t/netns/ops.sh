#!/bin/sh
# ops.sh - what operators read: the status file in 2.6's three formats,
# compared line by line with what stock OpenVPN 2.6 writes for the same
# client (times, ports and byte counts masked), and the connection log
# (AWS Client VPN's JSON lines) for a successful session and a refused
# certificate.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

run_one() { # IMPL(endpoint|openvpn) VERSION
	impl=$1 v=$2 name="$1-v$2"
	{ t_server_conf "$P"; echo "status $T_DIR/$name.status 1"; echo "status-version $v"
	  echo "connection-log $T_DIR/$name.jsonl"; } >"$T_DIR/$name.conf"
	if [ "$impl" = openvpn ]; then
		sed -i -e '/^connection-log/d' -e 's/^dh none/dh none\nkeepalive 10 60/' "$T_DIR/$name.conf"
		t_bg "$SRV" "$T_DIR/$name.log" openvpn --config "$T_DIR/$name.conf"
	else
		t_bg "$SRV" "$T_DIR/$name.log" "$ENDPOINT" --config "$T_DIR/$name.conf"
	fi
	spid=$T_LAST_PID
	t_wait_log "$T_DIR/$name.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "$name: no start"
	t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/$name-client.conf"
	t_bg "$CLI" "$T_DIR/$name-client.log" openvpn --config "$T_DIR/$name-client.conf"
	cpid=$T_LAST_PID
	t_wait_log "$T_DIR/$name-client.log" "Initialization Sequence Completed" 20 "$cpid" ||
		t_fail "$name: client did not connect"
	# the next report after the client is in
	t_wait_log "$T_DIR/$name.status" "client1" 5 || t_fail "$name: no client in the status file"
	cp "$T_DIR/$name.status" "$T_DIR/$name.snap"
	t_stop "$cpid"
	t_stop "$spid"
}

for v in 1 2 3; do
	run_one endpoint "$v"
	run_one openvpn "$v"
	t_status_mask "$T_DIR/openvpn-v$v.snap" >"$T_DIR/want-v$v"
	t_status_mask "$T_DIR/endpoint-v$v.snap" >"$T_DIR/got-v$v"
	diff -u "$T_DIR/want-v$v" "$T_DIR/got-v$v" || t_fail "status-version $v differs from OpenVPN 2.6's"
done
t_pass "status file, versions 1-3: line by line as OpenVPN 2.6 writes it (times, ports, bytes masked)"

# ---- connection log: the successful session above, then a refused certificate
J="$T_DIR/endpoint-v1.jsonl"
{ t_server_conf "$P"; echo "connection-log $J"; } >"$T_DIR/rogue.conf"
t_bg "$SRV" "$T_DIR/rogue.log" "$ENDPOINT" --config "$T_DIR/rogue.conf"
spid=$T_LAST_PID
t_wait_log "$T_DIR/rogue.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "rogue: no start"
t_client_conf "$P" rogue 192.0.2.1 >"$T_DIR/rogue-client.conf"
t_bg "$CLI" "$T_DIR/rogue-client.log" openvpn --config "$T_DIR/rogue-client.conf"
cpid=$T_LAST_PID
t_wait_log "$J" '"connection-attempt-status":"failed"' 15 || t_fail "no failed record for a refused certificate"
t_stop "$cpid"
t_stop "$spid"
python3 - "$J" <<'EOF' || t_fail "connection log: not the records we promise"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]   # every line is one JSON document
need = ["connection-id", "connection-attempt-status", "connection-attempt-failure-reason",
        "common-name", "username", "client-ip", "device-ip", "port", "transport-protocol",
        "connection-start-time", "connection-end-time", "connection-duration-seconds",
        "ingress-bytes", "egress-bytes", "ingress-packets", "egress-packets"]
for r in recs:
    missing = [k for k in need if k not in r]
    assert not missing, ("missing", missing, r)
ok = [r for r in recs if r["connection-attempt-status"] == "successful"]
assert len(ok) == 2, ("want a connect and a disconnect record", recs)
assert ok[0]["common-name"] == "client1" and ok[0]["client-ip"] == "10.8.0.2", ok[0]
assert ok[0]["connection-id"] == ok[1]["connection-id"], "one id per connection"
assert ok[1]["connection-end-time"] != "NA" and int(ok[1]["ingress-bytes"]) > 0, ok[1]
bad = [r for r in recs if r["connection-attempt-status"] == "failed"]
assert len(bad) == 1 and bad[0]["connection-attempt-failure-reason"] != "NA", bad
assert bad[0]["device-ip"] == "192.0.2.2", bad[0]
print("connection log: %d records ok" % len(recs))
EOF
t_pass "connection log: JSON lines with AWS's fields for a session and a refused certificate"

# ---- metrics: the scrape parses as Prometheus text and carries what we promise
{ t_server_conf "$P"; echo "metrics 127.0.0.1 9176"; echo "crl-verify $P/crl-empty.pem"; } >"$T_DIR/metrics.conf"
[ -f "$P/crl-empty.pem" ] || sed -i '/^crl-verify/d' "$T_DIR/metrics.conf"
t_bg "$SRV" "$T_DIR/metrics.log" "$ENDPOINT" --config "$T_DIR/metrics.conf"
spid=$T_LAST_PID
t_wait_log "$T_DIR/metrics.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "metrics: no start"
t_client_conf "$P" client1 192.0.2.1 >"$T_DIR/metrics-client.conf"
t_bg "$CLI" "$T_DIR/metrics-client.log" openvpn --config "$T_DIR/metrics-client.conf"
cpid=$T_LAST_PID
t_wait_log "$T_DIR/metrics-client.log" "Initialization Sequence Completed" 20 "$cpid" || t_fail "metrics: no client"
t_ping "$CLI" 10.8.0.1 || t_fail "metrics: no tunnel"
ip netns exec "$SRV" python3 - <<'PY' || t_fail "the metrics scrape is not valid Prometheus text"
import re, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:9176/metrics", timeout=5).read().decode()
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$" % (name, label, label))
types, seen = {}, {}
for line in body.splitlines():
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, n, t = line.split(" ")
        assert t in ("counter", "gauge"), line
        assert n not in types, "family twice: " + n
        types[n] = t
        continue
    m = sample.match(line)
    assert m, "bad line: " + line
    assert m.group(1) in types, "sample before its TYPE: " + line
    seen[m.group(1)] = seen.get(m.group(1), 0) + 1
for must in ["ovpn_endpoint_clients", "ovpn_endpoint_client_received_bytes_total",
             "ovpn_endpoint_pool_used", "ovpn_endpoint_handshake_failures_total",
             "ovpn_endpoint_authorization_default_deny_total"]:
    assert must in types, "missing " + must
assert re.search(r'^ovpn_endpoint_clients 1$', body, re.M), "clients gauge is not 1"
assert re.search(r'^ovpn_endpoint_client_received_bytes_total\{common_name="client1",client_id="0"\} [1-9]', body, re.M)
r = urllib.request.urlopen  # a bad path is a 404, not a crash
try:
    r("http://127.0.0.1:9176/nope", timeout=5)
    raise SystemExit("no 404")
except urllib.error.HTTPError as e:
    assert e.code == 404
print("metrics: %d families" % len(types))
PY
t_stop "$cpid"; t_stop "$spid"
t_pass "metrics: the scrape parses as Prometheus text, with clients, bytes, pool and rule counters"
