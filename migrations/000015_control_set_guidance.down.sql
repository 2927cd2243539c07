-- Back to 000006: the selection without guidance, the set without its copy.
DROP FUNCTION kijun_profile_controls(text, bigint, int);
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
REVOKE ALL ON FUNCTION kijun_profile_controls FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_profile_controls TO kijun_app;

ALTER TABLE control_set_items DROP COLUMN guidance_ja, DROP COLUMN guidance_en;
