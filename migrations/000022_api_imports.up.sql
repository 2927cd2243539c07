-- The public API's register import and evidence removal (docs/api.md).
--
-- An import through the API is checked when uploaded and applied only when
-- confirmed, like the page's preview → confirm; the page keeps the checked
-- rows in the person's session, the API (which has none) here: one row per
-- upload, seen and written only by the service account that uploaded it,
-- confirmed at most once, and refused once expired.
CREATE TABLE api_operator_imports (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users(id),
  file_name    text NOT NULL,
  file_sha256  text NOT NULL,
  rows         jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  confirmed_at timestamptz,
  result       jsonb,
  CHECK (expires_at > created_at)
);
CREATE INDEX api_operator_imports_user ON api_operator_imports(user_id, id);
ALTER TABLE api_operator_imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_operator_imports_own ON api_operator_imports FOR ALL
  USING (user_id = kijun_user_id()) WITH CHECK (user_id = kijun_user_id());
GRANT SELECT, INSERT, UPDATE ON api_operator_imports TO kijun_app;

-- An operator removes evidence it attached while the assessment is
-- editable (kijun_answers_guard refuses it once submitted or accepted).
CREATE POLICY evidence_delete ON evidence FOR DELETE
  USING (operator_id = ANY (kijun_operators()));
GRANT DELETE ON evidence TO kijun_app;
