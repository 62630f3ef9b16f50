#!/usr/bin/env bash
# The README's first command: install what is missing, build the release binary
# at build/cep, and show the service. Extra arguments go to the last command.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cep_cli

# Until `cep demo` exists (issue #4): check the example rulesets and replay a
# small history through one of them. The README command stays the same when
# this becomes `exec build/cep demo "$@"`.
build/cep --version
echo "== cep check rulesets/*.rules"
build/cep check rulesets/*.rules
echo "== cep replay --rules rulesets/card_fraud.rules --input rulesets/examples/card_fraud_events.jsonl"
build/cep replay --rules rulesets/card_fraud.rules --input rulesets/examples/card_fraud_events.jsonl
echo "== more: build/cep --help, and the README's 'Writing and replaying rules'"
