# tests/integration/lib.sh - the harness of the integration tests.
#
# Each test sources this file and gets: its own database in the cluster that
# tests/run.sh started (PGHOST/PGPORT/PGUSER), migrated with bangdaictl; its
# own configuration (the sample county with free ports, short resend
# back-off, and its own CURVE keys in $T/keys, made by bangdaictl keys init);
# helpers to start the real daemons and agents as processes; and
# a cleanup that stops them, fails the test when any of them did not exit
# cleanly (a sanitizer finding ends a process with a non-zero status), and
# drops the database. Waits poll a condition with a deadline; nothing is
# synchronised on a fixed sleep.
set -euo pipefail

: "${BANGDAI_BUILD:?BANGDAI_BUILD must name the build directory (ctest sets it)}"
: "${BANGDAI_ROOT:?BANGDAI_ROOT must name the source tree (ctest sets it)}"
if [ -z "${PGHOST:-}" ]; then
  echo "SKIP: no PostgreSQL (PGHOST unset); run ./tests/run.sh" >&2
  exit 77
fi

# The programs under test: the build's, or (test_install.sh) an installed
# tree's bin/.
BIN="${BANGDAI_BIN:-$BANGDAI_BUILD/services}"
RAWSEND="$BANGDAI_BUILD/tests/integration/bd-rawsend"
T=$(mktemp -d /tmp/bangdai-it.XXXXXX)
DB="bdit_$$"
declare -A PIDS=()
EXPECT_KILLED=" "

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# Whatever day the tests run, every daemon's business day is Monday
# 2026-11-30, from 10:00 in China (common/envelope.h, business_now_us):
# the tests report 受理 on that day and check deadlines counted from it.
# business_day DAY [HH:MM]: the daemons started from now on live on DAY,
# from 10:00 (or HH:MM) China time.
business_day() { export BANGDAI_CLOCK_SHIFT_S=$(( $(date -d "$1 ${2:-10:00} +0800" +%s) - $(date +%s) )); }
TEST_DAY=2026-11-30
business_day "$TEST_DAY"

# The sample county on six free ports, with a short resend back-off, this
# test's database and its own keys.
. "$BANGDAI_ROOT/deploy/lib.sh"
bd_config_for "$T/config.yaml" "$DB" "$T/keys" \
  -e "s#resend_initial_ms: [0-9]*#resend_initial_ms: 200#" \
  -e "s#resend_max_ms: [0-9]*#resend_max_ms: 1000#" || fail "could not adapt the configuration"
export BANGDAI_CONFIG="$T/config.yaml"
KEYS="$T/keys"
# Every key of the configuration, fresh for this test (secrets mode 0600).
"$BIN/bangdaictl" keys init >"$T/keys.log" || { cat "$T/keys.log" >&2; fail "keys init"; }
EP_INTAKE="tcp://127.0.0.1:$((BASE + 1))"
EP_ROUTER="tcp://127.0.0.1:$((BASE + 2))"
EP_ROUTER_DEPT="tcp://127.0.0.1:$((BASE + 3))"

# with_metrics: adds a metrics section to the test's configuration, every
# daemon on a free port of 127.0.0.1 (below the ephemeral range, apart from
# the endpoints'); MADDR[daemon] is its HOST:PORT, for scrape and curl.
declare -A MADDR=()
with_metrics() {
  local d p used=" " attempt
  echo "metrics:" >>"$BANGDAI_CONFIG"
  for d in intake router tracker delivery evaluation; do
    for attempt in $(seq 50); do
      p=$(( 20000 + RANDOM % 12000 ))
      [ $p -gt $((BASE + 7)) ] || [ $p -lt $BASE ] || continue
      case $used in *" $p "*) continue ;; esac
      bd_port_free $p && break
    done
    used="$used$p "
    MADDR[$d]="127.0.0.1:$p"
    echo "  $d: 127.0.0.1:$p" >>"$BANGDAI_CONFIG"
  done
}

# scrape DAEMON [PATH]: the daemon's /metrics (or PATH), as served.
scrape() { curl -sS --noproxy '*' --max-time 5 "http://${MADDR[$1]}${2:-/metrics}"; }

# metric DAEMON SAMPLE: the value of one sample line of its /metrics, e.g.
# metric router 'bangdai_outbox_depth{dest="tracker"}'; empty when absent.
metric() { scrape "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $2 }'; }

# metric_is DAEMON SAMPLE VALUE: the sample has VALUE (for wait_for).
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }

