#!/usr/bin/env bash
# Agent crashes, counted in what the agents log and what the router stored
# (a spool file cannot tell: the same id comes back to the same file name):
# - fgw's agent is killed after receiving its task, before storing it: on
#   restart the task comes again and is stored once (task.stored once for
#   its message id, one ASSIGNED>RECEIVED move).
# - slj's agent is killed after storing its task, before acknowledging it:
#   on restart the task comes again under the same id and is recognised
#   (message.duplicate), not stored a second time.
# - a task stored and acknowledged does not come again when the agent
#   restarts: proved by sending fgw a new task after the restart, which the
#   router's relay sends after anything older still due for fgw.
# - the --exec hook hands each new task to the department's system once.
. "$(dirname "$0")/lib.sh"

# receipts CASE DEPT: how many times the router moved DEPT's item task of
# CASE to RECEIVED.
receipts() {
  sql "SELECT count(*) FROM router.task_history h JOIN router.tasks t USING (task_id)
       WHERE t.case_no = '$1' AND t.dept = '$2' AND t.kind = 'item' AND h.to_state = 'RECEIVED'"
}

start_all
agent gxq
# zjw's agent hands each new task to the department's own system (--exec).
mkdir -p "$T/hooked"
"$BIN/bangdai-dept" run --dept zjw --spool "$T/spool/zjw" \
  --exec "cp \"\$BANGDAI_SPOOL_FILE\" '$T/hooked/' && echo \"\$BANGDAI_TASK\" >>'$T/hooked/tasks'" \
  2>>"$T/dept-zjw.log" &
PIDS[dept-zjw]=$!
# The first fgw agent dies by SIGKILL as soon as a task reaches it; the first
# slj agent right after it stored one.
BANGDAI_FAULT=agent-crash-before-store "$BIN/bangdai-dept" run --dept fgw --spool "$T/spool/fgw" 2>>"$T/dept-fgw.log" &
crash_fgw=$!
BANGDAI_FAULT=agent-crash-after-store "$BIN/bangdai-dept" run --dept slj --spool "$T/spool/slj" 2>>"$T/dept-slj.log" &
crash_slj=$!

case_no=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
for d in fgw slj; do
  pid=crash_$d; st=0; wait "${!pid}" || st=$?
  [ "$st" = 137 ] || fail "the $d agent should have died by SIGKILL, status $st"
  grep -q '"event":"agent.fault_injected"' "$T/dept-$d.log" || fail "the $d agent did not reach the fault point"
  [ "$(sql "SELECT state FROM router.tasks WHERE case_no = '$case_no' AND dept = '$d'")" = ASSIGNED ] \
    || fail "$d's task must stay ASSIGNED: nothing acknowledged it"
done
fgw_id=$(assign_id "$case_no" fgw); slj_id=$(assign_id "$case_no" slj)
[ "$(logged_for fgw "$fgw_id" task.stored)" = 0 ] || fail "fgw's task was stored before the crash"
# slj's agent wrote the file, then died before its Ack and its log line.
[ -f "$T/spool/slj/$slj_id.task" ] || fail "slj's task was not stored before the crash"

# Restart both: each task comes again, under the same id.
agent fgw
agent slj
wait_for "all four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
# (task.stored is logged right after the Ack: wait for the line, then count.)
wait_for "fgw logged its task stored" logged_at_least 1 "$T/dept-fgw.log" '"event":"task.stored"'
[ "$(logged_for fgw "$fgw_id" task.stored)" = 1 ] \
  || fail "fgw's agent stored its task $(logged_for fgw "$fgw_id" task.stored) times, expected once"
# The task slj stored but never acknowledged came again under its id, was
# recognised and not stored (nor handed on) a second time.
[ "$(logged_for slj "$slj_id" message.duplicate)" -ge 1 ] \
  || fail "slj's unacknowledged task did not come again as a duplicate"
[ "$(logged_for slj "$slj_id" task.stored)" = 0 ] || fail "slj's agent stored its task a second time"
for d in fgw slj; do
  [ "$(receipts "$case_no" $d)" = 1 ] || fail "$d's task was received $(receipts "$case_no" $d) times"
done
[ "$(sql "SELECT count(*) FROM router.outbox WHERE type = 'TaskAssigned' AND case_no = '$case_no' AND acked_at IS NOT NULL AND error IS NULL")" = 4 ] \
  || fail "not every TaskAssigned is acknowledged"

wait_for "the --exec hook ran" test -s "$T/hooked/tasks"
[ "$(cat "$T/hooked/tasks")" = "$case_no-T3" ] || fail "the --exec hook saw: $(cat "$T/hooked/tasks")"
cmp -s "$T/hooked/"*.task "$T/spool/zjw/"*.task || fail "the hook did not get the stored task"

# Stored and acknowledged: a restart brings nothing again. A new task for
# fgw after the restart is the barrier: were the old one due again, the
# relay would send it first (oldest first, over one connection).
kill9 dept-fgw
agent fgw
wait_for "router saw the agent again" logged_at_least 3 "$T/router.log" '"event":"agent.connected","department":"fgw"'
barrier_task fgw LX-BA
[ "$(logged_for fgw "$fgw_id" message.duplicate)" = 0 ] || fail "the acknowledged task came again after the restart"
[ "$(logged_for fgw "$fgw_id" task.stored)" = 1 ] || fail "the acknowledged task was stored again"
wait_for "nothing for fgw unacknowledged" \
  sql_is 0 "SELECT count(*) FROM router.outbox WHERE dest = 'dept:fgw' AND acked_at IS NULL"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
