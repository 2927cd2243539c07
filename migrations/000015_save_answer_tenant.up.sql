-- The autosave in fewer statements (issue 7: 1,000 saves/s on two cores;
-- docs/performance.md, "The tenant compared by the save itself").
--
-- kijun_hold_tenant (000013) ran before kijun_save_answer and read the
-- assessment row that kijun_lock_editable then read again, share lock and
-- all. The tenant the server's policy decided on is now passed to
-- kijun_save_answer itself, and kijun_lock_editable compares it with the
-- row it reads anyway: KJ011 as before, on the same row, under the same
-- lock, with one plpgsql call and one statement fewer per save. Callers
-- that decided on the assessment inside their own transaction pass NULL
-- and nothing is compared.
--
-- kijun_audit_append first tried to insert its chain's head on every
-- call; a chain has a head after its first event, so the head is now
-- locked first and inserted only when missing.
DROP FUNCTION kijun_hold_tenant(bigint, bigint, text);
DROP FUNCTION kijun_save_answer(bigint, text, int, text, smallint, text, text, text, text, date, text, text, boolean);
DROP FUNCTION kijun_lock_editable(bigint, text, text, boolean);

-- kijun_lock_editable is 000011's, plus the tenant: given p_operator, it
-- raises KJ011 unless the assessment, as the principal sees it, is that
-- operator's in sector p_sector. The comparison is made on the row read
-- with the share lock whenever the assessment is started, so its tenant
-- cannot move before the caller commits; before the first save it is made
-- on the row read without a lock, and again once the start has locked it.
CREATE FUNCTION kijun_lock_editable(p_assessment bigint, p_actor_name text, p_request_id text, p_start boolean,
  p_operator bigint DEFAULT NULL, p_sector text DEFAULT NULL,
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
  END IF;
  IF p_operator IS NOT NULL AND (operator_id IS DISTINCT FROM p_operator OR sector_code IS DISTINCT FROM p_sector) THEN
    RAISE EXCEPTION 'assessment % is not operator %''s in sector %', p_assessment, p_operator, p_sector
      USING ERRCODE = 'KJ011';
  END IF;
  IF operator_id IS NULL THEN
    outcome := 'not_found';
    RETURN;
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

-- kijun_save_answer is 000011's, plus the tenant, which it hands to
-- kijun_lock_editable (NULL: not compared).
CREATE FUNCTION kijun_save_answer(p_assessment bigint, p_ref text, p_expected int,
  p_status text, p_maturity smallint, p_how text, p_na_reason text, p_action text, p_owner text, p_due date,
  p_actor_name text, p_request_id text, p_operator bigint DEFAULT NULL, p_sector text DEFAULT NULL,
  p_start boolean DEFAULT false,
  OUT outcome text, OUT detail text, OUT answer answers)
LANGUAGE plpgsql AS $$
DECLARE
  v_user bigint := kijun_user_id();
  h record;
  r record;
  u record;
  v_before answers;
BEGIN
  h := kijun_lock_editable(p_assessment, p_actor_name, p_request_id, p_start, p_operator, p_sector);
  IF h.outcome = 'not_started' THEN
    -- The variables keep what the block gave them when its exception
    -- rolls the start back.
    BEGIN
      r := kijun_save_answer(p_assessment, p_ref, p_expected, p_status, p_maturity, p_how, p_na_reason,
        p_action, p_owner, p_due, p_actor_name, p_request_id, p_operator, p_sector, true);
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

REVOKE ALL ON FUNCTION kijun_lock_editable, kijun_save_answer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_lock_editable, kijun_save_answer TO kijun_app;

-- kijun_audit_append is 000002's with the head locked first.
CREATE OR REPLACE FUNCTION kijun_audit_append(
  p_actor_user_id bigint, p_actor_label text, p_action text, p_object_type text, p_object_id text,
  p_ministry_code text, p_sector_code text, p_operator_id bigint,
  p_before jsonb, p_after jsonb, p_request_id text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_chain text := CASE
    WHEN p_operator_id IS NOT NULL THEN 'operator:' || p_operator_id
    WHEN p_ministry_code IS NOT NULL THEN 'ministry:' || p_ministry_code
    WHEN p_actor_user_id IS NOT NULL THEN 'nco'
    ELSE 'system' END;
  v_head audit_chain_heads;
  v_e audit_events;
BEGIN
  SELECT * INTO v_head FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  IF NOT FOUND THEN
    -- The chain's first event; two first events insert one head.
    INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (v_chain, 0, '\x')
      ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO v_head FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  END IF;
  v_e.chain := v_chain;
  v_e.seq := v_head.last_seq + 1;
  v_e.at := clock_timestamp();
  v_e.actor_user_id := p_actor_user_id;
  v_e.actor_label := coalesce(p_actor_label, '');
  v_e.action := p_action;
  v_e.object_type := coalesce(p_object_type, '');
  v_e.object_id := coalesce(p_object_id, '');
  v_e.ministry_code := p_ministry_code;
  v_e.sector_code := p_sector_code;
  v_e.operator_id := p_operator_id;
  v_e.before := p_before;
  v_e.after := p_after;
  v_e.request_id := coalesce(p_request_id, '');
  v_e.prev_hash := v_head.last_hash;
  v_e.hash := kijun_audit_hash(v_e);
  INSERT INTO audit_events (chain, seq, at, actor_user_id, actor_label, action, object_type, object_id,
      ministry_code, sector_code, operator_id, before, after, request_id, prev_hash, hash)
    VALUES (v_e.chain, v_e.seq, v_e.at, v_e.actor_user_id, v_e.actor_label, v_e.action, v_e.object_type, v_e.object_id,
      v_e.ministry_code, v_e.sector_code, v_e.operator_id, v_e.before, v_e.after, v_e.request_id, v_e.prev_hash, v_e.hash)
    RETURNING id INTO v_e.id;
  UPDATE audit_chain_heads SET last_seq = v_e.seq, last_hash = v_e.hash WHERE chain = v_chain;
  RETURN v_e.id;
END
$$;
