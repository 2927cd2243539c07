-- Outgoing webhooks (docs/webhooks.md) and the purge of
-- the API's kept idempotent responses.

-- An endpoint an admin registered for its own tenant: the NCO (nco), a
-- ministry (ministry_code) or an operator (operator_id with its
-- sector_code). The signing secret is kept encrypted (AES-256-GCM with
-- WEBHOOK_SECRET_KEY; nonce and ciphertext): signing needs the secret
-- itself, so a hash would not do. An endpoint that keeps failing is
-- disabled (disabled_at, disabled_reason); deleted_at hides it but keeps
-- its delivery log.
CREATE TABLE webhook_endpoints (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  nco                  boolean NOT NULL DEFAULT false,
  ministry_code        text REFERENCES ministries(code),
  operator_id          bigint REFERENCES operators(id),
  sector_code          text REFERENCES sectors(code),
  url                  text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
  description          text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  kinds                text[] NOT NULL CHECK (cardinality(kinds) > 0),
  secret               bytea NOT NULL CHECK (length(secret) > 12),
  created_by           bigint NOT NULL REFERENCES users(id),
  created_at           timestamptz NOT NULL,
  consecutive_failures integer NOT NULL DEFAULT 0,
  failing_since        timestamptz,
  disabled_at          timestamptz,
  disabled_reason      text,
  deleted_at           timestamptz,
  CHECK (CASE
    WHEN nco                       THEN ministry_code IS NULL AND operator_id IS NULL AND sector_code IS NULL
    WHEN ministry_code IS NOT NULL THEN operator_id IS NULL AND sector_code IS NULL
    ELSE operator_id IS NOT NULL AND sector_code IS NOT NULL
  END)
);
CREATE INDEX webhook_endpoints_active ON webhook_endpoints USING gin (kinds)
  WHERE disabled_at IS NULL AND deleted_at IS NULL;

-- An endpoint (and its deliveries) is its tenant's alone: the NCO's seen
-- by the NCO, a ministry's by that ministry, an operator's by that
-- operator (the policy narrows this to admins); delivery runs as the system.
CREATE FUNCTION kijun_webhook_tenant(nco boolean, ministry text, operator bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT (nco AND kijun_nco())
      OR (ministry IS NOT NULL AND ministry = ANY (kijun_ministries()))
      OR (operator IS NOT NULL AND operator = ANY (kijun_operators()))
$$;
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_read ON webhook_endpoints FOR SELECT
  USING (kijun_system() OR kijun_webhook_tenant(nco, ministry_code, operator_id));
CREATE POLICY webhook_endpoints_insert ON webhook_endpoints FOR INSERT
  WITH CHECK (created_by = kijun_user_id() AND kijun_webhook_tenant(nco, ministry_code, operator_id));
CREATE POLICY webhook_endpoints_update ON webhook_endpoints FOR UPDATE
  USING (kijun_system() OR kijun_webhook_tenant(nco, ministry_code, operator_id));
GRANT SELECT, INSERT ON webhook_endpoints TO kijun_app;
GRANT UPDATE (consecutive_failures, failing_since, disabled_at, disabled_reason, deleted_at) ON webhook_endpoints TO kijun_app;

-- The event kinds some active endpoint subscribes to: whoever notifies
-- asks it (it cannot read other tenants' endpoints) so that an event no
-- endpoint wants is not written at all. It says nothing of who subscribes.
CREATE FUNCTION kijun_webhook_kinds() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT k), '{}') FROM webhook_endpoints, unnest(kinds) k
  WHERE disabled_at IS NULL AND deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION kijun_webhook_kinds FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_webhook_kinds TO kijun_app;

