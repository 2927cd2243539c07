package plan

import (
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Deadlines of plans and evaluations (docs/deadlines.md): the NCO sets by
// when the ministries submit their implementation plans covering a fiscal
// year, and by when a ministry answers an evaluation it publishes. Days
// are days in Japan; something due on D is overdue from D+1 00:00 JST.

// PlanDeadline is by when every ministry submits a plan covering a
// fiscal year.
type PlanDeadline struct {
	FiscalYear kijun.FiscalYear
	DueOn      time.Time
}

// PlanOverdue is a ministry that has not submitted a plan covering a
// fiscal year past its deadline.
type PlanOverdue struct {
	MinistryCode string
	FiscalYear   kijun.FiscalYear
	DueOn        time.Time
	DaysOverdue  int
}

// Deadline refusals, by form field.
const (
	DeadlinePast      = "plans.deadline.error.past"       // before today
	DeadlineAfterYear = "plans.deadline.error.after_year" // after the fiscal year ends (Date)
	DeadlineYear      = "plans.deadline.error.year"       // not a fiscal year the portal knows
)

// CheckPlanDeadline returns what is wrong with plans of fiscal year fy
// falling due on due at now: the date may not be before today, nor after
// the fiscal year ends (the table's CHECK says the latter too).
func CheckPlanDeadline(fy kijun.FiscalYear, due, now time.Time) []FieldProblem {
	if fy < 2019 || fy > 2200 {
		return []FieldProblem{{Field: "fiscal_year", MessageID: DeadlineYear}}
	}
	end := assessment.Day((fy + 1).Start()).AddDate(0, 0, -1)
	switch due = assessment.Day(due); {
	case due.Before(assessment.Day(now)):
		return []FieldProblem{{Field: "due_on", MessageID: DeadlinePast}}
	case due.After(end):
		return []FieldProblem{{Field: "due_on", MessageID: DeadlineAfterYear, Args: map[string]any{"Date": kijun.ISODate(end)}}}
	}
	return nil
}

// CheckRespondBy returns what is wrong with answering an evaluation of
// fiscal year fy by due, set at now: not before today, and no later than
// the end of the fiscal year after fy (a year is evaluated, and the
// evaluation answered, in the next).
func CheckRespondBy(fy kijun.FiscalYear, due, now time.Time) []FieldProblem {
	end := assessment.Day((fy + 2).Start()).AddDate(0, 0, -1)
	switch due = assessment.Day(due); {
	case due.Before(assessment.Day(now)):
		return []FieldProblem{{Field: "respond_by", MessageID: DeadlinePast}}
	case due.After(end):
		return []FieldProblem{{Field: "respond_by", MessageID: DeadlineAfterYear, Args: map[string]any{"Date": kijun.ISODate(end)}}}
	}
	return nil
}

// ResponseOverdue reports whether the ministry's answer to e is overdue
// at now: published with a date to answer by that has passed, and not
// answered.
func (e Evaluation) ResponseOverdue(now time.Time) bool {
	return e.Published && e.RespondBy != nil && e.Response == "" && assessment.Day(now).After(assessment.Day(*e.RespondBy))
}
