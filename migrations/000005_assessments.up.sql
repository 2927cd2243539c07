-- The self-assessment cycle: the answer scale, cycles, control sets (the
-- snapshot of controls an assessment answers), assessments, answers,
-- evidence, review comments, status history and the rollups dashboards
-- read. docs/assessment.md explains the model, the scoring and the state
-- machine. RLS follows 000002's recipe: every tenant row carries
-- sector_code and operator_id, and children reference
-- assessments(id, operator_id, sector_code) ON UPDATE CASCADE, so a row
-- can never claim another tenant than its assessment's, and moving an
-- operator to another sector moves its assessments with it.

-- The answer scale is data: labels, weights and what each answer needs.
-- weight NULL means "excluded from scores" (該当なし).
CREATE TABLE answer_scale (
  code                 text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,31}$'),
  label_ja             text NOT NULL CHECK (label_ja <> ''),
  label_en             text NOT NULL CHECK (label_en <> ''),
  weight               numeric(3,2) CHECK (weight BETWEEN 0 AND 1),
  requires_reason      boolean NOT NULL DEFAULT false,
  requires_remediation boolean NOT NULL DEFAULT false,
  sort_order           int NOT NULL DEFAULT 0
);
INSERT INTO answer_scale (code, label_ja, label_en, weight, requires_reason, requires_remediation, sort_order) VALUES
  ('implemented',     '実施済',   'Implemented',           1.00, false, false, 1),
  ('partial',         '一部実施', 'Partially implemented', 0.50, false, true,  2),
  ('not_implemented', '未実施',   'Not implemented',       0.00, false, true,  3),
  ('not_applicable',  '該当なし', 'Not applicable',        NULL, true,  false, 4);

-- A cycle: one fiscal year (April–March; 2027 = 令和9年度), measured
-- against one published catalog version.
CREATE TABLE cycles (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2019 AND 2200),
  catalog_id  bigint NOT NULL REFERENCES catalogs(id),
  opens_on    date NOT NULL,
  due_on      date NOT NULL CHECK (due_on >= opens_on),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_by  bigint REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cycles_one_open ON cycles(fiscal_year) WHERE status = 'open';

