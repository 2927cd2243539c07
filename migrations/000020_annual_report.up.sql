-- The NCO's annual report (年次報告書) per fiscal year: a draft has no row
-- (its figures are compiled live); recording the 推進専門家会議's opinion
-- creates the row (status 'opinion', recorded again until final);
-- finalising stores the figures as compiled then, with their SHA-256, and
-- from then on the row never changes and is never deleted.
CREATE TABLE annual_reports (
  fiscal_year  int PRIMARY KEY CHECK (fiscal_year BETWEEN 2019 AND 2200),
  status       text NOT NULL DEFAULT 'opinion' CHECK (status IN ('opinion', 'final')),
  opinion      text NOT NULL CHECK (length(opinion) BETWEEN 1 AND 20000),
  meeting      text NOT NULL CHECK (length(meeting) BETWEEN 1 AND 200),
  meeting_on   date NOT NULL,
  opinion_by   text NOT NULL,
  opinion_at   timestamptz NOT NULL,
  finalized_by text,
  finalized_at timestamptz,
  figures      jsonb,
  sha256       text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  edits        int NOT NULL DEFAULT 1,
  CHECK ((status = 'final') = (finalized_at IS NOT NULL)),
  CHECK ((status = 'final') = (figures IS NOT NULL AND sha256 IS NOT NULL AND finalized_by IS NOT NULL))
);

-- kijun_annual_reports_guard: a final report is immutable.
CREATE FUNCTION kijun_annual_reports_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF OLD.status = 'final' THEN
    RAISE EXCEPTION 'annual report %: a final report never changes', OLD.fiscal_year USING ERRCODE = 'KJ001';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER annual_reports_guard BEFORE UPDATE OR DELETE ON annual_reports
  FOR EACH ROW EXECUTE FUNCTION kijun_annual_reports_guard();

ALTER TABLE annual_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY annual_reports_nco ON annual_reports FOR ALL
  USING (kijun_system() OR kijun_nco()) WITH CHECK (kijun_system() OR kijun_nco());
GRANT SELECT, INSERT, UPDATE ON annual_reports TO kijun_app;
