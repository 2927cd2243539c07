DROP POLICY assessment_assignments_update ON assessment_assignments;
CREATE POLICY assessment_assignments_update ON assessment_assignments FOR UPDATE
  USING (kijun_system() OR kijun_operator_admin(operator_id)
    OR (operator_id = ANY (kijun_operators()) AND assignee_id = kijun_user_id()))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
DROP FUNCTION kijun_deputy_for;
