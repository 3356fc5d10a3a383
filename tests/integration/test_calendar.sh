#!/usr/bin/env bash
# The calendar's end (issue 9): a deadline that needs a year the State
# Council has not published is pending, never guessed, and everybody sees
# it so -- the tracker, the router's task list, the unit's status, which no
# longer keeps an older date; the tracker warns; `bangdaictl calendar check`
# lists the tasks and `calendar apply`, once the year is in the
# configuration, recomputes exactly those and tells the router, the unit
# and the department.
. "$(dirname "$0")/lib.sh"

# Thursday 2026-12-24. The sample case's items: LX-BA (fgw, 1 working day)
# is due Friday 12-25; SG-XK (zjw, 3) Tuesday 12-29; GC-SBFA (slj, 10) has
# 12-25, 28, 29, 30, 31 in 2026 and needs five days of 2027: pending.
business_day 2026-12-24
start_all
for d in fgw slj zjw gxq; do agent $d; done
c=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "the case's four tasks" all_tasks "$c" RECEIVED 4
task_of() { sql "SELECT task_id FROM router.tasks WHERE case_no = '$c' AND item_code = '$1'"; }
lx=$(task_of LX-BA); gc=$(task_of GC-SBFA); sg=$(task_of SG-XK)
deadline() { sql "SELECT coalesce(to_char(due_on, 'YYYY-MM-DD'), '-') || ' ' || coalesce(pending_year::text, '-')
                  FROM tracker.deadlines WHERE task_id = '$1'"; }
wait_for "the three deadlines" sql_is 3 "SELECT count(*) FROM tracker.deadlines WHERE case_no = '$c' AND kind = 'item'"
[ "$(deadline "$lx")" = "2026-12-25 -" ] || fail "LX-BA: $(deadline "$lx")"
[ "$(deadline "$sg")" = "2026-12-29 -" ] || fail "SG-XK: $(deadline "$sg")"
[ "$(deadline "$gc")" = "- 2027" ] || fail "GC-SBFA is not pending the 2027 calendar: $(deadline "$gc")"
grep -q "\"event\":\"deadline.pending\".*\"task\":\"$gc\".*needs the 2027 calendar" "$T/tracker.log" \
  || fail "the pending deadline was not logged"
# The router's list and the unit's status say so.
wait_for "the router knows it is pending" sql_is 2027 "SELECT due_pending_year FROM router.tasks WHERE task_id = '$gc'"
dept list --dept slj | grep -q "^$gc .*due date pending the 2027 calendar$" \
  || fail "bangdai-dept list: $(dept list --dept slj)"
wait_for "the status says pending" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^(pending) $gc: due date pending the 2027 calendar'"
status "$c" | grep -q "^$gc .* pending " || fail "the status table shows a date for $gc: $(status "$c")"

# Thursday 2026-12-31: SG-XK's 受理 is reported today, and its three days
# run into 2027. The unit's status had 12-29: it must not keep it.
for n in intake router tracker delivery evaluation; do stop $n; done
business_day 2026-12-31
start_all
wait_for "intake had SG-XK due 2026-12-29" sql_is 2026-12-29 "SELECT due_date FROM intake.case_tasks WHERE task_id = '$sg'"
dept update "$sg" accepted --dept zjw --when "2026-12-31 09:30" --where 项目现场 >/dev/null \
  || fail "acceptance on the business day refused"
wait_for "SG-XK pending from its 受理" sql_is "- 2027" \
  "SELECT coalesce(to_char(due_on, 'YYYY-MM-DD'), '-') || ' ' || coalesce(pending_year::text, '-') FROM tracker.deadlines WHERE task_id = '$sg'"
wait_for "the unit's status drops the old date" sql_is "- 2027" \
  "SELECT coalesce(due_date::text, '-') || ' ' || coalesce(due_pending_year::text, '-') FROM intake.case_tasks WHERE task_id = '$sg'"
# The tracker warns once a working day while tasks wait for a year.
wait_for "the missing year warned" logged_at_least 1 "$T/tracker.log" \
  '"event":"calendar.missing_year".*open tasks have no due date until the 2027 calendar'

# calendar check lists the two pending tasks and changes nothing.
"$BIN/bangdaictl" calendar check >"$T/check.out" || fail "calendar check: $(cat "$T/check.out")"
grep -q "^calendar 2023-2026 " "$T/check.out" || fail "check: the years: $(cat "$T/check.out")"
for t in "$gc" "$sg"; do
  grep -q "^$t .*due date pending the 2027 calendar *due date pending the 2027 calendar$" "$T/check.out" \
    || fail "check does not list $t: $(cat "$T/check.out")"
done
grep -q "^2 open deadlines are pending" "$T/check.out" || fail "check: $(cat "$T/check.out")"
! grep -q "$lx" "$T/check.out" || fail "check lists a deadline that has its date"

# A broken file is refused, naming where; nothing changes. bangdaictl
# reads the file first; were it fine where bangdaictl runs, the tracker
# reads its own and refuses it the same way.
cp "$T/config.yaml" "$T/config.good"
printf '  - year: 2027\n    version: x\n    holidays: [2027-02-30]\n    workdays: []\n' >>"$T/config.yaml"
rc=0; "$BIN/bangdaictl" calendar apply >"$T/broken.out" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "config.yaml:[0-9]*: calendar\[4\].holidays\[0\]" "$T/broken.out" \
  || fail "a broken calendar: exit $rc, $(cat "$T/broken.out")"
rc=0; "$BIN/bangdaictl" --config "$T/config.good" calendar apply >"$T/broken.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "error: calendar: .*config.yaml:[0-9]*: calendar\[4\].holidays\[0\]: '2027-02-30' is not a date" \
  "$T/broken.out" || fail "the tracker took a broken calendar: exit $rc, $(cat "$T/broken.out")"
[ "$(deadline "$gc")" = "- 2027" ] || fail "a refused apply changed a deadline"

# The year is added (made up here: the tests do not guess the State
# Council either; 元旦 alone) and applied.
cp "$T/config.good" "$T/config.yaml"
printf '  - year: 2027\n    version: 测试用2027\n    holidays: [2027-01-01]\n    workdays: []\n' >>"$T/config.yaml"
"$BIN/bangdaictl" calendar apply >"$T/apply.out" || fail "calendar apply: $(cat "$T/apply.out")"
grep -q "^2 open deadlines recomputed, 2 moved" "$T/apply.out" || fail "apply: $(cat "$T/apply.out")"
# GC-SBFA from its assignment on 12-24: five days in 2026, then 2027-01-04
# to 01-08 (01-01 a holiday, 01-02/03 a weekend). SG-XK from 12-31: 01-04,
# 05, 06.
[ "$(deadline "$gc")" = "2027-01-08 -" ] || fail "GC-SBFA after apply: $(deadline "$gc")"
[ "$(deadline "$sg")" = "2027-01-06 -" ] || fail "SG-XK after apply: $(deadline "$sg")"
[ "$(deadline "$lx")" = "2026-12-25 -" ] || fail "apply touched LX-BA: $(deadline "$lx")"
[ "$(sql "SELECT calendar_version FROM tracker.deadlines WHERE task_id = '$gc'")" = 测试用2027 ] \
  || fail "the version of the new year was not kept"
grep -q "\"event\":\"deadline.recomputed\".*\"task\":\"$gc\".*due pending 2027 -> 2027-01-08" "$T/tracker.log" \
  || fail "the recomputed deadline was not logged"
wait_for "the router has the new date" sql_is "2027-01-08 -" \
  "SELECT due_on || ' ' || coalesce(due_pending_year::text, '-') FROM router.tasks WHERE task_id = '$gc'"
wait_for "the unit's status has the new date" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^$sg .* 2027-01-06 '"
status "$c" | grep -q "^(pending)" && fail "the status still says pending: $(status "$c")"
wait_for "slj's agent told of the moved date" sh -c \
  "'$BIN/bangdai-dept' spool --dept slj --spool '$T/spool/slj' | grep -q '^notice .*$gc .*due_moved'"
# Nothing is left to do, and a second apply moves nothing.
"$BIN/bangdaictl" calendar check | grep -q "every open deadline has its date" || fail "check after apply"
"$BIN/bangdaictl" calendar apply | grep -q "every open deadline has its date" || fail "a second apply"
# SIGHUP does what apply does. A broken file is logged and changes nothing;
# then the year taken out again (a withdrawn arrangement): the two
# deadlines computed with it are pending once more.
printf '  - year: 2028\n    version: x\n    holidays: []\n    workdays: [2028-13-01]\n' >>"$T/config.yaml"
kill -HUP "${PIDS[tracker]}"
wait_for "the broken file logged" logged_at_least 1 "$T/tracker.log" \
  '"event":"config.reload_failed".*config.yaml:[0-9]*: calendar\[5\].workdays\[0\].*the configuration in force is kept'
[ "$(deadline "$gc")" = "2027-01-08 -" ] || fail "a broken file on SIGHUP changed a deadline"
cp "$T/config.good" "$T/config.yaml"
kill -HUP "${PIDS[tracker]}"
wait_for "SIGHUP recomputed" sql_is "- 2027" \
  "SELECT coalesce(to_char(due_on, 'YYYY-MM-DD'), '-') || ' ' || coalesce(pending_year::text, '-') FROM tracker.deadlines WHERE task_id = '$gc'"
[ "$(deadline "$sg")" = "- 2027" ] || fail "SIGHUP: SG-XK $(deadline "$sg")"
grep -q '"event":"calendar.applied".*2 open deadlines recomputed, 2 moved (SIGHUP)' "$T/tracker.log" \
  || fail "the SIGHUP recomputation was not logged"
wait_for "the unit's status pending again" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^(pending) $sg'"
# Only hall management may ask.
rc=0; "$BIN/bangdaictl" --key hall calendar check >/dev/null 2>"$T/hall.err" || rc=$?
[ $rc = 1 ] && grep -q forbidden "$T/hall.err" || fail "the hall's key ran calendar check: $rc $(cat "$T/hall.err")"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
