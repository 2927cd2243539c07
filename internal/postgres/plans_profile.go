package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// ProfileControls is the ControlSelector that plugs sector profiles into
// assessments: when an accepted plan covers sector, new assessments answer
// the catalog's controls minus those its profile marks not applicable,
// plus its supplementary controls (source "profile:<version id>");
// otherwise the baseline (BaselineControls). The choice is the database's
// kijun_profile_controls, which runs as the owner, so
// it does not depend on whether the NCO or a ministry opens the assessment.
// Of several accepted plans covering the sector, the most recently
// accepted wins; ProfileSelector prefers one whose period holds a year.
func ProfileControls(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog, sector string) ([]assessment.Control, string, error) {
	return profileControls(ctx, tx, cat, sector, 0)
}

// ProfileSelector is ProfileControls for a cycle of fiscal year fy: of the
// accepted plans covering the sector, one whose planning period holds fy
// is preferred.
func ProfileSelector(fy kijun.FiscalYear) ControlSelector {
	return func(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog, sector string) ([]assessment.Control, string, error) {
		return profileControls(ctx, tx, cat, sector, fy)
	}
}

func profileControls(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog, sector string, fy kijun.FiscalYear) ([]assessment.Control, string, error) {
	var year any
	if fy != 0 {
		year = int(fy)
	}
	rows, _ := tx.Query(ctx, `SELECT source, ref, coalesce(catalog_id, 0), section_code, themes, csf, title_ja, title_en,
			statement_ja, statement_en, evidence_expected, sort_order, guidance_ja, guidance_en
		FROM kijun_profile_controls($1, $2, $3)`, sector, cat.ID, year)
	var source string
	controls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.Control, error) {
		var c assessment.Control
		err := r.Scan(&source, &c.Ref, &c.CatalogID, &c.Section, &c.Themes, &c.CSF, &c.Title.Ja, &c.Title.En,
			&c.Statement.Ja, &c.Statement.En, &c.EvidenceExpected, &c.SortOrder, &c.Guidance.Ja, &c.Guidance.En)
		return c, err
	})
	if err != nil {
		return nil, "", err
	}
	if len(controls) == 0 {
		return BaselineControls(ctx, tx, cat, sector)
	}
	return controls, source, nil
}

// GetSectorProfile returns the profile in force for sector in fiscal year
// fy (0: the most recently accepted), or nil when there is none or the
// principal may not see the sector (kijun_sector_profile decides).
func GetSectorProfile(ctx context.Context, tx pgx.Tx, sector string, fy kijun.FiscalYear) (*plan.SectorProfile, error) {
	var year any
	if fy != 0 {
		year = int(fy)
	}
	rows, _ := tx.Query(ctx, `SELECT s.version_id, s.plan_id, s.ministry_code, s.version, s.accepted_at, s.title_ja, s.title_en,
			s.catalog_id, s.supplementary, s.ref, s.section_code, s.control_title_ja, s.control_title_en,
			s.statement_ja, s.statement_en, s.applies, s.na_reason, s.target_status, coalesce(s.target_maturity, 0),
			s.tailoring_note, s.standard_doc, s.standard_clause, s.reflection,
			coalesce(to_char(s.reflection_on, 'YYYY-MM-DD'), ''), s.reflection_reason
		FROM kijun_sector_profile($1, $2) s JOIN baseline_sections b ON b.code = s.section_code
		ORDER BY b.sort_order, s.supplementary, s.ref`, sector, year)
	var sp *plan.SectorProfile
	_, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var h plan.SectorProfile
		var c plan.SectorProfileControl
		err := r.Scan(&h.VersionID, &h.PlanID, &h.MinistryCode, &h.Version, &h.AcceptedAt, &h.Title.Ja, &h.Title.En,
			&h.CatalogID, &c.Supplementary, &c.Ref, &c.Section, &c.Title.Ja, &c.Title.En, &c.Statement.Ja, &c.Statement.En,
			&c.Applies, &c.NAReason, &c.TargetStatus, &c.TargetMaturity, &c.TailoringNote, &c.StandardDoc, &c.StandardClause,
			&c.Reflection, &c.ReflectionOn, &c.ReflectionReason)
		if err != nil {
			return struct{}{}, err
		}
		if sp == nil {
			sp = &h
		}
		sp.Controls = append(sp.Controls, c)
		return struct{}{}, nil
	})
	return sp, err
}
