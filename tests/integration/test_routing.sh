#!/usr/bin/env bash
# Routing: one task per item at the item's department, a coordination task
# for the zone body, one specialist per department within a case, workload
# balanced over 60 cases, and a specialist away is not chosen.
. "$(dirname "$0")/lib.sh"

start_all
n=0
# app ZONE ITEMS...: an application of those items, under a fresh request id.
app() {
  local zone=$1; shift
  n=$((n + 1))
  local items; items=$(IFS=,; echo "$*")
  sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" \
      -e "s/^  zone: .*/  zone: $zone/" -e "s/^items: .*/items: [$items]/" \
      "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/app$n.yaml"
  submit "$T/app$n.yaml"
}
open_tasks() { sql "SELECT count(*) FROM router.tasks WHERE state NOT IN ('APPROVED','REJECTED','CANCELLED','CLOSED')"; }

# Three departments, two items of one of them, in the 东部新区 zone.
c1=$(app dbxq LX-BA SG-SCT SG-XK GC-SBFA)
wait_for "five tasks" sql_is 5 "SELECT count(*) FROM router.tasks WHERE case_no = '$c1'"
[ "$(sql "SELECT string_agg(dept || ':' || kind, ' ' ORDER BY task_id) FROM router.tasks WHERE case_no = '$c1'")" \
  = "dbxq:coordination fgw:item zjw:item zjw:item slj:item" ] || fail "tasks: $(sql "SELECT string_agg(dept || ':' || kind, ' ' ORDER BY task_id) FROM router.tasks WHERE case_no = '$c1'")"
[ "$(sql "SELECT count(DISTINCT specialist_id) FROM router.tasks WHERE case_no = '$c1' AND dept = 'zjw'")" = 1 ] \
  || fail "the two zjw tasks of one case went to different specialists"
[ "$(sql "SELECT lead_specialist FROM router.cases WHERE case_no = '$c1'")" = fgw-1 ] || fail "lead"

# 60 cases with one 住房城乡建委 item each, in the 高新区 zone (2 liaisons).
for i in $(seq 60); do app gxq LX-BA SG-XK >/dev/null; done
wait_for "181 cases' tasks" sql_is 185 "SELECT count(*) FROM router.tasks"
spread() {
  sql "SELECT max(c) - min(c) || ' ' || count(*) FROM (SELECT specialist_id, count(*) c FROM router.tasks
       WHERE dept = '$1' AND state NOT IN ('APPROVED','REJECTED','CANCELLED','CLOSED') GROUP BY 1) s"
}
# zjw: 4 specialists, 62 open tasks; gxq: 2 liaisons, 60 tasks.
[ "$(spread zjw)" = "1 4" ] || fail "zjw open tasks per specialist: spread and count $(spread zjw)"
[ "$(spread gxq)" = "0 2" ] || fail "gxq open tasks per liaison: spread and count $(spread gxq)"
# The workload counter (router.specialist_load, kept by triggers: 004, 013)
# holds each specialist's open tasks, as counted from the tasks themselves.
check_workload_counter 1
! grep -q '^FAIL' "$CHECKS" || fail "the workload counter is off (above)"
note "zjw workload: $(sql "SELECT string_agg(specialist_id || '=' || c, ' ' ORDER BY specialist_id) FROM (SELECT specialist_id, count(*) c FROM router.tasks WHERE dept = 'zjw' GROUP BY 1) s")"

# The department's list a page at a time (issue 7): zjw has 62 open tasks.
# Once the due dates are in (the links drained), the pages follow one
# another without a gap or a repeat, soonest due first, and add up to the
# open tasks; one specialist's list is that specialist's alone.
wait_for "the links drained" sql_is 0 \
  "SELECT (SELECT count(*) FROM router.outbox WHERE acked_at IS NULL AND dest = 'tracker')
        + (SELECT count(*) FROM tracker.outbox WHERE acked_at IS NULL)"
open_zjw="SELECT task_id FROM router.tasks WHERE dept = 'zjw' AND state NOT IN ('APPROVED','REJECTED','CANCELLED','CLOSED')"
rows() { sed '1d;/ shown of /,$d' "$1"; }
pages=0 after=()
: >"$T/pages.out"
while :; do
  "$BIN/bangdai-dept" list --dept zjw --limit 25 "${after[@]}" >"$T/page.out" || fail "list page $((pages + 1)) failed"
  pages=$((pages + 1))
  rows "$T/page.out" | awk '{ print $1 }' >>"$T/pages.out"
  [ $pages != 1 ] || grep -qx "25 shown of 62 open tasks of zjw" "$T/page.out" || fail "page 1: $(tail -2 "$T/page.out")"
  cur=$(sed -n "s/^more: --after '\(.*\)'$/\1/p" "$T/page.out")
  [ -n "$cur" ] || break
  after=(--after "$cur")
  [ $pages -lt 5 ] || fail "the pages do not end"
