#!/usr/bin/env bash
# Runs a binding snippet of docs/c-api.md (the fenced block after its "<!-- snippet: <lang> -->"
# marker) against a fresh daemon, so the documented binding cannot drift from the library: it
# must build (Go, Rust: warning-free, with Debian's toolchains), exit 0 and land exactly its rows.
#   tests/capi/doc_snippet_test.sh <ctypes|go|rust> <libzerobusd_c.so> <docs/c-api.md>
# A missing toolchain is a failure, not a skip: scripts/setup.sh installs them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[[ $# -eq 3 ]] || { sed -n '2,6p' "$0" >&2; exit 2; }
lang=$1 lib=$2 doc=$3
case $lang in
  ctypes) fence=python rows=1 ;;
  go) fence=go rows=3 ;;
  rust) fence=rust rows=3 ;;
  *) echo "FAIL: unknown snippet language '$lang'" >&2; exit 2 ;;
esac
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 not found: $2 (scripts/setup.sh)" >&2; exit 1; }; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zerobusd-snippet.XXXXXX")
trap 'rm -rf "$work"' EXIT
snippet=$work/snippet
awk -v marker="<!-- snippet: $lang -->" -v fence="$fence" '
     $0 == marker {armed = 1; next}
     armed && $0 == "```" fence {inside = 1; next}
     inside && /^```/ {exit}
     inside {print}' "$doc" >"$snippet"
[[ -s $snippet ]] || { echo "FAIL: no $lang snippet found in $doc" >&2; exit 1; }

libdir=$(cd "$(dirname "$lib")" && pwd)
include=$ROOT/client/c/include
case $lang in
  ctypes)
    export ZEROBUSD_C_LIB=$lib
    cmd=(python3 "$snippet")
    ;;
  go)
    need go "install Debian's golang-go"
    mv "$snippet" "$work/main.go"
    # GOPATH mode, no network, caches inside $work: nothing outside the temp dir is touched.
    export GO111MODULE=off GOPROXY=off GOFLAGS='' GOPATH=$work/gopath GOCACHE=$work/gocache
    export CGO_ENABLED=1 CGO_CFLAGS="-I$include -Wall -Werror"
    export CGO_LDFLAGS="-L$libdir -Wl,-rpath,$libdir"
    go version
    (cd "$work" && go vet main.go && go build -o snippet-go main.go) ||
      { echo "FAIL: the go snippet does not build cleanly" >&2; exit 1; }
    # cgocheck=2 also checks every write of a pointer into C memory at run time.
    cmd=(env GODEBUG=cgocheck=2 "$work/snippet-go")
    ;;
  rust)
    # Debian's compiler on purpose (not a rustup one on PATH): the oldest the snippet supports.
    rustc=/usr/bin/rustc
    [[ -x $rustc ]] || { echo "FAIL: $rustc not found: install Debian's rustc (scripts/setup.sh)" >&2; exit 1; }
    mv "$snippet" "$work/main.rs"
    "$rustc" --version
    "$rustc" --edition 2021 -D warnings -L "$libdir" -C "link-arg=-Wl,-rpath,$libdir" \
      -o "$work/snippet-rust" "$work/main.rs" ||
      { echo "FAIL: the rust snippet does not build cleanly" >&2; exit 1; }
    cmd=("$work/snippet-rust")
    ;;
esac
"$ROOT/tests/capi/run_checked.sh" "main.default.events=$rows" "${cmd[@]}"
