-- 011_evaluation.sql: ratings (好差评), the return visit recorded, and the
-- rectification of a 差评 with its steps and escalations (issue 10).

-- Who served each item of a case: a copy of the tracker's TaskDecided
-- (the same as delivery's), so that a rating can be attributed to a
-- department and a specialist without reading another daemon's schema.
CREATE TABLE evaluation.served_tasks (
  task_id    text PRIMARY KEY,
  case_no    text NOT NULL,
  item_code  text NOT NULL,
  dept       text NOT NULL,
  specialist text,
  decision   text NOT NULL,
  decided_at timestamptz NOT NULL
);
CREATE INDEX served_tasks_case ON evaluation.served_tasks (case_no);

-- A rating. task_id NULL: the whole service (一次一评); set: one item
-- (一事一评, where evaluation.per_item_rating allows). dept and specialist:
-- whom it is attributed to (the item's; for the whole service, the case's
-- first item task). excluded: an appeal against it was upheld, so staff
-- assessment leaves it out.
CREATE TABLE evaluation.ratings (
  id         bigserial PRIMARY KEY,
  case_no    text NOT NULL,
  task_id    text,
  level      text NOT NULL CHECK (level IN ('非常满意', '满意', '基本满意', '不满意', '非常不满意')),
  channel    text NOT NULL CHECK (channel IN ('visit', 'hall', 'onsite')),
  dept       text,
  specialist text,
  comment    text,
  rated_by   text,
  rated_at   timestamptz NOT NULL,
  excluded   boolean NOT NULL DEFAULT false
);
CREATE INDEX ratings_case ON evaluation.ratings (case_no);
CREATE INDEX ratings_rated_at ON evaluation.ratings (rated_at);
-- The uniqueness rule: the unit rates the whole service once (一次一评),
-- through the hall or on site, and each item once (一事一评); the return
-- visit is hall management's own rating, one per case. A second rating of
-- the same thing is refused (conflict), not replaced.
CREATE UNIQUE INDEX ratings_once_unit ON evaluation.ratings (case_no, coalesce(task_id, ''))
  WHERE channel IN ('hall', 'onsite');
CREATE UNIQUE INDEX ratings_once_visit ON evaluation.ratings (case_no) WHERE channel = 'visit';

ALTER TABLE evaluation.return_visits
  ADD COLUMN done_at timestamptz,
  ADD COLUMN done_by text,
  ADD COLUMN rating_id bigint REFERENCES evaluation.ratings;

-- The rectification of a 差评 (common/rectify.h: the states and moves).
CREATE TABLE evaluation.rectifications (
  id              bigserial PRIMARY KEY,
  rating_id       bigint NOT NULL UNIQUE REFERENCES evaluation.ratings,
  case_no         text NOT NULL,
  task_id         text,
  dept            text NOT NULL,
  specialist      text,
  state           text NOT NULL CHECK (state IN ('verifying', 'rectifying', 'explained', 'rectified',
                                                 'fed_back', 'appealed', 'appeal_upheld', 'appeal_rejected')),
  due_on          date,
  opened_at       timestamptz NOT NULL,
  closed_at       timestamptz,
  escalated_level text CHECK (escalated_level IN ('dept_head', 'leader', 'office'))
);
-- The escalation scan reads only the chased ones.
CREATE INDEX rectifications_chased ON evaluation.rectifications (due_on, id)
  WHERE state IN ('verifying', 'rectifying', 'appeal_rejected');

-- Every step, with who and when: opened, verify, done, explain, feedback,
-- appeal, uphold, reject, escalation.
CREATE TABLE evaluation.rectification_steps (
  id                bigserial PRIMARY KEY,
  rectification_id  bigint NOT NULL REFERENCES evaluation.rectifications,
  step              text NOT NULL,
  actor             text NOT NULL,
  at                timestamptz NOT NULL,
  text              text
);
CREATE INDEX rectification_steps_rect ON evaluation.rectification_steps (rectification_id);

-- Each escalation level once per rectification: the unique key, not memory,
-- makes a restart or a repeated scan send nothing twice.
CREATE TABLE evaluation.rectify_escalations (
  rectification_id  bigint NOT NULL REFERENCES evaluation.rectifications,
  level             text NOT NULL CHECK (level IN ('dept_head', 'leader', 'office')),
  due_on            date NOT NULL,
  overdue_days      integer NOT NULL,
  holder            text NOT NULL,
  day               date NOT NULL,
  PRIMARY KEY (rectification_id, level)
);