# http_code DAEMON PATH: the HTTP status the daemon's metrics address
# answers PATH with (000: no answer).
http_code() { curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://${MADDR[$1]}$2" || true; }
http_code_is() { [ "$(http_code "$1" "$2")" = "$3" ]; }

createdb "$DB"
"$BIN/bangdaictl" migrate >"$T/migrate.log" || { cat "$T/migrate.log" >&2; fail "migrate"; }

# sql QUERY: one value (or rows, |-separated) from the test database.
sql() { psql -qAtX -d "$DB" -c "$1"; }

# The end-state checks of a load (tests/checks.sh, shared with the crash
# matrix): check_accepted_one_case, check_case_tasks, check_spool_once,
# check_outbox_drained, check_no_refusals over a ledger (ledger_load).
CHECKS="$T/checks.txt"
. "$BANGDAI_ROOT/tests/checks.sh"

# sql_is VALUE QUERY: the query gives VALUE (for wait_for, which re-runs it).
sql_is() { [ "$(sql "$2")" = "$1" ]; }

# logged_at_least N FILE PATTERN: FILE has N or more lines matching PATTERN.
logged_at_least() { [ "$(grep -c -- "$3" "$2" || true)" -ge "$1" ]; }

# start NAME [env...]: starts bangdai-NAME (a daemon) in the background.
start() {
  local name=$1; shift
  env "$@" "$BIN/bangdai-$name" --log-level debug 2>>"$T/$name.log" &
  PIDS[$name]=$!
}

# agent DEPT: starts the department agent of DEPT with its spool in $T/spool/DEPT.
agent() {
  "$BIN/bangdai-dept" run --dept "$1" --spool "$T/spool/$1" 2>>"$T/dept-$1.log" &
  PIDS[dept-$1]=$!
}

start_all() { for d in intake router tracker delivery evaluation; do start $d; done; }

# stop NAME: SIGTERM, wait, and require a clean exit.
stop() {
  local name=$1 pid=${PIDS[$1]} rc=0
  kill "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  unset "PIDS[$name]"
  [ $rc = 0 ] || fail "$name exited with status $rc (see $T/$name.log)"
}

# kill9 NAME: the crash.
kill9() {
  kill -9 "${PIDS[$1]}" 2>/dev/null || true
  wait "${PIDS[$1]}" 2>/dev/null || true
  unset "PIDS[$1]"
}

# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds, 60 s at most.
wait_for() {
  local what=$1 i; shift
  for i in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $what"
}

# submit FILE: bangdai-hall submit; a file with a masked contact phone (the
# samples) gets CONTACT_PHONE, a made-up whole one (bd_sample_phone), the
# same for the whole test, so that a resubmit is the same application.
CONTACT_PHONE=$(bd_sample_phone)
submit() {
  if grep -qE 'phone: "1[3-9][0-9][*]{4}[0-9]{4}"' "$1"; then
    "$BIN/bangdai-hall" submit "$1" --contact-phone "$CONTACT_PHONE"
  else
    "$BIN/bangdai-hall" submit "$@"
  fi
}

# fresh_request EXAMPLE [ITEMS]: writes a copy of deploy/examples/EXAMPLE with a
# new request id (and, given ITEMS such as "LX-BA,SG-XK", only those items)
# and prints its path, for submit.
fresh_request() {
  local f="$T/request-$RANDOM$RANDOM.yaml"
  sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" \
      ${2:+-e "s/^items: .*/items: [$2]/"} "${BANGDAI_EXAMPLES:-$BANGDAI_ROOT/deploy/examples}/$1" >"$f"
  echo "$f"
}
status() { "$BIN/bangdai-hall" status "$1"; }

# The tasks of a case as "TASK DEPT STATE KIND" lines, from bangdai-hall
# status (its table: TASK KIND ITEM DEPT SPECIALIST STATE DUE RESULT).
tasks_of() { status "$1" | awk '/^TASK/{t=1;next} /^LOG/{t=0} t && $1 ~ /^BD-/ {print $1, $4, $6, $2}'; }

# Only the item tasks, same columns.
items_of() { tasks_of "$1" | awk '$4 == "item"'; }

# all_tasks CASE STATE N: the case has exactly N tasks, all in STATE.
all_tasks() {
  local out; out=$(tasks_of "$1") || return 1
  [ "$(echo "$out" | grep -c .)" = "$3" ] && ! echo "$out" | awk '{print $3}' | grep -vqx "$2"
}

dept() { "$BIN/bangdai-dept" "$@"; }

# items_in CASE REGEX: the case has items, each in a state matching REGEX.
items_in() {
  local out; out=$(items_of "$1" | awk '{print $3}') || return 1
  [ -n "$out" ] && ! echo "$out" | grep -vqxE "$2"
}

# deliver_all CASE: waits until the hall sees every item of CASE decided,
# hands each over in person (统一送达) and confirms receipt for the unit,
# so that the service can end.
deliver_all() {
  local c=$1 task d st kind
  wait_for "every item of $c decided" items_in "$c" 'APPROVED|REJECTED|HANDED_OVER|DELIVERED'
  while read -r task d st kind; do
    case $st in
      APPROVED|REJECTED) dept deliver "$task" --dept "$d" --method in_person --receiver 张三 --receipt "R-$task" >/dev/null \
                           || fail "deliver $task refused" ;;
    esac
  done < <(items_of "$c")
  wait_for "every item of $c handed over" items_in "$c" 'HANDED_OVER|DELIVERED'
  "$BIN/bangdai-hall" receipt "$c" >/dev/null || fail "receipt of $c refused"
}

