#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and run.
# Idempotent and quiet when everything is already present; the container image
# (deploy/Dockerfile) runs this same script so the two cannot drift.
#
# Usage: scripts/install-deps.sh [--with-dev-tools]
#   --with-dev-tools  also install the optional tools for clang-tidy, fuzzing,
#                     poking the embedded broker from outside (kcat, yamllint) and
#                     rendering the HTML replay report (chromium, test html.chromium_render).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries, found by CMake (see cmake/Dependencies.cmake)
  libboost-dev            # Beast + Asio (header-only)
  libssl-dev              # TLS for the REST API
  libhyperscan-dev        # regex predicates
  librocksdb-dev          # state backend
  librdkafka-dev          # Kafka client + rdkafka_mock.h
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev
  libcli11-dev            # command-line parsing
  libyaml-cpp-dev         # service config file (api/config)
  libspdlog-dev libfmt-dev
  zlib1g-dev              # gzip input for replay
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  yamllint python3-yaml   # tests/deploy (CI runs them: not only a dev tool)
)
if [[ "${1:-}" == "--with-dev-tools" ]]; then
  packages+=(clang libclang-rt-14-dev clang-tidy clang-format kafkacat yamllint chromium)
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--with-dev-tools]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
