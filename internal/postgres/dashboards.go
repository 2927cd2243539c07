package postgres

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Dashboards (docs/dashboards.md). The national and ministry figures
// (heatmap, themes, trend) are read from sector_rollups, the per-sector
// sums that triggers keep in the transaction of every submit, accept and
// return (sector_rollups.go); per-sector figures (drill-down, benchmark)
// from assessment_rollups and the assessments' status; the ministry's
// weakest controls from sector_control_rollups; never
// from answers — except the below-target list, which compares one
// sector's answers with its profile, and the streamed answer export.
// Scores count only assessments that are submitted or accepted now: a
// returned assessment keeps its rollup rows (they are its last submitted
// figures), but it is not a figure the ministry stands behind.
//
// Sectors are always passed as an explicit list, so the rollup index
// (cycle_id, sector_code, kind, key) is searched by its prefix rather than
// scanned whatever the number of cycles.
//
// Submission progress (national and ministry) reads sector_status_counts,
// the assessment counts per sector and status that triggers on
// assessments keep (sector_status.go); overdue is
// derived there from the cycle's due date.

// countedStatus limits a rollup to assessments whose figures count.
const countedStatus = `a.status IN ('submitted', 'accepted')`

// LoadReferenceNames reads sectors, baseline sections, themes, ministries
// and oversight in one round trip.
func LoadReferenceNames(ctx context.Context, q Querier) (kijun.ReferenceNames, error) {
	var n kijun.ReferenceNames
	b := &pgx.Batch{}
	queueReferenceNames(b, &n)
	return n, q.SendBatch(ctx, b).Close()
}

// LoadNamesAndCycles reads what every dashboard needs before its figures,
// the reference names (LoadReferenceNames) and the cycles (ListCycles),
// in one round trip.
func LoadNamesAndCycles(ctx context.Context, q Querier) (kijun.ReferenceNames, []assessment.Cycle, error) {
	var n kijun.ReferenceNames
	var cycles []assessment.Cycle
	b := &pgx.Batch{}
	queueReferenceNames(b, &n)
	b.Queue(listCyclesSQL).Query(func(rows pgx.Rows) (err error) {
		cycles, err = pgx.CollectRows(rows, scanCycle)
		return err
	})
	return n, cycles, q.SendBatch(ctx, b).Close()
}

// queueReferenceNames queues LoadReferenceNames's query into b, to fill n.
func queueReferenceNames(b *pgx.Batch, n *kijun.ReferenceNames) {
	n.Oversight = map[string][]string{}
	b.Queue(`SELECT 'sector', code, name_ja, name_en, sort_order FROM sectors
		UNION ALL SELECT 'section', code, name_ja, name_en, sort_order FROM baseline_sections
		UNION ALL SELECT 'theme', code, name_ja, name_en, sort_order FROM themes
		UNION ALL SELECT 'ministry', code, name_ja, name_en, sort_order FROM ministries
		UNION ALL SELECT 'oversight:' || sector_code, ministry_code, '', '', 0 FROM sector_oversight
		ORDER BY 1, 5, 2`).Query(func(rows pgx.Rows) error {
		var kind string
		var c kijun.Named
		var order int
		_, err := pgx.ForEachRow(rows, []any{&kind, &c.Code, &c.Name.Ja, &c.Name.En, &order}, func() error {
			switch kind {
			case "sector":
				n.Sectors = append(n.Sectors, c)
			case "section":
				n.Sections = append(n.Sections, c)
			case "theme":
				n.Themes = append(n.Themes, c)
			case "ministry":
				n.Ministries = append(n.Ministries, c)
			default:
				s := kind[len("oversight:"):]
				n.Oversight[s] = append(n.Oversight[s], c.Code)
			}
			return nil
		})
		return err
	})
}

