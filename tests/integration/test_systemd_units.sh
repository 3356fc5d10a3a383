#!/usr/bin/env bash
# systemd-analyze verify passes, without a warning, on every unit of
# deploy/systemd as the build configured them (build/systemd/), with
# ExecStart pointed at this build's programs (verify requires them to exist)
# and the template verified as an instance, bangdai-dept@fgw.service.
set -euo pipefail
: "${BANGDAI_BUILD:?BANGDAI_BUILD must name the build directory (ctest sets it)}"
if ! command -v systemd-analyze >/dev/null; then
  . "$BANGDAI_ROOT/deploy/lib.sh"
  bd_install_deps systemd >&2 || { echo "SKIP: systemd-analyze missing and cannot be installed" >&2; exit 77; }
fi
D=$(mktemp -d /tmp/bangdai-units.XXXXXX)
trap 'rm -rf "$D"' EXIT
n=0
for f in "$BANGDAI_BUILD"/systemd/*.service; do
  u=$(basename "$f")
  [ "$u" = "bangdai-dept@.service" ] && u="bangdai-dept@fgw.service"
  grep -q '^ExecStart=/[^ ]*/bin/bangdai-' "$f" || { echo "FAIL: $u has no ExecStart of an installed program" >&2; exit 1; }
  sed "s#^ExecStart=/[^ ]*/bin/#ExecStart=$BANGDAI_BUILD/services/#" "$f" >"$D/$u"
  n=$((n + 1))
done
[ $n = 6 ] || { echo "FAIL: expected 6 units in $BANGDAI_BUILD/systemd, found $n" >&2; exit 1; }
cd "$D"
rc=0
out=$(systemd-analyze verify --man=no ./*.service 2>&1) || rc=$?
# An unknown key or a bad value is only a warning to systemd; here it fails.
if [ $rc != 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify (status $rc):" >&2
  echo "$out" >&2
  exit 1
fi
for u in ./*.service; do
  grep -q '^Type=notify$' "$u" && grep -q '^User=bangdai$' "$u" && grep -q '^NoNewPrivileges=yes$' "$u" \
    && grep -q '^ProtectSystem=strict$' "$u" && grep -q '^WatchdogSec=' "$u" \
    || { echo "FAIL: $u lacks Type=notify, User=bangdai, NoNewPrivileges, ProtectSystem=strict or WatchdogSec" >&2; exit 1; }
done
echo "# ok: $n units verified"
