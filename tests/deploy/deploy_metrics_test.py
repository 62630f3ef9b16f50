#!/usr/bin/env python3
"""Every cep_* metric that the Grafana dashboard and the Prometheus alert rules query
exists in the /metrics output of a running `cep serve` (issue #8).

The test starts the real binary (CEP_CLI_BINARY) with its embedded Kafka broker on
loopback, a temporary data_dir and two example rulesets, produces generated
transactions to the broker with `cep gen` and posts two events to POST /v1/events
(so that per-rule, per-partition, checkpoint and latency series exist), then reads
GET /metrics with the generated admin token and compares the names.

  deploy_metrics_test.py [DASHBOARD.json|ALERTS.yml ...]   (default: the files in deploy/)

Names are the identifiers cep_[a-z0-9_]+ in the PromQL expressions; a name ending in
_bucket, _sum or _count counts as its histogram family when that family is one.
"""

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

SOURCE = os.path.abspath(os.environ.get("CEP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
CEP = os.environ.get("CEP_CLI_BINARY", os.path.join(SOURCE, "build", "cep"))
DEADLINE_S = 90
METRIC = re.compile(r"\bcep_[a-z0-9_]+\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def queried_names(path):
    """{metric name: [where it is used]} of a Grafana dashboard or a Prometheus rules file."""
    found = {}

    def add(expr, where):
        for name in METRIC.findall(expr):
            found.setdefault(name, []).append(where)

    if path.endswith(".json"):
        def walk(node, title):
            if isinstance(node, dict):
                title = node.get("title", title)
                for key, value in node.items():
                    if key in ("expr", "query", "definition") and isinstance(value, str):
                        add(value, f"{os.path.basename(path)}: {title}")
                    else:
                        walk(value, title)
            elif isinstance(node, list):
                for value in node:
                    walk(value, title)
        with open(path, encoding="utf-8") as f:
            walk(json.load(f), "dashboard")
    else:
        with open(path, encoding="utf-8") as f:
            rules = yaml.safe_load(f)
        for group in rules["groups"]:
            for rule in group["rules"]:
                add(str(rule["expr"]), f"{os.path.basename(path)}: {rule.get('alert', rule.get('record'))}")
    return found


def exposed_families(text):
    """{family: type} from the '# TYPE' lines, plus every sample name seen."""
    families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    for line in text.splitlines():
        if line and not line.startswith("#"):
            families.setdefault(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0), "sample")
    return families


def family_of(name, families):
    for suffix in HISTOGRAM_SUFFIXES:
        base = name[: -len(suffix)]
        if name.endswith(suffix) and families.get(base) == "histogram":
            return base
    return name


class CepServe:
    """`cep serve` as a child process; its stdout lines on a pipe, stderr to a file."""

    def __init__(self, data_dir, args):
        self.stderr = open(os.path.join(os.path.dirname(data_dir), "serve.stderr"), "w")
        self.process = subprocess.Popen([CEP, "serve", *args], stdout=subprocess.PIPE,
                                        stderr=self.stderr, text=True, bufsize=1,
                                        env={k: v for k, v in os.environ.items() if not k.startswith("CEP_")})

    def read_line(self, deadline):
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], deadline - time.monotonic())
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    return None
                return line.rstrip("\n")
        return None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        return self.process.returncode


def http(url, token=None, body=None, content_type=None):
    request = urllib.request.Request(url, data=body)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main(paths):
    wanted = {}
    for path in paths:
        for name, where in queried_names(path).items():
            wanted.setdefault(name, []).extend(where)
    if not wanted:
        print("no cep_* metric found in", paths)
        return 1
    print(f"{len(wanted)} metric names queried by {', '.join(os.path.relpath(p, SOURCE) for p in paths)}")

    with tempfile.TemporaryDirectory(prefix="cep-deploy-metrics-") as tmp:
        data_dir = os.path.join(tmp, "data")
        serve = CepServe(data_dir, [
            "--rest-address", "127.0.0.1:0", "--data-dir", data_dir, "--checkpoint-interval", "300ms",
            "--slots", "2", "--set", "kafka.embedded_partitions=2",
            "--rules", os.path.join(SOURCE, "rulesets", "card_testing.rules"),
            "--rules", os.path.join(SOURCE, "rulesets", "velocity.rules")])
        try:
            deadline = time.monotonic() + DEADLINE_S
            broker = api = None
            while api is None:
                line = serve.read_line(deadline)
                if line is None:
                    print("cep serve printed no 'REST API:' line; stderr in", serve.stderr.name)
                    print(open(serve.stderr.name).read()[-3000:])
                    return 1
                if line.startswith("embedded Kafka broker: "):
                    broker = line.split(": ", 1)[1]
                elif line.startswith("REST API: "):
                    api = line.split(": ", 1)[1]
            with open(os.path.join(data_dir, "api-token")) as f:
                token = f.read().strip()

            # Input through Kafka (partitions 0..1: consumer lag, watermarks) and HTTP.
            gen = subprocess.run([CEP, "gen", "--count", "2000", "--accounts", "100", "--seed", "7",
                                  "--fraud-rate", "0.05", "--brokers", broker],
                                 capture_output=True, text=True, timeout=60, check=False)
            if gen.returncode != 0:
                print("cep gen failed:", gen.stderr)
                return 1
            events = "\n".join(json.dumps({"id": f"h{i}", "account_id": "acct-1", "card_id": "card-1",
                                           "kind": "purchase", "amount": 1.5, "merchant": f"m{i}",
                                           "ts": 1767225600000 + i * 1000}) for i in range(2))
            status, body = http(f"{api}/v1/events", token, events.encode(), "application/x-ndjson")
            if status != 200:
                print("POST /v1/events:", status, body)
                return 1

            # Wait (bounded) for the series that appear after the first checkpoint.
            families = {}
            while True:
                status, text = http(f"{api}/metrics", token)
                if status != 200:
                    print("GET /metrics:", status, text[:500])
                    return 1
                families = exposed_families(text)
                missing = sorted(n for n in wanted if family_of(n, families) not in families)
                if not missing or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            for route in ("/healthz", "/readyz"):
                status, body = http(f"{api}{route}")
                print(f"GET {route}: {status} {body}")
                if status != 200:
                    return 1
            status, _ = http(f"{api}/metrics")
            print(f"GET /metrics without a token: {status}")
            if status != 401:
                return 1
        finally:
            code = serve.stop()
            print(f"cep serve stopped with exit code {code}")

    present = sorted(set(wanted) - set(missing))
    print(f"/metrics has {len(families)} names; queried and present: {len(present)}; missing: {len(missing)}")
    for name in missing:
        print(f"MISSING {name}: used by {'; '.join(sorted(set(wanted[name])))}")
    if missing:
        print("(names: api/metrics/README.md; a family absent at the start is listed there under 'absent when')")
        return 1
    print("every queried metric exists:", ", ".join(present))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:] or [os.path.join(SOURCE, "deploy", "grafana", "dashboards", "cep.json"),
                            os.path.join(SOURCE, "deploy", "prometheus", "alerts.yml")]
    sys.exit(main([os.path.abspath(a) for a in args]))
