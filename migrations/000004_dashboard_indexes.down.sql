CREATE INDEX assessment_rollups_dashboard ON assessment_rollups(cycle_id, sector_code, kind, key);
DROP INDEX assessment_rollups_sector_scores;
