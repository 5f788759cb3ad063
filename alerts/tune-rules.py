#!/usr/bin/env python3
"""Writes tuned copies of kafka-sentinel's rule files; the shipped files stay untouched.

Usage:
  alerts/tune-rules.py --out DIR [RULE_FILE...] [--for-scale F] [--min-for DURATION]
                       [--for ALERT=DURATION]... [--threshold NAME=VALUE]...
                       [--runbook-base URL]

RULE_FILE defaults to every alerts/*.rules.yml. Each is copied to DIR under the same name,
line by line (comments and layout kept), with these changes:

  --for-scale F         every `for:` and `keep_firing_for:` multiplied by F (0.01 turns 5m
                        into 3s), at least --min-for (default 1s). Tests use it to see
                        alerts fire (and resolve) in seconds.
  --for ALERT=DURATION  `for:` of one alert set to DURATION (applied after --for-scale).
  --runbook-base URL    runbook_url "docs/runbooks.md#x" becomes "URL/docs/runbooks.md#x":
                        point alerts at where your copy of the runbooks is published.
  --threshold NAME=VALUE
                        writes DIR/kafka-sentinel-thresholds.rules.yml recording
                        kafka_sentinel:threshold_NAME = VALUE (NAME with or without the
                        "kafka_sentinel:threshold_" prefix; it must be one the rule files
                        use). Load it beside the rules: it replaces the default of that
                        threshold (docs/runbooks.md#thresholds). Values are numbers.

Python standard library only. Exit status 0 on success, 2 on a usage error (unknown alert
or threshold, bad duration), naming what is wrong.
"""
import argparse
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
THRESHOLD_PREFIX = "kafka_sentinel:threshold_"
THRESHOLDS_FILE = "kafka-sentinel-thresholds.rules.yml"

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
            "w": 604_800_000, "y": 31_536_000_000}
_ALERT_LINE = re.compile(r"^\s*-\s+alert:\s*(\S+)\s*$")
_RECORD_LINE = re.compile(r"^\s*-\s+record:\s*(\S+)\s*$")
_FOR_LINE = re.compile(r"^(\s*)for:\s*(\S+)\s*(#.*)?$")
_KEEP_FIRING_LINE = re.compile(r"^(\s*)keep_firing_for:\s*(\S+)\s*(#.*)?$")
_RUNBOOK_LINE = re.compile(r'^(\s*runbook_url:\s*)"?(docs/runbooks\.md[^"\s]*)"?\s*$')
_THRESHOLD_NAME = re.compile(re.escape(THRESHOLD_PREFIX) + r"[a-zA-Z0-9_]+")


class UsageError(Exception):
    pass


def parse_duration(text):
    """Prometheus duration ("1h30m", "15s", "500ms") in milliseconds."""
    pos, total = 0, 0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise UsageError(f'invalid duration "{text}" (expected e.g. 30s, 5m, 1h30m, 500ms)')
    return total


def format_duration(ms):
    if ms % 1000:
        return f"{ms}ms"
    return f"{ms // 1000}s"


def tune_file(text, for_scale, min_for_ms, for_overrides, runbook_base, seen_alerts):
    out = []
    alert = None
    for line in text.splitlines(keepends=True):
        m = _ALERT_LINE.match(line)
        if m:
            alert = m.group(1)
            seen_alerts.add(alert)
        elif _RECORD_LINE.match(line):
            alert = None
        m = _FOR_LINE.match(line.rstrip("\n"))
        if m and alert:
            ms = parse_duration(m.group(2))
            if for_scale is not None:
                ms = max(min_for_ms, round(ms * for_scale))
            if alert in for_overrides:
                ms = for_overrides[alert]
            line = f"{m.group(1)}for: {format_duration(ms)}\n"
        m = _KEEP_FIRING_LINE.match(line.rstrip("\n"))
        if m and alert and for_scale is not None:
            ms = max(min_for_ms, round(parse_duration(m.group(2)) * for_scale))
            line = f"{m.group(1)}keep_firing_for: {format_duration(ms)}\n"
        m = _RUNBOOK_LINE.match(line.rstrip("\n"))
        if m and runbook_base:
            line = f'{m.group(1)}"{runbook_base.rstrip("/")}/{m.group(2)}"\n'
        out.append(line)
    return "".join(out)


