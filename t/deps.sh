#!/bin/sh
# t/deps.sh - install, with apt-get, whatever this project needs that a fresh
# Debian 12 machine lacks: the build toolchain and libraries, and the real
# peers the tests run against (openvpn 2.6, iproute2, ping).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
libssl-dev liblz4-dev libcap-ng-dev libmnl-dev libnftables-dev libcmocka-dev
openssl openvpn iproute2 iputils-ping procps python3 nftables"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { echo "run as root to install:$missing" >&2; exit 1; }
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
