#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, build with
# ASan + UBSan and warnings as errors (the `ci` preset), run the whole test suite.
# Extra arguments go to ctest, e.g. scripts/test.sh -R wire
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci "$@"
