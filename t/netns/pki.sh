#!/bin/sh
# pki.sh - ovpn-pki from zero to a connected client, checked against stock
# OpenVPN 2.6 on both sides:
#
#   client ns (192.0.2.2) ---veth--- server ns (192.0.2.1)
#
# Asserts: init, issue-server, issue-client, gen-crl and tls-crypt-v2-server
# make certificates that `openssl verify` accepts with the KU/EKU
# remote-cert-tls wants, keys 0600; the profile from `ovpn-pki export`
# connects a stock client to ovpn-endpoint unchanged (UDP, and TCP with
# --proto tcp), pings both ways and pins the server's name; a stock 2.6
# *server* accepts the same CA, certificates, CRL, tls-crypt-v2 key and
# profile; `revoke` + `gen-crl` ends alice's live session on the endpoint
# and refuses her reconnection; refusals (overwrite without --force, a bad
# name, a missing CA) exit 1 with one clear line.
. "$(dirname "$0")/lib.sh"

PKI="$top_builddir/pki/ovpn-pki"

t_setup
[ -x "$PKI" ] || t_fail "$PKI not built"
command -v openssl >/dev/null || t_require "needs the openssl command"
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
P="$T_DIR/pki"

# ---- the PKI ----
# (--dir and $OVPN_PKI_DIR both name the directory)
"$PKI" --dir "$P" init >"$T_DIR/pki.out" 2>&1 || t_fail "init: $(cat "$T_DIR/pki.out")"
"$PKI" --dir "$P" issue-server server --san IP:192.0.2.1 >>"$T_DIR/pki.out" 2>&1 ||
	t_fail "issue-server: $(cat "$T_DIR/pki.out")"
OVPN_PKI_DIR="$P" "$PKI" issue-client alice >>"$T_DIR/pki.out" 2>&1 ||
	t_fail "issue-client: $(cat "$T_DIR/pki.out")"
"$PKI" --dir "$P" gen-crl >>"$T_DIR/pki.out" 2>&1 || t_fail "gen-crl: $(cat "$T_DIR/pki.out")"
"$PKI" --dir "$P" tls-crypt-v2-server >>"$T_DIR/pki.out" 2>&1 ||
	t_fail "tls-crypt-v2-server: $(cat "$T_DIR/pki.out")"
for f in ca.crt crl.pem index tc2-server.key issued/server.crt issued/alice.crt \
	private/ca.key private/server.key private/alice.key; do
	[ -s "$P/$f" ] || t_fail "ovpn-pki did not write $f"
done
for f in private/ca.key private/server.key private/alice.key tc2-server.key; do
	[ "$(stat -c %a "$P/$f")" = 600 ] || t_fail "$f has mode $(stat -c %a "$P/$f"), want 600"
done
[ "$(stat -c %a "$P/private")" = 700 ] || t_fail "private/ is not 0700"
[ -z "$(find "$P" -name '.*.??????')" ] || t_fail "temp files left in $P"
t_pass "init, issue-server, issue-client, gen-crl, tls-crypt-v2-server (keys 0600)"

openssl verify -CAfile "$P/ca.crt" "$P/ca.crt" >/dev/null 2>&1 || t_fail "ca.crt does not verify"
openssl verify -CAfile "$P/ca.crt" -purpose sslserver "$P/issued/server.crt" >/dev/null 2>&1 ||
	t_fail "server.crt does not verify as an SSL server"
openssl verify -CAfile "$P/ca.crt" -purpose sslclient "$P/issued/alice.crt" >/dev/null 2>&1 ||
	t_fail "alice.crt does not verify as an SSL client"
openssl verify -crl_check -CAfile "$P/ca.crt" -CRLfile "$P/crl.pem" "$P/issued/alice.crt" \
	>/dev/null 2>&1 || t_fail "alice.crt does not verify against the CRL"
openssl x509 -in "$P/issued/server.crt" -noout -text >"$T_DIR/server.txt"
openssl x509 -in "$P/issued/alice.crt" -noout -text >"$T_DIR/alice.txt"
openssl x509 -in "$P/ca.crt" -noout -text >"$T_DIR/ca.txt"
grep -A1 "X509v3 Key Usage: critical" "$T_DIR/server.txt" | grep -q "Digital Signature, Key Agreement" ||
	t_fail "server KU is not digitalSignature, keyAgreement"
