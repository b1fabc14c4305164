#!/bin/sh
# bench/run.sh - ovpn-endpoint against the OpenVPN 2.6 server, same machine,
# same run, same server.conf (plus disable-dco for OpenVPN: no DCO module here).
#
# Measures, for each server:
#   handshake   server CPU per full client handshake (N sequential clients)
#   packet      server CPU per tunnel packet and syscalls per packet, with
#               iperf3 TCP through the tunnel for S seconds
#   memory      resident memory per idle connected client (M clients)
# CPU comes from /proc/PID/schedstat (ns on CPU), so it is the server's own
# cost, not the clients' or iperf3's.  Prints one table and the ratios.
#
# Not part of `make check`: numbers, not pass/fail.  Needs root.
#   bench/run.sh [-n handshakes] [-s seconds] [-m clients]
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/t/netns/lib.sh"

N=40
S=5
M=20
while getopts n:s:m: o; do
	case $o in
	n) N=$OPTARG ;;
	s) S=$OPTARG ;;
	m) M=$OPTARG ;;
	*) echo "usage: $0 [-n handshakes] [-s seconds] [-m clients]" >&2; exit 2 ;;
	esac
done
command -v iperf3 >/dev/null || { echo "needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 1; }
t_setup
t_ns srv; SRV=$T_LAST_NS
t_ns cli; CLI=$T_LAST_NS
t_link "$SRV" 192.0.2.1/24 "$CLI" 192.0.2.2/24
t_pki "$T_DIR/pki"
P="$T_DIR/pki"

cat >"$T_DIR/server.conf" <<EOC
port 1194
proto udp
dev tun
topology subnet
server 10.8.0.0 255.255.0.0
ca $P/ca.crt
cert $P/server.crt
key $P/server.key
dh none
keepalive 10 60
duplicate-cn
verb 1
EOC
{ cat "$T_DIR/server.conf"; echo "disable-dco"; } >"$T_DIR/openvpn.conf"
cat >"$T_DIR/client.conf" <<EOC
client
dev tun
proto udp
remote 192.0.2.1 1194
nobind
ca $P/ca.crt
cert $P/client1.crt
key $P/client1.key
remote-cert-tls server
verb 3
disable-dco
EOC

cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
tun_pkts() {
	ip -n "$SRV" -s -j link show dev tun0 2>/dev/null |
		python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["packets"]+s["tx"]["packets"])'
}

start_server() { # NAME CMD...
	name=$1
	shift
	t_bg "$SRV" "$T_DIR/$name.log" "$@"
	SPID=$T_LAST_PID
	t_wait_log "$T_DIR/$name.log" "Initialization Sequence Completed" 15 "$SPID" ||
		t_fail "$name did not start"
}

stop_server() {
	kill -TERM "$SPID"
	t_wait_exit "$SPID" 15 || kill -KILL "$SPID"
}

client_once() { # LOG [extra args]: connect, wait for init, disconnect; echo ok
	log=$1
	shift
	t_bg "$CLI" "$log" openvpn --config "$T_DIR/client.conf" "$@"
	cpid=$T_LAST_PID
	t_wait_log "$log" "Initialization Sequence Completed" 30 "$cpid" || t_fail "client did not connect"
	CPID=$cpid
}

