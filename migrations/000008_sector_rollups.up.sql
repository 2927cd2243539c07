-- Per-sector sums of assessment_rollups, so that the national and
-- ministry dashboards read ~15 × 30 rows per cycle instead of every
-- operator's rollups (254,000 rows per cycle at 20,000 operators).
-- docs/dashboards.md ("Queries and cost") explains the figures.
--
-- A row of sector_rollups is, exactly, the sum over the rollups of the
-- sector's assessments in the cycle that count now (status submitted or
-- accepted; a returned assessment keeps its rollups but does not count):
--   assessments = number of rollup rows, scored = rows with a score,
--   sum_score = Σ score, and Σ of each count column.
-- The dashboards' mean score is sum_score / scored (what avg(score) over
-- the rows computes, with the same numeric division).
--
-- It is kept by triggers in the transaction of every change of what
-- counts, whoever writes:
--   * assessment_rollups INSERT / DELETE / UPDATE (kijun_write_rollups at
--     submit and accept, the synthetic generator's COPY, a sector move
--     cascading sector_code): add or subtract the rows whose assessment
--     counts now;
--   * assessments status moving into or out of submitted/accepted (return
--     subtracts the assessment's rollups, resubmit adds them back before
--     kijun_write_rollups replaces them).
-- Each trigger sums its rows per (cycle, sector, kind, key) and applies
-- the sums with INSERT … ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x in
-- key order: two submits in one sector both count (the second waits for
-- the first's row locks and adds to its committed sums), and taking the
-- locks in the same order avoids deadlocks. Only submit, accept and
-- return touch these rows; saving an answer does not.
-- Rows are not deleted when they fall to zero: readers skip
-- assessments = 0.

CREATE TABLE sector_rollups (
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  sector_code     text NOT NULL REFERENCES sectors(code),
  kind            text NOT NULL CHECK (kind IN ('overall', 'section', 'theme', 'csf_function')),
  key             text NOT NULL,
  assessments     int NOT NULL DEFAULT 0, -- rollup rows that count (no CHECK >= 0: a
                                          -- subtraction is checked as a new row before ON CONFLICT)
  scored          int NOT NULL DEFAULT 0, -- of which with a score
  sum_score       numeric(14,4) NOT NULL DEFAULT 0,                -- Σ score
  controls        int NOT NULL DEFAULT 0,
  answered        int NOT NULL DEFAULT 0,
  applicable      int NOT NULL DEFAULT 0,
  implemented     int NOT NULL DEFAULT 0,
  partial         int NOT NULL DEFAULT 0,
  not_implemented int NOT NULL DEFAULT 0,
  na              int NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, sector_code, kind, key)
);

-- kijun_sector_rollups_upsert is the statement that adds the rows of
-- p_rows — a query over transition tables yielding assessment_rollups'
-- columns and a sign (+1 add, -1 subtract) — to sector_rollups. The
-- trigger functions EXECUTE it themselves (transition tables are visible
-- only there), once per statement: one plan per submit, not per row.
CREATE FUNCTION kijun_sector_rollups_upsert(p_rows text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    INSERT INTO sector_rollups AS s (cycle_id, sector_code, kind, key, assessments, scored, sum_score,
        controls, answered, applicable, implemented, partial, not_implemented, na)
    SELECT r.cycle_id, r.sector_code, r.kind, r.key,
      sum(r.sign), sum(r.sign * (r.score IS NOT NULL)::int), coalesce(sum(r.sign * r.score), 0),
      sum(r.sign * r.controls), sum(r.sign * r.answered), sum(r.sign * r.applicable), sum(r.sign * r.implemented),
      sum(r.sign * r.partial), sum(r.sign * r.not_implemented), sum(r.sign * r.na)
    FROM (%s) r
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (cycle_id, sector_code, kind, key) DO UPDATE SET
      assessments = s.assessments + EXCLUDED.assessments, scored = s.scored + EXCLUDED.scored,
      sum_score = s.sum_score + EXCLUDED.sum_score, controls = s.controls + EXCLUDED.controls,
      answered = s.answered + EXCLUDED.answered, applicable = s.applicable + EXCLUDED.applicable,
      implemented = s.implemented + EXCLUDED.implemented, partial = s.partial + EXCLUDED.partial,
      not_implemented = s.not_implemented + EXCLUDED.not_implemented, na = s.na + EXCLUDED.na
  $q$, p_rows)
$$;

-- Rows inserted into, deleted from or updated in assessment_rollups
-- (statement level, with transition tables; one trigger per event), for
-- assessments that count now.
CREATE FUNCTION kijun_sector_rollups_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_old text := 'SELECT o.*, -1 AS sign FROM kijun_old_rollups o JOIN assessments a ON a.id = o.assessment_id
    WHERE a.status IN (''submitted'', ''accepted'')';
  v_new text := 'SELECT n.*, 1 AS sign FROM kijun_new_rollups n JOIN assessments a ON a.id = n.assessment_id
    WHERE a.status IN (''submitted'', ''accepted'')';
