#!/usr/bin/env bash
# CURVE and ZAP on the daemons' endpoints: a client whose key is not in the
# configuration gets no answer and stores nothing; a configured key whose
# role may not send a message is refused with "forbidden" and logged; the
# hall's own key works. Keys are made by bangdaictl (secrets mode 0600,
# never overwritten), and a missing certificate stops a program with a
# message naming the file and the command that makes it.
. "$(dirname "$0")/lib.sh"

app="$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml"
cases() { sql "SELECT count(*) FROM intake.cases"; }

# The keys lib.sh made: one pair per configured key, the secrets private.
[ "$(stat -c %a "$KEYS/hall.key_secret")" = 600 ] || fail "hall.key_secret is not mode 0600"
[ "$(stat -c %a "$KEYS/dept-fgw.key_secret")" = 600 ] || fail "dept-fgw.key_secret is not mode 0600"
grep -q "21 keys created" "$T/keys.log" || fail "keys init: $(cat "$T/keys.log")"
"$BIN/bangdaictl" keys init >"$T/keys2.log"
grep -q "0 keys created, 21 already" "$T/keys2.log" || fail "a second keys init: $(cat "$T/keys2.log")"
rc=0; "$BIN/bangdaictl" keys new hall hall 2>"$T/overwrite.err" || rc=$?
[ $rc = 1 ] && grep -q "never overwritten" "$T/overwrite.err" || fail "keys new over an existing key: $rc $(cat "$T/overwrite.err")"

start intake
wait_for "intake up" logged_at_least 1 "$T/intake.log" '"event":"service.started"'
grep -q '"event":"security.started"' "$T/intake.log" || fail "intake did not start ZAP"
if grep -q '"event":"security.zap_enforce_unavailable"' "$T/intake.log"; then
  note "this libzmq refuses ZMQ_ZAP_ENFORCE_DOMAIN; zauth still checks every key"
fi

# 1. The hall's key may submit.
first=$(submit "$app")
[[ $first =~ ^BD-500231- ]] || fail "the hall's submit gave '$first'"
[ "$(cases)" = 1 ] || fail "cases after the hall's submit: $(cases)"

# 2. A key made with bangdaictl but not in the configuration: the intruder
#    keeps its own copy of the configuration that lists it (and the intake's
#    public key, which is no secret), but intake's ZAP does not know it. No
#    answer (the hall gives up after its tries: exit 3) and nothing stored.
"$BIN/bangdaictl" keys new hall intruder --dir "$T/other" >"$T/intruder.out"
grep -q "^- {name: intruder, role: hall}$" "$T/intruder.out" || fail "keys new printed: $(cat "$T/intruder.out")"
grep -q 'public_key: "' "$T/intruder.out" || fail "keys new did not print the inline entry"
[ "$(stat -c %a "$T/other/intruder.key_secret")" = 600 ] || fail "intruder.key_secret is not mode 0600"
cp "$KEYS/intake.key" "$T/other/"
sed -e "s#^  certs_dir: .*#  certs_dir: $T/other#" \
    -e "s#^    - {name: hall, role: hall}#&\n    - {name: intruder, role: hall}#" \
    "$T/config.yaml" >"$T/intruder.yaml"
grep -q "name: intruder" "$T/intruder.yaml" || fail "could not add the intruder to its configuration"
sed 's/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a00ee01/' "$app" >"$T/intruder-app.yaml"
rc=0
"$BIN/bangdai-hall" --config "$T/intruder.yaml" --key intruder submit "$T/intruder-app.yaml" --contact-phone "$CONTACT_PHONE" \
  >"$T/intruder-submit.out" 2>"$T/intruder-submit.err" || rc=$?
[ $rc = 3 ] || fail "unknown key: hall exit status $rc, expected 3 (no answer): $(cat "$T/intruder-submit.err")"
[ ! -s "$T/intruder-submit.out" ] || fail "unknown key got a case number: $(cat "$T/intruder-submit.out")"
[ "$(cases)" = 1 ] || fail "an unknown key stored a case"
! grep -q "0190f3a2-7b1c-7d4e-9a55-3c2b1a00ee01\|intruder" "$T/intake.log" \
  || fail "a message of the unknown key reached intake's handlers"

