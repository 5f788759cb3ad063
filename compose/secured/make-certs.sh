#!/usr/bin/env bash
# Makes the throwaway TLS material of the secured compose variant (docs/compose.md): a CA,
# one broker certificate naming kafka-1, kafka-2, kafka-3 and localhost, in a PKCS12 keystore
# as the apache/kafka image expects it (/etc/kafka/secrets: broker.p12 and the file holding
# its password), and the CA's certificate for the agents (ca.pem). Into compose/secured/tls/,
# which git ignores. openssl only.
#
# Usage: compose/secured/make-certs.sh    (again: replaces everything)
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tls"
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 700 "$OUT"
cd "$OUT"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 365 \
  -subj "/CN=kafka-sentinel compose CA" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:kafka-1,DNS:kafka-2,DNS:kafka-3,DNS:localhost\n' >broker.ext
openssl req -new -newkey rsa:2048 -nodes -keyout broker.key -subj "/CN=kafka-broker" -out broker.csr 2>/dev/null
openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -sha256 \
  -extfile broker.ext -out broker.pem 2>/dev/null
openssl rand -hex 16 >keystore_creds
openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name kafka-broker \
  -passout "file:keystore_creds" -out broker.p12
rm -f broker.csr broker.ext ca.key ca.srl broker.key
chmod 644 ca.pem; chmod 640 broker.p12 keystore_creds broker.pem
echo "TLS material in $OUT (ca.pem for the agents; broker.p12 + keystore_creds for the brokers)"