BEGIN
  EXECUTE kijun_sector_rollups_upsert(CASE TG_OP WHEN 'INSERT' THEN v_new WHEN 'DELETE' THEN v_old
    ELSE v_old || ' UNION ALL ' || v_new END);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_rollups_rows FROM PUBLIC;
CREATE TRIGGER sector_rollups_insert AFTER INSERT ON assessment_rollups
  REFERENCING NEW TABLE AS kijun_new_rollups FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();
CREATE TRIGGER sector_rollups_delete AFTER DELETE ON assessment_rollups
  REFERENCING OLD TABLE AS kijun_old_rollups FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();
CREATE TRIGGER sector_rollups_update AFTER UPDATE ON assessment_rollups
  REFERENCING OLD TABLE AS kijun_old_rollups NEW TABLE AS kijun_new_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();

-- Assessments moving into (resubmit) or out of (return) the statuses
-- that count bring or take their rollups with them. Statement level
-- (transition tables cannot go with UPDATE OF status), so a bulk status
-- update is one aggregate; a statement that changes no status joins two
-- tiny transition tables and does nothing.
CREATE FUNCTION kijun_sector_rollups_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE (o.status IN ('submitted', 'accepted')) <> (n.status IN ('submitted', 'accepted'))) THEN
    RETURN NULL;
  END IF;
  EXECUTE kijun_sector_rollups_upsert('SELECT r.*, CASE WHEN n.status IN (''submitted'', ''accepted'') THEN 1 ELSE -1 END AS sign
    FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
    JOIN assessment_rollups r ON r.assessment_id = n.id
    WHERE (o.status IN (''submitted'', ''accepted'')) <> (n.status IN (''submitted'', ''accepted''))');
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_rollups_status FROM PUBLIC;
CREATE TRIGGER assessments_sector_rollups AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_status();

-- kijun_rebuild_sector_rollups recomputes a cycle's rows from
-- assessment_rollups (the backfill below; the synthetic generator after
-- its bulk load). Owner only.
CREATE FUNCTION kijun_rebuild_sector_rollups(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  -- Block writers of the cycle's figures until the caller commits.
  LOCK TABLE sector_rollups IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_rollups WHERE cycle_id = p_cycle;
  INSERT INTO sector_rollups (cycle_id, sector_code, kind, key, assessments, scored, sum_score,
      controls, answered, applicable, implemented, partial, not_implemented, na)
  SELECT r.cycle_id, r.sector_code, r.kind, r.key, count(*), count(r.score), coalesce(sum(r.score), 0),
    sum(r.controls), sum(r.answered), sum(r.applicable), sum(r.implemented), sum(r.partial),
    sum(r.not_implemented), sum(r.na)
  FROM assessment_rollups r JOIN assessments a ON a.id = r.assessment_id
  WHERE r.cycle_id = p_cycle AND a.status IN ('submitted', 'accepted')
  GROUP BY 1, 2, 3, 4;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_rollups FROM PUBLIC;

-- Backfill. The triggers above already exist, and this transaction holds
-- locks that keep submits out until it commits.
LOCK TABLE assessments, assessment_rollups IN SHARE ROW EXCLUSIVE MODE;
SELECT kijun_rebuild_sector_rollups(id) FROM cycles;

-- Read: the NCO every sector, a ministry the sectors it oversees.
-- Operators never read it (they see a sector only through
-- kijun_sector_benchmark). Nobody writes it but the triggers.
ALTER TABLE sector_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_rollups_read ON sector_rollups FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT ON sector_rollups TO kijun_app;

-- kijun_sector_benchmark is the anonymised benchmark of an operator's
-- scorecard: per overall, section and theme of a sector in a cycle, the
-- number of scores and, for groups of at least 5 (small-group
-- suppression; postgres.MinBenchmarkGroup), the continuous quartiles;
-- never a row. It reads every operator's rollups as the owner, so it is
-- the wall: it answers only for a sector the caller may benchmark against
-- (a sector of one of the caller's operators, a sector its ministry
-- oversees, the NCO any), and nothing otherwise.
CREATE FUNCTION kijun_sector_benchmark(p_cycle bigint, p_sector text)
RETURNS TABLE (kind text, key text, n int, quartiles float8[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT r.kind, r.key, count(r.score)::int,
    CASE WHEN count(r.score) >= 5 THEN percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY r.score) END
  FROM assessment_rollups r
  WHERE r.cycle_id = p_cycle AND r.sector_code = p_sector AND r.kind IN ('overall', 'section', 'theme')
    AND r.assessment_id NOT IN (SELECT x.id FROM assessments x WHERE x.cycle_id = p_cycle AND x.status = 'returned')
    AND (kijun_system() OR kijun_nco() OR p_sector = ANY (kijun_sectors())
      OR EXISTS (SELECT FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = p_sector))
  GROUP BY 1, 2
$$;
REVOKE ALL ON FUNCTION kijun_sector_benchmark FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_sector_benchmark TO kijun_app;
