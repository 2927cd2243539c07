-- Notification preferences and e-mail delivery (docs/notifications.md).

-- Per user and kind: immediate (a mail per notice), digest (one mail a
-- day), or off (the inbox only). No row: immediate. Mandatory kinds
-- (notify.Mandatory in Go; rules_test keeps this list equal) cannot be off.
CREATE TABLE notification_prefs (
  user_id  bigint NOT NULL REFERENCES users(id),
  kind     text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*\.[a-z_]+$'),
  delivery text NOT NULL CHECK (delivery IN ('immediate', 'digest', 'off')),
  PRIMARY KEY (user_id, kind),
  CONSTRAINT notification_prefs_mandatory CHECK (NOT (kind IN ('grant.given', 'grant.revoked') AND delivery = 'off'))
);

-- The language a user's mail is written in (ja, en), chosen on the
-- preferences page.
CREATE TABLE notification_settings (
  user_id bigint PRIMARY KEY REFERENCES users(id),
  lang    text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en'))
);

ALTER TABLE notification_prefs ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_prefs_own ON notification_prefs FOR ALL
  USING (user_id = kijun_user_id() OR kijun_system()) WITH CHECK (user_id = kijun_user_id());
ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_settings_own ON notification_settings FOR ALL
  USING (user_id = kijun_user_id() OR kijun_system()) WITH CHECK (user_id = kijun_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_prefs TO kijun_app;
GRANT SELECT, INSERT, UPDATE ON notification_settings TO kijun_app;

-- When a notice went out by mail (alone or in a digest), or was settled
-- without one (preference off, no address): the mail worker's record of
-- what it sent, written in the transaction that finishes its job.
ALTER TABLE notifications ADD COLUMN mailed_at timestamptz;
CREATE INDEX notifications_digest ON notifications (user_id, created_at) WHERE mailed_at IS NULL;
CREATE POLICY notifications_mailed ON notifications FOR UPDATE
  USING (kijun_system()) WITH CHECK (kijun_system());
GRANT UPDATE (mailed_at) ON notifications TO kijun_app;
