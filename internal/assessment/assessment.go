package assessment

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// AnswerStatus is a code of the answer scale (table answer_scale).
type AnswerStatus string

const (
	AnswerImplemented    AnswerStatus = "implemented"     // 実施済 (1.0)
	AnswerPartial        AnswerStatus = "partial"         // 一部実施 (0.5)
	AnswerNotImplemented AnswerStatus = "not_implemented" // 未実施 (0)
	AnswerNotApplicable  AnswerStatus = "not_applicable"  // 該当なし (excluded; reason required)
)

// ScaleEntry is one step of the answer scale, as stored in answer_scale.
type ScaleEntry struct {
	Code  AnswerStatus
	Label kijun.Text
	// Weight is the step's score; nil excludes the answer from scores.
	Weight              *float64
	RequiresReason      bool // N/A: a reason is needed to submit
	RequiresRemediation bool // a gap: action, owner and target date are needed to submit
	SortOrder           int
}

// Maturity levels follow the NIST CSF 2.0 tiers: 1 Partial, 2 Risk
// Informed, 3 Repeatable, 4 Adaptive. 0 means not given.
const MaxMaturity = 4

// CycleStatus says whether a cycle takes answers.
type CycleStatus string

const (
	CycleOpen   CycleStatus = "open"
	CycleClosed CycleStatus = "closed"
)

// Cycle is one fiscal year's self-assessment round.
type Cycle struct {
	ID         int64
	FiscalYear kijun.FiscalYear
	CatalogID  int64
	OpensOn    time.Time
	DueOn      time.Time
	Status     CycleStatus
	CreatedAt  time.Time
}

// Day is the calendar day of t in Japan, as a midnight in JST: cycle dates
// are days in Asia/Tokyo.
func Day(t time.Time) time.Time {
	t = t.In(kijun.JST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kijun.JST)
}

// OpenBy reports whether the cycle takes answers at now: from its opening
// day on (in Japan). Before it, no assessment of the cycle starts, so no
// answer is saved and nothing is submitted.
func (c Cycle) OpenBy(now time.Time) bool { return !Day(now).Before(Day(c.OpensOn)) }

// NotOpenYet is the refusal of a change before the cycle opens.
func (c Cycle) NotOpenYet() error {
	return kijun.Errorf(kijun.EConflict, "assessment.cycle.not_open", map[string]any{
		"Date": Day(c.OpensOn).Format(time.DateOnly)})
}

// Cycle date problems, by form field (opens_on, due_on).
const (
	// Refused: the dates cannot make a cycle of the year.
	CycleDueBeforeOpen = "asmui.error.due_before_open"
	CycleDueAfterYear  = "asmui.error.due_after_year"
	CycleOpenAfterYear = "asmui.error.open_after_year"
	// Warned: allowed once the NCO confirms.
	CycleOpenBeforeYear = "asmui.warn.open_before_year"
	CycleDuePassed      = "asmui.warn.due_passed"
)

// CheckCycleDates returns what is wrong with a cycle's dates for fiscal
// year fy at now (days in Japan), by field: refusals (the due date is not
// after the opening day, or falls or opens after the fiscal year ends —
// the database's cycles_due_in_year refuses the latter too) and warnings
// (it opens before the fiscal year starts, or its due date has passed).
func CheckCycleDates(fy kijun.FiscalYear, opens, due, now time.Time) (refused, warned map[string]string) {
	refused, warned = map[string]string{}, map[string]string{}
	opens, due, today := Day(opens), Day(due), Day(now)
	end := Day((fy + 1).Start()).AddDate(0, 0, -1)
	switch {
	case !due.After(opens):
		refused["due_on"] = CycleDueBeforeOpen
	case due.After(end):
		refused["due_on"] = CycleDueAfterYear
	case due.Before(today):
		warned["due_on"] = CycleDuePassed
	}
	switch {
	case opens.After(end):
		refused["opens_on"] = CycleOpenAfterYear
	case opens.Before(fy.Start()):
		warned["opens_on"] = CycleOpenBeforeYear
	}
	return refused, warned
}

