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

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/layout"
)

// PageSize is how many assessments one page of the list shows.
const PageSize = 50

// CycleForm is the open-a-cycle form as typed.
type CycleForm struct {
	FiscalYear, Catalog, OpensOn, DueOn string
	Errors                              map[string]string         // field → message id
	Args                                map[string]map[string]any // field → the message's arguments
	// Warnings by field: the dates are allowed once confirmed.
	Warnings map[string]string
}

// Attrs are the accessibility attributes of field name's control: invalid
// and described by its error, or described by its warning; then hints.
func (f CycleForm) Attrs(name string, hints ...string) templ.Attributes {
	if f.Errors[name] == "" && f.Warnings[name] != "" {
		return layout.Field(false, "", append([]string{"cycle-" + name + "-warning"}, hints...)...)
	}
	return layout.Field(f.Errors[name] != "", "cycle-"+name+"-error", hints...)
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
	Review     ReviewForm                 // the review form as typed, when it comes back
	Refused    *Message                   // why a carry-forward or a submission was refused
	Notice     string                     // what just happened: submitted, accept, return, carried
	Imported   string                     // answers applied from an Excel upload
	Sections   map[string]kijun.Text
	CanAnswer  bool
	CanReview  bool
	CanComment bool
	// Extensions of the due date, oldest first; CanExtend offers the
	// form (the overseeing ministry, while the operator owes it), Extend
	// is the form as typed when it comes back.
	Extensions []assessment.Extension
	CanExtend  bool
	Extend     ExtendForm
	// SignOff is the internal check (社内確認) that holds, nil when none
	// does; SignOffText says so (orgflow.SignOffLine).
	SignOff     *assessment.SignOff
	SignOffText string
	ShowWork    bool // the operator's users: a link to the work page
}

// ExtendForm is the extension form as the ministry typed it, with each
// refusal by field (due_on, reason).
type ExtendForm struct {
	DueOn, Reason string
	Errors        map[string]Message
}

// Refuse records why field was refused.
func (f *ExtendForm) Refuse(field, messageID string, args map[string]any) {
	if f.Errors == nil {
		f.Errors = map[string]Message{}
	}
	f.Errors[field] = Message{MessageID: messageID, Args: args}
}

// Message is a translated message's id and its arguments.
type Message struct {
	MessageID string
	Args      map[string]any
}

// ReviewForm is the accept-or-return form as the reviewer typed it, and
// why it was refused.
type ReviewForm struct {
	Note  string
	Error *Message
}

// ControlNote is what the section page says about one control when the
// form comes back: a message about the control, the stored answer when
// someone else saved first, and why a field (how, na_reason, …, evidence,
// comment) was refused, shown next to that field.
type ControlNote struct {
	MessageID string
	Args      map[string]any
	Stored    *assessment.Answer
	Fields    map[string]Message
}

// FieldError is the note's message for field, if any.
func (n ControlNote) FieldError(field string) (Message, bool) {
	m, ok := n.Fields[field]
	return m, ok
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
	Drafts       map[string]string // comments typed but not sent, by ref
	Problem      *Message          // a problem with the whole form (nothing of it could be read)
	Removal      map[int64]Message // why a file's removal was refused, by evidence id
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
	return kijun.ISODate(*t)
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

// removalRefused lists the files whose removal was refused, in the
// page's order, for the error summary.
func (v SectionView) removalRefused() []assessment.Evidence {
	var out []assessment.Evidence
	for _, e := range v.Evidence {
		if _, ok := v.Removal[e.ID]; ok {
			out = append(out, e)
		}
	}
	return out
}

// evidenceID is the id of a file's entry in the evidence list.
func evidenceID(id int64) string { return "evidence-file-" + itoa(id) }

// fieldError is the message for one field of control ref, if refused.
func (v SectionView) fieldError(ref, field string) (Message, bool) {
	return v.Notes[ref].FieldError(field)
}

// errorID is the id of the message next to a field of control ref.
func errorID(ref, field string) string { return "err-" + field + "-" + ref }

// describedBy lists the ids that describe a field: its hint, if any, and
// its error when it has one.
func (v SectionView) describedBy(ref, field, hint string) string {
	ids := hint
	if _, bad := v.fieldError(ref, field); bad {
		if ids != "" {
			ids += " "
		}
		ids += errorID(ref, field)
	}
	return ids
}

// fieldAttrs ties a field of control ref to its hint and, when it was
// refused, to its error (aria-invalid, aria-describedby).
func (v SectionView) fieldAttrs(ref, field, hint string) templ.Attributes {
	attrs := templ.Attributes{}
	if _, bad := v.fieldError(ref, field); bad {
		attrs["aria-invalid"] = "true"
	}
	if ids := v.describedBy(ref, field, hint); ids != "" {
		attrs["aria-describedby"] = ids
	}
	return attrs
}

// noteAttrs describe a control's fieldset by its note (the message beside
// it, "note-"+ref), when it has one that is not a save conflict.
func noteAttrs(note ControlNote, hasNote bool, ref string) templ.Attributes {
	if !hasNote || note.Stored != nil || note.MessageID == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-describedby": "note-" + ref}
}

// carried counts the section's carried-forward answers not yet confirmed.
func (v SectionView) carried() int {
	n := 0
	for _, row := range v.Rows {
		if row.Answer.CarriedForward {
			n++
		}
	}
	return n
}

// noteFields are the fields a note can name, in the order of the page.
var noteFields = []string{"status", "maturity", "na_reason", "how", "remediation_action", "remediation_owner", "remediation_due", "evidence", "comment"}

// fieldTarget is the id of the input of a field of control ref.
func fieldTarget(ref, field string) string {
	switch field {
	case "status":
		return "ctl-" + ref
	case "remediation_action":
		return "action-" + ref
	case "remediation_owner":
		return "owner-" + ref
	case "remediation_due":
		return "due-" + ref
	}
	return field + "-" + ref
}

// fieldLabel names a field of an answer on the section page.
func fieldLabel(ctx context.Context, field string) string {
	switch field {
	case "evidence":
		return i18n.T(ctx, "asmui.evidence.file")
	case "comment":
		return i18n.T(ctx, "asmui.thread.write")
	}
	return problemField(ctx, field)
}