# 3. A department's key may not submit: refused with "forbidden" naming the
#    role, logged with the key's name, nothing stored.
sed 's/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a00ee02/' "$app" >"$T/dept-app.yaml"
rc=0
"$BIN/bangdai-hall" --key dept-fgw submit "$T/dept-app.yaml" --contact-phone "$CONTACT_PHONE" >"$T/dept-submit.out" 2>"$T/dept-submit.err" || rc=$?
[ $rc = 1 ] || fail "department key: hall exit status $rc, expected 1: $(cat "$T/dept-submit.err")"
grep -q "role department.*(forbidden)" "$T/dept-submit.err" || fail "department key: $(cat "$T/dept-submit.err")"
[ "$(cases)" = 1 ] || fail "a department's key stored a case"
grep '"event":"message.forbidden"' "$T/intake.log" | grep -q "dept-fgw" \
  || fail "the refusal was not logged with the key's name"

# 4. The hall still works, under its default key and named with --key.
sed 's/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a00ee03/' "$app" >"$T/again.yaml"
again=$("$BIN/bangdai-hall" --key hall submit "$T/again.yaml" --contact-phone "$CONTACT_PHONE")
[ "$again" != "$first" ] || fail "a new application gave the old case"
[ "$(cases)" = 2 ] || fail "cases after the second submit: $(cases)"

# 5. Unknown --key, and a missing certificate: clear errors, nothing sent.
rc=0; "$BIN/bangdai-hall" --key nosuch status "$first" 2>"$T/nosuch.err" || rc=$?
[ $rc = 2 ] && grep -q "no key named 'nosuch'" "$T/nosuch.err" || fail "unknown --key: $rc $(cat "$T/nosuch.err")"
mv "$KEYS/hall.key_secret" "$T/hall.key_secret.saved"
rc=0; "$BIN/bangdai-hall" status "$first" >/dev/null 2>"$T/nokey.err" || rc=$?
mv "$T/hall.key_secret.saved" "$KEYS/hall.key_secret"
[ $rc = 3 ] || fail "missing certificate: hall exit status $rc"
grep -q "$KEYS/hall.key_secret" "$T/nokey.err" && grep -q "bangdaictl keys new hall hall" "$T/nokey.err" \
  || fail "missing certificate: $(cat "$T/nokey.err")"

# 6. A daemon without its certificate does not start: a fatal line naming
#    the file and the command, exit status 1.
mkdir -p "$T/empty"
sed "s#^  certs_dir: .*#  certs_dir: $T/empty#" "$T/config.yaml" >"$T/nokeys.yaml"
rc=0; "$BIN/bangdai-tracker" --config "$T/nokeys.yaml" 2>"$T/nokeys.err" || rc=$?
[ $rc = 1 ] || fail "tracker without its key: exit status $rc, expected 1"
grep '"level":"fatal"' "$T/nokeys.err" | grep -q "$T/empty/tracker.key_secret.*bangdaictl keys new service tracker" \
  || fail "tracker without its key: $(cat "$T/nokeys.err")"

# 7. The department side. An agent with a key the router does not know
#    receives none of the department's tasks; department A's key cannot see
#    or change department B's tasks, whatever --dept says.
start router
"$BIN/bangdaictl" keys new department mole --dept fgw --dir "$T/other" >/dev/null
cp "$KEYS/router.key" "$T/other/"
sed -e "s#^  certs_dir: .*#  certs_dir: $T/other#" \
    -e "s#^    - {name: hall, role: hall}#&\n    - {name: mole, role: department, dept: fgw}#" \
    "$T/config.yaml" >"$T/mole.yaml"
