#!/bin/sh
# gen-crl.sh DIR - add revocation and naming test material to the PKI in DIR
# (made by gen-pki.sh, which calls this script at its end).  Uses DIR/ca.crt
# and DIR/ca.key; leaves every file gen-pki.sh made untouched.
#
#   client3.crt client3.key  CN=client3 from ca.crt, EKU clientAuth; revoked in crl.pem
#   rich.crt rich.key        from ca.crt, EKU clientAuth, a subject with many
#                            attributes, a multi-valued RDN, a comma and UTF-8:
#                            /C=KG/ST=NA/L=Zürich/O=Example, Inc./OU=VPN+UID=42/CN=rich-1/emailAddress=rich@example.org
#                            (for verify-x509-name's subject form)
#   ca2.crt ca2.key          a second CA, CN=ovpn-endpoint second CA
#   client4.crt client4.key  CN=client4 from ca2.crt, EKU clientAuth
#   crl.pem                  ca.crt's CRL revoking client3;
#                            lastUpdate 2025-01-01 00:00:00Z, nextUpdate 2035-01-01 00:00:00Z
#   crl-empty.pem            ca.crt's CRL revoking nothing;
#                            lastUpdate 2024-12-01 00:00:00Z, nextUpdate 2035-01-01 00:00:00Z
#   crl-expired.pem          ca.crt's CRL revoking nothing;
#                            lastUpdate 2020-01-01 00:00:00Z, nextUpdate 2020-02-01 00:00:00Z
#   crl-ca2.pem              ca2.crt's CRL revoking nothing;
#                            lastUpdate 2025-01-01 00:00:00Z, nextUpdate 2034-06-01 00:00:00Z
#   crl-both.pem             crl.pem followed by crl-ca2.pem (a concatenated CRL file)
#   inter.crt inter.key      CN=ovpn-endpoint intermediate CA, a CA issued by ca.crt
#   client5.crt client5.key  CN=client5 from inter.crt, EKU clientAuth
#   crl-inter.pem            inter.crt's CRL revoking nothing;
#                            lastUpdate 2025-01-01 00:00:00Z, nextUpdate 2035-01-01 00:00:00Z
#
# CRLs are made with `openssl ca -gencrl` and fixed -crl_lastupdate /
# -crl_nextupdate dates, so tests can check nextUpdate as a known answer.
# Needs POSIX sh and openssl(1) 3.0 or later (for those two options).
# Silent on success; on failure prints openssl's output and exits non-zero.

set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
command -v openssl >/dev/null 2>&1 || { echo "gen-crl: openssl not found" >&2; exit 1; }
for f in ca.crt ca.key; do
	[ -r "$dir/$f" ] || { echo "gen-crl: $dir/$f missing (run gen-pki.sh first)" >&2; exit 1; }
done

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-crl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

run() {
	if ! "$@" >"$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		echo "gen-crl: failed: $*" >&2
		exit 1
	fi
}

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
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

# One `openssl ca` database per CA, only to produce CRLs.
# cacnf NAME: write $tmp/NAME.cnf for the CA in $tmp/NAME.{crt,key}
cacnf() {
	mkdir -p "$tmp/$1.db"
	: >"$tmp/$1.db/index.txt"
	echo 01 >"$tmp/$1.db/crlnumber"
	cat >"$tmp/$1.cnf" <<EOF
[ ca ]
default_ca = this
[ this ]
database = $tmp/$1.db/index.txt
crlnumber = $tmp/$1.db/crlnumber
certificate = $tmp/$1.crt
private_key = $tmp/$1.key
default_md = sha256
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
}

# gencrl CA OUT LAST NEXT: CRL of everything revoked so far in CA's database
gencrl() {
	run openssl ca -config "$tmp/$1.cnf" -gencrl -crl_lastupdate "$3" \
	    -crl_nextupdate "$4" -out "$tmp/$2"
}

DAYS=3650

genkey() {
	run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -pkeyopt ec_param_enc:named_curve -out "$1"
}

