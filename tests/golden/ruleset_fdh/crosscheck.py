#!/usr/bin/env python3
"""Derives the alerts of rulesets/fdh.rules on an FDH CSV slice without the engine, and
compares them with an alerts file, as (rule, key, completing event) triples.

Usage: crosscheck.py SLICE.csv[.gz] ALERTS.jsonl   (exit 1 on a difference)

The slice: the header and first lines of the FDH history, as in input.ref, e.g.
  zcat ../shared/data/fdh-simulated-card-transactions/fdh_*.csv.gz | head -n 134289 > /tmp/fdh.csv
The rules, read from fdh.rules by hand (LARGE 220, SPIKE 2.8, REPORTS 3) with exact
fractions: large_amount: amount > LARGE; amount_spike_vs_60d_average: amount <= LARGE
and amount > SPIKE x the customer's mean amount over (t-60d, t], the payment included;
payment_at_reported_terminal: amount <= LARGE and at least REPORTS fraud reports of
the terminal in (t-10d, t], a report being a fraud payment's ts + 7 d
(--feedback-delay 7d). Scenario columns are never read.
"""
import csv
import gzip
import json
import sys
from collections import defaultdict
from datetime import datetime, timezone
from fractions import Fraction

LARGE, SPIKE, REPORTS = Fraction(220), Fraction(28, 10), 3
DAY = 86_400_000
D60, D10, DELAY = 60 * DAY, 10 * DAY, 7 * DAY


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for r in csv.DictReader(f):
            t = datetime.strptime(r["TX_DATETIME"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            yield (int(t.timestamp() * 1000), r["TRANSACTION_ID"], r["CUSTOMER_ID"], r["TERMINAL_ID"],
                   Fraction(r["TX_AMOUNT"]), r["TX_FRAUD"] == "1")


def derive(rows):
    reports = defaultdict(list)  # terminal -> report times
    for ts, _, _, term, _, fraud in rows:
        if fraud:
            reports[term].append(ts + DELAY)
    history = defaultdict(list)  # customer -> [(ts, amount)]
    alerts = set()
    for ts, tid, cust, term, amount, _ in rows:
        if amount > LARGE:
            alerts.add(("large_amount", cust, tid))
        history[cust].append((ts, amount))
        window = [a for t, a in history[cust] if t > ts - D60]
        if amount <= LARGE and amount > SPIKE * sum(window) / len(window):
            alerts.add(("amount_spike_vs_60d_average", cust, tid))
        if amount <= LARGE and sum(1 for t in reports[term] if ts - D10 < t <= ts) >= REPORTS:
            alerts.add(("payment_at_reported_terminal", term, tid))
    return alerts


def main():
    rows = list(read(sys.argv[1]))
    expected = derive(rows)
    got = set()
    with open(sys.argv[2]) as f:
        for line in f:
            a = json.loads(line)
            got.add((a["rule"], a["key"], a["event"]))
    for rule in sorted({r for r, _, _ in expected | got}):
        print(f"{rule}: derived {sum(r == rule for r, _, _ in expected)}, "
              f"in the file {sum(r == rule for r, _, _ in got)}")
    print("only derived:", sorted(expected - got)[:10])
    print("only in the file:", sorted(got - expected)[:10])
    sys.exit(0 if expected == got else 1)


if __name__ == "__main__":
    main()
