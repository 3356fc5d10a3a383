-- 008_reminders.sql: reminders (催办) and escalation (issue 9).
--
-- The scan reads only the deadlines that need a look today: remind_next is
-- the next day a deadline's reminders are due for a look. Whoever sets or
-- moves a due date need not know: the trigger puts remind_next 60 days
-- before it (early enough for any warning), and the scan moves it to the
-- exact next day (the warning day, the due day, the next day when overdue).
ALTER TABLE tracker.deadlines ADD COLUMN remind_next date;
-- The clock is stopped while paused (补正, expert review, ...): no reminder
-- then. (007_pauses.sql adds it too; whichever runs first.)
ALTER TABLE tracker.deadlines ADD COLUMN IF NOT EXISTS paused_kind text;

CREATE FUNCTION tracker.remind_from_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.due_on IS DISTINCT FROM OLD.due_on THEN
    NEW.remind_next := NEW.due_on - 60;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER deadlines_remind_next BEFORE INSERT OR UPDATE OF due_on ON tracker.deadlines
  FOR EACH ROW EXECUTE FUNCTION tracker.remind_from_due();
UPDATE tracker.deadlines SET remind_next = due_on - 60 WHERE due_on IS NOT NULL;

CREATE INDEX deadlines_remind
  ON tracker.deadlines (remind_next, task_id)
  WHERE remind_next IS NOT NULL AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- Each reminder once: a warning and a due-day reminder per due date, an
-- overdue reminder per working day, each escalation level per due date.
-- The unique key, not memory, is what makes a restart, a second tracker or
-- a repeated scan send nothing twice.
CREATE TABLE tracker.reminders (
  id       bigserial PRIMARY KEY,
  task_id  text NOT NULL REFERENCES tracker.deadlines,
  case_no  text NOT NULL,
  dept     text NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('warn', 'due', 'overdue', 'escalation')),
  level    text NOT NULL CHECK (level IN ('specialist', 'dept_head', 'leader', 'office')),
  due_on   date NOT NULL,
  day      date NOT NULL,
  overdue_days integer NOT NULL DEFAULT 0,
  holder   text,
  sent_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (task_id, kind, level, due_on, day)
);
CREATE INDEX reminders_task ON tracker.reminders (task_id, due_on);
