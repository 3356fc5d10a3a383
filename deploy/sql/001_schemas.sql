-- 001: one schema and one role per daemon, with the reliable-link tables
-- (outbox, inbox) in each, and the first tables of every stage.
-- Applied by `bangdaictl migrate` as the database owner, in one transaction.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['intake', 'router', 'tracker', 'delivery', 'evaluation'] LOOP
    -- Roles belong to the whole cluster: another database of the same
    -- cluster may be creating them at this moment.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bangdai_' || r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN', 'bangdai_' || r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', r);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', r);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', r, 'bangdai_' || r);

    -- The producer half of the link: written in the same transaction as the
    -- state change, resent until acknowledged.
    EXECUTE format($t$
      CREATE TABLE %I.outbox (
        seq        bigserial PRIMARY KEY,
        id         uuid NOT NULL UNIQUE,
        dest       text NOT NULL,
        type       text NOT NULL,
        case_no    text,
        frame      bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts   integer NOT NULL DEFAULT 0,
        next_at    timestamptz NOT NULL DEFAULT now(),
        acked_at   timestamptz,
        error      text
      )$t$, r);
    EXECUTE format('CREATE INDEX outbox_due ON %I.outbox (next_at) WHERE acked_at IS NULL', r);
    EXECUTE format('CREATE INDEX outbox_acked ON %I.outbox (acked_at) WHERE acked_at IS NOT NULL', r);

    -- The consumer half: one row per message id applied (or refused).
    EXECUTE format($t$
      CREATE TABLE %I.inbox (
        id            uuid PRIMARY KEY,
        type          text NOT NULL,
        source        text NOT NULL,
        received_at   timestamptz NOT NULL DEFAULT now(),
        error_code    text,
        error_field   text,
        error_message text
      )$t$, r);
    EXECUTE format('CREATE INDEX inbox_received ON %I.inbox (received_at)', r);
  END LOOP;
END
$$;

-- intake: projects and cases as the hall submitted them.
CREATE TABLE intake.cases (
  case_no       text PRIMARY KEY,
  request_id    uuid NOT NULL UNIQUE,          -- the hall's idempotency key
  service_type  text NOT NULL CHECK (service_type IN ('agency', 'help')),
  unit_name     text NOT NULL,
  credit_code   text NOT NULL,
  project_name  text NOT NULL,
  project_code  text NOT NULL,
  zone          text,
  kind          text NOT NULL,
  location      text,
  contact_name  text NOT NULL,
  contact_phone text NOT NULL,
  delivery      text NOT NULL,
  channel       text NOT NULL,
  items         text[] NOT NULL,
  state         text NOT NULL DEFAULT 'SUBMITTED',
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_project ON intake.cases (project_code);

-- Case numbers run per day: BD-<county>-<yyyymmdd>-<nnnnn>.
CREATE TABLE intake.case_counters (
  day  date PRIMARY KEY,
  last integer NOT NULL
);

-- What the hall sees of each task: fed by Progress from tracker, delivery
-- and evaluation.
CREATE TABLE intake.case_tasks (
  task_id     text PRIMARY KEY,
  case_no     text NOT NULL REFERENCES intake.cases,
  item_code   text NOT NULL,
  dept        text NOT NULL,
  specialist  text,
  state       text NOT NULL,
  due_date    date,
  result_doc  text,
  updated_us  bigint NOT NULL
);
CREATE INDEX case_tasks_case ON intake.case_tasks (case_no);

-- router: tasks, their specialists, and every move of every task.
CREATE TABLE router.cases (
  case_no      text PRIMARY KEY,
  service_type text NOT NULL,
  delivery     text NOT NULL,
  task_count   integer NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE router.tasks (
  task_id       text PRIMARY KEY,
  case_no       text NOT NULL REFERENCES router.cases,
  item_code     text NOT NULL,
  dept          text NOT NULL,
  specialist_id text NOT NULL,
  state         text NOT NULL,
  assign_msg_id uuid,
  reference     text,
  result_doc    text,
  result_kind   text,
  reason        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_case ON router.tasks (case_no);
CREATE INDEX tasks_open_by_specialist ON router.tasks (specialist_id)
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED');
CREATE UNIQUE INDEX tasks_assign_msg ON router.tasks (assign_msg_id);
CREATE TABLE router.task_history (
  id         bigserial PRIMARY KEY,
  task_id    text NOT NULL REFERENCES router.tasks,
  from_state text,
  to_state   text NOT NULL,
  actor      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  detail     text
);
CREATE INDEX task_history_task ON router.task_history (task_id);

-- tracker: the promised deadline of every task, with the calendar version
-- it was computed with.
CREATE TABLE tracker.deadlines (
  task_id          text PRIMARY KEY,
  case_no          text NOT NULL,
  item_code        text NOT NULL,
  dept             text NOT NULL,
  specialist       text,
  state            text NOT NULL,
  started_on       date NOT NULL,
  promised_days    integer NOT NULL,
  due_on           date,
  calendar_version text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deadlines_case ON tracker.deadlines (case_no);

-- delivery: result documents and how they reached the unit.
CREATE TABLE delivery.cases (
  case_no    text PRIMARY KEY,
  task_count integer NOT NULL,
  ended_at   timestamptz
);
CREATE TABLE delivery.results (
  task_id      text PRIMARY KEY,
  case_no      text NOT NULL REFERENCES delivery.cases,
  item_code    text NOT NULL,
  dept         text NOT NULL,
  decision     text NOT NULL CHECK (decision IN ('APPROVED', 'REJECTED')),
  result_doc   text,
  result_kind  text,
  reason       text,
  decided_at   timestamptz NOT NULL,
  method       text NOT NULL,
  delivered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX results_case ON delivery.results (case_no);

-- evaluation: the return visit (回访) opened when a service ends.
CREATE TABLE evaluation.return_visits (
  case_no   text PRIMARY KEY,
  tasks     integer NOT NULL,
  ended_at  timestamptz NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  due_on    date,
  state     text NOT NULL DEFAULT 'OPEN'
);
