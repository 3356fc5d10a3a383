#!/usr/bin/env bash
# The progress feed and the expected completion (issue 9).
#
# 1. The sample application submitted on the tests' business day (Monday
#    2026-11-30) is told its expected completion: LX-BA (land, 1 working
#    day), GC-SBFA (works, 10) and SG-XK (construction, 3) take 1 + 10 + 3 =
#    14 working days: 2026-12-18; status shows the same.
# 2. Two watchers of the case (`bangdai-hall watch`), one from the start
#    until the case is final, one live only, see every change of the case
#    end to end, in order, without a gap: the same events as intake's own
#    record (intake.feed_events), each task's states in the order the router
#    moved it, through delivery to the opened return visit, and each task's
#    last state as intake holds it.
# 3. A watcher with a key the configuration does not list gets nothing, and
#    intake logs link.refused for the feed.
# 4. A watcher across a restart of intake says it reconnected, reads the
#    status again, and still ends when the case is final.
# 5. Once an item has 5 finished tasks, its history replaces the catalog's
#    promise in the expected completion.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done
hall() { "$BIN/bangdai-hall" "$@"; }

# drive CASE: every item task through acceptance, submission and approval.
drive() {
  local task d state kind
  items_of "$1" >"$T/tasks-$1"
  while read -r task d state kind; do
    dept update "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where "项目现场" >/dev/null
    dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null
    dept update "$task" approved --dept "$d" --doc "DOC-$task" >/dev/null
  done <"$T/tasks-$1"
}

# events FILE: the event lines of a watcher's output as "seq kind task state case".
events() {
  grep -E '^#[0-9]+ ' "$1" | awk '{
    seq = substr($1, 2); c = $NF; sub(/\)$/, "", c)
    if ($4 == "task") print seq, $4, $5, $10, c; else print seq, $4, "-", "-", c }'
}

# record CASE [AFTER]: intake's own record of the case's events, same columns.
record() {
  sql "SELECT seq || ' ' || kind || ' ' || CASE WHEN kind = 'task' THEN task_id || ' ' || state ELSE '- -' END
         || ' ' || case_state FROM intake.feed_events WHERE case_no = '$1' AND seq > ${2:-0} ORDER BY seq"
}

# ---- 1. the expected completion ---------------------------------------------
case_no=$(submit "$(fresh_request agency-three-items.yaml)" 2>"$T/submit.err")
[[ $case_no =~ ^BD-500231- ]] || fail "submit gave '$case_no'"
grep -qx "bangdai-hall: expected completion 2026-12-18 (catalog promised days by stage)" "$T/submit.err" \
  || fail "submit's expected completion: $(cat "$T/submit.err")"
status "$case_no" | grep -qx "expected  2026-12-18 (catalog promised days by stage)" \
  || fail "status's expected completion: $(status "$case_no" | grep '^expected' || echo none)"
[ "$(sql "SELECT expected_completion FROM intake.cases WHERE case_no = '$case_no'")" = 2026-12-18 ] \
  || fail "the expectation is not stored with the case"
note "submitted $case_no, expected 2026-12-18"

# ---- 2. two watchers see every change, in order -----------------------------
"$BIN/bangdai-hall" watch "$case_no" --from-start --until-final >"$T/watch-a.out" 2>"$T/watch-a.err" &
PIDS[watch-a]=$!
"$BIN/bangdai-hall" watch "$case_no" >"$T/watch-b.out" 2>"$T/watch-b.err" &
PIDS[watch-b]=$!
wait_for "watcher a is live" grep -q '^-- watching' "$T/watch-a.out"
wait_for "watcher b is live" grep -q '^-- watching' "$T/watch-b.out"

wait_for "four tasks RECEIVED" all_tasks "$case_no" RECEIVED 4
drive "$case_no"
deliver_all "$case_no"
wait_for "return visit opened" sh -c "'$BIN/bangdai-hall' status '$case_no' | grep -q '^state *RETURN_VISIT_OPEN'"
for s in intake router tracker delivery evaluation; do
  wait_for "$s outbox drained" sql_is 0 "SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL"
