#!/usr/bin/env bash
# The evaluation (issue 10): return visits listed and recorded; the unit's
# rating through the hall, one per service (一次一评) and refused before the
# service ended or with a level that is none of the five; a 差评 through
# verification, rectification and feedback (the unit sees it in its
# status); one through an appeal upheld (the rating left out of
# assessment), one through an appeal rejected and an explanation; a
# department's key refused on another department's rectification; an
# overdue rectification escalating once per level, with time moved by
# restarting bangdai-evaluation on another business day (lib.sh).
. "$(dirname "$0")/lib.sh"

# Rectification within 3 working days here (default 15).
sed -i 's/^  rectify_days: .*/  rectify_days: 3/' "$T/config.yaml"
grep -q "^  rectify_days: 3" "$T/config.yaml" || fail "could not set evaluation.rectify_days"

start_all
for d in zjw gxq fgw; do agent $d; done
ctl() { "$BIN/bangdaictl" "$@"; }
hall() { "$BIN/bangdai-hall" "$@"; }

# ended_case: a case of the one item SG-XK (住房城乡建委) decided and
# delivered, its return visit open; prints its number.
new_case() {
  local c
  c=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
  wait_for "the tasks of $c" all_tasks "$c" RECEIVED 2
  echo "$c"
}
finish() {
  local t="$1-T1"
  dept update "$t" accepted --dept zjw --when "2026-11-30 09:00" --where 项目现场 >/dev/null || fail "accept $t"
  dept update "$t" submitted --dept zjw --ref "GC-$RANDOM" >/dev/null || fail "submit $t"
  dept update "$t" approved --dept zjw --doc "D$RANDOM" --kind paper >/dev/null || fail "approve $t"
  deliver_all "$1"      # handed over and received: the service ends
  wait_for "$1's return visit" sh -c "'$BIN/bangdai-hall' status '$1' | grep -q '^state *RETURN_VISIT_OPEN'"
}
# refused CODE-OR-FIELD COMMAND...: exit 1 and the error names it.
refused() {
  local what=$1 rc=0; shift
  "$@" >"$T/refused.out" 2>&1 || rc=$?
  [ $rc = 1 ] || fail "$*: exit $rc, expected a refusal: $(cat "$T/refused.out")"
  grep -q -- "$what" "$T/refused.out" || fail "$*: the refusal does not say '$what': $(cat "$T/refused.out")"
}
state_of() { sql "SELECT state FROM evaluation.rectifications WHERE id = $1"; }
rect_of() { sql "SELECT r.id FROM evaluation.rectifications r WHERE r.case_no = '$1'"; }

a=$(new_case); b=$(new_case); c=$(new_case); d=$(new_case); e=$(new_case)
# Before the end of the service there is nothing to rate.
refused "error: case_no: " hall rate "$e" --rating 满意
for x in "$a" "$b" "$c" "$d"; do finish "$x"; done
sg=$(sql "SELECT specialist_id FROM router.tasks WHERE task_id = '$a-T1'")
[ "$(sql "SELECT dept || ' ' || specialist FROM evaluation.served_tasks WHERE task_id = '$a-T1'")" = "zjw $sg" ] \
  || fail "evaluation does not know who served $a-T1"

# ---- the return visits ------------------------------------------------------
# Due 5 working days after Monday 2026-11-30: Monday 2026-12-07.
list=$(ctl visit list) || fail "visit list: $list"
for x in "$a" "$b" "$c" "$d"; do
  echo "$list" | grep -q "^$x *2026-12-07 *1 " || fail "visit list lacks $x: $list"
done
echo "$list" | grep -q "^$e " && fail "visit list shows a case still in service: $list"
refused "error: rating: " ctl visit record "$a" --rating 很好
refused "forbidden" ctl --key hall visit record "$a" --rating 满意

# ---- 1. a 差评 through verification, rectification and feedback ----------
refused "error: rating: " hall rate "$a" --rating 还行
out=$(hall rate "$a" --rating 不满意 --comment "材料反复补正, 沟通不及时") || fail "rate: $out"
echo "$out" | grep -q "rectification [0-9]* opened" || fail "a 差评 opened no rectification: $out"
ra=$(rect_of "$a")
[ "$(state_of "$ra")" = verifying ] || fail "a new rectification is verifying"
[ "$(sql "SELECT due_on FROM evaluation.rectifications WHERE id = $ra")" = 2026-12-03 ] \
  || fail "rectification due: $(sql "SELECT due_on FROM evaluation.rectifications WHERE id = $ra")"
