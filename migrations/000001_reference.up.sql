-- Reference data of the 重要インフラ統一基準: ministries, sectors, business
-- scopes, oversight, CEPTOAR bodies, example operators and systems, baseline
-- sections and themes. Public to every signed-in user; edited by NCO admins.

-- kijun_app is the role the server connects as. It owns nothing; each
-- migration grants it exactly what it needs. Created here (NOLOGIN) so
-- grants work; the deployment gives it LOGIN and a password.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kijun_app') THEN
    CREATE ROLE kijun_app NOLOGIN;
  END IF;
END
$$;

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
  UNIQUE (sector_code, name_ja)
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

-- The server checks the schema version at start and in /readyz.
GRANT SELECT ON schema_migrations TO kijun_app;
