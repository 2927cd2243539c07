-- kijun_scope_grants as migration 000014 left it: without service accounts.
CREATE OR REPLACE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT x.user_id, x.role, x.ministry_code, x.operator_id, x.sector_code FROM (
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.role LIKE 'nco_%' AND g.revoked_at IS NULL
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.ministry_code IS NOT NULL AND g.revoked_at IS NULL AND (g.ministry_code = p_ministry
       OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.operator_id = p_operator AND g.revoked_at IS NULL) x
  WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id AND u.service)
  ORDER BY x.user_id, x.id
$$;
DROP FUNCTION kijun_scope_recipients;
