# t/netns/lib.sh - shared helpers for the network-namespace integration tests.
#
# Every test creates its own namespaces (prefixed with a per-run tag so that
# parallel runs never collide), records every PID it starts, and tears all of
# it down from an EXIT trap, on every path.  Waits are for a log line or a
# state, each with a deadline; nothing sleeps to synchronise.
#
# Addresses used: 192.0.2.0/24 and 198.51.100.0/24 for the outer links,
# 10.x inside the tunnel - only ever inside namespaces we created.

set -u

T_TAG="ovt$$"
T_NS=""
T_PIDS=""
T_DIR=""
T_FAILED=0
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ENDPOINT="$top_builddir/server/ovpn-endpoint"

t_log() { printf '# %s\n' "$*"; }

t_fail() {
	printf 'FAIL: %s\n' "$*"
	T_FAILED=1
	exit 1
}

t_pass() { printf 'ok - %s\n' "$*"; }

# Skip (exit 77) only outside CI; in CI a missing capability is a failure.
t_require() {
	if [ "${CI:-}" = "true" ]; then
		t_fail "cannot run in CI: $*"
	fi
	printf 'SKIP: %s\n' "$*"
	exit 77
}

t_cleanup() {
	local pid ns
	for pid in $T_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $T_PIDS; do
		# bounded wait, then force
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in $T_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$T_DIR" ] && [ "$T_FAILED" = 0 ] && [ "${KEEP_LOGS:-}" != "1" ]; then
		rm -rf "$T_DIR"
	elif [ -n "$T_DIR" ]; then
		for f in "$T_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f (last 40 lines)"
			tail -n 40 "$f"
		done
	fi
}

t_setup() {
	[ "$(id -u)" = 0 ] || t_require "needs root for network namespaces"
	command -v ip >/dev/null || t_require "needs iproute2"
	command -v openvpn >/dev/null || t_require "needs the openvpn package"
	[ -x "$ENDPOINT" ] || t_fail "$ENDPOINT not built"
	T_DIR=$(mktemp -d "/tmp/$T_TAG.XXXXXX")
	trap 't_cleanup' EXIT
	trap 'T_FAILED=1; exit 1' INT TERM
	ip netns add "$T_TAG-probe" 2>/dev/null || t_require "cannot create network namespaces"
	ip netns del "$T_TAG-probe"
}

# t_ns NAME: create namespace $T_TAG-NAME with lo up; its name is left in
# T_LAST_NS (not printed: a command substitution would run in a subshell and
# the cleanup trap would never learn about the namespace).
t_ns() {
	T_LAST_NS="$T_TAG-$1"
	ip netns add "$T_LAST_NS" || t_fail "ip netns add $T_LAST_NS"
	T_NS="$T_NS $T_LAST_NS"
	ip -n "$T_LAST_NS" link set lo up
}

T_NLINK=0

# t_link NS_A ADDR_A NS_B ADDR_B: veth pair between two namespaces.
t_link() {
	local a="$1" aa="$2" b="$3" ba="$4" n
	T_NLINK=$((T_NLINK + 1))
	n="${T_TAG}l$T_NLINK"
	ip link add "${n}a" netns "$a" type veth peer name "${n}b" netns "$b" || t_fail "veth"
	ip -n "$a" addr add "$aa" dev "${n}a"
	ip -n "$b" addr add "$ba" dev "${n}b"
	ip -n "$a" link set "${n}a" up
	ip -n "$b" link set "${n}b" up
}

# t_link6 NS_A ADDR_A NS_B ADDR_B: a second veth pair for IPv6, with no
# duplicate address detection (addresses usable at once, no waiting).
t_link6() {
	local a="$1" aa="$2" b="$3" ba="$4" n
	T_NLINK=$((T_NLINK + 1))
	n="${T_TAG}l$T_NLINK"
	ip link add "${n}a" netns "$a" type veth peer name "${n}b" netns "$b" || t_fail "veth"
	ip -n "$a" link set "${n}a" up
	ip -n "$b" link set "${n}b" up
	ip -n "$a" -6 addr add "$aa" dev "${n}a" nodad
	ip -n "$b" -6 addr add "$ba" dev "${n}b" nodad
}

