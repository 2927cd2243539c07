-- Tenancy: operators (the tenants), users, identities, role grants,
-- sessions and the hash-chained audit log, with row-level security.
--
-- The request's principal is set per transaction by the server with
-- set_config(..., true) (see internal/postgres/tx.go):
--   kijun.user_id    the signed-in user's id ('' when anonymous)
--   kijun.nco        'true' when the user holds an NCO role
--   kijun.ministries ministry codes the user holds a role in, '{METI}'
--   kijun.sectors    sector codes those ministries oversee, '{electricity,gas}'
--   kijun.operators  operator ids the user holds a role in, '{12}'
--   kijun.system     'true' for sign-in and background work, which act
--                    before or outside any user's tenant
-- The policies below only compare a row's keys with these arrays, so they
-- stay cheap; later tables copy the recipe in docs/security.md.

CREATE FUNCTION kijun_setting_array(name text) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting(name, true), ''), '{}')::text[]
$$;

CREATE FUNCTION kijun_nco() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('kijun.nco', true), '') = 'true'
$$;
CREATE FUNCTION kijun_system() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('kijun.system', true), '') = 'true'
$$;
CREATE FUNCTION kijun_user_id() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('kijun.user_id', true), '')::bigint
$$;
CREATE FUNCTION kijun_ministries() RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT kijun_setting_array('kijun.ministries')
$$;
CREATE FUNCTION kijun_sectors() RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT kijun_setting_array('kijun.sectors')
$$;
CREATE FUNCTION kijun_operators() RETURNS bigint[] LANGUAGE sql STABLE AS $$
  SELECT kijun_setting_array('kijun.operators')::bigint[]
$$;

