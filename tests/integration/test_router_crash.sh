#!/usr/bin/env bash
# kill -9 of the router after intake committed but before the router
# acknowledged, then a restart: every task arrives exactly once. Counted in
# the router's rows (four tasks, four TaskAssigned, each acknowledged and
# received once) and in what the agents log for each message id (task.stored
# once); then an agent restarted after acknowledging gets nothing again.
. "$(dirname "$0")/lib.sh"

for d in intake tracker delivery evaluation; do start $d; done
for d in fgw slj zjw gxq; do agent $d; done

# 1. The router is down: intake still answers, with the case committed and
#    its CaseOpened waiting in intake's outbox.
case_no=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
[ "$(sql "SELECT count(*) FROM intake.outbox WHERE case_no = '$case_no' AND acked_at IS NULL")" = 1 ] \
  || fail "CaseOpened should wait unacknowledged in intake's outbox"

# 2. The router comes up, applies the case (tasks committed, TaskAssigned in
#    its outbox) and dies by SIGKILL before sending its acknowledgement.
start router BANGDAI_FAULT=crash-before-ack
wait_for "router killed after commit" sh -c "! kill -0 ${PIDS[router]} 2>/dev/null"
wait "${PIDS[router]}" 2>/dev/null && fail "router should have died" || st=$?
[ "$st" = 137 ] || fail "router exit status $st, expected 137 (SIGKILL)"
unset "PIDS[router]"
grep -q '"event":"service.fault_injected"' "$T/router.log" || fail "the router did not reach the fault point"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$case_no'")" = 4 ] || fail "router committed no tasks"
[ "$(sql "SELECT count(*) FROM intake.outbox WHERE case_no = '$case_no' AND acked_at IS NULL")" = 1 ] \
  || fail "intake's row must still be unacknowledged"

# 3. Restart: intake resends CaseOpened, the router's inbox knows it, the
#    tasks are not created again, and each agent stores its task once.
start router
wait_for "intake's CaseOpened acknowledged" \
  sql_is 0 "SELECT count(*) FROM intake.outbox WHERE case_no = '$case_no' AND acked_at IS NULL"
grep -q '"event":"message.duplicate"' "$T/router.log" || fail "the resent CaseOpened was not seen as a duplicate"
# The router's rows, and the hall's view through the tracker and intake: the
# restarted router's older TaskChanged(ASSIGNED) reach the tracker before
# the newer RECEIVED that agents reconnecting at once cause (the link's
# order), so the hall shows every task RECEIVED and nothing was refused.
wait_for "four tasks RECEIVED" sql_is 4 \
  "SELECT count(*) FROM router.tasks WHERE case_no = '$case_no' AND state = 'RECEIVED'"
wait_for "the hall shows four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
[ "$(sql "SELECT count(*) FROM router.outbox WHERE error IS NOT NULL")" = 0 ] \
  || fail "the tracker refused: $(sql "SELECT type, error FROM router.outbox WHERE error IS NOT NULL")"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$case_no'")" = 4 ] || fail "tasks created twice"
# Exactly one TaskAssigned per task, to the task's department, under the id
# the task records, acknowledged without error; one ASSIGNED>RECEIVED each.
[ "$(sql "SELECT count(*) FROM router.outbox WHERE type = 'TaskAssigned'")" = 4 ] || fail "TaskAssigned sent for new tasks"
[ "$(sql "SELECT count(*) FROM router.outbox o JOIN router.tasks t ON t.assign_msg_id = o.id
          WHERE o.type = 'TaskAssigned' AND o.dest = 'dept:' || t.dept AND t.case_no = '$case_no'
            AND o.acked_at IS NOT NULL AND o.error IS NULL")" = 4 ] \
  || fail "the TaskAssigned rows are not one acknowledged row per task"
[ "$(sql "SELECT count(*) FROM router.task_history h JOIN router.tasks t USING (task_id)
          WHERE t.case_no = '$case_no' AND h.from_state = 'ASSIGNED' AND h.to_state = 'RECEIVED'")" = 4 ] \
  || fail "a task was received more than once"
# Each agent stored its one task once, under that id, and nothing else.
# (An agent logs task.stored right after its Ack, so the router may have the
# Ack a moment before the line is written: wait for the line, then count.)
for d in fgw slj zjw gxq; do
  id=$(assign_id "$case_no" $d)
  wait_for "agent $d logged its task stored" logged_at_least 1 "$T/dept-$d.log" "\"msg\":\"$id\""
  [ "$(logged_for $d "$id" task.stored)" = 1 ] || fail "agent $d stored its task $(logged_for $d "$id" task.stored) times"
  [ "$(grep -c '"event":"task.stored"' "$T/dept-$d.log" || true)" = 1 ] \
    || fail "agent $d stored $(grep -c '"event":"task.stored"' "$T/dept-$d.log") tasks, expected 1"
done

# 4. An agent restarted after storing and acknowledging gets nothing again.
#    A new task for fgw after the restart is the barrier: were the old one
#    due again, the relay would send it first (oldest first, one connection).
fgw_id=$(assign_id "$case_no" fgw)
kill9 dept-fgw
agent fgw
wait_for "router saw the agent again" logged_at_least 2 "$T/router.log" '"event":"agent.connected","department":"fgw"'
barrier_task fgw LX-BA
[ "$(logged_for fgw "$fgw_id" message.duplicate)" = 0 ] || fail "an acknowledged task came again"
[ "$(logged_for fgw "$fgw_id" task.stored)" = 1 ] || fail "an acknowledged task was stored again"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
