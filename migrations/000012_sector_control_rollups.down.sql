DROP TRIGGER assessments_scr_update ON assessments;
DROP TABLE sector_control_rollups;
DROP FUNCTION kijun_rebuild_sector_control_rollups(bigint);
DROP FUNCTION kijun_sector_control_rollups_status();
