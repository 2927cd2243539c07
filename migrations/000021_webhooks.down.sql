DROP POLICY api_idempotency_purge ON api_idempotency;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP FUNCTION kijun_event_visible;
DROP FUNCTION kijun_webhook_kinds;
DROP TABLE webhook_endpoints;
DROP FUNCTION kijun_webhook_tenant;
