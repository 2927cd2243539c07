-- The ministry's internal check of its plans (docs/plans.md, "The
-- ministry's internal check"), built like the operator's 社内確認 of a
-- self-assessment (000018): staff ask for the check of a draft version
-- (requested), a ministry admin confirms it (confirmed) or sends it back
-- for rework with a comment (sent_back). Any change of the draft after a
-- confirmation voids it (plan.SignOffVoidedBy). When the ministry requires
-- the check (ministry_plan_checks), a submission names the current
-- confirmation it rests on (plan_versions.signoff_id), which the NCO sees.
-- This replaces 000018's rule that only an admin submits.

CREATE TABLE plan_signoffs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    bigint NOT NULL REFERENCES plan_versions(id),
  ministry_code text NOT NULL,
  step          text NOT NULL CHECK (step IN ('requested', 'confirmed', 'sent_back')),
  comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
  by_user       bigint NOT NULL REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '' CHECK (length(by_name) <= 200),
  at            timestamptz NOT NULL DEFAULT now(),
  voided_at     timestamptz,
  voided_why    text CHECK (voided_why IN ('edited')),
  CHECK (step = 'confirmed' OR voided_at IS NULL),
  CHECK ((voided_at IS NULL) = (voided_why IS NULL)),
  CHECK (step <> 'sent_back' OR btrim(comment) <> ''),
  UNIQUE (id, version_id),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions (id, ministry_code)
);
CREATE INDEX plan_signoffs_version ON plan_signoffs (version_id, id);
-- At most one current confirmation per version.
CREATE UNIQUE INDEX plan_signoffs_current ON plan_signoffs (version_id)
  WHERE step = 'confirmed' AND voided_at IS NULL;

-- A step of the check is taken on a draft only (KJ004, like every change
-- of a version no longer a draft).
CREATE FUNCTION kijun_plan_signoffs_draft() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM plan_versions v WHERE v.id = NEW.version_id AND v.status = 'draft') THEN
    RAISE EXCEPTION 'plan version %: the internal check is of a draft', NEW.version_id USING ERRCODE = 'KJ004';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_signoffs_draft BEFORE INSERT ON plan_signoffs
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoffs_draft();

ALTER TABLE plan_signoffs ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_signoffs_read ON plan_signoffs FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
-- The ministry's users ask; its admins confirm or send back; each as
-- themselves.
CREATE POLICY plan_signoffs_insert ON plan_signoffs FOR INSERT
  WITH CHECK (kijun_system() OR by_user = kijun_user_id() AND (
    (step = 'requested' AND ministry_code = ANY (kijun_ministries()))
    OR (step IN ('confirmed', 'sent_back') AND kijun_ministry_admin(ministry_code))));
GRANT SELECT, INSERT ON plan_signoffs TO kijun_app;
-- voided_at is written by the triggers below (SECURITY DEFINER) only.

-- The confirmation a submission rests on. It is set on the draft just
-- before the move to submitted (the versions' guard keeps a submitted
-- version's content, this column included, as it was).
ALTER TABLE plan_versions ADD COLUMN signoff_id bigint;
ALTER TABLE plan_versions ADD CONSTRAINT plan_versions_signoff
  FOREIGN KEY (signoff_id, id) REFERENCES plan_signoffs (id, version_id);
GRANT UPDATE (signoff_id) ON plan_versions TO kijun_app;

-- kijun_plan_signoff_void voids the current confirmation of a draft
-- version (reason 'edited').
CREATE FUNCTION kijun_plan_signoff_void(p_version bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE plan_signoffs SET voided_at = now(), voided_why = 'edited'
    WHERE version_id = p_version AND step = 'confirmed' AND voided_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION kijun_plan_signoff_void FROM PUBLIC;

-- Any change of a draft's content voids its confirmation: its general
-- fields (anything but the lifecycle columns and signoff_id), a profile
-- row, a supplementary control, the plan's period.
CREATE FUNCTION kijun_plan_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_meta text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'decided_at', 'decided_by', 'updated_at', 'signoff_id'];
  v_id bigint;
BEGIN
  IF TG_TABLE_NAME = 'plan_versions' THEN
    IF NEW.status = 'draft' AND OLD.status = 'draft' AND to_jsonb(NEW) - v_meta IS DISTINCT FROM to_jsonb(OLD) - v_meta THEN
      PERFORM kijun_plan_signoff_void(NEW.id);
    END IF;
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'plans' THEN
    IF NEW.period_end IS DISTINCT FROM OLD.period_end THEN
      PERFORM kijun_plan_signoff_void(v.id) FROM plan_versions v WHERE v.plan_id = NEW.id AND v.status = 'draft';
    END IF;
    RETURN NULL;
  END IF;
  v_id := CASE TG_OP WHEN 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) = to_jsonb(OLD) THEN
    RETURN NULL;
  END IF;
  PERFORM kijun_plan_signoff_void(v_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER plan_versions_void_signoff AFTER UPDATE ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plans_void_signoff AFTER UPDATE OF period_end ON plans
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_profile_controls_void_signoff AFTER INSERT OR UPDATE OR DELETE ON plan_profile_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_supplementary_controls_void_signoff AFTER INSERT OR UPDATE OR DELETE ON plan_supplementary_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();

-- A plan version of a ministry that requires its internal check moves to
-- submitted only naming its current confirmation (SQLSTATE KJ020;
-- plan.CanSubmit is the rule), for every writer but the system.
CREATE OR REPLACE FUNCTION kijun_plan_versions_internal_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = 'submitted' AND OLD.status IS DISTINCT FROM 'submitted' AND NOT kijun_system()
     AND EXISTS (SELECT FROM ministry_plan_checks m WHERE m.ministry_code = NEW.ministry_code AND m.required)
     AND (NEW.signoff_id IS NULL OR NOT EXISTS (
       SELECT FROM plan_signoffs s WHERE s.id = NEW.signoff_id AND s.version_id = NEW.id
         AND s.step = 'confirmed' AND s.voided_at IS NULL)) THEN
    RAISE EXCEPTION 'plan version %: submitted without a current internal check', NEW.id USING ERRCODE = 'KJ020';
  END IF;
  RETURN NEW;
END
$$;
