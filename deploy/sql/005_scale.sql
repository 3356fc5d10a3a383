-- 005_scale.sql: reads that stay flat as the open tasks grow (issue 7).
--
-- A department's task list is read a page at a time, the soonest due first
-- (no due date last), after the (due day, task id) of the page before:
-- this index serves each page as a range of its open rows, whatever page.
CREATE INDEX tasks_open_by_dept_due
  ON router.tasks (dept, (coalesce(due_on, 'infinity'::date)), task_id)
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- The due and overdue scan of the tracker (reminders, escalation, the
-- board): the open deadlines up to a day, in due order, read from the index
-- alone (what a reminder names is in it).
CREATE INDEX deadlines_open_due
  ON tracker.deadlines (due_on) INCLUDE (task_id, case_no, dept, specialist)
  WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');

-- The relay's scan reads, per destination, its oldest unacknowledged row
-- and the rows that wait unsent (never sent, or sent on a connection that
-- broke since): this index holds only those, so the rows in flight -- all
-- of them time out under a burst -- cost the scan nothing.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['intake', 'router', 'tracker', 'delivery', 'evaluation'] LOOP
    EXECUTE format('CREATE INDEX outbox_unsent ON %I.outbox (dest, dest_seq) INCLUDE (next_at)'
                   ' WHERE acked_at IS NULL AND sent_at IS NULL', r);
  END LOOP;
END
$$;
