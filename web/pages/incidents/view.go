// Package incidents renders incident reports: the list (the operator's own
// reports, the ministry's and the NCO's inbox), the filing form, a report
// with its stages and thread, and the sanitised summaries.
package incidents

import (
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Row is a report in the list.
type Row struct {
	Report      incident.Report
	SectorName  kijun.Text
	KindLabel   kijun.Text
	DueOn       *time.Time // the next stage due: the update's or the final report's, whichever is first
	DaysOverdue int
}

// IndexView is the list of reports.
type IndexView struct {
	Rows      []Row
	CanFile   bool
	ShowOwner bool // the recipients' inbox names the operator
	CanExport bool
	Summaries bool // link to the summaries
	Templates bool // link to the report template (NCO admins)
}

// Form is the stage form: the template's fields with what was typed and
// the problems by field.
type Form struct {
	Template incident.Template
	Stage    incident.Stage
	Values   incident.Values
	TLP      incident.TLP
	Errors   map[string]string
	Systems  []string // the operator's registered systems
	Operator int64    // filing: the operator (a user of several chooses)
	Choices  []OperatorChoice
}

// OperatorChoice is an operator a user may file for.
type OperatorChoice struct {
	ID   int64
	Name kijun.Text
}

// NewView is the filing page.
type NewView struct {
	Form Form
}

// StageView is a sent stage with the template it was sent with.
type StageView struct {
	Stage    incident.StageRecord
	Template incident.Template
}

// ThreadItem is a question with its answers.
type ThreadItem struct {
	Question incident.Message
	Answers  []incident.Message
}

// ShowView is one report.
type ShowView struct {
	Report       incident.Report
	SectorName   kijun.Text
	KindLabel    kijun.Text
	Stages       []StageView
	Thread       []ThreadItem
	Summaries    []incident.Summary
	Now          time.Time
	CanFile      bool // the operator: updates, final report, answers, any label
	CanReceive   bool // the ministry, the NCO: questions, narrower labels, summaries
	CanSummarize bool // and the label lets a summary be published
	Form         Form // the next stage (operator)
	AskErrors    map[string]string
	AskBody      string
	AnswerTo     int64
	TLPError     string
	Summary      SummaryForm
	Sectors      []SectorChoice
	Notice       string
}

// SummaryForm is the summary being written.
type SummaryForm struct {
	Sector string
	Title  string
	Body   string
	Errors map[string]string
}

// SectorChoice is a sector a summary may go to.
type SectorChoice struct {
	Code string
	Name kijun.Text
}

// SummariesView lists the sanitised summaries of the user's audience.
type SummariesView struct {
	Summaries []SummaryRow
}

// SummaryRow is a summary with its audience's name.
type SummaryRow struct {
	Summary    incident.Summary
	SectorName kijun.Text // empty: every operator
	KindLabel  kijun.Text
}

// NextStages are the stages the operator may send now.
func (v ShowView) NextStages() []incident.Stage {
	var out []incident.Stage
	for _, s := range []incident.Stage{incident.Update, incident.Final} {
		if incident.CanAdd(v.Report.Status, v.Report.Stages, s) {
			out = append(out, s)
		}
	}
	return out
}

// Labels the recipients may choose: the operator any, the recipients only
// narrower ones.
func (v ShowView) Labels() []incident.TLP {
	var out []incident.TLP
	for _, t := range incident.TLPs {
		if incident.CanRelabel(v.CanFile, v.Report.TLP, t) {
			out = append(out, t)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// tlpClass is the CSS modifier of a label's badge.
func tlpClass(t incident.TLP) string {
	switch t {
	case incident.Red:
		return "tlp tlp--red"
	case incident.AmberStrict, incident.Amber:
		return "tlp tlp--amber"
	case incident.Green:
		return "tlp tlp--green"
	}
	return "tlp tlp--clear"
}

// fieldID is the id of a field's control.
func fieldID(key string) string { return "f-" + key }

func hintID(f incident.Field) string {
	if f.Help.Ja == "" {
		return ""
	}
	return fieldID(f.Key) + "-hint"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bodyFor is what was typed in the thread form of question q (0: a new
// question), when that form came back refused.
func (v ShowView) bodyFor(q int64) string {
	if v.AnswerTo == q && len(v.AskErrors) > 0 {
		return v.AskBody
	}
	return ""
}

// ExportHeader is the header of a ministry's reports as CSV or XLSX.
func ExportHeader(l *i18n.Localizer) []string {
	var h []string
	for _, k := range []string{"ref", "title", "operator", "sector", "kind", "tlp", "status", "stages", "filed", "final_due", "closed", "controls"} {
		h = append(h, l.T("incident.export."+k))
	}
	return h
}

// ExportRecord is one report of the export, as the list shows it.
func ExportRecord(l *i18n.Localizer, r Row) []string {
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return kijun.ISODate(*t)
	}
	closed := ""
	if r.Report.ClosedAt != nil {
		closed = kijun.ISODateTime(*r.Report.ClosedAt)
	}
	return []string{r.Report.Ref(), r.Report.Title, l.Pick(r.Report.OperatorName), l.Pick(r.SectorName), l.Pick(r.KindLabel),
		r.Report.TLP.Label(), l.T("incident.status." + string(r.Report.Status)), strconv.Itoa(r.Report.Stages),
		kijun.ISODateTime(r.Report.FiledAt), date(r.Report.FinalDueOn), closed, strings.Join(r.Report.ControlRefs, ", ")}
}
