package plan

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// Status is where a plan version is in its review.
type Status string

const (
	Draft       Status = "draft"
	Submitted   Status = "submitted"
	UnderReview Status = "under_review"
	Returned    Status = "returned"
	Accepted    Status = "accepted"
	Superseded  Status = "superseded" // a newer version was accepted
)

// Statuses lists the statuses in lifecycle order.
var Statuses = []Status{Draft, Submitted, UnderReview, Returned, Accepted, Superseded}

// CanMoveTo reports whether s → to is a transition of the lifecycle. It is
// the definition; the database's kijun_plan_versions_guard guards the same
// pairs, which a test derives from this function.
func (s Status) CanMoveTo(to Status) bool {
	switch s {
	case Draft:
		return to == Submitted
	case Submitted:
		return to == UnderReview
	case UnderReview:
		return to == Returned || to == Accepted
	case Accepted:
		return to == Superseded
	}
	return false
}

// Revisable reports whether a new draft version may start from a version
// in this status: after a return, or from the accepted plan.
func (s Status) Revisable() bool { return s == Returned || s == Accepted }

// Plan sections, as review comments and the diff name them.
const (
	SectionGeneral       = "general"
	SectionScope         = "scope"
	SectionProfile       = "profile"
	SectionSupplementary = "supplementary"
	SectionGathering     = "gathering"
	SectionEvaluation    = "evaluation"
)

// Sections lists the sections in the order of 第2部.
var Sections = []string{SectionGeneral, SectionScope, SectionProfile, SectionSupplementary, SectionGathering, SectionEvaluation}

// ScopeMode says how a plan chooses its operators from the register.
type ScopeMode string

const (
	ScopeAll         ScopeMode = "all"         // every active operator of the plan's sectors
	ScopeDesignation ScopeMode = "designation" // by designation (重要インフラ / 基幹インフラ)
	ScopeScopes      ScopeMode = "scopes"      // by business scope (事業の範囲)
	ScopeNamed       ScopeMode = "named"       // operators chosen by name
)

// ScopeModes lists the modes for forms.
var ScopeModes = []ScopeMode{ScopeAll, ScopeDesignation, ScopeScopes, ScopeNamed}

// Scope is a plan's 対象. The operators it selects are worked out
// live from the register, so counts follow designations and withdrawals.
type Scope struct {
	Mode        ScopeMode `json:"mode"`
	Designation string    `json:"designation,omitempty"` // ci or core (operators designated both count for either)
	ScopeIDs    []int64   `json:"scope_ids,omitempty"`
	OperatorIDs []int64   `json:"operator_ids,omitempty"`
}

// Gathering is a plan's 把握・分析: how and when the ministry grasps its
// operators' state.
type Gathering struct {
	Method         string `json:"method"`          // how (self-assessment in the portal, hearings, on-site checks)
	Cycles         string `json:"cycles"`          // when: which cycles and dates
	CoverageTarget int    `json:"coverage_target"` // percent of in-scope operators expected to submit
	FollowUp       string `json:"follow_up"`       // follow-up of non-submitters
}

// KPIMetric is what a KPI measures, from the assessment rollups.
type KPIMetric string

const (
	// KPIImplemented: share of in-scope operators whose section (Key) —
	// or whole assessment when Key is "" — has every applicable control
	// at 実施済 (rollup implemented = applicable > 0).
	KPIImplemented KPIMetric = "implemented"
	// KPIScore: share of in-scope operators whose score in section Key
	// (overall when "") is at least Threshold percent.
	KPIScore KPIMetric = "score"
	// KPISubmitted: share of in-scope operators that submitted (a rollup
	// exists) in the latest cycle.
	KPISubmitted KPIMetric = "submitted"
)

// KPIMetrics lists the metrics for forms.
var KPIMetrics = []KPIMetric{KPIImplemented, KPIScore, KPISubmitted}

// KPI is a target of a plan's 評価・改善, e.g. "90% of designated
// operators at 実施済 for 対応及び復旧 (RR) by FY2028".
type KPI struct {
	Label     string     `json:"label"`
	Metric    KPIMetric  `json:"metric"`
	Key       string     `json:"key,omitempty"`       // a baseline section code; "" for overall
	Threshold int        `json:"threshold,omitempty"` // KPIScore: the score (percent) an operator must reach
	Target    int        `json:"target"`              // percent of in-scope operators
	Due       kijun.Date `json:"due"`
}

// Milestone is a dated step of a plan.
type Milestone struct {
	Label string     `json:"label"`
	Due   kijun.Date `json:"due"`
	Done  bool       `json:"done,omitempty"`
}

