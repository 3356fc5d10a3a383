# tests/checks.sh - the end-state checks that a load under faults must pass,
# shared by the crash matrix (tests/chaos/chaos.sh) and the integration
# tests that stop daemons under load (tests/integration/test_sigterm.sh,
# through lib.sh). Source it; it defines functions only.
#
# The caller defines sql QUERY (psql -qAtX on its database, stdin passed
# through) and CHECKS (a file the verdicts are appended to), writes down
# what its load was told, and loads it with ledger_load:
#   accepted  request id, case number, template   (one per accepted submit)
#   expect    case, task id, kind, department, history ("?" when unknown)
#   ends      case, fate (ENDED, WITHDRAWN, OPEN)
#   spool     task id, department                  (ledger_spool_tsv)
# into the schema "ledger" of the database under test. Each check_* prints
# PASS or FAIL with counts (and a few examples when failing) and returns 0;
# the caller looks for ^FAIL in $CHECKS.

# check NAME FAILURES DETAIL: one verdict.
check() {
  local r=PASS; [ "$2" = 0 ] || r=FAIL
  printf '%-4s  %-52s %s\n' "$r" "$1" "$3" | tee -a "$CHECKS"
}
# examples TEXT [N]: the first N (5) lines of what failed, indented.
examples() { [ -n "$1" ] && echo "$1" | grep . | head -n "${2:-5}" | sed 's/^/        /'; true; }

# ledger_spool_tsv BIN SPOOL_ROOT DEPT...: the tasks each agent stored
# (bangdai-dept spool), as "task TAB dept" lines.
ledger_spool_tsv() {
  local bin=$1 root=$2 a; shift 2
  for a in "$@"; do
    "$bin/bangdai-dept" spool --dept "$a" --spool "$root/$a" 2>/dev/null \
      | awk -v d="$a" '$1 == "task" {print $2 "\t" d}'
  done
}

# ledger_load ACCEPTED EXPECT ENDS SPOOL: the four tab-separated files into
# the schema "ledger" (made anew).
ledger_load() {
  sql "DROP SCHEMA IF EXISTS ledger CASCADE; CREATE SCHEMA ledger;
       CREATE TABLE ledger.accepted (request_id uuid, case_no text, tpl text);
       CREATE TABLE ledger.expect (case_no text, task_id text, kind text, dept text, history text);
       CREATE TABLE ledger.ends (case_no text, fate text);
       CREATE TABLE ledger.spool (task_id text, dept text);" >/dev/null
  sql "COPY ledger.accepted FROM STDIN" <"$1" >/dev/null
  sql "COPY ledger.expect FROM STDIN" <"$2" >/dev/null
  sql "COPY ledger.ends FROM STDIN" <"$3" >/dev/null
  sql "COPY ledger.spool FROM STDIN" <"$4" >/dev/null
}

# outbox_unacked SCHEMAS...: the outbox rows not yet acknowledged, all schemas.
outbox_unacked() {
  local q="" s
  for s in "$@"; do q="$q${q:+ + }(SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL)"; done
  sql "SELECT $q" 2>/dev/null
}

# Every accepted request id: one case, the same number, at intake and router.
check_accepted_one_case() {
  local x n s
  x=$(sql "SELECT a.request_id || ' ' || a.case_no || ' intake:' || count(DISTINCT i.case_no) || '/' || coalesce(max(i.case_no), '-')
             || ' router:' || count(DISTINCT r.case_no)
           FROM ledger.accepted a LEFT JOIN intake.cases i ON i.request_id = a.request_id
           LEFT JOIN router.cases r ON r.case_no = a.case_no
           GROUP BY a.request_id, a.case_no
           HAVING count(DISTINCT i.case_no) <> 1 OR max(i.case_no) <> a.case_no OR count(DISTINCT r.case_no) <> 1")
  n=$(echo -n "$x" | grep -c . || true)
  s=$(sql "SELECT count(*) FROM intake.cases WHERE request_id NOT IN (SELECT request_id FROM ledger.accepted)")
  check "${1:-1} accepted request id -> one case" "$n" \
    "$n of $(sql "SELECT count(*) FROM ledger.accepted") wrong; $s cases of requests never answered"
  examples "$x"
}

# Every case exactly its tasks (id, kind, department), at the router, the
# tracker and intake.
check_case_tasks() {
  local x="" d s tbl n
  for tbl in router.tasks tracker.deadlines intake.case_tasks; do
    d=$(sql "WITH e AS (SELECT task_id, kind, dept FROM ledger.expect),
                  g AS (SELECT t.task_id, t.kind, t.dept FROM $tbl t JOIN ledger.accepted a USING (case_no))
             SELECT '$tbl missing ' || e.task_id FROM e WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.task_id = e.task_id AND g.kind = e.kind AND g.dept = e.dept)
             UNION ALL
             SELECT '$tbl extra ' || g.task_id || ' ' || g.kind || ' ' || g.dept FROM g WHERE NOT EXISTS (SELECT 1 FROM e WHERE g.task_id = e.task_id AND g.kind = e.kind AND g.dept = e.dept)")
    x="$x${d:+$d
}"
  done
  n=$(echo -n "$x" | grep -c . || true)
  check "${1:-2} every case exactly its tasks (router, tracker, intake)" "$n" \
    "$n wrong rows; router $(echo -n "$x" | grep -c '^router' || true), tracker $(echo -n "$x" | grep -c '^tracker' || true), intake $(echo -n "$x" | grep -c '^intake' || true)"
  examples "$x"
}

