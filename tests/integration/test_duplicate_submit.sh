#!/usr/bin/env bash
# A duplicate submit with the same request id returns the same case number
# and creates nothing: no second case, no second CaseOpened, no extra task.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done
app="$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml"

first=$(submit "$app")
wait_for "four tasks RECEIVED" all_tasks "$first" RECEIVED 4
second=$(submit "$app" 2>"$T/second.err")
[ "$first" = "$second" ] || fail "resubmit gave $second, first gave $first"
grep -q "already submitted" "$T/second.err" || fail "the hall was not told it is a duplicate"

# The same application under a new request id is a new case.
sed 's/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a0000ff/' "$app" >"$T/other.yaml"
third=$(submit "$T/other.yaml")
[ "$third" != "$first" ] || fail "a new request id gave the old case"
wait_for "the new case's tasks" all_tasks "$third" RECEIVED 4

[ "$(sql "SELECT count(*) FROM intake.cases")" = 2 ] || fail "cases: $(sql 'SELECT count(*) FROM intake.cases')"
[ "$(sql "SELECT count(*) FROM intake.outbox WHERE type = 'CaseOpened'")" = 2 ] || fail "CaseOpened rows"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$first'")" = 4 ] || fail "tasks of the first case"
for d in fgw slj zjw gxq; do
  [ "$(ls "$T/spool/$d" | grep -c '\.task$')" = 2 ] || fail "agent $d should hold one task of each case"
done
grep -q '"event":"case.duplicate_submit"' "$T/intake.log" || fail "the duplicate was not logged"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
