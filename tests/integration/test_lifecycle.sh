#!/usr/bin/env bash
# The task lifecycle: a full 代办 cycle with one supplement round, every
# illegal move refused without changing anything; a 帮办 case with a
# consultation and a coordination meeting in its status; reassignment and
# withdrawal reaching the right agents, with who, when and why kept.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq jw ghzy; do agent $d; done

# ---- 代办: one item of 住房城乡建委 -----------------------------------------
sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" -e "s/^items: .*/items: [SG-XK]/" \
  "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/one.yaml"
c=$(submit "$T/one.yaml")
wait_for "two tasks RECEIVED" all_tasks "$c" RECEIVED 2
task="$c-T1"
row() { sql "SELECT md5(t::text) FROM router.tasks t WHERE task_id = '$task'"; }

# refuse STATE FIELD-IN-ERROR [OPTIONS...]: the move is refused naming the
# field, and the stored task does not change.
refuse() {
  local state=$1 field=$2 before rc=0; shift 2
  before=$(row)
  dept update "$task" "$state" --dept zjw "$@" >/dev/null 2>"$T/refused.err" || rc=$?
  [ $rc = 1 ] || fail "$state ${*}: exit $rc, expected a refusal"
  grep -q "error: $field: " "$T/refused.err" || fail "$state: refusal does not name $field: $(cat "$T/refused.err")"
  [ "$(row)" = "$before" ] || fail "$state: the refused move changed the task"
}
move() { dept update "$task" "$@" --dept zjw >/dev/null || fail "move $*: $(dept update "$task" "$@" --dept zjw 2>&1)"; }
state() { sql "SELECT state FROM router.tasks WHERE task_id = '$task'"; }

refuse approved state --doc X                       # RECEIVED -> APPROVED
refuse submitted state --ref GC-1                   # on-site acceptance comes first
refuse accepted when --where 项目现场                # acceptance needs when
refuse accepted where --when "2026-11-30 09:00"      # ... and where
refuse accepted when --when yesterday --where 现场   # a date is a date
refuse accepted when --when "2026-11-27 09:00" --where 现场   # not before the task was assigned (today)
refuse accepted when --when "2026-12-01 09:00" --where 现场   # nor after today (issue 9)
move accepted --when "2026-11-30 09:00" --where "垫江县高新区项目现场" \
     --materials "建设工程规划许可证,施工合同"
[ "$(state)" = ACCEPTED_ONSITE ] || fail "not accepted"
# The clock starts again from the day of 受理: 3 working days after Monday
# 2026-11-30 is Thursday 2026-12-03.
wait_for "the deadline from the acceptance day" \
  sql_is "2026-11-30 2026-12-03" "SELECT started_on || ' ' || due_on FROM tracker.deadlines WHERE task_id = '$task'"
wait_for "the router knows the due date" sql_is 2026-12-03 "SELECT due_on FROM router.tasks WHERE task_id = '$task'"
missing=$(sql "SELECT array_to_string(materials_missing, ',') FROM router.tasks WHERE task_id = '$task'")
[ -n "$missing" ] && ! echo "$missing" | grep -q 建设工程规划许可证 || fail "missing materials: '$missing'"
refuse submitted reference                          # SUBMITTED needs the approval system's reference
move submitted --ref "GC-500231-2026-0001"
refuse supplement missing                           # 补正 needs what is missing
move supplement --missing "施工图审查合格书"
refuse approved state --doc X                       # not while the unit supplements
move resupplied
refuse approved result_doc --kind paper                # the result document number is required
move approved --doc "500231202611280001" --kind e_licence
[ "$(state)" = APPROVED ] || fail "not approved"
refuse accepted state --when "2026-11-30 09:00" --where x   # final is final
deliver_all "$c"
wait_for "delivered and visit opened" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^state *RETURN_VISIT_OPEN'"
[ "$(sql "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, ' ' ORDER BY id) FROM router.task_history WHERE task_id = '$task' AND event = 'move'")" \
  = "->ASSIGNED ASSIGNED>RECEIVED RECEIVED>ACCEPTED_ONSITE ACCEPTED_ONSITE>SUBMITTED SUBMITTED>SUPPLEMENT_REQUESTED SUPPLEMENT_REQUESTED>SUPPLEMENT_RECEIVED SUPPLEMENT_RECEIVED>APPROVED" ] \
  || fail "history: $(sql "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, ' ' ORDER BY id) FROM router.task_history WHERE task_id = '$task'")"
