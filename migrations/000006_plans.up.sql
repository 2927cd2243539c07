-- Ministry implementation plans (実施計画, 第2部 of the standard) with their
-- sector profiles, the NCO's review, and the NCO's evaluations (評価・改善).
-- docs/plans.md explains the model and how it maps to 第2部.
--
-- A plan is a ministry × one or more of its sectors × a planning period.
-- Its content lives in versions: a version is edited while it is a draft
-- and never changes after it is submitted (the triggers below refuse it for
-- every role, SQLSTATE KJ004). A returned version stays as it was; the
-- ministry revises it as a new draft version. An accepted version is the
-- plan in force until a newer version is accepted (it then becomes
-- superseded).
--
-- Tenancy: plans are the ministry's own things (ministry_code on every
-- row); the NCO reads and reviews all. Operators read no plan table: they
-- see their sector's profile only through kijun_sector_profile, which
-- returns the profile's published columns and nothing of the plan's
-- internal notes, scope, KPIs or review.

CREATE TABLE plans (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ministry_code text NOT NULL REFERENCES ministries(code),
  sector_codes  text[] NOT NULL CHECK (cardinality(sector_codes) BETWEEN 1 AND 20),
  period_start  int NOT NULL CHECK (period_start BETWEEN 2019 AND 2200), -- fiscal years
  period_end    int NOT NULL CHECK (period_end BETWEEN period_start AND period_start + 10),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    bigint REFERENCES users(id),
  UNIQUE (id, ministry_code),
  UNIQUE (ministry_code, sector_codes, period_start)
);
CREATE INDEX plans_sectors ON plans USING gin (sector_codes);

-- kijun_plans_sectors: a plan's sectors exist and are overseen by its
-- ministry (an array has no foreign key).
CREATE FUNCTION kijun_plans_sectors() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_bad text;
BEGIN
  SELECT s INTO v_bad FROM unnest(NEW.sector_codes) s
    WHERE NOT EXISTS (SELECT FROM sector_oversight o WHERE o.ministry_code = NEW.ministry_code AND o.sector_code = s)
    LIMIT 1;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'plan: sector % is not overseen by %', v_bad, NEW.ministry_code USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.ministry_code, NEW.sector_codes, NEW.period_start) IS DISTINCT FROM
                          (OLD.ministry_code, OLD.sector_codes, OLD.period_start) THEN
    RAISE EXCEPTION 'plan %: its ministry, sectors and period start never change', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plans_sectors BEFORE INSERT OR UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION kijun_plans_sectors();

CREATE TABLE plan_versions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plan_id        bigint NOT NULL,
  ministry_code  text NOT NULL,
  version        int NOT NULL CHECK (version > 0),
  based_on       bigint REFERENCES plan_versions(id),
  status         text NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'submitted', 'under_review', 'returned', 'accepted', 'superseded')),
  -- The baseline catalog version the profile tailors (published or superseded).
  catalog_id     bigint NOT NULL REFERENCES catalogs(id),
  title_ja       text NOT NULL CHECK (btrim(title_ja) <> '' AND length(title_ja) <= 200),
  title_en       text NOT NULL DEFAULT '' CHECK (length(title_en) <= 200),
  -- 対象: {"mode": "all|designation|scopes|named", "designation": "ci|core", "scope_ids": [], "operator_ids": []}
  scope          jsonb NOT NULL DEFAULT '{"mode": "all"}' CHECK (jsonb_typeof(scope) = 'object'),
  -- 把握・分析: {"method": "", "cycles": "", "coverage_target": 90, "follow_up": ""}
  gathering      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(gathering) = 'object'),
  -- 評価・改善: KPIs and milestones (see internal/kijun/plan.go).
  kpis           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(kpis) = 'array'),
  milestones     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(milestones) = 'array'),
  -- The ministry's own notes: never shown to operators.
  internal_note  text NOT NULL DEFAULT '' CHECK (length(internal_note) <= 10000),
  edits          int NOT NULL DEFAULT 1, -- optimistic locking of the draft
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint REFERENCES users(id),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  submitted_at   timestamptz,
  submitted_by   text NOT NULL DEFAULT '',
  decided_at     timestamptz,
  decided_by     text NOT NULL DEFAULT '',
  UNIQUE (plan_id, version),
  UNIQUE (id, ministry_code),
  FOREIGN KEY (plan_id, ministry_code) REFERENCES plans(id, ministry_code),
  CHECK (status = 'draft' OR submitted_at IS NOT NULL),
  CHECK (status NOT IN ('returned', 'accepted', 'superseded') OR decided_at IS NOT NULL)
);
-- One version in work (draft or in review) per plan at a time.
CREATE UNIQUE INDEX plan_versions_one_open ON plan_versions(plan_id) WHERE status IN ('draft', 'submitted', 'under_review');
CREATE INDEX plan_versions_status ON plan_versions(status, submitted_at);