done
[ $pages = 3 ] || fail "62 tasks in pages of 25 came in $pages pages"
diff <(sql "$open_zjw ORDER BY coalesce(due_on, 'infinity'), task_id") "$T/pages.out" >"$T/pages.diff" \
  || fail "the pages are not the open tasks, soonest due first: $(head "$T/pages.diff")"
"$BIN/bangdai-dept" list --dept zjw --all >"$T/all.out" || fail "list --all failed"
[ "$(rows "$T/all.out" | wc -l)" = 62 ] && ! grep -q "^more:" "$T/all.out" || fail "list --all: $(tail -2 "$T/all.out")"
"$BIN/bangdai-dept" list --dept zjw --specialist zjw-1 --all >"$T/one.out" || fail "one specialist's list failed"
[ "$(rows "$T/one.out" | awk '{ print $4 }' | sort -u)" = zjw-1 ] \
  && [ "$(rows "$T/one.out" | wc -l)" = "$(sql "SELECT count(*) FROM ($open_zjw AND specialist_id = 'zjw-1') s")" ] \
  || fail "zjw-1's list: $(cat "$T/one.out")"
rc=0; "$BIN/bangdai-dept" list --dept zjw --limit 501 2>"$T/limit.err" || rc=$?
[ $rc = 2 ] && grep -q -- "--limit" "$T/limit.err" || fail "a page of 501: exit $rc $(cat "$T/limit.err")"
rc=0; "$BIN/bangdai-dept" list --dept zjw --after "2026-13-01|x" >/dev/null 2>"$T/after.err" || rc=$?
[ $rc = 1 ] && grep -q "after" "$T/after.err" || fail "a forged cursor: exit $rc $(cat "$T/after.err")"

# zjw-2 goes on leave today: the next cases pass it by.
today=$TEST_DAY   # the daemons' business day (lib.sh)
"$BIN/bangdaictl" specialist away zjw-2 --from "$today" --to "$today" --reason 年假 >/dev/null
[ "$(sql "SELECT set_by || ' ' || reason FROM router.specialist_away WHERE specialist_id = 'zjw-2'")" = "ops 年假" ] \
  || fail "leave not recorded with who and why"
before=$(sql "SELECT count(*) FROM router.tasks WHERE specialist_id = 'zjw-2'")
for i in 1 2 3 4; do app gxq SG-XK >/dev/null; done
wait_for "the four new cases" sql_is 193 "SELECT count(*) FROM router.tasks"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE specialist_id = 'zjw-2'")" = "$before" ] \
  || fail "a specialist on leave was given a task"
"$BIN/bangdaictl" specialist away zjw-9 --from "$today" --to "$today" 2>"$T/away.err" && fail "unknown specialist accepted"
grep -q "specialist_id" "$T/away.err" || fail "away of an unknown specialist: $(cat "$T/away.err")"

# The roster's own leave (configuration: away) counts too: zjw-3 is on leave
# today from the configuration the router is restarted with.
stop router
sed -i "s/^\(      - {id: zjw-3, .*\)}$/\1, away: [{from: $today, to: $today}]}/" "$T/config.yaml"
grep -q "id: zjw-3.*away: \[{from: $today" "$T/config.yaml" || fail "could not give zjw-3 leave in the config"
start router
before3=$(sql "SELECT count(*) FROM router.tasks WHERE specialist_id = 'zjw-3'")
for i in 1 2 3; do app gxq SG-XK >/dev/null; done
wait_for "the three new cases" sql_is 199 "SELECT count(*) FROM router.tasks"
[ "$(sql "SELECT count(*) FROM router.tasks WHERE specialist_id = 'zjw-3'")" = "$before3" ] \
  || fail "a specialist on leave in the roster was given a task"

# A case's two zjw items go to one specialist who has open tasks already:
# the counter adds both (013 counts a statement's new tasks at once).
c2=$(app dbxq SG-SCT SG-XK)
wait_for "the two-zjw case (3 tasks)" sql_is 202 "SELECT count(*) FROM router.tasks"
[ "$(sql "SELECT count(DISTINCT specialist_id) FROM router.tasks WHERE case_no = '$c2' AND dept = 'zjw'")" = 1 ] \
  || fail "the two zjw tasks of the last case went to different specialists"
check_workload_counter 2
! grep -q '^FAIL' "$CHECKS" || fail "the workload counter is off after the two-zjw case (above)"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
