-- 014_generic_plans.sql: the busy daemons' statements run from the plan
-- cached for their connection (issue 7: planning ≈ 0).
--
-- The statements that apply all the parts of an envelope at once
-- (intake.progress_parts, tracker.clock_many, tracker.state_many,
-- router.due_many, ...) take their rows from unnest() of array parameters.
-- With plan_cache_mode auto, PostgreSQL may plan such a prepared statement
-- again at every call: the custom plan, which sees how many elements the
-- arrays hold, looks cheaper than the generic one, which assumes ten. That
-- planning cost more backend CPU than the statements they replaced
-- (benchmark runs of 2026-11-29: the tracker's backend 2.96 and 3.63 ms a
-- case, 2.41 with generic plans; router.due_many planned at 16 853 of its
-- 18 348 calls, intake's forecast at every one). None of intake's, the
-- router's or the tracker's statements needs a plan made for its values:
-- they look rows up by key, or scan an index in order with a LIMIT (the
-- department's list, the due and reminder scans: bench/run.sh --scale times
-- them with generic plans), or read small tables. Delivery and evaluation
-- keep the default: their reports over a span of days can use a plan made
-- for the span.
--
-- A setting of each role in this database only (another bangdai database
-- of the same cluster sets its own); it takes effect at the daemon's next
-- connection. Where the migrating role may not change another role's
-- settings (roles made beforehand by an administrator), it is skipped with
-- a warning: the daemon works the same, with more planning.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['intake', 'router', 'tracker'] LOOP
    BEGIN
      EXECUTE format('ALTER ROLE %I IN DATABASE %I SET plan_cache_mode = force_generic_plan',
                     'bangdai_' || r, current_database());
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'plan_cache_mode of bangdai_% not set (%): its statements may be planned at every call',
                    r, SQLERRM;
    END;
  END LOOP;
END
$$;