// Status is where an assessment is in its review.
type Status string

const (
	NotStarted Status = "not_started"
	InProgress Status = "in_progress"
	Submitted  Status = "submitted"
	Returned   Status = "returned"
	Accepted   Status = "accepted"
)

// Statuses lists the statuses in the order lists show them.
var Statuses = []Status{NotStarted, InProgress, Submitted,
	Returned, Accepted}

// StatusOverdue is the derived status a list filters by: due date passed
// and still owed (Overdue).
const StatusOverdue = "overdue"

// Editable reports whether answers may change in this status (the
// database's answers guard locks the others; a test derives it from here).
func (s Status) Editable() bool {
	return s == NotStarted || s == InProgress || s == Returned
}

// CanMoveTo reports whether from → to is a transition of the state machine.
// It is the definition; the database's transition trigger guards the same
// pairs, which a test derives from this function.
func (s Status) CanMoveTo(to Status) bool {
	switch s {
	case NotStarted:
		return to == InProgress || to == Submitted
	case InProgress, Returned:
		return to == Submitted
	case Submitted:
		return to == Returned || to == Accepted
	}
	return false
}

// Control is a control as an assessment asks it: a copy taken
// when the assessment was created, so later catalog or profile changes do
// not move an open assessment.
type Control struct {
	Ref string
	// CatalogID is the catalog the control was copied from; 0 for a
	// sector supplementary control.
	CatalogID int64
	Section   string
	Themes    []string
	CSF       []string
	Title     kijun.Text
	Statement kijun.Text
	// Guidance (解説) is shown beside the control while answering; the
	// control set keeps it, as operators cannot read a plan's
	// supplementary controls.
	Guidance         kijun.Text
	EvidenceExpected bool
	SortOrder        int
}

// SectionProgress counts the answers of one section.
type SectionProgress struct {
	Section  string
	Answered int
	Total    int
}

// Assessment is one operator's self-assessment in one cycle.
type Assessment struct {
	ID         int64
	CycleID    int64
	FiscalYear kijun.FiscalYear
	// DueOn is the effective due date (Due): the extension if any, else
	// CycleDueOn.
	DueOn        time.Time
	CycleDueOn   time.Time
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	MinistryCode string
	Status       Status
	// Overdue and DaysOverdue: the rule (Overdue, DaysOverdue) at the
	// database's today, as the lists' overdue filter reads it.
	Overdue     bool
	DaysOverdue int
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt *time.Time
	AcceptedAt  *time.Time
	ReturnedAt  *time.Time
	Answered    int
	Total       int
	// Sections is filled by GetAssessment, in section order.
	Sections []SectionProgress
}

// Remediation is the plan for a gap.
type Remediation struct {
	Action string
	Owner  string
	Due    *time.Time // target date
}

// Answer is the answer to one control.
type Answer struct {
	AssessmentID int64
	Ref          string
	// Status is "" for a draft whose status is not chosen yet: it counts
	// as unanswered.
	Status         AnswerStatus
	Maturity       int // 0: not given, else 1–4
	How            string
	NAReason       string
	Remediation    Remediation
	CarriedForward bool
	Version        int // 0: never saved
	UpdatedBy      int64
	UpdatedByName  string
	UpdatedAt      time.Time
}

// Limits of an answer's texts, defined here; the database's CHECKs bound
// the same columns, and a test holds them equal.
const (
	MaxHowLen          = 10000
	MaxReasonLen       = 2000
	MaxActionLen       = 2000
	MaxOwnerLen        = 200
	MaxCommentLen      = 5000
	MaxEvidenceName    = 255
	MaxEvidenceCeiling = 50 << 20 // the database's hard ceiling; the store's limit is a parameter
)

// msgTooLong is the message of a text longer than its field allows.
const msgTooLong = "assessment.answer.too_long"

