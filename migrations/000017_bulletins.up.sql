-- Bulletins, inquiries and FAQ (docs/bulletins.md).
-- Two-way communication between the NCO, the ministries and the operators.
-- Who receives a bulletin is decided once, when it is published: the
-- publishing transaction writes one bulletin_recipients row per recipient
-- organisation (bulletin.Audience.Includes is the rule; the store's SQL
-- follows it and a test derives one from the other). Published bulletins,
-- inquiry messages and FAQ entries never change: the grants allow no
-- update of them and triggers refuse it even to the owner (KJ017).

CREATE FUNCTION kijun_bulletins_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are published and never change', TG_TABLE_NAME USING ERRCODE = 'KJ017';
END
$$;

CREATE TABLE bulletins (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The sending ministry; NULL when the NCO sent it.
  ministry_code text REFERENCES ministries(code),
  category      text NOT NULL CHECK (category IN ('alert', 'revision', 'request')),
  title         text NOT NULL CHECK (title <> '' AND length(title) <= 200 AND title !~ '[\r\n]'),
  body          text NOT NULL CHECK (body <> '' AND length(body) <= 20000),
  audience_kind text NOT NULL CHECK (audience_kind IN ('everyone', 'ministries', 'sectors', 'scope', 'operators')),
  audience_ministries  text[] NOT NULL DEFAULT '{}',
  audience_sectors     text[] NOT NULL DEFAULT '{}',
  audience_designation text CHECK (audience_designation IN ('ci', 'core')),
  audience_operators   bigint[] NOT NULL DEFAULT '{}',
  -- Acknowledge by this day (in Japan); NULL when no acknowledgement is asked.
  ack_by        date,
  corrects      bigint REFERENCES bulletins(id),
  published_by  bigint NOT NULL REFERENCES users(id),
  published_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((audience_kind = 'scope') = (audience_designation IS NOT NULL)),
  -- A ministry addresses its sectors' operators only.
  CHECK (ministry_code IS NULL OR audience_kind = 'operators' OR audience_kind IN ('sectors', 'scope') AND cardinality(audience_sectors) > 0)
);
CREATE INDEX bulletins_published ON bulletins (published_at DESC, id DESC);
CREATE TRIGGER bulletins_immutable BEFORE UPDATE OR DELETE ON bulletins
  FOR EACH ROW EXECUTE FUNCTION kijun_bulletins_immutable();
CREATE TRIGGER bulletins_no_truncate BEFORE TRUNCATE ON bulletins
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_bulletins_immutable();

-- One row per recipient organisation: a ministry or an operator. The
-- sender's ministry is copied so that the sender reads the rows without
-- a join (and without the policies referring to each other).
CREATE TABLE bulletin_recipients (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bulletin_id     bigint NOT NULL REFERENCES bulletins(id),
  sender_ministry text REFERENCES ministries(code),
  ministry_code   text REFERENCES ministries(code),
  operator_id     bigint,
  sector_code     text,
  acked_at        timestamptz,
  acked_by        bigint REFERENCES users(id),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE,
  CHECK ((ministry_code IS NULL) <> (operator_id IS NULL)),
  CHECK ((operator_id IS NULL) = (sector_code IS NULL)),
  CHECK ((acked_at IS NULL) = (acked_by IS NULL)),
  UNIQUE (bulletin_id, ministry_code),
  UNIQUE (bulletin_id, operator_id)
);
CREATE INDEX bulletin_recipients_operator ON bulletin_recipients (operator_id, bulletin_id) WHERE operator_id IS NOT NULL;
CREATE INDEX bulletin_recipients_ministry ON bulletin_recipients (ministry_code, bulletin_id) WHERE ministry_code IS NOT NULL;

-- An acknowledgement is given once, by a user of the recipient, and only
-- for a bulletin that asks for one; nothing else of a recipient changes.
CREATE FUNCTION kijun_bulletin_ack_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.acked_at IS NOT NULL
     OR (NEW.id, NEW.bulletin_id, NEW.sender_ministry, NEW.ministry_code, NEW.operator_id)
        IS DISTINCT FROM (OLD.id, OLD.bulletin_id, OLD.sender_ministry, OLD.ministry_code, OLD.operator_id)
     OR NOT EXISTS (SELECT 1 FROM bulletins b WHERE b.id = NEW.bulletin_id AND b.ack_by IS NOT NULL) THEN
    RAISE EXCEPTION 'a bulletin''s recipient is acknowledged once, when asked' USING ERRCODE = 'KJ017';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER bulletin_recipients_ack BEFORE UPDATE OR DELETE ON bulletin_recipients
  FOR EACH ROW EXECUTE FUNCTION kijun_bulletin_ack_guard();

