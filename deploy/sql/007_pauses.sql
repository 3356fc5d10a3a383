-- 007_pauses.sql: the clock stops (行政许可法 §45, and 补正) (issue 9).
--
-- A task's clock stops while the unit supplements its materials (补正:
-- SUPPLEMENT_REQUESTED until SUPPLEMENT_RECEIVED) and while an expert
-- review, a hearing, a testing/inspection/quarantine or an appraisal runs
-- (bangdai-dept pause / resume). The due date is the start plus the
-- promised working days plus the working days paused, each pause counting
-- at most the catalog's limit for its kind (common/calendar.h has the rule
-- of counting a span). The statutory due date (catalog statutory_days) is
-- counted the same way and kept beside the promised one.

-- The tracker: every pause of every task, and the current one on the
-- deadline. paused_kind is NULL while the clock runs, 'supplement' during
-- 补正, else the kind; the reminder scan skips the rows where it is set.
CREATE TABLE tracker.pauses (
  id          bigserial PRIMARY KEY,
  task_id     text NOT NULL REFERENCES tracker.deadlines ON DELETE CASCADE,
  kind        text NOT NULL
              CHECK (kind IN ('supplement', 'expert_review', 'hearing', 'inspection', 'appraisal')),
  reason      text NOT NULL,
  from_day    date NOT NULL,          -- the first day the clock stood still
  to_day      date,                   -- the day it ran again; NULL while paused
  limit_days  integer,                -- the catalog's limit for the kind, when the law sets one
  workdays    integer,                -- working days in [from_day, to_day), once counted
  counted     integer,                -- of which count against the deadline: least(workdays, limit_days)
  CHECK (to_day IS NULL OR to_day >= from_day)
);
-- One pause at a time per task.
CREATE UNIQUE INDEX pauses_open ON tracker.pauses (task_id) WHERE to_day IS NULL;

ALTER TABLE tracker.deadlines
  ADD COLUMN IF NOT EXISTS paused_kind text,   -- 008 adds it too, for a database that ran it first
  ADD COLUMN paused_since date,
  ADD COLUMN paused_reason text,
  ADD COLUMN paused_days integer NOT NULL DEFAULT 0,   -- counted working days of the ended pauses
  ADD COLUMN statutory_days integer,
  ADD COLUMN statutory_due_on date,
  ADD COLUMN statutory_pending_year integer
    CHECK (statutory_pending_year IS NULL OR statutory_due_on IS NULL),
  ADD CONSTRAINT deadlines_paused CHECK ((paused_kind IS NULL) = (paused_since IS NULL));

-- calendar check/apply also finds statutory dates waiting for a year.
CREATE INDEX deadlines_open_statutory_pending
  ON tracker.deadlines (statutory_pending_year)
  WHERE statutory_pending_year IS NOT NULL AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- The router: the department's list shows both dates and the pause; a
-- pause and a resume are events of the task's history.
ALTER TABLE router.tasks
  ADD COLUMN statutory_due_on date,
  ADD COLUMN statutory_pending_year integer,
  ADD COLUMN paused_kind text,
  ADD COLUMN paused_since date,
  ADD COLUMN paused_reason text,
  ADD COLUMN authority_accepted_on date;   -- 帮办 item: the day the authority accepted the unit's filing
ALTER TABLE router.task_history DROP CONSTRAINT task_history_event_check,
  ADD CONSTRAINT task_history_event_check CHECK (event IN ('move', 'reassign', 'note', 'pause', 'resume'));

-- Intake: what the unit's status shows of both dates and of a pause.
ALTER TABLE intake.case_tasks
  ADD COLUMN statutory_due_date date,
  ADD COLUMN statutory_pending_year integer,
  ADD COLUMN paused_kind text,
  ADD COLUMN paused_since date,
  ADD COLUMN paused_reason text,
  ADD COLUMN paused_days integer NOT NULL DEFAULT 0;