// AnswerProblem is one thing wrong with an answer: a malformed field when
// saving, or a gap the completeness check found when submitting.
type AnswerProblem struct {
	Ref       string
	Section   string `json:",omitempty"`
	Field     string // status, maturity, how, na_reason, remediation_action, remediation_owner, remediation_due, carried_forward
	MessageID string
	Args      map[string]any `json:",omitempty"` // the message's arguments (Max for a text too long)
}

// SameContent reports whether two answers say the same thing: the fields
// a user edits, with the due date compared as a day in Japan.
func (a Answer) SameContent(b Answer) bool {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(kijun.JST).Format(time.DateOnly)
	}
	return a.Status == b.Status && a.Maturity == b.Maturity && a.How == b.How && a.NAReason == b.NAReason &&
		a.Remediation.Action == b.Remediation.Action && a.Remediation.Owner == b.Remediation.Owner &&
		day(a.Remediation.Due) == day(b.Remediation.Due)
}

// SaveVerdict is what saving a draft answer over the stored one does.
type SaveVerdict int

const (
	SaveWrite         SaveVerdict = iota // the draft replaces the stored answer
	SaveAlreadyStored                    // nothing to write: the stored answer already says it
	SaveConflict                         // refused: someone saved since the draft's version
)

// DecideSave is the optimistic version rule of saving draft, edited from
// version expected (0: none saved yet), over stored (Version 0: none
// stored). The draft is written when stored is still at expected. A
// stored answer that moved on is a conflict, unless it already says what
// the draft says and is no carried-forward answer awaiting confirmation:
// a stale save of what is stored (say, the page's own autosave racing its
// form post) is not a conflict.
func DecideSave(stored, draft Answer, expected int) SaveVerdict {
	switch {
	case stored.Version == expected:
		return SaveWrite
	case stored.SameContent(draft) && !stored.CarriedForward:
		return SaveAlreadyStored
	}
	return SaveConflict
}

