package refdata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Seed upserts the reference data by natural key, so running it twice
// changes nothing and rows that NCO admins added in the portal stay.
func Seed(ctx context.Context, tx pgx.Tx) error {
	d, err := Load()
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO ministries (code, name_ja, name_en, is_coordinator, sort_order) VALUES ($1,$2,$3,true,0)
		ON CONFLICT (code) DO UPDATE SET name_ja=EXCLUDED.name_ja, name_en=EXCLUDED.name_en, is_coordinator=true`,
		d.Coordinator.Code, d.Coordinator.Ja, d.Coordinator.En)
	for i, m := range d.Ministries {
		b.Queue(`INSERT INTO ministries (code, name_ja, name_en, sort_order) VALUES ($1,$2,$3,$4)
			ON CONFLICT (code) DO UPDATE SET name_ja=EXCLUDED.name_ja, name_en=EXCLUDED.name_en, sort_order=EXCLUDED.sort_order`,
			m.Code, m.Ja, m.En, i+1)
	}
	for i, s := range d.Sectors {
		b.Queue(`INSERT INTO sectors (code, name_ja, name_en, sort_order) VALUES ($1,$2,$3,$4)
			ON CONFLICT (code) DO UPDATE SET name_ja=EXCLUDED.name_ja, name_en=EXCLUDED.name_en, sort_order=EXCLUDED.sort_order`,
			s.Code, s.Ja, s.En, i+1)
		for j, sc := range s.Scopes {
			b.Queue(`INSERT INTO business_scopes (sector_code, name_ja, name_en, origin, core_name_ja, sort_order) VALUES ($1,$2,$3,$4,$5,$6)
				ON CONFLICT (sector_code, name_ja) DO UPDATE SET name_en=EXCLUDED.name_en, origin=EXCLUDED.origin,
				core_name_ja=EXCLUDED.core_name_ja, sort_order=EXCLUDED.sort_order`,
				s.Code, sc.Ja, sc.En, sc.Origin, sc.CoreJa, j+1)
		}
		for kind, list := range map[string][]kijun.Text{"operator": s.ExampleOperators, "system": s.ExampleSystems} {
			for j, t := range list {
				b.Queue(`INSERT INTO sector_examples (sector_code, kind, name_ja, name_en, sort_order) VALUES ($1,$2,$3,$4,$5)
					ON CONFLICT (sector_code, kind, name_ja) DO UPDATE SET name_en=EXCLUDED.name_en, sort_order=EXCLUDED.sort_order`,
					s.Code, kind, t.Ja, t.En, j+1)
			}
		}
	}
	for _, m := range d.Ministries {
		for _, s := range m.Sectors {
			b.Queue(`INSERT INTO sector_oversight (ministry_code, sector_code) VALUES ($1,$2) ON CONFLICT DO NOTHING`, m.Code, s)
		}
	}
	for i, c := range d.CEPTOARs {
		b.Queue(`INSERT INTO ceptoars (sector_code, scope_ja, name, secretariat, members, shared_beyond, as_of, sort_order)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
			ON CONFLICT (sector_code, scope_ja) DO UPDATE SET name=EXCLUDED.name, secretariat=EXCLUDED.secretariat,
			members=EXCLUDED.members, shared_beyond=EXCLUDED.shared_beyond, as_of=EXCLUDED.as_of, sort_order=EXCLUDED.sort_order`,
			c.Sector, c.Scope, c.Name, c.Secretariat, c.Members, c.SharedBeyond, d.CEPTOARAsOf, i+1)
	}
	for i, s := range d.Sections {
		b.Queue(`INSERT INTO baseline_sections (code, name_ja, name_en, sort_order) VALUES ($1,$2,$3,$4)
			ON CONFLICT (code) DO UPDATE SET name_ja=EXCLUDED.name_ja, name_en=EXCLUDED.name_en, sort_order=EXCLUDED.sort_order`,
			s.Code, s.Ja, s.En, i+1)
	}
	for i, t := range d.Themes {
		b.Queue(`INSERT INTO themes (code, name_ja, name_en, sort_order) VALUES ($1,$2,$3,$4)
			ON CONFLICT (code) DO UPDATE SET name_ja=EXCLUDED.name_ja, name_en=EXCLUDED.name_en, sort_order=EXCLUDED.sort_order`,
			t.Code, t.Ja, t.En, i+1)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("seeding reference data: %w", err)
	}
	return nil
}
