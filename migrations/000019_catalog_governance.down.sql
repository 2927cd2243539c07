-- Back to draft → published → superseded. Versions under consultation or
-- decided (not yet in force) become drafts again; the decisions, reasons,
-- comments and public-comment results go with their tables.
DROP POLICY catalogs_read ON catalogs;
CREATE POLICY catalogs_read ON catalogs FOR SELECT
  USING (kijun_system() OR kijun_nco() OR (status <> 'draft' AND kijun_user_id() IS NOT NULL));

DROP POLICY catalogs_system_update ON catalogs;
DROP TRIGGER cycles_catalog ON cycles;
DROP FUNCTION kijun_cycles_catalog();

DROP TABLE catalog_public_comments, catalog_comments, catalog_revision_reasons, catalog_decisions;
DROP FUNCTION kijun_catalog_consultation_guard();
DROP FUNCTION kijun_catalog_reasons_guard();
DROP FUNCTION kijun_catalog_decisions_guard();

ALTER TABLE catalogs DISABLE TRIGGER catalogs_guard;
UPDATE catalogs SET status = 'draft' WHERE status IN ('consultation', 'decided');
ALTER TABLE catalogs ENABLE TRIGGER catalogs_guard;

CREATE OR REPLACE FUNCTION kijun_catalogs_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
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
DROP FUNCTION kijun_catalog_status(bigint);

DROP INDEX catalogs_one_draft;
CREATE UNIQUE INDEX catalogs_one_draft ON catalogs(code) WHERE status = 'draft';

ALTER TABLE catalogs DROP COLUMN consultation_opened_at, DROP COLUMN consultation_opened_by_name;
ALTER TABLE catalogs DROP CONSTRAINT catalogs_in_force_at;
ALTER TABLE catalogs ADD CONSTRAINT catalogs_check CHECK ((status = 'draft') = (published_at IS NULL));
ALTER TABLE catalogs DROP CONSTRAINT catalogs_status_check;
ALTER TABLE catalogs ADD CONSTRAINT catalogs_status_check CHECK (status IN ('draft', 'published', 'superseded'));
