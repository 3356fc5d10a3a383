#!/usr/bin/env bash
# tests/chaos/chaos.sh - the crash matrix (issue 6).
#
# Under load, kills one victim at a time at pseudo-random moments: one of the
# five daemons (kill -9), a department agent (kill -9) or PostgreSQL
# (pg_ctl stop -m immediate), and starts it again. Meanwhile a load driver
# submits cases (代办 and 帮办, with and without a zone), moves every item
# task through the states an agent reports (上门受理, 报送, 补正 and its
# return, 办结 or 不予许可) and withdraws some cases. Every command-line call
# is retried with the same request id (submit) or envelope id (--id) until it
# is answered or its deadline passes, and what was accepted is written down.
# After the load the system drains (no unacknowledged outbox row in any
# schema) and the checks compare what was accepted with what every daemon
# stored:
#   1. every accepted request id has one case (intake and router)
#   2. every case has exactly its tasks (router, tracker, intake)
#   3. every task has one spool file at its agent
#   4. every move has one history row (the whole history of each task, in order)
#   5. every daemon's view of every task (state, due date) and case agrees with the router's
#   6. every decided task has its delivery row
#   7. every ended case (items decided, handed over, confirmed) has its
#      return visit; no other case has one
#   8. withdrawn cases are WITHDRAWN at intake, their open tasks CANCELLED
#   9. no outbox row is left unacknowledged
#  10. no refusal is stored (inbox error_code, outbox error), none was answered
#  11. every call of the load was answered before its deadline
#  12. no process died unless killed
#  13. each specialist's workload counter equals their open tasks
# It prints the kills per victim with recovery times (from the restart until
# the outbox backlog present at the restart is acknowledged: p50/p90/max) and
# PASS/FAIL with counts for each check; the exit status is 1 when a check
# failed.
#
# The script runs its own PostgreSQL cluster in its temporary directory (it
# kills and restarts it), so it does not need the cluster of tests/run.sh.
#
# Usage: chaos.sh [--rounds N] [--seed S] [--cases N] [--workers N]
#                 [--backoff INITIAL_MS/MAX_MS] [--keep]
#   --backoff: the link's resend back-off (default the deployment's 1000/30000).
#   CHAOS_CORRUPT=1 breaks one thing per check after the drain (the harness's
#   own test: checks 1-10 and 13 must FAIL).
#   default (the short form, about two minutes): one round of 24 cases,
#   seed 20260601. A round is a load of --cases cases with kills, then a drain
#   and the checks (over every case so far). --keep keeps the temporary
#   directory (logs, ledger, database cluster stopped).
# Environment: BANGDAI_BUILD (default ROOT/build), BANGDAI_ROOT.
set -uo pipefail

ROOT=${BANGDAI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BANGDAI_ROOT=$ROOT    # deploy/lib.sh reads it
BUILD=${BANGDAI_BUILD:-$ROOT/build}
BIN="$BUILD/services"
ROUNDS=1 SEED=20260601 CASES=24 WORKERS=4 KEEP=0
# The deployment's resend back-off (deploy/config/dianjiang.yaml), not the
# short one of the integration tests: a crash must not depend on it.
RESEND_INITIAL=1000 RESEND_MAX=30000
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --backoff) RESEND_INITIAL=${2%/*}; RESEND_MAX=${2#*/}; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "usage: $0 [--rounds N] [--seed S] [--cases N] [--workers N] [--backoff MS/MS] [--keep]" >&2; exit 2 ;;
  esac
done
for v in "$ROUNDS" "$SEED" "$CASES" "$WORKERS" "$RESEND_INITIAL" "$RESEND_MAX"; do
  [[ $v =~ ^[0-9]+$ ]] || { echo "chaos: numbers only: '$v'" >&2; exit 2; }