bench_server() { # NAME CMD...
	name=$1
	start_server "$@"

	# handshakes
	c0=$(cpu_ns "$SPID")
	i=0
	while [ "$i" -lt "$N" ]; do
		client_once "$T_DIR/hs.log"
		kill -TERM "$CPID"
		t_wait_exit "$CPID" 10 || t_fail "client did not exit"
		i=$((i + 1))
	done
	c1=$(cpu_ns "$SPID")
	hs_us=$(( (c1 - c0) / N / 1000 ))

	# throughput: one client, iperf3 TCP
	client_once "$T_DIR/tp.log"
	TPC=$CPID
	t_bg "$SRV" "$T_DIR/iperf-s.log" iperf3 -s -B 10.8.0.1 -1
	IPS=$T_LAST_PID
	t_wait_tcp_listen "$SRV" 5201 5 || t_fail "iperf3 server"
	p0=$(tun_pkts)
	c0=$(cpu_ns "$SPID")
	ip netns exec "$CLI" iperf3 -c 10.8.0.1 -t "$S" -J >"$T_DIR/iperf.json" 2>&1 || t_fail "iperf3"
	c1=$(cpu_ns "$SPID")
	p1=$(tun_pkts)
	t_wait_exit "$IPS" 5
	mbps=$(python3 -c 'import json; d=json.load(open("'"$T_DIR/iperf.json"'")); print(int(d["end"]["sum_received"]["bits_per_second"]/1e6))')
	pkts=$((p1 - p0))
	ns_pkt=$(( (c1 - c0) / pkts ))

	# syscalls per packet: same load, shorter, under strace -c
	t_bg "$SRV" "$T_DIR/iperf-s2.log" iperf3 -s -B 10.8.0.1 -1
	IPS=$T_LAST_PID
	t_wait_tcp_listen "$SRV" 5201 5 || t_fail "iperf3 server"
	strace -c -f -q -o "$T_DIR/strace.$name" -p "$SPID" &
	STP=$!
	T_PIDS="$T_PIDS $STP"
	sleep 0.5   # strace attach has no readiness signal; extra syscalls only lower the ratio
	p0=$(tun_pkts)
	ip netns exec "$CLI" iperf3 -c 10.8.0.1 -t 2 -b 200M >/dev/null 2>&1 || t_fail "iperf3 (strace)"
	p1=$(tun_pkts)
	kill -INT "$STP"
	t_wait_exit "$STP" 10
	t_wait_exit "$IPS" 5
	calls=$(awk '/^100.00|total/ {print $4; exit}' "$T_DIR/strace.$name")
	sc_pkt=$(python3 -c "print(round($calls / max(1, $((p1 - p0))), 2))")
	kill -TERM "$TPC"
	t_wait_exit "$TPC" 10

	# memory per idle client
	r0=$(rss_kb "$SPID")
	CL=""
	i=0
	while [ "$i" -lt "$M" ]; do
		client_once "$T_DIR/m$i.log" --route-noexec --ifconfig-noexec
		CL="$CL $CPID"
		i=$((i + 1))
	done
	r1=$(rss_kb "$SPID")
	kb_client=$(( (r1 - r0) / M ))
	for c in $CL; do kill -TERM "$c"; done
	for c in $CL; do t_wait_exit "$c" 10; done

	stop_server
	printf '%s %s %s %s %s %s\n' "$name" "$hs_us" "$ns_pkt" "$sc_pkt" "$mbps" "$kb_client" >>"$T_DIR/results"
}

bench_server ovpn-endpoint "$ENDPOINT" --config "$T_DIR/server.conf"
bench_server openvpn-2.6 openvpn --config "$T_DIR/openvpn.conf"

echo
echo "ovpn-endpoint vs OpenVPN $(openvpn --version | awk 'NR==1 {print $2}'), $N handshakes, iperf3 ${S}s, $M idle clients, $(nproc) cores"
printf '%-14s %14s %14s %14s %10s %14s\n' server "handshake µs" "ns/packet" "syscalls/pkt" "Mbit/s" "kB/client"
while read -r n h p s m k; do
	printf '%-14s %14s %14s %14s %10s %14s\n' "$n" "$h" "$p" "$s" "$m" "$k"
done <"$T_DIR/results"
python3 - "$T_DIR/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
a, b = rows[0], rows[1]
def r(i, better_low=True):
    x, y = float(a[i]), float(b[i])
    return "n/a" if x == 0 else f"{y / x:.2f}x" if better_low else f"{x / y:.2f}x"
print(f"ratios (OpenVPN / ovpn-endpoint; >1 means we are better): handshake CPU {r(1)}, "
      f"CPU per packet {r(2)}, syscalls per packet {r(3)}, throughput {r(4, False)}, memory per client {r(5)}")
PY
