#!/usr/bin/env bash
# bench/run.sh - the benchmark (issue 7).
#
# Starts its own PostgreSQL cluster in a temporary directory (fsync on, with
# pg_stat_statements preloaded), a configuration with free ports and fresh
# CURVE keys, the five daemons and the four department agents a case of
# deploy/examples/agency-three-items.yaml needs (fgw slj zjw: its items; gxq:
# its zone's coordination task), and drives them with bangdai-bench, the
# load generator acting as the hall (bench/bangdai_bench.c). A case is done
# when the last of its 4 tasks is stored in its agent's spool (seen with
# inotify). Then it prints one table:
#   - closed loop: cases/s with K = 1, 4, 16, 64 cases outstanding
#   - open loop: latency p50/p90/p99/max at 20, 100, 200, 500, 1000 cases/s
#     (from the moment a case was due to be submitted to its last task stored)
#   - statements per case (pg_stat_statements, by daemon) and commits per case
#     (pg_stat_database.xact_commit)
#   - CPU ms per case of each daemon, agent and PostgreSQL backend (and of the
#     rest of PostgreSQL: checkpointer, WAL writer...), over the load phases
#   - peak RSS (VmHWM) of each daemon, agent and backend
#   - start -> ready of each daemon (exec to its service.started line) and
#     agent (exec to the router's agent.connected line for it)
#   - pgbench in the same cluster: a one-statement transaction (one UPDATE of
#     a random pgbench_accounts row, committed alone) at 1 and 8 clients, and
#     the ratio of bangdai's commits/s to it
# and checks that it counted right: every submitted case accepted and
# completed exactly once (its 4 tasks, none twice), one intake case per
# submit, 4 tasks RECEIVED at the router per case, 4 spool files per case.
#
# Usage: bench/run.sh [--smoke] [--keep] [--phase-seconds S] [--scale N]
#   --smoke  a few seconds of load with small numbers (the ctest bench.smoke):
#            asserts only that it ran and counted right, never a speed.
#   --keep   keep the temporary directory (logs, cluster, phases).
#   --phase-seconds S  length of each load phase (default 10; smoke 1).
#   --scale N  after the counts, adds N open tasks (router.tasks and
#            tracker.deadlines, the workload counts set to match) and times what
#            must stay flat as they grow: the router's pick (the workload of
#            a department), a page of a department's task list (the first
#            and one in the middle), the tracker's due scan (the next 1 000
#            due, and all due by tomorrow), the reminder scan (a batch of
#            1 000 due for a look), each the median of 9 runs of the
#            daemon's own statement, with its plan (EXPLAIN) in the table;
#            then a closed loop K = 1 again with the N tasks in place.
# Exit status: 0 when every count check passed; 1 when one failed; 2 usage or
# setup; 77 skipped (sanitizer build).
# Environment: BANGDAI_BUILD (default ROOT/build), BANGDAI_ROOT.
set -uo pipefail

ROOT=${BANGDAI_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BANGDAI_ROOT=$ROOT    # deploy/lib.sh reads it
BUILD=${BANGDAI_BUILD:-$ROOT/build}
BIN="$BUILD/services"
BENCH="$BUILD/bench/bangdai-bench"
SMOKE=0 KEEP=0 PHASE_S="" SCALE=0
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --keep) KEEP=1; shift ;;
    --phase-seconds) PHASE_S=$2; shift 2 ;;
    --scale) SCALE=${2:-}; shift 2 || { echo "bench: --scale N" >&2; exit 2; } ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "usage: $0 [--smoke] [--keep] [--phase-seconds S] [--scale N]" >&2; exit 2 ;;
  esac
done
if [ -z "$PHASE_S" ]; then
  if [ $SMOKE = 1 ]; then PHASE_S=1; else PHASE_S=10; fi
