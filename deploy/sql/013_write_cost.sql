-- 013_write_cost.sql: less work per write of a task and of an outbox row
-- (issue 7), from EXPLAIN (ANALYZE, BUFFERS) on a benchmark's cluster.
--
-- Every change of a task's state is an update that PostgreSQL cannot make
-- in place (HOT): state is in the predicate of the partial indexes, so each
-- index of router.tasks gets a new entry for the new row version: that
-- upkeep was the largest part of router.received (a batch of RECEIVED
-- moves) and of opening a case. Two of the six indexes are
-- read by no statement:
--   - tasks_open_by_specialist (specialist_id, open tasks): the pick reads
--     router.specialist_load (004) since that table came; no statement asks
--     for a specialist's open tasks without its department or its case.
--   - tasks_dept_open (dept, open tasks): tasks_open_by_dept_due (005) has
--     the same rows, led by dept, and serves every read it served.
DROP INDEX router.tasks_open_by_specialist;
DROP INDEX router.tasks_dept_open;

-- The open-task count of 004 ran its plpgsql function once per task row:
-- for every new task (an upsert of its specialist's count each) and for
-- every update of a task's state, though most moves (ASSIGNED -> RECEIVED
-- -> ...) leave an open task open with its specialist, when the function
-- did nothing. Now a case's new tasks are counted once per statement, from
-- the statement's new rows; and the update trigger fires only when the
-- count can change: the task becomes or stops being open, or an open task
-- changes hands (the negation of the function's own early return). The
-- final states are those of task_state_final() in common/states.c.
CREATE FUNCTION router.count_new_open_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO router.specialist_load AS l (dept, specialist_id, open_tasks)
  SELECT dept, specialist_id, count(*) FROM new_tasks
   WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
   GROUP BY dept, specialist_id
  ON CONFLICT (dept, specialist_id) DO UPDATE SET open_tasks = l.open_tasks + EXCLUDED.open_tasks;
  RETURN NULL;
END
$$;

DROP TRIGGER tasks_count_open ON router.tasks;
CREATE TRIGGER tasks_count_open AFTER INSERT ON router.tasks
  REFERENCING NEW TABLE AS new_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION router.count_new_open_tasks();
CREATE TRIGGER tasks_count_open_update AFTER UPDATE OF state, specialist_id, dept ON router.tasks
  FOR EACH ROW
  WHEN (OLD.state IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
        OR NEW.state IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
        OR OLD.specialist_id IS DISTINCT FROM NEW.specialist_id
        OR OLD.dept IS DISTINCT FROM NEW.dept)
  EXECUTE FUNCTION router.count_open_tasks();

-- outbox_due (001) served the first relay, which read the due rows by
-- next_at; the relay has read per destination since 003 (outbox_dest_pending,
-- outbox_unsent, outbox_unnumbered). On a benchmark's cluster its only
-- reads were by the statements that mark rows by id (acked, sent), whose
-- generic plans, made while few rows were unacknowledged, read every row in
-- flight through it and filtered by id; they now read the same rows
-- through outbox_dest_pending, at the same cost. Every new row, and every
-- send (next_at changes), wrote an entry to it.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['intake', 'router', 'tracker', 'delivery', 'evaluation'] LOOP
    EXECUTE format('DROP INDEX %I.outbox_due', r);
  END LOOP;
END
$$;
