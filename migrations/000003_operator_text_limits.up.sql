-- An operator's names and reason are bounded as register.MaxNameLen and
-- register.MaxReasonLen bound them in Go (internal/postgres/rules_test.go
-- holds the two equal).
ALTER TABLE operators
  ADD CONSTRAINT operators_name_ja_length CHECK (length(name_ja) <= 200),
  ADD CONSTRAINT operators_name_en_length CHECK (length(name_en) <= 200),
  ADD CONSTRAINT operators_reason_length CHECK (length(reason) <= 2000);
