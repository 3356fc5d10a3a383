#!/usr/bin/env bash
# One bad message never holds others hostage (issue 6, findings 2 and 3):
# a report the database cannot store is refused alone, naming what is
# wrong, while the reports that came with it are applied; a refusal is
# logged once and answered the same on every resend; and message ids are
# per sender, so one department can neither poison nor borrow another's.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done
c=$(submit "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml")
wait_for "four tasks RECEIVED" all_tasks "$c" RECEIVED 4
# The three item tasks and their departments.
read -r ta da tb db tc dc <<<"$(sql "SELECT string_agg(task_id || ' ' || dept, ' ' ORDER BY task_id) FROM router.tasks WHERE case_no = '$c' AND kind = 'item'")"
[ -n "$tc" ] && [ "$da" != "$db" ] && [ "$db" != "$dc" ] || fail "expected three items of three departments, got: $ta $da $tb $db $tc $dc"
state() { sql "SELECT state FROM router.tasks WHERE task_id = '$1'"; }
history() { sql "SELECT count(*) FROM router.task_history WHERE task_id = '$1'"; }

# A check of the database's own that the router does not know of: a data
# error (SQLSTATE class 23) only PostgreSQL can find.
sql "ALTER TABLE router.task_history ADD CONSTRAINT history_no_poison CHECK (detail IS NULL OR detail NOT LIKE '%POISON%')" >/dev/null

# 1. Three departments report at the same moment: one note typed on a GBK
#    terminal (not UTF-8), one the database refuses, one good.
accept() {  # accept TASK DEPT NOTE ID OUT: on-site acceptance with a note
  dept update "$1" accepted --dept "$2" --when "2026-11-30 09:00" --where "项目现场" --note "$3" --id "$4" \
    >"$T/$5.out" 2>"$T/$5.err"
}
ida=$(cat /proc/sys/kernel/random/uuid); idb=$(cat /proc/sys/kernel/random/uuid); idc=$(cat /proc/sys/kernel/random/uuid)
rc_a=0; rc_b=0; rc_c=0
accept "$ta" "$da" $'\xb9\xfa\xbc\xd2\xb1\xea\xd7\xbc' "$ida" a & pa=$!
accept "$tb" "$db" "POISON 样品" "$idb" b & pb=$!
accept "$tc" "$dc" "资料齐全" "$idc" c & pc=$!
wait $pa || rc_a=$?; wait $pb || rc_b=$?; wait $pc || rc_c=$?

[ $rc_a = 1 ] && grep -q "error: note: .*UTF-8" "$T/a.err" \
  || fail "the GBK note: exit $rc_a, '$(cat "$T/a.err")', expected a refusal naming note"
[ $rc_b = 1 ] && grep -q "error: history_no_poison: .*(invalid)" "$T/b.err" \
  || fail "the refused note: exit $rc_b, '$(cat "$T/b.err")', expected a refusal naming the constraint"
[ $rc_c = 0 ] || fail "the good report was not applied: exit $rc_c, $(cat "$T/c.err")"
[ "$(state "$ta")" = RECEIVED ] && [ "$(state "$tb")" = RECEIVED ] || fail "a refused report changed its task"
[ "$(state "$tc")" = ACCEPTED_ONSITE ] || fail "the good report did not move $tc"
! grep -q '"event":"batch.rolled_back"' "$T/router.log" || fail "a bad message rolled a batch back"
# Each refusal is valid UTF-8 in the log and stored, so a resend is answered alike.
iconv -f UTF-8 -t UTF-8 "$T/router.log" >/dev/null || fail "the router's log is not valid UTF-8"

# 2. Sent again under the same ids: the same answers, and the refusal is not
#    logged (nor tried) again.
rc=0; accept "$ta" "$da" $'\xb9\xfa\xbc\xd2\xb1\xea\xd7\xbc' "$ida" a2 || rc=$?
[ $rc = 1 ] && diff -q "$T/a.err" "$T/a2.err" >/dev/null || fail "resend: exit $rc, '$(cat "$T/a2.err")' differs from '$(cat "$T/a.err")'"
before=$(history "$tc")
accept "$tc" "$dc" "资料齐全" "$idc" c2 || fail "resending the good report: $(cat "$T/c2.err")"
[ "$(history "$tc")" = "$before" ] || fail "a resent report was applied twice"
[ "$(grep -c "\"event\":\"message.refused\".*\"msg\":\"$ida\"" "$T/router.log")" = 1 ] \
  || fail "the refusal of $ida was logged $(grep -c "\"msg\":\"$ida\".*message.refused\|message.refused.*$ida" "$T/router.log") times"