done
[ "$WORKERS" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || { echo "chaos: --rounds and --workers at least 1" >&2; exit 2; }
if grep -q '^BANGDAI_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: the crash matrix runs in the build without sanitizers" >&2
  exit 77
fi
for p in bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation \
         bangdai-dept bangdai-hall bangdaictl; do
  [ -x "$BIN/$p" ] || { echo "chaos: $BIN/$p is missing (build first)" >&2; exit 2; }
done
. "$ROOT/deploy/lib.sh"
. "$ROOT/tests/checks.sh"   # checks 1-3, 9 and 10, shared with the integration tests
CONTACT_PHONE=$(bd_sample_phone)   # the samples' contact phone is masked; one number for the run
# The daemons' business day is 2026-11-30, the day the run reports 受理 on
# (common/envelope.h, business_now_us), whatever day it runs.
export BANGDAI_CLOCK_SHIFT_S=$(( $(date -u -d "2026-11-30 02:00:00" +%s) - $(date +%s) ))

# Bounds (seconds). The short form must end within the ctest timeout (300 s).
CALL_DEADLINE=90      # one command-line call, retried
RECEIVED_DEADLINE=90  # a case's tasks all RECEIVED
RECOVERY_TIMEOUT=20   # a victim's recovery
DRAIN_TIMEOUT=60      # the drain after the load
LOAD_LIMIT=$(( 120 + CASES * 3 ))   # the load of one round, hard stop
DAEMONS="intake router tracker delivery evaluation"
AGENTS="fgw slj zjw gxq ghzy cgj jw dbxq"
SCHEMAS="intake router tracker delivery evaluation"

T=$(mktemp -d /tmp/bangdai-chaos.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/ledger" "$T/plan" "$T/spool" "$T/app" "$T/log"
declare -A PIDS=()
KILLS="$T/kills.tsv"      # victim, kill time, down s, recovery s, ok|timeout
EXITS="$T/exits.tsv"      # unplanned exits: process, status
: >"$KILLS"; : >"$EXITS"

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
say() { printf '%s chaos: %s\n' "$(date +%H:%M:%S)" "$*"; }

# ---- PostgreSQL of our own ------------------------------------------------
unset PGHOST PGPORT PGUSER PGDATABASE
export PGPORT=5432
PGDIR="$T/pg"
# Durability against a crash of PostgreSQL's processes does not need fsync
# (the machine does not crash; the OS keeps what was written).
BANGDAI_PG_FSYNC=off bd_pg_start "$PGDIR" || { echo "chaos: PostgreSQL did not start" >&2; exit 1; }
PGBIN=$(bd_pg_bin)
DB=bangdai_chaos
export PGDATABASE=$DB
pg_kill() { bd_as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >>"$T/log/pg_ctl.log" 2>&1; }
pg_up() { BANGDAI_PG_FSYNC=off bd_pg_start "$PGDIR" >>"$T/log/pg_ctl.log" 2>&1; }

sql() { psql -qAtX -v ON_ERROR_STOP=1 -c "$1" 2>>"$T/log/psql.err"; }
pg_ready() { psql -qAtX -c 'SELECT 1' >/dev/null 2>&1; }

cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do kill "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
  jobs -p | xargs -r kill 2>/dev/null || true
  wait 2>/dev/null || true
  bd_pg_stop "$PGDIR"
  if [ $KEEP = 1 ] || { [ $rc != 0 ] && [ $rc != 77 ]; }; then
    echo "chaos: logs, ledger and cluster kept in $T" >&2
  else
    rm -rf "$T"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

createdb "$DB" || exit 1

# ---- configuration: free ports, short resend back-off, our own keys -------
bd_config_for "$T/config.yaml" "$DB" "$T/keys" \
  -e "s#resend_initial_ms: [0-9]*#resend_initial_ms: $RESEND_INITIAL#" \
  -e "s#resend_max_ms: [0-9]*#resend_max_ms: $RESEND_MAX#" \
  || { echo "chaos: could not adapt the configuration" >&2; exit 1; }
export BANGDAI_CONFIG="$T/config.yaml"
"$BIN/bangdaictl" keys init >"$T/log/keys.log" 2>&1 || { cat "$T/log/keys.log" >&2; exit 1; }
"$BIN/bangdaictl" migrate >"$T/log/migrate.log" 2>&1 || { cat "$T/log/migrate.log" >&2; exit 1; }

# ---- the processes ---------------------------------------------------------
start_proc() {   # start_proc NAME: a daemon (intake...) or an agent (dept-fgw)
  local name=$1
  case $name in
    dept-*) "$BIN/bangdai-dept" run --dept "${name#dept-}" --spool "$T/spool/${name#dept-}" \
              2>>"$T/log/$name.log" & ;;
    *) "$BIN/bangdai-$name" --log-level debug 2>>"$T/log/$name.log" & ;;
  esac
  PIDS[$name]=$!
}
kill9() {
  local pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
}
# reap: a process that died without being killed is written down and
# started again (as a supervisor would).
reap() {
  local name pid st
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    kill -0 "$pid" 2>/dev/null && continue
    st=0; wait "$pid" 2>/dev/null || st=$?
    printf '%s\t%s\t%s\n' "$name" "$st" "$(date +%T)" >>"$EXITS"
    say "UNPLANNED EXIT of $name (status $st); starting it again"
    start_proc "$name"
  done
}
for d in $DAEMONS; do start_proc "$d"; done
for a in $AGENTS; do start_proc "dept-$a"; done

# ---- the plan (all randomness comes from here, seeded) ---------------------
# Templates: name, file, service type, zone, items (code:dept).
declare -A TPL_FILE=( [A]=agency-three-items.yaml [B]=agency-eastern-district.yaml
                      [C]=help-school.yaml [D]=help-school.yaml )
declare -A TPL_TYPE=( [A]=agency [B]=agency [C]=help [D]=help )
declare -A TPL_ZONE=( [A]=gxq [B]=dbxq [C]= [D]=gxq )
declare -A TPL_ITEMS=( [A]="LX-BA:fgw GC-SBFA:slj SG-XK:zjw"
                       [B]="LX-BA:fgw LX-YDGH:ghzy GC-SBFA:slj GC-ZWDL:cgj"
                       [C]="LX-MBXX:jw GC-GHXK:ghzy"
                       [D]="LX-BA:fgw SG-XK:zjw" )
RANDOM=$SEED

