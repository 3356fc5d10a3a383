#!/usr/bin/env bash
# The tracker applies the parts of a TaskChanged envelope (Envelope.more)
# in one statement per run of distinct tasks, and the router a DueDate's
# the same way (issue 7). What that must keep, seen where a user sees it:
# the three items of a case assigned in one envelope each get their own
# due dates at the tracker, the router (the department's list) and intake
# (the unit's status); an older report arriving after a newer one is
# dropped (acknowledged, nothing moves back); one task's reports back to
# back in one envelope apply in order -- a pause and its resume, then the
# clock restarted at 受理, which counts the ended pause; and a refused
# part refuses the whole envelope with the same error as alone.
. "$(dirname "$0")/lib.sh"

EP_TRACKER=$(sed -n 's/^ *tracker: *\(tcp:[^ ]*\).*/\1/p' "$T/config.yaml")
[ -n "$EP_TRACKER" ] || fail "no tracker endpoint in the configuration"
start_all
# The agents are away: the tasks stay ASSIGNED until this test moves them.
c=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
note "submitted $c"
wait_for "the router has the three items' due dates" sql_is 3 \
  "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND due_on IS NOT NULL"
wait_for "intake has the three items' due dates" sql_is 3 \
  "SELECT count(*) FROM intake.case_tasks WHERE case_no = '$c' AND due_date IS NOT NULL"
[ "$(sql "SELECT count(*) FROM router.outbox WHERE case_no = '$c' AND dest = 'tracker' AND type = 'TaskChanged'")" = 1 ] \
  || fail "the four ASSIGNED did not reach the tracker as one envelope"
[ "$(sql "SELECT count(*) FROM tracker.outbox WHERE case_no = '$c' AND dest = 'router' AND type = 'DueDate'")" = 1 ] \
  || fail "the three due dates did not reach the router as one envelope"

# dates ITEM: "promised statutory" of ITEM's task at the tracker, the router
# and intake (intake keeps the promised one), one line each.
dates() {
  sql "SELECT to_char(d.due_on, 'YYYY-MM-DD') || ' ' || to_char(d.statutory_due_on, 'YYYY-MM-DD')
              || ' / ' || to_char(r.due_on, 'YYYY-MM-DD') || ' ' || to_char(r.statutory_due_on, 'YYYY-MM-DD')
              || ' / ' || to_char(i.due_date, 'YYYY-MM-DD')
       FROM tracker.deadlines d JOIN router.tasks r USING (task_id) JOIN intake.case_tasks i USING (task_id)
       WHERE d.case_no = '$c' AND d.item_code = '$1'"
}
# From Monday 2026-11-30: LX-BA 1 and 3 working days, GC-SBFA 10 and 20,
# SG-XK 3 and 7 (the sample's catalog; no holiday in December).
for want in "LX-BA 2026-12-01 2026-12-03" "GC-SBFA 2026-12-14 2026-12-28" "SG-XK 2026-12-03 2026-12-09"; do
  set -- $want
  [ "$(dates "$1")" = "$2 $3 / $2 $3 / $2" ] || fail "$1: tracker / router / intake: '$(dates "$1")', expected $2 $3"
  t=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c' AND item_code = '$1'")
  status "$c" | grep -q "^$t .* $2 $3 " || fail "the unit's status does not show $2 $3 for $1: $(status "$c")"
done

