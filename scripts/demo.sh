#!/usr/bin/env bash
# The README's first command: install what is missing, build the release binary
# at build/cep, and show the service. Extra arguments go to the last command.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cep_cli

# Until `cep demo` exists (issue #4) this shows what the binary offers; the
# README command stays the same when it changes to `exec build/cep demo "$@"`.
build/cep --version
build/cep --help