grep -A1 "X509v3 Extended Key Usage" "$T_DIR/server.txt" | grep -q "TLS Web Server Authentication" ||
	t_fail "server EKU is not serverAuth"
grep -A1 "Subject Alternative Name" "$T_DIR/server.txt" | grep -q "IP Address:192.0.2.1" ||
	t_fail "the --san IP is missing"
grep -A1 "X509v3 Key Usage: critical" "$T_DIR/alice.txt" | grep -q "Digital Signature" ||
	t_fail "client KU is not digitalSignature"
grep -A1 "X509v3 Extended Key Usage" "$T_DIR/alice.txt" | grep -q "TLS Web Client Authentication" ||
	t_fail "client EKU is not clientAuth"
grep -A1 "Basic Constraints: critical" "$T_DIR/ca.txt" | grep -q "CA:TRUE" || t_fail "CA is not CA:TRUE"
grep -A1 "X509v3 Key Usage: critical" "$T_DIR/ca.txt" | grep -q "Certificate Sign, CRL Sign" ||
	t_fail "CA KU is not keyCertSign, cRLSign"
grep -q "Public Key Algorithm: id-ecPublicKey" "$T_DIR/alice.txt" || t_fail "keys are not EC by default"
t_pass "openssl verify passes; KU/EKU as remote-cert-tls wants"

# the Static key V1 file (tls-crypt / tls-auth) as 2.6 reads it
"$PKI" tls-crypt-key "$T_DIR/tc.key" >/dev/null 2>&1 || t_fail "tls-crypt-key failed"
[ "$(stat -c %a "$T_DIR/tc.key")" = 600 ] || t_fail "tls-crypt-key file is not 0600"
timeout 30 openvpn --test-crypto --secret "$T_DIR/tc.key" --cipher AES-256-GCM --verb 1 \
	>"$T_DIR/tc.log" 2>&1 && grep -q "self-test mode SUCCEEDED" "$T_DIR/tc.log" ||
	t_fail "openvpn does not accept the tls-crypt-key file"
t_pass "tls-crypt-key writes a key file stock 2.6 reads"

# ---- refusals: one line on stderr, exit 1, nothing changed ----
refuse() { # WHAT REGEX CMD...
	what=$1 re=$2
	shift 2
	"$@" >"$T_DIR/r.out" 2>"$T_DIR/r.err"
	rc=$?
	[ "$rc" = 1 ] || t_fail "$what: exit status $rc, want 1"
	[ "$(wc -l <"$T_DIR/r.err")" = 1 ] || t_fail "$what: want one line on stderr, got: $(cat "$T_DIR/r.err")"
	grep -Eq -e "$re" "$T_DIR/r.err" || t_fail "$what: unclear message: $(cat "$T_DIR/r.err")"
	t_log "$what: $(cat "$T_DIR/r.err")"
}
sum_before=$(cat "$P/issued/alice.crt" "$P/private/alice.key" "$P/index" | md5sum)
refuse "overwrite without --force" "alice.* exists.*use --force" "$PKI" --dir "$P" issue-client alice
refuse "overwrite a key file without --force" "exists: use --force" "$PKI" --dir "$P" tls-crypt-v2-server
refuse "init over a CA" "already exists.*--force" "$PKI" --dir "$P" init
[ "$(cat "$P/issued/alice.crt" "$P/private/alice.key" "$P/index" | md5sum)" = "$sum_before" ] ||
	t_fail "a refused command changed files"
refuse "bad name" "bad name '\.\./x'" "$PKI" --dir "$P" issue-client ../x
refuse "bad name" "bad name 'a b'" "$PKI" --dir "$P" issue-client "a b"
refuse "missing CA" "no CA in .*nopki: run 'ovpn-pki init' first" "$PKI" --dir "$T_DIR/nopki" issue-client bob
[ ! -e "$T_DIR/nopki" ] || t_fail "a refused command created the directory"
refuse "unknown option" "unknown option '--san'" "$PKI" --dir "$P" issue-client bob --san DNS:x
refuse "export without remote" "--remote" "$PKI" --dir "$P" export alice
t_pass "refusals: overwrite without --force, bad names, missing CA (exit 1, one clear line)"

