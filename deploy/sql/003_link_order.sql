-- 003_link_order.sql: order, per-sender dedupe and isolation on the reliable
-- link (issue 6; docs/ARCHITECTURE.md, "The reliable link").
--
-- Producer side: every outbox row gets the next number of its destination
-- (outbox.dest_seq, counted in outbox_seq, gap-free because the counter row
-- is updated in the transaction that appends the row). The relay sends each
-- destination's rows in that order and never more than a window ahead of the
-- oldest unacknowledged one.
-- Consumer side: link_in holds, per authenticated sender and bound socket,
-- the last number applied; the next one is applied, an older one is a
-- duplicate, a later one waits for the gap to fill (it is not answered, so
-- the producer sends it again). The inbox is keyed by the sender's key and
-- the message id, so one sender can neither poison nor acknowledge another's
-- ids.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['intake', 'router', 'tracker', 'delivery', 'evaluation'] LOOP
    EXECUTE format('ALTER TABLE %I.outbox ADD COLUMN dest_seq bigint', r);
    -- When the row last went out: a reconnect resends only what went out
    -- on a connection that has broken since.
    EXECUTE format('ALTER TABLE %I.outbox ADD COLUMN sent_at timestamptz', r);
    EXECUTE format('CREATE INDEX outbox_dest_pending ON %I.outbox (dest, dest_seq) INCLUDE (next_at) WHERE acked_at IS NULL', r);
    -- Rows from before numbering, found without a scan (empty once sent).
    EXECUTE format('CREATE INDEX outbox_unnumbered ON %I.outbox (dest) WHERE acked_at IS NULL AND dest_seq IS NULL', r);
    EXECUTE format($t$
      CREATE TABLE %I.outbox_seq (
        dest text PRIMARY KEY,
        last bigint NOT NULL CHECK (last >= 0)
      )$t$, r);
    EXECUTE format($t$
      CREATE TABLE %I.link_in (
        sender   text PRIMARY KEY,           -- key name @ bound socket
        last_seq bigint NOT NULL CHECK (last_seq >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )$t$, r);
    EXECUTE format('ALTER TABLE %I.inbox ADD COLUMN sender text NOT NULL DEFAULT %L', r, '');
    EXECUTE format('ALTER TABLE %I.inbox DROP CONSTRAINT inbox_pkey', r);
    EXECUTE format('ALTER TABLE %I.inbox ADD PRIMARY KEY (sender, id)', r);
  END LOOP;
END
$$;

-- The tracker keeps the time of the state it holds, so an older report can
-- never overwrite a newer one (intake does the same with updated_us).
ALTER TABLE tracker.deadlines ADD COLUMN state_us bigint NOT NULL DEFAULT 0;
