#!/usr/bin/env bash
# Every program answers --help and --version, and its --help says what the
# README says of every program: the configuration's default, the --key
# default of the command-line programs, the exit statuses, and every
# option, command, environment variable and signal README documents for it
# (readme_program_words.py reads them from README.md); the migrations are idempotent:
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
  grep -q "^Exit status:$" "$T/help.out" && grep -q "^  0  " "$T/help.out" && grep -q "^  2  " "$T/help.out" \
    || fail "$p --help gives no exit status"
  case $p in
    bangdai-hall|bangdai-dept|bangdaictl) grep -q -- "--key NAME" "$T/help.out" || fail "$p --help does not name --key" ;;
  esac
  [ "$("$BIN/$p" --version)" = "$p $version" ] || fail "$p --version: $("$BIN/$p" --version)"
  rc=0; "$BIN/$p" --no-such-option >/dev/null 2>&1 || rc=$?
  [ $rc = 2 ] || fail "$p with an unknown option: exit $rc, expected 2"
done

# What README documents for each program is in its --help: every option
# (word for word), every command (a line of "Commands:" that starts with it,
# with each of its second words), every environment variable and signal.
python3 "$(dirname "$0")/readme_program_words.py" "$BANGDAI_ROOT/README.md" >"$T/readme.words" \
  || fail "cannot read README.md's programs"
for p in bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation \
         bangdai-hall bangdai-dept bangdaictl; do
  # A parse that finds nothing would check nothing.
  [ "$(grep -c "^$p	option	" "$T/readme.words")" -ge 8 ] \
    || fail "README.md: fewer than 8 options found for $p: $(grep "^$p	" "$T/readme.words" | tr '\n' ' ')"
done
[ "$(grep -c "^bangdaictl	command	" "$T/readme.words")" -ge 16 ] || fail "README.md: bangdaictl's commands not found"
checked=0
while IFS=$'\t' read -r p kind word; do
  "$BIN/$p" --help >"$T/help.out" 2>&1
  case $kind in
    option|env|signal)
      grep -qE -- "(^|[^A-Za-z0-9_-])$word([^A-Za-z0-9_-]|\$)" "$T/help.out" \
        || fail "README.md documents $kind $word for $p; $p --help does not name it" ;;
    command)
      first=${word%% *}
      grep -q "^  $first\( \|\$\)" "$T/help.out" || fail "README.md documents the command '$word' of $p; $p --help has no entry for it"
      if [ "$first" != "$word" ]; then
        for w in $(echo "${word#* }" | tr '|' ' '); do
          grep "^  $first " "$T/help.out" | grep -qw -- "$w" \
            || fail "README.md documents the command '$first $w' of $p; $p --help has no entry for it"
        done
      fi ;;
  esac
  checked=$((checked + 1))
done <"$T/readme.words"
note "$checked words of README.md found in the programs' --help"

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
