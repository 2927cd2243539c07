-- Kijun's schema: the baseline every later migration adds to.
--
--   1. Reference data         ministries, sectors, scopes, sections, themes
--   2. Tenancy and audit      principal settings, operators, users, grants,
--                             sessions, the hash-chained audit log, jobs
--   3. Catalog                baseline control catalogs and their controls
--   4. Register               operators' systems, contacts, corrections
--   5. Assessments            cycles, control sets, assessments, answers,
--                             evidence, comments, history, rollups
--   6. Plans                  ministries' implementation plans, profiles,
--                             the NCO's evaluations
--   7. Dashboards' derived    per-sector sums kept by triggers in the
--      tables                 transaction of every change
--
-- The rules of the portal (state machines, scoring, validation, the shape
-- of audit events) are defined in Go. The database keeps what must hold
-- even if the application is wrong: constraints, foreign keys, row-level
-- security, the allowed transitions, the immutability of submitted and
-- published records and the append-only audit log. Tests derive the
-- database's checks from the Go definitions (internal/postgres,
-- rules_test.go), so the two cannot drift.
--
-- kijun_app is the role the server connects as. It owns nothing and is
-- granted exactly what it needs, next to each table. It is created here
-- (NOLOGIN) so that the grants work; the deployment gives it LOGIN and a
-- password.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kijun_app') THEN
    CREATE ROLE kijun_app NOLOGIN;
  END IF;
END
$$;

-- The server checks the schema version at start and in /readyz.
GRANT SELECT ON schema_migrations TO kijun_app;

-- Trigram indexes make substring search (ILIKE '%…%') indexable in any
-- language: PostgreSQL has no Japanese tokenizer, but trigrams of
-- 「バックアップ」 need none. Trigrams of non-ASCII letters need a UTF-8
-- LC_CTYPE (C.UTF-8, ja_JP.UTF-8, …); under plain C the search stays
-- correct but cannot use the index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;


-- ===========================================================================
-- 1. Reference data
-- ===========================================================================
-- The 重要インフラ統一基準's ministries, sectors, business scopes,
-- oversight, CEPTOAR bodies, example operators and systems, baseline
-- sections and themes. Public to every signed-in user; loaded by
-- `kijun seed`.

CREATE TABLE ministries (
  code         text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,15}$'),
  name_ja      text NOT NULL CHECK (name_ja <> ''),
  name_en      text NOT NULL CHECK (name_en <> ''),
  -- The coordinator (NCO) is kept with the ministries so that grants and
  -- audit events can name it the same way, but it oversees no sector.
  is_coordinator boolean NOT NULL DEFAULT false,
  sort_order   int NOT NULL DEFAULT 0
);

CREATE TABLE sectors (
  code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$'),
  name_ja    text NOT NULL CHECK (name_ja <> ''),
  name_en    text NOT NULL CHECK (name_en <> ''),
  sort_order int NOT NULL DEFAULT 0
);

CREATE TABLE sector_oversight (
  ministry_code text NOT NULL REFERENCES ministries(code),
  sector_code   text NOT NULL REFERENCES sectors(code),
  PRIMARY KEY (ministry_code, sector_code)
);
CREATE INDEX sector_oversight_sector ON sector_oversight(sector_code);

-- 事業の範囲. origin says on which side of the source's comparison table the
-- scope is named: ci (重要インフラ), core (基幹インフラ), both.
CREATE TABLE business_scopes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sector_code text NOT NULL REFERENCES sectors(code),
  name_ja     text NOT NULL CHECK (name_ja <> ''),
  name_en     text NOT NULL CHECK (name_en <> ''),
  origin      text NOT NULL CHECK (origin IN ('ci', 'core', 'both')),
  -- The wording of the 基幹インフラ side, where it is named there.
  core_name_ja text NOT NULL DEFAULT '',
  sort_order  int NOT NULL DEFAULT 0,
  UNIQUE (sector_code, name_ja),
  -- Lets operator_scopes name a scope together with its sector.
  UNIQUE (id, sector_code)
);

CREATE TABLE ceptoars (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sector_code   text NOT NULL REFERENCES sectors(code),
  scope_ja      text NOT NULL CHECK (scope_ja <> ''),
  name          text NOT NULL CHECK (name <> ''),
  secretariat   text NOT NULL,
  -- Counts are kept as the source words them ("47都道府県 1,741市区町村").
  members       text NOT NULL,
  shared_beyond text NOT NULL,
  as_of         date NOT NULL,
  sort_order    int NOT NULL DEFAULT 0,
  UNIQUE (sector_code, scope_ja)
);

CREATE TABLE sector_examples (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sector_code text NOT NULL REFERENCES sectors(code),
  kind        text NOT NULL CHECK (kind IN ('operator', 'system')),
  name_ja     text NOT NULL CHECK (name_ja <> ''),
  name_en     text NOT NULL CHECK (name_en <> ''),
  sort_order  int NOT NULL DEFAULT 0,
  UNIQUE (sector_code, kind, name_ja)
);

CREATE TABLE baseline_sections (
  code       text PRIMARY KEY CHECK (code ~ '^[A-Z]{2,8}$'),
  name_ja    text NOT NULL CHECK (name_ja <> ''),
  name_en    text NOT NULL CHECK (name_en <> ''),
  sort_order int NOT NULL DEFAULT 0
);

CREATE TABLE themes (
  code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$'),
  name_ja    text NOT NULL CHECK (name_ja <> ''),
  name_en    text NOT NULL CHECK (name_en <> ''),
  sort_order int NOT NULL DEFAULT 0
);

GRANT SELECT ON ministries, sectors, sector_oversight, business_scopes,
  ceptoars, sector_examples, baseline_sections, themes TO kijun_app;


-- ===========================================================================
-- 2. Tenancy and audit
-- ===========================================================================
-- Operators (the tenants), users, identities, role grants, sessions and
-- the hash-chained audit log, with row-level security.
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
-- The policies only compare a row's keys with these arrays, so they stay
-- cheap: every tenant row carries sector_code and operator_id (or
-- ministry_code), and children reference their parent together with
-- those keys, so a row can never claim another tenant than its parent's.
-- docs/security.md gives the recipe.

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

-- Operators (重要インフラ事業者等). Never deleted: withdrawal is recorded and
-- status is the one switch that other tables read.
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
  updated_at       timestamptz NOT NULL DEFAULT now(),
  withdrawn_at     timestamptz,
  withdrawn_reason text NOT NULL DEFAULT '',
  CONSTRAINT operators_withdrawn CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL)),
  -- Children reference (id, sector_code) with ON UPDATE CASCADE, so moving
  -- an operator to another sector moves their denormalised sector_code too.
  CONSTRAINT operators_id_sector UNIQUE (id, sector_code)
);
CREATE INDEX operators_sector ON operators(sector_code);
CREATE INDEX operators_name_ja ON operators(name_ja);
CREATE INDEX operators_status ON operators(status, sector_code);

-- A business scope of the operator's own sector (the composite key makes
-- a scope of another sector impossible).
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

-- Server-side sessions: exactly the table alexedwards/scs pgxstore expects.
CREATE TABLE sessions (
  token  text PRIMARY KEY,
  data   bytea NOT NULL,
  expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

-- The audit log: append-only and hash-chained per tenant, so that writers
-- in different tenants never wait for each other. Each event's hash covers
-- its content and the previous event's hash in the same chain. What an
-- event's before and after hold is Go's (postgres.Audit marshals them).
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
-- microseconds so the session time zone cannot change the text. STABLE
-- (not IMMUTABLE: concat_ws and convert_to are STABLE) lets the planner
-- inline it.
CREATE FUNCTION kijun_audit_hash(e audit_events) RETURNS bytea
LANGUAGE sql STABLE AS $$
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
  SELECT * INTO v_head FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  IF NOT FOUND THEN
    -- The chain's first event; two first events insert one head.
    INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (v_chain, 0, '\x')
      ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO v_head FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  END IF;
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

-- Admins grant roles to a person by e-mail address, before they can see
-- that user: this answers only "which user has exactly this address".
CREATE FUNCTION kijun_user_id_by_email(p_email text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM users WHERE lower(email) = lower(p_email) AND email <> '' ORDER BY id LIMIT 1
$$;
REVOKE ALL ON FUNCTION kijun_user_id_by_email FROM PUBLIC;

-- Scheduled work that runs exactly once per period across every instance
-- of the portal (internal/jobs). job_runs holds one row per job and
-- period, inserted in the same transaction as the job's work: the primary
-- key is the "once", and a transaction that fails or whose instance dies
-- leaves no row, so another instance runs the period again.
CREATE TABLE job_runs (
  job         text NOT NULL CHECK (job ~ '^[a-z][a-z0-9-]*$'),
  period      timestamptz NOT NULL,          -- start of the period this run covers
  instance    text NOT NULL,                 -- host name and pid of the runner
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  detail      jsonb,
  PRIMARY KEY (job, period)
);

-- audit_anchors records, per run of the audit-anchor job, the result of
-- verifying the audit log and every chain's head (length and hash) at that
-- moment. A later rewrite of a chain's tail that keeps the chain internally
-- consistent still disagrees with an anchor taken before it.
CREATE TABLE audit_anchors (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  period   timestamptz NOT NULL,
  intact   boolean NOT NULL,
  chains   integer NOT NULL,
  events   bigint NOT NULL,
  heads    jsonb NOT NULL,   -- [{"chain":…,"events":…,"hash":"hex"}]
  breaks   jsonb NOT NULL    -- [{"chain":…,"seq":…,"reason":…}]
);
CREATE INDEX audit_anchors_at ON audit_anchors(at DESC);

-- Row-level security. It binds the server's role; the owner (migrations,
-- seeds, `kijun audit verify`) is not subject to it (no FORCE).
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

-- Events are read by the tenants they are about. The audit-anchor job
-- verifies the whole log from the server's role in a system transaction;
-- requests never run as the system except for sign-in, which reads no
-- audit events.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT
  USING (kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY audit_events_system_read ON audit_events FOR SELECT USING (kijun_system());

GRANT SELECT, INSERT, UPDATE ON operators, operator_scopes, users, identities, role_grants TO kijun_app;
GRANT DELETE ON operator_scopes TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO kijun_app;
GRANT SELECT ON audit_events, audit_chain_heads TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_audit_append, kijun_user_id_by_email TO kijun_app;
-- Neither holds tenant data; background work writes them.
GRANT SELECT, INSERT, UPDATE ON job_runs TO kijun_app;
GRANT SELECT, INSERT ON audit_anchors TO kijun_app;


-- ===========================================================================
-- 3. Catalog
-- ===========================================================================
-- Baseline control catalogs: versions (draft → published → superseded)
-- and their controls, with search and row-level security.
--
-- Published versions are immutable, and the database says so itself: the
-- triggers refuse, for every role including the owner, any change to the
-- controls of a non-draft catalog and any change to a published catalog
-- other than published → superseded. The error carries SQLSTATE KJ001 so
-- the store can turn it into the message catalog.published_immutable.

CREATE TABLE catalogs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,63}$'),
  version      text NOT NULL CHECK (btrim(version) <> '' AND length(version) <= 64),
  title_ja     text NOT NULL CHECK (title_ja <> ''),
  title_en     text NOT NULL DEFAULT '',
  note_ja      text NOT NULL DEFAULT '',
  note_en      text NOT NULL DEFAULT '',
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'superseded')),
  -- The version this draft was copied from, if any.
  based_on     bigint REFERENCES catalogs(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   bigint REFERENCES users(id), -- NULL: seeded by `kijun seed`
  published_at timestamptz,
  published_by bigint REFERENCES users(id),
  -- The publisher's display name at the time: every reader sees it, even
  -- one whom RLS on users does not show the NCO's user row.
  published_by_name text NOT NULL DEFAULT '',
  UNIQUE (code, version),
  CHECK ((status = 'draft') = (published_at IS NULL))
);
-- At most one draft and one published version per catalog code.
CREATE UNIQUE INDEX catalogs_one_draft ON catalogs(code) WHERE status = 'draft';
CREATE UNIQUE INDEX catalogs_one_published ON catalogs(code) WHERE status = 'published';

