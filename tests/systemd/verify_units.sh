#!/usr/bin/env bash
# systemd-analyze verify on systemd/zerobusd.service and zerobusd.socket.
#   verify_units.sh <systemd-analyze> <built zerobusd> <systemd/ dir> <work dir>
# verify refuses a unit whose ExecStart program does not exist, and the shipped unit names the
# install path (/usr/local/sbin/zerobusd), so it checks copies that name the built binary.
# verify exits 0 on unknown keys and unparsable values (it only prints them), so any output
# at all is a failure; a deliberately broken copy proves such output is caught.
set -euo pipefail
analyze=$1 binary=$2 units=$3 work=$4
rm -rf "$work" && mkdir -p "$work"

grep -q '^ExecStart=/usr/local/sbin/zerobusd ' "$units/zerobusd.service" ||
  { echo "zerobusd.service: ExecStart does not name /usr/local/sbin/zerobusd"; exit 1; }
sed "s|/usr/local/sbin/zerobusd|$binary|g" "$units/zerobusd.service" >"$work/zerobusd.service"
cp "$units/zerobusd.socket" "$work/zerobusd.socket"

check() {
  local out rc=0
  out=$("$analyze" verify --man=no "$@" 2>&1) || rc=$?
  if [[ $rc -ne 0 || -n $out ]]; then
    printf '%s\n' "$out"
    return 1
  fi
}

check "$work/zerobusd.service" "$work/zerobusd.socket" || { echo "FAIL: systemd-analyze verify"; exit 1; }

# The checker itself: a misspelt key must be reported.
sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$work/zerobusd.service" >"$work/broken.service"
if check "$work/broken.service" >/dev/null; then
  echo "FAIL: a misspelt key went unnoticed: the check cannot fail"
  exit 1
fi
echo "zerobusd.service and zerobusd.socket verified"
