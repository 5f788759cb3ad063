#!/usr/bin/env bash
# The secured compose variant (compose/docker-compose.secured.yml on top of the demo stack),
# validated without a Docker engine:
#  1. `docker-compose -f compose/docker-compose.yml -f compose/docker-compose.secured.yml
#     config` refuses to resolve without KAFKA_USERNAME / KAFKA_PASSWORD, naming them;
#  2. with them: every broker listens and advertises SASL_SSL on :9094 with the PLAIN user
#     from the environment and the keystore from compose/secured/tls; every agent runs
#     compose/agent/kafka-sentinel-secured.yaml with the CA and the credentials;
#  3. that agent config passes `kafka-sentinel check-config` with the credentials set, and
#     its output never shows the password;
#  4. compose/secured/make-certs.sh (run on a copy) makes a broker certificate the CA verifies
#     for kafka-1..3 and a PKCS12 keystore its credentials file opens.
# Takes ~3 s. Prints "N passed, M failed"; exits 1 when anything failed.
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SOURCE_DIR=${KS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${KS_BUILD_DIR:-$SOURCE_DIR/build}
cd "$SOURCE_DIR" || exit 2
use_tmpdir ks-compose-secured
FILES=(-f compose/docker-compose.yml -f compose/docker-compose.secured.yml)
PASSWORD=$(openssl rand -hex 16)

if ! command -v docker-compose >/dev/null; then
  fail "docker-compose is not installed (scripts/install-deps.sh installs Debian's, without recommends)"
  finish
fi

# 1. credentials are required
if env -u KAFKA_USERNAME -u KAFKA_PASSWORD timeout 120 docker-compose "${FILES[@]}" config \
     >/dev/null 2>"$TMP/missing.err"; then
  fail "docker-compose config resolved the secured variant without credentials"
elif grep -q "KAFKA_PASSWORD\|KAFKA_USERNAME" "$TMP/missing.err"; then
  ok "without KAFKA_USERNAME/KAFKA_PASSWORD the secured variant does not resolve, naming them"
else
  fail "docker-compose config failed without naming the missing variable: $(cat "$TMP/missing.err")"
fi

# 2. the resolved stack
if KAFKA_USERNAME=sentinel KAFKA_PASSWORD=$PASSWORD timeout 120 docker-compose "${FILES[@]}" config \
     >"$TMP/resolved.yml" 2>"$TMP/config.err"; then
  ok "docker-compose ${FILES[*]} config"
else
  fail "docker-compose ${FILES[*]} config: $(cat "$TMP/config.err")"; finish
fi
python3 - "$TMP/resolved.yml" "$PASSWORD" >"$TMP/py.out" 2>&1 <<'PY'
import sys
import yaml
stack = yaml.safe_load(open(sys.argv[1]))["services"]
password = sys.argv[2]
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
for n in (1, 2, 3):
    env = stack[f"kafka-{n}"]["environment"]
    check(f"SASL_SSL://kafka-{n}:9094" in env["KAFKA_ADVERTISED_LISTENERS"]
          and "SASL_SSL://:9094" in env["KAFKA_LISTENERS"]
          and "SASL_SSL:SASL_SSL" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"],
          f"kafka-{n}: SASL_SSL listener on :9094, advertised as kafka-{n}:9094")
    jaas = env["KAFKA_LISTENER_NAME_SASL__SSL_PLAIN_SASL_JAAS_CONFIG"]
    check(f'user_sentinel="{password}"' in jaas and env["KAFKA_SASL_ENABLED_MECHANISMS"] == "PLAIN",
          f"kafka-{n}: the PLAIN user from the environment")
    check(any(v.endswith("/compose/secured/tls:/etc/kafka/secrets:ro")
              for v in stack[f"kafka-{n}"]["volumes"] if isinstance(v, str))
          and env["KAFKA_SSL_KEYSTORE_FILENAME"] == "broker.p12",
          f"kafka-{n}: keystore from compose/secured/tls")
    agent = stack[f"agent-{n}"]
    vols = [v for v in agent["volumes"] if isinstance(v, str)]
    check(any(v.endswith("compose/agent/kafka-sentinel-secured.yaml:/etc/kafka-sentinel/kafka-sentinel.yaml:ro") for v in vols)
          and not any("compose/agent/kafka-sentinel.yaml" in v for v in vols)
          and any(v.endswith(":/etc/kafka-sentinel/ca.pem:ro") for v in vols),
          f"agent-{n}: the secured config and the CA replace the plain config")
    check(agent["environment"].get("KAFKA_PASSWORD") == password
          and agent["environment"].get("KAFKA_BOOTSTRAP") == "kafka-1:9094,kafka-2:9094,kafka-3:9094",
          f"agent-{n}: credentials and the SASL_SSL bootstrap from the environment")
PY
cat "$TMP/py.out"; count_results "$TMP/py.out"

# 3. the secured agent config
if [[ -x "$BUILD_DIR/agent/kafka-sentinel" ]]; then
  out=$(KAFKA_USERNAME=sentinel KAFKA_PASSWORD=$PASSWORD "$BUILD_DIR/agent/kafka-sentinel" \
          check-config compose/agent/kafka-sentinel-secured.yaml 2>&1); rc=$?
  if (( rc == 0 )); then ok "check-config compose/agent/kafka-sentinel-secured.yaml"
  else fail "check-config compose/agent/kafka-sentinel-secured.yaml: $out"; fi
  all=$out
  # A broken value next to the password: the report names it and still never the password.
  sed "s/    security.protocol: SASL_SSL/    security.protocol: NOPE/" compose/agent/kafka-sentinel-secured.yaml >"$TMP/bad.yaml"
  out=$(KAFKA_USERNAME=sentinel KAFKA_PASSWORD=$PASSWORD "$BUILD_DIR/agent/kafka-sentinel" \
          check-config "$TMP/bad.yaml" 2>&1); rc=$?
  if (( rc == 2 )) && [[ "$out" == *"security.protocol"* ]]; then ok "check-config names a bad security.protocol (exit 2)"
  else fail "check-config of a bad security.protocol (exit $rc): $out"; fi
  all+=$out
  out=$(env -u KAFKA_PASSWORD KAFKA_USERNAME=sentinel "$BUILD_DIR/agent/kafka-sentinel" \
          check-config compose/agent/kafka-sentinel-secured.yaml 2>&1)
  if [[ "$out" == *'"KAFKA_PASSWORD" is not set'* ]]; then ok "check-config names an unset KAFKA_PASSWORD"
  else fail "check-config without KAFKA_PASSWORD: $out"; fi
  if [[ "$all$out" != *"$PASSWORD"* ]]; then ok "check-config output never shows the password"
  else fail "check-config printed the password"; fi
else
  fail "no agent binary at $BUILD_DIR/agent/kafka-sentinel (build first)"
fi

# 4. the certificates
mkdir -p "$TMP/secured" && cp compose/secured/make-certs.sh "$TMP/secured/"
if bash "$TMP/secured/make-certs.sh" >/dev/null 2>"$TMP/certs.err"; then
  T="$TMP/secured/tls"
  ok "make-certs.sh"
  for n in 1 2 3; do
    run_check "the compose CA verifies the broker certificate for kafka-$n" \
      openssl verify -CAfile "$T/ca.pem" -verify_hostname "kafka-$n" "$T/broker.pem"
  done
  run_check "broker.p12 opens with keystore_creds" \
    openssl pkcs12 -in "$T/broker.p12" -passin "file:$T/keystore_creds" -noout
  if [[ ! -e "$T/ca.key" ]]; then ok "the CA's key is not kept"; else fail "ca.key left behind"; fi
else
  fail "make-certs.sh: $(cat "$TMP/certs.err")"
fi
if git check-ignore -q compose/secured/tls/ca.pem; then ok "git ignores compose/secured/tls/"
else fail "compose/secured/tls/ is not ignored by git"; fi
finish
