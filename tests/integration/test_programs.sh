#!/usr/bin/env bash
# Every program answers --help and --version, and its --help says what the
# README says of every program: the configuration's default, the --key
# default of the command-line programs, the exit statuses; the migrations are idempotent:
# a second `bangdaictl migrate` applies nothing and changes no schema.
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^project(bangdai VERSION \([0-9.]*\).*/\1/p' "$BANGDAI_ROOT/CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt"
for p in bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation \
         bangdai-hall bangdai-dept bangdaictl; do
  "$BIN/$p" --help >"$T/help.out" 2>&1 || fail "$p --help exited non-zero"
  grep -q "^Usage: $p " "$T/help.out" || fail "$p --help: $(head -2 "$T/help.out")"
  grep -q -- "--config" "$T/help.out" || fail "$p --help does not name --config"
  grep -q "/etc/bangdai/bangdai.yaml" "$T/help.out" || fail "$p --help does not give the configuration's default"
  grep -q "^Exit status: 0 " "$T/help.out" || fail "$p --help gives no exit status"
  case $p in
    bangdai-hall|bangdai-dept|bangdaictl) grep -q -- "--key NAME" "$T/help.out" || fail "$p --help does not name --key" ;;
  esac
  [ "$("$BIN/$p" --version)" = "$p $version" ] || fail "$p --version: $("$BIN/$p" --version)"
  rc=0; "$BIN/$p" --no-such-option >/dev/null 2>&1 || rc=$?
  [ $rc = 2 ] || fail "$p with an unknown option: exit $rc, expected 2"
done

# lib.sh migrated the test database once; a second run changes nothing.
# (pg_dump's \restrict lines carry a random key each run: not schema.)
schema() { pg_dump --schema-only -d "$DB" | grep -v '^\\\(un\)\?restrict '; }
schema >"$T/schema1.sql"
"$BIN/bangdaictl" migrate >"$T/migrate2.log" || fail "second migrate failed: $(cat "$T/migrate2.log")"
grep -q "^0 migrations applied" "$T/migrate2.log" || fail "second migrate: $(cat "$T/migrate2.log")"
schema >"$T/schema2.sql"
cmp -s "$T/schema1.sql" "$T/schema2.sql" || fail "the second migrate changed the schema: $(diff "$T/schema1.sql" "$T/schema2.sql" | head)"
[ "$(sql "SELECT count(*) FROM public.bangdai_migrations")" = "$(ls "$BANGDAI_ROOT"/deploy/sql/[0-9]*.sql | wc -l)" ] \
  || fail "not every migration is recorded"

# Each daemon's role reaches its own schema and no other.
psql -qAtX -d "$DB" -U bangdai_router -c "SELECT count(*) FROM router.tasks" >/dev/null || fail "router cannot read its schema"
psql -qAtX -d "$DB" -U bangdai_router -c "SELECT count(*) FROM intake.cases" >/dev/null 2>&1 \
  && fail "the router's role can read intake's schema"
psql -qAtX -d "$DB" -U bangdai_intake -c "DELETE FROM tracker.deadlines" >/dev/null 2>&1 \
  && fail "intake's role can change the tracker's schema"
note "ok"
