#!/usr/bin/env bash
# The README's first command: install what is missing, build the release binary
# at build/cep, and run `cep demo`: the embedded Kafka broker, the example
# rulesets, generated traffic with injected fraud, alerts printed live. Ctrl-C
# stops it. Extra arguments go to `cep demo` (e.g. --duration 30s, --rate 2000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cep_cli

build/cep --version
exec build/cep demo "$@"