def thresholds_file(thresholds):
    lines = [
        "# Written by alerts/tune-rules.py: overrides of kafka-sentinel alert thresholds",
        "# (docs/runbooks.md#thresholds). Load it beside the rule files.",
        "groups:",
        "  - name: kafka-sentinel-thresholds",
        "    rules:",
    ]
    for name, value in thresholds:
        lines.append(f"      - record: {name}")
        lines.append(f"        expr: vector({value})")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write tuned copies of kafka-sentinel rule files (shipped files untouched).")
    p.add_argument("files", nargs="*", help="rule files (default: alerts/*.rules.yml)")
    p.add_argument("--out", required=True, help="directory to write the copies to")
    p.add_argument("--for-scale", type=float,
                   help="multiply every for: and keep_firing_for: by this factor")
    p.add_argument("--min-for", default="1s", help="smallest scaled for: (default 1s)")
    p.add_argument("--for", dest="for_overrides", action="append", default=[],
                   metavar="ALERT=DURATION", help="set the for: of one alert")
    p.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                   help="record a threshold override")
    p.add_argument("--runbook-base", help="URL prefix for docs/runbooks.md in runbook_url")
    args = p.parse_args(argv)

    try:
        files = args.files or sorted(glob.glob(os.path.join(HERE, "*.rules.yml")))
        if not files:
            raise UsageError("no rule files")
        if args.for_scale is not None and args.for_scale <= 0:
            raise UsageError("--for-scale must be above 0")
        min_for_ms = parse_duration(args.min_for)
        for_overrides = {}
        for item in args.for_overrides:
            name, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f'--for "{item}": expected ALERT=DURATION')
            for_overrides[name] = parse_duration(value)

        texts = {}
        for f in files:
            with open(f) as fh:
                texts[f] = fh.read()
        known_thresholds = set()
        for text in texts.values():
            known_thresholds.update(_THRESHOLD_NAME.findall(text))

        thresholds = []
        for item in args.threshold:
            name, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f'--threshold "{item}": expected NAME=VALUE')
            full = name if name.startswith(THRESHOLD_PREFIX) else THRESHOLD_PREFIX + name
            if full not in known_thresholds:
                raise UsageError(f'--threshold: unknown threshold "{name}" (known: '
                                 f'{", ".join(sorted(known_thresholds))})')
            try:
                float(value)
            except ValueError:
                raise UsageError(f'--threshold {name}: "{value}" is not a number') from None
            thresholds.append((full, value))

        os.makedirs(args.out, exist_ok=True)
        seen_alerts = set()
        outputs = {}
        for f, text in texts.items():
            outputs[os.path.join(args.out, os.path.basename(f))] = tune_file(
                text, args.for_scale, min_for_ms, for_overrides, args.runbook_base, seen_alerts)
        unknown = sorted(set(for_overrides) - seen_alerts)
        if unknown:
            raise UsageError(f"--for: unknown alert(s) {', '.join(unknown)}")
        for src in texts:
            if os.path.abspath(os.path.join(args.out, os.path.basename(src))) == \
                    os.path.abspath(src):
                raise UsageError(f"--out would overwrite {src}: write the copies elsewhere")
        for path, text in outputs.items():
            with open(path, "w") as fh:
                fh.write(text)
        if thresholds:
            with open(os.path.join(args.out, THRESHOLDS_FILE), "w") as fh:
                fh.write(thresholds_file(thresholds))
    except (UsageError, OSError) as e:
        print(f"tune-rules: {e}", file=sys.stderr)
        return 2
    written = len(outputs) + (1 if thresholds else 0)
    print(f"tune-rules: wrote {written} file(s) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