CREATE TABLE controls (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  catalog_id        bigint NOT NULL REFERENCES catalogs(id),
  ref               text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  section_code      text NOT NULL REFERENCES baseline_sections(code),
  title_ja          text NOT NULL CHECK (title_ja <> ''),
  title_en          text NOT NULL DEFAULT '',
  statement_ja      text NOT NULL CHECK (statement_ja <> ''),
  statement_en      text NOT NULL DEFAULT '',
  guidance_ja       text NOT NULL DEFAULT '',
  guidance_en       text NOT NULL DEFAULT '',
  -- Theme and sector codes, checked against their tables by
  -- kijun_controls_codes (arrays keep a control one row, copied whole into
  -- the next version).
  themes            text[] NOT NULL DEFAULT '{}',
  csf               text[] NOT NULL DEFAULT '{}' CHECK (csf <@ ARRAY['GV.OC', 'GV.RM', 'GV.RR', 'GV.PO',
                      'GV.OV', 'GV.SC', 'ID.AM', 'ID.RA', 'ID.IM', 'PR.AA', 'PR.AT', 'PR.DS', 'PR.PS', 'PR.IR',
                      'DE.CM', 'DE.AE', 'RS.MA', 'RS.AN', 'RS.CO', 'RS.MI', 'RC.RP', 'RC.CO']),
  evidence_expected boolean NOT NULL DEFAULT false,
  sectors           text[] NOT NULL DEFAULT '{}', -- empty: every sector
  version           int NOT NULL DEFAULT 1,       -- optimistic locking in the editor
  sort_order        int NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  updated_by        bigint REFERENCES users(id),
  -- What substring search reads: every text of the control in both
  -- languages, NFKC-normalised so that full-width ＢＣＰ and half-width ｶﾅ
  -- match what people type (the query is normalised the same way).
  search_text       text GENERATED ALWAYS AS (normalize(ref || ' ' || title_ja || ' ' || title_en || ' ' ||
                      statement_ja || ' ' || statement_en || ' ' || guidance_ja || ' ' || guidance_en, NFKC)) STORED,
  UNIQUE (catalog_id, ref),
  CHECK (ref LIKE section_code || '-%')
);
CREATE INDEX controls_search ON controls USING gin (search_text gin_trgm_ops);

-- kijun_controls_codes is the foreign key of the theme and sector arrays.
CREATE FUNCTION kijun_controls_codes() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_bad text;
BEGIN
  SELECT t INTO v_bad FROM unnest(NEW.themes) t WHERE NOT EXISTS (SELECT FROM themes WHERE code = t) LIMIT 1;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'control %: unknown theme %', NEW.ref, v_bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT s INTO v_bad FROM unnest(NEW.sectors) s WHERE NOT EXISTS (SELECT FROM sectors WHERE code = s) LIMIT 1;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'control %: unknown sector %', NEW.ref, v_bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER controls_codes BEFORE INSERT OR UPDATE OF themes, sectors ON controls
  FOR EACH ROW EXECUTE FUNCTION kijun_controls_codes();

-- kijun_controls_guard refuses changes to the controls of a catalog that is
-- not a draft. It takes a share lock on the catalog row, so a publish waits
-- for edits in flight and an edit that waited for a publish sees it. It
-- runs as the owner so that the lock needs no extra grant or policy.
CREATE FUNCTION kijun_controls_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint;
  v_status text;
BEGIN
  FOREACH v_id IN ARRAY CASE TG_OP
      WHEN 'INSERT' THEN ARRAY[NEW.catalog_id]
      WHEN 'DELETE' THEN ARRAY[OLD.catalog_id]
      ELSE ARRAY[OLD.catalog_id, NEW.catalog_id] END
  LOOP
    SELECT status INTO v_status FROM catalogs WHERE id = v_id FOR SHARE;
    -- A missing catalog is the foreign key's business.
    IF v_status IS NOT NULL AND v_status <> 'draft' THEN
      RAISE EXCEPTION 'catalog %: the controls of a % catalog cannot be changed', v_id, v_status
        USING ERRCODE = 'KJ001';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER controls_guard BEFORE INSERT OR UPDATE OR DELETE ON controls
  FOR EACH ROW EXECUTE FUNCTION kijun_controls_guard();

-- kijun_catalogs_guard: a catalog is created as a draft; a draft may change
-- and be published; a published catalog may only become superseded, with
-- every other column unchanged; a superseded one never changes. Only
-- drafts may be deleted.
CREATE FUNCTION kijun_catalogs_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION 'a catalog is created as a draft, not %', NEW.status USING ERRCODE = 'KJ001';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'catalog %: a % catalog cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'KJ001';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'draft' AND NEW.status IN ('draft', 'published') THEN
    RETURN NEW;
  END IF;
  IF OLD.status = 'published' AND NEW.status = 'superseded'
     AND to_jsonb(NEW) - 'status' = to_jsonb(OLD) - 'status' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'catalog %: a % catalog cannot be changed (to status %)', OLD.id, OLD.status, NEW.status
    USING ERRCODE = 'KJ001';
END
$$;
CREATE TRIGGER catalogs_guard BEFORE INSERT OR UPDATE OR DELETE ON catalogs
  FOR EACH ROW EXECUTE FUNCTION kijun_catalogs_guard();

-- TRUNCATE skips row triggers; refuse it while anything is published.
CREATE FUNCTION kijun_catalogs_no_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT FROM catalogs WHERE status <> 'draft') THEN
    RAISE EXCEPTION 'published catalogs cannot be truncated' USING ERRCODE = 'KJ001';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER catalogs_no_truncate BEFORE TRUNCATE ON catalogs
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();
CREATE TRIGGER controls_no_truncate BEFORE TRUNCATE ON controls
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();

-- Row-level security. Published and superseded versions are the standard
-- everyone is measured against: every signed-in user reads them. Drafts
-- are the NCO's work in progress. Only the NCO writes (the policy package
-- decides which NCO role may).
ALTER TABLE catalogs ENABLE ROW LEVEL SECURITY;
CREATE POLICY catalogs_read ON catalogs FOR SELECT
  USING (kijun_system() OR kijun_nco() OR (status <> 'draft' AND kijun_user_id() IS NOT NULL));
CREATE POLICY catalogs_insert ON catalogs FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY catalogs_update ON catalogs FOR UPDATE USING (kijun_nco()) WITH CHECK (kijun_nco());

-- A control is visible when its catalog is: the subquery is filtered by
-- the catalogs policy above and is one primary-key lookup.
ALTER TABLE controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY controls_read ON controls FOR SELECT
  USING (EXISTS (SELECT FROM catalogs c WHERE c.id = controls.catalog_id));
CREATE POLICY controls_insert ON controls FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY controls_update ON controls FOR UPDATE USING (kijun_nco()) WITH CHECK (kijun_nco());
CREATE POLICY controls_delete ON controls FOR DELETE USING (kijun_nco());

GRANT SELECT, INSERT, UPDATE ON catalogs TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON controls TO kijun_app;


-- ===========================================================================
-- 4. Register
-- ===========================================================================
-- The operator register beyond the operators table: important systems,
-- contacts, and corrections that operators propose to their own record
-- and the overseeing ministry (or NCO) accepts or rejects.

-- 重要システム. kind: it (情報系), ot (制御系), cloud.
CREATE TABLE operator_systems (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id      bigint NOT NULL,
  sector_code      text NOT NULL, -- denormalised for RLS
  name             text NOT NULL CHECK (name <> '' AND length(name) <= 200),
  kind             text NOT NULL CHECK (kind IN ('it', 'ot', 'cloud')),
  closed_network   boolean NOT NULL DEFAULT false,
  internet_exposed boolean NOT NULL DEFAULT false,
  notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  sort_order       int NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX operator_systems_operator ON operator_systems(operator_id, sort_order);
CREATE INDEX operator_systems_sector ON operator_systems(sector_code);

-- 連絡先. role is what the contact is for (e.g. CSIRT, 情報セキュリティ責任者).
CREATE TABLE operator_contacts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id bigint NOT NULL,
  sector_code text NOT NULL, -- denormalised for RLS
  role        text NOT NULL CHECK (role <> '' AND length(role) <= 100),
  department  text NOT NULL DEFAULT '' CHECK (length(department) <= 200),
  name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  email       text NOT NULL DEFAULT '' CHECK (email = '' OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  phone       text NOT NULL DEFAULT '' CHECK (phone ~ '^[0-9+() -]{0,30}$'),
  sort_order  int NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (name <> '' OR email <> '' OR phone <> ''),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX operator_contacts_operator ON operator_contacts(operator_id, sort_order);
CREATE INDEX operator_contacts_sector ON operator_contacts(sector_code);

-- A correction an operator proposes to its own contacts or systems: the
-- payload is the full proposed list (a JSON array), which replaces the
-- current one when the ministry accepts. One pending proposal per
-- operator and kind, so a ministry never has to choose between two.
CREATE TABLE operator_corrections (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL, -- denormalised for RLS
  proposed_by   bigint NOT NULL REFERENCES users(id),
  proposed_at   timestamptz NOT NULL DEFAULT now(),
  kind          text NOT NULL CHECK (kind IN ('contacts', 'systems')),
  payload       jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'array'),
  note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
  decided_by    bigint REFERENCES users(id),
  decided_at    timestamptz,
  decision_note text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 2000),
  CHECK ((status = 'pending') = (decided_at IS NULL) AND (decided_at IS NULL) = (decided_by IS NULL)),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE
);
CREATE UNIQUE INDEX operator_corrections_one_pending ON operator_corrections(operator_id, kind) WHERE status = 'pending';
CREATE INDEX operator_corrections_sector ON operator_corrections(sector_code, status);