// LoadDashboard reads the dashboard of sectors in cycle cycleID (0: the
// newest cycle) of cycles (as ListCycles or LoadNamesAndCycles read them;
// nil: read them first, one more round trip): the figures in one round
// trip (a batch of four queries), each reading per-sector rows
// (sector_rollups, sector_status_counts), never one row per operator. RLS
// applies on top: a ministry passing a sector it does not oversee gets
// empty figures for it. With overview, what the national and ministry
// overviews show besides is read too: plan status by ministry (the plans
// the principal sees) and the incident counts (queueIncidentCounts).
func LoadDashboard(ctx context.Context, tx pgx.Tx, cycles []assessment.Cycle, cycleID int64, sectors []string, overview bool) (dashboard.Dashboard, error) {
	return loadDashboard(ctx, tx, cycles, cycleID, sectors, overview, nil)
}

// LoadMinistryDashboard reads a ministry's dashboard of sectors in cycle
// cycleID (0: the newest) of cycles (as LoadDashboard) and its follow-ups
// about focus, in the same round trip as the figures: ten weakest
// controls, a hundred assessments needing attention, fifty operators
// below target.
func LoadMinistryDashboard(ctx context.Context, tx pgx.Tx, cycles []assessment.Cycle, cycleID int64, sectors []string, focus string) (dashboard.Dashboard, dashboard.MinistryFigures, error) {
	var m dashboard.MinistryFigures
	d, err := loadDashboard(ctx, tx, cycles, cycleID, sectors, true, func(b *pgx.Batch, cy assessment.Cycle) {
		queueWeakestControls(b, &m.Weakest, cy.ID, focus, 10)
		queueNeedingAttention(b, &m.Attention, &m.AttnTotal, cy.ID, sectors, 100)
		queueBelowTarget(b, &m.Below, &m.HasTarget, cy.ID, cy.FiscalYear, focus, 50)
	})
	return d, m, err
}