-- Who of a recipient organisation read the bulletin, and when (first time).
CREATE TABLE bulletin_reads (
  recipient_id bigint NOT NULL REFERENCES bulletin_recipients(id),
  user_id      bigint NOT NULL REFERENCES users(id),
  read_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (recipient_id, user_id)
);

ALTER TABLE bulletins ENABLE ROW LEVEL SECURITY;
ALTER TABLE bulletin_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE bulletin_reads ENABLE ROW LEVEL SECURITY;
-- The NCO sees every bulletin; a ministry those it sent; every recipient
-- organisation's users the bulletins it received.
CREATE POLICY bulletins_read ON bulletins FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries())
    OR EXISTS (SELECT 1 FROM bulletin_recipients r WHERE r.bulletin_id = bulletins.id
               AND (r.operator_id = ANY (kijun_operators()) OR r.ministry_code = ANY (kijun_ministries()))));
-- The NCO publishes as the NCO, a ministry as itself for its sectors.
CREATE POLICY bulletins_insert ON bulletins FOR INSERT
  WITH CHECK (published_by = kijun_user_id() AND (
    ministry_code IS NULL AND kijun_nco()
    OR ministry_code = ANY (kijun_ministries()) AND audience_sectors <@ kijun_sectors()));
CREATE POLICY bulletin_recipients_read ON bulletin_recipients FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sender_ministry = ANY (kijun_ministries())
    OR operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries()));
-- Recipients are written by the publisher in the publishing transaction
-- (published_at = now(), the transaction's start); a ministry's reach
-- only operators of its sectors.
CREATE POLICY bulletin_recipients_insert ON bulletin_recipients FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM bulletins b WHERE b.id = bulletin_id AND b.published_by = kijun_user_id()
      AND b.published_at = now() AND b.ministry_code IS NOT DISTINCT FROM sender_ministry)
    AND (sender_ministry IS NULL OR ministry_code IS NULL AND sector_code = ANY (kijun_sectors())));
CREATE POLICY bulletin_recipients_ack ON bulletin_recipients FOR UPDATE
  USING (operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries()))
  WITH CHECK (acked_by = kijun_user_id() AND (operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries())));
CREATE POLICY bulletin_reads_read ON bulletin_reads FOR SELECT
  USING (kijun_system() OR EXISTS (SELECT 1 FROM bulletin_recipients r WHERE r.id = recipient_id));
CREATE POLICY bulletin_reads_insert ON bulletin_reads FOR INSERT
  WITH CHECK (user_id = kijun_user_id() AND EXISTS (SELECT 1 FROM bulletin_recipients r WHERE r.id = recipient_id
    AND (r.operator_id = ANY (kijun_operators()) OR r.ministry_code = ANY (kijun_ministries()))));
GRANT SELECT, INSERT ON bulletins, bulletin_recipients, bulletin_reads TO kijun_app;
GRANT UPDATE (acked_at, acked_by) ON bulletin_recipients TO kijun_app;

-- Inquiries (問い合わせ): an operator's question thread to a ministry
-- overseeing its sector. The ministry may escalate it (回付) to the NCO,
-- which from then on sees it and writes in it. Nobody else sees it: not
-- another operator, not another ministry.
CREATE TABLE inquiries (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  ministry_code text NOT NULL REFERENCES ministries(code),
  subject       text NOT NULL CHECK (subject <> '' AND length(subject) <= 200 AND subject !~ '[\r\n]'),
  created_by    bigint NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  escalated_at  timestamptz,
  escalated_by  bigint REFERENCES users(id),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE,
  CHECK ((escalated_at IS NULL) = (escalated_by IS NULL))
);
CREATE INDEX inquiries_operator ON inquiries (operator_id, created_at DESC);
CREATE INDEX inquiries_ministry ON inquiries (ministry_code, created_at DESC);

