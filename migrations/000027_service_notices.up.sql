-- Service accounts receive notices (docs/notifications.md, docs/api.md):
-- the in-portal notices their one grant's scope would receive, read
-- through the API's GET /notifications, while they may act: their grant
-- is active (revoking a token or a client link revokes it) and their API
-- token, if they have one, is neither revoked nor expired. Never mail
-- (Notify queues none for them and the mail workers skip them).
--
-- kijun_scope_recipients is kijun_scope_grants (three index scans) with
-- whether each holder is a service account, which Notify reads;
-- kijun_scope_grants, which the notifications_insert policy asks, keeps
-- its columns and now answers with it, so the policy is unchanged.
CREATE FUNCTION kijun_scope_recipients(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text, service boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT x.user_id, x.role, x.ministry_code, x.operator_id, x.sector_code, u.service FROM (
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.role LIKE 'nco_%' AND g.revoked_at IS NULL
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.ministry_code IS NOT NULL AND g.revoked_at IS NULL AND (g.ministry_code = p_ministry
       OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.operator_id = p_operator AND g.revoked_at IS NULL) x
  JOIN users u ON u.id = x.user_id
  WHERE NOT u.service
     OR NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = x.user_id
                    AND (t.revoked_at IS NOT NULL OR t.expires_at <= now()))
  ORDER BY x.user_id, x.id
$$;
REVOKE ALL ON FUNCTION kijun_scope_recipients FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_scope_recipients TO kijun_app;

CREATE OR REPLACE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.user_id, s.role, s.ministry_code, s.operator_id, s.sector_code
  FROM kijun_scope_recipients(p_ministry, p_sector, p_operator) s
$$;
