#!/usr/bin/env bash
# cmake --install into a temporary prefix, then the sample flow from the
# installed files only: the installed programs (bin/), the installed sample
# configuration and applications (share/bangdai/), and bangdaictl migrate
# finding the installed SQL (share/bangdai/sql) by itself, with neither
# --sql-dir nor BANGDAI_SQL_DIR. A case is submitted and its tasks are
# received by the department agents.
set -euo pipefail
: "${BANGDAI_BUILD:?BANGDAI_BUILD must name the build directory (ctest sets it)}"
if [ -z "${PGHOST:-}" ]; then
  echo "SKIP: no PostgreSQL (PGHOST unset); run ./tests/run.sh" >&2
  exit 77
fi
P=$(mktemp -d /tmp/bangdai-prefix.XXXXXX)
cmake --install "$BANGDAI_BUILD" --prefix "$P/prefix" >"$P/install.log" \
  || { cat "$P/install.log" >&2; rm -rf "$P"; echo "FAIL: cmake --install" >&2; exit 1; }
PREFIX=$P/prefix
unset BANGDAI_SQL_DIR
# lib.sh keys and migrates with $BANGDAI_BIN's bangdaictl and adapts the
# installed sample configuration.
export BANGDAI_BIN=$PREFIX/bin BANGDAI_SAMPLE_CONFIG=$PREFIX/share/bangdai/dianjiang.yaml
export BANGDAI_EXAMPLES=$PREFIX/share/bangdai/examples
. "$(dirname "$0")/lib.sh"
cleanup_install() { local rc=$?; rm -rf "$P"; (exit $rc); cleanup; }
trap cleanup_install EXIT

for f in bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation \
         bangdai-hall bangdai-dept bangdaictl; do
  [ -x "$PREFIX/bin/$f" ] || fail "$f is not installed in bin/"
done
for u in intake router tracker delivery evaluation dept@; do
  [ -f "$PREFIX/lib/systemd/system/bangdai-$u.service" ] || fail "bangdai-$u.service is not installed"
done
[ "$(ls "$PREFIX/share/bangdai/sql" | grep -c '\.sql$')" = "$(ls "$BANGDAI_ROOT/deploy/sql" | grep -c '\.sql$')" ] \
  || fail "share/bangdai/sql does not hold every migration"
# lib.sh's migrate ran the installed bangdaictl; it says where it read the SQL.
grep -q "applied (from $PREFIX/bin/../share/bangdai/sql)" "$T/migrate.log" \
  || fail "migrate did not use the installed SQL: $(tail -1 "$T/migrate.log")"
[ "$(sql "SELECT count(*) FROM public.bangdai_migrations")" = "$(ls "$PREFIX/share/bangdai/sql" | grep -c '\.sql$')" ] \
  || fail "not every installed migration was applied"

start_all
for d in fgw slj zjw gxq; do agent $d; done
c=$(submit "$(fresh_request agency-three-items.yaml)")
note "submitted $c"
wait_for "four tasks RECEIVED" all_tasks "$c" RECEIVED 4
# Every process ran from the prefix.
for name in "${!PIDS[@]}"; do
  exe=$(readlink "/proc/${PIDS[$name]}/exe")
  [[ $exe == "$PREFIX/bin/"* ]] || fail "$name runs $exe, not an installed program"
done
for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
