#!/bin/sh
# capture.sh OUTDIR - regenerate the wrapped-packet vectors in this directory.
#
# Runs a real OpenVPN 2.6 server and client, each in its own throwaway
# network namespace joined by a veth pair (192.0.2.1 server, 192.0.2.2
# client, UDP 1194), once per wrapping mode, and records the UDP payloads
# with sniff.py.  Every run is bounded (DEADLINE seconds); namespaces and the
# processes this script started are removed on exit.  Needs root, ip(8),
# python3 and openvpn 2.6.  The key files next to this script are used as
# they are (see README); the PKI comes from ../pki.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
pki=$here/../pki
tag="twc$$"
srv="$tag-srv"
cli="$tag-cli"
work=$(mktemp -d)
pids=""
DEADLINE=20

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$srv"
ip netns add "$cli"
ip link add "$tag-a" netns "$srv" type veth peer name "$tag-b" netns "$cli"
ip -n "$srv" addr add 192.0.2.1/24 dev "$tag-a"
ip -n "$cli" addr add 192.0.2.2/24 dev "$tag-b"
ip -n "$srv" link set "$tag-a" up
ip -n "$cli" link set "$tag-b" up
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up

# run NAME "SERVER OPTIONS" "CLIENT OPTIONS"
run() {
	name=$1
	log_s=$work/$name.srv.log
	log_c=$work/$name.cli.log
	ip netns exec "$srv" python3 "$here/sniff.py" "$tag-a" 1194 "$work/$name.hex" "$DEADLINE" \
		>"$work/$name.sniff" &
	sniff=$!
	pids="$pids $sniff"
	i=0
	until grep -q ready "$work/$name.sniff" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "sniffer did not start" >&2; exit 1; }
		sleep 0.1
	done
	# shellcheck disable=SC2086
	ip netns exec "$srv" openvpn --dev tun --topology subnet --server 10.8.0.0 255.255.255.0 \
		--local 192.0.2.1 --port 1194 --proto udp --ca "$pki/ca.crt" --cert "$pki/server.crt" \
		--key "$pki/server.key" --dh none --verb 3 $2 >"$log_s" 2>&1 &
	s=$!
	pids="$pids $s"
	# shellcheck disable=SC2086
	ip netns exec "$cli" openvpn --client --dev tun --remote 192.0.2.1 1194 --proto udp --nobind \
		--ca "$pki/ca.crt" --cert "$pki/client1.crt" --key "$pki/client1.key" \
		--remote-cert-tls server --verb 3 $3 >"$log_c" 2>&1 &
	c=$!
	pids="$pids $c"
	i=0
	until grep -q "Initialization Sequence Completed" "$log_c"; do
		i=$((i + 1))
		if [ $i -ge $((DEADLINE * 10)) ]; then
			echo "$name: client did not complete" >&2
			cat "$log_s" "$log_c" >&2
			exit 1
		fi
		sleep 0.1
	done
	kill "$c" "$s" "$sniff"
	wait "$c" "$s" "$sniff" 2>/dev/null || true
	pids=""
	{
		echo "# $name: captured $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(openvpn --version | head -1 | cut -d' ' -f1-2)"
		echo "# server: $2" | sed "s#$here/##g"
		echo "# client: $3" | sed "s#$here/##g"
		cat "$work/$name.hex"
	} >"$out/$name.hex"
	echo "$name: $(grep -c '^[cs]2' "$out/$name.hex") datagrams"
}

k=$here
run tls-auth-sha1 "--tls-auth $k/static.key 0" "--tls-auth $k/static.key 1"
run tls-auth-sha256 "--tls-auth $k/static.key --auth SHA256" "--tls-auth $k/static.key --auth SHA256"
run tls-crypt "--tls-crypt $k/static.key" "--tls-crypt $k/static.key"
run tls-crypt-v2 "--tls-crypt-v2 $k/tc2-server.key" "--tls-crypt-v2 $k/tc2-client.key"
run tls-crypt-v2-meta "--tls-crypt-v2 $k/tc2-server.key" "--tls-crypt-v2 $k/tc2-client-meta.key"
