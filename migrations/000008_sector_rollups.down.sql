-- 000008 replaced no earlier definition (kijun_write_rollups and the state
-- machine are unchanged; sector_rollups is kept by triggers), so going
-- down drops what it added.
DROP FUNCTION IF EXISTS kijun_sector_benchmark(bigint, text);
DROP TRIGGER IF EXISTS assessments_sector_rollups ON assessments;
DROP TRIGGER IF EXISTS sector_rollups_insert ON assessment_rollups;
DROP TRIGGER IF EXISTS sector_rollups_delete ON assessment_rollups;
DROP TRIGGER IF EXISTS sector_rollups_update ON assessment_rollups;
DROP FUNCTION IF EXISTS kijun_sector_rollups_status();
DROP FUNCTION IF EXISTS kijun_sector_rollups_rows();
DROP FUNCTION IF EXISTS kijun_sector_rollups_upsert(text);
DROP FUNCTION IF EXISTS kijun_rebuild_sector_rollups(bigint);
DROP TABLE IF EXISTS sector_rollups;