-- A control set is the immutable list of controls that assessments of one
-- sector in one cycle answer: the catalog's controls for the sector (or,
-- once sector profiles exist, the profile's selection plus the sector's
-- supplementary controls), copied at creation. Assessments share a set,
-- so opening a cycle for 20,000 operators copies ~15 × 100 rows, not
-- 2,000,000. A set is identified by the hash of its content: a profile
-- that changes mid-cycle gives new assessments a new set, and the
-- assessments already open keep theirs.
CREATE TABLE control_sets (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id      bigint NOT NULL REFERENCES cycles(id),
  sector_code   text NOT NULL REFERENCES sectors(code),
  catalog_id    bigint NOT NULL REFERENCES catalogs(id),
  source        text NOT NULL DEFAULT 'baseline', -- 'baseline' or what built it, e.g. 'profile:12'
  fingerprint   bytea NOT NULL,                   -- sha256 of the items, computed by the store
  control_count int NOT NULL CHECK (control_count > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (cycle_id, sector_code, fingerprint),
  UNIQUE (id, sector_code)
);

CREATE TABLE control_set_items (
  set_id            bigint NOT NULL,
  sector_code       text NOT NULL, -- denormalised for RLS
  ref               text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  catalog_id        bigint REFERENCES catalogs(id), -- NULL: a sector supplementary control
  section_code      text NOT NULL REFERENCES baseline_sections(code),
  themes            text[] NOT NULL DEFAULT '{}',
  csf               text[] NOT NULL DEFAULT '{}',
  title_ja          text NOT NULL CHECK (title_ja <> ''),
  title_en          text NOT NULL DEFAULT '',
  statement_ja      text NOT NULL DEFAULT '',
  statement_en      text NOT NULL DEFAULT '',
  evidence_expected boolean NOT NULL DEFAULT false,
  sort_order        int NOT NULL DEFAULT 0,
  PRIMARY KEY (set_id, ref),
  FOREIGN KEY (set_id, sector_code) REFERENCES control_sets(id, sector_code)
);

CREATE TABLE assessments (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id       bigint NOT NULL REFERENCES cycles(id),
  operator_id    bigint NOT NULL,
  sector_code    text NOT NULL,
  ministry_code  text REFERENCES ministries(code), -- the overseeing ministry, for its lists
  control_set_id bigint NOT NULL REFERENCES control_sets(id),
  status         text NOT NULL DEFAULT 'not_started'
                 CHECK (status IN ('not_started', 'in_progress', 'submitted', 'returned', 'accepted')),
  version        int NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  submitted_at   timestamptz,
  submitted_by   bigint REFERENCES users(id),
  accepted_at    timestamptz,
  accepted_by    bigint REFERENCES users(id),
  returned_at    timestamptz,
  returned_by    bigint REFERENCES users(id),
  UNIQUE (operator_id, cycle_id),
  UNIQUE (id, operator_id, sector_code),
  FOREIGN KEY (operator_id, sector_code) REFERENCES operators(id, sector_code) ON UPDATE CASCADE,
  CHECK (status <> 'accepted' OR accepted_at IS NOT NULL),
  CHECK (status NOT IN ('submitted', 'accepted') OR submitted_at IS NOT NULL)
);
CREATE INDEX assessments_cycle_sector ON assessments(cycle_id, sector_code, status);
CREATE INDEX assessments_set ON assessments(control_set_id);

-- What an assessment answers, as the brief's "assessment_controls": the
-- items of its control set. security_invoker applies the reader's RLS.
CREATE VIEW assessment_controls WITH (security_invoker = true) AS
  SELECT a.id AS assessment_id, a.operator_id, a.sector_code, i.ref, i.catalog_id, i.section_code,
         i.themes, i.csf, i.title_ja, i.title_en, i.statement_ja, i.statement_en,
         i.evidence_expected, i.sort_order
  FROM assessments a JOIN control_set_items i ON i.set_id = a.control_set_id;

-- One answer per control. status NULL is a draft with no answer chosen
-- yet (it counts as unanswered). carried_forward marks an answer copied
-- from the previous cycle until the user confirms or changes it.
CREATE TABLE answers (
  assessment_id      bigint NOT NULL,
  ref                text NOT NULL,
  operator_id        bigint NOT NULL, -- denormalised for RLS
  sector_code        text NOT NULL,   -- denormalised for RLS
  status             text REFERENCES answer_scale(code),
  maturity           smallint CHECK (maturity BETWEEN 1 AND 4),
  how                text NOT NULL DEFAULT '' CHECK (length(how) <= 10000),
  na_reason          text NOT NULL DEFAULT '' CHECK (length(na_reason) <= 2000),
  remediation_action text NOT NULL DEFAULT '' CHECK (length(remediation_action) <= 2000),
  remediation_owner  text NOT NULL DEFAULT '' CHECK (length(remediation_owner) <= 200),
  remediation_due    date,
  carried_forward    boolean NOT NULL DEFAULT false,
  version            int NOT NULL DEFAULT 1,
  updated_by         bigint REFERENCES users(id),
  updated_by_name    text NOT NULL DEFAULT '', -- readers may not see the users row
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, ref),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX answers_sector ON answers(sector_code);

-- Evidence files, stored in the database with their SHA-256. The size
-- limit is the store's parameter; the CHECK is the hard ceiling.
CREATE TABLE evidence (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id    bigint NOT NULL,
  ref              text NOT NULL,
  operator_id      bigint NOT NULL,
  sector_code      text NOT NULL,
  file_name        text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255),
  content_type     text NOT NULL,
  size             bigint NOT NULL CHECK (size > 0 AND size <= 52428800),
  sha256           bytea NOT NULL CHECK (length(sha256) = 32),
  bytes            bytea NOT NULL,
  uploaded_by      bigint REFERENCES users(id),
  uploaded_by_name text NOT NULL DEFAULT '',
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(bytes) = size),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX evidence_answer ON evidence(assessment_id, ref);

-- Review comments, threaded per answer (ref NULL: about the whole
-- assessment), visible to the operator and its ministry alike.
CREATE TABLE review_comments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  ref           text,
  parent_id     bigint,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  author_id     bigint NOT NULL REFERENCES users(id),
  author_name   text NOT NULL DEFAULT '',
  author_side   text NOT NULL CHECK (author_side IN ('operator', 'ministry', 'nco')),
  body          text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 5000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, assessment_id),
  FOREIGN KEY (parent_id, assessment_id) REFERENCES review_comments(id, assessment_id),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX review_comments_answer ON review_comments(assessment_id, ref, id);

-- Status history.
CREATE TABLE assessment_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id bigint NOT NULL,
  operator_id   bigint NOT NULL,
  sector_code   text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  by_user       bigint REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '',
  at            timestamptz NOT NULL DEFAULT now(),
  note          text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_events_assessment ON assessment_events(assessment_id, id);