done
wait_for "the coordination task closed" sh -c "'$BIN/bangdai-hall' status '$case_no' | grep -q -- '-C1 .* CLOSED'"

# Watcher a ends by itself once the case is final.
rc=0
wait "${PIDS[watch-a]}" || rc=$?
unset "PIDS[watch-a]"
[ $rc = 0 ] || fail "watcher a exited with $rc: $(cat "$T/watch-a.err")"
last_a=$(events "$T/watch-a.out" | tail -n 1)
[ "$(echo "$last_a" | awk '{print $5}')" = RETURN_VISIT_OPEN ] || fail "watcher a ended on '$last_a'"
# Watcher b sees the rest live, then Ctrl-C ends it cleanly.
total=$(sql "SELECT feed_seq FROM intake.cases WHERE case_no = '$case_no'")
wait_for "watcher b saw #$total" grep -q "^#$total " "$T/watch-b.out"
kill -INT "${PIDS[watch-b]}"
rc=0
wait "${PIDS[watch-b]}" || rc=$?
unset "PIDS[watch-b]"
[ $rc = 0 ] || fail "watcher b exited with $rc after Ctrl-C: $(cat "$T/watch-b.err")"

! grep -q "missed events\|reconnected" "$T/watch-a.out" "$T/watch-b.out" || fail "a watcher missed events on a quiet system"
# a: from #1, every event of intake's record up to where it ended.
n_a=$(echo "$last_a" | awk '{print $1}')
[ "$(events "$T/watch-a.out")" = "$(record "$case_no" | head -n "$n_a")" ] \
  || { diff <(events "$T/watch-a.out") <(record "$case_no") >&2; fail "watcher a differs from intake's record"; }
# b: from the status it printed, every later event of the record.
from_b=$(sed -n 's/^-- status up to #\([0-9]*\) --$/\1/p' "$T/watch-b.out" | head -n 1)
[ "$(events "$T/watch-b.out")" = "$(record "$case_no" "$from_b")" ] \
  || { diff <(events "$T/watch-b.out") <(record "$case_no" "$from_b") >&2; fail "watcher b differs from intake's record"; }
[ "$(events "$T/watch-b.out" | grep -c .)" -ge 12 ] || fail "watcher b saw too little live: $(events "$T/watch-b.out" | grep -c .)"

# Each task: its states as the feed showed them are the router's moves in
# order (intake keeps out a report older than one it holds, so one may be
# left out, never reordered), then HANDED_OVER and DELIVERED for an item; the last is the
# state intake holds.
for task in $(sql "SELECT task_id FROM intake.case_tasks WHERE case_no = '$case_no' ORDER BY task_id"); do
  seen=$(events "$T/watch-a.out" | awk -v t="$task" '$2 == "task" && $3 == t {print $4}' | tr '\n' ' ')
  moves="$(sql "SELECT string_agg(to_state, ' ' ORDER BY id) FROM router.task_history WHERE task_id = '$task'") "
  [ "$(sql "SELECT kind FROM intake.case_tasks WHERE task_id = '$task'")" = item ] && moves="${moves}HANDED_OVER DELIVERED "
  rest=" $moves"
  for s in $seen; do
    [[ $rest == *" $s "* ]] || fail "task $task: the feed showed '$seen', not in the order of '$moves'"
    rest=" ${rest#* $s }"
  done
  held=$(sql "SELECT state FROM intake.case_tasks WHERE task_id = '$task'")
  [ "$(echo "$seen" | awk '{print $NF}')" = "$held" ] || fail "task $task: the feed ended on '$seen', intake holds $held"
  [[ $seen == *ACCEPTED_ONSITE* || $held == CLOSED ]] || fail "task $task: no acceptance in '$seen'"
