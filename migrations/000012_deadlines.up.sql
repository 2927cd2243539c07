-- Deadlines (docs/deadlines.md).
--
-- An assessment falls due on its cycle's due_on unless its ministry
-- extended it for that operator: the assessment's own due_on is then set,
-- and every extension is kept with its reason. The effective due date is
-- coalesce(a.due_on, c.due_on) (assessment.Due is the rule).
ALTER TABLE assessments ADD COLUMN due_on date;
-- The few extended assessments, for the dashboards' overdue correction
-- (postgres.extendedOverdueSQL).
CREATE INDEX assessments_extended ON assessments (cycle_id, sector_code) WHERE due_on IS NOT NULL;

CREATE TABLE assessment_extensions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  assessment_id   bigint NOT NULL,
  operator_id     bigint NOT NULL,
  sector_code     text NOT NULL,
  previous_due    date NOT NULL,
  due_on          date NOT NULL CHECK (due_on > previous_due),
  reason          text NOT NULL CHECK (btrim(reason) <> '' AND length(reason) <= 2000),
  granted_by      bigint NOT NULL REFERENCES users(id),
  -- The granter's name as it was: the operator reads the history without
  -- reading the ministry's users.
  granted_by_name text NOT NULL DEFAULT '' CHECK (length(granted_by_name) <= 200),
  granted_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (assessment_id, operator_id, sector_code)
    REFERENCES assessments(id, operator_id, sector_code) ON UPDATE CASCADE
);
CREATE INDEX assessment_extensions_assessment ON assessment_extensions (assessment_id, granted_at);

-- The operator, its ministry and the NCO read the history; only the
-- ministry overseeing the sector extends (authz assessments.extend).
ALTER TABLE assessment_extensions ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_extensions_read ON assessment_extensions FOR SELECT
  USING (kijun_system() OR kijun_row_visible(sector_code, operator_id));
CREATE POLICY assessment_extensions_insert ON assessment_extensions FOR INSERT
  WITH CHECK (kijun_system() OR sector_code = ANY (kijun_sectors()));
GRANT SELECT, INSERT ON assessment_extensions TO kijun_app;

-- An assessment's due date moves only by its ministry (an operator may
-- update its own row's status, never its deadline).
CREATE FUNCTION kijun_assessments_due_by_overseer() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.due_on IS DISTINCT FROM OLD.due_on
     AND NOT (kijun_system() OR NEW.sector_code = ANY (kijun_sectors())) THEN
    RAISE EXCEPTION 'assessment %: only its ministry extends its due date', OLD.id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER assessments_due_by_overseer BEFORE UPDATE OF due_on ON assessments
  FOR EACH ROW EXECUTE FUNCTION kijun_assessments_due_by_overseer();
GRANT UPDATE (due_on) ON assessments TO kijun_app;

-- By when a ministry answers a published evaluation (set by the NCO; the
-- evaluations guard already keeps the ministry to its response).
ALTER TABLE plan_evaluations ADD COLUMN respond_by date;
GRANT UPDATE (respond_by) ON plan_evaluations TO kijun_app;

-- By when each ministry submits its implementation plan covering a
-- fiscal year (set by the NCO): overdue while no version of a plan of the
-- ministry covering the year has been submitted.
CREATE TABLE plan_deadlines (
  fiscal_year int PRIMARY KEY CHECK (fiscal_year BETWEEN 2019 AND 2200),
  due_on      date NOT NULL,
  set_by      bigint REFERENCES users(id),
  set_at      timestamptz NOT NULL DEFAULT now(),
  -- Due before the fiscal year ends (a plan for a year is of no use after it).
  CHECK (due_on <= make_date(fiscal_year + 1, 3, 31))
);
ALTER TABLE plan_deadlines ENABLE ROW LEVEL SECURITY;
CREATE POLICY plan_deadlines_read ON plan_deadlines FOR SELECT
  USING (kijun_system() OR kijun_nco() OR cardinality(kijun_ministries()) > 0);
CREATE POLICY plan_deadlines_write ON plan_deadlines FOR ALL
  USING (kijun_system() OR kijun_nco()) WITH CHECK (kijun_system() OR kijun_nco());
GRANT SELECT, INSERT, UPDATE ON plan_deadlines TO kijun_app;