-- kijun_row_visible is the one tenancy rule: NCO sees all; a ministry sees
-- rows of the sectors it oversees; an operator sees its own rows.
CREATE FUNCTION kijun_row_visible(sector text, operator bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT kijun_nco()
      OR (sector IS NOT NULL AND sector = ANY (kijun_sectors()))
      OR (operator IS NOT NULL AND operator = ANY (kijun_operators()))
$$;

-- Operators (重要インフラ事業者等). Never deleted: status goes to withdrawn.
CREATE TABLE operators (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  corporate_number char(13) NOT NULL UNIQUE CHECK (corporate_number ~ '^[0-9]{13}$'),
  local_gov_code   char(6) CHECK (local_gov_code ~ '^[0-9]{6}$'),
  name_ja          text NOT NULL CHECK (name_ja <> ''),
  name_en          text NOT NULL DEFAULT '',
  sector_code      text NOT NULL REFERENCES sectors(code),
  designation      text NOT NULL CHECK (designation IN ('ci', 'core', 'both')),
  designated_since date,
  designated_by    text REFERENCES ministries(code),
  reason           text NOT NULL DEFAULT '',
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
  version          int NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operators_sector ON operators(sector_code);
CREATE INDEX operators_name_ja ON operators(name_ja);

-- A business scope of the operator's own sector (the composite key makes
-- a scope of another sector impossible).
ALTER TABLE business_scopes ADD UNIQUE (id, sector_code);
CREATE TABLE operator_scopes (
  operator_id bigint NOT NULL REFERENCES operators(id),
  scope_id    bigint NOT NULL,
  sector_code text NOT NULL, -- denormalised for RLS
  PRIMARY KEY (operator_id, scope_id),
  FOREIGN KEY (scope_id, sector_code) REFERENCES business_scopes(id, sector_code)
);

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  display_name  text NOT NULL DEFAULT '',
  email         text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE INDEX users_email ON users(lower(email));

-- One row per (provider issuer, subject): a user may sign in through
-- several providers.
CREATE TABLE identities (
  issuer     text NOT NULL,
  subject    text NOT NULL,
  user_id    bigint NOT NULL REFERENCES users(id),
  provider   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities(user_id);

-- A role held by a user in a scope. source says where it came from: the
-- portal's directory (granted by an admin), a provider claim mapping, or a
-- provider that asserts corporate numbers. Revoked grants are kept.
CREATE TABLE role_grants (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id),
  role          text NOT NULL CHECK (role IN ('nco_admin', 'nco_analyst', 'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff')),
  ministry_code text REFERENCES ministries(code),
  operator_id   bigint REFERENCES operators(id),
  -- The sector of the operator, or NULL: copied so RLS needs no join.
  sector_code   text REFERENCES sectors(code),
  source        text NOT NULL CHECK (source IN ('directory', 'claim', 'corporate_number')),
  provider      text NOT NULL DEFAULT '',
  granted_by    bigint REFERENCES users(id),
  granted_at    timestamptz NOT NULL DEFAULT now(),
  revoked_by    bigint REFERENCES users(id),
  revoked_at    timestamptz,
  CHECK (CASE
    WHEN role LIKE 'nco_%'      THEN ministry_code IS NULL AND operator_id IS NULL
    WHEN role LIKE 'ministry_%' THEN ministry_code IS NOT NULL AND operator_id IS NULL
    ELSE operator_id IS NOT NULL AND ministry_code IS NULL AND sector_code IS NOT NULL
  END)
);
CREATE UNIQUE INDEX role_grants_active ON role_grants (user_id, role, coalesce(ministry_code, ''), coalesce(operator_id, 0))
  WHERE revoked_at IS NULL;
CREATE INDEX role_grants_ministry ON role_grants(ministry_code) WHERE ministry_code IS NOT NULL;
CREATE INDEX role_grants_operator ON role_grants(operator_id) WHERE operator_id IS NOT NULL;

-- Server-side sessions (alexedwards/scs pgxstore's table).
CREATE TABLE sessions (
  token  text PRIMARY KEY,
  data   bytea NOT NULL,
  expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

-- The audit log: append-only and hash-chained per tenant, so that writers
-- in different tenants never wait for each other. Each event's hash covers
-- its content and the previous event's hash in the same chain.
CREATE TABLE audit_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain         text NOT NULL,            -- 'nco', 'ministry:METI', 'operator:12', 'system'
  seq           bigint NOT NULL,          -- 1, 2, … within the chain
  at            timestamptz NOT NULL,
  actor_user_id bigint,
  actor_label   text NOT NULL DEFAULT '', -- display name at the time
  action        text NOT NULL,
  object_type   text NOT NULL DEFAULT '',
  object_id     text NOT NULL DEFAULT '',
  ministry_code text,
  sector_code   text,
  operator_id   bigint,
  before        jsonb,
  after         jsonb,
  request_id    text NOT NULL DEFAULT '',
  prev_hash     bytea NOT NULL,
  hash          bytea NOT NULL,
  UNIQUE (chain, seq)
);
CREATE INDEX audit_events_at ON audit_events(at DESC);
CREATE INDEX audit_events_sector ON audit_events(sector_code, at DESC);
CREATE INDEX audit_events_operator ON audit_events(operator_id, at DESC);

CREATE TABLE audit_chain_heads (
  chain    text PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_hash bytea NOT NULL
);

-- kijun_audit_hash is the one definition of an event's hash, used by the
-- append function and by `kijun audit verify`. Times enter as epoch
-- microseconds so the session time zone cannot change the text.
CREATE FUNCTION kijun_audit_hash(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(convert_to(concat_ws(chr(31),
    encode(e.prev_hash, 'hex'), e.chain, e.seq::text,
    (extract(epoch FROM e.at) * 1000000)::bigint::text,
    coalesce(e.actor_user_id::text, ''), e.actor_label, e.action, e.object_type, e.object_id,
    coalesce(e.ministry_code, ''), coalesce(e.sector_code, ''), coalesce(e.operator_id::text, ''),
    coalesce(e.before::text, ''), coalesce(e.after::text, ''), e.request_id), 'UTF8'))
$$;

-- kijun_audit_append is the only way to write an event. It runs as the
-- owner (SECURITY DEFINER) so the server's role needs no write access to
-- the log or its chain heads; the row lock on the chain head orders the
-- events of one tenant and lets other tenants proceed.
CREATE FUNCTION kijun_audit_append(
  p_actor_user_id bigint, p_actor_label text, p_action text, p_object_type text, p_object_id text,
  p_ministry_code text, p_sector_code text, p_operator_id bigint,
  p_before jsonb, p_after jsonb, p_request_id text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_chain text := CASE
    WHEN p_operator_id IS NOT NULL THEN 'operator:' || p_operator_id
    WHEN p_ministry_code IS NOT NULL THEN 'ministry:' || p_ministry_code
    WHEN p_actor_user_id IS NOT NULL THEN 'nco'
    ELSE 'system' END;
  v_head audit_chain_heads;
  v_e audit_events;
BEGIN
  INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (v_chain, 0, '\x')
    ON CONFLICT (chain) DO NOTHING;
  SELECT * INTO v_head FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  v_e.chain := v_chain;
  v_e.seq := v_head.last_seq + 1;
  v_e.at := clock_timestamp();
  v_e.actor_user_id := p_actor_user_id;
  v_e.actor_label := coalesce(p_actor_label, '');
  v_e.action := p_action;
  v_e.object_type := coalesce(p_object_type, '');
  v_e.object_id := coalesce(p_object_id, '');
  v_e.ministry_code := p_ministry_code;
  v_e.sector_code := p_sector_code;
  v_e.operator_id := p_operator_id;
  v_e.before := p_before;
  v_e.after := p_after;
  v_e.request_id := coalesce(p_request_id, '');
  v_e.prev_hash := v_head.last_hash;
  v_e.hash := kijun_audit_hash(v_e);
  INSERT INTO audit_events (chain, seq, at, actor_user_id, actor_label, action, object_type, object_id,
      ministry_code, sector_code, operator_id, before, after, request_id, prev_hash, hash)
    VALUES (v_e.chain, v_e.seq, v_e.at, v_e.actor_user_id, v_e.actor_label, v_e.action, v_e.object_type, v_e.object_id,
      v_e.ministry_code, v_e.sector_code, v_e.operator_id, v_e.before, v_e.after, v_e.request_id, v_e.prev_hash, v_e.hash)
    RETURNING id INTO v_e.id;
  UPDATE audit_chain_heads SET last_seq = v_e.seq, last_hash = v_e.hash WHERE chain = v_chain;
  RETURN v_e.id;
END
$$;
REVOKE ALL ON FUNCTION kijun_audit_append FROM PUBLIC;

-- Row-level security. FORCE makes it apply to the owner too, except where
-- the owner's own maintenance (seeds, verify) needs everything: the owner
-- then sets kijun.system.
ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators_read ON operators FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, id));
-- Ministries write operators of their sectors; NCO any. Operators do not
-- write this table (they propose corrections, which a ministry accepts).
CREATE POLICY operators_write ON operators FOR INSERT
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));
CREATE POLICY operators_update ON operators FOR UPDATE
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()))
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));