-- kijun_plan_versions_guard: the lifecycle, for every writer.
--   draft → submitted             the ministry
--   submitted → under_review      the NCO
--   under_review → returned | accepted   the NCO
--   accepted → superseded         the NCO, when it accepts a newer version
-- A draft may change; nothing else about a version changes after it is
-- submitted, and only drafts may be deleted. A new version's catalog is a
-- published (or superseded) one.
CREATE FUNCTION kijun_plan_versions_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_cat text;
  v_meta text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'decided_at', 'decided_by', 'updated_at'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'plan version %: a % version cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'KJ004';
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION 'a plan version is created as a draft, not %', NEW.status USING ERRCODE = 'KJ004';
    END IF;
    SELECT status INTO v_cat FROM catalogs WHERE id = NEW.catalog_id;
    IF v_cat IS DISTINCT FROM 'published' AND v_cat IS DISTINCT FROM 'superseded' THEN
      RAISE EXCEPTION 'plan version: catalog % is not published', NEW.catalog_id USING ERRCODE = 'KJ004';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.id, NEW.plan_id, NEW.ministry_code, NEW.version) IS DISTINCT FROM (OLD.id, OLD.plan_id, OLD.ministry_code, OLD.version) THEN
    RAISE EXCEPTION 'plan version %: its identity never changes', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF OLD.status = 'draft' AND NEW.status = 'draft' THEN
    IF NEW.catalog_id <> OLD.catalog_id THEN
      SELECT status INTO v_cat FROM catalogs WHERE id = NEW.catalog_id;
      IF v_cat IS DISTINCT FROM 'published' AND v_cat IS DISTINCT FROM 'superseded' THEN
        RAISE EXCEPTION 'plan version: catalog % is not published', NEW.catalog_id USING ERRCODE = 'KJ004';
      END IF;
    END IF;
    RETURN NEW;
  END IF;
  IF (OLD.status, NEW.status) NOT IN (('draft', 'submitted'), ('submitted', 'under_review'),
      ('under_review', 'returned'), ('under_review', 'accepted'), ('accepted', 'superseded')) THEN
    RAISE EXCEPTION 'plan version %: % → % is not a transition; submitted versions never change', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'KJ004';
  END IF;
  IF to_jsonb(NEW) - v_meta IS DISTINCT FROM to_jsonb(OLD) - v_meta THEN
    RAISE EXCEPTION 'plan version %: the content of a % version never changes', OLD.id, OLD.status USING ERRCODE = 'KJ004';
  END IF;
  IF kijun_system() THEN
    RETURN NEW;
  END IF;
  IF NEW.status = 'submitted' AND NOT (NEW.ministry_code = ANY (kijun_ministries())) THEN
    RAISE EXCEPTION 'plan version %: only its ministry submits it', OLD.id USING ERRCODE = '42501';
  END IF;
  IF NEW.status <> 'submitted' AND NOT kijun_nco() THEN
    RAISE EXCEPTION 'plan version %: only the NCO reviews it', OLD.id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_versions_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_versions_guard();

