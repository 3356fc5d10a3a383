#!/usr/bin/env bash
# Pauses (issue 9, 行政许可法 §45 and 补正): the clock of an item stands
# still during 补正 and during a department's expert review or hearing, and
# both due dates (promised and statutory) move by exactly the paused working
# days, each pause counting at most the catalog's limit for its kind. The
# unit's status says paused, since when and why. Pauses go through the
# router: another department's key, a resume without a pause, a second
# pause, a pause before 受理 or on a decided task are refused naming the
# field. A 帮办 item restarts its clock from the day the authority accepted
# the unit's own filing. The days move by restarting the daemons on
# another business day (lib.sh, business_day).
. "$(dirname "$0")/lib.sh"

# 消防设计审查 (SG-XFSC, zjw): 10 working days promised, 15 statutory; the
# sample limits an expert review to 20 working days; this test also limits
# a hearing to 1, to see a pause run over its limit.
grep -q "pause_limits: {expert_review: 20}" "$T/config.yaml" || fail "the sample has no expert review limit on SG-XFSC"
sed -i "s/pause_limits: {expert_review: 20}/pause_limits: {expert_review: 20, hearing: 1}/" "$T/config.yaml"

# day DATE: every daemon restarts on business day DATE.
day() {
  for n in intake router tracker delivery evaluation; do stop $n; done
  business_day "$1"
  start_all
}
deadline() { sql "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' '
                  || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '$1'"; }
# refused FIELD TEXT COMMAND...: the command fails with "error: FIELD: ...TEXT".
refused() {
  local field=$1 text=$2 rc=0; shift 2
  "$@" >/dev/null 2>"$T/refused.err" || rc=$?
  [ $rc = 1 ] || fail "not refused (exit $rc): $*"
  grep -q "error: $field: .*$text" "$T/refused.err" || fail "$*: refused for another reason: $(cat "$T/refused.err")"
}
status_has() { "$BIN/bangdai-hall" status "$1" | grep -q -- "$2"; }

# ---- Monday 2026-11-30: assigned, accepted, submitted ----------------------
start_all
for d in zjw gxq jw ghzy; do agent $d; done
c=$(submit "$(fresh_request agency-three-items.yaml SG-XFSC)")
t="$c-T1"
wait_for "the task received" sql_is RECEIVED "SELECT state FROM router.tasks WHERE task_id = '$t'"
# Before 受理 the clock has not started: nothing to pause.
refused state "its clock starts at 受理" dept pause "$t" --dept zjw --kind expert_review --reason 专家评审
dept update "$t" accepted --dept zjw --when "2026-11-30 09:30" --where 项目现场 >/dev/null || fail "accepted"
# An agency item's submission carries no day of the authority's 受理.
refused accepted_on "only a 帮办 item's submission" \
  dept update "$t" submitted --dept zjw --ref XF-2026-0001 --accepted-on 2026-11-30
dept update "$t" submitted --dept zjw --ref XF-2026-0001 >/dev/null || fail "submitted"
# From Monday 11-30: 10 working days end Monday 12-14, 15 Monday 12-21.
wait_for "the first due dates" sql_is "2026-12-14 2026-12-21 - 0" \
  "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' '
   || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '$t' AND state = 'SUBMITTED'"
wait_for "the unit sees both dates" status_has "$c" "^$t .* 2026-12-14 2026-12-21 "
wait_for "the department sees both dates" sh -c "'$BIN/bangdai-dept' list --dept zjw | grep -q '^$t .*2026-12-21 *2026-12-14$'"

# Pauses of another department, of nothing, of an unknown kind, without a reason.
refused task_id "not a task of department fgw" dept pause "$t" --dept fgw --kind expert_review --reason 专家评审
refused task_id "not a task of department fgw" dept resume "$t" --dept fgw
refused task_id "is not paused" dept resume "$t" --dept zjw
refused pause_kind "is not expert_review" dept pause "$t" --dept zjw --kind coffee --reason 午休
refused pause_kind "is not expert_review" dept pause "$t" --dept zjw --kind supplement --reason 补正
refused reason "needs its reason" dept pause "$t" --dept zjw --kind hearing --reason ""
# A companion task has no clock.
refused task_id "only an approval item" dept pause "$c-C1" --dept gxq --kind hearing --reason 听证
grep -q '"event":"agent.forbidden".*"department":"fgw"' "$T/router.log" || fail "the foreign pause was not logged"

# ---- Tuesday 12-01: 补正 ------------------------------------------------------
day 2026-12-01
dept update "$t" supplement --dept zjw --missing 消防设计文件不全 >/dev/null || fail "supplement"
wait_for "the clock stands for 补正" sql_is "2026-12-14 2026-12-21 supplement 0" \
  "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' '
   || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '$t'"
wait_for "the unit is told it is paused" status_has "$c" \
  "^(paused) $t: clock paused since 2026-12-01 (supplement 补正: 消防设计文件不全), 1 working day paused so far"
refused state "already paused (supplement" dept pause "$t" --dept zjw --kind expert_review --reason 专家评审
# A new specialist keeps the clock as it is: still paused, nothing ended.
from=$(sql "SELECT specialist_id FROM router.tasks WHERE task_id = '$t'")
to=zjw-4; [ "$from" = zjw-4 ] && to=zjw-3
"$BIN/bangdaictl" reassign "$t" --to "$to" --reason 专员外出 >/dev/null || fail "reassign refused"
wait_for "the tracker knows the new specialist" sql_is "$to supplement" \
  "SELECT specialist || ' ' || paused_kind FROM tracker.deadlines WHERE task_id = '$t'"
grep -q '"event":"pause.already_paused"' "$T/tracker.log" && fail "a reassignment was taken for a second pause"
refused state "runs again when the unit's materials come" dept resume "$t" --dept zjw

# ---- Thursday 12-03: the materials come: 2 working days paused (01, 02) ------
day 2026-12-03
dept update "$t" resupplied --dept zjw >/dev/null || fail "resupplied"
wait_for "the dates move by 2 working days" sql_is "2026-12-16 2026-12-23 - 2" "$(printf "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' ' || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '%s'" "$t")"
wait_for "the router has the moved dates" sql_is "2026-12-16 2026-12-23" \
  "SELECT due_on || ' ' || statutory_due_on FROM router.tasks WHERE task_id = '$t'"
wait_for "the unit sees the moved dates" status_has "$c" "^$t .* 2026-12-16 2026-12-23 "
status_has "$c" "^(paused) $t: the clock runs; 2 working days paused in all" || fail "status after 补正: $(status "$c")"
grep -q "\"event\":\"clock.resumed\".*\"task\":\"$t\".*supplement from 2026-12-01 to 2026-12-03: 2 working days" \
  "$T/tracker.log" || fail "the resumed clock was not logged"

# ---- Monday 12-07: expert review --------------------------------------------
day 2026-12-07
dept pause "$t" --dept zjw --kind expert_review --reason 消防设计专家评审 >/dev/null || fail "pause"
wait_for "the clock stands for the review" sql_is "expert_review 2026-12-07" \
  "SELECT paused_kind || ' ' || paused_since FROM tracker.deadlines WHERE task_id = '$t'"
wait_for "the unit is told why" status_has "$c" \
  "^(paused) $t: clock paused since 2026-12-07 (expert_review 专家评审: 消防设计专家评审), 3 working days paused so far"
dept list --dept zjw | grep -q "^$t .*(paused: expert_review since 2026-12-07)$" \
  || fail "the department's list: $(dept list --dept zjw)"
# The supervision board lists it among the paused, with why.
"$BIN/bangdaictl" board | grep -q "^zjw .*$t .*expert_review since 2026-12-07: 消防设计专家评审$" \
  || fail "the board: $("$BIN/bangdaictl" board)"
refused state "already paused (expert_review since 2026-12-07)" \
  dept pause "$t" --dept zjw --kind hearing --reason 听证
refused state "one pause at a time" dept update "$t" supplement --dept zjw --missing 图纸
[ "$(sql "SELECT event || ' ' || (payload->>'kind') || ' ' || (payload->>'reason') FROM router.task_history
          WHERE task_id = '$t' AND event = 'pause'")" = "pause expert_review 消防设计专家评审" ] \
  || fail "the pause is not in the task's history"

# ---- Wednesday 12-09: the review ends: 2 more (07, 08); then a hearing --------
day 2026-12-09
dept resume "$t" --dept zjw >/dev/null || fail "resume"
# 10 + 4 working days from 11-30: Friday 12-18; 15 + 4: Friday 12-25.
wait_for "the dates move by 2 more working days" sql_is "2026-12-18 2026-12-25 - 4" "$(printf "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' ' || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '%s'" "$t")"
wait_for "the unit sees them" status_has "$c" "^$t .* 2026-12-18 2026-12-25 "
[ "$(sql "SELECT count(*) FROM router.task_history WHERE task_id = '$t' AND event = 'resume'")" = 1 ] \
  || fail "the resume is not in the task's history"
dept pause "$t" --dept zjw --kind hearing --reason 听证会 >/dev/null || fail "pause for a hearing"
wait_for "the clock stands for the hearing" sql_is hearing "SELECT paused_kind FROM tracker.deadlines WHERE task_id = '$t'"

# ---- Friday 12-11: the hearing took 2 working days (09, 10), its limit is 1 --
day 2026-12-11
dept resume "$t" --dept zjw >/dev/null || fail "resume after the hearing"
# One day counts: 15 in all from 11-30 is Monday 12-21; statutory 20: 12-28.
wait_for "the hearing counts its limit only" sql_is "2026-12-21 2026-12-28 - 5" "$(printf "SELECT to_char(due_on, 'YYYY-MM-DD') || ' ' || to_char(statutory_due_on, 'YYYY-MM-DD') || ' ' || coalesce(paused_kind, '-') || ' ' || paused_days FROM tracker.deadlines WHERE task_id = '%s'" "$t")"
grep -q "\"event\":\"pause.over_limit\".*\"task\":\"$t\".*hearing from 2026-12-09 to 2026-12-11 took 2 working days, over its limit of 1" \
  "$T/tracker.log" || fail "the pause over its limit was not warned"
[ "$(sql "SELECT string_agg(kind || ':' || workdays || '/' || counted, ' ' ORDER BY from_day) FROM tracker.pauses
          WHERE task_id = '$t'")" = "supplement:2/2 expert_review:2/2 hearing:2/1" ] \
  || fail "the pauses: $(sql "SELECT * FROM tracker.pauses WHERE task_id = '$t'")"
wait_for "the unit sees the last dates" status_has "$c" "^$t .* 2026-12-21 2026-12-28 "
wait_for "the department sees them" sh -c "'$BIN/bangdai-dept' list --dept zjw | grep -q '^$t .*2026-12-28 *2026-12-21$'"

# A decided task's clock has stopped for good.
dept update "$t" approved --dept zjw --doc XF-2026-0001 >/dev/null || fail "approved"
refused state "a decided task's clock has stopped" dept pause "$t" --dept zjw --kind appraisal --reason 鉴定
refused state "a decided task's clock has stopped" dept resume "$t" --dept zjw

# ---- 帮办: the clock restarts from the authority's 受理 of the filing -------
h=$(submit "$(fresh_request help-school.yaml)")
wait_for "the help case's tasks" all_tasks "$h" RECEIVED 4
mb=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$h' AND item_code = 'LX-MBXX'")
refused accepted_on "before the task was assigned (2026-12-11)" \
  dept update "$mb" submitted --dept jw --ref JW-2026-1 --accepted-on 2026-12-10
refused accepted_on "after today (2026-12-11)" \
  dept update "$mb" submitted --dept jw --ref JW-2026-1 --accepted-on 2026-12-14
refused accepted_on "not a date" dept update "$mb" submitted --dept jw --ref JW-2026-1 --accepted-on 2026-12-1
day 2026-12-14
dept update "$mb" submitted --dept jw --ref JW-2026-1 --accepted-on 2026-12-11 >/dev/null \
  || fail "the help item's submission"
# 民办学校筹设 (15 promised, 30 statutory) from Friday 12-11: 12-14..18 are
# days 1-5, 21..25 6-10, 28..31 11-14, and day 15 is in 2027, which the
# sample does not have: both dates pending.
wait_for "the help item's clock restarted" sql_is "2026-12-11 - 2027 2027" \
  "SELECT started_on || ' ' || coalesce(due_on::text, '-') || ' ' || pending_year || ' ' || statutory_pending_year
   FROM tracker.deadlines WHERE task_id = '$mb' AND state = 'SUBMITTED'"
[ "$(sql "SELECT authority_accepted_on FROM router.tasks WHERE task_id = '$mb'")" = 2026-12-11 ] \
  || fail "the router did not keep the authority's day"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
