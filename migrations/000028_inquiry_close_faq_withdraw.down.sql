DROP POLICY bulletin_recipients_insert ON bulletin_recipients;
CREATE POLICY bulletin_recipients_insert ON bulletin_recipients FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM bulletins b WHERE b.id = bulletin_id AND b.published_by = kijun_user_id()
      AND b.published_at = now() AND b.ministry_code IS NOT DISTINCT FROM sender_ministry)
    AND (sender_ministry IS NULL OR ministry_code IS NULL AND sector_code = ANY (kijun_sectors())));
DROP POLICY faqs_insert ON faqs;
CREATE POLICY faqs_insert ON faqs FOR INSERT
  WITH CHECK (published_by = kijun_user_id() AND (
    ministry_code IS NULL AND kijun_nco()
    OR ministry_code = ANY (kijun_ministries()) AND sectors <@ kijun_sectors()));
DROP FUNCTION kijun_faq_correctable;
DROP TABLE faq_withdrawals;
DROP INDEX faqs_corrected_once;
ALTER TABLE faqs DROP COLUMN corrects;

DROP POLICY inquiries_update ON inquiries;
REVOKE UPDATE (closed_at, closed_by, closed_side) ON inquiries FROM kijun_app;
CREATE POLICY inquiries_escalate ON inquiries FOR UPDATE
  USING (ministry_code = ANY (kijun_ministries()))
  WITH CHECK (ministry_code = ANY (kijun_ministries()) AND escalated_by = kijun_user_id());
CREATE OR REPLACE FUNCTION kijun_inquiry_escalate_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.escalated_at IS NOT NULL
     OR (NEW.id, NEW.operator_id, NEW.ministry_code, NEW.subject, NEW.created_by, NEW.created_at)
        IS DISTINCT FROM (OLD.id, OLD.operator_id, OLD.ministry_code, OLD.subject, OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'an inquiry is escalated once and otherwise never changes' USING ERRCODE = 'KJ017';
  END IF;
  RETURN NEW;
END
$$;
DROP INDEX inquiries_open;
ALTER TABLE inquiries DROP COLUMN closed_side, DROP COLUMN closed_by, DROP COLUMN closed_at;
