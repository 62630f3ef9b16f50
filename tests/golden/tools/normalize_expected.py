#!/usr/bin/env python3
"""Puts a hand-written expected_alerts.jsonl into the exact wire form, for review.

Usage: tests/golden/tools/normalize_expected.py tests/golden/<case> [...]

An expectation is written by hand from the spec (CEP_SEMANTICS.md, DSL.md,
INTERFACES.md). Writing the parts that are pure bookkeeping is error-prone, so
a hand-written line may leave out `alert_id`, `ruleset` and `version`; this tool
  - fills `ruleset` and `version` from the `ruleset NAME version N` line of the rules,
  - computes `alert_id` (INTERFACES.md "Alerts": the first 128 bits of SHA-256 over
    ruleset, version, rule, key, kind, ts, the stage names and event ids, and the
    completing event, each length-prefixed with a little-endian uint32; see
    engine/sink/alert_id.h), re-implemented here independently of the engine,
  - writes the keys in the interface order and compact JSON (as the engine does),
  - sorts the lines by ts, rule, key, alert_id (INTERFACES.md "Replay").
It never runs the engine and never changes what an alert says: it is not a way to
bless the engine's output (for that, see ../regenerate.sh, which is for review only).
"""
import hashlib
import json
import pathlib
import re
import struct
import sys

KINDS = {"match": 1, "timeout": 2, "window": 3}
ORDER = ["alert_id", "ruleset", "version", "rule", "severity", "kind", "key", "ts", "event",
         "stages", "fields", "mode"]


def rules_text(case: pathlib.Path) -> str:
    if (case / "rules.rules").exists():
        return (case / "rules.rules").read_text()
    ref = [l.strip() for l in (case / "rules.ref").read_text().splitlines()
           if l.strip() and not l.startswith("#")][0]
    return (case.parents[2] / ref).read_text()


def alert_id(a: dict) -> str:
    buf = bytearray()

    def add(text: str) -> None:
        b = text.encode()
        buf.extend(struct.pack("<I", len(b)))
        buf.extend(b)

    add(a["ruleset"])
    add(str(a["version"]))
    add(a["rule"])
    add(a["key"])
    add(str(KINDS[a["kind"]]))
    add(str(a["ts"]))
    for name, ids in a.get("stages", {}).items():
        add(name)
        add(str(len(ids)))
        for i in ids:
            add(i)
    if "event" in a:
        add(a["event"])
    return hashlib.sha256(bytes(buf)).hexdigest()[:32]


def normalize(case: pathlib.Path) -> None:
    m = re.search(r"^\s*ruleset\s+(\w+)\s+version\s+(\d+)", rules_text(case), re.M)
    ruleset, version = m.group(1), int(m.group(2))
    path = case / "expected_alerts.jsonl"
    alerts = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        a = json.loads(line)
        unknown = set(a) - set(ORDER)
        if unknown:
            sys.exit(f"{path}:{n}: unknown keys {sorted(unknown)}")
        a.setdefault("ruleset", ruleset)
        a.setdefault("version", version)
        a.setdefault("fields", {})
        a["alert_id"] = alert_id(a)
        alerts.append({k: a[k] for k in ORDER if k in a})
    alerts.sort(key=lambda a: (a["ts"], a["rule"].encode(), a["key"].encode(), a["alert_id"]))
    path.write_text("".join(json.dumps(a, separators=(",", ":"), ensure_ascii=False) + "\n"
                            for a in alerts))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        normalize(pathlib.Path(arg).resolve())
