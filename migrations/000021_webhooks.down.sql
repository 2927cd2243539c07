DELETE FROM notification_prefs WHERE kind = 'webhook.disabled';
ALTER TABLE notification_prefs DROP CONSTRAINT notification_prefs_mandatory;
ALTER TABLE notification_prefs ADD CONSTRAINT notification_prefs_mandatory
  CHECK (NOT (kind IN ('grant.given', 'grant.revoked') AND delivery = 'off'));
DELETE FROM notifications WHERE kind = 'webhook.disabled';
DROP POLICY notifications_insert ON notifications;
CREATE POLICY notifications_insert ON notifications FOR INSERT
  WITH CHECK ((kijun_user_id() IS NOT NULL OR kijun_system()) AND (
    CASE WHEN ministry_code IS NULL AND sector_code IS NULL AND operator_id IS NULL
      THEN kind LIKE 'grant.%'
      ELSE EXISTS (SELECT 1 FROM kijun_scope_grants(ministry_code, sector_code, operator_id) s
                   WHERE s.user_id = notifications.user_id)
    END));
DROP POLICY api_idempotency_purge ON api_idempotency;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP FUNCTION kijun_event_visible;
DROP FUNCTION kijun_webhook_kinds;
DROP TABLE webhook_endpoints;
DROP FUNCTION kijun_webhook_tenant;
