-- A plan covers several sectors; each profile row and supplementary
-- control now names the sectors it applies to, and an assessment gets
-- only the rows of its operator's sector.
ALTER TABLE plan_profile_controls ADD COLUMN sectors text[] NOT NULL DEFAULT '{}';
ALTER TABLE plan_supplementary_controls ADD COLUMN sectors text[] NOT NULL DEFAULT '{}';

-- Existing rows: a profile row holds for the plan's sectors the control
-- applies to; a supplementary control for the sector its ref names
-- (ELECTRICITY-S01 → electricity) when the plan covers it, else for all
-- the plan's sectors. Submitted versions never change, so the guards are
-- off for this one backfill.
ALTER TABLE plan_profile_controls DISABLE TRIGGER plan_profile_controls_guard;
ALTER TABLE plan_supplementary_controls DISABLE TRIGGER plan_supplementary_controls_guard;
UPDATE plan_profile_controls pc SET sectors = coalesce((
    SELECT array_agg(s ORDER BY s) FROM plan_versions v JOIN plans p ON p.id = v.plan_id,
      unnest(p.sector_codes) s
    WHERE v.id = pc.version_id AND NOT EXISTS (SELECT FROM controls c WHERE c.catalog_id = v.catalog_id
      AND c.ref = pc.ref AND cardinality(c.sectors) > 0 AND NOT s = ANY (c.sectors))), '{}');
UPDATE plan_supplementary_controls sc SET sectors = (
    SELECT CASE WHEN lower(split_part(sc.ref, '-', 1)) = ANY (p.sector_codes)
      THEN ARRAY[lower(split_part(sc.ref, '-', 1))] ELSE p.sector_codes END
    FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE v.id = sc.version_id);
DELETE FROM plan_profile_controls WHERE sectors = '{}'; -- a control of none of the plan's sectors
ALTER TABLE plan_profile_controls ENABLE TRIGGER plan_profile_controls_guard;
ALTER TABLE plan_supplementary_controls ENABLE TRIGGER plan_supplementary_controls_guard;

ALTER TABLE plan_profile_controls ALTER COLUMN sectors DROP DEFAULT,
  ADD CONSTRAINT plan_profile_controls_sectors CHECK (cardinality(sectors) BETWEEN 1 AND 20);
ALTER TABLE plan_supplementary_controls ALTER COLUMN sectors DROP DEFAULT,
  ADD CONSTRAINT plan_supplementary_controls_sectors CHECK (cardinality(sectors) BETWEEN 1 AND 20);

-- kijun_plan_rows_sectors: a row's sectors are sectors of its plan, and
-- a profile row's are sectors its catalog control applies to.
CREATE FUNCTION kijun_plan_rows_sectors() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_plan text[];
  v_control text[];
BEGIN
  SELECT p.sector_codes INTO v_plan FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE v.id = NEW.version_id;
  IF NOT NEW.sectors <@ v_plan THEN
    RAISE EXCEPTION 'plan version %, %: sectors % are not all sectors of the plan (%)', NEW.version_id, NEW.ref,
      NEW.sectors, v_plan USING ERRCODE = '23514';
  END IF;
  IF TG_TABLE_NAME = 'plan_profile_controls' THEN
    SELECT c.sectors INTO v_control FROM plan_versions v JOIN controls c ON c.catalog_id = v.catalog_id AND c.ref = NEW.ref
    WHERE v.id = NEW.version_id;
    IF cardinality(v_control) > 0 AND NOT NEW.sectors <@ v_control THEN
      RAISE EXCEPTION 'plan version %, %: the control applies only to %', NEW.version_id, NEW.ref, v_control
        USING ERRCODE = '23514';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_profile_controls_sectors BEFORE INSERT OR UPDATE OF sectors, ref, version_id ON plan_profile_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_sectors();
CREATE TRIGGER plan_supplementary_controls_sectors BEFORE INSERT OR UPDATE OF sectors, ref, version_id
  ON plan_supplementary_controls FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_sectors();

-- The controls a new assessment of p_sector answers: only the profile
-- rows and supplementary controls of that sector count.
CREATE OR REPLACE FUNCTION kijun_profile_controls(p_sector text, p_catalog bigint, p_fy int)
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
                      WHERE pc.version_id = v.id AND pc.ref = c.ref AND NOT pc.applies AND p_sector = ANY (pc.sectors))
    UNION ALL
    SELECT s.ref, NULL, s.section_code, s.themes, s.csf, s.title_ja, s.title_en,
           s.statement_ja, s.statement_en, s.evidence_expected, 1, 0
    FROM plan_supplementary_controls s, v
    WHERE s.version_id = v.id AND p_sector = ANY (s.sectors)
  )
  SELECT 'profile:' || (SELECT id FROM v), i.ref, i.catalog_id, i.section_code, i.themes, i.csf,
         i.title_ja, i.title_en, i.statement_ja, i.statement_en, i.evidence_expected,
         (row_number() OVER (ORDER BY b.sort_order, i.supp, i.ord, i.ref))::int
  FROM items i JOIN baseline_sections b ON b.code = i.section_code
  ORDER BY 12
$$;

-- The profile in force as a sector reads it: only its own rows.
CREATE OR REPLACE FUNCTION kijun_sector_profile(p_sector text, p_fy int)
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
  FROM v JOIN plan_profile_controls pc ON pc.version_id = v.id AND p_sector = ANY (pc.sectors)
  JOIN controls c ON c.catalog_id = v.catalog_id AND c.ref = pc.ref
  UNION ALL
  SELECT v.id, v.plan_id, v.ministry_code, v.version, v.decided_at, v.title_ja, v.title_en, v.catalog_id,
         true, s.ref, s.section_code, s.title_ja, s.title_en, s.statement_ja, s.statement_en,
         true, '', s.target_status, s.target_maturity, '',
         s.standard_doc, s.standard_clause, s.reflection, s.reflection_on, s.reflection_reason
  FROM v JOIN plan_supplementary_controls s ON s.version_id = v.id AND p_sector = ANY (s.sectors);
END
$$;
