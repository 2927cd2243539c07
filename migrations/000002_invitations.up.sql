-- Grants bind to accounts, not to addresses.
--
-- An admin gives a role either to an account it can see (a role_grants
-- row, as before) or to an e-mail address, as an invitation. An
-- invitation becomes a grant only at a sign-in whose provider asserts
-- that address as verified, and only for the account signing in then
-- (internal/postgres.SignIn); it is never matched against accounts that
-- exist already. No lookup of users by address is left, so no form can
-- tell whether an address is known anywhere in the portal.

DROP FUNCTION kijun_user_id_by_email;

CREATE TABLE invitations (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Stored lower-case, compared lower-case.
  email         text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                     AND length(email) <= 254),
  role          text NOT NULL CHECK (role IN ('nco_admin', 'nco_analyst', 'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff')),
  ministry_code text REFERENCES ministries(code),
  operator_id   bigint REFERENCES operators(id),
  -- The sector of the operator, or NULL: copied so RLS needs no join.
  sector_code   text REFERENCES sectors(code),
  invited_by    bigint NOT NULL REFERENCES users(id),
  invited_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_by    bigint REFERENCES users(id),
  revoked_at    timestamptz,
  accepted_by   bigint REFERENCES users(id), -- the account that signed in
  accepted_at   timestamptz,
  grant_id      bigint REFERENCES role_grants(id),
  CHECK (expires_at > invited_at),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  CHECK ((accepted_at IS NULL) = (accepted_by IS NULL)),
  CHECK (revoked_at IS NULL OR accepted_at IS NULL),
  CHECK (CASE
    WHEN role LIKE 'nco_%'      THEN ministry_code IS NULL AND operator_id IS NULL
    WHEN role LIKE 'ministry_%' THEN ministry_code IS NOT NULL AND operator_id IS NULL
    ELSE operator_id IS NOT NULL AND ministry_code IS NULL AND sector_code IS NOT NULL
  END)
);
CREATE INDEX invitations_open ON invitations (email) WHERE revoked_at IS NULL AND accepted_at IS NULL;
CREATE INDEX invitations_ministry ON invitations(ministry_code) WHERE ministry_code IS NOT NULL;
CREATE INDEX invitations_operator ON invitations(operator_id) WHERE operator_id IS NOT NULL;

-- Invitations are seen and written like the grants they would become:
-- by NCO, by the ministry they are in (and for operator roles, the
-- ministry overseeing the operator's sector) and by the operator they are
-- in; sign-in (the system) accepts them. The policy narrows this to
-- admins.
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitations_read ON invitations FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY invitations_insert ON invitations FOR INSERT
  WITH CHECK (invited_by = kijun_user_id() AND (kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries())));
CREATE POLICY invitations_update ON invitations FOR UPDATE
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id)
      OR ministry_code = ANY (kijun_ministries()));
GRANT SELECT, INSERT ON invitations TO kijun_app;
GRANT UPDATE (revoked_by, revoked_at, accepted_by, accepted_at, grant_id) ON invitations TO kijun_app;

-- A grant an admin revoked (revoked_by set) stays revoked: sign-in does
-- not give the same role in the same scope again from claims while the
-- newest row of that role and scope is such a revocation. This index
-- finds that row.
CREATE INDEX role_grants_key ON role_grants (user_id, role, coalesce(ministry_code, ''), coalesce(operator_id, 0), id DESC);
