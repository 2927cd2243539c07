package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// ListSectors returns every sector in the source's order, with its
// ministries, business scopes and CEPTOAR bodies, in four queries whatever
// the number of sectors.
func ListSectors(ctx context.Context, q Querier) ([]kijun.Sector, error) {
	return loadSectors(ctx, q, "")
}

// GetSector returns one sector with everything that hangs off it.
func GetSector(ctx context.Context, q Querier, code string) (kijun.Sector, error) {
	s, err := loadSectors(ctx, q, code)
	if err != nil {
		return kijun.Sector{}, err
	}
	if len(s) == 0 {
		return kijun.Sector{}, kijun.ErrNotFound
	}
	return s[0], nil
}

// loadSectors loads all sectors, or the one named by code when it is set.
func loadSectors(ctx context.Context, q Querier, code string) ([]kijun.Sector, error) {
	rows, _ := q.Query(ctx, `SELECT code, name_ja, name_en FROM sectors
		WHERE $1 = '' OR code = $1 ORDER BY sort_order, code`, code)
	sectors, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kijun.Sector, error) {
		var s kijun.Sector
		return s, r.Scan(&s.Code, &s.Name.Ja, &s.Name.En)
	})
	if err != nil || len(sectors) == 0 {
		return nil, err
	}
	idx := make(map[string]*kijun.Sector, len(sectors))
	for i := range sectors {
		idx[sectors[i].Code] = &sectors[i]
	}

	rows, _ = q.Query(ctx, `SELECT o.sector_code, m.code, m.name_ja, m.name_en
		FROM sector_oversight o JOIN ministries m ON m.code = o.ministry_code
		WHERE $1 = '' OR o.sector_code = $1 ORDER BY m.sort_order`, code)
	var sc string
	var m kijun.Ministry
	if _, err := pgx.ForEachRow(rows, []any{&sc, &m.Code, &m.Name.Ja, &m.Name.En}, func() error {
		idx[sc].Ministries = append(idx[sc].Ministries, m)
		return nil
	}); err != nil {
		return nil, err
	}

	rows, _ = q.Query(ctx, `SELECT id, sector_code, name_ja, name_en, origin, core_name_ja
		FROM business_scopes WHERE $1 = '' OR sector_code = $1 ORDER BY sort_order, id`, code)
	var bs kijun.BusinessScope
	if _, err := pgx.ForEachRow(rows, []any{&bs.ID, &bs.SectorCode, &bs.Name.Ja, &bs.Name.En, &bs.Origin, &bs.CoreNameJa}, func() error {
		idx[bs.SectorCode].Scopes = append(idx[bs.SectorCode].Scopes, bs)
		return nil
	}); err != nil {
		return nil, err
	}

	rows, _ = q.Query(ctx, `SELECT sector_code, scope_ja, name, secretariat, members, shared_beyond, as_of
		FROM ceptoars WHERE $1 = '' OR sector_code = $1 ORDER BY sort_order, id`, code)
	var c kijun.CEPTOAR
	if _, err := pgx.ForEachRow(rows, []any{&c.SectorCode, &c.ScopeJa, &c.Name, &c.Secretariat, &c.Members, &c.SharedBeyond, &c.AsOf}, func() error {
		idx[c.SectorCode].CEPTOARs = append(idx[c.SectorCode].CEPTOARs, c)
		return nil
	}); err != nil {
		return nil, err
	}

	rows, _ = q.Query(ctx, `SELECT sector_code, kind, name_ja, name_en
		FROM sector_examples WHERE $1 = '' OR sector_code = $1 ORDER BY sort_order, id`, code)
	var kind string
	var t kijun.Text
	if _, err := pgx.ForEachRow(rows, []any{&sc, &kind, &t.Ja, &t.En}, func() error {
		s := idx[sc]
		if kind == "operator" {
			s.ExampleOperators = append(s.ExampleOperators, t)
		} else {
			s.ExampleSystems = append(s.ExampleSystems, t)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return sectors, nil
}