// Reflection says whether a control is reflected in the sector's
// 安全基準等 (safety standards and guidelines).
type Reflection string

const (
	ReflectionNone       Reflection = ""            // not stated yet
	ReflectionReflected  Reflection = "reflected"   // reflected on a date
	ReflectionPlanned    Reflection = "planned"     // planned by a date
	ReflectionNotPlanned Reflection = "not_planned" // not planned, with a reason
)

// Reflections lists the values for forms.
var Reflections = []Reflection{ReflectionNone, ReflectionReflected, ReflectionPlanned, ReflectionNotPlanned}

// ProfileTarget is what a profile expects of a control in the sector, and
// where the sector's 安全基準等 reflect it.
type ProfileTarget struct {
	TargetStatus     assessment.AnswerStatus // implemented or partial
	TargetMaturity   int                     // 0: none, else 1–4
	StandardDoc      string                  // the 安全基準等 document
	StandardClause   string                  // its clause
	Reflection       Reflection
	ReflectionOn     kijun.Date // reflected on / planned by
	ReflectionReason string
}

// ProfileControl is one baseline control in a sector profile.
type ProfileControl struct {
	Ref string
	// From the catalog, for display.
	Section string
	Title   kijun.Text
	ProfileTarget
	Applies       bool
	NAReason      string
	TailoringNote string
	// Sectors are the plan's sectors the row holds for (at least one; only
	// sectors the control applies to). In the plan's other sectors the
	// control applies as the catalog states it.
	Sectors []string
	// Eligible are the plan's sectors the catalog control applies to: the
	// choices for Sectors (for display; not part of the row).
	Eligible []string `json:"-"`
}

// Equal reports whether two profile rows say the same.
func (c ProfileControl) Equal(d ProfileControl) bool {
	return c.Ref == d.Ref && c.Section == d.Section && c.Title == d.Title && c.ProfileTarget == d.ProfileTarget &&
		c.Applies == d.Applies && c.NAReason == d.NAReason && c.TailoringNote == d.TailoringNote &&
		slices.Equal(c.Sectors, d.Sectors)
}

// SupplementaryControl is a sector supplementary control: a control of the
// ministry's own on top of the baseline.
type SupplementaryControl struct {
	catalog.Control // Ref like "ELECTRICITY-S01"
	ProfileTarget
	// Sectors are the plan's sectors whose operators answer the control:
	// at least one.
	Sectors []string
}

// CheckSectors returns the problem of a row's sectors: none chosen, or one
// that is not among allowed (the plan's sectors, or those the control
// applies to). The database's kijun_plan_rows_sectors refuses the same.
func CheckSectors(ref string, sectors, allowed []string) []FieldProblem {
	if len(sectors) == 0 {
		return []FieldProblem{{Ref: ref, Field: "sectors", MessageID: "plans.error.sectors_none"}}
	}
	for _, s := range sectors {
		if !slices.Contains(allowed, s) {
			return []FieldProblem{{Ref: ref, Field: "sectors", MessageID: "plans.error.sectors_other"}}
		}
	}
	return nil
}

// Limits of a plan's texts, defined here; the database's CHECKs bound the
// same columns, and a test holds them equal.
const (
	MaxTitle        = 200
	MaxNote         = 10000
	MaxProfileText  = 2000
	MaxTailoring    = 5000
	MaxStandardText = 300
	MaxComment      = 5000
	MaxEvalText     = 20000
)

var supplementaryRef = regexp.MustCompile(`^[A-Z][A-Z0-9]*-S[0-9]{2,3}$`)

// ValidSupplementaryRef reports whether ref names a supplementary control:
// a prefix in capitals, "-S" and two or three digits, e.g. "ELECTRICITY-S01".
func ValidSupplementaryRef(ref string) bool { return supplementaryRef.MatchString(ref) }

// FieldProblem is one bad field of a form or a cell of an upload.
type FieldProblem struct {
	Ref       string // the control, if any
	Field     string
	MessageID string
	Args      map[string]any
}