// WellFormed returns the problems that stop a draft answer from being
// saved at all: lengths, characters and the maturity range. Missing reasons and plans
// are only checked at submit time (they are Gaps). Whether Status is on
// the scale is the database's foreign key.
func (a Answer) WellFormed() []AnswerProblem {
	var ps []AnswerProblem
	if a.Maturity < 0 || a.Maturity > MaxMaturity {
		ps = append(ps, AnswerProblem{Ref: a.Ref, Field: "maturity", MessageID: "assessment.answer.maturity_range"})
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{
		{"how", a.How, MaxHowLen},
		{"na_reason", a.NAReason, MaxReasonLen},
		{"remediation_action", a.Remediation.Action, MaxActionLen},
		{"remediation_owner", a.Remediation.Owner, MaxOwnerLen},
	} {
		if id := kijun.CheckText(f.value, f.max, msgTooLong); id == msgTooLong {
			ps = append(ps, AnswerProblem{Ref: a.Ref, Field: f.field, MessageID: msgTooLong, Args: map[string]any{"Max": f.max}})
		} else if id != "" {
			ps = append(ps, AnswerProblem{Ref: a.Ref, Field: f.field, MessageID: id})
		}
	}
	return ps
}

// Evidence is an uploaded file's record (its bytes travel apart).
type Evidence struct {
	ID             int64
	AssessmentID   int64
	Ref            string
	OperatorID     int64
	SectorCode     string
	FileName       string
	ContentType    string
	Size           int64
	SHA256         []byte
	UploadedBy     int64
	UploadedByName string
	UploadedAt     time.Time
}

// CommentSide says which side of the review wrote a comment.
type CommentSide string

const (
	SideOperator CommentSide = "operator"
	SideMinistry CommentSide = "ministry"
	SideNCO      CommentSide = "nco"
)

// ReviewComment is a comment in a thread on one answer ("" Ref: on the
// whole assessment).
type ReviewComment struct {
	ID           int64
	AssessmentID int64
	Ref          string
	ParentID     int64
	AuthorID     int64
	AuthorName   string
	Side         CommentSide
	Body         string
	CreatedAt    time.Time
}

// Event is a row of an assessment's status history.
type Event struct {
	ID     int64
	From   Status // "" for creation
	To     Status
	ByID   int64
	ByName string
	At     time.Time
	Note   string
}

// Rollup kinds.
const (
	RollupOverall     = "overall"
	RollupSection     = "section"
	RollupTheme       = "theme"
	RollupCSFFunction = "csf_function"
)

// Rollup is the score of one assessment in one dimension.
type Rollup struct {
	Kind           string
	Key            string
	Controls       int
	Answered       int
	Applicable     int // answered and not excluded
	Implemented    int
	Partial        int
	NotImplemented int
	NA             int
	Score          *float64 // nil when nothing is applicable
}

// Score is the scoring of an assessment (docs/assessment.md, "Scoring"):
// its rollups, one per dimension the controls count in — overall (key ""),
// each section, each theme of a control, each distinct CSF function of a
// control (GV, ID, PR, DE, RS, RC) — in the order the dimensions first
// appear. statuses[i] is the answer to controls[i] ("": unanswered).
//
// In each dimension: Controls counts the controls, Answered those with a
// status, Applicable those answered with a status whose scale weight is
// not nil (該当なし is excluded), and one count per status. Score is the
// mean weight of the applicable answers rounded half away from zero to
// four decimals, nil when nothing is applicable. Weights are the scale's
// (two decimals), summed exactly in hundredths.
func Score(controls []Control, statuses []AnswerStatus, scale []ScaleEntry) []Rollup {
	weight := make(map[AnswerStatus]*int64, len(scale))
	for _, s := range scale {
		if s.Weight != nil {
			w := int64(math.Round(*s.Weight * 100))
			weight[s.Code] = &w
		} else {
			weight[s.Code] = nil
		}
	}
	type dim struct {
		r   Rollup
		sum int64 // Σ weight of the applicable answers, in hundredths
	}
	var dims []*dim
	index := map[[2]string]*dim{}
	count := func(kind, key string, st AnswerStatus) {
		d := index[[2]string{kind, key}]
		if d == nil {
			d = &dim{r: Rollup{Kind: kind, Key: key}}
			index[[2]string{kind, key}] = d
			dims = append(dims, d)
		}
		d.r.Controls++
		if st == "" {
			return
		}
		d.r.Answered++
		switch st {
		case AnswerImplemented:
			d.r.Implemented++
		case AnswerPartial:
			d.r.Partial++
		case AnswerNotImplemented:
			d.r.NotImplemented++
		case AnswerNotApplicable:
			d.r.NA++
		}
		if w := weight[st]; w != nil {
			d.r.Applicable++
			d.sum += *w
		}
	}
	for i, c := range controls {
		st := statuses[i]
		count(RollupOverall, "", st)
		count(RollupSection, c.Section, st)
		for _, t := range c.Themes {
			count(RollupTheme, t, st)
		}
		var fns []string
		for _, csf := range c.CSF {
			fn, _, _ := strings.Cut(csf, ".")
			if !slices.Contains(fns, fn) {
				fns = append(fns, fn)
				count(RollupCSFFunction, fn, st)
			}
		}
	}
	out := make([]Rollup, len(dims))
	for i, d := range dims {
		if d.r.Applicable > 0 {
			s := float64(scoreE4(d.sum, d.r.Applicable)) / 1e4
			d.r.Score = &s
		}
		out[i] = d.r
	}
	return out
}

// ReturnReason is the rule for returning a submitted assessment: the
// reviewer says why, in an overall note or in comments on answers written
// since the submission (reviewComments counts them, those sent with the
// return included). It returns the message id of a refusal, or "".
func ReturnReason(note string, reviewComments int) string {
	if strings.TrimSpace(note) == "" && reviewComments == 0 {
		return "assessment.return.note_required"
	}
	return ""
}
