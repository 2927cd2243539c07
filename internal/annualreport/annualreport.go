// Package annualreport is the NCO's annual report (年次報告書): the figures
// compiled from a fiscal year's cycle, plans and published evaluations,
// and the steps it goes through — a draft, the 推進専門家会議's opinion
// recorded, final. A final report keeps the figures it was finalised with
// and never changes. It imports no database or HTTP code: the store reads
// Inputs, Compile works the figures out.
package annualreport

import (
	"slices"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Status is the step a report is at.
type Status string

const (
	// StatusDraft: compiled live from the data; no opinion yet (no row).
	StatusDraft Status = "draft"
	// StatusOpinion: the 推進専門家会議's opinion is recorded; still live.
	StatusOpinion Status = "opinion"
	// StatusFinal: finalised; its figures are the snapshot taken then.
	StatusFinal Status = "final"
)

// MaxOpinion is the longest opinion (characters).
const MaxOpinion = 20000

// Record is the report's stored steps.
type Record struct {
	FiscalYear  kijun.FiscalYear
	Status      Status
	Opinion     string
	Meeting     string     // which meeting gave it, e.g. 第12回推進専門家会議
	MeetingOn   kijun.Date // when
	OpinionBy   string
	OpinionAt   *time.Time
	FinalizedBy string
	FinalizedAt *time.Time
	// Figures is the snapshot of a final report (nil before).
	Figures *Figures
	// SHA256 is the hex hash of the final report's figures as stored.
	SHA256 string
	Edits  int
}

// Pair is a ministry and one sector it oversees.
type Pair struct {
	Ministry string `json:"ministry"`
	Sector   string `json:"sector"`
}

// Point is one sector's mean score in one dimension in one cycle, as
// sector_rollups hold it.
type Point struct {
	CycleID    int64            `json:"cycle_id"`
	FiscalYear kijun.FiscalYear `json:"fiscal_year"`
	Sector     string           `json:"sector"`
	Kind       string           `json:"kind"` // overall, section, theme
	Key        string           `json:"key"`
	N          int              `json:"n"`
	Score      *float64         `json:"score"`
}

// Dim is a dimension of the scores: a section, a theme, or overall.
type Dim struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// PlanInput is a plan's accepted version covering the year with its KPIs
// worked out on the year's cycle.
type PlanInput struct {
	PlanID    int64              `json:"plan_id"`
	Version   int                `json:"version"`
	Ministry  string             `json:"ministry"`
	Sectors   []string           `json:"sectors"`
	Title     kijun.Text         `json:"title"`
	Operators int                `json:"operators"`
	KPIs      []plan.KPIProgress `json:"kpis"`
}

// Inputs is everything Compile reads.
type Inputs struct {
	FiscalYear kijun.FiscalYear
	// Cycles are the cycles up to and including the year, newest first;
	// the report's cycle is the newest of the year itself (none: no
	// assessment figures).
	Cycles     []assessment.Cycle
	Oversight  []Pair   // reference order
	Ministries []string // reference order
	Sectors    []string // reference order
	Dims       []Dim    // overall, the sections, the themes, in reference order
	// Status counts of the report's cycle by sector.
	Status map[string]assessment.StatusCounts
	// Points of every cycle in Cycles (sectors with assessments).
	Points      []Point
	Plans       []PlanInput
	Evaluations []plan.Evaluation // published, of the year
}

// Rate is a sector's or a ministry's submission and acceptance.
type Rate struct {
	Code      string `json:"code"`
	Total     int    `json:"total"`     // assessments in the cycle
	Submitted int    `json:"submitted"` // submitted or accepted (counted)
	Accepted  int    `json:"accepted"`
	// Shares of Total; nil under dashboard.MinBenchmarkGroup (suppressed)
	// or without assessments.
	SubmittedShare *float64 `json:"submitted_share"`
	AcceptedShare  *float64 `json:"accepted_share"`
}

// TrendPoint is a dimension's national figure in one cycle over the
// compared sectors.
type TrendPoint struct {
	FiscalYear kijun.FiscalYear `json:"fiscal_year"`
	N          int              `json:"n"`
	Score      *float64         `json:"score"` // nil: no data or suppressed
}

// Score is a dimension's national figure in the report's cycle and its
// trend compared like with like.
type Score struct {
	Dim
	N     int      `json:"n"`
	Score *float64 `json:"score"` // over every sector; nil when suppressed
	// Trend is oldest first, over Compared only: the sectors scored in
	// every cycle that has any score (dashboard.ComparableTrend); Left
	// were scored in some only.
	Trend    []TrendPoint `json:"trend"`
	Compared []string     `json:"compared"`
	Left     []string     `json:"left"`
}

// SectorScore is a sector's overall score in the report's cycle.
type SectorScore struct {
	Sector string   `json:"sector"`
	N      int      `json:"n"`
	Score  *float64 `json:"score"` // nil when suppressed
}

// Note is a good practice or a request from an evaluation.
type Note struct {
	Ministry string `json:"ministry"`
	Sector   string `json:"sector"`
	Rating   string `json:"rating"`
	Text     string `json:"text"`
}

// Entry is a published evaluation as the report prints it.
type Entry struct {
	Ministry            string `json:"ministry"`
	Sector              string `json:"sector"`
	Rating              string `json:"rating"`
	Findings            string `json:"findings"`
	GoodPractices       string `json:"good_practices"`
	ImprovementRequests string `json:"improvement_requests"`
	Response            string `json:"response"`
}

// Figures is the compiled report.
type Figures struct {
	FiscalYear kijun.FiscalYear `json:"fiscal_year"`
	CycleID    int64            `json:"cycle_id"` // 0: no cycle in the year
	// AsOf is the newest change in the data the report reads (an
	// evaluation's, a plan's): the PDF's date.
	AsOf         time.Time          `json:"as_of"`
	National     Rate               `json:"national"`
	BySector     []Rate             `json:"by_sector"`
	ByMinistry   []Rate             `json:"by_ministry"`
	Scores       []Score            `json:"scores"`
	SectorScores []SectorScore      `json:"sector_scores"`
	Plans        []PlanInput        `json:"plans"`
	Ratings      map[string]int     `json:"ratings"`
	Evaluated    []Pair             `json:"evaluated"`
	NotEvaluated []Pair             `json:"not_evaluated"`
	PlansNotEval []PlanInput        `json:"plans_not_evaluated"`
	Practices    []Note             `json:"good_practices"`
	Requests     []Note             `json:"requests"`
	Evaluations  []Entry            `json:"evaluations"`
	Years        []kijun.FiscalYear `json:"years"` // of the trend, oldest first
}

// shown is the dashboards' small-group rule applied to a share or mean
// over n operators.
func shown(n int, v float64) *float64 {
	if n < dashboard.MinBenchmarkGroup {
		return nil
	}
	return &v
}

func rate(code string, c assessment.StatusCounts) Rate {
	r := Rate{Code: code, Total: c.Total, Submitted: c.Submitted + c.Accepted, Accepted: c.Accepted}
	if r.Total > 0 {
		r.SubmittedShare = shown(r.Total, float64(r.Submitted)/float64(r.Total))
		r.AcceptedShare = shown(r.Total, float64(r.Accepted)/float64(r.Total))
	}
	return r
}

func add(a, b assessment.StatusCounts) assessment.StatusCounts {
	a.NotStarted += b.NotStarted
	a.InProgress += b.InProgress
	a.Submitted += b.Submitted
	a.Returned += b.Returned
	a.Accepted += b.Accepted
	a.Overdue += b.Overdue
	a.Total += b.Total
	return a
}

// ReportCycle is the newest cycle of the year in cycles (ok false: none).
func ReportCycle(fy kijun.FiscalYear, cycles []assessment.Cycle) (assessment.Cycle, bool) {
	for _, c := range cycles {
		if c.FiscalYear == fy {
			return c, true
		}
	}
	return assessment.Cycle{}, false
}

// Compile works the figures out of in.
func Compile(in Inputs) Figures {
	f := Figures{FiscalYear: in.FiscalYear, Ratings: map[string]int{}}
	cy, ok := ReportCycle(in.FiscalYear, in.Cycles)
	if ok {
		f.CycleID = cy.ID
	}

	// Submission and acceptance.
	var all assessment.StatusCounts
	for _, s := range in.Sectors {
		c := in.Status[s]
		all = add(all, c)
		f.BySector = append(f.BySector, rate(s, c))
	}
	f.National = rate("", all)
	for _, m := range in.Ministries {
		var c assessment.StatusCounts
		for _, p := range in.Oversight {
			if p.Ministry == m {
				c = add(c, in.Status[p.Sector])
			}
		}
		f.ByMinistry = append(f.ByMinistry, rate(m, c))
	}

	// Scores and their trends.
	var cycles []assessment.Cycle // of the trend: up to the year
	for _, c := range in.Cycles {
		if c.FiscalYear <= in.FiscalYear {
			cycles = append(cycles, c)
		}
	}
	for i := len(cycles) - 1; i >= 0; i-- {
		if !slices.Contains(f.Years, cycles[i].FiscalYear) {
			f.Years = append(f.Years, cycles[i].FiscalYear)
		}
	}
	for _, d := range in.Dims {
		sc := Score{Dim: d}
		var trend []dashboard.TrendPoint
		sum := 0.0
		for _, p := range in.Points {
			if p.Kind != d.Kind || p.Key != d.Key {
				continue
			}
			trend = append(trend, dashboard.TrendPoint{CycleID: p.CycleID, FiscalYear: p.FiscalYear, Sector: p.Sector, N: p.N, Score: p.Score})
			if p.CycleID == f.CycleID && f.CycleID != 0 && p.Score != nil && p.N > 0 {
				sc.N += p.N
				sum += *p.Score * float64(p.N)
			}
		}
		if sc.N > 0 {
			sc.Score = shown(sc.N, sum/float64(sc.N))
		}
		line := (&dashboard.Dashboard{Cycles: cycles, Sectors: in.Sectors, Trend: trend}).ComparableTrend()
		sc.Compared, sc.Left = line.Sectors, line.Left
		for i := len(cycles) - 1; i >= 0; i-- {
			p := line.Points[cycles[i].ID]
			sc.Trend = append(sc.Trend, TrendPoint{FiscalYear: cycles[i].FiscalYear, N: p.N, Score: p.Score})
		}
		f.Scores = append(f.Scores, sc)
	}
	for _, s := range in.Sectors {
		ss := SectorScore{Sector: s}
		for _, p := range in.Points {
			if p.CycleID == f.CycleID && f.CycleID != 0 && p.Sector == s && p.Kind == "overall" && p.Score != nil {
				ss.N = p.N
				ss.Score = shown(p.N, *p.Score)
			}
		}
		f.SectorScores = append(f.SectorScores, ss)
	}

	// Plans, evaluations, and what is not evaluated yet.
	f.Plans = in.Plans
	evaluated := map[Pair]bool{}
	evaluatedPlan := map[int64]bool{}
	for _, e := range in.Evaluations {
		if !e.Published || e.FiscalYear != in.FiscalYear {
			continue
		}
		evaluated[Pair{e.MinistryCode, e.SectorCode}] = true
		evaluatedPlan[e.PlanID] = true
		f.Ratings[string(e.Rating)]++
		f.Evaluations = append(f.Evaluations, Entry{Ministry: e.MinistryCode, Sector: e.SectorCode, Rating: string(e.Rating),
			Findings: e.Findings, GoodPractices: e.GoodPractices, ImprovementRequests: e.ImprovementRequests, Response: e.Response})
		for _, t := range []*string{&e.GoodPractices, &e.ImprovementRequests} {
			if strings.TrimSpace(*t) == "" {
				continue
			}
			n := Note{Ministry: e.MinistryCode, Sector: e.SectorCode, Rating: string(e.Rating), Text: strings.TrimSpace(*t)}
			if t == &e.GoodPractices {
				f.Practices = append(f.Practices, n)
			} else {
				f.Requests = append(f.Requests, n)
			}
		}
		for _, t := range []*time.Time{e.PublishedAt, e.RespondedAt, &e.UpdatedAt} {
			if t != nil && t.After(f.AsOf) {
				f.AsOf = *t
			}
		}
	}
	for _, p := range in.Oversight {
		if evaluated[p] {
			f.Evaluated = append(f.Evaluated, p)
		} else {
			f.NotEvaluated = append(f.NotEvaluated, p)
		}
	}
	for _, p := range in.Plans {
		if !evaluatedPlan[p.PlanID] {
			f.PlansNotEval = append(f.PlansNotEval, p)
		}
	}
	if f.AsOf.IsZero() {
		// Nothing evaluated: the end of the fiscal year.
		f.AsOf = YearEnd(in.FiscalYear)
	}
	f.AsOf = f.AsOf.UTC().Truncate(time.Second)
	return f
}

// YearEnd is the last day of fiscal year fy (31 March), at midnight JST:
// the day KPIs are judged on in the report.
func YearEnd(fy kijun.FiscalYear) time.Time {
	return time.Date(int(fy)+1, time.March, 31, 0, 0, 0, 0, kijun.JST)
}

// CheckOpinion returns the message id of what is wrong with an opinion's
// fields (field → id), empty if nothing.
func CheckOpinion(opinion, meeting string, on kijun.Date) map[string]string {
	ps := map[string]string{}
	if strings.TrimSpace(opinion) == "" {
		ps["opinion"] = "report.error.opinion_required"
	} else if id := kijun.CheckText(opinion, MaxOpinion, "report.error.too_long"); id != "" {
		ps["opinion"] = id
	}
	if strings.TrimSpace(meeting) == "" {
		ps["meeting"] = "report.error.meeting_required"
	} else if id := kijun.CheckText(meeting, 200, "report.error.too_long"); id != "" {
		ps["meeting"] = id
	}
	if on.Time().IsZero() {
		ps["meeting_on"] = "report.error.meeting_on"
	}
	return ps
}

// CanRecordOpinion: an opinion is recorded (or recorded again) until the
// report is final.
func CanRecordOpinion(s Status) bool { return s != StatusFinal }

// CanFinalize: only a report with the opinion recorded becomes final.
func CanFinalize(s Status) bool { return s == StatusOpinion }