-- kijun_operator_exists says whether a 法人番号 is registered and in which
-- sector, whoever can see the operator. An import needs it: under RLS an
-- operator of a sector the importer does not oversee is invisible, and
-- inserting it again would only fail on the unique constraint. It answers
-- ministries and NCO only (operators import nothing) and reveals nothing
-- else of the row.
CREATE FUNCTION kijun_operator_exists(p_corporate_number text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.sector_code FROM operators o
  WHERE o.corporate_number = p_corporate_number
    AND (kijun_system() OR kijun_nco() OR cardinality(kijun_sectors()) > 0)
$$;
REVOKE ALL ON FUNCTION kijun_operator_exists FROM PUBLIC;

ALTER TABLE operator_systems ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_systems_read ON operator_systems FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY operator_systems_write ON operator_systems FOR ALL
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()))
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));

ALTER TABLE operator_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_contacts_read ON operator_contacts FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY operator_contacts_write ON operator_contacts FOR ALL
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()))
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));

-- An operator proposes for itself only, as itself, and only a pending
-- proposal; the ministry overseeing the sector (or NCO) decides. Only the
-- decision columns are granted for update, so a decision cannot rewrite
-- what was proposed.
ALTER TABLE operator_corrections ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_corrections_read ON operator_corrections FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY operator_corrections_propose ON operator_corrections FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND proposed_by = kijun_user_id()
      AND status = 'pending' AND decided_by IS NULL);
CREATE POLICY operator_corrections_decide ON operator_corrections FOR UPDATE
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()))
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));

GRANT SELECT, INSERT, UPDATE, DELETE ON operator_systems, operator_contacts TO kijun_app;
GRANT SELECT, INSERT ON operator_corrections TO kijun_app;
GRANT UPDATE (status, decided_by, decided_at, decision_note) ON operator_corrections TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_operator_exists TO kijun_app;


-- ===========================================================================
-- 5. Assessments
-- ===========================================================================
-- The self-assessment cycle: the answer scale, cycles, control sets (the
-- snapshot of controls an assessment answers), assessments, answers,
-- evidence, review comments, status history and the rollups dashboards
-- read. docs/assessment.md explains the model, the scoring and the state
-- machine. Children reference assessments(id, operator_id, sector_code)
-- ON UPDATE CASCADE, so moving an operator to another sector moves its
-- assessments with it.

-- The answer scale is data: labels, weights and what each answer needs.
-- weight NULL means "excluded from scores" (該当なし).
CREATE TABLE answer_scale (
  code                 text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,31}$'),
  label_ja             text NOT NULL CHECK (label_ja <> ''),
  label_en             text NOT NULL CHECK (label_en <> ''),
  weight               numeric(3,2) CHECK (weight BETWEEN 0 AND 1),
  requires_reason      boolean NOT NULL DEFAULT false,
  requires_remediation boolean NOT NULL DEFAULT false,
  sort_order           int NOT NULL DEFAULT 0
);
INSERT INTO answer_scale (code, label_ja, label_en, weight, requires_reason, requires_remediation, sort_order) VALUES
  ('implemented',     '実施済',   'Implemented',           1.00, false, false, 1),
  ('partial',         '一部実施', 'Partially implemented', 0.50, false, true,  2),
  ('not_implemented', '未実施',   'Not implemented',       0.00, false, true,  3),
  ('not_applicable',  '該当なし', 'Not applicable',        NULL, true,  false, 4);

-- A cycle: one fiscal year (April–March; 2027 = 令和9年度), measured
-- against one published catalog version.
CREATE TABLE cycles (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2019 AND 2200),
  catalog_id  bigint NOT NULL REFERENCES catalogs(id),
  opens_on    date NOT NULL,
  due_on      date NOT NULL CHECK (due_on >= opens_on),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_by  bigint REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cycles_one_open ON cycles(fiscal_year) WHERE status = 'open';

-- A control set is the immutable list of controls that assessments of one
-- sector in one cycle answer: the catalog's controls for the sector, or
-- the sector profile's selection plus the sector's supplementary controls
-- (kijun_profile_controls), copied at creation. Assessments share a set,
-- so opening a cycle for 20,000 operators copies ~15 × 100 rows, not
-- 2,000,000. A set is identified by the hash of its content: a profile
-- that changes mid-cycle gives new assessments a new set, and the
-- assessments already open keep theirs.
CREATE TABLE control_sets (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id      bigint NOT NULL REFERENCES cycles(id),
  sector_code   text NOT NULL REFERENCES sectors(code),
  catalog_id    bigint NOT NULL REFERENCES catalogs(id),
  source        text NOT NULL DEFAULT 'baseline', -- 'baseline' or what built it, e.g. 'profile:12'
  fingerprint   bytea NOT NULL,                   -- sha256 of the items, computed by the store
  control_count int NOT NULL CHECK (control_count > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (cycle_id, sector_code, fingerprint),
  UNIQUE (id, sector_code)
);

-- ref: a catalog control ("GV-01") or a sector supplementary control
-- ("ELECTRICITY-S01").
CREATE TABLE control_set_items (
  set_id            bigint NOT NULL,
  sector_code       text NOT NULL, -- denormalised for RLS
  ref               text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$' OR ref ~ '^[A-Z][A-Z0-9]*-S[0-9]{2,3}$'),
  catalog_id        bigint REFERENCES catalogs(id), -- NULL: a sector supplementary control
  section_code      text NOT NULL REFERENCES baseline_sections(code),
  themes            text[] NOT NULL DEFAULT '{}',
  csf               text[] NOT NULL DEFAULT '{}',
  title_ja          text NOT NULL CHECK (title_ja <> ''),
  title_en          text NOT NULL DEFAULT '',
  statement_ja      text NOT NULL DEFAULT '',
  statement_en      text NOT NULL DEFAULT '',
  evidence_expected boolean NOT NULL DEFAULT false,
  sort_order        int NOT NULL DEFAULT 0,
  PRIMARY KEY (set_id, ref),
  FOREIGN KEY (set_id, sector_code) REFERENCES control_sets(id, sector_code)
);

CREATE TABLE assessments (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id       bigint NOT NULL REFERENCES cycles(id),
  operator_id    bigint NOT NULL,
  sector_code    text NOT NULL,
  ministry_code  text REFERENCES ministries(code), -- the overseeing ministry, for its lists
  control_set_id bigint NOT NULL REFERENCES control_sets(id),
  status         text NOT NULL DEFAULT 'not_started'
                 CHECK (status IN ('not_started', 'in_progress', 'submitted', 'returned', 'accepted')),
  version        int NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  submitted_at   timestamptz,
  submitted_by   bigint REFERENCES users(id),
  accepted_at    timestamptz,
  accepted_by    bigint REFERENCES users(id),
  returned_at    timestamptz,
  returned_by    bigint REFERENCES users(id),
  UNIQUE (operator_id, cycle_id),
  UNIQUE (id, operator_id, sector_code),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE,
  CHECK (status <> 'accepted' OR accepted_at IS NOT NULL),
  CHECK (status NOT IN ('submitted', 'accepted') OR submitted_at IS NOT NULL)
);
CREATE INDEX assessments_cycle_sector ON assessments(cycle_id, sector_code, status);
CREATE INDEX assessments_set ON assessments(control_set_id);

-- What an assessment answers: the items of its control set.
-- security_invoker applies the reader's RLS.
CREATE VIEW assessment_controls WITH (security_invoker = true) AS
  SELECT a.id AS assessment_id, a.operator_id, a.sector_code, i.ref, i.catalog_id, i.section_code,
         i.themes, i.csf, i.title_ja, i.title_en, i.statement_ja, i.statement_en,
         i.evidence_expected, i.sort_order
  FROM assessments a JOIN control_set_items i ON i.set_id = a.control_set_id;

-- One answer per control. status NULL is a draft with no answer chosen
-- yet (it counts as unanswered). carried_forward marks an answer copied
-- from the previous cycle until the user confirms or changes it.
CREATE TABLE answers (
  assessment_id      bigint NOT NULL,
  ref                text NOT NULL,
  operator_id        bigint NOT NULL, -- denormalised for RLS
  sector_code        text NOT NULL,   -- denormalised for RLS
  status             text REFERENCES answer_scale(code),
  maturity           smallint CHECK (maturity BETWEEN 1 AND 4),
  how                text NOT NULL DEFAULT '' CHECK (length(how) <= 10000),
  na_reason          text NOT NULL DEFAULT '' CHECK (length(na_reason) <= 2000),
  remediation_action text NOT NULL DEFAULT '' CHECK (length(remediation_action) <= 2000),
  remediation_owner  text NOT NULL DEFAULT '' CHECK (length(remediation_owner) <= 200),
  remediation_due    date,
  carried_forward    boolean NOT NULL DEFAULT false,
  version            int NOT NULL DEFAULT 1,
  updated_by         bigint REFERENCES users(id),
  updated_by_name    text NOT NULL DEFAULT '', -- readers may not see the users row
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, ref),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX answers_sector ON answers(sector_code);

-- Evidence files, stored in the database with their SHA-256. The size
-- limit is the store's parameter; the CHECK is the hard ceiling.
CREATE TABLE evidence (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id    bigint NOT NULL,
  ref              text NOT NULL,
  operator_id      bigint NOT NULL,
  sector_code      text NOT NULL,
  file_name        text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255),
  content_type     text NOT NULL,
  size             bigint NOT NULL CHECK (size > 0 AND size <= 52428800),
  sha256           bytea NOT NULL CHECK (length(sha256) = 32),
  bytes            bytea NOT NULL,
  uploaded_by      bigint REFERENCES users(id),
  uploaded_by_name text NOT NULL DEFAULT '',
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(bytes) = size),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX evidence_answer ON evidence(assessment_id, ref);

-- Review comments, threaded per answer (ref NULL: about the whole
-- assessment), visible to the operator and its ministry alike.
CREATE TABLE review_comments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  ref           text,
  parent_id     bigint,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  author_id     bigint NOT NULL REFERENCES users(id),
  author_name   text NOT NULL DEFAULT '',
  author_side   text NOT NULL CHECK (author_side IN ('operator', 'ministry', 'nco')),
  body          text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 5000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, assessment_id),
  FOREIGN KEY (parent_id, assessment_id) REFERENCES review_comments(id, assessment_id),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX review_comments_answer ON review_comments(assessment_id, ref, id);