# ---- ovpn-endpoint with the exported profile, UDP then TCP ----
endpoint_conf() { # PROTO
	cat <<EOC
port 1194
proto $1
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
ca $P/ca.crt
cert $P/issued/server.crt
key $P/private/server.key
dh none
tls-crypt-v2 $P/tc2-server.key
crl-verify $P/crl.pem
keepalive 1 5
verb 3
EOC
}
endpoint_conf udp >"$T_DIR/ep-udp.conf"
endpoint_conf tcp-server >"$T_DIR/ep-tcp.conf"
"$PKI" --dir "$P" export alice --remote 192.0.2.1 >"$T_DIR/alice.ovpn" 2>"$T_DIR/export.err" ||
	t_fail "export: $(cat "$T_DIR/export.err")"
"$PKI" --dir "$P" export alice --remote 192.0.2.1:1194 --proto tcp >"$T_DIR/alice-tcp.ovpn" ||
	t_fail "export --proto tcp"
for f in alice.ovpn alice-tcp.ovpn; do
	for want in '^client$' '^remote 192.0.2.1 1194$' '^verify-x509-name server name$' \
		'^remote-cert-tls server$' '^data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305$' \
		'^<ca>$' '^<cert>$' '^<key>$' '^<tls-crypt-v2>$'; do
		grep -Eq "$want" "$T_DIR/$f" || t_fail "$f lacks $want"
	done
done
grep -q '^proto tcp-client$' "$T_DIR/alice-tcp.ovpn" || t_fail "the TCP profile does not say tcp"
[ -s "$P/private/alice.tc2" ] || t_fail "export did not keep alice's tls-crypt-v2 key"

# connect NAME SERVER_CONF PROFILE GW: endpoint up, client up with the profile, ping both ways
connect() {
	name=$1
	t_bg "$SRV" "$T_DIR/$name-server.log" "$ENDPOINT" --config "$2"
	SPID=$T_LAST_PID
	t_wait_log "$T_DIR/$name-server.log" "Initialization Sequence Completed" 10 "$SPID" ||
		t_fail "$name: endpoint did not start"
	[ "$1" = udp ] || t_wait_tcp_listen "$SRV" 1194 5 || t_fail "$name: endpoint not listening"
	t_bg "$CLI" "$T_DIR/$name-client.log" openvpn --config "$3"
	CPID=$T_LAST_PID
	t_wait_log "$T_DIR/$name-client.log" "Initialization Sequence Completed" 30 "$CPID" ||
		t_fail "$name: the stock client did not connect with the exported profile"
	grep -q "VERIFY X509NAME OK: CN=server" "$T_DIR/$name-client.log" ||
		t_fail "$name: verify-x509-name was not applied"
	a=$(t_tun_addr "$CLI")
	[ -n "$a" ] || t_fail "$name: no tunnel address"
	t_ping "$CLI" "$4" && t_ping "$SRV" "$a" || t_fail "$name: no traffic through the tunnel"
}
connect udp "$T_DIR/ep-udp.conf" "$T_DIR/alice.ovpn" 10.8.0.1
t_stop "$CPID"
t_stop "$SPID"
t_pass "stock client + exported profile -> ovpn-endpoint over UDP: connects, pings both ways"
connect tcp "$T_DIR/ep-tcp.conf" "$T_DIR/alice-tcp.ovpn" 10.8.0.1
t_stop "$CPID"
t_stop "$SPID"
t_pass "stock client + exported profile (--proto tcp) -> ovpn-endpoint over TCP"

# ---- a stock OpenVPN 2.6 server accepts the same PKI and profile ----
cat >"$T_DIR/stock-server.conf" <<EOC
port 1194
proto udp
dev tun
topology subnet
server 10.9.0.0 255.255.255.0
ca $P/ca.crt
cert $P/issued/server.crt
key $P/private/server.key
dh none
tls-crypt-v2 $P/tc2-server.key
crl-verify $P/crl.pem
remote-cert-tls client
verb 3
EOC
t_bg "$SRV" "$T_DIR/stock-server.log" openvpn --config "$T_DIR/stock-server.conf"
SPID=$T_LAST_PID
t_wait_log "$T_DIR/stock-server.log" "Initialization Sequence Completed" 15 "$SPID" ||
	t_fail "the stock server did not accept our CA, certificate, CRL or tls-crypt-v2 key"
