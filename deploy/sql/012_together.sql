-- 012_together.sql: 统一送达 (issue 10). A case whose unit asked for its
-- results all together: the router hands none over before every item is
-- decided. Intake keeps what the unit asked; the router, which checks each
-- handover, keeps it with the case.
ALTER TABLE intake.cases ADD COLUMN delivery_together boolean NOT NULL DEFAULT false;
ALTER TABLE router.cases ADD COLUMN delivery_together boolean NOT NULL DEFAULT false;
