-- The operator's reviewer (社内確認者) and delegation while away (不在時の代理)
-- (docs/assessment.md, "Inside the operator").
--
-- operator_reviewer is an operator role that does the internal check
-- (社内確認) besides the work of staff, and administers nobody. A user who
-- does the internal check of an operator (its admin or reviewer) records
-- an absence (from–to, days in Japan) and a deputy: another active user of
-- the same operator. During the absence the deputy does the internal check
-- for that operator, and the check records the delegation and on whose
-- behalf (代理).

ALTER TABLE role_grants DROP CONSTRAINT role_grants_role_check;
ALTER TABLE role_grants ADD CONSTRAINT role_grants_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff', 'operator_reviewer'));
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff', 'operator_reviewer'));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('nco_admin', 'nco_analyst',
  'ministry_admin', 'ministry_staff', 'operator_admin', 'operator_staff', 'operator_reviewer'));

-- kijun_internal_checker: the session's user holds, in p_operator, a role
-- that does the internal check (operator_admin or operator_reviewer).
CREATE FUNCTION kijun_internal_checker(p_operator bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_operator = ANY (kijun_operators()) AND EXISTS (
    SELECT FROM role_grants g WHERE g.user_id = kijun_user_id() AND g.role IN ('operator_admin', 'operator_reviewer')
      AND g.operator_id = p_operator AND g.revoked_at IS NULL)
$$;

CREATE TABLE operator_delegations (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id  bigint NOT NULL,
  sector_code  text NOT NULL,
  user_id      bigint NOT NULL REFERENCES users(id), -- the absent user
  user_name    text NOT NULL DEFAULT '' CHECK (length(user_name) <= 200),
  deputy_id    bigint NOT NULL REFERENCES users(id),
  deputy_name  text NOT NULL DEFAULT '' CHECK (length(deputy_name) <= 200),
  starts_on    date NOT NULL, -- days in Japan, both inclusive
  ends_on      date NOT NULL,
  created_by   bigint REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  cancelled_by bigint REFERENCES users(id),
  CHECK (ends_on >= starts_on),
  CHECK (deputy_id <> user_id),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX operator_delegations_deputy ON operator_delegations (deputy_id, ends_on) WHERE cancelled_at IS NULL;
CREATE INDEX operator_delegations_user ON operator_delegations (user_id, ends_on);

-- The absent user does the operator's internal check, and the deputy is
-- an active user of the same operator (an active grant of it, no service
-- account): SQLSTATE KJ024 otherwise, for every writer.
CREATE FUNCTION kijun_delegations_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM role_grants g WHERE g.user_id = NEW.user_id AND g.operator_id = NEW.operator_id
      AND g.revoked_at IS NULL AND g.role IN ('operator_admin', 'operator_reviewer')) THEN
    RAISE EXCEPTION 'delegation: user % does not do the internal check of operator %', NEW.user_id, NEW.operator_id
      USING ERRCODE = 'KJ024', DETAIL = 'user';
  END IF;
  IF NOT EXISTS (SELECT FROM role_grants g JOIN users u ON u.id = g.user_id WHERE g.user_id = NEW.deputy_id
      AND g.operator_id = NEW.operator_id AND g.revoked_at IS NULL AND NOT u.service
      AND g.role IN ('operator_admin', 'operator_staff', 'operator_reviewer')) THEN
    RAISE EXCEPTION 'delegation: deputy % is not a user of operator %', NEW.deputy_id, NEW.operator_id
      USING ERRCODE = 'KJ024', DETAIL = 'deputy';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER operator_delegations_check BEFORE INSERT OR UPDATE OF operator_id, user_id, deputy_id ON operator_delegations
  FOR EACH ROW EXECUTE FUNCTION kijun_delegations_check();

-- A delegation is the operator's own: its users read it; a user who does
-- the internal check records their own; they or an operator admin cancel
-- it.
ALTER TABLE operator_delegations ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_delegations_read ON operator_delegations FOR SELECT
  USING (kijun_system() OR operator_id = ANY (kijun_operators()));
CREATE POLICY operator_delegations_insert ON operator_delegations FOR INSERT
  WITH CHECK (kijun_system() OR (user_id = kijun_user_id() AND created_by = kijun_user_id()
    AND deputy_id <> kijun_user_id() AND kijun_internal_checker(operator_id)));
CREATE POLICY operator_delegations_update ON operator_delegations FOR UPDATE
  USING (kijun_system() OR (operator_id = ANY (kijun_operators())
    AND (user_id = kijun_user_id() OR kijun_operator_admin(operator_id))))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
GRANT SELECT, INSERT ON operator_delegations TO kijun_app;
GRANT UPDATE (cancelled_at, cancelled_by) ON operator_delegations TO kijun_app;

-- kijun_deputy_of: the session's user is the deputy of delegation
-- p_delegation of p_operator for p_for, today (in Japan) is inside its
-- period, it is not cancelled, and p_for still does the internal check.
CREATE FUNCTION kijun_deputy_of(p_delegation bigint, p_operator bigint, p_for bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_operator = ANY (kijun_operators()) AND EXISTS (
    SELECT FROM operator_delegations d WHERE d.id = p_delegation AND d.operator_id = p_operator
      AND d.deputy_id = kijun_user_id() AND d.user_id = p_for AND d.cancelled_at IS NULL
      AND (now() AT TIME ZONE 'Asia/Tokyo')::date BETWEEN d.starts_on AND d.ends_on
      AND EXISTS (SELECT FROM role_grants g WHERE g.user_id = d.user_id AND g.operator_id = p_operator
        AND g.revoked_at IS NULL AND g.role IN ('operator_admin', 'operator_reviewer')))
$$;

-- An internal check by a deputy names the delegation and on whose behalf.
ALTER TABLE assessment_signoffs ADD COLUMN delegation_id bigint REFERENCES operator_delegations(id);
ALTER TABLE assessment_signoffs ADD COLUMN on_behalf_of bigint REFERENCES users(id);
ALTER TABLE assessment_signoffs ADD COLUMN on_behalf_name text NOT NULL DEFAULT '' CHECK (length(on_behalf_name) <= 200);
ALTER TABLE assessment_signoffs ADD CONSTRAINT assessment_signoffs_deputy CHECK ((delegation_id IS NULL) = (on_behalf_of IS NULL));

DROP POLICY assessment_signoffs_insert ON assessment_signoffs;
CREATE POLICY assessment_signoffs_insert ON assessment_signoffs FOR INSERT
  WITH CHECK (kijun_system() OR (by_user = kijun_user_id() AND (
    (delegation_id IS NULL AND kijun_internal_checker(operator_id))
    OR (delegation_id IS NOT NULL AND kijun_deputy_of(delegation_id, operator_id, on_behalf_of)))));