-- The sector profile: one row per control of the version's catalog that
-- applies to the plan's sectors.
CREATE TABLE plan_profile_controls (
  version_id        bigint NOT NULL,
  ministry_code     text NOT NULL, -- denormalised for RLS
  ref               text NOT NULL CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$'),
  applies           boolean NOT NULL DEFAULT true,
  na_reason         text NOT NULL DEFAULT '' CHECK (length(na_reason) <= 2000),
  target_status     text NOT NULL DEFAULT 'implemented' CHECK (target_status IN ('implemented', 'partial')),
  target_maturity   smallint CHECK (target_maturity BETWEEN 1 AND 4),
  tailoring_note    text NOT NULL DEFAULT '' CHECK (length(tailoring_note) <= 5000),
  standard_doc      text NOT NULL DEFAULT '' CHECK (length(standard_doc) <= 300),  -- 安全基準等
  standard_clause   text NOT NULL DEFAULT '' CHECK (length(standard_clause) <= 300),
  reflection        text NOT NULL DEFAULT '' CHECK (reflection IN ('', 'reflected', 'planned', 'not_planned')),
  reflection_on     date, -- reflected on / planned by
  reflection_reason text NOT NULL DEFAULT '' CHECK (length(reflection_reason) <= 2000),
  sort_order        int NOT NULL DEFAULT 0,
  PRIMARY KEY (version_id, ref),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code),
  CHECK (applies OR btrim(na_reason) <> ''),
  CHECK (reflection NOT IN ('reflected', 'planned') OR reflection_on IS NOT NULL),
  CHECK (reflection <> 'not_planned' OR btrim(reflection_reason) <> '')
);

-- Sector supplementary controls (セクター追加管理策): the fields of a
-- catalog control plus the profile's target and reflection.
CREATE TABLE plan_supplementary_controls (
  version_id        bigint NOT NULL,
  ministry_code     text NOT NULL,
  ref               text NOT NULL CHECK (ref ~ '^[A-Z][A-Z0-9]*-S[0-9]{2,3}$'), -- e.g. ELECTRICITY-S01
  section_code      text NOT NULL REFERENCES baseline_sections(code),
  title_ja          text NOT NULL CHECK (btrim(title_ja) <> '' AND length(title_ja) <= 300),
  title_en          text NOT NULL DEFAULT '' CHECK (length(title_en) <= 300),
  statement_ja      text NOT NULL CHECK (btrim(statement_ja) <> '' AND length(statement_ja) <= 5000),
  statement_en      text NOT NULL DEFAULT '' CHECK (length(statement_en) <= 5000),
  guidance_ja       text NOT NULL DEFAULT '' CHECK (length(guidance_ja) <= 10000),
  guidance_en       text NOT NULL DEFAULT '' CHECK (length(guidance_en) <= 10000),
  themes            text[] NOT NULL DEFAULT '{}',
  csf               text[] NOT NULL DEFAULT '{}' CHECK (csf <@ ARRAY['GV.OC', 'GV.RM', 'GV.RR', 'GV.PO',
                      'GV.OV', 'GV.SC', 'ID.AM', 'ID.RA', 'ID.IM', 'PR.AA', 'PR.AT', 'PR.DS', 'PR.PS', 'PR.IR',
                      'DE.CM', 'DE.AE', 'RS.MA', 'RS.AN', 'RS.CO', 'RS.MI', 'RC.RP', 'RC.CO']),
  evidence_expected boolean NOT NULL DEFAULT false,
  target_status     text NOT NULL DEFAULT 'implemented' CHECK (target_status IN ('implemented', 'partial')),
  target_maturity   smallint CHECK (target_maturity BETWEEN 1 AND 4),
  standard_doc      text NOT NULL DEFAULT '' CHECK (length(standard_doc) <= 300),
  standard_clause   text NOT NULL DEFAULT '' CHECK (length(standard_clause) <= 300),
  reflection        text NOT NULL DEFAULT '' CHECK (reflection IN ('', 'reflected', 'planned', 'not_planned')),
  reflection_on     date,
  reflection_reason text NOT NULL DEFAULT '' CHECK (length(reflection_reason) <= 2000),
  PRIMARY KEY (version_id, ref),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code),
  CHECK (reflection NOT IN ('reflected', 'planned') OR reflection_on IS NOT NULL),
  CHECK (reflection <> 'not_planned' OR btrim(reflection_reason) <> '')
);

