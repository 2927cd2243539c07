// Package remind owns reminders (督促): the rules that say on which day
// in Japan an operator is reminded of its self-assessment's due date, the
// assessments they apply to, and what the escalation list of operators
// that have not submitted shows (docs/notifications.md, "Reminders").
package remind

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Kind is when a rule fires relative to the due date.
type Kind string

const (
	// Before fires once, Days days before the due date (0: on the day).
	Before Kind = "before"
	// Overdue fires every Days days after the due date while the
	// assessment stays unsubmitted.
	Overdue Kind = "overdue"
)

// Kinds lists the kinds in the order forms offer them.
var Kinds = []Kind{Before, Overdue}

// The bounds of Days per kind (the table's CHECK says the same).
const (
	MaxBefore  = 180
	MaxOverdue = 90
)

// Rule is one reminder rule of a cycle: the NCO's default for every
// sector (SectorCode empty) or a ministry's for one of its sectors.
type Rule struct {
	ID         int64
	CycleID    int64
	SectorCode string
	Kind       Kind
	Days       int
	CreatedAt  time.Time
}

// Default reports whether r is one of the NCO's defaults.
func (r Rule) Default() bool { return r.SectorCode == "" }

// FiresOn reports whether r reminds an assessment due on due on the day
// day (both days in Japan; only their dates count).
func (r Rule) FiresOn(due, day time.Time) bool {
	d := DaysLeft(due, day)
	switch r.Kind {
	case Before:
		return d == r.Days
	case Overdue:
		return d < 0 && r.Days > 0 && -d%r.Days == 0
	}
	return false
}

// DaysLeft is the number of days from day to due in Japan: negative once
// the due date has passed (−3: three days overdue).
func DaysLeft(due, day time.Time) int { return assessment.DaysBetween(day, due) }

// OpenStatuses lists the statuses in which an assessment is reminded and
// listed (assessment.Status.Owed), for queries.
func OpenStatuses() []string {
	var out []string
	for _, s := range assessment.Statuses {
		if s.Owed() {
			out = append(out, string(s))
		}
	}
	return out
}

// ParseRule reads a rule as typed in the form: its kind and its number of
// days. Problems come back per field as message ids.
func ParseRule(kind, days string) (Rule, map[string]string) {
	errs := map[string]string{}
	r := Rule{Kind: Kind(kind)}
	if !slices.Contains(Kinds, r.Kind) {
		errs["kind"] = "remind.error.kind"
	}
	n, err := strconv.Atoi(strings.TrimSpace(days))
	r.Days = n
	switch {
	case err != nil:
		errs["days"] = "remind.error.days_number"
	case r.Kind == Before && (n < 0 || n > MaxBefore):
		errs["days"] = "remind.error.days_before"
	case r.Kind == Overdue && (n < 1 || n > MaxOverdue):
		errs["days"] = "remind.error.days_overdue"
	}
	return r, errs
}

// Defaults are the rules the rules page proposes to the NCO for a new
// cycle: 30, 7 and 1 days before the due date, then every 7 days while
// overdue.
var Defaults = []Rule{{Kind: Before, Days: 30}, {Kind: Before, Days: 7}, {Kind: Before, Days: 1}, {Kind: Overdue, Days: 7}}

// Candidate is an open assessment as the escalation list shows it.
type Candidate struct {
	AssessmentID int64
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	Status       assessment.Status
	Due          time.Time // effective: the assessment's own, else its cycle's
	// LastActivity is the assessment's last change (an answer saved, a
	// status change).
	LastActivity time.Time
	// RemindedOn is the last day a reminder went out, if one did.
	RemindedOn *time.Time
	Contacts   []Contact
}

// Contact is a person to chase: one of the operator's users, or a
// contact of the register.
type Contact struct {
	Name, Email, Phone, Role string
	User                     bool // a portal user (else a register contact)
}

// DaysOverdue is how many days past its due date c is on day (0 when
// not yet due).
func (c Candidate) DaysOverdue(day time.Time) int { return max(0, -DaysLeft(c.Due, day)) }

// RemindedOnDay reports whether c was reminded on day already: a second
// reminder by hand the same day is refused.
func (c Candidate) RemindedOnDay(day time.Time) bool {
	return c.RemindedOn != nil && assessment.Day(*c.RemindedOn).Equal(assessment.Day(day))
}
