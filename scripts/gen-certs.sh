#!/usr/bin/env bash
# Makes a local test CA and a server certificate for localhost / 127.0.0.1 / ::1, for running
# zerobus-fake over TLS (tests, the demo, the official SDK check). Not for production.
#   scripts/gen-certs.sh [DIR]   (default: build/certs) -> DIR/ca.pem, DIR/server.pem, DIR/server.key
# Idempotent: keeps existing files unless the certificate expires within a day.
set -euo pipefail
dir=${1:-build/certs}
mkdir -p "$dir"
cd "$dir"
if [[ -f ca.pem && -f server.pem && -f server.key ]] && openssl x509 -checkend 86400 -noout -in server.pem >/dev/null 2>&1; then
  exit 0
fi
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=zerobusd test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem server.pem
echo "certificates in $(pwd): ca.pem server.pem server.key"
