#!/usr/bin/env bash
# Makes a throwaway CA and certificates for a TLS test cluster with openssl (Debian's):
#   ca.pem, ca-key.pem          the CA (keep ca-key.pem to issue more, or delete it)
#   NODE.pem, NODE-key.pem      one per node, valid as TLS server and client (client port, peer port, dialling peers);
#                               SANs: DNS NODE, DNS rkv-NODE, DNS localhost, IP 127.0.0.1, plus any extra given
#   client.pem, client-key.pem  a client certificate for rkvctl --cert/--key against --client-cert-auth
# Usage: deploy/make-test-certs.sh [OUT_DIR] [NODE[=EXTRA_SAN,...] ...]
#   default OUT_DIR: deploy/certs; default nodes: the compose files' n1..n3 with their peer addresses 10.231.3.11..13.
#   An EXTRA_SAN that is an IPv4 address becomes an IP SAN, anything else a DNS SAN.
# Re-running with the same OUT_DIR keeps the CA and issues fresh node and client certificates: that is a rotation.
# For tests only: keys are written readable by all, so the containers' unprivileged user can read a bind mount.
set -euo pipefail
out=${1:-"$(dirname "$0")/certs"}
shift || true
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(n1=10.231.3.11 n2=10.231.3.12 n3=10.231.3.13)
days=${RKV_CERT_DAYS:-365}
mkdir -p "$out"
cd "$out"

if [ ! -f ca.pem ] || [ ! -f ca-key.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem -days "$days" \
    -subj "/CN=ReplicatedKv test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "made CA: $out/ca.pem"
fi

issue() { # name, subjectAltName
  local name=$1 san=$2
  # Written under temporary names and moved into place, so a node reloading mid-write never sees half a file.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name-key.pem.new" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" -out "$name.pem.new" \
    -extfile <(printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$san") 2>/dev/null
  rm -f "$name.csr"
  chmod 644 "$name-key.pem.new" "$name.pem.new"
  mv -f "$name-key.pem.new" "$name-key.pem"
  mv -f "$name.pem.new" "$name.pem"
  echo "issued $out/$name.pem ($san)"
}

for spec in "${nodes[@]}"; do
  name=${spec%%=*}
  san="DNS:$name,DNS:rkv-$name,DNS:localhost,IP:127.0.0.1"
  if [ "$spec" != "$name" ]; then
    IFS=, read -ra extras <<<"${spec#*=}"
    for extra in "${extras[@]}"; do
      if [[ $extra =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then san+=",IP:$extra"; else san+=",DNS:$extra"; fi
    done
  fi
  issue "$name" "$san"
done
issue client "DNS:client"
chmod 644 ca.pem
