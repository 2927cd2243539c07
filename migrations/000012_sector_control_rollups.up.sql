-- Per-sector, per-control sums of the answers of assessments that count
-- (submitted or accepted), so that a ministry's "weakest controls" reads
-- ~100 rows of one sector instead of aggregating its answers (8,000
-- assessments × 100 answers in finance at national scale).
-- docs/dashboards.md ("Queries and cost").
--
-- A row is, exactly, over the answers of the sector's assessments in the
-- cycle that count now: answers = how many, implemented / partial /
-- not_implemented / na = how many with that status, sum_weight = Σ of the
-- answer scale's weight over the applicable ones. The mean score of a
-- control is sum_weight / (implemented + partial + not_implemented).
--
-- The answers of an assessment that counts cannot change (the lock trigger
-- of 000005), so the sums change only when an assessment moves into or
-- out of the statuses that count, or moves cycle or sector while counting
-- (a sector move cascades sector_code): one statement trigger on
-- assessments subtracts the old side and adds the new one, per (cycle,
-- sector, ref), in key order (same lock order for every writer, as
-- 000008). A statement that changes none of the three joins two tiny
-- transition tables and writes nothing; saving an answer never touches
-- these rows. Named assessments_scr_* to fire after assessments_counts_*
-- and before assessments_sector_rollups: the same lock order as 000009's
-- comment asks. Rows are not deleted when they fall to zero: readers skip
-- answers = 0.

CREATE TABLE sector_control_rollups (
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  sector_code     text NOT NULL REFERENCES sectors(code),
  ref             text NOT NULL,
  answers         int NOT NULL DEFAULT 0,
  implemented     int NOT NULL DEFAULT 0,
  partial         int NOT NULL DEFAULT 0,
  not_implemented int NOT NULL DEFAULT 0,
  na              int NOT NULL DEFAULT 0,
  sum_weight      numeric(14,2) NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, sector_code, ref)
);

CREATE FUNCTION kijun_sector_control_rollups_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- Most statements (every first save, every submit's version bump) move
  -- nothing: one look at the two transition tables.
  IF NOT EXISTS (SELECT FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE (o.status IN ('submitted', 'accepted') OR n.status IN ('submitted', 'accepted'))
        AND ((o.status IN ('submitted', 'accepted')) <> (n.status IN ('submitted', 'accepted'))
          OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code))) THEN
    RETURN NULL;
  END IF;
  -- The answers that move: the old side of an assessment that counted,
  -- the new side of one that counts, where counting, cycle or sector
  -- changed.
  WITH c AS (
    SELECT o.id, o.cycle_id, o.sector_code, -1 AS sign FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE o.status IN ('submitted', 'accepted')
        AND (n.status NOT IN ('submitted', 'accepted') OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code))
    UNION ALL
    SELECT n.id, n.cycle_id, n.sector_code, 1 FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE n.status IN ('submitted', 'accepted')
        AND (o.status NOT IN ('submitted', 'accepted') OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code)))
  INSERT INTO sector_control_rollups AS s (cycle_id, sector_code, ref, answers, implemented, partial,
      not_implemented, na, sum_weight)
  SELECT c.cycle_id, c.sector_code, x.ref, sum(c.sign),
    sum(c.sign * (x.status = 'implemented')::int), sum(c.sign * (x.status = 'partial')::int),
    sum(c.sign * (x.status = 'not_implemented')::int), sum(c.sign * (sc.weight IS NULL)::int),
    coalesce(sum(c.sign * sc.weight), 0)
  FROM c
  JOIN answers x ON x.assessment_id = c.id
  JOIN answer_scale sc ON sc.code = x.status
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (cycle_id, sector_code, ref) DO UPDATE SET
    answers = s.answers + EXCLUDED.answers, implemented = s.implemented + EXCLUDED.implemented,
    partial = s.partial + EXCLUDED.partial, not_implemented = s.not_implemented + EXCLUDED.not_implemented,
    na = s.na + EXCLUDED.na, sum_weight = s.sum_weight + EXCLUDED.sum_weight;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_control_rollups_status FROM PUBLIC;
CREATE TRIGGER assessments_scr_update AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_control_rollups_status();

-- kijun_rebuild_sector_control_rollups recomputes a cycle's rows from the
-- answers (the backfill below; the synthetic generator after its bulk
-- load). Owner only.
CREATE FUNCTION kijun_rebuild_sector_control_rollups(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  LOCK TABLE sector_control_rollups IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_control_rollups WHERE cycle_id = p_cycle;
  INSERT INTO sector_control_rollups (cycle_id, sector_code, ref, answers, implemented, partial,
      not_implemented, na, sum_weight)
  SELECT a.cycle_id, a.sector_code, x.ref, count(*),
    count(*) FILTER (WHERE x.status = 'implemented'), count(*) FILTER (WHERE x.status = 'partial'),
    count(*) FILTER (WHERE x.status = 'not_implemented'), count(*) FILTER (WHERE sc.weight IS NULL),
    coalesce(sum(sc.weight), 0)
  FROM assessments a JOIN answers x ON x.assessment_id = a.id JOIN answer_scale sc ON sc.code = x.status
  WHERE a.cycle_id = p_cycle AND a.status IN ('submitted', 'accepted')
  GROUP BY 1, 2, 3;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_control_rollups FROM PUBLIC;

-- Backfill, with status changes kept out until the migration commits.
LOCK TABLE assessments IN SHARE ROW EXCLUSIVE MODE;
SELECT kijun_rebuild_sector_control_rollups(id) FROM cycles;

-- Read: the NCO every sector, a ministry the sectors it oversees.
-- Operators never read it. Nobody writes it but the trigger.
ALTER TABLE sector_control_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_control_rollups_read ON sector_control_rollups FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT ON sector_control_rollups TO kijun_app;

-- The figure cache (000010) hears of real changes only.
CREATE TRIGGER sector_control_rollups_figures_changed AFTER INSERT OR UPDATE OR DELETE ON sector_control_rollups
  FOR EACH ROW EXECUTE FUNCTION kijun_figures_changed();