// loadDashboard reads the cycles unless given, then sends the figures'
// queries, and those more queues for the chosen cycle, as one batch.
func loadDashboard(ctx context.Context, tx pgx.Tx, cycles []assessment.Cycle, cycleID int64, sectors []string, overview bool, more func(*pgx.Batch, assessment.Cycle)) (dashboard.Dashboard, error) {
	d := dashboard.Dashboard{Sectors: sectors, Cycles: cycles}
	var err error
	if cycles == nil {
		if d.Cycles, err = ListCycles(ctx, tx); err != nil {
			return d, err
		}
	}
	b := &pgx.Batch{}
	// The figures' statements keep one plan per connection (generic
	// plans): their plans do not depend on the cycle or the sectors, and
	// PostgreSQL would otherwise plan several of them afresh on every view
	// (it keeps custom plans when it estimates the generic one dearer),
	// which cost about as much as running them.
	b.Queue(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`)
	if len(d.Cycles) == 0 {
		if cycleID != 0 {
			return d, kijun.ErrNotFound
		}
		queueOverview(&d, b, overview)
		return d, tx.SendBatch(ctx, b).Close()
	}
	if d.Cycle, err = dashboard.PickCycle(d.Cycles, cycleID); err != nil {
		return d, err
	}

	b.Queue(`SELECT s.sector_code, s.kind, s.key, s.scored, (s.sum_score / nullif(s.scored, 0))::float8,
			s.implemented, s.applicable
		FROM sector_rollups s
		WHERE s.cycle_id = $1 AND s.sector_code = ANY ($2) AND s.kind = ANY ('{overall,section,theme}') AND s.assessments > 0`,
		d.Cycle.ID, sectors).Query(func(rows pgx.Rows) (err error) {
		// Scanned field by field: a national page has some three hundred
		// cells, and the reflection of RowToStructByPos showed in its profile.
		d.Cells, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.Cell, error) {
			var c dashboard.Cell
			err := r.Scan(&c.Sector, &c.Kind, &c.Key, &c.N, &c.Score, &c.Implemented, &c.Applicable)
			return c, err
		})
		return err
	})

	b.Queue(progressSQL, d.Cycle.ID, sectors).Query(func(rows pgx.Rows) error {
		byS := map[string]assessment.StatusCounts{}
		var s string
		var c assessment.StatusCounts
		if _, err := pgx.ForEachRow(rows, []any{&s, &c.NotStarted, &c.InProgress, &c.Submitted, &c.Returned, &c.Accepted,
			&c.Overdue, &c.Total}, func() error {
			byS[s] = c
			return nil
		}); err != nil {
			return err
		}
		for _, s := range sectors {
			if c, ok := byS[s]; ok {
				d.Progress = append(d.Progress, dashboard.SectorProgress{Sector: s, StatusCounts: c})
			}
		}
		return nil
	})

	ids := make([]int64, len(d.Cycles))
	for i, c := range d.Cycles {
		ids[i] = c.ID
	}
	b.Queue(`SELECT s.cycle_id, c.fiscal_year, s.sector_code, s.scored, (s.sum_score / nullif(s.scored, 0))::float8
		FROM sector_rollups s JOIN cycles c ON c.id = s.cycle_id
		WHERE s.cycle_id = ANY ($1) AND s.sector_code = ANY ($2) AND s.kind = 'overall' AND s.key = '' AND s.assessments > 0
		ORDER BY 2, 1`, ids, sectors).Query(func(rows pgx.Rows) (err error) {
		d.Trend, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.TrendPoint, error) {
			var t dashboard.TrendPoint
			err := r.Scan(&t.CycleID, &t.FiscalYear, &t.Sector, &t.N, &t.Score)
			return t, err
		})
		return err
	})
	queueOverview(&d, b, overview)
	if more != nil {
		more(b, d.Cycle)
	}
	return d, tx.SendBatch(ctx, b).Close()
}

// queueOverview queues the plans' status and the incident counts.
func queueOverview(d *dashboard.Dashboard, b *pgx.Batch, overview bool) {
	if !overview {
		return
	}
	queueIncidentCounts(b, &d.Incidents)
	queueIncidentKind(b, &d.IncidentKind)
	b.Queue(`SELECT p.ministry_code, v.status, count(*)::int
		FROM plans p ` + latestVersion + `
		GROUP BY 1, 2 ORDER BY 1, 2`).Query(func(rows pgx.Rows) (err error) {
		d.Plans, err = pgx.CollectRows(rows, pgx.RowToStructByPos[dashboard.PlanStatusCount])
		return err
	})
}

// SectorOperators lists a sector's assessments in a cycle with their
// scores (RLS: a ministry its sectors, the NCO all), and how many match.
func SectorOperators(ctx context.Context, tx pgx.Tx, f dashboard.SectorFilter) ([]dashboard.SectorOperator, int, error) {
	if f.Kind == "" {
		f.Kind, f.Key = assessment.RollupOverall, ""
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit, f.Offset = min(f.Limit, 1000), max(f.Offset, 0)
	order := `o.name_ja, a.id`
	if f.ByScore {
		order = `rf.score NULLS LAST, o.name_ja, a.id`
	}
	where := ` WHERE a.cycle_id = $1 AND a.sector_code = $2
		AND ($5 = '' OR a.status = $5 OR ($5 = 'overdue' AND ` + overdueSQL + `) OR ($5 = 'counted' AND ` + countedStatus + `))`
	rows, _ := tx.Query(ctx, `SELECT a.id, a.operator_id, o.name_ja, o.name_en, a.status, `+overdueSQL+`,
			ro.score::float8, rf.score::float8, count(*) OVER ()
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id
		LEFT JOIN assessment_rollups ro ON ro.assessment_id = a.id AND ro.kind = 'overall' AND ro.key = '' AND `+countedStatus+`
		LEFT JOIN assessment_rollups rf ON rf.assessment_id = a.id AND rf.kind = $3 AND rf.key = $4 AND `+countedStatus+
		where+` ORDER BY `+order+` LIMIT $6 OFFSET $7`,
		f.CycleID, f.Sector, f.Kind, f.Key, f.Status, f.Limit, f.Offset)
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.SectorOperator, error) {
		var o dashboard.SectorOperator
		err := r.Scan(&o.AssessmentID, &o.OperatorID, &o.Name.Ja, &o.Name.En, &o.Status, &o.Overdue, &o.Overall, &o.Focus, &total)
		return o, err
	})
	return list, total, err
}

// WeakestControls returns the limit controls of a sector with the lowest
// mean score in a cycle (N/A excluded), over its assessments that count,
// from sector_control_rollups: one sector's ~100 rows,
// whatever its size.
func WeakestControls(ctx context.Context, tx pgx.Tx, cycleID int64, sector string, limit int) ([]dashboard.ControlFigure, error) {
	var list []dashboard.ControlFigure
	b := &pgx.Batch{}
	queueWeakestControls(b, &list, cycleID, sector, limit)
	return list, tx.SendBatch(ctx, b).Close()
}

func queueWeakestControls(b *pgx.Batch, list *[]dashboard.ControlFigure, cycleID int64, sector string, limit int) {
	// The weakest are chosen first; only they look up their titles.
	b.Queue(`SELECT w.ref, coalesce(t.title_ja, w.ref), coalesce(t.title_en, ''),
			w.implemented, w.partial, w.not_implemented, w.na, w.score
		FROM (SELECT ref, implemented, partial, not_implemented, na,
				(sum_weight / nullif(implemented + partial + not_implemented, 0))::float8 AS score
			FROM sector_control_rollups
			WHERE cycle_id = $1 AND sector_code = $2 AND answers > 0
			ORDER BY score NULLS LAST, ref LIMIT $3) w
		LEFT JOIN LATERAL (SELECT i.title_ja, i.title_en FROM control_set_items i
			JOIN control_sets cs ON cs.id = i.set_id
			WHERE cs.cycle_id = $1 AND cs.sector_code = $2 AND i.ref = w.ref LIMIT 1) t ON true
		ORDER BY w.score NULLS LAST, w.ref`, cycleID, sector, limit).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.ControlFigure, error) {
			var c dashboard.ControlFigure
			err := r.Scan(&c.Ref, &c.Title.Ja, &c.Title.En, &c.Implemented, &c.Partial, &c.NotImplemented, &c.NA, &c.Score)
			return c, err
		})
		return err
	})
}

// OperatorsBelowTarget lists the sector's operators (assessments that
// count, in cycleID) with at least one applicable answer whose weight is
// below the weight of the target status that the sector profile in force
// for fy sets for the control, most shortfalls first. No profile in
// force: ok is false.
func OperatorsBelowTarget(ctx context.Context, tx pgx.Tx, cycleID int64, fy kijun.FiscalYear, sector string, limit int) (list []dashboard.BelowTarget, ok bool, err error) {
	b := &pgx.Batch{}
	queueBelowTarget(b, &list, &ok, cycleID, fy, sector, limit)
	err = tx.SendBatch(ctx, b).Close()
	return list, ok, err
}

// queueBelowTarget queues the list in one statement that reads the
// profile once: its one row without an operator still says whether a
// profile is in force. Without one, the answers are not read at all
// (EXISTS (SELECT FROM t) is a one-time filter).
func queueBelowTarget(b *pgx.Batch, list *[]dashboard.BelowTarget, ok *bool, cycleID int64, fy kijun.FiscalYear, sector string, limit int) {
	b.Queue(`WITH p AS MATERIALIZED (SELECT ref, applies, target_status FROM kijun_sector_profile($2, $3)),
		t AS (SELECT p.ref, ts.weight AS target FROM p JOIN answer_scale ts ON ts.code = p.target_status WHERE p.applies),
		l AS (SELECT a.id, o.name_ja, o.name_en,
				count(*) FILTER (WHERE s.weight < t.target)::int AS below, count(*)::int AS targets
			FROM assessments a JOIN operators o ON o.id = a.operator_id
			JOIN answers x ON x.assessment_id = a.id JOIN t ON t.ref = x.ref
			JOIN answer_scale s ON s.code = x.status AND s.weight IS NOT NULL
			WHERE EXISTS (SELECT FROM t) AND a.cycle_id = $1 AND a.sector_code = $2 AND `+countedStatus+`
			GROUP BY a.id, o.name_ja, o.name_en
			HAVING count(*) FILTER (WHERE s.weight < t.target) > 0
			ORDER BY 4 DESC, o.name_ja LIMIT $4)
		SELECT EXISTS (SELECT FROM p), l.id, coalesce(l.name_ja, ''), coalesce(l.name_en, ''), coalesce(l.below, 0), coalesce(l.targets, 0)
		FROM (VALUES (1)) one LEFT JOIN l ON true
		ORDER BY l.below DESC, l.name_ja`, cycleID, sector, int(fy), limit).Query(func(rows pgx.Rows) error {
		var id *int64
		var bt dashboard.BelowTarget
		_, err := pgx.ForEachRow(rows, []any{ok, &id, &bt.Name.Ja, &bt.Name.En, &bt.Below, &bt.Targets}, func() error {
			if id != nil {
				bt.AssessmentID = *id
				*list = append(*list, bt)
			}
			return nil
		})
		return err
	})
}

// NeedingAttention lists the returned and overdue assessments of sectors
// in a cycle, by sector (in the order of sectors) and name, at most limit,
// and how many there are.
func NeedingAttention(ctx context.Context, tx pgx.Tx, cycleID int64, sectors []string, limit int) ([]dashboard.Attention, int, error) {
	var list []dashboard.Attention
	total := 0
	b := &pgx.Batch{}
	queueNeedingAttention(b, &list, &total, cycleID, sectors, limit)
	return list, total, tx.SendBatch(ctx, b).Close()
}

func queueNeedingAttention(b *pgx.Batch, list *[]dashboard.Attention, total *int, cycleID int64, sectors []string, limit int) {
	b.Queue(`SELECT a.id, a.sector_code, o.name_ja, o.name_en, a.status, `+overdueSQL+`, `+dueSQL+`, a.returned_at,
			count(*) OVER ()
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id
		WHERE a.cycle_id = $1 AND a.sector_code = ANY ($2) AND (a.status = 'returned' OR `+overdueSQL+`)
		ORDER BY array_position($2, a.sector_code), o.name_ja, a.id LIMIT $3`, cycleID, sectors, limit).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.Attention, error) {
			var a dashboard.Attention
			err := r.Scan(&a.AssessmentID, &a.Sector, &a.Name.Ja, &a.Name.En, &a.Status, &a.Overdue, &a.DueOn, &a.ReturnedAt, total)
			return a, err
		})
		return err
	})
}

func round4(v float64) *float64 {
	r := math.Round(v*10000) / 10000
	return &r
}

// OwnGaps returns an assessment's partial and not-implemented answers with
// their remediation plans, earliest target date first (undated last).
func OwnGaps(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]dashboard.Gap, error) {
	var list []dashboard.Gap
	b := &pgx.Batch{}
	queueGaps(b, &list, `a.id = $1`, assessmentID)
	return list, tx.SendBatch(ctx, b).Close()
}

// queueGaps queues the gaps of the assessment that the condition where on
// assessments a picks.
func queueGaps(b *pgx.Batch, list *[]dashboard.Gap, where string, args ...any) {
	b.Queue(`SELECT x.ref, i.section_code, i.title_ja, i.title_en, x.status,
			x.remediation_action, x.remediation_owner, x.remediation_due
		FROM assessments a JOIN answers x ON x.assessment_id = a.id
		JOIN control_set_items i ON i.set_id = a.control_set_id AND i.ref = x.ref
		WHERE `+where+` AND x.status IN ('partial', 'not_implemented')
		ORDER BY x.remediation_due NULLS LAST, i.sort_order, x.ref`, args...).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.Gap, error) {
			var g dashboard.Gap
			err := r.Scan(&g.Ref, &g.Section, &g.Title.Ja, &g.Title.En, &g.Status,
				&g.Remediation.Action, &g.Remediation.Owner, &g.Remediation.Due)
			return g, err
		})
		return err
	})
}

// Scorecard is what an operator's scorecard reads in a cycle.
type Scorecard struct {
	AssessmentID int64 // 0: the operator has no assessment in the cycle
	Status       assessment.Status
	Own          []assessment.Rollup // its rollups, when they count (submitted or accepted)
	Gaps         []dashboard.Gap
	Bench        []dashboard.Benchmark // of sector (SectorBenchmarkTx)
	// Incidents are the operator's own reports, the fifty newest, and
	// IncidentKind the report form's kind field (queueIncidentKind).
	Incidents    []incident.Report
	IncidentKind incident.Field
}

// LoadScorecard reads an operator's scorecard in cycle cycleID in one
// round trip: the benchmark of its sector, its assessment, the
// assessment's rollups if they count, its gaps (OwnGaps) and its own
// incident reports.
func LoadScorecard(ctx context.Context, tx pgx.Tx, cycleID, operatorID int64, sector string) (Scorecard, error) {
	var s Scorecard
	b := &pgx.Batch{}
	queueBenchmark(b, &s.Bench, cycleID, sector)
	b.Queue(`SELECT id, status FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cycleID, operatorID).
		Query(func(rows pgx.Rows) error {
			_, err := pgx.ForEachRow(rows, []any{&s.AssessmentID, &s.Status}, func() error { return nil })
			return err
		})
	b.Queue(rollupsSQL(`(SELECT a.id FROM assessments a WHERE a.cycle_id = $1 AND a.operator_id = $2 AND `+countedStatus+`)`),
		cycleID, operatorID).Query(func(rows pgx.Rows) (err error) {
		s.Own, err = pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.Rollup])
		return err
	})
	queueGaps(b, &s.Gaps, `a.cycle_id = $1 AND a.operator_id = $2`, cycleID, operatorID)
	queueIncidents(b, IncidentFilter{OperatorID: operatorID, Limit: 50}, &s.Incidents)
	queueIncidentKind(b, &s.IncidentKind)
	return s, tx.SendBatch(ctx, b).Close()
}