# t_bg NS LOG CMD...: start CMD in namespace NS in the background; sets T_LAST_PID.
t_bg() {
	local ns="$1" log="$2"
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS="$T_PIDS $T_LAST_PID"
}

# t_wait_log FILE REGEX SECONDS [PID]: wait for a line, failing early if PID dies.
t_wait_log() {
	local f="$1" re="$2" secs="$3" pid="${4:-}" end
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -Eq "$re" "$f" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -Eq "$re" "$f" 2>/dev/null && return 0
			return 2
		fi
		sleep 0.05
	done
	return 1
}

# t_wait_tcp_listen NS PORT SECONDS: wait until something listens on PORT in NS.
t_wait_tcp_listen() {
	local ns="$1" port="$2" secs="$3" end
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ -n "$(ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# t_wait_exit PID SECONDS: wait for a process we started to exit; sets T_RC.
t_wait_exit() {
	local pid="$1" secs="$2" end
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			T_RC=$?
			T_PIDS=$(echo "$T_PIDS" | sed "s/\b$pid\b//")
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# t_ping NS DEST [SIZE]: 3 pings, at least 2 must be answered, bounded in time.
t_ping() {
	local ns="$1" dst="$2" size="${3:-56}"
	ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 2 -w 5 -s "$size" "$dst" >/dev/null 2>&1
}

# t_case NAME PROTO SERVER_LINES CLIENT_LINES [PING_ARGS]: start the endpoint and
# one stock client with these extra config lines (udp or tcp), check the
# tunnel with pings both ways (56 and 1300 bytes; PING_ARGS are added to the
# 1300-byte ones, e.g. "-p 00" for a compressible payload), stop both.
# Needs SRV, CLI (namespaces joined as 192.0.2.1/.2) and P (a PKI) set.
# SERVER_LINES may set the topology (or say "#no-topology" for 2.6's
# default); T_EXPECT_ADDR, if set, is the address the client must get;
# T_PING6, if set, is the IPv6 address it must get inside the tunnel, then
# pinged both ways (server side T_GW6, default fd00:8::1).
t_case() {
	name=$1 proto=$2 slines=$3 clines=$4 pargs=${5:-}
	{
		# the case's own topology (or none at all) replaces the default
		if echo "$slines" | grep -qE '^(topology|#no-topology)'; then
			t_server_conf "$P" | grep -v '^topology'
		else
			t_server_conf "$P"
		fi
		echo "proto $proto$( [ "$proto" = tcp ] && echo "-server")"
		echo "$slines"
	} >"$T_DIR/$name-server.conf"
	cat >"$T_DIR/$name-client.conf" <<EOC
client
dev tun
proto $proto$( [ "$proto" = tcp ] && echo "-client")
remote 192.0.2.1 1194
nobind
ca $P/ca.crt
cert $P/client1.crt
key $P/client1.key
remote-cert-tls server
verb 3
connect-retry 1
$clines
EOC
	t_bg "$SRV" "$T_DIR/$name-server.log" "$ENDPOINT" --config "$T_DIR/$name-server.conf"
	spid=$T_LAST_PID
	t_wait_log "$T_DIR/$name-server.log" "Initialization Sequence Completed" 10 "$spid" ||
		t_fail "$name: endpoint did not start"
	t_bg "$CLI" "$T_DIR/$name-client.log" openvpn --config "$T_DIR/$name-client.conf"
	cpid=$T_LAST_PID
	t_wait_log "$T_DIR/$name-client.log" "Initialization Sequence Completed" 20 "$cpid" ||
		t_fail "$name: client did not connect"
	a=$(ip -n "$CLI" -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1)
	[ -z "${T_EXPECT_ADDR:-}" ] || [ "$a" = "$T_EXPECT_ADDR" ] ||
		t_fail "$name: client got address '$a', want $T_EXPECT_ADDR"
	t_ping "$CLI" 10.8.0.1 && t_ping "$SRV" "$a" ||
		t_fail "$name: no traffic through the tunnel"
	ip netns exec "$CLI" ping -n -q -c 3 -i 0.2 -W 2 -w 5 -s 1300 $pargs 10.8.0.1 >/dev/null 2>&1 &&
		ip netns exec "$SRV" ping -n -q -c 3 -i 0.2 -W 2 -w 5 -s 1300 $pargs "$a" >/dev/null 2>&1 ||
		t_fail "$name: 1300-byte packets do not cross the tunnel"
	if [ -n "${T_PING6:-}" ]; then
		a6=$(ip -n "$CLI" -6 -o addr show dev tun0 scope global | awk '{print $4}' | cut -d/ -f1)
		[ "$a6" = "$T_PING6" ] || t_fail "$name: client got IPv6 address '$a6', want $T_PING6"
		ip netns exec "$CLI" ping -6 -n -q -c 3 -i 0.2 -W 2 -w 5 -s 1300 "${T_GW6:-fd00:8::1}" \
			>/dev/null 2>&1 && ip netns exec "$SRV" ping -6 -n -q -c 3 -i 0.2 -W 2 -w 5 "$a6" \
			>/dev/null 2>&1 || t_fail "$name: no IPv6 traffic through the tunnel"
	fi
	kill -TERM "$cpid"; t_wait_exit "$cpid" 10
	kill -TERM "$spid"; t_wait_exit "$spid" 10 || t_fail "$name: endpoint did not stop"
	[ "$T_RC" = 0 ] || t_fail "$name: endpoint exited with $T_RC"
	t_pass "$name: connects, pings both ways"
}

# t_pki DIR: a throwaway PKI made with the openssl CLI.
t_pki() {
	sh "$top_srcdir/t/data/gen-pki.sh" "$1" >/dev/null 2>&1 || t_fail "gen-pki.sh"
}

# t_ms: milliseconds since the epoch.
t_ms() { date +%s%3N; }

# ---- helpers shared by the interop-matrix tests (ciphers, rekey, liveness,
# float, tls13).  None of them changes what the helpers above do.

# t_server_conf PKI_DIR: print the common part of a test server.conf
# (UDP 1194, subnet 10.8.0.0/24, verb 3); append your own directives.
t_server_conf() {
	cat <<EOC
port 1194
proto udp
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
ca $1/ca.crt
cert $1/server.crt
key $1/server.key
dh none
verb 3
EOC
}

# t_client_conf PKI_DIR NAME REMOTE [LPORT]: print a stock 2.6 client config
# for certificate NAME; bound to LPORT if given, otherwise nobind.
t_client_conf() {
	cat <<EOC
client
dev tun
proto udp
remote $3 1194
ca $1/ca.crt
cert $1/$2.crt
key $1/$2.key
remote-cert-tls server
verb 3
connect-retry 1
EOC
	if [ -n "${4:-}" ]; then
		echo "lport $4"
	else
		echo "nobind"
	fi
}

# t_tun_addr NS [DEV]: the IPv4 address (without prefix) of DEV (tun0) in NS,
# empty if none.
t_tun_addr() {
	ip -n "$1" -4 -o addr show dev "${2:-tun0}" 2>/dev/null | awk '{print $4}' | cut -d/ -f1
}

# t_wait_log_ms FILE REGEX MS [PID]: t_wait_log with a deadline in ms.
t_wait_log_ms() {
	local f="$1" re="$2" ms="$3" pid="${4:-}" end
	end=$(( $(t_ms) + ms ))
	while [ "$(t_ms)" -lt "$end" ]; do
		grep -Eq "$re" "$f" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -Eq "$re" "$f" 2>/dev/null && return 0
			return 2
		fi
		sleep 0.02
	done
	grep -Eq "$re" "$f" 2>/dev/null
}

# t_count FILE REGEX: number of matching lines (0 if none or no file).
t_count() {
	local n
	n=$(grep -cE "$2" "$1" 2>/dev/null) || n=0
	echo "${n:-0}"
}

# t_log_ms FILE REGEX: epoch ms of the first line matching REGEX in an
# ovpn-endpoint log ("YYYY-MM-DD HH:MM:SS.mmm ..."); empty if none.
t_log_ms() {
	local line
	line=$(grep -E "$2" "$1" 2>/dev/null | head -n 1)
	[ -n "$line" ] || return 1
	date -u -d "$(echo "$line" | cut -c1-23)" +%s%3N
}

# t_signal SIG PID: send SIG to a process this test started (and only then).
t_signal() {
	case " $T_PIDS " in
	*" $2 "*) kill -"$1" "$2" ;;
	*) t_fail "t_signal: $2 is not a process this test started" ;;
	esac
}

