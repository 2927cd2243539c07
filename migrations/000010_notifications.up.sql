-- Notifications (docs/notifications.md). A notification is one
-- event told to one user, written in the transaction of the change. The
-- recipients are chosen in Go by the one policy (internal/notify,
-- internal/authz); the database backs it: a notification's recipient must
-- hold an active grant in the tenant the notification is about (or be the
-- user a grant notice is about), and a user reads and marks only their own.

-- The scope a notification is about: a ministry (plans, evaluations), a
-- sector and operator (assessments), or only the recipient (grants).
-- Ids come from the sequence before the insert: the writer may not read
-- the rows it writes for others (no RETURNING), yet its mail jobs name them.
CREATE SEQUENCE notifications_id_seq;
CREATE TABLE notifications (
  id            bigint PRIMARY KEY DEFAULT nextval('notifications_id_seq'),
  user_id       bigint NOT NULL REFERENCES users(id),
  ministry_code text REFERENCES ministries(code),
  sector_code   text REFERENCES sectors(code),
  operator_id   bigint REFERENCES operators(id),
  kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*\.[a-z_]+$'),
  params        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  link          text NOT NULL CHECK (link ~ '^/[^/]' AND length(link) <= 500),
  created_at    timestamptz NOT NULL DEFAULT now(),
  read_at       timestamptz
);
CREATE INDEX notifications_inbox ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- The users who hold an active grant in a scope: NCO roles anywhere; a
-- ministry role in p_ministry or in a ministry overseeing p_sector; an
-- operator role in p_operator. Notifying needs them whoever acts (an
-- operator's submission notifies its ministry, whose grants the operator
-- cannot read), and it answers for that scope only.
CREATE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code
  FROM role_grants g
  WHERE g.revoked_at IS NULL AND (
       g.role LIKE 'nco_%'
    OR g.ministry_code IS NOT NULL AND (g.ministry_code = p_ministry
         OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    OR g.operator_id IS NOT NULL AND g.operator_id = p_operator)
  ORDER BY g.user_id, g.id
$$;
REVOKE ALL ON FUNCTION kijun_scope_grants FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kijun_scope_grants TO kijun_app;

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
-- A user reads and marks their own; background work (mail) as the system.
CREATE POLICY notifications_read ON notifications FOR SELECT
  USING (user_id = kijun_user_id() OR kijun_system());
CREATE POLICY notifications_mark ON notifications FOR UPDATE
  USING (user_id = kijun_user_id()) WITH CHECK (user_id = kijun_user_id());
-- Whoever makes a change notifies, but only people of the tenant it is
-- about: a grant notice (no scope) goes to the user who holds the grant.
CREATE POLICY notifications_insert ON notifications FOR INSERT
  WITH CHECK ((kijun_user_id() IS NOT NULL OR kijun_system()) AND (
    CASE WHEN ministry_code IS NULL AND sector_code IS NULL AND operator_id IS NULL
      THEN kind LIKE 'grant.%'
      ELSE EXISTS (SELECT 1 FROM kijun_scope_grants(ministry_code, sector_code, operator_id) s
                   WHERE s.user_id = notifications.user_id)
    END));
ALTER SEQUENCE notifications_id_seq OWNED BY notifications.id;
GRANT SELECT, INSERT ON notifications TO kijun_app;
GRANT USAGE ON SEQUENCE notifications_id_seq TO kijun_app;
GRANT UPDATE (read_at) ON notifications TO kijun_app;
