// Package operators renders the register of named operators (バイネーム):
// the list with its filters and export, one operator's record, the forms
// that keep it (operator, systems, contacts), correction proposals and
// their decision, and the bulk import with its preview.
package operators

import (
	"context"
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/web/layout"
)

// PageSize is how many operators the list shows per page.
const PageSize = 50

// Filter is the register list's query: every field is a URL parameter.
type Filter struct {
	Sector      string
	Status      string // "" (all), active, withdrawn
	Designation string
	Query       string
	Page        int // 1-based
}

// Values returns the filter as URL parameters, without the page.
func (f Filter) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"sector": f.Sector, "status": f.Status, "designation": f.Designation, "q": f.Query} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// PageURL is the list at page n with the same filter.
func (f Filter) PageURL(n int) string {
	v := f.Values()
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/operators"
	}
	return "/operators?" + v.Encode()
}

// StatusURL is the list with the same filter and another status.
func (f Filter) StatusURL(status string) string {
	f.Status, f.Page = status, 1
	return f.PageURL(1)
}

// ExportURL is the export of exactly the filtered list in format.
func (f Filter) ExportURL(format string) string {
	v := f.Values()
	v.Set("format", format)
	return "/operators/export?" + v.Encode()
}

// IndexView lists the operators the reader may see.
type IndexView struct {
	Filter    Filter
	Page      register.Page
	Pages     int
	Sectors   []kijun.Sector // the sectors the reader may filter by
	SectorMap map[string]kijun.Text
	CanManage bool
	Pending   int // correction proposals waiting for the reader's decision
}

// ShowView is one operator's record.
type ShowView struct {
	Record       register.Record
	Sector       kijun.Sector
	DesignatedBy kijun.Text
	CanManage    bool // edit, withdraw, systems, contacts, decide proposals
	CanPropose   bool // propose corrections to contacts and systems
	Corrections  []register.Correction
	// WithdrawError says why a withdrawal was refused.
	WithdrawError i18n.Message
	WithdrawInput string
	// DecideError says why a decision was refused on the
	// proposal DecideID, whose note as typed is DecideInput.
	DecideError i18n.Message
	DecideID    int64
	DecideInput string
	// Notice is a message id shown once after a change (e.g. saved).
	Notice string
}

// SectorChoice is a sector the user may register operators in, with its
// business scopes.
type SectorChoice struct {
	Code   string
	Name   kijun.Text
	Scopes []kijun.BusinessScope
}

// OperatorForm is the create and edit form, as typed.
type OperatorForm struct {
	ID              int64 // 0 for a new operator
	Version         int
	CorporateNumber string
	LocalGovCode    string
	NameJa, NameEn  string
	Sector          string
	Scopes          []string // business scope ids
	Designation     string
	DesignatedSince string // YYYY-MM-DD
	Reason          string
	// Errors maps a field to the message of what is wrong with it.
	Errors map[string]i18n.Message
	// Orig holds the values the editor started from (edit only), sent back
	// as hidden fields so a conflict can show what someone else changed.
	Orig *OperatorForm
	// Changes lists, after a conflict, what changed since the form was
	// opened; Version then is the current one.
	Changes []Change
}

// Change is a field someone else changed while the form was open.
type Change struct {
	Field      string // form field name
	Then, Now  string // as displayed
	YourValue  string
	YourChange bool
}

// HasScope reports whether scope id was ticked.
func (f OperatorForm) HasScope(id int64) bool {
	s := strconv.FormatInt(id, 10)
	for _, v := range f.Scopes {
		if v == s {
			return true
		}
	}
	return false
}

// FormFields is the order fields are listed in error summaries.
var FormFields = []string{"corporate_number", "local_gov_code", "name_ja", "name_en", "sector", "scopes", "designation", "designated_since", "reason"}

// FormView is the create or edit page.
type FormView struct {
	Form    OperatorForm
	Sectors []SectorChoice
	Name    kijun.Text // of the operator being edited
}

// SystemRow is one row of the systems form, as typed.
type SystemRow struct {
	ID              int64
	Name            string
	Kind            string
	ClosedNetwork   bool
	InternetExposed bool
	Notes           string
	Delete          bool
	Error           string // message id
	ErrorArgs       map[string]any
}

// ContactRow is one row of the contacts form, as typed.
type ContactRow struct {
	ID         int64
	Role       string
	Department string
	Name       string
	Email      string
	Phone      string
	Delete     bool
	Error      string
	ErrorArgs  map[string]any
}

