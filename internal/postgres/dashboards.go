package postgres

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Dashboards (docs/dashboards.md). The national and ministry figures
// (heatmap, themes, trend) are read from sector_rollups, the per-sector
// sums that triggers keep in the transaction of every submit, accept and
// return (sector_rollups.go); per-sector figures (drill-down, benchmark)
// from assessment_rollups and the assessments' status; the ministry's
// weakest controls from sector_control_rollups (migration 000012); never
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

// MinBenchmarkGroup is the small-group suppression rule: a benchmark over
// fewer operators than this is not shown to operators. This constant is
// the rule; the database applies it too (kijun_sector_benchmark reads
// every operator's rollups as the owner, so it must suppress itself), and
// TestSectorBenchmarkThresholdIsMinBenchmarkGroup holds the two equal.
const MinBenchmarkGroup = 5

// Named is a reference code with its names.
type Named struct {
	Code string
	Name kijun.Text
}

// ReferenceNames are the names of the reference codes pages show, in
// their reference order.
type ReferenceNames struct {
	Sectors    []Named
	Sections   []Named
	Themes     []Named
	Ministries []Named
	// Oversight maps a sector to the ministries overseeing it.
	Oversight map[string][]string
}

// LoadReferenceNames reads sectors, baseline sections, themes, ministries
// and oversight in one round trip.
func LoadReferenceNames(ctx context.Context, q Querier) (ReferenceNames, error) {
	n := ReferenceNames{Oversight: map[string][]string{}}
	rows, _ := q.Query(ctx, `SELECT 'sector', code, name_ja, name_en, sort_order FROM sectors
		UNION ALL SELECT 'section', code, name_ja, name_en, sort_order FROM baseline_sections
		UNION ALL SELECT 'theme', code, name_ja, name_en, sort_order FROM themes
		UNION ALL SELECT 'ministry', code, name_ja, name_en, sort_order FROM ministries
		UNION ALL SELECT 'oversight:' || sector_code, ministry_code, '', '', 0 FROM sector_oversight
		ORDER BY 1, 5, 2`)
	var kind string
	var c Named
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
	return n, err
}

// Name returns the names of code in list (the code itself if unknown).
func Name(list []Named, code string) kijun.Text {
	for _, c := range list {
		if c.Code == code {
			return c.Name
		}
	}
	return kijun.Text{Ja: code, En: code}
}

// NameMap indexes a list of names by code, for views that look names up.
func NameMap(list []Named) map[string]kijun.Text {
	m := make(map[string]kijun.Text, len(list))
	for _, c := range list {
		m[c.Code] = c.Name
	}
	return m
}

// Cell is one sector's figure in one dimension (a section, a theme, or
// overall), over the assessments that count.
type Cell struct {
	Sector string
	Kind   string
	Key    string
	// N is the number of assessments with a score in the dimension
	// (nothing applicable: no score, not counted).
	N int
	// Score is the mean of those assessments' scores (0–1); nil if N = 0.
	Score *float64
	// Implemented and Applicable are summed over the assessments: the
	// share of applicable answers that are 実施済.
	Implemented int
	Applicable  int
}

// ShareImplemented is Implemented / Applicable, nil when nothing applies.
func (c Cell) ShareImplemented() *float64 {
	if c.Applicable == 0 {
		return nil
	}
	v := float64(c.Implemented) / float64(c.Applicable)
	return &v
}

// SectorProgress counts one sector's assessments by status.
type SectorProgress struct {
	Sector string
	StatusCounts
}

// TrendPoint is one sector's overall score in one cycle.
type TrendPoint struct {
	CycleID    int64
	FiscalYear kijun.FiscalYear
	Sector     string
	N          int
	Score      *float64
}

// PlanStatusCount counts a ministry's plans by the status of their latest
// version.
type PlanStatusCount struct {
	Ministry string
	Status   kijun.PlanStatus
	N        int
}

// Dashboard is the figures of the NCO and ministry dashboards for one
// cycle and a list of sectors.
type Dashboard struct {
	Cycle   kijun.Cycle
	Cycles  []kijun.Cycle // every cycle, newest first
	Sectors []string      // in scope, in reference order
	// Cells has one entry per sector × dimension with any rollup;
	// Lookup finds one.
	Cells    []Cell
	Progress []SectorProgress
	Trend    []TrendPoint // by fiscal year, then sector order of Sectors
	Plans    []PlanStatusCount
}

// Lookup returns the cell of sector in kind/key (zero Cell if none).
func (d *Dashboard) Lookup(sector, kind, key string) Cell {
	for _, c := range d.Cells {
		if c.Sector == sector && c.Kind == kind && c.Key == key {
			return c
		}
	}
	return Cell{Sector: sector, Kind: kind, Key: key}
}

