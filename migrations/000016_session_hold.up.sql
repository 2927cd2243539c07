-- A session the server remembers, held by the work it does (issue 7: the
-- autosave in one round trip; docs/security.md, "Sessions and requests").
--
-- Every request reads its session and its user's principal before its
-- work: one round trip. The autosave may instead use the session and
-- principal an earlier request of the same session read, if the one
-- statement it sends first checks, in the same implicit transaction, that
-- the session is still live, still that user's, and that the user's
-- principal has not changed since: kijun_hold_session raises KJ012
-- otherwise, and nothing of the request is done.
--
-- users.principal_version is what "not changed" means: every change of a
-- user's name, e-mail address or role grants (granted, revoked, or moved
-- with its operator's sector) bumps it.
ALTER TABLE users ADD COLUMN principal_version bigint NOT NULL DEFAULT 0;

-- A grant's change bumps its user's version, and the version of the user
-- it moved from (OLD is NULL on INSERT, NEW on DELETE). SECURITY DEFINER:
-- the admin who grants may not update the user's row.
CREATE FUNCTION kijun_grants_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE users SET principal_version = principal_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER role_grants_principal_version AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION kijun_grants_changed();

-- A change of the user's own row that the principal carries bumps it too.
CREATE FUNCTION kijun_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.display_name, NEW.email) IS DISTINCT FROM (OLD.display_name, OLD.email) THEN
    NEW.principal_version := OLD.principal_version + 1;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_principal_version BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION kijun_user_changed();

-- kijun_hold_session raises KJ012 unless session p_token is live, is
-- p_user's, and p_user's principal is still at p_version. It runs after
-- the principal's settings, as the principal (who sees their own user
-- row), so that it belongs to the transaction it guards.
CREATE FUNCTION kijun_hold_session(p_token text, p_user bigint, p_version bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token = p_token AND current_timestamp < s.expiry
      AND s.user_id = p_user AND u.id = kijun_user_id() AND u.principal_version = p_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the session no longer holds for user %', p_user USING ERRCODE = 'KJ012';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION kijun_hold_session FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_hold_session TO kijun_app;
