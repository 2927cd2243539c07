-- Scheduled work that runs exactly once per period across every instance of
-- the portal (internal/jobs), and the audit anchors its nightly job records.

-- job_runs holds one row per job and period, inserted in the same
-- transaction as the job's work: the primary key is the "once", and a
-- transaction that fails or whose instance dies leaves no row, so another
-- instance runs the period again.
CREATE TABLE job_runs (
  job         text NOT NULL CHECK (job ~ '^[a-z][a-z0-9-]*$'),
  period      timestamptz NOT NULL,          -- start of the period this run covers
  instance    text NOT NULL,                 -- host name and pid of the runner
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  detail      jsonb,
  PRIMARY KEY (job, period)
);

-- audit_anchors records, per run of the audit-anchor job, the result of
-- verifying the audit log and every chain's head (length and hash) at that
-- moment. A later rewrite of a chain's tail that keeps the chain internally
-- consistent still disagrees with an anchor taken before it.
CREATE TABLE audit_anchors (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  period   timestamptz NOT NULL,
  intact   boolean NOT NULL,
  chains   integer NOT NULL,
  events   bigint NOT NULL,
  heads    jsonb NOT NULL,   -- [{"chain":…,"events":…,"hash":"hex"}]
  breaks   jsonb NOT NULL    -- [{"chain":…,"seq":…,"reason":…}]
);
CREATE INDEX audit_anchors_at ON audit_anchors(at DESC);

-- Neither table holds tenant data; the server's role writes them from
-- background work only (no route reads or writes them).
GRANT SELECT, INSERT, UPDATE ON job_runs TO kijun_app;
GRANT SELECT, INSERT ON audit_anchors TO kijun_app;

-- The audit-anchor job verifies the whole log from the server's role, in a
-- system transaction (kijun.system): it needs every event and every chain
-- head. Requests never run as the system except for sign-in, which reads
-- no audit events.
CREATE POLICY audit_events_system_read ON audit_events FOR SELECT USING (kijun_system());
GRANT SELECT ON audit_chain_heads TO kijun_app;
