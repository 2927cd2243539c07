DROP TABLE controls, catalogs;
DROP FUNCTION kijun_catalogs_no_truncate, kijun_catalogs_guard, kijun_controls_guard, kijun_controls_codes;
-- Created by the up migration; nothing older uses it.
DROP EXTENSION IF EXISTS pg_trgm;
