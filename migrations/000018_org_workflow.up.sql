-- Work inside an operator (docs/assessment.md, "Inside the operator").
--
-- An operator admin assigns sections (区分) or single controls of an
-- assessment to its staff, each due by a day inside the cycle; an assignee
-- marks the assignment ready. The operator's internal check (社内確認) is a
-- row of assessment_signoffs: an operator admin confirms (確認済み) or
-- sends the assessment back inside the operator (社内差戻し) with a
-- comment. A submission names the confirmation it rests on
-- (assessments.signoff_id); the database refuses a submission without a
-- current confirmation, and voids the confirmation on any change of an
-- answer or its evidence, and when the ministry returns the assessment
-- (assessment.SignOffVoidedBy is the rule).

-- kijun_operator_admin: the session's user holds an active operator_admin
-- grant of p_operator.
CREATE FUNCTION kijun_operator_admin(p_operator bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_operator = ANY (kijun_operators()) AND EXISTS (
    SELECT FROM role_grants g WHERE g.user_id = kijun_user_id() AND g.role = 'operator_admin'
      AND g.operator_id = p_operator AND g.revoked_at IS NULL)
$$;

CREATE TABLE assessment_assignments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  section_code  text NOT NULL,
  ref           text, -- NULL: the whole section
  assignee_id   bigint NOT NULL REFERENCES users(id),
  assignee_name text NOT NULL DEFAULT '' CHECK (length(assignee_name) <= 200),
  due_on        date NOT NULL,
  assigned_by   bigint REFERENCES users(id),
  assigned_at   timestamptz NOT NULL DEFAULT now(),
  ready_at      timestamptz,
  ready_by      bigint REFERENCES users(id),
  CHECK ((ready_at IS NULL) = (ready_by IS NULL)),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE UNIQUE INDEX assessment_assignments_one ON assessment_assignments (assessment_id, section_code, coalesce(ref, ''));
CREATE INDEX assessment_assignments_assignee ON assessment_assignments (assignee_id, due_on);

-- An assignment falls due inside the cycle: on or before the assessment's
-- effective due date (assessment.Due).
CREATE FUNCTION kijun_assignments_due() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_due date;
BEGIN
  SELECT coalesce(a.due_on, c.due_on) INTO v_due
    FROM assessments a JOIN cycles c ON c.id = a.cycle_id WHERE a.id = NEW.assessment_id;
  IF NEW.due_on > v_due THEN
    RAISE EXCEPTION 'assignment due % after the assessment''s due date %', NEW.due_on, v_due USING ERRCODE = 'KJ018';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessment_assignments_due BEFORE INSERT OR UPDATE OF due_on ON assessment_assignments
  FOR EACH ROW EXECUTE FUNCTION kijun_assignments_due();

ALTER TABLE assessment_assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_assignments_read ON assessment_assignments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
-- Admins assign; an assignee (or an admin) marks ready.
CREATE POLICY assessment_assignments_insert ON assessment_assignments FOR INSERT
  WITH CHECK (kijun_system() OR kijun_operator_admin(operator_id));
CREATE POLICY assessment_assignments_update ON assessment_assignments FOR UPDATE
  USING (kijun_system() OR kijun_operator_admin(operator_id)
    OR (operator_id = ANY (kijun_operators()) AND assignee_id = kijun_user_id()))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
CREATE POLICY assessment_assignments_delete ON assessment_assignments FOR DELETE
  USING (kijun_system() OR kijun_operator_admin(operator_id));
GRANT SELECT, INSERT, DELETE ON assessment_assignments TO kijun_app;
GRANT UPDATE (assignee_id, assignee_name, due_on, assigned_by, assigned_at, ready_at, ready_by)
  ON assessment_assignments TO kijun_app;

CREATE TABLE assessment_signoffs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  decision      text NOT NULL CHECK (decision IN ('confirmed', 'sent_back')),
  comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
  by_user       bigint NOT NULL REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '' CHECK (length(by_name) <= 200),
  at            timestamptz NOT NULL DEFAULT now(),
  voided_at     timestamptz,
  voided_why    text CHECK (voided_why IN ('answer_changed', 'returned')),
  CHECK (decision = 'confirmed' OR voided_at IS NULL),
  CHECK ((voided_at IS NULL) = (voided_why IS NULL)),
  CHECK (decision = 'confirmed' OR btrim(comment) <> ''),
  UNIQUE (id, assessment_id),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_signoffs_assessment ON assessment_signoffs (assessment_id, id);
-- At most one current confirmation per assessment.
CREATE UNIQUE INDEX assessment_signoffs_current ON assessment_signoffs (assessment_id)
  WHERE decision = 'confirmed' AND voided_at IS NULL;

ALTER TABLE assessment_signoffs ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_signoffs_read ON assessment_signoffs FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessment_signoffs_insert ON assessment_signoffs FOR INSERT
  WITH CHECK (kijun_system() OR (by_user = kijun_user_id() AND kijun_operator_admin(operator_id)));
GRANT SELECT, INSERT ON assessment_signoffs TO kijun_app;
-- voided_at is written by the triggers below (SECURITY DEFINER) only.

ALTER TABLE assessments ADD COLUMN signoff_id bigint;
ALTER TABLE assessments ADD CONSTRAINT assessments_signoff
  FOREIGN KEY (signoff_id, id) REFERENCES assessment_signoffs (id, assessment_id);
GRANT UPDATE (signoff_id) ON assessments TO kijun_app;

-- Any change of an answer or its evidence voids the current confirmation
-- (a cascade of the operator's sector is no change).
CREATE FUNCTION kijun_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code') THEN
    RETURN NULL;
  END IF;
  v_id := CASE TG_OP WHEN 'DELETE' THEN OLD.assessment_id ELSE NEW.assessment_id END;
  UPDATE assessment_signoffs SET voided_at = now(), voided_why = 'answer_changed'
    WHERE assessment_id = v_id AND decision = 'confirmed' AND voided_at IS NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER answers_void_signoff AFTER INSERT OR UPDATE OR DELETE ON answers
  FOR EACH ROW EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER evidence_void_signoff AFTER INSERT OR UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION kijun_signoff_void_on_edit();

-- A move to submitted names the assessment's current confirmation
-- (SQLSTATE KJ019 otherwise), for every writer but the system (the bulk
-- loads of synthetic data, as kijun_assessments_transition lets the system
-- through). A move from submitted to returned voids it: the next
-- submission needs a new one.
CREATE FUNCTION kijun_assessments_signoff() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = 'submitted' AND OLD.status IS DISTINCT FROM 'submitted' AND NOT kijun_system() THEN
    IF NEW.signoff_id IS NULL OR NOT EXISTS (
        SELECT FROM assessment_signoffs s WHERE s.id = NEW.signoff_id AND s.assessment_id = NEW.id
          AND s.decision = 'confirmed' AND s.voided_at IS NULL) THEN
      RAISE EXCEPTION 'assessment %: submitted without a current internal confirmation', NEW.id
        USING ERRCODE = 'KJ019';
    END IF;
  END IF;
  IF NEW.status = 'returned' AND OLD.status = 'submitted' THEN
    UPDATE assessment_signoffs SET voided_at = now(), voided_why = 'returned'
      WHERE assessment_id = NEW.id AND decision = 'confirmed' AND voided_at IS NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_signoff BEFORE UPDATE OF status ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_signoff();

-- The ministry side (docs/plans.md, "The ministry's internal check"): a
-- ministry may require that only its admins submit its plans to the NCO
-- (plan.CanSubmitAs). Set by the ministry's admins; read by its users
-- and the NCO.
CREATE TABLE ministry_plan_checks (
  ministry_code text PRIMARY KEY REFERENCES ministries(code),
  required      boolean NOT NULL,
  set_by        bigint REFERENCES users(id),
  set_at        timestamptz NOT NULL DEFAULT now()
);

-- kijun_ministry_admin: the session's user holds an active
-- ministry_admin grant of p_ministry.
CREATE FUNCTION kijun_ministry_admin(p_ministry text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT FROM role_grants g WHERE g.user_id = kijun_user_id() AND g.role = 'ministry_admin'
    AND g.ministry_code = p_ministry AND g.revoked_at IS NULL)
$$;

ALTER TABLE ministry_plan_checks ENABLE ROW LEVEL SECURITY;
CREATE POLICY ministry_plan_checks_read ON ministry_plan_checks FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY ministry_plan_checks_write ON ministry_plan_checks FOR ALL
  USING (kijun_system() OR kijun_ministry_admin(ministry_code))
  WITH CHECK (kijun_system() OR kijun_ministry_admin(ministry_code));
GRANT SELECT, INSERT, UPDATE ON ministry_plan_checks TO kijun_app;

-- A plan version moves to submitted by a ministry admin when its ministry
-- requires the internal check (SQLSTATE KJ020), for every writer but the
-- system.
CREATE FUNCTION kijun_plan_versions_internal_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = 'submitted' AND OLD.status IS DISTINCT FROM 'submitted' AND NOT kijun_system()
     AND EXISTS (SELECT FROM ministry_plan_checks m WHERE m.ministry_code = NEW.ministry_code AND m.required)
     AND NOT kijun_ministry_admin(NEW.ministry_code) THEN
    RAISE EXCEPTION 'plan version %: the ministry requires its admin to submit', NEW.id USING ERRCODE = 'KJ020';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_versions_internal_check BEFORE UPDATE OF status ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_versions_internal_check();
