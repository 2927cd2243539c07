DROP TABLE notifications;
DROP FUNCTION kijun_scope_grants;
