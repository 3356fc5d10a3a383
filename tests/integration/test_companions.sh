#!/usr/bin/env bash
# Companion tasks close with the case whatever state they are in: a 代办 case
# in the 高新区 zone whose zone body's agent (gxq) is not running, so its
# coordination task stays ASSIGNED. Every item is driven to APPROVED; the
# last approval must be acknowledged (not rolled back because -C1 cannot
# close), -C1 must become CLOSED by the router with a history row, and the
# case must run on to delivery and an open return visit. When the zone
# body's agent comes later it gets the task, and the task stays CLOSED.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw; do agent $d; done      # gxq is offline

sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" \
  "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/app.yaml"
c=$(submit "$T/app.yaml")
note "submitted $c"
coord="$c-C1"
wait_for "three item tasks RECEIVED" sql_is 3 \
  "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND kind = 'item' AND state = 'RECEIVED'"
[ "$(sql "SELECT dept || ' ' || state FROM router.tasks WHERE task_id = '$coord' AND kind = 'coordination'")" = "gxq ASSIGNED" ] \
  || fail "coordination task: '$(sql "SELECT dept || ' ' || state FROM router.tasks WHERE task_id = '$coord'")', expected gxq ASSIGNED"

# Drive every item to a decision; each order must be acknowledged (exit 0
# and the answer "TASK STATE"), the last approval included.
# From the router's rows: the hall's view may not have caught up yet.
sql "SELECT task_id || ' ' || dept FROM router.tasks WHERE case_no = '$c' AND kind = 'item' ORDER BY task_id" >"$T/tasks"
[ "$(grep -c . "$T/tasks")" = 3 ] || fail "expected 3 item tasks: $(cat "$T/tasks")"
order() {
  local out rc=0
  out=$(dept update "$@" 2>"$T/order.err") || rc=$?
  [ $rc = 0 ] || fail "dept update $* refused (exit $rc): $(cat "$T/order.err")"
  [[ $out == "$1 "* ]] || fail "dept update $*: no acknowledgement: '$out'"
}
while read -r task d; do
  order "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where "项目现场"
  order "$task" submitted --dept "$d" --ref "REF-$task"
  order "$task" approved --dept "$d" --doc "DOC-$task" --kind paper
done <"$T/tasks"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND kind = 'item' AND state = 'APPROVED'")" = 3 ] \
  || fail "not every item is APPROVED"

# The coordination task was closed by the router, straight from ASSIGNED, in
# the same transaction as the last approval.
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$coord'")" = CLOSED ] \
  || fail "$coord is $(sql "SELECT state FROM router.tasks WHERE task_id = '$coord'"), expected CLOSED"
[ "$(sql "SELECT from_state || '>' || to_state || ' ' || actor FROM router.task_history
          WHERE task_id = '$coord' AND to_state = 'CLOSED'")" = "ASSIGNED>CLOSED router" ] \
  || fail "no ASSIGNED>CLOSED history row by the router for $coord"
! grep -q "message.refused.*$coord" "$T/router.log" || fail "the router refused a message naming $coord"

deliver_all "$c"
wait_for "return visit opened" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^state *RETURN_VISIT_OPEN'"
[ "$(items_of "$c" | awk '{print $3}' | sort -u)" = DELIVERED ] || fail "not every item is DELIVERED"
wait_for "the hall sees the coordination task CLOSED" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q -- '$coord .* CLOSED'"
[ "$(sql "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c' AND state = 'OPEN'")" = 1 ] \
  || fail "no open return visit stored"

# The zone body's agent comes back: it stores and acknowledges the task it
# missed, and its Ack does not move the closed task.
agent gxq
wait_for "the router outbox drained" sql_is 0 "SELECT count(*) FROM router.outbox WHERE acked_at IS NULL"
wait_for "gxq stored its task" logged_at_least 1 "$T/dept-gxq.log" '"event":"task.stored"'
# ... and then, in that order, the notice that it is closed.
wait_for "gxq stored the closing notice" logged_at_least 1 "$T/dept-gxq.log" '"event":"notice.stored".*closed'
[ "$(grep -o '"event":"\(task\|notice\).stored"' "$T/dept-gxq.log" | tr '\n' ' ')" = \
  '"event":"task.stored" "event":"notice.stored" ' ] || fail "gxq stored, in order: $(grep -o '"event":"[a-z]*.stored"' "$T/dept-gxq.log" | tr '\n' ' ')"
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$coord'")" = CLOSED ] || fail "a late Ack moved $coord"
[ "$(sql "SELECT count(*) FROM router.task_history WHERE task_id = '$coord'")" = 2 ] \
  || fail "history of $coord: $(sql "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, ' ' ORDER BY id) FROM router.task_history WHERE task_id = '$coord'")"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
