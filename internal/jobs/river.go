package jobs

// RiverMigrations are the migrations (in migrations/) that hold river's
// schema: river's versions up to RiverSplit, then the rest.
// river_migration_test.go generates them from river's own SQL.
var RiverMigrations = []string{"000008_river", "000009_river_more"}

// RiverSplit is the last river version in the first file.
const RiverSplit = 4

// RiverGrants is appended to the generated migration: what the server's
// role needs for river (insert, fetch, complete, retry, clean up jobs;
// leader election; queue records) and nothing more. River's tables hold
// job arguments, which are ids and periods, never tenant data, so they
// have no row-level security. The reindexer is off (Config.
// ReindexerSchedule): reindexing needs the owner, and is maintenance.
const RiverGrants = `
-- Kijun: what the server's role (kijun_app) needs, and nothing more.
GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue TO kijun_app;
GRANT USAGE ON SEQUENCE river_job_id_seq TO kijun_app;
GRANT SELECT ON river_migration TO kijun_app;
`