# check_spool_once SPOOL_ROOT [LABEL]: every task stored by its agent, once
# (its TaskAssigned, under its message id), and no stored task unknown to
# the router.
check_spool_once() {
  local root=$1 x n missing_files=0 a f
  x=$(sql "SELECT t.task_id || ' ' || t.dept || ' files:' || count(s.task_id)
             || CASE WHEN t.assign_msg_id IS NULL THEN ' no assign id' ELSE '' END
           FROM router.tasks t LEFT JOIN ledger.spool s ON s.task_id = t.task_id AND s.dept = t.dept
           GROUP BY t.task_id, t.dept, t.assign_msg_id HAVING count(s.task_id) <> 1
           UNION ALL
           SELECT s.task_id || ' in spool ' || s.dept || ' unknown to the router' FROM ledger.spool s
           WHERE NOT EXISTS (SELECT 1 FROM router.tasks t WHERE t.task_id = s.task_id)")
  while IFS=$'\t' read -r f a; do
    [ -f "$root/$a/$f.task" ] || missing_files=$((missing_files + 1))
  done < <(sql "SELECT assign_msg_id, dept FROM router.tasks WHERE assign_msg_id IS NOT NULL" | tr '|' '\t')
  n=$(( $(echo -n "$x" | grep -c . || true) + missing_files ))
  check "${2:-3} every task one spool file" "$n" \
    "$(echo -n "$x" | grep -c . || true) tasks without exactly one file, $missing_files assign ids without <id>.task"
  examples "$x"
}

# check_outbox_drained LABEL SCHEMAS...: no outbox row left unacknowledged.
check_outbox_drained() {
  local label=$1 d="" n=0 s x; shift
  for s in "$@"; do
    x=$(sql "SELECT count(*) FROM $s.outbox WHERE acked_at IS NULL"); n=$(( n + ${x:-1} )); d="$d $s:$x"
  done
  check "$label no outbox row stuck" "$n" "unacknowledged:$d"
  [ "$n" = 0 ] || examples "$(sql "$(for s in "$@"; do printf "SELECT '%s', dest, type, case_no, attempts, created_at::time(0) FROM %s.outbox WHERE acked_at IS NULL UNION ALL " "$s" "$s"; done | sed 's/ UNION ALL $//') ORDER BY 6 LIMIT 8")" 8
}

# check_no_refusals LABEL LEDGER_FILE SCHEMAS...: no refusal stored (inbox
# error_code, outbox error), and none answered to the load (its ledger's
# REFUSED lines).
check_no_refusals() {
  local label=$1 ledger=$2 d="" n=0 s x nr; shift 2
  for s in "$@"; do
    x=$(sql "SELECT (SELECT count(*) FROM $s.inbox WHERE error_code IS NOT NULL) + (SELECT count(*) FROM $s.outbox WHERE error IS NOT NULL)")
    n=$(( n + ${x:-1} )); d="$d $s:$x"
  done
  x=$(grep '^REFUSED ' "$ledger" || true)
  nr=$(echo -n "$x" | grep -c . || true)
  check "$label no refusal stored or answered" "$(( n + nr ))" "stored:$d; answered to the load: $nr"
  examples "$(for s in "$@"; do sql "SELECT '$s inbox', type, source, error_code, error_field, error_message FROM $s.inbox WHERE error_code IS NOT NULL LIMIT 3"; sql "SELECT '$s outbox', dest, type, case_no, error FROM $s.outbox WHERE error IS NOT NULL LIMIT 3"; done)" 8
  examples "$x"
}

# check_workload_counter LABEL: each specialist's open-task counter
# (router.specialist_load, kept by the triggers of 004 and 013) equals the
# open tasks counted from router.tasks itself: the pick reads the counter.
check_workload_counter() {
  local off
  off=$(sql "SELECT dept || '/' || specialist_id || ' counter ' || coalesce(l.open_tasks, 0) || ', tasks ' || coalesce(t.n, 0)
    FROM router.specialist_load l FULL JOIN
      (SELECT dept, specialist_id, count(*) AS n FROM router.tasks
        WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED') GROUP BY 1, 2) t USING (dept, specialist_id)
    WHERE coalesce(l.open_tasks, 0) <> coalesce(t.n, 0)")
  check "$1 workload counter = open tasks" "$(echo -n "$off" | grep -c . || true)" "specialists whose counter is off"
  examples "$off"
}
