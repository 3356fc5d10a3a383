#!/usr/bin/env bash
# SIGHUP (issue 11): every daemon reads its configuration file again. A
# broken file is logged with FILE:LINE: KEY and the configuration in force
# stays (cases still get their tasks); a good one is in force at once: a
# specialist added to a department, the others on leave, gets the next
# case's task without a restart; a key removed from security.keys is
# refused from then on while the others work; an endpoint changed is
# logged as needing a restart.
. "$(dirname "$0")/lib.sh"

# A second hall key, to be removed later; the client keeps a copy of the
# file that still lists it (its public key is no secret).
sed -i "s#^    - {name: hall, role: hall}#&\n    - {name: hall2, role: hall}#" "$T/config.yaml"
grep -q "name: hall2" "$T/config.yaml" || fail "could not add hall2"
"$BIN/bangdaictl" keys init >>"$T/keys.log" || fail "keys init for hall2"
cp "$T/config.yaml" "$T/with-hall2.yaml"
cp "$T/config.yaml" "$T/config.good"

start_all
# The daemons read $T/config.yaml, which is about to be broken; the
# programs run here read a copy of the file that stays whole.
export BANGDAI_CONFIG="$T/with-hall2.yaml"
hup_all() { for d in intake router tracker delivery evaluation; do kill -HUP "${PIDS[$d]}"; done; }
zjw_task() {   # zjw_task CASE: the specialist of the case's zjw task, once there
  wait_for "the zjw task of $1" sql_is 1 "SELECT count(*) FROM router.tasks WHERE case_no = '$1' AND dept = 'zjw'"
  sql "SELECT specialist_id FROM router.tasks WHERE case_no = '$1' AND dept = 'zjw'"
}
c0=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
zjw_task "$c0" >/dev/null

# 1. A broken file: every daemon logs where, and keeps serving as before.
printf '  - year: 2028\n    version: x\n    holidays: []\n    workdays: [2028-13-01]\n' >>"$T/config.yaml"
hup_all
for d in intake router tracker delivery evaluation; do
  wait_for "$d logged the broken file" logged_at_least 1 "$T/$d.log" \
    '"event":"config.reload_failed".*config.yaml:[0-9][0-9]*: calendar\[[0-9]*\].workdays\[0\].*the configuration in force is kept'
done
c1=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
sp1=$(zjw_task "$c1")
case $sp1 in zjw-[1-4]) ;; *) fail "after a broken file the task went to '$sp1'" ;; esac

# 2. A good file: zjw-5 joins 住房城乡建委 and the four others are on leave
# today (the roster's away). The next case's task is zjw-5's.
today=$TEST_DAY
sed -e "s/^\(      - {id: zjw-[1-4], .*\)}$/\1, away: [{from: $today, to: $today}]}/" \
    -e "s/^\(      - {id: zjw-4, .*}\)$/&\n      - {id: zjw-5, name: 测试员, phone: \"139****0005\"}/" \
    "$T/config.good" >"$T/config.yaml"
[ "$(grep -c "id: zjw-[1-4].*away: \[{from: $today" "$T/config.yaml")" = 4 ] && grep -q "id: zjw-5" "$T/config.yaml" \
  || fail "could not add zjw-5 and the leave"
n=$(grep -c '"event":"config.reloaded"' "$T/router.log" || true)
kill -HUP "${PIDS[router]}"
wait_for "the router took the new file" logged_at_least $((n + 1)) "$T/router.log" '"event":"config.reloaded"'
c2=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
sp2=$(zjw_task "$c2")
[ "$sp2" = zjw-5 ] || fail "the specialist added by SIGHUP was not picked: $sp2"

# 3. hall2 is removed and the feed's endpoint changed: intake refuses
# hall2's new connections (no answer: exit 3), hall works, and the
# endpoint is logged as needing a restart.
"$BIN/bangdai-hall" --key hall2 status "$c0" >/dev/null \
  || fail "hall2 refused before it was removed"
sed -i -e "/{name: hall2, role: hall}/d" -e "s#tcp://127.0.0.1:$((BASE + 7))#tcp://127.0.0.1:$((BASE + 8))#" "$T/config.yaml"
! grep -q hall2 "$T/config.yaml" || fail "could not remove hall2"
n=$(grep -c '"event":"config.reloaded"' "$T/intake.log" || true)
kill -HUP "${PIDS[intake]}"
wait_for "intake took the new file" logged_at_least $((n + 1)) "$T/intake.log" '"event":"config.reloaded"'
grep -q '"event":"config.restart_needed".*endpoints.feed changed' "$T/intake.log" \
  || fail "the changed endpoint was not logged as needing a restart"
rc=0; "$BIN/bangdai-hall" --key hall2 status "$c0" >"$T/hall2.out" 2>"$T/hall2.err" || rc=$?
# zauth refuses its handshake: no answer (exit 3), not even "forbidden".
[ $rc = 3 ] || fail "the removed key hall2 still got an answer: exit $rc $(cat "$T/hall2.out" "$T/hall2.err")"
[ ! -s "$T/hall2.out" ] || fail "the removed key got a status: $(cat "$T/hall2.out")"
status "$c0" >/dev/null || fail "the hall key no longer works after the reload"
c3=$(submit "$(fresh_request agency-three-items.yaml SG-XK)")
[ "$(zjw_task "$c3")" = zjw-5 ] || fail "after the key reload the roster changed back"

for d in "${!PIDS[@]}"; do stop "$d"; done
note "ok"
