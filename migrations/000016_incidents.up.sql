-- Incident reports (docs/incidents.md).
--
-- A report (incidents) is filed by an operator and goes to the ministries
-- overseeing its sector and to the NCO: those are its named recipients,
-- and kijun_row_visible is exactly them. Its content is a series of
-- stages (第一報 → 続報 … → 最終報告), each written once and never changed
-- (kijun_incident_stages_immutable): only a new stage changes the picture.
-- The fields of a stage are the NCO's versioned template (data, not
-- columns). The header carries the current picture for lists and
-- dashboards, and the TLP 2.0 label, which the operator chooses and the
-- ministry or the NCO may only narrow (kijun_incidents_guard).

CREATE TABLE incident_templates (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version      int NOT NULL UNIQUE CHECK (version > 0),
  definition   jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  published_by bigint REFERENCES users(id),
  published_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE incident_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_templates_read ON incident_templates FOR SELECT
  USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY incident_templates_insert ON incident_templates FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco());
GRANT SELECT, INSERT ON incident_templates TO kijun_app;

CREATE TABLE incidents (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  template_id   bigint NOT NULL REFERENCES incident_templates(id),
  tlp           text NOT NULL CHECK (tlp IN ('red', 'amber+strict', 'amber', 'green', 'clear')),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  title         text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 200),
  kind          text NOT NULL DEFAULT '' CHECK (length(kind) <= 100),
  stages        int NOT NULL DEFAULT 0 CHECK (stages >= 0),
  filed_at      timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  closed_at     timestamptz,
  final_due_on  date,
  update_due_on date,
  control_refs  text[] NOT NULL DEFAULT '{}',
  UNIQUE (id, operator_id, sector_code),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE,
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_sector ON incidents (sector_code, filed_at DESC);
CREATE INDEX incidents_operator ON incidents (operator_id, filed_at DESC);

CREATE TABLE incident_stages (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id       bigint NOT NULL,
  operator_id       bigint NOT NULL,
  sector_code       text NOT NULL,
  seq               int NOT NULL CHECK (seq > 0),
  stage             text NOT NULL CHECK (stage IN ('first', 'update', 'final')),
  template_id       bigint NOT NULL REFERENCES incident_templates(id),
  fields            jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'object' AND length(fields::text) <= 200000),
  submitted_by      bigint NOT NULL REFERENCES users(id),
  submitted_by_name text NOT NULL DEFAULT '' CHECK (length(submitted_by_name) <= 200),
  submitted_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, seq),
  UNIQUE (id, incident_id, operator_id, sector_code),
  CHECK ((seq = 1) = (stage = 'first')),
  FOREIGN KEY (incident_id, operator_id, sector_code)
    REFERENCES incidents(id, operator_id, sector_code) ON UPDATE CASCADE
);

