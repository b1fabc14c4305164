#!/bin/sh
# gen-pki.sh DIR - write a throwaway test PKI into DIR (created if missing).
#
# Shaped like what easy-rsa makes, so stock OpenVPN 2.6 accepts it with
# `remote-cert-tls client|server`: EC P-256 keys, SHA-256 signatures,
# 3650-day validity, KU on every certificate, EKU on the leaves.
#
#   ca.crt ca.key            CA:TRUE, KU keyCertSign,cRLSign (critical)
#   server.crt server.key    CN=server,  KU digitalSignature,keyAgreement, EKU serverAuth
#   client1.crt client1.key  CN=client1, KU digitalSignature, EKU clientAuth
#   client2.crt client2.key  CN=client2, KU digitalSignature, EKU clientAuth
#   noeku.crt noeku.key      CN=noeku, issued by ca.crt, KU digitalSignature, no EKU
#                            (negative test: refused under remote-cert-tls)
#   rogue-ca.crt             an unrelated CA (its key is thrown away)
#   rogue.crt rogue.key      CN=client1 issued by rogue-ca: an impostor for
#                            negative tests (must fail "unable to get local issuer")
#   and then, through gen-crl.sh: client3, rich, ca2, client4 and the CRLs
#   crl*.pem (needs openssl 3.0 or later; see that script)
#
# Keys are PKCS#8 PEM, unencrypted, mode 0600; certificates 0644.
# Existing files of these names in DIR are replaced.  Silent on success;
# on failure prints openssl's output and exits non-zero.
# Needs only POSIX sh and the openssl(1) command (1.1.1 or 3.x).

set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
command -v openssl >/dev/null 2>&1 || { echo "gen-pki: openssl not found" >&2; exit 1; }
mkdir -p "$dir"

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# run CMD...: quiet unless it fails.
run() {
	if ! "$@" >"$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		echo "gen-pki: failed: $*" >&2
		exit 1
	fi
}

# Our own config, so nothing from the system openssl.cnf leaks in.
cat >"$tmp/x509.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = serverAuth
subjectAltName = DNS:server
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[ noeku ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

DAYS=3650

# genkey OUT
genkey() {
	run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -pkeyopt ec_param_enc:named_curve -out "$1"
}

# mkca NAME CN: self-signed CA into $tmp/NAME.{crt,key}
mkca() {
	genkey "$tmp/$1.key"
	run openssl req -new -x509 -config "$tmp/x509.cnf" -extensions v3_ca \
	    -key "$tmp/$1.key" -subj "/CN=$2" -days "$DAYS" -sha256 \
	    -set_serial "0x$(openssl rand -hex 16)" -out "$tmp/$1.crt"
}

# mkleaf NAME CN EXT CA: key + certificate signed by $tmp/CA.{crt,key}
mkleaf() {
	genkey "$tmp/$1.key"
	run openssl req -new -config "$tmp/x509.cnf" -key "$tmp/$1.key" \
	    -subj "/CN=$2" -out "$tmp/$1.csr"
	run openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$4.crt" -CAkey "$tmp/$4.key" \
	    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
	    -extfile "$tmp/x509.cnf" -extensions "$3" -out "$tmp/$1.crt"
}

mkca ca "ovpn-endpoint test CA"
mkleaf server server server ca
mkleaf client1 client1 client ca
mkleaf client2 client2 client ca
mkleaf noeku noeku noeku ca
mkca rogue-ca "ovpn-endpoint rogue CA"
mkleaf rogue client1 client rogue-ca

# Self-check: the chains we mean to be good verify, the rogue one does not.
run openssl verify -CAfile "$tmp/ca.crt" -purpose sslserver "$tmp/server.crt"
run openssl verify -CAfile "$tmp/ca.crt" -purpose sslclient \
    "$tmp/client1.crt" "$tmp/client2.crt" "$tmp/noeku.crt"
if openssl verify -CAfile "$tmp/ca.crt" "$tmp/rogue.crt" >/dev/null 2>&1; then
	echo "gen-pki: rogue certificate unexpectedly verifies" >&2
	exit 1
fi

# Install: keys 0600, certificates 0644; copy, then rename, so a reader
# never sees a half-written file.
for f in ca.key server.key client1.key client2.key noeku.key rogue.key; do
	cp "$tmp/$f" "$dir/.$f.tmp" && chmod 600 "$dir/.$f.tmp" && mv -f "$dir/.$f.tmp" "$dir/$f" || exit 1
done
for f in ca.crt server.crt client1.crt client2.crt noeku.crt rogue-ca.crt rogue.crt; do
	cp "$tmp/$f" "$dir/.$f.tmp" && chmod 644 "$dir/.$f.tmp" && mv -f "$dir/.$f.tmp" "$dir/$f" || exit 1
done

# Revocation and naming material (client3, rich, ca2, client4, crl*.pem)
# for the new CA: see gen-crl.sh.
# (Not exec: the EXIT trap must still remove $tmp and its keys.)
sh "$(dirname "$0")/gen-crl.sh" "$dir" || exit 1
exit 0
