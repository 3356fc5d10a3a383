-- 010_delivery.sql: delivery (统一送达) with receipts, and statutory fees
-- (issue 10).
--
-- A decided item waits for its handover: delivery.handovers holds one row
-- per decided item task from its decision on; the specialist's handover
-- (in person, by post, e-licence) fills the method's columns and
-- handed_at; the unit's confirmation (or download of an e-licence) fills
-- confirmed_at, or the daily scan does after delivery.confirm_days working
-- days (auto_confirmed). The service ends, once, when every item of the
-- case is confirmed: delivery.cases.ended_at stays that moment.
CREATE TABLE delivery.handovers (
  task_id        text PRIMARY KEY,
  case_no        text NOT NULL REFERENCES delivery.cases,
  item_code      text NOT NULL,
  dept           text NOT NULL,
  decision       text NOT NULL CHECK (decision IN ('APPROVED', 'REJECTED')),
  decided_at     timestamptz NOT NULL,
  method         text CHECK (method IN ('in_person', 'post', 'e_licence')),
  handed_at      timestamptz,
  handed_by      text,               -- the key of the agent that recorded it
  receiver       text,               -- in_person
  receipt_ref    text,               -- in_person
  carrier        text,               -- post
  tracking_no    text,               -- post
  address        text,               -- post
  licence_id     text,               -- e_licence
  downloaded_at  timestamptz,        -- e_licence: the unit's first download
  confirmed_at   timestamptz,
  confirmed_by   text,               -- 'unit' (receipt), 'download', or 'auto'
  auto_confirmed boolean NOT NULL DEFAULT false,
  CHECK (handed_at IS NULL OR method IS NOT NULL),
  CHECK (confirmed_at IS NULL OR handed_at IS NOT NULL),
  CHECK (method IS DISTINCT FROM 'in_person' OR (receiver IS NOT NULL AND receipt_ref IS NOT NULL)),
  CHECK (method IS DISTINCT FROM 'post' OR (carrier IS NOT NULL AND tracking_no IS NOT NULL AND address IS NOT NULL)),
  CHECK (method IS DISTINCT FROM 'e_licence' OR licence_id IS NOT NULL)
);
CREATE INDEX handovers_case ON delivery.handovers (case_no);
-- The scan's two questions: not handed over yet (§44), handed over and
-- not confirmed (confirm_days).
CREATE INDEX handovers_waiting ON delivery.handovers (decided_at) WHERE handed_at IS NULL;
CREATE INDEX handovers_unconfirmed ON delivery.handovers (handed_at)
  WHERE handed_at IS NOT NULL AND confirmed_at IS NULL;

-- The §44 reminder of an item not handed over in time, sent once per task
-- and due day.
CREATE TABLE delivery.handover_reminders (
  task_id text NOT NULL REFERENCES delivery.handovers,
  due_on  date NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, due_on)
);

-- Statutory fees the unit itself paid to an authority (the service is
-- free); only for catalog items with `fee: true` (checked by the router).
CREATE TABLE delivery.fees (
  id          bigserial PRIMARY KEY,
  case_no     text NOT NULL,
  task_id     text NOT NULL,
  item_code   text NOT NULL,
  amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
  payee       text NOT NULL,
  paid_on     date NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fees_case ON delivery.fees (case_no);

-- delivery.results keeps each decision's document and reason; a result is
-- no longer delivered when decided, so delivered_at is no longer filled
-- (rows from before 010 keep theirs): when and how it reached the unit is
-- in handovers (handed_at, confirmed_at, method). results.method stays the
-- case's preferred method.
ALTER TABLE delivery.results
  ALTER COLUMN delivered_at DROP NOT NULL,
  ALTER COLUMN delivered_at DROP DEFAULT;

-- What the hall shows of each handover (TaskStatus.handover).
ALTER TABLE intake.case_tasks
  ADD COLUMN handover text,
  ADD COLUMN handover_method text;

-- The router records a specialist's handover and statutory fee in the
-- task's history (router_delivery.c) before it forwards them.
ALTER TABLE router.task_history DROP CONSTRAINT task_history_event_check,
  ADD CONSTRAINT task_history_event_check
  CHECK (event IN ('move', 'reassign', 'note', 'pause', 'resume', 'handover', 'fee'));