# mkleaf NAME SUBJECT CA [req options...]: client certificate signed by $tmp/CA
mkleaf() {
	n=$1 subj=$2 ca=$3
	shift 3
	genkey "$tmp/$n.key"
	run openssl req -new -config "$tmp/x509.cnf" -key "$tmp/$n.key" \
	    -subj "$subj" "$@" -out "$tmp/$n.csr"
	run openssl x509 -req -in "$tmp/$n.csr" -CA "$tmp/$ca.crt" -CAkey "$tmp/$ca.key" \
	    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
	    -extfile "$tmp/x509.cnf" -extensions client -out "$tmp/$n.crt"
}

cp "$dir/ca.crt" "$dir/ca.key" "$tmp/"
genkey "$tmp/ca2.key"
run openssl req -new -x509 -config "$tmp/x509.cnf" -extensions v3_ca -key "$tmp/ca2.key" \
    -subj "/CN=ovpn-endpoint second CA" -days "$DAYS" -sha256 \
    -set_serial "0x$(openssl rand -hex 16)" -out "$tmp/ca2.crt"

mkleaf client3 /CN=client3 ca
mkleaf rich "/C=KG/ST=NA/L=Zürich/O=Example, Inc./OU=VPN+UID=42/CN=rich-1/emailAddress=rich@example.org" \
    ca -utf8 -multivalue-rdn
mkleaf client4 /CN=client4 ca2
genkey "$tmp/inter.key"
run openssl req -new -config "$tmp/x509.cnf" -key "$tmp/inter.key" \
    -subj "/CN=ovpn-endpoint intermediate CA" -out "$tmp/inter.csr"
run openssl x509 -req -in "$tmp/inter.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
    -extfile "$tmp/x509.cnf" -extensions v3_ca -out "$tmp/inter.crt"
mkleaf client5 /CN=client5 inter

cacnf ca
cacnf ca2
cacnf inter
gencrl inter crl-inter.pem 20250101000000Z 20350101000000Z
gencrl ca crl-empty.pem 20241201000000Z 20350101000000Z
gencrl ca crl-expired.pem 20200101000000Z 20200201000000Z
gencrl ca2 crl-ca2.pem 20250101000000Z 20340601000000Z
run openssl ca -config "$tmp/ca.cnf" -revoke "$tmp/client3.crt" -crl_reason keyCompromise
gencrl ca crl.pem 20250101000000Z 20350101000000Z
cat "$tmp/crl.pem" "$tmp/crl-ca2.pem" >"$tmp/crl-both.pem"

# Self-check: client3 is refused with crl.pem, accepted with crl-empty.pem.
if openssl verify -crl_check -CAfile "$tmp/ca.crt" -CRLfile "$tmp/crl.pem" \
    "$tmp/client3.crt" >/dev/null 2>&1; then
	echo "gen-crl: client3 unexpectedly passes crl.pem" >&2
	exit 1
fi
run openssl verify -crl_check -CAfile "$tmp/ca.crt" -CRLfile "$tmp/crl-empty.pem" \
    "$tmp/client3.crt" "$tmp/rich.crt"
run openssl verify -CAfile "$tmp/ca2.crt" -purpose sslclient "$tmp/client4.crt"
run openssl verify -CAfile "$tmp/ca.crt" -untrusted "$tmp/inter.crt" -purpose sslclient \
    "$tmp/client5.crt"

for f in ca2.key client3.key rich.key client4.key inter.key client5.key; do
	cp "$tmp/$f" "$dir/.$f.tmp" && chmod 600 "$dir/.$f.tmp" && mv -f "$dir/.$f.tmp" "$dir/$f" || exit 1
done
for f in ca2.crt client3.crt rich.crt client4.crt inter.crt client5.crt crl.pem \
    crl-empty.pem crl-expired.pem crl-ca2.pem crl-both.pem crl-inter.pem; do
	cp "$tmp/$f" "$dir/.$f.tmp" && chmod 644 "$dir/.$f.tmp" && mv -f "$dir/.$f.tmp" "$dir/$f" || exit 1
done
exit 0
