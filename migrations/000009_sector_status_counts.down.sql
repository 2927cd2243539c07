-- 000009 replaced no earlier definition, so going down drops what it added.
DROP TRIGGER IF EXISTS assessments_counts_insert ON assessments;
DROP TRIGGER IF EXISTS assessments_counts_update ON assessments;
DROP TRIGGER IF EXISTS assessments_counts_delete ON assessments;
DROP FUNCTION IF EXISTS kijun_sector_status_counts_rows();
DROP FUNCTION IF EXISTS kijun_rebuild_sector_status_counts(bigint);
DROP TABLE IF EXISTS sector_status_counts;