# task_lines_have_case: every JSON line of this test's logs that names a
# task names its case too, the case the task id starts with (issue 11:
# "every line has the case number when there is one"). Prints the first
# offenders and fails when there is one.
task_lines_have_case() {
  python3 - "$T"/*.log <<'PY' || fail "log lines with a task but not its case (above)"
import json, sys
bad = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8", errors="replace"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if not isinstance(o, dict):
            continue
        t, c = o.get("task"), o.get("case")
        if t and (not c or not t.startswith(c + "-")):
            bad.append(f"{path.rsplit('/', 1)[-1]}: {line.strip()[:300]}")
print("\n".join(bad[:5]), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# logged_for DEPT ID EVENT: how many EVENT lines DEPT's agent logged for message ID.
logged_for() { grep "\"event\":\"$3\"" "$T/dept-$1.log" | grep -c "\"msg\":\"$2\"" || true; }

# assign_id CASE DEPT: the id of the TaskAssigned of DEPT's task in CASE (one per
# department in the cases these tests make).
assign_id() { sql "SELECT assign_msg_id FROM router.tasks WHERE case_no = '$1' AND dept = '$2'"; }

# barrier_task DEPT ITEM: submits a case of the one item ITEM (DEPT's) and
# waits until DEPT's agent has stored its task. The relay sends a
# department's tasks in order over one connection, so anything older that
# was due for DEPT has come by then.
barrier_task() {
  local c id
  c=$(submit "$(fresh_request agency-three-items.yaml "$2")")
  wait_for "the router made $1's next task" sql_is 1 "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND dept = '$1'"
  id=$(assign_id "$c" "$1")
  wait_for "$1 stored its next task" sh -c "grep '\"event\":\"task.stored\"' '$T/dept-$1.log' | grep -q '\"msg\":\"$id\"'"
}

cleanup() {
  local rc=$? name pid st bad=""
  for name in "${!PIDS[@]}"; do kill "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do
    st=0; wait "${PIDS[$name]}" || st=$?
    [ $st = 0 ] || bad="$bad $name($st)"
  done
  if grep -l -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/*.log >/dev/null 2>&1; then
    bad="$bad sanitizer"
    grep -h -A20 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/*.log | head -60 >&2
  fi
  # No personal number in any log of any test (issue 8): a whole mobile
  # number, 18-character 身份证号 or credit code; the logger masks them.
  local personal='(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)|(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)|(^|[^0-9A-Z])[0-9A-HJ-NPQRTUWXY]{18}([^0-9A-Z]|$)'
  # Ids are left out first: a random UUID's last group can hold eleven
  # digits that look like a mobile number (c13778926377 did, once).
  local f uuid='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
  for f in "$T"/*.log; do
    [ -f "$f" ] || continue
    if sed -E "s/$uuid/<id>/g" "$f" | grep -q -E "$personal"; then
      bad="$bad personal-number-in-log"
      sed -E "s/$uuid/<id>/g" "$f" | grep -n -E "$personal" | head -5 | sed "s|^|$f:|" >&2
    fi
  done
  if [ -n "$bad" ] && [ $rc = 0 ]; then echo "FAIL: unclean exit:$bad" >&2; rc=1; fi
  if [ $rc != 0 ] && [ $rc != 77 ]; then
    echo "--- logs of the failed test ($T) ---" >&2
    tail -n 15 "$T"/*.log >&2 || true
  fi
  dropdb --if-exists "$DB" >/dev/null 2>&1 || true
  [ $rc = 0 ] && rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
