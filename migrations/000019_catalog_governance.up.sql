-- Catalog governance: a baseline version moves
--   draft (草案) → consultation (意見募集) → decided (決定) → published (施行中, in force from its 施行日) → superseded,
-- and consultation may go back to draft for another round of edits.
-- The stored status 'published' keeps its name and now means "in force":
-- every query, policy and trigger that reads it (plans, cycles, RLS) keeps
-- working, and a version only reaches it through a decision.
--
-- What the database enforces on its own:
--   * a version is decided, in force or superseded only with a decision
--     record (catalog_decisions), and in force only from its 施行日 (JST);
--   * a decision record, and the reasons for revision, never change once
--     the version has left the draft;
--   * comments are taken only while the version is under consultation;
--   * a cycle binds only a version in force.
-- Versions published before this migration are recorded as decided and in
-- force by a decision of the migration itself (docs/catalog-governance.md).

ALTER TABLE catalogs DROP CONSTRAINT catalogs_status_check;
ALTER TABLE catalogs ADD CONSTRAINT catalogs_status_check
  CHECK (status IN ('draft', 'consultation', 'decided', 'published', 'superseded'));
ALTER TABLE catalogs DROP CONSTRAINT catalogs_check;
-- published_at is when the version came into force.
ALTER TABLE catalogs ADD CONSTRAINT catalogs_in_force_at
  CHECK ((status IN ('published', 'superseded')) = (published_at IS NOT NULL));
ALTER TABLE catalogs
  ADD COLUMN consultation_opened_at timestamptz,
  ADD COLUMN consultation_opened_by_name text NOT NULL DEFAULT '';

-- One version in progress (draft, consultation or decided) per code.
DROP INDEX catalogs_one_draft;
CREATE UNIQUE INDEX catalogs_one_draft ON catalogs(code) WHERE status IN ('draft', 'consultation', 'decided');

-- The decision (決定) of a version: which body decided it, under what
-- reference (e.g. 推進専門家会議 第12回 決定番号), on which day, and from
-- which day it is in force (施行日, a date in Japan).
CREATE TABLE catalog_decisions (
  catalog_id       bigint PRIMARY KEY REFERENCES catalogs(id),
  decided_by       text NOT NULL CHECK (btrim(decided_by) <> '' AND length(decided_by) <= 200),
  reference        text NOT NULL CHECK (btrim(reference) <> '' AND length(reference) <= 200),
  decided_on       date NOT NULL,
  effective_on     date NOT NULL CHECK (effective_on >= decided_on),
  note             text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
  recorded_by      bigint REFERENCES users(id),
  recorded_by_name text NOT NULL DEFAULT '',
  recorded_at      timestamptz NOT NULL DEFAULT now()
);

-- Existing published and superseded versions: decided and in force by the
-- migration, on the day they were published.
INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on, note, recorded_by_name)
SELECT id, 'migration 000019',
       'migration 000019: published before catalog governance',
       (published_at AT TIME ZONE 'Asia/Tokyo')::date, (published_at AT TIME ZONE 'Asia/Tokyo')::date,
       'Recorded by the migration that introduced catalog governance; the version was published directly.',
       published_by_name
FROM catalogs WHERE status IN ('published', 'superseded');

-- 改定理由: why a control was added, changed or removed in this version,
-- by ref (a removed control is no longer in the version's controls).
CREATE TABLE catalog_revision_reasons (
  catalog_id bigint NOT NULL REFERENCES catalogs(id),
  ref        text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  reason     text NOT NULL CHECK (btrim(reason) <> '' AND length(reason) <= 2000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (catalog_id, ref)
);

-- Comments collected during consultation, from ministries, on the version
-- (ref '') or on one control.
CREATE TABLE catalog_comments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  catalog_id    bigint NOT NULL REFERENCES catalogs(id),
  ref           text NOT NULL DEFAULT '' CHECK (ref = '' OR ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  ministry_code text NOT NULL REFERENCES ministries(code),
  body          text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 4000),
  author_id     bigint REFERENCES users(id),
  author_name   text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_comments_catalog ON catalog_comments(catalog_id, id);

-- The results of the public comment (パブリックコメント), attached as a
-- document with a summary.
CREATE TABLE catalog_public_comments (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  catalog_id       bigint NOT NULL REFERENCES catalogs(id),
  summary          text NOT NULL CHECK (btrim(summary) <> '' AND length(summary) <= 4000),
  file_name        text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255),
  content_type     text NOT NULL,
  size             bigint NOT NULL CHECK (size > 0 AND size <= 52428800),
  sha256           bytea NOT NULL CHECK (length(sha256) = 32),
  bytes            bytea NOT NULL,
  uploaded_by      bigint REFERENCES users(id),
  uploaded_by_name text NOT NULL DEFAULT '',
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(bytes) = size)
);
CREATE INDEX catalog_public_comments_catalog ON catalog_public_comments(catalog_id, id);

