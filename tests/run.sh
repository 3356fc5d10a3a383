#!/usr/bin/env bash
# tests/run.sh - every test of bangdai, from a bare Debian 12 machine:
# installs what is missing, builds a normal build (build/), an
# AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/) and,
# to check that they build without a warning, a packager's Release build with
# gcc (build-release/) and with clang (build-clang/), starts a
# private PostgreSQL in a temporary directory, runs every test of both builds
# with ctest, stops PostgreSQL, and runs each fuzzing harness for a few
# seconds (build-fuzz/, tests/fuzz/run.sh). Exit status 0 only when all passed.
set -euo pipefail
BANGDAI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$BANGDAI_ROOT/deploy/lib.sh"

bd_install_deps $BANGDAI_TEST_PACKAGES
echo "== build (RelWithDebInfo) into build/"
bd_build "$BANGDAI_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBANGDAI_SANITIZE=OFF -DBANGDAI_WERROR=ON
echo "== build (ASan + UBSan) into build-asan/"
bd_build "$BANGDAI_ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DBANGDAI_SANITIZE=ON -DBANGDAI_WERROR=ON
# A packager's builds: Release (-O3, where gcc warns most) with gcc and with
# clang; both must build without a warning. Built only, not tested again.
echo "== build (Release, gcc) into build-release/"
bd_build "$BANGDAI_ROOT/build-release" -DCMAKE_BUILD_TYPE=Release -DBANGDAI_WERROR=ON
echo "== build (Release, clang) into build-clang/"
CC=clang bd_build "$BANGDAI_ROOT/build-clang" -DCMAKE_BUILD_TYPE=Release -DBANGDAI_WERROR=ON

PGTMP=$(mktemp -d /tmp/bangdai-pg.XXXXXX)
chmod 755 "$PGTMP"
cleanup() { bd_pg_stop "$PGTMP"; rm -rf "$PGTMP"; }
trap cleanup EXIT
# Test data is thrown away: durability of the test cluster is not under test.
BANGDAI_PG_FSYNC=off PGPORT=5432 bd_pg_start "$PGTMP"
echo "== PostgreSQL at $PGHOST"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for b in build build-asan; do
  echo "== ctest in $b/"
  (cd "$BANGDAI_ROOT/$b" && ctest --output-on-failure -j 2) || status=1
done
# The fuzzing harnesses, briefly (the long run is on demand:
# tests/fuzz/run.sh SECONDS); a crash fails the run.
echo "== fuzzing into build-fuzz/ (clang, libFuzzer, ASan + UBSan), 10 s each"
"$BANGDAI_ROOT/tests/fuzz/run.sh" 10 || status=1
exit $status