refused "error: case_no: .*(conflict)" hall rate "$a" --rating 满意          # 一次一评
wait_for "the department told of the rectification" sh -c \
  "'$BIN/bangdai-dept' spool --dept zjw --spool '$T/spool/zjw' | grep -q '^notice .*$a-T1 .*rectify:opened'"
ctl rectify list | grep -q "^$ra *$a *zjw *$sg *不满意 *verifying *2026-12-03" || fail "rectify list: $(ctl rectify list)"
refused "error: action: .*(conflict)" dept rectify "$ra" --dept zjw --done "已整改"     # not before verification
refused "forbidden" dept rectify "$ra" --dept fgw --done "不是我们的"                  # another department's key
refused "forbidden" "$BIN/bangdaictl" --key dept-zjw rectify verify "$ra" --finding x
ctl rectify verify "$ra" --finding "回访核实: 补正通知未一次性告知" | grep -q "rectifying" || fail "verify"
dept rectify "$ra" --dept zjw --done "已约谈专员, 建立一次性告知清单" | grep -q rectified || fail "done"
ctl rectify feedback "$ra" --text "已向单位反馈整改情况" | grep -q fed_back || fail "feedback"
refused "error: action: .*(conflict)" ctl rectify feedback "$ra" --text again
[ "$(sql "SELECT string_agg(step || ':' || actor, ' ' ORDER BY id) FROM evaluation.rectification_steps WHERE rectification_id = $ra")" \
  = "opened:hall verify:ops done:dept-zjw feedback:ops" ] \
  || fail "steps: $(sql "SELECT string_agg(step || ':' || actor, ' ' ORDER BY id) FROM evaluation.rectification_steps WHERE rectification_id = $ra")"
[ "$(sql "SELECT count(*) FROM evaluation.rectification_steps WHERE rectification_id = $ra AND at IS NOT NULL AND text <> ''")" = 4 ] \
  || fail "every step has when and what"
[ "$(sql "SELECT closed_at IS NOT NULL FROM evaluation.rectifications WHERE id = $ra")" = t ] || fail "not closed"
wait_for "the unit sees the feedback" sh -c "'$BIN/bangdai-hall' status '$a' | grep -q 'feedback .*整改反馈 (rectification $ra): 已向单位反馈整改情况'"
# The return visit is still to be made; it rates the service too.
ctl visit record "$a" --rating 基本满意 --comment "整改后满意" | grep -q "return visit of $a recorded" || fail "visit record"
refused "error: case_no: .*(conflict)" ctl visit record "$a" --rating 满意
ctl visit list | grep -q "^$a " && fail "a recorded visit is still listed"
[ "$(sql "SELECT done_by || ' ' || (done_at IS NOT NULL) || ' ' || (rating_id IS NOT NULL) FROM evaluation.return_visits WHERE case_no = '$a'")" = "ops true true" ] \
  || fail "the visit's record"

# ---- 2. a 差评 at the return visit, appealed, the appeal upheld ------------
ctl visit record "$b" --rating 非常不满意 --comment "专员态度差" | grep -q "rectification [0-9]* opened" || fail "visit 差评"
rb=$(rect_of "$b")
refused "error: text: " dept appeal "$rb" --dept zjw --reason ""            # an appeal says why
dept appeal "$rb" --dept zjw --reason "评价人非本项目单位, 系恶意差评" | grep -q appealed || fail "appeal"
refused "error: action: .*(conflict)" dept rectify "$rb" --dept zjw --done x     # waits for the decision
refused "forbidden" "$BIN/bangdai-dept" --key dept-fgw rectify "$rb" --dept zjw --done x   # fgw's key, whatever --dept says
ctl rectify decide "$rb" --uphold --reason "核实为误评" | grep -q appeal_upheld || fail "uphold"
[ "$(sql "SELECT excluded FROM evaluation.ratings WHERE id = (SELECT rating_id FROM evaluation.rectifications WHERE id = $rb)")" = t ] \
  || fail "an upheld appeal does not exclude the rating"
[ "$(sql "SELECT count(*) FROM evaluation.ratings WHERE excluded")" = 1 ] || fail "only that rating is excluded"

