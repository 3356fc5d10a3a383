-- 002: the department side in depth (issue 3): task kinds, the lead
-- specialist, on-site acceptance and supplement data, due dates at the
-- router, specialists' leave, reassignment and the 帮办 help log, withdrawal.

-- router ---------------------------------------------------------------
ALTER TABLE router.cases
  ADD COLUMN zone            text,
  ADD COLUMN lead_specialist text,
  ADD COLUMN withdrawn_at    timestamptz,
  ADD COLUMN withdraw_reason text;

ALTER TABLE router.tasks
  ADD COLUMN kind              text NOT NULL DEFAULT 'item'
                               CHECK (kind IN ('item', 'coordination', 'help')),
  ALTER COLUMN item_code DROP NOT NULL,
  ADD COLUMN due_on            date,
  ADD COLUMN accepted_when     text,
  ADD COLUMN accepted_where    text,
  ADD COLUMN materials_received text[],
  ADD COLUMN materials_missing text[],
  ADD COLUMN supplement_missing text;
CREATE INDEX tasks_dept_open ON router.tasks (dept)
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');
DROP INDEX router.tasks_open_by_specialist;
CREATE INDEX tasks_open_by_specialist ON router.tasks (specialist_id)
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- Every event of a task: moves, reassignments, help-log entries. Who, when,
-- why, and the data the event carried.
ALTER TABLE router.task_history
  ADD COLUMN event   text NOT NULL DEFAULT 'move'
                     CHECK (event IN ('move', 'reassign', 'note')),
  ADD COLUMN payload jsonb;

-- Leave set by hall management (bangdaictl specialist away); the roster's
-- own leave is in the configuration.
CREATE TABLE router.specialist_away (
  id            bigserial PRIMARY KEY,
  specialist_id text NOT NULL,
  from_day      date NOT NULL,
  to_day        date NOT NULL CHECK (to_day >= from_day),
  reason        text,
  set_by        text NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX specialist_away_who ON router.specialist_away (specialist_id, to_day);

-- intake ---------------------------------------------------------------
ALTER TABLE intake.cases
  ADD COLUMN lead_specialist text,
  ADD COLUMN lead_name       text,
  ADD COLUMN withdrawn_at    timestamptz,
  ADD COLUMN withdraw_reason text;
ALTER TABLE intake.case_tasks
  ADD COLUMN kind text NOT NULL DEFAULT 'item',
  ALTER COLUMN item_code DROP NOT NULL;

-- What the unit sees of the service besides task states: the lead
-- specialist, the help log, reassignments, the withdrawal.
CREATE TABLE intake.case_log (
  id      bigserial PRIMARY KEY,
  case_no text NOT NULL REFERENCES intake.cases,
  at      timestamptz NOT NULL,
  task_id text,
  dept    text,
  kind    text NOT NULL,
  text    text NOT NULL
);
CREATE INDEX case_log_case ON intake.case_log (case_no, at);

-- tracker --------------------------------------------------------------
ALTER TABLE tracker.deadlines
  ADD COLUMN kind text NOT NULL DEFAULT 'item',
  ALTER COLUMN item_code DROP NOT NULL,
  ALTER COLUMN promised_days DROP NOT NULL;
