#!/usr/bin/env bash
# The wire contract as a hall vendor meets it (issue 8): the Python example
# of docs/PROTOCOL.md (docs/examples/hall_client.py, pyzmq and the Google
# protobuf runtime, the proto compiled by protoc) against the real daemons,
# over CURVE, with a DEALER and with a REQ socket; and every careless or
# hostile input the review found is refused, naming the field, with a reply
# a strict proto3 client can read, while nothing stored changes.
. "$(dirname "$0")/lib.sh"

# Debian's python3, where apt installs python3-zmq and python3-protobuf
# (another python3 may come first on PATH).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
command -v protoc >/dev/null && "$PY" -c "import zmq, google.protobuf" 2>/dev/null \
  || fail "protoc, python3-zmq and python3-protobuf are needed (tests/run.sh installs them)"
mkdir -p "$T/py"
protoc --proto_path="$BANGDAI_ROOT/proto" --python_out="$T/py" "$BANGDAI_ROOT/proto/bangdai.proto" \
  || fail "protoc could not compile proto/bangdai.proto"
phone=$(bd_sample_phone)    # made up here: the repo holds no whole number
masked="${phone:0:3}\\*\\*\\*\\*${phone:7}"
hall() {   # hall [--socket req] COMMAND ARGS...: the example client; its output
  local extra=()
  # A submit names the contact's phone; the made-up one unless it is given.
  [[ " $* " == *" submit "* && " $* " != *" --phone "* ]] && extra=(--phone "$phone")
  PYTHONPATH="$T/py" "$PY" "$BANGDAI_ROOT/docs/examples/hall_client.py" --endpoint "$EP_INTAKE" \
    --server-key "$KEYS/intake.key" --key "$KEYS/hall.key_secret" "$@" "${extra[@]}"
}
expect() {   # expect PATTERN COMMAND...: the client's output matches
  local pattern=$1 out; shift
  out=$(hall "$@" 2>&1) || true
  grep -qE -- "$pattern" <<<"$out" || fail "hall $*: got '$out', expected /$pattern/"
}

start_all
cases() { sql "SELECT count(*) FROM intake.cases"; }

# 1. The contract works as written: a case over DEALER, the same request id
#    again the same case, a REQ socket answered too, the status readable.
rid=$(cat /proc/sys/kernel/random/uuid)
out=$(hall submit --request-id "$rid") || fail "submit: $out"
case_no=${out#case }
[[ $case_no =~ ^BD-500231-[0-9]{8}-[0-9]{5}$ ]] || fail "submit: '$out'"
[ "$(hall submit --request-id "$rid")" = "case $case_no (duplicate)" ] || fail "the same request id again"
out=$(hall --socket req submit) || fail "a REQ client got no answer: $out"
[[ $out =~ ^case\ BD- ]] || fail "REQ submit: '$out'"
expect "^$case_no (SUBMITTED|IN_PROGRESS)" --socket req status "$case_no"
[ "$(cases)" = 2 ] || fail "expected 2 cases, got $(cases)"

# 2. What the review sent, each refused naming the field; nothing stored.
expect '^error invalid unit.name: unit.name contains a NUL byte' submit --unit-name '重庆澄岚\x00有限公司'
expect '^error invalid project.location: project.location contains a control character' \
  submit --location '垫江县\x1b[31m高新区'
expect '^error invalid contact.phone: a masked number' submit --phone '138****1234'
expect '^error invalid channel: required' submit --channel ''
expect '^error invalid project.location: required' submit --location ''
expect "^error conflict unit.name: request $rid was submitted before as case $case_no" \
  submit --request-id "$rid" --unit-name '另一家公司'
expect "^error conflict items: request $rid was submitted before as case $case_no" \
  submit --request-id "$rid" --items LX-BA,GC-SBFA
expect '^error malformed envelope: envelope created_at_us is not a time' \
  submit --created-at-us -9223372036854775808
[ "$(cases)" = 2 ] || fail "a refused submit stored a case: $(cases)"
# The daemon kept serving through all of it, and a late clock is no error.
expect '^case BD-' submit --created-at-us 0

# 3. A refusal quoting what came in is valid UTF-8 and masks a phone number
#    typed into the wrong field (the client above decoded every Error with
#    the strict proto3 runtime); a phone number in free text reaches no log
#    (lib.sh's cleanup greps every log of every test for one).
expect "^error invalid project.zone: '$masked' is not a zone body" submit --zone "$phone"
expect "^error invalid project.zone: '高新区" submit --zone '高新区高新区高新区高新区高新区高新区高新区'
expect "^withdrawn $case_no" withdraw "$case_no" "项目暂停, 请致电${phone}联系"
wait_for "the withdrawal reached the router" \
  sql_is 0 "SELECT count(*) FROM intake.outbox WHERE acked_at IS NULL"
grep -q "$masked" "$T/intake.log" || fail "the withdrawal reason was not logged masked"

# 4. Silence, and what the operator sees: a client without CURVE gets no
#    answer, and intake logs the refused connection.
expect '^no answer' --no-curve submit
grep -q -E '"event":"link.refused".*intake: a connection from tcp://127.0.0.1:[0-9]+ refused: (the client does not speak CURVE|the handshake broke off)' \
  "$T/intake.log" \
  || fail "the plain connection left no trace in intake's log"

for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
