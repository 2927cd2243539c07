-- The benchmark of an operator's scorecard (kijun_sector_benchmark) takes
-- the quartiles of one sector's scores per overall, section and theme. With
-- the score in the index it reads them in (kind, key, score) order from the
-- index alone, without visiting the rollups' rows; every other reader of
-- the old index (cycle_id, sector_code, kind, key) searches this one by
-- the same prefix.
CREATE INDEX assessment_rollups_sector_scores
  ON assessment_rollups (cycle_id, sector_code, kind, key, score) INCLUDE (assessment_id);
DROP INDEX assessment_rollups_dashboard;
