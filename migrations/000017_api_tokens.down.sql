DROP TABLE api_idempotency;
DROP TABLE api_tokens;
DROP FUNCTION kijun_token_tenant;
DROP FUNCTION kijun_create_service_account;
ALTER TABLE users DROP COLUMN service;
