#!/usr/bin/env bash
# Installs every Debian 12 package zerobusd needs to build, test, run its demo and benchmarks.
# The only install path: the README commands, .ci/run and docker/Dockerfile all call it.
# Idempotent: packages already present are left alone; apt runs only when something is missing.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libprotoc-dev protobuf-compiler
  libuv1-dev libcurl4-openssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev
  libsystemd-dev libcli11-dev
)
TOOL_PACKAGES=(
  openssl curl python3 python3-pytest python3-yaml python3-protobuf python3-prometheus-client nodejs npm prometheus jq
  golang-go rustc # build the Go and Rust binding snippets of docs/c-api.md (ctest c_abi_doc_*)
)

want=("${BUILD_PACKAGES[@]}")
[[ "${1:-}" == "--build-only" ]] || want+=("${TOOL_PACKAGES[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from outside Debian's packages (a preinstalled toolchain): accept it as it is.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi
