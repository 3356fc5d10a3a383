#!/usr/bin/env bash
# What one transaction says about one case to one daemon travels as one
# reliable-link message (Envelope.more): a case's four ASSIGNED go to the
# tracker in one TaskChanged, the tracker's four reports to intake in one
# Progress and its three due dates to the router in one DueDate, and every
# part is applied (the tracker, intake and the router all know every task).
# Several messages in one envelope are for links between daemons only: a
# request carrying more is refused, naming the field.
. "$(dirname "$0")/lib.sh"

start_all
# The agents are away: the tasks stay ASSIGNED, so each hop's messages
# about the case are only those of the case's opening.
case_no=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
note "submitted $case_no"
wait_for "intake shows the four tasks ASSIGNED" sql_is 4 \
  "SELECT count(*) FROM intake.case_tasks WHERE case_no = '$case_no' AND state = 'ASSIGNED'"
wait_for "the router has the three items' due dates" sql_is 3 \
  "SELECT count(*) FROM router.tasks WHERE case_no = '$case_no' AND due_on IS NOT NULL"

# rows SCHEMA DEST TYPE: that daemon's outbox rows about the case.
rows() { sql "SELECT count(*) FROM $1.outbox WHERE case_no = '$case_no' AND dest = '$2' AND type = '$3'"; }
[ "$(rows router tracker TaskChanged)" = 1 ] \
  || fail "the router told the tracker the four tasks in $(rows router tracker TaskChanged) messages, expected 1"
[ "$(rows tracker intake Progress)" = 1 ] \
  || fail "the tracker reported the four tasks to intake in $(rows tracker intake Progress) messages, expected 1"
[ "$(rows tracker router DueDate)" = 1 ] \
  || fail "the tracker sent the three due dates in $(rows tracker router DueDate) messages, expected 1"
# Each department still gets its own task, as one message of its own.
[ "$(sql "SELECT count(*) FROM router.outbox WHERE case_no = '$case_no' AND type = 'TaskAssigned'")" = 4 ] \
  || fail "expected one TaskAssigned per task"
# Every part applied: four deadlines (three with a due date), four tasks at
# intake with the tracker's due dates, shown by the hall's status.
[ "$(sql "SELECT count(*) FROM tracker.deadlines WHERE case_no = '$case_no' AND state = 'ASSIGNED'")" = 4 ] \
  || fail "the tracker has $(sql "SELECT count(*) FROM tracker.deadlines WHERE case_no = '$case_no'") deadlines, expected 4"
[ "$(sql "SELECT count(*) FROM intake.case_tasks WHERE case_no = '$case_no' AND due_date IS NOT NULL")" = 3 ] \
  || fail "intake does not hold the three items' due dates"
[ "$(sql "SELECT count(*) FROM router.tasks r JOIN tracker.deadlines d USING (task_id)
          WHERE r.case_no = '$case_no' AND r.due_on = d.due_on")" = 3 ] \
  || fail "the router's due dates are not the tracker's"
[ "$(items_of "$case_no" | awk '$3 == "ASSIGNED"' | wc -l)" = 3 ] || fail "status: $(status "$case_no")"
# The progress feed records the four reports of that one message (in one
# statement), each task once, numbered on from the case's events before
# them without a gap.
[ "$(sql "SELECT count(DISTINCT task_id) FROM intake.feed_events
          WHERE case_no = '$case_no' AND kind = 'task' AND state = 'ASSIGNED'")" = 4 ] \
  || fail "the feed does not hold the four ASSIGNED"
[ "$(sql "SELECT min(seq) = 1 AND max(seq) = count(*) AND max(seq) = (SELECT feed_seq FROM intake.cases
          WHERE case_no = '$case_no') FROM intake.feed_events WHERE case_no = '$case_no'")" = t ] \
  || fail "the feed's numbers: $(sql "SELECT string_agg(seq || ' ' || kind, ', ' ORDER BY seq) FROM intake.feed_events WHERE case_no = '$case_no'")"

# The agents come: the four RECEIVED reach the tracker and intake too.
for d in fgw slj zjw gxq; do agent $d; done
wait_for "four tasks RECEIVED at intake" all_tasks "$case_no" RECEIVED 4
wait_for "four deadlines RECEIVED at the tracker" sql_is 4 \
  "SELECT count(*) FROM tracker.deadlines WHERE case_no = '$case_no' AND state = 'RECEIVED'"
# The tracker's reports of RECEIVED carry the deadline as it holds it: the
# due dates at intake are still the tracker's.
[ "$(sql "SELECT count(*) FROM intake.case_tasks i JOIN tracker.deadlines d USING (task_id)
          WHERE i.case_no = '$case_no' AND i.state = 'RECEIVED' AND i.due_date = d.due_on")" = 3 ] \
  || fail "intake's due dates after RECEIVED are not the tracker's"
# Nothing refused anywhere.
for d in router tracker intake; do
  [ "$(sql "SELECT count(*) FROM $d.inbox WHERE error_code IS NOT NULL")" = 0 ] || fail "$d refused a message"
done

# A request (the hall's status) with a second message in Envelope.more.
out=$("$RAWSEND" "$EP_INTAKE" more StatusRequest) || true
echo "$out" | grep -qE '^Error malformed more: StatusRequest carries one message' \
  || fail "a request with more: got '$out'"
grep -q '"event":"message.malformed".*only link messages may carry more' "$T/intake.log" \
  || fail "no log line for the request with more"
status "$case_no" >/dev/null || fail "intake stopped answering"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