-- Status history.
CREATE TABLE assessment_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  by_user       bigint REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '',
  at            timestamptz NOT NULL DEFAULT now(),
  note          text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_events_assessment ON assessment_events(assessment_id, id);

-- Scores per assessment and dimension, computed in Go (kijun.Score) and
-- written by the store in the transaction that submits or accepts.
-- Dashboards read these. kind: overall (key ''), section (key BASE…TT),
-- theme (theme code), csf_function (GV ID PR DE RS RC).
CREATE TABLE assessment_rollups (
  assessment_id   bigint NOT NULL,
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  operator_id     bigint NOT NULL,
  sector_code     text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('overall', 'section', 'theme', 'csf_function')),
  key             text NOT NULL,
  controls        int NOT NULL, -- controls in the dimension
  answered        int NOT NULL, -- with a status
  applicable      int NOT NULL, -- answered and not excluded (weight not NULL)
  implemented     int NOT NULL,
  partial         int NOT NULL,
  not_implemented int NOT NULL,
  na              int NOT NULL,
  score           numeric(5,4) CHECK (score BETWEEN 0 AND 1), -- NULL when nothing is applicable
  written_status  text NOT NULL, -- the assessment's status when written: submitted or accepted
  written_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, kind, key),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_rollups_dashboard ON assessment_rollups(cycle_id, sector_code, kind, key);

-- kijun_assessments_transition guards the state machine for every writer:
-- only the transitions of kijun.AssessmentStatus.CanMoveTo (a test walks
-- every pair), an operator submits its own assessment, the ministry
-- overseeing the sector returns or accepts it. SQLSTATE KJ003
-- (transition) and 42501 (who) let the store explain the refusal.
CREATE FUNCTION kijun_assessments_transition() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = OLD.status THEN
    RETURN NEW;
  END IF;
  IF (OLD.status, NEW.status) NOT IN (
      ('not_started', 'in_progress'), ('not_started', 'submitted'), ('in_progress', 'submitted'),
      ('returned', 'submitted'), ('submitted', 'returned'), ('submitted', 'accepted')) THEN
    RAISE EXCEPTION 'assessment %: % → % is not a transition', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'KJ003';
  END IF;
  IF kijun_system() THEN
    RETURN NEW;
  END IF;
  IF NEW.status IN ('in_progress', 'submitted') AND NOT (NEW.operator_id = ANY (kijun_operators())) THEN
    RAISE EXCEPTION 'assessment %: only the operator may move it to %', OLD.id, NEW.status
      USING ERRCODE = '42501';
  END IF;
  IF NEW.status IN ('returned', 'accepted') AND NOT (NEW.sector_code = ANY (kijun_sectors())) THEN
    RAISE EXCEPTION 'assessment %: only the overseeing ministry may move it to %', OLD.id, NEW.status
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_transition BEFORE UPDATE OF status ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_transition();

-- kijun_answers_guard locks answers and evidence while the assessment is
-- submitted or accepted (SQLSTATE KJ002): the statuses in which
-- kijun.AssessmentStatus.Editable is false (a test derives it). The store
-- checks first, under a share lock on the assessment; this is the wall
-- behind it. Rows are compared as jsonb only when the sector changed.
CREATE FUNCTION kijun_answers_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_status text;
BEGIN
  -- Moving the operator to another sector cascades here; let it through.
  IF TG_OP = 'UPDATE' AND (NEW IS NOT DISTINCT FROM OLD OR (NEW.sector_code IS DISTINCT FROM OLD.sector_code
      AND to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code')) THEN
    RETURN NEW;
  END IF;
  SELECT status INTO v_status FROM assessments
    WHERE id = CASE TG_OP WHEN 'DELETE' THEN OLD.assessment_id ELSE NEW.assessment_id END;
  IF v_status IN ('submitted', 'accepted') THEN
    RAISE EXCEPTION 'assessment is %: its answers and evidence are locked', v_status USING ERRCODE = 'KJ002';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER answers_guard BEFORE INSERT OR UPDATE OR DELETE ON answers
  FOR EACH ROW EXECUTE FUNCTION kijun_answers_guard();
CREATE TRIGGER evidence_guard BEFORE INSERT OR UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION kijun_answers_guard();

-- Row-level security.
-- Cycles and control sets are the standard everyone is measured against:
-- every signed-in user reads them (control text only; a plan's internal
-- notes are never copied into a set). The NCO opens cycles; sets are
-- written by whoever creates assessments (NCO, or the sector's ministry
-- for an operator designated mid-cycle).
ALTER TABLE cycles ENABLE ROW LEVEL SECURITY;
CREATE POLICY cycles_read ON cycles FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY cycles_insert ON cycles FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY cycles_update ON cycles FOR UPDATE USING (kijun_nco()) WITH CHECK (kijun_nco());

ALTER TABLE control_sets ENABLE ROW LEVEL SECURITY;
CREATE POLICY control_sets_read ON control_sets FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY control_sets_insert ON control_sets FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));

ALTER TABLE control_set_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY control_set_items_read ON control_set_items FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY control_set_items_insert ON control_set_items FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));

-- Assessments: created by NCO (a cycle) or the sector's ministry (mid-cycle);
-- status changes by the operator and the ministry, policed by the trigger.
ALTER TABLE assessments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessments_read ON assessments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessments_insert ON assessments FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
CREATE POLICY assessments_update ON assessments FOR UPDATE
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id))
  WITH CHECK (kijun_system() OR kijun_row_visible(sector_code, operator_id));

-- Answers and evidence: the operator writes its own; its ministry and the
-- NCO read.
ALTER TABLE answers ENABLE ROW LEVEL SECURITY;
CREATE POLICY answers_read ON answers FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY answers_insert ON answers FOR INSERT
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
CREATE POLICY answers_update ON answers FOR UPDATE
  USING (kijun_system() OR operator_id = ANY (kijun_operators()))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));

ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
CREATE POLICY evidence_read ON evidence FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY evidence_insert ON evidence FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND uploaded_by = kijun_user_id());

-- Comments: both sides write, as themselves.
ALTER TABLE review_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_comments_read ON review_comments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY review_comments_insert ON review_comments FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND kijun_row_visible(sector_code, operator_id));

ALTER TABLE assessment_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_events_read ON assessment_events FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessment_events_insert ON assessment_events FOR INSERT
  WITH CHECK (kijun_system() OR kijun_row_visible(sector_code, operator_id));

-- Rollups are written by whoever moves the assessment to submitted or
-- accepted, and only then: a row is inserted only for an assessment the
-- writer sees whose status is the row's written_status, and deleted only
-- while the assessment is submitted or accepted (the rewrite at accept).
ALTER TABLE assessment_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_rollups_read ON assessment_rollups FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessment_rollups_insert ON assessment_rollups FOR INSERT
  WITH CHECK ((kijun_system() OR kijun_row_visible(sector_code, operator_id))
    AND EXISTS (SELECT FROM assessments a WHERE a.id = assessment_rollups.assessment_id
                AND a.status = assessment_rollups.written_status AND a.status IN ('submitted', 'accepted')));
CREATE POLICY assessment_rollups_delete ON assessment_rollups FOR DELETE
  USING ((kijun_system() OR kijun_row_visible(sector_code, operator_id))
    AND EXISTS (SELECT FROM assessments a WHERE a.id = assessment_rollups.assessment_id
                AND a.status IN ('submitted', 'accepted')));

GRANT SELECT ON answer_scale TO kijun_app;
GRANT SELECT, INSERT ON cycles, control_sets, control_set_items, assessments, answers, evidence,
  review_comments, assessment_events TO kijun_app;
GRANT UPDATE (status) ON cycles TO kijun_app;
GRANT UPDATE (status, version, updated_at, submitted_at, submitted_by, accepted_at, accepted_by,
  returned_at, returned_by) ON assessments TO kijun_app;
GRANT UPDATE (status, maturity, how, na_reason, remediation_action, remediation_owner, remediation_due,
  carried_forward, version, updated_by, updated_by_name, updated_at) ON answers TO kijun_app;
GRANT SELECT ON assessment_controls TO kijun_app;
GRANT SELECT, INSERT, DELETE ON assessment_rollups TO kijun_app;


-- ===========================================================================
-- 6. Plans
-- ===========================================================================
-- Ministry implementation plans (実施計画, 第2部 of the standard) with their
-- sector profiles, the NCO's review, and the NCO's evaluations (評価・改善).
-- docs/plans.md explains the model and how it maps to 第2部.
--
-- A plan is a ministry × one or more of its sectors × a planning period.
-- Its content lives in versions: a version is edited while it is a draft
-- and never changes after it is submitted (the triggers below refuse it for
-- every role, SQLSTATE KJ004). A returned version stays as it was; the
-- ministry revises it as a new draft version. An accepted version is the
-- plan in force until a newer version is accepted (it then becomes
-- superseded).
--
-- Tenancy: plans are the ministry's own things (ministry_code on every
-- row); the NCO reads and reviews all. Operators read no plan table: they
-- see their sector's profile only through kijun_sector_profile, which
-- returns the profile's published columns and nothing of the plan's
-- internal notes, scope, KPIs or review.

CREATE TABLE plans (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ministry_code text NOT NULL REFERENCES ministries(code),
  sector_codes  text[] NOT NULL CHECK (cardinality(sector_codes) BETWEEN 1 AND 20),
  period_start  int NOT NULL CHECK (period_start BETWEEN 2019 AND 2200), -- fiscal years
  period_end    int NOT NULL CHECK (period_end BETWEEN period_start AND period_start + 10),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    bigint REFERENCES users(id),
  UNIQUE (id, ministry_code),
  UNIQUE (ministry_code, sector_codes, period_start)
);
CREATE INDEX plans_sectors ON plans USING gin (sector_codes);

-- kijun_plans_sectors: a plan's sectors exist and are overseen by its
-- ministry (an array has no foreign key).
CREATE FUNCTION kijun_plans_sectors() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_bad text;
BEGIN
  SELECT s INTO v_bad FROM unnest(NEW.sector_codes) s
    WHERE NOT EXISTS (SELECT FROM sector_oversight o WHERE o.ministry_code = NEW.ministry_code AND o.sector_code = s)
    LIMIT 1;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'plan: sector % is not overseen by %', v_bad, NEW.ministry_code USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.ministry_code, NEW.sector_codes, NEW.period_start) IS DISTINCT FROM
                          (OLD.ministry_code, OLD.sector_codes, OLD.period_start) THEN
    RAISE EXCEPTION 'plan %: its ministry, sectors and period start never change', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plans_sectors BEFORE INSERT OR UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION kijun_plans_sectors();

