// Package orgflow renders the work inside an operator: an assessment's
// assignments and internal check, and the "assigned to me" list.
package orgflow

import (
	"context"
	"slices"
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
	DeputyFor   string   // the absent user the reader checks for, as deputy (代理)
	ActFor      []int64  // absent users whose assignments the reader marks ready, as deputy
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

// MineView is the "assigned to me" list, and the reader's delegations
// while away (不在時の代理).
type MineView struct {
	Assignments []assessment.Assignment // with a deputy's, marked DeputyFor
	Sections    map[string]kijun.Text
	Delegations []assessment.Delegation // recorded by the reader or naming them deputy
	Operators   []Option                // where the reader may record an absence
	Deputies    []Option                // who may be named deputy, grouped by operator
	Delegation  DelegationForm
	Me          int64
	AdminOf     []int64 // operators the reader administers (cancels any delegation of)
	Notice      string  // delegated, delegation_cancelled
	Refused     *Message
}

// Option is a choice of a select; Group names its group (an operator).
type Option struct {
	Value string
	Label kijun.Text
	Group kijun.Text
}

// DelegationForm is the delegation form as typed, with refusals by field
// (operator, deputy, from, to).
type DelegationForm struct {
	Operator, Deputy, From, To string
	Errors                     map[string]Message
}

// CanCancel reports whether the reader may cancel d: their own, or any of
// an operator they administer.
func (v MineView) CanCancel(d assessment.Delegation) bool {
	return d.UserID == v.Me || slices.Contains(v.AdminOf, d.OperatorID)
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
	if s.ByDeputy() {
		return i18n.T(ctx, "orgdeleg.signoff.confirmed_by_deputy", map[string]any{"Name": s.ByName, "For": s.OnBehalfName,
			"Date": i18n.From(ctx).Date(s.At)})
	}
	return i18n.T(ctx, "orgflow.signoff.confirmed_by", map[string]any{"Name": s.ByName, "Date": i18n.From(ctx).Date(s.At)})
}

func hasErr(errs map[string]Message, name string) bool { _, ok := errs[name]; return ok }
