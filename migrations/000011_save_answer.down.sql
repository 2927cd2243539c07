-- Going down drops what 000011 added and puts back the two definitions
-- it changed, as 000002 and 000005 wrote them.
DROP FUNCTION IF EXISTS kijun_save_answer(bigint, text, int, text, smallint, text, text, text, text, date, text, text, boolean);
DROP FUNCTION IF EXISTS kijun_lock_editable(bigint, text, text, boolean);
DROP FUNCTION IF EXISTS kijun_answer_json(answers);
DROP FUNCTION IF EXISTS kijun_json_time(timestamptz);

ALTER FUNCTION kijun_audit_hash(audit_events) IMMUTABLE;

CREATE OR REPLACE FUNCTION kijun_answers_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_status text;
BEGIN
  -- Moving the operator to another sector cascades here; let it through.
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code' THEN
    RETURN NEW;
  END IF;
  SELECT status INTO v_status FROM assessments
    WHERE id = CASE TG_OP WHEN 'DELETE' THEN OLD.assessment_id ELSE NEW.assessment_id END;
  IF v_status IN ('submitted', 'accepted') THEN
    RAISE EXCEPTION 'assessment is %: its answers and evidence are locked', v_status USING ERRCODE = 'KJ002';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