ALTER TABLE operator_scopes ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scopes_read ON operator_scopes FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY operator_scopes_write ON operator_scopes FOR ALL
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()))
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));

-- A grant is visible to its holder, to NCO, to the ministry it is in (and
-- for operator grants, the ministry overseeing the operator's sector), and
-- to the operator it is in.
ALTER TABLE role_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_grants_read ON role_grants FOR SELECT
  USING (kijun_system() OR user_id = kijun_user_id()
      OR kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY role_grants_insert ON role_grants FOR INSERT
  WITH CHECK (kijun_system() OR kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY role_grants_update ON role_grants FOR UPDATE
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));

-- Users are visible to themselves, NCO, sign-in, and whoever sees one of
-- their grants.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_read ON users FOR SELECT
  USING (kijun_system() OR kijun_nco() OR id = kijun_user_id()
      OR EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = users.id));
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (kijun_system());
CREATE POLICY users_update ON users FOR UPDATE
  USING (kijun_system() OR id = kijun_user_id());

ALTER TABLE identities ENABLE ROW LEVEL SECURITY;
CREATE POLICY identities_rw ON identities FOR ALL
  USING (kijun_system() OR user_id = kijun_user_id() OR kijun_nco())
  WITH CHECK (kijun_system());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT
  USING (kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));

-- Admins grant roles to a person by e-mail address, before they can see
-- that user: this answers only "which user has exactly this address".
CREATE FUNCTION kijun_user_id_by_email(p_email text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM users WHERE lower(email) = lower(p_email) AND email <> '' ORDER BY id LIMIT 1
$$;
REVOKE ALL ON FUNCTION kijun_user_id_by_email FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_user_id_by_email TO kijun_app;

GRANT SELECT, INSERT, UPDATE ON operators, operator_scopes, users, identities, role_grants TO kijun_app;
GRANT DELETE ON operator_scopes TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO kijun_app;
GRANT SELECT ON audit_events TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_audit_append TO kijun_app;
