#!/usr/bin/env bash
# SIGTERM under load (issue 11). While cases are submitted one after
# another (each retried with its request id until intake answers, as the
# hall does), each of the five daemons in turn and a department agent get
# SIGTERM: each finishes the batch in hand, logs that it stops and exits
# with status 0, and is started again. Then a router whose batch waits on
# a lock gets SIGTERM: it cannot finish the batch, so it gives up after
# the bound (service.stop_timeout, status 1) and what it held rolls back.
# In the end nothing acknowledged is lost and nothing is doubled: the
# crash matrix's checks (tests/checks.sh) -- every accepted submit has one
# case with exactly its tasks at the router, the tracker and intake, every
# task is stored once by its agent, no refusal, and the outboxes drain.
# A process still running 15 s after its SIGTERM fails the test (a hang
# detector; the bound itself is SHUTDOWN_LIMIT_S, common/shutdown.h).
. "$(dirname "$0")/lib.sh"

AGENTS="fgw slj zjw gxq"
start_all
for d in $AGENTS; do agent $d; done

# The load: agency-three-items.yaml again and again (tasks T1 fgw, T2 slj,
# T3 zjw and the zone's coordination task C1 gxq), written down as
# "ACCEPTED REQUEST CASE" once intake answered with its case number.
LEDGER="$T/ledger.log"
: >"$LEDGER"
load() {
  local f req c rc
  while [ ! -e "$T/load.stop" ]; do
    f=$(fresh_request agency-three-items.yaml)
    req=$(sed -n 's/^request_id: //p' "$f")
    while :; do
      rc=0; c=$(submit "$f" 2>"$T/load.err") || rc=$?
      case $rc in
        0) echo "ACCEPTED $req $c" >>"$LEDGER"; break ;;
        3) ;;                                                  # no answer: intake restarting
        1) grep -q "(internal)" "$T/load.err" && continue
           echo "REFUSED $req $(tail -n1 "$T/load.err")" >>"$LEDGER"; break ;;
        *) echo "REFUSED $req status $rc" >>"$LEDGER"; break ;;
      esac
    done
  done
}
load &
LOAD_PID=$!
accepted_at_least() { [ "$(grep -c '^ACCEPTED ' "$LEDGER" || true)" -ge "$1" ]; }
wait_for "the load under way" accepted_at_least 3

# sigterm NAME: SIGTERM, then its exit (15 s at most), whose status goes to
# $STATUS.
sigterm() {
  local name=$1 pid=${PIDS[$1]} i
  kill -TERM "$pid"
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; wait "$pid" || true; unset "PIDS[$name]"
    fail "$name still running 15 s after SIGTERM"
  fi
  STATUS=0; wait "$pid" || STATUS=$?
  unset "PIDS[$name]"
}

for v in intake router tracker delivery evaluation dept-fgw; do
  n=$(grep -c '^ACCEPTED ' "$LEDGER" || true)
  sigterm "$v"
  [ "$STATUS" = 0 ] || fail "$v exited with status $STATUS after SIGTERM (see $T/$v.log)"
  case $v in
    dept-*) grep -q '"event":"agent.stopping"' "$T/$v.log" || fail "$v did not log agent.stopping"
            agent "${v#dept-}" ;;
    *) grep -q '"event":"service.stopping"' "$T/$v.log" || fail "$v did not log service.stopping"
       start "$v" ;;
  esac
  ! grep -q '"event":"service.stop_timeout"' "$T/$v.log" || fail "$v needed the stop bound"
  note "$v: SIGTERM after $n cases, exit 0, started again"
  wait_for "two more cases accepted after $v's restart" accepted_at_least $((n + 2))
done

# A batch that cannot finish: the router's outbox locked by another
# session, so the router waits in its batch (or its relay's scan) on the
# lock. SIGTERM cannot be honoured by finishing the batch; after the bound
# the router exits with status 1, and PostgreSQL rolls back what it held.
PGAPPNAME=bd_locker psql -qAtX -d "$DB" -c "BEGIN; LOCK TABLE router.outbox IN ACCESS EXCLUSIVE MODE;
                                           SELECT pg_sleep(120);" >/dev/null 2>&1 &
LOCKER=$!
wait_for "the router waiting on the lock" sql_is 1 "SELECT count(*) FROM pg_stat_activity
  WHERE datname = '$DB' AND application_name = 'bangdai_router' AND wait_event_type = 'Lock'"
sigterm router
[ "$STATUS" = 1 ] || fail "the router stuck on a lock exited with status $STATUS, not 1 (the stop bound)"
grep -q '"event":"service.stop_timeout"' "$T/router.log" || fail "the router did not log service.stop_timeout"
note "a router stuck on a lock: service.stop_timeout, status 1"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bd_locker'" >/dev/null
wait "$LOCKER" 2>/dev/null || true
n=$(grep -c '^ACCEPTED ' "$LEDGER" || true)
start router
wait_for "two more cases accepted after the router's restart" accepted_at_least $((n + 2))

# The end of the load, and everything it started drained: every task
# RECEIVED (stored by its agent), every outbox acknowledged.
touch "$T/load.stop"
wait "$LOAD_PID" || fail "the load failed"
cases=$(grep -c '^ACCEPTED ' "$LEDGER")
drained() {
  sql_is $((cases * 4)) "SELECT count(*) FROM router.tasks WHERE state = 'RECEIVED'" &&
  [ "$(outbox_unacked intake router tracker delivery evaluation)" = 0 ]
}
wait_for "the $cases cases' tasks stored and the outboxes drained" drained

awk '$1 == "ACCEPTED" {print $2 "\t" $3 "\tA"}' "$LEDGER" >"$T/accepted.tsv"
awk '$1 == "ACCEPTED" {c = $3; print c "\t" c "-T1\titem\tfgw\t?"; print c "\t" c "-T2\titem\tslj\t?";
                       print c "\t" c "-T3\titem\tzjw\t?"; print c "\t" c "-C1\tcoordination\tgxq\t?"}' \
  "$LEDGER" >"$T/expect.tsv"
: >"$T/ends.tsv"
ledger_spool_tsv "$BIN" "$T/spool" $AGENTS >"$T/spool.tsv"
ledger_load "$T/accepted.tsv" "$T/expect.tsv" "$T/ends.tsv" "$T/spool.tsv"
note "checks over $cases accepted cases"
check_accepted_one_case 1
check_case_tasks 2
check_spool_once "$T/spool" 3
check_outbox_drained 4 intake router tracker delivery evaluation
check_no_refusals 5 "$LEDGER" intake router tracker delivery evaluation
check_workload_counter 6
! grep -q '^FAIL' "$CHECKS" || fail "the end-state checks failed (above)"
# Every line that names a task names its case.
task_lines_have_case
echo "PASS: test_sigterm ($cases cases)"
