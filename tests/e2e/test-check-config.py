"""`kafka-sentinel check-config` and startup on broken configs, as a user sees them: one
line per problem naming file, line and key path; exit 2; a valid file exits 0."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import AGENT, SOURCE_DIR, check, finish  # noqa: E402


def run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "KS_TEST_UNSET_PASSWORD"}
    env.update(env_extra or {})
    r = subprocess.run([AGENT, *args], capture_output=True, text=True, timeout=30, cwd=SOURCE_DIR,
                       env=env)
    return r.returncode, r.stdout, r.stderr


code, out, err = run("check-config", "tests/fixtures/config/broken.yaml")
check(code == 2, f"broken config: exit 2 (got {code})")
expected = [
    'tests/fixtures/config/broken.yaml:9: kafka.properties.sasl.password: environment variable '
    '"KS_TEST_UNSET_PASSWORD" is not set',
    'tests/fixtures/config/broken.yaml:12: collectors.host.interval: expected a duration like '
    '"15s", got "fast"',
    'tests/fixtures/config/broken.yaml:14: collectors.brokers.intervall: unknown key "intervall" '
    '(did you mean "interval"?)',
]
check(err.splitlines() == expected, f"one line per problem, file:line: key.path: message\n{err}")

code, out, err = run("check-config", "tests/fixtures/config/syntax-error.yaml")
check(code == 2, f"YAML syntax error: exit 2 (got {code})")
check(err.startswith("tests/fixtures/config/syntax-error.yaml:5:4: yaml syntax error:"),
      f"YAML syntax error names line and column: {err.strip()}")

# All four kinds in one file: the problems before the syntax error are reported with it.
code, out, err = run("check-config", "tests/fixtures/config/all-problems.yaml")
check(code == 2, f"all problems: exit 2 (got {code})")
f = "tests/fixtures/config/all-problems.yaml"
expected_all = [
    f'{f}:8: kafka.properties.sasl.password: environment variable "KS_TEST_UNSET_PASSWORD" '
    'is not set',
    f'{f}:11: collectors.host.interval: expected a duration like "15s", got "fast"',
    f'{f}:13: collectors.brokers.intervall: unknown key "intervall" (did you mean "interval"?)',
    f'{f}:16:4: yaml syntax error: end of map not found',
]
check(err.splitlines() == expected_all,
      f"a type error, an unknown key, an unset variable and a syntax error in one file: "
      f"each on its line\n{err}")

code, out, err = run("check-config", "config/kafka-sentinel.yaml")
check(code == 0 and err == "", f"the reference config is valid (exit {code}) {err}")

code, out, err = run("check-config", "does/not/exist.yaml")
check(code == 2 and "does/not/exist.yaml" in err and "cannot read" in err,
      f"a missing file is a config error naming it: {err.strip()}")

# The same problems stop `run` at startup, before anything is started.
code, out, err = run("run", "--config", "tests/fixtures/config/broken.yaml")
check(code == 2 and err.splitlines()[-3:] == expected, f"run refuses a broken config (exit {code})")

# With the variable set, that problem disappears; the others stay.
code, out, err = run("check-config", "tests/fixtures/config/broken.yaml",
                     env_extra={"KS_TEST_UNSET_PASSWORD": "s3cret"})
check(code == 2 and len(err.splitlines()) == 2 and "KS_TEST_UNSET_PASSWORD" not in err,
      f"a set variable is interpolated: {err.strip()}")

code, out, err = run("run", "--listen", "nonsense", "--log-level", "loud")
check(code == 2 and "--listen" in err and "--log-level" in err,
      f"bad flag values are config errors naming the flag: {err.strip()}")

code, out, err = run("--version")
check(code == 0 and out.startswith("kafka-sentinel "), f"--version: {out.strip()}")
code, out, err = run("--help")
check(code == 0 and "check-config" in out, "--help lists the commands")
code, out, err = run("--bogus")
check(code == 2 and "unknown argument" in err, "an unknown flag is a usage error (exit 2)")
finish()
