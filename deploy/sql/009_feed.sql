-- 009_feed.sql: the progress feed and the expected completion (issue 9).
--
-- Every change intake records of a case or one of its tasks is numbered per
-- case (cases.feed_seq, the last number given) and kept in feed_events, in
-- the transaction that records the change; it is published on the feed
-- after the commit. The feed is best effort, the record is not: a watcher
-- that missed events reads them here (FeedRequest) or reads the case again
-- (StatusRequest, which names the last seq it includes).
ALTER TABLE intake.cases
  ADD COLUMN feed_seq bigint NOT NULL DEFAULT 0,
  -- The expectation given at submission (SubmitReply), shown by status.
  ADD COLUMN expected_completion date,
  ADD COLUMN expected_latest date,
  ADD COLUMN expected_pending_year integer,
  ADD COLUMN expected_basis text;

CREATE TABLE intake.feed_events (
  case_no          text NOT NULL REFERENCES intake.cases,
  seq              bigint NOT NULL,
  at_us            bigint NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('submitted', 'task', 'case', 'log', 'withdrawn')),
  task_id          text,
  task_kind        text,
  item_code        text,
  dept             text,
  specialist       text,
  state            text,
  due_date         date,
  due_pending_year integer,
  result_doc       text,
  case_state       text NOT NULL,
  log_kind         text,
  text             text,
  PRIMARY KEY (case_no, seq)
);

-- The working days each item task took, from its start (the day of 受理
-- when reported, else its first report) to its decision (APPROVED or
-- REJECTED), counted by the calendar's rule: the history behind the
-- expected completion (common/forecast.h). decided_on IS NULL while open;
-- workdays stays NULL when the calendar lacked a year to count them.
CREATE TABLE intake.item_clock (
  task_id     text PRIMARY KEY,
  item_code   text NOT NULL,
  started_on  date NOT NULL,
  accepted    boolean NOT NULL DEFAULT false,
  decided_on  date,
  workdays    integer CHECK (workdays >= 0)
);
CREATE INDEX item_clock_history ON intake.item_clock (item_code, decided_on DESC)
  WHERE workdays IS NOT NULL;
