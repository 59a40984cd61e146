#!/usr/bin/env bash
# The shared library's ABI surface is exactly the header's functions: every ZBD_API function
# declared in zerobusd_c.h is exported, and nothing else is (no C++ internals, no libstdc++
# instantiations that would tie users to our toolchain). Also checks the SONAME.
#   tests/capi/check_exports.sh <libzerobusd_c.so> <zerobusd_c.h>
set -euo pipefail
lib=$1 header=$2
exported=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
declared=$(grep -oE '^ZBD_API [^(]*\bzbd_[a-z0-9_]+\(' "$header" | grep -oE 'zbd_[a-z0-9_]+' | sort -u)
[[ -n $declared ]] || { echo "FAIL: no ZBD_API declarations found in $header" >&2; exit 1; }
if [[ $exported != "$declared" ]]; then
  echo "FAIL: exported symbols differ from the header's functions (< header, > library):" >&2
  diff <(echo "$declared") <(echo "$exported") >&2 || true
  exit 1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[[ $soname == libzerobusd_c.so.1 ]] || { echo "FAIL: SONAME is '$soname'" >&2; exit 1; }
echo "ok: $(echo "$declared" | wc -l) functions exported, nothing else; SONAME $soname"