CREATE TABLE plan_versions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plan_id        bigint NOT NULL,
  ministry_code  text NOT NULL,
  version        int NOT NULL CHECK (version > 0),
  based_on       bigint REFERENCES plan_versions(id),
  status         text NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'submitted', 'under_review', 'returned', 'accepted', 'superseded')),
  -- The baseline catalog version the profile tailors (published or superseded).
  catalog_id     bigint NOT NULL REFERENCES catalogs(id),
  title_ja       text NOT NULL CHECK (btrim(title_ja) <> '' AND length(title_ja) <= 200),
  title_en       text NOT NULL DEFAULT '' CHECK (length(title_en) <= 200),
  -- 対象: {"mode": "all|designation|scopes|named", "designation": "ci|core", "scope_ids": [], "operator_ids": []}
  scope          jsonb NOT NULL DEFAULT '{"mode": "all"}' CHECK (jsonb_typeof(scope) = 'object'),
  -- 把握・分析: {"method": "", "cycles": "", "coverage_target": 90, "follow_up": ""}
  gathering      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(gathering) = 'object'),
  -- 評価・改善: KPIs and milestones (see internal/plan/plan.go).
  kpis           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(kpis) = 'array'),
  milestones     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(milestones) = 'array'),
  -- The ministry's own notes: never shown to operators.
  internal_note  text NOT NULL DEFAULT '' CHECK (length(internal_note) <= 10000),
  edits          int NOT NULL DEFAULT 1, -- optimistic locking of the draft
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint REFERENCES users(id),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  submitted_at   timestamptz,
  submitted_by   text NOT NULL DEFAULT '',
  decided_at     timestamptz,
  decided_by     text NOT NULL DEFAULT '',
  UNIQUE (plan_id, version),
  UNIQUE (id, ministry_code),
  FOREIGN KEY (plan_id, ministry_code) REFERENCES plans(id, ministry_code),
  CHECK (status = 'draft' OR submitted_at IS NOT NULL),
  CHECK (status NOT IN ('returned', 'accepted', 'superseded') OR decided_at IS NOT NULL)
);
-- One version in work (draft or in review) per plan at a time.
CREATE UNIQUE INDEX plan_versions_one_open ON plan_versions(plan_id) WHERE status IN ('draft', 'submitted', 'under_review');
CREATE INDEX plan_versions_status ON plan_versions(status, submitted_at);

-- kijun_plan_versions_guard: the lifecycle, for every writer. The
-- transitions are kijun.PlanStatus.CanMoveTo's (a test walks every pair):
--   draft → submitted             the ministry
--   submitted → under_review      the NCO
--   under_review → returned | accepted   the NCO
--   accepted → superseded         the NCO, when it accepts a newer version
-- A draft may change; nothing else about a version changes after it is
-- submitted, and only drafts may be deleted. A new version's catalog is a
-- published (or superseded) one.
CREATE FUNCTION kijun_plan_versions_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_cat text;
  v_meta text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'decided_at', 'decided_by', 'updated_at'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'plan version %: a % version cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'KJ004';
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION 'a plan version is created as a draft, not %', NEW.status USING ERRCODE = 'KJ004';
    END IF;
    SELECT status INTO v_cat FROM catalogs WHERE id = NEW.catalog_id;
    IF v_cat IS DISTINCT FROM 'published' AND v_cat IS DISTINCT FROM 'superseded' THEN
      RAISE EXCEPTION 'plan version: catalog % is not published', NEW.catalog_id USING ERRCODE = 'KJ004';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.id, NEW.plan_id, NEW.ministry_code, NEW.version) IS DISTINCT FROM (OLD.id, OLD.plan_id, OLD.ministry_code, OLD.version) THEN
    RAISE EXCEPTION 'plan version %: its identity never changes', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF OLD.status = 'draft' AND NEW.status = 'draft' THEN
    IF NEW.catalog_id <> OLD.catalog_id THEN
      SELECT status INTO v_cat FROM catalogs WHERE id = NEW.catalog_id;
      IF v_cat IS DISTINCT FROM 'published' AND v_cat IS DISTINCT FROM 'superseded' THEN
        RAISE EXCEPTION 'plan version: catalog % is not published', NEW.catalog_id USING ERRCODE = 'KJ004';
      END IF;
    END IF;
    RETURN NEW;
  END IF;
  IF (OLD.status, NEW.status) NOT IN (('draft', 'submitted'), ('submitted', 'under_review'),
      ('under_review', 'returned'), ('under_review', 'accepted'), ('accepted', 'superseded')) THEN
    RAISE EXCEPTION 'plan version %: % → % is not a transition; submitted versions never change', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'KJ004';
  END IF;
  IF to_jsonb(NEW) - v_meta IS DISTINCT FROM to_jsonb(OLD) - v_meta THEN
    RAISE EXCEPTION 'plan version %: the content of a % version never changes', OLD.id, OLD.status USING ERRCODE = 'KJ004';
  END IF;
  IF kijun_system() THEN
    RETURN NEW;
  END IF;
  IF NEW.status = 'submitted' AND NOT (NEW.ministry_code = ANY (kijun_ministries())) THEN
    RAISE EXCEPTION 'plan version %: only its ministry submits it', OLD.id USING ERRCODE = '42501';
  END IF;
  IF NEW.status <> 'submitted' AND NOT kijun_nco() THEN
    RAISE EXCEPTION 'plan version %: only the NCO reviews it', OLD.id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_versions_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_versions_guard();

-- The sector profile: one row per control of the version's catalog that
-- applies to the plan's sectors.
CREATE TABLE plan_profile_controls (
  version_id        bigint NOT NULL,
  ministry_code     text NOT NULL, -- denormalised for RLS
  ref               text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  applies           boolean NOT NULL DEFAULT true,
  na_reason         text NOT NULL DEFAULT '' CHECK (length(na_reason) <= 2000),
  target_status     text NOT NULL DEFAULT 'implemented' CHECK (target_status IN ('implemented', 'partial')),
  target_maturity   smallint CHECK (target_maturity BETWEEN 1 AND 4),
  tailoring_note    text NOT NULL DEFAULT '' CHECK (length(tailoring_note) <= 5000),
  standard_doc      text NOT NULL DEFAULT '' CHECK (length(standard_doc) <= 300),  -- 安全基準等
  standard_clause   text NOT NULL DEFAULT '' CHECK (length(standard_clause) <= 300),
  reflection        text NOT NULL DEFAULT '' CHECK (reflection IN ('', 'reflected', 'planned', 'not_planned')),
  reflection_on     date, -- reflected on / planned by
  reflection_reason text NOT NULL DEFAULT '' CHECK (length(reflection_reason) <= 2000),
  sort_order        int NOT NULL DEFAULT 0,
  PRIMARY KEY (version_id, ref),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code),
  CHECK (applies OR btrim(na_reason) <> ''),
  CHECK (reflection NOT IN ('reflected', 'planned') OR reflection_on IS NOT NULL),
  CHECK (reflection <> 'not_planned' OR btrim(reflection_reason) <> '')
);

-- Sector supplementary controls (セクター追加管理策): the fields of a
-- catalog control plus the profile's target and reflection.
CREATE TABLE plan_supplementary_controls (
  version_id        bigint NOT NULL,
  ministry_code     text NOT NULL,
  ref               text NOT NULL CHECK (ref ~ '^[A-Z][A-Z0-9]*-S[0-9]{2,3}$'), -- e.g. ELECTRICITY-S01
  section_code      text NOT NULL REFERENCES baseline_sections(code),
  title_ja          text NOT NULL CHECK (btrim(title_ja) <> '' AND length(title_ja) <= 300),
  title_en          text NOT NULL DEFAULT '' CHECK (length(title_en) <= 300),
  statement_ja      text NOT NULL CHECK (btrim(statement_ja) <> '' AND length(statement_ja) <= 5000),
  statement_en      text NOT NULL DEFAULT '' CHECK (length(statement_en) <= 5000),
  guidance_ja       text NOT NULL DEFAULT '' CHECK (length(guidance_ja) <= 10000),
  guidance_en       text NOT NULL DEFAULT '' CHECK (length(guidance_en) <= 10000),
  themes            text[] NOT NULL DEFAULT '{}',
  csf               text[] NOT NULL DEFAULT '{}' CHECK (csf <@ ARRAY['GV.OC', 'GV.RM', 'GV.RR', 'GV.PO',
                      'GV.OV', 'GV.SC', 'ID.AM', 'ID.RA', 'ID.IM', 'PR.AA', 'PR.AT', 'PR.DS', 'PR.PS', 'PR.IR',
                      'DE.CM', 'DE.AE', 'RS.MA', 'RS.AN', 'RS.CO', 'RS.MI', 'RC.RP', 'RC.CO']),
  evidence_expected boolean NOT NULL DEFAULT false,
  target_status     text NOT NULL DEFAULT 'implemented' CHECK (target_status IN ('implemented', 'partial')),
  target_maturity   smallint CHECK (target_maturity BETWEEN 1 AND 4),
  standard_doc      text NOT NULL DEFAULT '' CHECK (length(standard_doc) <= 300),
  standard_clause   text NOT NULL DEFAULT '' CHECK (length(standard_clause) <= 300),
  reflection        text NOT NULL DEFAULT '' CHECK (reflection IN ('', 'reflected', 'planned', 'not_planned')),
  reflection_on     date,
  reflection_reason text NOT NULL DEFAULT '' CHECK (length(reflection_reason) <= 2000),
  PRIMARY KEY (version_id, ref),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code),
  CHECK (reflection NOT IN ('reflected', 'planned') OR reflection_on IS NOT NULL),
  CHECK (reflection <> 'not_planned' OR btrim(reflection_reason) <> '')
);

-- kijun_plan_rows_guard: profile and supplementary rows change only while
-- their version is a draft. The share lock makes a submit wait for edits
-- in flight, and an edit that waited for a submit see it.
CREATE FUNCTION kijun_plan_rows_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint;
  v_status text;
BEGIN
  FOREACH v_id IN ARRAY CASE TG_OP
      WHEN 'INSERT' THEN ARRAY[NEW.version_id]
      WHEN 'DELETE' THEN ARRAY[OLD.version_id]
      ELSE ARRAY[OLD.version_id, NEW.version_id] END
  LOOP
    SELECT status INTO v_status FROM plan_versions WHERE id = v_id FOR SHARE;
    IF v_status IS NOT NULL AND v_status <> 'draft' THEN
      RAISE EXCEPTION 'plan version %: the profile of a % version never changes', v_id, v_status USING ERRCODE = 'KJ004';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_profile_controls_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_profile_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_guard();