# plan_case N: writes $T/plan/N: "TPL X", then steps "M item word", "W"
# (withdraw) and "S seconds" (a pause).
plan_case() {
  local n=$1 f="$T/plan/$1" tpl items type i k w len
  # (RANDOM only in this shell, never in $(...): a subshell has its own)
  local -a tpls=(A B C D)
  tpl=${tpls[RANDOM % 4]}
  type=${TPL_TYPE[$tpl]}
  read -ra items <<<"${TPL_ITEMS[$tpl]}"
  local -a seqs=() steps=()
  for i in "${!items[@]}"; do
    local s=""
    [ "$type" = agency ] && s="accepted"
    s="$s submitted"
    k=$(( RANDOM % 4 )); [ $k = 3 ] && k=1     # supplement rounds: 0, 1 or 2
    for ((j = 0; j < k; j++)); do s="$s supplement resupplied"; done
    if [ $k -gt 0 ] && [ $(( RANDOM % 6 )) = 0 ]; then
      s="${s% resupplied} rejected"              # refused while supplementing
    elif [ $(( RANDOM % 4 )) = 0 ]; then
      s="$s rejected"
    else
      s="$s approved"
    fi
    seqs[i]=$s
  done
  # round robin over the items, so every task moves while the others do
  local more=1 r=0
  while [ $more = 1 ]; do
    more=0
    for i in "${!items[@]}"; do
      local -a ws; read -ra ws <<<"${seqs[i]}"
      if [ $r -lt ${#ws[@]} ]; then steps+=("M $((i + 1)) ${ws[r]}"); more=1; fi
    done
    r=$((r + 1))
  done
  len=${#steps[@]}
  if [ $(( RANDOM % 5 )) = 0 ]; then          # withdrawn before its last move
    w=$(( RANDOM % len ))
    steps=("${steps[@]:0:w}" "W")
  fi
  { echo "TPL $tpl"
    for i in "${!steps[@]}"; do
      echo "${steps[i]}"
      printf 'S %d.%d\n' $(( RANDOM % 2 )) $(( RANDOM % 10 ))   # 0.0-1.9 s
    done; } >"$f"
}

# ---- the load driver (one worker: a subshell running its cases in turn) ----
# call DEADLINE NAME CMD...: runs CMD until it is answered: 0 done, 1 refused
# (not "internal": the database was away), 2 usage, 9 not answered in time.
call() {
  local deadline=$(( $(now_ms) + $1 * 1000 )) name=$2 rc; shift 2
  while :; do
    rc=0; "$@" >"$T/work/$name.out" 2>"$T/work/$name.err" || rc=$?
    case $rc in
      0) return 0 ;;
      1) grep -q '(internal)' "$T/work/$name.err" || return 1 ;;
      2) return 2 ;;
    esac
    [ "$(now_ms)" -lt $deadline ] || return 9
    sleep 0.2
  done
}

state_word() {
  case $1 in
    accepted) echo ACCEPTED_ONSITE ;; submitted) echo SUBMITTED ;;
    supplement) echo SUPPLEMENT_REQUESTED ;; resupplied) echo SUPPLEMENT_RECEIVED ;;
    approved) echo APPROVED ;; rejected) echo REJECTED ;;
  esac
}
is_final() { case $1 in APPROVED|REJECTED|CANCELLED|CLOSED) return 0 ;; esac; return 1; }

