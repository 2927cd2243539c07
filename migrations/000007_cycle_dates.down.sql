DROP TRIGGER assessments_not_before_open ON assessments;
DROP FUNCTION kijun_assessments_not_before_open;
ALTER TABLE cycles DROP CONSTRAINT cycles_due_in_year;
