"""The test harness's temporary directories (ksharness.temp_dir, every Agent's workdir):
removed when a test passes, kept when a check failed or an exception ended it, kept always
with KS_KEEP_WORKDIRS=1. A suite run used to leave ~600 of them in /tmp. Each case is a
small Python process using the harness as a test does; no agent, no Kafka.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import check, finish, log  # noqa: E402

LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")

PASSING = """
import ksharness
print(ksharness.temp_dir("ks-harness-case-"), flush=True)
ksharness.check(True, "fine")
ksharness.finish()
"""
FAILING = PASSING.replace("check(True", "check(False")
RAISING = """
import ksharness
print(ksharness.temp_dir("ks-harness-case-"), flush=True)
raise RuntimeError("the test ends with an exception")
"""


def run_case(code, env_extra=None):
    """(exit code, the directory the case made, whether it still exists)."""
    env = {k: v for k, v in os.environ.items() if k != "KS_KEEP_WORKDIRS"}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", code], cwd=LIB, env=env,
                          capture_output=True, text=True, timeout=60)
    path = proc.stdout.splitlines()[0] if proc.stdout else ""
    exists = bool(path) and os.path.isdir(path)
    if exists:
        shutil.rmtree(path, ignore_errors=True)
    return proc.returncode, path, exists


def main():
    code, path, exists = run_case(PASSING)
    check(code == 0 and path.startswith("/") and not exists,
          f"a passing test's directory is removed (exit {code}, {path}, left: {exists})")
    code, path, exists = run_case(FAILING)
    check(code == 1 and exists, f"a failed check keeps it (exit {code}, left: {exists})")
    code, path, exists = run_case(RAISING)
    check(code != 0 and exists, f"an exception keeps it (exit {code}, left: {exists})")
    code, path, exists = run_case(PASSING, {"KS_KEEP_WORKDIRS": "1"})
    check(code == 0 and exists, f"KS_KEEP_WORKDIRS=1 keeps it (exit {code}, left: {exists})")
    log("temporary directories: removed on a pass, kept on a failure")
    finish()


if __name__ == "__main__":
    main()