run_case() {   # run_case N LEDGER
  local n=$1 L=$2 f="$T/plan/$1" tpl type zone req yaml c rc i
  tpl=$(sed -n 's/^TPL //p' "$f"); type=${TPL_TYPE[$tpl]}; zone=${TPL_ZONE[$tpl]}
  local -a items; read -ra items <<<"${TPL_ITEMS[$tpl]}"
  req=$(cat /proc/sys/kernel/random/uuid)
  yaml="$T/app/case-$n.yaml"
  local codes; codes=$(for it in "${items[@]}"; do printf '%s, ' "${it%%:*}"; done)
  sed -e "s/^request_id: .*/request_id: $req/" -e "s/^items: .*/items: [${codes%, }]/" \
    "$ROOT/deploy/examples/${TPL_FILE[$tpl]}" >"$yaml"
  if [ "$tpl" = D ]; then sed -i "s/^  kind: 新建/  zone: gxq\n  kind: 新建/" "$yaml"; fi
  rc=0; call $CALL_DEADLINE "submit-$n" "$BIN/bangdai-hall" submit "$yaml" --contact-phone "$CONTACT_PHONE" || rc=$?
  if [ $rc != 0 ]; then
    echo "SUBMIT_FAILED $req $n rc=$rc $(tr '\n' ' ' <"$T/work/submit-$n.err" | cut -c1-200)" >>"$L"
    return
  fi
  c=$(head -n1 "$T/work/submit-$n.out")
  echo "ACCEPTED $req $c $tpl" >>"$L"
  # The tasks this case must have.
  local -a tid=() tkind=() tdept=() hist=()
  for i in "${!items[@]}"; do tid+=("$c-T$((i + 1))"); tkind+=(item); tdept+=("${items[i]#*:}"); done
  [ -n "$zone" ] && { tid+=("$c-C1"); tkind+=(coordination); tdept+=("$zone"); }
  if [ "$type" = help ]; then
    local h=0 seen=" "
    for i in "${!items[@]}"; do
      local d=${items[i]#*:}
      case $seen in *" $d "*) continue ;; esac
      seen="$seen$d "; h=$((h + 1))
      tid+=("$c-H$h"); tkind+=(help); tdept+=("$d")
    done
  fi
  for i in "${!tid[@]}"; do hist[i]="ASSIGNED RECEIVED"; done
  # Wait for every task RECEIVED (its agent stored it) before moving any.
  local want=${#tid[@]} got="" end=$(( $(now_ms) + RECEIVED_DEADLINE * 1000 )) uncertain=0 withdrawn=0
  while [ "$(now_ms)" -lt $end ]; do
    got=$(psql -qAtX -c "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND state = 'RECEIVED'" 2>/dev/null)
    [ "$got" = "$want" ] && break
    sleep 0.25
  done
  if [ "$got" != "$want" ]; then
    echo "STUCK $c not all $want tasks RECEIVED after ${RECEIVED_DEADLINE}s ($got)" >>"$L"
  else
    local kw a b task st id m=0
    while read -r kw a b; do
      [ $uncertain = 1 ] && break
      case $kw in
        S) sleep "$a" ;;
        M)
          i=$(( a - 1 )); task=${tid[i]}; st=$(state_word "$b"); id=$(cat /proc/sys/kernel/random/uuid)
          local -a extra=()
          case $b in
            accepted) extra=(--when "2026-11-30 09:30" --where "项目现场" --materials "项目备案证明") ;;
            submitted) extra=(--ref "REF-$task")
                       # A 帮办 item restarts its clock from the authority's 受理 of the filing.
                       [ "$type" = help ] && extra+=(--accepted-on 2026-11-30) ;;
            supplement) extra=(--missing "补充材料") ;;
            approved) if [ $(( n % 2 )) = 0 ]; then extra=(--doc "500231$(printf '%06d' "$n")$a" --kind e_licence)
                      else extra=(--doc "500231$(printf '%06d' "$n")$a" --kind paper); fi ;;
            rejected) extra=(--reason "不符合审批条件") ;;
          esac
          rc=0; call $CALL_DEADLINE "move-$task-$m" "$BIN/bangdai-dept" update "$task" "$b" \
                 --dept "${tdept[i]}" --id "$id" "${extra[@]}" || rc=$?
          m=$((m + 1))
          case $rc in
            0) hist[i]="${hist[i]} $st"; echo "MOVE $task $st $id" >>"$L" ;;
            1) echo "REFUSED $task $st $id $(tr '\n' ' ' <"$T/work/move-$task-$((m - 1)).err" | cut -c1-200)" >>"$L"; uncertain=1 ;;
            *) echo "NO_ANSWER $task $st $id rc=$rc $(tr '\n' ' ' <"$T/work/move-$task-$((m - 1)).err" | cut -c1-200)" >>"$L"; uncertain=1 ;;
          esac ;;
        W)
          rc=0; call $CALL_DEADLINE "withdraw-$c" "$BIN/bangdai-hall" withdraw "$c" --reason "项目暂缓" || rc=$?
          case $rc in
            0) withdrawn=1; echo "WITHDRAWN $c" >>"$L" ;;
            1) echo "REFUSED withdraw $c $(tr '\n' ' ' <"$T/work/withdraw-$c.err" | cut -c1-200)" >>"$L"; uncertain=1 ;;
            *) echo "NO_ANSWER withdraw $c rc=$rc" >>"$L"; uncertain=1 ;;
          esac ;;
      esac
    done < <(tail -n +2 "$f")
  fi
  # What a correct system holds in the end, task by task.
  local all_final=1 last
  for i in "${!tid[@]}"; do
    [ "${tkind[i]}" = item ] || continue
    last=${hist[i]##* }
    if ! is_final "$last"; then
      all_final=0
      [ $withdrawn = 1 ] && hist[i]="${hist[i]} CANCELLED"
    fi
  done
  for i in "${!tid[@]}"; do
    [ "${tkind[i]}" = item ] && continue
    if [ $withdrawn = 1 ]; then hist[i]="${hist[i]} CANCELLED"
    elif [ $all_final = 1 ]; then hist[i]="${hist[i]} CLOSED"; fi
  done
  # Every item decided: its results are handed over and the unit confirms
  # receipt (issue 10), so that the service ends. Under the same crashes.
  if [ $withdrawn = 0 ] && [ $uncertain = 0 ] && [ $all_final = 1 ]; then
    for i in "${!tid[@]}"; do
      [ "${tkind[i]}" = item ] || continue
      task=${tid[i]}
      rc=0; call $CALL_DEADLINE "deliver-$task" "$BIN/bangdai-dept" deliver "$task" --dept "${tdept[i]}" \
             --method in_person --receiver 张三 --receipt "R-$task" --id "$(cat /proc/sys/kernel/random/uuid)" || rc=$?
      [ $rc = 0 ] || { echo "NO_HANDOVER $task rc=$rc $(tr '\n' ' ' <"$T/work/deliver-$task.err" | cut -c1-200)" >>"$L"; uncertain=1; }
    done
    # The router acknowledges a handover before delivery has recorded it:
    # delivery waits for the tracker's decision (deferred while the tracker
    # is down), and intake confirms only what it shows handed over. So the
    # unit confirms again until every item says received.
    if [ $uncertain = 0 ]; then
      local want got=" " deadline=$(( $(now_ms) + CALL_DEADLINE * 1000 ))
      want=$(for i in "${!tid[@]}"; do [ "${tkind[i]}" = item ] && echo "${tid[i]}"; done | sort | tr '\n' ' ')
      while :; do
        rc=0; call $CALL_DEADLINE "receipt-$c" "$BIN/bangdai-hall" receipt "$c" || rc=$?
        [ $rc = 0 ] || [ $rc = 1 ] || break
        [ $rc = 0 ] && got=$(printf '%s\n' $got $(awk '$2 == "received" { print $1 }' "$T/work/receipt-$c.out") | sort -u | tr '\n' ' ')
        [ "${got# }" = "$want" ] && break
        [ "$(now_ms)" -lt $deadline ] || { rc=9; break; }
        sleep 0.5
      done
      [ "${got# }" = "$want" ] || { echo "NO_RECEIPT $c rc=$rc got:$got" >>"$L"; uncertain=1; }
    fi
  fi
  for i in "${!tid[@]}"; do
    local e=${hist[i]// /,}
    [ $uncertain = 1 ] && e="?"
    printf 'EXPECT %s %s %s %s %s\n' "$c" "${tid[i]}" "${tkind[i]}" "${tdept[i]}" "$e" >>"$L"
  done
  [ $withdrawn = 1 ] && echo "ENDS $c WITHDRAWN" >>"$L"
  [ $withdrawn = 0 ] && [ $uncertain = 0 ] && [ $all_final = 1 ] && echo "ENDS $c ENDED" >>"$L"
  [ $withdrawn = 0 ] && [ $uncertain = 0 ] && [ $all_final = 0 ] && echo "ENDS $c OPEN" >>"$L"
  true
}

worker() {   # worker W FIRST LAST ROUND
  local w=$1 first=$2 last=$3 round=$4 n L="$T/ledger/r$4-w$1.log"
  : >"$L"
  for ((n = first; n <= last; n++)); do
    [ $(( n % WORKERS )) = "$w" ] && run_case "$n" "$L"
  done
}

# ---- the killer --------------------------------------------------------------
# backlog_marks: per schema the highest seq of an unacknowledged outbox row.
backlog_marks() {
  local q="" s
  for s in $SCHEMAS; do
    q="$q${q:+ UNION ALL }SELECT '$s', coalesce(max(seq), 0) FROM $s.outbox WHERE acked_at IS NULL"
  done
  psql -qAtX -F ' ' -c "$q" 2>/dev/null
}
# backlog_left MARKS: how many of the rows up to the marks are still unacknowledged.
backlog_left() {
  local q="" s m
  while read -r s m; do
    q="$q${q:+ + }(SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL AND seq <= $m)"
  done <<<"$1"
  psql -qAtX -c "SELECT $q" 2>/dev/null
}

VICTIMS=(intake router tracker delivery evaluation agent postgres)
one_kill() {   # one_kill VICTIM DOWN_SECONDS
  local v=$1 down=$2 name t0 t1 t2 marks left end
  case $v in
    agent) local -a ag; read -ra ag <<<"$AGENTS"; name="dept-${ag[RANDOM % ${#ag[@]}]}" ;;
    *) name=$v ;;
  esac
  t0=$(now_ms)
  if [ "$v" = postgres ]; then pg_kill; else kill9 "$name"; fi
  sleep "$down"
  if [ "$v" = postgres ]; then pg_up || say "PostgreSQL did not start again (see $T/log/pg_ctl.log)"
  else start_proc "$name"; fi
  t1=$(now_ms)
  end=$(( t1 + RECOVERY_TIMEOUT * 1000 ))
  until pg_ready || [ "$(now_ms)" -ge $end ]; do sleep 0.1; done
  marks=$(backlog_marks); left=x
  while [ "$(now_ms)" -lt $end ]; do
    left=$(backlog_left "$marks")
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  t2=$(now_ms)
  local res=ok; [ "$left" = 0 ] || res=timeout
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$name" "$t0" "$down" "$(( t2 - t1 ))" "$res" >>"$KILLS"
  say "killed $name, down ${down}s, recovered in $(( t2 - t1 )) ms ($res$([ "$left" = 0 ] || echo ", $left rows of the backlog left"))"
}

