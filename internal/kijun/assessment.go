package kijun

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The self-assessment cycle (docs/assessment.md): each fiscal year the NCO
// opens a cycle against a published catalog; every active operator answers
// the controls of its sector, submits, and its ministry returns or accepts.

// FiscalYear is a Japanese fiscal year (年度), April to March, named by the
// calendar year it starts in: FY2027 is 令和9年度, 2027-04-01 – 2028-03-31.
type FiscalYear int

// FiscalYearOf returns the fiscal year t falls in, in Japan's time zone.
func FiscalYearOf(t time.Time) FiscalYear {
	t = t.In(JST)
	if t.Month() < time.April {
		return FiscalYear(t.Year() - 1)
	}
	return FiscalYear(t.Year())
}

// JST is Japan Standard Time (no daylight saving).
var JST = time.FixedZone("JST", 9*60*60)

// Reiwa returns the year of the Reiwa era (令和N年度 = FY(2018+N)).
func (fy FiscalYear) Reiwa() int { return int(fy) - 2018 }

// Start returns 1 April of the fiscal year.
func (fy FiscalYear) Start() time.Time { return time.Date(int(fy), time.April, 1, 0, 0, 0, 0, JST) }

// Label returns 「令和9年度 (FY2027)」 in Japanese, "FY2027 (Reiwa 9)" in English.
func (fy FiscalYear) Label(lang Lang) string {
	y, r := strconv.Itoa(int(fy)), strconv.Itoa(fy.Reiwa())
	if lang == En {
		return "FY" + y + " (Reiwa " + r + ")"
	}
	return "令和" + r + "年度 (FY" + y + ")"
}

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
	Label Text
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
	FiscalYear FiscalYear
	CatalogID  int64
	OpensOn    time.Time
	DueOn      time.Time
	Status     CycleStatus
	CreatedAt  time.Time
}

// AssessmentStatus is where an assessment is in its review.
type AssessmentStatus string

const (
	AssessmentNotStarted AssessmentStatus = "not_started"
	AssessmentInProgress AssessmentStatus = "in_progress"
	AssessmentSubmitted  AssessmentStatus = "submitted"
	AssessmentReturned   AssessmentStatus = "returned"
	AssessmentAccepted   AssessmentStatus = "accepted"
)

// AssessmentStatuses lists the statuses in the order lists show them.
var AssessmentStatuses = []AssessmentStatus{AssessmentNotStarted, AssessmentInProgress, AssessmentSubmitted,
	AssessmentReturned, AssessmentAccepted}

// StatusOverdue is the derived status a list filters by: due date passed
// and not submitted or accepted.
const StatusOverdue = "overdue"

// Editable reports whether answers may change in this status (the
// database's answers guard locks the others; a test derives it from here).
func (s AssessmentStatus) Editable() bool {
	return s == AssessmentNotStarted || s == AssessmentInProgress || s == AssessmentReturned
}

// CanMoveTo reports whether from → to is a transition of the state machine.
// It is the definition; the database's transition trigger guards the same
// pairs, which a test derives from this function.
func (s AssessmentStatus) CanMoveTo(to AssessmentStatus) bool {
	switch s {
	case AssessmentNotStarted:
		return to == AssessmentInProgress || to == AssessmentSubmitted
	case AssessmentInProgress, AssessmentReturned:
		return to == AssessmentSubmitted
	case AssessmentSubmitted:
		return to == AssessmentReturned || to == AssessmentAccepted
	}
	return false
}

// AssessmentControl is a control as an assessment asks it: a copy taken
// when the assessment was created, so later catalog or profile changes do
// not move an open assessment.
type AssessmentControl struct {
	Ref string
	// CatalogID is the catalog the control was copied from; 0 for a
	// sector supplementary control.
	CatalogID        int64
	Section          string
	Themes           []string
	CSF              []string
	Title            Text
	Statement        Text
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
	ID           int64
	CycleID      int64
	FiscalYear   FiscalYear
	DueOn        time.Time
	OperatorID   int64
	OperatorName Text
	SectorCode   string
	MinistryCode string
	Status       AssessmentStatus
	Overdue      bool
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SubmittedAt  *time.Time
	AcceptedAt   *time.Time
	ReturnedAt   *time.Time
	Answered     int
	Total        int
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

// AnswerProblem is one thing wrong with an answer: a malformed field when
// saving, or a gap the completeness check found when submitting.
type AnswerProblem struct {
	Ref       string
	Section   string `json:",omitempty"`
	Field     string // status, maturity, how, na_reason, remediation_action, remediation_owner, remediation_due, carried_forward
	MessageID string
}

// SameContent reports whether two answers say the same thing: the fields
// a user edits, with the due date compared as a day in Japan.
func (a Answer) SameContent(b Answer) bool {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(JST).Format(time.DateOnly)
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
// saved at all: lengths and the maturity range. Missing reasons and plans
// are only checked at submit time (they are Gaps). Whether Status is on
// the scale is the database's foreign key.
func (a Answer) WellFormed() []AnswerProblem {
	var ps []AnswerProblem
	add := func(field, id string) { ps = append(ps, AnswerProblem{Ref: a.Ref, Field: field, MessageID: id}) }
	if a.Maturity < 0 || a.Maturity > MaxMaturity {
		add("maturity", "assessment.answer.maturity_range")
	}
	if utf8.RuneCountInString(a.How) > MaxHowLen {
		add("how", "assessment.answer.too_long")
	}
	if utf8.RuneCountInString(a.NAReason) > MaxReasonLen {
		add("na_reason", "assessment.answer.too_long")
	}
	if utf8.RuneCountInString(a.Remediation.Action) > MaxActionLen {
		add("remediation_action", "assessment.answer.too_long")
	}
	if utf8.RuneCountInString(a.Remediation.Owner) > MaxOwnerLen {
		add("remediation_owner", "assessment.answer.too_long")
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

// AssessmentEvent is a row of an assessment's status history.
type AssessmentEvent struct {
	ID     int64
	From   AssessmentStatus // "" for creation
	To     AssessmentStatus
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
