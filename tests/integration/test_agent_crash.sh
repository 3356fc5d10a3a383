#!/usr/bin/env bash
# The agent killed with kill -9 after receiving a task but before storing it
# gets the task again on restart; a task stored and acknowledged is not
# delivered twice.
. "$(dirname "$0")/lib.sh"

start_all
for d in slj gxq; do agent $d; done
# zjw's agent hands each new task to the department's own system (--exec).
mkdir -p "$T/hooked"
"$BIN/bangdai-dept" run --dept zjw --spool "$T/spool/zjw" \
  --exec "cp \"\$BANGDAI_SPOOL_FILE\" '$T/hooked/' && echo \"\$BANGDAI_TASK\" >>'$T/hooked/tasks'" \
  2>>"$T/dept-zjw.log" &
PIDS[dept-zjw]=$!
# The first fgw agent dies by SIGKILL as soon as a task reaches it.
BANGDAI_FAULT=agent-crash-before-store "$BIN/bangdai-dept" run --dept fgw --spool "$T/spool/fgw" 2>>"$T/dept-fgw.log" &
crashing=$!
PIDS[dept-fgw]=$crashing

case_no=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
st=0; wait "$crashing" || st=$?
unset "PIDS[dept-fgw]"
[ "$st" = 137 ] || fail "the fgw agent should have died by SIGKILL, status $st"
grep -q '"event":"agent.fault_injected"' "$T/dept-fgw.log" || fail "the agent did not reach the fault point"
[ -z "$(ls "$T/spool/fgw" 2>/dev/null | grep '\.task$')" ] || fail "the task was stored before the crash"
[ "$(sql "SELECT state FROM router.tasks WHERE case_no = '$case_no' AND dept = 'fgw'")" = ASSIGNED ] \
  || fail "the task must stay ASSIGNED: nothing acknowledged it"

agent fgw
wait_for "all four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
[ "$(ls "$T/spool/fgw" | grep -c '\.task$')" = 1 ] || fail "fgw stored $(ls "$T/spool/fgw" | grep -c '\.task$') tasks"

wait_for "the --exec hook ran" test -s "$T/hooked/tasks"
[ "$(cat "$T/hooked/tasks")" = "$case_no-T3" ] || fail "the --exec hook saw: $(cat "$T/hooked/tasks")"
cmp -s "$T/hooked/"*.task "$T/spool/zjw/"*.task || fail "the hook did not get the stored task"

# Stored and acknowledged: a restart brings nothing again.
kill9 dept-fgw
agent fgw
wait_for "router saw the agent again" logged_at_least 3 "$T/router.log" '"event":"agent.connected","department":"fgw"'
[ "$(ls "$T/spool/fgw" | grep -c '\.task$')" = 1 ] || fail "the acknowledged task came again"
[ "$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'dept:fgw' AND acked_at IS NULL")" = 0 ] \
  || fail "something for fgw is still unacknowledged"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
