-- The operator register beyond the operators table of 000002: withdrawal,
-- important systems, contacts, and corrections that operators propose to
-- their own record and the overseeing ministry (or NCO) accepts or
-- rejects. Independent of 000003 (catalogs). RLS follows 000002's recipe:
-- every row carries sector_code and operator_id so policies need no join.

-- Withdrawal is recorded, never a delete; status stays the one switch
-- that other tables read.
ALTER TABLE operators
  ADD COLUMN withdrawn_at     timestamptz,
  ADD COLUMN withdrawn_reason text NOT NULL DEFAULT '',
  ADD CONSTRAINT operators_withdrawn CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL));
CREATE INDEX operators_status ON operators(status, sector_code);

-- Children reference (id, sector_code) with ON UPDATE CASCADE, so moving
-- an operator to another sector moves their denormalised sector_code too
-- and a child can never claim another sector than its operator's.
ALTER TABLE operators ADD CONSTRAINT operators_id_sector UNIQUE (id, sector_code);

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
