package dashboard

import (
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// MinBenchmarkGroup is the small-group suppression rule: a benchmark over
// fewer operators than this is not shown to operators. This constant is
// the rule; the database applies it too (kijun_sector_benchmark reads
// every operator's rollups as the owner, so it must suppress itself), and
// TestSectorBenchmarkThresholdIsMinBenchmarkGroup holds the two equal.
const MinBenchmarkGroup = 5

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
	assessment.StatusCounts
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
	Status   plan.Status
	N        int
}

// Dashboard is the figures of the NCO and ministry dashboards for one
// cycle and a list of sectors.
type Dashboard struct {
	Cycle   assessment.Cycle
	Cycles  []assessment.Cycle // every cycle, newest first
	Sectors []string           // in scope, in reference order
	// Cells has one entry per sector × dimension with any rollup;
	// Lookup finds one.
	Cells    []Cell
	Progress []SectorProgress
	Trend    []TrendPoint // by fiscal year, then sector order of Sectors
	Plans    []PlanStatusCount
	// Incidents and IncidentKind are the overview pages' incident
	// figure: report counts, and the kind field of the current report
	// form (its choices' labels).
	Incidents    []IncidentCount
	IncidentKind incident.Field
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

// TrendLine is the national (or ministry) line across cycles, comparing
// like with like: only the sectors scored in every cycle that has any
// score, so that a sector joining or leaving does not move the line.
type TrendLine struct {
	Sectors []string // compared, in the order of Dashboard.Sectors
	Left    []string // scored in some of those cycles only: not in the line
	// Points by cycle id: N operators scored in the compared sectors and
	// their mean score (weighted by operators); Score is nil without data
	// or under MinBenchmarkGroup operators (suppressed).
	Points map[int64]TrendPoint
}

// ComparableTrend works out the trend line over d.Cycles.
func (d *Dashboard) ComparableTrend() TrendLine {
	scored := map[int64]map[string]TrendPoint{}
	for _, t := range d.Trend {
		if t.N > 0 && t.Score != nil {
			if scored[t.CycleID] == nil {
				scored[t.CycleID] = map[string]TrendPoint{}
			}
			scored[t.CycleID][t.Sector] = t
		}
	}
	line := TrendLine{Points: map[int64]TrendPoint{}}
	for _, s := range d.Sectors {
		in, some := true, false
		for _, c := range d.Cycles {
			if len(scored[c.ID]) == 0 {
				continue // a cycle without any score compares nothing
			}
			_, ok := scored[c.ID][s]
			in, some = in && ok, some || ok
		}
		switch {
		case some && in:
			line.Sectors = append(line.Sectors, s)
		case some:
			line.Left = append(line.Left, s)
		}
	}
	for _, c := range d.Cycles {
		p := TrendPoint{CycleID: c.ID, FiscalYear: c.FiscalYear}
		sum := 0.0
		for _, s := range line.Sectors {
			if t, ok := scored[c.ID][s]; ok {
				sum += *t.Score * float64(t.N)
				p.N += t.N
			}
		}
		if p.N >= MinBenchmarkGroup {
			v := sum / float64(p.N)
			p.Score = &v
		}
		line.Points[c.ID] = p
	}
	return line
}

// PickCycle returns the cycle with id (0: the newest) from cycles.
func PickCycle(cycles []assessment.Cycle, id int64) (assessment.Cycle, error) {
	for _, c := range cycles {
		if id == 0 || c.ID == id {
			return c, nil
		}
	}
	return assessment.Cycle{}, kijun.ErrNotFound
}

// MinistryFigures are the ministry dashboard's follow-ups: the weakest
// controls and the operators below target of its focus sector, and the
// assessments needing attention in all its sectors.
type MinistryFigures struct {
	Weakest   []ControlFigure
	Attention []Attention
	AttnTotal int
	Below     []BelowTarget
	HasTarget bool // a sector profile is in force for the focus sector
}

// SectorOperator is an operator of a sector's drill-down list with its
// assessment in the cycle.
type SectorOperator struct {
	AssessmentID int64
	OperatorID   int64
	Name         kijun.Text
	Status       assessment.Status
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
	// Status is an assessment status, assessment.StatusOverdue or "counted"
	// (submitted or accepted); empty: all.
	Status string
	// ByScore sorts the lowest score first; otherwise by name.
	ByScore bool
	Limit   int // default 100, at most 1000
	Offset  int
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

// BelowTarget is an operator with answers below its sector profile's
// target status.
type BelowTarget struct {
	AssessmentID int64
	Name         kijun.Text
	Below        int // controls answered below their target
	Targets      int // applicable controls with a target
}

// Attention is an assessment a ministry should follow up: returned, or
// overdue.
type Attention struct {
	AssessmentID int64
	Sector       string
	Name         kijun.Text
	Status       assessment.Status
	Overdue      bool
	DueOn        time.Time
	ReturnedAt   *time.Time
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

// Gap is an answer of the operator's own assessment below 実施済 with its
// remediation plan.
type Gap struct {
	Ref         string
	Section     string
	Title       kijun.Text
	Status      assessment.AnswerStatus
	Remediation assessment.Remediation
}

// AnswerExportRow is one row of the streamed answer export.
type AnswerExportRow struct {
	FiscalYear       kijun.FiscalYear
	Sector           string
	CorporateNumber  string
	OperatorName     kijun.Text
	AssessmentID     int64
	AssessmentStatus assessment.Status
	Ref              string
	Status           string
	Maturity         int
	NAReason         string
	Action           string
	Owner            string
	Due              *time.Time
	UpdatedAt        time.Time
}
