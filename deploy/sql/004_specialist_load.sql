-- 004_specialist_load.sql: each specialist's open tasks, kept as a counter.
--
-- router_pick() gives a new task to the least loaded specialist of the
-- department. Counting the open tasks for that (a scan of router.tasks)
-- grows with the tasks; this table holds the count, kept by a trigger on
-- every insert and every change of state, specialist or department, so a
-- pick reads one row per specialist. The final states are the ones of
-- task_state_final() in common/states.c.
CREATE TABLE router.specialist_load (
  dept          text NOT NULL,
  specialist_id text NOT NULL,
  open_tasks    integer NOT NULL DEFAULT 0 CHECK (open_tasks >= 0),
  PRIMARY KEY (dept, specialist_id)
);

CREATE FUNCTION router.count_open_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_open boolean := TG_OP = 'UPDATE'
    AND OLD.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');
  is_open boolean := NEW.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED');
BEGIN
  IF was_open AND is_open AND OLD.specialist_id = NEW.specialist_id AND OLD.dept = NEW.dept THEN
    RETURN NULL;
  END IF;
  IF was_open THEN
    UPDATE router.specialist_load SET open_tasks = open_tasks - 1
     WHERE dept = OLD.dept AND specialist_id = OLD.specialist_id;
  END IF;
  IF is_open THEN
    INSERT INTO router.specialist_load AS l (dept, specialist_id, open_tasks)
    VALUES (NEW.dept, NEW.specialist_id, 1)
    ON CONFLICT (dept, specialist_id) DO UPDATE SET open_tasks = l.open_tasks + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tasks_count_open AFTER INSERT OR UPDATE OF state, specialist_id, dept ON router.tasks
  FOR EACH ROW EXECUTE FUNCTION router.count_open_tasks();

INSERT INTO router.specialist_load (dept, specialist_id, open_tasks)
SELECT dept, specialist_id, count(*) FROM router.tasks
 WHERE state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')
 GROUP BY dept, specialist_id;
