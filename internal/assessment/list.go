package assessment

import "github.com/kijun-portal/kijun/internal/kijun"

// AnswerRow is a control of an assessment with its answer (Version 0:
// none saved) and how much evidence and discussion it has.
type AnswerRow struct {
	Control  Control
	Answer   Answer
	Evidence int
	Comments int
	// What the section page shows beside the control (postgres.LoadSection
	// only): the catalog's guidance (解説) and the sector profile's target.
	Guidance kijun.Text
	Target   Target
}

// Target is what the sector profile in force expects of a control: the
// status (implemented or partial; "" when no profile sets one), the
// maturity (0: none) and the ministry's tailoring note.
type Target struct {
	Status   AnswerStatus
	Maturity int
	Note     string
}

// Filter narrows ListAssessments. Zero fields do not filter.
type Filter struct {
	CycleID int64
	// OpenCycles keeps the cycles still open (due or overdue), every one
	// of them: to-do lists must not lose an earlier year's work when a
	// new fiscal year opens.
	OpenCycles bool
	Sector     string
	// Status is an assessment status or StatusOverdue.
	Status string
	Limit  int // default 100, at most 1000
	Offset int
}

// StatusCounts counts the assessments of one sector by status. Overdue
// overlaps not started, in progress and returned.
type StatusCounts struct {
	NotStarted, InProgress, Submitted, Returned, Accepted, Overdue, Total int
}

// List is a page of ListAssessments with counts per sector and
// status over the cycle and sector filters (whatever the status filter).
type List struct {
	Assessments []Assessment
	Total       int // matching every filter, across pages
	Counts      map[string]StatusCounts
}
