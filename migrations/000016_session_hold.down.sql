DROP FUNCTION kijun_hold_session(text, bigint, bigint);
DROP TRIGGER users_principal_version ON users;
DROP FUNCTION kijun_user_changed();
DROP TRIGGER role_grants_principal_version ON role_grants;
DROP FUNCTION kijun_grants_changed();
ALTER TABLE users DROP COLUMN principal_version;
