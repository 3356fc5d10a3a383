-- 014_generic_plans.sql: the tracker's statements that apply all the
-- parts of an envelope at once (issue 7: tracker.clock_many,
-- tracker.state_many) take their rows from unnest() of array parameters.
-- With plan_cache_mode auto, PostgreSQL plans such a prepared statement
-- again at every call: the custom plan, which sees how many elements the
-- arrays hold, always looks cheaper than the generic one, which assumes
-- ten. That planning cost more backend CPU than the statements they
-- replaced (benchmark runs of 2026-11-29: the tracker's backend 2.96 and
-- 3.63 ms a case, 2.41 with generic plans). None of the tracker's
-- statements needs a plan made for its values: they look rows up by key,
-- or scan in index order with a LIMIT, or scan all open deadlines.
--
-- A setting of the role in this database only (another bangdai database
-- of the same cluster sets its own); it takes effect at the tracker's next
-- connection. Where the migrating role may not change another role's
-- settings (roles made beforehand by an administrator), it is skipped with
-- a warning: the tracker works the same, with more planning.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE bangdai_tracker IN DATABASE %I SET plan_cache_mode = force_generic_plan',
                 current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'plan_cache_mode of bangdai_tracker not set (%): its batch statements are planned at every call',
                SQLERRM;
END
$$;
