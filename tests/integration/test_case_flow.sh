#!/usr/bin/env bash
# A submitted 代办 case with three items of three departments, for a project
# in the 高新区 zone, reaches three item agents and the zone body's agent,
# and runs to an opened return visit; every daemon's log follows it by case
# number.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done

# The contact gives a full mobile number (made up, and assembled here so that
# no full number stands in the repository): it is stored, never logged.
phone="139""0000""7777"
sed "s/phone: \"[^\"]*\"/phone: \"$phone\"/" "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/app.yaml"
case_no=$(submit "$T/app.yaml")
[ "$(sql "SELECT contact_phone FROM intake.cases WHERE case_no = '$case_no'")" = "$phone" ] \
  || fail "the contact's phone was not stored as given"
[[ $case_no =~ ^BD-500231-[0-9]{8}-[0-9]{5}$ ]] || fail "case number '$case_no'"
note "submitted $case_no"

# Each task is stored by its department's agent, which acknowledges it: RECEIVED.
wait_for "four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
for d in fgw slj zjw gxq; do
  n=$(ls "$T/spool/$d" | grep -c '\.task$' || true)
  [ "$n" = 1 ] || fail "agent $d stored $n tasks, expected 1"
  dept list --dept "$d" | grep -q "$case_no" || fail "agent $d does not list the task"
done
[ "$(tasks_of "$case_no" | awk '$4 == "coordination" {print $2}')" = gxq ] \
  || fail "no coordination task for the zone body gxq"
# The lead (主办专员) is the specialist of the earliest stage's department:
# 企业投资项目备案 (立项用地规划许可, 发展改革委).
status "$case_no" | grep -q '^lead *fgw-1 ' || fail "lead specialist: $(status "$case_no" | grep '^lead')"

# Every task has a specialist of its department and a due date in working days.
items_of "$case_no" >"$T/tasks"
status "$case_no" | awk '/^TASK/{t=1;next} t && $2 == "item"' | while read -r task kind item d sp state due res; do
  [[ $sp == "$d"-* ]] || fail "task $task: specialist $sp is not of department $d"
  [[ $due =~ ^2[0-9]{3}-[0-9]{2}-[0-9]{2}$ ]] || fail "task $task has no due date ($due)"
done

# Drive each task: on-site acceptance, submission with a reference, approval.
while read -r task d state kind; do
  dept update "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where "项目现场" >/dev/null
  dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null
  dept update "$task" approved --dept "$d" --doc "DOC-$task" >/dev/null
done <"$T/tasks"

# 统一送达: nothing ends before the results are handed over and confirmed.
wait_for "every item decided" items_in "$case_no" APPROVED
[ "$(sql "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$case_no'")" = 0 ] \
  || fail "a return visit before the handover"
deliver_all "$case_no"
wait_for "return visit opened" sh -c "'$BIN/bangdai-hall' status '$case_no' | grep -q '^state *RETURN_VISIT_OPEN'"
[ "$(items_of "$case_no" | awk '{print $3}' | sort -u)" = DELIVERED ] || fail "not every item is DELIVERED"
wait_for "the coordination task closed" sh -c "'$BIN/bangdai-hall' status '$case_no' | grep -q -- '-C1 .* CLOSED'"
status "$case_no" | grep -q "DOC-$case_no-T1" || fail "the result document is not shown"

[ "$(sql "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$case_no' AND state = 'OPEN'")" = 1 ] \
  || fail "no open return visit stored"
[ "$(sql "SELECT count(*) FROM delivery.results WHERE case_no = '$case_no'")" = 3 ] || fail "results"
[ "$(sql "SELECT count(*) FROM router.task_history h JOIN router.tasks t USING (task_id) WHERE t.case_no = '$case_no'")" = 21 ] \
  || fail "history: expected 6 events (5 moves and the handover) for each of 3 items and 3 for the coordination task"

# Every link is drained: nothing left unacknowledged anywhere.
for s in intake router tracker delivery evaluation; do
  wait_for "$s outbox drained" sql_is 0 "SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL"
done

# grep CASE follows the case through all five daemons.
for s in intake router tracker delivery evaluation; do
  grep -q "\"case\":\"$case_no\"" "$T/$s.log" || fail "$s logged nothing for $case_no"
done
# Every line that names a task names its case.
task_lines_have_case
# Logs are JSON lines and hold no contact phone number.
grep -h "$case_no" "$T"/*.log | grep -v '^{.*}$' && fail "a log line is not a JSON object"
! grep -q "$phone" "$T"/*.log || fail "the contact's phone number reached the logs"
! grep -qE '(^|[^0-9A-Za-z])1[3-9][0-9]{9}([^0-9A-Za-z]|$)' "$T"/*.log || fail "a full phone number reached the logs"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