// TrendOf returns the sector's point in a cycle (zero if none).
func (d *Dashboard) TrendOf(sector string, cycleID int64) TrendPoint {
	for _, t := range d.Trend {
		if t.Sector == sector && t.CycleID == cycleID {
			return t
		}
	}
	return TrendPoint{Sector: sector, CycleID: cycleID}
}

// PickCycle returns the cycle with id (0: the newest) from cycles.
func PickCycle(cycles []kijun.Cycle, id int64) (kijun.Cycle, error) {
	for _, c := range cycles {
		if id == 0 || c.ID == id {
			return c, nil
		}
	}
	return kijun.Cycle{}, kijun.ErrNotFound
}

// LoadDashboard reads the dashboard of sectors in cycle cycleID (0: the
// newest cycle) in five queries whatever the number of operators, each
// reading per-sector rows (sector_rollups, sector_status_counts), never
// one row per operator. RLS
// applies on top: a ministry passing a sector it does not oversee gets
// empty figures for it. With withPlans, plan status by ministry is read
// too (plans the principal sees).
func LoadDashboard(ctx context.Context, tx pgx.Tx, cycleID int64, sectors []string, withPlans bool) (Dashboard, error) {
	d := Dashboard{Sectors: sectors}
	var err error
	if d.Cycles, err = ListCycles(ctx, tx); err != nil {
		return d, err
	}
	if len(d.Cycles) == 0 {
		if cycleID != 0 {
			return d, kijun.ErrNotFound
		}
		return d, d.loadPlans(ctx, tx, withPlans)
	}
	if d.Cycle, err = PickCycle(d.Cycles, cycleID); err != nil {
		return d, err
	}

	rows, _ := tx.Query(ctx, `SELECT s.sector_code, s.kind, s.key, s.scored, (s.sum_score / nullif(s.scored, 0))::float8,
			s.implemented, s.applicable
		FROM sector_rollups s
		WHERE s.cycle_id = $1 AND s.sector_code = ANY ($2) AND s.kind = ANY ('{overall,section,theme}') AND s.assessments > 0`,
		d.Cycle.ID, sectors)
	if d.Cells, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Cell]); err != nil {
		return d, err
	}

	rows, _ = tx.Query(ctx, progressSQL, d.Cycle.ID, sectors)
	byS := map[string]StatusCounts{}
	var s string
	var c StatusCounts
	if _, err := pgx.ForEachRow(rows, []any{&s, &c.NotStarted, &c.InProgress, &c.Submitted, &c.Returned, &c.Accepted,
		&c.Overdue, &c.Total}, func() error {
		byS[s] = c
		return nil
	}); err != nil {
		return d, err
	}
	for _, s := range sectors {
		if c, ok := byS[s]; ok {
			d.Progress = append(d.Progress, SectorProgress{Sector: s, StatusCounts: c})
		}
	}

	ids := make([]int64, len(d.Cycles))
	for i, c := range d.Cycles {
		ids[i] = c.ID
	}
	rows, _ = tx.Query(ctx, `SELECT s.cycle_id, c.fiscal_year, s.sector_code, s.scored, (s.sum_score / nullif(s.scored, 0))::float8
		FROM sector_rollups s JOIN cycles c ON c.id = s.cycle_id
		WHERE s.cycle_id = ANY ($1) AND s.sector_code = ANY ($2) AND s.kind = 'overall' AND s.key = '' AND s.assessments > 0
		ORDER BY 2, 1`, ids, sectors)
	if d.Trend, err = pgx.CollectRows(rows, pgx.RowToStructByPos[TrendPoint]); err != nil {
		return d, err
	}
	return d, d.loadPlans(ctx, tx, withPlans)
}