# t_stop PID [SECONDS]: SIGTERM a process we started and wait for it to exit.
t_stop() {
	t_signal TERM "$1"
	t_wait_exit "$1" "${2:-10}" || t_fail "process $1 did not exit within ${2:-10} s of SIGTERM"
}

# t_ping_bg NS OUT DEST COUNT INTERVAL [SIZE]: continuous ping in the
# background (bounded by its own -w deadline), output in OUT; sets T_LAST_PID.
t_ping_bg() {
	local ns="$1" out="$2" dst="$3" cnt="$4" iv="$5" size="${6:-56}" dl
	dl=$(awk -v c="$cnt" -v i="$iv" 'BEGIN { printf "%d", c * i + 10 }')
	t_bg "$ns" "$out" ping -n -q -c "$cnt" -i "$iv" -W 1 -w "$dl" -s "$size" "$dst"
}

# t_ping_result OUT: set T_SENT and T_RECV from a finished ping's summary.
t_ping_result() {
	T_SENT=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1")
	T_RECV=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1")
	[ -n "$T_SENT" ] && [ -n "$T_RECV" ] || t_fail "no ping summary in $1"
}

# t_wait_count FILE REGEX N SECONDS [PID]: wait until at least N lines match.
t_wait_count() {
	local f="$1" re="$2" n="$3" secs="$4" pid="${5:-}" end
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(t_count "$f" "$re")" -ge "$n" ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			[ "$(t_count "$f" "$re")" -ge "$n" ] && return 0
			return 2
		fi
		sleep 0.05
	done
	return 1
}

