DROP FUNCTION kijun_operator_exists;
DROP TABLE operator_corrections, operator_contacts, operator_systems;
ALTER TABLE operators DROP CONSTRAINT operators_id_sector;
DROP INDEX operators_status;
ALTER TABLE operators DROP CONSTRAINT operators_withdrawn,
  DROP COLUMN withdrawn_reason,
  DROP COLUMN withdrawn_at;