func (d *Dashboard) loadPlans(ctx context.Context, tx pgx.Tx, withPlans bool) error {
	if !withPlans {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT p.ministry_code, v.status, count(*)::int
		FROM plans p `+latestVersion+`
		GROUP BY 1, 2 ORDER BY 1, 2`)
	var err error
	d.Plans, err = pgx.CollectRows(rows, pgx.RowToStructByPos[PlanStatusCount])
	return err
}

// SectorOperator is an operator of a sector's drill-down list with its
// assessment in the cycle.
type SectorOperator struct {
	AssessmentID int64
	OperatorID   int64
	Name         kijun.Text
	Status       kijun.AssessmentStatus
	Overdue      bool
	// Overall and Focus are the overall score and the score of the
	// dimension the list focuses on; nil unless the assessment counts
	// and something applies.
	Overall *float64
	Focus   *float64
}

// SectorFilter narrows SectorOperators.
type SectorFilter struct {
	CycleID int64
	Sector  string
	// Kind and Key name the dimension in focus (a heatmap cell); empty:
	// overall.
	Kind, Key string
	// Status is an assessment status, kijun.StatusOverdue or "counted"
	// (submitted or accepted); empty: all.
	Status string
	// ByScore sorts the lowest score first; otherwise by name.
	ByScore bool
	Limit   int // default 100, at most 1000
	Offset  int
}

// SectorOperators lists a sector's assessments in a cycle with their
// scores (RLS: a ministry its sectors, the NCO all), and how many match.
func SectorOperators(ctx context.Context, tx pgx.Tx, f SectorFilter) ([]SectorOperator, int, error) {
	if f.Kind == "" {
		f.Kind, f.Key = kijun.RollupOverall, ""
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
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SectorOperator, error) {
		var o SectorOperator
		err := r.Scan(&o.AssessmentID, &o.OperatorID, &o.Name.Ja, &o.Name.En, &o.Status, &o.Overdue, &o.Overall, &o.Focus, &total)
		return o, err
	})
	return list, total, err
}

// ControlFigure is one control's answers across a sector's assessments
// that count.
type ControlFigure struct {
	Ref            string
	Title          kijun.Text
	Implemented    int
	Partial        int
	NotImplemented int
	NA             int
	// Score is the mean weight of the applicable answers; nil if none.
	Score *float64
}

// Applicable is the number of answers that enter the score.
func (c ControlFigure) Applicable() int { return c.Implemented + c.Partial + c.NotImplemented }

// WeakestControls returns the limit controls of a sector with the lowest
// mean score in a cycle (N/A excluded), over its assessments that count,
// from sector_control_rollups: one sector's ~100 rows,
// whatever its size.
func WeakestControls(ctx context.Context, tx pgx.Tx, cycleID int64, sector string, limit int) ([]ControlFigure, error) {
	rows, _ := tx.Query(ctx, `SELECT w.ref, coalesce(t.title_ja, w.ref), coalesce(t.title_en, ''),
			w.implemented, w.partial, w.not_implemented, w.na,
			(w.sum_weight / nullif(w.implemented + w.partial + w.not_implemented, 0))::float8 AS score
		FROM sector_control_rollups w LEFT JOIN LATERAL (SELECT i.title_ja, i.title_en FROM control_set_items i
			JOIN control_sets cs ON cs.id = i.set_id
			WHERE cs.cycle_id = $1 AND cs.sector_code = $2 AND i.ref = w.ref LIMIT 1) t ON true
		WHERE w.cycle_id = $1 AND w.sector_code = $2 AND w.answers > 0
		ORDER BY score NULLS LAST, w.ref LIMIT $3`, cycleID, sector, limit)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ControlFigure, error) {
		var c ControlFigure
		err := r.Scan(&c.Ref, &c.Title.Ja, &c.Title.En, &c.Implemented, &c.Partial, &c.NotImplemented, &c.NA, &c.Score)
		return c, err
	})
}

// BelowTarget is an operator with answers below its sector profile's
// target status.
type BelowTarget struct {
	AssessmentID int64
	Name         kijun.Text
	Below        int // controls answered below their target
	Targets      int // applicable controls with a target
}

// OperatorsBelowTarget lists the sector's operators (assessments that
// count, in cycleID) with at least one applicable answer whose weight is
// below the weight of the target status that the sector profile in force
// for fy sets for the control, most shortfalls first. No profile in
// force: ok is false.
func OperatorsBelowTarget(ctx context.Context, tx pgx.Tx, cycleID int64, fy kijun.FiscalYear, sector string, limit int) (list []BelowTarget, ok bool, err error) {
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM kijun_sector_profile($1, $2))`, sector, int(fy)).Scan(&ok); err != nil || !ok {
		return nil, ok, err
	}
	rows, _ := tx.Query(ctx, `WITH t AS MATERIALIZED (
			SELECT p.ref, ts.weight AS target FROM kijun_sector_profile($2, $3) p
			JOIN answer_scale ts ON ts.code = p.target_status WHERE p.applies)
		SELECT a.id, o.name_ja, o.name_en,
			count(*) FILTER (WHERE s.weight < t.target)::int, count(*)::int
		FROM assessments a JOIN operators o ON o.id = a.operator_id
		JOIN answers x ON x.assessment_id = a.id JOIN t ON t.ref = x.ref
		JOIN answer_scale s ON s.code = x.status AND s.weight IS NOT NULL
		WHERE a.cycle_id = $1 AND a.sector_code = $2 AND `+countedStatus+`
		GROUP BY a.id, o.name_ja, o.name_en
		HAVING count(*) FILTER (WHERE s.weight < t.target) > 0
		ORDER BY 4 DESC, o.name_ja LIMIT $4`, cycleID, sector, int(fy), limit)
	list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (BelowTarget, error) {
		var b BelowTarget
		err := r.Scan(&b.AssessmentID, &b.Name.Ja, &b.Name.En, &b.Below, &b.Targets)
		return b, err
	})
	return list, true, err
}

