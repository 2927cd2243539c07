DROP TRIGGER plan_profile_controls_sectors ON plan_profile_controls;
DROP TRIGGER plan_supplementary_controls_sectors ON plan_supplementary_controls;
DROP FUNCTION kijun_plan_rows_sectors;

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

ALTER TABLE plan_profile_controls DROP COLUMN sectors;
ALTER TABLE plan_supplementary_controls DROP COLUMN sectors;