[ "$(sql "SELECT payload->>'missing' FROM router.task_history WHERE task_id = '$task' AND to_state = 'SUPPLEMENT_REQUESTED'")" = 施工图审查合格书 ] \
  || fail "the supplement's content is not in the history"
[ "$(sql "SELECT actor FROM router.task_history WHERE task_id = '$task' AND to_state = 'APPROVED' AND event = 'move'")" = dept-zjw ] \
  || fail "the actor of a move is the agent's key"
[ "$(sql "SELECT method FROM delivery.results WHERE task_id = '$task'")" = e_licence ] || fail "e-licence delivery"

# ---- 帮办: a school, 教委 and 规划自然资源局 ---------------------------------
h=$(submit "$BANGDAI_ROOT/deploy/examples/help-school.yaml")
wait_for "two items and two help tasks RECEIVED" all_tasks "$h" RECEIVED 4
help_jw=$(tasks_of "$h" | awk '$4 == "help" && $2 == "jw" {print $1}')
item_jw=$(tasks_of "$h" | awk '$4 == "item" && $2 == "jw" {print $1}')
[ -n "$help_jw" ] || fail "no help task for 教委"
[ "$(sql "SELECT count(DISTINCT specialist_id) FROM router.tasks WHERE case_no = '$h' AND dept = 'jw'")" = 1 ] \
  || fail "a department's help and item tasks must share the specialist"
dept note "$help_jw" consultation --dept jw --question "民办学校设置需要哪些材料?" --answer "举办者资格证明、资金证明、校舍规划" >/dev/null
dept note "$help_jw" meeting --dept jw --at "2026-12-02 15:00" --invited "jw,ghzy,zjw" \
  --topic "校舍规划与审批并联推进" --decisions "规划方案12月5日前报送" >/dev/null
dept note "$item_jw" guidance --dept jw --text x 2>"$T/note.err" && fail "a note on an item task was accepted"
dept note "$help_jw" meeting --dept jw --at "2026-12-02 15:00" --topic t --decisions d 2>"$T/note.err" \
  && fail "a meeting without invitees was accepted"
grep -q "error: invited: " "$T/note.err" || fail "meeting without invitees: $(cat "$T/note.err")"
wait_for "the help log in status" sh -c "'$BIN/bangdai-hall' status '$h' | grep -q '协调会 2026-12-02 15:00'"
status "$h" | grep -q "咨询 问: 民办学校设置需要哪些材料?" || fail "the consultation is not in the status"
status "$h" | grep -q "参会: 县教委、县规划自然资源局、县住房城乡建委" || fail "the meeting's invitees are not in the status"
# The unit files by itself: a 帮办 item goes RECEIVED -> SUBMITTED.
dept update "$item_jw" submitted --dept jw --ref "JW-2026-77" 2>"$T/noday.err" \
  && fail "a help item's submission without the authority's day of 受理 was accepted"
grep -q "error: accepted_on: " "$T/noday.err" || fail "no accepted_on: $(cat "$T/noday.err")"
dept update "$item_jw" submitted --dept jw --ref "JW-2026-77" --accepted-on "$TEST_DAY" >/dev/null \
  || fail "help item could not be submitted"

# ---- reassignment ----------------------------------------------------------
sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" \
  "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/three.yaml"
r=$(submit "$T/three.yaml")
wait_for "four tasks RECEIVED" all_tasks "$r" RECEIVED 4
zt=$(tasks_of "$r" | awk '$2 == "zjw" {print $1}')
from=$(sql "SELECT specialist_id FROM router.tasks WHERE task_id = '$zt'")
dept update "$zt" accepted --dept zjw --when "2026-11-30 10:00" --where 项目现场 >/dev/null
wait_for "the accepted task's deadline" \
  sql_is "2026-11-30 2026-12-03" "SELECT started_on || ' ' || due_on FROM tracker.deadlines WHERE task_id = '$zt'"
