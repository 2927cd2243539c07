DROP TRIGGER assessments_due_by_overseer ON assessments;
DROP FUNCTION kijun_assessments_due_by_overseer;
REVOKE UPDATE (due_on) ON assessments FROM kijun_app;
DROP TABLE assessment_extensions;
ALTER TABLE assessments DROP COLUMN due_on;
