DROP TABLE plan_deadlines;
REVOKE UPDATE (respond_by) ON plan_evaluations FROM kijun_app;
ALTER TABLE plan_evaluations DROP COLUMN respond_by;
DROP TRIGGER assessments_due_by_overseer ON assessments;
DROP FUNCTION kijun_assessments_due_by_overseer;
REVOKE UPDATE (due_on) ON assessments FROM kijun_app;
DROP TABLE assessment_extensions;
DROP INDEX assessments_extended;
ALTER TABLE assessments DROP COLUMN due_on;
