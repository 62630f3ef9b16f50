#!/usr/bin/env bash
# FOR REVIEW ONLY: shows what the engine produces for one golden case.
#
#   tests/golden/regenerate.sh CASE [--write] [CEP_BINARY]
#
# Without --write it prints a unified diff between the reviewed expectation and
# the engine's output and changes nothing. With --write it overwrites
# tests/golden/CASE/expected_alerts.jsonl with the engine's output; the change
# must then be reviewed like code (git diff), against a derivation from the spec,
# never accepted because "the engine says so". The ctest runner never does this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
case_name="${1:?usage: regenerate.sh CASE [--write] [CEP_BINARY]}"
shift
write=0
if [[ "${1:-}" == "--write" ]]; then write=1; shift; fi
cep="${1:-$root/build-h-golden/cep}"
dir="$here/$case_name"
if [[ -f "$dir/rules.rules" ]]; then
  rules="$dir/rules.rules"
else
  rules="$root/$(grep -v '^#' "$dir/rules.ref" | head -n1 | tr -d '[:space:]')"
fi
args=()
if [[ -f "$dir/args" ]]; then
  # shellcheck disable=SC2207
  args=($(grep -v '^#' "$dir/args"))
fi
out="$(mktemp)"
input="$dir/events.jsonl"
if [[ -f "$dir/input.ref" ]]; then
  # Real history read in place (see README.md "A case"): the file, then `lines N`.
  data="$root/$(grep -v '^#' "$dir/input.ref" | head -n1 | tr -d '[:space:]')"
  lines="$(grep -E '^lines[[:space:]]+[0-9]+' "$dir/input.ref" | awk '{print $2}' || true)"
  input="$data"
  if [[ -n "$lines" ]]; then
    input="$(mktemp --suffix=.csv)"
    (set +o pipefail; gzip -cdf -- "$data" | head -n "$lines" > "$input")
  fi
fi
trap 'rm -f "$out"; [[ "$input" == /tmp/* ]] && rm -f "$input"' EXIT
cd "$root"  # paths in args are relative to the repository root
"$cep" replay --rules "$rules" --input "$input" --alerts "$out" "${args[@]}"
if [[ $write == 1 ]]; then
  cp "$out" "$dir/expected_alerts.jsonl"
  echo "wrote $dir/expected_alerts.jsonl: review it with git diff before committing" >&2
else
  diff -u --label expected --label actual "$dir/expected_alerts.jsonl" "$out" && echo "no difference" >&2
fi
