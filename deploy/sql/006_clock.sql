-- 006_clock.sql: the clock as the law counts it (issue 9).
--
-- A deadline that needs the calendar of a year the State Council has not
-- published yet is pending, never guessed: due_on stays NULL and the year
-- it waits for is kept, where the tracker computes it and where the
-- department's list and the hall's status show it.
ALTER TABLE tracker.deadlines ADD COLUMN pending_year integer
  CHECK (pending_year IS NULL OR due_on IS NULL);
ALTER TABLE router.tasks ADD COLUMN due_pending_year integer;
ALTER TABLE intake.case_tasks ADD COLUMN due_pending_year integer;

-- calendar check/apply: the open deadlines waiting for a year.
CREATE INDEX deadlines_open_pending
  ON tracker.deadlines (pending_year)
  WHERE pending_year IS NOT NULL AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- The router's day of each assignment (its business clock): a reported day
-- of 受理 cannot be before it. Tasks stored before this migration fall back
-- on the China date of created_at.
ALTER TABLE router.tasks ADD COLUMN assigned_on date;