-- Scores per assessment and dimension, written only by kijun_write_rollups
-- in the transaction that submits or accepts. Dashboards read these.
-- kind: overall (key ''), section (key BASE…TT), theme (theme code),
-- csf_function (GV ID PR DE RS RC).
CREATE TABLE assessment_rollups (
  assessment_id   bigint NOT NULL,
  cycle_id        bigint NOT NULL REFERENCES cycles(id),
  operator_id     bigint NOT NULL,
  sector_code     text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('overall', 'section', 'theme', 'csf_function')),
  key             text NOT NULL,
  controls        int NOT NULL, -- controls in the dimension
  answered        int NOT NULL, -- with a status
  applicable      int NOT NULL, -- answered and not excluded (weight not NULL)
  implemented     int NOT NULL,
  partial         int NOT NULL,
  not_implemented int NOT NULL,
  na              int NOT NULL,
  score           numeric(5,4) CHECK (score BETWEEN 0 AND 1), -- NULL when nothing is applicable
  written_status  text NOT NULL, -- the assessment's status when written: submitted or accepted
  written_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, kind, key),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_rollups_dashboard ON assessment_rollups(cycle_id, sector_code, kind, key);

-- The state machine, enforced for every writer: only these transitions,
-- an operator submits its own assessment, the ministry overseeing the
-- sector returns or accepts it. SQLSTATE KJ003 (transition) and 42501
-- (who) let the store explain the refusal.
CREATE FUNCTION kijun_assessments_transition() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = OLD.status THEN
    RETURN NEW;
  END IF;
  IF (OLD.status, NEW.status) NOT IN (
      ('not_started', 'in_progress'), ('not_started', 'submitted'), ('in_progress', 'submitted'),
      ('returned', 'submitted'), ('submitted', 'returned'), ('submitted', 'accepted')) THEN
    RAISE EXCEPTION 'assessment %: % → % is not a transition', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'KJ003';
  END IF;
  IF kijun_system() THEN
    RETURN NEW;
  END IF;
  IF NEW.status IN ('in_progress', 'submitted') AND NOT (NEW.operator_id = ANY (kijun_operators())) THEN
    RAISE EXCEPTION 'assessment %: only the operator may move it to %', OLD.id, NEW.status
      USING ERRCODE = '42501';
  END IF;
  IF NEW.status IN ('returned', 'accepted') AND NOT (NEW.sector_code = ANY (kijun_sectors())) THEN
    RAISE EXCEPTION 'assessment %: only the overseeing ministry may move it to %', OLD.id, NEW.status
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_transition BEFORE UPDATE OF status ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_transition();

-- Answers and evidence lock when the assessment is submitted or accepted
-- (SQLSTATE KJ002). The store checks first, under a share lock on the
-- assessment; this is the wall behind it.
CREATE FUNCTION kijun_answers_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_status text;
BEGIN
  -- Moving the operator to another sector cascades here; let it through.
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code' THEN
    RETURN NEW;
  END IF;
  SELECT status INTO v_status FROM assessments
    WHERE id = CASE TG_OP WHEN 'DELETE' THEN OLD.assessment_id ELSE NEW.assessment_id END;
  IF v_status IN ('submitted', 'accepted') THEN
    RAISE EXCEPTION 'assessment is %: its answers and evidence are locked', v_status USING ERRCODE = 'KJ002';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER answers_guard BEFORE INSERT OR UPDATE OR DELETE ON answers
  FOR EACH ROW EXECUTE FUNCTION kijun_answers_guard();
CREATE TRIGGER evidence_guard BEFORE INSERT OR UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION kijun_answers_guard();