-- kijun_plan_rows_guard: profile and supplementary rows change only while
-- their version is a draft. The share lock makes a submit wait for edits
-- in flight, and an edit that waited for a submit see it.
CREATE FUNCTION kijun_plan_rows_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint;
  v_status text;
BEGIN
  FOREACH v_id IN ARRAY CASE TG_OP
      WHEN 'INSERT' THEN ARRAY[NEW.version_id]
      WHEN 'DELETE' THEN ARRAY[OLD.version_id]
      ELSE ARRAY[OLD.version_id, NEW.version_id] END
  LOOP
    SELECT status INTO v_status FROM plan_versions WHERE id = v_id FOR SHARE;
    IF v_status IS NOT NULL AND v_status <> 'draft' THEN
      RAISE EXCEPTION 'plan version %: the profile of a % version never changes', v_id, v_status USING ERRCODE = 'KJ004';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_profile_controls_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_profile_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_guard();
CREATE TRIGGER plan_supplementary_controls_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_supplementary_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_rows_guard();

-- TRUNCATE skips row triggers.
CREATE FUNCTION kijun_plans_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'plan versions are kept: no truncate' USING ERRCODE = 'KJ004';
END
$$;
CREATE TRIGGER plan_versions_no_truncate BEFORE TRUNCATE ON plan_versions
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();
CREATE TRIGGER plan_profile_no_truncate BEFORE TRUNCATE ON plan_profile_controls
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();
CREATE TRIGGER plan_supplementary_no_truncate BEFORE TRUNCATE ON plan_supplementary_controls
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_plans_no_truncate();

-- Review comments per section, from the NCO (with a return) and the
-- ministry (its answers). Append-only.
CREATE TABLE plan_comments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    bigint NOT NULL,
  ministry_code text NOT NULL,
  section       text NOT NULL CHECK (section IN ('general', 'scope', 'profile', 'supplementary', 'gathering', 'evaluation')),
  author_id     bigint NOT NULL REFERENCES users(id),
  author_name   text NOT NULL DEFAULT '',
  author_side   text NOT NULL CHECK (author_side IN ('ministry', 'nco')),
  body          text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 5000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code)
);
CREATE INDEX plan_comments_version ON plan_comments(version_id, id);

-- Status history of each version, for the plan page (the audit log has
-- the same transitions with their before and after).
CREATE TABLE plan_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    bigint NOT NULL,
  ministry_code text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  by_user       bigint REFERENCES users(id),
  by_name       text NOT NULL DEFAULT '',
  at            timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (version_id, ministry_code) REFERENCES plan_versions(id, ministry_code)
);
CREATE INDEX plan_events_version ON plan_events(version_id, id);

-- The NCO's evaluation of a ministry's sector for a fiscal year: findings,
-- good practices, improvement requests and a rating. The ministry reads it
-- once published and answers in response.
CREATE TABLE plan_evaluations (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ministry_code        text NOT NULL,
  sector_code          text NOT NULL,
  fiscal_year          int NOT NULL CHECK (fiscal_year BETWEEN 2019 AND 2200),
  plan_id              bigint,
  findings             text NOT NULL DEFAULT '' CHECK (length(findings) <= 20000),
  good_practices       text NOT NULL DEFAULT '' CHECK (length(good_practices) <= 20000),
  improvement_requests text NOT NULL DEFAULT '' CHECK (length(improvement_requests) <= 20000),
  rating               text NOT NULL DEFAULT '' CHECK (rating IN ('', 'A', 'B', 'C', 'D')),
  status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  published_at         timestamptz,
  response             text NOT NULL DEFAULT '' CHECK (length(response) <= 20000),
  responded_at         timestamptz,
  responded_by         text NOT NULL DEFAULT '',
  edits                int NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ministry_code, sector_code, fiscal_year),
  FOREIGN KEY (ministry_code, sector_code) REFERENCES sector_oversight(ministry_code, sector_code),
  FOREIGN KEY (plan_id, ministry_code) REFERENCES plans(id, ministry_code),
  CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX plan_evaluations_year ON plan_evaluations(fiscal_year);

