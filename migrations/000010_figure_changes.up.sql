-- Figure changes. The dashboards keep their rendered figures in memory
-- (internal/figcache) until something they are computed from changes; a
-- change commits a notification on the channel kijun_figures, which every
-- server instance LISTENs to and answers by dropping its cached figures.
-- NOTIFY is transactional: it is delivered when, and only if, the change
-- commits, so a cache is never flushed for a change that rolled back, and
-- notifications raised many times in one transaction arrive once.
-- docs/dashboards.md ("Figure cache") gives the reasoning.
--
-- What the figures read: rollups (assessment_rollups, sector_rollups),
-- status counts, assessments' status, cycles and their control sets,
-- operators' names, plans and the sector profiles in them, and the
-- reference names. Not answers: the figures count only submitted and
-- accepted assessments, whose answers cannot change (the lock trigger of
-- 000005) until their status changes, and that change notifies here. Draft
-- answer saves, the busiest writes of all, therefore notify nothing.

CREATE FUNCTION kijun_figures_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kijun_figures', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

-- Statement-level triggers: one notification per statement, however many
-- rows (opening a cycle of 20,000 assessments, an operator import).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['assessment_rollups', 'cycles',
      'control_sets', 'control_set_items', 'operators', 'plans', 'plan_versions', 'plan_profile_controls',
      'plan_supplementary_controls', 'ministries', 'sectors', 'sector_oversight', 'baseline_sections',
      'themes', 'answer_scale'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION kijun_figures_changed()', t || '_figures_changed', t);
  END LOOP;
END
$$;

-- sector_rollups and sector_status_counts are kept by statement triggers
-- on assessments and assessment_rollups, which run their upserts (of no
-- rows, mostly) on every statement there, draft saves included: a row
-- trigger notifies only of rows that really change.
CREATE TRIGGER sector_rollups_figures_changed AFTER INSERT OR UPDATE OR DELETE ON sector_rollups
  FOR EACH ROW EXECUTE FUNCTION kijun_figures_changed();
CREATE TRIGGER sector_status_counts_figures_changed AFTER INSERT OR UPDATE OR DELETE ON sector_status_counts
  FOR EACH ROW EXECUTE FUNCTION kijun_figures_changed();

-- Assessments are updated by every first save and submit; only a change of
-- what the figures show notifies: status (with its dates), cycle, sector
-- or operator. Inserts and deletes always do.
CREATE TRIGGER assessments_figures_changed AFTER INSERT OR DELETE OR TRUNCATE ON assessments
  FOR EACH STATEMENT EXECUTE FUNCTION kijun_figures_changed();
CREATE TRIGGER assessments_figures_updated AFTER UPDATE ON assessments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
    OR OLD.cycle_id IS DISTINCT FROM NEW.cycle_id OR OLD.sector_code IS DISTINCT FROM NEW.sector_code
    OR OLD.operator_id IS DISTINCT FROM NEW.operator_id OR OLD.returned_at IS DISTINCT FROM NEW.returned_at
    OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at OR OLD.accepted_at IS DISTINCT FROM NEW.accepted_at)
  EXECUTE FUNCTION kijun_figures_changed();
