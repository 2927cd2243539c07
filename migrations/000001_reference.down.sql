-- The kijun_app role is cluster-wide and may serve other databases, so it
-- stays; only this database's objects go.
DROP TABLE themes, baseline_sections, sector_examples, ceptoars,
  business_scopes, sector_oversight, sectors, ministries;