-- kijun_catalog_status reads a catalog's status under a share lock, for
-- the guards of its children (as the owner: no grant or policy needed).
CREATE FUNCTION kijun_catalog_status(p_id bigint) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT status FROM catalogs WHERE id = p_id FOR SHARE
$$;

-- The catalogs guard, with the governance states.
CREATE OR REPLACE FUNCTION kijun_catalogs_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_effective date;
  v_same boolean;
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
  SELECT effective_on INTO v_effective FROM catalog_decisions WHERE catalog_id = NEW.id;
  IF NEW.status IN ('decided', 'published', 'superseded') AND v_effective IS NULL THEN
    RAISE EXCEPTION 'catalog %: a % catalog needs a decision record', NEW.id, NEW.status USING ERRCODE = 'KJ001';
  END IF;
  -- Apart from a draft's edits, only the status and its own columns move.
  v_same := to_jsonb(NEW) - ARRAY['status', 'published_at', 'published_by', 'published_by_name',
              'consultation_opened_at', 'consultation_opened_by_name']
          = to_jsonb(OLD) - ARRAY['status', 'published_at', 'published_by', 'published_by_name',
              'consultation_opened_at', 'consultation_opened_by_name'];
  IF OLD.status = 'draft' AND NEW.status = 'draft' AND NEW.published_at IS NULL THEN
    RETURN NEW;
  END IF;
  IF v_same AND NEW.published_at IS NULL AND NEW.published_by IS NOT DISTINCT FROM OLD.published_by
     AND NEW.published_by_name = OLD.published_by_name AND (
       (OLD.status = 'draft' AND NEW.status = 'consultation' AND NEW.consultation_opened_at IS NOT NULL) OR
       (OLD.status = 'consultation' AND NEW.status = 'draft') OR
       (OLD.status = 'consultation' AND NEW.status = 'decided'
        AND NEW.consultation_opened_at IS NOT DISTINCT FROM OLD.consultation_opened_at)) THEN
    RETURN NEW;
  END IF;
  IF v_same AND OLD.status = 'decided' AND NEW.status = 'published'
     AND NEW.consultation_opened_at IS NOT DISTINCT FROM OLD.consultation_opened_at THEN
    IF v_effective > (now() AT TIME ZONE 'Asia/Tokyo')::date THEN
      RAISE EXCEPTION 'catalog %: in force only from %', NEW.id, v_effective USING ERRCODE = 'KJ001';
    END IF;
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

-- A decision is recorded once, for a version under consultation, and
-- never changes.
CREATE FUNCTION kijun_catalog_decisions_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF kijun_catalog_status(NEW.catalog_id) IS DISTINCT FROM 'consultation' THEN
      RAISE EXCEPTION 'catalog %: only a version under consultation can be decided', NEW.catalog_id
        USING ERRCODE = 'KJ001';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'catalog %: a decision record cannot be changed', OLD.catalog_id USING ERRCODE = 'KJ001';
END
$$;
CREATE TRIGGER catalog_decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON catalog_decisions
  FOR EACH ROW EXECUTE FUNCTION kijun_catalog_decisions_guard();

-- Reasons change with the draft's controls, and only then.
CREATE FUNCTION kijun_catalog_reasons_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint := CASE TG_OP WHEN 'DELETE' THEN OLD.catalog_id ELSE NEW.catalog_id END;
  v_status text := kijun_catalog_status(v_id);
BEGIN
  IF v_status IS NOT NULL AND v_status <> 'draft' THEN
    RAISE EXCEPTION 'catalog %: the reasons of a % catalog cannot be changed', v_id, v_status USING ERRCODE = 'KJ001';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.catalog_id <> OLD.catalog_id THEN
    RAISE EXCEPTION 'a reason cannot move to another catalog' USING ERRCODE = 'KJ001';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER catalog_revision_reasons_guard BEFORE INSERT OR UPDATE OR DELETE ON catalog_revision_reasons
  FOR EACH ROW EXECUTE FUNCTION kijun_catalog_reasons_guard();

