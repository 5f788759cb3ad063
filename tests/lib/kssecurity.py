"""Helpers of the secured-cluster integration tests (test-security-*.py): one agent config
whose `kafka.properties` alone differ between SCRAM-SHA-512, PLAIN and mutual TLS, with the
credentials read from the environment; the matching Java client config for Kafka's tools;
the loadgen's librdkafka properties (Python standard library only)."""
import os

# librdkafka properties per mode: values are ${VAR} references, filled from the agent's
# environment (mode_env), exactly as an operator would write them.
MODE_PROPERTIES = {
    "scram": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
              "sasl.username": "${KAFKA_USERNAME}", "sasl.password": "${KAFKA_PASSWORD}",
              "ssl.ca.location": "${KAFKA_CA}"},
    "plain": {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
              "sasl.username": "${KAFKA_USERNAME}", "sasl.password": "${KAFKA_PASSWORD}",
              "ssl.ca.location": "${KAFKA_CA}"},
    "mtls": {"security.protocol": "SSL", "ssl.ca.location": "${KAFKA_CA}",
             "ssl.certificate.location": "${KAFKA_CERT}", "ssl.key.location": "${KAFKA_KEY}"},
}


def mode_env(kafka, mode, password=None, username=None):
    """The environment an agent of `mode` reads its bootstrap and credentials from."""
    e = kafka.env
    env = {"KAFKA_CA": e["TLS_CA"], "KAFKA_BOOTSTRAP": e["BOOTSTRAP_SASL_SSL"]}
    if mode == "scram":
        env.update(KAFKA_USERNAME=username or e["SCRAM_USER"],
                   KAFKA_PASSWORD=password or e["SCRAM_PASSWORD"])
    elif mode == "plain":
        env.update(KAFKA_USERNAME=username or e["PLAIN_USER"],
                   KAFKA_PASSWORD=password or e["PLAIN_PASSWORD"])
    else:
        env.update(KAFKA_BOOTSTRAP=e["BOOTSTRAP_SSL"], KAFKA_CERT=e["TLS_CLIENT_CERT"],
                   KAFKA_KEY=e["TLS_CLIENT_KEY"])
    return env


def properties_yaml(properties, indent=4):
    pad = " " * indent
    return "".join(f'{pad}{k}: "{v}"\n' for k, v in properties.items())


def kafka_section(mode, properties=None, request_timeout="10s"):
    """The kafka: section of an agent of `mode` (or of explicit `properties`)."""
    props = MODE_PROPERTIES[mode] if properties is None else properties
    return (f'kafka:\n  bootstrap_servers: "${{KAFKA_BOOTSTRAP}}"\n'
            f"  request_timeout: {request_timeout}\n  properties:\n{properties_yaml(props)}")


def java_properties(kafka, mode, path):
    """Writes the Java client config that connects Kafka's tools as an agent of `mode` does
    (same user, same certificate) and returns its path."""
    e = kafka.env
    lines = ["ssl.truststore.type=PEM", f"ssl.truststore.location={e['TLS_CA']}"]
    if mode == "mtls":
        lines += ["security.protocol=SSL", "ssl.keystore.type=PEM",
                  f"ssl.keystore.location={os.path.dirname(e['TLS_CLIENT_CERT'])}/client-keystore.pem"]
    else:
        module, mech, user, pw = (
            ("scram.ScramLoginModule", "SCRAM-SHA-512", e["SCRAM_USER"], e["SCRAM_PASSWORD"])
            if mode == "scram" else
            ("plain.PlainLoginModule", "PLAIN", e["PLAIN_USER"], e["PLAIN_PASSWORD"]))
        lines += ["security.protocol=SASL_SSL", f"sasl.mechanism={mech}",
                  f'sasl.jaas.config=org.apache.kafka.common.security.{module} required '
                  f'username="{user}" password="{pw}";']
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def bootstrap_of(kafka, mode):
    return kafka.env["BOOTSTRAP_SSL"] if mode == "mtls" else kafka.env["BOOTSTRAP_SASL_SSL"]


def admin_loadgen_properties(kafka):
    """kafka-sentinel-loadgen arguments that connect it as the SCRAM admin."""
    e = kafka.env
    props = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
             "sasl.username": e["SCRAM_ADMIN_USER"], "sasl.password": e["SCRAM_ADMIN_PASSWORD"],
             "ssl.ca.location": e["TLS_CA"]}
    return [x for k, v in props.items() for x in ("--property", f"{k}={v}")]


def secrets_of(kafka):
    """Every password of the cluster: none may appear in anything the agent writes."""
    return [v for k, v in kafka.env.items() if k.endswith("_PASSWORD")]


def leaks(texts, secrets):
    """[(where, secret)] for each secret found in each {where: text}."""
    return [(where, s[:4] + "...") for where, text in texts.items() for s in secrets if s in text]