CREATE TRIGGER plan_supplementary_controls_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_supplementary_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_guard();

-- TRUNCATE skips row triggers.
CREATE FUNCTION kijun_plans_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'plan versions are kept: no truncate' USING ERRCODE = 'KJ004';
END
$$;
CREATE TRIGGER plan_versions_no_truncate BEFORE TRUNCATE ON plan_versions
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();
CREATE TRIGGER plan_profile_no_truncate BEFORE TRUNCATE ON plan_profile_controls
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();
CREATE TRIGGER plan_supplementary_no_truncate BEFORE TRUNCATE ON plan_supplementary_controls
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();

-- Review comments per section, from the NCO (with a return) and the
-- ministry (its answers). Append-only.
CREATE TABLE plan_comments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    bigint NOT NULL,
  ministry_code text NOT NULL,
  section       text NOT NULL CHECK (section IN ('general', 'scope', 'profile', 'supplementary', 'gathering', 'evaluation')),
  author_id     bigint NOT NULL REFERENCES users(id),
  author_name   text NOT NULL DEFAULT '',
  author_side   text NOT NULL CHECK (author_side IN ('ministry', 'nco')),
  body          text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 5000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code)
);
CREATE INDEX plan_comments_version ON plan_comments(version_id, id);

-- Status history of each version, for the plan page (the audit log has
-- the same transitions with their before and after).
CREATE TABLE plan_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    bigint NOT NULL,
  ministry_code text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  by_user       bigint REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '',
  at            timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code)
);
CREATE INDEX plan_events_version ON plan_events(version_id, id);

-- The NCO's evaluation of a ministry's sector for a fiscal year: findings,
-- good practices, improvement requests and a rating. The ministry reads it
-- once published and answers in response.
CREATE TABLE plan_evaluations (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ministry_code        text NOT NULL,
  sector_code          text NOT NULL,
  fiscal_year          int NOT NULL CHECK (fiscal_year BETWEEN 2019 AND 2200),
  plan_id              bigint,
  findings             text NOT NULL DEFAULT '' CHECK (length(findings) <= 20000),
  good_practices       text NOT NULL DEFAULT '' CHECK (length(good_practices) <= 20000),
  improvement_requests text NOT NULL DEFAULT '' CHECK (length(improvement_requests) <= 20000),
  rating               text NOT NULL DEFAULT '' CHECK (rating IN ('', 'A', 'B', 'C', 'D')),
  status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  published_at         timestamptz,
  response             text NOT NULL DEFAULT '' CHECK (length(response) <= 20000),
  responded_at         timestamptz,
  responded_by         text NOT NULL DEFAULT '',
  edits                int NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ministry_code, sector_code, fiscal_year),
  FOREIGN KEY (ministry_code, sector_code) REFERENCES sector_oversight(ministry_code, sector_code),
  FOREIGN KEY (plan_id, ministry_code) REFERENCES plans(id, ministry_code),
  CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX plan_evaluations_year ON plan_evaluations(fiscal_year);

-- kijun_plan_evaluations_guard: the ministry writes only its response, and
-- only to a published evaluation; a published evaluation stays published.
CREATE FUNCTION kijun_plan_evaluations_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_resp text[] := ARRAY['response', 'responded_at', 'responded_by', 'updated_at'];
BEGIN
  IF OLD.status = 'published' AND NEW.status <> 'published' THEN
    RAISE EXCEPTION 'evaluation %: a published evaluation stays published', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF (NEW.ministry_code, NEW.sector_code, NEW.fiscal_year) IS DISTINCT FROM (OLD.ministry_code, OLD.sector_code, OLD.fiscal_year) THEN
    RAISE EXCEPTION 'evaluation %: its ministry, sector and year never change', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF kijun_system() OR kijun_nco() THEN
    RETURN NEW;
  END IF;
  IF OLD.status <> 'published' OR to_jsonb(NEW) - v_resp IS DISTINCT FROM to_jsonb(OLD) - v_resp THEN
    RAISE EXCEPTION 'evaluation %: the ministry writes only its response to a published evaluation', OLD.id
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_evaluations_guard BEFORE UPDATE ON plan_evaluations
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_evaluations_guard();

-- kijun_plan_scope_operators: the operators a version's 対象 selects,
-- read live from the register (so counts follow it). Runs with the
-- caller's rights: RLS on operators applies.
CREATE FUNCTION kijun_plan_scope_operators(p_sectors text[], p_scope jsonb) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  SELECT o.id FROM operators o
  WHERE o.status = 'active' AND o.sector_code = ANY (p_sectors)
    AND CASE coalesce(p_scope->>'mode', 'all')
      WHEN 'designation' THEN o.designation = p_scope->>'designation' OR o.designation = 'both'
      WHEN 'scopes' THEN EXISTS (SELECT FROM operator_scopes s WHERE s.operator_id = o.id
        AND s.scope_id IN (SELECT jsonb_array_elements_text(coalesce(p_scope->'scope_ids', '[]'))::bigint))
      WHEN 'named' THEN o.id IN (SELECT jsonb_array_elements_text(coalesce(p_scope->'operator_ids', '[]'))::bigint)
      ELSE true END
$$;

-- kijun_current_profile_version: the accepted plan version in force for a
-- sector in a fiscal year — of the plans covering the sector, one whose
-- period holds the year if any, the most recently accepted. NULL: none.
CREATE FUNCTION kijun_current_profile_version(p_sector text, p_fy int) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN (SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id
    WHERE v.status = 'accepted' AND p_sector = ANY (p.sector_codes)
    ORDER BY (p_fy IS NULL OR p_fy BETWEEN p.period_start AND p.period_end) DESC, v.decided_at DESC, v.id DESC
    LIMIT 1);
END
$$;

-- kijun_profile_controls is the hook of assessments into profiles: the
-- controls a NEW assessment of sector in fiscal year p_fy against catalog
-- p_catalog answers when an accepted profile is in force — the catalog's
-- controls for the sector minus those the profile marks not applicable,
-- plus the profile's supplementary controls, in section order. No rows:
-- no profile is in force, use the baseline. (A control of the catalog the
-- profile does not list, e.g. one new in a later version, applies.)
-- It runs as the owner so the result does not depend on who opens the
-- assessment; it returns only control text, nothing of the plan.
CREATE FUNCTION kijun_profile_controls(p_sector text, p_catalog bigint, p_fy int)
RETURNS TABLE (source text, ref text, catalog_id bigint, section_code text, themes text[], csf text[],
  title_ja text, title_en text, statement_ja text, statement_en text, evidence_expected boolean, sort_order int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH v AS (SELECT kijun_current_profile_version(p_sector, p_fy) AS id),
  items AS (
    SELECT c.ref, c.catalog_id, c.section_code, c.themes, c.csf, c.title_ja, c.title_en,
           c.statement_ja, c.statement_en, c.evidence_expected, 0 AS supp, c.sort_order AS ord
    FROM controls c, v
    WHERE v.id IS NOT NULL AND c.catalog_id = p_catalog
      AND (cardinality(c.sectors) = 0 OR p_sector = ANY (c.sectors))
      AND NOT EXISTS (SELECT FROM plan_profile_controls pc
                      WHERE pc.version_id = v.id AND pc.ref = c.ref AND NOT pc.applies)
    UNION ALL
    SELECT s.ref, NULL, s.section_code, s.themes, s.csf, s.title_ja, s.title_en,
           s.statement_ja, s.statement_en, s.evidence_expected, 1, 0
    FROM plan_supplementary_controls s, v
    WHERE s.version_id = v.id
  )
  SELECT 'profile:' || (SELECT id FROM v), i.ref, i.catalog_id, i.section_code, i.themes, i.csf,
         i.title_ja, i.title_en, i.statement_ja, i.statement_en, i.evidence_expected,
         (row_number() OVER (ORDER BY b.sort_order, i.supp, i.ord, i.ref))::int
  FROM items i JOIN baseline_sections b ON b.code = i.section_code
  ORDER BY 12
$$;
REVOKE ALL ON FUNCTION kijun_profile_controls FROM PUBLIC;
REVOKE ALL ON FUNCTION kijun_current_profile_version FROM PUBLIC;

-- kijun_sector_profile: the profile in force for a sector as the sector's
-- operators (and its ministry, and the NCO) read it — the published
-- columns only: no scope, KPIs, internal notes or review.
CREATE FUNCTION kijun_sector_profile(p_sector text, p_fy int)
RETURNS TABLE (version_id bigint, plan_id bigint, ministry_code text, version int, accepted_at timestamptz,
  title_ja text, title_en text, catalog_id bigint, supplementary boolean, ref text, section_code text,
  control_title_ja text, control_title_en text, statement_ja text, statement_en text,
  applies boolean, na_reason text, target_status text, target_maturity smallint, tailoring_note text,
  standard_doc text, standard_clause text, reflection text, reflection_on date, reflection_reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH v AS (
    SELECT pv.* FROM plan_versions pv
    WHERE pv.id = kijun_current_profile_version(p_sector, p_fy)
      AND (kijun_system() OR kijun_nco() OR p_sector = ANY (kijun_sectors())
           OR EXISTS (SELECT FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = p_sector))
  )
  SELECT v.id, v.plan_id, v.ministry_code, v.version, v.decided_at, v.title_ja, v.title_en, v.catalog_id,
         false, pc.ref, c.section_code, c.title_ja, c.title_en, c.statement_ja, c.statement_en,
         pc.applies, pc.na_reason, pc.target_status, pc.target_maturity, pc.tailoring_note,
         pc.standard_doc, pc.standard_clause, pc.reflection, pc.reflection_on, pc.reflection_reason
  FROM v JOIN plan_profile_controls pc ON pc.version_id = v.id
  JOIN controls c ON c.catalog_id = v.catalog_id AND c.ref = pc.ref
  UNION ALL
  SELECT v.id, v.plan_id, v.ministry_code, v.version, v.decided_at, v.title_ja, v.title_en, v.catalog_id,
         true, s.ref, s.section_code, s.title_ja, s.title_en, s.statement_ja, s.statement_en,
         true, '', s.target_status, s.target_maturity, '',
         s.standard_doc, s.standard_clause, s.reflection, s.reflection_on, s.reflection_reason
  FROM v JOIN plan_supplementary_controls s ON s.version_id = v.id;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_profile FROM PUBLIC;

-- Row-level security: the ministry's own plans; the NCO all. Operators
-- read none of these tables (see kijun_sector_profile).
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON plans FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plans_insert ON plans FOR INSERT WITH CHECK (ministry_code = ANY (kijun_ministries()));
CREATE POLICY plans_update ON plans FOR UPDATE
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_versions_read ON plan_versions FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_versions_insert ON plan_versions FOR INSERT WITH CHECK (ministry_code = ANY (kijun_ministries()));
-- The ministry edits and submits its versions; the NCO moves them through
-- review (the guard trigger says which transition is whose).
CREATE POLICY plan_versions_update ON plan_versions FOR UPDATE
  USING (kijun_nco() OR ministry_code = ANY (kijun_ministries()))
  WITH CHECK (kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_versions_delete ON plan_versions FOR DELETE USING (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_profile_controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_profile_controls_read ON plan_profile_controls FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_profile_controls_write ON plan_profile_controls FOR ALL
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_supplementary_controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_supplementary_controls_read ON plan_supplementary_controls FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_supplementary_controls_write ON plan_supplementary_controls FOR ALL
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_comments_read ON plan_comments FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_comments_insert ON plan_comments FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND (
    (author_side = 'nco' AND kijun_nco()) OR (author_side = 'ministry' AND ministry_code = ANY (kijun_ministries()))));

ALTER TABLE plan_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_events_read ON plan_events FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_events_insert ON plan_events FOR INSERT
  WITH CHECK (kijun_nco() OR ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_evaluations ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_evaluations_read ON plan_evaluations FOR SELECT
  USING (kijun_system() OR kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())));
CREATE POLICY plan_evaluations_insert ON plan_evaluations FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY plan_evaluations_update ON plan_evaluations FOR UPDATE
  USING (kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())))
  WITH CHECK (kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())));

