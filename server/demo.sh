#!/bin/sh
# server/demo.sh - the README's demo command: install what is missing, build,
# then the quick start under ./demo (ovpn-endpoint init, ovpn-pki export) and
# run the endpoint in the foreground.  It prints a ready client profile first.
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

# The quick start itself: a PKI, a config, and a client profile.
if [ ! -f "$D/server.conf" ]; then
	./server/ovpn-endpoint init --dir "$D" --client-cidr 10.8.0.0/24 --remote "$REMOTE" \
		--port "$PORT" >/dev/null
fi
[ -f "$D/client1.ovpn" ] ||
	./pki/ovpn-pki --dir "$D/pki" export client1 >"$D/client1.ovpn" 2>/dev/null
chmod 600 "$D/client1.ovpn"

cat <<EOM

ovpn-endpoint demo (made with: ovpn-endpoint init, then ovpn-pki export)
  config:          $D/server.conf
  client profile:  $D/client1.ovpn   (more: ./pki/ovpn-pki --dir $D/pki export NAME > NAME.ovpn)
Connect a client (OpenVPN 2.6 or later) with:
  openvpn --config $D/client1.ovpn
It gets an address in 10.8.0.0/24 and can ping 10.8.0.1.  Ctrl-C stops the endpoint.

EOM
exec ./server/ovpn-endpoint --config "$D/server.conf"