to=zjw-4; [ "$from" = zjw-4 ] && to=zjw-3
"$BIN/bangdaictl" reassign "$zt" --to "$to" --reason "原专员外出培训" >/dev/null || fail "reassign refused"
[ "$(sql "SELECT actor || '|' || detail || '|' || (payload->>'from') || '|' || (payload->>'to') || '|' || (at IS NOT NULL)
          FROM router.task_history WHERE task_id = '$zt' AND event = 'reassign'")" = "ops|原专员外出培训|$from|$to|true" ] \
  || fail "reassignment history"
wait_for "the agent received the reassigned task" sh -c "'$BIN/bangdai-dept' spool --dept zjw --spool '$T/spool/zjw' | grep -q '^task .*$zt .* $to '"
wait_for "the old specialist was told" sh -c "'$BIN/bangdai-dept' spool --dept zjw --spool '$T/spool/zjw' | grep -q '^notice .*$zt .*reassigned_away *$from'"
wait_for "status shows the new specialist" sh -c "'$BIN/bangdai-hall' status '$r' | grep -q '$zt .* $to '"
# A new specialist does not restart the clock.
wait_for "the tracker knows the new specialist" sql_is "$to" "SELECT specialist FROM tracker.deadlines WHERE task_id = '$zt'"
[ "$(sql "SELECT started_on || ' ' || due_on FROM tracker.deadlines WHERE task_id = '$zt'")" = "2026-11-30 2026-12-03" ] \
  || fail "reassignment moved the deadline: $(sql "SELECT started_on || ' ' || due_on FROM tracker.deadlines WHERE task_id = '$zt'")"
"$BIN/bangdaictl" reassign "$zt" --to fgw-1 --reason x 2>"$T/re.err" && fail "reassigned across departments"
"$BIN/bangdaictl" --key hall reassign "$zt" --to "$from" --reason x 2>"$T/re.err" && fail "the hall's key reassigned a task"
grep -q forbidden "$T/re.err" || fail "reassign with the hall key: $(cat "$T/re.err")"

# ---- withdrawal ------------------------------------------------------------
"$BIN/bangdai-hall" withdraw "$r" --reason "项目暂缓" >/dev/null || fail "withdraw refused"
wait_for "every task cancelled" all_tasks "$r" CANCELLED 4
status "$r" | grep -q '^state *WITHDRAWN' || fail "the case is not WITHDRAWN"
for d in fgw slj zjw gxq; do
  wait_for "$d told of the cancellation" sh -c "'$BIN/bangdai-dept' spool --dept $d --spool '$T/spool/$d' | grep -q '^notice .*$r-.* cancelled '"
done
# Asking again (say the first answer was lost) gives the same answer and
# changes nothing.
"$BIN/bangdai-hall" withdraw "$r" --reason again >/dev/null || fail "a second withdrawal was refused"
[ "$(sql "SELECT count(*) FROM intake.outbox WHERE type = 'CaseWithdrawn' AND case_no = '$r'")" = 1 ] \
  || fail "the withdrawal was sent to the router twice"
[ "$(sql "SELECT withdraw_reason FROM intake.cases WHERE case_no = '$r'")" = 项目暂缓 ] || fail "the reason changed"
# An agent cannot cancel or close a task itself: those are the router's.
h2=$(tasks_of "$h" | awk '$4 == "help" && $2 == "ghzy" {print $1}')
dept update "$h2" CANCELLED --dept ghzy 2>"$T/cancel.err" && fail "an agent cancelled a task"
dept update "$h2" CLOSED --dept ghzy 2>"$T/cancel.err" && fail "an agent closed a task"
grep -q "error: state: 'CLOSED' is not a move an agent reports" "$T/cancel.err" || fail "agent close: $(cat "$T/cancel.err")"

# The workload counter (router.specialist_load, kept by triggers: 004, 013)
# holds each specialist's open tasks, as counted from the tasks themselves.
check_workload_counter 1
! grep -q '^FAIL' "$CHECKS" || fail "the workload counter is off (above)"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