# ---- drain and checks ------------------------------------------------------
unacked_total() { outbox_unacked $SCHEMAS; }
drain() {
  local end=$(( $(now_ms) + DRAIN_TIMEOUT * 1000 )) zeros=0 u
  while [ "$(now_ms)" -lt $end ]; do
    reap
    u=$(unacked_total)
    if [ "$u" = 0 ]; then zeros=$((zeros + 1)); [ $zeros -ge 3 ] && return 0; else zeros=0; fi
    sleep 0.5
  done
  return 1
}

CHECKS="$T/checks.txt"

load_ledger() {
  cat "$T"/ledger/*.log >"$T/ledger.all" 2>/dev/null || : >"$T/ledger.all"
  awk '$1 == "ACCEPTED" {print $2 "\t" $3 "\t" $4}' "$T/ledger.all" >"$T/accepted.tsv"
  awk '$1 == "EXPECT" {print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6}' "$T/ledger.all" >"$T/expect.tsv"
  awk '$1 == "ENDS" {print $2 "\t" $3}' "$T/ledger.all" >"$T/ends.tsv"
  ledger_spool_tsv "$BIN" "$T/spool" $AGENTS >"$T/spool.tsv"
  ledger_load "$T/accepted.tsv" "$T/expect.tsv" "$T/ends.tsv" "$T/spool.tsv"
}

# Each check: one query giving the number of failures and a detail, then
# (when failing) a query giving examples.
run_checks() {
  local n x d s q1 q2
  : >"$CHECKS"
  load_ledger
  echo "---- checks ($(wc -l <"$T/accepted.tsv") accepted cases, $(wc -l <"$T/expect.tsv") tasks)"

  # 1-3 (tests/checks.sh): every accepted request id one case, the same
  # number, at intake and router; every case exactly its tasks at the
  # router, the tracker and intake; every task one spool file
  check_accepted_one_case 1
  check_case_tasks 2
  check_spool_once "$T/spool" 3

  # 4. every move one history row: the whole history of each task, in order
  x=$(sql "SELECT e.task_id || ' expected ' || e.history || ' stored ' || coalesce(h.hist, '(none)')
           FROM ledger.expect e LEFT JOIN (
             SELECT task_id, string_agg(to_state, ',' ORDER BY id) AS hist
             FROM router.task_history WHERE event = 'move' GROUP BY task_id) h USING (task_id)
           WHERE e.history <> '?' AND h.hist IS DISTINCT FROM e.history")
  n=$(echo -n "$x" | grep -c . || true)
  d=$(sql "SELECT count(*) FROM ledger.expect WHERE history = '?'")
  local moves; moves=$(grep -c '^MOVE ' "$T/ledger.all" || true)
  local dup; dup=$(sql "SELECT count(*) FROM (SELECT task_id, from_state, to_state FROM router.task_history
                        WHERE event = 'move' GROUP BY 1, 2, 3 HAVING count(*) > 1
                        AND (coalesce(from_state, '-'), to_state) NOT IN (('SUPPLEMENT_RECEIVED', 'SUPPLEMENT_REQUESTED'),
                                 ('SUPPLEMENT_REQUESTED', 'SUPPLEMENT_RECEIVED'))) z")
  check "4 every move one history row (whole history, in order)" "$n" \
    "$n of $(wc -l <"$T/expect.tsv") tasks differ ($moves agent moves accepted; $d tasks not checked: a call failed; $dup repeated transitions)"
  examples "$x" 8

  # 5. every daemon's view agrees with the router's
  x=$(sql "SELECT 'tracker ' || r.task_id || ' router:' || r.state || ' tracker:' || coalesce(k.state, '(none)')
           FROM router.tasks r LEFT JOIN tracker.deadlines k USING (task_id)
           WHERE k.state IS DISTINCT FROM r.state
           UNION ALL
           SELECT 'intake ' || r.task_id || ' router:' || r.state || ' intake:' || coalesce(i.state, '(none)')
           FROM router.tasks r LEFT JOIN intake.case_tasks i USING (task_id)
           LEFT JOIN delivery.handovers h USING (task_id)
           WHERE i.state IS DISTINCT FROM
                 CASE WHEN r.kind = 'item' AND r.state IN ('APPROVED', 'REJECTED') THEN
                   CASE WHEN h.confirmed_at IS NOT NULL THEN 'DELIVERED'
                        WHEN h.handed_at IS NOT NULL THEN 'HANDED_OVER' ELSE r.state END
                 ELSE r.state END
           UNION ALL
           SELECT 'due ' || r.task_id || ' router:' || coalesce(r.due_on::text, '-') || ' tracker:' || coalesce(k.due_on::text, '-')
                  || ' intake:' || coalesce(i.due_date::text, '-')
           FROM router.tasks r JOIN tracker.deadlines k USING (task_id) JOIN intake.case_tasks i USING (task_id)
           WHERE r.due_on IS DISTINCT FROM k.due_on OR i.due_date IS DISTINCT FROM k.due_on
           UNION ALL
           SELECT 'intake-case ' || c.case_no || ' intake:' || ic.state || ' router withdrawn:' || (c.withdrawn_at IS NOT NULL)
           FROM router.cases c JOIN intake.cases ic USING (case_no)
           WHERE (c.withdrawn_at IS NOT NULL) <> (ic.state = 'WITHDRAWN')")
  n=$(echo -n "$x" | grep -c . || true)
  check "5 every daemon's view of tasks and cases = router's" "$n" \
    "tracker $(echo -n "$x" | grep -c '^tracker' || true), intake tasks $(echo -n "$x" | grep -c '^intake ' || true), due dates $(echo -n "$x" | grep -c '^due ' || true), intake cases $(echo -n "$x" | grep -c '^intake-case' || true) disagree"
  examples "$x" 8

  # 6. decided item tasks delivered, exactly those, with the same decision
  x=$(sql "SELECT 'undelivered ' || t.task_id || ' ' || t.state FROM router.tasks t
           WHERE t.kind = 'item' AND t.state IN ('APPROVED', 'REJECTED')
             AND NOT EXISTS (SELECT 1 FROM delivery.results d WHERE d.task_id = t.task_id AND d.decision = t.state)
           UNION ALL
           SELECT 'delivered but ' || d.task_id || ' is ' || coalesce(t.state, '(no task)') FROM delivery.results d
           LEFT JOIN router.tasks t USING (task_id) WHERE t.state IS DISTINCT FROM d.decision")
  n=$(echo -n "$x" | grep -c . || true)
  check "6 decided tasks have their delivery row" "$n" \
    "$n wrong of $(sql "SELECT count(*) FROM router.tasks WHERE kind = 'item' AND state IN ('APPROVED', 'REJECTED')") decided"
  examples "$x"

  # 7. a case whose items are all decided, handed over and confirmed (and
  #    not withdrawn) ended, has its return visit and is RETURN_VISIT_OPEN at
  #    intake; no other case is
  x=$(sql "WITH r AS (SELECT c.case_no, c.withdrawn_at IS NULL AND bool_and(t.state IN ('APPROVED', 'REJECTED'))
                             AND bool_and(h.confirmed_at IS NOT NULL) AS done
                      FROM router.cases c JOIN router.tasks t USING (case_no)
                      LEFT JOIN delivery.handovers h USING (task_id)
                      WHERE t.kind = 'item' GROUP BY c.case_no, c.withdrawn_at)
           SELECT r.case_no || ' done:' || r.done || ' ended:' || (dc.ended_at IS NOT NULL)
                  || ' visit:' || (v.case_no IS NOT NULL) || ' intake:' || coalesce(i.state, '-')
           FROM r LEFT JOIN delivery.cases dc USING (case_no) LEFT JOIN evaluation.return_visits v USING (case_no)
           LEFT JOIN intake.cases i USING (case_no)
           WHERE r.done <> (dc.ended_at IS NOT NULL) OR r.done <> (v.case_no IS NOT NULL)
              OR r.done <> (i.state = 'RETURN_VISIT_OPEN')
           UNION ALL
           SELECT e.case_no || ' the driver ended it; router not done' FROM ledger.ends e JOIN r USING (case_no)
           WHERE e.fate = 'ENDED' AND NOT r.done")
  n=$(echo -n "$x" | grep -c . || true)
  check "7 ended cases have their return visit, no other" "$n" \
    "$n wrong; $(sql "SELECT count(*) FROM evaluation.return_visits") visits, $(grep -c $'\tENDED$' "$T/ends.tsv" || true) cases ended by the load"
  examples "$x"

  # 8. withdrawn: WITHDRAWN at intake, withdrawn at the router, open tasks CANCELLED
  x=$(sql "SELECT e.case_no || ' intake:' || coalesce(i.state, '-') || ' router withdrawn:' || (c.withdrawn_at IS NOT NULL)
                  || ' open tasks:' || (SELECT count(*) FROM router.tasks t WHERE t.case_no = e.case_no
                                         AND t.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED'))
           FROM ledger.ends e LEFT JOIN intake.cases i USING (case_no) LEFT JOIN router.cases c USING (case_no)
           WHERE e.fate = 'WITHDRAWN' AND (i.state IS DISTINCT FROM 'WITHDRAWN' OR c.withdrawn_at IS NULL
                 OR EXISTS (SELECT 1 FROM router.tasks t WHERE t.case_no = e.case_no
                            AND t.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')))
           UNION ALL
           SELECT i.case_no || ' WITHDRAWN but the load never withdrew it' FROM intake.cases i
           WHERE i.state = 'WITHDRAWN' AND NOT EXISTS (SELECT 1 FROM ledger.ends e WHERE e.case_no = i.case_no AND e.fate = 'WITHDRAWN')")
  n=$(echo -n "$x" | grep -c . || true)
  check "8 withdrawn cases WITHDRAWN, open tasks CANCELLED" "$n" \
    "$n wrong of $(grep -c $'\tWITHDRAWN$' "$T/ends.tsv" || true) withdrawn"
  examples "$x"

  # 9, 10 (tests/checks.sh): no outbox row left unacknowledged; no
  # refusal stored, none answered to the load
  check_outbox_drained 9 $SCHEMAS
  check_no_refusals 10 "$T/ledger.all" $SCHEMAS

  # 11. every call of the load answered in time
  x=$(grep -E '^(NO_ANSWER|SUBMIT_FAILED|STUCK) ' "$T/ledger.all" || true)
  n=$(echo -n "$x" | grep -c . || true)
  check "11 every call of the load answered in time" "$n" \
    "$n not answered (deadline ${CALL_DEADLINE}s a call, ${RECEIVED_DEADLINE}s to RECEIVED)"
  examples "$x"

  # 12. no process died by itself
  n=$(wc -l <"$EXITS")
  check "12 no process died unless killed" "$n" "$n unplanned exits"
  examples "$(cat "$EXITS")"

  # 13 (tests/checks.sh): each specialist's workload counter, which the
  # pick reads, equals the open tasks counted from the tasks
  check_workload_counter 13
}

# corrupt: the harness's own test (CHAOS_CORRUPT=1): breaks one thing for
# each of checks 1-10 and 13 after the drain, so that each of them must FAIL.
corrupt() {
  say "CHAOS_CORRUPT=1: breaking what checks 1-10 and 13 look at"
  local f
  sql "UPDATE intake.cases SET request_id = '00000000-0000-4000-8000-000000000001'
         WHERE case_no = (SELECT min(case_no) FROM intake.cases);
       DELETE FROM tracker.deadlines WHERE task_id = (SELECT max(task_id) FROM tracker.deadlines WHERE kind <> 'item');
       DELETE FROM router.task_history WHERE id = (SELECT max(id) FROM router.task_history WHERE to_state = 'SUBMITTED');
       UPDATE tracker.deadlines SET state = 'SUBMITTED' WHERE task_id = (SELECT min(task_id) FROM tracker.deadlines WHERE state = 'APPROVED');
       DELETE FROM delivery.results WHERE task_id = (SELECT max(task_id) FROM delivery.results);
       DELETE FROM evaluation.return_visits WHERE case_no = (SELECT max(case_no) FROM evaluation.return_visits);
       UPDATE intake.cases SET state = 'IN_PROGRESS' WHERE case_no = (SELECT max(case_no) FROM intake.cases WHERE state = 'WITHDRAWN');
       UPDATE router.outbox SET acked_at = NULL, next_at = now() + interval '1 hour' WHERE seq = (SELECT max(seq) FROM router.outbox);
       UPDATE tracker.inbox SET error_code = 'conflict' WHERE id = (SELECT id FROM tracker.inbox LIMIT 1);
       UPDATE intake.outbox SET error = 'conflict' WHERE seq = (SELECT max(seq) FROM intake.outbox);
       UPDATE router.specialist_load SET open_tasks = open_tasks + 1
         WHERE (dept, specialist_id) = (SELECT dept, specialist_id FROM router.specialist_load LIMIT 1);" >/dev/null
  f=$(ls "$T/spool/fgw"/*.task | head -n1); rm -f "$f"
}

percentile() {   # percentile P < numbers (nearest rank)
  sort -n | awk -v p="$1" '{a[NR] = $1} END {if (NR == 0) {print "-"; exit} i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i]}'
}
report() {
  echo
  echo "==== crash matrix: seed $SEED, $ROUNDS round(s) of $CASES cases, $WORKERS workers"
  printf '%-11s %6s %9s %9s %9s %9s\n' victim kills "p50 ms" "p90 ms" "max ms" timeouts
  local v
  for v in "${VICTIMS[@]}" all; do
    local sel
    if [ $v = all ]; then sel=$(cat "$KILLS"); else sel=$(awk -F'\t' -v v="$v" '$1 == v' "$KILLS"); fi
    local k; k=$(echo -n "$sel" | grep -c . || true)
    printf '%-11s %6s %9s %9s %9s %9s\n' "$v" "$k" \
      "$(echo -n "$sel" | cut -f5 | percentile 50)" "$(echo -n "$sel" | cut -f5 | percentile 90)" \
      "$(echo -n "$sel" | cut -f5 | percentile 100)" "$(echo -n "$sel" | grep -c $'\ttimeout$' || true)"
  done
  echo "(recovery: from the restart until every outbox row unacknowledged at the restart is acknowledged;"
  echo " timeouts: not within ${RECOVERY_TIMEOUT}s)"
  echo
  cat "$CHECKS"
}

# ---- the rounds ----------------------------------------------------------------
say "seed $SEED, $ROUNDS round(s) of $CASES cases, $WORKERS workers; ports $((BASE + 1))-$((BASE + 7)); in $T"
mkdir -p "$T/work"
# Wait until every agent is connected before the load, so that the first
# recovery measures a restart and not the start.
end=$(( $(now_ms) + 30000 ))
until [ "$(grep -c '"event":"agent.connected"' "$T/log/router.log" 2>/dev/null || true)" -ge "$(echo $AGENTS | wc -w)" ] \
      || [ "$(now_ms)" -ge $end ]; do sleep 0.2; done
failed=0
for ((round = 1; round <= ROUNDS; round++)); do
  first=$(( (round - 1) * CASES + 1 )); last=$(( round * CASES ))
  for ((n = first; n <= last; n++)); do plan_case "$n"; done
  # The kill schedule of the round: victims, pauses and down times.
  declare -a K_V=() K_GAP=() K_DOWN=()
  for ((k = 0; k < 200; k++)); do
    K_V[k]=${VICTIMS[RANDOM % ${#VICTIMS[@]}]}
    K_GAP[k]=$(( 1 + RANDOM % 4 )).$(( RANDOM % 10 ))
    K_DOWN[k]=$(( RANDOM % 3 )).$(( RANDOM % 10 ))
  done
  say "round $round: cases $first-$last"
  wpids=()
  for ((w = 0; w < WORKERS; w++)); do
    worker "$w" "$first" "$last" "$round" &
    wpids+=($!)
  done
  load_end=$(( $(now_ms) + LOAD_LIMIT * 1000 ))
  k=0
  workers_alive() { local p; for p in "${wpids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  while workers_alive && [ "$(now_ms)" -lt $load_end ] && [ $k -lt 200 ]; do
    # pause (in small steps, so the end of the load is seen)
    gap_end=$(( $(now_ms) + ${K_GAP[k]/./} * 100 ))
    while [ "$(now_ms)" -lt $gap_end ] && workers_alive; do reap; sleep 0.2; done
    workers_alive || break
    one_kill "${K_V[k]}" "${K_DOWN[k]}"
    reap
    k=$((k + 1))
  done
  if workers_alive; then
    say "the load did not finish within ${LOAD_LIMIT}s; stopping it"
    for p in "${wpids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    echo "NO_ANSWER load stopped after ${LOAD_LIMIT}s" >>"$T/ledger/r$round-stopped.log"
  fi
  wait "${wpids[@]}" 2>/dev/null
  reap
  say "round $round: load done after $k kills; draining"
  if drain; then say "drained"; else say "NOT drained within ${DRAIN_TIMEOUT}s: $(unacked_total) rows unacknowledged"; fi
  [ "${CHAOS_CORRUPT:-0}" = 1 ] && corrupt
  run_checks
  grep -q '^FAIL' "$CHECKS" && failed=1
done
report
# Stop everything cleanly; a daemon that does not exit cleanly on SIGTERM counts.
for name in "${!PIDS[@]}"; do
  st=0; kill "${PIDS[$name]}" 2>/dev/null; wait "${PIDS[$name]}" 2>/dev/null || st=$?
  [ $st = 0 ] || { echo "chaos: $name exited with status $st on SIGTERM"; failed=1; }
  unset "PIDS[$name]"
done
if [ $failed = 0 ]; then echo "chaos: PASS"; else echo "chaos: FAIL (logs in $T/log)"; fi
exit $failed
