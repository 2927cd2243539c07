package assessment

// AnswerRow is a control of an assessment with its answer (Version 0:
// none saved) and how much evidence and discussion it has.
type AnswerRow struct {
	Control  Control
	Answer   Answer
	Evidence int
	Comments int
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
