#!/usr/bin/env bash
# Intake applies the task reports of one Progress envelope (Envelope.more)
# together, in one statement; the outcome is the one applying them one by
# one gives. Sent here as the tracker's link sends them (bd-rawsend
# progress, the tracker's key), to intake alone:
#
# 1. One envelope with a task reported three times (ASSIGNED, RECEIVED,
#    ACCEPTED_ONSITE the next day) and another task's late, older report:
#    each task ends with its newest report, the older one is dropped (not
#    stored, not on the feed), the case is IN_PROGRESS, the feed has the
#    four changes in their order, and the item's clock starts on the day of
#    受理, not the first report's.
# 2. One envelope with an older report, an approval from delivery (no due
#    date: the tracker's is kept), a case-level part setting the case's
#    state, and a task report after it: the approval's working days (受理
#    Tuesday to decision Thursday: 2) are in the item history, the feed
#    shows task, case, task in that order, the case has its new state.
# 3. A case state among task reports is applied in its place: reported
#    before the case's first task report (SUBMITTED, which no stage sends
#    but is the one state whose order against a task report shows), the
#    case still moves to IN_PROGRESS.
# 4. Refusals name what is wrong, as part by part: an unknown case
#    (not_found case_no), also when a later part is bad; a bad part after a
#    good one (invalid), and nothing of that envelope is stored.
. "$(dirname "$0")/lib.sh"

start intake
progress() { BANGDAI_KEY=tracker "$RAWSEND" "$EP_INTAKE" progress "$@"; }
us() { echo "$(date -d "$1 +0800" +%s)000000"; }
ok() { local out; out=$(progress "$@") || true; [ "$out" = Ack ] || fail "expected Ack, got '$out' for: $*"; }
task() { sql "SELECT state || ' ' || coalesce(due_date::text, '-') FROM intake.case_tasks WHERE task_id = '$1'"; }
# feed CASE: the case's feed after the submit, "kind task state" by seq.
feed() {
  sql "SELECT string_agg(kind || ' ' || coalesce(task_id, '-') || ' ' || coalesce(state, case_state), ', ' ORDER BY seq)
       FROM intake.feed_events WHERE case_no = '$1' AND seq > 1"
}

c=$(submit "$(fresh_request agency-three-items.yaml)" 2>/dev/null)
[[ $c =~ ^BD- ]] || fail "submit gave '$c'"
t1=$c-T1 t2=$c-T2 t3=$c-C1
it1="case=$c,task=$t1,item=LX-BA,dept=fgw"
it2="case=$c,task=$t2,item=SG-XK,dept=zjw"

# ---- 1. a task three times and a late, older report in one envelope ---------
ok "$it1,state=ASSIGNED,at=$(us '2026-11-30 10:00'),sets_due=1,due=2026-12-01" \
   "$it2,state=ASSIGNED,at=$(us '2026-11-30 10:00'),sets_due=1,due=2026-12-03" \
   "$it1,state=RECEIVED,at=$(us '2026-11-30 10:05'),sets_due=1,due=2026-12-01" \
   "$it1,state=ACCEPTED_ONSITE,at=$(us '2026-12-01 09:30'),sets_due=1,due=2026-12-01" \
   "$it2,state=RECEIVED,at=$(us '2026-11-30 09:59'),sets_due=1,due=2026-12-03"
[ "$(task "$t1")" = "ACCEPTED_ONSITE 2026-12-01" ] || fail "task 1 holds '$(task "$t1")', not its newest report"
[ "$(task "$t2")" = "ASSIGNED 2026-12-03" ] || fail "task 2 holds '$(task "$t2")': the older RECEIVED was stored"
[ "$(sql "SELECT state FROM intake.cases WHERE case_no = '$c'")" = IN_PROGRESS ] || fail "the case is not IN_PROGRESS"
want="task $t1 ASSIGNED, task $t2 ASSIGNED, task $t1 RECEIVED, task $t1 ACCEPTED_ONSITE"
[ "$(feed "$c")" = "$want" ] || fail "feed: '$(feed "$c")', expected '$want'"
[ "$(sql "SELECT started_on || ' ' || accepted FROM intake.item_clock WHERE task_id = '$t1'")" = "2026-12-01 true" ] \
  || fail "task 1's clock: $(sql "SELECT started_on || ' ' || accepted FROM intake.item_clock WHERE task_id = '$t1'")"
[ "$(sql "SELECT started_on FROM intake.item_clock WHERE task_id = '$t2'")" = 2026-11-30 ] || fail "task 2 has no clock"
note "one envelope: task 1 three times, task 2's older report dropped"

