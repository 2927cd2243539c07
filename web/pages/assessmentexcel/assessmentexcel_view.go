// Package assessmentexcel renders the offline Excel round trip of a
// self-assessment: the upload form and the preview of what an uploaded
// workbook would change, with its bad cells and its conflicts.
package assessmentexcel

import (
	"strconv"
	"time"

	"github.com/kijun-portal/kijun/internal/exchange"
)

// ImportView is the upload page.
type ImportView struct {
	AssessmentID int64
	Title        string // operator and fiscal year
	// Locked: the assessment is submitted or accepted; no upload.
	Locked    bool
	Error     string
	ErrorArgs map[string]any
}

// Href is the assessment page.
func (v ImportView) Href() string { return "/assessments/" + strconv.FormatInt(v.AssessmentID, 10) }

// PreviewView lists what confirming the uploaded workbook would do.
// Nothing has been written yet.
type PreviewView struct {
	AssessmentID int64
	Title        string
	FileName     string
	Token        string
	// Moved: a confirmation found answers changed since the preview and
	// applied nothing; this is the preview again.
	Moved          bool
	HeaderProblems []exchange.Problem
	Problems       []ProblemRow
	Changes        []Change
	Conflicts      []Change
	Rows           int // data rows in the file
	Unchanged      int // rows that change nothing
	Skipped        int // rows with errors, not applied
}

// Href is the assessment page.
func (v PreviewView) Href() string { return "/assessments/" + strconv.FormatInt(v.AssessmentID, 10) }

// ImportHref is the upload page.
func (v PreviewView) ImportHref() string { return v.Href() + "/import" }

// ProblemRow is one bad cell (or row) of the file.
type ProblemRow struct {
	Line    int
	Ref     string
	Column  string // a column key; "" for the row as a whole
	Problem exchange.Problem
	Warning bool // saved anyway; reported again at submit
}

// Change is one control whose answer the file changes: Fields are the
// fields that differ, old (the portal's) → new (the file's). For a
// conflict, the portal's answer changed since the download.
type Change struct {
	Line     int
	Ref      string
	Title    string
	Fields   []FieldDiff
	By       string    // conflict: who changed it in the portal
	At       time.Time // … and when
	TakeFile bool      // conflict: the user's choice (default keep the portal's)
}

// FieldDiff is one field's value in the portal and in the file, as shown.
type FieldDiff struct {
	Field string // column key
	Old   string
	New   string
}

// ChoiceName is the form field of a conflict's choice.
func ChoiceName(ref string) string { return "choice-" + ref }
