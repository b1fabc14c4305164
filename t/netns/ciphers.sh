#!/bin/sh
# ciphers.sh - data-channel cipher negotiation (doc §14) against the stock
# OpenVPN 2.6 client.
#
#   client ns (192.0.2.2) ---veth--- endpoint ns (192.0.2.1)
#
# Asserts:
#  - each of AES-128-GCM, AES-256-GCM and CHACHA20-POLY1305 is negotiated when
#    the client offers only that one (client log "Data Channel: cipher 'X'",
#    server log "cipher X"), the client gets the address the server logged,
#    and ping crosses the tunnel both ways with 56- and 1300-byte packets;
#  - the server's order wins: server CHACHA20-POLY1305:AES-256-GCM with a
#    client offering AES-256-GCM:CHACHA20-POLY1305 gives CHACHA20-POLY1305;
#  - no common cipher: the client gets AUTH_FAILED with the reason, the
#    server log names the reason, the client gets no address, and the next
#    good client still gets the lowest address (the refused one used none).
. "$(dirname "$0")/lib.sh"

t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns c1; C1=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$C1" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

NSRV=0
# start_server DATA-CIPHERS: a fresh endpoint; its log is $SLOG.
start_server() {
	NSRV=$((NSRV + 1))
	SLOG="$T_DIR/server$NSRV.log"
	{ t_server_conf "$P"; echo "data-ciphers $1"; } >"$T_DIR/server$NSRV.conf"
	t_bg "$SRV" "$SLOG" "$ENDPOINT" --config "$T_DIR/server$NSRV.conf"
	SPID=$T_LAST_PID
	t_wait_log "$SLOG" "Initialization Sequence Completed" 10 "$SPID" ||
		t_fail "endpoint (data-ciphers $1) did not start"
}

NCLI=0
# start_client DATA-CIPHERS: a stock client offering exactly that list; its
# log is $CLOG.
start_client() {
	NCLI=$((NCLI + 1))
	CLOG="$T_DIR/client$NCLI.log"
	{ t_client_conf "$P" client1 192.0.2.1; echo "data-ciphers $1"; } >"$T_DIR/client$NCLI.conf"
	t_bg "$C1" "$CLOG" openvpn --config "$T_DIR/client$NCLI.conf"
	CPID=$T_LAST_PID
}

# expect_cipher OFFER WANT: connect a client offering OFFER, assert WANT is
# used by both ends, the address matches and ping crosses both ways.
expect_cipher() {
	local offer="$1" want="$2" a slogaddr
	start_client "$offer"
	t_wait_log "$CLOG" "Initialization Sequence Completed" 30 "$CPID" ||
		t_fail "client offering $offer did not connect"
	grep -q "Data Channel: cipher '$want'" "$CLOG" ||
		t_fail "client offering $offer: log does not name $want ($(grep 'Data Channel' "$CLOG"))"
	t_wait_log "$SLOG" "connected, address .*, cipher $want," 5 ||
		t_fail "server log does not show a connection with cipher $want"
	a=$(t_tun_addr "$C1")
	[ -n "$a" ] || t_fail "client offering $offer has no tunnel address"
	slogaddr=$(grep "cipher $want," "$SLOG" | tail -n 1 | sed -n 's/.*connected, address \([0-9.]*\),.*/\1/p')
	[ "$a" = "$slogaddr" ] || t_fail "client has $a but the server logged $slogaddr"
	t_ping "$C1" 10.8.0.1 || t_fail "$want: client cannot ping the endpoint"
	t_ping "$SRV" "$a" || t_fail "$want: endpoint cannot ping the client"
	t_ping "$C1" 10.8.0.1 1300 || t_fail "$want: client cannot ping the endpoint with 1300 bytes"
	t_ping "$SRV" "$a" 1300 || t_fail "$want: endpoint cannot ping the client with 1300 bytes"
	t_pass "client offering $offer: $want on both ends, address $a, ping both ways 56 and 1300 bytes"
	t_stop "$CPID"
}

start_server AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
expect_cipher AES-128-GCM AES-128-GCM
expect_cipher AES-256-GCM AES-256-GCM
expect_cipher CHACHA20-POLY1305 CHACHA20-POLY1305
t_stop "$SPID"

start_server CHACHA20-POLY1305:AES-256-GCM
expect_cipher AES-256-GCM:CHACHA20-POLY1305 CHACHA20-POLY1305
t_log "server order wins over the client's"
t_stop "$SPID"

# No common cipher.  A 2.6 client without auth-retry exits on AUTH_FAILED.
start_server AES-256-GCM
start_client AES-128-GCM
t_wait_log "$CLOG" "AUTH_FAILED" 30 "$CPID" || t_fail "refused client did not get AUTH_FAILED"
t_wait_exit "$CPID" 15 || t_fail "client did not exit after AUTH_FAILED"
grep -q "AUTH_FAILED,Data channel cipher negotiation failed (no shared cipher)" "$CLOG" ||
	t_fail "AUTH_FAILED carries no reason: $(grep AUTH_FAILED "$CLOG" | head -n 1)"
grep -q "no shared data cipher: client offers 'AES-128-GCM'" "$SLOG" ||
	t_fail "server log does not say why the client was refused"
grep -q "authentication failed: Data channel cipher negotiation failed (no shared cipher)" "$SLOG" ||
	t_fail "server log does not show the AUTH_FAILED reason"
! grep -q "connected, address" "$SLOG" || t_fail "the refused client was given an address"
! grep -q "Initialization Sequence Completed" "$CLOG" || t_fail "the refused client completed"
[ -z "$(ip -n "$C1" -o link show type tun)" ] || t_fail "the refused client has a TUN device"
t_pass "no shared cipher: AUTH_FAILED with reason on the client, reason in the server log, no address"

expect_cipher AES-256-GCM:AES-128-GCM AES-256-GCM
grep -q "connected, address 10.8.0.2, cipher AES-256-GCM" "$SLOG" ||
	t_fail "next client did not get the lowest address: the refused one kept a lease"
t_pass "the refused client used no address (next client got 10.8.0.2)"
t_stop "$SPID"
exit 0