GRANT SELECT, INSERT ON plans, plan_versions, plan_comments, plan_events, plan_evaluations TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plan_profile_controls, plan_supplementary_controls TO kijun_app;
GRANT UPDATE (period_end) ON plans TO kijun_app;
GRANT UPDATE (status, catalog_id, title_ja, title_en, scope, gathering, kpis, milestones, internal_note, edits,
  updated_at, submitted_at, submitted_by, decided_at, decided_by) ON plan_versions TO kijun_app;
GRANT DELETE ON plan_versions TO kijun_app;
GRANT UPDATE (findings, good_practices, improvement_requests, rating, status, published_at, response,
  responded_at, responded_by, edits, updated_at, plan_id) ON plan_evaluations TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_plan_scope_operators, kijun_profile_controls, kijun_current_profile_version,
  kijun_sector_profile TO kijun_app;


-- ===========================================================================
-- 7. Dashboards' derived tables
-- ===========================================================================
-- Per-sector sums that the national and ministry dashboards read instead
-- of every operator's rows, kept by triggers in the transaction of every
-- change, whoever writes: a committed change is in the sums, a rolled
-- back one is not. docs/dashboards.md ("Queries and cost") gives the
-- figures.
--
-- Locks. Each trigger sums its rows per key and applies the sums with
-- INSERT … ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x in key order:
-- concurrent changes in one sector add to each other's committed sums
-- (the second waits for the first's row locks), and taking the locks in
-- the same order avoids deadlocks. The AFTER triggers on assessments fire
-- in name order: assessments_counts_* (status counts), assessments_scr_*
-- (control sums), assessments_sector_rollups (rollup sums) — the same
-- order for every writer. Rows are not deleted when they fall to zero:
-- readers skip them. The sums have no CHECK >= 0: a subtraction is
-- checked as a new row before ON CONFLICT.
--
-- An assessment counts while it is submitted or accepted; a returned one
-- keeps its rollups but does not count.

-- sector_rollups: per cycle, sector and rollup dimension, the sum over the
-- rollups of the sector's assessments that count: assessments = number of
-- rollup rows, scored = rows with a score, sum_score = Σ score, and Σ of
-- each count column. The dashboards' mean score is sum_score / scored.
-- Kept by statement triggers on assessment_rollups (the store's rewrite at
-- submit and accept, the synthetic generator's COPY, a sector move
-- cascading sector_code) and on assessments (return subtracts the
-- assessment's rollups, resubmit adds them back before the store rewrites
-- them). Only submit, accept and return touch these rows; saving an
-- answer does not.
CREATE TABLE sector_rollups (
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  sector_code     text NOT NULL REFERENCES sectors(code),
  kind            text NOT NULL CHECK (kind IN ('overall', 'section', 'theme', 'csf_function')),
  key             text NOT NULL,
  assessments     int NOT NULL DEFAULT 0, -- rollup rows that count
  scored          int NOT NULL DEFAULT 0, -- of which with a score
  sum_score       numeric(14,4) NOT NULL DEFAULT 0, -- Σ score
  controls        int NOT NULL DEFAULT 0,
  answered        int NOT NULL DEFAULT 0,
  applicable      int NOT NULL DEFAULT 0,
  implemented     int NOT NULL DEFAULT 0,
  partial         int NOT NULL DEFAULT 0,
  not_implemented int NOT NULL DEFAULT 0,
  na              int NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, sector_code, kind, key)
);

-- kijun_sector_rollups_upsert is the statement that adds the rows of
-- p_rows — a query over transition tables yielding assessment_rollups'
-- columns and a sign (+1 add, -1 subtract) — to sector_rollups. The
-- trigger functions EXECUTE it themselves (transition tables are visible
-- only there), once per statement: one plan per submit, not per row.
CREATE FUNCTION kijun_sector_rollups_upsert(p_rows text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    INSERT INTO sector_rollups AS s (cycle_id, sector_code, kind, key, assessments, scored, sum_score,
        controls, answered, applicable, implemented, partial, not_implemented, na)
    SELECT r.cycle_id, r.sector_code, r.kind, r.key,
      sum(r.sign), sum(r.sign * (r.score IS NOT NULL)::int), coalesce(sum(r.sign * r.score), 0),
      sum(r.sign * r.controls), sum(r.sign * r.answered), sum(r.sign * r.applicable), sum(r.sign * r.implemented),
      sum(r.sign * r.partial), sum(r.sign * r.not_implemented), sum(r.sign * r.na)
    FROM (%s) r
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (cycle_id, sector_code, kind, key) DO UPDATE SET
      assessments = s.assessments + EXCLUDED.assessments, scored = s.scored + EXCLUDED.scored,
      sum_score = s.sum_score + EXCLUDED.sum_score, controls = s.controls + EXCLUDED.controls,
      answered = s.answered + EXCLUDED.answered, applicable = s.applicable + EXCLUDED.applicable,
      implemented = s.implemented + EXCLUDED.implemented, partial = s.partial + EXCLUDED.partial,
      not_implemented = s.not_implemented + EXCLUDED.not_implemented, na = s.na + EXCLUDED.na
  $q$, p_rows)
$$;

-- kijun_sector_rollups_rows: rows inserted into, deleted from or updated
-- in assessment_rollups (statement level, with transition tables; one
-- trigger per event), for assessments that count now.
CREATE FUNCTION kijun_sector_rollups_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_old text := 'SELECT o.*, -1 AS sign FROM kijun_old_rollups o JOIN assessments a ON a.id = o.assessment_id
    WHERE a.status IN (''submitted'', ''accepted'')';
  v_new text := 'SELECT n.*, 1 AS sign FROM kijun_new_rollups n JOIN assessments a ON a.id = n.assessment_id
    WHERE a.status IN (''submitted'', ''accepted'')';
BEGIN
  EXECUTE kijun_sector_rollups_upsert(CASE TG_OP WHEN 'INSERT' THEN v_new WHEN 'DELETE' THEN v_old
    ELSE v_old || ' UNION ALL ' || v_new END);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_rollups_rows FROM PUBLIC;
CREATE TRIGGER sector_rollups_insert AFTER INSERT ON assessment_rollups
  REFERENCING NEW TABLE AS kijun_new_rollups FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();
CREATE TRIGGER sector_rollups_delete AFTER DELETE ON assessment_rollups
  REFERENCING OLD TABLE AS kijun_old_rollups FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();
CREATE TRIGGER sector_rollups_update AFTER UPDATE ON assessment_rollups
  REFERENCING OLD TABLE AS kijun_old_rollups NEW TABLE AS kijun_new_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_rows();

