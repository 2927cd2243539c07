-- Saving one answer in one statement (issue 7: the autosave at 1,000
-- saves/s). postgres.SaveAnswer used to make six round trips inside the
-- caller's transaction: the first-save start and the share lock on the
-- assessment, the answer read for update, the write, the audit event.
-- kijun_save_answer does all of it in one call, so that the autosave can
-- send it with the principal's settings as one implicit transaction
-- (postgres.QueryRowAs); docs/assessment.md, "Saving an answer".
--
-- The functions are SECURITY INVOKER: row-level security, the column
-- grants and the triggers of 000005 apply to the caller exactly as they
-- did to the statements they replace (kijun_app owns nothing). The
-- principal is the one set in the transaction (kijun.user_id,
-- kijun_operators()); only the actor's display name, which the database
-- does not hold for every principal, is passed. Refusals are returned, not
-- raised, so that a caller's transaction stays usable after a conflict
-- (the section form goes on to save the other answers).

-- kijun_json_time writes a time as Go's encoding/json writes a time.Time
-- in UTC (RFC 3339, trailing zeros of the fraction dropped), so that an
-- answer in the audit log reads the same whichever side wrote it.
CREATE FUNCTION kijun_json_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
      || coalesce('.' || nullif(rtrim(to_char(t AT TIME ZONE 'UTC', 'US'), '0'), ''), '') || 'Z'
$$;

-- kijun_answer_json is an answer as the audit log records it: the keys
-- and values of Go's json.Marshal(kijun.Answer) (the store wrote them so
-- before this migration; TestSaveAnswerAsAuditJSON holds them equal).
CREATE FUNCTION kijun_answer_json(x answers) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'AssessmentID', x.assessment_id, 'Ref', x.ref, 'Status', coalesce(x.status, ''),
    'Maturity', coalesce(x.maturity, 0), 'How', x.how, 'NAReason', x.na_reason,
    'Remediation', jsonb_build_object('Action', x.remediation_action, 'Owner', x.remediation_owner,
      'Due', to_char(x.remediation_due::timestamp, 'YYYY-MM-DD"T00:00:00Z"')),
    'CarriedForward', x.carried_forward, 'Version', x.version, 'UpdatedBy', coalesce(x.updated_by, 0),
    'UpdatedByName', x.updated_by_name, 'UpdatedAt', kijun_json_time(x.updated_at))
$$;

