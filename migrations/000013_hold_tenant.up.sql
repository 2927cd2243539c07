-- The autosave decides with the policy on a tenant it remembers (issue 7:
-- one round trip fewer per save; docs/assessment.md, "Saving an answer").
-- kijun_hold_tenant runs just before kijun_save_answer, in the same
-- implicit transaction, and raises KJ011 unless the assessment, as the
-- principal sees it, belongs to that operator and sector: the save then
-- happens only on the tenant the policy allowed, and the server forgets
-- what it remembered and asks again. SECURITY INVOKER: row-level security
-- applies, so an assessment the principal does not see raises the same.
--
-- A started assessment is held with the share lock the save takes anyway,
-- so its tenant cannot move before the save commits. One not started (or
-- started since the first look) is only read: its first save takes a row
-- lock to start it, and two first saves both holding the share lock would
-- deadlock (000011).
-- The operator, which is what answering depends on, never changes.
CREATE FUNCTION kijun_hold_tenant(p_assessment bigint, p_operator bigint, p_sector text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM FROM assessments a WHERE a.id = p_assessment AND a.operator_id = p_operator
    AND a.sector_code = p_sector AND a.status <> 'not_started' FOR SHARE;
  IF NOT FOUND THEN
    PERFORM FROM assessments a WHERE a.id = p_assessment AND a.operator_id = p_operator
      AND a.sector_code = p_sector;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'assessment % is not operator %''s in sector %', p_assessment, p_operator, p_sector
      USING ERRCODE = 'KJ011';
  END IF;
END
$$;
