CREATE OR REPLACE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code
  FROM role_grants g
  WHERE g.revoked_at IS NULL AND (
       g.role LIKE 'nco_%'
    OR g.ministry_code IS NOT NULL AND (g.ministry_code = p_ministry
         OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    OR g.operator_id IS NOT NULL AND g.operator_id = p_operator)
  ORDER BY g.user_id, g.id
$$;
DROP INDEX role_grants_nco;
DROP TABLE reminders_sent;
DROP FUNCTION kijun_reminder_fires;
DROP TABLE reminder_rules;
