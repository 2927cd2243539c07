ALTER TABLE operators
  DROP CONSTRAINT operators_name_ja_length,
  DROP CONSTRAINT operators_name_en_length,
  DROP CONSTRAINT operators_reason_length;