fi
[[ $PHASE_S =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: --phase-seconds: a number" >&2; exit 2; }
[[ $SCALE =~ ^[0-9]+$ ]] || { echo "bench: --scale: a number of open tasks" >&2; exit 2; }
if grep -q '^BANGDAI_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: the benchmark runs in the build without sanitizers" >&2
  exit 77
fi
for p in "$BIN"/bangdai-{intake,router,tracker,delivery,evaluation,dept} "$BIN/bangdaictl" "$BENCH"; do
  [ -x "$p" ] || { echo "bench: $p is missing (build first)" >&2; exit 2; }
done
. "$ROOT/deploy/lib.sh"
PGBIN=$(bd_pg_bin)
[ -x "$PGBIN/pgbench" ] || { echo "bench: pgbench not found in $PGBIN" >&2; exit 2; }
[ -f "$(dirname "$PGBIN")/lib/pg_stat_statements.so" ] || { echo "bench: pg_stat_statements not installed" >&2; exit 2; }

APP="$ROOT/deploy/examples/agency-three-items.yaml"
PHONE=$(bd_sample_phone)      # the file's contact phone is masked
TASKS=4                       # 3 item tasks + the zone's coordination task
AGENTS="fgw slj zjw gxq"
DAEMONS="intake router tracker delivery evaluation"
if [ $SMOKE = 1 ]; then
  CLOSED_KS="1 4"; OPEN_RATES="20 100"; WARMUP_S=0.5; PGB_S=1; PGB_SCALE=1; DRAIN=30
else
  CLOSED_KS="1 4 16 64"; OPEN_RATES="20 100 200 500 1000"; WARMUP_S=3; PGB_S=$PHASE_S; PGB_SCALE=10; DRAIN=90
fi

T=$(mktemp -d /tmp/bangdai-bench.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/log" "$T/spool"
declare -A PIDS=() START_MS=()
say() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

unset PGHOST PGPORT PGUSER PGDATABASE
export PGPORT=5432
PGDIR="$T/pg"
cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do kill "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
  bd_pg_stop "$PGDIR"
  if [ $KEEP = 1 ] || { [ $rc != 0 ] && [ $rc != 77 ]; }; then
    echo "bench: logs and cluster kept in $T" >&2
  else
    rm -rf "$T"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- PostgreSQL: fsync on (the real thing), pg_stat_statements -------------
say "starting PostgreSQL in $PGDIR (fsync on)"
BANGDAI_PG_FSYNC=on bd_pg_start "$PGDIR" || { echo "bench: PostgreSQL did not start" >&2; exit 2; }
psql -qAtX -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null \
  || exit 2
bd_pg_stop "$PGDIR"
BANGDAI_PG_FSYNC=on bd_pg_start "$PGDIR" || { echo "bench: PostgreSQL did not restart" >&2; exit 2; }
DB=bangdai_bench
export PGDATABASE=$DB
createdb "$DB" || exit 2
sql() { psql -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
sql "CREATE EXTENSION pg_stat_statements" >/dev/null || exit 2
# Planning counted too: how many calls were planned (not served by a cached
# plan) and the time it took, beside the time executing.
sql "ALTER SYSTEM SET pg_stat_statements.track_planning = on" >/dev/null || exit 2
sql "SELECT pg_reload_conf()" >/dev/null || exit 2

# ---- configuration: free ports, our own keys, the deployment's link settings
bd_config_for "$T/config.yaml" "$DB" "$T/keys" \
  || { echo "bench: could not adapt the configuration" >&2; exit 2; }
export BANGDAI_CONFIG="$T/config.yaml"
"$BIN/bangdaictl" keys init >"$T/log/keys.log" 2>&1 || { cat "$T/log/keys.log" >&2; exit 2; }
"$BIN/bangdaictl" migrate >"$T/log/migrate.log" 2>&1 || { cat "$T/log/migrate.log" >&2; exit 2; }

# ---- the processes, and start -> ready ------------------------------------
log_ms() {   # the first line of FILE matching PATTERN: its time, ms since the epoch
  local line t
  line=$(grep -m1 -- "$2" "$1" 2>/dev/null) || return 1
  t=$(sed -n 's/^{"time":"\([^"]*\)".*/\1/p' <<<"$line")
  [ -n "$t" ] && date -d "$t" +%s%3N
}
wait_log() {   # wait_log FILE PATTERN: up to 60 s
  local i
  for i in $(seq 600); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
declare -A READY_MS=()
for d in $DAEMONS; do
  START_MS[$d]=$(now_ms)
  "$BIN/bangdai-$d" 2>>"$T/log/$d.log" &
  PIDS[$d]=$!
done
for d in $DAEMONS; do
  wait_log "$T/log/$d.log" '"event":"service.started"' || { echo "bench: $d did not start" >&2; tail "$T/log/$d.log" >&2; exit 2; }
  READY_MS[$d]=$(( $(log_ms "$T/log/$d.log" '"event":"service.started"') - START_MS[$d] ))
done
for a in $AGENTS; do
  START_MS[dept-$a]=$(now_ms)
  "$BIN/bangdai-dept" run --dept "$a" --spool "$T/spool/$a" 2>>"$T/log/dept-$a.log" &
  PIDS[dept-$a]=$!
done
for a in $AGENTS; do
  pat="\"event\":\"agent.connected\",\"department\":\"$a\""
  wait_log "$T/log/router.log" "$pat" || { echo "bench: agent $a did not connect" >&2; exit 2; }
  READY_MS[dept-$a]=$(( $(log_ms "$T/log/router.log" "$pat") - START_MS[dept-$a] ))
done
say "daemons and agents ready"

SPOOLS=()
for a in $AGENTS; do SPOOLS+=(--spool "$T/spool/$a"); done
PHASES="$T/phases.txt"
: >"$PHASES"
FAILED=0
run_bench() {   # run_bench LABEL ARGS...: one phase; its line goes to $PHASES
  local label=$1 out rc=0; shift
  out=$("$BENCH" --app "$APP" --contact-phone "$PHONE" --tasks $TASKS "${SPOOLS[@]}" --drain "$DRAIN" "$@" \
        2>>"$T/log/bench.log") || rc=$?
  echo "$label $out rc=$rc" >>"$PHASES"
  say "$label: $out"
  if [ $rc != 0 ]; then say "$label: the generator's checks failed (rc=$rc)"; FAILED=1; fi
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

cpu_ms() {   # user + system CPU of PID in ms
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  awk -v tck="$(getconf CLK_TCK)" '{ printf "%d", ($12 + $13) * 1000 / tck }' <<<"$s"
}
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
PG_MAIN=$(head -n1 "$PGDIR/data/postmaster.pid")
declare -A BACKEND=()
while IFS='|' read -r app pid; do BACKEND[$app]=$pid; done < <(sql \
  "SELECT application_name, pid FROM pg_stat_activity WHERE datname = '$DB' AND application_name LIKE 'bangdai\_%'")
for d in $DAEMONS; do
  [ -n "${BACKEND[bangdai_$d]:-}" ] || { echo "bench: no backend of $d in pg_stat_activity" >&2; exit 2; }
done
pg_other_cpu() {   # CPU of the postmaster and its children but the daemons' backends
  local total=0 p skip b
  for p in $PG_MAIN $(ps -o pid= --ppid "$PG_MAIN"); do
    skip=0
    for b in "${BACKEND[@]}"; do [ "$p" = "$b" ] && skip=1; done
    [ $skip = 1 ] || total=$(( total + $(cpu_ms "$p") ))
  done
  echo $total
}

# ---- load ------------------------------------------------------------------
say "warm-up: closed loop K=4 for ${WARMUP_S}s"
run_bench warmup --closed 4 --duration "$WARMUP_S"
sql "SELECT pg_stat_statements_reset()" >/dev/null
COMMITS0=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
declare -A CPU0=()
for d in $DAEMONS; do CPU0[$d]=$(cpu_ms "${PIDS[$d]}"); CPU0[pg-$d]=$(cpu_ms "${BACKEND[bangdai_$d]}"); done
for a in $AGENTS; do CPU0[dept-$a]=$(cpu_ms "${PIDS[dept-$a]}"); done
CPU0[pg-other]=$(pg_other_cpu)
T_LOAD0=$(now_ms)

# Each phase starts on a settled system: every outbox acknowledged (what the
# last phase left for the tracker, intake and the others is worked off
# first, so that a phase measures its own load, not its predecessor's
# backlog; bounded at 120 s). The settling counts in the CPU per case.
settle() {
  local s i
  s=$(date +%s.%N)
  for i in $(seq 1200); do
    [ "$(sql "SELECT (SELECT count(*) FROM intake.outbox WHERE acked_at IS NULL)
                   + (SELECT count(*) FROM router.outbox WHERE acked_at IS NULL)
                   + (SELECT count(*) FROM tracker.outbox WHERE acked_at IS NULL)
                   + (SELECT count(*) FROM delivery.outbox WHERE acked_at IS NULL)
                   + (SELECT count(*) FROM evaluation.outbox WHERE acked_at IS NULL)")" = 0 ] && break
    sleep 0.1
  done
  say "settled in $(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}
for k in $CLOSED_KS; do settle; run_bench "closed-$k" --closed "$k" --duration "$PHASE_S"; done
for r in $OPEN_RATES; do
  settle
  # At most 2 s of offers (at least 40, at most 400 cases) in flight: beyond
  # that an offer is skipped (and counted), so that a rate the system cannot
  # take ends in bounded time.
  cap=$(( r * 2 > 40 ? r * 2 : 40 )); cap=$(( cap > 400 ? 400 : cap ))
  run_bench "open-$r" --rate "$r" --duration "$PHASE_S" --max-outstanding $cap
done

T_LOAD1=$(now_ms)
sleep 1   # PostgreSQL reports a backend's counters to pg_stat_database when idle
declare -A CPU1=()
for d in $DAEMONS; do CPU1[$d]=$(cpu_ms "${PIDS[$d]}"); CPU1[pg-$d]=$(cpu_ms "${BACKEND[bangdai_$d]}"); done
for a in $AGENTS; do CPU1[dept-$a]=$(cpu_ms "${PIDS[dept-$a]}"); done
CPU1[pg-other]=$(pg_other_cpu)
COMMITS1=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
sql "SELECT r.rolname, sum(s.calls), sum(s.calls) FILTER (WHERE s.query ~* '^(begin|commit|rollback|start|end)'),
            sum(s.plans), round(sum(s.total_plan_time)::numeric, 1), round(sum(s.total_exec_time)::numeric, 1)
       FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
      WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = '$DB') AND r.rolname LIKE 'bangdai\_%'
      GROUP BY 1 ORDER BY 1" >"$T/statements.txt"
sql "SELECT s.calls, s.plans, round(s.total_exec_time::numeric, 1), round(s.mean_exec_time::numeric, 3),
            r.rolname, regexp_replace(left(s.query, 90), '\s+', ' ', 'g')
       FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
      WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = '$DB') AND r.rolname LIKE 'bangdai\_%'
      ORDER BY s.total_exec_time DESC LIMIT 12" >"$T/top-statements.txt"
declare -A HWM=()
for d in $DAEMONS; do HWM[$d]=$(hwm_kb "${PIDS[$d]}"); HWM[pg-$d]=$(hwm_kb "${BACKEND[bangdai_$d]}"); done
for a in $AGENTS; do HWM[dept-$a]=$(hwm_kb "${PIDS[dept-$a]}"); done

# ---- the counts ------------------------------------------------------------
# Every phase has drained as far as the generator sees (its cases' files are
# in the spools); the router may still be working through the agents' Acks
# after the overload phases: wait for that (bounded), and say how long.
SUBMITTED=0 COMPLETED=0 MEASURED=0
while read -r label rest; do
  SUBMITTED=$(( SUBMITTED + $(field " $rest" submitted) ))
  COMPLETED=$(( COMPLETED + $(field " $rest" completed) ))
  [ "$label" = warmup ] || MEASURED=$(( MEASURED + $(field " $rest" completed) ))
done <"$PHASES"
check() {   # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS $1: $3"; else echo "FAIL $1: expected $2, got $3"; FAILED=1; fi
}
received_all() { [ "$(sql "SELECT count(*) FROM router.tasks WHERE state = 'RECEIVED'")" = $(( TASKS * SUBMITTED )) ]; }
drain_start=$(date +%s.%N)
for i in $(seq 1200); do received_all && break; sleep 0.1; done
say "router caught up with the agents' Acks after $(awk -v a="$drain_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
CHECKS=$(
  check "every submitted case completed (generator)" "$SUBMITTED" "$COMPLETED"
  check "intake cases = submits" "$SUBMITTED" "$(sql "SELECT count(*) FROM intake.cases")"
  check "distinct request ids at intake" "$SUBMITTED" "$(sql "SELECT count(DISTINCT request_id) FROM intake.cases")"
  check "router tasks = $TASKS x cases" $(( TASKS * SUBMITTED )) "$(sql "SELECT count(*) FROM router.tasks")"
  check "router tasks RECEIVED = $TASKS x cases" $(( TASKS * SUBMITTED )) \
    "$(sql "SELECT count(*) FROM router.tasks WHERE state = 'RECEIVED'")"
  check "spool .task files = $TASKS x cases" $(( TASKS * SUBMITTED )) \
    "$(find "$T/spool" -name '*.task' ! -name '.*' | wc -l)"
  check "generator: no extra, duplicate or foreign task, no lost event" 0 \
    "$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(extra_tasks|duplicates|foreign_tasks|lost_events|refused|unanswered|incomplete)=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' "$PHASES")"
)
grep -q FAIL <<<"$CHECKS" && FAILED=1

# Reliable-link messages per case: every daemon's outbox rows (kept for the
# retention window, far longer than a run) over the cases, once nothing is
# left unacknowledged (bounded), by type.
outbox_all() {   # outbox_all COLUMNS WHERE: one UNION over the five schemas
  local q="" d
  for d in $DAEMONS; do q="$q${q:+ UNION ALL }SELECT $1 FROM $d.outbox $2"; done
  echo "$q"
}
for i in $(seq 300); do
  [ "$(sql "SELECT count(*) FROM ($(outbox_all 1 'WHERE acked_at IS NULL')) u")" = 0 ] && break
  sleep 0.2
done
LINK_MSGS=$(sql "SELECT count(*) FROM ($(outbox_all 1 '')) u")
LINK_TYPES=$(sql "SELECT string_agg(type || ' ' || to_char(n::numeric / $SUBMITTED, 'FM990.00'), ', ' ORDER BY n DESC)
                    FROM (SELECT type, count(*) n FROM ($(outbox_all type '')) u GROUP BY 1) t")

# ---- --scale N: what must stay flat as the open tasks grow ----------------
# The statements are the daemons' own (router_tasks.c pick_load,
# router_dept.c router_task_list, and the tracker's due scan that the
# reminders read, deploy/sql/005_scale.sql), prepared as the daemons
# prepare them, timed by EXPLAIN ANALYZE (Execution Time), median of 9.
SCALE_OUT="$T/scale.txt"
: >"$SCALE_OUT"
probe() {   # probe LABEL SQL-PREPARE EXECUTE-ARGS: median execution ms; plan to $T/scale-explain.txt
  local label=$1 prep=$2 args=$3 ms
  ms=$(psql -qAtX -v ON_ERROR_STOP=1 <<SQL 2>>"$T/log/scale.log" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' | sort -n | sed -n 5p
SET plan_cache_mode = force_generic_plan;
PREPARE p AS $prep;
$(for i in 1 2 3 4 5 6 7 8 9; do echo "EXPLAIN (ANALYZE) EXECUTE p$args;"; done)
SQL
)
  { echo "== $label"; psql -qAtX -c "SET plan_cache_mode = force_generic_plan" \
      -c "PREPARE p AS $prep" -c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE p$args"; } >>"$T/scale-explain.txt" 2>&1
  printf '  %-46s %8s ms   %s\n' "$label" "${ms:-?}" \
    "$(awk -v l="== $label" '$0 == l { on = 1; next } on && /Index|Seq Scan|Bitmap/ { sub(/^[ ->]*/, ""); sub(/  \(cost.*/, ""); print; exit }' "$T/scale-explain.txt")" \
    >>"$SCALE_OUT"
}
if [ "$SCALE" -gt 0 ]; then
  say "scale: adding $SCALE open tasks"
  s0=$(now_ms)
  psql -qAtX -v ON_ERROR_STOP=1 -v n="$SCALE" >>"$T/log/scale.log" 2>&1 <<'SQL' || { echo "bench: --scale: the inserts failed (log/scale.log)" >&2; exit 2; }
BEGIN;
CREATE TEMP TABLE sp AS
  SELECT (row_number() OVER (ORDER BY dept, specialist_id)) - 1 AS i, dept, specialist_id
  FROM (SELECT DISTINCT dept, specialist_id FROM router.tasks) s;
INSERT INTO router.cases (case_no, service_type, delivery, task_count)
  SELECT 'SCALE-' || g, 'agency', 'together', 1 FROM generate_series(1, :n) g;
-- The workload counter's triggers are off for the load (the insert's
-- statement trigger would hold the million new rows in a transition table);
-- the counts are then set as the triggers would have left them.
ALTER TABLE router.tasks DISABLE TRIGGER USER;
INSERT INTO router.tasks (task_id, case_no, item_code, dept, specialist_id, state, kind, due_on)
  SELECT 'SCALE-' || g || '-T1', 'SCALE-' || g, 'LX-BA', sp.dept, sp.specialist_id, 'RECEIVED', 'item',
         current_date + (g % 400)
  FROM generate_series(1, :n) g JOIN sp ON sp.i = g % (SELECT count(*) FROM sp);
ALTER TABLE router.tasks ENABLE TRIGGER USER;
INSERT INTO router.specialist_load AS l (dept, specialist_id, open_tasks)
  SELECT dept, specialist_id, count(*) FROM router.tasks
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED') GROUP BY 1, 2
  ON CONFLICT (dept, specialist_id) DO UPDATE SET open_tasks = EXCLUDED.open_tasks;
INSERT INTO tracker.deadlines (task_id, case_no, item_code, dept, specialist, state, started_on, promised_days, due_on, kind)
  SELECT task_id, case_no, item_code, dept, specialist_id, state, current_date, 20, due_on, 'item'
  FROM router.tasks WHERE task_id LIKE 'SCALE-%';
-- As the reminder scan leaves them: each row's next look on its warning
-- day (here 3 days before it is due).
UPDATE tracker.deadlines SET remind_next = due_on - 3 WHERE task_id LIKE 'SCALE-%';
COMMIT;
VACUUM ANALYZE router.tasks;
VACUUM ANALYZE tracker.deadlines;
VACUUM ANALYZE router.specialist_load;
SQL
  s1=$(now_ms)
  big=$(sql "SELECT dept FROM router.tasks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
  open_big=$(sql "SELECT count(*) FROM router.tasks WHERE dept = '$big' AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')")
  mid=$(sql "SELECT coalesce(to_char(due_on, 'YYYY-MM-DD'), 'infinity') || '|' || task_id FROM router.tasks
             WHERE dept = '$big' AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
             ORDER BY coalesce(due_on, 'infinity'::date), task_id OFFSET $(( open_big / 2 )) LIMIT 1")
  LIST="SELECT task_id, case_no, kind, coalesce(item_code, ''), specialist_id, state,
          coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), coalesce(to_char(due_on, 'YYYY-MM-DD'), 'infinity') || '|' || task_id
        FROM router.tasks WHERE dept = \$1 AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
          AND (\$2::text IS NULL OR specialist_id = \$2)
          AND (coalesce(due_on, 'infinity'::date), task_id) > (\$3::date, \$4::text)
        ORDER BY coalesce(due_on, 'infinity'::date), task_id LIMIT \$5::int"
  probe "pick: workload of $big" \
    "SELECT dept, specialist_id, open_tasks FROM router.specialist_load WHERE dept = ANY(\$1::text[])" "('{$big}')"
  probe "list: $big, first page of 100" "$LIST" "('$big', NULL, '-infinity', '', 101)"
  probe "list: $big, a page in the middle" "$LIST" "('$big', NULL, '${mid%%|*}', '${mid#*|}', 101)"
  DUE="SELECT task_id, case_no, dept, specialist, due_on FROM tracker.deadlines
       WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED') AND due_on <= \$1::date ORDER BY due_on"
  probe "due scan: the next 1000 due" "$DUE LIMIT 1000" "(current_date + 400)"
  probe "due scan: all due by tomorrow ($(sql "SELECT count(*) FROM tracker.deadlines WHERE due_on <= current_date + 1"))" "$DUE" "(current_date + 1)"
  # The reminder scan itself (services/tracker/tracker_remind.c, scan_work):
  # a batch of the deadlines due for a look today, claimed.
  SCAN="SELECT task_id, case_no, item_code, dept, coalesce(specialist, ''), to_char(due_on, 'YYYY-MM-DD')
        FROM tracker.deadlines
        WHERE remind_next <= \$1::date AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
          AND kind = 'item' AND due_on IS NOT NULL AND paused_kind IS NULL
        ORDER BY remind_next, task_id LIMIT \$2::int FOR UPDATE SKIP LOCKED"
  probe "reminder scan: 1000 due for a look ($(sql "SELECT count(*) FROM tracker.deadlines WHERE remind_next <= current_date") in all)" \
    "$SCAN" "(current_date, 1000)"
  run_bench "scale-closed-1" --closed 1 --duration "$PHASE_S"
  { echo "scale: $SCALE more open tasks (router.tasks, tracker.deadlines; $open_big open in $big), added in $(( (s1 - s0) / 1000 )) s"
    echo "  statement (median of 9, generic plan)             time   plan"
    cat "$SCALE_OUT"
    r=" $(grep '^scale-closed-1 ' "$PHASES" | cut -d' ' -f2-)"
    echo "  closed loop K = 1 with them: $(field "$r" cases_per_s) cases/s, p50 $(field "$r" p50_ms) ms" \
         "(before: $(field " $(grep '^closed-1 ' "$PHASES" | cut -d' ' -f2-)" cases_per_s) cases/s)"
    echo "  (plans with buffers: scale-explain.txt, kept with --keep)"; } >"$T/scale-table.txt"
fi

# ---- pgbench: a one-statement transaction, in the same cluster -------------
say "pgbench: scale $PGB_SCALE, ${PGB_S}s at 1 and at 8 clients"
createdb bench_pgbench || exit 2
"$PGBIN/pgbench" -i -q -s "$PGB_SCALE" bench_pgbench >"$T/log/pgbench-init.log" 2>&1 \
  || { cat "$T/log/pgbench-init.log" >&2; exit 2; }
printf '%s\n' '\set aid random(1, 100000 * :scale)' \
  'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;' >"$T/one-step.sql"
pgb() {
  "$PGBIN/pgbench" -n -M prepared -f "$T/one-step.sql" -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" -T "$PGB_S" \
    bench_pgbench 2>>"$T/log/pgbench.log" | tee -a "$T/log/pgbench.log" |
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -n1
}
PGB1=$(pgb 1); PGB8=$(pgb 8)
[ -n "$PGB1" ] && [ -n "$PGB8" ] || { echo "FAIL pgbench did not report tps" >&2; FAILED=1; }

# ---- the table -------------------------------------------------------------
LOAD_S=$(awk -v a="$T_LOAD0" -v b="$T_LOAD1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
COMMITS=$(( COMMITS1 - COMMITS0 ))
per_case() { awk -v x="$1" -v n="$MEASURED" 'BEGIN { if (n > 0) printf "%.2f", x / n; else print "-" }'; }
best_k="" best_rate=0
{
  echo "bangdai benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo),"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && echo ' (modified)'), PostgreSQL $(sql 'SHOW server_version'), fsync $(sql 'SHOW fsync'), phases of ${PHASE_S}s$([ $SMOKE = 1 ] && echo ', SMOKE (figures mean nothing)')"
  echo "a case: $(basename "$APP"), $TASKS tasks; done when its last task is stored by its agent"
  echo
  echo "closed loop (K cases outstanding)      cases/s   p50 ms   p99 ms   max ms  cases"
  while read -r label rest; do
    case $label in closed-*) ;; *) continue ;; esac
    r=" $rest"
    printf '  K = %-4s                           %8s %8s %8s %8s %6s\n' "${label#closed-}" \
      "$(field "$r" cases_per_s)" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" "$(field "$r" max_ms)" "$(field "$r" completed)"
  done <"$PHASES"
  echo
  echo "open loop (offered cases/s)  done/s   p50 ms   p90 ms   p99 ms   max ms  cases  skipped"
  while read -r label rest; do
    case $label in open-*) ;; *) continue ;; esac
    r=" $rest"
    printf '  %6s/s              %8s %8s %8s %8s %8s %6s %8s\n' "${label#open-}" \
      "$(field "$r" cases_per_s)" "$(field "$r" p50_ms)" "$(field "$r" p90_ms)" "$(field "$r" p99_ms)" \
      "$(field "$r" max_ms)" "$(field "$r" completed)" "$(field "$r" skipped)"
  done <"$PHASES"
  echo "  (skipped: offers not sent because min(2 s worth, 400) cases were already in flight)"
  echo
  echo "per case, over the $MEASURED cases of the measured phases (${LOAD_S}s):"
  total_stmts=0 total_tx=0
  planning=""
  while IFS='|' read -r role calls txcalls plans plan_ms exec_ms; do
    total_stmts=$(( total_stmts + calls )); total_tx=$(( total_tx + ${txcalls:-0} ))
    case $role in bangdai_intake|bangdai_router|bangdai_tracker) ;; *) continue ;; esac
    planning+=$(awk -v r="${role#bangdai_}" -v c="$calls" -v p="${plans:-0}" -v pm="${plan_ms:-0}" -v em="${exec_ms:-0}" \
      'BEGIN { printf " %s %.0f %% planned, %.0f %% of its time;", r, (c ? 100 * p / c : 0), ((pm + em) ? 100 * pm / (pm + em) : 0) }')
  done <"$T/statements.txt"
  echo "  statements/case $(per_case $total_stmts) (of which BEGIN/COMMIT $(per_case $total_tx)); commits/case $(per_case $COMMITS)"
  echo "  planning (statements planned rather than run from a cached plan; planning's share of their time):${planning%;}"
  echo "  reliable-link messages/case $(awk -v m="$LINK_MSGS" -v c="$SUBMITTED" 'BEGIN { printf "%.2f", m / c }')" \
       "(all $SUBMITTED cases of the run): $LINK_TYPES"
  printf '  %-12s %10s %12s %12s %12s %12s\n' "" "statements" "CPU ms" "backend CPU" "peak RSS MB" "backend RSS"
  for d in $DAEMONS; do
    calls=$(awk -F'|' -v r="bangdai_$d" '$1 == r { print $2 }' "$T/statements.txt")
    printf '  %-12s %10s %12s %12s %12s %12s\n' "$d" "$(per_case "${calls:-0}")" \
      "$(per_case $(( CPU1[$d] - CPU0[$d] )))" "$(per_case $(( CPU1[pg-$d] - CPU0[pg-$d] )))" \
      "$(awk -v k="${HWM[$d]}" 'BEGIN { printf "%.1f", k / 1024 }')" \
      "$(awk -v k="${HWM[pg-$d]}" 'BEGIN { printf "%.1f", k / 1024 }')"
  done
  for a in $AGENTS; do
    printf '  %-12s %10s %12s %12s %12s %12s\n' "agent $a" "-" "$(per_case $(( CPU1[dept-$a] - CPU0[dept-$a] )))" "-" \
      "$(awk -v k="${HWM[dept-$a]}" 'BEGIN { printf "%.1f", k / 1024 }')" "-"
  done
  printf '  %-12s %10s %12s\n' "postgres rest" "-" "$(per_case $(( CPU1[pg-other] - CPU0[pg-other] )))"
  echo "  (postgres rest: the postmaster and its other processes: checkpointer, WAL writer, ...)"
  echo
  printf '  start -> ready ms:'
  for d in $DAEMONS; do printf ' %s %s,' "$d" "${READY_MS[$d]}"; done
  for a in $AGENTS; do printf ' agent %s %s,' "$a" "${READY_MS[dept-$a]}"; done
  echo
  echo
  for l in $(awk '$1 ~ /^closed-/ { for (i = 2; i <= NF; i++) if ($i ~ /^cases_per_s=/) { split($i, kv, "="); print $1 "=" kv[2] } }' "$PHASES"); do
    v=${l#*=}
    if awk -v v="$v" -v b="$best_rate" 'BEGIN { exit !(v > b) }'; then best_rate=$v; best_k=${l%%=*}; best_k=${best_k#closed-}; fi
  done
  echo "pgbench (one UPDATE of a random pgbench_accounts row per transaction, -M prepared, scale $PGB_SCALE, ${PGB_S}s):"
  echo "  1 client ${PGB1:-?} tx/s, 8 clients ${PGB8:-?} tx/s"
  awk -v r="$best_rate" -v k="$best_k" -v c="$COMMITS" -v n="$MEASURED" -v p1="${PGB1:-0}" -v p8="${PGB8:-0}" 'BEGIN {
    cpc = n > 0 ? c / n : 0
    printf "  bangdai at its best closed loop (K = %s): %.1f cases/s x %.2f commits/case = %.0f commits/s\n", k, r, cpc, r * cpc
    if (p8 > 0) printf "  ratio: %.2f of pgbench at 8 clients (%.2f of 1 client)\n", r * cpc / p8, (p1 > 0 ? r * cpc / p1 : 0)
  }'
  if [ "$SCALE" -gt 0 ]; then echo; cat "$T/scale-table.txt"; fi
  echo
  echo "checks:"
  sed 's/^/  /' <<<"$CHECKS"
} | tee "$T/table.txt"

if [ $SMOKE = 0 ]; then
  echo
  echo "top statements by total time (calls, plans, total ms, mean ms, role, query):"
  sed 's/^/  /' "$T/top-statements.txt"
fi
cp "$T/table.txt" "$BUILD/bench-last.txt" 2>/dev/null || true

if [ $SMOKE = 1 ]; then
  # The smoke run asserts that it ran and counted, never a speed: every
  # phase produced its line, and the table has its rows.
  [ "$(grep -c . "$PHASES")" = $(( 1 + $(wc -w <<<"$CLOSED_KS") + $(wc -w <<<"$OPEN_RATES") + (SCALE > 0) )) ] \
    || { echo "FAIL: not every phase ran" >&2; FAILED=1; }
  [ "$MEASURED" -gt 0 ] || { echo "FAIL: no case measured" >&2; FAILED=1; }
fi
if [ $FAILED = 1 ]; then echo "bench: FAILED (a count check)" >&2; exit 1; fi
echo "bench: all count checks passed"
exit 0
