-- The purge of expired register imports, and editing a webhook endpoint
-- and rotating its signing secret (docs/webhooks.md, docs/api.md).

-- The hourly purge-api job (postgres.PurgeAPI) deletes, as the system,
-- register imports uploaded through the API that expired unconfirmed: it
-- reads and deletes them (a DELETE's WHERE needs the rows visible), and
-- writes none (WITH CHECK false), like api_idempotency_purge. The
-- restrictive policy keeps the uploader's own policy (FOR ALL) from
-- letting a service account delete its imports: only the system deletes.
CREATE POLICY api_operator_imports_purge ON api_operator_imports FOR ALL USING (kijun_system()) WITH CHECK (false);
CREATE POLICY api_operator_imports_purge_only ON api_operator_imports AS RESTRICTIVE FOR DELETE USING (kijun_system());
GRANT DELETE ON api_operator_imports TO kijun_app;

-- An endpoint's settings (URL, description, kinds) are edited at a
-- version (the API's ETag and If-Match, the page's hidden field); rotating
-- its secret keeps the previous one (sealed like the secret) until
-- previous_secret_until, and deliveries are signed with both until then.
ALTER TABLE webhook_endpoints
  ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0),
  ADD COLUMN previous_secret bytea CHECK (length(previous_secret) > 12),
  ADD COLUMN previous_secret_until timestamptz,
  ADD CONSTRAINT webhook_endpoints_previous_secret CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL));
GRANT UPDATE (url, description, kinds, version, secret, previous_secret, previous_secret_until) ON webhook_endpoints TO kijun_app;
