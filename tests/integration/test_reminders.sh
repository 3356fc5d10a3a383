#!/usr/bin/env bash
# Reminders (催办) and escalation with moved time (issue 9): a task runs
# through its warning (预警), the due-day reminder, three overdue days and
# two escalation levels; each reminder reaches the department's agent once,
# also across a tracker killed between its scan's commit and the sending;
# none fires on a weekend, a holiday or outside office hours, and a make-up
# Saturday is a working day. Time moves by restarting the tracker on
# another business day (lib.sh business_day); nothing sleeps.
. "$(dirname "$0")/lib.sh"

# Escalation after 2 working days overdue to the department's head, after
# 3 to the leader in charge.
sed -i 's/^  escalation: .*/  escalation: {specialist: 1, dept_head: 2, leader: 3, office: 6}/' "$T/config.yaml"
grep -q "^  escalation: {specialist: 1, dept_head: 2, leader: 3, office: 6}" "$T/config.yaml" \
  || fail "could not set the escalation thresholds"

# Tuesday 2026-09-29, before National Day. SG-XK (zjw, 3 working days):
# 09-30, then 10-01..07 off (国庆), 10-08, 10-09: due Friday 10-09. Its
# warning day, 2 working days before: 09-30.
business_day 2026-09-29
start_all
for d in fgw slj zjw gxq; do agent $d; done
c=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "the case's four tasks" all_tasks "$c" RECEIVED 4
sg=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c' AND item_code = 'SG-XK'")
wait_for "SG-XK's deadline" sql_is 2026-10-09 "SELECT due_on FROM tracker.deadlines WHERE task_id = '$sg'"

# The reminders the zjw agent holds for the task, in the order received.
notices() { "$BIN/bangdai-dept" spool --dept zjw --spool "$T/spool/zjw" | awk -v t="$sg" '$1 == "notice" && $2 == t {print $3}' | paste -sd' ' -; }
rows() { sql "SELECT count(*) FROM tracker.reminders WHERE task_id = '$sg'"; }
notices_are() { [ "$(notices)" = "$1" ]; }
# on DAY [HH:MM]: the tracker restarted on that business day; returns once
# its first look has been taken (it looks at start: reminder.scanned, or
# reminder.idle on a day off or outside office hours) and what it sent has
# reached the agents.
looks() { grep -cE '"event":"reminder[.](scanned|idle)"' "$T/tracker.log" || true; }
looked_more() { [ "$(looks)" -gt "$1" ]; }
on() {
  stop tracker
  local before; before=$(looks)
  business_day "$@"
  start tracker
  wait_for "the tracker's first look on $*" looked_more "$before"
  wait_for "the tracker's outbox drained" sql_is 0 "SELECT count(*) FROM tracker.outbox WHERE acked_at IS NULL"
  wait_for "the router's outbox drained" sql_is 0 "SELECT count(*) FROM router.outbox WHERE acked_at IS NULL"
}
expect() {   # expect "KINDS": the agent's notices for the task so far
  local got; got=$(notices)
  [ "$got" = "$1" ] || fail "after $STEP: notices '$got', expected '$1'"
}

STEP="09-29";           on 2026-09-29;        expect ""
STEP="09-30 08:30";     on 2026-09-30 08:30;  expect ""          # before office hours
STEP="09-30 17:45";     on 2026-09-30 17:45;  expect ""          # after them
STEP="09-30";           on 2026-09-30;        expect "warn"
STEP="10-01 holiday";   on 2026-10-01;        expect "warn"
STEP="10-08";           on 2026-10-08;        expect "warn"      # warned once per due date
STEP="10-09 due";       on 2026-10-09;        expect "warn due"
STEP="10-10 make-up";   on 2026-10-10;        expect "warn due overdue"
STEP="10-11 Sunday";    on 2026-10-11;        expect "warn due overdue"
STEP="10-12";           on 2026-10-12;        expect "warn due overdue overdue escalation:dept_head"
# 10-13: the tracker dies after its scan committed and before it sent; the
# next one sends what was committed, once.
stop tracker
business_day 2026-10-13
start tracker BANGDAI_FAULT=crash-after-work
wait_for "the injected crash" logged_at_least 1 "$T/tracker.log" '"event":"service.fault_injected".*crash-after-work'
for i in $(seq 100); do kill -0 "${PIDS[tracker]}" 2>/dev/null || break; sleep 0.1; done
wait "${PIDS[tracker]}" 2>/dev/null || true
unset "PIDS[tracker]"
[ "$(notices)" = "warn due overdue overdue escalation:dept_head" ] || fail "sent before the crash: $(notices)"
[ "$(rows)" = 7 ] || fail "the crashed scan's reminders were not committed: $(rows) rows"
start tracker
STEP="10-13 after the crash"
wait_for "the committed reminders sent" notices_are "warn due overdue overdue escalation:dept_head overdue escalation:leader"
STEP="10-13 again";     on 2026-10-13;        expect "warn due overdue overdue escalation:dept_head overdue escalation:leader"
[ "$(rows)" = 7 ] || fail "reminder rows: $(rows), expected 7"
grep -q "\"event\":\"reminder.escalated\".*\"task\":\"$sg\".*level leader (政务服务大厅分管领导): 3 working days overdue, due 2026-10-09" \
  "$T/tracker.log" || fail "the escalation to the leader was not logged"
"$BIN/bangdai-dept" spool --dept zjw --spool "$T/spool/zjw" | grep -q "^notice .*$sg .*escalation:dept_head .*县住房城乡建委负责人" \
  || fail "the escalation notice does not name the department's head"

# The unit's status counts them and its log says each.
wait_for "the unit's status counts the reminders" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^(chased) $sg: 7 reminders sent'"
status "$c" | grep -q "reminder .*zjw .*督办: 3 working days overdue (due 2026-10-09), raised to 政务服务大厅分管领导" \
  || fail "the unit's log does not show the escalation: $(status "$c")"

# The board: the task overdue 3 working days, escalated to the leader.
board=$("$BIN/bangdaictl" board) || fail "board: $board"
echo "$board" | grep -q "^supervision board, 2026-10-13" || fail "board: $board"
echo "$board" | grep -q "^zjw .*$sg .*2026-10-09 *3 working days / leader$" || fail "board row: $board"
"$BIN/bangdaictl" board --json >"$T/board.json" || fail "board --json"
/usr/bin/python3 - "$T/board.json" "$sg" <<'PY' || fail "board --json: $(cat "$T/board.json")"
import json, sys
b = json.load(open(sys.argv[1]))
t = [r for r in b["tasks"] if r["task"] == sys.argv[2]]
assert b["today"] == "2026-10-13" and len(t) == 1, b
assert t[0]["section"] == "overdue" and t[0]["overdue_days"] == 3 and t[0]["escalated_to"] == "leader", t
PY
rc=0; "$BIN/bangdaictl" board --dept nosuch >"$T/nosuch.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "error: dept: no department 'nosuch' (not_found)" "$T/nosuch.out" \
  || fail "board of an unknown department: exit $rc, $(cat "$T/nosuch.out")"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