-- kijun_plan_evaluations_guard: the ministry writes only its response, and
-- only to a published evaluation; a published evaluation stays published.
CREATE FUNCTION kijun_plan_evaluations_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_resp text[] := ARRAY['response', 'responded_at', 'responded_by', 'updated_at'];
BEGIN
  IF OLD.status = 'published' AND NEW.status <> 'published' THEN
    RAISE EXCEPTION 'evaluation %: a published evaluation stays published', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF (NEW.ministry_code, NEW.sector_code, NEW.fiscal_year) IS DISTINCT FROM (OLD.ministry_code, OLD.sector_code, OLD.fiscal_year) THEN
    RAISE EXCEPTION 'evaluation %: its ministry, sector and year never change', OLD.id USING ERRCODE = 'KJ004';
  END IF;
  IF kijun_system() OR kijun_nco() THEN
    RETURN NEW;
  END IF;
  IF OLD.status <> 'published' OR to_jsonb(NEW) - v_resp IS DISTINCT FROM to_jsonb(OLD) - v_resp THEN
    RAISE EXCEPTION 'evaluation %: the ministry writes only its response to a published evaluation', OLD.id
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER plan_evaluations_guard BEFORE UPDATE ON plan_evaluations
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_evaluations_guard();

-- kijun_plan_scope_operators: the operators a version's 対象 selects,
-- read live from the register (so counts follow it). Runs with the
-- caller's rights: RLS on operators applies.
CREATE FUNCTION kijun_plan_scope_operators(p_sectors text[], p_scope jsonb) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  SELECT o.id FROM operators o
  WHERE o.status = 'active' AND o.sector_code = ANY (p_sectors)
    AND CASE coalesce(p_scope->>'mode', 'all')
      WHEN 'designation' THEN o.designation = p_scope->>'designation' OR o.designation = 'both'
      WHEN 'scopes' THEN EXISTS (SELECT FROM operator_scopes s WHERE s.operator_id = o.id
        AND s.scope_id IN (SELECT jsonb_array_elements_text(coalesce(p_scope->'scope_ids', '[]'))::bigint))
      WHEN 'named' THEN o.id IN (SELECT jsonb_array_elements_text(coalesce(p_scope->'operator_ids', '[]'))::bigint)
      ELSE true END
$$;

-- kijun_current_profile_version: the accepted plan version in force for a
-- sector in a fiscal year — of the plans covering the sector, one whose
-- period holds the year if any, the most recently accepted. NULL: none.
CREATE FUNCTION kijun_current_profile_version(p_sector text, p_fy int) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id
  WHERE v.status = 'accepted' AND p_sector = ANY (p.sector_codes)
  ORDER BY (p_fy IS NULL OR p_fy BETWEEN p.period_start AND p.period_end) DESC, v.decided_at DESC, v.id DESC
  LIMIT 1
$$;

