// Package reminders renders a cycle's reminder rules (督促) and the
// escalation list of operators that have not submitted.
package reminders

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/remind"
)

// RuleRow is one rule as the page lists it.
type RuleRow struct {
	Rule       remind.Rule
	SectorName kijun.Text // empty for a default
	CanDelete  bool
}

// RuleForm is the add-a-rule form as typed.
type RuleForm struct {
	Sector, Kind, Days string
	Errors             map[string]string // field → message id
}

// RulesView is a cycle's rules and the form to add one.
type RulesView struct {
	Cycles  []assessment.Cycle
	Cycle   assessment.Cycle // the chosen one; ID 0 when there is none
	Rules   []RuleRow
	Sectors []kijun.Named // the sectors the reader may add rules for
	// Defaults: the reader may add and remove the cycle's defaults.
	Defaults bool
	CanAdd   bool
	Form     RuleForm
	Notice   string // message id of what was just done
}

// Row is one operator of the escalation list.
type Row struct {
	C             remind.Candidate
	SectorName    kijun.Text
	DaysOverdue   int
	RemindedToday bool
}

// EscalationView lists the operators of a cycle that have not submitted.
type EscalationView struct {
	Cycles  []assessment.Cycle
	Cycle   assessment.Cycle
	Sector  string
	Sectors []kijun.Named
	Rows    []Row
	Today   time.Time
	CanSend bool
	// Sent is how many were just reminded (-1: nothing was sent now).
	Sent int
	// Page is the page of Rows shown (from 1; PageSize rows a page). The
	// export and reminding everyone listed cover every row.
	Page int
}

// PageSize is how many operators a page of the escalation list shows.
const PageSize = 100

// PageRows are the rows of the page shown.
func (v EscalationView) PageRows() []Row {
	from := (max(v.Page, 1) - 1) * PageSize
	if from >= len(v.Rows) {
		return nil
	}
	return v.Rows[from:min(from+PageSize, len(v.Rows))]
}

// HasNext reports whether a page follows the one shown.
func (v EscalationView) HasNext() bool { return max(v.Page, 1)*PageSize < len(v.Rows) }

// Range is the message of which rows the page shows, of how many.
func (v EscalationView) Range() map[string]any {
	from := (max(v.Page, 1)-1)*PageSize + 1
	return map[string]any{"From": from, "To": from + len(v.PageRows()) - 1, "Total": len(v.Rows)}
}

// Query is the list's query string (cycle and sector), for its links.
func (v EscalationView) Query() string {
	q := "cycle=" + strconv.FormatInt(v.Cycle.ID, 10)
	if v.Sector != "" {
		q += "&sector=" + v.Sector
	}
	return q
}

// PageURL is the list's address at page n.
func (v EscalationView) PageURL(n int) string {
	return "/reminders/escalation?" + v.Query() + "&page=" + strconv.Itoa(n)
}

// RuleText describes a rule: 「提出期限の7日前」, "every 7 days after the due date".
func RuleText(ctx context.Context, r remind.Rule) string {
	return i18n.T(ctx, "remind.rule."+string(r.Kind), map[string]any{"Days": r.Days})
}

// Status names an assessment's status.
func Status(ctx context.Context, s assessment.Status) string {
	return i18n.T(ctx, "asmui.status."+string(s))
}

// Header is the exported list's header in the reader's language.
func Header(l *i18n.Localizer) []string {
	var h []string
	for _, k := range []string{"sector", "operator", "status", "due", "overdue", "activity", "reminded", "contacts"} {
		h = append(h, l.T("remind.esc.col."+k))
	}
	return h
}

// Record is one row of the exported list, as the page shows it.
func Record(l *i18n.Localizer, r Row) []string {
	reminded := ""
	if r.C.RemindedOn != nil {
		reminded = kijun.ISODate(*r.C.RemindedOn)
	}
	return []string{l.Pick(r.SectorName), l.Pick(r.C.OperatorName), l.T("asmui.status." + string(r.C.Status)),
		kijun.ISODate(r.C.Due), strconv.Itoa(r.DaysOverdue), kijun.ISODateTime(r.C.LastActivity), reminded,
		ContactsText(r.C.Contacts)}
}

// ContactsText writes contacts on one line: 「名前 <mail> 電話」; …
func ContactsText(cs []remind.Contact) string {
	var out []string
	for _, c := range cs {
		var parts []string
		for _, s := range []string{c.Name, angle(c.Email), c.Phone} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	return strings.Join(out, "; ")
}

func angle(s string) string {
	if s == "" {
		return ""
	}
	return "<" + s + ">"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func fyLabel(ctx context.Context, fy kijun.FiscalYear) string { return fy.Label(i18n.From(ctx).Lang) }