# ---- 3. appealed, the appeal rejected, then explained and fed back -------
hall rate "$c" --rating 不满意 --onsite >/dev/null || fail "onsite rating"
rc_=$(rect_of "$c")
dept appeal "$rc_" --dept zjw --reason "已按规定办理" >/dev/null || fail "appeal c"
refused "error: action: .*(conflict)" ctl rectify verify "$rc_" --finding x
ctl rectify decide "$rc_" --reject --reason "差评属实" | grep -q appeal_rejected || fail "reject"
dept rectify "$rc_" --dept zjw --explain "该要求无法律依据: 施工许可须经图审" | grep -q explained || fail "explain"
ctl rectify feedback "$rc_" --text "已向单位解释" | grep -q fed_back || fail "feedback c"
[ "$(sql "SELECT string_agg(step, ' ' ORDER BY id) FROM evaluation.rectification_steps WHERE rectification_id = $rc_")" \
  = "opened appeal reject explain feedback" ] || fail "steps of c"
[ "$(sql "SELECT excluded FROM evaluation.ratings WHERE case_no = '$c'")" = f ] || fail "a rejected appeal excludes the rating"

# ---- 4. an overdue rectification escalates -------------------------------
hall rate "$d" --rating 非常不满意 >/dev/null || fail "rate d"
rd=$(rect_of "$d")
ctl rectify verify "$rd" --finding "属实" >/dev/null || fail "verify d"
escalations() { sql "SELECT coalesce(string_agg(level, ' ' ORDER BY level), '') FROM evaluation.rectify_escalations WHERE rectification_id = $rd"; }
scans() { grep -cE '"event":"rectify[.](scanned|idle)"' "$T/evaluation.log" || true; }
scanned_more() { [ "$(scans)" -gt "$1" ]; }
on() {
  stop evaluation
  local before; before=$(scans)
  business_day "$@"
  start evaluation
  wait_for "evaluation's first look on $*" scanned_more "$before"
  wait_for "evaluation's outbox drained" sql_is 0 "SELECT count(*) FROM evaluation.outbox WHERE acked_at IS NULL"
  wait_for "the router's outbox drained" sql_is 0 "SELECT count(*) FROM router.outbox WHERE acked_at IS NULL"
}
on 2026-12-03;        [ "$(escalations)" = "" ] || fail "escalated on its due day: $(escalations)"
on 2026-12-05;        [ "$(escalations)" = "" ] || fail "escalated on a Saturday"
on 2026-12-07 08:00;  [ "$(escalations)" = "" ] || fail "escalated before office hours"
on 2026-12-07;        [ "$(escalations)" = "dept_head" ] || fail "2 working days overdue: '$(escalations)'"
on 2026-12-07;        [ "$(escalations)" = "dept_head" ] || fail "escalated twice"
on 2026-12-09;        [ "$(escalations)" = "dept_head leader" ] || fail "4 working days overdue: '$(escalations)'"
[ "$(sql "SELECT escalated_level FROM evaluation.rectifications WHERE id = $rd")" = leader ] || fail "escalated_level"
[ "$(sql "SELECT count(*) FROM evaluation.rectification_steps WHERE rectification_id = $rd AND step = 'escalation'")" = 2 ] \
  || fail "escalation steps"
# Only the chased one: the closed and explained rectifications never escalate.
[ "$(sql "SELECT count(DISTINCT rectification_id) FROM evaluation.rectify_escalations")" = 1 ] || fail "others escalated"
grep -q "\"event\":\"rectify.escalated\".*rectification $rd, level leader (政务服务大厅分管领导): 4 working days overdue, due 2026-12-03" \
  "$T/evaluation.log" || fail "the escalation to the leader was not logged"
grep "\"event\":\"rectify.escalated\"" "$T/evaluation.log" | grep -q '"level":"warn"' || fail "an escalation logs warn"
wait_for "the department told of both levels" sh -c \
  "[ \$('$BIN/bangdai-dept' spool --dept zjw --spool '$T/spool/zjw' | grep -c '^notice .*$d-T1 .*rectify:escalation:') = 2 ]"
"$BIN/bangdai-dept" spool --dept zjw --spool "$T/spool/zjw" | grep -q "^notice .*$d-T1 .*rectify:escalation:dept_head .*县住房城乡建委负责人" \
  || fail "the notice does not name the department's head"

# Every line that names a task names its case.
task_lines_have_case
for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