t_bg "$CLI" "$T_DIR/stock-client.log" openvpn --config "$T_DIR/alice.ovpn"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/stock-client.log" "Initialization Sequence Completed" 30 "$CPID" ||
	t_fail "the stock server did not accept the exported profile"
a=$(t_tun_addr "$CLI")
t_ping "$CLI" 10.9.0.1 && t_ping "$SRV" "$a" || t_fail "no traffic through the stock server's tunnel"
grep -q "alice.*Control Channel: TLS\|\[alice\] Peer Connection Initiated" "$T_DIR/stock-server.log" ||
	t_fail "the stock server did not name alice"
t_stop "$CPID"
t_stop "$SPID"
t_pass "stock OpenVPN 2.6 server accepts our CA, certificates, CRL, tls-crypt-v2 keys and profile"

# ---- revocation: a live session ends, reconnection is refused ----
SLOG="$T_DIR/revoke-server.log"
t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/ep-udp.conf"
SPID=$T_LAST_PID
t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" || t_fail "endpoint did not start"
t_bg "$CLI" "$T_DIR/revoke-client.log" openvpn --config "$T_DIR/alice.ovpn"
CPID=$T_LAST_PID
t_wait_log "$T_DIR/revoke-client.log" "Initialization Sequence Completed" 30 "$CPID" ||
	t_fail "alice did not connect before the revocation"
t_ping "$CLI" 10.8.0.1 || t_fail "no traffic before the revocation"
start=$(t_ms)
"$PKI" --dir "$P" revoke alice >"$T_DIR/revoke.out" 2>&1 || t_fail "revoke: $(cat "$T_DIR/revoke.out")"
"$PKI" --dir "$P" gen-crl >>"$T_DIR/revoke.out" 2>&1 || t_fail "gen-crl: $(cat "$T_DIR/revoke.out")"
t_wait_log "$SLOG" "\\(alice\\).*disconnected: certificate revoked" 5 "$SPID" ||
	t_fail "alice's live session did not end after revoke + gen-crl"
took=$(( $(t_ms) - start ))
t_wait_log "$T_DIR/revoke-client.log" "HALT|halt" 5 || t_fail "alice was not told"
t_wait_exit "$CPID" 10 || t_fail "alice's client did not stop after HALT"
"$PKI" --dir "$P" list >"$T_DIR/list.out" 2>&1 || t_fail "list failed"
grep -Eq "^[0-9a-f]{32} +alice +client +[0-9-]+ [0-9:]+Z +revoked$" "$T_DIR/list.out" ||
	t_fail "list does not show alice revoked: $(cat "$T_DIR/list.out")"
grep -Eq "^[0-9a-f]{32} +server +server +[0-9-]+ [0-9:]+Z +valid$" "$T_DIR/list.out" ||
	t_fail "list does not show the server valid"
openssl verify -crl_check -CAfile "$P/ca.crt" -CRLfile "$P/crl.pem" "$P/issued/alice.crt" \
	>/dev/null 2>&1 && t_fail "openssl still accepts alice under the new CRL"
t_pass "revoke + gen-crl: alice's live session ended ${took} ms later and she was told"

t_bg "$CLI" "$T_DIR/revoke-client2.log" openvpn --config "$T_DIR/alice.ovpn"
CPID=$T_LAST_PID
t_wait_log "$SLOG" "certificate verify failed: certificate revoked" 20 "$SPID" ||
	t_fail "the revoked certificate was not refused at the handshake"
grep -q "Initialization Sequence Completed" "$T_DIR/revoke-client2.log" && t_fail "revoked alice got in"
"$PKI" --dir "$P" export alice --remote 192.0.2.1 >/dev/null 2>"$T_DIR/r.err" &&
	t_fail "export of a revoked certificate succeeded"
t_stop "$CPID"
t_stop "$SPID"
t_pass "a revoked client is refused; export refuses it too"

t_cleanup
trap - EXIT
for ns in $T_NS; do
	ip netns list | grep -q "^$ns\b" && { echo "FAIL: namespace $ns left behind"; exit 1; }
done
t_pass "no namespace left behind"
exit 0
