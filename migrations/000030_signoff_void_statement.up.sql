-- Voiding a confirmation of the internal check (assessment.SignOffVoidedBy,
-- plan.SignOffVoidedBy) once a statement rather than once a row: the
-- triggers see the statement's rows as transition tables and void the
-- confirmation of each assessment or plan version they touch with one
-- UPDATE, so a statement that writes thousands of answers (a carry
-- forward, its confirmation, an import) costs one void, not one a row.
-- PostgreSQL allows a trigger with transition tables one event only (and
-- no column list), hence one trigger an event. What voids is unchanged.

DROP TRIGGER answers_void_signoff ON answers;
DROP TRIGGER evidence_void_signoff ON evidence;

-- Any change of an answer or its evidence voids the assessment's current
-- confirmation; an update that changes nothing but the sector (the
-- cascade of the operator's sector) is no change. Most statements touch
-- no assessment with a current confirmation (an autosave before the
-- check): one look at the confirmations ends those.
CREATE OR REPLACE FUNCTION kijun_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_ids bigint[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    v_ids := ARRAY(SELECT s.assessment_id FROM assessment_signoffs s
      WHERE s.assessment_id IN (SELECT assessment_id FROM old_rows) AND s.decision = 'confirmed' AND s.voided_at IS NULL);
  ELSE
    v_ids := ARRAY(SELECT s.assessment_id FROM assessment_signoffs s
      WHERE s.assessment_id IN (SELECT assessment_id FROM new_rows) AND s.decision = 'confirmed' AND s.voided_at IS NULL);
  END IF;
  IF cardinality(v_ids) = 0 THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    -- Of those, the ones with a row the statement left different.
    v_ids := ARRAY(SELECT DISTINCT c.id FROM (
        SELECT (c.j->>'assessment_id')::bigint FROM (
          SELECT to_jsonb(n) - 'sector_code' FROM new_rows n
          EXCEPT ALL
          SELECT to_jsonb(o) - 'sector_code' FROM old_rows o) AS c(j)) AS c(id)
      WHERE c.id = ANY (v_ids));
  END IF;
  UPDATE assessment_signoffs SET voided_at = now(), voided_why = 'answer_changed'
    WHERE assessment_id = ANY (v_ids) AND decision = 'confirmed' AND voided_at IS NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER answers_void_signoff_insert AFTER INSERT ON answers
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER answers_void_signoff_update AFTER UPDATE ON answers
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER answers_void_signoff_delete AFTER DELETE ON answers
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER evidence_void_signoff_insert AFTER INSERT ON evidence
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER evidence_void_signoff_update AFTER UPDATE ON evidence
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER evidence_void_signoff_delete AFTER DELETE ON evidence
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_signoff_void_on_edit();

DROP TRIGGER plan_versions_void_signoff ON plan_versions;
DROP TRIGGER plans_void_signoff ON plans;
DROP TRIGGER plan_profile_controls_void_signoff ON plan_profile_controls;
DROP TRIGGER plan_supplementary_controls_void_signoff ON plan_supplementary_controls;

-- Any change of a draft's content voids its confirmation: its general
-- fields (anything but the lifecycle columns and signoff_id), a profile
-- row, a supplementary control, the plan's period.
CREATE OR REPLACE FUNCTION kijun_plan_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_meta text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'decided_at', 'decided_by', 'updated_at', 'signoff_id'];
  v_ids bigint[];
BEGIN
  IF TG_TABLE_NAME = 'plan_versions' THEN
    v_ids := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.status = 'draft' AND o.status = 'draft' AND to_jsonb(n) - v_meta IS DISTINCT FROM to_jsonb(o) - v_meta);
  ELSIF TG_TABLE_NAME = 'plans' THEN
    v_ids := ARRAY(SELECT v.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN plan_versions v ON v.plan_id = n.id AND v.status = 'draft'
      WHERE n.period_end IS DISTINCT FROM o.period_end);
  ELSIF TG_OP = 'INSERT' THEN
    v_ids := ARRAY(SELECT DISTINCT version_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    v_ids := ARRAY(SELECT DISTINCT version_id FROM old_rows);
  ELSE
    v_ids := ARRAY(SELECT DISTINCT (c.j->>'version_id')::bigint FROM (
        SELECT to_jsonb(n) FROM new_rows n EXCEPT ALL SELECT to_jsonb(o) FROM old_rows o) AS c(j));
  END IF;
  IF cardinality(v_ids) > 0 THEN
    UPDATE plan_signoffs SET voided_at = now(), voided_why = 'edited'
      WHERE version_id = ANY (v_ids) AND step = 'confirmed' AND voided_at IS NULL;
  END IF;
  RETURN NULL;
END
$$;
-- A function only the old row triggers called.
DROP FUNCTION kijun_plan_signoff_void;

CREATE TRIGGER plan_versions_void_signoff AFTER UPDATE ON plan_versions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plans_void_signoff AFTER UPDATE ON plans
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_profile_controls_void_signoff_insert AFTER INSERT ON plan_profile_controls
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_profile_controls_void_signoff_update AFTER UPDATE ON plan_profile_controls
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_profile_controls_void_signoff_delete AFTER DELETE ON plan_profile_controls
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_supplementary_controls_void_signoff_insert AFTER INSERT ON plan_supplementary_controls
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_supplementary_controls_void_signoff_update AFTER UPDATE ON plan_supplementary_controls
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_supplementary_controls_void_signoff_delete AFTER DELETE ON plan_supplementary_controls
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