task() { sql "SELECT task_id FROM router.tasks WHERE case_no = '$c' AND item_code = '$1'"; }
spec() { sql "SELECT specialist_id FROM router.tasks WHERE task_id = '$1'"; }
us() { echo $(( $(date -d "$1 +0800" +%s) * 1000000 )); }
t1=$(task LX-BA) t2=$(task GC-SBFA) t3=$(task SG-XK)
p1="task=$t1;item=LX-BA;dept=fgw;specialist=$(spec "$t1")"
p2="task=$t2;item=GC-SBFA;dept=slj;specialist=$(spec "$t2")"
p3="task=$t3;item=SG-XK;dept=zjw;specialist=$(spec "$t3")"
tracked() { sql "SELECT state || ' ' || to_char(started_on, 'YYYY-MM-DD') || ' ' || to_char(due_on, 'YYYY-MM-DD')
                        || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' ' || paused_days
                 FROM tracker.deadlines WHERE task_id = '$1'"; }

# One envelope: GC-SBFA received; SG-XK received, paused for an expert
# review on Tuesday 12-01, resumed on Thursday 12-03 (2 working days), then
# accepted on site with 受理 on Monday 11-30: the clock starts again from
# that day, and the ended pause still counts: 3 + 2 and 7 + 2 working days.
out=$("$RAWSEND" "$EP_TRACKER" changed "$c" \
  "$p2;state=RECEIVED;at_us=$(us '2026-11-30 11:00')" \
  "$p3;state=RECEIVED;at_us=$(us '2026-11-30 11:00')" \
  "$p3;state=RECEIVED;clock=pause;pause_kind=expert_review;pause_reason=专家评审;at_us=$(us '2026-12-01 10:00')" \
  "$p3;state=RECEIVED;clock=resume;at_us=$(us '2026-12-03 10:00')" \
  "$p3;state=ACCEPTED_ONSITE;accepted_on=2026-11-30;at_us=$(us '2026-12-04 10:00')")
[ "$out" = Ack ] || fail "the envelope of five reports: '$out'"
[ "$(tracked "$t3")" = "ACCEPTED_ONSITE 2026-11-30 2026-12-07 2026-12-11 2" ] \
  || fail "SG-XK after its pause and 受理: '$(tracked "$t3")', expected due 2026-12-07 and 2026-12-11, 2 paused"
[ "$(sql "SELECT kind || ' ' || from_day || ' ' || to_day || ' ' || counted FROM tracker.pauses WHERE task_id = '$t3'")" \
  = "expert_review 2026-12-01 2026-12-03 2" ] || fail "the pause: $(sql "SELECT * FROM tracker.pauses WHERE task_id = '$t3'")"
wait_for "the router and intake have SG-XK's new due dates" \
  sql_is "2026-12-07 2026-12-11 / 2026-12-07 2026-12-11 / 2026-12-07" \
  "SELECT to_char(d.due_on, 'YYYY-MM-DD') || ' ' || to_char(d.statutory_due_on, 'YYYY-MM-DD')
          || ' / ' || to_char(r.due_on, 'YYYY-MM-DD') || ' ' || to_char(r.statutory_due_on, 'YYYY-MM-DD')
          || ' / ' || to_char(i.due_date, 'YYYY-MM-DD')
   FROM tracker.deadlines d JOIN router.tasks r USING (task_id) JOIN intake.case_tasks i USING (task_id)
   WHERE d.task_id = '$t3' AND i.state = 'ACCEPTED_ONSITE'"
wait_for "the unit's status shows SG-XK accepted, due 2026-12-07" sh -c \
  "'$BIN/bangdai-hall' status '$c' | grep -q '^$t3 .*ACCEPTED_ONSITE.* 2026-12-07 2026-12-11 '"
[ "$(tracked "$t2")" = "RECEIVED 2026-11-30 2026-12-14 2026-12-28 0" ] || fail "GC-SBFA: '$(tracked "$t2")'"

# Older reports after newer ones, in one envelope with a newer one: an
# ASSIGNED of GC-SBFA (which would start its clock again) and a RECEIVED of
# LX-BA stamped before its assignment. Both are acknowledged and dropped;
# SG-XK's SUBMITTED, newer than what the tracker holds, applies.
out=$("$RAWSEND" "$EP_TRACKER" changed "$c" \
  "$p2;state=ASSIGNED;at_us=$(us '2026-11-30 10:30')" \
  "$p1;state=RECEIVED;at_us=$(us '2026-11-29 10:00')" \
  "$p3;state=SUBMITTED;at_us=$(us '2026-12-04 11:00')")
[ "$out" = Ack ] || fail "the envelope with two late reports: '$out'"
[ "$(tracked "$t2")" = "RECEIVED 2026-11-30 2026-12-14 2026-12-28 0" ] || fail "a late ASSIGNED moved GC-SBFA: '$(tracked "$t2")'"
[ "$(tracked "$t1")" = "ASSIGNED 2026-11-30 2026-12-01 2026-12-03 0" ] || fail "a late RECEIVED moved LX-BA: '$(tracked "$t1")'"
[ "$(tracked "$t3")" = "SUBMITTED 2026-11-30 2026-12-07 2026-12-11 2" ] || fail "the newer SUBMITTED: '$(tracked "$t3")'"
for t in "$t2" "$t1"; do
  grep -q "\"event\":\"task.late_report\".*\"task\":\"$t\"" "$T/tracker.log" || fail "no task.late_report for $t"
done

# A refused part refuses the envelope, naming what is wrong as it would
# alone; the part before it is not applied.
out=$("$RAWSEND" "$EP_TRACKER" changed "$c" "$p1;state=RECEIVED;at_us=$(us '2026-11-30 12:00')" \
  "$p2;state=BOGUS;at_us=$(us '2026-11-30 12:00')") || true
[ "$out" = "Error invalid state: unknown task state 'BOGUS'" ] || fail "a bad state in the second part: '$out'"
[ "$(tracked "$t1")" = "ASSIGNED 2026-11-30 2026-12-01 2026-12-03 0" ] || fail "the refused envelope's first part applied: '$(tracked "$t1")'"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
