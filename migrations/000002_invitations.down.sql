DROP INDEX role_grants_key;
DROP TABLE invitations;

CREATE FUNCTION kijun_user_id_by_email(p_email text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM users WHERE lower(email) = lower(p_email) AND email <> '' ORDER BY id LIMIT 1
$$;
REVOKE ALL ON FUNCTION kijun_user_id_by_email FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_user_id_by_email TO kijun_app;