"$BIN/bangdai-dept" --config "$T/mole.yaml" --key mole run --dept fgw --spool "$T/spool/mole" 2>>"$T/dept-mole.log" &
PIDS[dept-mole]=$!
mole_since=$(date +%s)
wait_for "the first case's fgw task" sql_is 1 "SELECT count(*) FROM router.tasks WHERE case_no = '$first' AND dept = 'fgw'"
rc=0; "$BIN/bangdai-dept" --config "$T/mole.yaml" --key mole list --dept fgw >"$T/mole-list.out" 2>&1 || rc=$?
[ $rc = 3 ] || fail "unknown department key listed tasks: $rc $(cat "$T/mole-list.out")"
[ -z "$(ls "$T/spool/mole" 2>/dev/null | grep '\.task$')" ] || fail "an unknown key received a task"
[ "$(sql "SELECT state FROM router.tasks WHERE case_no = '$first' AND dept = 'fgw'")" = ASSIGNED ] \
  || fail "the unknown agent's presence changed the task"
! grep -q '"event":"agent.connected","department":"fgw"' "$T/router.log" || fail "the router took the unknown agent for fgw's"
# The operator sees it (issue 8): each refused connection is logged, and a
# flood of them is cut to a few lines a minute.
grep -q -E '"event":"link.refused".*router_dept: a connection from tcp://127.0.0.1:[0-9]+ refused: its key is not in the configuration' "$T/router.log" \
  || fail "the unknown key's connection left no trace in the router's log"
# ... naming the key it offered, so that the operator can tell whose it is.
mole_key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$T/other/mole.key")
[ ${#mole_key} = 40 ] || fail "cannot read the public key from $T/other/mole.key"
grep '"event":"link.refused"' "$T/router.log" | grep -qF "it offered the key $mole_key" \
  || fail "the refusal does not name the offered key $mole_key: $(grep -m1 '"event":"link.refused"' "$T/router.log")"
# It retries every half second; at most 10 lines a minute (and a summary).
allowed=$(( 11 * (($(date +%s) - mole_since) / 60 + 1) ))
[ "$(grep -c '"event":"link.refused"' "$T/router.log")" -le $allowed ] || fail "refusals are not rate-limited"
fgw_task=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$first' AND dept = 'fgw'")
# A forged Ack: zjw's key acknowledges fgw's TaskAssigned (no fgw agent
# runs). It acknowledges nothing, and the router says so.
fgw_msg=$(sql "SELECT assign_msg_id FROM router.tasks WHERE task_id = '$fgw_task'")
BANGDAI_KEY=dept-zjw "$RAWSEND" "$EP_ROUTER_DEPT" ack "$fgw_msg" >/dev/null || true
wait_for "the forged Ack logged" logged_at_least 1 "$T/router.log" "\"event\":\"relay.foreign_ack\",\"msg\":\"$fgw_msg\""
[ "$(sql "SELECT count(*) FROM router.outbox WHERE id = '$fgw_msg' AND acked_at IS NULL")" = 1 ] \
  || fail "zjw's key acknowledged fgw's task"
grep -q "relay.foreign_ack.*dept:zjw acknowledged a message for dept:fgw" "$T/router.log" || fail "the forged Ack's line: $(grep foreign_ack "$T/router.log")"
"$BIN/bangdai-dept" list --dept fgw | grep -q "$fgw_task" || fail "fgw does not see its own task"
"$BIN/bangdai-dept" --key dept-zjw list --dept fgw >"$T/cross-list.out" || fail "zjw's list failed"
! grep -q "$fgw_task" "$T/cross-list.out" || fail "zjw's key listed an fgw task"
grep -q "open tasks\? of zjw" "$T/cross-list.out" || fail "the list is not zjw's: $(cat "$T/cross-list.out")"
rc=0; "$BIN/bangdai-dept" --key dept-zjw update "$fgw_task" accepted --dept fgw --when "2026-11-30 09:00" --where x \
  2>"$T/cross-update.err" || rc=$?
[ $rc = 1 ] && grep -q forbidden "$T/cross-update.err" || fail "zjw's key updated an fgw task: $rc $(cat "$T/cross-update.err")"
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$fgw_task'")" = ASSIGNED ] || fail "the fgw task changed"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
