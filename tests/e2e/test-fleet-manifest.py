"""The Kubernetes fleet manifest (deploy/kubernetes/kafka-sentinel-fleet.yaml) is usable:
it holds a ConfigMap, a DaemonSet and a headless Service; the agent configuration in the
ConfigMap passes `kafka-sentinel check-config` with the environment the DaemonSet gives it,
and enables the fleet; the DaemonSet reads it where the ConfigMap is mounted, and mounts the
host's procfs where the configuration says. (No API server here: `kubectl --dry-run` needs
one; the structure is checked as text, standard library only.)
"""
import os
import re
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import AGENT, SOURCE_DIR, check, finish  # noqa: E402

MANIFEST = os.path.join(SOURCE_DIR, "deploy", "kubernetes", "kafka-sentinel-fleet.yaml")

with open(MANIFEST) as f:
    text = f.read()
documents = [d for d in re.split(r"^---\s*$", text, flags=re.M) if d.strip()]
kinds = [m.group(1) for d in documents for m in [re.search(r"^kind:\s*(\w+)", d, re.M)] if m]
check(kinds == ["ConfigMap", "DaemonSet", "Service"], f"kinds: {kinds}")

m = re.search(r"^  kafka-sentinel\.yaml: \|\n((?:    .*\n|\n)+)", text, re.M)
check(m is not None, "the ConfigMap holds kafka-sentinel.yaml")
config = textwrap.dedent(m.group(1)) if m else ""
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write(config)
    path = f.name
env = {**os.environ, "KAFKA_BOOTSTRAP": "kafka-0:9092,kafka-1:9092", "NODE_NAME": "node-a"}
r = subprocess.run([AGENT, "check-config", path], capture_output=True, text=True, env=env,
                   timeout=30)
check(r.returncode == 0, f"check-config accepts the ConfigMap's config: {r.stdout}{r.stderr}")
check(re.search(r"^fleet:\n  enabled: true$", config, re.M) is not None, "the fleet is enabled")
procfs = re.search(r"procfs:\s*(\S+)", config)
check(procfs is not None and f"mountPath: {procfs.group(1)}" in text,
      "the host's procfs is mounted where collectors.host.procfs points")
check("--config\", \"/etc/kafka-sentinel/kafka-sentinel.yaml\"" in text and
      "mountPath: /etc/kafka-sentinel" in text, "the DaemonSet reads the mounted ConfigMap")
check("fieldPath: spec.nodeName" in text, "NODE_NAME comes from the pod's node")
check(re.search(r"clusterIP: None", text) is not None,
      "the Service is headless (Prometheus scrapes every agent)")
os.unlink(path)
finish()