// Check returns the problems of a profile target: the reflection needs a
// date or a reason, the maturity is 1–4, texts fit.
func (t ProfileTarget) Check(ref string) []FieldProblem {
	var ps []FieldProblem
	add := func(field, id string) { ps = append(ps, FieldProblem{Ref: ref, Field: field, MessageID: id}) }
	if t.TargetStatus != assessment.AnswerImplemented && t.TargetStatus != assessment.AnswerPartial {
		add("target_status", "plans.error.target_status")
	}
	if t.TargetMaturity < 0 || t.TargetMaturity > assessment.MaxMaturity {
		add("target_maturity", "plans.error.maturity")
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{
		{"standard_doc", t.StandardDoc, MaxStandardText},
		{"standard_clause", t.StandardClause, MaxStandardText},
		{"reflection_reason", t.ReflectionReason, MaxProfileText},
	} {
		if id := kijun.CheckText(f.value, f.max, "plans.error.too_long"); id != "" {
			add(f.field, id)
		}
	}
	switch t.Reflection {
	case ReflectionNone:
	case ReflectionReflected, ReflectionPlanned:
		if t.ReflectionOn == "" {
			add("reflection_on", "plans.error.reflection_date")
		}
	case ReflectionNotPlanned:
		if strings.TrimSpace(t.ReflectionReason) == "" {
			add("reflection_reason", "plans.error.reflection_reason")
		}
	default:
		add("reflection", "plans.error.reflection")
	}
	return ps
}

// Check returns the problems of a profile row.
func (c ProfileControl) Check() []FieldProblem {
	ps := c.ProfileTarget.Check(c.Ref)
	if c.Eligible != nil {
		ps = append(ps, CheckSectors(c.Ref, c.Sectors, c.Eligible)...)
	}
	if !c.Applies && strings.TrimSpace(c.NAReason) == "" {
		ps = append(ps, FieldProblem{Ref: c.Ref, Field: "na_reason", MessageID: "plans.error.na_reason"})
	}
	if id := kijun.CheckText(c.NAReason, MaxProfileText, "plans.error.too_long"); id != "" {
		ps = append(ps, FieldProblem{Ref: c.Ref, Field: "na_reason", MessageID: id})
	}
	if id := kijun.CheckText(c.TailoringNote, MaxTailoring, "plans.error.too_long"); id != "" {
		ps = append(ps, FieldProblem{Ref: c.Ref, Field: "tailoring_note", MessageID: id})
	}
	return ps
}

// Version is one version of a plan with its content.
type Version struct {
	ID          int64
	PlanID      int64
	Version     int
	BasedOn     int64
	Status      Status
	CatalogID   int64
	CatalogName string // "code version", for display
	Title       kijun.Text
	Scope       Scope
	Gathering   Gathering
	KPIs        []KPI
	Milestones  []Milestone
	// InternalNote is the ministry's own: never shown to operators.
	InternalNote string
	Edits        int // optimistic locking of the draft
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SubmittedAt  *time.Time
	SubmittedBy  string
	DecidedAt    *time.Time
	DecidedBy    string
	// CheckedBy and CheckedAt: the ministry's internal check the
	// submission rests on (who confirmed, when), when it names one.
	CheckedBy     string
	CheckedAt     *time.Time
	Profile       []ProfileControl       // filled by GetPlanVersion
	Supplementary []SupplementaryControl // filled by GetPlanVersion
}

// Plan is a ministry's plan for some of its sectors over a period, with
// the summary of its versions.
type Plan struct {
	ID           int64
	MinistryCode string
	SectorCodes  []string
	PeriodStart  kijun.FiscalYear
	PeriodEnd    kijun.FiscalYear
	CreatedAt    time.Time
	// Latest is the newest version; Current the accepted one in force (0:
	// none yet).
	Latest        int
	LatestID      int64
	LatestStatus  Status
	LatestTitle   kijun.Text
	SubmittedAt   *time.Time
	Current       int
	Versions      []VersionSummary // filled by GetPlan, oldest first
	ScopeOperator int              // live count of operators in the latest version's scope
	// CheckStep is the latest draft's last step of the ministry's
	// internal check that still holds ("" if none).
	CheckStep SignOffStep
}

// VersionSummary is a row of a plan's version history.
type VersionSummary struct {
	ID          int64
	Version     int
	Status      Status
	SubmittedAt *time.Time
	DecidedAt   *time.Time
	DecidedBy   string
}

// Comment is a review comment on one section of a version.
type Comment struct {
	ID         int64
	VersionID  int64
	Version    int
	Section    string
	AuthorName string
	Side       string // ministry or nco
	Body       string
	CreatedAt  time.Time
}

// Event is a row of a plan's status history.
type Event struct {
	Version int
	From    Status
	To      Status
	ByName  string
	At      time.Time
}

// EvaluationRating is the NCO's rating of a ministry's sector in a year.
type EvaluationRating string

// Ratings: A 十分, B おおむね十分, C 一部に課題, D 大きな課題.
var EvaluationRatings = []EvaluationRating{"A", "B", "C", "D"}

// Evaluation is the NCO's evaluation (評価) of a ministry's sector for a
// fiscal year, and the ministry's answer.
type Evaluation struct {
	ID                  int64
	MinistryCode        string
	SectorCode          string
	FiscalYear          kijun.FiscalYear
	PlanID              int64
	Findings            string
	GoodPractices       string
	ImprovementRequests string
	Rating              EvaluationRating
	Published           bool
	PublishedAt         *time.Time
	// RespondBy is by when the ministry answers (set when published; nil:
	// no date). Overdue is ResponseOverdue at the database's today.
	RespondBy   *time.Time
	Overdue     bool
	Response    string
	RespondedAt *time.Time
	RespondedBy string
	Edits       int
	UpdatedAt   time.Time
}

// Change is one difference between two plan versions.
type Change struct {
	Section string // one of PlanSections
	Ref     string // the control, KPI ("KPI 2") or milestone, if any
	Field   string
	Old     string // "" when added
	New     string // "" when removed
}

// planField is a named value of a version, in a fixed order for the diff.
type planField struct{ name, value string }

func planItoa(n int) string { return strconv.Itoa(n) }

func planBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func planIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

func targetFields(t ProfileTarget) []planField {
	m := ""
	if t.TargetMaturity > 0 {
		m = planItoa(t.TargetMaturity)
	}
	return []planField{{"target_status", string(t.TargetStatus)}, {"target_maturity", m},
		{"standard_doc", t.StandardDoc}, {"standard_clause", t.StandardClause}, {"reflection", string(t.Reflection)},
		{"reflection_on", string(t.ReflectionOn)}, {"reflection_reason", t.ReflectionReason}}
}

func profileFields(c ProfileControl) []planField {
	return append([]planField{{"sectors", strings.Join(c.Sectors, ",")}, {"applies", planBool(c.Applies)},
		{"na_reason", c.NAReason}, {"tailoring_note", c.TailoringNote}},
		targetFields(c.ProfileTarget)...)
}

func supplementaryFields(s SupplementaryControl) []planField {
	return append([]planField{{"sectors", strings.Join(s.Sectors, ",")}, {"section", s.Section}, {"title_ja", s.Title.Ja}, {"title_en", s.Title.En},
		{"statement_ja", s.Statement.Ja}, {"statement_en", s.Statement.En}, {"guidance_ja", s.Guidance.Ja},
		{"guidance_en", s.Guidance.En}, {"themes", strings.Join(s.Themes, ",")}, {"csf", strings.Join(s.CSF, ",")},
		{"evidence_expected", planBool(s.EvidenceExpected)}}, targetFields(s.ProfileTarget)...)
}

func kpiFields(k KPI) []planField {
	return []planField{{"label", k.Label}, {"metric", string(k.Metric)}, {"key", k.Key}, {"threshold", planItoa(k.Threshold)},
		{"target", planItoa(k.Target)}, {"due", string(k.Due)}}
}

func milestoneFields(m Milestone) []planField {
	return []planField{{"label", m.Label}, {"due", string(m.Due)}, {"done", planBool(m.Done)}}
}

// diffFields appends a change for every planField whose value differs; a
// missing side (nil) counts as empty values.
func diffFields(out []Change, section, ref string, a, b []planField) []Change {
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		var name, av, bv string
		if i < len(a) {
			name, av = a[i].name, a[i].value
		}
		if i < len(b) {
			name, bv = b[i].name, b[i].value
		}
		if av != bv {
			out = append(out, Change{Section: section, Ref: ref, Field: name, Old: av, New: bv})
		}
	}
	return out
}

