-- The three functions as SQL functions again.

CREATE OR REPLACE FUNCTION kijun_current_profile_version(p_sector text, p_fy int) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id
  WHERE v.status = 'accepted' AND p_sector = ANY (p.sector_codes)
  ORDER BY (p_fy IS NULL OR p_fy BETWEEN p.period_start AND p.period_end) DESC, v.decided_at DESC, v.id DESC
  LIMIT 1
$$;

CREATE OR REPLACE FUNCTION kijun_sector_profile(p_sector text, p_fy int)
RETURNS TABLE (version_id bigint, plan_id bigint, ministry_code text, version int, accepted_at timestamptz,
  title_ja text, title_en text, catalog_id bigint, supplementary boolean, ref text, section_code text,
  control_title_ja text, control_title_en text, statement_ja text, statement_en text,
  applies boolean, na_reason text, target_status text, target_maturity smallint, tailoring_note text,
  standard_doc text, standard_clause text, reflection text, reflection_on date, reflection_reason text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
  FROM v JOIN plan_supplementary_controls s ON s.version_id = v.id
$$;

CREATE OR REPLACE FUNCTION kijun_sector_benchmark(p_cycle bigint, p_sector text)
RETURNS TABLE (kind text, key text, n int, quartiles float8[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT r.kind, r.key, count(r.score)::int,
    CASE WHEN count(r.score) >= 5 THEN percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY r.score) END
  FROM assessment_rollups r
  WHERE r.cycle_id = p_cycle AND r.sector_code = p_sector AND r.kind IN ('overall', 'section', 'theme')
    AND r.assessment_id NOT IN (SELECT x.id FROM assessments x WHERE x.cycle_id = p_cycle AND x.status = 'returned')
    AND (kijun_system() OR kijun_nco() OR p_sector = ANY (kijun_sectors())
      OR EXISTS (SELECT FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = p_sector))
  GROUP BY 1, 2
$$;