# 3. Ids are per sender. Department A sends an order about B's task under id
#    X (refused: not its task); B's own report under X is still applied.
x=$(cat /proc/sys/kernel/random/uuid)
rc=0; accept "$tb" "$da" "越权" "$x" x1 || rc=$?
[ $rc = 1 ] && grep -q "(forbidden)" "$T/x1.err" || fail "A on B's task: exit $rc, $(cat "$T/x1.err")"
accept "$tb" "$db" "资料齐全" "$x" x2 || fail "B's report under an id A used was refused: $(cat "$T/x2.err")"
[ "$(state "$tb")" = ACCEPTED_ONSITE ] || fail "B's report under X was not applied"
# A replaying B's message (same id, same bytes) is not acknowledged as B's.
rc=0; accept "$tb" "$da" "资料齐全" "$x" x3 || rc=$?
[ $rc = 1 ] && grep -q "(forbidden)" "$T/x3.err" || fail "A replaying B's id: exit $rc, $(cat "$T/x3.err")"
# B again: a duplicate, acknowledged, applied once.
h=$(history "$tb")
accept "$tb" "$db" "资料齐全" "$x" x4 || fail "B's resend: $(cat "$T/x4.err")"
[ "$(history "$tb")" = "$h" ] || fail "B's resend applied twice"

# 4. In one batch. The router applies a batch without savepoints; when a
#    message of it must be undone, it applies the batch again with a
#    savepoint per message. Two reports of one department on one connection,
#    sent while the router is stopped, reach it together: the first is
#    refused by the database, the second is applied.
c2=$(submit "$(fresh_request agency-three-items.yaml)")
c3=$(submit "$(fresh_request agency-three-items.yaml)")
wait_for "the new cases' tasks RECEIVED" all_tasks "$c3" RECEIVED 4
wait_for "the new cases' tasks RECEIVED" all_tasks "$c2" RECEIVED 4
f2=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c2' AND dept = '$da' AND kind = 'item'")
f3=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c3' AND dept = '$da' AND kind = 'item'")
redo_before=$(grep -c '"event":"batch.redo"' "$T/router.log" || true)
# The client connects; the router stops; the client sends both; they wait
# in the router's socket buffer; the router goes on and reads them at once.
mkfifo "$T/go"
BANGDAI_KEY=dept-$da "$RAWSEND" "$EP_ROUTER_DEPT" updates "$f2" "POISON 批内" "$f3" "资料齐全" \
  <"$T/go" >"$T/batch.out" 2>&1 & rp=$!
exec 7>"$T/go"
wait_for "the test client connected" grep -qx connected "$T/batch.out"
kill -STOP "${PIDS[router]}"
echo go >&7
exec 7>&-
sleep 0.5
kill -CONT "${PIDS[router]}"
wait $rp || fail "the two reports in one batch: $(cat "$T/batch.out")"
sed -i 1d "$T/batch.out"    # "connected"
sed -n 1p "$T/batch.out" | grep -q "^Error invalid history_no_poison: .*SQLSTATE 23514" \
  && [ "$(sed -n 2p "$T/batch.out")" = Ack ] && [ "$(grep -c . "$T/batch.out")" = 2 ] \
  || fail "one batch: expected the poison refused then an Ack, got: $(cat "$T/batch.out")"
[ "$(state "$f2")" = RECEIVED ] || fail "the refused report in a batch moved its task"
[ "$(state "$f3")" = ACCEPTED_ONSITE ] || fail "the good report in the batch was not applied"
[ "$(grep -c '"event":"batch.redo"' "$T/router.log")" -gt "$redo_before" ] \
  || fail "the two reports did not come in one batch (no batch.redo logged): the test proved nothing"
! grep -q '"event":"batch.rolled_back"' "$T/router.log" || fail "a bad message rolled a batch back"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
