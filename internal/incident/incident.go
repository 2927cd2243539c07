// Package incident holds incident reports (インシデント報告): the NCO's
// versioned report templates, the stages of a report (第一報 → 続報 →
// 最終報告), their checks and due dates, the Traffic Light Protocol 2.0
// label, the question thread and the sanitised summary
// (docs/incidents.md). It imports no pgx, HTTP or templ.
package incident

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TLP is a Traffic Light Protocol 2.0 label.
type TLP string

const (
	Red         TLP = "red"
	AmberStrict TLP = "amber+strict"
	Amber       TLP = "amber"
	Green       TLP = "green"
	Clear       TLP = "clear"
)

// TLPs lists the labels from the narrowest sharing to the widest.
var TLPs = []TLP{Red, AmberStrict, Amber, Green, Clear}

// Valid reports whether t is a TLP 2.0 label.
func (t TLP) Valid() bool { return slices.Contains(TLPs, t) }

// Rank is how narrow the sharing is: 4 for RED … 0 for CLEAR (the
// database's kijun_tlp_rank says the same).
func (t TLP) Rank() int { return len(TLPs) - 1 - slices.Index(TLPs, t) }

// Label is the label as TLP 2.0 writes it ("TLP:AMBER+STRICT").
func (t TLP) Label() string { return "TLP:" + strings.ToUpper(string(t)) }

// Community reports whether t lets the recipients share within their
// community (GREEN, CLEAR): only then may a sanitised summary be published.
func (t TLP) Community() bool { return t == Green || t == Clear }

// CanRelabel reports whether the label may change from old to next: the
// operator that filed the report chooses any label (widening is its
// agreement); its recipients (the ministry, the NCO) may only narrow it.
func CanRelabel(byOperator bool, old, next TLP) bool {
	if !next.Valid() || next == old {
		return false
	}
	return byOperator || next.Rank() > old.Rank()
}

// Stage is a stage of a report.
type Stage string

const (
	First  Stage = "first"  // 第一報
	Update Stage = "update" // 続報
	Final  Stage = "final"  // 最終報告
)

// Stages lists the stages in order.
var Stages = []Stage{First, Update, Final}

// Valid reports whether s is a stage.
func (s Stage) Valid() bool { return slices.Contains(Stages, s) }

// Status is a report's state: open until its final report.
type Status string

const (
	Open   Status = "open"
	Closed Status = "closed"
)

// CanAdd reports whether a stage s may be sent on a report with n stages
// sent and status st: the first report first, then updates or the final
// report while open; nothing after the final report.
func CanAdd(st Status, n int, s Stage) bool {
	switch {
	case s == First:
		return n == 0
	case s == Update || s == Final:
		return n > 0 && st == Open
	}
	return false
}

// Field types of a template.
const (
	TypeText     = "text"
	TypeTextarea = "textarea"
	TypeDateTime = "datetime" // datetime-local, Japan time
	TypeChoice   = "choice"
	TypeSystems  = "systems"  // names of the operator's registered systems
	TypeControls = "controls" // baseline control refs, comma separated
)

var fieldTypes = []string{TypeText, TypeTextarea, TypeDateTime, TypeChoice, TypeSystems, TypeControls}

// Reserved keys: the header's title and the dashboards' kind are read
// from the fields with these keys; the links to the baseline from the
// controls field.
const (
	KeyTitle = "title"
	KeyKind  = "kind"
)

// Choice is one choice of a choice field.
type Choice struct {
	Value string     `json:"value"`
	Label kijun.Text `json:"label"`
}

// Field is one field of the report form.
type Field struct {
	Key      string     `json:"key"`
	Type     string     `json:"type"`
	Label    kijun.Text `json:"label"`
	Help     kijun.Text `json:"help"`
	Max      int        `json:"max,omitempty"` // characters; 0: DefaultMax
	Required []Stage    `json:"required,omitempty"`
	Choices  []Choice   `json:"choices,omitempty"`
}

// DefaultMax bounds a text field without its own maximum.
const DefaultMax = 4000

// RequiredIn reports whether f must be filled in stage s.
func (f Field) RequiredIn(s Stage) bool { return slices.Contains(f.Required, s) }

// ChoiceLabel is the label of value v, or v itself.
func (f Field) ChoiceLabel(v string) kijun.Text {
	for _, c := range f.Choices {
		if c.Value == v {
			return c.Label
		}
	}
	return kijun.Text{Ja: v, En: v}
}

// Due sets by when stages are due: the final report within FinalDays days
// of the first report, and while open an update within UpdateDays days of
// the last stage (0: none due).
type Due struct {
	FinalDays  int `json:"final_days"`
	UpdateDays int `json:"update_days"`
}

