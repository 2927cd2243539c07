REVOKE UPDATE (url, description, kinds, version, secret, previous_secret, previous_secret_until) ON webhook_endpoints FROM kijun_app;
ALTER TABLE webhook_endpoints
  DROP CONSTRAINT webhook_endpoints_previous_secret,
  DROP COLUMN previous_secret_until,
  DROP COLUMN previous_secret,
  DROP COLUMN version;
REVOKE DELETE ON api_operator_imports FROM kijun_app;
DROP POLICY api_operator_imports_purge_only ON api_operator_imports;
DROP POLICY api_operator_imports_purge ON api_operator_imports;