# ---- 2. an approval, the case's state and a task after it -------------------
seq0=$(sql "SELECT feed_seq FROM intake.cases WHERE case_no = '$c'")
ok "$it2,state=RECEIVED,at=$(us '2026-11-30 09:58'),sets_due=1" \
   "$it1,state=APPROVED,at=$(us '2026-12-03 15:00')" \
   "case=$c,case_state=RETURN_VISIT_OPEN" \
   "case=$c,task=$t3,kind=coordination,dept=fgw,state=RECEIVED,at=$(us '2026-12-03 15:00')"
[ "$(task "$t2")" = "ASSIGNED 2026-12-03" ] || fail "task 2 holds '$(task "$t2")' after an older report"
[ "$(task "$t1")" = "APPROVED 2026-12-01" ] || fail "task 1 holds '$(task "$t1")': not APPROVED with the tracker's due date"
[ "$(task "$t3")" = "RECEIVED -" ] || fail "the coordination task holds '$(task "$t3")'"
[ "$(sql "SELECT state FROM intake.cases WHERE case_no = '$c'")" = RETURN_VISIT_OPEN ] || fail "the case's state was not set"
want="task $t1 APPROVED, case - RETURN_VISIT_OPEN, task $t3 RECEIVED"
got=$(sql "SELECT string_agg(kind || ' ' || coalesce(task_id, '-') || ' ' || coalesce(state, case_state), ', ' ORDER BY seq)
           FROM intake.feed_events WHERE case_no = '$c' AND seq > $seq0")
[ "$got" = "$want" ] || fail "feed: '$got', expected '$want'"
[ "$(sql "SELECT decided_on || ' ' || workdays FROM intake.item_clock WHERE task_id = '$t1'")" = "2026-12-03 2" ] \
  || fail "the decision's working days: $(sql "SELECT coalesce(decided_on::text, 'undecided') || ' ' || coalesce(workdays::text, 'NULL') FROM intake.item_clock WHERE task_id = '$t1'")"
[ "$(sql "SELECT decided_on IS NULL FROM intake.item_clock WHERE task_id = '$t2'")" = t ] || fail "task 2 is decided"
note "an approval counted (2 working days), the case's state in its place"

# ---- 3. a case state before the case's first task report --------------------
c2=$(submit "$(fresh_request agency-three-items.yaml)" 2>/dev/null)
ok "case=$c2,case_state=SUBMITTED" \
   "case=$c2,task=$c2-T1,item=LX-BA,dept=fgw,state=ASSIGNED,at=$(us '2026-11-30 10:00')"
[ "$(sql "SELECT state FROM intake.cases WHERE case_no = '$c2'")" = IN_PROGRESS ] \
  || fail "the case state before a task report: $(sql "SELECT state FROM intake.cases WHERE case_no = '$c2'")"
note "a case state before a task report is applied before it"

# ---- 4. refusals --------------------------------------------------------------
out=$(progress "case=BD-NONE-1,task=X1,item=LX-BA,dept=fgw,state=ASSIGNED,at=1" \
               "case=BD-NONE-1,task=X2,item=LX-BA,dept=fgw,state=ASSIGNED,at=1") || true
[ "$out" = "Error not_found case_no: no case BD-NONE-1" ] || fail "unknown case: '$out'"
out=$(progress "case=BD-NONE-1,task=X1,item=LX-BA,dept=fgw,state=ASSIGNED,at=1" \
               "case=BD-NONE-1,task=X2,item=LX-BA,state=ASSIGNED,at=1") || true
[ "$out" = "Error not_found case_no: no case BD-NONE-1" ] || fail "unknown case, a bad second part: '$out'"
out=$(progress "case=$c,task=$c-T8,item=LX-BA,dept=fgw,state=ASSIGNED,at=$(us '2026-12-04 10:00')" \
               "case=$c,task=$c-T9,item=GC-SBFA,state=ASSIGNED,at=$(us '2026-12-04 10:00')") || true
[ "$out" = "Error invalid state: a task report needs task, item, department and state" ] || fail "a bad part: '$out'"
[ "$(sql "SELECT count(*) FROM intake.case_tasks WHERE task_id IN ('$c-T8', '$c-T9')")" = 0 ] \
  || fail "a part of a refused envelope was stored"
[ "$(sql "SELECT count(*) FROM intake.item_clock WHERE task_id IN ('$c-T8', '$c-T9')")" = 0 ] \
  || fail "a clock of a refused envelope was stored"
note "refusals: unknown case, a bad part; nothing of them stored"

stop intake
note "ok"
