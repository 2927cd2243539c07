DROP POLICY assessment_signoffs_insert ON assessment_signoffs;
CREATE POLICY assessment_signoffs_insert ON assessment_signoffs FOR INSERT
  WITH CHECK (kijun_system() OR (by_user = kijun_user_id() AND kijun_operator_admin(operator_id)));
ALTER TABLE assessment_signoffs DROP CONSTRAINT assessment_signoffs_deputy;
ALTER TABLE assessment_signoffs DROP COLUMN on_behalf_name;
ALTER TABLE assessment_signoffs DROP COLUMN on_behalf_of;
ALTER TABLE assessment_signoffs DROP COLUMN delegation_id;
DROP FUNCTION kijun_deputy_of;
DROP TABLE operator_delegations;
DROP FUNCTION kijun_delegations_check;
DROP FUNCTION kijun_internal_checker;

-- Reviewers become staff (a reviewer grant whose holder is already staff
-- of the operator is revoked), so that the older checks hold again.
UPDATE role_grants r SET revoked_at = now() WHERE r.role = 'operator_reviewer' AND r.revoked_at IS NULL
  AND EXISTS (SELECT FROM role_grants s WHERE s.user_id = r.user_id AND s.operator_id = r.operator_id
    AND s.role = 'operator_staff' AND s.revoked_at IS NULL);
UPDATE role_grants SET role = 'operator_staff' WHERE role = 'operator_reviewer';
UPDATE invitations SET role = 'operator_staff' WHERE role = 'operator_reviewer';
UPDATE api_tokens SET role = 'operator_staff' WHERE role = 'operator_reviewer';
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff'));
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff'));
ALTER TABLE role_grants DROP CONSTRAINT role_grants_role_check;
ALTER TABLE role_grants ADD CONSTRAINT role_grants_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff'));
