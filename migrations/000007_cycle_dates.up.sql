-- A cycle's dates belong to its fiscal year: it opens and falls due by
-- the year's last day (31 March). assessment.CheckCycleDates is the rule;
-- NOT VALID leaves rows written before it unchecked.
ALTER TABLE cycles ADD CONSTRAINT cycles_due_in_year
  CHECK (due_on <= make_date(fiscal_year + 1, 3, 31) AND opens_on <= make_date(fiscal_year + 1, 3, 31)) NOT VALID;

-- An assessment does not leave not_started before its cycle opens (a day
-- in Japan): no answer is saved and nothing submitted before then
-- (assessment.Cycle.OpenBy is the rule).
CREATE FUNCTION kijun_assessments_not_before_open() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF OLD.status = 'not_started' AND NEW.status <> 'not_started' AND EXISTS (
      SELECT FROM cycles c WHERE c.id = NEW.cycle_id AND c.opens_on > (now() AT TIME ZONE 'Asia/Tokyo')::date) THEN
    RAISE EXCEPTION 'assessment %: its cycle has not opened yet', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_not_before_open BEFORE UPDATE OF status ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_not_before_open();