// OperatorSector returns the sector of an operator the principal sees.
func OperatorSector(ctx context.Context, tx pgx.Tx, operatorID int64) (string, error) {
	var s string
	err := tx.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, operatorID).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", kijun.ErrNotFound
	}
	return s, err
}

// answerExportTag marks the export's query so that tests and operators
// can find it in pg_stat_activity.
const answerExportTag = "/* kijun:answer-export */ "

// StreamAnswers calls fn for every answer of the cycle's assessments in
// sectors (RLS applies), ordered by assessment and ref (the answers key, so no sort of the whole export), as the rows
// arrive from the server: nothing is collected, so memory stays flat
// whatever the size. fn's error stops the stream.
func StreamAnswers(ctx context.Context, tx pgx.Tx, cycleID int64, sectors []string, fn func(dashboard.AnswerExportRow) error) error {
	rows, err := tx.Query(ctx, answerExportTag+`SELECT c.fiscal_year, a.sector_code, o.corporate_number, o.name_ja, o.name_en,
			a.id, a.status, x.ref, coalesce(x.status, ''), coalesce(x.maturity, 0), x.na_reason,
			x.remediation_action, x.remediation_owner, x.remediation_due, x.updated_at
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id
		JOIN answers x ON x.assessment_id = a.id
		WHERE a.cycle_id = $1 AND a.sector_code = ANY ($2)
		ORDER BY a.id, x.ref`, cycleID, sectors)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r dashboard.AnswerExportRow
	for rows.Next() {
		if err := rows.Scan(&r.FiscalYear, &r.Sector, &r.CorporateNumber, &r.OperatorName.Ja, &r.OperatorName.En,
			&r.AssessmentID, &r.AssessmentStatus, &r.Ref, &r.Status, &r.Maturity, &r.NAReason,
			&r.Action, &r.Owner, &r.Due, &r.UpdatedAt); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
