#!/usr/bin/env bash
# Bad input gets a clear error reply naming what is wrong, a log line, and
# the daemon keeps serving; nothing already stored changes.
. "$(dirname "$0")/lib.sh"

start_all
for d in fgw slj zjw gxq; do agent $d; done
good="$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml"
case_no=$(submit "$good")
wait_for "first case's tasks" all_tasks "$case_no" RECEIVED 4
before=$(sql "SELECT md5(string_agg(c::text, ',' ORDER BY case_no)) FROM intake.cases c")

# expect_reply ENDPOINT KIND [TYPE] PATTERN: bd-rawsend's reply matches.
expect_reply() {
  local pattern=${*: -1} out
  out=$("$RAWSEND" "${@:1:$#-1}") || true
  echo "$out" | grep -qE "$pattern" || fail "rawsend ${*:1:$#-1}: got '$out', expected /$pattern/"
}
# Malformed frames, unknown types and undecodable payloads, to intake (the
# hall's side) and to the router (a reliable link).
expect_reply "$EP_INTAKE" garbage '^Error malformed envelope: .*not a protobuf Envelope'
expect_reply "$EP_INTAKE" two-frames '^Error malformed envelope: expected one envelope frame'
expect_reply "$EP_INTAKE" type NoSuchMessage "^Error unknown_type type: unknown message type 'NoSuchMessage'"
expect_reply "$EP_INTAKE" bad-payload SubmitRequest '^Error malformed payload: payload is not a valid SubmitRequest'
expect_reply "$EP_ROUTER" garbage '^Error malformed envelope'
expect_reply "$EP_ROUTER" bad-payload CaseOpened '^Error malformed payload: payload is not a valid CaseOpened'
expect_reply "$EP_ROUTER_DEPT" type TaskAssigned "^Error unknown_type type"
# A frame over the 1 MiB limit is refused and logged; one too large to read
# at all (over 4 MiB) only cuts the connection; intake keeps serving.
expect_reply "$EP_INTAKE" big 2000000 '^Error too_large frame: a frame of 2000000 bytes; at most 1048576'
grep -q '"event":"message.oversized".*intake: key hall sent a frame of 2000000 bytes' "$T/intake.log" \
  || fail "no log line for the oversized frame"
expect_reply "$EP_INTAKE" big 5000000 '^no reply'
expect_reply "$EP_INTAKE" garbage '^Error malformed envelope'
grep -q '"event":"message.malformed"' "$T/intake.log" || fail "no log line for the malformed frame"
grep -q '"event":"message.unknown_type"' "$T/intake.log" || fail "no log line for the unknown type"

# refused FIELD SED-EXPRESSION: an application changed by the expression is
# refused by intake with an error naming FIELD; the hall exits 1.
n=0
refused() {
  local field=$1 expr=$2 rc=0
  n=$((n + 1))
  sed -e "s/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a10$(printf %04d $n)/" -e "$expr" "$good" >"$T/bad$n.yaml"
  submit "$T/bad$n.yaml" >"$T/bad$n.out" 2>"$T/bad$n.err" || rc=$?
  [ $rc = 1 ] || fail "$field: hall exit status $rc, expected 1 ($(cat "$T/bad$n.err"))"
  grep -q "error: $field: " "$T/bad$n.err" || fail "$field: error does not name the field: $(cat "$T/bad$n.err")"
  [ ! -s "$T/bad$n.out" ] || fail "$field: a case number was printed for a refused application"
}
refused unit.credit_code 's/credit_code: [^}]*/credit_code: 91500231MA5U123450/'
refused unit.credit_code 's/credit_code: [^}]*/credit_code: 91500231ma5u12345y/'
refused project.code 's/code: 2604-500231-04-01-386127/code: 2604-500231-04-01-38612/'
refused project.code 's/code: 2604-500231-04-01-386127/code: 2613-500231-04-01-386127/'
refused project.code 's/code: 2604-500231-04-01-386127/code: 2604-500101-04-01-386127/'
refused project.zone 's/zone: gxq/zone: fgw/'
refused 'items\[1\]' 's/^items: \[\(.*\), \(.*\), \(.*\)\]/items: [\1, NO-SUCH, \3]/'
refused 'items\[2\]' 's/^items: \[\(.*\), \(.*\), \(.*\)\]/items: [\1, \2, \1]/'
refused service_type 's/^service_type: .*/service_type: both/'
refused contact.phone 's/phone: "[^"]*"/phone: "12345"/'
refused delivery 's/^delivery: .*/delivery: pigeon/'
grep -q '"event":"message.refused"' "$T/intake.log" || fail "no log line for refusals"

# A file that is not an application is refused by the hall itself, naming
# file, line and key.
printf 'unit: {name: x, credit_code: y}\nprojekt: {}\n' >"$T/typo.yaml"
submit "$T/typo.yaml" 2>"$T/typo.err" && fail "typo file accepted"
grep -q "typo.yaml:2: projekt" "$T/typo.err" || fail "typo not located: $(cat "$T/typo.err")"

# Still serving, and nothing stored changed: same cases, and a new good one works.
[ "$(sql "SELECT md5(string_agg(c::text, ',' ORDER BY case_no)) FROM intake.cases c")" = "$before" ] \
  || fail "stored cases changed"
sed 's/^request_id: .*/request_id: 0190f3a2-7b1c-7d4e-9a55-3c2b1a0000aa/' "$good" >"$T/again.yaml"
again=$(submit "$T/again.yaml")
wait_for "the next case's tasks" all_tasks "$again" RECEIVED 4

# A department agent cannot move another department's task, nor make an illegal move.
t1=$(tasks_of "$case_no" | awk '$2 == "fgw" {print $1}')
dept update "$t1" accepted --dept zjw 2>"$T/forbidden.err" && fail "zjw moved an fgw task"
grep -q "forbidden" "$T/forbidden.err" || fail "cross-department update: $(cat "$T/forbidden.err")"
dept update "$t1" approved --dept fgw --doc X 2>"$T/illegal.err" && fail "RECEIVED -> APPROVED accepted"
grep -q "is RECEIVED and cannot become APPROVED" "$T/illegal.err" || fail "illegal move: $(cat "$T/illegal.err")"
dept update "$t1" accepted --dept fgw --when "2026-11-30 10:00" --where 项目现场 >/dev/null
dept update "$t1" submitted --dept fgw 2>"$T/noref.err" && fail "SUBMITTED without a reference accepted"
grep -q "error: reference: " "$T/noref.err" || fail "missing reference: $(cat "$T/noref.err")"
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$t1'")" = ACCEPTED_ONSITE ] || fail "task state changed"

# A configuration error names file, line and key, and the daemon exits non-zero.
sed 's/promised_days: 1$/promised_days: many/' "$T/config.yaml" >"$T/badconfig.yaml"
line=$(grep -n 'promised_days: many' "$T/badconfig.yaml" | head -1 | cut -d: -f1)
rc=0; "$BIN/bangdai-intake" --config "$T/badconfig.yaml" 2>"$T/badconfig.err" || rc=$?
[ $rc = 2 ] || fail "bad config: exit status $rc, expected 2"
grep -qE "badconfig.yaml:$line: items\[[0-9]+\]\.promised_days" "$T/badconfig.err" || fail "config error: $(cat "$T/badconfig.err")"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
