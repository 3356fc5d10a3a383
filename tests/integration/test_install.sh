#!/usr/bin/env bash
# cmake --install into a temporary prefix, then the sample flow from the
# installed files only: the installed programs (bin/), the installed sample
# configuration and applications (share/bangdai/), and bangdaictl migrate
# finding the installed SQL (share/bangdai/sql) by itself, with neither
# --sql-dir nor BANGDAI_SQL_DIR. A case is submitted and its tasks are
# received by the department agents. Every program has its man page in
# share/man/man1, which renders without a warning and names every command
# and option of the program's --help.
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
# The man pages (help2man, at build time). groff renders each one as
# `man -l` does, with no hyphenation and wide lines, so that every word
# stays whole; -ww makes every warning show.
command -v help2man >/dev/null || fail "help2man is not installed (deploy/lib.sh BANGDAI_PACKAGES): no man pages"
for f in bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation \
         bangdai-hall bangdai-dept bangdaictl; do
  page=$PREFIX/share/man/man1/$f.1
  [ -f "$page" ] || fail "$f has no man page: no share/man/man1/$f.1"
  groff -k -man -Tutf8 -ww -rHY=0 -rLL=250n -P-cbou "$page" >"$T/$f.man" 2>"$T/$f.groff" \
    || fail "$f.1 does not render: $(head -3 "$T/$f.groff")"
  [ ! -s "$T/$f.groff" ] || fail "$f.1 renders with warnings: $(head -3 "$T/$f.groff")"
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS "SEE ALSO"; do
    grep -qx "$s" "$T/$f.man" || fail "$f.1 has no $s section"
  done
  grep -q "^ *$f - ." "$T/$f.man" || fail "$f.1: its NAME line does not say what it is"
  "$PREFIX/bin/$f" --help >"$T/$f.help" || fail "$f --help exited non-zero"
  # Every option of --help, and every command: the first word of each entry
  # of its "Commands:" block, with the second for the two-word ones
  # (bangdaictl keys new, rectify verify, ...).
  for o in $(grep -o -- '--[a-z][a-z-]*' "$T/$f.help" | sort -u); do
    grep -q -- "$o\b" "$T/$f.man" || fail "$f.1 does not name $o, which $f --help names"
  done
  while read -r c; do
    grep -q "^       $c\( \|\$\)" "$T/$f.man" || fail "$f.1 has no entry for the command '$c' of $f --help"
  done < <(sed -n '/^Commands:$/,/^$/p' "$T/$f.help" | sed -n 's/^  \([a-z][a-z]*\( [a-z][a-z|]*\)\{0,1\}\).*/\1/p')
  case $f in
    bangdai-hall|bangdai-dept|bangdaictl) [ -n "$(sed -n '/^Commands:$/,/^$/p' "$T/$f.help")" ] \
                                            || fail "$f --help has no Commands: block" ;;
  esac
done
note "man pages: $(ls "$PREFIX/share/man/man1" | tr '\n' ' ')"
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