// Template is one version of the report form, defined by the NCO as data.
type Template struct {
	ID      int64      `json:"-"`
	Version int        `json:"-"`
	Title   kijun.Text `json:"title"`
	Due     Due        `json:"due"`
	Fields  []Field    `json:"fields"`
}

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ParseTemplate reads a template definition and checks it.
func ParseTemplate(definition []byte) (Template, error) {
	var t Template
	dec := json.NewDecoder(strings.NewReader(string(definition)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, fmt.Errorf("incident template: %w", err)
	}
	return t, t.Validate()
}

// Validate checks a template (Problems); the error is its Problems.
func (t Template) Validate() error {
	if p := t.Problems(); len(p) > 0 {
		return p
	}
	return nil
}

// Field returns the field with key.
func (t Template) Field(key string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Values are what a stage says: field key → text (several values of a
// systems field one per line).
type Values map[string]string

// DateTimeLayout is the form of datetime fields (the browser's
// datetime-local, read in Japan time).
const DateTimeLayout = "2006-01-02T15:04"

var controlRefRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*-S?[0-9]{2,3}$`)

// Check returns the problems of values for stage s, by field key (message
// ids), keeping only the template's keys in the cleaned values it
// returns. systems are the names of the operator's registered systems.
func (t Template) Check(s Stage, in Values, systems []string) (Values, map[string]string) {
	out, problems := Values{}, map[string]string{}
	for _, f := range t.Fields {
		v := strings.TrimSpace(in[f.Key])
		if v == "" {
			if f.RequiredIn(s) {
				problems[f.Key] = "incident.error.required"
			}
			continue
		}
		max := f.Max
		if max == 0 {
			max = DefaultMax
		}
		if id := kijun.TextProblem(v); id != "" {
			problems[f.Key] = id
			continue
		}
		if utf8.RuneCountInString(v) > max {
			problems[f.Key] = "incident.error.too_long"
			continue
		}
		switch f.Type {
		case TypeText:
			if strings.ContainsAny(v, "\r\n") {
				problems[f.Key] = "incident.error.one_line"
			}
		case TypeDateTime:
			if _, err := time.ParseInLocation(DateTimeLayout, v, kijun.JST); err != nil {
				problems[f.Key] = "incident.error.datetime"
			}
		case TypeChoice:
			if !slices.ContainsFunc(f.Choices, func(c Choice) bool { return c.Value == v }) {
				problems[f.Key] = "incident.error.choice"
			}
		case TypeSystems:
			for _, name := range Lines(v) {
				if !slices.Contains(systems, name) {
					problems[f.Key] = "incident.error.system"
				}
			}
			v = strings.Join(Lines(v), "\n")
		case TypeControls:
			refs := Refs(v)
			for _, r := range refs {
				if !controlRefRE.MatchString(r) {
					problems[f.Key] = "incident.error.control"
				}
			}
			v = strings.Join(refs, ", ")
		}
		out[f.Key] = v
	}
	return out, problems
}

// Lines splits a multi-valued field into its non-empty lines.
func Lines(v string) []string {
	var out []string
	for l := range strings.SplitSeq(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// Refs splits a controls field into its refs, upper-cased, without
// repeats.
func Refs(v string) []string {
	var out []string
	for r := range strings.FieldsFuncSeq(v, func(c rune) bool { return c == ',' || c == '、' || c == ' ' || c == '\n' || c == '\r' || c == '\t' }) {
		r = strings.ToUpper(strings.TrimSpace(r))
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Controls are the baseline control refs the values name (the template's
// controls fields).
func (t Template) Controls(v Values) []string {
	var out []string
	for _, f := range t.Fields {
		if f.Type == TypeControls {
			for _, r := range Refs(v[f.Key]) {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// Report is a report's header: the current picture.
type Report struct {
	ID           int64
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	TemplateID   int64
	TLP          TLP
	Status       Status
	Title        string
	Kind         string
	Stages       int
	FiledAt      time.Time
	UpdatedAt    time.Time
	ClosedAt     *time.Time
	FinalDueOn   *time.Time
	UpdateDueOn  *time.Time
	ControlRefs  []string
}

// Ref is the report's reference number as notices show it.
func (r Report) Ref() string { return Ref(r.ID) }

// Ref is the reference number of report id ("IR-12").
func Ref(id int64) string { return fmt.Sprintf("IR-%d", id) }

// StageRecord is one sent stage.
type StageRecord struct {
	ID              int64
	IncidentID      int64
	Seq             int
	Stage           Stage
	TemplateID      int64
	Values          Values
	SubmittedBy     int64
	SubmittedByName string
	SubmittedAt     time.Time
	Attachments     []Attachment
}

// Attachment is a file sent with a stage (checked as evidence is).
type Attachment struct {
	ID          int64
	StageID     int64
	IncidentID  int64
	OperatorID  int64
	SectorCode  string
	FileName    string
	ContentType string
	Size        int64
	SHA256      []byte
	UploadedAt  time.Time
}

// Message is one question or answer of a report's thread.
type Message struct {
	ID         int64
	IncidentID int64
	Kind       string // question, answer
	ParentID   int64
	Body       string
	AuthorID   int64
	AuthorName string
	CreatedAt  time.Time
}

// Limits of the thread and summaries (the tables' CHECKs say the same).
const (
	MaxMessage      = 4000
	MaxSummaryTitle = 200
	MaxSummaryBody  = 8000
)

// MessageProblem returns the message id of what is wrong with a
// question's or answer's body, or "".
func MessageProblem(body string) string {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return "incident.error.required"
	case utf8.RuneCountInString(body) > MaxMessage:
		return "incident.error.too_long"
	}
	return kijun.TextProblem(body)
}

// Dues returns the due dates after a stage sent at at on a report filed
// at filed: the final report's, and while open the next update's.
func (t Template) Dues(filed, at time.Time, closed bool) (final, update *time.Time) {
	if closed {
		return nil, nil
	}
	if t.Due.FinalDays > 0 {
		d := assessment.Day(filed).AddDate(0, 0, t.Due.FinalDays)
		final = &d
	}
	if t.Due.UpdateDays > 0 {
		d := assessment.Day(at).AddDate(0, 0, t.Due.UpdateDays)
		update = &d
	}
	return final, update
}

// Overdue reports whether a report owes a stage due on due at now: open,
// and past its due date as every deadline is (docs/deadlines.md: from the
// next day 00:00 in Japan).
func (r Report) Overdue(due *time.Time, now time.Time) bool {
	return r.Status == Open && due != nil && assessment.Day(now).After(assessment.Day(*due))
}

// DaysOverdue counts the days past due (1 on the day after); 0 when not
// overdue.
func (r Report) DaysOverdue(due *time.Time, now time.Time) int {
	if !r.Overdue(due, now) {
		return 0
	}
	return assessment.DaysBetween(*due, now)
}

// Summary is a sanitised summary as its recipients read it: nothing of
// the operator or of its report's id.
type Summary struct {
	ID          int64
	SectorCode  string // "" for every operator
	TLP         TLP
	Title       string
	Body        string
	Kind        string
	PublishedAt time.Time
}

// Identity is what identifies an operator in a text: its names, its
// 法人番号, and the names of the people who wrote its report.
type Identity struct {
	Names           []string
	CorporateNumber string
	People          []string
}

// Leaks returns the identifying terms text holds (compared without case
// and with the text's white space removed, so "東 都電力" still counts).
func (id Identity) Leaks(texts ...string) []string {
	squash := func(s string) string {
		return strings.ToLower(strings.Join(strings.Fields(s), ""))
	}
	var all strings.Builder
	for _, t := range texts {
		all.WriteString(squash(t))
		all.WriteByte('\n')
	}
	hay := all.String()
	var out []string
	terms := append(append(slices.Clone(id.Names), id.People...), id.CorporateNumber)
	for _, term := range terms {
		if s := squash(term); utf8.RuneCountInString(s) >= 2 && strings.Contains(hay, s) && !slices.Contains(out, term) {
			out = append(out, term)
		}
	}
	return out
}

// SummaryProblems checks a summary's title and body: required, lengths,
// text, and that they name nothing of the operator's identity.
func SummaryProblems(title, body string, id Identity) map[string]string {
	p := map[string]string{}
	title, body = strings.TrimSpace(title), strings.TrimSpace(body)
	switch {
	case title == "":
		p["title"] = "incident.error.required"
	case utf8.RuneCountInString(title) > MaxSummaryTitle:
		p["title"] = "incident.error.too_long"
	case kijun.TextProblem(title) != "":
		p["title"] = kijun.TextProblem(title)
	case len(id.Leaks(title)) > 0:
		p["title"] = "incident.error.identifies"
	}
	switch {
	case body == "":
		p["body"] = "incident.error.required"
	case utf8.RuneCountInString(body) > MaxSummaryBody:
		p["body"] = "incident.error.too_long"
	case kijun.TextProblem(body) != "":
		p["body"] = kijun.TextProblem(body)
	case len(id.Leaks(body)) > 0:
		p["body"] = "incident.error.identifies"
	}
	return p
}