// Attention is an assessment a ministry should follow up: returned, or
// overdue.
type Attention struct {
	AssessmentID int64
	Sector       string
	Name         kijun.Text
	Status       kijun.AssessmentStatus
	Overdue      bool
	DueOn        time.Time
	ReturnedAt   *time.Time
}

// NeedingAttention lists the returned and overdue assessments of sectors
// in a cycle, by sector and name, at most limit, and how many there are.
func NeedingAttention(ctx context.Context, tx pgx.Tx, cycleID int64, sectors []string, limit int) ([]Attention, int, error) {
	total := 0
	rows, _ := tx.Query(ctx, `SELECT a.id, a.sector_code, o.name_ja, o.name_en, a.status, `+overdueSQL+`, c.due_on, a.returned_at,
			count(*) OVER ()
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id
		JOIN sectors sc ON sc.code = a.sector_code
		WHERE a.cycle_id = $1 AND a.sector_code = ANY ($2) AND (a.status = 'returned' OR `+overdueSQL+`)
		ORDER BY sc.sort_order, o.name_ja, a.id LIMIT $3`, cycleID, sectors, limit)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attention, error) {
		var a Attention
		err := r.Scan(&a.AssessmentID, &a.Sector, &a.Name.Ja, &a.Name.En, &a.Status, &a.Overdue, &a.DueOn, &a.ReturnedAt, &total)
		return a, err
	})
	return list, total, err
}

// Benchmark is the distribution of one dimension's scores across a
// sector's assessments that count. Quartiles are nil when fewer than
// MinBenchmarkGroup operators have a score (suppressed).
type Benchmark struct {
	Kind   string
	Key    string
	N      int
	Q1     *float64
	Median *float64
	Q3     *float64
}

// Suppressed reports whether the group is too small to show.
func (b Benchmark) Suppressed() bool { return b.N < MinBenchmarkGroup }

func round4(v float64) *float64 {
	r := math.Round(v*10000) / 10000
	return &r
}

// Gap is an answer of the operator's own assessment below 実施済 with its
// remediation plan.
type Gap struct {
	Ref         string
	Section     string
	Title       kijun.Text
	Status      kijun.AnswerStatus
	Remediation kijun.Remediation
}

// OwnGaps returns an assessment's partial and not-implemented answers with
// their remediation plans, earliest target date first (undated last).
func OwnGaps(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]Gap, error) {
	rows, _ := tx.Query(ctx, `SELECT x.ref, i.section_code, i.title_ja, i.title_en, x.status,
			x.remediation_action, x.remediation_owner, x.remediation_due
		FROM assessments a JOIN answers x ON x.assessment_id = a.id
		JOIN control_set_items i ON i.set_id = a.control_set_id AND i.ref = x.ref
		WHERE a.id = $1 AND x.status IN ('partial', 'not_implemented')
		ORDER BY x.remediation_due NULLS LAST, i.sort_order, x.ref`, assessmentID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Gap, error) {
		var g Gap
		err := r.Scan(&g.Ref, &g.Section, &g.Title.Ja, &g.Title.En, &g.Status,
			&g.Remediation.Action, &g.Remediation.Owner, &g.Remediation.Due)
		return g, err
	})
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

// AnswerExportRow is one row of the streamed answer export.
type AnswerExportRow struct {
	FiscalYear       kijun.FiscalYear
	Sector           string
	CorporateNumber  string
	OperatorName     kijun.Text
	AssessmentID     int64
	AssessmentStatus kijun.AssessmentStatus
	Ref              string
	Status           string
	Maturity         int
	NAReason         string
	Action           string
	Owner            string
	Due              *time.Time
	UpdatedAt        time.Time
}

// answerExportTag marks the export's query so that tests and operators
// can find it in pg_stat_activity.
const answerExportTag = "/* kijun:answer-export */ "

// StreamAnswers calls fn for every answer of the cycle's assessments in
// sectors (RLS applies), ordered by assessment and ref (the answers key, so no sort of the whole export), as the rows
// arrive from the server: nothing is collected, so memory stays flat
// whatever the size. fn's error stops the stream.
func StreamAnswers(ctx context.Context, tx pgx.Tx, cycleID int64, sectors []string, fn func(AnswerExportRow) error) error {
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
	var r AnswerExportRow
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