done
grep -q '^#[0-9]* .* log lead ' "$T/watch-a.out" || fail "the lead specialist is not on the feed"
grep -q '^#1 .* submitted agency, 3 items: LX-BA GC-SBFA SG-XK (case SUBMITTED)$' "$T/watch-a.out" \
  || fail "the feed does not start with the submit: $(grep -m1 '^#' "$T/watch-a.out")"
note "two watchers saw all $total events of $case_no in order"

# ---- 3. a key the configuration does not list gets nothing ------------------
"$BIN/bangdaictl" keys new hall intruder --dir "$T/other" >/dev/null
cp "$KEYS/intake.key" "$T/other/"
sed -e "s#^  certs_dir: .*#  certs_dir: $T/other#" \
    -e "s#^    - {name: hall, role: hall}#&\n    - {name: intruder, role: hall}#" \
    "$T/config.yaml" >"$T/intruder.yaml"
grep -q "name: intruder" "$T/intruder.yaml" || fail "could not add the intruder to its configuration"
rc=0
hall --config "$T/intruder.yaml" --key intruder watch "$case_no" >"$T/intruder.out" 2>"$T/intruder.err" || rc=$?
[ $rc = 3 ] || fail "unknown key: watch exit status $rc, expected 3: $(cat "$T/intruder.err")"
[ ! -s "$T/intruder.out" ] || fail "an unknown key saw something: $(head -3 "$T/intruder.out")"
grep -q "did not take this key" "$T/intruder.err" || fail "the watcher does not say why: $(cat "$T/intruder.err")"
wait_for "intake logged the refusal" sh -c "grep '\"event\":\"link.refused\"' '$T/intake.log' | grep -q 'feed: a connection from'"

# ---- 4. across a restart of intake ------------------------------------------
c2=$(submit "$(fresh_request agency-three-items.yaml)" 2>/dev/null)
"$BIN/bangdai-hall" watch "$c2" --until-final >"$T/watch-c.out" 2>"$T/watch-c.err" &
PIDS[watch-c]=$!
wait_for "watcher c is live" grep -q '^-- watching' "$T/watch-c.out"
wait_for "four tasks of $c2 RECEIVED" all_tasks "$c2" RECEIVED 4
stop intake
start intake
wait_for "watcher c reconnected" grep -q '^-- reconnected: status again --$' "$T/watch-c.out"
drive "$c2"
deliver_all "$c2"
rc=0
for i in $(seq 600); do kill -0 "${PIDS[watch-c]}" 2>/dev/null || break; sleep 0.1; done
wait "${PIDS[watch-c]}" || rc=$?
unset "PIDS[watch-c]"
[ $rc = 0 ] || fail "watcher c exited with $rc: $(cat "$T/watch-c.err")"
tail -n 3 "$T/watch-c.out" | grep -q "RETURN_VISIT_OPEN" || fail "watcher c did not end on the final state: $(tail -n 3 "$T/watch-c.out")"
note "a watcher across an intake restart: reconnected, status again, ended when final"

# ---- 5. history replaces the catalog ----------------------------------------
# LX-BA now has 2 finished tasks (decided the day they started: 0 working
# days); three more make 5.
for i in 1 2 3; do
  c=$(submit "$(fresh_request agency-three-items.yaml LX-BA)" 2>/dev/null)
  wait_for "$c's task RECEIVED" all_tasks "$c" RECEIVED 2
  drive "$c"
done
wait_for "5 finished LX-BA tasks on record" sql_is 5 \
  "SELECT count(*) FROM intake.item_clock WHERE item_code = 'LX-BA' AND workdays = 0"
submit "$(fresh_request agency-three-items.yaml)" >/dev/null 2>"$T/submit-h.err"
grep -qx "bangdai-hall: expected completion 2026-12-17 (county history for 1 of 3 items (median; latest: 90th percentile), catalog promised days for the rest, by stage)" \
  "$T/submit-h.err" || fail "with history: $(cat "$T/submit-h.err")"
note "with 5 finished LX-BA tasks (0 working days each): expected 2026-12-17"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
