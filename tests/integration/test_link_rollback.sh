#!/usr/bin/env bash
# What a refused message had sent goes with it: a department's approval that
# the database refuses half-way (after the item's TaskChanged was appended,
# at the closing of the case's coordination task) is undone whole -- the
# tracker never hears of the approval, no number on the router's link is
# used twice -- and the next approval goes through once.
. "$(dirname "$0")/lib.sh"

start_all
for d in zjw gxq; do agent $d; done
c=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
wait_for "two tasks RECEIVED" all_tasks "$c" RECEIVED 2
t="$c-T1"
move() { dept update "$t" "$@" --dept zjw >/dev/null || fail "move $*"; }
move accepted --when "2026-11-30 09:00" --where "项目现场"
move submitted --ref "GC-500231-2026-0042"
wait_for "the tracker holds SUBMITTED" sql_is SUBMITTED "SELECT state FROM tracker.deadlines WHERE task_id = '$t'"

# The database refuses the coordination task's closing, which comes after
# the item's move and its TaskChanged in the same message.
sql "ALTER TABLE router.task_history ADD CONSTRAINT no_closing CHECK (to_state <> 'CLOSED')" >/dev/null
rc=0; dept update "$t" approved --dept zjw --doc "500231202611280042" --kind paper >/dev/null 2>"$T/refused.err" || rc=$?
[ $rc = 1 ] && grep -q "no_closing" "$T/refused.err" || fail "the approval: exit $rc, $(cat "$T/refused.err")"
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$t'")" = SUBMITTED ] || fail "the router kept part of the approval"
wait_for "the router's links drained" sql_is 0 "SELECT count(*) FROM router.outbox WHERE acked_at IS NULL"
[ "$(sql "SELECT state FROM tracker.deadlines WHERE task_id = '$t'")" = SUBMITTED ] \
  || fail "the tracker heard of an approval the router undid: $(sql "SELECT state FROM tracker.deadlines WHERE task_id = '$t'")"
[ "$(sql "SELECT count(*) FROM delivery.results WHERE task_id = '$t'")" = 0 ] || fail "delivery got a result of an undone approval"

# Without the constraint the approval goes through, and every number the
# router used on its link to the tracker was applied once.
sql "ALTER TABLE router.task_history DROP CONSTRAINT no_closing" >/dev/null
move approved --doc "500231202611280042" --kind paper
wait_for "the tracker holds APPROVED" sql_is APPROVED "SELECT state FROM tracker.deadlines WHERE task_id = '$t'"
wait_for "delivery holds the result" sql_is 1 "SELECT count(*) FROM delivery.results WHERE task_id = '$t'"
wait_for "the router's links drained" sql_is 0 "SELECT count(*) FROM router.outbox WHERE acked_at IS NULL"
[ "$(sql "SELECT last_seq FROM tracker.link_in WHERE sender = 'router@tracker'")" = \
  "$(sql "SELECT last FROM router.outbox_seq WHERE dest = 'tracker'")" ] || fail "a TaskChanged number was lost or used twice"
[ "$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'tracker'")" = \
  "$(sql "SELECT last FROM router.outbox_seq WHERE dest = 'tracker'")" ] || fail "outbox rows and numbers differ"
[ "$(sql "SELECT count(*) FROM tracker.inbox WHERE error_code IS NOT NULL")" = 0 ] || fail "the tracker refused something"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
