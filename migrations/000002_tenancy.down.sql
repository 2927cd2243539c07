DROP FUNCTION kijun_user_id_by_email;
DROP FUNCTION kijun_audit_append;
DROP TABLE audit_chain_heads;
DROP FUNCTION kijun_audit_hash;
DROP TABLE audit_events, sessions, role_grants, identities, users, operator_scopes, operators;
ALTER TABLE business_scopes DROP CONSTRAINT business_scopes_id_sector_code_key;
DROP FUNCTION kijun_row_visible, kijun_operators, kijun_sectors, kijun_ministries, kijun_user_id,
  kijun_system, kijun_nco, kijun_setting_array;
