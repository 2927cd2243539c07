REVOKE DELETE ON evidence FROM kijun_app;
DROP POLICY evidence_delete ON evidence;
DROP TABLE api_operator_imports;
