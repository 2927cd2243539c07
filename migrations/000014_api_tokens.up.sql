-- The public API (docs/api.md).
--
-- A service account is a user that never signs in: it holds exactly one
-- grant, given by the admin who issued its API token, so that a token's
-- request builds its principal from that grant like a person's request
-- and the one policy and row-level security decide it.
ALTER TABLE users ADD COLUMN service boolean NOT NULL DEFAULT false;
-- An admin creates the service account of a token it issues: a user row
-- that only this function makes (users are otherwise inserted by sign-in,
-- as the system). Its grant and token follow in the same transaction,
-- under row-level security.
CREATE FUNCTION kijun_create_service_account(p_name text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_id bigint;
BEGIN
  IF kijun_user_id() IS NULL THEN
    RAISE EXCEPTION 'a service account is created by a signed-in admin' USING ERRCODE = '42501';
  END IF;
  INSERT INTO users (display_name, service) VALUES (p_name, true) RETURNING id INTO v_id;
  RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION kijun_create_service_account FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_create_service_account TO kijun_app;

-- Notices are for people: a service account is never a recipient
-- (kijun_scope_grants as the reminders migration left it, without
-- service accounts).
CREATE OR REPLACE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT x.user_id, x.role, x.ministry_code, x.operator_id, x.sector_code FROM (
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.role LIKE 'nco_%' AND g.revoked_at IS NULL
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.ministry_code IS NOT NULL AND g.revoked_at IS NULL AND (g.ministry_code = p_ministry
       OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.operator_id = p_operator AND g.revoked_at IS NULL) x
  WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id AND u.service)
  ORDER BY x.user_id, x.id
$$;

-- An API token: a name, the service account and its grant (role and scope
-- copied so that RLS needs no join), an expiry, the last use and a
-- revocation. Only the SHA-256 of the token is stored. rate_window and
-- rate_count are the token's fixed-window request count (per minute),
-- updated with last_used_at by the statement that authenticates.
CREATE TABLE api_tokens (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL UNIQUE REFERENCES users(id),
  grant_id      bigint NOT NULL REFERENCES role_grants(id),
  name          text NOT NULL CHECK (name <> '' AND length(name) <= 100),
  hash          bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  role          text NOT NULL CHECK (role IN ('nco_admin', 'nco_analyst', 'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff')),
  ministry_code text REFERENCES ministries(code),
  operator_id   bigint REFERENCES operators(id),
  sector_code   text REFERENCES sectors(code),
  created_by    bigint NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  revoked_by    bigint REFERENCES users(id),
  revoked_at    timestamptz,
  rate_window   timestamptz,
  rate_count    integer NOT NULL DEFAULT 0,
  CHECK (expires_at > created_at),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  CHECK (CASE
    WHEN role LIKE 'nco_%'      THEN ministry_code IS NULL AND operator_id IS NULL
    WHEN role LIKE 'ministry_%' THEN ministry_code IS NOT NULL AND operator_id IS NULL
    ELSE operator_id IS NOT NULL AND ministry_code IS NULL AND sector_code IS NOT NULL
  END)
);
CREATE INDEX api_tokens_ministry ON api_tokens(ministry_code) WHERE ministry_code IS NOT NULL;
CREATE INDEX api_tokens_operator ON api_tokens(operator_id) WHERE operator_id IS NOT NULL;

-- A token is seen and written by its own tenant only: the NCO its NCO
-- tokens, a ministry its ministry's, an operator its own (the policy
-- narrows this to admins); authentication runs as the system.
CREATE FUNCTION kijun_token_tenant(role text, ministry text, operator bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT (role LIKE 'nco_%' AND kijun_nco())
      OR (ministry IS NOT NULL AND ministry = ANY (kijun_ministries()))
      OR (operator IS NOT NULL AND operator = ANY (kijun_operators()))
$$;
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_read ON api_tokens FOR SELECT
  USING (kijun_system() OR kijun_token_tenant(role, ministry_code, operator_id));
CREATE POLICY api_tokens_insert ON api_tokens FOR INSERT
  WITH CHECK (created_by = kijun_user_id() AND kijun_token_tenant(role, ministry_code, operator_id));
CREATE POLICY api_tokens_update ON api_tokens FOR UPDATE
  USING (kijun_system() OR kijun_token_tenant(role, ministry_code, operator_id));
GRANT SELECT, INSERT ON api_tokens TO kijun_app;
GRANT UPDATE (last_used_at, revoked_by, revoked_at, rate_window, rate_count) ON api_tokens TO kijun_app;

-- Idempotency-Key on POST: the first request with a key reserves it
-- (status 0), its response is kept, and a retry with the same key gets the
-- kept response. Keyed by the token's service account; seen only by it.
CREATE TABLE api_idempotency (
  user_id      bigint NOT NULL REFERENCES users(id),
  key          text NOT NULL CHECK (key <> '' AND length(key) <= 255),
  request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
  status       integer NOT NULL DEFAULT 0,
  content_type text NOT NULL DEFAULT '',
  location     text NOT NULL DEFAULT '',
  etag         text NOT NULL DEFAULT '',
  body         bytea NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
ALTER TABLE api_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_idempotency_own ON api_idempotency FOR ALL
  USING (user_id = kijun_user_id()) WITH CHECK (user_id = kijun_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON api_idempotency TO kijun_app;
