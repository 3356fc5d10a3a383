#!/usr/bin/env bash
# kill -9 of the router after intake committed but before the router
# acknowledged, then a restart: every task arrives exactly once.
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
wait_for "four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
[ "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$case_no'")" = 4 ] || fail "tasks created twice"
[ "$(sql "SELECT count(*) FROM router.outbox WHERE type = 'TaskAssigned'")" = 4 ] || fail "TaskAssigned sent for new tasks"
for d in fgw slj zjw gxq; do
  [ "$(ls "$T/spool/$d" | grep -c '\.task$')" = 1 ] || fail "agent $d holds $(ls "$T/spool/$d" | wc -l) tasks"
done

# 4. An agent restarted after storing and acknowledging gets nothing again.
kill9 dept-fgw
agent fgw
wait_for "router saw the agent again" logged_at_least 2 "$T/router.log" '"event":"agent.connected","department":"fgw"'
[ "$(grep -c '"event":"task.duplicate"' "$T/dept-fgw.log" || true)" = 0 ] || fail "an acknowledged task came again"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
