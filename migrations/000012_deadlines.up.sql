-- Deadlines (docs/deadlines.md). An assessment falls due on its cycle's
-- due_on unless its ministry extended it for that operator: the
-- assessment's own due_on is then set, and every extension is kept with
-- its reason. The effective due date is coalesce(a.due_on, c.due_on)
-- (assessment.Due is the rule).
ALTER TABLE assessments ADD COLUMN due_on date;

CREATE TABLE assessment_extensions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  previous_due  date NOT NULL,
  due_on        date NOT NULL CHECK (due_on > previous_due),
  reason        text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
  granted_by    bigint NOT NULL REFERENCES users(id),
  granted_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_extensions_assessment ON assessment_extensions (assessment_id, granted_at);

ALTER TABLE assessment_extensions ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_extensions_read ON assessment_extensions FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
-- Only the overseeing ministry (or the NCO) extends.
CREATE POLICY assessment_extensions_insert ON assessment_extensions FOR INSERT
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT, INSERT ON assessment_extensions TO kijun_app;

-- An assessment's due date moves only by its ministry or the NCO (an
-- operator may update its own row's status, never its deadline).
CREATE FUNCTION kijun_assessments_due_by_overseer() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.due_on IS DISTINCT FROM OLD.due_on
     AND NOT (kijun_system() OR kijun_nco() OR NEW.sector_code = ANY (kijun_sectors())) THEN
    RAISE EXCEPTION 'assessment %: only its ministry extends its due date', OLD.id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_due_by_overseer BEFORE UPDATE OF due_on ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_due_by_overseer();
GRANT UPDATE (due_on) ON assessments TO kijun_app;
