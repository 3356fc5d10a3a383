#!/usr/bin/env bash
# Metrics and health (issue 11): every daemon serves /metrics and /healthz
# on its address of the configuration's metrics section. Under load each
# scrape passes `promtool check metrics` and counts what happened; with the
# tracker stopped while cases keep coming, the router's outbox depth for the
# tracker rises from scrape to scrape, and falls back to 0 once it is back;
# `bangdaictl status` shows a row per daemon, the stopped one down; a daemon
# whose database is gone answers /healthz with 503 and the reason, and 200
# again once it is back.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { echo "SKIP: promtool missing (Debian package prometheus)" >&2; exit 77; }
command -v curl >/dev/null || fail "curl missing (tests/run.sh installs it)"

with_metrics
# The login taken from evaluation's role below comes back whatever happens.
trap 'rc=$?; psql -qAtX -d postgres -c "ALTER ROLE bangdai_evaluation LOGIN" >/dev/null 2>&1; (exit $rc); cleanup' EXIT

start_all
for d in fgw slj zjw gxq; do agent $d; done
wait_for "every daemon healthy" "$BIN/bangdaictl" status
for d in intake router tracker delivery evaluation; do
  [ "$(scrape $d /healthz)" = ok ] || fail "$d /healthz: $(scrape $d /healthz)"
done

# 1. Under load: cases submitted one after the other while each daemon is
#    scraped; every scrape is valid exposition text (promtool).
( for i in 1 2 3 4 5 6; do submit "$(fresh_request agency-three-items.yaml)" >/dev/null || exit 1; done ) &
load=$!
for round in 1 2; do
  for d in intake router tracker delivery evaluation; do
    scrape $d >"$T/scrape-$d-$round.txt" || fail "$d: no scrape"
    promtool check metrics <"$T/scrape-$d-$round.txt" >"$T/promtool.out" 2>&1 \
      || fail "promtool check metrics refuses $d's scrape: $(head -5 "$T/promtool.out")"
  done
done
wait $load || fail "a submit failed under load"
grep -q '^# TYPE bangdai_handler_latency_seconds histogram$' "$T/scrape-router-1.txt" || fail "no latency histogram"
grep -q '^bangdai_batch_size_bucket{le="+Inf"} ' "$T/scrape-router-1.txt" || fail "no batch size histogram"
# What happened shows: six cases applied by intake and the router, every
# agent connected, the tasks open at the tracker.
wait_for "intake counted 6 submits" metric_is intake 'bangdai_messages_applied_total{type="SubmitRequest"}' 6
wait_for "the router applied 6 CaseOpened" metric_is router 'bangdai_messages_applied_total{type="CaseOpened"}' 6
[ "$(metric router 'bangdai_agents_connected')" = 4 ] || fail "agents connected: $(metric router bangdai_agents_connected)"
[ "$(metric router 'bangdai_agent_connected{dept="fgw"}')" = 1 ] || fail "fgw's agent not shown connected"
[ "$(metric router 'bangdai_agent_connected{dept="mzj"}')" = 0 ] || fail "mzj's agent (not started) shown connected"
wait_for "24 tasks RECEIVED at the tracker" metric_is tracker 'bangdai_tracker_open_tasks{state="RECEIVED"}' 24
[ "$(metric tracker bangdai_tracker_overdue_tasks)" = 0 ] || fail "overdue tasks on the day they were assigned"
wait_for "the router's outbox for the tracker empty" metric_is router 'bangdai_outbox_depth{dest="tracker"}' 0
note "under load: promtool passes on every daemon's scrape"

# 2. The tracker stops; cases keep coming. The router's outbox depth for the
#    tracker rises from scrape to scrape; bangdaictl status shows the tracker
#    down and the router's backlog.
stop tracker
[ "$(http_code tracker /healthz)" = 000 ] || fail "the stopped tracker still answers /healthz"
prev=0 depths=""
for i in 1 2 3; do
  c=$(submit "$(fresh_request agency-three-items.yaml)")
  # Four tasks, each ASSIGNED then RECEIVED: TaskChanged for the tracker,
  # one envelope for the four ASSIGNED and one or more for the RECEIVED
  # (Envelope.more: the Acks that come together move together).
  wait_for "case $i's four tasks RECEIVED at the router" sql_is $((24 + 4 * i)) \
    "SELECT count(*) FROM router.tasks WHERE state = 'RECEIVED'"
  want=$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'tracker' AND acked_at IS NULL")
  [ "$want" -ge $((prev + 2)) ] || fail "case $i added $((want - prev)) TaskChanged for the tracker, expected 2 or more"
  wait_for "the depth gauge at $want" metric_is router 'bangdai_outbox_depth{dest="tracker"}' "$want"
  depths="$depths $want"
  prev=$want