-- kijun_sector_rollups_status: assessments moving into (resubmit) or out
-- of (return) the statuses that count bring or take their rollups with
-- them. Statement level (transition tables cannot go with UPDATE OF
-- status), so a bulk status update is one aggregate; a statement that
-- changes no status joins two tiny transition tables and does nothing.
CREATE FUNCTION kijun_sector_rollups_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE (o.status IN ('submitted', 'accepted')) <> (n.status IN ('submitted', 'accepted'))) THEN
    RETURN NULL;
  END IF;
  EXECUTE kijun_sector_rollups_upsert('SELECT r.*, CASE WHEN n.status IN (''submitted'', ''accepted'') THEN 1 ELSE -1 END AS sign
    FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
    JOIN assessment_rollups r ON r.assessment_id = n.id
    WHERE (o.status IN (''submitted'', ''accepted'')) <> (n.status IN (''submitted'', ''accepted''))');
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_rollups_status FROM PUBLIC;
CREATE TRIGGER assessments_sector_rollups AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_rollups_status();

-- kijun_rebuild_sector_rollups recomputes a cycle's rows from
-- assessment_rollups (the synthetic generator after its bulk load).
-- Owner only.
CREATE FUNCTION kijun_rebuild_sector_rollups(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  -- Block writers of the cycle's figures until the caller commits.
  LOCK TABLE sector_rollups IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_rollups WHERE cycle_id = p_cycle;
  INSERT INTO sector_rollups (cycle_id, sector_code, kind, key, assessments, scored, sum_score,
      controls, answered, applicable, implemented, partial, not_implemented, na)
  SELECT r.cycle_id, r.sector_code, r.kind, r.key, count(*), count(r.score), coalesce(sum(r.score), 0),
    sum(r.controls), sum(r.answered), sum(r.applicable), sum(r.implemented), sum(r.partial),
    sum(r.not_implemented), sum(r.na)
  FROM assessment_rollups r JOIN assessments a ON a.id = r.assessment_id
  WHERE r.cycle_id = p_cycle AND a.status IN ('submitted', 'accepted')
  GROUP BY 1, 2, 3, 4;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_rollups FROM PUBLIC;

-- kijun_sector_benchmark is the anonymised benchmark of an operator's
-- scorecard: per overall, section and theme of a sector in a cycle, the
-- number of scores and, for groups of at least 5 (small-group
-- suppression: postgres.MinBenchmarkGroup, from which a test derives this
-- 5), the continuous quartiles; never a row. It reads every operator's
-- rollups as the owner, so it is the wall: it answers only for a sector
-- the caller may benchmark against (a sector of one of the caller's
-- operators, a sector its ministry oversees, the NCO any), and nothing
-- otherwise.
CREATE FUNCTION kijun_sector_benchmark(p_cycle bigint, p_sector text)
RETURNS TABLE (kind text, key text, n int, quartiles float8[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT r.kind, r.key, count(r.score)::int,
    CASE WHEN count(r.score) >= 5 THEN percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY r.score) END
  FROM assessment_rollups r
  WHERE r.cycle_id = p_cycle AND r.sector_code = p_sector AND r.kind IN ('overall', 'section', 'theme')
    AND r.assessment_id NOT IN (SELECT x.id FROM assessments x
      WHERE x.cycle_id = p_cycle AND x.sector_code = p_sector AND x.status = 'returned')
    AND (kijun_system() OR kijun_nco() OR p_sector = ANY (kijun_sectors())
      OR EXISTS (SELECT FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = p_sector))
  GROUP BY 1, 2;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_benchmark FROM PUBLIC;

-- sector_status_counts: per cycle, sector and status, the number of
-- assessments. Overdue is not stored: the reader derives it (the cycle's
-- due date has passed, Asia/Tokyo, and the status is not started, in
-- progress or returned), since it changes with the date, not with a write.
--
-- One statement trigger per event on assessments keeps it: INSERT (a
-- cycle's assessments opened in one INSERT … SELECT, an operator
-- designated mid-cycle), UPDATE (status transitions, including the first
-- save's not_started → in_progress; a sector move cascading sector_code)
-- and DELETE. Each sums its transition tables per (cycle, sector, status)
-- — −1 per old row, +1 per new row — and drops the sums that cancel out,
-- so an update that changes none of the three columns (most updates of
-- assessments) locks and writes nothing. A statement that changes
-- anything in a (cycle, sector) upserts all five status rows of it
-- (unchanged ones + 0), so every change in a sector takes the same rows
-- in the same order. (Transition tables cannot go with UPDATE OF a column
-- list, hence AFTER UPDATE and the cancelling sums.)
CREATE TABLE sector_status_counts (
  cycle_id    bigint NOT NULL REFERENCES cycles(id),
  sector_code text NOT NULL REFERENCES sectors(code),
  status      text NOT NULL
              CHECK (status IN ('not_started', 'in_progress', 'submitted', 'returned', 'accepted')),
  n           int NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, sector_code, status)
);

CREATE FUNCTION kijun_sector_status_counts_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- The three branches differ only in their source of signed rows
  -- (transition tables exist only for their own event).
  IF TG_OP = 'INSERT' THEN
    WITH d AS (
      SELECT cycle_id, sector_code, status, count(*)::int AS n FROM kijun_new_assessments GROUP BY 1, 2, 3
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  ELSIF TG_OP = 'DELETE' THEN
    WITH d AS (
      SELECT cycle_id, sector_code, status, -count(*)::int AS n FROM kijun_old_assessments GROUP BY 1, 2, 3
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  ELSE
    WITH d AS (
      SELECT x.cycle_id, x.sector_code, x.status, sum(x.d)::int AS n
      FROM (SELECT o.cycle_id, o.sector_code, o.status, -1 AS d FROM kijun_old_assessments o
        UNION ALL SELECT w.cycle_id, w.sector_code, w.status, 1 FROM kijun_new_assessments w) x
      GROUP BY 1, 2, 3 HAVING sum(x.d) <> 0
    ), k AS (SELECT DISTINCT cycle_id, sector_code FROM d)
    INSERT INTO sector_status_counts AS s (cycle_id, sector_code, status, n)
    SELECT k.cycle_id, k.sector_code, st.status, coalesce(d.n, 0)
    FROM k CROSS JOIN unnest('{accepted,in_progress,not_started,returned,submitted}'::text[]) AS st(status)
    LEFT JOIN d ON d.cycle_id = k.cycle_id AND d.sector_code = k.sector_code AND d.status = st.status
    ORDER BY 1, 2, 3
    ON CONFLICT (cycle_id, sector_code, status) DO UPDATE SET n = s.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_status_counts_rows FROM PUBLIC;
CREATE TRIGGER assessments_counts_insert AFTER INSERT ON assessments
  REFERENCING NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();
CREATE TRIGGER assessments_counts_update AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();
CREATE TRIGGER assessments_counts_delete AFTER DELETE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_status_counts_rows();

-- kijun_rebuild_sector_status_counts recomputes a cycle's rows from
-- assessments (the synthetic generator after its bulk load). Owner only.
CREATE FUNCTION kijun_rebuild_sector_status_counts(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  -- Block writers of the cycle's counts until the caller commits.
  LOCK TABLE sector_status_counts IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_status_counts WHERE cycle_id = p_cycle;
  INSERT INTO sector_status_counts (cycle_id, sector_code, status, n)
  SELECT cycle_id, sector_code, status, count(*) FROM assessments
  WHERE cycle_id = p_cycle GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_status_counts FROM PUBLIC;

-- sector_control_rollups: per cycle, sector and control, over the answers
-- of the sector's assessments that count: answers = how many,
-- implemented / partial / not_implemented / na = how many with that
-- status, sum_weight = Σ of the answer scale's weight over the applicable
-- ones. A control's mean score is sum_weight / (implemented + partial +
-- not_implemented). A ministry's "weakest controls" reads ~100 rows of one
-- sector instead of aggregating 8,000 assessments × 100 answers.
--
-- The answers of an assessment that counts cannot change
-- (kijun_answers_guard), so the sums change only when an assessment moves
-- into or out of the statuses that count, or moves cycle or sector while
-- counting: one statement trigger on assessments subtracts the old side
-- and adds the new one, per (cycle, sector, ref). Saving an answer never
-- touches these rows.
CREATE TABLE sector_control_rollups (
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  sector_code     text NOT NULL REFERENCES sectors(code),
  ref             text NOT NULL,
  answers         int NOT NULL DEFAULT 0,
  implemented     int NOT NULL DEFAULT 0,
  partial         int NOT NULL DEFAULT 0,
  not_implemented int NOT NULL DEFAULT 0,
  na              int NOT NULL DEFAULT 0,
  sum_weight      numeric(14,2) NOT NULL DEFAULT 0,
  PRIMARY KEY (cycle_id, sector_code, ref)
);

CREATE FUNCTION kijun_sector_control_rollups_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- Most statements (every first save, every submit's version bump) move
  -- nothing: one look at the two transition tables.
  IF NOT EXISTS (SELECT FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE (o.status IN ('submitted', 'accepted') OR n.status IN ('submitted', 'accepted'))
        AND ((o.status IN ('submitted', 'accepted')) <> (n.status IN ('submitted', 'accepted'))
          OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code))) THEN
    RETURN NULL;
  END IF;
  -- The answers that move: the old side of an assessment that counted,
  -- the new side of one that counts, where counting, cycle or sector
  -- changed.
  WITH c AS (
    SELECT o.id, o.cycle_id, o.sector_code, -1 AS sign FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE o.status IN ('submitted', 'accepted')
        AND (n.status NOT IN ('submitted', 'accepted') OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code))
    UNION ALL
    SELECT n.id, n.cycle_id, n.sector_code, 1 FROM kijun_old_assessments o JOIN kijun_new_assessments n ON n.id = o.id
      WHERE n.status IN ('submitted', 'accepted')
        AND (o.status NOT IN ('submitted', 'accepted') OR (o.cycle_id, o.sector_code) <> (n.cycle_id, n.sector_code)))
  INSERT INTO sector_control_rollups AS s (cycle_id, sector_code, ref, answers, implemented, partial,
      not_implemented, na, sum_weight)
  SELECT c.cycle_id, c.sector_code, x.ref, sum(c.sign),
    sum(c.sign * (x.status = 'implemented')::int), sum(c.sign * (x.status = 'partial')::int),
    sum(c.sign * (x.status = 'not_implemented')::int), sum(c.sign * (sc.weight IS NULL)::int),
    coalesce(sum(c.sign * sc.weight), 0)
  FROM c
  JOIN answers x ON x.assessment_id = c.id
  JOIN answer_scale sc ON sc.code = x.status
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (cycle_id, sector_code, ref) DO UPDATE SET
    answers = s.answers + EXCLUDED.answers, implemented = s.implemented + EXCLUDED.implemented,
    partial = s.partial + EXCLUDED.partial, not_implemented = s.not_implemented + EXCLUDED.not_implemented,
    na = s.na + EXCLUDED.na, sum_weight = s.sum_weight + EXCLUDED.sum_weight;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kijun_sector_control_rollups_status FROM PUBLIC;
CREATE TRIGGER assessments_scr_update AFTER UPDATE ON assessments
  REFERENCING OLD TABLE AS kijun_old_assessments NEW TABLE AS kijun_new_assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_sector_control_rollups_status();

-- kijun_rebuild_sector_control_rollups recomputes a cycle's rows from the
-- answers (the synthetic generator after its bulk load). Owner only.
CREATE FUNCTION kijun_rebuild_sector_control_rollups(p_cycle bigint) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_n int;
BEGIN
  LOCK TABLE sector_control_rollups IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM sector_control_rollups WHERE cycle_id = p_cycle;
  INSERT INTO sector_control_rollups (cycle_id, sector_code, ref, answers, implemented, partial,
      not_implemented, na, sum_weight)
  SELECT a.cycle_id, a.sector_code, x.ref, count(*),
    count(*) FILTER (WHERE x.status = 'implemented'), count(*) FILTER (WHERE x.status = 'partial'),
    count(*) FILTER (WHERE x.status = 'not_implemented'), count(*) FILTER (WHERE sc.weight IS NULL),
    coalesce(sum(sc.weight), 0)
  FROM assessments a JOIN answers x ON x.assessment_id = a.id JOIN answer_scale sc ON sc.code = x.status
  WHERE a.cycle_id = p_cycle AND a.status IN ('submitted', 'accepted')
  GROUP BY 1, 2, 3;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_rebuild_sector_control_rollups FROM PUBLIC;

-- Read: the NCO every sector, a ministry the sectors it oversees.
-- Operators never read these tables (they see a sector only through
-- kijun_sector_benchmark). Nobody writes them but the triggers.
ALTER TABLE sector_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_rollups_read ON sector_rollups FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
ALTER TABLE sector_status_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_status_counts_read ON sector_status_counts FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
ALTER TABLE sector_control_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY sector_control_rollups_read ON sector_control_rollups FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));

GRANT SELECT ON sector_rollups, sector_status_counts, sector_control_rollups TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_sector_benchmark TO kijun_app;