-- kijun_profile_controls is the hook of assessments into profiles: the
-- controls a NEW assessment of sector in fiscal year p_fy against catalog
-- p_catalog answers when an accepted profile is in force — the catalog's
-- controls for the sector minus those the profile marks not applicable,
-- plus the profile's supplementary controls, in section order. No rows:
-- no profile is in force, use the baseline. (A control of the catalog the
-- profile does not list, e.g. one new in a later version, applies.)
-- It runs as the owner so the result does not depend on who opens the
-- assessment; it returns only control text, nothing of the plan.
CREATE FUNCTION kijun_profile_controls(p_sector text, p_catalog bigint, p_fy int)
RETURNS TABLE (source text, ref text, catalog_id bigint, section_code text, themes text[], csf text[],
  title_ja text, title_en text, statement_ja text, statement_en text, evidence_expected boolean, sort_order int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH v AS (SELECT kijun_current_profile_version(p_sector, p_fy) AS id),
  items AS (
    SELECT c.ref, c.catalog_id, c.section_code, c.themes, c.csf, c.title_ja, c.title_en,
           c.statement_ja, c.statement_en, c.evidence_expected, 0 AS supp, c.sort_order AS ord
    FROM controls c, v
    WHERE v.id IS NOT NULL AND c.catalog_id = p_catalog
      AND (cardinality(c.sectors) = 0 OR p_sector = ANY (c.sectors))
      AND NOT EXISTS (SELECT FROM plan_profile_controls pc
                      WHERE pc.version_id = v.id AND pc.ref = c.ref AND NOT pc.applies)
    UNION ALL
    SELECT s.ref, NULL, s.section_code, s.themes, s.csf, s.title_ja, s.title_en,
           s.statement_ja, s.statement_en, s.evidence_expected, 1, 0
    FROM plan_supplementary_controls s, v
    WHERE s.version_id = v.id
  )
  SELECT 'profile:' || (SELECT id FROM v), i.ref, i.catalog_id, i.section_code, i.themes, i.csf,
         i.title_ja, i.title_en, i.statement_ja, i.statement_en, i.evidence_expected,
         (row_number() OVER (ORDER BY b.sort_order, i.supp, i.ord, i.ref))::int
  FROM items i JOIN baseline_sections b ON b.code = i.section_code
  ORDER BY 12
$$;
REVOKE ALL ON FUNCTION kijun_profile_controls FROM PUBLIC;
REVOKE ALL ON FUNCTION kijun_current_profile_version FROM PUBLIC;

-- kijun_sector_profile: the profile in force for a sector as the sector's
-- operators (and its ministry, and the NCO) read it — the published
-- columns only: no scope, KPIs, internal notes or review.
CREATE FUNCTION kijun_sector_profile(p_sector text, p_fy int)
RETURNS TABLE (version_id bigint, plan_id bigint, ministry_code text, version int, accepted_at timestamptz,
  title_ja text, title_en text, catalog_id bigint, supplementary boolean, ref text, section_code text,
  control_title_ja text, control_title_en text, statement_ja text, statement_en text,
  applies boolean, na_reason text, target_status text, target_maturity smallint, tailoring_note text,
  standard_doc text, standard_clause text, reflection text, reflection_on date, reflection_reason text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH v AS (
    SELECT pv.* FROM plan_versions pv
    WHERE pv.id = kijun_current_profile_version(p_sector, p_fy)
      AND (kijun_system() OR kijun_nco() OR p_sector = ANY (kijun_sectors())
           OR EXISTS (SELECT FROM operators o WHERE o.id = ANY (kijun_operators()) AND o.sector_code = p_sector))
  )
  SELECT v.id, v.plan_id, v.ministry_code, v.version, v.decided_at, v.title_ja, v.title_en, v.catalog_id,
         false, pc.ref, c.section_code, c.title_ja, c.title_en, c.statement_ja, c.statement_en,
         pc.applies, pc.na_reason, pc.target_status, pc.target_maturity, pc.tailoring_note,
         pc.standard_doc, pc.standard_clause, pc.reflection, pc.reflection_on, pc.reflection_reason
  FROM v JOIN plan_profile_controls pc ON pc.version_id = v.id
  JOIN controls c ON c.catalog_id = v.catalog_id AND c.ref = pc.ref
  UNION ALL
  SELECT v.id, v.plan_id, v.ministry_code, v.version, v.decided_at, v.title_ja, v.title_en, v.catalog_id,
         true, s.ref, s.section_code, s.title_ja, s.title_en, s.statement_ja, s.statement_en,
         true, '', s.target_status, s.target_maturity, '',
         s.standard_doc, s.standard_clause, s.reflection, s.reflection_on, s.reflection_reason
  FROM v JOIN plan_supplementary_controls s ON s.version_id = v.id
$$;
REVOKE ALL ON FUNCTION kijun_sector_profile FROM PUBLIC;

-- Row-level security: the ministry's own plans; the NCO all. Operators
-- read none of these tables (see kijun_sector_profile).
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON plans FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plans_insert ON plans FOR INSERT WITH CHECK (ministry_code = ANY (kijun_ministries()));
CREATE POLICY plans_update ON plans FOR UPDATE
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_versions_read ON plan_versions FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_versions_insert ON plan_versions FOR INSERT WITH CHECK (ministry_code = ANY (kijun_ministries()));
-- The ministry edits and submits its versions; the NCO moves them through
-- review (the guard trigger says which transition is whose).
CREATE POLICY plan_versions_update ON plan_versions FOR UPDATE
  USING (kijun_nco() OR ministry_code = ANY (kijun_ministries()))
  WITH CHECK (kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_versions_delete ON plan_versions FOR DELETE USING (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_profile_controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_profile_controls_read ON plan_profile_controls FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_profile_controls_write ON plan_profile_controls FOR ALL
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_supplementary_controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_supplementary_controls_read ON plan_supplementary_controls FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_supplementary_controls_write ON plan_supplementary_controls FOR ALL
  USING (ministry_code = ANY (kijun_ministries())) WITH CHECK (ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_comments_read ON plan_comments FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_comments_insert ON plan_comments FOR INSERT
  WITH CHECK (author_id = kijun_user_id() AND (
    (author_side = 'nco' AND kijun_nco()) OR (author_side = 'ministry' AND ministry_code = ANY (kijun_ministries()))));

ALTER TABLE plan_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_events_read ON plan_events FOR SELECT
  USING (kijun_system() OR kijun_nco() OR ministry_code = ANY (kijun_ministries()));
CREATE POLICY plan_events_insert ON plan_events FOR INSERT
  WITH CHECK (kijun_nco() OR ministry_code = ANY (kijun_ministries()));

ALTER TABLE plan_evaluations ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_evaluations_read ON plan_evaluations FOR SELECT
  USING (kijun_system() OR kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())));
CREATE POLICY plan_evaluations_insert ON plan_evaluations FOR INSERT WITH CHECK (kijun_nco());
CREATE POLICY plan_evaluations_update ON plan_evaluations FOR UPDATE
  USING (kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())))
  WITH CHECK (kijun_nco() OR (status = 'published' AND ministry_code = ANY (kijun_ministries())));

GRANT SELECT, INSERT ON plans, plan_versions, plan_comments, plan_events, plan_evaluations TO kijun_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plan_profile_controls, plan_supplementary_controls TO kijun_app;
GRANT UPDATE (period_end) ON plans TO kijun_app;
GRANT UPDATE (status, catalog_id, title_ja, title_en, scope, gathering, kpis, milestones, internal_note, edits,
  updated_at, submitted_at, submitted_by, decided_at, decided_by) ON plan_versions TO kijun_app;
GRANT DELETE ON plan_versions TO kijun_app;
GRANT UPDATE (findings, good_practices, improvement_requests, rating, status, published_at, response,
  responded_at, responded_by, edits, updated_at, plan_id) ON plan_evaluations TO kijun_app;
GRANT EXECUTE ON FUNCTION kijun_plan_scope_operators, kijun_profile_controls, kijun_current_profile_version,
  kijun_sector_profile TO kijun_app;

-- Sector supplementary controls reach assessments through control sets
-- (kijun_profile_controls); their refs carry an S ("ELECTRICITY-S01"),
-- which 000005's check on control set items did not foresee.
ALTER TABLE control_set_items DROP CONSTRAINT control_set_items_ref_check,
  ADD CONSTRAINT control_set_items_ref_check CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$' OR ref ~ '^[A-Z][A-Z0-9]*-S[0-9]{2,3}$');
