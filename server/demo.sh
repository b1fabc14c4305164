#!/bin/sh
# server/demo.sh - the README's demo command: install what is missing, build,
# make a throwaway PKI and a default config under ./demo, and run the
# endpoint in the foreground.  It prints a ready client profile first.
#
#   DEMO_REMOTE=host   address clients should dial (default: first address
#                      of this machine)
#   DEMO_PORT=1194     UDP port
set -eu
cd "$(dirname "$0")/.."
sh t/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
[ -f Makefile ] || ./configure >/dev/null
make -j2 >/dev/null

D=$(pwd)/demo
PORT=${DEMO_PORT:-1194}
REMOTE=${DEMO_REMOTE:-$(hostname -I 2>/dev/null | awk '{print $1}')}
REMOTE=${REMOTE:-127.0.0.1}
mkdir -p "$D"
[ -f "$D/pki/ca.crt" ] || sh t/data/gen-pki.sh "$D/pki" >/dev/null

cat >"$D/server.conf" <<EOC
# ovpn-endpoint demo configuration (OpenVPN 2.6 server syntax).
port $PORT
proto udp
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
ca $D/pki/ca.crt
cert $D/pki/server.crt
key $D/pki/server.key
dh none
remote-cert-tls client
keepalive 10 60
data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
verb 3
EOC

{
	cat <<EOC
client
dev tun
proto udp
remote $REMOTE $PORT
nobind
remote-cert-tls server
verb 3
EOC
	echo "<ca>"; cat "$D/pki/ca.crt"; echo "</ca>"
	echo "<cert>"; cat "$D/pki/client1.crt"; echo "</cert>"
	echo "<key>"; cat "$D/pki/client1.key"; echo "</key>"
} >"$D/client1.ovpn"
chmod 600 "$D/client1.ovpn"

cat <<EOM

ovpn-endpoint demo
  config:          $D/server.conf
  client profile:  $D/client1.ovpn
Connect a client (OpenVPN 2.6 or later) with:
  openvpn --config $D/client1.ovpn
It gets an address in 10.8.0.0/24 and can ping 10.8.0.1.  Ctrl-C stops the endpoint.

EOM
exec ./server/ovpn-endpoint --config "$D/server.conf"
