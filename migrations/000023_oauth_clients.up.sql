-- OAuth 2.0 clients on the public API (docs/api.md,
-- "OAuth 2.0 client credentials").
--
-- An admin links a client of a configured identity provider (its issuer
-- and client id, as the provider's access tokens name them) to a service
-- account of its own tenant holding one grant, exactly as an API token
-- is: a request bearing an access token of a linked client acts as that
-- service account, decided by the one policy and row-level security. The
-- role and scope are copied from the grant so that RLS needs no join.
-- rate_window and rate_count are the link's fixed-window request count,
-- updated with last_used_at by the statement that authenticates.
CREATE TABLE api_oauth_clients (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL UNIQUE REFERENCES users(id),
  grant_id      bigint NOT NULL REFERENCES role_grants(id),
  issuer        text NOT NULL CHECK (issuer <> '' AND length(issuer) <= 2000),
  client_id     text NOT NULL CHECK (client_id <> '' AND length(client_id) <= 255),
  role          text NOT NULL CHECK (role IN ('nco_admin', 'nco_analyst', 'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff')),
  ministry_code text REFERENCES ministries(code),
  operator_id   bigint REFERENCES operators(id),
  sector_code   text REFERENCES sectors(code),
  created_by    bigint NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  revoked_by    bigint REFERENCES users(id),
  revoked_at    timestamptz,
  rate_window   timestamptz,
  rate_count    integer NOT NULL DEFAULT 0,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  CHECK (CASE
    WHEN role LIKE 'nco_%'      THEN ministry_code IS NULL AND operator_id IS NULL
    WHEN role LIKE 'ministry_%' THEN ministry_code IS NOT NULL AND operator_id IS NULL
    ELSE operator_id IS NOT NULL AND ministry_code IS NULL AND sector_code IS NOT NULL
  END)
);
-- One live link per client of a provider, across every tenant: a client
-- acts for one service account only. A revoked link stays for the record,
-- and the client may be linked again.
CREATE UNIQUE INDEX api_oauth_clients_live ON api_oauth_clients(issuer, client_id) WHERE revoked_at IS NULL;
CREATE INDEX api_oauth_clients_ministry ON api_oauth_clients(ministry_code) WHERE ministry_code IS NOT NULL;
CREATE INDEX api_oauth_clients_operator ON api_oauth_clients(operator_id) WHERE operator_id IS NOT NULL;

-- Seen and written by its own tenant only, like an API token
-- (kijun_token_tenant); authentication runs as the system.
ALTER TABLE api_oauth_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_oauth_clients_read ON api_oauth_clients FOR SELECT
  USING (kijun_system() OR kijun_token_tenant(role, ministry_code, operator_id));
CREATE POLICY api_oauth_clients_insert ON api_oauth_clients FOR INSERT
  WITH CHECK (created_by = kijun_user_id() AND kijun_token_tenant(role, ministry_code, operator_id));
CREATE POLICY api_oauth_clients_update ON api_oauth_clients FOR UPDATE
  USING (kijun_system() OR kijun_token_tenant(role, ministry_code, operator_id));
GRANT SELECT, INSERT ON api_oauth_clients TO kijun_app;
GRANT UPDATE (last_used_at, revoked_by, revoked_at, rate_window, rate_count) ON api_oauth_clients TO kijun_app;
