-- Reminders (督促; docs/notifications.md, "Reminders"). The NCO sets a
-- cycle's default rules (sector_code NULL), a ministry adds rules for the
-- sectors it oversees; neither removes the other's. A rule fires on a JST
-- day for an assessment not yet submitted, counted from its effective due
-- date coalesce(a.due_on, c.due_on): 'before' on due − days, 'overdue'
-- every `days` days after due. remind.Rule.FiresOn is the rule;
-- kijun_reminder_fires is its copy for set-based evaluation, and a test
-- derives the one from the other.
CREATE TABLE reminder_rules (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id    bigint NOT NULL REFERENCES cycles(id),
  sector_code text REFERENCES sectors(code), -- NULL: the NCO's default for every sector
  kind        text NOT NULL CHECK (kind IN ('before', 'overdue')),
  days        int NOT NULL,
  created_by  bigint REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'before' AND days BETWEEN 0 AND 180 OR kind = 'overdue' AND days BETWEEN 1 AND 90),
  UNIQUE NULLS NOT DISTINCT (cycle_id, sector_code, kind, days)
);

CREATE FUNCTION kijun_reminder_fires(p_kind text, p_days int, p_due date, p_day date) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_kind
    WHEN 'before'  THEN p_day = p_due - p_days
    WHEN 'overdue' THEN p_day > p_due AND (p_day - p_due) % p_days = 0
    ELSE false END
$$;

-- What went out: once per (rule, assessment, JST day); a reminder sent by
-- hand (rule_id NULL, sent_by set) once per assessment and day. Two
-- instances, a rerun or a second click insert nothing new.
CREATE TABLE reminders_sent (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id       bigint REFERENCES reminder_rules(id) ON DELETE CASCADE,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  day           date NOT NULL,
  sent_by       bigint REFERENCES users(id),
  sent_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE,
  UNIQUE NULLS NOT DISTINCT (rule_id, assessment_id, day),
  CHECK (rule_id IS NOT NULL OR sent_by IS NOT NULL)
);
CREATE INDEX reminders_sent_assessment ON reminders_sent (assessment_id, day);

ALTER TABLE reminder_rules ENABLE ROW LEVEL SECURITY;
-- The NCO reads every rule; a ministry the defaults and its sectors'.
CREATE POLICY reminder_rules_read ON reminder_rules FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code IS NULL AND cardinality(kijun_ministries()) > 0
         OR sector_code = ANY (kijun_sectors()));
-- The NCO writes the defaults (and may write any sector's); a ministry
-- only rules of its sectors, never a default.
CREATE POLICY reminder_rules_insert ON reminder_rules FOR INSERT
  WITH CHECK (kijun_nco() OR sector_code = ANY (kijun_sectors()));
CREATE POLICY reminder_rules_delete ON reminder_rules FOR DELETE
  USING (kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT, INSERT, DELETE ON reminder_rules TO kijun_app;

ALTER TABLE reminders_sent ENABLE ROW LEVEL SECURITY;
CREATE POLICY reminders_sent_read ON reminders_sent FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY reminders_sent_insert ON reminders_sent FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT, INSERT ON reminders_sent TO kijun_app;

-- kijun_scope_grants as three index scans instead of one scan of every
-- grant per call: notifying 20,000 operators at once (reminders) calls it
-- per notice, and so does the notifications_insert policy per row. The
-- three arms are disjoint (role_grants' CHECK ties each role to its
-- scope), so the result is the same set as before.
CREATE INDEX role_grants_nco ON role_grants (user_id) WHERE role LIKE 'nco_%' AND revoked_at IS NULL;
CREATE OR REPLACE FUNCTION kijun_scope_grants(p_ministry text, p_sector text, p_operator bigint)
RETURNS TABLE (user_id bigint, role text, ministry_code text, operator_id bigint, sector_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT x.user_id, x.role, x.ministry_code, x.operator_id, x.sector_code FROM (
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.role LIKE 'nco_%' AND g.revoked_at IS NULL
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.ministry_code IS NOT NULL AND g.revoked_at IS NULL AND (g.ministry_code = p_ministry
       OR EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = g.ministry_code AND o.sector_code = p_sector))
    UNION ALL
    SELECT g.id, g.user_id, g.role, g.ministry_code, g.operator_id, g.sector_code FROM role_grants g
     WHERE g.operator_id = p_operator AND g.revoked_at IS NULL) x
  ORDER BY x.user_id, x.id
$$;