done
age=$(metric router 'bangdai_outbox_oldest_unacked_age_seconds{dest="tracker"}')
awk -v a="$age" 'BEGIN { exit !(a > 0) }' || fail "oldest unacknowledged age $age with $prev waiting"
note "tracker stopped: the router's depth for it rose:$depths"

rc=0; "$BIN/bangdaictl" status >"$T/status.txt" 2>&1 || rc=$?
cat "$T/status.txt"
[ $rc = 3 ] || fail "bangdaictl status with the tracker down: exit $rc, expected 3"
[ "$(grep -cE '^(intake|router|tracker|delivery|evaluation) ' "$T/status.txt")" = 5 ] || fail "not a row per daemon"
grep -qE '^tracker +down +.*no answer' "$T/status.txt" || fail "the tracker is not shown down"
grep -qE "^router +up +[0-9]+ +[0-9]+ +$prev .*tracker $prev/" "$T/status.txt" || fail "the router's row does not show $prev for the tracker"
grep -qE '^intake +up ' "$T/status.txt" || fail "intake not shown up"
"$BIN/bangdaictl" status --json >"$T/status.json" || true
python3 - "$T/status.json" "$prev" <<'PY' || fail "bangdaictl status --json: $(cat "$T/status.json")"
import json, sys
d = {r["daemon"]: r for r in json.load(open(sys.argv[1]))["daemons"]}
assert sorted(d) == ["delivery", "evaluation", "intake", "router", "tracker"], d.keys()
assert d["tracker"]["health"] == "down" and d["tracker"]["reason"], d["tracker"]
assert d["router"]["health"] == "up" and d["router"]["applied"] >= 9, d["router"]
q = {x["dest"]: x for x in d["router"]["outbox"]}
assert q["tracker"]["depth"] == int(sys.argv[2]) and q["tracker"]["oldest_s"] > 0, q
PY

# 3. The tracker is back: the depth falls to 0 and every daemon is up.
start tracker
wait_for "the router's depth for the tracker back to 0" metric_is router 'bangdai_outbox_depth{dest="tracker"}' 0
[ "$(metric router 'bangdai_outbox_oldest_unacked_age_seconds{dest="tracker"}')" = 0 ] || fail "an age with nothing waiting"
wait_for "the tracker applied the 12 tasks it missed" metric_is tracker 'bangdai_tracker_open_tasks{state="RECEIVED"}' 36
wait_for "every daemon up again" "$BIN/bangdaictl" status
note "tracker back: the depth fell to 0"

# 4. Evaluation loses its database (its role may no longer log in, its
#    session ended): /healthz 503 with the reason; 200 again once back.
sql "ALTER ROLE bangdai_evaluation NOLOGIN" >/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'bangdai_evaluation' AND datname = '$DB'" >/dev/null
wait_for "evaluation's /healthz 503" http_code_is evaluation /healthz 503
scrape evaluation /healthz | tee "$T/health.txt"
grep -q '^unhealthy: database: ' "$T/health.txt" || fail "the 503 does not say the database: $(cat "$T/health.txt")"
[ "$(metric evaluation bangdai_up)" = 0 ] || fail "bangdai_up not 0 without the database"
rc=0; "$BIN/bangdaictl" status evaluation >"$T/status-eval.txt" || rc=$?
[ $rc = 3 ] && grep -qE '^evaluation +unhealthy ' "$T/status-eval.txt" || fail "status: $(cat "$T/status-eval.txt") (exit $rc)"
sql "ALTER ROLE bangdai_evaluation LOGIN" >/dev/null
wait_for "evaluation's /healthz 200 again" http_code_is evaluation /healthz 200
[ "$(scrape evaluation /healthz)" = ok ] || fail "the 200 does not say ok"
[ "$(http_code evaluation /nothing)" = 404 ] || fail "an unknown path is not 404"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
