DROP FUNCTION kijun_hold_tenant(bigint, bigint, text);