-- An event as notifications tell it (kind, scope, params, link), written
-- in the transaction of the change for the webhook fan-out job. It is read
-- again under the receiving tenant's row-level security to build the
-- payload: a tenant reads the events of its own scope only.
CREATE SEQUENCE webhook_events_id_seq;
CREATE TABLE webhook_events (
  id            bigint PRIMARY KEY DEFAULT nextval('webhook_events_id_seq'),
  kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*\.[a-z_]+$'),
  ministry_code text REFERENCES ministries(code),
  sector_code   text REFERENCES sectors(code),
  operator_id   bigint REFERENCES operators(id),
  to_reviewers  boolean NOT NULL DEFAULT false,
  params        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  link          text NOT NULL CHECK (link ~ '^/[^/]' AND length(link) <= 500),
  created_at    timestamptz NOT NULL,
  CHECK (ministry_code IS NOT NULL OR sector_code IS NOT NULL OR operator_id IS NOT NULL)
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);
ALTER SEQUENCE webhook_events_id_seq OWNED BY webhook_events.id;
CREATE FUNCTION kijun_event_visible(ministry text, sector text, operator bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT kijun_row_visible(sector, operator) OR (ministry IS NOT NULL AND ministry = ANY (kijun_ministries()))
$$;
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_events_read ON webhook_events FOR SELECT
  USING (kijun_system() OR kijun_event_visible(ministry_code, sector_code, operator_id));
-- Whoever makes a change writes its event, in a scope it sees.
CREATE POLICY webhook_events_insert ON webhook_events FOR INSERT
  WITH CHECK (kijun_system() OR kijun_user_id() IS NOT NULL AND kijun_event_visible(ministry_code, sector_code, operator_id));
-- The purge job deletes old events as the system.
CREATE POLICY webhook_events_purge ON webhook_events FOR DELETE USING (kijun_system());
GRANT SELECT, INSERT, DELETE ON webhook_events TO kijun_app;
GRANT USAGE ON SEQUENCE webhook_events_id_seq TO kijun_app;

-- One event sent to one endpoint: its state, attempts and the last
-- response (the delivery log). The endpoint's tenant is copied for RLS.
-- Only the system (the jobs) writes it.
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id      bigint NOT NULL REFERENCES webhook_endpoints(id),
  event_id         bigint NOT NULL REFERENCES webhook_events(id),
  nco              boolean NOT NULL,
  ministry_code    text,
  operator_id      bigint,
  kind             text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error       text NOT NULL DEFAULT '' CHECK (length(last_error) <= 500),
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id DESC);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_read ON webhook_deliveries FOR SELECT
  USING (kijun_system() OR kijun_webhook_tenant(nco, ministry_code, operator_id));
CREATE POLICY webhook_deliveries_write ON webhook_deliveries FOR ALL
  USING (kijun_system()) WITH CHECK (kijun_system());
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO kijun_app;

-- The purge job (jobs.PurgeAPI) deletes kept idempotent responses once
-- they are old, as the system.
CREATE POLICY api_idempotency_purge ON api_idempotency FOR ALL USING (kijun_system()) WITH CHECK (false);

-- A notice that an endpoint was disabled (notify.WebhookDisabled) goes to
-- the admin who registered it, like a grant notice: without a scope, and
-- written only by the system (the delivery job).
DROP POLICY notifications_insert ON notifications;
CREATE POLICY notifications_insert ON notifications FOR INSERT
  WITH CHECK ((kijun_user_id() IS NOT NULL OR kijun_system()) AND (
    CASE WHEN ministry_code IS NULL AND sector_code IS NULL AND operator_id IS NULL
      THEN kind LIKE 'grant.%' OR (kind = 'webhook.disabled' AND kijun_system())
      ELSE EXISTS (SELECT 1 FROM kijun_scope_grants(ministry_code, sector_code, operator_id) s
                   WHERE s.user_id = notifications.user_id)
    END));

-- The notice is mandatory (notify.Mandatory): it cannot be turned off.
ALTER TABLE notification_prefs DROP CONSTRAINT notification_prefs_mandatory;
ALTER TABLE notification_prefs ADD CONSTRAINT notification_prefs_mandatory
  CHECK (NOT (kind IN ('grant.given', 'grant.revoked', 'webhook.disabled') AND delivery = 'off'));
