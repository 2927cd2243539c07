-- Assessment counts per cycle, sector and status, so that the national
-- and ministry dashboards' submission progress reads ~15 × 5 rows per
-- cycle instead of counting the cycle's assessments (20,000 at national
-- scale, with RLS per row). docs/dashboards.md ("Queries and cost").
--
-- A row is, exactly, the number of assessments of the cycle and sector
-- with that status. Overdue is not stored: it is derived by the reader
-- (the cycle's due date has passed, Asia/Tokyo, and the status is not
-- started, in progress or returned), since it changes with the date, not
-- with a write.
--
-- One statement-level trigger per event on assessments keeps it in the
-- transaction of every change, whoever writes: INSERT (OpenCycle's one
-- INSERT … SELECT of a cycle's assessments, an operator designated
-- mid-cycle), UPDATE (status transitions, including the first save's
-- not_started → in_progress; a sector move cascading sector_code) and
-- DELETE. Each sums its transition tables per (cycle, sector, status) —
-- −1 per old row, +1 per new row — and drops the sums that cancel out,
-- so an update that changes none of the three columns (most updates of
-- assessments) locks and writes nothing. Opening a cycle of 20,000
-- assessments is one aggregate and ~75 upserts, not 20,000.
-- (Transition tables cannot go with UPDATE OF a column list, hence AFTER
-- UPDATE and the cancelling sums.)
--
-- Locks. Concurrent changes in one sector add to each other's committed
-- counts: the second waits for the first's row locks until it commits
-- (read committed). To keep that free of deadlocks:
--   * a statement that changes anything in a (cycle, sector) upserts all
--     five status rows of it (unchanged ones + 0), in key order, so every
--     change in a sector takes the same rows in the same order, however
--     many transitions a transaction makes there;
--   * the triggers are named assessments_counts_* so that they fire
--     before assessments_sector_rollups (000008; AFTER triggers fire in
--     name order): status counts, then sector_rollups, for every writer —
--     submit and accept write rollups only after the status update.
-- Only a change of cycle, sector or status takes these locks: the first
-- save of an assessment (not_started → in_progress) holds its sector's
-- five rows until its transaction commits; later saves take none.
-- Rows are not deleted when they fall to zero: readers skip n = 0.

CREATE TABLE sector_status_counts (
  cycle_id    bigint NOT NULL REFERENCES cycles(id),
  sector_code text NOT NULL REFERENCES sectors(code),
  status      text NOT NULL
              CHECK (status IN ('not_started', 'in_progress', 'submitted', 'returned', 'accepted')),
  n           int NOT NULL DEFAULT 0, -- no CHECK >= 0: a subtraction is checked as a
                                      -- new row before ON CONFLICT
  PRIMARY KEY (cycle_id, sector_code, status)
);

CREATE FUNCTION kijun_sector_status_counts_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- The three branches differ only in their source of signed rows
  -- (transition tables exist only for their own event).
  IF TG_OP = 'INSERT' THEN
    WITH d AS (
      SELECT cycle_id, sector_code, status, count(*)::int AS n FROM kijun_new_assessments GROUP BY 1, 2, 3
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  ELSIF TG_OP = 'DELETE' THEN
    WITH d AS (
      SELECT cycle_id, sector_code, status, -count(*)::int AS n FROM kijun_old_assessments GROUP BY 1, 2, 3
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  ELSE
    WITH d AS (
      SELECT x.cycle_id, x.sector_code, x.status, sum(x.d)::int AS n
      FROM (SELECT o.cycle_id, o.sector_code, o.status, -1 AS d FROM kijun_old_assessments o
        UNION ALL SELECT w.cycle_id, w.sector_code, w.status, 1 FROM kijun_new_assessments w) x
      GROUP BY 1, 2, 3 HAVING sum(x.d) <> 0
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_status_counts_rows FROM PUBLIC;
CREATE TRIGGER assessments_counts_insert AFTER INSERT ON assessments
  REFERENCING NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();
CREATE TRIGGER assessments_counts_update AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();
CREATE TRIGGER assessments_counts_delete AFTER DELETE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();

-- kijun_rebuild_sector_status_counts recomputes a cycle's rows from
-- assessments (the backfill below; the synthetic generator after its
-- bulk load). Owner only.
CREATE FUNCTION kijun_rebuild_sector_status_counts(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  -- Block writers of the cycle's counts until the caller commits.
  LOCK TABLE sector_status_counts IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_status_counts WHERE cycle_id = p_cycle;
  INSERT INTO sector_status_counts (cycle_id, sector_code, status, n)
  SELECT cycle_id, sector_code, status, count(*) FROM assessments
  WHERE cycle_id = p_cycle GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_status_counts FROM PUBLIC;

-- Backfill. The triggers above already exist, and this lock keeps status
-- changes out until the migration commits.
LOCK TABLE assessments IN SHARE ROW EXCLUSIVE MODE;
SELECT kijun_rebuild_sector_status_counts(id) FROM cycles;

-- Read: the NCO every sector, a ministry the sectors it oversees.
-- Operators never read it. Nobody writes it but the triggers.
ALTER TABLE sector_status_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_status_counts_read ON sector_status_counts FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT ON sector_status_counts TO kijun_app;
