-- A deputy acts for the absent user (不在時の代理) on their assignments too
-- (docs/assessment.md, "Delegation while away"): during the absence the
-- deputy marks the absent user's assigned sections ready (準備完了), as the
-- assignee or an operator admin may.

-- kijun_deputy_for: the session's user is, today (in Japan), the deputy of
-- p_for in p_operator by a delegation not cancelled, and p_for still does
-- the internal check of p_operator.
CREATE FUNCTION kijun_deputy_for(p_operator bigint, p_for bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_operator = ANY (kijun_operators()) AND EXISTS (
    SELECT FROM operator_delegations d WHERE d.operator_id = p_operator
      AND d.deputy_id = kijun_user_id() AND d.user_id = p_for AND d.cancelled_at IS NULL
      AND (now() AT TIME ZONE 'Asia/Tokyo')::date BETWEEN d.starts_on AND d.ends_on
      AND EXISTS (SELECT FROM role_grants g WHERE g.user_id = d.user_id AND g.operator_id = p_operator
        AND g.revoked_at IS NULL AND g.role IN ('operator_admin', 'operator_reviewer')))
$$;

DROP POLICY assessment_assignments_update ON assessment_assignments;
CREATE POLICY assessment_assignments_update ON assessment_assignments FOR UPDATE
  USING (kijun_system() OR kijun_operator_admin(operator_id)
    OR (operator_id = ANY (kijun_operators()) AND assignee_id = kijun_user_id())
    OR kijun_deputy_for(operator_id, assignee_id))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
