// Package orgflow renders the work inside an operator: an assessment's
// assignments and internal check, and the "assigned to me" list.
package orgflow

import (
	"context"
	"strconv"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/pages/assessments"
)

// Member is someone of the operator work can be given to.
type Member struct {
	ID   int64
	Name string
}

// Message is a translated message's id and its arguments.
type Message struct {
	MessageID string
	Args      map[string]any
}

// AssignForm is the assignment form as typed, with refusals by field
// (section, assignee, due_on).
type AssignForm struct {
	Section, Ref, Assignee, DueOn string
	Errors                        map[string]Message
}

// SignOffForm is the internal check's form as typed.
type SignOffForm struct {
	Comment string
	Error   *Message
}

// WorkView is an assessment's work inside the operator.
type WorkView struct {
	Assessment  assessment.Assessment
	Sections    map[string]kijun.Text
	Assignments []assessment.Assignment
	SignOffs    []assessment.SignOff // newest first
	Current     *assessment.SignOff
	Members     []Member
	Me          int64
	Assign      AssignForm
	SignOff     SignOffForm
	Refused     *Message // a refusal of the whole page's action
	Notice      string   // assigned, ready, not_ready, confirmed, sent_back, unassigned
	CanAssign   bool     // admins, while the operator edits
	CanSignOff  bool
	CanAnswer   bool
}

// AllReady reports whether every assignment is ready.
func (v WorkView) AllReady() bool {
	for _, a := range v.Assignments {
		if !a.Ready() {
			return false
		}
	}
	return true
}

// MineView is the "assigned to me" list.
type MineView struct {
	Assignments []assessment.Assignment
	Sections    map[string]kijun.Text
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func fy(ctx context.Context, y int) string { return kijun.FiscalYear(y).Label(i18n.From(ctx).Lang) }

func day(ctx context.Context, t time.Time) string { return i18n.From(ctx).Date(t) }

func status(ctx context.Context, s assessment.Status) string { return assessments.StatusLabel(ctx, s) }

func what(ctx context.Context, a assessment.Assignment, sections map[string]kijun.Text) string {
	name := i18n.From(ctx).Pick(sections[a.Section])
	if name == "" {
		name = a.Section
	}
	if a.Ref != "" {
		return name + " / " + a.Ref
	}
	return name
}

// SignOffLine says who confirmed, and when, or that nobody has.
func SignOffLine(ctx context.Context, s *assessment.SignOff) string {
	if s == nil {
		return i18n.T(ctx, "orgflow.signoff.none")
	}
	return i18n.T(ctx, "orgflow.signoff.confirmed_by", map[string]any{"Name": s.ByName, "Date": i18n.From(ctx).Date(s.At)})
}

func hasErr(errs map[string]Message, name string) bool { _, ok := errs[name]; return ok }