// DiffVersions lists every difference from version a to version b,
// section by section in the order of 第2部, controls in profile order.
func DiffVersions(a, b *Version) []Change {
	var out []Change
	out = diffFields(out, SectionGeneral, "", []planField{{"title_ja", a.Title.Ja}, {"title_en", a.Title.En},
		{"catalog", a.CatalogName}, {"internal_note", a.InternalNote}},
		[]planField{{"title_ja", b.Title.Ja}, {"title_en", b.Title.En}, {"catalog", b.CatalogName}, {"internal_note", b.InternalNote}})
	scope := func(s Scope) []planField {
		return []planField{{"mode", string(s.Mode)}, {"designation", s.Designation}, {"scope_ids", planIDs(s.ScopeIDs)},
			{"operator_ids", planIDs(s.OperatorIDs)}}
	}
	out = diffFields(out, SectionScope, "", scope(a.Scope), scope(b.Scope))

	bProfile := map[string]ProfileControl{}
	for _, c := range b.Profile {
		bProfile[c.Ref] = c
	}
	seen := map[string]bool{}
	for _, c := range a.Profile {
		seen[c.Ref] = true
		var bf []planField
		if d, ok := bProfile[c.Ref]; ok {
			bf = profileFields(d)
		}
		out = diffFields(out, SectionProfile, c.Ref, profileFields(c), bf)
	}
	for _, c := range b.Profile {
		if !seen[c.Ref] {
			out = diffFields(out, SectionProfile, c.Ref, nil, profileFields(c))
		}
	}

	bSupp := map[string]SupplementaryControl{}
	for _, s := range b.Supplementary {
		bSupp[s.Ref] = s
	}
	seen = map[string]bool{}
	for _, s := range a.Supplementary {
		seen[s.Ref] = true
		var bf []planField
		if d, ok := bSupp[s.Ref]; ok {
			bf = supplementaryFields(d)
		}
		out = diffFields(out, SectionSupplementary, s.Ref, supplementaryFields(s), bf)
	}
	for _, s := range b.Supplementary {
		if !seen[s.Ref] {
			out = diffFields(out, SectionSupplementary, s.Ref, nil, supplementaryFields(s))
		}
	}

	gathering := func(g Gathering) []planField {
		return []planField{{"method", g.Method}, {"cycles", g.Cycles}, {"coverage_target", planItoa(g.CoverageTarget)}, {"follow_up", g.FollowUp}}
	}
	out = diffFields(out, SectionGathering, "", gathering(a.Gathering), gathering(b.Gathering))

	for i := 0; i < max(len(a.KPIs), len(b.KPIs)); i++ {
		var af, bf []planField
		if i < len(a.KPIs) {
			af = kpiFields(a.KPIs[i])
		}
		if i < len(b.KPIs) {
			bf = kpiFields(b.KPIs[i])
		}
		out = diffFields(out, SectionEvaluation, "KPI "+planItoa(i+1), af, bf)
	}
	for i := 0; i < max(len(a.Milestones), len(b.Milestones)); i++ {
		var af, bf []planField
		if i < len(a.Milestones) {
			af = milestoneFields(a.Milestones[i])
		}
		if i < len(b.Milestones) {
			bf = milestoneFields(b.Milestones[i])
		}
		out = diffFields(out, SectionEvaluation, "M"+planItoa(i+1), af, bf)
	}
	return out
}