// ListForm edits an operator's systems or contacts as one list: the
// ministry saves it directly, an operator's admin proposes it.
type ListForm struct {
	OperatorID   int64
	OperatorName kijun.Text
	Kind         string // systems or contacts
	Propose      bool   // an operator's proposal rather than the ministry's edit
	Systems      []SystemRow
	Contacts     []ContactRow
	Note         string
	NoteError    i18n.Message // why the note was refused
	Error        i18n.Message // what is wrong with the form as a whole
}

// Action is where the list form posts.
func (f ListForm) Action() string {
	base := "/operators/" + strconv.FormatInt(f.OperatorID, 10)
	if f.Propose {
		return base + "/corrections/" + f.Kind
	}
	return base + "/" + f.Kind
}

// HasRowErrors reports whether any row was refused.
func (f ListForm) HasRowErrors() bool {
	for _, r := range f.Systems {
		if r.Error != "" {
			return true
		}
	}
	for _, r := range f.Contacts {
		if r.Error != "" {
			return true
		}
	}
	return false
}

// CorrectionsView lists correction proposals for the ministry.
type CorrectionsView struct {
	Sector      string
	Status      string
	Sectors     []kijun.Sector
	SectorMap   map[string]kijun.Text
	Corrections []register.Correction
}

// ImportView is the upload page, and after a confirmed import its result.
type ImportView struct {
	Error     string // message id of a refused file
	ErrorArgs map[string]any
	Result    *register.ImportResult
}

// PreviewRow is one row of a previewed import.
type PreviewRow struct {
	Line            int
	CorporateNumber string // as written in the file
	Name            string
	Action          exchange.Action
	Problems        []exchange.Problem
}

// PreviewView is the preview of an uploaded register file.
type PreviewView struct {
	Token          string
	FileName       string
	Format         exchange.Format
	Encoding       string
	HeaderProblems []exchange.Problem
	Rows           []PreviewRow
	Create, Update int
	Invalid        int
}

// DesignationLabel names a designation.
func DesignationLabel(ctx context.Context, d register.Designation) string {
	if d == "" {
		return ""
	}
	return i18n.T(ctx, "designation."+string(d))
}

// Designations are the choices of the designation field and filter.
var Designations = []register.Designation{register.DesignationCI, register.DesignationCore, register.DesignationBoth}

// SystemKinds are the choices of a system's kind.
var SystemKinds = []string{string(register.SystemIT), string(register.SystemOT), string(register.SystemCloud)}

// ScopeNames lists the operator's business scopes by name.
func ScopeNames(ctx context.Context, ids []int64, s kijun.Sector) []string {
	var out []string
	for _, id := range ids {
		for _, sc := range s.Scopes {
			if sc.ID == id {
				out = append(out, i18n.From(ctx).Pick(sc.Name))
			}
		}
	}
	return out
}

// ColumnLabel is the label of an import column in the reader's language.
func ColumnLabel(ctx context.Context, key string) string {
	if key == "" {
		return ""
	}
	return exchange.OperatorColumnLabel(key, i18n.From(ctx).Lang)
}

// ProblemText is a problem's message in the reader's language.
func ProblemText(ctx context.Context, p exchange.Problem) string {
	return i18n.T(ctx, p.MessageID, p.Args)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "registerui.yes")
	}
	return i18n.T(ctx, "registerui.no")
}

// Dated reports whether a date was set (the store reads unset as year 1).
func Dated(d interface{ Year() int }) bool { return d.Year() > 1 }

// Attrs are the accessibility attributes of field name's control: invalid,
// described by its error ("op-"+name+"-error") and then its hints.
func (f OperatorForm) Attrs(name string, hints ...string) templ.Attributes {
	return layout.Field(f.Errors[name].MessageID != "", "op-"+name+"-error", hints...)
}

// ErrorIDs is the id of field name's error, if it has one, then hints.
func (f OperatorForm) ErrorIDs(name string, hints ...string) []string {
	if f.Errors[name].MessageID != "" {
		return append([]string{"op-" + name + "-error"}, hints...)
	}
	return hints
}

// rowAttrs are the accessibility attributes of a control in list row i
// whose error (rowError's) is errID, if any.
func rowAttrs(i int, errID string) templ.Attributes {
	return layout.Field(errID != "", "row-"+strconv.Itoa(i)+"-error")
}
