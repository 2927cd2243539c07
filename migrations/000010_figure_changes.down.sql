DROP TRIGGER assessments_figures_updated ON assessments;
DROP TRIGGER sector_status_counts_figures_changed ON sector_status_counts;
DROP TRIGGER sector_rollups_figures_changed ON sector_rollups;
DROP TRIGGER assessments_figures_changed ON assessments;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['assessment_rollups', 'cycles',
      'control_sets', 'control_set_items', 'operators', 'plans', 'plan_versions', 'plan_profile_controls',
      'plan_supplementary_controls', 'ministries', 'sectors', 'sector_oversight', 'baseline_sections',
      'themes', 'answer_scale'] LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_figures_changed', t);
  END LOOP;
END
$$;
DROP FUNCTION kijun_figures_changed();
