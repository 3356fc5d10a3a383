#!/usr/bin/env bash
# A department agent stores what the router sends in the router's order: a
# task that comes before an older one (the older one lost on the way) is held
# unacknowledged until the older one is stored, and the agent remembers where
# it is across a restart (its spool's .seq), also for tasks stored together.
. "$(dirname "$0")/lib.sh"

start_all
# Three cases, one item each at the same department, while its agent is away.
one_item() { submit "$(fresh_request agency-three-items.yaml LX-BA)"; }
c1=$(one_item); c2=$(one_item); c3=$(one_item)
tasks="'$c1-T1', '$c2-T1', '$c3-T1'"
wait_for "the router made the three tasks" sql_is 3 "SELECT count(*) FROM router.tasks WHERE task_id IN ($tasks)"
d=$(sql "SELECT dept FROM router.tasks WHERE task_id = '$c1-T1'")
[ "$(sql "SELECT count(DISTINCT dept) FROM router.tasks WHERE task_id IN ($tasks)")" = 1 ] \
  || fail "the three items should share a department"
wait_for "the tasks numbered for $d" sql_is "1 2 3" \
  "SELECT string_agg(dest_seq::text, ' ' ORDER BY dest_seq) FROM router.outbox WHERE dest = 'dept:$d'"
id() { sql "SELECT id FROM router.outbox WHERE dest = 'dept:$d' AND dest_seq = $1"; }
id1=$(id 1); id2=$(id 2); id3=$(id 3)

# The agent loses the second message it gets (#2), as with a connection that
# broke under it; #3, which comes right behind, must wait for #2.
BANGDAI_FAULT=agent-lose-second "$BIN/bangdai-dept" run --dept "$d" --spool "$T/spool/$d" 2>>"$T/dept-$d.log" &
PIDS[dept-$d]=$!
wait_for "the three tasks RECEIVED" sql_is 3 \
  "SELECT count(*) FROM router.tasks WHERE task_id IN ($tasks) AND state = 'RECEIVED'"
log="$T/dept-$d.log"
grep -q "\"event\":\"agent.fault_injected\".*\"msg\":\"$id2\"" "$log" || fail "#2 was not the message lost"
# Stored in the router's order, each once.
stored=$(grep '"event":"task.stored"' "$log" | grep -o '"msg":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
[ "$stored" = "$id1 $id2 $id3 " ] || fail "stored in the order '$stored', expected $id1 $id2 $id3"
[ "$(cat "$T/spool/$d/.seq")" = 3 ] || fail "the spool's .seq says $(cat "$T/spool/$d/.seq"), expected 3"

# A restart keeps the place: the next task is #4 and is stored at once.
stop "dept-$d"
agent "$d"
c4=$(one_item)
wait_for "the fourth task RECEIVED" sql_is RECEIVED "SELECT state FROM router.tasks WHERE task_id = '$c4-T1'"
grep -q '"event":"agent.started".*last stored #3' "$log" || fail "the restarted agent did not know its place"
[ "$(cat "$T/spool/$d/.seq")" = 4 ] || fail ".seq after the fourth task: $(cat "$T/spool/$d/.seq")"
[ "$(ls "$T/spool/$d" | grep -c '\.task$')" = 4 ] || fail "expected four spool files"

# Tasks that wait for the agent reach it together and are stored as one
# batch (one directory fsync): each once, in order, the place after the last.
stop "dept-$d"
c5=$(one_item); c6=$(one_item); c7=$(one_item)
wait_for "tasks #5 to #7 numbered" sql_is "5 6 7" \
  "SELECT string_agg(dest_seq::text, ' ' ORDER BY dest_seq) FROM router.outbox WHERE dest = 'dept:$d' AND dest_seq > 4"
id5=$(id 5); id6=$(id 6); id7=$(id 7)
: >"$log"
agent "$d"
wait_for "tasks #5 to #7 RECEIVED" sql_is 3 \
  "SELECT count(*) FROM router.tasks WHERE task_id IN ('$c5-T1', '$c6-T1', '$c7-T1') AND state = 'RECEIVED'"
stored=$(grep '"event":"task.stored"' "$log" | grep -o '"msg":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
[ "$stored" = "$id5 $id6 $id7 " ] || fail "stored in the order '$stored', expected $id5 $id6 $id7"
[ "$(cat "$T/spool/$d/.seq")" = 7 ] || fail ".seq after the seventh task: $(cat "$T/spool/$d/.seq")"
[ "$(ls "$T/spool/$d" | grep -c '\.task$')" = 7 ] || fail "expected seven spool files"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
