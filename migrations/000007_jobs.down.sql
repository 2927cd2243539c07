REVOKE SELECT ON audit_chain_heads FROM kijun_app;
DROP POLICY IF EXISTS audit_events_system_read ON audit_events;
DROP TABLE IF EXISTS audit_anchors;
DROP TABLE IF EXISTS job_runs;
