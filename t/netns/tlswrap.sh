#!/bin/sh
# tlswrap.sh - control-channel protection against the stock OpenVPN 2.6
# client: tls-auth (with key-direction, and bidirectional with auth SHA256),
# tls-crypt, and tls-crypt-v2, over UDP and TCP; keys from `openvpn --genkey`.
# Each case connects and pings both ways with small and 1300-byte packets.
# P5: a client with the wrong tls-crypt key gets no answer at all.
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"
K="$T_DIR/keys"
mkdir -p "$K"
openvpn --genkey secret "$K/static.key" >/dev/null
openvpn --genkey secret "$K/other.key" >/dev/null
openvpn --genkey tls-crypt-v2-server "$K/v2-server.key" >/dev/null
openvpn --genkey tls-crypt-v2-client "$K/v2-client.key" --tls-crypt-v2 "$K/v2-server.key" >/dev/null
[ -s "$K/v2-client.key" ] || t_fail "openvpn --genkey failed"
# a client key carrying user metadata (base64 of "dept=eng;id=42")
# (2.6 wants --tls-crypt-v2 before --genkey, and the metadata after the file name)
openvpn --tls-crypt-v2 "$K/v2-server.key" --genkey tls-crypt-v2-client "$K/v2-meta.key" \
	"ZGVwdD1lbmc7aWQ9NDI=" >/dev/null
[ -s "$K/v2-meta.key" ] || t_fail "openvpn --genkey with metadata failed"

for proto in udp tcp; do
	t_case "tls-auth-dir-$proto" $proto "tls-auth $K/static.key 0" "tls-auth $K/static.key 1"
	t_case "tls-auth-sha256-$proto" $proto "tls-auth $K/static.key
auth SHA256" "tls-auth $K/static.key
auth SHA256"
	t_case "tls-crypt-$proto" $proto "tls-crypt $K/static.key" "tls-crypt $K/static.key"
	t_case "tls-crypt-v2-$proto" $proto "tls-crypt-v2 $K/v2-server.key" "tls-crypt-v2 $K/v2-client.key"
done
grep -q "Control Channel: TLS" "$T_DIR/tls-crypt-v2-udp-client.log" || t_fail "no TLS in the v2 log"

# tls-crypt-v2 metadata reaches hooks as data
cat >"$T_DIR/meta.sh" <<EOS
#!/bin/sh
printf '%s %s\n' "\$tls_crypt_v2_metadata_type" "\$tls_crypt_v2_metadata" >"$T_DIR/meta.out"
exit 0
EOS
chmod +x "$T_DIR/meta.sh"
printf 'alice\npw\n' >"$T_DIR/up.txt"
t_case v2-metadata udp "tls-crypt-v2 $K/v2-server.key
auth-user-pass-verify $T_DIR/meta.sh via-env
script-security 3" "tls-crypt-v2 $K/v2-meta.key
auth-user-pass $T_DIR/up.txt"
[ "$(cat "$T_DIR/meta.out")" = "user ZGVwdD1lbmc7aWQ9NDI=" ] ||
	t_fail "hook saw metadata '$(cat "$T_DIR/meta.out")', want 'user ZGVwdD1lbmc7aWQ9NDI='"
t_pass "tls-crypt-v2 client metadata reaches the hook"

# P5: the wrong tls-crypt key gets no answer at all; a right one then works
{ t_server_conf "$P"; echo "tls-crypt $K/static.key"; } >"$T_DIR/p5-server.conf"
t_bg "$SRV" "$T_DIR/p5-server.log" "$ENDPOINT" --config "$T_DIR/p5-server.conf"
spid=$T_LAST_PID
t_wait_log "$T_DIR/p5-server.log" "Initialization Sequence Completed" 10 "$spid" || t_fail "p5: endpoint"
sed "s|^tls-crypt .*|tls-crypt $K/other.key|" "$T_DIR/tls-crypt-udp-client.conf" >"$T_DIR/p5-client.conf"
t_bg "$CLI" "$T_DIR/p5-client.log" openvpn --config "$T_DIR/p5-client.conf"
cpid=$T_LAST_PID
# The client retransmits its reset every 2 s; three of them unanswered is
# the evidence (a reply would log "Initial packet from" at once).
t_wait_log "$T_DIR/p5-client.log" "Initial packet from|Initialization Sequence" 7 "$cpid" &&
	t_fail "P5: a client with the wrong tls-crypt key got an answer"
kill -TERM "$cpid"; t_wait_exit "$cpid" 10
t_bg "$CLI" "$T_DIR/p5-good.log" openvpn --config "$T_DIR/tls-crypt-udp-client.conf"
cpid=$T_LAST_PID
t_wait_log "$T_DIR/p5-good.log" "Initialization Sequence Completed" 20 "$cpid" ||
	t_fail "p5: the right key did not connect afterwards"
t_pass "P5: wrong tls-crypt key: no answer in 7 s; right key: connected"
