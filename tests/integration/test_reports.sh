#!/usr/bin/env bash
# test_reports.sh - bangdaictl report over a generated quarter (issue 10).
#
# report_quarter.py writes a few hundred cases of 2026-06..10 straight into
# the database (deterministic seed): items with supplements and expert
# reviews, rejections, open tasks, late results with reminders and
# escalations, handovers by every method, statutory fees, ratings (one
# excluded by an upheld appeal at least), rectifications and return visits.
# Then every report of 2026-Q3 in every format is checked, figure by figure,
# against what report_quarter.py computes from the generated rows alone;
# the HTML is parsed, must hold no script and no external reference, and its
# charts' data (data-* attributes of the SVG marks) is compared too. A report
# made again gives the same bytes.
. "$(dirname "$0")/lib.sh"
GEN="$BANGDAI_ROOT/tests/integration/report_quarter.py"
CFG="$BANGDAI_ROOT/deploy/config/dianjiang.yaml"

# The tables of delivery and evaluation as issue 10 defines them, for a
# database whose migrations do not have them yet (the fixture only).
psql -qX -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || fail "fixture tables"
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS delivery.handovers (
  task_id text PRIMARY KEY, case_no text NOT NULL, item_code text, dept text,
  decision text NOT NULL, method text NOT NULL, handed_at timestamptz, handed_by text,
  receiver text, receipt_ref text, carrier text, tracking_no text, address text,
  licence_id text, downloaded_at timestamptz, confirmed_at timestamptz, confirmed_by text,
  auto_confirmed boolean NOT NULL DEFAULT false, decided_at timestamptz);
CREATE TABLE IF NOT EXISTS delivery.fees (
  id bigserial PRIMARY KEY, case_no text NOT NULL, task_id text, item_code text,
  amount_fen bigint NOT NULL, payee text NOT NULL, paid_on date NOT NULL,
  recorded_by text, recorded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS evaluation.ratings (
  id bigserial PRIMARY KEY, case_no text NOT NULL, task_id text, level text NOT NULL,
  channel text NOT NULL, dept text, specialist text, comment text, rated_by text,
  rated_at timestamptz NOT NULL DEFAULT now(), excluded boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS evaluation.rectifications (
  id bigserial PRIMARY KEY, rating_id bigint NOT NULL, case_no text NOT NULL, dept text,
  specialist text, state text NOT NULL, due_on date, opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz, escalated_level text);
ALTER TABLE evaluation.return_visits ADD COLUMN IF NOT EXISTS done_at timestamptz,
  ADD COLUMN IF NOT EXISTS done_by text, ADD COLUMN IF NOT EXISTS rating_id bigint;
SQL

/usr/bin/python3 "$GEN" gen "$CFG" 20260930 "$T/quarter.sql" "$T/quarter.json" || fail "generate the quarter"
psql -qX -v ON_ERROR_STOP=1 -d "$DB" -f "$T/quarter.sql" >"$T/load.log" 2>&1 || { tail -5 "$T/load.log" >&2; fail "load the quarter"; }
said=$(/usr/bin/python3 "$GEN" summary "$CFG" "$T/quarter.json") || fail "the quarter's summary"
note "$said"

CTL="$BIN/bangdaictl"
for kind in assessment bready summary; do
  for fmt in table csv json html; do
    out="$T/$kind.$fmt"
    "$CTL" report "$kind" --period 2026-Q3 --format "$fmt" >"$out" 2>"$T/report.log" \
      || { cat "$T/report.log" >&2; fail "report $kind --format $fmt"; }
    [ "$kind" = summary ] && [ "$fmt" = table ] && fmt=md       # the summary is Markdown
    said=$(/usr/bin/python3 "$GEN" check "$CFG" "$T/quarter.json" "$kind" "$fmt" "$out") \
      || fail "report $kind --format $fmt differs from the raw rows"
    note "$said"
  done
done
/usr/bin/python3 "$GEN" check "$CFG" "$T/quarter.json" bready html "$T/bready.html" >/dev/null || fail "bready html"

# The summary is Markdown; the same report made again is the same.
head -1 "$T/summary.table" | grep -q '^# bangdai summary report, 2026-Q3' || fail "summary is not Markdown"
"$CTL" report bready --period 2026-Q3 --format json >"$T/again.json" || fail "bready again"
cmp -s "$T/again.json" "$T/bready.json" || fail "bready made again differs"

# A month and a year are periods too; a bad period or format is a usage error.
"$CTL" report assessment --period 2026-09 --format json >"$T/month.json" || fail "month report"
grep -q '"from":"2026-09-01","to":"2026-09-30"' "$T/month.json" || fail "month period"
"$CTL" report assessment --period 2026 --format json >"$T/year.json" || fail "year report"
grep -q '"from":"2026-01-01","to":"2026-12-31"' "$T/year.json" || fail "year period"
rc=0; "$CTL" report assessment --period 2026-Q5 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "period" "$T/err" || fail "a bad period is refused (rc $rc)"
rc=0; "$CTL" report bready --period 2026-Q3 --format pdf 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "format" "$T/err" || fail "a bad format is refused (rc $rc)"
note "every figure of every report matches in every format"
