#!/usr/bin/env bash
# The reliable link keeps order across restarts (issue 6, finding 1): a
# consumer that was down gets the older messages before the newer ones, a
# producer charges no back-off while its consumer is unreachable, and what
# arrives late never moves a task or a case backwards.
. "$(dirname "$0")/lib.sh"

# The production back-off (1 s doubling to 30 s): with the old relay, rows
# tried while the tracker was down waited out seconds of back-off after it
# came back, and newer rows overtook them.
sed -i -e "s/resend_initial_ms: [0-9]*/resend_initial_ms: 1000/" \
       -e "s/resend_max_ms: [0-9]*/resend_max_ms: 30000/" "$T/config.yaml"

state_of() { sql "SELECT state FROM router.tasks WHERE task_id = '$1'"; }
no_refusals() {
  for s in intake router tracker delivery evaluation; do
    [ "$(sql "SELECT count(*) FROM $s.inbox WHERE error_code IS NOT NULL")" = 0 ] \
      || fail "$s stored a refusal: $(sql "SELECT type, error_code, error_message FROM $s.inbox WHERE error_code IS NOT NULL")"
    [ "$(sql "SELECT count(*) FROM $s.outbox WHERE error IS NOT NULL")" = 0 ] \
      || fail "a message of $s was refused: $(sql "SELECT type, dest, error FROM $s.outbox WHERE error IS NOT NULL")"
  done
  ! grep -h '"event":"message.refused"' "$T"/*.log || fail "a message was refused"
}
drained() {
  for s in intake router tracker delivery evaluation; do
    [ "$(sql "SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL")" = 0 ] || return 1
  done
}

for d in intake router delivery evaluation; do start $d; done
for d in fgw slj zjw gxq jw ghzy; do agent $d; done

# 1. The tracker is down while a 帮办 case is opened and its first item is
#    received.
c=$(submit "$(fresh_request help-school.yaml)")
t1="$c-T1"
wait_for "T1 received by its department" sql_is RECEIVED "SELECT state FROM router.tasks WHERE task_id = '$t1'"
dept_t1=$(sql "SELECT dept FROM router.tasks WHERE task_id = '$t1'")

# 2. The router tries the tracker and finds it unreachable, again and again
#    (32 scans, about 8 s: the old relay had earned 8 s of back-off by
#    then); none of that is a send, so none of it earns a back-off.
wait_for "the router found the tracker unreachable" logged_at_least 32 "$T/router.log" '"event":"relay.waiting".*tracker unreachable'
[ "$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'tracker' AND acked_at IS NULL")" -ge 2 ] \
  || fail "TaskChanged rows should wait for the tracker"
[ "$(sql "SELECT coalesce(max(attempts), 0) FROM router.outbox WHERE dest = 'tracker'")" = 0 ] \
  || fail "back-off charged while the tracker was down: $(sql "SELECT attempts, next_at - now() FROM router.outbox WHERE dest = 'tracker'")"

# 3. The tracker comes back and T1 moves on at once: SUBMITTED and APPROVED
#    are committed while the older ASSIGNED and RECEIVED are still waiting.
start tracker
dept update "$t1" submitted --dept "$dept_t1" --ref "LX-2026-0001" --accepted-on "$TEST_DAY" >/dev/null \
  || fail "submit T1"
dept update "$t1" approved --dept "$dept_t1" --doc "2026-LX-0001" --kind e_licence >/dev/null || fail "approve T1"

# The tracker applies them in the order they were committed: its state is
# the router's, the approval reached delivery, and nothing was refused.
wait_for "the tracker holds T1 APPROVED" sql_is APPROVED "SELECT state FROM tracker.deadlines WHERE task_id = '$t1'"
wait_for "delivery holds T1's result" sql_is 1 "SELECT count(*) FROM delivery.results WHERE task_id = '$t1'"
wait_for "every link drained" drained
[ "$(sql "SELECT last_seq FROM tracker.link_in WHERE sender = 'router@tracker'")" = \
  "$(sql "SELECT last FROM router.outbox_seq WHERE dest = 'tracker'")" ] || fail "the tracker did not apply every TaskChanged"
# Intake's view too: every task as the router has it (a decided item
# stays so until it is handed over).
[ "$(sql "SELECT count(*) FROM router.tasks r JOIN intake.case_tasks i USING (task_id) WHERE r.case_no = '$c'
          AND (r.state = i.state OR (r.state IN ('APPROVED', 'REJECTED') AND i.state = 'DELIVERED'))")" = \
  "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$c'")" ] \
  || fail "intake's task states differ from the router's: $(sql "SELECT r.task_id, r.state, i.state FROM router.tasks r LEFT JOIN intake.case_tasks i USING (task_id) WHERE r.case_no = '$c'")"
no_refusals

# 4. A withdrawal committed while the router is down comes after the case it
#    withdraws: the router opens the case, then cancels its tasks.
stop router
c2=$(submit "$(fresh_request agency-three-items.yaml)")
"$BIN/bangdai-hall" withdraw "$c2" --reason "项目调整" >/dev/null || fail "withdraw $c2"
start router
wait_for "the withdrawn case's tasks cancelled" all_tasks "$c2" CANCELLED 4
[ "$(sql "SELECT state FROM intake.cases WHERE case_no = '$c2'")" = WITHDRAWN ] || fail "case $c2 not WITHDRAWN"

# 5. A report that comes after the withdrawal does not bring the case back:
#    the last item is approved while delivery is down, the unit withdraws,
#    then delivery ends the service and evaluation opens a return visit.
stop delivery
c3=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
wait_for "two tasks RECEIVED" all_tasks "$c3" RECEIVED 2
move3() { dept update "$c3-T1" "$@" --dept zjw >/dev/null || fail "move $*"; }
move3 accepted --when "2026-11-30 09:00" --where "垫江县高新区项目现场"
move3 submitted --ref "GC-500231-2026-0009"
move3 approved --doc "500231202611280009" --kind paper
wait_for "the approval waits for delivery" sql_is 1 \
  "SELECT count(*) FROM tracker.outbox WHERE dest = 'delivery' AND case_no = '$c3' AND acked_at IS NULL"
"$BIN/bangdai-hall" withdraw "$c3" --reason "不再需要" >/dev/null || fail "withdraw $c3"
start delivery
deliver_all "$c3"
wait_for "evaluation opened the return visit" sql_is 1 "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c3'"
wait_for "every link drained" drained
[ "$(sql "SELECT state FROM intake.cases WHERE case_no = '$c3'")" = WITHDRAWN ] \
  || fail "a late report moved case $c3 out of WITHDRAWN: $(sql "SELECT state FROM intake.cases WHERE case_no = '$c3'")"
grep -q '"event":"case.state_kept".*'"$c3" "$T/intake.log" || fail "intake did not say it kept WITHDRAWN"
no_refusals

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