// KPI states.
const (
	KPIAchieved   = "achieved"    // the share reaches the target
	KPIInProgress = "in_progress" // not yet, the due date is ahead
	KPIMissed     = "missed"      // not reached and the due date has passed
	KPINoData     = "no_data"     // no cycle, or no operator in scope
)

// KPIProgress is a KPI with its current figure.
type KPIProgress struct {
	KPI
	Operators int      // in scope now (the denominator)
	Meeting   int      // of those, meeting the KPI's criterion in the cycle
	Percent   *float64 // Meeting / Operators × 100; nil without operators or cycle
	State     string
}

// SectionFigure is the profile's live figure for one baseline section.
type SectionFigure struct {
	Section     string
	Submitted   int      // in-scope operators with a rollup for the section
	Implemented int      // … whose applicable controls there are all 実施済
	AvgScore    *float64 // mean score (0–1) of those with a score
}

// Progress is what a plan page shows of "are we on track?".
type Progress struct {
	CycleID    int64
	FiscalYear kijun.FiscalYear // 0: no cycle yet
	Operators  int
	KPIs       []KPIProgress
	Sections   []SectionFigure
}

// SectorProfile is the profile in force for a sector as its operators
// read it: no scope, KPIs, internal notes or review.
type SectorProfile struct {
	VersionID    int64
	PlanID       int64
	MinistryCode string
	Version      int
	AcceptedAt   *time.Time
	Title        kijun.Text
	CatalogID    int64
	Controls     []SectorProfileControl
}

// SectorProfileControl is one row of a SectorProfile.
type SectorProfileControl struct {
	ProfileControl
	Supplementary bool
	Statement     kijun.Text
}

// ScopeOperator is an operator a plan's scope selects.
type ScopeOperator struct {
	ID          int64
	Name        kijun.Text
	SectorCode  string
	Designation register.Designation
}

// ScopeChoices are the register's entries a scope form offers.
type ScopeChoices struct {
	Scopes    []ScopeChoice // business scopes of the plan's sectors
	Operators []ScopeChoice // active operators of the plan's sectors
}

// ScopeChoice is one option of a scope form.
type ScopeChoice struct {
	ID     int64
	Sector string
	Name   kijun.Text
}