# t_status_mask FILE: a 2.6 status report (any version) with what differs
# between two runs and two implementations masked: dates, epoch times, the
# client's port, the title, byte counts, client and peer ids, DCO.
t_status_mask() {
	sed -E \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/DATE/g' \
		-e 's/(^|[,\t])[0-9]{10}($|[,\t])/\1EPOCH\2/g' -e 's/(^|[,\t])[0-9]{10}($|[,\t])/\1EPOCH\2/g' \
		-e 's/192\.0\.2\.2:[0-9]+/192.0.2.2:PORT/g' \
		-e 's/^(TITLE[,\t]).*/\1TITLE/' \
		-e 's/^(CLIENT_LIST([,\t][^,\t]*){4}[,\t])[0-9]+[,\t][0-9]+/\1BYTES\tBYTES/' \
		-e 's/^(client1,192\.0\.2\.2:PORT,)[0-9]+,[0-9]+/\1BYTES,BYTES/' \
		-e 's/^(CLIENT_LIST.*[,\t])[0-9]+([,\t])[0-9]+([,\t][A-Z0-9-]+)$/\1CID\2PID\3/' \
		-e 's/^(GLOBAL_STATS[,\t]dco_enabled[,\t])[01]$/\1DCO/' \
		-e 's/\t/,/g' "$1"
}
