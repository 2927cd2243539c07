-- Inquiries close, FAQ entries are withdrawn or corrected (docs/bulletins.md).
--
-- An inquiry is open or closed (解決済み). The rule is bulletin.CanClose:
-- the ministry asked closes it, the NCO too once it is escalated, each as
-- the user who closes; anyone who sees the thread reopens it by writing in
-- it (the store clears the closure in the message's transaction).
-- TestInquiryCloseSQLFollowsTheRule derives the database's answer from the
-- Go rule for every side and escalation.
--
-- An FAQ entry is withdrawn (取り下げ, with a reason) by its publisher or the
-- NCO: a row of faq_withdrawals, never changed. A correction is a new
-- entry naming the one it replaces (faqs.corrects, once per entry); the
-- replaced entry is then no longer shown to readers.

ALTER TABLE inquiries
  ADD COLUMN closed_at   timestamptz,
  ADD COLUMN closed_by   bigint REFERENCES users(id),
  ADD COLUMN closed_side text CHECK (closed_side IN ('ministry', 'nco')),
  ADD CONSTRAINT inquiries_closed_whole CHECK ((closed_at IS NULL) = (closed_by IS NULL) AND (closed_at IS NULL) = (closed_side IS NULL)),
  -- The NCO closes only what was escalated to it.
  ADD CONSTRAINT inquiries_closed_nco CHECK (closed_side IS DISTINCT FROM 'nco' OR escalated_at IS NOT NULL);
CREATE INDEX inquiries_open ON inquiries (ministry_code) WHERE closed_at IS NULL;

-- Escalation happens once and a closure is taken whole (or cleared to
-- reopen); a user's session escalates as the ministry asked and closes as
-- its side (kijun_user_id() is unset only for the owner's fixtures and
-- the system). Nothing else of an inquiry changes.
CREATE OR REPLACE FUNCTION kijun_inquiry_escalate_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     OR (NEW.id, NEW.operator_id, NEW.ministry_code, NEW.subject, NEW.created_by, NEW.created_at)
        IS DISTINCT FROM (OLD.id, OLD.operator_id, OLD.ministry_code, OLD.subject, OLD.created_by, OLD.created_at)
     OR OLD.escalated_at IS NOT NULL AND (NEW.escalated_at, NEW.escalated_by) IS DISTINCT FROM (OLD.escalated_at, OLD.escalated_by)
     OR OLD.closed_at IS NOT NULL AND NEW.closed_at IS NOT NULL
        AND (NEW.closed_at, NEW.closed_by, NEW.closed_side) IS DISTINCT FROM (OLD.closed_at, OLD.closed_by, OLD.closed_side) THEN
    RAISE EXCEPTION 'an inquiry is escalated once, closed or reopened, and otherwise never changes' USING ERRCODE = 'KJ017';
  END IF;
  IF kijun_user_id() IS NOT NULL AND NOT kijun_system() THEN
    IF OLD.escalated_at IS NULL AND NEW.escalated_at IS NOT NULL
       AND NOT (NEW.escalated_by = kijun_user_id() AND NEW.ministry_code = ANY (kijun_ministries())) THEN
      RAISE EXCEPTION 'only the ministry asked escalates an inquiry' USING ERRCODE = 'KJ017';
    END IF;
    IF OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL
       AND NOT (NEW.closed_by = kijun_user_id() AND (
             NEW.closed_side = 'ministry' AND NEW.ministry_code = ANY (kijun_ministries())
          OR NEW.closed_side = 'nco' AND kijun_nco())) THEN
      RAISE EXCEPTION 'an inquiry is closed by the ministry asked or, once escalated, the NCO' USING ERRCODE = 'KJ017';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- Whoever sees the thread updates it; the trigger decides what may move.
DROP POLICY inquiries_escalate ON inquiries;
CREATE POLICY inquiries_update ON inquiries FOR UPDATE
  USING (operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries())
    OR kijun_nco() AND escalated_at IS NOT NULL)
  WITH CHECK (operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries())
    OR kijun_nco() AND escalated_at IS NOT NULL);
GRANT UPDATE (closed_at, closed_by, closed_side) ON inquiries TO kijun_app;

-- FAQ: corrections and withdrawals.
ALTER TABLE faqs ADD COLUMN corrects bigint REFERENCES faqs(id);
CREATE UNIQUE INDEX faqs_corrected_once ON faqs (corrects) WHERE corrects IS NOT NULL;

CREATE TABLE faq_withdrawals (
  faq_id        bigint PRIMARY KEY REFERENCES faqs(id),
  reason        text NOT NULL CHECK (btrim(reason) <> '' AND length(reason) <= 2000),
  withdrawn_by  bigint NOT NULL REFERENCES users(id),
  withdrawn_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER faq_withdrawals_immutable BEFORE UPDATE OR DELETE ON faq_withdrawals
  FOR EACH ROW EXECUTE FUNCTION kijun_bulletins_immutable();
CREATE TRIGGER faq_withdrawals_no_truncate BEFORE TRUNCATE ON faq_withdrawals
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_bulletins_immutable();
ALTER TABLE faq_withdrawals ENABLE ROW LEVEL SECURITY;
CREATE POLICY faq_withdrawals_read ON faq_withdrawals FOR SELECT
  USING (kijun_system() OR EXISTS (SELECT 1 FROM faqs f WHERE f.id = faq_id));
-- The publishing ministry withdraws its entries, the NCO any.
CREATE POLICY faq_withdrawals_insert ON faq_withdrawals FOR INSERT
  WITH CHECK (withdrawn_by = kijun_user_id() AND EXISTS (SELECT 1 FROM faqs f WHERE f.id = faq_id
    AND (kijun_nco() OR f.ministry_code = ANY (kijun_ministries()))));
GRANT SELECT, INSERT ON faq_withdrawals TO kijun_app;

-- A correction replaces an entry of the same publisher (the NCO any).
-- (A function: a policy of faqs cannot read faqs itself.)
CREATE FUNCTION kijun_faq_correctable(p_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM faqs c WHERE c.id = p_id AND (kijun_nco() OR c.ministry_code = ANY (kijun_ministries())))
$$;
DROP POLICY faqs_insert ON faqs;
CREATE POLICY faqs_insert ON faqs FOR INSERT
  WITH CHECK (published_by = kijun_user_id() AND (
    ministry_code IS NULL AND kijun_nco()
    OR ministry_code = ANY (kijun_ministries()) AND sectors <@ kijun_sectors())
    AND (corrects IS NULL OR kijun_faq_correctable(corrects)));

-- Bulletins still asking for an acknowledgement reach operators that
-- enter their audience later (bulletin.Bulletin.ReachesLater): the daily
-- job (a system transaction) writes their recipient rows.
DROP POLICY bulletin_recipients_insert ON bulletin_recipients;
CREATE POLICY bulletin_recipients_insert ON bulletin_recipients FOR INSERT
  WITH CHECK (kijun_system() AND operator_id IS NOT NULL
    OR EXISTS (SELECT 1 FROM bulletins b WHERE b.id = bulletin_id AND b.published_by = kijun_user_id()
      AND b.published_at = now() AND b.ministry_code IS NOT DISTINCT FROM sender_ministry)
    AND (sender_ministry IS NULL OR ministry_code IS NULL AND sector_code = ANY (kijun_sectors())));
