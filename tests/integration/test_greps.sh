#!/usr/bin/env bash
# The five greps an operator needs (README; deploy/greps.sh holds their
# patterns): a run that makes each event happens -- a case to its return
# visit, a refused update and a department touching another's task, an
# overdue task, agents and links losing the router while it restarts --
# and each grep finds its lines in the daemons' and agents' logs. README
# shows every pattern exactly as greps.sh prints it, in both forms (files
# and journald). A renamed event makes its grep find nothing, and this
# test fail.
. "$(dirname "$0")/lib.sh"
GREPS="$BANGDAI_ROOT/deploy/greps.sh"
README="$BANGDAI_ROOT/README.md"

# Tuesday 2026-09-29: SG-XK (zjw, 3 working days) is due 10-09 (国庆).
business_day 2026-09-29
start_all
for d in fgw slj zjw gxq; do agent $d; done

# One case to its end: decided, handed over, confirmed, its return visit open.
c=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "the case's four tasks" all_tasks "$c" RECEIVED 4
while read -r task d state kind; do
  dept update "$task" accepted --dept "$d" --when "2026-09-29 09:30" --where "项目现场" >/dev/null
  dept update "$task" submitted --dept "$d" --ref "REF-$task" >/dev/null
  dept update "$task" approved --dept "$d" --doc "DOC-$task" >/dev/null
done < <(items_of "$c")
deliver_all "$c"
wait_for "the return visit" sql_is 1 "SELECT count(*) FROM evaluation.return_visits WHERE case_no = '$c'"

# A second case, left open: a refused move (RECEIVED cannot jump to
# APPROVED), a department touching another's task,
# and its SG-XK overdue once the tracker lives on Monday 10-12.
c2=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "the second case's four tasks" all_tasks "$c2" RECEIVED 4
sg=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c2' AND item_code = 'SG-XK'")
! dept update "$sg" approved --dept zjw >/dev/null 2>&1 || fail "a move without its document was accepted"
! dept update "$sg" submitted --dept fgw --ref X >/dev/null 2>&1 || fail "fgw moved zjw's task"
stop tracker
business_day 2026-10-12
start tracker
wait_for "an overdue reminder" logged_at_least 1 "$T/tracker.log" '"event":"reminder.sent".*"detail":"overdue '

# The router restarts: the agents lose it and find it again; intake's and
# the tracker's links to it go down and up.
stop router
wait_for "the agents lost the router" logged_at_least 1 "$T/dept-fgw.log" '"event":"agent.disconnected"'
start router
wait_for "intake's link to the router up again" logged_at_least 1 "$T/intake.log" '"event":"link.connected"'
wait_for "the agents back" logged_at_least 2 "$T/router.log" '"event":"agent.connected".*"department":"fgw"'

# Each grep, exactly as README shows it, finds lines; the case's lines come
# from all five daemons and its agents.
[ "$("$GREPS" --list)" = "case refusals overdue disconnects backlog" ] || fail "greps.sh --list: $("$GREPS" --list)"
readme_case=$(grep -oE 'BD-[0-9]{6}-[0-9]{8}-[0-9]{5}' <(sed -n '/^### Five greps an operator needs/,/^## /p' "$README") | head -n1 || true)
[ -n "$readme_case" ] || fail "README has no section 'Five greps an operator needs' with an example case"
for g in $("$GREPS" --list); do
  if [ "$g" = case ]; then p=$("$GREPS" case "$readme_case"); else p=$("$GREPS" "$g"); fi
  grep -qF -- "grep -hE '$p' var/log/*.log" "$README" || fail "README lacks the $g grep over var/log: grep -hE '$p' var/log/*.log"
  grep -qF -- "journalctl -u 'bangdai-*' -o cat | grep -E '$p'" "$README" || fail "README lacks the $g grep over journald"
  if [ "$g" = case ]; then p=$("$GREPS" case "$c"); fi
  n=$(grep -hE -- "$p" "$T"/*.log | wc -l)
  [ "$n" -ge 1 ] || fail "the $g grep ($p) found nothing"
  note "$g: $n lines"
done
lines=$(grep -hE -- "$("$GREPS" case "$c")" "$T"/*.log)
for s in intake router tracker delivery evaluation bangdai-dept; do
  grep -q "\"service\":\"$s\"" <<<"$lines" || fail "the case grep finds nothing of $s"
done
# Each grep finds every event of its kind that the run made (so a renamed
# event, or a pattern that lost one, fails), and the refusal names its case.
declare -A MADE=( [refusals]="message.refused agent.forbidden" [overdue]="reminder.sent reminder.escalated"
                  [disconnects]="agent.disconnected agent.connected" [backlog]="link.disconnected link.connected service.started" )
for g in refusals overdue disconnects backlog; do
  lines=$(grep -hE -- "$("$GREPS" "$g")" "$T"/*.log)
  for e in ${MADE[$g]}; do
    grep -qF "\"event\":\"$e\"" <<<"$lines" || fail "the $g grep finds no $e line"
  done
done
grep -hE -- "$("$GREPS" refusals)" "$T"/*.log >"$T/refusals.out"
grep -q "\"event\":\"message.refused\",\"case\":\"$c2\"" "$T/refusals.out" || fail "message.refused does not name the case"
"$GREPS" case 12345 >/dev/null 2>&1 && fail "greps.sh took a case number that is not one"
for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
