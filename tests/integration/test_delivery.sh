#!/usr/bin/env bash
# Delivery (统一送达, issue 10): one case of three items delivered in person,
# by post and as an e-licence, each with its receipt, confirmation or
# download; the end of service opens exactly one return visit, also when
# the last confirmation is sent twice and when delivery is killed -9
# between its commit and its ack; statutory fees only, refused naming the
# field otherwise; a handover not confirmed within delivery.confirm_days is
# auto-confirmed, and a result not handed over within §44's 10 working days
# reminds the department, both on the injected business clock.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done

c=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "four tasks RECEIVED" all_tasks "$c" RECEIVED 4
t_fgw=$(items_of "$c" | awk '$2 == "fgw" {print $1}')
t_slj=$(items_of "$c" | awk '$2 == "slj" {print $1}')
t_zjw=$(items_of "$c" | awk '$2 == "zjw" {print $1}')
coord=$(tasks_of "$c" | awk '$4 == "coordination" {print $1}')

# refused CMD FIELD ARGS...: bangdai-dept CMD is refused naming FIELD.
refused() {
  local cmd=$1 field=$2 rc=0; shift 2
  dept "$cmd" "$@" >/dev/null 2>"$T/refused.err" || rc=$?
  [ $rc = 1 ] || fail "$cmd $*: exit $rc, expected a refusal naming $field"
  grep -q "error: $field: " "$T/refused.err" || fail "$cmd $*: the refusal does not name $field: $(cat "$T/refused.err")"
}

# A result is not handed over before its decision.
refused deliver task_id "$t_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-1
for t in "$t_fgw:fgw:paper" "$t_slj:slj:paper" "$t_zjw:zjw:e_licence"; do
  IFS=: read -r task d kind <<<"$t"
  dept update "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where 项目现场 >/dev/null || fail "accept $task"
  dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null || fail "submit $task"
  dept update "$task" approved --dept "$d" --doc "DOC-$task" --kind "$kind" >/dev/null || fail "approve $task"
done

# ---- a decided item waits for its handover --------------------------------
wait_for "delivery holds three decisions" sql_is 3 \
  "SELECT count(*) FROM delivery.handovers WHERE case_no = '$c' AND handed_at IS NULL"