-- kijun_lock_editable is how every change to answers and evidence starts
-- (postgres.lockEditable calls it too, so the start exists once): the
-- principal must be the operator, the assessment moves from not_started
-- to in_progress on its first change (with its history row and the
-- assessment.start audit event), and a share lock on the assessment row
-- holds off a submit until the transaction ends (a submit takes the row
-- for update), so no answer changes under a submitted assessment.
--
-- outcome: ok; not_found (the principal does not see it); forbidden (not
-- the principal's operator); locked (status says which); not_started,
-- only when p_start is false: the caller must start it and holds no lock.
CREATE FUNCTION kijun_lock_editable(p_assessment bigint, p_actor_name text, p_request_id text, p_start boolean,
  OUT outcome text, OUT operator_id bigint, OUT sector_code text, OUT ministry_code text, OUT status text,
  OUT version int)
LANGUAGE plpgsql AS $$
DECLARE
  v_user bigint := kijun_user_id();
  v_started boolean := false;
BEGIN
  -- Almost always started already: one statement.
  SELECT a.operator_id, a.sector_code, a.ministry_code, a.status, a.version
    INTO operator_id, sector_code, ministry_code, status, version
    FROM assessments a WHERE a.id = p_assessment AND a.status <> 'not_started' FOR SHARE;
  IF NOT FOUND THEN
    IF p_start THEN
      -- The start runs before the share lock: two first saves would
      -- otherwise both hold the share lock and deadlock upgrading it.
      UPDATE assessments a SET status = 'in_progress', version = a.version + 1, updated_at = now()
        WHERE a.id = p_assessment AND a.status = 'not_started' AND a.operator_id = ANY (kijun_operators());
      v_started := FOUND;
      SELECT a.operator_id, a.sector_code, a.ministry_code, a.status, a.version
        INTO operator_id, sector_code, ministry_code, status, version
        FROM assessments a WHERE a.id = p_assessment FOR SHARE;
    ELSE
      -- Only to say why; no lock, for the same reason.
      SELECT a.operator_id, a.sector_code, a.ministry_code, a.status, a.version
        INTO operator_id, sector_code, ministry_code, status, version
        FROM assessments a WHERE a.id = p_assessment;
    END IF;
    IF NOT FOUND THEN
      outcome := 'not_found';
      RETURN;
    END IF;
  END IF;
  IF NOT (operator_id = ANY (kijun_operators())) THEN
    outcome := 'forbidden';
  ELSIF status NOT IN ('not_started', 'in_progress', 'returned') THEN
    outcome := 'locked';
  ELSIF status = 'not_started' THEN
    outcome := 'not_started';
  ELSE
    outcome := 'ok';
  END IF;
  IF outcome = 'ok' AND v_started THEN
    INSERT INTO assessment_events (assessment_id, operator_id, sector_code, from_status, to_status, by_user, by_name, note)
      VALUES (p_assessment, operator_id, sector_code, 'not_started', 'in_progress', v_user, coalesce(p_actor_name, ''), '');
    PERFORM kijun_audit_append(v_user, CASE WHEN v_user IS NULL THEN '' ELSE coalesce(p_actor_name, '') END,
      'assessment.start', 'assessment', p_assessment::text, ministry_code, sector_code, operator_id,
      '{"status": "not_started"}', '{"status": "in_progress"}', coalesce(p_request_id, ''));
  END IF;
END
$$;

-- kijun_save_answer stores a draft answer to p_ref, provided the stored
-- answer is still at p_expected (0: none saved yet), as postgres.SaveAnswer
-- describes. It returns outcome and, where there is one, an answer:
--   saved           answer is the stored answer with its new version
--   conflict        answer is the stored answer (NULL: none), which moved
--   locked          detail is the assessment's status (submitted, accepted)
--   not_found       no such assessment for the principal, or no such control
--   forbidden       the assessment is not the principal's operator's
--   status_unknown  p_status is not on the answer scale
-- The caller has checked well-formedness (kijun.Answer.WellFormed); the
-- table's CHECKs are the wall behind it. A refused first save leaves the
-- assessment not started: the function then calls itself with p_start
-- inside a subtransaction (once in an assessment's life), which a refusal
-- rolls back. Callers leave p_start out.
CREATE FUNCTION kijun_save_answer(p_assessment bigint, p_ref text, p_expected int,
  p_status text, p_maturity smallint, p_how text, p_na_reason text, p_action text, p_owner text, p_due date,
  p_actor_name text, p_request_id text, p_start boolean DEFAULT false,
  OUT outcome text, OUT detail text, OUT answer answers)
LANGUAGE plpgsql AS $$
DECLARE
  v_user bigint := kijun_user_id();
  h record;
  r record;
  u record;
  v_before answers;
BEGIN
  h := kijun_lock_editable(p_assessment, p_actor_name, p_request_id, p_start);
  IF h.outcome = 'not_started' THEN
    -- The variables keep what the block gave them when its exception
    -- rolls the start back.
    BEGIN
      r := kijun_save_answer(p_assessment, p_ref, p_expected, p_status, p_maturity, p_how, p_na_reason,
        p_action, p_owner, p_due, p_actor_name, p_request_id, true);
      outcome := r.outcome;
      detail := r.detail;
      answer := r.answer;
      IF outcome <> 'saved' THEN
        RAISE EXCEPTION 'save refused: %', outcome USING ERRCODE = 'KJ010';
      END IF;
    EXCEPTION WHEN SQLSTATE 'KJ010' THEN
      NULL;
    END;
    RETURN;
  END IF;
  IF h.outcome <> 'ok' THEN
    outcome := h.outcome;
    detail := h.status;
    RETURN;
  END IF;
  -- The common case in one statement: the answer exists at p_expected.
  -- o is the row as this statement's snapshot saw it, the audit's
  -- before; a save that moved it meanwhile fails x.version (the update
  -- waits for it and checks the newest row).
  UPDATE answers x SET status = p_status, maturity = p_maturity, how = p_how, na_reason = p_na_reason,
      remediation_action = p_action, remediation_owner = p_owner, remediation_due = p_due,
      carried_forward = false, version = x.version + 1, updated_by = v_user,
      updated_by_name = coalesce(p_actor_name, ''), updated_at = now()
    FROM answers o
    WHERE x.assessment_id = p_assessment AND x.ref = p_ref AND x.version = p_expected
      AND o.assessment_id = p_assessment AND o.ref = p_ref AND o.version = p_expected
      AND (p_status IS NULL OR EXISTS (SELECT FROM answer_scale s WHERE s.code = p_status))
    RETURNING kijun_answer_json(o) AS before, x AS after INTO u;
  IF FOUND THEN
    answer := u.after;
    PERFORM kijun_audit_append(v_user, CASE WHEN v_user IS NULL THEN '' ELSE coalesce(p_actor_name, '') END,
      'assessment.answer.save', 'answer', p_assessment || '/' || p_ref, h.ministry_code, h.sector_code, h.operator_id,
      u.before, kijun_answer_json(answer), coalesce(p_request_id, ''));
    outcome := 'saved';
    RETURN;
  END IF;
  -- Why not: in the order SaveAnswer always checked.
  SELECT * INTO v_before FROM answers x WHERE x.assessment_id = p_assessment AND x.ref = p_ref;
  IF FOUND THEN
    -- Moved (or, if it is at p_expected now, inserted by another save
    -- after the update looked), unless only the status was unknown.
    outcome := CASE WHEN v_before.version = p_expected AND p_status IS NOT NULL
      AND NOT EXISTS (SELECT FROM answer_scale s WHERE s.code = p_status) THEN 'status_unknown' ELSE 'conflict' END;
    answer := v_before;
    RETURN;
  END IF;
  IF p_expected <> 0 THEN
    outcome := 'conflict'; -- none stored
    RETURN;
  END IF;
  IF p_status IS NOT NULL AND NOT EXISTS (SELECT FROM answer_scale s WHERE s.code = p_status) THEN
    outcome := CASE WHEN EXISTS (SELECT FROM assessment_controls c WHERE c.assessment_id = p_assessment AND c.ref = p_ref)
      THEN 'status_unknown' ELSE 'not_found' END;
    RETURN;
  END IF;
  INSERT INTO answers AS x (assessment_id, ref, operator_id, sector_code, status, maturity, how, na_reason,
      remediation_action, remediation_owner, remediation_due, updated_by, updated_by_name)
    SELECT c.assessment_id, c.ref, c.operator_id, c.sector_code, p_status, p_maturity, p_how, p_na_reason,
      p_action, p_owner, p_due, v_user, coalesce(p_actor_name, '')
    FROM assessment_controls c WHERE c.assessment_id = p_assessment AND c.ref = p_ref
    ON CONFLICT ON CONSTRAINT answers_pkey DO NOTHING
    RETURNING x.* INTO answer;
  IF NOT FOUND THEN
    -- Another save inserted it first (this statement waited for it and
    -- sees it), or the assessment has no control p_ref.
    SELECT * INTO answer FROM answers x WHERE x.assessment_id = p_assessment AND x.ref = p_ref;
    outcome := CASE WHEN FOUND THEN 'conflict' ELSE 'not_found' END;
    RETURN;
  END IF;
  PERFORM kijun_audit_append(v_user, CASE WHEN v_user IS NULL THEN '' ELSE coalesce(p_actor_name, '') END,
    'assessment.answer.save', 'answer', p_assessment || '/' || p_ref, h.ministry_code, h.sector_code, h.operator_id,
    NULL, kijun_answer_json(answer), coalesce(p_request_id, ''));
  outcome := 'saved';
END
$$;

-- Two costs every save paid, found by profiling it (docs/performance.md):
--
-- kijun_audit_hash was declared IMMUTABLE, but concat_ws, convert_to and
-- extract from a timestamptz are STABLE, so the planner never inlined it:
-- each call ran the SQL function executor, which parses and plans the
-- body again in every transaction (~0.12 ms, a fifth of a save). STABLE
-- is what it is; the definition is unchanged, so every hash written
-- before verifies the same.
ALTER FUNCTION kijun_audit_hash(audit_events) STABLE;

-- kijun_answers_guard turned both rows into jsonb on every update to let
-- an operator's sector move cascade through. It now does so only when the
-- sector changed; an update that changes nothing passes as before.
CREATE OR REPLACE FUNCTION kijun_answers_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_status text;
BEGIN
  -- Moving the operator to another sector cascades here; let it through.
  IF TG_OP = 'UPDATE' AND (NEW IS NOT DISTINCT FROM OLD OR (NEW.sector_code IS DISTINCT FROM OLD.sector_code
      AND to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code')) THEN
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

REVOKE ALL ON FUNCTION kijun_json_time, kijun_answer_json, kijun_lock_editable, kijun_save_answer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_json_time, kijun_answer_json, kijun_lock_editable, kijun_save_answer TO kijun_app;
