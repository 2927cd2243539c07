package assessment

import (
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Deadlines (docs/deadlines.md). An assessment falls due on its cycle's
// due date unless its ministry extended it for that operator; it is
// overdue from the day after its due date (00:00 in Japan) while the
// operator still owes it: not started, in progress or returned. A
// submitted or accepted assessment is never overdue, however late it was.

// Due is an assessment's effective due date: its own (an extension) if
// set, else its cycle's. The database's form of the same rule is
// coalesce(a.due_on, c.due_on).
func Due(own *time.Time, cycle time.Time) time.Time {
	if own != nil {
		return Day(*own)
	}
	return Day(cycle)
}

// Owed reports whether the operator still owes the assessment: the
// statuses in which it can be overdue (the database's overdue filter
// lists the same, a test derives it from here).
func (s Status) Owed() bool { return s == NotStarted || s == InProgress || s == Returned }

// Overdue reports whether an assessment in status s due on due is overdue
// at now: its due date (a day in Japan) has passed and it is still owed.
func Overdue(s Status, due, now time.Time) bool {
	return s.Owed() && Day(now).After(Day(due))
}

// DaysOverdue is how many days an assessment in status s due on due is
// overdue at now: 1 on the day after its due date; 0 when not overdue.
func DaysOverdue(s Status, due, now time.Time) int {
	if !Overdue(s, due, now) {
		return 0
	}
	return DaysBetween(due, now)
}

// DaysBetween counts the calendar days in Japan from from to to (negative
// when to is earlier).
func DaysBetween(from, to time.Time) int {
	a, b := Day(from), Day(to)
	// Days in JST have no daylight saving: 24 hours each.
	return int(b.Sub(a).Hours() / 24)
}

// Extension is a ministry's extension of one operator's due date, kept
// with its reason.
type Extension struct {
	ID            int64
	AssessmentID  int64
	PreviousDue   time.Time
	DueOn         time.Time
	Reason        string
	GrantedBy     int64
	GrantedByName string
	GrantedAt     time.Time
}

// MaxExtensionReasonLen bounds an extension's reason (the table's CHECK
// says the same; a test holds them equal).
const MaxExtensionReasonLen = 2000

// Extension refusals, by form field (due_on, reason).
const (
	ExtendNotOwed    = "asmui.extend.error.not_owed"    // submitted or accepted: nothing to extend
	ExtendNotLater   = "asmui.extend.error.not_later"   // not after the current due date
	ExtendPast       = "asmui.extend.error.past"        // before today: it would be overdue at once
	ExtendAfterYear  = "asmui.extend.error.after_year"  // after the fiscal year ends
	ExtendNoReason   = "asmui.extend.error.no_reason"   // the reason is required
	ExtendReasonLong = "asmui.extend.error.reason_long" // longer than MaxExtensionReasonLen (Max)
	ExtendBadDate    = "form.bad_date"                  // not a date (the form's own check)
)

// Problem is one thing wrong with a form's field: the field, the message
// id and its arguments.
type Problem struct {
	Field     string
	MessageID string
	Args      map[string]any
}

// CheckExtension returns what is wrong with extending an assessment of
// fiscal year fy in status s, due on current, to proposed with reason, at
// now (days in Japan): the new date must be after the current one, not
// before today and within the fiscal year (like CheckCycleDates); the
// reason is required, at most MaxExtensionReasonLen characters, and of
// characters that may be stored (kijun.TextProblem). A submitted or
// accepted assessment is not extended (field "").
func CheckExtension(fy kijun.FiscalYear, s Status, current, proposed time.Time, reason string, now time.Time) []Problem {
	var ps []Problem
	if !s.Owed() {
		ps = append(ps, Problem{MessageID: ExtendNotOwed, Args: map[string]any{"Status": string(s)}})
	}
	end := Day((fy + 1).Start()).AddDate(0, 0, -1)
	switch proposed, current := Day(proposed), Day(current); {
	case !proposed.After(current):
		ps = append(ps, Problem{Field: "due_on", MessageID: ExtendNotLater, Args: map[string]any{"Date": kijun.ISODate(current)}})
	case proposed.Before(Day(now)):
		ps = append(ps, Problem{Field: "due_on", MessageID: ExtendPast})
	case proposed.After(end):
		ps = append(ps, Problem{Field: "due_on", MessageID: ExtendAfterYear, Args: map[string]any{"Date": kijun.ISODate(end)}})
	}
	return append(ps, CheckExtensionReason(reason)...)
}

// CheckExtensionReason returns what is wrong with an extension's reason
// (CheckExtension's check of it, for a form whose date is not even a
// date).
func CheckExtensionReason(reason string) []Problem {
	switch id := kijun.CheckText(reason, MaxExtensionReasonLen, ExtendReasonLong); {
	case id == ExtendReasonLong:
		return []Problem{{Field: "reason", MessageID: id, Args: map[string]any{"Max": MaxExtensionReasonLen}}}
	case id != "":
		return []Problem{{Field: "reason", MessageID: id}}
	case strings.TrimSpace(reason) == "":
		return []Problem{{Field: "reason", MessageID: ExtendNoReason}}
	}
	return nil
}
