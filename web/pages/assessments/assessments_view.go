// Package assessments renders the self-assessment cycle: cycles, the lists
// ministries review from, an assessment's overview and the section pages
// where operators answer.
package assessments

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// PageSize is how many assessments one page of the list shows.
const PageSize = 50

// CycleForm is the open-a-cycle form as typed.
type CycleForm struct {
	FiscalYear, Catalog, OpensOn, DueOn string
	Errors                              map[string]string
	// Warnings by field: the dates are allowed once confirmed.
	Warnings map[string]string
}

// CyclesView lists cycles and offers to open one.
type CyclesView struct {
	Cycles   []assessment.Cycle
	Catalogs []catalog.Summary
	Form     CycleForm
}

// IndexView lists the assessments of the reader's scope.
type IndexView struct {
	Cycles         []assessment.Cycle
	CycleID        int64
	OpenCycles     bool // CycleID 0: every cycle still open
	AnyOpen        bool // some cycle is open: the list offers them all
	Sector, Status string
	Opened         string // set after a cycle was opened: how many assessments
	Page           int
	List           assessment.List
	Sectors        map[string]kijun.Text
	Reviewer       bool // ministry or NCO: show the counts per sector
}

// ShowView is an assessment's overview.
type ShowView struct {
	Assessment assessment.Assessment
	History    []assessment.Event
	Comments   []assessment.ReviewComment
	Rollups    []assessment.Rollup
	Carried    int                        // answers carried forward, not yet confirmed
	Problems   []assessment.AnswerProblem // why a submission was refused
	Notice     string                     // what just happened: submitted, accept, return, carried
	Imported   string                     // answers applied from an Excel upload
	Sections   map[string]kijun.Text
	CanAnswer  bool
	CanReview  bool
	CanComment bool
}

// ControlNote is what the section page says about one control when the
// form comes back: a message, and the stored answer when someone else
// saved first.
type ControlNote struct {
	MessageID string
	Args      map[string]any // the message's arguments
	Stored    *assessment.Answer
}

// SectionView is one section's controls as one form.
type SectionView struct {
	Assessment   assessment.Assessment
	Section      string
	SectionNames map[string]kijun.Text
	Rows         []assessment.AnswerRow
	Evidence     []assessment.Evidence
	Comments     []assessment.ReviewComment
	Scale        []assessment.ScaleEntry
	Notes        map[string]ControlNote
	Saved        bool
	CanAnswer    bool
	CanComment   bool
}

func (v SectionView) evidenceOf(ref string) []assessment.Evidence {
	var out []assessment.Evidence
	for _, e := range v.Evidence {
		if e.Ref == ref {
			out = append(out, e)
		}
	}
	return out
}

func commentsOf(all []assessment.ReviewComment, ref string) []assessment.ReviewComment {
	var out []assessment.ReviewComment
	for _, c := range all {
		if c.Ref == ref {
			out = append(out, c)
		}
	}
	return out
}

func (v SectionView) progress() (answered, total int) {
	for _, s := range v.Assessment.Sections {
		if s.Section == v.Section {
			return s.Answered, s.Total
		}
	}
	return 0, 0
}

// StatusLabel names an assessment status.
func StatusLabel(ctx context.Context, s assessment.Status) string {
	return i18n.T(ctx, "asmui.status."+string(s))
}

func scaleLabel(ctx context.Context, scale []assessment.ScaleEntry, code assessment.AnswerStatus) string {
	for _, e := range scale {
		if e.Code == code {
			return i18n.From(ctx).Pick(e.Label)
		}
	}
	if code == "" {
		return i18n.T(ctx, "asmui.unanswered")
	}
	return string(code)
}

func fyLabel(ctx context.Context, fy kijun.FiscalYear) string { return fy.Label(i18n.From(ctx).Lang) }

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(kijun.JST).Format(time.DateOnly)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func percent(score *float64) string {
	if score == nil {
		return "—"
	}
	return strconv.FormatFloat(*score*100, 'f', 1, 64) + "%"
}

// nextSection is where to continue: the first section with an unanswered
// control, else the first.
func nextSection(a assessment.Assessment) string {
	for _, s := range a.Sections {
		if s.Answered < s.Total {
			return s.Section
		}
	}
	if len(a.Sections) > 0 {
		return a.Sections[0].Section
	}
	return ""
}

func listURL(v IndexView, page int, status string) string {
	q := url.Values{}
	if v.CycleID != 0 {
		q.Set("cycle", itoa(v.CycleID))
	}
	if v.Sector != "" {
		q.Set("sector", v.Sector)
	}
	if status != "" {
		q.Set("status", status)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/assessments?" + q.Encode()
}

// statusColumns are the statuses a list counts, in order.
var statusColumns = []string{"not_started", "in_progress", "submitted", "returned", "accepted", assessment.StatusOverdue}

// sectorCodes lists the sectors of the counts in code order, so that the
// page is the same on every request.
func sectorCodes(v IndexView) []string {
	codes := make([]string, 0, len(v.List.Counts))
	for c := range v.List.Counts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

func countsOf(c assessment.StatusCounts) []struct {
	Status string
	N      int
} {
	return []struct {
		Status string
		N      int
	}{
		{"not_started", c.NotStarted}, {"in_progress", c.InProgress}, {"submitted", c.Submitted},
		{"returned", c.Returned}, {"accepted", c.Accepted}, {assessment.StatusOverdue, c.Overdue},
	}
}

func problemField(ctx context.Context, f string) string { return i18n.T(ctx, "asmui.field."+f) }

func sideLabel(ctx context.Context, s assessment.CommentSide) string {
	return i18n.T(ctx, "asmui.side."+string(s))
}

// sectionScore is a section's score from the rollups, if written.
func sectionScore(rollups []assessment.Rollup, section string) string {
	for _, r := range rollups {
		if r.Kind == assessment.RollupSection && r.Key == section {
			return percent(r.Score)
		}
	}
	return "—"
}

// sectionOfRef finds the section a control ref belongs to (refs start
// with their section code, e.g. "GV-03").
func sectionOfRef(a assessment.Assessment, ref string) string {
	for _, s := range a.Sections {
		if len(ref) > len(s.Section) && ref[:len(s.Section)+1] == s.Section+"-" {
			return s.Section
		}
	}
	return ""
}