-- Attachments of a stage: the evidence checks (type sniffed, size) in Go,
-- the same hard ceiling here.
CREATE TABLE incident_attachments (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stage_id         bigint NOT NULL,
  incident_id      bigint NOT NULL,
  operator_id      bigint NOT NULL,
  sector_code      text NOT NULL,
  file_name        text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255),
  content_type     text NOT NULL,
  size             bigint NOT NULL CHECK (size > 0 AND size <= 52428800),
  sha256           bytea NOT NULL CHECK (length(sha256) = 32),
  bytes            bytea NOT NULL,
  uploaded_by      bigint NOT NULL REFERENCES users(id),
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(bytes) = size),
  FOREIGN KEY (stage_id, incident_id, operator_id, sector_code)
    REFERENCES incident_stages(id, incident_id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX incident_attachments_stage ON incident_attachments (incident_id, stage_id);

-- The thread between the recipients and the operator: the ministry or the
-- NCO asks, the operator answers (parent_id the question).
CREATE TABLE incident_messages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL,
  operator_id bigint NOT NULL,
  sector_code text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('question', 'answer')),
  parent_id   bigint REFERENCES incident_messages(id),
  body        text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 4000),
  author_id   bigint NOT NULL REFERENCES users(id),
  author_name text NOT NULL DEFAULT '' CHECK (length(author_name) <= 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'answer') = (parent_id IS NOT NULL)),
  FOREIGN KEY (incident_id, operator_id, sector_code)
    REFERENCES incidents(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX incident_messages_incident ON incident_messages (incident_id, id);

-- Written once: stages, attachments and messages never change.
CREATE FUNCTION kijun_incident_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  RAISE EXCEPTION '%: a sent report is not changed; add an update', TG_TABLE_NAME USING ERRCODE = 'KJ016';
END
$$;
CREATE TRIGGER incident_stages_immutable BEFORE UPDATE OR DELETE ON incident_stages
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_immutable();
CREATE TRIGGER incident_attachments_immutable BEFORE UPDATE OR DELETE ON incident_attachments
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_immutable();
CREATE TRIGGER incident_messages_immutable BEFORE UPDATE OR DELETE ON incident_messages
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_immutable();
CREATE TRIGGER incident_stages_no_truncate BEFORE TRUNCATE ON incident_stages
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_incident_immutable();

-- A closed report takes no more stages; the header follows its stages.
CREATE FUNCTION kijun_incident_stage_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE v_status text;
BEGIN
  SELECT status INTO v_status FROM incidents WHERE id = NEW.incident_id FOR UPDATE;
  IF v_status = 'closed' THEN
    RAISE EXCEPTION 'incident %: closed by its final report', NEW.incident_id USING ERRCODE = 'KJ016';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER incident_stages_guard BEFORE INSERT ON incident_stages
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_stage_guard();

-- The TLP ranks: a larger rank shares less.
CREATE FUNCTION kijun_tlp_rank(tlp text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE tlp WHEN 'clear' THEN 0 WHEN 'green' THEN 1 WHEN 'amber' THEN 2
                  WHEN 'amber+strict' THEN 3 WHEN 'red' THEN 4 END
$$;

-- Only the operator changes its report's picture and widens its label;
-- the ministry and the NCO may only narrow the label.
CREATE FUNCTION kijun_incidents_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF kijun_system() OR OLD.operator_id = ANY (kijun_operators()) THEN
    RETURN NEW;
  END IF;
  IF (NEW.status, NEW.title, NEW.kind, NEW.stages, NEW.closed_at, NEW.final_due_on, NEW.update_due_on, NEW.control_refs, NEW.updated_at)
     IS DISTINCT FROM
     (OLD.status, OLD.title, OLD.kind, OLD.stages, OLD.closed_at, OLD.final_due_on, OLD.update_due_on, OLD.control_refs, OLD.updated_at) THEN
    RAISE EXCEPTION 'incident %: only its operator reports', OLD.id USING ERRCODE = '42501';
  END IF;
  IF kijun_tlp_rank(NEW.tlp) < kijun_tlp_rank(OLD.tlp) THEN
    RAISE EXCEPTION 'incident %: the recipients may only narrow its TLP', OLD.id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER incidents_guard BEFORE UPDATE ON incidents
  FOR EACH ROW EXECUTE FUNCTION kijun_incidents_guard();

-- Sanitised summaries: a ministry or the NCO publishes what a report
-- teaches, without the operator's identity, to one sector's operators or
-- to all. The summary does not name its report; the link to the report is
-- kept apart (incident_summary_sources) for the report's recipients.
CREATE TABLE incident_summaries (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sector_code  text REFERENCES sectors(code), -- NULL: every operator
  tlp          text NOT NULL CHECK (tlp IN ('green', 'clear')),
  title        text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 200),
  body         text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 8000),
  kind         text NOT NULL DEFAULT '' CHECK (length(kind) <= 100),
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE incident_summary_sources (
  summary_id   bigint PRIMARY KEY REFERENCES incident_summaries(id),
  incident_id  bigint NOT NULL,
  operator_id  bigint NOT NULL,
  sector_code  text NOT NULL,
  published_by bigint NOT NULL REFERENCES users(id),
  FOREIGN KEY (incident_id, operator_id, sector_code)
    REFERENCES incidents(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE TRIGGER incident_summaries_immutable BEFORE UPDATE OR DELETE ON incident_summaries
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_immutable();

-- A summary is published only from a report whose label allows sharing in
-- the community (TLP:GREEN or CLEAR), by one of its recipients.
CREATE FUNCTION kijun_incident_summary_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE v_tlp text;
BEGIN
  SELECT tlp INTO v_tlp FROM incidents WHERE id = NEW.incident_id;
  IF v_tlp IS NULL OR kijun_tlp_rank(v_tlp) > kijun_tlp_rank('green') THEN
    RAISE EXCEPTION 'incident %: its TLP does not allow a summary', NEW.incident_id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER incident_summary_sources_guard BEFORE INSERT ON incident_summary_sources
  FOR EACH ROW EXECUTE FUNCTION kijun_incident_summary_guard();

ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
CREATE POLICY incidents_read ON incidents FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY incidents_insert ON incidents FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()));
CREATE POLICY incidents_update ON incidents FOR UPDATE
  USING (kijun_row_visible(sector_code, operator_id))
  WITH CHECK (kijun_row_visible(sector_code, operator_id));
GRANT SELECT, INSERT ON incidents TO kijun_app;
GRANT UPDATE (tlp, status, title, kind, stages, updated_at, closed_at, final_due_on, update_due_on, control_refs)
  ON incidents TO kijun_app;

ALTER TABLE incident_stages ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_stages_read ON incident_stages FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY incident_stages_insert ON incident_stages FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND submitted_by = kijun_user_id());
GRANT SELECT, INSERT ON incident_stages TO kijun_app;

