DROP POLICY notifications_mailed ON notifications;
DROP INDEX notifications_digest;
ALTER TABLE notifications DROP COLUMN mailed_at;
DROP TABLE notification_settings, notification_prefs;