-- Escalation happens once; nothing else of an inquiry changes.
CREATE FUNCTION kijun_inquiry_escalate_guard() RETURNS trigger
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
CREATE TRIGGER inquiries_escalate BEFORE UPDATE OR DELETE ON inquiries
  FOR EACH ROW EXECUTE FUNCTION kijun_inquiry_escalate_guard();

CREATE TABLE inquiry_messages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inquiry_id  bigint NOT NULL REFERENCES inquiries(id),
  side        text NOT NULL CHECK (side IN ('operator', 'ministry', 'nco')),
  author_id   bigint NOT NULL REFERENCES users(id),
  body        text NOT NULL CHECK (body <> '' AND length(body) <= 10000),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inquiry_messages_thread ON inquiry_messages (inquiry_id, id);
CREATE TRIGGER inquiry_messages_immutable BEFORE UPDATE OR DELETE ON inquiry_messages
  FOR EACH ROW EXECUTE FUNCTION kijun_bulletins_immutable();

ALTER TABLE inquiries ENABLE ROW LEVEL SECURITY;
ALTER TABLE inquiry_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY inquiries_read ON inquiries FOR SELECT
  USING (kijun_system() OR operator_id = ANY (kijun_operators()) OR ministry_code = ANY (kijun_ministries())
    OR kijun_nco() AND escalated_at IS NOT NULL);
CREATE POLICY inquiries_insert ON inquiries FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND created_by = kijun_user_id() AND escalated_at IS NULL
    AND EXISTS (SELECT 1 FROM sector_oversight o WHERE o.ministry_code = inquiries.ministry_code AND o.sector_code = inquiries.sector_code));
CREATE POLICY inquiries_escalate ON inquiries FOR UPDATE
  USING (ministry_code = ANY (kijun_ministries()))
  WITH CHECK (ministry_code = ANY (kijun_ministries()) AND escalated_by = kijun_user_id());
CREATE POLICY inquiry_messages_read ON inquiry_messages FOR SELECT
  USING (kijun_system() OR EXISTS (SELECT 1 FROM inquiries q WHERE q.id = inquiry_id));
-- Each side writes as itself: the operator's users, the ministry's, the
-- NCO once the inquiry is escalated.
CREATE POLICY inquiry_messages_insert ON inquiry_messages FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND EXISTS (SELECT 1 FROM inquiries q WHERE q.id = inquiry_id AND (
       side = 'operator' AND q.operator_id = ANY (kijun_operators())
    OR side = 'ministry' AND q.ministry_code = ANY (kijun_ministries())
    OR side = 'nco' AND kijun_nco() AND q.escalated_at IS NOT NULL)));
GRANT SELECT, INSERT ON inquiries, inquiry_messages TO kijun_app;
GRANT UPDATE (escalated_at, escalated_by) ON inquiries TO kijun_app;

-- FAQ entries (よくある質問) for the operators of some sectors, by a ministry
-- for its sectors or by the NCO. The question is written anew by the
-- publisher; inquiry_id (where it came from) is read by publishers only.
CREATE TABLE faqs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ministry_code text REFERENCES ministries(code),
  sectors       text[] NOT NULL CHECK (cardinality(sectors) > 0),
  question      text NOT NULL CHECK (question <> '' AND length(question) <= 10000),
  answer        text NOT NULL CHECK (answer <> '' AND length(answer) <= 10000),
  inquiry_id    bigint REFERENCES inquiries(id),
  published_by  bigint NOT NULL REFERENCES users(id),
  published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX faqs_sectors ON faqs USING gin (sectors);
CREATE TRIGGER faqs_immutable BEFORE UPDATE OR DELETE ON faqs
  FOR EACH ROW EXECUTE FUNCTION kijun_bulletins_immutable();
CREATE TRIGGER faqs_no_truncate BEFORE TRUNCATE ON faqs
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_bulletins_immutable();
ALTER TABLE faqs ENABLE ROW LEVEL SECURITY;
CREATE POLICY faqs_read ON faqs FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()) OR sectors && kijun_sectors()
    OR sectors && ARRAY(SELECT o.sector_code FROM operators o WHERE o.id = ANY (kijun_operators())));
CREATE POLICY faqs_insert ON faqs FOR INSERT
  WITH CHECK (published_by = kijun_user_id() AND (
    ministry_code IS NULL AND kijun_nco()
    OR ministry_code = ANY (kijun_ministries()) AND sectors <@ kijun_sectors()));
GRANT SELECT, INSERT ON faqs TO kijun_app;