-- Comments and public-comment results are taken while the version is
-- under consultation, and never change afterwards.
CREATE FUNCTION kijun_catalog_consultation_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF kijun_catalog_status(NEW.catalog_id) IS DISTINCT FROM 'consultation' THEN
      RAISE EXCEPTION 'catalog %: comments are taken only under consultation', NEW.catalog_id USING ERRCODE = 'KJ001';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a consultation record cannot be changed' USING ERRCODE = 'KJ001';
END
$$;
CREATE TRIGGER catalog_comments_guard BEFORE INSERT OR UPDATE OR DELETE ON catalog_comments
  FOR EACH ROW EXECUTE FUNCTION kijun_catalog_consultation_guard();
CREATE TRIGGER catalog_public_comments_guard BEFORE INSERT OR UPDATE OR DELETE ON catalog_public_comments
  FOR EACH ROW EXECUTE FUNCTION kijun_catalog_consultation_guard();

CREATE TRIGGER catalog_decisions_no_truncate BEFORE TRUNCATE ON catalog_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();
CREATE TRIGGER catalog_comments_no_truncate BEFORE TRUNCATE ON catalog_comments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();
CREATE TRIGGER catalog_public_comments_no_truncate BEFORE TRUNCATE ON catalog_public_comments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();
CREATE TRIGGER catalog_revision_reasons_no_truncate BEFORE TRUNCATE ON catalog_revision_reasons
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_catalogs_no_truncate();

-- A cycle binds only a version in force.
CREATE FUNCTION kijun_cycles_catalog() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_status text := kijun_catalog_status(NEW.catalog_id);
BEGIN
  IF v_status IS DISTINCT FROM 'published' THEN
    RAISE EXCEPTION 'cycle: catalog % is not in force (%)', NEW.catalog_id, v_status USING ERRCODE = 'KJ001';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER cycles_catalog BEFORE INSERT OR UPDATE OF catalog_id ON cycles
  FOR EACH ROW EXECUTE FUNCTION kijun_cycles_catalog();

-- Who reads what: versions in force, decided or superseded are the
-- standard everyone reads; a version under consultation is read by the
-- NCO and the ministries; drafts by the NCO only.
DROP POLICY catalogs_read ON catalogs;
CREATE POLICY catalogs_read ON catalogs FOR SELECT
  USING (kijun_system() OR kijun_nco()
    OR (status IN ('decided', 'published', 'superseded') AND kijun_user_id() IS NOT NULL)
    OR (status = 'consultation' AND cardinality(kijun_ministries()) > 0));

-- The daily job brings decided versions into force on their 施行日 in a
-- system transaction.
CREATE POLICY catalogs_system_update ON catalogs FOR UPDATE USING (kijun_system()) WITH CHECK (kijun_system());

ALTER TABLE catalog_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY catalog_decisions_read ON catalog_decisions FOR SELECT
  USING (EXISTS (SELECT FROM catalogs c WHERE c.id = catalog_decisions.catalog_id));
CREATE POLICY catalog_decisions_insert ON catalog_decisions FOR INSERT WITH CHECK (kijun_nco());

ALTER TABLE catalog_revision_reasons ENABLE ROW LEVEL SECURITY;
CREATE POLICY catalog_revision_reasons_read ON catalog_revision_reasons FOR SELECT
  USING (EXISTS (SELECT FROM catalogs c WHERE c.id = catalog_revision_reasons.catalog_id));
CREATE POLICY catalog_revision_reasons_insert ON catalog_revision_reasons FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY catalog_revision_reasons_update ON catalog_revision_reasons FOR UPDATE USING (kijun_nco()) WITH CHECK (kijun_nco());
CREATE POLICY catalog_revision_reasons_delete ON catalog_revision_reasons FOR DELETE USING (kijun_nco());

-- The NCO reads every comment; a ministry reads and writes its own.
ALTER TABLE catalog_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY catalog_comments_read ON catalog_comments FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY catalog_comments_insert ON catalog_comments FOR INSERT
  WITH CHECK (ministry_code = ANY (kijun_ministries()) AND author_id = kijun_user_id()
    AND EXISTS (SELECT FROM catalogs c WHERE c.id = catalog_comments.catalog_id));

-- The public-comment results are public once attached: whoever reads the
-- version reads them.
ALTER TABLE catalog_public_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY catalog_public_comments_read ON catalog_public_comments FOR SELECT
  USING (EXISTS (SELECT FROM catalogs c WHERE c.id = catalog_public_comments.catalog_id));
CREATE POLICY catalog_public_comments_insert ON catalog_public_comments FOR INSERT WITH CHECK (kijun_nco());

GRANT SELECT, INSERT ON catalog_decisions, catalog_comments, catalog_public_comments TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON catalog_revision_reasons TO kijun_app;