-- kijun_write_rollups is the scoring (docs/assessment.md) and the only
-- way to write rollups: it replaces the assessment's rows with one
-- INSERT … SELECT … GROUP BY over its answers. It runs as the owner so
-- nobody can write a score by hand, and checks itself that the caller
-- sees the assessment and that it is submitted or accepted.
CREATE FUNCTION kijun_write_rollups(p_assessment bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_a assessments;
  v_n int;
BEGIN
  SELECT * INTO v_a FROM assessments WHERE id = p_assessment;
  IF NOT FOUND OR NOT (kijun_system() OR kijun_row_visible(v_a.sector_code, v_a.operator_id)) THEN
    RAISE EXCEPTION 'assessment % not found', p_assessment USING ERRCODE = 'P0002';
  END IF;
  IF v_a.status NOT IN ('submitted', 'accepted') THEN
    RAISE EXCEPTION 'assessment % is %: rollups are written at submit and accept', p_assessment, v_a.status
      USING ERRCODE = 'KJ003';
  END IF;
  DELETE FROM assessment_rollups WHERE assessment_id = p_assessment;
  WITH x AS (
    SELECT i.ref, i.section_code, i.themes, i.csf, a.status, s.weight
    FROM control_set_items i
    LEFT JOIN answers a ON a.assessment_id = v_a.id AND a.ref = i.ref
    LEFT JOIN answer_scale s ON s.code = a.status
    WHERE i.set_id = v_a.control_set_id
  ), dims AS (
    SELECT 'overall' AS kind, '' AS key, x.status, x.weight FROM x
    UNION ALL SELECT 'section', x.section_code, x.status, x.weight FROM x
    UNION ALL SELECT 'theme', t, x.status, x.weight FROM x, unnest(x.themes) t
    UNION ALL SELECT 'csf_function', f, x.status, x.weight
      FROM x, LATERAL (SELECT DISTINCT split_part(c, '.', 1) AS f FROM unnest(x.csf) c) fn
  )
  INSERT INTO assessment_rollups (assessment_id, cycle_id, operator_id, sector_code, kind, key, controls, answered,
      applicable, implemented, partial, not_implemented, na, score, written_status)
  SELECT v_a.id, v_a.cycle_id, v_a.operator_id, v_a.sector_code, kind, key,
    count(*),
    count(status),
    count(weight),
    count(*) FILTER (WHERE status = 'implemented'),
    count(*) FILTER (WHERE status = 'partial'),
    count(*) FILTER (WHERE status = 'not_implemented'),
    count(*) FILTER (WHERE status = 'not_applicable'),
    round(sum(weight) / nullif(count(weight), 0), 4),
    v_a.status
  FROM dims GROUP BY kind, key;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION kijun_write_rollups FROM PUBLIC;

-- Row-level security.
-- Cycles and control sets are the standard everyone is measured against:
-- every signed-in user reads them (control text only; a plan's internal
-- notes are never copied into a set). The NCO opens cycles; sets are
-- written by whoever creates assessments (NCO, or the sector's ministry
-- for an operator designated mid-cycle).
ALTER TABLE cycles ENABLE ROW LEVEL SECURITY;
CREATE POLICY cycles_read ON cycles FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY cycles_insert ON cycles FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY cycles_update ON cycles FOR UPDATE USING (kijun_nco()) WITH CHECK (kijun_nco());

ALTER TABLE control_sets ENABLE ROW LEVEL SECURITY;
CREATE POLICY control_sets_read ON control_sets FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY control_sets_insert ON control_sets FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));

ALTER TABLE control_set_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY control_set_items_read ON control_set_items FOR SELECT USING (kijun_system() OR kijun_user_id() IS NOT NULL);
CREATE POLICY control_set_items_insert ON control_set_items FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));

-- Assessments: created by NCO (a cycle) or the sector's ministry (mid-cycle);
-- status changes by the operator and the ministry, policed by the trigger.
ALTER TABLE assessments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessments_read ON assessments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessments_insert ON assessments FOR INSERT
  WITH CHECK (kijun_system() OR kijun_nco() OR sector_code = ANY (kijun_sectors()));
CREATE POLICY assessments_update ON assessments FOR UPDATE
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id))
  WITH CHECK (kijun_system() OR kijun_row_visible(sector_code, operator_id));

-- Answers and evidence: the operator writes its own; its ministry and the
-- NCO read.
ALTER TABLE answers ENABLE ROW LEVEL SECURITY;
CREATE POLICY answers_read ON answers FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY answers_insert ON answers FOR INSERT
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));
CREATE POLICY answers_update ON answers FOR UPDATE
  USING (kijun_system() OR operator_id = ANY (kijun_operators()))
  WITH CHECK (kijun_system() OR operator_id = ANY (kijun_operators()));

ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
CREATE POLICY evidence_read ON evidence FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY evidence_insert ON evidence FOR INSERT
  WITH CHECK (operator_id = ANY (kijun_operators()) AND uploaded_by = kijun_user_id());

-- Comments: both sides write, as themselves.
ALTER TABLE review_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_comments_read ON review_comments FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY review_comments_insert ON review_comments FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND kijun_row_visible(sector_code, operator_id));

ALTER TABLE assessment_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_events_read ON assessment_events FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessment_events_insert ON assessment_events FOR INSERT
  WITH CHECK (kijun_system() OR kijun_row_visible(sector_code, operator_id));

ALTER TABLE assessment_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_rollups_read ON assessment_rollups FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));

GRANT SELECT ON answer_scale TO kijun_app;
GRANT SELECT, INSERT ON cycles, control_sets, control_set_items, assessments, answers, evidence,
  review_comments, assessment_events TO kijun_app;
GRANT UPDATE (status) ON cycles TO kijun_app;
GRANT UPDATE (status, version, updated_at, submitted_at, submitted_by, accepted_at, accepted_by,
  returned_at, returned_by) ON assessments TO kijun_app;
GRANT UPDATE (status, maturity, how, na_reason, remediation_action, remediation_owner, remediation_due,
  carried_forward, version, updated_by, updated_by_name, updated_at) ON answers TO kijun_app;
GRANT SELECT ON assessment_controls, assessment_rollups TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_write_rollups TO kijun_app;