items_in "$c" APPROVED || fail "decided items are not APPROVED in status: $(items_of "$c")"
[ "$(sql "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c'")" = 0 ] \
  || fail "a return visit was opened before anything was handed over"

# ---- fees: statutory only ---------------------------------------------------
refused fee amount "$t_zjw" --dept zjw --amount 100 --payee 县住房城乡建委 --paid-on 2026-11-30  # SG-XK: fee: false
refused fee amount "$t_slj" --dept slj --amount -5 --payee 县水利局 --paid-on 2026-11-30
refused fee amount "$t_slj" --dept slj --amount 0 --payee 县水利局 --paid-on 2026-11-30
refused fee amount "$t_slj" --dept slj --amount 12.345 --payee 县水利局 --paid-on 2026-11-30
refused fee amount "$t_slj" --dept slj --amount 1,000 --payee 县水利局 --paid-on 2026-11-30
refused fee payee "$t_slj" --dept slj --amount 1234.50 --paid-on 2026-11-30
refused fee paid_on "$t_slj" --dept slj --amount 1234.50 --payee 县水利局 --paid-on 2026-12-01   # after today
refused fee task_id "$t_slj" --dept fgw --amount 1234.50 --payee 县水利局 --paid-on 2026-11-30  # another department's
dept fee "$t_slj" --dept slj --amount 1234.50 --payee 县水利局 --paid-on 2026-11-30 >/dev/null || fail "a statutory fee was refused"
wait_for "the fee recorded in fen" sql_is "123450|县水利局|2026-11-30|dept-slj|GC-SBFA" \
  "SELECT amount_fen || '|' || payee || '|' || paid_on || '|' || recorded_by || '|' || item_code FROM delivery.fees WHERE case_no = '$c'"
[ "$(sql "SELECT count(*) FROM delivery.fees")" = 1 ] || fail "a refused fee was recorded"
wait_for "the fee in status" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q 'statutory fee 1234.50 yuan for GC-SBFA paid to 县水利局'"

# ---- handovers, each method's fields checked ---------------------------------
refused deliver task_id "$coord" --dept gxq --method in_person --receiver 张三 --receipt R-1
refused deliver receipt_ref "$t_fgw" --dept fgw --method in_person --receiver 张三
refused deliver receiver "$t_fgw" --dept fgw --method in_person --receipt R-1
refused deliver method "$t_fgw" --dept fgw --method pigeon
refused deliver tracking_no "$t_slj" --dept slj --method post --carrier EMS --address 垫江县桂溪街道
refused deliver carrier "$t_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-1 --carrier EMS
refused deliver at "$t_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-1 --at "2026-12-01 09:00"
refused deliver at "$t_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-1 --at yesterday
refused deliver method "$t_slj" --dept slj --method e_licence --licence L-1    # a paper result has no e-licence
refused deliver task_id "$t_slj" --dept fgw --method post --carrier EMS --tracking 1 --address x
dept deliver "$t_fgw" --dept fgw --method in_person --receiver 张三 --receipt SJ-2026-001 --at "2026-11-30 09:45" >/dev/null \
  || fail "in-person handover refused"
dept deliver "$t_slj" --dept slj --method post --carrier 中国邮政EMS --tracking 1100223344 --address 垫江县桂溪街道1号 >/dev/null \
  || fail "handover by post refused"
dept deliver "$t_zjw" --dept zjw --method e_licence --licence CQ-DZZZ-0001 >/dev/null || fail "e-licence handover refused"
refused deliver task_id "$t_fgw" --dept fgw --method in_person --receiver 李四 --receipt R-2   # once
wait_for "three items handed over" items_in "$c" HANDED_OVER
[ "$(sql "SELECT string_agg(method || ':' || coalesce(receiver, '') || coalesce(receipt_ref, '') || coalesce(tracking_no, '')
          || coalesce(licence_id, '') || ':' || handed_by, ' ' ORDER BY method) FROM delivery.handovers WHERE case_no = '$c'")" \
  = "e_licence:CQ-DZZZ-0001:dept-zjw in_person:张三SJ-2026-001:dept-fgw post:1100223344:dept-slj" ] \
  || fail "handovers: $(sql "SELECT * FROM delivery.handovers WHERE case_no = '$c'")"
status "$c" >"$T/status"
grep -q "^(handover) $t_fgw: in person 2026-11-30 09:45 to 张三, receipt SJ-2026-001; not confirmed yet" "$T/status" \
  || fail "status lacks the in-person handover: $(grep handover "$T/status")"
grep -q "^(handover) $t_slj: by post .*, 中国邮政EMS 1100223344 to 垫江县桂溪街道1号" "$T/status" || fail "status lacks the post"
grep -q "^(handover) $t_zjw: e-licence .*, licence CQ-DZZZ-0001" "$T/status" || fail "status lacks the e-licence"

# ---- the unit confirms ----------------------------------------------------------
"$BIN/bangdai-hall" download "$c" "$t_slj" 2>"$T/dl.err" && fail "a paper result was 'downloaded'"
grep -q "error: task_id: " "$T/dl.err" || fail "download of a posted result: $(cat "$T/dl.err")"
"$BIN/bangdai-hall" receipt "$c" --task "$t_fgw" | grep -q "^$t_fgw received" || fail "receipt of $t_fgw"
"$BIN/bangdai-hall" download "$c" "$t_zjw" | grep -q "^$t_zjw downloaded" || fail "download of $t_zjw"
wait_for "the download recorded and confirming" sql_is "true|download" \
  "SELECT (downloaded_at IS NOT NULL) || '|' || confirmed_by FROM delivery.handovers WHERE task_id = '$t_zjw'"
wait_for "two delivered" sh -c "[ \$('$BIN/bangdai-hall' status '$c' | grep -c ' DELIVERED ') = 2 ]"
[ "$(sql "SELECT count(*) FROM delivery.cases WHERE case_no = '$c' AND ended_at IS NOT NULL")" = 0 ] \
  || fail "the service ended with an item not confirmed"

# The last confirmation reaches a delivery that dies (kill -9) right after
# its commit, before its Ack: intake sends it again, the inbox knows it.
stop delivery
start delivery BANGDAI_FAULT=crash-before-ack
dpid=${PIDS[delivery]}
"$BIN/bangdai-hall" receipt "$c" | grep -q "$t_slj received" || fail "the last receipt"
wait_for "delivery killed after its commit" sh -c "! kill -0 $dpid"
wait "$dpid" 2>/dev/null || true
unset "PIDS[delivery]"
grep -q "crash-before-ack: SIGKILL after commit" "$T/delivery.log" || fail "the fault was not injected"
[ "$(sql "SELECT count(*) FROM delivery.cases WHERE case_no = '$c' AND ended_at IS NOT NULL")" = 1 ] \
  || fail "the commit before the crash did not end the service"
start delivery
wait_for "the return visit opened" sql_is 1 "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c'"
wait_for "intake's confirmation acknowledged" sql_is 0 \
  "SELECT count(*) FROM intake.outbox WHERE dest = 'delivery' AND acked_at IS NULL"
# ... and the unit confirms once more (its first answer was lost, say).
"$BIN/bangdai-hall" receipt "$c" >/dev/null || fail "a second receipt was refused"
"$BIN/bangdai-hall" receipt "$c" --task "$t_slj" >/dev/null || fail "a second receipt of one task was refused"
wait_for "the repeated confirmations acknowledged" sql_is 0 \
  "SELECT count(*) FROM intake.outbox WHERE dest = 'delivery' AND acked_at IS NULL"
wait_for "delivery's outbox drained" sql_is 0 "SELECT count(*) FROM delivery.outbox WHERE acked_at IS NULL"
[ "$(sql "SELECT count(*) FROM delivery.outbox WHERE type = 'ServiceEnded' AND case_no = '$c'")" = 1 ] \
  || fail "ServiceEnded was sent $(sql "SELECT count(*) FROM delivery.outbox WHERE type = 'ServiceEnded' AND case_no = '$c'") times"
[ "$(sql "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c'")" = 1 ] || fail "more than one return visit"
[ "$(grep -c '"event":"service.ended".*'"$c" "$T/delivery.log")" = 1 ] || fail "service.ended logged more than once"
wait_for "every item DELIVERED" items_in "$c" DELIVERED
wait_for "the case's return visit in status" sh -c "'$BIN/bangdai-hall' status '$c' | grep -q '^state *RETURN_VISIT_OPEN'"
status "$c" | grep -q "^(handover) $t_fgw: .*; confirmed 2026-11-30" || fail "the confirmation is not in status"
status "$c" | grep -q "^(handover) $t_zjw: .*; downloaded 2026-11-30" || fail "the download is not in status"

# ---- 统一送达: a case delivered together waits for its last decision ------------
f=$(fresh_request agency-three-items.yaml "LX-BA,SG-XK")
printf 'delivery_together: true\n' >>"$f"
g=$(submit "$f")
wait_for "the together case's tasks" items_in "$g" RECEIVED
[ "$(sql "SELECT delivery_together FROM router.cases WHERE case_no = '$g'")" = t ] || fail "统一送达 not kept"
# The same request id without it is another application: refused, naming it.
sed '/^delivery_together:/d' "$f" >"$f.single"
rc=0; submit "$f.single" >/dev/null 2>"$T/together.err" || rc=$?
[ $rc = 1 ] && grep -q "error: delivery_together: request .* was submitted before as case $g" "$T/together.err" \
  || fail "a resubmit without 统一送达: exit $rc, $(cat "$T/together.err")"
g_fgw=$(items_of "$g" | awk '$2 == "fgw" {print $1}')
g_zjw=$(items_of "$g" | awk '$2 == "zjw" {print $1}')
for t in "$g_fgw:fgw" "$g_zjw:zjw"; do
  IFS=: read -r task d <<<"$t"
  dept update "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where 项目现场 >/dev/null || fail "accept $task"
  dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null || fail "submit $task"
done
dept update "$g_fgw" approved --dept fgw --doc "DOC-$g_fgw" --kind paper >/dev/null || fail "approve $g_fgw"
wait_for "the first decision reached the router" sql_is APPROVED "SELECT state FROM router.tasks WHERE task_id = '$g_fgw'"
refused deliver state "$g_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-G1
grep -q "delivered together (统一送达): its results are handed over once every item is decided (1 not yet)" \
  "$T/refused.err" || fail "the refusal does not say why: $(cat "$T/refused.err")"
dept update "$g_zjw" approved --dept zjw --doc "DOC-$g_zjw" --kind paper >/dev/null || fail "approve $g_zjw"
wait_for "the last decision reached the router" sql_is APPROVED "SELECT state FROM router.tasks WHERE task_id = '$g_zjw'"
dept deliver "$g_fgw" --dept fgw --method in_person --receiver 张三 --receipt R-G1 >/dev/null \
  || fail "统一送达: the handover once all are decided was refused"
dept deliver "$g_zjw" --dept zjw --method in_person --receiver 张三 --receipt R-G2 >/dev/null \
  || fail "统一送达: the second handover was refused"

# ---- the clock: auto-confirmation and the §44 reminder ----------------------------
b=$(submit "$(fresh_request agency-three-items.yaml "LX-BA,GC-SBFA")")
wait_for "the second case's tasks" items_in "$b" RECEIVED
b_fgw=$(items_of "$b" | awk '$2 == "fgw" {print $1}')
b_slj=$(items_of "$b" | awk '$2 == "slj" {print $1}')
for t in "$b_fgw:fgw" "$b_slj:slj"; do
  IFS=: read -r task d <<<"$t"
  dept update "$task" accepted --dept "$d" --when "2026-11-30 09:30" --where 项目现场 >/dev/null || fail "accept $task"
  dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null || fail "submit $task"
  dept update "$task" rejected --dept "$d" --reason "不符合用地规划" >/dev/null || fail "reject $task"
done
wait_for "delivery holds both decisions" sql_is 2 "SELECT count(*) FROM delivery.handovers WHERE case_no = '$b'"
# A rejection is handed over too, with its reason.
dept deliver "$b_fgw" --dept fgw --method in_person --receiver 王五 --receipt SJ-2026-002 >/dev/null || fail "handover of a rejection"
wait_for "the rejection handed over" sh -c "'$BIN/bangdai-hall' status '$b' | grep -q '^(handover) $b_fgw: rejection (不符合用地规划), in person'"

# Tuesday 2026-12-08: 5 working days after the handover on Monday 11-30
# ended on Monday 12-07, so the handover counts as confirmed; §44's 10
# working days from the decision run to Monday 12-14: no reminder yet.
stop delivery
business_day 2026-12-07
start delivery
scans=$(grep -c '"event":"delivery.scanned"' "$T/delivery.log" || true)
wait_for "delivery scanned on 12-07" logged_at_least $((scans + 1)) "$T/delivery.log" '"event":"delivery.scanned"'
stop delivery
[ "$(sql "SELECT confirmed_at IS NULL FROM delivery.handovers WHERE task_id = '$b_fgw'")" = t ] \
  || fail "auto-confirmed on the last day of confirm_days"
business_day 2026-12-08
start delivery
wait_for "auto-confirmed after 5 working days" sql_is "true|auto" \
  "SELECT auto_confirmed || '|' || confirmed_by FROM delivery.handovers WHERE task_id = '$b_fgw'"
[ "$(sql "SELECT count(*) FROM delivery.handover_reminders WHERE task_id = '$b_slj'")" = 0 ] \
  || fail "a §44 reminder before the limit passed"
wait_for "status says auto-confirmed" sh -c "'$BIN/bangdai-hall' status '$b' | grep -q '^(handover) $b_fgw: .*; auto-confirmed 2026-12-08'"
[ "$(sql "SELECT count(*) FROM delivery.cases WHERE case_no = '$b' AND ended_at IS NOT NULL")" = 0 ] \
  || fail "the service ended with an item not handed over"

# Tuesday 2026-12-15: the rejection of GC-SBFA is still not handed over.
stop delivery
business_day 2026-12-15
start delivery
wait_for "the §44 reminder sent once" sql_is "2026-12-14" "SELECT due_on FROM delivery.handover_reminders WHERE task_id = '$b_slj'"
wait_for "the unit sees the 催办" sh -c "'$BIN/bangdai-hall' status '$b' | grep -q '§44'"
wait_for "slj's agent got the notice" sh -c "'$BIN/bangdai-dept' spool --dept slj --spool '$T/spool/slj' | grep -q '^notice .*$b_slj .*handover'"
dept deliver "$b_slj" --dept slj --method post --carrier EMS --tracking 99 --address 垫江县 >/dev/null || fail "late handover"
wait_for "the late handover recorded" items_in "$b" 'HANDED_OVER|DELIVERED'
"$BIN/bangdai-hall" receipt "$b" >/dev/null || fail "receipt of the second case"
wait_for "the second case's return visit" sql_is 1 "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$b'"
[ "$(sql "SELECT count(*) FROM delivery.handover_reminders")" = 1 ] || fail "the reminder was sent more than once"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