ALTER TABLE incident_attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_attachments_read ON incident_attachments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY incident_attachments_insert ON incident_attachments FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND uploaded_by = kijun_user_id());
GRANT SELECT, INSERT ON incident_attachments TO kijun_app;

-- The recipients ask; the operator answers.
ALTER TABLE incident_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_messages_read ON incident_messages FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY incident_messages_insert ON incident_messages FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND CASE kind
    WHEN 'question' THEN kijun_nco() OR sector_code = ANY (kijun_sectors())
    ELSE operator_id = ANY (kijun_operators()) END);
GRANT SELECT, INSERT ON incident_messages TO kijun_app;

-- Summaries: read by the NCO and ministries, and by the operators of the
-- audience (an operator's sector is on its own operators row).
ALTER TABLE incident_summaries ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_summaries_read ON incident_summaries FOR SELECT
  USING (kijun_system() OR kijun_nco() OR cardinality(kijun_ministries()) > 0
    OR sector_code IS NULL AND cardinality(kijun_operators()) > 0
    OR EXISTS (SELECT 1 FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = incident_summaries.sector_code));
CREATE POLICY incident_summaries_insert ON incident_summaries FOR INSERT
  WITH CHECK (kijun_nco() OR cardinality(kijun_ministries()) > 0);
GRANT SELECT, INSERT ON incident_summaries TO kijun_app;
ALTER TABLE incident_summary_sources ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_summary_sources_read ON incident_summary_sources FOR SELECT
  USING (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
CREATE POLICY incident_summary_sources_insert ON incident_summary_sources FOR INSERT
  WITH CHECK (published_by = kijun_user_id() AND (kijun_nco() OR sector_code = ANY (kijun_sectors())));
GRANT SELECT, INSERT ON incident_summary_sources TO kijun_app;

-- The starting template, of the project's own drafting (docs/incidents.md):
-- the NCO publishes the next versions with the legal fields it settles.
INSERT INTO incident_templates (version, definition) VALUES (1, $tpl$
{
  "title": {"ja": "インシデント報告（標準様式・草案）", "en": "Incident report (standard form, draft)"},
  "due": {"final_days": 30, "update_days": 7},
  "fields": [
    {"key": "title", "type": "text", "max": 200, "required": ["first", "update", "final"],
     "label": {"ja": "件名", "en": "Title"},
     "help": {"ja": "事象を一行で記載してください。", "en": "The event in one line."}},
    {"key": "occurred_at", "type": "datetime", "required": ["first"],
     "label": {"ja": "発生日時", "en": "When it happened"},
     "help": {"ja": "分かる範囲で記載してください（日本時間）。", "en": "As far as known (Japan time)."}},
    {"key": "noticed_at", "type": "datetime", "required": ["first"],
     "label": {"ja": "認知日時", "en": "When it was noticed"},
     "help": {"ja": "事象を認知した日時（日本時間）。", "en": "When you noticed it (Japan time)."}},
    {"key": "kind", "type": "choice", "required": ["first"],
     "label": {"ja": "事象の種類", "en": "Kind of event"},
     "choices": [
       {"value": "unauthorized_access", "label": {"ja": "不正アクセス", "en": "Unauthorised access"}},
       {"value": "malware", "label": {"ja": "マルウェア感染", "en": "Malware"}},
       {"value": "dos", "label": {"ja": "サービス妨害（DoS）", "en": "Denial of service"}},
       {"value": "data_leak", "label": {"ja": "情報漏えい", "en": "Data leak"}},
       {"value": "failure", "label": {"ja": "システム障害（非意図的要因）", "en": "System failure (unintentional)"}},
       {"value": "other", "label": {"ja": "その他", "en": "Other"}}]},
    {"key": "systems", "type": "systems",
     "label": {"ja": "影響を受けたシステム", "en": "Systems affected"},
     "help": {"ja": "事業者登録のシステムから選択してください。", "en": "Chosen from your register entry's systems."}},
    {"key": "services", "type": "textarea", "max": 2000,
     "label": {"ja": "影響を受けたサービス", "en": "Services affected"}},
    {"key": "impact_service", "type": "textarea", "max": 4000, "required": ["first"],
     "label": {"ja": "サービスへの影響", "en": "Impact on the service"}},
    {"key": "impact_people", "type": "textarea", "max": 4000,
     "label": {"ja": "利用者・国民生活への影響", "en": "Impact on people"}},
    {"key": "cause", "type": "textarea", "max": 4000, "required": ["final"],
     "label": {"ja": "原因（判明している場合）", "en": "Cause, if known"}},
    {"key": "measures", "type": "textarea", "max": 4000, "required": ["final"],
     "label": {"ja": "実施した対策", "en": "Measures taken"}},
    {"key": "status", "type": "choice", "required": ["first", "update", "final"],
     "label": {"ja": "対応状況", "en": "Status"},
     "choices": [
       {"value": "investigating", "label": {"ja": "調査中", "en": "Investigating"}},
       {"value": "contained", "label": {"ja": "封じ込め済み", "en": "Contained"}},
       {"value": "recovered", "label": {"ja": "復旧済み", "en": "Recovered"}}]},
    {"key": "contact", "type": "text", "max": 200, "required": ["first"],
     "label": {"ja": "連絡先", "en": "Contact"},
     "help": {"ja": "担当部署と電話番号など。", "en": "Department and telephone, for instance."}},
    {"key": "controls", "type": "controls",
     "label": {"ja": "関係するベースラインの対策項目", "en": "Baseline controls it bears on"},
     "help": {"ja": "対策項目の番号をカンマ区切りで記載してください（例: GV-01, DE-02）。", "en": "Control numbers, separated by commas (e.g. GV-01, DE-02)."}}
  ]
}
$tpl$::jsonb);
