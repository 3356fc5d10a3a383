#!/usr/bin/env bash
# tests/fuzz/run.sh - the libFuzzer harnesses (issue 8), each for SECONDS:
#   fuzz_envelope  every frame a peer could send: envelope, boundary check,
#                  every payload decoder
#   fuzz_text      every validator and mask, and the logger's field pipeline
#                  (always valid UTF-8 and valid JSON string content)
#   fuzz_files     any file as the configuration and as a hall application
#   fuzz_calendar  working-day arithmetic on the sample calendar
# Builds build-fuzz/ with clang (-DBANGDAI_FUZZ=ON: libFuzzer, ASan, UBSan)
# when needed. The seeds are tests/fuzz/corpus/NAME (read only); what a run
# finds goes to a temporary corpus, a crash to its directory, which is kept
# and named. Prints one line per harness: executions, coverage, crashes.
# Usage: tests/fuzz/run.sh SECONDS [NAME...]     (tests/run.sh: a few seconds each)
# Exit status: 0 when no harness crashed; 1 when one did; 2 usage or build.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-}
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [NAME...]" >&2; exit 2; }
shift
NAMES=${*:-envelope text files calendar}
BUILD=${BANGDAI_FUZZ_BUILD:-$ROOT/build-fuzz}
command -v clang >/dev/null || { echo "fuzz: clang is needed" >&2; exit 2; }
mkdir -p "$BUILD"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DBANGDAI_FUZZ=ON -DBANGDAI_WERROR=ON \
    >"$BUILD/fuzz-cmake.log" 2>&1 || { cat "$BUILD/fuzz-cmake.log" >&2; exit 2; }
fi
targets=$(for n in $NAMES; do printf 'fuzz_%s ' "$n"; done)
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" --target $targets >"$BUILD/fuzz-build.log" 2>&1 \
  || { tail -30 "$BUILD/fuzz-build.log" >&2; exit 2; }
WORK=$(mktemp -d /tmp/bangdai-fuzz.XXXXXX)
export BANGDAI_ROOT=$ROOT BANGDAI_FUZZ_TMP=$WORK
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for n in $NAMES; do
  mkdir -p "$WORK/$n/corpus" "$WORK/$n/crashes"
  "$BUILD/tests/fuzz/fuzz_$n" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
    -artifact_prefix="$WORK/$n/crashes/" "$WORK/$n/corpus" "$ROOT/tests/fuzz/corpus/$n" \
    >"$WORK/$n/log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$n/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$WORK/$n/log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$WORK/$n/crashes" -type f | wc -l)
  printf 'fuzz_%-9s %6ss  executions %10s  coverage %6s edges  corpus %5s  crashes %s\n' "$n" "$SECONDS_EACH" \
    "${runs:-?}" "${cov:-?}" "$(find "$WORK/$n/corpus" -type f | wc -l)" "$crashes"
  if [ $rc != 0 ] || [ "$crashes" != 0 ]; then
    status=1
    echo "fuzz_$n failed (exit $rc); its log and inputs: $WORK/$n" >&2
    grep -m 20 -A 15 -E "ERROR|runtime error|==[0-9]+==" "$WORK/$n/log" >&2 || tail -20 "$WORK/$n/log" >&2
  fi
done
[ $status = 0 ] && rm -rf "$WORK"
exit $status
