-- Baseline control catalogs in the database: versions (draft → published →
-- superseded) and their controls, with search and row-level security.
--
-- Published versions are immutable, and the database says so itself: the
-- triggers below refuse, for every role including the owner, any change to
-- the controls of a non-draft catalog and any change to a published
-- catalog other than published → superseded. The error carries SQLSTATE
-- KJ001 so the store can turn it into the message catalog.published_immutable.

-- Trigram indexes make substring search (ILIKE '%…%') indexable in any
-- language: PostgreSQL has no Japanese tokenizer, but trigrams of
-- 「バックアップ」 need none. Trigrams of non-ASCII letters need a UTF-8
-- LC_CTYPE (C.UTF-8, ja_JP.UTF-8, …); under plain C the search stays
-- correct but cannot use the index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

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
